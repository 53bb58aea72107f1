//! Keys as data: keymap files map keys to [`Command`]s.
//!
//! A keymap is a TOML file with one `[keys]` table; each entry binds one key to one command
//! (several keys may share a command):
//!
//! ```toml
//! [keys]
//! q = "quit"
//! "ctrl-c" = "quit"
//! "shift-tab" = "focus-prev"
//! ```
//!
//! Key syntax: a single character (`q`, `?`, `/`, `G`, `1`), or a named key (see
//! [`NAMED_KEYS`]), optionally after the modifiers `ctrl-`, `alt-` and `shift-`. Names and
//! modifiers are case-insensitive; single characters are not (`g` and `G` differ, and
//! `shift-g` is the same key as `G`). `shift-tab` is the same key as `backtab`.
//!
//! Two keymaps are built in (`keymaps/default.toml` and `keymaps/vim.toml`). A user file
//! (by default `<config dir>/opsdeck/keymap.toml`) is laid over the chosen one: it rebinds
//! single keys and unbinds a key with `"none"` (or `""`). Anything unknown is refused with the
//! file, the line and the list of what is valid.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::app::{Command, HelpLine};

/// The named keys a keymap may use (canonical spelling), in display order.
pub const NAMED_KEYS: [&str; 17] = [
    "enter",
    "esc",
    "tab",
    "backtab",
    "backspace",
    "up",
    "down",
    "left",
    "right",
    "home",
    "end",
    "pageup",
    "pagedown",
    "space",
    "delete",
    "insert",
    "f1..f12",
];

/// The value that unbinds a key in a user keymap (an empty string does too).
pub const UNBIND: &str = "none";

/// The built-in keymaps, by name.
pub const BUILTIN_NAMES: [&str; 2] = ["default", "vim"];

const DEFAULT_TOML: &str = include_str!("../keymaps/default.toml");
const VIM_TOML: &str = include_str!("../keymaps/vim.toml");

/// One key with its modifiers, normalised so that a key press and a keymap entry compare
/// equal: `BackTab` never carries SHIFT, characters never carry SHIFT (the character itself
/// is upper-case), and only CONTROL, ALT and SHIFT are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyCombo {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyCombo {
    /// A combo from a code and modifiers, normalised.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyCombo {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Char(c) => {
                // The character already says whether shift was held.
                let c = if mods.contains(KeyModifiers::SHIFT) && c.is_lowercase() {
                    upper(c)
                } else {
                    c
                };
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c)
            }
            other => other,
        };
        KeyCombo { code, mods }
    }

    /// The combo a key press stands for; `None` for releases and for keys a keymap cannot
    /// name (media keys, lone modifiers, caps lock, super/hyper chords...).
    pub fn from_event(event: &KeyEvent) -> Option<KeyCombo> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        if event
            .modifiers
            .intersects(KeyModifiers::SUPER | KeyModifiers::HYPER)
        {
            return None;
        }
        let supported = match event.code {
            KeyCode::F(n) => (1..=12).contains(&n),
            KeyCode::Char(c) => !c.is_control(),
            code => named_name(code).is_some(),
        };
        if !supported {
            return None;
        }
        let mut mods = event.modifiers;
        if mods.contains(KeyModifiers::META) {
            // Some terminals report Alt as Meta.
            mods.insert(KeyModifiers::ALT);
        }
        Some(KeyCombo::new(event.code, mods))
    }

    /// Parse keymap key syntax (`q`, `G`, `ctrl-c`, `shift-tab`, `f5`, `alt-enter`...).
    pub fn parse(text: &str) -> Result<KeyCombo, String> {
        let mut rest = text;
        let mut mods = KeyModifiers::NONE;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            if rest.len() == len {
                // e.g. "ctrl-" alone: not a modifier but a (bad) key name.
                break;
            }
            if mods.contains(m) {
                return Err(format!("`{text}` repeats the modifier `{}`", &rest[..len]));
            }
            mods.insert(m);
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err("an empty key".into()),
            (Some(c), None) => {
                if c.is_control() || c.is_whitespace() {
                    return Err(format!(
                        "`{}` is not a printable character (write `space` for the space bar)",
                        rest.escape_debug()
                    ));
                }
                if mods.contains(KeyModifiers::SHIFT) && !c.is_alphabetic() {
                    return Err(format!(
                        "`{text}`: `shift-` combines only with letters and named keys; write the shifted character itself (e.g. `!`, not `shift-1`)"
                    ));
                }
                KeyCode::Char(c)
            }
            _ => named_code(&rest.to_ascii_lowercase())
                .ok_or_else(|| format!("`{rest}` is not a key"))?,
        };
        Ok(KeyCombo::new(code, mods))
    }

    fn sort_key(&self) -> (u32, u8, usize, String) {
        let class = match self.code {
            KeyCode::Char(_) => 0,
            _ => 1,
        };
        let named = named_name(self.code)
            .and_then(|n| NAMED_KEYS.iter().position(|k| *k == n))
            .unwrap_or(NAMED_KEYS.len());
        (
            self.mods.bits().count_ones(),
            class,
            named,
            self.to_string(),
        )
    }
}

