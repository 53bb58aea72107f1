#!/usr/bin/env python3
"""TEST SUPPORT ONLY - not part of opsdeck. A small HTTP proxy in front of moto.

Why it exists: aws-sdk-cloudwatch (Rust, 1.140) speaks only Smithy RPC v2 CBOR
(POST /service/GraniteServiceVersion20100801/operation/<Op>), while moto 5.2.5
speaks CloudWatch's JSON 1.0 and Query protocols. This proxy:

* turns CloudWatch CBOR requests into JSON 1.0 requests for moto and moto's JSON
  replies back into CBOR (types follow botocore's CloudWatch model: timestamps as
  tag 1 + float epoch seconds, doubles as floats, integers as ints, blobs as bytes;
  errors as a CBOR map with `__type` and `message`, same HTTP status);
* answers GetMetricData queries whose Stat is a percentile (p50, p95, p99.9 ...)
  itself, because moto crashes on them (HTTP 500). The raw values come from moto's
  own request recorder (moto_server started with MOTO_ENABLE_RECORDING and
  MOTO_RECORDER_FILEPATH): every PutMetricData moto received is replayed into an
  in-memory index, and a POST /moto-api/reset in that recording clears it. The
  other queries still go to moto in one call, and the results are merged in query
  order. This applies to JSON 1.0 GetMetricData too (boto3 uses JSON 1.0);
* paginates GetMetricData by MaxDatapoints with its own NextToken (moto never does);
* removes the duplicates moto puts in CBOR ListMetrics replies (one entry per stored
  datum for metrics with two or more dimensions);
* forwards every other request (any service, any protocol) unchanged, so that
  AWS_ENDPOINT_URL may point here as well;
* appends one JSON line per request (service, operation, protocol, status ...) to a
  request log, so tests can compare opsdeck's API-call counter with it.

Percentile queries answered here match the metric on Namespace, MetricName and the
exact set of Dimensions (as CloudWatch does). moto itself ignores the Namespace when
Dimensions are given; the queries moto answers keep that behaviour.
Percentile definition: nearest rank (smallest value with at least p% of the samples
at or below it). Buckets start at StartTime and step by Period, like moto's.
Not covered: PutMetricData sent with the Query protocol (only JSON 1.0 bodies are
read from the recording), StatisticValues (no raw values), tmNN/wmNN/... statistics.

Usage: cw_cbor_proxy.py --upstream http://127.0.0.1:MOTO [--port 0]
           [--request-log FILE] [--moto-recording FILE] [--port-file FILE]
           [--page-datapoints N]  (force small GetMetricData pages, to test NextToken)
Control: GET /__proxy/health ; POST /__proxy/request-log/reset (truncates the log).

Fault injection (for the fault tests; nothing changes while no fault is set). A fault
applies only to requests signed with one access key (the `Credential=AKID/...` of the
SigV4 Authorization header), so a test that gives its session a key of its own faults
only its own requests, whatever else shares the proxy:

  POST /__proxy/faults  {"key": "AKID...", "mode": MODE, "service": "*",
                         "operation": null, "seconds": 15, "count": null,
                         "variant": "garbage"}
      -> 200 {"id": N, ...the rule}; 400 with a message for a bad rule.
  GET /__proxy/faults                 -> the rules in force (JSON list)
  DELETE /__proxy/faults?key=AKID...  -> removes that key's rules (no key: every rule)

  key        required; the access key whose requests are faulted.
  service    the signing name of the credential scope, as in the request log:
             monitoring, logs, lambda, rds, dynamodb, sts ...; a list, or "*" (default).
  operation  optional: only this operation (a name or a list), as in the request log.
  count      optional: fault this many matching requests, then the rule is gone.
  MODE       throttle   the service's own throttling error, in its protocol: CloudWatch
                        CBOR `__type` ThrottlingException (+ x-amzn-query-error
                        Throttling;Sender), 400; JSON services (Logs, DynamoDB)
                        `__type` ThrottlingException, 400; Lambda 429 with
                        x-amzn-ErrorType TooManyRequestsException; Query services
                        (RDS, STS) <ErrorResponse> with Code Throttling, 400.
             deny       AccessDenied the same way: AccessDeniedException (CBOR 403 with
                        x-amzn-query-error AccessDenied;Sender, JSON 400, Lambda 403),
                        Code AccessDenied 403 for Query services; the message says which
                        action was not authorized.
             delay      hold the request `seconds` (default 15), then serve it as usual;
                        removing the rule ends the wait of requests being held.
             truncate   serve it, but close the connection half way through the body
                        (the Content-Length header announces the whole body).
             malformed  a 200 that cannot be read; `variant`: garbage (bytes no protocol
                        parses, the real Content-Type; default), half (the real body cut
                        in half, with a matching Content-Length) or html (an HTML error
                        page with Content-Type text/html, as a captive portal sends).
Faulted requests are logged like the others, with "fault": MODE (and "fault_variant").
"""

