//! Escalation conditions as runbooks write them ("エラー率が10%を超える", "15分以上継続",
//! "p99 above 3 s for 10 min", "more than 10 throttles in 1 minute") turned into checks that
//! are evaluated against the model, so the runbook pane can say "escalate: condition met
//! since 10:42".
//!
//! The parser is deliberately cautious: a condition becomes a [`Check`] only when every number
//! in it has a clear role (the limit, how long it must hold, the counting window) and it names
//! exactly one metric the model knows. Everything else — relative limits ("3x normal"),
//! ranges ("5-20%"), negations, conditions on things the model cannot see ("customer impact is
//! large", "外部APIが停止") — is [`Parsed::Manual`]: shown as text for the operator to confirm by
//! hand. A wrong check is worse than no check.
//!
//! What is understood:
//! - metrics: error rate (エラー率; `Lambda` narrows it to the Lambda error rate), 5xx / 4xx
//!   rate, error count (エラー数), latency (レイテンシ, 応答時間, レスポンス時間, P50/P95/P99;
//!   no percentile means P95, the percentile the seeds alarm on; Aurora read / write latency
//!   with DB + read / write), throttling (スロットリング, throttl*: Lambda unless the text or
//!   the section says DynamoDB / table / read / write), database connections (接続数; a `%` is
//!   a share of the instance's `max_connections`), requests (リクエスト数);
//! - comparisons: を超える, 超過, 超, 上回る, 以上, より大きい, 以下, 以内, 未満, 下回る, over,
//!   above, exceeds, more than, at least, or more, below, under, less than, at most, `>`,
//!   `>=`, `<`, `<=`;
//! - numbers with units: %, ms, 秒, s, seconds, 分, min, minutes, 時間, h, hours, 回, 件, times,
//!   full-width digits and `％`;
//! - durations: "2分間継続", "15分以上継続", "for 10 min", "lasting 1 hour"; a line that gives
//!   only a duration ("15分以上継続", "continues for 15 minutes") is combined by [`parse_all`]
//!   with the metric condition on the line just before it;
//! - counting windows for counts: "in 1 minute", "per minute", "/5分", "1分あたり". Counts
//!   (throttles, errors, requests) need a window; "throttling for 30 minutes" without a number
//!   means at least one every minute for 30 minutes, "no requests for 5 minutes" none.

use super::metrics::keys;
use super::threshold::Comparison;
use super::time::{Ts, HOUR, MINUTE};
use super::Model;

/// How a series' value is read before it is compared with the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// The value as the series holds it (summed over the check's window for counts).
    Value,
    /// Connections as a percentage of the instance's `max_connections` (from the inventory);
    /// only for `aurora/connections/*`.
    PercentOfMaxConnections,
}

/// A condition the model can evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// A series key, or a family with a trailing `*` ("any of them").
    pub series: String,
    pub comparison: Comparison,
    /// `>=` / `<=` rather than `>` / `<`.
    pub inclusive: bool,
    /// In the series' units: % for rates and shares, ms for latency, a count per window.
    pub limit: f64,
    /// `%`, `ms` or empty (counts).
    pub unit: &'static str,
    pub measure: Measure,
    /// For counts: the values of this many seconds of one-minute points are summed before
    /// comparing (60 = per minute). 0 for rates, latencies and gauges.
    pub window: Ts,
    /// How long the condition must hold; 0 = now.
    pub duration: Ts,
    /// The words it came from.
    pub text: String,
}

/// What a condition's text became.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Check(Check),
    /// Not turned into a check: shown as text to confirm by hand.
    Manual(String),
}

impl Parsed {
    pub fn check(&self) -> Option<&Check> {
        match self {
            Parsed::Check(c) => Some(c),
            Parsed::Manual(_) => None,
        }
    }
    /// The words it came from.
    pub fn text(&self) -> &str {
        match self {
            Parsed::Check(c) => &c.text,
            Parsed::Manual(t) => t,
        }
    }
}

/// The series (and families) a check can name.
pub const KNOWN_SERIES: [&str; 14] = [
    keys::ERROR_RATE,
    keys::ERROR_5XX,
    keys::ERROR_4XX,
    keys::LAMBDA_ERRORS,
    keys::LAMBDA_ERROR_RATE,
    keys::P50,
    keys::P95,
    keys::P99,
    keys::DB_READ_LATENCY,
    keys::DB_WRITE_LATENCY,
    keys::REQUESTS,
    "lambda/throttles/*",
    "dynamo/throttles/*",
    "aurora/connections/*",
];

pub fn is_known_series(series: &str) -> bool {
    KNOWN_SERIES.contains(&series)
}

impl Check {
    /// Does a value meet the condition?
    pub fn holds(&self, value: f64) -> bool {
        match (self.comparison, self.inclusive) {
            (Comparison::Above, false) => value > self.limit,
            (Comparison::Above, true) => value >= self.limit,
            (Comparison::Below, false) => value < self.limit,
            (Comparison::Below, true) => value <= self.limit,
        }
    }

    /// Does the check name this series key?
    pub fn matches(&self, key: &str) -> bool {
        match self.series.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => self.series == key,
        }
    }

    /// The operator symbol: `>`, `>=`, `<`, `<=`.
    pub fn op(&self) -> &'static str {
        match (self.comparison, self.inclusive) {
            (Comparison::Above, false) => ">",
            (Comparison::Above, true) => ">=",
            (Comparison::Below, false) => "<",
            (Comparison::Below, true) => "<=",
        }
    }

    /// A value in the check's unit, for display (`12.5%`, `3.2s`, `850ms`, `4`).
    pub fn format_value(&self, value: f64) -> String {
        match self.unit {
            "ms" if value.abs() >= 1000.0 => format!("{}s", trim_number(value / 1000.0)),
            unit => format!("{}{unit}", trim_number(value)),
        }
    }

    /// A compact form for the runbook pane: `errors/rate > 10% for 15m`,
    /// `lambda/throttles/* > 10 per 1m`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} {} {}",
            self.series,
            self.op(),
            self.format_value(self.limit)
        );
        if self.measure == Measure::PercentOfMaxConnections {
            s.push_str(" of max_connections");
        }
        if self.window > 0 {
            s.push_str(&format!(" per {}", duration_text(self.window)));
        }
        if self.duration > 0 {
            s.push_str(&format!(" for {}", duration_text(self.duration)));
        }
        s
    }
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Parse one condition on its own.
pub fn parse(text: &str) -> Parsed {
    parse_in(text, "")
}

/// Parse one condition; `context` (the section's title, e.g. "DynamoDB throttling alarm")
/// says which service a condition means when its own words do not ("スロットリングが30分以上
/// 継続" in the DynamoDB section is DynamoDB throttling).
pub fn parse_in(text: &str, context: &str) -> Parsed {
    match parse_check(text, context) {
        Some(c) => Parsed::Check(c),
        None => Parsed::Manual(clean_text(text)),
    }
}

/// Parse a list of conditions, one entry per line. A line that only gives a duration
/// ("15分以上継続", "continues for 15 minutes") becomes the metric condition of the line just
/// before it (which must be a check without a duration; only other duration lines may sit in
/// between) held for that long; the earlier line stays a check of its own.
pub fn parse_all(lines: &[String]) -> Vec<Parsed> {
    parse_all_in(lines, "")
}

/// [`parse_all`] with the section's title as context (see [`parse_in`]).
pub fn parse_all_in(lines: &[String], context: &str) -> Vec<Parsed> {
    let mut out = Vec::with_capacity(lines.len());
    let mut base: Option<Check> = None;
    for line in lines {
        if let Some(duration) = duration_only(line) {
            match &base {
                Some(b) if b.duration == 0 => out.push(Parsed::Check(Check {
                    duration,
                    text: format!("{} / {}", b.text, clean_text(line)),
                    ..b.clone()
                })),
                _ => out.push(Parsed::Manual(clean_text(line))),
            }
            continue;
        }
        let parsed = parse_in(line, context);
        base = parsed.check().cloned();
        out.push(parsed);
    }
    out
}

fn clean_text(text: &str) -> String {
    let mut s: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    s = s.trim().to_string();
    s
}

/// The longest duration a condition may name (a week), and the longest counting window.
const MAX_DURATION: f64 = 7.0 * 86_400.0;
const MAX_WINDOW: f64 = 86_400.0;
/// Placeholder for a metric word in the masked text.
const MASK: char = '\u{1}';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    ErrorRate,
    E5xx,
    E4xx,
    ErrorCount,
    Latency,
    Percentile(u8),
    Throttles,
    Connections,
    MaxConnections,
    Requests,
}

