//! Runbooks from Markdown files, turned into [`crate::model::runbook::Runbook`].
//!
//! A deliberately simple, line-based reader: it knows headings, list items, fenced blocks and
//! bold labels, and nothing else of Markdown. The model never learns the file format; a richer
//! parser can replace this module without touching it.
//!
//! The format (see `runbooks/*.md`):
//!
//! - The first `#` heading is the runbook's title.
//! - An alarm section is a `##` or `###` heading with the severity in parentheses, e.g.
//!   `### 1. Lambda error rate (Critical)`, or a `###` heading with an explicit id
//!   (`### Disk full {#disk-full}`) under a `##` heading that names alarms or alerts. The
//!   section id is the explicit `{#id}` or else the slug of the title; the title drops the
//!   `{#id}`, the severity in parentheses and a leading `1.`.
//! - Inside a section, sub-headings or bold labels (`**First response:**`) pick the part that
//!   the following lines fill: "What fired" / "Alert" / "Symptoms" → summary, "Metrics to
//!   check" → metrics, "Logs to check" → logs, "First response" / "Steps" / "Response" →
//!   steps, "Escalate when" / "Escalation" → escalation. Anything else is kept as summary.
//! - Steps: list items at the outer level start a step (numbered ones, or bullets when the part
//!   starts with bullets); deeper items and indented text are its sub-steps; a fenced block is
//!   one command of the step before it. Full-line `#` comments of shell blocks become sub-steps
//!   so that the command stays runnable as shown.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crate::model::alarm::Severity;
use crate::model::runbook::{Runbook, Section, Step};

/// Why a runbook could not be loaded: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookError {
    /// The file (or `builtin:...`) it came from.
    pub origin: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    pub kind: RunbookErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunbookErrorKind {
    /// The file or directory could not be read.
    Io(String),
    /// The bytes are not UTF-8; the line is where the first bad byte is.
    NotUtf8,
    /// A fenced block opened on this line is never closed.
    UnterminatedFence { fence: String },
    /// No heading in the file is an alarm section.
    NoAlarmSections,
    /// A second section with an id already used.
    DuplicateSection { id: String, first_line: usize },
    /// An explicit `{#id}` with characters an id cannot have.
    BadId { id: String },
    /// An alarm heading whose title gives an empty slug and that has no explicit id.
    NoId { heading: String },
}

impl fmt::Display for RunbookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: ", self.origin, line)?,
            None => write!(f, "{}: ", self.origin)?,
        }
        match &self.kind {
            RunbookErrorKind::Io(msg) => write!(f, "cannot read it: {msg}"),
            RunbookErrorKind::NotUtf8 => {
                write!(f, "not UTF-8 text (expected a UTF-8 Markdown file)")
            }
            RunbookErrorKind::UnterminatedFence { fence } => write!(
                f,
                "the fenced block opened here is never closed (expected a closing `{fence}` line)"
            ),
            RunbookErrorKind::NoAlarmSections => write!(
                f,
                "no alarm sections (expected a `##` or `###` heading with the severity in \
                 parentheses, e.g. `### Lambda errors (High)`)"
            ),
            RunbookErrorKind::DuplicateSection { id, first_line } => write!(
                f,
                "section id `{id}` is already used by the heading on line {first_line} \
                 (expected unique ids; give one heading another `{{#id}}`)"
            ),
            RunbookErrorKind::BadId { id } => write!(
                f,
                "bad section id `{{#{id}}}` (expected letters, digits, `-` or `_`)"
            ),
            RunbookErrorKind::NoId { heading } => write!(
                f,
                "heading `{heading}` gives an empty section id (expected letters or digits in \
                 the title, or an explicit `{{#id}}`)"
            ),
        }
    }
}

impl std::error::Error for RunbookError {}

impl RunbookError {
    fn new(origin: &str, line: Option<usize>, kind: RunbookErrorKind) -> Self {
        Self {
            origin: origin.to_string(),
            line,
            kind,
        }
    }
}

/// The runbooks shipped with opsdeck, as (id, text).
const BUILTIN: [(&str, &str); 2] = [
    ("profile-api", include_str!("../runbooks/profile-api.md")),
    ("crypto-watch", include_str!("../runbooks/crypto-watch.md")),
];

/// The shipped runbooks (`profile-api`, `crypto-watch`). They are tested to parse.
pub fn builtin() -> Vec<Runbook> {
    BUILTIN
        .iter()
        .map(|(id, text)| {
            parse(text, id, &format!("builtin:runbooks/{id}.md"))
                .unwrap_or_else(|e| panic!("a shipped runbook does not parse: {e}"))
        })
        .collect()
}

