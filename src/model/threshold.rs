//! Thresholds and their evaluation: warn and critical levels, an "N of M periods" rule and a
//! treatment for missing data, the way CloudWatch alarms evaluate.

use serde::{Deserialize, Serialize};

/// The state of one metric against its threshold. Ordered by badness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Not enough data to say.
    NoData,
    Ok,
    Warn,
    Crit,
}

impl Level {
    /// The word shown next to the colour, so the state never depends on colour alone.
    pub fn word(self) -> &'static str {
        match self {
            Level::NoData => "NO DATA",
            Level::Ok => "OK",
            Level::Warn => "WARN",
            Level::Crit => "CRIT",
        }
    }

    /// A one-cell symbol for compact layouts.
    pub fn symbol(self) -> &'static str {
        match self {
            Level::NoData => "?",
            Level::Ok => "✓",
            Level::Warn => "▲",
            Level::Crit => "✖",
        }
    }
}

/// Which side of the line is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Comparison {
    /// Bad when the value is greater than the level.
    #[default]
    Above,
    /// Bad when the value is less than the level.
    Below,
}

/// What a period without data counts as (CloudWatch's `TreatMissingData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Missing {
    /// Missing periods are skipped; with no data at all in the window the state is NO DATA.
    #[default]
    Missing,
    /// Missing periods keep the current state (evaluated as not breaching, but an all-missing
    /// window reports the previous level).
    Ignore,
    Breaching,
    NotBreaching,
}

/// A threshold with warn and/or critical levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    #[serde(default)]
    pub warn: Option<f64>,
    #[serde(default)]
    pub crit: Option<f64>,
    #[serde(default)]
    pub comparison: Comparison,
    /// N: how many of the last M periods must breach.
    #[serde(default = "one")]
    pub datapoints: usize,
    /// M: how many periods are looked at.
    #[serde(default = "one")]
    pub periods: usize,
    #[serde(default)]
    pub missing: Missing,
}

fn one() -> usize {
    1
}

impl Threshold {
    pub fn above(warn: Option<f64>, crit: Option<f64>) -> Self {
        Self {
            warn,
            crit,
            comparison: Comparison::Above,
            datapoints: 1,
            periods: 1,
            missing: Missing::Missing,
        }
    }

    pub fn n_of_m(mut self, n: usize, m: usize) -> Self {
        self.periods = m.max(1);
        self.datapoints = n.clamp(1, self.periods);
        self
    }

    /// Is `value` past `level`?
    pub fn breaches(&self, value: f64, level: f64) -> bool {
        match self.comparison {
            Comparison::Above => value > level,
            Comparison::Below => value < level,
        }
    }

    /// The level of a single value, ignoring the N-of-M rule (for colouring a current value).
    pub fn level_of(&self, value: f64) -> Level {
        if self.crit.is_some_and(|c| self.breaches(value, c)) {
            Level::Crit
        } else if self.warn.is_some_and(|w| self.breaches(value, w)) {
            Level::Warn
        } else {
            Level::Ok
        }
    }

    /// Evaluate the last M period values (oldest first; `None` = no data in that period).
    /// `previous` is the state before this evaluation, used by `Missing::Ignore`.
    pub fn evaluate(&self, recent: &[Option<f64>], previous: Level) -> Level {
        let m = self.periods.max(1);
        let window = &recent[recent.len().saturating_sub(m)..];
        let present = window.iter().filter(|v| v.is_some()).count();
        if present == 0 {
            return match self.missing {
                Missing::Missing => Level::NoData,
                Missing::Ignore => previous,
                Missing::Breaching => self.worst_level(),
                Missing::NotBreaching => Level::Ok,
            };
        }
        let n = self.datapoints.clamp(1, m);
        // With Missing::Missing, CloudWatch evaluates only the periods that have data, but
        // still needs N breaching ones.
        let count = |level: f64| {
            window
                .iter()
                .filter(|v| match v {
                    Some(x) => self.breaches(*x, level),
                    None => self.missing == Missing::Breaching,
                })
                .count()
        };
        if self.crit.is_some_and(|c| count(c) >= n) {
            Level::Crit
        } else if self.warn.is_some_and(|w| count(w) >= n) {
            Level::Warn
        } else {
            Level::Ok
        }
    }

    fn worst_level(&self) -> Level {
        if self.crit.is_some() {
            Level::Crit
        } else if self.warn.is_some() {
            Level::Warn
        } else {
            Level::Ok
        }
    }

