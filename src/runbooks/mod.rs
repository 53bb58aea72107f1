//! Runbooks from Markdown files, turned into [`crate::model::runbook::Runbook`].
//!
//! A line-based block reader ([`blocks`]) feeds a heading tree; each heading is classified and
//! becomes (part of) a section. The reader takes the team's documents as they are: it never
//! fails on a text (only on bytes that are not UTF-8 or a file it cannot read), and what it
//! cannot make sense of is kept as readable text and reported in [`Runbook::warnings`].
//!
//! What it understands:
//!
//! - **Title**: the first `#` heading (else the runbook id).
//! - **Alarm sections** ([`SectionKind::Alarm`]), at any heading level:
//!   - a heading with the severity in brackets: `### 1. Lambda error rate (Critical)`,
//!     `### 1. Lambda Error Rate Alarm（Critical）`, `[P1]`, `【緊急】`, `(severity: high)`;
//!     words: Critical/High/Medium/Low, 緊急/重大, 高, 中, 低, P1..P4, SEV1..SEV4;
//!   - `## Alert: X` / `## Alarm: X` / `## アラート: X`;
//!   - a heading right under a heading that names alarms or alerts (`## Alarms`,
//!     `## CloudWatchアラーム設定`, `## 主要なアラート種別と対応手順`) with an explicit `{#id}` or
//!     any recognised part (alarm name, metrics, logs, steps, escalation);
//!   - any heading whose text has steps and metrics, logs, escalation or an alarm name.
//!
//!   The whole subtree of an alarm heading belongs to its section.
//! - **Parts** of a section, picked by sub-headings or bold labels (`**First response:**`,
//!   `**初動対応ステップ:**`, `### Mitigation`): summary ("What fired", "Symptoms",
//!   "アラート内容", "条件", ...), metrics ("Metrics to check", "確認するメトリクス",
//!   "メトリクス名"), logs ("Logs to check", "確認するログ"), steps ("First response", "Steps",
//!   "Diagnosis", "Mitigation", "対応手順", "対処方法", ...), escalation ("Escalate when",
//!   "エスカレーション条件"), the alarm name ("アラーム名", "Alarm name") and the response time
//!   ("対応時間", "Respond within"). Other labels and structure stay in the summary.
//! - **Steps**: list items at the outer level start a step (numbered ones, or bullets when the
//!   part starts with bullets); deeper items and indented text are its sub-steps; a fenced
//!   block is one command of the step before it; full-line `#` comments of shell blocks become
//!   sub-steps. Checklist items (`- [ ]`, `- [x]`) are steps wherever they are.
//! - **Shared sections** ([`SectionKind::Shared`]) by heading: severity levels (with the
//!   response deadlines of a table with a "Respond within" / "対応時間" column, or of severity
//!   sub-headings with a "対応時間" label), rollback criteria, common problems /
//!   troubleshooting, escalation levels, contacts. Their sub-headings belong to them, except
//!   one that is a shared section of another kind.
//! - **Everything else** is a [`SectionKind::Text`] section per heading (its body is the
//!   readable text; sub-headings that are part labels stay in it).
//! - **Cross-references**: `[text](#anchor)` (GitHub-style anchors of any heading) and "see /
//!   go to / continue with / follow the X section" become [`Link`]s; inside sub-steps (the
//!   options of a "classify the cause" step) they are also [`Branch`]es.
//!
//! All sections are in [`Runbook::sections`] in document order; [`Runbook::alarms`] gives the
//! alarm ones. Section ids: an explicit `{#id}`, else the [`slugify`]d title (ASCII letters are
//! lowercased, other letters kept: `外部apiエラー率アラーム`); a repeated id gets `-2`, `-3`.

mod blocks;
mod matching;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crate::model::alarm::Severity;
use crate::model::runbook::{
    Branch, Deadline, Link, Runbook, Section, SectionKind, SharedKind, Step,
};
use crate::model::time::{Ts, HOUR, MINUTE};

use blocks::{bullet, numbered, Block};
pub use matching::{match_section, SectionMatch};

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
    ("profile-api", include_str!("../../runbooks/profile-api.md")),
    (
        "crypto-watch",
        include_str!("../../runbooks/crypto-watch.md"),
    ),
];

/// The shipped runbooks (`profile-api`, `crypto-watch`). They are tested to parse cleanly.
pub fn builtin() -> Vec<Runbook> {
    BUILTIN
        .iter()
        .map(|(id, text)| parse(text, id, &format!("builtin:runbooks/{id}.md")))
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

/// Load every `*.md` file of a directory, in file name order. A file that cannot be read or
/// is not UTF-8 fails all (naming it).
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
            .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
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
        Ok(text) => Ok(parse(text, id, origin)),
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

/// A slug of a heading: lowercase letters and digits, words joined by `-`; apostrophes and
/// quotes vanish, other punctuation separates words. Letters of other scripts are kept as
/// they are (`エラー率 上昇` → `エラー率-上昇`).
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

/// The anchor GitHub gives a heading: lowercased, punctuation dropped, spaces → `-`
/// (`2. 外部APIエラー率アラーム（High）` → `2-外部apiエラー率アラームhigh`).
pub fn github_anchor(heading: &str) -> String {
    let mut out = String::new();
    for c in inline(heading).chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The document: heading tree, classification, sections

/// One heading (or the text before the first heading, `level` 0) and its own blocks.
struct Node {
    level: usize,
    line: usize,
    head: Heading,
    /// Block range: the heading block itself and its content up to the next heading.
    start: usize,
    end: usize,
    children: Vec<usize>,
}

/// What a section is made of: its heading and the headings it absorbs, in order.
struct Plan {
    kind: SectionKind,
    node: usize,
    nodes: Vec<usize>,
}

/// The runbook's text without what must never reach a terminal: control characters (but
/// line breaks and tabs), escape sequences' introducers, C1 controls, bidi controls and
/// invisible format characters (see [`crate::model::log::never_on_screen`]). A runbook
/// comes from a file or a shared repository and is shown on shared screens, so it gets the
/// same guarantee as log lines. Line separators become spaces, so line numbers still agree
/// with the file's.
fn terminal_safe(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(c),
            '\u{2028}' | '\u{2029}' => Some(' '),
            c if crate::model::log::never_on_screen(c) => None,
            c => Some(c),
        })
        .collect()
}

