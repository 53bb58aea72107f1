//! Fault injection: the real binary in a pseudo-terminal against the AWS emulator while the
//! emulator misbehaves. In each test the console keeps running, marks the panes whose data is
//! stale, says in the status bar which part failed and why, recovers by itself once the fault
//! is gone (no key pressed), quits cleanly with the terminal restored, and the incident
//! journal holds every entry made before and during the fault.
//!
//! Faults: the emulator killed (SIGKILL) mid-session and started again (a private moto and
//! proxy, [`common::emulator`]); the others through the shared test proxy's fault rules
//! ([`common::faults`]), which apply only to requests signed with the test's own access key:
//! throttling, AccessDenied for one service, responses slower than opsdeck's timeouts, and
//! truncated and malformed responses.
//!
//! Needs the emulator: run `./scripts/test` (it starts it and sets the environment).

mod common;
use common::emulator::Emulator;
use common::faults::Faults;
use common::pty::{assert_restored, command, Session};
use common::Scratch;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use opsdeck::app::{PaneId, UiState};
use opsdeck::journal::{self, Entry, Kind};
use opsdeck::model::runbook::StepMark;
use ratatui::layout::Rect;
use serde_json::json;

const COLS: u16 = 200;
const ROWS: u16 = 60;
/// The first reads of a session against the emulator.
const FIRST_DATA: Duration = Duration::from_secs(90);
/// Keys to reach the screen.
const KEYS: Duration = Duration::from_secs(20);

/// The metric panes that read only GetMetricData.
const METRIC_PANES: [PaneId; 3] = [PaneId::Requests, PaneId::Errors, PaneId::Latency];

/// The built-in AWS profile with the shortest refreshes the profile allows (metrics every
/// 10 s, alarms every 30 s, inventory every minute), so that faults show and clear quickly.
fn write_profile(dir: &Path) -> PathBuf {
    let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/profiles/aws.toml"))
        .expect("profiles/aws.toml");
    let path = dir.join("fault-drill.toml");
    std::fs::write(
        &path,
        format!(
            "{base}\n[aws]\nrefresh = \"10s\"\nalarm_refresh = \"30s\"\ninventory_refresh = \"60s\"\n"
        ),
    )
    .unwrap();
    path
}

/// A runbook whose section the seeded CloudWatch alarm (LambdaErrorAlarm) opens.
fn write_runbook(dir: &Path) -> PathBuf {
    let path = dir.join("fault-drill.md");
    std::fs::write(
        &path,
        "# Fault drill\n\n## Alert: LambdaErrorAlarm\n\n### Mitigation\n\n\
         1. Read the ERROR lines of crypto-watch-api.\n\
         2. Compare the error rate with the last deploy.\n\
         3. Roll back when the errors started with the deploy.\n",
    )
    .unwrap();
    path
}

/// Where each pane is on a `COLS`×`ROWS` screen (the console's own layout).
fn pane_rects() -> Vec<(PaneId, Rect)> {
    opsdeck::ui::layout::compute(Rect::new(0, 0, COLS, ROWS), &UiState::default()).panes
}

/// The panes whose top border carries the "stale since" mark.
fn stale_panes(screen: &str) -> Vec<PaneId> {
    let lines: Vec<&str> = screen.lines().collect();
    pane_rects()
        .into_iter()
        .filter(|(_, r)| {
            let top: String = lines
                .get(r.y as usize)
                .map(|l| {
                    l.chars()
                        .skip(r.x as usize)
                        .take(r.width as usize)
                        .collect()
                })
                .unwrap_or_default();
            top.contains("stale since")
        })
        .map(|(p, _)| p)
        .collect()
}

/// The status bar (the last line).
fn status_bar(screen: &str) -> String {
    screen
        .lines()
        .nth(ROWS as usize - 1)
        .unwrap_or("")
        .to_string()
}

