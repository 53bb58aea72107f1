//! `opsdeck replay FILE`: play a recording back with pause, speed and seek.
//!
//! A [`Player`] rebuilds the starting state from the recording's header and applies the
//! recorded actions through the same `app::update` the live session used, so the frames are
//! the ones the operator saw. Where it is in the recording follows a [`PlayClock`]: real time
//! times the speed, or held still while paused. Seeking forward applies the records up to the
//! target; seeking back starts again from the nearest checkpoint (a copy of the state kept
//! every so many records) and applies forward from there.
//!
//! A replay never writes the incident journal, runbook progress or the clipboard: what the
//! recorded actions queue for those is dropped.

use crate::app::{self, Action, AppState, Command};
use crate::model::time::Ts;
use crate::record::Recording;

/// What the status bar shows about a replay in progress.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplayStatus {
    pub paused: bool,
    /// The recording has played to its end (the last frame stays).
    pub ended: bool,
    /// Playback speed: 1 is the recorded pace.
    pub speed: f64,
    /// Where playback is and how long the recording is, in whole seconds of recorded time.
    pub position_s: u64,
    pub total_s: u64,
    /// The wall-clock time the moment shown was recorded (Unix seconds, UTC).
    pub recorded_at: Ts,
    /// The viewer's first key for each replay command, for the hints.
    pub keys: Vec<(String, Command)>,
}

/// The speeds `replay-faster` and `replay-slower` step through.
pub const SPEEDS: [f64; 8] = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// How far `replay-forward` and `replay-back` move, in milliseconds of recorded time.
pub const SEEK_MS: u64 = 60_000;

/// The playback clock: the position in the recording (ms) at a given real time (ms since the
/// player started, from any monotonic clock).
#[derive(Debug, Clone, PartialEq)]
pub struct PlayClock {
    /// The position at `base_real`.
    base_pos: f64,
    base_real: u64,
    speed: usize,
    paused: bool,
    total: u64,
}

impl PlayClock {
    /// At the start, playing at the recorded pace, for a recording `total` ms long.
    pub fn new(total: u64) -> Self {
        Self {
            base_pos: 0.0,
            base_real: 0,
            speed: 1,
            paused: false,
            total,
        }
    }

    fn position_f(&self, real: u64) -> f64 {
        let p = if self.paused {
            self.base_pos
        } else {
            self.base_pos + real.saturating_sub(self.base_real) as f64 * SPEEDS[self.speed]
        };
        p.min(self.total as f64)
    }

    /// The position at real time `real`.
    pub fn position(&self, real: u64) -> u64 {
        self.position_f(real) as u64
    }

