//! Deploy watch: rollback gates (a metric, a threshold and a duration) and their evaluation.
//! Pure, no I/O.
//!
//! A [`Gate`] is one line of a rollback table: a series (or a `prefix*` pattern whose series
//! are summed minute by minute), a [`Limit`] and a [`Window`]. [`evaluate`] says where the
//! gate stands on the model's one-minute points:
//! - [`Window::For`]: every point in breach for that long in a row. The breach runs back from
//!   the newest point over consecutive one-minute points; a missing minute ends the run (as a
//!   CloudWatch alarm treating missing data as not breaching starts counting again). Time in
//!   breach is the minutes the run covers; the rollback is expected once it covers the whole
//!   duration, and until then the countdown is the duration minus the time in breach.
//! - [`Window::Within`]: the points within the window summed (throttles "more than 10 in one
//!   minute"); a breaching sum is a rollback expected at once.
//!
//! The [`DeployRules`] default is the crypto-watch runbook's automatic-rollback table and its
//! softer manual-rollback criteria (see [`DeployRules::default`]).

use std::collections::BTreeMap;

use super::metrics::{keys, SeriesKey};
use super::series::Series;
use super::time::{Ts, HOUR, MINUTE};

/// When the newest point is older than this, a gate has no current value: CloudWatch's
/// one-minute metrics land about two minutes late, so five minutes means the data stopped.
pub const STALE_AFTER: Ts = 5 * MINUTE;

/// The shortest span "normal" is taken over when a deploy is known (a deploy a minute ago is
/// not judged against one point).
pub const MIN_NORMAL_SPAN: Ts = 10 * MINUTE;

/// Without a known deploy, "normal" is the hour ending this long before the newest point.
pub const NORMAL_GAP: Ts = 10 * MINUTE;

/// Fewer points than this and there is no "normal" to compare with.
pub const MIN_NORMAL_POINTS: usize = 3;

/// What counts as a breach of a gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// Strictly above the value (the runbook's "> 5%").
    Above(f64),
    /// At or above the value ("3% or more").
    AtLeast(f64),
    /// At or above this many times normal (see [`normal`]): "latency 2x normal".
    TimesNormal(f64),
}

impl Limit {
    /// The value a point is compared with, given normal (`None` for [`Limit::TimesNormal`]
    /// without a normal).
    pub fn level(self, normal: Option<f64>) -> Option<f64> {
        match self {
            Limit::Above(x) | Limit::AtLeast(x) => Some(x),
            Limit::TimesNormal(f) => normal.map(|n| f * n),
        }
    }

    /// Is `v` in breach of `level` (see [`Limit::level`])?
    pub fn breached(self, v: f64, level: f64) -> bool {
        match self {
            Limit::Above(_) => v > level,
            Limit::AtLeast(_) | Limit::TimesNormal(_) => v >= level,
        }
    }

    /// The comparison as a symbol: `>` or `≥`.
    pub fn symbol(self) -> &'static str {
        match self {
            Limit::Above(_) => ">",
            _ => "≥",
        }
    }
}

/// How long a breach must last, or over what window the points are summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Every one-minute point in breach for this long in a row (whole minutes, at least one).
    For(Ts),
    /// The points within this window (whole minutes) summed and compared with the limit.
    Within(Ts),
}

impl Window {
    pub fn secs(self) -> Ts {
        match self {
            Window::For(s) | Window::Within(s) => s,
        }
    }
}

/// One rollback gate (or one soft manual-rollback criterion).
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// What the gates row calls it.
    pub name: String,
    /// A series key, or a prefix ending in `*` whose series are summed minute by minute.
    pub series: SeriesKey,
    pub limit: Limit,
    pub window: Window,
    /// Written after values (`%`, `ms`; empty for counts).
    pub unit: String,
}

impl Gate {
    pub fn new(name: &str, series: &str, limit: Limit, window: Window, unit: &str) -> Self {
        Self {
            name: name.into(),
            series: series.into(),
            limit,
            window,
            unit: unit.into(),
        }
    }
}

/// The unit a series' values are in, for gates that do not say: `%` for the error rates,
/// `ms` for latencies, nothing for counts.
pub fn default_unit(series: &str) -> &'static str {
    match series {
        keys::ERROR_RATE | keys::ERROR_4XX | keys::ERROR_5XX | keys::LAMBDA_ERROR_RATE => "%",
        s if s.starts_with("latency/") || s.ends_with("-latency") => "ms",
        _ => "",
    }
}

/// The profile's deploy-watch rules.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployRules {
    /// The automatic-rollback gates.
    pub gates: Vec<Gate>,
    /// The softer manual-rollback criteria.
    pub warnings: Vec<Gate>,
}

