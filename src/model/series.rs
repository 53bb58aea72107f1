//! Time series: per-period samples of one metric, bounded in length.

use std::collections::VecDeque;

use super::time::Ts;

/// One value per period, oldest first. Re-reading a period replaces its value (CloudWatch's
/// newest points are provisional and change on the next read).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    points: VecDeque<(Ts, f64)>,
    capacity: usize,
}

/// How many points a series keeps: 24 h of one-minute data plus a margin.
pub const DEFAULT_CAPACITY: usize = 26 * 60;

impl Default for Series {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

/// How per-period values are combined into a longer period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stat {
    Average,
    Sum,
    Maximum,
    Minimum,
}

impl Series {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            points: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Insert or replace the value at `ts`. Points normally arrive in order; an older point is
    /// put in its place, a point older than everything kept in a full series is dropped.
    pub fn push(&mut self, ts: Ts, value: f64) {
        if !value.is_finite() {
            return;
        }
        match self.points.back() {
            None => self.points.push_back((ts, value)),
            Some(&(last, _)) if ts > last => self.points.push_back((ts, value)),
            _ => match self.points.binary_search_by_key(&ts, |p| p.0) {
                Ok(i) => self.points[i].1 = value,
                Err(0) if self.points.len() >= self.capacity => return,
                Err(i) => self.points.insert(i, (ts, value)),
            },
        }
        while self.points.len() > self.capacity {
            self.points.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The newest point.
    pub fn last(&self) -> Option<(Ts, f64)> {
        self.points.back().copied()
    }

    /// The value at exactly `ts`.
    pub fn at(&self, ts: Ts) -> Option<f64> {
        self.points
            .binary_search_by_key(&ts, |p| p.0)
            .ok()
            .map(|i| self.points[i].1)
    }

    /// Points with `from <= ts <= to`, oldest first.
    pub fn range(&self, from: Ts, to: Ts) -> impl Iterator<Item = (Ts, f64)> + '_ {
        let start = self.points.partition_point(|p| p.0 < from);
        self.points
            .range(start..)
            .take_while(move |p| p.0 <= to)
            .copied()
    }

    /// All points, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (Ts, f64)> + '_ {
        self.points.iter().copied()
    }

    /// The values of the last `count` periods of length `period` that end at or before `end`
    /// (exclusive), oldest first; `None` where a period has no point. Each period's value
    /// combines the one-minute points within it with `stat`.
    pub fn periods(&self, end: Ts, period: Ts, count: usize, stat: Stat) -> Vec<Option<f64>> {
        let period = period.max(1);
        (0..count)
            .rev()
            .map(|k| {
                let hi = end - period * k as i64; // exclusive
                let lo = hi - period;
                combine(self.range(lo, hi - 1).map(|p| p.1), stat)
            })
            .collect()
    }

    /// Minimum and maximum over `from..=to`.
    pub fn bounds(&self, from: Ts, to: Ts) -> Option<(f64, f64)> {
        self.range(from, to).fold(None, |acc, (_, v)| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
    }
}

/// Combine values with a statistic; `None` for no values.
pub fn combine(values: impl Iterator<Item = f64>, stat: Stat) -> Option<f64> {
    let mut n = 0usize;
    let mut acc = match stat {
        Stat::Maximum => f64::NEG_INFINITY,
        Stat::Minimum => f64::INFINITY,
        _ => 0.0,
    };
    for v in values {
        n += 1;
        acc = match stat {
            Stat::Average | Stat::Sum => acc + v,
            Stat::Maximum => acc.max(v),
            Stat::Minimum => acc.min(v),
        };
    }
    match (n, stat) {
        (0, _) => None,
        (n, Stat::Average) => Some(acc / n as f64),
        _ => Some(acc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_in_order_replace_and_bound() {
        let mut s = Series::with_capacity(3);
        s.push(60, 1.0);
        s.push(120, 2.0);
        s.push(120, 2.5); // provisional point re-read
        s.push(180, 3.0);
        s.push(240, 4.0);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![(120, 2.5), (180, 3.0), (240, 4.0)]
        );
        s.push(0, 9.0); // older than everything in a full series
        assert_eq!(s.len(), 3);
        s.push(150, 7.0);
        assert_eq!(s.at(150), Some(7.0));
        assert_eq!(
            s.at(120),
            None,
            "inserting into a full series drops the oldest"
        );
        s.push(300, f64::NAN);
        assert_eq!(s.at(300), None, "non-finite values are not stored");
    }

    #[test]
    fn periods_combine_minutes() {
        let mut s = Series::default();
        for m in 0..10 {
            s.push(m * 60, m as f64);
        }
        // two 5-minute periods ending at 600: [0..300) and [300..600)
        assert_eq!(
            s.periods(600, 300, 2, Stat::Sum),
            vec![Some(10.0), Some(35.0)]
        );
        assert_eq!(
            s.periods(600, 60, 2, Stat::Average),
            vec![Some(8.0), Some(9.0)]
        );
        assert_eq!(s.periods(720, 60, 2, Stat::Average), vec![None, None]);
        assert_eq!(s.bounds(0, 600), Some((0.0, 9.0)));
    }
}
