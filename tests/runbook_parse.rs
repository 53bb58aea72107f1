//! Reading runbooks as teams write them: the two seed documents (when present), fixtures in
//! other layouts, malformed and huge input, non-UTF-8 bytes, alarm → section matching, and a
//! deterministic fuzz loop.

use opsdeck::fuzzing::Rng;
use std::path::{Path, PathBuf};

use opsdeck::model::alarm::Severity;
use opsdeck::model::runbook::{Runbook, Section, SectionKind, SharedKind};
use opsdeck::model::time::{HOUR, MINUTE};
use opsdeck::runbooks::{self, match_section, RunbookErrorKind};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runbooks")
        .join(name)
}

fn load(name: &str) -> Runbook {
    runbooks::load_file(fixture(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// `$OPSDECK_SEEDS_DIR`, else `<repo>/../shared/seeds`; `None` (and a line saying so) when
/// it is not there.
fn seeds_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("OPSDECK_SEEDS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "runbook_parse: seed tests did not run: no seed directory at {} (set \
             OPSDECK_SEEDS_DIR to the directory holding 000_*.txt and 002_*.txt)",
            dir.display()
        );
        None
    }
}

/// The seed whose file name starts with `prefix`.
fn seed(prefix: &str) -> Option<Runbook> {
    let dir = seeds_dir()?;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".txt"))
        })
        .collect();
    paths.sort();
    let Some(path) = paths.first() else {
        eprintln!(
            "runbook_parse: seed test did not run: no {prefix}*.txt in {}",
            dir.display()
        );
        return None;
    };
    Some(runbooks::load_file(path).unwrap_or_else(|e| panic!("{e}")))
}

fn section<'a>(rb: &'a Runbook, id: &str) -> &'a Section {
    rb.section(id).unwrap_or_else(|| {
        let ids: Vec<&str> = rb.sections.iter().map(|s| s.id.as_str()).collect();
        panic!("{} has no section {id}; it has {ids:?}", rb.id)
    })
}

fn step_texts(s: &Section) -> Vec<&str> {
    s.steps.iter().map(|s| s.text.as_str()).collect()
}

fn shared_kinds(rb: &Runbook) -> Vec<SharedKind> {
    rb.sections
        .iter()
        .filter_map(|s| match s.kind {
            SectionKind::Shared(k) => Some(k),
            _ => None,
        })
        .collect()
}

fn secs(rb: &Runbook) -> Vec<(Severity, Option<i64>)> {
    rb.deadlines
        .iter()
        .filter_map(|d| Some((d.severity?, d.secs)))
        .collect()
}

// ---- the seeds -------------------------------------------------------------------------------

