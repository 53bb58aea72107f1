//! The inventory: which Lambda functions, Aurora instances and DynamoDB tables the account
//! has, read with `List*` / `Describe*` / `Get*` calls (every few minutes, not per refresh).
//!
//! Each service is read on its own and fails on its own: when RDS is denied, Lambda and
//! DynamoDB still come back, and [`InventoryResult::merged`] keeps the previous RDS part on
//! screen. AWS SDK types stop here; what leaves is `model::metrics` types and
//! [`SourceFailure`]s.
//!
//! IAM actions used: `lambda:ListFunctions`, `lambda:GetFunctionConcurrency`,
//! `lambda:GetAccountSettings`, `rds:DescribeDBClusters`, `rds:DescribeDBInstances`,
//! `dynamodb:ListTables`, `dynamodb:DescribeTable`.

use std::collections::HashMap;
use std::fmt::Debug;

use aws_sdk_dynamodb::types::BillingMode;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::clients::Clients;
use crate::config::{name_selected, AwsSettings};
use crate::model::metrics::{Capacity, DbInstance, DbRole, Inventory, LambdaFunction, Table};
use crate::model::time::Ts;
use crate::model::Update;

/// Scope of Lambda inventory failures (`Update::SourceError::scope`).
pub const SCOPE_LAMBDA: &str = "aws/lambda";
/// Scope of a failed `GetAccountSettings` (not fatal: the default limit is used).
pub const SCOPE_LAMBDA_ACCOUNT: &str = "aws/lambda/account-settings";
pub const SCOPE_RDS: &str = "aws/rds";
pub const SCOPE_DYNAMODB: &str = "aws/dynamodb";

/// Lambda's default account-wide concurrent executions limit, used when
/// `GetAccountSettings` cannot be read (moto does not implement it).
pub const DEFAULT_ACCOUNT_CONCURRENCY: u32 = 1000;

/// What kind of failure, for the caller's retry / stale logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The credentials lack an IAM permission; the message names the action.
    AccessDenied,
    /// Missing, invalid or expired credentials.
    Credentials,
    /// Throttled by AWS (the SDK already retried).
    Throttled,
    /// The request timed out.
    Timeout,
    /// The endpoint could not be reached.
    Unreachable,
    /// Anything else (a service error, a malformed response, the read-only guard).
    Other,
}

/// One part of the AWS source failed. Becomes an `Update::SourceError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFailure {
    pub scope: String,
    pub message: String,
    pub kind: FailureKind,
}

impl SourceFailure {
    pub fn new(scope: impl Into<String>, kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            scope: scope.into(),
            message: message.into(),
            kind,
        }
    }

    /// Classify an SDK error from the operation `action` (the IAM action, e.g.
    /// `lambda:ListFunctions`). On AccessDenied the message names the action; an answer that
    /// could not be read or parsed says so, with its HTTP status and content type.
    pub fn from_sdk<E, R>(scope: &str, action: &str, err: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: Debug + 'static,
    {
        let code = err.code().unwrap_or("");
        let detail = err.message().unwrap_or("");
        let (kind, message) = match err {
            SdkError::TimeoutError(_) => (FailureKind::Timeout, format!("{action} timed out")),
            SdkError::DispatchFailure(d) if d.is_timeout() => {
                (FailureKind::Timeout, format!("{action} timed out"))
            }
            SdkError::DispatchFailure(_) => (
                FailureKind::Unreachable,
                format!("could not reach AWS for {action}: {}", causes(err)),
            ),
            _ if is_access_denied(code) => (
                FailureKind::AccessDenied,
                format!(
                    "access denied: the credentials need the IAM permission {action} ({code}{}{detail})",
                    if detail.is_empty() { "" } else { ": " }
                ),
            ),
            _ if is_credentials(code) => (
                FailureKind::Credentials,
                format!(
                    "credentials rejected on {action} ({code}): refresh them (e.g. aws sso login --profile NAME)"
                ),
            ),
            _ if is_throttling(code) => (
                FailureKind::Throttled,
                format!("throttled by AWS on {action} ({code}); retrying later"),
            ),
            SdkError::ResponseError(_) => (
                FailureKind::Other,
                format!(
                    "could not read the whole answer to {action}{}: {}",
                    http_facts(err)
                        .map(|(status, _)| format!(" (HTTP {status})"))
                        .unwrap_or_default(),
                    causes(err)
                ),
            ),
            SdkError::ServiceError(_) if code.is_empty() => {
                (FailureKind::Other, unreadable(action, err))
            }
            _ if !code.is_empty() => (
                FailureKind::Other,
                format!(
                    "{action} failed: {code}{}{detail}",
                    if detail.is_empty() { "" } else { ": " }
                ),
            ),
            _ => (
                FailureKind::Other,
                format!("{action} failed: {}", causes(err)),
            ),
        };
        Self::new(scope, kind, message)
    }

    /// The update that tells the model.
    pub fn to_update(&self, at: Ts) -> Update {
        Update::SourceError {
            scope: self.scope.clone(),
            message: self.message.clone(),
            at,
        }
    }
}

