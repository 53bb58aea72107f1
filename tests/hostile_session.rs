//! Hostile log lines against the real binary: lines carrying terminal escapes (OSC 52
//! clipboard writes, OSC 8 hyperlinks, OSC 0/2 titles, DCS/APC/PM/SOS strings, CSI cursor,
//! erase, SGR and mode sequences), C1 controls, raw BEL/BS/CR/NUL/DEL, bidi overrides,
//! zero-width and tag characters and a very long line are written as log events into a log
//! group of this test on the AWS emulator; opsdeck runs in a pty with a profile that tails
//! that group only. Every byte it writes is kept and parsed strictly: the only escape
//! sequences allowed are the ones the terminal backend (crossterm, driven by ratatui) emits
//! itself, no payload of a hostile line appears inside one or anywhere else, no OSC, DCS,
//! APC, PM or SOS string and no C1 control is written at all, and the hostile lines' visible
//! text (as sanitised) is on the screen, which proves they arrived.
//!
//! The log group is this test's own (`/opsdeck-test/hostile/<nanos>`), created and deleted
//! here with a plain SDK client (opsdeck's own clients are read-only). The default inventory
//! reads only the functions' groups and the profile's `log_groups`, so runs of other tests
//! never see it; it is deleted at the end (also when the test fails).
//!
//! Invalid UTF-8 cannot be sent this way (PutLogEvents takes a string): the fuzz target
//! `log_line` and `tests/fuzz_corpus.rs` cover invalid bytes in the parser.

mod common;
use common::pty::{contains, Session};
use common::Scratch;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use opsdeck::model::log::{is_invisible_format, parse_line};

/// The hostile lines: (marker, message). The marker starts each line so it is on screen
/// however narrow the message column is.
fn hostile_lines() -> Vec<(&'static str, String)> {
    let long = format!("HX11 long {} tail-never-shown", "L".repeat(20_000));
    vec![
        ("HX01", "HX01 osc52 \x1b]52;c;ZWNobyBwd25lZAo=\x07 after".into()),
        (
            "HX02",
            "HX02 osc8 \x1b]8;;https://evil.example/\x1b\\LINKTEXT\x1b]8;;\x1b\\ after".into(),
        ),
        (
            "HX03",
            "HX03 title \x1b]0;PWNTITLE\x07 \x1b]2;PWNTITLE2\x1b\\ after".into(),
        ),
        (
            "HX04",
            "HX04 dcs \x1bP1$r0m\x1b\\ \x1bP+q544e\x1b\\ \x1bPq#0;2;0;0;0#0~~-\x1b\\ after".into(),
        ),
        (
            "HX05",
            "HX05 csi \x1b[2J\x1b[H\x1b[10;10H\x1b[31mRED\x1b[0m\x1b[5A\x1b[999C after".into(),
        ),
        (
            "HX06",
            "HX06 modes \x1b[?1049l\x1b[?1000h\x1b[?1006h\x1b[?2004l\x1b[?25l\x1b[?7l after"
                .into(),
        ),
        (
            "HX07",
            "HX07 c1 \u{9b}2J \u{9d}0;C1TITLE\u{7} \u{90}C1DCS\u{9c} \u{9b}?1049l after".into(),
        ),
        (
            "HX08",
            "HX08 ctl bell\x07 bs\x08\x08 cr\rCRTEXT nul\x00 del\x7f esc\x1b7\x1b8 after".into(),
        ),
        (
            "HX09",
            "HX09 bidi \u{202e}desrever\u{202c} \u{2066}iso\u{2069} \u{200f}rlm after".into(),
        ),
        (
            "HX10",
            "HX10 zero a\u{200b}b\u{200d}c\u{feff}d\u{2060}e tag\u{e0041}\u{e0042} after".into(),
        ),
        ("HX11", long),
        (
            "HX12",
            r#"{"level":"error","message":"HX12 json \u001b]52;c;SlNPTlBBWUxPQUQ=\u0007 \u009b2J after","requestId":"\u001b[2Jreq-12"}"#
                .into(),
        ),
        (
            "HX13",
            "HX13 strings \x1b_APCPAYLOAD\x1b\\ \x1b^PMPAYLOAD\x1b\\ \x1bXSOSPAYLOAD\x1b\\ after"
                .into(),
        ),
        (
            "HX14",
            "2026-11-23T09:00:00.000Z\treq-14\tERROR\tHX14 lambda \x1b]52;c;TEFNQkRB\x07 after"
                .into(),
        ),
        (
            "HX15",
            "HX15 unterminated \x1b]52;c;VU5URVJNSU5BVEVE and the rest is swallowed".into(),
        ),
    ]
}