/// Parse a Markdown runbook. `id` is the runbook id, `origin` names the source in warnings.
/// Never fails: unknown structure becomes readable text, problems become warnings.
pub fn parse(text: &str, id: &str, origin: &str) -> Runbook {
    let cleaned = terminal_safe(text);
    let text = cleaned.as_str();
    let mut warn_at: Vec<(usize, String)> = Vec::new();
    let blocks = blocks::blocks(text, &mut warn_at);
    let raw_lines: Vec<&str> = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
        .collect();

    // The heading tree. Node 0 is the text before the first heading.
    let mut nodes: Vec<Node> = vec![Node {
        level: 0,
        line: 0,
        head: Heading::parse(""),
        start: 0,
        end: blocks.len(),
        children: Vec::new(),
    }];
    let mut stack: Vec<usize> = vec![0];
    for (i, (line, block)) in blocks.iter().enumerate() {
        if let Block::Heading { level, text } = block {
            let n = nodes.len();
            if let Some(prev) = nodes.last_mut() {
                prev.end = i;
            }
            while stack.len() > 1 && nodes[*stack.last().unwrap_or(&0)].level >= *level {
                stack.pop();
            }
            let parent = *stack.last().unwrap_or(&0);
            nodes[parent].children.push(n);
            nodes.push(Node {
                level: *level,
                line: *line,
                head: Heading::parse(text),
                start: i,
                end: blocks.len(),
                children: Vec::new(),
            });
            stack.push(n);
        }
    }
    let title = nodes
        .iter()
        .find(|n| n.level == 1 && !n.head.title.is_empty())
        .map(|n| n.head.title.clone())
        .unwrap_or_else(|| id.to_string());

    let mut plans = Vec::new();
    plan(&nodes, &blocks, 0, false, &mut plans);

    // Sections, with unique ids.
    let mut sections: Vec<Section> = Vec::new();
    let mut refs: Vec<Vec<Ref>> = Vec::new();
    let mut deadlines: Vec<Deadline> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors: HashMap<String, usize> = HashMap::new();
    for p in &plans {
        let node = &nodes[p.node];
        let preamble_name = (p.node == 0 && p.kind == SectionKind::Alarm)
            .then(|| preamble_alarm_name(&blocks[node.start..node.end]))
            .flatten();
        let section_title = if let Some(name) = preamble_name {
            name
        } else if p.node == 0 && nodes.len() > 1 {
            "Preamble".to_string()
        } else if p.node == 0 {
            title.clone()
        } else {
            node.head.title.clone()
        };
        let mut sid = match &node.head.id {
            Some(x) if valid_id(x) => x.clone(),
            Some(x) => {
                warn_at.push((
                    node.line,
                    format!(
                        "bad section id `{{#{x}}}` (expected letters, digits, `-` or `_`); \
                         using the title's slug"
                    ),
                ));
                slugify(&section_title)
            }
            None => slugify(&section_title),
        };
        if sid.is_empty() {
            sid = format!("section-{}", sections.len() + 1);
        }
        if let Some(&first) = seen.get(&sid) {
            let mut k = 2;
            while seen.contains_key(&format!("{sid}-{k}")) {
                k += 1;
            }
            let new = format!("{sid}-{k}");
            warn_at.push((
                node.line,
                format!(
                    "section id `{sid}` is already used by the heading on line {first}; this one \
                     is `{new}`"
                ),
            ));
            sid = new;
        }
        seen.insert(sid.clone(), node.line);
        let index = sections.len();
        for &n in &p.nodes {
            if n == 0 {
                continue;
            }
            let mut a = github_anchor(nodes[n].head.raw_no_id.as_str());
            if anchors.contains_key(&a) {
                let mut k = 1;
                while anchors.contains_key(&format!("{a}-{k}")) {
                    k += 1;
                }
                a = format!("{a}-{k}");
            }
            anchors.insert(a, index);
            if let Some(x) = &nodes[n].head.id {
                anchors.entry(x.clone()).or_insert(index);
            }
        }
        let mut open = Open::new(Section {
            id: sid,
            title: section_title,
            severity: if p.kind == SectionKind::Alarm {
                node.head.severity
            } else {
                None
            },
            kind: p.kind,
            line: node.line,
            ..Section::default()
        });
        for &n in &p.nodes {
            let nd = &nodes[n];
            for (bi, (line, block)) in blocks.iter().enumerate().take(nd.end).skip(nd.start) {
                open.line = *line;
                if let Block::Heading { text, .. } = block {
                    if n == p.node {
                        continue;
                    }
                    open.sub_heading(text);
                } else {
                    open.block(block);
                }
                let from = blocks[bi].0;
                let to = blocks
                    .get(bi + 1)
                    .map(|b| b.0)
                    .unwrap_or(raw_lines.len() + 1);
                body_lines(&mut open.section.body, block, &raw_lines, from, to);
            }
        }
        open.finish_body();
        deadlines.append(&mut open.deadlines);
        for d in table_deadlines(&blocks, &nodes, &p.nodes) {
            if !deadlines.iter().any(|x| x.severity == d.severity) {
                deadlines.push(d);
            }
        }
        refs.push(std::mem::take(&mut open.refs));
        sections.push(open.section);
    }
    // A heading without a section of its own (`## Alarms` with only sub-sections) leads to the
    // first section after it.
    let planned: std::collections::HashSet<usize> =
        plans.iter().flat_map(|p| p.nodes.iter().copied()).collect();
    for (n, node) in nodes.iter().enumerate().skip(1) {
        if planned.contains(&n) {
            continue;
        }
        if let Some(i) = sections.iter().position(|s| s.line >= node.line) {
            anchors
                .entry(github_anchor(&node.head.raw_no_id))
                .or_insert(i);
            if let Some(x) = &node.head.id {
                anchors.entry(x.clone()).or_insert(i);
            }
        }
    }
    // Deadlines stated by sub-sections come first; a table repeats them.
    let mut uniq: Vec<Deadline> = Vec::new();
    for d in deadlines {
        if d.severity.is_none() || !uniq.iter().any(|x| x.severity == d.severity) {
            uniq.push(d);
        }
    }
    let deadlines: Vec<Deadline> = uniq.into_iter().filter(|d| d.severity.is_some()).collect();

    // Cross-references, now that every section is known.
    let by_title = Names::new(&sections);
    for (i, rs) in refs.into_iter().enumerate() {
        for r in rs {
            let target = match &r.target {
                RefTarget::Anchor(a) => anchors
                    .get(a.trim_start_matches('#'))
                    .or_else(|| anchors.get(&github_anchor(a.trim_start_matches('#'))))
                    .copied()
                    .or_else(|| sections.iter().position(|s| s.id == *a)),
                RefTarget::Phrase { phrase, .. } => by_title.resolve(&sections, phrase),
            };
            let Some(t) = target else {
                match &r.target {
                    RefTarget::Anchor(a) => warn_at.push((
                        r.line,
                        format!("link to `#{a}`: no heading has that anchor; kept as text"),
                    )),
                    RefTarget::Phrase {
                        phrase,
                        section: true,
                    } => warn_at.push((
                        r.line,
                        format!(
                            "reference to the \"{phrase}\" section: no such section; kept as text"
                        ),
                    )),
                    RefTarget::Phrase { .. } => {}
                }
                continue;
            };
            if t == i {
                continue;
            }
            let target = sections[t].id.clone();
            let s = &mut sections[i];
            let link = Link {
                text: r.text.clone(),
                target: target.clone(),
                step: r.step,
            };
            if !s.links.contains(&link) {
                s.links.push(link);
            }
            if let Some(label) = r.branch {
                let b = Branch {
                    label,
                    target,
                    step: r.step,
                };
                if !s.branches.contains(&b) {
                    s.branches.push(b);
                }
            }
        }
    }
    // An alarm links to the sections that describe its metrics (normal and abnormal values).
    let describes: Vec<(usize, Vec<String>)> = sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == SectionKind::Text && !s.metrics.is_empty())
        .map(|(i, s)| (i, s.match_terms.clone()))
        .collect();
    for i in 0..sections.len() {
        if sections[i].kind != SectionKind::Alarm {
            continue;
        }
        let mut add = Vec::new();
        for term in &sections[i].match_terms {
            for (j, terms) in &describes {
                // A text section naming one metric (or two) describes it.
                if terms.len() <= 2 && terms.contains(term) {
                    add.push(Link {
                        text: format!("metric {term}"),
                        target: sections[*j].id.clone(),
                        step: None,
                    });
                }
            }
        }
        for l in add {
            if !sections[i].links.iter().any(|x| x.target == l.target) {
                sections[i].links.push(l);
            }
        }
    }
    for s in &mut sections {
        if s.deadline.is_none() {
            if let Some(sev) = s.severity {
                s.deadline = deadlines.iter().find(|d| d.severity == Some(sev)).cloned();
            }
        }
    }

    let mut warnings: Vec<String> = Vec::new();
    warn_at.sort_by_key(|(l, _)| *l);
    for (line, w) in warn_at {
        if line == 0 {
            warnings.push(format!("{origin}: {w}"));
        } else {
            warnings.push(format!("{origin}:{line}: {w}"));
        }
    }
    if sections.is_empty() {
        warnings.push(format!("{origin}: the file has no text; nothing to show"));
    } else if !sections.iter().any(|s| s.kind == SectionKind::Alarm) {
        warnings.push(format!(
            "{origin}: no alarm sections recognised (expected a heading per alarm with the \
             severity in brackets, e.g. `## Lambda errors (High)`, or `## Alert: X`, or headings \
             with steps under an `## Alarms` heading); its {} section(s) are shown as text",
            sections.len()
        ));
    }
    Runbook {
        id: id.to_string(),
        title,
        origin: origin.to_string(),
        sections,
        warnings,
        deadlines,
    }
}

