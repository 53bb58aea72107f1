//! `--record FILE`: every update that reaches the model and every operator action, as
//! gzip-compressed JSON lines, to watch again with `opsdeck replay FILE`.
//!
//! The file is one JSON object per line. The first line is the [`Header`]: everything needed
//! to rebuild the starting state on another machine (the service profile's TOML text, the
//! runbooks' Markdown, the keymap's help lines, the runbook progress restored at start, the
//! view options, the language, the terminal size and the clock). Every further line is a
//! [`Record`]: an [`Action`] exactly as it was applied to the state, and the real time since
//! the start in milliseconds, so playback can pace it.
//!
//! The edge applies every action through [`Recorder::apply`], so what is recorded is exactly
//! what reached the state. The stream is flushed at least once a second: a crash loses at
//! most the last second, and [`read`] takes a cut-off end as a warning.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use crate::app::{self, Action, AppState, Command, HelpLine};
use crate::model::time::Ts;
use crate::model::Update;
use crate::progress::Saved;

/// The header's key naming the format, and this build's format version.
pub const MAGIC: &str = "opsdeck_recording";
pub const FORMAT: u32 = 1;

/// The service profile a session ran with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileText {
    /// A built-in profile: `demo` or `aws`.
    Builtin(String),
    /// A profile file's TOML text, and where it came from (for messages).
    File { origin: String, text: String },
}

/// One runbook's Markdown text; `id` is what the file stem made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunbookText {
    pub id: String,
    pub origin: String,
    pub text: String,
}

/// The runbooks a session ran with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunbookTexts {
    /// The shipped runbooks.
    Builtin,
    Files(Vec<RunbookText>),
}

/// The view options given on the command line, applied through the same
/// `deploy::apply_cli` / `warroom::apply_cli` as a live session.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Views {
    #[serde(default)]
    pub deploy: bool,
    #[serde(default)]
    pub deploy_start: Option<String>,
    #[serde(default)]
    pub present: bool,
    #[serde(default)]
    pub redact: Option<bool>,
    /// `--theme NAME|FILE` as given.
    #[serde(default)]
    pub theme: Option<String>,
    /// The theme file's text, when `theme` named a file (filled in by [`Header::capture`]).
    #[serde(default)]
    pub theme_text: Option<String>,
}

/// The first line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The format version ([`FORMAT`]); its key marks the file as a recording.
    pub opsdeck_recording: u32,
    /// The opsdeck version that recorded.
    pub opsdeck: String,
    /// When the recording started, in milliseconds since the Unix epoch (wall clock).
    pub started_ms: i64,
    /// The source label shown in the header.
    pub label: String,
    /// The UI language (`en`, `ja`).
    pub lang: String,
    /// The terminal size the state started with (columns, rows).
    pub size: (u16, u16),
    /// The model's clock at the start (simulated for the demo).
    pub start: Ts,
    /// The log ring buffer's size.
    pub log_capacity: usize,
    pub profile: ProfileText,
    pub runbooks: RunbookTexts,
    /// The help lines of the keymap in use: (keys, command).
    pub help: Vec<(String, Command)>,
    /// Runbook progress restored at the start (saved progress and a resumed incident).
    pub progress: Saved,
    pub views: Views,
    /// The AWS account ID and region of the session, for the war-room banner.
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// The endpoint when it was not AWS itself (an emulator), for the banner.
    #[serde(default)]
    pub endpoint: Option<String>,
}

/// One recorded action and when it happened, in milliseconds since the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub ms: u64,
    pub action: Action,
}

fn now_unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn read_text(path: &Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the {what}: {e}", path.display()))
}

/// The Markdown files a runbook path stands for, in the order `session::load_runbooks` loads
/// them: the file itself, or a directory's `*.md` / `*.markdown` files by name.
fn runbook_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let err = |e: std::io::Error| format!("{}: cannot list the runbooks: {e}", path.display());
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(path).map_err(err)? {
        let p = entry.map_err(err)?.path();
        let is_md = p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
        if is_md && p.is_file() {
            paths.push(p);
        }
    }
    paths.sort();
    Ok(paths)
}

