//! The edge: the terminal, the event loop, timers and the source. Everything here turns the
//! outside world into `Action`s for `app::update` and draws when the state changed.
//!
//! Drawing is coalesced: input events that arrive together are all applied before one draw,
//! the source is polled on a timer, and a frame is drawn only when `update` said something
//! visible changed.

use std::io::{self, Stdout, Write};
use std::time::Duration;

use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyCode, KeyEvent, KeyEventKind,
    MouseButton, MouseEventKind,
};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::app::{Action, AppState, InputKey};
use crate::keymap::Keymap;
use crate::record::Recorder;
use crate::replay::Player;
use crate::source::{Clock, Source};

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Put the terminal back the way we found it. Safe to call more than once.
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
    let _ = out.flush();
}

/// Restores the terminal when dropped: on return, on `?` errors and during unwinding.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

fn enter(mouse: bool) -> io::Result<(Term, Guard)> {
    terminal::enable_raw_mode()?;
    let guard = Guard;
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen, cursor::Hide)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    let term = Terminal::new(CrosstermBackend::new(out))?;
    Ok((term, guard))
}

/// Install panic and error hooks that restore the terminal before reporting.
pub fn install_hooks() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        tracing::error!("panic: {info}");
        panic_hook(info);
    }));
    Ok(())
}

/// Options for a TUI session.
pub struct RunOptions {
    pub mouse: bool,
    /// Where runbook progress is saved on every change (`None`: not saved).
    pub progress: Option<std::path::PathBuf>,
    /// How often the source is polled and the clock read, in real time.
    pub poll_every: Duration,
    /// The incident journal, brought up to date after every batch of updates (`None`: no
    /// journal).
    pub journal: Option<crate::journal::Journal>,
    /// `--record FILE`: every action applied to the state is recorded (`None`: not recorded).
    pub record: Option<Recorder>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            mouse: true,
            progress: None,
            poll_every: Duration::from_millis(250),
            journal: None,
            record: None,
        }
    }
}

/// Map a key to an action: text input while the log filter is open, else the keymap.
pub fn key_action(state: &AppState, keymap: &Keymap, key: &KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if state.text_input_open() {
        let input = match key.code {
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .contains(crossterm::event::KeyModifiers::CONTROL) =>
            {
                InputKey::Char(c)
            }
            KeyCode::Backspace => InputKey::Backspace,
            KeyCode::Enter => InputKey::Enter,
            KeyCode::Esc => InputKey::Esc,
            _ => return keymap.lookup(key).map(Action::Command),
        };
        return Some(Action::Input(input));
    }
    keymap.lookup(key).map(Action::Command)
}

