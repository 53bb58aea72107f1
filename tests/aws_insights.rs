//! Logs Insights queries and the alarm history for the daily check, over the real SDK with
//! `aws-smithy-mocks` (what the emulator cannot produce: statistics, slow and failing queries,
//! concurrency, DescribeAlarmHistory).

mod common;
use common::mock;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudwatchlogs::operation::get_query_results::{
    GetQueryResultsError, GetQueryResultsOutput,
};
use aws_sdk_cloudwatchlogs::operation::start_query::{StartQueryError, StartQueryOutput};
use aws_sdk_cloudwatchlogs::operation::stop_query::StopQueryOutput;
use aws_sdk_cloudwatchlogs::types::error::{
    LimitExceededException, MalformedQueryException, ServiceUnavailableException,
};
use aws_sdk_cloudwatchlogs::types::{QueryStatistics, QueryStatus, ResultField};
use aws_smithy_mocks::{mock, Rule};
use opsdeck::check::QueryInfo;
use opsdeck::source::aws::insights::{
    patterns_of, query_text, QueryOutcome, QueryQueue, QueryRequest, QueueOptions,
};

const START: i64 = 1_795_338_000;
const END: i64 = START + 86_400;

fn opts(max_running: usize, timeout_ms: u64) -> QueueOptions {
    QueueOptions {
        max_running,
        poll_every: Duration::from_millis(10),
        timeout: Duration::from_millis(timeout_ms),
        start_retries: 3,
    }
}

fn request(label: &str) -> QueryRequest {
    QueryRequest {
        label: label.into(),
        log_groups: vec!["/aws/lambda/api".into()],
        start: START,
        end: END,
        query: query_text(10_000),
    }
}

fn field(k: &str, v: &str) -> ResultField {
    ResultField::builder().field(k).value(v).build()
}

fn stats(matched: f64, scanned: f64, bytes: f64) -> QueryStatistics {
    QueryStatistics::builder()
        .records_matched(matched)
        .records_scanned(scanned)
        .bytes_scanned(bytes)
        .build()
}

fn running() -> GetQueryResultsOutput {
    GetQueryResultsOutput::builder()
        .status(QueryStatus::Running)
        .statistics(stats(1.0, 10.0, 1e6))
        .build()
}

fn no_progress(_: &QueryInfo) {}

/// StopQuery calls, by query id.
fn stop_rule(stopped: Arc<Mutex<Vec<String>>>) -> Rule {
    mock!(aws_sdk_cloudwatchlogs::Client::stop_query).then_compute_output(move |req| {
        stopped
            .lock()
            .unwrap()
            .push(req.query_id().unwrap_or("").to_string());
        StopQueryOutput::builder().success(true).build()
    })
}

