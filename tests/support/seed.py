#!/usr/bin/env python3
"""TEST SUPPORT ONLY: reset moto and seed a known account that mirrors opsdeck's demo.

Endpoint: --endpoint, else $OPSDECK_TEST_MOTO, else $AWS_ENDPOINT_URL. Talk to moto
directly (not through the proxy) so that the proxy's request log holds only the calls
of the code under test; the proxy still learns the raw metric values from moto's
request recording.

Prints a JSON summary (names and expected values) and writes it to --out
(scripts/aws-emulator.sh seed: target/aws-emulator/seeded.json).
"""

import argparse
import io
import json
import math
import os
import sys
import time
import urllib.request
import zipfile

import boto3
import botocore.config
import botocore.exceptions

REGION = "us-east-1"
MINUTES = 60
PERCENTILES = (50, 90, 95, 99)

# Latency-like series: 100 raw samples per minute with counts chosen so that p50,
# p90, p95 and p99 fall inside a block of equal values: nearest-rank and
# interpolating percentile definitions all give the same answer.
SHAPE_COUNTS = [40, 20, 32, 4, 4]  # ranks 1-40, 41-60, 61-92, 93-96, 97-100

FUNCTIONS = [
    {"name": "crypto-watch-api", "reserved_concurrency": 100, "memory": 512, "timeout": 10,
     "invocations": 1000, "errors": 10, "throttles": 5, "concurrent": 35,
     "duration_values": [20.0, 60.0, 150.0, 700.0, 1200.0]},
    {"name": "crypto-watch-price-update", "reserved_concurrency": None, "memory": 256, "timeout": 60,
     "invocations": 1, "errors": 0, "throttles": 0, "concurrent": 1,
     "duration_values": [850.0], "duration_counts": [1]},
    {"name": "profile-api", "reserved_concurrency": None, "memory": 1024, "timeout": 15,
     "invocations": 400, "errors": 2, "throttles": 0, "concurrent": 12,
     "duration_values": [15.0, 40.0, 90.0, 400.0, 800.0]},
]
API_NAME = "crypto-watch-api"
CLUSTER = "profile-db"
INSTANCES = [("profile-db-writer", "WRITER", 42), ("profile-db-reader-1", "READER", 7)]
INSTANCE_CLASS = "db.r6g.large"
TABLES = [
    {"name": "crypto-watch-data", "billing_mode": "PROVISIONED", "rcu": 50, "wcu": 25,
     "consumed_read_per_minute": 1800, "consumed_write_per_minute": 600,
     "gsi": {"name": "symbol-index", "rcu": 10, "wcu": 5,
             "consumed_read_per_minute": 120, "consumed_write_per_minute": 60}},
    {"name": "crypto-watch-sessions", "billing_mode": "PAY_PER_REQUEST",
     "consumed_read_per_minute": 300, "consumed_write_per_minute": 120, "gsi": None},
]


def series(namespace, metric, dimensions, unit, values, counts=None):
    counts = counts or [1] * len(values)
    return {"namespace": namespace, "metric": metric, "dimensions": dimensions, "unit": unit,
            "raw": {"values": values, "counts": counts}}


def nearest_rank(values, counts, pct):
    pairs = sorted(zip(values, counts))
    total = sum(counts)
    rank = max(1, math.ceil(pct / 100.0 * total))
    seen = 0
    for value, count in pairs:
        seen += count
        if seen >= rank:
            return value
    return pairs[-1][0]


def per_minute_stats(raw):
    values, counts = raw["values"], raw["counts"]
    total = sum(v * c for v, c in zip(values, counts))
    n = sum(counts)
    stats = {"Sum": total, "SampleCount": float(n), "Average": total / n,
             "Minimum": min(values), "Maximum": max(values)}
    for p in PERCENTILES:
        stats[f"p{p}"] = nearest_rank(values, counts, p)
    return stats


