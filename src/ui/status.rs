//! The header (what, where from, when, how bad) and the status bar (focus, log state, filters,
//! zoom, source faults and key hints generated from the active keymap).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::{clip_spans, fit, help, logs, put_line, width};
use crate::app::{AppState, Command, ListPick, PaneId};
use crate::i18n::{self, Lang, Msg};
use crate::model::alarm::Severity;
use crate::model::threshold::Level;
use crate::model::time;

/// Separator between header and status-bar segments.
const SEP: &str = " │ ";

/// The one-line header: app name, source, time range, the clock, firing alarms by severity,
/// and the help hint on the right. When it does not fit, the range and clock get shorter,
/// severities become tags and the source label is cut, in that order. While redaction is on
/// the source label (region, profile, endpoint) is masked and a `redacted` tag says so.
pub fn render_header(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let area = area.intersection(*buf.area());
    if area.is_empty() {
        return;
    }
    let base = theme.header();
    let source_label = super::shown(state, &state.source_label);
    buf.set_style(Rect { height: 1, ..area }, base);
    let total = area.width as usize;
    let lang = state.lang;
    let hint = help::first_key(state, Command::Help).map(|k| Msg::HelpHint.fill(lang, &[&k]));
    let hint_w = hint.as_deref().map(width).unwrap_or(0);

    let header = |compact: bool, source: &str| -> Vec<Span<'static>> {
        let (range, clock) = if compact {
            (
                state.ui.range.label().to_string(),
                time::hms(state.model.now),
            )
        } else {
            (
                Msg::HeaderRange.fill(lang, &[&state.ui.range.label()]),
                format!("{} UTC", time::hms(state.model.now)),
            )
        };
        let mut spans = vec![
            Span::styled(" opsdeck", base.add_modifier(Modifier::BOLD)),
            Span::styled(SEP, base),
        ];
        if !source.is_empty() {
            spans.push(Span::styled(source.to_string(), base));
            spans.push(Span::styled(SEP, base));
        }
        spans.extend([
            Span::styled(range, base),
            Span::styled(SEP, base),
            Span::styled(clock, base.add_modifier(Modifier::BOLD)),
            Span::styled(SEP, base),
        ]);
        spans.extend(firing_counts(state, theme, base, compact));
        if state.ui.redact {
            spans.push(Span::styled(" ", base));
            spans.push(Span::styled(
                format!(" ◉ {} ", Msg::WarRedacted.text(lang)),
                base.add_modifier(Modifier::REVERSED),
            ));
        }
        spans
    };
    let spans_w = |spans: &[Span]| spans.iter().map(|s| width(&s.content)).sum::<usize>();
    let room = |with_hint: bool| {
        if with_hint {
            total.saturating_sub(hint_w + 1)
        } else {
            total
        }
    };

    let mut spans = header(false, &source_label);
    let mut with_hint = hint_w > 0;
    if spans_w(&spans) > room(with_hint) {
        spans = header(true, &source_label);
        let over = spans_w(&spans).saturating_sub(room(with_hint));
        if over > 0 {
            // Cut the source label to what is left; drop it when too little is.
            let keep = width(&source_label).saturating_sub(over);
            let source = if keep >= 8 {
                fit(&source_label, keep).into_owned()
            } else {
                String::new()
            };
            spans = header(true, &source);
        }
        with_hint = with_hint && spans_w(&spans) <= room(true);
    }
    let left_max = room(with_hint);
    put_line(
        buf,
        area.x,
        area.y,
        &Line::from(clip_spans(spans, left_max)),
        left_max as u16,
    );
    if let (true, Some(h)) = (with_hint, hint) {
        let x = area.right() - hint_w as u16;
        put_line(buf, x, area.y, &Line::styled(h, base), hint_w as u16);
    }
}

