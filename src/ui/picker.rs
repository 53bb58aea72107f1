//! The resource picker: an overlay over a resource pane (Lambda throttles, Aurora, DynamoDB)
//! listing all its resources worst first with their numbers and level. The operator moves a
//! cursor, filters by name, and pins resources; a pane with pins shows only those (rows and
//! chart lines) and says `pinned 2/200` in its title. Keys come from the active keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use super::theme::Theme;
use super::{aurora, dynamo, overlay, pad, throttles, width};
use crate::app::{AppState, Command, PaneId};
use crate::i18n::{self, Msg};
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
    let filter = p.pick.filter_text();
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
    let mut note = Msg::PinnedNote.fill(state.lang, &[&shown.len(), &total]);
    let bad = hidden.iter().filter(|x| level(x) >= Level::Warn).count();
    if bad > 0 {
        note.push_str(&Msg::PinnedBadHidden.fill(state.lang, &[&bad]));
    }
    (shown, note)
}

/// The rectangle of the picker popup within `area`, sized for `total` resources.
pub fn popup_area(area: Rect, total: usize) -> Rect {
    overlay::list_popup(area, 96, total)
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
    let list = overlay::list_area(popup_area(area, total));
    if x < list.x || x >= list.right() || y < list.y || y >= list.bottom() {
        return None;
    }
    let top = overlay::scroll_top(cursor, list.height as usize, n);
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
    let filter = p.pick.filter_text();
    let list: Vec<&Item> = all.iter().filter(|i| matches(&i.name, filter)).collect();
    let popup = popup_area(area, total);
    if popup.width < 10 || popup.height < 4 {
        return;
    }
    let pins = state.pinned(p.pane);
    let npinned = all
        .iter()
        .filter(|i| pins.is_some_and(|s| s.contains(&i.name)))
        .count();
    let cursor = p.pick.index(&list, |i| i.name.as_str());

    let lang = state.lang;
    let mut title = Msg::PickTitle.fill(lang, &[&i18n::pane_title(p.pane, lang)]);
    if npinned > 0 {
        title.push_str(&Msg::PickPinnedCount.fill(lang, &[&npinned]));
    }
    title.push(' ');
    let title = Span::styled(title, theme.border(true).add_modifier(Modifier::BOLD));
    let keys = [
        (Command::Select, Msg::HintPin.text(lang)),
        (Command::ClearFilter, Msg::HintUnpinAll.text(lang)),
        (Command::Back, Msg::HintClose.text(lang)),
    ];
    let filter = (&p.pick, Msg::FilterByName.text(lang), true);
    let Some(inner) = overlay::pick_frame(
        buf,
        popup,
        state,
        theme,
        title,
        (list.len(), total),
        &keys,
        filter,
    ) else {
        return;
    };
    let w = inner.width as usize;

    let accent = Style::default().fg(theme.accent);
    let level_w = [Level::NoData, Level::Ok, Level::Warn, Level::Crit]
        .into_iter()
        .map(|l| width(i18n::level_word(l, lang)))
        .max()
        .unwrap_or(0)
        + 2;
    // `▶ [x] name  ✖ CRIT  detail`: the name column shares the width with the detail.
    let longest = list.iter().map(|i| width(&i.name)).max().unwrap_or(0);
    let name_w = longest
        .min(w.saturating_sub(6 + level_w + 2) * 3 / 5)
        .max(8);
    let value_w = list.iter().map(|i| width(&i.value)).max().unwrap_or(0);
    // Numbers line up on the right; DynamoDB's `R 62/50 W 12/25` reads better from the left.
    let right = p.pane != PaneId::Dynamo;
    let empty = if total == 0 {
        Msg::PickNoResources.text(lang)
    } else {
        Msg::PickNoMatch.text(lang)
    };
    let rows = overlay::list_area(popup);
    overlay::list(buf, rows, theme, &list, cursor, empty, |item, at| {
        let pinned = pins.is_some_and(|s| s.contains(&item.name));
        let lvl = theme.level(item.level);
        vec![
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
                    &format!(
                        "{} {}",
                        item.level.symbol(),
                        i18n::level_word(item.level, lang)
                    ),
                    level_w,
                ),
                lvl,
            ),
            Span::styled(
                if right {
                    super::align_right(&item.value, value_w)
                } else {
                    super::align_left(&item.value, value_w)
                },
                lvl,
            ),
            Span::raw("  "),
            Span::styled(item.extra.clone(), theme.dim()),
        ]
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_is_a_case_insensitive_substring() {
        assert!(matches("crypto-watch-API", "api"));
        assert!(matches("anything", ""));
        assert!(!matches("profile-db", "api"));
    }
}
