#!/usr/bin/env bash
# CloudWatch GetMetricData calls and metrics requested per hour, opsdeck vs one call per pane
# (a dashboard widget per pane), for the example profiles, counted in the local AWS
# emulator's request log (started and seeded here only when it is not running). opsdeck runs
# SECONDS (default 75) with a 10 s refresh; per hour is EXTRAPOLATED from the steady
# refreshes measured to the profile's own refresh (60 s). See bench/api_cost.py.
#   scripts/bench-api-cost.sh [SECONDS]
source "$(dirname "$0")/bench-lib.sh"
secs=${1:-75}
cargo build --release --quiet --bin opsdeck --example per_panel_cost
ensure_pylib
emulator_up
trap emulator_down EXIT
note_load "API cost"
out=$(python3 bench/api_cost.py "$bin" "$target/release/examples/per_panel_cost" "$secs" \
        profiles/aws.toml profiles/crypto-watch.toml profiles/profile-api.toml profiles/demo.toml)
# RESULT name every steady od_calls/h od_metrics/h rounds pp_calls/h pp_metrics/h load backfill
while IFS=$'\t' read -r tag name every steady oc om rounds pc pm load backfill; do
  [ "$tag" = RESULT ] || continue
  if [ "$oc" = - ]; then
    row "API cost, profiles/$name.toml" "not measured (too few refreshes)" "-" "scripts/bench-api-cost.sh $secs"
    continue
  fi
  usd() { awk -v m="$1" 'BEGIN { printf "$%.3f/h, $%.2f per 30 days", m * 0.01 / 1000, m * 0.01 / 1000 * 720 }'; }
  met=$(awk -v a="$om" -v b="$pm" -v c="$oc" -v d="$pc" 'BEGIN { print (a <= b && c < d) ? "fewer calls and metrics: **met**" : "fewer calls and metrics: **not met**" }')
  row "API cost, profiles/$name.toml, opsdeck (one call per ${every} s refresh; extrapolated from $steady steady refreshes at 10 s; first backfill $backfill metrics) (load $load)" \
      "$oc GetMetricData/h, $om metrics/h, $(usd "$om")" "$met" "scripts/bench-api-cost.sh $secs"
  row "API cost, profiles/$name.toml, per-panel (one call per pane per 1-min refresh, 1 h window; extrapolated from $rounds rounds)" \
      "$pc GetMetricData/h, $pm metrics/h, $(usd "$pm")" "-" "scripts/bench-api-cost.sh $secs"
done <<<"$out"