/// Classify node `n` and its subtree into section plans.
fn plan(nodes: &[Node], blocks: &[(usize, Block)], n: usize, in_group: bool, out: &mut Vec<Plan>) {
    let node = &nodes[n];
    let head = &node.head;
    let ev = evidence(nodes, blocks, n);
    let kind = if n == 0 {
        None
    } else if head.alert || head.severity.is_some() {
        Some(SectionKind::Alarm)
    } else if let Some(k) = shared_kind(&head.title) {
        Some(SectionKind::Shared(k))
    } else if in_group && (head.id.is_some() || ev.any()) {
        Some(SectionKind::Alarm)
    } else {
        None
    };
    let kind = kind.or_else(|| ev.strong().then_some(SectionKind::Alarm));
    match kind {
        Some(SectionKind::Alarm) => {
            let mut all = vec![n];
            if n != 0 {
                subtree(nodes, n, &mut all);
            }
            out.push(Plan {
                kind: SectionKind::Alarm,
                node: n,
                nodes: all,
            });
            // Text before the first heading is a section of its own; the headings after it are
            // not part of it.
            if n == 0 {
                for &c in &node.children {
                    plan(nodes, blocks, c, false, out);
                }
            }
        }
        Some(SectionKind::Shared(k)) => {
            let mut own = vec![n];
            let mut apart = Vec::new();
            for &c in &node.children {
                match shared_kind(&nodes[c].head.title) {
                    Some(ck) if ck != k => apart.push(c),
                    _ => {
                        own.push(c);
                        subtree(nodes, c, &mut own);
                    }
                }
            }
            out.push(Plan {
                kind: SectionKind::Shared(k),
                node: n,
                nodes: own,
            });
            for c in apart {
                plan(nodes, blocks, c, false, out);
            }
        }
        _ => {
            let mut own = vec![n];
            let mut apart = Vec::new();
            for &c in &node.children {
                let ch = &nodes[c].head;
                let part_label = node.level >= 2
                    && label_exact(&ch.title).is_some()
                    && !ch.alert
                    && ch.severity.is_none()
                    && !is_group(&ch.title)
                    && shared_kind(&ch.title).is_none();
                if part_label {
                    own.push(c);
                    subtree(nodes, c, &mut own);
                } else {
                    apart.push(c);
                }
            }
            let has_text = own.iter().any(|&o| {
                blocks[nodes[o].start..nodes[o].end]
                    .iter()
                    .any(|(_, b)| !matches!(b, Block::Blank | Block::Rule | Block::Heading { .. }))
            });
            if has_text || (apart.is_empty() && n != 0) {
                out.push(Plan {
                    kind: SectionKind::Text,
                    node: n,
                    nodes: own,
                });
            }
            let group = n != 0 && is_group(&head.title);
            for c in apart {
                plan(nodes, blocks, c, group, out);
            }
        }
    }
}

fn subtree(nodes: &[Node], n: usize, out: &mut Vec<usize>) {
    for &c in &nodes[n].children {
        out.push(c);
        subtree(nodes, c, out);
    }
}

/// Which parts a heading's own text (and its label-like sub-headings) has.
#[derive(Default)]
struct Evidence {
    summary: bool,
    metrics: bool,
    logs: bool,
    steps: bool,
    escalation: bool,
    alarm_name: bool,
}

