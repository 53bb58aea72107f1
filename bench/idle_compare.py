#!/usr/bin/env python3
"""Idle cost side by side: several dashboards running AT THE SAME TIME, each in its own
200x60 pseudo-terminal, sampled the same way.

For each program: start it, let it settle for WARMUP seconds (start-up is not idle), then
read utime + stime of the whole process (all threads) from /proc/PID/stat, wait SECONDS,
read them again: CPU % of one core = delta ticks / (SECONDS * CLK_TCK). Memory: VmRSS at the
end and VmHWM (the peak) from /proc/PID/status. Bytes written to the terminal per second are
counted too (work a terminal emulator has to do, not measured here). Everything runs in the
same window, so every program sees the same machine load.

    idle_compare.py SECONDS WARMUP NAME=CMD... [NAME=CMD...]
CMD is a shell-free argument list separated by spaces (no quoting); the environment given
by the caller applies (HOME and XDG dirs are set to a scratch directory per program).
Prints one human line per program and Markdown rows.
"""
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptylib import CLK_TCK, ProcStat, Pty, clean_env, loadavg, log  # noqa: E402


def main():
    secs = float(sys.argv[1])
    warmup = float(sys.argv[2])
    specs = []
    for a in sys.argv[3:]:
        name, _, cmd = a.partition("=")
        specs.append((name, cmd.split()))
    scratch = tempfile.mkdtemp(prefix="opsdeck-idle-")
    load_before = loadavg()
    runs = []
    for name, argv in specs:
        home = os.path.join(scratch, name.replace(" ", "_").replace("/", "_"))
        os.makedirs(home)
        argv = [a.replace("{home}", home) for a in argv]
        p = Pty(argv, 200, 60, env=clean_env(home), cwd=home)
        runs.append((name, argv, p, ProcStat(p.pid)))
    time.sleep(warmup)
    start = {}
    for name, _, p, ps in runs:
        if not p.alive():
            raise SystemExit(f"{name} exited during warm-up:\n{p.screen_text()}")
        start[name] = (time.monotonic(), ps.cpu_ticks(), p.nbytes())
    time.sleep(secs)
    results = []
    split = {}
    for name, argv, p, ps in runs:
        t0, c0, b0 = start[name]
        t1, c1, b1 = time.monotonic(), ps.cpu_ticks(), p.nbytes()
        rss, hwm = ps.status("VmRSS"), ps.status("VmHWM")
        # Anonymous memory (heap, stacks) apart from file pages (the program's own code and
        # its shared libraries as mapped), which is where most of the difference lies.
        split[name] = (ps.status("RssAnon"), ps.status("RssFile"))
        results.append((name, argv, (c1 - c0) / CLK_TCK, t1 - t0, rss, hwm, (b1 - b0) / (t1 - t0)))
    load_after = loadavg()
    screens = {}
    for name, _, p, _ in runs:
        screens[name] = p.screen_text()
        p.stop(b"q")
    for name, argv, cpu_s, wall, rss, hwm, bps in results:
        log(
            f"{name}: {' '.join(argv)}\n  CPU {cpu_s:.2f} s in {wall:.1f} s = {100 * cpu_s / wall:.2f}% "
            f"of one core; VmRSS {rss / 1024:.1f} MB (anonymous {split[name][0] / 1024:.1f} MB, "
            f"file {split[name][1] / 1024:.1f} MB), VmHWM {hwm / 1024:.1f} MB; "
            f"{bps / 1024:.1f} KiB/s to the terminal"
        )
        first = [line for line in screens[name].splitlines() if line.strip()][:2]
        log("  screen: " + " / ".join(x.strip()[:100] for x in first))
    log(f"load average before {load_before}, after {load_after}")
    for name, argv, cpu_s, wall, rss, hwm, bps in results:
        print(
            f"RESULT\t{name}\t{100 * cpu_s / wall:.2f}\t{rss / 1024:.1f}\t{hwm / 1024:.1f}"
            f"\t{bps / 1024:.1f}\t{wall:.0f}\t{load_before}"
        )
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
