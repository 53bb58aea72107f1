//! Shared drawing for the six metric panes: the bordered block with its state badge, value
//! formatting with units, downsampling a series to the pane's pixel width, y-bounds, a braille
//! line chart with threshold lines and deploy markers, a block sparkline for the compact layout,
//! gauge bars and big digits.
//!
//! Everything draws straight into the [`Buffer`] and never writes outside the area it is given,
//! whatever its size (0x0 included). Allocation is per trace (one `Vec` of buckets) and per
//! chart (one dot grid), never per cell.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use super::PaneCtx;
use crate::app::AppState;
use crate::i18n::{Lang, Msg};
use crate::model::metrics::Marker;
use crate::model::series::{Series, Stat};
use crate::model::threshold::{Level, Threshold};
use crate::model::time::{self, Ts, MINUTE};

// ---------------------------------------------------------------------------------------------
// Values and units

/// How a value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain number (`1.2k`).
    Count,
    /// Events per minute (`14/min`).
    PerMin,
    /// Requests per minute (`1,234 req/min`).
    ReqPerMin,
    /// Percent (`6.1%`).
    Percent,
    /// Milliseconds, shown in seconds from 1000 ms (`210ms`, `2.31s`).
    Millis,
    /// Units per second (`62/s`).
    PerSec,
}

impl Unit {
    /// The value with its unit, for value lines.
    pub fn fmt(self, v: f64) -> String {
        match self {
            Unit::Count => fmt_si(v),
            Unit::PerMin => format!("{}/min", fmt_si(v)),
            Unit::ReqPerMin => format!("{} req/min", fmt_count(v)),
            Unit::Percent => format!("{}%", fmt_pct(v)),
            Unit::Millis => fmt_ms(v),
            Unit::PerSec => format!("{}/s", fmt_si(v)),
        }
    }

    /// The shortest form, for axis labels.
    pub fn axis(self, v: f64) -> String {
        match self {
            Unit::Percent => format!("{}%", fmt_pct(v)),
            Unit::Millis => fmt_ms(v),
            _ => fmt_si(v),
        }
    }
}

/// Drop trailing zeros of a fixed-point number: `4.80` → `4.8`, `2.00` → `2`.
fn trim(mut s: String) -> String {
    if s.contains('.') && !s.contains('e') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// About three significant digits, trailing zeros dropped.
fn sig3(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    trim(s)
}

/// A number with an SI suffix: `950`, `1.23k`, `4.5M`; scientific beyond tera.
pub fn fmt_si(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    for (scale, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] {
        if a >= scale * 1000.0 && suffix == "T" {
            return format!("{v:.1e}");
        }
        if a >= scale {
            return format!("{}{suffix}", sig3(v / scale));
        }
    }
    sig3(v)
}

/// A count for value lines: whole numbers grouped by thousands up to 100,000, SI beyond.
pub fn fmt_count(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v.abs() >= 100_000.0 {
        return fmt_si(v);
    }
    if v.fract() != 0.0 && v.abs() < 100.0 {
        return sig3(v);
    }
    grouped(v)
}

/// A whole number grouped by thousands: `1,234,567`.
pub fn grouped(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 8);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A percentage without the sign: `0.04`, `6.1`, `12`.
pub fn fmt_pct(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 1000.0 {
        fmt_si(v)
    } else if a >= 10.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.1}"))
    } else {
        trim(format!("{v:.2}"))
    }
}

/// Milliseconds: `210ms`, `4.2ms`, from 1000 ms in seconds: `2.31s`, `4.8s`.
pub fn fmt_ms(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 1000.0 {
        format!("{}s", fmt_si(v / 1000.0))
    } else if a >= 10.0 {
        format!("{v:.0}ms")
    } else {
        format!("{}ms", trim(format!("{v:.1}")))
    }
}

/// The style of a value judged by a threshold (no threshold: plain bold).
pub fn value_style(theme: &Theme, th: Option<&Threshold>, v: Option<f64>) -> Style {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    match (th, v) {
        (_, None) => theme.dim(),
        (Some(th), Some(v)) => theme.level(th.level_of(v)).add_modifier(Modifier::BOLD),
        (None, Some(_)) => bold,
    }
}

// ---------------------------------------------------------------------------------------------
// Time window and downsampling

/// The chart window `[now - range, now]`.
pub fn window(state: &AppState) -> (Ts, Ts) {
    let to = state.model.now;
    (to - state.ui.range.secs().max(MINUTE), to)
}

/// How many buckets to cut `[from, to]` into for `pixels` columns: never more than there are
/// minutes (so an empty bucket means data is really missing), never more than the pixels.
pub fn bucket_count(from: Ts, to: Ts, pixels: usize) -> usize {
    // Buckets at least a minute wide, so one-minute points leave no false gaps.
    let minutes = ((to - from).max(0) / MINUTE).max(1) as usize;
    pixels.min(minutes)
}