import argparse
import base64
import datetime as dt
import gzip
import http.client
import json
import math
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cbor2

CW_TARGET_PREFIX = "GraniteServiceVersion20100801"
CBOR_PATH_RE = re.compile(r"^/service/([^/]+)/operation/([^/?]+)")
PERCENTILE_RE = re.compile(r"^p(\d{1,2}(\.\d+)?|100(\.0+)?)$")
CREDENTIAL_SCOPE_RE = re.compile(r"Credential=[^/,]+/\d{8}/[^/,]+/([^/,]+)/aws4_request")
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailers", "transfer-encoding", "upgrade", "content-length",
}
DEFAULT_MAX_DATAPOINTS = 100_800
TOKEN_PREFIX = "opsdeck-test-proxy-page:"
QUERY_ERROR_KEY = "__x-amzn-query-error"

# Lambda speaks REST-JSON: name the operations opsdeck and the seed use.
LAMBDA_ROUTES = [
    ("GET", r"^/\d{4}-\d\d-\d\d/functions/?$", "ListFunctions"),
    ("POST", r"^/\d{4}-\d\d-\d\d/functions/?$", "CreateFunction"),
    ("GET", r"^/\d{4}-\d\d-\d\d/functions/[^/]+/concurrency/?$", "GetFunctionConcurrency"),
    ("PUT", r"^/\d{4}-\d\d-\d\d/functions/[^/]+/concurrency/?$", "PutFunctionConcurrency"),
    ("GET", r"^/\d{4}-\d\d-\d\d/functions/[^/]+/aliases/?$", "ListAliases"),
    ("GET", r"^/\d{4}-\d\d-\d\d/functions/[^/]+/versions/?$", "ListVersionsByFunction"),
    ("GET", r"^/\d{4}-\d\d-\d\d/functions/[^/]+/configuration/?$", "GetFunctionConfiguration"),
    ("POST", r"^/\d{4}-\d\d-\d\d/functions/[^/]+/invocations/?$", "Invoke"),
    ("GET", r"^/\d{4}-\d\d-\d\d/functions/[^/]+/?$", "GetFunction"),
    ("DELETE", r"^/\d{4}-\d\d-\d\d/functions/[^/]+/?$", "DeleteFunction"),
    ("GET", r"^/\d{4}-\d\d-\d\d/account-settings/?$", "GetAccountSettings"),
    ("GET", r"^/\d{4}-\d\d-\d\d/tags/.+$", "ListTags"),
]


# ---------------------------------------------------------------- conversions

def epoch_seconds(value):
    """A timestamp from JSON/CBOR (number, ISO string or datetime) as float seconds."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return parsed.timestamp()
    raise ValueError(f"not a timestamp: {value!r}")


def cbor_to_json_ready(value):
    """Decoded CBOR request -> JSON 1.0 values (timestamps as epoch numbers, blobs base64)."""
    if isinstance(value, dict):
        return {k: cbor_to_json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [cbor_to_json_ready(v) for v in value]
    if isinstance(value, dt.datetime):
        return epoch_seconds(value)
    if isinstance(value, cbor2.CBORTag) and value.tag == 1:
        return float(value.value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if value is cbor2.undefined:
        return None
    return value


def json_to_cbor_value(shape, value):
    """A JSON 1.0 response value -> the CBOR value the Smithy shape expects."""
    if value is None:
        return None
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        out = {}
        for key, item in value.items():
            if item is None:
                continue  # absent and null mean the same; absent is safest
            out[key] = json_to_cbor_value(shape.members.get(key), item)
        return out
    if kind == "list":
        return [json_to_cbor_value(shape.member, v) for v in value]
    if kind == "map":
        return {k: json_to_cbor_value(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return cbor2.CBORTag(1, float(epoch_seconds(value)))
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long", "short", "byte"):
        return int(value)
    if kind == "boolean":
        return bool(value) if not isinstance(value, str) else value.lower() == "true"
    if kind == "blob":
        return base64.b64decode(value) if isinstance(value, str) else bytes(value)
    return value


class CloudWatchModel:
    """botocore's CloudWatch service model, loaded once (it ships in the venv)."""

    def __init__(self):
        import botocore.session

        self._model = botocore.session.get_session().get_service_model("cloudwatch")

    def output_shape(self, operation):
        try:
            return self._model.operation_model(operation).output_shape
        except Exception:
            return None


