//! The log tail: newest at the bottom, following the tail unless scrolled back or paused.
//! While paused the window is anchored to the newest line seen at the moment of pausing, so
//! lines that arrive afterwards do not move it. Only [`LogEntry`] fields (sanitised by the
//! model on entry) are drawn, masked when redaction is on and then cut to the pane by display
//! width.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::{clip_spans, fit, pane_block, put_line, short_source, shown, width, PaneCtx};
use crate::app::{AppState, PaneId};
use crate::i18n::{self, Msg};
use crate::model::log::{LogEntry, LogFilter, LogLevel};
use crate::model::time;

/// The five-cell label of a level.
pub fn level_label(l: LogLevel) -> &'static str {
    match l {
        LogLevel::Error => "ERROR",
        LogLevel::Warn => "WARN ",
        LogLevel::Info => "INFO ",
        LogLevel::Debug => "DEBUG",
        LogLevel::Other => "-    ",
    }
}

/// The active filters in words: `level≥WARN`, `/text`.
pub fn filter_words(f: &LogFilter) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(l) = f.min_level {
        out.push(format!("level≥{}", level_label(l).trim()));
    }
    if !f.text.is_empty() {
        out.push(format!("/{}", f.text));
    }
    out
}

/// What the pane shows: the lines of the window (oldest first) and how many matching lines
/// arrived after the pause anchor.
pub struct Window<'a> {
    pub lines: Vec<&'a LogEntry>,
    pub new_since_pause: usize,
}

/// The window of `rows` lines: `scroll` lines back from the newest line, where "newest" is
/// the anchor (the newest line when the view was paused) while paused. Walks the buffer from
/// the newest end and stops once the window is full.
pub fn window<'a>(state: &'a AppState, filter: &'a LogFilter, rows: usize) -> Window<'a> {
    let log = &state.ui.log;
    let anchor = if log.paused || log.scroll > 0 {
        log.anchor
    } else {
        None
    };
    let mut new_since_pause = 0;
    let mut lines = Vec::with_capacity(rows);
    let mut skipped = 0;
    for e in state.model.log_entries(filter).rev() {
        if anchor.is_some_and(|a| e.seq > a) {
            new_since_pause += 1;
            continue;
        }
        if lines.len() == rows {
            break;
        }
        if skipped < log.scroll {
            skipped += 1;
            continue;
        }
        lines.push(e);
    }
    // Scrolled back past the oldest line: show the oldest page rather than nothing.
    if lines.is_empty() && skipped > 0 {
        lines = state
            .model
            .log_entries(filter)
            .filter(|e| anchor.is_none_or(|a| e.seq <= a))
            .take(rows)
            .collect::<Vec<_>>();
        lines.reverse();
    }
    lines.reverse();
    Window {
        lines,
        new_since_pause,
    }
}

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let theme = ctx.theme;
    let log = &state.ui.log;
    let filter = state.log_filter();
    // The inner height decides the window; the block is drawn once the title is known.
    let inner_h = area.height.saturating_sub(2) as usize;
    let rows = inner_h.saturating_sub(usize::from(log.editing.is_some()));
    let win = window(state, &filter, rows);

    let lang = state.lang;
    let mut title = vec![
        Span::styled(
            i18n::pane_title(PaneId::Logs, lang),
            theme.border(ctx.focused),
        ),
        Span::raw(" "),
    ];
    if log.paused || log.scroll > 0 {
        let mut t = Msg::LogPaused.text(lang).to_string();
        if win.new_since_pause > 0 {
            t.push_str(&Msg::LogNewSincePause.fill(lang, &[&win.new_since_pause]));
        }
        if log.scroll > 0 {
            t.push_str(&format!(" ↑{}", log.scroll));
        }
        title.push(Span::styled(
            t,
            Style::default().fg(theme.warn).add_modifier(Modifier::BOLD),
        ));
    } else {
        title.push(Span::styled(
            Msg::LogFollow.text(lang),
            Style::default().fg(theme.ok),
        ));
    }
    for w in filter_words(&filter) {
        title.push(Span::raw(" "));
        title.push(Span::styled(w, Style::default().fg(theme.accent)));
    }
    if let Some(feed) = &state.model.log_feed {
        title.push(Span::styled(format!(" · {feed}"), theme.dim()));
    }
    let inner = pane_block(area, buf, title, ctx);
    if inner.is_empty() {
        return;
    }
    let w = inner.width as usize;

    if win.lines.is_empty() && rows > 0 {
        let msg = if state.model.logs.is_empty() {
            Msg::LogNoLines.text(lang).to_string()
        } else {
            Msg::LogNoMatch.fill(lang, &[&filter_words(&filter).join(" ")])
        };
        put_line(
            buf,
            inner.x,
            inner.y,
            &Line::styled(fit(&msg, w).into_owned(), theme.dim()),
            inner.width,
        );
    }
    // Newest at the bottom of the line area.
    let top = inner.y + rows.saturating_sub(win.lines.len()) as u16;
    let show_source = w >= 70;
    for (i, e) in win.lines.iter().enumerate() {
        let spans = line_spans(e, show_source, state, ctx);
        put_line(
            buf,
            inner.x,
            top + i as u16,
            &Line::from(clip_spans(spans, w)),
            inner.width,
        );
    }

    if let Some(text) = &log.editing {
        let y = inner.bottom() - 1;
        let prompt = Style::default()
            .fg(theme.accent)
            .add_modifier(Modifier::BOLD);
        // Keep the end of a long input (where the typing happens) visible.
        let room = w.saturating_sub(3);
        let shown = tail_fit(text, room);
        let line = Line::from(vec![
            Span::styled("/ ", prompt),
            Span::raw(shown),
            Span::styled("▏", prompt),
        ]);
        put_line(buf, inner.x, y, &line, inner.width);
    }
}

/// The end of `s` that fits in `max` cells, starting with `…` when cut.
fn tail_fit(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out: Vec<char> = Vec::new();
    let mut w = 1;
    for c in s.chars().rev() {
        let cw = width(c.encode_utf8(&mut [0; 4]));
        if w + cw > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    let mut text = String::from("…");
    text.extend(out.into_iter().rev());
    text
}

/// A log line's spans: time, level, source, message and `key=value` fields, each masked when
/// redaction is on (a field as `key=value`, so that the key says what its value is).
fn line_spans<'a>(
    e: &'a LogEntry,
    show_source: bool,
    state: &AppState,
    ctx: &PaneCtx,
) -> Vec<Span<'a>> {
    let theme = ctx.theme;
    let mut spans = Vec::with_capacity(6 + e.field_count() * 2);
    spans.push(Span::styled(time::hms(e.ts), theme.dim()));
    spans.push(Span::raw(" "));
    spans.push(Span::styled(level_label(e.level), theme.log_level(e.level)));
    spans.push(Span::raw(" "));
    if show_source && !e.source().is_empty() {
        spans.push(Span::styled(
            fit(&shown(state, short_source(e.source())), 24).into_owned(),
            Style::default().fg(theme.accent),
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(shown(state, e.message())));
    for (i, (k, v)) in e.fields().enumerate() {
        spans.push(Span::styled(if i == 0 { "  " } else { " " }, theme.dim()));
        let field = format!("{k}={v}");
        spans.push(Span::styled(shown(state, &field).into_owned(), theme.dim()));
    }
    spans
}
