//! What the war-room banner names: the environment, the account and whether it is production.

/// The environment a profile watches.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Environment {}
