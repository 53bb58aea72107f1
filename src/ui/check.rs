//! The daily check view: the checklist beside a 24-hour chart of the selected item (today and,
//! as a second line, yesterday), with the Logs Insights queries and the new error patterns
//! below.
//!
//! ```text
//!  Daily check · demo: bad-deploy · last 24 h to … UTC against the 24 h before   CRIT  2/5
//! ┌ Checklist ───────────────────────┐┌ Error-rate trend ───────────────────────────────┐
//! │[x]  OK   Request trend           ││ ━ today  ━ yesterday                            │
//! │     288,000 / 290,112 · -1%      ││ ⣀⣀⡠⠔⠊⠉ …                                         │
//! │[ ]  WARN Error-rate trend        ││                                                 │
//! │ …                                ││                                                 │
//! │ notes of the selected item       ││                                                 │
//! └──────────────────────────────────┘└─────────────────────────────────────────────────┘
//! ┌ Logs Insights ───────────────────┐┌ New error patterns ─────────────────────────────┐
//! │ today: Complete · … ≈ $0.0001    ││ 412 × TypeError: Cannot read properties …       │
//! │ fields @timestamp, @log, …       ││                                                 │
//! └──────────────────────────────────┘└─────────────────────────────────────────────────┘
//!  x mark looked at · ↑ move · q quit
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::chart::{Chart, Unit};
use super::theme::Theme;
use super::{fit, pad, pane_block, put_line, shown, width, wrap, PaneCtx};
use crate::app::{AppState, Command, TimeRange};
use crate::check::{date_time, query_line, CheckState, Item, ItemResult, PERIOD, WINDOW};
use crate::i18n::{level_word, Lang, Msg};
use crate::model::series::{combine, Stat};
use crate::model::threshold::{Level, Threshold};
use crate::model::time::{align, hm, Ts};
use crate::model::Model;

/// Below this size the view draws a notice instead.
const MIN_WIDTH: u16 = 60;
const MIN_HEIGHT: u16 = 16;

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let Some(check) = state.check.as_ref() else {
        return;
    };
    let lang = state.lang;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = Msg::TooSmall.fill(lang, &[&area.width, &area.height, &MIN_WIDTH, &MIN_HEIGHT]);
        for (i, l) in wrap(&text, area.width as usize).iter().enumerate() {
            put_line(
                buf,
                area.x,
                area.y + i as u16,
                &Line::styled(l.as_str(), Style::default().fg(theme.warn)),
                area.width,
            );
        }
        return;
    }
    header(Rect { height: 1, ..area }, buf, state, check, theme);
    footer(
        Rect {
            y: area.bottom() - 1,
            height: 1,
            ..area
        },
        buf,
        state,
        theme,
    );
    let body = Rect {
        y: area.y + 1,
        height: area.height - 2,
        ..area
    };
    let bottom_h = (body.height / 3).clamp(6, 12).min(body.height / 2);
    let top = Rect {
        height: body.height - bottom_h,
        ..body
    };
    let bottom = Rect {
        y: top.bottom(),
        height: bottom_h,
        ..body
    };
    let left_w = (area.width * 2 / 5).clamp(40, 64).min(area.width / 2);
    let split = |r: Rect| {
        (
            Rect { width: left_w, ..r },
            Rect {
                x: r.x + left_w,
                width: r.width - left_w,
                ..r
            },
        )
    };
    let (list, chart) = split(top);
    // The queries' lines are the longer ones: their panel is the wider below.
    let q_w = (area.width * 11 / 20).max(left_w);
    let (queries, patterns) = (
        Rect {
            width: q_w,
            ..bottom
        },
        Rect {
            x: bottom.x + q_w,
            width: bottom.width - q_w,
            ..bottom
        },
    );
    checklist(list, buf, state, check, theme);
    detail(chart, buf, state, check, theme);
    insights(queries, buf, state, check, theme);
    new_patterns(patterns, buf, state, check, theme);
    if state.ui.help {
        super::help::render(area, buf, state, theme);
    }
}

