#!/usr/bin/env bash
# Idle cost of the demo console: runs the release binary in a real terminal (tmux, 200x60) for
# DURATION seconds (default 60) under /usr/bin/time, quits it with `q`, and prints CPU time,
# average CPU % of one core, and peak RSS.
#   scripts/bench-idle.sh [SECONDS] [SCENARIO] [SPEED]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}; scenario=${2:-bad-deploy}; speed=${3:-1}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package: time)"; exit 1; }
command -v tmux >/dev/null || { echo "needs tmux"; exit 1; }
cargo build --release --quiet --bin opsdeck
out=$(mktemp); sess=opsdeck-idle-$$
tmux new-session -d -s "$sess" -x 200 -y 60 \
  "/usr/bin/time -f '%U %S %M %e' -o $out target/release/opsdeck --demo $scenario --speed $speed --log-file /dev/null"
sleep "$secs"
tmux send-keys -t "$sess" q
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.2; done
tmux kill-session -t "$sess" 2>/dev/null || true
read -r user sys maxrss elapsed < "$out"
rm -f "$out"
awk -v u="$user" -v s="$sys" -v m="$maxrss" -v e="$elapsed" -v sc="$scenario" -v sp="$speed" 'BEGIN {
  printf "demo %s x%s, 200x60, %.1f s: user %.2f s, sys %.2f s, CPU %.2f%% of one core, peak RSS %.1f MB\n",
         sc, sp, e, u, s, 100*(u+s)/e, m/1024 }'
