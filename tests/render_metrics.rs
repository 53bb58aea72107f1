//! The six metric panes rendered from hand-built models: snapshots at a normal and a compact
//! size, the state words and values they must show, and no panic or stray drawing at any size.

use opsdeck::app::{AppState, PaneId, TimeRange};
use opsdeck::model::metrics::{
    keys, Capacity, DbInstance, DbRole, Inventory, LambdaFunction, Marker, Table,
};
use opsdeck::model::threshold::Threshold;
use opsdeck::model::time::{Ts, MINUTE};
use opsdeck::model::{Model, Profile, ThresholdRule, Update};
use opsdeck::ui::theme::Theme;
use opsdeck::ui::{render_pane, PaneCtx};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;

mod common;
use common::render::text;

/// 2024-05-01 10:00:30 UTC: mid-minute, as the clock usually is.
const NOW: Ts = 1_714_557_630;

/// The six metric panes: the first six in focus order.
fn metric_panes() -> impl Iterator<Item = PaneId> {
    PaneId::ALL.into_iter().filter(|p| p.metric().is_some())
}

fn rule(series: &str, warn: Option<f64>, crit: Option<f64>) -> ThresholdRule {
    ThresholdRule {
        series: series.into(),
        threshold: Threshold::above(warn, crit),
    }
}

fn profile() -> Profile {
    Profile {
        name: "test".into(),
        thresholds: vec![
            rule(keys::ERROR_RATE, Some(1.0), Some(5.0)),
            rule(keys::ERROR_5XX, Some(1.0), Some(5.0)),
            rule(keys::P95, Some(1000.0), Some(2000.0)),
            rule(keys::P99, None, Some(5000.0)),
            rule("lambda/throttles/*", Some(0.0), Some(10.0)),
            rule("aurora/connections/*", None, Some(80.0)),
            rule("dynamo/throttles/*", None, Some(0.0)),
        ],
        alarms: vec![],
        surge_factor: 3.0,
        drop_factor: 1.0 / 3.0,
        cloud_alarms: vec![],
        ..Default::default()
    }
}

/// The last 60 one-minute points before `NOW`, from `f(minutes_ago)` (60 = oldest, 1 = newest).
fn points(f: impl Fn(i64) -> f64) -> Vec<(Ts, f64)> {
    let last = NOW - NOW.rem_euclid(MINUTE) - MINUTE;
    (1..=60)
        .rev()
        .map(|ago| (last - (ago - 1) * MINUTE, f(ago)))
        .collect()
}

/// A smooth, deterministic wobble.
fn wobble(ago: i64, amp: f64) -> f64 {
    (ago as f64 * 0.7).sin() * amp
}

fn put(m: &mut Model, key: &str, f: impl Fn(i64) -> f64) {
    m.apply(Update::Points {
        key: key.into(),
        points: points(f),
    });
}

fn inventory() -> Inventory {
    Inventory {
        service: "crypto-watch".into(),
        functions: vec![
            LambdaFunction {
                name: "crypto-watch-api".into(),
                reserved: Some(100),
            },
            LambdaFunction {
                name: "profile-api".into(),
                reserved: None,
            },
        ],
        account_concurrency: 1000,
        db_instances: vec![
            DbInstance {
                id: "profile-db-writer".into(),
                cluster: "profile-db".into(),
                role: DbRole::Writer,
                class: "db.r6g.large".into(),
                max_connections: 100,
            },
            DbInstance {
                id: "profile-db-reader-1".into(),
                cluster: "profile-db".into(),
                role: DbRole::Reader,
                class: "db.r6g.large".into(),
                max_connections: 100,
            },
        ],
        tables: vec![
            Table {
                name: "crypto-watch-data".into(),
                capacity: Capacity::Provisioned {
                    rcu: 50.0,
                    wcu: 25.0,
                },
            },
            Table {
                name: "profile-sessions".into(),
                capacity: Capacity::OnDemand,
            },
        ],
    }
}

