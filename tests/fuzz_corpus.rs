//! The fuzz targets' checks on stable, for CI: every committed seed in `fuzz/corpus/<target>/`,
//! every input the fuzzer once failed on (`fuzz/regressions/<target>/`), a few hand-made edge
//! cases, and deterministic mutations of the seeds, each through the same
//! `opsdeck::fuzzing::check_*` function its cargo-fuzz target calls. The checks panic with
//! the input when an invariant breaks (see `src/fuzzing.rs` for what each asserts).
//!
//! The fuzzer itself (nightly features, cargo-fuzz) is run by `scripts/fuzz.sh`, not by CI.

use opsdeck::fuzzing::Rng;
use std::path::{Path, PathBuf};

use opsdeck::fuzzing::{self, TARGETS};

fn dir(kind: &str, target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target)
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none when the directory does not exist).
fn inputs(kind: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir(kind, target)) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

fn check_named(target: &str) -> fn(&[u8]) {
    TARGETS
        .iter()
        .find(|(n, _)| *n == target)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no target {target}"))
}

/// Run `check` on `input`, naming where the input came from when it fails.
fn run(check: fn(&[u8]), what: &str, input: &[u8]) {
    if let Err(e) = std::panic::catch_unwind(|| check(input)) {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!("{what}: {msg}");
    }
}

#[test]
fn every_target_has_a_seed_corpus() {
    for (target, _) in TARGETS {
        let seeds = inputs("corpus", target);
        assert!(
            seeds.len() >= 3,
            "fuzz/corpus/{target}/ has {} files; each target keeps a handful of seeds",
            seeds.len()
        );
    }
}

#[test]
fn seeds_and_regressions_pass_the_checks() {
    for (target, check) in TARGETS {
        for kind in ["corpus", "regressions"] {
            for (path, bytes) in inputs(kind, target) {
                run(check, &path.display().to_string(), &bytes);
            }
        }
    }
}

/// Bytes that make interesting mutations: escape introducers, C1 controls in UTF-8, bidi
/// overrides, TOML and Markdown punctuation, a lone continuation byte.
const SPLICES: &[&[u8]] = &[
    b"\x1b",
    b"\x1b[",
    b"\x1b]52;c;",
    b"\x07",
    b"\x1b\\",
    "\u{9b}".as_bytes(),
    "\u{9d}".as_bytes(),
    "\u{202e}".as_bytes(),
    "\u{2066}".as_bytes(),
    b"\r",
    b"\n",
    b"\t",
    b"\"",
    b"[",
    b"]",
    b"[[",
    b"=",
    b"#",
    b"{#",
    b"```",
    b"| ",
    b"1. ",
    b"\xff",
    b"\x80",
    b"\xe3\x81",
];

/// A mutated copy of `seed`: a few byte flips, splices, cuts and duplications.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(5) {
            0 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] = rng.next_u64() as u8;
            }
            1 => {
                let s = SPLICES[rng.below(SPLICES.len())];
                b.splice(at..at, s.iter().copied());
            }
            2 => b.truncate(at),
            3 if at < b.len() => {
                let end = (at + rng.below(64)).min(b.len());
                let piece = b[at..end].to_vec();
                b.splice(end..end, piece);
            }
            _ => {
                let end = (at + rng.below(16)).min(b.len());
                b.drain(at..end);
            }
        }
    }
    b
}

#[test]
fn mutated_seeds_pass_the_checks() {
    for (target, check) in TARGETS {
        let seeds = inputs("corpus", target);
        let mut rng = Rng(0x0dd5_eed5 ^ target.len() as u64);
        for (path, bytes) in &seeds {
            for round in 0..60 {
                let input = mutate(bytes, &mut rng);
                run(
                    check,
                    &format!("{} mutation {round}: {input:?}", path.display()),
                    &input,
                );
            }
        }
    }
}