    /// "> 5 (2 of 3)" style description.
    pub fn describe(&self, unit: &str) -> String {
        let op = match self.comparison {
            Comparison::Above => ">",
            Comparison::Below => "<",
        };
        let mut parts = Vec::new();
        if let Some(w) = self.warn {
            parts.push(format!("warn {op}{}{unit}", fmt_num(w)));
        }
        if let Some(c) = self.crit {
            parts.push(format!("crit {op}{}{unit}", fmt_num(c)));
        }
        if self.periods > 1 {
            parts.push(format!("{} of {}", self.datapoints, self.periods));
        }
        parts.join(" · ")
    }

    /// Check the levels make sense; a message saying what was expected otherwise.
    pub fn validate(&self) -> Result<(), String> {
        if self.warn.is_none() && self.crit.is_none() {
            return Err("a threshold needs `warn`, `crit` or both".into());
        }
        if self.datapoints == 0 || self.periods == 0 {
            return Err("`datapoints` and `periods` must be at least 1".into());
        }
        if self.datapoints > self.periods {
            return Err(format!(
                "`datapoints` ({}) cannot exceed `periods` ({})",
                self.datapoints, self.periods
            ));
        }
        if let (Some(w), Some(c)) = (self.warn, self.crit) {
            let ordered = match self.comparison {
                Comparison::Above => w <= c,
                Comparison::Below => w >= c,
            };
            if !ordered {
                return Err(format!(
                    "`warn` ({w}) is past `crit` ({c}): warn must trip first"
                ));
            }
        }
        Ok(())
    }
}

/// A number with at most the precision it deserves.
pub fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || (v.fract() == 0.0 && a < 1e15) {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(warn: f64, crit: f64) -> Threshold {
        Threshold::above(Some(warn), Some(crit))
    }

    #[test]
    fn single_period_levels() {
        let th = t(1.0, 5.0);
        assert_eq!(th.evaluate(&[Some(0.5)], Level::Ok), Level::Ok);
        assert_eq!(
            th.evaluate(&[Some(1.0)], Level::Ok),
            Level::Ok,
            "equal is not above"
        );
        assert_eq!(th.evaluate(&[Some(1.5)], Level::Ok), Level::Warn);
        assert_eq!(th.evaluate(&[Some(7.0)], Level::Ok), Level::Crit);
    }

    #[test]
    fn n_of_m() {
        let th = t(1.0, 5.0).n_of_m(2, 3);
        assert_eq!(
            th.evaluate(&[Some(0.0), Some(0.0), Some(9.0)], Level::Ok),
            Level::Ok
        );
        assert_eq!(
            th.evaluate(&[Some(9.0), Some(0.0), Some(9.0)], Level::Ok),
            Level::Crit
        );
        assert_eq!(
            th.evaluate(&[Some(9.0), Some(2.0), Some(0.0)], Level::Ok),
            Level::Warn
        );
        // only the last M are looked at
        assert_eq!(
            th.evaluate(
                &[Some(9.0), Some(9.0), Some(0.0), Some(0.0), Some(9.0)],
                Level::Ok
            ),
            Level::Ok
        );
    }

    #[test]
    fn missing_data_treatments() {
        let mut th = t(1.0, 5.0).n_of_m(2, 3);
        assert_eq!(th.evaluate(&[None, None, None], Level::Crit), Level::NoData);
        assert_eq!(th.evaluate(&[None, Some(9.0), None], Level::Ok), Level::Ok);
        th.missing = Missing::Breaching;
        assert_eq!(
            th.evaluate(&[None, Some(9.0), None], Level::Ok),
            Level::Crit
        );
        assert_eq!(th.evaluate(&[None, None, None], Level::Ok), Level::Crit);
        th.missing = Missing::NotBreaching;
        assert_eq!(th.evaluate(&[None, None, None], Level::Crit), Level::Ok);
        th.missing = Missing::Ignore;
        assert_eq!(th.evaluate(&[None, None, None], Level::Warn), Level::Warn);
        assert_eq!(th.evaluate(&[], Level::Ok), Level::Ok);
    }

    #[test]
    fn below_comparison() {
        let th = Threshold {
            comparison: Comparison::Below,
            ..t(10.0, 3.0)
        };
        assert!(th.validate().is_ok());
        assert_eq!(th.level_of(20.0), Level::Ok);
        assert_eq!(th.level_of(5.0), Level::Warn);
        assert_eq!(th.level_of(1.0), Level::Crit);
    }

    #[test]
    fn validation() {
        assert!(t(5.0, 1.0).validate().is_err());
        assert!(Threshold::above(None, None).validate().is_err());
        let mut th = t(1.0, 2.0);
        th.datapoints = 3;
        assert!(th.validate().unwrap_err().contains("cannot exceed"));
    }

    #[test]
    fn describe_and_numbers() {
        assert_eq!(
            t(1.0, 5.0).n_of_m(2, 3).describe("%"),
            "warn >1% · crit >5% · 2 of 3"
        );
        assert_eq!(fmt_num(2.5), "2.50");
        assert_eq!(fmt_num(12.34), "12.3");
        assert_eq!(fmt_num(1234.5), "1234");
    }
}