#[test]
fn seed_profile_api_guide_reads_as_four_alarms() {
    let Some(rb) = seed("000_") else { return };
    assert!(rb.warnings.is_empty(), "{:?}", rb.warnings);
    assert_eq!(rb.title, "プロフィール管理API 運用ガイド");
    let alarms: Vec<(&str, &str)> = rb
        .alarms()
        .map(|s| (s.id.as_str(), s.match_terms[0].as_str()))
        .collect();
    assert_eq!(
        alarms,
        [
            ("エラー率アラーム", "ProfileAPI-HighErrorRate"),
            ("レスポンス時間アラーム", "ProfileAPI-HighLatency"),
            ("lambda-エラーアラーム", "ProfileLambda-Errors"),
            ("データベース接続アラーム", "ProfileDB-HighConnections"),
        ]
    );
    for s in rb.alarms() {
        assert_eq!(s.steps.len(), 4, "{}", s.id);
        // The alarm's conditions are its summary: metric, threshold, evaluation period.
        assert!(
            s.summary.iter().any(|l| l.starts_with("閾値")),
            "{:?}",
            s.summary
        );
        // The guide gives no severity per alarm; the panel falls back on the profile's.
        assert_eq!((s.severity, &s.deadline), (None, &None), "{}", s.id);
    }
    let rate = section(&rb, "エラー率アラーム");
    assert_eq!(rate.steps[0].text, "CloudWatch Logsでエラー詳細を確認");
    assert!(rate.match_terms.contains(&"ProfileAPIErrors".to_string()));
    // It links to the section describing its metric (normal and abnormal values).
    assert!(
        rate.links.iter().any(|l| l.target == "エラー率"),
        "{:?}",
        rate.links
    );
    let db = section(&rb, "データベース接続アラーム");
    assert_eq!(db.steps[3].text, "Lambda関数の同時実行数を確認");

    // Severity levels are sub-headings with a response time each.
    assert_eq!(
        secs(&rb),
        [
            (Severity::Critical, Some(15 * MINUTE)),
            (Severity::High, Some(HOUR)),
            (Severity::Medium, Some(4 * HOUR)),
            (Severity::Low, Some(24 * HOUR)),
        ]
    );
    assert_eq!(rb.deadlines[3].text, "1営業日以内");
    let kinds = shared_kinds(&rb);
    for k in [
        SharedKind::Severity,
        SharedKind::CommonProblems,
        SharedKind::Contacts,
        SharedKind::Escalation,
    ] {
        assert!(kinds.contains(&k), "{k:?} in {kinds:?}");
    }
    let esc = rb.shared(SharedKind::Escalation).unwrap();
    assert_eq!(esc.summary.len(), 4);
    assert!(esc.summary[3].ends_with("CTO"), "{:?}", esc.summary);
    let contacts = rb.shared(SharedKind::Contacts).unwrap();
    assert!(contacts
        .summary
        .iter()
        .any(|l| l.contains("#profile-api-ops")));
    // The troubleshooting section keeps its procedures as steps.
    let tr = rb.shared(SharedKind::CommonProblems).unwrap();
    assert_eq!(tr.steps.len(), 12);
    // A daily task is a walkable text section; its example query (after an unknown label that
    // ends the steps) stays readable text.
    let daily = rb
        .sections
        .iter()
        .find(|s| s.title.starts_with("エラーログ確認"))
        .unwrap();
    assert_eq!(daily.kind, SectionKind::Text);
    assert_eq!(daily.steps.len(), 4);
    assert!(daily.steps.iter().all(|s| s.commands.is_empty()));
    assert!(daily
        .body
        .iter()
        .any(|l| l.contains("filter level = \"ERROR\"")));

    // Alarm → section by the CloudWatch alarm's name.
    let m = match_section(std::slice::from_ref(&rb), "ProfileDB-HighConnections", &[]).unwrap();
    assert_eq!(m.section, "データベース接続アラーム");
    assert!(m.why.contains("ProfileDB-HighConnections"), "{}", m.why);
    // ... or by its metric.
    let m = match_section(
        std::slice::from_ref(&rb),
        "some-other-name",
        &["AWS/RDS", "DatabaseConnections"],
    )
    .unwrap();
    assert_eq!(m.section, "データベース接続アラーム");
    assert!(m.why.contains("DatabaseConnections"), "{}", m.why);
}

