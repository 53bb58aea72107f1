//! The account ID on the war-room banner: STS GetCallerIdentity through opsdeck's clients
//! (read-only guard, call log), against the running emulator (moto answers with account
//! 123456789012), and a failure that only leaves the account out.

mod common;

use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sts::config::Credentials;
use opsdeck::session::{self, Files};
use opsdeck::source::aws::clients::{is_read_only, Clients};

/// moto's account.
const MOTO_ACCOUNT: &str = "123456789012";

#[tokio::test]
async fn sts_gives_the_account_through_the_guarded_clients() {
    common::env("AWS_ENDPOINT_URL");
    let clients = common::clients().await;
    assert_eq!(clients.account_id().await.as_deref(), Some(MOTO_ACCOUNT));
    let calls = clients.calls.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.operation == "GetCallerIdentity" && c.allowed),
        "the call went through the guard and into the call log: {calls:?}"
    );
    assert!(is_read_only("GetCallerIdentity"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_aws_session_keeps_the_account_and_region_for_the_banner() {
    common::env("AWS_ENDPOINT_URL");
    let (mut state, _source, _) = session::aws(None, None, &Files::default())
        .await
        .expect("the session starts against the emulator");
    assert_eq!(state.war.account_id.as_deref(), Some(MOTO_ACCOUNT));
    assert_eq!(
        state.war.region.as_deref(),
        Some(common::env("AWS_REGION").as_str())
    );
    let banner = opsdeck::warroom::banner(&state);
    assert_eq!(banner.account.as_deref(), Some(MOTO_ACCOUNT));

    // Drawn in presentation mode: the account is on the banner, masked while redacting.
    opsdeck::warroom::apply(&mut state, true, Some(false), None, false).unwrap();
    let text = common::render::text(&common::render::screen(&state, 128, 36));
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.contains(&format!("account {MOTO_ACCOUNT}")),
        "{first}"
    );
    opsdeck::warroom::command(&mut state, opsdeck::app::Command::Redact);
    let text = common::render::text(&common::render::screen(&state, 128, 36));
    assert!(!text.contains(MOTO_ACCOUNT), "{text}");
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("account ••••••••••••"),
        "{text}"
    );
}

#[tokio::test]
async fn no_answer_leaves_the_account_out_quickly() {
    // Nothing listens on port 9: the call fails, the session carries on without it.
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url("http://127.0.0.1:9")
        .load()
        .await;
    let clients = Clients::from_sdk_config(&sdk);
    let t = Instant::now();
    assert_eq!(clients.account_id().await, None);
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}
