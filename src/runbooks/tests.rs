use super::*;
use crate::fuzzing::Rng;
use crate::model::runbook::{SectionKind, SharedKind};

fn section<'a>(rb: &'a Runbook, id: &str) -> &'a Section {
    rb.sections
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("{} has no section {id}", rb.id))
}

fn alarm_ids(rb: &Runbook) -> Vec<&str> {
    rb.alarms().map(|s| s.id.as_str()).collect()
}

#[test]
fn builtin_runbooks_have_every_required_section() {
    let books = builtin();
    let ids: Vec<&str> = books.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["profile-api", "crypto-watch"]);
    let want: [(&str, &[(&str, Severity)]); 2] = [
        (
            "profile-api",
            &[
                ("high-error-rate", Severity::High),
                ("high-latency", Severity::Medium),
                ("lambda-errors", Severity::High),
                ("db-connections", Severity::High),
            ],
        ),
        (
            "crypto-watch",
            &[
                ("lambda-error-rate", Severity::Critical),
                ("external-api-errors", Severity::High),
                ("dynamodb-throttling", Severity::High),
                ("api-5xx", Severity::Critical),
                ("api-latency-p95", Severity::Medium),
                ("lambda-throttles", Severity::High),
            ],
        ),
    ];
    for (rb_id, sections) in want {
        let rb = books.iter().find(|r| r.id == rb_id).unwrap();
        assert!(!rb.title.is_empty());
        assert_eq!(
            rb.alarms().count(),
            sections.len(),
            "{rb_id}: alarm sections"
        );
        assert!(rb.warnings.is_empty(), "{rb_id}: {:?}", rb.warnings);
        for (id, sev) in sections {
            let s = section(rb, id);
            assert_eq!(s.severity, Some(*sev), "{rb_id}#{id}");
            assert!(s.steps.len() >= 3, "{rb_id}#{id}: {} steps", s.steps.len());
            assert!(!s.escalation.is_empty(), "{rb_id}#{id}: no escalation");
            assert!(!s.summary.is_empty(), "{rb_id}#{id}: no summary");
            assert!(!s.metrics.is_empty(), "{rb_id}#{id}: no metrics");
            assert!(!s.logs.is_empty(), "{rb_id}#{id}: no logs");
            assert!(s.steps.iter().all(|st| !st.text.is_empty()));
            assert!(
                !s.title.contains("{#") && !s.title.contains('('),
                "{}",
                s.title
            );
        }
    }
}

#[test]
fn shipped_sections_read_as_written() {
    let books = builtin();
    let cw = books.iter().find(|r| r.id == "crypto-watch").unwrap();
    let ddb = section(cw, "dynamodb-throttling");
    assert_eq!(ddb.title, "DynamoDB throttling");
    let cmds: Vec<&String> = ddb.steps.iter().flat_map(|s| &s.commands).collect();
    assert!(
        cmds.iter()
            .any(|c| c.starts_with("aws dynamodb describe-table")),
        "{cmds:?}"
    );
    // The describe-table command belongs to step 2, with its two notes as sub-steps.
    assert_eq!(ddb.steps[1].text, "Check the table's capacity mode.");
    assert_eq!(
        ddb.steps[1].commands,
        ["aws dynamodb describe-table --table-name crypto-watch-data"]
    );
    assert_eq!(ddb.steps[1].substeps.len(), 2);
    assert!(ddb.steps[1].substeps[0].starts_with("PAY_PER_REQUEST"));
    assert_eq!(ddb.steps[0].substeps.len(), 3);
    assert!(ddb
        .logs
        .contains(&"Filter pattern: ProvisionedThroughputExceededException".to_string()));
    assert_eq!(ddb.metrics.len(), 4);
    assert_eq!(
        ddb.metrics[0],
        "AWS/DynamoDB UserErrors (TableName=crypto-watch-data)"
    );

    let pa = books.iter().find(|r| r.id == "profile-api").unwrap();
    let rate = section(pa, "high-error-rate");
    assert_eq!(rate.title, "ProfileAPI-HighErrorRate");
    // The summary paragraph is one entry, joined across its lines.
    assert!(rate.summary[0].starts_with("More than 5% of Profile API"));
    assert!(rate.summary[0].contains("in a row"));
    // A multi-line command keeps its continuation lines.
    let query = &rate.steps[1].commands[0];
    assert!(
        query.starts_with("aws logs start-query") && query.lines().count() == 3,
        "{query}"
    );
    assert!(rate.escalation.iter().any(|e| e.contains("10%")));
}

