//! The log feed of the AWS source: CloudWatch Logs Live Tail while the log pane is visible,
//! FilterLogEvents polling where Live Tail is not available.
//!
//! One tokio task runs [`run`]. It is steered by a `watch` channel of [`LogFeedControl`]
//! (pane visible, the pane's filter, the log groups) and tells the lead's task what happened
//! through an unbounded channel of [`LogFeedEvent`]s: model updates (`Update::Logs`,
//! `Update::SourceError` / `Update::SourceOk` with scope [`SCOPE_LOGS`]) and the feed's
//! [`LogFeedMode`] (for the log pane's title).
//!
//! ## What the feed does
//! - **Hidden pane** (or no groups): no session, no polls ([`LogFeedMode::Paused`]).
//! - **Visible**: first a catch-up poll (FilterLogEvents from each group's position; the
//!   first time, the last 30 minutes), so the pane is not empty and nothing that happened
//!   while it was hidden or between two sessions is missed. Then a Live Tail session on the
//!   first [`MAX_GROUPS_PER_SESSION`] groups (one session; Live Tail is billed per
//!   session-minute). Groups beyond that, and groups DescribeLogGroups does not know (yet),
//!   are polled every [`POLL_INTERVAL`] next to the session.
//! - **Session end**: the stream ended or the 3 h SessionTimeoutException: reconnect
//!   (after a jittered backoff that grows while sessions keep ending early, reset by a
//!   session that lasted [`HEALTHY_SESSION`]). A stream that stays silent for
//!   [`IDLE_TIMEOUT`] (Live Tail sends an update every second) is treated as cut.
//! - **Live Tail unavailable** (AccessDenied on `logs:StartLiveTail`, an endpoint that does
//!   not know the operation, DNS / connect failures, any other refusal): poll FilterLogEvents
//!   every [`POLL_INTERVAL`] ([`LogFeedMode::Polling`] says why) and try Live Tail again after
//!   [`LIVE_RETRY_AFTER`]. This is a mode, not an error: the pane keeps working.
//! - **Transient failures** (throttling, LimitExceeded on concurrent sessions, a stream cut):
//!   `Update::SourceError`, backoff, reconnect. Poll failures are errors too; the next
//!   success sends `Update::SourceOk`.
//! - **Filter change**: when the CloudWatch pattern ([`filter_pattern`]) changes, the
//!   session is restarted with the new pattern (and the poller uses it too).
//!
//! ## Exactly once
//! Every event is keyed by group, stream, timestamp and a hash of its message; the feed
//! remembers the last [`MAX_RECENT_KEYS`] keys and drops repeats. That covers the catch-up
//! poll overlapping a session, a reconnect replaying events (moto replays every matching
//! event on each session; AWS may overlap at a reconnect) and the poller's own overlap
//! re-reads (which it dedupes by event id as well).
//!
//! ## Sampling
//! Live Tail sends at most 500 events a second and says when it sampled; the mode becomes
//! `LiveTail { sampled: true }` until an update arrives that was not sampled.
//!
//! IAM actions: `logs:StartLiveTail`, `logs:DescribeLogGroups` (ARNs for Live Tail),
//! `logs:FilterLogEvents` (catch-up and fallback).

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::types::error::StartLiveTailResponseStreamError;
use aws_sdk_cloudwatchlogs::types::StartLiveTailResponseStream;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::clients::Clients;
use super::inventory::{is_access_denied, is_throttling, FailureKind, SourceFailure};
pub use super::logs::SCOPE_LOGS;
use super::logs::{LogEvent, LogPoller};
use crate::model::log::{LogFilter, LogLevel};
use crate::model::Update;

/// Live Tail accepts at most this many log groups per session.
pub const MAX_GROUPS_PER_SESSION: usize = 10;
/// How often FilterLogEvents polls run (fallback, and groups beyond a session's ten).
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);
/// After Live Tail was found unavailable, how long to poll before trying it again.
pub const LIVE_RETRY_AFTER: Duration = Duration::from_secs(600);
/// A session without any message for this long is treated as cut.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A session that lasted this long resets the reconnect backoff.
pub const HEALTHY_SESSION: Duration = Duration::from_secs(60);
/// The longest reconnect backoff.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How many recent event keys the feed remembers to drop repeats.
pub const MAX_RECENT_KEYS: usize = 20_000;
/// CloudWatch filter patterns are at most this long.
pub const MAX_PATTERN_LEN: usize = 1024;

// ---------------------------------------------------------------------------------------------
// What goes in and out

/// What the lead's task tells the feed (through a `tokio::sync::watch`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFeedControl {
    /// Is the log pane on screen? Hidden: no session, no polls.
    pub visible: bool,
    /// The log pane's filter; it becomes the CloudWatch pattern ([`filter_pattern`]).
    pub filter: LogFilter,
    /// Log group names (the functions' `/aws/lambda/NAME` and configured groups).
    pub groups: Vec<String>,
}

/// How the feed is getting logs now, for the log pane's title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFeedMode {
    /// The pane is hidden (or there are no groups): nothing is read.
    Paused,
    /// A Live Tail session is open; `sampled` while CloudWatch says it is sampling.
    LiveTail { sampled: bool },
    /// Polling FilterLogEvents; `reason` says why Live Tail is not used.
    Polling { reason: String },
}

