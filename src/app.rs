//! The application state, its one `Action` enum and the pure `update(state, action)`.
//! The event loop (terminal, timers, sources) lives at the edge, in `tui`.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::log::{LogFilter, LogLevel};
use crate::model::metrics::MetricPane;
use crate::model::runbook::{Runbook, Section, StepMark, Walk};
use crate::model::time::{Ts, HOUR};
use crate::model::{Model, Update};

/// The panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaneId {
    Requests,
    Errors,
    Latency,
    Throttles,
    Aurora,
    Dynamo,
    Alarms,
    Logs,
    Runbook,
}

impl PaneId {
    pub const ALL: [PaneId; 9] = [
        PaneId::Requests,
        PaneId::Errors,
        PaneId::Latency,
        PaneId::Throttles,
        PaneId::Aurora,
        PaneId::Dynamo,
        PaneId::Alarms,
        PaneId::Logs,
        PaneId::Runbook,
    ];

    pub fn metric(self) -> Option<MetricPane> {
        Some(match self {
            PaneId::Requests => MetricPane::Requests,
            PaneId::Errors => MetricPane::Errors,
            PaneId::Latency => MetricPane::Latency,
            PaneId::Throttles => MetricPane::Throttles,
            PaneId::Aurora => MetricPane::Aurora,
            PaneId::Dynamo => MetricPane::Dynamo,
            _ => return None,
        })
    }

    /// Panes that list resources (functions, instances, tables) an operator can pick from.
    pub fn has_resources(self) -> bool {
        matches!(self, PaneId::Throttles | PaneId::Aurora | PaneId::Dynamo)
    }

    pub fn title(self) -> &'static str {
        match self.metric() {
            Some(m) => m.title(),
            None => match self {
                PaneId::Alarms => "Alarms",
                PaneId::Logs => "Log tail",
                _ => "Runbook",
            },
        }
    }

    fn step(self, delta: isize) -> PaneId {
        let n = Self::ALL.len() as isize;
        let i = Self::ALL.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Self::ALL[((i + delta).rem_euclid(n)) as usize]
    }
}

/// The chart time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRange {
    H1,
    H3,
    H24,
}

impl TimeRange {
    pub fn secs(self) -> Ts {
        match self {
            TimeRange::H1 => HOUR,
            TimeRange::H3 => 3 * HOUR,
            TimeRange::H24 => 24 * HOUR,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            TimeRange::H1 => "1h",
            TimeRange::H3 => "3h",
            TimeRange::H24 => "24h",
        }
    }
}

/// Every action a key can be bound to. Names (kebab-case) are what keymaps use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Quit,
    FocusNext,
    FocusPrev,
    FocusAlarms,
    FocusLogs,
    FocusRunbook,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Select,
    Back,
    Zoom,
    Help,
    FilterLog,
    CycleLevel,
    ClearFilter,
    PauseLog,
    Range1h,
    Range3h,
    Range24h,
    StepDone,
    StepSkip,
    StepUndo,
    Pick,
}

