#!/usr/bin/env python3
"""Log freshness against the local AWS emulator: time from a log event written
(PutLogEvents returned) to the event on screen, opsdeck vs `aws logs tail --follow`, both
running at the same time against the same emulator, each in its own 200x60 pty.

Needs the emulator's environment (AWS_ENDPOINT_URL..., see scripts/aws-emulator.sh) and a
Python with boto3 for the writer (the emulator's venv, .venv-moto). Creates its own log group
`/opsdeck-bench/freshness-PID` (deleted at the end; the seeded groups are not touched),
points opsdeck at it with a copy of profiles/aws.toml plus
`[aws] log_groups = [GROUP], no_function_logs = true`, and runs
`AWS logs tail GROUP --follow --format short --endpoint-url ...`.

EVENTS times, 5-8 s apart (random, so events land at every phase of both pollers): write
one event with a unique marker through boto3 (a long-lived writer process, so no start-up
cost is counted), keep the time just after PutLogEvents returned. Afterwards the recorded
output of each pty is replayed through a terminal emulator (pyte) to find when the marker was
first on screen. Reports median / max per tool.
    freshness.py OPSDECK_BIN AWS_CLI PY_WITH_BOTO3 EVENTS
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, HERE)
from ptylib import Pty, ScreenWalker, clean_env, loadavg, log, median  # noqa: E402

COLS, ROWS = 200, 60

WRITER = r"""
import os, sys, time, boto3
logs = boto3.client("logs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
group, stream = sys.argv[1], "bench"
if sys.argv[2] == "create":
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    print("ok", flush=True)
elif sys.argv[2] == "delete":
    logs.delete_log_group(logGroupName=group)
else:
    for line in sys.stdin:
        marker = line.strip()
        t0 = time.monotonic()
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
            {"timestamp": int(time.time() * 1000), "message": f"freshness {marker} written"}])
        print(f"{t0:.6f} {time.monotonic():.6f}", flush=True)
"""


def main():
    opsdeck, awscli, py, events = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    repo = os.path.dirname(HERE)
    scratch = tempfile.mkdtemp(prefix="opsdeck-fresh-")
    group = f"/opsdeck-bench/freshness-{os.getpid()}"
    writer_py = os.path.join(scratch, "writer.py")
    with open(writer_py, "w") as f:
        f.write(WRITER)
    subprocess.run([py, writer_py, group, "create"], check=True, capture_output=True)
    profile = os.path.join(scratch, "profile.toml")
    with open(os.path.join(repo, "profiles", "aws.toml")) as f:
        text = f.read()
    with open(profile, "w") as f:
        f.write(text + f'\n[aws]\nlog_groups = ["{group}"]\nno_function_logs = true\n')
    homes = {n: os.path.join(scratch, n) for n in ("opsdeck", "awscli")}
    for h in homes.values():
        os.makedirs(h)
    load_before = loadavg()
    try:
        od = Pty(
            [opsdeck, "--config", profile, "--user-keymap", "/nonexistent", "--log-file",
             os.path.join(homes["opsdeck"], "opsdeck.log")],
            COLS, ROWS, env=clean_env(homes["opsdeck"]), cwd=homes["opsdeck"],
        )
        aw = Pty(
            [awscli, "logs", "tail", group, "--follow", "--format", "short",
             "--endpoint-url", os.environ["AWS_ENDPOINT_URL"], "--region", "us-east-1"],
            COLS, ROWS, env=clean_env(homes["awscli"], {"AWS_PAGER": ""}), cwd=homes["awscli"],
        )
        writer = subprocess.Popen([py, writer_py, group, "put"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(10)  # both started, first polls done
        rng = random.Random(4)
        written = []
        for i in range(events):
            marker = f"fz{os.getpid()}n{i}e"
            writer.stdin.write(marker + "\n")
            writer.stdin.flush()
            _, t_after = map(float, writer.stdout.readline().split())
            written.append((marker, t_after))
            time.sleep(rng.uniform(5, 8))
        time.sleep(15)  # let the slower one catch up
        load_after = loadavg()
        writer.stdin.close()
        writer.wait(10)
        for p in (od, aw):
            alive = p.alive()
            p.stop(b"q" if p is od else b"\x03")
            if not alive:
                log(f"warning: {p.pid} had exited early")
        results = {}
        for name, p in (("opsdeck", od), ("aws logs tail --follow", aw)):
            w = ScreenWalker(p.snapshot(), COLS, ROWS)
            lat = []
            for marker, t in written:
                seen = w.until(lambda s, m=marker: m in s, t)
                lat.append(None if seen is None else seen - t)
            results[name] = lat
    finally:
        subprocess.run([py, writer_py, group, "delete"], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)
    for name, lat in results.items():
        got = [x for x in lat if x is not None]
        log(f"{name}: " + " ".join("-" if x is None else f"{x:.2f}" for x in lat) + " s")
        print(
            f"RESULT\t{name}\t{len(got)}\t{len(lat)}\t{median(got):.2f}\t{min(got, default=float('nan')):.2f}"
            f"\t{max(got, default=float('nan')):.2f}\t{load_before}"
        )
    log(f"load average before {load_before}, after {load_after}")


if __name__ == "__main__":
    main()
