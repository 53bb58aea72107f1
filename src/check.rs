//! The daily 10-minute check: the operations guide's daily dashboard and error-log review as a
//! checklist, each item over the last 24 hours against the 24 hours before.
//!
//! Data comes in as a [`CheckInput`] (from the demo simulation or from AWS, see
//! `source::demo::check` and `source::aws::insights`); [`evaluate`] turns it into a
//! [`CheckReport`] with a verdict per item and overall. Pure: no I/O, no clock.
//!
//! # The items and their rules
//!
//! "Today" is `[end - 24 h, end)`, "yesterday" `[end - 48 h, end - 24 h)`; metrics come in
//! 5-minute periods ([`PERIOD`]). Every rule below is applied and the item takes the worst
//! verdict any rule gives; each rule that fires leaves a [`Note`] saying why.
//!
//! 1. **Request trend**: requests summed over each day.
//!    - CRIT when today's total is more than `surge_factor` (profile, ops guide: 3) times
//!      yesterday's (possible attack) or less than `drop_factor` (1/3) times it (possible
//!      outage); also when there were requests yesterday and none today.
//!    - WARN when the total changed by more than [`REQUEST_CHANGE_WARN_PCT`] % either way, or
//!      when any hour was outside `drop_factor..=surge_factor` times the same hour yesterday
//!      (a spike or a dip that the day's total hides).
//! 2. **Error-rate trend**: errors as % of requests over each day (each period's rate weighted
//!    by its requests).
//!    - The day's rate against the profile's `errors/rate` threshold (default: warn 1 %, crit
//!      5 %, the ops guide's "normal < 1 %, acceptable < 5 %").
//!    - WARN when a 5-minute period today (with at least [`MIN_PEAK_REQUESTS`] requests) was
//!      past the CRIT line: a spike that has passed still deserves a look.
//!    - WARN when the rate at least doubled and rose by at least [`ERROR_RATE_RISE_PP`]
//!      percentage points.
//! 3. **Latency trend (p95)**: the request-weighted mean of the 5-minute p95s of each day.
//!    - The day's value against the profile's `latency/p95` threshold (default: warn 1 s, crit
//!      2 s, the ops guide's "P95 < 1 s", alarm "P95 > 2 s").
//!    - WARN when a 5-minute p95 today was past the CRIT line.
//!    - WARN at [`LATENCY_WARN_RATIO`] times yesterday's value, CRIT at
//!      [`LATENCY_CRIT_RATIO`] (the runbook's manual rollback criterion "latency 2x normal").
//! 4. **Alarms fired since yesterday**: transitions into ALARM in the last 24 hours.
//!    - CRIT when an alarm is in ALARM now; WARN when one fired in the last 24 hours and has
//!      recovered; OK otherwise.
//! 5. **New error-log patterns**: error lines grouped by pattern (`model::patterns`).
//!    - CRIT when a pattern absent yesterday has at least [`NEW_PATTERN_CRIT_LINES`] lines
//!      today; WARN for any pattern absent yesterday, or when the error lines are more than
//!      [`ERROR_LINES_WARN_RATIO`] times yesterday's (and at least [`MIN_ERROR_LINES`]).
//!
//! An item that could not be checked (its data could not be read) or has no data for today
//! is NO DATA and counts as WARN in the overall verdict: a check that skipped something did
//! not pass. Without yesterday's data the comparisons are skipped (the note says so) and only
//! the thresholds apply. The overall verdict is the worst item's; when no item could be checked
//! at all it is NO DATA, and `opsdeck check --report` exits 3.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::app::{AppState, Command};
use crate::i18n::{level_word, Lang, Msg};
use crate::model::patterns::{PatternStat, Patterns};
use crate::model::threshold::{Level, Threshold};
use crate::model::time::{self, Ts, DAY, HOUR, MINUTE};
use crate::model::Profile;
use crate::ui::chart::grouped;

/// The length of "today" (and of "yesterday").
pub const WINDOW: Ts = DAY;
/// The metric period of the check: 5 minutes (48 h is 576 points per series).
pub const PERIOD: Ts = 5 * MINUTE;
/// A day's request total that moved more than this many percent (either way) is a WARN.
pub const REQUEST_CHANGE_WARN_PCT: f64 = 50.0;
/// Periods with fewer requests than this are not looked at for error-rate peaks (one error
/// in two requests is not a 50 % error rate worth a look).
pub const MIN_PEAK_REQUESTS: f64 = 20.0;
/// The error rate must rise by at least this many percentage points (and double) for WARN.
pub const ERROR_RATE_RISE_PP: f64 = 0.5;
/// p95 at this many times yesterday's is a WARN ...
pub const LATENCY_WARN_RATIO: f64 = 1.5;
/// ... and at this many times a CRIT.
pub const LATENCY_CRIT_RATIO: f64 = 2.0;
/// A new error pattern with at least this many lines today is a CRIT.
pub const NEW_PATTERN_CRIT_LINES: u64 = 100;
/// Error lines at more than this many times yesterday's are a WARN ...
pub const ERROR_LINES_WARN_RATIO: f64 = 2.0;
/// ... when there are at least this many today.
pub const MIN_ERROR_LINES: u64 = 10;
/// Logs Insights bills $0.005 per GB scanned.
pub const USD_PER_GB_SCANNED: f64 = 0.005;

/// The checklist's items, in the operations guide's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Item {
    Requests,
    ErrorRate,
    Latency,
    Alarms,
    ErrorPatterns,
}

impl Item {
    pub const ALL: [Item; 5] = [
        Item::Requests,
        Item::ErrorRate,
        Item::Latency,
        Item::Alarms,
        Item::ErrorPatterns,
    ];

    /// The name in JSON reports.
    pub fn key(self) -> &'static str {
        match self {
            Item::Requests => "requests",
            Item::ErrorRate => "error-rate",
            Item::Latency => "latency",
            Item::Alarms => "alarms",
            Item::ErrorPatterns => "error-patterns",
        }
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Item::Requests => Msg::CheckItemRequests,
            Item::ErrorRate => Msg::CheckItemErrorRate,
            Item::Latency => Msg::CheckItemLatency,
            Item::Alarms => Msg::CheckItemAlarms,
            Item::ErrorPatterns => Msg::CheckItemPatterns,
        }
        .text(lang)
    }

    /// How the item's values are written.
    pub fn unit(self) -> ValueUnit {
        match self {
            Item::Requests => ValueUnit::Requests,
            Item::ErrorRate => ValueUnit::Percent,
            Item::Latency => ValueUnit::Millis,
            Item::Alarms => ValueUnit::Alarms,
            Item::ErrorPatterns => ValueUnit::Lines,
        }
    }
}

/// The unit of an item's today / yesterday values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueUnit {
    Requests,
    Percent,
    Millis,
    Alarms,
    Lines,
}

