//! The incident report: a Markdown document made from one incident's journal. It has what
//! the journal knows (summary, timeline, alarms and how long they fired, the runbook steps
//! done or skipped with who and when, notes, escalations, the key metrics around the incident
//! as text charts) and, as headings for the team to fill in, what the operations documents
//! ask a post-incident report to cover: cause, impact, actions, communication, verification,
//! prevention, review.
//!
//! The output depends only on the journal: the same file gives the same report.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::journal::{date_time, Entry, Kind, ReadLog};
use crate::model::alarm::{AlarmState, Severity};
use crate::model::runbook::StepMark;
use crate::model::time::{hms, short_duration, Ts, MINUTE};
use crate::ui::chart::fmt_si;

/// The widest text chart, in characters.
pub const CHART_WIDTH: usize = 60;
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    let one: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    one.trim().replace('|', "\\|")
}

fn offset(ts: Ts, opened: Ts) -> String {
    let d = ts - opened;
    if d < 0 {
        format!("-{}", short_duration(-d))
    } else {
        format!("+{}", short_duration(d))
    }
}

fn mark_word(mark: StepMark) -> &'static str {
    match mark {
        StepMark::Done => "done",
        StepMark::Skipped => "skipped",
        StepMark::Todo => "reset (undone)",
    }
}

fn state_word(state: AlarmState) -> &'static str {
    match state {
        AlarmState::Alarm => "**ALARM**",
        AlarmState::Ok => "OK",
        AlarmState::InsufficientData => "NO DATA",
    }
}

/// One alarm's stretches in ALARM during the incident.
#[derive(Debug, Clone, Default)]
struct AlarmRecord {
    severity: Option<Severity>,
    first_fired: Option<Ts>,
    /// (from, to); `to` is `None` while still in ALARM at the end of the journal.
    spells: Vec<(Ts, Option<Ts>)>,
    peak: Option<f64>,
    last_state: Option<AlarmState>,
}

/// The timeline's text for an entry (`None`: not on the timeline).
fn describe(e: &Entry) -> Option<String> {
    Some(match &e.kind {
        Kind::IncidentOpened {
            alarm,
            by_hand,
            severity,
            ..
        } => {
            let sev = severity
                .map(|s| format!(" ({})", s.word()))
                .unwrap_or_default();
            if *by_hand {
                format!("Incident opened by hand for {}{sev}", cell(alarm))
            } else {
                format!("Incident opened: {} fired{sev}", cell(alarm))
            }
        }
        Kind::AlarmTransition {
            alarm,
            state,
            value,
            ..
        } => {
            let v = value
                .map(|v| format!(" (value {})", fmt_si(v)))
                .unwrap_or_default();
            format!("{} → {}{v}", cell(alarm), state_word(*state))
        }
        Kind::StepMarked {
            section,
            step,
            text,
            mark,
        } => format!(
            "Step {} of `{}` {}: {}",
            step + 1,
            cell(section),
            mark_word(*mark),
            cell(text)
        ),
        Kind::Note {
            section,
            step,
            text,
        } => {
            let at = match (section, step) {
                (Some(s), Some(i)) => format!(" on step {} of `{}`", i + 1, cell(s)),
                (Some(s), None) => format!(" on `{}`", cell(s)),
                _ => String::new(),
            };
            format!("Note{at}: {}", cell(text))
        }
        Kind::SectionOpened {
            alarm,
            section,
            why,
        } => match section {
            Some(s) => format!(
                "Runbook `{}` opened for {} ({})",
                cell(s),
                cell(alarm),
                cell(why)
            ),
            None => format!("No runbook section for {} ({})", cell(alarm), cell(why)),
        },
        Kind::Escalation {
            section,
            condition,
            met_since,
        } => format!(
            "**Escalate**: {} (met since {}, `{}`)",
            cell(condition),
            hms(*met_since),
            cell(section)
        ),
        Kind::IncidentClosed { why, .. } => format!("Incident closed: {}", cell(why)),
        Kind::MetricSnapshot { .. } => return None,
    })
}