impl Command {
    /// (name, command, what it does) — the source of keymap names and of the help screen.
    pub const TABLE: [(&'static str, Command, &'static str); 27] = [
        ("quit", Command::Quit, "quit opsdeck"),
        ("focus-next", Command::FocusNext, "focus the next pane"),
        ("focus-prev", Command::FocusPrev, "focus the previous pane"),
        (
            "focus-alarms",
            Command::FocusAlarms,
            "focus the alarms pane",
        ),
        ("focus-logs", Command::FocusLogs, "focus the log tail"),
        (
            "focus-runbook",
            Command::FocusRunbook,
            "focus the runbook panel",
        ),
        ("up", Command::Up, "move up / scroll back"),
        ("down", Command::Down, "move down / scroll forward"),
        ("page-up", Command::PageUp, "page up"),
        ("page-down", Command::PageDown, "page down"),
        (
            "top",
            Command::Top,
            "go to the first item / oldest log line",
        ),
        (
            "bottom",
            Command::Bottom,
            "go to the last item / follow the log",
        ),
        (
            "select",
            Command::Select,
            "open the runbook of the selected alarm / mark the step done / pin in the picker",
        ),
        (
            "back",
            Command::Back,
            "close help or the picker, leave zoom, cancel input",
        ),
        (
            "zoom",
            Command::Zoom,
            "zoom the focused pane to full screen and back",
        ),
        ("help", Command::Help, "show this help"),
        (
            "filter-log",
            Command::FilterLog,
            "filter the log (or the picker) by text",
        ),
        (
            "cycle-level",
            Command::CycleLevel,
            "log level filter: all → WARN+ → ERROR",
        ),
        (
            "clear-filter",
            Command::ClearFilter,
            "clear the log filters (in the picker: unpin all)",
        ),
        (
            "pause-log",
            Command::PauseLog,
            "pause / resume following the log",
        ),
        ("range-1h", Command::Range1h, "charts show the last hour"),
        ("range-3h", Command::Range3h, "charts show the last 3 hours"),
        (
            "range-24h",
            Command::Range24h,
            "charts show the last 24 hours",
        ),
        (
            "step-done",
            Command::StepDone,
            "runbook: mark the current step done",
        ),
        (
            "step-skip",
            Command::StepSkip,
            "runbook: skip the current step",
        ),
        (
            "step-undo",
            Command::StepUndo,
            "runbook: reset the current step",
        ),
        (
            "pick",
            Command::Pick,
            "pick the resources a pane shows (functions, DB instances, tables)",
        ),
    ];

    pub fn from_name(name: &str) -> Option<Command> {
        Self::TABLE
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, c, _)| *c)
    }

    pub fn name(self) -> &'static str {
        Self::TABLE
            .iter()
            .find(|(_, c, _)| *c == self)
            .map(|(n, _, _)| *n)
            .unwrap_or("?")
    }

    pub fn description(self) -> &'static str {
        Self::TABLE
            .iter()
            .find(|(_, c, _)| *c == self)
            .map(|(_, _, d)| *d)
            .unwrap_or("")
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::TABLE.iter().map(|(n, _, _)| *n)
    }
}

/// Keys typed while a text input (the log filter) is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKey {
    Char(char),
    Backspace,
    Enter,
    Esc,
}

/// Everything that can happen to the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Command(Command),
    Input(InputKey),
    /// The clock moved (demo: simulated time).
    Tick(Ts),
    /// A batch of updates from the source.
    Updates(Vec<Update>),
    Resize(u16, u16),
    /// Mouse click at (column, row).
    Click(u16, u16),
    /// Mouse wheel at (column, row); negative is up.
    Scroll(u16, u16, i32),
}

/// How the log pane is being viewed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogView {
    /// Lines scrolled back from the newest; 0 follows the tail.
    pub scroll: usize,
    /// Paused: the view holds still while lines arrive.
    pub paused: bool,
    pub filter: LogFilter,
    /// The filter text being typed, when the input is open.
    pub editing: Option<String>,
    /// Newest sequence number shown when the view was paused.
    pub anchor: Option<u64>,
}

/// The resource picker overlay, open over a resource pane.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    /// The pane whose resources are listed.
    pub pane: PaneId,
    /// The resource under the cursor, by name (so it stays put while rows reorder); `None`
    /// means the first listed one.
    pub cursor: Option<String>,
    /// The applied name filter (case-insensitive substring).
    pub filter: String,
    /// The filter text being typed, when the input is open.
    pub editing: Option<String>,
}

impl Picker {
    pub fn new(pane: PaneId) -> Self {
        Self {
            pane,
            cursor: None,
            filter: String::new(),
            editing: None,
        }
    }