/// A series cut into `n` equal buckets over `[from, to]`, each combining its points with `stat`;
/// `None` where a bucket has no point.
pub fn downsample(
    series: Option<&Series>,
    from: Ts,
    to: Ts,
    n: usize,
    stat: Stat,
) -> Vec<Option<f64>> {
    let mut out = vec![None; n];
    let Some(s) = series else { return out };
    if n == 0 {
        return out;
    }
    let span = (to - from).max(1) as i128;
    let mut counts = vec![0u32; if stat == Stat::Average { n } else { 0 }];
    for (ts, v) in s.range(from, to) {
        let i = (((ts - from) as i128 * n as i128) / span).clamp(0, n as i128 - 1) as usize;
        out[i] = Some(match (out[i], stat) {
            (None, _) => v,
            (Some(a), Stat::Average | Stat::Sum) => a + v,
            (Some(a), Stat::Maximum) => a.max(v),
            (Some(a), Stat::Minimum) => a.min(v),
        });
        if stat == Stat::Average {
            counts[i] += 1;
        }
    }
    if stat == Stat::Average {
        for (o, c) in out.iter_mut().zip(&counts) {
            if let Some(v) = o {
                *v /= (*c).max(1) as f64;
            }
        }
    }
    out
}

/// Several series downsampled and added bucket by bucket (a bucket is `None` only when every
/// series is missing there).
pub fn sum_buckets<'a>(
    series: impl IntoIterator<Item = &'a Series>,
    from: Ts,
    to: Ts,
    n: usize,
    stat: Stat,
) -> Vec<Option<f64>> {
    let mut out: Vec<Option<f64>> = vec![None; n];
    for s in series {
        for (o, v) in out.iter_mut().zip(downsample(Some(s), from, to, n, stat)) {
            if let Some(v) = v {
                *o = Some(o.unwrap_or(0.0) + v);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Y bounds

fn nice_ceil(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x;
    }
    let e = 10f64.powf(x.log10().floor());
    if e == 0.0 || !e.is_finite() {
        return x;
    }
    let m = x / e;
    for step in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m <= step + 1e-9 {
            let r = step * e;
            return if r.is_finite() && r >= x { r } else { x };
        }
    }
    x
}

/// Y bounds for a set of values (data and threshold levels): zero is always in range, the top
/// gets ~8% headroom rounded to a nice number, and the range is never empty.
pub fn y_bounds(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let pad = |v: f64| {
        let p = v * 1.08;
        if p.is_finite() {
            p
        } else {
            v
        }
    };
    let hi = if hi > 0.0 { nice_ceil(pad(hi)) } else { hi };
    let lo = if lo < 0.0 { -nice_ceil(pad(-lo)) } else { lo };
    if hi > lo {
        (lo, hi)
    } else {
        (lo, lo + 1.0)
    }
}

/// Where `v` lies between `lo` and `hi`, 0..=1 (halved first so huge ranges stay finite).
fn frac(v: f64, lo: f64, hi: f64) -> f64 {
    let span = hi * 0.5 - lo * 0.5;
    if span <= 0.0 || !span.is_finite() {
        return 0.0;
    }
    ((v * 0.5 - lo * 0.5) / span).clamp(0.0, 1.0)
}

// ---------------------------------------------------------------------------------------------
// The pane block

/// The block title: the pane title, then the state badge (`✖ CRIT`, or a pane's own word such
/// as `✖ SURGE`), then an optional note (`possible attack`). When the title does not fit, the
/// pane title is shortened first so the state stays visible.
pub fn state_title(
    title: &str,
    level: Level,
    word: &str,
    note: &str,
    width: u16,
    theme: &Theme,
    focused: bool,
) -> Line<'static> {
    let avail = width as usize;
    let badge = format!(" {} {} ", level.symbol(), word);
    let badge_w = badge.width();
    let note_s = if note.is_empty() {
        String::new()
    } else {
        format!(" {note} ")
    };
    let title_style = if focused {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    let mut spans = Vec::with_capacity(3);
    if avail >= badge_w + 4 {
        let room = avail - badge_w;
        let t = truncate(&format!(" {title} "), room.saturating_sub(0));
        let t_w = t.width();
        spans.push(Span::styled(t, title_style));
        spans.push(Span::styled(badge, theme.badge(level)));
        if !note_s.is_empty() && avail >= t_w + badge_w + 4 {
            spans.push(Span::styled(
                truncate(&note_s, avail - t_w - badge_w),
                theme.level(level),
            ));
        }
    } else {
        // Too narrow even for the title: the symbol and as much of the word as fits.
        spans.push(Span::styled(truncate(&badge, avail), theme.badge(level)));
    }
    Line::from(spans)
}

/// At most `width` columns of `s`, with `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > width - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Draw the pane's bordered block with its state in the title; returns the inner area, or
/// `None` when there is no room inside (a 1-cell area shows just the state symbol).
pub fn begin(
    area: Rect,
    buf: &mut Buffer,
    ctx: &PaneCtx,
    title: &str,
    level: Level,
    word: &str,
    note: &str,
) -> Option<Rect> {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return None;
    }
    if area.width < 3 || area.height < 2 {
        // No room for a border: the state symbol (and word if it fits) on the first row.
        let text = if area.width as usize >= word.width() + 2 {
            format!("{} {}", level.symbol(), word)
        } else {
            level.symbol().to_string()
        };
        buf.set_stringn(
            area.x,
            area.y,
            text,
            area.width as usize,
            ctx.theme.badge(level),
        );
        return None;
    }
    let line = state_title(
        title,
        level,
        word,
        note,
        area.width - 2,
        ctx.theme,
        ctx.focused,
    );
    Block::bordered()
        .border_style(ctx.theme.border(ctx.focused))
        .title(line)
        .render(area, buf);
    let inner = Rect::new(area.x + 1, area.y + 1, area.width - 2, area.height - 2);
    (!inner.is_empty()).then_some(inner)
}

/// Draw a line of text in the area's row `row` (ignored when outside).
pub fn text_row(area: Rect, buf: &mut Buffer, row: u16, line: &Line) {
    if row < area.height && area.width > 0 {
        buf.set_line(area.x, area.y + row, line, area.width);
    }
}

/// A dim `·` separator span.
pub fn sep(theme: &Theme) -> Span<'static> {
    Span::styled(" · ", theme.dim())
}

