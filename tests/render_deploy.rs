//! Deploy watch on the demo: the rollback gates row while the bad deploy's gates are in breach,
//! the since-deploy comparison in the panes, a deploy marked by hand; snapshotted with insta.

mod common;
use common::render::{demo_at, frame};

use opsdeck::app::{self, Action, AppState, Command};
use opsdeck::i18n::Lang;
use opsdeck::session::{self, Files};

fn press(state: &mut AppState, c: Command) {
    app::update(state, Action::Command(c));
}

/// bad-deploy, 8 minutes in (v42 went out at 09:02): the Lambda error rate has been above 5 %
/// for three minutes (rollback expected), the API 5xx rate above 10 % for one (one to go).
fn breaching() -> AppState {
    let mut s = demo_at("bad-deploy", 8);
    opsdeck::deploy::apply_cli(&mut s, true, None).unwrap();
    s
}

#[test]
fn gates_in_breach_200x60() {
    let mut s = breaching();
    let text = frame(&mut s, 200, 60);
    let row: Vec<&str> = text.lines().skip(1).take(3).collect();
    assert!(
        row[0]
            .contains("Rollback gates · deploy 09:02 UTC, 6m00s ago · deploy v42 crypto-watch-api"),
        "{text}"
    );
    assert!(
        row[1].contains("✖ Lambda error rate 11% > 5% · breach 3m00s · ROLLBACK EXPECTED"),
        "{text}"
    );
    assert!(
        row[1].contains("▲ API 5xx rate 11% > 10% · breach 1m00s · rollback in 1m00s"),
        "{text}"
    );
    assert!(
        row[1].contains("✓ Lambda throttles 0 > 10 in 1m · ok"),
        "{text}"
    );
    assert!(
        row[2].starts_with("manual rollback: ▲ Error rate 12% ≥ 3%"),
        "{text}"
    );
    assert!(row[2].contains("consider rollback"), "{text}");
    assert!(row[2].contains("✓ p95 latency"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn gates_in_breach_80x24() {
    let mut s = breaching();
    let text = frame(&mut s, 80, 24);
    let row: Vec<&str> = text.lines().skip(1).take(3).collect();
    // Narrow cells keep each gate's state in words and its value.
    assert!(
        row[1].contains("✖") && row[1].contains("11% ROLLBACK"),
        "{text}"
    );
    assert!(
        row[1].contains("▲") && row[1].contains("1m00s left"),
        "{text}"
    );
    assert!(row[2].contains("consider rollback"), "{text}");
    // Every pane is still there below the row.
    for title in [
        "Request rate",
        "Error rate",
        "Alarms",
        "Log tail",
        "Runbook",
    ] {
        assert!(text.contains(title), "{title} missing:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn the_rollback_shows_in_the_title_and_the_gates_clear() {
    let mut s = demo_at("bad-deploy", 14);
    press(&mut s, Command::DeployView);
    let text = frame(&mut s, 160, 48);
    let row: Vec<&str> = text.lines().skip(1).take(3).collect();
    assert!(
        row[0].contains(
            "deploy 09:02 UTC, 12m00s ago · deploy v42 crypto-watch-api · rolled back 09:12"
        ),
        "{text}"
    );
    assert!(
        !row[1].contains("ROLLBACK") && !row[1].contains('▲'),
        "{text}"
    );
    assert_eq!(row[1].matches('✓').count(), 3, "{text}");
    press(&mut s, Command::DeployView);
    let text = frame(&mut s, 160, 48);
    assert!(!text.contains("Rollback gates"), "D hides the row:\n{text}");
}

#[test]
fn compare_since_deploy_120x40() {
    let mut s = breaching();
    press(&mut s, Command::Compare);
    let text = frame(&mut s, 120, 40);
    assert!(
        text.contains("since deploy 5.5% · before 0.36% ×15.3"),
        "{text}"
    );
    assert!(
        text.contains("since deploy p95 987ms · before 718ms"),
        "{text}"
    );
    assert!(
        text.contains("since deploy R ") || text.contains("after R "),
        "dynamo compares reads and writes:\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn japanese_gates_row_120x40() {
    let mut s = breaching();
    s.lang = Lang::Ja;
    let text = frame(&mut s, 120, 40);
    assert!(text.contains("ロールバック判定"), "{text}");
    assert!(text.contains("手動ロールバック"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn zoom_keeps_the_gates_row() {
    let mut s = breaching();
    s.ui.focus = opsdeck::app::PaneId::Errors;
    press(&mut s, Command::Zoom);
    let text = frame(&mut s, 120, 40);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].contains("Rollback gates"), "{text}");
    assert!(lines[4].starts_with("┌ Error rate"), "{text}");
}

#[test]
fn a_deploy_marked_by_hand_is_watched_and_drawn() {
    let mut s = demo_at("calm", 30);
    let text = frame(&mut s, 160, 48);
    assert!(!text.contains("Rollback gates"));
    press(&mut s, Command::MarkDeploy);
    assert_eq!(
        s.model.markers.last().unwrap().label,
        "deploy (marked by hand)"
    );
    assert_eq!(s.model.markers.last().unwrap().ts, s.model.now);
    let text = frame(&mut s, 160, 48);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].contains("deploy 09:30 UTC, 0s ago · deploy (marked by hand)"),
        "{text}"
    );
    assert!(
        text.contains("deploy marked at 09:30:00 UTC"),
        "the flash:\n{text}"
    );
    // Calm: every gate is ok.
    assert_eq!(lines[2].matches('✓').count(), 3, "{text}");
    // Ten minutes on, the hand mark is still the deploy watched (the demo's own deploy at
    // 09:20 is older).
    let (mut state, mut source, _) = session::demo(
        "calm",
        opsdeck::source::demo::DEFAULT_SEED,
        &Files::default(),
    )
    .unwrap();
    session::advance(&mut state, &mut source, s.model.now);
    opsdeck::deploy::apply_cli(&mut state, false, Some("09:25")).unwrap();
    session::advance(&mut state, &mut source, s.model.now + 600);
    let text = frame(&mut state, 160, 48);
    assert!(
        text.contains("deploy 09:25 UTC, 15m00s ago · deploy (marked by hand)"),
        "{text}"
    );
}

#[test]
fn no_deploy_known_says_how_to_mark_one() {
    let mut s = demo_at("dynamodb-throttle", 5);
    press(&mut s, Command::DeployView);
    let text = frame(&mut s, 160, 48);
    let lines: Vec<&str> = text.lines().collect();
    // The day's history has deploys: the newest one (v41, 6 h ago) is watched.
    assert!(lines[1].contains("deploy 03:00 UTC, 6h05m ago"), "{text}");
    // A state without any marker says how to mark one.
    let model = opsdeck::model::Model::new(
        opsdeck::config::builtin_demo_profile(),
        opsdeck::source::demo::DemoSource::epoch(),
        100,
    );
    let help = opsdeck::keymap::Keymap::builtin_default().help_lines();
    let mut s = AppState::new(model, Vec::new(), help, "test".into());
    press(&mut s, Command::DeployView);
    let text = frame(&mut s, 120, 40);
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains("no deploy known: M marks one now"),
        "{text}"
    );
    let row = text.lines().nth(2).unwrap();
    assert!(row.starts_with("? Lambda error rate - > 5%"), "{text}");
    assert_eq!(row.matches("no data").count(), 3, "{text}");
}

#[test]
fn every_size_renders_with_the_gates_row_and_comparison_without_panicking() {
    for (name, _) in opsdeck::source::demo::SCENARIOS {
        let mut s = demo_at(name, 9);
        press(&mut s, Command::DeployView);
        press(&mut s, Command::Compare);
        for lang in [Lang::En, Lang::Ja] {
            s.lang = lang;
            for (w, h) in [
                (0, 0),
                (1, 1),
                (79, 24),
                (80, 24),
                (81, 25),
                (120, 40),
                (250, 70),
            ] {
                let text = frame(&mut s, w, h);
                if w >= 80 && h >= 24 {
                    assert!(
                        text.lines().nth(1).is_some_and(|l| l.starts_with('─')),
                        "{name} {w}x{h}:\n{text}"
                    );
                }
            }
        }
    }
}
