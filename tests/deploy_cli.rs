//! Deploy watch from the command line: `--deploy` and `--deploy-start` with `snapshot --demo`,
//! and the keys, run through the built binary.

mod common;
use common::cli::{self, stderr, stdout};

use std::process::Output;

fn opsdeck(args: &[&str]) -> Output {
    cli::run(&cli::home("deploy-cli"), args, &[])
}

/// `snapshot` of the demo `scenario` at `at` in a `size` terminal, `more` after.
fn snapshot(scenario: &str, at: &str, size: &str, more: &[&str]) -> Output {
    let mut args = vec!["snapshot", "--demo", scenario, "--at", at, "--size", size];
    args.extend_from_slice(more);
    opsdeck(&args)
}

/// The three rows under the header.
fn gates_rows(text: &str) -> Vec<String> {
    text.lines().skip(1).take(3).map(str::to_string).collect()
}

#[test]
fn deploy_shows_the_gates_in_breach() {
    let o = snapshot("bad-deploy", "8m", "200x60", &["--deploy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = gates_rows(&stdout(&o));
    assert!(
        rows[0].starts_with("─ Rollback gates · deploy 09:02 UTC, 6m00s ago"),
        "{rows:#?}"
    );
    assert!(rows[1].contains("ROLLBACK EXPECTED"), "{rows:#?}");
    assert!(rows[1].contains("rollback in 1m00s"), "{rows:#?}");
    assert!(rows[2].contains("consider rollback"), "{rows:#?}");

    // Without --deploy there is no gates row; the D key shows it.
    let o = snapshot("bad-deploy", "8m", "200x60", &[]);
    assert!(o.status.success());
    assert!(!stdout(&o).contains("Rollback gates"));
    let o = snapshot("bad-deploy", "8m", "200x60", &["--press", "D"]);
    assert!(gates_rows(&stdout(&o))[0].contains("Rollback gates"));
}

#[test]
fn deploy_start_marks_the_deploy_in_every_form() {
    for (start, title) in [
        (
            "09:05",
            "deploy 09:05 UTC, 10m00s ago · deploy (marked by hand)",
        ),
        (
            "09:05:30",
            "deploy 09:05 UTC, 9m30s ago · deploy (marked by hand)",
        ),
        ("2026-11-23T18:10:00+09:00", "deploy 09:10 UTC, 5m00s ago"),
        (
            "5m",
            "deploy 09:10 UTC, 5m00s ago · deploy (marked by hand)",
        ),
    ] {
        // calm, 09:15: its own deploy (v17 profile-api) comes at 09:20.
        let o = snapshot("calm", "15m", "160x48", &["--deploy-start", start]);
        assert!(o.status.success(), "{start}: {}", stderr(&o));
        let rows = gates_rows(&stdout(&o));
        assert!(rows[0].contains(title), "{start}: {rows:#?}");
    }
}

#[test]
fn a_bad_deploy_start_is_refused_with_the_forms_it_takes() {
    let o = opsdeck(&["snapshot", "--demo", "--deploy-start", "half past ten"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("--deploy-start: `half past ten` is not a time"),
        "{err}"
    );
    assert!(
        err.contains("HH:MM or HH:MM:SS") && err.contains("RFC 3339") && err.contains("15m"),
        "{err}"
    );
}

#[test]
fn compare_and_mark_keys() {
    let o = snapshot("bad-deploy", "8m", "120x40", &["--deploy", "--press", "C"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("since deploy 5.5% · before 0.36%"), "{text}");
    let o = snapshot("calm", "3m", "120x40", &["--press", "M"]);
    let text = stdout(&o);
    assert!(
        gates_rows(&text)[0].contains("deploy 09:03 UTC, 0s ago · deploy (marked by hand)"),
        "{text}"
    );
}
