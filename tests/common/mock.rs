//! Clients whose answers come from `aws-smithy-mocks` rules, over the real SDK and opsdeck's
//! `Clients` (read-only guard and call log as in production).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_mocks::{create_mock_http_client, MockResponseInterceptor, Rule, RuleMode};
use opsdeck::source::aws::clients::Clients;

/// An SDK config in us-east-1 with test credentials, the mock HTTP client and no retries.
pub fn sdk() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::for_tests()))
        .http_client(create_mock_http_client())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build()
}

/// An SDK config in eu-west-1 with the credentials `a` / `b` and the mock HTTP client, the
/// SDK's retries left as they are.
pub fn sdk_eu_west_1() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "a", "b", None, None, "test",
        )))
        .http_client(create_mock_http_client())
        .build()
}

/// An interceptor answering from `rules`: any rule that matches, reusable.
pub fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |i, r| i.with_rule(r),
    )
}

/// Clients whose CloudWatch answers from `rules` (see [`interceptor`]), over [`sdk`].
pub fn cloudwatch(rules: &[&Rule]) -> Clients {
    let sdk = sdk();
    Clients::with_cloudwatch_config(
        &sdk,
        aws_sdk_cloudwatch::config::Builder::from(&sdk).interceptor(interceptor(rules)),
    )
}

/// Clients whose Logs client answers from `rules` (see [`interceptor`]), over [`sdk`].
pub fn logs(rules: &[&Rule]) -> Clients {
    let sdk = sdk();
    let logs = aws_sdk_cloudwatchlogs::Client::from_conf(
        aws_sdk_cloudwatchlogs::config::Builder::from(&sdk)
            .interceptor(interceptor(rules))
            .build(),
    );
    Clients {
        logs,
        ..Clients::from_sdk_config(&sdk)
    }
}

/// Put the Lambda client of `clients` behind an interceptor answering from `rules` (see
/// [`interceptor`]), keeping the rest of its configuration.
pub fn lambda(clients: &mut Clients, rules: &[&Rule]) {
    clients.lambda = aws_sdk_lambda::Client::from_conf(
        clients
            .lambda
            .config()
            .to_builder()
            .interceptor(interceptor(rules))
            .build(),
    );
}