fn upper(c: char) -> char {
    let mut u = c.to_uppercase();
    match (u.next(), u.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

/// The canonical name of a non-character key.
fn named_name(code: KeyCode) -> Option<&'static str> {
    Some(match code {
        KeyCode::Enter => "enter",
        KeyCode::Esc => "esc",
        KeyCode::Tab => "tab",
        KeyCode::BackTab => "backtab",
        KeyCode::Backspace => "backspace",
        KeyCode::Up => "up",
        KeyCode::Down => "down",
        KeyCode::Left => "left",
        KeyCode::Right => "right",
        KeyCode::Home => "home",
        KeyCode::End => "end",
        KeyCode::PageUp => "pageup",
        KeyCode::PageDown => "pagedown",
        KeyCode::Char(' ') => "space",
        KeyCode::Delete => "delete",
        KeyCode::Insert => "insert",
        KeyCode::F(_) => "f1..f12",
        _ => return None,
    })
}

/// A named key (lower-case) to its code; a few common aliases are accepted.
fn named_code(name: &str) -> Option<KeyCode> {
    Some(match name {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdown" | "pgdn" => KeyCode::PageDown,
        "space" => KeyCode::Char(' '),
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        f if f.starts_with('f') => {
            let n: u8 = f[1..].parse().ok()?;
            if !(1..=12).contains(&n) || f[1..].starts_with('0') {
                return None;
            }
            KeyCode::F(n)
        }
        _ => return None,
    })
}

impl fmt::Display for KeyCombo {
    /// Keymap syntax: `ctrl-c`, `shift-up`, `G`, `space`, `f5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            code => f.write_str(named_name(code).unwrap_or("?")),
        }
    }
}

/// A keymap file that could not be used: where, and what was wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct KeymapError {
    /// The file (or `builtin:<name>`).
    pub origin: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::config::write_file_error(f, "keymap", &self.origin, self.line, &self.message)
    }
}

impl std::error::Error for KeymapError {}

/// The 1-based line of a byte offset in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn valid_commands() -> String {
    Command::names().collect::<Vec<_>>().join(", ")
}

fn key_syntax() -> String {
    format!(
        "a key is a single character (q, ?, /, G, 1) or a named key ({}), optionally after ctrl-, alt-, shift- (e.g. ctrl-c, shift-tab, alt-enter)",
        NAMED_KEYS.join(", ")
    )
}

/// Keys bound to commands.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Keymap {
    pub bindings: HashMap<KeyCombo, Command>,
}

/// One parsed `[keys]` entry: the key, its command (`None` = unbind) and the key's line.
struct Entry {
    key: KeyCombo,
    command: Option<Command>,
    line: usize,
    written: String,
}

impl Keymap {
    /// The command a key press is bound to.
    pub fn lookup(&self, event: &KeyEvent) -> Option<Command> {
        self.bindings.get(&KeyCombo::from_event(event)?).copied()
    }

