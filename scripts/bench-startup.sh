#!/usr/bin/env bash
# Startup to first frame of the demo (release build), two ways:
#  1. the real thing: bench/first_frame.py runs `opsdeck --demo bad-deploy` in a 200x60
#     pseudo-terminal and times exec -> last byte of the first frame (median of RUNS);
#  2. an approximation of the work before the first frame, without a terminal:
#     `opsdeck snapshot --demo bad-deploy --at 0s --size 200x60` under hyperfine
#     (if installed; Debian package: hyperfine), else a timed loop.
#   scripts/bench-startup.sh [RUNS]
source "$(dirname "$0")/bench-lib.sh"
runs=${1:-20}
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
