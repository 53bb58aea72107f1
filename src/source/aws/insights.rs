//! CloudWatch Logs Insights for the daily check, and the check's reads of the account.
//!
//! - [`query_text`]: the query: error lines (structured `level = "ERROR"`, or a message that
//!   names an error), newest first, up to a limit. Logs Insights does the filtering; the
//!   grouping into patterns is done here with `model::patterns` (the server's results are raw
//!   lines), so the counts are the same whether the server filters (AWS) or only applies
//!   `fields` / `sort` / `limit` (moto): rows are checked again client-side (error lines only,
//!   timestamps inside the window).
//! - [`QueryQueue`]: StartQuery / GetQueryResults with at most `max_running` queries of
//!   opsdeck's running at once (the account has 30 for everyone, dashboards included); a
//!   query that does not finish within its timeout is stopped (StopQuery), and so is one whose
//!   caller gives up (the future is dropped). `LimitExceededException` on StartQuery (the
//!   account's 30 are busy) is retried with backoff.
//! - [`daily_check`]: everything `opsdeck check` reads: the inventory, 48 hours of the front
//!   door's metrics in one GetMetricData call at 5 minutes, the alarms fired (see `history`)
//!   and the two Insights queries (today, yesterday).
//!
//! Every call goes through [`Clients`] (counted, read-only guard). IAM actions:
//! `logs:StartQuery`, `logs:GetQueryResults`, `logs:StopQuery`, plus those of the inventory,
//! `cloudwatch:ListMetrics`, `cloudwatch:GetMetricData`, `cloudwatch:DescribeAlarms` and
//! `cloudwatch:DescribeAlarmHistory`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::operation::start_query::StartQueryError;
use aws_sdk_cloudwatchlogs::types::{QueryStatus, ResultField};
use tokio::sync::Semaphore;

use super::clients::Clients;
use super::inventory::{self, InventoryResult};
use super::{cloudwatch, history};
use crate::check::{CheckInput, LogInput, QueryInfo, PERIOD, WINDOW};
use crate::config::AwsSettings;
use crate::model::metrics::{keys, Inventory};
use crate::model::patterns::Patterns;
use crate::model::time::{align, days_from_civil, Ts, DAY};

/// Scope of Insights failures.
pub const SCOPE_INSIGHTS: &str = "aws/logs/insights";
/// Result rows per query: Logs Insights' maximum.
pub const DEFAULT_LIMIT: i32 = 10_000;
/// Queries of opsdeck's running at once, by default (of the account's 30).
pub const DEFAULT_MAX_RUNNING: usize = 3;
/// Logs Insights accepts at most this many log groups per query.
pub const MAX_GROUPS_PER_QUERY: usize = 50;

/// The Logs Insights query of the check: error lines, newest first.
pub fn query_text(limit: i32) -> String {
    format!(
        "fields @timestamp, @log, @message\n\
         | filter level = \"ERROR\" or @message like /(?i)(error|exception|fatal|panic|timed out|failed)/\n\
         | sort @timestamp desc\n\
         | limit {}",
        limit.clamp(1, DEFAULT_LIMIT)
    )
}

/// How the queue runs queries.
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// At most this many of opsdeck's queries run at once (at least 1).
    pub max_running: usize,
    /// GetQueryResults every this long while a query runs.
    pub poll_every: Duration,
    /// A query still running after this long is stopped (StopQuery).
    pub timeout: Duration,
    /// StartQuery refused with LimitExceededException is tried this many more times, waiting
    /// `poll_every` doubled each time.
    pub start_retries: u32,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            max_running: DEFAULT_MAX_RUNNING,
            poll_every: Duration::from_secs(1),
            timeout: Duration::from_secs(120),
            start_retries: 4,
        }
    }
}

/// One query to run.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    /// `today`, `yesterday`.
    pub label: String,
    pub log_groups: Vec<String>,
    /// `[start, end)`, seconds.
    pub start: Ts,
    pub end: Ts,
    pub query: String,
}

/// One result row: a log line.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub ts: Ts,
    /// The log group.
    pub log: String,
    /// The raw message (unsanitised: `Patterns::add_raw` sanitises it).
    pub message: String,
}

/// A query's outcome: its final [`QueryInfo`] and its rows (empty unless Complete).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutcome {
    pub info: QueryInfo,
    pub rows: Vec<Row>,
}

/// Runs Logs Insights queries, at most `max_running` at once.
#[derive(Debug, Clone)]
pub struct QueryQueue {
    opts: QueueOptions,
    slots: Arc<Semaphore>,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

/// Stops a started query when dropped before it finished (the caller gave up).
struct StopOnDrop {
    client: aws_sdk_cloudwatchlogs::Client,
    id: Option<String>,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            rt.spawn(async move {
                let _ = client.stop_query().query_id(id).send().await;
            });
        }
    }
}

