//! Deploy watch: the rollback gates row (one cell per gate: value, time in breach, countdown to
//! rollback expected).
//!
//! Three rows under the header:
//! - a rule titled with the deploy watched (`deploy 09:02 UTC, 7m00s ago`, its label, a
//!   rollback after it) or how to mark one, and a failing deploy detection;
//! - one cell per gate: `✖ Lambda error rate 14.8% > 5% for 2m · breach 3m00s · ROLLBACK
//!   EXPECTED`. Each state has its own symbol and words as well as its colour (✓ ok, ▲ breach
//!   with the countdown, ✖ ROLLBACK EXPECTED, ? no data);
//! - the softer manual-rollback criteria the same way (▲ `consider rollback` when met).
//!
//! A cell that does not fit drops, in turn, the duration of the limit, the time in breach, the
//! limit, then shortens the words and the name; the state and the value always stay.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::chart::{fmt_ms, fmt_pct, fmt_si};
use super::theme::Theme;
use super::{clip_spans, fit, put_line, width};
use crate::app::{AppState, Command};
use crate::deploy::{self, Watch};
use crate::i18n::{Lang, Msg};
use crate::model::gates::{Gate, GateState, GateStatus, Limit, Window};
use crate::model::threshold::Level;
use crate::model::time::{self, short_duration};

/// Between two cells.
const CELL_SEP: &str = " │ ";

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, theme: &Theme) {
    let area = area.intersection(*buf.area());
    if area.is_empty() {
        return;
    }
    let lang = state.lang;
    let w = watch_of(state);
    put_line(
        buf,
        area.x,
        area.y,
        &title(state, &w, area.width, theme),
        area.width,
    );
    if area.height < 2 {
        return;
    }
    let y = area.y + 1;
    if w.gates.is_empty() {
        let text = Msg::DeployNoGates.text(lang);
        put_line(buf, area.x, y, &Line::styled(text, theme.dim()), area.width);
    } else {
        let line = cells(&w.gates, Kind::Gate, area.width as usize, theme, lang);
        put_line(buf, area.x, y, &line, area.width);
    }
    if area.height < 3 || w.warnings.is_empty() {
        return;
    }
    let label = format!("{}: ", Msg::GateWarnings.text(lang));
    let lw = width(&label) as u16;
    let mut spans = Vec::new();
    let room = if area.width >= lw + 20 {
        spans.push(Span::styled(label, theme.dim()));
        area.width - lw
    } else {
        area.width
    };
    spans.extend(cells(&w.warnings, Kind::Warning, room as usize, theme, lang).spans);
    put_line(buf, area.x, area.y + 2, &Line::from(spans), area.width);
}

fn watch_of(state: &AppState) -> Watch<'_> {
    deploy::watch(state)
}

/// The rule with the title: what is watched, since when.
fn title(state: &AppState, w: &Watch, width_: u16, theme: &Theme) -> Line<'static> {
    let lang = state.lang;
    let now = state.model.now;
    let rule = Style::default().fg(theme.border);
    let mut spans = vec![
        Span::styled("─ ", rule),
        Span::styled(
            Msg::DeployTitle.text(lang).to_string(),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::styled(" · ", theme.dim()),
    ];
    match &w.deploy {
        Some(d) => {
            spans.push(Span::styled(
                Msg::DeployAt.fill(lang, &[&time::hm(d.at), &short_duration(now - d.at)]),
                Style::default()
                    .fg(theme.marker)
                    .add_modifier(Modifier::BOLD),
            ));
            spans.push(Span::styled(" · ", theme.dim()));
            spans.push(Span::styled(
                d.label.clone(),
                Style::default().fg(theme.marker),
            ));
            if let Some(rb) = d.rolled_back {
                spans.push(Span::styled(" · ", theme.dim()));
                spans.push(Span::styled(
                    Msg::DeployRolledBack.fill(lang, &[&time::hm(rb)]),
                    theme.level(Level::Warn),
                ));
            }
        }
        None => {
            let key = super::help::first_key(state, Command::MarkDeploy).unwrap_or("mark-deploy");
            spans.push(Span::styled(
                Msg::DeployNone.fill(lang, &[&key]),
                theme.dim(),
            ));
        }
    }
    if let Some(f) = state
        .model
        .faults
        .iter()
        .find(|f| f.scope == deploy::SCOPE_DEPLOYS)
    {
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(
            format!(
                "⚠ {}",
                Msg::DeployDetectFailing.fill(lang, &[&time::hms(f.since)])
            ),
            theme.level(Level::Warn).add_modifier(Modifier::BOLD),
        ));
    }
    spans.push(Span::raw(" "));
    let used: usize = spans.iter().map(|s| width(&s.content)).sum();
    let total = width_ as usize;
    if used < total {
        spans.push(Span::styled("─".repeat(total - used), rule));
    }
    Line::from(clip_spans(spans, total))
}