impl Default for DeployRules {
    /// The crypto-watch runbook's automatic rollback table: Lambda error rate above 5 % for
    /// two minutes, API Gateway 5xx above 10 % for two minutes, more than 10 Lambda throttles
    /// within one minute (all functions summed); and its manual rollback criteria: an error
    /// rate of 3 % or more, p95 latency twice normal or more.
    fn default() -> Self {
        Self {
            gates: vec![
                Gate::new(
                    "Lambda error rate",
                    keys::LAMBDA_ERROR_RATE,
                    Limit::Above(5.0),
                    Window::For(2 * MINUTE),
                    "%",
                ),
                Gate::new(
                    "API 5xx rate",
                    keys::ERROR_5XX,
                    Limit::Above(10.0),
                    Window::For(2 * MINUTE),
                    "%",
                ),
                Gate::new(
                    "Lambda throttles",
                    "lambda/throttles/*",
                    Limit::Above(10.0),
                    Window::Within(MINUTE),
                    "",
                ),
            ],
            warnings: vec![
                Gate::new(
                    "Error rate",
                    keys::ERROR_RATE,
                    Limit::AtLeast(3.0),
                    Window::For(MINUTE),
                    "%",
                ),
                Gate::new(
                    "p95 latency",
                    keys::P95,
                    Limit::TimesNormal(2.0),
                    Window::For(MINUTE),
                    "ms",
                ),
            ],
        }
    }
}

/// Where a gate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateState {
    /// No point, or none for [`STALE_AFTER`].
    NoData,
    /// A [`Limit::TimesNormal`] gate without enough history to know normal.
    NoNormal,
    /// Not in breach.
    Ok,
    /// In breach since `since` for `breached` seconds (of data); `left` more and the rollback
    /// is expected.
    Breach { since: Ts, breached: Ts, left: Ts },
    /// In breach for the gate's whole duration: the automatic rollback is expected (for a
    /// soft criterion: the criterion is met).
    Met { since: Ts, breached: Ts },
}

impl GateState {
    pub fn in_breach(self) -> bool {
        matches!(self, GateState::Breach { .. } | GateState::Met { .. })
    }
}

/// A gate evaluated at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateStatus {
    /// The current value: the newest point, or for [`Window::Within`] the window's sum.
    pub value: Option<f64>,
    /// The level compared with (for [`Limit::TimesNormal`]: factor x normal).
    pub level: Option<f64>,
    /// Normal, for [`Limit::TimesNormal`].
    pub normal: Option<f64>,
    /// The start of the newest minute the value comes from.
    pub as_of: Option<Ts>,
    pub state: GateState,
}

/// The one-minute points of `pattern` (a key, or `prefix*`: the matching series summed per
/// minute; a minute is present when any of them has it) with `from <= ts <= to`.
pub fn points(
    series: &BTreeMap<SeriesKey, Series>,
    pattern: &str,
    from: Ts,
    to: Ts,
) -> BTreeMap<Ts, f64> {
    let mut out = BTreeMap::new();
    match pattern.strip_suffix('*') {
        None => {
            if let Some(s) = series.get(pattern) {
                out.extend(s.range(from, to));
            }
        }
        Some(prefix) => {
            let matching = series
                .range(prefix.to_string()..)
                .take_while(|(k, _)| k.starts_with(prefix));
            for (_, s) in matching {
                for (ts, v) in s.range(from, to) {
                    *out.entry(ts).or_insert(0.0) += v;
                }
            }
        }
    }
    out
}

fn mean<'a>(values: impl Iterator<Item = &'a f64>) -> Option<(f64, usize)> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| (sum / n as f64, n))
}

/// Normal for a [`Limit::TimesNormal`] gate: the mean of the points over the same span
/// before the deploy (`now - deploy`, at least [`MIN_NORMAL_SPAN`]) when a deploy is
/// known; without one, the mean over the hour that ends [`NORMAL_GAP`] before the newest
/// point. `None` with fewer than [`MIN_NORMAL_POINTS`] points.
pub fn normal(
    series: &BTreeMap<SeriesKey, Series>,
    pattern: &str,
    now: Ts,
    deploy: Option<Ts>,
) -> Option<f64> {
    let (from, to) = match deploy {
        Some(d) => {
            let span = (now - d).max(MIN_NORMAL_SPAN);
            (d - span, d - MINUTE)
        }
        None => {
            let last = *points(series, pattern, now - 2 * HOUR, now).keys().last()?;
            let to = last - NORMAL_GAP;
            (to - HOUR + MINUTE, to)
        }
    };
    let p = points(series, pattern, from, to);
    // Points at ts cover [ts, ts + 60): before a deploy means ending by the deploy.
    let before: Vec<f64> = match deploy {
        Some(d) => p
            .iter()
            .filter(|(ts, _)| **ts + MINUTE <= d)
            .map(|(_, v)| *v)
            .collect(),
        None => p.values().copied().collect(),
    };
    match mean(before.iter()) {
        Some((m, n)) if n >= MIN_NORMAL_POINTS => Some(m),
        _ => None,
    }
}

