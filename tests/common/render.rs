//! Shared by the render tests: the demo at a moment, the whole screen or one pane drawn into a
//! buffer, and a buffer as text.

use opsdeck::app::{AppState, PaneId};
use opsdeck::session::{self, Files};
use opsdeck::snapshot;
use opsdeck::ui::{self, PaneCtx};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use unicode_width::UnicodeWidthStr;

/// The demo `scenario` with the default seed, `minutes` after its start.
pub fn demo_at(scenario: &str, minutes: i64) -> AppState {
    let (mut state, mut source, _) = session::demo(
        scenario,
        opsdeck::source::demo::DEFAULT_SEED,
        &Files::default(),
    )
    .expect("the demo starts");
    let now = opsdeck::source::demo::DemoSource::epoch() + minutes * 60;
    session::advance(&mut state, &mut source, now);
    state
}

/// The whole screen at `cols`×`rows` as the headless `snapshot` draws it, as text.
pub fn frame(state: &mut AppState, cols: u16, rows: u16) -> String {
    snapshot::to_text(&snapshot::render(state, cols, rows))
}

/// The whole screen at `w`×`h`.
pub fn screen(state: &AppState, w: u16, h: u16) -> Buffer {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    ui::render(area, &mut buf, state);
    buf
}

/// One pane at `w`×`h`, in the normal (not compact) layout.
pub fn pane(state: &AppState, pane: PaneId, w: u16, h: u16, focused: bool) -> Buffer {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    let ctx = PaneCtx {
        focused,
        compact: false,
        theme: ui::theme(),
    };
    ui::render_pane(pane, area, &mut buf, state, &ctx);
    buf
}

/// The buffer as text, one line per row, wide characters counted once, trailing blanks cut.
pub fn text(buf: &Buffer) -> String {
    let a = buf.area;
    let mut out = String::new();
    for y in a.top()..a.bottom() {
        let mut line = String::new();
        let mut skip = 0;
        for x in a.left()..a.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            skip = sym.width().saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
