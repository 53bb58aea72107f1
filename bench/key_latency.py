#!/usr/bin/env python3
"""Key-to-screen latency of the console while it ingests RATE log lines a second.

Runs examples/flood_tui (the real `tui::run` event loop on the demo, plus RATE extra log
lines a second through the real ingest path; see that file) in a 200x60 pseudo-terminal.
After WARMUP seconds, PRESSES times: write `?` (help opens), 0.35 s later write ESC (help
closes), then wait 0.3-0.6 s (random, so presses land at every phase of the 250 ms ingest
tick). Everything the console writes is kept with the time it was read; afterwards a
terminal emulator (pyte) replays it to find, for each key, the first output chunk after which
the screen shows the change (help's command names such as `focus-next` appear / are gone).

Latency = that chunk's read time - the time just before the key was written. Also reported:
until the end of that frame's burst of writes (chunks less than 20 ms apart). Both for opening
and closing; median, p95 and max over all 2 x PRESSES keys, and the lines/s actually handed
to the model (from the example's --stats file).
    key_latency.py FLOOD_BINARY RATE PRESSES [WARMUP]
"""
import os
import random
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptylib import Pty, ScreenWalker, clean_env, loadavg, log, median, pct  # noqa: E402

COLS, ROWS = 200, 60
MARKERS = ("focus-next", "focus-prev", "cycle-level", "range-24h")


def has_help(text):
    return any(m in text for m in MARKERS)


def main():
    binary, rate, presses = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    warmup = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    home = tempfile.mkdtemp(prefix="opsdeck-keys-")
    stats = os.path.join(home, "stats")
    load_before = loadavg()
    p = Pty([binary, "--rate", str(rate), "--stats", stats], COLS, ROWS, env=clean_env(home), cwd=home)
    time.sleep(warmup)
    rng = random.Random(6)
    keys = []
    for _ in range(presses):
        t_open = p.send(b"?")
        time.sleep(0.35)
        t_close = p.send(b"\x1b")
        time.sleep(rng.uniform(0.3, 0.6))
        keys.append((t_open, t_close))
    load_after = loadavg()
    p.stop(b"q", timeout=15)
    chunks = p.snapshot()
    total_bytes = sum(len(c) for _, c in chunks)
    with open(stats) as f:
        st = dict(kv.split("=") for kv in f.read().split())
    shutil.rmtree(home, ignore_errors=True)
    w = ScreenWalker(chunks, COLS, ROWS)
    shown, frame, missed = [], [], 0
    for t_open, t_close in keys:
        for t_key, pred in ((t_open, has_help), (t_close, lambda t: not has_help(t))):
            t = w.until(pred, t_key, before=t_key + 0.34)
            if t is None:
                # Not seen before the next key: count it, do not invent a figure.
                missed += 1
                continue
            shown.append((t - t_key) * 1000)
            frame.append((w.burst_end(t) - t_key) * 1000)
    ms = lambda xs: f"median {median(xs):.1f} ms, p95 {pct(xs, 95):.1f} ms, max {max(xs):.1f} ms"  # noqa: E731
    lines_per_s = float(st["rate"])
    log(
        f"{rate} lines/s asked, {lines_per_s:.0f} lines/s handed to the model "
        f"({st['lines']} lines in {st['seconds']} s); {total_bytes / 1024:.0f} KiB written to the terminal"
    )
    log(f"{len(shown)} key presses seen ({missed} not seen within 340 ms)")
    log("change on screen: " + ms(shown))
    log("frame complete:   " + ms(frame))
    log(f"load average before {load_before}, after {load_after}")
    print(
        f"RESULT\t{rate}\t{lines_per_s:.0f}\t{len(shown)}\t{missed}\t{median(shown):.1f}\t{pct(shown, 95):.1f}"
        f"\t{max(shown):.1f}\t{median(frame):.1f}\t{pct(frame, 95):.1f}\t{max(frame):.1f}\t{load_before}"
    )


if __name__ == "__main__":
    main()