def all_series():
    out = []
    api = {"ApiName": API_NAME}
    out.append(series("AWS/ApiGateway", "Count", api, "Count", [1000.0]))
    out.append(series("AWS/ApiGateway", "4XXError", api, "Count", [30.0]))
    out.append(series("AWS/ApiGateway", "5XXError", api, "Count", [20.0]))
    out.append(series("AWS/ApiGateway", "Latency", api, "Milliseconds",
                      [30.0, 80.0, 200.0, 900.0, 1500.0], SHAPE_COUNTS))
    for fn in FUNCTIONS:
        dims = {"FunctionName": fn["name"]}
        out.append(series("AWS/Lambda", "Invocations", dims, "Count", [float(fn["invocations"])]))
        out.append(series("AWS/Lambda", "Errors", dims, "Count", [float(fn["errors"])]))
        out.append(series("AWS/Lambda", "Throttles", dims, "Count", [float(fn["throttles"])]))
        out.append(series("AWS/Lambda", "ConcurrentExecutions", dims, "Count", [float(fn["concurrent"])]))
        out.append(series("AWS/Lambda", "Duration", dims, "Milliseconds", fn["duration_values"],
                          fn.get("duration_counts") or SHAPE_COUNTS))
    for instance, role, connections in INSTANCES:
        dims = {"DBInstanceIdentifier": instance}
        out.append(series("AWS/RDS", "DatabaseConnections", dims, "Count", [float(connections)]))
        out.append(series("AWS/RDS", "ReadLatency", dims, "Seconds", [0.002 if role == "READER" else 0.003]))
        out.append(series("AWS/RDS", "WriteLatency", dims, "Seconds", [0.004]))
        out.append(series("AWS/RDS", "DatabaseConnections", {"DBClusterIdentifier": CLUSTER, "Role": role},
                          "Count", [float(connections)]))
    for table in TABLES:
        dims = {"TableName": table["name"]}
        out.append(series("AWS/DynamoDB", "ConsumedReadCapacityUnits", dims, "Count",
                          [float(table["consumed_read_per_minute"])]))
        out.append(series("AWS/DynamoDB", "ConsumedWriteCapacityUnits", dims, "Count",
                          [float(table["consumed_write_per_minute"])]))
        out.append(series("AWS/DynamoDB", "ReadThrottleEvents", dims, "Count", [0.0]))
        out.append(series("AWS/DynamoDB", "WriteThrottleEvents", dims, "Count", [0.0]))
        out.append(series("AWS/DynamoDB", "ThrottledRequests", dims, "Count", [0.0]))
        gsi = table["gsi"]
        if gsi:
            gdims = {"TableName": table["name"], "GlobalSecondaryIndexName": gsi["name"]}
            out.append(series("AWS/DynamoDB", "ConsumedReadCapacityUnits", gdims, "Count",
                              [float(gsi["consumed_read_per_minute"])]))
            out.append(series("AWS/DynamoDB", "ConsumedWriteCapacityUnits", gdims, "Count",
                              [float(gsi["consumed_write_per_minute"])]))
    # The Profile API's custom metrics (names unique across namespaces on purpose:
    # moto ignores the Namespace when Dimensions are given).
    svc = {"Service": "profile-api"}
    out.append(series("ProfileAPI", "ProfileAPIRequests", svc, "Count", [400.0]))
    out.append(series("ProfileAPI", "ProfileAPIErrors", svc, "Count", [2.0]))
    out.append(series("ProfileAPI", "ProfileAPILatency", svc, "Milliseconds",
                      [25.0, 70.0, 180.0, 650.0, 1000.0], SHAPE_COUNTS))
    for s in out:
        s["per_minute"] = per_minute_stats(s["raw"])
    return out


def tiny_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n")
    return buf.getvalue()


def seed_deploy(lam):
    """A deploy for opsdeck's deploy watch: crypto-watch-api version 1 published now and the
    alias `live` on it (deploy detection marks it on first sight: published within 24 h)."""
    version = lam.publish_version(FunctionName="crypto-watch-api", Description="opsdeck test seed: v1")
    lam.create_alias(FunctionName="crypto-watch-api", Name="live", FunctionVersion=version["Version"])
    return {"function": "crypto-watch-api", "alias": "live", "version": version["Version"],
            "published": version["LastModified"],
            "marker": f"deploy: crypto-watch-api live \u2192 v{version['Version']}"}


