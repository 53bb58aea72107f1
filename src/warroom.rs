//! The war room: presentation mode, redaction and colour themes.
//!
//! - `present` (W, `--present`) switches to the presentation layout (`ui::present`) and back.
//!   Unless the operator chose otherwise (`--redact` / `--no-redact`, or `redact` pressed),
//!   presentation turns redaction on, and leaving it turns redaction off again.
//! - `redact` (R, `--redact`) masks identifiers in everything drawn (`model::redact`).
//! - `theme` (T, `--theme NAME|FILE`) cycles the colour themes (`ui::theme`): the built-in
//!   ones, the user's file when one was loaded, and the colourless one when `NO_COLOR` is set.
//!   `NO_COLOR` (any non-empty value) starts without colour unless `--theme` names one.

use crate::app::{AppState, Command};
use crate::i18n::Msg;
use crate::model::environment::Environment;
use crate::ui::theme::{Theme, BUILTIN};

/// War-room state of a session.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WarRoom {
    /// The theme the screen is drawn with.
    pub theme: Theme,
    /// A theme loaded from a file (`--theme FILE`): part of the `theme` cycle.
    pub user_theme: Option<Theme>,
    /// `NO_COLOR` was set: the colourless theme is part of the `theme` cycle.
    pub no_color: bool,
    /// The operator chose redaction (`--redact`, `--no-redact` or the `redact` key), so
    /// presentation mode leaves it as it is.
    pub redact_chosen: bool,
    /// The AWS account ID, read once from STS GetCallerIdentity (AWS sessions).
    pub account_id: Option<String>,
    /// The AWS region of the session.
    pub region: Option<String>,
    /// The endpoint every AWS call goes to when it is not AWS itself (AWS_ENDPOINT_URL: an
    /// emulator or a proxy); the banner says so, so that a test session never passes for
    /// production on a shared screen.
    pub endpoint: Option<String>,
}

/// `present`, `redact`, `theme`. Returns true when the screen changed.
pub fn command(state: &mut AppState, c: Command) -> bool {
    let lang = state.lang;
    match c {
        Command::Present => {
            state.ui.present = !state.ui.present;
            if !state.war.redact_chosen {
                state.ui.redact = state.ui.present;
            }
        }
        Command::Redact => {
            state.ui.redact = !state.ui.redact;
            state.war.redact_chosen = true;
            let msg = if state.ui.redact {
                Msg::WarRedactOn
            } else {
                Msg::WarRedactOff
            };
            state.ui.flash = Some(msg.text(lang).to_string());
        }
        Command::Theme => {
            let next = next_theme(&state.war);
            state.ui.flash = Some(Msg::WarTheme.fill(lang, &[&next.name]));
            state.war.theme = next;
        }
        _ => return false,
    }
    true
}

/// The themes `theme` cycles through, in order.
pub fn themes(war: &WarRoom) -> Vec<Theme> {
    let mut all: Vec<Theme> = BUILTIN
        .iter()
        .filter_map(|(n, _)| Theme::builtin(n))
        .collect();
    all.extend(war.user_theme.clone());
    if war.no_color {
        all.push(Theme::no_color());
    }
    all
}

/// The theme after the current one (the first when the current one is not in the cycle).
fn next_theme(war: &WarRoom) -> Theme {
    let all = themes(war);
    let i = all
        .iter()
        .position(|t| *t == war.theme)
        .map_or(0, |i| (i + 1) % all.len().max(1));
    all.into_iter().nth(i).unwrap_or_default()
}

/// The command line's war-room options: `--present`, `--redact` / `--no-redact` (None: the
/// default for the mode) and `--theme NAME|FILE` (NO_COLOR is read here too). An error names
/// the theme file, line and what was expected.
pub fn apply_cli(
    state: &mut AppState,
    present: bool,
    redact: Option<bool>,
    theme: Option<&str>,
) -> Result<(), String> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    apply(state, present, redact, theme, no_color)
}

/// [`apply_cli`] with `NO_COLOR` given (for tests).
pub fn apply(
    state: &mut AppState,
    present: bool,
    redact: Option<bool>,
    theme: Option<&str>,
    no_color: bool,
) -> Result<(), String> {
    state.war.no_color = no_color;
    match theme {
        Some(name) => {
            let t = Theme::load(name).map_err(|e| e.to_string())?;
            if Theme::builtin(name).is_none() {
                state.war.user_theme = Some(t.clone());
            }
            state.war.theme = t;
        }
        // NO_COLOR gives way to a theme asked for on the command line (no-color.org).
        None if no_color => state.war.theme = Theme::no_color(),
        None => {}
    }
    if present {
        state.ui.present = true;
    }
    match redact {
        Some(r) => {
            state.ui.redact = r;
            state.war.redact_chosen = true;
        }
        None if present => state.ui.redact = true,
        None => {}
    }
    Ok(())
}

