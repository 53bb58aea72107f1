//! The simulated service: the account's resources and one minute of its metrics as a pure
//! function of (scenario, seed, minute).
//!
//! Traffic follows a daily cycle in Japan time (quiet around 04:00 JST, busy in the
//! afternoon and evening). crypto-watch-api serves about three quarters of the requests and
//! profile-api the rest; crypto-watch-price-update runs every five minutes. The numbers a
//! normal day produces sit inside the bands of the team's operations guide: error rate
//! under 1 %, p50 150-300 ms, p95 under 1 s, p99 under 2 s, 5-20 database connections,
//! read latency under 10 ms, write latency under 50 ms, no throttles.

use crate::model::metrics::{
    keys, Capacity, DbInstance, DbRole, Inventory, LambdaFunction, SeriesKey, Table,
};
use crate::model::time::{Ts, DAY, HOUR, MINUTE};

use super::noise::{gauss, key, smooth, unit};
use super::scenario::{ramp, Effects, Scenario};
use super::DEMO_EPOCH;

pub const SERVICE: &str = "crypto-watch + profile-api (demo)";
pub const FN_API: &str = "crypto-watch-api";
pub const FN_PRICE: &str = "crypto-watch-price-update";
pub const FN_PROFILE: &str = "profile-api";
/// Reserved concurrency of crypto-watch-api.
pub const API_RESERVED: u32 = 100;
pub const ACCOUNT_CONCURRENCY: u32 = 1000;
pub const DB_CLUSTER: &str = "profile-db";
pub const DB_WRITER: &str = "profile-db-writer";
pub const DB_READER: &str = "profile-db-reader-1";
pub const DB_CLASS: &str = "db.r6g.large";
pub const DB_MAX_CONNECTIONS: u32 = 100;
pub const TABLE_DATA: &str = "crypto-watch-data";
pub const TABLE_SESSIONS: &str = "crypto-watch-sessions";
/// crypto-watch-data's provisioned capacity, units per second.
pub const DATA_RCU: f64 = 50.0;
pub const DATA_WCU: f64 = 25.0;
/// Lambda memory size of the functions, MB.
pub const MEMORY_MB: u32 = 512;

/// The account's resources.
pub fn inventory() -> Inventory {
    Inventory {
        service: SERVICE.to_string(),
        functions: vec![
            LambdaFunction {
                name: FN_API.into(),
                reserved: Some(API_RESERVED),
            },
            LambdaFunction {
                name: FN_PRICE.into(),
                reserved: None,
            },
            LambdaFunction {
                name: FN_PROFILE.into(),
                reserved: None,
            },
        ],
        account_concurrency: ACCOUNT_CONCURRENCY,
        db_instances: vec![
            DbInstance {
                id: DB_WRITER.into(),
                cluster: DB_CLUSTER.into(),
                role: DbRole::Writer,
                class: DB_CLASS.into(),
                max_connections: DB_MAX_CONNECTIONS,
            },
            DbInstance {
                id: DB_READER.into(),
                cluster: DB_CLUSTER.into(),
                role: DbRole::Reader,
                class: DB_CLASS.into(),
                max_connections: DB_MAX_CONNECTIONS,
            },
        ],
        tables: vec![
            Table {
                name: TABLE_DATA.into(),
                capacity: Capacity::Provisioned {
                    rcu: DATA_RCU,
                    wcu: DATA_WCU,
                },
            },
            Table {
                name: TABLE_SESSIONS.into(),
                capacity: Capacity::OnDemand,
            },
        ],
    }
}

/// One function's minute.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FnMinute {
    /// Invocation attempts, including throttled ones.
    pub attempts: f64,
    /// Invocations that ran.
    pub invocations: f64,
    pub throttles: f64,
    /// Maximum concurrent executions.
    pub concurrency: f64,
    /// Mean duration, ms.
    pub mean_ms: f64,
    /// Share of invocations that are cold starts.
    pub cold_share: f64,
}

/// One table's minute.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TableMinute {
    /// Consumed units per second.
    pub read: f64,
    pub write: f64,
    /// Throttle events in the minute.
    pub throttles: f64,
}