#[test]
fn steps_substeps_and_commands_attach_where_written() {
    let text = "\
# T

### Disk full (Low)

**First response:**

1. **First** thing
   - sub a
   - sub b
 continued
2) Second
   ```bash
   # look first
   df -h

   du -sh /var
   ```
   Indented note
3. Third
   1. nested number
- stray bullet

**Escalate when:**
- never
";
    let rb = parse(text, "t", "t.md");
    let s = &rb.sections[0];
    assert_eq!(s.id, "disk-full");
    assert_eq!(s.title, "Disk full");
    assert_eq!(s.severity, Some(Severity::Low));
    assert_eq!(s.steps.len(), 3);
    assert_eq!(s.steps[0].text, "First thing");
    assert_eq!(s.steps[0].substeps, ["sub a", "sub b continued"]);
    assert!(s.steps[0].commands.is_empty());
    assert_eq!(s.steps[1].text, "Second");
    assert_eq!(s.steps[1].commands, ["df -h\n\ndu -sh /var"]);
    assert_eq!(s.steps[1].substeps, ["look first", "Indented note"]);
    assert_eq!(s.steps[2].substeps, ["nested number", "stray bullet"]);
    assert_eq!(s.escalation, ["never"]);
}

#[test]
fn bullets_start_steps_when_a_part_has_no_numbers() {
    let text = "## A (High)\n### Steps\n- one\n  - one.a\n- two\n- three\n";
    let s = &parse(text, "t", "t.md").sections[0];
    let steps: Vec<&str> = s.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(steps, ["one", "two", "three"]);
    assert_eq!(s.steps[0].substeps, ["one.a"]);
    // A numbered item at the outer level is a step even after bullet steps.
    let s = &parse(
        "## A (High)\n### Steps\n- note\n1. real\n2. next\n",
        "t",
        "t.md",
    )
    .sections[0];
    let steps: Vec<&str> = s.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(steps, ["note", "real", "next"]);
}

#[test]
fn explicit_ids_groups_and_slugs() {
    assert_eq!(slugify("Lambda error rate"), "lambda-error-rate");
    assert_eq!(
        slugify("  API Gateway 5xx -- errors!  "),
        "api-gateway-5xx-errors"
    );
    assert_eq!(slugify("Operator's p95/p99"), "operators-p95-p99");
    assert_eq!(
        slugify("ProfileAPI-HighErrorRate"),
        "profileapi-higherrorrate"
    );
    assert_eq!(slugify("エラー率 上昇"), "エラー率-上昇");
    assert_eq!(slugify("(!)"), "");

    let text = "\
# Book
## Severity levels {#severities}
text
### Not an alarm {#nope}
## Alarms
### 1. Lambda error rate (Critical) {#lambda-error-rate}
### 2) `API` Gateway 5xx (severity: high)
### Disk {#disk}
#### What fired
disk is full
## Rollback
### Also not {#rollback-case}
";
    let rb = parse(text, "book", "book.md");
    assert_eq!(rb.title, "Book");
    let got: Vec<(&str, &str, Option<Severity>)> = rb
        .alarms()
        .map(|s| (s.id.as_str(), s.title.as_str(), s.severity))
        .collect();
    assert_eq!(
        got,
        [
            (
                "lambda-error-rate",
                "Lambda error rate",
                Some(Severity::Critical)
            ),
            ("api-gateway-5xx", "API Gateway 5xx", Some(Severity::High)),
            ("disk", "Disk", None),
        ]
    );
    assert_eq!(section(&rb, "disk").summary, ["disk is full"]);
    // The other headings are shared sections, which keep their sub-headings.
    let sev = section(&rb, "severities");
    assert_eq!(sev.kind, SectionKind::Shared(SharedKind::Severity));
    assert_eq!(sev.summary, ["text", "Not an alarm"]);
    let rollback = section(&rb, "rollback");
    assert_eq!(rollback.kind, SectionKind::Shared(SharedKind::Rollback));
    assert!(rb.section("nope").is_none() && rb.section("rollback-case").is_none());
    // `## Alarms` has no text of its own: no section.
    assert!(rb.section("alarms").is_none());
    // A parenthesis that is no severity stays in the title and the slug.
    let rb = parse("## Latency (p95) (Medium)\n", "t", "t.md");
    assert_eq!(rb.sections[0].id, "latency-p95");
    assert_eq!(rb.sections[0].title, "Latency (p95)");
}

