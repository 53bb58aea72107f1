//! The demo's public behaviour: determinism across polling cadences, and each scenario's
//! story as it shows in the delivered points, markers and log lines.

use std::collections::BTreeMap;

use super::*;
use crate::model::metrics::keys;

/// Everything a source delivered.
#[derive(Debug, Default, PartialEq)]
struct Collected {
    points: BTreeMap<String, Vec<(Ts, f64)>>,
    logs: Vec<RawLog>,
    markers: Vec<Marker>,
    inventories: usize,
}

impl Collected {
    fn take(&mut self, updates: Vec<Update>) {
        for u in updates {
            match u {
                Update::Points { key, points } => {
                    self.points.entry(key).or_default().extend(points)
                }
                Update::Logs(lines) => self.logs.extend(lines),
                Update::Marker(m) => self.markers.push(m),
                Update::Inventory(_) => self.inventories += 1,
                other => panic!("unexpected update {other:?}"),
            }
        }
    }

    /// The value of `key` in the minute starting `offset` minutes after the epoch.
    fn at(&self, key: &str, offset: i64) -> f64 {
        let ts = DEMO_EPOCH + offset * MINUTE;
        self.points
            .get(key)
            .and_then(|p| p.iter().find(|(t, _)| *t == ts))
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no point for {key} at t{offset:+}m"))
    }

    /// Values of `key` for minutes `from..to` after the epoch.
    fn range(&self, key: &str, from: i64, to: i64) -> Vec<f64> {
        (from..to).map(|o| self.at(key, o)).collect()
    }

    fn max(&self, key: &str, from: i64, to: i64) -> f64 {
        self.range(key, from, to)
            .into_iter()
            .fold(f64::MIN, f64::max)
    }

    /// Log lines in seconds `[from, to)` after the epoch whose bytes contain `needle`.
    fn lines_with(&self, needle: &str, from: Ts, to: Ts) -> usize {
        self.logs
            .iter()
            .filter(|l| l.ts >= DEMO_EPOCH + from && l.ts < DEMO_EPOCH + to)
            .filter(|l| contains(&l.bytes, needle.as_bytes()))
            .count()
    }