/// Text that must never reach the terminal: the payloads inside the hostile sequences.
const PAYLOADS: &[&str] = &[
    "ZWNobyBwd25lZAo=",
    "evil.example",
    "PWNTITLE",
    "1$r0m",
    "544e",
    "#0;2;0;0;0",
    "C1TITLE",
    "C1DCS",
    "SlNPTlBBWUxPQUQ",
    "APCPAYLOAD",
    "PMPAYLOAD",
    "SOSPAYLOAD",
    "TEFNQkRB",
    "VU5URVJNSU5BVEVE",
    "tail-never-shown",
];

/// Marker bytes that must never be inside an escape sequence opsdeck writes.
const IN_SEQUENCE: &[&str] = &["]52;", "]8;;", "]0;", "]2;", "P1$", "P+q", "HX"];

/// A log group of this test on the emulator, deleted on drop.
struct Group {
    rt: tokio::runtime::Runtime,
    client: aws_sdk_cloudwatchlogs::Client,
    name: String,
}

impl Group {
    fn create() -> Group {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let sdk = rt.block_on(aws_config::defaults(BehaviorVersion::latest()).load());
        let client = aws_sdk_cloudwatchlogs::Client::new(&sdk);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("/opsdeck-test/hostile/{nanos}");
        rt.block_on(client.create_log_group().log_group_name(&name).send())
            .expect("create_log_group");
        Group { rt, client, name }
    }

    fn put(&self, messages: &[String]) {
        let stream = "hostile";
        self.rt
            .block_on(
                self.client
                    .create_log_stream()
                    .log_group_name(&self.name)
                    .log_stream_name(stream)
                    .send(),
            )
            .expect("create_log_stream");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let n = messages.len() as i64;
        let events = messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                InputLogEvent::builder()
                    .timestamp(now - (n - i as i64) * 1000)
                    .message(m)
                    .build()
                    .unwrap()
            })
            .collect();
        self.rt
            .block_on(
                self.client
                    .put_log_events()
                    .log_group_name(&self.name)
                    .log_stream_name(stream)
                    .set_log_events(Some(events))
                    .send(),
            )
            .expect("put_log_events");
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = self.rt.block_on(
            self.client
                .delete_log_group()
                .log_group_name(&self.name)
                .send(),
        );
    }
}

/// One piece of the output.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(char),
    /// `ESC [` private-marker params intermediates final.
    Csi {
        private: Option<char>,
        params: String,
        inter: String,
        fin: char,
    },
    /// `ESC` intermediates final (not `[`).
    Esc {
        inter: String,
        fin: char,
    },
}

