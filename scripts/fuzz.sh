#!/usr/bin/env bash
# Fuzz every target in fuzz/ for SECONDS each (default 60) with cargo-fuzz (libFuzzer), then
# print executions, executions per second and any crash per target. Not run by CI: CI runs
# the same checks on the committed seeds, the regression inputs and mutations of the seeds
# on stable (tests/fuzz_corpus.rs).
#
#   scripts/fuzz.sh [SECONDS]          all targets
#   TARGETS="log_line keymap" scripts/fuzz.sh 300
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo-fuzz needs nightly compiler features:
# with a nightly toolchain installed it is used, otherwise the stable compiler is asked for
# them with RUSTC_BOOTSTRAP=1 (FUZZ_TOOLCHAIN=stable does that even with nightly installed).
# The first build compiles the whole dependency tree (AWS SDK included) with coverage
# instrumentation: about 25 minutes on 2 cores; later runs reuse it. The sanitizer is none
# by default (opsdeck has no unsafe code, so AddressSanitizer would only slow the search);
# FUZZ_SANITIZER=address turns it on.
#
# New interesting inputs go to fuzz/target/corpus/<target>/ (ignored by git), never into the
# committed seeds in fuzz/corpus/<target>/. A failing input is saved under
# fuzz/artifacts/<target>/; reproduce it with
#   cargo fuzz run <target> fuzz/artifacts/<target>/<file>     (from fuzz/, same toolchain)
# and once the bug is fixed, copy it to fuzz/regressions/<target>/ so that
# tests/fuzz_corpus.rs keeps checking it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

secs=${1:-60}
targets=${TARGETS:-"log_line runbook profile keymap"}
sanitizer=${FUZZ_SANITIZER:-none}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi
# FUZZ_TOOLCHAIN=stable forces the stable compiler (e.g. to reuse a build made with it).
toolchain=()
if [ "${FUZZ_TOOLCHAIN:-}" != stable ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

cargo "${toolchain[@]}" fuzz build --sanitizer "$sanitizer"

status=0
summary=()
for t in $targets; do
    work=target/corpus/$t
    mkdir -p "$work" "artifacts/$t"
    log=target/fuzz-$t.log
    echo "== $t: ${secs}s"
    set +e
    cargo "${toolchain[@]}" fuzz run --sanitizer "$sanitizer" "$t" "$work" "corpus/$t" -- \
        -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ "$rc" -eq 0 ]; then
        result="no crash"
    else
        status=1
        result="FAILED (exit $rc): $(grep -m1 -o 'Test unit written to .*' "$log" || echo "see fuzz/$log")"
    fi
    summary+=("$(printf '%-9s %4ss  %10s execs  %7s execs/s  cov %6s  %s' \
        "$t" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$result")")
done

echo
echo "target     time       executions       rate   coverage  result"
printf '%s\n' "${summary[@]}"
exit "$status"
