//! The incident journal: everything that happens during an incident, appended as JSON lines,
//! one file per incident, each line written and fsynced before the next. A crash, a closed
//! terminal or `kill -9` loses nothing that was written; a line torn by a crash mid-write is
//! dropped when the file is read (everything before it is kept) and cut off before the next
//! append.
//!
//! - [`Entry`]: one line (`ts`, `who`, `kind` and the kind's fields).
//! - [`Tracker`]: the pure rules: an incident opens when an alarm enters ALARM and none is
//!   open, and closes when every alarm is back to OK for [`CLOSE_AFTER`] (or by hand).
//! - [`Journal`]: the edge: feeds the tracker from the model and the app's
//!   [`AppState::journal_out`] queue and appends to `<data dir>/opsdeck/incidents/<id>.jsonl`.
//! - [`read_file`], [`list`], [`restore`]: reading back, listing, resuming the walk.
//!
//! Headless runs (`opsdeck snapshot`) never journal: they replay data, nobody is responding.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::app::{AppState, Opened};
use crate::model::alarm::{AlarmState, Severity};
use crate::model::runbook::{StepMark, Walk};
use crate::model::time::{Ts, MINUTE};

/// An incident closes when every alarm has been OK for this long.
pub const CLOSE_AFTER: Ts = 15 * MINUTE;
/// The metrics kept with an incident reach this far before it opened and after it resolved.
pub const METRIC_MARGIN: Ts = 15 * MINUTE;
/// While an incident is open, new metric points are journaled at most this often.
pub const SNAPSHOT_EVERY: Ts = 10 * MINUTE;
/// At most this many series are kept with an incident.
const MAX_SERIES: usize = 8;
/// At most this long a stretch of one series is kept (12 h of one-minute points).
const MAX_WINDOW: Ts = 12 * 60 * MINUTE;

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When it happened (model time: the demo's simulated clock, or the wall clock).
    pub ts: Ts,
    /// Who did it: the OS user (`$USER`) of the opsdeck session that wrote it.
    pub who: String,
    #[serde(flatten)]
    pub kind: Kind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    IncidentOpened {
        /// The incident id, also the file stem: `YYYYMMDD-HHMMSS-<alarm-slug>`.
        id: String,
        alarm: String,
        severity: Option<Severity>,
        /// The data source (e.g. `demo: bad-deploy`, `aws: eu-west-1`).
        #[serde(default)]
        source: String,
        /// The service profile's name.
        #[serde(default)]
        service: String,
        /// Opened by an operator's action rather than by an alarm.
        #[serde(default)]
        by_hand: bool,
    },
    AlarmTransition {
        alarm: String,
        state: AlarmState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        severity: Option<Severity>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<f64>,
    },
    StepMarked {
        /// `runbook-id#section-id`.
        section: String,
        /// Index of the step in its section.
        step: usize,
        text: String,
        /// `Todo` is an undo.
        mark: StepMark,
    },
    Note {
        #[serde(default)]
        section: Option<String>,
        #[serde(default)]
        step: Option<usize>,
        text: String,
    },
    SectionOpened {
        alarm: String,
        section: Option<String>,
        why: String,
    },
    Escalation {
        section: String,
        condition: String,
        met_since: Ts,
    },
    IncidentClosed {
        why: String,
        /// When the last alarm went back to OK (none for an incident closed by hand while
        /// alarms still fired, or one no alarm opened).
        #[serde(default)]
        resolved_at: Option<Ts>,
    },
    /// Points of a key metric around the incident. Several snapshots of one series add up
    /// (the later one wins for a minute both have).
    MetricSnapshot {
        series: String,
        points: Vec<(Ts, f64)>,
    },
}

/// Something the app did that belongs in the journal, queued by the pure `app::update` in
/// [`AppState::journal_out`] and written at the edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub ts: Ts,
    /// `StepMarked`, `Note`, `SectionOpened` or `Escalation`; `IncidentClosed` closes the open
    /// incident by hand.
    pub kind: Kind,
}

// ---------------------------------------------------------------------------------------------
// Time and names

/// Civil date (year, month, day) of a day count since 1970-01-01.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn split(ts: Ts) -> ((i64, u32, u32), i64) {
    (civil(ts.div_euclid(86_400)), ts.rem_euclid(86_400))
}

/// `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn date_time(ts: Ts) -> String {
    let ((y, m, d), s) = split(ts);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// `YYYYMMDD-HHMMSS` (UTC), the start of incident ids.
pub fn stamp(ts: Ts) -> String {
    let ((y, m, d), s) = split(ts);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// Lower-case ASCII letters and digits joined by `-`, at most 40 characters.
pub fn slug(text: &str) -> String {
    let s = words_slug(text);
    let s: String = s.chars().take(40).collect();
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "incident".into()
    } else {
        s
    }
}

/// Lower-case ASCII letters and digits of `text`, runs of anything else as one `-`, none at
/// either end (file names for incidents and saved progress).
pub fn words_slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The incident id for an alarm that fired at `ts`.
pub fn incident_id(ts: Ts, alarm: &str) -> String {
    format!("{}-{}", stamp(ts), slug(alarm))
}

/// Where incidents are kept: `<data dir>/opsdeck/incidents`.
pub fn default_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("opsdeck").join("incidents"))
}

