//! Aurora connections per instance against max_connections (`profile-db-writer  writer
//! 84/100 ▕██████▏`), read / write latency, and a chart of connections with the threshold line.
//! Instances are listed worst first, then busiest; the chart draws the first few (legend
//! colours follow the rows). Pinned instances (see `picker`) replace the full list.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::chart::{self, Chart, Row, Unit};
use super::{picker, PaneCtx};
use crate::app::{AppState, PaneId};
use crate::i18n::{self, Msg};
use crate::model::metrics::keys;
use crate::model::series::Stat;
use crate::model::threshold::Level;

const CONNECTIONS: &str = "aurora/connections/";

/// One instance's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceStat {
    pub id: String,
    /// `writer` / `reader`, empty when the inventory does not know the instance.
    pub role: &'static str,
    pub max: Option<u32>,
    pub connections: Option<f64>,
    pub level: Level,
}

impl InstanceStat {
    /// Connections as a share of max_connections, when both are known.
    pub fn share(&self) -> Option<f64> {
        Some(self.connections? / self.max.filter(|m| *m > 0)? as f64)
    }
}

/// Worst first, then busiest (connections / max_connections, then connections), then by id.
pub fn sort(list: &mut [InstanceStat]) {
    chart::sort_worst_busiest(list, |i| i.level, |i| [i.share(), i.connections], |i| &i.id);
}

/// The instances of the inventory and any the metrics name that the inventory lacks, in
/// [`sort`] order.
pub fn instances(state: &AppState) -> Vec<InstanceStat> {
    let m = &state.model;
    let mut list: Vec<(String, &'static str, Option<u32>)> = m
        .inventory
        .db_instances
        .iter()
        .map(|d| {
            (
                d.id.clone(),
                d.role.word(),
                Some(d.max_connections).filter(|x| *x > 0),
            )
        })
        .collect();
    for k in m.keys_with_prefix(CONNECTIONS) {
        let id = &k[CONNECTIONS.len()..];
        if !list.iter().any(|(i, _, _)| i == id) {
            list.push((id.to_string(), "", None));
        }
    }
    let mut out: Vec<InstanceStat> = list
        .into_iter()
        .map(|(id, role, max)| {
            let key = keys::aurora_connections(&id);
            let connections = m.latest(&key);
            let level = match (m.threshold_for(&key), max) {
                (None, Some(max)) => chart::ratio_level(connections, max as f64),
                _ => m.level(&key),
            };
            InstanceStat {
                id,
                role,
                max,
                connections,
                level,
            }
        })
        .collect();
    sort(&mut out);
    out
}

/// The picker's numbers for an instance: `84/100` and its role (`writer`).
pub fn detail(i: &InstanceStat) -> (String, String) {
    (conn_text(i), i.role.to_string())
}

fn conn_text(i: &InstanceStat) -> String {
    let c = i
        .connections
        .map(chart::fmt_si)
        .unwrap_or_else(|| "-".into());
    match i.max {
        Some(max) => format!("{c}/{max}"),
        None => c,
    }
}

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let m = &state.model;
    let theme = ctx.theme;
    let all = instances(state);
    let lat = [
        (Msg::Read.text(state.lang), keys::DB_READ_LATENCY),
        (Msg::Write.text(state.lang), keys::DB_WRITE_LATENCY),
    ];
    // The state badge covers every instance, pinned or not.
    let level = chart::worst(
        all.iter().map(|i| i.level).chain(
            lat.iter()
                .filter(|(_, k)| m.threshold_for(k).is_some())
                .map(|(_, k)| m.level(k)),
        ),
    );
    let (list, note) = picker::apply_pins(state, PaneId::Aurora, all, |i| &i.id, |i| i.level);
    let Some(inner) = chart::begin(
        area,
        buf,
        ctx,
        i18n::pane_title(crate::app::PaneId::Aurora, state.lang),
        level,
        i18n::level_word(level, state.lang),
        &note,
    ) else {
        return;
    };
    // The headline: the most loaded instance (by share of max_connections, else by count).
    let top = list
        .iter()
        .filter(|i| i.connections.is_some())
        .max_by(|a, b| {
            let share = |i: &InstanceStat| {
                (
                    i.level,
                    i.connections.unwrap_or(0.0) / i.max.map_or(1.0, |x| x as f64),
                )
            };
            let (la, sa) = share(a);
            let (lb, sb) = share(b);
            la.cmp(&lb).then(sa.total_cmp(&sb))
        });
    let mut spans = Vec::new();
    let big = match top {
        Some(i) => {
            let style = theme
                .level(i.level.max(Level::Ok))
                .add_modifier(Modifier::BOLD);
            let text = Msg::Conn.fill(state.lang, &[&conn_text(i)]);
            spans.push(Span::styled(text.clone(), style));
            if list.len() > 1 {
                spans.push(Span::styled(format!(" {}", i.id), theme.dim()));
            }
            Some((text, style))
        }
        None => {
            let text = if list.is_empty() {
                Msg::NoAurora.text(state.lang)
            } else {
                Msg::NoData.text(state.lang)
            };
            spans.push(Span::styled(text, theme.dim()));
            None
        }
    };
    for (name, key) in lat {
        if let Some(v) = m.latest(key) {
            spans.push(chart::sep(theme));
            spans.push(Span::styled(format!("{name} "), theme.dim()));
            spans.push(Span::styled(
                Unit::Millis.fmt(v),
                chart::value_style(theme, m.threshold_for(key), Some(v)),
            ));
        }
    }
    let line = Line::from(spans);
    let th = list
        .iter()
        .find_map(|i| m.threshold_for(&keys::aurora_connections(&i.id)));

    // Deploy watch: since the deploy against the same span before it (when comparing).
    let cmp = chart::compare_line(
        state,
        &[("", "aurora/connections/*", Unit::Count)],
        theme,
        inner.width,
    );

    if ctx.compact || inner.height < 4 {
        let key = top.map(|i| keys::aurora_connections(&i.id));
        let series = key.as_deref().and_then(|k| m.series(k));
        let spark = chart::spark_buckets(state, series, inner.width, Stat::Maximum);
        let max = top.and_then(|i| i.max);
        chart::compact_cmp(
            inner,
            buf,
            &line,
            cmp.as_ref(),
            &spark,
            &|v| match (th, max) {
                (Some(th), _) => theme.level(th.level_of(v)),
                (None, Some(max)) => theme.level(chart::ratio_level(Some(v), max as f64)),
                (None, None) => theme.level(Level::Ok),
            },
        );
        return;
    }

    let used = chart::headline(
        inner,
        buf,
        big.as_ref().map(|(t, s)| (t.as_str(), *s)),
        &line,
    );
    let used = used + chart::compare_row(inner, buf, used, cmp.as_ref());
    // One chart line per instance for the first few rows; their names are the legend.
    let lines = list.len().min(theme.series.len());
    let rows = row_lines(&list, inner.width, lines, theme);
    let used = chart::rows_below(inner, used, buf, &rows, theme, state.lang);
    let mut c = Chart::new(chart::rows_from(inner, used), state, Unit::Count, theme);
    c.threshold(th, theme);
    for (n, i) in list.iter().take(lines).enumerate() {
        let color = theme.series[n];
        c.series(
            m.series(&keys::aurora_connections(&i.id)),
            Stat::Maximum,
            color,
        );
    }
    c.render(buf, theme);
}

