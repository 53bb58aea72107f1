//! CloudWatch alarms (DescribeAlarms) over the real SDK: against the seeded local emulator
//! (moto; expected values from `seeded.json`), and with `aws-smithy-mocks` for what moto
//! cannot produce (composite alarms, throttling, AccessDenied, pagination).

mod common;
use common::{clients, mock, seeded};

use std::sync::Arc;

use aws_sdk_cloudwatch::error::ErrorMetadata;
use aws_sdk_cloudwatch::operation::describe_alarms::{DescribeAlarmsError, DescribeAlarmsOutput};
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, CompositeAlarm, Dimension, MetricAlarm, StateValue, Statistic,
};
use aws_sdk_cloudwatch::Client;
use aws_smithy_mocks::mock;
use aws_smithy_types::DateTime;
use opsdeck::model::alarm::{AlarmOrigin, AlarmState, CloudAlarmRule, Severity};
use opsdeck::model::{Model, Profile, Update};
use opsdeck::source::aws::alarms::{self, MAX_PAGES, SCOPE_ALARMS};
use opsdeck::source::aws::inventory::FailureKind;
use serde_json::Value;

fn state_of(word: &str) -> AlarmState {
    match word {
        "OK" => AlarmState::Ok,
        "ALARM" => AlarmState::Alarm,
        "INSUFFICIENT_DATA" => AlarmState::InsufficientData,
        other => panic!("unknown state {other} in seeded.json"),
    }
}

// ------------------------------------------------------------------------- the emulator

#[tokio::test]
async fn fetch_returns_the_seeded_alarms_with_states_and_reason() {
    let seeded = seeded();
    let clients = clients().await;
    let got = alarms::fetch(&clients, &[])
        .await
        .unwrap_or_else(|f| panic!("{f}"));
    let want = seeded["alarms"].as_array().expect("alarms in seeded.json");
    assert!(!want.is_empty());
    for w in want {
        let name = w["name"].as_str().unwrap();
        let a = got
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{name} not fetched: {got:?}"));
        assert_eq!(a.state, state_of(w["state"].as_str().unwrap()), "{name}");
        assert!(!a.composite, "{name}");
        assert!(a.since > 0, "{name}: StateUpdatedTimestamp read");
        let namespace = w["namespace"].as_str().unwrap();
        let metric = w["metric"].as_str().unwrap();
        let statistic = w["statistic"].as_str().unwrap();
        assert!(
            a.condition.starts_with(&format!("{namespace} {metric} ")),
            "{name}: {}",
            a.condition
        );
        assert!(a.condition.contains(statistic), "{}", a.condition);
        for (k, v) in w["dimensions"].as_object().unwrap() {
            assert!(
                a.condition
                    .contains(&format!("{k}={}", v.as_str().unwrap())),
                "{}",
                a.condition
            );
        }
        if let Some(reason) = w["reason"].as_str() {
            assert_eq!(a.reason, reason, "{name}");
        }
        if let Some(data) = w["reason_data"].as_str() {
            let newest = serde_json::from_str::<Value>(data).unwrap()["recentDatapoints"]
                .as_array()
                .and_then(|v| v.last())
                .and_then(|v| v.as_f64());
            assert_eq!(a.value, newest, "{name}: value from StateReasonData");
        }
    }
    // Sorted by name, each once.
    let names: Vec<_> = got.iter().map(|a| a.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted);
    assert!(clients
        .calls
        .calls()
        .iter()
        .all(|c| c.operation == "DescribeAlarms" && c.allowed));
}

#[tokio::test]
async fn fetch_by_prefix_and_the_model_shows_it_firing() {
    let seeded = seeded();
    let firing = seeded["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["state"] == "ALARM")
        .expect("a seeded alarm in ALARM");
    let name = firing["name"].as_str().unwrap();
    let clients = clients().await;
    // One listing per prefix; an alarm matching two prefixes comes once.
    let prefixes = vec![name[..6].to_string(), name.to_string()];
    let got = alarms::fetch(&clients, &prefixes)
        .await
        .unwrap_or_else(|f| panic!("{f}"));
    assert!(
        got.iter().all(|a| a.name.starts_with(&name[..6])),
        "{got:?}"
    );
    assert_eq!(got.iter().filter(|a| a.name == name).count(), 1);
    assert_eq!(clients.calls.len(), 2, "{:?}", clients.calls.calls());

    let profile = Profile {
        cloud_alarms: vec![CloudAlarmRule {
            pattern: format!("{}*", &name[..6]),
            severity: Severity::Critical,
            runbook: Some("api#errors".into()),
            log_filter: None,
        }],
        ..Profile::default()
    };
    let since = got.iter().find(|a| a.name == name).unwrap().since;
    let mut model = Model::new(profile, since + 60, 100);
    assert!(model.apply(Update::CloudAlarms(got)));
    let a = model.firing().next().expect("the seeded alarm fires");
    assert_eq!(a.def.name, name);
    assert_eq!(a.origin, AlarmOrigin::CloudWatchMetric);
    assert_eq!(a.def.severity, Severity::Critical);
    assert_eq!(a.fired_at, Some(since));
    assert_eq!(a.reason, firing["reason"].as_str().unwrap());
    assert_eq!(
        model.transitions,
        vec![(since, name.to_string(), AlarmState::Alarm)]
    );
    // The clock moves on: opsdeck does not evaluate it (it has no series), it stays firing.
    assert!(!model.tick(since + 600));
    assert_eq!(model.firing().count(), 1);
}

// ------------------------------------------------------------------------- mocked

fn metric(name: &str, state: StateValue) -> MetricAlarm {
    MetricAlarm::builder()
        .alarm_name(name)
        .state_value(state)
        .state_reason("Threshold Crossed")
        .state_updated_timestamp(DateTime::from_secs(1_700_000_000))
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value("api")
                .build(),
        )
        .statistic(Statistic::Sum)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .threshold(5.0)
        .evaluation_periods(1)
        .period(60)
        .build()
}

