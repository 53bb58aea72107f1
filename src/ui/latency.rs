//! Latency p50 / p95 / p99 on one chart, with the p95 warn/crit and p99 crit lines.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::chart::{self, Chart, Unit};
use super::PaneCtx;
use crate::app::AppState;
use crate::i18n;
use crate::model::metrics::keys;
use crate::model::series::Stat;
use crate::model::threshold::Level;

const LINES: [(&str, &str); 3] = [("p50", keys::P50), ("p95", keys::P95), ("p99", keys::P99)];

/// The pane's state: the worst of the three percentiles.
pub fn level(state: &AppState) -> Level {
    chart::worst(LINES.iter().map(|(_, k)| state.model.level(k)))
}

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let m = &state.model;
    let theme = ctx.theme;
    let level = level(state);
    let Some(inner) = chart::begin(
        area,
        buf,
        ctx,
        i18n::pane_title(crate::app::PaneId::Latency, state.lang),
        level,
        i18n::level_word(level, state.lang),
        "",
    ) else {
        return;
    };
    // The values line doubles as the legend: each name in its line's colour.
    let mut spans = Vec::with_capacity(8);
    for (i, (name, key)) in LINES.iter().enumerate() {
        if i > 0 {
            spans.push(chart::sep(theme));
        }
        let v = m.latest(key);
        spans.push(Span::styled(format!("{name} "), theme.series[i]));
        spans.push(Span::styled(
            v.map(chart::fmt_ms).unwrap_or_else(|| "-".into()),
            chart::value_style(theme, m.threshold_for(key), v),
        ));
    }
    let line = Line::from(spans);
    let p95_th = m.threshold_for(keys::P95);
    let p95 = m.latest(keys::P95);

    // Deploy watch: since the deploy against the same span before it (when comparing).
    let cmp = chart::compare_line(
        state,
        &[("p95", keys::P95, Unit::Millis)],
        theme,
        inner.width,
    );

    if ctx.compact || inner.height < 4 {
        let spark = chart::spark_buckets(state, m.series(keys::P95), inner.width, Stat::Maximum);
        chart::compact_cmp(inner, buf, &line, cmp.as_ref(), &spark, &|v| match p95_th {
            Some(th) => theme.level(th.level_of(v)),
            None => theme.level(Level::Ok),
        });
        return;
    }

    let big = p95.map(|v| format!("{} p95", chart::fmt_ms(v)));
    let big_style = chart::value_style(theme, p95_th, p95);
    let used = chart::headline(inner, buf, big.as_deref().map(|b| (b, big_style)), &line);
    let used = used + chart::compare_row(inner, buf, used, cmp.as_ref());
    let mut c = Chart::new(chart::rows_from(inner, used), state, Unit::Millis, theme);
    c.threshold(p95_th, theme);
    if let Some(crit) = m.threshold_for(keys::P99).and_then(|t| t.crit) {
        c.hline(crit, theme.crit_line, true);
    }
    for (i, (_, key)) in LINES.iter().enumerate() {
        c.series(m.series(key), Stat::Maximum, theme.series[i]);
    }
    c.render(buf, theme);
}