/// Counts a running query while alive.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn status_word(s: Option<&QueryStatus>) -> String {
    match s {
        Some(s) => s.as_str().to_string(),
        None => "Unknown".into(),
    }
}

fn is_terminal(status: &str) -> bool {
    !matches!(status, "Scheduled" | "Running")
}

impl QueryQueue {
    pub fn new(opts: QueueOptions) -> Self {
        let n = opts.max_running.max(1);
        Self {
            opts: QueueOptions {
                max_running: n,
                ..opts
            },
            slots: Arc::new(Semaphore::new(n)),
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn options(&self) -> &QueueOptions {
        &self.opts
    }

    /// The most of this queue's queries that were running at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Run one query: wait for a slot, StartQuery, GetQueryResults until it ends (reporting
    /// each poll's status and statistics to `progress`), StopQuery when it runs past the
    /// timeout. Never fails: a failure is in the outcome's `info.status` / `info.error`.
    pub async fn run(
        &self,
        clients: &Clients,
        req: &QueryRequest,
        progress: &(dyn Fn(&QueryInfo) + Sync),
    ) -> QueryOutcome {
        let mut info = QueryInfo {
            label: req.label.clone(),
            query: req.query.clone(),
            log_groups: req.log_groups.clone(),
            start: req.start,
            end: req.end,
            status: "Scheduled".into(),
            ..QueryInfo::default()
        };
        let fail = |mut info: QueryInfo, status: &str, why: String| {
            info.status = status.into();
            info.error = Some(crate::model::log::sanitize_with_limit(why.as_bytes(), 300));
            QueryOutcome {
                info,
                rows: Vec::new(),
            }
        };
        if req.log_groups.is_empty() {
            return fail(info, "Failed", "no log groups to query".into());
        }
        progress(&info);
        let Ok(_slot) = self.slots.acquire().await else {
            return fail(info, "Failed", "the query queue is closed".into());
        };
        // StartQuery, retrying while the account's concurrent queries are all in use.
        let mut wait = self.opts.poll_every;
        let mut attempt = 0;
        let id = loop {
            let sent = clients
                .logs
                .start_query()
                .set_log_group_names(Some(req.log_groups.clone()))
                .start_time(req.start)
                .end_time(req.end)
                .query_string(&req.query)
                .send()
                .await;
            match sent {
                Ok(out) => match out.query_id() {
                    Some(id) if !id.is_empty() => break id.to_string(),
                    _ => return fail(info, "Failed", "StartQuery returned no query id".into()),
                },
                Err(e) => {
                    let limit = matches!(
                        e.as_service_error(),
                        Some(StartQueryError::LimitExceededException(_))
                    );
                    if limit && attempt < self.opts.start_retries {
                        attempt += 1;
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                        continue;
                    }
                    return fail(
                        info,
                        "Failed",
                        history::brief(SCOPE_INSIGHTS, "logs:StartQuery", &e),
                    );
                }
            }
        };
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let _running = Running(self.running.clone());
        let mut stop = StopOnDrop {
            client: clients.logs.clone(),
            id: Some(id.clone()),
        };
        let started = tokio::time::Instant::now();
        let mut errors = 0u32;
        loop {
            tokio::time::sleep(self.opts.poll_every).await;
            if started.elapsed() > self.opts.timeout {
                // Stop it now (not on drop), and say so.
                stop.id = None;
                let stopped = clients.logs.stop_query().query_id(&id).send().await;
                let how = match stopped {
                    Ok(_) => "stopped (StopQuery)".to_string(),
                    Err(e) => format!(
                        "StopQuery failed too: {}",
                        history::brief(SCOPE_INSIGHTS, "logs:StopQuery", &e)
                    ),
                };
                let secs = self.opts.timeout.as_secs_f64();
                let out = fail(
                    info,
                    "Timeout",
                    format!("no result within {secs:.0} s: {how}"),
                );
                progress(&out.info);
                return out;
            }
            let got = clients.logs.get_query_results().query_id(&id).send().await;
            let out = match got {
                Ok(out) => {
                    errors = 0;
                    out
                }
                Err(e) => {
                    errors += 1;
                    if errors >= 3 {
                        // The drop guard stops it.
                        let why = history::brief(SCOPE_INSIGHTS, "logs:GetQueryResults", &e);
                        let out = fail(info, "Failed", why);
                        progress(&out.info);
                        return out;
                    }
                    continue;
                }
            };
            info.status = status_word(out.status());
            if let Some(s) = out.statistics() {
                let ok = |v: f64| if v.is_finite() && v >= 0.0 { v } else { 0.0 };
                info.records_matched = ok(s.records_matched());
                info.records_scanned = ok(s.records_scanned());
                info.bytes_scanned = ok(s.bytes_scanned());
            }
            progress(&info);
            if !is_terminal(&info.status) {
                continue;
            }
            stop.id = None;
            if info.status != "Complete" {
                let status = info.status.clone();
                let why = format!("the query ended {status}");
                return fail(info, &status, why);
            }
            let mut rows = Vec::with_capacity(out.results().len());
            for fields in out.results() {
                info.rows += 1;
                match row(fields) {
                    Some(r) if r.ts >= req.start && r.ts < req.end => rows.push(r),
                    Some(r) if r.ts == i64::MIN => rows.push(Row { ts: req.start, ..r }),
                    _ => info.rows_skipped += 1,
                }
            }
            info.limit_reached = out.results().len() as i64 >= limit_of(&req.query);
            return QueryOutcome { info, rows };
        }
    }
}

/// The `limit N` of a query (the default limit when it has none).
fn limit_of(query: &str) -> i64 {
    query
        .lines()
        .filter_map(|l| {
            l.trim()
                .trim_start_matches('|')
                .trim()
                .strip_prefix("limit ")
        })
        .find_map(|n| n.trim().parse().ok())
        .unwrap_or(DEFAULT_LIMIT as i64)
}

/// One result row as a [`Row`]: `@message` is required; `@timestamp` may be epoch
/// milliseconds (moto) or `YYYY-MM-DD HH:MM:SS.fff` UTC (AWS), and is `i64::MIN` when absent
/// or unreadable; `@log` may be `account-id:group`.
pub fn row(fields: &[ResultField]) -> Option<Row> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|f| f.field() == Some(name))
            .and_then(|f| f.value())
    };
    let message = get("@message")?.to_string();
    let ts = get("@timestamp")
        .and_then(parse_timestamp)
        .unwrap_or(i64::MIN);
    let log = get("@log")
        .map(|l| match l.split_once(':') {
            Some((account, group)) if account.bytes().all(|b| b.is_ascii_digit()) => group,
            _ => l,
        })
        .unwrap_or("")
        .to_string();
    Some(Row { ts, log, message })
}