    /// The filter in force (while typing, the text typed so far).
    pub fn filter_text(&self) -> &str {
        self.editing.as_deref().unwrap_or(&self.filter)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UiState {
    pub focus: PaneId,
    pub zoomed: bool,
    pub range: TimeRange,
    pub help: bool,
    pub help_scroll: usize,
    /// Index into `model.alarms` of the highlighted alarm.
    pub alarm_cursor: usize,
    pub log: LogView,
    pub size: (u16, u16),
    /// The resource picker, when open.
    pub picker: Option<Picker>,
    /// Pinned resources by pane: when a pane has any, it shows only those.
    pub pinned: BTreeMap<PaneId, BTreeSet<String>>,
}

impl Default for UiState {
    fn default() -> Self {
        Self {
            focus: PaneId::Alarms,
            zoomed: false,
            range: TimeRange::H1,
            help: false,
            help_scroll: 0,
            alarm_cursor: 0,
            log: LogView::default(),
            size: (80, 24),
            picker: None,
            pinned: BTreeMap::new(),
        }
    }
}

/// The runbook opened for an alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub alarm: String,
    /// `runbook-id#section-id`, or `None` when the alarm names no runbook section we have.
    pub section: Option<String>,
    /// Why this section (or why none).
    pub why: String,
}

/// One line of the help screen, generated from the active keymap.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpLine {
    pub keys: String,
    pub command: Command,
}

/// The whole application state. Rendering is a function of this.
#[derive(Debug, Clone)]
pub struct AppState {
    pub model: Model,
    pub ui: UiState,
    pub runbooks: Vec<Runbook>,
    /// Progress through each walked section, by `runbook-id#section-id`.
    pub walks: BTreeMap<String, Walk>,
    pub opened: Option<Opened>,
    pub help: Vec<HelpLine>,
    /// What the data comes from, for the status bar (e.g. "demo: bad-deploy ×10").
    pub source_label: String,
    pub quit: bool,
    /// Bumped whenever runbook progress (walks, the opened section) changes, so the edge knows
    /// when to save it.
    pub progress_rev: u64,
    /// What the operator did that belongs in the incident journal (steps, sections, notes),
    /// in order; the edge drains it after each update (see `crate::journal`).
    pub journal_out: Vec<crate::journal::Event>,
}

impl AppState {
    pub fn new(
        model: Model,
        runbooks: Vec<Runbook>,
        help: Vec<HelpLine>,
        source_label: String,
    ) -> Self {
        Self {
            model,
            ui: UiState::default(),
            runbooks,
            walks: BTreeMap::new(),
            opened: None,
            help,
            source_label,
            quit: false,
            progress_rev: 0,
            journal_out: Vec::new(),
        }
    }

    /// Look up `runbook-id#section-id`.
    pub fn section(&self, reference: &str) -> Option<(&Runbook, &Section)> {
        let (rb, sec) = reference.split_once('#')?;
        let runbook = self.runbooks.iter().find(|r| r.id == rb)?;
        runbook
            .sections
            .iter()
            .find(|s| s.id == sec)
            .map(|s| (runbook, s))
    }

    /// The section and walk of the opened runbook.
    pub fn opened_walk(&self) -> Option<(&Section, &Walk)> {
        let reference = self.opened.as_ref()?.section.as_ref()?;
        let (_, s) = self.section(reference)?;
        Some((s, self.walks.get(reference)?))
    }

    /// Whether typed keys are text (the log filter or the picker filter is being edited)
    /// rather than keymap commands.
    pub fn text_input_open(&self) -> bool {
        self.ui.log.editing.is_some()
            || self.ui.picker.as_ref().is_some_and(|p| p.editing.is_some())
    }

    /// The resources pinned in `pane` (empty: the pane shows all).
    pub fn pinned(&self, pane: PaneId) -> Option<&BTreeSet<String>> {
        self.ui.pinned.get(&pane).filter(|s| !s.is_empty())
    }

