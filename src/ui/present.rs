//! Presentation mode: fewer, bigger numbers and charts for a shared screen, under an environment banner.
//!
//! Top to bottom: the banner (environment, service, account, region, clock, firing alarms;
//! red for production), six number tiles (request rate, error rate, p95, Lambda throttles,
//! Aurora connections, DynamoDB capacity) in 3-row digits, each coloured by its level and
//! labelled by word, the error-rate and latency charts, and at the bottom the alarms and the
//! runbook step everyone is on (section, step, deadline countdown). Charts and the alarms pane
//! are the console's own pane renderers; only the tiles, the banner and the step panel are
//! drawn here. Built for 1280x720 (about 128x36 to 160x45 cells) and never panics at any size.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::alarms::{deadline_style, deadline_text_in};
use super::chart::{self, Unit};
use super::theme::Theme;
use super::{
    aurora, clip_spans, dynamo, errors, fit, help, pane_block, put_line, render_pane, requests,
    shown, throttles, width, wrap, PaneCtx,
};
use crate::app::{AppState, Command, PaneId};
use crate::i18n::{self, Lang, Msg};
use crate::model::metrics::{keys, Capacity};
use crate::model::threshold::Level;
use crate::model::time::hms;

/// One number tile.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub title: String,
    pub level: Level,
    /// The state in words (`CRIT`, `SURGE`...).
    pub word: String,
    /// The number with its unit (`6.1%`, `1252/min`), `None` without data.
    pub value: Option<String>,
    /// A line of context under the number.
    pub detail: String,
}

/// The six tiles, in screen order.
pub fn tiles(state: &AppState) -> Vec<Tile> {
    let m = &state.model;
    let lang = state.lang;
    // Short titles: a tile is a sixth of the screen, and its state word must fit beside.
    let title = |m: Msg| m.text(lang).to_string();
    let word = |l: Level| i18n::level_word(l, lang).to_string();
    let sep = " · ";

    let (rq_level, rq_word, rq_note) = requests::state_of(state);
    let mut rq_detail = m
        .latest(keys::REQUESTS_YESTERDAY)
        .map(|b| Msg::Yesterday.fill(lang, &[&chart::fmt_count(b)]))
        .unwrap_or_default();
    if !rq_note.is_empty() {
        if !rq_detail.is_empty() {
            rq_detail.push_str(sep);
        }
        rq_detail.push_str(rq_note);
    }
    let requests = Tile {
        title: title(Msg::WarTileRequests),
        level: rq_level,
        word: rq_word.to_string(),
        value: m.latest(keys::REQUESTS).map(|v| {
            if v.abs() < 100_000.0 {
                format!("{v:.0}/min")
            } else {
                format!("{}/min", chart::fmt_si(v))
            }
        }),
        detail: rq_detail,
    };

    let er_level = errors::level(state);
    let parts: Vec<String> = [("5xx", keys::ERROR_5XX), ("4xx", keys::ERROR_4XX)]
        .iter()
        .filter_map(|(n, k)| m.latest(k).map(|v| format!("{n} {}", Unit::Percent.fmt(v))))
        .collect();
    let errors = Tile {
        title: title(Msg::WarTileErrors),
        level: er_level,
        word: word(er_level),
        value: m.latest(keys::ERROR_RATE).map(|v| Unit::Percent.fmt(v)),
        detail: parts.join(sep),
    };

    let p95_level = m.level(keys::P95);
    let parts: Vec<String> = [("p50", keys::P50), ("p99", keys::P99)]
        .iter()
        .filter_map(|(n, k)| m.latest(k).map(|v| format!("{n} {}", chart::fmt_ms(v))))
        .collect();
    let latency = Tile {
        title: title(Msg::WarTileP95),
        level: p95_level,
        word: word(p95_level),
        value: m.latest(keys::P95).map(chart::fmt_ms),
        detail: parts.join(sep),
    };

    let fns = throttles::functions(state);
    let th_level = chart::worst(fns.iter().map(|f| f.level));
    let total = fns
        .iter()
        .filter_map(|f| f.throttles)
        .fold(None, |a: Option<f64>, v| Some(a.unwrap_or(0.0) + v));
    let throttles = Tile {
        title: title(Msg::WarTileThrottles),
        level: th_level,
        word: word(th_level),
        value: total.map(|t| format!("{}/min", chart::fmt_si(t))),
        detail: match fns.first() {
            Some(f) => format!("{} {}", shown(state, &f.name), throttles::detail(f).0),
            None => Msg::NoLambda.text(lang).to_string(),
        },
    };

    let dbs = aurora::instances(state);
    let db_level = chart::worst(dbs.iter().map(|i| i.level));
    let worst_db = dbs.first();
    let aurora = Tile {
        title: title(Msg::WarTileAurora),
        level: db_level,
        word: word(db_level),
        value: worst_db.and_then(|i| {
            let c = chart::fmt_si(i.connections?);
            Some(match i.max {
                Some(max) => format!("{c}/{max}"),
                None => c,
            })
        }),
        detail: worst_db
            .map(|i| {
                format!("{} {}", shown(state, &i.id), i.role)
                    .trim()
                    .to_string()
            })
            .unwrap_or_default(),
    };

    let tables = dynamo::tables(state);
    let ddb_level = chart::worst(tables.iter().map(|t| t.level));
    let worst_t = tables.first();
    let dynamo = Tile {
        title: title(Msg::WarTileDynamo),
        level: ddb_level,
        word: word(ddb_level),
        value: worst_t.and_then(|t| match (t.capacity, t.share) {
            (Some(Capacity::Provisioned { .. }), Some(s)) => Some(format!("{:.0}%", s * 100.0)),
            _ => t.consumed().map(|c| format!("{}/s", chart::fmt_si(c))),
        }),
        detail: worst_t
            .map(|t| {
                let (usage, thr) = dynamo::detail(t);
                let mut d = format!("{} {usage}", shown(state, &t.name));
                if !thr.is_empty() {
                    d.push_str(sep);
                    d.push_str(&thr);
                }
                d
            })
            .unwrap_or_default(),
    };

    vec![requests, errors, latency, throttles, aurora, dynamo]
}

