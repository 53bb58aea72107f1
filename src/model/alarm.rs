//! Alarms: definitions (from the service profile), their live state, severity and response
//! deadline.

use serde::{Deserialize, Serialize};

use super::series::{Series, Stat};
use super::threshold::{Level, Threshold};
use super::time::{Ts, HOUR, MINUTE};

/// Severity levels as the team's operations documents define them, with their response
/// deadlines (Critical 15 min, High 1 h, Medium 4 h, Low 1 business day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// Seconds from the alarm firing to the response deadline.
    pub fn deadline(self) -> Ts {
        match self {
            Severity::Critical => 15 * MINUTE,
            Severity::High => HOUR,
            Severity::Medium => 4 * HOUR,
            // One business day: counted as 24 h on the clock.
            Severity::Low => 24 * HOUR,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Severity::Critical => "Critical",
            Severity::High => "High",
            Severity::Medium => "Medium",
            Severity::Low => "Low",
        }
    }

    /// Short tag for narrow layouts.
    pub fn tag(self) -> &'static str {
        match self {
            Severity::Critical => "SEV1",
            Severity::High => "SEV2",
            Severity::Medium => "SEV3",
            Severity::Low => "SEV4",
        }
    }

    pub fn deadline_text(self) -> &'static str {
        match self {
            Severity::Critical => "15 min",
            Severity::High => "1 h",
            Severity::Medium => "4 h",
            Severity::Low => "1 business day",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.trim().to_ascii_lowercase().as_str() {
            "critical" | "crit" | "sev1" | "1" => Some(Severity::Critical),
            "high" | "sev2" | "2" => Some(Severity::High),
            "medium" | "sev3" | "3" => Some(Severity::Medium),
            "low" | "sev4" | "4" => Some(Severity::Low),
            _ => None,
        }
    }
}

/// How long a series may lag behind the clock before its missing minutes count as missing.
pub const LATE_TOLERANCE: Ts = 3 * MINUTE;

/// An alarm as the service profile defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmDef {
    pub name: String,
    /// What the alarm means, one line.
    pub description: String,
    /// The series it watches.
    pub series: String,
    /// Period in seconds that one evaluated value covers (multiple of 60).
    pub period: Ts,
    /// How the one-minute points combine into a period value.
    pub stat: Stat,
    /// The alarm fires on `crit` (or `warn` if there is no crit) with the N-of-M rule.
    pub threshold: Threshold,
    pub severity: Severity,
    /// Runbook reference: `runbook-id#section-id`.
    pub runbook: Option<String>,
    /// Log filter applied when the alarm is selected.
    pub log_filter: Option<String>,
    /// Unit shown after values.
    pub unit: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmState {
    pub fn word(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "NO DATA",
        }
    }
}

/// Where an alarm is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlarmOrigin {
    /// Defined in the service profile and evaluated by opsdeck on its series.
    #[default]
    Profile,
    /// A CloudWatch metric alarm: its state comes from the account (DescribeAlarms).
    CloudWatchMetric,
    /// A CloudWatch composite alarm (a rule over other alarms).
    CloudWatchComposite,
}

/// A CloudWatch alarm as a source reports it (metric or composite), already in model terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudAlarm {
    pub name: String,
    pub composite: bool,
    pub state: AlarmState,
    /// `StateReason`, unsanitised (the model sanitises it).
    pub reason: String,
    /// `StateUpdatedTimestamp`.
    pub since: Ts,
    /// `AlarmDescription` (may be empty).
    pub description: String,
    /// What it watches, in words: `AWS/Lambda Errors FunctionName=x Sum > 5 for 1 of 1 x 60s`,
    /// or the composite rule.
    pub condition: String,
    /// The metric's value in the newest evaluated period, from `StateReasonData` when present.
    pub value: Option<f64>,
}

/// How the profile treats CloudWatch alarms whose name matches `pattern` (exact, or a prefix
/// ending in `*`): their severity and runbook. Unmatched alarms get [`Severity::Medium`].
#[derive(Debug, Clone, PartialEq)]
pub struct CloudAlarmRule {
    pub pattern: String,
    pub severity: Severity,
    /// Runbook reference: `runbook-id#section-id`.
    pub runbook: Option<String>,
    pub log_filter: Option<String>,
}

impl CloudAlarmRule {
    pub fn matches(&self, name: &str) -> bool {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => self.pattern == name,
        }
    }
}

