//! The scenarios: what happens to the simulated service, as a function of time since the
//! demo's epoch. Each one tells one story: a cause (usually a marker), its effect on the
//! metrics (through [`Effects`]) and, through the simulation, on the logs.
//!
//! Times below are in minutes since the epoch (`tm`), evaluated at the middle of a minute
//! for metrics and at the second for logs. Before the epoch every scenario is a normal day.

use crate::model::time::{Ts, HOUR, MINUTE};

/// The named scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    Calm,
    BadDeploy,
    DynamoThrottle,
    AuroraConnections,
    LambdaThrottle,
    Latency,
}

/// (name, one-line description), in display order.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("calm", "a normal evening: the daily traffic cycle, every metric in its normal band"),
    (
        "bad-deploy",
        "deploy v42 of crypto-watch-api throws TypeErrors; errors climb until the automatic rollback",
    ),
    (
        "dynamodb-throttle",
        "a push notification sends traffic to one hot partition; crypto-watch-data throttles",
    ),
    (
        "aurora-connections",
        "profile-api v17 leaks database connections; the writer runs out of slots",
    ),
    (
        "lambda-throttle",
        "a 4x traffic surge pins crypto-watch-api at its reserved concurrency; requests throttle",
    ),
    ("latency", "deploy v42 shifts traffic to a slow DynamoDB Scan; p95 creeps past 2 s"),
];

impl Scenario {
    pub const ALL: [Scenario; 6] = [
        Scenario::Calm,
        Scenario::BadDeploy,
        Scenario::DynamoThrottle,
        Scenario::AuroraConnections,
        Scenario::LambdaThrottle,
        Scenario::Latency,
    ];

