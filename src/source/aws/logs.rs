//! Polling CloudWatch Logs with FilterLogEvents, for when Live Tail is not available: every
//! event once, none missed.
//!
//! Per log group the poller keeps a cursor (the newest event timestamp it has seen, or the
//! poll time minus the overlap when the group is quiet) and the ids of the events it has
//! delivered recently. Each poll asks for events from `cursor - overlap` onwards, so that
//! events that arrive late (ingestion lags behind the event's own timestamp) are still
//! caught, and drops the ids it has already delivered. The id set only holds events inside
//! the window that can come back, and never more than [`MAX_SEEN_PER_GROUP`]. FilterLogEvents
//! searches every stream of a group, so new streams are picked up without listing them.
//!
//! FilterLogEvents has a low per-account rate (~5 TPS, shared with everything else in the
//! account): the poller spaces its calls by at least [`DEFAULT_MIN_CALL_INTERVAL`] (at most
//! ~3.3 calls a second, whatever the number of groups and pages).
//!
//! Messages are returned as raw bytes, not sanitised: the model sanitises on entry.
//! IAM action: `logs:FilterLogEvents`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::Duration;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::clients::Clients;
use super::inventory::{FailureKind, SourceFailure};
use crate::model::RawLog;

/// Scope of log polling failures (`Update::SourceError::scope`).
pub const SCOPE_LOGS: &str = "aws/logs";
/// How far back the first poll of a group reads: the half hour before opsdeck started is
/// context an operator wants on screen.
pub const DEFAULT_LOOKBACK_MS: i64 = 30 * 60 * 1000;
/// How far behind the cursor each poll re-reads, for late-arriving events.
pub const DEFAULT_OVERLAP_MS: i64 = 2 * 60 * 1000;
/// Pages (of up to 10,000 events / 1 MB) read per group per poll; the rest comes next poll.
pub const MAX_PAGES_PER_GROUP: usize = 20;
/// The most event ids remembered per group.
pub const MAX_SEEN_PER_GROUP: usize = 50_000;
/// The least time between two FilterLogEvents calls of one poller (quota ~5 TPS per account).
pub const DEFAULT_MIN_CALL_INTERVAL: Duration = Duration::from_millis(300);

/// One log event with where it came from (what both the poller and Live Tail produce).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// The log group's name.
    pub group: String,
    pub stream: String,
    /// Milliseconds since the epoch (the event's own timestamp).
    pub ts_ms: i64,
    pub message: String,
}

impl LogEvent {
    /// What reaches the model: seconds, the group name as the source, the raw bytes.
    pub fn to_raw(&self) -> RawLog {
        RawLog {
            ts: self.ts_ms.div_euclid(1000),
            source: self.group.clone(),
            bytes: self.message.as_bytes().to_vec(),
        }
    }
}

/// Spaces calls to respect a rate.
#[derive(Debug, Clone)]
struct Pacer {
    min_interval: Duration,
    last: Option<tokio::time::Instant>,
}

impl Pacer {
    async fn wait(&mut self) {
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + self.min_interval).await;
        }
        self.last = Some(tokio::time::Instant::now());
    }
}

#[derive(Debug, Clone, Default)]
struct Position {
    /// Milliseconds; `None` until the group has been read once.
    cursor: Option<i64>,
    /// The last poll left pages unread: resume at the cursor itself, without the overlap
    /// (so that a burst larger than the page budget still makes progress).
    resume_exact: bool,
    /// Ids of delivered events with their timestamps, oldest delivery first.
    order: VecDeque<(i64, String)>,
    seen: HashSet<String>,
}

impl Position {
    fn remember(&mut self, ts: i64, id: String) {
        if self.seen.insert(id.clone()) {
            self.order.push_back((ts, id));
        }
        while self.order.len() > MAX_SEEN_PER_GROUP {
            if let Some((_, old)) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
    }

    /// Forget ids that the next window (starting at `start`) cannot return.
    fn prune(&mut self, start: i64) {
        let seen = &mut self.seen;
        self.order.retain(|(ts, id)| {
            let keep = *ts >= start;
            if !keep {
                seen.remove(id);
            }
            keep
        });
    }
}

/// What one poll brought.
#[derive(Debug, Clone, PartialEq)]
pub struct LogPoll {
    /// New events of all groups, oldest first.
    pub logs: Vec<RawLog>,
    /// Set when one or more groups could not be read (their events come on a later poll:
    /// their positions did not move). The other groups' events are in `logs`.
    pub failure: Option<SourceFailure>,
}

/// A FilterLogEvents poller over a set of log groups.
#[derive(Debug, Clone)]
pub struct LogPoller {
    groups: Vec<String>,
    positions: HashMap<String, Position>,
    lookback_ms: i64,
    overlap_ms: i64,
    max_pages: usize,
    pattern: Option<String>,
    pacer: Pacer,
}

impl LogPoller {
    /// A poller over `groups` with the default lookback (30 minutes) and overlap (2 minutes).
    pub fn new(groups: Vec<String>) -> Self {
        let mut p = Self {
            groups: Vec::new(),
            positions: HashMap::new(),
            lookback_ms: DEFAULT_LOOKBACK_MS,
            overlap_ms: DEFAULT_OVERLAP_MS,
            max_pages: MAX_PAGES_PER_GROUP,
            pattern: None,
            pacer: Pacer {
                min_interval: DEFAULT_MIN_CALL_INTERVAL,
                last: None,
            },
        };
        p.set_groups(groups);
        p
    }

