//! Watching a real AWS account (issue 3, in progress). AWS SDK types stop in this module:
//! what leaves it are `model::Update`s.

pub mod clients;
pub mod cloudwatch;
pub mod inventory;
pub mod logs;
