//! The service profile as data: which series to judge and how, and which alarms to evaluate.
//!
//! The schema is documented at the top of `profiles/demo.toml`, the profile of the built-in
//! demo service. A profile file is complete on its own: a user profile (given on the command
//! line, or `<config dir>/opsdeck/profile.toml`) replaces the built-in one as a whole; nothing
//! is merged. Every problem is refused with the file, the 1-based line and what was expected.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::model::alarm::{AlarmDef, Severity};
use crate::model::metrics::keys;
use crate::model::series::Stat;
use crate::model::threshold::{Comparison, Missing, Threshold};
use crate::model::time::{parse_duration, Ts, MINUTE};
use crate::model::{Profile, ThresholdRule};

const DEMO_TOML: &str = include_str!("../profiles/demo.toml");

/// Default for `surge_factor`: the ops guide calls 3x normal traffic a possible attack.
pub const DEFAULT_SURGE_FACTOR: f64 = 3.0;
/// Default for `drop_factor`: the ops guide calls 1/3 of normal traffic a possible outage.
pub const DEFAULT_DROP_FACTOR: f64 = 1.0 / 3.0;

const TOP_KEYS: &[&str] = &["service", "threshold", "alarm"];
const SERVICE_KEYS: &[&str] = &["name", "surge_factor", "drop_factor"];
const THRESHOLD_KEYS: &[&str] = &[
    "series",
    "warn",
    "crit",
    "comparison",
    "datapoints",
    "periods",
    "missing",
];
const ALARM_KEYS: &[&str] = &[
    "name",
    "description",
    "series",
    "period",
    "stat",
    "above",
    "below",
    "datapoints",
    "periods",
    "missing",
    "severity",
    "runbook",
    "log_filter",
    "unit",
];

/// A profile that could not be used: where, and what was wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The file (or `builtin:demo`).
    pub origin: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "profile {}, line {}: {}",
                self.origin, line, self.message
            ),
            None => write!(f, "profile {}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The exact series keys a profile may name.
pub fn known_series() -> Vec<&'static str> {
    vec![
        keys::REQUESTS,
        keys::REQUESTS_YESTERDAY,
        keys::ERROR_RATE,
        keys::ERROR_4XX,
        keys::ERROR_5XX,
        keys::LAMBDA_ERRORS,
        keys::LAMBDA_ERROR_RATE,
        keys::P50,
        keys::P95,
        keys::P99,
        keys::DB_READ_LATENCY,
        keys::DB_WRITE_LATENCY,
    ]
}

/// The per-resource series families (`lambda/throttles/` + a function name, ...).
pub fn series_families() -> Vec<(String, &'static str)> {
    vec![
        (keys::lambda_throttles(""), "function"),
        (keys::lambda_concurrency(""), "function"),
        (keys::aurora_connections(""), "instance"),
        (keys::dynamo_read(""), "table"),
        (keys::dynamo_write(""), "table"),
        (keys::dynamo_throttles(""), "table"),
    ]
}

fn series_help() -> String {
    let mut all: Vec<String> = known_series().iter().map(|s| s.to_string()).collect();
    all.extend(
        series_families()
            .iter()
            .map(|(f, what)| format!("{f}<{what}>")),
    );
    format!("known series: {}", all.join(", "))
}

/// Is `key` a series opsdeck knows (exactly, or a family with a resource name)?
fn is_known_series(key: &str) -> bool {
    known_series().contains(&key)
        || series_families()
            .iter()
            .any(|(f, _)| key.len() > f.len() && key.starts_with(f.as_str()) && !key.contains('*'))
}

/// Does a `prefix*` pattern match any series opsdeck knows?
fn is_known_pattern(prefix: &str) -> bool {
    !prefix.contains('*')
        && (known_series().iter().any(|k| k.starts_with(prefix))
            || series_families()
                .iter()
                .any(|(f, _)| f.starts_with(prefix) || prefix.starts_with(f.as_str())))
}

/// The built-in demo service's profile (`profiles/demo.toml`).
pub fn builtin_demo_profile() -> Profile {
    parse_profile(DEMO_TOML, "builtin:demo")
        .unwrap_or_else(|e| panic!("the shipped profiles/demo.toml is broken: {e}"))
}

/// `<config dir>/opsdeck/profile.toml` (whether or not it exists); `None` without a config
/// directory.
pub fn default_user_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("opsdeck").join("profile.toml"))
}

/// Read a profile file.
pub fn load_profile(path: &Path) -> Result<Profile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        origin: path.display().to_string(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    parse_profile(&text, &path.display().to_string())
}

/// The profile opsdeck runs with: `profile_arg` when given; otherwise `user_file` when it
/// exists; otherwise the built-in demo profile. A profile replaces the built-in one whole.
pub fn load(profile_arg: Option<&Path>, user_file: Option<&Path>) -> Result<Profile, ConfigError> {
    if let Some(path) = profile_arg {
        return load_profile(path);
    }
    match user_file {
        Some(path) if path.exists() => load_profile(path),
        _ => Ok(builtin_demo_profile()),
    }
}