impl std::fmt::Display for SourceFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.scope, self.message)
    }
}

/// At most this many characters of an error's causes go into a failure's message.
const MAX_CAUSES: usize = 300;

/// The causes of an error, outermost first, joined by `: `, without the SDK's generic
/// wrappers ("service error", "dispatch failure", ...), repeats, or debug dumps of the raw
/// response: e.g. `client error (Connect): tcp connect error: Connection refused (os error
/// 111)`.
pub fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    const GENERIC: [&str; 7] = [
        "service error",
        "unhandled error",
        "dispatch failure",
        "response error",
        "io error",
        "timeout",
        "failed to construct request",
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        let text = text.trim();
        if !text.is_empty() && !GENERIC.contains(&text) && !parts.iter().any(|p| p.contains(text)) {
            parts.push(text.to_string());
        }
        next = e.source();
    }
    let all = if parts.is_empty() {
        "no detail".to_string()
    } else {
        parts.join(": ")
    };
    match all.char_indices().nth(MAX_CAUSES) {
        Some((cut, _)) => format!("{}…", &all[..cut]),
        None => all,
    }
}

/// The HTTP status and content type of the response an SDK error carries, if any.
fn http_facts<E, R: 'static>(err: &SdkError<E, R>) -> Option<(u16, String)> {
    let raw: &dyn std::any::Any = err.raw_response()?;
    let response = raw.downcast_ref::<HttpResponse>()?;
    let content_type = response
        .headers()
        .get("content-type")
        .unwrap_or("")
        .to_string();
    Some((response.status().as_u16(), content_type))
}

/// A response without an AWS error code: a success whose body could not be parsed (cut,
/// garbage, or an HTML page from something in the way), or an error status without one (a
/// gateway's 502 page).
fn unreadable<E, R>(action: &str, err: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: Debug + 'static,
{
    let why = causes(err);
    match http_facts(err) {
        Some((status, ct)) if (200..300).contains(&status) && ct.starts_with("text/html") => {
            format!(
                "could not parse the answer to {action}: HTTP {status} with an HTML page instead \
                 of the API's answer (a proxy or captive portal in the way?)"
            )
        }
        Some((status, ct)) if (200..300).contains(&status) => {
            let ct = if ct.is_empty() {
                "no content type"
            } else {
                &ct
            };
            format!("could not parse the answer to {action} (HTTP {status}, {ct}): {why}")
        }
        // An error status: the error's own words (a modeled error built without metadata
        // has no code but says what it is), with the status and type the endpoint sent.
        Some((status, ct)) if ct.is_empty() => format!("{action} failed: {why} (HTTP {status})"),
        Some((status, ct)) => format!("{action} failed: {why} (HTTP {status}, {ct})"),
        None => format!("{action} failed: {why}"),
    }
}

/// Error codes that mean "the IAM policy does not allow this".
pub fn is_access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "UnauthorizedException"
            | "AuthorizationError"
    )
}

