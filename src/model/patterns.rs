//! Error-log patterns: error lines grouped by their shape, counted, and compared between two
//! days (the daily check's "new error patterns").
//!
//! A line's pattern is its message with the parts that change from one occurrence to the next
//! masked: UUIDs (`<uuid>`), timestamps and dates (`<time>`), IPv4 addresses (`<ip>`), hex ids
//! (`<hex>`), quoted values (`'<str>'`, `"<str>"`) and numbers (`<n>`). Whitespace runs become
//! one space. So `TypeError at /var/task/index.js:18:24 (request 6f1c…)` and the same error
//! for another request are one pattern.
//!
//! Lines enter through [`Patterns::add_raw`] (raw bytes from a source: parsed and sanitised by
//! [`super::log::parse_line`] first, as every line entering the model is) or
//! [`Patterns::add_entry`]. Only error lines count (see [`is_error`]). Pure: no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::log::{self, LogEntry, LogLevel};
use super::time::Ts;

/// The most distinct patterns kept; lines of further patterns are counted in
/// [`Patterns::overflow`] (hostile or very varied input cannot grow memory without bound).
pub const MAX_PATTERNS: usize = 5_000;
/// A pattern (and its example) is cut to this many characters.
pub const MAX_PATTERN_CHARS: usize = 300;
/// The most log-group names kept per pattern.
pub const MAX_SOURCES: usize = 3;
/// A quoted value longer than this is not treated as one (an unbalanced quote).
const MAX_QUOTED: usize = 400;

/// One pattern and what was seen of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternStat {
    /// The masked message.
    pub pattern: String,
    /// Error lines with this pattern.
    pub count: u64,
    /// The first line's message (sanitised, cut to [`MAX_PATTERN_CHARS`]).
    pub example: String,
    pub first: Ts,
    pub last: Ts,
    /// Where it was seen (log groups), at most [`MAX_SOURCES`].
    pub sources: Vec<String>,
}

/// Error lines grouped by pattern.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Patterns {
    map: BTreeMap<String, PatternStat>,
    /// Error lines counted (all patterns, overflow included).
    pub lines: u64,
    /// Error lines whose pattern was not kept ([`MAX_PATTERNS`] reached).
    pub overflow: u64,
}

/// Is this an error line? Its level is ERROR (or FATAL, CRITICAL...), or it has no level and
/// either its status is 5xx or its message names an error (`error`, `exception`, `failed`,
/// `fatal`, `panic`, `timed out`, whole words, any case).
pub fn is_error(e: &LogEntry) -> bool {
    match e.level {
        LogLevel::Error => true,
        LogLevel::Other => {
            e.field("status")
                .and_then(|s| s.trim().parse::<u32>().ok())
                .is_some_and(|s| (500..600).contains(&s))
                || names_an_error(e.message())
        }
        _ => false,
    }
}

/// Whole-word, case-insensitive error words (`VALIDATION_ERROR` does not count: `_` is part of
/// the word).
fn names_an_error(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    if lower.contains("timed out") {
        return true;
    }
    lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| {
            matches!(
                w,
                "error" | "errors" | "exception" | "failed" | "failure" | "fatal" | "panic"
            ) || (w.ends_with("error") && w.len() > 5 && !w.contains('_'))
                || (w.ends_with("exception") && !w.contains('_'))
        })
}

impl Patterns {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse and sanitise a raw line and count it if it is an error line. Returns whether it
    /// was counted.
    pub fn add_raw(&mut self, ts: Ts, source: &str, bytes: &[u8]) -> bool {
        let e = log::parse_line(ts, source, bytes);
        self.add_entry(&e)
    }

    /// Count an entry if it is an error line ([`is_error`]). Returns whether it was counted.
    pub fn add_entry(&mut self, e: &LogEntry) -> bool {
        if !is_error(e) {
            return false;
        }
        self.add_message(e.ts, e.source(), e.message(), 1);
        true
    }

