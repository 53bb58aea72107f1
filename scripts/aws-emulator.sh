#!/usr/bin/env bash
# Test support: a local AWS emulator for opsdeck's integration tests.
#
#   scripts/aws-emulator.sh start     venv (.venv-moto/) + moto_server + the CloudWatch CBOR proxy
#   scripts/aws-emulator.sh seed      reset moto and seed the demo account (tests/support/seed.py)
#   scripts/aws-emulator.sh selftest  probe the proxy over CBOR like the Rust SDK (tests/support/selftest.py)
#   scripts/aws-emulator.sh status    say whether it runs, and where
#   scripts/aws-emulator.sh stop      stop both servers (idempotent)
#
# After `start`, target/aws-emulator.env holds the export lines for the tests
# (AWS_ENDPOINT_URL -> moto, AWS_ENDPOINT_URL_CLOUDWATCH -> proxy), and
# target/aws-emulator-via-proxy.env the same with every service sent through the
# proxy (so that its request log sees every call). Logs: target/aws-emulator/*.log.
# Needs only python3 (>= 3.9) with venv/pip and access to PyPI; writes nothing
# outside the repository (pip runs with --no-cache-dir).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv-moto"
PY="$VENV/bin/python"
REQS="$REPO/tests/support/requirements.txt"
STATE="$REPO/target/aws-emulator"
ENV_FILE="$REPO/target/aws-emulator.env"
ENV_FILE_PROXY="$REPO/target/aws-emulator-via-proxy.env"
MOTO_PID="$STATE/moto.pid"
PROXY_PID="$STATE/proxy.pid"
START_TIMEOUT="${AWS_EMULATOR_START_TIMEOUT:-20}"

say() { printf 'aws-emulator: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

ensure_venv() {
  command -v python3 >/dev/null 2>&1 || die "python3 is not installed"
  python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
    || die "python3 >= 3.9 is needed (found $(python3 --version 2>&1))"
  if [ ! -x "$PY" ]; then
    say "creating $VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  fi
  local want have
  want="$( (cat "$REQS"; "$PY" -c 'import sys; print(sys.version)') | "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
  have="$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    say "installing $(grep -cv '^\s*\(#\|$\)' "$REQS") pinned requirements into .venv-moto (PyPI)"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip install --no-cache-dir -q -r "$REQS" \
      || die "pip install -r tests/support/requirements.txt failed"
    printf '%s\n' "$want" >"$VENV/.requirements.sha256"
  fi
}

# pid_alive FILE PATTERN: the pid in FILE runs and its command line contains PATTERN
pid_alive() {
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 1
  fi
  return 0
}

stop_one() { # FILE PATTERN NAME
  local pid
  if pid_alive "$1" "$2"; then
    pid="$(cat "$1")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
    fi
    say "stopped $3 (pid $pid)"
  fi
  rm -f "$1"
}

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS: 0 once URL answers HTTP 200
wait_http() {
  "$PY" - "$1" "$2" <<'EOF'
import sys, time, urllib.request
url, deadline = sys.argv[1], time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.2)
sys.exit(1)
EOF
}

show_log() {
  say "---- $1 (last 40 lines) ----"
  tail -n 40 "$1" >&2 2>/dev/null || true
  say "----"
}

running() {
  pid_alive "$MOTO_PID" moto_server && pid_alive "$PROXY_PID" cw_cbor_proxy.py && [ -f "$ENV_FILE" ]
}

