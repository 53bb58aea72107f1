//! Deploy detection against the AWS emulator (moto): a Lambda alias seen for the first time on
//! a version published within 24 h, then moved to another version, gives deploy markers; a
//! move back is a rollback; a weighted alias deploys its additional version. Versions and
//! aliases are created at test time with boto3 (opsdeck's clients are read-only), on a
//! function of the seeded account under an alias name of this run's own. What no emulator
//! produces (access denied) is covered with aws-smithy-mocks.

mod common;

use std::process::Command;
use std::time::Duration;

use opsdeck::config::AwsSettings;
use opsdeck::model::metrics::Marker;
use opsdeck::model::Update;
use opsdeck::source::aws::deploys::{self, DeployWatcher};
use opsdeck::source::aws::source::{wall_now, AwsSource};
use opsdeck::source::Source;

/// A seeded function the other tests only list (they never look at its versions or aliases).
const FUNCTION: &str = "crypto-watch-price-update";

/// Run a boto3 step against moto: `publish TAG` (new code, then a version: prints it),
/// `alias NAME VERSION [EXTRA WEIGHT]` (create or move), `delete NAME`.
fn boto(args: &[&str]) -> String {
    let python = std::env::var("OPSDECK_TEST_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/.venv-moto/bin/python").to_string()
    });
    let script = r##"
import io, os, sys, zipfile
import boto3
lam = boto3.client("lambda", endpoint_url=os.environ["MOTO"], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
fn, op, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
if op == "publish":
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "# %s\ndef handler(e, c):\n    return 1\n" % rest[0])
    lam.update_function_code(FunctionName=fn, ZipFile=buf.getvalue())
    print(lam.publish_version(FunctionName=fn, Description=rest[0])["Version"])
elif op == "alias":
    kw = {"FunctionName": fn, "Name": rest[0], "FunctionVersion": rest[1]}
    kw["RoutingConfig"] = {"AdditionalVersionWeights": {rest[2]: float(rest[3])}} if len(rest) > 2 else {}
    try:
        lam.update_alias(**kw)
    except lam.exceptions.ResourceNotFoundException:
        if not kw["RoutingConfig"]:
            del kw["RoutingConfig"]
        lam.create_alias(**kw)
elif op == "delete":
    lam.delete_alias(FunctionName=fn, Name=rest[0])
"##;
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(FUNCTION)
        .args(args)
        .env("MOTO", common::env("OPSDECK_TEST_MOTO"))
        .output()
        .unwrap_or_else(|e| {
            panic!("run {python}: {e} (run ./scripts/test: it makes .venv-moto with boto3)")
        });
    assert!(
        out.status.success(),
        "boto3 {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// This run's own alias name (moto keeps state between runs).
fn alias_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("opsdeck-test-{}-{nanos}", std::process::id())
}

