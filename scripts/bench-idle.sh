#!/usr/bin/env bash
# Idle cost of the demo console: runs the release binary in a real terminal (tmux, 200x60) for
# SECONDS (default 60) under /usr/bin/time, quits it with `q`, and prints CPU time, average
# CPU % of one core, peak RSS, and how many frames were drawn (from opsdeck's own log).
#   scripts/bench-idle.sh [SECONDS] [SCENARIO] [SPEED]
# Only opsdeck's process is measured; the terminal (tmux) does work of its own per frame.
source "$(dirname "$0")/bench-lib.sh"
secs=${1:-60}; scenario=${2:-bad-deploy}; speed=${3:-1}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package: time)"; exit 1; }
command -v tmux >/dev/null || { echo "needs tmux"; exit 1; }
build_bin
tmp=$(mktemp -d); sess=opsdeck-idle-$$
trap 'tmux kill-session -t "$sess" 2>/dev/null || true; rm -rf "$tmp"' EXIT
note_load "idle $scenario x$speed"
# A fixed TERM and no user keymap, so the run does not depend on who runs it.
tmux new-session -d -s "$sess" -x 200 -y 60 -e TERM=xterm-256color \
  "/usr/bin/time -f '%U %S %M %e' -o $tmp/time $bin --demo $scenario --speed $speed \
     --user-keymap /nonexistent --log-file $tmp/opsdeck.log; sleep 1"
sleep "$secs"
tmux send-keys -t "$sess" q
for _ in $(seq 100); do [ -s "$tmp/time" ] && break; sleep 0.1; done
[ -s "$tmp/time" ] || { echo "opsdeck did not quit on q"; tmux capture-pane -p -t "$sess" | tail -5; exit 1; }
read -r user sys maxrss elapsed < "$tmp/time"
frames=$(grep -o 'frames=[0-9]*' "$tmp/opsdeck.log" | tail -1 | cut -d= -f2)
awk -v u="$user" -v s="$sys" -v m="$maxrss" -v e="$elapsed" -v sc="$scenario" -v sp="$speed" \
    -v f="${frames:-?}" -v n="$secs" 'BEGIN {
  cpu = 100*(u+s)/e
  printf "demo %s x%s, 200x60, %.1f s: user %.2f s, sys %.2f s, CPU %.2f%% of one core, %s frames (%.2f/s), peak RSS %.1f MB\n",
         sc, sp, e, u, s, cpu, f, f/e, m/1024
  printf "| Idle CPU, demo %s x%s, 200x60, %d s | %.2f%% of a core (%s frames, %.1f/s) | < 1%% | `scripts/bench-idle.sh %d %s %s` |\n",
         sc, sp, n, cpu, f, f/e, n, sc, sp
  printf "| Peak RSS of the TUI, demo %s x%s after %d s | %.1f MB | < 30 MB | `scripts/bench-idle.sh %d %s %s` |\n",
         sc, sp, n, m/1024, n, sc, sp
}'