fn ctx(theme: &Theme, focused: bool) -> PaneCtx<'_> {
    PaneCtx {
        focused,
        compact: false,
        theme,
    }
}

fn header(area: Rect, buf: &mut Buffer, state: &AppState, check: &CheckState, theme: &Theme) {
    let lang = state.lang;
    let r = &check.report;
    let looked = Msg::CheckLooked.fill(lang, &[&check.looked_count(), &r.items.len()]);
    let overall = format!(
        " {} ",
        Msg::CheckOverall.fill(lang, &[&level_word(r.overall, lang)])
    );
    let right_w = (width(&overall) + width(&looked) + 2) as u16;
    let left = format!(
        " {} · {} · {}",
        Msg::CheckTitle.text(lang),
        shown(state, &r.input.source),
        Msg::CheckWindow.fill(lang, &[&date_time(r.input.end)])
    );
    let left_w = area.width.saturating_sub(right_w);
    let bold = Style::default()
        .fg(theme.accent)
        .add_modifier(Modifier::BOLD);
    put_line(
        buf,
        area.x,
        area.y,
        &Line::styled(fit(&left, left_w as usize).into_owned(), bold),
        left_w,
    );
    let line = Line::from(vec![
        Span::styled(overall, theme.badge(r.overall)),
        Span::raw(" "),
        Span::styled(looked, theme.dim()),
    ]);
    put_line(buf, area.x + left_w, area.y, &line, right_w);
}

fn footer(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let lang = state.lang;
    let keys = [
        (Command::CheckMark, Msg::CheckHintMark.text(lang)),
        (Command::Down, Msg::HintMove.text(lang)),
        (Command::Help, Msg::HintHelp.text(lang)),
        (Command::Quit, Msg::HintQuit.text(lang)),
    ];
    let hints: Vec<String> = super::overlay::key_hints(state, &keys).collect();
    put_line(
        buf,
        area.x,
        area.y,
        &Line::styled(format!(" {}", hints.join(" · ")), theme.dim()),
        area.width,
    );
}

/// `today / yesterday · ±x%` of an item.
fn values_text(r: &ItemResult, lang: Lang) -> String {
    let unit = r.item.unit();
    let v = |x: Option<f64>| x.map(|v| unit.fmt(v)).unwrap_or_else(|| "—".into());
    let mut s = format!(
        "{} {} · {} {}",
        Msg::CheckToday.text(lang),
        v(r.today),
        Msg::CheckYesterdayWord.text(lang),
        v(r.yesterday)
    );
    if let Some(c) = r.change_pct {
        s.push_str(&format!(" · {}", crate::check::signed_pct(c)));
    }
    s
}

