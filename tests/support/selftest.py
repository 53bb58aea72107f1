#!/usr/bin/env python3
"""TEST SUPPORT ONLY: check the emulator + proxy end to end, without Rust.

Needs a started and seeded emulator (scripts/aws-emulator.sh start && ... seed), reads
target/aws-emulator.env's variables from the environment (the script sources it) and
the expected values from $OPSDECK_TEST_SEEDED. Sends CloudWatch requests to the proxy
the way aws-sdk-cloudwatch does (Smithy RPC v2 CBOR), decodes the CBOR replies and
compares them with what seed.py put in; then sends other services through the proxy
and checks its request log. Ends with 'N passed, N failed'.
"""

import datetime as dt
import json
import os
import sys
import time
import urllib.error
import urllib.request

import boto3
import cbor2

PROXY = os.environ.get("OPSDECK_TEST_PROXY") or os.environ.get("OPSDECK_TEST_CLOUDWATCH")
SEEDED = os.environ.get("OPSDECK_TEST_SEEDED")
REQUEST_LOG = os.environ.get("OPSDECK_TEST_REQUEST_LOG")
CW_SERVICE = "GraniteServiceVersion20100801"

passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def ts(epoch):
    return cbor2.CBORTag(1, float(epoch))  # what the Rust SDK sends: tag 1 + double


def cbor_call(operation, body):
    """POST like aws-sdk-cloudwatch 1.140 does. Returns (status, headers, raw, decoded)."""
    now = dt.datetime.now(dt.timezone.utc)
    req = urllib.request.Request(
        f"{PROXY}/service/{CW_SERVICE}/operation/{operation}",
        data=cbor2.dumps(body), method="POST",
        headers={
            "content-type": "application/cbor", "accept": "application/cbor",
            "smithy-protocol": "rpc-v2-cbor", "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
            "authorization": ("AWS4-HMAC-SHA256 Credential=testing/" + now.strftime("%Y%m%d")
                              + "/us-east-1/monitoring/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"),
        })
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            return resp.status, dict(resp.headers), raw, cbor2.loads(raw)
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, dict(err.headers), raw, cbor2.loads(raw)


def metric(seeded, namespace, name, dims):
    for s in seeded["metrics"]["series"]:
        if s["namespace"] == namespace and s["metric"] == name and s["dimensions"] == dims:
            return s
    raise KeyError((namespace, name, dims))


