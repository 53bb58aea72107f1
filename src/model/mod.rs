//! The model: everything opsdeck knows, pure and free of I/O. Sources feed it [`Update`]s;
//! the UI reads it. It never learns where a number came from.

pub mod alarm;
pub mod log;
pub mod metrics;
pub mod runbook;
pub mod series;
pub mod threshold;
pub mod time;

use std::collections::BTreeMap;

use alarm::{Alarm, AlarmDef, AlarmState};
use log::{LogBuffer, LogEntry};
use metrics::{Inventory, Marker, SeriesKey};
use series::Series;
use threshold::{Level, Threshold};
use time::{Ts, MINUTE};

/// A raw log line as a source delivers it, before sanitising.
#[derive(Debug, Clone, PartialEq)]
pub struct RawLog {
    pub ts: Ts,
    pub source: String,
    pub bytes: Vec<u8>,
}

/// Everything a source can tell the model.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// New (or re-read) one-minute points of a series.
    Points {
        key: SeriesKey,
        points: Vec<(Ts, f64)>,
    },
    Inventory(Inventory),
    Logs(Vec<RawLog>),
    Marker(Marker),
    /// A source (or one part of it) failed; the values on screen are kept and marked stale.
    SourceError {
        scope: String,
        message: String,
        at: Ts,
    },
    /// A scope that had failed works again.
    SourceOk {
        scope: String,
    },
}

/// A threshold that applies to one series or, with a trailing `*`, to every series whose key
/// starts with the rest (e.g. `aurora/connections/*`).
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdRule {
    pub series: String,
    pub threshold: Threshold,
}

impl ThresholdRule {
    pub fn matches(&self, key: &str) -> bool {
        match self.series.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => self.series == key,
        }
    }
}

/// The service profile: what to watch and how to judge it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    pub name: String,
    pub thresholds: Vec<ThresholdRule>,
    pub alarms: Vec<AlarmDef>,
    /// Request rate above `surge` times the baseline is a possible attack (ops guide: 3x).
    pub surge_factor: f64,
    /// Request rate below `drop` times the baseline is a possible outage (ops guide: 1/3).
    pub drop_factor: f64,
}

/// The request-rate verdict against the baseline (same time yesterday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrafficState {
    NoBaseline,
    Normal,
    /// More than `surge_factor` x normal: possible attack.
    Surge,
    /// Less than `drop_factor` x normal: possible outage.
    Drop,
}

impl TrafficState {
    pub fn level(self) -> Level {
        match self {
            TrafficState::NoBaseline => Level::NoData,
            TrafficState::Normal => Level::Ok,
            TrafficState::Surge | TrafficState::Drop => Level::Crit,
        }
    }
    pub fn word(self) -> &'static str {
        match self {
            TrafficState::NoBaseline => "no baseline",
            TrafficState::Normal => "normal",
            TrafficState::Surge => "SURGE >3x: possible attack",
            TrafficState::Drop => "DROP <1/3: possible outage",
        }
    }
}

/// A failure of one part of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFault {
    pub scope: String,
    pub message: String,
    pub since: Ts,
}

/// Everything opsdeck knows at one moment.
#[derive(Debug, Clone)]
pub struct Model {
    pub now: Ts,
    pub profile: Profile,
    pub series: BTreeMap<SeriesKey, Series>,
    pub inventory: Inventory,
    /// Sorted for the alarms pane (see [`alarm::sort_alarms`]).
    pub alarms: Vec<Alarm>,
    pub logs: LogBuffer,
    pub markers: Vec<Marker>,
    pub faults: Vec<SourceFault>,
    /// Alarm transitions seen this session, newest last: (when, alarm name, new state).
    pub transitions: Vec<(Ts, String, AlarmState)>,
    /// Alarms have been evaluated up to this minute boundary.
    evaluated_until: Ts,
}

/// How far back alarm evaluation starts when a session begins (and the most it catches up).
pub const EVALUATION_HORIZON: Ts = 2 * time::HOUR;

impl Model {
    pub fn new(profile: Profile, now: Ts, log_capacity: usize) -> Self {
        let alarms = profile
            .alarms
            .iter()
            .cloned()
            .map(|d| Alarm::new(d, now))
            .collect();
        Self {
            now,
            profile,
            series: BTreeMap::new(),
            inventory: Inventory::default(),
            alarms,
            logs: LogBuffer::new(log_capacity),
            markers: Vec::new(),
            faults: Vec::new(),
            transitions: Vec::new(),
            evaluated_until: time::align(now, MINUTE) - EVALUATION_HORIZON,
        }
    }