/// The OS user, from `$USER` (or `$LOGNAME`).
pub fn os_user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|u| u.trim().to_string())
        .find(|u| !u.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

// ---------------------------------------------------------------------------------------------
// Reading

/// What a journal file holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReadLog {
    pub entries: Vec<Entry>,
    /// An unfinished last line (a crash mid-write): its length in bytes. It is not an entry.
    pub torn: Option<usize>,
    /// Complete lines that are not entries (damaged, or from a newer opsdeck): line number
    /// (1-based) and why.
    pub bad_lines: Vec<(usize, String)>,
    /// Bytes up to the end of the last whole line (where the next append should start).
    pub good_len: u64,
    /// The file ends in the middle of a line that was nonetheless a whole entry (a crash
    /// between the entry and its newline): a newline is due before the next append.
    pub needs_newline: bool,
}

/// Parse journal bytes. Never panics, whatever the bytes.
pub fn parse(bytes: &[u8]) -> ReadLog {
    let mut log = ReadLog::default();
    let mut start = 0usize;
    let mut line_no = 0usize;
    while start < bytes.len() {
        line_no += 1;
        let (line, end, complete) = match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => (&bytes[start..start + i], start + i + 1, true),
            None => (&bytes[start..], bytes.len(), false),
        };
        let parsed = std::str::from_utf8(line)
            .map_err(|e| e.to_string())
            .and_then(|s| {
                if s.trim().is_empty() {
                    Err("empty line".to_string())
                } else {
                    serde_json::from_str::<Entry>(s).map_err(|e| e.to_string())
                }
            });
        match (parsed, complete) {
            (Ok(e), true) => {
                log.entries.push(e);
                log.good_len = end as u64;
            }
            (Ok(e), false) => {
                log.entries.push(e);
                log.good_len = end as u64;
                log.needs_newline = true;
            }
            (Err(_), false) => log.torn = Some(line.len()),
            (Err(why), true) => {
                if !line.iter().all(|b| b.is_ascii_whitespace()) {
                    log.bad_lines.push((line_no, why));
                }
                log.good_len = end as u64;
            }
        }
        start = end;
    }
    log
}

/// Read a journal file.
pub fn read_file(path: &Path) -> io::Result<ReadLog> {
    Ok(parse(&std::fs::read(path)?))
}

/// One incident, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: String,
    pub path: PathBuf,
    pub opened: Option<Ts>,
    pub alarm: String,
    pub severity: Option<Severity>,
    pub source: String,
    pub resolved: Option<Ts>,
    pub closed: Option<Ts>,
    /// The newest entry's time.
    pub last: Option<Ts>,
    pub entries: usize,
    pub torn: bool,
    pub bad_lines: usize,
}

impl Summary {
    pub fn of(path: &Path, log: &ReadLog) -> Summary {
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut s = Summary {
            id,
            path: path.to_path_buf(),
            opened: None,
            alarm: String::new(),
            severity: None,
            source: String::new(),
            resolved: None,
            closed: None,
            last: log.entries.iter().map(|e| e.ts).max(),
            entries: log.entries.len(),
            torn: log.torn.is_some(),
            bad_lines: log.bad_lines.len(),
        };
        for e in &log.entries {
            match &e.kind {
                Kind::IncidentOpened {
                    alarm,
                    severity,
                    source,
                    ..
                } if s.opened.is_none() => {
                    s.opened = Some(e.ts);
                    s.alarm = alarm.clone();
                    s.severity = *severity;
                    s.source = source.clone();
                }
                Kind::IncidentClosed { resolved_at, .. } if s.closed.is_none() => {
                    s.closed = Some(e.ts);
                    s.resolved = *resolved_at;
                }
                _ => {}
            }
        }
        s
    }

    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }

    /// From opening to resolution (or closing, or the newest entry while open).
    pub fn duration(&self) -> Option<Ts> {
        let end = self.resolved.or(self.closed).or(self.last)?;
        Some(end - self.opened?)
    }
}

/// Every incident in `dir`, oldest first (ids sort by time). A missing directory is none.
pub fn list(dir: &Path) -> io::Result<Vec<Summary>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl") && p.is_file())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        match read_file(&p) {
            Ok(log) => out.push(Summary::of(&p, &log)),
            Err(e) => tracing::warn!("reading {}: {e}", p.display()),
        }
    }
    Ok(out)
}

