//! Presentation mode: fewer, bigger numbers and charts for a shared screen, under an environment banner.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::theme::Theme;
use crate::app::AppState;

pub fn render(_area: Rect, _buf: &mut Buffer, _state: &AppState, _theme: &Theme) {}