    /// The log filter in force (while typing, the text typed so far).
    pub fn log_filter(&self) -> LogFilter {
        let mut f = self.ui.log.filter.clone();
        if let Some(t) = &self.ui.log.editing {
            f.text = t.clone();
        }
        f
    }
}

/// Apply one action. Returns true when the screen needs redrawing.
pub fn update(state: &mut AppState, action: Action) -> bool {
    match action {
        Action::Tick(now) => {
            let moved = now != state.model.now;
            let changed = state.model.tick(now);
            clamp_cursor(state);
            // Countdowns and clocks show seconds: a new second is a visible change.
            changed || moved
        }
        Action::Updates(updates) => {
            let mut changed = false;
            for u in updates {
                changed |= state.model.apply(u);
            }
            if changed {
                let now = state.model.now;
                state.model.tick(now);
                clamp_cursor(state);
            }
            changed
        }
        Action::Resize(w, h) => {
            let changed = state.ui.size != (w, h);
            state.ui.size = (w, h);
            changed
        }
        Action::Input(key) => input(state, key),
        Action::Command(c) => command(state, c),
        Action::Click(x, y) => {
            let area = ratatui::layout::Rect::new(0, 0, state.ui.size.0, state.ui.size.1);
            if state.ui.picker.is_some() {
                return picker_click(state, area, x, y);
            }
            match crate::ui::layout::pane_at(area, &state.ui, x, y) {
                Some(p) if p != state.ui.focus => {
                    state.ui.focus = p;
                    true
                }
                _ => false,
            }
        }
        Action::Scroll(x, y, delta) => {
            let area = ratatui::layout::Rect::new(0, 0, state.ui.size.0, state.ui.size.1);
            let pane = crate::ui::layout::pane_at(area, &state.ui, x, y).unwrap_or(state.ui.focus);
            let c = if delta < 0 {
                Command::Up
            } else {
                Command::Down
            };
            if state.ui.picker.is_some() {
                let mut changed = false;
                for _ in 0..delta.unsigned_abs().min(50) {
                    changed |= picker_move(state, c);
                }
                return changed;
            }
            let mut changed = false;
            for _ in 0..delta.unsigned_abs().min(50) {
                changed |= move_in(state, pane, c, 3);
            }
            changed
        }
    }
}

fn clamp_cursor(state: &mut AppState) {
    let n = state.model.alarms.len();
    if n == 0 {
        state.ui.alarm_cursor = 0;
    } else if state.ui.alarm_cursor >= n {
        state.ui.alarm_cursor = n - 1;
    }
}

fn input(state: &mut AppState, key: InputKey) -> bool {
    if let Some(p) = state.ui.picker.as_mut() {
        if let Some(text) = p.editing.as_mut() {
            match key {
                InputKey::Char(c) if !c.is_control() => text.push(c),
                InputKey::Char(_) => return false,
                InputKey::Backspace => {
                    text.pop();
                }
                InputKey::Enter => p.filter = p.editing.take().unwrap_or_default(),
                InputKey::Esc => p.editing = None,
            }
            return true;
        }
    }
    let Some(text) = state.ui.log.editing.as_mut() else {
        return false;
    };
    match key {
        InputKey::Char(c) if !c.is_control() => text.push(c),
        InputKey::Char(_) => return false,
        InputKey::Backspace => {
            text.pop();
        }
        InputKey::Enter => {
            state.ui.log.filter.text = state.ui.log.editing.take().unwrap_or_default();
            state.ui.log.scroll = 0;
        }
        InputKey::Esc => state.ui.log.editing = None,
    }
    true
}

