//! Deploy watch: the rollback gates row (one cell per gate: value, time in breach, countdown to rollback expected).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::theme::Theme;
use crate::app::AppState;

pub fn render(_area: Rect, _buf: &mut Buffer, _state: &AppState, _theme: &Theme) {}
