//! Rendering: a pure function of an [`AppState`] snapshot. One file per pane.
//!
//! [`render`] draws the whole screen: the header, every pane from [`layout::compute`], the
//! status bar and, on top, the help overlay. Below 80x24 it draws a notice instead. Nothing
//! here may panic at any size: every write goes through [`put_line`], which clips to the
//! buffer, and text is cut or wrapped by display width ([`fit`], [`wrap`], [`clip_spans`]).

pub mod aurora;
pub mod chart;
pub mod dynamo;
pub mod errors;
pub mod latency;
pub mod requests;
pub mod throttles;

pub mod alarms;
pub mod check;
pub mod gates;
pub mod help;
pub mod layout;
pub mod logs;
pub mod overlay;
pub mod picker;
pub mod present;
pub mod runbook;
pub mod section_picker;
pub mod status;
pub mod theme;

use std::borrow::Cow;
use std::sync::OnceLock;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};
use ratatui::Frame;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::{AppState, PaneId};
use crate::i18n::{Lang, Msg};
use crate::model::time::Ts;
use theme::Theme;

/// What every pane renderer is told besides the state.
#[derive(Debug, Clone, Copy)]
pub struct PaneCtx<'a> {
    pub focused: bool,
    /// The compact (80x24-class) layout: metric panes show value, state and a sparkline.
    pub compact: bool,
    pub theme: &'a Theme,
}

/// The default theme (dark), built once. The theme a screen is drawn with is the state's,
/// `state.war.theme` (see `crate::warroom`).
pub fn theme() -> &'static Theme {
    static THEME: OnceLock<Theme> = OnceLock::new();
    THEME.get_or_init(Theme::default)
}

/// Text as the screen may show it: with identifiers masked while redaction is on (see
/// [`crate::model::redact`]). Panes apply it before they wrap or cut text, so that nothing is
/// split where the mask cannot see it; [`render`] masks what still matches afterwards.
pub fn shown<'a>(state: &AppState, text: &'a str) -> Cow<'a, str> {
    crate::model::redact::redact_if(state.ui.redact, text)
}

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, state: &AppState) {
    let area = frame.area();
    render(area, frame.buffer_mut(), state);
}

/// Render the whole screen into a blank buffer (the TUI and `snapshot` both come here).
/// The buffer must start blank: ratatui hands `draw` a reset buffer and `snapshot` renders
/// into `Buffer::empty`, so clearing it again here would be work done twice per frame.
pub fn render(area: Rect, buf: &mut Buffer, state: &AppState) {
    let area = area.intersection(*buf.area());
    if area.is_empty() {
        return;
    }
    let theme = &state.war.theme;
    screen(area, buf, state, theme);
    // Safety nets over the finished frame: whatever a pane left unmasked, whatever colour a
    // style hard-codes.
    if state.ui.redact {
        redact_buffer(area, buf);
    }
    if !theme.color {
        strip_colour(area, buf);
    }
}

/// Mask, row by row, whatever in the buffer still looks like an identifier (see
/// [`crate::model::redact`]). A cell whose character is masked shows `•` in its own style.
pub fn redact_buffer(area: Rect, buf: &mut Buffer) {
    let area = area.intersection(*buf.area());
    let mut chars: Vec<char> = Vec::with_capacity(area.width as usize);
    let mut cells: Vec<u16> = Vec::with_capacity(area.width as usize);
    for y in area.top()..area.bottom() {
        chars.clear();
        cells.clear();
        let mut skip = 0;
        for x in area.left()..area.right() {
            if skip > 0 {
                // The cell behind a wide character.
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = width(sym).saturating_sub(1);
            for c in sym.chars() {
                chars.push(c);
                cells.push(x);
            }
        }
        let mask = crate::model::redact::mask_chars(&chars);
        let mut last = None;
        for (i, m) in mask.iter().enumerate() {
            if !*m || last == Some(cells[i]) {
                continue;
            }
            let x = cells[i];
            last = Some(x);
            let cell = &mut buf[(x, y)];
            let w = width(cell.symbol()).max(1);
            let masked = crate::model::redact::MASK.to_string().repeat(w);
            cell.set_symbol(&masked);
        }
    }
}

/// Take every colour out of the buffer (`NO_COLOR`): bold, reverse, underline and dim stay.
pub fn strip_colour(area: Rect, buf: &mut Buffer) {
    let area = area.intersection(*buf.area());
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            let m = cell.modifier;
            cell.set_style(Style::reset().add_modifier(m));
        }
    }
}

