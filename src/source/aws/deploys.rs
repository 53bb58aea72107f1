//! Deploy detection: a Lambda alias moving to another version is a deploy. Read with
//! `ListAliases` per function (the functions the inventory selected) and, the first time an
//! alias is seen, `GetFunctionConfiguration` with the version as qualifier for the version's
//! `LastModified` (when it was published).
//!
//! - An alias whose version changes between two reads is a marker at the time the change was
//!   seen: `deploy: FUNCTION ALIAS → vN`, or `rollback: ...` when it moved to a lower version.
//! - During a weighted (canary / linear) deploy the alias sends part of its traffic to an
//!   additional version; that version is the one the alias is moving to, and the marker says
//!   its share: `deploy: FUNCTION ALIAS → v43 (10%)`. The weights changing as the deploy
//!   proceeds, and the deploy completing on the same version, are not new deploys.
//! - On first sight, an alias whose version was published within the chart window (24 h) is
//!   a marker at the version's publish time (the closest the API tells of when it went out;
//!   an alias has no change time).
//!
//! Deploys that update `$LATEST` without publishing versions and aliases are not seen.
//! IAM actions used: `lambda:ListAliases`, `lambda:GetFunctionConfiguration`. Failures are
//! the scope [`SCOPE`], apart from the inventory's.

use std::collections::{BTreeMap, BTreeSet};

use super::clients::Clients;
use super::inventory::{FailureKind, SourceFailure};
use crate::model::log::{sanitize_with_limit, MAX_FIELD_WIDTH};
use crate::model::metrics::Marker;
use crate::model::time::{Ts, HOUR};
use crate::model::Update;

/// Failures of deploy detection (`Update::SourceError::scope`).
pub const SCOPE: &str = crate::deploy::SCOPE_DEPLOYS;

/// How far back a version published before opsdeck started is still a deploy marker: the
/// longest chart range.
pub const CHART_WINDOW: Ts = 24 * HOUR;

/// One alias as read.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasRead {
    pub alias: String,
    /// The version the alias is moving to: the additional version of a weighted alias, else
    /// its version.
    pub target: String,
    /// The target's share of the traffic in percent, for a weighted alias.
    pub weight: Option<f64>,
}

impl AliasRead {
    /// From an alias's version and its additional version weights (0..1).
    pub fn new(alias: &str, version: &str, weights: &[(String, f64)]) -> Self {
        // The additional version with the largest weight is the one being deployed.
        let extra = weights
            .iter()
            .filter(|(v, w)| v != version && w.is_finite() && *w > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match extra {
            Some((v, w)) => Self {
                alias: alias.into(),
                target: v.clone(),
                weight: Some((w * 100.0).clamp(0.0, 100.0)),
            },
            None => Self {
                alias: alias.into(),
                target: version.into(),
                weight: None,
            },
        }
    }
}

/// `v42` for a numbered version, else the qualifier as it is (`$LATEST`).
fn version_label(v: &str) -> String {
    if !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) {
        format!("v{v}")
    } else {
        v.to_string()
    }
}

/// The marker label of an alias now at `target`, before at `previous` (`None`: first sight).
pub fn label(function: &str, read: &AliasRead, previous: Option<&str>) -> String {
    let back = matches!(
        (previous.and_then(|p| p.parse::<u64>().ok()), read.target.parse::<u64>().ok()),
        (Some(p), Some(t)) if t < p
    );
    let weight = read
        .weight
        .map(|w| format!(" ({}%)", (w * 10.0).round() / 10.0))
        .unwrap_or_default();
    let text = format!(
        "{}: {function} {} → {}{weight}",
        if back { "rollback" } else { "deploy" },
        read.alias,
        version_label(&read.target)
    );
    // Names come from the network: no control characters, bounded length.
    sanitize_with_limit(text.as_bytes(), MAX_FIELD_WIDTH)
}

/// What deploy detection remembers between reads: where each alias pointed, and when
/// versions were published.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployWatcher {
    /// (function, alias) → target version.
    seen: BTreeMap<(String, String), String>,
    /// (function, version) → publish time.
    published: BTreeMap<(String, String), Ts>,
}