/// Parse profile text; `origin` names it in errors.
pub fn parse_profile(text: &str, origin: &str) -> Result<Profile, ConfigError> {
    let doc = Doc { text, origin };
    let parsed = DeTable::parse(text).map_err(|e| ConfigError {
        origin: origin.to_string(),
        line: e.span().map(|s| crate::keymap::line_of(text, s.start)),
        message: format!("not valid TOML: {}", e.message()),
    })?;
    let top = Tbl {
        doc: &doc,
        table: parsed.get_ref(),
        span: 0..0,
        what: "the profile",
    };
    top.check_keys(TOP_KEYS)?;

    let Some(service) = top.get("service") else {
        return Err(doc.err_at(
            None,
            "no `[service]` table: a profile starts with `[service]` and `name = ...`".into(),
        ));
    };
    let service = doc.table(service, "[service]", "service")?;
    service.check_keys(SERVICE_KEYS)?;
    let name = service.required_string("name")?;
    let surge_factor = match service.number("surge_factor")? {
        None => DEFAULT_SURGE_FACTOR,
        Some((v, _)) if v > 1.0 => v,
        Some((v, span)) => {
            return Err(doc.err(
                span,
                format!("expected `surge_factor` to be above 1 (e.g. 3.0), found {v}"),
            ))
        }
    };
    let drop_factor = match service.number("drop_factor")? {
        None => DEFAULT_DROP_FACTOR,
        Some((v, _)) if v > 0.0 && v < 1.0 => v,
        Some((v, span)) => {
            return Err(doc.err(
                span,
                format!("expected `drop_factor` to be between 0 and 1 (e.g. 0.333), found {v}"),
            ))
        }
    };

    let mut thresholds: Vec<(ThresholdRule, usize)> = Vec::new();
    for t in doc.array_of_tables(top.get("threshold"), "threshold")? {
        t.check_keys(THRESHOLD_KEYS)?;
        let rule = threshold_rule(&t)?;
        let line = t.line_of_key("series");
        check_dead_rule(&doc, &thresholds, &rule, line)?;
        thresholds.push((rule, line));
    }

    let mut alarms: Vec<(AlarmDef, usize)> = Vec::new();
    for t in doc.array_of_tables(top.get("alarm"), "alarm")? {
        t.check_keys(ALARM_KEYS)?;
        let def = alarm_def(&t)?;
        let line = t.line_of_key("name");
        if let Some((_, first)) = alarms.iter().find(|(a, _)| a.name == def.name) {
            return Err(doc.err_at(
                Some(line),
                format!("duplicate alarm name `{}` (first defined on line {first}): alarm names must be unique", def.name),
            ));
        }
        alarms.push((def, line));
    }

    Ok(Profile {
        name,
        thresholds: thresholds.into_iter().map(|(r, _)| r).collect(),
        alarms: alarms.into_iter().map(|(a, _)| a).collect(),
        surge_factor,
        drop_factor,
    })
}

/// A rule that an earlier rule already covers would never apply: thresholds are looked up
/// first match wins.
fn check_dead_rule(
    doc: &Doc,
    earlier: &[(ThresholdRule, usize)],
    rule: &ThresholdRule,
    line: usize,
) -> Result<(), ConfigError> {
    for (prev, prev_line) in earlier {
        let covered = match (prev.series.strip_suffix('*'), rule.series.strip_suffix('*')) {
            (None, None) => prev.series == rule.series,
            (Some(p), None) => rule.series.starts_with(p),
            (Some(p), Some(q)) => q.starts_with(p),
            (None, Some(_)) => false,
        };
        if covered {
            return Err(doc.err_at(
                Some(line),
                format!(
                    "the threshold for `{}` never applies: `{}` on line {prev_line} already matches it (the first matching rule wins; put the more specific one first)",
                    rule.series, prev.series
                ),
            ));
        }
    }
    Ok(())
}

fn threshold_rule(t: &Tbl) -> Result<ThresholdRule, ConfigError> {
    let (series, series_span) = t.required_string_spanned("series")?;
    match series.strip_suffix('*') {
        Some(prefix) if !is_known_pattern(prefix) => {
            return Err(t.doc.err(
                series_span,
                format!("the pattern `{series}` matches no known series; {}", series_help()),
            ))
        }
        None if !is_known_series(&series) => {
            return Err(t.doc.err(
                series_span,
                format!(
                    "unknown series `{series}`; {}; or a prefix ending in `*` (e.g. `aurora/connections/*`)",
                    series_help()
                ),
            ))
        }
        _ => {}
    }
    let warn = t.number("warn")?;
    let crit = t.number("crit")?;
    let comparison = match t.string("comparison")? {
        None => Comparison::Above,
        Some((c, span)) => match c.as_str() {
            "above" => Comparison::Above,
            "below" => Comparison::Below,
            _ => {
                return Err(t.doc.err(
                    span,
                    format!("expected `comparison` to be one of above, below, found `{c}`"),
                ))
            }
        },
    };
    let threshold = Threshold {
        warn: warn.as_ref().map(|w| w.0),
        crit: crit.as_ref().map(|c| c.0),
        comparison,
        datapoints: t.count("datapoints")?.unwrap_or(1),
        periods: t.count("periods")?.unwrap_or(1),
        missing: t.missing()?,
    };
    t.validate(&threshold, warn.map(|w| w.1))?;
    Ok(ThresholdRule { series, threshold })
}

