//! Error rate (% of requests) with its 4xx and 5xx parts, against the error-rate threshold.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::chart::{self, Chart, Unit};
use super::PaneCtx;
use crate::app::AppState;
use crate::i18n::{self, Msg};
use crate::model::metrics::keys;
use crate::model::series::Stat;
use crate::model::threshold::Level;

/// The pane's state: the worse of the error rate and the 5xx rate.
pub fn level(state: &AppState) -> Level {
    let m = &state.model;
    chart::worst([m.level(keys::ERROR_RATE), m.level(keys::ERROR_5XX)])
}

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let m = &state.model;
    let theme = ctx.theme;
    let level = level(state);
    let Some(inner) = chart::begin(
        area,
        buf,
        ctx,
        i18n::pane_title(crate::app::PaneId::Errors, state.lang),
        level,
        i18n::level_word(level, state.lang),
        "",
    ) else {
        return;
    };
    let th = m.threshold_for(keys::ERROR_RATE);
    let rate = m.latest(keys::ERROR_RATE);
    let rate_style = chart::value_style(theme, th, rate);
    let value = rate
        .map(|v| Unit::Percent.fmt(v))
        .unwrap_or_else(|| Msg::NoData.text(state.lang).into());
    let mut spans = vec![Span::styled(value.clone(), rate_style)];
    for (i, (name, key)) in [("4xx", keys::ERROR_4XX), ("5xx", keys::ERROR_5XX)]
        .into_iter()
        .enumerate()
    {
        if let Some(v) = m.latest(key) {
            spans.push(chart::sep(theme));
            spans.push(Span::styled(format!("{name} "), theme.series[i + 1]));
            spans.push(Span::styled(
                Unit::Percent.fmt(v),
                chart::value_style(theme, m.threshold_for(key), Some(v)),
            ));
        }
    }
    let line = Line::from(spans);
    let series = m.series(keys::ERROR_RATE);

    // Deploy watch: since the deploy against the same span before it (when comparing).
    let cmp = chart::compare_line(
        state,
        &[("", keys::ERROR_RATE, Unit::Percent)],
        theme,
        inner.width,
    );

    if ctx.compact || inner.height < 4 {
        let spark = chart::spark_buckets(state, series, inner.width, Stat::Maximum);
        chart::compact_cmp(inner, buf, &line, cmp.as_ref(), &spark, &|v| match th {
            Some(th) => theme.level(th.level_of(v)),
            None => theme.level(Level::Ok),
        });
        return;
    }

    let used = chart::headline(
        inner,
        buf,
        rate.map(|_| (value.as_str(), rate_style)),
        &line,
    );
    let used = used + chart::compare_row(inner, buf, used, cmp.as_ref());
    let mut c = Chart::new(chart::rows_from(inner, used), state, Unit::Percent, theme);
    c.threshold(th, theme)
        .series(m.series(keys::ERROR_4XX), Stat::Maximum, theme.series[1])
        .series(m.series(keys::ERROR_5XX), Stat::Maximum, theme.series[2])
        .series(series, Stat::Maximum, theme.series[0]);
    c.render(buf, theme);
}
