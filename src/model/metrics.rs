//! The six metric panes' data: which series exist, what they mean, and the inventory of
//! resources (functions, database instances, tables) they belong to.
//!
//! Series are named by a `SeriesKey` of the form `family/metric[/resource]`, e.g.
//! `errors/rate`, `latency/p95`, `lambda/throttles/crypto-watch-api`,
//! `aurora/connections/profile-db-1`, `dynamo/read/crypto-watch-data`. Sources produce values
//! under these names; panes and thresholds look them up by the same names. Nothing here knows
//! where a number came from.

use serde::{Deserialize, Serialize};

pub type SeriesKey = String;

/// The metric panes, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricPane {
    Requests,
    Errors,
    Latency,
    Throttles,
    Aurora,
    Dynamo,
}

impl MetricPane {
    pub const ALL: [MetricPane; 6] = [
        MetricPane::Requests,
        MetricPane::Errors,
        MetricPane::Latency,
        MetricPane::Throttles,
        MetricPane::Aurora,
        MetricPane::Dynamo,
    ];

    pub fn title(self) -> &'static str {
        match self {
            MetricPane::Requests => "Request rate",
            MetricPane::Errors => "Error rate",
            MetricPane::Latency => "Latency",
            MetricPane::Throttles => "Lambda throttles",
            MetricPane::Aurora => "Aurora connections",
            MetricPane::Dynamo => "DynamoDB capacity",
        }
    }
}

/// Well-known series keys.
pub mod keys {
    /// API requests per minute (API Gateway Count, or Lambda Invocations).
    pub const REQUESTS: &str = "requests/count";
    /// The same minute 24 h earlier, for comparison.
    pub const REQUESTS_YESTERDAY: &str = "requests/yesterday";
    /// Errors as % of requests (4xx + 5xx, or Lambda Errors / Invocations).
    pub const ERROR_RATE: &str = "errors/rate";
    pub const ERROR_4XX: &str = "errors/4xx";
    pub const ERROR_5XX: &str = "errors/5xx";
    /// Lambda function errors, count per minute (all functions).
    pub const LAMBDA_ERRORS: &str = "errors/lambda";
    /// Lambda error rate, % of invocations.
    pub const LAMBDA_ERROR_RATE: &str = "errors/lambda-rate";
    pub const P50: &str = "latency/p50";
    pub const P95: &str = "latency/p95";
    pub const P99: &str = "latency/p99";
    /// Aurora read / write latency in ms (cluster-wide).
    pub const DB_READ_LATENCY: &str = "aurora/read-latency";
    pub const DB_WRITE_LATENCY: &str = "aurora/write-latency";

    pub fn lambda_throttles(function: &str) -> String {
        format!("lambda/throttles/{function}")
    }
    pub fn lambda_concurrency(function: &str) -> String {
        format!("lambda/concurrency/{function}")
    }
    pub fn aurora_connections(instance: &str) -> String {
        format!("aurora/connections/{instance}")
    }
    pub fn dynamo_read(table: &str) -> String {
        format!("dynamo/read/{table}")
    }
    pub fn dynamo_write(table: &str) -> String {
        format!("dynamo/write/{table}")
    }
    pub fn dynamo_throttles(table: &str) -> String {
        format!("dynamo/throttles/{table}")
    }
}

/// Resources the metrics belong to; refreshed rarely.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Display name of the API / service.
    pub service: String,
    pub functions: Vec<LambdaFunction>,
    /// Account-wide concurrent executions limit (default 1,000).
    pub account_concurrency: u32,
    pub db_instances: Vec<DbInstance>,
    pub tables: Vec<Table>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaFunction {
    pub name: String,
    /// Reserved concurrency, if any.
    pub reserved: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DbRole {
    Writer,
    Reader,
}

impl DbRole {
    pub fn word(self) -> &'static str {
        match self {
            DbRole::Writer => "writer",
            DbRole::Reader => "reader",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbInstance {
    pub id: String,
    pub cluster: String,
    pub role: DbRole,
    pub class: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Capacity {
    /// Provisioned read / write capacity units per second.
    Provisioned { rcu: f64, wcu: f64 },
    /// PAY_PER_REQUEST: no provisioned line.
    OnDemand,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub capacity: Capacity,
}

impl Inventory {
    /// The concurrency limit that applies to a function.
    pub fn concurrency_limit(&self, f: &LambdaFunction) -> u32 {
        f.reserved.unwrap_or(self.account_concurrency)
    }
}

/// A vertical line on every chart (a deploy, a rollback).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    pub ts: super::time::Ts,
    pub label: String,
}