/// An alarm's live state.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub def: AlarmDef,
    /// Profile alarms are evaluated by opsdeck; CloudWatch alarms only report their state.
    pub origin: AlarmOrigin,
    pub state: AlarmState,
    /// When the state last changed.
    pub since: Ts,
    /// When it last went into ALARM (kept after it recovers, for the record).
    pub fired_at: Option<Ts>,
    /// The last evaluated period value.
    pub value: Option<f64>,
    /// Why it is in its state, in words.
    pub reason: String,
    /// What a CloudWatch alarm watches, in words (its metric and threshold, or its composite
    /// rule); empty for profile alarms, whose definition says it.
    pub condition: String,
}

impl Alarm {
    pub fn new(def: AlarmDef, now: Ts) -> Self {
        Self {
            def,
            origin: AlarmOrigin::Profile,
            state: AlarmState::InsufficientData,
            since: now,
            fired_at: None,
            value: None,
            reason: "not evaluated yet".into(),
            condition: String::new(),
        }
    }

    /// True for CloudWatch alarms (metric or composite): their state comes from the account,
    /// opsdeck does not evaluate them.
    pub fn is_cloud(&self) -> bool {
        self.origin != AlarmOrigin::Profile
    }

    /// Seconds left to the response deadline (negative when overdue); `None` unless in ALARM.
    pub fn deadline_left(&self, now: Ts) -> Option<Ts> {
        match (self.state, self.fired_at) {
            (AlarmState::Alarm, Some(fired)) => Some(fired + self.def.severity.deadline() - now),
            _ => None,
        }
    }

    /// Evaluate at time `at` against the series, looking at the periods that end at `end`
    /// (exclusive: the end of the newest complete minute). When the newest minute has not
    /// arrived yet (CloudWatch data lands late), the evaluation uses the periods ending at the
    /// newest point for up to [`LATE_TOLERANCE`]; after that, missing data counts as missing.
    /// Returns true when the state changed.
    pub fn evaluate(&mut self, series: Option<&Series>, end: Ts, at: Ts) -> bool {
        let def = &self.def;
        let end = match series.and_then(|s| s.range(Ts::MIN, end - 1).last()) {
            Some((last, _)) if last + MINUTE < end && end - (last + MINUTE) <= LATE_TOLERANCE => {
                last + MINUTE
            }
            _ => end,
        };
        let values = match series {
            Some(s) => s.periods(end, def.period, def.threshold.periods, def.stat),
            None => vec![None; def.threshold.periods],
        };
        let fire_on_warn = def.threshold.crit.is_none();
        let level = def.threshold.evaluate(&values, Level::NoData);
        let new_state = match level {
            Level::NoData => AlarmState::InsufficientData,
            Level::Crit => AlarmState::Alarm,
            Level::Warn if fire_on_warn => AlarmState::Alarm,
            _ => AlarmState::Ok,
        };
        self.value = values.iter().rev().flatten().next().copied();
        let limit = def.threshold.crit.or(def.threshold.warn).unwrap_or(0.0);
        self.reason = match (new_state, self.value) {
            (AlarmState::InsufficientData, _) | (_, None) => {
                "no data in the evaluation window".into()
            }
            (state, Some(v)) => {
                let breaching = values
                    .iter()
                    .flatten()
                    .filter(|x| def.threshold.breaches(**x, limit))
                    .count();
                format!(
                    "{} of last {} periods {} {}{} (now {}{}){}",
                    breaching,
                    def.threshold.periods,
                    if def.threshold.comparison == super::threshold::Comparison::Above {
                        "above"
                    } else {
                        "below"
                    },
                    super::threshold::fmt_num(limit),
                    def.unit,
                    super::threshold::fmt_num(v),
                    def.unit,
                    if state == AlarmState::Alarm {
                        ""
                    } else {
                        "; within limits"
                    }
                )
            }
        };
        if new_state != self.state {
            if new_state == AlarmState::Alarm {
                self.fired_at = Some(at);
            }
            self.state = new_state;
            self.since = at;
            true
        } else {
            false
        }
    }
}