fn is_credentials(code: &str) -> bool {
    matches!(
        code,
        "ExpiredToken"
            | "ExpiredTokenException"
            | "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "MissingAuthenticationToken"
    )
}

/// Error codes that mean "slow down".
pub fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "RequestThrottled"
            | "RequestThrottledException"
            | "ProvisionedThroughputExceededException"
            | "LimitExceededException"
    )
}

/// The Lambda part of the inventory.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaInventory {
    /// Sorted by name.
    pub functions: Vec<LambdaFunction>,
    pub account_concurrency: u32,
    /// The functions' log groups (`/aws/lambda/NAME`, or the function's configured group),
    /// in the order of `functions`.
    pub log_groups: Vec<String>,
}

/// One inventory read: each service's part, or why it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryResult {
    /// e.g. `aws us-east-1`.
    pub service: String,
    pub lambda: Result<LambdaInventory, SourceFailure>,
    /// Sorted by cluster, writer first, then id.
    pub rds: Result<Vec<DbInstance>, SourceFailure>,
    /// Sorted by name.
    pub dynamodb: Result<Vec<Table>, SourceFailure>,
    /// Failures that did not stop a part (e.g. `GetAccountSettings` denied: the default
    /// limit was used).
    pub warnings: Vec<SourceFailure>,
}

impl InventoryResult {
    /// The inventory from the parts that were read; failed parts are empty.
    pub fn inventory(&self) -> Inventory {
        self.merged(&Inventory::default())
    }

    /// The inventory from the parts that were read, keeping `previous`'s values for the parts
    /// that failed (so that a throttled refresh does not empty a pane).
    pub fn merged(&self, previous: &Inventory) -> Inventory {
        let (functions, account_concurrency) = match &self.lambda {
            Ok(l) => (l.functions.clone(), l.account_concurrency),
            Err(_) => (previous.functions.clone(), previous.account_concurrency),
        };
        Inventory {
            service: self.service.clone(),
            functions,
            account_concurrency,
            db_instances: match &self.rds {
                Ok(d) => d.clone(),
                Err(_) => previous.db_instances.clone(),
            },
            tables: match &self.dynamodb {
                Ok(t) => t.clone(),
                Err(_) => previous.tables.clone(),
            },
        }
    }

    /// The Lambda functions' log groups, if Lambda was read.
    pub fn log_groups(&self) -> Option<&[String]> {
        self.lambda.as_ref().ok().map(|l| l.log_groups.as_slice())
    }

    /// Every failure: failed parts first, then warnings.
    pub fn failures(&self) -> Vec<SourceFailure> {
        [
            self.lambda.as_ref().err(),
            self.rds.as_ref().err(),
            self.dynamodb.as_ref().err(),
        ]
        .into_iter()
        .flatten()
        .cloned()
        .chain(self.warnings.iter().cloned())
        .collect()
    }

    /// What to tell the model: the merged inventory, a `SourceError` per failure and a
    /// `SourceOk` per scope that worked.
    pub fn updates(&self, previous: &Inventory, at: Ts) -> Vec<Update> {
        let mut out = vec![Update::Inventory(self.merged(previous))];
        let failures = self.failures();
        out.extend(failures.iter().map(|f| f.to_update(at)));
        for scope in [
            SCOPE_LAMBDA,
            SCOPE_LAMBDA_ACCOUNT,
            SCOPE_RDS,
            SCOPE_DYNAMODB,
        ] {
            if !failures.iter().any(|f| f.scope == scope) {
                out.push(Update::SourceOk {
                    scope: scope.to_string(),
                });
            }
        }
        out
    }
}

