//! The log tail's model: sanitising what enters, parsing JSON and plain lines, and a bounded
//! ring buffer with filters.
//!
//! Every byte that comes from a log reaches the screen only through [`sanitize`]: escape
//! sequences (CSI, OSC, DCS, ...), C0/C1 controls and bidi overrides are removed, tabs are
//! expanded and very long lines are cut with a marker.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

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

/// One log line after sanitising and parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Arrival order, unique within a buffer.
    pub seq: u64,
    pub ts: Ts,
    /// Where it came from (log group or its short name), sanitised.
    pub source: String,
    pub level: LogLevel,
    /// The message (the JSON `message`/`msg` field, or the plain line), sanitised.
    pub message: String,
    /// Key fields pulled from JSON lines (requestId, userId, error code, ...), sanitised.
    pub fields: Vec<(String, String)>,
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
#[derive(Debug, Clone)]
pub struct LogBuffer {
    entries: VecDeque<LogEntry>,
    capacity: usize,
    next_seq: u64,
    /// Lines pushed out of the buffer since the start.
    pub dropped: u64,
}

pub const DEFAULT_LOG_CAPACITY: usize = 100_000;

/// Remove everything from a log line that could act on a terminal and make it one display line.
pub fn sanitize(_bytes: &[u8]) -> String {
    unimplemented!("log helper")
}

/// Sanitise and parse one raw line (JSON or plain text).
pub fn parse_line(_ts: Ts, _source: &str, _bytes: &[u8]) -> LogEntry {
    unimplemented!("log helper")
}

impl LogFilter {
    pub fn matches(&self, e: &LogEntry) -> bool {
        if let Some(min) = self.min_level {
            if e.level > min {
                return false;
            }
        }
        if self.text.is_empty() {
            return true;
        }
        let needle = self.text.to_lowercase();
        e.message.to_lowercase().contains(&needle)
            || e.source.to_lowercase().contains(&needle)
            || e.fields.iter().any(|(_, v)| v.to_lowercase().contains(&needle))
    }
}

impl LogBuffer {
    pub fn new(capacity: usize) -> Self {
        Self { entries: VecDeque::new(), capacity: capacity.max(1), next_seq: 0, dropped: 0 }
    }
    pub fn push(&mut self, mut e: LogEntry) {
        e.seq = self.next_seq;
        self.next_seq += 1;
        self.entries.push_back(e);
        while self.entries.len() > self.capacity {
            self.entries.pop_front();
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
}