impl Evidence {
    fn any(&self) -> bool {
        self.metrics || self.logs || self.steps || self.escalation || self.alarm_name
    }
    /// Enough to call a heading an alarm section without any other hint.
    fn strong(&self) -> bool {
        self.steps && (self.metrics || self.logs || self.escalation || self.alarm_name)
    }
    fn add(&mut self, l: Label) {
        match l {
            Label::Part(Part::Summary) | Label::Deadline | Label::Severity => self.summary = true,
            Label::Part(Part::Metrics) => self.metrics = true,
            Label::Part(Part::Logs) => self.logs = true,
            Label::Part(Part::Steps) => self.steps = true,
            Label::Part(Part::Escalation) => self.escalation = true,
            Label::AlarmName => self.alarm_name = true,
        }
    }
}

fn evidence(nodes: &[Node], blocks: &[(usize, Block)], n: usize) -> Evidence {
    let mut ev = Evidence::default();
    let node = &nodes[n];
    for (_, b) in &blocks[node.start..node.end] {
        if let Block::Text { text, .. } = b {
            if let Some((label, _)) = bold_label(text) {
                if let Some(l) = label_kind(label) {
                    ev.add(l);
                }
            }
        }
    }
    for &c in &node.children {
        let t = &nodes[c].head.title;
        if is_group(t) || shared_kind(t).is_some() {
            continue;
        }
        if let Some(l) = label_exact(t) {
            ev.add(l);
        }
    }
    ev
}

/// The alarm name label of text before any heading (`**Alarm name**: `X``).
fn preamble_alarm_name(blocks: &[(usize, Block)]) -> Option<String> {
    blocks.iter().find_map(|(_, b)| match b {
        Block::Text { text, .. } => {
            let (label, rest) = bold_label(text)?;
            (label_kind(label)? == Label::AlarmName)
                .then(|| inline(rest))
                .filter(|n| !n.is_empty())
        }
        _ => None,
    })
}

/// A heading that names the alarms or alerts below it.
fn is_group(title: &str) -> bool {
    let l = title.to_lowercase();
    ["alarm", "alert", "アラーム", "アラート"]
        .iter()
        .any(|w| l.contains(w))
}

