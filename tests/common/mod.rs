//! Shared by the integration tests: the AWS emulator's environment, which ./scripts/test
//! sets, and (in `render`) the helpers of the render tests.
#![allow(dead_code)] // each test binary uses its own part

pub mod render;

use aws_config::BehaviorVersion;
use opsdeck::source::aws::clients::Clients;
use serde_json::Value;

/// An environment variable the test script sets; a clear message when it is missing.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run ./scripts/test (it starts the AWS emulator)")
    })
}

/// What the seed created, with the values it wrote (`target/aws-emulator/seeded.json`).
pub fn seeded() -> Value {
    let path = env("OPSDECK_TEST_SEEDED");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).expect("seeded.json is JSON")
}

/// opsdeck's clients for the environment's endpoints.
pub async fn clients() -> Clients {
    Clients::from_sdk_config(&aws_config::defaults(BehaviorVersion::latest()).load().await)
}
