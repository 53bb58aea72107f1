//! Colours and styles. States are always told apart by a word or symbol as well as colour.
//!
//! Themes are data: `themes/*.toml` (dark, light, high-contrast, colour-blind) are built in
//! with `include_str!` and parsed here, in one place, like a user's theme file
//! (`--theme FILE`); a bad file is refused with its name, line and what was expected.
//! [`Theme::no_color`] is the theme for `NO_COLOR`: no colour at all, states told apart by
//! bold, reverse and underline as well as by their words.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config::check_keys;
use crate::model::alarm::Severity;
use crate::model::log::LogLevel;
use crate::model::threshold::Level;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// `dark`, `light`..., or the name a theme file gives itself.
    pub name: String,
    /// False for the `NO_COLOR` theme: styles use bold, reverse and underline, never colour.
    pub color: bool,
    pub ok: Color,
    pub warn: Color,
    pub crit: Color,
    pub nodata: Color,
    pub text: Color,
    pub dim: Color,
    pub accent: Color,
    pub border: Color,
    pub border_focused: Color,
    /// Chart line colours, in order (p50 / p95 / p99, or per resource).
    pub series: [Color; 4],
    /// Threshold lines.
    pub warn_line: Color,
    pub crit_line: Color,
    pub marker: Color,
    pub header_bg: Color,
    pub header_fg: Color,
    /// Text on a state badge (the badge is the state's colour).
    pub badge_fg: Color,
    /// The presentation banner of a production environment.
    pub banner_prod_bg: Color,
    pub banner_prod_fg: Color,
    /// The presentation banner of any other environment.
    pub banner_bg: Color,
    pub banner_fg: Color,
}

/// The built-in themes, in the order `theme` cycles through them.
pub const BUILTIN: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    (
        "colour-blind",
        include_str!("../../themes/colour-blind.toml"),
    ),
];

/// The name of the `NO_COLOR` theme.
pub const NO_COLOR_NAME: &str = "no-color";

impl Default for Theme {
    fn default() -> Self {
        Self::dark()
    }
}

/// A theme file that could not be used: where, and what was wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeError {
    /// The file (or `builtin:dark`).
    pub origin: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ThemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::config::write_file_error(f, "theme", &self.origin, self.line, &self.message)
    }
}

impl std::error::Error for ThemeError {}

impl Theme {
    /// The default theme (`themes/dark.toml`), parsed once.
    pub fn dark() -> Self {
        static DARK: OnceLock<Theme> = OnceLock::new();
        DARK.get_or_init(|| {
            // The shipped file is tested to parse; were it not to, no colour beats a panic.
            Theme::parse(BUILTIN[0].1, "builtin:dark").unwrap_or_else(|_| Theme::no_color())
        })
        .clone()
    }

    /// A built-in theme by name (`dark`, `light`, `high-contrast`, `colour-blind`; also
    /// `color-blind`, `colorblind`, `high_contrast`...), or `None`.
    pub fn builtin(name: &str) -> Option<Theme> {
        if canonical(name) == canonical(NO_COLOR_NAME) {
            return Some(Theme::no_color());
        }
        let want = canonical(name);
        let (n, text) = BUILTIN.iter().find(|(n, _)| canonical(n) == want)?;
        if *n == "dark" {
            return Some(Theme::dark());
        }
        Theme::parse(text, &format!("builtin:{n}")).ok()
    }

    /// `--theme NAME|FILE`: a built-in theme's name, else a theme file.
    pub fn load(name_or_file: &str) -> Result<Theme, ThemeError> {
        if let Some(t) = Theme::builtin(name_or_file) {
            return Ok(t);
        }
        let path = Path::new(name_or_file);
        match std::fs::read_to_string(path) {
            Ok(text) => Theme::parse(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ThemeError {
                origin: name_or_file.to_string(),
                line: None,
                message: format!(
                    "no such built-in theme or file: use {} or a theme file (TOML, see themes/)",
                    BUILTIN.map(|(n, _)| n).join(", ")
                ),
            }),
            Err(e) => Err(ThemeError {
                origin: path.display().to_string(),
                line: None,
                message: format!("cannot read the file: {e}"),
            }),
        }
    }