#[tokio::test]
async fn the_queue_never_runs_more_than_max_at_once() {
    let started = Arc::new(AtomicUsize::new(0));
    let running_now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let polls: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let start_rule = {
        let (started, running_now, peak) = (started.clone(), running_now.clone(), peak.clone());
        mock!(aws_sdk_cloudwatchlogs::Client::start_query).then_compute_output(move |_| {
            let n = started.fetch_add(1, Ordering::SeqCst);
            let now = running_now.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            StartQueryOutput::builder()
                .query_id(format!("q{n}"))
                .build()
        })
    };
    let results_rule = {
        let (running_now, polls) = (running_now.clone(), polls.clone());
        mock!(aws_sdk_cloudwatchlogs::Client::get_query_results).then_compute_output(move |req| {
            let id = req.query_id().unwrap_or("").to_string();
            let mut polls = polls.lock().unwrap();
            let n = polls.entry(id.clone()).or_default();
            *n += 1;
            if *n < 3 {
                return running();
            }
            if *n == 3 {
                running_now.fetch_sub(1, Ordering::SeqCst);
            }
            GetQueryResultsOutput::builder()
                .status(QueryStatus::Complete)
                .statistics(stats(1.0, 500.0, 2e9))
                .results(vec![
                    field("@timestamp", "2026-11-22 12:00:00.000"),
                    field("@log", "123456789012:/aws/lambda/api"),
                    field(
                        "@message",
                        &format!(r#"{{"level":"ERROR","message":"boom in {id}"}}"#),
                    ),
                ])
                .build()
        })
    };
    let clients = mock::logs(&[&start_rule, &results_rule]);
    let queue = QueryQueue::new(opts(2, 10_000));
    let reqs: Vec<QueryRequest> = (0..6).map(|i| request(&format!("r{i}"))).collect();
    let outcomes: Vec<QueryOutcome> =
        futures_util::future::join_all(reqs.iter().map(|r| queue.run(&clients, r, &no_progress)))
            .await;
    assert_eq!(started.load(Ordering::SeqCst), 6);
    assert_eq!(
        peak.load(Ordering::SeqCst),
        2,
        "the server saw at most 2 running"
    );
    assert_eq!(queue.peak(), 2);
    for o in &outcomes {
        assert_eq!(o.info.status, "Complete", "{:?}", o.info);
        assert_eq!(o.rows.len(), 1);
        assert_eq!(o.rows[0].log, "/aws/lambda/api");
        assert_eq!(o.info.records_scanned, 500.0);
        assert!((o.info.cost_usd() - 0.01).abs() < 1e-12);
        assert!(o.info.error.is_none());
    }
    // With one slot, strictly one at a time.
    started.store(0, Ordering::SeqCst);
    peak.store(0, Ordering::SeqCst);
    polls.lock().unwrap().clear();
    let queue = QueryQueue::new(opts(1, 10_000));
    let _ =
        futures_util::future::join_all(reqs.iter().map(|r| queue.run(&clients, r, &no_progress)))
            .await;
    assert_eq!(peak.load(Ordering::SeqCst), 1);
    assert_eq!(queue.peak(), 1);
}

#[tokio::test]
async fn a_query_past_its_timeout_is_stopped() {
    let stopped: Arc<Mutex<Vec<String>>> = Arc::default();
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .then_output(|| StartQueryOutput::builder().query_id("slow-1").build());
    let results = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results).then_output(running);
    let stop = stop_rule(stopped.clone());
    let clients = mock::logs(&[&start, &results, &stop]);
    let queue = QueryQueue::new(opts(3, 120));
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let progress = {
        let seen = seen.clone();
        move |q: &QueryInfo| seen.lock().unwrap().push(q.status.clone())
    };
    let o = queue.run(&clients, &request("today"), &progress).await;
    assert_eq!(o.info.status, "Timeout");
    let err = o.info.error.clone().unwrap();
    assert!(err.contains("stopped (StopQuery)"), "{err}");
    assert_eq!(*stopped.lock().unwrap(), vec!["slow-1".to_string()]);
    assert!(o.rows.is_empty());
    // Progress was reported while it ran, with its statistics.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.first().map(String::as_str), Some("Scheduled"));
    assert!(seen.iter().any(|s| s == "Running"), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("Timeout"));
}

#[tokio::test]
async fn a_query_given_up_by_its_caller_is_stopped() {
    let stopped: Arc<Mutex<Vec<String>>> = Arc::default();
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .then_output(|| StartQueryOutput::builder().query_id("dropped-1").build());
    let results = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results).then_output(running);
    let stop = stop_rule(stopped.clone());
    let clients = mock::logs(&[&start, &results, &stop]);
    let queue = QueryQueue::new(opts(3, 60_000));
    let req = request("today");
    let gave_up = tokio::time::timeout(
        Duration::from_millis(80),
        queue.run(&clients, &req, &no_progress),
    )
    .await;
    assert!(gave_up.is_err(), "the query should still be running");
    for _ in 0..100 {
        if !stopped.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*stopped.lock().unwrap(), vec!["dropped-1".to_string()]);
}