/// What the presentation banner says.
#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    /// The environment's name; empty when the profile does not set one.
    pub environment: String,
    pub production: bool,
    /// The account's alias, else its ID (STS, else the profile's).
    pub account: Option<String>,
    pub region: Option<String>,
    /// The service (profile) name.
    pub service: String,
    /// The endpoint, when the data does not come from AWS itself.
    pub endpoint: Option<String>,
}

/// The banner of a state: the profile's `[environment]` with what the session learnt (the
/// account ID from STS, the region).
pub fn banner(state: &AppState) -> Banner {
    let env: &Environment = &state.model.profile.environment;
    let account = env
        .account_alias
        .clone()
        .or_else(|| state.war.account_id.clone())
        .or_else(|| env.account_id.clone());
    Banner {
        environment: env.name.clone(),
        production: env.production,
        account,
        region: state.war.region.clone().or_else(|| env.region.clone()),
        service: state.model.profile.name.clone(),
        endpoint: state.war.endpoint.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Model, Profile};

    fn state() -> AppState {
        AppState::new(
            Model::new(Profile::default(), 0, 10),
            Vec::new(),
            Vec::new(),
            "demo".into(),
        )
    }

    #[test]
    fn present_turns_redaction_on_and_off_unless_chosen() {
        let mut s = state();
        assert!(command(&mut s, Command::Present));
        assert!(s.ui.present && s.ui.redact);
        assert!(command(&mut s, Command::Present));
        assert!(!s.ui.present && !s.ui.redact);
        // Chosen: presentation leaves it alone.
        command(&mut s, Command::Redact);
        assert!(s.ui.redact && s.war.redact_chosen);
        assert!(s.ui.flash.as_deref().unwrap().starts_with("redaction on"));
        command(&mut s, Command::Redact);
        assert!(!s.ui.redact);
        command(&mut s, Command::Present);
        assert!(s.ui.present && !s.ui.redact);
        assert!(!command(&mut s, Command::Quit));
    }

    #[test]
    fn theme_cycles_through_the_builtins_and_back() {
        let mut s = state();
        let mut seen = vec![s.war.theme.name.clone()];
        for _ in 0..4 {
            assert!(command(&mut s, Command::Theme));
            seen.push(s.war.theme.name.clone());
        }
        assert_eq!(
            seen,
            ["dark", "light", "high-contrast", "colour-blind", "dark"]
        );
        assert_eq!(s.ui.flash.as_deref(), Some("theme: dark"));
        // NO_COLOR adds the colourless theme to the cycle.
        s.war.no_color = true;
        for _ in 0..4 {
            command(&mut s, Command::Theme);
        }
        assert_eq!(s.war.theme, Theme::no_color());
        command(&mut s, Command::Theme);
        assert_eq!(s.war.theme.name, "dark");
    }

    #[test]
    fn cli_present_redacts_unless_told_not_to() {
        let mut s = state();
        apply(&mut s, true, None, None, false).unwrap();
        assert!(s.ui.present && s.ui.redact && !s.war.redact_chosen);
        let mut s = state();
        apply(&mut s, true, Some(false), None, false).unwrap();
        assert!(s.ui.present && !s.ui.redact && s.war.redact_chosen);
        let mut s = state();
        apply(&mut s, false, Some(true), None, false).unwrap();
        assert!(!s.ui.present && s.ui.redact);
        let mut s = state();
        apply(&mut s, false, None, None, false).unwrap();
        assert!(!s.ui.present && !s.ui.redact);
        assert_eq!(s.war.theme, Theme::default());
    }

    #[test]
    fn cli_themes_and_no_color() {
        let mut s = state();
        apply(&mut s, false, None, Some("light"), false).unwrap();
        assert_eq!(s.war.theme.name, "light");
        assert!(s.war.user_theme.is_none());
        // NO_COLOR: no colour, unless a theme is asked for.
        let mut s = state();
        apply(&mut s, false, None, None, true).unwrap();
        assert_eq!(s.war.theme, Theme::no_color());
        let mut s = state();
        apply(&mut s, false, None, Some("colour-blind"), true).unwrap();
        assert_eq!(s.war.theme.name, "colour-blind");
        // A file: loaded, named by its errors, kept in the cycle.
        let dir = std::env::temp_dir().join(format!("opsdeck-theme-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("mine.toml");
        std::fs::write(&good, "name = \"mine\"\n[colors]\nok = \"#112233\"\n").unwrap();
        let mut s = state();
        apply(&mut s, false, None, Some(good.to_str().unwrap()), false).unwrap();
        assert_eq!(s.war.theme.name, "mine");
        assert_eq!(themes(&s.war).len(), 5);
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[colors]\n\nok = \"greenish\"\n").unwrap();
        let e = apply(&mut s, false, None, Some(bad.to_str().unwrap()), false).unwrap_err();
        assert!(
            e.contains("bad.toml, line 3: expected `ok` to be a colour"),
            "{e}"
        );
        let e = apply(&mut s, false, None, Some("sepia"), false).unwrap_err();
        assert!(e.contains("sepia"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn banner_prefers_alias_then_sts_then_profile() {
        let mut s = state();
        let b = banner(&s);
        assert_eq!(b.environment, "");
        assert!(!b.production);
        assert_eq!(b.account, None);
        s.model.profile.environment = Environment {
            account_id: Some("111111111111".into()),
            region: Some("ap-northeast-1".into()),
            ..Environment::named("production")
        };
        assert_eq!(banner(&s).account.as_deref(), Some("111111111111"));
        s.war.account_id = Some("123456789012".into());
        s.war.region = Some("us-east-1".into());
        let b = banner(&s);
        assert_eq!(b.account.as_deref(), Some("123456789012"));
        assert_eq!(b.region.as_deref(), Some("us-east-1"));
        assert!(b.production);
        s.model.profile.environment.account_alias = Some("acme-prod".into());
        assert_eq!(banner(&s).account.as_deref(), Some("acme-prod"));
        assert_eq!(banner(&s).endpoint, None);
        s.war.endpoint = Some("127.0.0.1:4566".into());
        assert_eq!(banner(&s).endpoint.as_deref(), Some("127.0.0.1:4566"));
    }

    fn env_of(toml: &str) -> Result<Environment, String> {
        let text = format!("[service]\nname = \"x\"\n{toml}");
        crate::config::parse_service(&text, "p.toml")
            .map(|s| s.profile.environment)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn environment_config() {
        assert_eq!(env_of("").unwrap(), Environment::default());
        let e = env_of("[environment]\nname = \"prod-jp\"\naccount_alias = \"acme\"\n").unwrap();
        assert!(e.production);
        assert_eq!(e.account_alias.as_deref(), Some("acme"));
        let e = env_of("[environment]\nname = \"staging\"\n").unwrap();
        assert!(!e.production);
        let e = env_of("[environment]\nname = \"live\"\nproduction = true\nregion = \"eu-west-1\"\naccount_id = \"123456789012\"\n").unwrap();
        assert!(e.production);
        assert_eq!(e.region.as_deref(), Some("eu-west-1"));
        assert_eq!(e.account_id.as_deref(), Some("123456789012"));
        let e = env_of("[environment]\nname = \"prod\"\nproduction = false\n").unwrap();
        assert!(!e.production, "production = false wins over the name");
        for (toml, line, want) in [
            (
                "[environment]\naccount_alias = \"a\"\n",
                3,
                "[environment] needs `name`",
            ),
            (
                "[environment]\nname = \"p\"\nprod = true\n",
                5,
                "unknown key `prod` in [environment]",
            ),
            (
                "[environment]\nname = \"p\"\nproduction = \"yes\"\n",
                5,
                "expected `production` to be true or false",
            ),
            (
                "[environment]\nname = \"p\"\naccount_id = \"1234\"\n",
                5,
                "12-digit",
            ),
            (
                "[environment]\nname = \"p\"\nregion = \"\"\n",
                5,
                "must not be empty",
            ),
        ] {
            let e = env_of(toml).unwrap_err();
            assert!(
                e.contains(&format!("p.toml, line {line}: ")) && e.contains(want),
                "{toml:?}: {e}"
            );
        }
        let e = crate::config::parse_service(
            "environment = \"prod\"\n[service]\nname = \"x\"\n",
            "p.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("line 1: expected `environment` to be a table"),
            "{e}"
        );
    }
}