fn command(state: &mut AppState, c: Command) -> bool {
    // The picker is modal: it takes every key but quit and help (help shows over it).
    if state.ui.picker.is_some() && !state.ui.help && !matches!(c, Command::Quit | Command::Help) {
        return picker_command(state, c);
    }
    let ui = &mut state.ui;
    match c {
        Command::Quit => state.quit = true,
        Command::Help => {
            ui.help = !ui.help;
            ui.help_scroll = 0;
        }
        Command::Back => {
            if ui.help {
                ui.help = false;
            } else if ui.zoomed {
                ui.zoomed = false;
            } else if ui.log.editing.is_some() {
                ui.log.editing = None;
            } else {
                return false;
            }
        }
        Command::FocusNext => ui.focus = ui.focus.step(1),
        Command::FocusPrev => ui.focus = ui.focus.step(-1),
        Command::FocusAlarms => ui.focus = PaneId::Alarms,
        Command::FocusLogs => ui.focus = PaneId::Logs,
        Command::FocusRunbook => ui.focus = PaneId::Runbook,
        Command::Zoom => ui.zoomed = !ui.zoomed,
        Command::Range1h => ui.range = TimeRange::H1,
        Command::Range3h => ui.range = TimeRange::H3,
        Command::Range24h => ui.range = TimeRange::H24,
        Command::FilterLog => {
            ui.log.editing = Some(String::new());
            if ui.focus != PaneId::Logs && !ui.zoomed {
                ui.focus = PaneId::Logs;
            }
        }
        Command::CycleLevel => {
            ui.log.filter.min_level = match ui.log.filter.min_level {
                None => Some(LogLevel::Warn),
                Some(LogLevel::Warn) => Some(LogLevel::Error),
                _ => None,
            };
            ui.log.scroll = 0;
        }
        Command::ClearFilter => {
            ui.log.filter = LogFilter::default();
            ui.log.scroll = 0;
        }
        Command::PauseLog => {
            ui.log.paused = !ui.log.paused;
            if !ui.log.paused {
                ui.log.scroll = 0;
                ui.log.anchor = None;
            } else {
                ui.log.anchor = state.model.logs.iter().next_back().map(|e| e.seq);
            }
        }
        Command::Pick => {
            // Only panes that list resources have something to pick.
            if !ui.focus.has_resources() {
                return false;
            }
            ui.picker = Some(Picker::new(ui.focus));
        }
        Command::Select => return select(state),
        Command::StepDone => return mark(state, StepMark::Done),
        Command::StepSkip => return mark(state, StepMark::Skipped),
        Command::StepUndo => return mark(state, StepMark::Todo),
        Command::Up
        | Command::Down
        | Command::PageUp
        | Command::PageDown
        | Command::Top
        | Command::Bottom => {
            if state.ui.help {
                let h = &mut state.ui.help_scroll;
                match c {
                    Command::Up => *h = h.saturating_sub(1),
                    Command::Down => *h += 1,
                    Command::PageUp => *h = h.saturating_sub(10),
                    Command::PageDown => *h += 10,
                    Command::Top => *h = 0,
                    _ => *h = state.help.len(),
                }
                return true;
            }
            let focus = state.ui.focus;
            return move_in(state, focus, c, 1);
        }
    }
    true
}

/// Lines one page moves.
const PAGE: usize = 10;

/// A command while the picker is open: move, toggle a pin, filter, unpin all, close.
fn picker_command(state: &mut AppState, c: Command) -> bool {
    let Some(p) = state.ui.picker.as_mut() else {
        return false;
    };
    match c {
        Command::Back | Command::Pick => {
            if c == Command::Back && p.editing.is_some() {
                p.editing = None;
            } else {
                state.ui.picker = None;
            }
            true
        }
        Command::FilterLog => {
            p.editing = Some(p.filter.clone());
            true
        }
        Command::Select => {
            let pane = p.pane;
            let names = crate::ui::picker::visible_names(state);
            let i = picker_index(state, &names);
            let Some(name) = names.get(i).cloned() else {
                return false;
            };
            let set = state.ui.pinned.entry(pane).or_default();
            if !set.remove(&name) {
                set.insert(name.clone());
            }
            if set.is_empty() {
                state.ui.pinned.remove(&pane);
            }
            if let Some(p) = state.ui.picker.as_mut() {
                p.cursor = Some(name);
            }
            true
        }
        Command::ClearFilter => {
            let pane = p.pane;
            state.ui.pinned.remove(&pane).is_some()
        }
        Command::Up
        | Command::Down
        | Command::PageUp
        | Command::PageDown
        | Command::Top
        | Command::Bottom => picker_move(state, c),
        Command::Zoom | Command::Range1h | Command::Range3h | Command::Range24h => {
            // Views of the pane under the picker still change.
            let saved = state.ui.picker.take();
            let changed = command(state, c);
            state.ui.picker = saved;
            changed
        }
        _ => false,
    }
}