impl LogFeedMode {
    /// A short label, e.g. `live tail`, `live tail (sampled)`, `polling`, `paused`.
    pub fn label(&self) -> &'static str {
        match self {
            LogFeedMode::Paused => "paused",
            LogFeedMode::LiveTail { sampled: false } => "live tail",
            LogFeedMode::LiveTail { sampled: true } => "live tail (sampled)",
            LogFeedMode::Polling { .. } => "polling",
        }
    }
}

/// What the feed sends to the lead's task.
#[derive(Debug, Clone, PartialEq)]
pub enum LogFeedEvent {
    /// For the model as is: `Update::Logs`, `Update::SourceError`, `Update::SourceOk`.
    Update(Update),
    /// The feed's mode changed.
    Mode(LogFeedMode),
}

// ---------------------------------------------------------------------------------------------
// The filter pattern

/// The CloudWatch filter pattern for the log pane's filter, or `None` (every event).
///
/// The pattern only narrows what CloudWatch sends; the model still applies the pane's own
/// filter. So it must let through at least every line the pane would show (a superset), and
/// the pane's filter is case-insensitive while CloudWatch terms are case-sensitive. Hence
/// regular expressions (`%...%`, which CloudWatch accepts in FilterLogEvents and Live Tail):
/// - text only: each ASCII letter becomes `[Xx]`, digits and `: _ # = @ / ; , -` stay, any
///   other character (space, quote, dot...) becomes `.`: `timed out` →
///   `%[Tt][Ii][Mm][Ee][Dd].[Oo][Uu][Tt]%`. Text with non-ASCII characters (CloudWatch
///   regexes do not support multi-byte characters) → `None`.
/// - level only: the level words at that level or more severe, case-insensitively and
///   anywhere in the line (`ERROR` → `%[Ee][Rr][Rr]|[Ff][Aa][Tt][Aa][Ll]|...%`; `err` also
///   covers `error`, `crit` covers `critical`).
/// - level and text: the text's pattern only (one regex cannot say "and" without
///   lookahead); the model applies the level.
/// - a pattern longer than [`MAX_PATTERN_LEN`] → `None`.
///
/// Not a superset in one case: the pane's text filter also matches the source (the group
/// name); a text that only appears in a group's name shows nothing from CloudWatch.
/// moto ignores `%...%` patterns (returns every event), which is still correct.
pub fn filter_pattern(filter: &LogFilter) -> Option<String> {
    let text = filter.text.trim();
    let pattern = if !text.is_empty() {
        if !text.is_ascii() {
            return level_pattern(filter.min_level);
        }
        let mut p = String::from("%");
        for c in text.chars() {
            if c.is_ascii_alphabetic() {
                p.push('[');
                p.push(c.to_ascii_uppercase());
                p.push(c.to_ascii_lowercase());
                p.push(']');
            } else if c.is_ascii_digit() || ":_#=@/;,-".contains(c) {
                p.push(c);
            } else {
                p.push('.');
            }
        }
        p.push('%');
        p
    } else {
        return level_pattern(filter.min_level);
    };
    (pattern.len() <= MAX_PATTERN_LEN).then_some(pattern)
}

fn level_pattern(min: Option<LogLevel>) -> Option<String> {
    let min = min?;
    let mut words: Vec<&str> = vec!["err", "fatal", "crit", "panic"];
    if min >= LogLevel::Warn {
        words.push("warn");
    }
    if min >= LogLevel::Info {
        words.extend(["info", "notice"]);
    }
    if min >= LogLevel::Debug {
        words.extend(["debug", "trace"]);
    }
    let alternatives: Vec<String> = words.iter().map(|w| case_insensitive(w)).collect();
    Some(format!("%{}%", alternatives.join("|")))
}

