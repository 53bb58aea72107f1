//! Building a session from the command line's choices: profile, runbooks, keymap and source.
//! The TUI and the headless `snapshot` command both start here, so they show the same thing.

use std::path::PathBuf;

use color_eyre::eyre::{eyre, Result, WrapErr};

use crate::app::{self, Action, AppState};
use crate::config::Service;
use crate::keymap::Keymap;
use crate::model::log::DEFAULT_LOG_CAPACITY;
use crate::model::runbook::Runbook;
use crate::model::time::Ts;
use crate::model::Model;
use crate::source::aws::source::AwsSource;
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

/// The user's profile file, when `Files::user_config` asks for it.
fn user_profile(files: &Files) -> Option<PathBuf> {
    files
        .user_config
        .then(crate::config::default_user_file)
        .flatten()
}

/// The service profile file a session reads, by the precedence of [`demo`] and
/// [`aws_service`]: `--config FILE`, else the user's profile file when it exists; `None`: a
/// built-in profile. (`--record` keeps its text so a replay rebuilds the same profile.)
pub fn profile_file(files: &Files) -> Option<PathBuf> {
    files
        .profile
        .clone()
        .or_else(|| user_profile(files).filter(|p| p.exists()))
}

/// The runbooks: `--runbooks PATH` (a file or a directory of `*.md`), else the ones the
/// service profile names, else the built-in ones.
pub fn load_runbooks(files: &Files, from_profile: &[PathBuf]) -> Result<Vec<Runbook>> {
    let load = |p: &PathBuf| -> Result<Vec<Runbook>> {
        if p.is_dir() {
            crate::runbooks::load_dir(p).map_err(|e| eyre!("{e}"))
        } else {
            Ok(vec![
                crate::runbooks::load_file(p).map_err(|e| eyre!("{e}"))?
            ])
        }
    };
    match &files.runbooks {
        Some(p) => load(p),
        None if !from_profile.is_empty() => {
            let mut all = Vec::new();
            for p in from_profile {
                all.extend(load(p)?);
            }
            Ok(all)
        }
        None => Ok(crate::runbooks::builtin()),
    }
}

/// A demo session at the scenario's start: state, source and keymap.
pub fn demo(scenario: &str, seed: u64, files: &Files) -> Result<(AppState, DemoSource, Keymap)> {
    let source = DemoSource::new(scenario, seed).map_err(|e| eyre!("{e}"))?;
    let service =
        crate::config::load_service(files.profile.as_deref(), user_profile(files).as_deref())
            .map_err(|e| eyre!("{e}"))?;
    let runbooks = load_runbooks(files, &service.runbooks)?;
    let keymap = load_keymap(files).wrap_err("loading the keymap")?;
    let epoch = DemoSource::epoch();
    let model = Model::new(
        service.profile,
        epoch,
        files.log_capacity.unwrap_or(DEFAULT_LOG_CAPACITY),
    );
    let state = AppState::new(model, runbooks, keymap.help_lines(), source.label());
    Ok((state, source, keymap))
}

/// The service profile for watching AWS: `--config FILE`, else the user's profile file when
/// it exists, else the built-in zero-config AWS profile (`profiles/aws.toml`).
pub fn aws_service(files: &Files) -> Result<Service> {
    let user = user_profile(files).filter(|p| p.exists());
    if files.profile.is_none() && user.is_none() {
        return Ok(crate::config::builtin_aws_service());
    }
    crate::config::load_service(files.profile.as_deref(), user.as_deref()).map_err(|e| eyre!("{e}"))
}

/// A session watching an AWS account: connects (checking region and credentials), starts the
/// source's tasks on the current tokio runtime and returns the state at `now`.
pub async fn aws(
    profile: Option<&str>,
    region: Option<&str>,
    files: &Files,
) -> Result<(AppState, AwsSource, Keymap)> {
    let service = aws_service(files)?;
    let runbooks = load_runbooks(files, &service.runbooks)?;
    let keymap = load_keymap(files).wrap_err("loading the keymap")?;
    let clients = crate::source::aws::source::connect(profile, region)
        .await
        .map_err(|e| eyre!("{e}"))?;
    let region = clients
        .cloudwatch
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let label = crate::source::aws::source::label(&region, profile);
    // The account ID for the war-room banner: read once; a failure only leaves it out.
    let account_id = clients.account_id().await;
    let source = AwsSource::start(clients, service.aws, label);
    let model = Model::new(
        service.profile,
        crate::source::aws::source::wall_now(),
        files.log_capacity.unwrap_or(DEFAULT_LOG_CAPACITY),
    );
    let mut state = AppState::new(model, runbooks, keymap.help_lines(), source.label());
    state.war.account_id = account_id;
    state.war.region = Some(region).filter(|r| !r.is_empty());
    state.war.endpoint = crate::source::aws::source::endpoint_override();
    Ok((state, source, keymap))
}

/// Bring a state up to `now` from its source, the way the event loop does.
pub fn advance(state: &mut AppState, source: &mut dyn Source, now: Ts) {
    let updates = source.poll(now);
    app::update(state, Action::Updates(updates));
    app::update(state, Action::Tick(now));
}