impl Header {
    /// The header of a session about to start: `files` are the data files the session was
    /// built from (their texts are read again here), `builtin` the built-in profile used when
    /// no file is (`demo` or `aws`), `views` the view options of the command line, and
    /// `state` the session's state after views, saved progress and the journal were applied.
    pub fn capture(
        files: &crate::session::Files,
        builtin: &str,
        mut views: Views,
        state: &AppState,
    ) -> Result<Header, String> {
        let (profile, from_profile) = match crate::session::profile_file(files) {
            Some(path) => {
                let text = read_text(&path, "service profile")?;
                let service = crate::config::load_service_file(&path).map_err(|e| e.to_string())?;
                (
                    ProfileText::File {
                        origin: path.display().to_string(),
                        text,
                    },
                    service.runbooks,
                )
            }
            None => (
                ProfileText::Builtin(builtin.to_string()),
                builtin_service(builtin)?.runbooks,
            ),
        };
        let paths = match &files.runbooks {
            Some(p) => vec![p.clone()],
            None => from_profile,
        };
        let runbooks = if paths.is_empty() {
            RunbookTexts::Builtin
        } else {
            let mut all = Vec::new();
            for p in &paths {
                for f in runbook_files(p)? {
                    all.push(RunbookText {
                        id: f
                            .file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        origin: f.display().to_string(),
                        text: read_text(&f, "runbook")?,
                    });
                }
            }
            RunbookTexts::Files(all)
        };
        if let Some(theme) = &views.theme {
            let path = Path::new(theme);
            if crate::ui::theme::Theme::builtin(theme).is_none() && path.is_file() {
                views.theme_text = Some(read_text(path, "theme")?);
            }
        }
        let header = Header {
            opsdeck_recording: FORMAT,
            opsdeck: env!("CARGO_PKG_VERSION").to_string(),
            started_ms: now_unix_ms(),
            label: state.source_label.clone(),
            lang: state.lang.code().to_string(),
            size: state.ui.size,
            start: state.model.now,
            log_capacity: state.model.logs.capacity(),
            profile,
            runbooks,
            help: state
                .help
                .iter()
                .map(|h| (h.keys.clone(), h.command))
                .collect(),
            progress: Saved::of(state),
            views,
            account_id: state.war.account_id.clone(),
            region: state.war.region.clone(),
            endpoint: state.war.endpoint.clone(),
        };
        if let Err(e) = header.check(state) {
            tracing::warn!("--record: {e}");
        }
        Ok(header)
    }

    /// Rebuild the starting state the header describes.
    pub fn build(&self) -> Result<AppState, String> {
        let service = match &self.profile {
            ProfileText::Builtin(name) => builtin_service(name)?,
            ProfileText::File { origin, text } => crate::config::parse_service(text, origin)
                .map_err(|e| format!("the recorded service profile: {e}"))?,
        };
        let runbooks = match &self.runbooks {
            RunbookTexts::Builtin => crate::runbooks::builtin(),
            RunbookTexts::Files(all) => all
                .iter()
                .map(|r| crate::runbooks::parse(&r.text, &r.id, &r.origin))
                .collect(),
        };
        let model = crate::model::Model::new(service.profile, self.start, self.log_capacity);
        let help = self
            .help
            .iter()
            .map(|(keys, command)| HelpLine {
                keys: keys.clone(),
                command: *command,
            })
            .collect();
        let mut state = AppState::new(model, runbooks, help, self.label.clone());
        state.ui.size = self.size;
        state.war.account_id = self.account_id.clone();
        state.war.region = self.region.clone();
        state.war.endpoint = self.endpoint.clone();
        state.lang = crate::i18n::Lang::parse(&self.lang).unwrap_or_default();
        let v = &self.views;
        crate::deploy::apply_cli(&mut state, v.deploy, v.deploy_start.as_deref())
            .map_err(|e| format!("the recorded --deploy-start: {e}"))?;
        let theme = match (&v.theme, &v.theme_text) {
            (Some(name), Some(text)) => Some(theme_file(name, text)?),
            (theme, _) => theme.clone(),
        };
        crate::warroom::apply_cli(&mut state, v.present, v.redact, theme.as_deref())
            .map_err(|e| format!("the recorded --theme: {e}"))?;
        self.progress.clone().restore(&mut state);
        Ok(state)
    }

