//! What the overlays (help, the resource picker, the section picker) draw alike: a popup
//! centred over the screen, its frame (a title on top, counts and key hints at the bottom
//! right), and for the pickers the filter line and the scrolling list with its cursor.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

use super::help::first_key;
use super::theme::Theme;
use super::{clip_spans, put_line};
use crate::app::{AppState, Command, ListPick};
use crate::i18n::{Lang, Msg};

/// A popup centred in `area`, at most `max_w` wide and `h` high, leaving a margin around it.
pub fn centered(area: Rect, max_w: u16, h: u16) -> Rect {
    let w = area.width.saturating_sub(4).min(max_w);
    let h = h.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// A picker popup for `total` items: the border, the filter line and a row an item.
pub fn list_popup(area: Rect, max_w: u16, total: usize) -> Rect {
    let h = (total.min(u16::MAX as usize - 3) as u16 + 3).max(6);
    centered(area, max_w, h)
}

/// The list rows of a picker popup: inside the border, below the filter line.
pub fn list_area(popup: Rect) -> Rect {
    super::chart::rows_from(Block::bordered().inner(popup), 1)
}

/// `12`, or `3 of 12` when a filter hides some: how many items a picker lists.
pub fn count(lang: Lang, shown: usize, total: usize) -> String {
    if shown == total {
        format!("{total}")
    } else {
        Msg::CountOf.fill(lang, &[&shown, &total])
    }
}

/// `key what` for each of `keys` the active keymap binds, in order.
pub fn key_hints<'a>(
    state: &'a AppState,
    keys: &'a [(Command, &str)],
) -> impl Iterator<Item = String> + 'a {
    keys.iter()
        .filter_map(|&(c, what)| first_key(state, c).map(|k| format!("{k} {what}")))
}

/// A picker's frame: the border with `title`, the footer (how many are listed of how many,
/// then the hints for `keys`) and the filter line. Returns the area inside the border, or
/// `None` when nothing fits.
#[allow(clippy::too_many_arguments)]
pub fn pick_frame(
    buf: &mut Buffer,
    popup: Rect,
    state: &AppState,
    theme: &Theme,
    title: Span<'_>,
    (shown, total): (usize, usize),
    keys: &[(Command, &str)],
    (pick, by, change_hint): (&ListPick, &str, bool),
) -> Option<Rect> {
    let mut footer = vec![count(state.lang, shown, total)];
    footer.extend(key_hints(state, keys));
    let inner = frame(buf, popup, theme, title, &footer);
    if inner.is_empty() {
        return None;
    }
    filter_line(buf, inner, state, theme, pick, by, change_hint);
    Some(inner)
}

/// Clear `popup` and draw its frame: the border, `title` on top and the `footer` parts
/// (joined by ` · `, dim) at the bottom right. Returns the area inside the border.
pub fn frame(
    buf: &mut Buffer,
    popup: Rect,
    theme: &Theme,
    title: Span<'_>,
    footer: &[String],
) -> Rect {
    Clear.render(popup, buf);
    let max = popup.width.saturating_sub(2) as usize;
    let title = Line::from(clip_spans(vec![title], max));
    let footer = Line::from(clip_spans(
        vec![Span::styled(
            format!(" {} ", footer.join(" · ")),
            theme.dim(),
        )],
        max,
    ));
    let block = Block::bordered()
        .border_style(theme.border(true))
        .title(title)
        .title_bottom(footer.right_aligned());
    let inner = block.inner(popup);
    block.render(popup, buf);
    inner
}

/// The filter line on the first row of `inner`: the text being typed, else the applied filter
/// (with `(key to change)` when `change_hint`), else the key that filters `by` (`name`).
pub fn filter_line(
    buf: &mut Buffer,
    inner: Rect,
    state: &AppState,
    theme: &Theme,
    pick: &ListPick,
    by: &str,
    change_hint: bool,
) {
    let accent = Style::default().fg(theme.accent);
    let lang = state.lang;
    let line = match (&pick.editing, pick.filter.is_empty()) {
        (Some(text), _) => Line::from(vec![
            Span::styled(
                Msg::FilterLabel.text(lang),
                accent.add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("{text}▏"), accent),
        ]),
        (None, false) => {
            let mut spans = vec![
                Span::styled(Msg::FilterLabel.text(lang), theme.dim()),
                Span::styled(pick.filter.clone(), accent),
            ];
            if let Some(k) = first_key(state, Command::FilterLog).filter(|_| change_hint) {
                spans.push(Span::styled(
                    Msg::FilterChange.fill(lang, &[&k]),
                    theme.dim(),
                ));
            }
            Line::from(spans)
        }
        (None, true) => match first_key(state, Command::FilterLog) {
            Some(k) => Line::styled(Msg::FilterBy.fill(lang, &[&k, &by]), theme.dim()),
            None => Line::default(),
        },
    };
    let w = inner.width as usize;
    put_line(
        buf,
        inner.x,
        inner.y,
        &Line::from(clip_spans(line.spans, w)),
        inner.width,
    );
}

/// The first row shown when `n` rows scroll in `visible` lines with the cursor at `cursor`:
/// the cursor stays in view, and the list never scrolls past its end.
pub fn scroll_top(cursor: usize, visible: usize, n: usize) -> usize {
    if visible == 0 {
        return 0;
    }
    let top = cursor.saturating_sub(visible - 1);
    top.min(n.saturating_sub(visible))
}

/// Draw `items` in `rows`, scrolled to keep `cursor` in view, a line each from `row(item,
/// at_cursor)`, the cursor's line highlighted; `empty` (dim) when there are none.
pub fn list<T>(
    buf: &mut Buffer,
    rows: Rect,
    theme: &Theme,
    items: &[T],
    cursor: usize,
    empty: &str,
    row: impl Fn(&T, bool) -> Vec<Span<'static>>,
) {
    if rows.is_empty() {
        return;
    }
    if items.is_empty() {
        put_line(
            buf,
            rows.x,
            rows.y,
            &Line::styled(format!(" {empty}"), theme.dim()),
            rows.width,
        );
        return;
    }
    let visible = rows.height as usize;
    let top = scroll_top(cursor, visible, items.len());
    for (y, (i, item)) in items.iter().enumerate().skip(top).take(visible).enumerate() {
        let at = i == cursor;
        let mut line = Line::from(clip_spans(row(item, at), rows.width as usize));
        if at {
            line = line.style(theme.selected());
        }
        put_line(buf, rows.x, rows.y + y as u16, &line, rows.width);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scroll_keeps_the_cursor_in_view() {
        assert_eq!(scroll_top(0, 5, 40), 0);
        assert_eq!(scroll_top(4, 5, 40), 0);
        assert_eq!(scroll_top(5, 5, 40), 1);
        assert_eq!(scroll_top(39, 5, 40), 35);
        assert_eq!(scroll_top(3, 10, 4), 0);
        assert_eq!(scroll_top(3, 0, 4), 0);
    }

    #[test]
    fn count_says_how_many_the_filter_shows() {
        assert_eq!(count(Lang::En, 12, 12), "12");
        assert_eq!(count(Lang::En, 3, 12), "3 of 12");
        assert_eq!(count(Lang::Ja, 3, 12), "3 / 12");
    }
}
