//! Shared by the integration tests: the AWS emulator's environment, which ./scripts/test
//! sets, scratch directories, and (in `render`) the helpers of the render tests, (in `cli`)
//! the built binary run with a clean home, (in `pty`) the binary in a pseudo-terminal and (in
//! `mock`) clients over `aws-smithy-mocks`.
#![allow(dead_code)] // each test binary uses its own part

pub mod cli;
pub mod emulator;
pub mod faults;
pub mod mock;
pub mod pty;
pub mod render;

use std::path::PathBuf;

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

/// The proxy's request-log entries signed with `key`.
pub fn requests_signed_by(key: &str) -> Vec<Value> {
    let path = env("OPSDECK_TEST_REQUEST_LOG");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["key"] == key)
        .collect()
}

/// A scratch directory, `opsdeck-{name}-{pid}` under the temp directory, made empty and
/// removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("opsdeck-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