/// The screen of the mode the session is in: presentation, the daily check, or the console.
fn screen(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    if state.ui.present {
        present::render(area, buf, state, theme);
        return;
    }
    if state.check.is_some() {
        check::render(area, buf, state, theme);
        return;
    }
    let screen = layout::compute(area, &state.ui);
    if screen.too_small {
        too_small(area, buf, theme, state.lang);
        return;
    }
    status::render_header(screen.header, buf, state, theme);
    if let Some(rect) = screen.gates {
        gates::render(rect, buf, state, theme);
    }
    for (pane, rect) in &screen.panes {
        let ctx = PaneCtx {
            focused: *pane == state.ui.focus,
            compact: screen.compact,
            theme,
        };
        render_pane(*pane, *rect, buf, state, &ctx);
    }
    picker::render(area, buf, state, theme);
    section_picker::render(area, buf, state, theme);
    status::render_status(screen.status, buf, state, theme);
    if state.ui.help {
        help::render(area, buf, state, theme);
    }
}

/// The notice shown when the terminal is smaller than the layout needs, centred and wrapped.
fn too_small(area: Rect, buf: &mut Buffer, theme: &Theme, lang: Lang) {
    let text = Msg::TooSmall.fill(
        lang,
        &[
            &area.width,
            &area.height,
            &layout::MIN_WIDTH,
            &layout::MIN_HEIGHT,
        ],
    );
    let lines = wrap(&text, area.width as usize);
    let shown = lines.len().min(area.height as usize);
    let top = area.y + (area.height - shown as u16) / 2;
    for (i, l) in lines.iter().take(shown).enumerate() {
        let w = (l.width() as u16).min(area.width);
        let x = area.x + (area.width - w) / 2;
        put_line(
            buf,
            x,
            top + i as u16,
            &Line::styled(l.as_str(), Style::default().fg(theme.warn)),
            w,
        );
    }
}

/// Render one pane.
pub fn render_pane(pane: PaneId, area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let area = area.intersection(*buf.area());
    if area.is_empty() {
        return;
    }
    match pane {
        PaneId::Requests => requests::render(area, buf, state, ctx),
        PaneId::Errors => errors::render(area, buf, state, ctx),
        PaneId::Latency => latency::render(area, buf, state, ctx),
        PaneId::Throttles => throttles::render(area, buf, state, ctx),
        PaneId::Aurora => aurora::render(area, buf, state, ctx),
        PaneId::Dynamo => dynamo::render(area, buf, state, ctx),
        PaneId::Alarms => alarms::render(area, buf, state, ctx),
        PaneId::Logs => logs::render(area, buf, state, ctx),
        PaneId::Runbook => runbook::render(area, buf, state, ctx),
    }
    if let Some(since) = stale_since(pane, &state.model.faults) {
        stale_tag(area, buf, since, ctx, state.lang);
    }
}

/// The source scopes a pane's data comes from (see `source::aws`): when one of them fails,
/// the pane keeps its values and says since when they are stale.
pub fn pane_scopes(pane: PaneId) -> &'static [&'static str] {
    match pane {
        PaneId::Requests | PaneId::Errors | PaneId::Latency => &["aws/metrics"],
        PaneId::Throttles => &["aws/metrics", "aws/lambda"],
        PaneId::Aurora => &["aws/metrics", "aws/rds"],
        PaneId::Dynamo => &["aws/metrics", "aws/dynamodb"],
        PaneId::Alarms => &["aws/alarms"],
        PaneId::Logs => &["aws/logs"],
        PaneId::Runbook => &[],
    }
}

/// Since when a pane's data is stale: the earliest failure among its scopes.
pub fn stale_since(pane: PaneId, faults: &[crate::model::SourceFault]) -> Option<Ts> {
    let scopes = pane_scopes(pane);
    faults
        .iter()
        .filter(|f| scopes.contains(&f.scope.as_str()))
        .map(|f| f.since)
        .min()
}