/// Split the output into text and escape sequences, strictly: the bytes must be UTF-8; a
/// string sequence (OSC `ESC ]`, DCS `ESC P`, SOS `ESC X`, PM `ESC ^`, APC `ESC _`), a C1
/// control (U+0080..U+009F, raw or as 8-bit introducers), a C0 control other than CR and LF,
/// a malformed CSI (a byte outside the ECMA-48 parameter / intermediate / final ranges) or
/// an invisible format character (bidi controls, zero-width and tag characters) is an error.
fn parse(raw: &[u8]) -> Result<Vec<(usize, Piece)>, String> {
    let text = std::str::from_utf8(raw).map_err(|e| format!("output is not UTF-8: {e}"))?;
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some((at, c)) = it.next() {
        let ctx = || {
            let end = (at + 40).min(text.len());
            let start = at.saturating_sub(40);
            let start = (0..=start)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            let end = (end..=text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            format!("{:?}", &text[start..end])
        };
        match c {
            '\x1b' => {
                let Some((_, next)) = it.next() else {
                    return Err(format!("ESC at the end, byte {at}"));
                };
                match next {
                    '[' => {
                        let mut private = None;
                        let mut params = String::new();
                        let mut inter = String::new();
                        let fin = loop {
                            let Some((_, b)) = it.next() else {
                                return Err(format!("unterminated CSI at byte {at}: {}", ctx()));
                            };
                            match b {
                                '<' | '=' | '>' | '?' if params.is_empty() && private.is_none() => {
                                    private = Some(b)
                                }
                                '0'..='9' | ';' | ':' if inter.is_empty() => params.push(b),
                                ' '..='/' => inter.push(b),
                                '@'..='~' => break b,
                                _ => {
                                    return Err(format!(
                                        "malformed CSI at byte {at} ({b:?}): {}",
                                        ctx()
                                    ))
                                }
                            }
                        };
                        out.push((
                            at,
                            Piece::Csi {
                                private,
                                params,
                                inter,
                                fin,
                            },
                        ));
                    }
                    ']' | 'P' | 'X' | '^' | '_' => {
                        return Err(format!(
                            "string sequence ESC {next} (OSC/DCS/SOS/PM/APC) at byte {at}: {}",
                            ctx()
                        ))
                    }
                    _ => {
                        let mut inter = String::new();
                        let mut b = next;
                        while (' '..='/').contains(&b) {
                            inter.push(b);
                            b = it
                                .next()
                                .ok_or_else(|| format!("unterminated ESC at byte {at}"))?
                                .1;
                        }
                        if !('0'..='~').contains(&b) {
                            return Err(format!("malformed ESC sequence at byte {at}: {}", ctx()));
                        }
                        out.push((at, Piece::Esc { inter, fin: b }));
                    }
                }
            }
            '\r' | '\n' => out.push((at, Piece::Text(c))),
            c if c < ' ' || c == '\x7f' => {
                return Err(format!("C0 control {c:?} at byte {at}: {}", ctx()))
            }
            c if ('\u{80}'..='\u{9f}').contains(&c) => {
                return Err(format!("C1 control {c:?} at byte {at}: {}", ctx()))
            }
            c if is_invisible_format(c) => {
                return Err(format!(
                    "invisible format character {c:?} at byte {at}: {}",
                    ctx()
                ))
            }
            c => out.push((at, Piece::Text(c))),
        }
    }
    Ok(out)
}

/// The escape sequences crossterm writes for ratatui and for opsdeck's terminal setup, and
/// nothing else:
/// - `CSI row ; col H` (cursor position, within the 200x60 screen): every cell run ratatui
///   draws starts with one;
/// - `CSI params m` (SGR: colours and attributes, numbers only);
/// - `CSI n J` / `CSI n K` (erase display / line, n in 0..=3; `Terminal::clear`);
/// - `CSI ?25h` / `CSI ?25l` (show / hide the cursor);
/// - `CSI ?1049h/l` (alternate screen), `CSI ?1000/1002/1003/1006/1015 h/l` (mouse
///   capture), `CSI ?2004h/l` (bracketed paste): terminal setup and restore only (the caller
///   checks they come before the first frame and after the last).
///
/// Anything else (cursor moves other than absolute positioning, scroll regions, window
/// operations, keypad modes, `ESC 7`/`ESC 8`, charset selection...) is not something the
/// backend writes here, so it could only come from data.
fn allowed(p: &Piece) -> Result<(), String> {
    let nums = |params: &str| -> Option<Vec<u32>> {
        if params.is_empty() {
            return Some(Vec::new());
        }
        params
            .split([';', ':'])
            .map(|n| {
                if n.is_empty() {
                    Some(0)
                } else {
                    n.parse().ok()
                }
            })
            .collect()
    };
    match p {
        Piece::Text(_) => Ok(()),
        Piece::Esc { inter, fin } => Err(format!("ESC {inter}{fin}")),
        Piece::Csi {
            private,
            params,
            inter,
            fin,
        } => {
            if !inter.is_empty() {
                return Err(format!("intermediate bytes {inter:?}"));
            }
            let n = nums(params).ok_or("parameters that are not numbers")?;
            match (private, fin) {
                (None, 'H') => match n.as_slice() {
                    [] | [_] => Ok(()),
                    [row, col] if *row <= 60 && *col <= 200 => Ok(()),
                    _ => Err(format!("cursor position off the screen: {n:?}")),
                },
                (None, 'm') if n.iter().all(|v| *v <= 255) => Ok(()),
                (None, 'J' | 'K') if n.len() <= 1 && n.iter().all(|v| *v <= 3) => Ok(()),
                (Some('?'), 'h' | 'l')
                    if matches!(
                        n.as_slice(),
                        [25] | [1049] | [1000] | [1002] | [1003] | [1006] | [1015] | [2004]
                    ) =>
                {
                    Ok(())
                }
                _ => Err("not in the allowed set".into()),
            }
        }
    }
}

#[test]
fn hostile_log_lines_never_reach_the_terminal() {
    common::env("AWS_ENDPOINT_URL");
    let lines = hostile_lines();
    let group = Group::create();
    group.put(&lines.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>());

    let home = Scratch::new("hostile-session");
    let profile = home.0.join("hostile.toml");
    let none = "opsdeck-hostile-none";
    std::fs::write(
        &profile,
        format!(
            "[service]\nname = \"hostile-logs\"\n\n[aws]\nfunctions = [\"{none}\"]\napis = [\"{none}\"]\ntables = [\"{none}\"]\ndb_clusters = [\"{none}\"]\nalarm_prefixes = [\"{none}\"]\nlog_groups = [\"{}\"]\nno_function_logs = true\n",
            group.name
        ),
    )
    .unwrap();
    let mut s = Session::start_in(&home.0, &["--config", profile.to_str().unwrap()], 200, 60);
    let wait = Duration::from_secs(90);
    s.wait_for("the console", wait, |t| t.contains("Log tail"));
    // Focus the log pane and zoom it: every line on screen at once.
    s.send("L");
    s.send("z");
    let markers: Vec<&str> = lines.iter().map(|(m, _)| *m).collect();
    let screen = s.wait_for("every hostile line", wait, |t| {
        markers.iter().all(|m| t.contains(m))
    });
    s.send("z");
    s.send("q");
    let status = s.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let raw = s.raw();

    // 1. The output parses under the strict grammar: no string sequence, no C1, no stray C0,
    //    no invisible format character (see `parse`).
    let pieces = parse(&raw).unwrap_or_else(|e| panic!("{e}"));

    // 2. Every escape sequence is one the backend emits (see `allowed`), and no hostile
    //    marker is inside one.
    let draws: Vec<usize> = pieces
        .iter()
        .filter(|(_, p)| {
            matches!(
                p,
                Piece::Csi {
                    fin: 'H',
                    private: None,
                    ..
                }
            )
        })
        .map(|(at, _)| *at)
        .collect();
    let (first_draw, last_draw) = (draws[0], *draws.last().unwrap());
    let mut set = Vec::new();
    let mut reset = Vec::new();
    for (i, (at, p)) in pieces.iter().enumerate() {
        let end = pieces.get(i + 1).map_or(raw.len(), |(next, _)| *next);
        let bytes = &raw[*at..end];
        if let Piece::Text(_) = p {
            continue;
        }
        for m in IN_SEQUENCE {
            assert!(
                !contains(bytes, m.as_bytes()),
                "{m:?} inside an escape sequence at byte {at}: {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        if let Err(why) = allowed(p) {
            panic!(
                "escape sequence the backend does not emit at byte {at}: {:?} ({why})",
                String::from_utf8_lossy(bytes)
            );
        }
        // Terminal modes (alternate screen, mouse reporting, bracketed paste) change only
        // while setting up (before the first frame) and restoring (after the last one):
        // the hostile `ESC [?1049l` / `ESC [?1000h` / `U+009B ?1049l` never got through.
        if let Piece::Csi {
            private: Some('?'),
            params,
            fin,
            ..
        } = p
        {
            if params != "25" {
                match fin {
                    'h' => {
                        assert!(
                            *at < first_draw,
                            "mode {params} set mid-session (byte {at})"
                        );
                        set.push(params.clone());
                    }
                    _ => {
                        assert!(
                            *at > last_draw,
                            "mode {params} reset mid-session (byte {at})"
                        );
                        reset.push(params.clone());
                    }
                }
            }
        }
    }
    set.sort();
    reset.sort();
    assert_eq!(
        set, reset,
        "every mode set at the start is reset at the end"
    );
    assert!(
        set.contains(&"1049".to_string()),
        "the alternate screen was used"
    );

    // 3. No payload of a hostile line was written at all, not even as text.
    for p in PAYLOADS {
        assert!(
            !contains(&raw, p.as_bytes()),
            "payload {p:?} reached the terminal"
        );
    }

    // 4. The lines arrived: each one's sanitised message (as the parser makes it) is on the
    //    screen, up to the width the zoomed pane shows.
    for (marker, message) in &lines {
        let entry = parse_line(0, &group.name, message.as_bytes());
        let shown: String = entry.message().chars().take(80).collect();
        assert!(
            shown.starts_with(marker),
            "{marker}: sanitised to {shown:?}"
        );
        assert!(
            screen.contains(&shown),
            "{marker}: {shown:?} is not on the screen:\n{screen}"
        );
    }
}

/// The checker itself: what a leak would look like is rejected, what the backend writes is
/// accepted (so a passing session test means something).
#[test]
fn the_checker_rejects_leaks_and_accepts_the_backend() {
    let ok =
        "\x1b[?1049h\x1b[?25l\x1b[1;1H\x1b[38;5;196;1mA\x1b[0m\x1b[2J\x1b[K\x1b[?25h\x1b[?1049l";
    let pieces = parse(ok.as_bytes()).unwrap();
    for (_, p) in &pieces {
        allowed(p).unwrap();
    }
    for bad in [
        "x\x1b]52;c;ZQ==\x07",
        "x\x1b]8;;http://e/\x1b\\",
        "x\x1b]0;t\x07",
        "x\x1bP1$r\x1b\\",
        "x\x1b_a\x1b\\",
        "x\x1b^a\x1b\\",
        "x\x1bXa\x1b\\",
        "x\u{9b}2J",
        "x\u{9d}0;t\u{7}",
        "x\x07",
        "x\x08",
        "x\t",
        "x\u{202e}y",
        "x\u{200b}y",
        "x\x1b[1;1",
        "x\x1b[1;\x01H",
    ] {
        assert!(parse(bad.as_bytes()).is_err(), "{bad:?} parsed");
    }
    assert!(parse(b"\xff").is_err(), "invalid UTF-8");
    for bad in [
        "\x1b7",
        "\x1b(B",
        "\x1b[5A",
        "\x1b[999C",
        "\x1b[?7l",
        "\x1b[?1h",
        "\x1b[1;2r",
        "\x1b[8;1;1t",
        "\x1b[61;1H",
        "\x1b[2 q",
        "\x1b[6n",
        "\x1b[1$H",
    ] {
        let pieces = parse(bad.as_bytes()).unwrap();
        assert!(allowed(&pieces[0].1).is_err(), "{bad:?} allowed");
    }
}