def reset(endpoint):
    req = urllib.request.Request(endpoint.rstrip("/") + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()


def seed(endpoint):
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)

    def client(name):
        return session.client(name, endpoint_url=endpoint)

    reset(endpoint)
    now = time.time()
    now_min = int(now) // 60 * 60
    summary = {"seeded_at": round(now, 3), "region": REGION, "account_id": "123456789012",
               "moto_endpoint": endpoint}

    # IAM + Lambda
    iam, lam = client("iam"), client("lambda")
    role = iam.create_role(
        RoleName="opsdeck-test-lambda-role", Path="/",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    )["Role"]
    code = tiny_zip()
    functions = []
    for fn in FUNCTIONS:
        lam.create_function(FunctionName=fn["name"], Runtime="python3.12", Role=role["Arn"],
                            Handler="index.handler", Code={"ZipFile": code}, MemorySize=fn["memory"],
                            Timeout=fn["timeout"], Description=f"opsdeck test seed: {fn['name']}")
        if fn["reserved_concurrency"] is not None:
            lam.put_function_concurrency(FunctionName=fn["name"],
                                         ReservedConcurrentExecutions=fn["reserved_concurrency"])
        functions.append({"name": fn["name"], "runtime": "python3.12", "memory_mb": fn["memory"],
                          "timeout_s": fn["timeout"], "reserved_concurrency": fn["reserved_concurrency"],
                          "log_group": f"/aws/lambda/{fn['name']}"})
    summary["lambda"] = {"role_arn": role["Arn"], "functions": functions,
                         "account_concurrency_limit_note": "GetAccountSettings is not implemented by moto"}
    summary["deploy"] = seed_deploy(lam)

    # Aurora PostgreSQL
    rds = client("rds")
    rds.create_db_cluster(DBClusterIdentifier=CLUSTER, Engine="aurora-postgresql", EngineVersion="15.4",
                          MasterUsername="opsdeck", MasterUserPassword="not-a-secret-123",
                          DatabaseName="profile")
    for instance, _role, _conns in INSTANCES:
        rds.create_db_instance(DBInstanceIdentifier=instance, DBClusterIdentifier=CLUSTER,
                               Engine="aurora-postgresql", DBInstanceClass=INSTANCE_CLASS)
    members = rds.describe_db_clusters(DBClusterIdentifier=CLUSTER)["DBClusters"][0]["DBClusterMembers"]
    writer_flags = {m["DBInstanceIdentifier"]: m.get("IsClusterWriter") for m in members}
    summary["rds"] = {"clusters": [{
        "id": CLUSTER, "engine": "aurora-postgresql",
        "max_connections_note": "not in the API: comes from configuration or the instance-class default",
        "instances": [{"id": i, "role": r, "class": INSTANCE_CLASS, "connections": c,
                       "is_cluster_writer_in_moto": writer_flags.get(i)} for i, r, c in INSTANCES]}]}

    # DynamoDB
    ddb = client("dynamodb")
    tables = []
    for t in TABLES:
        args = {"TableName": t["name"], "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": t["billing_mode"]}
        if t["billing_mode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = {"ReadCapacityUnits": t["rcu"], "WriteCapacityUnits": t["wcu"]}
        gsi = t["gsi"]
        if gsi:
            args["AttributeDefinitions"].append({"AttributeName": "symbol", "AttributeType": "S"})
            args["GlobalSecondaryIndexes"] = [{
                "IndexName": gsi["name"], "KeySchema": [{"AttributeName": "symbol", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": gsi["rcu"], "WriteCapacityUnits": gsi["wcu"]}}]
        ddb.create_table(**args)
        entry = {"name": t["name"], "billing_mode": t["billing_mode"],
                 "provisioned_rcu": t.get("rcu"), "provisioned_wcu": t.get("wcu"),
                 "consumed_read_per_second": t["consumed_read_per_minute"] / 60.0,
                 "consumed_write_per_second": t["consumed_write_per_minute"] / 60.0, "gsis": []}
        if gsi:
            entry["gsis"].append({"name": gsi["name"], "provisioned_rcu": gsi["rcu"], "provisioned_wcu": gsi["wcu"],
                                  "consumed_read_per_second": gsi["consumed_read_per_minute"] / 60.0,
                                  "consumed_write_per_second": gsi["consumed_write_per_minute"] / 60.0})
        tables.append(entry)
    summary["dynamodb"] = {"tables": tables}

    # CloudWatch metric data: one datum per series per minute, for the last MINUTES
    # complete minutes [start, end), stamped at the start of each minute.
    cw = client("cloudwatch")
    all_s = all_series()
    start = now_min - MINUTES * 60
    by_ns = {}
    for s in all_s:
        by_ns.setdefault(s["namespace"], []).append(s)
    for namespace, items in by_ns.items():
        batch = []
        for minute in range(MINUTES):
            stamp = start + minute * 60
            for s in items:
                datum = {"MetricName": s["metric"], "Timestamp": stamp, "Unit": s["unit"],
                         "Dimensions": [{"Name": k, "Value": v} for k, v in s["dimensions"].items()]}
                if len(s["raw"]["values"]) == 1 and s["raw"]["counts"] == [1]:
                    datum["Value"] = s["raw"]["values"][0]
                else:
                    datum["Values"] = s["raw"]["values"]
                    datum["Counts"] = [float(c) for c in s["raw"]["counts"]]
                batch.append(datum)
                if len(batch) == 500:
                    cw.put_metric_data(Namespace=namespace, MetricData=batch)
                    batch = []
        if batch:
            cw.put_metric_data(Namespace=namespace, MetricData=batch)
    api = {s["metric"]: s["per_minute"] for s in all_s if s["namespace"] == "AWS/ApiGateway"}
    summary["metrics"] = {
        "window": {"start": start, "end": now_min, "period": 60, "points": MINUTES,
                   "note": "one datum per minute stamped at the minute start; end is exclusive"},
        "percentile_method": "nearest-rank; the seeded shapes make interpolating methods agree",
        "series": all_s,
        "derived": {
            "api_requests_per_minute": api["Count"]["Sum"],
            "api_5xx_rate": api["5XXError"]["Sum"] / api["Count"]["Sum"],
            "api_4xx_rate": api["4XXError"]["Sum"] / api["Count"]["Sum"],
            "lambda_error_rate": {f["name"]: (f["errors"] / f["invocations"]) for f in FUNCTIONS},
            "dynamodb_consumed_read_per_second": {t["name"]: t["consumed_read_per_minute"] / 60.0 for t in TABLES},
            "rds_connections": {i: c for i, _r, c in INSTANCES},
        },
    }

    # Alarms
    alarms = []

    def metric_alarm(name, namespace, metric, dims, stat, threshold, description):
        cw.put_metric_alarm(AlarmName=name, AlarmDescription=description, Namespace=namespace,
                            MetricName=metric, Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
                            Statistic=stat, Period=60, EvaluationPeriods=1, Threshold=threshold,
                            ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
        alarms.append({"name": name, "type": "metric", "namespace": namespace, "metric": metric,
                       "dimensions": dims, "statistic": stat, "threshold": threshold, "state": "OK"})

    metric_alarm("LambdaErrorAlarm", "AWS/Lambda", "Errors", {"FunctionName": "crypto-watch-api"}, "Sum", 5.0,
                 "crypto-watch-api errors above 5 per minute")
    metric_alarm("DynamoDBReadThrottleAlarm", "AWS/DynamoDB", "ReadThrottleEvents",
                 {"TableName": "crypto-watch-data"}, "Sum", 0.0, "crypto-watch-data read throttling")
    metric_alarm("AuroraWriterConnectionsAlarm", "AWS/RDS", "DatabaseConnections",
                 {"DBInstanceIdentifier": "profile-db-writer"}, "Maximum", 80.0,
                 "profile-db writer connections above 80")
    reason = "Threshold Crossed: 1 datapoint [10.0] was greater than the threshold (5.0)."
    reason_data = json.dumps({"version": "1.0", "queryDate": "seeded", "recentDatapoints": [10.0],
                              "threshold": 5.0})
    cw.set_alarm_state(AlarmName="LambdaErrorAlarm", StateValue="ALARM", StateReason=reason,
                       StateReasonData=reason_data)
    alarms[0].update({"state": "ALARM", "reason": reason, "reason_data": reason_data})
    composite = {"name": "CryptoWatchCritical", "type": "composite",
                 "rule": 'ALARM("LambdaErrorAlarm") OR ALARM("DynamoDBReadThrottleAlarm")'}
    # moto 5.2.5 does not implement PutCompositeAlarm (HTTP 500): try once, no retries,
    # so that a moto that learns it gets a composite alarm too.
    cw_once = session.client("cloudwatch", endpoint_url=endpoint,
                             config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}))
    try:
        cw_once.put_composite_alarm(AlarmName=composite["name"], AlarmRule=composite["rule"],
                               AlarmDescription="crypto-watch: any critical alarm")
        cw.set_alarm_state(AlarmName=composite["name"], StateValue="ALARM",
                           StateReason="LambdaErrorAlarm is in ALARM")
        composite["state"] = "ALARM"
        alarms.append(composite)
    except botocore.exceptions.ClientError as exc:
        summary["composite_alarm_unsupported"] = (
            f"{composite['name']} not created: PutCompositeAlarm failed "
            f"(HTTP {exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode')})")
    described = cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    states = {a["AlarmName"]: a["StateValue"] for a in described["MetricAlarms"] + described["CompositeAlarms"]}
    for alarm in alarms:
        alarm["state_in_moto"] = states.get(alarm["name"])
    summary["alarms"] = alarms

    # Logs
    logs = client("logs")
    base_ms = (now_min - 5 * 60) * 1000
    groups = []
    log_spec = {
        "/aws/lambda/crypto-watch-api": [
            "START RequestId: 6f1c2a10-0000-4000-8000-000000000001 Version: $LATEST",
            json.dumps({"level": "INFO", "msg": "price fetched", "symbol": "BTC", "ms": 61}),
            json.dumps({"level": "ERROR", "msg": "TypeError: Cannot read properties of undefined (reading 'price')",
                        "requestId": "6f1c2a10-0000-4000-8000-000000000001"}),
            "WARN user-agent: \u001b]0;pwned\u0007 evil \u202etxt.exe \u001b[31mred\u001b[0m",
            "END RequestId: 6f1c2a10-0000-4000-8000-000000000001",
            "REPORT RequestId: 6f1c2a10-0000-4000-8000-000000000001 Duration: 61.20 ms Billed Duration: 62 ms",
        ],
        "/aws/lambda/profile-api": [
            "START RequestId: 7a2d3b20-0000-4000-8000-000000000002 Version: $LATEST",
            json.dumps({"level": "INFO", "msg": "GET /profile/42", "status": 200}),
            json.dumps({"level": "ERROR", "msg": "error: sorry, too many clients already (too many connections)"}),
            "END RequestId: 7a2d3b20-0000-4000-8000-000000000002",
        ],
    }
    for g_index, (group, messages) in enumerate(log_spec.items()):
        stream = "2026/11/23/[$LATEST]0123456789abcdef0123456789abcde" + str(g_index)
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        events = [{"timestamp": base_ms + g_index * 1000 + i * 10_000, "message": m} for i, m in enumerate(messages)]
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        groups.append({"name": group, "streams": [stream], "events": events})
    summary["logs"] = {"groups": groups,
                       "hostile_fragments": ["\u001b]0;pwned\u0007", "\u202e", "\u001b[31m"]}
    return summary


def main():
    parser = argparse.ArgumentParser(description="TEST SUPPORT: seed moto with opsdeck's known account")
    parser.add_argument("--endpoint", default=os.environ.get("OPSDECK_TEST_MOTO") or os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument("--out", help="also write the JSON summary here")
    args = parser.parse_args()
    if not args.endpoint:
        sys.exit("seed.py: no endpoint (--endpoint, OPSDECK_TEST_MOTO or AWS_ENDPOINT_URL)")
    summary = seed(args.endpoint)
    text = json.dumps(summary, indent=2, ensure_ascii=True, sort_keys=True)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out + ".tmp", "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        os.replace(args.out + ".tmp", args.out)
    print(text)


if __name__ == "__main__":
    main()
