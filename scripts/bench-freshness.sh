#!/usr/bin/env bash
# Log freshness against the local AWS emulator (started and seeded here only when it is not
# running): time from a log event written (PutLogEvents returned) to the event on screen,
# opsdeck vs `aws logs tail --follow` (AWS CLI v2: Debian package awscli; v1 has no `logs
# tail`), both running at the same time in their own 200x60 pty; EVENTS events (default 10)
# 5-8 s apart. Against moto both poll FilterLogEvents every 5 s (opsdeck: Live Tail is not
# reachable on the emulator, see src/source/aws/livetail.rs; the CLI: its fixed 5 s sleep).
#   scripts/bench-freshness.sh [EVENTS]
source "$(dirname "$0")/bench-lib.sh"
events=${1:-10}
aws_v2=${AWS_CLI_V2:-}
if [ -z "$aws_v2" ]; then
  for c in /usr/bin/aws aws; do
    if command -v "$c" >/dev/null && "$c" --version 2>&1 | grep -q '^aws-cli/2'; then aws_v2=$(command -v "$c"); break; fi
  done
fi
[ -n "$aws_v2" ] || { echo "needs AWS CLI v2 for 'aws logs tail' (apt-get install awscli, or set AWS_CLI_V2)" >&2; exit 1; }
build_bin
ensure_pylib
emulator_up
trap emulator_down EXIT
note_load "log freshness"
out=$(python3 bench/freshness.py "$bin" "$aws_v2" .venv-moto/bin/python "$events")
cli=$("$aws_v2" --version 2>&1 | cut -d' ' -f1)
while IFS=$'\t' read -r tag name got n med min max load; do
  [ "$tag" = RESULT ] || continue
  [ "$name" = opsdeck ] || name="$name ($cli)"
  row "Log freshness, event written to the emulator -> on screen, $name, $got/$n events, same run (load $load)" \
      "median $med s (min $min s, max $max s)" "-" "scripts/bench-freshness.sh $events"
done <<<"$out"