fn event_action(state: &AppState, keymap: &Keymap, ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) => key_action(state, keymap, &k),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click(m.column, m.row)),
            MouseEventKind::ScrollUp => Some(Action::Scroll(m.column, m.row, -1)),
            MouseEventKind::ScrollDown => Some(Action::Scroll(m.column, m.row, 1)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether the log pane is on screen, and its applied filter (not the one being typed).
fn log_interest(state: &AppState) -> (bool, crate::model::log::LogFilter) {
    let (w, h) = state.ui.size;
    let screen = crate::ui::layout::compute(ratatui::layout::Rect::new(0, 0, w, h), &state.ui);
    let visible = screen
        .panes
        .iter()
        .any(|(p, _)| *p == crate::app::PaneId::Logs);
    (visible, state.ui.log.filter.clone())
}

/// Append what happened to the incident journal; a failure shows as a source error (and the
/// entries are kept to retry). Returns whether the screen changed.
fn sync_journal(
    journal: &mut Option<crate::journal::Journal>,
    rec: &mut Recorder,
    state: &mut AppState,
    clock: &Clock,
) -> bool {
    let Some(j) = journal.as_mut() else {
        state.journal_out.clear();
        return false;
    };
    match j.sync(state) {
        Ok(()) => {
            let failed = state.model.faults.iter().any(|f| f.scope == "journal");
            failed
                && rec.apply(
                    state,
                    Action::Updates(vec![crate::model::Update::SourceOk {
                        scope: "journal".into(),
                    }]),
                )
        }
        Err(e) => {
            tracing::error!("incident journal: {e}");
            rec.apply(
                state,
                Action::Updates(vec![crate::model::Update::SourceError {
                    scope: "journal".into(),
                    message: format!("cannot write the incident journal: {e}"),
                    at: clock.now(),
                }]),
            )
        }
    }
}

/// Standard base64 (RFC 4648, with `=` padding).
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ABC[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The OSC 52 sequence that sets the clipboard to `text` (`ESC ] 52 ; c ; <base64> BEL`);
/// terminals, tmux (with `set-clipboard on`) and SSH pass it to the local clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

/// Write what `copy` put in `state.clipboard_out` to the terminal as OSC 52.
fn write_clipboard(state: &mut AppState) {
    if let Some(text) = state.clipboard_out.take() {
        let mut out = io::stdout();
        let _ = out.write_all(osc52(&text).as_bytes());
        let _ = out.flush();
    }
}

/// Run the console until the operator quits. Every action reaches the state through one
/// [`Recorder::apply`] (recording it when `opts.record` is set).
pub async fn run(
    mut state: AppState,
    mut source: Box<dyn Source>,
    clock: Clock,
    keymap: Keymap,
    mut opts: RunOptions,
) -> color_eyre::Result<AppState> {
    let mut rec = opts.record.take().unwrap_or_else(Recorder::off);
    let (mut term, _guard) = enter(opts.mouse)?;
    let size = term.size()?;
    rec.apply(&mut state, Action::Resize(size.width, size.height));

    // First data before the first frame, so the screen never starts empty.
    let now = clock.now();
    rec.apply(&mut state, Action::Updates(source.poll(now)));
    rec.apply(&mut state, Action::Tick(now));
    term.draw(|f| crate::ui::draw(f, &state))?;
    let mut frames: u64 = 1;
    let mut interest = log_interest(&state);
    source.set_log_interest(interest.0, &interest.1);
    let mut saved_rev = state.progress_rev;

    // A closed terminal (SIGHUP) or a polite kill (SIGTERM) ends the session the same way `q`
    // does, so the terminal is restored.
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut events = EventStream::new();
    let mut timer = tokio::time::interval(opts.poll_every);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while !state.quit {
        let mut dirty = false;
        tokio::select! {
            ev = events.next() => {
                match ev {
                    Some(Ok(ev)) => {
                        if let Some(a) = event_action(&state, &keymap, ev) {
                            dirty |= rec.apply(&mut state, a);
                        }
                        // Coalesce a burst (pasted text, key repeat, wheel): apply everything
                        // already waiting before drawing once.
                        while let Some(Ok(ev)) = ready_now(&mut events).await {
                            if let Some(a) = event_action(&state, &keymap, ev) {
                                dirty |= rec.apply(&mut state, a);
                            }
                        }
                    }
                    Some(Err(e)) => return Err(e.into()),
                    None => break,
                }
            }
            _ = hangup.recv() => state.quit = true,
            _ = terminate.recv() => state.quit = true,
            _ = timer.tick() => {
                let now = clock.now();
                let updates = source.poll(now);
                if !updates.is_empty() {
                    dirty |= rec.apply(&mut state, Action::Updates(updates));
                }
                dirty |= rec.apply(&mut state, Action::Tick(now));
            }
        }
        dirty |= sync_journal(&mut opts.journal, &mut rec, &mut state, &clock);
        if state.progress_rev != saved_rev {
            saved_rev = state.progress_rev;
            if let Some(path) = &opts.progress {
                if let Err(e) = crate::progress::save(path, &crate::progress::Saved::of(&state)) {
                    tracing::error!("saving runbook progress to {}: {e}", path.display());
                    rec.apply(
                        &mut state,
                        Action::Updates(vec![crate::model::Update::SourceError {
                            scope: "progress".into(),
                            message: format!("cannot save runbook progress: {e}"),
                            at: clock.now(),
                        }]),
                    );
                    dirty = true;
                }
            }
        }
        let now_interest = log_interest(&state);
        if now_interest != interest {
            interest = now_interest;
            source.set_log_interest(interest.0, &interest.1);
        }
        write_clipboard(&mut state);
        if dirty && !state.quit {
            term.draw(|f| crate::ui::draw(f, &state))?;
            frames += 1;
        }
    }
    if let Some(j) = opts.journal.as_mut() {
        if let Err(e) = j.finish(&state) {
            tracing::error!("incident journal: {e}");
        }
    }
    if let Err(e) = rec.finish() {
        tracing::error!("--record: {e}");
    }
    tracing::info!(frames, "session ended");
    drop(term);
    Ok(state)
}

/// How often a replay looks at its clock (real time).
const REPLAY_FRAME: Duration = Duration::from_millis(50);

/// Play a recording in the terminal until the viewer quits: the replay keys drive the
/// player, every other key acts on the replayed view. Nothing is written anywhere.
pub async fn replay(mut player: Player, keymap: Keymap, mouse: bool) -> color_eyre::Result<()> {
    player.set_keys(&keymap);
    let (mut term, _guard) = enter(mouse)?;
    let started = std::time::Instant::now();
    let real = || started.elapsed().as_millis() as u64;
    let size = term.size()?;
    player.viewer(Action::Resize(size.width, size.height));
    player.advance(real());
    let mut status = player.status(real());
    player.state_mut().replay = Some(status.clone());
    term.draw(|f| crate::ui::draw(f, player.state()))?;

    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut events = EventStream::new();
    let mut timer = tokio::time::interval(REPLAY_FRAME);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut quit = false;
    while !quit {
        let mut dirty = false;
        let handle = |player: &mut Player, ev: Event| -> bool {
            // The replay keys work even while the replayed operator was typing.
            if let Event::Key(k) = &ev {
                let c = (k.kind != KeyEventKind::Release)
                    .then(|| keymap.lookup(k))
                    .flatten();
                if let Some(c) = c.filter(|c| crate::replay::is_replay_command(*c)) {
                    return player.control(c, real());
                }
            }
            match event_action(player.state(), &keymap, ev) {
                Some(Action::Command(c)) if crate::replay::is_replay_command(c) => {
                    player.control(c, real())
                }
                Some(a) => player.viewer(a),
                None => false,
            }
        };
        tokio::select! {
            ev = events.next() => {
                match ev {
                    Some(Ok(ev)) => {
                        dirty |= handle(&mut player, ev);
                        while let Some(Ok(ev)) = ready_now(&mut events).await {
                            dirty |= handle(&mut player, ev);
                        }
                    }
                    Some(Err(e)) => return Err(e.into()),
                    None => break,
                }
            }
            _ = hangup.recv() => quit = true,
            _ = terminate.recv() => quit = true,
            _ = timer.tick() => dirty |= player.advance(real()),
        }
        quit |= player.state().quit;
        let now = player.status(real());
        if now != status {
            status = now;
            dirty = true;
        }
        if dirty && !quit {
            player.state_mut().replay = Some(status.clone());
            term.draw(|f| crate::ui::draw(f, player.state()))?;
        }
    }
    drop(term);
    Ok(())
}

/// The next event if one is already waiting, without waiting for one. It polls with the
/// task's own waker: crossterm's `EventStream` keeps the waker of a poll that found nothing,
/// so a no-op waker (`now_or_never`) would leave later keys unread until the next tick.
async fn ready_now<S: futures_util::Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| match s.poll_next_unpin(cx) {
        std::task::Poll::Ready(item) => std::task::Poll::Ready(item),
        std::task::Poll::Pending => std::task::Poll::Ready(None),
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        // The test vectors of RFC 4648, section 10.
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain:?}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
        assert_eq!(base64("確認".as_bytes()), "56K66KqN");
    }

    #[test]
    fn osc52_wraps_the_base64_text() {
        assert_eq!(osc52("df -h"), "\x1b]52;c;ZGYgLWg=\x07");
    }
}
