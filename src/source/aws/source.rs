//! [`AwsSource`] runs one background task per kind of data, each on its own schedule, and hands
//! what they produced to the event loop through a channel (the loop never waits on the
//! network):
//! - inventory (Lambda, RDS, DynamoDB; ListMetrics for which resources report) every
//!   `inventory_refresh` (5 min by default): it rebuilds the GetMetricData plan and the list of
//!   log groups;
//! - metrics: ONE GetMetricData per refresh (60 s by default) for every pane, incrementally;
//! - CloudWatch alarms (DescribeAlarms, metric and composite) every `alarm_refresh`;
//! - deploys: Lambda aliases of the inventory's functions (ListAliases) every minute or so,
//!   see [`deploys`] and [`deploy_interval`];
//! - logs: see [`logs`].
//!
//! Each task fails alone: a failure becomes `Update::SourceError` for its scope (the panes
//! keep their values and say "stale since"), the task backs off (doubling, with jitter, up to
//! [`MAX_BACKOFF`]) on throttling, timeouts and unreachable endpoints, and the next success
//! sends `Update::SourceOk`. A server that goes away and comes back is picked up again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::alarms;
use super::clients::{CallLog, Clients};
use super::cloudwatch::{self, FetchStats, MetricsFetcher, Plan};
use super::deploys::{self, DeployWatcher};
use super::inventory::{self, FailureKind, SourceFailure};
use super::livetail::{self, LogFeedControl, LogFeedEvent, LogFeedMode};
use crate::config::AwsSettings;
use crate::model::log::LogFilter;
use crate::model::metrics::Inventory;
use crate::model::time::{Ts, MINUTE};
use crate::model::{Update, Usage};
use crate::source::Source;

/// Failures of metric discovery (cloudwatch:ListMetrics: which resources report).
pub const SCOPE_DISCOVERY: &str = "aws/metrics/discovery";

/// The longest a failing task waits before trying again.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// The shortest first metrics backfill after timeouts (the first fetch reads 3 h; on a slow
/// endpoint it is halved down to this).
const MIN_BACKFILL: Ts = 30 * MINUTE;

/// The wall clock in seconds.
pub fn wall_now() -> Ts {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as Ts)
        .unwrap_or(0)
}

/// A little jitter without a random-number crate: 0.8..1.2 from the clock's nanoseconds.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    d.mul_f64(0.8 + (nanos % 1000) as f64 / 2500.0)
}

/// How long a task waits after `failures` failures in a row of `kind` (`None`: it worked).
/// Throttling, timeouts and unreachable endpoints back off exponentially from the normal
/// interval; other failures (AccessDenied, a bad response) retry at the normal interval.
pub fn next_delay(every: Duration, failures: u32, kind: Option<FailureKind>) -> Duration {
    match kind {
        Some(FailureKind::Throttled | FailureKind::Timeout | FailureKind::Unreachable) => {
            let factor = 2u32.saturating_pow(failures.min(8));
            jitter(every.saturating_mul(factor).min(MAX_BACKOFF))
        }
        Some(_) => jitter(every),
        None => every,
    }
}

/// State shared between the tasks and the source.
#[derive(Debug, Default)]
struct Shared {
    metrics: FetchStats,
    /// The first rounds done so far: a bit per kind of data ([`Round`]).
    first_rounds: u8,
}

/// The kinds of data whose first round [`AwsSource::first_round`] waits for.
#[derive(Debug, Clone, Copy)]
enum Round {
    Inventory = 1,
    Metrics = 2,
    Alarms = 4,
    Logs = 8,
    Deploys = 16,
}

const ALL_ROUNDS: u8 = 31;