def query(qid, namespace, name, dims, stat, **extra):
    q = {"Id": qid, "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": name,
         "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]}, "Period": 60, "Stat": stat}}
    q.update(extra)
    return q


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def main():
    if not (PROXY and SEEDED and os.path.exists(SEEDED)):
        sys.exit("selftest.py: start and seed the emulator first (scripts/aws-emulator.sh start && ... seed)")
    seeded = json.load(open(SEEDED))
    win = seeded["metrics"]["window"]
    start, end = win["start"], win["end"]
    expected_stamps = [start + 60 * i for i in range(win["points"])]
    api = {"ApiName": "crypto-watch-api"}
    cwa = {"FunctionName": "crypto-watch-api"}

    # ---- GetMetricData: percentile + plain statistics in one call, over CBOR
    queries = [
        query("lat_p95", "AWS/ApiGateway", "Latency", api, "p95"),
        query("count_sum", "AWS/ApiGateway", "Count", api, "Sum"),
        query("err5xx", "AWS/ApiGateway", "5XXError", api, "Sum"),
        query("dur_p50", "AWS/Lambda", "Duration", cwa, "p50"),
        query("dur_p99", "AWS/Lambda", "Duration", cwa, "p99"),
        query("hidden", "AWS/Lambda", "Invocations", cwa, "Sum", ReturnData=False),
        query("conn_writer", "AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": "profile-db-writer"}, "Maximum"),
        query("ddb_read", "AWS/DynamoDB", "ConsumedReadCapacityUnits", {"TableName": "crypto-watch-data"}, "Sum"),
        query("lat_p99_9", "AWS/ApiGateway", "Latency", api, "p99.9"),
        query("lat_wrong_ns", "AWS/Lambda", "Latency", api, "p95"),
        query("lat_avg", "AWS/ApiGateway", "Latency", api, "Average"),
    ]
    body = {"MetricDataQueries": queries, "StartTime": ts(start), "EndTime": ts(end)}
    status, headers, raw, reply = cbor_call("GetMetricData", body)
    check("GetMetricData answers 200 over CBOR", status == 200, f"status={status} body={reply}")
    check("reply has smithy-protocol: rpc-v2-cbor",
          {k.lower(): v for k, v in headers.items()}.get("smithy-protocol") == "rpc-v2-cbor")
    results = reply.get("MetricDataResults") or []
    ids = [r["Id"] for r in results]
    check("results keep query order and drop ReturnData=false",
          ids == [q["Id"] for q in queries if q.get("ReturnData", True)], str(ids))
    by_id = {r["Id"]: r for r in results}
    check("timestamps are tag 1 + double on the wire", b"\xc1\xfb" in raw and b"\xc1\x1a" not in raw)

    def series_check(qid, namespace, name, dims, stat):
        r = by_id.get(qid) or {}
        want = metric(seeded, namespace, name, dims)["per_minute"][stat]
        values = r.get("Values") or []
        stamps = sorted(t.timestamp() for t in r.get("Timestamps") or [])
        ok = (len(values) == win["points"] and all(close(v, want) for v in values)
              and stamps == expected_stamps and r.get("StatusCode") == "Complete")
        check(f"{qid}: {namespace} {name} {stat} = {want} x{win['points']}", ok,
              f"got {values[:5]}... n={len(values)} status={r.get('StatusCode')}")

    series_check("lat_p95", "AWS/ApiGateway", "Latency", api, "p95")
    series_check("count_sum", "AWS/ApiGateway", "Count", api, "Sum")
    series_check("err5xx", "AWS/ApiGateway", "5XXError", api, "Sum")
    series_check("dur_p50", "AWS/Lambda", "Duration", cwa, "p50")
    series_check("dur_p99", "AWS/Lambda", "Duration", cwa, "p99")
    series_check("conn_writer", "AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": "profile-db-writer"}, "Maximum")
    series_check("ddb_read", "AWS/DynamoDB", "ConsumedReadCapacityUnits", {"TableName": "crypto-watch-data"}, "Sum")
    series_check("lat_avg", "AWS/ApiGateway", "Latency", api, "Average")
    check("p99.9 is the top block (1500)", all(close(v, 1500.0) for v in by_id["lat_p99_9"]["Values"])
          and len(by_id["lat_p99_9"]["Values"]) == win["points"])
    check("percentile with the wrong namespace finds nothing", by_id["lat_wrong_ns"]["Values"] == [])
    desc = [t.timestamp() for t in by_id["lat_p95"]["Timestamps"]]
    check("default ScanBy is TimestampDescending", desc == sorted(desc, reverse=True))

    # 5-minute period: the percentile over 5 identical minutes is the same value
    q5 = query("p95_5m", "AWS/ApiGateway", "Latency", api, "p95")
    q5["MetricStat"]["Period"] = 300
    status, _h, _raw, reply5 = cbor_call("GetMetricData", {"MetricDataQueries": [q5], "StartTime": ts(start),
                                                           "EndTime": ts(end), "ScanBy": "TimestampAscending"})
    r5 = reply5["MetricDataResults"][0]
    check("p95 at period 300: 12 points of 900, ascending",
          status == 200 and r5["Values"] == [900.0] * 12
          and [t.timestamp() for t in r5["Timestamps"]] == [start + 300 * i for i in range(12)], str(r5)[:200])

    # ---- pagination by MaxDatapoints (moto never paginates; the proxy does)
    pages, token, guard = [], None, 0
    while guard < 50:
        guard += 1
        b = {"MetricDataQueries": queries, "StartTime": ts(start), "EndTime": ts(end), "MaxDatapoints": 70}
        if token:
            b["NextToken"] = token
        status, _h, _raw, page = cbor_call("GetMetricData", b)
        if status != 200:
            break
        pages.append(page)
        token = page.get("NextToken")
        if not token:
            break
    merged = {}
    for page in pages:
        for r in page["MetricDataResults"]:
            merged.setdefault(r["Id"], []).extend(r["Values"])
    check("MaxDatapoints=70 paginates with NextToken and loses nothing",
          len(pages) > 1 and all(merged.get(i) == by_id[i]["Values"] for i in by_id)
          and all(len(p["MetricDataResults"]) and sum(len(r["Values"]) for r in p["MetricDataResults"]) <= 70
                  for p in pages),
          f"pages={len(pages)}")

    # ---- DescribeAlarms
    status, _h, raw, alarms = cbor_call("DescribeAlarms", {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"]})
    metric_alarms = {a["AlarmName"]: a for a in alarms.get("MetricAlarms") or []}
    want_alarm = [a for a in seeded["alarms"] if a["state"] == "ALARM" and a["type"] == "metric"][0]
    got = metric_alarms.get(want_alarm["name"]) or {}
    check("DescribeAlarms: seeded alarm in ALARM with reason",
          status == 200 and got.get("StateValue") == "ALARM" and got.get("StateReason") == want_alarm["reason"]
          and json.loads(got.get("StateReasonData") or "{}").get("threshold") == 5.0, str(got)[:300])
    check("DescribeAlarms: timestamps decode to datetimes, Threshold a float, Period an int",
          isinstance(got.get("StateUpdatedTimestamp"), dt.datetime) and isinstance(got.get("Threshold"), float)
          and isinstance(got.get("Period"), int) and not isinstance(got.get("Period"), bool))
    ok_names = {a["name"] for a in seeded["alarms"] if a["state"] == "OK"}
    check("DescribeAlarms: the OK alarms are OK",
          ok_names and all(metric_alarms.get(n, {}).get("StateValue") == "OK" for n in ok_names))
    status, _h, _raw, only_alarm = cbor_call("DescribeAlarms", {"StateValue": "ALARM"})
    check("DescribeAlarms StateValue=ALARM filter",
          [a["AlarmName"] for a in only_alarm.get("MetricAlarms") or []] == [want_alarm["name"]])

    # ---- ListMetrics
    status, _h, _raw, listed = cbor_call("ListMetrics", {})
    found = {(m["Namespace"], m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m.get("Dimensions") or [])))
             for m in listed.get("Metrics") or []}
    wanted = {(s["namespace"], s["metric"], tuple(sorted(s["dimensions"].items()))) for s in seeded["metrics"]["series"]}
    check(f"ListMetrics lists all {len(wanted)} seeded series", status == 200 and wanted <= found,
          f"missing {sorted(wanted - found)[:3]}")
    status, _h, _raw, listed_ns = cbor_call("ListMetrics", {"Namespace": "AWS/RDS", "MetricName": "DatabaseConnections"})
    check("ListMetrics namespace+name filter", status == 200 and len(listed_ns.get("Metrics") or []) == 4,
          str(listed_ns)[:200])

    # ---- errors come back as CBOR with __type and message, same status
    status, headers, _raw, err = cbor_call("GetMetricData", {"MetricDataQueries": [{"Id": "bad"}], "StartTime": ts(start), "EndTime": ts(end)})
    check("moto's 400 comes back as a CBOR error", status == 400 and "__type" in err and err.get("message"), str(err))
    check("x-amzn-query-error is passed on (CloudWatch is awsQueryCompatible)",
          {k.lower(): v for k, v in headers.items()}.get("x-amzn-query-error", "").startswith("ValidationError"))
    status, headers, _raw, err = cbor_call("GetMetricData", {"MetricDataQueries": [], "StartTime": ts(start), "EndTime": ts(start)})
    check("StartTime == EndTime is a 400 ValidationError", status == 400 and err.get("__type") == "ValidationError", str(err))
    status, _h, _raw, err = cbor_call("DescribeAlarmHistory", {})
    check("moto's 500 (DescribeAlarmHistory not implemented) comes back as a CBOR error",
          status == 500 and err.get("__type") == "InternalFailure", str(err)[:200])

    # ---- other services through the proxy (AWS_ENDPOINT_URL may point at it)
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    lam = session.client("lambda", endpoint_url=PROXY)
    names = sorted(f["FunctionName"] for f in lam.list_functions()["Functions"])
    check("Lambda ListFunctions via proxy", names == sorted(f["name"] for f in seeded["lambda"]["functions"]), str(names))
    conc = lam.get_function_concurrency(FunctionName="crypto-watch-api").get("ReservedConcurrentExecutions")
    check("Lambda GetFunctionConcurrency via proxy = 100", conc == 100, str(conc))
    rds = session.client("rds", endpoint_url=PROXY)
    inst = {i["DBInstanceIdentifier"]: i["DBInstanceClass"] for i in rds.describe_db_instances()["DBInstances"]}
    check("RDS DescribeDBInstances via proxy", inst == {"profile-db-writer": "db.r6g.large", "profile-db-reader-1": "db.r6g.large"}, str(inst))
    ddb = session.client("dynamodb", endpoint_url=PROXY)
    table = ddb.describe_table(TableName="crypto-watch-data")["Table"]
    check("DynamoDB DescribeTable via proxy: 50/25",
          table["ProvisionedThroughput"]["ReadCapacityUnits"] == 50 and table["ProvisionedThroughput"]["WriteCapacityUnits"] == 25)
    logs = session.client("logs", endpoint_url=PROXY)
    events = logs.filter_log_events(logGroupName="/aws/lambda/crypto-watch-api")["events"]
    hostile = [e["message"] for e in events if "pwned" in e["message"]]
    check("Logs FilterLogEvents via proxy keeps the hostile bytes raw",
          hostile and "\u001b]0;pwned\u0007" in hostile[0] and "\u202e" in hostile[0], repr(hostile)[:200])
    cw_json = session.client("cloudwatch", endpoint_url=PROXY)  # boto3 speaks JSON 1.0 to CloudWatch
    r = cw_json.get_metric_data(MetricDataQueries=[query("j", "AWS/Lambda", "Duration", cwa, "p95")],
                                StartTime=dt.datetime.fromtimestamp(start, dt.timezone.utc),
                                EndTime=dt.datetime.fromtimestamp(end, dt.timezone.utc))["MetricDataResults"][0]
    check("JSON 1.0 GetMetricData p95 via proxy (boto3)", r["Values"] == [700.0] * win["points"], str(r)[:200])

    # ---- request log
    time.sleep(0.2)
    entries = [json.loads(line) for line in open(REQUEST_LOG)] if REQUEST_LOG and os.path.exists(REQUEST_LOG) else []
    pairs = {(e["service"], e["operation"]) for e in entries}
    for pair in [("monitoring", "GetMetricData"), ("monitoring", "DescribeAlarms"), ("monitoring", "ListMetrics"),
                 ("lambda", "ListFunctions"), ("lambda", "GetFunctionConcurrency"), ("rds", "DescribeDBInstances"),
                 ("dynamodb", "DescribeTable"), ("logs", "FilterLogEvents")]:
        check(f"request log has {pair[0]} {pair[1]}", pair in pairs)
    gmd = [e for e in entries if e["operation"] == "GetMetricData" and e["protocol"] == "rpc-v2-cbor"]
    check("request log counts metric queries per GetMetricData", gmd and gmd[0].get("metric_queries") == len(queries))

    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