/// Seconds since the epoch from `1795423740000` (ms), `1795423740` (s) or
/// `2026-11-23 08:49:00.000` / `2026-11-23T08:49:00Z` (UTC).
pub fn parse_timestamp(s: &str) -> Option<Ts> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        return Some(if n > 100_000_000_000 { n / 1000 } else { n });
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, se) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + se)
}

/// Group a query's rows into patterns (error lines only).
pub fn patterns_of(rows: &[Row]) -> Patterns {
    let mut p = Patterns::new();
    for r in rows {
        p.add_raw(r.ts, &r.log, r.message.as_bytes());
    }
    p
}

/// What `opsdeck check` reads besides the clients.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub queue: QueueOptions,
    /// Result rows per query (at most 10,000).
    pub limit: Option<i32>,
}

/// The log groups the log tail reads: the functions' groups (unless `no_function_logs`),
/// only those of the functions the profile selects, and the profile's `log_groups`.
pub fn log_groups(
    result: &InventoryResult,
    inv: &Inventory,
    settings: &AwsSettings,
) -> Vec<String> {
    let mut groups = inventory::groups_to_read(result, inv, settings, &[]);
    groups.truncate(MAX_GROUPS_PER_QUERY);
    groups
}

/// Everything the daily check reads, for the 48 hours up to the 5-minute boundary after `end`
/// (so an alarm that changed or a line logged a moment ago is inside today's window; the
/// newest period is partial, which moves a 24-hour total by a fraction of a percent).
/// `progress` sees every query's status as it changes. Failures of a part are in the input
/// (`metrics_error`, `alarms.error`, `logs.error`, a query's `error`); nothing panics and
/// nothing is retried beyond the SDK's retries and the queue's.
pub async fn daily_check(
    clients: &Clients,
    settings: &AwsSettings,
    end: Ts,
    opts: &CheckOptions,
    progress: &(dyn Fn(&QueryInfo) + Sync),
) -> CheckInput {
    let end = align(end, PERIOD) + PERIOD;
    let start = end - 2 * WINDOW;
    let result = inventory::fetch(clients).await;
    let mut inv = result.inventory();
    inventory::apply_settings(&mut inv, settings);
    let region = clients
        .logs
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();

    let metrics = async {
        let (plan, discovery) = match cloudwatch::discover(clients).await {
            Ok(mut found) => {
                found
                    .apis
                    .retain(|a| crate::config::name_selected(&settings.apis, a));
                let plan = cloudwatch::plan_for(&found.select(&inv), &found.apis, settings);
                (plan, None)
            }
            Err(f) => (cloudwatch::plan_for(&inv, &[], settings), Some(f)),
        };
        let plan = cloudwatch::subplan(
            &plan,
            &[keys::REQUESTS, keys::ERROR_RATE, keys::P95],
            PERIOD,
        );
        if plan.queries.is_empty() {
            // Nothing to read: because nothing could be listed, or because nothing reports.
            return match discovery {
                Some(f) => Err(history::short(&f)),
                None => Ok((Vec::new(), cloudwatch::FetchStats::default())),
            };
        }
        cloudwatch::fetch_window(clients, &plan, start, end)
            .await
            .map_err(|f| history::short(&f))
    };
    let alarms = history::alarm_input(clients, start, end, &settings.alarm_prefixes);
    // Only groups that exist: StartQuery fails as a whole on a missing one (a function that
    // never logged has none). When they cannot be listed, all are tried.
    let mut groups = log_groups(&result, &inv, settings);
    if let Ok(found) = super::livetail::log_group_arns(clients, &groups).await {
        groups.retain(|g| found.iter().any(|(name, _)| name == g));
    }
    let no_groups = match &result.lambda {
        Err(f) if settings.log_groups.is_empty() => history::short(f),
        _ => "no log groups to read (no Lambda function, no log_groups in the profile)".into(),
    };
    let logs = async {
        if groups.is_empty() {
            return LogInput {
                error: Some(no_groups),
                ..LogInput::default()
            };
        }
        let queue = QueryQueue::new(opts.queue.clone());
        let query = query_text(opts.limit.unwrap_or(DEFAULT_LIMIT));
        let req = |label: &str, from: Ts, to: Ts| QueryRequest {
            label: label.into(),
            log_groups: groups.clone(),
            start: from,
            end: to,
            query: query.clone(),
        };
        let (today, yesterday) = (
            req("today", end - WINDOW, end),
            req("yesterday", start, end - WINDOW),
        );
        let (t, y) = tokio::join!(
            queue.run(clients, &today, progress),
            queue.run(clients, &yesterday, progress)
        );
        let error = [&t, &y].iter().find_map(|o| {
            o.info
                .error
                .clone()
                .map(|e| format!("{}: {e}", o.info.label))
        });
        LogInput {
            today: patterns_of(&t.rows),
            yesterday: patterns_of(&y.rows),
            queries: vec![t.info, y.info],
            error,
        }
    };
    let (metrics, alarms, logs) = tokio::join!(metrics, alarms, logs);
    let (requests, error_rate, latency, metrics_error, cost) = match metrics {
        Ok((updates, stats)) => (
            cloudwatch::points_of(&updates, keys::REQUESTS),
            cloudwatch::points_of(&updates, keys::ERROR_RATE),
            cloudwatch::points_of(&updates, keys::P95),
            None,
            stats.cost_usd(),
        ),
        Err(why) => (Vec::new(), Vec::new(), Vec::new(), Some(why), 0.0),
    };
    CheckInput {
        end,
        requests,
        error_rate,
        latency,
        metrics_error,
        alarms,
        logs,
        source: if region.is_empty() {
            "aws".into()
        } else {
            format!("aws {region}")
        },
        metrics_cost_usd: cost,
        api_calls: clients.calls.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1795423740000"), Some(1_795_423_740));
        assert_eq!(parse_timestamp("1795423740"), Some(1_795_423_740));
        assert_eq!(
            parse_timestamp("2026-11-23 08:49:00.000"),
            Some(1_795_423_740)
        );
        assert_eq!(parse_timestamp("2026-11-23T08:49:00Z"), Some(1_795_423_740));
        assert_eq!(parse_timestamp("2000-02-29 00:00:00"), Some(951_782_400));
        for bad in [
            "",
            "yesterday",
            "2026-13-01 00:00:00",
            "2026-11-23",
            "2026-11-23 25:00:00",
            "12a",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rows_and_limits() {
        let f = |k: &str, v: &str| ResultField::builder().field(k).value(v).build();
        let r = row(&[
            f("@timestamp", "2026-11-23 08:49:00.000"),
            f("@log", "123456789012:/aws/lambda/api"),
            f("@message", "ERROR boom"),
        ])
        .unwrap();
        assert_eq!(
            (r.ts, r.log.as_str(), r.message.as_str()),
            (1_795_423_740, "/aws/lambda/api", "ERROR boom")
        );
        assert!(row(&[f("@timestamp", "1")]).is_none(), "no message");
        assert_eq!(row(&[f("@message", "x")]).unwrap().ts, i64::MIN);
        assert_eq!(limit_of(&query_text(500)), 500);
        assert_eq!(limit_of(&query_text(1_000_000)), 10_000);
        assert_eq!(limit_of("fields @message"), 10_000);
    }
}