#[tokio::test]
async fn malformed_rows_are_skipped_and_hostile_text_is_sanitised() {
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .then_output(|| StartQueryOutput::builder().query_id("m-1").build());
    let results = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results).then_output(|| {
        GetQueryResultsOutput::builder()
            .status(QueryStatus::Complete)
            // Statistics that make no sense are read as 0.
            .statistics(stats(f64::NAN, -5.0, f64::INFINITY))
            .results(vec![
                // No @message: skipped.
                field("@timestamp", "1795400000000"),
                field("@log", "/aws/lambda/api"),
            ])
            .results(vec![
                // Outside the window (moto ignores it): skipped.
                field("@timestamp", "1700000000000"),
                field("@message", "ERROR long ago"),
            ])
            .results(vec![
                // An unreadable timestamp: kept (the server bounded the query).
                field("@timestamp", "not a time"),
                field("@message", "ERROR odd timestamp 42"),
            ])
            .results(vec![
                field("@timestamp", "2026-11-22 12:00:00.000"),
                field("@log", "123456789012:/aws/lambda/\u{1b}[31mapi"),
                field(
                    "@message",
                    "ERROR \u{1b}]0;owned\u{7}\u{1b}[2J boom \u{202e}gpj.exe",
                ),
            ])
            .results(vec![
                field("@timestamp", "2026-11-22 12:00:01.000"),
                field("@message", r#"{"level":"INFO","message":"not an error"}"#),
            ])
            .build()
    });
    let clients = mock::logs(&[&start, &results]);
    let queue = QueryQueue::new(opts(3, 10_000));
    let o = queue.run(&clients, &request("today"), &no_progress).await;
    assert_eq!(o.info.status, "Complete");
    assert_eq!(o.info.rows, 5);
    assert_eq!(o.info.rows_skipped, 2);
    assert_eq!(o.rows.len(), 3);
    assert_eq!(
        (
            o.info.records_matched,
            o.info.records_scanned,
            o.info.bytes_scanned
        ),
        (0.0, 0.0, 0.0)
    );
    let p = patterns_of(&o.rows);
    assert_eq!(p.lines, 2, "the INFO line is not an error");
    for s in p.ranked() {
        for text in [&s.pattern, &s.example].into_iter().chain(s.sources.iter()) {
            assert!(
                !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{text:?}"
            );
        }
    }
    assert!(p
        .ranked()
        .iter()
        .any(|s| s.pattern == "ERROR odd timestamp <n>"));
}

#[tokio::test]
async fn failed_queries_say_why() {
    // The query itself fails.
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .then_output(|| StartQueryOutput::builder().query_id("f-1").build());
    let failed = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results).then_output(|| {
        GetQueryResultsOutput::builder()
            .status(QueryStatus::Failed)
            .build()
    });
    let clients = mock::logs(&[&start, &failed]);
    let o = QueryQueue::new(opts(3, 10_000))
        .run(&clients, &request("today"), &no_progress)
        .await;
    assert_eq!(o.info.status, "Failed");
    assert_eq!(o.info.error.as_deref(), Some("the query ended Failed"));

    // No status at all: not running, so it ended, as Unknown.
    let unknown = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results)
        .then_output(|| GetQueryResultsOutput::builder().build());
    let clients = mock::logs(&[&start, &unknown]);
    let o = QueryQueue::new(opts(3, 10_000))
        .run(&clients, &request("today"), &no_progress)
        .await;
    assert_eq!(o.info.status, "Unknown");
    assert!(o.info.error.is_some());

    // A malformed query is refused at StartQuery.
    let malformed = mock!(aws_sdk_cloudwatchlogs::Client::start_query).then_error(|| {
        StartQueryError::MalformedQueryException(
            MalformedQueryException::builder()
                .message("unexpected symbol at line 2")
                .build(),
        )
    });
    let clients = mock::logs(&[&malformed]);
    let o = QueryQueue::new(opts(3, 10_000))
        .run(&clients, &request("today"), &no_progress)
        .await;
    assert_eq!(o.info.status, "Failed");
    let err = o.info.error.unwrap();
    assert!(
        err.contains("logs:StartQuery") && err.contains("unexpected symbol"),
        "{err}"
    );

    // GetQueryResults keeps failing: given up after three, and the query is stopped.
    let stopped: Arc<Mutex<Vec<String>>> = Arc::default();
    let broken = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results).then_error(|| {
        GetQueryResultsError::ServiceUnavailableException(
            ServiceUnavailableException::builder()
                .message("down")
                .build(),
        )
    });
    let stop = stop_rule(stopped.clone());
    let clients = mock::logs(&[&start, &broken, &stop]);
    let o = QueryQueue::new(opts(3, 10_000))
        .run(&clients, &request("today"), &no_progress)
        .await;
    assert_eq!(o.info.status, "Failed");
    assert!(o.info.error.unwrap().contains("logs:GetQueryResults"));
    for _ in 0..100 {
        if !stopped.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*stopped.lock().unwrap(), vec!["f-1".to_string()]);

    // No log groups: nothing is sent.
    let clients = mock::logs(&[]);
    let mut req = request("today");
    req.log_groups.clear();
    let o = QueryQueue::new(opts(3, 10_000))
        .run(&clients, &req, &no_progress)
        .await;
    assert_eq!(o.info.status, "Failed");
}

