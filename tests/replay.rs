//! Record and replay: a demo session recorded headlessly through the same apply/record path as
//! the TUI, then played back; the frames at the same points are identical (symbols and
//! styles). Damaged files, compression, and the binary's `--record`, `replay` and
//! `snapshot --replay` end to end.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use common::pty::{self, Session};
use common::render::{screen, text};
use common::{cli, Scratch};
use opsdeck::app::{Action, AppState, Command, InputKey};
use opsdeck::record::{self, Header, Recorder, Views};
use opsdeck::replay::Player;
use opsdeck::session::{self, Files};
use opsdeck::source::demo::{self, DemoSource};
use opsdeck::source::Source;
use ratatui::buffer::Buffer;

/// The frame the state draws at its own terminal size.
fn frame(state: &AppState) -> Buffer {
    screen(state, state.ui.size.0, state.ui.size.1)
}

/// Record 40 simulated minutes of the bad deploy (a poll and a tick every 250 ms of recorded
/// time, 15 simulated seconds each) with operator actions along the way, through
/// `Recorder::apply_at`, the path `tui::run` takes. Returns the frames drawn at the end of
/// some steps, with their recorded time.
fn record_demo(path: &Path) -> Vec<(u64, Buffer)> {
    let files = Files::default();
    let (mut state, mut source, _keymap) =
        session::demo(demo::DEFAULT_SCENARIO, demo::DEFAULT_SEED, &files).unwrap();
    state.ui.size = (120, 40);
    let header = Header::capture(&files, "demo", Views::default(), &state).unwrap();
    header.check(&state).unwrap();
    let mut rec = Recorder::create(path, &header).unwrap();
    rec.apply_at(0, &mut state, Action::Resize(120, 40));
    let epoch = DemoSource::epoch();
    let mut frames = Vec::new();
    for step in 0..=160u64 {
        let ms = step * 250;
        let now = epoch + step as i64 * 15;
        let mut act = |state: &mut AppState, a: Action| rec.apply_at(ms, state, a);
        act(&mut state, Action::Updates(source.poll(now)));
        act(&mut state, Action::Tick(now));
        match step {
            60 => {
                // Open the top alarm's runbook and mark the first step done.
                act(&mut state, Action::Command(Command::FocusAlarms));
                act(&mut state, Action::Command(Command::Select));
                assert!(state.opened.is_some(), "a runbook opened");
                act(&mut state, Action::Command(Command::FocusRunbook));
                act(&mut state, Action::Command(Command::StepDone));
                assert!(state
                    .walks
                    .values()
                    .any(|w| w.marks.contains(&opsdeck::model::runbook::StepMark::Done)));
            }
            80 => {
                // Filter the log by typing.
                act(&mut state, Action::Command(Command::FilterLog));
                for c in "timeout".chars() {
                    act(&mut state, Action::Input(InputKey::Char(c)));
                }
                act(&mut state, Action::Input(InputKey::Enter));
            }
            100 => {
                act(&mut state, Action::Resize(100, 30));
            }
            120 => {
                // A click on the top left pane and a wheel turn; then zoom.
                act(&mut state, Action::Click(5, 3));
                act(&mut state, Action::Scroll(5, 3, -2));
                act(&mut state, Action::Command(Command::Zoom));
            }
            140 => {
                act(&mut state, Action::Command(Command::Zoom));
                act(&mut state, Action::Command(Command::Range3h));
            }
            _ => {}
        }
        if step % 10 == 0 || matches!(step, 61 | 81 | 101 | 121 | 141) {
            frames.push((ms, frame(&state)));
        }
    }
    rec.finish().unwrap();
    frames
}

fn assert_same(label: &str, got: &Buffer, want: &Buffer) {
    if got != want {
        panic!(
            "{label}: the replayed frame differs\n--- recorded:\n{}\n--- replayed:\n{}",
            text(want),
            text(got)
        );
    }
}