/// Where everything goes at one size.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub banner: Rect,
    /// Deploy watch: the rollback gates row under the banner, when shown.
    pub gates: Option<Rect>,
    pub tiles: Vec<Rect>,
    /// Error rate, latency.
    pub charts: [Rect; 2],
    /// Alarms, runbook step.
    pub bottom: [Rect; 2],
}

/// The presentation layout of `area`: rects may be empty when it is small. With `gates`
/// (deploy watch on) the rollback gates row sits under the banner, as in the console: during
/// a deploy it is what the war room watches.
pub fn layout(area: Rect, gates: bool) -> Layout {
    let banner = Rect {
        height: area.height.min(1),
        ..area
    };
    let mut body = Rect {
        y: area.y + banner.height,
        height: area.height - banner.height,
        ..area
    };
    let gates = (gates && body.height > 2 * super::layout::GATES_HEIGHT).then(|| {
        let row = Rect {
            height: super::layout::GATES_HEIGHT,
            ..body
        };
        body.y += row.height;
        body.height -= row.height;
        row
    });
    // Six tiles in a row on a wide screen, two rows of three otherwise; tall enough for big
    // digits (border, three rows of digits, a detail line) when there is room.
    let cols: u16 = if body.width >= 120 { 6 } else { 3 };
    let rows = 6 / cols;
    let tile_h: u16 = if body.height >= 28 { 6 } else { 3 };
    let tiles_h = (tile_h * rows).min(body.height);
    let mut tiles = Vec::with_capacity(6);
    for r in 0..rows {
        for c in 0..cols {
            let x0 = body.x + body.width * c / cols;
            let x1 = body.x + body.width * (c + 1) / cols;
            let y = body.y + (tile_h * r).min(tiles_h);
            let h = tile_h.min(body.y + tiles_h - y);
            tiles.push(Rect::new(x0, y, x1 - x0, h));
        }
    }
    let rest = Rect {
        y: body.y + tiles_h,
        height: body.height - tiles_h,
        ..body
    };
    let charts_h = if rest.height < 8 {
        rest.height
    } else {
        rest.height * 11 / 20
    };
    let split = |r: Rect| -> [Rect; 2] {
        let half = r.width / 2;
        [
            Rect { width: half, ..r },
            Rect {
                x: r.x + half,
                width: r.width - half,
                ..r
            },
        ]
    };
    let charts = split(Rect {
        height: charts_h,
        ..rest
    });
    let bottom = split(Rect {
        y: rest.y + charts_h,
        height: rest.height - charts_h,
        ..rest
    });
    Layout {
        banner,
        gates,
        tiles,
        charts,
        bottom,
    }
}

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let area = area.intersection(*buf.area());
    if area.is_empty() {
        return;
    }
    let l = layout(area, state.ui.deploy_view);
    render_banner(l.banner, buf, state, theme);
    if let Some(rect) = l.gates {
        super::gates::render(rect, buf, state, theme);
    }
    let ctx = PaneCtx {
        focused: false,
        compact: false,
        theme,
    };
    for (tile, rect) in tiles(state).iter().zip(&l.tiles) {
        render_tile(*rect, buf, tile, state.lang, &ctx);
    }
    render_pane(PaneId::Errors, l.charts[0], buf, state, &ctx);
    render_pane(PaneId::Latency, l.charts[1], buf, state, &ctx);
    render_pane(PaneId::Alarms, l.bottom[0], buf, state, &ctx);
    render_step(l.bottom[1], buf, state, &ctx);
    if state.ui.help {
        help::render(area, buf, state, theme);
    }
}

