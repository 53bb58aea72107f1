//! The log tail's model: sanitising what enters, parsing JSON and plain lines, and a bounded
//! ring buffer with filters.
//!
//! Every byte that comes from a log reaches the screen only through [`sanitize`]: escape
//! sequences (CSI, OSC, DCS, ...), C0/C1 controls and bidi overrides are removed, tabs are
//! expanded and very long lines are cut with a marker.
//!
//! # Sanitising rules (decisions)
//!
//! - Input is decoded as UTF-8; every invalid sequence becomes one U+FFFD (like
//!   [`String::from_utf8_lossy`]), never a panic.
//! - Escape sequences are parsed the way a VT-style terminal would (ESC, 7-bit and 8-bit C1
//!   introducers, CAN/SUB abort, ESC inside a string starts a new sequence) and dropped whole,
//!   payload included: an OSC 8 hyperlink keeps its visible text but never its URL. An
//!   unterminated sequence swallows the rest of the line.
//! - Independently of the parser state, nothing below U+0020, no DEL and no U+0080–U+009F is
//!   ever emitted, so the output cannot contain anything a terminal would act on.
//! - Line breaks inside a line (LF, CR, VT, FF, NEL, U+2028, U+2029) become the visible marker
//!   [`LINE_BREAK`] (` ⏎ `); a run of them (e.g. CRLF) gives one marker, and breaks at the start
//!   or end of the line are dropped. The result is always ONE display line.
//! - Bidi controls and invisible format characters are dropped, including the zero-width
//!   joiner/non-joiner: an emoji ZWJ sequence then shows as its separate parts, which keeps
//!   widths predictable for the layout (terminals disagree on how wide ZWJ sequences are).
//!   Variation selectors are kept.
//! - Tabs expand to spaces up to the next multiple of 8 display columns.
//! - Lines wider than [`MAX_LINE_WIDTH`] columns (or longer than [`MAX_LINE_BYTES`] bytes, which
//!   bounds floods of zero-width combining marks) are cut and get the marker ` …[+N bytes]`,
//!   where N counts the input bytes not shown. Work stops at the cut, so a 1 MB line costs
//!   about as much as a 2000-column one.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use unicode_width::UnicodeWidthChar;

use super::time::Ts;

/// Log levels, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    /// No recognisable level.
    Other,
}

impl LogLevel {
    /// Recognise a level word, case-insensitively: ERROR/ERR/FATAL/CRITICAL/CRIT/PANIC →
    /// Error, WARN/WARNING → Warn, INFO/NOTICE → Info, DEBUG/TRACE → Debug.
    pub fn from_word(word: &str) -> Option<LogLevel> {
        const WORDS: &[(&str, LogLevel)] = &[
            ("error", LogLevel::Error),
            ("err", LogLevel::Error),
            ("fatal", LogLevel::Error),
            ("critical", LogLevel::Error),
            ("crit", LogLevel::Error),
            ("panic", LogLevel::Error),
            ("warn", LogLevel::Warn),
            ("warning", LogLevel::Warn),
            ("info", LogLevel::Info),
            ("notice", LogLevel::Info),
            ("debug", LogLevel::Debug),
            ("trace", LogLevel::Debug),
        ];
        let w = word.trim();
        WORDS
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(w))
            .map(|(_, l)| *l)
    }

    /// A short fixed-width-friendly label: `ERROR`, `WARN`, `INFO`, `DEBUG`, `-`.
    pub fn label(self) -> &'static str {
        match self {
            LogLevel::Error => "ERROR",
            LogLevel::Warn => "WARN",
            LogLevel::Info => "INFO",
            LogLevel::Debug => "DEBUG",
            LogLevel::Other => "-",
        }
    }
}

/// One log line after sanitising and parsing.
///
/// Compact: 72 bytes inline plus one heap block holding the message and the field values back
/// to back; the source is an [`Arc<str>`] shared by every line of a log group (see
/// [`LogBuffer::source`]), and the labels the parser produces are indexes into
/// [`FIELD_LABELS`]. Read it through [`message`](Self::message), [`source`](Self::source),
/// [`fields`](Self::fields) and [`field`](Self::field); build it with [`LogEntry::new`] or
/// [`parse_line`].
#[derive(Clone, PartialEq)]
pub struct LogEntry {
    /// Arrival order, unique within a buffer.
    pub seq: u64,
    pub ts: Ts,
    /// Where it came from (log group or its short name), sanitised.
    source: Arc<str>,
    /// The message, then each field's part: its value, preceded by its label when the label
    /// is not one of [`FIELD_LABELS`].
    text: Box<str>,
    /// Byte length of the message (`[0]`) and of each field's part of `text`.
    lens: [u16; MAX_FIELDS + 1],
    /// Per field: an index into [`FIELD_LABELS`], or [`CUSTOM_LABEL`] plus the byte length of
    /// a label stored in `text`; [`NO_FIELD`] ends the list.
    labels: [u8; MAX_FIELDS],
    pub level: LogLevel,
}

/// The most fields a [`LogEntry`] holds (the parser produces at most `FIELD_LABELS.len()`).
pub const MAX_FIELDS: usize = 7;

/// The longest label, in bytes, a field outside [`FIELD_LABELS`] may have.
pub const MAX_CUSTOM_LABEL: usize = 126;

/// A message or a field (value plus custom label) is cut to this many bytes in a [`LogEntry`].
/// The parser's output never comes near it ([`MAX_LINE_BYTES`] plus the cut marker).
pub const MAX_PART_BYTES: usize = u16::MAX as usize;

const NO_FIELD: u8 = u8::MAX;
const CUSTOM_LABEL: u8 = 0x80;

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
fn cut_to(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl LogEntry {
    /// An entry (sequence number 0; [`LogBuffer::push`] numbers it) from text that is already
    /// sanitised: the parser's output, or test data. Nothing here sanitises.
    ///
    /// Labels from [`FIELD_LABELS`] (everything the parser produces) cost nothing; any other
    /// label is kept with its value (cut to [`MAX_CUSTOM_LABEL`] bytes). Fields beyond
    /// [`MAX_FIELDS`] are dropped, and the message and each field are cut to
    /// [`MAX_PART_BYTES`] bytes; both are caller errors and assert in debug builds.
    pub fn new(
        ts: Ts,
        source: Arc<str>,
        level: LogLevel,
        message: &str,
        fields: &[(&str, &str)],
    ) -> LogEntry {
        debug_assert!(fields.len() <= MAX_FIELDS, "{} fields", fields.len());
        let fields = &fields[..fields.len().min(MAX_FIELDS)];
        debug_assert!(message.len() <= MAX_PART_BYTES, "message too long");
        let message = cut_to(message, MAX_PART_BYTES);
        let mut text = String::with_capacity(
            message.len()
                + fields
                    .iter()
                    .map(|(k, v)| {
                        let custom = if FIELD_LABELS.contains(k) { 0 } else { k.len() };
                        (custom + v.len()).min(MAX_PART_BYTES)
                    })
                    .sum::<usize>(),
        );
        let mut lens = [0u16; MAX_FIELDS + 1];
        let mut labels = [NO_FIELD; MAX_FIELDS];
        text.push_str(message);
        lens[0] = message.len() as u16;
        for (i, (k, v)) in fields.iter().enumerate() {
            let before = text.len();
            match FIELD_LABELS.iter().position(|l| l == k) {
                Some(idx) => {
                    debug_assert!(v.len() <= MAX_PART_BYTES, "{k} too long");
                    labels[i] = idx as u8;
                    text.push_str(cut_to(v, MAX_PART_BYTES));
                }
                None => {
                    debug_assert!(k.len() <= MAX_CUSTOM_LABEL, "label {k:?} too long");
                    debug_assert!(k.len() + v.len() <= MAX_PART_BYTES, "{k} too long");
                    let k = cut_to(k, MAX_CUSTOM_LABEL);
                    labels[i] = CUSTOM_LABEL + k.len() as u8;
                    text.push_str(k);
                    text.push_str(cut_to(v, MAX_PART_BYTES - k.len()));
                }
            }
            lens[i + 1] = (text.len() - before) as u16;
        }
        LogEntry {
            seq: 0,
            ts,
            source,
            text: text.into_boxed_str(),
            lens,
            labels,
            level,
        }
    }

    /// Where it came from (log group or its short name), sanitised.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The shared source string (cheap to clone).
    pub fn source_arc(&self) -> &Arc<str> {
        &self.source
    }

    /// The message (the JSON `message`/`msg` field, or the plain line), sanitised.
    pub fn message(&self) -> &str {
        &self.text[..usize::from(self.lens[0])]
    }

    /// Key fields pulled from JSON lines (requestId, userId, error code, ...), sanitised, as
    /// (label, value) in order. The parser's labels are [`FIELD_LABELS`], in that order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut start = usize::from(self.lens[0]);
        self.labels
            .iter()
            .zip(&self.lens[1..])
            .take_while(|(l, _)| **l != NO_FIELD)
            .map(move |(&l, &len)| {
                let part = &self.text[start..start + usize::from(len)];
                start += usize::from(len);
                if l >= CUSTOM_LABEL {
                    part.split_at(usize::from(l - CUSTOM_LABEL))
                } else {
                    (FIELD_LABELS[usize::from(l)], part)
                }
            })
    }

    /// How many fields there are.
    pub fn field_count(&self) -> usize {
        self.labels.iter().take_while(|l| **l != NO_FIELD).count()
    }

    /// The value of a field by its label (see [`FIELD_LABELS`]).
    pub fn field(&self, label: &str) -> Option<&str> {
        self.fields().find(|(k, _)| *k == label).map(|(_, v)| v)
    }

    /// Approximate heap plus inline size in bytes, for the buffer's memory budget: the inline
    /// struct (the buffer's slot) and the text block. The source is shared by the lines of a
    /// log group (see [`LogBuffer::source`]) and not counted per line.
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<LogEntry>() + self.text.len()
    }
}