/// Load one Markdown file; its id is the file stem.
pub fn load_file(path: impl AsRef<Path>) -> Result<Runbook, RunbookError> {
    let path = path.as_ref();
    let origin = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| RunbookError::new(&origin, None, RunbookErrorKind::Io(e.to_string())))?;
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse_bytes(&bytes, &id, &origin)
}

/// Load every `*.md` file of a directory, in file name order. The first bad file fails all.
pub fn load_dir(dir: impl AsRef<Path>) -> Result<Vec<Runbook>, RunbookError> {
    let dir = dir.as_ref();
    let io_err = |e: std::io::Error| {
        RunbookError::new(
            &dir.display().to_string(),
            None,
            RunbookErrorKind::Io(e.to_string()),
        )
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        let path = entry.map_err(io_err)?.path();
        let is_md = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md"));
        if is_md && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(load_file).collect()
}

/// Parse raw bytes, checking they are UTF-8 first.
pub fn parse_bytes(bytes: &[u8], id: &str, origin: &str) -> Result<Runbook, RunbookError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text, id, origin),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Err(RunbookError::new(
                origin,
                Some(line),
                RunbookErrorKind::NotUtf8,
            ))
        }
    }
}

/// Parse a Markdown runbook. `id` is the runbook id, `origin` names the source in errors.
pub fn parse(text: &str, id: &str, origin: &str) -> Result<Runbook, RunbookError> {
    let blocks = blocks(text, origin)?;
    let mut p = Parser {
        origin,
        title: None,
        in_group: false,
        current: None,
        sections: Vec::new(),
        seen: HashMap::new(),
    };
    for (line, block) in &blocks {
        p.block(*line, block)?;
    }
    p.close();
    if p.sections.is_empty() {
        return Err(RunbookError::new(
            origin,
            None,
            RunbookErrorKind::NoAlarmSections,
        ));
    }
    Ok(Runbook {
        id: id.to_string(),
        title: p.title.unwrap_or_else(|| id.to_string()),
        origin: origin.to_string(),
        sections: p.sections,
    })
}

/// A slug of a heading: lowercase letters and digits, words joined by `-`; apostrophes and
/// quotes vanish, other punctuation separates words.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    let mut gap = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if gap && !slug.is_empty() {
                slug.push('-');
            }
            gap = false;
            slug.extend(c.to_lowercase());
        } else if !matches!(c, '\'' | '\u{2019}' | '"' | '`') {
            gap = true;
        }
    }
    slug
}

// ---------------------------------------------------------------------------------------------
// Lines to blocks

#[derive(Debug, Clone, PartialEq)]
enum Block<'a> {
    Blank,
    Rule,
    Heading {
        level: usize,
        text: &'a str,
    },
    Item {
        indent: usize,
        numbered: bool,
        text: &'a str,
    },
    Text {
        indent: usize,
        text: &'a str,
    },
    Fence {
        indent: usize,
        lang: &'a str,
        lines: Vec<&'a str>,
    },
}

/// Split into lines (LF or CRLF, a leading BOM dropped) and group them into blocks, each with
/// its 1-based line number.
fn blocks<'a>(text: &'a str, origin: &str) -> Result<Vec<(usize, Block<'a>)>, RunbookError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate();
    let mut out = Vec::new();
    while let Some((i, line)) = lines.next() {
        let (indent, rest) = indentation(line);
        if let Some((fence_char, fence_len)) = fence_open(rest) {
            let lang = rest[fence_len..].trim();
            let mut body = Vec::new();
            let mut closed = false;
            for (_, inner) in lines.by_ref() {
                let (_, inner_rest) = indentation(inner);
                if fence_close(inner_rest, fence_char, fence_len) {
                    closed = true;
                    break;
                }
                body.push(dedent(inner, indent));
            }
            if !closed {
                let fence = rest[..fence_len].to_string();
                return Err(RunbookError::new(
                    origin,
                    Some(i + 1),
                    RunbookErrorKind::UnterminatedFence { fence },
                ));
            }
            out.push((
                i + 1,
                Block::Fence {
                    indent,
                    lang,
                    lines: body,
                },
            ));
        } else {
            out.push((i + 1, classify(indent, rest)));
        }
    }
    Ok(out)
}

/// Leading whitespace as a column count (a tab counts 4) and the rest of the line.
fn indentation(line: &str) -> (usize, &str) {
    let mut cols = 0;
    for (i, c) in line.char_indices() {
        match c {
            ' ' => cols += 1,
            '\t' => cols += 4,
            _ => return (cols, &line[i..]),
        }
    }
    (cols, "")
}

/// Drop up to `cols` columns of leading whitespace.
fn dedent(line: &str, cols: usize) -> &str {
    let mut taken = 0;
    for (i, c) in line.char_indices() {
        let w = match c {
            ' ' => 1,
            '\t' => 4,
            _ => return &line[i..],
        };
        if taken + w > cols {
            return &line[i..];
        }
        taken += w;
    }
    ""
}