const WORDS: &[(&str, Word)] = &[
    ("5xxエラー率", Word::E5xx),
    ("5xxエラーレート", Word::E5xx),
    ("5xx error rate", Word::E5xx),
    ("5xx errors", Word::E5xx),
    ("5xx error", Word::E5xx),
    ("5xxエラー", Word::E5xx),
    ("5xx rate", Word::E5xx),
    ("5xx", Word::E5xx),
    ("4xxエラー率", Word::E4xx),
    ("4xxエラーレート", Word::E4xx),
    ("4xx error rate", Word::E4xx),
    ("4xx errors", Word::E4xx),
    ("4xx error", Word::E4xx),
    ("4xxエラー", Word::E4xx),
    ("4xx rate", Word::E4xx),
    ("4xx", Word::E4xx),
    ("エラー率", Word::ErrorRate),
    ("エラーレート", Word::ErrorRate),
    ("error rate", Word::ErrorRate),
    ("error-rate", Word::ErrorRate),
    ("error ratio", Word::ErrorRate),
    ("エラー数", Word::ErrorCount),
    ("エラー件数", Word::ErrorCount),
    ("error count", Word::ErrorCount),
    ("errors", Word::ErrorCount),
    ("p50", Word::Percentile(50)),
    ("p95", Word::Percentile(95)),
    ("p99", Word::Percentile(99)),
    ("50th percentile", Word::Percentile(50)),
    ("95th percentile", Word::Percentile(95)),
    ("99th percentile", Word::Percentile(99)),
    ("50パーセンタイル", Word::Percentile(50)),
    ("95パーセンタイル", Word::Percentile(95)),
    ("99パーセンタイル", Word::Percentile(99)),
    ("レイテンシー", Word::Latency),
    ("レイテンシ", Word::Latency),
    ("latency", Word::Latency),
    ("latencies", Word::Latency),
    ("応答時間", Word::Latency),
    ("レスポンス時間", Word::Latency),
    ("レスポンスタイム", Word::Latency),
    ("response time", Word::Latency),
    ("response times", Word::Latency),
    ("スロットリング", Word::Throttles),
    ("スロットル", Word::Throttles),
    ("throttling", Word::Throttles),
    ("throttles", Word::Throttles),
    ("throttled", Word::Throttles),
    ("throttle", Word::Throttles),
    ("provisionedthroughputexceededexception", Word::Throttles),
    ("provisionedthroughputexceeded", Word::Throttles),
    ("最大接続数", Word::MaxConnections),
    ("max connections", Word::MaxConnections),
    ("max_connections", Word::MaxConnections),
    ("maximum connections", Word::MaxConnections),
    ("接続数", Word::Connections),
    ("コネクション数", Word::Connections),
    ("connections", Word::Connections),
    ("connection count", Word::Connections),
    ("リクエスト数", Word::Requests),
    ("リクエスト", Word::Requests),
    ("requests", Word::Requests),
    ("request count", Word::Requests),
    ("request rate", Word::Requests),
];

#[derive(Debug, Clone, Copy, Default)]
struct Hints {
    lambda: bool,
    dynamo: bool,
    db: bool,
    read: bool,
    write: bool,
}

impl Hints {
    fn of(s: &str) -> Hints {
        let any = |ws: &[&str]| ws.iter().any(|w| contains_word(s, w));
        Hints {
            lambda: any(&["lambda"]),
            dynamo: any(&[
                "dynamodb",
                "dynamo",
                "テーブル",
                "table",
                "capacity",
                "キャパシティ",
                "provisionedthroughputexceeded",
                "provisionedthroughputexceededexception",
            ]),
            db: any(&[
                "aurora",
                "rds",
                "db",
                "データベース",
                "database",
                "mysql",
                "postgres",
            ]),
            read: any(&["読み込み", "読み取り", "read", "reads"]),
            write: any(&["書き込み", "write", "writes"]),
        }
    }
}

/// Words that make a limit relative to something the check cannot see, or an average.
const RELATIVE: &[&str] = &[
    "通常",
    "平常",
    "倍",
    "ベースライン",
    "前日",
    "昨日",
    "先週",
    "平均",
    "normal",
    "baseline",
    "usual",
    "yesterday",
    "average",
    "avg",
    "mean",
    "compared",
    "times the",
    "x the",
    "比",
];
const NEGATION: &[&str] = &[
    "not",
    "never",
    "no",
    "n't",
    "ない",
    "なし",
    "ません",
    "なければ",
    "ず,",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Percent,
    Millis,
    Seconds,
    Minutes,
    Hours,
    Count,
    Relative,
}

impl Unit {
    fn is_time(self) -> bool {
        matches!(
            self,
            Unit::Millis | Unit::Seconds | Unit::Minutes | Unit::Hours
        )
    }
    /// Seconds per unit for time units.
    fn seconds(self) -> f64 {
        match self {
            Unit::Millis => 0.001,
            Unit::Seconds => 1.0,
            Unit::Minutes => 60.0,
            Unit::Hours => 3600.0,
            _ => 1.0,
        }
    }
}

const UNITS: &[(&str, Unit)] = &[
    ("%", Unit::Percent),
    ("パーセント", Unit::Percent),
    ("percent", Unit::Percent),
    ("ミリ秒", Unit::Millis),
    ("milliseconds", Unit::Millis),
    ("millisecond", Unit::Millis),
    ("msec", Unit::Millis),
    ("ms", Unit::Millis),
    ("秒間", Unit::Seconds),
    ("秒", Unit::Seconds),
    ("seconds", Unit::Seconds),
    ("second", Unit::Seconds),
    ("secs", Unit::Seconds),
    ("sec", Unit::Seconds),
    ("s", Unit::Seconds),
    ("分間", Unit::Minutes),
    ("分", Unit::Minutes),
    ("minutes", Unit::Minutes),
    ("minute", Unit::Minutes),
    ("mins", Unit::Minutes),
    ("min", Unit::Minutes),
    ("m", Unit::Minutes),
    ("時間", Unit::Hours),
    ("hours", Unit::Hours),
    ("hour", Unit::Hours),
    ("hrs", Unit::Hours),
    ("hr", Unit::Hours),
    ("h", Unit::Hours),
    ("回", Unit::Count),
    ("件", Unit::Count),
    ("times", Unit::Count),
    ("本", Unit::Count),
    ("個", Unit::Count),
    ("倍", Unit::Relative),
    ("x", Unit::Relative),
];

/// A number with its unit in the masked text.
#[derive(Debug, Clone, Copy)]
struct Quantity {
    value: f64,
    unit: Unit,
    /// No unit was written.
    bare: bool,
    /// The unit was written with 間 (分間, 秒間): a span of time.
    span: bool,
    /// Glued to a letter (`p90`, `v2`, `10abc`): not understood.
    glued: bool,
    start: usize,
    end: usize,
}

fn is_ascii_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Does `word` occur in `s` as a word? ASCII words need non-letters around them; other words
/// match anywhere.
fn contains_word(s: &str, word: &str) -> bool {
    if !word.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return s.contains(word);
    }
    s.match_indices(word)
        .any(|(i, _)| word_at(s, i, word.len()))
}

/// Is `s[i..i+len]` a whole word (for ASCII-letter edges)?
fn word_at(s: &str, i: usize, len: usize) -> bool {
    let piece = &s[i..i + len];
    let before_ok = !piece.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !s[..i].chars().next_back().is_some_and(is_ascii_word);
    let after_ok = !piece.ends_with(|c: char| c.is_ascii_alphabetic())
        || !s[i + len..].starts_with(|c: char| c.is_ascii_alphabetic());
    before_ok && after_ok
}

/// Full-width ASCII to ASCII, ASCII lower-case, table pipes and Markdown emphasis to spaces,
/// `≥` / `≤` to `>=` / `<=`, thousands separators dropped.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        match c {
            '≥' | '≧' => out.push_str(">="),
            '≤' | '≦' => out.push_str("<="),
            '|' | '*' | '`' => out.push(' '),
            '〜' | '～' | '–' | '—' => out.push('~'),
            c if c.is_control() || c.is_whitespace() => out.push(' '),
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    // "1,000" -> "1000"
    let chars: Vec<char> = out.chars().collect();
    let mut s = String::with_capacity(out.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c == ',' && between_digits {
            continue;
        }
        s.push(c);
    }
    // Counting windows without a number.
    for (from, to) in [
        ("per minute", "/1min"),
        ("per min", "/1min"),
        ("a minute", "1 minute"),
        ("an hour", "1 hour"),
        ("per hour", "/1h"),
        ("毎分", "/1分"),
    ] {
        s = replace_word(&s, from, to);
    }
    for (from, to) in [("/min", "/1min"), ("/分", "/1分"), ("/hour", "/1h")] {
        s = s.replace(from, to);
    }
    s
}

fn replace_word(s: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (i, _) in s.match_indices(from) {
        if i < last || !word_at(s, i, from.len()) {
            continue;
        }
        out.push_str(&s[last..i]);
        out.push_str(to);
        last = i + from.len();
    }
    out.push_str(&s[last..]);
    out
}

