//! Pane renderer (being written).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::PaneCtx;
use crate::app::AppState;

pub fn render(area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    let _ = (area, buf, state, ctx);
}
