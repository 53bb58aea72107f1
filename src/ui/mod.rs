//! Rendering: a pure function of an [`AppState`] snapshot. One file per pane.

pub mod aurora;
pub mod chart;
pub mod dynamo;
pub mod errors;
pub mod latency;
pub mod requests;
pub mod throttles;

pub mod alarms;
pub mod help;
pub mod layout;
pub mod logs;
pub mod runbook;
pub mod status;
pub mod theme;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::app::{AppState, PaneId};
use theme::Theme;

/// What every pane renderer is told besides the state.
#[derive(Debug, Clone, Copy)]
pub struct PaneCtx<'a> {
    pub focused: bool,
    /// The compact (80x24-class) layout: metric panes show value, state and a sparkline.
    pub compact: bool,
    pub theme: &'a Theme,
}

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, state: &AppState) {
    let area = frame.area();
    render(area, frame.buffer_mut(), state);
}

/// Render the whole screen into a buffer (the TUI and `snapshot` both come here).
pub fn render(area: Rect, buf: &mut Buffer, state: &AppState) {
    let _ = (area, buf, state);
}

/// Render one pane.
pub fn render_pane(pane: PaneId, area: Rect, buf: &mut Buffer, state: &AppState, ctx: &PaneCtx) {
    match pane {
        PaneId::Requests => requests::render(area, buf, state, ctx),
        PaneId::Errors => errors::render(area, buf, state, ctx),
        PaneId::Latency => latency::render(area, buf, state, ctx),
        PaneId::Throttles => throttles::render(area, buf, state, ctx),
        PaneId::Aurora => aurora::render(area, buf, state, ctx),
        PaneId::Dynamo => dynamo::render(area, buf, state, ctx),
        PaneId::Alarms => alarms::render(area, buf, state, ctx),
        PaneId::Logs => logs::render(area, buf, state, ctx),
        PaneId::Runbook => runbook::render(area, buf, state, ctx),
    }
}