/// An incident in progress: errors, latency, throttling and hot capacity, with a deploy marker.
fn full_model() -> Model {
    let mut m = Model::new(profile(), NOW, 1000);
    m.apply(Update::Inventory(inventory()));
    put(&mut m, keys::REQUESTS, |a| 1200.0 + wobble(a, 80.0));
    put(&mut m, keys::REQUESTS_YESTERDAY, |a| {
        1000.0 + wobble(a + 3, 60.0)
    });
    // Errors climb after the deploy 20 minutes ago.
    put(&mut m, keys::ERROR_RATE, |a| {
        if a > 20 {
            0.5 + wobble(a, 0.2)
        } else {
            6.5 - a as f64 * 0.1 + 0.1
        }
    });
    put(&mut m, keys::ERROR_4XX, |a| {
        0.4 + wobble(a, 0.1).abs() * if a == 1 { 0.0 } else { 1.0 }
    });
    put(&mut m, keys::ERROR_5XX, |a| {
        if a > 20 {
            0.1
        } else {
            6.1 - a as f64 * 0.1 + 0.1
        }
    });
    put(&mut m, keys::P50, |a| {
        210.0 + wobble(a, 20.0) * if a == 1 { 0.0 } else { 1.0 }
    });
    put(&mut m, keys::P95, |a| {
        if a > 20 {
            800.0 + wobble(a, 100.0)
        } else {
            2310.0
        }
    });
    put(&mut m, keys::P99, |a| {
        if a > 20 {
            1500.0 + wobble(a, 200.0)
        } else {
            4800.0
        }
    });
    put(&mut m, &keys::lambda_throttles("crypto-watch-api"), |a| {
        if a > 15 {
            0.0
        } else {
            14.0
        }
    });
    put(&mut m, &keys::lambda_concurrency("crypto-watch-api"), |a| {
        if a > 15 {
            40.0
        } else {
            98.0
        }
    });
    put(&mut m, &keys::lambda_throttles("profile-api"), |_| 0.0);
    put(&mut m, &keys::lambda_concurrency("profile-api"), |a| {
        20.0 + wobble(a, 3.0).round()
    });
    put(
        &mut m,
        &keys::aurora_connections("profile-db-writer"),
        |a| {
            if a > 10 {
                30.0 + wobble(a, 5.0).round()
            } else {
                84.0
            }
        },
    );
    put(
        &mut m,
        &keys::aurora_connections("profile-db-reader-1"),
        |a| 20.0 + wobble(a, 2.0).round(),
    );
    put(&mut m, keys::DB_READ_LATENCY, |_| 2.1);
    put(&mut m, keys::DB_WRITE_LATENCY, |_| 5.3);
    put(&mut m, &keys::dynamo_read("crypto-watch-data"), |a| {
        if a > 10 {
            30.0
        } else {
            62.0
        }
    });
    put(&mut m, &keys::dynamo_write("crypto-watch-data"), |_| 12.0);
    put(&mut m, &keys::dynamo_throttles("crypto-watch-data"), |a| {
        if a > 10 {
            0.0
        } else {
            31.0
        }
    });
    put(&mut m, &keys::dynamo_read("profile-sessions"), |_| 12.0);
    put(&mut m, &keys::dynamo_write("profile-sessions"), |_| 3.0);
    put(&mut m, &keys::dynamo_throttles("profile-sessions"), |_| 0.0);
    m.apply(Update::Marker(Marker {
        ts: NOW - 20 * MINUTE - 30,
        label: "deploy v1.4.2".into(),
    }));
    m.tick(NOW);
    m
}