    fn rebase(&mut self, real: u64) {
        self.base_pos = self.position_f(real);
        self.base_real = real;
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    pub fn speed(&self) -> f64 {
        SPEEDS[self.speed]
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// Whether playback has reached the end.
    pub fn ended(&self, real: u64) -> bool {
        self.position(real) >= self.total
    }

    pub fn toggle_pause(&mut self, real: u64) {
        self.rebase(real);
        self.paused = !self.paused;
    }

    /// One step faster; false at the fastest.
    pub fn faster(&mut self, real: u64) -> bool {
        self.rebase(real);
        let before = self.speed;
        self.speed = (self.speed + 1).min(SPEEDS.len() - 1);
        before != self.speed
    }

    /// One step slower; false at the slowest.
    pub fn slower(&mut self, real: u64) -> bool {
        self.rebase(real);
        let before = self.speed;
        self.speed = self.speed.saturating_sub(1);
        before != self.speed
    }

    /// Jump to `to` (clamped to the recording); pause and speed are kept.
    pub fn seek(&mut self, real: u64, to: u64) {
        self.base_pos = to.min(self.total) as f64;
        self.base_real = real;
    }
}

/// Records applied between two checkpoints, at first (the interval doubles as checkpoints
/// are thinned out, so their number stays small however long the recording).
const CHECKPOINT_EVERY: usize = 2_000;
const MAX_CHECKPOINTS: usize = 8;

/// A copy of the replayed state after `next` records.
#[derive(Debug, Clone)]
struct Checkpoint {
    next: usize,
    at: u64,
    recorded_size: (u16, u16),
    state: AppState,
}

/// Plays a recording into a state.
pub struct Player {
    rec: Recording,
    /// The state the recording starts from.
    start: AppState,
    state: AppState,
    /// Every record before `next` has been applied, and `at` is the position: every record
    /// at or before it is applied.
    next: usize,
    at: u64,
    clock: PlayClock,
    /// The terminal size of the recorded session now.
    recorded_size: (u16, u16),
    /// Follow the recorded terminal size (headless frames), or keep the viewer's.
    follow_size: bool,
    /// The viewer's terminal size, kept across seeks.
    view_size: Option<(u16, u16)>,
    /// The viewer changed the state by hand since the last rebuild (no checkpoints then).
    touched: bool,
    checkpoints: Vec<Checkpoint>,
    checkpoint_every: usize,
    keys: Vec<(String, Command)>,
}

/// The replay commands, in hint order.
pub const COMMANDS: [Command; 5] = [
    Command::ReplayPause,
    Command::ReplayFaster,
    Command::ReplaySlower,
    Command::ReplayForward,
    Command::ReplayBack,
];

/// Whether `c` drives the replay (rather than the replayed view).
pub fn is_replay_command(c: Command) -> bool {
    COMMANDS.contains(&c)
}

impl Player {
    /// Rebuild the starting state and stand at the start of the recording.
    pub fn new(rec: Recording) -> Result<Player, String> {
        let start = rec.header.build()?;
        let recorded_size = rec.header.size;
        let clock = PlayClock::new(rec.total_ms());
        let mut p = Player {
            state: start.clone(),
            start,
            rec,
            next: 0,
            at: 0,
            clock,
            recorded_size,
            follow_size: false,
            view_size: None,
            touched: false,
            checkpoints: Vec::new(),
            checkpoint_every: CHECKPOINT_EVERY,
            keys: Vec::new(),
        };
        p.apply_until(0);
        Ok(p)
    }

    /// Follow the recorded terminal size: the state's size is the recorded one at every
    /// moment (headless frames exactly as recorded). Otherwise the viewer's terminal decides
    /// the size and recorded clicks are placed by the recorded size.
    pub fn follow_size(mut self, yes: bool) -> Self {
        self.follow_size = yes;
        self.rebuild(self.at);
        self
    }

    /// The viewer's keys for the replay commands, shown in the status bar.
    pub fn set_keys(&mut self, keymap: &crate::keymap::Keymap) {
        let help = keymap.help_lines();
        self.keys = COMMANDS
            .iter()
            .filter_map(|c| {
                let line = help.iter().find(|h| h.command == *c)?;
                let key = line.keys.split(", ").next()?.trim().to_string();
                Some((key, *c))
            })
            .collect();
    }

    pub fn recording(&self) -> &Recording {
        &self.rec
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The state, to render (e.g. setting `replay` for the status bar).
    pub fn state_mut(&mut self) -> &mut AppState {
        &mut self.state
    }

    pub fn clock(&self) -> &PlayClock {
        &self.clock
    }

    /// Where the state is, in ms of recorded time.
    pub fn position(&self) -> u64 {
        self.at
    }

    pub fn total_ms(&self) -> u64 {
        self.clock.total()
    }

    /// The terminal size of the recorded session at the current position.
    pub fn recorded_size(&self) -> (u16, u16) {
        self.recorded_size
    }

    /// Apply one recorded action.
    fn apply(&mut self, action: Action) -> bool {
        let changed = match action {
            // The recorded session's quit ends the recording, not the replay; its replay keys
            // drove nothing.
            Action::Command(c) if c == Command::Quit || is_replay_command(c) => false,
            Action::Resize(w, h) if !self.follow_size => {
                self.recorded_size = (w, h);
                false
            }
            a @ (Action::Click(..) | Action::Scroll(..)) if !self.follow_size => {
                // Placed as on the recorded screen.
                let view = std::mem::replace(&mut self.state.ui.size, self.recorded_size);
                let changed = app::update(&mut self.state, a);
                self.state.ui.size = view;
                changed
            }
            a => {
                if let Action::Resize(w, h) = a {
                    self.recorded_size = (w, h);
                }
                app::update(&mut self.state, a)
            }
        };
        self.state.journal_out.clear();
        self.state.clipboard_out = None;
        changed
    }

    /// Apply the records up to `target` (ms); whether the screen changed.
    fn apply_until(&mut self, target: u64) -> bool {
        let mut changed = false;
        while let Some(r) = self.rec.records.get(self.next) {
            if r.ms > target {
                break;
            }
            let action = r.action.clone();
            changed |= self.apply(action);
            self.next += 1;
            self.maybe_checkpoint();
        }
        self.at = self.at.max(target);
        changed
    }

    fn maybe_checkpoint(&mut self) {
        if self.touched {
            return;
        }
        let last = self.checkpoints.last().map_or(0, |c| c.next);
        if self.next < last + self.checkpoint_every {
            return;
        }
        let r = &self.rec.records[self.next - 1];
        self.checkpoints.push(Checkpoint {
            next: self.next,
            at: r.ms,
            recorded_size: self.recorded_size,
            state: self.state.clone(),
        });
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            // Keep every second one; space the next ones twice as far apart.
            let mut i = 0;
            self.checkpoints.retain(|_| {
                i += 1;
                i % 2 == 0
            });
            self.checkpoint_every *= 2;
        }
    }

    /// Start again from the nearest checkpoint at or before `target` and apply up to it.
    fn rebuild(&mut self, target: u64) {
        let cp = self.checkpoints.iter().rev().find(|c| c.at <= target);
        match cp {
            Some(c) => {
                self.state = c.state.clone();
                self.next = c.next;
                self.at = c.at;
                self.recorded_size = c.recorded_size;
            }
            None => {
                self.state = self.start.clone();
                self.next = 0;
                self.at = 0;
                self.recorded_size = self.rec.header.size;
            }
        }
        self.touched = false;
        if !self.follow_size {
            if let Some(size) = self.view_size {
                self.state.ui.size = size;
            }
        }
        self.apply_until(target);
    }

    /// Show the recording at `target` ms (clamped to its length): the state after every
    /// record at or before it. Whether the screen may have changed.
    pub fn seek_to(&mut self, target: u64) -> bool {
        let target = target.min(self.total_ms());
        if target < self.at || (self.touched && target != self.at) {
            self.rebuild(target);
            true
        } else {
            self.apply_until(target)
        }
    }

    /// Move playback to `to` ms of recorded time at real time `real` (pause and speed are
    /// kept).
    pub fn jump(&mut self, real: u64, to: u64) {
        self.clock.seek(real, to);
        let to = self.clock.position(real);
        self.seek_to(to);
    }

    /// Play up to real time `real` (ms since the replay started); whether the screen changed.
    pub fn advance(&mut self, real: u64) -> bool {
        let pos = self.clock.position(real);
        if pos > self.at {
            self.apply_until(pos)
        } else {
            false
        }
    }

    /// A replay command at real time `real`; whether anything changed.
    pub fn control(&mut self, c: Command, real: u64) -> bool {
        match c {
            Command::ReplayPause => {
                if self.clock.ended(real) && !self.clock.paused() {
                    // Play again from the start.
                    self.clock.seek(real, 0);
                    self.seek_to(0);
                } else {
                    self.clock.toggle_pause(real);
                }
            }
            Command::ReplayFaster => return self.clock.faster(real),
            Command::ReplaySlower => return self.clock.slower(real),
            Command::ReplayForward | Command::ReplayBack => {
                let pos = self.clock.position(real);
                let to = if c == Command::ReplayForward {
                    pos.saturating_add(SEEK_MS)
                } else {
                    pos.saturating_sub(SEEK_MS)
                };
                self.jump(real, to);
            }
            _ => return false,
        }
        true
    }

    /// An action of the viewer (keys, mouse, the terminal's size): applied to the shown state
    /// until the next seek back rebuilds it from the recording.
    pub fn viewer(&mut self, action: Action) -> bool {
        if let Action::Resize(w, h) = action {
            self.view_size = Some((w, h));
            if self.follow_size {
                return false;
            }
        } else {
            self.touched = true;
        }
        let changed = app::update(&mut self.state, action);
        self.state.journal_out.clear();
        self.state.clipboard_out = None;
        changed
    }

    /// What the status bar shows at real time `real`.
    pub fn status(&self, real: u64) -> ReplayStatus {
        let pos = self.at;
        ReplayStatus {
            paused: self.clock.paused(),
            ended: self.clock.ended(real) && pos >= self.total_ms(),
            speed: self.clock.speed(),
            position_s: pos / 1000,
            total_s: self.total_ms().div_ceil(1000),
            recorded_at: (self.rec.header.started_ms + pos as i64).div_euclid(1000),
            keys: self.keys.clone(),
        }
    }

    /// A point of the recording as the command line gives it: a duration into the recording
    /// (`5m30s`, `90s`), or a time of the console's clock (`HH:MM:SS` or `HH:MM`, UTC) — the
    /// first moment the clock showed it. In ms of recorded time.
    pub fn position_of(&self, at: &str) -> Result<u64, String> {
        let at = at.trim();
        if at.contains(':') {
            let tod = parse_time_of_day(at)?;
            return self.position_of_clock(tod, at);
        }
        let secs = crate::model::time::parse_duration(at)?;
        if secs < 0 {
            return Err(format!("`{at}`: must not be negative"));
        }
        let ms = secs as u64 * 1000;
        if ms > self.total_ms() {
            return Err(format!(
                "`{at}` is past the end: the recording is {} long",
                clock_span(self.total_ms().div_ceil(1000))
            ));
        }
        Ok(ms)
    }

    fn position_of_clock(&self, tod: Ts, text: &str) -> Result<u64, String> {
        let ticks: Vec<(u64, Ts)> = self
            .rec
            .records
            .iter()
            .filter_map(|r| match r.action {
                Action::Tick(t) => Some((r.ms, t)),
                _ => None,
            })
            .collect();
        let first = self.rec.header.start;
        let last = ticks.last().map_or(first, |t| t.1).max(first);
        let hms = crate::model::time::hms;
        let mut day = first.div_euclid(86_400);
        while day <= last.div_euclid(86_400) {
            let want = day * 86_400 + tod;
            if want >= first && want <= last {
                let ms = ticks.iter().find(|t| t.1 >= want).map_or(0, |t| t.0);
                return Ok(ms);
            }
            day += 1;
        }
        Err(format!(
            "`{text}`: the recording's clock runs from {} to {} UTC, not through {}",
            hms(first),
            hms(last),
            hms(tod)
        ))
    }
}

/// `HH:MM:SS` or `HH:MM` as seconds into the day.
fn parse_time_of_day(text: &str) -> Result<Ts, String> {
    let bad = || format!("`{text}`: expected a duration (5m30s) or a UTC time HH:MM:SS");
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad());
    }
    let mut n = [0i64; 3];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        n[i] = p.parse().map_err(|_| bad())?;
    }
    if n[0] > 23 || n[1] > 59 || n[2] > 59 {
        return Err(bad());
    }
    Ok(n[0] * 3600 + n[1] * 60 + n[2])
}