impl ValueUnit {
    pub fn fmt(self, v: f64) -> String {
        use crate::ui::chart::{fmt_ms, fmt_pct};
        match self {
            ValueUnit::Requests | ValueUnit::Alarms | ValueUnit::Lines => grouped(v),
            ValueUnit::Percent => format!("{}%", fmt_pct(v)),
            ValueUnit::Millis => fmt_ms(v),
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            ValueUnit::Requests => "requests",
            ValueUnit::Percent => "percent",
            ValueUnit::Millis => "ms",
            ValueUnit::Alarms => "alarms",
            ValueUnit::Lines => "error-lines",
        }
    }
}

/// A transition of an alarm into ALARM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmEvent {
    pub at: Ts,
    pub name: String,
}

/// The alarms part of the input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AlarmInput {
    /// Transitions into ALARM within the 48 hours, oldest first.
    pub events: Vec<AlarmEvent>,
    /// Alarms in ALARM at the end of the window.
    pub firing_now: Vec<String>,
    /// True when `events` is the alarm history (every transition); false when it was made from
    /// the alarms' current states (an alarm that fired and recovered twice counts once, and
    /// nothing is known about yesterday).
    pub from_history: bool,
    /// Why the history could not be read (the fallback was used), if so.
    pub history_error: Option<String>,
    /// Why the alarms could not be read at all.
    pub error: Option<String>,
}

/// One Logs Insights query as it ran (or, in the demo, as it would be sent).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QueryInfo {
    /// `today` or `yesterday`.
    pub label: String,
    pub query: String,
    pub log_groups: Vec<String>,
    pub start: Ts,
    pub end: Ts,
    /// `Scheduled`, `Running`, `Complete`, `Failed`, `Cancelled`, `Timeout`, or `demo`.
    pub status: String,
    pub records_matched: f64,
    pub records_scanned: f64,
    pub bytes_scanned: f64,
    /// Result rows received.
    pub rows: usize,
    /// Rows that could not be used (no message, a timestamp outside the window).
    pub rows_skipped: usize,
    /// The rows hit the query's limit: the counts are of the newest lines only.
    pub limit_reached: bool,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

impl QueryInfo {
    /// Estimated cost: $0.005 per GB scanned.
    pub fn cost_usd(&self) -> f64 {
        self.bytes_scanned.max(0.0) / 1e9 * USD_PER_GB_SCANNED
    }

    pub fn finished(&self) -> bool {
        !matches!(self.status.as_str(), "Scheduled" | "Running" | "")
    }
}

/// The logs part of the input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LogInput {
    pub today: Patterns,
    pub yesterday: Patterns,
    pub queries: Vec<QueryInfo>,
    /// Why the logs could not be read, if they could not.
    pub error: Option<String>,
}

/// Everything a check is computed from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CheckInput {
    /// The end of "today" (exclusive), aligned to [`PERIOD`].
    pub end: Ts,
    /// Requests per period over the 48 hours (sums), oldest first.
    pub requests: Vec<(Ts, f64)>,
    /// Error rate per period, %.
    pub error_rate: Vec<(Ts, f64)>,
    /// p95 latency per period, ms.
    pub latency: Vec<(Ts, f64)>,
    /// Why the metrics could not be read, if they could not.
    pub metrics_error: Option<String>,
    pub alarms: AlarmInput,
    pub logs: LogInput,
    /// What was checked (`demo: bad-deploy`, `aws us-east-1`).
    pub source: String,
    /// Estimated cost of the metric reads (GetMetricData), USD.
    pub metrics_cost_usd: f64,
    /// API calls made for the check.
    pub api_calls: u64,
}

/// Why an item has its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum Note {
    NoBaseline,
    NoDataToday,
    NoDataEither,
    DaySurge { ratio: f64, limit: f64 },
    DayDrop { ratio: f64, limit: f64 },
    DayChange { pct: f64 },
    HourOutside { from: Ts, ratio: f64 },
    OverLine { value: f64, level: Level, line: f64 },
    Peak { value: f64, at: Ts },
    Rose { ratio: f64, from: f64, to: f64 },
    FiringNow { names: Vec<String> },
    Fired { names: Vec<String> },
    NoneFired,
    AlarmFallback { why: String },
    NewPatterns { count: usize },
    NewHot { lines: u64, pattern: String },
    ErrorLinesUp { ratio: f64 },
    NoNewPatterns,
    CouldNot { why: String },
}

/// The first few names, then `+N`.
fn names_text(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut s = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" +{}", names.len() - SHOWN));
    }
    s
}

/// A ratio as `3.4`, `0.25`.
fn ratio_text(r: f64) -> String {
    crate::ui::chart::fmt_pct(r)
}

impl Note {
    /// The note in words, values written in `unit`.
    pub fn text(&self, unit: ValueUnit, lang: Lang) -> String {
        match self {
            Note::NoBaseline => Msg::CheckNoBaseline.text(lang).into(),
            Note::NoDataToday => Msg::CheckNoDataToday.text(lang).into(),
            Note::NoDataEither => Msg::CheckNoDataEither.text(lang).into(),
            Note::DaySurge { ratio, limit } => {
                Msg::CheckDaySurge.fill(lang, &[&ratio_text(*ratio), &ratio_text(*limit)])
            }
            Note::DayDrop { ratio, limit } => {
                Msg::CheckDayDrop.fill(lang, &[&ratio_text(*ratio), &ratio_text(*limit)])
            }
            Note::DayChange { pct } => Msg::CheckDayChange.fill(
                lang,
                &[&signed_pct(*pct), &(REQUEST_CHANGE_WARN_PCT as i64)],
            ),
            Note::HourOutside { from, ratio } => {
                Msg::CheckHourOutside.fill(lang, &[&time::hm(*from), &ratio_text(*ratio)])
            }
            Note::OverLine { value, level, line } => Msg::CheckOverLine.fill(
                lang,
                &[
                    &unit.fmt(*value),
                    &level_word(*level, lang),
                    &unit.fmt(*line),
                ],
            ),
            Note::Peak { value, at } => {
                Msg::CheckPeak.fill(lang, &[&unit.fmt(*value), &time::hm(*at)])
            }
            Note::Rose { ratio, from, to } => Msg::CheckRose.fill(
                lang,
                &[&ratio_text(*ratio), &unit.fmt(*from), &unit.fmt(*to)],
            ),
            Note::FiringNow { names } => Msg::CheckFiringNow.fill(lang, &[&names_text(names)]),
            Note::Fired { names } => Msg::CheckFired.fill(lang, &[&names_text(names)]),
            Note::NoneFired => Msg::CheckNoneFired.text(lang).into(),
            Note::AlarmFallback { why } => Msg::CheckAlarmFallback.fill(lang, &[why]),
            Note::NewPatterns { count } => Msg::CheckNewPatterns.fill(lang, &[count]),
            Note::NewHot { lines, pattern } => Msg::CheckNewHot.fill(lang, &[lines, pattern]),
            Note::ErrorLinesUp { ratio } => {
                Msg::CheckErrorLinesUp.fill(lang, &[&ratio_text(*ratio)])
            }
            Note::NoNewPatterns => Msg::CheckNoNewPatterns.text(lang).into(),
            Note::CouldNot { why } => Msg::CheckCouldNot.fill(lang, &[why]),
        }
    }
}