    /// Count `n` occurrences of an error message that is already sanitised (a [`LogEntry`]'s
    /// message). The message is sanitised again anyway: nothing that could act on a terminal
    /// gets into a pattern whatever the caller passes.
    pub fn add_message(&mut self, ts: Ts, source: &str, message: &str, n: u64) {
        if n == 0 {
            return;
        }
        let clean = log::sanitize(message.as_bytes());
        let source = log::sanitize_source(source);
        let pattern = mask(&clean);
        self.lines += n;
        if let Some(p) = self.map.get_mut(&pattern) {
            p.count += n;
            p.first = p.first.min(ts);
            p.last = p.last.max(ts);
            if p.sources.len() < MAX_SOURCES && !p.sources.contains(&source) {
                p.sources.push(source);
            }
            return;
        }
        if self.map.len() >= MAX_PATTERNS {
            self.overflow += n;
            return;
        }
        self.map.insert(
            pattern.clone(),
            PatternStat {
                pattern,
                count: n,
                example: cut(&clean, MAX_PATTERN_CHARS),
                first: ts,
                last: ts,
                sources: vec![source],
            },
        );
    }

    /// How many distinct patterns.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, pattern: &str) -> Option<&PatternStat> {
        self.map.get(pattern)
    }

    /// All patterns, most frequent first (ties: by pattern).
    pub fn ranked(&self) -> Vec<&PatternStat> {
        let mut v: Vec<&PatternStat> = self.map.values().collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then(a.pattern.cmp(&b.pattern)));
        v
    }

    /// The `n` most frequent patterns.
    pub fn top(&self, n: usize) -> Vec<&PatternStat> {
        let mut v = self.ranked();
        v.truncate(n);
        v
    }

    /// Patterns seen here and not in `before` (new today, absent yesterday), most frequent
    /// first.
    pub fn new_since<'a>(&'a self, before: &Patterns) -> Vec<&'a PatternStat> {
        self.ranked()
            .into_iter()
            .filter(|p| !before.map.contains_key(&p.pattern))
            .collect()
    }
}

/// The first `max` characters of `s`, with `…` when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn is_hex(c: char) -> bool {
    c.is_ascii_hexdigit()
}

/// Length in bytes of a run of chars from `s` satisfying `f` (ASCII only).
fn run(s: &[u8], f: impl Fn(u8) -> bool) -> usize {
    s.iter().take_while(|b| f(**b)).count()
}

/// `8-4-4-4-12` hex digits at the start of `s`.
fn uuid_len(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    for (k, n) in [8, 4, 4, 4, 12].iter().enumerate() {
        if run(&s[i..], |b| b.is_ascii_hexdigit()) < *n {
            return None;
        }
        i += n;
        if k < 4 {
            if s.get(i) != Some(&b'-') {
                return None;
            }
            i += 1;
        }
    }
    Some(i)
}

/// A date (`2026-11-23`, optionally with a time and zone) or a time of day (`09:00:00`,
/// optionally `.123`) at the start of `s`.
fn time_len(s: &[u8]) -> Option<usize> {
    let digits = |s: &[u8], at: usize, n: usize| {
        s.len() >= at + n && s[at..at + n].iter().all(u8::is_ascii_digit)
    };
    let clock = |s: &[u8], at: usize| -> Option<usize> {
        // HH:MM[:SS[.fff]]
        if !(digits(s, at, 2) && s.get(at + 2) == Some(&b':') && digits(s, at + 3, 2)) {
            return None;
        }
        let mut i = at + 5;
        if s.get(i) == Some(&b':') && digits(s, i + 1, 2) {
            i += 3;
            if matches!(s.get(i), Some(b'.') | Some(b',')) {
                let n = run(&s[i + 1..], |b| b.is_ascii_digit());
                if n > 0 {
                    i += 1 + n;
                }
            }
        }
        Some(i)
    };
    if digits(s, 0, 4)
        && s.get(4) == Some(&b'-')
        && digits(s, 5, 2)
        && s.get(7) == Some(&b'-')
        && digits(s, 8, 2)
    {
        let mut i = 10;
        if matches!(s.get(i), Some(b'T') | Some(b' ')) {
            if let Some(end) = clock(s, i + 1) {
                i = end;
                if s.get(i) == Some(&b'Z') {
                    i += 1;
                } else if matches!(s.get(i), Some(b'+') | Some(b'-')) && digits(s, i + 1, 2) {
                    i += 3;
                    if s.get(i) == Some(&b':') && digits(s, i + 1, 2) {
                        i += 3;
                    } else if digits(s, i, 2) {
                        i += 2;
                    }
                }
            }
        }
        return Some(i);
    }
    clock(s, 0).filter(|&end| end >= 8)
}