#[test]
fn seed_crypto_watch_runbook_reads_its_alert_types() {
    let Some(rb) = seed("002_") else { return };
    assert!(rb.warnings.is_empty(), "{:?}", rb.warnings);
    let alarms: Vec<(&str, Option<Severity>, usize)> = rb
        .alarms()
        .map(|s| (s.id.as_str(), s.severity, s.steps.len()))
        .collect();
    assert_eq!(
        alarms,
        [
            ("lambda-error-rate-alarm", Some(Severity::Critical), 5),
            ("外部apiエラー率アラーム", Some(Severity::High), 5),
            ("dynamodbスロットリングアラーム", Some(Severity::High), 4),
            (
                "api-gateway-5xx-error-rate-alarm",
                Some(Severity::Critical),
                4
            ),
            ("api-latency-p95-alarm", Some(Severity::Medium), 4),
            ("lambda-throttle-alarm", Some(Severity::High), 4),
        ]
    );
    // Deadlines from the severity table: numbers where it gives them, text where it does not.
    let d: Vec<(Severity, Option<i64>, &str)> = rb
        .deadlines
        .iter()
        .map(|d| (d.severity.unwrap(), d.secs, d.text.as_str()))
        .collect();
    assert_eq!(
        d,
        [
            (Severity::Critical, Some(15 * MINUTE), "即座（15分以内）"),
            (Severity::High, Some(HOUR), "1時間以内"),
            (Severity::Medium, None, "営業時間内"),
            (Severity::Low, None, "定期レビュー"),
        ]
    );
    let lambda = section(&rb, "lambda-error-rate-alarm");
    assert_eq!(lambda.title, "Lambda Error Rate Alarm");
    assert_eq!(lambda.deadline.as_ref().unwrap().secs, Some(15 * MINUTE));
    assert_eq!(
        lambda.steps[0].commands,
        ["aws cloudwatch describe-alarms --alarm-names LambdaErrorAlarm"]
    );
    // The shell comments of the block are notes of the step, not part of the command.
    assert_eq!(lambda.steps[0].substeps.len(), 2);
    assert_eq!(
        lambda.escalation,
        [
            "エラー率が10%を超える",
            "15分以上継続",
            "自動ロールバックが失敗"
        ]
    );
    assert_eq!(
        lambda.metrics[0],
        "AWS/Lambda > Errors (Function: ApiFunction)"
    );
    assert!(lambda
        .logs
        .contains(&"/aws/lambda/crypto-watch-api-function".to_string()));
    // "Classify the errors" offers three jumps.
    let branches: Vec<(&str, &str, Option<usize>)> = lambda
        .branches
        .iter()
        .map(|b| (b.label.as_str(), b.target.as_str(), b.step))
        .collect();
    assert_eq!(
        branches,
        [
            ("外部API障害", "外部apiエラー率アラーム", Some(2)),
            ("DynamoDB障害", "dynamodbスロットリングアラーム", Some(2)),
            ("コードバグ", "ロールバック判断基準", Some(2)),
        ]
    );
    let ddb = section(&rb, "dynamodbスロットリングアラーム");
    assert_eq!(
        ddb.steps[1].commands,
        ["aws dynamodb describe-table --table-name crypto-watch-data"]
    );
    assert!(ddb
        .escalation
        .contains(&"スロットリングが30分以上継続".to_string()));
    assert!(ddb
        .logs
        .iter()
        .any(|l| l.contains("ProvisionedThroughputExceededException")));
    let api = section(&rb, "api-gateway-5xx-error-rate-alarm");
    // A jump under a "502 errors:" case line takes that case as its label.
    assert_eq!(api.branches[0].label, "502エラー（Lambda関数エラー）");
    assert_eq!(api.branches[0].target, "lambda-error-rate-alarm");
    let latency = section(&rb, "api-latency-p95-alarm");
    assert_eq!(latency.escalation[0], "P95レイテンシが5秒を超える");

    // Shared sections.
    let kinds = shared_kinds(&rb);
    assert_eq!(
        kinds,
        [
            SharedKind::Severity,
            SharedKind::Rollback,
            SharedKind::CommonProblems,
            SharedKind::Escalation,
            SharedKind::Contacts,
        ]
    );
    let rollback = rb.shared(SharedKind::Rollback).unwrap();
    assert_eq!(rollback.id, "ロールバック判断基準");
    let cmd = &rollback.steps[0].commands[0];
    assert!(
        cmd.starts_with("aws deploy list-deployments") && cmd.contains("update-alias"),
        "{cmd}"
    );
    let esc = rb.shared(SharedKind::Escalation).unwrap();
    assert!(esc
        .escalation
        .contains(&"15分以内に解決できない".to_string()));
    assert!(esc.body.iter().any(|l| l.contains("レベル1")));
    // The table of contents links to the sections.
    let toc = section(&rb, "目次");
    assert_eq!(toc.kind, SectionKind::Text);
    let targets: Vec<&str> = toc.links.iter().map(|l| l.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "通知チャネル",
            "lambda-error-rate-alarm",
            "ロールバック判断基準",
            "よくある問題と対処法",
            "エスカレーションフロー"
        ]
    );

    // Alarm → section by metric and namespace when the name says little.
    let m = match_section(
        std::slice::from_ref(&rb),
        "ddb-alarm-7",
        &["AWS/DynamoDB", "UserErrors", "crypto-watch-data"],
    )
    .unwrap();
    assert_eq!(m.section, "dynamodbスロットリングアラーム");
    // By a name that shares words with the heading.
    let m = match_section(std::slice::from_ref(&rb), "LambdaThrottleAlarm", &[]).unwrap();
    assert_eq!(m.section, "lambda-throttle-alarm");
    assert!(m.why.contains("LambdaThrottleAlarm"), "{}", m.why);
    // By words shared with the heading.
    let m = match_section(std::slice::from_ref(&rb), "crypto-lambda-throttles", &[]).unwrap();
    assert_eq!(m.section, "lambda-throttle-alarm");
    assert!(m.why.contains("shares"), "{}", m.why);
}

// ---- fixtures in other layouts ---------------------------------------------------------------

