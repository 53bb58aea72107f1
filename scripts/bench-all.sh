#!/usr/bin/env bash
# Runs every speed and memory measurement in a sensible order (CPU-bound micro-benchmarks
# first, then memory, startup, and the long idle runs) and prints one Markdown table with
# what was measured, the figure, the goal and the command that reproduces it, followed by the
# machine and the load average seen before each measurement. Takes about 6 minutes.
#   scripts/bench-all.sh [IDLE_SECONDS]      (default 60)
source "$(dirname "$0")/bench-lib.sh"
secs=${1:-60}
rows=$(mktemp); loads=$(mktemp); trap 'rm -f "$rows" "$loads"' EXIT
run() { # script args...
  echo ">>> $*" >&2
  "$@" 2> >(tee -a "$loads" >&2) | grep '^| ' >> "$rows"
}
cargo build --release --quiet --bin opsdeck --example rss_logs
run scripts/bench-criterion.sh
run scripts/bench-rss.sh 100000
run scripts/bench-startup.sh 20
run scripts/bench-idle.sh "$secs" bad-deploy 1
run scripts/bench-idle.sh "$secs" calm 1
run scripts/bench-idle.sh "$secs" bad-deploy 60
echo
echo "| What | Figure | Goal | Command |"
echo "| --- | --- | --- | --- |"
cat "$rows"
echo
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -m | awk '/^Mem:/ {print $2}') MiB RAM; $(date -u +%F)"
echo
grep '^load average' "$loads" | sed 's/^/- /'
