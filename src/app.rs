//! The application state, its one `Action` enum and the pure `update(state, action)`.
//! The event loop (terminal, timers, sources) lives at the edge, in `tui`.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::log::{LogFilter, LogLevel};
use crate::model::metrics::MetricPane;
use crate::model::runbook::{Runbook, Section, Step, StepMark, StepNote, Walk};
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
    PickSection,
    Note,
    Act,
    Copy,
    Choose,
    BackSection,
    DeployView,
    MarkDeploy,
    Compare,
    Present,
    Redact,
    Theme,
    CheckMark,
    ReplayPause,
    ReplayFaster,
    ReplaySlower,
    ReplayForward,
    ReplayBack,
}

impl Command {
    /// (name, command, what it does) — the source of keymap names and of the help screen.
    pub const TABLE: [(&'static str, Command, &'static str); 45] = [
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
        (
            "pick-section",
            Command::PickSection,
            "runbook: pick the section to walk from all loaded runbooks",
        ),
        (
            "note",
            Command::Note,
            "runbook: add a note to the current step",
        ),
        (
            "act",
            Command::Act,
            "runbook: do what the step names (focus its metric pane or filter the log)",
        ),
        (
            "copy",
            Command::Copy,
            "runbook: copy the step's command to the clipboard (again: the next one)",
        ),
        (
            "choose",
            Command::Choose,
            "runbook: pick a branch or link of the step (again: the next one; select follows it)",
        ),
        (
            "back-section",
            Command::BackSection,
            "runbook: go back to the previous section",
        ),
        (
            "deploy-view",
            Command::DeployView,
            "deploy watch: show / hide the rollback gates",
        ),
        (
            "mark-deploy",
            Command::MarkDeploy,
            "deploy watch: mark a deploy now",
        ),
        (
            "compare",
            Command::Compare,
            "deploy watch: compare each pane since the deploy with the same span before it",
        ),
        (
            "present",
            Command::Present,
            "presentation mode for a shared screen, and back",
        ),
        (
            "redact",
            Command::Redact,
            "mask account IDs, ARNs, emails, IPs, user IDs and tokens / show them",
        ),
        ("theme", Command::Theme, "next colour theme"),
        (
            "check-mark",
            Command::CheckMark,
            "daily check: mark the selected item looked at",
        ),
        (
            "replay-pause",
            Command::ReplayPause,
            "replay: pause / resume",
        ),
        ("replay-faster", Command::ReplayFaster, "replay: faster"),
        ("replay-slower", Command::ReplaySlower, "replay: slower"),
        (
            "replay-forward",
            Command::ReplayForward,
            "replay: skip one minute forward",
        ),
        (
            "replay-back",
            Command::ReplayBack,
            "replay: go one minute back",
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

    /// What the command does, in `lang` (the help screen).
    pub fn description_in(self, lang: crate::i18n::Lang) -> &'static str {
        crate::i18n::command_text(self, lang)
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::TABLE.iter().map(|(n, _, _)| *n)
    }
}

/// Commands are written by their keymap name (`step-done`).
impl serde::Serialize for Command {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Command {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Command::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown command {name:?}")))
    }
}

/// Keys typed while a text input (the log filter) is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKey {
    Char(char),
    Backspace,
    Enter,
    Esc,
}

/// Everything that can happen to the app (serialisable: `--record` writes them).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// What a picker overlay keeps of its list: a cursor on an item by key, and a text filter
/// that can be typed. Both pickers (resources and runbook sections) hold one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListPick {
    /// The item under the cursor, by key (a resource's name, a section's
    /// `runbook-id#section-id`), so it stays put while rows reorder; `None`: the first listed.
    pub cursor: Option<String>,
    /// The applied filter (case-insensitive substring).
    pub filter: String,
    /// The filter text being typed, when the input is open.
    pub editing: Option<String>,
}

impl ListPick {
    /// The filter in force (while typing, the text typed so far).
    pub fn filter_text(&self) -> &str {
        self.editing.as_deref().unwrap_or(&self.filter)
    }

    /// The index of the cursor among the listed `items` (0 when its item is gone).
    pub fn index<T>(&self, items: &[T], key: impl Fn(&T) -> &str) -> usize {
        self.cursor
            .as_ref()
            .and_then(|c| items.iter().position(|i| key(i) == c))
            .unwrap_or(0)
    }

    /// Move the cursor among the listed `items` by a movement command (up, down, page, top,
    /// bottom); whether it moved.
    pub fn move_by<T>(&mut self, c: Command, items: &[T], key: impl Fn(&T) -> &str) -> bool {
        let n = items.len();
        if n == 0 {
            return false;
        }
        let cur = self.index(items, &key);
        let next = match c {
            Command::Up => cur.saturating_sub(1),
            Command::Down => (cur + 1).min(n - 1),
            Command::PageUp => cur.saturating_sub(PAGE),
            Command::PageDown => (cur + PAGE).min(n - 1),
            Command::Top => 0,
            _ => n - 1,
        };
        self.set_cursor(items.get(next).map(&key))
    }

    /// Put the cursor on the item with key `to`; whether it moved.
    pub fn set_cursor(&mut self, to: Option<&str>) -> bool {
        let before = self.cursor.take();
        self.cursor = to.map(str::to_string);
        before != self.cursor
    }

    /// Open the filter input, starting from the applied filter.
    pub fn edit_filter(&mut self) {
        self.editing = Some(self.filter.clone());
    }

    /// `back`: cancel the filter input when it is open (true), else nothing (false: the
    /// picker closes).
    pub fn cancel_edit(&mut self) -> bool {
        self.editing.take().is_some()
    }

    /// A key typed into the filter input: `None` when the input is closed, else whether the
    /// key changed anything. Enter applies the text, Esc drops it.
    pub fn input(&mut self, key: InputKey) -> Option<bool> {
        self.editing.as_ref()?;
        Some(match edit_line(&mut self.editing, key) {
            None => false,
            Some(None) => true,
            Some(Some(text)) => {
                self.filter = text;
                true
            }
        })
    }
}

/// The resource picker overlay, open over a resource pane.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    /// The pane whose resources are listed.
    pub pane: PaneId,
    /// The cursor (by resource name) and the name filter.
    pub pick: ListPick,
}

impl Picker {
    pub fn new(pane: PaneId) -> Self {
        Self {
            pane,
            pick: ListPick::default(),
        }
    }
}

