//! Alarm → runbook section, when the profile maps none: the alarm's name, metric, namespace
//! and resource names against the alarm sections' headings and match terms (alarm-name labels,
//! metrics to check). The result says why, for the panel.

use crate::model::runbook::{Runbook, Section, SectionKind};

/// The section picked for an alarm and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionMatch {
    pub runbook: String,
    pub section: String,
    /// For the panel, e.g. "the alarm name ProfileAPI-HighErrorRate is this section's alarm".
    pub why: String,
    /// Higher is a better match (for tests and tie-breaking).
    pub score: u32,
}

impl SectionMatch {
    /// `runbook-id#section-id`.
    pub fn reference(&self) -> String {
        format!("{}#{}", self.runbook, self.section)
    }
}

/// The best alarm section for an alarm named `alarm`, with `words` from its series (metric
/// name, namespace, dimension values such as the function or table name). `None` when nothing
/// matches well enough: no shared word with any alarm section.
pub fn match_section(runbooks: &[Runbook], alarm: &str, words: &[&str]) -> Option<SectionMatch> {
    let mut best: Option<SectionMatch> = None;
    for rb in runbooks {
        for s in rb.sections.iter().filter(|s| s.kind == SectionKind::Alarm) {
            if let Some((score, why)) = score(s, alarm, words) {
                if best.as_ref().is_none_or(|b| score > b.score) {
                    best = Some(SectionMatch {
                        runbook: rb.id.clone(),
                        section: s.id.clone(),
                        why,
                        score,
                    });
                }
            }
        }
    }
    best
}

fn score(s: &Section, alarm: &str, words: &[&str]) -> Option<(u32, String)> {
    let alarm_key = key(alarm);
    let mut score = 0;
    let mut why: Vec<String> = Vec::new();
    if !alarm_key.is_empty() {
        if key(&s.title) == alarm_key || key(&s.id) == alarm_key {
            score += 100;
            why.push(format!("the alarm name {alarm} is the section's heading"));
        } else if s.match_terms.iter().any(|t| key(t) == alarm_key) {
            score += 100;
            why.push(format!("the alarm name {alarm} is named in the section"));
        } else {
            let a = tokens(alarm);
            let t = tokens(&s.title);
            let common: Vec<&String> = a.iter().filter(|w| t.contains(w)).collect();
            if !common.is_empty() && !a.is_empty() {
                // Share of the alarm's words found in the heading, and of the heading's.
                let n = common.len() as u32;
                score += 30 * n / a.len() as u32 + 30 * n / t.len().max(1) as u32;
                let list: Vec<&str> = common.iter().map(|w| w.as_str()).collect();
                why.push(format!(
                    "the alarm name {alarm} shares \"{}\" with the heading",
                    list.join(" ")
                ));
            }
        }
    }
    let mut hits: Vec<&str> = Vec::new();
    for w in words {
        let k = key(w);
        if k.len() < 2 {
            continue;
        }
        if s.match_terms.iter().any(|t| key(t) == k) && !hits.contains(w) {
            hits.push(w);
        }
    }
    if !hits.is_empty() {
        score += 15 * hits.len() as u32;
        why.push(format!("its metrics to check name {}", hits.join(", ")));
    }
    (score >= 10).then(|| (score, why.join("; ")))
}

/// Case, punctuation and spaces dropped.
fn key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words of a name: split at punctuation, spaces, script changes and lower→upper case
/// changes (`LambdaErrorAlarm` → lambda, error), without the words every alarm has.
fn tokens(s: &str) -> Vec<String> {
    const STOP: &[&str] = &[
        "alarm",
        "alert",
        "アラーム",
        "アラート",
        "the",
        "of",
        "rate",
    ];
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<char> = None;
    for c in s.chars() {
        let split = match prev {
            None => false,
            Some(p) => {
                !c.is_alphanumeric()
                    || !p.is_alphanumeric()
                    || (p.is_ascii() != c.is_ascii())
                    || (p.is_lowercase() && c.is_uppercase())
            }
        };
        if split && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        }
        prev = Some(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.retain(|w| !STOP.contains(&w.as_str()) && w.chars().count() >= 2);
    // Plural and singular alike (`throttles` / `throttle`).
    for w in &mut out {
        if w.len() > 3 && w.is_ascii() && w.ends_with('s') && !w.ends_with("ss") {
            w.pop();
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_names() {
        assert_eq!(tokens("LambdaErrorAlarm"), ["lambda", "error"]);
        assert_eq!(
            tokens("ProfileAPI-HighErrorRate"),
            ["profile", "api", "high", "error"]
        );
        assert_eq!(
            tokens("DynamoDBスロットリングアラーム"),
            ["dynamo", "db", "スロットリングアラーム"]
        );
        assert_eq!(key("ProfileAPI-HighErrorRate"), "profileapihigherrorrate");
    }
}
