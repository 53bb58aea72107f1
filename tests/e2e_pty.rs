//! End to end: the real binary in a real pseudo-terminal, driven by keys, its screen read back
//! through a terminal emulator (vt100), and the terminal checked to be restored afterwards.

mod common;
use common::pty::{assert_restored, contains, Session};
use common::Scratch;

use std::time::Duration;

use portable_pty::PtySize;

const T: Duration = Duration::from_secs(30);

#[test]
fn demo_walk_keys_and_restore() {
    let mut s = Session::start(
        "e2e-walk",
        &["--demo", "bad-deploy", "--speed", "60"],
        160,
        48,
    );
    s.wait_for("the console", T, |t| {
        t.contains("Alarms") && t.contains("Log tail") && t.contains("Latency")
    });
    // At 60x, the bad deploy's gates breach within a few simulated minutes.
    s.wait_for("a firing alarm", T, |t| t.contains("ALARM"));
    // Focus the alarms pane and open the top alarm's runbook.
    s.send("a");
    s.send("\r");
    s.wait_for("the runbook checklist", T, |t| t.contains("[ ]"));
    // Mark the current step done.
    s.send("d");
    s.wait_for("a step marked done", T, |t| t.contains("[x]"));
    // Help generated from the keymap.
    s.send("?");
    let t = s.wait_for("help", T, |t| {
        t.contains("focus-next") && t.contains("zoom")
    });
    assert!(
        t.contains("shift-tab"),
        "help lists keys of the active keymap:\n{t}"
    );
    s.send("\x1b");
    s.wait_for("help closed", T, |t| !t.contains("focus-next"));
    // Zoom the focused pane (the runbook) and back.
    s.send("z");
    let t = s.wait_for("zoomed", T, |t| {
        !t.contains("Request rate") && t.contains("[x]")
    });
    assert!(
        t.contains("Escalate"),
        "escalation conditions shown in the zoomed runbook:\n{t}"
    );
    s.send("z");
    s.wait_for("unzoomed", T, |t| t.contains("Request rate"));
    // Filter the log.
    s.send("/");
    s.send("timed out");
    s.send("\r");
    s.wait_for("filter shown", T, |t| t.contains("/timed out"));
    s.send("q");
    let status = s.wait_exit(T);
    assert!(status.success(), "exit status {status:?}");
    assert_restored(&s.raw());
}

