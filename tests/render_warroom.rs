//! The war room, rendered headlessly: redaction of hostile data in every pane (and not in the
//! clipboard), presentation mode at shared-screen sizes, the themes and NO_COLOR.

mod common;
use common::render::{demo_at, screen, text};

use opsdeck::app::{self, Action, AppState, Command, PaneId};
use opsdeck::model::alarm::{AlarmState, CloudAlarm};
use opsdeck::model::environment::Environment;
use opsdeck::model::threshold::Level;
use opsdeck::model::{RawLog, Update};
use opsdeck::ui::theme::Theme;
use opsdeck::warroom;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const ACCOUNT: &str = "123456789012";
const EMAIL: &str = "alice.ops@example.com";
const IP: &str = "203.0.113.42";
const IP6: &str = "2001:db8::7";
const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const PASSWORD: &str = "hunter2-Prod!";
const USER_ID: &str = "u-7731-xq";

/// Everything that must never reach a shared screen while redaction is on.
const SECRETS: [&str; 7] = [ACCOUNT, EMAIL, IP, IP6, KEY, PASSWORD, USER_ID];

/// The bad-deploy demo with identifiers in its logs, a CloudWatch alarm and a runbook step.
fn hostile() -> AppState {
    let mut s = demo_at("bad-deploy", 10);
    let now = s.model.now;
    let src = "/aws/lambda/crypto-watch-api".to_string();
    let lines = [
        format!("ERROR AccessDenied: User: arn:aws:iam::{ACCOUNT}:user/deploy-bot is not authorized"),
        format!(
            "{{\"level\":\"WARN\",\"msg\":\"login failed for {EMAIL}\",\"userId\":\"{USER_ID}\",\"sourceIp\":\"{IP}\"}}"
        ),
        format!("INFO connect from {IP} via {IP6} with key {KEY}"),
        format!("ERROR db connect failed password={PASSWORD} account {ACCOUNT}"),
    ];
    let logs = lines
        .iter()
        .enumerate()
        .map(|(i, l)| RawLog {
            ts: now - 4 + i as i64,
            source: src.clone(),
            bytes: l.as_bytes().to_vec(),
        })
        .collect();
    let alarms = vec![CloudAlarm {
        name: format!("ops-{ACCOUNT}-5xx"),
        composite: false,
        state: AlarmState::Alarm,
        reason: format!(
            "Threshold Crossed on arn:aws:lambda:us-east-1:{ACCOUNT}:function:api from {IP}"
        ),
        since: now - 120,
        description: format!("pages {EMAIL}"),
        condition: "AWS/Lambda Errors Sum > 5 for 1 of 1 x 60s".into(),
        value: Some(9.0),
    }];
    app::update(
        &mut s,
        Action::Updates(vec![Update::Logs(logs), Update::CloudAlarms(alarms)]),
    );
    s
}

/// Open the runbook of the first firing profile alarm; its current step gets a command that
/// names the account and an email.
fn open_runbook(s: &mut AppState) {
    let i = s
        .model
        .alarms
        .iter()
        .position(|a| a.state == AlarmState::Alarm && a.def.runbook.is_some())
        .expect("a firing alarm with a runbook");
    s.ui.focus = PaneId::Alarms;
    s.ui.alarm_cursor = i;
    press(s, Command::Select);
    let reference = s
        .opened
        .as_ref()
        .and_then(|o| o.section.clone())
        .expect("opened");
    let cursor = s.walks[&reference].cursor;
    let (rb, sec) = reference.split_once('#').unwrap();
    let section = s
        .runbooks
        .iter_mut()
        .find(|r| r.id == rb)
        .and_then(|r| r.sections.iter_mut().find(|x| x.id == sec))
        .unwrap();
    section.steps[cursor].commands = vec![format!(
        "aws sts assume-role --role-arn arn:aws:iam::{ACCOUNT}:role/ops --role-session-name {EMAIL}"
    )];
    s.ui.copy_next = None;
}

fn press(s: &mut AppState, c: Command) {
    app::update(s, Action::Command(c));
}

fn leaks(t: &str) -> Vec<&'static str> {
    SECRETS.iter().copied().filter(|x| t.contains(x)).collect()
}