/// Rows of an area from `top` on.
pub fn rows_from(area: Rect, top: u16) -> Rect {
    let top = top.min(area.height);
    Rect::new(area.x, area.y + top, area.width, area.height - top)
}

// ---------------------------------------------------------------------------------------------
// Big digits

const BIG: [(char, [&str; 3]); 13] = [
    ('0', ["┏━┓", "┃ ┃", "┗━┛"]),
    ('1', ["╺┓ ", " ┃ ", "╺┻╸"]),
    ('2', ["┏━┓", "┏━┛", "┗━╸"]),
    ('3', ["╺━┓", " ━┫", "╺━┛"]),
    ('4', ["╻ ╻", "┗━┫", "  ╹"]),
    ('5', ["┏━╸", "┗━┓", "╺━┛"]),
    ('6', ["┏━╸", "┣━┓", "┗━┛"]),
    ('7', ["╺━┓", "  ┃", "  ╹"]),
    ('8', ["┏━┓", "┣━┫", "┗━┛"]),
    ('9', ["┏━┓", "┗━┫", "╺━┛"]),
    ('.', [" ", " ", "•"]),
    ('-', ["   ", "╺━╸", "   "]),
    (':', ["•", " ", "•"]),
];

fn big_glyph(c: char) -> Option<&'static [&'static str; 3]> {
    BIG.iter().find(|(g, _)| *g == c).map(|(_, rows)| rows)
}

/// The column width for resource names in a pane's rows: the longest name, but at most a
/// third of the row (and at least 6), so the values beside it keep their room.
pub fn label_width<'a>(names: impl Iterator<Item = &'a str>, row_width: usize) -> usize {
    names
        .map(|n| n.width())
        .max()
        .unwrap_or(0)
        .min((row_width / 3).max(6))
}

/// `throttles 14/min`, red when there were any.
pub fn throttle_span(per_min: f64, theme: &Theme, lang: Lang) -> Span<'static> {
    Span::styled(
        Msg::Throttles.fill(lang, &[&Unit::PerMin.fmt(per_min)]),
        if per_min > 0.0 {
            theme.level(Level::Crit)
        } else {
            theme.dim()
        },
    )
}

/// Split `12.5ms` into the part the big font can draw (`12.5`) and the rest (`ms`). There is
/// no big comma (it would read as a decimal point): pass numbers without grouping.
pub fn split_number(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| big_glyph(c).is_none()).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Columns the big rendering of `s` takes (number part only).
pub fn big_width(s: &str) -> u16 {
    let (num, _) = split_number(s);
    num.chars()
        .filter_map(big_glyph)
        .map(|g| g[0].chars().count() as u16 + 1)
        .sum()
}

