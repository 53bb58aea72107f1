//! The built-in demo: a deterministic simulation of a service like the team's (API Gateway +
//! Lambda + Aurora + DynamoDB), with named scenarios.
//!
//! - [`scenario`]: the named stories and what each does to the service over time.
//! - [`sim`]: the simulated account (its resources) and one minute of its metrics.
//! - [`logs`]: the log lines of one second.
//! - [`noise`]: the hash-based RNG everything random comes from.
//!
//! Every metric value is a pure function of (scenario, seed, series, minute) and every log
//! line of (scenario, seed, second, index); [`DemoSource`] only keeps track of what it has
//! delivered, so the totals never depend on how often it is polled.

pub mod check;
pub mod logs;
pub mod noise;
pub mod scenario;
pub mod sim;

use crate::model::metrics::{Marker, SeriesKey};
use crate::model::time::{align, Ts, DAY, HOUR, MINUTE};
use crate::model::{RawLog, Update};
use crate::source::Source;

pub use scenario::{Scenario, SCENARIOS};
pub use sim::Minute;

/// The simulation's t = 0 ("now" when the demo starts): 2026-11-23 09:00:00 UTC
/// (18:00 in Japan, a busy evening).
pub const DEMO_EPOCH: Ts = 1_795_424_400;
pub const DEFAULT_SCENARIO: &str = "bad-deploy";
pub const DEFAULT_SEED: u64 = 20_261_123;
/// How much metric history the first poll delivers.
pub const HISTORY: Ts = DAY;
/// How many seconds of log lines before the epoch the first poll delivers.
pub const LOG_BACKFILL: Ts = 10 * MINUTE;
/// The most log seconds one poll generates: a poll after a longer gap skips the older lines
/// (a first poll long after the epoch gets the last hour, not everything since).
pub const LOG_CATCH_UP: Ts = HOUR;

/// The scenario names, in display order.
pub fn scenario_names() -> Vec<&'static str> {
    SCENARIOS.iter().map(|(n, _)| *n).collect()
}

/// The demo data source.
#[derive(Debug, Clone)]
pub struct DemoSource {
    scenario: Scenario,
    seed: u64,
    started: bool,
    /// The first minute not yet delivered.
    next_minute: Ts,
    /// The first second whose log lines are not yet delivered.
    next_second: Ts,
    markers: Vec<Marker>,
    markers_sent: usize,
    /// The minute the log lines were last drawn from.
    cache: Option<Minute>,
}

impl DemoSource {
    /// A source playing the named scenario with a seed. Unknown names are an error that lists
    /// the valid ones.
    pub fn new(name: &str, seed: u64) -> Result<DemoSource, String> {
        let scenario = Scenario::from_name(name).ok_or_else(|| {
            format!(
                "unknown demo scenario `{}`; valid scenarios: {}",
                name.trim(),
                scenario_names().join(", ")
            )
        })?;
        let markers = scenario
            .markers()
            .into_iter()
            .map(|(t, label)| Marker {
                ts: DEMO_EPOCH + t,
                label: label.to_string(),
            })
            .collect();
        Ok(DemoSource {
            scenario,
            seed,
            started: false,
            next_minute: DEMO_EPOCH - HISTORY,
            next_second: DEMO_EPOCH - LOG_BACKFILL,
            markers,
            markers_sent: 0,
            cache: None,
        })
    }

    /// The simulation's t = 0.
    pub fn epoch() -> Ts {
        DEMO_EPOCH
    }

    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The simulated minute starting at `start` (aligned down to the minute).
    pub fn minute(&self, start: Ts) -> Minute {
        Minute::simulate(self.scenario, self.seed, align(start, MINUTE))
    }

    /// The log lines of second `s`.
    pub fn lines_at(&mut self, s: Ts) -> Vec<RawLog> {
        let start = align(s, MINUTE);
        if self.cache.as_ref().is_none_or(|m| m.start != start) {
            self.cache = Some(self.minute(start));
        }
        match &self.cache {
            Some(m) => logs::lines_for_second(self.seed, s, m),
            None => Vec::new(),
        }
    }
}

impl Source for DemoSource {
    fn label(&self) -> String {
        format!("demo: {}", self.scenario.name())
    }

    fn poll(&mut self, now: Ts) -> Vec<Update> {
        let mut updates = Vec::new();
        if !self.started {
            self.started = true;
            updates.push(Update::Inventory(sim::inventory()));
        }

        while self.markers_sent < self.markers.len() && self.markers[self.markers_sent].ts <= now {
            updates.push(Update::Marker(self.markers[self.markers_sent].clone()));
            self.markers_sent += 1;
        }

        // Minutes that have fully elapsed.
        let mut series: Vec<(SeriesKey, Vec<(Ts, f64)>)> = Vec::new();
        while self.next_minute + MINUTE <= now {
            let points = self.minute(self.next_minute).points();
            if series.is_empty() {
                series = points
                    .iter()
                    .map(|(k, _)| (k.clone(), Vec::new()))
                    .collect();
            }
            for ((_, list), (_, v)) in series.iter_mut().zip(points) {
                list.push((self.next_minute, v));
            }
            self.next_minute += MINUTE;
        }
        updates.extend(
            series
                .into_iter()
                .map(|(key, points)| Update::Points { key, points }),
        );

        // Seconds that have fully elapsed.
        self.next_second = self.next_second.max(now - LOG_CATCH_UP);
        let mut lines = Vec::new();
        while self.next_second < now {
            let s = self.next_second;
            lines.extend(self.lines_at(s));
            self.next_second += 1;
        }
        if !lines.is_empty() {
            updates.push(Update::Logs(lines));
        }
        updates
    }
}

#[cfg(test)]
mod tests;