# ------------------------------------------------- raw values for percentiles

class RawMetricStore:
    """Index of every raw value moto received through PutMetricData, read
    incrementally from moto's request recording (JSON lines)."""

    def __init__(self, recording_path):
        self.path = recording_path
        self.lock = threading.Lock()
        self._clear()

    def _clear(self):
        self.offset = 0
        # (namespace, name, frozenset(dims)) -> list of (epoch, value, count, unit)
        self.points = defaultdict(list)

    def refresh(self):
        if not self.path:
            return
        with self.lock:
            try:
                size = os.path.getsize(self.path)
            except OSError:
                self._clear()
                return
            if size < self.offset:  # recording was reset or replaced
                self._clear()
            if size == self.offset:
                return
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read(size - self.offset)
            end = chunk.rfind(b"\n")
            if end < 0:
                return
            self.offset += end + 1
            for line in chunk[: end + 1].splitlines():
                self._ingest_line(line)

    def _ingest_line(self, line):
        try:
            entry = json.loads(line)
        except ValueError:
            return  # a torn line (moto writes without a lock); skip it
        url = entry.get("url") or ""
        if entry.get("method") == "POST" and urllib.parse.urlsplit(url).path.rstrip("/") == "/moto-api/reset":
            self.points.clear()
            return
        headers = {str(k).lower(): v for k, v in (entry.get("headers") or {}).items()}
        if headers.get("x-amz-target") != CW_TARGET_PREFIX + ".PutMetricData":
            return
        body = entry.get("body") or ""
        try:
            raw = base64.b64decode(body) if entry.get("body_encoded") else body.encode()
            if "gzip" in str(headers.get("content-encoding", "")).lower():
                raw = gzip.decompress(raw)  # botocore compresses large PutMetricData bodies
            request = json.loads(raw or b"{}")
        except (ValueError, OSError, EOFError):
            return
        now = time.time()
        namespace = request.get("Namespace")
        for datum in request.get("MetricData") or []:
            dims = frozenset((d.get("Name"), d.get("Value")) for d in datum.get("Dimensions") or [])
            key = (namespace, datum.get("MetricName"), dims)
            stamp = datum.get("Timestamp")
            # Without a Timestamp moto uses the time it received the value; the
            # time we read the line is close enough for tests.
            when = epoch_seconds(stamp) if stamp is not None else now
            unit = datum.get("Unit")
            if datum.get("Values"):
                counts = datum.get("Counts") or [1] * len(datum["Values"])
                for value, count in zip(datum["Values"], counts):
                    self.points[key].append((when, float(value), int(float(count)), unit))
            elif "Value" in datum:
                self.points[key].append((when, float(datum["Value"]), 1, unit))

    def samples(self, namespace, name, dims, unit):
        self.refresh()
        with self.lock:
            found = list(self.points.get((namespace, name, frozenset(dims)), ()))
        if unit:
            found = [p for p in found if p[3] == unit]
        return found


def nearest_rank(values_with_counts, pct):
    ordered = sorted(values_with_counts)
    total = sum(c for _, c in ordered)
    if total == 0:
        return None
    rank = max(1, math.ceil(pct / 100.0 * total))
    seen = 0
    for value, count in ordered:
        seen += count
        if seen >= rank:
            return value
    return ordered[-1][0]


# ------------------------------------------------------------ GetMetricData