/// Read the whole inventory; the three services are read concurrently and fail alone.
pub async fn fetch(clients: &Clients) -> InventoryResult {
    let region = clients
        .lambda
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "(no region)".to_string());
    let mut warnings = Vec::new();
    let (lambda, rds, dynamodb) = tokio::join!(
        fetch_lambda(clients),
        fetch_rds(clients),
        fetch_dynamodb(clients)
    );
    let lambda = lambda.map(|(l, w)| {
        warnings.extend(w);
        l
    });
    InventoryResult {
        service: format!("aws {region}"),
        lambda,
        rds,
        dynamodb,
        warnings,
    }
}

/// The log group of a function that does not configure one.
pub fn default_log_group(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

/// The log groups to read: of the groups the account listed, those of the functions the
/// profile selects and every group that is not a function's (none of them with
/// `no_function_logs`), then the profile's `log_groups`. When Lambda was not read this time
/// (`result` has no groups), the functions' groups of `kept` stand in for the listed ones.
pub fn groups_to_read(
    result: &InventoryResult,
    inv: &Inventory,
    settings: &AwsSettings,
    kept: &[String],
) -> Vec<String> {
    let mut groups = Vec::new();
    if !settings.no_function_logs {
        match result.log_groups() {
            Some(g) => groups.extend(
                g.iter()
                    .filter(|g| {
                        inv.functions
                            .iter()
                            .any(|f| g.as_str() == default_log_group(&f.name))
                            || !g.starts_with("/aws/lambda/")
                    })
                    .cloned(),
            ),
            None => groups.extend(
                kept.iter()
                    .filter(|g| g.starts_with("/aws/lambda/"))
                    .cloned(),
            ),
        }
    }
    for g in &settings.log_groups {
        if !groups.contains(g) {
            groups.push(g.clone());
        }
    }
    groups
}

/// Lambda: ListFunctions (paged), GetFunctionConcurrency per function, GetAccountSettings.
pub async fn fetch_lambda(
    clients: &Clients,
) -> Result<(LambdaInventory, Vec<SourceFailure>), SourceFailure> {
    let mut warnings = Vec::new();
    let mut listed: Vec<(String, String)> = Vec::new();
    let mut pages = clients.lambda.list_functions().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| SourceFailure::from_sdk(SCOPE_LAMBDA, "lambda:ListFunctions", &e))?;
        for f in page.functions() {
            let Some(name) = f.function_name() else {
                continue;
            };
            let group = f
                .logging_config()
                .and_then(|l| l.log_group())
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| default_log_group(name));
            listed.push((name.to_string(), group));
        }
    }
    listed.sort();
    listed.dedup_by(|a, b| a.0 == b.0);

    // Reserved concurrency is not in ListFunctions: one GetFunctionConcurrency each.
    let mut functions = Vec::with_capacity(listed.len());
    let mut concurrency_denied = false;
    for (name, _) in &listed {
        let mut reserved = None;
        if !concurrency_denied {
            match clients
                .lambda
                .get_function_concurrency()
                .function_name(name)
                .send()
                .await
            {
                Ok(out) => {
                    reserved = out
                        .reserved_concurrent_executions()
                        .map(|r| r.max(0) as u32)
                }
                Err(e) => {
                    let f =
                        SourceFailure::from_sdk(SCOPE_LAMBDA, "lambda:GetFunctionConcurrency", &e);
                    if f.kind != FailureKind::AccessDenied {
                        // A throttled or failed read would show a wrong limit: fail the part.
                        return Err(f);
                    }
                    // Denied for one means denied for all: show the functions without
                    // their reserved concurrency and say why.
                    concurrency_denied = true;
                    warnings.push(f);
                }
            }
        }
        functions.push(LambdaFunction {
            name: name.clone(),
            reserved,
        });
    }

    let account_concurrency = match clients.lambda.get_account_settings().send().await {
        Ok(out) => out
            .account_limit()
            .map(|l| l.concurrent_executions().max(0) as u32)
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_ACCOUNT_CONCURRENCY),
        Err(e) => {
            let f = SourceFailure::from_sdk(SCOPE_LAMBDA_ACCOUNT, "lambda:GetAccountSettings", &e);
            // Not fatal: the default limit applies. Only a denial is worth showing (the
            // operator can fix it); an unsupported endpoint (moto) is ignored.
            if f.kind == FailureKind::AccessDenied {
                warnings.push(SourceFailure {
                    message: format!(
                        "{}; using the default account limit {DEFAULT_ACCOUNT_CONCURRENCY}",
                        f.message
                    ),
                    ..f
                });
            }
            DEFAULT_ACCOUNT_CONCURRENCY
        }
    };

    Ok((
        LambdaInventory {
            functions,
            account_concurrency,
            log_groups: listed.into_iter().map(|(_, g)| g).collect(),
        },
        warnings,
    ))
}