/// `⚠ stale since HH:MM:SS` on the pane's top border, right-aligned.
fn stale_tag(area: Rect, buf: &mut Buffer, since: Ts, ctx: &PaneCtx, lang: Lang) {
    let hms = crate::model::time::hms(since);
    let text = if ctx.compact || area.width < 40 {
        Msg::StaleShort.fill(lang, &[&hms])
    } else {
        Msg::StaleSince.fill(lang, &[&hms])
    };
    let w = width(&text) as u16;
    if area.width < w + 4 {
        return;
    }
    let x = area.right() - 1 - w;
    put_line(
        buf,
        x,
        area.y,
        &Line::styled(
            text,
            Style::default()
                .fg(ctx.theme.warn)
                .add_modifier(Modifier::BOLD),
        ),
        w,
    );
}

/// Draw a pane's bordered block (focused border style, the title in spans) and return the
/// inner area.
pub fn pane_block(area: Rect, buf: &mut Buffer, title: Vec<Span<'_>>, ctx: &PaneCtx) -> Rect {
    let area = area.intersection(*buf.area());
    if area.is_empty() {
        return area;
    }
    let mut spans = Vec::with_capacity(title.len() + 2);
    spans.push(Span::raw(" "));
    spans.extend(title);
    spans.push(Span::raw(" "));
    let border = ctx.theme.border(ctx.focused);
    // Titles wider than the border are cut here, by display width, rather than by the block.
    let max = area.width.saturating_sub(2) as usize;
    let title = Line::from(clip_spans(spans, max)).style(border);
    let block = Block::bordered().border_style(border).title(title);
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// Write a line at (x, y), at most `max` cells wide, clipped to the buffer. Never panics.
pub fn put_line(buf: &mut Buffer, x: u16, y: u16, line: &Line<'_>, max: u16) {
    let b = *buf.area();
    if y < b.top() || y >= b.bottom() || x < b.left() || x >= b.right() {
        return;
    }
    let max = max.min(b.right() - x);
    if max == 0 {
        return;
    }
    buf.set_line(x, y, line, max);
}

/// The display width of a string (CJK and other wide characters count 2).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Cut `s` to at most `max` display cells, ending in `…` when anything was cut.
pub fn fit(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    Cow::Owned(out)
}

/// Pad `s` with spaces to `w` display cells (cutting it first if it is wider).
pub fn pad(s: &str, w: usize) -> String {
    let s = fit(s, w);
    let n = w.saturating_sub(width(&s));
    let mut out = String::with_capacity(s.len() + n);
    out.push_str(&s);
    out.extend(std::iter::repeat_n(' ', n));
    out
}

/// `s` right-aligned in `w` display cells (like `format!("{s:>w$}")`, which counts chars, not
/// cells: a Japanese word would come out too wide). Never cuts.
pub fn align_right(s: &str, w: usize) -> String {
    let n = w.saturating_sub(width(s));
    let mut out = String::with_capacity(s.len() + n);
    out.extend(std::iter::repeat_n(' ', n));
    out.push_str(s);
    out
}

/// `s` left-aligned in `w` display cells (like `format!("{s:<w$}")` by cells). Never cuts.
pub fn align_left(s: &str, w: usize) -> String {
    let n = w.saturating_sub(width(s));
    let mut out = String::with_capacity(s.len() + n);
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', n));
    out
}

/// Keep spans up to `max` display cells in all; the span that crosses the edge is cut with `…`.
pub fn clip_spans<'a>(spans: Vec<Span<'a>>, max: usize) -> Vec<Span<'a>> {
    let total: usize = spans.iter().map(|s| width(&s.content)).sum();
    if total <= max {
        return spans;
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut left = max;
    for s in spans {
        let w = width(&s.content);
        if w < left {
            left -= w;
            out.push(s);
        } else {
            // This span reaches the edge: it gets the `…`, and nothing follows.
            if left == 0 {
                break;
            }
            let mut cut = String::new();
            let mut cw = 0;
            for c in s.content.chars() {
                let w = char_width(c);
                if cw + w > left - 1 {
                    break;
                }
                cut.push(c);
                cw += w;
            }
            cut.push('…');
            out.push(Span::styled(cut, s.style));
            break;
        }
    }
    out
}

