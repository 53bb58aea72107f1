"""Shared by the side-by-side benchmarks in bench/: a program in a pseudo-terminal whose every
output chunk is kept with the time it was read, a terminal emulator to see what was on screen
after any chunk, and CPU / memory sampling from /proc.

Times are `time.monotonic()` (CLOCK_MONOTONIC, the same clock in every process on the
machine), so a timestamp taken by another process (an event writer) can be compared.

The screen is emulated with pyte (PyPI, installed by the bench scripts into
target/bench-pylib with `pip install --target`, nothing else touched). Screens are rebuilt
after the run from the recorded chunks, so emulation never slows the reader down.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYLIB = os.path.join(os.path.dirname(HERE), "target", "bench-pylib")
if os.path.isdir(PYLIB) and PYLIB not in sys.path:
    sys.path.insert(0, PYLIB)

CLK_TCK = os.sysconf("SC_CLK_TCK")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Pty:
    """`argv` running on a fresh COLSxROWS pty (its controlling terminal)."""

    def __init__(self, argv, cols=200, rows=60, env=None, cwd=None):
        self.cols, self.rows = cols, rows
        self.chunks = []  # (monotonic time, bytes)
        self.lock = threading.Lock()
        if "/" in argv[0]:
            argv = [os.path.abspath(argv[0])] + list(argv[1:])
        self.t_start = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                if cwd:
                    os.chdir(cwd)
                os.execvpe(argv[0], argv, env if env is not None else os.environ)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.status = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                r, _, _ = select.select([self.fd], [], [], 0.5)
            except (OSError, ValueError):
                return
            if not r:
                if self.status is not None:
                    return
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            now = time.monotonic()
            with self.lock:
                self.chunks.append((now, chunk))

    def send(self, data):
        """Write keys to the terminal; returns the time just before the write."""
        t = time.monotonic()
        os.write(self.fd, data)
        return t

    def nbytes(self):
        with self.lock:
            return sum(len(c) for _, c in self.chunks)

    def snapshot(self):
        with self.lock:
            return list(self.chunks)

    def alive(self):
        if self.status is not None:
            return False
        done, status = os.waitpid(self.pid, os.WNOHANG)
        if done:
            self.status = status
            return False
        return True

    def stop(self, keys=b"q", timeout=10):
        """Ask the program to quit with `keys`, then SIGTERM, then SIGKILL."""
        for attempt in (keys, signal.SIGTERM, signal.SIGKILL):
            if not self.alive():
                break
            try:
                if isinstance(attempt, bytes):
                    if attempt:
                        os.write(self.fd, attempt)
                else:
                    os.kill(self.pid, attempt)
            except OSError:
                pass
            end = time.monotonic() + timeout / 3
            while time.monotonic() < end and self.alive():
                time.sleep(0.05)
        if self.alive():
            os.waitpid(self.pid, 0)
        self.thread.join(2)
        try:
            os.close(self.fd)
        except OSError:
            pass

    def screen_text(self):
        """The screen after everything read so far, as text lines."""
        return screens(self.snapshot(), self.cols, self.rows)[-1][1] if self.chunks else ""


def screens(chunks, cols, rows):
    """[(time, screen text)] after each chunk."""
    import pyte

    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    out = []
    for t, c in chunks:
        stream.feed(c)
        out.append((t, "\n".join(screen.display)))
    return out


def first_screen_with(chunks, cols, rows, pred, after=0.0, screen_state=None):
    """The time of the first chunk read at or after `after` after which the screen satisfies
    `pred(text)`; None if never. Chunks before `after` are fed too (the screen is cumulative)."""
    import pyte

    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    for t, c in chunks:
        stream.feed(c)
        if t >= after and pred("\n".join(screen.display)):
            return t
    return None


class ScreenWalker:
    """Feeds recorded chunks into one emulated screen in order, so many questions of the form
    "when did the screen first show X after time T" cost one pass overall."""

    def __init__(self, chunks, cols, rows):
        import pyte

        self.chunks = chunks
        self.i = 0
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)

    def until(self, pred, after, before=None):
        """Advance to the first chunk at or after `after` whose screen satisfies `pred`;
        returns its time (None when the recording ends first, or when no chunk read before
        `before` does; later chunks are then left for the next question)."""
        while self.i < len(self.chunks):
            t, c = self.chunks[self.i]
            if before is not None and t > before:
                return None
            self.i += 1
            self.stream.feed(c)
            if t >= after and pred("\n".join(self.screen.display)):
                return t
        return None

    def burst_end(self, start, gap=0.02):
        """The time of the last chunk of the burst that contains the chunk read at `start`
        (chunks closer than `gap` seconds belong to the same burst)."""
        last = start
        for t, _ in self.chunks[self.i:]:
            if t - last > gap:
                break
            last = t
        return last


class ProcStat:
    """CPU time (utime + stime, clock ticks) and memory of a process, from /proc."""

    def __init__(self, pid):
        self.pid = pid

    def cpu_ticks(self):
        """utime + stime of the process (its threads included), in clock ticks."""
        with open(f"/proc/{self.pid}/stat") as f:
            data = f.read()
        fields = data[data.rindex(")") + 2 :].split()
        return int(fields[11]) + int(fields[12])

    def status(self, key):
        """A /proc/PID/status field in kB (VmRSS, VmHWM)."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return None


def median(xs):
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return float("nan")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def pct(xs, p):
    s = sorted(xs)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def row(what, figure, goal, command):
    print(f"| {what} | {figure} | {goal} | `{command}` |", flush=True)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def clean_env(home, extra=None):
    """A predictable environment: English, fixed TERM, HOME (and the XDG directories) in a
    scratch directory so no user config applies."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LC_ALL", "LC_MESSAGES", "NO_COLOR", "COLORTERM")
    }
    env.update(
        TERM="xterm-256color",
        LANG="C.UTF-8",
        HOME=home,
        XDG_CONFIG_HOME=os.path.join(home, "config"),
        XDG_DATA_HOME=os.path.join(home, "data"),
        XDG_STATE_HOME=os.path.join(home, "state"),
    )
    if extra:
        env.update(extra)
    return env
