//! The runbook panel: the response procedure of the opened alarm as a checklist (done,
//! skipped, to do), with the deadline countdown, the commands to run (shown, never run), when
//! to escalate, and the progress. With nothing opened it says how to open one.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::alarms::{deadline_style, deadline_text, state_style};
use super::theme::Theme;
use super::{clip_spans, help, pane_block, put_line, width, wrap, PaneCtx};
use crate::app::{AppState, Command, Opened};
use crate::model::alarm::AlarmState;
use crate::model::runbook::{Section, StepMark, Walk};
use crate::model::time::short_duration;

/// `3/7 done, 1 skipped`.
pub fn progress(walk: &Walk) -> String {
    let done = walk.marks.iter().filter(|m| **m == StepMark::Done).count();
    let skipped = walk
        .marks
        .iter()
        .filter(|m| **m == StepMark::Skipped)
        .count();
    let mut s = format!("{done}/{} done", walk.marks.len());
    if skipped > 0 {
        s.push_str(&format!(", {skipped} skipped"));
    }
    s
}

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let theme = ctx.theme;
    let walk = state.opened_walk();
    let mut title = vec![Span::styled("Runbook", theme.border(ctx.focused))];
    if let Some((_, w)) = walk {
        title.push(Span::raw(" "));
        title.push(Span::styled(progress(w), Style::default().fg(theme.accent)));
    }
    let inner = pane_block(area, buf, title, ctx);
    if inner.is_empty() {
        return;
    }
    let w = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let Some(opened) = &state.opened else {
        closed(state, w, theme, &mut lines);
        draw(buf, inner, &lines, 0);
        return;
    };

    // Fixed header: the alarm and its countdown, the section, why this section.
    lines.push(alarm_line(state, opened, walk.map(|(s, _)| s), theme));
    // Why this section: two lines in a tall panel, one in a medium one, none in a small one
    // (where the steps need the room).
    let why_lines = match inner.height {
        14.. => 2,
        9..=13 => 1,
        _ => 0,
    };
    let Some((section, walk)) = walk else {
        let msg = match &opened.section {
            Some(r) => format!("runbook section {r} is not loaded"),
            None => "no runbook section for this alarm".to_string(),
        };
        lines.push(Line::styled(msg, Style::default().fg(theme.warn)));
        for l in wrap(&opened.why, w) {
            lines.push(Line::styled(l, theme.dim()));
        }
        draw(buf, inner, &lines, 0);
        return;
    };
    lines.push(Line::styled(
        section.title.clone(),
        Style::default()
            .fg(theme.accent)
            .add_modifier(Modifier::BOLD),
    ));
    let mut why = wrap(&opened.why, w);
    if why.len() > why_lines {
        why.truncate(why_lines);
        if let Some(last) = why.last_mut() {
            *last = super::fit(&format!("{last} …"), w).into_owned();
        }
    }
    lines.extend(why.into_iter().map(|l| Line::styled(l, theme.dim())));
    let head_h = (lines.len() as u16).min(inner.height);
    draw(buf, inner, &lines, 0);

    // The scrolling body: steps, then escalation.
    let body = Rect {
        y: inner.y + head_h,
        height: inner.height - head_h,
        ..inner
    };
    if body.is_empty() {
        return;
    }
    let (body_lines, cursor_span) = steps(section, walk, w, ctx);
    let h = body.height as usize;
    let (start, end) = cursor_span;
    if end <= h || h < 3 {
        let offset = if end <= h { 0 } else { (end - h).min(start) };
        draw(buf, body, &body_lines, offset);
        return;
    }
    // Scrolled: the first row says how much is above; the cursor step ends at the bottom
    // (or starts right under the marker when it is taller than the panel).
    let offset = (end - (h - 1)).min(start);
    let above = format!("  ↑ {offset} lines above");
    put_line(
        buf,
        body.x,
        body.y,
        &Line::styled(above, theme.dim()),
        body.width,
    );
    let rest = Rect {
        y: body.y + 1,
        height: body.height - 1,
        ..body
    };
    draw(buf, rest, &body_lines, offset);
}

fn draw(buf: &mut Buffer, area: Rect, lines: &[Line], offset: usize) {
    for (i, l) in lines
        .iter()
        .skip(offset)
        .take(area.height as usize)
        .enumerate()
    {
        let clipped = Line::from(clip_spans(l.spans.clone(), area.width as usize)).style(l.style);
        put_line(buf, area.x, area.y + i as u16, &clipped, area.width);
    }
}

/// Nothing opened: how to open a runbook, and the alarm that most needs one.
fn closed(state: &AppState, w: usize, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    let key = help::first_key(state, Command::Select).unwrap_or("Enter");
    let hint = format!("select an alarm and press {key} to open its runbook");
    lines.extend(
        wrap(&hint, w)
            .into_iter()
            .map(|l| Line::styled(l, theme.dim())),
    );
    if let Some(a) = state.model.firing().next() {
        let now = state.model.now;
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("top firing: ", theme.dim()),
            Span::styled(
                a.def.name.clone(),
                Style::default().add_modifier(Modifier::BOLD),
            ),
        ]));
        let mut detail = vec![Span::styled(
            a.def.severity.word(),
            theme.severity(a.def.severity),
        )];
        if let Some(d) = deadline_text(a, now) {
            detail.push(Span::raw("  "));
            detail.push(Span::styled(d, deadline_style(a, now, theme)));
        }
        lines.push(Line::from(detail));
    }
}