    /// How far back the first poll of a group reads: the half hour before opsdeck started is
    /// context an operator wants on screen.
    pub fn with_lookback_minutes(mut self, minutes: u32) -> Self {
        self.lookback_ms = i64::from(minutes) * 60_000;
        self
    }

    /// How far behind the newest event seen each poll re-reads (late events).
    pub fn with_overlap_ms(mut self, ms: i64) -> Self {
        self.overlap_ms = ms.max(0);
        self
    }

    /// The least time between two FilterLogEvents calls.
    pub fn with_min_call_interval(mut self, interval: Duration) -> Self {
        self.pacer.min_interval = interval;
        self
    }

    /// The CloudWatch filter pattern sent with every call (`None`: every event). Positions
    /// are kept: a changed pattern applies from each group's position on.
    pub fn set_filter_pattern(&mut self, pattern: Option<String>) {
        self.pattern = pattern.filter(|p| !p.trim().is_empty());
    }

    /// Events up to `ts_ms` of `group` have been delivered another way (Live Tail): the next
    /// poll reads from `ts_ms - overlap` instead of from the old position.
    pub fn advance(&mut self, group: &str, ts_ms: i64) {
        if !self.groups.iter().any(|g| g == group) {
            return;
        }
        let pos = self.positions.entry(group.to_string()).or_default();
        if pos.cursor.is_none_or(|c| c < ts_ms) {
            pos.cursor = Some(ts_ms);
            pos.resume_exact = false;
            pos.prune(ts_ms - self.overlap_ms);
        }
    }

    /// Change the groups (e.g. after an inventory refresh); groups kept keep their positions,
    /// new groups start with the lookback window.
    pub fn set_groups(&mut self, groups: Vec<String>) {
        let mut unique = Vec::with_capacity(groups.len());
        for g in groups {
            if !g.is_empty() && !unique.contains(&g) {
                unique.push(g);
            }
        }
        self.positions.retain(|g, _| unique.contains(g));
        self.groups = unique;
    }

    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// Read every group's events since its last position (first time: the lookback window
    /// before `now_ms`). Groups are read one after the other (FilterLogEvents has a low
    /// per-account rate). A group that does not exist (yet) is empty, not a failure.
    pub async fn poll(&mut self, clients: &Clients, now_ms: i64) -> LogPoll {
        let (events, failure) = self.poll_events(clients, None, now_ms).await;
        LogPoll {
            logs: events.iter().map(LogEvent::to_raw).collect(),
            failure,
        }
    }