/// The shared kind a heading names, if any.
fn shared_kind(title: &str) -> Option<SharedKind> {
    let l = title.to_lowercase();
    let has = |ws: &[&str]| ws.iter().any(|w| l.contains(w));
    if has(&[
        "severity",
        "severities",
        "重要度",
        "緊急度",
        "priority level",
        "priorities",
    ]) {
        Some(SharedKind::Severity)
    } else if has(&[
        "rollback",
        "roll back",
        "roll-back",
        "ロールバック",
        "切り戻し",
    ]) {
        Some(SharedKind::Rollback)
    } else if has(&[
        "common problem",
        "common issue",
        "troubleshooting",
        "known issue",
        "faq",
        "よくある問題",
        "トラブルシューティング",
    ]) {
        Some(SharedKind::CommonProblems)
    } else if has(&["escalation", "escalate", "エスカレーション"]) {
        Some(SharedKind::Escalation)
    } else if has(&[
        "contact",
        "on-call",
        "oncall",
        "on call",
        "連絡先",
        "オンコール",
    ]) {
        Some(SharedKind::Contacts)
    } else {
        None
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

// ---------------------------------------------------------------------------------------------
// Blocks to a section

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Summary,
    Metrics,
    Logs,
    Steps,
    Escalation,
}

/// What a label or sub-heading names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Part(Part),
    /// The alarm's name: a match term, kept in the summary.
    AlarmName,
    /// The response time: the section's deadline, kept in the summary.
    Deadline,
    /// `**Severity:** P2`: the section's severity when its heading gives none.
    Severity,
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

#[derive(Debug, Clone, PartialEq)]
enum RefTarget {
    Anchor(String),
    Phrase { phrase: String, section: bool },
}

/// A cross-reference found while reading, resolved once every section is known.
#[derive(Debug, Clone)]
struct Ref {
    text: String,
    target: RefTarget,
    step: Option<usize>,
    /// The option's label when written in a sub-step (a decision branch).
    branch: Option<String>,
    line: usize,
}

struct Open {
    section: Section,
    part: Part,
    cont: Cont,
    /// Indent and kind (numbered or not) of the items that start steps.
    step_base: Option<(usize, bool)>,
    /// The last label, naming a step made from a bare command block.
    last_label: String,
    /// Severity of the sub-heading being read (severity sections).
    sub_severity: Option<Severity>,
    deadlines: Vec<Deadline>,
    refs: Vec<Ref>,
    line: usize,
}

impl Open {
    fn new(section: Section) -> Self {
        Open {
            line: section.line,
            section,
            part: Part::Summary,
            cont: Cont::None,
            step_base: None,
            last_label: String::new(),
            sub_severity: None,
            deadlines: Vec::new(),
            refs: Vec::new(),
        }
    }

    fn block(&mut self, block: &Block<'_>) {
        match block {
            Block::Blank | Block::Rule | Block::Heading { .. } => self.cont = Cont::None,
            Block::Item {
                indent,
                numbered,
                check,
                text,
            } => self.item(*indent, *numbered, *check, text),
            Block::Text { indent, text } => self.text(*indent, text),
            Block::Row { text } => self.row(text),
            Block::Fence { lang, lines } => self.fence(lang, lines),
        }
    }

    fn sub_heading(&mut self, raw: &str) {
        self.cont = Cont::None;
        let head = Heading::parse(raw);
        self.sub_severity = head.severity;
        let title = head.title;
        match label_kind(&title) {
            Some(l) => {
                self.last_label = title;
                self.set_label(l);
            }
            None => {
                self.part = Part::Summary;
                if !title.is_empty() {
                    self.section.summary.push(title);
                }
            }
        }
    }

    fn set_label(&mut self, l: Label) {
        self.part = match l {
            Label::Part(p) => p,
            Label::AlarmName | Label::Deadline | Label::Severity => Part::Summary,
        };
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
    fn entry(&mut self, raw: &str) {
        let text = inline(raw);
        if text.is_empty() {
            self.cont = Cont::None;
            return;
        }
        if self.part == Part::Metrics
            || (self.part == Part::Summary && self.section.kind == SectionKind::Alarm)
        {
            self.terms_from(raw);
        }
        self.scan_refs(raw, None, None);
        self.list().push(text);
        self.cont = Cont::Entry;
    }

    fn item(&mut self, indent: usize, numbered: bool, check: Option<bool>, raw: &str) {
        if check.is_some() && self.part != Part::Steps {
            self.part = Part::Steps;
            self.step_base = None;
        }
        if self.part != Part::Steps {
            return self.entry(raw);
        }
        let text = inline(raw);
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
                checklist: check.is_some(),
                checked: check == Some(true),
                ..Step::default()
            });
            self.cont = Cont::Step;
            let i = self.section.steps.len() - 1;
            self.scan_refs(raw, Some(i), None);
        } else if let Some(step) = self.section.steps.last_mut() {
            // The option's label: before its `:` / `→`, else the case line above it
            // (`**502 errors:**` then `- see the X section`), else the whole line.
            let label = option_label(raw).unwrap_or_else(|| {
                step.substeps
                    .last()
                    .filter(|p| p.ends_with([':', '：']))
                    .map(|p| p.trim_end_matches([':', '：']).trim().to_string())
                    .unwrap_or_else(|| text.clone())
            });
            step.substeps.push(text);
            self.cont = Cont::Substep;
            let i = self.section.steps.len() - 1;
            self.scan_refs(raw, Some(i), Some(label));
        }
    }

    fn text(&mut self, indent: usize, raw: &str) {
        // A bold label switches the part; what follows it on the line belongs to that part.
        if let Some((label, rest)) = bold_label(raw) {
            if let Some(l) = label_kind(label) {
                self.last_label = inline(label).trim_end_matches([':', '：']).to_string();
                self.cont = Cont::None;
                self.set_label(l);
                match l {
                    Label::AlarmName => {
                        let spans = code_spans(rest);
                        if spans.is_empty() {
                            self.add_term(&inline(rest));
                        }
                        for s in spans {
                            self.add_term(&s);
                        }
                        self.entry(raw);
                        return;
                    }
                    Label::Deadline => {
                        let text = inline(rest);
                        let d = Deadline {
                            severity: self.sub_severity.or(self.section.severity),
                            secs: parse_duration(&text),
                            text,
                        };
                        if d.severity.is_some()
                            && self.section.kind == SectionKind::Shared(SharedKind::Severity)
                        {
                            self.deadlines.push(d.clone());
                        }
                        if self.section.kind == SectionKind::Alarm
                            && self.section.deadline.is_none()
                        {
                            self.section.deadline = Some(d);
                        }
                        self.entry(raw);
                        return;
                    }
                    Label::Severity => {
                        if self.section.severity.is_none()
                            && self.section.kind == SectionKind::Alarm
                        {
                            self.section.severity = severity_word(rest)
                                .or_else(|| rest.split_whitespace().find_map(severity_word));
                        }
                        self.entry(raw);
                        return;
                    }
                    Label::Part(_) => {}
                }
                if !rest.is_empty() {
                    self.text(indent, rest);
                }
                return;
            }
            // An unknown label at the steps' own level ends the steps (`**Example query:**`
            // after a list); indented under a step it is part of that step.
            if self.part == Part::Steps && self.step_base.is_none_or(|(base, _)| indent <= base) {
                self.part = Part::Summary;
                self.cont = Cont::None;
            }
        }
        let text = inline(raw);
        let step_i = self.section.steps.len().checked_sub(1);
        match self.cont {
            Cont::Entry => {
                if let Some(last) = self.list().last_mut() {
                    append(last, &text);
                    self.scan_refs(raw, None, None);
                    return;
                }
            }
            Cont::Step => {
                if let Some(step) = self.section.steps.last_mut() {
                    append(&mut step.text, &text);
                    self.scan_refs(raw, step_i, None);
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
                    self.scan_refs(raw, step_i, None);
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
                    self.scan_refs(raw, step_i, None);
                    return;
                }
            }
        }
        self.entry(raw);
    }

    /// Table rows stay one entry each.
    fn row(&mut self, raw: &str) {
        let text = inline(raw);
        if !text.is_empty() {
            self.scan_refs(raw, None, None);
            self.list().push(text);
        }
        self.cont = Cont::None;
    }

    fn fence(&mut self, lang: &str, lines: &[&str]) {
        self.cont = Cont::None;
        if self.part == Part::Steps && self.section.steps.is_empty() {
            // A command block right under a steps label: one step named by the label.
            let text = if self.last_label.is_empty() {
                "Run".to_string()
            } else {
                self.last_label.clone()
            };
            self.section.steps.push(Step {
                text,
                ..Step::default()
            });
        }
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
        // Elsewhere each line of the block is one entry (a metric, a log group, ...); in the
        // metrics and logs parts a line that only introduces the list (`CloudWatch Metrics:`)
        // is left out.
        let listing = matches!(self.part, Part::Metrics | Part::Logs);
        for line in lines {
            let line = line.trim();
            let line = bullet(line).unwrap_or(line);
            if line.is_empty() || (listing && (line.ends_with(':') || line.ends_with('：'))) {
                continue;
            }
            if self.part == Part::Metrics {
                self.terms_from_listing(line);
            }
            self.list().push(line.to_string());
        }
    }

    fn add_term(&mut self, term: &str) {
        let t = term.trim().trim_matches(['"', '\'', ',', '.']);
        if t.chars().count() < 2 || t.chars().count() > 120 {
            return;
        }
        if !self.section.match_terms.iter().any(|x| x == t) {
            self.section.match_terms.push(t.to_string());
        }
    }

    /// Code spans of a metrics or summary line: metric and alarm names.
    fn terms_from(&mut self, raw: &str) {
        let spans = code_spans(raw);
        if spans.is_empty() && self.part == Part::Metrics {
            self.terms_from_listing(&inline(raw));
        }
        for s in spans {
            if !s.contains(char::is_whitespace) {
                self.add_term(&s);
            }
        }
    }

    /// Names in a plain metric line: `AWS/Lambda > Errors (Function: ApiFunction)`.
    fn terms_from_listing(&mut self, line: &str) {
        const STOP: &[&str] = &[
            "cloudwatch",
            "metrics",
            "metric",
            "function",
            "functionname",
            "table",
            "tablename",
            "and",
            "the",
            "per",
            "for",
            "with",
            "custom",
        ];
        for tok in line.split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '>' | '(' | ')' | ',' | ':' | '=' | '"' | '`' | '、' | '（' | '）'
                )
        }) {
            let ascii_letter = tok.chars().any(|c| c.is_ascii_alphabetic());
            let all_ascii = tok.is_ascii();
            let percentile = all_ascii
                && tok.starts_with(['p', 'P'])
                && tok[1..].chars().all(|c| c.is_ascii_digit());
            if tok.len() >= 3
                && ascii_letter
                && all_ascii
                && !percentile
                && !STOP.contains(&tok.to_ascii_lowercase().as_str())
            {
                self.add_term(tok);
            }
        }
    }

    /// Links and textual cross-references in `raw`.
    fn scan_refs(&mut self, raw: &str, step: Option<usize>, branch: Option<String>) {
        let line = self.line;
        let mut found = Vec::new();
        for (text, target) in md_links(raw) {
            if let Some(anchor) = target.strip_prefix('#') {
                found.push(Ref {
                    text,
                    target: RefTarget::Anchor(anchor.to_string()),
                    step,
                    branch: branch.clone(),
                    line,
                });
            }
        }
        for (phrase, section) in textual_refs(&inline(raw)) {
            found.push(Ref {
                text: phrase.clone(),
                target: RefTarget::Phrase { phrase, section },
                step,
                branch: branch.clone(),
                line,
            });
        }
        self.refs.extend(found);
    }

    /// Trim the readable body: no blank lines at the ends or twice in a row.
    fn finish_body(&mut self) {
        let body = std::mem::take(&mut self.section.body);
        let mut out: Vec<String> = Vec::with_capacity(body.len());
        for l in body {
            if l.trim().is_empty() && out.last().is_none_or(|p: &String| p.trim().is_empty()) {
                continue;
            }
            out.push(l);
        }
        while out.last().is_some_and(|l| l.trim().is_empty()) {
            out.pop();
        }
        self.section.body = out;
    }
}