fn checklist(area: Rect, buf: &mut Buffer, state: &AppState, check: &CheckState, theme: &Theme) {
    let lang = state.lang;
    let inner = pane_block(
        area,
        buf,
        vec![Span::raw(Msg::CheckTitle.text(lang))],
        &ctx(theme, true),
    );
    if inner.is_empty() {
        return;
    }
    let w = inner.width as usize;
    let word_w = check
        .report
        .items
        .iter()
        .map(|r| width(level_word(r.verdict, lang)))
        .max()
        .unwrap_or(4);
    let mut y = inner.y;
    for (i, r) in check.report.items.iter().enumerate() {
        if y + 1 >= inner.bottom() {
            break;
        }
        let selected = i == check.cursor;
        let looked = check.looked.get(i).copied().unwrap_or(false);
        let mark = if looked { "[x] " } else { "[ ] " };
        let title_w = w.saturating_sub(4 + word_w + 3);
        let row_style = if selected {
            theme.selected()
        } else {
            Style::default()
        };
        let line = Line::from(vec![
            Span::styled(
                mark,
                if looked {
                    Style::default().fg(theme.ok).add_modifier(Modifier::BOLD)
                } else {
                    theme.dim()
                },
            ),
            Span::styled(
                format!(" {} ", pad(level_word(r.verdict, lang), word_w)),
                theme.badge(r.verdict),
            ),
            Span::styled(format!(" {}", pad(r.item.title(lang), title_w)), row_style),
        ]);
        put_line(buf, inner.x, y, &line, inner.width);
        let values = format!("    {}", values_text(r, lang));
        put_line(
            buf,
            inner.x,
            y + 1,
            &Line::styled(fit(&values, w).into_owned(), theme.dim()),
            inner.width,
        );
        y += 2;
    }
    // The selected item's notes.
    let Some(r) = check.selected() else { return };
    if y + 1 >= inner.bottom() {
        return;
    }
    y += 1;
    for note in &r.notes {
        let text = note.text(r.item.unit(), lang);
        let text = shown(state, &text);
        for (k, l) in wrap(&text, w.saturating_sub(2)).iter().enumerate() {
            if y >= inner.bottom() {
                return;
            }
            let lead = if k == 0 { "• " } else { "  " };
            put_line(
                buf,
                inner.x,
                y,
                &Line::styled(format!("{lead}{l}"), theme.level(r.verdict.max(Level::Ok))),
                inner.width,
            );
            y += 1;
        }
    }
}

/// Buckets of 5-minute points over `[from, to)` for a chart `n` buckets wide: the mean of the
/// points in each bucket, or, in a bucket narrower than a period, the point covering it.
fn buckets(points: &[(Ts, f64)], shift: Ts, from: Ts, to: Ts, n: usize) -> Vec<Option<f64>> {
    let span = (to - from).max(1) as i128;
    let n = n.max(1);
    let mut sums: Vec<Vec<f64>> = vec![Vec::new(); n];
    for &(t, v) in points {
        let t = t + shift;
        if t < from || t >= to {
            continue;
        }
        let i = (((t - from) as i128 * n as i128) / span).clamp(0, n as i128 - 1) as usize;
        sums[i].push(v);
    }
    (0..n)
        .map(|i| {
            combine(sums[i].iter().copied(), Stat::Average).or_else(|| {
                let lo = from + ((span * i as i128) / n as i128) as Ts;
                let at = align(lo - shift, PERIOD);
                points
                    .binary_search_by_key(&at, |p| p.0)
                    .ok()
                    .map(|k| points[k].1)
            })
        })
        .collect()
}

/// The chart (or list) of the selected item.
fn detail(area: Rect, buf: &mut Buffer, state: &AppState, check: &CheckState, theme: &Theme) {
    let lang = state.lang;
    let Some(r) = check.selected() else { return };
    let title = vec![
        Span::raw(r.item.title(lang)),
        Span::raw(" "),
        Span::styled(
            format!(" {} ", level_word(r.verdict, lang)),
            theme.badge(r.verdict),
        ),
    ];
    let inner = pane_block(area, buf, title, &ctx(theme, false));
    if inner.height < 3 {
        return;
    }
    let input = &check.report.input;
    let (points, unit, th) = match r.item {
        Item::Requests => (&input.requests, Unit::Count, None),
        Item::ErrorRate => (
            &input.error_rate,
            Unit::Percent,
            threshold(state, crate::model::metrics::keys::ERROR_RATE),
        ),
        Item::Latency => (
            &input.latency,
            Unit::Millis,
            threshold(state, crate::model::metrics::keys::P95),
        ),
        Item::Alarms => return alarm_list(inner, buf, state, check, theme),
        Item::ErrorPatterns => return pattern_list(inner, buf, state, check, theme, true),
    };
    // Legend.
    let legend = Line::from(vec![
        Span::styled("━ ", Style::default().fg(theme.series[0])),
        Span::raw(Msg::CheckToday.text(lang)),
        Span::raw("  "),
        Span::styled("━ ", theme.dim()),
        Span::styled(Msg::CheckYesterdayWord.text(lang), theme.dim()),
        Span::styled(
            if r.item == Item::Requests {
                "  (/5 min)"
            } else {
                ""
            },
            theme.dim(),
        ),
    ]);
    put_line(buf, inner.x, inner.y, &legend, inner.width);
    // A chart over [end - 24 h, end]: a small state whose clock is the check's end.
    let mut view = AppState::new(
        Model::new(Default::default(), input.end, 1),
        Vec::new(),
        Vec::new(),
        String::new(),
    );
    view.ui.range = TimeRange::H24;
    view.lang = lang;
    view.model.markers = state
        .model
        .markers
        .iter()
        .filter(|m| m.ts >= input.end - WINDOW && m.ts <= input.end)
        .cloned()
        .collect();
    let chart_area = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    let mut chart = Chart::new(chart_area, &view, unit, theme);
    let (from, to) = chart.range();
    let n = chart.buckets();
    chart
        .values(buckets(points, WINDOW, from, to, n), theme.dim)
        .values(buckets(points, 0, from, to, n), theme.series[0])
        .threshold(th.as_ref(), theme);
    chart.render(buf, theme);
}