/// `ALARMS 1 Critical 2 High` badges (tags when compact), or `no alarms firing`.
fn firing_counts(
    state: &AppState,
    theme: &Theme,
    base: Style,
    compact: bool,
) -> Vec<Span<'static>> {
    let mut counts = [0usize; 4];
    for a in state.model.firing() {
        counts[Severity::ALL
            .iter()
            .position(|s| *s == a.def.severity)
            .unwrap_or(3)] += 1;
    }
    if counts.iter().all(|c| *c == 0) {
        return vec![Span::styled(
            Msg::HeaderNoFiring.text(state.lang),
            base.add_modifier(Modifier::BOLD),
        )];
    }
    let mut spans = vec![Span::styled(
        Msg::HeaderAlarms.text(state.lang),
        base.add_modifier(Modifier::BOLD),
    )];
    for (sev, n) in Severity::ALL.iter().zip(counts) {
        if n == 0 {
            continue;
        }
        let level = match sev {
            Severity::Critical | Severity::High => Level::Crit,
            Severity::Medium => Level::Warn,
            Severity::Low => Level::NoData,
        };
        let label = if compact {
            sev.tag()
        } else {
            i18n::severity_word(*sev, state.lang)
        };
        spans.push(Span::styled(" ", base));
        spans.push(Span::styled(format!(" {n} {label} "), theme.badge(level)));
    }
    spans
}