impl std::fmt::Debug for LogEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Fields<'a>(&'a LogEntry);
        impl std::fmt::Debug for Fields<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_list().entries(self.0.fields()).finish()
            }
        }
        f.debug_struct("LogEntry")
            .field("seq", &self.seq)
            .field("ts", &self.ts)
            .field("source", &self.source())
            .field("level", &self.level)
            .field("message", &self.message())
            .field("fields", &Fields(self))
            .finish()
    }
}

/// What the log pane shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Show only lines at this level or more severe.
    pub min_level: Option<LogLevel>,
    /// Case-insensitive substring over message, fields and source.
    pub text: String,
}

/// A bounded ring buffer of log entries.
///
/// Bounded twice: by the number of entries (`capacity`) and by an approximate byte budget
/// (`max_bytes`, see [`LogEntry::approx_bytes`]); the oldest entries go first either way and
/// are counted in `dropped`.
#[derive(Debug, Clone)]
pub struct LogBuffer {
    entries: VecDeque<LogEntry>,
    capacity: usize,
    next_seq: u64,
    /// Lines pushed out of the buffer since the start.
    pub dropped: u64,
    bytes: usize,
    max_bytes: usize,
    /// Recently seen sources, most recent first: (name as given, sanitised shared name).
    sources: Vec<(Box<str>, Arc<str>)>,
}

/// How many distinct sources [`LogBuffer::source`] remembers (lines come from a handful of
/// log groups; a miss only costs one string per line).
pub const SOURCE_CACHE: usize = 16;

pub const DEFAULT_LOG_CAPACITY: usize = 100_000;

/// Default memory budget of a [`LogBuffer`]: 128 MiB. Without it, 100k lines of maximum width
/// could hold more than a gigabyte.
pub const DEFAULT_LOG_BYTES: usize = 128 * 1024 * 1024;

/// Lines wider than this many display columns are cut.
pub const MAX_LINE_WIDTH: usize = 2000;

/// Lines longer than this many bytes (after sanitising) are cut, whatever their width.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// Field values and sources are cut at this width.
pub const MAX_FIELD_WIDTH: usize = 256;

/// The widest the cut marker (` …[+N bytes]`) can be.
pub const MAX_MARKER_WIDTH: usize = 32;

/// What a line break inside a line becomes.
pub const LINE_BREAK: &str = " ⏎ ";

/// Labels of the key fields, in the order they appear in [`LogEntry::fields`].
pub const FIELD_LABELS: [&str; 5] = ["requestId", "userId", "code", "status", "duration"];

const TAB_STOP: usize = 8;

// ---------------------------------------------------------------------------------------------
// Sanitising

/// Remove everything from a log line that could act on a terminal and make it one display line.
pub fn sanitize(bytes: &[u8]) -> String {
    sanitize_with_limit(bytes, MAX_LINE_WIDTH)
}

/// [`sanitize`] with another width cap (the cut marker comes on top of `max_width`).
pub fn sanitize_with_limit(bytes: &[u8], max_width: usize) -> String {
    let max_bytes = MAX_LINE_BYTES.max(max_width);
    // Fast path: short, printable ASCII needs no work beyond a copy.
    if bytes.len() <= max_width && bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        // All bytes are ASCII, so this is valid UTF-8.
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut s = Sanitizer::new(max_width, max_bytes, bytes.len());
    let mut offset = 0;
    'chunks: for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        for (i, c) in valid.char_indices() {
            if !s.feed(c, offset + i) {
                break 'chunks;
            }
        }
        offset += valid.len();
        if !chunk.invalid().is_empty() {
            if !s.feed('\u{FFFD}', offset) {
                break;
            }
            offset += chunk.invalid().len();
        }
    }
    s.finish(bytes.len())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    /// After ESC.
    Esc,
    /// After ESC and intermediate bytes (0x20–0x2F), e.g. `ESC ( B`.
    EscInter,
    /// Inside a CSI sequence, until a final byte 0x40–0x7E.
    Csi,
    /// Inside an OSC (BEL also ends it) or DCS/SOS/PM/APC string, until ST.
    Str {
        osc: bool,
    },
}

struct Sanitizer {
    out: String,
    state: State,
    /// Display columns used so far.
    width: usize,
    /// Width of the last visible char (for variation selectors that widen it).
    last_width: usize,
    max_width: usize,
    max_bytes: usize,
    pending_break: bool,
    /// Input byte offset of the first visible char that did not fit.
    cut_at: Option<usize>,
}

const ESC: char = '\u{1b}';
const BEL: char = '\u{07}';
const CAN: char = '\u{18}';
const SUB: char = '\u{1a}';
const DEL: char = '\u{7f}';

fn is_c0(c: char) -> bool {
    c < ' '
}

fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Whether `c` must never reach the terminal from data (log lines, runbooks): a C0 control
/// (TAB and line breaks included), DEL, a C1 control, or a bidi control or other invisible
/// format character. Callers that keep line structure let their line breaks through first.
pub fn never_on_screen(c: char) -> bool {
    is_c0(c) || c == DEL || is_c1(c) || is_invisible_format(c)
}

/// Bidi controls and invisible format characters that must not reach the terminal.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                  // soft hyphen
        | '\u{034F}'                // combining grapheme joiner
        | '\u{061C}'                // arabic letter mark
        | '\u{115F}' | '\u{1160}'   // hangul fillers
        | '\u{17B4}' | '\u{17B5}'   // khmer inherent vowels
        | '\u{180B}'..='\u{180F}'   // mongolian free variation selectors, vowel separator
        | '\u{200B}'..='\u{200F}'   // ZWSP, ZWNJ, ZWJ, LRM, RLM
        | '\u{2028}' | '\u{2029}'   // line / paragraph separator
        | '\u{202A}'..='\u{202E}'   // LRE, RLE, PDF, LRO, RLO
        | '\u{2060}'..='\u{206F}'   // word joiner, invisible operators, LRI..PDI, deprecated
        | '\u{3164}' | '\u{FFA0}'   // hangul fillers
        | '\u{FEFF}'                // BOM / ZWNBSP
        | '\u{FFF0}'..='\u{FFFB}'   // unassigned specials, interlinear annotation
        | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
        | '\u{1D173}'..='\u{1D17A}' // musical symbol format controls
        | '\u{E0000}'..='\u{E00FF}' // tags (ASCII smuggling)
        | '\u{E01F0}'..='\u{E0FFF}' // unassigned default-ignorable
    )
}

impl Sanitizer {
    fn new(max_width: usize, max_bytes: usize, input_len: usize) -> Self {
        Sanitizer {
            out: String::with_capacity(input_len.min(max_bytes) + 8),
            state: State::Ground,
            width: 0,
            last_width: 0,
            max_width,
            max_bytes,
            pending_break: false,
            cut_at: None,
        }
    }

    /// Feed one char at input byte `offset`. Returns false once the line is cut.
    fn feed(&mut self, c: char, offset: usize) -> bool {
        match self.state {
            State::Ground => self.ground(c, offset),
            State::Esc => {
                match c {
                    '[' => self.state = State::Csi,
                    ']' => self.state = State::Str { osc: true },
                    'P' | 'X' | '^' | '_' => self.state = State::Str { osc: false },
                    ' '..='/' => self.state = State::EscInter,
                    '0'..='~' => self.state = State::Ground,
                    _ => return self.in_sequence(c, offset, true),
                }
                true
            }
            State::EscInter => {
                match c {
                    ' '..='/' => {}
                    '0'..='~' => self.state = State::Ground,
                    _ => return self.in_sequence(c, offset, true),
                }
                true
            }
            State::Csi => {
                match c {
                    '@'..='~' => self.state = State::Ground,
                    ' '..='?' => {}
                    // Other printable chars are ignored until a final byte.
                    _ => return self.in_sequence(c, offset, false),
                }
                true
            }
            State::Str { osc } => {
                match c {
                    BEL if osc => self.state = State::Ground,
                    '\u{9c}' => self.state = State::Ground,
                    _ => return self.in_sequence(c, offset, false),
                }
                true
            }
        }
    }

