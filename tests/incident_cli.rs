//! `opsdeck incident list` and `opsdeck incident report` on journals written here, and the
//! headless `snapshot` command leaving the journal alone. Every run gets its own HOME and
//! XDG directories, so the machine's data directory is never touched.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use opsdeck::journal::{Appender, Entry, Kind};
use opsdeck::model::alarm::{AlarmState, Severity};
use opsdeck::model::runbook::StepMark;

struct Home(PathBuf);

impl Home {
    fn new(tag: &str) -> Home {
        let p = std::env::temp_dir().join(format!("opsdeck-incident-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Home(p)
    }
    fn incidents(&self) -> PathBuf {
        self.0.join("data").join("opsdeck").join("incidents")
    }
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .args(args)
            .args(["--log-file", "/dev/null"])
            .env("HOME", &self.0)
            .env("XDG_CONFIG_HOME", self.0.join("config"))
            .env("XDG_DATA_HOME", self.0.join("data"))
            .env("XDG_STATE_HOME", self.0.join("state"))
            // English whatever the machine's locale (a Japanese one would switch the UI).
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .output()
            .expect("run opsdeck")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const T0: i64 = 1_741_946_880; // 2025-03-14 10:08:00 UTC

fn e(ts: i64, who: &str, kind: Kind) -> Entry {
    Entry {
        ts,
        who: who.into(),
        kind,
    }
}

/// An incident: opened, a step done, still open or closed.
fn write_incident(dir: &Path, id: &str, opened: i64, alarm: &str, closed: bool) {
    let (mut a, used) = Appender::create(dir, id).unwrap();
    assert_eq!(used, id);
    let mut entries = vec![
        e(
            opened,
            "alice",
            Kind::IncidentOpened {
                id: id.into(),
                alarm: alarm.into(),
                severity: Some(Severity::High),
                source: "demo: bad-deploy".into(),
                service: "profile-api".into(),
                by_hand: false,
            },
        ),
        e(
            opened,
            "alice",
            Kind::AlarmTransition {
                alarm: alarm.into(),
                state: AlarmState::Alarm,
                severity: Some(Severity::High),
                value: Some(12.0),
            },
        ),
        e(
            opened + 150,
            "bob",
            Kind::StepMarked {
                section: "ops#errors".into(),
                step: 0,
                text: "Check the error logs".into(),
                mark: StepMark::Done,
            },
        ),
        e(
            opened + 600,
            "alice",
            Kind::AlarmTransition {
                alarm: alarm.into(),
                state: AlarmState::Ok,
                severity: Some(Severity::High),
                value: Some(0.5),
            },
        ),
        e(
            opened + 620,
            "alice",
            Kind::MetricSnapshot {
                series: "errors/rate".into(),
                points: (-15..26)
                    .map(|m| {
                        (
                            opened + m * 60,
                            if (0..10).contains(&m) { 12.0 } else { 0.5 },
                        )
                    })
                    .collect(),
            },
        ),
    ];
    if closed {
        entries.push(e(
            opened + 1500,
            "alice",
            Kind::IncidentClosed {
                why: "every alarm OK for 15m00s".into(),
                resolved_at: Some(opened + 600),
            },
        ));
    }
    for en in &entries {
        a.append(en).unwrap();
    }
}

#[test]
fn list_and_report() {
    let home = Home::new("report");
    // Nothing yet.
    let o = home.run(&["incident", "list"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("No incidents recorded"), "{}", out(&o));
    let o = home.run(&["incident", "report"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no incidents recorded yet"), "{}", err(&o));

    let dir = home.incidents();
    write_incident(
        &dir,
        "20250314-100800-profileapi-higherrorrate",
        T0,
        "ProfileAPI-HighErrorRate",
        true,
    );
    write_incident(
        &dir,
        "20250315-090000-profiledb-highconnections",
        T0 + 82_920,
        "ProfileDB-HighConnections",
        false,
    );
    // A crash left half a line at the end of the open one.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("20250315-090000-profiledb-highconnections.jsonl"))
            .unwrap();
        f.write_all(b"{\"ts\":1741949000,\"who\":\"al").unwrap();
    }

    let o = home.run(&["incident", "list"]);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("ENTRIES"),
        "{text}"
    );
    for want in [
        "20250314-100800-profileapi-higherrorrate",
        "2025-03-14 10:08:00",
        "ProfileAPI-HighErrorRate",
        "High",
        "10m00s",
        "closed",
        "6",
    ] {
        assert!(lines[1].contains(want), "{want} in {}", lines[1]);
    }
    for want in [
        "20250315-090000-profiledb-highconnections",
        "open",
        "damaged tail dropped",
    ] {
        assert!(lines[2].contains(want), "{want} in {}", lines[2]);
    }

    // Default: the newest.
    let o = home.run(&["incident", "report"]);
    assert!(o.status.success(), "{}", err(&o));
    let md = out(&o);
    assert!(
        md.starts_with("# Incident report: ProfileDB-HighConnections\n"),
        "{md}"
    );
    assert!(md.contains("cut off by a crash"), "{md}");
    assert!(md.contains("| Closed | still open"), "{md}");

    // By a part of the id, to a file.
    let file = home.0.join("report.md");
    let o = home.run(&[
        "incident",
        "report",
        "higherror",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let md = std::fs::read_to_string(&file).unwrap();
    for want in [
        "# Incident report: ProfileAPI-HighErrorRate",
        "| Service | profile-api (demo: bad-deploy) |",
        "| Severity | High (respond within 1 h) |",
        "| Opened | 2025-03-14 10:08:00 UTC |",
        "| Resolved | 2025-03-14 10:18:00 UTC |",
        "| Duration | 10m00s (opened to resolved) |",
        "| Time to first action | 2m30s (step 1 done by bob, within the 1 h deadline) |",
        "| 10:10:30 | +2m30s | bob | Step 1 of `ops#errors` done: Check the error logs |",
        "| ProfileAPI-HighErrorRate | High | 10:08:00 | 10:18:00 | 10m00s | 1 | 12 |",
        "errors/rate  min 0.5  max 12  last 0.5",
        "## Cause",
        "## Prevention",
    ] {
        assert!(md.contains(want), "{want:?} in\n{md}");
    }
    // Deterministic.
    let again = home.run(&[
        "incident",
        "report",
        "20250314-100800-profileapi-higherrorrate",
    ]);
    assert_eq!(out(&again), md);

    // Unknown and ambiguous ids.
    let o = home.run(&["incident", "report", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("no incident matches \"nope\""),
        "{}",
        err(&o)
    );
    let o = home.run(&["incident", "report", "2025031"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("matches 2 incidents"), "{}", err(&o));
}

#[test]
fn headless_snapshot_does_not_journal() {
    let home = Home::new("snapshot");
    let o = home.run(&[
        "snapshot",
        "--demo",
        "bad-deploy",
        "--at",
        "10m",
        "--size",
        "120x40",
        "--press",
        "a enter d",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!home.incidents().exists(), "snapshot wrote a journal");
    let o = home.run(&["incident", "list"]);
    assert!(out(&o).contains("No incidents recorded"), "{}", out(&o));
}

/// The real console in a pseudo-terminal: marking steps journals them; after `kill -9`, with
/// the saved progress file gone, the walk comes back from the journal alone; the report shows
/// who did what.
#[test]
fn console_journals_and_resumes_from_the_journal_after_kill_9() {
    use common::pty::{command, Session};
    use std::time::{Duration, Instant};

    const T: Duration = Duration::from_secs(30);
    let home = Home::new("pty");
    let start = |home: &Path| {
        let mut cmd = command(home, &["--demo", "bad-deploy", "--speed", "60"]);
        // The journal records who marked each step.
        cmd.env("USER", "tester");
        Session::spawn(cmd, 160, 48)
    };

    let mut s = start(&home.0);
    s.wait_for("a firing alarm", T, |t| t.contains("ALARM"));
    s.send("a");
    s.send("\r");
    s.wait_for("the runbook checklist", T, |t| t.contains("[ ]"));
    s.send("d");
    s.send("s");
    s.wait_for("a step done and one skipped", T, |t| {
        t.contains("1/7 done, 1 skipped")
    });
    // The screen shows it once update() ran; the journal is written right after the batch.
    let t0 = Instant::now();
    let summary = loop {
        let all = opsdeck::journal::list(&home.incidents()).unwrap();
        let steps = all
            .first()
            .map(|s| {
                opsdeck::journal::read_file(&s.path)
                    .unwrap()
                    .entries
                    .iter()
                    .filter(|e| matches!(e.kind, Kind::StepMarked { .. }))
                    .count()
            })
            .unwrap_or(0);
        if steps == 2 {
            break all[0].clone();
        }
        assert!(t0.elapsed() < T, "steps not journaled: {all:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(summary.is_open());
    assert_eq!(summary.source, "demo: bad-deploy");
    s.child.kill().unwrap(); // SIGKILL: no chance to clean up.
    let _ = s.child.wait();
    drop(s);

    // Only the journal remembers the walk now.
    let _ = std::fs::remove_dir_all(home.0.join("data").join("opsdeck").join("progress"));
    let mut s = start(&home.0);
    s.wait_for("the walk resumed from the journal", T, |t| {
        t.contains("1/7 done, 1 skipped")
    });
    s.send("q");
    assert!(s.wait_exit(T).success());
    // Still one incident, resumed rather than duplicated.
    let all = opsdeck::journal::list(&home.incidents()).unwrap();
    assert_eq!(all.len(), 1, "{all:?}");

    let o = home.run(&["incident", "report"]);
    assert!(o.status.success(), "{}", err(&o));
    let md = out(&o);
    assert!(md.contains("| 1 | "), "{md}");
    assert!(md.contains("| done | tester |"), "{md}");
    assert!(md.contains("| skipped | tester |"), "{md}");
    assert!(md.contains("1 done, 1 skipped."), "{md}");
    assert!(md.contains("→ **ALARM**"), "{md}");
    assert!(md.contains("```text\n"), "key metrics charted: {md}");
}