#[test]
fn unknown_structure_is_kept_as_summary() {
    let text = "\
## X (High)
Some intro
over two lines.

#### Background
| a | b |
|---|---|
**Odd label:** value
```
raw block
```
> quote
";
    let s = &parse(text, "t", "t.md").sections[0];
    assert_eq!(
        s.summary,
        [
            "Some intro over two lines.",
            "Background",
            "| a | b |",
            "|---|---|",
            "Odd label: value",
            "raw block",
            "> quote"
        ]
    );
}

#[test]
fn crlf_and_bom() {
    let text = "\u{feff}# Title\r\n\r\n## Alarm (High) {#a}\r\n**Steps**\r\n1. one\r\n   ```\r\n   ls\r\n   ```\r\n2. two\r\n3. three\r\n";
    let rb = parse(text, "t", "t.md");
    assert_eq!(rb.title, "Title");
    let s = &rb.sections[0];
    assert_eq!(rb.sections.len(), 1);
    assert_eq!(s.id, "a");
    assert_eq!(s.steps.len(), 3);
    assert_eq!(s.steps[0].commands, ["ls"]);
    assert!(s.steps.iter().all(|st| !st.text.contains('\r')));
    let from_bytes = parse_bytes(text.as_bytes(), "t", "t.md").unwrap();
    // A lone CR ends a line too.
    let cr = parse("# T\r## A (High)\r**Steps**\r1. one\r", "t", "t.md");
    assert_eq!(cr.sections[0].steps[0].text, "one");
    assert_eq!(from_bytes, rb);
}

