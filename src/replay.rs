//! `opsdeck replay FILE`: play a recording back with pause, speed and seek.

/// What the status bar shows about a replay in progress.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplayStatus {}