/// Where `gate` stands at `now` on the model's series; `deploy` is the deploy watched (for
/// [`normal`]).
pub fn evaluate(
    gate: &Gate,
    series: &BTreeMap<SeriesKey, Series>,
    now: Ts,
    deploy: Option<Ts>,
) -> GateStatus {
    // The row is drawn every second: read two hours, and the whole history (a day) only when
    // the breach reaches back that far or there is no point in two hours.
    let near = now - 2 * HOUR;
    let s = evaluate_from(gate, series, now, deploy, near);
    match s.state {
        GateState::Breach { since, .. } | GateState::Met { since, .. }
            if since <= near + gate.window.secs().max(MINUTE) =>
        {
            evaluate_from(gate, series, now, deploy, now - HISTORY)
        }
        _ if s.as_of.is_none() => evaluate_from(gate, series, now, deploy, now - HISTORY),
        _ => s,
    }
}

/// The most history a breach is traced back over: the series' capacity (a day and a margin).
const HISTORY: Ts = 26 * HOUR;

/// [`evaluate`] on the points from `from` on.
fn evaluate_from(
    gate: &Gate,
    series: &BTreeMap<SeriesKey, Series>,
    now: Ts,
    deploy: Option<Ts>,
    from: Ts,
) -> GateStatus {
    let mut status = GateStatus {
        value: None,
        level: None,
        normal: None,
        as_of: None,
        state: GateState::NoData,
    };
    let pts = points(series, &gate.series, from, now);
    let Some((&last, _)) = pts.iter().next_back() else {
        return status;
    };
    let window = gate.window.secs().max(MINUTE);
    // The value at minute `t`: the point itself, or the window's sum.
    let value_at = |t: Ts| -> Option<f64> {
        match gate.window {
            Window::For(_) => pts.get(&t).copied(),
            Window::Within(_) => {
                let mut any = false;
                let sum = pts
                    .range(t - window + MINUTE..=t)
                    .map(|(_, v)| {
                        any = true;
                        *v
                    })
                    .sum::<f64>();
                any.then_some(sum)
            }
        }
    };
    status.value = value_at(last);
    status.as_of = Some(last);
    if now - (last + MINUTE) > STALE_AFTER {
        return status;
    }
    if let Limit::TimesNormal(_) = gate.limit {
        status.normal = normal(series, &gate.series, now, deploy);
    }
    let Some(level) = gate.limit.level(status.normal) else {
        status.state = GateState::NoNormal;
        return status;
    };
    status.level = Some(level);
    // Walk back from the newest minute while every minute is present and in breach.
    let mut since = None;
    let mut t = last;
    while let Some(v) = value_at(t) {
        if !gate.limit.breached(v, level) {
            break;
        }
        since = Some(t);
        t -= MINUTE;
    }
    status.state = match since {
        None => GateState::Ok,
        Some(since) => {
            let breached = last + MINUTE - since;
            match gate.window {
                Window::Within(_) => GateState::Met { since, breached },
                Window::For(d) if breached >= d.max(MINUTE) => GateState::Met { since, breached },
                Window::For(d) => GateState::Breach {
                    since,
                    breached,
                    left: d - breached,
                },
            }
        }
    };
    status
}

/// A series since a deploy against the same span before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpanComparison {
    /// The mean of the one-minute points since the deploy (`None`: no point yet).
    pub since: Option<f64>,
    /// The mean over the same span before the deploy.
    pub before: Option<f64>,
    /// How long the spans are: from the deploy to now (at least a minute).
    pub span: Ts,
}

impl SpanComparison {
    /// since / before, when both are known and before is not zero.
    pub fn ratio(&self) -> Option<f64> {
        match (self.since, self.before) {
            (Some(a), Some(b)) if b != 0.0 => Some(a / b),
            _ => None,
        }
    }
}

