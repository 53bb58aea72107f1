//! The daily 10-minute check: a 24-hour view with a checklist, compared with the day before.

use crate::app::{AppState, Command};

/// The daily check's state, when the session is a check (`opsdeck check`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckState {}

/// `check-mark` and moving in the checklist. Returns true when the screen changed.
pub fn command(_state: &mut AppState, _c: Command) -> bool {
    false
}