/// An opening fence: three or more backticks or tildes (backtick fences take no backtick in
/// the info string).
fn fence_open(rest: &str) -> Option<(char, usize)> {
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|x| *x == c).count();
    if len < 3 || (c == '`' && rest[len..].contains('`')) {
        return None;
    }
    Some((c, len))
}

fn fence_close(rest: &str, c: char, len: usize) -> bool {
    let run = rest.chars().take_while(|x| *x == c).count();
    run >= len && rest[run * c.len_utf8()..].trim().is_empty()
}

fn classify(indent: usize, rest: &str) -> Block<'_> {
    if rest.trim().is_empty() {
        return Block::Blank;
    }
    if indent < 4 {
        let hashes = rest.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes)
            && rest[hashes..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace)
        {
            let text = rest[hashes..].trim();
            let text = text.trim_end_matches('#').trim_end();
            return Block::Heading {
                level: hashes,
                text,
            };
        }
        if is_rule(rest) {
            return Block::Rule;
        }
    }
    if let Some(text) = bullet(rest) {
        return Block::Item {
            indent,
            numbered: false,
            text,
        };
    }
    if let Some(text) = numbered(rest) {
        return Block::Item {
            indent,
            numbered: true,
            text,
        };
    }
    Block::Text {
        indent,
        text: rest.trim_end(),
    }
}

fn is_rule(rest: &str) -> bool {
    let compact: Vec<char> = rest.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && matches!(compact[0], '-' | '*' | '_')
        && compact.iter().all(|c| *c == compact[0])
}

/// `- text`, `* text`, `+ text`.
fn bullet(rest: &str) -> Option<&str> {
    if !rest.starts_with(['-', '*', '+']) {
        return None;
    }
    let after = &rest[1..];
    if after.is_empty() || after.starts_with([' ', '\t']) {
        Some(after.trim())
    } else {
        None
    }
}

/// `1. text`, `1) text`.
fn numbered(rest: &str) -> Option<&str> {
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let after = rest[digits..].strip_prefix(['.', ')'])?;
    if after.is_empty() || after.starts_with([' ', '\t']) {
        Some(after.trim())
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Blocks to sections

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Summary,
    Metrics,
    Logs,
    Steps,
    Escalation,
}

/// The entry a lazy continuation line goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cont {
    None,
    /// The last entry of the current list part (summary, metrics, logs, escalation).
    Entry,
    Step,
    Substep,
}

struct Open {
    section: Section,
    level: usize,
    part: Part,
    cont: Cont,
    /// Indent and kind (numbered or not) of the items that start steps.
    step_base: Option<(usize, bool)>,
}

struct Parser<'o> {
    origin: &'o str,
    title: Option<String>,
    /// Under a `##` heading that names alarms: `###` headings with `{#id}` are sections.
    in_group: bool,
    current: Option<Open>,
    sections: Vec<Section>,
    /// Section id → the line of its heading.
    seen: HashMap<String, usize>,
}

impl Parser<'_> {
    fn block(&mut self, line: usize, block: &Block<'_>) -> Result<(), RunbookError> {
        let open = match (block, self.current.as_mut()) {
            (Block::Heading { level, text }, _) => return self.heading(line, *level, text),
            (_, None) => return Ok(()),
            (_, Some(open)) => open,
        };
        match block {
            Block::Blank | Block::Rule | Block::Heading { .. } => open.cont = Cont::None,
            Block::Item {
                indent,
                numbered,
                text,
            } => open.item(*indent, *numbered, text),
            Block::Text { indent, text } => open.text(*indent, text),
            Block::Fence { lang, lines, .. } => open.fence(lang, lines),
        }
        Ok(())
    }

    fn heading(&mut self, line: usize, level: usize, text: &str) -> Result<(), RunbookError> {
        let head = Heading::parse(text);
        let alarm = (2..=3).contains(&level)
            && (head.severity.is_some() || (level == 3 && self.in_group && head.id.is_some()));
        if !alarm {
            if let Some(open) = self.current.as_mut().filter(|o| level > o.level) {
                open.sub_heading(&head.title);
                return Ok(());
            }
        }
        self.close();
        match level {
            1 => {
                self.in_group = false;
                if self.title.is_none() && !head.title.is_empty() {
                    self.title = Some(head.title.clone());
                }
            }
            2 => {
                let lower = text.to_lowercase();
                self.in_group = !alarm && (lower.contains("alarm") || lower.contains("alert"));
            }
            _ => {}
        }
        if alarm {
            self.start(line, level, text, head)?;
        }
        Ok(())
    }

    fn start(
        &mut self,
        line: usize,
        level: usize,
        raw: &str,
        head: Heading,
    ) -> Result<(), RunbookError> {
        let id = match head.id {
            Some(id)
                if id.is_empty()
                    || !id
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_') =>
            {
                return Err(RunbookError::new(
                    self.origin,
                    Some(line),
                    RunbookErrorKind::BadId { id },
                ));
            }
            Some(id) => id,
            None => slugify(&head.title),
        };
        if id.is_empty() {
            let heading = raw.to_string();
            return Err(RunbookError::new(
                self.origin,
                Some(line),
                RunbookErrorKind::NoId { heading },
            ));
        }
        if let Some(&first_line) = self.seen.get(&id) {
            return Err(RunbookError::new(
                self.origin,
                Some(line),
                RunbookErrorKind::DuplicateSection { id, first_line },
            ));
        }
        self.seen.insert(id.clone(), line);
        self.current = Some(Open {
            section: Section {
                id,
                title: head.title,
                severity: head.severity,
                ..Section::default()
            },
            level,
            part: Part::Summary,
            cont: Cont::None,
            step_base: None,
        });
        Ok(())
    }

    fn close(&mut self) {
        if let Some(open) = self.current.take() {
            self.sections.push(open.section);
        }
    }
}