/// Odd numbers: constant, negative, huge values and a single point.
fn weird_model() -> Model {
    let mut m = Model::new(profile(), NOW, 1000);
    put(&mut m, keys::REQUESTS, |_| 0.0);
    put(&mut m, keys::REQUESTS_YESTERDAY, |_| 0.0);
    put(&mut m, keys::ERROR_RATE, |_| 5.0);
    put(&mut m, keys::ERROR_4XX, |a| -(a as f64));
    put(&mut m, keys::P50, |_| 1e300);
    put(&mut m, keys::P95, |a| {
        if a % 2 == 0 {
            1.7e308
        } else {
            -1.7e308
        }
    });
    m.apply(Update::Points {
        key: keys::P99.into(),
        points: vec![(NOW - 90, 3.0)],
    });
    put(&mut m, &keys::lambda_throttles("ghost-fn"), |_| 1e200);
    put(&mut m, &keys::aurora_connections("ghost-db"), |_| -5.0);
    put(&mut m, &keys::dynamo_read("ghost-table"), |_| 1e12);
    m.tick(NOW);
    m
}

fn app(model: Model) -> AppState {
    AppState::new(model, vec![], vec![], "test".into())
}

fn render(state: &AppState, pane: PaneId, w: u16, h: u16, compact: bool) -> Buffer {
    let theme = Theme::default();
    let ctx = PaneCtx {
        focused: false,
        compact,
        theme: &theme,
    };
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    render_pane(pane, area, &mut buf, state, &ctx);
    buf
}

fn name(p: PaneId) -> &'static str {
    match p {
        PaneId::Requests => "requests",
        PaneId::Errors => "errors",
        PaneId::Latency => "latency",
        PaneId::Throttles => "throttles",
        PaneId::Aurora => "aurora",
        PaneId::Dynamo => "dynamo",
        _ => unreachable!(),
    }
}

#[test]
fn snapshots_normal_and_compact() {
    let state = app(full_model());
    for p in metric_panes() {
        insta::assert_snapshot!(
            format!("{}_normal", name(p)),
            text(&render(&state, p, 66, 14, false))
        );
        insta::assert_snapshot!(
            format!("{}_compact", name(p)),
            text(&render(&state, p, 66, 4, true))
        );
    }
}

#[test]
fn snapshots_empty_model() {
    let state = app(Model::new(profile(), NOW, 10));
    insta::assert_snapshot!(
        "latency_empty",
        text(&render(&state, PaneId::Latency, 66, 14, false))
    );
    insta::assert_snapshot!(
        "dynamo_empty_compact",
        text(&render(&state, PaneId::Dynamo, 66, 4, true))
    );
}

#[test]
fn snapshot_tall_has_big_digits() {
    let state = app(full_model());
    let t = text(&render(&state, PaneId::Latency, 70, 22, false));
    insta::assert_snapshot!("latency_tall", t);
    // "2.31" in big digits: the 2's top, the dot and the unit on the digits' bottom row.
    assert!(t.contains("┏━┓"), "{t}");
    assert!(t.contains('•'), "{t}");
}

fn assert_has(t: &str, needles: &[&str]) {
    for n in needles {
        assert!(t.contains(n), "expected {n:?} in\n{t}");
    }
}

#[test]
fn states_and_values_show_in_both_layouts() {
    let state = app(full_model());
    for compact in [false, true] {
        let h = if compact { 4 } else { 14 };
        let r = |p| text(&render(&state, p, 66, h, compact));
        let t = r(PaneId::Requests);
        assert_has(&t, &["Request rate", "OK", "1,2"]);
        let t = r(PaneId::Errors);
        assert_has(
            &t,
            &["Error rate", "✖ CRIT", "6.5%", "4xx 0.4%", "5xx 6.1%"],
        );
        let t = r(PaneId::Latency);
        assert_has(&t, &["✖ CRIT", "p50 210ms", "p95 2.31s", "p99 4.8s"]);
        let t = r(PaneId::Throttles);
        // 14 throttles/min is past the crit level (10).
        assert_has(
            &t,
            &["Lambda throttles", "✖ CRIT", "14 throttles/min", "98/100"],
        );
        let t = r(PaneId::Aurora);
        assert_has(&t, &["Aurora connections", "✖ CRIT", "84/100"]);
        let t = r(PaneId::Dynamo);
        assert_has(
            &t,
            &[
                "DynamoDB capacity",
                "✖ CRIT",
                "throttles 31/min",
                "crypto-watch-data",
            ],
        );
    }
}

