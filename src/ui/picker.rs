//! The resource picker: an overlay over a resource pane (Lambda throttles, Aurora, DynamoDB)
//! listing all its resources worst first with their numbers and level. The operator moves a
//! cursor, filters by name, and pins resources; a pane with pins shows only those (rows and
//! chart lines) and says `pinned 2/200` in its title. Keys come from the active keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

use super::help::first_key;
use super::theme::Theme;
use super::{aurora, clip_spans, dynamo, pad, put_line, throttles, width};
use crate::app::{AppState, Command, PaneId};
use crate::model::threshold::Level;

/// One resource as the picker lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub name: String,
    /// Its key numbers (`98/100`, `84/100`, `R 62/50 W 12/25`), in a column.
    pub value: String,
    /// What follows them (`throttles 14/min`, `writer`).
    pub extra: String,
    pub level: Level,
}

impl Item {
    fn new(name: &str, (value, extra): (String, String), level: Level) -> Item {
        Item {
            name: name.to_string(),
            value,
            extra,
            level,
        }
    }
}

/// All the resources of `pane`, in the pane's order (worst first, then busiest, then name).
pub fn items(state: &AppState, pane: PaneId) -> Vec<Item> {
    match pane {
        PaneId::Throttles => throttles::functions(state)
            .iter()
            .map(|f| Item::new(&f.name, throttles::detail(f), f.level))
            .collect(),
        PaneId::Aurora => aurora::instances(state)
            .iter()
            .map(|i| Item::new(&i.id, aurora::detail(i), i.level))
            .collect(),
        PaneId::Dynamo => dynamo::tables(state)
            .iter()
            .map(|t| Item::new(&t.name, dynamo::detail(t), t.level))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether `name` passes a picker filter (case-insensitive substring; empty passes all).
pub fn matches(name: &str, filter: &str) -> bool {
    filter.is_empty() || name.to_lowercase().contains(&filter.to_lowercase())
}

/// The resources the open picker lists (its pane's, through its filter); empty when closed.
pub fn visible(state: &AppState) -> Vec<Item> {
    let Some(p) = &state.ui.picker else {
        return Vec::new();
    };
    let filter = p.filter_text();
    items(state, p.pane)
        .into_iter()
        .filter(|i| matches(&i.name, filter))
        .collect()
}

/// The names of [`visible`], for the cursor.
pub fn visible_names(state: &AppState) -> Vec<String> {
    visible(state).into_iter().map(|i| i.name).collect()
}

/// What a pane shows: only its pinned resources when it has any (in `list`'s order), with the
/// title note `pinned 2/200` (and how many hidden resources are WARN/CRIT); else all, no note.
pub fn apply_pins<T>(
    state: &AppState,
    pane: PaneId,
    list: Vec<T>,
    name: impl Fn(&T) -> &str,
    level: impl Fn(&T) -> Level,
) -> (Vec<T>, String) {
    let Some(pins) = state.pinned(pane) else {
        return (list, String::new());
    };
    let total = list.len();
    let (shown, hidden): (Vec<T>, Vec<T>) = list.into_iter().partition(|x| pins.contains(name(x)));
    let mut note = format!("pinned {}/{}", shown.len(), total);
    let bad = hidden.iter().filter(|x| level(x) >= Level::Warn).count();
    if bad > 0 {
        note.push_str(&format!(" · {bad} WARN/CRIT hidden"));
    }
    (shown, note)
}

/// The rectangle of the picker popup within `area`, sized for `total` resources.
pub fn popup_area(area: Rect, total: usize) -> Rect {
    let w = area.width.saturating_sub(4).min(96);
    let h = (total.min(u16::MAX as usize - 3) as u16 + 3)
        .max(6)
        .min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The first row shown when `n` rows scroll in `visible` lines with the cursor at `cursor`:
/// the cursor stays in view, and the list never scrolls past its end.
fn scroll_top(cursor: usize, visible: usize, n: usize) -> usize {
    if visible == 0 {
        return 0;
    }
    let top = cursor.saturating_sub(visible - 1);
    top.min(n.saturating_sub(visible))
}

/// The list area inside the popup: below the border and the filter line.
fn list_area(popup: Rect) -> Rect {
    let inner = Rect::new(
        popup.x + 1,
        popup.y + 1,
        popup.width.saturating_sub(2),
        popup.height.saturating_sub(2),
    );
    super::chart::rows_from(inner, 1)
}

/// The index (among the `n` listed) of the picker row at screen cell (x, y), if any.
pub fn row_at(
    area: Rect,
    state: &AppState,
    n: usize,
    cursor: usize,
    x: u16,
    y: u16,
) -> Option<usize> {
    let p = state.ui.picker.as_ref()?;
    let total = items(state, p.pane).len();
    let list = list_area(popup_area(area, total));
    if x < list.x || x >= list.right() || y < list.y || y >= list.bottom() {
        return None;
    }
    let top = scroll_top(cursor, list.height as usize, n);
    let i = top + (y - list.y) as usize;
    (i < n).then_some(i)
}

/// Draw the picker overlay (nothing when it is closed).
pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let Some(p) = &state.ui.picker else {
        return;
    };
    let area = area.intersection(*buf.area());
    let all = items(state, p.pane);
    let total = all.len();
    let filter = p.filter_text();
    let list: Vec<&Item> = all.iter().filter(|i| matches(&i.name, filter)).collect();
    let popup = popup_area(area, total);
    if popup.width < 10 || popup.height < 4 {
        return;
    }
    Clear.render(popup, buf);
    let border = theme.border(true);
    let pins = state.pinned(p.pane);
    let npinned = all
        .iter()
        .filter(|i| pins.is_some_and(|s| s.contains(&i.name)))
        .count();
    let cursor = p
        .cursor
        .as_ref()
        .and_then(|c| list.iter().position(|i| &i.name == c))
        .unwrap_or(0);

    let mut title = format!(" Pick: {}", p.pane.title());
    if npinned > 0 {
        title.push_str(&format!(" · {npinned} pinned"));
    }
    title.push(' ');
    let title = Line::from(clip_spans(
        vec![Span::styled(title, border.add_modifier(Modifier::BOLD))],
        popup.width.saturating_sub(2) as usize,
    ));
    let mut footer = vec![if list.len() == total {
        format!("{total}")
    } else {
        format!("{} of {total}", list.len())
    }];
    let keys: [(Command, &str); 3] = [
        (Command::Select, "pin"),
        (Command::ClearFilter, "unpin all"),
        (Command::Back, "close"),
    ];
    for (c, what) in keys {
        if let Some(k) = first_key(state, c) {
            footer.push(format!("{k} {what}"));
        }
    }
    let footer = Line::from(clip_spans(
        vec![Span::styled(
            format!(" {} ", footer.join(" · ")),
            theme.dim(),
        )],
        popup.width.saturating_sub(2) as usize,
    ));
    let block = Block::bordered()
        .border_style(border)
        .title(title)
        .title_bottom(footer.right_aligned());
    let inner = block.inner(popup);
    block.render(popup, buf);
    if inner.is_empty() {
        return;
    }
    let w = inner.width as usize;

    // The filter line.
    let accent = Style::default().fg(theme.accent);
    let filter_line = match (&p.editing, p.filter.is_empty()) {
        (Some(text), _) => Line::from(vec![
            Span::styled(" filter: ", accent.add_modifier(Modifier::BOLD)),
            Span::styled(format!("{text}▏"), accent),
        ]),
        (None, false) => {
            let mut spans = vec![
                Span::styled(" filter: ", theme.dim()),
                Span::styled(p.filter.clone(), accent),
            ];
            if let Some(k) = first_key(state, Command::FilterLog) {
                spans.push(Span::styled(format!("  ({k} to change)"), theme.dim()));
            }
            Line::from(spans)
        }
        (None, true) => match first_key(state, Command::FilterLog) {
            Some(k) => Line::styled(format!(" {k} filter by name"), theme.dim()),
            None => Line::default(),
        },
    };
    put_line(
        buf,
        inner.x,
        inner.y,
        &Line::from(clip_spans(filter_line.spans, w)),
        inner.width,
    );

    let rows = list_area(popup);
    if rows.is_empty() {
        return;
    }
    if list.is_empty() {
        let text = if total == 0 {
            "this pane lists no resources yet"
        } else {
            "no resource matches the filter"
        };
        put_line(
            buf,
            rows.x,
            rows.y,
            &Line::styled(format!(" {text}"), theme.dim()),
            rows.width,
        );
        return;
    }
    let visible = rows.height as usize;
    let top = scroll_top(cursor, visible, list.len());
    let level_w = Level::NoData.word().len() + 2;
    // `▶ [x] name  ✖ CRIT  detail`: the name column shares the width with the detail.
    let longest = list.iter().map(|i| width(&i.name)).max().unwrap_or(0);
    let name_w = longest
        .min(w.saturating_sub(6 + level_w + 2) * 3 / 5)
        .max(8);
    let value_w = list.iter().map(|i| width(&i.value)).max().unwrap_or(0);
    // Numbers line up on the right; DynamoDB's `R 62/50 W 12/25` reads better from the left.
    let right = p.pane != PaneId::Dynamo;
    for (row, (i, item)) in list.iter().enumerate().skip(top).take(visible).enumerate() {
        let at = i == cursor;
        let pinned = pins.is_some_and(|s| s.contains(&item.name));
        let lvl = theme.level(item.level);
        let spans = vec![
            Span::styled(
                if at { "▶" } else { " " },
                accent.add_modifier(Modifier::BOLD),
            ),
            Span::raw(" "),
            Span::styled(
                if pinned { "[x]" } else { "[ ]" },
                if pinned {
                    accent.add_modifier(Modifier::BOLD)
                } else {
                    theme.dim()
                },
            ),
            Span::raw(" "),
            Span::styled(
                pad(&item.name, name_w),
                if at {
                    Style::default().add_modifier(Modifier::BOLD)
                } else {
                    Style::default()
                },
            ),
            Span::raw("  "),
            Span::styled(
                pad(
                    &format!("{} {}", item.level.symbol(), item.level.word()),
                    level_w,
                ),
                lvl,
            ),
            Span::styled(
                if right {
                    format!("{:>value_w$}", item.value)
                } else {
                    format!("{:<value_w$}", item.value)
                },
                lvl,
            ),
            Span::raw("  "),
            Span::styled(item.extra.clone(), theme.dim()),
        ];
        let mut line = Line::from(clip_spans(spans, w));
        if at {
            line = line.style(theme.selected());
        }
        put_line(buf, rows.x, rows.y + row as u16, &line, rows.width);
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
    fn filter_is_a_case_insensitive_substring() {
        assert!(matches("crypto-watch-API", "api"));
        assert!(matches("anything", ""));
        assert!(!matches("profile-db", "api"));
    }
}
