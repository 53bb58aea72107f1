//! The service profile as data: which series to judge and how, which alarms to evaluate, how
//! CloudWatch alarms are treated, and how the AWS source reads the account for the service.
//!
//! The schema is documented in `profiles/README.md`. A profile file is complete on its own: a
//! user profile (given on the command line, or `<config dir>/opsdeck/profile.toml`) replaces
//! the built-in one as a whole; nothing is merged. Every problem is refused with the file, the
//! 1-based line and what was expected.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::model::alarm::{AlarmDef, CloudAlarmRule, Severity};
use crate::model::gates::{self, DeployRules, Gate, Limit, Window};
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

const AWS_TOML: &str = include_str!("../profiles/aws.toml");

const TOP_KEYS: &[&str] = &[
    "service",
    "threshold",
    "alarm",
    "aws",
    "metric",
    "cloudwatch_alarm",
    "environment",
    "gate",
    "rollback_warning",
];
const SERVICE_KEYS: &[&str] = &["name", "surge_factor", "drop_factor", "runbooks"];
const AWS_KEYS: &[&str] = &[
    "refresh",
    "alarm_refresh",
    "inventory_refresh",
    "functions",
    "apis",
    "db_clusters",
    "tables",
    "alarm_prefixes",
    "log_groups",
    "no_function_logs",
    "max_connections",
];
const METRIC_KEYS: &[&str] = &[
    "series",
    "namespace",
    "name",
    "dimensions",
    "stat",
    "scale",
    "percent_of",
    "unit",
];
const CLOUDWATCH_ALARM_KEYS: &[&str] = &["name", "severity", "runbook", "log_filter"];
/// Keys of `[environment]` (the war-room banner).
const ENVIRONMENT_KEYS: &[&str] = &[
    "name",
    "account_alias",
    "account_id",
    "region",
    "production",
];
/// Keys of `[[gate]]` and `[[rollback_warning]]` (deploy watch).
const GATE_KEYS: &[&str] = &[
    "name",
    "series",
    "above",
    "at_least",
    "times_normal",
    "for",
    "within",
    "unit",
];
/// CloudWatch allows at most this many dimensions per metric.
const MAX_DIMENSIONS: usize = 30;
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
        write_file_error(f, "profile", &self.origin, self.line, &self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Minimum metrics refresh: CloudWatch bills every refresh, and 1-minute metrics change once
/// a minute.
pub const MIN_REFRESH: Ts = 10;

/// A CloudWatch metric the profile names explicitly (e.g. a custom namespace), feeding one
/// series. It replaces what discovery would put in that series.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomMetric {
    /// The series it feeds: a known key (`requests/count`, `latency/p95`, ...) or
    /// `custom/<name>` (usable by alarms and thresholds).
    pub series: String,
    pub namespace: String,
    pub name: String,
    /// (name, value) pairs, in file order.
    pub dimensions: Vec<(String, String)>,
    /// `Sum`, `Average`, `Maximum`, `Minimum`, `SampleCount` or `pNN` / `pNN.N`.
    pub stat: String,
    /// Values are multiplied by this (e.g. 1000 for seconds to ms). Default 1.
    pub scale: f64,
    /// When set, the series is 100 x this metric / the named series' metric (an error rate
    /// computed in opsdeck, never with metric math).
    pub percent_of: Option<String>,
    /// Shown after values.
    pub unit: Option<String>,
}

/// How the AWS source reads the account for this service. Every list filter is "all" when
/// empty; entries are exact names or prefixes ending in `*`.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsSettings {
    /// Metrics refresh in seconds (default 60, at least [`MIN_REFRESH`]).
    pub refresh: Ts,
    /// DescribeAlarms every this many seconds (default 60, 30..=300).
    pub alarm_refresh: Ts,
    /// Inventory (List*/Describe*) every this many seconds (default 300, at least 60).
    pub inventory_refresh: Ts,
    pub functions: Vec<String>,
    pub apis: Vec<String>,
    pub db_clusters: Vec<String>,
    pub tables: Vec<String>,
    /// Only CloudWatch alarms whose names start with one of these (all when empty).
    pub alarm_prefixes: Vec<String>,
    /// Log groups tailed besides the functions' `/aws/lambda/NAME`.
    pub log_groups: Vec<String>,
    /// Do not tail the functions' own log groups, only `log_groups`.
    pub no_function_logs: bool,
    /// max_connections per DB instance or cluster identifier (a cluster's value applies to
    /// each of its instances); otherwise the default for the instance class.
    pub max_connections: std::collections::BTreeMap<String, u32>,
    pub metrics: Vec<CustomMetric>,
}

impl Default for AwsSettings {
    fn default() -> Self {
        Self {
            refresh: 60,
            alarm_refresh: 60,
            inventory_refresh: 300,
            functions: Vec::new(),
            apis: Vec::new(),
            db_clusters: Vec::new(),
            tables: Vec::new(),
            alarm_prefixes: Vec::new(),
            log_groups: Vec::new(),
            no_function_logs: false,
            max_connections: Default::default(),
            metrics: Vec::new(),
        }
    }
}

/// Does a name pass a filter list (empty = everything; `prefix*` or exact)?
pub fn name_selected(filters: &[String], name: &str) -> bool {
    filters.is_empty()
        || filters.iter().any(|f| match f.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => f == name,
        })
}

/// A whole service profile: what the model judges and how the AWS source reads the account.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub profile: Profile,
    pub aws: AwsSettings,
    /// Runbook files or directories the profile names (relative paths resolved against the
    /// profile's directory).
    pub runbooks: Vec<PathBuf>,
}

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
    format!(
        "known series: {}; or custom/<name> fed by a [[metric]]",
        all.join(", ")
    )
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
    builtin_demo_service().profile
}

/// The built-in demo service (`profiles/demo.toml`).
pub fn builtin_demo_service() -> Service {
    parse_service(DEMO_TOML, "builtin:demo")
        .unwrap_or_else(|e| panic!("the shipped profiles/demo.toml is broken: {e}"))
}

/// The zero-config profile for watching an AWS account without a profile
/// (`profiles/aws.toml`): generic thresholds and alarms that name no resource.
pub fn builtin_aws_service() -> Service {
    parse_service(AWS_TOML, "builtin:aws")
        .unwrap_or_else(|e| panic!("the shipped profiles/aws.toml is broken: {e}"))
}

/// `<config dir>/opsdeck/profile.toml` (whether or not it exists); `None` without a config
/// directory.
pub fn default_user_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("opsdeck").join("profile.toml"))
}

/// Read a profile file.
pub fn load_profile(path: &Path) -> Result<Profile, ConfigError> {
    load_service_file(path).map(|s| s.profile)
}

/// Read a service profile file; relative `runbooks` paths are resolved against the file's
/// directory.
pub fn load_service_file(path: &Path) -> Result<Service, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        origin: path.display().to_string(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    let mut service = parse_service(&text, &path.display().to_string())?;
    let dir = path.parent().unwrap_or(Path::new(""));
    for r in &mut service.runbooks {
        if r.is_relative() {
            *r = dir.join(&*r);
        }
    }
    Ok(service)
}

/// The profile opsdeck runs with: `profile_arg` when given; otherwise `user_file` when it
/// exists; otherwise the built-in demo profile. A profile replaces the built-in one whole.
pub fn load(profile_arg: Option<&Path>, user_file: Option<&Path>) -> Result<Profile, ConfigError> {
    load_service(profile_arg, user_file).map(|s| s.profile)
}

/// The service opsdeck runs with, by the same precedence as [`load`]: `profile_arg` when
/// given; otherwise `user_file` when it exists; otherwise the built-in demo service (a live
/// AWS source without a profile uses [`builtin_aws_service`] instead).
pub fn load_service(
    profile_arg: Option<&Path>,
    user_file: Option<&Path>,
) -> Result<Service, ConfigError> {
    if let Some(path) = profile_arg {
        return load_service_file(path);
    }
    match user_file {
        Some(path) if path.exists() => load_service_file(path),
        _ => Ok(builtin_demo_service()),
    }
}

/// Parse profile text; `origin` names it in errors.
pub fn parse_profile(text: &str, origin: &str) -> Result<Profile, ConfigError> {
    parse_service(text, origin).map(|s| s.profile)
}