    /// Whether [`build`](Self::build) gives a state that draws like `state`; a difference
    /// says the replay will not be exact.
    pub fn check(&self, state: &AppState) -> Result<(), String> {
        let rebuilt = self.build()?;
        let (w, h) = state.ui.size;
        let area = ratatui::layout::Rect::new(0, 0, w.max(1), h.max(1));
        let draw = |s: &AppState| {
            let mut buf = ratatui::buffer::Buffer::empty(area);
            crate::ui::render(area, &mut buf, s);
            buf
        };
        if rebuilt.model.profile != state.model.profile {
            return Err("the recorded profile differs from the one in use".into());
        }
        if rebuilt.runbooks != state.runbooks {
            return Err("the recorded runbooks differ from the ones in use".into());
        }
        if draw(&rebuilt) != draw(state) {
            return Err("the recording's starting state does not draw like the session's".into());
        }
        Ok(())
    }
}

fn builtin_service(name: &str) -> Result<crate::config::Service, String> {
    match name {
        "demo" => Ok(crate::config::builtin_demo_service()),
        "aws" => Ok(crate::config::builtin_aws_service()),
        other => Err(format!(
            "the recording names a built-in profile `{other}` this opsdeck does not have (expected demo or aws)"
        )),
    }
}

/// Write a recorded theme file's text to a private temporary file of the same name, for
/// `warroom::apply_cli`.
fn theme_file(name: &str, text: &str) -> Result<String, String> {
    let file = Path::new(name)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "theme.toml".into());
    let dir = std::env::temp_dir().join(format!("opsdeck-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(dir.join(&file), text))
        .map_err(|e| format!("cannot write the recorded theme to {}: {e}", dir.display()))?;
    Ok(dir.join(file).display().to_string())
}

/// The open file of a recording.
struct Out {
    path: PathBuf,
    enc: GzEncoder<std::fs::File>,
    last_flush: Instant,
    dirty: bool,
}

/// Applies actions to the state and records them. [`Recorder::off`] only applies: the edge
/// uses one either way, so recording cannot change what a session does.
pub struct Recorder {
    out: Option<Out>,
    started: Instant,
    /// The last clock tick recorded, and whether anything else was recorded since.
    last_tick: Option<Ts>,
    since_tick: bool,
}

/// A flush at least this often: a crash loses at most this much.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Recorder {
    /// A recorder that records nothing.
    pub fn off() -> Self {
        Self {
            out: None,
            started: Instant::now(),
            last_tick: None,
            since_tick: true,
        }
    }

    /// Start recording to `path` (which must not exist yet) with `header` as the first line.
    pub fn create(path: &Path, header: &Header) -> Result<Self, String> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!(
                    "{} already exists; record to a new file (a recording is never overwritten)",
                    path.display()
                )
            } else {
                format!("cannot create {}: {e}", path.display())
            }
        })?;
        let mut out = Out {
            path: path.to_path_buf(),
            enc: GzEncoder::new(file, flate2::Compression::default()),
            last_flush: Instant::now(),
            dirty: false,
        };
        let line = serde_json::to_string(header).map_err(|e| e.to_string())?;
        out.line(&line)
            .and_then(|_| out.flush())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Self {
            out: Some(out),
            started: Instant::now(),
            last_tick: None,
            since_tick: true,
        })
    }

    /// Whether this recorder is writing a file.
    pub fn is_recording(&self) -> bool {
        self.out.is_some()
    }

    /// Milliseconds since the recording started.
    pub fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Apply `action` to `state` (through `app::update`) and record it, timed now. Returns
    /// what `app::update` returned: whether the screen changed.
    pub fn apply(&mut self, state: &mut AppState, action: Action) -> bool {
        let ms = self.elapsed_ms();
        self.apply_at(ms, state, action)
    }

    /// [`apply`](Self::apply) at `ms` milliseconds since the start (headless recordings
    /// choose their own time).
    pub fn apply_at(&mut self, ms: u64, state: &mut AppState, action: Action) -> bool {
        let mut failed = None;
        if self.out.is_some() && self.wants(&action) {
            if let Err(e) = self.write(ms, &action) {
                failed = Some(e);
            }
        }
        let mut changed = app::update(state, action);
        if failed.is_none() {
            if let Err(e) = self.flush_due() {
                failed = Some(e);
            }
        }
        if let Some(e) = failed {
            let path = self.out.take().map(|o| o.path).unwrap_or_default();
            tracing::error!("recording to {}: {e}", path.display());
            changed |= app::update(
                state,
                Action::Updates(vec![Update::SourceError {
                    scope: "record".into(),
                    message: format!("recording stopped: cannot write {}: {e}", path.display()),
                    at: state.model.now,
                }]),
            );
        }
        changed
    }

    /// What is worth a line: everything but empty update batches and clock ticks that neither
    /// move to a new second nor follow another recorded action (those change nothing).
    fn wants(&mut self, action: &Action) -> bool {
        match action {
            Action::Updates(u) if u.is_empty() => false,
            Action::Tick(now) => {
                let wanted = self.since_tick || self.last_tick != Some(*now);
                if wanted {
                    self.last_tick = Some(*now);
                    self.since_tick = false;
                }
                wanted
            }
            _ => {
                self.since_tick = true;
                true
            }
        }
    }

    fn write(&mut self, ms: u64, action: &Action) -> std::io::Result<()> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let line =
            serde_json::to_string(&RecordRef { ms, action }).map_err(std::io::Error::other)?;
        out.line(&line)
    }

    fn flush_due(&mut self) -> std::io::Result<()> {
        match self.out.as_mut() {
            Some(out) if out.dirty && out.last_flush.elapsed() >= FLUSH_EVERY => out.flush(),
            _ => Ok(()),
        }
    }

    /// Write what is buffered (a sync flush: everything so far can be read back).
    pub fn flush(&mut self) -> Result<(), String> {
        match self.out.as_mut() {
            Some(out) => out
                .flush()
                .map_err(|e| format!("cannot write {}: {e}", out.path.display())),
            None => Ok(()),
        }
    }

    /// End the recording: the compressed stream is closed properly.
    pub fn finish(mut self) -> Result<(), String> {
        match self.out.take() {
            Some(out) => {
                let path = out.path.clone();
                out.enc
                    .finish()
                    .and_then(|f| f.sync_all())
                    .map_err(|e| format!("cannot finish {}: {e}", path.display()))
            }
            None => Ok(()),
        }
    }
}