/// Everything about one minute of the simulated service.
#[derive(Debug, Clone, PartialEq)]
pub struct Minute {
    pub start: Ts,
    pub effects: Effects,
    pub requests: f64,
    pub yesterday: f64,
    pub err_4xx: f64,
    pub err_5xx: f64,
    pub lambda_errors: f64,
    pub lambda_rate: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub api: FnMinute,
    pub price: FnMinute,
    pub profile: FnMinute,
    pub writer: f64,
    pub reader: f64,
    pub read_ms: f64,
    pub write_ms: f64,
    pub data: TableMinute,
    pub sessions: TableMinute,
    /// Expected errors per minute by cause, for the logs.
    pub api_code_errors: f64,
    pub api_timeouts: f64,
    pub api_dynamo_errors: f64,
    pub api_misc_errors: f64,
    pub profile_db_errors: f64,
    pub profile_misc_errors: f64,
    /// How hard crypto-watch-data is throttling, 0..1.
    pub dynamo_pressure: f64,
    /// How close the writer is to running out of connections, 0..1.
    pub db_pressure: f64,
}

const K_TRAFFIC: u64 = key("traffic");
const K_API_REQ: u64 = key("requests/api");
const K_PROFILE_REQ: u64 = key("requests/profile");
const K_P50: u64 = key("latency/p50");
const K_P95: u64 = key("latency/p95");
const K_P99: u64 = key("latency/p99");
const K_4XX: u64 = key("errors/4xx");
const K_5XX: u64 = key("errors/5xx");
const K_LAMBDA_ERR: u64 = key("errors/lambda");
const K_BURST_API: u64 = key("burst/api");
const K_BURST_PROFILE: u64 = key("burst/profile");
const K_WRITER: u64 = key("aurora/writer");
const K_READER: u64 = key("aurora/reader");
const K_READ_MS: u64 = key("aurora/read-latency");
const K_WRITE_MS: u64 = key("aurora/write-latency");
const K_DATA_R: u64 = key("dynamo/read/data");
const K_DATA_W: u64 = key("dynamo/write/data");
const K_DATA_T: u64 = key("dynamo/throttles/data");
const K_DATA_CEILING: u64 = key("dynamo/ceiling/data");
const K_SESS_R: u64 = key("dynamo/read/sessions");
const K_SESS_W: u64 = key("dynamo/write/sessions");

/// Daily traffic shape in [0, 1]: lowest at 04:00 JST, highest at 16:00 JST.
fn diurnal(ts: Ts) -> f64 {
    let jst_hour = (ts + 9 * HOUR).rem_euclid(DAY) as f64 / HOUR as f64;
    0.5 - 0.5 * (std::f64::consts::TAU * (jst_hour - 4.0) / 24.0).cos()
}

/// A normal-noise draw clamped to ±2.5.
fn g(seed: u64, k: u64, n: i64) -> f64 {
    gauss(seed, k, n).clamp(-2.5, 2.5)
}

/// An integer count near `expected`, unbiased.
fn round_random(expected: f64, u: f64) -> f64 {
    if expected <= 0.0 {
        0.0
    } else {
        (expected + u).floor()
    }
}

/// Minutes since the epoch at the middle of the minute starting at `start`.
pub fn minutes_since_epoch(start: Ts) -> f64 {
    (start - DEMO_EPOCH) as f64 / 60.0 + 0.5
}

/// Requests per minute to (crypto-watch-api, profile-api) in the minute starting at `start`.
pub fn traffic(scenario: Scenario, seed: u64, start: Ts) -> (f64, f64) {
    let n = start.div_euclid(MINUTE);
    let e = scenario.effects(minutes_since_epoch(start));
    let shape = diurnal(start + 30);
    let wobble = 1.0 + 0.06 * smooth(seed, K_TRAFFIC, start as f64, 900.0);
    let api =
        (90.0 + 600.0 * shape) * wobble * (1.0 + 0.025 * g(seed, K_API_REQ, n)) * e.cw_traffic;
    let profile = (30.0 + 200.0 * shape) * wobble * (1.0 + 0.04 * g(seed, K_PROFILE_REQ, n));
    (api.round().max(0.0), profile.round().max(0.0))
}

/// Beyond normal load, crypto-watch-data reads grow slowly: the price cache serves repeats.
fn cached(load: f64) -> f64 {
    if load <= 1.0 {
        load
    } else {
        1.0 + 0.25 * (load - 1.0).sqrt()
    }
}

/// Concurrency from a rate and a duration, with the burstiness of a minute's maximum.
fn concurrency(per_minute: f64, mean_ms: f64, burst: f64) -> f64 {
    per_minute / 60.0 * mean_ms / 1000.0 * burst
}

