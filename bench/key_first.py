#!/usr/bin/env python3
"""Key-to-screen latency of the FIRST key of a session, under a log flood: RUNS fresh
sessions of examples/flood_tui (see key_latency.py), each pressed `?` once after WARMUP s.

Why separately: until commit 636fda1 the event loop (src/tui.rs `run`) gathered a burst of
keys by polling crossterm's EventStream with `now_or_never`, i.e. with a no-op waker;
crossterm keeps the waker of a pending poll for its wake-up thread, so every key after the
first was only noticed at the next 250 ms timer tick, while the first key of a session was
handled as soon as it arrived. Comparing the two showed the bug; now both should agree.
    key_first.py FLOOD_BINARY RATE RUNS [WARMUP]
"""
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from key_latency import COLS, ROWS, has_help  # noqa: E402
from ptylib import Pty, ScreenWalker, clean_env, loadavg, log, median  # noqa: E402


def main():
    binary, rate, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    warmup = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    load_before = loadavg()
    lat = []
    for i in range(runs):
        home = tempfile.mkdtemp(prefix="opsdeck-key1-")
        p = Pty([binary, "--rate", str(rate)], COLS, ROWS, env=clean_env(home), cwd=home)
        time.sleep(warmup + 0.05 * i)  # a different phase of the 250 ms tick each run
        t = p.send(b"?")
        time.sleep(0.4)
        p.stop(b"q", timeout=15)
        w = ScreenWalker(p.snapshot(), COLS, ROWS)
        seen = w.until(has_help, t, before=t + 0.39)
        shutil.rmtree(home, ignore_errors=True)
        if seen is not None:
            lat.append((seen - t) * 1000)
    log(f"first key, {rate} lines/s: " + " ".join(f"{x:.1f}" for x in lat) + " ms")
    print(f"RESULT\t{rate}\t{len(lat)}\t{runs}\t{median(lat):.1f}\t{min(lat):.1f}\t{max(lat):.1f}\t{load_before}")


if __name__ == "__main__":
    main()
