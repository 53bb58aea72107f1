//! CloudWatch metrics for all six metric panes, fetched with ONE `GetMetricData` call per
//! refresh (more only past 500 queries, or when a response is paginated).
//!
//! Three steps:
//! 1. [`plan`] turns the inventory (and the API Gateway APIs found by [`discover_apis`]) into a
//!    [`Plan`]: the [`Query`]s to send and the [`Output`]s (series keys and the [`Formula`] that
//!    computes each from query results). Derived values (error rates, units per second, sums over
//!    functions) are computed here in opsdeck, never with metric math.
//! 2. [`MetricsFetcher::fetch`] sends the plan for the window since the previous fetch, re-reading
//!    the newest [`REREAD_PERIODS`] periods (they are often partial), and follows `NextToken`.
//! 3. [`Plan::evaluate`] converts the results into [`Update::Points`].
//!
//! Choices (documented here because the panes depend on them):
//! - API Gateway: requests, 4xx, 5xx are summed over every API; error percentages are of that
//!   sum. Percentiles cannot be summed, so latency is that of the busiest API (highest Count) in
//!   each minute.
//! - Without API Gateway: requests are Lambda Invocations summed over functions, the error rate
//!   is Errors / Invocations, and latency is the Duration of the busiest function in each minute.
//! - Aurora: connections per instance use `Maximum` (peaks are what hit max_connections); read /
//!   write latency is the mean over the writer instances (all instances if none is a writer),
//!   converted from seconds to ms.
//! - DynamoDB: consumed capacity is the `Sum` over the period divided by the period (units per
//!   second), table level only (GSIs are not included); throttles are Read + Write
//!   ThrottleEvents.
//! - Cost: CloudWatch bills every metric requested in every call ($0.01 per 1,000), so
//!   [`FetchStats::metrics_requested`] counts the queries of each call, pages included.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat, RecentlyActive, ScanBy,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::DateTime;

use super::clients::Clients;
pub use super::inventory::{FailureKind, SourceFailure};
use crate::config::{name_selected, AwsSettings};
use crate::model::metrics::{keys, DbRole, Inventory, SeriesKey};
use crate::model::time::{align, Ts, HOUR, MINUTE};
use crate::model::Update;

/// The period of every query: 1-minute metrics.
pub const PERIOD: Ts = MINUTE;
/// GetMetricData accepts at most this many queries per call.
pub const MAX_QUERIES_PER_CALL: usize = 500;
/// How far back the first fetch reads (and the most any fetch catches up).
pub const DEFAULT_BACKFILL: Ts = 3 * HOUR;
/// The newest periods are provisional in CloudWatch: every fetch re-reads this many.
pub const REREAD_PERIODS: Ts = 2;
/// $0.01 per 1,000 metrics requested.
pub const USD_PER_METRIC_REQUESTED: f64 = 0.01 / 1000.0;
/// The scope of failures (and of `Update::SourceError`s) of this module.
pub const SCOPE: &str = "aws/metrics";
/// A paginated response that never ends is an error after this many pages.
const MAX_PAGES: usize = 200;

/// An SDK error as a [`SourceFailure`]; AccessDenied names the IAM `action` that is needed.
fn failure<E, R>(err: SdkError<E, R>, action: &str) -> SourceFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    SourceFailure::from_sdk(SCOPE, action, &err)
}

/// A CloudWatch metric: namespace, name and dimensions (name, value).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricId {
    pub namespace: String,
    pub name: String,
    pub dimensions: Vec<(String, String)>,
}

impl MetricId {
    pub fn new(namespace: &str, name: &str, dimensions: &[(&str, &str)]) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            dimensions: dimensions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

/// The statistics opsdeck asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stat {
    Sum,
    Average,
    Maximum,
    Minimum,
    SampleCount,
    /// A percentile in hundredths of a percent: `Percentile(9990)` is `p99.9`.
    Percentile(u16),
}

impl Stat {
    pub const P50: Stat = Stat::Percentile(5000);
    pub const P95: Stat = Stat::Percentile(9500);
    pub const P99: Stat = Stat::Percentile(9900);

    /// The `Stat` string GetMetricData takes (`Sum`, `p95`, `p99.9`).
    pub fn as_str(self) -> std::borrow::Cow<'static, str> {
        match self {
            Stat::Sum => "Sum".into(),
            Stat::Average => "Average".into(),
            Stat::Maximum => "Maximum".into(),
            Stat::Minimum => "Minimum".into(),
            Stat::SampleCount => "SampleCount".into(),
            Stat::Percentile(h) => {
                let (int, frac) = (h / 100, h % 100);
                match frac {
                    0 => format!("p{int}").into(),
                    f if f % 10 == 0 => format!("p{int}.{}", f / 10).into(),
                    f => format!("p{int}.{f:02}").into(),
                }
            }
        }
    }

    /// Parse a statistic as a profile writes it (see `config::CustomMetric::stat`): `Sum`,
    /// `Average`, `Maximum`, `Minimum`, `SampleCount` (any case) or `pNN` / `pNN.N` /
    /// `pNN.NN` above 0 and at most 100.
    pub fn parse(s: &str) -> Option<Stat> {
        for stat in [
            Stat::Sum,
            Stat::Average,
            Stat::Maximum,
            Stat::Minimum,
            Stat::SampleCount,
        ] {
            if s.eq_ignore_ascii_case(&stat.as_str()) {
                return Some(stat);
            }
        }
        let n = s.strip_prefix(['p', 'P'])?;
        let (int, frac) = match n.split_once('.') {
            Some((i, f)) if !f.is_empty() => (i, f),
            Some(_) => return None,
            None => (n, ""),
        };
        let digits = |d: &str| d.chars().all(|c| c.is_ascii_digit());
        if int.is_empty() || int.len() > 3 || frac.len() > 2 || !digits(int) || !digits(frac) {
            return None;
        }
        let int: u32 = int.parse().ok()?;
        let frac: u32 = format!("{frac:0<2}").parse().ok()?;
        let hundredths = int * 100 + frac;
        (1..=10_000)
            .contains(&hundredths)
            .then_some(Stat::Percentile(hundredths as u16))
    }
}

/// One `MetricDataQuery`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Unique within the plan, matches `[a-z][a-zA-Z0-9_]*` (e.g. `q3_errors`).
    pub id: String,
    pub metric: MetricId,
    /// Seconds; always [`PERIOD`].
    pub period: Ts,
    pub stat: Stat,
}