fn error(code: &str, message: &str) -> DescribeAlarmsError {
    DescribeAlarmsError::generic(ErrorMetadata::builder().code(code).message(message).build())
}

#[tokio::test]
async fn composite_alarm_in_alarm_is_fetched_and_fires_in_the_model() {
    let page = mock!(Client::describe_alarms)
        .match_requests(|r| {
            r.alarm_types() == [AlarmType::MetricAlarm, AlarmType::CompositeAlarm]
                && r.alarm_name_prefix().is_none()
        })
        .then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(metric("LambdaErrorAlarm", StateValue::Alarm))
                .composite_alarms(
                    CompositeAlarm::builder()
                        .alarm_name("ServiceDown")
                        .alarm_rule("ALARM(LambdaErrorAlarm) AND ALARM(LatencyAlarm)")
                        .state_value(StateValue::Alarm)
                        .state_reason("arbitrary reason \u{1b}[31mred")
                        .state_updated_timestamp(DateTime::from_secs(1_700_000_100))
                        .build(),
                )
                // No name: skipped, not a panic.
                .composite_alarms(
                    CompositeAlarm::builder()
                        .state_value(StateValue::Alarm)
                        .build(),
                )
                .build()
        });
    let clients = mock::cloudwatch(&[&page]);
    let got = alarms::fetch(&clients, &[])
        .await
        .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(page.num_calls(), 1);
    assert_eq!(
        got.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["LambdaErrorAlarm", "ServiceDown"]
    );
    let c = &got[1];
    assert!(c.composite);
    assert_eq!(c.state, AlarmState::Alarm);
    assert_eq!(
        c.condition,
        "composite: ALARM(LambdaErrorAlarm) AND ALARM(LatencyAlarm)"
    );
    assert_eq!(c.since, 1_700_000_100);

    let mut model = Model::new(Profile::default(), 1_700_000_200, 10);
    model.apply(Update::CloudAlarms(got));
    let comp = model
        .alarms
        .iter()
        .find(|a| a.def.name == "ServiceDown")
        .unwrap();
    assert_eq!(comp.origin, AlarmOrigin::CloudWatchComposite);
    assert_eq!(comp.state, AlarmState::Alarm);
    assert_eq!(comp.def.severity, Severity::Medium);
    assert!(
        !comp.reason.contains('\u{1b}'),
        "sanitised: {:?}",
        comp.reason
    );
    assert_eq!(model.firing().count(), 2);
}

#[tokio::test]
async fn throttling_is_classified() {
    let rule =
        mock!(Client::describe_alarms).then_error(|| error("ThrottlingException", "Rate exceeded"));
    let clients = mock::cloudwatch(&[&rule]);
    let f = alarms::fetch(&clients, &[]).await.unwrap_err();
    assert_eq!(f.kind, FailureKind::Throttled, "{f}");
    assert_eq!(f.scope, SCOPE_ALARMS);
    assert!(f.message.contains("cloudwatch:DescribeAlarms"), "{f}");
    // What the model is told.
    let mut model = Model::new(Profile::default(), 100, 10);
    assert!(model.apply(f.to_update(100)));
    assert_eq!(model.faults[0].scope, SCOPE_ALARMS);
}

#[tokio::test]
async fn access_denied_names_the_iam_action() {
    let rule = mock!(Client::describe_alarms).then_error(|| {
        error(
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/x is not authorized to perform: cloudwatch:DescribeAlarms",
        )
    });
    let clients = mock::cloudwatch(&[&rule]);
    let f = alarms::fetch(&clients, &["Lambda".to_string()])
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::AccessDenied, "{f}");
    assert!(
        f.message.starts_with(
            "access denied: the credentials need the IAM permission cloudwatch:DescribeAlarms"
        ),
        "{f}"
    );
    assert_eq!(rule.num_calls(), 1, "the first denial stops the listing");
}