#[test]
fn replay_reproduces_the_recorded_frames_exactly() {
    let dir = Scratch::new("replay-frames");
    let path = dir.0.join("session.jsonl.gz");
    let frames = record_demo(&path);
    let rec = record::read(&path).unwrap();
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
    assert_eq!(rec.total_ms(), 40_000);

    // Seeking to each point, in order.
    let mut p = Player::new(rec.clone()).unwrap().follow_size(true);
    for (ms, want) in &frames {
        p.seek_to(*ms);
        assert_same(&format!("at {ms} ms"), &frame(p.state()), want);
    }
    // Backwards: every seek rebuilds from the start and fast-applies.
    for (ms, want) in frames.iter().rev() {
        p.seek_to(*ms);
        assert_same(&format!("back to {ms} ms"), &frame(p.state()), want);
    }
    // Back, then forward again.
    let (late, late_frame) = &frames[frames.len() - 3];
    let (early, early_frame) = &frames[4];
    p.seek_to(*late);
    p.seek_to(*early);
    assert_same("back", &frame(p.state()), early_frame);
    p.seek_to(*late);
    assert_same("forward again", &frame(p.state()), late_frame);

    // Played at the recorded pace by the playback clock: the same frames at the same times.
    let mut p = Player::new(rec.clone()).unwrap().follow_size(true);
    for (ms, want) in &frames {
        p.advance(*ms);
        assert_same(&format!("played to {ms} ms"), &frame(p.state()), want);
    }
    // And at ×4 the same moments come four times sooner.
    let mut p = Player::new(rec).unwrap().follow_size(true);
    p.control(Command::ReplayFaster, 0);
    p.control(Command::ReplayFaster, 0);
    assert_eq!(p.clock().speed(), 4.0);
    for (ms, want) in &frames {
        p.advance(ms.div_ceil(4));
        assert_same(&format!("×4 at {ms} ms"), &frame(p.state()), want);
    }
}

#[test]
fn a_replay_frame_with_its_status_bar() {
    let dir = Scratch::new("replay-status");
    let path = dir.0.join("s.jsonl.gz");
    record_demo(&path);
    let mut rec = record::read(&path).unwrap();
    // A fixed wall clock for the snapshot (2024-06-01 14:00:00 UTC).
    rec.header.started_ms = 1_717_250_400_000;
    let mut p = Player::new(rec).unwrap();
    p.set_keys(&opsdeck::keymap::Keymap::builtin_default());
    p.viewer(Action::Resize(160, 40));
    p.jump(0, 20_000);
    p.control(Command::ReplayFaster, 0);
    let status = p.status(0);
    assert_eq!(
        (status.position_s, status.total_s, status.speed),
        (20, 40, 2.0)
    );
    p.state_mut().replay = Some(status);
    let playing = text(&frame(p.state()));
    insta::assert_snapshot!("replay_playing_status", last_line(&playing));
    p.control(Command::ReplayPause, 0);
    p.state_mut().replay = Some(p.status(0));
    let paused = text(&frame(p.state()));
    insta::assert_snapshot!("replay_paused_status", last_line(&paused));
    // At the end: the last frame stays and says so.
    p.control(Command::ReplayPause, 0);
    p.advance(1_000_000);
    let end = p.status(1_000_000);
    assert!(end.ended);
    p.state_mut().replay = Some(end);
    let ended = text(&frame(p.state()));
    assert!(last_line(&ended).contains("END OF RECORDING"), "{ended}");
    // In Japanese.
    p.state_mut().lang = opsdeck::i18n::Lang::Ja;
    let ja = text(&frame(p.state()));
    assert!(last_line(&ja).contains("録画の終わり"), "{ja}");
}

fn last_line(screen: &str) -> &str {
    screen.trim_end_matches('\n').lines().last().unwrap_or("")
}