fn threshold(state: &AppState, key: &str) -> Option<Threshold> {
    state
        .model
        .profile
        .thresholds
        .iter()
        .find(|r| r.matches(key))
        .map(|r| r.threshold.clone())
}

fn alarm_list(inner: Rect, buf: &mut Buffer, state: &AppState, check: &CheckState, theme: &Theme) {
    let lang = state.lang;
    let a = &check.report.input.alarms;
    let mut y = inner.y;
    let w = inner.width;
    let mut line = |y: &mut u16, l: Line| {
        if *y < inner.bottom() {
            put_line(buf, inner.x, *y, &l, w);
            *y += 1;
        }
    };
    if let Some(e) = &a.error {
        line(
            &mut y,
            Line::styled(
                Msg::CheckCouldNot.fill(lang, &[&shown(state, e)]),
                theme.level(Level::Warn),
            ),
        );
        return;
    }
    line(
        &mut y,
        Line::styled(Msg::CheckAlarmEvents.text(lang), theme.dim()),
    );
    let today: Vec<_> = a
        .events
        .iter()
        .filter(|e| e.at >= check.report.input.end - WINDOW)
        .collect();
    for e in today.iter().rev() {
        let firing = a.firing_now.contains(&e.name);
        line(
            &mut y,
            Line::from(vec![
                Span::styled(format!(" {} ", date_time(e.at)), theme.dim()),
                Span::styled(
                    shown(state, &e.name).into_owned(),
                    if firing {
                        theme.level(Level::Crit)
                    } else {
                        theme.level(Level::Warn)
                    },
                ),
                Span::styled(
                    if firing { "  ALARM" } else { "" },
                    theme.level(Level::Crit),
                ),
            ]),
        );
    }
    for name in a
        .firing_now
        .iter()
        .filter(|n| !today.iter().any(|e| &e.name == *n))
    {
        line(
            &mut y,
            Line::styled(
                format!(" {}  ALARM", shown(state, name)),
                theme.level(Level::Crit),
            ),
        );
    }
    if today.is_empty() && a.firing_now.is_empty() {
        line(
            &mut y,
            Line::styled(Msg::CheckNoneFired.text(lang), theme.level(Level::Ok)),
        );
    }
}