/// Parse a whole service profile; `origin` names it in errors. `runbooks` paths are kept as
/// written (see [`load_service_file`]).
pub fn parse_service(text: &str, origin: &str) -> Result<Service, ConfigError> {
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
    let runbooks = service
        .string_list("runbooks", "paths of runbook files or directories")?
        .into_iter()
        .map(|(r, _)| PathBuf::from(r))
        .collect();

    // [[metric]] first: thresholds and alarms may name the `custom/` series they feed.
    let metrics = custom_metrics(&doc, top.get("metric"))?;
    let fed: Vec<&str> = metrics.iter().map(|m| m.series.as_str()).collect();

    let mut thresholds: Vec<(ThresholdRule, usize)> = Vec::new();
    for t in doc.array_of_tables(top.get("threshold"), "threshold")? {
        t.check_keys(THRESHOLD_KEYS)?;
        let rule = threshold_rule(&t, &fed)?;
        let line = t.line_of_key("series");
        check_dead_rule(&doc, &thresholds, &rule.series, line, "threshold")?;
        thresholds.push((rule, line));
    }

    let mut alarms: Vec<(AlarmDef, usize)> = Vec::new();
    for t in doc.array_of_tables(top.get("alarm"), "alarm")? {
        t.check_keys(ALARM_KEYS)?;
        let def = alarm_def(&t, &fed)?;
        let line = t.line_of_key("name");
        if let Some((_, first)) = alarms.iter().find(|(a, _)| a.name == def.name) {
            return Err(doc.err_at(
                Some(line),
                format!("duplicate alarm name `{}` (first defined on line {first}): alarm names must be unique", def.name),
            ));
        }
        alarms.push((def, line));
    }

    let mut cloud_alarms: Vec<(CloudAlarmRule, usize)> = Vec::new();
    for t in doc.array_of_tables(top.get("cloudwatch_alarm"), "cloudwatch_alarm")? {
        t.check_keys(CLOUDWATCH_ALARM_KEYS)?;
        let rule = cloud_alarm_rule(&t)?;
        let line = t.line_of_key("name");
        check_dead_rule(
            &doc,
            &cloud_alarms,
            &rule.pattern,
            line,
            "[[cloudwatch_alarm]]",
        )?;
        cloud_alarms.push((rule, line));
    }

    let deploy = deploy_rules(&doc, &top, &fed)?;

    let environment = match top.get("environment") {
        None => crate::model::environment::Environment::default(),
        Some(v) => environment(&doc.table(v, "[environment]", "environment")?)?,
    };

    let mut aws = match top.get("aws") {
        None => AwsSettings::default(),
        Some(v) => aws_settings(&doc.table(v, "[aws]", "aws")?)?,
    };
    aws.metrics = metrics;

    Ok(Service {
        profile: Profile {
            name,
            thresholds: thresholds.into_iter().map(|(r, _)| r).collect(),
            alarms: alarms.into_iter().map(|(a, _)| a).collect(),
            surge_factor,
            drop_factor,
            cloud_alarms: cloud_alarms.into_iter().map(|(r, _)| r).collect(),
            environment,
            deploy,
        },
        aws,
        runbooks,
    })
}

/// Something matched by exact name or by a `prefix*` pattern (threshold series, CloudWatch
/// alarm names).
trait Pattern {
    fn pattern(&self) -> &str;
}

impl Pattern for ThresholdRule {
    fn pattern(&self) -> &str {
        &self.series
    }
}

impl Pattern for CloudAlarmRule {
    fn pattern(&self) -> &str {
        &self.pattern
    }
}

/// A rule that an earlier rule already covers would never apply: rules are looked up first
/// match wins.
fn check_dead_rule<R: Pattern>(
    doc: &Doc,
    earlier: &[(R, usize)],
    pattern: &str,
    line: usize,
    what: &str,
) -> Result<(), ConfigError> {
    for (prev, prev_line) in earlier {
        let prev = prev.pattern();
        let covered = match (prev.strip_suffix('*'), pattern.strip_suffix('*')) {
            (None, None) => prev == pattern,
            (Some(p), None) => pattern.starts_with(p),
            (Some(p), Some(q)) => q.starts_with(p),
            (None, Some(_)) => false,
        };
        if covered {
            return Err(doc.err_at(
                Some(line),
                format!(
                    "the {what} for `{pattern}` never applies: `{prev}` on line {prev_line} already matches it (the first matching rule wins; put the more specific one first)"
                ),
            ));
        }
    }
    Ok(())
}

/// `custom/<name>`: a series only a [[metric]] feeds.
fn is_custom_key(key: &str) -> bool {
    key.strip_prefix("custom/").is_some_and(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    })
}

/// Check a series key a [[threshold]] (patterns allowed) or an [[alarm]] (exact only) names;
/// `fed` are the series the file's [[metric]]s feed.
fn check_series(
    t: &Tbl,
    series: &str,
    span: Range<usize>,
    fed: &[&str],
    exact_only: Option<&str>,
) -> Result<(), ConfigError> {
    let doc = t.doc;
    let unfed_custom = |key: &str| {
        format!(
            "`{key}` is not fed by any [[metric]] in this file: a `custom/` series needs a [[metric]] with `series = \"{key}\"`{}",
            if fed.is_empty() {
                String::new()
            } else {
                format!(" (fed here: {})", fed.join(", "))
            }
        )
    };
    match series.strip_suffix('*') {
        Some(_) if exact_only.is_some() => Err(doc.err(
            span,
            format!(
                "alarm `{}`: `{series}` is a pattern; an alarm watches one exact series; {}",
                exact_only.unwrap_or_default(),
                series_help()
            ),
        )),
        Some(prefix) => {
            if is_known_pattern(prefix) || fed.iter().any(|f| f.starts_with(prefix)) {
                Ok(())
            } else if prefix.starts_with("custom/") || "custom/".starts_with(prefix) {
                Err(doc.err(span, unfed_custom(series)))
            } else {
                Err(doc.err(
                    span,
                    format!("the pattern `{series}` matches no known series; {}", series_help()),
                ))
            }
        }
        None if is_known_series(series) || fed.contains(&series) => Ok(()),
        None if series.starts_with("custom/") => Err(doc.err(span, unfed_custom(series))),
        None => Err(doc.err(
            span,
            match exact_only {
                Some(name) => format!(
                    "alarm `{name}`: unknown series `{series}` (an alarm watches one exact series); {}",
                    series_help()
                ),
                None => format!(
                    "unknown series `{series}`; {}; or a prefix ending in `*` (e.g. `aurora/connections/*`)",
                    series_help()
                ),
            },
        )),
    }
}

