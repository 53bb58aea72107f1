//! The section picker: an overlay listing every section of every loaded runbook (alarm
//! procedures first, then the shared parts, then plain text), to open one by hand when the
//! alarm matched none or the wrong one. The operator moves a cursor, filters by text, and
//! opens the section for the alarm; keys come from the active keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use super::theme::Theme;
use super::{overlay, pad, width};
use crate::app::{AppState, Command};
use crate::i18n::{self, Msg};
use crate::model::alarm::Severity;
use crate::model::runbook::SectionKind;

/// One section as the picker lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionItem {
    /// `runbook-id#section-id`.
    pub reference: String,
    pub title: String,
    pub runbook: String,
    pub kind: SectionKind,
    pub severity: Option<Severity>,
    pub steps: usize,
}

impl SectionItem {
    /// `alarm`, `rollback criteria`, `text`.
    pub fn kind_word(&self) -> &'static str {
        match self.kind {
            SectionKind::Alarm => "alarm",
            SectionKind::Shared(k) => k.word(),
            SectionKind::Text => "text",
        }
    }
}

/// Every section of every runbook: alarm sections first, then shared, then text; in each
/// group runbook and document order.
pub fn items(state: &AppState) -> Vec<SectionItem> {
    let rank = |k: SectionKind| match k {
        SectionKind::Alarm => 0,
        SectionKind::Shared(_) => 1,
        SectionKind::Text => 2,
    };
    let mut out: Vec<(u8, SectionItem)> = Vec::new();
    for rb in &state.runbooks {
        for s in &rb.sections {
            out.push((
                rank(s.kind),
                SectionItem {
                    reference: format!("{}#{}", rb.id, s.id),
                    title: s.title.clone(),
                    runbook: rb.id.clone(),
                    kind: s.kind,
                    severity: s.severity,
                    steps: s.steps.len(),
                },
            ));
        }
    }
    // A stable sort keeps runbook and document order within a group.
    out.sort_by_key(|(r, _)| *r);
    out.into_iter().map(|(_, i)| i).collect()
}

/// Whether an item passes a filter (case-insensitive substring of title, reference or kind).
pub fn matches(item: &SectionItem, filter: &str) -> bool {
    if filter.is_empty() {
        return true;
    }
    let f = filter.to_lowercase();
    [
        item.title.as_str(),
        item.reference.as_str(),
        item.kind_word(),
    ]
    .iter()
    .any(|t| t.to_lowercase().contains(&f))
}

/// The sections the open picker lists (through its filter); empty when closed.
pub fn visible(state: &AppState) -> Vec<SectionItem> {
    let Some(p) = &state.ui.section_picker else {
        return Vec::new();
    };
    let filter = p.pick.filter_text();
    items(state)
        .into_iter()
        .filter(|i| matches(i, filter))
        .collect()
}

/// Draw the section picker (nothing when it is closed).
pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let Some(p) = &state.ui.section_picker else {
        return;
    };
    let area = area.intersection(*buf.area());
    let total = items(state).len();
    let list = visible(state);
    let popup = overlay::list_popup(area, 100, total);
    if popup.width < 10 || popup.height < 4 {
        return;
    }
    let cursor = p.pick.index(&list, |i| i.reference.as_str());

    let lang = state.lang;
    let mut title = Msg::SectionPickTitle.text(lang).to_string();
    if !p.alarm.is_empty() {
        title.push_str(&Msg::SectionPickFor.fill(lang, &[&p.alarm]));
    }
    title.push(' ');
    let title = Span::styled(title, theme.border(true).add_modifier(Modifier::BOLD));
    let keys = [
        (Command::Select, Msg::HintOpen.text(lang)),
        (Command::Back, Msg::HintClose.text(lang)),
    ];
    let filter = (&p.pick, Msg::FilterByTitle.text(lang), false);
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
    let kind_w = list.iter().map(|i| width(i.kind_word())).max().unwrap_or(0);
    let sev_w = list
        .iter()
        .filter_map(|i| i.severity.map(|s| width(i18n::severity_word(s, lang))))
        .max()
        .unwrap_or(0);
    let title_w = list
        .iter()
        .map(|i| width(&i.title))
        .max()
        .unwrap_or(0)
        .min(w.saturating_sub(kind_w + 6) * 3 / 5)
        .max(8);
    let empty = if total == 0 {
        Msg::SectionNoRunbooks.text(lang)
    } else {
        Msg::SectionNoMatch.text(lang)
    };
    let rows = super::chart::rows_from(inner, 1);
    overlay::list(buf, rows, theme, &list, cursor, empty, |item, at| {
        let mut spans = vec![
            Span::styled(
                if at { "▶ " } else { "  " },
                accent.add_modifier(Modifier::BOLD),
            ),
            Span::styled(pad(item.kind_word(), kind_w), theme.dim()),
            Span::raw("  "),
            Span::styled(
                pad(&item.title, title_w),
                if at {
                    Style::default().add_modifier(Modifier::BOLD)
                } else {
                    Style::default()
                },
            ),
            Span::raw("  "),
        ];
        match item.severity {
            Some(sev) => spans.push(Span::styled(
                pad(i18n::severity_word(sev, lang), sev_w),
                theme.severity(sev),
            )),
            None => spans.push(Span::raw(" ".repeat(sev_w))),
        }
        spans.push(Span::raw("  "));
        let steps = match item.steps {
            0 => String::new(),
            1 => Msg::OneStep.text(lang).to_string(),
            n => Msg::NSteps.fill(lang, &[&n]),
        };
        spans.push(Span::styled(
            format!("{steps}{}", item.runbook),
            theme.dim(),
        ));
        spans
    });
}
