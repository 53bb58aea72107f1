//! The alarms pane: every alarm of the profile and of the account's CloudWatch alarms, firing
//! first (the model keeps them sorted), with its state, severity, how long it has been in that
//! state and, while firing, the countdown to the response deadline. CloudWatch alarms carry a
//! `CW` tag before their name (`CW∑` for composite alarms). The highlighted alarm's reason is
//! shown under it or in a detail line when there is room; for a CloudWatch alarm the detail
//! also gives when its state began (`since HH:MM:SS`, UTC) and its condition. Names, reasons
//! and conditions are masked while redaction is on (before they are cut or wrapped).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::{clip_spans, fit, pad, pane_block, put_line, shown, width, wrap, PaneCtx};
use crate::app::{AppState, PaneId};
use crate::i18n::{self, Lang, Msg};
use crate::model::alarm::{Alarm, AlarmOrigin, AlarmState};
use crate::model::threshold::Level;
use crate::model::time::{hms, short_duration, Ts};

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let alarms = &state.model.alarms;
    let firing = state.model.firing().count();
    let theme = ctx.theme;
    let lang = state.lang;
    let mut title = vec![Span::styled(
        i18n::pane_title(PaneId::Alarms, lang),
        ctx.theme.border(ctx.focused),
    )];
    if firing > 0 {
        title.push(Span::raw(" "));
        title.push(Span::styled(
            Msg::AlarmsFiring.fill(lang, &[&firing]),
            theme.level(Level::Crit),
        ));
        title.push(Span::raw(format!(" / {}", alarms.len())));
    } else {
        title.push(Span::raw(
            Msg::AlarmsNoneFiring.fill(lang, &[&alarms.len()]),
        ));
    }
    let inner = pane_block(area, buf, title, ctx);
    if inner.is_empty() {
        return;
    }
    if alarms.is_empty() {
        put_line(
            buf,
            inner.x,
            inner.y,
            &Line::styled(Msg::AlarmsNone.text(lang), theme.dim()),
            inner.width,
        );
        return;
    }

    let now = state.model.now;
    let w = inner.width as usize;
    let h = inner.height as usize;
    let cursor = state.ui.alarm_cursor.min(alarms.len() - 1);
    let cols = Columns::for_width(w, alarms, now, lang);

    // Where the reasons go: under every alarm when all fit twice over, else a detail area
    // for the highlighted alarm at the bottom when the pane is tall enough.
    let reasons_inline = h >= 2 * alarms.len();
    let detail_h = if reasons_inline || h < 6 {
        0
    } else if h >= 10 {
        3
    } else {
        2
    };
    let rows_h = h - detail_h;
    let per_alarm = if reasons_inline { 2 } else { 1 };
    let visible = (rows_h / per_alarm).max(1);
    let offset = cursor.saturating_sub(visible - 1);

    let mut y = inner.y;
    for (i, alarm) in alarms.iter().enumerate().skip(offset).take(visible) {
        if y >= inner.y + rows_h as u16 {
            break;
        }
        let selected = i == cursor;
        let mut spans = row(alarm, now, &cols, selected, theme, lang, state.ui.redact);
        let used: usize = spans.iter().map(|s| width(&s.content)).sum();
        if selected && ctx.focused {
            // Reverse the whole row, to the edge.
            spans.push(Span::raw(" ".repeat(w.saturating_sub(used))));
            spans = spans
                .into_iter()
                .map(|s| s.patch_style(theme.selected()))
                .collect();
        }
        put_line(
            buf,
            inner.x,
            y,
            &Line::from(clip_spans(spans, w)),
            inner.width,
        );
        y += 1;
        if reasons_inline && y < inner.y + rows_h as u16 {
            let text = format!(
                "{}  {}",
                " ".repeat(cols.marker),
                shown(state, &inline_reason(alarm, lang))
            );
            put_line(
                buf,
                inner.x,
                y,
                &Line::styled(fit(&text, w).into_owned(), theme.dim()),
                inner.width,
            );
            y += 1;
        }
    }

    if detail_h > 0 {
        let a = &alarms[cursor];
        let top = inner.y + rows_h as u16;
        let name = shown(state, &a.def.name);
        let rule = match origin_tag(a.origin) {
            Some(tag) => format!("{} {tag} {name}", "─".repeat(2)),
            None => format!("{} {name}", "─".repeat(2)),
        };
        put_line(
            buf,
            inner.x,
            top,
            &Line::styled(fit(&rule, w).into_owned(), theme.dim()),
            inner.width,
        );
        let text = detail_text_in(a, lang);
        for (i, l) in wrap(&shown(state, &text), w)
            .into_iter()
            .take(detail_h - 1)
            .enumerate()
        {
            put_line(
                buf,
                inner.x,
                top + 1 + i as u16,
                &Line::styled(l, theme.dim()),
                inner.width,
            );
        }
    }
}