/// The text outside parentheses, and what was inside them.
fn strip_parens(s: &str) -> (String, Vec<String>) {
    let mut main = String::with_capacity(s.len());
    let mut inner = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | '【' | '[' => {
                depth += 1;
            }
            ')' | '】' | ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    inner.push(std::mem::take(&mut cur));
                    main.push(' ');
                }
            }
            c if depth > 0 => cur.push(c),
            c => main.push(c),
        }
    }
    if depth > 0 {
        inner.push(cur);
    }
    (main, inner)
}

/// Metric words found, and the text with each replaced by [`MASK`].
fn find_words(s: &str) -> (Vec<Word>, String) {
    let mut words = Vec::new();
    let mut masked = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let best = WORDS
            .iter()
            .filter(|(w, _)| rest.starts_with(w) && word_at(s, i, w.len()))
            .max_by_key(|(w, _)| w.len());
        match best {
            Some((w, word)) => {
                words.push(*word);
                masked.push(MASK);
                i += w.len();
            }
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                masked.push(c);
                i += c.len_utf8().max(1);
            }
        }
    }
    (words, masked)
}

/// Numbers and their units.
fn quantities(s: &str) -> Vec<Quantity> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let glued_before = s[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '.' || c == MASK);
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        let value: f64 = s[start..i].parse().unwrap_or(f64::NAN);
        let mut j = i;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        let rest = &s[j..];
        let unit = UNITS
            .iter()
            .filter(|(u, _)| {
                rest.starts_with(u)
                    && !(u.ends_with(|c: char| c.is_ascii_alphabetic())
                        && rest[u.len()..].starts_with(|c: char| c.is_ascii_alphabetic()))
            })
            .max_by_key(|(u, _)| u.len());
        let (unit, bare, span, end) = match unit {
            Some((text, unit)) => (
                *unit,
                false,
                text.ends_with('間') && *text != "時間",
                j + text.len(),
            ),
            None => (Unit::Count, true, false, i),
        };
        let glued_after = bare && s[i..].starts_with(|c: char| c.is_ascii_alphabetic());
        out.push(Quantity {
            value,
            unit,
            bare,
            span,
            glued: glued_before || glued_after,
            start,
            end,
        });
        i = end;
    }
    out
}

type Cmp = (Comparison, bool);

const BEFORE: &[(&str, Comparison, bool)] = &[
    (">=", Comparison::Above, true),
    ("=>", Comparison::Above, true),
    ("<=", Comparison::Below, true),
    ("=<", Comparison::Below, true),
    (">", Comparison::Above, false),
    ("<", Comparison::Below, false),
    ("more than", Comparison::Above, false),
    ("greater than", Comparison::Above, false),
    ("higher than", Comparison::Above, false),
    ("larger than", Comparison::Above, false),
    ("longer than", Comparison::Above, false),
    ("over", Comparison::Above, false),
    ("above", Comparison::Above, false),
    ("exceeds", Comparison::Above, false),
    ("exceed", Comparison::Above, false),
    ("exceeding", Comparison::Above, false),
    ("exceeded", Comparison::Above, false),
    ("beyond", Comparison::Above, false),
    ("at least", Comparison::Above, true),
    ("at most", Comparison::Below, true),
    ("below", Comparison::Below, false),
    ("under", Comparison::Below, false),
    ("less than", Comparison::Below, false),
    ("lower than", Comparison::Below, false),
    ("fewer than", Comparison::Below, false),
    ("smaller than", Comparison::Below, false),
    ("shorter than", Comparison::Below, false),
];

const AFTER: &[(&str, Comparison, bool)] = &[
    ("以上", Comparison::Above, true),
    ("超過", Comparison::Above, false),
    ("超", Comparison::Above, false),
    ("上回", Comparison::Above, false),
    ("より大き", Comparison::Above, false),
    ("より多", Comparison::Above, false),
    ("より高", Comparison::Above, false),
    ("より長", Comparison::Above, false),
    ("以下", Comparison::Below, true),
    ("以内", Comparison::Below, true),
    ("未満", Comparison::Below, false),
    ("下回", Comparison::Below, false),
    ("より小さ", Comparison::Below, false),
    ("より少な", Comparison::Below, false),
    ("より低", Comparison::Below, false),
    ("より短", Comparison::Below, false),
    ("or more", Comparison::Above, true),
    ("or higher", Comparison::Above, true),
    ("or above", Comparison::Above, true),
    ("or greater", Comparison::Above, true),
    ("or longer", Comparison::Above, true),
    ("and above", Comparison::Above, true),
    ("or less", Comparison::Below, true),
    ("or lower", Comparison::Below, true),
    ("or below", Comparison::Below, true),
    ("or fewer", Comparison::Below, true),
    ("or under", Comparison::Below, true),
];

/// A comparison written just before a number (`> 5%`, `over 10%`).
fn comparison_before(prefix: &str) -> Option<(Cmp, usize)> {
    let p = prefix.trim_end();
    BEFORE
        .iter()
        .find(|(w, _, _)| p.ends_with(w) && word_at(p, p.len() - w.len(), w.len()))
        .map(|(w, c, i)| ((*c, *i), p.len() - w.len()))
}

/// A comparison written just after a number (`5%を超える`, `3秒以上`, `10% or more`).
fn comparison_after(suffix: &str) -> Option<(Cmp, usize)> {
    let t = suffix.trim_start();
    let lead = suffix.len() - t.len();
    let (t, lead) = match t.strip_prefix('を') {
        Some(r) => (r, lead + 'を'.len_utf8()),
        None => (t, lead),
    };
    AFTER
        .iter()
        .find(|(w, _, _)| t.starts_with(w) && word_at(t, 0, w.len()))
        .map(|(w, c, i)| ((*c, *i), lead + w.len()))
}

const CONTINUE_AFTER: &[&str] = &["継続", "続", "持続", "にわた", "に渡", "の間", "間"];
const CONTINUE_BEFORE: &[&str] = &[
    "for",
    "lasting",
    "during",
    "last",
    "past",
    "continues",
    "persists",
    "lasts",
    "sustained",
];

/// Is this time quantity a span the condition must hold for?
fn duration_marked(q: &Quantity, prefix: &str, suffix: &str) -> bool {
    if q.span {
        return true;
    }
    let after = match comparison_after(suffix) {
        Some((_, n)) => &suffix[n..],
        None => suffix,
    };
    let after = after.trim_start();
    let after = after.strip_prefix("を").unwrap_or(after);
    let after = after.strip_prefix("超えて").unwrap_or(after);
    if CONTINUE_AFTER.iter().any(|w| after.starts_with(w)) {
        return true;
    }
    let before = match comparison_before(prefix) {
        Some((_, n)) => &prefix[..n],
        None => prefix,
    };
    let before = before.trim_end();
    CONTINUE_BEFORE
        .iter()
        .any(|w| before.ends_with(w) && word_at(before, before.len() - w.len(), w.len()))
}

/// Is this time quantity the window counts are summed over (`in 1 minute`, `/5分`,
/// `1分あたり`)?
fn window_marked(prefix: &str, suffix: &str) -> bool {
    let before = prefix.trim_end();
    if before.ends_with('/') {
        return true;
    }
    if ["per", "in", "within", "every", "each"]
        .iter()
        .any(|w| before.ends_with(w) && word_at(before, before.len() - w.len(), w.len()))
    {
        return true;
    }
    let after = suffix.trim_start();
    if after.starts_with("にわた") || after.starts_with("に渡") {
        return false;
    }
    ["あたり", "当たり", "ごと", "毎", "に", "以内に"]
        .iter()
        .any(|w| after.starts_with(w))
}

/// `5-20%`, `5〜20%`, `5 to 20%`.
fn range_follows(suffix: &str) -> bool {
    let t = suffix.trim_start();
    let t = t
        .strip_prefix('-')
        .or_else(|| t.strip_prefix('~'))
        .or_else(|| t.strip_prefix("から"))
        .or_else(|| t.strip_prefix("to "))
        .map(str::trim_start);
    t.is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A percentage of requests.
    Rate,
    /// Milliseconds.
    Latency,
    /// Events per one-minute point (summed over a window).
    Count,
    /// A level (database connections).
    Gauge,
}

