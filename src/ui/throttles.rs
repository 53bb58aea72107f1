//! Lambda throttles and concurrency per function: `crypto-watch-api 98/100 ▕████▉▏ throttles
//! 14/min`, and a chart of throttles per function (or their sum when there are many).
//! Functions are listed worst first, then busiest; pinned functions (see `picker`) replace
//! the full list.

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

/// One function's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct FnStat {
    pub name: String,
    /// Reserved concurrency, or the account limit.
    pub limit: Option<u32>,
    pub concurrency: Option<f64>,
    pub throttles: Option<f64>,
    pub level: Level,
}

const THROTTLES: &str = "lambda/throttles/";
const CONCURRENCY: &str = "lambda/concurrency/";

impl FnStat {
    /// Concurrency as a share of the limit, when both are known.
    pub fn share(&self) -> Option<f64> {
        Some(self.concurrency? / self.limit.filter(|l| *l > 0)? as f64)
    }
}

/// Worst first, then busiest (concurrency / limit, then throttles, then concurrency), then
/// by name.
pub fn sort(fns: &mut [FnStat]) {
    chart::sort_worst_busiest(
        fns,
        |f| f.level,
        |f| [f.share(), f.throttles, f.concurrency],
        |f| &f.name,
    );
}

/// The functions of the inventory and any function the metrics name that the inventory
/// lacks, in [`sort`] order.
pub fn functions(state: &AppState) -> Vec<FnStat> {
    let m = &state.model;
    let inv = &m.inventory;
    let mut names: Vec<(String, Option<u32>)> = inv
        .functions
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                Some(inv.concurrency_limit(f)).filter(|l| *l > 0),
            )
        })
        .collect();
    for prefix in [THROTTLES, CONCURRENCY] {
        for k in m.keys_with_prefix(prefix) {
            let name = &k[prefix.len()..];
            if !names.iter().any(|(n, _)| n == name) {
                let limit = Some(inv.account_concurrency).filter(|l| *l > 0);
                names.push((name.to_string(), limit));
            }
        }
    }
    let mut fns: Vec<FnStat> = names
        .into_iter()
        .map(|(name, limit)| {
            let tkey = keys::lambda_throttles(&name);
            let ckey = keys::lambda_concurrency(&name);
            let throttles = m.latest(&tkey);
            let concurrency = m.latest(&ckey);
            let t_level = match m.threshold_for(&tkey) {
                Some(_) => m.level(&tkey),
                None => match throttles {
                    None => Level::NoData,
                    Some(t) if t > 0.0 => Level::Warn,
                    Some(_) => Level::Ok,
                },
            };
            let c_level = match (m.threshold_for(&ckey), limit) {
                (Some(_), _) => m.level(&ckey),
                (None, Some(l)) => chart::ratio_level(concurrency, l as f64),
                (None, None) => m.level(&ckey),
            };
            FnStat {
                name,
                limit,
                concurrency,
                throttles,
                level: t_level.max(c_level),
            }
        })
        .collect();
    sort(&mut fns);
    fns
}