/// `d.d.d.d` (each 1-3 digits) at the start of `s`.
fn ip_len(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    for k in 0..4 {
        let n = run(&s[i..], |b| b.is_ascii_digit());
        if n == 0 || n > 3 {
            return None;
        }
        i += n;
        if k < 3 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    Some(i)
}

/// A hex id at the start of `s`: `0x` and hex digits, or a word of at least 8 hex digits with
/// at least one digit in it (so `deadbeef` words are not ids but `5f3c9a1e` is).
fn hex_len(s: &[u8]) -> Option<usize> {
    if s.len() > 2 && s[0] == b'0' && (s[1] == b'x' || s[1] == b'X') {
        let n = run(&s[2..], |b| b.is_ascii_hexdigit());
        if n > 0 {
            return Some(2 + n);
        }
    }
    let n = run(s, |b| b.is_ascii_hexdigit());
    let word_ends = s.get(n).is_none_or(|b| !b.is_ascii_alphanumeric());
    (n >= 8
        && word_ends
        && s[..n].iter().any(u8::is_ascii_digit)
        && s[..n].iter().any(|b| b.is_ascii_alphabetic()))
    .then_some(n)
}

/// The pattern of a (sanitised) message: see the module documentation.
pub fn mask(message: &str) -> String {
    let bytes = message.as_bytes();
    let mut out = String::with_capacity(message.len().min(MAX_PATTERN_CHARS * 4));
    let mut i = 0;
    let mut prev: Option<char> = None;
    let mut chars_out = 0usize;
    let mut space = false;
    while i < bytes.len() && chars_out < MAX_PATTERN_CHARS {
        let rest = &bytes[i..];
        let c = message[i..].chars().next().unwrap_or(' ');
        let boundary = prev.is_none_or(|p| !p.is_alphanumeric());
        let mut token: Option<(&str, usize)> = None;
        if c.is_whitespace() {
            space = true;
            prev = Some(' ');
            i += c.len_utf8();
            continue;
        }
        if boundary && is_hex(c) {
            if let Some(n) = uuid_len(rest) {
                token = Some(("<uuid>", n));
            } else if let Some(n) = time_len(rest) {
                token = Some(("<time>", n));
            } else if let Some(n) = ip_len(rest) {
                token = Some(("<ip>", n));
            } else if let Some(n) = hex_len(rest) {
                token = Some(("<hex>", n));
            }
        }
        if token.is_none() && (c == '"' || (c == '\'' && boundary)) {
            let q = c as u8;
            let mut j = 1;
            let mut closed = None;
            while j < rest.len() && j <= MAX_QUOTED {
                match rest[j] {
                    b'\\' => j += 2,
                    b if b == q => {
                        closed = Some(j + 1);
                        break;
                    }
                    _ => j += 1,
                }
            }
            // A quoted string followed by `:` is a key (JSON, `key: value`): kept as it is.
            let is_key = closed.is_some_and(|n| {
                rest[n..]
                    .iter()
                    .find(|b| !b.is_ascii_whitespace())
                    .is_some_and(|b| *b == b':')
            });
            match (closed, is_key) {
                (Some(n), false) => {
                    token = Some((if q == b'"' { "\"<str>\"" } else { "'<str>'" }, n));
                }
                (Some(n), true) => {
                    // Quotes are ASCII: `i + n` is on a char boundary.
                    let key = &message[i..i + n];
                    if space && !out.is_empty() {
                        out.push(' ');
                        chars_out += 1;
                    }
                    space = false;
                    out.push_str(key);
                    chars_out += key.chars().count();
                    i += n;
                    prev = Some('"');
                    continue;
                }
                _ => {}
            }
        }
        if token.is_none() && c.is_ascii_digit() {
            let mut n = run(rest, |b| b.is_ascii_digit());
            if rest.get(n) == Some(&b'.') && rest.get(n + 1).is_some_and(u8::is_ascii_digit) {
                n += 1 + run(&rest[n + 1..], |b| b.is_ascii_digit());
            }
            token = Some(("<n>", n));
        }
        if space && !out.is_empty() {
            out.push(' ');
            chars_out += 1;
        }
        space = false;
        match token {
            Some((t, n)) => {
                out.push_str(t);
                chars_out += t.chars().count();
                // Only ASCII was consumed: `i + n` stays on a char boundary.
                i += n;
                // Like a word character: what follows directly is not at a word start.
                prev = Some('0');
            }
            None => {
                out.push(c);
                chars_out += 1;
                i += c.len_utf8();
                prev = Some(c);
            }
        }
    }
    if i < bytes.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_parts_that_change() {
        let cases: &[(&str, &str)] = &[
            (
                "TypeError: Cannot read properties of undefined (reading 'price')",
                "TypeError: Cannot read properties of undefined (reading '<str>')",
            ),
            (
                "2026-11-23T09:00:00.042Z 6f1c2a10-0000-4000-8000-000000000001 Task timed out after 25.03 seconds",
                "<time> <uuid> Task timed out after <n> seconds",
            ),
            (
                "timeout acquiring a connection from the pool after 5000 ms",
                "timeout acquiring a connection from the pool after <n> ms",
            ),
            ("user u-12345 from 203.0.113.7", "user u-<n> from <ip>"),
            ("ptr 0x7ffde4a0 in frame 5f3c9a1e2b", "ptr <hex> in frame <hex>"),
            ("deadbeef cafebabe words stay", "deadbeef cafebabe words stay"),
            (
                "at Runtime.handler (/var/task/index.js:18:24)",
                "at Runtime.handler (/var/task/index.js:<n>:<n>)",
            ),
            ("key \"a \\\" b\" done", "key \"<str>\" done"),
            ("can't read it's", "can't read it's"),
            ("at 09:15:02.123 and 2026-11-22", "at <time> and <time>"),
            ("  many    spaces\there  ", "many spaces here"),
            ("v42 on http2", "v<n> on http<n>"),
            (
                r#"{"requestId":"abc","status":502,"integrationError":"Internal server error"}"#,
                r#"{"requestId":"<str>","status":<n>,"integrationError":"<str>"}"#,
            ),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(mask(input), *want, "{input:?}");
        }
    }

    #[test]
    fn same_error_for_different_requests_is_one_pattern() {
        let mut p = Patterns::new();
        for (i, id) in [
            "6f1c2a10-0000-4000-8000-000000000001",
            "0b7e8f21-9c3d-4e5f-a6b7-c8d9e0f1a2b3",
        ]
        .iter()
        .enumerate()
        {
            let line = format!(
                r#"{{"level":"ERROR","message":"DynamoDB request failed after 3 retries","requestId":"{id}","userId":"u-1234{i}"}}"#
            );
            assert!(p.add_raw(100 + i as Ts, "/aws/lambda/api", line.as_bytes()));
        }
        assert_eq!(p.len(), 1);
        let top = p.top(5);
        assert_eq!(top[0].count, 2);
        assert_eq!(top[0].pattern, "DynamoDB request failed after <n> retries");
        assert_eq!((top[0].first, top[0].last), (100, 101));
        assert_eq!(top[0].sources, vec!["/aws/lambda/api".to_string()]);
    }

    #[test]
    fn which_lines_are_errors() {
        let cases: &[(&str, bool)] = &[
            (r#"{"level":"ERROR","message":"boom"}"#, true),
            (r#"{"level":"WARN","message":"VALIDATION_ERROR unsupported symbol"}"#, false),
            (r#"{"level":"INFO","message":"request completed"}"#, false),
            (r#"{"status":502,"integrationError":"Internal server error"}"#, true),
            (r#"{"status":200,"path":"/prices"}"#, false),
            ("START RequestId: 6f1c2a10-0000-4000-8000-000000000001 Version: 41", false),
            (
                "2026-11-23T09:00:00.000Z\t6f1c2a10-0000-4000-8000-000000000001 Task timed out after 25.03 seconds",
                true,
            ),
            (
                "(abc) Execution failed due to configuration error: TooManyRequestsException: Rate Exceeded.",
                true,
            ),
            ("(abc) Method completed with status: 503", false),
            ("something VALIDATION_ERROR happened", false),
            ("plain line mentioning a TypeError here", true),
            ("ERROR: disk full", true),
        ];
        for (line, want) in cases {
            let e = log::parse_line(0, "g", line.as_bytes());
            assert_eq!(
                is_error(&e),
                *want,
                "{line:?} parsed as {:?} {:?}",
                e.level,
                e.message()
            );
        }
    }

    #[test]
    fn new_patterns_are_those_absent_before() {
        let mut yesterday = Patterns::new();
        let mut today = Patterns::new();
        yesterday.add_message(1, "g", "failed to read session 123", 4);
        today.add_message(2, "g", "failed to read session 456", 2);
        today.add_message(3, "g", "TypeError: x is undefined", 7);
        today.add_message(4, "g", "ERROR: disk 1 full", 1);
        let new: Vec<&str> = today
            .new_since(&yesterday)
            .iter()
            .map(|p| p.pattern.as_str())
            .collect();
        assert_eq!(new, ["TypeError: x is undefined", "ERROR: disk <n> full"]);
        assert_eq!(today.lines, 10);
        assert!(yesterday.new_since(&yesterday).is_empty());
        assert_eq!(
            yesterday.new_since(&Patterns::new()).len(),
            1,
            "against nothing, everything is new"
        );
    }

    #[test]
    fn hostile_input_leaves_no_escape_sequences() {
        let hostile: &[&[u8]] = &[
            b"ERROR \x1b]0;owned\x07\x1b[31mred\x1b[0m \x1b[2J\x1b[H done",
            "ERROR bidi \u{202e}gpj.exe\u{202c} and \u{2067}isolate\u{2069}".as_bytes(),
            b"ERROR nul \x00 bell \x07 del \x7f c1 \xc2\x9b31m csi",
            b"{\"level\":\"ERROR\",\"message\":\"json \\u001b[2J escaped \\u009b\"}",
            b"ERROR invalid utf8 \xff\xfe\xfd",
            b"ERROR line\nbreak\rcarriage",
            b"ERROR unterminated quote \"\x1b[31m never closed",
        ];
        let mut p = Patterns::new();
        for (i, line) in hostile.iter().enumerate() {
            assert!(p.add_raw(i as Ts, "g\x1b[31m", line), "{line:?}");
        }
        // Directly, bypassing the parser: still sanitised.
        p.add_message(
            99,
            "src\u{202e}",
            "ERROR raw \x1b[2J\x1b]8;;http://x\x07link",
            1,
        );
        let bad = |s: &str| s.chars().any(log::never_on_screen);
        assert!(!p.is_empty());
        for s in p.ranked() {
            assert!(!bad(&s.pattern), "{:?}", s.pattern);
            assert!(!bad(&s.example), "{:?}", s.example);
            for src in &s.sources {
                assert!(!bad(src), "{src:?}");
            }
        }
    }

    #[test]
    fn huge_and_varied_input_is_bounded() {
        let mut p = Patterns::new();
        let long = format!("ERROR {}", "x".repeat(100_000));
        p.add_raw(0, "g", long.as_bytes());
        let s = p.ranked()[0];
        assert!(s.pattern.chars().count() <= MAX_PATTERN_CHARS + 1);
        assert!(s.example.chars().count() <= MAX_PATTERN_CHARS + 1);
        for i in 0..(MAX_PATTERNS + 10) {
            // Distinct words (numbers would be masked into one pattern).
            let word: String = format!("{i:x}")
                .chars()
                .map(|c| (b'g' + c.to_digit(16).unwrap_or(0) as u8) as char)
                .collect();
            p.add_message(1, "g", &format!("ERROR kind {word}"), 1);
        }
        assert_eq!(p.len(), MAX_PATTERNS);
        assert_eq!(p.overflow, 11);
        assert_eq!(p.lines, MAX_PATTERNS as u64 + 11);
    }
}
