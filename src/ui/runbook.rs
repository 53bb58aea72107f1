//! The runbook panel: the response procedure of the opened alarm as a checklist (done,
//! skipped, to do), with the deadline countdown, the commands to run (shown, never run), when
//! to escalate, and the progress. With nothing opened it says how to open one. While
//! redaction is on, every text from the runbook and the alarms (step text, commands, notes,
//! names) is masked before it is wrapped; `copy` still copies the command as written.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::alarms::{deadline_style, deadline_text_in, state_style};
use super::theme::Theme;
use super::{clip_spans, help, pane_block, put_line, shown, width, wrap, PaneCtx};
use crate::app::{choices, step_act, AppState, Command, Opened, PaneId};
use crate::i18n::{self, Lang, Msg};
use crate::model::alarm::AlarmState;
use crate::model::escalation::{self, Parsed};
use crate::model::runbook::{Runbook, Section, StepMark, Walk};
use crate::model::time::{hm, short_duration};

/// `3/7 done, 1 skipped`.
pub fn progress(walk: &Walk) -> String {
    progress_in(walk, Lang::En)
}

/// [`progress`] in `lang`.
pub fn progress_in(walk: &Walk, lang: Lang) -> String {
    let done = walk.marks.iter().filter(|m| **m == StepMark::Done).count();
    let skipped = walk
        .marks
        .iter()
        .filter(|m| **m == StepMark::Skipped)
        .count();
    let mut s = Msg::RbStepsDone.fill(lang, &[&done, &walk.marks.len()]);
    if skipped > 0 {
        s.push_str(&Msg::RbSkipped.fill(lang, &[&skipped]));
    }
    s
}

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let theme = ctx.theme;
    let walk = state.opened_walk();
    let lang = state.lang;
    let mut title = vec![Span::styled(
        i18n::pane_title(PaneId::Runbook, lang),
        theme.border(ctx.focused),
    )];
    if let Some((_, w)) = walk {
        title.push(Span::raw(" "));
        title.push(Span::styled(
            progress_in(w, lang),
            Style::default().fg(theme.accent),
        ));
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
    let Some((reference, runbook, section, walk)) = state.opened_full() else {
        let msg = match &opened.section {
            Some(r) => Msg::RbSectionNotLoaded.fill(lang, &[r]),
            None => Msg::RbNoSection.text(lang).to_string(),
        };
        lines.push(Line::styled(msg, Style::default().fg(theme.warn)));
        for l in wrap(&shown(state, &opened.why), w) {
            lines.push(Line::styled(l, theme.dim()));
        }
        if let Some(k) = help::first_key(state, Command::PickSection) {
            lines.push(Line::from(vec![
                Span::styled(k.to_string(), key_style(theme)),
                Span::raw(Msg::RbPickHint.text(lang)),
            ]));
        }
        draw(buf, inner, &lines, 0);
        return;
    };
    lines.extend(section_lines(
        lang,
        &shown(state, &section.title),
        &shown(state, &opened.why),
        w,
        why_lines + 1,
        theme,
    ));
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
    let (body_lines, cursor_span) = steps(state, reference, runbook, section, walk, w, ctx);
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
    let above = Msg::RbLinesAbove.fill(lang, &[&offset]);
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
    let lang = state.lang;
    let hint = Msg::RbSelectHint.fill(lang, &[&key]);
    lines.extend(
        wrap(&hint, w)
            .into_iter()
            .map(|l| Line::styled(l, theme.dim())),
    );
    if let Some(a) = state.model.firing().next() {
        let now = state.model.now;
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(Msg::RbTopFiring.text(lang), theme.dim()),
            Span::styled(
                shown(state, &a.def.name).into_owned(),
                Style::default().add_modifier(Modifier::BOLD),
            ),
        ]));
        let mut detail = vec![Span::styled(
            i18n::severity_word(a.def.severity, lang),
            theme.severity(a.def.severity),
        )];
        if let Some(d) = deadline_text_in(a, now, lang) {
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
    let lang = state.lang;
    let alarm = state
        .model
        .alarms
        .iter()
        .find(|a| a.def.name == opened.alarm);
    let mut spans = vec![Span::styled(
        shown(state, &opened.alarm).into_owned(),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    let sev = alarm
        .map(|a| a.def.severity)
        .or(section.and_then(|s| s.severity));
    if let Some(sev) = sev {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            i18n::severity_word(sev, lang),
            theme.severity(sev),
        ));
    }
    if let Some(a) = alarm {
        spans.push(Span::raw("  "));
        match deadline_text_in(a, now, lang) {
            Some(d) => spans.push(Span::styled(d, deadline_style(a, now, theme))),
            None => {
                let s = Msg::RbStateFor.fill(
                    lang,
                    &[
                        &i18n::state_word(a.state, lang),
                        &short_duration(now - a.since),
                    ],
                );
                spans.push(Span::styled(s, state_style(a.state, theme)));
            }
        }
        if a.state != AlarmState::Alarm {
            if let Some(f) = a.fired_at {
                spans.push(Span::styled(
                    Msg::RbFiredAgo.fill(lang, &[&short_duration(now - f)]),
                    theme.dim(),
                ));
            }
        }
    }
    Line::from(spans)
}