class MetricDataHandler:
    def __init__(self, store, forward_json, page_override=None):
        self.store = store
        self.forward_json = forward_json  # (operation, dict, headers) -> (status, dict)
        self.page_override = page_override

    def handle(self, request, headers=None):
        """request: JSON-ready dict; headers: the client's (lower-case), for the
        signature/region moto reads. Returns (status, dict) in JSON 1.0 terms."""
        queries = request.get("MetricDataQueries") or []
        try:
            start = epoch_seconds(request["StartTime"])
            end = epoch_seconds(request["EndTime"])
        except (KeyError, ValueError) as exc:
            return 400, error_body("ValidationError", f"StartTime/EndTime: {exc}")
        if start >= end:
            return 400, error_body("ValidationError", "The parameter StartTime must be less than the parameter EndTime.")
        offset = 0
        token = request.get("NextToken")
        if token:
            if not str(token).startswith(TOKEN_PREFIX):
                return 400, error_body("InvalidNextToken", "The service returned an invalid NextToken.")
            offset = int(str(token)[len(TOKEN_PREFIX):])
        scan_by = request.get("ScanBy") or "TimestampDescending"

        def is_percentile(q):
            stat = (q.get("MetricStat") or {}).get("Stat") or ""
            return bool(PERCENTILE_RE.match(stat))

        local = [q for q in queries if is_percentile(q)]
        remote = [q for q in queries if not is_percentile(q)]
        by_id = {}
        if remote:
            sub = {k: v for k, v in request.items()
                   if k not in ("MetricDataQueries", "NextToken", "MaxDatapoints")}
            sub["MetricDataQueries"] = remote
            status, reply = self.forward_json("GetMetricData", sub, headers)
            if status != 200:
                return status, reply
            for result in reply.get("MetricDataResults") or []:
                by_id[result.get("Id")] = result
        for query in local:
            by_id[query["Id"]] = self._percentile_result(query, start, end, scan_by)

        ordered = [by_id[q["Id"]] for q in queries
                   if q.get("ReturnData", True) is not False and q.get("Id") in by_id]
        limit = int(request.get("MaxDatapoints") or DEFAULT_MAX_DATAPOINTS)
        if self.page_override:
            limit = min(limit, self.page_override)
        return 200, paginate(ordered, offset, max(1, limit))

    def _percentile_result(self, query, start, end, scan_by):
        stat = query["MetricStat"]
        metric = stat.get("Metric") or {}
        pct = float(stat["Stat"][1:])
        period = int(stat.get("Period") or 60)
        dims = [(d.get("Name"), d.get("Value")) for d in metric.get("Dimensions") or []]
        samples = self.store.samples(metric.get("Namespace"), metric.get("MetricName"), dims, stat.get("Unit"))
        buckets = defaultdict(list)
        for when, value, count, _unit in samples:
            if start <= when < end:
                index = int((when - start) // period)
                buckets[index].append((value, count))
        timestamps, values = [], []
        for index in sorted(buckets):
            value = nearest_rank(buckets[index], pct)
            if value is not None:
                timestamps.append(start + index * period)
                values.append(value)
        if scan_by == "TimestampDescending":
            timestamps.reverse()
            values.reverse()
        return {
            "Id": query["Id"],
            "Label": query.get("Label") or f"{metric.get('MetricName')} {stat['Stat']}",
            "Timestamps": timestamps,
            "Values": values,
            "StatusCode": "Complete",
        }


def paginate(results, offset, limit):
    """Slices the flattened datapoints [offset, offset+limit) and keeps each
    result's Id; a result cut by the page end is PartialData, NextToken follows."""
    total = sum(len(r.get("Values") or []) for r in results)
    page_end = offset + limit
    page = []
    position = 0
    for result in results:
        values = result.get("Values") or []
        stamps = result.get("Timestamps") or []
        first, last = position, position + len(values)
        position = last
        lo, hi = max(first, offset), min(last, page_end)
        if not values:
            if offset <= first and (first < page_end or page_end >= total):
                page.append(dict(result, Values=[], Timestamps=[]))
            continue
        if lo >= hi:
            continue
        item = dict(result)
        item["Values"] = values[lo - first: hi - first]
        item["Timestamps"] = stamps[lo - first: hi - first]
        item["StatusCode"] = "PartialData" if hi < last else result.get("StatusCode", "Complete")
        page.append(item)
    reply = {"MetricDataResults": page, "Messages": []}
    if page_end < total:
        reply["NextToken"] = f"{TOKEN_PREFIX}{page_end}"
    return reply


def unique_metrics(metrics):
    """moto 5.2.5 lists a metric with two or more dimensions once per stored datum;
    CloudWatch lists it once."""
    seen, out = set(), []
    for m in metrics:
        key = (m.get("Namespace"), m.get("MetricName"),
               tuple(sorted((d.get("Name"), d.get("Value")) for d in m.get("Dimensions") or [])))
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def error_body(code, message):
    return {"__type": code, "message": message}


# ------------------------------------------------------------- request log

class RequestLog:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def write(self, entry):
        if not self.path:
            return
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)

    def reset(self):
        if self.path:
            with self.lock, open(self.path, "w", encoding="utf-8"):
                pass


