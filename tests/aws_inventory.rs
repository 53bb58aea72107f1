//! The AWS inventory, the FilterLogEvents poller and the read-only guard, over the real SDK
//! against the seeded local emulator (moto). Expected values come from `seeded.json`.

mod common;
use common::{clients, seeded};

use std::collections::BTreeMap;
use std::process::Command;

use aws_smithy_types::error::display::DisplayErrorContext;
use opsdeck::model::metrics::{Capacity, DbRole};
use opsdeck::model::{Model, Profile, RawLog, Update};
use opsdeck::source::aws::clients::Clients;
use opsdeck::source::aws::inventory::{self, DEFAULT_ACCOUNT_CONCURRENCY};
use opsdeck::source::aws::logs::LogPoller;

#[tokio::test]
async fn inventory_matches_the_seeded_account() {
    let seeded = seeded();
    let clients = clients().await;
    let result = inventory::fetch(&clients).await;
    assert!(result.failures().is_empty(), "{:?}", result.failures());
    let inv = result.inventory();
    assert_eq!(
        inv.service,
        format!("aws {}", seeded["region"].as_str().unwrap())
    );

    // Lambda: every seeded function with its reserved concurrency, and its log group.
    let want: BTreeMap<String, (Option<u32>, String)> = seeded["lambda"]["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                (
                    f["reserved_concurrency"].as_u64().map(|n| n as u32),
                    f["log_group"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    let groups = result.log_groups().expect("lambda part read");
    let got: BTreeMap<String, (Option<u32>, String)> = inv
        .functions
        .iter()
        .zip(groups)
        .map(|(f, g)| (f.name.clone(), (f.reserved, g.clone())))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got["crypto-watch-api"].0, Some(100));
    // moto does not implement GetAccountSettings: the default applies, silently.
    assert_eq!(inv.account_concurrency, DEFAULT_ACCOUNT_CONCURRENCY);
    assert_eq!(inv.account_concurrency, 1000);

    // Aurora: writer and reader with their class and a default max_connections.
    for cluster in seeded["rds"]["clusters"].as_array().unwrap() {
        let cid = cluster["id"].as_str().unwrap();
        for i in cluster["instances"].as_array().unwrap() {
            let id = i["id"].as_str().unwrap();
            let db = inv
                .db_instances
                .iter()
                .find(|d| d.id == id)
                .unwrap_or_else(|| panic!("{id} in {:?}", inv.db_instances));
            assert_eq!(db.cluster, cid);
            assert_eq!(db.class, i["class"].as_str().unwrap());
            let role = match i["role"].as_str().unwrap() {
                "WRITER" => DbRole::Writer,
                _ => DbRole::Reader,
            };
            assert_eq!(db.role, role, "{id}");
            assert!(db.max_connections > 0);
            if db.class == "db.r6g.large" && cluster["engine"] == "aurora-postgresql" {
                assert_eq!(db.max_connections, 1000);
            }
        }
    }
    let writer = inv
        .db_instances
        .iter()
        .find(|d| d.id == "profile-db-writer")
        .unwrap();
    assert_eq!(writer.role, DbRole::Writer);
    let reader = inv
        .db_instances
        .iter()
        .find(|d| d.id == "profile-db-reader-1")
        .unwrap();
    assert_eq!(reader.role, DbRole::Reader);

    // DynamoDB: provisioned units, or on demand.
    for t in seeded["dynamodb"]["tables"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let got = inv
            .tables
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} in {:?}", inv.tables));
        let want = match t["billing_mode"].as_str().unwrap() {
            "PROVISIONED" => Capacity::Provisioned {
                rcu: t["provisioned_rcu"].as_f64().unwrap(),
                wcu: t["provisioned_wcu"].as_f64().unwrap(),
            },
            _ => Capacity::OnDemand,
        };
        assert_eq!(got.capacity, want, "{name}");
    }
    let data = inv
        .tables
        .iter()
        .find(|t| t.name == "crypto-watch-data")
        .unwrap();
    assert_eq!(
        data.capacity,
        Capacity::Provisioned {
            rcu: 50.0,
            wcu: 25.0
        }
    );
    let sessions = inv
        .tables
        .iter()
        .find(|t| t.name == "crypto-watch-sessions")
        .unwrap();
    assert_eq!(sessions.capacity, Capacity::OnDemand);

    // Everything it sent was a read the guard allowed.
    let calls = clients.calls.calls();
    assert!(calls.iter().all(|c| c.allowed), "{calls:?}");
    for op in [
        "ListFunctions",
        "GetFunctionConcurrency",
        "GetAccountSettings",
        "DescribeDBClusters",
        "DescribeDBInstances",
        "ListTables",
        "DescribeTable",
    ] {
        assert!(calls.iter().any(|c| c.operation == op), "{op} in {calls:?}");
    }

    // The updates for the model: the inventory, and every scope OK.
    let updates = result.updates(&Default::default(), 0);
    assert!(matches!(&updates[0], Update::Inventory(i) if *i == inv));
    assert!(updates
        .iter()
        .all(|u| !matches!(u, Update::SourceError { .. })));
}