fn markers_of(updates: &[Update], alias: &str) -> Vec<Marker> {
    updates
        .iter()
        .filter_map(|u| match u {
            Update::Marker(m) if m.label.contains(&format!(" {alias} ")) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// Removes the alias at the end, whatever happened.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| boto(&["delete", &self.0]));
    }
}

#[tokio::test]
async fn alias_changes_are_deploy_markers() {
    let alias = alias_name();
    let v1 = boto(&["publish", &format!("{alias}-a")]);
    boto(&["alias", &alias, &v1]);
    let _cleanup = Cleanup(alias.clone());
    let clients = common::clients().await;
    let functions = vec![FUNCTION.to_string()];
    let mut watcher = DeployWatcher::default();

    // First sight: the version was published just now, within the chart window.
    let now = wall_now();
    let (updates, failure) = deploys::poll(&clients, &functions, &mut watcher, now).await;
    assert_eq!(failure, None);
    let m = markers_of(&updates, &alias);
    assert_eq!(m.len(), 1, "{updates:?}");
    assert_eq!(m[0].label, format!("deploy: {FUNCTION} {alias} → v{v1}"));
    assert!(
        (m[0].ts - now).abs() <= 120,
        "marked at the version's publish time ({}), about now ({now})",
        m[0].ts
    );

    // Nothing changed: no marker.
    let (updates, _) = deploys::poll(&clients, &functions, &mut watcher, now + 60).await;
    assert!(markers_of(&updates, &alias).is_empty(), "{updates:?}");

    // The alias moves to a new version: a second marker, at the time it was seen.
    let v2 = boto(&["publish", &format!("{alias}-b")]);
    assert_ne!(v1, v2);
    boto(&["alias", &alias, &v2]);
    let (updates, failure) = deploys::poll(&clients, &functions, &mut watcher, now + 120).await;
    assert_eq!(failure, None);
    assert_eq!(
        markers_of(&updates, &alias),
        vec![Marker {
            ts: now + 120,
            label: format!("deploy: {FUNCTION} {alias} → v{v2}")
        }]
    );

    // Back to the first version: a rollback.
    boto(&["alias", &alias, &v1]);
    let (updates, _) = deploys::poll(&clients, &functions, &mut watcher, now + 180).await;
    assert_eq!(
        markers_of(&updates, &alias)
            .iter()
            .map(|m| m.label.clone())
            .collect::<Vec<_>>(),
        vec![format!("rollback: {FUNCTION} {alias} → v{v1}")]
    );

    // A weighted deploy: 10 % of the traffic on v2.
    boto(&["alias", &alias, &v1, &v2, "0.1"]);
    let (updates, _) = deploys::poll(&clients, &functions, &mut watcher, now + 240).await;
    assert_eq!(
        markers_of(&updates, &alias)
            .iter()
            .map(|m| m.label.clone())
            .collect::<Vec<_>>(),
        vec![format!("deploy: {FUNCTION} {alias} → v{v2} (10%)")]
    );

    // The whole source: its deploy task finds the alias on first sight and the calls are
    // counted with the others.
    let settings = AwsSettings {
        functions: functions.clone(),
        ..AwsSettings::default()
    };
    let mut source = AwsSource::start(common::clients().await, settings, "test".into());
    assert!(
        source.first_round(Duration::from_secs(60)).await,
        "every task's first round"
    );
    let updates = source.poll(wall_now());
    let m = markers_of(&updates, &alias);
    assert_eq!(m.len(), 1, "{updates:?}");
    assert_eq!(
        m[0].label,
        format!("deploy: {FUNCTION} {alias} → v{v2} (10%)")
    );
    let counts = source.calls().counts();
    assert!(
        counts.get("Lambda.ListAliases").is_some_and(|n| *n >= 1),
        "{counts:?}"
    );
    assert!(
        counts
            .get("Lambda.GetFunctionConfiguration")
            .is_some_and(|n| *n >= 1),
        "{counts:?}"
    );
    assert!(!updates
        .iter()
        .any(|u| matches!(u, Update::SourceError { scope, .. } if scope == deploys::SCOPE)));
}

/// The seeded account has a deploy (tests/support/seed.py): crypto-watch-api's alias `live`.
#[tokio::test]
async fn the_seeded_deploy_is_found() {
    let seeded = common::seeded();
    let deploy = seeded
        .get("deploy")
        .expect("seeded.json has no deploy: reseed with ./scripts/test (tests/support/seed.py)");
    let function = deploy["function"].as_str().unwrap().to_string();
    let clients = common::clients().await;
    let mut watcher = DeployWatcher::default();
    let (updates, failure) = deploys::poll(&clients, &[function], &mut watcher, wall_now()).await;
    assert_eq!(failure, None);
    let want = deploy["marker"].as_str().unwrap();
    assert!(
        updates
            .iter()
            .any(|u| matches!(u, Update::Marker(m) if m.label == want)),
        "{want} not in {updates:?}"
    );
}

/// Access denied: a failure of the deploy scope that names the IAM action, and the functions
/// that answer still give their markers.
#[tokio::test]
async fn denied_names_the_iam_action() {
    use aws_sdk_lambda::types::AliasConfiguration;
    use aws_smithy_mocks::mock;
    use aws_smithy_types::error::ErrorMetadata;
    use opsdeck::source::aws::clients::Clients;
    use opsdeck::source::aws::inventory::FailureKind;

    let mut clients = Clients::from_sdk_config(&common::mock::sdk_eu_west_1());
    let denied = mock!(aws_sdk_lambda::Client::list_aliases)
        .match_requests(|r| r.function_name() == Some("secret"))
        .then_error(|| {
            aws_sdk_lambda::operation::list_aliases::ListAliasesError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("not authorized")
                    .build(),
            )
        });
    let listed = mock!(aws_sdk_lambda::Client::list_aliases)
        .match_requests(|r| r.function_name() == Some("api"))
        .then_output(|| {
            aws_sdk_lambda::operation::list_aliases::ListAliasesOutput::builder()
                .aliases(
                    AliasConfiguration::builder()
                        .name("live")
                        .function_version("7")
                        .build(),
                )
                .build()
        });
    let published = mock!(aws_sdk_lambda::Client::get_function_configuration).then_output(|| {
        aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput::builder()
            .version("7")
            .last_modified("2026-11-23T10:42:07.123+0000")
            .build()
    });
    common::mock::lambda(&mut clients, &[&denied, &listed, &published]);
    let mut watcher = DeployWatcher::default();
    // 2026-11-23T11:00:00Z.
    let now = 1_795_431_600;
    let (updates, failure) = deploys::poll(
        &clients,
        &["secret".to_string(), "api".to_string()],
        &mut watcher,
        now,
    )
    .await;
    let f = failure.expect("the denied function is a failure");
    assert_eq!(f.scope, "aws/lambda/deploys");
    assert_eq!(f.kind, FailureKind::AccessDenied);
    assert!(f.message.contains("lambda:ListAliases"), "{}", f.message);
    assert_eq!(
        updates,
        vec![Update::Marker(Marker {
            ts: 1_795_430_527,
            label: "deploy: api live → v7".into()
        })],
        "LastModified with a +0000 offset, as Lambda writes it"
    );
}