#[test]
fn a_torn_end_is_a_warning_and_garbage_is_refused_with_file_and_line() {
    let dir = Scratch::new("replay-damage");
    let path = dir.0.join("full.jsonl.gz");
    record_demo(&path);
    let full = record::read(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    // The compressed file cut short (a crash or a full disk).
    let torn = dir.0.join("torn.jsonl.gz");
    std::fs::write(&torn, &bytes[..bytes.len() - 200]).unwrap();
    let rec = record::read(&torn).unwrap();
    assert!(!rec.warnings.is_empty());
    assert!(rec.records.len() < full.records.len() && !rec.records.is_empty());
    assert_eq!(rec.records[..], full.records[..rec.records.len()]);
    let mut p = Player::new(rec).unwrap();
    p.seek_to(u64::MAX);

    // The decompressed text with its last line cut in half.
    let mut json = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut json)
        .unwrap();
    let cut = &json[..json.len() - 30];
    let rec = record::read_bytes(cut.as_bytes(), "cut.jsonl").unwrap();
    assert_eq!(rec.records.len(), full.records.len() - 1);
    assert!(
        rec.warnings[0].contains("cut.jsonl: line") && rec.warnings[0].contains("cut off"),
        "{:?}",
        rec.warnings
    );

    // A damaged line in the middle is an error naming the file and line.
    let mut lines: Vec<&str> = json.lines().collect();
    lines[5] = "{\"ms\": 1, \"action\": {\"warp\": 9}}";
    let bad = dir.0.join("bad.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all((lines.join("\n") + "\n").as_bytes()).unwrap();
    std::fs::write(&bad, enc.finish().unwrap()).unwrap();
    let e = record::read(&bad).unwrap_err();
    assert!(
        e.starts_with(&format!(
            "{}: line 6: expected a recorded action",
            bad.display()
        )),
        "{e}"
    );

    // Garbage, compressed or not.
    let garbage = dir.0.join("garbage.gz");
    std::fs::write(&garbage, b"\x00\x01garbage\xff").unwrap();
    let e = record::read(&garbage).unwrap_err();
    assert!(
        e.contains(&garbage.display().to_string()) && e.contains("not an opsdeck recording"),
        "{e}"
    );
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"hello world\nsecond line\n").unwrap();
    std::fs::write(&garbage, enc.finish().unwrap()).unwrap();
    let e = record::read(&garbage).unwrap_err();
    assert!(
        e.starts_with(&format!(
            "{}: line 1: not an opsdeck recording",
            garbage.display()
        )),
        "{e}"
    );
}

#[test]
fn the_recording_is_compressed() {
    let dir = Scratch::new("replay-size");
    let path = dir.0.join("s.jsonl.gz");
    record_demo(&path);
    let bytes = std::fs::read(&path).unwrap();
    let mut json = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut json)
        .unwrap();
    assert!(json.lines().count() > 300, "{} lines", json.lines().count());
    assert!(
        bytes.len() * 4 < json.len(),
        "{} compressed bytes for {} bytes of JSON",
        bytes.len(),
        json.len()
    );
    // The header carries what rebuilds the start: the built-in profile and runbooks here,
    // the keymap's help lines and the view options.
    let header: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(header["opsdeck_recording"], 1);
    assert_eq!(header["opsdeck"], env!("CARGO_PKG_VERSION"));
    assert_eq!(header["profile"]["builtin"], "demo");
    assert_eq!(header["runbooks"], "builtin");
    assert!(header["help"].as_array().unwrap().len() > 20);
}

#[test]
fn profile_and_runbook_files_travel_in_the_header() {
    let dir = Scratch::new("replay-files");
    let root = env!("CARGO_MANIFEST_DIR");
    let profile = Path::new(root).join("profiles/demo.toml");
    let runbooks = dir.0.join("runbooks");
    std::fs::create_dir_all(&runbooks).unwrap();
    std::fs::copy(
        Path::new(root).join("runbooks/crypto-watch.md"),
        runbooks.join("crypto-watch.md"),
    )
    .unwrap();
    let files = Files {
        profile: Some(profile.clone()),
        runbooks: Some(runbooks.clone()),
        ..Files::default()
    };
    let theme = dir.0.join("mine.toml");
    std::fs::copy(Path::new(root).join("themes/light.toml"), &theme).unwrap();
    let (mut state, _source, _keymap) = session::demo("calm", 1, &files).unwrap();
    state.ui.size = (120, 40);
    // The view options as main applies them, and an AWS session's account for the banner.
    let views = Views {
        present: true,
        deploy_start: Some("10m".into()),
        theme: Some(theme.display().to_string()),
        ..Views::default()
    };
    opsdeck::deploy::apply_cli(&mut state, false, Some("10m")).unwrap();
    opsdeck::warroom::apply_cli(&mut state, true, None, Some(theme.to_str().unwrap())).unwrap();
    state.war.account_id = Some("123456789012".into());
    state.war.region = Some("ap-northeast-1".into());
    let header = Header::capture(&files, "demo", views, &state).unwrap();
    assert!(header.views.theme_text.is_some());
    match &header.profile {
        record::ProfileText::File { origin, text } => {
            assert_eq!(origin, &profile.display().to_string());
            assert_eq!(text, &std::fs::read_to_string(&profile).unwrap());
        }
        other => panic!("{other:?}"),
    }
    match &header.runbooks {
        record::RunbookTexts::Files(all) => {
            assert_eq!(all.len(), 1);
            assert_eq!(all[0].id, "crypto-watch");
        }
        other => panic!("{other:?}"),
    }
    // The files may be gone where the recording is replayed.
    std::fs::remove_dir_all(&runbooks).unwrap();
    std::fs::remove_file(&theme).unwrap();
    let rebuilt = header.build().unwrap();
    assert_eq!(rebuilt.runbooks, state.runbooks);
    assert_eq!(rebuilt.model.profile, state.model.profile);
    assert_eq!(rebuilt.war.theme, state.war.theme);
    assert_eq!(rebuilt.war.account_id, state.war.account_id);
    assert_eq!(rebuilt.model.markers, state.model.markers);
    assert!(rebuilt.ui.present && rebuilt.ui.redact && rebuilt.ui.deploy_view);
    header.check(&state).unwrap();
    // Through the file and back.
    let path = dir.0.join("r.jsonl.gz");
    Recorder::create(&path, &header).unwrap().finish().unwrap();
    assert_eq!(record::read(&path).unwrap().header, header);
}