/// Hand-made edge cases, one per kind of trouble, named.
#[test]
fn edge_cases_pass_the_checks() {
    let long_escape = [b"\x1b[".as_slice(), &[b'1'; 100_000], b"m tail"].concat();
    let unterminated_osc = [b"\x1b]52;c;".as_slice(), &[b'A'; 50_000]].concat();
    let wide = "界".repeat(5000);
    let cases: &[(&str, &str, &[u8])] = &[
        ("log_line", "empty", b""),
        ("log_line", "only a source length byte", b"\x3f"),
        ("log_line", "huge CSI parameter", &long_escape),
        ("log_line", "unterminated OSC", &unterminated_osc),
        ("log_line", "wide chars past the cap", wide.as_bytes()),
        (
            "log_line",
            "escape in the source name",
            b"\x48\x1b]0;title\x07ab line",
        ),
        (
            "log_line",
            "JSON with escapes in every field",
            br#"@{"level":"error\u001b[2J","message":"m\u009b1m\u202e","requestId":"\u001b]52;c;eA==\u0007","userId":"u\r\nX","status":"\u0085"}"#,
        ),
        ("log_line", "lone surrogate escape in JSON", br#"@{"message":"\ud800x"}"#),
        ("profile", "empty", b""),
        ("profile", "not UTF-8", b"[service]\nname = \"\xff\"\n"),
        ("profile", "NUL", b"[service]\x00\nname = \"a\"\n"),
        ("profile", "deep nesting", &[b'['; 5000]),
        ("keymap", "empty", b""),
        ("keymap", "control char key", b"[keys]\n\"\\u001b\" = \"quit\"\n"),
        ("keymap", "deep nesting", &[b'['; 5000]),
        ("runbook", "empty", b""),
        ("runbook", "BOM and CRs only", "\u{feff}\r\r\r".as_bytes()),
        ("runbook", "bad byte on line 3", b"# a\n\n\xc3(\n"),
    ];
    for (target, name, input) in cases {
        run(check_named(target), &format!("{target}: {name}"), input);
    }
}

/// The loaders' checks hold the errors to naming the file and the line; make sure they do get
/// errors to look at (a check that never sees one would prove nothing).
#[test]
fn the_loader_checks_see_errors_with_lines() {
    let e = opsdeck::config::parse_service("[service\n", fuzzing::ORIGIN).unwrap_err();
    assert_eq!(e.line, Some(1), "{e}");
    let e =
        opsdeck::keymap::Keymap::parse("[keys]\nq = \"explode\"\n", fuzzing::ORIGIN).unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.to_string().contains(fuzzing::ORIGIN), "{e}");
}

/// Found by the `log_line` target: a JSON line without a message field shows the text before
/// the object and the object, each cut at the line width on its own, so the message was up to
/// twice as wide as a line may be. The whole is cut at one line's width now.
#[test]
fn a_json_line_without_message_is_one_line_wide() {
    use opsdeck::model::log::{parse_line, MAX_LINE_WIDTH, MAX_MARKER_WIDTH};
    let line = format!(
        "Invoke Error {} \t{{\"errorType\":\"{}\"}}",
        "x".repeat(3000),
        "y".repeat(3000)
    );
    let e = parse_line(0, "g", line.as_bytes());
    let width = unicode_width::UnicodeWidthStr::width(e.message());
    assert!(
        width <= MAX_LINE_WIDTH + MAX_MARKER_WIDTH,
        "{width} columns: {:?}",
        &e.message()[..80]
    );
    assert!(e.message().starts_with("Invoke Error xxx"));
    assert!(e.message().contains(" …[+"), "says it was cut");
}

/// Found by the `log_line` target: the request id and duration of Lambda's platform lines
/// (`REPORT RequestId: ... Duration: ...`) were taken from the message, which is cut at the
/// line width, not at the field width like every other field.
#[test]
fn platform_line_fields_are_cut_at_the_field_width() {
    use opsdeck::model::log::{parse_line, MAX_FIELD_WIDTH, MAX_MARKER_WIDTH};
    let line = format!(
        "REPORT RequestId: {}\tDuration: 102.{}ms\tBilled Duration: 103 ms",
        "r".repeat(1000),
        "9".repeat(1000)
    );
    let e = parse_line(0, "/aws/lambda/f", line.as_bytes());
    for label in ["requestId", "duration"] {
        let v = e
            .field(label)
            .unwrap_or_else(|| panic!("no {label}: {e:?}"));
        let width = unicode_width::UnicodeWidthStr::width(v);
        assert!(
            width <= MAX_FIELD_WIDTH + MAX_MARKER_WIDTH,
            "{label} is {width} columns"
        );
    }
    // Ordinary platform lines keep their fields whole.
    let e = parse_line(
        0,
        "/aws/lambda/f",
        b"REPORT RequestId: 0f1e2d3c-aaaa\tDuration: 102.33 ms\tBilled Duration: 103 ms",
    );
    assert_eq!(e.field("requestId"), Some("0f1e2d3c-aaaa"));
    assert_eq!(e.field("duration"), Some("102.33ms"));
}
