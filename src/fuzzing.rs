//! The checks behind the fuzz targets (`fuzz/fuzz_targets/*.rs`), as plain functions so that
//! the stable test suite (`tests/fuzz_corpus.rs`) runs the committed corpus and the regression
//! inputs through exactly the same assertions the fuzzer does. Each `check_*` takes arbitrary
//! bytes and panics (with the input) when an invariant is broken; it never returns an error.
//!
//! Not part of the API: hidden from the docs and free to change.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthChar;

use crate::config;
use crate::keymap::{KeyCombo, Keymap};
use crate::model::log::{
    self, never_on_screen, LogBuffer, MAX_FIELD_WIDTH, MAX_LINE_BYTES, MAX_LINE_WIDTH,
    MAX_MARKER_WIDTH,
};
use crate::runbooks;

/// The file name the loaders' checks give as the origin; every error must name it.
pub const ORIGIN: &str = "fuzz-input.toml";

/// The runbook check's origin.
pub const RUNBOOK_ORIGIN: &str = "fuzz-runbook.md";

/// Why `s` could act on a terminal or hide text, if it could: the first char that must never
/// reach the screen from a log line (C0 controls including TAB and line breaks, DEL, C1
/// controls, bidi overrides and other invisible format characters).
pub fn terminal_hazard(s: &str) -> Option<(usize, char)> {
    s.char_indices().find(|&(_, c)| never_on_screen(c))
}

fn assert_clean(what: &str, s: &str, max_width: usize, input: &[u8]) {
    if let Some((at, c)) = terminal_hazard(s) {
        panic!("{what} has {c:?} at byte {at}: {s:?}\ninput: {input:?}");
    }
    // The sanitiser counts widths char by char (a presentation selector may add a column it
    // does not count here), so the char-by-char sum is at most what it counted: the cap plus
    // the cut marker.
    let width: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    assert!(
        width <= max_width + MAX_MARKER_WIDTH,
        "{what} is {width} columns wide (cap {max_width}): {s:?}\ninput: {input:?}"
    );
    assert!(
        s.len() <= MAX_LINE_BYTES.max(max_width) + MAX_MARKER_WIDTH,
        "{what} is {} bytes (cap {MAX_LINE_BYTES}): {s:?}\ninput: {input:?}",
        s.len()
    );
}

/// Log lines: the sanitiser and the ingest parser ([`log::parse_line`], as the AWS source
/// calls it through a [`LogBuffer`]).
///
/// The first byte picks how much of the rest is the source (log group) name, so the source
/// path is fuzzed too. Checks: no panic; message, fields and source hold no control, C1, bidi
/// or other invisible format character; widths and byte lengths stay within the caps (plus the
/// cut marker); sanitising is idempotent for output that was not cut; the buffer's byte
/// accounting matches its entries.
pub fn check_log_line(data: &[u8]) {
    let (source, line) = match data.split_first() {
        Some((&n, rest)) => rest.split_at(usize::from(n % 64).min(rest.len())),
        None => (&[][..], data),
    };
    let source = String::from_utf8_lossy(source);

    let s = log::sanitize(line);
    assert_clean("sanitize", &s, MAX_LINE_WIDTH, data);
    if !s.contains(" …[+") {
        assert_eq!(
            log::sanitize(s.as_bytes()),
            s,
            "sanitize is not idempotent\ninput: {data:?}"
        );
    }
    let narrow = log::sanitize_with_limit(line, 10);
    assert_clean("sanitize_with_limit(10)", &narrow, 10, data);

    let e = log::parse_line(0, &source, line);
    assert_clean("message", e.message(), MAX_LINE_WIDTH, data);
    assert_clean("source", e.source(), MAX_FIELD_WIDTH, data);
    for (k, v) in e.fields() {
        assert!(
            log::FIELD_LABELS.contains(&k),
            "unexpected label {k:?}\ninput: {data:?}"
        );
        assert_clean(k, v, MAX_FIELD_WIDTH, data);
    }
    assert!(e.field_count() <= log::FIELD_LABELS.len());

    // Through the buffer, as ingest does: shared source, budget, byte accounting.
    let mut buf = LogBuffer::with_limits(4, 4096);
    for ts in 0..3 {
        let src = buf.source(&source);
        let e = log::parse_line_shared(ts, src, line);
        buf.push(e);
    }
    let sum: usize = buf.iter().map(|e| e.approx_bytes()).sum();
    assert_eq!(buf.approx_bytes(), sum, "byte accounting\ninput: {data:?}");
    assert!(buf.len() <= 3 && buf.len() + buf.dropped as usize == 3);
    for e in buf.iter() {
        assert_clean("buffered source", e.source(), MAX_FIELD_WIDTH, data);
    }
}

fn line_count(text: &str) -> usize {
    text.bytes().filter(|b| *b == b'\n').count() + 1
}

/// An error from a file loader: it names the file, and a line that exists in the text, in its
/// message (`"<kind> <origin>, line N: ..."`). `lineless_ok` lists message prefixes allowed
/// without a line: errors about the whole file (a required table missing).
fn check_file_error(
    shown: &str,
    origin: &str,
    line: Option<usize>,
    message: &str,
    text: &str,
    lineless_ok: &[&str],
) {
    assert!(
        shown.contains(origin),
        "error does not name the file: {shown:?}\ntext: {text:?}"
    );
    assert!(!message.trim().is_empty(), "empty message\ntext: {text:?}");
    match line {
        Some(l) => {
            assert!(
                (1..=line_count(text)).contains(&l),
                "line {l} is not in the text ({} lines): {shown:?}\ntext: {text:?}",
                line_count(text)
            );
            let mut want = String::new();
            let _ = write!(want, ", line {l}:");
            assert!(
                shown.contains(&want),
                "error does not show its line: {shown:?}"
            );
        }
        None => assert!(
            lineless_ok.iter().any(|p| message.starts_with(p)),
            "error names no line: {shown:?}\ntext: {text:?}"
        ),
    }
}