#[tokio::test]
async fn every_page_is_read_by_next_token() {
    let first = mock!(Client::describe_alarms)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(metric("B", StateValue::Ok))
                .next_token("page-2")
                .build()
        });
    let second = mock!(Client::describe_alarms)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(metric("A", StateValue::Alarm))
                .composite_alarms(
                    CompositeAlarm::builder()
                        .alarm_name("C")
                        .alarm_rule("ALARM(A)")
                        .state_value(StateValue::InsufficientData)
                        .build(),
                )
                .next_token("page-3")
                .build()
        });
    let third = mock!(Client::describe_alarms)
        .match_requests(|r| r.next_token() == Some("page-3"))
        // The last page: no token (an empty one counts as none too).
        .then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(metric("B", StateValue::Ok))
                .next_token("")
                .build()
        });
    let clients = mock::cloudwatch(&[&first, &second, &third]);
    let got = alarms::fetch(&clients, &[]).await.unwrap();
    assert_eq!(
        (first.num_calls(), second.num_calls(), third.num_calls()),
        (1, 1, 1)
    );
    let names: Vec<_> = got.iter().map(|a| (a.name.as_str(), a.state)).collect();
    assert_eq!(
        names,
        [
            ("A", AlarmState::Alarm),
            ("B", AlarmState::Ok),
            ("C", AlarmState::InsufficientData)
        ]
    );
    assert_eq!(
        clients.calls.counts().values().sum::<usize>(),
        3,
        "{:?}",
        clients.calls.counts()
    );
}

#[tokio::test]
async fn a_never_ending_token_stops_at_the_page_cap() {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let rule = mock!(Client::describe_alarms).then_compute_output(move |_| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        DescribeAlarmsOutput::builder()
            .metric_alarms(metric(&format!("alarm-{n:03}"), StateValue::Ok))
            .next_token("again")
            .build()
    });
    let clients = mock::cloudwatch(&[&rule]);
    let got = alarms::fetch(&clients, &[]).await.unwrap();
    assert_eq!(rule.num_calls(), MAX_PAGES);
    assert_eq!(got.len(), MAX_PAGES);
}

#[tokio::test]
async fn one_listing_per_prefix() {
    let lambda = mock!(Client::describe_alarms)
        .match_requests(|r| r.alarm_name_prefix() == Some("Lambda"))
        .then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(metric("LambdaErrors", StateValue::Alarm))
                .build()
        });
    let api = mock!(Client::describe_alarms)
        .match_requests(|r| r.alarm_name_prefix() == Some("Api"))
        .then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(metric("ApiLatency", StateValue::Ok))
                .build()
        });
    let clients = mock::cloudwatch(&[&lambda, &api]);
    let got = alarms::fetch(&clients, &["Lambda".to_string(), "Api".to_string()])
        .await
        .unwrap();
    assert_eq!((lambda.num_calls(), api.num_calls()), (1, 1));
    assert_eq!(
        got.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["ApiLatency", "LambdaErrors"]
    );
}

/// A garbled or truncated answer is an error of the pane that asked, never a panic: for
/// DescribeAlarms (alarms pane) and GetMetricData (the metric panes).
#[tokio::test]
async fn malformed_responses_are_errors_not_panics() {
    use aws_smithy_runtime_api::http::{Response as HttpResponse, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use opsdeck::model::metrics::{Inventory, LambdaFunction};
    use opsdeck::source::aws::cloudwatch::{plan, MetricsFetcher, SCOPE};

    // CBOR that stops in the middle of a map, and bytes that are not CBOR at all.
    let bodies: [&'static [u8]; 2] = [b"\xbf\x6dMetricAlarms\x9f\xbf", b"<html>oops</html>"];
    for body in bodies {
        let garbled = move || {
            let mut r = HttpResponse::new(StatusCode::try_from(200).unwrap(), SdkBody::from(body));
            r.headers_mut().insert("smithy-protocol", "rpc-v2-cbor");
            r.headers_mut().insert("content-type", "application/cbor");
            r
        };
        let alarms_rule = mock!(Client::describe_alarms).then_http_response(garbled);
        let metrics_rule = mock!(Client::get_metric_data).then_http_response(garbled);
        let clients = mock::cloudwatch(&[&alarms_rule, &metrics_rule]);

        let err = alarms::fetch(&clients, &[])
            .await
            .expect_err("a garbled DescribeAlarms answer is an error");
        assert_eq!(err.scope, SCOPE_ALARMS);
        assert_eq!(err.kind, FailureKind::Other);
        assert!(err.message.contains("DescribeAlarms"), "{}", err.message);

        let inv = Inventory {
            functions: vec![LambdaFunction {
                name: "api".into(),
                reserved: None,
            }],
            ..Default::default()
        };
        let mut fetcher = MetricsFetcher::new(plan(&inv, &[]));
        let err = fetcher
            .fetch(&clients, 1_800_000_000)
            .await
            .expect_err("a garbled GetMetricData answer is an error");
        assert_eq!(err.scope, SCOPE);
        assert!(err.message.contains("GetMetricData"), "{}", err.message);
        assert_eq!(
            fetcher.last_end, None,
            "the same window is read again next time"
        );
    }
}