/// The banner: environment (`⚠ PRODUCTION` first when it is), service, account, region, the
/// clock and the firing alarms; on the right the flash message, the redaction tag and how to
/// leave. Red for production, calm otherwise.
pub fn render_banner(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let area = area.intersection(*buf.area());
    if area.is_empty() {
        return;
    }
    let lang = state.lang;
    let b = crate::warroom::banner(state);
    let style = theme.banner(b.production);
    buf.set_style(Rect { height: 1, ..area }, style);
    let bold = style.add_modifier(Modifier::BOLD);
    let total = area.width as usize;
    // What must stay (environment, where the data comes from, account, firing) comes first;
    // the service name, then the clock, then the region go when there is no room.
    let spans_w = |spans: &[Span]| spans.iter().map(|s| width(&s.content)).sum::<usize>();
    let mut left = Vec::new();
    for drop in 0..=3 {
        left = banner_spans(state, &b, style, bold, theme, drop);
        if spans_w(&left) <= total {
            break;
        }
    }

    // The right side, least important first so it goes first when there is no room.
    let mut right: Vec<String> = Vec::new();
    if let Some(k) = help::first_key(state, Command::Present) {
        right.push(Msg::WarLeave.fill(lang, &[&k]));
    }
    if state.ui.redact {
        right.push(format!("◉ {}", Msg::WarRedacted.text(lang)));
    }
    if let Some(f) = &state.ui.flash {
        right.push(fit(&shown(state, f), 48).into_owned());
    }
    let left_w: usize = left.iter().map(|s| width(&s.content)).sum();
    while !right.is_empty() {
        let w: usize = right.iter().map(|s| width(s) + 3).sum::<usize>() + 1;
        if left_w + w <= total {
            break;
        }
        right.remove(0);
    }
    let right_text = if right.is_empty() {
        String::new()
    } else {
        let parts: Vec<&str> = right.iter().rev().map(String::as_str).collect();
        format!(" {} ", parts.join(" · "))
    };
    let right_w = width(&right_text);
    let left_max = total.saturating_sub(right_w);
    put_line(
        buf,
        area.x,
        area.y,
        &Line::from(clip_spans(left, left_max)),
        left_max as u16,
    );
    if right_w > 0 {
        let x = area.right() - right_w as u16;
        put_line(
            buf,
            x,
            area.y,
            &Line::styled(right_text, style),
            right_w as u16,
        );
    }
}

/// The banner's left part: the environment, the endpoint when it is not AWS, then the service,
/// the account, the region, the clock and the firing alarms; `drop` leaves out the service
/// (1), also the clock and the endpoint's host (2), also the region (3).
fn banner_spans(
    state: &AppState,
    b: &crate::warroom::Banner,
    style: Style,
    bold: Style,
    theme: &Theme,
    drop: u8,
) -> Vec<Span<'static>> {
    let (service, clock, region) = (drop < 1, drop < 2, drop < 3);
    let lang = state.lang;
    let sep = || Span::styled(" │ ", style);
    let mut left: Vec<Span> = vec![Span::styled(" ", style)];
    if b.environment.trim().is_empty() {
        left.push(Span::styled(Msg::WarEnvUnset.text(lang), bold));
    } else if b.production {
        left.push(Span::styled(
            Msg::WarProduction.text(lang),
            bold.add_modifier(Modifier::REVERSED),
        ));
        left.push(Span::styled(" ", style));
        left.push(Span::styled(
            shown(state, &b.environment).into_owned(),
            bold,
        ));
    } else {
        left.push(Span::styled(
            shown(state, &b.environment).into_owned(),
            bold,
        ));
        left.push(Span::styled(
            format!(" ({})", Msg::WarNotProduction.text(lang)),
            style,
        ));
    }
    if let Some(e) = &b.endpoint {
        // Where the numbers come from stays at every width; the host goes first.
        left.push(sep());
        let text = if clock {
            Msg::WarEndpoint.fill(lang, &[&shown(state, e)])
        } else {
            Msg::WarNotAws.text(lang).to_string()
        };
        left.push(Span::styled(text, bold));
    }
    if service && !b.service.is_empty() {
        left.push(sep());
        left.push(Span::styled(shown(state, &b.service).into_owned(), style));
    }
    if let Some(a) = &b.account {
        left.push(sep());
        left.push(Span::styled(
            Msg::WarAccount.fill(lang, &[&shown(state, a)]),
            style,
        ));
    }
    if let Some(r) = b.region.as_ref().filter(|_| region) {
        left.push(sep());
        left.push(Span::styled(r.clone(), style));
    }
    if clock {
        left.push(sep());
        left.push(Span::styled(format!("{} UTC", hms(state.model.now)), bold));
    }
    left.push(sep());
    let firing = state.model.firing().count();
    if firing > 0 {
        left.push(Span::styled(
            format!(" {} ", Msg::AlarmsFiring.fill(lang, &[&firing])),
            theme.badge(Level::Crit),
        ));
    } else {
        left.push(Span::styled(Msg::HeaderNoFiring.text(lang), bold));
    }
    left
}

