//! Rendering of the full screen and the non-metric panes (alarms, log tail, runbook, help,
//! header and status bar), from hand-built states driven through `app::update`.

use opsdeck::app::{update, Action, AppState, Command, HelpLine, InputKey, PaneId};
use opsdeck::model::alarm::{AlarmDef, AlarmState, Severity};
use opsdeck::model::log::{LogEntry, LogLevel};
use opsdeck::model::runbook::{Runbook, Section, Step};
use opsdeck::model::series::Stat;
use opsdeck::model::threshold::Threshold;
use opsdeck::model::time::{Ts, MINUTE};
use opsdeck::model::{Model, Profile, SourceFault, Update};
use opsdeck::ui;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use unicode_width::UnicodeWidthStr;

mod common;
use common::render::{pane, screen, text};

/// 10:00:00 UTC on some day.
const T0: Ts = 1_750_000_000 - 1_750_000_000 % 86_400 + 10 * 3600;
/// 12m05s after the error-rate alarm fires: 2m55s of its 15 minutes left (under 20%).
const T1: Ts = T0 + 12 * MINUTE + 5;

fn alarm(
    name: &str,
    series: &str,
    sev: Severity,
    crit: f64,
    unit: &str,
    runbook: Option<&str>,
) -> AlarmDef {
    AlarmDef {
        name: name.into(),
        description: format!("{name} watches {series}"),
        series: series.into(),
        period: 60,
        stat: Stat::Average,
        threshold: Threshold::above(None, Some(crit)),
        severity: sev,
        runbook: runbook.map(String::from),
        log_filter: None,
        unit: unit.into(),
    }
}