/// Column widths for one pane width.
struct Columns {
    marker: usize,
    /// 0: a one-cell state symbol instead of the word.
    state: usize,
    /// Severity word (wide) or tag (narrow).
    sev_word: bool,
    sev: usize,
    /// A separate "in state for" column (wide) — else it shares the time column.
    age: usize,
    time: usize,
    name: usize,
}

impl Columns {
    fn for_width(w: usize, alarms: &[Alarm], now: Ts, lang: Lang) -> Columns {
        let deadline_w = alarms
            .iter()
            .map(|a| width(&deadline_text_in(a, now, lang).unwrap_or_default()))
            .max()
            .unwrap_or(0);
        let age_w = alarms
            .iter()
            .map(|a| width(&short_duration(now - a.since)))
            .max()
            .unwrap_or(0);
        let wide = w >= 70;
        // The state column holds the longest state word (7 cells in English).
        let state_w = [
            AlarmState::Alarm,
            AlarmState::Ok,
            AlarmState::InsufficientData,
        ]
        .into_iter()
        .map(|s| width(i18n::state_word(s, lang)))
        .max()
        .unwrap_or(0)
        .max(7);
        let (state, sev_word, sev) = if w >= 70 {
            (state_w, true, 8)
        } else if w >= 50 {
            (state_w, false, 4)
        } else {
            (0, false, 4)
        };
        let (age, time) = if wide {
            (age_w, deadline_w)
        } else {
            (0, deadline_w.max(age_w))
        };
        let marker = 1;
        let state_cells = if state == 0 { 1 } else { state };
        let fixed = marker
            + 1
            + state_cells
            + 1
            + sev
            + 1
            + if age > 0 { age + 1 } else { 0 }
            + if time > 0 { time + 1 } else { 0 };
        let name = w.saturating_sub(fixed).max(4);
        Columns {
            marker,
            state,
            sev_word,
            sev,
            age,
            time,
            name,
        }
    }
}

/// The compact origin tag shown before a CloudWatch alarm's name: `CW` for a metric alarm,
/// `CW∑` for a composite alarm; none for profile alarms.
pub fn origin_tag(origin: AlarmOrigin) -> Option<&'static str> {
    match origin {
        AlarmOrigin::Profile => None,
        AlarmOrigin::CloudWatchMetric => Some("CW"),
        AlarmOrigin::CloudWatchComposite => Some("CW∑"),
    }
}

/// The line under an alarm when every reason fits: a CloudWatch alarm's reason starts with
/// when its state began.
fn inline_reason(a: &Alarm, lang: Lang) -> String {
    if a.is_cloud() {
        format!(
            "{}  {}",
            Msg::AlarmSince.fill(lang, &[&hms(a.since)]),
            a.reason
        )
    } else {
        a.reason.clone()
    }
}

/// The detail text of the highlighted alarm. Profile alarms: `reason. description`.
/// CloudWatch alarms: `since HH:MM:SS: reason. condition. description` (the description only
/// when it says something the condition does not).
pub fn detail_text(a: &Alarm) -> String {
    detail_text_in(a, Lang::En)
}

/// [`detail_text`] in `lang`.
pub fn detail_text_in(a: &Alarm, lang: Lang) -> String {
    let join = |mut text: String, more: &str| {
        if !more.is_empty() {
            if !text.is_empty() {
                text.push_str(if text.ends_with('.') { " " } else { ". " });
            }
            text.push_str(more);
        }
        text
    };
    if a.is_cloud() {
        let mut text = format!(
            "{}: {}",
            Msg::AlarmSince.fill(lang, &[&hms(a.since)]),
            a.reason
        );
        text = join(text, &a.condition);
        if a.def.description != a.condition {
            text = join(text, &a.def.description);
        }
        text
    } else {
        join(a.reason.clone(), &a.def.description)
    }
}

/// `12m05s left` or `OVERDUE 3m10s` for a firing alarm.
pub fn deadline_text(a: &Alarm, now: Ts) -> Option<String> {
    deadline_text_in(a, now, Lang::En)
}

/// [`deadline_text`] in `lang`.
pub fn deadline_text_in(a: &Alarm, now: Ts, lang: Lang) -> Option<String> {
    let left = a.deadline_left(now)?;
    Some(if left >= 0 {
        Msg::AlarmLeft.fill(lang, &[&short_duration(left)])
    } else {
        Msg::AlarmOverdue.fill(lang, &[&short_duration(-left)])
    })
}

/// The style of a deadline countdown: red once less than 20% of the deadline remains.
pub fn deadline_style(a: &Alarm, now: Ts, theme: &Theme) -> Style {
    match a.deadline_left(now) {
        Some(left) if left < 0 => theme.badge(Level::Crit),
        Some(left) if left * 5 < a.def.severity.deadline() => theme.level(Level::Crit),
        Some(_) => Style::default().fg(theme.warn),
        None => theme.dim(),
    }
}