/// Sort order of the alarms pane: alarms in ALARM first, then by severity, then oldest first;
/// then the others by severity and name.
pub fn sort_alarms(alarms: &mut [Alarm]) {
    alarms.sort_by(|a, b| {
        let firing = |x: &Alarm| x.state != AlarmState::Alarm;
        firing(a)
            .cmp(&firing(b))
            .then(a.def.severity.cmp(&b.def.severity))
            .then(a.since.cmp(&b.since))
            .then(a.def.name.cmp(&b.def.name))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, sev: Severity, crit: f64, n: usize, m: usize) -> AlarmDef {
        AlarmDef {
            name: name.into(),
            description: String::new(),
            series: "errors/rate".into(),
            period: 60,
            stat: Stat::Average,
            threshold: Threshold::above(None, Some(crit)).n_of_m(n, m),
            severity: sev,
            runbook: None,
            log_filter: None,
            unit: "%".into(),
        }
    }

    #[test]
    fn fires_after_n_of_m_and_counts_down() {
        let mut s = Series::default();
        let mut a = Alarm::new(def("HighErrorRate", Severity::High, 5.0, 2, 2), 0);
        s.push(0, 1.0);
        assert!(a.evaluate(Some(&s), 60, 60));
        assert_eq!(a.state, AlarmState::Ok);
        s.push(60, 9.0);
        a.evaluate(Some(&s), 120, 120);
        assert_eq!(
            a.state,
            AlarmState::Ok,
            "one breaching period of two is not enough"
        );
        s.push(120, 9.0);
        assert!(a.evaluate(Some(&s), 180, 180));
        assert_eq!(a.state, AlarmState::Alarm);
        assert_eq!(a.fired_at, Some(180));
        assert_eq!(a.deadline_left(180 + 600), Some(HOUR - 600));
        assert!(
            a.reason.starts_with("2 of last 2 periods above 5%"),
            "{}",
            a.reason
        );
        s.push(180, 1.0);
        a.evaluate(Some(&s), 240, 240);
        assert_eq!(a.state, AlarmState::Ok);
        assert_eq!(a.deadline_left(240), None);
        assert_eq!(a.fired_at, Some(180), "fired_at is kept for the record");
    }

    #[test]
    fn sum_over_five_minutes() {
        let mut d = def("LambdaErrors", Severity::High, 10.0, 1, 1);
        d.period = 300;
        d.stat = Stat::Sum;
        let mut a = Alarm::new(d, 0);
        let mut s = Series::default();
        for m in 0..5 {
            s.push(m * 60, 3.0);
        }
        a.evaluate(Some(&s), 300, 300);
        assert_eq!(a.value, Some(15.0));
        assert_eq!(a.state, AlarmState::Alarm);
    }

    #[test]
    fn late_data_is_tolerated_then_counts_as_missing() {
        let mut a = Alarm::new(def("X", Severity::High, 5.0, 1, 1), 0);
        let mut s = Series::default();
        s.push(0, 9.0);
        // at 120 the minute [60, 120) has not arrived: evaluate on the newest minute
        a.evaluate(Some(&s), 120, 120);
        assert_eq!(a.state, AlarmState::Alarm);
        // the data never comes: past the tolerance the window is empty
        a.evaluate(Some(&s), 60 + LATE_TOLERANCE + 60, 60 + LATE_TOLERANCE + 60);
        assert_eq!(a.state, AlarmState::InsufficientData);
        // points after `end` are not looked at (catching up through history)
        s.push(600, 1.0);
        a.evaluate(Some(&s), 60, 60);
        assert_eq!(a.state, AlarmState::Alarm);
    }

    #[test]
    fn no_series_is_insufficient_data() {
        let mut a = Alarm::new(def("X", Severity::Low, 1.0, 1, 1), 0);
        a.evaluate(None, 120, 120);
        assert_eq!(a.state, AlarmState::InsufficientData);
    }

    #[test]
    fn sorting() {
        let mut v = vec![
            Alarm::new(def("low-ok", Severity::Low, 1.0, 1, 1), 0),
            Alarm {
                state: AlarmState::Alarm,
                since: 50,
                ..Alarm::new(def("high-new", Severity::High, 1.0, 1, 1), 0)
            },
            Alarm {
                state: AlarmState::Alarm,
                since: 10,
                ..Alarm::new(def("high-old", Severity::High, 1.0, 1, 1), 0)
            },
            Alarm {
                state: AlarmState::Alarm,
                since: 90,
                ..Alarm::new(def("crit", Severity::Critical, 1.0, 1, 1), 0)
            },
        ];
        sort_alarms(&mut v);
        let names: Vec<_> = v.iter().map(|a| a.def.name.as_str()).collect();
        assert_eq!(names, ["crit", "high-old", "high-new", "low-ok"]);
    }
}
