//! Lines to blocks: the Markdown a runbook reader needs (headings, list items with nesting and
//! checkboxes, fenced blocks, table rows, rules, text), each with its 1-based line. Nothing
//! here fails: an unclosed fence runs to the end of the file (as CommonMark reads it) and is
//! reported as a warning.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Block<'a> {
    Blank,
    Rule,
    Heading {
        level: usize,
        text: &'a str,
    },
    Item {
        indent: usize,
        numbered: bool,
        /// `Some(ticked)` for `- [ ]` / `- [x]`.
        check: Option<bool>,
        text: &'a str,
    },
    /// A `|`-delimited table row (separator rows included).
    Row {
        text: &'a str,
    },
    Text {
        indent: usize,
        text: &'a str,
    },
    Fence {
        lang: &'a str,
        lines: Vec<&'a str>,
    },
}

/// Split into lines (LF, CRLF or lone CR; a leading BOM dropped) and group them into blocks.
/// Warnings (an unclosed fence) go to `warn` with their line.
pub(super) fn blocks<'a>(
    text: &'a str,
    warn: &mut Vec<(usize, String)>,
) -> Vec<(usize, Block<'a>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
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
                warn.push((
                    i + 1,
                    format!(
                        "the fenced block opened here is never closed (expected a closing `{}` \
                         line); read it to the end of the file",
                        &rest[..fence_len]
                    ),
                ));
            }
            out.push((i + 1, Block::Fence { lang, lines: body }));
        } else {
            out.push((i + 1, classify(indent, rest)));
        }
    }
    out
}

/// Leading whitespace as a column count (a tab counts 4) and the rest of the line.
pub(super) fn indentation(line: &str) -> (usize, &str) {
    let mut cols = 0;
    for (i, c) in line.char_indices() {
        match c {
            ' ' => cols += 1,
            '\t' => cols += 4,
            '\u{3000}' => cols += 2,
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
            let stripped = text.trim_end_matches('#');
            // A closing run of `#` only counts after a space (`# C#` keeps its `#`).
            let text = if stripped.is_empty() || stripped.ends_with(char::is_whitespace) {
                stripped.trim_end()
            } else {
                text
            };
            return Block::Heading {
                level: hashes,
                text,
            };
        }
        if is_rule(rest) {
            return Block::Rule;
        }
        if rest.starts_with('|') {
            return Block::Row {
                text: rest.trim_end(),
            };
        }
    }
    if let Some(text) = bullet(rest) {
        let (check, text) = checkbox(text);
        return Block::Item {
            indent,
            numbered: false,
            check,
            text,
        };
    }
    if let Some(text) = numbered(rest) {
        let (check, text) = checkbox(text);
        return Block::Item {
            indent,
            numbered: true,
            check,
            text,
        };
    }
    Block::Text {
        indent,
        text: rest.trim_end(),
    }
}

/// `[ ] x` / `[x] x` → (Some(ticked), x).
fn checkbox(text: &str) -> (Option<bool>, &str) {
    let mut chars = text.chars();
    if chars.next() == Some('[') {
        let mark = chars.next();
        if chars.next() == Some(']') {
            let rest = chars.as_str();
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                match mark {
                    Some(' ') => return (Some(false), rest.trim_start()),
                    Some('x' | 'X') => return (Some(true), rest.trim_start()),
                    _ => {}
                }
            }
        }
    }
    (None, text)
}

/// `---`, `***`, `___` (spaces allowed between).
fn is_rule(rest: &str) -> bool {
    let t: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3
        && (t.chars().all(|c| c == '-')
            || t.chars().all(|c| c == '*')
            || t.chars().all(|c| c == '_'))
}

/// `- x`, `* x`, `+ x`, `・x` → `x`.
pub(super) fn bullet(rest: &str) -> Option<&str> {
    if let Some(t) = rest.strip_prefix('・') {
        return Some(t.trim());
    }
    let mut chars = rest.chars();
    let c = chars.next()?;
    if !matches!(c, '-' | '*' | '+') {
        return None;
    }
    let after = chars.as_str();
    if after.is_empty() {
        return Some("");
    }
    after.starts_with(char::is_whitespace).then(|| after.trim())
}

/// `1. x`, `1) x`, `１．x` → `x`.
pub(super) fn numbered(rest: &str) -> Option<&str> {
    let digits: usize = rest
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_digit() || ('０'..='９').contains(c))
        .map(|(_, c)| c.len_utf8())
        .sum();
    if digits == 0 || digits > 27 {
        return None;
    }
    let after = &rest[digits..];
    let after = after
        .strip_prefix('.')
        .or_else(|| after.strip_prefix(')'))
        .or_else(|| after.strip_prefix('．'))?;
    if after.is_empty() {
        return Some("");
    }
    after.starts_with(char::is_whitespace).then(|| after.trim())
}