#[test]
fn japanese_document_in_the_seeds_layout() {
    let rb = load("ja_seed_layout.md");
    assert!(rb.warnings.is_empty(), "{:?}", rb.warnings);
    let alarms: Vec<(&str, Option<Severity>)> =
        rb.alarms().map(|s| (s.id.as_str(), s.severity)).collect();
    assert_eq!(
        alarms,
        [
            ("在庫更新エラーアラーム", Some(Severity::Critical)),
            ("テーブルスロットリングアラーム", Some(Severity::High)),
        ]
    );
    assert_eq!(
        secs(&rb),
        [
            (Severity::Critical, Some(10 * MINUTE)),
            (Severity::High, Some(30 * MINUTE)),
            (Severity::Medium, Some(2 * HOUR)),
            (Severity::Low, None),
        ]
    );
    let a = section(&rb, "在庫更新エラーアラーム");
    assert_eq!(a.deadline.as_ref().unwrap().secs, Some(10 * MINUTE));
    assert_eq!(
        step_texts(a),
        ["アラーム状態の確認", "原因の切り分け", "影響の確認"]
    );
    assert_eq!(a.steps[0].substeps, ["現在の状態を見る"]);
    assert_eq!(
        a.steps[0].commands,
        ["aws cloudwatch describe-alarms --alarm-names InventoryUpdateErrors"]
    );
    // A tab-indented bullet is still a sub-step.
    assert_eq!(a.steps[2].substeps.len(), 2);
    assert_eq!(a.escalation, ["エラー率が 10% を超える", "20分以上継続"]);
    assert_eq!(a.metrics.len(), 2, "{:?}", a.metrics);
    assert_eq!(a.logs[0], "/aws/lambda/inventory-update");
    let b: Vec<(&str, &str)> = a
        .branches
        .iter()
        .map(|b| (b.label.as_str(), b.target.as_str()))
        .collect();
    assert_eq!(
        b,
        [
            ("テーブルの制限", "テーブルスロットリングアラーム"),
            ("リリース直後", "切り戻しの基準"),
        ]
    );
    let rollback = rb.shared(SharedKind::Rollback).unwrap();
    assert_eq!(rollback.steps[0].text, "手動の切り戻し手順");
    assert_eq!(rollback.steps[0].commands[0].lines().count(), 2);
    assert_eq!(
        shared_kinds(&rb),
        [
            SharedKind::Severity,
            SharedKind::Rollback,
            SharedKind::CommonProblems,
            SharedKind::Escalation,
            SharedKind::Contacts
        ]
    );
    let m = match_section(
        std::slice::from_ref(&rb),
        "inventory-throttles",
        &["AWS/DynamoDB", "WriteThrottleEvents", "inventory-items"],
    )
    .unwrap();
    assert_eq!(
        m.reference(),
        "ja_seed_layout#テーブルスロットリングアラーム"
    );
}

#[test]
fn english_alert_symptoms_diagnosis_mitigation() {
    let rb = load("english_alerts.md");
    assert!(rb.warnings.is_empty(), "{:?}", rb.warnings);
    let alarms: Vec<(&str, Option<Severity>)> =
        rb.alarms().map(|s| (s.id.as_str(), s.severity)).collect();
    assert_eq!(
        alarms,
        [
            ("paymentshighlatency", Some(Severity::High)),
            ("queue-backlog", Some(Severity::Medium)),
            ("provider-outage", Some(Severity::Critical)),
        ]
    );
    let lat = section(&rb, "paymentshighlatency");
    // Diagnosis and mitigation steps, in the order written.
    assert_eq!(lat.steps.len(), 4);
    assert_eq!(
        lat.steps[2].commands,
        ["./scripts/toggle queued-checkout on"]
    );
    assert_eq!(
        lat.summary[1],
        "Checkout takes longer than 3 seconds at p95 for 10 minutes."
    );
    assert_eq!(lat.escalation.len(), 2);
    assert!(lat
        .match_terms
        .contains(&"PaymentsProviderLatency".to_string()));
    let b: Vec<(&str, &str)> = lat
        .branches
        .iter()
        .map(|b| (b.label.as_str(), b.target.as_str()))
        .collect();
    assert_eq!(
        b,
        [
            (
                "If they move together, the provider is slow",
                "provider-outage"
            ),
            ("If only the API is slow", "queue-backlog"),
        ]
    );
    let q = section(&rb, "queue-backlog");
    assert!(q.steps.iter().all(|s| s.checklist));
    let ticked: Vec<bool> = q.steps.iter().map(|s| s.checked).collect();
    assert_eq!(ticked, [false, false, true]);
    // "(see the rollback criteria)" in a step is a link to the shared section.
    let out = section(&rb, "provider-outage");
    assert_eq!(out.links[0].target, "rollback-criteria");
    assert_eq!(out.links[0].step, Some(0));
    assert_eq!(
        shared_kinds(&rb),
        [SharedKind::Rollback, SharedKind::Contacts]
    );
    let m = match_section(std::slice::from_ref(&rb), "PaymentsHighLatency", &[]).unwrap();
    assert_eq!(m.section, "paymentshighlatency");
}