/// The AWS source: background tasks on the current tokio runtime, drained by [`Source::poll`].
pub struct AwsSource {
    label: String,
    rx: mpsc::UnboundedReceiver<Update>,
    /// What the log feed follows: the pane's visibility and filter (from the event loop) and
    /// the log groups (from the inventory).
    log_control: Arc<watch::Sender<LogFeedControl>>,
    calls: CallLog,
    shared: Arc<Mutex<Shared>>,
    ready: watch::Receiver<u8>,
    last_usage: Option<Usage>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for AwsSource {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A sender that also counts first rounds.
#[derive(Clone)]
struct Out {
    tx: mpsc::UnboundedSender<Update>,
    shared: Arc<Mutex<Shared>>,
    ready: Arc<watch::Sender<u8>>,
}

impl Out {
    fn send(&self, updates: impl IntoIterator<Item = Update>) {
        for u in updates {
            let _ = self.tx.send(u);
        }
    }

    fn fail(&self, f: &SourceFailure) {
        tracing::warn!(scope = %f.scope, "{}", f.message);
        self.send([f.to_update(wall_now())]);
    }

    fn ok(&self, scope: &str) {
        self.send([Update::SourceOk {
            scope: scope.to_string(),
        }]);
    }

    fn round_done(&self, round: Round) {
        let n = {
            let Ok(mut s) = self.shared.lock() else {
                return;
            };
            s.first_rounds |= round as u8;
            s.first_rounds
        };
        self.ready.send_replace(n);
    }
}

impl AwsSource {
    /// Start the tasks on the current tokio runtime. `label` is what the header shows.
    pub fn start(clients: Clients, settings: AwsSettings, label: String) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (log_control, log_control_rx) = watch::channel(LogFeedControl {
            visible: true,
            filter: LogFilter::default(),
            groups: Vec::new(),
        });
        let log_control = Arc::new(log_control);
        let (feed_tx, feed_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready) = watch::channel(0u8);
        let shared = Arc::new(Mutex::new(Shared::default()));
        let out = Out {
            tx,
            shared: shared.clone(),
            ready: Arc::new(ready_tx),
        };
        let (plan_tx, plan_rx) = watch::channel(None::<Plan>);
        let (functions_tx, functions_rx) = watch::channel(None::<Vec<String>>);
        let settings = Arc::new(settings);
        let tasks = vec![
            tokio::spawn(inventory_task(
                clients.clone(),
                settings.clone(),
                out.clone(),
                plan_tx,
                log_control.clone(),
                functions_tx,
            )),
            tokio::spawn(deploys_task(clients.clone(), out.clone(), functions_rx)),
            tokio::spawn(metrics_task(
                clients.clone(),
                settings.clone(),
                out.clone(),
                plan_rx,
            )),
            tokio::spawn(alarms_task(clients.clone(), settings.clone(), out.clone())),
            tokio::spawn(livetail::run(clients.clone(), log_control_rx, feed_tx)),
            tokio::spawn(logs_bridge(out, feed_rx)),
        ];
        Self {
            label,
            rx,
            log_control,
            calls: clients.calls,
            shared,
            ready,
            last_usage: None,
            tasks,
        }
    }

    /// Wait until every task has finished its first round (successfully or not), or until
    /// `timeout`. Returns whether they all did. `opsdeck snapshot` renders after this.
    pub async fn first_round(&mut self, timeout: Duration) -> bool {
        let wait = self.ready.wait_for(|n| *n == ALL_ROUNDS);
        matches!(tokio::time::timeout(timeout, wait).await, Ok(Ok(_)))
    }

    /// The calls sent so far (for tests and the status bar).
    pub fn calls(&self) -> &CallLog {
        &self.calls
    }

    fn usage(&self) -> Usage {
        let metrics = self.shared.lock().map(|s| s.metrics).unwrap_or_default();
        Usage {
            api_calls: self.calls.len() as u64,
            metrics_requested: metrics.metrics_requested,
            cost_usd: metrics.cost_usd(),
        }
    }
}

impl Source for AwsSource {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn poll(&mut self, _now: Ts) -> Vec<Update> {
        let mut out = Vec::new();
        while let Ok(u) = self.rx.try_recv() {
            out.push(u);
        }
        let usage = self.usage();
        if self.last_usage != Some(usage) {
            self.last_usage = Some(usage);
            out.push(Update::Usage(usage));
        }
        out
    }

    fn set_log_interest(&mut self, visible: bool, filter: &LogFilter) {
        self.log_control.send_if_modified(|c| {
            if c.visible == visible && c.filter == *filter {
                return false;
            }
            c.visible = visible;
            c.filter = filter.clone();
            true
        });
    }
}

/// Sleep `d`, returning early when `changed` fires (e.g. a new plan).
async fn sleep_or<T>(d: Duration, changed: &mut watch::Receiver<T>) {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = changed.changed() => {}
    }
}

