//! Deploy watch in the app: the gates row, deploy markers by hand, since-deploy comparison.

use crate::app::{AppState, Command};

/// Deploy-watch state of a session.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeployState {}

/// `deploy-view`, `mark-deploy`, `compare`. Returns true when the screen changed.
pub fn command(_state: &mut AppState, _c: Command) -> bool {
    false
}

/// The command line's deploy-watch options: `--deploy` shows the gates row, `--deploy-start
/// TIME` marks the deploy. An error says what TIME should look like.
pub fn apply_cli(_state: &mut AppState, _show: bool, _start: Option<&str>) -> Result<(), String> {
    Ok(())
}
