//! Watching a real AWS account. AWS SDK types stop in this module: what leaves it are
//! `model::Update`s. [`source::AwsSource`] puts the parts together behind `Source`.

pub mod alarms;
pub mod clients;
pub mod cloudwatch;
pub mod deploys;
pub mod history;
pub mod insights;
pub mod inventory;
pub mod livetail;
pub mod logs;
pub mod source;