async fn inventory_task(
    clients: Clients,
    settings: Arc<AwsSettings>,
    out: Out,
    plan_tx: watch::Sender<Option<Plan>>,
    log_control: Arc<watch::Sender<LogFeedControl>>,
    functions_tx: watch::Sender<Option<Vec<String>>>,
) {
    let every = Duration::from_secs(settings.inventory_refresh.max(60) as u64);
    let mut previous = Inventory::default();
    let mut reporting: Option<cloudwatch::Reporting> = None;
    let mut first = true;
    let mut failures = 0u32;
    loop {
        let result = inventory::fetch(&clients).await;
        let mut updates = result.updates(&previous, wall_now());
        let mut inv = result.merged(&previous);
        inventory::apply_settings(&mut inv, &settings);
        for u in &mut updates {
            if let Update::Inventory(i) = u {
                *i = inv.clone();
            }
        }
        let worst = result.failures().iter().map(|f| f.kind).find(|k| {
            matches!(
                k,
                FailureKind::Throttled | FailureKind::Timeout | FailureKind::Unreachable
            )
        });
        match cloudwatch::discover(&clients).await {
            Ok(mut found) => {
                found
                    .apis
                    .retain(|a| crate::config::name_selected(&settings.apis, a));
                reporting = Some(found);
                out.ok(SCOPE_DISCOVERY);
            }
            // Keep what was found before; with nothing found yet, query every resource.
            Err(f) => out.fail(&SourceFailure {
                scope: SCOPE_DISCOVERY.into(),
                ..f
            }),
        }
        out.send(updates);
        previous = inv.clone();
        let plan = match &reporting {
            Some(r) => cloudwatch::plan_for(&r.select(&inv), &r.apis, &settings),
            None => cloudwatch::plan_for(&inv, &[], &settings),
        };
        plan_tx.send_replace(Some(plan));
        // The functions whose aliases deploy detection reads (kept when Lambda failed).
        let names: Vec<String> = inv.functions.iter().map(|f| f.name.clone()).collect();
        functions_tx.send_if_modified(|f| {
            if f.as_ref() == Some(&names) {
                false
            } else {
                *f = Some(names);
                true
            }
        });
        // With Lambda not read this time, the functions' groups we had are kept.
        let groups =
            inventory::groups_to_read(&result, &inv, &settings, &log_control.borrow().groups);
        log_control.send_if_modified(|c| {
            if c.groups == groups {
                false
            } else {
                c.groups = groups;
                true
            }
        });
        if first {
            first = false;
            out.round_done(Round::Inventory);
        }
        if log_control.borrow().groups.is_empty() {
            // Nothing to tail: the log feed has no first round to wait for.
            out.round_done(Round::Logs);
        }
        failures = if worst.is_some() { failures + 1 } else { 0 };
        tokio::time::sleep(next_delay(every, failures, worst)).await;
    }
}

async fn metrics_task(
    clients: Clients,
    settings: Arc<AwsSettings>,
    out: Out,
    mut plan_rx: watch::Receiver<Option<Plan>>,
) {
    let every = Duration::from_secs(settings.refresh.max(crate::config::MIN_REFRESH) as u64);
    // Wait for the first plan (the inventory's first round).
    if plan_rx.wait_for(|p| p.is_some()).await.is_err() {
        return;
    }
    let mut fetcher = MetricsFetcher::new(Plan::default());
    let mut first = true;
    let mut failures = 0u32;
    loop {
        if let Some(plan) = plan_rx.borrow_and_update().clone() {
            fetcher.set_plan(plan);
        }
        let kind = match fetcher.fetch(&clients, wall_now()).await {
            Ok((updates, stats)) => {
                if let Ok(mut s) = out.shared.lock() {
                    s.metrics += stats;
                }
                out.send(updates);
                out.ok(cloudwatch::SCOPE);
                None
            }
            Err(f) => {
                // A first read of 3 h that times out on a slow endpoint is tried shorter.
                if f.kind == FailureKind::Timeout && fetcher.last_end.is_none() {
                    let shorter = (fetcher.backfill / 2).max(MIN_BACKFILL);
                    fetcher = fetcher.clone().with_backfill(shorter);
                }
                out.fail(&f);
                Some(f.kind)
            }
        };
        if first {
            first = false;
            out.round_done(Round::Metrics);
        }
        failures = if kind.is_some() { failures + 1 } else { 0 };
        sleep_or(next_delay(every, failures, kind), &mut plan_rx).await;
    }
}