impl Open {
    fn sub_heading(&mut self, title: &str) {
        self.cont = Cont::None;
        match part_of_label(title) {
            Some(part) => self.part = part,
            None => {
                self.part = Part::Summary;
                if !title.is_empty() {
                    self.section.summary.push(title.to_string());
                }
            }
        }
    }

    fn list(&mut self) -> &mut Vec<String> {
        match self.part {
            Part::Metrics => &mut self.section.metrics,
            Part::Logs => &mut self.section.logs,
            Part::Escalation => &mut self.section.escalation,
            Part::Summary | Part::Steps => &mut self.section.summary,
        }
    }

    /// A new entry of the current list part.
    fn entry(&mut self, text: String) {
        if text.is_empty() {
            self.cont = Cont::None;
        } else {
            self.list().push(text);
            self.cont = Cont::Entry;
        }
    }

    fn item(&mut self, indent: usize, numbered: bool, text: &str) {
        let text = inline(text);
        if self.part != Part::Steps {
            return self.entry(text);
        }
        if text.is_empty() {
            self.cont = Cont::None;
            return;
        }
        // Outer items start steps; a numbered item at the outer level also takes over from
        // bullets, but a bullet does not split numbered steps.
        let starts_step = match (self.step_base, self.section.steps.is_empty()) {
            (Some((base, base_numbered)), false) => {
                indent < base || (indent == base && (numbered || !base_numbered))
            }
            _ => true,
        };
        if starts_step {
            self.step_base = Some((indent, numbered));
            self.section.steps.push(Step {
                text,
                ..Step::default()
            });
            self.cont = Cont::Step;
        } else if let Some(step) = self.section.steps.last_mut() {
            step.substeps.push(text);
            self.cont = Cont::Substep;
        }
    }

    fn text(&mut self, indent: usize, raw: &str) {
        // A bold label switches the part; what follows it on the line belongs to that part.
        if let Some((label, rest)) = bold_label(raw) {
            if let Some(part) = part_of_label(label) {
                self.part = part;
                self.cont = Cont::None;
                if !rest.is_empty() {
                    self.text(indent, rest);
                }
                return;
            }
        }
        let text = inline(raw);
        // Table rows stay one entry each.
        let table = raw.starts_with('|');
        match self.cont {
            _ if table => {}
            Cont::Entry => {
                if let Some(last) = self.list().last_mut() {
                    append(last, &text);
                    return;
                }
            }
            Cont::Step => {
                if let Some(step) = self.section.steps.last_mut() {
                    append(&mut step.text, &text);
                    return;
                }
            }
            Cont::Substep => {
                if let Some(sub) = self
                    .section
                    .steps
                    .last_mut()
                    .and_then(|s| s.substeps.last_mut())
                {
                    append(sub, &text);
                    return;
                }
            }
            Cont::None => {}
        }
        if self.part == Part::Steps {
            if let (Some((base, _)), Some(step)) = (self.step_base, self.section.steps.last_mut()) {
                if indent > base {
                    step.substeps.push(text);
                    self.cont = Cont::Substep;
                    return;
                }
            }
        }
        self.entry(text);
        if table {
            self.cont = Cont::None;
        }
    }