/// Draw `s` (e.g. `2.31s`) with its number in 3-row digits and the unit in bold text on the
/// bottom row. Returns the columns used, 0 when it did not fit (nothing drawn).
pub fn big_text(area: Rect, buf: &mut Buffer, s: &str, style: Style) -> u16 {
    let (num, unit) = split_number(s);
    let w = big_width(s) + unit.width() as u16;
    if num.is_empty() || area.height < 3 || w > area.width {
        return 0;
    }
    let mut x = area.x;
    for g in num.chars().filter_map(big_glyph) {
        for (r, row) in g.iter().enumerate() {
            buf.set_string(x, area.y + r as u16, row, style);
        }
        x += g[0].chars().count() as u16 + 1;
    }
    buf.set_string(x, area.y + 2, unit, style.add_modifier(Modifier::BOLD));
    x - area.x + unit.width() as u16
}

/// The headline of a pane: big digits of `big` above `line` when the area is tall and wide
/// enough, otherwise `line` alone. Returns the rows used.
pub fn headline(area: Rect, buf: &mut Buffer, big: Option<(&str, Style)>, line: &Line) -> u16 {
    if area.height == 0 {
        return 0;
    }
    if let Some((s, style)) = big {
        if area.height >= 10 && area.width >= 36 && big_text(area, buf, s, style) > 0 {
            text_row(area, buf, 3, line);
            return 4;
        }
    }
    text_row(area, buf, 0, line);
    1
}

// ---------------------------------------------------------------------------------------------
// Gauge and sparkline

const EIGHTHS_H: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const EIGHTHS_V: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A bar `▕████▉   ▏` of `width` columns (the two ends included) filled to `frac`, as spans
/// to put in a row's line. Empty when `width < 3`.
pub fn gauge(width: u16, frac: f64, style: Style, theme: &Theme) -> Vec<Span<'static>> {
    if width < 3 {
        return Vec::new();
    }
    let inner = (width - 2) as usize;
    let f = if frac.is_finite() {
        frac.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let eighths = (f * inner as f64 * 8.0).round() as usize;
    let bar: String = (0..inner)
        .map(|i| {
            let e = eighths.saturating_sub(i * 8).min(8);
            if e == 8 {
                '█'
            } else {
                EIGHTHS_H[e]
            }
        })
        .collect();
    vec![
        Span::styled("▕", theme.dim()),
        Span::styled(bar, style),
        Span::styled("▏", theme.dim()),
    ]
}

/// A level from a value against a hard limit, for resources without a threshold rule:
/// WARN from 80 % of the limit, CRIT at the limit.
pub fn ratio_level(value: Option<f64>, limit: f64) -> Level {
    match value {
        None => Level::NoData,
        Some(_) if limit <= 0.0 => Level::Ok,
        Some(v) if v >= limit => Level::Crit,
        Some(v) if v >= 0.8 * limit => Level::Warn,
        Some(_) => Level::Ok,
    }
}

/// `s` cut or padded with spaces to exactly `width` columns.
pub fn pad(s: &str, width: usize) -> String {
    let t = truncate(s, width);
    let w = t.width();
    format!("{t}{}", " ".repeat(width.saturating_sub(w)))
}

/// One resource row (a function, an instance, a table) and its level.
#[derive(Debug, Clone)]
pub struct Row {
    pub level: Level,
    pub line: Line<'static>,
}

/// Draw up to `max` rows from the top of `area`. When they do not all fit, the worst rows are
/// kept (in their original order) and the last row says how many more there are. Returns the
/// rows used.
pub fn rows(
    area: Rect,
    buf: &mut Buffer,
    rows: &[Row],
    max: u16,
    theme: &Theme,
    lang: Lang,
) -> u16 {
    let max = max.min(area.height) as usize;
    if max == 0 || rows.is_empty() {
        return 0;
    }
    if rows.len() <= max {
        for (i, r) in rows.iter().enumerate() {
            text_row(area, buf, i as u16, &r.line);
        }
        return rows.len() as u16;
    }
    let keep = if max == 1 { 1 } else { max - 1 };
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(rows[i].level));
    let mut shown: Vec<usize> = order[..keep].to_vec();
    shown.sort_unstable();
    for (r, &i) in shown.iter().enumerate() {
        text_row(area, buf, r as u16, &rows[i].line);
    }
    if max > 1 {
        let hidden = &order[keep..];
        let bad = hidden
            .iter()
            .filter(|&&i| rows[i].level >= Level::Warn)
            .count();
        let mut text = Msg::MoreRows.fill(lang, &[&hidden.len()]);
        if bad > 0 {
            text.push_str(&Msg::MoreRowsBad.fill(lang, &[&bad]));
        }
        let style = if bad > 0 {
            theme.level(Level::Warn)
        } else {
            theme.dim()
        };
        text_row(area, buf, keep as u16, &Line::styled(text, style));
    }
    max as u16
}