cmd_start() {
  ensure_venv
  mkdir -p "$STATE"
  if running; then
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    if wait_http "$OPSDECK_TEST_MOTO/moto-api/" 2 && wait_http "$OPSDECK_TEST_PROXY/__proxy/health" 2; then
      say "already running: moto $OPSDECK_TEST_MOTO, proxy $OPSDECK_TEST_PROXY ($ENV_FILE)"
      return 0
    fi
    say "running but not answering; restarting"
  fi
  cmd_stop >/dev/null 2>&1 || true
  mkdir -p "$STATE"
  : >"$STATE/requests.jsonl"
  : >"$STATE/moto-recording.jsonl"
  rm -f "$STATE/proxy.port" "$STATE/seeded.json"

  local moto_port="" attempt
  for attempt in 1 2 3; do
    moto_port="$(free_port)"
    MOTO_ENABLE_RECORDING=True MOTO_RECORDER_FILEPATH="$STATE/moto-recording.jsonl" \
      nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$moto_port" \
      >"$STATE/moto.log" 2>&1 </dev/null &
    echo $! >"$MOTO_PID"
    if wait_http "http://127.0.0.1:$moto_port/moto-api/" "$START_TIMEOUT"; then
      break
    fi
    if pid_alive "$MOTO_PID" moto_server || [ "$attempt" = 3 ]; then
      show_log "$STATE/moto.log"
      stop_one "$MOTO_PID" moto_server moto
      die "moto_server did not answer GET /moto-api/ on port $moto_port within ${START_TIMEOUT}s"
    fi
    say "moto_server exited (port $moto_port taken?); retrying"
  done

  nohup "$PY" "$REPO/tests/support/cw_cbor_proxy.py" \
    --upstream "http://127.0.0.1:$moto_port" --port 0 --port-file "$STATE/proxy.port" \
    --request-log "$STATE/requests.jsonl" --moto-recording "$STATE/moto-recording.jsonl" \
    >"$STATE/proxy.log" 2>&1 </dev/null &
  echo $! >"$PROXY_PID"
  local proxy_port="" i
  for i in $(seq 1 $((START_TIMEOUT * 5))); do
    proxy_port="$(cat "$STATE/proxy.port" 2>/dev/null || true)"
    [ -n "$proxy_port" ] && break
    pid_alive "$PROXY_PID" cw_cbor_proxy.py || break
    sleep 0.2
  done
  if [ -z "$proxy_port" ] || ! wait_http "http://127.0.0.1:$proxy_port/__proxy/health" "$START_TIMEOUT"; then
    show_log "$STATE/proxy.log"
    cmd_stop >/dev/null 2>&1 || true
    die "the CloudWatch proxy did not start within ${START_TIMEOUT}s"
  fi

  local moto="http://127.0.0.1:$moto_port" proxy="http://127.0.0.1:$proxy_port"
  write_env "$ENV_FILE" "$moto" "$moto" "$proxy"
  write_env "$ENV_FILE_PROXY" "$proxy" "$moto" "$proxy"
  say "moto $moto (pid $(cat "$MOTO_PID")), proxy $proxy (pid $(cat "$PROXY_PID"))"
  say "env: . $ENV_FILE"
}

write_env() { # FILE ENDPOINT MOTO PROXY
  cat >"$1.tmp" <<EOF
# written by scripts/aws-emulator.sh start; removed by stop
export AWS_ENDPOINT_URL=$2
export AWS_ENDPOINT_URL_CLOUDWATCH=$4
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export OPSDECK_TEST_MOTO=$3
export OPSDECK_TEST_CLOUDWATCH=$4
export OPSDECK_TEST_PROXY=$4
export OPSDECK_TEST_REQUEST_LOG=$STATE/requests.jsonl
export OPSDECK_TEST_SEEDED=$STATE/seeded.json
EOF
  mv "$1.tmp" "$1"
}

cmd_stop() {
  stop_one "$PROXY_PID" cw_cbor_proxy.py proxy
  stop_one "$MOTO_PID" moto_server moto
  rm -f "$ENV_FILE" "$ENV_FILE_PROXY" "$STATE/proxy.port"
}

need_running() {
  running || die "the emulator is not running (scripts/aws-emulator.sh start)"
  # shellcheck disable=SC1090
  . "$ENV_FILE"
}

cmd_seed() {
  need_running
  "$PY" "$REPO/tests/support/seed.py" --out "$STATE/seeded.json" "$@"
}

cmd_selftest() {
  need_running
  "$PY" "$REPO/tests/support/selftest.py" "$@"
}

cmd_status() {
  if running; then
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    echo "running: moto $OPSDECK_TEST_MOTO (pid $(cat "$MOTO_PID")), proxy $OPSDECK_TEST_PROXY (pid $(cat "$PROXY_PID")); env $ENV_FILE"
  else
    echo "not running"
    return 1
  fi
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  seed) shift; cmd_seed "$@" ;;
  selftest) shift; cmd_selftest "$@" ;;
  status) shift; cmd_status "$@" ;;
  *) echo "usage: $0 start|seed|selftest|status|stop" >&2; exit 2 ;;
esac