    fn fence(&mut self, lang: &str, lines: &[&str]) {
        self.cont = Cont::None;
        if self.part == Part::Steps {
            if let Some(step) = self.section.steps.last_mut() {
                let lang = lang.split_whitespace().next().unwrap_or("");
                let shell = matches!(lang, "" | "bash" | "sh" | "shell" | "zsh" | "console");
                let mut command = Vec::new();
                for line in lines {
                    let comment = line
                        .trim()
                        .strip_prefix('#')
                        .filter(|_| shell && !line.trim().starts_with("#!"));
                    match comment {
                        Some(c) if !c.trim().is_empty() => step.substeps.push(c.trim().to_string()),
                        Some(_) => {}
                        None => command.push(line.trim_end()),
                    }
                }
                while command.last().is_some_and(|l| l.is_empty()) {
                    command.pop();
                }
                let start = command.iter().take_while(|l| l.is_empty()).count();
                if start < command.len() {
                    step.commands.push(command[start..].join("\n"));
                }
                return;
            }
        }
        // Elsewhere each line of the block is one entry (a metric, a log group, ...).
        for line in lines {
            let line = line.trim();
            let line = bullet(line).unwrap_or(line);
            if !line.is_empty() {
                self.list().push(line.to_string());
            }
        }
    }
}

fn append(to: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !to.is_empty() {
        to.push(' ');
    }
    to.push_str(text);
}

/// Which part a label ("What fired", "First response:", ...) names.
fn part_of_label(label: &str) -> Option<Part> {
    let words: Vec<String> = inline(label)
        .trim()
        .trim_end_matches(':')
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let part = match words.join(" ").as_str() {
        "what fired" | "alert" | "symptoms" | "summary" => Part::Summary,
        "metrics to check" | "metrics" => Part::Metrics,
        "logs to check" | "logs" => Part::Logs,
        "first response" | "steps" | "response" | "response steps" => Part::Steps,
        "escalate when" | "escalation" | "escalation conditions" => Part::Escalation,
        _ => return None,
    };
    Some(part)
}

/// `**Label:** rest` or `**Label**: rest` at the start of a line → (label, rest).
fn bold_label(line: &str) -> Option<(&str, &str)> {
    let inner = line.trim().strip_prefix("**")?;
    let end = inner.find("**")?;
    let label = inner[..end].trim();
    let rest = inner[end + 2..].trim_start();
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim();
    Some((label, rest))
}

/// Inline markup dropped: `**bold**` and `code` marks.
fn inline(text: &str) -> String {
    text.replace("**", "").replace('`', "").trim().to_string()
}

/// A heading's parts: title for display, severity in parentheses, explicit `{#id}`.
struct Heading {
    title: String,
    severity: Option<Severity>,
    id: Option<String>,
}

impl Heading {
    fn parse(text: &str) -> Heading {
        let mut rest = text.to_string();
        let mut id = None;
        if let Some(open) = rest.rfind("{#") {
            if let Some(len) = rest[open..].find('}') {
                id = Some(rest[open + 2..open + len].trim().to_string());
                rest.replace_range(open..open + len + 1, " ");
            }
        }
        let mut severity = None;
        let mut search = rest.len();
        while let Some(open) = rest[..search].rfind('(') {
            if let Some(len) = rest[open..].find(')') {
                if let Some(s) = severity_word(&rest[open + 1..open + len]) {
                    severity = Some(s);
                    rest.replace_range(open..open + len + 1, " ");
                    break;
                }
            }
            search = open;
        }
        let title = inline(&rest);
        let title = strip_number(&title);
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        Heading {
            title,
            severity,
            id,
        }
    }
}

/// `Critical`, `severity: high`, `Sev Medium` → the severity.
fn severity_word(inner: &str) -> Option<Severity> {
    let lower = inner.trim().to_lowercase();
    let word = lower
        .strip_prefix("severity")
        .or_else(|| lower.strip_prefix("sev"))
        .map(|w| w.trim_start_matches([':', ' ', '=']))
        .unwrap_or(&lower);
    match word.trim() {
        "critical" | "high" | "medium" | "low" => Severity::parse(word),
        _ => None,
    }
}