impl Minute {
    /// Simulate the minute that starts at `start` (aligned to the minute).
    pub fn simulate(scenario: Scenario, seed: u64, start: Ts) -> Minute {
        let n = start.div_euclid(MINUTE);
        let e = scenario.effects(minutes_since_epoch(start));
        let (api_req, profile_req) = traffic(scenario, seed, start);
        let (y_api, y_profile) = traffic(scenario, seed, start - DAY);
        let requests = api_req + profile_req;
        let load = (requests / 870.0).min(1.5);
        let api_load = api_req / 650.0;
        let profile_load = profile_req / 230.0;
        let price_runs = if n.rem_euclid(5) == 0 { 1.0 } else { 0.0 };

        // DynamoDB: crypto-watch-data is provisioned; demand beyond it throttles.
        let read_demand = (6.0 + 24.0 * cached(api_load))
            * e.hot_read
            * e.scan_read
            * (1.0 + 0.05 * g(seed, K_DATA_R, n));
        let write_demand =
            (3.0 + 8.0 * cached(api_load)) * e.hot_write * (1.0 + 0.05 * g(seed, K_DATA_W, n))
                + 3.0 * price_runs;
        // Burst and adaptive capacity let consumption run above the provisioned line for a
        // while; what is left over is throttled.
        let over = |demand: f64, cap: f64| (demand - 1.1 * cap).max(0.0) * 60.0 * 0.3;
        let data_throttles = round_random(
            over(read_demand, DATA_RCU) + over(write_demand, DATA_WCU),
            unit(seed, K_DATA_T, n),
        );
        let ceiling = 1.45 + 0.04 * g(seed, K_DATA_CEILING, n);
        let data = TableMinute {
            read: read_demand.min(ceiling * DATA_RCU),
            write: write_demand.min(ceiling * DATA_WCU),
            throttles: data_throttles,
        };
        let ratio = (read_demand / DATA_RCU).max(write_demand / DATA_WCU);
        let dynamo_pressure = ramp(ratio, 1.0, 2.0);
        let sessions = TableMinute {
            read: (2.0 + 10.0 * api_load) * (1.0 + 0.05 * g(seed, K_SESS_R, n)),
            write: (1.0 + 5.0 * api_load) * (1.0 + 0.05 * g(seed, K_SESS_W, n)),
            throttles: 0.0,
        };

        // Aurora: the writer holds the profile-api pool plus whatever leaks.
        let writer = (6.0 + 9.0 * profile_load + 1.2 * g(seed, K_WRITER, n) + e.db_leak)
            .round()
            .clamp(1.0, DB_MAX_CONNECTIONS as f64);
        let reader = (5.0 + 4.0 * profile_load + 0.8 * g(seed, K_READER, n))
            .round()
            .clamp(1.0, 40.0);
        let db_pressure = ramp(writer, 50.0, 97.0);
        let read_ms = 2.5 + 2.0 * profile_load + 0.4 * g(seed, K_READ_MS, n) + 3.0 * db_pressure;
        let write_ms = (12.0 + 10.0 * profile_load + 2.0 * g(seed, K_WRITE_MS, n))
            * (1.0 + 14.0 * db_pressure * db_pressure);

        // API latency.
        let p50_base = 150.0 + 50.0 * load + 10.0 * g(seed, K_P50, n);
        let p50 = p50_base + e.p50_add + 60.0 * dynamo_pressure;
        let p95 = p50_base * (3.6 + 0.15 * g(seed, K_P95, n))
            + e.p95_add
            + 900.0 * dynamo_pressure
            + 2200.0 * db_pressure;
        let p99 = p95
            + p50_base * (2.8 + 0.15 * g(seed, K_P99, n))
            + (e.p99_add - e.p95_add).max(0.0)
            + 900.0 * dynamo_pressure
            + 1800.0 * db_pressure;

        // Lambda: crypto-watch-api runs into its reserved concurrency when demand exceeds it.
        let api_ms = p50_base * 1.25 + e.cw_slow_ms + 300.0 * dynamo_pressure;
        let burst = 2.4 + 0.1 * g(seed, K_BURST_API, n);
        let demand = concurrency(api_req, api_ms, burst);
        let limit = API_RESERVED as f64;
        let (api_conc, api_throttles) = if demand > limit {
            (limit, (api_req * (1.0 - limit / demand)).round())
        } else {
            ((demand.ceil()).min(limit), 0.0)
        };
        let api_inv = api_req - api_throttles;
        let api = FnMinute {
            attempts: api_req,
            invocations: api_inv,
            throttles: api_throttles,
            concurrency: if api_inv > 0.0 {
                api_conc.max(1.0)
            } else {
                0.0
            },
            mean_ms: api_ms,
            cold_share: 0.01 + e.cold_starts + 0.02 * ramp(api_conc, 20.0, 100.0),
        };
        let profile_ms = 140.0 + 2500.0 * db_pressure;
        let profile_conc = concurrency(
            profile_req,
            profile_ms,
            2.4 + 0.15 * g(seed, K_BURST_PROFILE, n),
        )
        .ceil();
        let profile = FnMinute {
            attempts: profile_req,
            invocations: profile_req,
            throttles: 0.0,
            concurrency: if profile_req > 0.0 {
                profile_conc.max(1.0)
            } else {
                0.0
            },
            mean_ms: profile_ms,
            cold_share: 0.015,
        };
        let price = FnMinute {
            attempts: price_runs,
            invocations: price_runs,
            throttles: 0.0,
            concurrency: price_runs,
            mean_ms: 800.0,
            cold_share: 0.2,
        };

        // Errors, by cause.
        let api_code_errors = api_inv * e.cw_code_error;
        let api_timeouts = api_inv * e.cw_timeout;
        let api_dynamo_errors = api_inv * 0.045 * ramp(ratio, 1.1, 2.2);
        let api_misc_errors = api_inv * 0.0002;
        let profile_db_errors = profile_req * 0.45 * ramp(writer, 88.0, 99.0);
        let profile_misc_errors = profile_req * 0.0002;
        let expected_errors = api_code_errors
            + api_timeouts
            + api_dynamo_errors
            + api_misc_errors
            + profile_db_errors
            + profile_misc_errors;
        let lambda_errors = round_random(expected_errors, unit(seed, K_LAMBDA_ERR, n));
        let invocations = api_inv + profile.invocations + price.invocations;
        let lambda_rate = if invocations > 0.0 {
            lambda_errors / invocations * 100.0
        } else {
            0.0
        };
        let gateway_5xx = round_random(requests * 0.0003, unit(seed, K_5XX, n));
        let err_5xx = if requests > 0.0 {
            (lambda_errors + api_throttles + gateway_5xx) / requests * 100.0
        } else {
            0.0
        };
        let err_4xx = (0.35 + 0.08 * g(seed, K_4XX, n)).max(0.05);

        Minute {
            start,
            effects: e,
            requests,
            yesterday: y_api + y_profile,
            err_4xx,
            err_5xx,
            lambda_errors,
            lambda_rate,
            p50,
            p95,
            p99,
            api,
            price,
            profile,
            writer,
            reader,
            read_ms,
            write_ms,
            data,
            sessions,
            api_code_errors,
            api_timeouts,
            api_dynamo_errors,
            api_misc_errors,
            profile_db_errors,
            profile_misc_errors,
            dynamo_pressure,
            db_pressure,
        }
    }

