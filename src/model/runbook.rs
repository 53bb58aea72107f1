//! Runbooks as the model sees them: sections (one per alarm, plus the shared and plain-text
//! parts of the document) with steps to walk, escalation conditions, cross-references and
//! decision branches, and the operator's progress through a section. Where runbooks are loaded
//! from (Markdown files) lives outside the model, in `crate::runbooks`.

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
    /// Every section in document order: alarm procedures, shared parts and text (see
    /// [`Section::kind`] and [`Runbook::alarms`]).
    pub sections: Vec<Section>,
    /// What the reader could not make sense of and how it degraded (shown, never fatal).
    pub warnings: Vec<String>,
    /// Response deadlines per severity, from the severity table or severity sub-sections.
    pub deadlines: Vec<Deadline>,
}

/// One section of a runbook: the response procedure for one alarm, or a shared or plain part.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    /// Slug of the heading (or its explicit `{#id}`), used in references.
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
    pub kind: SectionKind,
    /// The whole section as readable lines (headings, lists, tables, code), for structure the
    /// reader does not turn into parts.
    pub body: Vec<String>,
    /// Cross-references to other sections of the same runbook.
    pub links: Vec<Link>,
    /// Decision branches offered by its steps.
    pub branches: Vec<Branch>,
    /// Alarm, metric, namespace and resource names found in the heading, the alarm-name label
    /// and the metrics to check, for matching an alarm to this section.
    pub match_terms: Vec<String>,
    /// The response deadline: stated in the section, or the severity table's for its severity.
    pub deadline: Option<Deadline>,
    /// 1-based line of the heading (0 for text before the first heading).
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Step {
    pub text: String,
    pub substeps: Vec<String>,
    /// Commands from fenced blocks (shown, never run).
    pub commands: Vec<String>,
    /// Written as a checklist item (`- [ ]` / `- [x]`).
    pub checklist: bool,
    /// A checklist item already ticked in the file (`- [x]`).
    pub checked: bool,
}

/// What a section is for. Every heading of a runbook becomes (part of) a section, kept in
/// document order in [`Runbook::sections`]; the kind says which ones are alarm procedures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SectionKind {
    /// The response procedure for one alarm or alert type: the sections a walk starts from.
    #[default]
    Alarm,
    /// A part of the runbook every alarm shares (severity table, rollback criteria, ...).
    Shared(SharedKind),
    /// Anything else: shown as readable text (its `body`), walkable when it has steps.
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedKind {
    /// Severity levels and their response deadlines.
    Severity,
    /// When and how to roll back.
    Rollback,
    /// Common problems / troubleshooting.
    CommonProblems,
    /// Escalation levels (who to call next).
    Escalation,
    /// Contacts (channels, e-mail, phone).
    Contacts,
}

impl SharedKind {
    pub fn word(self) -> &'static str {
        match self {
            SharedKind::Severity => "severity levels",
            SharedKind::Rollback => "rollback criteria",
            SharedKind::CommonProblems => "common problems",
            SharedKind::Escalation => "escalation levels",
            SharedKind::Contacts => "contacts",
        }
    }
}

/// A cross-reference inside a runbook ("see the DynamoDB throttling section",
/// `[text](#anchor)`), resolved to a section of the same runbook.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Link {
    /// The words of the reference as written.
    pub text: String,
    /// Section id in the same runbook.
    pub target: String,
    /// The step (index into `steps`) it was written in, if any.
    pub step: Option<usize>,
}

/// A decision branch: one option of a "classify the cause" step, jumping to a section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Branch {
    /// The condition, e.g. "DynamoDB errors".
    pub label: String,
    /// Section id in the same runbook.
    pub target: String,
    /// The step (index into `steps`) offering the choice.
    pub step: Option<usize>,
}

/// A response deadline as a runbook states it (severity table, `Respond within`, `対応時間`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deadline {
    pub severity: Option<Severity>,
    /// As written, e.g. "即座（15分以内）" or "1 hour".
    pub text: String,
    /// Seconds, when the text gives a duration (a business day counts as 24 h on the clock,
    /// as in [`Severity::deadline`]); `None` for "within business hours" and the like.
    pub secs: Option<Ts>,
}

impl Runbook {
    /// The alarm sections, in document order.
    pub fn alarms(&self) -> impl Iterator<Item = &Section> {
        self.sections
            .iter()
            .filter(|s| s.kind == SectionKind::Alarm)
    }

    /// A section by id.
    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// The first shared section of a kind.
    pub fn shared(&self, kind: SharedKind) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.kind == SectionKind::Shared(kind))
    }

    /// The deadline the runbook gives for a severity.
    pub fn deadline_for(&self, severity: Severity) -> Option<&Deadline> {
        self.deadlines.iter().find(|d| d.severity == Some(severity))
    }
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

/// A note the operator added to a step of a walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepNote {
    /// The step (index into the section's steps) it belongs to.
    pub step: usize,
    pub ts: Ts,
    pub text: String,
}