/// `NAME  Critical  12m05s left` (or the alarm's state when it is no longer firing).
fn alarm_line(
    state: &AppState,
    opened: &Opened,
    section: Option<&Section>,
    theme: &Theme,
) -> Line<'static> {
    let now = state.model.now;
    let alarm = state
        .model
        .alarms
        .iter()
        .find(|a| a.def.name == opened.alarm);
    let mut spans = vec![Span::styled(
        opened.alarm.clone(),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    let sev = alarm
        .map(|a| a.def.severity)
        .or(section.and_then(|s| s.severity));
    if let Some(sev) = sev {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(sev.word(), theme.severity(sev)));
    }
    if let Some(a) = alarm {
        spans.push(Span::raw("  "));
        match deadline_text(a, now) {
            Some(d) => spans.push(Span::styled(d, deadline_style(a, now, theme))),
            None => {
                let s = format!("{} for {}", a.state.word(), short_duration(now - a.since));
                spans.push(Span::styled(s, state_style(a.state, theme)));
            }
        }
        if a.state != AlarmState::Alarm {
            if let Some(f) = a.fired_at {
                spans.push(Span::styled(
                    format!(" (fired {} ago)", short_duration(now - f)),
                    theme.dim(),
                ));
            }
        }
    }
    Line::from(spans)
}

/// The checklist and escalation lines, and the line range of the cursor step.
fn steps(
    section: &Section,
    walk: &Walk,
    w: usize,
    ctx: &PaneCtx,
) -> (Vec<Line<'static>>, (usize, usize)) {
    let theme = ctx.theme;
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut cursor_span = (0, 0);
    let num_w = section.steps.len().to_string().len();
    let cmd_style = Style::default().fg(theme.accent);
    for (i, step) in section.steps.iter().enumerate() {
        let start = out.len();
        let mark = walk.marks.get(i).copied().unwrap_or_default();
        let is_cursor = i == walk.cursor;
        let (box_text, box_style, text_style) = match mark {
            StepMark::Done => (
                "[x]",
                Style::default().fg(theme.ok).add_modifier(Modifier::BOLD),
                theme.dim(),
            ),
            StepMark::Skipped => ("[-]", Style::default().fg(theme.warn), theme.dim()),
            StepMark::Todo => ("[ ]", Style::default(), Style::default()),
        };
        let text_style = if is_cursor {
            if ctx.focused {
                text_style.patch(theme.selected())
            } else {
                text_style.add_modifier(Modifier::BOLD)
            }
        } else {
            text_style
        };
        let prefix = format!("{box_text} {:>num_w$}. ", i + 1);
        let indent = 2 + width(&prefix);
        let text_w = w.saturating_sub(indent).max(8);
        for (j, l) in wrap(&step.text, text_w).into_iter().enumerate() {
            let mut spans = Vec::with_capacity(4);
            if j == 0 {
                spans.push(Span::styled(
                    if is_cursor { "▶ " } else { "  " },
                    Style::default().fg(theme.accent),
                ));
                spans.push(Span::styled(box_text, box_style));
                spans.push(Span::raw(prefix[box_text.len()..].to_string()));
            } else {
                spans.push(Span::raw(" ".repeat(indent)));
            }
            spans.push(Span::styled(l, text_style));
            out.push(Line::from(spans));
        }
        let sub_w = w.saturating_sub(indent + 2).max(8);
        for sub in &step.substeps {
            for (j, l) in wrap(sub, sub_w).into_iter().enumerate() {
                let lead = if j == 0 { "- " } else { "  " };
                out.push(Line::from(vec![
                    Span::raw(" ".repeat(indent)),
                    Span::styled(format!("{lead}{l}"), theme.dim()),
                ]));
            }
        }
        let mut continued = false;
        for cmd in step.commands.iter().flat_map(|c| c.lines()) {
            if cmd.trim().is_empty() {
                continue;
            }
            // A line after one ending in `\` continues the same command: no new prompt.
            let prompt = if continued { "  " } else { "$ " };
            continued = cmd.trim_end().ends_with('\\');
            // Commands keep their spacing unless they have to wrap.
            let parts = if width(cmd) <= sub_w {
                vec![cmd.to_string()]
            } else {
                wrap(cmd, sub_w)
            };
            for (j, l) in parts.into_iter().enumerate() {
                let lead = if j == 0 { prompt } else { "  " };
                out.push(Line::from(vec![
                    Span::raw(" ".repeat(indent)),
                    Span::styled(format!("{lead}{l}"), cmd_style),
                ]));
            }
        }
        if is_cursor {
            cursor_span = (start, out.len());
        }
    }
    if section.steps.is_empty() {
        out.push(Line::styled("this section lists no steps", theme.dim()));
    }
    if !section.escalation.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled(
            "Escalate when:",
            Style::default().fg(theme.warn).add_modifier(Modifier::BOLD),
        ));
        for e in &section.escalation {
            for (j, l) in wrap(e, w.saturating_sub(4).max(8)).into_iter().enumerate() {
                let lead = if j == 0 { "  • " } else { "    " };
                out.push(Line::raw(format!("{lead}{l}")));
            }
        }
    }
    (out, cursor_span)
}