def access_key(authorization):
    """The access key id of a SigV4 `Authorization` header (`... Credential=AKID/date/...`)."""
    m = re.search(r"Credential=([^/,\s]+)/", authorization)
    return m.group(1) if m else None


def identify(method, raw_path, headers, body):
    """(service, operation, protocol) of a request, whatever its protocol."""
    path, _, query = raw_path.partition("?")
    auth = headers.get("authorization", "")
    scope = CREDENTIAL_SCOPE_RE.search(auth)
    service = scope.group(1) if scope else None
    cbor = CBOR_PATH_RE.match(path)
    if cbor:
        name = "monitoring" if cbor.group(1) == CW_TARGET_PREFIX else cbor.group(1)
        return service or name, cbor.group(2), "rpc-v2-cbor"
    target = headers.get("x-amz-target")
    if target:
        prefix, _, operation = target.rpartition(".")
        known = {CW_TARGET_PREFIX: "monitoring", "Logs_20140328": "logs", "DynamoDB_20120810": "dynamodb"}
        return service or known.get(prefix, prefix), operation, "json"
    if path.startswith("/moto-api"):
        return "moto-api", path[len("/moto-api"):].strip("/") or "dashboard", "moto-api"
    action = urllib.parse.parse_qs(query).get("Action")
    if not action and "x-www-form-urlencoded" in headers.get("content-type", ""):
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
    if action:
        return service or "unknown", action[0], "query"
    if service == "lambda" or path.startswith(("/2015-03-31/", "/2016-08-19/", "/2017-03-31/", "/2017-10-31/", "/2019-09-30/")):
        for verb, pattern, operation in LAMBDA_ROUTES:
            if verb == method and re.match(pattern, path):
                return service or "lambda", operation, "rest-json"
    return service or "unknown", f"{method} {path}", "rest"


# ---------------------------------------------------------- fault injection

FAULT_MODES = ("throttle", "deny", "delay", "truncate", "malformed")
MALFORMED_VARIANTS = ("garbage", "half", "html")
GARBAGE = b"\xff\xfe\x00opsdeck test proxy: malformed response \x9f\x9f\x1c"
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
             b"<body><h1>Bad Gateway</h1><p>opsdeck test proxy: an HTML page instead of "
             b"the service's answer.</p></body></html>\n")


def _names(value, field):
    """A rule's service/operation field: None or "*" (any), a name, or a list of names."""
    if value is None or value == "*":
        return None
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return None if "*" in value else list(value)
    raise ValueError(f"`{field}` must be \"*\", a name or a list of names, found {value!r}")


