//! The model: everything opsdeck knows, pure and free of I/O. Sources feed it [`Update`]s;
//! the UI reads it. It never learns where a number came from.

pub mod alarm;
pub mod environment;
pub mod escalation;
pub mod gates;
pub mod log;
pub mod metrics;
pub mod patterns;
pub mod redact;
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RawLog {
    pub ts: Ts,
    pub source: String,
    pub bytes: Vec<u8>,
}

/// Everything a source can tell the model (serialisable: `--record` writes them).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// Every CloudWatch alarm the account has now (metric and composite): replaces the
    /// previous set.
    CloudAlarms(Vec<alarm::CloudAlarm>),
    /// What the source has spent this session (running totals, not increments).
    Usage(Usage),
    /// How log lines arrive now, in a few words (`live tail`, `polling`...), for the log
    /// pane's title.
    LogFeed(String),
}

/// A source's running totals of API use, for the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    /// Every API call sent this session (all services).
    pub api_calls: u64,
    /// CloudWatch metrics requested (what GetMetricData bills).
    pub metrics_requested: u64,
    /// Estimated cost in USD of what was requested.
    pub cost_usd: f64,
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
    /// Severity and runbook of CloudWatch alarms, by name; the first matching rule wins.
    pub cloud_alarms: Vec<alarm::CloudAlarmRule>,
    /// Deploy watch: the rollback gates and the softer manual rollback criteria.
    pub deploy: gates::DeployRules,
    /// What the war-room banner says: environment, account alias, production or not.
    pub environment: environment::Environment,
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
    /// The source's API use so far (live sources only).
    pub usage: Option<Usage>,
    /// How log lines arrive (live sources only), see [`Update::LogFeed`].
    pub log_feed: Option<String>,
    /// Profile alarms hidden while CloudWatch reports an alarm of the same name: the
    /// account's alarm is the one that pages people, so its state is the one shown. They are
    /// still evaluated and come back if the CloudWatch alarm goes away.
    pub shadowed: Vec<Alarm>,
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
            usage: None,
            log_feed: None,
            shadowed: Vec::new(),
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
            Update::CloudAlarms(reports) => return self.merge_cloud_alarms(reports),
            Update::LogFeed(text) => {
                let text = log::sanitize_with_limit(text.as_bytes(), log::MAX_FIELD_WIDTH);
                if self.log_feed.as_deref() == Some(text.as_str()) {
                    return false;
                }
                self.log_feed = Some(text);
            }
            Update::Usage(usage) => {
                if self.usage == Some(usage) {
                    return false;
                }
                self.usage = Some(usage);
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
            // CloudWatch alarms have no series here: their state comes from the account.
            for a in self.alarms.iter_mut().filter(|a| !a.is_cloud()) {
                if a.evaluate(self.series.get(&a.def.series), boundary, boundary) {
                    self.transitions
                        .push((boundary, a.def.name.clone(), a.state));
                    changed = true;
                }
            }
            for a in &mut self.shadowed {
                a.evaluate(self.series.get(&a.def.series), boundary, boundary);
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

// ---------------------------------------------------------------------------------------------
// CloudWatch alarms

impl Model {
    /// `Update::CloudAlarms`: the reported set replaces the previous CloudWatch alarms (those
    /// no longer reported disappear); profile alarms are untouched. Each keeps its previous
    /// `fired_at` while it stays in ALARM. A transition is recorded when a known CloudWatch
    /// alarm changes state, and on first sight only when it is already in ALARM (so that an
    /// alarm firing when opsdeck starts is on the record; OK / NO DATA on first sight is not a
    /// change). Transitions carry the alarm's `StateUpdatedTimestamp`. Returns true when the
    /// alarms changed.
    fn merge_cloud_alarms(&mut self, reports: Vec<alarm::CloudAlarm>) -> bool {
        let mut cloud: Vec<Alarm> = Vec::with_capacity(reports.len());
        for r in reports {
            let name = log::sanitize_with_limit(r.name.as_bytes(), log::MAX_FIELD_WIDTH);
            if cloud.iter().any(|a| a.def.name == name) {
                continue;
            }
            let previous = self
                .alarms
                .iter()
                .find(|a| a.is_cloud() && a.def.name == name);
            let rule = self
                .profile
                .cloud_alarms
                .iter()
                .find(|rule| rule.matches(&r.name));
            let since = if r.since > 0 {
                r.since
            } else {
                previous.map(|p| p.since).unwrap_or(self.now)
            };
            let condition = log::sanitize(r.condition.as_bytes());
            let description = if r.description.trim().is_empty() {
                condition.clone()
            } else {
                log::sanitize(r.description.as_bytes())
            };
            let fired_at = match (r.state, previous) {
                (AlarmState::Alarm, Some(p)) if p.state == AlarmState::Alarm => {
                    p.fired_at.or(Some(since))
                }
                (AlarmState::Alarm, _) => Some(since),
                (_, Some(p)) => p.fired_at,
                (_, None) => None,
            };
            let changed_state = match previous {
                Some(p) => p.state != r.state,
                None => r.state == AlarmState::Alarm,
            };
            if changed_state {
                self.transitions.push((since, name.clone(), r.state));
            }
            cloud.push(Alarm {
                def: AlarmDef {
                    name,
                    description,
                    series: String::new(),
                    period: MINUTE,
                    stat: series::Stat::Average,
                    threshold: Threshold::above(None, None),
                    severity: rule.map(|r| r.severity).unwrap_or(alarm::Severity::Medium),
                    runbook: rule.and_then(|r| r.runbook.clone()),
                    log_filter: rule.and_then(|r| r.log_filter.clone()),
                    unit: String::new(),
                },
                origin: if r.composite {
                    alarm::AlarmOrigin::CloudWatchComposite
                } else {
                    alarm::AlarmOrigin::CloudWatchMetric
                },
                state: r.state,
                since,
                fired_at,
                value: r.value.filter(|v| v.is_finite()),
                reason: log::sanitize(r.reason.as_bytes()),
                condition,
            });
        }
        // Profile alarms named like a reported CloudWatch alarm step aside (see `shadowed`).
        let reported = |name: &str| cloud.iter().any(|c| c.def.name == name);
        let (hide, keep): (Vec<Alarm>, Vec<Alarm>) = self
            .alarms
            .iter()
            .filter(|a| !a.is_cloud())
            .chain(self.shadowed.iter())
            .cloned()
            .partition(|a| reported(&a.def.name));
        self.shadowed = hide;
        let mut next: Vec<Alarm> = keep.into_iter().chain(cloud).collect();
        alarm::sort_alarms(&mut next);
        if next == self.alarms {
            return false;
        }
        self.alarms = next;
        true
    }
}

#[cfg(test)]
mod cloud_alarm_tests {
    use super::alarm::{AlarmOrigin, CloudAlarm, CloudAlarmRule, Severity};
    use super::*;

    #[test]
    fn a_cloudwatch_alarm_shadows_the_profile_alarm_of_the_same_name() {
        let def = |name: &str| AlarmDef {
            name: name.into(),
            description: String::new(),
            series: "errors/rate".into(),
            period: MINUTE,
            stat: series::Stat::Average,
            threshold: Threshold::above(None, Some(5.0)),
            severity: Severity::High,
            runbook: None,
            log_filter: None,
            unit: "%".into(),
        };
        let profile = Profile {
            alarms: vec![def("HighErrorRate"), def("Local")],
            ..Default::default()
        };
        let mut m = Model::new(profile, 600, 10);
        assert!(m.apply(Update::CloudAlarms(vec![report(
            "HighErrorRate",
            AlarmState::Alarm,
            500
        )])));
        let names: Vec<(&str, AlarmOrigin)> = m
            .alarms
            .iter()
            .map(|a| (a.def.name.as_str(), a.origin))
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.contains(&("HighErrorRate", AlarmOrigin::CloudWatchMetric)));
        assert!(names.contains(&("Local", AlarmOrigin::Profile)));
        assert_eq!(m.shadowed.len(), 1);
        // Still evaluated while hidden.
        m.apply(Update::Points {
            key: "errors/rate".into(),
            points: vec![(600, 9.0)],
        });
        m.tick(720);
        assert_eq!(m.shadowed[0].state, AlarmState::Alarm);
        // The CloudWatch alarm goes away: the profile alarm is back, with its state.
        m.apply(Update::CloudAlarms(vec![]));
        assert!(m.shadowed.is_empty());
        let back = m
            .alarms
            .iter()
            .find(|a| a.def.name == "HighErrorRate")
            .unwrap();
        assert_eq!(back.origin, AlarmOrigin::Profile);
        assert_eq!(back.state, AlarmState::Alarm);
    }

    fn report(name: &str, state: AlarmState, since: Ts) -> CloudAlarm {
        CloudAlarm {
            name: name.into(),
            composite: false,
            state,
            reason: format!("{name} reason"),
            since,
            description: String::new(),
            condition: "AWS/Lambda Errors FunctionName=api Sum > 5 for 1 of 1 x 60s".into(),
            value: Some(10.0),
        }
    }

    fn profile_alarm() -> AlarmDef {
        AlarmDef {
            name: "HighErrorRate".into(),
            description: "errors".into(),
            series: metrics::keys::REQUESTS.into(),
            period: 60,
            stat: series::Stat::Average,
            threshold: Threshold::above(None, Some(1.0)),
            severity: Severity::High,
            runbook: None,
            log_filter: None,
            unit: String::new(),
        }
    }

    fn model() -> Model {
        let profile = Profile {
            alarms: vec![profile_alarm()],
            cloud_alarms: vec![
                CloudAlarmRule {
                    pattern: "Lambda*".into(),
                    severity: Severity::Critical,
                    runbook: Some("api#errors".into()),
                    log_filter: Some("ERROR".into()),
                },
                CloudAlarmRule {
                    pattern: "LambdaErrorAlarm".into(),
                    severity: Severity::Low,
                    runbook: None,
                    log_filter: None,
                },
            ],
            ..Profile::default()
        };
        Model::new(profile, 10_000, 100)
    }

    fn cloud<'a>(m: &'a Model, name: &str) -> Option<&'a Alarm> {
        m.alarms.iter().find(|a| a.is_cloud() && a.def.name == name)
    }

    #[test]
    fn severity_and_runbook_from_the_first_matching_rule() {
        let mut m = model();
        let mut composite = report("ServiceDown", AlarmState::Ok, 9_000);
        composite.composite = true;
        composite.description = "API down".into();
        composite.condition = "composite: ALARM(a) AND ALARM(b)".into();
        assert!(m.apply(Update::CloudAlarms(vec![
            report("LambdaErrorAlarm", AlarmState::Alarm, 9_500),
            composite,
        ])));
        let a = cloud(&m, "LambdaErrorAlarm").unwrap();
        assert_eq!(a.origin, AlarmOrigin::CloudWatchMetric);
        assert_eq!(a.def.severity, Severity::Critical, "first rule wins");
        assert_eq!(a.def.runbook.as_deref(), Some("api#errors"));
        assert_eq!(a.def.log_filter.as_deref(), Some("ERROR"));
        assert_eq!(
            a.def.description, a.condition,
            "no description: the condition"
        );
        assert_eq!(a.state, AlarmState::Alarm);
        assert_eq!(a.since, 9_500);
        assert_eq!(a.fired_at, Some(9_500));
        assert_eq!(a.value, Some(10.0));
        assert_eq!(a.deadline_left(9_500), Some(Severity::Critical.deadline()));
        let c = cloud(&m, "ServiceDown").unwrap();
        assert_eq!(c.origin, AlarmOrigin::CloudWatchComposite);
        assert_eq!(c.def.severity, Severity::Medium, "unmatched: Medium");
        assert_eq!(c.def.runbook, None);
        assert_eq!(c.def.description, "API down");
        assert_eq!(c.condition, "composite: ALARM(a) AND ALARM(b)");
        // Sorted: the firing cloud alarm first; the profile alarm is still there.
        assert_eq!(m.alarms[0].def.name, "LambdaErrorAlarm");
        assert_eq!(m.alarms.len(), 3);
        assert!(m
            .alarms
            .iter()
            .any(|a| a.def.name == "HighErrorRate" && !a.is_cloud()));
    }

    #[test]
    fn reapplying_the_same_set_changes_nothing_and_missing_alarms_disappear() {
        let mut m = model();
        let set = vec![
            report("LambdaErrorAlarm", AlarmState::Alarm, 9_500),
            report("TableThrottles", AlarmState::Ok, 9_000),
        ];
        assert!(m.apply(Update::CloudAlarms(set.clone())));
        assert!(
            !m.apply(Update::CloudAlarms(set)),
            "nothing visible changed"
        );
        assert!(m.apply(Update::CloudAlarms(vec![report(
            "TableThrottles",
            AlarmState::Ok,
            9_000
        )])));
        assert!(cloud(&m, "LambdaErrorAlarm").is_none());
        assert!(cloud(&m, "TableThrottles").is_some());
        assert!(m.apply(Update::CloudAlarms(Vec::new())));
        assert_eq!(m.alarms.len(), 1);
        assert_eq!(m.alarms[0].def.name, "HighErrorRate");
        assert!(!m.apply(Update::CloudAlarms(Vec::new())));
    }

    #[test]
    fn transitions_and_fired_at() {
        let mut m = model();
        m.apply(Update::CloudAlarms(vec![
            report("A", AlarmState::Ok, 9_000),
            report("B", AlarmState::Alarm, 9_100),
            report("C", AlarmState::InsufficientData, 9_000),
        ]));
        // First sight: only the firing one is a transition.
        assert_eq!(
            m.transitions,
            vec![(9_100, "B".to_string(), AlarmState::Alarm)]
        );
        // B is still firing (CloudWatch re-evaluated, since moved): fired_at stays.
        m.apply(Update::CloudAlarms(vec![
            report("A", AlarmState::Alarm, 9_600),
            report("B", AlarmState::Alarm, 9_700),
            report("C", AlarmState::InsufficientData, 9_000),
        ]));
        assert_eq!(
            m.transitions[1..],
            [(9_600, "A".to_string(), AlarmState::Alarm)]
        );
        assert_eq!(cloud(&m, "B").unwrap().fired_at, Some(9_100));
        assert_eq!(cloud(&m, "A").unwrap().fired_at, Some(9_600));
        // A recovers: transition recorded, fired_at kept for the record.
        m.apply(Update::CloudAlarms(vec![
            report("A", AlarmState::Ok, 9_900),
            report("B", AlarmState::Alarm, 9_700),
            report("C", AlarmState::InsufficientData, 9_000),
        ]));
        assert_eq!(
            m.transitions.last(),
            Some(&(9_900, "A".to_string(), AlarmState::Ok))
        );
        let a = cloud(&m, "A").unwrap();
        assert_eq!(a.fired_at, Some(9_600));
        assert_eq!(a.deadline_left(10_000), None);
        assert_eq!(m.transitions.len(), 3);
    }

    #[test]
    fn network_text_is_sanitised() {
        let mut m = model();
        let mut r = report("Evil\x1b]0;title\x07Name", AlarmState::Alarm, 9_000);
        r.reason = "bad\x1b[2J\nreason".into();
        r.description = "desc\x1b[31m red".into();
        r.condition = "cond\r\nnext".into();
        m.apply(Update::CloudAlarms(vec![r]));
        let a = m.alarms.iter().find(|a| a.is_cloud()).unwrap();
        for text in [&a.def.name, &a.reason, &a.def.description, &a.condition] {
            assert!(
                !text.chars().any(|c| c.is_control()),
                "control characters left in {text:?}"
            );
        }
        assert!(a.reason.contains("bad") && a.reason.contains("reason"));
    }

    #[test]
    fn tick_does_not_evaluate_cloud_alarms() {
        let mut m = model();
        m.apply(Update::CloudAlarms(vec![report(
            "LambdaErrorAlarm",
            AlarmState::Alarm,
            9_500,
        )]));
        let before = cloud(&m, "LambdaErrorAlarm").unwrap().clone();
        m.tick(10_000 + 5 * MINUTE);
        let after = cloud(&m, "LambdaErrorAlarm").unwrap();
        assert_eq!(after, &before, "no series: must not become NO DATA");
        assert!(m
            .transitions
            .iter()
            .all(|t| t.1 != "LambdaErrorAlarm" || t.2 == AlarmState::Alarm));
        // The profile alarm is still evaluated (no data: it stays NO DATA).
        let p = m.alarms.iter().find(|a| !a.is_cloud()).unwrap();
        assert_eq!(p.state, AlarmState::InsufficientData);
        assert_eq!(p.reason, "no data in the evaluation window");
    }
}