async fn alarms_task(clients: Clients, settings: Arc<AwsSettings>, out: Out) {
    let every = Duration::from_secs(settings.alarm_refresh.clamp(30, 300) as u64);
    let mut first = true;
    let mut failures = 0u32;
    loop {
        let kind = match alarms::fetch(&clients, &settings.alarm_prefixes).await {
            Ok(list) => {
                out.send([Update::CloudAlarms(list)]);
                out.ok(alarms::SCOPE_ALARMS);
                None
            }
            Err(f) => {
                out.fail(&f);
                Some(f.kind)
            }
        };
        if first {
            first = false;
            out.round_done(Round::Alarms);
        }
        failures = if kind.is_some() { failures + 1 } else { 0 };
        tokio::time::sleep(next_delay(every, failures, kind)).await;
    }
}

/// How often deploy detection reads the aliases of `functions` functions: every minute, so a
/// deploy shows on the charts within about a minute (the rollback gates count in minutes),
/// and more slowly for many functions, so that ListAliases (one call per function) stays
/// under about one call a second on average: Lambda's control-plane API has a small
/// account-wide request rate that deploy tooling shares.
pub fn deploy_interval(functions: usize) -> Duration {
    Duration::from_secs((functions as u64).max(60))
}

/// Deploy detection: alias changes of the inventory's functions become deploy markers.
async fn deploys_task(
    clients: Clients,
    out: Out,
    mut functions_rx: watch::Receiver<Option<Vec<String>>>,
) {
    // Wait for the inventory's first list of functions.
    if functions_rx.wait_for(|f| f.is_some()).await.is_err() {
        return;
    }
    let mut watcher = DeployWatcher::default();
    let mut first = true;
    let mut failures = 0u32;
    loop {
        let functions = functions_rx.borrow_and_update().clone().unwrap_or_default();
        let (updates, failure) =
            deploys::poll(&clients, &functions, &mut watcher, wall_now()).await;
        out.send(updates);
        let kind = match failure {
            Some(f) => {
                out.fail(&f);
                Some(f.kind)
            }
            None => {
                out.ok(deploys::SCOPE);
                None
            }
        };
        if first {
            first = false;
            out.round_done(Round::Deploys);
        }
        failures = if kind.is_some() { failures + 1 } else { 0 };
        let every = deploy_interval(functions.len());
        sleep_or(next_delay(every, failures, kind), &mut functions_rx).await;
    }
}

/// Forward the log feed's events (see [`livetail::run`]); its first event ends the logs'
/// first round.
async fn logs_bridge(out: Out, mut feed: mpsc::UnboundedReceiver<LogFeedEvent>) {
    let mut first = true;
    while let Some(event) = feed.recv().await {
        match event {
            LogFeedEvent::Update(u) => out.send([u]),
            LogFeedEvent::Mode(LogFeedMode::Paused) => {
                out.send([Update::LogFeed(LogFeedMode::Paused.label().into())]);
                continue;
            }
            LogFeedEvent::Mode(m) => out.send([Update::LogFeed(m.label().into())]),
        }
        if first {
            first = false;
            out.round_done(Round::Logs);
        }
    }
}