class Faults:
    """The fault rules in force, per signing access key (see the module docstring)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.next_id = 1

    def add(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("expected a JSON object")
        unknown = set(spec) - {"key", "mode", "service", "operation", "seconds", "count", "variant"}
        if unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)}")
        key = spec.get("key")
        if not isinstance(key, str) or not key:
            raise ValueError("`key` (the access key whose requests are faulted) is required")
        mode = spec.get("mode")
        if mode not in FAULT_MODES:
            raise ValueError(f"`mode` must be one of {', '.join(FAULT_MODES)}, found {mode!r}")
        seconds = spec.get("seconds", 15)
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 <= seconds <= 600:
            raise ValueError(f"`seconds` must be a number from 0 to 600, found {seconds!r}")
        count = spec.get("count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise ValueError(f"`count` must be a positive integer, found {count!r}")
        variant = spec.get("variant") or "garbage"
        if variant not in MALFORMED_VARIANTS:
            raise ValueError(f"`variant` must be one of {', '.join(MALFORMED_VARIANTS)}, found {variant!r}")
        rule = {
            "key": key, "mode": mode,
            "service": _names(spec.get("service"), "service"),
            "operation": _names(spec.get("operation"), "operation"),
            "seconds": float(seconds), "count": count, "variant": variant,
        }
        with self.lock:
            rule["id"] = self.next_id
            self.next_id += 1
            self.rules.append(rule)
        return rule

    def clear(self, key=None):
        with self.lock:
            before = len(self.rules)
            self.rules = [r for r in self.rules if key is not None and r["key"] != key]
            return before - len(self.rules)

    def list(self):
        with self.lock:
            return [dict(r) for r in self.rules]

    def match(self, key, service, operation):
        """The first rule for this request (a counted rule is used up), or None."""
        if not key or not self.rules:
            return None
        with self.lock:
            for rule in self.rules:
                if rule["key"] != key:
                    continue
                if rule["service"] is not None and service not in rule["service"]:
                    continue
                if rule["operation"] is not None and operation not in rule["operation"]:
                    continue
                if rule["count"] is not None:
                    rule["count"] -= 1
                    if rule["count"] <= 0:
                        self.rules.remove(rule)
                return dict(rule)
        return None

    def in_force(self, rule_id):
        with self.lock:
            return any(r["id"] == rule_id for r in self.rules)


def fault_error(mode, protocol, service, operation, headers):
    """(status, headers, body): the service's own throttling or AccessDenied error, in its
    protocol, so that the SDK classifies it as it would AWS's."""
    throttle = mode == "throttle"
    action = f"{service}:{operation}"
    if throttle:
        message = f"Rate exceeded (injected by the opsdeck test proxy on {action})"
    else:
        message = (f"User: arn:aws:iam::123456789012:user/opsdeck-test is not authorized to "
                   f"perform: {action} (injected by the opsdeck test proxy)")
    if protocol == "rpc-v2-cbor":
        code, query, status = (("ThrottlingException", "Throttling;Sender", 400) if throttle
                               else ("AccessDeniedException", "AccessDenied;Sender", 403))
        return status, [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                        ("x-amzn-query-error", query)], cbor2.dumps(error_body(code, message))
    if protocol == "query":
        code, status = ("Throttling", 400) if throttle else ("AccessDenied", 403)
        body = ("<ErrorResponse><Error><Type>Sender</Type>"
                f"<Code>{code}</Code><Message>{message}</Message></Error>"
                "<RequestId>00000000-0000-4000-8000-0000000fa017</RequestId></ErrorResponse>")
        return status, [("Content-Type", "text/xml")], body.encode()
    if protocol == "rest-json":
        code, status = ("TooManyRequestsException", 429) if throttle else ("AccessDeniedException", 403)
        body = {"Type": "User", "message": message}
        if throttle:
            body["Reason"] = "CallerRateLimitExceeded"
        return status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)], json.dumps(body).encode()
    # JSON 1.0 / 1.1 (Logs, DynamoDB, CloudWatch JSON) and anything else
    code = "ThrottlingException" if throttle else "AccessDeniedException"
    content_type = headers.get("content-type", "")
    if not content_type.startswith("application/x-amz-json"):
        content_type = "application/x-amz-json-1.0"
    out = [("Content-Type", content_type), ("x-amzn-ErrorType", code)]
    if headers.get("x-amz-target", "").startswith(CW_TARGET_PREFIX + "."):
        out.append(("x-amzn-query-error", "Throttling;Sender" if throttle else "AccessDenied;Sender"))
    return 400, out, json.dumps({"__type": code, "message": message}).encode()


# ------------------------------------------------------------------ server

class Proxy:
    def __init__(self, upstream, request_log, store, page_override):
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.log = request_log
        self.store = store
        self.model = CloudWatchModel()
        self.metric_data = MetricDataHandler(store, self.forward_cloudwatch_json, page_override)
        self.faults = Faults()

    def send_upstream(self, method, path, headers, body):
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=120)
        try:
            conn.request(method, path, body=body if body or method in ("POST", "PUT", "PATCH") else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.getheaders(), data
        finally:
            conn.close()

    def forward_cloudwatch_json(self, operation, payload, extra_headers=None):
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"{CW_TARGET_PREFIX}.{operation}",
            "Host": f"{self.upstream_host}:{self.upstream_port}",
        }
        for key, value in (extra_headers or {}).items():
            if key.lower() in ("authorization", "x-amz-date", "x-amz-security-token", "user-agent", "amz-sdk-invocation-id", "amz-sdk-request"):
                headers[key] = value
        if not any(k.lower() == "authorization" for k in headers):
            # moto picks the service and region from the SigV4 credential scope
            headers["Authorization"] = ("AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/monitoring/"
                                        "aws4_request, SignedHeaders=host, Signature=0")
        status, reply_headers, data = self.send_upstream("POST", "/", headers, json.dumps(payload).encode())
        reply = parse_json_reply(status, data)
        query_error = [v for k, v in reply_headers if k.lower() == "x-amzn-query-error"]
        if status >= 400 and query_error:
            reply[QUERY_ERROR_KEY] = query_error[0]  # CloudWatch is awsQueryCompatible
        return status, reply


