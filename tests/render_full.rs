//! The full screen on the demo, rendered headlessly (the same `ui::render` the TUI draws with),
//! snapshotted with insta at the compact and the large layout.

mod common;
use common::render::{demo_at, frame};

use opsdeck::app::{self, Action, Command};

#[test]
fn bad_deploy_80x24() {
    let mut s = demo_at("bad-deploy", 9);
    let text = frame(&mut s, 80, 24);
    // every metric pane's state is visible even in the compact layout
    for title in [
        "Request rate",
        "Error rate",
        "Latency",
        "throttles",
        "Aurora",
        "DynamoDB",
    ] {
        assert!(text.contains(title), "{title} missing:\n{text}");
    }
    assert!(
        text.contains("CRIT"),
        "the error-rate breach shows as a word:\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn bad_deploy_200x60() {
    let mut s = demo_at("bad-deploy", 9);
    let text = frame(&mut s, 200, 60);
    assert!(text.contains("ALARM"));
    insta::assert_snapshot!(text);
}

#[test]
fn runbook_walk_200x60() {
    let mut s = demo_at("bad-deploy", 10);
    for c in [Command::FocusAlarms, Command::Select, Command::StepDone] {
        app::update(&mut s, Action::Command(c));
    }
    let text = frame(&mut s, 200, 60);
    assert!(
        text.contains("[x]"),
        "the first step is marked done:\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn every_scenario_renders_at_every_size_without_panicking() {
    for (name, _) in opsdeck::source::demo::SCENARIOS {
        let mut s = demo_at(name, 12);
        for (w, h) in [
            (0, 0),
            (1, 1),
            (79, 24),
            (80, 24),
            (120, 40),
            (200, 60),
            (250, 70),
        ] {
            let text = frame(&mut s, w, h);
            if w >= 80 && h >= 24 {
                assert!(text.contains("Alarms"), "{name} at {w}x{h}:\n{text}");
            }
        }
        s.ui.zoomed = true;
        for p in opsdeck::app::PaneId::ALL {
            s.ui.focus = p;
            frame(&mut s, 100, 30);
        }
    }
}