    /// ERROR lines: JSON `"level":"ERROR"` or the Node runtime's tab-separated level.
    fn errors(&self, from: Ts, to: Ts) -> usize {
        self.lines_with("\"level\":\"ERROR\"", from, to) + self.lines_with("\tERROR\t", from, to)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Seeds every story is checked with.
const SEEDS: [u64; 3] = [DEFAULT_SEED, 1, 0xDEAD_BEEF];

/// Poll once at `now`.
fn once(name: &str, seed: u64, now: Ts) -> Collected {
    let mut src = DemoSource::new(name, seed).unwrap();
    let mut c = Collected::default();
    c.take(src.poll(now));
    c
}

/// Poll every `step` seconds from the epoch, and finally at `now`.
fn every(name: &str, seed: u64, step: Ts, now: Ts) -> Collected {
    let mut src = DemoSource::new(name, seed).unwrap();
    let mut c = Collected::default();
    let mut t = DEMO_EPOCH;
    while t < now {
        c.take(src.poll(t));
        t += step;
    }
    c.take(src.poll(now));
    c
}

fn sorted(mut p: Vec<(Ts, f64)>) -> Vec<(Ts, u64)> {
    p.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    p.into_iter().map(|(t, v)| (t, v.to_bits())).collect()
}

fn assert_same(a: &Collected, b: &Collected, what: &str) {
    assert_eq!(
        a.points.keys().collect::<Vec<_>>(),
        b.points.keys().collect::<Vec<_>>(),
        "{what}: keys"
    );
    for (k, pa) in &a.points {
        assert_eq!(
            sorted(pa.clone()),
            sorted(b.points[k].clone()),
            "{what}: points of {k}"
        );
    }
    assert_eq!(a.logs.len(), b.logs.len(), "{what}: number of log lines");
    assert!(a.logs == b.logs, "{what}: log lines differ");
    assert_eq!(a.markers, b.markers, "{what}: markers");
    assert_eq!(a.inventories, 1);
    assert_eq!(b.inventories, 1);
}

#[test]
fn totals_do_not_depend_on_the_polling_cadence() {
    let now = DEMO_EPOCH + 14 * MINUTE + 17;
    let single = once("bad-deploy", 7, now);
    let per_second = every("bad-deploy", 7, 1, now);
    let per_37 = every("bad-deploy", 7, 37, now);
    assert_same(&single, &per_second, "1 s cadence");
    assert_same(&single, &per_37, "37 s cadence");
    assert!(single.logs.len() > 1000, "{}", single.logs.len());
    assert_eq!(single.markers.len(), 4);

    // No minute is delivered twice, and none before it has fully elapsed.
    for (k, p) in &per_37.points {
        let mut ts: Vec<Ts> = p.iter().map(|(t, _)| *t).collect();
        let n = ts.len();
        ts.dedup();
        assert_eq!(ts.len(), n, "{k} delivered a minute twice");
        assert!(ts.iter().all(|t| t + MINUTE <= now && t % MINUTE == 0));
    }
    assert!(per_second.logs.iter().all(|l| l.ts < now));

    // Another seed tells the same story with other numbers and other lines.
    let other = once("bad-deploy", 8, now);
    assert_ne!(single.points[keys::REQUESTS], other.points[keys::REQUESTS]);
    assert_ne!(single.logs, other.logs);
}

#[test]
fn polling_before_anything_elapsed_delivers_nothing_new() {
    let mut src = DemoSource::new("calm", 1).unwrap();
    let first = src.poll(DEMO_EPOCH);
    assert!(!first.is_empty());
    assert!(src.poll(DEMO_EPOCH).is_empty());
    // Within the same minute only log lines arrive.
    let next = src.poll(DEMO_EPOCH + 30);
    assert!(
        next.iter().all(|u| matches!(u, Update::Logs(_))),
        "{next:?}"
    );
}

#[test]
fn the_first_poll_covers_24_hours() {
    let c = once("calm", DEFAULT_SEED, DEMO_EPOCH);
    assert_eq!(c.points.len(), 26);
    for (k, p) in &c.points {
        assert_eq!(p.len(), 1440, "{k}");
        assert_eq!(p.first().unwrap().0, DEMO_EPOCH - DAY, "{k}");
        assert_eq!(p.last().unwrap().0, DEMO_EPOCH - MINUTE, "{k}");
    }
    for f in [sim::FN_API, sim::FN_PRICE, sim::FN_PROFILE] {
        assert!(c.points.contains_key(&keys::lambda_throttles(f)));
        assert!(c.points.contains_key(&keys::lambda_concurrency(f)));
    }
    for i in [sim::DB_WRITER, sim::DB_READER] {
        assert!(c.points.contains_key(&keys::aurora_connections(i)));
    }
    for t in [sim::TABLE_DATA, sim::TABLE_SESSIONS] {
        assert!(c.points.contains_key(&keys::dynamo_read(t)));
        assert!(c.points.contains_key(&keys::dynamo_write(t)));
        assert!(c.points.contains_key(&keys::dynamo_throttles(t)));
    }
    // Log lines only for the last ten minutes, several per second at this hour.
    assert!(c
        .logs
        .iter()
        .all(|l| l.ts >= DEMO_EPOCH - LOG_BACKFILL && l.ts < DEMO_EPOCH));
    let per_second = c.logs.len() as f64 / LOG_BACKFILL as f64;
    assert!(per_second > 3.0, "{per_second} lines/s");
    // The day's history markers.
    assert_eq!(c.markers.len(), 2);
    assert!(c.markers.iter().all(|m| m.ts < DEMO_EPOCH));
}

#[test]
fn the_daily_cycle_and_yesterday() {
    let c = once("calm", DEFAULT_SEED, DEMO_EPOCH + 30 * MINUTE);
    // 09:00 UTC is 18:00 in Japan: busy. 19:00 UTC is 04:00 JST: quiet.
    let evening = c.at(keys::REQUESTS, 0);
    let night = c.at(keys::REQUESTS, -14 * 60);
    assert!(evening > 3.0 * night, "{evening} vs {night}");
    // Yesterday is the same model a day earlier: close to today at the same hour.
    for o in 0..30 {
        let ratio = c.at(keys::REQUESTS, o) / c.at(keys::REQUESTS_YESTERDAY, o);
        assert!((0.75..1.33).contains(&ratio), "t{o}: {ratio}");
    }
    // ... and exactly equal to the value delivered for 24 h earlier, where both exist.
    let today = &c.points[keys::REQUESTS];
    let yesterday = &c.points[keys::REQUESTS_YESTERDAY];
    for (t, v) in yesterday.iter().filter(|(t, _)| *t >= DEMO_EPOCH) {
        let earlier = today.iter().find(|(u, _)| *u == t - DAY).unwrap().1;
        assert_eq!(*v, earlier);
    }
}

#[test]
fn percentiles_are_ordered_everywhere() {
    for (name, _) in SCENARIOS {
        let c = once(name, 3, DEMO_EPOCH + 50 * MINUTE);
        let (p50, p95, p99) = (
            &c.points[keys::P50],
            &c.points[keys::P95],
            &c.points[keys::P99],
        );
        for i in 0..p50.len() {
            assert!(
                p50[i].1 < p95[i].1 && p95[i].1 < p99[i].1,
                "{name} at {}: {:?} {:?} {:?}",
                p50[i].0,
                p50[i],
                p95[i],
                p99[i]
            );
        }
    }
}

#[test]
fn calm_stays_within_the_normal_bands() {
    for seed in SEEDS {
        check_calm_stays_within_the_normal_bands(seed);
    }
}

fn check_calm_stays_within_the_normal_bands(seed: u64) {
    let c = once("calm", seed, DEMO_EPOCH + 61 * MINUTE);
    for o in 0..60 {
        let ctx = format!("t{o:+}m");
        assert!(c.at(keys::ERROR_RATE, o) < 1.0, "{ctx}");
        assert!(c.at(keys::LAMBDA_ERROR_RATE, o) < 1.0, "{ctx}");
        let p50 = c.at(keys::P50, o);
        assert!((150.0..=300.0).contains(&p50), "{ctx} p50 {p50}");
        assert!(c.at(keys::P95, o) < 1000.0, "{ctx}");
        assert!(c.at(keys::P99, o) < 2000.0, "{ctx}");
        for i in [sim::DB_WRITER, sim::DB_READER] {
            let n = c.at(&keys::aurora_connections(i), o);
            assert!((5.0..=20.0).contains(&n), "{ctx} {i} {n}");
        }
        assert!(c.at(keys::DB_READ_LATENCY, o) < 10.0, "{ctx}");
        assert!(c.at(keys::DB_WRITE_LATENCY, o) < 50.0, "{ctx}");
        for f in [sim::FN_API, sim::FN_PRICE, sim::FN_PROFILE] {
            assert_eq!(c.at(&keys::lambda_throttles(f), o), 0.0, "{ctx}");
        }
        for t in [sim::TABLE_DATA, sim::TABLE_SESSIONS] {
            assert_eq!(c.at(&keys::dynamo_throttles(t), o), 0.0, "{ctx}");
        }
        assert!(
            c.at(&keys::dynamo_read(sim::TABLE_DATA), o) < sim::DATA_RCU,
            "{ctx}"
        );
        assert!(
            c.at(&keys::dynamo_write(sim::TABLE_DATA), o) < sim::DATA_WCU,
            "{ctx}"
        );
    }
    // Across the whole day of history nothing throttles and latency stays normal too.
    for (k, p) in &c.points {
        if k.contains("throttles") {
            assert!(p.iter().all(|(_, v)| *v == 0.0), "{k}");
        }
    }
    assert!(c.points[keys::P95].iter().all(|(_, v)| *v < 1000.0));
    // Hardly any ERROR lines: a normal hour has a handful at most.
    assert!(c.errors(0, 3600) < 20, "{}", c.errors(0, 3600));
}

#[test]
fn bad_deploy_errors_climb_after_the_deploy_and_recover_after_rollback() {
    for seed in SEEDS {
        check_bad_deploy_errors_climb_after_the_deploy_and_recover_after_rollback(seed);
    }
}

fn check_bad_deploy_errors_climb_after_the_deploy_and_recover_after_rollback(seed: u64) {
    let c = once("bad-deploy", seed, DEMO_EPOCH + 20 * MINUTE);
    let deploy = c
        .markers
        .iter()
        .find(|m| m.label == "deploy v42 crypto-watch-api")
        .expect("deploy marker");
    assert_eq!(deploy.ts, DEMO_EPOCH + 2 * MINUTE);
    let rollback = c
        .markers
        .iter()
        .find(|m| m.label.contains("rollback"))
        .expect("rollback marker");
    assert!(rollback.ts > deploy.ts);

    // The Lambda error-rate gate (> 5 % for 2 minutes) breaches by t+8 ...
    let rate = c.range(keys::LAMBDA_ERROR_RATE, 0, 8);
    assert!(
        rate.windows(2).any(|w| w[0] > 5.0 && w[1] > 5.0),
        "{rate:?}"
    );
    assert!(rate[..2].iter().all(|r| *r < 1.0), "{rate:?}");
    assert!(c.at(keys::LAMBDA_ERROR_RATE, 7) > 10.0);
    // ... and so does the 5xx gate (> 10 %).
    assert!(c.max(keys::ERROR_5XX, 0, 8) > 10.0);
    assert!(c.at(keys::ERROR_RATE, 7) > c.at(keys::ERROR_5XX, 7));
    assert!(c.at(keys::LAMBDA_ERRORS, 7) > 10.0 * c.at(keys::LAMBDA_ERRORS, 0).max(1.0));

    // ERROR lines rise after the marker: the TypeError in v42, timeouts, 502s.
    let before = c.errors(0, 120);
    let after = c.errors(300, 420);
    assert!(after > 10 * before.max(5), "before {before}, after {after}");
    assert!(
        c.lines_with(
            "Cannot read properties of undefined (reading 'price')",
            120,
            720
        ) > 50
    );
    assert!(c.lines_with("\"version\":\"42\"", 120, 720) > 0);
    assert!(c.lines_with("Task timed out", 120, 720) > 0);
    assert!(c.lines_with("\"status\":502", 120, 720) > 0);
    assert_eq!(c.lines_with("TypeError", -600, 120), 0);

    // After the rollback the service recovers.
    assert!(c.at(keys::LAMBDA_ERROR_RATE, 15) < 1.0);
    assert!(c.errors(15 * 60, 20 * 60) < c.errors(300, 420) / 10);
}

#[test]
fn dynamodb_throttle_story() {
    for seed in SEEDS {
        check_dynamodb_throttle_story(seed);
    }
}

fn check_dynamodb_throttle_story(seed: u64) {
    let c = once("dynamodb-throttle", seed, DEMO_EPOCH + 15 * MINUTE);
    assert!(c.markers.iter().any(|m| m.ts > DEMO_EPOCH));
    let data = sim::TABLE_DATA;
    let throttles = c.range(&keys::dynamo_throttles(data), 0, 15);
    assert_eq!(throttles[0], 0.0);
    let first = throttles
        .iter()
        .position(|t| *t > 0.0)
        .expect("throttle events");
    assert!(
        (2..=4).contains(&first),
        "first throttles at t+{first}: {throttles:?}"
    );
    assert!(
        c.max(&keys::dynamo_read(data), 0, 15) > sim::DATA_RCU
            || c.max(&keys::dynamo_write(data), 0, 15) > sim::DATA_WCU
    );
    assert!(c.max(&keys::dynamo_read(data), 5, 15) > sim::DATA_RCU);
    assert!(c.max(&keys::dynamo_throttles(sim::TABLE_SESSIONS), 0, 15) == 0.0);
    assert!(c.lines_with("ProvisionedThroughputExceededException", 120, 900) > 20);
    assert_eq!(
        c.lines_with("ProvisionedThroughputExceededException", -600, 60),
        0
    );
    // A modest error-rate rise and slower responses.
    let err = c.max(keys::ERROR_RATE, 5, 15);
    assert!(err > 1.5 && err < 10.0, "{err}");
    assert!(c.at(keys::P95, 8) > c.at(keys::P95, 0) + 400.0);
    // It is DynamoDB, not Lambda concurrency.
    assert_eq!(c.max(&keys::lambda_throttles(sim::FN_API), 0, 15), 0.0);
}

#[test]
fn aurora_connections_story() {
    for seed in SEEDS {
        check_aurora_connections_story(seed);
    }
}

fn check_aurora_connections_story(seed: u64) {
    let c = once("aurora-connections", seed, DEMO_EPOCH + 15 * MINUTE);
    let writer = keys::aurora_connections(sim::DB_WRITER);
    let reader = keys::aurora_connections(sim::DB_READER);
    assert!(c.at(&writer, 0) < 25.0);
    assert!(c.at(&writer, 7) > 80.0, "{:?}", c.range(&writer, 0, 10));
    assert!(c.max(&writer, 0, 15) <= 100.0);
    assert!(c.max(&reader, 0, 15) < 40.0);
    assert!(c.max(keys::DB_WRITE_LATENCY, 5, 15) > 100.0);
    assert!(c.max(keys::DB_READ_LATENCY, 0, 15) < 20.0);
    assert!(c.at(keys::P95, 10) > 1000.0 + c.at(keys::P95, 0));
    // Errors come later than the connection climb.
    assert!(c.at(keys::LAMBDA_ERRORS, 3) <= 1.0);
    assert!(c.max(keys::LAMBDA_ERRORS, 8, 15) > 10.0);
    assert!(c.lines_with("DATABASE_ERROR", 300, 900) > 20);
    let slots = c.lines_with("remaining connection slots are reserved", 0, 900)
        + c.lines_with("too many connections", 0, 900);
    assert!(slots > 5);
    assert!(c.lines_with("\"version\":\"17\"", 60, 900) > 0);
}

#[test]
fn lambda_throttle_story() {
    for seed in SEEDS {
        check_lambda_throttle_story(seed);
    }
}

fn check_lambda_throttle_story(seed: u64) {
    let c = once("lambda-throttle", seed, DEMO_EPOCH + 15 * MINUTE);
    let thr = keys::lambda_throttles(sim::FN_API);
    let conc = keys::lambda_concurrency(sim::FN_API);
    assert_eq!(c.at(&thr, 0), 0.0);
    assert!(c.at(&thr, 4) > 10.0, "{:?}", c.range(&thr, 0, 10));
    assert!(c.range(&thr, 5, 15).iter().all(|t| *t > 10.0));
    assert_eq!(c.max(&conc, 0, 15), sim::API_RESERVED as f64);
    assert!(c.max(&conc, 0, 15) <= sim::API_RESERVED as f64);
    assert!((0..15).any(|o| c.at(keys::REQUESTS, o) > 3.0 * c.at(keys::REQUESTS_YESTERDAY, o)));
    assert!(c.at(keys::REQUESTS, 0) < 1.5 * c.at(keys::REQUESTS_YESTERDAY, 0));
    assert_eq!(c.max(&keys::lambda_throttles(sim::FN_PROFILE), 0, 15), 0.0);
    assert!(c.max(keys::ERROR_5XX, 5, 15) > 5.0);
    assert!(c.lines_with("TooManyRequestsException", 240, 900) > 5);
    assert!(c.lines_with("\"status\":503", 240, 900) > 5);
    assert_eq!(c.lines_with("TooManyRequestsException", -600, 60), 0);
}

#[test]
fn latency_story() {
    for seed in SEEDS {
        check_latency_story(seed);
    }
}

fn check_latency_story(seed: u64) {
    let c = once("latency", seed, DEMO_EPOCH + 15 * MINUTE);
    assert!(c.at(keys::P95, 0) < 1000.0);
    let p95 = c.range(keys::P95, 0, 12);
    assert!(p95.iter().any(|p| *p > 2000.0), "{p95:?}");
    // It creeps: no jump from normal to past 2 s in one minute.
    assert!(p95.windows(2).all(|w| w[1] - w[0] < 600.0), "{p95:?}");
    assert!(
        c.lines_with("\"level\":\"WARN\"", 480, 900)
            > 5 * c.lines_with("\"level\":\"WARN\"", -600, 0).max(1) / 2
    );
    assert!(c.lines_with("\"message\":\"slow request\"", 480, 900) > 20);
    assert!(c.lines_with("\"operation\":\"Scan\"", 300, 900) > 0);
    // Slow, not broken.
    assert!(c.max(keys::ERROR_RATE, 0, 15) < 3.0);
}

#[test]
fn hostile_bytes_reach_the_model_unsanitised() {
    let c = once("calm", DEFAULT_SEED, DEMO_EPOCH + 50 * MINUTE);
    let hostile = c
        .logs
        .iter()
        .filter(|l| {
            contains(&l.bytes, b"\x1b")
                || contains(&l.bytes, b"\\u001b")
                || contains(&l.bytes, "\u{202e}".as_bytes())
                || contains(&l.bytes, b"\\u0000")
        })
        .count();
    assert!(hostile >= 2, "{hostile}");
    assert!(
        hostile * 500 < c.logs.len(),
        "hostile lines should be rare: {hostile} of {}",
        c.logs.len()
    );
}

#[test]
fn log_lines_vary_in_shape_and_source() {
    let c = once("bad-deploy", DEFAULT_SEED, DEMO_EPOCH + 10 * MINUTE);
    let json = c
        .logs
        .iter()
        .filter(|l| l.bytes.first() == Some(&b'{'))
        .count();
    assert!(json * 2 > c.logs.len(), "mostly JSON");
    for shape in [
        "START RequestId: ",
        "END RequestId: ",
        "REPORT RequestId: ",
        "Duration: ",
        "Init Duration: ",
    ] {
        assert!(c.lines_with(shape, -600, 600) > 0, "{shape}");
    }
    for group in [
        logs::GROUP_API,
        logs::GROUP_PROFILE,
        logs::GROUP_PRICE,
        logs::GROUP_ACCESS,
    ] {
        assert!(c.logs.iter().any(|l| l.source == group), "{group}");
    }
    // Every JSON line is valid JSON.
    for l in c.logs.iter().filter(|l| l.bytes.first() == Some(&b'{')) {
        assert!(
            serde_json::from_slice::<serde_json::Value>(&l.bytes).is_ok(),
            "{}",
            String::from_utf8_lossy(&l.bytes)
        );
    }
    // Lines arrive in time order.
    assert!(c.logs.windows(2).all(|w| w[0].ts <= w[1].ts));
}

#[test]
fn names_defaults_and_errors() {
    assert_eq!(
        scenario_names(),
        vec![
            "calm",
            "bad-deploy",
            "dynamodb-throttle",
            "aurora-connections",
            "lambda-throttle",
            "latency"
        ]
    );
    assert!(scenario_names().contains(&DEFAULT_SCENARIO));
    let src = DemoSource::new(DEFAULT_SCENARIO, DEFAULT_SEED).unwrap();
    assert_eq!(src.label(), "demo: bad-deploy");
    assert_eq!(DemoSource::epoch(), DEMO_EPOCH);
    let err = DemoSource::new("meltdown", 1).unwrap_err();
    assert!(err.contains("meltdown"));
    for name in scenario_names() {
        assert!(err.contains(name), "{err}");
    }
}

#[test]
fn the_inventory_matches_the_seeds() {
    let mut src = DemoSource::new("calm", 1).unwrap();
    let inv = src
        .poll(DEMO_EPOCH)
        .into_iter()
        .find_map(|u| match u {
            Update::Inventory(i) => Some(i),
            _ => None,
        })
        .unwrap();
    assert_eq!(inv.service, "crypto-watch + profile-api (demo)");
    assert_eq!(inv.account_concurrency, 1000);
    let api = inv
        .functions
        .iter()
        .find(|f| f.name == "crypto-watch-api")
        .unwrap();
    assert_eq!(api.reserved, Some(100));
    assert_eq!(inv.functions.len(), 3);
    assert_eq!(inv.db_instances.len(), 2);
    assert!(inv
        .db_instances
        .iter()
        .all(|d| d.max_connections == 100 && d.class == "db.r6g.large"));
    assert_eq!(inv.tables.len(), 2);
}

/// A table of every scenario's first 40 minutes, for tuning:
/// `cargo test --lib source::demo::tests::print_scenario_tables -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_scenario_tables() {
    for (name, _) in SCENARIOS {
        let c = once(name, DEFAULT_SEED, DEMO_EPOCH + 40 * MINUTE);
        println!("== {name}");
        println!("  t   req   yday  4xx  5xx  rate  lerr lrate  p50    p95    p99  thr conc  pconc  wr rd  rlat wlat  dR dW dT  sR sW  lines err");
        for o in -2..40 {
            let f = |k: &str| c.at(k, o);
            println!("{o:3} {:5} {:5} {:4.2} {:5.2} {:5.2} {:4} {:5.2} {:6.1} {:6.1} {:7.1} {:4} {:4} {:4} {:3} {:3} {:5.2} {:6.2} {:5.1} {:5.1} {:5} {:5.1} {:5.1} {:5} {:4}",
                f(keys::REQUESTS), f(keys::REQUESTS_YESTERDAY), f(keys::ERROR_4XX), f(keys::ERROR_5XX), f(keys::ERROR_RATE),
                f(keys::LAMBDA_ERRORS), f(keys::LAMBDA_ERROR_RATE), f(keys::P50), f(keys::P95), f(keys::P99),
                f(&keys::lambda_throttles(sim::FN_API)), f(&keys::lambda_concurrency(sim::FN_API)), f(&keys::lambda_concurrency(sim::FN_PROFILE)),
                f(&keys::aurora_connections(sim::DB_WRITER)), f(&keys::aurora_connections(sim::DB_READER)),
                f(keys::DB_READ_LATENCY), f(keys::DB_WRITE_LATENCY),
                f(&keys::dynamo_read(sim::TABLE_DATA)), f(&keys::dynamo_write(sim::TABLE_DATA)), f(&keys::dynamo_throttles(sim::TABLE_DATA)),
                f(&keys::dynamo_read(sim::TABLE_SESSIONS)), f(&keys::dynamo_write(sim::TABLE_SESSIONS)),
                c.lines_with("", o*60, o*60+60), c.errors(o*60, o*60+60));
        }
        for m in &c.markers {
            println!("  marker {} {}", m.ts - DEMO_EPOCH, m.label);
        }
    }
}

/// The stories over many seeds (slow): `cargo test --lib source::demo -- --ignored`.
#[test]
#[ignore]
fn stories_hold_for_many_seeds() {
    for seed in 0..40 {
        eprintln!("seed {seed}");
        check_calm_stays_within_the_normal_bands(seed);
        check_bad_deploy_errors_climb_after_the_deploy_and_recover_after_rollback(seed);
        check_dynamodb_throttle_story(seed);
        check_aurora_connections_story(seed);
        check_lambda_throttle_story(seed);
        check_latency_story(seed);
    }
}

// --- the daily check's 48 hours ----------------------------------------------------------------

#[test]
fn error_kind_lines_are_the_error_kinds_of_all_lines_in_order() {
    let mut src = DemoSource::new("bad-deploy", DEFAULT_SEED).unwrap();
    // Seconds during the bad deploy (timeouts, TypeErrors, 5xx) and on a normal day.
    for s in (DEMO_EPOCH + 5 * MINUTE..DEMO_EPOCH + 5 * MINUTE + 40)
        .chain(DEMO_EPOCH - 3 * HOUR..DEMO_EPOCH - 3 * HOUR + 40)
    {
        let m = src.minute(s);
        let all = src.lines_at(s);
        let errors = logs::error_kind_lines_for_second(src.seed(), s, &m);
        // A subsequence of the full second, and every error line of it is there.
        let mut it = all.iter();
        for e in &errors {
            assert!(
                it.any(|a| a == e),
                "{s}: {e:?} not in order in the full second"
            );
        }
        let is_err = |l: &RawLog| {
            crate::model::patterns::is_error(&crate::model::log::parse_line(
                l.ts, &l.source, &l.bytes,
            ))
        };
        let want: Vec<&RawLog> = all.iter().filter(|l| is_err(l)).collect();
        let got: Vec<&RawLog> = errors.iter().filter(|l| is_err(l)).collect();
        assert_eq!(got, want, "{s}");
        if !logs::minute_may_error(&m) {
            assert!(errors.is_empty());
        }
    }
}

#[test]
fn the_check_reads_48_hours_deterministically() {
    use crate::check::{evaluate, Item, PERIOD, WINDOW};
    use crate::model::threshold::Level;
    let profile = crate::config::builtin_demo_profile();
    let src = DemoSource::new("bad-deploy", DEFAULT_SEED).unwrap();
    let end = DEMO_EPOCH + HOUR;
    let input = check::check_input(&src, end + 17, &profile);
    assert_eq!(input.end, end, "aligned to the period");
    assert_eq!(input.requests.len() as Ts, 2 * WINDOW / PERIOD);
    assert_eq!(input.requests[0].0, end - 2 * WINDOW);
    // The 5-minute sums are the simulated minutes'.
    let first: f64 = (0..5)
        .map(|k| src.minute(end - 2 * WINDOW + k * MINUTE).requests)
        .sum();
    assert_eq!(input.requests[0].1, first);
    assert_eq!(
        input,
        check::check_input(&src, end, &profile),
        "deterministic"
    );
    // The story: the deploy's TypeError is new today; the alarms it fired are known.
    let r = evaluate(input, &profile);
    assert_eq!(r.item(Item::ErrorPatterns).unwrap().verdict, Level::Crit);
    assert!(r.new_patterns()[0].pattern.starts_with("TypeError"));
    assert!(r
        .input
        .alarms
        .events
        .iter()
        .any(|e| e.name == "LambdaErrorAlarm" && e.at > DEMO_EPOCH));
    assert!(r.input.alarms.firing_now.is_empty(), "rolled back by 1h");
    // Before the deploy the same day is all normal.
    let calm = evaluate(check::check_input(&src, DEMO_EPOCH, &profile), &profile);
    assert_eq!(calm.overall, Level::Ok, "{:?}", calm.items);
}