/// The mean of `pattern`'s one-minute points since `deploy` (the points whose minute ends
/// after it) against the mean over the same span before it (the points whose minute ends by
/// it), at `now`.
pub fn compare(
    series: &BTreeMap<SeriesKey, Series>,
    pattern: &str,
    deploy: Ts,
    now: Ts,
) -> SpanComparison {
    let span = (now - deploy).max(MINUTE);
    let pts = points(series, pattern, deploy - span - MINUTE, now);
    let since = mean(
        pts.iter()
            .filter(|(ts, _)| **ts + MINUTE > deploy)
            .map(|(_, v)| v),
    );
    let before = mean(
        pts.iter()
            .filter(|(ts, _)| **ts >= deploy - span && **ts + MINUTE <= deploy)
            .map(|(_, v)| v),
    );
    SpanComparison {
        since: since.map(|m| m.0),
        before: before.map(|m| m.0),
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Ts = 1_000 * HOUR; // a minute boundary
    const M: Ts = MINUTE;

    /// Series from (key, [(minute offset from T0, value)]).
    fn model(data: &[(&str, &[(i64, f64)])]) -> BTreeMap<SeriesKey, Series> {
        let mut out = BTreeMap::new();
        for (key, pts) in data {
            let s: &mut Series = out.entry(key.to_string()).or_default();
            for (m, v) in pts.iter() {
                s.push(T0 + m * M, *v);
            }
        }
        out
    }

    /// Consecutive minutes ending at offset 0: values oldest first.
    fn run(values: &[f64]) -> Vec<(i64, f64)> {
        let n = values.len() as i64;
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as i64 - n + 1, *v))
            .collect()
    }

    fn rate_gate() -> Gate {
        DeployRules::default().gates[0].clone()
    }

    fn throttle_gate() -> Gate {
        DeployRules::default().gates[2].clone()
    }

    #[test]
    fn the_defaults_are_the_runbook_tables() {
        let r = DeployRules::default();
        let g: Vec<_> = r
            .gates
            .iter()
            .map(|g| (g.series.as_str(), g.limit, g.window))
            .collect();
        assert_eq!(
            g,
            vec![
                ("errors/lambda-rate", Limit::Above(5.0), Window::For(120)),
                ("errors/5xx", Limit::Above(10.0), Window::For(120)),
                ("lambda/throttles/*", Limit::Above(10.0), Window::Within(60)),
            ]
        );
        assert_eq!(r.warnings[0].limit, Limit::AtLeast(3.0));
        assert_eq!(r.warnings[0].series, "errors/rate");
        assert_eq!(r.warnings[1].limit, Limit::TimesNormal(2.0));
        assert_eq!(r.warnings[1].series, "latency/p95");
    }

    /// (what, gate, series as (key, [(minute offset, value)]), now, want state, want value).
    type Case<'a> = (
        &'a str,
        Gate,
        Vec<(&'a str, Vec<(i64, f64)>)>,
        Ts,
        GateState,
        Option<f64>,
    );

    #[test]
    fn gate_evaluation_table() {
        let now = T0 + M + 10; // ten seconds into the minute after the newest point (offset 0)
        let rate = "errors/lambda-rate";
        let cases: Vec<Case> = vec![
            ("no data", rate_gate(), vec![], now, GateState::NoData, None),
            (
                "other series only",
                rate_gate(),
                vec![("errors/rate", run(&[9.0]))],
                now,
                GateState::NoData,
                None,
            ),
            (
                "well under",
                rate_gate(),
                vec![(rate, run(&[0.4, 0.5]))],
                now,
                GateState::Ok,
                Some(0.5),
            ),
            (
                "exactly at the threshold is not above it",
                rate_gate(),
                vec![(rate, run(&[5.0, 5.0, 5.0]))],
                now,
                GateState::Ok,
                Some(5.0),
            ),
            (
                "one minute above: one to go",
                rate_gate(),
                vec![(rate, run(&[1.0, 5.01]))],
                now,
                GateState::Breach {
                    since: T0,
                    breached: M,
                    left: M,
                },
                Some(5.01),
            ),
            (
                "two minutes above: rollback expected",
                rate_gate(),
                vec![(rate, run(&[1.0, 6.0, 7.0]))],
                now,
                GateState::Met {
                    since: T0 - M,
                    breached: 2 * M,
                },
                Some(7.0),
            ),
            (
                "five minutes above: since the first",
                rate_gate(),
                vec![(rate, run(&[1.0, 6.0, 7.0, 8.0, 9.0, 9.5]))],
                now,
                GateState::Met {
                    since: T0 - 4 * M,
                    breached: 5 * M,
                },
                Some(9.5),
            ),
            (
                "a breach that ended",
                rate_gate(),
                vec![(rate, run(&[6.0, 7.0, 8.0, 2.0]))],
                now,
                GateState::Ok,
                Some(2.0),
            ),
            (
                "a gap ends the run: counting starts again after it",
                rate_gate(),
                vec![(rate, vec![(-3, 9.0), (-2, 9.0), (0, 9.0)])],
                now,
                GateState::Breach {
                    since: T0,
                    breached: M,
                    left: M,
                },
                Some(9.0),
            ),
            (
                "newest point stale: no data",
                rate_gate(),
                vec![(rate, run(&[9.0, 9.0]))],
                T0 + M + STALE_AFTER + 1,
                GateState::NoData,
                Some(9.0),
            ),
            (
                "newest point just within the stale limit",
                rate_gate(),
                vec![(rate, run(&[9.0, 9.0]))],
                T0 + M + STALE_AFTER,
                GateState::Met {
                    since: T0 - M,
                    breached: 2 * M,
                },
                Some(9.0),
            ),
            (
                "wildcard: throttles of all functions summed",
                throttle_gate(),
                vec![
                    ("lambda/throttles/a", run(&[0.0, 6.0])),
                    ("lambda/throttles/b", run(&[0.0, 5.0])),
                    ("lambda/concurrency/a", run(&[0.0, 500.0])),
                ],
                now,
                GateState::Met {
                    since: T0,
                    breached: M,
                },
                Some(11.0),
            ),
            (
                "wildcard: exactly 10 is not more than 10",
                throttle_gate(),
                vec![
                    ("lambda/throttles/a", run(&[20.0, 6.0])),
                    ("lambda/throttles/b", run(&[0.0, 4.0])),
                ],
                now,
                GateState::Ok,
                Some(10.0),
            ),
            (
                "wildcard: a function missing a minute still counts the others",
                throttle_gate(),
                vec![
                    ("lambda/throttles/a", run(&[12.0, 12.0, 12.0])),
                    ("lambda/throttles/b", vec![(0, 1.0)]),
                ],
                now,
                GateState::Met {
                    since: T0 - 2 * M,
                    breached: 3 * M,
                },
                Some(13.0),
            ),
            (
                "wildcard: nothing matches",
                throttle_gate(),
                vec![("lambda/concurrency/a", run(&[50.0]))],
                now,
                GateState::NoData,
                None,
            ),
            (
                "at least: exactly at the level is a breach",
                Gate::new("e", "errors/rate", Limit::AtLeast(3.0), Window::For(M), "%"),
                vec![("errors/rate", run(&[1.0, 3.0]))],
                now,
                GateState::Met {
                    since: T0,
                    breached: M,
                },
                Some(3.0),
            ),
            (
                "a 3-minute window sums three minutes",
                Gate::new(
                    "t",
                    "lambda/throttles/*",
                    Limit::Above(10.0),
                    Window::Within(3 * M),
                    "",
                ),
                vec![("lambda/throttles/a", run(&[0.0, 4.0, 4.0, 4.0]))],
                now,
                GateState::Met {
                    since: T0,
                    breached: M,
                },
                Some(12.0),
            ),
        ];
        for (what, gate, data, at, want, value) in cases {
            let data: Vec<(&str, &[(i64, f64)])> =
                data.iter().map(|(k, v)| (*k, v.as_slice())).collect();
            let s = evaluate(&gate, &model(&data), at, None);
            assert_eq!(s.state, want, "{what}: {s:?}");
            assert_eq!(s.value, value, "{what}: {s:?}");
        }
    }

    #[test]
    fn a_long_breach_is_traced_back_past_two_hours() {
        let values: Vec<f64> = std::iter::once(1.0)
            .chain(std::iter::repeat_n(9.0, 5 * 60))
            .collect();
        let data = model(&[("errors/lambda-rate", &run(&values))]);
        let s = evaluate(&rate_gate(), &data, T0 + M, None);
        assert_eq!(
            s.state,
            GateState::Met {
                since: T0 - (5 * 60 - 1) * M,
                breached: 5 * HOUR
            }
        );
        // Old data only: no data since its end.
        let data = model(&[("errors/lambda-rate", &[(-300, 9.0)][..])]);
        let s = evaluate(&rate_gate(), &data, T0 + M, None);
        assert_eq!((s.state, s.as_of), (GateState::NoData, Some(T0 - 300 * M)));
    }

    #[test]
    fn times_normal_uses_the_span_before_the_deploy() {
        let gate = DeployRules::default().warnings[1].clone();
        // 30 minutes at 200 ms, then the deploy at T0 - 4m, then 500 ms.
        let mut pts: Vec<(i64, f64)> = (-33..-4).map(|m| (m, 200.0)).collect();
        pts.extend((-4..=0).map(|m| (m, 500.0)));
        let data = model(&[("latency/p95", &pts)]);
        let deploy = T0 - 4 * M;
        let now = T0 + M;
        // Span 5 minutes, but normal is taken over at least 10 minutes before the deploy.
        assert_eq!(normal(&data, "latency/p95", now, Some(deploy)), Some(200.0));
        let s = evaluate(&gate, &data, now, Some(deploy));
        assert_eq!(s.normal, Some(200.0));
        assert_eq!(s.level, Some(400.0));
        assert_eq!(
            s.state,
            GateState::Met {
                since: deploy,
                breached: 5 * M
            }
        );
        // Exactly 2x is "2x or more".
        let data = model(&[(
            "latency/p95",
            &[(-20, 100.0), (-19, 100.0), (-18, 100.0), (0, 200.0)],
        )]);
        let s = evaluate(&gate, &data, now, Some(T0 - 10 * M));
        assert!(s.state.in_breach(), "{s:?}");
        // Without a deploy: the hour ending ten minutes before the newest point.
        let mut pts: Vec<(i64, f64)> = (-80..-10).map(|m| (m, 300.0)).collect();
        pts.extend((-9..=0).map(|m| (m, 400.0)));
        let data = model(&[("latency/p95", &pts)]);
        assert_eq!(normal(&data, "latency/p95", now, None), Some(300.0));
        assert_eq!(evaluate(&gate, &data, now, None).state, GateState::Ok);
        // Too little history: no normal, no verdict.
        let data = model(&[("latency/p95", &[(-1, 300.0), (0, 900.0)])]);
        let s = evaluate(&gate, &data, now, Some(T0 - M));
        assert_eq!(s.state, GateState::NoNormal);
        assert_eq!(s.value, Some(900.0));
    }

    #[test]
    fn since_deploy_against_the_same_span_before() {
        // Deploy at T0 - 2m (a minute boundary), now T0 + 1m: span 3 minutes.
        let pts: Vec<(i64, f64)> = vec![
            (-6, 100.0), // outside the span before
            (-5, 1.0),
            (-4, 2.0),
            (-3, 3.0),
            (-2, 10.0),
            (-1, 20.0),
            (0, 30.0),
        ];
        let data = model(&[("errors/rate", &pts)]);
        let c = compare(&data, "errors/rate", T0 - 2 * M, T0 + M);
        assert_eq!(c.span, 3 * M);
        assert_eq!(c.since, Some(20.0));
        assert_eq!(c.before, Some(2.0));
        assert_eq!(c.ratio(), Some(10.0));
        // A deploy in the middle of a minute: that minute counts as since.
        let c = compare(&data, "errors/rate", T0 - 2 * M + 30, T0 + M);
        assert_eq!(c.since, Some(20.0));
        // Wildcards sum per minute; nothing before: no ratio.
        let data = model(&[
            ("lambda/throttles/a", &[(0, 4.0)][..]),
            ("lambda/throttles/b", &[(0, 6.0)][..]),
        ]);
        let c = compare(&data, "lambda/throttles/*", T0, T0 + M);
        assert_eq!(c.since, Some(10.0));
        assert_eq!(c.before, None);
        assert_eq!(c.ratio(), None);
        // No data at all.
        let c = compare(&BTreeMap::new(), "errors/rate", T0, T0 + M);
        assert_eq!((c.since, c.before), (None, None));
    }

    #[test]
    fn units_by_series() {
        assert_eq!(default_unit("errors/5xx"), "%");
        assert_eq!(default_unit("latency/p99"), "ms");
        assert_eq!(default_unit("lambda/throttles/*"), "");
    }
}