/// Order resource rows worst first, then busiest: by `level` (most severe first), then by
/// each of `busy`'s measures in turn, largest first (a missing measure sorts last), then by
/// `name`. The three per-resource panes and their picker share this order.
pub fn sort_worst_busiest<T, const N: usize>(
    list: &mut [T],
    level: impl Fn(&T) -> Level,
    busy: impl Fn(&T) -> [Option<f64>; N],
    name: impl Fn(&T) -> &str,
) {
    list.sort_by(|a, b| {
        let (ka, kb) = (busy(a), busy(b));
        let by_busy = ka
            .iter()
            .zip(&kb)
            .map(|(x, y)| y.unwrap_or(-1.0).total_cmp(&x.unwrap_or(-1.0)))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal);
        level(b)
            .cmp(&level(a))
            .then(by_busy)
            .then_with(|| name(a).cmp(name(b)))
    });
}

/// Draw resource rows below the headline (`used` rows of `inner` taken), within the budget
/// that leaves the chart its rows; returns the rows taken now.
pub fn rows_below(
    inner: Rect,
    used: u16,
    buf: &mut Buffer,
    list: &[Row],
    theme: &Theme,
    lang: Lang,
) -> u16 {
    let budget = row_budget(inner.height - used, list.len());
    used + rows(rows_from(inner, used), buf, list, budget, theme, lang)
}

/// How many rows to give resource rows: keep at least 4 rows for the chart when possible.
pub fn row_budget(free: u16, n: usize) -> u16 {
    let n = n.min(u16::MAX as usize) as u16;
    let room = if free >= 5 { free - 4 } else { free.min(1) };
    n.min(room)
}

/// A block sparkline filling `area` (one bucket per column, bars in eighths over all rows).
/// Each bar is coloured by `style_of(value)`; a present value always shows at least `▁`.
pub fn sparkline(
    area: Rect,
    buf: &mut Buffer,
    values: &[Option<f64>],
    style_of: &dyn Fn(f64) -> Style,
) {
    let area = area.intersection(buf.area);
    if area.is_empty() || values.is_empty() {
        return;
    }
    let (lo, hi) = y_bounds(values.iter().flatten().copied());
    let levels = area.height as usize * 8;
    let n = values.len().min(area.width as usize);
    // Right-align: the newest value sits at the right edge.
    let x0 = area.x + area.width - n as u16;
    for (i, v) in values[values.len() - n..].iter().enumerate() {
        let Some(v) = *v else { continue };
        let h = ((frac(v, lo, hi) * levels as f64).round() as usize).clamp(1, levels);
        let style = style_of(v);
        for r in 0..area.height as usize {
            let fill = h.saturating_sub(r * 8).min(8);
            if fill == 0 {
                break;
            }
            let y = area.y + area.height - 1 - r as u16;
            buf[(x0 + i as u16, y)]
                .set_char(EIGHTHS_V[fill])
                .set_style(style);
        }
    }
}

/// The compact body: the values line on the first row, a sparkline of `spark` below.
pub fn compact(
    inner: Rect,
    buf: &mut Buffer,
    line: &Line,
    spark: &[Option<f64>],
    style_of: &dyn Fn(f64) -> Style,
) {
    compact_cmp(inner, buf, line, None, spark, style_of);
}

/// [`compact`] with the deploy comparison (see [`compare_line`]) on the second row when there
/// is one: asked for, it takes the sparkline's place when the pane has no row to spare.
pub fn compact_cmp(
    inner: Rect,
    buf: &mut Buffer,
    line: &Line,
    cmp: Option<&Line>,
    spark: &[Option<f64>],
    style_of: &dyn Fn(f64) -> Style,
) {
    text_row(inner, buf, 0, line);
    let mut top = 1;
    if let (Some(c), true) = (cmp, inner.height >= 2) {
        text_row(inner, buf, 1, c);
        top = 2;
    }
    if inner.height > top {
        sparkline(rows_from(inner, top), buf, spark, style_of);
    }
}

// ---------------------------------------------------------------------------------------------
// Deploy comparison

