//! Log lines of the simulated service: a pure function of (scenario, seed, second).
//!
//! Each second holds a mix of line kinds whose rates follow the minute's metrics: request
//! completions at normal traffic, and the scenario's WARN / ERROR lines in proportion to the
//! errors, throttles and slowness the metrics show. Most lines are JSON from the functions'
//! structured logger; some are the Lambda platform's plain lines (START / END / REPORT, task
//! timeouts, runtime errors) and API Gateway access and execution logs.
//!
//! Real logs can carry hostile bytes (escape sequences, bidi overrides in a user agent);
//! a few lines here do too, on purpose and unsanitised: the model cleans what enters it.

use std::fmt::Write as _;

use crate::model::time::{Ts, DAY, MINUTE};
use crate::model::RawLog;

use super::noise::{count, key, mix, unit, Rng};
use super::scenario::ramp;
use super::sim::{Minute, FN_API, FN_PRICE, FN_PROFILE, MEMORY_MB, TABLE_DATA, TABLE_SESSIONS};

pub const GROUP_API: &str = "/aws/lambda/crypto-watch-api";
pub const GROUP_PRICE: &str = "/aws/lambda/crypto-watch-price-update";
pub const GROUP_PROFILE: &str = "/aws/lambda/profile-api";
pub const GROUP_ACCESS: &str = "/aws/apigateway/crypto-watch-api/access";
pub const GROUP_EXECUTION: &str = "API-Gateway-Execution-Logs_k7q2x9d4ze/prod";

/// The kinds of line groups, each with its own rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ApiOk,
    Api4xx,
    ApiPlatform,
    ProfileOk,
    ProfilePlatform,
    CodeError,
    Timeout,
    Gateway5xx,
    DynamoRetry,
    DynamoError,
    PoolWait,
    DbError,
    Throttled,
    SlowApi,
    SlowProfile,
    SlowScan,
    MiscError,
    Hostile,
}

const KINDS: [Kind; 18] = [
    Kind::ApiOk,
    Kind::Api4xx,
    Kind::ApiPlatform,
    Kind::ProfileOk,
    Kind::ProfilePlatform,
    Kind::CodeError,
    Kind::Timeout,
    Kind::Gateway5xx,
    Kind::DynamoRetry,
    Kind::DynamoError,
    Kind::PoolWait,
    Kind::DbError,
    Kind::Throttled,
    Kind::SlowApi,
    Kind::SlowProfile,
    Kind::SlowScan,
    Kind::MiscError,
    Kind::Hostile,
];

impl Kind {
    fn key(self) -> u64 {
        key(match self {
            Kind::ApiOk => "log/api-ok",
            Kind::Api4xx => "log/api-4xx",
            Kind::ApiPlatform => "log/api-platform",
            Kind::ProfileOk => "log/profile-ok",
            Kind::ProfilePlatform => "log/profile-platform",
            Kind::CodeError => "log/code-error",
            Kind::Timeout => "log/timeout",
            Kind::Gateway5xx => "log/gateway-5xx",
            Kind::DynamoRetry => "log/dynamo-retry",
            Kind::DynamoError => "log/dynamo-error",
            Kind::PoolWait => "log/pool-wait",
            Kind::DbError => "log/db-error",
            Kind::Throttled => "log/throttled",
            Kind::SlowApi => "log/slow-api",
            Kind::SlowProfile => "log/slow-profile",
            Kind::SlowScan => "log/slow-scan",
            Kind::MiscError => "log/misc-error",
            Kind::Hostile => "log/hostile",
        })
    }

