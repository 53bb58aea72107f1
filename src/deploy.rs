//! Deploy watch in the app: the gates row, deploy markers by hand, since-deploy comparison.
//!
//! The deploy watched is the newest deploy marker at or before the model's clock: a marker
//! whose label starts with `deploy` (the demo's, the AWS source's `deploy: FUNCTION ALIAS →
//! vN`, or one set by hand with `mark-deploy` / `--deploy-start`, labelled [`HAND_LABEL`]).
//! Marking by hand goes through the model as an `Update::Marker`, so it draws on every chart
//! like a detected deploy, and a recording replays it through the same `update`.

use crate::app::{AppState, Command};
use crate::i18n::Msg;
use crate::model::gates::{self, Gate, GateStatus, SpanComparison};
use crate::model::metrics::Marker;
use crate::model::time::{self, days_from_civil, Ts, DAY};
use crate::model::Update;

/// The label of a deploy marked by hand.
pub const HAND_LABEL: &str = "deploy (marked by hand)";

/// The AWS source's scope for deploy detection failures (see `source::aws::deploys`).
pub const SCOPE_DEPLOYS: &str = "aws/lambda/deploys";

/// Deploy-watch state of a session.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeployState {
    /// Each metric pane shows since-deploy against the same span before it.
    pub compare: bool,
    /// The deploy set by hand last (`mark-deploy` or `--deploy-start`); it is also a marker.
    pub by_hand: Option<Ts>,
}

/// Is a marker a deploy (not a rollback or another event)?
pub fn is_deploy(label: &str) -> bool {
    label
        .get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("deploy"))
}

/// Is a marker a rollback?
pub fn is_rollback(label: &str) -> bool {
    label
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("rollback"))
}

/// The deploy being watched.
#[derive(Debug, Clone, PartialEq)]
pub struct Deploy {
    pub at: Ts,
    pub label: String,
    /// A rollback marker after it (the newest), when there is one.
    pub rolled_back: Option<Ts>,
}

/// The newest deploy marker at or before `now`, and the newest rollback after it.
pub fn current(markers: &[Marker], now: Ts) -> Option<Deploy> {
    let d = markers
        .iter()
        .filter(|m| m.ts <= now && is_deploy(&m.label))
        .max_by_key(|m| m.ts)?;
    let rolled_back = markers
        .iter()
        .filter(|m| m.ts >= d.ts && m.ts <= now && is_rollback(&m.label))
        .map(|m| m.ts)
        .max();
    Some(Deploy {
        at: d.ts,
        label: d.label.clone(),
        rolled_back,
    })
}

/// Everything the gates row shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Watch<'a> {
    pub deploy: Option<Deploy>,
    pub gates: Vec<(&'a Gate, GateStatus)>,
    pub warnings: Vec<(&'a Gate, GateStatus)>,
}

/// Evaluate the profile's gates and soft criteria at the model's clock.
pub fn watch<'a>(state: &'a AppState) -> Watch<'a> {
    let m = &state.model;
    let deploy = current(&m.markers, m.now);
    let at = deploy.as_ref().map(|d| d.at);
    let eval = |list: &'a [Gate]| -> Vec<(&'a Gate, GateStatus)> {
        list.iter()
            .map(|g| (g, gates::evaluate(g, &m.series, m.now, at)))
            .collect()
    };
    Watch {
        gates: eval(&m.profile.deploy.gates),
        warnings: eval(&m.profile.deploy.warnings),
        deploy,
    }
}

/// Since-deploy against the same span before, for a pane's series, when comparison is on and
/// a deploy is known.
pub fn comparison(state: &AppState, pattern: &str) -> Option<SpanComparison> {
    if !state.deploy.compare {
        return None;
    }
    let m = &state.model;
    let d = current(&m.markers, m.now)?;
    Some(gates::compare(&m.series, pattern, d.at, m.now))
}