#[test]
fn hostile_logs_are_masked_and_r_brings_them_back() {
    let mut s = hostile();
    s.ui.focus = PaneId::Logs;
    s.ui.zoomed = true;
    let plain = text(&screen(&s, 140, 24));
    for x in [ACCOUNT, EMAIL, IP, IP6, KEY, PASSWORD, USER_ID] {
        assert!(plain.contains(x), "{x} shown without redaction:\n{plain}");
    }
    press(&mut s, Command::Redact);
    assert!(s.ui.redact);
    let masked = text(&screen(&s, 140, 24));
    assert!(
        leaks(&masked).is_empty(),
        "{:?} leaked:\n{masked}",
        leaks(&masked)
    );
    assert!(
        masked.contains("arn:aws:iam::••••••••••••:user/deploy-bot"),
        "{masked}"
    );
    assert!(masked.contains("AKIA••••••••••••••••"), "{masked}");
    assert!(
        masked.contains("◉ redacted"),
        "the header says so:\n{masked}"
    );
    insta::assert_snapshot!("logs_redacted_140x24", masked);
    press(&mut s, Command::Redact);
    assert!(!s.ui.redact);
    s.ui.flash = None;
    assert_eq!(text(&screen(&s, 140, 24)), plain, "R brings them back");
}

#[test]
fn alarms_and_runbook_are_masked_but_copy_is_not() {
    let mut s = hostile();
    open_runbook(&mut s);
    s.ui.focus = PaneId::Runbook;
    for redact in [false, true] {
        s.ui.redact = redact;
        let t = text(&screen(&s, 200, 60));
        if redact {
            assert!(leaks(&t).is_empty(), "{:?} leaked:\n{t}", leaks(&t));
            assert!(t.contains("ops-••••••••••••-5xx"), "{t}");
            assert!(
                t.contains("--role-arn arn:aws:iam::••••••••••••:role/ops"),
                "the command is masked on screen:\n{t}"
            );
        } else {
            assert!(t.contains(&format!("ops-{ACCOUNT}-5xx")), "{t}");
            assert!(t.contains(&format!("iam::{ACCOUNT}:role/ops")), "{t}");
        }
    }
    // The operator's copy is the command as written.
    press(&mut s, Command::Copy);
    let copied = s.clipboard_out.clone().expect("copied");
    assert!(
        copied.contains(&format!("arn:aws:iam::{ACCOUNT}:role/ops")),
        "{copied}"
    );
    assert!(copied.contains(EMAIL), "{copied}");
    // ... while the status bar's "copied" message is masked on screen.
    let t = text(&screen(&s, 200, 60));
    assert!(leaks(&t).is_empty(), "{:?} leaked:\n{t}", leaks(&t));
}

#[test]
fn the_buffer_pass_catches_what_a_pane_left() {
    // The source label is drawn by the header and the status bar; a fault message only by the
    // status bar (which does not mask it itself): the pass over the finished frame does.
    let mut s = hostile();
    s.source_label = format!("aws us-east-1 · endpoint {IP}:4566");
    let now = s.model.now;
    app::update(
        &mut s,
        Action::Updates(vec![Update::SourceError {
            scope: "aws/logs".into(),
            message: format!("AccessDenied for arn:aws:logs:us-east-1:{ACCOUNT}:log-group:x"),
            at: now,
        }]),
    );
    s.ui.redact = true;
    for (w, h) in [(80, 24), (200, 60)] {
        let t = text(&screen(&s, w, h));
        assert!(
            leaks(&t).is_empty(),
            "{w}x{h}: {:?} leaked:\n{t}",
            leaks(&t)
        );
    }
}

fn production(s: &mut AppState) {
    s.model.profile.environment = Environment {
        account_id: Some(ACCOUNT.into()),
        region: Some("ap-northeast-1".into()),
        ..Environment::named("production")
    };
}

fn present(s: &mut AppState) {
    warroom::apply(s, true, None, None, false).expect("no theme to load");
}

/// The text of a presentation frame, with the checks every size shares.
fn present_frame(s: &AppState, w: u16, h: u16) -> (String, Buffer) {
    let buf = screen(s, w, h);
    let t = text(&buf);
    assert!(
        leaks(&t).is_empty(),
        "{w}x{h}: {:?} leaked:\n{t}",
        leaks(&t)
    );
    let banner = t.lines().next().unwrap_or_default();
    assert!(banner.contains("⚠ PRODUCTION"), "{banner}");
    assert!(banner.contains("account ••••••••••••"), "{banner}");
    // Red for production, across the whole banner row.
    let theme = &s.war.theme;
    for x in 0..w {
        assert_eq!(buf[(x, 0)].bg, theme.banner_prod_bg, "banner cell {x}");
    }
    for title in [
        "Requests",
        "Errors",
        "p95",
        "Throttles",
        "Aurora",
        "DynamoDB",
    ] {
        assert!(t.contains(title), "{title}:\n{t}");
    }
    assert!(t.contains("CRIT"), "levels in words:\n{t}");
    (t, buf)
}

