//! Header and status bar (being written).
