//! The full screen in Japanese (`--lang ja`): insta snapshots of the demo at the compact and
//! the large layout, the runbook walk and the help screen, and a no-panic sweep over sizes.

use opsdeck::app::{self, Action, AppState, Command};
use opsdeck::i18n::Lang;
use opsdeck::session::{self, Files};
use opsdeck::snapshot;
use unicode_width::UnicodeWidthStr;

fn demo_ja(scenario: &str, minutes: i64) -> AppState {
    let (mut state, mut source, _) = session::demo(
        scenario,
        opsdeck::source::demo::DEFAULT_SEED,
        &Files::default(),
    )
    .expect("the demo starts");
    state.lang = Lang::Ja;
    let now = opsdeck::source::demo::DemoSource::epoch() + minutes * 60;
    session::advance(&mut state, &mut source, now);
    state
}

fn frame(state: &mut AppState, cols: u16, rows: u16) -> String {
    snapshot::to_text(&snapshot::render(state, cols, rows))
}

/// Every row of the text frame is exactly `cols` cells wide (a wide character takes two).
fn assert_rows_fit(text: &str, cols: u16) {
    for (i, row) in text.lines().enumerate() {
        assert!(
            row.width() <= cols as usize,
            "row {i} is {} cells, wider than {cols}:\n{row}",
            row.width()
        );
    }
}

#[test]
fn bad_deploy_ja_160x48() {
    let mut s = demo_ja("bad-deploy", 9);
    let text = frame(&mut s, 160, 48);
    for word in [
        "リクエスト数",
        "エラー率",
        "レイテンシ",
        "Lambda スロットリング",
        "Aurora 接続数",
        "DynamoDB キャパシティ",
        "アラーム",
        "ログ",
        "ランブック",
        "ALARM",
    ] {
        assert!(text.contains(word), "{word} missing:\n{text}");
    }
    for english in [
        "Request rate",
        "Error rate",
        "Log tail",
        "Runbook",
        "firing",
    ] {
        assert!(
            !text.contains(english),
            "{english} left in English:\n{text}"
        );
    }
    assert_rows_fit(&text, 160);
    insta::assert_snapshot!(text);
}

#[test]
fn bad_deploy_ja_80x24() {
    let mut s = demo_ja("bad-deploy", 9);
    let text = frame(&mut s, 80, 24);
    for word in ["リクエスト数", "エラー率", "レイテンシ", "危険"] {
        assert!(text.contains(word), "{word} missing:\n{text}");
    }
    assert_rows_fit(&text, 80);
    insta::assert_snapshot!(text);
}

#[test]
fn runbook_walk_ja_160x48() {
    let mut s = demo_ja("bad-deploy", 10);
    for c in [Command::FocusAlarms, Command::Select, Command::StepDone] {
        app::update(&mut s, Action::Command(c));
    }
    let text = frame(&mut s, 160, 48);
    assert!(text.contains("[x]"), "the first step is done:\n{text}");
    assert!(text.contains("完了"), "progress in Japanese:\n{text}");
    assert!(text.contains("セクション: "), "section label:\n{text}");
    assert_rows_fit(&text, 160);
    insta::assert_snapshot!(text);
}

#[test]
fn help_ja_120x40() {
    let mut s = demo_ja("bad-deploy", 9);
    app::update(&mut s, Action::Command(Command::Help));
    let text = frame(&mut s, 120, 40);
    assert!(text.contains("ヘルプ"), "{text}");
    assert!(text.contains("このヘルプを表示"), "{text}");
    assert_rows_fit(&text, 120);
    insta::assert_snapshot!(text);
}

#[test]
fn too_small_ja() {
    let mut s = demo_ja("bad-deploy", 9);
    let text = frame(&mut s, 60, 10);
    assert!(text.contains("端末が小さすぎます"), "{text}");
    assert_rows_fit(&text, 60);
}

#[test]
fn japanese_renders_at_every_size_without_panicking() {
    let mut plain = demo_ja("bad-deploy", 12);
    let mut walk = demo_ja("bad-deploy", 12);
    for c in [Command::FocusAlarms, Command::Select, Command::StepDone] {
        app::update(&mut walk, Action::Command(c));
    }
    let mut help = demo_ja("bad-deploy", 12);
    app::update(&mut help, Action::Command(Command::Help));
    let mut picker = demo_ja("bad-deploy", 12);
    for c in [Command::FocusRunbook, Command::PickSection] {
        app::update(&mut picker, Action::Command(c));
    }
    // Every width and height near the layout's breakpoints, and a grid over the rest.
    let widths: Vec<u16> = (0..=250)
        .filter(|w| w % 7 == 0 || (70..=90).contains(w) || *w == 250)
        .collect();
    let heights: Vec<u16> = (0..=70)
        .filter(|h| h % 3 == 0 || (20..=26).contains(h) || *h == 70)
        .collect();
    for s in [&mut plain, &mut walk, &mut help, &mut picker] {
        for &w in &widths {
            for &h in &heights {
                let text = frame(s, w, h);
                assert_rows_fit(&text, w);
            }
        }
    }
}

/// Run the binary with a clean locale (`LANG` as given, no `LC_ALL` / `LC_MESSAGES`).
fn opsdeck(args: &[&str], lang_env: &str) -> std::process::Output {
    let home = std::env::temp_dir().join(format!("opsdeck-ja-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .args(["--log-file", "/dev/null"])
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("LANG", lang_env)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("run opsdeck")
}

const SNAP: [&str; 7] = [
    "snapshot",
    "--demo",
    "bad-deploy",
    "--at",
    "9m",
    "--size",
    "120x40",
];

#[test]
fn cli_snapshot_lang_ja() {
    let mut args = SNAP.to_vec();
    args.extend(["--lang", "ja"]);
    let o = opsdeck(&args, "C.UTF-8");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    for w in ["エラー率", "リクエスト数", "アラーム", "ランブック"] {
        assert!(out.contains(w), "{w} missing:\n{out}");
    }
    assert!(!out.contains("Error rate"), "{out}");
}

#[test]
fn cli_lang_from_the_environment_and_the_flag_wins() {
    let o = opsdeck(&SNAP, "ja_JP.UTF-8");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("エラー率"),
        "LANG=ja_JP picks Japanese:\n{out}"
    );

    let mut args = SNAP.to_vec();
    args.extend(["--lang", "en"]);
    let o = opsdeck(&args, "ja_JP.UTF-8");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Error rate"), "--lang en wins:\n{out}");
    assert!(!out.contains("エラー率"), "{out}");

    let o = opsdeck(&SNAP, "C.UTF-8");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Error rate"), "English by default:\n{out}");
}

#[test]
fn cli_unknown_lang_is_a_usage_error() {
    let mut args = SNAP.to_vec();
    args.extend(["--lang", "xx"]);
    let o = opsdeck(&args, "C.UTF-8");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("en or ja"), "{err}");
}
