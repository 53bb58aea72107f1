#!/usr/bin/env bash
# Regenerates screenshots/ from the headless renderer: every picture is exactly the frame the
# console shows at that point of a demo scenario (or, last, of the seeded AWS emulator). PNGs
# too when rsvg-convert is installed (Debian package librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --bin opsdeck
bin=target/debug/opsdeck
out=screenshots
mkdir -p "$out"

shot() { # name scenario at size [keys] [runbooks] [more snapshot options...]
  local name=$1 scenario=$2 at=$3 size=$4 keys=${5:-} runbooks=${6:-}
  shift 6 2>/dev/null || shift $#
  local args=(snapshot --demo "$scenario" --at "$at" --size "$size" "$@")
  [ -n "$keys" ] && args+=(--press "$keys")
  [ -n "$runbooks" ] && args+=(--runbooks "$runbooks")
  "$bin" "${args[@]}" --format svg -o "$out/$name.svg"
  "$bin" "${args[@]}" --format txt -o "$out/$name.txt"
  if command -v rsvg-convert >/dev/null; then
    rsvg-convert "$out/$name.svg" -o "$out/$name.png"
  fi
  echo "$out/$name.svg"
}

shot bad-deploy-200x60 bad-deploy 9m 200x60
shot runbook-walk-200x60 bad-deploy 10m 200x60 "a enter d d"
shot compact-80x24 bad-deploy 9m 80x24
shot dynamodb-throttle-160x48 dynamodb-throttle 8m 160x48
shot aurora-connections-160x48 aurora-connections 9m 160x48
shot lambda-throttle-160x48 lambda-throttle 8m 160x48
shot latency-160x48 latency 14m 160x48
shot calm-24h-160x48 calm 30m 160x48 "3"
shot help-120x40 bad-deploy 5m 120x40 "?"
# A Japanese runbook in the team documents' layout (our own test fixture), zoomed: the section
# picked by matching and why, steps with sub-steps and commands, decision choices.
shot runbook-walk-ja-120x40 bad-deploy 10m 120x40 "a enter d z" tests/fixtures/runbooks/ja_seed_layout.md

# The three moments (issue 5): deploy watch with the rollback gates, the daily check, and the
# war-room presentation mode (redaction on) with a runbook open.
shot deploy-watch-200x60 bad-deploy 8m 200x60 "" "" --deploy
shot daily-check-160x48 bad-deploy 1h 160x48 "" "" --check
shot present-160x45 bad-deploy 10m 160x45 "a enter" "" --present
shot present-colour-blind-128x36 bad-deploy 10m 128x36 "" "" --present --theme colour-blind

# The AWS source against the seeded local emulator (started, seeded and stopped here), with
# the crypto-watch profile: CloudWatch alarms, custom metrics, the log feed.
aws_shot() { # name size [profile] [more snapshot options...]
  local name=$1 size=$2 profile=${3:-}
  shift 3 2>/dev/null || shift $#
  local args=(snapshot --size "$size" --wait 90s "$@")
  [ -n "$profile" ] && args+=(--config "$profile")
  "$bin" "${args[@]}" --format svg -o "$out/$name.svg"
  "$bin" "${args[@]}" --format txt -o "$out/$name.txt"
  if command -v rsvg-convert >/dev/null; then
    rsvg-convert "$out/$name.svg" -o "$out/$name.png"
  fi
  echo "$out/$name.svg"
}
trap 'bash scripts/aws-emulator.sh stop >/dev/null 2>&1 || true' EXIT
bash scripts/aws-emulator.sh start >/dev/null
bash scripts/aws-emulator.sh seed >/dev/null
(
  # shellcheck disable=SC1091
  source target/aws-emulator.env
  aws_shot aws-emulator-160x48 160x48
  aws_shot aws-crypto-watch-160x48 160x48 profiles/crypto-watch.toml
  aws_shot aws-deploy-watch-160x48 160x48 profiles/crypto-watch.toml --deploy
  aws_shot aws-daily-check-160x48 160x48 profiles/crypto-watch.toml --check
  aws_shot aws-present-160x45 160x45 profiles/crypto-watch.toml --present
)