    /// The transitions every sequence state shares (ESC restarts, CAN/SUB abort, C1 acts as in
    /// ground, other controls are dropped). `end_on_other`: a printable char ends the sequence
    /// (and is swallowed).
    fn in_sequence(&mut self, c: char, offset: usize, end_on_other: bool) -> bool {
        match c {
            ESC => self.state = State::Esc,
            CAN | SUB => self.state = State::Ground,
            c if is_c1(c) => {
                self.state = State::Ground;
                return self.ground(c, offset);
            }
            c if is_c0(c) || c == DEL => {}
            _ => {
                if end_on_other {
                    self.state = State::Ground;
                }
            }
        }
        true
    }

    fn ground(&mut self, c: char, offset: usize) -> bool {
        match c {
            ESC => self.state = State::Esc,
            '\u{9b}' => self.state = State::Csi,
            '\u{9d}' => self.state = State::Str { osc: true },
            '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => self.state = State::Str { osc: false },
            '\t' => return self.tab(offset),
            c if is_line_break(c) => self.pending_break = true,
            c if is_c0(c) || c == DEL || is_c1(c) || is_invisible_format(c) => {}
            c => return self.visible(c, offset),
        }
        true
    }

    fn flush_break(&mut self, offset: usize) -> bool {
        if self.pending_break {
            self.pending_break = false;
            if !self.out.is_empty() {
                let w = LINE_BREAK.chars().count();
                if !self.fits(w, LINE_BREAK.len()) {
                    self.cut_at = Some(offset);
                    return false;
                }
                self.out.push_str(LINE_BREAK);
                self.width += w;
                self.last_width = 1;
            }
        }
        true
    }

    fn fits(&self, w: usize, len: usize) -> bool {
        self.width + w <= self.max_width && self.out.len() + len <= self.max_bytes
    }

    fn tab(&mut self, offset: usize) -> bool {
        if !self.flush_break(offset) {
            return false;
        }
        let n = TAB_STOP - self.width % TAB_STOP;
        if !self.fits(n, n) {
            self.cut_at = Some(offset);
            return false;
        }
        self.out.extend(std::iter::repeat_n(' ', n));
        self.width += n;
        self.last_width = 1;
        true
    }

    fn visible(&mut self, c: char, offset: usize) -> bool {
        if !self.flush_break(offset) {
            return false;
        }
        let mut w = c.width().unwrap_or(0);
        // An emoji / quote presentation selector can widen a narrow char before it to 2.
        if matches!(c, '\u{FE0F}' | '\u{FE01}') && self.last_width == 1 {
            w = 1;
        }
        if !self.fits(w, c.len_utf8()) {
            self.cut_at = Some(offset);
            return false;
        }
        self.out.push(c);
        self.width += w;
        if w > 0 || matches!(c, '\u{FE0F}' | '\u{FE01}') {
            self.last_width = if matches!(c, '\u{FE0F}' | '\u{FE01}') {
                2
            } else {
                w
            };
        }
        true
    }

