//! The help overlay, generated from the active keymap: one line per binding, keys → command
//! name → what the command does. Nothing here names a key; the keymap decides.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::{clip_spans, overlay, pad, put_line, width};
use crate::app::{AppState, Command, HELP_FAULT_REASON_ROWS as FAULT_REASON_ROWS};
use crate::i18n::Msg;

/// The first key bound to `command` in the active keymap (help lines list keys as
/// `k1, k2`), or `None` when nothing is bound to it.
pub fn first_key(state: &AppState, command: Command) -> Option<&str> {
    state
        .help
        .iter()
        .filter(|h| h.command == command)
        .flat_map(|h| h.keys.split(", "))
        .map(str::trim)
        .find(|k| !k.is_empty())
}

/// The rectangle of the help popup within `area`.
pub fn popup_area(area: Rect, lines: usize) -> Rect {
    overlay::centered(area, 84, (lines as u16).saturating_add(2).max(5))
}

/// The rows above the key list while sources fail: a heading, then each failing part (its
/// scope and since when, then its reason wrapped), then a blank row. The status bar has room
/// for one reason; this is where the operator reads every one of them in full.
fn fault_rows(state: &AppState, theme: &Theme, w: usize) -> Vec<Line<'static>> {
    let faults = &state.model.faults;
    if faults.is_empty() {
        return Vec::new();
    }
    let lang = state.lang;
    let crit = Style::default().fg(theme.crit).add_modifier(Modifier::BOLD);
    let mut rows = vec![Line::styled(
        format!(" ⚠ {}", Msg::HelpFaults.fill(lang, &[&faults.len()])),
        crit,
    )];
    let mut sorted: Vec<_> = faults.iter().collect();
    sorted.sort_by_key(|f| f.since);
    for f in sorted {
        rows.push(Line::from(vec![
            Span::raw("   "),
            Span::styled(f.scope.clone(), crit),
            Span::raw("  "),
            Span::styled(
                Msg::HelpFaultSince.fill(lang, &[&crate::model::time::hms(f.since)]),
                theme.dim(),
            ),
        ]));
        let mut reason = super::wrap(&f.message, w.saturating_sub(5).max(10));
        if reason.len() > FAULT_REASON_ROWS {
            reason.truncate(FAULT_REASON_ROWS);
            if let Some(last) = reason.last_mut() {
                last.push('…');
            }
        }
        rows.extend(reason.into_iter().map(|r| Line::raw(format!("     {r}"))));
    }
    rows.push(Line::raw(""));
    rows
}

/// Draw the help overlay, scrolled by `ui.help_scroll`: what fails now (when anything does),
/// then the key bindings.
pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let area = area.intersection(*buf.area());
    let lang = state.lang;
    // The faults are wrapped to the popup's width, which depends on how many rows there are:
    // measure with the widest popup, then lay out.
    let probe = popup_area(area, usize::MAX);
    let inner_w = probe.width.saturating_sub(2) as usize;
    let mut rows = fault_rows(state, theme, inner_w);
    let key_rows = key_rows(state, theme, inner_w);
    let total = rows.len() + key_rows.len();
    let popup = popup_area(area, total.max(1));
    if popup.width < 3 || popup.height < 3 {
        return;
    }
    let visible = popup.height.saturating_sub(2) as usize;
    let max_scroll = total.saturating_sub(visible);
    let scroll = state.ui.help_scroll.min(max_scroll);

    let title = Span::styled(Msg::HelpTitle.text(lang), theme.border(true));
    let mut footer = Vec::new();
    let more = [(Command::Down, Msg::HintMore.text(lang))];
    let close = [(Command::Back, Msg::HintClose.text(lang))];
    if max_scroll > 0 {
        footer.push(Msg::HelpRange.fill(
            lang,
            &[&(scroll + 1), &(scroll + visible).min(total), &total],
        ));
        footer.extend(overlay::key_hints(state, &more));
    }
    footer.extend(overlay::key_hints(state, &close));
    let inner = overlay::frame(buf, popup, theme, title, &footer);
    if inner.is_empty() {
        return;
    }
    rows.extend(key_rows);
    for (row, line) in rows.iter().skip(scroll).take(visible).enumerate() {
        let spans = clip_spans(line.spans.clone(), inner.width as usize);
        let line = Line::from(spans).style(line.style);
        put_line(buf, inner.x, inner.y + row as u16, &line, inner.width);
    }
}

/// One row per key binding (keys, command name when it fits, what it does).
fn key_rows(state: &AppState, theme: &Theme, w: usize) -> Vec<Line<'static>> {
    let lang = state.lang;
    if state.help.is_empty() {
        return vec![Line::styled(
            Msg::HelpNoKeys.text(lang).to_string(),
            theme.dim(),
        )];
    }
    let key_w = state
        .help
        .iter()
        .map(|h| width(&h.keys))
        .max()
        .unwrap_or(0)
        .min(18);
    let name_w = state
        .help
        .iter()
        .map(|h| width(h.command.name()))
        .max()
        .unwrap_or(0);
    let show_name = key_w + 2 + name_w + 2 + 12 <= w;
    let key_style = Style::default()
        .fg(theme.accent)
        .add_modifier(Modifier::BOLD);
    state
        .help
        .iter()
        .map(|h| {
            let mut spans = vec![
                Span::raw(" "),
                Span::styled(pad(&h.keys, key_w), key_style),
                Span::raw("  "),
            ];
            if show_name {
                spans.push(Span::styled(pad(h.command.name(), name_w), theme.dim()));
                spans.push(Span::raw("  "));
            }
            spans.push(Span::raw(h.command.description_in(lang).to_string()));
            Line::from(spans)
        })
        .collect()
}