fn alarm_def(t: &Tbl) -> Result<AlarmDef, ConfigError> {
    let doc = t.doc;
    let name = t.required_string("name")?;
    let (series, series_span) = t.required_string_spanned("series")?;
    if !is_known_series(&series) {
        return Err(doc.err(
            series_span,
            format!(
                "alarm `{name}`: unknown series `{series}` (an alarm watches one exact series); {}",
                series_help()
            ),
        ));
    }
    let period: Ts = match t.get("period") {
        None => MINUTE,
        Some(v) => {
            let secs = match v.get_ref() {
                DeValue::String(s) => {
                    parse_duration(s).map_err(|e| doc.err(v.span(), format!("`period`: {e}")))?
                }
                DeValue::Integer(i) => parse_int(i)
                    .ok_or_else(|| doc.err(v.span(), "`period` is out of range".into()))?,
                other => {
                    return Err(doc.err(
                        v.span(),
                        format!(
                        "expected `period` to be a duration (\"5m\") or seconds (300), found {}",
                        describe(other)
                    ),
                    ))
                }
            };
            if secs <= 0 || secs % MINUTE != 0 {
                return Err(doc.err(
                    v.span(),
                    format!("expected `period` to be a positive multiple of 60 seconds (60, \"5m\"), found {secs} s"),
                ));
            }
            secs
        }
    };
    let stat = match t.string("stat")? {
        None => Stat::Average,
        Some((s, span)) => match s.as_str() {
            "average" => Stat::Average,
            "sum" => Stat::Sum,
            "maximum" => Stat::Maximum,
            "minimum" => Stat::Minimum,
            _ => {
                return Err(doc.err(
                    span,
                    format!(
                        "expected `stat` to be one of average, sum, maximum, minimum, found `{s}`"
                    ),
                ))
            }
        },
    };
    let (level, comparison, level_span) = match (t.number("above")?, t.number("below")?) {
        (Some((v, s)), None) => (v, Comparison::Above, s),
        (None, Some((v, s))) => (v, Comparison::Below, s),
        (Some(_), Some((_, s))) => {
            return Err(doc.err(
                s,
                format!("alarm `{name}` has both `above` and `below`: give exactly one"),
            ))
        }
        (None, None) => {
            return Err(doc.err_at(
                Some(t.line_of_key("name")),
                format!("alarm `{name}` needs a limit: `above = <number>` or `below = <number>`"),
            ))
        }
    };
    let threshold = Threshold {
        warn: None,
        crit: Some(level),
        comparison,
        datapoints: t.count("datapoints")?.unwrap_or(1),
        periods: t.count("periods")?.unwrap_or(1),
        missing: t.missing()?,
    };
    t.validate(&threshold, Some(level_span))?;
    let (sev, sev_span) = t.required_string_spanned("severity")?;
    let severity = match sev.as_str() {
        "Critical" | "critical" => Severity::Critical,
        "High" | "high" => Severity::High,
        "Medium" | "medium" => Severity::Medium,
        "Low" | "low" => Severity::Low,
        _ => {
            return Err(doc.err(
                sev_span,
                format!(
                    "expected `severity` to be one of {}, found `{sev}`",
                    Severity::ALL
                        .iter()
                        .map(|s| s.word())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    };
    let runbook = match t.string("runbook")? {
        None => None,
        Some((r, span)) => match r.split_once('#') {
            Some((id, sec)) if !id.is_empty() && !sec.is_empty() && !sec.contains('#') => Some(r),
            _ => {
                return Err(doc.err(
                    span,
                    format!("expected `runbook` to be `runbook-id#section-id` (e.g. `profile-api#high-error-rate`), found `{r}`"),
                ))
            }
        },
    };
    let log_filter = t
        .string("log_filter")?
        .map(|(s, _)| s)
        .filter(|s| !s.is_empty());
    Ok(AlarmDef {
        name,
        description: t.string("description")?.map(|(s, _)| s).unwrap_or_default(),
        series,
        period,
        stat,
        threshold,
        severity,
        runbook,
        log_filter,
        unit: t.string("unit")?.map(|(s, _)| s).unwrap_or_default(),
    })
}

fn parse_int(i: &toml::de::DeInteger) -> Option<i64> {
    i64::from_str_radix(i.as_str(), i.radix()).ok()
}

/// A value for an error message: its type and, for scalars, the value.
fn describe(v: &DeValue) -> String {
    match v {
        DeValue::String(s) => format!("the string \"{s}\""),
        DeValue::Integer(i) => format!("the integer {i}"),
        DeValue::Float(f) => format!("the float {f}"),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        other => format!("a {}", other.type_str()),
    }
}

struct Doc<'a> {
    text: &'a str,
    origin: &'a str,
}

impl<'a> Doc<'a> {
    fn line(&self, span: &Range<usize>) -> usize {
        crate::keymap::line_of(self.text, span.start)
    }

    fn err(&self, span: Range<usize>, message: String) -> ConfigError {
        self.err_at(Some(self.line(&span)), message)
    }

    fn err_at(&self, line: Option<usize>, message: String) -> ConfigError {
        ConfigError {
            origin: self.origin.to_string(),
            line,
            message,
        }
    }

    /// A value that must be a table (`[service]`).
    fn table<'t, 'i>(
        &'t self,
        v: &'t Spanned<DeValue<'i>>,
        what: &'static str,
        key: &str,
    ) -> Result<Tbl<'t, 'i>, ConfigError> {
        match v.get_ref() {
            DeValue::Table(t) => Ok(Tbl {
                doc: self,
                table: t,
                span: v.span(),
                what,
            }),
            other => Err(self.err(
                v.span(),
                format!(
                    "expected `{key}` to be a table ({what}), found {}",
                    describe(other)
                ),
            )),
        }
    }

    /// A value that must be an array of tables (`[[alarm]]`); absent is empty.
    fn array_of_tables<'t, 'i>(
        &'t self,
        v: Option<&'t Spanned<DeValue<'i>>>,
        key: &'static str,
    ) -> Result<Vec<Tbl<'t, 'i>>, ConfigError> {
        let Some(v) = v else { return Ok(Vec::new()) };
        let what = if key == "alarm" {
            "[[alarm]]"
        } else {
            "[[threshold]]"
        };
        let DeValue::Array(items) = v.get_ref() else {
            return Err(self.err(
                v.span(),
                format!(
                    "expected `{key}` to be a list of tables written `{what}`, found {}",
                    describe(v.get_ref())
                ),
            ));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::Table(t) => Ok(Tbl {
                    doc: self,
                    table: t,
                    span: item.span(),
                    what,
                }),
                other => Err(self.err(
                    item.span(),
                    format!(
                        "expected each `{key}` to be a table ({what}), found {}",
                        describe(other)
                    ),
                )),
            })
            .collect()
    }
}

/// One table being read, with the document it came from for error positions.
struct Tbl<'a, 'i> {
    doc: &'a Doc<'a>,
    table: &'a DeTable<'i>,
    span: Range<usize>,
    what: &'static str,
}

impl<'a, 'i> Tbl<'a, 'i> {
    fn get(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    /// The line of a key's value, or of the table when the key is absent.
    fn line_of_key(&self, key: &str) -> usize {
        match self.table.get_key_value(key) {
            Some((k, _)) => self.doc.line(&k.span()),
            None => self.doc.line(&self.span),
        }
    }

    /// Refuse keys not in `known`, the first one in the file first.
    fn check_keys(&self, known: &[&str]) -> Result<(), ConfigError> {
        let mut unknown: Vec<_> = self
            .table
            .keys()
            .filter(|k| !known.contains(&k.get_ref().as_ref()))
            .collect();
        unknown.sort_by_key(|k| k.span().start);
        match unknown.first() {
            None => Ok(()),
            Some(k) => Err(self.doc.err(
                k.span(),
                format!(
                    "unknown key `{}` in {}; known keys: {}",
                    k.get_ref(),
                    self.what,
                    known.join(", ")
                ),
            )),
        }
    }

    fn string(&self, key: &str) -> Result<Option<(String, Range<usize>)>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.get_ref() {
            DeValue::String(s) => Ok(Some((s.to_string(), v.span()))),
            other => Err(self.doc.err(
                v.span(),
                format!(
                    "expected `{key}` to be a string in quotes, found {}",
                    describe(other)
                ),
            )),
        }
    }

    fn required_string_spanned(&self, key: &str) -> Result<(String, Range<usize>), ConfigError> {
        match self.string(key)? {
            Some((s, span)) if !s.trim().is_empty() => Ok((s, span)),
            Some((_, span)) => Err(self
                .doc
                .err(span, format!("`{key}` in {} must not be empty", self.what))),
            None => Err(self
                .doc
                .err(self.span.clone(), format!("{} needs `{key}`", self.what))),
        }
    }

    fn required_string(&self, key: &str) -> Result<String, ConfigError> {
        self.required_string_spanned(key).map(|(s, _)| s)
    }

    fn number(&self, key: &str) -> Result<Option<(f64, Range<usize>)>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let n = match v.get_ref() {
            DeValue::Integer(i) => parse_int(i).map(|n| n as f64),
            DeValue::Float(f) => f.as_str().parse::<f64>().ok().filter(|x| x.is_finite()),
            other => {
                return Err(self.doc.err(
                    v.span(),
                    format!("expected `{key}` to be a number, found {}", describe(other)),
                ))
            }
        };
        match n {
            Some(n) => Ok(Some((n, v.span()))),
            None => Err(self
                .doc
                .err(v.span(), format!("expected `{key}` to be a finite number"))),
        }
    }

    /// A whole number of at least 1.
    fn count(&self, key: &str) -> Result<Option<usize>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.get_ref() {
            DeValue::Integer(i) => match parse_int(i) {
                Some(n) if (1..=1440).contains(&n) => Ok(Some(n as usize)),
                _ => Err(self.doc.err(
                    v.span(),
                    format!("expected `{key}` to be a whole number from 1 to 1440, found {i}"),
                )),
            },
            other => Err(self.doc.err(
                v.span(),
                format!(
                    "expected `{key}` to be a whole number, found {}",
                    describe(other)
                ),
            )),
        }
    }

    fn missing(&self) -> Result<Missing, ConfigError> {
        Ok(match self.string("missing")? {
            None => Missing::Missing,
            Some((m, span)) => match m.as_str() {
                "missing" => Missing::Missing,
                "ignore" => Missing::Ignore,
                "breaching" => Missing::Breaching,
                "not-breaching" => Missing::NotBreaching,
                _ => {
                    return Err(self.doc.err(
                        span,
                        format!("expected `missing` to be one of missing, ignore, breaching, not-breaching, found `{m}`"),
                    ))
                }
            },
        })
    }

    /// `Threshold::validate`, reported at the line most likely at fault.
    fn validate(
        &self,
        th: &Threshold,
        level_span: Option<Range<usize>>,
    ) -> Result<(), ConfigError> {
        th.validate().map_err(|why| {
            let span = if th.datapoints > th.periods {
                self.get("datapoints").map(|v| v.span())
            } else {
                level_span.clone()
            };
            let line = span
                .map(|s| self.doc.line(&s))
                .unwrap_or_else(|| self.doc.line(&self.span));
            self.doc.err_at(Some(line), format!("{} {why}", self.what))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::metrics::keys;

    fn demo() -> Profile {
        builtin_demo_profile()
    }

    fn rule<'a>(p: &'a Profile, key: &str) -> &'a Threshold {
        &p.thresholds
            .iter()
            .find(|r| r.matches(key))
            .unwrap_or_else(|| panic!("no threshold for {key}"))
            .threshold
    }

    fn alarm<'a>(p: &'a Profile, name: &str) -> &'a AlarmDef {
        p.alarms
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no alarm {name}"))
    }

    fn err(text: &str) -> ConfigError {
        match parse_profile(text, "my-profile.toml") {
            Ok(p) => panic!("expected an error, got {p:?}"),
            Err(e) => e,
        }
    }

    /// The error names the file and the line, and says what it wanted.
    fn assert_err(text: &str, line: usize, wants: &[&str]) {
        let e = err(text);
        let msg = e.to_string();
        assert_eq!(e.line, Some(line), "{msg}");
        assert!(msg.contains("my-profile.toml"), "{msg}");
        assert!(msg.contains(&format!("line {line}")), "{msg}");
        for w in wants {
            assert!(msg.contains(w), "`{w}` missing from: {msg}");
        }
    }

    const SERVICE: &str = "[service]\nname = \"t\"\n";

    #[test]
    fn shipped_profile_has_the_thresholds() {
        let p = demo();
        assert_eq!(p.surge_factor, 3.0);
        assert!((p.drop_factor - 1.0 / 3.0).abs() < 0.01);
        let check = |key: &str, warn: Option<f64>, crit: Option<f64>| {
            let t = rule(&p, key);
            assert_eq!((t.warn, t.crit), (warn, crit), "{key}");
            assert_eq!(t.comparison, Comparison::Above);
            t.clone()
        };
        assert_eq!(check(keys::ERROR_RATE, Some(1.0), Some(5.0)).datapoints, 2);
        check(keys::ERROR_5XX, Some(5.0), Some(10.0));
        let p95 = check(keys::P95, Some(1000.0), Some(2000.0));
        assert_eq!((p95.datapoints, p95.periods), (2, 2));
        check(keys::P99, Some(2000.0), Some(5000.0));
        check(keys::P50, Some(500.0), None);
        for f in [
            "crypto-watch-api",
            "crypto-watch-price-update",
            "profile-api",
        ] {
            check(&keys::lambda_throttles(f), None, Some(0.0));
        }
        for i in ["profile-db-writer", "profile-db-reader-1"] {
            check(&keys::aurora_connections(i), Some(60.0), Some(80.0));
        }
        check(keys::DB_READ_LATENCY, Some(10.0), Some(100.0));
        check(keys::DB_WRITE_LATENCY, Some(50.0), Some(500.0));
        for t in ["crypto-watch-data", "crypto-watch-sessions"] {
            check(&keys::dynamo_throttles(t), None, Some(0.0));
        }
        for r in &p.thresholds {
            r.threshold.validate().unwrap();
        }
    }

    #[test]
    fn shipped_profile_has_the_nine_alarms() {
        let p = demo();
        let names: Vec<_> = p.alarms.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ProfileAPI-HighErrorRate",
                "ProfileAPI-HighLatency",
                "ProfileLambda-Errors",
                "ProfileDB-HighConnections",
                "LambdaErrorAlarm",
                "ApiGateway5xxAlarm",
                "DynamoDBThrottleAlarm",
                "ApiLatencyP95Alarm",
                "LambdaThrottleAlarm",
            ]
        );
        // (series, period, stat, limit, n, m, severity, runbook, log filter)
        type Row<'a> = (
            &'a str,
            &'a str,
            Ts,
            Stat,
            f64,
            usize,
            usize,
            Severity,
            &'a str,
            Option<&'a str>,
        );
        let expect: [Row; 9] = [
            (
                "ProfileAPI-HighErrorRate",
                "errors/rate",
                60,
                Stat::Average,
                5.0,
                2,
                2,
                Severity::High,
                "profile-api#high-error-rate",
                Some("ERROR"),
            ),
            (
                "ProfileAPI-HighLatency",
                "latency/p95",
                60,
                Stat::Average,
                2000.0,
                2,
                2,
                Severity::Medium,
                "profile-api#high-latency",
                None,
            ),
            (
                "ProfileLambda-Errors",
                "errors/lambda",
                300,
                Stat::Sum,
                10.0,
                1,
                1,
                Severity::High,
                "profile-api#lambda-errors",
                Some("ERROR"),
            ),
            (
                "ProfileDB-HighConnections",
                "aurora/connections/profile-db-writer",
                60,
                Stat::Maximum,
                80.0,
                2,
                2,
                Severity::High,
                "profile-api#db-connections",
                Some("connection"),
            ),
            (
                "LambdaErrorAlarm",
                "errors/lambda-rate",
                60,
                Stat::Average,
                5.0,
                2,
                2,
                Severity::Critical,
                "crypto-watch#lambda-error-rate",
                Some("ERROR"),
            ),
            (
                "ApiGateway5xxAlarm",
                "errors/5xx",
                60,
                Stat::Average,
                10.0,
                2,
                2,
                Severity::Critical,
                "crypto-watch#api-5xx",
                None,
            ),
            (
                "DynamoDBThrottleAlarm",
                "dynamo/throttles/crypto-watch-data",
                60,
                Stat::Sum,
                0.0,
                1,
                1,
                Severity::High,
                "crypto-watch#dynamodb-throttling",
                Some("ProvisionedThroughputExceededException"),
            ),
            (
                "ApiLatencyP95Alarm",
                "latency/p95",
                60,
                Stat::Average,
                2000.0,
                3,
                3,
                Severity::Medium,
                "crypto-watch#api-latency-p95",
                None,
            ),
            (
                "LambdaThrottleAlarm",
                "lambda/throttles/crypto-watch-api",
                60,
                Stat::Sum,
                9.0,
                1,
                1,
                Severity::High,
                "crypto-watch#lambda-throttles",
                Some("Throttl"),
            ),
        ];
        for (name, series, period, stat, limit, n, m, sev, runbook, filter) in expect {
            let a = alarm(&p, name);
            assert_eq!(a.series, series, "{name}");
            assert_eq!(a.period, period, "{name}");
            assert_eq!(a.stat, stat, "{name}");
            assert_eq!(a.threshold.crit, Some(limit), "{name}");
            assert_eq!(a.threshold.warn, None, "{name}");
            assert_eq!(a.threshold.comparison, Comparison::Above, "{name}");
            assert_eq!(
                (a.threshold.datapoints, a.threshold.periods),
                (n, m),
                "{name}"
            );
            assert_eq!(a.severity, sev, "{name}");
            assert_eq!(a.runbook.as_deref(), Some(runbook), "{name}");
            assert_eq!(a.log_filter.as_deref(), filter, "{name}");
            assert!(!a.description.is_empty(), "{name} has no description");
        }
        assert_eq!(alarm(&p, "ProfileAPI-HighErrorRate").unit, "%");
        assert_eq!(alarm(&p, "ApiLatencyP95Alarm").unit, "ms");
        // 10 throttles in a minute fire the alarm, 9 do not (throttles are whole counts).
        let t = &alarm(&p, "LambdaThrottleAlarm").threshold;
        assert!(t.breaches(10.0, 9.0) && !t.breaches(9.0, 9.0));
    }

    #[test]
    fn minimal_profile_gets_defaults() {
        let p = parse_profile(
            "[service]\nname = \"mini\"\n\n[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nabove = 1\nseverity = \"low\"\n",
            "mini.toml",
        )
        .unwrap();
        assert_eq!(p.name, "mini");
        assert_eq!(p.surge_factor, DEFAULT_SURGE_FACTOR);
        assert_eq!(p.drop_factor, DEFAULT_DROP_FACTOR);
        assert!(p.thresholds.is_empty());
        let a = &p.alarms[0];
        assert_eq!(
            (a.period, a.stat, a.severity),
            (60, Stat::Average, Severity::Low)
        );
        assert_eq!(
            (
                a.threshold.datapoints,
                a.threshold.periods,
                a.threshold.missing
            ),
            (1, 1, Missing::Missing)
        );
        assert_eq!(
            (a.runbook.clone(), a.log_filter.clone(), a.unit.as_str()),
            (None, None, "")
        );
    }

    #[test]
    fn below_alarms_and_thresholds() {
        let p = parse_profile(
            &format!(
                "{SERVICE}[[threshold]]\nseries = \"requests/count\"\ncomparison = \"below\"\nwarn = 50\ncrit = 10\nmissing = \"breaching\"\n\n[[alarm]]\nname = \"NoTraffic\"\nseries = \"requests/count\"\nbelow = 5\nperiod = \"10m\"\nstat = \"sum\"\nseverity = \"Critical\"\n"
            ),
            "below.toml",
        )
        .unwrap();
        let t = &p.thresholds[0].threshold;
        assert_eq!(
            (t.comparison, t.warn, t.crit, t.missing),
            (
                Comparison::Below,
                Some(50.0),
                Some(10.0),
                Missing::Breaching
            )
        );
        let a = &p.alarms[0];
        assert_eq!(
            (a.threshold.comparison, a.threshold.crit, a.period),
            (Comparison::Below, Some(5.0), 600)
        );
    }

    #[test]
    fn bad_severity() {
        let text = format!(
            "{SERVICE}\n[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nabove = 5\nseverity = \"urgent\"\n"
        );
        assert_err(
            &text,
            8,
            &["expected `severity` to be one of Critical, High, Medium, Low, found `urgent`"],
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_the_known_ones() {
        let text = format!("{SERVICE}\n[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nabove = 5\nthreshhold = 3\nseverity = \"High\"\n");
        assert_err(
            &text,
            8,
            &[
                "unknown key `threshhold`",
                "[[alarm]]",
                "above, below",
                "log_filter",
            ],
        );
        assert_err(
            "[service]\nname = \"t\"\ncolour = \"red\"\n",
            3,
            &["unknown key `colour`", "surge_factor, drop_factor"],
        );
        assert_err(
            &format!("{SERVICE}\n[[threshold]]\nseries = \"errors/rate\"\ncrit = 5\nwarning = 1\n"),
            7,
            &["`warning`", "warn, crit"],
        );
        assert_err(
            &format!("{SERVICE}\n[alarms]\nx = 1\n"),
            4,
            &["unknown key `alarms`", "service, threshold, alarm"],
        );
    }

    #[test]
    fn period_must_be_whole_minutes() {
        let base = |p: &str| {
            format!("{SERVICE}[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nabove = 5\nseverity = \"High\"\nperiod = {p}\n")
        };
        assert_err(&base("90"), 8, &["multiple of 60", "found 90 s"]);
        assert_err(&base("\"90s\""), 8, &["multiple of 60"]);
        assert_err(&base("\"5x\""), 8, &["unknown unit"]);
        assert_err(&base("true"), 8, &["duration", "boolean"]);
        assert_eq!(
            parse_profile(&base("\"5m\""), "x").unwrap().alarms[0].period,
            300
        );
        assert_eq!(
            parse_profile(&base("120"), "x").unwrap().alarms[0].period,
            120
        );
    }

    #[test]
    fn thresholds_are_validated() {
        let text =
            format!("{SERVICE}\n[[threshold]]\nseries = \"errors/rate\"\nwarn = 5\ncrit = 1\n");
        assert_err(&text, 6, &["`warn` (5) is past `crit` (1)"]);
        let text = format!("{SERVICE}[[threshold]]\nseries = \"errors/rate\"\ncrit = 1\ndatapoints = 3\nperiods = 2\n");
        assert_err(&text, 6, &["cannot exceed"]);
        assert_err(
            &format!("{SERVICE}[[threshold]]\nseries = \"errors/rate\"\n"),
            3,
            &["needs `warn`, `crit` or both"],
        );
        assert_err(
            &format!("{SERVICE}[[threshold]]\nseries = \"errors/rate\"\ncrit = \"5\"\n"),
            5,
            &["expected `crit` to be a number", "string"],
        );
        assert_err(
            &format!("{SERVICE}[[threshold]]\nseries = \"errors/rate\"\ncrit = 5\nperiods = 0\n"),
            6,
            &["whole number from 1"],
        );
        assert_err(
            &format!(
                "{SERVICE}[[threshold]]\nseries = \"errors/rate\"\ncrit = 5\nmissing = \"skip\"\n"
            ),
            6,
            &["one of missing, ignore, breaching, not-breaching, found `skip`"],
        );
        assert_err(
            &format!(
                "{SERVICE}[[threshold]]\nseries = \"errors/rate\"\ncrit = 5\ncomparison = \">\"\n"
            ),
            6,
            &["one of above, below"],
        );
    }

    #[test]
    fn series_are_checked() {
        assert_err(
            &format!("{SERVICE}[[threshold]]\nseries = \"errors/rat\"\ncrit = 5\n"),
            4,
            &[
                "unknown series `errors/rat`",
                "errors/rate",
                "aurora/connections/<instance>",
            ],
        );
        assert_err(
            &format!("{SERVICE}[[threshold]]\nseries = \"s3/*\"\ncrit = 5\n"),
            4,
            &["matches no known series"],
        );
        assert_err(
            &format!("{SERVICE}[[alarm]]\nname = \"A\"\nseries = \"aurora/connections/*\"\nabove = 5\nseverity = \"High\"\n"),
            5,
            &["one exact series"],
        );
        // Families with a resource name, and patterns, are fine.
        let p = parse_profile(
            &format!("{SERVICE}[[threshold]]\nseries = \"dynamo/read/orders\"\ncrit = 5\n[[threshold]]\nseries = \"lambda/*\"\ncrit = 0\n"),
            "x",
        )
        .unwrap();
        assert!(p.thresholds[1].matches("lambda/concurrency/x"));
    }

    #[test]
    fn shadowed_threshold_rules_are_refused() {
        let text = format!("{SERVICE}[[threshold]]\nseries = \"aurora/connections/*\"\ncrit = 80\n\n[[threshold]]\nseries = \"aurora/connections/profile-db-writer\"\ncrit = 90\n");
        assert_err(&text, 8, &["never applies", "line 4"]);
        let text = format!("{SERVICE}[[threshold]]\nseries = \"errors/rate\"\ncrit = 8\n[[threshold]]\nseries = \"errors/rate\"\ncrit = 9\n");
        assert_err(&text, 7, &["never applies"]);
    }

    #[test]
    fn duplicate_alarm_names() {
        let a = "[[alarm]]\nname = \"Same\"\nseries = \"errors/rate\"\nabove = 5\nseverity = \"High\"\n";
        assert_err(
            &format!("{SERVICE}{a}\n{a}"),
            10,
            &["duplicate alarm name `Same`", "line 4"],
        );
    }

    #[test]
    fn alarm_needs_name_limit_and_severity() {
        assert_err(
            &format!("{SERVICE}\n[[alarm]]\nseries = \"errors/rate\"\nabove = 5\n"),
            4,
            &["[[alarm]] needs `name`"],
        );
        assert_err(&format!("{SERVICE}\n[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nseverity = \"High\"\n"), 5, &["needs a limit"]);
        assert_err(&format!("{SERVICE}\n[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nabove = 1\nbelow = 2\nseverity = \"High\"\n"), 8, &["both `above` and `below`"]);
        assert_err(
            &format!("{SERVICE}\n[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nabove = 1\n"),
            4,
            &["needs `severity`"],
        );
        assert_err(
            &format!("{SERVICE}\n[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nabove = 1\nseverity = \"High\"\nrunbook = \"profile-api\"\n"),
            9,
            &["`runbook-id#section-id`"],
        );
        assert_err(
            &format!("{SERVICE}\n[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nabove = 1\nseverity = \"High\"\nstat = \"p95\"\n"),
            9,
            &["one of average, sum, maximum, minimum, found `p95`"],
        );
        assert_err(
            &format!("{SERVICE}\n[[alarm]]\nname = \"A\"\nseries = \"errors/rate\"\nabove = 1\nseverity = \"High\"\ndatapoints = 3\nperiods = 2\n"),
            9,
            &["cannot exceed"],
        );
    }

    #[test]
    fn service_section() {
        let e = err("[[alarm]]\nname = \"A\"\n");
        assert!(e.message.contains("[service]"), "{e}");
        assert_err(
            "[service]\nsurge_factor = 3.0\n",
            1,
            &["[service] needs `name`"],
        );
        assert_err(
            "[service]\nname = \"x\"\ndrop_factor = 3\n",
            3,
            &["between 0 and 1"],
        );
        assert_err(
            "[service]\nname = \"x\"\nsurge_factor = 0.5\n",
            3,
            &["above 1"],
        );
        assert_err("service = 3\n", 1, &["expected `service` to be a table"]);
        assert_err(
            &format!("{SERVICE}[alarm]\nname = \"A\"\n"),
            3,
            &["written `[[alarm]]`"],
        );
    }

    #[test]
    fn malformed_toml_names_file_and_line() {
        assert_err(
            "[service]\nname = \"x\"\n\n[[alarm]\nname = 1\n",
            4,
            &["not valid TOML"],
        );
        assert_err(
            "[service]\nname = \"x\nsurge_factor = 3\n",
            2,
            &["not valid TOML"],
        );
    }

    #[test]
    fn user_profile_replaces_the_builtin_one() {
        let dir = std::env::temp_dir().join(format!("opsdeck-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let user = dir.join("profile.toml");
        std::fs::write(
            &user,
            "[service]\nname = \"mine\"\n[[alarm]]\nname = \"Only\"\nseries = \"errors/5xx\"\nabove = 1\nseverity = \"Low\"\n",
        )
        .unwrap();
        let absent = dir.join("absent.toml");

        assert_eq!(load(None, None).unwrap(), demo());
        assert_eq!(load(None, Some(&absent)).unwrap(), demo());
        let p = load(None, Some(&user)).unwrap();
        assert_eq!(p.name, "mine");
        assert_eq!(
            p.alarms.len(),
            1,
            "nothing is merged from the built-in profile"
        );
        assert!(p.thresholds.is_empty());
        // An explicit profile wins over the user file.
        let explicit = dir.join("explicit.toml");
        std::fs::write(&explicit, "[service]\nname = \"explicit\"\n").unwrap();
        assert_eq!(load(Some(&explicit), Some(&user)).unwrap().name, "explicit");
        let e = load(Some(&absent), None).unwrap_err();
        assert!(
            e.to_string().contains("absent.toml") && e.message.contains("cannot read"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(default_user_file().is_none_or(|p| p.ends_with("opsdeck/profile.toml")));
    }
}
