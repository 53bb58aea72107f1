//! CloudWatch alarms of the account, metric and composite, read with `DescribeAlarms`.
//!
//! One listing per configured name prefix (or one unfiltered listing), every page. What leaves
//! this module are [`CloudAlarm`]s (model types) or a [`SourceFailure`]; the model turns them
//! into alarms (`Update::CloudAlarms`) and sanitises the text.
//!
//! IAM action used: `cloudwatch:DescribeAlarms`.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, CompositeAlarm, Dimension, MetricAlarm, MetricDataQuery,
    StateValue,
};
use aws_smithy_types::DateTime;

use super::clients::Clients;
use super::inventory::SourceFailure;
use crate::model::alarm::{AlarmState, CloudAlarm};
use crate::model::time::Ts;

/// Scope of alarm failures (`Update::SourceError::scope`).
pub const SCOPE_ALARMS: &str = "aws/alarms";

/// The IAM action `fetch` needs.
pub const ACTION: &str = "cloudwatch:DescribeAlarms";

/// Most pages read per listing (100 alarms a page): a runaway `NextToken` loop stops here.
pub const MAX_PAGES: usize = 50;

/// Alarms per page (the API's maximum).
const PAGE_SIZE: i32 = 100;

/// Every metric and composite alarm whose name starts with one of `prefixes` (all alarms when
/// `prefixes` is empty), sorted by name, each once. One `DescribeAlarms` listing per prefix,
/// every page up to [`MAX_PAGES`]. Alarms without a name or a state are left out.
pub async fn fetch(
    clients: &Clients,
    prefixes: &[String],
) -> Result<Vec<CloudAlarm>, SourceFailure> {
    let mut by_name: BTreeMap<String, CloudAlarm> = BTreeMap::new();
    let listings: Vec<Option<&str>> = if prefixes.is_empty() {
        vec![None]
    } else {
        prefixes.iter().map(|p| Some(p.as_str())).collect()
    };
    for prefix in listings {
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = clients
                .cloudwatch
                .describe_alarms()
                .alarm_types(AlarmType::MetricAlarm)
                .alarm_types(AlarmType::CompositeAlarm)
                .set_alarm_name_prefix(prefix.map(str::to_string))
                .max_records(PAGE_SIZE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| SourceFailure::from_sdk(SCOPE_ALARMS, ACTION, &e))?;
            for a in page_alarms(&page) {
                by_name.entry(a.name.clone()).or_insert(a);
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
    }
    Ok(by_name.into_values().collect())
}

/// The alarms of one `DescribeAlarms` page: metric alarms, then composite alarms.
pub fn page_alarms(page: &DescribeAlarmsOutput) -> Vec<CloudAlarm> {
    page.metric_alarms()
        .iter()
        .filter_map(metric_alarm)
        .chain(page.composite_alarms().iter().filter_map(composite_alarm))
        .collect()
}

/// `OK` / `ALARM` / `INSUFFICIENT_DATA`; `None` for a value this build does not know.
pub fn alarm_state(v: &StateValue) -> Option<AlarmState> {
    match v {
        StateValue::Ok => Some(AlarmState::Ok),
        StateValue::Alarm => Some(AlarmState::Alarm),
        StateValue::InsufficientData => Some(AlarmState::InsufficientData),
        _ => None,
    }
}

fn secs(primary: Option<&DateTime>, fallback: Option<&DateTime>) -> Ts {
    primary.or(fallback).map(|t| t.secs()).unwrap_or(0)
}

/// A metric alarm in model terms; `None` without a name or a known state.
pub fn metric_alarm(a: &MetricAlarm) -> Option<CloudAlarm> {
    let name = a.alarm_name().filter(|n| !n.is_empty())?;
    let state = alarm_state(a.state_value()?)?;
    Some(CloudAlarm {
        name: name.to_string(),
        composite: false,
        state,
        reason: a.state_reason().unwrap_or_default().to_string(),
        since: secs(
            a.state_updated_timestamp(),
            a.state_transitioned_timestamp(),
        ),
        description: a.alarm_description().unwrap_or_default().to_string(),
        condition: metric_condition(a),
        value: a.state_reason_data().and_then(newest_value),
    })
}

/// A composite alarm in model terms; `None` without a name or a known state.
pub fn composite_alarm(a: &CompositeAlarm) -> Option<CloudAlarm> {
    let name = a.alarm_name().filter(|n| !n.is_empty())?;
    let state = alarm_state(a.state_value()?)?;
    let rule = a.alarm_rule().unwrap_or_default().trim();
    Some(CloudAlarm {
        name: name.to_string(),
        composite: true,
        state,
        reason: a.state_reason().unwrap_or_default().to_string(),
        since: secs(
            a.state_updated_timestamp(),
            a.state_transitioned_timestamp(),
        ),
        description: a.alarm_description().unwrap_or_default().to_string(),
        condition: if rule.is_empty() {
            "composite alarm (no rule)".to_string()
        } else {
            format!("composite: {rule}")
        },
        // A composite alarm's state comes from other alarms: it has no value of its own.
        value: None,
    })
}

fn dimensions_text(dims: &[Dimension]) -> String {
    dims.iter()
        .filter_map(|d| Some(format!("{}={}", d.name()?, d.value().unwrap_or_default())))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `AWS/Lambda Errors FunctionName=x`, skipping the missing parts.
fn metric_text(namespace: Option<&str>, metric: Option<&str>, dims: &[Dimension]) -> String {
    let d = dimensions_text(dims);
    [namespace.unwrap_or_default(), metric.unwrap_or("?"), &d]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The comparison as a symbol; anomaly-detection operators name the band.
fn comparison_text(op: Option<&ComparisonOperator>, band: Option<&str>) -> String {
    let band = || format!("band({})", band.unwrap_or("?"));
    match op {
        Some(ComparisonOperator::GreaterThanOrEqualToThreshold) => ">=".into(),
        Some(ComparisonOperator::GreaterThanThreshold) => ">".into(),
        Some(ComparisonOperator::LessThanOrEqualToThreshold) => "<=".into(),
        Some(ComparisonOperator::LessThanThreshold) => "<".into(),
        Some(ComparisonOperator::GreaterThanUpperThreshold) => format!("above {}", band()),
        Some(ComparisonOperator::LessThanLowerThreshold) => format!("below {}", band()),
        Some(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold) => {
            format!("outside {}", band())
        }
        Some(other) => other.as_str().to_string(),
        None => "?".into(),
    }
}

/// The query whose value the alarm compares: the one returning data that is not the
/// anomaly band, else the first.
fn alarm_query<'a>(
    queries: &'a [MetricDataQuery],
    band: Option<&str>,
) -> Option<&'a MetricDataQuery> {
    queries
        .iter()
        .find(|q| q.return_data().unwrap_or(true) && q.id() != band)
        .or_else(|| queries.first())
}

/// What a metric alarm watches, in words:
/// `AWS/Lambda Errors FunctionName=x Sum > 5 for 1 of 1 x 60s`; alarms on `Metrics`
/// (metric math, anomaly detection) say `metric math e1 = m1/m2 > 5 ...`.
pub fn metric_condition(a: &MetricAlarm) -> String {
    let band = a.threshold_metric_id();
    let mut period = a.period();
    let subject = if a.metrics().is_empty() {
        let stat = a
            .statistic()
            .map(|s| s.as_str())
            .or(a.extended_statistic())
            .unwrap_or_default();
        let mut s = metric_text(a.namespace(), a.metric_name(), a.dimensions());
        if !stat.is_empty() {
            s.push(' ');
            s.push_str(stat);
        }
        s
    } else {
        match alarm_query(a.metrics(), band) {
            Some(q) => {
                if period.is_none() {
                    period = q
                        .period()
                        .or_else(|| q.metric_stat().and_then(|m| m.period()))
                        .or_else(|| {
                            a.metrics()
                                .iter()
                                .find_map(|q| q.metric_stat().and_then(|m| m.period()))
                        });
                }
                let id = q.id().unwrap_or("?");
                match (q.expression(), q.metric_stat()) {
                    (Some(expr), _) => format!("metric math {id} = {expr}"),
                    (None, Some(ms)) => {
                        let m = ms.metric();
                        format!(
                            "metric math {id} = {} {}",
                            metric_text(
                                m.and_then(|m| m.namespace()),
                                m.and_then(|m| m.metric_name()),
                                m.map(|m| m.dimensions()).unwrap_or_default()
                            ),
                            ms.stat().unwrap_or_default()
                        )
                        .trim_end()
                        .to_string()
                    }
                    (None, None) => format!("metric math {id}"),
                }
            }
            None => "metric math".to_string(),
        }
    };
    let op = comparison_text(a.comparison_operator(), band);
    let mut out = format!("{subject} {op}");
    if let Some(t) = a.threshold() {
        // Exactly as configured (`5`, `1500.5`): a rounded threshold would mislead.
        out.push_str(&format!(" {t}"));
    }
    let m = a.evaluation_periods().unwrap_or(1).max(1);
    let n = a.datapoints_to_alarm().unwrap_or(m);
    out.push_str(&format!(" for {n} of {m}"));
    if let Some(p) = period {
        out.push_str(&format!(" x {p}s"));
    }
    out
}

/// The newest value in `StateReasonData`: the `evaluatedDatapoints` entry with the latest
/// timestamp when there are any, else the last of `recentDatapoints` (oldest first). `None`
/// when the JSON is malformed or has no numbers.
pub fn newest_value(reason_data: &str) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_str(reason_data).ok()?;
    let evaluated = v
        .get("evaluatedDatapoints")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p.get("timestamp")?.as_str()?.to_string(),
                p.get("value")?.as_f64()?,
            ))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, v)| v);
    evaluated
        .or_else(|| {
            v.get("recentDatapoints")?
                .as_array()?
                .iter()
                .rev()
                .find_map(|x| x.as_f64())
        })
        .filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::types::{Metric, MetricStat, Statistic};

    fn dim(n: &str, v: &str) -> Dimension {
        Dimension::builder().name(n).value(v).build()
    }

    fn lambda_errors() -> MetricAlarm {
        MetricAlarm::builder()
            .alarm_name("LambdaErrorAlarm")
            .state_value(StateValue::Alarm)
            .state_reason("Threshold Crossed: 1 datapoint [10.0] was greater than the threshold (5.0).")
            .state_reason_data(
                r#"{"version":"1.0","queryDate":"x","recentDatapoints":[3.0,10.0],"threshold":5.0}"#,
            )
            .state_updated_timestamp(DateTime::from_secs(1_700_000_000))
            .namespace("AWS/Lambda")
            .metric_name("Errors")
            .dimensions(dim("FunctionName", "api"))
            .statistic(Statistic::Sum)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .threshold(5.0)
            .evaluation_periods(3)
            .datapoints_to_alarm(2)
            .period(60)
            .build()
    }

    #[test]
    fn metric_alarm_maps_state_reason_value_and_condition() {
        let a = metric_alarm(&lambda_errors()).unwrap();
        assert_eq!(a.name, "LambdaErrorAlarm");
        assert!(!a.composite);
        assert_eq!(a.state, AlarmState::Alarm);
        assert!(a.reason.starts_with("Threshold Crossed"));
        assert_eq!(a.since, 1_700_000_000);
        assert_eq!(a.description, "");
        assert_eq!(a.value, Some(10.0));
        assert_eq!(
            a.condition,
            "AWS/Lambda Errors FunctionName=api Sum > 5 for 2 of 3 x 60s"
        );
    }

    #[test]
    fn states_map() {
        assert_eq!(alarm_state(&StateValue::Ok), Some(AlarmState::Ok));
        assert_eq!(alarm_state(&StateValue::Alarm), Some(AlarmState::Alarm));
        assert_eq!(
            alarm_state(&StateValue::InsufficientData),
            Some(AlarmState::InsufficientData)
        );
        assert_eq!(alarm_state(&StateValue::from("SOMETHING_NEW")), None);
    }

    #[test]
    fn extended_statistic_and_operators() {
        let a = MetricAlarm::builder()
            .alarm_name("p99")
            .state_value(StateValue::Ok)
            .namespace("AWS/ApiGateway")
            .metric_name("Latency")
            .dimensions(dim("ApiName", "a"))
            .dimensions(dim("Stage", "prod"))
            .extended_statistic("p99")
            .comparison_operator(ComparisonOperator::LessThanOrEqualToThreshold)
            .threshold(1500.5)
            .evaluation_periods(5)
            .period(300)
            .build();
        assert_eq!(
            metric_condition(&a),
            "AWS/ApiGateway Latency ApiName=a Stage=prod p99 <= 1500.5 for 5 of 5 x 300s"
        );
    }

    #[test]
    fn metric_math_and_anomaly_band_say_so() {
        let m = |id: &str, name: &str| {
            MetricDataQuery::builder()
                .id(id)
                .return_data(false)
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/Lambda")
                                .metric_name(name)
                                .build(),
                        )
                        .period(60)
                        .stat("Sum")
                        .build(),
                )
                .build()
        };
        let math = MetricAlarm::builder()
            .alarm_name("ErrorRate")
            .state_value(StateValue::InsufficientData)
            .metrics(m("e", "Errors"))
            .metrics(m("i", "Invocations"))
            .metrics(
                MetricDataQuery::builder()
                    .id("rate")
                    .expression("100*e/i")
                    .return_data(true)
                    .build(),
            )
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .threshold(5.0)
            .evaluation_periods(2)
            .build();
        let a = metric_alarm(&math).unwrap();
        assert_eq!(a.state, AlarmState::InsufficientData);
        assert_eq!(
            a.condition,
            "metric math rate = 100*e/i >= 5 for 2 of 2 x 60s"
        );
        assert_eq!(a.value, None);
        assert_eq!(a.since, 0);

        let band = MetricAlarm::builder()
            .alarm_name("Anomaly")
            .state_value(StateValue::Ok)
            .metrics(
                MetricDataQuery::builder()
                    .id("m1")
                    .return_data(true)
                    .metric_stat(
                        MetricStat::builder()
                            .metric(
                                Metric::builder()
                                    .namespace("AWS/Lambda")
                                    .metric_name("Invocations")
                                    .build(),
                            )
                            .period(300)
                            .stat("Sum")
                            .build(),
                    )
                    .build(),
            )
            .metrics(
                MetricDataQuery::builder()
                    .id("ad1")
                    .expression("ANOMALY_DETECTION_BAND(m1, 2)")
                    .return_data(true)
                    .build(),
            )
            .threshold_metric_id("ad1")
            .comparison_operator(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold)
            .evaluation_periods(1)
            .build();
        assert_eq!(
            metric_condition(&band),
            "metric math m1 = AWS/Lambda Invocations Sum outside band(ad1) for 1 of 1 x 300s"
        );
    }

    #[test]
    fn composite_alarm_maps_rule() {
        let c = CompositeAlarm::builder()
            .alarm_name("ServiceDown")
            .alarm_description("API errors and latency together")
            .alarm_rule("ALARM(LambdaErrorAlarm) AND ALARM(LatencyAlarm)")
            .state_value(StateValue::Alarm)
            .state_reason("arbitrary")
            .state_updated_timestamp(DateTime::from_secs(1_700_000_060))
            .build();
        let a = composite_alarm(&c).unwrap();
        assert!(a.composite);
        assert_eq!(a.state, AlarmState::Alarm);
        assert_eq!(a.since, 1_700_000_060);
        assert_eq!(a.description, "API errors and latency together");
        assert_eq!(
            a.condition,
            "composite: ALARM(LambdaErrorAlarm) AND ALARM(LatencyAlarm)"
        );
        assert_eq!(a.value, None);
    }

    #[test]
    fn missing_name_or_state_is_skipped_and_bad_reason_data_gives_no_value() {
        let no_name = MetricAlarm::builder().state_value(StateValue::Ok).build();
        assert_eq!(metric_alarm(&no_name), None);
        let no_state = MetricAlarm::builder().alarm_name("x").build();
        assert_eq!(metric_alarm(&no_state), None);
        let unknown = CompositeAlarm::builder()
            .alarm_name("c")
            .state_value(StateValue::from("MAYBE"))
            .build();
        assert_eq!(composite_alarm(&unknown), None);
        let bad = MetricAlarm::builder()
            .alarm_name("x")
            .state_value(StateValue::Ok)
            .state_reason_data("{not json")
            .build();
        let a = metric_alarm(&bad).unwrap();
        assert_eq!(a.value, None);
        // Nothing known about the metric: still a readable line, no panic.
        assert_eq!(a.condition, "? ? for 1 of 1");

        let page = DescribeAlarmsOutput::builder()
            .metric_alarms(no_name)
            .metric_alarms(lambda_errors())
            .composite_alarms(unknown)
            .build();
        let names: Vec<_> = page_alarms(&page).into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["LambdaErrorAlarm"]);
    }

    #[test]
    fn newest_value_from_reason_data() {
        assert_eq!(newest_value(r#"{"recentDatapoints":[1.0,2.5]}"#), Some(2.5));
        assert_eq!(newest_value(r#"{"recentDatapoints":[]}"#), None);
        assert_eq!(newest_value(r#"{"recentDatapoints":"x"}"#), None);
        assert_eq!(newest_value(r#"[1,2]"#), None);
        assert_eq!(newest_value(""), None);
        assert_eq!(
            newest_value(
                r#"{"recentDatapoints":[9.0],"evaluatedDatapoints":[
                {"timestamp":"2026-01-01T00:02:00.000+0000","value":7.0},
                {"timestamp":"2026-01-01T00:01:00.000+0000","value":9.0}]}"#
            ),
            Some(7.0)
        );
    }
}
