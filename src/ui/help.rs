//! The help overlay, generated from the active keymap: one line per binding, keys → command
//! name → what the command does. Nothing here names a key; the keymap decides.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::{clip_spans, overlay, pad, put_line, width};
use crate::app::{AppState, Command};
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

/// Draw the help overlay, scrolled by `ui.help_scroll`.
pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let area = area.intersection(*buf.area());
    let popup = popup_area(area, state.help.len());
    if popup.width < 3 || popup.height < 3 {
        return;
    }
    let visible = popup.height.saturating_sub(2) as usize;
    let max_scroll = state.help.len().saturating_sub(visible);
    let scroll = state.ui.help_scroll.min(max_scroll);

    let lang = state.lang;
    let title = Span::styled(Msg::HelpTitle.text(lang), theme.border(true));
    let mut footer = Vec::new();
    let more = [(Command::Down, Msg::HintMore.text(lang))];
    let close = [(Command::Back, Msg::HintClose.text(lang))];
    if max_scroll > 0 {
        footer.push(Msg::HelpRange.fill(
            lang,
            &[
                &(scroll + 1),
                &(scroll + visible).min(state.help.len()),
                &state.help.len(),
            ],
        ));
        footer.extend(overlay::key_hints(state, &more));
    }
    footer.extend(overlay::key_hints(state, &close));
    let inner = overlay::frame(buf, popup, theme, title, &footer);
    if inner.is_empty() {
        return;
    }

    if state.help.is_empty() {
        put_line(
            buf,
            inner.x,
            inner.y,
            &Line::styled(Msg::HelpNoKeys.text(lang), theme.dim()),
            inner.width,
        );
        return;
    }
    let w = inner.width as usize;
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
    for (row, h) in state.help.iter().skip(scroll).take(visible).enumerate() {
        let mut spans = vec![
            Span::raw(" "),
            Span::styled(pad(&h.keys, key_w), key_style),
            Span::raw("  "),
        ];
        if show_name {
            spans.push(Span::styled(pad(h.command.name(), name_w), theme.dim()));
            spans.push(Span::raw("  "));
        }
        spans.push(Span::raw(h.command.description_in(lang)));
        put_line(
            buf,
            inner.x,
            inner.y + row as u16,
            &Line::from(clip_spans(spans, w)),
            inner.width,
        );
    }
}
