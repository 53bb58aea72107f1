//! DynamoDB consumed capacity per table against provisioned capacity (`crypto-watch-data
//! R 62/50 W 12/25  throttles 31/min`; on-demand tables have no provisioned line), and a chart
//! of the worst table's consumed read and write units with its provisioned lines.
//! Tables are listed worst first, then busiest; pinned tables (see `picker`) replace the full
//! list.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::chart::{self, Chart, Row, Unit};
use super::{picker, PaneCtx};
use crate::app::{AppState, PaneId};
use crate::i18n::{self, Msg};
use crate::model::metrics::{keys, Capacity};
use crate::model::series::Stat;
use crate::model::threshold::Level;

/// Consumed capacity above this share of provisioned is WARN.
pub const WARN_SHARE: f64 = 0.8;

/// One table's numbers (units per second).
#[derive(Debug, Clone, PartialEq)]
pub struct TableStat {
    pub name: String,
    /// `None` for tables the inventory does not know (shown like on-demand, without a line).
    pub capacity: Option<Capacity>,
    pub read: Option<f64>,
    pub write: Option<f64>,
    pub throttles: Option<f64>,
    pub level: Level,
    /// The highest consumed / provisioned share (read or write), provisioned tables only.
    pub share: Option<f64>,
}

const PREFIXES: [&str; 3] = ["dynamo/read/", "dynamo/write/", "dynamo/throttles/"];

impl TableStat {
    /// Consumed read + write units per second.
    pub fn consumed(&self) -> Option<f64> {
        match (self.read, self.write) {
            (None, None) => None,
            (r, w) => Some(r.unwrap_or(0.0) + w.unwrap_or(0.0)),
        }
    }
}

/// Worst first, then busiest (throttles, then consumed / provisioned, then consumed units,
/// which is all on-demand tables have), then by name.
pub fn sort(list: &mut [TableStat]) {
    chart::sort_worst_busiest(
        list,
        |t| t.level,
        |t| [t.throttles, t.share, t.consumed()],
        |t| &t.name,
    );
}

/// The tables of the inventory and any the metrics name that the inventory lacks, in
/// [`sort`] order.
pub fn tables(state: &AppState) -> Vec<TableStat> {
    let m = &state.model;
    let mut list: Vec<(String, Option<Capacity>)> = m
        .inventory
        .tables
        .iter()
        .map(|t| (t.name.clone(), Some(t.capacity)))
        .collect();
    for p in PREFIXES {
        for k in m.keys_with_prefix(p) {
            let name = &k[p.len()..];
            if !list.iter().any(|(n, _)| n == name) {
                list.push((name.to_string(), None));
            }
        }
    }
    let mut out: Vec<TableStat> = list
        .into_iter()
        .map(|(name, capacity)| {
            let tkey = keys::dynamo_throttles(&name);
            let read = m.latest(&keys::dynamo_read(&name));
            let write = m.latest(&keys::dynamo_write(&name));
            let throttles = m.latest(&tkey);
            // Throttle events are CRIT: by the profile's threshold, or any event without one.
            let t_level = match m.threshold_for(&tkey) {
                Some(_) => m.level(&tkey),
                None => match throttles {
                    None => Level::NoData,
                    Some(t) if t > 0.0 => Level::Crit,
                    Some(_) => Level::Ok,
                },
            };
            let share = match capacity {
                Some(Capacity::Provisioned { rcu, wcu }) => {
                    let r = read.filter(|_| rcu > 0.0).map(|v| v / rcu);
                    let w = write.filter(|_| wcu > 0.0).map(|v| v / wcu);
                    match (r, w) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    }
                }
                _ => None,
            };
            let c_level = match (share, read.or(write)) {
                (Some(s), _) if s > WARN_SHARE => Level::Warn,
                (_, Some(_)) => Level::Ok,
                (_, None) => Level::NoData,
            };
            // A profile threshold on consumed units counts too.
            let u_level = chart::worst(
                [keys::dynamo_read(&name), keys::dynamo_write(&name)]
                    .iter()
                    .filter(|k| m.threshold_for(k).is_some())
                    .map(|k| m.level(k)),
            );
            let level = chart::worst([t_level, c_level, u_level]);
            TableStat {
                name,
                capacity,
                read,
                write,
                throttles,
                level,
                share,
            }
        })
        .collect();
    sort(&mut out);
    out
}

/// The picker's numbers for a table: `R 62/50 W 12/25` and `throttles 31/min`.
pub fn detail(t: &TableStat) -> (String, String) {
    let thr = t
        .throttles
        .map(|th| format!("throttles {}", Unit::PerMin.fmt(th)))
        .unwrap_or_default();
    (usage_text(t), thr)
}

fn units(v: Option<f64>, prov: Option<f64>) -> String {
    let v = v.map(chart::fmt_si).unwrap_or_else(|| "-".into());
    match prov {
        Some(p) => format!("{v}/{}", chart::fmt_si(p)),
        None => v,
    }
}

fn provisioned(t: &TableStat) -> (Option<f64>, Option<f64>) {
    match t.capacity {
        Some(Capacity::Provisioned { rcu, wcu }) => (Some(rcu), Some(wcu)),
        _ => (None, None),
    }
}