/// `1. Title` / `1) Title` → `Title`.
fn strip_number(title: &str) -> &str {
    numbered(title).filter(|t| !t.is_empty()).unwrap_or(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section<'a>(rb: &'a Runbook, id: &str) -> &'a Section {
        rb.sections
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("{} has no section {id}", rb.id))
    }

    fn err(text: &str) -> RunbookError {
        parse(text, "t", "t.md").expect_err("expected an error")
    }

    #[test]
    fn builtin_runbooks_have_every_required_section() {
        let books = builtin();
        let ids: Vec<&str> = books.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["profile-api", "crypto-watch"]);
        let want: [(&str, &[(&str, Severity)]); 2] = [
            (
                "profile-api",
                &[
                    ("high-error-rate", Severity::High),
                    ("high-latency", Severity::Medium),
                    ("lambda-errors", Severity::High),
                    ("db-connections", Severity::High),
                ],
            ),
            (
                "crypto-watch",
                &[
                    ("lambda-error-rate", Severity::Critical),
                    ("external-api-errors", Severity::High),
                    ("dynamodb-throttling", Severity::High),
                    ("api-5xx", Severity::Critical),
                    ("api-latency-p95", Severity::Medium),
                    ("lambda-throttles", Severity::High),
                ],
            ),
        ];
        for (rb_id, sections) in want {
            let rb = books.iter().find(|r| r.id == rb_id).unwrap();
            assert!(!rb.title.is_empty());
            assert_eq!(
                rb.sections.len(),
                sections.len(),
                "{rb_id}: only alarm sections"
            );
            for (id, sev) in sections {
                let s = section(rb, id);
                assert_eq!(s.severity, Some(*sev), "{rb_id}#{id}");
                assert!(s.steps.len() >= 3, "{rb_id}#{id}: {} steps", s.steps.len());
                assert!(!s.escalation.is_empty(), "{rb_id}#{id}: no escalation");
                assert!(!s.summary.is_empty(), "{rb_id}#{id}: no summary");
                assert!(!s.metrics.is_empty(), "{rb_id}#{id}: no metrics");
                assert!(!s.logs.is_empty(), "{rb_id}#{id}: no logs");
                assert!(s.steps.iter().all(|st| !st.text.is_empty()));
                assert!(
                    !s.title.contains("{#") && !s.title.contains('('),
                    "{}",
                    s.title
                );
            }
        }
    }

    #[test]
    fn shipped_sections_read_as_written() {
        let books = builtin();
        let cw = books.iter().find(|r| r.id == "crypto-watch").unwrap();
        let ddb = section(cw, "dynamodb-throttling");
        assert_eq!(ddb.title, "DynamoDB throttling");
        let cmds: Vec<&String> = ddb.steps.iter().flat_map(|s| &s.commands).collect();
        assert!(
            cmds.iter()
                .any(|c| c.starts_with("aws dynamodb describe-table")),
            "{cmds:?}"
        );
        // The describe-table command belongs to step 2, with its two notes as sub-steps.
        assert_eq!(ddb.steps[1].text, "Check the table's capacity mode.");
        assert_eq!(
            ddb.steps[1].commands,
            ["aws dynamodb describe-table --table-name crypto-watch-data"]
        );
        assert_eq!(ddb.steps[1].substeps.len(), 2);
        assert!(ddb.steps[1].substeps[0].starts_with("PAY_PER_REQUEST"));
        assert_eq!(ddb.steps[0].substeps.len(), 3);
        assert!(ddb
            .logs
            .contains(&"Filter pattern: ProvisionedThroughputExceededException".to_string()));
        assert_eq!(ddb.metrics.len(), 4);
        assert_eq!(
            ddb.metrics[0],
            "AWS/DynamoDB UserErrors (TableName=crypto-watch-data)"
        );

        let pa = books.iter().find(|r| r.id == "profile-api").unwrap();
        let rate = section(pa, "high-error-rate");
        assert_eq!(rate.title, "ProfileAPI-HighErrorRate");
        // The summary paragraph is one entry, joined across its lines.
        assert!(rate.summary[0].starts_with("More than 5% of Profile API"));
        assert!(rate.summary[0].contains("in a row"));
        // A multi-line command keeps its continuation lines.
        let query = &rate.steps[1].commands[0];
        assert!(
            query.starts_with("aws logs start-query") && query.lines().count() == 3,
            "{query}"
        );
        assert!(rate.escalation.iter().any(|e| e.contains("10%")));
    }

    #[test]
    fn steps_substeps_and_commands_attach_where_written() {
        let text = "\
# T

### Disk full (Low)

**First response:**

1. **First** thing
   - sub a
   - sub b
     continued
2) Second
   ```bash
   # look first
   df -h

   du -sh /var
   ```
   Indented note
3. Third
   1. nested number
- stray bullet

