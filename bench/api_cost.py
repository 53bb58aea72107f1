#!/usr/bin/env python3
"""CloudWatch API cost per hour, opsdeck vs the per-panel approach, counted in the local
AWS emulator's request log (the CloudWatch proxy writes one JSON line per request, with the
access key that signed it, the operation and the number of metric queries).

For each PROFILE (profiles/*.toml):
  * opsdeck: the release binary, live against the emulator in a 200x60 pty, with a copy of
    the profile whose `[aws] refresh` is 10 s (the minimum config.rs accepts) so that several
    refreshes fit in SECONDS, signed with an access key of its own. Its GetMetricData calls
    are grouped into refreshes (calls starting within 3 s of each other); the first is the
    initial backfill (3 hours), the others are steady refreshes.
  * per-panel: examples/per_panel_cost (same profile, same discovery, same metrics; one
    GetMetricData per pane over the pane's 1-hour window), 2 rounds, its own access key.
Per hour = metrics (and calls) of one steady refresh x refreshes per hour at the profile's
own refresh interval (60 s in every example profile) for opsdeck, and at a dashboard's
1-minute auto-refresh for the per-panel approach: EXTRAPOLATED from the measured refreshes.
Cost: $0.01 per 1,000 metrics requested (GetMetricData is not in the free tier).
    api_cost.py OPSDECK_BIN PER_PANEL_BIN SECONDS PROFILE...
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptylib import Pty, clean_env, loadavg, log  # noqa: E402

USD_PER_METRIC = 0.01 / 1000
PP_ROUNDS = 2


def with_refresh(text, secs):
    """The profile text with `[aws] refresh` set to `secs` seconds."""
    if re.search(r"^\[aws\]", text, re.M):
        if re.search(r"^refresh\s*=", text, re.M):
            return re.sub(r"^refresh\s*=.*$", f'refresh = "{secs}s"', text, count=1, flags=re.M)
        return re.sub(r"^\[aws\]\s*$", f'[aws]\nrefresh = "{secs}s"', text, count=1, flags=re.M)
    return text + f'\n[aws]\nrefresh = "{secs}s"\n'


def configured_refresh(text):
    m = re.search(r'^refresh\s*=\s*"?(\d+)\s*(s|m)?"?', text, re.M)
    if not m:
        return 60
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1)


def requests(log_path, key):
    out = []
    with open(log_path, errors="replace") as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("key") == key and e.get("operation") == "GetMetricData":
                out.append(e)
    return out


def rounds(entries, gap=3.0):
    """GetMetricData calls grouped by start time: [(calls, metrics)]."""
    calls = sorted((e["ts"] - e.get("ms", 0) / 1000, e.get("metric_queries", 0)) for e in entries)
    groups, last = [], None
    for start, n in calls:
        if last is None or start - last > gap:
            groups.append([0, 0])
        groups[-1][0] += 1
        groups[-1][1] += n
        last = start
    return groups


def main():
    opsdeck, per_panel, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    profiles = sys.argv[4:]
    request_log = os.environ["OPSDECK_TEST_REQUEST_LOG"]
    scratch = tempfile.mkdtemp(prefix="opsdeck-cost-")
    run = f"{os.getpid()}{int(time.time()) % 100000}"
    load_before = loadavg()
    sessions = []
    for i, path in enumerate(profiles):
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            text = f.read()
        home = os.path.join(scratch, name)
        os.makedirs(home)
        copy = os.path.join(home, "profile.toml")
        with open(copy, "w") as f:
            f.write(with_refresh(text, 10))
        key = f"BENCHOD{run}P{i}"
        p = Pty([opsdeck, "--config", copy, "--user-keymap", "/nonexistent", "--log-file",
                 os.path.join(home, "opsdeck.log")], 200, 60,
                env=clean_env(home, {"AWS_ACCESS_KEY_ID": key}), cwd=home)
        sessions.append((name, path, text, key, p, home))
    time.sleep(secs)
    screens = {}
    for name, _, _, _, p, home in sessions:
        status = [line for line in p.screen_text().splitlines() if "API" in line]
        screens[name] = status[-1].strip() if status else "?"
        p.stop(b"q")
    per_panel_out = {}
    for i, (name, path, _, _, _, home) in enumerate(sessions):
        key = f"BENCHPP{run}P{i}"
        env = dict(os.environ, AWS_ACCESS_KEY_ID=key)
        r = subprocess.run([per_panel, "--config", path, "--refreshes", str(PP_ROUNDS), "--window", "3600"],
                           env=env, capture_output=True, text=True, timeout=600)
        per_panel_out[name] = (key, r.stdout + r.stderr)
    load_after = loadavg()
    time.sleep(1)  # the proxy writes its log line after answering
    for i, (name, path, text, key, p, home) in enumerate(sessions):
        every = configured_refresh(text)
        od = rounds(requests(request_log, key))
        pp_key, pp_text = per_panel_out[name]
        pp_entries = requests(request_log, pp_key)
        pp = [(len(pp_entries) / PP_ROUNDS, sum(e.get("metric_queries", 0) for e in pp_entries) / PP_ROUNDS)]
        log(f"--- {name} ({path})")
        log(f"opsdeck status bar at the end: {screens[name]}")
        log(f"opsdeck GetMetricData by refresh (calls, metrics), first = 3 h backfill: {od}")
        log(pp_text.strip())
        log(f"per-panel from the request log, per round (calls, metrics): {pp}")
        steady = od[1:]
        if not steady or not pp_entries:
            log(f"{name}: not enough refreshes measured (opsdeck {od}, per-panel {pp})")
            print(f"RESULT\t{name}\t-\t-\t-\t-\t-\t-\t-\t{load_before}")
            continue
        od_calls = sum(c for c, _ in steady) / len(steady)
        od_metrics = sum(m for _, m in steady) / len(steady)
        pp_calls, pp_metrics = pp[0]
        per_hour = 3600 / every
        print(
            f"RESULT\t{name}\t{every}\t{len(steady)}\t{od_calls * per_hour:.0f}\t{od_metrics * per_hour:.0f}"
            f"\t{PP_ROUNDS}\t{pp_calls * 60:.0f}\t{pp_metrics * 60:.0f}\t{load_before}"
            f"\t{od[0][1] if od else 0}"
        )
    log(f"load average before {load_before}, after {load_after}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