#[test]
fn checklist_only_runbook_is_a_walkable_text_section() {
    let rb = load("checklist_only.md");
    assert_eq!(rb.sections.len(), 1);
    let s = &rb.sections[0];
    assert_eq!(s.kind, SectionKind::Text);
    assert_eq!(s.steps.len(), 4);
    assert!(s.steps.iter().all(|s| s.checklist));
    assert_eq!(
        s.steps[1].substeps,
        ["including the ones muted for maintenance"]
    );
    assert!(s.steps[2].checked);
    assert!(
        rb.warnings[0].contains("no alarm sections"),
        "{:?}",
        rb.warnings
    );
}

#[test]
fn text_before_any_heading_can_be_the_alarm_section() {
    let rb = load("missing_headings.md");
    assert_eq!(rb.title, "Late title");
    let a: Vec<&Section> = rb.alarms().collect();
    assert_eq!(a.len(), 1);
    assert_eq!((a[0].id.as_str(), a[0].line), ("ordersdlqnotempty", 0));
    assert_eq!(a[0].steps.len(), 3);
    assert_eq!(a[0].escalation, ["more than 100 messages are waiting"]);
    // The later headings are sections of their own, shown as text.
    let rest: Vec<(&str, SectionKind)> = rb
        .sections
        .iter()
        .skip(1)
        .map(|s| (s.id.as_str(), s.kind))
        .collect();
    assert_eq!(
        rest,
        [
            ("background", SectionKind::Text),
            ("late-title", SectionKind::Text)
        ]
    );
    assert_eq!(
        section(&rb, "background").body,
        ["This part sits four levels deep under no parent heading."]
    );
}

#[test]
fn malformed_file_degrades_with_warnings() {
    let rb = load("malformed.md");
    let disk = section(&rb, "disk");
    assert_eq!(disk.severity, Some(Severity::High));
    assert_eq!(disk.steps[0].text, "first");
    // Mixed tabs and spaces: both sub-steps of step 1.
    assert!(disk.steps[0].substeps.len() >= 2, "{:?}", disk.steps);
    // The broken table and the odd lines stay readable.
    assert!(disk.body.iter().any(|l| l.contains("only one cell")));
    assert!(disk.body.iter().any(|l| l.contains("html stays text")));
    // The unclosed fence runs to the end and says so.
    assert!(
        rb.warnings
            .iter()
            .any(|w| w.contains("malformed.md:25:") && w.contains("never closed")),
        "{:?}",
        rb.warnings
    );
    assert!(disk.body.iter().any(|l| l.contains("echo never closed")));
}

#[test]
fn not_utf8_is_an_error_naming_the_file() {
    let e = runbooks::load_file(fixture("not_utf8.md")).unwrap_err();
    assert_eq!((e.line, &e.kind), (Some(3), &RunbookErrorKind::NotUtf8));
    let msg = e.to_string();
    assert!(
        msg.contains("not_utf8.md:3") && msg.contains("UTF-8"),
        "{msg}"
    );
    // A directory holding it fails, naming it.
    let e = runbooks::load_dir(fixture("")).unwrap_err();
    assert!(e.origin.ends_with("not_utf8.md"), "{e}");
}