    /// Expected groups per second in minute `m`.
    fn rate(self, m: &Minute) -> f64 {
        let per_s = |per_minute: f64| per_minute / MINUTE as f64;
        let api_ok = (m.api.invocations - m.lambda_errors).max(0.0);
        let slow = |mean_ms: f64| 0.3 * ramp(mean_ms, 300.0, 1500.0);
        match self {
            Kind::ApiOk => per_s(api_ok) * 0.2,
            Kind::Api4xx => per_s(m.requests * m.err_4xx / 100.0) * 0.5,
            Kind::ApiPlatform => per_s(m.api.invocations) * 0.05,
            Kind::ProfileOk => per_s(m.profile.invocations - m.profile_db_errors) * 0.5,
            Kind::ProfilePlatform => per_s(m.profile.invocations) * 0.05,
            Kind::CodeError => per_s(m.api_code_errors) * 0.9,
            Kind::Timeout => per_s(m.api_timeouts) * 0.9,
            Kind::Gateway5xx => {
                per_s(m.api_code_errors + m.api_timeouts + m.api_dynamo_errors + m.api.throttles)
                    * 0.12
            }
            Kind::DynamoRetry => per_s(m.data.throttles) * 0.04,
            Kind::DynamoError => per_s(m.api_dynamo_errors) * 0.9,
            Kind::PoolWait => per_s(m.profile.invocations) * 0.8 * m.db_pressure,
            Kind::DbError => per_s(m.profile_db_errors) * 0.95,
            Kind::Throttled => per_s(m.api.throttles) * 0.06,
            Kind::SlowApi => per_s(m.api.invocations) * slow(m.api.mean_ms) * 0.3,
            Kind::SlowProfile => per_s(m.profile.invocations) * slow(m.profile.mean_ms) * 0.3,
            Kind::SlowScan if m.effects.scan_read > 1.0 => {
                per_s(m.api.invocations) * m.effects.cw_v42_share * 0.05
            }
            Kind::SlowScan => 0.0,
            Kind::MiscError => per_s(m.api_misc_errors + m.profile_misc_errors) * 0.9,
            Kind::Hostile => per_s(api_ok) * 0.2 / 700.0,
        }
    }
}

/// The log lines of second `s`, given the minute it belongs to, in order.
pub fn lines_for_second(seed: u64, s: Ts, m: &Minute) -> Vec<RawLog> {
    lines_of_kinds(seed, s, m, |_| true, true)
}

impl Kind {
    /// Kinds whose lines include errors (the daily check reads only these).
    fn may_error(self) -> bool {
        matches!(
            self,
            Kind::CodeError
                | Kind::Timeout
                | Kind::Gateway5xx
                | Kind::DynamoError
                | Kind::DbError
                | Kind::Throttled
                | Kind::MiscError
        )
    }
}

/// The lines of second `s` that may be errors: exactly the lines of [`lines_for_second`]
/// from the kinds that write errors (request completions, platform lines and warnings are
/// not generated), in the same order. The daily check reads 48 hours of these.
pub fn error_kind_lines_for_second(seed: u64, s: Ts, m: &Minute) -> Vec<RawLog> {
    lines_of_kinds(seed, s, m, Kind::may_error, false)
}

/// Whether minute `m` can have any line that [`error_kind_lines_for_second`] writes.
pub fn minute_may_error(m: &Minute) -> bool {
    KINDS.iter().any(|k| k.may_error() && k.rate(m) > 0.0)
}

/// The lines of the kinds `keep` accepts, and the price updater's run when `price`.
fn lines_of_kinds(
    seed: u64,
    s: Ts,
    m: &Minute,
    keep: impl Fn(Kind) -> bool,
    price: bool,
) -> Vec<RawLog> {
    let mut groups: Vec<(u64, Vec<RawLog>)> = Vec::new();
    for (ki, kind) in KINDS.iter().enumerate() {
        if !keep(*kind) {
            continue;
        }
        let k = kind.key();
        let n = count(
            kind.rate(m),
            unit(seed, k ^ 0x5555, s),
            unit(seed, k ^ 0xAAAA, s),
        );
        for j in 0..n {
            let mut rng = Rng::new(mix(seed, k.wrapping_add(j.wrapping_mul(0x9E37)), s));
            let ms = rng.range(0, 1000);
            let mut g = Group {
                rng,
                s,
                ms,
                lines: Vec::new(),
                m,
            };
            g.build(*kind);
            groups.push(((ms << 16) | ((ki as u64) << 8) | j.min(255), g.lines));
        }
    }
    if price && m.price.invocations > 0.0 && s == m.start + 2 {
        let rng = Rng::new(mix(seed, key("log/price-update"), s));
        let mut g = Group {
            rng,
            s,
            ms: 100,
            lines: Vec::new(),
            m,
        };
        g.price_update();
        groups.push((100 << 16, g.lines));
    }
    groups.sort_by_key(|(order, _)| *order);
    groups.into_iter().flat_map(|(_, lines)| lines).collect()
}