/// `section: <title> — <why>`, wrapped to at most `max_lines` lines (the last cut with `…`);
/// the title stands out.
fn section_lines(
    lang: Lang,
    title: &str,
    why: &str,
    w: usize,
    max_lines: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let label = Msg::RbSection.text(lang);
    let head = format!("{label}{title}");
    let mut text = wrap(&format!("{head} — {why}"), w);
    if text.len() > max_lines {
        text.truncate(max_lines);
        if let Some(last) = text.last_mut() {
            *last = super::fit(&format!("{last} …"), w).into_owned();
        }
    }
    let title_style = Style::default()
        .fg(theme.accent)
        .add_modifier(Modifier::BOLD);
    text.into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i > 0 {
                return Line::styled(l, theme.dim());
            }
            // The first line: `section: ` dim, the title (as much as is on this line) bold.
            let Some(rest) = l.strip_prefix(label) else {
                return Line::styled(l, title_style);
            };
            let t_len = title
                .chars()
                .zip(rest.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a.len_utf8())
                .sum::<usize>();
            Line::from(vec![
                Span::styled(label, theme.dim()),
                Span::styled(rest[..t_len].to_string(), title_style),
                Span::styled(rest[t_len..].to_string(), theme.dim()),
            ])
        })
        .collect()
}

fn key_style(theme: &Theme) -> Style {
    Style::default()
        .fg(theme.accent)
        .add_modifier(Modifier::BOLD)
}

/// `f: focus Aurora connections`: a key hint line, indented; nothing when the command has
/// no key.
fn hint_line(
    state: &AppState,
    command: Command,
    what: String,
    indent: usize,
    theme: &Theme,
) -> Option<Line<'static>> {
    let k = help::first_key(state, command)?;
    Some(Line::from(vec![
        Span::raw(" ".repeat(indent)),
        Span::styled(k.to_string(), key_style(theme)),
        Span::styled(format!(": {what}"), Style::default().fg(theme.accent)),
    ]))
}

/// A runbook warning for the panel: `runbook <file name>: line N: <what>`.
pub fn warning_text(warning: &str) -> String {
    warning_text_in(warning, Lang::En)
}

/// [`warning_text`] in `lang` (the warning's own words stay as the loader wrote them).
pub fn warning_text_in(warning: &str, lang: Lang) -> String {
    // Warnings read `origin:line: what` or `origin: what`.
    if let Some((head, what)) = warning.split_once(": ") {
        if let Some((origin, line)) = head.rsplit_once(':') {
            if !line.is_empty() && line.chars().all(|c| c.is_ascii_digit()) {
                let file = origin.rsplit('/').next().unwrap_or(origin);
                return Msg::RbWarningAt.fill(lang, &[&file, &line, &what]);
            }
        }
    }
    Msg::RbWarning.fill(lang, &[&warning])
}

/// The lines of the section's escalation conditions, each evaluated against the model now.
fn escalation_lines(
    state: &AppState,
    section: &Section,
    w: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let text_w = w.saturating_sub(4).max(8);
    let crit = Style::default().fg(theme.crit).add_modifier(Modifier::BOLD);
    let lang = state.lang;
    for p in escalation::parse_all_in(&section.escalation, &section.title) {
        let (lead, style, text, detail) = match &p {
            Parsed::Check(c) => {
                let ev = escalation::evaluate(c, &state.model);
                let now = ev
                    .current
                    .as_ref()
                    .map(|r| Msg::RbNow.fill(lang, &[&c.format_value(r.value)]))
                    .unwrap_or_else(|| Msg::NoData.text(lang).into());
                match ev.met_since {
                    Some(since) => (
                        "⚠ ",
                        crit,
                        Msg::RbEscalateMet.fill(lang, &[&c.text, &hm(since)]),
                        format!("{}, {now}", c.describe()),
                    ),
                    None => {
                        let holding = match ev.holding_since {
                            Some(h) if c.duration > 0 => Msg::RbHolding.fill(
                                lang,
                                &[
                                    &short_duration(state.model.now - h),
                                    &escalation::duration_text(c.duration),
                                ],
                            ),
                            _ => String::new(),
                        };
                        (
                            "• ",
                            Style::default(),
                            Msg::RbWatching.fill(lang, &[&c.text]),
                            format!("{}, {now}{holding}", c.describe()),
                        )
                    }
                }
            }
            Parsed::Manual(t) => (
                "? ",
                Style::default().fg(theme.warn),
                Msg::RbConfirmByHand.fill(lang, &[t]),
                String::new(),
            ),
        };
        for (j, l) in wrap(&shown(state, &text), text_w).into_iter().enumerate() {
            let lead = if j == 0 { lead } else { "  " };
            out.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(format!("{lead}{l}"), style),
            ]));
        }
        if !detail.is_empty() {
            for l in wrap(&shown(state, &detail), text_w) {
                out.push(Line::styled(format!("    {l}"), theme.dim()));
            }
        }
    }
    out
}

