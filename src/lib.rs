//! opsdeck: a terminal operations console. Data flows one way: `source` → `model` → `ui`.
//!
//! - [`source`]: where data comes from (the demo now, AWS next), behind one trait.
//! - [`model`]: time series, thresholds, alarms, logs, runbooks. Pure, no I/O.
//! - [`app`]: the `Action` enum and the pure `update(state, action)`.
//! - [`ui`]: rendering as a function of the state.
//! - [`config`], [`keymap`], [`runbooks`]: data files, parsed in one place each.
//! - [`tui`]: the event loop and the terminal, at the edge; [`snapshot`]: headless frames.

pub mod app;
pub mod check;
pub mod config;
pub mod deploy;
#[doc(hidden)]
pub mod fuzzing;
pub mod i18n;
pub mod journal;
pub mod keymap;
pub mod model;
pub mod progress;
pub mod record;
pub mod replay;
pub mod report;
pub mod runbooks;
pub mod session;
pub mod snapshot;
pub mod source;
pub mod tui;
pub mod ui;
pub mod warroom;