impl Query {
    /// A readable label (`AWS/Lambda Errors FunctionName=x Sum`).
    pub fn label(&self) -> String {
        let dims: Vec<String> = self
            .metric
            .dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "{} {} {} {}",
            self.metric.namespace,
            self.metric.name,
            dims.join(","),
            self.stat.as_str()
        )
    }

    fn to_sdk(&self) -> MetricDataQuery {
        let mut metric = Metric::builder()
            .namespace(&self.metric.namespace)
            .metric_name(&self.metric.name);
        for (name, value) in &self.metric.dimensions {
            metric = metric.dimensions(Dimension::builder().name(name).value(value).build());
        }
        MetricDataQuery::builder()
            .id(&self.id)
            .label(self.label())
            .metric_stat(
                MetricStat::builder()
                    .metric(metric.build())
                    .period(self.period as i32)
                    .stat(self.stat.as_str())
                    .build(),
            )
            .return_data(true)
            .build()
    }
}

/// How a series is computed from query results, per timestamp.
#[derive(Debug, Clone, PartialEq)]
pub enum Formula {
    /// One query's value times `factor` (seconds to ms: 1000; Sum to per second: 1/60).
    Scaled { id: String, factor: f64 },
    /// The sum over queries times `factor`. A missing input counts as 0 (CloudWatch sends no
    /// point for an idle resource); at least one input must have a value.
    Sum { ids: Vec<String>, factor: f64 },
    /// `100 * sum(numerator) / sum(denominator)`, where both sums have at least one input
    /// with a value and the denominator is positive (0 % when both are 0).
    Percent {
        numerator: Vec<String>,
        denominator: Vec<String>,
    },
    /// The mean over queries times `factor`, where every input has a value.
    Mean { ids: Vec<String>, factor: f64 },
    /// `values[i] * factor` for the `i` whose `weights[i]` is largest at that timestamp (the
    /// busiest function's or API's latency). `weights` and `values` are parallel.
    Busiest {
        weights: Vec<String>,
        values: Vec<String>,
        factor: f64,
    },
}

impl Formula {
    /// The query ids the formula reads.
    pub fn inputs(&self) -> Vec<&str> {
        match self {
            Formula::Scaled { id, .. } => vec![id.as_str()],
            Formula::Sum { ids, .. } | Formula::Mean { ids, .. } => {
                ids.iter().map(String::as_str).collect()
            }
            Formula::Percent {
                numerator,
                denominator,
            } => numerator
                .iter()
                .chain(denominator)
                .map(String::as_str)
                .collect(),
            Formula::Busiest {
                weights, values, ..
            } => weights.iter().chain(values).map(String::as_str).collect(),
        }
    }
}

/// A series the plan produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub key: SeriesKey,
    pub formula: Formula,
}

/// Query results: query id -> (timestamp -> value).
pub type Results = BTreeMap<String, BTreeMap<Ts, f64>>;

/// What to ask CloudWatch and how to turn the answers into series.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub queries: Vec<Query>,
    pub outputs: Vec<Output>,
}

impl Plan {
    /// The queries of each call: at most [`MAX_QUERIES_PER_CALL`] each.
    pub fn batches(&self) -> impl Iterator<Item = &[Query]> {
        self.queries.chunks(MAX_QUERIES_PER_CALL)
    }

    /// Calls per fetch (without pagination): 1 up to 500 queries.
    pub fn calls_per_fetch(&self) -> usize {
        self.queries.len().div_ceil(MAX_QUERIES_PER_CALL)
    }

    /// Every output with at least one point, as `Update::Points` (points sorted by time).
    pub fn evaluate(&self, results: &Results) -> Vec<Update> {
        self.outputs
            .iter()
            .filter_map(|o| {
                let points = evaluate(&o.formula, results);
                (!points.is_empty()).then(|| Update::Points {
                    key: o.key.clone(),
                    points,
                })
            })
            .collect()
    }
}

fn timestamps<'a>(ids: impl IntoIterator<Item = &'a String>, results: &Results) -> BTreeSet<Ts> {
    ids.into_iter()
        .filter_map(|id| results.get(id))
        .flat_map(|s| s.keys().copied())
        .collect()
}

fn value(results: &Results, id: &str, ts: Ts) -> Option<f64> {
    results.get(id).and_then(|s| s.get(&ts)).copied()
}

/// Sum over `ids` at `ts`, missing = 0; None when no input has a value.
fn sum_at(results: &Results, ids: &[String], ts: Ts) -> Option<f64> {
    let mut any = false;
    let mut total = 0.0;
    for id in ids {
        if let Some(v) = value(results, id, ts) {
            any = true;
            total += v;
        }
    }
    any.then_some(total)
}

fn evaluate(formula: &Formula, results: &Results) -> Vec<(Ts, f64)> {
    match formula {
        Formula::Scaled { id, factor } => results
            .get(id)
            .map(|s| s.iter().map(|(t, v)| (*t, v * factor)).collect())
            .unwrap_or_default(),
        Formula::Sum { ids, factor } => timestamps(ids, results)
            .into_iter()
            .filter_map(|t| sum_at(results, ids, t).map(|v| (t, v * factor)))
            .collect(),
        Formula::Percent {
            numerator,
            denominator,
        } => timestamps(denominator, results)
            .into_iter()
            .filter_map(|t| {
                let num = sum_at(results, numerator, t)?;
                let den = sum_at(results, denominator, t)?;
                if den > 0.0 {
                    Some((t, 100.0 * num / den))
                } else if num == 0.0 {
                    Some((t, 0.0))
                } else {
                    None
                }
            })
            .collect(),
        Formula::Mean { ids, factor } => {
            if ids.is_empty() {
                return Vec::new();
            }
            timestamps(ids, results)
                .into_iter()
                .filter_map(|t| {
                    let vals: Option<Vec<f64>> =
                        ids.iter().map(|id| value(results, id, t)).collect();
                    let vals = vals?;
                    Some((t, vals.iter().sum::<f64>() / vals.len() as f64 * factor))
                })
                .collect()
        }
        Formula::Busiest {
            weights,
            values,
            factor,
        } => timestamps(values, results)
            .into_iter()
            .filter_map(|t| {
                let mut best: Option<(f64, f64)> = None;
                for (w, v) in weights.iter().zip(values) {
                    if let (Some(w), Some(v)) = (value(results, w, t), value(results, v, t)) {
                        if best.is_none_or(|(bw, _)| w > bw) {
                            best = Some((w, v));
                        }
                    }
                }
                best.map(|(_, v)| (t, v * factor))
            })
            .collect(),
    }
}

#[derive(Default)]
struct Builder {
    plan: Plan,
}