impl DeployWatcher {
    /// The versions of `function`'s aliases seen for the first time, whose publish time is
    /// not known yet.
    pub fn needs_publish_time(&self, function: &str, aliases: &[AliasRead]) -> Vec<String> {
        let mut out = BTreeSet::new();
        for a in aliases {
            let key = (function.to_string(), a.alias.clone());
            let known = (function.to_string(), a.target.clone());
            if !self.seen.contains_key(&key) && !self.published.contains_key(&known) {
                out.insert(a.target.clone());
            }
        }
        out.into_iter().collect()
    }

    /// Remember when `function`'s `version` was published.
    pub fn published(&mut self, function: &str, version: &str, at: Ts) {
        self.published
            .insert((function.to_string(), version.to_string()), at);
    }

    /// Take in the aliases of `function` read at `now`; the markers they make. An alias seen
    /// for the first time whose publish time is unknown (the lookup failed) stays unseen, to
    /// be tried again on the next read. Aliases no longer listed are forgotten.
    pub fn observe(&mut self, function: &str, aliases: &[AliasRead], now: Ts) -> Vec<Marker> {
        let mut out = Vec::new();
        for a in aliases {
            let key = (function.to_string(), a.alias.clone());
            match self.seen.get(&key) {
                Some(prev) if *prev == a.target => {}
                Some(prev) => {
                    out.push(Marker {
                        ts: now,
                        label: label(function, a, Some(prev)),
                    });
                    self.seen.insert(key, a.target.clone());
                }
                None => {
                    let published = self
                        .published
                        .get(&(function.to_string(), a.target.clone()));
                    let Some(&at) = published else { continue };
                    if at <= now && now - at <= CHART_WINDOW {
                        out.push(Marker {
                            ts: at,
                            label: label(function, a, None),
                        });
                    }
                    self.seen.insert(key, a.target.clone());
                }
            }
        }
        self.seen
            .retain(|(f, alias), _| f != function || aliases.iter().any(|a| a.alias == *alias));
        out
    }

    /// Forget functions no longer watched.
    pub fn keep_functions(&mut self, functions: &[String]) {
        self.seen.retain(|(f, _), _| functions.contains(f));
        self.published.retain(|(f, _), _| functions.contains(f));
    }
}

/// Every alias of `function` (all pages).
pub async fn list_aliases(
    clients: &Clients,
    function: &str,
) -> Result<Vec<AliasRead>, SourceFailure> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    // A bound on pages: a function has at most a few hundred aliases.
    for _ in 0..50 {
        let resp = clients
            .lambda
            .list_aliases()
            .function_name(function)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| SourceFailure::from_sdk(SCOPE, "lambda:ListAliases", &e))?;
        for a in resp.aliases() {
            let (Some(name), Some(version)) = (a.name(), a.function_version()) else {
                continue;
            };
            let weights: Vec<(String, f64)> = a
                .routing_config()
                .and_then(|r| r.additional_version_weights())
                .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
                .unwrap_or_default();
            out.push(AliasRead::new(name, version, &weights));
        }
        match resp.next_marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
    Ok(out)
}

/// When `function`'s `version` was published (its `LastModified`).
pub async fn publish_time(
    clients: &Clients,
    function: &str,
    version: &str,
) -> Result<Ts, SourceFailure> {
    let resp = clients
        .lambda
        .get_function_configuration()
        .function_name(function)
        .qualifier(version)
        .send()
        .await
        .map_err(|e| SourceFailure::from_sdk(SCOPE, "lambda:GetFunctionConfiguration", &e))?;
    let text = resp.last_modified().unwrap_or("");
    crate::deploy::parse_timestamp(text).ok_or_else(|| {
        SourceFailure::new(
            SCOPE,
            FailureKind::Other,
            format!(
                "lambda:GetFunctionConfiguration for {function}:{version} returned LastModified {:?}: expected a time such as 2026-11-23T10:42:07.123+0000",
                sanitize_with_limit(text.as_bytes(), 64)
            ),
        )
    })
}