    pub fn name(self) -> &'static str {
        SCENARIOS[self.index()].0
    }

    pub fn description(self) -> &'static str {
        SCENARIOS[self.index()].1
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn from_name(name: &str) -> Option<Scenario> {
        let name = name.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// The scenario's markers as (seconds from the epoch, label), oldest first. Markers
    /// before the epoch are the day's history, the same in every scenario.
    pub fn markers(self) -> Vec<(Ts, &'static str)> {
        let mut m = vec![
            (-20 * HOUR, "deploy v16 profile-api"),
            (-6 * HOUR, "deploy v41 crypto-watch-api"),
        ];
        let own: &[(Ts, &'static str)] = match self {
            Scenario::Calm => &[(20 * MINUTE, "deploy v17 profile-api")],
            Scenario::BadDeploy => &[
                (BAD_DEPLOY_AT * MINUTE, "deploy v42 crypto-watch-api"),
                (
                    BAD_ROLLBACK_AT * MINUTE,
                    "rollback crypto-watch-api to v41 (automatic)",
                ),
            ],
            Scenario::DynamoThrottle => &[(
                MINUTE,
                "push notification sent: BTC price alert (crypto-watch)",
            )],
            Scenario::AuroraConnections => &[
                (MINUTE, "deploy v17 profile-api"),
                (LEAK_FIX_AT * MINUTE, "rollback profile-api to v16"),
            ],
            Scenario::LambdaThrottle => &[(MINUTE, "crypto-watch featured on TV news")],
            Scenario::Latency => &[
                (
                    MINUTE,
                    "deploy v42 crypto-watch-api (linear, 10% per minute)",
                ),
                (
                    SLOW_ROLLBACK_AT * MINUTE,
                    "rollback crypto-watch-api to v41 (manual)",
                ),
            ],
        };
        m.extend_from_slice(own);
        m
    }

    /// What the scenario does to the service at `tm` minutes since the epoch.
    pub fn effects(self, tm: f64) -> Effects {
        let mut e = Effects::none();
        if tm < 0.0 {
            return e;
        }
        match self {
            Scenario::Calm => {}
            Scenario::BadDeploy => {
                let p = bad_deploy_error(tm);
                e.cw_code_error = p * 0.85;
                e.cw_timeout = p * 0.15;
                e.cw_v42_share = if (BAD_DEPLOY_AT as f64..BAD_ROLLBACK_AT as f64).contains(&tm) {
                    1.0
                } else {
                    0.0
                };
                let sev = (p / 0.2).min(1.0);
                e.p50_add = 30.0 * sev;
                e.p95_add = 700.0 * sev;
                e.p99_add = 5200.0 * sev;
            }
            Scenario::DynamoThrottle => {
                let s = ramp(tm, 2.0, 6.0) * (1.0 - ramp(tm, 22.0, 30.0));
                e.cw_traffic = 1.0 + 0.5 * s;
                e.hot_read = 1.0 + 2.6 * s;
                e.hot_write = 1.0 + 2.4 * s;
            }
            Scenario::AuroraConnections => {
                let rise = if tm >= 1.0 {
                    85.0 * (1.0 - (-(tm - 1.0) / 2.76).exp())
                } else {
                    0.0
                };
                let fix = if tm >= LEAK_FIX_AT as f64 {
                    (-(tm - LEAK_FIX_AT as f64) * 1.5).exp()
                } else {
                    1.0
                };
                e.db_leak = rise * fix;
                e.profile_v17 = (1.0..LEAK_FIX_AT as f64).contains(&tm);
            }
            Scenario::LambdaThrottle => {
                let s = ramp(tm, 1.0, 4.0) * (1.0 - ramp(tm, 20.0, 26.0));
                e.cw_traffic = 1.0 + 4.0 * s;
                e.cw_slow_ms = 1000.0 * s;
                e.p50_add = 120.0 * s;
                e.p95_add = 500.0 * s;
                e.p99_add = 900.0 * s;
            }
            Scenario::Latency => {
                let back = SLOW_ROLLBACK_AT as f64;
                let f = if tm < back {
                    ramp(tm, 1.0, 11.0)
                } else {
                    1.0 - ramp(tm, back, back + 1.0)
                };
                e.cw_v42_share = f;
                e.cw_slow_ms = 900.0 * f;
                e.p50_add = 220.0 * f;
                e.p95_add = 1750.0 * f;
                e.p99_add = 3300.0 * f;
                e.scan_read = 1.0 + 0.45 * f;
                e.cw_timeout = 0.002 * f;
                e.cold_starts = 0.04 * f;
            }
        }
        if self == Scenario::Calm && tm >= 20.0 {
            e.profile_v17 = true;
        }
        e
    }
}

/// bad-deploy: the deploy and the automatic rollback, minutes after the epoch.
pub const BAD_DEPLOY_AT: Ts = 2;
pub const BAD_ROLLBACK_AT: Ts = 12;
/// aurora-connections: the rollback that releases the leaked connections.
pub const LEAK_FIX_AT: Ts = 24;
/// latency: the manual rollback.
pub const SLOW_ROLLBACK_AT: Ts = 35;

/// bad-deploy: the probability that a crypto-watch-api invocation fails. It grows as more
/// users reach the broken code path after the deploy and falls fast after the rollback.
fn bad_deploy_error(tm: f64) -> f64 {
    let at = BAD_DEPLOY_AT as f64;
    let back = BAD_ROLLBACK_AT as f64;
    let curve = |d: f64| ((1.2 * d + 0.27 * d * d) / 100.0).min(0.30);
    if tm < at {
        0.0
    } else if tm < back {
        curve(tm - at)
    } else {
        curve(back - at) * (-(tm - back) * 2.5).exp()
    }
}

/// 0 before `a`, 1 after `b`, linear between.
pub fn ramp(x: f64, a: f64, b: f64) -> f64 {
    ((x - a) / (b - a)).clamp(0.0, 1.0)
}

/// What a scenario changes, relative to a normal day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effects {
    /// crypto-watch-api traffic multiplier.
    pub cw_traffic: f64,
    /// Added failure probabilities of a crypto-watch-api invocation: a code error (the
    /// TypeError after a bad deploy) and a timeout.
    pub cw_code_error: f64,
    pub cw_timeout: f64,
    /// Added mean duration of crypto-watch-api invocations, ms.
    pub cw_slow_ms: f64,
    /// Share of crypto-watch-api traffic on v42.
    pub cw_v42_share: f64,
    /// profile-api runs v17 (else v16).
    pub profile_v17: bool,
    /// Added API latency percentiles, ms.
    pub p50_add: f64,
    pub p95_add: f64,
    pub p99_add: f64,
    /// Demand multipliers on crypto-watch-data: a hot partition (reads, writes) and the slow
    /// Scan (reads).
    pub hot_read: f64,
    pub hot_write: f64,
    pub scan_read: f64,
    /// Database connections held by a leak on the writer.
    pub db_leak: f64,
    /// Added share of invocations that are cold starts.
    pub cold_starts: f64,
}

impl Effects {
    pub fn none() -> Self {
        Self {
            cw_traffic: 1.0,
            cw_code_error: 0.0,
            cw_timeout: 0.0,
            cw_slow_ms: 0.0,
            cw_v42_share: 0.0,
            profile_v17: false,
            p50_add: 0.0,
            p95_add: 0.0,
            p99_add: 0.0,
            hot_read: 1.0,
            hot_write: 1.0,
            scan_read: 1.0,
            db_leak: 0.0,
            cold_starts: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(SCENARIOS.len(), Scenario::ALL.len());
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_name(s.name()), Some(s));
            assert!(!s.description().is_empty());
        }
        assert_eq!(Scenario::from_name("nope"), None);
    }

    #[test]
    fn markers_sorted_and_every_scenario_has_its_own() {
        for s in Scenario::ALL {
            let m = s.markers();
            assert!(m.windows(2).all(|w| w[0].0 <= w[1].0));
            assert!(m.iter().any(|(t, _)| *t >= 0), "{}", s.name());
        }
    }

    #[test]
    fn nothing_happens_before_the_epoch() {
        for s in Scenario::ALL {
            assert_eq!(s.effects(-0.5), Effects::none());
        }
    }
}