    /// Apply one update. Returns true when something visible changed.
    pub fn apply(&mut self, update: Update) -> bool {
        match update {
            Update::Points { key, points } => {
                if points.is_empty() {
                    return false;
                }
                let s = self.series.entry(key).or_default();
                for (ts, v) in points {
                    s.push(ts, v);
                }
            }
            Update::Inventory(inv) => {
                if inv == self.inventory {
                    return false;
                }
                self.inventory = inv;
            }
            Update::Logs(lines) => {
                if lines.is_empty() {
                    return false;
                }
                for l in lines {
                    let source = self.logs.source(&l.source);
                    self.logs
                        .push(log::parse_line_shared(l.ts, source, &l.bytes));
                }
            }
            Update::Marker(m) => {
                if self.markers.contains(&m) {
                    return false;
                }
                self.markers.push(m);
                self.markers.sort_by_key(|m| m.ts);
            }
            Update::SourceError { scope, message, at } => {
                match self.faults.iter_mut().find(|f| f.scope == scope) {
                    Some(f) => f.message = message,
                    None => self.faults.push(SourceFault {
                        scope,
                        message,
                        since: at,
                    }),
                }
            }
            Update::SourceOk { scope } => {
                let before = self.faults.len();
                self.faults.retain(|f| f.scope != scope);
                return before != self.faults.len();
            }
        }
        true
    }

    /// Move the clock and evaluate alarms at every minute boundary passed since the last
    /// evaluation, each on the data up to that boundary. Alarms therefore change state at the
    /// minute their data closed, however the updates were batched: a headless snapshot and a
    /// live session agree. Returns true when an alarm changed state.
    pub fn tick(&mut self, now: Ts) -> bool {
        self.now = now;
        let target = time::align(now, MINUTE);
        let mut boundary = self.evaluated_until.max(target - EVALUATION_HORIZON);
        let mut changed = false;
        while boundary < target {
            boundary += MINUTE;
            for a in &mut self.alarms {
                if a.evaluate(self.series.get(&a.def.series), boundary, boundary) {
                    self.transitions
                        .push((boundary, a.def.name.clone(), a.state));
                    changed = true;
                }
            }
        }
        self.evaluated_until = self.evaluated_until.max(target);
        if changed {
            alarm::sort_alarms(&mut self.alarms);
        }
        changed
    }

    pub fn series(&self, key: &str) -> Option<&Series> {
        self.series.get(key)
    }

    /// The newest value of a series.
    pub fn latest(&self, key: &str) -> Option<f64> {
        self.series.get(key).and_then(|s| s.last()).map(|p| p.1)
    }

    /// The threshold that applies to a series: the first matching rule.
    pub fn threshold_for(&self, key: &str) -> Option<&Threshold> {
        self.profile
            .thresholds
            .iter()
            .find(|r| r.matches(key))
            .map(|r| &r.threshold)
    }

    /// A series' level: its threshold's N-of-M rule over its last minutes.
    pub fn level(&self, key: &str) -> Level {
        let Some(th) = self.threshold_for(key) else {
            return if self.latest(key).is_some() {
                Level::Ok
            } else {
                Level::NoData
            };
        };
        let Some(s) = self.series.get(key) else {
            return Level::NoData;
        };
        let end = s.last().map(|(t, _)| t + MINUTE).unwrap_or(self.now);
        th.evaluate(
            &s.periods(end, MINUTE, th.periods, series::Stat::Average),
            Level::NoData,
        )
    }

    /// The request rate against the same time yesterday.
    pub fn traffic_state(&self) -> TrafficState {
        let (Some(now), Some(base)) = (
            self.latest(metrics::keys::REQUESTS),
            self.latest(metrics::keys::REQUESTS_YESTERDAY),
        ) else {
            return TrafficState::NoBaseline;
        };
        if base <= 0.0 {
            TrafficState::NoBaseline
        } else if now > base * self.profile.surge_factor {
            TrafficState::Surge
        } else if now < base * self.profile.drop_factor {
            TrafficState::Drop
        } else {
            TrafficState::Normal
        }
    }

    /// Keys of all series starting with `prefix`.
    pub fn keys_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.series
            .range(prefix.to_string()..)
            .map(|(k, _)| k.as_str())
            .take_while(move |k| k.starts_with(prefix))
    }

    /// Log entries matching a filter, oldest first.
    pub fn log_entries<'a>(
        &'a self,
        filter: &'a log::LogFilter,
    ) -> impl DoubleEndedIterator<Item = &'a LogEntry> + 'a {
        self.logs.iter().filter(move |e| filter.matches(e))
    }

    /// Alarms currently firing.
    pub fn firing(&self) -> impl Iterator<Item = &Alarm> {
        self.alarms.iter().filter(|a| a.state == AlarmState::Alarm)
    }
}