/// `M:SS` or `H:MM:SS`.
pub fn clock_span(secs: u64) -> String {
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Header, Record, Views};

    fn recording(records: Vec<(u64, Action)>) -> Recording {
        let model = crate::model::Model::new(crate::config::builtin_demo_profile(), 36_000, 100);
        let state = AppState::new(
            model,
            crate::runbooks::builtin(),
            crate::keymap::Keymap::builtin_default().help_lines(),
            "test".into(),
        );
        let header = Header::capture(
            &crate::session::Files::default(),
            "demo",
            Views::default(),
            &state,
        )
        .unwrap();
        Recording {
            header,
            records: records
                .into_iter()
                .map(|(ms, action)| Record { ms, action })
                .collect(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn clock_pauses_changes_speed_and_seeks() {
        let mut c = PlayClock::new(600_000);
        assert_eq!(c.position(1_000), 1_000);
        c.toggle_pause(2_000);
        assert!(c.paused());
        assert_eq!(c.position(50_000), 2_000);
        c.toggle_pause(50_000);
        assert_eq!(c.position(51_000), 3_000);
        assert!(c.faster(51_000));
        assert_eq!(c.speed(), 2.0);
        assert_eq!(c.position(52_000), 5_000);
        for _ in 0..10 {
            c.faster(52_000);
        }
        assert_eq!(c.speed(), 64.0);
        assert!(!c.faster(52_000));
        assert_eq!(c.position(53_000), 69_000);
        for _ in 0..10 {
            c.slower(53_000);
        }
        assert_eq!(c.speed(), 0.5);
        assert!(!c.slower(53_000));
        assert_eq!(c.position(55_000), 70_000);
        c.seek(55_000, 10_000);
        assert_eq!(c.position(55_000), 10_000);
        c.seek(55_000, 10_000_000);
        assert_eq!(c.position(55_000), 600_000);
        assert!(c.ended(55_000));
        // It stays at the end.
        assert_eq!(c.position(99_000_000), 600_000);
    }

    #[test]
    fn plays_pauses_and_seeks_in_recorded_time() {
        let rec = recording(vec![
            (0, Action::Tick(36_000)),
            (30_000, Action::Command(Command::FocusNext)),
            (61_000, Action::Tick(36_060)),
            (90_000, Action::Command(Command::Zoom)),
            (120_000, Action::Command(Command::Quit)),
            (121_000, Action::Command(Command::ReplayPause)),
        ]);
        let mut p = Player::new(rec).unwrap();
        assert_eq!(p.total_ms(), 121_000);
        assert_eq!(p.state().ui.focus, crate::app::PaneId::Alarms);
        assert!(p.advance(30_000));
        assert_eq!(p.state().ui.focus, crate::app::PaneId::Logs);
        // Paused: nothing moves.
        p.control(Command::ReplayPause, 40_000);
        assert!(!p.advance(100_000));
        assert!(!p.state().ui.zoomed);
        assert!(p.status(100_000).paused);
        p.control(Command::ReplayPause, 100_000);
        // Forward a minute: past the zoom.
        p.control(Command::ReplayForward, 100_000);
        assert_eq!(p.position(), 100_000);
        assert!(p.state().ui.zoomed);
        assert_eq!(p.state().model.now, 36_060);
        // Back a minute: rebuilt without the zoom.
        p.control(Command::ReplayBack, 100_000);
        assert_eq!(p.position(), 40_000);
        assert!(!p.state().ui.zoomed);
        assert_eq!(p.state().ui.focus, crate::app::PaneId::Logs);
        assert_eq!(p.state().model.now, 36_000);
        // The recorded quit and replay keys are not replayed.
        p.seek_to(200_000);
        assert!(!p.state().quit);
        let s = p.status(10_000_000);
        assert!(s.ended);
        assert_eq!((s.position_s, s.total_s), (121, 121));
        assert_eq!(
            s.recorded_at,
            (p.recording().header.started_ms + 121_000) / 1000
        );
    }

    #[test]
    fn viewer_keys_apply_until_a_seek_rebuilds() {
        let rec = recording(vec![
            (0, Action::Tick(36_000)),
            (5_000, Action::Resize(100, 30)),
            (10_000, Action::Click(1, 1)),
        ]);
        let mut p = Player::new(rec).unwrap();
        p.viewer(Action::Resize(150, 50));
        p.viewer(Action::Command(Command::Zoom));
        assert!(p.state().ui.zoomed);
        p.seek_to(6_000);
        // The viewer's terminal keeps its size; the recorded one is tracked beside it.
        assert_eq!(p.state().ui.size, (150, 50));
        assert_eq!(p.recorded_size(), (100, 30));
        p.seek_to(0);
        assert!(!p.state().ui.zoomed);
        assert_eq!(p.state().ui.size, (150, 50));
        assert_eq!(p.recorded_size(), p.recording().header.size);
        // Following the recorded size instead.
        let mut p = p.follow_size(true);
        p.seek_to(6_000);
        assert_eq!(p.state().ui.size, (100, 30));
    }

    #[test]
    fn checkpoints_give_the_same_state_as_playing_through() {
        let mut records = Vec::new();
        for i in 0..10_000u64 {
            let a = match i % 3 {
                0 => Action::Tick(36_000 + i as i64),
                1 => Action::Command(Command::FocusNext),
                _ => Action::Command(Command::Down),
            };
            records.push((i * 10, a));
        }
        let mut p = Player::new(recording(records)).unwrap();
        p.seek_to(99_990);
        assert!(!p.checkpoints.is_empty());
        assert!(p.checkpoints.len() <= MAX_CHECKPOINTS);
        let end = (p.state().ui.focus, p.state().model.now);
        for target in [50_000, 12_345, 77_770, 0] {
            p.seek_to(target);
            let mut fresh = Player::new(p.recording().clone()).unwrap();
            fresh.seek_to(target);
            assert_eq!(p.state().ui.focus, fresh.state().ui.focus, "{target}");
            assert_eq!(p.state().model.now, fresh.state().model.now, "{target}");
            assert_eq!(p.next, fresh.next, "{target}");
        }
        p.seek_to(99_990);
        assert_eq!((p.state().ui.focus, p.state().model.now), end);
    }

    #[test]
    fn positions_from_durations_and_clock_times() {
        let rec = recording(vec![
            (0, Action::Tick(36_000)),
            (1_000, Action::Tick(36_010)),
            (2_000, Action::Tick(36_070)),
            (330_000, Action::Tick(36_500)),
        ]);
        let p = Player::new(rec).unwrap();
        assert_eq!(p.position_of("5m30s").unwrap(), 330_000);
        assert_eq!(p.position_of("90").unwrap(), 90_000);
        assert!(p.position_of("6m").unwrap_err().contains("past the end"));
        // 36_000 is 10:00:00 UTC.
        assert_eq!(p.position_of("10:00:00").unwrap(), 0);
        assert_eq!(p.position_of("10:00:05").unwrap(), 1_000);
        assert_eq!(p.position_of("10:01").unwrap(), 2_000);
        let e = p.position_of("11:00:00").unwrap_err();
        assert!(e.contains("10:00:00") && e.contains("10:08:20"), "{e}");
        assert!(p.position_of("25:00").is_err());
        assert!(p.position_of("1:2:3:4").is_err());
        assert_eq!(clock_span(59), "0:59");
        assert_eq!(clock_span(3_725), "1:02:05");
    }
}
