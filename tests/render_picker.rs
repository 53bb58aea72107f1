//! The resource picker (issue 3: many resources): worst-first ordering in the resource panes,
//! the picker overlay driven through `app::update` (open, move, filter, pin, unpin, close,
//! click), and what a pane with pinned resources shows.

use opsdeck::app::{update, Action, AppState, Command, InputKey, PaneId};
use opsdeck::keymap::Keymap;
use opsdeck::model::metrics::{
    keys, Capacity, DbInstance, DbRole, Inventory, LambdaFunction, Table,
};
use opsdeck::model::time::{Ts, MINUTE};
use opsdeck::model::{Model, Profile, Update};
use opsdeck::ui::{aurora, dynamo, picker, throttles};
use ratatui::layout::Rect;

mod common;
use common::render::{self, text};

/// 2024-05-01 10:00:30 UTC.
const NOW: Ts = 1_714_557_630;

/// The last 30 one-minute points before `NOW`, all `v`.
fn flat(v: f64) -> Vec<(Ts, f64)> {
    let last = NOW - NOW.rem_euclid(MINUTE) - MINUTE;
    (0..30).rev().map(|ago| (last - ago * MINUTE, v)).collect()
}

fn put(m: &mut Model, key: &str, v: f64) {
    m.apply(Update::Points {
        key: key.into(),
        points: flat(v),
    });
}

fn app(model: Model) -> AppState {
    let help = Keymap::builtin_default().help_lines();
    AppState::new(model, vec![], help, "test".into())
}

fn model(inv: Inventory) -> Model {
    let profile = Profile {
        name: "test".into(),
        ..Default::default()
    };
    let mut m = Model::new(profile, NOW, 1000);
    m.apply(Update::Inventory(inv));
    m
}

fn function(name: &str, reserved: u32) -> LambdaFunction {
    LambdaFunction {
        name: name.into(),
        reserved: Some(reserved),
    }
}

/// 40 functions `fn-00`..`fn-39` with reserved concurrency 100: distinct concurrencies
/// (`i * 37 % 100`), so fn-19 (3), fn-27 (99), fn-35 (95)... fn-07 at its limit (CRIT), fn-13
/// throttling at low concurrency (WARN), and fn-38 / fn-39 without data.
fn forty_functions() -> AppState {
    let inv = Inventory {
        service: "big-account".into(),
        functions: (0..40)
            .map(|i| function(&format!("fn-{i:02}"), 100))
            .collect(),
        account_concurrency: 1000,
        ..Default::default()
    };
    let mut m = model(inv);
    for i in 0..38 {
        let name = format!("fn-{i:02}");
        let conc = if i == 7 { 100.0 } else { (i * 37 % 100) as f64 };
        let thr = if i == 13 { 4.0 } else { 0.0 };
        put(&mut m, &keys::lambda_concurrency(&name), conc);
        put(&mut m, &keys::lambda_throttles(&name), thr);
    }
    m.tick(NOW);
    let mut s = app(m);
    s.ui.size = (100, 30);
    s.ui.focus = PaneId::Throttles;
    s
}

fn cmd(s: &mut AppState, c: Command) -> bool {
    update(s, Action::Command(c))
}

fn typed(s: &mut AppState, text: &str) {
    for c in text.chars() {
        update(s, Action::Input(InputKey::Char(c)));
    }
}

fn cursor(s: &AppState) -> Option<String> {
    s.ui.picker.as_ref().and_then(|p| p.pick.cursor.clone())
}

fn pinned(s: &AppState, pane: PaneId) -> Vec<String> {
    s.ui.pinned
        .get(&pane)
        .map(|set| set.iter().cloned().collect())
        .unwrap_or_default()
}

fn screen(s: &AppState) -> String {
    text(&render::screen(s, s.ui.size.0, s.ui.size.1))
}

fn pane(s: &AppState, pane: PaneId, w: u16, h: u16) -> String {
    text(&render::pane(s, pane, w, h, true))
}

// ---------------------------------------------------------------- ordering