fn case_insensitive(word: &str) -> String {
    word.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            } else {
                c.to_string()
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Dedupe

/// The keys of recently delivered events (bounded; the oldest go first).
#[derive(Debug, Clone)]
pub struct RecentKeys {
    set: HashSet<u64>,
    order: VecDeque<u64>,
    cap: usize,
}

impl RecentKeys {
    pub fn new(cap: usize) -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    /// The key of an event: group, stream, timestamp and a hash of the message.
    pub fn key(e: &LogEvent) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        e.group.hash(&mut h);
        e.stream.hash(&mut h);
        e.ts_ms.hash(&mut h);
        e.message.hash(&mut h);
        h.finish()
    }

    /// True the first time an event is seen (it is remembered), false for a repeat.
    pub fn insert(&mut self, e: &LogEvent) -> bool {
        let k = Self::key(e);
        if !self.set.insert(k) {
            return false;
        }
        self.order.push_back(k);
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Log groups → ARNs

/// The ARNs of `names` (Live Tail takes ARNs), via DescribeLogGroups (one call per name,
/// with the name as prefix, paginated; the exact name is picked). The ARN is returned
/// without the trailing `:*`. Groups that do not exist are left out (the caller polls
/// them: they may appear later); they are logged at debug level.
/// IAM action: `logs:DescribeLogGroups`.
pub async fn log_group_arns(
    clients: &Clients,
    names: &[String],
) -> Result<Vec<(String, String)>, SourceFailure> {
    let mut out = Vec::new();
    for name in names {
        if name.is_empty() || out.iter().any(|(n, _)| n == name) {
            continue;
        }
        let mut token: Option<String> = None;
        let mut found = None;
        for _ in 0..20 {
            let page = clients
                .logs
                .describe_log_groups()
                .log_group_name_prefix(name)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| SourceFailure::from_sdk(SCOPE_LOGS, "logs:DescribeLogGroups", &e))?;
            found = page
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name.as_str()))
                .and_then(|g| g.log_group_arn().or(g.arn()).map(strip_arn_suffix));
            if found.is_some() {
                break;
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        match found {
            Some(arn) => out.push((name.clone(), arn)),
            None => tracing::debug!(group = %name, "log group not found; it is polled"),
        }
    }
    Ok(out)
}

fn strip_arn_suffix(arn: &str) -> String {
    arn.strip_suffix(":*").unwrap_or(arn).to_string()
}

/// The log group name in an ARN (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`), or the
/// identifier as is.
pub fn group_name_of(identifier: &str) -> &str {
    let id = identifier.strip_suffix(":*").unwrap_or(identifier);
    match id.find(":log-group:") {
        Some(i) if id.starts_with("arn:") => &id[i + ":log-group:".len()..],
        _ => id,
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions and backends

/// One message of a Live Tail session.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionItem {
    Started,
    Update {
        events: Vec<LogEvent>,
        sampled: bool,
    },
    Ended(SessionEnd),
}

/// How a session ended (or why it could not start).
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEnd {
    /// The stream ended normally (moto ends it after replaying; AWS should not).
    Closed,
    /// The 3 h SessionTimeoutException.
    Timeout,
    /// Live Tail cannot be used here (AccessDenied, unknown operation, DNS/connect failure,
    /// any other refusal): poll instead for a while.
    Unavailable(SourceFailure),
    /// Throttling, too many sessions, a stream cut: reconnect after a backoff.
    Transient(SourceFailure),
}

/// An open Live Tail session.
pub trait LiveSession: Send {
    /// The next message; `Ended` once the session is over.
    fn next(&mut self) -> impl Future<Output = SessionItem> + Send;
}

/// What the feed needs from CloudWatch Logs; [`AwsBackend`] is the real one (the trait
/// exists so the feed's state machine can be tested without a server).
pub trait LogBackend: Send {
    type Session: LiveSession;
    /// Names → (name, ARN) of the groups that exist.
    fn resolve(
        &mut self,
        groups: &[String],
    ) -> impl Future<Output = Result<Vec<(String, String)>, SourceFailure>> + Send;
    /// Start a Live Tail session on these ARNs.
    fn open(
        &mut self,
        arns: &[String],
        pattern: Option<&str>,
    ) -> impl Future<Output = Result<Self::Session, SessionEnd>> + Send;
    /// The groups the poller keeps positions for.
    fn set_groups(&mut self, groups: &[String]);
    /// Poll the groups in `only` (FilterLogEvents), from their positions.
    fn poll(
        &mut self,
        only: &[String],
        pattern: Option<&str>,
        now_ms: i64,
    ) -> impl Future<Output = (Vec<LogEvent>, Option<SourceFailure>)> + Send;
    /// Events of `groups` up to `ts_ms` were delivered by Live Tail.
    fn advance(&mut self, groups: &[String], ts_ms: i64);
}

/// CloudWatch Logs through opsdeck's read-only clients.
#[derive(Debug)]
pub struct AwsBackend {
    clients: Clients,
    poller: LogPoller,
    names_by_arn: HashMap<String, String>,
}

impl AwsBackend {
    pub fn new(clients: Clients) -> Self {
        Self::with_poller(clients, LogPoller::new(Vec::new()))
    }

    /// With a configured poller (lookback, overlap, call spacing).
    pub fn with_poller(clients: Clients, poller: LogPoller) -> Self {
        Self {
            clients,
            poller,
            names_by_arn: HashMap::new(),
        }
    }
}

/// A Live Tail session over the SDK's event stream.
pub struct AwsSession {
    rx: aws_sdk_cloudwatchlogs::primitives::event_stream::EventReceiver<
        StartLiveTailResponseStream,
        StartLiveTailResponseStreamError,
    >,
    names_by_arn: HashMap<String, String>,
}

impl std::fmt::Debug for AwsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSession").finish_non_exhaustive()
    }
}

impl LiveSession for AwsSession {
    async fn next(&mut self) -> SessionItem {
        loop {
            return match self.rx.recv().await {
                Ok(Some(StartLiveTailResponseStream::SessionStart(_))) => SessionItem::Started,
                Ok(Some(StartLiveTailResponseStream::SessionUpdate(u))) => SessionItem::Update {
                    sampled: u.session_metadata().is_some_and(|m| m.sampled()),
                    events: u
                        .session_results()
                        .iter()
                        .filter_map(|e| {
                            let id = e.log_group_identifier().unwrap_or_default();
                            Some(LogEvent {
                                group: self
                                    .names_by_arn
                                    .get(id.strip_suffix(":*").unwrap_or(id))
                                    .cloned()
                                    .unwrap_or_else(|| group_name_of(id).to_string()),
                                stream: e.log_stream_name().unwrap_or_default().to_string(),
                                ts_ms: e.timestamp()?,
                                message: e.message().unwrap_or_default().to_string(),
                            })
                        })
                        .collect(),
                },
                Ok(Some(_)) => continue,
                Ok(None) => SessionItem::Ended(SessionEnd::Closed),
                Err(e) => SessionItem::Ended(classify_stream_error(&e)),
            };
        }
    }
}

/// A failure while the stream was open.
fn classify_stream_error<R: std::fmt::Debug + 'static>(
    e: &SdkError<StartLiveTailResponseStreamError, R>,
) -> SessionEnd {
    if let Some(se) = e.as_service_error() {
        if se.is_session_timeout_exception() {
            return SessionEnd::Timeout;
        }
    }
    let mut f = SourceFailure::from_sdk(SCOPE_LOGS, "logs:StartLiveTail", e);
    f.message = format!("Live Tail stream cut: {}", f.message);
    SessionEnd::Transient(f)
}