/// A CloudWatch statistic in its canonical spelling: `Sum`, `Average`, `Maximum`, `Minimum`,
/// `SampleCount`, or a percentile `pNN` / `pNN.N` / `pNN.NN` (above 0, at most 100).
fn canonical_stat(s: &str) -> Option<String> {
    for named in ["Sum", "Average", "Maximum", "Minimum", "SampleCount"] {
        if s.eq_ignore_ascii_case(named) {
            return Some(named.to_string());
        }
    }
    let n = s.strip_prefix(['p', 'P'])?;
    let (int, frac) = n.split_once('.').unwrap_or((n, ""));
    let digits = |d: &str| d.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() || int.len() > 3 || !digits(int) || !digits(frac) || frac.len() > 2 {
        return None;
    }
    if n.contains('.') && frac.is_empty() {
        return None;
    }
    let value: f64 = n.parse().ok()?;
    if value <= 0.0 || value > 100.0 {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    Some(if frac.is_empty() {
        format!("p{int}")
    } else {
        format!("p{int}.{frac}")
    })
}

/// The [[metric]] tables: validated, with `percent_of` checked against the others.
fn custom_metrics(
    doc: &Doc,
    v: Option<&Spanned<DeValue>>,
) -> Result<Vec<CustomMetric>, ConfigError> {
    // (metric, line of `series`, span of `percent_of`, span of `scale`)
    type Read = (
        CustomMetric,
        usize,
        Option<Range<usize>>,
        Option<Range<usize>>,
    );
    let mut read: Vec<Read> = Vec::new();
    for t in doc.array_of_tables(v, "metric")? {
        t.check_keys(METRIC_KEYS)?;
        let (series, span) = t.required_string_spanned("series")?;
        if series.contains('*') {
            return Err(doc.err(
                span,
                format!("expected `series` to be one exact series key (a [[metric]] feeds one series), found the pattern `{series}`"),
            ));
        }
        if !is_known_series(&series) && !is_custom_key(&series) {
            return Err(doc.err(
                span,
                format!(
                    "unknown series `{series}`; {}; or `custom/<name>` (letters, digits, `-`, `_`, `.`) for a series of your own",
                    series_help()
                ),
            ));
        }
        let line = t.line_of_key("series");
        if let Some((_, first, _, _)) = read.iter().find(|(m, ..)| m.series == series) {
            return Err(doc.err_at(
                Some(line),
                format!("`{series}` is already fed by the [[metric]] on line {first}: each series is fed by one metric"),
            ));
        }
        let namespace = t.required_string("namespace")?;
        let name = t.required_string("name")?;
        let dimensions = t.dimensions()?;
        let (stat, stat_span) = t.required_string_spanned("stat")?;
        let stat = canonical_stat(&stat).ok_or_else(|| {
            doc.err(
                stat_span,
                format!("expected `stat` to be one of Sum, Average, Maximum, Minimum, SampleCount or a percentile pNN / pNN.N (e.g. p95, p99.9), found `{stat}`"),
            )
        })?;
        let (scale, scale_span) = match t.number("scale")? {
            None => (1.0, None),
            Some((s, span)) if s > 0.0 => (s, Some(span)),
            Some((s, span)) => {
                return Err(doc.err(
                    span,
                    format!("expected `scale` to be a number above 0 (e.g. 1000 for seconds to ms), found {s}"),
                ))
            }
        };
        let percent_of = t.string("percent_of")?;
        let unit = t.string("unit")?.map(|(u, _)| u).filter(|u| !u.is_empty());
        read.push((
            CustomMetric {
                series,
                namespace,
                name,
                dimensions,
                stat,
                scale,
                percent_of: percent_of.as_ref().map(|(p, _)| p.clone()),
                unit,
            },
            line,
            percent_of.map(|(_, s)| s),
            scale_span,
        ));
    }
    for (m, _, percent_span, scale_span) in &read {
        let (Some(of), Some(span)) = (&m.percent_of, percent_span) else {
            continue;
        };
        let plain: Vec<&str> = read
            .iter()
            .filter(|(o, ..)| o.series != m.series && o.percent_of.is_none())
            .map(|(o, ..)| o.series.as_str())
            .collect();
        let expected = if plain.is_empty() {
            "expected `percent_of` to name the series another [[metric]] in this file feeds (there is none)".to_string()
        } else {
            format!(
                "expected `percent_of` to name the series another [[metric]] in this file feeds ({})",
                plain.join(", ")
            )
        };
        match read.iter().find(|(o, ..)| &o.series == of) {
            _ if of == &m.series => {
                return Err(doc.err(
                    span.clone(),
                    format!("{expected}, found `{of}`: a series cannot be a percentage of itself"),
                ))
            }
            None => return Err(doc.err(span.clone(), format!("{expected}, found `{of}`"))),
            Some((o, ..)) if o.percent_of.is_some() => {
                return Err(doc.err(
                    span.clone(),
                    format!("{expected}, found `{of}`, which is itself a percentage"),
                ))
            }
            Some(_) => {}
        }
        if let Some(scale_span) = scale_span {
            return Err(doc.err(
                scale_span.clone(),
                format!(
                    "`scale` does not apply with `percent_of`: `{}` is 100 x this metric / `{of}`",
                    m.series
                ),
            ));
        }
    }
    Ok(read.into_iter().map(|(m, ..)| m).collect())
}

/// `[aws]`.
fn aws_settings(t: &Tbl) -> Result<AwsSettings, ConfigError> {
    t.check_keys(AWS_KEYS)?;
    let doc = t.doc;
    let mut aws = AwsSettings::default();
    if let Some((secs, span)) = t.seconds("refresh")? {
        if secs < MIN_REFRESH || secs % 10 != 0 {
            return Err(doc.err(
                span,
                format!("expected `refresh` to be at least {MIN_REFRESH} s and a multiple of 10 s (e.g. \"60s\", \"5m\"), found {secs} s: CloudWatch bills every metric of every refresh and 1-minute metrics change once a minute, so a faster refresh only buys the same numbers again; refreshes are scheduled in 10-second steps"),
            ));
        }
        aws.refresh = secs;
    }
    if let Some((secs, span)) = t.seconds("alarm_refresh")? {
        if !(30..=300).contains(&secs) {
            return Err(doc.err(
                span,
                format!("expected `alarm_refresh` to be from 30 s to 300 s (e.g. \"60s\"), found {secs} s: DescribeAlarms has a small per-account quota (about 9 calls a second, shared with every other tool), and alarms change state at most once a period"),
            ));
        }
        aws.alarm_refresh = secs;
    }
    if let Some((secs, span)) = t.seconds("inventory_refresh")? {
        if secs < 60 {
            return Err(doc.err(
                span,
                format!("expected `inventory_refresh` to be at least 60 s (e.g. \"5m\"), found {secs} s: functions, clusters and tables change rarely, and the List/Describe calls share per-account quotas"),
            ));
        }
        aws.inventory_refresh = secs;
    }
    let filters = |key: &str| -> Result<Vec<String>, ConfigError> {
        let items = t.string_list(key, "names or prefixes ending in `*`")?;
        for (item, span) in &items {
            if item.trim_end_matches('*').contains('*') || item == "*" {
                return Err(doc.err(
                    span.clone(),
                    format!("expected each entry of `{key}` to be a name or a prefix ending in `*` (e.g. \"profile-*\"), found `{item}`"),
                ));
            }
        }
        Ok(items.into_iter().map(|(s, _)| s).collect())
    };
    aws.functions = filters("functions")?;
    aws.apis = filters("apis")?;
    aws.db_clusters = filters("db_clusters")?;
    aws.tables = filters("tables")?;
    // Prefixes, with or without the `*`: stored without it (DescribeAlarms' AlarmNamePrefix).
    aws.alarm_prefixes = filters("alarm_prefixes")?
        .into_iter()
        .map(|p| p.trim_end_matches('*').to_string())
        .collect();
    let groups = t.string_list("log_groups", "log group names")?;
    for (g, span) in &groups {
        if g.contains('*') || g.chars().any(char::is_whitespace) {
            return Err(doc.err(
                span.clone(),
                format!("expected each entry of `log_groups` to be a log group name (e.g. \"/aws/lambda/profile-api\"; no `*`, no spaces), found `{g}`"),
            ));
        }
    }
    aws.log_groups = groups.into_iter().map(|(g, _)| g).collect();
    aws.no_function_logs = t.boolean("no_function_logs")?.unwrap_or(false);
    if let Some(v) = t.get("max_connections") {
        let table = doc.table(v, "[aws.max_connections]", "max_connections")?;
        for (key, value) in table.entries() {
            let ok = match value.get_ref() {
                DeValue::Integer(i) => parse_int(i)
                    .filter(|n| *n > 0)
                    .and_then(|n| u32::try_from(n).ok()),
                _ => None,
            };
            match ok {
                Some(n) => {
                    aws.max_connections.insert(key, n);
                }
                None => {
                    return Err(doc.err(
                        value.span(),
                        format!("expected `max_connections.{key}` to be a whole number above 0 (the DB instance's or cluster's max_connections), found {}", describe(value.get_ref())),
                    ))
                }
            }
        }
    }
    Ok(aws)
}

/// `[environment]`: the name (required), the account's alias and ID, the region, and whether
/// it is production (default: when the name looks like it).
fn environment(t: &Tbl) -> Result<crate::model::environment::Environment, ConfigError> {
    use crate::model::environment::{is_account_id, looks_like_production, Environment};
    t.check_keys(ENVIRONMENT_KEYS)?;
    let name = t.required_string("name")?;
    let optional = |key: &str| -> Result<Option<(String, Range<usize>)>, ConfigError> {
        match t.string(key)? {
            Some((s, span)) if s.trim().is_empty() => Err(t.doc.err(
                span,
                format!("`{key}` in [environment] must not be empty (leave it out instead)"),
            )),
            other => Ok(other),
        }
    };
    let account_id = match optional("account_id")? {
        Some((id, span)) if !is_account_id(id.trim()) => {
            return Err(t.doc.err(
                span,
                format!("expected `account_id` to be the 12-digit AWS account ID in quotes (\"123456789012\"), found {id:?}"),
            ))
        }
        other => other.map(|(id, _)| id.trim().to_string()),
    };
    Ok(Environment {
        production: t
            .boolean("production")?
            .unwrap_or_else(|| looks_like_production(&name)),
        name,
        account_alias: optional("account_alias")?.map(|(s, _)| s),
        account_id,
        region: optional("region")?.map(|(s, _)| s),
    })
}

fn cloud_alarm_rule(t: &Tbl) -> Result<CloudAlarmRule, ConfigError> {
    let (pattern, span) = t.required_string_spanned("name")?;
    if pattern.trim_end_matches('*').contains('*') || pattern == "*" {
        return Err(t.doc.err(
            span,
            format!("expected `name` to be a CloudWatch alarm name or a prefix ending in `*` (e.g. \"ProfileAPI-*\"), found `{pattern}`"),
        ));
    }
    Ok(CloudAlarmRule {
        pattern,
        severity: t.severity()?,
        runbook: t.runbook()?,
        log_filter: t.log_filter()?,
    })
}

fn threshold_rule(t: &Tbl, fed: &[&str]) -> Result<ThresholdRule, ConfigError> {
    let (series, series_span) = t.required_string_spanned("series")?;
    check_series(t, &series, series_span, fed, None)?;
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

fn alarm_def(t: &Tbl, fed: &[&str]) -> Result<AlarmDef, ConfigError> {
    let doc = t.doc;
    let name = t.required_string("name")?;
    let (series, series_span) = t.required_string_spanned("series")?;
    check_series(t, &series, series_span, fed, Some(&name))?;
    let period: Ts = match t.seconds("period")? {
        None => MINUTE,
        Some((secs, span)) => {
            if secs <= 0 || secs % MINUTE != 0 {
                return Err(doc.err(
                    span,
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
    let severity = t.severity()?;
    let runbook = t.runbook()?;
    let log_filter = t.log_filter()?;
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

/// `[[gate]]` and `[[rollback_warning]]`: each list is the file's when it has any, else the
/// runbook defaults ([`DeployRules::default`]).
fn deploy_rules(doc: &Doc, top: &Tbl, fed: &[&str]) -> Result<DeployRules, ConfigError> {
    let mut rules = DeployRules::default();
    for (key, list) in [
        ("gate", &mut rules.gates),
        ("rollback_warning", &mut rules.warnings),
    ] {
        let tables = doc.array_of_tables(top.get(key), key)?;
        if tables.is_empty() {
            continue;
        }
        let mut read: Vec<(Gate, usize)> = Vec::new();
        for t in tables {
            t.check_keys(GATE_KEYS)?;
            let gate = gate_rule(&t, fed)?;
            let line = t.line_of_key("name");
            if let Some((_, first)) = read.iter().find(|(g, _)| g.name == gate.name) {
                return Err(doc.err_at(
                    Some(line),
                    format!(
                        "duplicate {} name `{}` (first defined on line {first}): names must be unique",
                        t.what, gate.name
                    ),
                ));
            }
            read.push((gate, line));
        }
        *list = read.into_iter().map(|(g, _)| g).collect();
    }
    Ok(rules)
}

/// One `[[gate]]` / `[[rollback_warning]]`.
fn gate_rule(t: &Tbl, fed: &[&str]) -> Result<Gate, ConfigError> {
    let doc = t.doc;
    let (name, name_span) = t.required_string_spanned("name")?;
    let (series, series_span) = t.required_string_spanned("series")?;
    check_series(t, &series, series_span, fed, None)?;
    let limits = [
        ("above", t.number("above")?),
        ("at_least", t.number("at_least")?),
        ("times_normal", t.number("times_normal")?),
    ];
    let given: Vec<_> = limits
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (*k, v)))
        .collect();
    let limit = match given.as_slice() {
        [] => {
            return Err(doc.err(
                name_span,
                format!("{} `{name}` needs a limit: `above = <number>`, `at_least = <number>` or `times_normal = <factor>`", t.what),
            ))
        }
        [("times_normal", (f, span))] => {
            if *f <= 1.0 {
                return Err(doc.err(
                    span.clone(),
                    format!("expected `times_normal` to be a factor above 1 (2.0 = twice normal), found {f}"),
                ));
            }
            Limit::TimesNormal(*f)
        }
        [("above", (v, _))] => Limit::Above(*v),
        [(_, (v, _))] => Limit::AtLeast(*v),
        [_, (second, (_, span)), ..] => {
            return Err(doc.err(
                span.clone(),
                format!(
                    "{} `{name}` has more than one limit (`{}` and `{second}`): give exactly one of above, at_least, times_normal",
                    t.what, given[0].0
                ),
            ))
        }
    };
    let whole_minutes = |key: &str| -> Result<Option<Ts>, ConfigError> {
        match t.seconds(key)? {
            None => Ok(None),
            Some((secs, span)) if secs <= 0 || secs % MINUTE != 0 || secs > 24 * 3600 => Err(doc.err(
                span,
                format!("expected `{key}` to be whole minutes from 1m to 24h (\"2m\", 120), found {secs} s"),
            )),
            Some((secs, _)) => Ok(Some(secs)),
        }
    };
    let window = match (whole_minutes("for")?, whole_minutes("within")?) {
        (Some(_), Some(_)) => {
            return Err(doc.err_at(
                Some(t.line_of_key("within")),
                format!("{} `{name}` has both `for` and `within`: `for` is how long every minute must be in breach, `within` sums the minutes of a window; give one", t.what),
            ))
        }
        (Some(d), None) => Window::For(d),
        (None, Some(w)) => {
            if let Limit::TimesNormal(_) = limit {
                return Err(doc.err_at(
                    Some(t.line_of_key("within")),
                    format!("{} `{name}`: `times_normal` compares each minute with normal, so it takes `for`, not `within`", t.what),
                ));
            }
            Window::Within(w)
        }
        (None, None) => Window::For(MINUTE),
    };
    let unit = match t.string("unit")? {
        Some((u, _)) => u,
        None => gates::default_unit(&series).to_string(),
    };
    Ok(Gate {
        name,
        series,
        limit,
        window,
        unit,
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

/// Refuse keys of `table` not in `known`, the first one in the file first; `what` names the
/// table in the message, `err` makes the error from the key's span and the message.
pub(crate) fn check_keys<E>(
    table: &DeTable,
    known: &[&str],
    what: &str,
    err: impl Fn(Range<usize>, String) -> E,
) -> Result<(), E> {
    let mut unknown: Vec<_> = table
        .keys()
        .filter(|k| !known.contains(&k.get_ref().as_ref()))
        .collect();
    unknown.sort_by_key(|k| k.span().start);
    match unknown.first() {
        None => Ok(()),
        Some(k) => Err(err(
            k.span(),
            format!(
                "unknown key `{}` in {what}; known keys: {}",
                k.get_ref(),
                known.join(", ")
            ),
        )),
    }
}

/// An error of a file as the user reads it: `profile my.toml, line 3: …`, or without
/// `, line …` when the problem has no line. `kind` says what the file is.
pub(crate) fn write_file_error(
    f: &mut fmt::Formatter<'_>,
    kind: &str,
    origin: &str,
    line: Option<usize>,
    message: &str,
) -> fmt::Result {
    match line {
        Some(line) => write!(f, "{kind} {origin}, line {line}: {message}"),
        None => write!(f, "{kind} {origin}: {message}"),
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
        let what = match key {
            "alarm" => "[[alarm]]",
            "metric" => "[[metric]]",
            "cloudwatch_alarm" => "[[cloudwatch_alarm]]",
            "gate" => "[[gate]]",
            "rollback_warning" => "[[rollback_warning]]",
            _ => "[[threshold]]",
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
        check_keys(self.table, known, self.what, |span, message| {
            self.doc.err(span, message)
        })
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

    /// A duration: a string (`"90s"`, `"5m"`) or whole seconds.
    fn seconds(&self, key: &str) -> Result<Option<(Ts, Range<usize>)>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let secs = match v.get_ref() {
            DeValue::String(s) => {
                parse_duration(s).map_err(|e| self.doc.err(v.span(), format!("`{key}`: {e}")))?
            }
            DeValue::Integer(i) => parse_int(i)
                .ok_or_else(|| self.doc.err(v.span(), format!("`{key}` is out of range")))?,
            other => {
                return Err(self.doc.err(
                    v.span(),
                    format!(
                        "expected `{key}` to be a duration (\"5m\") or seconds (300), found {}",
                        describe(other)
                    ),
                ))
            }
        };
        Ok(Some((secs, v.span())))
    }

    /// An array of non-empty strings (absent is empty).
    fn string_list(
        &self,
        key: &str,
        what: &str,
    ) -> Result<Vec<(String, Range<usize>)>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(Vec::new());
        };
        let DeValue::Array(items) = v.get_ref() else {
            return Err(self.doc.err(
                v.span(),
                format!(
                    "expected `{key}` to be a list of strings ({what}), e.g. [\"a\", \"b\"], found {}",
                    describe(v.get_ref())
                ),
            ));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) if !s.trim().is_empty() => Ok((s.to_string(), item.span())),
                other => Err(self.doc.err(
                    item.span(),
                    format!(
                        "expected each entry of `{key}` to be a non-empty string ({what}), found {}",
                        describe(other)
                    ),
                )),
            })
            .collect()
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.get_ref() {
            DeValue::Boolean(b) => Ok(Some(*b)),
            other => Err(self.doc.err(
                v.span(),
                format!(
                    "expected `{key}` to be true or false, found {}",
                    describe(other)
                ),
            )),
        }
    }

    /// The table's keys and values, in file order.
    fn entries(&self) -> Vec<(String, &'a Spanned<DeValue<'i>>)> {
        let mut all: Vec<_> = self.table.iter().collect();
        all.sort_by_key(|(k, _)| k.span().start);
        all.into_iter()
            .map(|(k, v)| (k.get_ref().to_string(), v))
            .collect()
    }

    /// `dimensions = { Name = "value", ... }` (absent is none), in file order.
    fn dimensions(&self) -> Result<Vec<(String, String)>, ConfigError> {
        let Some(v) = self.get("dimensions") else {
            return Ok(Vec::new());
        };
        let table = match v.get_ref() {
            DeValue::Table(_) => self.doc.table(v, "dimension name = value", "dimensions")?,
            other => {
                return Err(self.doc.err(
                    v.span(),
                    format!(
                        "expected `dimensions` to be a table of strings, e.g. {{ FunctionName = \"profile-api\" }}, found {}",
                        describe(other)
                    ),
                ))
            }
        };
        let entries = table.entries();
        if entries.len() > MAX_DIMENSIONS {
            return Err(self.doc.err(
                v.span(),
                format!(
                    "expected at most {MAX_DIMENSIONS} `dimensions` (CloudWatch's limit), found {}",
                    entries.len()
                ),
            ));
        }
        entries
            .into_iter()
            .map(|(name, value)| match value.get_ref() {
                DeValue::String(s) if !s.is_empty() && !name.is_empty() => {
                    Ok((name, s.to_string()))
                }
                other => Err(self.doc.err(
                    value.span(),
                    format!(
                        "expected dimension `{name}` to be a non-empty string, found {}",
                        describe(other)
                    ),
                )),
            })
            .collect()
    }

    /// Required `severity`.
    fn severity(&self) -> Result<Severity, ConfigError> {
        let (sev, sev_span) = self.required_string_spanned("severity")?;
        match sev.as_str() {
            "Critical" | "critical" => Ok(Severity::Critical),
            "High" | "high" => Ok(Severity::High),
            "Medium" | "medium" => Ok(Severity::Medium),
            "Low" | "low" => Ok(Severity::Low),
            _ => Err(self.doc.err(
                sev_span,
                format!(
                    "expected `severity` to be one of {}, found `{sev}`",
                    Severity::ALL
                        .iter()
                        .map(|s| s.word())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    /// Optional `runbook = "runbook-id#section-id"`.
    fn runbook(&self) -> Result<Option<String>, ConfigError> {
        match self.string("runbook")? {
            None => Ok(None),
            Some((r, span)) => match r.split_once('#') {
                Some((id, sec)) if !id.is_empty() && !sec.is_empty() && !sec.contains('#') => {
                    Ok(Some(r))
                }
                _ => Err(self.doc.err(
                    span,
                    format!("expected `runbook` to be `runbook-id#section-id` (e.g. `profile-api#high-error-rate`), found `{r}`"),
                )),
            },
        }
    }

    /// Optional `log_filter` (empty is none).
    fn log_filter(&self) -> Result<Option<String>, ConfigError> {
        Ok(self
            .string("log_filter")?
            .map(|(s, _)| s)
            .filter(|s| !s.is_empty()))
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
        assert_names_line(&err(text), line, wants);
    }

    /// `e` names the test file and `line`, and says each of `wants`.
    fn assert_names_line(e: &ConfigError, line: usize, wants: &[&str]) {
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

    // ---- service profiles: [aws], [[metric]], [[cloudwatch_alarm]], runbooks ----

    fn service_err(text: &str) -> ConfigError {
        match parse_service(text, "my-profile.toml") {
            Ok(s) => panic!("expected an error, got {s:?}"),
            Err(e) => e,
        }
    }

    fn repo_file(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
    }

    /// Every `runbook-id#section` the profile names exists as `{#section}` in
    /// runbooks/<runbook-id>.md.
    fn assert_runbook_sections(s: &Service) {
        let refs = s
            .profile
            .alarms
            .iter()
            .filter_map(|a| a.runbook.clone())
            .chain(
                s.profile
                    .cloud_alarms
                    .iter()
                    .filter_map(|c| c.runbook.clone()),
            );
        for r in refs {
            let (id, section) = r.split_once('#').unwrap();
            let text = std::fs::read_to_string(repo_file(&format!("runbooks/{id}.md"))).unwrap();
            assert!(text.contains(&format!("{{#{section}}}")), "{r}");
        }
    }

    #[test]
    fn every_shipped_profile_parses() {
        let mut n = 0;
        for entry in std::fs::read_dir(repo_file("profiles")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let s = load_service_file(&path).unwrap_or_else(|e| panic!("{e}"));
                assert_runbook_sections(&s);
                for a in &s.profile.alarms {
                    assert!(!a.description.is_empty(), "{}: {}", path.display(), a.name);
                }
                n += 1;
            }
        }
        assert!(n >= 4, "profiles/*.toml: {n}");
        assert_eq!(builtin_demo_service().aws, AwsSettings::default());
    }

    #[test]
    fn builtin_aws_profile_names_no_resource() {
        let s = builtin_aws_service();
        assert_eq!(s.profile.name, "aws");
        assert_eq!(s.aws, AwsSettings::default());
        assert!(s.runbooks.is_empty() && s.profile.cloud_alarms.is_empty());
        assert!(!s.profile.alarms.is_empty());
        for a in &s.profile.alarms {
            assert!(known_series().contains(&a.series.as_str()), "{}", a.series);
        }
        for r in &s.profile.thresholds {
            assert!(
                known_series().contains(&r.series.as_str()) || r.series.ends_with("/*"),
                "{}",
                r.series
            );
            assert!(
                !r.series.starts_with("aurora/connections"),
                "by share of max"
            );
        }
        for key in [keys::ERROR_RATE, keys::ERROR_5XX, keys::P95, keys::P99] {
            assert!(s.profile.thresholds.iter().any(|r| r.matches(key)), "{key}");
        }
        for key in [keys::lambda_throttles("f"), keys::dynamo_throttles("t")] {
            assert!(
                s.profile.thresholds.iter().any(|r| r.matches(&key)),
                "{key}"
            );
        }
    }

    #[test]
    fn profile_api_example() {
        let s = load_service_file(&repo_file("profiles/profile-api.toml")).unwrap();
        let p = &s.profile;
        assert_eq!(p.name, "profile-api");
        let names: Vec<_> = p.alarms.iter().map(|a| a.name.as_str()).collect();
        let four = [
            "ProfileAPI-HighErrorRate",
            "ProfileAPI-HighLatency",
            "ProfileLambda-Errors",
            "ProfileDB-HighConnections",
        ];
        assert_eq!(names, four);
        let cloud: Vec<_> = p.cloud_alarms.iter().map(|c| c.pattern.as_str()).collect();
        assert_eq!(cloud, four);
        for (a, c) in p.alarms.iter().zip(&p.cloud_alarms) {
            assert_eq!(
                (a.severity, &a.runbook),
                (c.severity, &c.runbook),
                "{}",
                a.name
            );
            assert_eq!(a.log_filter, c.log_filter, "{}", a.name);
            assert_eq!(a.period, 300, "{}: the guide's 5-minute periods", a.name);
        }
        let e = alarm(p, "ProfileAPI-HighErrorRate");
        assert_eq!(
            (
                e.series.as_str(),
                e.threshold.crit,
                e.threshold.datapoints,
                e.threshold.periods
            ),
            (keys::ERROR_RATE, Some(5.0), 2, 2)
        );
        assert_eq!(e.severity, Severity::High);
        assert_eq!(
            alarm(p, "ProfileAPI-HighLatency").severity,
            Severity::Medium
        );
        assert_eq!(alarm(p, "ProfileLambda-Errors").stat, Stat::Sum);
        assert_eq!(
            alarm(p, "ProfileDB-HighConnections").threshold.crit,
            Some(80.0)
        );

        let aws = &s.aws;
        assert_eq!(
            (aws.refresh, aws.alarm_refresh, aws.inventory_refresh),
            (60, 60, 300)
        );
        assert_eq!(aws.functions, ["profile-api"]);
        assert_eq!(aws.db_clusters, ["profile-db"]);
        assert_eq!(aws.max_connections.get("profile-db"), Some(&100));
        assert_eq!(
            aws.alarm_prefixes,
            ["ProfileAPI-", "ProfileLambda-", "ProfileDB-"]
        );
        let fed: Vec<(&str, &str, &str)> = aws
            .metrics
            .iter()
            .map(|m| (m.series.as_str(), m.name.as_str(), m.stat.as_str()))
            .collect();
        assert_eq!(
            fed,
            [
                (keys::REQUESTS, "ProfileAPIRequests", "Sum"),
                (keys::ERROR_RATE, "ProfileAPIErrors", "Sum"),
                (keys::P50, "ProfileAPILatency", "p50"),
                (keys::P95, "ProfileAPILatency", "p95"),
                (keys::P99, "ProfileAPILatency", "p99"),
            ]
        );
        for m in &aws.metrics {
            assert_eq!(m.namespace, "ProfileAPI");
            assert_eq!(
                m.dimensions,
                [("Service".to_string(), "profile-api".to_string())]
            );
            assert_eq!(m.scale, 1.0);
        }
        assert_eq!(aws.metrics[1].percent_of.as_deref(), Some(keys::REQUESTS));
        assert_eq!(aws.metrics[1].unit.as_deref(), Some("%"));
    }

    #[test]
    fn crypto_watch_example() {
        let s = load_service_file(&repo_file("profiles/crypto-watch.toml")).unwrap();
        let p = &s.profile;
        let six = [
            "LambdaErrorAlarm",
            "ExternalApiErrorAlarm",
            "DynamoDBThrottleAlarm",
            "ApiGateway5xxAlarm",
            "ApiLatencyP95Alarm",
            "LambdaThrottleAlarm",
        ];
        let names: Vec<_> = p.alarms.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, six);
        let cloud: Vec<_> = p.cloud_alarms.iter().map(|c| c.pattern.as_str()).collect();
        assert_eq!(cloud, six);
        let sev: Vec<_> = p.alarms.iter().map(|a| a.severity).collect();
        use Severity::*;
        assert_eq!(sev, [Critical, High, High, Critical, Medium, High]);
        let ext = alarm(p, "ExternalApiErrorAlarm");
        assert_eq!(ext.series, "custom/external-api-error-rate");
        // Half or more failing: 50 % breaches, 49 % does not.
        assert!(ext.threshold.breaches(50.0, 49.9) && !ext.threshold.breaches(49.0, 49.9));
        let m = |series: &str| {
            s.aws
                .metrics
                .iter()
                .find(|m| m.series == series)
                .unwrap_or_else(|| panic!("no [[metric]] for {series}"))
        };
        let rate = m("custom/external-api-error-rate");
        assert_eq!(
            (rate.namespace.as_str(), rate.name.as_str()),
            ("Custom/CryptoWatch", "ExternalApiErrors")
        );
        assert_eq!(
            rate.percent_of.as_deref(),
            Some("custom/external-api-calls")
        );
        assert_eq!(m("custom/external-api-latency").stat, "p95");
        assert_eq!(s.aws.tables, ["crypto-watch-*"]);
        assert!(p
            .thresholds
            .iter()
            .any(|r| r.matches("dynamo/throttles/crypto-watch-data")));
    }

    #[test]
    fn aws_section_is_validated() {
        let aws = |body: &str| format!("{SERVICE}[aws]\n{body}\n");
        assert_err_service(
            &aws("refresh = \"5s\""),
            4,
            &["`refresh` to be at least 10 s", "found 5 s", "bills"],
        );
        assert_err_service(&aws("refresh = 15"), 4, &["multiple of 10 s", "found 15 s"]);
        assert_err_service(&aws("refresh = \"1x\""), 4, &["`refresh`", "unknown unit"]);
        assert_err_service(
            &aws("alarm_refresh = \"10s\""),
            4,
            &["`alarm_refresh` to be from 30 s to 300 s", "DescribeAlarms"],
        );
        assert_err_service(
            &aws("inventory_refresh = \"30s\""),
            4,
            &["`inventory_refresh` to be at least 60 s"],
        );
        assert_err_service(
            &aws("functions = \"profile-api\""),
            4,
            &["expected `functions` to be a list of strings"],
        );
        assert_err_service(
            &aws("tables = [\"ok\",\n  \"a*b\"]"),
            5,
            &["each entry of `tables`", "prefix ending in `*`", "`a*b`"],
        );
        assert_err_service(&aws("apis = [3]"), 4, &["non-empty string", "integer 3"]);
        assert_err_service(
            &aws("log_groups = [\"/aws/lambda/*\"]"),
            4,
            &["`log_groups` to be a log group name"],
        );
        assert_err_service(
            &aws("no_function_logs = \"yes\""),
            4,
            &["`no_function_logs` to be true or false"],
        );
        assert_err_service(
            &aws("[aws.max_connections]\nprofile-db = 100\nprofile-db-writer = 0"),
            6,
            &["`max_connections.profile-db-writer` to be a whole number above 0"],
        );
        assert_err_service(
            &aws("max_connections = 100"),
            4,
            &["expected `max_connections` to be a table"],
        );
        assert_err_service(
            &aws("refersh = 60"),
            4,
            &["unknown key `refersh` in [aws]", "refresh, alarm_refresh"],
        );
        let s = parse_service(
            &aws("refresh = \"2m\"\nalarm_refresh = 30\ninventory_refresh = \"10m\"\nfunctions = [\"a\", \"b-*\"]\nalarm_prefixes = [\"Prod-*\", \"Ops\"]\nlog_groups = [\"/custom/app\"]\nno_function_logs = true\nmax_connections = { db-1 = 90, db = 500 }"),
            "x",
        )
        .unwrap();
        let a = &s.aws;
        assert_eq!(
            (a.refresh, a.alarm_refresh, a.inventory_refresh),
            (120, 30, 600)
        );
        assert_eq!(a.functions, ["a", "b-*"]);
        assert_eq!(a.alarm_prefixes, ["Prod-", "Ops"]);
        assert_eq!(a.log_groups, ["/custom/app"]);
        assert!(a.no_function_logs);
        assert_eq!(
            a.max_connections
                .iter()
                .map(|(k, v)| (k.as_str(), *v))
                .collect::<Vec<_>>(),
            [("db", 500), ("db-1", 90)]
        );
        assert!(name_selected(&a.functions, "b-x") && !name_selected(&a.functions, "c"));
        assert!(name_selected(&[], "anything"));
    }

    fn assert_err_service(text: &str, line: usize, wants: &[&str]) {
        assert_names_line(&service_err(text), line, wants);
    }

    const METRIC: &str = "[[metric]]\nseries = \"requests/count\"\nnamespace = \"App\"\nname = \"Requests\"\nstat = \"Sum\"\n";

    #[test]
    fn metrics_are_validated() {
        let one = |body: &str| format!("{SERVICE}[[metric]]\n{body}\n");
        let base = "namespace = \"App\"\nname = \"M\"\nstat = \"Sum\"\n";
        assert_err_service(
            &one(&format!("series = \"errors/rat\"\n{base}")),
            4,
            &["unknown series `errors/rat`", "custom/<name>"],
        );
        assert_err_service(
            &one(&format!("series = \"lambda/*\"\n{base}")),
            4,
            &["one exact series key", "pattern"],
        );
        assert_err_service(
            &one(&format!("series = \"custom/a b\"\n{base}")),
            4,
            &["unknown series `custom/a b`"],
        );
        assert_err_service(
            &one("series = \"custom/x\"\nname = \"M\"\nstat = \"Sum\""),
            3,
            &["[[metric]] needs `namespace`"],
        );
        assert_err_service(
            &one("series = \"custom/x\"\nnamespace = \"App\"\nname = \"M\"\nstat = \"p95th\""),
            7,
            &[
                "`stat` to be one of Sum, Average, Maximum, Minimum, SampleCount or a percentile",
                "`p95th`",
            ],
        );
        assert_err_service(
            &one("series = \"custom/x\"\nnamespace = \"App\"\nname = \"M\"\nstat = \"p101\""),
            7,
            &["percentile"],
        );
        assert_err_service(
            &one(&format!(
                "series = \"custom/x\"\n{base}dimensions = {{ Service = 3 }}"
            )),
            8,
            &["dimension `Service` to be a non-empty string", "integer 3"],
        );
        assert_err_service(
            &one(&format!(
                "series = \"custom/x\"\n{base}dimensions = \"Service=x\""
            )),
            8,
            &["`dimensions` to be a table of strings"],
        );
        assert_err_service(
            &one(&format!("series = \"custom/x\"\n{base}scale = 0")),
            8,
            &["`scale` to be a number above 0"],
        );
        assert_err_service(
            &one(&format!("series = \"custom/x\"\n{base}period = 60")),
            8,
            &["unknown key `period` in [[metric]]", "percent_of"],
        );
        assert_err_service(
            &format!("{SERVICE}{METRIC}\n{METRIC}"),
            10,
            &["`requests/count` is already fed by the [[metric]] on line 4"],
        );
        // percent_of must name another plain [[metric]]'s series.
        let rate = |of: &str, extra: &str| {
            format!("{SERVICE}{METRIC}[[metric]]\nseries = \"errors/rate\"\nnamespace = \"App\"\nname = \"Errors\"\nstat = \"Sum\"\npercent_of = \"{of}\"\n{extra}")
        };
        assert_err_service(
            &rate("errors/4xx", ""),
            13,
            &["`percent_of` to name the series another [[metric]] in this file feeds (requests/count)", "found `errors/4xx`"],
        );
        assert_err_service(&rate("errors/rate", ""), 13, &["percentage of itself"]);
        assert_err_service(
            &rate("requests/count", "scale = 2\n"),
            14,
            &["`scale` does not apply with `percent_of`"],
        );
        let chained = format!("{}[[metric]]\nseries = \"custom/y\"\nnamespace = \"App\"\nname = \"Y\"\nstat = \"Sum\"\npercent_of = \"errors/rate\"\n", rate("requests/count", ""));
        assert_err_service(
            &chained,
            19,
            &["found `errors/rate`, which is itself a percentage"],
        );

        let s = parse_service(
            &format!("{}[[metric]]\nseries = \"latency/p95\"\nnamespace = \"App\"\nname = \"Latency\"\nstat = \"P99.90\"\nscale = 1000\ndimensions = {{ B = \"2\", A = \"1\" }}\nunit = \"ms\"\n", rate("requests/count", "")),
            "x",
        )
        .unwrap();
        let m = &s.aws.metrics;
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].percent_of, None);
        assert_eq!(m[1].percent_of.as_deref(), Some("requests/count"));
        assert_eq!((m[2].stat.as_str(), m[2].scale), ("p99.9", 1000.0));
        assert_eq!(
            m[2].dimensions,
            [
                ("B".to_string(), "2".to_string()),
                ("A".to_string(), "1".to_string())
            ],
            "file order"
        );
        assert_eq!(m[2].unit.as_deref(), Some("ms"));
    }

    #[test]
    fn stats_are_canonical() {
        for (given, canonical) in [
            ("Sum", "Sum"),
            ("average", "Average"),
            ("SAMPLECOUNT", "SampleCount"),
            ("p95", "p95"),
            ("P99", "p99"),
            ("p99.9", "p99.9"),
            ("p99.90", "p99.9"),
            ("p99.99", "p99.99"),
            ("p100", "p100"),
            ("p0.1", "p0.1"),
            ("p050", "p50"),
        ] {
            assert_eq!(canonical_stat(given).as_deref(), Some(canonical), "{given}");
        }
        for bad in [
            "p0", "p101", "p9.", "p.5", "p99.999", "pNN", "tm99", "", "p-1",
        ] {
            assert_eq!(canonical_stat(bad), None, "{bad}");
        }
    }

    #[test]
    fn custom_series_need_a_metric() {
        let feed = "[[metric]]\nseries = \"custom/queue-depth\"\nnamespace = \"App\"\nname = \"Depth\"\nstat = \"Maximum\"\n";
        let th = "[[threshold]]\nseries = \"custom/queue-depth\"\ncrit = 100\n";
        let al = "[[alarm]]\nname = \"Deep\"\nseries = \"custom/queue-depth\"\nabove = 100\nseverity = \"Low\"\n";
        let p = parse_profile(&format!("{SERVICE}{feed}{th}{al}"), "x").unwrap();
        assert_eq!(p.thresholds[0].series, "custom/queue-depth");
        assert_eq!(p.alarms[0].series, "custom/queue-depth");
        // A pattern over fed custom series is fine.
        let p = parse_profile(
            &format!("{SERVICE}{feed}[[threshold]]\nseries = \"custom/*\"\ncrit = 1\n"),
            "x",
        )
        .unwrap();
        assert!(p.thresholds[0].matches("custom/queue-depth"));
        // Without the [[metric]]: refused, saying what is missing.
        assert_err_service(
            &format!("{SERVICE}{th}"),
            4,
            &[
                "`custom/queue-depth` is not fed by any [[metric]]",
                "series = \"custom/queue-depth\"",
            ],
        );
        assert_err_service(
            &format!("{SERVICE}{al}"),
            5,
            &["`custom/queue-depth` is not fed by any [[metric]]"],
        );
        assert_err_service(
            &format!("{SERVICE}[[threshold]]\nseries = \"custom/*\"\ncrit = 1\n"),
            4,
            &["`custom/*` is not fed by any [[metric]]"],
        );
        assert_err_service(
            &format!("{SERVICE}{feed}[[threshold]]\nseries = \"custom/other\"\ncrit = 1\n"),
            9,
            &["not fed", "(fed here: custom/queue-depth)"],
        );
    }

    #[test]
    fn cloudwatch_alarm_rules() {
        let rule = |name: &str, extra: &str| {
            format!("[[cloudwatch_alarm]]\nname = \"{name}\"\nseverity = \"High\"\n{extra}")
        };
        let s = parse_service(
            &format!(
                "{SERVICE}{}{}",
                rule(
                    "ProfileAPI-HighErrorRate",
                    "runbook = \"profile-api#high-error-rate\"\nlog_filter = \"ERROR\"\n"
                ),
                rule("Profile*", "")
            ),
            "x",
        )
        .unwrap();
        let c = &s.profile.cloud_alarms;
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].runbook.as_deref(), Some("profile-api#high-error-rate"));
        assert_eq!(c[0].log_filter.as_deref(), Some("ERROR"));
        assert!(c[1].matches("ProfileDB-HighConnections") && c[1].severity == Severity::High);
        assert_err_service(
            &format!("{SERVICE}{}", rule("Profile*DB", "")),
            4,
            &["`name` to be a CloudWatch alarm name or a prefix ending in `*`"],
        );
        assert_err_service(
            &format!("{SERVICE}[[cloudwatch_alarm]]\nname = \"A\"\n"),
            3,
            &["[[cloudwatch_alarm]] needs `severity`"],
        );
        assert_err_service(
            &format!("{SERVICE}{}", rule("A", "runbook = \"nowhere\"\n")),
            6,
            &["`runbook-id#section-id`"],
        );
        assert_err_service(
            &format!("{SERVICE}{}", rule("A", "severity2 = \"x\"\n")),
            6,
            &[
                "unknown key `severity2` in [[cloudwatch_alarm]]",
                "name, severity, runbook, log_filter",
            ],
        );
        assert_err_service(
            &format!(
                "{SERVICE}{}{}",
                rule("Profile*", ""),
                rule("ProfileAPI-X", "")
            ),
            7,
            &[
                "[[cloudwatch_alarm]] for `ProfileAPI-X` never applies",
                "line 4",
            ],
        );
        assert_err_service(
            &format!("{SERVICE}[cloudwatch_alarm]\nname = \"A\"\n"),
            3,
            &["written `[[cloudwatch_alarm]]`"],
        );
    }

    #[test]
    fn runbooks_are_resolved_against_the_profile() {
        let text = "[service]\nname = \"r\"\nrunbooks = [\"../runbooks/x.md\", \"/abs/dir\"]\n";
        let s = parse_service(text, "x").unwrap();
        assert_eq!(
            s.runbooks,
            [PathBuf::from("../runbooks/x.md"), PathBuf::from("/abs/dir")]
        );
        let dir =
            std::env::temp_dir().join(format!("opsdeck-runbooks-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("svc.toml");
        std::fs::write(&file, text).unwrap();
        let s = load_service(Some(&file), None).unwrap();
        assert_eq!(
            s.runbooks,
            [dir.join("../runbooks/x.md"), PathBuf::from("/abs/dir")]
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_err_service(
            "[service]\nname = \"r\"\nrunbooks = \"x.md\"\n",
            3,
            &["`runbooks` to be a list of strings"],
        );
        assert_err_service(
            "[service]\nname = \"r\"\nrunbooks = [\"\"]\n",
            3,
            &["each entry of `runbooks` to be a non-empty string"],
        );
        // With nothing given, the built-in demo service.
        assert_eq!(load_service(None, None).unwrap(), builtin_demo_service());
    }
}

/// `[[gate]]` and `[[rollback_warning]]` (deploy watch).
#[cfg(test)]
mod gate_tests {
    use super::*;

    const SERVICE: &str = "[service]\nname = \"t\"\n";

    fn err(text: &str) -> ConfigError {
        match parse_profile(text, "my-profile.toml") {
            Ok(p) => panic!("expected an error, got {:?}", p.deploy),
            Err(e) => e,
        }
    }

    fn assert_err(text: &str, line: usize, wants: &[&str]) {
        let e = err(text);
        let msg = e.to_string();
        assert_eq!(e.line, Some(line), "{msg}");
        assert!(
            msg.contains(&format!("my-profile.toml, line {line}")),
            "{msg}"
        );
        for w in wants {
            assert!(msg.contains(w), "`{w}` missing from: {msg}");
        }
    }

    #[test]
    fn a_profile_without_gates_gets_the_runbook_defaults() {
        let p = parse_profile(SERVICE, "x").unwrap();
        assert_eq!(p.deploy, DeployRules::default());
        for (origin, text) in [("builtin:demo", DEMO_TOML), ("builtin:aws", AWS_TOML)] {
            let p = parse_profile(text, origin).unwrap();
            assert_eq!(p.deploy.gates.len(), 3, "{origin}");
            assert_eq!(p.deploy.warnings.len(), 2, "{origin}");
        }
    }

    #[test]
    fn shipped_profiles_write_the_runbook_table() {
        let text = include_str!("../profiles/crypto-watch.toml");
        let p = parse_profile(text, "crypto-watch.toml").unwrap();
        assert_eq!(
            p.deploy,
            DeployRules::default(),
            "crypto-watch.toml writes out the runbook's tables, which are the defaults"
        );
        let text = include_str!("../profiles/profile-api.toml");
        parse_profile(text, "profile-api.toml").unwrap();
    }

    #[test]
    fn gates_and_warnings_are_read() {
        let text = format!(
            "{SERVICE}
[[gate]]
name = \"5xx\"
series = \"errors/5xx\"
above = 10
for = \"3m\"

[[gate]]
name = \"Throttles\"
series = \"lambda/throttles/*\"
above = 20
within = \"5m\"
unit = \"throttles\"

[[rollback_warning]]
name = \"Slow\"
series = \"latency/p99\"
times_normal = 1.5
for = 120
"
        );
        let p = parse_profile(&text, "x").unwrap();
        assert_eq!(
            p.deploy.gates,
            vec![
                Gate::new(
                    "5xx",
                    "errors/5xx",
                    Limit::Above(10.0),
                    Window::For(180),
                    "%"
                ),
                Gate::new(
                    "Throttles",
                    "lambda/throttles/*",
                    Limit::Above(20.0),
                    Window::Within(300),
                    "throttles"
                ),
            ]
        );
        assert_eq!(
            p.deploy.warnings,
            vec![Gate::new(
                "Slow",
                "latency/p99",
                Limit::TimesNormal(1.5),
                Window::For(120),
                "ms"
            )]
        );
        // Only warnings given: the gates stay the defaults. `for` defaults to one minute.
        let text = format!(
            "{SERVICE}[[rollback_warning]]\nname = \"E\"\nseries = \"errors/rate\"\nat_least = 2\n"
        );
        let p = parse_profile(&text, "x").unwrap();
        assert_eq!(p.deploy.gates, DeployRules::default().gates);
        assert_eq!(p.deploy.warnings[0].limit, Limit::AtLeast(2.0));
        assert_eq!(p.deploy.warnings[0].window, Window::For(60));
    }

    #[test]
    fn bad_gates_are_refused_with_the_line() {
        let g = |body: &str| format!("{SERVICE}\n[[gate]]\nname = \"G\"\n{body}");
        // line 5 is `name`, line 6 the first line of body.
        assert_err(
            &g("series = \"errors/5xx\"\n"),
            5,
            &["[[gate]] `G` needs a limit"],
        );
        assert_err(
            &g("series = \"errors/5xx\"\nabove = 1\nat_least = 2\n"),
            8,
            &["more than one limit", "`above` and `at_least`"],
        );
        assert_err(
            &g("series = \"errors/5xx\"\nabove = \"5%\"\n"),
            7,
            &["`above` to be a number"],
        );
        assert_err(
            &g("series = \"errors/5xx\"\nabove = 5\nfor = \"90s\"\n"),
            8,
            &["`for` to be whole minutes", "90 s"],
        );
        assert_err(
            &g("series = \"errors/5xx\"\nabove = 5\nfor = \"2x\"\n"),
            8,
            &["`for`", "unknown unit"],
        );
        assert_err(
            &g("series = \"errors/5xx\"\nabove = 5\nwithin = 0\n"),
            8,
            &["`within` to be whole minutes"],
        );
        assert_err(
            &g("series = \"errors/5xx\"\nabove = 5\nfor = \"2m\"\nwithin = \"1m\"\n"),
            9,
            &["both `for` and `within`"],
        );
        assert_err(
            &g("series = \"latency/p95\"\ntimes_normal = 2\nwithin = \"1m\"\n"),
            8,
            &["takes `for`, not `within`"],
        );
        assert_err(
            &g("series = \"latency/p95\"\ntimes_normal = 0.5\n"),
            7,
            &["factor above 1"],
        );
        assert_err(
            &g("series = \"errors/rat\"\nabove = 1\n"),
            6,
            &["unknown series `errors/rat`"],
        );
        assert_err(
            &g("series = \"s3/*\"\nabove = 1\n"),
            6,
            &["matches no known series"],
        );
        assert_err(&g("above = 1\n"), 4, &["[[gate]] needs `series`"]);
        assert_err(
            &g("series = \"errors/5xx\"\nabove = 1\nfor_ = \"2m\"\n"),
            8,
            &["unknown key `for_` in [[gate]]", "known keys: name, series"],
        );
        assert_err(
            &format!("{SERVICE}[[rollback_warning]]\nname = \"\"\nseries = \"errors/rate\"\nat_least = 3\n"),
            4,
            &["`name` in [[rollback_warning]] must not be empty"],
        );
        assert_err(
            &format!("{SERVICE}[[rollback_warning]]\nname = \"A\"\nseries = \"errors/rate\"\nat_least = 3\n[[rollback_warning]]\nname = \"A\"\nseries = \"errors/5xx\"\nat_least = 3\n"),
            8,
            &["duplicate [[rollback_warning]] name `A`", "line 4"],
        );
        assert_err(
            &format!("gate = \"on\"\n{SERVICE}"),
            1,
            &["`gate` to be a list of tables written `[[gate]]`"],
        );
    }
}