/// Properties of threshold evaluation over arbitrary windows (including NaN, infinities and
/// missing periods).
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// A period value: mostly ordinary numbers, sometimes missing, NaN or infinite.
    fn value() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            6 => (-100.0f64..100.0).prop_map(Some),
            1 => Just(None),
            1 => Just(Some(f64::NAN)),
            1 => prop_oneof![Just(f64::INFINITY), Just(f64::NEG_INFINITY)].prop_map(Some),
        ]
    }

    fn present() -> impl Strategy<Value = f64> {
        -100.0f64..100.0
    }

    fn missing() -> impl Strategy<Value = Missing> {
        prop_oneof![
            Just(Missing::Missing),
            Just(Missing::Ignore),
            Just(Missing::Breaching),
            Just(Missing::NotBreaching),
        ]
    }

    fn level() -> impl Strategy<Value = Level> {
        prop_oneof![
            Just(Level::NoData),
            Just(Level::Ok),
            Just(Level::Warn),
            Just(Level::Crit)
        ]
    }

    /// A valid threshold: warn trips no later than crit, 1 <= N <= M.
    fn threshold() -> impl Strategy<Value = Threshold> {
        (
            -50.0f64..50.0,
            0.0f64..50.0,
            any::<bool>(),
            1usize..6,
            0usize..6,
            missing(),
            prop_oneof![Just(None), Just(Some(0)), Just(Some(1))],
        )
            .prop_map(|(w, gap, below, m, n, missing, drop)| {
                let (warn, crit) = if below { (w, w - gap) } else { (w, w + gap) };
                let mut t = Threshold {
                    warn: Some(warn),
                    crit: Some(crit),
                    comparison: if below {
                        Comparison::Below
                    } else {
                        Comparison::Above
                    },
                    missing,
                    ..Threshold::above(None, None)
                }
                .n_of_m(n, m);
                match drop {
                    Some(0) => t.warn = None,
                    Some(_) => t.crit = None,
                    None => {}
                }
                t
            })
    }

    /// Move every present value `by` in the bad direction of `t`.
    fn worsen(t: &Threshold, window: &[Option<f64>], by: &[f64]) -> Vec<Option<f64>> {
        window
            .iter()
            .zip(by.iter().cycle())
            .map(|(v, d)| {
                v.map(|x| match t.comparison {
                    Comparison::Above => x + d,
                    Comparison::Below => x - d,
                })
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(600))]

        /// Any window, any previous state: no panic, and the result is a level the threshold
        /// can give (never Warn without a warn level, never Crit without a crit level).
        #[test]
        fn evaluate_is_total(t in threshold(), window in prop::collection::vec(value(), 0..12), prev in level()) {
            let l = t.evaluate(&window, prev);
            if t.missing != Missing::Ignore {
                prop_assert!(l != Level::Warn || t.warn.is_some());
                prop_assert!(l != Level::Crit || t.crit.is_some());
            }
            let _ = t.describe("%");
            prop_assert!(t.validate().is_ok());
        }

        /// A value further in the bad direction never makes the state better (Level is ordered
        /// by badness), whatever the N-of-M rule and missing-data treatment.
        #[test]
        fn worse_values_never_improve_the_level(
            t in threshold(),
            window in prop::collection::vec(value(), 1..10),
            by in prop::collection::vec(0.0f64..50.0, 1..10),
            prev in level(),
        ) {
            let before = t.evaluate(&window, prev);
            let after = t.evaluate(&worsen(&t, &window, &by), prev);
            prop_assert!(after >= before, "{before:?} -> {after:?} for {window:?} + {by:?}");
        }

        /// level_of is monotone in the value too, and a one-period rule is level_of.
        #[test]
        fn one_period_is_level_of(t in threshold(), x in present(), d in 0.0f64..50.0) {
            let t = t.n_of_m(1, 1);
            prop_assert_eq!(t.evaluate(&[Some(x)], Level::Ok), t.level_of(x));
            let worse = match t.comparison { Comparison::Above => x + d, Comparison::Below => x - d };
            prop_assert!(t.level_of(worse) >= t.level_of(x));
        }

        /// NaN is never a breach: replacing any value by NaN never makes the state worse, and
        /// a window of NaN only is never Warn or Crit, whatever the missing-data treatment.
        #[test]
        fn nan_never_breaches(
            t in threshold(),
            window in prop::collection::vec(value(), 1..10),
            at in any::<prop::sample::Index>(),
        ) {
            let i = at.index(window.len());
            let mut nan = window.clone();
            nan[i] = Some(f64::NAN);
            prop_assert!(t.evaluate(&nan, Level::Ok) <= t.evaluate(&window, Level::Ok).max(Level::Ok));
            let all_nan = vec![Some(f64::NAN); window.len()];
            prop_assert!(t.evaluate(&all_nan, Level::Crit) <= Level::Ok);
        }

        /// N of M counts breaching periods: the order of the periods inside the window does
        /// not matter, and periods older than the window do not either.
        #[test]
        fn order_within_the_window_and_older_periods_do_not_matter(
            t in threshold(),
            window in prop::collection::vec(value(), 1..10),
            older in prop::collection::vec(value(), 0..6),
            seed in any::<u64>(),
            prev in level(),
        ) {
            let m = t.periods;
            let recent = &window[window.len().saturating_sub(m)..];
            let mut shuffled = recent.to_vec();
            // A deterministic shuffle from the seed.
            let mut s = seed | 1;
            for i in (1..shuffled.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                shuffled.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let base = t.evaluate(recent, prev);
            prop_assert_eq!(t.evaluate(&shuffled, prev), base);
            // Older periods are outside the window only once the window is full.
            if recent.len() == m {
                let mut longer = older.clone();
                longer.extend_from_slice(recent);
                prop_assert_eq!(t.evaluate(&longer, prev), base);
            }
        }

        /// Below is Above mirrored: negating the values and the levels gives the same state.
        #[test]
        fn below_mirrors_above(
            t in threshold(),
            window in prop::collection::vec(value(), 0..10),
            prev in level(),
        ) {
            let mirror = Threshold {
                warn: t.warn.map(|w| -w),
                crit: t.crit.map(|c| -c),
                comparison: match t.comparison {
                    Comparison::Above => Comparison::Below,
                    Comparison::Below => Comparison::Above,
                },
                ..t.clone()
            };
            prop_assert!(mirror.validate().is_ok());
            let negated: Vec<Option<f64>> = window.iter().map(|v| v.map(|x| -x)).collect();
            prop_assert_eq!(mirror.evaluate(&negated, prev), t.evaluate(&window, prev));
        }

        /// Crit means at least N periods breach crit (missing ones counting only when missing
        /// data is breaching), and Warn at least N breach warn; Ok means fewer than N breach
        /// each level. With warn ordered before crit, a Crit window also breaches warn.
        #[test]
        fn levels_agree_with_counts(
            t in threshold(),
            window in prop::collection::vec(value(), 1..10),
        ) {
            let m = t.periods;
            let w = &window[window.len().saturating_sub(m)..];
            let count = |level: f64| w.iter().filter(|v| match v {
                Some(x) => t.breaches(*x, level),
                None => t.missing == Missing::Breaching,
            }).count();
            let n = t.datapoints;
            let l = t.evaluate(&window, Level::Ok);
            if w.iter().any(Option::is_some) {
                let crit_hit = t.crit.is_some_and(|c| count(c) >= n);
                let warn_hit = t.warn.is_some_and(|x| count(x) >= n);
                let want = if crit_hit { Level::Crit } else if warn_hit { Level::Warn } else { Level::Ok };
                prop_assert_eq!(l, want);
                if let (Some(wl), Some(cl)) = (t.warn, t.crit) {
                    prop_assert!(count(wl) >= count(cl), "warn trips first");
                }
            }
        }
    }
}
