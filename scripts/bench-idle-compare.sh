#!/usr/bin/env bash
# Idle cost side by side, in ONE run (same load for all): CPU % of one core and memory of
#  - opsdeck on the demo (bad-deploy, x1),
#  - opsdeck live against the local AWS emulator (moto, seeded; the built-in zero-config
#    profile: metrics and alarms every 60 s, inventory every 5 min, logs polled every 5 s),
#  - btop (Debian package btop) showing its default dashboard (refresh 2000 ms),
#  - bottom (`btm`, crates.io: cargo install bottom --locked) when on PATH or given as BTM=,
#    showing its default dashboard (refresh 1000 ms),
# each in its own 200x60 pseudo-terminal, started together, sampled after WARMUP s over
# SECONDS s from /proc/PID/stat (utime + stime, all threads) and /proc/PID/status (VmRSS,
# VmHWM) by bench/idle_compare.py. --no-aws leaves the live session out.
#   scripts/bench-idle-compare.sh [SECONDS] [--no-aws]
source "$(dirname "$0")/bench-lib.sh"
count_and_aws 60 "$@"; secs=$count
warmup=10
build_bin
ensure_pylib
progs=("opsdeck demo=$PWD/$bin --demo bad-deploy --user-keymap /nonexistent --log-file {home}/opsdeck.log")
if [ "$aws" = 1 ]; then
  emulator_up
  trap emulator_down EXIT
  progs+=("opsdeck live (moto)=$PWD/$bin --user-keymap /nonexistent --log-file {home}/opsdeck.log")
fi
if command -v btop >/dev/null; then progs+=("btop $(btop --version | grep -o '[0-9][0-9.]*' | head -1)=btop"); else echo "btop not installed (apt-get install btop): left out" >&2; fi
btm=${BTM:-$(command -v btm || true)}   # BTM=/path/to/btm when it is not on PATH
if [ -n "$btm" ]; then progs+=("bottom $("$btm" --version | grep -o '[0-9][0-9.]*' | head -1)=$btm"); else echo "bottom not installed (cargo install bottom --locked): left out" >&2; fi
note_load "idle side by side"
out=$(python3 bench/idle_compare.py "$secs" "$warmup" "${progs[@]}")
cmd="scripts/bench-idle-compare.sh $secs"; [ "$aws" = 1 ] || cmd+=" --no-aws"
# RESULT name cpu% rss hwm KiB/s wall load
min_cpu=$(awk -F'\t' '$1 == "RESULT" && $2 !~ /^opsdeck/ {print $3}' <<<"$out" | sort -n | head -1)
min_rss=$(awk -F'\t' '$1 == "RESULT" && $2 !~ /^opsdeck/ {print $4}' <<<"$out" | sort -n | head -1)
while IFS=$'\t' read -r tag name cpu rss hwm kib wall load; do
  [ "$tag" = RESULT ] || continue
  goal="-"
  if [[ $name == opsdeck* && -n $min_cpu ]]; then
    goal=$(awk -v c="$cpu" -v mc="$min_cpu" -v r="$rss" -v mr="$min_rss" 'BEGIN {
      printf "below the others: CPU %s, RSS %s", (c < mc) ? "**met**" : "**not met**",
             (r < mr) ? "**met**" : "**not met**" }')
  fi
  row "Idle, 200x60 pty, ${wall} s after ${warmup} s, same run (load $load): $name" \
      "$cpu % of a core; RSS $rss MB (peak $hwm MB); $kib KiB/s to the terminal" "$goal" "$cmd"
done <<<"$out"