/// The one-line status bar.
pub fn render_status(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let area = area.intersection(*buf.area());
    if area.is_empty() {
        return;
    }
    let total = area.width as usize;
    let base = Style::default();
    let dim = theme.dim();
    let ui = &state.ui;

    let mut spans: Vec<Span> = replay_spans(state, theme);
    spans.push(Span::styled(
        format!(" {} ", i18n::pane_title(ui.focus, state.lang)),
        Style::default()
            .fg(Color::Black)
            .bg(theme.border_focused)
            .add_modifier(Modifier::BOLD),
    ));
    if ui.zoomed {
        spans.push(Span::styled(
            Msg::StatusZoom.text(state.lang),
            Style::default()
                .fg(theme.accent)
                .add_modifier(Modifier::BOLD),
        ));
    }
    spans.push(Span::styled(SEP, dim));
    if ui.log.paused || ui.log.scroll > 0 {
        spans.push(Span::styled(
            Msg::StatusLogPaused.text(state.lang),
            Style::default().fg(theme.warn).add_modifier(Modifier::BOLD),
        ));
    } else {
        spans.push(Span::styled(
            Msg::StatusLogFollow.text(state.lang),
            Style::default().fg(theme.ok),
        ));
    }
    let filters = logs::filter_words(&state.log_filter());
    if !filters.is_empty() {
        spans.push(Span::styled(SEP, dim));
        spans.push(Span::styled(
            Msg::StatusFilter.fill(state.lang, &[&filters.join(" ")]),
            Style::default().fg(theme.accent),
        ));
    }
    if let Some(msg) = &ui.flash {
        spans.push(Span::styled(SEP, dim));
        spans.push(Span::styled(
            fit(msg, 40).into_owned(),
            Style::default().fg(theme.ok).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(u) = &state.model.usage {
        spans.push(Span::styled(SEP, dim));
        spans.push(Span::styled(usage_text(u), dim));
    }
    // One fault: its scope, reason and since when. Several: which parts fail first (a line
    // has room for one reason), then the oldest one's reason.
    let faults = &state.model.faults;
    let crit = Style::default().fg(theme.crit).add_modifier(Modifier::BOLD);
    if faults.len() > 1 {
        let scopes: Vec<&str> = faults.iter().map(|f| f.scope.as_str()).collect();
        spans.push(Span::styled(SEP, dim));
        // The help overlay lists every reason in full; say so when a key opens it.
        let text = match super::help::first_key(state, crate::app::Command::Help) {
            Some(key) => {
                Msg::StatusFaultsKey.fill(state.lang, &[&faults.len(), &key, &scopes.join(", ")])
            }
            None => Msg::StatusFaults.fill(state.lang, &[&faults.len(), &scopes.join(", ")]),
        };
        spans.push(Span::styled(text, crit));
    }
    if let Some(f) = faults.iter().min_by_key(|f| f.since) {
        spans.push(Span::styled(SEP, dim));
        spans.push(Span::styled(
            Msg::StatusFault.fill(state.lang, &[&f.scope, &f.message, &time::hms(f.since)]),
            crit,
        ));
    }

    // Key hints, as many as fit.
    let used: usize = spans.iter().map(|s| width(&s.content)).sum();
    let mut hints = replay_hints(state);
    hints.extend(self::hints(state));
    if !hints.is_empty() && used + SEP.len() < total {
        spans.push(Span::styled(SEP, dim));
        let mut used = used + width(SEP);
        for (i, (key, what)) in hints.iter().enumerate() {
            let sep = if i == 0 { "" } else { " · " };
            let w = width(sep) + width(key) + 1 + width(what);
            if used + w > total {
                break;
            }
            if !sep.is_empty() {
                spans.push(Span::styled(sep, dim));
            }
            spans.push(Span::styled(
                key.clone(),
                base.fg(theme.accent).add_modifier(Modifier::BOLD),
            ));
            spans.push(Span::styled(format!(" {what}"), base));
            used += w;
        }
    }
    put_line(
        buf,
        area.x,
        area.y,
        &Line::from(clip_spans(spans, total)),
        area.width,
    );
}

/// A replay's badge (playing or paused and the speed, or the end), where it is in the
/// recording and when that moment was recorded; nothing outside a replay.
fn replay_spans(state: &AppState, theme: &Theme) -> Vec<Span<'static>> {
    let Some(r) = &state.replay else {
        return Vec::new();
    };
    let lang = state.lang;
    let (badge, bg) = if r.ended {
        (Msg::ReplayEnded.text(lang).to_string(), theme.warn)
    } else if r.paused {
        (Msg::ReplayPaused.fill(lang, &[&r.speed]), theme.warn)
    } else {
        (Msg::ReplayPlaying.fill(lang, &[&r.speed]), theme.accent)
    };
    let at = Msg::ReplayAt.fill(
        lang,
        &[
            &crate::replay::clock_span(r.position_s),
            &crate::replay::clock_span(r.total_s),
            &time::hms(r.recorded_at),
        ],
    );
    vec![
        Span::styled(
            format!(" {badge} "),
            Style::default()
                .fg(Color::Black)
                .bg(bg)
                .add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!(" {at} "), Style::default().fg(theme.accent)),
    ]
}

/// The replay keys, first among the hints during a replay (keys of the viewer's keymap):
/// pause, the two speed keys together, the two seek keys together.
fn replay_hints(state: &AppState) -> Vec<(String, String)> {
    let Some(r) = &state.replay else {
        return Vec::new();
    };
    let lang = state.lang;
    let key = |c: Command| {
        r.keys
            .iter()
            .find(|(_, k)| *k == c)
            .map(|(key, _)| fit(key, 12).into_owned())
    };
    let pair = |a: Command, b: Command| match (key(a), key(b)) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    };
    let pause = if r.paused || r.ended {
        Msg::ReplayHintPlay
    } else {
        Msg::ReplayHintPause
    };
    [
        (key(Command::ReplayPause), pause),
        (
            pair(Command::ReplaySlower, Command::ReplayFaster),
            Msg::ReplayHintSpeed,
        ),
        (
            pair(Command::ReplayBack, Command::ReplayForward),
            Msg::ReplayHintSeek,
        ),
    ]
    .into_iter()
    .filter_map(|(k, what)| Some((k?, what.text(lang).to_string())))
    .collect()
}

/// `API 42 calls · 1,230 metrics · $0.0123`: this session's API use and its estimated cost.
pub fn usage_text(u: &crate::model::Usage) -> String {
    format!(
        "API {} calls · {} metrics · ${:.4}",
        u.api_calls, u.metrics_requested, u.cost_usd
    )
}

/// Key hints for the current context: `(keys, what)`, keys taken from the active keymap.
/// Commands the keymap does not bind are left out.
pub fn hints(state: &AppState) -> Vec<(String, String)> {
    let ui = &state.ui;
    let lang = state.lang;
    let tr = |m: Msg| m.text(lang);
    if ui.note.is_some() {
        return input_hints(lang, tr(Msg::HintAddNote));
    }
    let section_picker = [
        (Command::Down, tr(Msg::HintMove)),
        (Command::Select, tr(Msg::HintOpen)),
        (Command::FilterLog, tr(Msg::HintFilter)),
        (Command::Back, tr(Msg::HintClose)),
    ];
    if let Some(h) =
        (ui.section_picker.as_ref()).and_then(|p| pick_hints(state, &p.pick, &section_picker))
    {
        return h;
    }
    let picker = [
        (Command::Down, tr(Msg::HintMove)),
        (Command::Select, tr(Msg::HintPinUnpin)),
        (Command::FilterLog, tr(Msg::HintFilter)),
        (Command::ClearFilter, tr(Msg::HintUnpinAll)),
        (Command::Back, tr(Msg::HintClose)),
    ];
    if let Some(h) = (ui.picker.as_ref()).and_then(|p| pick_hints(state, &p.pick, &picker)) {
        return h;
    }
    if ui.log.editing.is_some() {
        return input_hints(lang, tr(Msg::HintApplyFilter));
    }
    let mut wanted: Vec<(Command, &str)> = Vec::new();
    if ui.help {
        wanted.extend([
            (Command::Down, tr(Msg::HintScroll)),
            (Command::Back, tr(Msg::HintClose)),
        ]);
    } else {
        wanted.extend([
            (Command::Quit, tr(Msg::HintQuit)),
            (Command::FocusNext, tr(Msg::HintFocus)),
        ]);
        match ui.focus {
            PaneId::Alarms => wanted.push((Command::Select, tr(Msg::HintRunbook))),
            PaneId::Logs => {
                let pause = tr(if ui.log.paused {
                    Msg::HintFollow
                } else {
                    Msg::HintPause
                });
                wanted.extend([
                    (Command::PauseLog, pause),
                    (Command::CycleLevel, tr(Msg::HintLevel)),
                ]);
                if !state.log_filter().text.is_empty() || ui.log.filter.min_level.is_some() {
                    wanted.push((Command::ClearFilter, tr(Msg::HintClear)));
                }
            }
            PaneId::Runbook if state.opened.is_some() => {
                wanted.extend([
                    (Command::StepDone, tr(Msg::HintDone)),
                    (Command::StepSkip, tr(Msg::HintSkip)),
                    (Command::StepUndo, tr(Msg::HintUndo)),
                    (Command::Note, tr(Msg::HintNote)),
                ]);
                if let Some((_, _, step)) = state.current_step() {
                    if crate::app::step_act(step).is_some() {
                        wanted.push((Command::Act, tr(Msg::HintAct)));
                    }
                    if step.commands.iter().any(|c| !c.trim().is_empty()) {
                        wanted.push((Command::Copy, tr(Msg::HintCopy)));
                    }
                }
                if !crate::app::choices(state).is_empty() {
                    wanted.push((Command::Choose, tr(Msg::HintChoose)));
                }
                if !state.section_history.is_empty() {
                    wanted.push((Command::BackSection, tr(Msg::HintBack)));
                }
                wanted.push((Command::PickSection, tr(Msg::HintSections)));
            }
            PaneId::Runbook => wanted.push((Command::PickSection, tr(Msg::HintSections))),
            focus => {
                if focus.has_resources() {
                    wanted.push((Command::Pick, tr(Msg::HintPick)));
                }
                wanted.extend([
                    (Command::Range1h, "1h"),
                    (Command::Range3h, "3h"),
                    (Command::Range24h, "24h"),
                ]);
            }
        }
        wanted.push((
            Command::Zoom,
            tr(if ui.zoomed {
                Msg::HintUnzoom
            } else {
                Msg::HintZoom
            }),
        ));
        wanted.extend([
            (Command::FilterLog, tr(Msg::HintFilter)),
            (Command::Help, tr(Msg::HintHelp)),
        ]);
    }
    keyed(state, &wanted)
}

/// The hints while a text input is open: fixed input keys, not keymap commands.
fn input_hints(lang: Lang, enter: &str) -> Vec<(String, String)> {
    vec![
        ("enter".into(), enter.into()),
        ("esc".into(), Msg::HintCancel.text(lang).into()),
    ]
}

/// The hints of an open picker overlay: its filter input's, else its `wanted` commands';
/// `None` under the help overlay.
fn pick_hints(
    state: &AppState,
    pick: &ListPick,
    wanted: &[(Command, &str)],
) -> Option<Vec<(String, String)>> {
    if pick.editing.is_some() {
        Some(input_hints(
            state.lang,
            Msg::HintApplyFilter.text(state.lang),
        ))
    } else {
        (!state.ui.help).then(|| keyed(state, wanted))
    }
}

/// `(key, what)` for each of `wanted` the active keymap binds, in order.
fn keyed(state: &AppState, wanted: &[(Command, &str)]) -> Vec<(String, String)> {
    wanted
        .iter()
        .filter_map(|&(c, what)| {
            help::first_key(state, c).map(|k| (fit(k, 12).into_owned(), what.to_string()))
        })
        .collect()
}