#[tokio::test]
async fn start_query_waits_while_the_accounts_queries_are_all_in_use() {
    let start = mock!(aws_sdk_cloudwatchlogs::Client::start_query)
        .sequence()
        .error(|| {
            StartQueryError::LimitExceededException(
                LimitExceededException::builder()
                    .message("30 concurrent queries")
                    .build(),
            )
        })
        .times(2)
        .output(|| StartQueryOutput::builder().query_id("late-1").build())
        .repeatedly()
        .build();
    let done = mock!(aws_sdk_cloudwatchlogs::Client::get_query_results).then_output(|| {
        GetQueryResultsOutput::builder()
            .status(QueryStatus::Complete)
            .build()
    });
    let clients = mock::logs(&[&start, &done]);
    let o = QueryQueue::new(opts(3, 10_000))
        .run(&clients, &request("today"), &no_progress)
        .await;
    assert_eq!(o.info.status, "Complete", "{:?}", o.info);
    assert_eq!(start.num_calls(), 3, "two refusals, then started");

    // Past the retries: a failure that says so.
    let always = mock!(aws_sdk_cloudwatchlogs::Client::start_query).then_error(|| {
        StartQueryError::LimitExceededException(
            LimitExceededException::builder()
                .message("30 concurrent queries")
                .build(),
        )
    });
    let clients = mock::logs(&[&always]);
    let o = QueryQueue::new(opts(3, 10_000))
        .run(&clients, &request("today"), &no_progress)
        .await;
    assert_eq!(o.info.status, "Failed");
    assert!(o.info.error.unwrap().contains("LimitExceeded"));
    assert_eq!(always.num_calls(), 4, "the first try and three retries");
}

// ------------------------------------------------------------------------- alarm history

mod history {
    use super::*;
    use aws_sdk_cloudwatch::operation::describe_alarm_history::{
        DescribeAlarmHistoryError, DescribeAlarmHistoryOutput,
    };
    use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
    use aws_sdk_cloudwatch::types::{AlarmHistoryItem, HistoryItemType, MetricAlarm, StateValue};
    use aws_smithy_types::DateTime;
    use opsdeck::check::AlarmEvent;
    use opsdeck::source::aws::history::alarm_input;

    fn item(name: &str, at: i64, from: &str, to: &str, with_data: bool) -> AlarmHistoryItem {
        let b = AlarmHistoryItem::builder()
            .alarm_name(name)
            .timestamp(DateTime::from_secs(at))
            .history_item_type(HistoryItemType::StateUpdate)
            .history_summary(format!("Alarm updated from {from} to {to}"));
        if with_data {
            b.history_data(format!(
                r#"{{"version":"1.0","oldState":{{"stateValue":"{from}"}},"newState":{{"stateValue":"{to}"}}}}"#
            ))
            .build()
        } else {
            b.build()
        }
    }