/// RDS: DescribeDBClusters (for the writer flag) and DescribeDBInstances, both paged.
/// Instances outside a cluster are listed as writers of a cluster named "".
pub async fn fetch_rds(clients: &Clients) -> Result<Vec<DbInstance>, SourceFailure> {
    // instance id -> (cluster id, is writer)
    let mut members: HashMap<String, (String, bool)> = HashMap::new();
    let mut pages = clients.rds.describe_db_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| SourceFailure::from_sdk(SCOPE_RDS, "rds:DescribeDBClusters", &e))?;
        for c in page.db_clusters() {
            let cluster = c.db_cluster_identifier().unwrap_or_default();
            for m in c.db_cluster_members() {
                if let Some(id) = m.db_instance_identifier() {
                    members.insert(
                        id.to_string(),
                        (cluster.to_string(), m.is_cluster_writer().unwrap_or(false)),
                    );
                }
            }
        }
    }

    let mut out = Vec::new();
    let mut pages = clients.rds.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| SourceFailure::from_sdk(SCOPE_RDS, "rds:DescribeDBInstances", &e))?;
        for i in page.db_instances() {
            let Some(id) = i.db_instance_identifier() else {
                continue;
            };
            let class = i.db_instance_class().unwrap_or_default().to_string();
            let engine = i.engine().unwrap_or_default();
            let (cluster, role) = match (members.get(id), i.db_cluster_identifier()) {
                (Some((c, w)), _) => (c.clone(), if *w { DbRole::Writer } else { DbRole::Reader }),
                // In a cluster that did not list it (e.g. just added): not the writer.
                (None, Some(c)) => (c.to_string(), DbRole::Reader),
                (None, None) => (String::new(), DbRole::Writer),
            };
            out.push(DbInstance {
                id: id.to_string(),
                cluster,
                role,
                max_connections: default_max_connections(engine, &class),
                class,
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.cluster, a.role != DbRole::Writer, &a.id).cmp(&(
            &b.cluster,
            b.role != DbRole::Writer,
            &b.id,
        ))
    });
    Ok(out)
}

/// The default `max_connections` of an instance class, as AWS documents it for the default
/// parameter groups. Aurora MySQL: large 1000, xlarge 2000, 2xlarge 3000, 4xlarge 4000,
/// 8xlarge 5000, 12xlarge/16xlarge 6000, 24xlarge and up 7000; burstable (`db.t*`) small 45,
/// medium 90, large 135. Aurora PostgreSQL: `LEAST({DBInstanceClassMemory/9531392}, 5000)`,
/// which the documented table gives as large 1000, xlarge 2000, 2xlarge 3000, 4xlarge 4000,
/// 8xlarge and up 5000; burstable medium 90 (approximation), large 135 (approximation).
/// Other engines (RDS PostgreSQL / MySQL) use the same size table. Unknown classes (e.g.
/// `db.serverless`, whose limit depends on its capacity) get 1000. A profile's
/// `max_connections` overrides this.
pub fn default_max_connections(engine: &str, class: &str) -> u32 {
    let postgres = engine.contains("postgres");
    let mut parts = class.trim_start_matches("db.").splitn(2, '.');
    let family = parts.next().unwrap_or("");
    let size = parts.next().unwrap_or("");
    if family.starts_with('t') {
        return match size {
            "micro" | "small" => 45,
            "medium" => 90,
            "large" => 135,
            "xlarge" => 270,
            "2xlarge" => 540,
            _ => 1000,
        };
    }
    let n = match size {
        "large" => 1000,
        "xlarge" => 2000,
        "2xlarge" => 3000,
        "4xlarge" => 4000,
        "8xlarge" => 5000,
        "12xlarge" | "16xlarge" => 6000,
        s if s.ends_with("xlarge") => 7000,
        _ => return 1000,
    };
    if postgres {
        n.min(5000)
    } else {
        n
    }
}