impl Builder {
    /// Adds a query; returns its id (`q<n>_<metric>`, lowercase).
    fn query(&mut self, namespace: &str, name: &str, dims: &[(&str, &str)], stat: Stat) -> String {
        let n = self.plan.queries.len();
        let suffix: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .take(40)
            .collect();
        let id = format!("q{n}_{suffix}");
        self.plan.queries.push(Query {
            id: id.clone(),
            metric: MetricId::new(namespace, name, dims),
            period: PERIOD,
            stat,
        });
        id
    }

    fn output(&mut self, key: impl Into<SeriesKey>, formula: Formula) {
        self.plan.outputs.push(Output {
            key: key.into(),
            formula,
        });
    }
}

const PERCENTILES: [(Stat, &str); 3] = [
    (Stat::P50, keys::P50),
    (Stat::P95, keys::P95),
    (Stat::P99, keys::P99),
];

/// The front door's series, from API Gateway or from Lambda alike: requests (the sum of
/// `requests`), then any per-class error rates, the error rate (`errors` over `requests`),
/// and p50/p95/p99 of the busiest API or function (`latency`, parallel to `requests`).
fn front_door(
    b: &mut Builder,
    requests: &[String],
    by_class: Vec<(&'static str, Formula)>,
    errors: Vec<String>,
    latency: &[Vec<String>; 3],
) {
    b.output(
        keys::REQUESTS,
        Formula::Sum {
            ids: requests.to_vec(),
            factor: 1.0,
        },
    );
    for (key, formula) in by_class {
        b.output(key, formula);
    }
    b.output(
        keys::ERROR_RATE,
        Formula::Percent {
            numerator: errors,
            denominator: requests.to_vec(),
        },
    );
    for (i, (_, key)) in PERCENTILES.iter().enumerate() {
        b.output(
            *key,
            Formula::Busiest {
                weights: requests.to_vec(),
                values: latency[i].clone(),
                factor: 1.0,
            },
        );
    }
}

/// The queries and series for an inventory. `apis` are API Gateway API names (see
/// [`discover_apis`]); when empty, requests / errors / latency come from Lambda.
pub fn plan(inv: &Inventory, apis: &[String]) -> Plan {
    let mut b = Builder::default();

    // Lambda, per function.
    let (mut invocations, mut errors) = (Vec::new(), Vec::new());
    for f in &inv.functions {
        let dims = [("FunctionName", f.name.as_str())];
        invocations.push(b.query("AWS/Lambda", "Invocations", &dims, Stat::Sum));
        errors.push(b.query("AWS/Lambda", "Errors", &dims, Stat::Sum));
        let throttles = b.query("AWS/Lambda", "Throttles", &dims, Stat::Sum);
        b.output(
            keys::lambda_throttles(&f.name),
            Formula::Scaled {
                id: throttles,
                factor: 1.0,
            },
        );
        let concurrency = b.query("AWS/Lambda", "ConcurrentExecutions", &dims, Stat::Maximum);
        b.output(
            keys::lambda_concurrency(&f.name),
            Formula::Scaled {
                id: concurrency,
                factor: 1.0,
            },
        );
    }
    if !inv.functions.is_empty() {
        b.output(
            keys::LAMBDA_ERRORS,
            Formula::Sum {
                ids: errors.clone(),
                factor: 1.0,
            },
        );
        b.output(
            keys::LAMBDA_ERROR_RATE,
            Formula::Percent {
                numerator: errors.clone(),
                denominator: invocations.clone(),
            },
        );
    }

    // Requests, errors, latency: API Gateway when there is one, else Lambda.
    if !apis.is_empty() {
        let (mut counts, mut e4, mut e5) = (Vec::new(), Vec::new(), Vec::new());
        let mut latency: [Vec<String>; 3] = Default::default();
        for api in apis {
            let dims = [("ApiName", api.as_str())];
            counts.push(b.query("AWS/ApiGateway", "Count", &dims, Stat::Sum));
            e4.push(b.query("AWS/ApiGateway", "4XXError", &dims, Stat::Sum));
            e5.push(b.query("AWS/ApiGateway", "5XXError", &dims, Stat::Sum));
            for (i, (stat, _)) in PERCENTILES.iter().enumerate() {
                latency[i].push(b.query("AWS/ApiGateway", "Latency", &dims, *stat));
            }
        }
        let by_class = vec![
            (
                keys::ERROR_4XX,
                Formula::Percent {
                    numerator: e4.clone(),
                    denominator: counts.clone(),
                },
            ),
            (
                keys::ERROR_5XX,
                Formula::Percent {
                    numerator: e5.clone(),
                    denominator: counts.clone(),
                },
            ),
        ];
        let errors: Vec<String> = e4.into_iter().chain(e5).collect();
        front_door(&mut b, &counts, by_class, errors, &latency);
    } else if !inv.functions.is_empty() {
        let mut duration: [Vec<String>; 3] = Default::default();
        for f in &inv.functions {
            let dims = [("FunctionName", f.name.as_str())];
            for (i, (stat, _)) in PERCENTILES.iter().enumerate() {
                duration[i].push(b.query("AWS/Lambda", "Duration", &dims, *stat));
            }
        }
        front_door(&mut b, &invocations, Vec::new(), errors, &duration);
    }

    // Aurora: connections per instance; latency of the writers (all instances if none).
    let has_writer = inv.db_instances.iter().any(|i| i.role == DbRole::Writer);
    let (mut reads, mut writes) = (Vec::new(), Vec::new());
    for inst in &inv.db_instances {
        let dims = [("DBInstanceIdentifier", inst.id.as_str())];
        let conn = b.query("AWS/RDS", "DatabaseConnections", &dims, Stat::Maximum);
        b.output(
            keys::aurora_connections(&inst.id),
            Formula::Scaled {
                id: conn,
                factor: 1.0,
            },
        );
        if !has_writer || inst.role == DbRole::Writer {
            reads.push(b.query("AWS/RDS", "ReadLatency", &dims, Stat::Average));
            writes.push(b.query("AWS/RDS", "WriteLatency", &dims, Stat::Average));
        }
    }
    if !reads.is_empty() {
        b.output(
            keys::DB_READ_LATENCY,
            Formula::Mean {
                ids: reads,
                factor: 1000.0,
            },
        );
        b.output(
            keys::DB_WRITE_LATENCY,
            Formula::Mean {
                ids: writes,
                factor: 1000.0,
            },
        );
    }

    // DynamoDB, per table.
    let per_second = 1.0 / PERIOD as f64;
    for t in &inv.tables {
        let dims = [("TableName", t.name.as_str())];
        let read = b.query(
            "AWS/DynamoDB",
            "ConsumedReadCapacityUnits",
            &dims,
            Stat::Sum,
        );
        b.output(
            keys::dynamo_read(&t.name),
            Formula::Scaled {
                id: read,
                factor: per_second,
            },
        );
        let write = b.query(
            "AWS/DynamoDB",
            "ConsumedWriteCapacityUnits",
            &dims,
            Stat::Sum,
        );
        b.output(
            keys::dynamo_write(&t.name),
            Formula::Scaled {
                id: write,
                factor: per_second,
            },
        );
        let rt = b.query("AWS/DynamoDB", "ReadThrottleEvents", &dims, Stat::Sum);
        let wt = b.query("AWS/DynamoDB", "WriteThrottleEvents", &dims, Stat::Sum);
        b.output(
            keys::dynamo_throttles(&t.name),
            Formula::Sum {
                ids: vec![rt, wt],
                factor: 1.0,
            },
        );
    }

    b.plan
}

/// The plan for a service profile: the discovered plan ([`plan`]) for `inv` and the `apis`
/// that `aws.apis` selects, plus every `[[metric]]` of the profile (`aws.metrics`).
///
/// A series a `[[metric]]` feeds REPLACES what discovery computes for it: `Formula::Scaled`
/// by `scale`, or with `percent_of` `Formula::Percent` of this metric over the named series'
/// metric. A `[[metric]]` identical to a discovered query (metric and stat) shares its query.
/// Discovered queries that no output uses any more are dropped: CloudWatch bills every query.
/// Filters on functions, clusters and tables are applied to the inventory beforehand (see
/// `inventory::apply_settings`). With default settings this is exactly [`plan`].
pub fn plan_for(inv: &Inventory, apis: &[String], aws: &AwsSettings) -> Plan {
    let apis: Vec<String> = apis
        .iter()
        .filter(|a| name_selected(&aws.apis, a))
        .cloned()
        .collect();
    let mut b = Builder {
        plan: plan(inv, &apis),
    };
    if aws.metrics.is_empty() {
        return b.plan;
    }
    // One query per [[metric]]: series -> query id.
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    for m in &aws.metrics {
        // The profile parser only lets valid statistics through.
        let Some(stat) = Stat::parse(&m.stat) else {
            continue;
        };
        let metric = MetricId {
            namespace: m.namespace.clone(),
            name: m.name.clone(),
            dimensions: m.dimensions.clone(),
        };
        let existing = b
            .plan
            .queries
            .iter()
            .find(|q| q.metric == metric && q.stat == stat)
            .map(|q| q.id.clone());
        let id = existing.unwrap_or_else(|| {
            let dims: Vec<(&str, &str)> = m
                .dimensions
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            b.query(&m.namespace, &m.name, &dims, stat)
        });
        ids.insert(m.series.as_str(), id);
    }
    for m in &aws.metrics {
        let Some(id) = ids.get(m.series.as_str()) else {
            continue;
        };
        let formula = match m.percent_of.as_deref().and_then(|of| ids.get(of)) {
            Some(denominator) => Formula::Percent {
                numerator: vec![id.clone()],
                denominator: vec![denominator.clone()],
            },
            None => Formula::Scaled {
                id: id.clone(),
                factor: m.scale,
            },
        };
        match b.plan.outputs.iter_mut().find(|o| o.key == m.series) {
            Some(o) => o.formula = formula,
            None => b.output(m.series.clone(), formula),
        }
    }
    let used: BTreeSet<&str> = b
        .plan
        .outputs
        .iter()
        .flat_map(|o| o.formula.inputs())
        .collect();
    b.plan.queries.retain(|q| used.contains(q.id.as_str()));
    b.plan
}

/// The values of `dimension` over the metrics `namespace`/`metric` that reported in the last
/// 3 hours (ListMetrics with `RecentlyActive=PT3H`, all pages).
async fn reporting_values(
    clients: &Clients,
    namespace: &str,
    metric: &str,
    dimension: &str,
) -> Result<BTreeSet<String>, SourceFailure> {
    let mut names = BTreeSet::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let out = clients
            .cloudwatch
            .list_metrics()
            .namespace(namespace)
            .metric_name(metric)
            .recently_active(RecentlyActive::Pt3H)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| failure(e, "cloudwatch:ListMetrics"))?;
        for m in out.metrics() {
            for d in m.dimensions() {
                if let (Some(name), Some(v)) = (d.name(), d.value()) {
                    if name == dimension {
                        names.insert(v.to_string());
                    }
                }
            }
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(names),
        }
    }
    Err(SourceFailure::new(
        SCOPE,
        FailureKind::Other,
        format!("cloudwatch:ListMetrics returned more than {MAX_PAGES} pages"),
    ))
}