#[test]
fn present_128x36() {
    let mut s = hostile();
    production(&mut s);
    present(&mut s);
    assert!(s.ui.present && s.ui.redact, "--present turns redaction on");
    let (t, _) = present_frame(&s, 128, 36);
    assert!(t.contains("┏━┓") || t.contains("╺━┓"), "big digits:\n{t}");
    assert!(t.contains("ap-northeast-1"), "{t}");
    insta::assert_snapshot!("present_128x36", t);
}

#[test]
fn present_160x45_with_the_runbook_step() {
    let mut s = hostile();
    production(&mut s);
    open_runbook(&mut s);
    present(&mut s);
    let (t, buf) = present_frame(&s, 160, 45);
    assert!(t.contains("Runbook step"), "{t}");
    assert!(t.contains("step 1 of"), "{t}");
    // The error-rate tile's number is in its level's colour.
    let level = opsdeck::ui::errors::level(&s);
    let style = s.war.theme.level(level);
    let row = (1..7u16)
        .find(|y| (0..160u16).any(|x| buf[(x, *y)].symbol() == "┏"))
        .expect("a row of big digits");
    assert!(
        (0..160u16).any(|x| buf[(x, row)].fg == style.fg.unwrap_or(Color::Reset)),
        "a big digit in {level:?} colour"
    );
    insta::assert_snapshot!("present_160x45", t);
}

#[test]
fn present_80x24() {
    let mut s = hostile();
    production(&mut s);
    present(&mut s);
    let (t, _) = present_frame(&s, 80, 24);
    insta::assert_snapshot!("present_80x24", t);
}

#[test]
fn present_calm_banner_for_staging_and_w_leaves() {
    let mut s = demo_at("calm", 5);
    s.model.profile.environment = Environment::named("staging");
    press(&mut s, Command::Present);
    assert!(s.ui.present && s.ui.redact);
    let buf = screen(&s, 128, 36);
    let t = text(&buf);
    let banner = t.lines().next().unwrap();
    assert!(banner.contains("staging (not production)"), "{banner}");
    assert!(!banner.contains("PRODUCTION"), "{banner}");
    assert_eq!(buf[(0, 0)].bg, s.war.theme.banner_bg);
    assert_ne!(s.war.theme.banner_bg, s.war.theme.banner_prod_bg);
    press(&mut s, Command::Present);
    assert!(
        !s.ui.present && !s.ui.redact,
        "W leaves and redaction goes with it"
    );
    // No [environment]: the banner says so rather than guess.
    s.model.profile.environment = Environment::default();
    press(&mut s, Command::Present);
    let t = text(&screen(&s, 128, 36));
    assert!(
        t.lines().next().unwrap().contains("environment not set"),
        "{t}"
    );
}

#[test]
fn an_emulator_never_passes_for_production_in_the_banner() {
    // A production profile pointed at an emulator (AWS_ENDPOINT_URL): the banner says where
    // the numbers come from at every width, even when the service name and clock are dropped.
    let mut s = hostile();
    production(&mut s);
    s.war.endpoint = Some("127.0.0.1:4566".into());
    present(&mut s);
    for w in [80u16, 128, 160, 200] {
        let t = text(&screen(&s, w, 36));
        let banner = t.lines().next().unwrap();
        assert!(banner.contains("⚠ PRODUCTION"), "{w}: {banner}");
        assert!(banner.contains("not AWS"), "{w}: {banner}");
        assert!(banner.contains("firing"), "{w}: {banner}");
        if w >= 160 {
            // The host too, masked like every address while redaction is on.
            assert!(
                banner.contains("⚠ endpoint •••.•.•.•:4566 (not AWS)"),
                "{w}: {banner}"
            );
        }
    }
    press(&mut s, Command::Redact);
    let t = text(&screen(&s, 200, 36));
    assert!(t.contains("⚠ endpoint 127.0.0.1:4566 (not AWS)"), "{t}");
    s.war.endpoint = None;
    let t = text(&screen(&s, 200, 36));
    assert!(!t.lines().next().unwrap().contains("endpoint"), "{t}");
}

