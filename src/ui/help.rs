//! The help overlay, generated from the active keymap (being written).