/// The series' points, merged over every snapshot (a later snapshot wins for the same minute).
fn metrics(entries: &[Entry]) -> BTreeMap<String, BTreeMap<Ts, f64>> {
    let mut out: BTreeMap<String, BTreeMap<Ts, f64>> = BTreeMap::new();
    for e in entries {
        if let Kind::MetricSnapshot { series, points } = &e.kind {
            let s = out.entry(series.clone()).or_default();
            for (t, v) in points {
                if v.is_finite() {
                    s.insert(*t, *v);
                }
            }
        }
    }
    out
}

/// A text chart of `points` over `[from, to)`: a sparkline of at most [`CHART_WIDTH`]
/// columns (each the mean of its bucket; a blank where there is no data), a ruler marking the
/// given times with `▲`, and min / max / last. `None` when no point falls in the window.
pub fn text_chart(
    name: &str,
    points: &BTreeMap<Ts, f64>,
    from: Ts,
    to: Ts,
    marks: &[Ts],
) -> Option<String> {
    let inside: Vec<(Ts, f64)> = points
        .range(from..to)
        .map(|(t, v)| (*t, *v))
        .filter(|(_, v)| v.is_finite())
        .collect();
    if inside.is_empty() || to <= from {
        return None;
    }
    let span = to - from;
    let n = ((span + MINUTE - 1) / MINUTE).clamp(1, CHART_WIDTH as i64) as usize;
    let col = |t: Ts| -> usize {
        (((t - from) as i128 * n as i128) / span as i128).clamp(0, n as i128 - 1) as usize
    };
    let mut sums = vec![(0.0f64, 0usize); n];
    for (t, v) in &inside {
        let c = col(*t);
        sums[c].0 += v;
        sums[c].1 += 1;
    }
    let means: Vec<Option<f64>> = sums
        .iter()
        .map(|(s, k)| (*k > 0).then(|| s / *k as f64))
        .collect();
    let lo = inside.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = inside.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let spark: String = means
        .iter()
        .map(|m| match m {
            None => ' ',
            Some(v) if hi > lo => {
                let f = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
                BARS[((f * 7.0).round() as usize).min(7)]
            }
            Some(_) => BARS[0],
        })
        .collect();
    let mut ruler = vec![' '; n];
    for m in marks {
        if (from..to).contains(m) {
            ruler[col(*m)] = '▲';
        }
    }
    let ruler: String = ruler.into_iter().collect::<String>().trim_end().to_string();
    let last = inside.last().map(|p| p.1).unwrap_or(lo);
    let mut s = format!(
        "{name}  min {}  max {}  last {}  ({} points)\n{spark}\n",
        fmt_si(lo),
        fmt_si(hi),
        fmt_si(last),
        inside.len()
    );
    if !ruler.is_empty() {
        s.push_str(&ruler);
        s.push('\n');
    }
    let left = crate::model::time::hm(from);
    let right = crate::model::time::hm(to);
    let gap = n.saturating_sub(left.len() + right.len()).max(1);
    let _ = writeln!(s, "{left}{}{right}", " ".repeat(gap));
    Some(s)
}