impl Drop for Recorder {
    /// On an early return or a panic the stream is still closed (what was applied is kept).
    fn drop(&mut self) {
        if let Some(mut out) = self.out.take() {
            let _ = out.enc.try_finish();
        }
    }
}

impl Out {
    fn line(&mut self, line: &str) -> std::io::Result<()> {
        self.enc.write_all(line.as_bytes())?;
        self.enc.write_all(b"\n")?;
        self.dirty = true;
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.enc.flush()?;
        self.last_flush = Instant::now();
        self.dirty = false;
        Ok(())
    }
}

/// A [`Record`] by reference, to write without cloning the action.
#[derive(Serialize)]
struct RecordRef<'a> {
    ms: u64,
    action: &'a Action,
}

/// A recording read back.
#[derive(Debug, Clone)]
pub struct Recording {
    pub header: Header,
    pub records: Vec<Record>,
    /// What was wrong but tolerated (a cut-off end), to tell the viewer.
    pub warnings: Vec<String>,
}

impl Recording {
    /// The recorded time from the start to the last action, in milliseconds.
    pub fn total_ms(&self) -> u64 {
        self.records.last().map(|r| r.ms).unwrap_or(0)
    }
}

/// Read a recording file (gzip-compressed, or plain JSON lines).
pub fn read(path: &Path) -> Result<Recording, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    read_bytes(&bytes, &path.display().to_string())
}