def parse_json_reply(status, data):
    try:
        reply = json.loads(data or b"{}")
        if isinstance(reply, dict):
            if status >= 400 and "message" not in reply:
                reply["message"] = reply.get("Message") or ""
            if status >= 400 and "__type" not in reply:
                reply["__type"] = "InternalFailure"
            return reply
    except ValueError:
        pass
    if status >= 400:
        text = re.sub(r"<[^>]+>", " ", data.decode("utf-8", "replace"))
        text = " ".join(text.split())[:300]
        code = "InternalFailure" if status >= 500 else "ValidationError"
        return error_body(code, f"moto answered HTTP {status}: {text}")
    return {}


def make_handler(proxy):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "opsdeck-test-proxy"

        def log_message(self, fmt, *args):  # quiet: the request log is the record
            if os.environ.get("CW_PROXY_VERBOSE"):
                sys.stderr.write("proxy: " + (fmt % args) + "\n")

        def read_body(self):
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
                return b"".join(parts)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def reply(self, status, headers, body, cut_at=None):
            """Send the response; with `cut_at`, only that much of the body is sent (the
            Content-Length still announces all of it) and the connection is closed."""
            try:
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in HOP_BY_HOP and key.lower() not in ("server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body if cut_at is None else body[:cut_at])
                if cut_at is not None:
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                # The client gave up (e.g. its timeout during an injected delay).
                self.close_connection = True

        def handle_any(self):
            started = time.time()
            body = self.read_body()
            lower = {k.lower(): v for k, v in self.headers.items()}
            path = self.path
            decoded = body
            if "gzip" in lower.get("content-encoding", "").lower():
                try:
                    decoded = gzip.decompress(body)
                except (OSError, EOFError):
                    pass
            if path.startswith("/__proxy/"):
                return self.control(path, body)
            service, operation, protocol = identify(self.command, path, lower, decoded)
            extra = {}
            key = access_key(lower.get("authorization", ""))
            fault = proxy.faults.match(key, service, operation)
            if fault:
                extra["fault"] = fault["mode"]
                if fault["mode"] == "malformed":
                    extra["fault_variant"] = fault["variant"]
                if fault["mode"] in ("throttle", "deny"):
                    status, headers, data = fault_error(fault["mode"], protocol, service, operation, lower)
                    return self.finish_request(started, service, operation, protocol, path, status,
                                               lower, extra, headers, data)
                if fault["mode"] == "delay":
                    until = time.time() + fault["seconds"]
                    while time.time() < until and proxy.faults.in_force(fault["id"]):
                        time.sleep(min(0.1, max(0.0, until - time.time())))
            try:
                if protocol == "rpc-v2-cbor" and service == "monitoring":
                    status, headers, data, more = self.cloudwatch_cbor(operation, decoded, lower)
                    extra.update(more)
                elif protocol == "json" and lower.get("x-amz-target") == CW_TARGET_PREFIX + ".GetMetricData":
                    status, headers, data, more = self.cloudwatch_json_metric_data(decoded, lower)
                    extra.update(more)
                else:
                    fwd = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
                    status, headers, data = proxy.send_upstream(self.command, path, dict(fwd), body)
            except Exception as exc:  # never hang the client: answer 502
                status, headers = 502, [("Content-Type", "text/plain")]
                data = f"opsdeck test proxy: {type(exc).__name__}: {exc}".encode()
            cut_at = None
            if fault and fault["mode"] == "truncate":
                cut_at = len(data) // 2
            elif fault and fault["mode"] == "malformed":
                status = 200
                if fault["variant"] == "half":
                    data = data[: len(data) // 2]
                elif fault["variant"] == "html":
                    headers = [("Content-Type", "text/html; charset=utf-8")]
                    data = HTML_PAGE
                else:
                    data = GARBAGE
            self.finish_request(started, service, operation, protocol, path, status, lower,
                                extra, headers, data, cut_at)

        def finish_request(self, started, service, operation, protocol, path, status, lower,
                           extra, headers, data, cut_at=None):
            entry = {
                "ts": round(started, 3), "service": service, "operation": operation,
                "protocol": protocol, "method": self.command, "path": path.split("?")[0],
                "status": status, "ms": round((time.time() - started) * 1000, 1),
                # The signing access key: a test gives its session a key of its own and
                # picks its requests out of the shared log by it.
                "key": access_key(lower.get("authorization", "")),
            }
            entry.update(extra)
            proxy.log.write(entry)
            self.reply(status, headers, data, cut_at)

        def control(self, path, body=b""):
            if path.startswith("/__proxy/health"):
                return self.reply(200, [("Content-Type", "text/plain")], b"ok")
            if path.startswith("/__proxy/request-log/reset") and self.command == "POST":
                proxy.log.reset()
                return self.reply(200, [("Content-Type", "text/plain")], b"reset")
            if path.split("?")[0].rstrip("/") == "/__proxy/faults":
                return self.control_faults(path, body)
            return self.reply(404, [("Content-Type", "text/plain")], b"unknown control path")

        def control_faults(self, path, body):
            as_json = [("Content-Type", "application/json")]
            if self.command == "GET":
                return self.reply(200, as_json, json.dumps(proxy.faults.list()).encode())
            if self.command == "POST":
                try:
                    rule = proxy.faults.add(json.loads(body or b"null"))
                except ValueError as exc:
                    return self.reply(400, [("Content-Type", "text/plain")],
                                      f"bad fault rule: {exc}".encode())
                return self.reply(200, as_json, json.dumps(rule).encode())
            if self.command == "DELETE":
                key = urllib.parse.parse_qs(path.partition("?")[2]).get("key")
                removed = proxy.faults.clear(key[0] if key else None)
                return self.reply(200, as_json, json.dumps({"removed": removed}).encode())
            return self.reply(405, [("Content-Type", "text/plain")], b"use GET, POST or DELETE")

        def cloudwatch_cbor(self, operation, body, headers):
            try:
                request = cbor_to_json_ready(cbor2.loads(body)) if body else {}
            except Exception as exc:
                return self.cbor_reply(400, error_body("SerializationException", f"bad CBOR body: {exc}"), operation) + ({},)
            if not isinstance(request, dict):
                return self.cbor_reply(400, error_body("SerializationException", "the CBOR body is not a map"), operation) + ({},)
            extra = {}
            if operation == "GetMetricData":
                extra["metric_queries"] = len(request.get("MetricDataQueries") or [])
                status, reply = proxy.metric_data.handle(request, headers)
            else:
                status, reply = proxy.forward_cloudwatch_json(operation, request, headers)
                if operation == "ListMetrics" and status == 200:
                    reply["Metrics"] = unique_metrics(reply.get("Metrics") or [])
            return self.cbor_reply(status, reply, operation) + (extra,)

        def cbor_reply(self, status, reply, operation):
            if status >= 400:
                payload = error_body(reply.get("__type") or "InternalFailure", reply.get("message") or reply.get("Message") or "")
                query_error = reply.get(QUERY_ERROR_KEY)
            else:
                payload = json_to_cbor_value(proxy.model.output_shape(operation), reply) or {}
                query_error = None
            headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
            if query_error:
                headers.append(("x-amzn-query-error", query_error))
            return status, headers, cbor2.dumps(payload)

        def cloudwatch_json_metric_data(self, body, headers):
            request = json.loads(body or b"{}")
            status, reply = proxy.metric_data.handle(request, headers)
            extra = {"metric_queries": len(request.get("MetricDataQueries") or [])}
            out_headers = [("Content-Type", "application/x-amz-json-1.0")]
            query_error = reply.pop(QUERY_ERROR_KEY, None)
            if query_error:
                out_headers.append(("x-amzn-query-error", query_error))
            return status, out_headers, json.dumps(reply).encode(), extra

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description="TEST SUPPORT: CBOR<->JSON CloudWatch proxy in front of moto")
    parser.add_argument("--upstream", default=os.environ.get("CW_PROXY_UPSTREAM", "http://127.0.0.1:5000"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CW_PROXY_PORT", "0")))
    parser.add_argument("--request-log", default=os.environ.get("CW_PROXY_REQUEST_LOG"))
    parser.add_argument("--moto-recording", default=os.environ.get("MOTO_RECORDER_FILEPATH"))
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--page-datapoints", type=int, default=int(os.environ.get("CW_PROXY_PAGE_DATAPOINTS", "0")),
                        help="force GetMetricData pages of at most N datapoints (tests of NextToken)")
    args = parser.parse_args(argv)

    proxy = Proxy(args.upstream, RequestLog(args.request_log), RawMetricStore(args.moto_recording),
                  args.page_datapoints or None)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(proxy))
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as fh:
            fh.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"LISTENING http://{args.host}:{port} -> {args.upstream}", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