fn runbooks() -> Vec<Runbook> {
    let step = |text: &str, subs: &[&str], cmds: &[&str]| Step {
        text: text.into(),
        substeps: subs.iter().map(|s| s.to_string()).collect(),
        commands: cmds.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    vec![Runbook {
        id: "crypto-watch".into(),
        title: "crypto-watch runbook".into(),
        origin: "tests".into(),
        sections: vec![Section {
            id: "high-error-rate".into(),
            title: "API error rate above 5%".into(),
            severity: Some(Severity::Critical),
            summary: vec!["5xx responses are more than 5% of requests".into()],
            metrics: vec!["errors/rate".into()],
            logs: vec!["/aws/lambda/crypto-watch-api".into()],
            steps: vec![
                step("Check whether a deploy happened in the last hour", &["look at the deploy marker on the charts"], &[]),
                step(
                    "Find the failing requests in the API function's logs",
                    &["filter on ERROR", "note the error codes and request ids"],
                    &["aws logs tail /aws/lambda/crypto-watch-api --since 15m --filter-pattern ERROR"],
                ),
                step("Check the upstream price API status page", &[], &[]),
                step(
                    "Roll back the last deploy if it is the cause",
                    &[],
                    &["aws lambda update-alias --function-name crypto-watch-api --name live --function-version 41"],
                ),
                step("Confirm the error rate is back under 1% for ten minutes", &[], &[]),
            ],
            escalation: vec![
                "the rate stays above 5% for 15 minutes after the rollback".into(),
                "customer data may be affected".into(),
            ],
            ..Default::default()
        }],
        ..Default::default()
    }]
}

fn help_lines() -> Vec<HelpLine> {
    [
        ("q, ctrl-c", Command::Quit),
        ("tab", Command::FocusNext),
        ("shift-tab", Command::FocusPrev),
        ("up, k", Command::Up),
        ("down, j", Command::Down),
        ("enter", Command::Select),
        ("esc", Command::Back),
        ("z", Command::Zoom),
        ("/", Command::FilterLog),
        ("l", Command::CycleLevel),
        ("p", Command::PauseLog),
        ("d", Command::StepDone),
        ("s", Command::StepSkip),
        ("u", Command::StepUndo),
        ("?", Command::Help),
        ("a", Command::FocusAlarms),
        ("g", Command::FocusLogs),
        ("r", Command::FocusRunbook),
        ("pgup", Command::PageUp),
        ("pgdn", Command::PageDown),
        ("home", Command::Top),
        ("end", Command::Bottom),
        ("c", Command::ClearFilter),
        ("1", Command::Range1h),
        ("3", Command::Range3h),
    ]
    .into_iter()
    .map(|(k, c)| HelpLine {
        keys: k.into(),
        command: c,
    })
    .collect()
}

fn entry(
    ts: Ts,
    source: &str,
    level: LogLevel,
    message: &str,
    fields: &[(&str, &str)],
) -> LogEntry {
    LogEntry::new(ts, source.into(), level, message, fields)
}

const API: &str = "/aws/lambda/crypto-watch-api";
const WORKER: &str = "/aws/lambda/crypto-watch-worker";

/// The n-th background log line (deterministic).
fn log_line(i: usize) -> LogEntry {
    let ts = T1 - 120 + i as Ts * 3;
    match i % 5 {
        0 => entry(
            ts,
            API,
            LogLevel::Info,
            "GET /v1/prices 200",
            &[("requestId", &format!("r-{i:04}")), ("ms", "42")],
        ),
        1 => entry(
            ts,
            API,
            LogLevel::Error,
            "upstream price API timed out",
            &[("requestId", &format!("r-{i:04}")), ("code", "ETIMEDOUT")],
        ),
        2 => entry(
            ts,
            WORKER,
            LogLevel::Warn,
            "retrying price fetch",
            &[("attempt", "2")],
        ),
        3 => entry(ts, WORKER, LogLevel::Debug, "cache refreshed", &[]),
        _ => entry(
            ts,
            API,
            LogLevel::Info,
            "価格を取得しました (prices fetched)",
            &[("userId", "u-77")],
        ),
    }
}

/// A state with two firing alarms (Critical, High), two OK and one without data, a runbook,
/// 30 log lines and a keymap's help lines, at T1.
fn state() -> AppState {
    let alarms = vec![
        alarm(
            "AuroraConnectionsHigh",
            "aurora/connections/profile-db-1",
            Severity::Medium,
            800.0,
            "",
            None,
        ),
        alarm(
            "HighErrorRate",
            "errors/rate",
            Severity::Critical,
            5.0,
            "%",
            Some("crypto-watch#high-error-rate"),
        ),
        alarm(
            "LatencyP95High",
            "latency/p95",
            Severity::High,
            1000.0,
            "ms",
            Some("crypto-watch#slow-api"),
        ),
        alarm(
            "DynamoThrottles",
            "dynamo/throttles/crypto-watch-data",
            Severity::Low,
            0.0,
            "",
            None,
        ),
        alarm(
            "LambdaThrottles",
            "lambda/throttles/crypto-watch-api",
            Severity::High,
            0.0,
            "",
            None,
        ),
    ];
    let profile = Profile {
        name: "crypto-watch".into(),
        alarms,
        surge_factor: 3.0,
        drop_factor: 1.0 / 3.0,
        ..Default::default()
    };
    let start = T0 - 30 * MINUTE;
    let mut model = Model::new(profile, start, 1000);
    let minutes: Vec<Ts> = (0..=43).map(|m| start + m * MINUTE).collect();
    let series = |f: &dyn Fn(Ts) -> f64| minutes.iter().map(|t| (*t, f(*t))).collect::<Vec<_>>();
    let updates = [
        (
            "errors/rate",
            series(&|t| if t >= T0 - MINUTE { 9.0 } else { 0.8 }),
        ),
        (
            "latency/p95",
            series(&|t| if t >= T0 - 21 * MINUTE { 1450.0 } else { 300.0 }),
        ),
        ("aurora/connections/profile-db-1", series(&|_| 210.0)),
        ("lambda/throttles/crypto-watch-api", series(&|_| 0.0)),
    ];
    for (key, points) in updates {
        model.apply(Update::Points {
            key: key.into(),
            points,
        });
    }
    // Alarms are evaluated when a minute's data is complete: the minute starting at T0-21m
    // closes at T0-20m (latency fires), the one starting at T0-1m closes at T0 (errors fire).
    model.tick(T0 - 20 * MINUTE);
    model.tick(T0);
    model.tick(T1);
    for i in 0..30 {
        model.logs.push(log_line(i));
    }
    AppState::new(
        model,
        runbooks(),
        help_lines(),
        "demo: bad-deploy ×10".into(),
    )
}

fn cmd(s: &mut AppState, c: Command) {
    update(s, Action::Command(c));
}

/// The screen column where `pat` starts in a rendered row.
fn col(row: &str, pat: &str) -> u16 {
    row[..row.find(pat).unwrap_or_else(|| panic!("{pat} in {row}"))].width() as u16
}

fn rows(buf: &Buffer) -> Vec<String> {
    text(buf).lines().map(String::from).collect()
}

// ---------------------------------------------------------------- alarms

#[test]
fn alarms_firing_critical_first_with_countdown() {
    let s = state();
    assert_eq!(s.model.alarms[0].def.name, "HighErrorRate");
    assert_eq!(s.model.alarms[0].state, AlarmState::Alarm);
    let buf = pane(&s, PaneId::Alarms, 90, 12, true);
    let r = rows(&buf);
    assert!(r[0].contains("Alarms 2 firing / 5"), "{}", r[0]);
    assert!(
        r[1].contains("ALARM") && r[1].contains("Critical") && r[1].contains("HighErrorRate"),
        "{}",
        r[1]
    );
    assert!(
        r[1].contains("2m55s left"),
        "15 min deadline, fired 12m05s ago: {}",
        r[1]
    );
    assert!(r[1].contains("12m05s"), "time in state: {}", r[1]);
    // The countdown is red with less than 20% of the deadline left.
    let x = col(&r[1], "2m55s left");
    assert_eq!(buf[(x, 1)].fg, ui::theme().crit);
    // High fired 32m05s ago: 27m55s of its hour left, not red.
    let lat = r.iter().position(|l| l.contains("LatencyP95High")).unwrap();
    assert!(
        lat < r
            .iter()
            .position(|l| l.contains("AuroraConnectionsHigh"))
            .unwrap()
    );
    assert!(r[lat].contains("27m55s left"), "{}", r[lat]);
    let x = col(&r[lat], "27m55s left");
    assert_ne!(buf[(x, lat as u16)].fg, ui::theme().crit);
    assert!(text(&buf).contains("NO DATA"));
    insta::assert_snapshot!("alarms_90x12_focused", text(&buf));
}

#[test]
fn alarms_narrow_and_cursor_scrolls_into_view() {
    let mut s = state();
    for _ in 0..4 {
        cmd(&mut s, Command::Down);
    }
    assert_eq!(s.ui.alarm_cursor, 4);
    let buf = pane(&s, PaneId::Alarms, 40, 5, false);
    let t = text(&buf);
    let name = &s.model.alarms[4].def.name;
    let row = t
        .lines()
        .find(|l| l.contains(&name[..8]))
        .unwrap_or_else(|| panic!("cursor alarm visible:\n{t}"));
    assert!(row.contains('▶'), "unfocused cursor marker: {row}");
    assert!(t.contains("SEV"), "narrow panes use severity tags:\n{t}");
    insta::assert_snapshot!("alarms_40x5_cursor_last", t);
}

// ---------------------------------------------------------------- logs

#[test]
fn logs_follow_the_tail() {
    let s = state();
    let buf = pane(&s, PaneId::Logs, 110, 12, true);
    let r = rows(&buf);
    assert!(r[0].contains("Log tail FOLLOW"), "{}", r[0]);
    // Newest (29: CJK line) at the bottom, source shown short.
    assert!(r[10].contains("価格を取得しました"), "{}", r[10]);
    assert!(
        r[10].contains("crypto-watch-api") && !r[10].contains("/aws/lambda"),
        "{}",
        r[10]
    );
    assert!(r[9].contains("cache refreshed"), "{}", r[9]);
    assert!(
        r[8].contains("WARN") && r[8].contains("attempt=2"),
        "{}",
        r[8]
    );
    for l in &r {
        assert!(l.width() <= 110, "cut to the width: {l}");
    }
    insta::assert_snapshot!("logs_110x12_follow", text(&buf));
}

#[test]
fn logs_narrow_cut_by_display_width() {
    let s = state();
    let buf = pane(&s, PaneId::Logs, 44, 8, false);
    let r = rows(&buf);
    for l in &r {
        assert!(l.width() <= 44, "{l}");
    }
    assert!(
        !r[6].contains("crypto-watch-api"),
        "no room for the source: {}",
        r[6]
    );
    insta::assert_snapshot!("logs_44x8_narrow", text(&buf));
}

#[test]
fn paused_log_holds_still_while_lines_arrive() {
    let mut s = state();
    cmd(&mut s, Command::FocusLogs);
    cmd(&mut s, Command::PauseLog);
    let before = rows(&pane(&s, PaneId::Logs, 100, 10, true));
    for i in 30..35 {
        s.model.logs.push(log_line(i));
    }
    let after = rows(&pane(&s, PaneId::Logs, 100, 10, true));
    assert_eq!(before[1..], after[1..], "the lines shown do not move");
    assert!(after[0].contains("PAUSED +5 new"), "{}", after[0]);

    // Scrolled back while paused: still anchored.
    cmd(&mut s, Command::Up);
    cmd(&mut s, Command::Up);
    let scrolled = rows(&pane(&s, PaneId::Logs, 100, 10, true));
    assert_eq!(
        scrolled[3..9],
        before[1..7],
        "two lines back from the anchor"
    );
    for i in 35..40 {
        s.model.logs.push(log_line(i));
    }
    let later = rows(&pane(&s, PaneId::Logs, 100, 10, true));
    assert_eq!(scrolled[1..], later[1..]);
    assert!(later[0].contains("PAUSED +10 new ↑2"), "{}", later[0]);
    insta::assert_snapshot!(
        "logs_100x10_paused_scrolled",
        text(&pane(&s, PaneId::Logs, 100, 10, true))
    );

    // Resuming follows the tail again: the newest line is at the bottom.
    cmd(&mut s, Command::PauseLog);
    let r = rows(&pane(&s, PaneId::Logs, 100, 10, true));
    assert!(r[0].contains("FOLLOW"));
    assert!(r[8].contains(log_line(39).message()), "{}", r[8]);
}

#[test]
fn filter_input_shows_typed_text_and_filters() {
    let mut s = state();
    cmd(&mut s, Command::FilterLog);
    for c in "timed".chars() {
        update(&mut s, Action::Input(InputKey::Char(c)));
    }
    let buf = pane(&s, PaneId::Logs, 90, 10, true);
    let r = rows(&buf);
    assert!(r[8].contains("/ timed▏"), "input line: {}", r[8]);
    assert!(r[0].contains("/timed"), "title shows the filter: {}", r[0]);
    for l in &r[1..8] {
        assert!(
            l.trim_matches('│').trim().is_empty() || l.contains("timed out"),
            "{l}"
        );
    }
    assert!(r[7].contains("timed out"), "{}", r[7]);
    insta::assert_snapshot!("logs_90x10_filter_input", text(&buf));

    // Enter applies it; the level filter shows in the title too.
    update(&mut s, Action::Input(InputKey::Enter));
    cmd(&mut s, Command::CycleLevel);
    let r = rows(&pane(&s, PaneId::Logs, 90, 10, true));
    assert!(r[0].contains("level≥WARN /timed"), "{}", r[0]);
    assert!(!r[8].contains("▏"));
}

#[test]
fn no_matching_lines_says_so() {
    let mut s = state();
    s.ui.log.filter.text = "no-such-thing".into();
    let t = text(&pane(&s, PaneId::Logs, 60, 6, false));
    assert!(t.contains("no lines match /no-such-thing"), "{t}");
}

// ---------------------------------------------------------------- runbook

#[test]
fn runbook_hint_when_nothing_is_open() {
    let s = state();
    let t = text(&pane(&s, PaneId::Runbook, 60, 10, false));
    assert!(t.contains("press enter to open its runbook"), "{t}");
    assert!(t.contains("top firing: HighErrorRate"), "{t}");
    assert!(t.contains("2m55s left"), "{t}");
    insta::assert_snapshot!("runbook_60x10_closed", t);
}

#[test]
fn runbook_checklist_marks_and_progress() {
    let mut s = state();
    cmd(&mut s, Command::FocusAlarms);
    cmd(&mut s, Command::Select);
    assert_eq!(s.ui.focus, PaneId::Runbook);
    let t = text(&pane(&s, PaneId::Runbook, 72, 26, true));
    assert!(t.contains("0/5 done"), "{t}");
    assert!(t.contains("HighErrorRate  Critical  2m55s left"), "{t}");
    assert!(t.contains("▶ [ ] 1. Check whether a deploy"), "{t}");

    cmd(&mut s, Command::StepDone);
    cmd(&mut s, Command::StepSkip);
    let buf = pane(&s, PaneId::Runbook, 72, 26, true);
    let t = text(&buf);
    assert!(t.contains("[x] 1. Check whether a deploy"), "{t}");
    assert!(t.contains("[-] 2. Find the failing"), "{t}");
    assert!(
        t.contains("▶ [ ] 3. Check the upstream"),
        "cursor moves to the next step:\n{t}"
    );
    assert!(t.contains("1/5 done, 1 skipped"), "{t}");
    assert!(
        t.contains("$ aws logs tail /aws/lambda/crypto-watch-api"),
        "{t}"
    );
    assert!(t.contains("Escalate when:"), "{t}");
    assert!(
        t.contains("? confirm by hand: customer data may be affected"),
        "{t}"
    );
    assert!(
        t.contains("section: API error rate above 5% — mapped in the profile"),
        "{t}"
    );
    let r = rows(&buf);
    let y = r.iter().position(|l| l.contains("[x] 1.")).unwrap();
    let x = col(&r[y], "[x]");
    assert_eq!(buf[(x + 1, y as u16)].fg, ui::theme().ok, "done is green");
    insta::assert_snapshot!("runbook_72x26_marked", t);
}

#[test]
fn runbook_scrolls_to_keep_the_cursor_step_visible() {
    let mut s = state();
    cmd(&mut s, Command::Select);
    for _ in 0..4 {
        cmd(&mut s, Command::StepDone);
    }
    let t = text(&pane(&s, PaneId::Runbook, 50, 10, true));
    assert!(t.contains("▶ [ ] 5."), "{t}");
    insta::assert_snapshot!("runbook_50x10_scrolled", t);
}

#[test]
fn runbook_missing_section_shows_why() {
    let mut s = state();
    let i = s
        .model
        .alarms
        .iter()
        .position(|a| a.def.name == "LatencyP95High")
        .unwrap();
    s.ui.alarm_cursor = i;
    cmd(&mut s, Command::Select);
    let t = text(&pane(&s, PaneId::Runbook, 80, 8, true));
    assert!(t.contains("LatencyP95High  High  27m55s left"), "{t}");
    assert!(t.contains("no runbook section for this alarm"), "{t}");
    assert!(t.contains("which no loaded runbook has"), "{t}");
}

// ---------------------------------------------------------------- help, header, status

#[test]
fn help_overlay_comes_from_the_keymap() {
    let mut s = state();
    s.help.insert(
        0,
        HelpLine {
            keys: "F9".into(),
            command: Command::Range24h,
        },
    );
    cmd(&mut s, Command::Help);
    let buf = screen(&s, 100, 30);
    let t = text(&buf);
    assert!(t.contains("Help: keys from the active keymap"), "{t}");
    assert!(
        t.contains("F9") && t.contains("range-24h") && t.contains("charts show the last 24 hours"),
        "{t}"
    );
    assert!(t.contains("q, ctrl-c") && t.contains("quit opsdeck"), "{t}");
    insta::assert_snapshot!("help_100x30", t);

    // Scrolled: the first line goes, and a scroll past the end is clamped.
    let mut tall = s.clone();
    tall.ui.help_scroll = 1;
    let t1 = text(&screen(&tall, 100, 24));
    assert!(!t1.contains("F9 ") && t1.contains("q, ctrl-c"), "{t1}");
    assert!(t1.contains("2-21 of 26 · down more · esc close"), "{t1}");
    tall.ui.help_scroll = 999;
    let t2 = text(&screen(&tall, 100, 24));
    assert!(
        t2.contains("7-26 of 26") && t2.contains("charts show the last 3 hours"),
        "last line visible:\n{t2}"
    );
}

#[test]
fn header_and_status_bar() {
    let mut s = state();
    s.model.faults.push(SourceFault {
        scope: "cloudwatch".into(),
        message: "throttled".into(),
        since: T0,
    });
    let buf = screen(&s, 200, 60);
    let r = rows(&buf);
    assert!(
        r[0].contains("opsdeck │ demo: bad-deploy ×10 │ range 1h │ 10:12:05 UTC"),
        "{}",
        r[0]
    );
    assert!(
        r[0].contains("1 Critical") && r[0].contains("1 High"),
        "{}",
        r[0]
    );
    assert!(r[0].trim_end().ends_with("? help"), "{}", r[0]);
    let bar = &r[59];
    assert!(
        bar.contains("Alarms") && bar.contains("log FOLLOW"),
        "{bar}"
    );
    assert!(
        bar.contains("⚠ cloudwatch: throttled (since 10:00:00)"),
        "{bar}"
    );
    assert!(
        bar.contains("q quit · tab focus · enter runbook · z zoom · / filter · ? help"),
        "{bar}"
    );

    // Several parts failing: every scope is named before the oldest one's reason, so a long
    // first reason cannot hide the others.
    s.model.faults.push(SourceFault {
        scope: "aws/logs".into(),
        message: "access denied: the credentials need the IAM permission logs:FilterLogEvents"
            .into(),
        since: T0 - 60,
    });
    let bar = rows(&screen(&s, 200, 60))[59].clone();
    assert!(
        bar.contains(
            "⚠ 2 parts failing (? says why): cloudwatch, aws/logs │ ⚠ aws/logs: access denied"
        ),
        "{bar}"
    );
    // The help overlay lists every failing part with its whole reason, oldest first, above
    // the keys.
    let mut help = s.clone();
    cmd(&mut help, Command::Help);
    let t = text(&screen(&help, 100, 30));
    let at = |needle: &str| {
        t.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in the help overlay:\n{t}"))
    };
    assert!(
        at("Failing now (2)") < at("aws/logs  since 09:59:00"),
        "{t}"
    );
    assert!(
        at("aws/logs  since 09:59:00") < at("cloudwatch  since 10:00:00"),
        "{t}"
    );
    assert!(
        at("IAM permission") < at("logs:FilterLogEvents"),
        "wrapped whole:\n{t}"
    );
    assert!(at("cloudwatch  since") < at("q, ctrl-c"), "{t}");
    // End scrolls to the last key, past the faults.
    cmd(&mut help, Command::Bottom);
    let t = text(&screen(&help, 100, 24));
    assert!(
        t.contains("charts show the last 3 hours") && !t.contains("Failing now"),
        "{t}"
    );
    s.model.faults.pop();

    // Hints follow the keymap, and the focused pane.
    s.help.retain(|h| h.command != Command::Zoom);
    s.help.push(HelpLine {
        keys: "Z".into(),
        command: Command::Zoom,
    });
    cmd(&mut s, Command::FocusLogs);
    cmd(&mut s, Command::PauseLog);
    cmd(&mut s, Command::Zoom);
    let r = rows(&screen(&s, 200, 60));
    let bar = &r[59];
    assert!(bar.contains("Log tail  ZOOM │ log PAUSED"), "{bar}");
    assert!(
        bar.contains("p follow") && bar.contains("Z unzoom"),
        "{bar}"
    );
}

// ---------------------------------------------------------------- full screen and sizes

#[test]
fn full_screen_80x24() {
    let s = state();
    let t = text(&screen(&s, 80, 24));
    assert!(t.contains("HighErrorRate"), "{t}");
    let header = t.lines().next().unwrap();
    assert!(
        header.contains("│ 1h │ 10:12:05 │ ALARMS  1 SEV1   1 SEV2"),
        "compact header: {header}"
    );
    assert!(header.ends_with("? help"), "{header}");
    assert!(header.contains("demo: bad-deploy"), "{header}");

    // Nothing firing: the header says so.
    let mut calm = state();
    calm.model
        .alarms
        .iter_mut()
        .for_each(|a| a.state = AlarmState::Ok);
    let c = text(&screen(&calm, 80, 24));
    assert!(
        c.lines().next().unwrap().contains("✓ no alarms firing"),
        "{c}"
    );
    assert!(c.contains("Alarms 0 firing / 5"), "{c}");
    insta::assert_snapshot!("screen_80x24", t);

    // Working an incident at 80x24: runbook open, a step done, typing a log filter.
    let mut s = state();
    cmd(&mut s, Command::Select);
    cmd(&mut s, Command::StepDone);
    cmd(&mut s, Command::FilterLog);
    for ch in "ETIME".chars() {
        update(&mut s, Action::Input(InputKey::Char(ch)));
    }
    let t = text(&screen(&s, 80, 24));
    assert!(t.contains("▶ [ ] 2."), "{t}");
    assert!(t.contains("/ ETIME▏"), "{t}");
    assert!(t.contains("enter apply filter · esc cancel"), "{t}");
    insta::assert_snapshot!("screen_80x24_incident", t);
}

#[test]
fn full_screen_200x60_with_runbook_open() {
    let mut s = state();
    cmd(&mut s, Command::Select);
    cmd(&mut s, Command::StepDone);
    let t = text(&screen(&s, 200, 60));
    assert!(t.contains("[x] 1."), "{t}");
    insta::assert_snapshot!("screen_200x60", t);
}

#[test]
fn too_small_notice() {
    let s = state();
    let t = text(&screen(&s, 79, 24));
    assert!(
        t.contains("terminal too small: 79x24, opsdeck needs at least 80x24"),
        "{t}"
    );
    let t = text(&screen(&s, 10, 3));
    let r: Vec<&str> = t.lines().collect();
    assert_eq!(r.len(), 3);
    assert!(
        r[0].contains("terminal") && r[1].contains("too small:"),
        "{t}"
    );
    let t = text(&screen(&s, 80, 23));
    assert!(t.contains("terminal too small: 80x23"), "{t}");
}

#[test]
fn never_panics_at_any_size() {
    let mut variants = vec![state()];
    let mut opened = state();
    cmd(&mut opened, Command::Select);
    cmd(&mut opened, Command::StepDone);
    cmd(&mut opened, Command::FilterLog);
    update(&mut opened, Action::Input(InputKey::Char('日')));
    variants.push(opened.clone());
    let mut help = opened.clone();
    cmd(&mut help, Command::Help);
    variants.push(help);
    let mut zoomed = opened;
    cmd(&mut zoomed, Command::Zoom);
    variants.push(zoomed);
    let empty = AppState::new(
        Model::new(Profile::default(), T0, 10),
        vec![],
        vec![],
        String::new(),
    );
    variants.push(empty);
    for (i, s) in variants.iter().enumerate() {
        for w in 0..=130u16 {
            for h in 0..=45u16 {
                // Every size for the plain state; the rest on a coarser grid.
                if i > 0 && (w % 3 != 0 && h % 4 != 0) {
                    continue;
                }
                let _ = screen(s, w, h);
            }
        }
        for pane_id in PaneId::ALL {
            for (w, h) in [(0, 0), (1, 1), (2, 2), (3, 3), (5, 4), (12, 3), (20, 5)] {
                let _ = pane(s, pane_id, w, h, true);
            }
        }
    }
    // A buffer that does not start at the origin.
    let s = &variants[1];
    let area = Rect::new(5, 3, 90, 30);
    let mut buf = Buffer::empty(area);
    ui::render(area, &mut buf, s);
    ui::render(Rect::new(0, 0, 200, 60), &mut buf, s);
}
