#!/usr/bin/env bash
# Startup to first frame of the demo (release build), two ways:
#  1. the real thing: bench/first_frame.py runs `opsdeck --demo bad-deploy` in a 200x60
#     pseudo-terminal and times exec -> last byte of the first frame (median of RUNS);
#  2. an approximation of the work before the first frame, without a terminal:
#     `opsdeck snapshot --demo bad-deploy --at 0s --size 200x60` under hyperfine
#     (if installed; Debian package: hyperfine), else a timed loop;
#  3. live against the local AWS emulator (moto, seeded; started and seeded here only when it
#     is not running): bench/first_screen.py times exec -> the first frame, and exec -> the
#     first screen showing the seeded account (a DynamoDB table and an Aurora instance from the
#     inventory, a CloudWatch alarm), median of RUNS/2. --no-aws leaves it out.
#   scripts/bench-startup.sh [RUNS] [--no-aws]
source "$(dirname "$0")/bench-lib.sh"
count_and_aws 20 "$@"; runs=$count
build_bin
log=$(mktemp); trap 'rm -f "$log"' EXIT
note_load "startup (pty)"
out=$(python3 bench/first_frame.py "$bin" "$runs" 200x60 -- \
        --demo bad-deploy --user-keymap /nonexistent --log-file "$log")
echo "$out" >&2
median=$(sed -n 's/^MEDIAN_MS=\([0-9.]*\).*/\1/p' <<<"$out")
min=$(sed -n 's/.*MIN_MS=\([0-9.]*\).*/\1/p' <<<"$out")
row "Startup to first frame, demo bad-deploy, 200x60 pty (median of $runs)" \
    "$median ms (min $min ms)" "-" "scripts/bench-startup.sh $runs"

snap=("$bin" snapshot --demo bad-deploy --at 0s --size 200x60 --user-keymap /nonexistent)
note_load "startup (snapshot)"
if command -v hyperfine >/dev/null; then
  json=$(mktemp); trap 'rm -f "$log" "$json"' EXIT
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$json" "${snap[*]}" >&2
  mean=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('%.1f ms ± %.1f' % (r['mean']*1000, r['stddev']*1000))" "$json")
  tool=hyperfine
else
  start=$(date +%s.%N)
  for _ in $(seq "$runs"); do "${snap[@]}" >/dev/null; done
  mean=$(awk -v s="$start" -v e="$(date +%s.%N)" -v n="$runs" 'BEGIN{printf "%.1f ms", 1000*(e-s)/n}')
  tool="timed loop"
fi
row "Headless snapshot bad-deploy at 0s, 200x60 (mean of $runs, $tool)" "$mean" "-" \
    "scripts/bench-startup.sh $runs"

[ "$aws" = 1 ] || exit 0
ensure_pylib
emulator_up
trap 'rm -f "$log" "${json:-}"; emulator_down' EXIT
live_runs=$(( (runs + 1) / 2 ))
# Inventory (a table, an Aurora instance) and a CloudWatch alarm. Not a log line: the first
# log poll reads the last 30 minutes only, and the seeded lines get older than that.
words="crypto-watch-data,profile-db-writer,LambdaErrorAlarm"
note_load "startup (live, moto)"
out=$(python3 bench/first_screen.py "$bin" "$live_runs" 30 "$words" -- \
        --user-keymap /nonexistent --log-file "{home}/opsdeck.log")
echo "$out" >&2
val() { sed -n "s/.*$1=\([0-9.a-z]*\).*/\1/p" <<<"$out"; }
row "Startup to first frame, live (moto emulator), 200x60 pty (median of $live_runs)" \
    "$(val FIRST_MEDIAN_MS) ms (min $(val FIRST_MIN_MS), max $(val FIRST_MAX_MS))" "-" "scripts/bench-startup.sh $runs"
row "Startup to the seeded account on screen (table, Aurora instance, alarm), live (moto), median of $(val SHOWN_N)" \
    "$(val SHOWN_MEDIAN_MS) ms (min $(val SHOWN_MIN_MS), max $(val SHOWN_MAX_MS))" "-" "scripts/bench-startup.sh $runs"