fn series_for(words: &[Word], hints: Hints, context: Hints) -> Option<(&'static str, Kind)> {
    let mut latency = false;
    let mut percentile: Option<u8> = None;
    let mut other: Option<Word> = None;
    for &w in words {
        match w {
            Word::Latency => latency = true,
            Word::Percentile(p) => {
                if percentile.is_some_and(|q| q != p) {
                    return None;
                }
                percentile = Some(p);
            }
            Word::MaxConnections => {
                if other.is_some_and(|o| o != Word::Connections) {
                    return None;
                }
                other = Some(Word::Connections);
            }
            w => {
                if other.is_some_and(|o| o != w) {
                    return None;
                }
                other = Some(w);
            }
        }
    }
    if latency || percentile.is_some() {
        if other.is_some() || hints.dynamo {
            return None;
        }
        if hints.db {
            return match (percentile, hints.read, hints.write) {
                (None, true, false) => Some((keys::DB_READ_LATENCY, Kind::Latency)),
                (None, false, true) => Some((keys::DB_WRITE_LATENCY, Kind::Latency)),
                _ => None,
            };
        }
        if hints.read || hints.write {
            return None;
        }
        let key = match percentile.unwrap_or(95) {
            50 => keys::P50,
            95 => keys::P95,
            99 => keys::P99,
            _ => return None,
        };
        return Some((key, Kind::Latency));
    }
    match other? {
        Word::ErrorRate => {
            if hints.dynamo || hints.db {
                None
            } else if hints.lambda || (context.lambda && !context.dynamo) {
                Some((keys::LAMBDA_ERROR_RATE, Kind::Rate))
            } else {
                Some((keys::ERROR_RATE, Kind::Rate))
            }
        }
        Word::E5xx => Some((keys::ERROR_5XX, Kind::Rate)),
        Word::E4xx => Some((keys::ERROR_4XX, Kind::Rate)),
        Word::ErrorCount => {
            (!hints.dynamo && !hints.db).then_some((keys::LAMBDA_ERRORS, Kind::Count))
        }
        Word::Throttles => {
            let dynamo = hints.dynamo || ((hints.read || hints.write) && !hints.db);
            match (hints.lambda, dynamo) {
                (true, true) => None,
                (true, false) => Some(("lambda/throttles/*", Kind::Count)),
                (false, true) => Some(("dynamo/throttles/*", Kind::Count)),
                (false, false) if hints.db => None,
                (false, false) if context.dynamo && !context.lambda => {
                    Some(("dynamo/throttles/*", Kind::Count))
                }
                (false, false) => Some(("lambda/throttles/*", Kind::Count)),
            }
        }
        Word::Connections | Word::MaxConnections => {
            (!hints.dynamo && !hints.lambda).then_some(("aurora/connections/*", Kind::Gauge))
        }
        Word::Requests => Some((keys::REQUESTS, Kind::Count)),
        Word::Latency | Word::Percentile(_) => None,
    }
}

fn seconds_ok(secs: f64, max: f64) -> Option<Ts> {
    (secs.is_finite() && secs > 0.0 && secs <= max).then_some(secs.round() as Ts)
}

fn parse_check(text: &str, context: &str) -> Option<Check> {
    if text.len() > 4096 {
        return None;
    }
    let norm = normalize(text);
    let (main, parens) = strip_parens(&norm);
    // A parenthesis that carries a time or a count may change the meaning: leave it to a human.
    for p in &parens {
        let (_, masked) = find_words(p);
        if quantities(&masked)
            .iter()
            .any(|q| q.unit.is_time() || (q.unit == Unit::Count && !q.bare))
        {
            return None;
        }
    }
    if RELATIVE.iter().any(|w| contains_word(&main, w)) {
        return None;
    }
    let (words, masked) = find_words(&main);
    let hints = Hints::of(&main);
    let (series, kind) = series_for(&words, hints, Hints::of(&normalize(context)))?;
    let zero_requests = series == keys::REQUESTS
        && (["no request", "no requests", "zero request", "zero requests"]
            .iter()
            .any(|w| contains_word(&main, w))
            || ["ない", "なし", "ゼロ", "途絶"]
                .iter()
                .any(|w| main.contains(w)));
    if !zero_requests && NEGATION.iter().any(|w| contains_word(&main, w)) {
        return None;
    }
    let max_connections_named = words.contains(&Word::MaxConnections);

    let qs = quantities(&masked);
    let mut limit: Option<(Cmp, f64, Unit)> = None;
    let mut duration: Option<Ts> = None;
    let mut window: Option<Ts> = None;
    for (n, q) in qs.iter().enumerate() {
        if q.glued || !q.value.is_finite() || q.unit == Unit::Relative {
            return None;
        }
        let prev_end = if n == 0 { 0 } else { qs[n - 1].end };
        let next_start = qs.get(n + 1).map(|x| x.start).unwrap_or(masked.len());
        let prefix = &masked[prev_end..q.start];
        let suffix = &masked[q.end..next_start];
        if range_follows(suffix) {
            return None;
        }
        let cmp = match (comparison_after(suffix), comparison_before(prefix)) {
            (Some(_), Some(_)) => return None,
            (Some((c, _)), None) | (None, Some((c, _))) => Some(c),
            (None, None) => None,
        };
        if q.unit.is_time() {
            let secs = q.value * q.unit.seconds();
            if window_marked(prefix, suffix) {
                if window.is_some() || cmp.is_some() {
                    return None;
                }
                window = Some(seconds_ok(secs, MAX_WINDOW)?);
                continue;
            }
            let marked = duration_marked(q, prefix, suffix);
            if kind == Kind::Latency
                && matches!(q.unit, Unit::Millis | Unit::Seconds)
                && !marked
                && cmp.is_some()
                && limit.is_none()
            {
                limit = cmp.map(|c| (c, secs * 1000.0, q.unit));
                continue;
            }
            // A span of minutes or hours without a "for" / 継続 is still a duration when it
            // is "over 15 minutes" / "15分以上" or stands alone at the end (a table cell);
            // "10分後" (after 10 minutes) is not.
            let long = matches!(q.unit, Unit::Minutes | Unit::Hours);
            let at_end = suffix
                .chars()
                .all(|c| c.is_whitespace() || c.is_ascii_punctuation() || "、。".contains(c));
            if !(marked || (long && (cmp.is_some() || at_end))) {
                return None;
            }
            if duration.is_some() || cmp.is_some_and(|c| c.0 == Comparison::Below) {
                return None;
            }
            duration = Some(seconds_ok(secs, MAX_DURATION)?);
        } else {
            let c = cmp?;
            if limit.is_some() {
                return None;
            }
            limit = Some((c, q.value, q.unit));
        }
    }

    let window_for_counts = |w: Option<Ts>| -> Option<Ts> {
        let w = w?;
        (w >= MINUTE && w % MINUTE == 0).then_some(w)
    };
    let (cmp, limit, unit, measure, window) = match (kind, limit) {
        (_, Some(_)) if zero_requests => return None,
        (Kind::Rate, Some((c, v, Unit::Percent))) if window.is_none() => {
            (c, v, "%", Measure::Value, 0)
        }
        (Kind::Latency, Some((c, ms, Unit::Millis | Unit::Seconds))) if window.is_none() => {
            (c, ms, "ms", Measure::Value, 0)
        }
        // "> 0" is the same in any window: at least one every minute.
        (Kind::Count, Some(((Comparison::Above, false), v, Unit::Count)))
            if v == 0.0 && window.is_none() =>
        {
            ((Comparison::Above, false), 0.0, "", Measure::Value, MINUTE)
        }
        (Kind::Count, Some((c, v, Unit::Count))) => {
            (c, v, "", Measure::Value, window_for_counts(window)?)
        }
        (Kind::Gauge, Some((c, v, Unit::Percent))) if window.is_none() => {
            (c, v, "%", Measure::PercentOfMaxConnections, 0)
        }
        (Kind::Gauge, Some((c, v, Unit::Count))) if window.is_none() && !max_connections_named => {
            (c, v, "", Measure::Value, 0)
        }
        // No number: "throttling for 30 minutes" (at least one every minute), "no requests
        // for 5 minutes" (none).
        (Kind::Count, None) if duration.is_some() && window.is_none() => {
            if zero_requests {
                ((Comparison::Below, true), 0.0, "", Measure::Value, MINUTE)
            } else if series != keys::REQUESTS {
                ((Comparison::Above, false), 0.0, "", Measure::Value, MINUTE)
            } else {
                return None;
            }
        }
        _ => return None,
    };
    if !limit.is_finite() {
        return None;
    }
    // "sustained" / "継続" without saying how long: not a check we can state.
    if duration.is_none()
        && ["継続", "持続", "sustain", "persist", "continu", "ongoing"]
            .iter()
            .any(|w| norm.contains(w))
    {
        return None;
    }
    Some(Check {
        series: series.to_string(),
        comparison: cmp.0,
        inclusive: cmp.1,
        limit,
        unit,
        measure,
        window,
        duration: duration.unwrap_or(0),
        text: clean_text(text),
    })
}