// ---------------------------------------------------------------------------------------
// The binary: `--record` in a pseudo-terminal, then `snapshot --replay` and `replay`.

const T: Duration = Duration::from_secs(30);

/// The binary in a pseudo-terminal with `home` as HOME, without the machine's `NO_COLOR`.
fn pty(home: &Path, args: &[&str], cols: u16, rows: u16) -> Session {
    let mut cmd = pty::command(home, args);
    cmd.env_remove("NO_COLOR");
    Session::spawn(cmd, cols, rows)
}

fn opsdeck(home: &Path, args: &[&str]) -> std::process::Output {
    cli::command(home)
        .args(args)
        .arg("--log-file")
        .arg(home.join("opsdeck.log"))
        .env("XDG_DATA_HOME", home.join("data"))
        .current_dir(home)
        .output()
        .unwrap()
}

#[test]
fn the_binary_records_replays_and_snapshots_a_recording() {
    let dir = Scratch::new("replay-cli");
    let home = &dir.0;
    let file = home.join("war-room.jsonl.gz");
    let file_s = file.to_str().unwrap();

    // Record a few seconds of the demo at ×60, opening the top alarm's runbook on the way.
    let mut s = pty(
        home,
        &["--demo", "--speed", "60", "--record", file_s],
        120,
        40,
    );
    s.wait_for("a firing alarm", T, |t| t.contains("ALARM"));
    s.send("a");
    s.send("\r");
    s.wait_for("the runbook", T, |t| t.contains("[ ]"));
    s.send("d");
    s.wait_for("a step done", T, |t| t.contains("Runbook 1/"));
    std::thread::sleep(Duration::from_millis(1500));
    let rec = quit_and_read(&mut s, &file, home);
    assert_eq!(
        rec.header.size,
        (80, 24),
        "the size before the terminal's is known"
    );
    assert!(rec.header.label.contains("×60"), "{}", rec.header.label);
    assert!(rec
        .records
        .iter()
        .any(|r| r.action == Action::Command(Command::StepDone)));
    assert!(rec
        .records
        .iter()
        .any(|r| r.action == Action::Resize(120, 40)));
    let total = rec.total_ms();

    // The frame at the end: the runbook with its step done, at the recorded size.
    let at = format!("{}s", total / 1000);
    let out = opsdeck(home, &["snapshot", "--replay", file_s, "--at", &at]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frame = String::from_utf8(out.stdout).unwrap();
    assert_eq!(frame.lines().count(), 40, "{frame}");
    assert!(frame.contains("demo: bad-deploy ×60"), "{frame}");
    assert!(frame.contains("Runbook 1/"), "a step done:\n{frame}");
    // Replayed with the Player in this process, the same moment draws the same text.
    let mut p = Player::new(rec.clone()).unwrap().follow_size(true);
    p.seek_to(total / 1000 * 1000);
    assert_eq!(text(&frame_of(p.state_mut())), frame);

    // The start, by the console's clock (HH:MM:SS UTC of the header), at another size.
    let start = opsdeck::model::time::hms(rec.header.start);
    let out = opsdeck(
        home,
        &[
            "snapshot", "--replay", file_s, "--at", &start, "--size", "100x30",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frame = String::from_utf8(out.stdout).unwrap();
    assert_eq!(frame.lines().count(), 30);
    assert!(
        !frame.contains("Runbook 1/"),
        "nothing done yet at the start:\n{frame}"
    );

    // Past the end, and a file that is no recording: plain messages naming what is wrong.
    let out = opsdeck(home, &["snapshot", "--replay", file_s, "--at", "3h"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--at") && err.contains("past the end"),
        "{err}"
    );
    let bogus = home.join("bogus.json");
    std::fs::write(&bogus, "{\"hello\": 1}\n").unwrap();
    let out = opsdeck(home, &["replay", bogus.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}: line 1: not an opsdeck recording",
            bogus.display()
        )),
        "{err}"
    );
    // --record never overwrites.
    let out = opsdeck(home, &["--demo", "--record", file_s]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    // The replay in the terminal: playing, paused, faster, the end, quit.
    let mut r = pty(home, &["replay", file_s], 120, 40);
    r.wait_for("the replay bar", T, |t| t.contains("REPLAY ×1"));
    r.send(".");
    r.wait_for("paused", T, |t| t.contains("PAUSED ×1"));
    r.send(".");
    r.send(">");
    r.send(">");
    r.send(">");
    r.wait_for("faster", T, |t| t.contains("REPLAY ×8"));
    let t = r.wait_for("the end", T, |t| t.contains("END OF RECORDING"));
    assert!(t.contains("Runbook 1/"), "the last frame stays:\n{t}");
    r.send("<<<");
    r.send("[");
    r.wait_for("a minute back: playing from the start", T, |t| {
        t.contains("REPLAY ×1") && t.contains(" 0:0")
    });
    r.send("q");
    assert!(r.wait_exit(T).success());
}

fn frame_of(state: &mut AppState) -> Buffer {
    let (w, h) = state.ui.size;
    opsdeck::snapshot::render(state, w, h)
}

/// An AWS session against the seeded emulator: recorded with the built-in AWS profile, the
/// region and account for the banner, and the account's data as updates; replayed elsewhere
/// without AWS.
#[test]
fn an_aws_session_records_and_replays_without_aws() {
    assert!(
        std::env::var("OPSDECK_TEST_SEEDED").is_ok(),
        "run ./scripts/test (it starts the AWS emulator)"
    );
    let dir = Scratch::new("replay-aws");
    let home = &dir.0;
    let file = home.join("aws.jsonl.gz");
    let file_s = file.to_str().unwrap();
    let mut s = pty(home, &["--record", file_s], 160, 48);
    s.wait_for("the account's resources", T, |t| {
        t.contains("crypto-watch-api") && t.contains("LambdaErrorAlarm")
    });
    std::thread::sleep(Duration::from_millis(1500));
    s.send("a");
    std::thread::sleep(Duration::from_millis(500));
    let rec = quit_and_read(&mut s, &file, home);
    assert_eq!(
        rec.header.profile,
        record::ProfileText::Builtin("aws".into())
    );
    assert!(rec.header.region.is_some(), "{:?}", rec.header.region);
    // The emulator is not AWS, and the replay's banner must say so too.
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let host = rec.header.endpoint.as_deref().expect("the endpoint");
    assert!(endpoint.ends_with(host), "{endpoint} vs {host}");
    assert!(rec
        .records
        .iter()
        .any(|r| matches!(&r.action, Action::Updates(u) if u.iter().any(|u| matches!(u, opsdeck::model::Update::Inventory(_))))));
    let total = rec.total_ms();

    // Replayed with no AWS at all: the endpoint and credentials are gone.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["snapshot", "--replay", file_s, "--at"])
        .arg(format!("{}s", total / 1000))
        .args(["--log-file", "/dev/null"])
        .env_clear()
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frame = String::from_utf8(out.stdout).unwrap();
    assert!(frame.contains("crypto-watch-api"), "{frame}");
    let mut p = Player::new(rec).unwrap().follow_size(true);
    p.seek_to(total / 1000 * 1000);
    assert_eq!(text(&frame_of(p.state_mut())), frame);
}

/// Quit the recording session `s`; its recording in `file` reads whole, and its header
/// rebuilt the session's starting state (see [`assert_rebuilt_exactly`]).
fn quit_and_read(s: &mut Session, file: &Path, home: &Path) -> record::Recording {
    s.send("q");
    assert!(s.wait_exit(T).success());
    let rec = record::read(file).unwrap();
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
    assert_rebuilt_exactly(home);
    rec
}

/// The session's log has no `--record` warning: the header rebuilt a starting state that
/// draws like the session's own (see `Header::check`).
fn assert_rebuilt_exactly(home: &Path) {
    let log = std::fs::read_to_string(home.join("opsdeck.log")).unwrap_or_default();
    assert!(log.contains("session ended"), "the session's log:\n{log}");
    assert!(!log.contains("--record"), "{log}");
}
