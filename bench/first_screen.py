#!/usr/bin/env python3
"""Startup of a live session, in a COLSxROWS pseudo-terminal: time from just before exec to
  1. the first frame (the end of the first burst of output over 2000 bytes: the console
     draws its first frame before any AWS answer is in), and
  2. the first screen that shows every one of WORDS (e.g. the seeded account's resources,
     alarm and log lines): when the console is useful. The screen is rebuilt from the
     recorded output with a terminal emulator (pyte) after each run.
Each run gets a scratch HOME (no user config). Median / min / max over RUNS, after one
warm-up run.
    first_screen.py BINARY RUNS TIMEOUT WORDS(comma-separated) -- ARGS...
"""
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptylib import Pty, ScreenWalker, clean_env, log, median  # noqa: E402

COLS, ROWS = 200, 60


def one_run(argv, words, timeout):
    home = tempfile.mkdtemp(prefix="opsdeck-first-")
    argv = [a.replace("{home}", home) for a in argv]
    p = Pty(argv, COLS, ROWS, env=clean_env(home), cwd=home)
    t0 = p.t_start
    # Poll the screen while running (cheaply: only when new output came) until the words show.
    seen, shown = 0, None
    end = t0 + timeout
    while time.monotonic() < end:
        time.sleep(0.05)
        chunks = p.snapshot()
        if len(chunks) == seen:
            continue
        seen = len(chunks)
        w = ScreenWalker(chunks, COLS, ROWS)
        shown = w.until(lambda t: all(x in t for x in words), 0.0)
        if shown is not None:
            break
    p.stop(b"q")
    chunks = p.snapshot()
    total, first = 0, None
    for i, (t, c) in enumerate(chunks):
        total += len(c)
        if total > 2000:
            # the end of this burst
            last = t
            for t2, _ in chunks[i + 1 :]:
                if t2 - last > 0.02:
                    break
                last = t2
            first = last
            break
    shutil.rmtree(home, ignore_errors=True)
    if first is None:
        raise SystemExit("no frame drawn")
    return (first - t0) * 1000, None if shown is None else (shown - t0) * 1000


def main():
    args = sys.argv[1:]
    i = args.index("--")
    head, rest = args[:i], args[i + 1 :]
    binary, runs, timeout, words = head[0], int(head[1]), float(head[2]), head[3].split(",")
    argv = [binary] + rest
    one_run(argv, words, timeout)  # warm-up
    firsts, shown = [], []
    for _ in range(runs):
        f, s = one_run(argv, words, timeout)
        firsts.append(f)
        if s is None:
            log(f"run: first frame {f:.1f} ms; {words} not all shown within {timeout} s")
        else:
            shown.append(s)
    log("first frame (ms): " + " ".join(f"{x:.1f}" for x in firsts))
    log(f"all of {words} on screen (ms): " + " ".join(f"{x:.0f}" for x in shown))
    print(
        f"FIRST_MEDIAN_MS={median(firsts):.1f} FIRST_MIN_MS={min(firsts):.1f} "
        f"FIRST_MAX_MS={max(firsts):.1f} SHOWN_MEDIAN_MS={median(shown):.0f} "
        f"SHOWN_MIN_MS={min(shown, default=float('nan')):.0f} "
        f"SHOWN_MAX_MS={max(shown, default=float('nan')):.0f} SHOWN_N={len(shown)} RUNS={runs}"
    )


if __name__ == "__main__":
    main()