/// One read of every function's aliases: the markers found, and the first failure (the
/// other functions are still read).
pub async fn poll(
    clients: &Clients,
    functions: &[String],
    watcher: &mut DeployWatcher,
    now: Ts,
) -> (Vec<Update>, Option<SourceFailure>) {
    watcher.keep_functions(functions);
    let mut updates = Vec::new();
    let mut failure = None;
    for f in functions {
        let aliases = match list_aliases(clients, f).await {
            Ok(a) => a,
            Err(e) => {
                failure.get_or_insert(e);
                continue;
            }
        };
        for v in watcher.needs_publish_time(f, &aliases) {
            match publish_time(clients, f, &v).await {
                Ok(at) => watcher.published(f, &v, at),
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        updates.extend(
            watcher
                .observe(f, &aliases, now)
                .into_iter()
                .map(Update::Marker),
        );
    }
    (updates, failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Ts = 1_795_431_030;

    fn read(alias: &str, version: &str) -> AliasRead {
        AliasRead::new(alias, version, &[])
    }

    #[test]
    fn weighted_aliases_move_to_their_additional_version() {
        let a = AliasRead::new("live", "41", &[("42".into(), 0.1)]);
        assert_eq!((a.target.as_str(), a.weight), ("42", Some(10.0)));
        assert_eq!(label("api", &a, Some("41")), "deploy: api live → v42 (10%)");
        let a = AliasRead::new("live", "41", &[("42".into(), 0.0)]);
        assert_eq!((a.target.as_str(), a.weight), ("41", None));
        assert_eq!(
            label("api", &read("live", "40"), Some("42")),
            "rollback: api live → v40"
        );
        assert_eq!(
            label("api", &read("live", "$LATEST"), None),
            "deploy: api live → $LATEST"
        );
        // Names come from the network: escape sequences and control characters go.
        let l = label("a\x1b[2Jb", &read("live\n", "7"), None);
        assert!(
            l.starts_with("deploy: ab live") && l.ends_with("→ v7"),
            "{l}"
        );
        assert!(!l.chars().any(char::is_control), "{l:?}");
    }

    #[test]
    fn markers_from_alias_reads() {
        let mut w = DeployWatcher::default();
        let first = vec![read("live", "3"), read("old", "1"), read("beta", "4")];
        assert_eq!(
            w.needs_publish_time("api", &first),
            vec!["1".to_string(), "3".into(), "4".into()]
        );
        w.published("api", "3", NOW - 2 * HOUR);
        w.published("api", "1", NOW - 30 * HOUR);
        // "4": the lookup failed, so beta stays unseen.
        let m = w.observe("api", &first, NOW);
        assert_eq!(
            m,
            vec![Marker {
                ts: NOW - 2 * HOUR,
                label: "deploy: api live → v3".into()
            }],
            "first sight: only a version published within 24 h"
        );
        assert_eq!(w.needs_publish_time("api", &first), vec!["4".to_string()]);
        // Nothing changed: nothing new.
        assert!(w.observe("api", &first, NOW + 60).is_empty());
        // live moves to v5 (canary), beta's time is known now.
        w.published("api", "4", NOW - 10 * HOUR);
        let second = vec![
            AliasRead::new("live", "3", &[("5".into(), 0.1)]),
            read("old", "1"),
            read("beta", "4"),
        ];
        let m = w.observe("api", &second, NOW + 120);
        assert_eq!(
            m,
            vec![
                Marker {
                    ts: NOW + 120,
                    label: "deploy: api live → v5 (10%)".into()
                },
                Marker {
                    ts: NOW - 10 * HOUR,
                    label: "deploy: api beta → v4".into()
                },
            ]
        );
        // The weights move on and the deploy completes on v5: no new deploy.
        let third = vec![
            AliasRead::new("live", "3", &[("5".into(), 0.5)]),
            read("old", "1"),
        ];
        assert!(w.observe("api", &third, NOW + 180).is_empty());
        let done = vec![read("live", "5"), read("old", "1")];
        assert!(w.observe("api", &done, NOW + 240).is_empty());
        // Rolled back.
        let m = w.observe("api", &[read("live", "3"), read("old", "1")], NOW + 300);
        assert_eq!(m[0].label, "rollback: api live → v3");
        // beta was removed at `third` and is first sight again when it comes back.
        let m = w.observe("api", &[read("beta", "4")], NOW + 360);
        assert_eq!(m[0].ts, NOW - 10 * HOUR);
        // Another function's aliases are its own.
        assert!(w.observe("other", &[read("live", "3")], NOW).is_empty());
        w.keep_functions(&["other".into()]);
        assert_eq!(
            w.needs_publish_time("api", &[read("beta", "4")]),
            vec!["4".to_string()]
        );
    }
}