const DURATION_FILLER: &[&str] = &[
    "この状態が",
    "その状態が",
    "状態が",
    "状態",
    "以上",
    "を超えて",
    "超えて",
    "超",
    "継続している",
    "継続した",
    "継続する",
    "継続",
    "続いている",
    "続いた",
    "続く",
    "持続",
    "にわたって",
    "にわたり",
    "が",
    "を",
    "に",
    "し",
    "て",
    "いる",
    "する",
    "した",
    "間",
    "for more than",
    "for at least",
    "for over",
    "for longer than",
    "more than",
    "longer than",
    "at least",
    "or more",
    "or longer",
    "over",
    "continues",
    "continued",
    "continuing",
    "continue",
    "persists",
    "persist",
    "lasts",
    "lasting",
    "last",
    "sustained",
    "ongoing",
    "still",
    "for",
    "it",
    "this",
    "the",
    "condition",
    "state",
    "holds",
    "remains",
    "if",
    "and",
];
const DURATION_VERBS: &[&str] = &[
    "継続",
    "続",
    "持続",
    "にわた",
    "continu",
    "persist",
    "last",
    "sustain",
    "ongoing",
    "for",
    "holds",
    "remains",
];

/// A line that only says how long ("15分以上継続", "continues for 15 minutes").
fn duration_only(text: &str) -> Option<Ts> {
    if text.len() > 512 {
        return None;
    }
    let norm = normalize(text);
    let (main, _) = strip_parens(&norm);
    let (words, masked) = find_words(&main);
    if !words.is_empty() {
        return None;
    }
    let qs = quantities(&masked);
    let [q] = qs.as_slice() else {
        return None;
    };
    if !q.unit.is_time() || q.glued {
        return None;
    }
    if comparison_after(&masked[q.end..]).is_some_and(|(c, _)| c.0 == Comparison::Below)
        || comparison_before(&masked[..q.start]).is_some_and(|(c, _)| c.0 == Comparison::Below)
    {
        return None;
    }
    let rest = format!("{} {}", &masked[..q.start], &masked[q.end..]);
    if !DURATION_VERBS.iter().any(|v| rest.contains(v)) {
        return None;
    }
    // Everything else must be filler.
    let mut r = rest.as_str();
    loop {
        r = r.trim_start_matches(|c: char| {
            c.is_whitespace() || c.is_ascii_punctuation() || "、。・：".contains(c)
        });
        if r.is_empty() {
            break;
        }
        let hit = DURATION_FILLER
            .iter()
            .filter(|w| r.starts_with(**w) && word_at(r, 0, w.len()))
            .max_by_key(|w| w.len())?;
        r = &r[hit.len()..];
    }
    seconds_ok(q.value * q.unit.seconds(), MAX_DURATION)
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// A series whose newest point is older than this is not current: its condition is not met.
pub const FRESH_WITHIN: Ts = 5 * MINUTE;

/// One series' value as the check reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub series: String,
    pub ts: Ts,
    pub value: f64,
}

/// A check against the model at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The condition holds now, since this minute (however short).
    pub holding_since: Option<Ts>,
    /// The condition has held for at least the check's duration, since this minute.
    pub met_since: Option<Ts>,
    /// The current value (the worst of a family).
    pub current: Option<Reading>,
}

fn matching<'a>(check: &'a Check, model: &'a Model) -> Vec<&'a str> {
    match check.series.strip_suffix('*') {
        Some(prefix) => model.keys_with_prefix(prefix).collect(),
        None => model
            .series
            .contains_key(&check.series)
            .then_some(check.series.as_str())
            .into_iter()
            .collect(),
    }
}

/// The value the check compares at minute `t` of series `key`: summed over the window for
/// counts (every minute of the window must be there), as a share of max_connections for
/// connection shares.
fn value_at(check: &Check, model: &Model, key: &str, t: Ts) -> Option<f64> {
    let s = model.series.get(key)?;
    let v = if check.window > MINUTE {
        let n = check.window / MINUTE;
        let mut sum = 0.0;
        for k in 0..n {
            sum += s.at(t - k * MINUTE)?;
        }
        sum
    } else {
        s.at(t)?
    };
    match check.measure {
        Measure::Value => Some(v),
        Measure::PercentOfMaxConnections => {
            let id = key.strip_prefix("aurora/connections/")?;
            let max = model
                .inventory
                .db_instances
                .iter()
                .find(|i| i.id == id)?
                .max_connections;
            (max > 0).then(|| v / max as f64 * 100.0)
        }
    }
}

/// The newest point of a series, if current.
fn fresh_last(model: &Model, key: &str) -> Option<Ts> {
    let (last, _) = model.series.get(key)?.last()?;
    (last + FRESH_WITHIN >= model.now).then_some(last)
}

/// For one series: (start of the run of minutes that meet the condition up to the newest
/// point, newest point). A missing minute ends the run.
fn run(check: &Check, model: &Model, key: &str) -> Option<(Ts, Ts)> {
    let last = fresh_last(model, key)?;
    let mut start = None;
    let mut t = last;
    while let Some(v) = value_at(check, model, key, t) {
        if !check.holds(v) {
            break;
        }
        start = Some(t);
        t -= MINUTE;
    }
    start.map(|s| (s, last))
}

/// Since when the condition has held without a break, counting only if it has held for at
/// least the check's duration (the run of one-minute points from `start` to the newest point
/// covers `newest + 1 min - start`). For a family, the earliest such start among its series.
/// `None`: not met.
pub fn met_since(check: &Check, model: &Model) -> Option<Ts> {
    matching(check, model)
        .into_iter()
        .filter_map(|k| run(check, model, k))
        .filter(|(start, last)| last + MINUTE - start >= check.duration)
        .map(|(start, _)| start)
        .min()
}

/// Since when the condition has held, however briefly (for "met in 7 min" countdowns).
pub fn holding_since(check: &Check, model: &Model) -> Option<Ts> {
    matching(check, model)
        .into_iter()
        .filter_map(|k| run(check, model, k))
        .map(|(start, _)| start)
        .min()
}

/// The current value as the check reads it; for a family, the worst series (highest for
/// "above", lowest for "below"). Only current series count.
pub fn current(check: &Check, model: &Model) -> Option<Reading> {
    let readings = matching(check, model).into_iter().filter_map(|k| {
        let ts = fresh_last(model, k)?;
        let value = value_at(check, model, k, ts)?;
        Some(Reading {
            series: k.to_string(),
            ts,
            value,
        })
    });
    match check.comparison {
        Comparison::Above => readings.max_by(|a, b| a.value.total_cmp(&b.value)),
        Comparison::Below => readings.min_by(|a, b| a.value.total_cmp(&b.value)),
    }
}

/// Everything the runbook pane shows for a check.
pub fn evaluate(check: &Check, model: &Model) -> Evaluation {
    Evaluation {
        holding_since: holding_since(check, model),
        met_since: met_since(check, model),
        current: current(check, model),
    }
}