/// A failure of the StartLiveTail call itself, by kind and error code.
pub fn classify_start_failure(f: SourceFailure, code: Option<&str>) -> SessionEnd {
    let code = code.unwrap_or("");
    match f.kind {
        FailureKind::Throttled | FailureKind::Timeout => SessionEnd::Transient(f),
        _ if code == "LimitExceededException" || is_throttling(code) => SessionEnd::Transient(f),
        _ if code == "SessionStreamingException" || code == "ServiceUnavailableException" => {
            SessionEnd::Transient(f)
        }
        _ => SessionEnd::Unavailable(f),
    }
}

impl LogBackend for AwsBackend {
    type Session = AwsSession;

    async fn resolve(&mut self, groups: &[String]) -> Result<Vec<(String, String)>, SourceFailure> {
        let found = log_group_arns(&self.clients, groups).await?;
        for (name, arn) in &found {
            self.names_by_arn.insert(arn.clone(), name.clone());
        }
        Ok(found)
    }

    async fn open(
        &mut self,
        arns: &[String],
        pattern: Option<&str>,
    ) -> Result<AwsSession, SessionEnd> {
        let res = self
            .clients
            .logs
            .start_live_tail()
            .set_log_group_identifiers(Some(arns.to_vec()))
            .set_log_event_filter_pattern(pattern.map(str::to_string))
            .send()
            .await;
        match res {
            Ok(out) => Ok(AwsSession {
                rx: out.response_stream,
                names_by_arn: self.names_by_arn.clone(),
            }),
            Err(e) => {
                let mut f = SourceFailure::from_sdk(SCOPE_LOGS, "logs:StartLiveTail", &e);
                let mut code = e.code().map(str::to_string);
                // A modelled error without a code in its metadata: go by its variant.
                if let (None, Some(se)) = (&code, e.as_service_error()) {
                    if se.is_access_denied_exception() {
                        code = Some("AccessDeniedException".into());
                        f = SourceFailure::new(
                            SCOPE_LOGS,
                            FailureKind::AccessDenied,
                            format!(
                                "access denied: the credentials need the IAM permission logs:StartLiveTail ({})",
                                se.meta().message().unwrap_or("AccessDeniedException")
                            ),
                        );
                    } else if se.is_limit_exceeded_exception() {
                        code = Some("LimitExceededException".into());
                    }
                }
                if !is_access_denied(code.as_deref().unwrap_or("")) {
                    f.message = format!("Live Tail: {}", f.message);
                }
                Err(classify_start_failure(f, code.as_deref()))
            }
        }
    }

    fn set_groups(&mut self, groups: &[String]) {
        self.poller.set_groups(groups.to_vec());
    }

    async fn poll(
        &mut self,
        only: &[String],
        pattern: Option<&str>,
        now_ms: i64,
    ) -> (Vec<LogEvent>, Option<SourceFailure>) {
        self.poller.set_filter_pattern(pattern.map(str::to_string));
        self.poller
            .poll_events(&self.clients, Some(only), now_ms)
            .await
    }