/// Builds the lines of one group (one request, usually).
struct Group<'a> {
    rng: Rng,
    s: Ts,
    ms: u64,
    lines: Vec<RawLog>,
    m: &'a Minute,
}

const PATHS_API: &[(&str, &str)] = &[
    ("GET", "/prices"),
    ("GET", "/prices/BTC"),
    ("GET", "/prices/ETH"),
    ("GET", "/prices/SOL"),
    ("GET", "/watchlist"),
    ("PUT", "/watchlist"),
    ("GET", "/health"),
];
const PATHS_PROFILE: &[(&str, &str)] = &[
    ("GET", "/profile"),
    ("GET", "/profile"),
    ("GET", "/profile"),
    ("PUT", "/profile"),
    ("DELETE", "/profile"),
];
const USER_AGENTS: &[&str] = &[
    "crypto-watch-ios/3.1.0 CFNetwork/1490.0.4 Darwin/23.2.0",
    "crypto-watch-android/3.1.0 okhttp/4.12.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36",
];

impl Group<'_> {
    fn push(&mut self, source: &str, line: String) {
        self.lines.push(RawLog {
            ts: self.s,
            source: source.to_string(),
            bytes: line.into_bytes(),
        });
    }

    fn stamp(&self) -> String {
        iso_millis(self.s, self.ms)
    }

    fn user(&mut self) -> String {
        format!("u-{:05}", self.rng.range(10_000, 99_999))
    }

    fn api_version(&mut self) -> &'static str {
        if self.rng.chance(self.m.effects.cw_v42_share) {
            "42"
        } else {
            "41"
        }
    }

    fn profile_version(&self) -> &'static str {
        if self.m.effects.profile_v17 {
            "17"
        } else {
            "16"
        }
    }

    /// A duration drawn from the minute's latency: mostly around p50, sometimes towards p95.
    fn duration(&mut self, mean_ms: f64) -> f64 {
        let u = self.rng.unit();
        let base = mean_ms * (0.45 + 0.9 * u);
        if self.rng.chance(0.05) {
            base * (2.0 + 2.0 * self.rng.unit())
        } else {
            base
        }
    }

    fn platform(
        &mut self,
        source: &str,
        id: &str,
        version: &str,
        ms: f64,
        cold: bool,
        timeout: bool,
    ) {
        self.push(source, format!("START RequestId: {id} Version: {version}"));
        if timeout {
            let line = format!(
                "{} {id} Task timed out after {:.2} seconds",
                self.stamp(),
                ms / 1000.0
            );
            self.push(source, line);
        }
        self.push(source, format!("END RequestId: {id}"));
        let mut report = format!(
            "REPORT RequestId: {id}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {MEMORY_MB} MB\tMax Memory Used: {} MB\t",
            ms.ceil() as u64,
            self.rng.range(80, 140)
        );
        if cold {
            let _ = write!(
                report,
                "Init Duration: {:.2} ms\t",
                350.0 + 400.0 * self.rng.unit()
            );
        }
        if timeout {
            report.push_str("Status: timeout");
        }
        self.push(source, report);
    }

    fn build(&mut self, kind: Kind) {
        let m = self.m;
        match kind {
            Kind::ApiOk | Kind::Hostile => {
                let id = self.rng.uuid();
                let user = self.user();
                let (method, path) = *self.rng.pick(PATHS_API);
                let version = self.api_version();
                let dur = self.duration(m.api.mean_ms).round();
                let status = if method == "PUT" { 204 } else { 200 };
                let mut j = Json::new("INFO", "request completed")
                    .str("requestId", &id)
                    .str("userId", &user)
                    .str("method", method)
                    .str("path", path)
                    .num("status", status as f64)
                    .num("duration", dur)
                    .str("function", FN_API)
                    .str("version", version);
                if kind == Kind::Hostile {
                    match self.rng.range(0, 4) {
                        // JSON-escaped: an erase-screen and cursor-home sequence.
                        0 => {
                            j = j.str(
                                "userAgent",
                                "Mozilla/5.0 \u{1b}[2J\u{1b}[H(compatible; scan)",
                            )
                        }
                        // A raw right-to-left override inside a JSON string.
                        1 => j = j.str("userAgent", "curl/8.4.0 \u{202e}gpj.exe"),
                        // A raw terminal-title escape written by console.log, outside JSON.
                        2 => {
                            let line = format!(
                                "{}\t{id}\tINFO\tuser-agent: \u{1b}]0;owned\u{7}\u{1b}[31mcurl/8.4.0\u{1b}[0m",
                                self.stamp()
                            );
                            self.push(GROUP_API, line);
                            return;
                        }
                        // A header value with a NUL, a bell and a bidi isolate.
                        _ => {
                            j = j.str(
                                "referer",
                                "https://example.com/\u{0}\u{7}\u{2067}admin\u{2069}",
                            )
                        }
                    }
                } else {
                    j = j.str("userAgent", self.rng.pick_str(USER_AGENTS));
                }
                self.push(GROUP_API, j.finish());
            }
            Kind::Api4xx => {
                let id = self.rng.uuid();
                let user = self.user();
                let (status, code, message) = *self.rng.pick(&[
                    (400, "VALIDATION_ERROR", "unsupported symbol"),
                    (
                        400,
                        "VALIDATION_ERROR",
                        "watchlist is limited to 50 symbols",
                    ),
                    (401, "UNAUTHORIZED", "missing or expired token"),
                    (404, "NOT_FOUND", "no such symbol"),
                ]);
                let (method, path) = *self.rng.pick(PATHS_API);
                let version = self.api_version();
                let line = Json::new("WARN", message)
                    .str("requestId", &id)
                    .str("userId", &user)
                    .str("method", method)
                    .str("path", path)
                    .num("status", status as f64)
                    .obj("error", &[("code", code)])
                    .str("function", FN_API)
                    .str("version", version)
                    .finish();
                self.push(GROUP_API, line);
            }
            Kind::ApiPlatform => {
                let id = self.rng.uuid();
                let version = self.api_version();
                let ms = self.duration(m.api.mean_ms);
                let cold = self.rng.chance(m.api.cold_share);
                self.platform(GROUP_API, &id, version, ms, cold, false);
            }
            Kind::ProfileOk => {
                let id = self.rng.uuid();
                let user = self.user();
                let (method, path) = *self.rng.pick(PATHS_PROFILE);
                let status = match method {
                    "GET" if self.rng.chance(0.03) => 404,
                    "GET" => 200,
                    "PUT" => 200,
                    _ => 204,
                };
                let dur = self.duration(m.profile.mean_ms).round();
                let level = if status == 404 { "WARN" } else { "INFO" };
                let message = if status == 404 {
                    "profile not found"
                } else {
                    "request completed"
                };
                let line = Json::new(level, message)
                    .str("requestId", &id)
                    .str("userId", &user)
                    .str("method", method)
                    .str("path", path)
                    .num("status", status as f64)
                    .num("duration", dur)
                    .str("function", FN_PROFILE)
                    .str("version", self.profile_version())
                    .finish();
                self.push(GROUP_PROFILE, line);
            }
            Kind::ProfilePlatform => {
                let id = self.rng.uuid();
                let ms = self.duration(m.profile.mean_ms);
                let cold = self.rng.chance(m.profile.cold_share);
                let version = self.profile_version();
                self.platform(GROUP_PROFILE, &id, version, ms, cold, false);
            }
            Kind::CodeError => {
                let id = self.rng.uuid();
                let user = self.user();
                if self.rng.chance(0.7) {
                    let line = Json::new(
                        "ERROR",
                        "TypeError: Cannot read properties of undefined (reading 'price')",
                    )
                    .str("requestId", &id)
                    .str("userId", &user)
                    .str(
                        "path",
                        self.rng
                            .pick_str(&["/prices/BTC", "/prices/ETH", "/watchlist"]),
                    )
                    .obj(
                        "error",
                        &[("code", "INTERNAL_ERROR"), ("name", "TypeError")],
                    )
                    .str("function", FN_API)
                    .str("version", "42")
                    .finish();
                    self.push(GROUP_API, line);
                } else {
                    let line = format!(
                        "{}\t{id}\tERROR\tInvoke Error \t{{\"errorType\":\"TypeError\",\"errorMessage\":\"Cannot read properties of undefined (reading 'price')\",\"stack\":[\"TypeError: Cannot read properties of undefined (reading 'price')\",\"    at formatQuote (/var/task/handlers/prices.js:42:31)\",\"    at Array.map (<anonymous>)\",\"    at Runtime.handler (/var/task/index.js:18:24)\"]}}",
                        self.stamp()
                    );
                    self.push(GROUP_API, line);
                }
            }
            Kind::Timeout => {
                let id = self.rng.uuid();
                let version = self.api_version();
                let ms = 25_030.0 + 5.0 * self.rng.unit();
                self.platform(GROUP_API, &id, version, ms, false, true);
            }
            Kind::Gateway5xx => {
                let id = self.rng.uuid();
                let total =
                    m.api_code_errors + m.api_timeouts + m.api_dynamo_errors + m.api.throttles;
                let pick = self.rng.unit() * total.max(1e-9);
                let (status, err, latency) = if pick < m.api.throttles {
                    (503, "Rate Exceeded.", 20 + self.rng.range(0, 40))
                } else if pick < m.api.throttles + m.api_timeouts {
                    (
                        504,
                        "Endpoint request timed out",
                        29_000 + self.rng.range(0, 40),
                    )
                } else {
                    (502, "Internal server error", 80 + self.rng.range(0, 300))
                };
                let (method, path) = *self.rng.pick(PATHS_API);
                let ip = format!("203.0.113.{}", self.rng.range(1, 255));
                let line = Json::bare()
                    .str("requestId", &id)
                    .str("ip", &ip)
                    .str("requestTime", &self.stamp())
                    .str("httpMethod", method)
                    .str("path", path)
                    .num("status", status as f64)
                    .num("responseLatency", latency as f64)
                    .str("integrationError", err)
                    .finish();
                self.push(GROUP_ACCESS, line);
            }
            Kind::DynamoRetry => {
                let id = self.rng.uuid();
                let op = *self.rng.pick(&["GetItem", "Query", "UpdateItem"]);
                let line = Json::new("WARN", "DynamoDB request throttled, retrying")
                    .str("requestId", &id)
                    .str("table", TABLE_DATA)
                    .str("operation", op)
                    .str("partitionKey", self.rng.pick_str(&["PRICE#BTC", "PRICE#BTC", "PRICE#BTC", "PRICE#ETH"]))
                    .num("attempt", self.rng.range(1, 3) as f64)
                    .obj(
                        "error",
                        &[
                            ("code", "ProvisionedThroughputExceededException"),
                            ("message", "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."),
                        ],
                    )
                    .str("function", FN_API)
                    .finish();
                self.push(GROUP_API, line);
            }
            Kind::DynamoError => {
                let id = self.rng.uuid();
                let user = self.user();
                let version = self.api_version();
                let line = Json::new("ERROR", "DynamoDB request failed after 3 retries")
                    .str("requestId", &id)
                    .str("userId", &user)
                    .str("table", TABLE_DATA)
                    .str("operation", "Query")
                    .obj(
                        "error",
                        &[
                            ("code", "ProvisionedThroughputExceededException"),
                            ("name", "ProvisionedThroughputExceededException"),
                        ],
                    )
                    .num("status", 500.0)
                    .str("function", FN_API)
                    .str("version", version)
                    .finish();
                self.push(GROUP_API, line);
            }
            Kind::PoolWait => {
                let id = self.rng.uuid();
                let wait = (200.0 + 4800.0 * m.db_pressure * self.rng.unit()).round();
                let line = Json::new("WARN", "waiting for a database connection")
                    .str("requestId", &id)
                    .num("waitMs", wait)
                    .num("poolActive", m.writer)
                    .num("poolMax", 100.0)
                    .str("db", "profile-db-writer")
                    .str("function", FN_PROFILE)
                    .str("version", self.profile_version())
                    .finish();
                self.push(GROUP_PROFILE, line);
            }
            Kind::DbError => {
                let id = self.rng.uuid();
                let user = self.user();
                let msg = *self.rng.pick(&[
                    "remaining connection slots are reserved for non-replication superuser connections",
                    "sorry, too many clients already",
                    "too many connections",
                    "timeout acquiring a connection from the pool after 5000 ms",
                ]);
                let (method, path) = *self.rng.pick(PATHS_PROFILE);
                let line = Json::new("ERROR", msg)
                    .str("requestId", &id)
                    .str("userId", &user)
                    .str("method", method)
                    .str("path", path)
                    .num("status", 500.0)
                    .obj("error", &[("code", "DATABASE_ERROR")])
                    .str("db", "profile-db-writer")
                    .str("function", FN_PROFILE)
                    .str("version", self.profile_version())
                    .finish();
                self.push(GROUP_PROFILE, line);
            }
            Kind::Throttled => {
                let id = self.rng.uuid();
                if self.rng.chance(0.5) {
                    let lambda_id = self.rng.uuid();
                    self.push(
                        GROUP_EXECUTION,
                        format!("({id}) Lambda invocation failed with status: 429. Lambda request id: {lambda_id}"),
                    );
                    self.push(
                        GROUP_EXECUTION,
                        format!(
                            "({id}) Execution failed due to configuration error: TooManyRequestsException: Rate Exceeded. (Service: Lambda, Status Code: 429)"
                        ),
                    );
                } else {
                    self.push(
                        GROUP_EXECUTION,
                        format!("({id}) Method completed with status: 503"),
                    );
                    let line = Json::bare()
                        .str("requestId", &id)
                        .str("requestTime", &self.stamp())
                        .str("httpMethod", "GET")
                        .str(
                            "path",
                            self.rng.pick_str(&["/prices", "/prices/BTC", "/watchlist"]),
                        )
                        .num("status", 503.0)
                        .str("message", "Rate Exceeded")
                        .str("integrationError", "TooManyRequestsException")
                        .finish();
                    self.push(GROUP_ACCESS, line);
                }
            }
            Kind::SlowApi => {
                let id = self.rng.uuid();
                let user = self.user();
                let (method, path) = *self.rng.pick(PATHS_API);
                let version = self.api_version();
                let dur = (1000.0 + m.api.mean_ms * (0.5 + 2.0 * self.rng.unit())).round();
                let line = Json::new("WARN", "slow request")
                    .str("requestId", &id)
                    .str("userId", &user)
                    .str("method", method)
                    .str("path", path)
                    .num("status", 200.0)
                    .num("duration", dur)
                    .str("function", FN_API)
                    .str("version", version)
                    .finish();
                self.push(GROUP_API, line);
            }
            Kind::SlowProfile => {
                let id = self.rng.uuid();
                let user = self.user();
                let dur = (1000.0 + m.profile.mean_ms * (0.5 + 2.0 * self.rng.unit())).round();
                let line = Json::new("WARN", "slow request")
                    .str("requestId", &id)
                    .str("userId", &user)
                    .str("method", "PUT")
                    .str("path", "/profile")
                    .num("status", 200.0)
                    .num("duration", dur)
                    .str("function", FN_PROFILE)
                    .str("version", self.profile_version())
                    .finish();
                self.push(GROUP_PROFILE, line);
            }
            Kind::SlowScan => {
                let id = self.rng.uuid();
                let scanned = self.rng.range(20_000, 60_000);
                let dur = (900.0 + 1500.0 * self.rng.unit()).round();
                let line = Json::new("WARN", "slow DynamoDB query")
                    .str("requestId", &id)
                    .str("table", TABLE_DATA)
                    .str("operation", "Scan")
                    .num("itemsScanned", scanned as f64)
                    .num("duration", dur)
                    .str("function", FN_API)
                    .str("version", "42")
                    .finish();
                self.push(GROUP_API, line);
            }
            Kind::MiscError => {
                let id = self.rng.uuid();
                if self.rng.chance(0.7) {
                    let (msg, code) = *self.rng.pick(&[
                        ("failed to read session", "SESSION_ERROR"),
                        (
                            "price cache miss and upstream unavailable",
                            "UPSTREAM_ERROR",
                        ),
                        ("unexpected end of JSON input", "INTERNAL_ERROR"),
                    ]);
                    let line = Json::new("ERROR", msg)
                        .str("requestId", &id)
                        .str("userId", &self.user())
                        .obj("error", &[("code", code)])
                        .str("table", TABLE_SESSIONS)
                        .str("function", FN_API)
                        .str("version", "41")
                        .finish();
                    self.push(GROUP_API, line);
                } else {
                    let line = Json::new("ERROR", "profile validation failed unexpectedly")
                        .str("requestId", &id)
                        .str("userId", &self.user())
                        .obj("error", &[("code", "INTERNAL_ERROR")])
                        .str("function", FN_PROFILE)
                        .str("version", self.profile_version())
                        .finish();
                    self.push(GROUP_PROFILE, line);
                }
            }
        }
    }

    /// The price updater's run: fetch from the external API, write to crypto-watch-data.
    fn price_update(&mut self) {
        let id = self.rng.uuid();
        let fetch = (600.0 + 500.0 * self.rng.unit()).round();
        self.push(GROUP_PRICE, format!("START RequestId: {id} Version: 12"));
        let line = Json::new("INFO", "fetched prices from external API")
            .str("requestId", &id)
            .str("provider", "CoinGecko")
            .num("symbols", 50.0)
            .num("duration", fetch)
            .str("function", FN_PRICE)
            .finish();
        self.push(GROUP_PRICE, line);
        if self.m.dynamo_pressure > 0.0 {
            let line = Json::new(
                "WARN",
                "BatchWriteItem returned unprocessed items, retrying",
            )
            .str("requestId", &id)
            .str("table", TABLE_DATA)
            .num("unprocessed", (5.0 + 20.0 * self.m.dynamo_pressure).round())
            .obj(
                "error",
                &[("code", "ProvisionedThroughputExceededException")],
            )
            .str("function", FN_PRICE)
            .finish();
            self.push(GROUP_PRICE, line);
        }
        let line = Json::new("INFO", "prices updated")
            .str("requestId", &id)
            .str("table", TABLE_DATA)
            .num("items", 50.0)
            .str("function", FN_PRICE)
            .finish();
        self.push(GROUP_PRICE, line);
        let ms = fetch + 120.0 + 80.0 * self.rng.unit();
        self.push(GROUP_PRICE, format!("END RequestId: {id}"));
        self.push(
            GROUP_PRICE,
            format!(
                "REPORT RequestId: {id}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {MEMORY_MB} MB\tMax Memory Used: 96 MB\t",
                ms.ceil() as u64
            ),
        );
    }
}