/// DynamoDB: ListTables (paged) and DescribeTable per table.
pub async fn fetch_dynamodb(clients: &Clients) -> Result<Vec<Table>, SourceFailure> {
    let mut names = Vec::new();
    let mut pages = clients.dynamodb.list_tables().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| SourceFailure::from_sdk(SCOPE_DYNAMODB, "dynamodb:ListTables", &e))?;
        names.extend(page.table_names().iter().cloned());
    }
    names.sort();
    names.dedup();

    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let desc = clients
            .dynamodb
            .describe_table()
            .table_name(&name)
            .send()
            .await;
        let desc = match desc {
            Ok(d) => d,
            // Deleted between ListTables and DescribeTable: not there any more.
            Err(e) if e.code() == Some("ResourceNotFoundException") => continue,
            Err(e) => {
                return Err(SourceFailure::from_sdk(
                    SCOPE_DYNAMODB,
                    "dynamodb:DescribeTable",
                    &e,
                ))
            }
        };
        let Some(t) = desc.table() else {
            continue;
        };
        let mode = t.billing_mode_summary().and_then(|b| b.billing_mode());
        let (rcu, wcu) = t
            .provisioned_throughput()
            .map(|p| {
                (
                    p.read_capacity_units().unwrap_or(0),
                    p.write_capacity_units().unwrap_or(0),
                )
            })
            .unwrap_or((0, 0));
        out.push(Table {
            name,
            capacity: capacity(mode, rcu, wcu),
        });
    }
    Ok(out)
}

/// Apply a service profile's `[aws]` settings to a discovered inventory: keep only the
/// functions, tables and DB instances (by their cluster) its filters select (an empty filter
/// keeps everything), and set each instance's `max_connections` from `aws.max_connections`:
/// the instance's own entry first, then its cluster's; otherwise the discovered value (the
/// instance-class default) stays.
pub fn apply_settings(inv: &mut Inventory, aws: &AwsSettings) {
    inv.functions
        .retain(|f| name_selected(&aws.functions, &f.name));
    inv.tables.retain(|t| name_selected(&aws.tables, &t.name));
    inv.db_instances
        .retain(|d| name_selected(&aws.db_clusters, &d.cluster));
    for d in &mut inv.db_instances {
        if let Some(max) = aws
            .max_connections
            .get(&d.id)
            .or_else(|| aws.max_connections.get(&d.cluster))
        {
            d.max_connections = *max;
        }
    }
}