/// `R 62/50 W 12/25` or `R 12 W 3 on-demand`.
fn usage_text(t: &TableStat) -> String {
    let (rcu, wcu) = provisioned(t);
    let mut s = format!("R {} W {}", units(t.read, rcu), units(t.write, wcu));
    if t.capacity == Some(Capacity::OnDemand) {
        s.push_str(" on-demand");
    }
    s
}

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let m = &state.model;
    let theme = ctx.theme;
    let all = tables(state);
    let lang = state.lang;
    // The state badge covers every table, pinned or not.
    let level = chart::worst(all.iter().map(|t| t.level));
    let (list, note) = picker::apply_pins(state, PaneId::Dynamo, all, |t| &t.name, |t| t.level);
    let Some(inner) = chart::begin(
        area,
        buf,
        ctx,
        i18n::pane_title(crate::app::PaneId::Dynamo, state.lang),
        level,
        i18n::level_word(level, state.lang),
        &note,
    ) else {
        return;
    };
    // The worst table: by level, then by share of provisioned, then by consumption.
    let worst = list
        .iter()
        .filter(|t| t.read.is_some() || t.write.is_some() || t.throttles.is_some())
        .max_by(|a, b| {
            a.level
                .cmp(&b.level)
                .then(a.share.unwrap_or(0.0).total_cmp(&b.share.unwrap_or(0.0)))
                .then(
                    (a.read.unwrap_or(0.0) + a.write.unwrap_or(0.0))
                        .total_cmp(&(b.read.unwrap_or(0.0) + b.write.unwrap_or(0.0))),
                )
        });
    let mut spans = Vec::new();
    let mut big = None;
    match worst {
        Some(t) => {
            let style = theme
                .level(t.level.max(Level::Ok))
                .add_modifier(Modifier::BOLD);
            let head = match t.share {
                Some(s) => Msg::OfProvisioned.fill(lang, &[&chart::fmt_pct(s * 100.0)]),
                None => Msg::UnitsPerSec.fill(
                    lang,
                    &[&chart::fmt_si(
                        t.read.unwrap_or(0.0) + t.write.unwrap_or(0.0),
                    )],
                ),
            };
            big = Some((head.clone(), style));
            spans.push(Span::styled(head, style));
            if let Some(th) = t.throttles {
                spans.push(chart::sep(theme));
                spans.push(chart::throttle_span(th, theme, lang));
            }
            spans.push(chart::sep(theme));
            spans.push(Span::styled(t.name.clone(), theme.dim()));
            if ctx.compact || inner.height < 4 {
                spans.push(Span::styled(format!(" {}", usage_text(t)), theme.dim()));
            }
        }
        None if list.is_empty() => {
            spans.push(Span::styled(Msg::NoDynamo.text(state.lang), theme.dim()))
        }
        None => spans.push(Span::styled(Msg::NoData.text(state.lang), theme.dim())),
    }
    let line = Line::from(spans);
    let read_series = worst.and_then(|t| m.series(&keys::dynamo_read(&t.name)));
    let write_series = worst.and_then(|t| m.series(&keys::dynamo_write(&t.name)));

    // Deploy watch: since the deploy against the same span before it (when comparing).
    let cmp = chart::compare_line(
        state,
        &[
            ("R", "dynamo/read/*", Unit::PerSec),
            ("W", "dynamo/write/*", Unit::PerSec),
        ],
        theme,
        inner.width,
    );

    if ctx.compact || inner.height < 4 {
        let (from, to) = chart::window(state);
        let n = chart::bucket_count(from, to, inner.width as usize);
        let spark = chart::sum_buckets(
            read_series.into_iter().chain(write_series),
            from,
            to,
            n,
            Stat::Maximum,
        );
        let style = theme.level(worst.map_or(Level::NoData, |t| t.level.max(Level::Ok)));
        chart::compact_cmp(inner, buf, &line, cmp.as_ref(), &spark, &|_| style);
        return;
    }

    let used = chart::headline(
        inner,
        buf,
        big.as_ref().map(|(t, s)| (t.as_str(), *s)),
        &line,
    );
    let used = used + chart::compare_row(inner, buf, used, cmp.as_ref());
    let rows = row_lines(&list, inner.width, theme, state.lang);
    let used = chart::rows_below(inner, used, buf, &rows, theme, state.lang);
    let mut c = Chart::new(chart::rows_from(inner, used), state, Unit::PerSec, theme);
    if let Some(t) = worst {
        let (rcu, wcu) = provisioned(t);
        if let Some(r) = rcu {
            c.hline(r, theme.series[0], true);
        }
        if let Some(w) = wcu {
            c.hline(w, theme.series[1], true);
        }
    }
    c.series(write_series, Stat::Maximum, theme.series[1])
        .series(read_series, Stat::Maximum, theme.series[0]);
    c.render(buf, theme);
}

/// `crypto-watch-data  R 62/50 W 12/25  throttles 31/min`
fn row_lines(
    list: &[TableStat],
    width: u16,
    theme: &super::theme::Theme,
    lang: crate::i18n::Lang,
) -> Vec<Row> {
    let w = width as usize;
    let name_w = chart::label_width(list.iter().map(|t| t.name.as_str()), w);
    let usages: Vec<String> = list.iter().map(usage_text).collect();
    let usage_w = usages.iter().map(|u| u.width()).max().unwrap_or(0);
    list.iter()
        .zip(usages)
        .map(|(t, usage)| {
            let style = theme.level(t.level);
            let mut spans = vec![
                Span::styled(chart::pad(&t.name, name_w), theme.dim()),
                Span::raw(" "),
                Span::styled(super::align_left(&usage, usage_w), style),
            ];
            if let Some(th) = t.throttles {
                spans.push(Span::raw("  "));
                spans.push(chart::throttle_span(th, theme, lang));
            }
            Row {
                level: t.level,
                line: Line::from(spans),
            }
        })
        .collect()
}