/// A duration the way runbooks write it, for display (`1h`, `15m`, `90s`).
pub fn duration_text(secs: Ts) -> String {
    if secs > 0 && secs % HOUR == 0 {
        format!("{}h", secs / HOUR)
    } else if secs > 0 && secs % MINUTE == 0 {
        format!("{}m", secs / MINUTE)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::metrics::{DbInstance, DbRole, Inventory};
    use crate::model::{Profile, Update};

    /// (series, operator, limit, window, duration)
    type Want = Option<(&'static str, &'static str, f64, Ts, Ts)>;

    fn check_case(text: &str, context: &str, want: Want) {
        let got = parse_in(text, context);
        match (want, &got) {
            (None, Parsed::Manual(t)) => assert_eq!(t, text.trim(), "manual text of {text:?}"),
            (Some((series, op, limit, window, duration)), Parsed::Check(c)) => {
                assert_eq!(c.series, series, "series of {text:?}");
                assert_eq!(c.op(), op, "operator of {text:?}");
                assert!((c.limit - limit).abs() < 1e-9, "limit of {text:?}: {c:?}");
                assert_eq!(c.window, window, "window of {text:?}");
                assert_eq!(c.duration, duration, "duration of {text:?}");
                assert_eq!(c.text, text.trim());
            }
            (want, got) => panic!("{text:?}: wanted {want:?}, got {got:?}"),
        }
    }

    #[test]
    fn phrasings_that_become_checks() {
        let cases: &[(&str, &str, Want)] = &[
            // The crypto-watch runbook (escalation lists, alarm descriptions, rollback table).
            (
                "エラー率が10%を超える",
                "",
                Some(("errors/rate", ">", 10.0, 0, 0)),
            ),
            (
                "Lambda関数のエラー率が5%を超えた状態が2分間継続",
                "",
                Some(("errors/lambda-rate", ">", 5.0, 0, 120)),
            ),
            (
                "API Gatewayの5xxエラー率が10%を超えた状態が2分間継続",
                "",
                Some(("errors/5xx", ">", 10.0, 0, 120)),
            ),
            (
                "5xxエラー率が20%を超える",
                "",
                Some(("errors/5xx", ">", 20.0, 0, 0)),
            ),
            (
                "P95レイテンシが5秒を超える",
                "",
                Some(("latency/p95", ">", 5000.0, 0, 0)),
            ),
            (
                "スロットリングが30分以上継続",
                "",
                Some(("lambda/throttles/*", ">", 0.0, 60, 1800)),
            ),
            (
                "スロットリングが30分以上継続",
                "3. DynamoDBスロットリングアラーム（High）",
                Some(("dynamo/throttles/*", ">", 0.0, 60, 1800)),
            ),
            (
                "エラー率が5%を超える",
                "3. DynamoDBスロットリングアラーム（High）",
                Some(("errors/rate", ">", 5.0, 0, 0)),
            ),
            (
                "エラー率が10%を超える",
                "1. Lambda Error Rate Alarm（Critical）",
                Some(("errors/lambda-rate", ">", 10.0, 0, 0)),
            ),
            (
                "P95が3秒以上: ユーザー体験に影響",
                "",
                Some(("latency/p95", ">=", 3000.0, 0, 0)),
            ),
            (
                "エラー率が3%以上（閾値5%未満だが高い）",
                "",
                Some(("errors/rate", ">=", 3.0, 0, 0)),
            ),
            (
                "| Lambda error rate | > 5% | 2分間 |",
                "",
                Some(("errors/lambda-rate", ">", 5.0, 0, 120)),
            ),
            (
                "| API Gateway 5xx rate | > 10% | 2分間 |",
                "",
                Some(("errors/5xx", ">", 10.0, 0, 120)),
            ),
            // The Profile API operations guide.
            ("エラー率 > 50%", "", Some(("errors/rate", ">", 50.0, 0, 0))),
            ("エラー率 < 1%", "", Some(("errors/rate", "<", 1.0, 0, 0))),
            (
                "アラーム設定: P95 > 2秒",
                "",
                Some(("latency/p95", ">", 2000.0, 0, 0)),
            ),
            (
                "P99 > 5秒: 深刻なパフォーマンス問題",
                "",
                Some(("latency/p99", ">", 5000.0, 0, 0)),
            ),
            (
                "閾値: レスポンス時間 > 2秒",
                "",
                Some(("latency/p95", ">", 2000.0, 0, 0)),
            ),
            (
                "アラーム設定: エラー数 > 10/5分",
                "",
                Some(("errors/lambda", ">", 10.0, 300, 0)),
            ),
            (
                "**症状**: エラー率が5%を超える",
                "",
                Some(("errors/rate", ">", 5.0, 0, 0)),
            ),
            // Other Japanese phrasings.
            (
                "ＤＢの接続数が最大接続数の８０％を超える",
                "",
                Some(("aurora/connections/*", ">", 80.0, 0, 0)),
            ),
            (
                "読み込みスロットリングが1分あたり5回を超える",
                "",
                Some(("dynamo/throttles/*", ">", 5.0, 60, 0)),
            ),
            (
                "リクエストが5分間ない",
                "",
                Some(("requests/count", "<=", 0.0, 60, 300)),
            ),
            (
                "P99が800ミリ秒以上の状態が10分以上継続",
                "",
                Some(("latency/p99", ">=", 800.0, 0, 600)),
            ),
            (
                "エラー率が１０％を超える状態が１時間以上継続",
                "",
                Some(("errors/rate", ">", 10.0, 0, 3600)),
            ),
            (
                "応答時間が1.5秒未満",
                "",
                Some(("latency/p95", "<", 1500.0, 0, 0)),
            ),
            (
                "Lambdaのスロットルが毎分3件以上",
                "",
                Some(("lambda/throttles/*", ">=", 3.0, 60, 0)),
            ),
            // English.
            (
                "error rate over 10%",
                "",
                Some(("errors/rate", ">", 10.0, 0, 0)),
            ),
            (
                "p99 above 3 s for 10 min",
                "",
                Some(("latency/p99", ">", 3000.0, 0, 600)),
            ),
            (
                "more than 10 throttles in 1 minute",
                "",
                Some(("lambda/throttles/*", ">", 10.0, 60, 0)),
            ),
            (
                "DB connections over 80%",
                "",
                Some(("aurora/connections/*", ">", 80.0, 0, 0)),
            ),
            (
                "no requests for 5 minutes",
                "",
                Some(("requests/count", "<=", 0.0, 60, 300)),
            ),
            (
                "Lambda error rate >= 5% for 2 minutes",
                "",
                Some(("errors/lambda-rate", ">=", 5.0, 0, 120)),
            ),
            (
                "DynamoDB throttling for more than 30 minutes",
                "",
                Some(("dynamo/throttles/*", ">", 0.0, 60, 1800)),
            ),
            (
                "5xx rate above 20% for 10 minutes",
                "",
                Some(("errors/5xx", ">", 20.0, 0, 600)),
            ),
            (
                "Latency P95 exceeds 1,500 ms",
                "",
                Some(("latency/p95", ">", 1500.0, 0, 0)),
            ),
            (
                "Aurora connections above 900",
                "",
                Some(("aurora/connections/*", ">", 900.0, 0, 0)),
            ),
            (
                "requests drop below 100 per minute",
                "",
                Some(("requests/count", "<", 100.0, 60, 0)),
            ),
            (
                "4xx error rate is 15% or more",
                "",
                Some(("errors/4xx", ">=", 15.0, 0, 0)),
            ),
            (
                "Lambda errors more than 20 per 5 minutes",
                "",
                Some(("errors/lambda", ">", 20.0, 300, 0)),
            ),
            (
                "Aurora read latency over 20 ms",
                "",
                Some(("aurora/read-latency", ">", 20.0, 0, 0)),
            ),
            (
                "error rate over 10% over 15 minutes",
                "",
                Some(("errors/rate", ">", 10.0, 0, 900)),
            ),
            (
                "  P95 latency > 2 seconds for at least 1 hour ",
                "",
                Some(("latency/p95", ">", 2000.0, 0, 3600)),
            ),
            (
                "If the error rate exceeds 10% for 15 minutes, page the on-call",
                "",
                Some(("errors/rate", ">", 10.0, 0, 900)),
            ),
            (
                "1分間に10回以上のスロットリング",
                "",
                Some(("lambda/throttles/*", ">=", 10.0, 60, 0)),
            ),
            (
                "スロットリングが5分間に3回以上",
                "",
                Some(("lambda/throttles/*", ">=", 3.0, 300, 0)),
            ),
            (
                "throttles over 10 per minute for 5 minutes",
                "",
                Some(("lambda/throttles/*", ">", 10.0, 60, 300)),
            ),
            (
                "DynamoDB write throttles > 0 for 5 min",
                "",
                Some(("dynamo/throttles/*", ">", 0.0, 60, 300)),
            ),
            (
                "ProvisionedThroughputExceededException が5分以上継続",
                "",
                Some(("dynamo/throttles/*", ">", 0.0, 60, 300)),
            ),
            (
                "接続数が90%以上",
                "",
                Some(("aurora/connections/*", ">=", 90.0, 0, 0)),
            ),
            ("p95 > 2000ms", "", Some(("latency/p95", ">", 2000.0, 0, 0))),
        ];
        for (text, context, want) in cases {
            check_case(text, context, *want);
        }
    }

    #[test]
    fn phrasings_left_to_a_human() {
        let cases = [
            "経営判断が必要な場合",
            "customer impact is large",
            "復旧の見込みが立たない",
            "自動ロールバックが失敗",
            "外部APIが1時間以上停止",
            "外部暗号通貨APIへの呼び出しが50%以上失敗している状態が10分間継続",
            "キャッシュデータが古くなりすぎる（1時間以上）",
            "15分以内に解決できない",
            "影響範囲が拡大",
            "エラー率 5-20%",
            "エラー率 5〜20%",
            "レスポンス時間が通常の3倍以上",
            "レイテンシが通常の2倍以上",
            "スロットルが継続的に発生",
            "Lambda関数のスロットル（同時実行数制限）が10回以上発生",
            "評価期間: 5分間で2回連続",
            "ERRORログ > 10/5分",
            "10%以上: 緊急対応が必要",
            "全てのリクエストが失敗",
            "P95レイテンシが閾値（例: 2秒）を超えた",
            "error rate over 3x normal",
            "error rate does not drop below 1%",
            "P90 latency over 2 s",
            "error rate over 10",
            "エラー率が5%を超え、P95が2秒を超える",
            "error rate over 10% or p99 over 3 s",
            "throttling",
            "DB latency over 20 ms",
            "15分以上継続",
            "continues for 15 minutes",
            "error rate over 5% per minute",
            "latency above 2 minutes",
            "DynamoDBのエラー率が5%を超える",
            "average latency over 2 s",
            "エラー率が前日比で2倍",
            "エラー率が10%を超えない",
            "10分後もエラー率が5%を超える",
            "レイテンシが2秒を超えるリクエストが10%以上",
            "P95 latency over 2 s in 5 minutes",
            "Error Rate: >5% (sustained)",
            "エラー率が5%を超えた状態が継続",
            "エラー率が5%を超える（2分間）",
            "P95 > 2000",
            "throttles over 10",
            "",
            "   ",
        ];
        for text in cases {
            check_case(text, "", None);
        }
    }

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_duration_line_extends_the_condition_before_it() {
        let got = parse_all_in(
            &lines(&[
                "エラー率が10%を超える",
                "15分以上継続",
                "自動ロールバックが失敗",
            ]),
            "1. Lambda Error Rate Alarm（Critical）",
        );
        assert_eq!(got.len(), 3);
        let first = got[0].check().expect("first is a check");
        assert_eq!(
            (first.series.as_str(), first.duration),
            ("errors/lambda-rate", 0)
        );
        let second = got[1].check().expect("the duration line becomes a check");
        assert_eq!(second.series, "errors/lambda-rate");
        assert_eq!(second.limit, 10.0);
        assert_eq!(second.duration, 15 * MINUTE);
        assert_eq!(second.text, "エラー率が10%を超える / 15分以上継続");
        assert_eq!(got[2], Parsed::Manual("自動ロールバックが失敗".into()));

        let got = parse_all(&lines(&[
            "P95レイテンシが5秒を超える",
            "1時間以上継続",
            "ユーザーからの苦情",
        ]));
        let c = got[1].check().unwrap();
        assert_eq!(
            (c.series.as_str(), c.limit, c.duration),
            ("latency/p95", 5000.0, HOUR)
        );
        assert!(got[2].check().is_none());
        assert_eq!(c.describe(), "latency/p95 > 5s for 1h");

        let got = parse_all(&lines(&["5xxエラー率が20%を超える", "10分以上継続"]));
        assert_eq!(got[1].check().unwrap().duration, 10 * MINUTE);

        let got = parse_all(&lines(&["error rate over 10%", "continues for 15 minutes"]));
        assert_eq!(got[1].check().unwrap().duration, 15 * MINUTE);
        let got = parse_all(&lines(&["p99 above 3 s", "- sustained for 10 min."]));
        assert_eq!(got[1].check().unwrap().duration, 10 * MINUTE);

        // Nothing (or nothing measurable) before it: left to a human.
        for list in [
            vec!["15分以上継続"],
            vec!["外部APIが停止", "1時間以上継続"],
            vec!["エラー率が10%を超える", "影響範囲が拡大", "15分以上継続"],
            // The condition before already has a duration.
            vec!["エラー率が5%を超えた状態が2分間継続", "15分以上継続"],
        ] {
            let got = parse_all(&lines(&list));
            assert!(got.last().unwrap().check().is_none(), "{list:?}: {got:?}");
        }
        // Not a duration-only line: other words in it.
        let got = parse_all(&lines(&["エラー率が10%を超える", "障害が15分以上継続"]));
        assert!(got[1].check().is_none());
        let got = parse_all(&lines(&["エラー率が10%を超える", "15分以内に解決できない"]));
        assert!(got[1].check().is_none());
        // Two duration lines after one condition: each extends the condition.
        let got = parse_all(&lines(&[
            "エラー率が10%を超える",
            "15分以上継続",
            "1時間以上継続",
        ]));
        assert_eq!(got[2].check().unwrap().duration, HOUR);
    }

    #[test]
    fn the_seed_escalation_lists_parse() {
        // The crypto-watch runbook's escalation lists, section by section: the short condition
        // items as written there, since the point is to understand the team's real phrasings.
        let sections: &[(&str, &[&str], &[bool])] = &[
            (
                "1. Lambda Error Rate Alarm（Critical）",
                &[
                    "エラー率が10%を超える",
                    "15分以上継続",
                    "自動ロールバックが失敗",
                ],
                &[true, true, false],
            ),
            (
                "2. 外部APIエラー率アラーム（High）",
                &[
                    "外部APIが1時間以上停止",
                    "キャッシュデータが古くなりすぎる（1時間以上）",
                ],
                &[false, false],
            ),
            (
                "3. DynamoDBスロットリングアラーム（High）",
                &["スロットリングが30分以上継続", "エラー率が5%を超える"],
                &[true, true],
            ),
            (
                "4. API Gateway 5xx Error Alarm（High）",
                &["5xxエラー率が20%を超える", "10分以上継続"],
                &[true, true],
            ),
            (
                "5. API Latency P95 Alarm（Medium）",
                &[
                    "P95レイテンシが5秒を超える",
                    "1時間以上継続",
                    "ユーザーからの苦情",
                ],
                &[true, true, false],
            ),
            (
                "6. Lambda Throttle Alarm（High）",
                &["スロットルが継続的に発生", "同時実行数上限の引き上げが必要"],
                &[false, false],
            ),
            (
                "レベル1: 運用担当者（初動対応）",
                &["15分以内に解決できない", "影響範囲が拡大", "未知の問題"],
                &[false, false, false],
            ),
        ];
        for (title, conditions, checks) in sections {
            let got = parse_all_in(&lines(conditions), title);
            let kinds: Vec<bool> = got.iter().map(|p| p.check().is_some()).collect();
            assert_eq!(&kinds, checks, "{title}: {got:?}");
            for (p, text) in got.iter().zip(conditions.iter()) {
                assert!(p.text().contains(text), "{p:?} keeps its words");
            }
        }
        let dynamo = parse_all_in(
            &lines(&["スロットリングが30分以上継続"]),
            "3. DynamoDBスロットリングアラーム（High）",
        );
        assert_eq!(dynamo[0].check().unwrap().series, "dynamo/throttles/*");
    }

    // -----------------------------------------------------------------------------------------
    // Evaluation

    const T0: Ts = 1_000_200; // a minute boundary

    fn model(now: Ts) -> Model {
        Model::new(Profile::default(), now, 10)
    }

    fn put(m: &mut Model, key: &str, points: impl IntoIterator<Item = (Ts, f64)>) {
        m.apply(Update::Points {
            key: key.into(),
            points: points.into_iter().collect(),
        });
    }

    fn minute(i: i64) -> Ts {
        T0 + i * MINUTE
    }

    fn the_check(list: &[&str]) -> Check {
        parse_all(&lines(list))
            .last()
            .and_then(|p| p.check().cloned())
            .expect("a check")
    }

    #[test]
    fn met_after_holding_for_the_duration() {
        let c = the_check(&["エラー率が10%を超える", "15分以上継続"]);
        // Minutes 0..=4 fine, 5..=19 above 10% (15 minutes).
        let mut m = model(minute(20) + 30);
        put(
            &mut m,
            "errors/rate",
            (0..20).map(|i| (minute(i), if i < 5 { 2.0 } else { 12.0 })),
        );
        assert_eq!(met_since(&c, &m), Some(minute(5)));
        assert_eq!(holding_since(&c, &m), Some(minute(5)));
        let e = evaluate(&c, &m);
        assert_eq!(e.met_since, Some(minute(5)));
        let cur = e.current.unwrap();
        assert_eq!(
            (cur.series.as_str(), cur.ts, cur.value),
            ("errors/rate", minute(19), 12.0)
        );
        assert_eq!(c.format_value(cur.value), "12%");

        // The instantaneous check is met too, the "below" one is not.
        let now = the_check(&["エラー率が10%を超える"]);
        assert_eq!(met_since(&now, &m), Some(minute(5)));
        assert_eq!(met_since(&the_check(&["エラー率 < 1%"]), &m), None);

        // Recovery at minute 20: not met any more.
        put(&mut m, "errors/rate", [(minute(20), 3.0)]);
        assert_eq!(met_since(&c, &m), None);
        assert_eq!(holding_since(&c, &m), None);
    }

    #[test]
    fn not_yet_long_enough() {
        let c = the_check(&["エラー率が10%を超える", "15分以上継続"]);
        let mut m = model(minute(20));
        put(
            &mut m,
            "errors/rate",
            (0..20).map(|i| (minute(i), if i < 6 { 2.0 } else { 12.0 })),
        );
        assert_eq!(met_since(&c, &m), None, "14 minutes are not 15");
        assert_eq!(holding_since(&c, &m), Some(minute(6)));
        // One more minute and it is met, since the start of the run.
        put(&mut m, "errors/rate", [(minute(20), 15.0)]);
        assert_eq!(met_since(&c, &m), Some(minute(6)));
    }

    #[test]
    fn a_missing_minute_breaks_the_run() {
        let c = the_check(&["P95レイテンシが5秒を超える", "10分以上継続"]);
        let mut m = model(minute(30));
        put(
            &mut m,
            "latency/p95",
            (0..30).filter(|i| *i != 22).map(|i| (minute(i), 6000.0)),
        );
        assert_eq!(met_since(&c, &m), None, "only 7 minutes since the gap");
        assert_eq!(holding_since(&c, &m), Some(minute(23)));
        put(&mut m, "latency/p95", [(minute(22), 6500.0)]);
        assert_eq!(met_since(&c, &m), Some(minute(0)), "gap filled: 30 minutes");
    }

    #[test]
    fn stale_or_missing_series_are_not_met() {
        let c = the_check(&["エラー率が10%を超える"]);
        let mut m = model(minute(10));
        assert_eq!(met_since(&c, &m), None, "no series");
        assert_eq!(current(&c, &m), None);
        put(&mut m, "errors/rate", (0..3).map(|i| (minute(i), 50.0)));
        assert_eq!(met_since(&c, &m), None, "newest point 8 minutes old");
        assert_eq!(current(&c, &m), None);
        m.now = minute(6);
        assert_eq!(met_since(&c, &m), Some(minute(0)));
    }

    #[test]
    fn a_family_is_met_when_any_of_its_series_is() {
        let c = the_check(&["Lambdaのスロットリングが30分以上継続"]);
        assert_eq!(c.series, "lambda/throttles/*");
        let mut m = model(minute(60));
        // a throttled long ago, b for the last 20 minutes, c for the last 40, d never.
        put(
            &mut m,
            "lambda/throttles/a",
            (0..60).map(|i| (minute(i), if i < 35 { 4.0 } else { 0.0 })),
        );
        put(
            &mut m,
            "lambda/throttles/b",
            (0..60).map(|i| (minute(i), if i >= 40 { 2.0 } else { 0.0 })),
        );
        put(
            &mut m,
            "lambda/throttles/d",
            (0..60).map(|i| (minute(i), 0.0)),
        );
        assert_eq!(
            met_since(&c, &m),
            None,
            "runs of different functions do not add up"
        );
        assert_eq!(holding_since(&c, &m), Some(minute(40)));
        put(
            &mut m,
            "lambda/throttles/c",
            (0..60).map(|i| (minute(i), if i >= 20 { 9.0 } else { 0.0 })),
        );
        assert_eq!(met_since(&c, &m), Some(minute(20)));
        let cur = current(&c, &m).unwrap();
        assert_eq!(
            (cur.series.as_str(), cur.value),
            ("lambda/throttles/c", 9.0)
        );
        // Other families do not count.
        put(
            &mut m,
            "dynamo/throttles/t",
            (0..60).map(|i| (minute(i), 100.0)),
        );
        let d = the_check(&["DynamoDB throttling for more than 45 minutes"]);
        assert_eq!(met_since(&d, &m), Some(minute(0)));
        assert_eq!(current(&d, &m).unwrap().series, "dynamo/throttles/t");
    }

    #[test]
    fn counts_are_summed_over_their_window() {
        let c = the_check(&["エラー数 > 10/5分"]);
        let mut m = model(minute(10));
        put(&mut m, "errors/lambda", (0..10).map(|i| (minute(i), 3.0)));
        // 15 per 5 minutes once five minutes are there.
        assert_eq!(met_since(&c, &m), Some(minute(4)));
        assert_eq!(current(&c, &m).unwrap().value, 15.0);
        let per_minute = the_check(&["more than 10 throttles in 1 minute"]);
        put(
            &mut m,
            "lambda/throttles/f",
            (0..10).map(|i| (minute(i), 11.0 - (i % 2) as f64 * 5.0)),
        );
        // Minute 9 has 6: not met; minute 8 had 11.
        assert_eq!(met_since(&per_minute, &m), None);
        put(&mut m, "lambda/throttles/f", [(minute(10), 12.0)]);
        assert_eq!(met_since(&per_minute, &m), Some(minute(10)));
    }

    #[test]
    fn connections_as_a_share_of_max_connections() {
        let c = the_check(&["DB connections over 80%"]);
        assert_eq!(c.measure, Measure::PercentOfMaxConnections);
        let mut m = model(minute(5));
        m.apply(Update::Inventory(Inventory {
            db_instances: vec![DbInstance {
                id: "db-1".into(),
                cluster: "c".into(),
                role: DbRole::Writer,
                class: "db.t4g.medium".into(),
                max_connections: 200,
            }],
            ..Default::default()
        }));
        put(
            &mut m,
            "aurora/connections/db-1",
            (0..5).map(|i| (minute(i), 150.0 + i as f64 * 10.0)),
        );
        // 75%, 80%, 85%, 90%, 95%: above 80% since minute 2.
        assert_eq!(met_since(&c, &m), Some(minute(2)));
        assert_eq!(current(&c, &m).unwrap().value, 95.0);
        // An instance the inventory does not know cannot be judged as a share.
        put(
            &mut m,
            "aurora/connections/unknown",
            (0..5).map(|i| (minute(i), 10_000.0)),
        );
        assert_eq!(met_since(&c, &m), Some(minute(2)));
        let raw = the_check(&["Aurora connections above 900"]);
        assert_eq!(met_since(&raw, &m), Some(minute(0)));
    }

    #[test]
    fn no_requests_for_five_minutes() {
        let c = the_check(&["no requests for 5 minutes"]);
        let mut m = model(minute(10));
        put(
            &mut m,
            "requests/count",
            (0..10).map(|i| (minute(i), if i < 6 { 40.0 } else { 0.0 })),
        );
        assert_eq!(met_since(&c, &m), None, "4 quiet minutes");
        put(&mut m, "requests/count", [(minute(10), 0.0)]);
        assert_eq!(met_since(&c, &m), Some(minute(6)));
    }

    #[test]
    fn describe_and_units() {
        assert_eq!(
            the_check(&["エラー数 > 10/5分"]).describe(),
            "errors/lambda > 10 per 5m"
        );
        assert_eq!(
            the_check(&["P99が800ミリ秒以上の状態が10分以上継続"]).describe(),
            "latency/p99 >= 800ms for 10m"
        );
        assert_eq!(
            the_check(&["DB connections over 80%"]).describe(),
            "aurora/connections/* > 80% of max_connections"
        );
        for s in KNOWN_SERIES {
            assert!(is_known_series(s));
        }
        assert!(!is_known_series("errors/whatever"));
    }

    /// A small deterministic fuzz: random strings from fragments that look like conditions
    /// (and some that do not) never panic, and every check is sound.
    #[test]
    fn random_text_never_panics_and_checks_are_sound() {
        const FRAGMENTS: &[&str] = &[
            "エラー率",
            "5xx",
            "P95",
            "p99",
            "レイテンシ",
            "スロットリング",
            "throttles",
            "接続数",
            "最大接続数",
            "リクエスト",
            "requests",
            "DynamoDB",
            "Lambda",
            "DB",
            "が",
            "を超える",
            "以上",
            "以下",
            "未満",
            "継続",
            "間",
            "over",
            "above",
            "below",
            "for",
            "in",
            "per",
            "minute",
            "more than",
            "no",
            "%",
            "％",
            "秒",
            "分",
            "時間",
            "ms",
            "s",
            "min",
            "h",
            "回",
            "件",
            "倍",
            "x",
            "/",
            "-",
            "〜",
            "(",
            ")",
            "（",
            "）",
            "|",
            ">",
            ">=",
            "<",
            " ",
            " ",
            "0",
            "1",
            "5",
            "10",
            "１５",
            "0.5",
            "99999999999999999999999",
            "1e308",
            "1.",
            ".5",
            "\u{0}",
            "\u{1}",
            "\u{1b}[31m",
            "🙂",
            "e\u{301}",
            "\u{200b}",
            "、",
            "。",
            ":",
            "*",
            "`",
            "_",
            ",",
            "1,000",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % n.max(1)
        };
        let mut m = model(minute(30));
        put(&mut m, "errors/rate", (0..30).map(|i| (minute(i), 20.0)));
        put(
            &mut m,
            "lambda/throttles/f",
            (0..30).map(|i| (minute(i), 3.0)),
        );
        put(
            &mut m,
            "aurora/connections/x",
            (0..30).map(|i| (minute(i), 50.0)),
        );
        let mut checks = 0;
        for _ in 0..4000 {
            let mut list = Vec::new();
            for _ in 0..1 + next(4) {
                let mut s = String::new();
                for _ in 0..next(12) {
                    if next(8) == 0 {
                        // A raw random character, anywhere in the BMP and beyond.
                        s.push(char::from_u32(next(0x2_0000) as u32).unwrap_or('?'));
                    } else {
                        s.push_str(FRAGMENTS[next(FRAGMENTS.len())]);
                    }
                }
                list.push(s);
            }
            let context = FRAGMENTS[next(FRAGMENTS.len())];
            let mut all = parse_all_in(&list, context);
            all.extend(list.iter().map(|l| parse(l)));
            for p in &all {
                if let Parsed::Check(c) = p {
                    checks += 1;
                    assert!(c.limit.is_finite(), "{c:?}");
                    assert!(is_known_series(&c.series), "{c:?}");
                    assert!(
                        c.duration >= 0 && c.window >= 0 && c.window % MINUTE == 0,
                        "{c:?}"
                    );
                    let _ = evaluate(c, &m);
                    let _ = c.describe();
                }
            }
        }
        assert!(checks > 0, "the fragments should sometimes make a check");
    }
}