    fn alarms_now() -> Rule {
        mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("ApiErrors")
                        .state_value(StateValue::Alarm)
                        .state_updated_timestamp(DateTime::from_secs(END - 600))
                        .build(),
                )
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("DbConnections")
                        .state_value(StateValue::Ok)
                        .state_updated_timestamp(DateTime::from_secs(END - 7200))
                        .build(),
                )
                .build()
        })
    }

    #[tokio::test]
    async fn transitions_into_alarm_from_every_page_of_the_history() {
        let history = mock!(aws_sdk_cloudwatch::Client::describe_alarm_history)
            .then_compute_output(|req| {
                assert_eq!(req.history_item_type(), Some(&HistoryItemType::StateUpdate));
                assert_eq!(req.start_date().map(|d| d.secs()), Some(START));
                assert_eq!(req.end_date().map(|d| d.secs()), Some(END));
                match req.next_token() {
                    None => DescribeAlarmHistoryOutput::builder()
                        .alarm_history_items(item(
                            "DbConnections",
                            START + 100,
                            "OK",
                            "ALARM",
                            true,
                        ))
                        .alarm_history_items(item(
                            "DbConnections",
                            START + 900,
                            "ALARM",
                            "OK",
                            true,
                        ))
                        .next_token("page-2")
                        .build(),
                    Some(_) => DescribeAlarmHistoryOutput::builder()
                        // Only the summary says what happened.
                        .alarm_history_items(item("ApiErrors", END - 600, "OK", "ALARM", false))
                        .alarm_history_items(item(
                            "ApiErrors",
                            END - 3600,
                            "INSUFFICIENT_DATA",
                            "OK",
                            true,
                        ))
                        // Outside the window (a server that ignores it): left out.
                        .alarm_history_items(item("ApiErrors", START - 10, "OK", "ALARM", true))
                        // Another alarm family, filtered by the prefixes.
                        .alarm_history_items(item("Other", END - 60, "OK", "ALARM", true))
                        .build(),
                }
            });
        let alarms = alarms_now();
        let clients = mock::cloudwatch(&[&history, &alarms]);
        let got = alarm_input(&clients, START, END, &["Api".to_string(), "Db".to_string()]).await;
        assert!(got.from_history);
        assert_eq!(got.history_error, None);
        assert_eq!(
            got.events,
            vec![
                AlarmEvent {
                    at: START + 100,
                    name: "DbConnections".into()
                },
                AlarmEvent {
                    at: END - 600,
                    name: "ApiErrors".into()
                },
            ]
        );
        assert_eq!(got.firing_now, vec!["ApiErrors".to_string()]);
        assert_eq!(history.num_calls(), 2, "both pages read");
    }

    #[tokio::test]
    async fn without_the_history_the_current_states_are_used_and_it_says_so() {
        let denied = mock!(aws_sdk_cloudwatch::Client::describe_alarm_history).then_error(|| {
            DescribeAlarmHistoryError::generic(
                aws_sdk_cloudwatch::error::ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("not authorized")
                    .build(),
            )
        });
        let alarms = alarms_now();
        let clients = mock::cloudwatch(&[&denied, &alarms]);
        let got = alarm_input(&clients, START, END, &[]).await;
        assert!(!got.from_history);
        let why = got.history_error.unwrap();
        assert!(why.contains("cloudwatch:DescribeAlarmHistory"), "{why}");
        // Only the alarm in ALARM whose state changed in the window.
        assert_eq!(
            got.events,
            vec![AlarmEvent {
                at: END - 600,
                name: "ApiErrors".into()
            }]
        );
        assert_eq!(got.error, None);

        // Nothing readable at all: the item cannot be checked.
        let denied_too = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_error(|| {
            aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsError::generic(
                aws_sdk_cloudwatch::error::ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("not authorized")
                    .build(),
            )
        });
        let clients = mock::cloudwatch(&[&denied, &denied_too]);
        let got = alarm_input(&clients, START, END, &[]).await;
        assert!(got.error.unwrap().contains("cloudwatch:DescribeAlarms"));
    }
}
