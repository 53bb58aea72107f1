#!/usr/bin/env bash
# Criterion benches (release): full-frame render at 80x24, 200x60, 250x70 and an unchanged
# frame (benches/render.rs), and log lines sanitised + parsed + buffered per second
# (benches/log_ingest.rs). Extra arguments go to criterion, e.g. --measurement-time 5.
#   scripts/bench-criterion.sh [CRITERION ARGS...]
source "$(dirname "$0")/bench-lib.sh"
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
cargo bench --no-run --quiet --bench render --bench log_ingest 2>/dev/null || cargo bench --no-run --bench render --bench log_ingest
note_load "render bench"
cargo bench --quiet --bench render -- "$@" 2>/dev/null | tee -a "$tmp" >&2
note_load "log_ingest bench"
cargo bench --quiet --bench log_ingest -- "$@" 2>/dev/null | tee -a "$tmp" >&2
# Criterion prints "name\n  time: [lo mid hi]" (or on one line for short names); take the
# middle (best) estimate. Each case runs in wall-clock time and in thread CPU time ("_cpu").
python3 - "$tmp" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
times, thrpt = {}, {}
for m in re.finditer(r"^(\S+)\s+time:\s+\[\S+ \S+ (\S+ \S+) \S+ \S+\]", text, re.M):
    times[m.group(1)] = m.group(2)
for m in re.finditer(r"^(\S+)\s+time:\s+\[[^\]]*\]\s*\n\s*thrpt:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", text, re.M):
    thrpt[m.group(1)] = f"{m.group(2)} {m.group(3).replace('elem/s', 'lines/s')}"
rows = [
    ("full_frame_80x24", "Render one full frame, bad-deploy at 8 min, 80x24", "-"),
    ("full_frame_200x60", "Render one full frame, bad-deploy at 8 min, 200x60", "well under 1 ms"),
    ("full_frame_250x70", "Render one full frame, bad-deploy at 8 min, 250x70", "-"),
    ("unchanged_frame_200x60_render_and_diff", "Frame where nothing changed (render + diff), 200x60", "-"),
]
for case, what, goal in rows:
    wall, cpu = times.get(f"render/{case}"), times.get(f"render_cpu/{case}")
    if wall or cpu:
        print(f"| {what} | {cpu or '?'} CPU ({wall or '?'} wall) | {goal} | `cargo bench --bench render` |")
case = "parse_and_push_mixed_10k"
wall, cpu = thrpt.get(f"log_ingest/{case}"), thrpt.get(f"log_ingest_cpu/{case}")
if wall or cpu:
    print(f"| Log lines sanitised + parsed + buffered (mixed corpus, hostile lines included) | {cpu or '?'} CPU ({wall or '?'} wall) | - | `cargo bench --bench log_ingest` |")
PY
