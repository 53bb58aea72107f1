#!/usr/bin/env bash
# Memory with 100,000 log lines buffered (release): runs examples/rss_logs.rs, which builds
# the demo state (24 h of metric history), pushes N lines through sanitise + parse into the
# ring buffer, renders a 200x60 frame and prints VmRSS/VmHWM; the whole process's peak RSS
# comes from /usr/bin/time -v.
#   scripts/bench-rss.sh [LINES]
source "$(dirname "$0")/bench-lib.sh"
n=${1:-100000}
cargo build --release --quiet --example rss_logs
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
note_load "rss_logs $n"
/usr/bin/time -v -o "$tmp" "$target/release/examples/rss_logs" "$n" > "$tmp.out"
cat "$tmp.out" >&2
peak=$(awk -F: '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$tmp")
rate=$(sed -n 's/.*(\([0-9]*\) lines\/s).*/\1/p' "$tmp.out")
held=$(sed -n 's/.*buffer holds \([0-9]*\).*/\1/p' "$tmp.out")
vmrss=$(awk '/^VmRSS/ {printf "%.1f", $2/1024}' "$tmp.out")
rm -f "$tmp.out"
echo "peak RSS (time -v): $peak MB" >&2
row "RSS with $held log lines buffered (demo state + 24 h metrics + one 200x60 frame)" \
    "$vmrss MB resident at the end, $peak MB peak" "< 30 MB" "scripts/bench-rss.sh $n"
row "Log ingest inside the app (update() with 1000-line batches, $n lines)" \
    "$rate lines/s" "-" "scripts/bench-rss.sh $n"
