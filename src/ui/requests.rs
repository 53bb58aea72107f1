//! Request rate (req/min) against the same time yesterday. A surge (possible attack) or a drop
//! (possible outage) against the baseline is the pane's state.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::chart::{self, Chart, Unit};
use super::PaneCtx;
use crate::app::AppState;
use crate::i18n::{self, Msg};
use crate::model::metrics::keys;
use crate::model::series::Stat;
use crate::model::threshold::Level;
use crate::model::TrafficState;

/// The pane's state: level, badge word and note.
pub fn state_of(state: &AppState) -> (Level, &'static str, &'static str) {
    let m = &state.model;
    let lang = state.lang;
    match m.traffic_state() {
        TrafficState::Surge => (
            Level::Crit,
            Msg::Surge.text(lang),
            Msg::PossibleAttack.text(lang),
        ),
        TrafficState::Drop => (
            Level::Crit,
            Msg::Drop.text(lang),
            Msg::PossibleOutage.text(lang),
        ),
        TrafficState::Normal => {
            let l = m.level(keys::REQUESTS);
            (l, i18n::level_word(l, lang), "")
        }
        TrafficState::NoBaseline => {
            let l = m.level(keys::REQUESTS);
            (
                l,
                i18n::level_word(l, lang),
                if l == Level::NoData {
                    ""
                } else {
                    Msg::NoBaseline.text(lang)
                },
            )
        }
    }
}

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let m = &state.model;
    let theme = ctx.theme;
    let (level, word, note) = state_of(state);
    let Some(inner) = chart::begin(
        area,
        buf,
        ctx,
        i18n::pane_title(crate::app::PaneId::Requests, state.lang),
        level,
        word,
        note,
    ) else {
        return;
    };
    let now = m.latest(keys::REQUESTS);
    let base = m.latest(keys::REQUESTS_YESTERDAY);
    let value_style = match now {
        None => theme.dim(),
        Some(_) => theme
            .level(level.max(Level::Ok))
            .add_modifier(Modifier::BOLD),
    };
    let value = now
        .map(|v| Unit::ReqPerMin.fmt(v))
        .unwrap_or_else(|| Msg::NoData.text(state.lang).into());
    let mut spans = vec![Span::styled(value, value_style)];
    if let Some(b) = base {
        spans.push(chart::sep(theme));
        spans.push(Span::styled(
            Msg::Yesterday.fill(state.lang, &[&chart::fmt_count(b)]),
            theme.dim(),
        ));
        if let (Some(n), true) = (now, b > 0.0) {
            spans.push(Span::styled(
                format!(" ×{}", chart::fmt_si(n / b)),
                theme.level(level),
            ));
        }
    }
    let line = Line::from(spans);
    let series = m.series(keys::REQUESTS);

    // Deploy watch: since the deploy against the same span before it (when comparing).
    let cmp = chart::compare_line(
        state,
        &[("", keys::REQUESTS, Unit::ReqPerMin)],
        theme,
        inner.width,
    );

    if ctx.compact || inner.height < 4 {
        let spark = chart::spark_buckets(state, series, inner.width, Stat::Average);
        let style = theme.level(level.max(Level::Ok));
        chart::compact_cmp(inner, buf, &line, cmp.as_ref(), &spark, &|_| style);
        return;
    }

    // Big digits have no thousands separator: `1252 req/min`.
    let big = now.map(|v| {
        if v.abs() < 100_000.0 {
            format!("{v:.0} req/min")
        } else {
            Unit::ReqPerMin.fmt(v)
        }
    });
    let used = chart::headline(inner, buf, big.as_deref().map(|b| (b, value_style)), &line);
    let used = used + chart::compare_row(inner, buf, used, cmp.as_ref());
    let mut c = Chart::new(chart::rows_from(inner, used), state, Unit::ReqPerMin, theme);
    c.series(m.series(keys::REQUESTS_YESTERDAY), Stat::Average, theme.dim)
        .series(series, Stat::Average, theme.series[0]);
    c.render(buf, theme);
}
