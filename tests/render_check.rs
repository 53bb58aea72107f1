//! The daily check view (`opsdeck check --demo`), rendered headlessly and snapshotted: the
//! checklist with verdicts, the selected item's chart (today and yesterday), the Logs Insights
//! panel and the new error patterns; marking items and moving between them.

mod common;

use opsdeck::app::{self, Action, AppState, Command};
use opsdeck::check::{demo_session, CheckInput, Item};
use opsdeck::i18n::Lang;
use opsdeck::model::time::HOUR;
use opsdeck::session::Files;
use opsdeck::source::demo::DEFAULT_SEED;

fn check(scenario: &str) -> AppState {
    demo_session(scenario, DEFAULT_SEED, HOUR, &Files::default())
        .expect("the demo check runs")
        .0
}

fn press(state: &mut AppState, commands: &[Command]) {
    for c in commands {
        app::update(state, Action::Command(*c));
    }
}

fn frame(state: &AppState, w: u16, h: u16) -> String {
    common::render::text(&common::render::screen(state, w, h))
}

#[test]
fn bad_deploy_check_160x48() {
    let s = check("bad-deploy");
    let text = frame(&s, 160, 48);
    for want in [
        "Daily check",
        "Request trend",
        "Error-rate trend",
        "Latency trend (p95)",
        "Alarms fired since yesterday",
        "New error-log patterns",
        "overall CRIT",
        "0/5 looked at",
        "Logs Insights",
        "fields @timestamp, @log, @message",
        "TypeError: Cannot read properties of undefined",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn marking_moves_down_and_the_chart_follows_120x36() {
    let mut s = check("bad-deploy");
    // Mark the first two items; the cursor is now on the third (latency), whose chart shows.
    press(&mut s, &[Command::CheckMark, Command::CheckMark]);
    let c = s.check.as_ref().unwrap();
    assert_eq!(c.looked, vec![true, true, false, false, false]);
    assert_eq!(c.report.items[c.cursor].item, Item::Latency);
    let text = frame(&s, 120, 36);
    assert!(text.contains("2/5 looked at"), "{text}");
    assert!(text.contains("[x]"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn the_alarms_item_lists_what_fired_100x30() {
    let mut s = check("bad-deploy");
    press(&mut s, &[Command::Down, Command::Down, Command::Down]);
    let text = frame(&s, 100, 30);
    assert!(text.contains("LambdaErrorAlarm"), "{text}");
    assert!(text.contains("Alarm transitions to ALARM"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn calm_is_ok_in_japanese_80x24() {
    let mut s = check("calm");
    s.lang = Lang::Ja;
    let text = frame(&s, 80, 24);
    assert!(text.contains("日次チェック"), "{text}");
    assert!(text.contains("総合 OK"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn hostile_text_and_every_size_render_without_panics() {
    let mut s = check("bad-deploy");
    // Escape sequences in everything the view draws from the input.
    let c = s.check.as_mut().unwrap();
    let mut input: CheckInput = c.report.input.clone();
    input.source = "aws \x1b]0;owned\x07 us-east-1".into();
    input.logs.queries[0].error = Some("bad \x1b[2J\u{202e} error".into());
    input.logs.queries[0].status = "Failed".into();
    input.logs.queries[0].log_groups = vec!["/aws/lambda/\x1b[31mred".into()];
    input.alarms.firing_now = vec!["Evil\x1b[2JAlarm".into()];
    input.logs.today.add_message(
        input.end - 60,
        "g\x1b[1m",
        "ERROR \x1b]8;;x\x07 link \u{202e}",
        3,
    );
    let profile = s.model.profile.clone();
    opsdeck::check::open(&mut s, opsdeck::check::evaluate(input, &profile));
    for item in 0..5 {
        for (w, h) in [
            (0, 0),
            (1, 1),
            (20, 5),
            (59, 15),
            (60, 16),
            (80, 24),
            (200, 60),
        ] {
            let buf = common::render::screen(&s, w, h);
            for cell in buf.content() {
                let sym = cell.symbol();
                assert!(
                    !sym.chars().any(|ch| ch.is_control() || ch == '\u{202e}'),
                    "{sym:?} at {w}x{h}, item {item}"
                );
            }
        }
        press(&mut s, &[Command::Down]);
    }
}

#[test]
fn queries_as_they_ran_on_aws_120x32() {
    use opsdeck::check::{evaluate, AlarmEvent, QueryInfo};
    let mut s = check("calm");
    let end = s.check.as_ref().unwrap().report.input.end;
    let mut input: CheckInput = s.check.as_ref().unwrap().report.input.clone();
    input.source = "aws us-east-1".into();
    input.alarms.from_history = false;
    input.alarms.history_error =
        Some("cloudwatch:DescribeAlarmHistory failed: InternalFailure".into());
    input.alarms.firing_now = vec!["LambdaErrorAlarm".into()];
    input.alarms.events = vec![AlarmEvent {
        at: end - 1800,
        name: "LambdaErrorAlarm".into(),
    }];
    for q in &mut input.logs.queries {
        *q = QueryInfo {
            status: "Complete".into(),
            records_matched: 1_275.0,
            records_scanned: 2_400_000.0,
            bytes_scanned: 3.2e9,
            rows: 1_275,
            ..q.clone()
        };
    }
    input.logs.queries[1].status = "Timeout".into();
    input.logs.queries[1].error = Some("no result within 120 s: stopped (StopQuery)".into());
    let profile = s.model.profile.clone();
    opsdeck::check::open(&mut s, evaluate(input, &profile));
    press(&mut s, &[Command::Down, Command::Down, Command::Down]);
    let text = frame(&s, 120, 32);
    assert!(
        text.contains("today: Complete · 1,275 matched / 2,400,000 scanned"),
        "{text}"
    );
    assert!(text.contains("stopped (StopQuery)"), "{text}");
    assert!(text.contains("alarm history unavailable"), "{text}");
    insta::assert_snapshot!(text);
}
