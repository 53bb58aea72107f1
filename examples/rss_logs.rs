//! Memory with a full log buffer: builds the demo state, pushes 100,000 realistic log lines
//! through the sanitiser and parser into the ring buffer, renders one 200x60 frame, and
//! prints the process's resident memory (VmRSS / VmHWM from /proc). Run it in release:
//! `cargo run --release --example rss_logs` (or under `/usr/bin/time -v`).

use std::time::Instant;

use opsdeck::app::{self, Action};
use opsdeck::model::{RawLog, Update};
use opsdeck::session::{self, Files};

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l.trim().to_string())
        })
        .unwrap_or_else(|| format!("{field} n/a"))
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let (mut state, mut source, _) =
        session::demo("bad-deploy", 1, &Files::default()).expect("demo");
    let epoch = opsdeck::source::demo::DemoSource::epoch();
    session::advance(&mut state, &mut source, epoch + 600);
    println!("after 24 h of metrics: {}", status("VmRSS"));
    let shapes = [
        r#"{"level":"ERROR","message":"TypeError: Cannot read properties of undefined (reading 'price')","requestId":"8f14e45f-ceea-467f-a0e6-0123456789ab","userId":"u-1029","error":{"code":"INTERNAL_ERROR"},"function":"crypto-watch-api"}"#,
        r#"{"level":"INFO","message":"GET /prices/btc 200","requestId":"c9f0f895-fb98-4b91-9b7e-0123456789ab","userId":"u-77","status":200,"duration":123}"#,
        "REPORT RequestId: 45c48cce-2e2d-4fbd-b2e4-0123456789ab\tDuration: 123.45 ms\tBilled Duration: 124 ms\tMemory Size: 512 MB\tMax Memory Used: 87 MB",
        "2026-11-23T09:00:00.000Z\td3d94468-02a4-4ed2-9c1e-0123456789ab\tWARN\tslow DynamoDB query on crypto-watch-data (812 ms)",
    ];
    let start = Instant::now();
    let mut batch = Vec::with_capacity(1000);
    for i in 0..n {
        batch.push(RawLog {
            ts: epoch + 600 + (i / 100) as i64,
            source: "/aws/lambda/crypto-watch-api".into(),
            bytes: shapes[i % shapes.len()].as_bytes().to_vec(),
        });
        if batch.len() == 1000 {
            app::update(
                &mut state,
                Action::Updates(vec![Update::Logs(std::mem::take(&mut batch))]),
            );
        }
    }
    app::update(&mut state, Action::Updates(vec![Update::Logs(batch)]));
    let took = start.elapsed();
    let buf = opsdeck::snapshot::render(&mut state, 200, 60);
    assert!(!opsdeck::snapshot::to_text(&buf).is_empty());
    println!(
        "ingested {n} lines in {:.0} ms ({:.0} lines/s); buffer holds {}",
        took.as_secs_f64() * 1000.0,
        n as f64 / took.as_secs_f64(),
        state.model.logs.len()
    );
    println!("{}", status("VmRSS"));
    println!("{}", status("VmHWM"));
}
