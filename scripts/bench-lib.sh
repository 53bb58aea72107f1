# Shared helpers for scripts/bench-*.sh (sourced, not run).
# Every bench script prints human-readable lines and one or more Markdown table rows
# starting with "| " (what | figure | goal | command); scripts/bench-all.sh collects those.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=${CARGO_TARGET_DIR:-target}
bin="$target/release/opsdeck"

# Load average before a measurement: other processes on the box skew timings.
load() { cut -d' ' -f1-3 /proc/loadavg; }
note_load() { echo "load average before $1: $(load)" >&2; }
row() { printf '| %s | %s | %s | `%s` |\n' "$1" "$2" "$3" "$4"; }
build_bin() { cargo build --release --quiet --bin opsdeck; }
