#!/usr/bin/env python3
"""Startup to first frame of the opsdeck TUI, measured in a pseudo-terminal.

For each run: fork the binary on a fresh pty of COLSxROWS (the pty is its controlling
terminal, as in a real terminal), take a timestamp just before exec, and read everything it
writes. The first frame is complete at the last byte written before the output goes quiet
for QUIET seconds (the event loop draws again only on a timer tick or input, so the first
draw is one burst). Then press `q` and wait for the exit.

Prints per-run times and min/median/mean in milliseconds, and a Markdown row.
    bench/first_frame.py BINARY [RUNS] [COLSxROWS] -- ARGS...
"""
import fcntl
import os
import pty
import select
import statistics
import struct
import sys
import termios
import time

QUIET = 0.15


def one_run(argv, cols, rows):
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.environ["TERM"] = "xterm-256color"
        os.execv(argv[0], argv)
    first_byte = last_byte = None
    total = 0
    deadline = t0 + 10
    while time.perf_counter() < deadline:
        timeout = QUIET if last_byte is not None else 0.5
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            if last_byte is not None:
                break
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        now = time.perf_counter()
        if first_byte is None:
            first_byte = now
        # Only count bursts that draw something: the alternate-screen switch alone is not a frame.
        total += len(chunk)
        if total > 2000:
            last_byte = now
    os.write(fd, b"q")
    # Drain until exit so the child never blocks on a full pty.
    end = time.perf_counter() + 5
    while time.perf_counter() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                if not os.read(fd, 65536):
                    break
            except OSError:
                break
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    os.close(fd)
    if last_byte is None:
        raise SystemExit(f"no frame drawn within 10 s ({total} bytes)")
    return (first_byte - t0) * 1000, (last_byte - t0) * 1000, total


def main():
    args = sys.argv[1:]
    if "--" in args:
        i = args.index("--")
        head, rest = args[:i], args[i + 1 :]
    else:
        head, rest = args, []
    binary = head[0]
    runs = int(head[1]) if len(head) > 1 else 20
    cols, rows = map(int, (head[2] if len(head) > 2 else "200x60").split("x"))
    argv = [binary] + rest
    one_run(argv, cols, rows)  # warm-up: page cache, dynamic loader
    firsts, frames = [], []
    for _ in range(runs):
        f, l, n = one_run(argv, cols, rows)
        firsts.append(f)
        frames.append(l)
    print(f"first byte (ms):  " + " ".join(f"{x:.1f}" for x in firsts))
    print(f"first frame (ms): " + " ".join(f"{x:.1f}" for x in frames))
    print(
        f"{runs} runs at {cols}x{rows}: first frame min {min(frames):.1f} ms, "
        f"median {statistics.median(frames):.1f} ms, mean {statistics.mean(frames):.1f} ms "
        f"(first byte median {statistics.median(firsts):.1f} ms; frame {n} bytes)"
    )
    print(f"MEDIAN_MS={statistics.median(frames):.1f} MIN_MS={min(frames):.1f}")


if __name__ == "__main__":
    main()
