//! The command line: listing scenarios, refusing bad input with clear messages, and the
//! headless `snapshot` command.

mod common;
use common::cli::{self, stderr, stdout};

use std::process::{Command, Output};

fn opsdeck(args: &[&str]) -> Output {
    cli::run(&cli::home("cli"), args, &[])
}

#[test]
fn lists_scenarios() {
    let o = opsdeck(&["--demo", "--list"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for name in [
        "calm",
        "bad-deploy",
        "dynamodb-throttle",
        "aurora-connections",
        "lambda-throttle",
        "latency",
    ] {
        assert!(out.contains(name), "{name} listed:\n{out}");
    }
}

#[test]
fn unknown_scenario_lists_valid_ones() {
    let o = opsdeck(&["--demo", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("nope") && err.contains("bad-deploy"), "{err}");
}

#[test]
fn bad_profile_names_file_and_line() {
    let dir = std::env::temp_dir().join(format!("opsdeck-cli-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.toml");
    std::fs::write(&path, "[service]\nname = \"x\"\n\n[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nabove = 5\nseverity = \"urgent\"\n").unwrap();
    let o = opsdeck(&[
        "snapshot",
        "--demo",
        "calm",
        "--config",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("broken.toml"), "{err}");
    assert!(err.contains("line 8"), "{err}");
    assert!(err.contains("Critical"), "says what was expected: {err}");
}

#[test]
fn snapshot_formats() {
    let txt = opsdeck(&[
        "snapshot",
        "--demo",
        "bad-deploy",
        "--at",
        "9m",
        "--size",
        "120x40",
    ]);
    assert!(txt.status.success(), "{}", stderr(&txt));
    let text = stdout(&txt);
    assert_eq!(text.lines().count(), 40);
    assert!(
        text.contains("ALARM") && text.contains("Error rate"),
        "{text}"
    );
    assert!(!text.contains('\x1b'));

    let ansi = opsdeck(&[
        "snapshot",
        "--demo",
        "bad-deploy",
        "--at",
        "9m",
        "--size",
        "120x40",
        "--format",
        "ansi",
    ]);
    assert!(stdout(&ansi).contains("\x1b["));

    let svg = opsdeck(&[
        "snapshot",
        "--demo",
        "bad-deploy",
        "--at",
        "9m",
        "--size",
        "120x40",
        "--format",
        "svg",
    ]);
    let svg = stdout(&svg);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
}

#[test]
fn snapshot_is_deterministic_and_moves_with_time() {
    let a = stdout(&opsdeck(&[
        "snapshot", "--demo", "latency", "--at", "12m", "--size", "100x30",
    ]));
    let b = stdout(&opsdeck(&[
        "snapshot", "--demo", "latency", "--at", "12m", "--size", "100x30",
    ]));
    let c = stdout(&opsdeck(&[
        "snapshot", "--demo", "latency", "--at", "13m", "--size", "100x30",
    ]));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn snapshot_press_keys_and_small_terminal() {
    let o = opsdeck(&[
        "snapshot",
        "--demo",
        "bad-deploy",
        "--at",
        "10m",
        "--size",
        "160x48",
        "--press",
        "a enter d",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("[x]"));
    let small = opsdeck(&["snapshot", "--demo", "calm", "--size", "60x20"]);
    assert!(stdout(&small).contains("too small"));
    let bad = opsdeck(&["snapshot", "--demo", "calm", "--press", "ctrl-alt-nothing"]);
    assert_eq!(bad.status.code(), Some(2));
    let bad_at = opsdeck(&["snapshot", "--demo", "calm", "--at", "5 minutes"]);
    assert_eq!(bad_at.status.code(), Some(2));
    assert!(stderr(&bad_at).contains("--at"));
}

#[test]
fn no_region_explains_itself() {
    let home = std::env::temp_dir().join(format!("opsdeck-cli-noregion-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--log-file", "/dev/null"])
        .env_clear()
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run opsdeck");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("no AWS region is set"), "{err}");
    assert!(
        err.contains("--region") && err.contains("opsdeck --demo"),
        "{err}"
    );
}

/// `opsdeck snapshot` without --demo reads the AWS account (the seeded emulator) once.
#[test]
fn snapshot_of_the_aws_account() {
    assert!(
        std::env::var("OPSDECK_TEST_SEEDED").is_ok(),
        "run ./scripts/test (it starts the AWS emulator)"
    );
    let o = opsdeck(&["snapshot", "--size", "200x60", "--wait", "90s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for w in [
        "crypto-watch-api",
        "profile-db-writer",
        "crypto-watch-sessions",
        "LambdaErrorAlarm",
        "price fetched",
        "API ",
    ] {
        assert!(out.contains(w), "{w} in the snapshot:\n{out}");
    }
    assert!(
        !out.contains('\u{1b}'),
        "plain text, no escapes from data:\n{out}"
    );
}