/// Mark a deploy by hand at `at` (a marker through the model).
fn mark(state: &mut AppState, at: Ts) {
    state.model.apply(Update::Marker(Marker {
        ts: at,
        label: HAND_LABEL.into(),
    }));
    state.deploy.by_hand = Some(at);
}

/// `deploy-view`, `mark-deploy`, `compare`. Returns true when the screen changed.
pub fn command(state: &mut AppState, c: Command) -> bool {
    let lang = state.lang;
    match c {
        Command::DeployView => state.ui.deploy_view = !state.ui.deploy_view,
        Command::MarkDeploy => {
            let now = state.model.now;
            mark(state, now);
            state.ui.deploy_view = true;
            state.ui.flash = Some(Msg::DeployMarkedFlash.fill(lang, &[&time::hms(now)]));
        }
        Command::Compare => {
            let d = &mut state.deploy;
            d.compare = !d.compare;
            let known = current(&state.model.markers, state.model.now).is_some();
            state.ui.flash = Some(
                match (state.deploy.compare, known) {
                    (true, true) => Msg::DeployCompareOn,
                    (true, false) => Msg::DeployCompareNoDeploy,
                    (false, _) => Msg::DeployCompareOff,
                }
                .text(lang)
                .to_string(),
            );
        }
        _ => return false,
    }
    true
}

/// The command line's deploy-watch options: `--deploy` shows the gates row, `--deploy-start
/// TIME` marks the deploy. An error says what TIME should look like.
pub fn apply_cli(state: &mut AppState, show: bool, start: Option<&str>) -> Result<(), String> {
    if let Some(text) = start {
        let at = parse_start(text, state.model.now)?;
        mark(state, at);
        state.ui.deploy_view = true;
    }
    if show {
        state.ui.deploy_view = true;
    }
    Ok(())
}

/// `--deploy-start TIME` at the clock `now`: `HH:MM` or `HH:MM:SS` (UTC, on `now`'s day), an
/// RFC 3339 time (`2026-11-23T10:42:00Z`, `...+09:00`), or how long ago (`15m`, `1h30m`,
/// `90s`).
pub fn parse_start(text: &str, now: Ts) -> Result<Ts, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "`{t}` is not a time: expected HH:MM or HH:MM:SS (UTC, today), an RFC 3339 time such as 2026-11-23T10:42:00Z, or how long ago such as 15m or 1h30m"
        )
    };
    if t.is_empty() {
        return Err(bad());
    }
    if let Some(secs) = clock_time(t) {
        return Ok(time::align(now, DAY) + secs);
    }
    if t.contains(':') {
        return parse_timestamp(t).ok_or_else(bad);
    }
    // A duration ago needs a unit: a bare number could be anything.
    if t.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    match time::parse_duration(t) {
        Ok(d) if d >= 0 => Ok(now - d),
        _ => Err(bad()),
    }
}