/// `+12%`, `-40%`.
pub fn signed_pct(pct: f64) -> String {
    if pct >= 0.0 {
        format!("+{}%", crate::ui::chart::fmt_pct(pct))
    } else {
        format!("{}%", crate::ui::chart::fmt_pct(pct))
    }
}

/// One checked item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub item: Item,
    /// `NoData` when it could not be checked.
    pub verdict: Level,
    pub today: Option<f64>,
    pub yesterday: Option<f64>,
    /// `100 * (today - yesterday) / yesterday`, when yesterday is positive.
    pub change_pct: Option<f64>,
    /// Why, one note per rule that fired (and the notable facts).
    pub notes: Vec<Note>,
}

impl ItemResult {
    fn new(item: Item, today: Option<f64>, yesterday: Option<f64>) -> Self {
        let change_pct = match (today, yesterday) {
            (Some(t), Some(y)) if y > 0.0 => Some(100.0 * (t - y) / y),
            _ => None,
        };
        Self {
            item,
            verdict: Level::Ok,
            today,
            yesterday,
            change_pct,
            notes: Vec::new(),
        }
    }

    /// Raise the verdict to at least `level` and say why.
    fn at_least(&mut self, level: Level, note: Note) {
        self.verdict = self.verdict.max(level);
        self.notes.push(note);
    }

    fn no_data(item: Item, note: Note) -> Self {
        Self {
            verdict: Level::NoData,
            notes: vec![note],
            ..Self::new(item, None, None)
        }
    }
}

/// The evaluated check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub input: CheckInput,
    /// One per [`Item`], in order.
    pub items: Vec<ItemResult>,
    /// The worst item (NO DATA items count as WARN); NO DATA when nothing could be checked.
    pub overall: Level,
}

impl Default for CheckReport {
    fn default() -> Self {
        Self {
            input: CheckInput::default(),
            items: Vec::new(),
            overall: Level::NoData,
        }
    }
}

impl CheckReport {
    /// The process exit code for `--report`: 0 OK, 1 WARN, 2 CRIT, 3 could not check.
    pub fn exit_code(&self) -> u8 {
        match self.overall {
            Level::Ok => 0,
            Level::Warn => 1,
            Level::Crit => 2,
            Level::NoData => 3,
        }
    }

    pub fn item(&self, item: Item) -> Option<&ItemResult> {
        self.items.iter().find(|r| r.item == item)
    }

    /// Today's error patterns that yesterday did not have, most frequent first.
    pub fn new_patterns(&self) -> Vec<&PatternStat> {
        self.input.logs.today.new_since(&self.input.logs.yesterday)
    }

    /// The estimated cost of everything the check read (metrics and Logs Insights), USD.
    pub fn cost_usd(&self) -> f64 {
        self.input.metrics_cost_usd
            + self
                .input
                .logs
                .queries
                .iter()
                .map(QueryInfo::cost_usd)
                .sum::<f64>()
    }
}

/// The daily check's state, when the session is a check (`opsdeck check`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckState {
    pub report: CheckReport,
    /// The selected item (index into `report.items`).
    pub cursor: usize,
    /// Items marked looked at, by index.
    pub looked: Vec<bool>,
}

impl CheckState {
    pub fn new(report: CheckReport) -> Self {
        let n = report.items.len();
        Self {
            report,
            cursor: 0,
            looked: vec![false; n],
        }
    }

    pub fn selected(&self) -> Option<&ItemResult> {
        self.report.items.get(self.cursor)
    }

    pub fn looked_count(&self) -> usize {
        self.looked.iter().filter(|l| **l).count()
    }
}

/// `check-mark` and moving in the checklist. Returns true when the screen changed.
///
/// `check-mark` toggles the selected item's "looked at" mark; marking moves to the next item.
/// `up` / `down` (and page, top, bottom) move between items.
pub fn command(state: &mut AppState, c: Command) -> bool {
    let Some(check) = state.check.as_mut() else {
        return false;
    };
    let n = check.report.items.len();
    if n == 0 {
        return false;
    }
    check.looked.resize(n, false);
    let before = check.cursor.min(n - 1);
    match c {
        Command::CheckMark => {
            let looked = &mut check.looked[before];
            *looked = !*looked;
            if *looked && before + 1 < n {
                check.cursor = before + 1;
            }
            return true;
        }
        Command::Up => check.cursor = before.saturating_sub(1),
        Command::Down => check.cursor = (before + 1).min(n - 1),
        Command::PageUp | Command::Top => check.cursor = 0,
        Command::PageDown | Command::Bottom => check.cursor = n - 1,
        _ => return false,
    }
    check.cursor != before
}

/// Make `state` a check's view of `report`: the clock at the check's end, the 24-hour range.
pub fn open(state: &mut AppState, report: CheckReport) {
    state.model.now = report.input.end;
    state.ui.range = crate::app::TimeRange::H24;
    state.check = Some(CheckState::new(report));
}

/// A check of the demo `scenario` ending `at` seconds after the demo's epoch: the session
/// (state, keymap) with the check open, as `opsdeck check --demo` shows it.
pub fn demo_session(
    scenario: &str,
    seed: u64,
    at: Ts,
    files: &crate::session::Files,
) -> color_eyre::Result<(AppState, crate::keymap::Keymap)> {
    use crate::source::demo::DemoSource;
    let (mut state, mut source, keymap) = crate::session::demo(scenario, seed, files)?;
    let end = DemoSource::epoch() + at;
    crate::session::advance(&mut state, &mut source, end);
    let input = crate::source::demo::check::check_input(&source, end, &state.model.profile);
    let report = evaluate(input, &state.model.profile);
    open(&mut state, report);
    Ok((state, keymap))
}

/// The source of a check's view: the check was read before the view opened, so there is
/// nothing more to poll.
#[derive(Debug, Clone)]
pub struct Idle {
    label: String,
}

impl Idle {
    pub fn new(label: String) -> Self {
        Self { label }
    }
}

