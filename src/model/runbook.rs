//! Runbooks as the model sees them: sections (one per alarm) with steps to walk, escalation
//! conditions, and the operator's progress through a section. Where runbooks are loaded from
//! (Markdown files today, richer parsers later) lives outside the model, in `crate::runbooks`.

use serde::{Deserialize, Serialize};

use super::alarm::Severity;
use super::time::Ts;

/// A runbook document: one service's response procedures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Runbook {
    /// Stable id (the file stem), used in `runbook-id#section-id` references.
    pub id: String,
    pub title: String,
    /// Where it was loaded from, for messages.
    pub origin: String,
    pub sections: Vec<Section>,
}

/// The response procedure for one alarm.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    /// Slug of the heading, used in references.
    pub id: String,
    pub title: String,
    pub severity: Option<Severity>,
    /// What the alarm means, in a line or two.
    pub summary: Vec<String>,
    /// Metrics to look at.
    pub metrics: Vec<String>,
    /// Log groups and filter patterns to look at.
    pub logs: Vec<String>,
    pub steps: Vec<Step>,
    /// When to escalate, as written.
    pub escalation: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Step {
    pub text: String,
    pub substeps: Vec<String>,
    /// Commands from fenced blocks (shown, never run).
    pub commands: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum StepMark {
    #[default]
    Todo,
    Done,
    Skipped,
}

/// The operator's walk through one section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Walk {
    /// `runbook-id#section-id`.
    pub section: String,
    pub marks: Vec<StepMark>,
    /// The highlighted step.
    pub cursor: usize,
    pub started: Ts,
    /// When each step was marked, parallel to `marks`.
    pub marked_at: Vec<Option<Ts>>,
}