/// API Gateway API names that reported `Count` in the last 3 hours, sorted.
pub async fn discover_apis(clients: &Clients) -> Result<Vec<String>, SourceFailure> {
    Ok(
        reporting_values(clients, "AWS/ApiGateway", "Count", "ApiName")
            .await?
            .into_iter()
            .collect(),
    )
}

/// Which resources reported metrics in the last 3 hours (CloudWatch ListMetrics, one listing
/// per namespace): the plan queries only those, so an account with hundreds of idle functions
/// or tables does not pay for metrics that have no data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reporting {
    pub apis: Vec<String>,
    pub functions: BTreeSet<String>,
    pub db_instances: BTreeSet<String>,
    pub tables: BTreeSet<String>,
}

impl Reporting {
    /// The inventory's resources that reported; the others stay in the panes without data.
    pub fn select(&self, inv: &Inventory) -> Inventory {
        let mut out = inv.clone();
        out.functions.retain(|f| self.functions.contains(&f.name));
        out.db_instances
            .retain(|i| self.db_instances.contains(&i.id));
        out.tables.retain(|t| self.tables.contains(&t.name));
        out
    }
}

/// List what reports: API Gateway `Count` by ApiName, Lambda `Invocations` by FunctionName,
/// RDS `DatabaseConnections` by DBInstanceIdentifier, DynamoDB `ConsumedReadCapacityUnits`
/// by TableName (four listings, each paginated).
pub async fn discover(clients: &Clients) -> Result<Reporting, SourceFailure> {
    let (apis, functions, db_instances, tables) = tokio::try_join!(
        reporting_values(clients, "AWS/ApiGateway", "Count", "ApiName"),
        reporting_values(clients, "AWS/Lambda", "Invocations", "FunctionName"),
        reporting_values(
            clients,
            "AWS/RDS",
            "DatabaseConnections",
            "DBInstanceIdentifier"
        ),
        reporting_values(
            clients,
            "AWS/DynamoDB",
            "ConsumedReadCapacityUnits",
            "TableName"
        ),
    )?;
    Ok(Reporting {
        apis: apis.into_iter().collect(),
        functions,
        db_instances,
        tables,
    })
}

