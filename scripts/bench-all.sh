#!/usr/bin/env bash
# Runs every speed, memory and cost measurement in a sensible order (CPU-bound
# micro-benchmarks first, then memory, startup, key latency under a log flood, the idle runs
# and the side-by-side comparisons with btop / bottom and the AWS CLI, API cost) and prints
# one Markdown table with what was measured, the figure, the goal and the command that
# reproduces it, followed by the machine and the load average seen before each measurement.
# Takes about 16 minutes (about 11 with --no-aws).
#   scripts/bench-all.sh [IDLE_SECONDS] [--no-aws]      (default 60)
# --no-aws leaves out everything that needs the local AWS emulator (the live session in the
# startup and idle comparisons, log freshness, API cost). Otherwise the emulator is used when
# it runs, or started and seeded (and stopped at the end) by the scripts that need it.
source "$(dirname "$0")/bench-lib.sh"
count_and_aws 60 "$@"; secs=$count
noaws=(); [ "$aws" = 1 ] || noaws=(--no-aws)
rows=$(mktemp); loads=$(mktemp); trap 'rm -f "$rows" "$loads"' EXIT
run() { # script args...
  echo ">>> $*" >&2
  "$@" 2> >(tee -a "$loads" >&2) | grep '^| ' >> "$rows" || echo "!!! $* failed" >&2
}
cargo build --release --quiet --bin opsdeck --example rss_logs --example flood_tui --example per_panel_cost
ensure_pylib
if [ "$aws" = 1 ]; then
  # Once for all the scripts below (they use a running emulator as it is).
  emulator_up
  trap 'rm -f "$rows" "$loads"; emulator_down' EXIT
fi
run scripts/bench-criterion.sh
run scripts/bench-rss.sh 100000
run scripts/bench-startup.sh 20 "${noaws[@]}"
run scripts/bench-keys.sh 50 10000
run scripts/bench-idle.sh "$secs" bad-deploy 1
run scripts/bench-idle.sh "$secs" calm 1
run scripts/bench-idle.sh "$secs" bad-deploy 60
run scripts/bench-idle-compare.sh "$secs" "${noaws[@]}"
if [ "$aws" = 1 ]; then
  run scripts/bench-freshness.sh 10
  run scripts/bench-api-cost.sh 75
fi
echo
echo "| What | Figure | Goal | Command |"
echo "| --- | --- | --- | --- |"
cat "$rows"
echo
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -m | awk '/^Mem:/ {print $2}') MiB RAM; $(date -u +%F)"
echo
grep '^load average' "$loads" | sed 's/^/- /'
