//! Alarms fired in a window, for the daily check: `DescribeAlarmHistory` (state updates) and,
//! when the history cannot be read, the alarms' current states as a fallback.
//!
//! The history lists every transition; the fallback (`DescribeAlarms`) only knows each
//! alarm's latest state change (`StateUpdatedTimestamp`), so it counts alarms that are in ALARM
//! and changed within the window, and knows nothing of the day before. The check says which
//! one it used. moto does not implement `DescribeAlarmHistory` (it answers HTTP 500), so on the
//! emulator the fallback is what runs.
//!
//! IAM actions used: `cloudwatch:DescribeAlarmHistory`, `cloudwatch:DescribeAlarms`.

use aws_sdk_cloudwatch::types::{AlarmType, HistoryItemType, ScanBy};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::DateTime;
use serde_json::Value;

use super::alarms;
use super::clients::Clients;
use super::inventory::{FailureKind, SourceFailure};
use crate::check::{AlarmEvent, AlarmInput};
use crate::config::name_selected;
use crate::model::alarm::AlarmState;
use crate::model::log::sanitize_with_limit;
use crate::model::time::Ts;

/// Scope of history failures.
pub const SCOPE_HISTORY: &str = "aws/alarms/history";
/// The IAM action the history needs.
pub const ACTION: &str = "cloudwatch:DescribeAlarmHistory";
/// Most pages read (100 items a page).
pub const MAX_PAGES: usize = 50;
/// Items per page (the API's maximum).
const PAGE_SIZE: i32 = 100;
/// Failure texts shown on screen are cut to this width.
const SHORT: usize = 160;

/// Was this history item a transition into ALARM? From `HistoryData` (`newState.stateValue`),
/// else from the summary (`Alarm updated from OK to ALARM`).
pub fn into_alarm(history_data: Option<&str>, summary: Option<&str>) -> bool {
    if let Some(v) = history_data.and_then(|d| serde_json::from_str::<Value>(d).ok()) {
        if let Some(state) = v
            .get("newState")
            .and_then(|s| s.get("stateValue"))
            .and_then(Value::as_str)
        {
            return state == "ALARM";
        }
    }
    summary.is_some_and(|s| s.trim_end().ends_with("to ALARM"))
}

/// Transitions into ALARM between `start` and `end` of the alarms whose names pass `prefixes`
/// (all when empty), oldest first: every page of `DescribeAlarmHistory` (StateUpdate items)
/// up to [`MAX_PAGES`].
pub async fn history(
    clients: &Clients,
    start: Ts,
    end: Ts,
    prefixes: &[String],
) -> Result<Vec<AlarmEvent>, SourceFailure> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = clients
            .cloudwatch
            .describe_alarm_history()
            .history_item_type(HistoryItemType::StateUpdate)
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .start_date(DateTime::from_secs(start))
            .end_date(DateTime::from_secs(end))
            .scan_by(ScanBy::TimestampAscending)
            .max_records(PAGE_SIZE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| {
                let kind = SourceFailure::from_sdk(SCOPE_HISTORY, ACTION, &e).kind;
                SourceFailure::new(SCOPE_HISTORY, kind, brief(SCOPE_HISTORY, ACTION, &e))
            })?;
        for item in page.alarm_history_items() {
            let (Some(name), Some(at)) = (item.alarm_name(), item.timestamp()) else {
                continue;
            };
            let at = at.secs();
            if at < start || at >= end || !name_selected(&prefixes_as_filters(prefixes), name) {
                continue;
            }
            if into_alarm(item.history_data(), item.history_summary()) {
                events.push(AlarmEvent {
                    at,
                    name: sanitize_with_limit(name.as_bytes(), crate::model::log::MAX_FIELD_WIDTH),
                });
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => {
                events.sort_by(|a, b| a.at.cmp(&b.at).then(a.name.cmp(&b.name)));
                return Ok(events);
            }
        }
    }
    Err(SourceFailure::new(
        SCOPE_HISTORY,
        FailureKind::Other,
        format!("{ACTION} returned more than {MAX_PAGES} pages"),
    ))
}