/// The picker's numbers for a function: `98/100` and `throttles 14/min`.
pub fn detail(f: &FnStat) -> (String, String) {
    let thr = match f.throttles {
        Some(t) => format!("throttles {}", Unit::PerMin.fmt(t)),
        None => "throttles -".into(),
    };
    (conc_text(f), thr)
}

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let m = &state.model;
    let theme = ctx.theme;
    let all = functions(state);
    // The state badge covers every function, pinned or not.
    let level = chart::worst(all.iter().map(|f| f.level));
    let (fns, note) = picker::apply_pins(state, PaneId::Throttles, all, |f| &f.name, |f| f.level);
    let Some(inner) = chart::begin(
        area,
        buf,
        ctx,
        i18n::pane_title(crate::app::PaneId::Throttles, state.lang),
        level,
        i18n::level_word(level, state.lang),
        &note,
    ) else {
        return;
    };
    let total: Option<f64> = fns
        .iter()
        .filter_map(|f| f.throttles)
        .fold(None, |a, v| Some(a.unwrap_or(0.0) + v));
    let t_level = chart::worst(fns.iter().map(|f| {
        let k = keys::lambda_throttles(&f.name);
        if m.threshold_for(&k).is_some() {
            m.level(&k)
        } else {
            f.throttles.map_or(
                Level::NoData,
                |t| if t > 0.0 { Level::Warn } else { Level::Ok },
            )
        }
    }));
    let total_style = match total {
        None => theme.dim(),
        Some(_) => theme
            .level(t_level.max(Level::Ok))
            .add_modifier(Modifier::BOLD),
    };
    let value = total
        .map(|t| Msg::ThrottlesPerMin.fill(state.lang, &[&chart::fmt_si(t)]))
        .unwrap_or_else(|| {
            if fns.is_empty() {
                Msg::NoLambda.text(state.lang).into()
            } else {
                Msg::NoData.text(state.lang).into()
            }
        });
    let mut spans = vec![Span::styled(value.clone(), total_style)];
    // The most loaded function's concurrency, next to the total.
    let busiest = fns
        .iter()
        .filter_map(|f| Some((f, f.share()?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((f, _)) = busiest {
        spans.push(chart::sep(theme));
        spans.push(Span::styled(format!("{} ", f.name), theme.dim()));
        spans.push(Span::styled(conc_text(f), theme.level(f.level)));
    }
    let line = Line::from(spans);
    let series: Vec<_> = fns
        .iter()
        .filter_map(|f| m.series(&keys::lambda_throttles(&f.name)))
        .collect();
    let th = fns
        .iter()
        .find_map(|f| m.threshold_for(&keys::lambda_throttles(&f.name)));

    // Deploy watch: since the deploy against the same span before it (when comparing).
    let cmp = chart::compare_line(
        state,
        &[("", "lambda/throttles/*", Unit::PerMin)],
        theme,
        inner.width,
    );

    if ctx.compact || inner.height < 4 {
        let (from, to) = chart::window(state);
        let n = chart::bucket_count(from, to, inner.width as usize);
        let spark = chart::sum_buckets(series.iter().copied(), from, to, n, Stat::Maximum);
        chart::compact_cmp(inner, buf, &line, cmp.as_ref(), &spark, &|v| match th {
            Some(th) => theme.level(th.level_of(v)),
            None => theme.level(if v > 0.0 { Level::Warn } else { Level::Ok }),
        });
        return;
    }

    let used = chart::headline(
        inner,
        buf,
        total.map(|_| (value.as_str(), total_style)),
        &line,
    );
    let used = used + chart::compare_row(inner, buf, used, cmp.as_ref());
    let per_fn = fns.len() <= theme.series.len();
    let rows: Vec<Row> = row_lines(&fns, inner.width, per_fn, theme, state.lang);
    let used = chart::rows_below(inner, used, buf, &rows, theme, state.lang);
    let mut c = Chart::new(chart::rows_from(inner, used), state, Unit::PerMin, theme);
    c.threshold(th, theme);
    if per_fn {
        for (i, f) in fns.iter().enumerate() {
            c.series(
                m.series(&keys::lambda_throttles(&f.name)),
                Stat::Maximum,
                theme.series[i],
            );
        }
    } else {
        let (from, to) = c.range();
        let sum = chart::sum_buckets(series.iter().copied(), from, to, c.buckets(), Stat::Maximum);
        c.values(sum, theme.series[0]);
    }
    c.render(buf, theme);
}

fn conc_text(f: &FnStat) -> String {
    let c = f
        .concurrency
        .map(chart::fmt_si)
        .unwrap_or_else(|| "-".into());
    match f.limit {
        Some(l) => format!("{c}/{l}"),
        None => c,
    }
}

/// `name  98/100 ▕████▉▏ throttles 14/min`, names coloured as the chart legend when the chart
/// draws one line per function.
fn row_lines(
    fns: &[FnStat],
    width: u16,
    legend: bool,
    theme: &super::theme::Theme,
    lang: crate::i18n::Lang,
) -> Vec<Row> {
    let w = width as usize;
    let name_w = chart::label_width(fns.iter().map(|f| f.name.as_str()), w);
    let concs: Vec<String> = fns.iter().map(conc_text).collect();
    let conc_w = concs.iter().map(|c| c.width()).max().unwrap_or(0);
    fns.iter()
        .zip(concs)
        .enumerate()
        .map(|(i, (f, conc))| {
            let name_style = if legend {
                theme.series[i % theme.series.len()].into()
            } else {
                theme.dim()
            };
            let thr = match f.throttles {
                Some(t) => Msg::Throttles.fill(lang, &[&Unit::PerMin.fmt(t)]),
                None => Msg::Throttles.fill(lang, &[&"-"]),
            };
            let thr_style = match f.throttles {
                Some(t) if t > 0.0 => theme.level(Level::Warn.max(f.level)),
                _ => theme.dim(),
            };
            let lvl_style = theme.level(f.level);
            let mut spans = vec![
                Span::styled(chart::pad(&f.name, name_w), name_style),
                Span::raw(" "),
                Span::styled(super::align_right(&conc, conc_w), lvl_style),
                Span::raw(" "),
            ];
            let fixed = name_w + 1 + conc_w + 1 + thr.width() + 1;
            let gauge_w = w.saturating_sub(fixed).min(14);
            if gauge_w >= 5 {
                if let (Some(c), Some(l)) = (f.concurrency, f.limit) {
                    spans.extend(chart::gauge(gauge_w as u16, c / l as f64, lvl_style, theme));
                } else {
                    spans.push(Span::raw(" ".repeat(gauge_w)));
                }
                spans.push(Span::raw(" "));
            }
            spans.push(Span::styled(thr, thr_style));
            Row {
                level: f.level,
                line: Line::from(spans),
            }
        })
        .collect()
}