pub fn state_style(s: AlarmState, theme: &Theme) -> Style {
    match s {
        AlarmState::Alarm => theme.level(Level::Crit),
        AlarmState::Ok => theme.level(Level::Ok),
        AlarmState::InsufficientData => theme.level(Level::NoData),
    }
}

fn state_symbol(s: AlarmState) -> &'static str {
    match s {
        AlarmState::Alarm => Level::Crit.symbol(),
        AlarmState::Ok => Level::Ok.symbol(),
        AlarmState::InsufficientData => Level::NoData.symbol(),
    }
}

fn row<'a>(
    a: &'a Alarm,
    now: Ts,
    c: &Columns,
    selected: bool,
    theme: &Theme,
    lang: Lang,
    redact: bool,
) -> Vec<Span<'a>> {
    let name = crate::model::redact::redact_if(redact, &a.def.name);
    let sev = a.def.severity;
    let mut spans = Vec::with_capacity(12);
    spans.push(Span::styled(
        if selected { "▶" } else { " " },
        Style::default().fg(theme.accent),
    ));
    spans.push(Span::raw(" "));
    let st = if c.state == 0 {
        state_symbol(a.state).to_string()
    } else {
        pad(i18n::state_word(a.state, lang), c.state)
    };
    spans.push(Span::styled(st, state_style(a.state, theme)));
    spans.push(Span::raw(" "));
    spans.push(Span::styled(
        pad(
            if c.sev_word {
                i18n::severity_word(sev, lang)
            } else {
                sev.tag()
            },
            c.sev,
        ),
        theme.severity(sev),
    ));
    spans.push(Span::raw(" "));
    let name_style = if a.state == AlarmState::Alarm {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    match origin_tag(a.origin) {
        Some(tag) => {
            let tag = format!("{tag} ");
            let rest = c.name.saturating_sub(width(&tag));
            spans.push(Span::styled(tag, Style::default().fg(theme.accent)));
            spans.push(Span::styled(pad(&name, rest), name_style));
        }
        None => spans.push(Span::styled(pad(&name, c.name), name_style)),
    }
    let age = short_duration(now - a.since);
    if c.age > 0 {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(super::align_right(&age, c.age), theme.dim()));
    }
    if c.time > 0 {
        spans.push(Span::raw(" "));
        match deadline_text_in(a, now, lang) {
            Some(d) => spans.push(Span::styled(
                super::align_right(&d, c.time),
                deadline_style(a, now, theme),
            )),
            // Narrow: the time column shows how long the alarm has been in its state.
            None if c.age == 0 => {
                spans.push(Span::styled(super::align_right(&age, c.time), theme.dim()))
            }
            None => spans.push(Span::raw(" ".repeat(c.time))),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alarm::{AlarmDef, Severity};
    use crate::model::series::Stat;
    use crate::model::threshold::Threshold;

    fn firing(sev: Severity, fired: Ts) -> Alarm {
        let def = AlarmDef {
            name: "X".into(),
            description: String::new(),
            series: "errors/rate".into(),
            period: 60,
            stat: Stat::Average,
            threshold: Threshold::above(None, Some(1.0)),
            severity: sev,
            runbook: None,
            log_filter: None,
            unit: String::new(),
        };
        Alarm {
            state: AlarmState::Alarm,
            fired_at: Some(fired),
            since: fired,
            ..Alarm::new(def, 0)
        }
    }

    #[test]
    fn countdown_text_and_colour() {
        let theme = Theme::default();
        let a = firing(Severity::Critical, 1000);
        assert_eq!(
            deadline_text(&a, 1000 + 175).as_deref(),
            Some("12m05s left")
        );
        assert_eq!(deadline_style(&a, 1000 + 175, &theme).fg, Some(theme.warn));
        // 179 s of 900 left: under 20%.
        assert_eq!(deadline_text(&a, 1000 + 721).as_deref(), Some("2m59s left"));
        assert_eq!(deadline_style(&a, 1000 + 721, &theme).fg, Some(theme.crit));
        assert_eq!(
            deadline_text(&a, 1000 + 900 + 190).as_deref(),
            Some("OVERDUE 3m10s")
        );
        assert_eq!(
            deadline_style(&a, 1000 + 900 + 190, &theme).bg,
            Some(theme.crit)
        );
        let ok = Alarm {
            state: AlarmState::Ok,
            ..a
        };
        assert_eq!(deadline_text(&ok, 2000), None);
    }

    fn cloud_state() -> AppState {
        use crate::model::alarm::{CloudAlarm, CloudAlarmRule};
        use crate::model::{Model, Profile, Update};
        let profile = Profile {
            cloud_alarms: vec![CloudAlarmRule {
                pattern: "Lambda*".into(),
                severity: Severity::Critical,
                runbook: None,
                log_filter: None,
            }],
            ..Profile::default()
        };
        // 2023-11-14 22:13:20 UTC
        let t = 1_700_000_000;
        let mut model = Model::new(profile, t + 125, 10);
        model.apply(Update::CloudAlarms(vec![
            CloudAlarm {
                name: "LambdaErrorAlarm".into(),
                composite: false,
                state: AlarmState::Alarm,
                reason:
                    "Threshold Crossed: 1 datapoint [10.0] was greater than the threshold (5.0)."
                        .into(),
                since: t,
                description: String::new(),
                condition: "AWS/Lambda Errors FunctionName=api Sum > 5 for 1 of 1 x 60s".into(),
                value: Some(10.0),
            },
            CloudAlarm {
                name: "ServiceDown".into(),
                composite: true,
                state: AlarmState::Ok,
                reason: "no child alarm firing".into(),
                since: t - 3600,
                description: "API down".into(),
                condition: "composite: ALARM(LambdaErrorAlarm) AND ALARM(Latency)".into(),
                value: None,
            },
            CloudAlarm {
                name: "TableThrottles".into(),
                composite: false,
                state: AlarmState::Ok,
                reason: "fine".into(),
                since: t - 7200,
                description: String::new(),
                condition: "AWS/DynamoDB ReadThrottleEvents Sum > 0 for 1 of 1 x 60s".into(),
                value: Some(0.0),
            },
            CloudAlarm {
                name: "AuroraConnections".into(),
                composite: false,
                state: AlarmState::InsufficientData,
                reason: "no datapoints".into(),
                since: t - 60,
                description: String::new(),
                condition: "AWS/RDS DatabaseConnections Maximum > 80 for 1 of 1 x 60s".into(),
                value: None,
            },
        ]));
        AppState::new(model, Vec::new(), Vec::new(), "aws".into())
    }

    fn rendered(state: &AppState, w: u16, h: u16) -> Vec<String> {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        let ctx = PaneCtx {
            focused: true,
            compact: false,
            theme: super::super::theme(),
        };
        render(area, &mut buf, state, &ctx);
        (0..h)
            .map(|y| {
                let mut line = String::new();
                let mut skip = 0;
                for x in 0..w {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    let sym = buf[(x, y)].symbol();
                    line.push_str(sym);
                    skip = width(sym).saturating_sub(1);
                }
                line.trim_end().to_string()
            })
            .collect()
    }

    #[test]
    fn cloud_alarms_show_origin_reason_condition_and_since() {
        let s = cloud_state();
        // Tall: every reason under its alarm, with when the state began.
        let rows = rendered(&s, 90, 10);
        let text = rows.join("\n");
        let first = rows
            .iter()
            .position(|r| r.contains("LambdaErrorAlarm"))
            .unwrap();
        assert!(rows[first].contains("ALARM"), "{text}");
        assert!(rows[first].contains("Critical"), "{text}");
        assert!(rows[first].contains("CW LambdaErrorAlarm"), "{text}");
        assert!(rows[first].contains("12m55s left"), "{text}");
        assert!(
            rows[first + 1].contains("since 22:13:20  Threshold Crossed"),
            "{text}"
        );
        let comp = rows.iter().position(|r| r.contains("ServiceDown")).unwrap();
        assert!(rows[comp].contains("CW∑ ServiceDown"), "{text}");
        assert!(rows[comp].contains("Medium"), "{text}");

        // Shorter: the detail area of the highlighted alarm gives reason and condition.
        let rows = rendered(&s, 90, 8);
        let text = rows.join("\n");
        assert!(text.contains("── CW LambdaErrorAlarm"), "{text}");
        assert!(
            text.contains("since 22:13:20: Threshold Crossed: 1 datapoint [10.0]"),
            "{text}"
        );
        let a = &s.model.alarms[0];
        assert_eq!(
            detail_text(a),
            "since 22:13:20: Threshold Crossed: 1 datapoint [10.0] was greater than the \
             threshold (5.0). AWS/Lambda Errors FunctionName=api Sum > 5 for 1 of 1 x 60s"
        );
        let c = s
            .model
            .alarms
            .iter()
            .find(|a| a.def.name == "ServiceDown")
            .unwrap();
        assert_eq!(
            detail_text(c),
            "since 21:13:20: no child alarm firing. composite: ALARM(LambdaErrorAlarm) AND \
             ALARM(Latency). API down"
        );
        assert_eq!(origin_tag(a.origin), Some("CW"));
        assert_eq!(origin_tag(c.origin), Some("CW∑"));

        // Narrow: still the tag and the name.
        let rows = rendered(&s, 40, 5);
        assert!(rows.iter().any(|r| r.contains("CW LambdaErr")), "{rows:?}");
    }
}
