//! The war room: presentation mode, redaction and colour themes.

use crate::app::{AppState, Command};

/// War-room state of a session.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WarRoom {}

/// `present`, `redact`, `theme`. Returns true when the screen changed.
pub fn command(_state: &mut AppState, _c: Command) -> bool {
    false
}

/// The command line's war-room options: `--present`, `--redact` / `--no-redact` (None: the
/// default for the mode) and `--theme NAME|FILE` (NO_COLOR is read here too). An error names
/// the theme file, line and what was expected.
pub fn apply_cli(
    _state: &mut AppState,
    _present: bool,
    _redact: Option<bool>,
    _theme: Option<&str>,
) -> Result<(), String> {
    Ok(())
}
