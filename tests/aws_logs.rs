//! The log feed (Live Tail with the FilterLogEvents fallback) over the real SDK against the
//! seeded local emulator (moto), plus aws-smithy-mocks for StartLiveTail refusals.
//!
//! Test data is written with a separate, plain SDK client built here (opsdeck's own clients
//! refuse writes). The Rust SDK sends StartLiveTail to `stream-<endpoint host>` and has no
//! switch to turn that off (no `disable_host_prefix_injection` in aws-config 1.13 /
//! aws-sdk-cloudwatchlogs 1.162), so the Live Tail test adds an interceptor that strips the
//! prefix to opsdeck's logs client (keeping its read-only guard): test support only.

mod common;
use common::seeded;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use opsdeck::model::log::LogFilter;
use opsdeck::model::Update;
use opsdeck::source::aws::clients::Clients;
use opsdeck::source::aws::inventory::FailureKind;
use opsdeck::source::aws::livetail::{
    self, log_group_arns, AwsBackend, LogBackend, LogFeedControl, LogFeedEvent, LogFeedMode,
    SessionEnd,
};
use opsdeck::source::aws::logs::LogPoller;
use tokio::sync::{mpsc, watch};

async fn sdk() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The seeded groups: name → messages.
fn seeded_logs() -> BTreeMap<String, Vec<String>> {
    seeded()["logs"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["message"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// A fresh log group of this test, written with a plain (writing) client.
struct TestGroup {
    writer: aws_sdk_cloudwatchlogs::Client,
    name: String,
}

impl TestGroup {
    async fn new(sdk: &SdkConfig, tag: &str) -> TestGroup {
        let writer = aws_sdk_cloudwatchlogs::Client::new(sdk);
        let name = format!(
            "/opsdeck-test/{tag}/{}",
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        writer
            .create_log_group()
            .log_group_name(&name)
            .send()
            .await
            .expect("create_log_group");
        TestGroup { writer, name }
    }

    /// Remove the group again (moto's Live Tail answers with the newest group: leave the
    /// seeded ones newest for the other tests).
    async fn delete(self) {
        let _ = self
            .writer
            .delete_log_group()
            .log_group_name(&self.name)
            .send()
            .await;
    }

    async fn put(&self, stream: &str, create: bool, events: &[(i64, &str)]) {
        if create {
            self.writer
                .create_log_stream()
                .log_group_name(&self.name)
                .log_stream_name(stream)
                .send()
                .await
                .expect("create_log_stream");
        }
        let events = events
            .iter()
            .map(|(ts, m)| {
                InputLogEvent::builder()
                    .timestamp(*ts)
                    .message(*m)
                    .build()
                    .unwrap()
            })
            .collect();
        self.writer
            .put_log_events()
            .log_group_name(&self.name)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
            .expect("put_log_events");
    }
}

/// How many times each (source, message) was delivered.
fn counts<'a>(
    logs: impl IntoIterator<Item = &'a opsdeck::model::RawLog>,
) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for l in logs {
        *out.entry((
            l.source.clone(),
            String::from_utf8_lossy(&l.bytes).into_owned(),
        ))
        .or_insert(0) += 1;
    }
    out
}

fn feed_logs(events: &[LogFeedEvent]) -> Vec<opsdeck::model::RawLog> {
    events
        .iter()
        .filter_map(|e| match e {
            LogFeedEvent::Update(Update::Logs(l)) => Some(l.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn feed_modes(events: &[LogFeedEvent]) -> Vec<LogFeedMode> {
    events
        .iter()
        .filter_map(|e| match e {
            LogFeedEvent::Mode(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

async fn collect(rx: &mut mpsc::UnboundedReceiver<LogFeedEvent>, d: Duration) -> Vec<LogFeedEvent> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + d;
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        out.push(e);
    }
    out
}

/// Tests that create log groups run one at a time (see the Live Tail test).
static GROUPS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn op_count(calls: &opsdeck::source::aws::clients::CallLog, op: &str) -> usize {
    calls.calls().iter().filter(|c| c.operation == op).count()
}

#[tokio::test]
async fn poller_delivers_every_line_once_and_picks_up_new_streams() {
    let _serial = GROUPS.lock().await;
    let sdk = sdk().await;
    let seeded = seeded_logs();
    let test = TestGroup::new(&sdk, "poller").await;
    let t0 = now_ms() - 60_000;
    test.put("a", true, &[(t0, "a one"), (t0 + 1, "a two")])
        .await;

    let clients = Clients::from_sdk_config(&sdk);
    let mut groups: Vec<String> = seeded.keys().cloned().collect();
    groups.push(test.name.clone());
    let mut poller = LogPoller::new(groups)
        .with_lookback_minutes(7 * 24 * 60)
        .with_min_call_interval(Duration::from_millis(20));
    let mut all = Vec::new();
    for _ in 0..3 {
        let poll = poller.poll(&clients, now_ms()).await;
        assert_eq!(poll.failure, None);
        all.extend(poll.logs);
    }
    let got = counts(&all);
    for (group, messages) in &seeded {
        for m in messages {
            assert_eq!(
                got.get(&(group.clone(), m.clone())),
                Some(&1),
                "{group}: {m}"
            );
        }
    }
    assert_eq!(got.get(&(test.name.clone(), "a one".into())), Some(&1));
    assert!(got.values().all(|n| *n == 1), "{got:?}");

    // A new stream appears mid-way, and the old one gets another line.
    let t1 = now_ms() - 5_000;
    test.put("b", true, &[(t1, "b one"), (t1 + 1, "b two")])
        .await;
    test.put("a", false, &[(t1 + 2, "a three")]).await;
    let mut more = Vec::new();
    for _ in 0..3 {
        let poll = poller.poll(&clients, now_ms()).await;
        assert_eq!(poll.failure, None);
        more.extend(poll.logs);
    }
    let got = counts(&more);
    let want: BTreeMap<(String, String), usize> = ["b one", "b two", "a three"]
        .iter()
        .map(|m| ((test.name.clone(), m.to_string()), 1))
        .collect();
    assert_eq!(got, want);
    test.delete().await;
}

#[tokio::test]
async fn log_group_arns_finds_existing_groups_only() {
    let sdk = sdk().await;
    let clients = Clients::from_sdk_config(&sdk);
    let mut names: Vec<String> = seeded_logs().keys().cloned().collect();
    names.push("/opsdeck-test/does-not-exist".into());
    let arns = log_group_arns(&clients, &names)
        .await
        .expect("DescribeLogGroups");
    assert_eq!(arns.len(), names.len() - 1, "{arns:?}");
    for (name, arn) in &arns {
        assert!(arn.starts_with("arn:aws:logs:"), "{arn}");
        assert!(arn.ends_with(&format!(":log-group:{name}")), "{arn}");
    }
}

/// Live Tail cannot reach `stream-127.0.0.1`: the feed polls instead, delivers each line
/// once and picks up a stream created while it runs.
#[tokio::test]
async fn feed_falls_back_to_polling_when_live_tail_is_unreachable() {
    let _serial = GROUPS.lock().await;
    let sdk = sdk().await;
    let test = TestGroup::new(&sdk, "fallback").await;
    let t0 = now_ms() - 30_000;
    test.put("a", true, &[(t0, "first"), (t0 + 1, "second")])
        .await;

    let clients = Clients::from_sdk_config(&sdk);
    let calls = clients.calls.clone();
    let (ctl_tx, ctl_rx) = watch::channel(LogFeedControl {
        visible: true,
        filter: LogFilter::default(),
        groups: vec![test.name.clone()],
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(livetail::run(clients, ctl_rx, tx));

    let mut got = collect(&mut rx, Duration::from_secs(8)).await;
    let modes = feed_modes(&got);
    assert!(
        matches!(modes.last(), Some(LogFeedMode::Polling { reason }) if reason.contains("StartLiveTail")),
        "{modes:?}"
    );
    test.put("b", true, &[(now_ms() - 1_000, "new stream line")])
        .await;
    got.extend(collect(&mut rx, Duration::from_secs(7)).await);
    let c = counts(&feed_logs(&got));
    let want: BTreeMap<(String, String), usize> = ["first", "second", "new stream line"]
        .iter()
        .map(|m| ((test.name.clone(), m.to_string()), 1))
        .collect();
    assert_eq!(c, want);
    assert!(
        op_count(&calls, "FilterLogEvents") >= 2,
        "{:?}",
        calls.counts()
    );

    // Hidden: paused, no more calls.
    ctl_tx.send_modify(|c| c.visible = false);
    let got = collect(&mut rx, Duration::from_millis(500)).await;
    assert_eq!(feed_modes(&got), [LogFeedMode::Paused]);
    let before = calls.len();
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(calls.len(), before);
    drop(ctl_tx);
    task.await.unwrap();
    test.delete().await;
}

// --- Live Tail against moto, with the `stream-` host prefix stripped (test support) -------

/// Sends `stream-HOST` requests to `HOST` (moto cannot be reached under the prefix).
#[derive(Debug)]
struct StripStreamPrefix;

impl Intercept for StripStreamPrefix {
    fn name(&self) -> &'static str {
        "test-strip-stream-prefix"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let uri = request.uri().replacen("://stream-", "://", 1);
        request.set_uri(uri)?;
        Ok(())
    }
}

/// moto 5.2.5's StartLiveTail answers every identifier with the events of the most
/// recently created log group (`_find_log_group` by ARN does not stop at the match), so
/// this test creates its own group last and tails only that one, while holding [`GROUPS`].
/// Its events are older than the feed's catch-up poll reaches (10 minutes), so what arrives
/// came through Live Tail.
#[tokio::test]
async fn live_tail_replays_once_and_reconnects_without_duplicates() {
    let _serial = GROUPS.lock().await;
    let sdk = sdk().await;
    let test = TestGroup::new(&sdk, "livetail").await;
    let t0 = now_ms() - 20 * 60_000;
    test.put("a", true, &[(t0, "tail one"), (t0 + 1, "tail two")])
        .await;
    test.put("b", true, &[(t0 + 2, "tail three")]).await;

    let mut clients = Clients::from_sdk_config(&sdk);
    // The same client (read-only guard and call log included) plus the prefix stripper.
    clients.logs = aws_sdk_cloudwatchlogs::Client::from_conf(
        clients
            .logs
            .config()
            .to_builder()
            .interceptor(StripStreamPrefix)
            .build(),
    );
    let calls = clients.calls.clone();
    let (ctl_tx, ctl_rx) = watch::channel(LogFeedControl {
        visible: true,
        filter: LogFilter::default(),
        groups: vec![test.name.clone()],
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(livetail::run(clients, ctl_rx, tx));
    // Until two reconnects have replayed everything again (moto may be slow under load).
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
    while tokio::time::Instant::now() < deadline {
        got.extend(collect(&mut rx, Duration::from_secs(1)).await);
        if op_count(&calls, "StartLiveTail") >= 3 {
            break;
        }
    }
    got.extend(collect(&mut rx, Duration::from_secs(1)).await);

    let modes = feed_modes(&got);
    assert!(
        modes.contains(&LogFeedMode::LiveTail { sampled: false }),
        "{modes:?} {got:?}"
    );
    assert!(
        op_count(&calls, "StartLiveTail") >= 3,
        "{:?}",
        calls.counts()
    );
    let c = counts(&feed_logs(&got));
    let want: BTreeMap<(String, String), usize> = ["tail one", "tail two", "tail three"]
        .iter()
        .map(|m| ((test.name.clone(), m.to_string()), 1))
        .collect();
    assert_eq!(c, want);
    drop(ctl_tx);
    task.await.unwrap();
    test.delete().await;
}

// --- StartLiveTail refusals (aws-smithy-mocks) ------------------------------------------------

fn mocked_logs(sdk: &SdkConfig, rule: &aws_smithy_mocks::Rule) -> Clients {
    let logs = aws_sdk_cloudwatchlogs::Client::from_conf(
        aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
            .interceptor(
                aws_smithy_mocks::MockResponseInterceptor::new()
                    .rule_mode(aws_smithy_mocks::RuleMode::MatchAny)
                    .with_rule(rule),
            )
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build(),
    );
    Clients {
        logs,
        ..Clients::from_sdk_config(sdk)
    }
}

#[tokio::test]
async fn start_live_tail_refusals_are_classified() {
    use aws_sdk_cloudwatchlogs::operation::start_live_tail::StartLiveTailError;
    use aws_sdk_cloudwatchlogs::types::error::{AccessDeniedException, LimitExceededException};
    use aws_smithy_mocks::mock;
    let sdk = sdk().await;

    let denied = mock!(aws_sdk_cloudwatchlogs::Client::start_live_tail).then_error(|| {
        StartLiveTailError::AccessDeniedException(
            AccessDeniedException::builder()
                .message("User is not authorized to perform: logs:StartLiveTail")
                .build(),
        )
    });
    let mut backend = AwsBackend::new(mocked_logs(&sdk, &denied));
    match backend
        .open(&["arn:aws:logs:us-east-1:1:log-group:g".into()], None)
        .await
    {
        Err(SessionEnd::Unavailable(f)) => {
            assert_eq!(f.kind, FailureKind::AccessDenied);
            assert!(f.message.contains("logs:StartLiveTail"), "{}", f.message);
        }
        other => panic!("{:?}", other.err()),
    }

    let too_many = mock!(aws_sdk_cloudwatchlogs::Client::start_live_tail).then_error(|| {
        StartLiveTailError::LimitExceededException(
            LimitExceededException::builder()
                .message("too many sessions")
                .build(),
        )
    });
    let mut backend = AwsBackend::new(mocked_logs(&sdk, &too_many));
    assert!(matches!(
        backend
            .open(&["arn:aws:logs:us-east-1:1:log-group:g".into()], None)
            .await,
        Err(SessionEnd::Transient(_))
    ));
}