/// The checklist (with sub-steps, notes, and under the current step what it offers: act,
/// copy, choices), the live escalation conditions and the runbook's warnings, and the line
/// range of the cursor step.
fn steps(
    state: &AppState,
    reference: &str,
    runbook: &Runbook,
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
    let notes = state.section_notes(reference);
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
        for (j, l) in wrap(&shown(state, &step.text), text_w)
            .into_iter()
            .enumerate()
        {
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
            for (j, l) in wrap(&shown(state, sub), sub_w).into_iter().enumerate() {
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
            // What the screen shows is masked; `copy` copies the command as written.
            let cmd = shown(state, cmd);
            let cmd = cmd.as_ref();
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
        for n in notes.iter().filter(|n| n.step == i) {
            let text = format!("✎ {} {}", hm(n.ts), shown(state, &n.text));
            for (j, l) in wrap(&text, sub_w).into_iter().enumerate() {
                let lead = if j == 0 { "" } else { "  " };
                out.push(Line::from(vec![
                    Span::raw(" ".repeat(indent)),
                    Span::styled(
                        format!("{lead}{l}"),
                        Style::default().add_modifier(Modifier::ITALIC),
                    ),
                ]));
            }
        }
        if is_cursor {
            out.extend(offers(state, step, indent, sub_w, theme));
            cursor_span = (start, out.len());
        }
    }
    if section.steps.is_empty() {
        out.push(Line::styled(Msg::RbNoSteps.text(state.lang), theme.dim()));
        // Text and shared sections: their readable text.
        for l in section.body.iter().filter(|l| !l.trim().is_empty()) {
            for part in wrap(&shown(state, l), w) {
                out.push(Line::raw(part));
            }
        }
    }
    if !section.escalation.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled(
            Msg::RbEscalateWhen.text(state.lang),
            Style::default().fg(theme.warn).add_modifier(Modifier::BOLD),
        ));
        out.extend(escalation_lines(state, section, w, theme));
    }
    if !runbook.warnings.is_empty() {
        out.push(Line::raw(""));
        for warning in &runbook.warnings {
            out.push(Line::styled(
                super::fit(&shown(state, &warning_text_in(warning, state.lang)), w).into_owned(),
                theme.dim(),
            ));
        }
    }
    (out, cursor_span)
}

/// What the current step offers: the note being typed, the act hint, the copy hint and the
/// choices (branches and links) with the armed one marked.
fn offers(
    state: &AppState,
    step: &crate::model::runbook::Step,
    indent: usize,
    sub_w: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(text) = &state.ui.note {
        out.push(Line::from(vec![
            Span::raw(" ".repeat(indent)),
            Span::styled(Msg::RbNote.text(state.lang), key_style(theme)),
            Span::styled(format!("{text}▏"), Style::default().fg(theme.accent)),
        ]));
    }
    if let Some(a) = step_act(step) {
        out.extend(hint_line(state, Command::Act, a.hint(), indent, theme));
    }
    let n_cmds = step
        .commands
        .iter()
        .filter(|c| !c.trim().is_empty())
        .count();
    if n_cmds > 0 {
        let what = if n_cmds > 1 {
            Msg::RbCopyN.fill(state.lang, &[&n_cmds])
        } else {
            Msg::RbCopyOne.text(state.lang).to_string()
        };
        out.extend(hint_line(state, Command::Copy, what, indent, theme));
    }
    let list = choices(state);
    if !list.is_empty() {
        let armed = state.ui.choice;
        for (i, c) in list.iter().enumerate() {
            let at = armed == Some(i);
            let text = format!("[{}] {} → {}", i + 1, c.label, c.title);
            let text = shown(state, &text);
            for (j, l) in wrap(&text, sub_w).into_iter().enumerate() {
                let lead = match (j, at) {
                    (0, true) => "▶ ",
                    _ => "  ",
                };
                let style = if at {
                    theme.selected()
                } else {
                    Style::default().fg(theme.accent)
                };
                out.push(Line::from(vec![
                    Span::raw(" ".repeat(indent.saturating_sub(2))),
                    Span::styled(lead, key_style(theme)),
                    Span::styled(l, style),
                ]));
            }
        }
        let what = match armed {
            Some(_) => {
                let sel = help::first_key(state, Command::Select).unwrap_or("enter");
                Msg::RbNextChoice.fill(state.lang, &[&sel])
            }
            None => Msg::RbChoose.text(state.lang).to_string(),
        };
        out.extend(hint_line(state, Command::Choose, what, indent, theme));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_read_file_and_line() {
        assert_eq!(
            warning_text("/x/runbooks/a.md:12: bad section id"),
            "runbook a.md: line 12: bad section id"
        );
        assert_eq!(
            warning_text("builtin:runbooks/a.md: the file has no text"),
            "runbook builtin:runbooks/a.md: the file has no text"
        );
        assert_eq!(
            warning_text_in("/x/runbooks/a.md:12: bad section id", Lang::Ja),
            "ランブック a.md: 12 行目: bad section id"
        );
    }
}