    /// The theme for `NO_COLOR`: every colour is the terminal's own; states are shown by
    /// bold (WARN), bold underline (CRIT), reverse (badges) and dim (no data), and words.
    pub fn no_color() -> Self {
        let c = Color::Reset;
        Self {
            name: NO_COLOR_NAME.into(),
            color: false,
            ok: c,
            warn: c,
            crit: c,
            nodata: c,
            text: c,
            dim: c,
            accent: c,
            border: c,
            border_focused: c,
            series: [c; 4],
            warn_line: c,
            crit_line: c,
            marker: c,
            header_bg: c,
            header_fg: c,
            badge_fg: c,
            banner_prod_bg: c,
            banner_prod_fg: c,
            banner_bg: c,
            banner_fg: c,
        }
    }

    /// Parse a theme file; `origin` names it in errors. Keys left out take the dark theme's
    /// colours; unknown keys are refused.
    pub fn parse(text: &str, origin: &str) -> Result<Theme, ThemeError> {
        let err = |span: Option<Range<usize>>, message: String| ThemeError {
            origin: origin.to_string(),
            line: span.map(|s| crate::keymap::line_of(text, s.start)),
            message,
        };
        let doc = DeTable::parse(text)
            .map_err(|e| err(e.span(), format!("not valid TOML: {}", e.message())))?;
        let top = doc.get_ref();
        check_keys(top, &["name", "colors"], "the theme", |span, m| {
            err(Some(span), m)
        })?;
        // Start from the dark theme's colours, built in code so a broken dark.toml cannot
        // recurse here.
        let mut theme = Theme {
            name: String::new(),
            color: true,
            ..base_colors()
        };
        theme.name = match top.get("name") {
            None => Path::new(origin)
                .file_stem()
                .map(|s| {
                    s.to_string_lossy()
                        .trim_start_matches("builtin:")
                        .to_string()
                })
                .unwrap_or_else(|| origin.to_string()),
            Some(v) => match v.get_ref() {
                DeValue::String(s) if !s.trim().is_empty() => s.to_string(),
                other => {
                    return Err(err(
                        Some(v.span()),
                        format!(
                            "expected `name` to be the theme's name in quotes, found {}",
                            describe(other)
                        ),
                    ))
                }
            },
        };
        let Some(colors) = top.get("colors") else {
            return Ok(theme);
        };
        let DeValue::Table(colors) = colors.get_ref() else {
            return Err(err(
                Some(colors.span()),
                format!(
                    "expected `colors` to be a table written [colors], found {}",
                    describe(colors.get_ref())
                ),
            ));
        };
        check_keys(colors, ROLES, "[colors]", |span, m| err(Some(span), m))?;
        for (key, v) in colors.iter() {
            let key = key.get_ref().as_ref();
            if key == "series" {
                let DeValue::Array(items) = v.get_ref() else {
                    return Err(err(
                        Some(v.span()),
                        format!(
                            "expected `series` to be a list of 4 colours, e.g. [\"cyan\", \"magenta\", \"light-blue\", \"white\"], found {}",
                            describe(v.get_ref())
                        ),
                    ));
                };
                if items.len() != 4 {
                    return Err(err(
                        Some(v.span()),
                        format!("expected `series` to list 4 colours, found {}", items.len()),
                    ));
                }
                for (i, item) in items.iter().enumerate() {
                    theme.series[i] = color(item, "series", &err)?;
                }
                continue;
            }
            let c = color(v, key, &err)?;
            *theme.role_mut(key).expect("checked against ROLES") = c;
        }
        Ok(theme)
    }

    fn role_mut(&mut self, key: &str) -> Option<&mut Color> {
        Some(match key {
            "ok" => &mut self.ok,
            "warn" => &mut self.warn,
            "crit" => &mut self.crit,
            "nodata" => &mut self.nodata,
            "text" => &mut self.text,
            "dim" => &mut self.dim,
            "accent" => &mut self.accent,
            "border" => &mut self.border,
            "border_focused" => &mut self.border_focused,
            "warn_line" => &mut self.warn_line,
            "crit_line" => &mut self.crit_line,
            "marker" => &mut self.marker,
            "header_bg" => &mut self.header_bg,
            "header_fg" => &mut self.header_fg,
            "badge_fg" => &mut self.badge_fg,
            "banner_prod_bg" => &mut self.banner_prod_bg,
            "banner_prod_fg" => &mut self.banner_prod_fg,
            "banner_bg" => &mut self.banner_bg,
            "banner_fg" => &mut self.banner_fg,
            _ => return None,
        })
    }