#[test]
fn present_never_panics_at_any_size() {
    let mut s = hostile();
    production(&mut s);
    present(&mut s);
    for (w, h) in [
        (0, 0),
        (1, 1),
        (10, 3),
        (40, 10),
        (79, 23),
        (80, 24),
        (100, 30),
        (128, 36),
        (160, 45),
        (250, 70),
    ] {
        let _ = screen(&s, w, h);
    }
    // Help shows over it.
    press(&mut s, Command::Help);
    let t = text(&screen(&s, 128, 36));
    assert!(t.contains("Help: keys"), "{t}");
}

/// The styles that tell states apart, in words, for a theme's snapshot.
fn style_summary(buf: &Buffer, theme: &Theme) -> String {
    let find = |needle: &str| -> Option<(u16, u16)> {
        let area = buf.area;
        for y in 0..area.height {
            let row: String = (0..area.width).map(|x| buf[(x, y)].symbol()).collect();
            if let Some(i) = row.find(needle) {
                let x = row[..i].chars().count() as u16;
                return Some((x, y));
            }
        }
        None
    };
    let describe = |(x, y): (u16, u16)| {
        let c = &buf[(x, y)];
        format!("fg={:?} bg={:?} {:?}", c.fg, c.bg, c.modifier)
    };
    let mut out = format!("theme {}\n", theme.name);
    for (what, needle) in [
        ("crit badge", "✖ CRIT"),
        ("ok badge", "✓ OK"),
        ("header", "opsdeck"),
        ("selected firing alarm", "ALARM   SEV1"),
    ] {
        match find(needle) {
            Some(p) => out.push_str(&format!("{what}: {}\n", describe(p))),
            None => out.push_str(&format!("{what}: not on screen\n")),
        }
    }
    out
}

#[test]
fn one_screen_per_theme() {
    for name in ["dark", "light", "high-contrast", "colour-blind"] {
        let mut s = demo_at("bad-deploy", 9);
        warroom::apply(&mut s, false, None, Some(name), false).unwrap();
        let buf = screen(&s, 120, 36);
        let theme = Theme::builtin(name).unwrap();
        // The crit badge is the theme's crit colour with its badge text colour.
        let summary = style_summary(&buf, &theme);
        assert!(
            summary.contains(&format!(
                "crit badge: fg={:?} bg={:?}",
                theme.badge_fg, theme.crit
            )),
            "{summary}"
        );
        insta::assert_snapshot!(
            format!("theme_{name}_120x36"),
            format!("{summary}\n{}", text(&buf))
        );
    }
}

#[test]
fn the_default_theme_draws_as_before() {
    // The state's theme is the dark one unless asked otherwise; the frame matches the one
    // drawn with `ui::theme()`, the default the other render tests use.
    let s = demo_at("bad-deploy", 9);
    assert_eq!(&s.war.theme, opsdeck::ui::theme());
    let buf = screen(&s, 120, 36);
    let errors_badge = style_summary(&buf, &s.war.theme);
    assert!(errors_badge.contains("fg=Black bg=Red"), "{errors_badge}");
}

fn assert_colourless(buf: &Buffer) {
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            assert_eq!((c.fg, c.bg), (Color::Reset, Color::Reset), "cell {x},{y}");
        }
    }
}

#[test]
fn no_color_has_no_colour_and_still_tells_states_apart() {
    let mut s = hostile();
    warroom::apply(&mut s, false, None, None, true).unwrap();
    assert_eq!(s.war.theme, Theme::no_color());
    for (w, h) in [(80, 24), (200, 60)] {
        let buf = screen(&s, w, h);
        assert_colourless(&buf);
        let t = text(&buf);
        assert!(t.contains("CRIT") && t.contains("ALARM"), "words:\n{t}");
    }
    let buf = screen(&s, 120, 36);
    let summary = style_summary(&buf, &s.war.theme);
    assert!(
        summary.contains("crit badge: fg=Reset bg=Reset BOLD | UNDERLINED | REVERSED"),
        "{summary}"
    );
    let crit = s.war.theme.level(Level::Crit);
    let ok = s.war.theme.level(Level::Ok);
    assert_ne!(crit.add_modifier, ok.add_modifier);
    assert!(crit
        .add_modifier
        .contains(Modifier::BOLD | Modifier::UNDERLINED));
    // Presentation mode too.
    present(&mut s);
    production(&mut s);
    assert_colourless(&screen(&s, 128, 36));
    // NO_COLOR gives way to a theme asked for by name.
    let mut s = demo_at("bad-deploy", 9);
    warroom::apply(&mut s, false, None, Some("dark"), true).unwrap();
    assert_eq!(s.war.theme.name, "dark");
}