    /// The minute's points, one per series.
    pub fn points(&self) -> Vec<(SeriesKey, f64)> {
        let r2 = |v: f64| (v * 100.0).round() / 100.0;
        let r1 = |v: f64| (v * 10.0).round() / 10.0;
        let err_4xx = r2(self.err_4xx);
        let err_5xx = r2(self.err_5xx);
        vec![
            (keys::REQUESTS.into(), self.requests),
            (keys::REQUESTS_YESTERDAY.into(), self.yesterday),
            (keys::ERROR_4XX.into(), err_4xx),
            (keys::ERROR_5XX.into(), err_5xx),
            (keys::ERROR_RATE.into(), r2(err_4xx + err_5xx)),
            (keys::LAMBDA_ERRORS.into(), self.lambda_errors),
            (keys::LAMBDA_ERROR_RATE.into(), r2(self.lambda_rate)),
            (keys::P50.into(), r1(self.p50)),
            (keys::P95.into(), r1(self.p95)),
            (keys::P99.into(), r1(self.p99)),
            (keys::lambda_throttles(FN_API), self.api.throttles),
            (keys::lambda_throttles(FN_PRICE), self.price.throttles),
            (keys::lambda_throttles(FN_PROFILE), self.profile.throttles),
            (keys::lambda_concurrency(FN_API), self.api.concurrency),
            (keys::lambda_concurrency(FN_PRICE), self.price.concurrency),
            (
                keys::lambda_concurrency(FN_PROFILE),
                self.profile.concurrency,
            ),
            (keys::aurora_connections(DB_WRITER), self.writer),
            (keys::aurora_connections(DB_READER), self.reader),
            (keys::DB_READ_LATENCY.into(), r2(self.read_ms)),
            (keys::DB_WRITE_LATENCY.into(), r2(self.write_ms)),
            (keys::dynamo_read(TABLE_DATA), r1(self.data.read)),
            (keys::dynamo_write(TABLE_DATA), r1(self.data.write)),
            (keys::dynamo_throttles(TABLE_DATA), self.data.throttles),
            (keys::dynamo_read(TABLE_SESSIONS), r1(self.sessions.read)),
            (keys::dynamo_write(TABLE_SESSIONS), r1(self.sessions.write)),
            (
                keys::dynamo_throttles(TABLE_SESSIONS),
                self.sessions.throttles,
            ),
        ]
    }
}