/// Properties of gate evaluation on arbitrary one-minute series: gaps, NaN and infinite
/// points, duplicate and out-of-order timestamps.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    const T0: Ts = 1_000 * HOUR;
    const KEY: &str = "lambda/errors/x";

    /// A point's value: mostly ordinary, sometimes missing, NaN or infinite (the series drops
    /// the non-finite ones, as it drops whatever CloudWatch could never return).
    fn value() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            8 => (0.0f64..20.0).prop_map(Some),
            2 => Just(None),
            1 => Just(Some(f64::NAN)),
            1 => prop_oneof![Just(f64::INFINITY), Just(f64::NEG_INFINITY)].prop_map(Some),
        ]
    }

    fn limit() -> impl Strategy<Value = Limit> {
        prop_oneof![
            (0.0f64..20.0).prop_map(Limit::Above),
            (0.0f64..20.0).prop_map(Limit::AtLeast),
            (0.5f64..4.0).prop_map(Limit::TimesNormal),
        ]
    }

    fn window() -> impl Strategy<Value = Window> {
        prop_oneof![
            (1i64..8).prop_map(|m| Window::For(m * MINUTE)),
            (1i64..5).prop_map(|m| Window::Within(m * MINUTE)),
        ]
    }

    fn gate(limit: Limit, window: Window) -> Gate {
        Gate::new("g", KEY, limit, window, "%")
    }

    /// One series from values at consecutive minutes ending at `T0` (oldest first).
    fn series(values: &[Option<f64>]) -> BTreeMap<SeriesKey, Series> {
        let n = values.len() as i64;
        let mut s = Series::default();
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                s.push(T0 + (i as i64 - n + 1) * MINUTE, *v);
            }
        }
        BTreeMap::from([(KEY.to_string(), s)])
    }

    /// The finite points, as the gate sees them, by minute.
    fn finite(values: &[Option<f64>]) -> BTreeMap<Ts, f64> {
        let n = values.len() as i64;
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.filter(|x| x.is_finite())
                    .map(|x| (T0 + (i as i64 - n + 1) * MINUTE, x))
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Never panics; time in breach never exceeds the span of the points observed, the
        /// breach starts at a point and ends at the newest one; a breach short of the whole
        /// duration says how long is left, and the two add up to it.
        #[test]
        fn breach_stays_within_the_observed_span(
            values in prop::collection::vec(value(), 0..40),
            limit in limit(),
            window in window(),
            late in 0i64..10,
            deploy in prop::option::of(-30i64..0),
        ) {
            let g = gate(limit, window);
            let s = series(&values);
            let now = T0 + MINUTE + late * MINUTE;
            let st = evaluate(&g, &s, now, deploy.map(|d| T0 + d * MINUTE));
            let pts = finite(&values);
            match (pts.keys().next(), pts.keys().next_back()) {
                (Some(&first), Some(&last)) => {
                    prop_assert_eq!(st.as_of, Some(last));
                    let span = last + MINUTE - first;
                    match st.state {
                        GateState::Breach { since, breached, left } => {
                            prop_assert!(since >= first && since <= last);
                            prop_assert_eq!(breached, last + MINUTE - since);
                            prop_assert!(breached <= span && breached >= MINUTE);
                            prop_assert!(left > 0);
                            prop_assert_eq!(breached + left, window.secs());
                        }
                        GateState::Met { since, breached } => {
                            prop_assert!(since >= first && since <= last);
                            prop_assert_eq!(breached, last + MINUTE - since);
                            prop_assert!(breached <= span && breached >= MINUTE);
                            if let Window::For(d) = window {
                                prop_assert!(breached >= d);
                            }
                        }
                        _ => {}
                    }
                    if now - (last + MINUTE) > STALE_AFTER {
                        prop_assert_eq!(st.state, GateState::NoData);
                    }
                }
                _ => {
                    prop_assert_eq!(st.state, GateState::NoData);
                    prop_assert_eq!(st.value, None);
                }
            }
            if let Some(v) = st.value {
                prop_assert!(v.is_finite());
            }
        }

        /// A `For(d)` gate with a fixed limit is met iff every minute of the last `d` is
        /// present, finite and in breach (and the data is not stale); it is in breach (met or
        /// not) iff the newest minute is.
        #[test]
        fn for_window_met_iff_every_point_breaches(
            values in prop::collection::vec(value(), 0..20),
            x in 0.0f64..20.0,
            at_least in any::<bool>(),
            minutes in 1i64..8,
        ) {
            let limit = if at_least { Limit::AtLeast(x) } else { Limit::Above(x) };
            let g = gate(limit, Window::For(minutes * MINUTE));
            let st = evaluate(&g, &series(&values), T0 + MINUTE, None);
            let pts = finite(&values);
            let breaches = |t: Ts| pts.get(&t).is_some_and(|v| limit.breached(*v, x));
            let fresh = |last: Ts| T0 + MINUTE - (last + MINUTE) <= STALE_AFTER;
            if let Some(&last) = pts.keys().next_back().filter(|l| fresh(**l)) {
                let all = (0..minutes).all(|k| breaches(last - k * MINUTE));
                prop_assert_eq!(matches!(st.state, GateState::Met { .. }), all, "{:?}", st);
                prop_assert_eq!(st.state.in_breach(), breaches(last), "{:?}", st);
            }
        }

        /// NaN and infinite points count as missing, never as a breach: the status is the one
        /// of the same series without them.
        #[test]
        fn non_finite_points_are_missing_points(
            values in prop::collection::vec(value(), 0..30),
            limit in limit(),
            window in window(),
        ) {
            let g = gate(limit, window);
            let without: Vec<Option<f64>> = values
                .iter()
                .map(|v| v.filter(|x| x.is_finite()))
                .collect();
            prop_assert_eq!(
                evaluate(&g, &series(&values), T0 + MINUTE, None),
                evaluate(&g, &series(&without), T0 + MINUTE, None)
            );
        }

        /// Higher values never make a fixed-limit gate less breached: a breach stays one, and
        /// the time in breach never shrinks.
        #[test]
        fn higher_values_never_shrink_a_breach(
            values in prop::collection::vec(prop::option::of(0.0f64..20.0), 1..30),
            bump in prop::collection::vec(0.0f64..10.0, 1..30),
            x in 0.0f64..20.0,
            at_least in any::<bool>(),
            window in window(),
        ) {
            let limit = if at_least { Limit::AtLeast(x) } else { Limit::Above(x) };
            let g = gate(limit, window);
            let higher: Vec<Option<f64>> = values
                .iter()
                .zip(bump.iter().cycle())
                .map(|(v, b)| v.map(|v| v + b))
                .collect();
            let breached = |st: GateStatus| match st.state {
                GateState::Breach { breached, .. } | GateState::Met { breached, .. } => breached,
                _ => 0,
            };
            let a = evaluate(&g, &series(&values), T0 + MINUTE, None);
            let b = evaluate(&g, &series(&higher), T0 + MINUTE, None);
            prop_assert!(breached(b) >= breached(a), "{:?} -> {:?}", a, b);
            prop_assert!(!a.state.in_breach() || b.state.in_breach());
            if matches!(a.state, GateState::Met { .. }) {
                prop_assert!(matches!(b.state, GateState::Met { .. }), "{:?} -> {:?}", a, b);
            }
        }

        /// A shorter `For` duration is met whenever a longer one is, and both trace the same
        /// breach (same start, same time in breach): the duration only decides when it counts.
        #[test]
        fn shorter_durations_are_met_first(
            values in prop::collection::vec(value(), 1..30),
            x in 0.0f64..20.0,
            short in 1i64..6,
            extra in 0i64..6,
        ) {
            let s = series(&values);
            let a = evaluate(&gate(Limit::Above(x), Window::For(short * MINUTE)), &s, T0 + MINUTE, None);
            let b = evaluate(&gate(Limit::Above(x), Window::For((short + extra) * MINUTE)), &s, T0 + MINUTE, None);
            let trace = |st: GateStatus| match st.state {
                GateState::Breach { since, breached, .. } | GateState::Met { since, breached } => Some((since, breached)),
                _ => None,
            };
            prop_assert_eq!(trace(a), trace(b));
            if matches!(b.state, GateState::Met { .. }) {
                prop_assert!(matches!(a.state, GateState::Met { .. }), "{:?} / {:?}", a, b);
            }
        }

        /// Points arriving out of order and re-read minutes (the last read wins) give the same
        /// status as the same points pushed once in order.
        #[test]
        fn arrival_order_and_rereads_do_not_matter(
            pushes in prop::collection::vec((-30i64..1, 0.0f64..20.0), 0..60),
            seed in any::<u64>(),
            limit in limit(),
            window in window(),
        ) {
            // Shuffle deterministically from the seed, then compute what the last read of
            // each minute is.
            let mut order = pushes.clone();
            let mut r = seed | 1;
            for i in (1..order.len()).rev() {
                r ^= r << 13; r ^= r >> 7; r ^= r << 17;
                order.swap(i, (r % (i as u64 + 1)) as usize);
            }
            let mut shuffled = Series::default();
            let mut last_read = BTreeMap::new();
            for (m, v) in &order {
                shuffled.push(T0 + m * MINUTE, *v);
                last_read.insert(T0 + m * MINUTE, *v);
            }
            let mut in_order = Series::default();
            for (ts, v) in &last_read {
                in_order.push(*ts, *v);
            }
            let g = gate(limit, window);
            let a = BTreeMap::from([(KEY.to_string(), shuffled)]);
            let b = BTreeMap::from([(KEY.to_string(), in_order)]);
            prop_assert_eq!(evaluate(&g, &a, T0 + MINUTE, None), evaluate(&g, &b, T0 + MINUTE, None));
        }

        /// A `Within` gate's value is the sum of the points in the window ending at the newest
        /// minute, and it is met at once when that sum is past the limit.
        #[test]
        fn within_sums_the_window(
            values in prop::collection::vec(prop::option::of(0.0f64..20.0), 1..20),
            x in 0.0f64..60.0,
            minutes in 1i64..5,
        ) {
            let g = gate(Limit::Above(x), Window::Within(minutes * MINUTE));
            let st = evaluate(&g, &series(&values), T0 + MINUTE, None);
            let pts = finite(&values);
            if let Some(&last) = pts.keys().next_back() {
                if T0 - last > STALE_AFTER {
                    prop_assert_eq!(st.state, GateState::NoData);
                    return Ok(());
                }
                let sum: f64 = pts.range(last - (minutes - 1) * MINUTE..=last).map(|(_, v)| v).sum();
                prop_assert_eq!(st.value, Some(sum));
                prop_assert_eq!(matches!(st.state, GateState::Met { .. }), sum > x);
                prop_assert!(!matches!(st.state, GateState::Breach { .. }), "{:?}", st);
            }
        }

        /// A `prefix*` gate sees the per-minute sums of its series: the same status as one
        /// series holding those sums.
        #[test]
        fn a_pattern_is_the_sum_of_its_series(
            a in prop::collection::vec(prop::option::of(0.0f64..10.0), 0..15),
            b in prop::collection::vec(prop::option::of(0.0f64..10.0), 0..15),
            limit in limit(),
            window in window(),
        ) {
            let n = a.len().max(b.len());
            let pad = |v: &[Option<f64>]| {
                let mut out = vec![None; n - v.len()];
                out.extend_from_slice(v);
                out
            };
            let (a, b) = (pad(&a), pad(&b));
            let summed: Vec<Option<f64>> = a
                .iter()
                .zip(&b)
                .map(|(x, y)| match (x, y) {
                    (None, None) => None,
                    _ => Some(x.unwrap_or(0.0) + y.unwrap_or(0.0)),
                })
                .collect();
            let mut two = series(&a);
            let sb = series(&b).remove(KEY).unwrap();
            let sa = two.remove(KEY).unwrap();
            two.insert("lambda/throttles/a".into(), sa);
            two.insert("lambda/throttles/b".into(), sb);
            two.insert("lambda/throttlesX".into(), series(&[Some(1000.0)]).remove(KEY).unwrap());
            let pattern = Gate::new("g", "lambda/throttles/*", limit, window, "");
            let single = BTreeMap::from([("lambda/throttles/all".to_string(), series(&summed).remove(KEY).unwrap())]);
            let one = Gate::new("g", "lambda/throttles/all", limit, window, "");
            prop_assert_eq!(evaluate(&pattern, &two, T0 + MINUTE, None), evaluate(&one, &single, T0 + MINUTE, None));
        }
    }
}