/// `HH:MM` or `HH:MM:SS` as seconds into the day.
fn clock_time(t: &str) -> Option<Ts> {
    let parts: Vec<&str> = t.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut nums = [0i64; 3];
    for (i, p) in parts.iter().enumerate() {
        // Hours in one or two digits, minutes and seconds in two.
        let digits_ok = if i == 0 {
            (1..=2).contains(&p.len())
        } else {
            p.len() == 2
        };
        if !digits_ok || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        nums[i] = p.parse().ok()?;
    }
    let [h, m, s] = nums;
    (h < 24 && m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
}

/// An RFC 3339 / ISO 8601 date-time with a zone: `2026-11-23T10:42:07Z`,
/// `2026-11-23T10:42:07.123+0000` (Lambda's `LastModified`), `2026-11-23 19:42+09:00`.
/// Fractions of a second are dropped. `None` when it is not one.
pub fn parse_timestamp(text: &str) -> Option<Ts> {
    let t = text.trim();
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi) = (num(11..13)?, num(14..16)?);
    if b[13] != b':' {
        return None;
    }
    let mut i = 16;
    let mut s = 0;
    if b.get(i) == Some(&b':') {
        s = num(i + 1..i + 3)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    let offset = match &t[i..] {
        "Z" | "z" => 0,
        zone => {
            let sign = match zone.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let z = &zone[1..];
            let (zh, zm) = match z.len() {
                5 if z.as_bytes()[2] == b':' => (&z[..2], &z[3..]),
                4 => (&z[..2], &z[2..]),
                2 => (z, "00"),
                _ => return None,
            };
            let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
            if !digits(zh) || !digits(zm) {
                return None;
            }
            let (zh, zm): (i64, i64) = (zh.parse().ok()?, zm.parse().ok()?);
            if zh > 23 || zm > 59 {
                return None;
            }
            sign * (zh * 3600 + zm * 60)
        }
    };
    let days_in_month = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > days_in_month || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + s.min(59) - offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Model, Profile};

    /// 2026-11-23T10:50:30Z.
    const NOW: Ts = 1_795_431_030;

    #[test]
    fn timestamps() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let cases: &[(&str, Option<Ts>)] = &[
            ("2026-11-23T10:50:30Z", Some(NOW)),
            ("2026-11-23t10:50:30z", Some(NOW)),
            ("2026-11-23T10:50:30.715253000Z", Some(NOW)),
            ("2026-11-23T10:50:30.993+0000", Some(NOW)),
            ("2026-11-23T19:50:30+09:00", Some(NOW)),
            ("2026-11-23T05:50:30-05", Some(NOW)),
            ("2026-11-23 10:50Z", Some(NOW - 30)),
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800)),
            ("2026-11-23T10:50:30", None),
            ("2026-02-29T00:00:00Z", None),
            ("2026-13-01T00:00:00Z", None),
            ("2026-11-23T24:00:00Z", None),
            ("2026-11-23T10:50:30.Z", None),
            ("2026-11-23T10:50:30+9", None),
            ("2026-11-23T10:50:30+ab:cd", None),
            ("2026-11-23", None),
            ("", None),
            ("２０２６-11-23T10:50:30Z", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_timestamp(text), *want, "{text}");
        }
    }

    #[test]
    fn deploy_start_forms() {
        let today = time::align(NOW, DAY);
        let ok: &[(&str, Ts)] = &[
            ("10:42", today + 10 * 3600 + 42 * 60),
            ("10:42:07", today + 10 * 3600 + 42 * 60 + 7),
            ("0:05", today + 5 * 60),
            ("23:59:59", today + DAY - 1),
            ("15m", NOW - 900),
            ("1h30m", NOW - 5400),
            ("90s", NOW - 90),
            ("0s", NOW),
            (" 15m ", NOW - 900),
            ("2026-11-23T10:42:00Z", today + 10 * 3600 + 42 * 60),
            ("2026-11-23T19:42:00+09:00", today + 10 * 3600 + 42 * 60),
        ];
        for (text, want) in ok {
            assert_eq!(parse_start(text, NOW), Ok(*want), "{text}");
        }
        for bad in [
            "",
            "24:00",
            "10:60",
            "10:42:61",
            "10:4",
            "1042",
            "15",
            "15x",
            "yesterday",
            "10:42pm",
            "-5m",
            "2026-11-23",
            "::",
            "10::42",
        ] {
            let e = parse_start(bad, NOW).expect_err(bad);
            assert!(
                e.contains("expected HH:MM or HH:MM:SS") && e.contains("15m"),
                "{bad}: {e}"
            );
        }
    }

    fn state() -> AppState {
        let model = Model::new(Profile::default(), NOW, 10);
        AppState::new(model, Vec::new(), Vec::new(), "test".into())
    }

    #[test]
    fn apply_cli_marks_the_deploy_and_shows_the_gates() {
        let mut s = state();
        apply_cli(&mut s, false, None).unwrap();
        assert!(!s.ui.deploy_view);
        assert!(s.model.markers.is_empty());
        apply_cli(&mut s, true, None).unwrap();
        assert!(s.ui.deploy_view);

        let mut s = state();
        apply_cli(&mut s, false, Some("15m")).unwrap();
        assert!(s.ui.deploy_view, "a deploy start shows the gates");
        assert_eq!(
            s.model.markers,
            vec![Marker {
                ts: NOW - 900,
                label: HAND_LABEL.into()
            }]
        );
        assert_eq!(s.deploy.by_hand, Some(NOW - 900));
        assert_eq!(current(&s.model.markers, NOW).unwrap().at, NOW - 900);
        let e = apply_cli(&mut s, true, Some("soon")).unwrap_err();
        assert!(e.contains("`soon` is not a time"), "{e}");
    }

    #[test]
    fn commands() {
        let mut s = state();
        assert!(command(&mut s, Command::DeployView));
        assert!(s.ui.deploy_view);
        assert!(command(&mut s, Command::DeployView));
        assert!(!s.ui.deploy_view);

        assert!(command(&mut s, Command::Compare));
        assert!(s.deploy.compare);
        assert!(
            s.ui.flash.as_deref().unwrap().contains("no deploy"),
            "{:?}",
            s.ui.flash
        );
        assert!(
            comparison(&s, "errors/rate").is_none(),
            "nothing to compare with"
        );

        assert!(command(&mut s, Command::MarkDeploy));
        assert!(s.ui.deploy_view, "marking a deploy shows the gates");
        assert_eq!(s.model.markers.len(), 1);
        assert_eq!(s.model.markers[0].ts, NOW);
        assert_eq!(s.model.markers[0].label, "deploy (marked by hand)");
        assert_eq!(s.ui.flash.as_deref(), Some("deploy marked at 10:50:30 UTC"));
        let c = comparison(&s, "errors/rate").expect("a deploy to compare with");
        assert_eq!((c.since, c.before), (None, None));

        assert!(command(&mut s, Command::Compare));
        assert!(!s.deploy.compare);
        assert!(
            !command(&mut s, Command::Quit),
            "not a deploy-watch command"
        );
    }

    #[test]
    fn the_deploy_watched_is_the_newest_deploy_marker_so_far() {
        let m = |ts: Ts, label: &str| Marker {
            ts,
            label: label.into(),
        };
        let markers = vec![
            m(100, "deploy v41 crypto-watch-api"),
            m(200, "push notification sent"),
            m(300, "deploy: api live → v42"),
            m(400, "rollback crypto-watch-api to v41 (automatic)"),
            m(500, "Deploy v43"),
        ];
        assert_eq!(current(&markers, 50), None);
        assert_eq!(current(&markers, 250).unwrap().at, 100);
        let d = current(&markers, 450).unwrap();
        assert_eq!((d.at, d.rolled_back), (300, Some(400)));
        assert_eq!(d.label, "deploy: api live → v42");
        let d = current(&markers, 500).unwrap();
        assert_eq!((d.at, d.rolled_back), (500, None));
        assert!(!is_deploy("deplo"));
        assert!(is_rollback("Rollback x"));
        assert!(!is_deploy("デプロイ"));
    }

    #[test]
    fn the_watch_evaluates_the_profile_rules() {
        let mut s = state();
        for m in 0..3 {
            s.model.apply(Update::Points {
                key: "errors/lambda-rate".into(),
                points: vec![(time::align(NOW, 60) - (3 - m) * 60, 9.0)],
            });
        }
        let w = watch(&s);
        assert_eq!(w.gates.len(), 3);
        assert_eq!(w.warnings.len(), 2);
        assert!(matches!(
            w.gates[0].1.state,
            gates::GateState::Met { breached: 180, .. }
        ));
        assert_eq!(w.gates[1].1.state, gates::GateState::NoData);
        assert_eq!(w.deploy, None);
    }
}
