//! CloudWatch metrics over the real SDK against the seeded emulator (moto + the CBOR proxy):
//! one GetMetricData call per fetch, values as seeded, incremental re-reads.
//!
//! Needs the emulator: run `./scripts/test` (it starts it and sets the environment).

mod common;
use common::{clients, env, seeded};

use std::collections::BTreeSet;

use opsdeck::model::metrics::{
    keys, Capacity, DbInstance, DbRole, Inventory, LambdaFunction, Table,
};
use opsdeck::model::Update;
use opsdeck::source::aws::cloudwatch::{
    discover_apis, plan, plan_for, MetricsFetcher, REREAD_PERIODS,
};
use opsdeck::source::aws::inventory::apply_settings;
use serde_json::Value;

/// Tests that send GetMetricData run one at a time, so that each can count its own calls in
/// the proxy's request log.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The inventory the seed created, from seeded.json.
fn inventory(seed: &Value) -> Inventory {
    let functions = seed["lambda"]["functions"]
        .as_array()
        .expect("lambda.functions")
        .iter()
        .map(|f| LambdaFunction {
            name: f["name"].as_str().unwrap().to_string(),
            reserved: f["reserved_concurrency"].as_u64().map(|r| r as u32),
        })
        .collect();
    let mut db_instances = Vec::new();
    for c in seed["rds"]["clusters"].as_array().expect("rds.clusters") {
        for i in c["instances"].as_array().unwrap() {
            db_instances.push(DbInstance {
                id: i["id"].as_str().unwrap().to_string(),
                cluster: c["id"].as_str().unwrap().to_string(),
                role: if i["role"] == "WRITER" {
                    DbRole::Writer
                } else {
                    DbRole::Reader
                },
                class: i["class"].as_str().unwrap().to_string(),
                max_connections: 1000,
            });
        }
    }
    let tables = seed["dynamodb"]["tables"]
        .as_array()
        .expect("dynamodb.tables")
        .iter()
        .map(|t| Table {
            name: t["name"].as_str().unwrap().to_string(),
            capacity: match (t["provisioned_rcu"].as_f64(), t["provisioned_wcu"].as_f64()) {
                (Some(rcu), Some(wcu)) => Capacity::Provisioned { rcu, wcu },
                _ => Capacity::OnDemand,
            },
        })
        .collect();
    Inventory {
        service: "crypto-watch".into(),
        functions,
        account_concurrency: 1000,
        db_instances,
        tables,
    }
}

/// A seeded series' per-minute statistic.
fn seeded_stat(seed: &Value, namespace: &str, metric: &str, dim: (&str, &str), stat: &str) -> f64 {
    seed["metrics"]["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["namespace"] == namespace
                && s["metric"] == metric
                && s["dimensions"]
                    .as_object()
                    .is_some_and(|d| d.len() == 1 && d[dim.0] == dim.1)
        })
        .unwrap_or_else(|| panic!("no seeded series {namespace} {metric} {dim:?}"))["per_minute"]
        [stat]
        .as_f64()
        .unwrap()
}