    /// The command bound to a key written in keymap syntax (e.g. `enter`, `a`, `ctrl-c`), for
    /// scripted key presses (`snapshot --press`).
    pub fn command_for_key_name(&self, key: &str) -> Result<Command, String> {
        let combo = KeyCombo::parse(key)?;
        self.bindings
            .get(&combo)
            .copied()
            .ok_or_else(|| format!("`{key}` is not bound to anything in the active keymap"))
    }

    /// The keys bound to a command: unmodified keys first, characters before named keys.
    pub fn keys_for(&self, command: Command) -> Vec<KeyCombo> {
        let mut keys: Vec<KeyCombo> = self
            .bindings
            .iter()
            .filter(|(_, c)| **c == command)
            .map(|(k, _)| *k)
            .collect();
        keys.sort_by_key(|k| k.sort_key());
        keys
    }

    /// One help line per bound command, in [`Command::TABLE`] order.
    pub fn help_lines(&self) -> Vec<HelpLine> {
        Command::TABLE
            .iter()
            .filter_map(|(_, command, _)| {
                let keys = self.keys_for(*command);
                if keys.is_empty() {
                    return None;
                }
                let keys = keys
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                Some(HelpLine {
                    keys,
                    command: *command,
                })
            })
            .collect()
    }

    /// Commands no key reaches.
    pub fn unbound(&self) -> Vec<Command> {
        Command::TABLE
            .iter()
            .map(|(_, c, _)| *c)
            .filter(|c| !self.bindings.values().any(|b| b == c))
            .collect()
    }

    /// The shipped default keymap.
    pub fn builtin_default() -> Keymap {
        Keymap::builtin("default").expect("the shipped keymaps/default.toml is valid")
    }

    /// A built-in keymap by name (`default`, `vim`).
    pub fn builtin(name: &str) -> Option<Keymap> {
        let text = match name {
            "default" => DEFAULT_TOML,
            "vim" => VIM_TOML,
            _ => return None,
        };
        Some(Keymap::parse(text, &format!("builtin:{name}")).expect("a shipped keymap is valid"))
    }

    /// Read a keymap file.
    pub fn from_file(path: &Path) -> Result<Keymap, KeymapError> {
        let text = read(path)?;
        Keymap::parse(&text, &path.display().to_string())
    }

    /// Parse keymap text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Keymap, KeymapError> {
        let mut map = Keymap::default();
        for e in parse_entries(text, origin)? {
            if let Some(c) = e.command {
                map.bindings.insert(e.key, c);
            }
        }
        Ok(map)
    }

    /// Lay a user keymap over this one: its keys replace single bindings, `"none"` or `""`
    /// unbinds a key.
    pub fn overlay(&mut self, user_text: &str, origin: &str) -> Result<(), KeymapError> {
        for e in parse_entries(user_text, origin)? {
            match e.command {
                Some(c) => self.bindings.insert(e.key, c),
                None => self.bindings.remove(&e.key),
            };
        }
        Ok(())
    }
}

/// `<config dir>/opsdeck/keymap.toml` (whether or not it exists); `None` without a config
/// directory.
pub fn default_user_file() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("opsdeck").join("keymap.toml"))
}

/// The keymap opsdeck runs with: `keymap_arg` (a built-in name, `default` or `vim`, or a file
/// path; the default keymap without it), with `user_file` laid over it when that file exists.
pub fn load(keymap_arg: Option<&Path>, user_file: Option<&Path>) -> Result<Keymap, KeymapError> {
    let mut map = match keymap_arg {
        None => Keymap::builtin_default(),
        Some(arg) => match arg.to_str().and_then(Keymap::builtin) {
            Some(map) => map,
            None => Keymap::from_file(arg)?,
        },
    };
    if let Some(path) = user_file {
        match std::fs::read_to_string(path) {
            Ok(text) => map.overlay(&text, &path.display().to_string())?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(path, e)),
        }
    }
    Ok(map)
}

fn io_error(path: &Path, e: std::io::Error) -> KeymapError {
    KeymapError {
        origin: path.display().to_string(),
        line: None,
        message: format!("cannot read: {e}"),
    }
}

fn read(path: &Path) -> Result<String, KeymapError> {
    std::fs::read_to_string(path).map_err(|e| io_error(path, e))
}

