//! The AWS source as a whole, over the real SDK against the seeded emulator (moto behind the
//! test proxy, which logs every request of every service): one session fills every pane, sends
//! only reads, and its API counter equals what the server received. Then a server that goes
//! away: the panes go stale, and come back by themselves when it returns.
//!
//! Needs the emulator: run `./scripts/test` (it starts it and sets the environment).

mod common;
use common::{env, requests_signed_by, seeded};

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use opsdeck::config::{builtin_aws_service, AwsSettings};
use opsdeck::model::alarm::{AlarmOrigin, AlarmState};
use opsdeck::model::metrics::keys;
use opsdeck::model::{Model, Update};
use opsdeck::source::aws::clients::{is_read_only, timeouts, Clients};
use opsdeck::source::aws::source::{wall_now, AwsSource};
use opsdeck::source::Source;
use serde_json::Value;

/// An SDK config for `endpoint`, signing with an access key of this test's own, so that its
/// requests can be picked out of the proxy's shared request log.
async fn sdk(endpoint: &str, key: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(key, "testing", None, None, "opsdeck-test"))
        .timeout_config(timeouts())
        .load()
        .await
}

fn apply_all(model: &mut Model, updates: Vec<Update>) {
    for u in updates {
        model.apply(u);
    }
}

fn fault_scopes(model: &Model) -> Vec<String> {
    model.faults.iter().map(|f| f.scope.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_fills_every_pane_reads_only_and_counts_what_the_server_saw() {
    let seed = seeded();
    let key = format!("AKIDSESSION{}", std::process::id());
    let clients = Clients::from_sdk_config(&sdk(&env("OPSDECK_TEST_PROXY"), &key).await);
    let service = builtin_aws_service();
    let mut source = AwsSource::start(clients, service.aws.clone(), "aws test".into());
    assert!(
        source.first_round(Duration::from_secs(120)).await,
        "the first round of reads did not finish within 120 s"
    );
    let now = wall_now();
    let mut model = Model::new(service.profile, now, 10_000);
    apply_all(&mut model, source.poll(now));
    model.tick(now);

    // Inventory: what the seed created.
    let names = |v: &Value, list: &str| -> Vec<String> {
        let mut n: Vec<String> = v[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    let functions: Vec<String> = model
        .inventory
        .functions
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(functions, names(&seed["lambda"], "functions"));
    let tables: Vec<String> = model
        .inventory
        .tables
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert_eq!(tables, names(&seed["dynamodb"], "tables"));
    let instances: Vec<&str> = model
        .inventory
        .db_instances
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    assert!(instances.contains(&"profile-db-writer"), "{instances:?}");
    assert!(instances.contains(&"profile-db-reader-1"), "{instances:?}");

    // Metrics: the seeded values, in every pane's series.
    let d = &seed["metrics"]["derived"];
    let latest = |key: &str| {
        model
            .latest(key)
            .unwrap_or_else(|| panic!("no value for {key}; series: {:?}", model.series.keys()))
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.abs().max(1.0);
    assert!(close(
        latest(keys::REQUESTS),
        d["api_requests_per_minute"].as_f64().unwrap()
    ));
    assert!(close(
        latest(keys::ERROR_5XX),
        100.0 * d["api_5xx_rate"].as_f64().unwrap()
    ));
    assert!(latest(keys::P95) > 0.0);
    assert!(close(
        latest(&keys::aurora_connections("profile-db-writer")),
        d["rds_connections"]["profile-db-writer"].as_f64().unwrap()
    ));
    assert!(close(
        latest(&keys::dynamo_read("crypto-watch-data")),
        d["dynamodb_consumed_read_per_second"]["crypto-watch-data"]
            .as_f64()
            .unwrap()
    ));
    assert!(model
        .series
        .contains_key(&keys::lambda_throttles("crypto-watch-api")));

    // The seeded alarm, firing, from CloudWatch.
    let alarm = model
        .alarms
        .iter()
        .find(|a| a.def.name == "LambdaErrorAlarm")
        .expect("LambdaErrorAlarm reached the model");
    assert_eq!(alarm.state, AlarmState::Alarm);
    assert_eq!(alarm.origin, AlarmOrigin::CloudWatchMetric);

    // The seeded log lines, sanitised.
    let messages: Vec<String> = model.logs.iter().map(|e| e.message().to_string()).collect();
    assert!(
        messages.iter().any(|m| m.contains("price fetched")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("too many connections")),
        "{messages:?}"
    );
    let hostile = messages
        .iter()
        .find(|m| m.contains("user-agent"))
        .expect("the hostile line arrived");
    assert!(
        !hostile.contains('\u{1b}') && !hostile.contains('\u{202e}') && !hostile.contains('\u{7}'),
        "{hostile:?}"
    );

    // Nothing failed but what moto does not implement (Lambda GetAccountSettings).
    let scopes = fault_scopes(&model);
    assert!(
        scopes.iter().all(|s| s == "aws/lambda/account-settings"),
        "{:?}",
        model.faults
    );

    // Read-only, and counted right: every request the server saw is a read, and the status
    // bar's counters equal the server's log. Quiet the source first (the log pane hidden
    // stops the log feed; the other reads are minutes apart), so that nothing is in flight
    // while the two are compared.
    source.set_log_interest(false, &Default::default());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let calls = source.calls().clone();
    let usage = model.usage.expect("the source reports its usage");
    let seen = requests_signed_by(&key);
    let mut seen_ops = std::collections::BTreeMap::<String, usize>::new();
    for r in &seen {
        *seen_ops
            .entry(r["operation"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    assert!(!seen.is_empty());
    for r in &seen {
        let op = r["operation"].as_str().unwrap_or("");
        assert!(is_read_only(op), "a non-read reached the server: {r}");
    }
    assert!(calls.calls().iter().all(|c| c.allowed));
    assert_eq!(
        calls.len(),
        seen.len(),
        "opsdeck counted {:?}\nthe server saw {seen_ops:?}",
        calls.counts()
    );
    assert!(usage.api_calls > 0 && usage.api_calls <= seen.len() as u64);
    let metrics: u64 = seen
        .iter()
        .filter(|r| r["operation"] == "GetMetricData")
        .map(|r| r["metric_queries"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(usage.metrics_requested, metrics);
    let gmd = seen
        .iter()
        .filter(|r| r["operation"] == "GetMetricData")
        .count();
    assert_eq!(gmd, 1, "one GetMetricData for all panes");
    assert!((usage.cost_usd - metrics as f64 * 0.01 / 1000.0).abs() < 1e-12);
}

/// A TCP forwarder to `target` on a port of its own that can be stopped and started again on
/// the same port: a server that goes away and comes back.
struct Forwarder {
    port: u16,
    target: String,
    up: Arc<AtomicBool>,
}

impl Forwarder {
    fn new(target: &str) -> Forwarder {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let f = Forwarder {
            port,
            target: target.trim_start_matches("http://").to_string(),
            up: Arc::new(AtomicBool::new(false)),
        };
        f.start();
        f
    }

    fn start(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("rebind the port");
        listener.set_nonblocking(true).unwrap();
        self.up.store(true, Ordering::SeqCst);
        let (up, target) = (self.up.clone(), self.target.clone());
        std::thread::spawn(move || {
            while up.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let target = target.clone();
                        let up = up.clone();
                        std::thread::spawn(move || pipe(client, &target, &up));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
    }

    fn stop(&self) {
        self.up.store(false, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn pipe(client: TcpStream, target: &str, up: &Arc<AtomicBool>) {
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    let copy = |mut from: TcpStream, mut to: TcpStream, up: Arc<AtomicBool>| {
        from.set_read_timeout(Some(Duration::from_millis(100))).ok();
        let mut buf = [0u8; 16384];
        loop {
            if !up.load(Ordering::SeqCst) {
                let _ = to.shutdown(std::net::Shutdown::Both);
                return;
            }
            match from.read(&mut buf) {
                Ok(0) => {
                    let _ = to.shutdown(std::net::Shutdown::Write);
                    return;
                }
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return,
            }
        }
    };
    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let up2 = up.clone();
    let t = std::thread::spawn(move || copy(c2, s2, up2));
    copy(server, client, up.clone());
    let _ = t.join();
}

/// Poll the source into the model until `pred` holds; panics after `timeout`.
async fn until(
    source: &mut AwsSource,
    model: &mut Model,
    what: &str,
    timeout: Duration,
    pred: impl Fn(&Model) -> bool,
) {
    let start = Instant::now();
    loop {
        let now = wall_now();
        apply_all(model, source.poll(now));
        model.tick(now);
        if pred(model) {
            return;
        }
        if start.elapsed() > timeout {
            panic!("timed out waiting for {what}; faults: {:?}", model.faults);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_goes_away_leaves_stale_values_and_is_picked_up_again() {
    let forwarder = Forwarder::new(&env("OPSDECK_TEST_PROXY"));
    let endpoint = format!("http://127.0.0.1:{}", forwarder.port);
    let key = format!("AKIDOUTAGE{}", std::process::id());
    let clients = Clients::from_sdk_config(&sdk(&endpoint, &key).await);
    let settings = AwsSettings {
        refresh: 10,
        alarm_refresh: 30,
        ..AwsSettings::default()
    };
    let mut source = AwsSource::start(clients, settings, "aws outage test".into());
    assert!(source.first_round(Duration::from_secs(120)).await);
    let service = builtin_aws_service();
    let mut model = Model::new(service.profile, wall_now(), 10_000);
    until(
        &mut source,
        &mut model,
        "the first values",
        Duration::from_secs(5),
        |m| m.latest(keys::REQUESTS).is_some(),
    )
    .await;
    let before = model.latest(keys::REQUESTS);

    forwarder.stop();
    until(
        &mut source,
        &mut model,
        "aws/metrics to fail",
        Duration::from_secs(60),
        |m| m.faults.iter().any(|f| f.scope == "aws/metrics"),
    )
    .await;
    let fault = model
        .faults
        .iter()
        .find(|f| f.scope == "aws/metrics")
        .unwrap()
        .clone();
    assert!(
        fault.message.contains("GetMetricData"),
        "the fault names the call: {}",
        fault.message
    );
    assert_eq!(
        model.latest(keys::REQUESTS),
        before,
        "the last values stay on screen"
    );

    forwarder.start();
    until(
        &mut source,
        &mut model,
        "aws/metrics to recover",
        Duration::from_secs(90),
        |m| !m.faults.iter().any(|f| f.scope == "aws/metrics"),
    )
    .await;
    assert!(model.latest(keys::REQUESTS).is_some());
}