/// New patterns (or, with `top`, also today's most frequent ones).
fn pattern_list(
    inner: Rect,
    buf: &mut Buffer,
    state: &AppState,
    check: &CheckState,
    theme: &Theme,
    top: bool,
) {
    let lang = state.lang;
    let logs = &check.report.input.logs;
    let mut y = inner.y;
    let w = inner.width as usize;
    let mut put = |y: &mut u16, l: Line| {
        if *y < inner.bottom() {
            put_line(buf, inner.x, *y, &l, inner.width);
            *y += 1;
        }
    };
    if let Some(e) = &logs.error {
        put(
            &mut y,
            Line::styled(
                fit(&Msg::CheckCouldNot.fill(lang, &[&shown(state, e)]), w).into_owned(),
                theme.level(Level::Warn),
            ),
        );
    }
    let new = check.report.new_patterns();
    let row = |count: u64, text: &str, style: Style| {
        let n = super::chart::grouped(count as f64);
        let n = format!("{n:>7} × ");
        let rest = w.saturating_sub(width(&n));
        Line::from(vec![
            Span::styled(n, theme.dim()),
            Span::styled(fit(&shown(state, text), rest).into_owned(), style),
        ])
    };
    if new.is_empty() {
        put(
            &mut y,
            Line::styled(Msg::CheckNoNewPatterns.text(lang), theme.level(Level::Ok)),
        );
    }
    for p in &new {
        put(&mut y, row(p.count, &p.pattern, theme.level(Level::Warn)));
    }
    if !top {
        return;
    }
    if y + 2 < inner.bottom() {
        y += 1;
        put(
            &mut y,
            Line::styled(Msg::CheckTopPatterns.text(lang), theme.dim()),
        );
        for p in logs.today.top(inner.height as usize) {
            put(&mut y, row(p.count, &p.pattern, Style::default()));
        }
    }
}

fn insights(area: Rect, buf: &mut Buffer, state: &AppState, check: &CheckState, theme: &Theme) {
    let lang = state.lang;
    let inner = pane_block(
        area,
        buf,
        vec![Span::raw(Msg::CheckQueries.text(lang))],
        &ctx(theme, false),
    );
    if inner.is_empty() {
        return;
    }
    let w = inner.width as usize;
    let mut y = inner.y;
    let mut put = |y: &mut u16, l: Line| {
        if *y < inner.bottom() {
            put_line(buf, inner.x, *y, &l, inner.width);
            *y += 1;
        }
    };
    let queries = &check.report.input.logs.queries;
    if queries.is_empty() {
        put(
            &mut y,
            Line::styled(Msg::CheckQueryNone.text(lang), theme.dim()),
        );
        return;
    }
    if queries.iter().all(|q| q.status == "demo") {
        put(
            &mut y,
            Line::styled(
                fit(Msg::CheckQueryDemo.text(lang), w).into_owned(),
                theme.dim(),
            ),
        );
    }
    for q in queries.iter().filter(|q| q.status != "demo") {
        let style = match (q.status.as_str(), &q.error) {
            (_, Some(_)) => theme.level(Level::Warn),
            ("Complete", _) => theme.level(Level::Ok),
            _ => Style::default(),
        };
        for l in wrap(&query_line(q, lang), w) {
            put(&mut y, Line::styled(l, style));
        }
        if let Some(e) = &q.error {
            put(
                &mut y,
                Line::styled(
                    format!("  {}", fit(&shown(state, e), w.saturating_sub(2))),
                    theme.level(Level::Warn),
                ),
            );
        }
    }
    if let Some(q) = queries.first() {
        let span = format!(
            "{} – {} UTC · {}",
            date_time(q.start),
            hm(q.end),
            shown(state, &q.log_groups.join(", "))
        );
        put(
            &mut y,
            Line::styled(fit(&span, w).into_owned(), theme.dim()),
        );
        for l in q.query.lines() {
            put(
                &mut y,
                Line::styled(fit(l, w).into_owned(), Style::default().fg(theme.accent)),
            );
        }
    }
}

fn new_patterns(area: Rect, buf: &mut Buffer, state: &AppState, check: &CheckState, theme: &Theme) {
    let lang = state.lang;
    let inner = pane_block(
        area,
        buf,
        vec![Span::raw(Msg::CheckNewPatternsTitle.text(lang))],
        &ctx(theme, false),
    );
    if inner.is_empty() {
        return;
    }
    pattern_list(inner, buf, state, check, theme, false);
}