**Escalate when:**
- never
";
        let rb = parse(text, "t", "t.md").unwrap();
        let s = &rb.sections[0];
        assert_eq!(s.id, "disk-full");
        assert_eq!(s.title, "Disk full");
        assert_eq!(s.severity, Some(Severity::Low));
        assert_eq!(s.steps.len(), 3);
        assert_eq!(s.steps[0].text, "First thing");
        assert_eq!(s.steps[0].substeps, ["sub a", "sub b continued"]);
        assert!(s.steps[0].commands.is_empty());
        assert_eq!(s.steps[1].text, "Second");
        assert_eq!(s.steps[1].commands, ["df -h\n\ndu -sh /var"]);
        assert_eq!(s.steps[1].substeps, ["look first", "Indented note"]);
        assert_eq!(s.steps[2].substeps, ["nested number", "stray bullet"]);
        assert_eq!(s.escalation, ["never"]);
    }

    #[test]
    fn bullets_start_steps_when_a_part_has_no_numbers() {
        let text = "## A (High)\n### Steps\n- one\n  - one.a\n- two\n- three\n";
        let s = &parse(text, "t", "t.md").unwrap().sections[0];
        let steps: Vec<&str> = s.steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(steps, ["one", "two", "three"]);
        assert_eq!(s.steps[0].substeps, ["one.a"]);
        // A numbered item at the outer level is a step even after bullet steps.
        let s = &parse(
            "## A (High)\n### Steps\n- note\n1. real\n2. next\n",
            "t",
            "t.md",
        )
        .unwrap()
        .sections[0];
        let steps: Vec<&str> = s.steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(steps, ["note", "real", "next"]);
    }

    #[test]
    fn explicit_ids_groups_and_slugs() {
        assert_eq!(slugify("Lambda error rate"), "lambda-error-rate");
        assert_eq!(
            slugify("  API Gateway 5xx -- errors!  "),
            "api-gateway-5xx-errors"
        );
        assert_eq!(slugify("Operator's p95/p99"), "operators-p95-p99");
        assert_eq!(
            slugify("ProfileAPI-HighErrorRate"),
            "profileapi-higherrorrate"
        );
        assert_eq!(slugify("エラー率 上昇"), "エラー率-上昇");
        assert_eq!(slugify("(!)"), "");

        let text = "\
# Book
## Severity levels {#severities}
text
### Not an alarm {#nope}
## Alarms
### 1. Lambda error rate (Critical) {#lambda-error-rate}
### 2) `API` Gateway 5xx (severity: high)
### Disk {#disk}
#### What fired
disk is full
## Rollback
### Also not {#rollback-case}
";
        let rb = parse(text, "book", "book.md").unwrap();
        assert_eq!(rb.title, "Book");
        let got: Vec<(&str, &str, Option<Severity>)> = rb
            .sections
            .iter()
            .map(|s| (s.id.as_str(), s.title.as_str(), s.severity))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "lambda-error-rate",
                    "Lambda error rate",
                    Some(Severity::Critical)
                ),
                ("api-gateway-5xx", "API Gateway 5xx", Some(Severity::High)),
                ("disk", "Disk", None),
            ]
        );
        assert_eq!(rb.sections[2].summary, ["disk is full"]);
        // A parenthesis that is no severity stays in the title and the slug.
        let rb = parse("## Latency (p95) (Medium)\n", "t", "t.md").unwrap();
        assert_eq!(rb.sections[0].id, "latency-p95");
        assert_eq!(rb.sections[0].title, "Latency (p95)");
    }

    #[test]
    fn unknown_structure_is_kept_as_summary() {
        let text = "\
## X (High)
Some intro
over two lines.

#### Background
| a | b |
|---|---|
**Odd label:** value
```
raw block
```
> quote
";
        let s = &parse(text, "t", "t.md").unwrap().sections[0];
        assert_eq!(
            s.summary,
            [
                "Some intro over two lines.",
                "Background",
                "| a | b |",
                "|---|---|",
                "Odd label: value",
                "raw block",
                "> quote"
            ]
        );
    }

    #[test]
    fn crlf_and_bom() {
        let text = "\u{feff}# Title\r\n\r\n## Alarm (High) {#a}\r\n**Steps**\r\n1. one\r\n   ```\r\n   ls\r\n   ```\r\n2. two\r\n3. three\r\n";
        let rb = parse(text, "t", "t.md").unwrap();
        assert_eq!(rb.title, "Title");
        let s = &rb.sections[0];
        assert_eq!(s.id, "a");
        assert_eq!(s.steps.len(), 3);
        assert_eq!(s.steps[0].commands, ["ls"]);
        assert!(s.steps.iter().all(|st| !st.text.contains('\r')));
        let from_bytes = parse_bytes(text.as_bytes(), "t", "t.md").unwrap();
        assert_eq!(from_bytes, rb);
    }

    #[test]
    fn errors_name_file_line_and_expectation() {
        let e = err("# T\n## A (High)\n1. x\n   ```bash\n   ls\n");
        assert_eq!(
            (e.line, &e.kind),
            (
                Some(4),
                &RunbookErrorKind::UnterminatedFence {
                    fence: "```".into()
                }
            )
        );
        let msg = e.to_string();
        assert!(
            msg.starts_with("t.md:4: ") && msg.contains("expected a closing"),
            "{msg}"
        );

        let e = err("# T\n## A (High)\n## B (Low) {#a}\n");
        assert_eq!(e.line, Some(3));
        assert_eq!(
            e.kind,
            RunbookErrorKind::DuplicateSection {
                id: "a".into(),
                first_line: 2
            }
        );
        assert!(e.to_string().contains("line 2"));

        let e = err("## A (High) {#bad id}\n");
        assert_eq!(
            (e.line, e.kind),
            (
                Some(1),
                RunbookErrorKind::BadId {
                    id: "bad id".into()
                }
            )
        );
        let e = err("\n\n## !!! (High)\n");
        assert_eq!(e.line, Some(3));
        assert!(matches!(e.kind, RunbookErrorKind::NoId { .. }));

        let e = parse_bytes(b"# T\r\n## A (High)\r\nbad \xff byte\n", "t", "t.md").unwrap_err();
        assert_eq!((e.line, &e.kind), (Some(3), &RunbookErrorKind::NotUtf8));
        assert!(e.to_string().starts_with("t.md:3: not UTF-8"));

        let e = err("# T\n## Overview\n### Detail {#d}\n");
        assert_eq!(e.kind, RunbookErrorKind::NoAlarmSections);
    }

    #[test]
    fn plain_markdown_without_structure_names_the_file() {
        let dir = std::env::temp_dir().join(format!("opsdeck-runbooks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notes.md");
        std::fs::write(&path, "Just some notes.\n\nNo headings, no lists.\n").unwrap();
        let e = load_file(&path).unwrap_err();
        assert_eq!(e.kind, RunbookErrorKind::NoAlarmSections);
        let msg = e.to_string();
        assert!(
            msg.contains("notes.md") && msg.contains("no alarm sections"),
            "{msg}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn load_dir_reads_md_files_in_order() {
        let dir = std::env::temp_dir().join(format!("opsdeck-runbooks-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b.md"), "## B (Low)\n").unwrap();
        std::fs::write(dir.join("a.md"), "# Alpha\n## A (High)\n").unwrap();
        std::fs::write(dir.join("skip.txt"), "## C (Low)\n").unwrap();
        let books = load_dir(&dir).unwrap();
        let ids: Vec<(&str, &str)> = books
            .iter()
            .map(|r| (r.id.as_str(), r.title.as_str()))
            .collect();
        assert_eq!(ids, [("a", "Alpha"), ("b", "b")]);
        assert!(books[0].origin.ends_with("a.md"));
        std::fs::write(dir.join("c.md"), "nothing\n").unwrap();
        let e = load_dir(&dir).unwrap_err();
        assert!(e.origin.ends_with("c.md"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(
            load_dir(&dir).unwrap_err().kind,
            RunbookErrorKind::Io(_)
        ));
    }

    /// xorshift64*: a small deterministic generator for the property test.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn random_and_mutated_input_never_panics() {
        const PIECES: &[&str] = &[
            "# Title",
            "## Alarms",
            "### 1. Thing (Critical) {#thing}",
            "## Other (high)",
            "### {#}",
            "### x {#a b",
            "#### What fired",
            "**First response:**",
            "**Escalate when**: soon",
            "**",
            "1. step",
            "1)",
            "   - sub",
            "\t\t2. deep",
            "- item",
            "* * *",
            "```bash",
            "~~~",
            "```",
            "    # comment",
            "| a | b |",
            "(Low)",
            "\u{feff}",
            "é ü 日本 🦀",
            "\r",
            "",
            "   ",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let shipped: Vec<&str> = BUILTIN.iter().flat_map(|(_, t)| t.lines()).collect();
        for round in 0..2000 {
            let mut lines: Vec<String> = Vec::new();
            let n = rng.below(40);
            for _ in 0..n {
                let mut line = if rng.below(3) == 0 {
                    shipped[rng.below(shipped.len())].to_string()
                } else {
                    PIECES[rng.below(PIECES.len())].to_string()
                };
                // Mutations: cut at a char boundary, indent, glue two pieces.
                match rng.below(5) {
                    0 => {
                        let cuts: Vec<usize> = line.char_indices().map(|(i, _)| i).collect();
                        if !cuts.is_empty() {
                            line.truncate(cuts[rng.below(cuts.len())]);
                        }
                    }
                    1 => line.insert_str(0, &" ".repeat(rng.below(9))),
                    2 => line.push_str(PIECES[rng.below(PIECES.len())]),
                    _ => {}
                }
                lines.push(line);
            }
            let sep = if round % 3 == 0 { "\r\n" } else { "\n" };
            let text = lines.join(sep);
            if let Ok(rb) = parse(&text, "r", "r.md") {
                let mut ids: Vec<&str> = rb.sections.iter().map(|s| s.id.as_str()).collect();
                assert!(ids.iter().all(|id| !id.is_empty()), "{text:?}");
                ids.sort_unstable();
                ids.dedup();
                assert_eq!(ids.len(), rb.sections.len(), "{text:?}");
            }
            // Raw bytes with a random byte flipped, including invalid UTF-8.
            let mut bytes = text.into_bytes();
            if !bytes.is_empty() {
                let i = rng.below(bytes.len());
                bytes[i] = rng.next() as u8;
            }
            let _ = parse_bytes(&bytes, "r", "r.md");
        }
    }
}