/// A gate (rollback expected) or a soft criterion (consider rollback).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gate,
    Warning,
}

/// The level a state is drawn in.
fn level_of(state: GateState, kind: Kind) -> Level {
    match (state, kind) {
        (GateState::NoData | GateState::NoNormal, _) => Level::NoData,
        (GateState::Ok, _) => Level::Ok,
        (GateState::Met { .. }, Kind::Gate) => Level::Crit,
        (GateState::Met { .. }, Kind::Warning) | (GateState::Breach { .. }, _) => Level::Warn,
    }
}

/// A value with its unit: `14.8%`, `1.39s`, `12`, `3 calls`.
pub fn fmt_value(v: f64, unit: &str) -> String {
    match unit {
        "%" => format!("{}%", fmt_pct(v)),
        "ms" => fmt_ms(v),
        "" => fmt_si(v),
        u => format!("{} {u}", fmt_si(v)),
    }
}

/// The limit: `> 5%`, `≥ 2× normal 610ms`; and its duration: `for 2m`, `in 1m`.
fn limit_text(gate: &Gate, status: &GateStatus, lang: Lang) -> (String, String) {
    let lim = match gate.limit {
        Limit::Above(x) | Limit::AtLeast(x) => {
            format!("{} {}", gate.limit.symbol(), fmt_value(x, &gate.unit))
        }
        Limit::TimesNormal(f) => {
            let normal = status
                .normal
                .map(|n| fmt_value(n, &gate.unit))
                .unwrap_or_else(|| "?".into());
            format!(
                "{} {}",
                gate.limit.symbol(),
                Msg::GateTimesNormal.fill(lang, &[&fmt_si(f), &normal])
            )
        }
    };
    let dur = match gate.window {
        Window::For(d) => Msg::GateFor.fill(lang, &[&short_minutes(d)]),
        Window::Within(d) => Msg::GateWithin.fill(lang, &[&short_minutes(d)]),
    };
    (lim, dur)
}

/// `2m`, `90m`, `1h`: a gate's duration (whole minutes).
fn short_minutes(secs: i64) -> String {
    if secs % 3600 == 0 && secs >= 3600 {
        format!("{}h", secs / 3600)
    } else {
        format!("{}m", secs / 60)
    }
}

/// The state in words, long and short.
fn words(status: &GateStatus, kind: Kind, lang: Lang) -> (Option<String>, String, String) {
    match status.state {
        GateState::NoData => {
            let long = match status.as_of {
                Some(t) => Msg::GateNoDataSince.fill(lang, &[&time::hm(t + 60)]),
                None => Msg::GateNoData.text(lang).to_string(),
            };
            (None, long, Msg::GateNoData.text(lang).to_string())
        }
        GateState::NoNormal => {
            let t = Msg::GateNoNormal.text(lang).to_string();
            (None, t.clone(), t)
        }
        GateState::Ok => {
            let t = Msg::GateOk.text(lang).to_string();
            (None, t.clone(), t)
        }
        GateState::Breach { breached, left, .. } => {
            let breach = Msg::GateBreach.fill(lang, &[&short_duration(breached)]);
            match kind {
                Kind::Gate => (
                    Some(breach),
                    Msg::GateRollbackIn.fill(lang, &[&short_duration(left)]),
                    Msg::GateLeftShort.fill(lang, &[&short_duration(left)]),
                ),
                Kind::Warning => (None, breach.clone(), breach),
            }
        }
        GateState::Met { breached, .. } => {
            let breach = Msg::GateBreach.fill(lang, &[&short_duration(breached)]);
            match kind {
                Kind::Gate => (
                    Some(breach),
                    Msg::GateRollbackExpected.text(lang).to_string(),
                    Msg::GateRollbackShort.text(lang).to_string(),
                ),
                Kind::Warning => (
                    Some(breach),
                    Msg::GateConsider.text(lang).to_string(),
                    Msg::GateConsider.text(lang).to_string(),
                ),
            }
        }
    }
}

