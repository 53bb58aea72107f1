//! Building a session from the command line's choices: profile, runbooks, keymap and source.
//! The TUI and the headless `snapshot` command both start here, so they show the same thing.

use std::path::PathBuf;

use color_eyre::eyre::{eyre, Result, WrapErr};

use crate::app::{self, Action, AppState};
use crate::keymap::Keymap;
use crate::model::log::DEFAULT_LOG_CAPACITY;
use crate::model::time::Ts;
use crate::model::Model;
use crate::source::demo::DemoSource;
use crate::source::Source;

/// Where the data files come from; `None` means the built-in ones.
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// Service profile (thresholds, alarms).
    pub profile: Option<PathBuf>,
    /// A runbook file or a directory of `*.md` runbooks.
    pub runbooks: Option<PathBuf>,
    /// Keymap file replacing the default keymap.
    pub keymap: Option<PathBuf>,
    /// The user's keymap overrides (defaults to the config directory's `keymap.toml`).
    pub user_keymap: Option<PathBuf>,
    /// Log ring buffer size.
    pub log_capacity: Option<usize>,
    /// Also read the user's files from the config directory (`keymap.toml`, `profile.toml`)
    /// when no path is given. The command line sets this; tests and benchmarks leave it off
    /// so the machine they run on cannot change what they see.
    pub user_config: bool,
}

/// Load the keymap: `--keymap FILE` (or the built-in default) with the user's overrides on top.
pub fn load_keymap(files: &Files) -> Result<Keymap> {
    let user = files.user_keymap.clone().or_else(|| {
        files
            .user_config
            .then(crate::keymap::default_user_file)
            .flatten()
    });
    crate::keymap::load(files.keymap.as_deref(), user.as_deref()).map_err(|e| eyre!("{e}"))
}

/// A demo session at the scenario's start: state, source and keymap.
pub fn demo(scenario: &str, seed: u64, files: &Files) -> Result<(AppState, DemoSource, Keymap)> {
    let source = DemoSource::new(scenario, seed).map_err(|e| eyre!("{e}"))?;
    let profile = crate::config::load(
        files.profile.as_deref(),
        files
            .user_config
            .then(crate::config::default_user_file)
            .flatten()
            .as_deref(),
    )
    .map_err(|e| eyre!("{e}"))?;
    let runbooks = match &files.runbooks {
        Some(p) if p.is_dir() => crate::runbooks::load_dir(p).map_err(|e| eyre!("{e}"))?,
        Some(p) => vec![crate::runbooks::load_file(p).map_err(|e| eyre!("{e}"))?],
        None => crate::runbooks::builtin(),
    };
    let keymap = load_keymap(files).wrap_err("loading the keymap")?;
    let epoch = DemoSource::epoch();
    let model = Model::new(
        profile,
        epoch,
        files.log_capacity.unwrap_or(DEFAULT_LOG_CAPACITY),
    );
    let state = AppState::new(model, runbooks, keymap.help_lines(), source.label());
    Ok((state, source, keymap))
}

/// Bring a state up to `now` from its source, the way the event loop does.
pub fn advance(state: &mut AppState, source: &mut dyn Source, now: Ts) {
    let updates = source.poll(now);
    app::update(state, Action::Updates(updates));
    app::update(state, Action::Tick(now));
}