/// Read a recording from its bytes; `origin` names it in messages.
pub fn read_bytes(bytes: &[u8], origin: &str) -> Result<Recording, String> {
    let mut warnings = Vec::new();
    let text: Vec<u8> = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let mut dec = flate2::read::GzDecoder::new(bytes);
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match dec.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e) => {
                    if out.is_empty() {
                        return Err(format!(
                            "{origin}: not an opsdeck recording (the compressed data is damaged: {e})"
                        ));
                    }
                    warnings.push(format!(
                        "{origin}: the recording ends abruptly ({e}); playing what was saved"
                    ));
                    break;
                }
            }
        }
        out
    } else if bytes.first() == Some(&b'{') {
        bytes.to_vec()
    } else {
        return Err(format!(
            "{origin}: not an opsdeck recording (expected gzip-compressed JSON lines written by --record)"
        ));
    };
    let torn_stream = !warnings.is_empty();
    let mut lines: Vec<(usize, &[u8])> = Vec::new();
    let mut rest: &[u8] = &text;
    let mut n = 0;
    while !rest.is_empty() {
        n += 1;
        let (line, next) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        lines.push((n, line));
        rest = next;
    }
    let unterminated = !text.is_empty() && !text.ends_with(b"\n");
    let Some(&(_, first)) = lines.first() else {
        return Err(format!("{origin}: empty; not an opsdeck recording"));
    };
    let header = parse_header(first, origin)?;
    let mut records = Vec::new();
    let last = lines.len();
    let mut prev = 0u64;
    for (i, &(line_no, line)) in lines.iter().enumerate().skip(1) {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = std::str::from_utf8(line)
            .map_err(|e| format!("not UTF-8 ({e})"))
            .and_then(|s| serde_json::from_str::<Record>(s).map_err(|e| e.to_string()));
        match parsed {
            Ok(r) => {
                if r.ms < prev {
                    return Err(format!(
                        "{origin}: line {line_no}: time goes backwards ({} ms after {prev} ms); the file is damaged",
                        r.ms
                    ));
                }
                prev = r.ms;
                records.push(r);
            }
            Err(e) if i + 1 == last && (unterminated || torn_stream) => {
                warnings.push(format!(
                    "{origin}: line {line_no}: the last line is cut off ({e}); ignored"
                ));
            }
            Err(e) => {
                return Err(format!(
                    "{origin}: line {line_no}: expected a recorded action as JSON {{\"ms\": …, \"action\": …}} ({e})"
                ))
            }
        }
    }
    Ok(Recording {
        header,
        records,
        warnings,
    })
}