/// One cell as spans, at most `max` cells wide.
fn cell(
    gate: &Gate,
    status: &GateStatus,
    kind: Kind,
    max: usize,
    theme: &Theme,
    lang: Lang,
) -> Vec<Span<'static>> {
    let level = level_of(status.state, kind);
    let style = theme.level(level);
    let value = status
        .value
        .map(|v| fmt_value(v, &gate.unit))
        .unwrap_or_else(|| "-".into());
    let (lim, dur) = limit_text(gate, status, lang);
    let (breach, long, short) = words(status, kind, lang);
    let words_style = if level == Level::Crit {
        theme.badge(level)
    } else {
        style.add_modifier(Modifier::BOLD)
    };
    let dot = || Span::styled(" · ", theme.dim());
    // Forms, longest first: (with the limit, with its duration, with the time in breach, long
    // words).
    let forms = [
        (true, true, true, true),
        (true, false, true, true),
        (true, false, false, true),
        (false, false, false, true),
        (false, false, false, false),
    ];
    let build = |(with_lim, with_dur, with_breach, long_words): (bool, bool, bool, bool),
                 name: &str| {
        let mut s = vec![
            Span::styled(format!("{} ", level.symbol()), style),
            Span::styled(name.to_string(), style),
            Span::raw(" "),
            Span::styled(value.clone(), style.add_modifier(Modifier::BOLD)),
        ];
        if with_lim {
            s.push(Span::styled(format!(" {lim}"), theme.dim()));
            if with_dur {
                s.push(Span::styled(format!(" {dur}"), theme.dim()));
            }
        }
        if let (true, Some(b)) = (with_breach, &breach) {
            s.push(dot());
            s.push(Span::styled(b.clone(), style));
        }
        s.push(if long_words { dot() } else { Span::raw(" ") });
        s.push(Span::styled(
            if long_words {
                long.clone()
            } else {
                short.clone()
            },
            words_style,
        ));
        s
    };
    let w = |spans: &[Span]| spans.iter().map(|s| width(&s.content)).sum::<usize>();
    for f in forms {
        let spans = build(f, &gate.name);
        if w(&spans) <= max {
            return spans;
        }
    }
    // The shortest form with the name cut to what is left (the state and value stay).
    let last = forms[forms.len() - 1];
    let rest = w(&build(last, "")).saturating_sub(0);
    let room = max.saturating_sub(rest);
    let name = if room >= 2 {
        fit(&gate.name, room).into_owned()
    } else {
        String::new()
    };
    clip_spans(build(last, &name), max)
}

/// Cells side by side in `max` columns, separated by ` │ `.
fn cells(
    list: &[(&Gate, GateStatus)],
    kind: Kind,
    max: usize,
    theme: &Theme,
    lang: Lang,
) -> Line<'static> {
    let n = list.len().max(1);
    let seps = width(CELL_SEP) * (n - 1);
    let each = max.saturating_sub(seps) / n;
    let mut spans = Vec::new();
    for (i, (gate, status)) in list.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(CELL_SEP, theme.dim()));
        }
        let c = cell(gate, status, kind, each, theme, lang);
        let cw: usize = c.iter().map(|s| width(&s.content)).sum();
        spans.extend(c);
        if i + 1 < n && cw < each {
            spans.push(Span::raw(" ".repeat(each - cw)));
        }
    }
    Line::from(clip_spans(spans, max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gates::DeployRules;

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn cells_shrink_but_keep_the_state_and_value() {
        let theme = Theme::default();
        let gate = DeployRules::default().gates[0].clone();
        let status = GateStatus {
            value: Some(14.83),
            level: Some(5.0),
            normal: None,
            as_of: Some(600),
            state: GateState::Met {
                since: 420,
                breached: 240,
            },
        };
        let long = text(&cell(&gate, &status, Kind::Gate, 200, &theme, Lang::En));
        assert_eq!(
            long,
            "✖ Lambda error rate 15% > 5% for 2m · breach 4m00s · ROLLBACK EXPECTED"
        );
        let mut last = long.clone();
        for max in (8..=80).rev() {
            let t = text(&cell(&gate, &status, Kind::Gate, max, &theme, Lang::En));
            assert!(width(&t) <= max, "{max}: {t}");
            assert!(t.starts_with('✖'), "{max}: {t}");
            if max >= 20 {
                assert!(t.contains("15%") && t.contains("ROLLBACK"), "{max}: {t}");
            }
            last = t;
        }
        assert!(width(&last) <= 8);

        let breach = GateStatus {
            state: GateState::Breach {
                since: 540,
                breached: 60,
                left: 60,
            },
            ..status
        };
        let t = text(&cell(&gate, &breach, Kind::Gate, 200, &theme, Lang::En));
        assert!(
            t.starts_with("▲ ") && t.ends_with("breach 1m00s · rollback in 1m00s"),
            "{t}"
        );
        let t = text(&cell(&gate, &breach, Kind::Gate, 24, &theme, Lang::En));
        assert!(t.ends_with("1m00s left"), "{t}");
        let warn = DeployRules::default().warnings[1].clone();
        let met = GateStatus {
            value: Some(1390.0),
            level: Some(1220.0),
            normal: Some(610.0),
            ..status
        };
        let t = text(&cell(&warn, &met, Kind::Warning, 200, &theme, Lang::En));
        assert_eq!(
            t,
            "▲ p95 latency 1.39s ≥ 2× normal 610ms for 1m · breach 4m00s · consider rollback"
        );
        let none = GateStatus {
            value: None,
            level: None,
            normal: None,
            as_of: None,
            state: GateState::NoData,
        };
        let t = text(&cell(&gate, &none, Kind::Gate, 200, &theme, Lang::Ja));
        assert_eq!(t, "? Lambda error rate - > 5% 2m 継続 · データなし");
    }
}