/// The source scopes the status bar reports as failing (`⚠ scope: message (since ...)`),
/// but Lambda's GetAccountSettings, which moto does not implement (opsdeck then uses the
/// default limit; it is no fault of the tests).
fn failing_scopes(screen: &str) -> Vec<String> {
    status_bar(screen)
        .split('⚠')
        .skip(1)
        .filter_map(|part| {
            part.trim_start()
                .split_once(':')
                .map(|(s, _)| s.to_string())
        })
        .filter(|s| s != "aws/lambda/account-settings")
        .collect()
}

/// One console session for a fault drill: the binary in a pty with a home of its own, every
/// AWS service pointed at `endpoint`, signing with `key`.
struct Drill {
    s: Session,
    home: Scratch,
    name: String,
    notes: Vec<String>,
    steps_done: usize,
}

impl Drill {
    fn start(name: &str, endpoint: &str, key: &str) -> Drill {
        let home = Scratch::new(&format!("fault-{name}"));
        let profile = write_profile(&home.0);
        let runbook = write_runbook(&home.0);
        let args = [
            "--config",
            profile.to_str().unwrap(),
            "--runbooks",
            runbook.to_str().unwrap(),
        ];
        let mut cmd = command(&home.0, &args);
        // Every service through `endpoint`: the proxy forwards what is not CloudWatch, so
        // its fault rules (and its request log) see every request.
        cmd.env("AWS_ENDPOINT_URL", endpoint);
        cmd.env("AWS_ENDPOINT_URL_CLOUDWATCH", endpoint);
        cmd.env("AWS_ACCESS_KEY_ID", key);
        cmd.env("AWS_SECRET_ACCESS_KEY", "testing");
        cmd.env("AWS_REGION", "us-east-1");
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        cmd.env("AWS_CONFIG_FILE", home.0.join("aws-config"));
        cmd.env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.0.join("aws-credentials"),
        );
        cmd.env_remove("AWS_PROFILE");
        let s = Session::spawn(cmd, COLS, ROWS);
        Drill {
            s,
            home,
            name: name.to_string(),
            notes: Vec::new(),
            steps_done: 0,
        }
    }

    fn screen(&self) -> String {
        self.s.text()
    }

    /// The seeded account on screen: resources, values and the firing alarm, nothing stale.
    /// (The seeded log lines are five minutes older than the seed: a session started more
    /// than half an hour after it does not read them back, so they are not waited for.)
    fn wait_for_the_account(&self) {
        self.s.wait_for("the seeded account", FIRST_DATA, |t| {
            [
                "crypto-watch-api",
                "profile-db-writer",
                "crypto-watch-data",
                "LambdaErrorAlarm",
                "1,000 req/min",
                "p95 900ms",
            ]
            .iter()
            .all(|w| t.contains(w))
                && stale_panes(t).is_empty()
                && failing_scopes(t).is_empty()
        });
    }

    /// Open the firing alarm's runbook section (the incident is open by then).
    fn open_runbook(&mut self) {
        self.s.send("a");
        self.s.send("\r");
        self.s.wait_for("the runbook checklist", KEYS, |t| {
            t.contains("[ ]") && t.contains("Read the ERROR lines")
        });
    }

    /// Mark the current step done and add a note to the next: two journal entries.
    fn step_and_note(&mut self, note: &str) {
        self.s.send("d");
        self.steps_done += 1;
        let want = self.steps_done;
        self.s.wait_for("a step marked done", KEYS, |t| {
            t.matches("[x]").count() >= want
        });
        self.s.send("n");
        self.s.send(note);
        self.s.send("\r");
        self.s
            .wait_for("the note under its step", KEYS, |t| t.contains(note));
        self.notes.push(note.to_string());
    }

    fn assert_alive(&mut self) {
        assert!(
            matches!(self.s.child.try_wait(), Ok(None)),
            "opsdeck exited during the fault; screen:\n{}",
            self.screen()
        );
    }

    /// Wait until `panes` are marked stale and the status bar names `scope` with every word
    /// of `reason`; returns the screen.
    fn wait_fault(
        &mut self,
        panes: &[PaneId],
        scope: &str,
        reason: &[&str],
        timeout: Duration,
    ) -> String {
        let t = self.s.wait_for(
            &format!("{panes:?} stale and `{scope}` failing with {reason:?}"),
            timeout,
            |t| {
                let stale = stale_panes(t);
                let bar = status_bar(t);
                panes.iter().all(|p| stale.contains(p))
                    && bar.contains(&format!("⚠ {scope}: "))
                    && reason.iter().all(|w| bar.contains(w))
            },
        );
        self.assert_alive();
        t
    }

    /// Wait until nothing is stale and no source fails, with no key pressed.
    fn wait_recovered(&mut self, timeout: Duration) -> String {
        let t = self
            .s
            .wait_for("the console to recover by itself", timeout, |t| {
                stale_panes(t).is_empty()
                    && failing_scopes(t).is_empty()
                    && !t.contains("stale since")
            });
        self.assert_alive();
        t
    }

    /// Quit with q; the terminal is restored and the journal holds every entry made.
    fn quit_and_check_journal(mut self) {
        self.s.send("q");
        let status = self.s.wait_exit(KEYS);
        assert!(status.success(), "exit status {status:?}");
        assert_restored(&self.s.raw());
        let dir = self.home.0.join("data").join("opsdeck").join("incidents");
        let all = journal::list(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert_eq!(all.len(), 1, "one incident: {all:?}");
        let log = journal::read_file(&all[0].path).unwrap();
        assert!(log.torn.is_none() && log.bad_lines.is_empty(), "{log:?}");
        let e: &[Entry] = &log.entries;
        assert!(
            matches!(&e[0].kind, Kind::IncidentOpened { alarm, .. } if alarm == "LambdaErrorAlarm"),
            "{e:?}"
        );
        assert!(e.iter().any(
            |x| matches!(&x.kind, Kind::SectionOpened { alarm, .. } if alarm == "LambdaErrorAlarm")
        ));
        let done: Vec<usize> = e
            .iter()
            .filter_map(|x| match &x.kind {
                Kind::StepMarked {
                    step,
                    mark: StepMark::Done,
                    ..
                } => Some(*step),
                _ => None,
            })
            .collect();
        assert_eq!(done, (0..self.steps_done).collect::<Vec<_>>(), "{e:?}");
        let notes: Vec<String> = e
            .iter()
            .filter_map(|x| match &x.kind {
                Kind::Note { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(notes, self.notes, "{e:?}");
        // And `opsdeck incident report` tells the same story.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .args(["incident", "report", "--log-file", "/dev/null"])
            .env("HOME", &self.home.0)
            .env("XDG_CONFIG_HOME", self.home.0.join("config"))
            .env("XDG_DATA_HOME", self.home.0.join("data"))
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .output()
            .expect("run opsdeck incident report");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = String::from_utf8_lossy(&out.stdout);
        for n in &self.notes {
            assert!(
                report.contains(n.as_str()),
                "{} report lacks {n:?}:\n{report}",
                self.name
            );
        }
        assert!(report.contains("Read the ERROR lines"), "{report}");
    }
}

/// A per-test access key: the proxy's fault rules and request log pick this test's requests.
fn key(tag: &str) -> String {
    format!("AKIDFAULT{tag}{}", std::process::id())
}

/// The proxy's log entries of requests signed with `key`.
fn signed_by(log: &Path, key: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["key"] == key)
        .collect()
}

/// The proxy's log entries of `key` that were faulted with `mode`.
fn faulted(log: &Path, key: &str, mode: &str) -> Vec<serde_json::Value> {
    signed_by(log, key)
        .into_iter()
        .filter(|v| v["fault"] == mode)
        .collect()
}

/// A proxy of the test's own in front of the shared, seeded emulator.
fn own_proxy(name: &str) -> Emulator {
    common::env("OPSDECK_TEST_SEEDED");
    Emulator::proxy_for_shared(&format!("fault-proxy-{name}"))
}

/// A deadline loop: until `pred` holds, or panic naming `what`.
fn until(what: &str, timeout: Duration, mut pred: impl FnMut() -> bool) {
    let start = Instant::now();
    while !pred() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The emulator (moto and the proxy in front of it) killed with SIGKILL mid-session: every
/// pane that reads from it goes stale and the status bar says the endpoint cannot be reached;
/// it is started again on the same ports and reseeded, and the console picks it up by itself.
#[test]
fn emulator_killed_mid_session_and_restarted() {
    let mut emu = Emulator::start("fault-emu");
    let key = key("KILL");
    let mut d = Drill::start("kill", &emu.endpoint(), &key);
    d.wait_for_the_account();
    d.s.wait_for("the freshly seeded log lines", KEYS, |t| {
        t.contains("price fetched")
    });
    d.open_runbook();
    d.step_and_note("before the outage: errors since 12:00");

    emu.kill_proxy();
    emu.kill_moto();
    // Every part fails: the status bar names them all (it has room for one reason), and the
    // help overlay gives each one's reason in full.
    let t = d.s.wait_for(
        "the metric and log panes stale, every part failing",
        Duration::from_secs(60),
        |t| {
            let stale = stale_panes(t);
            METRIC_PANES.iter().all(|p| stale.contains(p))
                && stale.contains(&PaneId::Logs)
                && status_bar(t).contains("parts failing (? says why): ")
        },
    );
    d.assert_alive();
    assert!(
        t.contains("1,000 req/min"),
        "the last values stay on screen:\n{t}"
    );
    d.s.send("?");
    d.s.wait_for("the reasons in the help overlay", KEYS, |t| {
        t.contains("Failing now (")
            && t.contains("could not reach AWS for cloudwatch:GetMetricData")
            && t.contains("tcp connect error")
    });
    d.s.send("\x1b");
    d.s.wait_for("the help overlay closed", KEYS, |t| {
        !t.contains("Failing now (")
    });
    d.step_and_note("during the outage: emulator down");
    d.assert_alive();

    emu.start_moto();
    emu.seed();
    emu.start_proxy();
    d.wait_recovered(Duration::from_secs(180));
    d.quit_and_check_journal();
}

/// CloudWatch throttles GetMetricData for a while (its own per-account quota, shared with
/// every dashboard): the metric panes go stale with "throttled", the SDK's retries are seen by
/// the server, and the panes come back when the throttling stops.
#[test]
fn throttling_for_a_while_then_recovery() {
    let emu = own_proxy("throttle");
    let proxy = emu.endpoint();
    let key = key("THROTTLE");
    let mut d = Drill::start("throttle", &proxy, &key);
    d.wait_for_the_account();
    d.open_runbook();
    d.step_and_note("before the throttling");

    let faults = Faults::new(&proxy, &key);
    faults.set(
        "throttle",
        "monitoring",
        json!({"operation": "GetMetricData"}),
    );
    let t = d.wait_fault(
        &METRIC_PANES,
        "aws/metrics",
        &["throttled", "cloudwatch:GetMetricData"],
        Duration::from_secs(60),
    );
    let stale = stale_panes(&t);
    assert!(
        !stale.contains(&PaneId::Alarms) && !stale.contains(&PaneId::Logs),
        "only GetMetricData was throttled: {stale:?}\n{t}"
    );
    d.step_and_note("during the throttling");
    // The SDK retried before giving up: every attempt reached the server and was throttled.
    let log = emu.request_log();
    let throttled = faulted(&log, &key, "throttle");
    assert!(throttled.len() >= 3, "{throttled:?}");
    assert!(throttled
        .iter()
        .all(|r| r["operation"] == "GetMetricData" && r["status"] == 400));

    faults.clear();
    d.wait_recovered(Duration::from_secs(90));
    d.quit_and_check_journal();
}

/// The credentials lose access to one service (CloudWatch Logs): the log pane goes stale and
/// the status bar names the IAM permission; every other pane keeps updating.
#[test]
fn access_denied_for_one_service_only() {
    let emu = own_proxy("deny");
    let proxy = emu.endpoint();
    let key = key("DENY");
    let mut d = Drill::start("deny", &proxy, &key);
    d.wait_for_the_account();
    d.open_runbook();
    d.step_and_note("before the denial");

    let faults = Faults::new(&proxy, &key);
    faults.set("deny", "logs", json!({}));
    let t = d.wait_fault(
        &[PaneId::Logs],
        "aws/logs",
        &["access denied", "logs:FilterLogEvents"],
        Duration::from_secs(60),
    );
    assert_eq!(
        stale_panes(&t),
        vec![PaneId::Logs],
        "only the log pane:\n{t}"
    );
    assert_eq!(failing_scopes(&t), vec!["aws/logs".to_string()], "{t}");
    d.step_and_note("during the denial");
    // A metrics refresh (every 10 s) after Logs was denied still works.
    let log = emu.request_log();
    let denied_at = faulted(&log, &key, "deny")[0]["ts"].as_f64().unwrap();
    until(
        "a metrics refresh during the denial",
        Duration::from_secs(30),
        || {
            signed_by(&log, &key).iter().any(|v| {
                v["ts"].as_f64().unwrap_or(0.0) > denied_at
                    && v["operation"] == "GetMetricData"
                    && v["status"] == 200
            })
        },
    );
    let t = d.screen();
    assert_eq!(stale_panes(&t), vec![PaneId::Logs], "{t}");

    faults.clear();
    d.wait_recovered(Duration::from_secs(60));
    d.quit_and_check_journal();
}

/// Aurora's API denied from the start (a role without rds:Describe*): the Aurora pane is
/// stale and names the permission, the other panes fill; the console recovers when access is
/// granted. The journal entries are all made during the fault.
#[test]
fn access_denied_to_rds_from_the_start() {
    let emu = own_proxy("deny-rds");
    let proxy = emu.endpoint();
    let key = key("DENYRDS");
    let faults = Faults::new(&proxy, &key);
    faults.set("deny", "rds", json!({}));
    let mut d = Drill::start("deny-rds", &proxy, &key);
    let t = d.s.wait_for("the account without Aurora", FIRST_DATA, |t| {
        t.contains("crypto-watch-api")
            && t.contains("crypto-watch-data")
            && t.contains("LambdaErrorAlarm")
            && t.contains("1,000 req/min")
            && status_bar(t).contains("⚠ aws/rds: access denied")
    });
    assert_eq!(
        stale_panes(&t),
        vec![PaneId::Aurora],
        "only the Aurora pane:\n{t}"
    );
    assert!(
        status_bar(&t).contains("rds:Describe"),
        "names the IAM action:\n{t}"
    );
    assert!(!t.contains("profile-db-writer"), "{t}");
    d.open_runbook();
    d.step_and_note("during the RDS denial");

    faults.clear();
    // The inventory is read every minute: Aurora appears at the next read.
    let t = d.wait_recovered(Duration::from_secs(100));
    assert!(t.contains("profile-db-writer"), "{t}");
    d.quit_and_check_journal();
}

/// Responses slower than opsdeck's timeouts (10 s per attempt, 30 s per call): CloudWatch
/// Logs answers only after 45 s. The log pane goes stale with "timed out"; the rest of the
/// console keeps updating; the held requests are let go when the delay is lifted and the pane
/// recovers.
#[test]
fn slow_responses_time_out_and_recover() {
    let emu = own_proxy("slow");
    let proxy = emu.endpoint();
    let key = key("SLOW");
    let mut d = Drill::start("slow", &proxy, &key);
    d.wait_for_the_account();
    d.open_runbook();
    d.step_and_note("before the slowdown");

    let faults = Faults::new(&proxy, &key);
    faults.set("delay", "logs", json!({"seconds": 45}));
    let t = d.wait_fault(
        &[PaneId::Logs],
        "aws/logs",
        &["timed out", "logs:FilterLogEvents"],
        Duration::from_secs(75),
    );
    assert_eq!(stale_panes(&t), vec![PaneId::Logs], "{t}");
    d.step_and_note("during the slowdown");

    faults.clear();
    d.wait_recovered(Duration::from_secs(90));
    d.quit_and_check_journal();
}

/// Responses cut off half way (the connection closes before the announced Content-Length):
/// first CloudWatch's GetMetricData (CBOR), then CloudWatch Logs' FilterLogEvents (JSON).
/// Each time the panes that read it go stale and the status bar says the answer could not be
/// read whole; each time they recover.
#[test]
fn truncated_responses() {
    let emu = own_proxy("truncate");
    let proxy = emu.endpoint();
    let key = key("TRUNC");
    let mut d = Drill::start("truncate", &proxy, &key);
    d.wait_for_the_account();
    d.open_runbook();
    d.step_and_note("before the truncation");

    let faults = Faults::new(&proxy, &key);
    faults.set(
        "truncate",
        "monitoring",
        json!({"operation": "GetMetricData"}),
    );
    let t = d.wait_fault(
        &METRIC_PANES,
        "aws/metrics",
        &["could not read the whole answer to cloudwatch:GetMetricData (HTTP 200)"],
        Duration::from_secs(60),
    );
    assert!(!t.contains("ResponseError {"), "no debug dump:\n{t}");
    d.step_and_note("during the truncation");
    faults.clear();
    d.wait_recovered(Duration::from_secs(60));

    faults.set("truncate", "logs", json!({"operation": "FilterLogEvents"}));
    let t = d.wait_fault(
        &[PaneId::Logs],
        "aws/logs",
        &["could not read the whole answer to logs:FilterLogEvents (HTTP 200)"],
        Duration::from_secs(60),
    );
    assert_eq!(stale_panes(&t), vec![PaneId::Logs], "{t}");
    faults.clear();
    d.wait_recovered(Duration::from_secs(60));
    let cut = faulted(&emu.request_log(), &key, "truncate");
    assert!(
        cut.iter().any(|r| r["operation"] == "GetMetricData"),
        "{cut:?}"
    );
    assert!(
        cut.iter().any(|r| r["operation"] == "FilterLogEvents"),
        "{cut:?}"
    );
    d.quit_and_check_journal();
}

/// A 200 whose body cannot be parsed, in three forms one after the other: bytes no protocol
/// parses, the real body cut in half (with a matching Content-Length), and an HTML page with
/// Content-Type text/html (a captive portal). Each time the metric panes go stale and the
/// status bar says the answer could not be parsed; then they recover.
#[test]
fn malformed_responses() {
    let emu = own_proxy("malformed");
    let proxy = emu.endpoint();
    let key = key("MALFORMED");
    let mut d = Drill::start("malformed", &proxy, &key);
    d.wait_for_the_account();
    d.open_runbook();
    d.step_and_note("before the malformed answers");

    let faults = Faults::new(&proxy, &key);
    let cases: [(&str, &[&str]); 3] = [
        (
            "garbage",
            &["could not parse the answer", "HTTP 200, application/cbor"],
        ),
        ("html", &["could not parse the answer", "HTML page"]),
        (
            "half",
            &["could not parse the answer", "HTTP 200, application/cbor"],
        ),
    ];
    let log = emu.request_log();
    for (i, (variant, reason)) in cases.iter().enumerate() {
        faults.set(
            "malformed",
            "monitoring",
            json!({"operation": "GetMetricData", "variant": variant}),
        );
        let t = d.wait_fault(
            &METRIC_PANES,
            "aws/metrics",
            reason,
            Duration::from_secs(40),
        );
        assert!(!t.contains("ServiceError {"), "no debug dump:\n{t}");
        assert!(faulted(&log, &key, "malformed")
            .iter()
            .any(|r| r["fault_variant"] == *variant && r["status"] == 200));
        if i == 1 {
            d.step_and_note("during the malformed answers");
        }
        faults.clear();
        d.wait_recovered(Duration::from_secs(60));
    }
    d.quit_and_check_journal();
}