#[test]
fn resource_rows_in_normal_layout() {
    let state = app(full_model());
    let t = text(&render(&state, PaneId::Throttles, 66, 14, false));
    assert_has(
        &t,
        &[
            "crypto-watch-api",
            "profile-api",
            "/1000",
            "throttles 0/min",
            "throttles 14/min",
            "▕",
        ],
    );
    let t = text(&render(&state, PaneId::Aurora, 66, 14, false));
    assert_has(
        &t,
        &[
            "profile-db-writer",
            "writer",
            "reader",
            "84/100",
            "read 2.1ms",
            "write 5.3ms",
        ],
    );
    let t = text(&render(&state, PaneId::Dynamo, 66, 14, false));
    assert_has(
        &t,
        &[
            "R 62/50 W 12/25",
            "throttles 31/min",
            "profile-sessions",
            "R 12 W 3 on-demand",
        ],
    );
}

#[test]
fn surge_and_drop_are_the_request_state() {
    let mut m = full_model();
    m.apply(Update::Points {
        key: keys::REQUESTS.into(),
        points: vec![(NOW - 30 - MINUTE, 4000.0)],
    });
    let t = text(&render(&app(m), PaneId::Requests, 66, 14, false));
    assert_has(&t, &["✖ SURGE", "possible attack", "4,000 req/min"]);

    let mut m = full_model();
    m.apply(Update::Points {
        key: keys::REQUESTS.into(),
        points: vec![(NOW - 30 - MINUTE, 200.0)],
    });
    let t = text(&render(&app(m), PaneId::Requests, 66, 4, true));
    assert_has(&t, &["✖ DROP", "possible outage", "200 req/min"]);
}

#[test]
fn warn_level_and_ok_level_words() {
    let mut m = Model::new(profile(), NOW, 10);
    put(&mut m, keys::ERROR_RATE, |_| 2.0);
    put(&mut m, keys::ERROR_5XX, |_| 0.5);
    m.tick(NOW);
    let t = text(&render(&app(m), PaneId::Errors, 66, 4, true));
    assert_has(&t, &["▲ WARN", "2%", "5xx 0.5%"]);
    assert!(!t.contains("CRIT"));

    let mut m = Model::new(profile(), NOW, 10);
    m.apply(Update::Inventory(inventory()));
    put(&mut m, &keys::dynamo_read("crypto-watch-data"), |_| 45.0); // 90 % of 50 RCU
    put(&mut m, &keys::dynamo_write("crypto-watch-data"), |_| 1.0);
    put(&mut m, &keys::dynamo_throttles("crypto-watch-data"), |_| {
        0.0
    });
    m.tick(NOW);
    let t = text(&render(&app(m), PaneId::Dynamo, 66, 14, false));
    assert_has(&t, &["▲ WARN", "90% of provisioned", "R 45/50 W 1/25"]);
}

#[test]
fn empty_model_says_no_data() {
    let state = app(Model::new(profile(), NOW, 10));
    for p in metric_panes() {
        for (h, compact) in [(14, false), (4, true)] {
            let t = text(&render(&state, p, 66, h, compact));
            assert!(t.contains("NO DATA"), "{p:?} {h}:\n{t}");
        }
    }
}

/// Cells of the chart rows (below the title and value lines) drawn in a given colour.
fn braille_cells(buf: &Buffer, fg: Color) -> usize {
    buf.content()
        .iter()
        .filter(|c| {
            c.fg == fg
                && c.symbol()
                    .chars()
                    .next()
                    .is_some_and(|ch| ('\u{2801}'..='\u{28ff}').contains(&ch))
        })
        .count()
}

