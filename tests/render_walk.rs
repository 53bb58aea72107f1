//! The guided walk in the runbook panel, with a Japanese runbook in the seeds' layout: the
//! section and why, steps with sub-steps and notes, the step's choices, live escalation
//! conditions, the runbook's warnings, and the section picker overlay.

use opsdeck::app::{update, Action, AppState, Command, HelpLine, InputKey, PaneId};
use opsdeck::keymap::Keymap;
use opsdeck::model::alarm::{AlarmDef, Severity};
use opsdeck::model::runbook::Runbook;
use opsdeck::model::series::Stat;
use opsdeck::model::threshold::Threshold;
use opsdeck::model::time::{Ts, MINUTE};
use opsdeck::model::{Model, Profile, Update};
use ratatui::buffer::Buffer;
use unicode_width::UnicodeWidthStr;

mod common;
use common::render::{self, screen, text};

/// 10:00:00 UTC on some day.
const T0: Ts = 1_750_000_000 - 1_750_000_000 % 86_400 + 10 * 3600;
const FIXTURE: &str = "tests/fixtures/runbooks/ja_seed_layout.md";

fn seed() -> Runbook {
    opsdeck::runbooks::load_file(FIXTURE).expect("the fixture loads")
}

/// The same runbook with a second `## 連絡先` heading appended: the reader warns that the id
/// is taken.
fn seed_with_warning() -> Runbook {
    let dir = std::env::temp_dir().join(format!("opsdeck-render-walk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ja_seed_layout.md");
    let mut text = std::fs::read_to_string(FIXTURE).unwrap();
    text.push_str("\n## 連絡先\n\n予備の連絡先\n");
    std::fs::write(&path, text).unwrap();
    let rb = opsdeck::runbooks::load_file(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    rb
}

fn help() -> Vec<HelpLine> {
    Keymap::builtin_default().help_lines()
}

/// The error rate at 1% until 10 minutes before T0 and 12% since: the "over 10%" condition
/// is met, the "for 20 minutes" one is being watched. One alarm that the reader's matching
/// finds (no mapping in the profile).
fn state(runbook: Runbook) -> AppState {
    let profile = Profile {
        name: "inventory".into(),
        alarms: vec![AlarmDef {
            name: "InventoryUpdateErrors".into(),
            description: "Errors of InventoryUpdateFunction".into(),
            series: "errors/rate".into(),
            period: 60,
            stat: Stat::Average,
            threshold: Threshold::above(None, Some(3.0)),
            severity: Severity::Critical,
            runbook: None,
            log_filter: None,
            unit: "%".into(),
        }],
        ..Default::default()
    };
    let start = T0 - 60 * MINUTE;
    let mut model = Model::new(profile, start, 100);
    let points: Vec<(Ts, f64)> = (0..=60)
        .map(|m| (start + m * MINUTE, if m >= 50 { 12.0 } else { 1.0 }))
        .collect();
    model.apply(Update::Points {
        key: "errors/rate".into(),
        points,
    });
    model.tick(T0 - 5 * MINUTE);
    model.tick(T0);
    let mut s = AppState::new(model, vec![runbook], help(), "test".into());
    update(&mut s, Action::Tick(T0 + 30));
    s
}

fn cmd(s: &mut AppState, c: Command) {
    update(s, Action::Command(c));
}

fn typed(s: &mut AppState, text: &str) {
    for c in text.chars() {
        update(s, Action::Input(InputKey::Char(c)));
    }
    update(s, Action::Input(InputKey::Enter));
}

/// Opened, the first step done, a note on the second, its first choice armed.
fn walked(runbook: Runbook) -> AppState {
    let mut s = state(runbook);
    s.ui.focus = PaneId::Alarms;
    cmd(&mut s, Command::Select);
    cmd(&mut s, Command::StepDone);
    cmd(&mut s, Command::Note);
    typed(&mut s, "直前に v41 をデプロイ済み");
    cmd(&mut s, Command::Choose);
    s
}

fn pane(state: &AppState, w: u16, h: u16) -> Buffer {
    render::pane(state, PaneId::Runbook, w, h, true)
}

#[test]
fn walk_of_a_japanese_section() {
    let s = walked(seed());
    let out = text(&pane(&s, 64, 40));
    // The matched section and why.
    assert!(out.contains("section: 在庫更新エラーアラーム"), "{out}");
    assert!(out.contains("InventoryUpdateFunction"), "{out}");
    // Steps, sub-steps, the note under its step, the choices with the armed one.
    assert!(out.contains("[x] 1. アラーム状態の確認"), "{out}");
    assert!(out.contains("✎ 10:00 直前に v41 をデプロイ済み"), "{out}");
    assert!(
        out.contains("▶ [1] テーブルの制限 → テーブルスロットリングアラーム"),
        "{out}"
    );
    assert!(out.contains("[2] リリース直後 → 切り戻しの基準"), "{out}");
    // Escalation, live: one condition met, one watched.
    assert!(
        out.contains("⚠ escalate: エラー率が 10% を超える — met since 09:50"),
        "{out}"
    );
    assert!(
        out.contains("watching: エラー率が 10% を超える / 20分以上継続"),
        "{out}"
    );
    for l in out.lines() {
        assert!(l.width() <= 64, "{l}");
    }
    insta::assert_snapshot!("walk_ja_64x40", out);
}

#[test]
fn warnings_of_the_runbook_are_shown() {
    let mut s = walked(seed_with_warning());
    // Walk to the last step so the escalation and warnings are in view.
    cmd(&mut s, Command::Back);
    cmd(&mut s, Command::Bottom);
    let out = text(&pane(&s, 72, 44));
    assert!(
        out.contains("runbook ja_seed_layout.md: line 141: section id `連絡先` is already u"),
        "{out}"
    );
    insta::assert_snapshot!("walk_ja_warning_72x44", out);
}

#[test]
fn first_step_offers_copy_and_acts() {
    let mut s = state(seed());
    s.ui.focus = PaneId::Alarms;
    cmd(&mut s, Command::Select);
    let out = text(&pane(&s, 64, 24));
    assert!(out.contains("y: copy the command"), "{out}");
    cmd(&mut s, Command::Copy);
    let full = text(&screen(&s, 120, 40));
    assert!(
        full.contains("copied: aws cloudwatch describe-alarms"),
        "{full}"
    );
}

#[test]
fn section_picker_overlay() {
    let mut s = state(seed());
    cmd(&mut s, Command::PickSection);
    cmd(&mut s, Command::Down);
    let out = text(&screen(&s, 100, 30));
    assert!(
        out.contains("Pick a runbook section for InventoryUpdateErrors"),
        "{out}"
    );
    assert!(out.contains("▶ alarm"), "{out}");
    insta::assert_snapshot!("section_picker_100x30", out);
}

#[test]
fn no_match_offers_the_picker() {
    let mut s = state(Runbook {
        id: "empty".into(),
        ..Default::default()
    });
    s.ui.focus = PaneId::Alarms;
    cmd(&mut s, Command::Select);
    let out = text(&pane(&s, 64, 12));
    assert!(
        out.contains("no runbook section matches this alarm"),
        "{out}"
    );
    assert!(out.contains("S: pick a section"), "{out}");
}