/// The Markdown report of one incident's journal (`id` is its file stem).
pub fn render(id: &str, log: &ReadLog) -> String {
    let entries = &log.entries;
    let mut md = String::new();
    let opened_entry = entries
        .iter()
        .find(|e| matches!(e.kind, Kind::IncidentOpened { .. }));
    let (opened, alarm, severity, source, service, by_hand) = match opened_entry {
        Some(Entry {
            ts,
            kind:
                Kind::IncidentOpened {
                    alarm,
                    severity,
                    source,
                    service,
                    by_hand,
                    ..
                },
            ..
        }) => (
            *ts,
            alarm.clone(),
            *severity,
            source.clone(),
            service.clone(),
            *by_hand,
        ),
        _ => (
            entries.iter().map(|e| e.ts).min().unwrap_or(0),
            "unknown alarm".to_string(),
            None,
            String::new(),
            String::new(),
            false,
        ),
    };
    let closed = entries.iter().find_map(|e| match &e.kind {
        Kind::IncidentClosed { why, resolved_at } => Some((e.ts, why.clone(), *resolved_at)),
        _ => None,
    });
    let last_ts = entries.iter().map(|e| e.ts).max().unwrap_or(opened);

    // Alarms and their spells in ALARM.
    let mut alarms: BTreeMap<String, AlarmRecord> = BTreeMap::new();
    for e in entries {
        if let Kind::AlarmTransition {
            alarm,
            state,
            severity,
            value,
        } = &e.kind
        {
            let r = alarms.entry(alarm.clone()).or_default();
            r.severity = r.severity.or(*severity);
            if let Some(v) = value {
                r.peak = Some(r.peak.map_or(*v, |p: f64| p.max(*v)));
            }
            let in_alarm = r.spells.last().is_some_and(|s| s.1.is_none());
            match (*state, in_alarm) {
                (AlarmState::Alarm, false) => {
                    r.first_fired.get_or_insert(e.ts);
                    r.spells.push((e.ts, None));
                }
                (AlarmState::Alarm, true) => {}
                (_, true) => {
                    if let Some(s) = r.spells.last_mut() {
                        s.1 = Some(e.ts);
                    }
                }
                (_, false) => {}
            }
            r.last_state = Some(*state);
        }
    }
    let worst = alarms
        .values()
        .filter_map(|r| r.severity)
        .chain(severity)
        .min();
    let resolved = closed.as_ref().and_then(|c| c.2).or_else(|| {
        // Open, but every alarm has recovered: the last recovery.
        let all_ok = !alarms.is_empty()
            && alarms
                .values()
                .all(|r| r.last_state == Some(AlarmState::Ok));
        all_ok
            .then(|| {
                alarms
                    .values()
                    .flat_map(|r| r.spells.iter().filter_map(|s| s.1))
                    .max()
            })
            .flatten()
    });
    let end = resolved.or(closed.as_ref().map(|c| c.0)).unwrap_or(last_ts);

    // Title and summary.
    let _ = writeln!(md, "# Incident report: {}", cell(&alarm));
    md.push('\n');
    if log.torn.is_some() || !log.bad_lines.is_empty() {
        let _ = writeln!(
            md,
            "> Journal note: {}{}.\n",
            if log.torn.is_some() {
                "the last line was cut off by a crash while being written (dropped)"
            } else {
                ""
            },
            if log.bad_lines.is_empty() {
                String::new()
            } else {
                format!(
                    "{}{} unreadable line(s) skipped (line {})",
                    if log.torn.is_some() { "; " } else { "" },
                    log.bad_lines.len(),
                    log.bad_lines
                        .iter()
                        .map(|b| b.0.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
    }
    let _ = writeln!(md, "## Summary\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| Incident | `{}` |", cell(id));
    if !service.is_empty() || !source.is_empty() {
        let both = match (service.is_empty(), source.is_empty()) {
            (false, false) => format!("{} ({})", cell(&service), cell(&source)),
            (false, true) => cell(&service),
            _ => cell(&source),
        };
        let _ = writeln!(md, "| Service | {both} |");
    }
    let _ = writeln!(
        md,
        "| Severity | {} |",
        worst
            .map(|s| format!("{} (respond within {})", s.word(), s.deadline_text()))
            .unwrap_or_else(|| "not recorded".into())
    );
    let _ = writeln!(
        md,
        "| Opened | {} UTC{} |",
        date_time(opened),
        if by_hand { ", by hand" } else { "" }
    );
    let _ = writeln!(
        md,
        "| Resolved | {} |",
        resolved
            .map(|r| format!("{} UTC", date_time(r)))
            .unwrap_or_else(|| "not yet".into())
    );
    let _ = writeln!(
        md,
        "| Closed | {} |",
        closed
            .as_ref()
            .map(|(t, why, _)| format!("{} UTC ({})", date_time(*t), cell(why)))
            .unwrap_or_else(|| format!("still open (last entry {} UTC)", date_time(last_ts)))
    );
    let _ = writeln!(
        md,
        "| Duration | {}{} |",
        short_duration(end - opened),
        if resolved.is_some() {
            " (opened to resolved)"
        } else if closed.is_some() {
            " (opened to closed)"
        } else {
            " so far"
        }
    );
    let first_action = entries.iter().find(|e| {
        e.ts >= opened
            && matches!(
                e.kind,
                Kind::StepMarked { .. } | Kind::Note { .. } | Kind::SectionOpened { .. }
            )
    });
    let _ = writeln!(
        md,
        "| Time to first action | {} |",
        match first_action {
            Some(e) => {
                let took = e.ts - opened;
                let deadline = worst
                    .map(|s| {
                        if took <= s.deadline() {
                            format!(", within the {} deadline", s.deadline_text())
                        } else {
                            format!(
                                ", {} past the {} deadline",
                                short_duration(took - s.deadline()),
                                s.deadline_text()
                            )
                        }
                    })
                    .unwrap_or_default();
                let what = match &e.kind {
                    Kind::StepMarked { step, mark, .. } => {
                        format!("step {} {}", step + 1, mark_word(*mark))
                    }
                    Kind::Note { .. } => "a note".into(),
                    _ => "runbook opened".into(),
                };
                format!(
                    "{} ({what} by {}{deadline})",
                    short_duration(took),
                    cell(&e.who)
                )
            }
            None => "no action recorded".into(),
        }
    );
    let mut who: Vec<&str> = entries
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                Kind::StepMarked { .. }
                    | Kind::Note { .. }
                    | Kind::SectionOpened { .. }
                    | Kind::Escalation { .. }
            )
        })
        .map(|e| e.who.as_str())
        .filter(|w| !w.is_empty())
        .collect();
    who.sort();
    who.dedup();
    if !who.is_empty() {
        let _ = writeln!(
            md,
            "| Responders | {} |",
            who.iter().map(|w| cell(w)).collect::<Vec<_>>().join(", ")
        );
    }
    md.push('\n');

    // Timeline.
    let _ = writeln!(md, "## Timeline\n");
    let _ = writeln!(md, "| Time (UTC) | Since opened | Who | Event |");
    let _ = writeln!(md, "|---|---|---|---|");
    let mut timeline: Vec<&Entry> = entries.iter().filter(|e| describe(e).is_some()).collect();
    timeline.sort_by_key(|e| e.ts);
    for e in &timeline {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            hms(e.ts),
            offset(e.ts, opened),
            cell(&e.who),
            describe(e).unwrap_or_default()
        );
    }
    md.push('\n');

    // Alarms.
    let _ = writeln!(md, "## Alarms\n");
    if alarms.is_empty() {
        let _ = writeln!(md, "No alarm transitions recorded.\n");
    } else {
        let _ = writeln!(
            md,
            "| Alarm | Severity | First fired | Recovered | Time in ALARM | Times fired | Peak value |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|");
        let mut rows: Vec<(&String, &AlarmRecord)> = alarms.iter().collect();
        rows.sort_by_key(|(name, r)| (r.first_fired.unwrap_or(Ts::MAX), (*name).clone()));
        for (name, r) in rows {
            let total: Ts = r.spells.iter().map(|(a, b)| b.unwrap_or(last_ts) - a).sum();
            let still = r.spells.last().is_some_and(|s| s.1.is_none());
            let recovered = match r.spells.last() {
                Some((_, Some(t))) => hms(*t),
                Some((_, None)) => "still in ALARM".into(),
                None => "-".into(),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {}{} | {} | {} |",
                cell(name),
                r.severity.map(|s| s.word()).unwrap_or("-"),
                r.first_fired.map(hms).unwrap_or_else(|| "-".into()),
                recovered,
                short_duration(total),
                if still { " so far" } else { "" },
                r.spells.len(),
                r.peak.map(fmt_si).unwrap_or_else(|| "-".into()),
            );
        }
        md.push('\n');
    }

    // Steps: the final mark of each step, with who and when.
    let _ = writeln!(md, "## Runbook steps\n");
    let mut sections: Vec<String> = Vec::new();
    let mut steps: BTreeMap<(String, usize), &Entry> = BTreeMap::new();
    for e in entries {
        if let Kind::StepMarked { section, step, .. } = &e.kind {
            if !sections.contains(section) {
                sections.push(section.clone());
            }
            steps.insert((section.clone(), *step), e);
        }
    }
    if sections.is_empty() {
        let _ = writeln!(md, "No runbook steps were marked.\n");
    }
    for section in &sections {
        let _ = writeln!(md, "### `{}`\n", cell(section));
        let _ = writeln!(
            md,
            "| # | Step | Result | Who | When (UTC) | Since opened |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|");
        let mut done = 0;
        let mut skipped = 0;
        for ((_, i), e) in steps.range((section.clone(), 0)..=(section.clone(), usize::MAX)) {
            if let Kind::StepMarked { text, mark, .. } = &e.kind {
                match mark {
                    StepMark::Done => done += 1,
                    StepMark::Skipped => skipped += 1,
                    StepMark::Todo => {}
                }
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    i + 1,
                    cell(text),
                    mark_word(*mark),
                    cell(&e.who),
                    hms(e.ts),
                    offset(e.ts, opened)
                );
            }
        }
        let _ = writeln!(md, "\n{done} done, {skipped} skipped.\n");
    }

    // Notes and escalations.
    let _ = writeln!(md, "## Notes\n");
    let notes: Vec<&Entry> = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::Note { .. }))
        .collect();
    if notes.is_empty() {
        let _ = writeln!(md, "No notes.\n");
    } else {
        for e in notes {
            let _ = writeln!(
                md,
                "- {} ({}), {}: {}",
                hms(e.ts),
                offset(e.ts, opened),
                cell(&e.who),
                describe(e)
                    .unwrap_or_default()
                    .trim_start_matches("Note")
                    .trim_start_matches(':')
                    .trim()
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "## Escalations\n");
    let escalations: Vec<&Entry> = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::Escalation { .. }))
        .collect();
    if escalations.is_empty() {
        let _ = writeln!(md, "No escalation condition was met.\n");
    } else {
        for e in escalations {
            let _ = writeln!(
                md,
                "- {} ({}): {}",
                hms(e.ts),
                offset(e.ts, opened),
                describe(e).unwrap_or_default()
            );
        }
        md.push('\n');
    }

    // Key metrics.
    let from = opened - crate::journal::METRIC_MARGIN;
    let to = end + crate::journal::METRIC_MARGIN;
    let _ = writeln!(
        md,
        "## Key metrics\n\nFrom {} to {} UTC (15 min either side of the incident); ▲ marks when it opened{}.\n",
        date_time(from),
        date_time(to),
        if resolved.is_some() { " and resolved" } else { "" }
    );
    let series = metrics(entries);
    let marks: Vec<Ts> = std::iter::once(opened).chain(resolved).collect();
    let charts: Vec<String> = series
        .iter()
        .filter_map(|(name, pts)| text_chart(name, pts, from, to, &marks))
        .collect();
    if charts.is_empty() {
        let _ = writeln!(md, "No metrics were recorded with this incident.\n");
    } else {
        md.push_str("```text\n");
        md.push_str(&charts.join("\n"));
        md.push_str("```\n\n");
    }

    // For the team.
    let _ = writeln!(
        md,
        "---\n\nTo be completed by the team after the incident:\n"
    );
    for (heading, hint) in [
        (
            "Cause",
            "What failed, and the root cause behind it (not only the trigger).",
        ),
        (
            "Impact",
            "Who and what was affected, for how long: users, endpoints, error rate, data.",
        ),
        (
            "Actions taken",
            "The fix or rollback applied, and by whom; anything done outside the runbook.",
        ),
        (
            "Communication",
            "How and when users and stakeholders were told.",
        ),
        ("Verification", "How recovery was confirmed after the fix."),
        (
            "Prevention",
            "What will stop it happening again: owners and dates.",
        ),
        ("Review", "Who reviewed this report, and when."),
    ] {
        let _ = writeln!(md, "## {heading}\n\n_{hint}_\n");
    }
    while md.ends_with("\n\n") {
        md.pop();
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{parse, Entry, Kind};

    const T0: Ts = 1_741_946_880; // 2025-03-14 10:08:00 UTC

    fn e(ts: Ts, who: &str, kind: Kind) -> Entry {
        Entry {
            ts,
            who: who.into(),
            kind,
        }
    }

    fn journal() -> Vec<Entry> {
        let step = |ts, who: &str, i: usize, text: &str, mark| {
            e(
                ts,
                who,
                Kind::StepMarked {
                    section: "profile-api#high-error-rate".into(),
                    step: i,
                    text: text.into(),
                    mark,
                },
            )
        };
        let tr = |ts, alarm: &str, state, value| {
            e(
                ts,
                "alice",
                Kind::AlarmTransition {
                    alarm: alarm.into(),
                    state,
                    severity: Some(if alarm.starts_with("Profile") {
                        Severity::Critical
                    } else {
                        Severity::High
                    }),
                    value,
                },
            )
        };
        let errors: Vec<(Ts, f64)> = (-15..45)
            .map(|m| {
                let v = match m {
                    ..0 => 0.4,
                    0..8 => 9.0 + m as f64,
                    8..14 => 20.0 - 2.0 * (m - 8) as f64,
                    _ => 0.5,
                };
                (T0 + m * MINUTE, v)
            })
            .collect();
        let p95: Vec<(Ts, f64)> = (-15..45)
            .filter(|m| m % 5 != 2)
            .map(|m| {
                (
                    T0 + m * MINUTE,
                    if (2..12).contains(&m) { 2400.0 } else { 310.0 },
                )
            })
            .collect();
        vec![
            e(
                T0,
                "alice",
                Kind::IncidentOpened {
                    id: "20250314-100800-profileapi-higherrorrate".into(),
                    alarm: "ProfileAPI-HighErrorRate".into(),
                    severity: Some(Severity::Critical),
                    source: "demo: bad-deploy".into(),
                    service: "profile-api".into(),
                    by_hand: false,
                },
            ),
            tr(
                T0,
                "ProfileAPI-HighErrorRate",
                AlarmState::Alarm,
                Some(11.2),
            ),
            e(
                T0 + 95,
                "alice",
                Kind::SectionOpened {
                    alarm: "ProfileAPI-HighErrorRate".into(),
                    section: Some("profile-api#high-error-rate".into()),
                    why: "mapped in the profile".into(),
                },
            ),
            tr(
                T0 + 120,
                "HighLatency | p95",
                AlarmState::Alarm,
                Some(2400.0),
            ),
            step(
                T0 + 130,
                "alice",
                0,
                "Check the error logs in CloudWatch",
                StepMark::Done,
            ),
            step(T0 + 200, "bob", 1, "Classify the errors", StepMark::Skipped),
            step(T0 + 230, "bob", 1, "Classify the errors", StepMark::Todo),
            step(T0 + 260, "bob", 1, "Classify the errors", StepMark::Done),
            e(
                T0 + 300,
                "bob",
                Kind::Note {
                    section: Some("profile-api#high-error-rate".into()),
                    step: Some(1),
                    text: "5xx from the new deploy, v42\nrolling back".into(),
                },
            ),
            e(
                T0 + 420,
                "alice",
                Kind::Escalation {
                    section: "profile-api#high-error-rate".into(),
                    condition: "error rate over 10% for 5 minutes".into(),
                    met_since: T0 + 120,
                },
            ),
            step(T0 + 480, "alice", 2, "Roll back the deploy", StepMark::Done),
            tr(T0 + 720, "HighLatency | p95", AlarmState::Ok, Some(310.0)),
            tr(
                T0 + 840,
                "ProfileAPI-HighErrorRate",
                AlarmState::Ok,
                Some(0.5),
            ),
            e(
                T0 + 1750,
                "alice",
                Kind::MetricSnapshot {
                    series: "errors/rate".into(),
                    points: errors[..30].to_vec(),
                },
            ),
            e(
                T0 + 1800,
                "alice",
                Kind::MetricSnapshot {
                    series: "errors/rate".into(),
                    points: errors[25..].to_vec(),
                },
            ),
            e(
                T0 + 1800,
                "alice",
                Kind::MetricSnapshot {
                    series: "latency/p95".into(),
                    points: p95,
                },
            ),
            e(
                T0 + 1740,
                "alice",
                Kind::IncidentClosed {
                    why: "every alarm OK for 15m00s".into(),
                    resolved_at: Some(T0 + 840),
                },
            ),
        ]
    }

    fn bytes(entries: &[Entry]) -> Vec<u8> {
        let mut b = Vec::new();
        for en in entries {
            b.extend(serde_json::to_vec(en).unwrap());
            b.push(b'\n');
        }
        b
    }

    #[test]
    fn report_of_a_hand_built_journal() {
        let log = parse(&bytes(&journal()));
        assert!(log.bad_lines.is_empty() && log.torn.is_none());
        let md = render("20250314-100800-profileapi-higherrorrate", &log);
        assert_eq!(md, render("20250314-100800-profileapi-higherrorrate", &log));
        insta::assert_snapshot!(md);
    }

    #[test]
    fn report_of_an_open_incident_with_a_torn_tail() {
        let all = bytes(&journal()[..9]);
        let mut b = all.clone();
        b.extend_from_slice(b"{\"ts\":1741947300,\"who\":\"bo");
        let log = parse(&b);
        assert!(log.torn.is_some());
        let md = render("x", &log);
        assert!(md.contains("cut off by a crash"), "{md}");
        assert!(md.contains("| Resolved | not yet |"), "{md}");
        assert!(
            md.contains("| Closed | still open (last entry 2025-03-14 10:13:00 UTC) |"),
            "{md}"
        );
        assert!(md.contains("| Duration | 5m00s so far |"), "{md}");
        assert!(md.contains("still in ALARM"), "{md}");
        assert!(md.contains("No metrics were recorded"), "{md}");
    }

    #[test]
    fn report_of_nothing_does_not_panic() {
        let md = render("empty", &parse(b""));
        assert!(md.starts_with("# Incident report: unknown alarm"));
        assert!(md.contains("No alarm transitions recorded."));
    }

    #[test]
    fn text_chart_buckets_and_marks() {
        let pts: BTreeMap<Ts, f64> = (0..120).map(|m| (m * MINUTE, m as f64)).collect();
        let c = text_chart("s", &pts, 0, 120 * MINUTE, &[60 * MINUTE]).unwrap();
        let lines: Vec<&str> = c.lines().collect();
        assert_eq!(lines[0], "s  min 0  max 119  last 119  (120 points)");
        assert_eq!(lines[1].chars().count(), CHART_WIDTH);
        assert!(lines[1].starts_with('▁') && lines[1].ends_with('█'));
        assert_eq!(lines[2].chars().count(), 31);
        assert!(lines[2].ends_with('▲'));
        assert_eq!(lines[3], format!("00:00{}02:00", " ".repeat(50)));
        assert!(text_chart("s", &pts, 200 * MINUTE, 300 * MINUTE, &[]).is_none());
    }
}
