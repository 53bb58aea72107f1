//! The one place that builds AWS clients. Every client carries the read-only guard: an
//! interceptor that refuses, before anything is sent, every operation that is not a read
//! (`Describe*`, `Get*`, `List*`, `FilterLogEvents`, `StartLiveTail`, `StartQuery`,
//! `GetQueryResults`, `StopQuery`), and records every call for the status bar and for tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Operations opsdeck may send besides `Describe*`, `Get*` and `List*`.
pub const ALLOWED_OPERATIONS: [&str; 5] = [
    "FilterLogEvents",
    "StartLiveTail",
    "StartQuery",
    "GetQueryResults",
    "StopQuery",
];

/// Is this operation a read that opsdeck may send?
pub fn is_read_only(operation: &str) -> bool {
    ["Describe", "Get", "List"].iter().any(|p| {
        operation
            .strip_prefix(p)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
    }) || ALLOWED_OPERATIONS.contains(&operation)
}

/// One call as the guard saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub service: String,
    pub operation: String,
    /// False when the guard refused it (it was never sent).
    pub allowed: bool,
}

/// Every call of a session, in order, shared by all clients: each attempt that went to the
/// server (retries included), and each call the guard refused (never sent).
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    inner: Arc<Mutex<Vec<Call>>>,
}

impl CallLog {
    fn record(&self, service: &str, operation: &str, allowed: bool) {
        if let Ok(mut calls) = self.inner.lock() {
            calls.push(Call {
                service: service.into(),
                operation: operation.into(),
                allowed,
            });
        }
    }

    /// All calls so far.
    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Calls per `Service.Operation`.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for c in self.calls() {
            *out.entry(format!("{}.{}", c.service, c.operation))
                .or_insert(0) += 1;
        }
        out
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|c| c.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The read-only guard.
#[derive(Debug, Clone)]
struct ReadOnly {
    log: CallLog,
}

impl Intercept for ReadOnly {
    fn name(&self) -> &'static str {
        "opsdeck-read-only"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(meta) = cfg.load::<Metadata>() else {
            return Err("opsdeck is read-only: an operation without a name was refused".into());
        };
        let allowed = is_read_only(meta.name());
        if allowed {
            // Counted per attempt that went to the server (see `read_after_attempt`).
            Ok(())
        } else {
            self.log.record(meta.service(), meta.name(), false);
            Err(format!(
                "opsdeck is read-only: refused to send {}.{} (only Describe*, Get*, List*, {} are allowed)",
                meta.service(),
                meta.name(),
                ALLOWED_OPERATIONS.join(", ")
            )
            .into())
        }
    }

    /// Every attempt that went to the server is recorded when it ends, retries included, so
    /// that the call log is what the server saw (and bills): an attempt that got a response,
    /// or that timed out waiting for one. An attempt that never connected (DNS, refused) is
    /// not a call.
    fn read_after_attempt(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let sent = context.response().is_some()
            || match context.output_or_error() {
                Some(Err(e)) => match e.as_connector_error() {
                    Some(c) => c.is_timeout(),
                    None => e.is_timeout_error(),
                },
                _ => context.request().is_some(),
            };
        if let (true, Some(meta)) = (sent, cfg.load::<Metadata>()) {
            self.log.record(meta.service(), meta.name(), true);
        }
        Ok(())
    }
}

/// Every request gets a deadline: AWS SDK calls have none by default.
pub fn timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(30))
        .build()
}

/// The SDK configuration opsdeck uses: the standard credential chain and endpoint overrides,
/// `--profile` / `--region` like the AWS CLI, standard retries (3 attempts) and [`timeouts`].
pub async fn sdk_config(profile: Option<&str>, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r.to_string()));
    }
    loader.load().await
}

/// All clients opsdeck uses, built from one `SdkConfig`, each with the read-only guard.
#[derive(Debug, Clone)]
pub struct Clients {
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub rds: aws_sdk_rds::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// STS, for GetCallerIdentity (the account ID on the war-room banner).
    pub sts: aws_sdk_sts::Client,
    pub calls: CallLog,
}

impl Clients {
    /// The standard credential chain (environment, profiles, SSO, instance roles), with
    /// `--profile` / `--region` like the AWS CLI; `AWS_ENDPOINT_URL[_SERVICE]` is honoured.
    pub async fn load(profile: Option<&str>, region: Option<&str>) -> Clients {
        Clients::from_sdk_config(&sdk_config(profile, region).await)
    }

    pub fn from_sdk_config(sdk: &SdkConfig) -> Clients {
        let calls = CallLog::default();
        let guard = ReadOnly { log: calls.clone() };
        Clients {
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(sdk)
                    .interceptor(guard.clone())
                    .build(),
            ),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(
                aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
                    .interceptor(guard.clone())
                    .build(),
            ),
            lambda: aws_sdk_lambda::Client::from_conf(
                aws_sdk_lambda::config::Builder::from(sdk)
                    .interceptor(guard.clone())
                    .build(),
            ),
            rds: aws_sdk_rds::Client::from_conf(
                aws_sdk_rds::config::Builder::from(sdk)
                    .interceptor(guard.clone())
                    .build(),
            ),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(sdk)
                    .interceptor(guard.clone())
                    .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(sdk)
                    .interceptor(guard)
                    .build(),
            ),
            calls,
        }
    }

    /// The account the credentials belong to (STS GetCallerIdentity), read once for the
    /// war-room banner; `None` when STS cannot say (no permission, no network, no answer).
    pub async fn account_id(&self) -> Option<String> {
        let call = self.sts.get_caller_identity().send();
        // Startup waits for it: a few seconds at most, not the SDK's retries and timeouts.
        let out = tokio::time::timeout(Duration::from_secs(3), call)
            .await
            .ok()?
            .ok()?;
        out.account()
            .map(str::trim)
            .filter(|a| crate::model::environment::is_account_id(a))
            .map(str::to_string)
    }

    /// [`Clients::from_sdk_config`] with the CloudWatch client built from `cloudwatch` (a
    /// config builder carrying, e.g., a test's mock interceptor and HTTP client). The read-only
    /// guard and the call log are added to it as to every other client.
    pub fn with_cloudwatch_config(
        sdk: &SdkConfig,
        cloudwatch: aws_sdk_cloudwatch::config::Builder,
    ) -> Clients {
        let mut clients = Clients::from_sdk_config(sdk);
        let guard = ReadOnly {
            log: clients.calls.clone(),
        };
        clients.cloudwatch =
            aws_sdk_cloudwatch::Client::from_conf(cloudwatch.interceptor(guard).build());
        clients
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_names() {
        for op in [
            "DescribeAlarms",
            "GetMetricData",
            "ListMetrics",
            "ListTables",
            "DescribeTable",
            "FilterLogEvents",
            "StartLiveTail",
            "StartQuery",
            "GetQueryResults",
            "StopQuery",
        ] {
            assert!(is_read_only(op), "{op}");
        }
        for op in [
            "PutMetricData",
            "DeleteAlarms",
            "SetAlarmState",
            "PutItem",
            "UpdateFunctionConfiguration",
            "Getaway",
            "Lister",
            "StopLiveTail",
            "CreateLogGroup",
            "",
        ] {
            assert!(!is_read_only(op), "{op}");
        }
    }
}