/// Deploy watch, when comparison is on and a deploy is known: the mean since the deploy
/// against the same span before it, for each `(label, series or prefix*, unit)`:
/// `since deploy 15% · before 0.3% ×50`, or with labels `since deploy R 41/s W 12/s · before
/// R 29/s W 12/s`. The ratio is shown for one series, in the warning colour from 2x either
/// way. Wider than `width`, it is written short: `after 4.3% · before 0.35% ×12`.
pub fn compare_line(
    state: &AppState,
    items: &[(&str, &str, Unit)],
    theme: &Theme,
    width: u16,
) -> Option<Line<'static>> {
    let lang = state.lang;
    let found: Vec<_> = items
        .iter()
        .map(|(label, pattern, unit)| {
            crate::deploy::comparison(state, pattern).map(|c| (*label, *unit, c))
        })
        .collect::<Option<_>>()?;
    // One labelled series is labelled once (`since deploy p95 931ms · before 714ms`).
    let part = |pick: &dyn Fn(&crate::model::gates::SpanComparison) -> Option<f64>,
                short: bool,
                labels: bool| {
        found
            .iter()
            .map(|(label, unit, c)| {
                let v = pick(c)
                    .map(|v| if short { unit.axis(v) } else { unit.fmt(v) })
                    .unwrap_or_else(|| "-".into());
                if label.is_empty() || !labels {
                    v
                } else {
                    format!("{label} {v}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let build = |short: bool| {
        let since = part(&|c| c.since, short, true);
        let before = part(&|c| c.before, short, found.len() > 1);
        vec![
            Span::styled(
                if short {
                    Msg::CompareAfterShort.fill(lang, &[&since])
                } else {
                    Msg::CompareSince.fill(lang, &[&since])
                },
                Style::default()
                    .fg(theme.marker)
                    .add_modifier(Modifier::BOLD),
            ),
            sep(theme),
            Span::styled(Msg::CompareBefore.fill(lang, &[&before]), theme.dim()),
        ]
    };
    let mut spans = build(false);
    if spans.iter().map(|s| s.content.width()).sum::<usize>() > width as usize {
        spans = build(true);
    }
    if let [(_, _, c)] = found.as_slice() {
        if let Some(r) = c.ratio().filter(|r| r.is_finite()) {
            let notable = !(0.5..2.0).contains(&r);
            spans.push(Span::styled(
                format!(" ×{}", fmt_si(r)),
                if notable {
                    theme.level(Level::Warn)
                } else {
                    theme.dim()
                },
            ));
        }
    }
    Some(Line::from(spans))
}

/// Draw the comparison line (if any) at row `row` of `area`; the rows it took (0 or 1).
pub fn compare_row(area: Rect, buf: &mut Buffer, row: u16, cmp: Option<&Line>) -> u16 {
    match cmp {
        Some(c) if area.height > row + 2 => {
            text_row(area, buf, row, c);
            1
        }
        _ => 0,
    }
}

/// Buckets for a compact sparkline one column wide each.
pub fn spark_buckets(
    state: &AppState,
    series: Option<&Series>,
    width: u16,
    stat: Stat,
) -> Vec<Option<f64>> {
    let (from, to) = window(state);
    downsample(
        series,
        from,
        to,
        bucket_count(from, to, width as usize),
        stat,
    )
}

// ---------------------------------------------------------------------------------------------
// The braille chart

#[derive(Debug, Clone)]
struct Trace {
    values: Vec<Option<f64>>,
    color: Color,
}

#[derive(Debug, Clone, Copy)]
struct HLine {
    value: f64,
    color: Color,
    dashed: bool,
}

/// A time-series chart over `[from, to]`: traces, horizontal lines (thresholds, capacity) and
/// deploy markers, drawn in braille with y labels (min/max) and x labels (HH:MM) when there
/// is room. Build it for the area it will be drawn in, so traces are cut to its pixel width.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    area: Rect,
    from: Ts,
    to: Ts,
    n: usize,
    unit: Unit,
    traces: Vec<Trace>,
    hlines: Vec<HLine>,
    markers: &'a [Marker],
    marker_color: Color,
    lang: Lang,
}

/// Widest y label assumed when choosing the bucket count (labels are measured when drawn).
const GUTTER_GUESS: u16 = 6;

impl<'a> Chart<'a> {
    pub fn new(area: Rect, state: &'a AppState, unit: Unit, theme: &Theme) -> Self {
        let (from, to) = window(state);
        let plot_w = if area.width >= 24 {
            area.width - GUTTER_GUESS
        } else {
            area.width
        };
        Self {
            area,
            from,
            to,
            n: bucket_count(from, to, plot_w as usize * 2),
            unit,
            traces: Vec::new(),
            hlines: Vec::new(),
            markers: &state.model.markers,
            marker_color: theme.marker,
            lang: state.lang,
        }
    }

    /// How many buckets each trace has.
    pub fn buckets(&self) -> usize {
        self.n
    }

    pub fn range(&self) -> (Ts, Ts) {
        (self.from, self.to)
    }

    /// Add a series (later traces are drawn over earlier ones).
    pub fn series(&mut self, s: Option<&Series>, stat: Stat, color: Color) -> &mut Self {
        let values = downsample(s, self.from, self.to, self.n, stat);
        self.values(values, color)
    }

    /// Add pre-computed buckets (`buckets()` of them).
    pub fn values(&mut self, mut values: Vec<Option<f64>>, color: Color) -> &mut Self {
        values.resize(self.n, None);
        self.traces.push(Trace { values, color });
        self
    }

    /// A horizontal line at `value` (dashed lines for thresholds, solid for limits).
    pub fn hline(&mut self, value: f64, color: Color, dashed: bool) -> &mut Self {
        if value.is_finite() {
            self.hlines.push(HLine {
                value,
                color,
                dashed,
            });
        }
        self
    }

    /// The warn and crit lines of a threshold.
    pub fn threshold(&mut self, th: Option<&Threshold>, theme: &Theme) -> &mut Self {
        if let Some(th) = th {
            if let Some(w) = th.warn {
                self.hline(w, theme.warn_line, true);
            }
            if let Some(c) = th.crit {
                self.hline(c, theme.crit_line, true);
            }
        }
        self
    }

    /// Draw into the buffer.
    pub fn render(&self, buf: &mut Buffer, theme: &Theme) {
        let area = self.area.intersection(buf.area);
        if area.width < 2 || area.height == 0 {
            return;
        }
        let has_data = self
            .traces
            .iter()
            .any(|t| t.values.iter().any(Option::is_some));
        let (lo, hi) = y_bounds(
            self.traces
                .iter()
                .flat_map(|t| t.values.iter().flatten().copied())
                .chain(self.hlines.iter().map(|h| h.value)),
        );
        let show_x = area.height >= 4;
        let (hi_l, lo_l) = (self.unit.axis(hi), self.unit.axis(lo));
        let gutter = if area.width >= 24 && area.height >= 2 {
            (hi_l.width().max(lo_l.width()) + 1).min(area.width as usize / 3) as u16
        } else {
            0
        };
        let plot = Rect::new(
            area.x + gutter,
            area.y,
            area.width - gutter,
            area.height - show_x as u16,
        );
        if plot.width == 0 || plot.height == 0 {
            return;
        }
        let mut canvas = Canvas::new(plot.width as usize, plot.height as usize);
        let (pw, ph) = (canvas.px_w as i64, canvas.px_h as i64);
        let py = |v: f64| ((1.0 - frac(v, lo, hi)) * (ph - 1) as f64).round() as i64;
        let span = (self.to - self.from).max(1);
        for h in &self.hlines {
            let y = py(h.value);
            for x in 0..pw {
                if !h.dashed || (x / 2) % 2 == 0 {
                    canvas.dot(x, y, h.color);
                }
            }
        }
        for m in self
            .markers
            .iter()
            .filter(|m| m.ts >= self.from && m.ts <= self.to)
        {
            let x = ((m.ts - self.from) as f64 / span as f64 * (pw - 1) as f64).round() as i64;
            for y in 0..ph {
                canvas.dot(x, y, self.marker_color);
            }
        }
        let n = self.n.max(1);
        let px = |i: usize| (((i as f64 + 0.5) / n as f64) * (pw - 1) as f64).round() as i64;
        for t in &self.traces {
            let mut prev: Option<(i64, i64)> = None;
            for (i, v) in t.values.iter().enumerate() {
                match v {
                    Some(v) => {
                        let p = (px(i), py(*v));
                        match prev {
                            Some(q) => canvas.line(q, p, t.color),
                            None => canvas.dot(p.0, p.1, t.color),
                        }
                        prev = Some(p);
                    }
                    None => prev = None,
                }
            }
        }
        canvas.flush(plot, buf);
        if !has_data {
            let msg = Msg::NoDataInRange.text(self.lang);
            let w = msg.width().min(plot.width as usize) as u16;
            let x = plot.x + (plot.width - w) / 2;
            buf.set_stringn(x, plot.y + plot.height / 2, msg, w as usize, theme.dim());
        }
        if gutter > 0 {
            let w = gutter as usize - 1;
            buf.set_stringn(area.x, plot.y, format!("{hi_l:>w$}"), w, theme.dim());
            if plot.height >= 2 {
                buf.set_stringn(
                    area.x,
                    plot.bottom() - 1,
                    format!("{lo_l:>w$}"),
                    w,
                    theme.dim(),
                );
            }
        }
        if show_x {
            let y = plot.bottom();
            let (a, b) = (time::hm(self.from), time::hm(self.to));
            if plot.width >= 12 {
                buf.set_string(plot.x, y, &a, theme.dim());
                buf.set_string(plot.right() - b.width() as u16, y, &b, theme.dim());
            }
            if plot.width >= 28 {
                let mid = time::hm(self.from + span / 2);
                buf.set_string(
                    plot.x + plot.width / 2 - mid.width() as u16 / 2,
                    y,
                    &mid,
                    theme.dim(),
                );
            }
        }
    }
}

/// A braille dot grid: 2x4 dots per cell, one colour per cell (the last dot drawn wins).
struct Canvas {
    w: usize,
    px_w: usize,
    px_h: usize,
    bits: Vec<u8>,
    colors: Vec<Color>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            px_w: w * 2,
            px_h: h * 4,
            bits: vec![0; w * h],
            colors: vec![Color::Reset; w * h],
        }
    }

    fn dot(&mut self, x: i64, y: i64, color: Color) {
        if x < 0 || y < 0 || x >= self.px_w as i64 || y >= self.px_h as i64 {
            return;
        }
        let (x, y) = (x as usize, y as usize);
        const BITS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
        let cell = (y / 4) * self.w + x / 2;
        self.bits[cell] |= BITS[x % 2][y % 4];
        self.colors[cell] = color;
    }

    /// Bresenham from `a` to `b`.
    fn line(&mut self, a: (i64, i64), b: (i64, i64), color: Color) {
        let (mut x, mut y) = a;
        let dx = (b.0 - x).abs();
        let dy = -(b.1 - y).abs();
        let sx = if x < b.0 { 1 } else { -1 };
        let sy = if y < b.1 { 1 } else { -1 };
        let mut err = dx + dy;
        loop {
            self.dot(x, y, color);
            if x == b.0 && y == b.1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    fn flush(&self, plot: Rect, buf: &mut Buffer) {
        for (i, (&b, &c)) in self.bits.iter().zip(&self.colors).enumerate() {
            if b == 0 {
                continue;
            }
            let (x, y) = (plot.x + (i % self.w) as u16, plot.y + (i / self.w) as u16);
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_char(char::from_u32(0x2800 + b as u32).unwrap_or(' '))
                    .set_fg(c);
            }
        }
    }
}

/// The worst of several levels (`NoData` when there are none).
pub fn worst(levels: impl IntoIterator<Item = Level>) -> Level {
    levels.into_iter().max().unwrap_or(Level::NoData)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(fmt_ms(210.0), "210ms");
        assert_eq!(fmt_ms(2310.0), "2.31s");
        assert_eq!(fmt_ms(4800.0), "4.8s");
        assert_eq!(fmt_ms(4.25), "4.2ms");
        assert_eq!(fmt_pct(0.4), "0.4");
        assert_eq!(fmt_pct(6.1), "6.1");
        assert_eq!(fmt_pct(12.34), "12");
        assert_eq!(fmt_si(1234.0), "1.23k");
        assert_eq!(fmt_si(14.0), "14");
        assert_eq!(fmt_si(-2_500_000.0), "-2.5M");
        assert_eq!(fmt_si(1e300), "1.0e300");
        assert_eq!(fmt_count(12345.0), "12,345");
        assert_eq!(fmt_count(-1234.0), "-1,234");
        assert_eq!(Unit::ReqPerMin.fmt(980.0), "980 req/min");
    }

    #[test]
    fn bounds_never_empty_and_include_zero() {
        assert_eq!(y_bounds([]), (0.0, 1.0));
        assert_eq!(y_bounds([0.0, 0.0]), (0.0, 1.0));
        assert_eq!(y_bounds([5.0, 5.0]), (0.0, 6.0));
        let (lo, hi) = y_bounds([-3.0, -1.0]);
        assert!(lo <= -3.0 && hi > lo);
        let (lo, hi) = y_bounds([1e308, 1.7e308]);
        assert!(lo == 0.0 && hi >= 1.7e308 && hi.is_finite());
        assert!(frac(1.7e308, -1.7e308, 1.7e308) == 1.0);
    }

    #[test]
    fn downsample_buckets() {
        let mut s = Series::default();
        for m in 0..10 {
            s.push(m * 60, m as f64);
        }
        assert_eq!(bucket_count(0, 600, 100), 10);
        assert_eq!(bucket_count(0, 600, 4), 4);
        assert_eq!(bucket_count(0, 0, 4), 1);
        let b = downsample(Some(&s), 0, 600, 5, Stat::Maximum);
        assert_eq!(
            b,
            vec![Some(1.0), Some(3.0), Some(5.0), Some(7.0), Some(9.0)]
        );
        let b = downsample(Some(&s), 0, 600, 5, Stat::Average);
        assert_eq!(b[0], Some(0.5));
        assert!(downsample(None, 0, 600, 3, Stat::Average)
            .iter()
            .all(Option::is_none));
        assert_eq!(
            sum_buckets([&s, &s], 0, 600, 5, Stat::Maximum)[4],
            Some(18.0)
        );
    }

    #[test]
    fn number_split_and_big() {
        assert_eq!(split_number("2.31s"), ("2.31", "s"));
        assert_eq!(split_number("84%"), ("84", "%"));
        assert_eq!(big_width("10"), 8);
    }
}