fn parse_entries(text: &str, origin: &str) -> Result<Vec<Entry>, KeymapError> {
    let err = |span: Range<usize>, message: String| KeymapError {
        origin: origin.to_string(),
        line: Some(line_of(text, span.start)),
        message,
    };
    let doc = DeTable::parse(text).map_err(|e| KeymapError {
        origin: origin.to_string(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: format!("not valid TOML: {}", e.message()),
    })?;
    let doc = doc.get_ref();
    let mut top: Vec<_> = doc.iter().collect();
    top.sort_by_key(|(k, _)| k.span().start);
    for (k, _) in &top {
        if k.get_ref() != "keys" {
            return Err(err(
                k.span(),
                format!(
                    "unknown table or key `{}`: a keymap has only a `[keys]` table",
                    k.get_ref()
                ),
            ));
        }
    }
    let Some(keys) = doc.get("keys") else {
        return Err(KeymapError {
            origin: origin.to_string(),
            line: None,
            message: "no `[keys]` table".into(),
        });
    };
    let Some(table) = keys.get_ref().as_table() else {
        return Err(err(
            keys.span(),
            format!(
                "`keys` must be a table, found a {}",
                keys.get_ref().type_str()
            ),
        ));
    };
    let mut items: Vec<(&Spanned<std::borrow::Cow<str>>, &Spanned<DeValue>)> =
        table.iter().collect();
    items.sort_by_key(|(k, _)| k.span().start);
    let mut out: Vec<Entry> = Vec::with_capacity(items.len());
    for (k, v) in items {
        let written = k.get_ref().to_string();
        let key = KeyCombo::parse(&written).map_err(|why| {
            err(
                k.span(),
                format!("bad key `{written}`: {why}; {}", key_syntax()),
            )
        })?;
        let line = line_of(text, k.span().start);
        let Some(name) = v.get_ref().as_str() else {
            return Err(err(
                v.span(),
                format!(
                    "key `{written}`: expected a command name in quotes, found a {}; valid commands: {}",
                    v.get_ref().type_str(),
                    valid_commands()
                ),
            ));
        };
        let name = name.trim();
        let command = if name.is_empty() || name.eq_ignore_ascii_case(UNBIND) {
            None
        } else {
            Some(Command::from_name(name).ok_or_else(|| {
                err(
                    v.span(),
                    format!(
                        "key `{written}`: unknown command `{name}`; valid commands: {} (or \"{UNBIND}\" to unbind)",
                        valid_commands()
                    ),
                )
            })?)
        };
        if let Some(prev) = out.iter().find(|e| e.key == key) {
            return Err(err(
                k.span(),
                format!(
                    "`{written}` is the same key as `{}` on line {}: one key, one command",
                    prev.written, prev.line
                ),
            ));
        }
        out.push(Entry {
            key,
            command,
            line,
            written,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    fn k(text: &str) -> KeyCombo {
        KeyCombo::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn parses_every_key_syntax() {
        let none = KeyModifiers::NONE;
        let cases: &[(&str, KeyCode, KeyModifiers)] = &[
            ("q", KeyCode::Char('q'), none),
            ("?", KeyCode::Char('?'), none),
            ("/", KeyCode::Char('/'), none),
            ("G", KeyCode::Char('G'), none),
            ("1", KeyCode::Char('1'), none),
            ("-", KeyCode::Char('-'), none),
            ("enter", KeyCode::Enter, none),
            ("Return", KeyCode::Enter, none),
            ("ESC", KeyCode::Esc, none),
            ("tab", KeyCode::Tab, none),
            ("backtab", KeyCode::BackTab, none),
            ("shift-tab", KeyCode::BackTab, none),
            ("backspace", KeyCode::Backspace, none),
            ("up", KeyCode::Up, none),
            ("down", KeyCode::Down, none),
            ("left", KeyCode::Left, none),
            ("right", KeyCode::Right, none),
            ("home", KeyCode::Home, none),
            ("end", KeyCode::End, none),
            ("PageUp", KeyCode::PageUp, none),
            ("pagedown", KeyCode::PageDown, none),
            ("space", KeyCode::Char(' '), none),
            ("delete", KeyCode::Delete, none),
            ("insert", KeyCode::Insert, none),
            ("f1", KeyCode::F(1), none),
            ("F12", KeyCode::F(12), none),
            ("ctrl-c", KeyCode::Char('c'), KeyModifiers::CONTROL),
            ("Ctrl-D", KeyCode::Char('D'), KeyModifiers::CONTROL),
            ("alt-enter", KeyCode::Enter, KeyModifiers::ALT),
            (
                "ctrl-alt-x",
                KeyCode::Char('x'),
                KeyModifiers::CONTROL | KeyModifiers::ALT,
            ),
            ("shift-g", KeyCode::Char('G'), none),
            ("SHIFT-up", KeyCode::Up, KeyModifiers::SHIFT),
            ("ctrl--", KeyCode::Char('-'), KeyModifiers::CONTROL),
        ];
        for (text, code, mods) in cases {
            assert_eq!(
                k(text),
                KeyCombo {
                    code: *code,
                    mods: *mods
                },
                "{text}"
            );
        }
        assert_eq!(k("shift-g"), k("G"));
        assert_eq!(k("shift-tab"), k("backtab"));
    }

    #[test]
    fn refuses_bad_keys() {
        for bad in [
            "",
            "f13",
            "f0",
            "f01",
            "enterr",
            "ctrl-",
            "hyper-x",
            "shift-1",
            "ctrl-ctrl-c",
            "ab",
            "\t",
        ] {
            assert!(KeyCombo::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "q",
            "?",
            "G",
            "1",
            "enter",
            "esc",
            "tab",
            "shift-tab",
            "backspace",
            "up",
            "pagedown",
            "space",
            "delete",
            "insert",
            "f7",
            "ctrl-c",
            "alt-enter",
            "ctrl-alt-x",
            "shift-up",
            "ctrl--",
            "home",
            "end",
        ] {
            let combo = k(text);
            assert_eq!(combo.to_string(), text);
            assert_eq!(k(&combo.to_string()), combo);
        }
        assert_eq!(k("shift-g").to_string(), "G");
        assert_eq!(k("backtab").to_string(), "shift-tab");
        assert_eq!(k("Ctrl-PgUp").to_string(), "ctrl-pageup");
    }

    #[test]
    fn events_are_normalised() {
        let shift = KeyModifiers::SHIFT;
        // BackTab arrives with SHIFT.
        assert_eq!(
            KeyCombo::from_event(&press(KeyCode::BackTab, shift)),
            Some(k("shift-tab"))
        );
        // Upper-case letters may or may not carry SHIFT.
        assert_eq!(
            KeyCombo::from_event(&press(KeyCode::Char('G'), shift)),
            Some(k("G"))
        );
        assert_eq!(
            KeyCombo::from_event(&press(KeyCode::Char('G'), KeyModifiers::NONE)),
            Some(k("shift-g"))
        );
        // Shifted punctuation is the character itself.
        assert_eq!(
            KeyCombo::from_event(&press(KeyCode::Char('?'), shift)),
            Some(k("?"))
        );
        assert_eq!(
            KeyCombo::from_event(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(k("ctrl-c"))
        );
        assert_eq!(
            KeyCombo::from_event(&press(KeyCode::Up, shift)),
            Some(k("shift-up"))
        );
        // Releases, super chords and unnameable keys are nothing.
        let mut release = press(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(KeyCombo::from_event(&release), None);
        assert_eq!(
            KeyCombo::from_event(&press(KeyCode::Char('q'), KeyModifiers::SUPER)),
            None
        );
        assert_eq!(
            KeyCombo::from_event(&press(KeyCode::CapsLock, KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            KeyCombo::from_event(&press(KeyCode::F(13), KeyModifiers::NONE)),
            None
        );

        let map = Keymap::builtin_default();
        assert_eq!(
            map.lookup(&press(KeyCode::Char('G'), shift)),
            Some(Command::Bottom)
        );
        assert_eq!(
            map.lookup(&press(KeyCode::Char('G'), KeyModifiers::NONE)),
            Some(Command::Bottom)
        );
        assert_eq!(
            map.lookup(&press(KeyCode::BackTab, shift)),
            Some(Command::FocusPrev)
        );
        assert_eq!(
            map.lookup(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Command::Quit)
        );
        assert_eq!(
            map.lookup(&press(KeyCode::Char('c'), KeyModifiers::NONE)),
            Some(Command::ClearFilter)
        );
        assert_eq!(
            map.lookup(&press(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Command::StepDone)
        );
        assert_eq!(
            map.lookup(&press(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Command::CheckMark)
        );
        assert_eq!(
            map.lookup(&press(KeyCode::Char('Z'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn unknown_command_is_refused_with_file_line_and_valid_names() {
        let text = "# my keys\n[keys]\nq = \"quit\"\ntab = \"focus-nxt\"\n";
        let e = Keymap::parse(text, "/home/me/keys.toml").unwrap_err();
        assert_eq!(e.line, Some(4));
        let msg = e.to_string();
        assert!(msg.contains("/home/me/keys.toml"), "{msg}");
        assert!(msg.contains("line 4"), "{msg}");
        assert!(msg.contains("`focus-nxt`"), "{msg}");
        for name in Command::names() {
            assert!(msg.contains(name), "{name} missing from: {msg}");
        }
        // Not a string at all.
        let e = Keymap::parse("[keys]\n\nq = 3\n", "k.toml").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("focus-next"), "{e}");
    }

    #[test]
    fn bad_key_is_refused_with_syntax_help() {
        let text = "[keys]\nq = \"quit\"\n\n\"ctrl-enterr\" = \"select\"\n";
        let e = Keymap::parse(text, "bad.toml").unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.line, Some(4), "{msg}");
        assert!(msg.contains("bad.toml") && msg.contains("line 4"), "{msg}");
        assert!(msg.contains("ctrl-enterr"), "{msg}");
        assert!(msg.contains("pagedown") && msg.contains("ctrl-"), "{msg}");
    }

    #[test]
    fn same_key_twice_is_refused() {
        let e = Keymap::parse(
            "[keys]\nG = \"bottom\"\n\"shift-g\" = \"top\"\n",
            "dup.toml",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("line 2"), "{e}");
    }

    #[test]
    fn malformed_toml_and_unknown_tables() {
        let e = Keymap::parse("[keys]\nq = \"quit\"\nj = \"down\n", "broken.toml").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.to_string().contains("broken.toml, line 3"), "{e}");
        assert!(e.message.contains("TOML"), "{e}");

        let e = Keymap::parse("[keys]\nq = \"quit\"\n\n[mouse]\nwheel = 3\n", "extra.toml")
            .unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("`mouse`"), "{e}");

        let e = Keymap::parse("[kyes]\nq = \"quit\"\n", "typo.toml").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(Keymap::parse("# nothing\n", "empty.toml")
            .unwrap_err()
            .message
            .contains("[keys]"));
    }

    #[test]
    fn user_overlay_overrides_and_unbinds() {
        let mut map = Keymap::builtin_default();
        let user = "[keys]\nx = \"quit\"\nq = \"none\"\nl = \"focus-logs\"\nL = \"\"\n";
        map.overlay(user, "user.toml").unwrap();
        let ev = |c| press(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(map.lookup(&ev('x')), Some(Command::Quit));
        assert_eq!(map.lookup(&ev('q')), None);
        assert_eq!(map.lookup(&ev('l')), Some(Command::FocusLogs));
        assert_eq!(map.lookup(&ev('L')), None);
        // Untouched keys stay.
        assert_eq!(map.lookup(&ev('z')), Some(Command::Zoom));
        assert_eq!(map.keys_for(Command::Quit), vec![k("x"), k("ctrl-c")]);
        // Cycle-level lost its only key.
        assert!(map.unbound().contains(&Command::CycleLevel));
        // A bad overlay is refused and names the user file.
        let e = map
            .overlay("[keys]\n\nx = \"quitt\"\n", "user.toml")
            .unwrap_err();
        assert!(e.to_string().contains("user.toml, line 3"), "{e}");
    }

    #[test]
    fn builtin_keymaps_bind_every_command() {
        for name in BUILTIN_NAMES {
            let map = Keymap::builtin(name).unwrap();
            assert_eq!(
                map.unbound(),
                Vec::<Command>::new(),
                "{name} leaves commands unbound"
            );
            assert_eq!(map.help_lines().len(), Command::TABLE.len());
        }
        assert!(Keymap::builtin("emacs").is_none());
    }

    #[test]
    fn default_keymap_has_the_documented_keys() {
        let map = Keymap::builtin_default();
        let expect: &[(&str, Command)] = &[
            ("q", Command::Quit),
            ("ctrl-c", Command::Quit),
            ("tab", Command::FocusNext),
            ("shift-tab", Command::FocusPrev),
            ("up", Command::Up),
            ("k", Command::Up),
            ("down", Command::Down),
            ("j", Command::Down),
            ("pageup", Command::PageUp),
            ("pagedown", Command::PageDown),
            ("home", Command::Top),
            ("g", Command::Top),
            ("end", Command::Bottom),
            ("G", Command::Bottom),
            ("enter", Command::Select),
            ("esc", Command::Back),
            ("z", Command::Zoom),
            ("?", Command::Help),
            ("/", Command::FilterLog),
            ("l", Command::CycleLevel),
            ("c", Command::ClearFilter),
            ("p", Command::PauseLog),
            ("1", Command::Range1h),
            ("2", Command::Range3h),
            ("3", Command::Range24h),
            ("a", Command::FocusAlarms),
            ("L", Command::FocusLogs),
            ("r", Command::FocusRunbook),
            ("d", Command::StepDone),
            ("space", Command::StepDone),
            ("s", Command::StepSkip),
            ("u", Command::StepUndo),
            ("P", Command::Pick),
            ("S", Command::PickSection),
            ("n", Command::Note),
            ("f", Command::Act),
            ("y", Command::Copy),
            ("o", Command::Choose),
            ("b", Command::BackSection),
        ];
        for (key, command) in expect {
            assert_eq!(map.bindings.get(&k(key)), Some(command), "{key}");
        }
        let help = map.help_lines();
        assert_eq!(
            help[0],
            HelpLine {
                keys: "q, ctrl-c".into(),
                command: Command::Quit
            }
        );
        assert_eq!(help[1].command, Command::FocusNext);
    }

    #[test]
    fn vim_keymap_is_vim_flavoured() {
        let map = Keymap::builtin("vim").unwrap();
        let expect: &[(&str, Command)] = &[
            ("h", Command::FocusPrev),
            ("l", Command::FocusNext),
            ("j", Command::Down),
            ("k", Command::Up),
            ("ctrl-u", Command::PageUp),
            ("ctrl-d", Command::PageDown),
            ("g", Command::Top),
            ("G", Command::Bottom),
            ("P", Command::Pick),
            ("p", Command::PauseLog),
            ("S", Command::PickSection),
            ("n", Command::Note),
            ("f", Command::Act),
            ("y", Command::Copy),
            ("o", Command::Choose),
            ("b", Command::BackSection),
        ];
        for (key, command) in expect {
            assert_eq!(map.bindings.get(&k(key)), Some(command), "{key}");
        }
    }

    #[test]
    fn load_picks_builtin_file_and_user_overlay() {
        let dir = std::env::temp_dir().join(format!("opsdeck-keymap-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = dir.join("mine.toml");
        std::fs::write(&base, "[keys]\nx = \"quit\"\n").unwrap();
        let user = dir.join("keymap.toml");
        std::fs::write(&user, "[keys]\ny = \"help\"\n").unwrap();
        let missing = dir.join("absent.toml");

        let m = load(None, Some(&missing)).unwrap();
        assert_eq!(m, Keymap::builtin_default());
        let m = load(Some(Path::new("vim")), None).unwrap();
        assert_eq!(m, Keymap::builtin("vim").unwrap());
        let m = load(Some(&base), Some(&user)).unwrap();
        assert_eq!(m.bindings.len(), 2);
        assert_eq!(m.bindings.get(&k("y")), Some(&Command::Help));
        let e = load(Some(&missing), None).unwrap_err();
        assert!(e.to_string().contains("absent.toml"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(default_user_file().is_none_or(|p| p.ends_with("opsdeck/keymap.toml")));
    }
}