#[test]
fn huge_generated_file_parses() {
    let mut text = String::from("# Huge\n\n## Alarms\n\n");
    let mut i = 0;
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(&format!(
            "### {i}. Alarm number {i} (High)\n\n**Metrics to check:**\n- `Metric{i}`\n\n\
             **First response:**\n1. **Look** at the metric\n   ```bash\n   aws cloudwatch \
             describe-alarms --alarm-names A{i}\n   ```\n2. See the Alarm number {j} section.\n\
             \x20  - sub step with text\n\n**Escalate when:**\n- it lasts 15 minutes\n\n",
            j = i / 2
        ));
        i += 1;
    }
    let rb = runbooks::parse(&text, "huge", "huge.md");
    assert_eq!(rb.alarms().count(), i);
    let last = rb.sections.last().unwrap();
    assert_eq!(last.steps.len(), 2);
    assert_eq!(last.links.len(), 1);
    assert!(
        rb.warnings.is_empty(),
        "{:?}",
        &rb.warnings[..rb.warnings.len().min(3)]
    );
}

// ---- the project's own runbooks --------------------------------------------------------------

#[test]
fn shipped_runbooks_cross_references_and_branches() {
    let books = runbooks::builtin();
    let pa = books.iter().find(|r| r.id == "profile-api").unwrap();
    let rate = section(pa, "high-error-rate");
    assert!(rate
        .links
        .iter()
        .any(|l| l.target == "db-connections" && l.step == Some(2)));
    let errors = section(pa, "lambda-errors");
    let b: Vec<(&str, &str)> = errors
        .branches
        .iter()
        .map(|b| (b.label.as_str(), b.target.as_str()))
        .collect();
    assert_eq!(
        b,
        [
            ("Database errors", "db-connections"),
            ("Timeouts (runs past 10 s)", "high-latency")
        ]
    );
    assert_eq!(
        section(pa, "high-error-rate")
            .deadline
            .as_ref()
            .unwrap()
            .secs,
        Some(HOUR)
    );
    let cw = books.iter().find(|r| r.id == "crypto-watch").unwrap();
    let lambda = section(cw, "lambda-error-rate");
    let targets: Vec<&str> = lambda.branches.iter().map(|b| b.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "external-api-errors",
            "dynamodb-throttling",
            "rollback-criteria"
        ]
    );
    assert_eq!(
        secs(cw),
        [
            (Severity::Critical, Some(15 * MINUTE)),
            (Severity::High, Some(HOUR)),
            (Severity::Medium, Some(4 * HOUR)),
            (Severity::Low, Some(24 * HOUR)),
        ]
    );
    let m = match_section(&books, "LambdaThrottleAlarm", &["AWS/Lambda", "Throttles"]).unwrap();
    assert_eq!(m.reference(), "crypto-watch#lambda-throttles");
    assert!(match_section(&books, "zzz", &["qqq"]).is_none());
}

// ---- fuzz ------------------------------------------------------------------------------------

#[test]
fn fuzz_fragments_and_bytes_never_panic_and_ids_stay_unique() {
    const PIECES: &[&str] = &[
        "# T",
        "## Alarms",
        "## アラート種別",
        "### 1. X (Critical) {#x}",
        "### 2. Y（High）",
        "## Alert: Z",
        "### Symptoms",
        "### Mitigation",
        "**初動対応ステップ:**",
        "**エスカレーション条件:**",
        "**アラーム名**: `A-B`",
        "**対応時間**: 15分以内",
        "**Severity:** P1",
        "1. step",
        "   - sub → [j](#2-yhigh)へ",
        "   - Case: see the X section",
        "- [ ] check",
        "- [x]",
        "\t- tab",
        "```bash",
        "```",
        "~~~",
        "| Critical | 15 minutes |",
        "| レベル | 対応時間 |",
        "|---|",
        "[a](#",
        "](",
        "**",
        "{#}",
        "（",
        "】",
        "",
        "   ",
        "\u{feff}",
        "日本語のテキスト",
    ];
    let mut corpus: Vec<String> = PIECES.iter().map(|s| s.to_string()).collect();
    for f in ["ja_seed_layout.md", "english_alerts.md", "malformed.md"] {
        if let Ok(t) = std::fs::read_to_string(fixture(f)) {
            corpus.extend(t.lines().map(str::to_string));
        }
    }
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for round in 0..1500 {
        let n = rng.below(50);
        let mut text = String::new();
        for _ in 0..n {
            let mut line = corpus[rng.below(corpus.len())].clone();
            if rng.below(4) == 0 {
                let cuts: Vec<usize> = line.char_indices().map(|(i, _)| i).collect();
                if !cuts.is_empty() {
                    line.truncate(cuts[rng.below(cuts.len())]);
                }
            }
            if rng.below(5) == 0 {
                line.insert_str(0, &" ".repeat(rng.below(10)));
            }
            text.push_str(&line);
            text.push_str(if round % 4 == 0 { "\r\n" } else { "\n" });
        }
        let rb = runbooks::parse(&text, "f", "f.md");
        let mut ids: Vec<&str> = rb.sections.iter().map(|s| s.id.as_str()).collect();
        assert!(ids.iter().all(|i| !i.is_empty()), "{text:?}");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rb.sections.len(), "duplicate ids in {text:?}");
        for s in &rb.sections {
            for l in &s.links {
                assert!(rb.section(&l.target).is_some(), "{text:?}");
            }
            for b in &s.branches {
                assert!(b.step.is_some_and(|i| i < s.steps.len()), "{text:?}");
            }
        }
        if !text.trim().is_empty() {
            assert!(
                !rb.sections.is_empty() || !rb.warnings.is_empty(),
                "{text:?}"
            );
        }
        // Random bytes, some not UTF-8: an error or a runbook, never a panic.
        let mut bytes = text.into_bytes();
        for _ in 0..rng.below(4) {
            if !bytes.is_empty() {
                let i = rng.below(bytes.len());
                bytes[i] = rng.next_u64() as u8;
            }
        }
        let _ = runbooks::parse_bytes(&bytes, "f", "f.md");
        let noise: Vec<u8> = (0..rng.below(200)).map(|_| rng.next_u64() as u8).collect();
        let _ = runbooks::parse_bytes(&noise, "f", "f.md");
    }
}