/// Why opsdeck cannot start watching an account, explained for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    NoRegion {
        profile: Option<String>,
    },
    Credentials {
        profile: Option<String>,
        detail: String,
    },
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let named = |p: &Option<String>| match p {
            Some(p) => format!(" --profile {p}"),
            None => String::new(),
        };
        match self {
            ConnectError::NoRegion { profile } => write!(
                f,
                "no AWS region is set.\n\n\
                 Pass one like the AWS CLI does: opsdeck{} --region eu-west-1\n\
                 or set AWS_REGION, or `region = ...` in the profile's section of ~/.aws/config.\n\n\
                 To try opsdeck without an account: opsdeck --demo",
                named(profile)
            ),
            ConnectError::Credentials { profile, detail } => {
                let p = named(profile);
                write!(
                    f,
                    "no usable AWS credentials{}.\n  {detail}\n\n\
                     opsdeck reads the account with the standard AWS credential chain, like the AWS CLI:\n\
                     \x20 - environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)\n\
                     \x20 - a profile in ~/.aws/config or ~/.aws/credentials: opsdeck --profile NAME, or AWS_PROFILE\n\
                     \x20 - IAM Identity Center (SSO): when the session has expired, run `aws sso login{p}`\n\
                     \x20 - an instance, task or pod role\n\n\
                     Check with `aws sts get-caller-identity{p}`. opsdeck only reads: the README lists the\n\
                     IAM policy it needs. To try opsdeck without an account: opsdeck --demo",
                    match profile {
                        Some(p) => format!(" for profile {p}"),
                        None => String::new(),
                    }
                )
            }
        }
    }
}

impl std::error::Error for ConnectError {}

/// How long opsdeck waits for the credential chain (SSO and instance roles go over the
/// network) before explaining what is missing.
const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(15);

/// Build the clients for `--profile` / `--region`, after checking that a region is set and
/// that the credential chain yields credentials.
pub async fn connect(profile: Option<&str>, region: Option<&str>) -> Result<Clients, ConnectError> {
    use aws_credential_types::provider::ProvideCredentials;
    let sdk = super::clients::sdk_config(profile, region).await;
    let profile = profile.map(str::to_string);
    if sdk.region().is_none() {
        return Err(ConnectError::NoRegion { profile });
    }
    let Some(provider) = sdk.credentials_provider() else {
        return Err(ConnectError::Credentials {
            profile,
            detail: "no credential provider is configured".into(),
        });
    };
    match tokio::time::timeout(CREDENTIALS_TIMEOUT, provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok(Clients::from_sdk_config(&sdk)),
        Ok(Err(e)) => Err(ConnectError::Credentials {
            profile,
            detail: aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
        }),
        Err(_) => Err(ConnectError::Credentials {
            profile,
            detail: format!(
                "the credential chain did not answer within {} s",
                CREDENTIALS_TIMEOUT.as_secs()
            ),
        }),
    }
}

/// What the header says the data comes from: region, profile and, when the endpoint is
/// overridden (an emulator), that endpoint, so nobody mistakes it for production.
pub fn label(region: &str, profile: Option<&str>) -> String {
    let mut s = format!("aws {region}");
    if let Some(p) = profile {
        s.push_str(&format!(" · {p}"));
    }
    if let Some(host) = endpoint_override() {
        s.push_str(&format!(" · endpoint {host}"));
    }
    s
}

/// The endpoint AWS_ENDPOINT_URL sends every service to (an emulator, a proxy), without the
/// scheme; `None` for real AWS.
pub fn endpoint_override() -> Option<String> {
    let url = std::env::var("AWS_ENDPOINT_URL").ok()?;
    let host = url
        .trim()
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/');
    (!host.is_empty()).then(|| host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_detection_slows_down_for_many_functions() {
        assert_eq!(deploy_interval(0), Duration::from_secs(60));
        assert_eq!(deploy_interval(3), Duration::from_secs(60));
        assert_eq!(deploy_interval(300), Duration::from_secs(300));
    }

    #[test]
    fn backoff_doubles_on_throttling_and_caps() {
        let every = Duration::from_secs(60);
        assert_eq!(next_delay(every, 0, None), every);
        let d1 = next_delay(every, 1, Some(FailureKind::Throttled));
        assert!(
            d1 >= Duration::from_secs(96) && d1 <= Duration::from_secs(144),
            "{d1:?}"
        );
        let d9 = next_delay(every, 9, Some(FailureKind::Timeout));
        assert!(d9 <= MAX_BACKOFF.mul_f64(1.2), "{d9:?}");
        assert!(d9 >= MAX_BACKOFF.mul_f64(0.8), "{d9:?}");
        let denied = next_delay(every, 5, Some(FailureKind::AccessDenied));
        assert!(denied <= every.mul_f64(1.2), "{denied:?}");
    }
}