/// What fetches cost: calls sent, metrics requested (billed), datapoints received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// GetMetricData calls (pages included).
    pub calls: u64,
    /// Queries summed over calls: what CloudWatch bills.
    pub metrics_requested: u64,
    pub datapoints: u64,
}

impl FetchStats {
    /// Estimated cost in USD at $0.01 per 1,000 metrics requested.
    pub fn cost_usd(&self) -> f64 {
        self.metrics_requested as f64 * USD_PER_METRIC_REQUESTED
    }
}

impl std::ops::AddAssign for FetchStats {
    fn add_assign(&mut self, other: FetchStats) {
        self.calls += other.calls;
        self.metrics_requested += other.metrics_requested;
        self.datapoints += other.datapoints;
    }
}

/// Fetches a plan incrementally.
#[derive(Debug, Clone)]
pub struct MetricsFetcher {
    pub plan: Plan,
    /// The (exclusive) end of the last successful fetch.
    pub last_end: Option<Ts>,
    /// How far back the first fetch reads, and the most a later one catches up (seconds).
    pub backfill: Ts,
    /// Totals of this session.
    pub totals: FetchStats,
}

impl MetricsFetcher {
    pub fn new(plan: Plan) -> Self {
        Self {
            plan,
            last_end: None,
            backfill: DEFAULT_BACKFILL,
            totals: FetchStats::default(),
        }
    }

    pub fn with_backfill(mut self, seconds: Ts) -> Self {
        self.backfill = seconds.max(PERIOD);
        self
    }

    /// Replace the plan (after an inventory refresh). A different plan starts over with a full
    /// backfill so that new series get their history.
    pub fn set_plan(&mut self, plan: Plan) {
        if plan != self.plan {
            self.plan = plan;
            self.last_end = None;
        }
    }

    /// The window `[start, end)` a fetch at `now` reads: end = `now` aligned down to the
    /// period; start = the previous end minus [`REREAD_PERIODS`] periods, or `end - backfill`
    /// on the first fetch (and never earlier than that).
    pub fn window(&self, now: Ts) -> (Ts, Ts) {
        let end = align(now, PERIOD);
        let earliest = align(end - self.backfill, PERIOD);
        let start = match self.last_end {
            Some(last) => (align(last, PERIOD) - REREAD_PERIODS * PERIOD).max(earliest),
            None => earliest,
        };
        (start, end)
    }

    /// Fetch the window for `now` (see [`window`](Self::window)): one GetMetricData call per 500
    /// queries, plus one per extra page. On failure nothing is kept and the next fetch reads
    /// the same window again.
    pub async fn fetch(
        &mut self,
        clients: &Clients,
        now: Ts,
    ) -> Result<(Vec<Update>, FetchStats), SourceFailure> {
        self.fetch_from(&clients.cloudwatch, now).await
    }

    async fn fetch_from(
        &mut self,
        client: &aws_sdk_cloudwatch::Client,
        now: Ts,
    ) -> Result<(Vec<Update>, FetchStats), SourceFailure> {
        let (start, end) = self.window(now);
        let mut stats = FetchStats::default();
        if start >= end || self.plan.queries.is_empty() {
            return Ok((Vec::new(), stats));
        }
        let mut results = Results::new();
        for batch in self.plan.batches() {
            get_metric_data(client, batch, start, end, &mut results, &mut stats).await?;
        }
        self.last_end = Some(end);
        self.totals += stats;
        Ok((self.plan.evaluate(&results), stats))
    }
}

/// The outputs of `plan` whose keys are in `keys`, with only the queries they read, each at
/// `period` seconds (a multiple of 60). For reads of a longer window than the panes' (the
/// daily check reads 48 hours at 5 minutes). Formulas that convert per period (Sum to per
/// second) keep their factor: only use it for series that do not depend on the period's
/// length (counts, percentages, latencies).
pub fn subplan(plan: &Plan, keys: &[&str], period: Ts) -> Plan {
    let outputs: Vec<Output> = plan
        .outputs
        .iter()
        .filter(|o| keys.contains(&o.key.as_str()))
        .cloned()
        .collect();
    let used: BTreeSet<&str> = outputs.iter().flat_map(|o| o.formula.inputs()).collect();
    let queries = plan
        .queries
        .iter()
        .filter(|q| used.contains(q.id.as_str()))
        .map(|q| Query {
            period: period.max(PERIOD) / PERIOD * PERIOD,
            ..q.clone()
        })
        .collect();
    Plan { queries, outputs }
}

/// Read `plan` once over `[start, end)` (aligned down to its queries' period): one
/// GetMetricData call per 500 queries, plus one per extra page.
pub async fn fetch_window(
    clients: &Clients,
    plan: &Plan,
    start: Ts,
    end: Ts,
) -> Result<(Vec<Update>, FetchStats), SourceFailure> {
    let period = plan.queries.first().map(|q| q.period).unwrap_or(PERIOD);
    let (start, end) = (align(start, period), align(end, period));
    let mut stats = FetchStats::default();
    if start >= end || plan.queries.is_empty() {
        return Ok((Vec::new(), stats));
    }
    let mut results = Results::new();
    for batch in plan.batches() {
        get_metric_data(
            &clients.cloudwatch,
            batch,
            start,
            end,
            &mut results,
            &mut stats,
        )
        .await?;
    }
    Ok((plan.evaluate(&results), stats))
}