/// The index of the picker's cursor among the listed names (0 when its resource is gone).
fn picker_index(state: &AppState, names: &[String]) -> usize {
    state
        .ui
        .picker
        .as_ref()
        .and_then(|p| p.cursor.as_ref())
        .and_then(|c| names.iter().position(|n| n == c))
        .unwrap_or(0)
}

fn picker_move(state: &mut AppState, c: Command) -> bool {
    let names = crate::ui::picker::visible_names(state);
    let n = names.len();
    if n == 0 {
        return false;
    }
    let cur = picker_index(state, &names);
    let next = match c {
        Command::Up => cur.saturating_sub(1),
        Command::Down => (cur + 1).min(n - 1),
        Command::PageUp => cur.saturating_sub(PAGE),
        Command::PageDown => (cur + PAGE).min(n - 1),
        Command::Top => 0,
        _ => n - 1,
    };
    let Some(p) = state.ui.picker.as_mut() else {
        return false;
    };
    let before = p.cursor.clone();
    p.cursor = Some(names[next].clone());
    before != p.cursor
}

/// A click on a picker row moves the cursor there; clicks elsewhere are ignored (it is modal).
fn picker_click(state: &mut AppState, area: ratatui::layout::Rect, x: u16, y: u16) -> bool {
    let names = crate::ui::picker::visible_names(state);
    let cur = picker_index(state, &names);
    let Some(i) = crate::ui::picker::row_at(area, state, names.len(), cur, x, y) else {
        return false;
    };
    let Some(p) = state.ui.picker.as_mut() else {
        return false;
    };
    let before = p.cursor.clone();
    p.cursor = names.get(i).cloned();
    before != p.cursor
}

fn move_in(state: &mut AppState, pane: PaneId, c: Command, lines: usize) -> bool {
    match pane {
        PaneId::Alarms => {
            let n = state.model.alarms.len();
            if n == 0 {
                return false;
            }
            let cur = state.ui.alarm_cursor;
            let next = match c {
                Command::Up => cur.saturating_sub(lines),
                Command::Down => (cur + lines).min(n - 1),
                Command::PageUp => cur.saturating_sub(PAGE),
                Command::PageDown => (cur + PAGE).min(n - 1),
                Command::Top => 0,
                _ => n - 1,
            };
            state.ui.alarm_cursor = next;
            next != cur
        }
        PaneId::Logs => {
            let filter = state.log_filter();
            let total = state.model.log_entries(&filter).count();
            let log = &mut state.ui.log;
            let before = (log.scroll, log.paused);
            match c {
                Command::Up => log.scroll = (log.scroll + lines).min(total.saturating_sub(1)),
                Command::Down => log.scroll = log.scroll.saturating_sub(lines),
                Command::PageUp => log.scroll = (log.scroll + PAGE).min(total.saturating_sub(1)),
                Command::PageDown => log.scroll = log.scroll.saturating_sub(PAGE),
                Command::Top => log.scroll = total.saturating_sub(1),
                _ => log.scroll = 0,
            }
            // Scrolling back pauses; reaching the bottom again resumes following.
            if log.scroll > 0 && !log.paused {
                log.paused = true;
                log.anchor = state.model.logs.iter().next_back().map(|e| e.seq);
            } else if log.scroll == 0
                && matches!(c, Command::Bottom | Command::Down | Command::PageDown)
            {
                log.paused = false;
                log.anchor = None;
            }
            before != (log.scroll, log.paused)
        }
        PaneId::Runbook => {
            let Some(reference) = state.opened.as_ref().and_then(|o| o.section.clone()) else {
                return false;
            };
            let Some(walk) = state.walks.get_mut(&reference) else {
                return false;
            };
            let n = walk.marks.len();
            if n == 0 {
                return false;
            }
            let cur = walk.cursor;
            walk.cursor = match c {
                Command::Up | Command::PageUp => cur.saturating_sub(lines),
                Command::Down | Command::PageDown => (cur + lines).min(n - 1),
                Command::Top => 0,
                _ => n - 1,
            };
            walk.cursor != cur
        }
        _ => false,
    }
}