    /// Like [`LogPoller::poll`], with each event's group and stream, for the groups in
    /// `only` (all groups when `None`; names not in [`LogPoller::groups`] are ignored).
    pub async fn poll_events(
        &mut self,
        clients: &Clients,
        only: Option<&[String]>,
        now_ms: i64,
    ) -> (Vec<LogEvent>, Option<SourceFailure>) {
        let mut events: Vec<(usize, LogEvent)> = Vec::new();
        let mut failures: Vec<SourceFailure> = Vec::new();
        // Groups left unread after a timeout, an unreachable endpoint or throttling: they
        // would fail the same way, each after as long a wait (30 s a group when the
        // endpoint hangs), and the failure would reach the screen only after all of them.
        let mut skipped = 0usize;
        for (gi, group) in self.groups.iter().enumerate() {
            if only.is_some_and(|o| !o.contains(group)) {
                continue;
            }
            if failures.iter().any(|f| {
                matches!(
                    f.kind,
                    FailureKind::Timeout | FailureKind::Unreachable | FailureKind::Throttled
                )
            }) {
                skipped += 1;
                continue;
            }
            let pos = self.positions.entry(group.clone()).or_default();
            let start = match pos.cursor {
                None => now_ms - self.lookback_ms,
                Some(c) if pos.resume_exact => c,
                Some(c) => c - self.overlap_ms,
            };
            let read = read_group(
                clients,
                &mut self.pacer,
                group,
                self.pattern.as_deref(),
                start,
                self.max_pages,
            )
            .await;
            match read {
                Ok(Read::Missing) => {}
                Ok(Read::Events {
                    events: got,
                    complete,
                }) => {
                    let mut newest = pos.cursor.unwrap_or(i64::MIN);
                    for (ts, key, stream, message) in got {
                        newest = newest.max(ts);
                        if pos.seen.contains(&key) {
                            continue;
                        }
                        pos.remember(ts, key);
                        events.push((
                            gi,
                            LogEvent {
                                group: group.clone(),
                                stream,
                                ts_ms: ts,
                                message,
                            },
                        ));
                    }
                    // A quiet group moves on with the clock; with pages left over, resume
                    // from the newest event read.
                    let cursor = if complete {
                        newest.max(now_ms - self.overlap_ms)
                    } else {
                        newest
                    };
                    let cursor = cursor.max(pos.cursor.unwrap_or(start));
                    pos.cursor = Some(cursor);
                    pos.resume_exact = !complete;
                    pos.prune(if complete {
                        cursor - self.overlap_ms
                    } else {
                        cursor
                    });
                }
                Err(f) => failures.push(f),
            }
        }
        events.sort_by_key(|(gi, e)| (e.ts_ms, *gi));
        let mut failure = match failures.len() {
            0 => None,
            1 => failures.pop(),
            n => {
                let first = failures.swap_remove(0);
                Some(SourceFailure {
                    message: format!("{} (and {} more log groups)", first.message, n - 1),
                    ..first
                })
            }
        };
        if let Some(f) = failure.as_mut().filter(|_| skipped > 0) {
            f.message = format!(
                "{}; {skipped} more log group{} not read this round",
                f.message,
                if skipped == 1 { "" } else { "s" }
            );
        }
        (events.into_iter().map(|(_, e)| e).collect(), failure)
    }
}

enum Read {
    Missing,
    /// (timestamp ms, dedup key, stream, message); `complete` is false when pages were left.
    Events {
        events: Vec<(i64, String, String, String)>,
        complete: bool,
    },
}

async fn read_group(
    clients: &Clients,
    pacer: &mut Pacer,
    group: &str,
    pattern: Option<&str>,
    start: i64,
    max_pages: usize,
) -> Result<Read, SourceFailure> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..max_pages {
        pacer.wait().await;
        let res = clients
            .logs
            .filter_log_events()
            .log_group_name(group)
            .start_time(start.max(0))
            .set_filter_pattern(pattern.map(str::to_string))
            .set_next_token(token.take())
            .send()
            .await;
        let page = match res {
            Ok(p) => p,
            Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(Read::Missing),
            Err(e) => {
                let mut f = SourceFailure::from_sdk(SCOPE_LOGS, "logs:FilterLogEvents", &e);
                f.message = format!("{group}: {}", f.message);
                return Err(f);
            }
        };
        for e in page.events() {
            let Some(ts) = e.timestamp() else {
                continue;
            };
            let message = e.message().unwrap_or_default().to_string();
            let stream = e.log_stream_name().unwrap_or_default().to_string();
            let key = match e.event_id() {
                Some(id) if !id.is_empty() => id.to_string(),
                _ => fallback_key(ts, &stream, &message),
            };
            out.push((ts, key, stream, message));
        }
        match page.next_token() {
            Some(t) if !t.is_empty() && token.as_deref() != Some(t) => token = Some(t.to_string()),
            _ => {
                return Ok(Read::Events {
                    events: out,
                    complete: true,
                })
            }
        }
    }
    Ok(Read::Events {
        events: out,
        complete: false,
    })
}

/// A key for an event without an id: its time, stream and a hash of its text.
fn fallback_key(ts: i64, stream: &str, message: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    message.hash(&mut h);
    format!("{ts}/{stream}/{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_prunes_and_caps() {
        let mut p = Position::default();
        for i in 0..10 {
            p.remember(i * 1000, format!("e{i}"));
        }
        p.remember(0, "e0".into());
        assert_eq!(p.order.len(), 10);
        p.prune(5000);
        assert_eq!(p.order.len(), 5);
        assert!(!p.seen.contains("e4") && p.seen.contains("e5"));
    }

    #[test]
    fn groups_are_unique_and_keep_positions() {
        let mut poller = LogPoller::new(vec!["a".into(), "a".into(), "".into(), "b".into()]);
        assert_eq!(poller.groups(), ["a", "b"]);
        poller.positions.insert(
            "a".into(),
            Position {
                cursor: Some(5),
                ..Default::default()
            },
        );
        poller.positions.insert("b".into(), Position::default());
        poller.set_groups(vec!["a".into(), "c".into()]);
        assert_eq!(poller.groups(), ["a", "c"]);
        assert_eq!(poller.positions.get("a").and_then(|p| p.cursor), Some(5));
        assert!(!poller.positions.contains_key("b"));
    }
}