/// The points of one series from a plan's updates.
pub fn points_of(updates: &[Update], key: &str) -> Vec<(Ts, f64)> {
    updates
        .iter()
        .find_map(|u| match u {
            Update::Points { key: k, points } if k == key => Some(points.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// GetMetricData gets longer than other calls: a first read of 3 hours of 500 metrics is a
/// big answer, and a retry after a timeout is billed again.
pub fn metric_data_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(std::time::Duration::from_secs(30))
        .operation_timeout(std::time::Duration::from_secs(60))
        .build()
}

/// One batch (at most 500 queries), all pages.
async fn get_metric_data(
    client: &aws_sdk_cloudwatch::Client,
    batch: &[Query],
    start: Ts,
    end: Ts,
    results: &mut Results,
    stats: &mut FetchStats,
) -> Result<(), SourceFailure> {
    let queries: Vec<MetricDataQuery> = batch.iter().map(Query::to_sdk).collect();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let out = client
            .get_metric_data()
            .set_metric_data_queries(Some(queries.clone()))
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(end))
            .scan_by(ScanBy::TimestampAscending)
            .set_next_token(token.take())
            .customize()
            .config_override(
                aws_sdk_cloudwatch::config::Builder::default()
                    .timeout_config(metric_data_timeouts()),
            )
            .send()
            .await
            .map_err(|e| failure(e, "cloudwatch:GetMetricData"))?;
        stats.calls += 1;
        stats.metrics_requested += batch.len() as u64;
        for r in out.metric_data_results() {
            let Some(id) = r.id() else { continue };
            let series = results.entry(id.to_string()).or_default();
            for (t, v) in r.timestamps().iter().zip(r.values()) {
                if v.is_finite() {
                    series.insert(align(t.secs(), MINUTE), *v);
                    stats.datapoints += 1;
                }
            }
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(()),
        }
    }
    Err(SourceFailure::new(
        SCOPE,
        FailureKind::Other,
        format!("cloudwatch:GetMetricData returned more than {MAX_PAGES} pages"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CustomMetric;
    use crate::model::metrics::{Capacity, DbInstance, LambdaFunction, Table};

    fn inventory() -> Inventory {
        Inventory {
            service: "svc".into(),
            functions: ["api", "worker"]
                .iter()
                .map(|n| LambdaFunction {
                    name: n.to_string(),
                    reserved: None,
                })
                .collect(),
            account_concurrency: 1000,
            db_instances: vec![
                DbInstance {
                    id: "db-w".into(),
                    cluster: "db".into(),
                    role: DbRole::Writer,
                    class: "db.r6g.large".into(),
                    max_connections: 100,
                },
                DbInstance {
                    id: "db-r".into(),
                    cluster: "db".into(),
                    role: DbRole::Reader,
                    class: "db.r6g.large".into(),
                    max_connections: 100,
                },
            ],
            tables: vec![Table {
                name: "t".into(),
                capacity: Capacity::OnDemand,
            }],
        }
    }

    fn series(points: &[(Ts, f64)]) -> BTreeMap<Ts, f64> {
        points.iter().copied().collect()
    }

    fn id_of(plan: &Plan, name: &str, dim: &str) -> String {
        plan.queries
            .iter()
            .find(|q| q.metric.name == name && q.metric.dimensions.iter().any(|(_, v)| v == dim))
            .map(|q| q.id.clone())
            .unwrap_or_else(|| panic!("no query {name} {dim}"))
    }

    #[test]
    fn ids_are_valid_and_unique() {
        let apis = vec!["a".to_string(), "b".to_string()];
        let p = plan(&inventory(), &apis);
        let ids: BTreeSet<&str> = p.queries.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids.len(), p.queries.len());
        for id in ids {
            let mut chars = id.chars();
            assert!(chars.next().is_some_and(|c| c.is_ascii_lowercase()), "{id}");
            assert!(chars.all(|c| c.is_ascii_alphanumeric() || c == '_'), "{id}");
            assert_eq!(id, id.to_lowercase());
        }
        // 2 functions x 4 + 2 APIs x 6 + writer 3 + reader 1 + table 4
        assert_eq!(p.queries.len(), 8 + 12 + 4 + 4);
        assert!(p.queries.iter().all(|q| q.period == 60));
        assert_eq!(p.calls_per_fetch(), 1);
    }

    #[test]
    fn lambda_fallback_without_apis() {
        let p = plan(&inventory(), &[]);
        assert!(!p
            .queries
            .iter()
            .any(|q| q.metric.namespace == "AWS/ApiGateway"));
        let durations = p
            .queries
            .iter()
            .filter(|q| q.metric.name == "Duration")
            .count();
        assert_eq!(durations, 6);
        let keys: Vec<&str> = p.outputs.iter().map(|o| o.key.as_str()).collect();
        for k in [keys::REQUESTS, keys::ERROR_RATE, keys::P95] {
            assert!(keys.contains(&k), "{k}");
        }
        assert!(!keys.contains(&keys::ERROR_5XX));
    }

    #[test]
    fn big_inventories_split_into_calls_of_500() {
        let mut inv = inventory();
        inv.functions = (0..200)
            .map(|i| LambdaFunction {
                name: format!("f{i}"),
                reserved: None,
            })
            .collect();
        let p = plan(&inv, &["api".to_string()]);
        assert!(p.queries.len() > 800);
        assert_eq!(p.calls_per_fetch(), 2);
        assert!(p.batches().all(|b| b.len() <= MAX_QUERIES_PER_CALL));
    }

    #[test]
    fn derived_series() {
        let p = plan(&inventory(), &["a".to_string(), "b".to_string()]);
        let mut r = Results::new();
        r.insert(id_of(&p, "Count", "a"), series(&[(0, 900.0), (60, 1000.0)]));
        r.insert(id_of(&p, "Count", "b"), series(&[(0, 100.0)]));
        r.insert(id_of(&p, "4XXError", "a"), series(&[(0, 30.0), (60, 0.0)]));
        r.insert(id_of(&p, "5XXError", "a"), series(&[(0, 20.0)]));
        r.insert(id_of(&p, "4XXError", "b"), series(&[(0, 0.0)]));
        r.insert(id_of(&p, "5XXError", "b"), series(&[(0, 0.0)]));
        let lat_a = p
            .queries
            .iter()
            .find(|q| {
                q.metric.name == "Latency" && q.stat == Stat::P95 && q.metric.dimensions[0].1 == "a"
            })
            .unwrap()
            .id
            .clone();
        let lat_b = p
            .queries
            .iter()
            .find(|q| {
                q.metric.name == "Latency" && q.stat == Stat::P95 && q.metric.dimensions[0].1 == "b"
            })
            .unwrap()
            .id
            .clone();
        r.insert(lat_a, series(&[(0, 900.0)]));
        r.insert(lat_b, series(&[(0, 5.0)]));
        r.insert(id_of(&p, "ReadLatency", "db-w"), series(&[(0, 0.003)]));
        r.insert(
            id_of(&p, "ConsumedReadCapacityUnits", "t"),
            series(&[(0, 1800.0)]),
        );
        r.insert(id_of(&p, "ReadThrottleEvents", "t"), series(&[(0, 2.0)]));
        r.insert(id_of(&p, "WriteThrottleEvents", "t"), series(&[(0, 3.0)]));
        let u = p.evaluate(&r);
        assert_eq!(
            points_of(&u, keys::REQUESTS),
            vec![(0, 1000.0), (60, 1000.0)]
        );
        assert_eq!(points_of(&u, keys::ERROR_5XX), vec![(0, 2.0)]);
        assert_eq!(points_of(&u, keys::ERROR_4XX), vec![(0, 3.0), (60, 0.0)]);
        assert_eq!(points_of(&u, keys::ERROR_RATE), vec![(0, 5.0), (60, 0.0)]);
        assert_eq!(points_of(&u, keys::P95), vec![(0, 900.0)]);
        assert_eq!(points_of(&u, keys::DB_READ_LATENCY), vec![(0, 3.0)]);
        assert!(points_of(&u, keys::DB_WRITE_LATENCY).is_empty());
        assert_eq!(points_of(&u, &keys::dynamo_read("t")), vec![(0, 30.0)]);
        assert_eq!(points_of(&u, &keys::dynamo_throttles("t")), vec![(0, 5.0)]);
        // Outputs without points are left out.
        assert!(!u
            .iter()
            .any(|x| matches!(x, Update::Points { key, .. } if key == keys::LAMBDA_ERRORS)));
    }

    #[test]
    fn stats_parse_and_print() {
        for (text, stat) in [
            ("Sum", Stat::Sum),
            ("Average", Stat::Average),
            ("Maximum", Stat::Maximum),
            ("Minimum", Stat::Minimum),
            ("SampleCount", Stat::SampleCount),
            ("p50", Stat::P50),
            ("p95", Stat::P95),
            ("p99", Stat::P99),
            ("p99.9", Stat::Percentile(9990)),
            ("p99.99", Stat::Percentile(9999)),
            ("p0.5", Stat::Percentile(50)),
            ("p100", Stat::Percentile(10_000)),
        ] {
            assert_eq!(Stat::parse(text), Some(stat), "{text}");
            assert_eq!(stat.as_str(), text);
        }
        assert_eq!(Stat::parse("sum"), Some(Stat::Sum));
        assert_eq!(Stat::parse("P95"), Some(Stat::P95));
        assert_eq!(Stat::parse("p99.90"), Some(Stat::Percentile(9990)));
        for bad in ["", "p0", "p101", "p9.", "p99.999", "tm99", "Median"] {
            assert_eq!(Stat::parse(bad), None, "{bad}");
        }
    }

    fn custom(series: &str, namespace: &str, name: &str, stat: &str) -> CustomMetric {
        CustomMetric {
            series: series.into(),
            namespace: namespace.into(),
            name: name.into(),
            dimensions: vec![("Service".into(), "svc".into())],
            stat: stat.into(),
            scale: 1.0,
            percent_of: None,
            unit: None,
        }
    }

    fn output<'a>(p: &'a Plan, key: &str) -> &'a Formula {
        &p.outputs
            .iter()
            .find(|o| o.key == key)
            .unwrap_or_else(|| panic!("no output {key}"))
            .formula
    }

    #[test]
    fn plan_for_defaults_is_the_discovered_plan() {
        let apis = vec!["a".to_string(), "b".to_string()];
        let d = AwsSettings::default();
        assert_eq!(plan_for(&inventory(), &apis, &d), plan(&inventory(), &apis));
        assert_eq!(plan_for(&inventory(), &[], &d), plan(&inventory(), &[]));
        let none = Inventory::default();
        assert_eq!(plan_for(&none, &[], &d), Plan::default());
        // The API filter applies to discovered APIs.
        let only_a = AwsSettings {
            apis: vec!["a*".into()],
            ..Default::default()
        };
        assert_eq!(
            plan_for(&inventory(), &apis, &only_a),
            plan(&inventory(), &["a".to_string()])
        );
    }

    #[test]
    fn custom_metrics_replace_discovered_series() {
        let mut errors = custom(keys::ERROR_RATE, "ProfileAPI", "ProfileAPIErrors", "Sum");
        errors.percent_of = Some(keys::REQUESTS.into());
        let mut slow = custom(keys::P99, "ProfileAPI", "ProfileAPILatency", "p99.9");
        slow.scale = 1000.0;
        let aws = AwsSettings {
            metrics: vec![
                custom(keys::REQUESTS, "ProfileAPI", "ProfileAPIRequests", "Sum"),
                errors,
                custom(keys::P95, "ProfileAPI", "ProfileAPILatency", "p95"),
                slow,
                custom("custom/depth", "App", "QueueDepth", "Maximum"),
                // The same metric and stat as a discovered query: shared, not asked twice.
                CustomMetric {
                    dimensions: vec![("FunctionName".into(), "api".into())],
                    ..custom("custom/api-errors", "AWS/Lambda", "Errors", "Sum")
                },
            ],
            ..Default::default()
        };
        let inv = inventory();
        let discovered = plan(&inv, &[]);
        let p = plan_for(&inv, &[], &aws);
        let q = |name: &str, stat: Stat| {
            p.queries
                .iter()
                .find(|q| q.metric.name == name && q.stat == stat)
                .unwrap_or_else(|| panic!("no query {name} {}", stat.as_str()))
        };
        let requests = q("ProfileAPIRequests", Stat::Sum);
        assert_eq!(requests.metric.namespace, "ProfileAPI");
        assert_eq!(
            requests.metric.dimensions,
            [("Service".to_string(), "svc".to_string())]
        );
        assert_eq!(
            output(&p, keys::REQUESTS),
            &Formula::Scaled {
                id: requests.id.clone(),
                factor: 1.0
            }
        );
        assert_eq!(
            output(&p, keys::ERROR_RATE),
            &Formula::Percent {
                numerator: vec![q("ProfileAPIErrors", Stat::Sum).id.clone()],
                denominator: vec![requests.id.clone()],
            }
        );
        assert_eq!(
            output(&p, keys::P99),
            &Formula::Scaled {
                id: q("ProfileAPILatency", Stat::Percentile(9990)).id.clone(),
                factor: 1000.0
            }
        );
        assert_eq!(
            output(&p, "custom/depth"),
            &Formula::Scaled {
                id: q("QueueDepth", Stat::Maximum).id.clone(),
                factor: 1.0
            }
        );
        let api_errors = id_of(&discovered, "Errors", "api");
        assert_eq!(
            output(&p, "custom/api-errors"),
            &Formula::Scaled {
                id: api_errors.clone(),
                factor: 1.0
            }
        );
        assert_eq!(
            p.queries
                .iter()
                .filter(|q| q.metric.name == "Errors" && q.metric.namespace == "AWS/Lambda")
                .count(),
            2,
            "one per function, the custom one shared"
        );
        // Each key once; discovered series that no [[metric]] feeds stay as they were.
        let keys_: BTreeSet<&str> = p.outputs.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys_.len(), p.outputs.len());
        for o in &discovered.outputs {
            if !aws.metrics.iter().any(|m| m.series == o.key) {
                assert_eq!(output(&p, &o.key), &o.formula, "{}", o.key);
            }
        }
        // The Duration p95/p99 queries only fed the replaced latency series: dropped. p50 still
        // comes from discovery.
        let durations: Vec<Stat> = p
            .queries
            .iter()
            .filter(|q| q.metric.name == "Duration")
            .map(|q| q.stat)
            .collect();
        assert_eq!(durations, [Stat::P50, Stat::P50]);
        // Every query is used, ids are unique.
        let used: BTreeSet<&str> = p.outputs.iter().flat_map(|o| o.formula.inputs()).collect();
        let ids: BTreeSet<&str> = p.queries.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(used, ids);
        assert_eq!(ids.len(), p.queries.len());

        // Evaluated: the custom values, not Lambda's.
        let mut r = Results::new();
        r.insert(requests.id.clone(), series(&[(0, 400.0), (60, 0.0)]));
        r.insert(
            q("ProfileAPIErrors", Stat::Sum).id.clone(),
            series(&[(0, 2.0), (60, 0.0)]),
        );
        r.insert(
            q("ProfileAPILatency", Stat::Percentile(9990)).id.clone(),
            series(&[(0, 1.5)]),
        );
        r.insert(id_of(&p, "Invocations", "api"), series(&[(0, 999.0)]));
        let u = p.evaluate(&r);
        assert_eq!(points_of(&u, keys::REQUESTS), vec![(0, 400.0), (60, 0.0)]);
        assert_eq!(points_of(&u, keys::ERROR_RATE), vec![(0, 0.5), (60, 0.0)]);
        assert_eq!(points_of(&u, keys::P99), vec![(0, 1500.0)]);
    }

    #[test]
    fn windows_are_incremental_and_aligned() {
        let mut f = MetricsFetcher::new(Plan::default());
        assert_eq!(f.window(10_830), (10_800 - 3 * 3600, 10_800));
        f.last_end = Some(10_800);
        assert_eq!(f.window(10_925), (10_680, 10_920));
        f.last_end = Some(0);
        assert_eq!(f.window(100_000).0, 99_960 - DEFAULT_BACKFILL);
        let f = MetricsFetcher::new(Plan::default()).with_backfill(600);
        assert_eq!(f.window(1_000), (360, 960));
    }

    #[test]
    fn cost() {
        let s = FetchStats {
            calls: 1,
            metrics_requested: 1000,
            datapoints: 0,
        };
        assert!((s.cost_usd() - 0.01).abs() < 1e-12);
    }

    mod mocked {
        use super::*;
        use aws_sdk_cloudwatch::operation::get_metric_data::{
            GetMetricDataError, GetMetricDataOutput,
        };
        use aws_sdk_cloudwatch::types::MetricDataResult;
        use aws_sdk_cloudwatch::Client;
        use aws_smithy_mocks::{
            create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode,
        };
        use aws_smithy_types::error::ErrorMetadata;

        fn client(rules: &[&Rule]) -> Client {
            let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::Sequential);
            for rule in rules {
                interceptor = interceptor.with_rule(rule);
            }
            let conf = aws_sdk_cloudwatch::Config::builder()
                .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
                .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
                    "a", "b", None, None, "test",
                ))
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build();
            Client::from_conf(conf)
        }

        fn result(id: &str, points: &[(i64, f64)]) -> MetricDataResult {
            let mut b = MetricDataResult::builder().id(id);
            for (t, v) in points {
                b = b.timestamps(DateTime::from_secs(*t)).values(*v);
            }
            b.build()
        }

        fn one_function() -> Plan {
            let mut inv = inventory();
            inv.functions.truncate(1);
            inv.db_instances.clear();
            inv.tables.clear();
            plan(&inv, &[])
        }

        #[tokio::test]
        async fn follows_next_token() {
            let p = one_function();
            let throttles = id_of(&p, "Throttles", "api");
            let (t1, t2) = (throttles.clone(), throttles.clone());
            let page1 = mock!(Client::get_metric_data)
                .match_requests(|r| r.next_token().is_none())
                .then_output(move || {
                    GetMetricDataOutput::builder()
                        .metric_data_results(result(&t1, &[(7200, 1.0), (7260, 2.0)]))
                        .next_token("page-2")
                        .build()
                });
            let page2 = mock!(Client::get_metric_data)
                .match_requests(|r| r.next_token() == Some("page-2"))
                .then_output(move || {
                    GetMetricDataOutput::builder()
                        .metric_data_results(result(&t2, &[(7320, 3.0)]))
                        .build()
                });
            let c = client(&[&page1, &page2]);
            let n = p.queries.len() as u64;
            let mut f = MetricsFetcher::new(p);
            let (updates, stats) = f.fetch_from(&c, 7_400).await.expect("fetch");
            assert_eq!(
                stats,
                FetchStats {
                    calls: 2,
                    metrics_requested: 2 * n,
                    datapoints: 3
                }
            );
            assert_eq!(
                points_of(&updates, &keys::lambda_throttles("api")),
                vec![(7200, 1.0), (7260, 2.0), (7320, 3.0)]
            );
            assert_eq!(page1.num_calls(), 1);
            assert_eq!(page2.num_calls(), 1);
            assert_eq!(f.last_end, Some(7380));
            assert_eq!(f.totals, stats);
        }

        #[tokio::test]
        async fn access_denied_names_the_action() {
            let denied = mock!(Client::get_metric_data).then_error(|| {
                GetMetricDataError::generic(
                    ErrorMetadata::builder()
                        .code("AccessDenied")
                        .message("User is not authorized")
                        .build(),
                )
            });
            let c = client(&[&denied]);
            let mut f = MetricsFetcher::new(one_function());
            let err = f.fetch_from(&c, 7_400).await.expect_err("denied");
            assert_eq!(err.scope, SCOPE);
            assert!(
                err.message.contains("cloudwatch:GetMetricData"),
                "{}",
                err.message
            );
            assert_eq!(err.kind, FailureKind::AccessDenied);
            assert_eq!(f.last_end, None);
            assert!(matches!(
                err.to_update(5),
                Update::SourceError { at: 5, .. }
            ));
        }
    }
}