fn parse_header(line: &[u8], origin: &str) -> Result<Header, String> {
    let foreign = || {
        format!(
            "{origin}: line 1: not an opsdeck recording (expected a header line with \"{MAGIC}\")"
        )
    };
    let text = std::str::from_utf8(line).map_err(|_| foreign())?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| foreign())?;
    let version = value
        .get(MAGIC)
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(foreign)?;
    if version > u64::from(FORMAT) {
        return Err(format!(
            "{origin}: line 1: recorded in format {version} by opsdeck {}; this opsdeck reads format {FORMAT} (update opsdeck)",
            value.get("opsdeck").and_then(|v| v.as_str()).unwrap_or("?")
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| format!("{origin}: line 1: the recording's header is damaged ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    fn state() -> AppState {
        let model = Model::new(crate::config::builtin_demo_profile(), 1_000_000, 100);
        AppState::new(
            model,
            crate::runbooks::builtin(),
            crate::keymap::Keymap::builtin_default().help_lines(),
            "test".into(),
        )
    }

    fn header(state: &AppState) -> Header {
        let files = crate::session::Files::default();
        Header::capture(&files, "demo", Views::default(), state).unwrap()
    }

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("opsdeck-record-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn header_rebuilds_the_state() {
        let mut s = state();
        s.ui.size = (100, 30);
        let h = header(&s);
        assert_eq!(h.profile, ProfileText::Builtin("demo".into()));
        assert_eq!(h.runbooks, RunbookTexts::Builtin);
        h.check(&s).unwrap();
        let back = h.build().unwrap();
        assert_eq!(back.model.now, 1_000_000);
        assert_eq!(back.model.logs.capacity(), 100);
        assert_eq!(back.help, s.help);
        assert_eq!(back.ui.size, (100, 30));
    }

    #[test]
    fn writes_reads_and_skips_repeated_ticks() {
        let path = tmp("rw.jsonl.gz");
        let mut s = state();
        let h = header(&s);
        let mut r = Recorder::create(&path, &h).unwrap();
        assert!(r.is_recording());
        r.apply_at(0, &mut s, Action::Tick(1_000_000));
        r.apply_at(100, &mut s, Action::Tick(1_000_000)); // same second: not written
        r.apply_at(200, &mut s, Action::Updates(vec![])); // nothing: not written
        r.apply_at(300, &mut s, Action::Command(Command::FocusNext));
        r.apply_at(400, &mut s, Action::Tick(1_000_000)); // after an action: written
        r.apply_at(1500, &mut s, Action::Tick(1_000_001));
        r.finish().unwrap();
        let rec = read(&path).unwrap();
        assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
        assert_eq!(rec.header, h);
        let got: Vec<(u64, Action)> = rec.records.into_iter().map(|r| (r.ms, r.action)).collect();
        assert_eq!(
            got,
            vec![
                (0, Action::Tick(1_000_000)),
                (300, Action::Command(Command::FocusNext)),
                (400, Action::Tick(1_000_000)),
                (1500, Action::Tick(1_000_001)),
            ]
        );
        // Never overwritten.
        let err = Recorder::create(&path, &h).err().unwrap();
        assert!(err.contains("already exists"), "{err}");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn off_only_applies() {
        let mut s = state();
        let mut r = Recorder::off();
        assert!(!r.is_recording());
        assert!(r.apply(&mut s, Action::Command(Command::FocusNext)));
        assert_eq!(s.ui.focus, crate::app::PaneId::Logs);
        r.finish().unwrap();
    }

    #[test]
    fn flushed_data_survives_a_crash() {
        let path = tmp("crash.jsonl.gz");
        let mut s = state();
        let mut r = Recorder::create(&path, &header(&s)).unwrap();
        r.apply_at(10, &mut s, Action::Command(Command::Zoom));
        // A second later, the next action flushes both on its own.
        std::thread::sleep(FLUSH_EVERY + std::time::Duration::from_millis(50));
        r.apply_at(1100, &mut s, Action::Command(Command::Zoom));
        // A crash: the file is read while the stream is still open (no gzip trailer).
        let rec = read(&path).unwrap();
        assert_eq!(rec.records.len(), 2);
        assert_eq!(rec.warnings.len(), 1, "{:?}", rec.warnings);
        assert!(
            rec.warnings[0].contains("ends abruptly"),
            "{:?}",
            rec.warnings
        );
        std::mem::forget(r);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn damaged_and_foreign_files_name_file_and_line() {
        let s = state();
        let h = serde_json::to_string(&header(&s)).unwrap();
        // Foreign: not gzip, not JSON.
        let e = read_bytes(b"hello", "f.gz").unwrap_err();
        assert!(
            e.contains("f.gz") && e.contains("not an opsdeck recording"),
            "{e}"
        );
        // JSON but not a recording.
        let e = read_bytes(b"{\"a\": 1}\n", "f.gz").unwrap_err();
        assert!(e.contains("f.gz: line 1") && e.contains(MAGIC), "{e}");
        // A newer format.
        let e =
            read_bytes(b"{\"opsdeck_recording\": 99, \"opsdeck\": \"9.0\"}\n", "f").unwrap_err();
        assert!(e.contains("format 99") && e.contains("9.0"), "{e}");
        // A bad line in the middle.
        let text = format!("{h}\n{{\"ms\":1,\"action\":{{\"tick\":5}}}}\ngarbage\n{{\"ms\":2,\"action\":{{\"tick\":6}}}}\n");
        let e = read_bytes(text.as_bytes(), "f").unwrap_err();
        assert!(
            e.starts_with("f: line 3: expected a recorded action"),
            "{e}"
        );
        // An unknown command is named.
        let text = format!("{h}\n{{\"ms\":1,\"action\":{{\"command\":\"explode\"}}}}\n");
        let e = read_bytes(text.as_bytes(), "f").unwrap_err();
        assert!(e.contains("line 2") && e.contains("explode"), "{e}");
        // Time going backwards.
        let text = format!(
            "{h}\n{{\"ms\":5,\"action\":{{\"tick\":5}}}}\n{{\"ms\":2,\"action\":{{\"tick\":6}}}}\n"
        );
        let e = read_bytes(text.as_bytes(), "f").unwrap_err();
        assert!(e.contains("line 3") && e.contains("backwards"), "{e}");
        // A torn last line is a warning.
        let text = format!("{h}\n{{\"ms\":1,\"action\":{{\"tick\":5}}}}\n{{\"ms\":2,\"act");
        let rec = read_bytes(text.as_bytes(), "f").unwrap();
        assert_eq!(rec.records.len(), 1);
        assert!(rec.warnings[0].contains("line 3") && rec.warnings[0].contains("cut off"));
        assert_eq!(rec.total_ms(), 1);
    }
}