    fn advance(&mut self, groups: &[String], ts_ms: i64) {
        for g in groups {
            self.poller.advance(g, ts_ms);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The feed

/// Run the log feed over opsdeck's clients until `control`'s sender or `sink`'s receiver is
/// dropped. Spawn it: `tokio::spawn(livetail::run(clients, control_rx, sink))`.
pub async fn run(
    clients: Clients,
    control: watch::Receiver<LogFeedControl>,
    sink: mpsc::UnboundedSender<LogFeedEvent>,
) {
    run_with(AwsBackend::new(clients), control, sink).await
}

/// Why a phase of the feed ended.
enum Next {
    /// Read the control again (it changed, or a wait is over).
    Again,
    /// The control's sender or the sink's receiver is gone.
    Stop,
}

struct Feed {
    sink: mpsc::UnboundedSender<LogFeedEvent>,
    recent: RecentKeys,
    mode: Option<LogFeedMode>,
    failing: bool,
    backoff: Backoff,
    /// Live Tail is not used before this instant (it was unavailable).
    live_after: Option<Instant>,
    unavailable: String,
}

impl Feed {
    fn send(&self, e: LogFeedEvent) -> bool {
        self.sink.send(e).is_ok()
    }

    fn set_mode(&mut self, mode: LogFeedMode) -> bool {
        if self.mode.as_ref() == Some(&mode) {
            return true;
        }
        self.mode = Some(mode.clone());
        self.send(LogFeedEvent::Mode(mode))
    }

    fn deliver(&mut self, events: Vec<LogEvent>) -> bool {
        let logs: Vec<_> = events
            .iter()
            .filter(|e| self.recent.insert(e))
            .map(LogEvent::to_raw)
            .collect();
        logs.is_empty() || self.send(LogFeedEvent::Update(Update::Logs(logs)))
    }

    fn fail(&mut self, f: &SourceFailure) -> bool {
        self.failing = true;
        self.send(LogFeedEvent::Update(f.to_update(now_secs())))
    }

    fn ok(&mut self) -> bool {
        if !self.failing {
            return true;
        }
        self.failing = false;
        self.send(LogFeedEvent::Update(Update::SourceOk {
            scope: SCOPE_LOGS.to_string(),
        }))
    }

    async fn poll<B: LogBackend>(
        &mut self,
        backend: &mut B,
        only: &[String],
        pattern: Option<&str>,
    ) -> bool {
        if only.is_empty() {
            return true;
        }
        let (events, failure) = backend.poll(only, pattern, now_ms()).await;
        let delivered = self.deliver(events);
        let reported = match failure {
            Some(f) => self.fail(&f),
            None => self.ok(),
        };
        delivered && reported
    }
}

/// The control fields that need a new session when they change.
fn session_key(c: &LogFeedControl) -> (bool, Vec<String>, Option<String>) {
    (c.visible, c.groups.clone(), filter_pattern(&c.filter))
}

/// Wait `d`, or less when the control changes. `Stop` when the control's sender is gone.
async fn wait_or_change(control: &mut watch::Receiver<LogFeedControl>, d: Duration) -> Next {
    tokio::select! {
        r = control.changed() => if r.is_err() { Next::Stop } else { Next::Again },
        _ = tokio::time::sleep(d) => Next::Again,
    }
}

/// How long the control must stay unchanged before a new session starts (typing a filter
/// changes it on every key).
pub const SETTLE: Duration = Duration::from_millis(400);

/// Wait until the control has not changed for [`SETTLE`].
async fn settle(control: &mut watch::Receiver<LogFeedControl>) -> Next {
    loop {
        tokio::select! {
            r = control.changed() => if r.is_err() { return Next::Stop; },
            _ = tokio::time::sleep(SETTLE) => return Next::Again,
        }
    }
}

/// [`run`] over any backend (tests use an in-memory one).
pub async fn run_with<B: LogBackend>(
    mut backend: B,
    mut control: watch::Receiver<LogFeedControl>,
    sink: mpsc::UnboundedSender<LogFeedEvent>,
) {
    let mut feed = Feed {
        sink,
        recent: RecentKeys::new(MAX_RECENT_KEYS),
        mode: None,
        failing: false,
        backoff: Backoff::new(),
        live_after: None,
        unavailable: String::new(),
    };
    loop {
        if feed.sink.is_closed() {
            return;
        }
        let ctl = control.borrow_and_update().clone();
        let groups: Vec<String> = {
            let mut g: Vec<String> = Vec::new();
            for name in &ctl.groups {
                if !name.is_empty() && !g.contains(name) {
                    g.push(name.clone());
                }
            }
            g
        };
        if !ctl.visible || groups.is_empty() {
            if !feed.set_mode(LogFeedMode::Paused) || control.changed().await.is_err() {
                return;
            }
            continue;
        }
        let pattern = filter_pattern(&ctl.filter);
        backend.set_groups(&groups);
        // Catch up: what happened while hidden, before the first session, between sessions.
        if !feed.poll(&mut backend, &groups, pattern.as_deref()).await {
            return;
        }
        let next = if feed.live_after.is_none_or(|t| Instant::now() >= t) {
            live_phase(
                &mut feed,
                &mut backend,
                &mut control,
                &ctl,
                &groups,
                pattern,
            )
            .await
        } else {
            poll_phase(
                &mut feed,
                &mut backend,
                &mut control,
                &ctl,
                &groups,
                pattern,
            )
            .await
        };
        if let Next::Stop = next {
            return;
        }
    }
}

/// Poll every group every [`POLL_INTERVAL`] until the control changes or Live Tail may be
/// tried again.
async fn poll_phase<B: LogBackend>(
    feed: &mut Feed,
    backend: &mut B,
    control: &mut watch::Receiver<LogFeedControl>,
    ctl: &LogFeedControl,
    groups: &[String],
    pattern: Option<String>,
) -> Next {
    let reason = feed.unavailable.clone();
    if !feed.set_mode(LogFeedMode::Polling { reason }) {
        return Next::Stop;
    }
    let key = session_key(ctl);
    loop {
        if let Next::Stop = wait_or_change(control, POLL_INTERVAL).await {
            return Next::Stop;
        }
        if session_key(&control.borrow()) != key {
            if !control.borrow().visible {
                return Next::Again;
            }
            return settle(control).await;
        }
        if feed.live_after.is_none_or(|t| Instant::now() >= t) {
            return Next::Again;
        }
        if !feed.poll(backend, groups, pattern.as_deref()).await {
            return Next::Stop;
        }
    }
}

/// Resolve ARNs, open one session on up to ten groups, poll the rest, until the session
/// ends or the control changes.
async fn live_phase<B: LogBackend>(
    feed: &mut Feed,
    backend: &mut B,
    control: &mut watch::Receiver<LogFeedControl>,
    ctl: &LogFeedControl,
    groups: &[String],
    pattern: Option<String>,
) -> Next {
    let resolved = match backend.resolve(groups).await {
        Ok(r) => r,
        Err(f) => {
            let end = if f.kind == FailureKind::AccessDenied {
                SessionEnd::Unavailable(f)
            } else {
                SessionEnd::Transient(f)
            };
            return after_session(feed, control, end, None).await;
        }
    };
    let live: Vec<(String, String)> = resolved.into_iter().take(MAX_GROUPS_PER_SESSION).collect();
    let live_names: Vec<String> = live.iter().map(|(n, _)| n.clone()).collect();
    let polled: Vec<String> = groups
        .iter()
        .filter(|g| !live_names.contains(g))
        .cloned()
        .collect();
    if live.is_empty() {
        // Nothing exists yet: poll (cheap, and picks the groups up when they appear).
        feed.live_after = Some(Instant::now() + POLL_INTERVAL * 6);
        feed.unavailable = "no log group found".into();
        return Next::Again;
    }
    let arns: Vec<String> = live.iter().map(|(_, a)| a.clone()).collect();
    let mut session = match backend.open(&arns, pattern.as_deref()).await {
        Ok(s) => s,
        Err(end) => return after_session(feed, control, end, None).await,
    };
    let opened = Instant::now();
    if !feed.set_mode(LogFeedMode::LiveTail { sampled: false }) {
        return Next::Stop;
    }
    let key = session_key(ctl);
    let mut next_poll = Instant::now() + POLL_INTERVAL;
    let end = loop {
        tokio::select! {
            r = control.changed() => {
                if r.is_err() {
                    return Next::Stop;
                }
                if session_key(&control.borrow()) != key {
                    break None;
                }
            }
            item = tokio::time::timeout(IDLE_TIMEOUT, session.next()) => {
                match item {
                    Ok(SessionItem::Started) => {
                        if !feed.ok() {
                            return Next::Stop;
                        }
                    }
                    Ok(SessionItem::Update { events, sampled }) => {
                        if !(feed.deliver(events)
                            && feed.set_mode(LogFeedMode::LiveTail { sampled })
                            && feed.ok())
                        {
                            return Next::Stop;
                        }
                    }
                    Ok(SessionItem::Ended(end)) => break Some(end),
                    Err(_) => {
                        break Some(SessionEnd::Transient(SourceFailure::new(
                            SCOPE_LOGS,
                            FailureKind::Timeout,
                            format!(
                                "Live Tail sent nothing for {} s; reconnecting",
                                IDLE_TIMEOUT.as_secs()
                            ),
                        )))
                    }
                }
            }
            _ = tokio::time::sleep_until(next_poll), if !polled.is_empty() => {
                if !feed.poll(backend, &polled, pattern.as_deref()).await {
                    return Next::Stop;
                }
                next_poll = Instant::now() + POLL_INTERVAL;
            }
        }
    };
    // Dropping the session closes the stream.
    drop(session);
    backend.advance(&live_names, now_ms());
    match end {
        Some(end) => after_session(feed, control, end, Some(opened.elapsed())).await,
        None if !control.borrow().visible => Next::Again,
        None => settle(control).await,
    }
}

/// Handle the end of a session (or a failed start): report, then wait before the next try.
async fn after_session(
    feed: &mut Feed,
    control: &mut watch::Receiver<LogFeedControl>,
    end: SessionEnd,
    lasted: Option<Duration>,
) -> Next {
    if lasted.is_some_and(|d| d >= HEALTHY_SESSION) {
        feed.backoff.reset();
    }
    let wait = match end {
        SessionEnd::Timeout => {
            feed.backoff.reset();
            feed.backoff.jitter(Duration::from_secs(1))
        }
        SessionEnd::Closed => feed.backoff.next_wait(),
        SessionEnd::Transient(f) => {
            if !feed.fail(&f) {
                return Next::Stop;
            }
            feed.backoff.next_wait()
        }
        SessionEnd::Unavailable(f) => {
            tracing::info!(reason = %f.message, "Live Tail unavailable; polling FilterLogEvents");
            feed.live_after = Some(Instant::now() + LIVE_RETRY_AFTER);
            feed.unavailable = f.message;
            return Next::Again;
        }
    };
    wait_or_change(control, wait).await
}

/// Exponential backoff with jitter: 1 s, 2 s, 4 s... up to [`MAX_BACKOFF`], each drawn
/// from [d/2, d].
#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
    seed: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

impl Backoff {
    pub fn new() -> Self {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15)
            | 1;
        Self { attempt: 0, seed }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The next wait.
    pub fn next_wait(&mut self) -> Duration {
        let base = Duration::from_secs(1u64 << self.attempt.min(6)).min(MAX_BACKOFF);
        self.attempt = self.attempt.saturating_add(1);
        let half = base / 2;
        half + self.jitter(half)
    }

    /// A random duration in [0, max].
    pub fn jitter(&mut self, max: Duration) -> Duration {
        // xorshift64
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let frac = (self.seed >> 11) as f64 / (1u64 << 53) as f64;
        max.mul_f64(frac)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn now_secs() -> i64 {
    now_ms().div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn ev(group: &str, stream: &str, ts_ms: i64, message: &str) -> LogEvent {
        LogEvent {
            group: group.into(),
            stream: stream.into(),
            ts_ms,
            message: message.into(),
        }
    }

    #[test]
    fn filter_text_is_a_case_insensitive_regex() {
        let f = LogFilter {
            min_level: None,
            text: " timed out ".into(),
        };
        assert_eq!(
            filter_pattern(&f).as_deref(),
            Some("%[Tt][Ii][Mm][Ee][Dd].[Oo][Uu][Tt]%")
        );
        let f = LogFilter {
            min_level: None,
            text: "a\"b.c:5_x-y".into(),
        };
        assert_eq!(
            filter_pattern(&f).as_deref(),
            Some("%[Aa].[Bb].[Cc]:5_[Xx]-[Yy]%")
        );
        // Text wins over the level (the model applies the level).
        let f = LogFilter {
            min_level: Some(LogLevel::Error),
            text: "db".into(),
        };
        assert_eq!(filter_pattern(&f).as_deref(), Some("%[Dd][Bb]%"));
        assert_eq!(filter_pattern(&LogFilter::default()), None);
        let long = LogFilter {
            min_level: None,
            text: "x".repeat(300),
        };
        assert_eq!(filter_pattern(&long), None);
    }

    #[test]
    fn filter_level_lists_the_words_at_or_above() {
        let f = |l| LogFilter {
            min_level: Some(l),
            text: String::new(),
        };
        assert_eq!(
            filter_pattern(&f(LogLevel::Error)).as_deref(),
            Some("%[Ee][Rr][Rr]|[Ff][Aa][Tt][Aa][Ll]|[Cc][Rr][Ii][Tt]|[Pp][Aa][Nn][Ii][Cc]%")
        );
        let warn = filter_pattern(&f(LogLevel::Warn)).unwrap();
        assert!(warn.contains("[Ww][Aa][Rr][Nn]") && !warn.contains("[Ii][Nn]"));
        let debug = filter_pattern(&f(LogLevel::Debug)).unwrap();
        assert!(debug.contains("[Tt][Rr][Aa][Cc][Ee]"));
        // Non-ASCII text: only the level goes to CloudWatch.
        let g = LogFilter {
            min_level: Some(LogLevel::Error),
            text: "café".into(),
        };
        assert_eq!(filter_pattern(&g), filter_pattern(&f(LogLevel::Error)));
        let h = LogFilter {
            min_level: None,
            text: "café".into(),
        };
        assert_eq!(filter_pattern(&h), None);
    }

    #[test]
    fn recent_keys_dedupe_and_stay_bounded() {
        let mut r = RecentKeys::new(3);
        assert!(r.insert(&ev("g", "s", 1, "a")));
        assert!(!r.insert(&ev("g", "s", 1, "a")));
        assert!(r.insert(&ev("g", "s2", 1, "a")));
        assert!(r.insert(&ev("g2", "s", 1, "a")));
        assert!(r.insert(&ev("g", "s", 2, "a")));
        assert_eq!(r.len(), 3);
        // The oldest was forgotten.
        assert!(r.insert(&ev("g", "s", 1, "a")));
    }

    #[test]
    fn event_to_raw_log_and_group_names() {
        let raw = ev("/aws/lambda/x", "s", 1_795_412_340_999, "hi\u{1b}").to_raw();
        assert_eq!(raw.ts, 1_795_412_340);
        assert_eq!(raw.source, "/aws/lambda/x");
        assert_eq!(raw.bytes, b"hi\x1b");
        assert_eq!(
            group_name_of("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*"),
            "/aws/lambda/x"
        );
        assert_eq!(group_name_of("/aws/lambda/x"), "/aws/lambda/x");
        assert_eq!(strip_arn_suffix("arn:x:log-group:a:*"), "arn:x:log-group:a");
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let mut b = Backoff::new();
        let waits: Vec<Duration> = (0..10).map(|_| b.next_wait()).collect();
        assert!(waits[0] >= Duration::from_millis(500) && waits[0] <= Duration::from_secs(1));
        assert!(waits[3] >= Duration::from_secs(4) && waits[3] <= Duration::from_secs(8));
        assert!(waits.iter().all(|w| *w <= MAX_BACKOFF));
        b.reset();
        assert!(b.next_wait() <= Duration::from_secs(1));
    }

    // --- the state machine over an in-memory backend ---------------------------------------

    #[derive(Default)]
    struct Script {
        /// One entry per `open`: the start failure, or the items of the session.
        sessions: VecDeque<Result<Vec<SessionItem>, SessionEnd>>,
        /// What each poll returns (then nothing).
        polls: VecDeque<(Vec<LogEvent>, Option<SourceFailure>)>,
        opens: Vec<Option<String>>,
        poll_calls: Vec<(Vec<String>, Option<String>)>,
    }

    #[derive(Clone, Default)]
    struct Fake(Arc<Mutex<Script>>);

    struct FakeSession(VecDeque<SessionItem>);

    impl LiveSession for FakeSession {
        async fn next(&mut self) -> SessionItem {
            match self.0.pop_front() {
                Some(i) => i,
                None => std::future::pending().await,
            }
        }
    }

    impl LogBackend for Fake {
        type Session = FakeSession;
        async fn resolve(
            &mut self,
            groups: &[String],
        ) -> Result<Vec<(String, String)>, SourceFailure> {
            Ok(groups
                .iter()
                .map(|g| (g.clone(), format!("arn:aws:logs:r:1:log-group:{g}")))
                .collect())
        }
        async fn open(
            &mut self,
            _arns: &[String],
            pattern: Option<&str>,
        ) -> Result<FakeSession, SessionEnd> {
            let mut s = self.0.lock().unwrap();
            s.opens.push(pattern.map(str::to_string));
            match s.sessions.pop_front() {
                Some(Ok(items)) => Ok(FakeSession(items.into())),
                Some(Err(e)) => Err(e),
                None => Ok(FakeSession(VecDeque::new())),
            }
        }
        fn set_groups(&mut self, _groups: &[String]) {}
        async fn poll(
            &mut self,
            only: &[String],
            pattern: Option<&str>,
            _now_ms: i64,
        ) -> (Vec<LogEvent>, Option<SourceFailure>) {
            let mut s = self.0.lock().unwrap();
            s.poll_calls
                .push((only.to_vec(), pattern.map(str::to_string)));
            s.polls.pop_front().unwrap_or_default()
        }
        fn advance(&mut self, _groups: &[String], _ts_ms: i64) {}
    }

    fn visible(groups: &[&str]) -> LogFeedControl {
        LogFeedControl {
            visible: true,
            filter: LogFilter::default(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// Collect what the feed sent within `d`.
    async fn collect(
        rx: &mut mpsc::UnboundedReceiver<LogFeedEvent>,
        d: Duration,
    ) -> Vec<LogFeedEvent> {
        let mut out = Vec::new();
        let deadline = Instant::now() + d;
        while let Ok(Some(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            out.push(e);
        }
        out
    }

    fn messages(events: &[LogFeedEvent]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                LogFeedEvent::Update(Update::Logs(l)) => Some(l),
                _ => None,
            })
            .flatten()
            .map(|l| String::from_utf8_lossy(&l.bytes).into_owned())
            .collect()
    }

    fn modes(events: &[LogFeedEvent]) -> Vec<LogFeedMode> {
        events
            .iter()
            .filter_map(|e| match e {
                LogFeedEvent::Mode(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn live_tail_sampled_timeout_reconnect_without_duplicates() {
        let fake = Fake::default();
        {
            let mut s = fake.0.lock().unwrap();
            s.polls.push_back((vec![ev("g", "s", 1000, "old")], None));
            s.sessions.push_back(Ok(vec![
                SessionItem::Started,
                SessionItem::Update {
                    events: vec![ev("g", "s", 1000, "old"), ev("g", "s", 2000, "a")],
                    sampled: true,
                },
                SessionItem::Update {
                    events: vec![ev("g", "s", 3000, "b")],
                    sampled: false,
                },
                SessionItem::Ended(SessionEnd::Timeout),
            ]));
            // The reconnect replays everything (as moto does) and adds one.
            s.sessions.push_back(Ok(vec![
                SessionItem::Started,
                SessionItem::Update {
                    events: vec![
                        ev("g", "s", 2000, "a"),
                        ev("g", "s", 3000, "b"),
                        ev("g", "s2", 3000, "b"),
                    ],
                    sampled: false,
                },
            ]));
        }
        let (ctl_tx, ctl_rx) = watch::channel(visible(&["g"]));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run_with(fake.clone(), ctl_rx, tx));
        let got = collect(&mut rx, Duration::from_millis(1800)).await;
        assert_eq!(messages(&got), ["old", "a", "b", "b"]);
        let m = modes(&got);
        assert_eq!(m[0], LogFeedMode::LiveTail { sampled: false });
        assert!(m.contains(&LogFeedMode::LiveTail { sampled: true }));
        assert_eq!(fake.0.lock().unwrap().opens.len(), 2);
        // Hidden: paused, the session is dropped, nothing more is read.
        ctl_tx.send_modify(|c| c.visible = false);
        let got = collect(&mut rx, Duration::from_millis(300)).await;
        assert_eq!(modes(&got), [LogFeedMode::Paused]);
        drop(ctl_tx);
        task.await.unwrap();
    }

    #[tokio::test]
    async fn unavailable_falls_back_to_polling_and_transient_reports() {
        let fake = Fake::default();
        {
            let mut s = fake.0.lock().unwrap();
            s.sessions
                .push_back(Err(SessionEnd::Transient(SourceFailure::new(
                    SCOPE_LOGS,
                    FailureKind::Throttled,
                    "throttled",
                ))));
            s.sessions
                .push_back(Err(SessionEnd::Unavailable(SourceFailure::new(
                    SCOPE_LOGS,
                    FailureKind::AccessDenied,
                    "access denied: the credentials need the IAM permission logs:StartLiveTail",
                ))));
            s.polls.push_back((vec![ev("g", "s", 1000, "one")], None));
            s.polls.push_back((
                vec![ev("g", "s", 1000, "one"), ev("g", "s", 1500, "two")],
                None,
            ));
        }
        let (ctl_tx, ctl_rx) = watch::channel(visible(&["g"]));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run_with(fake.clone(), ctl_rx, tx));
        let got = collect(&mut rx, Duration::from_millis(1500)).await;
        assert_eq!(messages(&got), ["one", "two"]);
        assert!(got.iter().any(|e| matches!(e,
            LogFeedEvent::Update(Update::SourceError { scope, message, .. })
                if scope == SCOPE_LOGS && message == "throttled")));
        // A successful poll clears the error.
        assert!(got.iter().any(|e| matches!(e,
            LogFeedEvent::Update(Update::SourceOk { scope }) if scope == SCOPE_LOGS)));
        let m = modes(&got);
        assert!(
            matches!(m.last(), Some(LogFeedMode::Polling { reason }) if reason.contains("logs:StartLiveTail")),
            "{m:?}"
        );
        // A filter change restarts with the new pattern (polling, still unavailable).
        ctl_tx.send_modify(|c| c.filter.text = "oops".into());
        let _ = collect(&mut rx, Duration::from_millis(700)).await;
        let (last_pattern, opens) = {
            let s = fake.0.lock().unwrap();
            (s.poll_calls.last().map(|p| p.1.clone()), s.opens.len())
        };
        assert_eq!(last_pattern, Some(Some("%[Oo][Oo][Pp][Ss]%".to_string())));
        assert_eq!(opens, 2);
        drop(ctl_tx);
        task.await.unwrap();
    }

    #[tokio::test]
    async fn more_than_ten_groups_poll_the_rest() {
        let fake = Fake::default();
        let names: Vec<String> = (0..12).map(|i| format!("g{i}")).collect();
        let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        let (ctl_tx, ctl_rx) = watch::channel(visible(&refs));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run_with(fake.clone(), ctl_rx, tx));
        let _ = collect(&mut rx, Duration::from_millis(200)).await;
        {
            let s = fake.0.lock().unwrap();
            assert_eq!(s.opens.len(), 1);
            // The catch-up poll covers all twelve.
            assert_eq!(s.poll_calls[0].0.len(), 12);
        }
        drop(ctl_tx);
        task.await.unwrap();
    }
}