/// The readable lines of one block (raw lines `from..to`, 1-based).
fn body_lines(body: &mut Vec<String>, block: &Block, raw: &[&str], from: usize, to: usize) {
    let lines = raw
        .get(from.saturating_sub(1)..to.saturating_sub(1).min(raw.len()))
        .unwrap_or(&[]);
    match block {
        Block::Fence { lines: inner, .. } => {
            for l in inner {
                body.push(format!("    {}", l.replace('\t', "    ")));
            }
        }
        Block::Heading { text, .. } => {
            body.push(String::new());
            body.push(inline(text));
        }
        Block::Blank | Block::Rule => body.push(String::new()),
        _ => {
            for l in lines {
                let (indent, rest) = blocks::indentation(l);
                let rest = inline(rest);
                if rest.is_empty() {
                    body.push(String::new());
                } else {
                    body.push(format!("{}{}", " ".repeat(indent.min(16)), rest));
                }
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

/// What a label ("What fired", "First response:", "初動対応ステップ", ...) names.
fn label_kind(label: &str) -> Option<Label> {
    let short = inline(label);
    let short = short.trim().trim_end_matches([':', '：']);
    // Words found inside a longer label only count for a short one without its own colon
    // (`**ケース1: デプロイ直後（初動）**` is no steps label).
    let fuzzy = !short.contains([':', '：']) && short.chars().count() <= 20;
    label_of(label, fuzzy)
}

/// What a sub-heading names when it is exactly a label (`### Symptoms`, `### 対処方法`): only
/// such headings count as parts of the heading above them.
fn label_exact(label: &str) -> Option<Label> {
    label_of(label, false)
}

fn label_of(label: &str, fuzzy: bool) -> Option<Label> {
    let norm = inline(label);
    let l = norm
        .trim()
        .trim_end_matches([':', '：'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if l.is_empty() || l.chars().count() > 40 {
        return None;
    }
    let part = match l.as_str() {
        "what fired" | "alert" | "symptoms" | "symptom" | "summary" | "description"
        | "overview" | "impact" | "conditions" | "condition" | "trigger" | "cause" | "causes"
        | "possible causes" | "what it means" => Label::Part(Part::Summary),
        "metrics to check" | "metrics" | "metric" | "metrics to watch" | "dashboards" => {
            Label::Part(Part::Metrics)
        }
        "logs to check" | "logs" | "log groups" | "log group" | "logs to read" | "queries" => {
            Label::Part(Part::Logs)
        }
        "first response" | "steps" | "response" | "response steps" | "diagnosis" | "mitigation"
        | "remediation" | "resolution" | "procedure" | "what to do" | "immediate actions"
        | "actions" | "checklist" | "investigation" | "recovery" | "triage" | "fix" => {
            Label::Part(Part::Steps)
        }
        "escalate when"
        | "escalation"
        | "escalation conditions"
        | "when to escalate"
        | "escalate"
        | "escalation criteria" => Label::Part(Part::Escalation),
        "alarm name" | "alert name" | "alarm names" => Label::AlarmName,
        "respond within" | "response time" | "deadline" | "response deadline" | "sla"
        | "time to respond" => Label::Deadline,
        "アラート内容" | "症状" | "概要" | "説明" | "条件" | "原因" | "定義" => {
            Label::Part(Part::Summary)
        }
        "確認するメトリクス" | "メトリクス" | "メトリクス名" => {
            Label::Part(Part::Metrics)
        }
        "確認するログ" | "ログ" | "ロググループ" => Label::Part(Part::Logs),
        "初動対応" | "初動対応ステップ" | "対応手順" | "手順" | "対処方法" | "対処法" | "対応" => {
            Label::Part(Part::Steps)
        }
        "エスカレーション条件" | "エスカレーション基準" => {
            Label::Part(Part::Escalation)
        }
        "アラーム名" | "アラート名" => Label::AlarmName,
        "対応時間" | "対応期限" => Label::Deadline,
        "severity" | "priority" | "重要度" | "緊急度" | "severity level" => Label::Severity,
        _ if !fuzzy => return None,
        _ => {
            let has = |ws: &[&str]| ws.iter().any(|w| l.contains(w));
            if has(&["エスカレーション", "escalat"]) {
                Label::Part(Part::Escalation)
            } else if has(&["アラーム名", "アラート名"]) {
                Label::AlarmName
            } else if has(&["対応時間", "対応期限", "respond within"]) {
                Label::Deadline
            } else if has(&["メトリクス", "metrics to", "メトリック"]) {
                Label::Part(Part::Metrics)
            } else if has(&["確認するログ", "ログレベル", "ロググループ", "logs to"]) || l == "ログ"
            {
                Label::Part(Part::Logs)
            } else if has(&[
                "手順",
                "ステップ",
                "対処",
                "初動",
                "first response",
                " steps",
            ]) {
                Label::Part(Part::Steps)
            } else if has(&["アラート内容", "症状", "概要", "説明", "定義", "原因"]) || l == "条件"
            {
                Label::Part(Part::Summary)
            } else {
                return None;
            }
        }
    };
    Some(part)
}

/// `**Label:** rest` or `**Label**: rest` at the start of a line → (label, rest).
fn bold_label(line: &str) -> Option<(&str, &str)> {
    let inner = line.trim().strip_prefix("**")?;
    let end = inner.find("**")?;
    let label = inner[..end].trim();
    let rest = inner[end + 2..].trim_start();
    let rest = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix('：'))
        .unwrap_or(rest)
        .trim();
    Some((label, rest))
}

/// Inline markup dropped: `**bold**`, `code` marks, `[text](#anchor)` → `text`,
/// `[text](url)` → `text (url)`.
fn inline(text: &str) -> String {
    let text = if text.contains("](") {
        replace_links(text)
    } else {
        text.to_string()
    };
    text.replace("**", "").replace('`', "").trim().to_string()
}

fn replace_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, label, target, after)) = next_link(rest) {
        out.push_str(before);
        out.push_str(label);
        if !target.starts_with('#') && !target.is_empty() {
            out.push_str(" (");
            out.push_str(target);
            out.push(')');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The first `[label](target)` of `text`: (before, label, target, after).
fn next_link(text: &str) -> Option<(&str, &str, &str, &str)> {
    let mut from = 0;
    while let Some(open) = text[from..].find('[').map(|i| i + from) {
        let close = text[open..].find("](").map(|i| i + open)?;
        if text[open + 1..close].contains('[') {
            from = open + 1;
            continue;
        }
        let end = text[close + 2..].find(')').map(|i| i + close + 2)?;
        return Some((
            &text[..open],
            &text[open + 1..close],
            text[close + 2..end].trim(),
            &text[end + 1..],
        ));
    }
    None
}

/// Every `[label](target)` of a line.
fn md_links(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some((_, label, target, after)) = next_link(rest) {
        out.push((inline(label), target.to_string()));
        rest = after;
    }
    out
}

/// `` `x` `` spans of a line.
fn code_spans(text: &str) -> Vec<String> {
    text.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// "see the X section", "go to the X section", "continue with the X section", "follow the X
/// section", "see the rollback criteria" → (X, whether it said "section").
fn textual_refs(text: &str) -> Vec<(String, bool)> {
    const VERBS: &[&str] = &[
        "see the ",
        "go to the ",
        "continue with the ",
        "follow the ",
        "refer to the ",
        "jump to the ",
        "proceed to the ",
        "see ",
        "go to ",
        "continue with ",
        "refer to ",
        "jump to ",
    ];
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while at < lower.len() {
        let hit = VERBS
            .iter()
            .filter_map(|v| lower[at..].find(v).map(|i| (i + at, v.len())))
            .min_by_key(|(i, len)| (*i, usize::MAX - len));
        let Some((i, len)) = hit else { break };
        // A verb starts a word.
        if i > 0
            && lower[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
        {
            at = i + len;
            continue;
        }
        let start = i + len;
        let end = lower[start..]
            .find(['.', ',', ';', ')', '(', ':', '、', '。', '（', '）'])
            .map(|e| e + start)
            .unwrap_or(lower.len());
        let phrase = text[start..end].trim();
        let lp = phrase.to_ascii_lowercase();
        let (phrase, section) = match lp.rfind(" section") {
            Some(k) => (phrase[..k].trim(), true),
            None => (phrase, false),
        };
        if !phrase.is_empty() && phrase.chars().count() <= 80 {
            out.push((phrase.to_string(), section));
        }
        at = end.max(start);
        if at == start {
            at += 1;
        }
        while at < lower.len() && !lower.is_char_boundary(at) {
            at += 1;
        }
    }
    out
}

/// The label of a decision option: the text before `:` or `→`, or before "see / continue
/// with / go to ...".
fn option_label(raw: &str) -> Option<String> {
    let text = inline(raw);
    let lower = text.to_ascii_lowercase();
    let verb = [
        " see ",
        " go to ",
        " continue with ",
        " follow ",
        " refer to ",
        " jump to ",
    ]
    .iter()
    .filter_map(|v| lower.find(v))
    .min();
    let sep = text.find([':', '：', '→']);
    let at = match (sep, verb) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let cut = text[..at].trim().trim_end_matches([',', ';', '、']).trim();
    (!cut.is_empty()).then(|| cut.to_string())
}

/// Words of a title or phrase, for comparing: ASCII letters lowercased, runs of other
/// scripts kept, punctuation dropped.
fn norm_words(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_string()
}

/// Section titles and match terms, normalised, for resolving "see the X section".
struct Names {
    titles: HashMap<String, usize>,
    terms: HashMap<String, usize>,
}

impl Names {
    fn new(sections: &[Section]) -> Self {
        let mut titles = HashMap::new();
        let mut terms = HashMap::new();
        for (i, s) in sections.iter().enumerate() {
            titles.entry(norm_words(&s.title)).or_insert(i);
            for t in &s.match_terms {
                terms.entry(norm_words(t)).or_insert(i);
            }
        }
        Names { titles, terms }
    }

    fn resolve(&self, sections: &[Section], phrase: &str) -> Option<usize> {
        let p = norm_words(phrase);
        if p.is_empty() {
            return None;
        }
        let p = p.strip_prefix("the ").unwrap_or(&p).to_string();
        if let Some(&i) = self.titles.get(&p).or_else(|| self.terms.get(&p)) {
            return Some(i);
        }
        let shared = if p.contains("rollback") || p.contains("roll back") {
            Some(SharedKind::Rollback)
        } else if p.contains("escalation level") {
            Some(SharedKind::Escalation)
        } else if p.contains("severity") {
            Some(SharedKind::Severity)
        } else if p.contains("common problem") || p.contains("troubleshooting") {
            Some(SharedKind::CommonProblems)
        } else {
            None
        };
        shared.and_then(|k| {
            sections
                .iter()
                .position(|s| s.kind == SectionKind::Shared(k))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Deadlines

/// Deadlines from tables with a severity column and a "Respond within" / "対応時間" column.
fn table_deadlines(
    blocks: &[(usize, Block)],
    nodes: &[Node],
    plan_nodes: &[usize],
) -> Vec<Deadline> {
    let mut out = Vec::new();
    for &n in plan_nodes {
        let nd = &nodes[n];
        let mut rows: Vec<&str> = Vec::new();
        for (_, b) in blocks[nd.start..nd.end]
            .iter()
            .chain(std::iter::once(&(0, Block::Blank)))
        {
            if let Block::Row { text } = b {
                rows.push(text);
                continue;
            }
            if rows.len() >= 2 {
                out.extend(deadlines_of_table(&rows));
            }
            rows.clear();
        }
    }
    out
}

fn cells(row: &str) -> Vec<String> {
    let t = row.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    t.split('|').map(inline).collect()
}

fn deadlines_of_table(rows: &[&str]) -> Vec<Deadline> {
    let header = cells(rows[0]);
    let lower: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
    let Some(dcol) = lower.iter().position(|h| {
        [
            "respond within",
            "response time",
            "deadline",
            "対応時間",
            "対応期限",
            "sla",
            "respond",
        ]
        .iter()
        .any(|w| h.contains(w))
    }) else {
        return Vec::new();
    };
    let scol = lower
        .iter()
        .position(|h| {
            [
                "severity",
                "level",
                "priority",
                "レベル",
                "重要度",
                "緊急度",
            ]
            .iter()
            .any(|w| h.contains(w))
        })
        .unwrap_or(0);
    let mut out = Vec::new();
    for row in &rows[1..] {
        let c = cells(row);
        if c.iter()
            .all(|x| x.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        {
            continue;
        }
        let (Some(s), Some(d)) = (c.get(scol), c.get(dcol)) else {
            continue;
        };
        if let Some(sev) = severity_word(s).or_else(|| Heading::parse(s).severity) {
            out.push(Deadline {
                severity: Some(sev),
                secs: parse_duration(d),
                text: d.clone(),
            });
        }
    }
    out
}

/// The first duration of a text: `15 minutes`, `即座（15分以内）`, `1時間以内`, `4 hours`,
/// `1 business day`, `1営業日以内` (a business day counts 24 h, as in
/// [`Severity::deadline`]).
pub fn parse_duration(text: &str) -> Option<Ts> {
    let lower = text.to_lowercase();
    let lower = lower
        .replace("an hour", "1 hour")
        .replace("one hour", "1 hour")
        .replace("one business day", "1 business day")
        .replace("one day", "1 day");
    let chars: Vec<char> = lower.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
        if !digit(chars[i]) {
            i += 1;
            continue;
        }
        let mut n: i64 = 0;
        while i < chars.len() && digit(chars[i]) {
            let d = if chars[i].is_ascii_digit() {
                chars[i] as i64 - '0' as i64
            } else {
                chars[i] as i64 - '０' as i64
            };
            n = n.saturating_mul(10).saturating_add(d);
            i += 1;
        }
        let rest: String = chars[i..].iter().collect();
        let rest = rest.trim_start();
        let unit: Option<Ts> = if rest.starts_with("営業日") || rest.starts_with("business day")
        {
            Some(24 * HOUR)
        } else if rest.starts_with("分") || rest.starts_with("min") {
            Some(MINUTE)
        } else if rest.starts_with("時間")
            || rest.starts_with("hour")
            || rest.starts_with("hr")
            || rest.starts_with('h')
        {
            Some(HOUR)
        } else if rest.starts_with("日") || rest.starts_with("day") || rest.starts_with('d') {
            Some(24 * HOUR)
        } else if rest.starts_with("秒") || rest.starts_with("sec") {
            Some(1)
        } else {
            None
        };
        if let Some(u) = unit {
            return Some(n.saturating_mul(u));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Headings

/// A heading's parts: title for display, severity in brackets, explicit `{#id}`, `Alert:`.
struct Heading {
    title: String,
    severity: Option<Severity>,
    id: Option<String>,
    /// Written as `Alert: X` / `Alarm: X`.
    alert: bool,
    /// The heading as written, without its `{#id}`, for its GitHub anchor.
    raw_no_id: String,
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
        let raw_no_id = rest.trim().to_string();
        let mut severity = None;
        let mut search = rest.len();
        // From the end: the last bracket group that is a severity.
        while search > 0 {
            let Some((open, oc)) = rest[..search]
                .char_indices()
                .rev()
                .find(|(_, c)| matches!(c, '(' | '（' | '[' | '【'))
            else {
                break;
            };
            let close = match oc {
                '(' => ')',
                '（' => '）',
                '[' => ']',
                _ => '】',
            };
            let inner_start = open + oc.len_utf8();
            if let Some(len) = rest[inner_start..].find(close) {
                // A full-width group may close with an ASCII bracket and the other way round.
                if let Some(s) = severity_word(&rest[inner_start..inner_start + len]) {
                    severity = Some(s);
                    rest.replace_range(open..inner_start + len + close.len_utf8(), " ");
                    break;
                }
            } else if let Some(len) = rest[inner_start..].find([')', '）', ']', '】']) {
                if let Some(s) = severity_word(&rest[inner_start..inner_start + len]) {
                    let cl = rest[inner_start + len..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
                    severity = Some(s);
                    rest.replace_range(open..inner_start + len + cl, " ");
                    break;
                }
            }
            search = open;
        }
        let title = inline(&rest);
        let title = strip_number(&title).to_string();
        let (title, alert) = strip_alert(&title);
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        Heading {
            title,
            severity,
            id,
            alert,
            raw_no_id,
        }
    }
}

/// `Alert: X` → (`X`, true).
fn strip_alert(title: &str) -> (String, bool) {
    for p in ["alert", "alarm", "アラート", "アラーム"] {
        if title.len() > p.len()
            && title.is_char_boundary(p.len())
            && title[..p.len()].eq_ignore_ascii_case(p)
        {
            let rest = title[p.len()..].trim_start();
            if let Some(r) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：')) {
                if !r.trim().is_empty() {
                    return (r.trim().to_string(), true);
                }
            }
        }
    }
    (title.to_string(), false)
}

/// `Critical`, `severity: high`, `Sev Medium`, `P1`, `SEV-2`, `緊急` → the severity.
pub fn severity_word(inner: &str) -> Option<Severity> {
    let lower = inline(inner).trim().to_lowercase();
    let mut word = lower.as_str();
    let mut prefixed = false;
    for p in ["severity", "priority", "重要度", "緊急度", "sev", "p"] {
        if let Some(w) = word.strip_prefix(p) {
            let w = w.trim_start_matches([':', ' ', '=', '-', '：']);
            if w.is_empty() || (p == "p" && !w.starts_with(|c: char| c.is_ascii_digit())) {
                continue;
            }
            word = w;
            prefixed = true;
            break;
        }
    }
    match word.trim() {
        "critical" | "crit" | "緊急" | "重大" | "致命的" => Some(Severity::Critical),
        "high" | "高" | "重要" => Some(Severity::High),
        "medium" | "med" | "moderate" | "中" => Some(Severity::Medium),
        "low" | "低" | "info" => Some(Severity::Low),
        "1" if prefixed => Some(Severity::Critical),
        "2" if prefixed => Some(Severity::High),
        "3" if prefixed => Some(Severity::Medium),
        "4" if prefixed => Some(Severity::Low),
        _ => None,
    }
}

/// `1. Title` / `1) Title` → `Title`.
fn strip_number(title: &str) -> &str {
    numbered(title).filter(|t| !t.is_empty()).unwrap_or(title)
}

#[cfg(test)]
mod tests;