/// Enter: on an alarm, open its runbook and pre-filter the log; in the runbook, mark done.
fn select(state: &mut AppState) -> bool {
    match state.ui.focus {
        PaneId::Runbook => mark(state, StepMark::Done),
        PaneId::Alarms => {
            let Some(alarm) = state.model.alarms.get(state.ui.alarm_cursor) else {
                return false;
            };
            let name = alarm.def.name.clone();
            let log_filter = alarm.def.log_filter.clone();
            let (section, why) = match &alarm.def.runbook {
                Some(r) if state.section(r).is_some() => {
                    (Some(r.clone()), format!("mapped in the profile: {r}"))
                }
                Some(r) => (
                    None,
                    format!("the profile maps it to {r}, which no loaded runbook has"),
                ),
                None => (
                    None,
                    "the profile names no runbook section for this alarm".into(),
                ),
            };
            if let Some(r) = &section {
                let steps = state.section(r).map(|(_, s)| s.steps.len()).unwrap_or(0);
                let now = state.model.now;
                state.walks.entry(r.clone()).or_insert_with(|| Walk {
                    section: r.clone(),
                    marks: vec![StepMark::Todo; steps],
                    cursor: 0,
                    started: now,
                    marked_at: vec![None; steps],
                });
            }
            state.journal_out.push(crate::journal::Event {
                ts: state.model.now,
                kind: crate::journal::Kind::SectionOpened {
                    alarm: name.clone(),
                    section: section.clone(),
                    why: why.clone(),
                },
            });
            state.opened = Some(Opened {
                alarm: name,
                section,
                why,
            });
            if let Some(f) = log_filter {
                state.ui.log.filter.text = f;
                state.ui.log.scroll = 0;
            }
            state.ui.focus = PaneId::Runbook;
            state.progress_rev += 1;
            true
        }
        _ => false,
    }
}

fn mark(state: &mut AppState, mark: StepMark) -> bool {
    let now = state.model.now;
    let Some(reference) = state.opened.as_ref().and_then(|o| o.section.clone()) else {
        return false;
    };
    let text = state
        .walks
        .get(&reference)
        .and_then(|w| state.section(&reference)?.1.steps.get(w.cursor))
        .map(|s| s.text.clone())
        .unwrap_or_default();
    let Some(walk) = state.walks.get_mut(&reference) else {
        return false;
    };
    let i = walk.cursor;
    if i >= walk.marks.len() {
        return false;
    }
    state.journal_out.push(crate::journal::Event {
        ts: now,
        kind: crate::journal::Kind::StepMarked {
            section: reference.clone(),
            step: i,
            text,
            mark,
        },
    });
    walk.marks[i] = mark;
    state.progress_rev += 1;
    walk.marked_at[i] = (mark != StepMark::Todo).then_some(now);
    // Move on to the next step still to do.
    if mark != StepMark::Todo {
        if let Some(next) = (i + 1..walk.marks.len()).find(|&j| walk.marks[j] == StepMark::Todo) {
            walk.cursor = next;
        }
    }
    true
}