fn points<'a>(updates: &'a [Update], key: &str) -> &'a [(i64, f64)] {
    updates
        .iter()
        .find_map(|u| match u {
            Update::Points { key: k, points } if k == key => Some(points.as_slice()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no points for {key}"))
}

/// Every point of `key` equals `expected` (within rounding), at every minute of `minutes`.
fn assert_all(updates: &[Update], key: &str, minutes: &[i64], expected: f64) {
    let pts = points(updates, key);
    let stamps: Vec<i64> = pts.iter().map(|p| p.0).collect();
    assert_eq!(stamps, minutes, "{key}: timestamps");
    for (t, v) in pts {
        assert!(
            (v - expected).abs() < 1e-6,
            "{key} at {t}: {v}, expected {expected}"
        );
    }
}

/// Request-log lines (JSON) written after `offset` bytes.
fn log_lines_since(offset: u64) -> Vec<Value> {
    let path = env("OPSDECK_TEST_REQUEST_LOG");
    let bytes = std::fs::read(&path).unwrap_or_default();
    let from = (offset as usize).min(bytes.len());
    String::from_utf8_lossy(&bytes[from..])
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn log_len() -> u64 {
    std::fs::metadata(env("OPSDECK_TEST_REQUEST_LOG"))
        .map(|m| m.len())
        .unwrap_or(0)
}

fn get_metric_data_calls(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["operation"] == "GetMetricData")
        .collect()
}

#[tokio::test]
async fn discovers_the_seeded_api() {
    let _ = seeded();
    let apis = discover_apis(&clients().await).await.expect("ListMetrics");
    assert_eq!(apis, vec!["crypto-watch-api".to_string()]);
}

#[tokio::test]
async fn one_call_per_fetch_with_the_seeded_values() {
    let _serial = SERIAL.lock().await;
    let seed = seeded();
    let window = &seed["metrics"]["window"];
    let (start, end) = (
        window["start"].as_i64().unwrap(),
        window["end"].as_i64().unwrap(),
    );
    assert_eq!(window["period"], 60);
    let minutes: Vec<i64> = (start..end).step_by(60).collect();
    let clients = clients().await;
    let apis = discover_apis(&clients).await.expect("ListMetrics");
    let inv = inventory(&seed);
    let plan = plan(&inv, &apis);
    let queries = plan.queries.len() as u64;
    assert!(queries <= 500);

    // First fetch: the last 3 hours up to the end of the seeded window.
    let mut fetcher = MetricsFetcher::new(plan);
    assert_eq!(fetcher.window(end + 59), (end - 3 * 3600, end));
    let before = log_len();
    let (updates, stats) = fetcher.fetch(&clients, end + 59).await.expect("fetch");
    let calls = log_lines_since(before);
    let gmd = get_metric_data_calls(&calls);
    assert_eq!(gmd.len(), 1, "one GetMetricData call per fetch: {calls:?}");
    assert_eq!(gmd[0]["status"], 200);
    assert_eq!(stats.calls, 1);
    assert_eq!(stats.metrics_requested, queries);
    assert_eq!(
        gmd[0]["metric_queries"].as_u64(),
        Some(stats.metrics_requested)
    );
    assert!(stats.datapoints > 0);
    assert_eq!(fetcher.last_end, Some(end));
    let counted = clients.calls.counts();
    assert_eq!(
        counted.get("CloudWatch.GetMetricData"),
        Some(&1),
        "{counted:?}"
    );

    let derived = &seed["metrics"]["derived"];
    let api = ("ApiName", "crypto-watch-api");
    assert_all(
        &updates,
        keys::REQUESTS,
        &minutes,
        derived["api_requests_per_minute"].as_f64().unwrap(),
    );
    assert_all(
        &updates,
        keys::ERROR_5XX,
        &minutes,
        100.0 * derived["api_5xx_rate"].as_f64().unwrap(),
    );
    assert_all(
        &updates,
        keys::ERROR_4XX,
        &minutes,
        100.0 * derived["api_4xx_rate"].as_f64().unwrap(),
    );
    assert_all(
        &updates,
        keys::ERROR_RATE,
        &minutes,
        100.0
            * (derived["api_4xx_rate"].as_f64().unwrap()
                + derived["api_5xx_rate"].as_f64().unwrap()),
    );
    for (key, stat) in [(keys::P50, "p50"), (keys::P95, "p95"), (keys::P99, "p99")] {
        let expected = seeded_stat(&seed, "AWS/ApiGateway", "Latency", api, stat);
        assert_all(&updates, key, &minutes, expected);
    }
    assert_all(
        &updates,
        &keys::aurora_connections("profile-db-writer"),
        &minutes,
        derived["rds_connections"]["profile-db-writer"]
            .as_f64()
            .unwrap(),
    );
    assert_all(
        &updates,
        &keys::aurora_connections("profile-db-reader-1"),
        &minutes,
        derived["rds_connections"]["profile-db-reader-1"]
            .as_f64()
            .unwrap(),
    );
    let writer = ("DBInstanceIdentifier", "profile-db-writer");
    assert_all(
        &updates,
        keys::DB_READ_LATENCY,
        &minutes,
        1000.0 * seeded_stat(&seed, "AWS/RDS", "ReadLatency", writer, "Average"),
    );
    assert_all(
        &updates,
        keys::DB_WRITE_LATENCY,
        &minutes,
        1000.0 * seeded_stat(&seed, "AWS/RDS", "WriteLatency", writer, "Average"),
    );
    for table in ["crypto-watch-data", "crypto-watch-sessions"] {
        let t = &seed["dynamodb"]["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == table)
            .unwrap()
            .clone();
        assert_all(
            &updates,
            &keys::dynamo_read(table),
            &minutes,
            t["consumed_read_per_second"].as_f64().unwrap(),
        );
        assert_all(
            &updates,
            &keys::dynamo_write(table),
            &minutes,
            t["consumed_write_per_second"].as_f64().unwrap(),
        );
        assert_all(&updates, &keys::dynamo_throttles(table), &minutes, 0.0);
    }
    assert_all(
        &updates,
        &keys::dynamo_read("crypto-watch-data"),
        &minutes,
        derived["dynamodb_consumed_read_per_second"]["crypto-watch-data"]
            .as_f64()
            .unwrap(),
    );
    let fns = [
        "crypto-watch-api",
        "crypto-watch-price-update",
        "profile-api",
    ];
    for f in fns {
        let dim = ("FunctionName", f);
        assert_all(
            &updates,
            &keys::lambda_throttles(f),
            &minutes,
            seeded_stat(&seed, "AWS/Lambda", "Throttles", dim, "Sum"),
        );
        assert_all(
            &updates,
            &keys::lambda_concurrency(f),
            &minutes,
            seeded_stat(&seed, "AWS/Lambda", "ConcurrentExecutions", dim, "Maximum"),
        );
    }
    assert_all(
        &updates,
        &keys::lambda_throttles("crypto-watch-api"),
        &minutes,
        5.0,
    );
    let sum = |metric: &str| -> f64 {
        fns.iter()
            .map(|f| seeded_stat(&seed, "AWS/Lambda", metric, ("FunctionName", f), "Sum"))
            .sum()
    };
    assert_all(&updates, keys::LAMBDA_ERRORS, &minutes, sum("Errors"));
    assert_all(
        &updates,
        keys::LAMBDA_ERROR_RATE,
        &minutes,
        100.0 * sum("Errors") / sum("Invocations"),
    );

    // Second fetch, a minute later: only the last REREAD_PERIODS periods are read again.
    let before = log_len();
    let (again, stats2) = fetcher.fetch(&clients, end + 60).await.expect("fetch 2");
    let calls = log_lines_since(before);
    let gmd = get_metric_data_calls(&calls);
    assert_eq!(gmd.len(), 1, "{calls:?}");
    assert_eq!(
        gmd[0]["metric_queries"].as_u64(),
        Some(stats2.metrics_requested)
    );
    assert_eq!(stats2.calls, 1);
    assert_eq!(fetcher.last_end, Some(end + 60));
    let reread: BTreeSet<i64> = (1..=REREAD_PERIODS).map(|i| end - i * 60).collect();
    assert!(!again.is_empty());
    for u in &again {
        let Update::Points { key, points } = u else {
            panic!("unexpected update {u:?}")
        };
        let stamps: BTreeSet<i64> = points.iter().map(|p| p.0).collect();
        assert_eq!(stamps, reread, "{key}");
    }
    assert_all(
        &again,
        keys::REQUESTS,
        &reread.iter().copied().collect::<Vec<_>>(),
        1000.0,
    );
    assert!(stats2.datapoints < stats.datapoints);
    assert_eq!(fetcher.totals.calls, 2);
    assert_eq!(
        fetcher.totals.metrics_requested,
        stats.metrics_requested + stats2.metrics_requested
    );
}

#[tokio::test]
async fn lambda_fallback_without_api_gateway() {
    let _serial = SERIAL.lock().await;
    let seed = seeded();
    let window = &seed["metrics"]["window"];
    let (start, end) = (
        window["start"].as_i64().unwrap(),
        window["end"].as_i64().unwrap(),
    );
    let minutes: Vec<i64> = (start..end).step_by(60).collect();
    let clients = clients().await;
    let mut fetcher = MetricsFetcher::new(plan(&inventory(&seed), &[]));
    let (updates, stats) = fetcher.fetch(&clients, end).await.expect("fetch");
    assert_eq!(stats.calls, 1);
    let invocations: f64 = [
        "crypto-watch-api",
        "crypto-watch-price-update",
        "profile-api",
    ]
    .iter()
    .map(|f| {
        seeded_stat(
            &seed,
            "AWS/Lambda",
            "Invocations",
            ("FunctionName", f),
            "Sum",
        )
    })
    .sum();
    assert_all(&updates, keys::REQUESTS, &minutes, invocations);
    // The busiest function is crypto-watch-api.
    let p95 = seeded_stat(
        &seed,
        "AWS/Lambda",
        "Duration",
        ("FunctionName", "crypto-watch-api"),
        "p95",
    );
    assert_all(&updates, keys::P95, &minutes, p95);
    assert!(!updates
        .iter()
        .any(|u| matches!(u, Update::Points { key, .. } if key == keys::ERROR_5XX)));
}

/// profiles/profile-api.toml against the seeded account: its [aws] filters narrow the
/// inventory, its [[metric]]s (namespace ProfileAPI) feed requests, the error rate and the
/// latency percentiles, and discovery still feeds Lambda and Aurora; all in one call.
#[tokio::test]
async fn profile_api_profile_reads_its_custom_metrics() {
    let _serial = SERIAL.lock().await;
    let seed = seeded();
    let has_custom = seed["metrics"]["series"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["namespace"] == "ProfileAPI" && s["metric"] == "ProfileAPIRequests");
    assert!(
        has_custom,
        "the seeded account has no ProfileAPI metrics: re-seed: scripts/aws-emulator.sh seed"
    );
    let window = &seed["metrics"]["window"];
    let (start, end) = (
        window["start"].as_i64().unwrap(),
        window["end"].as_i64().unwrap(),
    );
    let minutes: Vec<i64> = (start..end).step_by(60).collect();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/profile-api.toml");
    let service = opsdeck::config::load_service_file(&file).expect("profile-api.toml");

    let mut inv = inventory(&seed);
    apply_settings(&mut inv, &service.aws);
    let fns: Vec<&str> = inv.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fns, ["profile-api"]);
    assert!(inv.tables.is_empty(), "{:?}", inv.tables);
    assert_eq!(inv.db_instances.len(), 2);
    assert!(inv.db_instances.iter().all(|d| d.max_connections == 100));

    let clients = clients().await;
    let apis = discover_apis(&clients).await.expect("ListMetrics");
    assert_eq!(
        apis,
        ["crypto-watch-api"],
        "the account has another service's API"
    );
    let plan = plan_for(&inv, &apis, &service.aws);
    assert!(
        plan.queries
            .iter()
            .all(|q| q.metric.namespace != "AWS/ApiGateway"),
        "crypto-watch's API is filtered out"
    );
    let queries = plan.queries.len() as u64;
    let mut fetcher = MetricsFetcher::new(plan);
    let before = log_len();
    let (updates, stats) = fetcher.fetch(&clients, end + 59).await.expect("fetch");
    let calls = log_lines_since(before);
    assert_eq!(get_metric_data_calls(&calls).len(), 1, "{calls:?}");
    assert_eq!((stats.calls, stats.metrics_requested), (1, queries));

    let svc = ("Service", "profile-api");
    let custom = |metric: &str, stat: &str| seeded_stat(&seed, "ProfileAPI", metric, svc, stat);
    let requests = custom("ProfileAPIRequests", "Sum");
    assert_all(&updates, keys::REQUESTS, &minutes, requests);
    assert_all(
        &updates,
        keys::ERROR_RATE,
        &minutes,
        100.0 * custom("ProfileAPIErrors", "Sum") / requests,
    );
    for (key, stat) in [(keys::P50, "p50"), (keys::P95, "p95"), (keys::P99, "p99")] {
        assert_all(&updates, key, &minutes, custom("ProfileAPILatency", stat));
    }
    // Discovery, narrowed to the service: Lambda profile-api and the Aurora cluster.
    let f = ("FunctionName", "profile-api");
    let lambda = |metric: &str| seeded_stat(&seed, "AWS/Lambda", metric, f, "Sum");
    assert_all(&updates, keys::LAMBDA_ERRORS, &minutes, lambda("Errors"));
    assert_all(
        &updates,
        keys::LAMBDA_ERROR_RATE,
        &minutes,
        100.0 * lambda("Errors") / lambda("Invocations"),
    );
    assert_all(
        &updates,
        &keys::lambda_throttles("profile-api"),
        &minutes,
        lambda("Throttles"),
    );
    let derived = &seed["metrics"]["derived"]["rds_connections"];
    for instance in ["profile-db-writer", "profile-db-reader-1"] {
        assert_all(
            &updates,
            &keys::aurora_connections(instance),
            &minutes,
            derived[instance].as_f64().unwrap(),
        );
    }
    let writer = ("DBInstanceIdentifier", "profile-db-writer");
    assert_all(
        &updates,
        keys::DB_WRITE_LATENCY,
        &minutes,
        1000.0 * seeded_stat(&seed, "AWS/RDS", "WriteLatency", writer, "Average"),
    );
    for u in &updates {
        let Update::Points { key, .. } = u else {
            continue;
        };
        assert!(
            !key.contains("crypto-watch") && key != keys::ERROR_5XX,
            "{key}: not the Profile API's"
        );
    }
}

/// ListMetrics tells which resources report: exactly the ones the seed wrote metrics for.
#[tokio::test]
async fn discovery_finds_the_resources_that_report() {
    let seed = seeded();
    let reporting = opsdeck::source::aws::cloudwatch::discover(&clients().await)
        .await
        .expect("ListMetrics");
    let seeded_values = |namespace: &str, metric: &str, dim: &str| -> BTreeSet<String> {
        seed["metrics"]["series"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["namespace"] == namespace && s["metric"] == metric)
            .filter_map(|s| s["dimensions"][dim].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(
        reporting.functions,
        seeded_values("AWS/Lambda", "Invocations", "FunctionName")
    );
    assert_eq!(
        reporting.db_instances,
        seeded_values("AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier")
    );
    assert_eq!(
        reporting.tables,
        seeded_values("AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName")
    );
    assert_eq!(
        reporting.apis.iter().cloned().collect::<BTreeSet<_>>(),
        seeded_values("AWS/ApiGateway", "Count", "ApiName")
    );
    assert!(!reporting.functions.is_empty() && !reporting.tables.is_empty());
    // The plan asks only for what reports.
    let mut inv = inventory(&seed);
    inv.functions.push(LambdaFunction {
        name: "idle-function".into(),
        reserved: None,
    });
    let selected = reporting.select(&inv);
    assert!(selected.functions.iter().all(|f| f.name != "idle-function"));
    assert_eq!(selected.functions.len(), inv.functions.len() - 1);
}