/// `profile-db-writer  writer  84/100 ▕██████▏`
fn row_lines(
    list: &[InstanceStat],
    width: u16,
    legend: usize,
    theme: &super::theme::Theme,
) -> Vec<Row> {
    let w = width as usize;
    let id_w = chart::label_width(list.iter().map(|i| i.id.as_str()), w);
    let texts: Vec<String> = list.iter().map(conn_text).collect();
    let conn_w = texts.iter().map(|t| t.width()).max().unwrap_or(0);
    list.iter()
        .zip(texts)
        .enumerate()
        .map(|(n, (i, text))| {
            let id_style = if n < legend {
                theme.series[n].into()
            } else {
                theme.dim()
            };
            let style = theme.level(i.level);
            let mut spans = vec![
                Span::styled(chart::pad(&i.id, id_w), id_style),
                Span::raw(" "),
                Span::styled(format!("{:<6}", i.role), theme.dim()),
                Span::raw(" "),
                Span::styled(super::align_right(&text, conn_w), style),
                Span::raw(" "),
            ];
            let gauge_w = w.saturating_sub(id_w + 8 + conn_w + 1).min(16);
            if let (Some(c), Some(max), true) = (i.connections, i.max, gauge_w >= 5) {
                spans.extend(chart::gauge(gauge_w as u16, c / max as f64, style, theme));
            }
            Row {
                level: i.level,
                line: Line::from(spans),
            }
        })
        .collect()
}