/// Word-wrap `s` to lines of at most `max` display cells (CJK characters are two cells);
/// words longer than a line are broken. Text with wide characters (Japanese, Chinese) has no
/// spaces between words and may break between any two characters, so such a word starts on
/// the current line and breaks where the line is full. Always returns at least one line
/// (empty for empty input).
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    for word in s.split_whitespace() {
        let ww = width(word);
        if cur_w > 0 && cur_w + 1 + ww <= max {
            cur.push(' ');
            cur.push_str(word);
            cur_w += 1 + ww;
            continue;
        }
        let first_w = word.chars().next().map(char_width).unwrap_or(0);
        let wide = word.chars().any(|c| char_width(c) >= 2);
        if cur_w > 0 && wide && cur_w + 1 + first_w <= max {
            // Fill the rest of this line with the CJK word.
            cur.push(' ');
            cur_w += 1;
        } else {
            if cur_w > 0 {
                lines.push(std::mem::take(&mut cur));
                cur_w = 0;
            }
            if ww <= max {
                cur.push_str(word);
                cur_w = ww;
                continue;
            }
        }
        // Break the word by characters.
        for c in word.chars() {
            let cw = char_width(c);
            if cur_w + cw > max && cur_w > 0 {
                lines.push(std::mem::take(&mut cur));
                cur_w = 0;
            }
            cur.push(c);
            cur_w += cw;
        }
    }
    if cur_w > 0 || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// The short form of a log group or source: its last path segment
/// (`/aws/lambda/crypto-watch-api` → `crypto-watch-api`).
pub fn short_source(source: &str) -> &str {
    let s = source.trim_end_matches('/');
    s.rsplit('/')
        .next()
        .filter(|x| !x.is_empty())
        .unwrap_or(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_and_pad_by_display_width() {
        assert_eq!(fit("hello", 5), "hello");
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
        assert_eq!(
            width(&fit("日本語テキスト", 6)),
            5,
            "a wide char never straddles the edge"
        );
        assert_eq!(fit("abc", 0), "");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("日本", 5), "日本 ");
        assert_eq!(align_right("残り 1m", 9), "  残り 1m");
        assert_eq!(align_right("ab", 4), format!("{:>4}", "ab"));
        assert_eq!(align_left("残り", 6), "残り  ");
        assert_eq!(align_left("toolong", 3), "toolong");
    }

    #[test]
    fn wrap_words_and_long_words() {
        assert_eq!(
            wrap("the quick brown fox", 9),
            vec!["the quick", "brown fox"]
        );
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), vec![""]);
        assert_eq!(wrap("日本語", 4), vec!["日本", "語"]);
        for l in wrap("a bb ccc dddd eeeee ffffff", 3) {
            assert!(width(&l) <= 3, "{l}");
        }
    }

    #[test]
    fn wrap_japanese_by_display_width() {
        // Two cells per kana and kanji: 10 cells hold five of them.
        assert_eq!(
            wrap("在庫更新エラーアラームの確認", 10),
            vec!["在庫更新エ", "ラーアラー", "ムの確認"]
        );
        // A Japanese run after a word fills the line rather than starting a new one.
        assert_eq!(
            wrap("Lambda のエラー率が 10% を超える", 12),
            vec!["Lambda のエ", "ラー率が 10%", "を超える"]
        );
        // A wide character never straddles the edge: an odd width leaves a cell free.
        assert_eq!(wrap("エラー率", 5), vec!["エラ", "ー率"]);
        for max in 2..30 {
            let text = "確認するログ: /aws/lambda/inventory-update で ERROR を探す（5分以内）";
            let lines = wrap(text, max);
            for l in &lines {
                assert!(width(l) <= max, "{l:?} wider than {max}");
            }
            let joined: String = lines.concat().split_whitespace().collect();
            let want: String = text.split_whitespace().collect();
            assert_eq!(joined, want, "nothing lost at {max}");
        }
    }

    #[test]
    fn clip_spans_cuts_at_the_edge() {
        let spans = vec![Span::raw("abc"), Span::raw("defg"), Span::raw("h")];
        let out: String = clip_spans(spans, 5)
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(out, "abcd…");
    }

    #[test]
    fn short_sources() {
        assert_eq!(
            short_source("/aws/lambda/crypto-watch-api"),
            "crypto-watch-api"
        );
        assert_eq!(short_source("api"), "api");
        assert_eq!(short_source("/aws/x/"), "x");
    }
}
