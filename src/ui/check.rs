//! The daily check view: the checklist beside 24-hour charts, each item against the day before.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::theme::Theme;
use crate::app::AppState;

pub fn render(_area: Rect, _buf: &mut Buffer, _state: &AppState, _theme: &Theme) {}