#[test]
fn functions_are_ordered_worst_then_busiest_then_by_name() {
    let inv = Inventory {
        functions: ["a", "b", "c", "d", "e", "f", "g"]
            .iter()
            .map(|n| function(n, 100))
            .collect(),
        account_concurrency: 1000,
        ..Default::default()
    };
    let mut m = model(inv);
    // (name, concurrency, throttles)
    for (n, c, t) in [
        ("a", 50.0, 0.0),
        ("b", 95.0, 0.0),  // WARN: 95 % of its limit
        ("c", 10.0, 4.0),  // WARN: throttling
        ("d", 100.0, 0.0), // CRIT: at its limit
        ("f", 50.0, 0.0),  // ties with a: by name
        ("g", 50.0, 1.0),  // WARN: throttling, busier than c
    ] {
        put(&mut m, &keys::lambda_concurrency(n), c);
        put(&mut m, &keys::lambda_throttles(n), t);
    }
    m.tick(NOW);
    let s = app(m);
    let names: Vec<String> = throttles::functions(&s)
        .into_iter()
        .map(|f| f.name)
        .collect();
    // e has no data: last.
    assert_eq!(names, ["d", "b", "g", "c", "a", "f", "e"]);
    // The pane's rows are in that order too (not only when they overflow).
    let t = pane(&s, PaneId::Throttles, 90, 20);
    let rows: Vec<&str> = t
        .lines()
        .filter_map(|l| l.strip_prefix('│'))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.len() == 1 && w.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    assert_eq!(rows, ["d", "b", "g", "c", "a", "f", "e"], "{t}");
}

#[test]
fn instances_and_tables_are_ordered_worst_then_busiest() {
    let db = |id: &str, max: u32| DbInstance {
        id: id.into(),
        cluster: "c".into(),
        role: DbRole::Reader,
        class: "db.r6g.large".into(),
        max_connections: max,
    };
    let table = |name: &str, capacity: Capacity| Table {
        name: name.into(),
        capacity,
    };
    let prov = Capacity::Provisioned {
        rcu: 50.0,
        wcu: 25.0,
    };
    let inv = Inventory {
        db_instances: vec![db("db-a", 100), db("db-b", 100), db("db-c", 200)],
        tables: vec![
            table("t1", prov),
            table("t2", Capacity::OnDemand),
            table("t3", prov),
            table("t4", Capacity::OnDemand),
            table("t5", Capacity::OnDemand),
        ],
        ..Default::default()
    };
    let mut m = model(inv);
    put(&mut m, &keys::aurora_connections("db-a"), 30.0);
    put(&mut m, &keys::aurora_connections("db-b"), 85.0); // WARN
    put(&mut m, &keys::aurora_connections("db-c"), 30.0); // 15 %: after db-a
    for (t, read, thr) in [
        ("t1", 45.0, 0.0), // 90 % of provisioned: WARN
        ("t2", 100.0, 0.0),
        ("t3", 10.0, 0.0), // 20 % of provisioned: before the on-demand tables
        ("t4", 1.0, 2.0),  // throttling: CRIT
        ("t5", 5.0, 0.0),
    ] {
        put(&mut m, &keys::dynamo_read(t), read);
        put(&mut m, &keys::dynamo_write(t), 0.0);
        put(&mut m, &keys::dynamo_throttles(t), thr);
    }
    m.tick(NOW);
    let s = app(m);
    let ids: Vec<String> = aurora::instances(&s).into_iter().map(|i| i.id).collect();
    assert_eq!(ids, ["db-b", "db-a", "db-c"]);
    let names: Vec<String> = dynamo::tables(&s).into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["t4", "t1", "t3", "t2", "t5"]);
    // The picker lists them in the same order.
    let items: Vec<String> = picker::items(&s, PaneId::Dynamo)
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(items, names);
}

// ---------------------------------------------------------------- update()

#[test]
fn pick_opens_only_on_resource_panes() {
    let mut s = forty_functions();
    s.ui.focus = PaneId::Logs;
    assert!(!cmd(&mut s, Command::Pick), "nothing to pick in the log");
    assert!(s.ui.picker.is_none());
    for p in [PaneId::Throttles, PaneId::Aurora, PaneId::Dynamo] {
        s.ui.focus = p;
        assert!(cmd(&mut s, Command::Pick));
        assert_eq!(s.ui.picker.as_ref().map(|p| p.pane), Some(p));
        // pick again closes it
        assert!(cmd(&mut s, Command::Pick));
        assert!(s.ui.picker.is_none());
    }
}