/// The section picker overlay: every section of every loaded runbook, to open one by hand.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SectionPicker {
    /// The cursor (by `runbook-id#section-id`) and the filter (of title, id and kind).
    pub pick: ListPick,
    /// The alarm the picked section is opened for.
    pub alarm: String,
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
    /// The section picker, when open.
    pub section_picker: Option<SectionPicker>,
    /// The note being typed for the current step, when the input is open.
    pub note: Option<String>,
    /// The armed choice (index into [`choices`]) of the current step: `choose` arms and
    /// cycles, `select` follows it.
    pub choice: Option<usize>,
    /// The next command `copy` copies: (section, step, index into the step's commands).
    pub copy_next: Option<(String, usize, usize)>,
    /// A short message for the status bar ("copied ..."), until the next key.
    pub flash: Option<String>,
    /// Deploy watch: the rollback gates row is shown.
    pub deploy_view: bool,
    /// Presentation mode (the war-room layout).
    pub present: bool,
    /// Redaction of identifiers in everything drawn.
    pub redact: bool,
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
            section_picker: None,
            note: None,
            choice: None,
            copy_next: None,
            flash: None,
            deploy_view: false,
            present: false,
            redact: false,
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
    /// Text to put on the clipboard; the edge writes it as OSC 52 and clears it.
    pub clipboard_out: Option<String>,
    /// The operator's notes by `runbook-id#section-id`, in the order written.
    pub notes: BTreeMap<String, Vec<StepNote>>,
    /// Sections opened before the current one (followed branches and links, picked sections),
    /// newest last, for `back-section`.
    pub section_history: Vec<String>,
    /// (section, condition) pairs whose escalation has been journaled, so each is once.
    pub escalated: BTreeSet<(String, String)>,
    /// The UI language (English unless `--lang` or the environment says otherwise).
    pub lang: crate::i18n::Lang,
    /// Deploy watch (see `crate::deploy`).
    pub deploy: crate::deploy::DeployState,
    /// The daily check, when this session is one (see `crate::check`).
    pub check: Option<crate::check::CheckState>,
    /// Presentation mode, redaction and themes (see `crate::warroom`).
    pub war: crate::warroom::WarRoom,
    /// The replay in progress, when this session is one (see `crate::replay`).
    pub replay: Option<crate::replay::ReplayStatus>,
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
            clipboard_out: None,
            notes: BTreeMap::new(),
            section_history: Vec::new(),
            escalated: BTreeSet::new(),
            lang: crate::i18n::Lang::En,
            deploy: Default::default(),
            check: None,
            war: Default::default(),
            replay: None,
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

    /// The opened section's reference, runbook, section and walk.
    pub fn opened_full(&self) -> Option<(&str, &Runbook, &Section, &Walk)> {
        let reference = self.opened.as_ref()?.section.as_deref()?;
        let (rb, s) = self.section(reference)?;
        Some((reference, rb, s, self.walks.get(reference)?))
    }

    /// The step under the walk's cursor: (section reference, step index, step).
    pub fn current_step(&self) -> Option<(&str, usize, &Step)> {
        let (reference, _, section, walk) = self.opened_full()?;
        let step = section.steps.get(walk.cursor)?;
        Some((reference, walk.cursor, step))
    }

    /// The notes written for a section, in order.
    pub fn section_notes(&self, reference: &str) -> &[StepNote] {
        self.notes.get(reference).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether typed keys are text (the log filter or the picker filter is being edited)
    /// rather than keymap commands.
    pub fn text_input_open(&self) -> bool {
        self.ui.log.editing.is_some()
            || self.ui.note.is_some()
            || self.open_pick().is_some_and(|p| p.editing.is_some())
    }

    /// The list state of the open picker overlay (resources or sections), if any.
    pub fn open_pick(&self) -> Option<&ListPick> {
        let ui = &self.ui;
        (ui.picker.as_ref().map(|p| &p.pick)).or(ui.section_picker.as_ref().map(|p| &p.pick))
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
            journal_escalations(state);
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
        Action::Input(key) => {
            let flash = state.ui.flash.take().is_some();
            input(state, key) || flash
        }
        Action::Command(c) => {
            let flash = state.ui.flash.take().is_some();
            command(state, c) || flash
        }
        Action::Click(x, y) => {
            let area = ratatui::layout::Rect::new(0, 0, state.ui.size.0, state.ui.size.1);
            if state.ui.section_picker.is_some() {
                return false;
            }
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
            if state.open_pick().is_some() {
                let mut changed = false;
                for _ in 0..delta.unsigned_abs().min(50) {
                    changed |= pick_move(state, c);
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

/// Edit a one-line text input: `Some(Some(text))` when Enter submits it, `Some(None)` when it
/// is still being typed or was cancelled (`open` is cleared), `None` when the key does
/// nothing.
fn edit_line(open: &mut Option<String>, key: InputKey) -> Option<Option<String>> {
    let text = open.as_mut()?;
    match key {
        InputKey::Char(c) if !c.is_control() => text.push(c),
        InputKey::Char(_) => return None,
        InputKey::Backspace => {
            text.pop();
        }
        InputKey::Enter => return Some(open.take()),
        InputKey::Esc => *open = None,
    }
    Some(None)
}

fn input(state: &mut AppState, key: InputKey) -> bool {
    if state.ui.note.is_some() {
        return match edit_line(&mut state.ui.note, key) {
            None => false,
            Some(None) => true,
            Some(Some(text)) => {
                add_note(state, text.trim());
                true
            }
        };
    }
    let section = state.ui.section_picker.as_mut().map(|p| &mut p.pick);
    if let Some(changed) = section.and_then(|p| p.input(key)) {
        return changed;
    }
    if let Some(changed) = state.ui.picker.as_mut().and_then(|p| p.pick.input(key)) {
        return changed;
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
    // So is the section picker.
    if state.ui.section_picker.is_some()
        && !state.ui.help
        && !matches!(c, Command::Quit | Command::Help)
    {
        return section_picker_command(state, c);
    }
    // An armed choice lasts while `choose` cycles it and until `select` follows it.
    if !matches!(c, Command::Choose | Command::Select | Command::Help) {
        let was_armed = state.ui.choice.take().is_some();
        if was_armed && c == Command::Back {
            return true;
        }
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
            } else if ui.note.is_some() {
                ui.note = None;
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
        Command::PickSection => {
            let alarm = match &state.opened {
                Some(o) => o.alarm.clone(),
                None => state
                    .model
                    .alarms
                    .get(state.ui.alarm_cursor)
                    .map(|a| a.def.name.clone())
                    .unwrap_or_default(),
            };
            let cursor = state.opened.as_ref().and_then(|o| o.section.clone());
            state.ui.section_picker = Some(SectionPicker {
                pick: ListPick {
                    cursor,
                    ..ListPick::default()
                },
                alarm,
            });
        }
        Command::Note => {
            if state.current_step().is_none() {
                return false;
            }
            state.ui.note = Some(String::new());
        }
        Command::Act => return act(state),
        Command::Copy => return copy(state),
        Command::Choose => {
            let n = choices(state).len();
            if n == 0 {
                return false;
            }
            state.ui.choice = Some(match state.ui.choice {
                Some(i) => (i + 1) % n,
                None => 0,
            });
        }
        Command::BackSection => {
            let Some(prev) = state.section_history.pop() else {
                return false;
            };
            let alarm = state
                .opened
                .as_ref()
                .map(|o| o.alarm.clone())
                .unwrap_or_default();
            open_section(
                state,
                alarm,
                Some(prev),
                "back to the previous section".into(),
                false,
            );
        }
        Command::Up
        | Command::Down
        | Command::PageUp
        | Command::PageDown
        | Command::Top
        | Command::Bottom => {
            if state.ui.help {
                let bottom = help_rows(state);
                let h = &mut state.ui.help_scroll;
                match c {
                    Command::Up => *h = h.saturating_sub(1),
                    Command::Down => *h += 1,
                    Command::PageUp => *h = h.saturating_sub(10),
                    Command::PageDown => *h += 10,
                    Command::Top => *h = 0,
                    _ => *h = bottom,
                }
                return true;
            }
            // The daily check moves between its checklist's items.
            if state.check.is_some() {
                return crate::check::command(state, c);
            }
            let focus = state.ui.focus;
            return move_in(state, focus, c, 1);
        }
        Command::DeployView | Command::MarkDeploy | Command::Compare => {
            return crate::deploy::command(state, c)
        }
        Command::Present | Command::Redact | Command::Theme => {
            return crate::warroom::command(state, c)
        }
        Command::CheckMark => return crate::check::command(state, c),
        // Replay controls act on the replay driver at the edge (see `crate::replay`).
        Command::ReplayPause
        | Command::ReplayFaster
        | Command::ReplaySlower
        | Command::ReplayForward
        | Command::ReplayBack => return false,
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
            if !(c == Command::Back && p.pick.cancel_edit()) {
                state.ui.picker = None;
            }
            true
        }
        Command::FilterLog => {
            p.pick.edit_filter();
            true
        }
        Command::Select => {
            let pane = p.pane;
            let names = crate::ui::picker::visible_names(state);
            let i = state
                .open_pick()
                .map_or(0, |p| p.index(&names, String::as_str));
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
                p.pick.cursor = Some(name);
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
        | Command::Bottom => pick_move(state, c),
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

/// The most rows a failing source's reason takes in the help overlay.
pub const HELP_FAULT_REASON_ROWS: usize = 3;

/// An upper bound of the help overlay's rows (what fails now, then a row a key binding), for
/// scrolling to its bottom; the overlay clamps the scroll to what it draws.
fn help_rows(state: &AppState) -> usize {
    let faults = state.model.faults.len();
    let above = if faults == 0 {
        0
    } else {
        2 + faults * (1 + HELP_FAULT_REASON_ROWS)
    };
    state.help.len() + above
}

/// Move the cursor of the open picker overlay (resources or sections) by a movement command.
fn pick_move(state: &mut AppState, c: Command) -> bool {
    if state.ui.picker.is_some() {
        let names = crate::ui::picker::visible_names(state);
        let p = state.ui.picker.as_mut().map(|p| &mut p.pick);
        return p.is_some_and(|p| p.move_by(c, &names, String::as_str));
    }
    let items = crate::ui::section_picker::visible(state);
    let p = state.ui.section_picker.as_mut().map(|p| &mut p.pick);
    p.is_some_and(|p| p.move_by(c, &items, |i| &i.reference))
}

/// A click on a picker row moves the cursor there; clicks elsewhere are ignored (it is modal).
fn picker_click(state: &mut AppState, area: ratatui::layout::Rect, x: u16, y: u16) -> bool {
    let Some(p) = state.ui.picker.as_ref() else {
        return false;
    };
    let names = crate::ui::picker::visible_names(state);
    let cur = p.pick.index(&names, String::as_str);
    let Some(i) = crate::ui::picker::row_at(area, state, names.len(), cur, x, y) else {
        return false;
    };
    let to = names.get(i).map(String::as_str);
    state
        .ui
        .picker
        .as_mut()
        .is_some_and(|p| p.pick.set_cursor(to))
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

/// Enter: on an alarm, open its runbook section and pre-filter the log; in the runbook,
/// follow the armed choice or mark the step done.
fn select(state: &mut AppState) -> bool {
    match state.ui.focus {
        PaneId::Runbook => {
            if let Some(i) = state.ui.choice.take() {
                return follow(state, i);
            }
            mark(state, StepMark::Done)
        }
        PaneId::Alarms => {
            let Some(alarm) = state.model.alarms.get(state.ui.alarm_cursor) else {
                return false;
            };
            let name = alarm.def.name.clone();
            let log_filter = alarm.def.log_filter.clone();
            let mapped = alarm.def.runbook.clone();
            let words = alarm_words(&alarm.def);
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let (section, why) = match &mapped {
                Some(r) if state.section(r).is_some() => {
                    (Some(r.clone()), "mapped in the profile".to_string())
                }
                _ => {
                    let unloaded = mapped
                        .as_ref()
                        .map(|r| {
                            format!(" (the profile maps it to {r}, which no loaded runbook has)")
                        })
                        .unwrap_or_default();
                    match crate::runbooks::match_section(&state.runbooks, &name, &words) {
                        Some(m) => (Some(m.reference()), format!("{}{unloaded}", m.why)),
                        None => (
                            None,
                            format!("no runbook section matches this alarm{unloaded}"),
                        ),
                    }
                }
            };
            state.section_history.clear();
            open_section(state, name, section, why, false);
            if let Some(f) = log_filter {
                state.ui.log.filter.text = f;
                state.ui.log.scroll = 0;
            }
            true
        }
        _ => false,
    }
}

/// Words of an alarm for matching it to a section: its series key and the key's parts, and
/// the words of its description.
fn alarm_words(def: &crate::model::alarm::AlarmDef) -> Vec<String> {
    // The description first: its spelling (`Errors`) is the one the panel repeats.
    let mut all: Vec<String> = def
        .description
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '`'))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
        .collect();
    all.push(def.series.clone());
    all.extend(def.series.split('/').map(String::from));
    let mut out: Vec<String> = Vec::new();
    for w in all {
        if !w.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&w)) {
            out.push(w);
        }
    }
    out
}

/// How many sections `back-section` remembers.
const HISTORY: usize = 32;

/// Open a section (or none) for an alarm, say why, journal it and focus the panel. With
/// `remember`, the section open before goes on the history for `back-section`.
fn open_section(
    state: &mut AppState,
    alarm: String,
    section: Option<String>,
    why: String,
    remember: bool,
) {
    if remember {
        if let Some(prev) = state.opened.as_ref().and_then(|o| o.section.clone()) {
            if Some(&prev) != section.as_ref() {
                state.section_history.push(prev);
                if state.section_history.len() > HISTORY {
                    state.section_history.remove(0);
                }
            }
        }
    }
    if let Some(r) = &section {
        // Checklist items ticked in the file start done.
        let checked: Vec<bool> = state
            .section(r)
            .map(|(_, s)| {
                s.steps
                    .iter()
                    .map(|st| st.checklist && st.checked)
                    .collect()
            })
            .unwrap_or_default();
        let now = state.model.now;
        state.walks.entry(r.clone()).or_insert_with(|| {
            let marks: Vec<StepMark> = checked
                .iter()
                .map(|&c| if c { StepMark::Done } else { StepMark::Todo })
                .collect();
            let cursor = marks.iter().position(|m| *m == StepMark::Todo).unwrap_or(0);
            Walk {
                section: r.clone(),
                marked_at: vec![None; marks.len()],
                marks,
                cursor,
                started: now,
            }
        });
    }
    state.journal_out.push(crate::journal::Event {
        ts: state.model.now,
        kind: crate::journal::Kind::SectionOpened {
            alarm: alarm.clone(),
            section: section.clone(),
            why: why.clone(),
        },
    });
    state.opened = Some(Opened {
        alarm,
        section,
        why,
    });
    state.ui.choice = None;
    state.ui.copy_next = None;
    state.ui.focus = PaneId::Runbook;
    state.progress_rev += 1;
}

/// A branch or link offered by the current step, to jump to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The condition or the reference's words.
    pub label: String,
    /// `runbook-id#section-id`.
    pub target: String,
    /// The target section's title (its id when it is not loaded).
    pub title: String,
    /// A decision branch (else a cross-reference).
    pub branch: bool,
}

/// The choices of the current step: its decision branches, then its links, then the links
/// of the section that belong to no step; each target once.
pub fn choices(state: &AppState) -> Vec<Choice> {
    let Some((reference, rb, section, walk)) = state.opened_full() else {
        return Vec::new();
    };
    let rb_id = reference.split_once('#').map(|(r, _)| r).unwrap_or(&rb.id);
    let step = Some(walk.cursor);
    let mut out: Vec<Choice> = Vec::new();
    let mut add = |label: &str, target: &str, branch: bool| {
        let target_ref = format!("{rb_id}#{target}");
        if target == section.id || out.iter().any(|c| c.target == target_ref) {
            return;
        }
        let title = rb
            .section(target)
            .map(|s| s.title.clone())
            .unwrap_or_else(|| target.to_string());
        out.push(Choice {
            label: label.to_string(),
            target: target_ref,
            title,
            branch,
        });
    };
    for b in section.branches.iter().filter(|b| b.step == step) {
        add(&b.label, &b.target, true);
    }
    for l in section.links.iter().filter(|l| l.step == step) {
        add(&l.text, &l.target, false);
    }
    for l in section.links.iter().filter(|l| l.step.is_none()) {
        add(&l.text, &l.target, false);
    }
    out
}

/// Jump to choice `i` of the current step.
fn follow(state: &mut AppState, i: usize) -> bool {
    let Some(choice) = choices(state).into_iter().nth(i) else {
        return false;
    };
    if state.section(&choice.target).is_none() {
        return false;
    }
    let alarm = state
        .opened
        .as_ref()
        .map(|o| o.alarm.clone())
        .unwrap_or_default();
    let why = if choice.branch {
        format!("branch: {}", choice.label)
    } else {
        format!("link: {}", choice.label)
    };
    open_section(state, alarm, Some(choice.target), why, true);
    true
}

/// Append a note to the current step and journal it.
fn add_note(state: &mut AppState, text: &str) {
    if text.is_empty() {
        return;
    }
    let Some((reference, step, _)) = state.current_step() else {
        return;
    };
    let reference = reference.to_string();
    let ts = state.model.now;
    state
        .notes
        .entry(reference.clone())
        .or_default()
        .push(StepNote {
            step,
            ts,
            text: text.to_string(),
        });
    state.journal_out.push(crate::journal::Event {
        ts,
        kind: crate::journal::Kind::Note {
            section: Some(reference),
            step: Some(step),
            text: text.to_string(),
        },
    });
    state.progress_rev += 1;
}

/// What a step's words ask for that opsdeck can do: look at a metric pane, or filter the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepAct {
    /// Focus a pane; the words say what to look at there ("Aurora connections").
    Focus(PaneId, &'static str),
    /// Set the log filter to this text.
    FilterLogs(String),
}

impl StepAct {
    /// `focus Aurora connections` / `filter logs for ERROR`.
    pub fn hint(&self) -> String {
        match self {
            StepAct::Focus(_, what) => format!("focus {what}"),
            StepAct::FilterLogs(p) => format!("filter logs for {p}"),
        }
    }
}

/// What the `act` command does for a step: a log pattern the step names (a quoted or
/// backticked token in a text that speaks of logs, or a command's `--filter-pattern`), else
/// the first metric pane its words name (throttling, DynamoDB capacity, connections, latency,
/// error rate, requests, or a CloudWatch metric name such as `ConsumedReadCapacityUnits`).
/// Looks at the step's text, then its sub-steps, then its commands.
pub fn step_act(step: &Step) -> Option<StepAct> {
    let texts: Vec<&str> = std::iter::once(step.text.as_str())
        .chain(step.substeps.iter().map(String::as_str))
        .collect();
    for t in &texts {
        if let Some(p) = log_pattern(t) {
            return Some(StepAct::FilterLogs(p));
        }
    }
    for c in &step.commands {
        if let Some(p) = filter_pattern_arg(c) {
            return Some(StepAct::FilterLogs(p));
        }
    }
    for t in &texts {
        if let Some((pane, what)) = metric_pane(t) {
            return Some(StepAct::Focus(pane, what));
        }
    }
    None
}

/// Quoted or backticked tokens of a text: `x`, "x", 「x」, “x”, 'x'.
fn quoted(text: &str) -> Vec<String> {
    const PAIRS: [(char, char); 5] = [
        ('`', '`'),
        ('"', '"'),
        ('「', '」'),
        ('\u{201c}', '\u{201d}'),
        ('\'', '\''),
    ];
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let Some(&(_, close)) = PAIRS.iter().find(|(o, _)| *o == chars[i]) else {
            i += 1;
            continue;
        };
        // An apostrophe inside a word (don't) opens nothing.
        if chars[i] == '\'' && i > 0 && chars[i - 1].is_alphanumeric() {
            i += 1;
            continue;
        }
        match chars[i + 1..].iter().position(|&c| c == close) {
            Some(n) => {
                let token: String = chars[i + 1..i + 1 + n].iter().collect();
                let token = token.trim().to_string();
                if !token.is_empty() && token.chars().count() <= 80 {
                    out.push(token);
                }
                i += n + 2;
            }
            None => i += 1,
        }
    }
    out
}

/// A log pattern a text names: a quoted token when the text speaks of logs (log, ログ, filter
/// pattern, フィルタ). Log group names (`/aws/...`) and commands are not patterns.
fn log_pattern(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let about_logs = ["log", "ログ", "filter", "フィルタ", "grep"]
        .iter()
        .any(|w| lower.contains(w));
    if !about_logs {
        return None;
    }
    if let Some(q) = quoted(text)
        .into_iter()
        .find(|t| !t.starts_with('/') && !t.contains(' ') && !t.starts_with("aws") && t.len() >= 2)
    {
        return Some(q);
    }
    // The reader drops inline code marks, so `X` may arrive bare: an exception name or a
    // log level / timeout word is a pattern too.
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map(|w| w.trim_matches('.'))
        .find(|w| {
            (w.len() > 9 && w.ends_with("Exception"))
                || matches!(
                    *w,
                    "ERROR" | "WARN" | "FATAL" | "timeout" | "Timeout" | "TIMEOUT"
                )
        })
        .map(String::from)
}

/// The value of `--filter-pattern` in a command (`aws logs tail ... --filter-pattern ERROR`).
fn filter_pattern_arg(command: &str) -> Option<String> {
    let mut words = command.split_whitespace();
    while let Some(w) = words.next() {
        let value = if let Some(v) = w.strip_prefix("--filter-pattern=") {
            v.to_string()
        } else if w == "--filter-pattern" {
            words.next()?.to_string()
        } else {
            continue;
        };
        let v = value.trim_matches(|c| c == '"' || c == '\'').to_string();
        return (!v.is_empty()).then_some(v);
    }
    None
}

/// The metric pane a text names, first match in this order: throttling (DynamoDB when the
/// text says DynamoDB, a table, read or write capacity; else Lambda), DynamoDB capacity,
/// database connections, latency, error rate, requests.
fn metric_pane(text: &str) -> Option<(PaneId, &'static str)> {
    let t = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let dynamo = has(&["dynamodb", "table", "テーブル", "capacity", "キャパシティ"]);
    if has(&["throttl", "スロットリング", "provisionedthroughputexceeded"]) {
        return Some(if dynamo {
            (PaneId::Dynamo, "DynamoDB throttling")
        } else {
            (PaneId::Throttles, "Lambda throttles")
        });
    }
    if has(&[
        "capacityunits",
        "consumed",
        "capacity",
        "キャパシティ",
        "dynamodb",
    ]) {
        return Some((PaneId::Dynamo, "DynamoDB capacity"));
    }
    if has(&[
        "connections",
        "connection count",
        "接続数",
        "databaseconnections",
    ]) {
        return Some((PaneId::Aurora, "Aurora connections"));
    }
    if has(&[
        "latency",
        "p95",
        "p99",
        "p50",
        "レイテンシ",
        "応答時間",
        "レスポンスタイム",
        "duration",
    ]) {
        return Some((PaneId::Latency, "latency"));
    }
    let cw_errors = text.split(|c: char| !c.is_alphanumeric()).any(|w| {
        w.len() > 6
            && (w.ends_with("Errors") || w.ends_with("Error"))
            && w.chars().next().is_some_and(char::is_uppercase)
    });
    if cw_errors || has(&["error rate", "5xx", "4xx", "エラー率", "エラー数"]) {
        return Some((PaneId::Errors, "error rate"));
    }
    if has(&["request count", "requests", "リクエスト数", "invocations"]) {
        return Some((PaneId::Requests, "requests"));
    }
    None
}

/// `act`: do what the current step names.
fn act(state: &mut AppState) -> bool {
    let Some(a) = state.current_step().and_then(|(_, _, s)| step_act(s)) else {
        return false;
    };
    match a {
        StepAct::Focus(pane, _) => state.ui.focus = pane,
        StepAct::FilterLogs(p) => {
            state.ui.log.filter.text = p;
            state.ui.log.scroll = 0;
        }
    }
    true
}

/// `copy`: the current step's next command to the clipboard (the edge writes it).
fn copy(state: &mut AppState) -> bool {
    let Some((reference, i, step)) = state.current_step() else {
        return false;
    };
    let commands: Vec<&String> = step
        .commands
        .iter()
        .filter(|c| !c.trim().is_empty())
        .collect();
    if commands.is_empty() {
        return false;
    }
    let n = match &state.ui.copy_next {
        Some((r, s, n)) if r == reference && *s == i => *n % commands.len(),
        _ => 0,
    };
    let text = commands[n].trim_end().to_string();
    let total = commands.len();
    let reference = reference.to_string();
    let first = text.lines().next().unwrap_or("").to_string();
    state.ui.copy_next = Some((reference, i, n + 1));
    state.ui.flash = Some(if total > 1 {
        format!("copied command {}/{total}: {first}", n + 1)
    } else {
        format!("copied: {first}")
    });
    state.clipboard_out = Some(text);
    true
}

/// Journal each escalation condition of the opened section once, when it is first met.
fn journal_escalations(state: &mut AppState) {
    let Some((reference, _, section, _)) = state.opened_full() else {
        return;
    };
    let mut met: Vec<(String, String, Ts)> = Vec::new();
    for p in crate::model::escalation::parse_all_in(&section.escalation, &section.title) {
        if let crate::model::escalation::Parsed::Check(c) = p {
            if let Some(since) = crate::model::escalation::met_since(&c, &state.model) {
                met.push((reference.to_string(), c.text.clone(), since));
            }
        }
    }
    for (section, condition, met_since) in met {
        if state.escalated.insert((section.clone(), condition.clone())) {
            state.journal_out.push(crate::journal::Event {
                ts: state.model.now,
                kind: crate::journal::Kind::Escalation {
                    section,
                    condition,
                    met_since,
                },
            });
        }
    }
}

/// A command while the section picker is open: move, filter, open the section, close.
fn section_picker_command(state: &mut AppState, c: Command) -> bool {
    let Some(p) = state.ui.section_picker.as_mut() else {
        return false;
    };
    match c {
        Command::Back | Command::PickSection => {
            if !(c == Command::Back && p.pick.cancel_edit()) {
                state.ui.section_picker = None;
            }
            true
        }
        Command::FilterLog => {
            p.pick.edit_filter();
            true
        }
        Command::ClearFilter => {
            let had = !p.pick.filter.is_empty();
            p.pick.filter.clear();
            had
        }
        Command::Select => {
            let items = crate::ui::section_picker::visible(state);
            let i = state
                .open_pick()
                .map_or(0, |p| p.index(&items, |i| &i.reference));
            let Some(item) = items.get(i) else {
                return false;
            };
            let reference = item.reference.clone();
            let alarm = state
                .ui
                .section_picker
                .take()
                .map(|p| p.alarm)
                .unwrap_or_default();
            open_section(
                state,
                alarm,
                Some(reference),
                "picked by the operator".into(),
                true,
            );
            true
        }
        Command::Up
        | Command::Down
        | Command::PageUp
        | Command::PageDown
        | Command::Top
        | Command::Bottom => pick_move(state, c),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Kind;
    use crate::model::alarm::{AlarmDef, Severity};
    use crate::model::series::Stat;
    use crate::model::threshold::Threshold;
    use crate::model::time::MINUTE;
    use crate::model::Profile;

    const T0: Ts = 1_750_000_000 - 1_750_000_000 % 86_400 + 10 * 3600;
    const ERRORS: &str = "ja_seed_layout#在庫更新エラーアラーム";
    const THROTTLE: &str = "ja_seed_layout#テーブルスロットリングアラーム";
    const ROLLBACK: &str = "ja_seed_layout#切り戻しの基準";

    fn def(name: &str, series: &str, description: &str, runbook: Option<&str>) -> AlarmDef {
        AlarmDef {
            name: name.into(),
            description: description.into(),
            series: series.into(),
            period: 60,
            stat: Stat::Average,
            threshold: Threshold::above(None, Some(5.0)),
            severity: Severity::Critical,
            runbook: runbook.map(String::from),
            log_filter: None,
            unit: "%".into(),
        }
    }

    fn seed() -> Runbook {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/runbooks/ja_seed_layout.md"
        );
        crate::runbooks::load_file(path).expect("the fixture loads")
    }

    /// Three alarms (one the matcher finds, one mapped, one nothing matches) and the error rate
    /// at 12% for the last 30 minutes.
    fn state() -> AppState {
        let profile = Profile {
            name: "inventory".into(),
            alarms: vec![
                def(
                    "InventoryUpdateErrors",
                    "errors/rate",
                    "Errors of InventoryUpdateFunction",
                    None,
                ),
                def(
                    "TableWrites",
                    "dynamo/throttles/inventory-items",
                    "",
                    Some(THROTTLE),
                ),
                def("DiskFull", "disk/used", "disk usage", None),
            ],
            ..Default::default()
        };
        let start = T0 - 60 * MINUTE;
        let mut model = Model::new(profile, start, 100);
        let points: Vec<(Ts, f64)> = (0..=60)
            .map(|m| {
                let t = start + m * MINUTE;
                (t, if m >= 30 { 12.0 } else { 1.0 })
            })
            .collect();
        model.apply(Update::Points {
            key: "errors/rate".into(),
            points,
        });
        model.tick(T0);
        AppState::new(model, vec![seed()], Vec::new(), "test".into())
    }

    fn cmd(s: &mut AppState, c: Command) -> bool {
        update(s, Action::Command(c))
    }

    fn typed(s: &mut AppState, text: &str) {
        for c in text.chars() {
            update(s, Action::Input(InputKey::Char(c)));
        }
        update(s, Action::Input(InputKey::Enter));
    }

    /// Open the runbook of the alarm named `name`.
    fn open(s: &mut AppState, name: &str) {
        s.ui.focus = PaneId::Alarms;
        s.ui.alarm_cursor = s
            .model
            .alarms
            .iter()
            .position(|a| a.def.name == name)
            .unwrap();
        assert!(cmd(s, Command::Select));
    }

    fn opened_section(s: &AppState) -> Option<&str> {
        s.opened.as_ref()?.section.as_deref()
    }

    fn section_events(s: &AppState) -> Vec<(Option<String>, String)> {
        s.journal_out
            .iter()
            .filter_map(|e| match &e.kind {
                Kind::SectionOpened { section, why, .. } => Some((section.clone(), why.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn select_picks_the_mapped_or_matching_section_and_says_why() {
        let mut s = state();
        open(&mut s, "TableWrites");
        assert_eq!(opened_section(&s), Some(THROTTLE));
        assert_eq!(s.opened.as_ref().unwrap().why, "mapped in the profile");
        assert_eq!(s.ui.focus, PaneId::Runbook);

        open(&mut s, "InventoryUpdateErrors");
        assert_eq!(opened_section(&s), Some(ERRORS));
        let why = &s.opened.as_ref().unwrap().why;
        assert!(why.contains("InventoryUpdateFunction"), "{why}");

        open(&mut s, "DiskFull");
        assert_eq!(opened_section(&s), None);
        assert!(s
            .opened
            .as_ref()
            .unwrap()
            .why
            .starts_with("no runbook section matches"));
        let events = section_events(&s);
        assert_eq!(events.len(), 3);
        assert_eq!(events[1].0.as_deref(), Some(ERRORS));
    }

    #[test]
    fn the_section_picker_lists_filters_and_opens_a_section() {
        let mut s = state();
        open(&mut s, "DiskFull");
        assert!(cmd(&mut s, Command::PickSection));
        let items = crate::ui::section_picker::visible(&s);
        assert_eq!(items[0].reference, ERRORS, "alarm sections first");
        assert_eq!(items[1].reference, THROTTLE);
        assert!(items[2].kind != crate::model::runbook::SectionKind::Alarm);
        let last = items.last().unwrap();
        assert_eq!(last.kind, crate::model::runbook::SectionKind::Text);

        // The picker is modal: step commands do nothing to the walk.
        assert!(!cmd(&mut s, Command::StepDone));
        assert!(cmd(&mut s, Command::FilterLog));
        assert!(s.text_input_open());
        typed(&mut s, "切り戻し");
        assert!(!s.text_input_open());
        let items = crate::ui::section_picker::visible(&s);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].reference, ROLLBACK);
        s.journal_out.clear();
        assert!(cmd(&mut s, Command::Select));
        assert!(s.ui.section_picker.is_none());
        assert_eq!(opened_section(&s), Some(ROLLBACK));
        assert_eq!(s.opened.as_ref().unwrap().alarm, "DiskFull");
        assert_eq!(
            section_events(&s),
            vec![(
                Some(ROLLBACK.to_string()),
                "picked by the operator".to_string()
            )]
        );
        assert!(s.walks.contains_key(ROLLBACK));

        // Esc closes it without opening anything.
        cmd(&mut s, Command::PickSection);
        cmd(&mut s, Command::Down);
        assert!(cmd(&mut s, Command::Back));
        assert!(s.ui.section_picker.is_none());
        assert_eq!(opened_section(&s), Some(ROLLBACK));
    }

    #[test]
    fn a_note_goes_to_the_current_step_and_the_journal() {
        let mut s = state();
        assert!(!cmd(&mut s, Command::Note), "no walk, no note");
        open(&mut s, "InventoryUpdateErrors");
        cmd(&mut s, Command::Down);
        s.journal_out.clear();
        assert!(cmd(&mut s, Command::Note));
        assert!(s.text_input_open());
        // Keys are text while typing: `d` is not step-done.
        typed(&mut s, "deploy 41 の直後から");
        assert!(!s.text_input_open());
        let notes = s.section_notes(ERRORS);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].step, 1);
        assert_eq!(notes[0].ts, T0);
        assert_eq!(notes[0].text, "deploy 41 の直後から");
        assert!(matches!(
            &s.journal_out[..],
            [crate::journal::Event { kind: Kind::Note { section: Some(r), step: Some(1), text }, .. }]
                if r == ERRORS && text == "deploy 41 の直後から"
        ));
        // Esc cancels; an empty note is not kept.
        cmd(&mut s, Command::Note);
        update(&mut s, Action::Input(InputKey::Char('x')));
        update(&mut s, Action::Input(InputKey::Esc));
        cmd(&mut s, Command::Note);
        typed(&mut s, "   ");
        assert_eq!(s.section_notes(ERRORS).len(), 1);
        assert_eq!(s.journal_out.len(), 1);
    }

    fn step(text: &str, subs: &[&str], cmds: &[&str]) -> Step {
        Step {
            text: text.into(),
            substeps: subs.iter().map(|x| x.to_string()).collect(),
            commands: cmds.iter().map(|x| x.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn step_act_finds_log_patterns_and_metric_panes() {
        let filter = |p: &str| Some(StepAct::FilterLogs(p.into()));
        let focus = |p: PaneId, w: &'static str| Some(StepAct::Focus(p, w));
        let cases: Vec<(Step, Option<StepAct>)> = vec![
            (
                step(
                    "ログで `ProvisionedThroughputExceededException` を確認",
                    &[],
                    &[],
                ),
                filter("ProvisionedThroughputExceededException"),
            ),
            (
                step("Search the logs for \"timeout\"", &[], &[]),
                filter("timeout"),
            ),
            (
                step("原因の確認", &["CloudWatch Logs で「ERROR」を検索"], &[]),
                filter("ERROR"),
            ),
            (
                step(
                    "Tail the API logs",
                    &[],
                    &["aws logs tail /aws/lambda/api --since 15m --filter-pattern ERROR"],
                ),
                filter("ERROR"),
            ),
            (
                step(
                    "Look for ProvisionedThroughputExceededException in the logs",
                    &[],
                    &[],
                ),
                filter("ProvisionedThroughputExceededException"),
            ),
            (step("ログで ERROR を探す", &[], &[]), filter("ERROR")),
            // A quoted log group is not a pattern; the words still name no metric.
            (step("Open the log group `/aws/lambda/api`", &[], &[]), None),
            // Quotes without logs are not a filter.
            (
                step("Check `ProfileAPIErrors` in CloudWatch", &[], &[]),
                focus(PaneId::Errors, "error rate"),
            ),
            (
                step("Aurora の接続数を確認", &[], &[]),
                focus(PaneId::Aurora, "Aurora connections"),
            ),
            (
                step("Check DatabaseConnections", &[], &[]),
                focus(PaneId::Aurora, "Aurora connections"),
            ),
            (
                step("P99 レイテンシを確認", &[], &[]),
                focus(PaneId::Latency, "latency"),
            ),
            (
                step("Look at ConsumedReadCapacityUnits", &[], &[]),
                focus(PaneId::Dynamo, "DynamoDB capacity"),
            ),
            (
                step("DynamoDB のスロットリングを確認", &[], &[]),
                focus(PaneId::Dynamo, "DynamoDB throttling"),
            ),
            (
                step("Lambda のスロットリング状況", &[], &[]),
                focus(PaneId::Throttles, "Lambda throttles"),
            ),
            (
                step("Check the 5xx count", &[], &[]),
                focus(PaneId::Errors, "error rate"),
            ),
            (step("Notify the team", &["post in #oncall"], &[]), None),
            (step("", &[], &[]), None),
        ];
        for (st, want) in cases {
            assert_eq!(step_act(&st), want, "{st:?}");
        }
        assert_eq!(
            StepAct::Focus(PaneId::Aurora, "Aurora connections").hint(),
            "focus Aurora connections"
        );
        assert_eq!(
            StepAct::FilterLogs("ERROR".into()).hint(),
            "filter logs for ERROR"
        );
        // Never panics on odd quoting.
        for t in [
            "`",
            "\"",
            "「",
            "log `",
            "log 'a",
            "don't log it",
            "ログ「」",
        ] {
            let _ = step_act(&step(t, &[t], &[t]));
        }
    }

    fn inline_state(md: &str) -> AppState {
        let mut s = state();
        s.runbooks
            .push(crate::runbooks::parse(md, "inline", "test"));
        cmd(&mut s, Command::PickSection);
        cmd(&mut s, Command::FilterLog);
        typed(&mut s, "inline#");
        cmd(&mut s, Command::Select);
        assert_eq!(
            s.opened
                .as_ref()
                .unwrap()
                .section
                .as_deref()
                .map(|r| &r[..7]),
            Some("inline#")
        );
        s
    }

    #[test]
    fn act_focuses_the_pane_or_filters_the_log() {
        let mut s = state();
        open(&mut s, "TableWrites");
        assert_eq!(opened_section(&s), Some(THROTTLE));
        // Step 1: キャパシティの確認.
        assert!(cmd(&mut s, Command::Act));
        assert_eq!(s.ui.focus, PaneId::Dynamo);

        let mut s = inline_state(
            "## Alert: Table throttling\n\n### Steps\n\n1. Look for `ProvisionedThroughputExceededException` in the logs\n2. Notify the team\n",
        );
        assert!(cmd(&mut s, Command::Act));
        assert_eq!(
            s.ui.log.filter.text,
            "ProvisionedThroughputExceededException"
        );
        assert_eq!(s.ui.focus, PaneId::Runbook, "the walk keeps the focus");
        cmd(&mut s, Command::Down);
        assert!(!cmd(&mut s, Command::Act), "step 2 names nothing");
    }

    #[test]
    fn copy_puts_the_commands_on_the_clipboard_in_turn() {
        let mut s = state();
        assert!(!cmd(&mut s, Command::Copy));
        open(&mut s, "InventoryUpdateErrors");
        assert!(cmd(&mut s, Command::Copy));
        assert_eq!(
            s.clipboard_out.take().as_deref(),
            Some("aws cloudwatch describe-alarms --alarm-names InventoryUpdateErrors")
        );
        assert!(s.ui.flash.as_deref().unwrap().starts_with("copied"));
        // The next key clears the message.
        cmd(&mut s, Command::Down);
        assert_eq!(s.ui.flash, None);
        assert!(!cmd(&mut s, Command::Copy), "step 2 has no command");

        let mut s = inline_state(
            "## Alert: Disk\n\n### Steps\n\n1. Look\n   ```\n   df -h\n   ```\n   ```\n   du -sh /var\n   ```\n",
        );
        cmd(&mut s, Command::Copy);
        assert_eq!(s.clipboard_out.take().as_deref(), Some("df -h"));
        assert_eq!(s.ui.flash.as_deref(), Some("copied command 1/2: df -h"));
        cmd(&mut s, Command::Copy);
        assert_eq!(s.clipboard_out.take().as_deref(), Some("du -sh /var"));
        cmd(&mut s, Command::Copy);
        assert_eq!(s.clipboard_out.take().as_deref(), Some("df -h"));
    }

    #[test]
    fn choose_follows_a_branch_and_back_returns() {
        let mut s = state();
        open(&mut s, "InventoryUpdateErrors");
        assert!(!cmd(&mut s, Command::Choose), "step 1 offers no choice");
        cmd(&mut s, Command::Down);
        let list = choices(&s);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].label, "テーブルの制限");
        assert_eq!(list[0].target, THROTTLE);
        assert!(list[0].branch);
        assert_eq!(list[1].target, ROLLBACK);
        assert!(cmd(&mut s, Command::Choose));
        assert_eq!(s.ui.choice, Some(0));
        cmd(&mut s, Command::Choose);
        assert_eq!(s.ui.choice, Some(1));
        cmd(&mut s, Command::Choose);
        assert_eq!(s.ui.choice, Some(0));
        // Esc disarms; select then marks the step as usual.
        assert!(cmd(&mut s, Command::Back));
        assert_eq!(s.ui.choice, None);
        cmd(&mut s, Command::Choose);
        s.journal_out.clear();
        assert!(cmd(&mut s, Command::Select));
        assert_eq!(opened_section(&s), Some(THROTTLE));
        assert_eq!(
            s.walks[ERRORS].marks[1],
            StepMark::Todo,
            "following is not done"
        );
        assert_eq!(
            section_events(&s),
            vec![(
                Some(THROTTLE.to_string()),
                "branch: テーブルの制限".to_string()
            )]
        );
        assert_eq!(s.section_history, vec![ERRORS.to_string()]);
        assert!(cmd(&mut s, Command::BackSection));
        assert_eq!(opened_section(&s), Some(ERRORS));
        assert_eq!(s.walks[ERRORS].cursor, 1, "the walk is where it was");
        assert_eq!(
            section_events(&s).last().unwrap().1,
            "back to the previous section"
        );
        assert!(!cmd(&mut s, Command::BackSection), "nothing further back");
    }

    #[test]
    fn escalations_are_journaled_once_when_met() {
        let mut s = state();
        open(&mut s, "InventoryUpdateErrors");
        s.journal_out.clear();
        update(&mut s, Action::Tick(T0 + 1));
        let esc: Vec<(String, String, Ts)> = s
            .journal_out
            .iter()
            .filter_map(|e| match &e.kind {
                Kind::Escalation {
                    section,
                    condition,
                    met_since,
                } => Some((section.clone(), condition.clone(), *met_since)),
                _ => None,
            })
            .collect();
        assert_eq!(esc.len(), 2, "{esc:?}");
        assert!(esc.iter().all(|(r, _, _)| r == ERRORS));
        assert_eq!(esc[0].1, "エラー率が 10% を超える");
        assert_eq!(esc[0].2, T0 - 30 * MINUTE);
        assert!(esc[1].1.contains("20分以上継続"));
        s.journal_out.clear();
        update(&mut s, Action::Tick(T0 + 2));
        update(&mut s, Action::Tick(T0 + 3));
        assert!(s.journal_out.is_empty(), "{:?}", s.journal_out);
        // The throttling section's condition has no data: nothing journaled.
        open(&mut s, "TableWrites");
        s.journal_out.clear();
        update(&mut s, Action::Tick(T0 + 4));
        assert!(s.journal_out.is_empty());
    }
}