#[test]
fn problems_are_warnings_with_file_and_line_never_errors() {
    // An unclosed fence runs to the end of the file.
    let rb = parse(
        "# T\n## A (High)\n**Steps**\n1. x\n   ```bash\n   ls\n",
        "t",
        "t.md",
    );
    assert_eq!(rb.sections[0].steps[0].commands, ["ls"]);
    assert_eq!(rb.warnings.len(), 1, "{:?}", rb.warnings);
    assert!(
        rb.warnings[0].starts_with("t.md:5: ") && rb.warnings[0].contains("never closed"),
        "{:?}",
        rb.warnings
    );

    // A repeated id gets a suffix.
    let rb = parse("# T\n## A (High)\n## B (Low) {#a}\n", "t", "t.md");
    assert_eq!(alarm_ids(&rb), ["a", "a-2"]);
    assert!(rb.warnings[0].starts_with("t.md:3: ") && rb.warnings[0].contains("line 2"));

    // A bad explicit id falls back to the slug; an empty slug to a numbered id.
    let rb = parse("## A (High) {#bad id}\n\n## !!! (High)\n", "t", "t.md");
    assert_eq!(alarm_ids(&rb), ["a", "section-2"]);
    assert!(
        rb.warnings[0].contains("bad section id"),
        "{:?}",
        rb.warnings
    );

    // Not UTF-8 is the one error, with the line of the bad byte.
    let e = parse_bytes(b"# T\r\n## A (High)\r\nbad \xff byte\n", "t", "t.md").unwrap_err();
    assert_eq!((e.line, &e.kind), (Some(3), &RunbookErrorKind::NotUtf8));
    assert!(e.to_string().starts_with("t.md:3: not UTF-8"));

    // No alarm sections: the sections are text, and the reader says so.
    let rb = parse(
        "# T\n## Overview\n### Detail {#d}\nsome words\n",
        "t",
        "t.md",
    );
    assert_eq!(rb.alarms().count(), 0);
    let kinds: Vec<(&str, SectionKind)> = rb
        .sections
        .iter()
        .map(|s| (s.id.as_str(), s.kind))
        .collect();
    // `## Overview` has no text of its own, so only its sub-section shows.
    assert_eq!(kinds, [("d", SectionKind::Text)]);
    assert_eq!(section(&rb, "d").body, ["some words"]);
    assert!(
        rb.warnings.last().unwrap().contains("no alarm sections"),
        "{:?}",
        rb.warnings
    );
    let rb = parse("", "t", "t.md");
    assert!(rb.sections.is_empty() && rb.warnings[0].contains("no text"));
}