/// One tile: the title and the state word on the border, the number in 3-row digits (or in
/// bold text when there is no room), the detail line under it.
pub fn render_tile(area: Rect, buf: &mut Buffer, tile: &Tile, lang: Lang, ctx: &PaneCtx) {
    let theme = ctx.theme;
    let Some(inner) = chart::begin(area, buf, ctx, &tile.title, tile.level, &tile.word, "") else {
        return;
    };
    let style = match tile.value {
        Some(_) => theme
            .level(tile.level.max(Level::Ok))
            .add_modifier(Modifier::BOLD),
        None => theme.dim(),
    };
    let value = tile
        .value
        .clone()
        .unwrap_or_else(|| Msg::NoData.text(lang).to_string());
    let w = inner.width as usize;
    if inner.height >= 4 && tile.value.is_some() {
        // The number and unit big; else the number big and the unit in text beside it.
        let mut used = chart::big_text(inner, buf, &value, style);
        if used == 0 {
            let (num, unit) = chart::split_number(&value);
            used = chart::big_text(inner, buf, num, style);
            if used > 0 && !unit.is_empty() {
                let x = inner.x + used + 1;
                let room = inner.right().saturating_sub(x);
                put_line(
                    buf,
                    x,
                    inner.y + 2,
                    &Line::styled(fit(unit, room as usize).into_owned(), style),
                    room,
                );
            }
        }
        if used > 0 {
            chart::text_row(
                inner,
                buf,
                3,
                &Line::styled(fit(&tile.detail, w).into_owned(), theme.dim()),
            );
            return;
        }
    }
    let mut spans = vec![Span::styled(value, style)];
    if !tile.detail.is_empty() {
        spans.push(Span::styled("  ", theme.dim()));
        spans.push(Span::styled(tile.detail.clone(), theme.dim()));
    }
    chart::text_row(inner, buf, 0, &Line::from(clip_spans(spans, w)));
    if inner.height >= 2
        && width(&tile.detail) + width(&tile.value.clone().unwrap_or_default()) + 2 > w
    {
        chart::text_row(
            inner,
            buf,
            1,
            &Line::styled(fit(&tile.detail, w).into_owned(), theme.dim()),
        );
    }
}