/// A JSON object written field by field, in order (the way structured loggers write them).
struct Json(String);

impl Json {
    fn new(level: &str, message: &str) -> Self {
        Json(String::from("{"))
            .str("level", level)
            .str("message", message)
    }

    fn bare() -> Self {
        Json(String::from("{"))
    }

    fn sep(&mut self) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
    }

    fn str(mut self, k: &str, v: &str) -> Self {
        self.sep();
        let _ = write!(self.0, "{}:{}", quote(k), quote(v));
        self
    }

    fn num(mut self, k: &str, v: f64) -> Self {
        self.sep();
        if v.fract() == 0.0 && v.abs() < 1e15 {
            let _ = write!(self.0, "{}:{}", quote(k), v as i64);
        } else {
            let _ = write!(self.0, "{}:{v}", quote(k));
        }
        self
    }

    fn obj(mut self, k: &str, fields: &[(&str, &str)]) -> Self {
        self.sep();
        let inner: Vec<String> = fields
            .iter()
            .map(|(a, b)| format!("{}:{}", quote(a), quote(b)))
            .collect();
        let _ = write!(self.0, "{}:{{{}}}", quote(k), inner.join(","));
        self
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// A JSON string literal (control characters escaped as `\u00XX`, as JSON requires).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a second and a millisecond.
pub fn iso_millis(ts: Ts, ms: u64) -> String {
    let days = ts.div_euclid(DAY);
    let secs = ts.rem_euclid(DAY);
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60,
        ms.min(999)
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso_millis(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(1_795_424_400, 42), "2026-11-23T09:00:00.042Z");
        assert_eq!(iso_millis(951_782_400, 5), "2000-02-29T00:00:00.005Z");
    }

    #[test]
    fn json_lines_parse() {
        let line = Json::new("ERROR", "a \"quoted\" \u{1b}[2J thing")
            .num("duration", 2345.0)
            .num("ratio", 0.5)
            .obj("error", &[("code", "INTERNAL_ERROR")])
            .finish();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "ERROR");
        assert_eq!(v["duration"], 2345);
        assert_eq!(v["error"]["code"], "INTERNAL_ERROR");
        assert!(line.contains("\\u001b[2J"));
        assert!(line.starts_with("{\"level\":\"ERROR\",\"message\":"));
    }
}