#[test]
fn plain_markdown_without_structure_is_readable_text() {
    let dir = std::env::temp_dir().join(format!("opsdeck-runbooks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notes.md");
    std::fs::write(&path, "Just some notes.\n\nNo headings, no lists.\n").unwrap();
    let rb = load_file(&path).unwrap();
    assert_eq!(rb.sections.len(), 1);
    let s = &rb.sections[0];
    assert_eq!((s.id.as_str(), s.kind), ("notes", SectionKind::Text));
    assert_eq!(s.body, ["Just some notes.", "", "No headings, no lists."]);
    let msg = &rb.warnings[0];
    assert!(
        msg.contains("notes.md") && msg.contains("no alarm sections"),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn load_dir_reads_md_files_in_order() {
    let dir = std::env::temp_dir().join(format!("opsdeck-runbooks-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("b.md"), "## B (Low)\n").unwrap();
    std::fs::write(dir.join("a.md"), "# Alpha\n## A (High)\n").unwrap();
    std::fs::write(dir.join("skip.txt"), "## C (Low)\n").unwrap();
    let books = load_dir(&dir).unwrap();
    let ids: Vec<(&str, &str)> = books
        .iter()
        .map(|r| (r.id.as_str(), r.title.as_str()))
        .collect();
    assert_eq!(ids, [("a", "Alpha"), ("b", "b")]);
    assert!(books[0].origin.ends_with("a.md"));
    std::fs::write(dir.join("c.md"), "nothing\n").unwrap();
    assert_eq!(load_dir(&dir).unwrap().len(), 3);
    std::fs::write(dir.join("d.md"), b"## D (Low)\n\xfe\n").unwrap();
    let e = load_dir(&dir).unwrap_err();
    assert!(e.origin.ends_with("d.md"), "{e}");
    assert_eq!((e.line, e.kind), (Some(2), RunbookErrorKind::NotUtf8));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(
        load_dir(&dir).unwrap_err().kind,
        RunbookErrorKind::Io(_)
    ));
}

#[test]
fn random_and_mutated_input_never_panics() {
    const PIECES: &[&str] = &[
        "# Title",
        "## Alarms",
        "### 1. Thing (Critical) {#thing}",
        "## Other (high)",
        "### {#}",
        "### x {#a b",
        "#### What fired",
        "**First response:**",
        "**Escalate when**: soon",
        "**",
        "1. step",
        "1)",
        "   - sub",
        "\t\t2. deep",
        "- item",
        "* * *",
        "```bash",
        "~~~",
        "```",
        "    # comment",
        "| a | b |",
        "(Low)",
        "### 2. 外部APIエラー（High）",
        "## アラート種別",
        "**初動対応ステップ:**",
        "- [ ] check",
        "- [x] done",
        "   - **DB**: see the Thing section → [x](#2-外部apiエラーhigh)へ",
        "[broken](",
        "| Critical | 15分以内 |",
        "**対応時間**: 1時間以内",
        "\u{feff}",
        "é ü 日本 🦀",
        "\r",
        "",
        "   ",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let shipped: Vec<&str> = BUILTIN.iter().flat_map(|(_, t)| t.lines()).collect();
    for round in 0..2000 {
        let mut lines: Vec<String> = Vec::new();
        let n = rng.below(40);
        for _ in 0..n {
            let mut line = if rng.below(3) == 0 {
                shipped[rng.below(shipped.len())].to_string()
            } else {
                PIECES[rng.below(PIECES.len())].to_string()
            };
            // Mutations: cut at a char boundary, indent, glue two pieces.
            match rng.below(5) {
                0 => {
                    let cuts: Vec<usize> = line.char_indices().map(|(i, _)| i).collect();
                    if !cuts.is_empty() {
                        line.truncate(cuts[rng.below(cuts.len())]);
                    }
                }
                1 => line.insert_str(0, &" ".repeat(rng.below(9))),
                2 => line.push_str(PIECES[rng.below(PIECES.len())]),
                _ => {}
            }
            lines.push(line);
        }
        let sep = if round % 3 == 0 { "\r\n" } else { "\n" };
        let text = lines.join(sep);
        let rb = parse(&text, "r", "r.md");
        let mut ids: Vec<&str> = rb.sections.iter().map(|s| s.id.as_str()).collect();
        assert!(ids.iter().all(|id| !id.is_empty()), "{text:?}");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rb.sections.len(), "{text:?}");
        for s in &rb.sections {
            assert!(s.steps.iter().all(|st| !st.text.is_empty()), "{text:?}");
            for l in &s.links {
                assert!(rb.section(&l.target).is_some(), "{text:?}");
            }
        }
        if !text.trim().is_empty() {
            assert!(
                !rb.sections.is_empty() || !rb.warnings.is_empty(),
                "{text:?}"
            );
        }
        // Raw bytes with a random byte flipped, including invalid UTF-8.
        let mut bytes = text.into_bytes();
        if !bytes.is_empty() {
            let i = rng.below(bytes.len());
            bytes[i] = rng.next_u64() as u8;
        }
        let _ = parse_bytes(&bytes, "r", "r.md");
    }
}

#[test]
fn runbook_text_never_carries_controls_or_bidi_overrides_to_the_screen() {
    // A runbook from a shared repository is shown on shared screens: the same guarantee as
    // log lines. Line numbers still agree with the file.
    let text = "# Book\n\n## Api\u{202e}Down {#api-down}\n\n\
                1. Restart \u{1b}]52;c;ZXZpbA==\u{7}the \u{9b}2Jservice\u{200b}\n\
                2. Tell\u{2028}the team\u{2066}\n\n```\naws lambda get-function\u{1b}[2J\n```\n";
    let rb = parse(text, "t", "t.md");
    let s = section(&rb, "api-down");
    let mut all = vec![s.title.clone()];
    for st in &s.steps {
        all.push(st.text.clone());
        all.extend(st.commands.iter().cloned());
    }
    all.extend(s.body.iter().cloned());
    all.extend(s.summary.iter().cloned());
    for t in &all {
        assert!(
            !t.chars()
                .any(|c| c.is_control() && c != '\n' || crate::model::log::is_invisible_format(c)),
            "{t:?}"
        );
    }
    assert_eq!(s.title, "ApiDown");
    assert_eq!(s.line, 3);
    assert_eq!(
        s.body,
        [
            "1. Restart ]52;c;ZXZpbA==the 2Jservice",
            "2. Tell the team",
            "",
            "    aws lambda get-function[2J",
        ]
    );
}
