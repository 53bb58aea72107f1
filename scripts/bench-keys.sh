#!/usr/bin/env bash
# Key-to-screen latency while the console ingests RATE log lines a second (default 10000),
# and the same with no extra lines, in one run: bench/key_latency.py drives
# examples/flood_tui.rs (the real event loop on the demo, plus a log flood through the real
# ingest path) in a 200x60 pty, presses `?` / ESC PRESSES times each (default 50) and finds
# when the screen changed with a terminal emulator (pyte). Then the FIRST key of 10 fresh
# sessions under the same flood (bench/key_first.py): before commit 636fda1 later keys waited
# for the loop's next 250 ms tick (its burst coalescing polled crossterm's EventStream with a
# no-op waker) and the first did not; now the two agree.
#   scripts/bench-keys.sh [PRESSES] [RATE]
source "$(dirname "$0")/bench-lib.sh"
presses=${1:-50}; rate=${2:-10000}
cargo build --release --quiet --example flood_tui
ensure_pylib
flood="$target/release/examples/flood_tui"
for r in 0 "$rate"; do
  note_load "key latency at $r lines/s"
  out=$(python3 bench/key_latency.py "$flood" "$r" "$presses")
  # RESULT rate got seen missed med p95 max fmed fp95 fmax load
  IFS=$'\t' read -r _ asked got seen missed med p95 max fmed fp95 fmax load <<<"$(grep '^RESULT' <<<"$out")"
  what="Key to screen (help open/close), 200x60 pty, $got log lines/s ingested (asked $asked), $seen keys"
  [ "$missed" = 0 ] || what+=" ($missed not seen)"
  row "$what (load $load)" \
      "change on screen: median $med ms, p95 $p95 ms, max $max ms; frame complete: median $fmed ms, p95 $fp95 ms, max $fmax ms" \
      "-" "scripts/bench-keys.sh $presses $rate"
done
# The first key of a session (see bench/key_first.py), under the same flood: 10 fresh sessions.
note_load "first key at $rate lines/s"
out=$(python3 bench/key_first.py "$flood" "$rate" 10)
IFS=$'\t' read -r _ r got n med min max load <<<"$(grep '^RESULT' <<<"$out")"
row "Key to screen, FIRST key of a session (help opens), $r log lines/s, $got of $n fresh sessions (load $load)" \
    "median $med ms (min $min ms, max $max ms)" "-" "scripts/bench-keys.sh $presses $rate"