#[test]
fn too_small_then_resized() {
    let mut s = Session::start("e2e-small", &["--demo", "calm"], 60, 20);
    s.wait_for("the too-small notice", T, |t| t.contains("too small"));
    s.master
        .resize(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    s.wait_for("the compact layout", T, |t| {
        t.contains("Alarms") && !t.contains("too small")
    });
    s.send("q");
    assert!(s.wait_exit(T).success());
    assert_restored(&s.raw());
}

#[test]
fn bad_keymap_is_refused_with_file_and_line_before_the_screen_is_touched() {
    let dir = Scratch::new("e2e-badkeymap");
    let path = dir.0.join("bad.toml");
    std::fs::write(&path, "[keys]\nq = \"quit\"\nx = \"explode\"\n").unwrap();
    let mut s = Session::start(
        "e2e-badkeymap-run",
        &["--demo", "--keymap", path.to_str().unwrap()],
        100,
        30,
    );
    let status = s.wait_exit(T);
    assert!(!status.success());
    let raw = String::from_utf8_lossy(&s.raw()).to_string();
    assert!(raw.contains("bad.toml"), "names the file: {raw}");
    assert!(raw.contains("line 3"), "names the line: {raw}");
    assert!(raw.contains("focus-next"), "lists the valid names: {raw}");
    assert!(
        !contains(s.raw().as_slice(), b"\x1b[?1049h"),
        "never entered the alternate screen"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut s = Session::start("e2e-term", &["--demo", "latency"], 120, 40);
    s.wait_for("the console", T, |t| t.contains("Alarms"));
    let pid = s.child.process_id().expect("pid");
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    s.wait_exit(T);
    assert_restored(&s.raw());
}

#[test]
fn runbook_progress_survives_kill_9() {
    let home = Scratch::new("e2e-kill9");
    let args = ["--demo", "bad-deploy", "--speed", "60"];
    let mut s = Session::start_in(&home.0, &args, 160, 48);
    s.wait_for("a firing alarm", T, |t| t.contains("ALARM"));
    s.send("a");
    s.send("\r");
    s.wait_for("the runbook checklist", T, |t| t.contains("[ ]"));
    s.send("d");
    s.send("s");
    s.wait_for("a step done and one skipped", T, |t| {
        t.contains("1/7 done, 1 skipped")
    });
    // No chance to clean up: SIGKILL.
    s.child.kill().unwrap();
    s.wait_exit(T);
    let mut again = Session::start_in(&home.0, &args, 160, 48);
    again.wait_for("the walk resumed", T, |t| t.contains("1/7 done, 1 skipped"));
    again.send("q");
    assert!(again.wait_exit(T).success());
}

#[test]
fn mouse_click_focuses_and_wheel_scrolls_the_log() {
    let mut s = Session::start("e2e-mouse", &["--demo", "calm", "--speed", "10"], 160, 48);
    s.wait_for("the console", T, |t| t.contains("Log tail FOLLOW"));
    // SGR mouse report: left button press at column 150, row 40 (1-based), inside the log.
    s.send("\x1b[<0;150;40M\x1b[<0;150;40m");
    s.wait_for("log focused", T, |t| {
        t.lines()
            .last()
            .is_some_and(|l| l.trim_start().starts_with("Log tail"))
    });
    // Wheel up over the log scrolls back, which pauses following.
    s.send("\x1b[<64;150;40M");
    s.wait_for("log paused", T, |t| t.contains("PAUSED"));
    // Click on the latency pane focuses it.
    s.send("\x1b[<0;120;5M\x1b[<0;120;5m");
    s.wait_for("latency focused", T, |t| {
        t.lines()
            .last()
            .is_some_and(|l| l.trim_start().starts_with("Latency"))
    });
    s.send("q");
    assert!(s.wait_exit(T).success());
    assert_restored(&s.raw());
}

/// `opsdeck` with no flags, against the seeded emulator: the seeded resources and values in
/// the panes, the seeded alarm, the seeded (sanitised) log lines, and the API counter.
#[test]
fn aws_console_shows_the_seeded_account() {
    // The endpoint variables come from the environment ./scripts/test sets; say so if absent.
    common::env("AWS_ENDPOINT_URL");
    common::env("OPSDECK_TEST_SEEDED");
    let mut s = Session::start("e2e-aws", &[], 200, 60);
    let t = s.wait_for(
        "the account's resources and values",
        Duration::from_secs(90),
        |t| {
            [
                "crypto-watch-api",
                "profile-db-writer",
                "crypto-watch-data",
                "LambdaErrorAlarm",
                "price fetched",
                "too many connections",
            ]
            .iter()
            .all(|w| t.contains(w))
        },
    );
    assert!(
        t.contains("aws us-east-1"),
        "the header names the region:\n{t}"
    );
    assert!(
        t.contains("endpoint 127.0.0.1"),
        "and that this is not AWS itself:\n{t}"
    );
    assert!(
        t.contains("API ") && t.contains(" calls"),
        "the API counter:\n{t}"
    );
    assert!(
        t.contains("1000"),
        "1000 requests a minute, as seeded:\n{t}"
    );
    assert!(t.contains("42"), "42 writer connections, as seeded:\n{t}");
    let raw = s.raw();
    assert!(
        !contains(&raw, b"pwned\x07"),
        "no OSC from log data reached the terminal"
    );
    assert!(
        !contains(&raw, "\u{202e}".as_bytes()),
        "no bidi override reached the terminal"
    );
    s.send("q");
    let status = s.wait_exit(T);
    assert!(status.success(), "{status:?}");
    assert_restored(&s.raw());
}

/// Missing credentials: a plain explanation, exit 2, and the terminal never touched.
#[test]
fn aws_without_credentials_explains_what_to_do() {
    let home = Scratch::new("e2e-nocreds");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--log-file", "/dev/null", "--profile", "nobody"])
        .env_clear()
        .env("HOME", &home.0)
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_CONFIG_FILE", home.0.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.0.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("run opsdeck");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no usable AWS credentials for profile nobody"),
        "{err}"
    );
    assert!(err.contains("aws sso login --profile nobody"), "{err}");
    assert!(err.contains("opsdeck --demo"), "{err}");
    assert!(
        !contains(&out.stdout, b"\x1b[?1049h"),
        "the alternate screen was never entered"
    );
}
