//! Shared chart drawing for the metric panes (being written).
