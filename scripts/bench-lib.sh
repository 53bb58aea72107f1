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

# pyte (a terminal emulator in Python) for the pty benchmarks in bench/, installed once into
# target/bench-pylib with `pip install --target` (nothing else on the machine is touched).
PYTE_VERSION=0.8.2
ensure_pylib() {
  [ -d target/bench-pylib/pyte ] && return 0
  echo "installing pyte $PYTE_VERSION into target/bench-pylib (PyPI)" >&2
  python3 -m pip install --no-cache-dir -q --disable-pip-version-check \
    --target target/bench-pylib "pyte==$PYTE_VERSION" >&2
}

# The local AWS emulator (moto + the CloudWatch proxy, scripts/aws-emulator.sh). When it runs
# already (target/aws-emulator.env present and answering), it is used as it is: never
# reseeded, never stopped. Otherwise it is started and seeded here, and emulator_down stops
# it again (only what this script started).
started_emulator=0
emulator_up() {
  if [ -f target/aws-emulator.env ] && scripts/aws-emulator.sh status >/dev/null 2>&1; then
    echo "using the running AWS emulator (target/aws-emulator.env)" >&2
  else
    scripts/aws-emulator.sh start >&2
    started_emulator=1
    scripts/aws-emulator.sh seed >&2
  fi
  # shellcheck disable=SC1091
  source target/aws-emulator.env
}
emulator_down() {
  if [ "$started_emulator" = 1 ]; then scripts/aws-emulator.sh stop >&2 || true; fi
}

# The usual arguments of a bench script: a number (seconds or runs, default $1) and --no-aws.
# Sets `count` and `aws` (1, or 0 with --no-aws).
count_and_aws() { # default args...
  count=$1; shift; aws=1
  for a in "$@"; do
    case "$a" in
      --no-aws) aws=0 ;;
      *) count=$a ;;
    esac
  done
}