/// Find an incident by id: exact, else the one whose id contains `query` (an error when
/// none or several do). `None` picks the newest.
pub fn find<'a>(all: &'a [Summary], query: Option<&str>) -> Result<&'a Summary, String> {
    let Some(q) = query else {
        return all
            .iter()
            .max_by(|a, b| (a.opened, &a.id).cmp(&(b.opened, &b.id)))
            .ok_or_else(|| "no incidents recorded yet".to_string());
    };
    if let Some(s) = all.iter().find(|s| s.id == q) {
        return Ok(s);
    }
    let hits: Vec<&Summary> = all.iter().filter(|s| s.id.contains(q)).collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no incident matches {q:?} (see `opsdeck incident list`)"
        )),
        many => Err(format!(
            "{q:?} matches {} incidents: {}",
            many.len(),
            many.iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// An incident file opened for appending: every entry is written whole and fsynced.
#[derive(Debug)]
pub struct Appender {
    pub path: PathBuf,
    file: File,
}

fn open_append(path: &Path, create_new: bool) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.append(true);
    if create_new {
        opts.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Appender {
    /// Create `<dir>/<id>.jsonl` (mode 0600); when that name is taken, `<id>-2`, `-3`...
    /// Returns the appender and the id actually used. The directory is fsynced so the new
    /// file's name survives a crash too.
    pub fn create(dir: &Path, id: &str) -> io::Result<(Appender, String)> {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        for n in 1..1000 {
            let id = if n == 1 {
                id.to_string()
            } else {
                format!("{id}-{n}")
            };
            let path = dir.join(format!("{id}.jsonl"));
            match open_append(&path, true) {
                Ok(file) => {
                    sync_dir(dir);
                    return Ok((Appender { path, file }, id));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other(format!(
            "{}: too many incidents named {id}",
            dir.display()
        )))
    }

    /// Open an existing journal to append to it, cutting off a torn last line first.
    pub fn reopen(path: &Path, log: &ReadLog) -> io::Result<Appender> {
        let mut file = open_append(path, false)?;
        let len = file.metadata()?.len();
        if log.good_len < len {
            tracing::warn!(
                "{}: dropping a torn last line ({} bytes) before appending",
                path.display(),
                len - log.good_len
            );
            // Truncation needs a handle without O_APPEND semantics to matter; set_len works
            // on any writable handle.
            file.set_len(log.good_len)?;
            file.sync_all()?;
        }
        if log.needs_newline {
            file.write_all(b"\n")?;
            file.sync_data()?;
        }
        Ok(Appender {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Append one entry as one line with one write, then fsync. When this returns `Ok` the
    /// entry is on disk.
    pub fn append(&mut self, entry: &Entry) -> io::Result<()> {
        let mut line = serde_json::to_string(&clean(entry)).map_err(io::Error::other)?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()
    }
}

/// JSON has no NaN or infinity: drop such values rather than write a line that cannot be read.
fn clean(entry: &Entry) -> std::borrow::Cow<'_, Entry> {
    match &entry.kind {
        Kind::AlarmTransition { value: Some(v), .. } if !v.is_finite() => {
            let mut e = entry.clone();
            if let Kind::AlarmTransition { value, .. } = &mut e.kind {
                *value = None;
            }
            std::borrow::Cow::Owned(e)
        }
        Kind::MetricSnapshot { points, .. } if points.iter().any(|p| !p.1.is_finite()) => {
            let mut e = entry.clone();
            if let Kind::MetricSnapshot { points, .. } = &mut e.kind {
                points.retain(|p| p.1.is_finite());
            }
            std::borrow::Cow::Owned(e)
        }
        _ => std::borrow::Cow::Borrowed(entry),
    }
}

// ---------------------------------------------------------------------------------------------
// The rules

/// The open incident, as the tracker sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenIncident {
    pub id: String,
    pub opened: Ts,
    pub alarm: String,
    /// Each alarm seen during the incident: its state and when it changed.
    pub states: BTreeMap<String, (AlarmState, Ts)>,
    /// The newest recorded transition.
    pub last_transition: Ts,
    /// The last time the model showed an alarm firing.
    pub last_firing: Ts,
    /// Since when everything has been OK.
    pub quiet_since: Option<Ts>,
    /// Whether an alarm opened it (else an operator's action did).
    pub by_alarm: bool,
}

/// The incident rules, free of I/O: fed transitions, app events and ticks, it says which
/// entries to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracker {
    pub close_after: Ts,
    /// Transitions at or before this time are old news (the newest closed incident's end).
    pub floor: Ts,
    pub open: Option<OpenIncident>,
    /// Where the data comes from and the service name, written into `IncidentOpened`.
    pub source: String,
    pub service: String,
}

impl Tracker {
    pub fn new(source: &str, service: &str) -> Tracker {
        Tracker {
            close_after: CLOSE_AFTER,
            floor: Ts::MIN,
            open: None,
            source: source.into(),
            service: service.into(),
        }
    }

    fn entry(ts: Ts, kind: Kind) -> Entry {
        Entry {
            ts,
            who: String::new(),
            kind,
        }
    }

    fn open_incident(
        &mut self,
        ts: Ts,
        alarm: &str,
        severity: Option<Severity>,
        by_hand: bool,
    ) -> Entry {
        let id = incident_id(ts, alarm);
        self.open = Some(OpenIncident {
            id: id.clone(),
            opened: ts,
            alarm: alarm.into(),
            states: BTreeMap::new(),
            last_transition: ts,
            last_firing: ts,
            quiet_since: None,
            by_alarm: !by_hand,
        });
        Self::entry(
            ts,
            Kind::IncidentOpened {
                id,
                alarm: alarm.into(),
                severity,
                source: self.source.clone(),
                service: self.service.clone(),
                by_hand,
            },
        )
    }

    /// An alarm changed state at `ts`. Opens an incident when it entered ALARM and none is
    /// open; within an incident, records changes the journal does not know yet (a restarted
    /// session re-evaluates history: what was recorded before is not recorded twice).
    pub fn transition(
        &mut self,
        ts: Ts,
        alarm: &str,
        state: AlarmState,
        severity: Option<Severity>,
        value: Option<f64>,
    ) -> Vec<Entry> {
        let mut out = Vec::new();
        if ts <= self.floor {
            return out;
        }
        let record = |ts| {
            Self::entry(
                ts,
                Kind::AlarmTransition {
                    alarm: alarm.into(),
                    state,
                    severity,
                    value: value.filter(|v| v.is_finite()),
                },
            )
        };
        match &mut self.open {
            None => {
                if state == AlarmState::Alarm {
                    out.push(self.open_incident(ts, alarm, severity, false));
                    if let Some(o) = &mut self.open {
                        o.states.insert(alarm.into(), (state, ts));
                    }
                    out.push(record(ts));
                }
            }
            Some(o) => {
                if ts < o.opened {
                    return out;
                }
                match o.states.get(alarm) {
                    Some((known, at)) if *known == state || ts < *at => return out,
                    None if state != AlarmState::Alarm => return out,
                    _ => {}
                }
                o.states.insert(alarm.into(), (state, ts));
                o.last_transition = o.last_transition.max(ts);
                if state == AlarmState::Alarm {
                    o.quiet_since = None;
                }
                out.push(record(ts));
            }
        }
        out
    }

    /// The clock moved to `now`; `firing` says whether the model has any alarm in ALARM.
    /// Returns the closing entry when the incident is over: every alarm it saw is OK, none
    /// fires, and that has held for `close_after`.
    pub fn tick(&mut self, now: Ts, firing: bool) -> Option<Entry> {
        let close_after = self.close_after;
        let o = self.open.as_mut()?;
        if firing {
            o.last_firing = o.last_firing.max(now);
        }
        let quiet = !firing && o.states.values().all(|(s, _)| *s == AlarmState::Ok);
        if !quiet {
            o.quiet_since = None;
            return None;
        }
        let since = *o
            .quiet_since
            .get_or_insert(o.last_transition.max(o.last_firing));
        if now - since < close_after {
            return None;
        }
        let resolved = (!o.states.is_empty()).then_some(since);
        let at = since + close_after;
        Some(self.close(
            at,
            format!(
                "every alarm OK for {}",
                crate::model::time::short_duration(close_after)
            ),
            resolved,
        ))
    }

    fn close(&mut self, ts: Ts, why: String, resolved_at: Option<Ts>) -> Entry {
        let opened = self.open.take().map(|o| o.opened).unwrap_or(ts);
        let ts = ts.max(opened);
        self.floor = self.floor.max(ts);
        Self::entry(ts, Kind::IncidentClosed { why, resolved_at })
    }

    /// Close the open incident by hand.
    pub fn close_by_hand(&mut self, ts: Ts, why: &str) -> Option<Entry> {
        let o = self.open.as_ref()?;
        let quiet = o.states.values().all(|(s, _)| *s == AlarmState::Ok);
        let resolved = (quiet && !o.states.is_empty()).then_some(o.last_transition);
        let why = if why.is_empty() {
            "closed by hand"
        } else {
            why
        };
        Some(self.close(ts, why.into(), resolved))
    }

    /// An operator's action. With no incident open, one is opened by hand first (nothing an
    /// operator enters is dropped).
    pub fn event(&mut self, ev: Event, alarm_hint: Option<(&str, Option<Severity>)>) -> Vec<Entry> {
        let mut out = Vec::new();
        if let Kind::IncidentClosed { why, .. } = &ev.kind {
            out.extend(self.close_by_hand(ev.ts, why));
            return out;
        }
        if self.open.is_none() {
            let (alarm, severity) = match (&ev.kind, alarm_hint) {
                (Kind::SectionOpened { alarm, .. }, _) => (alarm.as_str(), None),
                (_, Some((a, s))) => (a, s),
                _ => ("opened by hand", None),
            };
            let severity = severity.or(alarm_hint.and_then(|h| h.1));
            out.push(self.open_incident(ev.ts, alarm, severity, true));
        }
        out.push(Self::entry(ev.ts, ev.kind));
        out
    }

    /// Rebuild the tracker from an incident's entries (resuming after a restart or a crash).
    pub fn replay(&mut self, entries: &[Entry]) {
        for e in entries {
            match &e.kind {
                Kind::IncidentOpened {
                    id, alarm, by_hand, ..
                } => {
                    self.open = Some(OpenIncident {
                        id: id.clone(),
                        opened: e.ts,
                        alarm: alarm.clone(),
                        states: BTreeMap::new(),
                        last_transition: e.ts,
                        last_firing: e.ts,
                        quiet_since: None,
                        by_alarm: !by_hand,
                    })
                }
                Kind::AlarmTransition { alarm, state, .. } => {
                    if let Some(o) = &mut self.open {
                        o.states.insert(alarm.clone(), (*state, e.ts));
                        o.last_transition = o.last_transition.max(e.ts);
                        if *state == AlarmState::Alarm {
                            o.last_firing = o.last_firing.max(e.ts);
                        }
                    }
                }
                Kind::IncidentClosed { .. } => {
                    self.open = None;
                    self.floor = self.floor.max(e.ts);
                }
                _ => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Restoring the walk

/// Put the walk recorded in an incident's entries back into `state`: the opened section,
/// every step mark with its time, and the notes. Applied over what `progress` restored (the journal is the
/// richer record); returns whether anything was restored.
pub fn restore(entries: &[Entry], state: &mut AppState) -> bool {
    let mut changed = false;
    for e in entries {
        match &e.kind {
            Kind::SectionOpened {
                alarm,
                section,
                why,
            } => {
                if let Some(r) = section {
                    ensure_walk(state, r, 0, e.ts);
                }
                state.opened = Some(Opened {
                    alarm: alarm.clone(),
                    section: section.clone(),
                    why: why.clone(),
                });
                changed = true;
            }
            Kind::StepMarked {
                section,
                step,
                mark,
                ..
            } => {
                if *step > 10_000 {
                    continue;
                }
                let walk = ensure_walk(state, section, step + 1, e.ts);
                walk.marks[*step] = *mark;
                walk.marked_at[*step] = (*mark != StepMark::Todo).then_some(e.ts);
                changed = true;
            }
            Kind::Note {
                section: Some(section),
                step,
                text,
            } => {
                let note = crate::model::runbook::StepNote {
                    step: step.unwrap_or(0),
                    ts: e.ts,
                    text: text.clone(),
                };
                let notes = state.notes.entry(section.clone()).or_default();
                // The progress file may have brought the same note back already.
                if !notes.contains(&note) {
                    notes.push(note);
                    changed = true;
                }
            }
            _ => {}
        }
    }
    if changed {
        for walk in state.walks.values_mut() {
            if let Some(i) = walk.marks.iter().position(|m| *m == StepMark::Todo) {
                walk.cursor = i;
            }
        }
        state.progress_rev += 1;
    }
    changed
}

fn ensure_walk<'a>(
    state: &'a mut AppState,
    reference: &str,
    min_len: usize,
    ts: Ts,
) -> &'a mut Walk {
    let steps = state
        .section(reference)
        .map(|(_, s)| s.steps.len())
        .unwrap_or(0)
        .max(min_len);
    let walk = state
        .walks
        .entry(reference.to_string())
        .or_insert_with(|| Walk {
            section: reference.to_string(),
            marks: Vec::new(),
            cursor: 0,
            started: ts,
            marked_at: Vec::new(),
        });
    if walk.marks.len() < steps {
        walk.marks.resize(steps, StepMark::Todo);
    }
    if walk.marked_at.len() < walk.marks.len() {
        walk.marked_at.resize(walk.marks.len(), None);
    }
    walk
}

// ---------------------------------------------------------------------------------------------
// The journal at the edge

/// What was found when the journal was opened.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resumed {
    /// The open incident's id and entries, when there is one for this source.
    pub incident: Option<(String, Vec<Entry>)>,
    /// A torn last line was dropped from it.
    pub torn: bool,
}

/// The journal of one opsdeck session: the tracker, the open incident's file, and how far
/// the model's transitions have been read.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    who: String,
    pub tracker: Tracker,
    file: Option<Appender>,
    /// How many of `model.transitions` have been seen.
    seen: usize,
    /// Entries not written yet (a write failed; retried on the next sync).
    pending: Vec<Entry>,
    /// Per series, the newest point already journaled for the open incident.
    snapped: BTreeMap<String, Ts>,
    last_snapshot: Option<Ts>,
    first_sync: bool,
}

impl Journal {
    /// Open the journal in `dir` for a session on `source`: the newest incident of that source
    /// that has no `IncidentClosed` is resumed (its entries returned, so the walk can be
    /// restored); a torn last line is cut off.
    pub fn open_or_resume(
        dir: &Path,
        source: &str,
        service: &str,
    ) -> io::Result<(Journal, Resumed)> {
        let mut tracker = Tracker::new(source, service);
        let mut resumed = Resumed::default();
        let mut file = None;
        let all = list(dir)?;
        let mine: Vec<&Summary> = all.iter().filter(|s| s.source == source).collect();
        if let Some(newest) = mine
            .iter()
            .filter(|s| s.closed.is_some())
            .max_by_key(|s| s.closed)
        {
            tracker.floor = newest.closed.unwrap_or(Ts::MIN);
        }
        if let Some(open) = mine
            .iter()
            .filter(|s| s.is_open())
            .max_by_key(|s| (s.opened, &s.id))
        {
            let log = read_file(&open.path)?;
            tracker.replay(&log.entries);
            if let Some(o) = &mut tracker.open {
                o.id = open.id.clone();
            }
            file = Some(Appender::reopen(&open.path, &log)?);
            resumed.torn = log.torn.is_some();
            resumed.incident = Some((open.id.clone(), log.entries));
        }
        let mut j = Journal {
            dir: dir.to_path_buf(),
            who: os_user(),
            tracker,
            file,
            seen: 0,
            pending: Vec::new(),
            snapped: BTreeMap::new(),
            last_snapshot: None,
            first_sync: true,
        };
        if let Some((_, entries)) = &resumed.incident {
            for e in entries {
                if let Kind::MetricSnapshot { series, points } = &e.kind {
                    if let Some(last) = points.iter().map(|p| p.0).max() {
                        let s = j.snapped.entry(series.clone()).or_insert(last);
                        *s = (*s).max(last);
                    }
                    j.last_snapshot = Some(j.last_snapshot.unwrap_or(e.ts).max(e.ts));
                }
            }
        }
        Ok((j, resumed))
    }

    /// Entries are signed with this name (default: the OS user).
    pub fn set_who(&mut self, who: &str) {
        self.who = who.into();
    }

    /// The open incident's id.
    pub fn open_id(&self) -> Option<&str> {
        self.tracker.open.as_ref().map(|o| o.id.as_str())
    }

    /// The file being appended to.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|f| f.path.as_path())
    }

    /// Bring the journal up to date with the state: new alarm transitions, the app's queued
    /// events, the close rule and metric snapshots. Call after each batch of updates.
    pub fn sync(&mut self, state: &mut AppState) -> io::Result<()> {
        let now = state.model.now;
        if self.first_sync {
            self.first_sync = false;
            // A demo replays the same minutes on every run: a clock behind the journal is a
            // replay, and the incidents it sees are new ones.
            if now < self.tracker.floor {
                self.tracker.floor = Ts::MIN;
            }
        }
        let mut out = Vec::new();
        let transitions = &state.model.transitions;
        self.seen = self.seen.min(transitions.len());
        for (ts, name, st) in &transitions[self.seen..] {
            let alarm = state.model.alarms.iter().find(|a| &a.def.name == name);
            let severity = alarm.map(|a| a.def.severity);
            let value = alarm
                .filter(|a| a.since == *ts && a.state == *st)
                .and_then(|a| a.value);
            let was_open = self.tracker.open.is_some();
            let entries = self.tracker.transition(*ts, name, *st, severity, value);
            if !was_open && self.tracker.open.is_some() {
                self.snapped.clear();
                self.last_snapshot = None;
            }
            out.extend(entries);
        }
        self.seen = transitions.len();
        for ev in std::mem::take(&mut state.journal_out) {
            let hint = state.opened.as_ref().map(|o| {
                let sev = state
                    .model
                    .alarms
                    .iter()
                    .find(|a| a.def.name == o.alarm)
                    .map(|a| a.def.severity);
                (o.alarm.clone(), sev)
            });
            let was_open = self.tracker.open.is_some();
            let closing = matches!(ev.kind, Kind::IncidentClosed { .. });
            if closing && was_open {
                out.extend(self.snapshot(state, true));
            }
            let entries = self
                .tracker
                .event(ev, hint.as_ref().map(|(a, s)| (a.as_str(), *s)));
            if !was_open && self.tracker.open.is_some() {
                self.snapped.clear();
                self.last_snapshot = None;
            }
            out.extend(entries);
        }
        let firing = state
            .model
            .alarms
            .iter()
            .any(|a| a.state == AlarmState::Alarm);
        let due = self.last_snapshot.is_none_or(|t| now - t >= SNAPSHOT_EVERY);
        if self.tracker.open.is_some() && due {
            out.extend(self.snapshot(state, false));
        }
        if self.tracker.open.is_some() {
            // Try the close rule on a copy: when it closes, the last metric points go in
            // before the closing entry (they need the open incident's window).
            let mut probe = self.tracker.clone();
            if probe.tick(now, firing).is_some() {
                out.extend(self.snapshot(state, true));
                out.extend(self.tracker.tick(now, firing));
            } else {
                self.tracker = probe;
            }
        }
        self.write_all(out)
    }

    /// The session is ending: journal the newest metric points of an open incident.
    pub fn finish(&mut self, state: &AppState) -> io::Result<()> {
        let out = if self.tracker.open.is_some() {
            self.snapshot(state, true)
        } else {
            Vec::new()
        };
        self.write_all(out)
    }

    /// The key series of the open incident: its alarms' series, then requests, error rate and
    /// P95 latency, where the model has them.
    fn key_series(&self, state: &AppState) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        if let Some(o) = &self.tracker.open {
            for name in o.states.keys().chain(std::iter::once(&o.alarm)) {
                if let Some(a) = state.model.alarms.iter().find(|a| &a.def.name == name) {
                    if !a.def.series.is_empty() && !keys.contains(&a.def.series) {
                        keys.push(a.def.series.clone());
                    }
                }
            }
        }
        use crate::model::metrics::keys as k;
        for key in [k::REQUESTS, k::ERROR_RATE, k::P95] {
            if !keys.iter().any(|x| x == key) {
                keys.push(key.to_string());
            }
        }
        keys.retain(|key| state.model.series.contains_key(key));
        keys.truncate(MAX_SERIES);
        keys
    }

    fn snapshot_entries(&mut self, state: &AppState) -> Vec<Entry> {
        let Some(o) = &self.tracker.open else {
            return Vec::new();
        };
        let now = state.model.now;
        let from = (o.opened - METRIC_MARGIN).max(now - MAX_WINDOW);
        let mut out = Vec::new();
        for key in self.key_series(state) {
            let Some(series) = state.model.series(&key) else {
                continue;
            };
            let after = self.snapped.get(&key).copied().unwrap_or(Ts::MIN);
            let points: Vec<(Ts, f64)> = series
                .range(from, now)
                .filter(|(t, v)| *t > after && v.is_finite())
                .collect();
            if let Some(last) = points.last() {
                self.snapped.insert(key.clone(), last.0);
                out.push(Tracker::entry(
                    now,
                    Kind::MetricSnapshot {
                        series: key,
                        points,
                    },
                ));
            }
        }
        out
    }

    fn snapshot(&mut self, state: &AppState, force: bool) -> Vec<Entry> {
        let now = state.model.now;
        if !force && self.last_snapshot.is_some_and(|t| now - t < SNAPSHOT_EVERY) {
            return Vec::new();
        }
        self.last_snapshot = Some(now);
        self.snapshot_entries(state)
    }

    fn write_all(&mut self, out: Vec<Entry>) -> io::Result<()> {
        self.pending.extend(out);
        while !self.pending.is_empty() {
            let mut e = self.pending[0].clone();
            if e.who.is_empty() {
                e.who = self.who.clone();
            }
            if let Kind::IncidentOpened { id, .. } = &mut e.kind {
                let (file, used) = Appender::create(&self.dir, id)?;
                if let Some(o) = &mut self.tracker.open {
                    if o.id == *id {
                        o.id = used.clone();
                    }
                }
                *id = used;
                self.file = Some(file);
            }
            match self.file.as_mut() {
                Some(f) => f.append(&e)?,
                None => tracing::warn!("journal: no incident file for {:?}", e.kind),
            }
            if matches!(e.kind, Kind::IncidentClosed { .. }) {
                self.file = None;
            }
            self.pending.remove(0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "opsdeck-journal-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn e(ts: Ts, kind: Kind) -> Entry {
        Entry {
            ts,
            who: "alice".into(),
            kind,
        }
    }

    #[test]
    fn restore_brings_back_marks_and_notes_once() {
        let files = crate::session::Files::default();
        let (mut state, _, _) = crate::session::demo("calm", 1, &files).unwrap();
        let section = "profile-api#high-error-rate".to_string();
        let entries = vec![
            e(
                100,
                Kind::StepMarked {
                    section: section.clone(),
                    step: 0,
                    text: "first".into(),
                    mark: StepMark::Done,
                },
            ),
            e(
                110,
                Kind::Note {
                    section: Some(section.clone()),
                    step: Some(1),
                    text: "rollback started".into(),
                },
            ),
        ];
        assert!(restore(&entries, &mut state));
        assert_eq!(state.walks[&section].marks[0], StepMark::Done);
        let notes = state.section_notes(&section);
        assert_eq!(notes.len(), 1);
        assert_eq!((notes[0].step, notes[0].ts), (1, 110));
        assert_eq!(notes[0].text, "rollback started");
        // Restoring again (progress file and journal both had it) does not repeat the note.
        restore(&entries, &mut state);
        assert_eq!(state.section_notes(&section).len(), 1);
    }

    fn every_kind() -> Vec<Entry> {
        vec![
            e(
                100,
                Kind::IncidentOpened {
                    id: "19700101-000140-x".into(),
                    alarm: "X".into(),
                    severity: Some(Severity::Critical),
                    source: "demo: x".into(),
                    service: "svc".into(),
                    by_hand: false,
                },
            ),
            e(
                100,
                Kind::AlarmTransition {
                    alarm: "X".into(),
                    state: AlarmState::Alarm,
                    severity: Some(Severity::High),
                    value: Some(12.5),
                },
            ),
            e(
                101,
                Kind::AlarmTransition {
                    alarm: "X".into(),
                    state: AlarmState::InsufficientData,
                    severity: None,
                    value: None,
                },
            ),
            e(
                102,
                Kind::StepMarked {
                    section: "rb#s".into(),
                    step: 2,
                    text: "ロールバックする \"now\"\n".into(),
                    mark: StepMark::Skipped,
                },
            ),
            e(
                103,
                Kind::Note {
                    section: Some("rb#s".into()),
                    step: None,
                    text: "note".into(),
                },
            ),
            e(
                104,
                Kind::SectionOpened {
                    alarm: "X".into(),
                    section: None,
                    why: "no mapping".into(),
                },
            ),
            e(
                105,
                Kind::Escalation {
                    section: "rb#s".into(),
                    condition: "error rate over 10%".into(),
                    met_since: 90,
                },
            ),
            e(
                106,
                Kind::MetricSnapshot {
                    series: "errors/rate".into(),
                    points: vec![(60, 1.5), (120, 0.0)],
                },
            ),
            e(
                107,
                Kind::IncidentClosed {
                    why: "by hand".into(),
                    resolved_at: Some(101),
                },
            ),
        ]
    }

    #[test]
    fn entries_round_trip() {
        for entry in every_kind() {
            let line = serde_json::to_string(&entry).unwrap();
            assert!(!line.contains('\n'), "one line: {line}");
            assert!(line.contains("\"kind\":"), "{line}");
            let back: Entry = serde_json::from_str(&line).unwrap();
            assert_eq!(back, entry, "{line}");
        }
        // Optional fields may be missing.
        let back: Entry = serde_json::from_str(
            r#"{"ts":5,"who":"b","kind":"alarm_transition","alarm":"A","state":"Ok"}"#,
        )
        .unwrap();
        assert_eq!(
            back.kind,
            Kind::AlarmTransition {
                alarm: "A".into(),
                state: AlarmState::Ok,
                severity: None,
                value: None
            }
        );
    }

    #[test]
    fn dates_and_ids() {
        assert_eq!(date_time(0), "1970-01-01 00:00:00");
        assert_eq!(date_time(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(date_time(1_741_946_880), "2025-03-14 10:08:00");
        assert_eq!(date_time(-1), "1969-12-31 23:59:59");
        assert_eq!(
            incident_id(1_741_946_880, "ProfileAPI-HighErrorRate"),
            "20250314-100800-profileapi-higherrorrate"
        );
        assert_eq!(slug("エラー"), "incident");
        assert_eq!(slug(&"a".repeat(99)).len(), 40);
    }

    #[test]
    fn reader_keeps_everything_before_a_torn_line() {
        let mut bytes = Vec::new();
        for entry in every_kind() {
            bytes.extend(serde_json::to_vec(&entry).unwrap());
            bytes.push(b'\n');
        }
        let whole = bytes.len();
        // Every cut of the last line: the entries before it are kept, the tail is torn.
        let last_start = whole
            - 1
            - bytes[..whole - 1]
                .iter()
                .rev()
                .position(|&b| b == b'\n')
                .unwrap();
        for cut in last_start + 1..whole - 1 {
            let log = parse(&bytes[..cut]);
            assert_eq!(
                log.entries,
                every_kind()[..every_kind().len() - 1],
                "cut {cut}"
            );
            assert_eq!(log.torn, Some(cut - last_start));
            assert_eq!(log.good_len, last_start as u64);
            assert!(log.bad_lines.is_empty());
        }
        // The entry without its newline is whole: kept, and a newline is due.
        let log = parse(&bytes[..whole - 1]);
        assert_eq!(log.entries, every_kind());
        assert!(log.needs_newline && log.torn.is_none());
        // A damaged line in the middle is reported, the rest kept.
        let mut damaged = bytes.clone();
        damaged.splice(0..0, b"{\"ts\": oops\n\xff\xfe\n\n".iter().copied());
        let log = parse(&damaged);
        assert_eq!(log.entries, every_kind());
        assert_eq!(log.bad_lines.len(), 2);
        assert_eq!(log.bad_lines[0].0, 1);
        // Nothing panics on arbitrary bytes.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for n in 0..2000 {
            let mut junk = bytes[..(n * 7) % whole].to_vec();
            for _ in 0..(n % 13) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x as usize) % (junk.len() + 1);
                junk.insert(i, (x >> 32) as u8);
            }
            let _ = parse(&junk);
        }
    }

    #[test]
    fn incident_rules() {
        let mut t = Tracker::new("demo: x", "svc");
        // OK and NO DATA open nothing.
        assert!(t.transition(60, "A", AlarmState::Ok, None, None).is_empty());
        assert!(t.tick(120, false).is_none());
        // ALARM opens one.
        let out = t.transition(180, "A", AlarmState::Alarm, Some(Severity::High), Some(7.0));
        assert_eq!(out.len(), 2);
        assert!(
            matches!(&out[0].kind, Kind::IncidentOpened { id, alarm, severity: Some(Severity::High), by_hand: false, .. }
            if id == "19700101-000300-a" && alarm == "A")
        );
        // A second alarm joins it; the same state twice, or an older change, is not recorded.
        assert_eq!(
            t.transition(240, "B", AlarmState::Alarm, None, None).len(),
            1
        );
        assert!(t
            .transition(240, "B", AlarmState::Alarm, None, None)
            .is_empty());
        assert!(t
            .transition(200, "B", AlarmState::Ok, None, None)
            .is_empty());
        // Another alarm's OK it never saw firing is noise.
        assert!(t
            .transition(250, "C", AlarmState::Ok, None, None)
            .is_empty());
        // A recovers; B still fires: open.
        assert_eq!(t.transition(600, "A", AlarmState::Ok, None, None).len(), 1);
        assert!(t.tick(600 + CLOSE_AFTER * 2, true).is_none());
        // B recovers at 900; NO DATA on A keeps it open.
        assert_eq!(t.transition(900, "B", AlarmState::Ok, None, None).len(), 1);
        assert!(t.tick(900 + 60, false).is_none());
        let mut t2 = t.clone();
        t2.transition(1000, "A", AlarmState::InsufficientData, None, None);
        assert!(t2.tick(5000, false).is_none());
        // Every alarm OK, none firing, for CLOSE_AFTER since the model last fired: closed.
        let mut t3 = t.clone();
        let last_firing = 600 + CLOSE_AFTER * 2;
        assert!(t3.tick(last_firing + CLOSE_AFTER - 1, false).is_none());
        let mut t4 = t.clone();
        let close = t4
            .tick(last_firing + CLOSE_AFTER + 5, false)
            .expect("closes");
        assert_eq!(close.ts, last_firing + CLOSE_AFTER);
        assert!(
            matches!(close.kind, Kind::IncidentClosed { resolved_at: Some(r), .. } if r == last_firing)
        );
        assert!(t4.open.is_none());
        // Old transitions (replayed history) do not reopen it; new ones do.
        assert!(t4
            .transition(240, "B", AlarmState::Alarm, None, None)
            .is_empty());
        assert_eq!(
            t4.transition(close.ts + 60, "B", AlarmState::Alarm, None, None)
                .len(),
            2
        );
        // By hand.
        let c = t4.close_by_hand(close.ts + 120, "").unwrap();
        assert!(
            matches!(&c.kind, Kind::IncidentClosed { why, resolved_at: None } if why == "closed by hand")
        );
        assert!(t4.close_by_hand(close.ts + 180, "").is_none());
        // An operator's step with nothing open opens an incident by hand.
        let out = t4.event(
            Event {
                ts: close.ts + 300,
                kind: Kind::Note {
                    section: None,
                    step: None,
                    text: "n".into(),
                },
            },
            Some(("A", Some(Severity::Low))),
        );
        assert!(matches!(
            &out[0].kind,
            Kind::IncidentOpened {
                by_hand: true,
                severity: Some(Severity::Low),
                ..
            }
        ));
        assert_eq!(out.len(), 2);
        // ...and closes when nothing fired for CLOSE_AFTER after it.
        assert!(t4.tick(close.ts + 300 + CLOSE_AFTER, false).is_some());
    }

    #[test]
    fn replay_matches_live_tracker() {
        let mut live = Tracker::new("s", "svc");
        let mut entries = Vec::new();
        entries.extend(live.transition(60, "A", AlarmState::Alarm, None, None));
        entries.extend(live.transition(120, "B", AlarmState::Alarm, None, None));
        entries.extend(live.transition(180, "A", AlarmState::Ok, None, None));
        let mut again = Tracker::new("s", "svc");
        again.replay(&entries);
        let (a, b) = (live.open.clone().unwrap(), again.open.clone().unwrap());
        assert_eq!((a.id, a.opened, a.states), (b.id, b.opened, b.states));
    }

    #[test]
    fn appender_writes_0600_and_resumes_after_a_torn_line() {
        let dir = tmp("append");
        let (mut a, id) = Appender::create(&dir, "20250314-100800-x").unwrap();
        assert_eq!(id, "20250314-100800-x");
        let (_, id2) = Appender::create(&dir, "20250314-100800-x").unwrap();
        assert_eq!(id2, "20250314-100800-x-2");
        let entries = every_kind();
        for en in &entries[..3] {
            a.append(en).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&a.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A crash mid-write leaves half a line.
        {
            let mut f = OpenOptions::new().append(true).open(&a.path).unwrap();
            f.write_all(b"{\"ts\":9,\"who\":\"al").unwrap();
        }
        let log = read_file(&a.path).unwrap();
        assert_eq!(log.entries, entries[..3]);
        assert!(log.torn.is_some());
        let mut b = Appender::reopen(&a.path, &log).unwrap();
        b.append(&entries[3]).unwrap();
        let log = read_file(&a.path).unwrap();
        assert_eq!(log.entries, entries[..4]);
        assert!(log.torn.is_none() && log.bad_lines.is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }
}