    fn finish(mut self, input_len: usize) -> String {
        if let Some(at) = self.cut_at {
            use std::fmt::Write;
            let _ = write!(self.out, " …[+{} bytes]", input_len - at);
        }
        self.out
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Sanitise and parse one raw line (JSON or plain text).
///
/// Recognises, in order: the Lambda text prefix `timestamp\trequestId\tLEVEL\tmessage` (also
/// without the level), a JSON object (on its own or after that prefix, possibly after some
/// text and a tab as in Lambda's `Invoke Error \t{...}`), Lambda's `START`/`END`/`REPORT`
/// platform lines, and plain lines with a level word near the start.
///
/// The entry gets its own copy of `source`; [`parse_line_shared`] with a name from
/// [`LogBuffer::source`] shares one string between all lines of a log group.
pub fn parse_line(ts: Ts, source: &str, bytes: &[u8]) -> LogEntry {
    parse_with(ts, sanitize_source(source).into(), bytes)
}

/// [`parse_line`] with a shared source name. A name that is not already sanitised (the
/// names from [`LogBuffer::source`] are) is sanitised into a new string.
pub fn parse_line_shared(ts: Ts, source: Arc<str>, bytes: &[u8]) -> LogEntry {
    let source = if is_clean_source(&source) {
        source
    } else {
        let clean = sanitize_source(&source);
        if *clean == *source {
            source
        } else {
            clean.into()
        }
    };
    parse_with(ts, source, bytes)
}

/// A source name as entries carry it: sanitised and cut at [`MAX_FIELD_WIDTH`] columns.
pub fn sanitize_source(name: &str) -> String {
    sanitize_with_limit(name.as_bytes(), MAX_FIELD_WIDTH)
}

/// True when [`sanitize_source`] would return `name` unchanged, by the cheap test (short
/// printable ASCII); false means "maybe not".
fn is_clean_source(name: &str) -> bool {
    name.len() <= MAX_FIELD_WIDTH && name.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// What the parser extracts before it is packed into a [`LogEntry`].
struct Parsed {
    level: LogLevel,
    message: String,
    /// At most one per label of [`FIELD_LABELS`].
    fields: Vec<(&'static str, String)>,
}

fn parse_with(ts: Ts, source: Arc<str>, bytes: &[u8]) -> LogEntry {
    let text = String::from_utf8_lossy(bytes);
    let line = text.trim_end_matches(['\n', '\r']);

    let mut prefix_level = None;
    let mut prefix_request = None;
    let mut body = line;
    if let Some((level, request, rest)) = lambda_prefix(line) {
        prefix_level = level;
        prefix_request = Some(request);
        body = rest;
    }

    let mut p = match json_object(body) {
        Some((pre, obj)) => from_json(pre, &obj),
        None => from_plain(body),
    };
    if p.level == LogLevel::Other {
        if let Some(l) = prefix_level {
            p.level = l;
        }
    }
    if let Some(r) = prefix_request {
        if !p.fields.iter().any(|(k, _)| *k == "requestId") {
            let v = sanitize_with_limit(r.as_bytes(), MAX_FIELD_WIDTH);
            if !v.is_empty() {
                p.fields.insert(0, ("requestId", v));
            }
        }
    }
    let mut refs = [("", ""); FIELD_LABELS.len()];
    for (r, (k, v)) in refs.iter_mut().zip(&p.fields) {
        *r = (k, v.as_str());
    }
    let n = p.fields.len().min(refs.len());
    LogEntry::new(ts, source, p.level, &p.message, &refs[..n])
}

/// `2026-11-23T09:00:00.000Z\t<requestId>\tLEVEL\tmessage` → (level, requestId, message);
/// also `timestamp\trequestId\tmessage` (no level).
fn lambda_prefix(line: &str) -> Option<(Option<LogLevel>, &str, &str)> {
    let (ts, rest) = line.split_once('\t')?;
    if !looks_like_timestamp(ts) {
        return None;
    }
    let (request, rest) = rest.split_once('\t')?;
    if request.is_empty() || request.len() > 128 || request.contains(char::is_whitespace) {
        return None;
    }
    if let Some((word, msg)) = rest.split_once('\t') {
        if let Some(level) = LogLevel::from_word(word) {
            return Some((Some(level), request, msg));
        }
    }
    Some((None, request, rest))
}

fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b.len() <= 40
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && !s.contains(char::is_whitespace)
}

/// A JSON object at the start of `body`, or after a tab (Lambda's `Invoke Error \t{...}`).
/// Returns the text before it and the object.
fn json_object(body: &str) -> Option<(&str, Map<String, Value>)> {
    let trimmed = body.trim();
    if trimmed.starts_with('{') {
        if let Ok(obj) = serde_json::from_str::<Map<String, Value>>(trimmed) {
            return Some(("", obj));
        }
        return None;
    }
    let (pre, _) = body.split_once("\t{")?;
    let json = &body[pre.len() + 1..];
    debug_assert!(json.starts_with('{'));
    serde_json::from_str::<Map<String, Value>>(json.trim_end())
        .ok()
        .map(|obj| (pre, obj))
}

/// Look up a key, or a dotted path (`error.code` as a flat key or nested objects).
fn lookup<'a>(obj: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = obj.get(path) {
        return Some(v);
    }
    let (head, rest) = path.split_once('.')?;
    match obj.get(head)? {
        Value::Object(inner) => lookup(inner, rest),
        _ => None,
    }
}

/// The first of `paths` present (not null) at the top level, else in nested objects (breadth
/// first, up to `depth` levels down).
fn find<'a>(
    obj: &'a Map<String, Value>,
    paths: &[&'static str],
    depth: usize,
) -> Option<(&'static str, &'a Value)> {
    let mut level: Vec<&Map<String, Value>> = vec![obj];
    for d in 0..=depth {
        for o in &level {
            for p in paths {
                if let Some(v) = lookup(o, p) {
                    if !v.is_null() {
                        return Some((p, v));
                    }
                }
            }
        }
        if d == depth {
            break;
        }
        level = level
            .iter()
            .flat_map(|o| o.values())
            .filter_map(|v| v.as_object())
            .collect();
        if level.is_empty() {
            break;
        }
    }
    None
}

/// A JSON value as display text: strings as they are, other values as compact JSON.
fn value_text(v: &Value, max_width: usize) -> String {
    match v {
        Value::String(s) => sanitize_with_limit(s.as_bytes(), max_width),
        other => sanitize_with_limit(other.to_string().as_bytes(), max_width),
    }
}

fn json_level(v: &Value) -> Option<LogLevel> {
    match v {
        Value::String(s) => LogLevel::from_word(s),
        // pino / bunyan numeric levels.
        Value::Number(n) => n.as_u64().map(|n| match n {
            0..=29 => LogLevel::Debug,
            30..=39 => LogLevel::Info,
            40..=49 => LogLevel::Warn,
            _ => LogLevel::Error,
        }),
        _ => None,
    }
}

fn from_json(pre: &str, obj: &Map<String, Value>) -> Parsed {
    let level = find(
        obj,
        &["level", "severity", "lvl", "log.level", "levelname"],
        0,
    )
    .and_then(|(_, v)| json_level(v))
    .unwrap_or(LogLevel::Other);

    let message = match find(obj, &["message", "msg", "errorMessage"], 0) {
        Some((_, v)) => value_text(v, MAX_LINE_WIDTH),
        None => {
            // No message field: show the object itself (sanitised) so nothing is lost. The
            // text before it is sanitised first (no sequence in it can swallow the object),
            // then the whole is sanitised again so that it is cut at one line's width (two
            // parts cut separately made lines up to twice as wide; found by fuzzing).
            let mut m = sanitize(pre.trim().as_bytes());
            if !m.is_empty() {
                m.push(' ');
            }
            m.push_str(&serde_json::to_string(obj).unwrap_or_default());
            sanitize(m.as_bytes())
        }
    };

    let mut fields = Vec::with_capacity(FIELD_LABELS.len());
    let specs: [(&'static str, &[&'static str], &[&'static str]); 5] = [
        (
            "requestId",
            &["requestId", "request_id", "awsRequestId", "requestID"],
            &[],
        ),
        ("userId", &["userId", "user_id"], &[]),
        (
            "code",
            &[
                "error.code",
                "err.code",
                "exception.code",
                "errorCode",
                "code",
                "errorType",
            ],
            &["errorCode", "errorType"],
        ),
        ("status", &["status", "statusCode"], &[]),
        ("duration", &["duration", "durationMs"], &[]),
    ];
    for (label, top, nested) in specs {
        let nested = if nested.is_empty() { top } else { nested };
        let hit = find(obj, top, 0).or_else(|| find(obj, nested, 3));
        if let Some((key, v)) = hit {
            let mut text = value_text(v, MAX_FIELD_WIDTH);
            if key == "durationMs" && v.is_number() {
                text.push_str("ms");
            }
            if !text.is_empty() {
                fields.push((label, text));
            }
        }
    }

    Parsed {
        level,
        message,
        fields,
    }
}

fn from_plain(body: &str) -> Parsed {
    let message = sanitize(body.as_bytes());
    let mut fields = Vec::new();
    let mut level = plain_level(&message);

    // Lambda platform lines.
    for kind in ["START RequestId: ", "END RequestId: ", "REPORT RequestId: "] {
        if let Some(rest) = message.strip_prefix(kind) {
            // Fields are cut at the field width like the JSON ones (the message is cut only
            // at the line width; found by fuzzing).
            let field = |v: &str| sanitize_with_limit(v.as_bytes(), MAX_FIELD_WIDTH);
            if let Some(id) = rest.split_whitespace().next() {
                fields.push(("requestId", field(id)));
            }
            if kind.starts_with("REPORT") {
                if let Some(d) = rest.split("Duration: ").nth(1) {
                    let d = d.split("ms").next().unwrap_or("").trim();
                    if !d.is_empty() {
                        fields.push(("duration", field(&format!("{d}ms"))));
                    }
                }
                if rest.contains("Status: timeout") || rest.contains("Status: error") {
                    level = Some(LogLevel::Error);
                }
            }
        }
    }
    if level.is_none() && message.contains("Task timed out after") {
        level = Some(LogLevel::Error);
    }
    Parsed {
        level: level.unwrap_or(LogLevel::Other),
        message,
        fields,
    }
}

/// A level word among the first few words of a (sanitised) plain line: `ERROR`, `[warn]`,
/// `Info:`, `level=error`, `ERROR:root:...`. Bare words count only in upper case, so
/// "error connecting to ..." is not a level; bracketed words and words followed by a colon
/// count in any case.
fn plain_level(message: &str) -> Option<LogLevel> {
    for word in message.split_whitespace().take(8) {
        if let Some((k, v)) = word.split_once('=') {
            let k = k.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '.');
            if ["level", "lvl", "severity", "loglevel", "log.level"]
                .iter()
                .any(|x| x.eq_ignore_ascii_case(k))
            {
                let v = v.trim_matches(|c: char| !c.is_ascii_alphanumeric());
                if let Some(l) = LogLevel::from_word(v) {
                    return Some(l);
                }
            }
            continue;
        }
        let start = word.find(|c: char| c.is_ascii_alphabetic());
        let Some(start) = start else { continue };
        let run_len = word[start..]
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(word.len() - start);
        let run = &word[start..start + run_len];
        let Some(level) = LogLevel::from_word(run) else {
            continue;
        };
        let before = &word[..start];
        let after = &word[start + run_len..];
        let bracketed = before.ends_with(['[', '<', '(']);
        let colon = after.starts_with(':');
        let upper = run.bytes().all(|b| b.is_ascii_uppercase());
        if (upper && before.chars().all(|c| !c.is_alphanumeric())) || bracketed || colon {
            return Some(level);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Filter

/// Case-insensitive substring search. ASCII needles (the common case) allocate nothing.
fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        if n.len() > h.len() {
            return false;
        }
        h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        hay.to_lowercase().contains(&needle.to_lowercase())
    }
}

impl LogFilter {
    pub fn matches(&self, e: &LogEntry) -> bool {
        if let Some(min) = self.min_level {
            if e.level == LogLevel::Other || e.level > min {
                return false;
            }
        }
        let text = self.text.as_str();
        if text.is_empty() {
            return true;
        }
        contains_ci(e.message(), text)
            || contains_ci(e.source(), text)
            || e.fields().any(|(_, v)| contains_ci(v, text))
    }

    /// True when the filter lets every line through.
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none() && self.text.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Buffer

impl LogBuffer {
    pub fn new(capacity: usize) -> Self {
        Self::with_limits(capacity, DEFAULT_LOG_BYTES)
    }

    /// A buffer bounded by `capacity` entries and about `max_bytes` bytes.
    pub fn with_limits(capacity: usize, max_bytes: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            next_seq: 0,
            dropped: 0,
            bytes: 0,
            max_bytes,
            sources: Vec::new(),
        }
    }

    /// The shared, sanitised form of a source name (for [`parse_line_shared`]): lines of the
    /// same log group then hold one string between them. Remembers the last
    /// [`SOURCE_CACHE`] names.
    pub fn source(&mut self, name: &str) -> Arc<str> {
        if let Some(i) = self.sources.iter().position(|(raw, _)| **raw == *name) {
            if i > 0 {
                self.sources[..=i].rotate_right(1);
            }
            return self.sources[0].1.clone();
        }
        let clean = sanitize_source(name);
        let shared: Arc<str> = match self.sources.iter().find(|(_, s)| **s == *clean) {
            // Another raw name with the same sanitised form.
            Some((_, s)) => s.clone(),
            None => clean.into(),
        };
        self.remember(name, shared.clone());
        shared
    }

    fn remember(&mut self, raw: &str, shared: Arc<str>) {
        self.sources.truncate(SOURCE_CACHE - 1);
        self.sources.insert(0, (raw.into(), shared));
    }

    /// Let `e` share the source string of earlier lines with the same source.
    fn share_source(&mut self, e: &mut LogEntry) {
        if self.sources.iter().any(|(_, s)| Arc::ptr_eq(s, &e.source)) {
            return;
        }
        match self.sources.iter().find(|(_, s)| **s == *e.source) {
            Some((_, s)) => e.source = s.clone(),
            None => {
                let shared = e.source.clone();
                self.remember(&shared, shared.clone());
            }
        }
    }

    pub fn push(&mut self, mut e: LogEntry) {
        e.seq = self.next_seq;
        self.next_seq += 1;
        self.share_source(&mut e);
        if self.entries.len() >= self.capacity {
            // Make room first, so a full ring never grows.
            self.pop_oldest();
        } else if self.entries.len() == self.entries.capacity() {
            // Grow by doubling as usual, but never past `capacity` slots: a full buffer of the
            // default 100k lines would otherwise sit in 131 072 slots.
            let want = (self.entries.len() * 2).max(16).min(self.capacity);
            self.entries.reserve_exact(want - self.entries.len());
        }
        self.bytes += e.approx_bytes();
        self.entries.push_back(e);
        // Keep at least the newest entry, whatever its size.
        while self.entries.len() > self.capacity
            || (self.bytes > self.max_bytes && self.entries.len() > 1)
        {
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some(old) = self.entries.pop_front() {
            self.bytes -= old.approx_bytes();
            self.dropped += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + '_ {
        self.entries.iter()
    }

    /// The most entries the buffer holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Approximate bytes held (see [`LogEntry::approx_bytes`]).
    pub fn approx_bytes(&self) -> usize {
        self.bytes
    }

    /// Sequence number of the newest entry.
    pub fn newest_seq(&self) -> Option<u64> {
        self.entries.back().map(|e| e.seq)
    }

    /// Sequence number of the oldest entry still held.
    pub fn oldest_seq(&self) -> Option<u64> {
        self.entries.front().map(|e| e.seq)
    }

    /// Lines pushed since the start (held plus dropped).
    pub fn total(&self) -> u64 {
        self.next_seq
    }

    /// The entry with this sequence number, if still held. O(1): sequence numbers are
    /// consecutive.
    pub fn get(&self, seq: u64) -> Option<&LogEntry> {
        let first = self.oldest_seq()?;
        let idx = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.entries.get(idx)
    }

    /// Entries with a sequence number greater than `seq`, oldest first.
    pub fn after(&self, seq: u64) -> impl DoubleEndedIterator<Item = &LogEntry> + '_ {
        let skip = match self.oldest_seq() {
            Some(first) if seq >= first => usize::try_from(seq - first + 1).unwrap_or(usize::MAX),
            _ => 0,
        };
        self.entries.range(skip.min(self.entries.len())..)
    }

    /// Remove all entries (sequence numbers keep counting; `dropped` is unchanged).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    fn s(b: &[u8]) -> String {
        sanitize(b)
    }

    use super::never_on_screen as is_forbidden;

    #[test]
    fn plain_text_passes_through() {
        assert_eq!(s(b"hello world"), "hello world");
        assert_eq!(s("日本語のログ".as_bytes()), "日本語のログ");
        assert_eq!(s(b""), "");
    }

    #[test]
    fn osc_title_is_removed_whole() {
        assert_eq!(s(b"a\x1b]0;title\x07b"), "ab");
        assert_eq!(s(b"a\x1b]0;title\x1b\\b"), "ab");
        assert_eq!(s("a\u{9d}0;x\u{9c}b".as_bytes()), "ab");
        // 8-bit OSC terminated by 7-bit ST, and by BEL.
        assert_eq!(s("a\u{9d}0;x\x1b\\b".as_bytes()), "ab");
        assert_eq!(s("a\u{9d}0;x\x07b".as_bytes()), "ab");
    }

    #[test]
    fn osc8_hyperlink_keeps_text_drops_url() {
        let out = s(b"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\");
        assert_eq!(out, "link");
        assert!(!out.contains("evil"));
    }

    #[test]
    fn csi_sequences_are_removed() {
        assert_eq!(s(b"\x1b[2Jcleared"), "cleared");
        assert_eq!(s(b"\x1b[31mred\x1b[0m"), "red");
        assert_eq!(s("\u{9b}31mred".as_bytes()), "red");
        assert_eq!(s(b"\x1b[?1049h\x1b[1;1Hx"), "x");
        // Private / intermediate bytes, final byte ends it.
        assert_eq!(s(b"\x1b[>4;2m\x1b[ q!"), "!");
        // CAN aborts a sequence: the rest is printed.
        assert_eq!(s(b"\x1b[31\x18ok"), "ok");
        // ESC inside CSI starts a new sequence.
        assert_eq!(s(b"\x1b[31\x1b[32mok"), "ok");
    }

    #[test]
    fn dcs_sos_pm_apc_are_removed() {
        assert_eq!(s(b"a\x1bPq#0;2;0;0;0#1!\x1b\\b"), "ab");
        assert_eq!(s("a\u{90}payload\u{9c}b".as_bytes()), "ab");
        assert_eq!(s(b"a\x1bXsos\x1b\\b"), "ab");
        assert_eq!(s(b"a\x1b^pm\x1b\\b"), "ab");
        assert_eq!(s(b"a\x1b_apc\x1b\\b"), "ab");
        assert_eq!(
            s("a\u{98}x\u{9c}b\u{9e}y\u{9c}c\u{9f}z\u{9c}d".as_bytes()),
            "abcd"
        );
        // BEL does not end a DCS: the payload stays hidden.
        assert_eq!(s(b"a\x1bPhidden\x07still\x1b\\b"), "ab");
    }

    #[test]
    fn two_byte_and_intermediate_escapes() {
        assert_eq!(s(b"a\x1bcb"), "ab"); // RIS
        assert_eq!(s(b"a\x1b7\x1b8b"), "ab"); // save / restore cursor
        assert_eq!(s(b"a\x1b(0lqk\x1b(Bb"), "alqkb"); // charset designation
        assert_eq!(s(b"a\x1b#8b"), "ab"); // DECALN
    }

    #[test]
    fn unterminated_sequences_swallow_the_rest() {
        assert_eq!(s(b"text\x1b"), "text");
        assert_eq!(s(b"text\x1b]0;never ends"), "text");
        assert_eq!(s(b"text\x1b[31"), "text");
        assert_eq!(s(b"text\x1bPdcs"), "text");
    }

    #[test]
    fn controls_are_removed() {
        assert_eq!(s(b"a\x00b\x07c\x08d\x7fe"), "abcde");
        assert_eq!(s("a\u{85}b".as_bytes()), "a ⏎ b"); // NEL is a line break
        assert_eq!(s("a\u{80}b\u{9a}c\u{9c}d".as_bytes()), "abcd");
    }

    #[test]
    fn line_breaks_become_one_marker() {
        assert_eq!(s(b"line1\nline2"), "line1 ⏎ line2");
        assert_eq!(LINE_BREAK.width(), 3);
        assert_eq!(s(b"line1\r\nline2\r\n"), "line1 ⏎ line2");
        assert_eq!(s(b"\r\n\nlead"), "lead");
        // A bare CR would overwrite the start of the line on a terminal: it must not.
        assert_eq!(s(b"safe\rEVIL"), "safe ⏎ EVIL");
        assert_eq!(s("a\u{2028}b\u{2029}c".as_bytes()), "a ⏎ b ⏎ c");
    }

    #[test]
    fn bidi_and_invisible_chars_are_removed() {
        assert_eq!(s("abc\u{202e}fed".as_bytes()), "abcfed");
        assert_eq!(s("x\u{2066}y\u{2069}z".as_bytes()), "xyz");
        assert_eq!(
            s("\u{200e}\u{200f}\u{061c}a\u{200b}b\u{feff}c".as_bytes()),
            "abc"
        );
        assert_eq!(s("tag\u{e0041}\u{e0042}s".as_bytes()), "tags");
        // Emoji presentation selector is kept.
        assert_eq!(s("\u{2764}\u{fe0f}".as_bytes()), "\u{2764}\u{fe0f}");
    }

    #[test]
    fn invalid_utf8_becomes_replacement() {
        assert_eq!(s(b"a\xff\xfeb"), "a\u{fffd}\u{fffd}b");
        assert_eq!(s(b"\xe6\x97"), "\u{fffd}"); // truncated 3-byte sequence
                                                // A raw 0x9B byte is invalid UTF-8, not a CSI.
        assert_eq!(s(b"a\x9b31mb"), "a\u{fffd}31mb");
    }

    #[test]
    fn tabs_expand_to_stops_of_eight() {
        assert_eq!(s(b"a\tb"), "a       b");
        assert_eq!(s(b"\tx"), "        x");
        assert_eq!(s(b"12345678\tx"), "12345678        x");
        // Wide chars count two columns: 日本 is 4 columns, so the tab adds 4 spaces.
        let out = s("日本\tx".as_bytes());
        assert_eq!(out, "日本    x");
        assert_eq!(out.width(), 9);
        let out = s("日本語a\tx|\ty".as_bytes());
        assert_eq!(out, "日本語a x|      y");
        assert_eq!(out.find('x').map(|i| out[..i].width()), Some(8));
        assert_eq!(out.find('y').map(|i| out[..i].width()), Some(16));
        // Exactly at a stop, a tab moves a full stop.
        assert_eq!(s("日本語ab\tx".as_bytes()), "日本語ab        x");
        // Escape sequences before a tab take no columns.
        assert_eq!(s(b"\x1b[31mab\x1b[0m\tc"), "ab      c");
    }

    #[test]
    fn one_megabyte_line_is_cut_with_marker() {
        let line = vec![b'a'; 1 << 20];
        let out = s(&line);
        assert!(out.starts_with(&"a".repeat(MAX_LINE_WIDTH)));
        let marker = format!(" …[+{} bytes]", (1 << 20) - MAX_LINE_WIDTH);
        assert!(out.ends_with(&marker), "{}", &out[out.len() - 40..]);
        assert_eq!(out.width(), MAX_LINE_WIDTH + marker.width());
        assert!(out.width() <= MAX_LINE_WIDTH + MAX_MARKER_WIDTH);

        // Wide chars: never more than the cap.
        let line = "漢".repeat(1 << 18);
        let out = s(line.as_bytes());
        assert!(out.contains("…[+"));
        assert!(out.width() <= MAX_LINE_WIDTH + MAX_MARKER_WIDTH);

        // A flood of zero-width combining marks is bounded in bytes.
        let line = format!("a{}", "\u{301}".repeat(1 << 19));
        let out = s(line.as_bytes());
        assert!(out.len() <= MAX_LINE_BYTES + MAX_MARKER_WIDTH);
        assert!(out.contains("…[+"));
    }

    #[test]
    fn escape_only_tail_is_not_a_cut() {
        // Invisible content after the cap does not trigger the marker.
        let mut line = vec![b'x'; MAX_LINE_WIDTH];
        line.extend_from_slice(b"\x1b[0m\n");
        let out = s(&line);
        assert_eq!(out, "x".repeat(MAX_LINE_WIDTH));
        // One more visible char does.
        line.push(b'y');
        assert!(s(&line).ends_with(" …[+1 bytes]"));
    }

    #[test]
    fn small_limit_cuts_before_a_wide_char_that_does_not_fit() {
        let out = sanitize_with_limit("abc日本".as_bytes(), 4);
        assert_eq!(out, "abc …[+6 bytes]");
    }

    use crate::fuzzing::Rng;

    const PIECES: &[&[u8]] = &[
        b"\x1b",
        b"[",
        b"]",
        b"P",
        b"X",
        b"^",
        b"_",
        b"\\",
        b"\x07",
        b"\x18",
        b"\x1a",
        b"\x7f",
        b"\t",
        b"\n",
        b"\r",
        b"\x00",
        b"\x08",
        b"0;",
        b"31m",
        b"8;;",
        b"(",
        b"#",
        b" ",
        b"a",
        b"Z",
        b"{",
        b"\xff",
        b"\xfe",
        b"\x9b",
        b"\xc2",
        b"\xc2\x9b",
        b"\xc2\x9d",
        b"\xc2\x9c",
        b"\xc2\x90",
        b"\xc2\x85",
        b"\xc2\x80",
        b"\xe2\x80\xae",
        b"\xe2\x81\xa6",
        b"\xe2\x80\x8b",
        b"\xef\xbb\xbf",
        b"\xe2\x80\xa8",
        b"\xd8\x9c",
        "漢".as_bytes(),
        "é".as_bytes(),
        "\u{301}".as_bytes(),
        "\u{fe0f}".as_bytes(),
        "\u{2764}".as_bytes(),
        "😀".as_bytes(),
        "\u{200d}".as_bytes(),
        "\u{e0041}".as_bytes(),
    ];

    #[test]
    fn property_output_is_always_safe_and_bounded() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for case in 0..4000 {
            let len = if case % 50 == 0 { 3000 } else { rng.below(80) };
            let mut input = Vec::new();
            for _ in 0..len {
                if rng.below(4) == 0 {
                    input.push(rng.next_u64() as u8);
                } else {
                    input.extend_from_slice(PIECES[rng.below(PIECES.len())]);
                }
            }
            let cap = match case % 3 {
                0 => MAX_LINE_WIDTH,
                1 => 40,
                _ => 7,
            };
            let out = sanitize_with_limit(&input, cap);
            for c in out.chars() {
                assert!(
                    !is_forbidden(c),
                    "case {case}: {c:?} in {out:?} from {input:?}"
                );
            }
            let cut = out.contains(" …[+");
            let limit = if cut { cap + MAX_MARKER_WIDTH } else { cap };
            assert!(
                out.width() <= limit,
                "case {case}: width {} > {limit}: {out:?}",
                out.width()
            );
            // Sanitising is idempotent on its own output (nothing left to strip).
            if !cut {
                assert_eq!(sanitize_with_limit(out.as_bytes(), cap), out, "case {case}");
            }
        }
    }

    // --- parsing ---------------------------------------------------------------------------

    fn p(line: &str) -> LogEntry {
        parse_line(100, "profile-api", line.as_bytes())
    }

    #[test]
    fn json_level_message_and_fields() {
        let e = p(
            r#"{"level":"error","message":"db timeout","requestId":"r-1","userId":"u-9","status":500,"durationMs":1234,"extra":"x"}"#,
        );
        assert_eq!(e.level, LogLevel::Error);
        assert_eq!(e.message(), "db timeout");
        assert_eq!(e.ts, 100);
        assert_eq!(e.source(), "profile-api");
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            vec![
                ("requestId", "r-1"),
                ("userId", "u-9"),
                ("status", "500"),
                ("duration", "1234ms"),
            ]
        );
    }

    #[test]
    fn json_level_synonyms() {
        let cases = [
            (r#"{"severity":"WARNING","msg":"m"}"#, LogLevel::Warn),
            (r#"{"lvl":"crit","msg":"m"}"#, LogLevel::Error),
            (r#"{"log.level":"notice","msg":"m"}"#, LogLevel::Info),
            (r#"{"log":{"level":"TRACE"},"msg":"m"}"#, LogLevel::Debug),
            (r#"{"level":"FATAL","msg":"m"}"#, LogLevel::Error),
            (r#"{"level":"Err","msg":"m"}"#, LogLevel::Error),
            (r#"{"level":30,"msg":"m"}"#, LogLevel::Info),
            (r#"{"level":"verbose-ish","msg":"m"}"#, LogLevel::Other),
            (r#"{"msg":"m"}"#, LogLevel::Other),
        ];
        for (line, want) in cases {
            let e = p(line);
            assert_eq!(e.level, want, "{line}");
            assert_eq!(e.message(), "m");
        }
    }

    #[test]
    fn json_nested_error_code_and_field_order() {
        let e = p(
            r#"{"level":"ERROR","msg":"write failed","error":{"code":"ProvisionedThroughputExceededException","message":"slow down"},"request_id":"abc","user_id":42,"statusCode":503,"duration":88.5}"#,
        );
        assert_eq!(e.message(), "write failed");
        let labels: Vec<&str> = e.fields().map(|(k, _)| k).collect();
        assert_eq!(labels, FIELD_LABELS.to_vec());
        assert_eq!(
            e.field("code"),
            Some("ProvisionedThroughputExceededException")
        );
        assert_eq!(e.field("requestId"), Some("abc"));
        assert_eq!(e.field("userId"), Some("42"));
        assert_eq!(e.field("status"), Some("503"));
        assert_eq!(e.field("duration"), Some("88.5"));

        // Deeper nesting: context objects.
        let e = p(
            r#"{"level":"warn","message":"m","context":{"awsRequestId":"req-7","detail":{"errorType":"Throttling"}}}"#,
        );
        assert_eq!(e.field("requestId"), Some("req-7"));
        assert_eq!(e.field("code"), Some("Throttling"));
        // A "code" in an unrelated nested object is not an error code.
        let e = p(r#"{"level":"info","message":"m","geo":{"code":"JP"}}"#);
        assert_eq!(e.field("code"), None);
    }

    #[test]
    fn lambda_prefixed_json() {
        let line = "2026-11-23T09:00:00.000Z\t8f5e-11aa\tERROR\t{\"message\":\"conditional check failed\",\"errorCode\":\"ConditionalCheckFailedException\"}\n";
        let e = p(line);
        assert_eq!(e.level, LogLevel::Error);
        assert_eq!(e.message(), "conditional check failed");
        assert_eq!(e.field("requestId"), Some("8f5e-11aa"));
        assert_eq!(e.field("code"), Some("ConditionalCheckFailedException"));

        // JSON's own level wins over the prefix.
        let e = p("2026-11-23T09:00:00.000Z\tr1\tINFO\t{\"level\":\"warn\",\"msg\":\"slow\",\"requestId\":\"r2\"}");
        assert_eq!(e.level, LogLevel::Warn);
        assert_eq!(e.field("requestId"), Some("r2"));

        // Lambda's uncaught error format: text, tab, JSON.
        let e = p("2026-11-23T09:00:00.000Z\tr3\tERROR\tInvoke Error \t{\"errorType\":\"TypeError\",\"errorMessage\":\"x is undefined\",\"stack\":[\"at a\",\"at b\"]}");
        assert_eq!(e.level, LogLevel::Error);
        assert_eq!(e.message(), "x is undefined");
        assert_eq!(e.field("code"), Some("TypeError"));
        assert_eq!(e.field("requestId"), Some("r3"));
    }

    #[test]
    fn lambda_prefixed_text() {
        let e = p("2026-11-23T09:00:00.000Z\tabc-123\tWARN\tretrying DynamoDB call");
        assert_eq!(e.level, LogLevel::Warn);
        assert_eq!(e.message(), "retrying DynamoDB call");
        assert_eq!(e.fields().collect::<Vec<_>>(), [("requestId", "abc-123")]);

        let e = p("2026-11-23T09:00:00.000Z\tabc-123\tjust text");
        assert_eq!(e.level, LogLevel::Other);
        assert_eq!(e.message(), "just text");
        assert_eq!(e.field("requestId"), Some("abc-123"));

        let e = p("REPORT RequestId: abc-9\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tStatus: timeout");
        assert_eq!(e.field("requestId"), Some("abc-9"));
        assert_eq!(e.field("duration"), Some("102.25ms"));
        assert_eq!(e.level, LogLevel::Error);
        let e = p("START RequestId: abc-9 Version: $LATEST");
        assert_eq!(e.field("requestId"), Some("abc-9"));
        assert_eq!(e.level, LogLevel::Other);
    }

    #[test]
    fn json_strings_are_sanitised() {
        let e = parse_line(
            1,
            "grp\u{1b}]0;pwned\u{7}\u{202e}",
            br#"{"level":"error","message":"boom\u001b[2J\u001b]8;;http://evil\u001b\\click\u001b]8;;\u001b\\\u202e","requestId":"r\u0007\u009b1m","userId":"\u001b[31mu1","error":{"code":"E\u0000X"}}"#,
        );
        assert_eq!(e.message(), "boomclick");
        assert_eq!(e.field("requestId"), Some("r"));
        assert_eq!(e.field("userId"), Some("u1"));
        assert_eq!(e.field("code"), Some("EX"));
        assert_eq!(e.source(), "grp");
        // A JSON message with a newline becomes one line.
        let e = p(r#"{"msg":"Error: x\n    at f (a.js:1)\n    at g (b.js:2)"}"#);
        assert_eq!(
            e.message(),
            "Error: x ⏎     at f (a.js:1) ⏎     at g (b.js:2)"
        );
    }

    #[test]
    fn json_without_message_shows_the_object() {
        let e = p(r#"{"level":"info","event":"login"}"#);
        assert_eq!(e.level, LogLevel::Info);
        assert!(
            e.message().contains("\"event\":\"login\""),
            "{}",
            e.message()
        );
    }

    #[test]
    fn malformed_json_falls_back_to_plain() {
        let e = p(r#"{"level":"error","message":"unterminated"#);
        assert_eq!(e.level, LogLevel::Other);
        assert_eq!(e.message(), r#"{"level":"error","message":"unterminated"#);
        assert_eq!(e.fields().count(), 0);
        // Arrays are not objects.
        let e = p(r#"["ERROR"]"#);
        assert_eq!(e.message(), r#"["ERROR"]"#);
        // Invalid UTF-8 inside: still no panic, still a line.
        let e = parse_line(0, "s", b"{\"msg\":\"a\xffb\"}");
        assert_eq!(e.message(), "a\u{fffd}b");
        let e = parse_line(0, "s", b"ERROR \xff\xfe bad bytes");
        assert_eq!(e.level, LogLevel::Error);
        assert_eq!(e.message(), "ERROR \u{fffd}\u{fffd} bad bytes");
    }

    #[test]
    fn plain_level_words() {
        let cases = [
            ("ERROR something broke", LogLevel::Error),
            ("[WARN] disk 85%", LogLevel::Warn),
            ("[warn] nginx style", LogLevel::Warn),
            ("time=2026-11-23 level=error msg=boom", LogLevel::Error),
            ("ts=1 level=\"debug\" x", LogLevel::Debug),
            ("INFO: started", LogLevel::Info),
            ("Info: started", LogLevel::Info),
            (
                "2026-11-23 09:00:00,123 - app - WARNING - slow",
                LogLevel::Warn,
            ),
            ("ERROR:root:failed", LogLevel::Error),
            ("<critical> meltdown", LogLevel::Error),
            ("\u{1b}[31mERROR\u{1b}[0m colourised", LogLevel::Error),
            ("error connecting is just prose", LogLevel::Other),
            ("TypeError thrown", LogLevel::Other),
            ("nothing here", LogLevel::Other),
            (
                "one two three four five six seven eight nine ERROR",
                LogLevel::Other,
            ),
            (
                "2026-11-23T09:00:00.000Z abc Task timed out after 3.00 seconds",
                LogLevel::Error,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(p(line).level, want, "{line:?}");
        }
    }

    #[test]
    fn parse_handles_huge_lines() {
        let mut line = b"ERROR ".to_vec();
        line.extend(std::iter::repeat_n(b'x', 1 << 20));
        let e = parse_line(0, "s", &line);
        assert_eq!(e.level, LogLevel::Error);
        assert!(e.message().ends_with("bytes]"));
        assert!(e.message().width() <= MAX_LINE_WIDTH + MAX_MARKER_WIDTH);
        let long = "x".repeat(1 << 20);
        let e = p(&format!(
            r#"{{"level":"warn","msg":"{long}","requestId":"{long}"}}"#
        ));
        assert_eq!(e.level, LogLevel::Warn);
        assert!(e.message().width() <= MAX_LINE_WIDTH + MAX_MARKER_WIDTH);
        assert!(e.field("requestId").unwrap().width() <= MAX_FIELD_WIDTH + MAX_MARKER_WIDTH);
    }

    // --- entry layout ----------------------------------------------------------------------

    #[test]
    fn entry_is_compact() {
        assert_eq!(std::mem::size_of::<LogEntry>(), 72);
        let e = p(r#"{"level":"info","message":"GET / 200","requestId":"r-1","status":200}"#);
        // One heap block: the message and the values, labels not stored.
        assert_eq!(
            e.approx_bytes(),
            72 + "GET / 200".len() + "r-1".len() + "200".len()
        );
    }

    #[test]
    fn new_round_trips_known_and_custom_labels() {
        let e = LogEntry::new(
            7,
            "grp".into(),
            LogLevel::Warn,
            "retrying 日本",
            &[
                ("attempt", "2"),
                ("requestId", "r-9"),
                ("ms", ""),
                ("", "v"),
                ("code", "E1"),
            ],
        );
        assert_eq!((e.seq, e.ts, e.level), (0, 7, LogLevel::Warn));
        assert_eq!(e.source(), "grp");
        assert_eq!(e.message(), "retrying 日本");
        assert_eq!(
            e.fields().collect::<Vec<_>>(),
            [
                ("attempt", "2"),
                ("requestId", "r-9"),
                ("ms", ""),
                ("", "v"),
                ("code", "E1")
            ]
        );
        assert_eq!(e.field_count(), 5);
        assert_eq!(e.field("attempt"), Some("2"));
        assert_eq!(e.field("code"), Some("E1"));
        assert_eq!(e.field("userId"), None);
        let empty = LogEntry::new(0, "".into(), LogLevel::Other, "", &[]);
        assert_eq!((empty.message(), empty.field_count()), ("", 0));
        assert_eq!(empty.fields().count(), 0);
        // Entries compare by content.
        let same = LogEntry::new(
            7,
            Arc::from("grp"),
            LogLevel::Warn,
            "retrying 日本",
            &e.fields().collect::<Vec<_>>(),
        );
        assert_eq!(e, same);
        assert_ne!(e, empty);
        let dbg = format!("{e:?}");
        assert!(dbg.contains(r#"message: "retrying 日本""#), "{dbg}");
        assert!(dbg.contains(r#"("attempt", "2")"#), "{dbg}");
    }

    #[test]
    fn new_keeps_the_most_fields_that_fit() {
        let fields: Vec<(&str, &str)> = (0..MAX_FIELDS).map(|_| ("status", "1")).collect();
        let e = LogEntry::new(0, "s".into(), LogLevel::Info, "m", &fields);
        assert_eq!(e.field_count(), MAX_FIELDS);
        assert!(e.fields().all(|f| f == ("status", "1")));
        // Parts as long as the parser can make them fit whole.
        let long = format!("{} …[+999999 bytes]", "\u{301}".repeat(MAX_LINE_BYTES / 2));
        let e = LogEntry::new(
            0,
            "s".into(),
            LogLevel::Info,
            &long,
            &[
                ("requestId", &long),
                ("x".repeat(MAX_CUSTOM_LABEL).as_str(), &long),
            ],
        );
        assert_eq!(e.message(), long);
        assert_eq!(e.field("requestId"), Some(long.as_str()));
        assert_eq!(e.field(&"x".repeat(MAX_CUSTOM_LABEL)), Some(long.as_str()));
    }

    #[test]
    fn cut_to_respects_char_boundaries() {
        assert_eq!(cut_to("abc", 5), "abc");
        assert_eq!(cut_to("日本", 4), "日");
        assert_eq!(cut_to("日本", 3), "日");
        assert_eq!(cut_to("日本", 2), "");
    }

    #[test]
    fn buffer_shares_sources() {
        let mut b = LogBuffer::new(100);
        let line = br#"{"level":"info","message":"m"}"#;
        for i in 0..10 {
            let group = ["/aws/lambda/a", "/aws/lambda/b"][i % 2];
            let source = b.source(group);
            b.push(parse_line_shared(i as i64, source, line));
        }
        // Lines of a group share one string, also when parsed with their own copy.
        b.push(parse_line(10, "/aws/lambda/a", line));
        let a: Vec<&LogEntry> = b.iter().filter(|e| e.source() == "/aws/lambda/a").collect();
        assert_eq!(a.len(), 6);
        assert!(a
            .iter()
            .all(|e| Arc::ptr_eq(e.source_arc(), a[0].source_arc())));
        assert!(!Arc::ptr_eq(
            b.get(0).unwrap().source_arc(),
            b.get(1).unwrap().source_arc()
        ));
        // A name is sanitised once, on its way in.
        let dirty = "grp\u{1b}]0;pwned\u{7}\u{202e}";
        let s1 = b.source(dirty);
        assert_eq!(&*s1, "grp");
        assert!(Arc::ptr_eq(&s1, &b.source(dirty)));
        assert!(Arc::ptr_eq(&s1, &b.source("grp")));
        // A shared name that is not sanitised is not trusted.
        let e = parse_line_shared(0, Arc::from(dirty), line);
        assert_eq!(e.source(), "grp");
        let clean: Arc<str> = Arc::from("ok");
        assert!(Arc::ptr_eq(
            parse_line_shared(0, clean.clone(), line).source_arc(),
            &clean
        ));
        // The cache stays small however many sources come by.
        for i in 0..100 {
            let name = format!("g{i}");
            let s = b.source(&name);
            b.push(parse_line_shared(0, s, line));
        }
        assert!(b.sources.len() <= SOURCE_CACHE);
        assert_eq!(b.iter().next_back().unwrap().source(), "g99");
    }

    // --- filter ----------------------------------------------------------------------------

    fn entry(level: LogLevel, msg: &str) -> LogEntry {
        LogEntry::new(
            0,
            "profile-api".into(),
            level,
            msg,
            &[("requestId", "Req-ABC")],
        )
    }

    #[test]
    fn filter_levels() {
        use LogLevel::*;
        let all = [Error, Warn, Info, Debug, Other];
        let keep = |min: Option<LogLevel>| -> Vec<LogLevel> {
            let f = LogFilter {
                min_level: min,
                text: String::new(),
            };
            all.iter()
                .copied()
                .filter(|l| f.matches(&entry(*l, "m")))
                .collect()
        };
        assert_eq!(keep(None), all.to_vec());
        assert_eq!(keep(Some(Error)), vec![Error]);
        assert_eq!(keep(Some(Warn)), vec![Error, Warn]);
        assert_eq!(keep(Some(Info)), vec![Error, Warn, Info]);
        assert_eq!(keep(Some(Debug)), vec![Error, Warn, Info, Debug]);
        assert_eq!(keep(Some(Other)), vec![Error, Warn, Info, Debug]);
    }

    #[test]
    fn filter_text() {
        let e = entry(LogLevel::Info, "Connection Timeout on 日本 shard");
        let f = |t: &str| {
            LogFilter {
                min_level: None,
                text: t.into(),
            }
            .matches(&e)
        };
        assert!(f(""));
        assert!(f("timeout"));
        assert!(f("CONNECTION timeout"));
        assert!(f("req-abc")); // field value
        assert!(f("PROFILE-API")); // source
        assert!(f("日本"));
        assert!(!f("requestid")); // field names are not searched
        assert!(!f("missing"));
        assert!(f("ｘ") == e.message().contains('ｘ'));
        let both = LogFilter {
            min_level: Some(LogLevel::Warn),
            text: "timeout".into(),
        };
        assert!(!both.matches(&e));
        assert!(both.matches(&entry(LogLevel::Error, "timeout!")));
        assert!(LogFilter::default().is_empty());
    }

    // --- buffer ----------------------------------------------------------------------------

    #[test]
    fn buffer_is_bounded_and_counts_drops() {
        let mut b = LogBuffer::new(3);
        assert!(b.is_empty());
        assert_eq!(b.newest_seq(), None);
        for i in 0..5 {
            b.push(entry(LogLevel::Info, &format!("m{i}")));
        }
        assert_eq!(b.len(), 3);
        assert_eq!(b.dropped, 2);
        assert_eq!(b.total(), 5);
        assert_eq!(b.oldest_seq(), Some(2));
        assert_eq!(b.newest_seq(), Some(4));
        let msgs: Vec<&str> = b.iter().map(|e| e.message()).collect();
        assert_eq!(msgs, ["m2", "m3", "m4"]);
        assert_eq!(b.get(3).map(|e| e.message()), Some("m3"));
        assert!(b.get(1).is_none() && b.get(5).is_none());
        let after: Vec<u64> = b.after(2).map(|e| e.seq).collect();
        assert_eq!(after, [3, 4]);
        assert_eq!(b.after(0).count(), 3);
        assert_eq!(b.after(4).count(), 0);
        assert_eq!(b.after(99).count(), 0);
        assert_eq!(b.iter().next_back().map(|e| e.seq), Some(4));
    }

    #[test]
    fn buffer_respects_byte_budget() {
        let one = entry(LogLevel::Info, &"x".repeat(1000)).approx_bytes();
        let mut b = LogBuffer::with_limits(1000, one * 10);
        for _ in 0..100 {
            b.push(entry(LogLevel::Info, &"x".repeat(1000)));
        }
        assert_eq!(b.len(), 10);
        assert_eq!(b.dropped, 90);
        assert!(b.approx_bytes() <= one * 10);
        // One entry larger than the budget is still kept (the newest always is).
        let mut b = LogBuffer::with_limits(10, 10);
        b.push(entry(LogLevel::Info, "big"));
        assert_eq!(b.len(), 1);
        b.clear();
        assert!(b.is_empty());
        assert_eq!(b.approx_bytes(), 0);
    }

    #[test]
    fn buffer_full_capacity_stays_bounded() {
        let mut b = LogBuffer::new(DEFAULT_LOG_CAPACITY);
        let line = br#"{"level":"info","message":"GET /profile 200","requestId":"r"}"#;
        for i in 0..DEFAULT_LOG_CAPACITY + 500 {
            b.push(parse_line(i as i64, "api", line));
        }
        assert_eq!(b.len(), DEFAULT_LOG_CAPACITY);
        assert_eq!(b.dropped, 500);
        assert_eq!(b.oldest_seq(), Some(500));
        assert!(b.approx_bytes() <= DEFAULT_LOG_BYTES);
        // The ring never holds more slots than lines it may keep.
        assert_eq!(b.entries.capacity(), DEFAULT_LOG_CAPACITY);
        let mut small = LogBuffer::new(3);
        for i in 0..10 {
            small.push(parse_line(i, "api", line));
        }
        assert!(
            small.entries.capacity() <= 3 + 1,
            "{}",
            small.entries.capacity()
        );
    }
}
