//! Where each pane goes, for any terminal size. Pure: the same size and UI state always give
//! the same rectangles, so clicks can be mapped to panes without asking the renderer.

use ratatui::layout::{Constraint, Direction, Layout as Split, Rect};

use crate::app::{PaneId, UiState};

/// Below this the console shows a "terminal too small" notice.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Rows of the deploy-watch gates row: a title rule (deploy time), the gates, the soft
/// criteria. The same at every size: at 80x24 the panes below keep their minimum heights.
pub const GATES_HEIGHT: u16 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    pub status: Rect,
    pub panes: Vec<(PaneId, Rect)>,
    /// Metric panes get one summary line and a sparkline instead of a chart.
    pub compact: bool,
    pub too_small: bool,
    /// Deploy watch: the rollback gates row under the header, when shown.
    pub gates: Option<Rect>,
}

pub fn compute(area: Rect, ui: &UiState) -> Screen {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return Screen {
            header: area,
            status: area,
            panes: vec![],
            compact: true,
            too_small: true,
            gates: None,
        };
    }
    let header = Rect { height: 1, ..area };
    let status = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    let mut body = Rect {
        y: area.y + 1,
        height: area.height - 2,
        ..area
    };
    // Decided before the gates row is carved: showing it never switches layouts.
    let compact = body.width < 120 || body.height < 34;
    // Deploy watch: the gates row under the header, also over a zoomed pane (the gates are
    // what a deploy is watched by).
    let gates = ui.deploy_view.then(|| {
        let row = Rect {
            height: GATES_HEIGHT,
            ..body
        };
        body.y += GATES_HEIGHT;
        body.height -= GATES_HEIGHT;
        row
    });
    if ui.zoomed {
        return Screen {
            header,
            status,
            panes: vec![(ui.focus, body)],
            compact: false,
            too_small: false,
            gates,
        };
    }
    let metric_h = if compact {
        8
    } else {
        (body.height * 45 / 100).max(12)
    };
    let [grid, bottom] = Split::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(metric_h), Constraint::Min(0)])
        .areas(body);
    let rows: [Rect; 2] = Split::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)])
        .areas(grid);
    let mut panes = Vec::with_capacity(9);
    let metrics = &PaneId::ALL[..6];
    for (r, row) in rows.iter().enumerate() {
        let cols: [Rect; 3] = Split::default()
            .direction(Direction::Horizontal)
            .constraints([
                Constraint::Ratio(1, 3),
                Constraint::Ratio(1, 3),
                Constraint::Ratio(1, 3),
            ])
            .areas(*row);
        for (c, col) in cols.iter().enumerate() {
            panes.push((metrics[r * 3 + c], *col));
        }
    }
    let [left, logs] = Split::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(45), Constraint::Percentage(55)])
        .areas(bottom);
    let [alarms, runbook] = Split::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(40), Constraint::Percentage(60)])
        .areas(left);
    panes.push((PaneId::Alarms, alarms));
    panes.push((PaneId::Runbook, runbook));
    panes.push((PaneId::Logs, logs));
    Screen {
        header,
        status,
        panes,
        compact,
        too_small: false,
        gates,
    }
}

/// The pane under a screen position.
pub fn pane_at(area: Rect, ui: &UiState, x: u16, y: u16) -> Option<PaneId> {
    let pos = ratatui::layout::Position { x, y };
    compute(area, ui)
        .panes
        .into_iter()
        .find(|(_, r)| r.contains(pos))
        .map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ui() -> UiState {
        UiState::default()
    }

    #[test]
    fn every_pane_is_placed_without_overlap_at_all_supported_sizes() {
        for (w, h) in [
            (80, 24),
            (100, 30),
            (120, 40),
            (160, 48),
            (200, 60),
            (250, 70),
        ] {
            let s = compute(Rect::new(0, 0, w, h), &ui());
            assert!(!s.too_small);
            assert_eq!(s.panes.len(), 9, "{w}x{h}");
            for (i, (_, a)) in s.panes.iter().enumerate() {
                assert!(a.width >= 10 && a.height >= 3, "{w}x{h}: {a:?}");
                for (_, b) in &s.panes[i + 1..] {
                    assert!(!a.intersects(*b), "{w}x{h}: {a:?} overlaps {b:?}");
                }
            }
        }
    }

    #[test]
    fn too_small_and_zoom() {
        assert!(compute(Rect::new(0, 0, 79, 24), &ui()).too_small);
        assert!(compute(Rect::new(0, 0, 80, 23), &ui()).too_small);
        let mut u = ui();
        u.zoomed = true;
        u.focus = PaneId::Logs;
        let s = compute(Rect::new(0, 0, 100, 30), &u);
        assert_eq!(s.panes, vec![(PaneId::Logs, Rect::new(0, 1, 100, 28))]);
    }

    #[test]
    fn the_gates_row_sits_under_the_header_at_every_size_and_over_zoom() {
        let mut u = ui();
        u.deploy_view = true;
        for (w, h) in [(80, 24), (100, 30), (120, 40), (200, 60), (250, 70)] {
            let s = compute(Rect::new(0, 0, w, h), &u);
            let g = s.gates.expect("the gates row");
            assert_eq!(g, Rect::new(0, 1, w, GATES_HEIGHT), "{w}x{h}");
            assert_eq!(s.panes.len(), 9);
            for (p, a) in &s.panes {
                assert!(!a.intersects(g), "{w}x{h}: {p:?} under the gates row");
                assert!(a.width >= 10 && a.height >= 3, "{w}x{h}: {p:?} {a:?}");
            }
            let bottom = s.panes.iter().map(|(_, a)| a.bottom()).max().unwrap();
            assert_eq!(bottom, s.status.y, "{w}x{h}: the panes fill the rest");
            // Showing the row never switches between the compact and the large layout.
            assert_eq!(s.compact, compute(Rect::new(0, 0, w, h), &ui()).compact);
        }
        assert_eq!(compute(Rect::new(0, 0, 200, 60), &ui()).gates, None);
        u.zoomed = true;
        u.focus = PaneId::Errors;
        let s = compute(Rect::new(0, 0, 100, 30), &u);
        assert_eq!(s.gates, Some(Rect::new(0, 1, 100, 3)));
        assert_eq!(s.panes, vec![(PaneId::Errors, Rect::new(0, 4, 100, 25))]);
        // Clicks below the row still find their pane.
        assert_eq!(
            pane_at(Rect::new(0, 0, 200, 60), &ui(), 1, 2),
            Some(PaneId::Requests)
        );
        u.zoomed = false;
        assert_eq!(
            pane_at(Rect::new(0, 0, 200, 60), &u, 1, 2),
            None,
            "the gates row is no pane"
        );
        assert_eq!(
            pane_at(Rect::new(0, 0, 200, 60), &u, 1, 5),
            Some(PaneId::Requests)
        );
    }

    #[test]
    fn click_maps_to_pane() {
        let area = Rect::new(0, 0, 200, 60);
        assert_eq!(pane_at(area, &ui(), 1, 2), Some(PaneId::Requests));
        assert_eq!(pane_at(area, &ui(), 199, 58), Some(PaneId::Logs));
        assert_eq!(pane_at(area, &ui(), 0, 0), None, "the header is no pane");
    }
}