    fn level_color(&self, level: Level) -> Color {
        match level {
            Level::NoData => self.nodata,
            Level::Ok => self.ok,
            Level::Warn => self.warn,
            Level::Crit => self.crit,
        }
    }

    /// Without colour, a level's emphasis: none (OK), bold (WARN), bold underline (CRIT),
    /// dim (no data).
    fn level_modifier(level: Level) -> Modifier {
        match level {
            Level::NoData => Modifier::DIM,
            Level::Ok => Modifier::empty(),
            Level::Warn => Modifier::BOLD,
            Level::Crit => Modifier::BOLD | Modifier::UNDERLINED,
        }
    }

    pub fn level(&self, level: Level) -> Style {
        if !self.color {
            return Style::default().add_modifier(Self::level_modifier(level));
        }
        let s = Style::default().fg(self.level_color(level));
        if level == Level::Crit {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }

    /// A state badge: reversed colour block, e.g. ` CRIT `.
    pub fn badge(&self, level: Level) -> Style {
        if !self.color {
            return Style::default()
                .add_modifier(Modifier::REVERSED | Modifier::BOLD | Self::level_modifier(level));
        }
        Style::default()
            .fg(self.badge_fg)
            .bg(self.level_color(level))
            .add_modifier(Modifier::BOLD)
    }

    pub fn severity(&self, s: Severity) -> Style {
        if !self.color {
            return Style::default().add_modifier(match s {
                Severity::Critical => Modifier::BOLD | Modifier::UNDERLINED,
                Severity::High => Modifier::BOLD,
                Severity::Medium => Modifier::empty(),
                Severity::Low => Modifier::DIM,
            });
        }
        match s {
            Severity::Critical => Style::default().fg(self.crit).add_modifier(Modifier::BOLD),
            Severity::High => Style::default().fg(self.crit),
            Severity::Medium => Style::default().fg(self.warn),
            Severity::Low => Style::default().fg(self.dim),
        }
    }

    pub fn log_level(&self, l: LogLevel) -> Style {
        if !self.color {
            return Style::default().add_modifier(match l {
                LogLevel::Error => Modifier::BOLD | Modifier::UNDERLINED,
                LogLevel::Warn => Modifier::BOLD,
                LogLevel::Info => Modifier::empty(),
                LogLevel::Debug | LogLevel::Other => Modifier::DIM,
            });
        }
        match l {
            LogLevel::Error => Style::default().fg(self.crit).add_modifier(Modifier::BOLD),
            LogLevel::Warn => Style::default().fg(self.warn),
            LogLevel::Info => Style::default().fg(self.ok),
            LogLevel::Debug | LogLevel::Other => Style::default().fg(self.dim),
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            Style::default()
                .fg(self.border_focused)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(self.border)
        }
    }

    pub fn dim(&self) -> Style {
        if !self.color {
            return Style::default().add_modifier(Modifier::DIM);
        }
        Style::default().fg(self.dim)
    }

    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    /// The header bar.
    pub fn header(&self) -> Style {
        if !self.color {
            return Style::default().add_modifier(Modifier::REVERSED);
        }
        Style::default().fg(self.header_fg).bg(self.header_bg)
    }

    /// The presentation banner: red for production (and, without colour, reversed and
    /// underlined), calm for the rest.
    pub fn banner(&self, production: bool) -> Style {
        if !self.color {
            let m = if production {
                Modifier::REVERSED | Modifier::BOLD | Modifier::UNDERLINED
            } else {
                Modifier::BOLD
            };
            return Style::default().add_modifier(m);
        }
        let (fg, bg) = if production {
            (self.banner_prod_fg, self.banner_prod_bg)
        } else {
            (self.banner_fg, self.banner_bg)
        };
        Style::default().fg(fg).bg(bg).add_modifier(Modifier::BOLD)
    }
}

/// The colour roles a theme file sets under `[colors]`.
pub const ROLES: &[&str] = &[
    "ok",
    "warn",
    "crit",
    "nodata",
    "text",
    "dim",
    "accent",
    "border",
    "border_focused",
    "series",
    "warn_line",
    "crit_line",
    "marker",
    "header_bg",
    "header_fg",
    "badge_fg",
    "banner_prod_bg",
    "banner_prod_fg",
    "banner_bg",
    "banner_fg",
];

/// The colours a theme file's missing keys take: the dark theme's (kept equal to
/// `themes/dark.toml` by a test).
fn base_colors() -> Theme {
    Theme {
        name: "dark".into(),
        color: true,
        ok: Color::Green,
        warn: Color::Yellow,
        crit: Color::Red,
        nodata: Color::DarkGray,
        text: Color::Reset,
        dim: Color::DarkGray,
        accent: Color::Cyan,
        border: Color::DarkGray,
        border_focused: Color::Cyan,
        series: [Color::Cyan, Color::Magenta, Color::LightBlue, Color::White],
        warn_line: Color::Yellow,
        crit_line: Color::Red,
        marker: Color::LightMagenta,
        header_bg: Color::Blue,
        header_fg: Color::White,
        badge_fg: Color::Black,
        banner_prod_bg: Color::Red,
        banner_prod_fg: Color::White,
        banner_bg: Color::Blue,
        banner_fg: Color::White,
    }
}

/// A theme name for comparison: lower case, no `-`, `_` or spaces, `color` spelt `colour`.
fn canonical(name: &str) -> String {
    name.to_lowercase()
        .replace(['-', '_', ' '], "")
        .replace("color", "colour")
}

fn describe(v: &DeValue) -> String {
    match v {
        DeValue::String(s) => format!("the string {s:?}"),
        DeValue::Integer(i) => format!("the number {i}"),
        DeValue::Float(f) => format!("the number {f}"),
        DeValue::Boolean(b) => format!("{b}"),
        other => format!("a {}", other.type_str()),
    }
}

/// A colour value: a name, `#rrggbb`, or a 256-colour index (a number or a string).
fn color<E>(
    v: &Spanned<DeValue>,
    key: &str,
    err: &impl Fn(Option<Range<usize>>, String) -> E,
) -> Result<Color, E> {
    let expected = |found: String| {
        err(
            Some(v.span()),
            format!(
                "expected `{key}` to be a colour: a name in quotes (\"red\", \"light-blue\", \"dark-gray\", \"reset\"), \"#rrggbb\" or a 256-colour index 0-255, found {found}"
            ),
        )
    };
    match v.get_ref() {
        DeValue::String(s) => Color::from_str(s.trim()).map_err(|_| expected(format!("{s:?}"))),
        DeValue::Integer(i) => u8::from_str_radix(i.as_str(), i.radix())
            .map(Color::Indexed)
            .map_err(|_| expected(format!("the number {i}"))),
        other => Err(expected(describe(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_parses_and_sets_every_role() {
        for (name, text) in BUILTIN {
            let t = Theme::parse(text, &format!("builtin:{name}"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.name, name);
            assert!(t.color);
            let table = DeTable::parse(text).unwrap();
            let DeValue::Table(colors) = table.get_ref().get("colors").unwrap().get_ref() else {
                panic!("{name}: no [colors]");
            };
            for role in ROLES {
                assert!(colors.get(*role).is_some(), "{name} sets {role}");
            }
            assert_eq!(Theme::builtin(name), Some(t));
        }
    }

    #[test]
    fn the_dark_file_is_the_default() {
        let parsed = Theme::parse(BUILTIN[0].1, "builtin:dark").unwrap();
        assert_eq!(parsed, base_colors());
        assert_eq!(Theme::default(), parsed);
    }

    #[test]
    fn names_and_aliases() {
        for alias in ["colour-blind", "color-blind", "colorblind", "Colour_Blind"] {
            assert_eq!(
                Theme::builtin(alias).unwrap().name,
                "colour-blind",
                "{alias}"
            );
        }
        assert_eq!(
            Theme::builtin("high_contrast").unwrap().name,
            "high-contrast"
        );
        assert_eq!(Theme::builtin("no-color").unwrap(), Theme::no_color());
        assert!(Theme::builtin("sepia").is_none());
        let e = Theme::load("sepia").unwrap_err();
        assert!(
            e.to_string()
                .contains("dark, light, high-contrast, colour-blind"),
            "{e}"
        );
    }

    #[test]
    fn bad_theme_files_name_the_line() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "name = \"x\"\n[colors]\nok = \"greenish\"\n",
                3,
                "expected `ok` to be a colour",
            ),
            (
                "[colors]\nok = \"green\"\nwarm = \"red\"\n",
                3,
                "unknown key `warm` in [colors]",
            ),
            ("[colors]\nseries = [\"red\"]\n", 2, "4 colours"),
            ("[colors]\ncrit = true\n", 2, "found true"),
            ("[colors]\ncrit = 300\n", 2, "0-255"),
            ("name = 3\n", 1, "expected `name`"),
            ("colours = 1\n", 1, "unknown key `colours`"),
            ("[colors]\nok = \n", 2, "not valid TOML"),
            ("colors = \"red\"\n", 1, "[colors]"),
        ];
        for (text, line, want) in cases {
            let e = Theme::parse(text, "my.toml").unwrap_err();
            assert_eq!(e.line, Some(*line), "{text:?}: {e}");
            assert!(e.to_string().contains(want), "{text:?}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("theme my.toml, line {line}: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn partial_files_take_the_dark_colours() {
        let t = Theme::parse(
            "[colors]\nok = \"#00ff00\"\nbadge_fg = 16\n",
            "/x/mine.toml",
        )
        .unwrap();
        assert_eq!(t.name, "mine");
        assert_eq!(t.ok, Color::Rgb(0, 255, 0));
        assert_eq!(t.badge_fg, Color::Indexed(16));
        assert_eq!(t.crit, Color::Red);
    }

    #[test]
    fn colour_blind_never_relies_on_red_against_green() {
        let t = Theme::builtin("colour-blind").unwrap();
        let hue = |c: Color| match c {
            Color::Rgb(r, g, b) => {
                let (r, g, b) = (r as f64, g as f64, b as f64);
                let max = r.max(g).max(b);
                let min = r.min(g).min(b);
                if max == min {
                    return None;
                }
                let h = if max == r {
                    60.0 * (((g - b) / (max - min)).rem_euclid(6.0))
                } else if max == g {
                    60.0 * ((b - r) / (max - min) + 2.0)
                } else {
                    60.0 * ((r - g) / (max - min) + 4.0)
                };
                Some(h)
            }
            other => panic!("colour-blind theme uses exact colours, found {other:?}"),
        };
        // OK is blue (no green), and no state is green.
        let ok = hue(t.ok).unwrap();
        assert!((180.0..260.0).contains(&ok), "ok hue {ok}");
        for c in [t.ok, t.warn, t.crit] {
            let h = hue(c).unwrap();
            assert!(!(75.0..165.0).contains(&h), "a green state colour: {c:?}");
        }
        // The three states differ in lightness too, not just hue.
        let light = |c: Color| match c {
            Color::Rgb(r, g, b) => 0.2126 * r as f64 + 0.7152 * g as f64 + 0.0722 * b as f64,
            _ => 0.0,
        };
        assert!((light(t.warn) - light(t.crit)).abs() > 30.0);
        assert!((light(t.ok) - light(t.crit)).abs() > 15.0);
    }

    #[test]
    fn no_color_tells_states_apart_without_colour() {
        let t = Theme::no_color();
        let styles = [Level::NoData, Level::Ok, Level::Warn, Level::Crit].map(|l| t.level(l));
        for s in &styles {
            assert!(s.fg.is_none() && s.bg.is_none(), "{s:?}");
        }
        for (i, a) in styles.iter().enumerate() {
            for b in &styles[i + 1..] {
                assert_ne!(a.add_modifier, b.add_modifier);
            }
        }
        let badge = t.badge(Level::Crit);
        assert!(badge.add_modifier.contains(Modifier::REVERSED));
        assert!(badge.fg.is_none() && badge.bg.is_none());
        assert_ne!(t.banner(true), t.banner(false));
    }
}