/// Alarm name prefixes as `name_selected` filters (`Prefix*`).
fn prefixes_as_filters(prefixes: &[String]) -> Vec<String> {
    prefixes.iter().map(|p| format!("{p}*")).collect()
}

/// A failure's message, one line, sanitised and cut for the screen.
pub fn short(f: &SourceFailure) -> String {
    let first = f.message.lines().next().unwrap_or("");
    sanitize_with_limit(first.as_bytes(), SHORT)
}

/// An SDK error in a few words for the screen and the report: the classified message for
/// access, credentials, throttling and network failures; otherwise `ACTION failed: Code:
/// message` (the error's own code and message, not its whole debug chain).
pub fn brief<E, R>(scope: &str, action: &str, err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let f = SourceFailure::from_sdk(scope, action, err);
    if f.kind != FailureKind::Other {
        return short(&f);
    }
    let text = match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{action} failed: {code}: {message}"),
        (Some(code), None) => format!("{action} failed: {code}"),
        _ => f.message,
    };
    let first = text.lines().next().unwrap_or("");
    sanitize_with_limit(first.as_bytes(), SHORT)
}

/// The alarms part of the daily check for `[start, end)`: the current alarms (which are in
/// ALARM now) and the history's transitions into ALARM, or, when the history cannot be read,
/// the current alarms in ALARM whose state changed within the window.
pub async fn alarm_input(clients: &Clients, start: Ts, end: Ts, prefixes: &[String]) -> AlarmInput {
    let (current, history) = tokio::join!(
        alarms::fetch(clients, prefixes),
        history(clients, start, end, prefixes)
    );
    let current = match current {
        Ok(c) => c,
        Err(f) => {
            return AlarmInput {
                error: Some(short(&f)),
                ..AlarmInput::default()
            }
        }
    };
    let firing_now: Vec<String> = current
        .iter()
        .filter(|a| a.state == AlarmState::Alarm)
        .map(|a| sanitize_with_limit(a.name.as_bytes(), crate::model::log::MAX_FIELD_WIDTH))
        .collect();
    match history {
        Ok(events) => AlarmInput {
            events,
            firing_now,
            from_history: true,
            history_error: None,
            error: None,
        },
        Err(f) => {
            let mut events: Vec<AlarmEvent> = current
                .iter()
                .filter(|a| a.state == AlarmState::Alarm && a.since >= start && a.since < end)
                .map(|a| AlarmEvent {
                    at: a.since,
                    name: sanitize_with_limit(
                        a.name.as_bytes(),
                        crate::model::log::MAX_FIELD_WIDTH,
                    ),
                })
                .collect();
            events.sort_by(|a, b| a.at.cmp(&b.at).then(a.name.cmp(&b.name)));
            AlarmInput {
                events,
                firing_now,
                from_history: false,
                history_error: Some(short(&f)),
                error: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_into_alarm() {
        let data = |from: &str, to: &str| {
            format!(
                r#"{{"version":"1.0","oldState":{{"stateValue":"{from}"}},"newState":{{"stateValue":"{to}","stateReason":"x"}}}}"#
            )
        };
        assert!(into_alarm(Some(&data("OK", "ALARM")), None));
        assert!(!into_alarm(
            Some(&data("ALARM", "OK")),
            Some("Alarm updated from ALARM to OK")
        ));
        assert!(!into_alarm(Some(&data("OK", "INSUFFICIENT_DATA")), None));
        // Without (usable) data: the summary.
        assert!(into_alarm(None, Some("Alarm updated from OK to ALARM")));
        assert!(into_alarm(
            Some("not json"),
            Some("Alarm updated from INSUFFICIENT_DATA to ALARM")
        ));
        assert!(!into_alarm(
            Some("{}"),
            Some("Alarm updated from ALARM to OK")
        ));
        assert!(!into_alarm(None, None));
    }
}