/// Pointing opsdeck at either seed as it is gives a guided walk for each of its alarms: every
/// alarm section opens from an alarm mapped to it, shows its first step, and takes a mark.
/// Our own Japanese and English fixtures go through the same walk, seeds or not.
#[test]
fn every_seed_alarm_section_gives_a_walk() {
    use opsdeck::app::{update, Action, AppState, Command, PaneId};
    use opsdeck::model::alarm::{AlarmDef, Severity};
    use opsdeck::model::runbook::StepMark;
    use opsdeck::model::threshold::Threshold;
    use opsdeck::model::{Model, Profile};
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    let mut runbooks = vec![load("ja_seed_layout.md"), load("english_alerts.md")];
    runbooks.extend(["000_", "002_"].into_iter().filter_map(seed));
    for rb in runbooks {
        let alarms: Vec<_> = rb.alarms().cloned().collect();
        assert!(!alarms.is_empty(), "{}: alarm sections", rb.origin);
        for section in alarms {
            let reference = format!("{}#{}", rb.id, section.id);
            let profile = Profile {
                alarms: vec![AlarmDef {
                    name: "SeedAlarm".into(),
                    description: String::new(),
                    series: "errors/rate".into(),
                    period: 60,
                    stat: opsdeck::model::series::Stat::Average,
                    threshold: Threshold::above(None, Some(1.0)),
                    severity: Severity::High,
                    runbook: Some(reference.clone()),
                    log_filter: None,
                    unit: "%".into(),
                }],
                ..Default::default()
            };
            let model = Model::new(profile, 1_800_000_000, 100);
            let mut s = AppState::new(model, vec![rb.clone()], Vec::new(), "seed".into());
            s.ui.focus = PaneId::Alarms;
            update(&mut s, Action::Command(Command::Select));
            let opened = s.opened.as_ref().and_then(|o| o.section.clone());
            assert_eq!(opened.as_deref(), Some(reference.as_str()));
            assert!(!section.steps.is_empty(), "{reference}: steps");
            update(&mut s, Action::Command(Command::StepDone));
            assert_eq!(s.walks[&reference].marks[0], StepMark::Done, "{reference}");

            let area = Rect::new(0, 0, 100, 60);
            let mut buf = Buffer::empty(area);
            let ctx = opsdeck::ui::PaneCtx {
                focused: true,
                compact: false,
                theme: opsdeck::ui::theme(),
            };
            opsdeck::ui::render_pane(PaneId::Runbook, area, &mut buf, &s, &ctx);
            let text: String = buf
                .content()
                .iter()
                .map(|c| c.symbol())
                .collect::<Vec<_>>()
                .join("");
            let first: String = section.steps[0].text.chars().take(4).collect();
            let squeezed: String = text.chars().filter(|c| *c != ' ').collect();
            let first: String = first.chars().filter(|c| *c != ' ').collect();
            assert!(
                squeezed.contains(&first),
                "{reference}: the first step ({first}) on screen"
            );
        }
    }
}