/// The runbook step everyone is on: the alarm with its countdown (big when there is room),
/// the section, the step and its commands. With no section open, the console's runbook pane.
pub fn render_step(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let Some((_, _, section, walk)) = state.opened_full() else {
        render_pane(PaneId::Runbook, area, buf, state, ctx);
        return;
    };
    let theme = ctx.theme;
    let lang = state.lang;
    let title = vec![
        Span::styled(Msg::WarRunbook.text(lang), theme.border(ctx.focused)),
        Span::raw(" "),
        Span::styled(
            super::runbook::progress_in(walk, lang),
            Style::default().fg(theme.accent),
        ),
    ];
    let inner = pane_block(area, buf, title, ctx);
    if inner.is_empty() {
        return;
    }
    let w = inner.width as usize;
    let now = state.model.now;
    let opened = state.opened.as_ref();
    let alarm = opened.and_then(|o| state.model.alarms.iter().find(|a| a.def.name == o.alarm));
    let mut lines: Vec<Line> = Vec::new();

    // The alarm, its severity and deadline.
    let mut spans = Vec::new();
    if let Some(o) = opened {
        spans.push(Span::styled(
            shown(state, &o.alarm).into_owned(),
            Style::default().add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(a) = alarm {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            i18n::severity_word(a.def.severity, lang),
            theme.severity(a.def.severity),
        ));
    }
    let deadline = alarm.and_then(|a| Some((a, deadline_text_in(a, now, lang)?)));
    // The countdown as a clock in big digits under the alarm (`12:05 left`), when there is
    // room and the language puts the number first; else `12m05s left` beside the alarm.
    let clock = alarm.and_then(|a| Some((a, countdown_clock(a, now, lang)?)));
    let big = clock.as_ref().filter(|(_, text)| {
        inner.height >= 10
            && !chart::split_number(text).0.is_empty()
            && chart::big_width(text) as usize + width(text) <= w
    });
    if let (Some((a, text)), None) = (&deadline, big) {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(text.clone(), deadline_style(a, now, theme)));
    }
    lines.push(Line::from(spans));
    if big.is_some() {
        lines.extend([Line::raw(""), Line::raw(""), Line::raw("")]);
    }

    // The section.
    lines.push(Line::from(vec![
        Span::styled(Msg::RbSection.text(lang), theme.dim()),
        Span::styled(
            shown(state, &section.title).into_owned(),
            Style::default()
                .fg(theme.accent)
                .add_modifier(Modifier::BOLD),
        ),
    ]));

    // The step, its commands.
    match section.steps.get(walk.cursor) {
        None => lines.push(Line::styled(Msg::RbNoSteps.text(lang), theme.dim())),
        Some(step) => {
            lines.push(Line::styled(
                Msg::WarStep.fill(lang, &[&(walk.cursor + 1), &section.steps.len()]),
                Style::default().add_modifier(Modifier::BOLD),
            ));
            let text_style = Style::default().add_modifier(Modifier::BOLD);
            for l in wrap(&shown(state, &step.text), w) {
                lines.push(Line::styled(l, text_style));
            }
            for sub in &step.substeps {
                for l in wrap(&format!("- {}", shown(state, sub)), w) {
                    lines.push(Line::styled(l, theme.dim()));
                }
            }
            for cmd in step.commands.iter().flat_map(|c| c.lines()) {
                if cmd.trim().is_empty() {
                    continue;
                }
                let cmd = format!("$ {}", shown(state, cmd));
                for l in wrap(&cmd, w) {
                    lines.push(Line::styled(l, Style::default().fg(theme.accent)));
                }
            }
        }
    }
    for (i, l) in lines.into_iter().take(inner.height as usize).enumerate() {
        put_line(
            buf,
            inner.x,
            inner.y + i as u16,
            &Line::from(clip_spans(l.spans, w)),
            inner.width,
        );
    }
    if let Some((a, text)) = big {
        let rect = Rect {
            y: inner.y + 1,
            height: 3,
            ..inner
        };
        chart::big_text(rect, buf, text, deadline_style(a, now, theme));
    }
}

/// The deadline as a clock, `12:05 left` or `1:02:00 overdue` (in `lang`'s words).
fn countdown_clock(
    a: &crate::model::alarm::Alarm,
    now: crate::model::time::Ts,
    lang: Lang,
) -> Option<String> {
    let left = a.deadline_left(now)?;
    let t = left.abs();
    let clock = if t >= 3600 {
        format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
    } else {
        format!("{}:{:02}", t / 60, t % 60)
    };
    Some(if left >= 0 {
        Msg::AlarmLeft.fill(lang, &[&clock])
    } else {
        Msg::AlarmOverdue.fill(lang, &[&clock])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_fits_and_never_overlaps() {
        let sizes = [
            (128, 36),
            (160, 45),
            (80, 24),
            (40, 10),
            (1, 1),
            (0, 0),
            (200, 3),
        ];
        for ((w, h), gates) in sizes.into_iter().flat_map(|s| [(s, false), (s, true)]) {
            let area = Rect::new(0, 0, w, h);
            let l = layout(area, gates);
            let mut all = vec![l.banner];
            all.extend(l.gates);
            all.extend(&l.tiles);
            all.extend(l.charts);
            all.extend(l.bottom);
            for r in &all {
                assert!(
                    area.union(*r) == area || r.is_empty(),
                    "{r:?} outside {area:?}"
                );
            }
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    assert!(
                        a.intersection(*b).is_empty(),
                        "{a:?} overlaps {b:?} at {w}x{h}"
                    );
                }
            }
        }
        let l = layout(Rect::new(0, 0, 128, 36), false);
        assert_eq!(l.tiles.len(), 6);
        assert!(l.tiles.iter().all(|t| t.height == 6 && t.y == 1));
        let l = layout(Rect::new(0, 0, 80, 24), false);
        assert!(l.tiles.iter().all(|t| t.height == 3));
        assert_eq!(l.tiles[3].y, 4);
    }
}
