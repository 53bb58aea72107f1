//! The daily check on the demo: 48 hours of the simulation up to a moment of a scenario, as a
//! [`CheckInput`] (see `crate::check`).
//!
//! Deterministic like the rest of the demo: metrics are the simulated minutes summed (or
//! request-weighted) into 5-minute periods; alarms are the profile's alarms evaluated minute
//! by minute over the 48 hours, as the model evaluates them live (so every transition into
//! ALARM is known, like CloudWatch's alarm history); error patterns come from the simulated
//! log lines of the kinds that write errors, grouped with `model::patterns` exactly as the
//! Logs Insights results are on AWS. The Insights query is shown as it would be sent
//! (status `demo`): nothing is sent.

use std::collections::BTreeMap;

use crate::check::{AlarmEvent, AlarmInput, CheckInput, LogInput, QueryInfo, PERIOD, WINDOW};
use crate::model::alarm::{Alarm, AlarmState};
use crate::model::metrics::keys;
use crate::model::patterns::Patterns;
use crate::model::series::Series;
use crate::model::time::{align, Ts, HOUR, MINUTE};
use crate::model::Profile;

use super::logs::{
    error_kind_lines_for_second, minute_may_error, GROUP_ACCESS, GROUP_API, GROUP_EXECUTION,
    GROUP_PRICE, GROUP_PROFILE,
};
use super::DemoSource;

/// How long before the 48 hours alarms are evaluated, so that their N-of-M windows are full
/// when the 48 hours start.
const WARM_UP: Ts = HOUR;

/// The log groups the demo's check reads.
pub const LOG_GROUPS: [&str; 5] = [
    GROUP_API,
    GROUP_PROFILE,
    GROUP_PRICE,
    GROUP_ACCESS,
    GROUP_EXECUTION,
];

/// The check's input for the demo at `end` (aligned down to the check's period).
pub fn check_input(source: &DemoSource, end: Ts, profile: &Profile) -> CheckInput {
    let end = align(end, PERIOD);
    let start = end - 2 * WINDOW;
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    // Per period: requests, Σ rate × requests, Σ p95 × requests.
    let mut periods: BTreeMap<Ts, (f64, f64, f64)> = BTreeMap::new();
    let (mut today, mut yesterday) = (Patterns::new(), Patterns::new());
    let capacity = ((end - start + WARM_UP) / MINUTE) as usize + 1;
    let mut t = start - WARM_UP;
    while t < end {
        let m = source.minute(t);
        let points = m.points();
        if t >= start {
            let get = |k: &str| {
                points
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| *v)
                    .unwrap_or(0.0)
            };
            let p = periods.entry(align(t, PERIOD)).or_default();
            let req = m.requests;
            p.0 += req;
            p.1 += get(keys::ERROR_RATE) * req;
            p.2 += get(keys::P95) * req;
            if minute_may_error(&m) {
                let day = if t >= end - WINDOW {
                    &mut today
                } else {
                    &mut yesterday
                };
                for s in t..t + MINUTE {
                    for l in error_kind_lines_for_second(source.seed(), s, &m) {
                        day.add_raw(l.ts, &l.source, &l.bytes);
                    }
                }
            }
        }
        for (key, v) in points {
            series
                .entry(key)
                .or_insert_with(|| Series::with_capacity(capacity))
                .push(t, v);
        }
        t += MINUTE;
    }
    let mut requests = Vec::new();
    let mut error_rate = Vec::new();
    let mut latency = Vec::new();
    for (ts, (req, rate, p95)) in periods {
        requests.push((ts, req));
        if req > 0.0 {
            error_rate.push((ts, rate / req));
            latency.push((ts, p95 / req));
        }
    }
    CheckInput {
        end,
        requests,
        error_rate,
        latency,
        metrics_error: None,
        alarms: alarms(&series, profile, start, end),
        logs: LogInput {
            today,
            yesterday,
            queries: queries(end),
            error: None,
        },
        source: format!("demo: {}", source.scenario().name()),
        metrics_cost_usd: 0.0,
        api_calls: 0,
    }
}

/// The profile's alarms evaluated at every minute boundary from the warm-up to `end`; the
/// transitions into ALARM within `[start, end)`.
fn alarms(series: &BTreeMap<String, Series>, profile: &Profile, start: Ts, end: Ts) -> AlarmInput {
    let mut events = Vec::new();
    let mut firing_now = Vec::new();
    for def in &profile.alarms {
        let mut a = Alarm::new(def.clone(), start - WARM_UP);
        let s = series.get(&def.series);
        let mut b = start - WARM_UP + MINUTE;
        while b <= end {
            if a.evaluate(s, b, b) && a.state == AlarmState::Alarm && b >= start && b < end {
                events.push(AlarmEvent {
                    at: b,
                    name: def.name.clone(),
                });
            }
            b += MINUTE;
        }
        if a.state == AlarmState::Alarm {
            firing_now.push(def.name.clone());
        }
    }
    events.sort_by(|a, b| a.at.cmp(&b.at).then(a.name.cmp(&b.name)));
    AlarmInput {
        events,
        firing_now,
        from_history: true,
        history_error: None,
        error: None,
    }
}

/// The two queries the check sends on AWS, as they would be sent for the demo's groups.
fn queries(end: Ts) -> Vec<QueryInfo> {
    [
        ("today", end - WINDOW, end),
        ("yesterday", end - 2 * WINDOW, end - WINDOW),
    ]
    .into_iter()
    .map(|(label, from, to)| QueryInfo {
        label: label.into(),
        query: crate::source::aws::insights::query_text(
            crate::source::aws::insights::DEFAULT_LIMIT,
        ),
        log_groups: LOG_GROUPS.iter().map(|g| g.to_string()).collect(),
        start: from,
        end: to,
        status: "demo".into(),
        ..QueryInfo::default()
    })
    .collect()
}