/// PROVISIONED → provisioned units; PAY_PER_REQUEST → on demand; no billing mode summary
/// (older tables, some responses) → provisioned if any throughput is set, else on demand.
fn capacity(mode: Option<&BillingMode>, rcu: i64, wcu: i64) -> Capacity {
    let provisioned = Capacity::Provisioned {
        rcu: rcu as f64,
        wcu: wcu as f64,
    };
    match mode {
        Some(BillingMode::PayPerRequest) => Capacity::OnDemand,
        Some(BillingMode::Provisioned) => provisioned,
        _ if rcu > 0 || wcu > 0 => provisioned,
        _ => Capacity::OnDemand,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    mod answers {
        use super::super::*;
        use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataError;
        use aws_smithy_runtime_api::client::result::SdkError;
        use aws_smithy_runtime_api::http::{Response, StatusCode};
        use aws_smithy_types::body::SdkBody;

        fn response(status: u16, content_type: &str) -> Response {
            let mut r = Response::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
            r.headers_mut()
                .insert("content-type", content_type.to_string());
            r
        }

        fn classify(err: SdkError<GetMetricDataError, Response>) -> SourceFailure {
            SourceFailure::from_sdk("aws/metrics", "cloudwatch:GetMetricData", &err)
        }

        #[test]
        fn a_success_that_cannot_be_parsed_says_so_with_status_and_type() {
            let bad = GetMetricDataError::unhandled("unexpected type break at position 0");
            let f = classify(SdkError::service_error(
                bad,
                response(200, "application/cbor"),
            ));
            assert_eq!(f.kind, FailureKind::Other);
            assert_eq!(
                f.message,
                "could not parse the answer to cloudwatch:GetMetricData (HTTP 200, \
                 application/cbor): unexpected type break at position 0"
            );
            let html = GetMetricDataError::unhandled("unexpected type 0x3c at position 0");
            let f = classify(SdkError::service_error(
                html,
                response(200, "text/html; charset=utf-8"),
            ));
            assert!(f.message.contains("HTML page instead"), "{}", f.message);
        }

        #[test]
        fn an_error_status_without_an_aws_code_names_the_status() {
            let f = classify(SdkError::service_error(
                GetMetricDataError::unhandled("not CBOR"),
                response(502, "text/plain"),
            ));
            assert_eq!(
                f.message,
                "cloudwatch:GetMetricData failed: not CBOR (HTTP 502, text/plain)"
            );
        }

        #[test]
        fn a_cut_answer_and_an_unreachable_endpoint_carry_no_debug_dump() {
            let eof = std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "end of file before message length reached",
            );
            let f = classify(SdkError::response_error(
                eof,
                response(200, "application/cbor"),
            ));
            assert_eq!(
                f.message,
                "could not read the whole answer to cloudwatch:GetMetricData (HTTP 200): end of \
                 file before message length reached"
            );
            let refused = std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "Connection refused (os error 111)",
            );
            let f = classify(SdkError::dispatch_failure(
                aws_smithy_runtime_api::client::result::ConnectorError::io(refused.into()),
            ));
            assert_eq!(f.kind, FailureKind::Unreachable);
            assert_eq!(
                f.message,
                "could not reach AWS for cloudwatch:GetMetricData: Connection refused (os error 111)"
            );
            assert!(!f.message.contains("DispatchFailure"), "{}", f.message);
        }

        #[test]
        fn a_coded_error_is_its_code_and_message() {
            let meta = aws_smithy_types::error::ErrorMetadata::builder()
                .code("InvalidParameterValue")
                .message("bad period")
                .build();
            let f = classify(SdkError::service_error(
                GetMetricDataError::generic(meta),
                response(400, "application/cbor"),
            ));
            assert_eq!(
                f.message,
                "cloudwatch:GetMetricData failed: InvalidParameterValue: bad period"
            );
        }
    }

    #[test]
    fn max_connections_defaults() {
        assert_eq!(
            default_max_connections("aurora-postgresql", "db.r6g.large"),
            1000
        );
        assert_eq!(
            default_max_connections("aurora-postgresql", "db.r6g.2xlarge"),
            3000
        );
        assert_eq!(
            default_max_connections("aurora-postgresql", "db.r6g.16xlarge"),
            5000
        );
        assert_eq!(
            default_max_connections("aurora-mysql", "db.r6g.16xlarge"),
            6000
        );
        assert_eq!(
            default_max_connections("aurora-mysql", "db.r5.24xlarge"),
            7000
        );
        assert_eq!(default_max_connections("aurora-mysql", "db.t4g.medium"), 90);
        assert_eq!(
            default_max_connections("aurora-postgresql", "db.serverless"),
            1000
        );
        assert_eq!(default_max_connections("", ""), 1000);
    }

    #[test]
    fn billing_modes() {
        assert_eq!(
            capacity(Some(&BillingMode::Provisioned), 50, 25),
            Capacity::Provisioned {
                rcu: 50.0,
                wcu: 25.0
            }
        );
        assert_eq!(
            capacity(Some(&BillingMode::PayPerRequest), 0, 0),
            Capacity::OnDemand
        );
        assert_eq!(capacity(None, 0, 0), Capacity::OnDemand);
        assert_eq!(
            capacity(None, 5, 5),
            Capacity::Provisioned { rcu: 5.0, wcu: 5.0 }
        );
    }

    fn sample() -> Inventory {
        let db = |id: &str, cluster: &str, role| DbInstance {
            id: id.into(),
            cluster: cluster.into(),
            role,
            class: "db.r6g.large".into(),
            max_connections: 1000,
        };
        Inventory {
            service: "aws us-east-1".into(),
            functions: ["crypto-watch-api", "profile-api", "profile-worker"]
                .iter()
                .map(|n| LambdaFunction {
                    name: n.to_string(),
                    reserved: None,
                })
                .collect(),
            account_concurrency: 1000,
            db_instances: vec![
                db("profile-db-writer", "profile-db", DbRole::Writer),
                db("profile-db-reader-1", "profile-db", DbRole::Reader),
                db("orders-1", "orders", DbRole::Writer),
            ],
            tables: ["crypto-watch-data", "crypto-watch-sessions", "orders"]
                .iter()
                .map(|n| Table {
                    name: n.to_string(),
                    capacity: Capacity::OnDemand,
                })
                .collect(),
        }
    }

    #[test]
    fn settings_filter_the_inventory() {
        let mut inv = sample();
        apply_settings(&mut inv, &AwsSettings::default());
        assert_eq!(inv, sample(), "empty filters keep everything");

        let aws = AwsSettings {
            functions: vec!["profile-*".into()],
            db_clusters: vec!["profile-db".into()],
            tables: vec!["crypto-watch-data".into()],
            ..Default::default()
        };
        let mut inv = sample();
        apply_settings(&mut inv, &aws);
        let names = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
        assert_eq!(
            inv.functions
                .iter()
                .map(|f| f.name.clone())
                .collect::<Vec<_>>(),
            names(vec!["profile-api", "profile-worker"])
        );
        assert_eq!(
            inv.db_instances
                .iter()
                .map(|d| d.id.clone())
                .collect::<Vec<_>>(),
            names(vec!["profile-db-writer", "profile-db-reader-1"]),
            "instances by their cluster"
        );
        assert_eq!(
            inv.tables
                .iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>(),
            names(vec!["crypto-watch-data"])
        );
        assert_eq!(inv.account_concurrency, 1000);
        assert_eq!(inv.service, "aws us-east-1");
    }

    #[test]
    fn settings_set_max_connections() {
        let aws = AwsSettings {
            max_connections: [
                ("profile-db".to_string(), 100),
                ("profile-db-reader-1".to_string(), 50),
            ]
            .into_iter()
            .collect(),
            ..Default::default()
        };
        let mut inv = sample();
        apply_settings(&mut inv, &aws);
        let max: Vec<(&str, u32)> = inv
            .db_instances
            .iter()
            .map(|d| (d.id.as_str(), d.max_connections))
            .collect();
        assert_eq!(
            max,
            [
                ("profile-db-writer", 100),  // its cluster's
                ("profile-db-reader-1", 50), // its own wins
                ("orders-1", 1000),          // the class default stays
            ]
        );
    }

    #[test]
    fn error_codes() {
        assert!(is_access_denied("AccessDeniedException"));
        assert!(is_access_denied("AccessDenied"));
        assert!(!is_access_denied("ThrottlingException"));
        assert!(is_throttling("ThrottlingException"));
        assert!(is_throttling("Throttling"));
    }
}
