//! The journal survives `kill -9` mid-write: a child process (this test binary, re-run with an
//! environment variable) appends entries as fast as it can and reports each one on stdout once
//! its fsync has returned; the parent kills it with SIGKILL and reads the journal back. Every
//! reported entry must be there, intact and in order, with at most one torn line at the end;
//! resuming the journal cuts the torn line off and appends cleanly after it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use opsdeck::journal::{self, Appender, Entry, Kind};
use opsdeck::model::alarm::{AlarmState, Severity};
use opsdeck::model::runbook::StepMark;

const CHILD: &str = "OPSDECK_JOURNAL_CRASH_CHILD";
const ID: &str = "20250314-100800-crash-test";

fn entry(i: u64) -> Entry {
    let kind = match i {
        0 => Kind::IncidentOpened {
            id: ID.into(),
            alarm: "Crash-Test".into(),
            severity: Some(Severity::Critical),
            source: "crash-test".into(),
            service: "svc".into(),
            by_hand: false,
        },
        i if i % 3 == 0 => Kind::AlarmTransition {
            alarm: format!("alarm-{i}"),
            state: AlarmState::Alarm,
            severity: None,
            value: Some(i as f64 / 7.0),
        },
        i if i % 3 == 1 => Kind::StepMarked {
            section: "rb#s".into(),
            step: i as usize,
            // Long and multi-byte, so a kill often lands in the middle of a line.
            text: format!("手順 {i}: {}", "check the logs and the metrics ".repeat(20)),
            mark: StepMark::Done,
        },
        i => Kind::Note {
            section: None,
            step: None,
            text: format!("note {i}"),
        },
    };
    Entry {
        ts: 1_741_946_880 + i as i64,
        who: "tester".into(),
        kind,
    }
}

/// `want`, with its value taken from `got` when they differ by no more than the last digit:
/// serde_json (without its `float_roundtrip` feature) may read a float back one ulp off.
fn same_but_floats(got: &Entry, want: &Entry) -> Entry {
    let mut want = want.clone();
    if let (
        Kind::AlarmTransition { value: Some(g), .. },
        Kind::AlarmTransition { value: Some(w), .. },
    ) = (&got.kind, &mut want.kind)
    {
        if (*g - *w).abs() <= w.abs() * 4.0 * f64::EPSILON {
            *w = *g;
        }
    }
    want
}

/// The child: append forever, reporting each entry once it is on disk.
#[test]
fn child_appends_until_killed() {
    let Ok(dir) = std::env::var(CHILD) else {
        return; // Only runs as the child.
    };
    let (mut app, id) = Appender::create(std::path::Path::new(&dir), ID).unwrap();
    assert_eq!(id, ID);
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        app.append(&entry(i)).unwrap();
        writeln!(out, "written {i}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn kill_9_mid_write_loses_nothing_written() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("opsdeck-journal-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_appends_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("re-run the test binary as the child");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // The harness may print its own text before ours on the first line.
            if let Some(n) = line.rfind("written ").map(|i| &line[i + 8..]) {
                if let Ok(n) = n.trim().parse::<u64>() {
                    let _ = tx.send(n);
                }
            }
        }
    });
    // Wait for the first entry, then let it run ~200 ms and kill it mid-stream.
    let first = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("child wrote something");
    assert_eq!(first, 0);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(200) {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL the child"); // Child::kill sends SIGKILL on Unix.
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not finished: {status:?}");
    reader.join().unwrap();
    let reported: Vec<u64> = rx.try_iter().collect();
    let last_reported = reported.last().copied().unwrap_or(first);
    assert!(
        last_reported >= 5,
        "the child got going: {last_reported} entries"
    );

    let path = dir.join(format!("{ID}.jsonl"));
    let log = journal::read_file(&path).unwrap();
    assert!(
        log.bad_lines.is_empty(),
        "only the last line may be damaged: {:?}",
        log.bad_lines
    );
    // Every reported entry is there, intact, in order; at most one more made it to disk
    // (written, but killed before it was reported).
    let n = log.entries.len() as u64;
    eprintln!(
        "{n} entries on disk, {last_reported} reported, torn tail: {:?}",
        log.torn
    );
    assert!(
        n > last_reported && n <= last_reported + 2,
        "{n} entries on disk, {last_reported} reported"
    );
    for (i, e) in log.entries.iter().enumerate() {
        assert_eq!(*e, same_but_floats(e, &entry(i as u64)), "entry {i}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Resuming finds the open incident with all its entries and appends after them.
    let (mut j, resumed) = journal::Journal::open_or_resume(&dir, "crash-test", "svc").unwrap();
    let (id, entries) = resumed.incident.expect("the incident is still open");
    assert_eq!(id, ID);
    assert_eq!(entries, log.entries);
    assert_eq!(resumed.torn, log.torn.is_some());
    assert_eq!(j.open_id(), Some(ID));
    assert_eq!(j.path(), Some(path.as_path()));
    // A by-hand close through the queue lands after the last entry, on its own line.
    let (mut state, _, _) =
        opsdeck::session::demo("calm", 1, &opsdeck::session::Files::default()).unwrap();
    state.journal_out.push(journal::Event {
        ts: 1_741_950_000,
        kind: Kind::IncidentClosed {
            why: "closed by hand".into(),
            resolved_at: None,
        },
    });
    j.set_who("tester");
    j.sync(&mut state).unwrap();
    let after = journal::read_file(&path).unwrap();
    assert!(after.torn.is_none() && after.bad_lines.is_empty());
    assert_eq!(after.entries[..entries.len()], entries[..]);
    assert!(matches!(
        after.entries.last().unwrap().kind,
        Kind::IncidentClosed { .. }
    ));
    assert_eq!(j.open_id(), None);
    let _ = std::fs::remove_dir_all(dir);
}