#[test]
fn picker_moves_filters_pins_and_closes() {
    let mut s = forty_functions();
    cmd(&mut s, Command::Pick);
    let all = picker::visible_names(&s);
    assert_eq!(all.len(), 40);
    assert_eq!(all[0], "fn-07", "the CRIT function first");
    assert_eq!(&all[38..], ["fn-38", "fn-39"], "no data last");
    assert_eq!(cursor(&s), None, "the cursor starts on the first row");

    // Moving.
    cmd(&mut s, Command::Down);
    assert_eq!(cursor(&s).as_deref(), Some(all[1].as_str()));
    cmd(&mut s, Command::PageDown);
    assert_eq!(cursor(&s).as_deref(), Some(all[11].as_str()));
    cmd(&mut s, Command::Bottom);
    assert_eq!(cursor(&s).as_deref(), Some("fn-39"));
    assert!(!cmd(&mut s, Command::Down), "already at the bottom");
    cmd(&mut s, Command::PageUp);
    assert_eq!(cursor(&s).as_deref(), Some(all[29].as_str()));
    cmd(&mut s, Command::Top);
    assert_eq!(cursor(&s).as_deref(), Some("fn-07"));
    assert!(!cmd(&mut s, Command::Up));

    // Pinning and unpinning with select.
    cmd(&mut s, Command::Select);
    assert_eq!(pinned(&s, PaneId::Throttles), ["fn-07"]);
    cmd(&mut s, Command::Down);
    cmd(&mut s, Command::Select);
    assert_eq!(all[1], "fn-27", "99/100 next");
    assert_eq!(pinned(&s, PaneId::Throttles), ["fn-07", "fn-27"]);
    cmd(&mut s, Command::Select);
    assert_eq!(
        pinned(&s, PaneId::Throttles),
        ["fn-07"],
        "select again unpins"
    );

    // Filtering: `/` opens the text input, typing narrows the list live.
    cmd(&mut s, Command::FilterLog);
    assert!(s.text_input_open());
    typed(&mut s, "FN-3");
    assert_eq!(
        picker::visible_names(&s).len(),
        10,
        "fn-30..fn-39, case-insensitive"
    );
    update(&mut s, Action::Input(InputKey::Backspace));
    typed(&mut s, "3");
    update(&mut s, Action::Input(InputKey::Enter));
    assert!(!s.text_input_open());
    assert_eq!(s.ui.picker.as_ref().unwrap().pick.filter, "FN-3");
    let shown = picker::visible_names(&s);
    assert!(shown.iter().all(|n| n.starts_with("fn-3")), "{shown:?}");
    // The cursor's function is filtered out: the cursor is on the first listed one.
    cmd(&mut s, Command::Select);
    assert!(pinned(&s, PaneId::Throttles).contains(&shown[0]));
    // Esc while typing cancels the edit and keeps the applied filter.
    cmd(&mut s, Command::FilterLog);
    typed(&mut s, "zzz");
    assert!(picker::visible_names(&s).is_empty());
    assert!(!cmd(&mut s, Command::Select), "nothing to pin");
    update(&mut s, Action::Input(InputKey::Esc));
    assert_eq!(picker::visible_names(&s), shown);
    // Typed text never reaches the log filter.
    assert!(s.ui.log.editing.is_none() && s.ui.log.filter.text.is_empty());

    // clear-filter unpins all (in the picker, it is about pins, not the log).
    assert_eq!(pinned(&s, PaneId::Throttles).len(), 2);
    assert!(cmd(&mut s, Command::ClearFilter));
    assert!(pinned(&s, PaneId::Throttles).is_empty());
    assert!(!cmd(&mut s, Command::ClearFilter), "nothing left to unpin");

    // Other keys do nothing while it is open (it is modal); help still opens over it.
    let focus = s.ui.focus;
    assert!(!cmd(&mut s, Command::FocusNext));
    assert_eq!(s.ui.focus, focus);
    cmd(&mut s, Command::Help);
    assert!(s.ui.help);
    cmd(&mut s, Command::Back);
    assert!(
        !s.ui.help && s.ui.picker.is_some(),
        "back closes help first"
    );

    // Esc closes; pins stay.
    cmd(&mut s, Command::Select);
    cmd(&mut s, Command::Back);
    assert!(s.ui.picker.is_none());
    assert_eq!(pinned(&s, PaneId::Throttles).len(), 1);
    // Reopening starts afresh (no filter), pins kept.
    cmd(&mut s, Command::Pick);
    assert_eq!(picker::visible_names(&s).len(), 40);
    assert_eq!(pinned(&s, PaneId::Throttles).len(), 1);
}

#[test]
fn click_moves_the_picker_cursor_and_wheel_scrolls() {
    let mut s = forty_functions();
    cmd(&mut s, Command::Pick);
    let all = picker::visible_names(&s);
    let area = Rect::new(0, 0, 100, 30);
    let popup = picker::popup_area(area, 40);
    // Border, then the filter line, then the rows.
    let first_row = popup.y + 2;
    assert!(update(&mut s, Action::Click(popup.x + 10, first_row + 3)));
    assert_eq!(cursor(&s).as_deref(), Some(all[3].as_str()));
    // A click outside the list changes nothing (and does not move focus: the picker is modal).
    assert!(!update(&mut s, Action::Click(0, 0)));
    assert!(!update(&mut s, Action::Click(popup.x + 10, popup.y)));
    assert_eq!(s.ui.focus, PaneId::Throttles);
    assert!(update(&mut s, Action::Scroll(50, 15, 2)));
    assert_eq!(cursor(&s).as_deref(), Some(all[5].as_str()));
}