impl crate::source::Source for Idle {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn poll(&mut self, _now: Ts) -> Vec<crate::model::Update> {
        Vec::new()
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Points of `[from, to)`.
fn within(points: &[(Ts, f64)], from: Ts, to: Ts) -> Vec<(Ts, f64)> {
    points
        .iter()
        .copied()
        .filter(|(t, v)| *t >= from && *t < to && v.is_finite())
        .collect()
}

/// The threshold the profile sets for `key`, else the ops guide's default.
fn threshold(profile: &Profile, key: &str, warn: f64, crit: f64) -> Threshold {
    profile
        .thresholds
        .iter()
        .find(|r| r.matches(key))
        .map(|r| r.threshold.clone())
        .unwrap_or_else(|| Threshold::above(Some(warn), Some(crit)))
}

/// The crit line of a threshold (its warn line if it has no crit).
fn crit_line(th: &Threshold) -> Option<f64> {
    th.crit.or(th.warn)
}

/// Judge a value against a threshold: the note for the line it is past, if any.
fn judge(r: &mut ItemResult, th: &Threshold, value: f64) {
    let level = th.level_of(value);
    let line = match level {
        Level::Crit => th.crit,
        Level::Warn => th.warn,
        _ => None,
    };
    if let Some(line) = line {
        r.at_least(level, Note::OverLine { value, level, line });
    }
}

/// Check the data and judge each item (see the module documentation for the rules).
pub fn evaluate(input: CheckInput, profile: &Profile) -> CheckReport {
    let end = input.end;
    let (t0, y0) = (end - WINDOW, end - 2 * WINDOW);
    let items = vec![
        requests_item(&input, profile, t0, y0),
        error_rate_item(&input, profile, t0, y0),
        latency_item(&input, profile, t0, y0),
        alarms_item(&input, t0, y0),
        patterns_item(&input),
    ];
    let overall = if items.iter().all(|i| i.verdict == Level::NoData) {
        Level::NoData
    } else {
        items
            .iter()
            .map(|i| match i.verdict {
                Level::NoData => Level::Warn,
                l => l,
            })
            .max()
            .unwrap_or(Level::NoData)
    };
    CheckReport {
        input,
        items,
        overall,
    }
}

fn metrics_failed(input: &CheckInput, item: Item) -> Option<ItemResult> {
    input
        .metrics_error
        .as_ref()
        .map(|why| ItemResult::no_data(item, Note::CouldNot { why: why.clone() }))
}

fn requests_item(input: &CheckInput, profile: &Profile, t0: Ts, y0: Ts) -> ItemResult {
    if let Some(r) = metrics_failed(input, Item::Requests) {
        return r;
    }
    let today = within(&input.requests, t0, input.end);
    let yesterday = within(&input.requests, y0, t0);
    let total = |p: &[(Ts, f64)]| (!p.is_empty()).then(|| p.iter().map(|x| x.1).sum::<f64>());
    let (t, y) = (total(&today), total(&yesterday));
    let mut r = ItemResult::new(Item::Requests, t, y);
    let surge = if profile.surge_factor > 1.0 {
        profile.surge_factor
    } else {
        3.0
    };
    let drop = if profile.drop_factor > 0.0 && profile.drop_factor < 1.0 {
        profile.drop_factor
    } else {
        1.0 / 3.0
    };
    match (t, y) {
        (None, None) => return ItemResult::no_data(Item::Requests, Note::NoDataEither),
        (None, Some(y)) if y > 0.0 => {
            r.at_least(
                Level::Crit,
                Note::DayDrop {
                    ratio: 0.0,
                    limit: drop,
                },
            );
        }
        (None, _) => return ItemResult::no_data(Item::Requests, Note::NoDataToday),
        (Some(_), None) => r.notes.push(Note::NoBaseline),
        (Some(t), Some(y)) if y > 0.0 => {
            let ratio = t / y;
            if ratio > surge {
                r.at_least(
                    Level::Crit,
                    Note::DaySurge {
                        ratio,
                        limit: surge,
                    },
                );
            } else if ratio < drop {
                r.at_least(Level::Crit, Note::DayDrop { ratio, limit: drop });
            } else if (100.0 * (ratio - 1.0)).abs() > REQUEST_CHANGE_WARN_PCT {
                r.at_least(
                    Level::Warn,
                    Note::DayChange {
                        pct: 100.0 * (ratio - 1.0),
                    },
                );
            }
            // Hour by hour: the most extreme hour outside drop..=surge.
            let hours = |points: &[(Ts, f64)], from: Ts| {
                let mut h = [0.0f64; 24];
                for (ts, v) in points {
                    let i = ((ts - from) / HOUR).clamp(0, 23) as usize;
                    h[i] += v;
                }
                h
            };
            let (ht, hy) = (hours(&today, t0), hours(&yesterday, y0));
            let worst = (0..24)
                .filter(|&i| hy[i] > 0.0)
                .map(|i| (i, ht[i] / hy[i]))
                .filter(|(_, q)| *q > surge || *q < drop)
                .max_by(|a, b| {
                    let far = |q: f64| if q > 0.0 { q.ln().abs() } else { f64::INFINITY };
                    far(a.1).total_cmp(&far(b.1))
                });
            if let Some((i, q)) = worst {
                r.at_least(
                    Level::Warn,
                    Note::HourOutside {
                        from: t0 + i as Ts * HOUR,
                        ratio: q,
                    },
                );
            }
        }
        (Some(_), Some(_)) => r.notes.push(Note::NoBaseline),
    }
    r
}

/// (weighted value, peak (ts, value)) of `values` over a day, weighted by `weights` at the same
/// timestamps (unweighted when there are none); peaks only where the weight is at least
/// `min_weight`.
fn weighted(
    values: &[(Ts, f64)],
    weights: &[(Ts, f64)],
    min_weight: f64,
) -> (Option<f64>, Option<(Ts, f64)>) {
    if values.is_empty() {
        return (None, None);
    }
    let weight_at = |t: Ts| {
        weights
            .binary_search_by_key(&t, |p| p.0)
            .ok()
            .map(|i| weights[i].1)
    };
    let (mut num, mut den) = (0.0, 0.0);
    let mut peak: Option<(Ts, f64)> = None;
    let has_weights = !weights.is_empty();
    for &(t, v) in values {
        let w = if has_weights {
            weight_at(t).unwrap_or(0.0)
        } else {
            1.0
        };
        num += v * w;
        den += w;
        if (!has_weights || w >= min_weight) && peak.is_none_or(|p| v > p.1) {
            peak = Some((t, v));
        }
    }
    let mean = if den > 0.0 {
        Some(num / den)
    } else {
        // Values but no requests at their timestamps: the plain mean.
        Some(values.iter().map(|p| p.1).sum::<f64>() / values.len() as f64)
    };
    (mean, peak)
}

fn error_rate_item(input: &CheckInput, profile: &Profile, t0: Ts, y0: Ts) -> ItemResult {
    if let Some(r) = metrics_failed(input, Item::ErrorRate) {
        return r;
    }
    let th = threshold(profile, crate::model::metrics::keys::ERROR_RATE, 1.0, 5.0);
    let (reqs_t, reqs_y) = (
        within(&input.requests, t0, input.end),
        within(&input.requests, y0, t0),
    );
    let (t, peak) = weighted(
        &within(&input.error_rate, t0, input.end),
        &reqs_t,
        MIN_PEAK_REQUESTS,
    );
    let (y, _) = weighted(&within(&input.error_rate, y0, t0), &reqs_y, 0.0);
    let mut r = ItemResult::new(Item::ErrorRate, t, y);
    let Some(t) = t else {
        let note = if y.is_some() {
            Note::NoDataToday
        } else {
            Note::NoDataEither
        };
        return ItemResult::no_data(Item::ErrorRate, note);
    };
    judge(&mut r, &th, t);
    if let (Some((at, v)), Some(line)) = (peak, crit_line(&th)) {
        if th.breaches(v, line) && r.verdict < Level::Crit {
            r.at_least(Level::Warn, Note::Peak { value: v, at });
        }
    }
    match y {
        None => r.notes.push(Note::NoBaseline),
        Some(y) => {
            let doubled = if y > 0.0 { t >= 2.0 * y } else { t > 0.0 };
            if doubled && t - y >= ERROR_RATE_RISE_PP {
                r.at_least(
                    Level::Warn,
                    Note::Rose {
                        ratio: if y > 0.0 { t / y } else { f64::INFINITY },
                        from: y,
                        to: t,
                    },
                );
            }
        }
    }
    r
}

fn latency_item(input: &CheckInput, profile: &Profile, t0: Ts, y0: Ts) -> ItemResult {
    if let Some(r) = metrics_failed(input, Item::Latency) {
        return r;
    }
    let th = threshold(profile, crate::model::metrics::keys::P95, 1000.0, 2000.0);
    let (reqs_t, reqs_y) = (
        within(&input.requests, t0, input.end),
        within(&input.requests, y0, t0),
    );
    let (t, peak) = weighted(
        &within(&input.latency, t0, input.end),
        &reqs_t,
        MIN_PEAK_REQUESTS,
    );
    let (y, _) = weighted(&within(&input.latency, y0, t0), &reqs_y, 0.0);
    let mut r = ItemResult::new(Item::Latency, t, y);
    let Some(t) = t else {
        let note = if y.is_some() {
            Note::NoDataToday
        } else {
            Note::NoDataEither
        };
        return ItemResult::no_data(Item::Latency, note);
    };
    judge(&mut r, &th, t);
    if let (Some((at, v)), Some(line)) = (peak, crit_line(&th)) {
        if th.breaches(v, line) && r.verdict < Level::Crit {
            r.at_least(Level::Warn, Note::Peak { value: v, at });
        }
    }
    match y {
        Some(y) if y > 0.0 => {
            let ratio = t / y;
            let note = Note::Rose {
                ratio,
                from: y,
                to: t,
            };
            if ratio >= LATENCY_CRIT_RATIO {
                r.at_least(Level::Crit, note);
            } else if ratio >= LATENCY_WARN_RATIO {
                r.at_least(Level::Warn, note);
            }
        }
        _ => r.notes.push(Note::NoBaseline),
    }
    r
}

fn alarms_item(input: &CheckInput, t0: Ts, y0: Ts) -> ItemResult {
    let a = &input.alarms;
    if let Some(why) = &a.error {
        return ItemResult::no_data(Item::Alarms, Note::CouldNot { why: why.clone() });
    }
    let end = input.end;
    let in_window = |from: Ts, to: Ts| -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for e in a.events.iter().filter(|e| e.at >= from && e.at < to) {
            if !names.contains(&e.name) {
                names.push(e.name.clone());
            }
        }
        names
    };
    let count = |from: Ts, to: Ts| {
        a.events
            .iter()
            .filter(|e| e.at >= from && e.at < to)
            .count() as f64
    };
    let today = count(t0, end);
    let yesterday = a.from_history.then(|| count(y0, t0));
    let mut r = ItemResult::new(Item::Alarms, Some(today), yesterday);
    if !a.from_history {
        r.notes.push(Note::AlarmFallback {
            why: a.history_error.clone().unwrap_or_else(|| "not read".into()),
        });
    }
    if !a.firing_now.is_empty() {
        r.at_least(
            Level::Crit,
            Note::FiringNow {
                names: a.firing_now.clone(),
            },
        );
    }
    let fired = in_window(t0, end);
    if fired.is_empty() {
        if a.firing_now.is_empty() {
            r.notes.push(Note::NoneFired);
        }
    } else {
        r.at_least(Level::Warn, Note::Fired { names: fired });
    }
    r
}

fn patterns_item(input: &CheckInput) -> ItemResult {
    let logs = &input.logs;
    if let Some(why) = &logs.error {
        return ItemResult::no_data(Item::ErrorPatterns, Note::CouldNot { why: why.clone() });
    }
    let (t, y) = (logs.today.lines, logs.yesterday.lines);
    let mut r = ItemResult::new(Item::ErrorPatterns, Some(t as f64), Some(y as f64));
    let new = logs.today.new_since(&logs.yesterday);
    if let Some(hot) = new.first().filter(|p| p.count >= NEW_PATTERN_CRIT_LINES) {
        r.at_least(
            Level::Crit,
            Note::NewHot {
                lines: hot.count,
                pattern: hot.pattern.clone(),
            },
        );
    }
    if !new.is_empty() {
        r.at_least(Level::Warn, Note::NewPatterns { count: new.len() });
    } else {
        r.notes.push(Note::NoNewPatterns);
    }
    if t >= MIN_ERROR_LINES && (t as f64) > ERROR_LINES_WARN_RATIO * y as f64 {
        r.at_least(
            Level::Warn,
            Note::ErrorLinesUp {
                ratio: if y > 0 {
                    t as f64 / y as f64
                } else {
                    f64::INFINITY
                },
            },
        );
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Reports

/// `YYYY-MM-DD HH:MM` (UTC).
pub fn date_time(ts: Ts) -> String {
    let s = crate::journal::date_time(ts);
    s[..s.len().min(16)].to_string()
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
fn iso(ts: Ts) -> String {
    format!("{}Z", crate::journal::date_time(ts).replacen(' ', "T", 1))
}

fn bytes_text(b: f64) -> String {
    let b = b.max(0.0);
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b:.0} B")
    }
}

/// A query's progress line: label, status, records, bytes and cost.
pub fn query_line(q: &QueryInfo, lang: Lang) -> String {
    Msg::CheckQueryLine.fill(
        lang,
        &[
            &q.label,
            &q.status,
            &grouped(q.records_matched),
            &grouped(q.records_scanned),
            &bytes_text(q.bytes_scanned),
            &format!("{:.4}", q.cost_usd()),
        ],
    )
}

/// Markdown cells cannot hold `|` or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The report as Markdown (for chat and e-mail).
pub fn markdown(report: &CheckReport, lang: Lang) -> String {
    let mut out = String::new();
    let end = report.input.end;
    let verdict = level_word(report.overall, lang);
    out.push_str(&format!(
        "# {}: {} — {}\n\n",
        Msg::CheckTitle.text(lang),
        cell(&report.input.source),
        verdict
    ));
    out.push_str(&format!(
        "{}\n\n",
        Msg::CheckWindow.fill(lang, &[&date_time(end)])
    ));
    out.push_str(&format!(
        "| | {} | {} | {} | Δ |\n|---|---|---:|---:|---:|\n",
        match lang {
            Lang::En => "item",
            Lang::Ja => "項目",
        },
        Msg::CheckToday.text(lang),
        Msg::CheckYesterdayWord.text(lang),
    ));
    for r in &report.items {
        let unit = r.item.unit();
        let v = |x: Option<f64>| x.map(|v| unit.fmt(v)).unwrap_or_else(|| "—".into());
        out.push_str(&format!(
            "| **{}** | {} | {} | {} | {} |\n",
            level_word(r.verdict, lang),
            r.item.title(lang),
            v(r.today),
            v(r.yesterday),
            r.change_pct.map(signed_pct).unwrap_or_else(|| "—".into())
        ));
    }
    out.push('\n');
    for r in &report.items {
        out.push_str(&format!(
            "## {} — {}\n\n",
            r.item.title(lang),
            level_word(r.verdict, lang)
        ));
        for n in &r.notes {
            out.push_str(&format!("- {}\n", n.text(r.item.unit(), lang)));
        }
        if r.notes.is_empty() {
            out.push_str(&format!("- {}\n", Msg::CheckNothingToNote.text(lang)));
        }
        out.push('\n');
        if r.item == Item::ErrorPatterns {
            let new = report.new_patterns();
            if !new.is_empty() {
                out.push_str(&format!("{}:\n\n", Msg::CheckNewPatternsTitle.text(lang)));
                for p in new.iter().take(10) {
                    out.push_str(&format!(
                        "- {} × `{}`\n",
                        p.count,
                        p.pattern.replace('`', "'")
                    ));
                }
                out.push('\n');
            }
            let top = report.input.logs.today.top(10);
            if !top.is_empty() {
                out.push_str(&format!("{}:\n\n", Msg::CheckTopPatterns.text(lang)));
                for p in top {
                    out.push_str(&format!(
                        "- {} × `{}`\n",
                        p.count,
                        p.pattern.replace('`', "'")
                    ));
                }
                out.push('\n');
            }
            let queries = &report.input.logs.queries;
            if !queries.is_empty() && queries.iter().all(|q| q.status == "demo") {
                out.push_str(&format!("{}:\n\n", Msg::CheckQueryDemo.text(lang)));
            }
            for q in queries.iter().filter(|q| q.status != "demo") {
                out.push_str(&format!("{}\n\n", query_line(q, lang)));
                if let Some(e) = &q.error {
                    out.push_str(&format!("- {}\n\n", Msg::CheckCouldNot.fill(lang, &[e])));
                }
                if q.limit_reached {
                    out.push_str(&format!(
                        "- {}\n\n",
                        Msg::CheckLimitReached.fill(lang, &[&q.label, &q.rows])
                    ));
                }
            }
            if let Some(q) = report.input.logs.queries.first() {
                out.push_str(&format!("```\n{}\n```\n\n", q.query.replace("```", "'''")));
            }
        }
    }
    out.push_str(&format!(
        "{} API calls · ≈ ${:.4}\n",
        report.input.api_calls,
        report.cost_usd()
    ));
    out
}

fn num(v: Option<f64>) -> Value {
    match v {
        Some(v) if v.is_finite() => json!(v),
        _ => Value::Null,
    }
}

/// The report as JSON (for bots). The English words are used whatever the UI language.
pub fn json(report: &CheckReport) -> Value {
    let items: Vec<Value> = report
        .items
        .iter()
        .map(|r| {
            json!({
                "item": r.item.key(),
                "title": r.item.title(Lang::En),
                "verdict": r.verdict.word(),
                "unit": r.item.unit().key(),
                "today": num(r.today),
                "yesterday": num(r.yesterday),
                "change_pct": num(r.change_pct),
                "notes": r.notes.iter().map(|n| n.text(r.item.unit(), Lang::En)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let pattern = |p: &PatternStat| {
        json!({
            "pattern": p.pattern,
            "count": p.count,
            "example": p.example,
            "first": iso(p.first),
            "last": iso(p.last),
            "log_groups": p.sources,
        })
    };
    let end = report.input.end;
    let a = &report.input.alarms;
    json!({
        "verdict": report.overall.word(),
        "exit_code": report.exit_code(),
        "source": report.input.source,
        "today": {"start": iso(end - WINDOW), "end": iso(end)},
        "yesterday": {"start": iso(end - 2 * WINDOW), "end": iso(end - WINDOW)},
        "items": items,
        "alarms": {
            "from_history": a.from_history,
            "history_error": a.history_error,
            "firing_now": a.firing_now,
            "fired": a.events.iter().map(|e| json!({"name": e.name, "at": iso(e.at)})).collect::<Vec<_>>(),
        },
        "error_patterns": {
            "lines_today": report.input.logs.today.lines,
            "lines_yesterday": report.input.logs.yesterday.lines,
            "new": report.new_patterns().into_iter().take(50).map(pattern).collect::<Vec<_>>(),
            "top_today": report.input.logs.today.top(20).into_iter().map(pattern).collect::<Vec<_>>(),
        },
        "queries": report.input.logs.queries.iter().map(|q| json!({
            "label": q.label,
            "query": q.query,
            "log_groups": q.log_groups,
            "start": iso(q.start),
            "end": iso(q.end),
            "status": q.status,
            "records_matched": q.records_matched,
            "records_scanned": q.records_scanned,
            "bytes_scanned": q.bytes_scanned,
            "rows": q.rows,
            "rows_skipped": q.rows_skipped,
            "limit_reached": q.limit_reached,
            "cost_usd": q.cost_usd(),
            "error": q.error,
        })).collect::<Vec<_>>(),
        "api_calls": report.input.api_calls,
        "cost_usd": report.cost_usd(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const END: Ts = 1_795_424_400;

    /// 48 h of periods with `f(day, hour)` (day 0 = yesterday, 1 = today).
    fn series(f: impl Fn(usize, usize) -> f64) -> Vec<(Ts, f64)> {
        (0..(2 * WINDOW / PERIOD))
            .map(|i| {
                let t = END - 2 * WINDOW + i * PERIOD;
                let day = (i * PERIOD / WINDOW) as usize;
                let hour = ((i * PERIOD % WINDOW) / HOUR) as usize;
                (t, f(day, hour))
            })
            .collect()
    }

    fn input() -> CheckInput {
        CheckInput {
            end: END,
            requests: series(|_, _| 1000.0),
            error_rate: series(|_, _| 0.4),
            latency: series(|_, _| 600.0),
            alarms: AlarmInput {
                from_history: true,
                ..Default::default()
            },
            source: "test".into(),
            ..Default::default()
        }
    }

    fn verdict(input: CheckInput, item: Item) -> (Level, Vec<Note>) {
        let r = evaluate(input, &Profile::default());
        let i = r.item(item).unwrap().clone();
        (i.verdict, i.notes)
    }

    #[test]
    fn a_normal_day_is_ok() {
        let r = evaluate(input(), &Profile::default());
        for i in &r.items {
            assert_eq!(i.verdict, Level::Ok, "{:?}", i);
        }
        assert_eq!(r.overall, Level::Ok);
        assert_eq!(r.exit_code(), 0);
        let req = r.item(Item::Requests).unwrap();
        assert_eq!(req.today, Some(288_000.0));
        assert_eq!(req.yesterday, Some(288_000.0));
        assert_eq!(req.change_pct, Some(0.0));
    }

    #[test]
    fn request_rules() {
        type F = fn(usize, usize) -> f64;
        let cases: &[(&str, F, Level)] = &[
            ("same", |_, _| 100.0, Level::Ok),
            ("+40%", |d, _| if d == 1 { 140.0 } else { 100.0 }, Level::Ok),
            (
                "+60%",
                |d, _| if d == 1 { 160.0 } else { 100.0 },
                Level::Warn,
            ),
            (
                "-60%",
                |d, _| if d == 1 { 40.0 } else { 100.0 },
                Level::Warn,
            ),
            (
                "x3.5",
                |d, _| if d == 1 { 350.0 } else { 100.0 },
                Level::Crit,
            ),
            (
                "x0.2",
                |d, _| if d == 1 { 20.0 } else { 100.0 },
                Level::Crit,
            ),
            (
                "one hour x5",
                |d, h| if d == 1 && h == 3 { 500.0 } else { 100.0 },
                Level::Warn,
            ),
            (
                "one hour down",
                |d, h| if d == 1 && h == 20 { 10.0 } else { 100.0 },
                Level::Warn,
            ),
        ];
        for (name, f, want) in cases {
            let mut i = input();
            i.requests = series(*f);
            let (got, notes) = verdict(i, Item::Requests);
            assert_eq!(got, *want, "{name}: {notes:?}");
        }
        // Nothing today while there was traffic yesterday: an outage.
        let mut i = input();
        i.requests = within(&series(|_, _| 100.0), END - 2 * WINDOW, END - WINDOW);
        let (got, notes) = verdict(i, Item::Requests);
        assert_eq!(got, Level::Crit);
        assert!(matches!(notes[0], Note::DayDrop { .. }), "{notes:?}");
        // No baseline: OK, and the note says so.
        let mut i = input();
        i.requests = within(&series(|_, _| 100.0), END - WINDOW, END);
        let (got, notes) = verdict(i, Item::Requests);
        assert_eq!((got, notes), (Level::Ok, vec![Note::NoBaseline]));
        // No data at all.
        let mut i = input();
        i.requests.clear();
        assert_eq!(verdict(i, Item::Requests).0, Level::NoData);
    }

    #[test]
    fn the_profiles_factors_apply() {
        let mut i = input();
        i.requests = series(|d, _| if d == 1 { 210.0 } else { 100.0 });
        let p = Profile {
            surge_factor: 2.0,
            drop_factor: 0.5,
            ..Profile::default()
        };
        let r = evaluate(i, &p);
        assert_eq!(r.item(Item::Requests).unwrap().verdict, Level::Crit);
    }

    #[test]
    fn error_rate_rules() {
        type F = fn(usize, usize) -> f64;
        let cases: &[(&str, F, Level)] = &[
            ("normal", |_, _| 0.4, Level::Ok),
            ("1.5% all day", |_, _| 1.5, Level::Warn),
            ("6% all day", |_, _| 6.0, Level::Crit),
            // 0.3 → 0.9: tripled and +0.6 pp.
            (
                "tripled",
                |d, _| if d == 1 { 0.9 } else { 0.3 },
                Level::Warn,
            ),
            // 0.1 → 0.4: quadrupled but only +0.3 pp.
            (
                "small rise",
                |d, _| if d == 1 { 0.4 } else { 0.1 },
                Level::Ok,
            ),
            // One hour at 20 %: the day is 1.2 % (WARN) and the peak is past CRIT.
            (
                "spike",
                |d, h| if d == 1 && h == 5 { 20.0 } else { 0.4 },
                Level::Warn,
            ),
        ];
        for (name, f, want) in cases {
            let mut i = input();
            i.error_rate = series(*f);
            let (got, notes) = verdict(i, Item::ErrorRate);
            assert_eq!(got, *want, "{name}: {notes:?}");
        }
        // A short spike is flagged by its peak even when the day stays under the lines.
        let mut i = input();
        let mut rate = series(|_, _| 0.3);
        rate[400].1 = 30.0;
        i.error_rate = rate;
        let (got, notes) = verdict(i, Item::ErrorRate);
        assert_eq!(got, Level::Warn);
        assert!(
            notes.iter().any(|n| matches!(n, Note::Peak { .. })),
            "{notes:?}"
        );
        // ... but not in a period with almost no requests.
        let mut i = input();
        i.requests[400].1 = 2.0;
        let mut rate = series(|_, _| 0.3);
        rate[400].1 = 50.0;
        i.error_rate = rate;
        assert_eq!(verdict(i, Item::ErrorRate).0, Level::Ok);
    }

    #[test]
    fn error_rate_is_weighted_by_requests() {
        let mut i = input();
        // Half the periods of today at 10 % with 10 requests, the rest at 0 % with 990.
        i.requests = series(|_, h| if h % 2 == 0 { 10.0 } else { 990.0 });
        i.error_rate = series(|_, h| if h % 2 == 0 { 10.0 } else { 0.0 });
        let r = evaluate(i, &Profile::default());
        let e = r.item(Item::ErrorRate).unwrap();
        assert!((e.today.unwrap() - 0.1).abs() < 1e-9, "{e:?}");
        assert_eq!(e.verdict, Level::Ok);
    }

    #[test]
    fn latency_rules() {
        type F = fn(usize, usize) -> f64;
        let cases: &[(&str, F, Level)] = &[
            ("normal", |_, _| 600.0, Level::Ok),
            ("past warn", |_, _| 1200.0, Level::Warn),
            ("past crit", |_, _| 2500.0, Level::Crit),
            (
                "x1.6",
                |d, _| if d == 1 { 640.0 } else { 400.0 },
                Level::Warn,
            ),
            ("x2", |d, _| if d == 1 { 800.0 } else { 400.0 }, Level::Crit),
            (
                "faster",
                |d, _| if d == 1 { 300.0 } else { 600.0 },
                Level::Ok,
            ),
        ];
        for (name, f, want) in cases {
            let mut i = input();
            i.latency = series(*f);
            let (got, notes) = verdict(i, Item::Latency);
            assert_eq!(got, *want, "{name}: {notes:?}");
        }
    }

    #[test]
    fn alarm_rules() {
        let ev = |at: Ts, name: &str| AlarmEvent {
            at,
            name: name.into(),
        };
        let mut i = input();
        i.alarms.events = vec![ev(END - 30 * HOUR, "Old")];
        let r = evaluate(i, &Profile::default());
        let a = r.item(Item::Alarms).unwrap();
        assert_eq!(
            (a.verdict, a.today, a.yesterday),
            (Level::Ok, Some(0.0), Some(1.0))
        );

        let mut i = input();
        i.alarms.events = vec![
            ev(END - HOUR, "HighErrorRate"),
            ev(END - 2 * HOUR, "HighErrorRate"),
        ];
        let r = evaluate(i, &Profile::default());
        let a = r.item(Item::Alarms).unwrap();
        assert_eq!((a.verdict, a.today), (Level::Warn, Some(2.0)));
        assert_eq!(
            a.notes,
            vec![Note::Fired {
                names: vec!["HighErrorRate".into()]
            }]
        );

        let mut i = input();
        i.alarms.firing_now = vec!["LambdaErrorAlarm".into()];
        i.alarms.events = vec![ev(END - HOUR, "LambdaErrorAlarm")];
        assert_eq!(verdict(i, Item::Alarms).0, Level::Crit);

        // The fallback: no yesterday, and the note says why.
        let mut i = input();
        i.alarms.from_history = false;
        i.alarms.history_error = Some("not implemented".into());
        let r = evaluate(i, &Profile::default());
        let a = r.item(Item::Alarms).unwrap();
        assert_eq!(a.yesterday, None);
        assert!(matches!(&a.notes[0], Note::AlarmFallback { why } if why == "not implemented"));

        let mut i = input();
        i.alarms.error = Some("AccessDenied".into());
        assert_eq!(verdict(i, Item::Alarms).0, Level::NoData);
    }

    #[test]
    fn pattern_rules() {
        let day = |lines: &[(&str, u64)]| {
            let mut p = Patterns::new();
            for (m, n) in lines {
                p.add_message(END - HOUR, "g", m, *n);
            }
            p
        };
        type Day = &'static [(&'static str, u64)];
        let cases: &[(&str, Day, Day, Level)] = &[
            ("same", &[("failed 1", 5)], &[("failed 2", 6)], Level::Ok),
            ("none", &[], &[], Level::Ok),
            (
                "new",
                &[("failed 1", 5)],
                &[("failed 1", 5), ("TypeError x", 3)],
                Level::Warn,
            ),
            ("new and hot", &[], &[("TypeError x", 150)], Level::Crit),
            (
                "more of the same",
                &[("failed 1", 5)],
                &[("failed 1", 30)],
                Level::Warn,
            ),
            (
                "a few more",
                &[("failed 1", 5)],
                &[("failed 1", 9)],
                Level::Ok,
            ),
        ];
        for (name, y, t, want) in cases {
            let mut i = input();
            i.logs.yesterday = day(y);
            i.logs.today = day(t);
            let (got, notes) = verdict(i, Item::ErrorPatterns);
            assert_eq!(got, *want, "{name}: {notes:?}");
        }
    }

    #[test]
    fn overall_and_exit_codes() {
        let mut i = input();
        i.metrics_error = Some("AccessDenied: cloudwatch:GetMetricData".into());
        let r = evaluate(i, &Profile::default());
        assert_eq!(r.item(Item::Requests).unwrap().verdict, Level::NoData);
        // An item that could not be checked counts as WARN.
        assert_eq!((r.overall, r.exit_code()), (Level::Warn, 1));
        let mut i = input();
        i.metrics_error = Some("x".into());
        i.alarms.error = Some("x".into());
        i.logs.error = Some("x".into());
        let r = evaluate(i, &Profile::default());
        assert_eq!((r.overall, r.exit_code()), (Level::NoData, 3));
        let mut i = input();
        i.alarms.firing_now = vec!["A".into()];
        assert_eq!(evaluate(i, &Profile::default()).exit_code(), 2);
    }

    #[test]
    fn marking_and_moving() {
        use crate::model::Model;
        let model = Model::new(Profile::default(), END, 10);
        let mut state = AppState::new(model, Vec::new(), Vec::new(), "t".into());
        assert!(!command(&mut state, Command::CheckMark), "not a check");
        state.check = Some(CheckState::new(evaluate(input(), &Profile::default())));
        assert!(command(&mut state, Command::CheckMark));
        let c = state.check.as_ref().unwrap();
        assert_eq!((c.looked[0], c.cursor), (true, 1), "marking moves on");
        assert!(command(&mut state, Command::Up));
        assert!(command(&mut state, Command::CheckMark), "unmark");
        let c = state.check.as_ref().unwrap();
        assert_eq!((c.looked[0], c.cursor, c.looked_count()), (false, 0, 0));
        assert!(!command(&mut state, Command::Up), "already at the top");
        assert!(command(&mut state, Command::Bottom));
        assert!(!command(&mut state, Command::Down));
        assert_eq!(state.check.as_ref().unwrap().cursor, 4);
        assert!(!command(&mut state, Command::Zoom));
    }

    #[test]
    fn reports_render_and_parse() {
        let mut i = input();
        i.logs
            .today
            .add_message(END - 60, "g", "TypeError | `x` 42", 3);
        i.logs.queries.push(QueryInfo {
            label: "today".into(),
            query: "fields @message".into(),
            status: "Complete".into(),
            bytes_scanned: 2e9,
            ..Default::default()
        });
        let r = evaluate(i, &Profile::default());
        let md = markdown(&r, Lang::En);
        assert!(md.contains("# Daily check: test — WARN"), "{md}");
        assert!(
            md.contains("| **OK** | Request trend | 288,000 | 288,000 | +0% |"),
            "{md}"
        );
        assert!(
            md.contains("TypeError \\| 'x' <n>") || md.contains("TypeError | 'x' <n>"),
            "{md}"
        );
        assert!(md.contains("≈ $0.0100"), "{md}");
        let ja = markdown(&r, Lang::Ja);
        assert!(ja.contains("日次チェック"), "{ja}");
        let j = json(&r);
        assert_eq!(j["verdict"], "WARN");
        assert_eq!(j["exit_code"], 1);
        assert_eq!(j["items"][0]["item"], "requests");
        assert_eq!(j["items"][0]["today"], 288_000.0);
        assert_eq!(j["queries"][0]["cost_usd"], 0.01);
        assert_eq!(j["error_patterns"]["new"][0]["count"], 3);
        assert_eq!(j["today"]["end"], "2026-11-23T09:00:00Z");
        // Round trip through text.
        let back: Value = serde_json::from_str(&j.to_string()).unwrap();
        assert_eq!(back, j);
    }
}