#[test]
fn threshold_lines_and_deploy_markers_are_drawn() {
    let theme = Theme::default();
    let state = app(full_model());
    // Tall enough for the big value and a chart with room for both threshold lines.
    let buf = render(&state, PaneId::Errors, 66, 22, false);
    assert!(
        braille_cells(&buf, theme.warn_line) > 5,
        "warn line\n{}",
        text(&buf)
    );
    assert!(
        braille_cells(&buf, theme.crit_line) > 5,
        "crit line\n{}",
        text(&buf)
    );
    // The deploy marker: a vertical run of marker-coloured cells in one column.
    let a = buf.area;
    let best = (a.left()..a.right())
        .map(|x| {
            (a.top()..a.bottom())
                .filter(|&y| buf[(x, y)].fg == theme.marker)
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(best >= 4, "marker column of {best} cells\n{}", text(&buf));
    // Without markers there is none.
    let mut m = full_model();
    m.markers.clear();
    let buf = render(&app(m), PaneId::Errors, 66, 14, false);
    assert_eq!(braille_cells(&buf, theme.marker), 0);
}

#[test]
fn axis_labels_follow_the_range() {
    let mut state = app(full_model());
    let t = text(&render(&state, PaneId::Requests, 66, 14, false));
    assert_has(&t, &["09:00", "10:00"]);
    state.ui.range = TimeRange::H3;
    let t = text(&render(&state, PaneId::Requests, 66, 14, false));
    assert_has(&t, &["07:00", "10:00"]);
    // The y axis is labelled with the top of the range and zero.
    let starts = |p: &str| {
        t.lines()
            .any(|l| l.trim_start_matches('│').trim_start().starts_with(p))
    };
    assert!(starts("1.5k") && starts("0 "), "{t}");
}

#[test]
fn no_panic_and_no_drawing_outside_the_area_at_any_size() {
    let theme = Theme::default();
    let states = [
        app(full_model()),
        app(Model::new(profile(), NOW, 10)),
        app(weird_model()),
    ];
    let mut widths: Vec<u16> = (0..=120).step_by(3).collect();
    widths.extend([1, 2, 4, 5, 7, 11]);
    for state in &states {
        for &w in &widths {
            for h in 0..=40u16 {
                for compact in [false, true] {
                    let ctx = PaneCtx {
                        focused: w % 2 == 0,
                        compact,
                        theme: &theme,
                    };
                    // Draw inside a larger buffer pre-filled with a sentinel to catch strays.
                    let outer = Rect::new(0, 0, w + 4, h + 4);
                    let area = Rect::new(2, 2, w, h);
                    for p in metric_panes() {
                        let mut buf = Buffer::empty(outer);
                        for c in buf.content.iter_mut() {
                            c.set_char('#');
                        }
                        render_pane(p, area, &mut buf, state, &ctx);
                        for y in 0..outer.height {
                            for x in 0..outer.width {
                                let inside = area.contains(ratatui::layout::Position { x, y });
                                if !inside {
                                    assert_eq!(
                                        buf[(x, y)].symbol(),
                                        "#",
                                        "{p:?} {w}x{h} drew at {x},{y}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn an_area_partly_outside_the_buffer_does_not_panic() {
    let state = app(full_model());
    let theme = Theme::default();
    let ctx = PaneCtx {
        focused: true,
        compact: false,
        theme: &theme,
    };
    let mut buf = Buffer::empty(Rect::new(0, 0, 40, 10));
    for p in metric_panes() {
        render_pane(p, Rect::new(20, 5, 66, 14), &mut buf, &state, &ctx);
    }
}

#[test]
fn weird_values_render_with_state() {
    let state = app(weird_model());
    let t = text(&render(&state, PaneId::Latency, 66, 14, false));
    assert_has(&t, &["Latency", "p99 3ms"]);
    let t = text(&render(&state, PaneId::Throttles, 66, 14, false));
    assert_has(&t, &["ghost-fn", "✖ CRIT"]);
    let t = text(&render(&state, PaneId::Dynamo, 66, 14, false));
    assert_has(&t, &["ghost-table", "R 1T W -"]);
}
