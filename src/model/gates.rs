//! Deploy watch: rollback gates (a metric, a threshold and a duration) and their evaluation.
//! Pure, no I/O.

/// The profile's deploy-watch rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeployRules {}
