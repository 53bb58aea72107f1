//! `opsdeck check --report` as a cron job or a bot runs it: the built binary, on the demo and
//! against the seeded AWS emulator (moto behind the CBOR proxy, which logs every request).

mod common;
use common::cli::{self, stderr, stdout};
use common::{env, requests_signed_by, seeded};

use std::path::PathBuf;
use std::process::Output;

use opsdeck::source::aws::clients::is_read_only;
use serde_json::Value;

fn home() -> PathBuf {
    cli::home("check")
}

/// The binary with a clean home and English messages; `env` on top.
fn opsdeck(args: &[&str], vars: &[(&str, String)]) -> Output {
    cli::run(&home(), args, vars)
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

fn item<'a>(j: &'a Value, name: &str) -> &'a Value {
    j["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == name)
        .unwrap_or_else(|| panic!("no item {name} in {j}"))
}

// ------------------------------------------------------------------------------- the demo

#[test]
fn demo_report_markdown_exits_with_the_verdict() {
    let o = opsdeck(&["check", "--report", "--demo"], &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{}", stderr(&o));
    assert!(
        out.starts_with("# Daily check: demo: bad-deploy — CRIT"),
        "{out}"
    );
    for want in [
        "| **CRIT** | New error-log patterns |",
        "TypeError: Cannot read properties of undefined",
        "fields @timestamp, @log, @message",
        "ProfileAPI-HighErrorRate",
    ] {
        assert!(out.contains(want), "{want} missing:\n{out}");
    }
}

#[test]
fn demo_report_json_parses_and_its_exit_code_is_the_process_exit_code() {
    for (scenario, verdict, code) in [
        ("calm", "OK", 0),
        ("latency", "WARN", 1),
        ("bad-deploy", "CRIT", 2),
    ] {
        let o = opsdeck(
            &["check", "--report", "--format", "json", "--demo", scenario],
            &[],
        );
        let j = json_of(&o);
        assert_eq!(j["verdict"], verdict, "{scenario}: {j}");
        assert_eq!(j["exit_code"], code, "{scenario}");
        assert_eq!(o.status.code(), Some(code), "{scenario}: {}", stderr(&o));
        let items: Vec<&str> = j["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["item"].as_str().unwrap())
            .collect();
        assert_eq!(
            items,
            [
                "requests",
                "error-rate",
                "latency",
                "alarms",
                "error-patterns"
            ]
        );
        assert_eq!(j["today"]["end"], "2026-11-23T10:00:00Z");
        assert_eq!(j["yesterday"]["start"], "2026-11-21T10:00:00Z");
    }
    // The demo is deterministic.
    let a = opsdeck(&["check", "--report", "--format", "json", "--demo"], &[]);
    let b = opsdeck(&["check", "--report", "--format", "json", "--demo"], &[]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn demo_report_to_a_file_and_at_a_moment() {
    let path = home().join("check.json");
    let _ = std::fs::remove_file(&path);
    let p = path.to_str().unwrap();
    // Before the bad deploy (at 0s) the day was normal.
    let o = opsdeck(
        &[
            "check", "--report", "--format", "json", "--demo", "--at", "0s", "-o", p,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(j["verdict"], "OK");
    assert_eq!(j["today"]["end"], "2026-11-23T09:00:00Z");
}

#[test]
fn what_cannot_be_checked_exits_3_with_a_message() {
    for (args, want) in [
        (
            vec!["check", "--report", "--demo", "nope"],
            "unknown demo scenario",
        ),
        (vec!["check", "--report", "--demo", "--at", "5x"], "--at"),
        (
            vec!["check", "--report", "--max-queries", "31"],
            "--max-queries",
        ),
    ] {
        let o = opsdeck(&args, &[]);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("could not check") && err.contains(want),
            "{err}"
        );
    }
    // No AWS endpoint that answers: connecting fails, exit 3.
    let o = opsdeck(
        &["check", "--report"],
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".into()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", "http://127.0.0.1:9".into()),
            ("AWS_ACCESS_KEY_ID", "x".into()),
            ("AWS_SECRET_ACCESS_KEY", "x".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("could not check"), "{}", stderr(&o));
}

// ------------------------------------------------------------------------------- the emulator

#[test]
fn check_report_against_the_seeded_emulator() {
    let seed = seeded();
    let proxy = env("OPSDECK_TEST_PROXY");
    let key = format!("AKIDCHECK{}", std::process::id());
    let o = opsdeck(
        &[
            "check",
            "--report",
            "--format",
            "json",
            "--query-timeout",
            "60s",
        ],
        &[
            ("AWS_ENDPOINT_URL", proxy.clone()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", proxy),
            ("AWS_ACCESS_KEY_ID", key.clone()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ],
    );
    let j = json_of(&o);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.abs().max(1.0);

    // The seeded minutes fall in "today" (the seed ran less than a day ago).
    let window = &seed["metrics"]["window"];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        window["start"].as_i64().unwrap() > now - 86_000,
        "the emulator was seeded more than a day ago: run ./scripts/test"
    );
    let points = window["points"].as_f64().unwrap();
    let api = |metric: &str| -> Value {
        seed["metrics"]["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["namespace"] == "AWS/ApiGateway" && s["metric"] == metric)
            .unwrap()["per_minute"]
            .clone()
    };

    // Requests: every seeded minute's Count, today; nothing yesterday.
    let req = item(&j, "requests");
    let count = api("Count")["Sum"].as_f64().unwrap();
    assert!(
        close(req["today"].as_f64().unwrap(), count * points),
        "{req}"
    );
    assert_eq!(req["yesterday"], Value::Null);
    assert_eq!(req["verdict"], "OK");
    assert!(req["notes"][0]
        .as_str()
        .unwrap()
        .contains("nothing to compare"));
    // Error rate: (4xx + 5xx) / Count; exactly on the 5 % line, which is not past it.
    let errors =
        api("4XXError")["Sum"].as_f64().unwrap() + api("5XXError")["Sum"].as_f64().unwrap();
    let rate = item(&j, "error-rate");
    assert!(
        close(rate["today"].as_f64().unwrap(), 100.0 * errors / count),
        "{rate}"
    );
    assert_eq!(rate["verdict"], "WARN");
    // Latency: the p95 of the seeded samples (the proxy computes percentiles per period).
    let lat = item(&j, "latency");
    assert!(
        close(
            lat["today"].as_f64().unwrap(),
            api("Latency")["p95"].as_f64().unwrap()
        ),
        "{lat}"
    );

    // Alarms: moto has no DescribeAlarmHistory; the fallback finds the seeded alarm in ALARM.
    let firing: Vec<&str> = seed["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] == "ALARM")
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(!firing.is_empty());
    let alarms = &j["alarms"];
    assert_eq!(alarms["from_history"], false);
    assert!(alarms["history_error"].as_str().is_some(), "{alarms}");
    for name in &firing {
        assert!(
            alarms["firing_now"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n == name),
            "{name}: {alarms}"
        );
        assert!(
            alarms["fired"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["name"] == *name),
            "{name}: {alarms}"
        );
    }
    assert_eq!(item(&j, "alarms")["verdict"], "CRIT");

    // Error patterns: the seeded ERROR lines, all new (nothing yesterday).
    let seeded_errors: Vec<String> = seed["logs"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["events"].as_array().unwrap().iter())
        .map(|e| e["message"].as_str().unwrap().to_string())
        .filter(|m| m.contains("\"level\": \"ERROR\""))
        .collect();
    assert_eq!(seeded_errors.len(), 2);
    let pats = &j["error_patterns"];
    assert_eq!(pats["lines_today"], 2, "{pats}");
    assert_eq!(pats["lines_yesterday"], 0, "{pats}");
    let new: Vec<&str> = pats["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pattern"].as_str().unwrap())
        .collect();
    assert_eq!(new.len(), 2, "{pats}");
    assert!(
        new.iter()
            .any(|p| p.contains("TypeError: Cannot read properties")),
        "{new:?}"
    );
    assert!(
        new.iter().any(|p| p.contains("too many clients")),
        "{new:?}"
    );
    assert_eq!(item(&j, "error-patterns")["verdict"], "WARN");

    // The queries: sent as shown, both complete.
    let queries = j["queries"].as_array().unwrap();
    assert_eq!(queries.len(), 2);
    for q in queries {
        assert_eq!(q["status"], "Complete", "{q}");
        assert_eq!(
            q["query"],
            opsdeck::source::aws::insights::query_text(
                opsdeck::source::aws::insights::DEFAULT_LIMIT
            )
        );
        assert!(q["query"]
            .as_str()
            .unwrap()
            .contains("filter level = \"ERROR\""));
        let groups = q["log_groups"].as_array().unwrap();
        for g in seed["logs"]["groups"].as_array().unwrap() {
            assert!(groups.contains(&g["name"]), "{q}");
        }
    }

    // The verdict and the exit code.
    assert_eq!(j["verdict"], "CRIT");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    // Every request the server saw was a read, one GetMetricData for the 48 hours, the
    // queries started and read, and opsdeck counted what the server saw.
    let seen = requests_signed_by(&key);
    assert!(!seen.is_empty());
    for r in &seen {
        let op = r["operation"].as_str().unwrap_or("");
        assert!(is_read_only(op), "a non-read reached the server: {r}");
    }
    let ops = |name: &str| seen.iter().filter(|r| r["operation"] == name).count();
    assert_eq!(ops("GetMetricData"), 1, "{seen:?}");
    assert_eq!(ops("StartQuery"), 2);
    assert!(ops("GetQueryResults") >= 2);
    assert!(ops("DescribeAlarmHistory") >= 1);
    assert!(ops("DescribeAlarms") >= 1);
    assert_eq!(
        j["api_calls"].as_u64().unwrap() as usize,
        seen.len(),
        "{seen:?}"
    );
}