#[tokio::test]
async fn seeded_log_events_come_once_and_reach_the_model_sanitised() {
    let seeded = seeded();
    let group = &seeded["logs"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "/aws/lambda/crypto-watch-api")
        .expect("seeded group")
        .clone();
    let name = group["name"].as_str().unwrap();
    let events: Vec<(i64, String)> = group["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["timestamp"].as_i64().unwrap(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let newest = events.iter().map(|e| e.0).max().unwrap();
    // "Now" is one minute after the newest seeded event: inside the 10-minute lookback.
    let now_ms = newest + 60_000;

    let clients = clients().await;
    let mut poller = LogPoller::new(vec![name.to_string()]);
    let first = poller.poll(&clients, now_ms).await;
    assert_eq!(first.failure, None);
    let want: Vec<RawLog> = events
        .iter()
        .map(|(ts, m)| RawLog {
            ts: ts / 1000,
            source: name.to_string(),
            bytes: m.as_bytes().to_vec(),
        })
        .collect();
    assert_eq!(
        first.logs, want,
        "each seeded event once, in order, bytes untouched"
    );

    // Polling again (same time, then later) brings nothing new.
    let again = poller.poll(&clients, now_ms).await;
    assert_eq!(
        again,
        opsdeck::source::aws::logs::LogPoll {
            logs: vec![],
            failure: None
        }
    );
    let later = poller.poll(&clients, now_ms + 5 * 60_000).await;
    assert!(later.logs.is_empty(), "{:?}", later.logs);

    // Into the model: the hostile fragments are gone, the rest of the text is there.
    let mut model = Model::new(Profile::default(), now_ms / 1000, 1000);
    assert!(model.apply(Update::Logs(first.logs)));
    let entries: Vec<_> = model.logs.iter().collect();
    assert_eq!(entries.len(), events.len());
    let mut all_text = String::new();
    for e in &entries {
        let mut texts = vec![e.message().to_string(), e.source().to_string()];
        for (k, v) in e.fields() {
            texts.push(k.to_string());
            texts.push(v.to_string());
        }
        for t in &texts {
            for frag in seeded["logs"]["hostile_fragments"].as_array().unwrap() {
                let frag = frag.as_str().unwrap();
                assert!(!t.contains(frag), "{frag:?} in {t:?}");
            }
            assert!(
                !t.contains('\u{1b}') && !t.contains('\u{7}'),
                "control in {t:?}"
            );
            all_text.push_str(t);
            all_text.push('\n');
        }
        assert_eq!(e.source(), name);
    }
    for visible in [
        "user-agent",
        "evil",
        "txt.exe",
        "red",
        "price fetched",
        "Cannot read properties of undefined",
        "START RequestId: 6f1c2a10-0000-4000-8000-000000000001",
        "Billed Duration: 62 ms",
    ] {
        assert!(all_text.contains(visible), "{visible:?} in:\n{all_text}");
    }
}

/// Test support: write log events with boto3 from the emulator's virtual environment (opsdeck
/// itself is read-only and cannot).
fn put_events(group: &str, stream: &str, create_group: bool, events: &[(i64, &str)]) {
    let endpoint = std::env::var("OPSDECK_TEST_MOTO")
        .expect("OPSDECK_TEST_MOTO is not set: run ./scripts/test (it starts the AWS emulator)");
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv-moto/bin/python");
    let script = r#"
import json, sys, boto3
endpoint, group, stream, create, events = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", json.loads(sys.argv[5])
c = boto3.client("logs", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing")
if create:
    c.create_log_group(logGroupName=group)
try:
    c.create_log_stream(logGroupName=group, logStreamName=stream)
except c.exceptions.ResourceAlreadyExistsException:
    pass
c.put_log_events(logGroupName=group, logStreamName=stream,
                 logEvents=[{"timestamp": t, "message": m} for t, m in events])
"#;
    let events = serde_json::to_string(events).unwrap();
    let out = Command::new(python)
        .args([
            "-c",
            script,
            &endpoint,
            group,
            stream,
            if create_group { "1" } else { "0" },
            &events,
        ])
        .output()
        .expect("run the emulator's python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn new_late_and_new_stream_events_are_picked_up_once() {
    let _ = seeded();
    // A group of its own, so that other tests' groups are untouched.
    let group = format!("/opsdeck-test/log-poller-{}", std::process::id());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let t0 = now_ms - 60_000;
    put_events(&group, "s1", true, &[(t0, "one"), (t0 + 1_000, "two")]);

    let clients = clients().await;
    let mut poller = LogPoller::new(vec![group.clone(), "/aws/lambda/does-not-exist".into()]);
    let texts = |logs: &[RawLog]| -> Vec<String> {
        logs.iter()
            .map(|l| String::from_utf8_lossy(&l.bytes).into_owned())
            .collect()
    };
    let p = poller.poll(&clients, now_ms).await;
    assert_eq!(p.failure, None, "a missing group is empty, not a failure");
    assert_eq!(texts(&p.logs), ["one", "two"]);

    // A newer event, and a late one stamped before the newest seen (inside the overlap).
    put_events(&group, "s1", false, &[(t0 + 500, "late")]);
    put_events(&group, "s1", false, &[(t0 + 30_000, "three")]);
    let p = poller.poll(&clients, now_ms + 1_000).await;
    assert_eq!(texts(&p.logs), ["late", "three"]);

    // A new stream is picked up without listing streams.
    put_events(&group, "s2", false, &[(t0 + 40_000, "four")]);
    let p = poller.poll(&clients, now_ms + 2_000).await;
    assert_eq!(texts(&p.logs), ["four"]);
    assert_eq!(p.logs[0].source, group);
    assert_eq!(p.logs[0].ts, (t0 + 40_000) / 1000);

    let p = poller.poll(&clients, now_ms + 3_000).await;
    assert!(p.logs.is_empty(), "{:?}", p.logs);
}

#[tokio::test]
async fn writes_are_refused_before_they_are_sent() {
    let _ = seeded();
    let clients = clients().await;
    let err = clients
        .dynamodb
        .delete_table()
        .table_name("crypto-watch-data")
        .send()
        .await
        .expect_err("the guard refuses DeleteTable");
    let text = DisplayErrorContext(&err).to_string();
    assert!(text.contains("read-only"), "{text}");
    assert!(text.contains("DeleteTable"), "{text}");

    let desc = clients
        .dynamodb
        .describe_table()
        .table_name("crypto-watch-data")
        .send()
        .await
        .expect("the table is still there");
    assert_eq!(
        desc.table().and_then(|t| t.table_name()),
        Some("crypto-watch-data")
    );

    let calls = clients.calls.calls();
    let refused: Vec<_> = calls.iter().filter(|c| !c.allowed).collect();
    assert_eq!(refused.len(), 1, "{calls:?}");
    assert_eq!(refused[0].operation, "DeleteTable");
    assert!(calls
        .iter()
        .any(|c| c.operation == "DescribeTable" && c.allowed));
}

/// What no emulator produces: RDS denied while Lambda and DynamoDB answer (aws-smithy-mocks
/// behind the real `Clients`, read-only guard included).
#[tokio::test]
async fn one_service_denied_fails_alone_and_names_the_iam_action() {
    use aws_sdk_dynamodb::types::{BillingMode, BillingModeSummary, TableDescription};
    use aws_sdk_lambda::types::FunctionConfiguration;
    use aws_smithy_mocks::mock;
    use aws_smithy_types::error::ErrorMetadata;
    use common::mock::interceptor;
    use opsdeck::source::aws::inventory::{FailureKind, SCOPE_LAMBDA_ACCOUNT, SCOPE_RDS};

    let mut clients = Clients::from_sdk_config(&common::mock::sdk_eu_west_1());
    let denied = |code: &str| {
        ErrorMetadata::builder()
            .code(code)
            .message("not authorized")
            .build()
    };

    let lambda_rules = [
        mock!(aws_sdk_lambda::Client::list_functions).then_output(|| {
            aws_sdk_lambda::operation::list_functions::ListFunctionsOutput::builder()
                .functions(FunctionConfiguration::builder().function_name("f1").build())
                .build()
        }),
        mock!(aws_sdk_lambda::Client::get_function_concurrency).then_output(|| {
            aws_sdk_lambda::operation::get_function_concurrency::GetFunctionConcurrencyOutput::builder()
                .reserved_concurrent_executions(5)
                .build()
        }),
        mock!(aws_sdk_lambda::Client::get_account_settings).then_error(move || {
            aws_sdk_lambda::operation::get_account_settings::GetAccountSettingsError::generic(
                denied("AccessDeniedException"),
            )
        }),
    ];
    let rds_rules = [
        mock!(aws_sdk_rds::Client::describe_db_clusters).then_error(move || {
            aws_sdk_rds::operation::describe_db_clusters::DescribeDBClustersError::generic(denied(
                "AccessDenied",
            ))
        }),
    ];
    let dynamo_rules = [
        mock!(aws_sdk_dynamodb::Client::list_tables).then_output(|| {
            aws_sdk_dynamodb::operation::list_tables::ListTablesOutput::builder()
                .table_names("t1")
                .build()
        }),
        mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
            aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput::builder()
                .table(
                    TableDescription::builder()
                        .table_name("t1")
                        .billing_mode_summary(
                            BillingModeSummary::builder()
                                .billing_mode(BillingMode::PayPerRequest)
                                .build(),
                        )
                        .build(),
                )
                .build()
        }),
    ];
    common::mock::lambda(&mut clients, &lambda_rules.iter().collect::<Vec<_>>());
    clients.rds = aws_sdk_rds::Client::from_conf(
        clients
            .rds
            .config()
            .to_builder()
            .interceptor(interceptor(&rds_rules.iter().collect::<Vec<_>>()))
            .build(),
    );
    clients.dynamodb = aws_sdk_dynamodb::Client::from_conf(
        clients
            .dynamodb
            .config()
            .to_builder()
            .interceptor(interceptor(&dynamo_rules.iter().collect::<Vec<_>>()))
            .build(),
    );

    let result = inventory::fetch(&clients).await;
    assert_eq!(result.service, "aws eu-west-1");
    let lambda = result.lambda.as_ref().expect("lambda answered");
    assert_eq!(lambda.functions.len(), 1);
    assert_eq!(lambda.functions[0].reserved, Some(5));
    assert_eq!(lambda.account_concurrency, DEFAULT_ACCOUNT_CONCURRENCY);
    assert_eq!(lambda.log_groups, ["/aws/lambda/f1"]);
    assert_eq!(
        result.dynamodb.as_ref().unwrap()[0].capacity,
        Capacity::OnDemand
    );

    let rds = result.rds.as_ref().expect_err("rds denied");
    assert_eq!(rds.scope, SCOPE_RDS);
    assert_eq!(rds.kind, FailureKind::AccessDenied);
    assert!(
        rds.message.contains("rds:DescribeDBClusters"),
        "{}",
        rds.message
    );
    let warning = &result.warnings[0];
    assert_eq!(warning.scope, SCOPE_LAMBDA_ACCOUNT);
    assert!(
        warning.message.contains("lambda:GetAccountSettings"),
        "{}",
        warning.message
    );

    // The previous RDS part stays on screen; the failure reaches the model.
    let previous = opsdeck::model::metrics::Inventory {
        db_instances: vec![opsdeck::model::metrics::DbInstance {
            id: "old".into(),
            cluster: "c".into(),
            role: DbRole::Writer,
            class: "db.r6g.large".into(),
            max_connections: 1000,
        }],
        ..Default::default()
    };
    let merged = result.merged(&previous);
    assert_eq!(merged.db_instances, previous.db_instances);
    assert_eq!(merged.functions, lambda.functions);
    let mut model = Model::new(Profile::default(), 0, 10);
    for u in result.updates(&previous, 42) {
        model.apply(u);
    }
    assert!(model
        .faults
        .iter()
        .any(|f| f.scope == SCOPE_RDS && f.message.contains("rds:DescribeDBClusters")));
    assert_eq!(model.inventory, merged);
}

/// The example profiles' [aws] settings applied to the seeded account's inventory.
#[tokio::test]
async fn profile_settings_narrow_the_seeded_inventory() {
    let _ = seeded();
    let clients = clients().await;
    let discovered = inventory::fetch(&clients).await.inventory();
    let load = |name: &str| {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("profiles")
            .join(name);
        opsdeck::config::load_service_file(&file).unwrap_or_else(|e| panic!("{e}"))
    };

    let mut inv = discovered.clone();
    inventory::apply_settings(&mut inv, &load("profile-api.toml").aws);
    let fns: Vec<&str> = inv.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fns, ["profile-api"]);
    assert!(inv.tables.is_empty());
    let dbs: Vec<(&str, u32)> = inv
        .db_instances
        .iter()
        .map(|d| (d.id.as_str(), d.max_connections))
        .collect();
    assert_eq!(dbs.len(), 2, "{dbs:?}");
    assert!(dbs.iter().all(|(_, max)| *max == 100), "{dbs:?}");

    let mut inv = discovered.clone();
    inventory::apply_settings(&mut inv, &load("crypto-watch.toml").aws);
    let fns: Vec<&str> = inv.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fns, ["crypto-watch-api", "crypto-watch-price-update"]);
    let tables: Vec<&str> = inv.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tables, ["crypto-watch-data", "crypto-watch-sessions"]);
    assert!(inv.db_instances.is_empty());

    // The zero-config profile keeps everything, with the class defaults.
    let mut inv = discovered.clone();
    inventory::apply_settings(&mut inv, &opsdeck::config::builtin_aws_service().aws);
    assert_eq!(inv, discovered);
}