/// The profile / service loader ([`config::parse_service`]). Checks: no panic; an error names
/// the file and a line of the text (only "no `[service]` table", about the whole file, has
/// none); a profile that loads has the factors the loader promises.
pub fn check_profile(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match config::parse_service(&text, ORIGIN) {
        Ok(s) => {
            let p = &s.profile;
            assert!(
                p.surge_factor > 1.0,
                "surge_factor {}\ntext: {text:?}",
                p.surge_factor
            );
            assert!(
                p.drop_factor > 0.0 && p.drop_factor < 1.0,
                "drop_factor {}\ntext: {text:?}",
                p.drop_factor
            );
            assert!(!p.name.is_empty() || text.contains("name"));
        }
        Err(e) => check_file_error(
            &e.to_string(),
            &e.origin,
            e.line,
            &e.message,
            &text,
            &["no `[service]` table"],
        ),
    }
}

/// The keymap loader ([`Keymap::parse`] and [`Keymap::overlay`] on the default keymap).
/// Checks: no panic; an error names the file and a line of the text (only "no `[keys]`
/// table" has none); every key of a keymap that loads prints in keymap syntax that parses
/// back to the same key.
pub fn check_keymap(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let check_err = |e: crate::keymap::KeymapError| {
        check_file_error(
            &e.to_string(),
            &e.origin,
            e.line,
            &e.message,
            &text,
            &["no `[keys]` table"],
        )
    };
    match Keymap::parse(&text, ORIGIN) {
        Ok(map) => {
            for key in map.bindings.keys() {
                let written = key.to_string();
                assert_eq!(
                    KeyCombo::parse(&written).as_ref(),
                    Ok(key),
                    "{key:?} prints as {written:?}\ntext: {text:?}"
                );
            }
        }
        Err(e) => check_err(e),
    }
    let mut map = Keymap::builtin_default();
    if let Err(e) = map.overlay(&text, ORIGIN) {
        check_err(e);
    }
}

/// The runbook reader ([`runbooks::parse_bytes`]). Checks: no panic; non-UTF-8 input is an
/// error naming the file and the line of the first bad byte; a runbook that loads has
/// non-empty unique section ids, links and branches that resolve, heading lines inside the
/// text, and says something (sections or warnings) about any non-blank text.
pub fn check_runbook(data: &[u8]) {
    match runbooks::parse_bytes(data, "fuzz", RUNBOOK_ORIGIN) {
        Err(e) => {
            let shown = e.to_string();
            let valid = match std::str::from_utf8(data) {
                Ok(_) => panic!("valid UTF-8 rejected: {shown}\ninput: {data:?}"),
                Err(u) => u.valid_up_to(),
            };
            let want = data[..valid].iter().filter(|b| **b == b'\n').count() + 1;
            assert_eq!(e.line, Some(want), "{shown}\ninput: {data:?}");
            assert!(
                shown.starts_with(&format!("{RUNBOOK_ORIGIN}:{want}: ")),
                "error does not name the file and line: {shown:?}"
            );
        }
        Ok(rb) => {
            let text = std::str::from_utf8(data).expect("parsed, so UTF-8");
            // The reader takes a lone CR for a line break too (old Mac files), as editors
            // that number such lines do.
            let lines = text.replace("\r\n", "\n").replace('\r', "\n");
            let lines = line_count(&lines);
            let mut ids: Vec<&str> = rb.sections.iter().map(|s| s.id.as_str()).collect();
            assert!(
                ids.iter().all(|i| !i.is_empty()),
                "empty id\ntext: {text:?}"
            );
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(
                ids.len(),
                rb.sections.len(),
                "duplicate section ids\ntext: {text:?}"
            );
            for s in &rb.sections {
                assert!(s.line <= lines, "heading line {} of {lines}", s.line);
                for l in &s.links {
                    assert!(
                        rb.section(&l.target).is_some(),
                        "link to missing {:?}\ntext: {text:?}",
                        l.target
                    );
                    assert!(l.step.is_none_or(|i| i < s.steps.len()));
                }
                for b in &s.branches {
                    assert!(rb.section(&b.target).is_some(), "branch to {:?}", b.target);
                    assert!(
                        b.step.is_some_and(|i| i < s.steps.len()),
                        "branch step out of range\ntext: {text:?}"
                    );
                }
            }
            if !text.trim().is_empty() {
                assert!(
                    !rb.sections.is_empty() || !rb.warnings.is_empty(),
                    "text read as nothing\ntext: {text:?}"
                );
            }
        }
    }
}

/// A target's check.
pub type Check = fn(&[u8]);

/// The targets by name (the directory names under `fuzz/corpus/`).
pub const TARGETS: [(&str, Check); 4] = [
    ("log_line", check_log_line),
    ("runbook", check_runbook),
    ("profile", check_profile),
    ("keymap", check_keymap),
];

/// xorshift64*: a small deterministic generator for the tests that mutate inputs (the fuzz
/// corpus replay, the runbook reader's property tests), without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}