// ---------------------------------------------------------------- rendering

#[test]
fn picker_overlay_lists_all_functions_worst_first() {
    let mut s = forty_functions();
    cmd(&mut s, Command::Pick);
    cmd(&mut s, Command::Select); // pin fn-07
    for _ in 0..3 {
        cmd(&mut s, Command::Down);
    }
    cmd(&mut s, Command::Select);
    let t = screen(&s);
    assert!(t.contains("Pick: Lambda throttles · 2 pinned"), "{t}");
    assert!(t.contains("/ filter by name"), "{t}");
    assert!(
        t.contains("40 · enter pin · c unpin all · esc close"),
        "{t}"
    );
    assert!(
        t.contains("[x] fn-07") && t.contains("✖ CRIT") && t.contains("100/100"),
        "{t}"
    );
    insta::assert_snapshot!("picker_40_functions_100x30", t);

    // The status bar shows the picker's keys.
    let bar = t.lines().last().unwrap();
    assert!(
        bar.contains("enter pin/unpin") && bar.contains("esc close"),
        "{bar}"
    );

    // Scrolled to the end: the cursor row stays visible.
    cmd(&mut s, Command::Bottom);
    let t = screen(&s);
    assert!(t.contains("▶ [ ] fn-39") && t.contains("? NO DATA"), "{t}");
    assert!(!t.contains("fn-07  "), "the top scrolled away:\n{t}");
}

#[test]
fn picker_overlay_while_filtering() {
    let mut s = forty_functions();
    cmd(&mut s, Command::Pick);
    cmd(&mut s, Command::FilterLog);
    typed(&mut s, "fn-1");
    let t = screen(&s);
    assert!(t.contains("filter: fn-1▏"), "{t}");
    assert!(t.contains("10 of 40"), "{t}");
    let bar = t.lines().last().unwrap();
    assert!(
        bar.contains("enter apply filter") && bar.contains("esc cancel"),
        "{bar}"
    );
    insta::assert_snapshot!("picker_filtering_100x30", t);

    typed(&mut s, "zz");
    assert!(screen(&s).contains("no resource matches the filter"));
}

#[test]
fn throttles_pane_shows_exactly_the_pinned_functions() {
    let mut s = forty_functions();
    for name in ["fn-03", "fn-21", "fn-38"] {
        s.ui.pinned
            .entry(PaneId::Throttles)
            .or_default()
            .insert(name.to_string());
    }
    let t = pane(&s, PaneId::Throttles, 100, 20);
    // The rows (the headline names the busiest, fn-21, too).
    let shown: Vec<&str> = t
        .lines()
        .filter_map(|l| l.strip_prefix('│'))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with("fn-"))
        .collect();
    // In the pane's order: fn-03 (11/100), fn-21 (77/100), fn-38 (no data).
    assert_eq!(shown, ["fn-21", "fn-03", "fn-38"], "{t}");
    // The badge still covers every function; the title says what is hidden.
    let title = t.lines().next().unwrap();
    assert!(title.contains("✖ CRIT"), "{title}");
    assert!(
        title.contains("pinned 3/40 · 9 WARN/CRIT hidden"),
        "{title}"
    );
    // Three functions fit the legend: one chart line each, so the rows' names are coloured.
    assert!(!t.contains("more"), "{t}");

    // Unpinning all through the picker brings every function back.
    cmd(&mut s, Command::Pick);
    cmd(&mut s, Command::ClearFilter);
    cmd(&mut s, Command::Back);
    let t = pane(&s, PaneId::Throttles, 100, 20);
    assert!(!t.contains("pinned"), "{t}");
    assert!(t.contains("fn-07") && t.contains("+"), "{t}");
}

#[test]
fn status_hint_offers_pick_on_resource_panes_only() {
    let mut s = forty_functions();
    s.ui.size = (200, 30);
    let hints = opsdeck::ui::status::hints(&s);
    assert!(
        hints.iter().any(|(k, w)| k == "P" && w == "pick"),
        "{hints:?}"
    );
    s.ui.focus = PaneId::Requests;
    let hints = opsdeck::ui::status::hints(&s);
    assert!(!hints.iter().any(|(_, w)| w == "pick"), "{hints:?}");
}
