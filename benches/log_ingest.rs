//! Log ingest throughput: `parse_line_shared` + `LogBuffer::push` (what the model does for each
//! line, the source name shared through `LogBuffer::source`) over a realistic mix of Lambda
//! JSON, Lambda text-prefixed, platform and plain lines (a few hostile ones included).
//! Measured in wall-clock time (group `log_ingest`) and in the thread's CPU time (group
//! `log_ingest_cpu`, see `support/mod.rs`). Run: `cargo bench --bench log_ingest`.

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use opsdeck::model::log::{parse_line_shared, LogBuffer, DEFAULT_LOG_CAPACITY};

fn corpus(n: usize) -> Vec<Vec<u8>> {
    let mut lines = Vec::with_capacity(n);
    for i in 0..n {
        let line = match i % 10 {
            0..=2 => format!(
                r#"{{"timestamp":"2026-11-23T09:00:{:02}.000Z","level":"INFO","message":"GET /profile/{} 200","requestId":"req-{i:08x}","userId":"u-{}","statusCode":200,"durationMs":{}}}"#,
                i % 60,
                i % 977,
                i % 977,
                20 + i % 180
            ),
            3 => format!(
                r#"{{"level":"error","msg":"DynamoDB write failed","error":{{"code":"ProvisionedThroughputExceededException","retryable":true}},"request_id":"req-{i:08x}","status":503}}"#
            ),
            4 => format!(
                "2026-11-23T09:00:00.000Z\treq-{i:08x}\tWARN\t{{\"message\":\"slow query\",\"durationMs\":{},\"table\":\"profiles\"}}",
                800 + i % 900
            ),
            5 => format!("2026-11-23T09:00:00.000Z\treq-{i:08x}\tINFO\tcache miss for key profile#{}", i % 5000),
            6 => format!(
                "REPORT RequestId: req-{i:08x}\tDuration: {}.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t",
                i % 300
            ),
            7 => format!("2026-11-23 09:00:00,123 [WARN] pool: connections {}/90 in use", i % 90),
            8 => format!("\u{1b}[31mERROR\u{1b}[0m upstream reset\r\n\tat handler (index.js:{})", i % 400),
            _ => format!(
                r#"{{"level":"info","message":"user note: \u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\ \u202e{}","userId":"u-{}"}}"#,
                "日本語".repeat(1 + i % 4),
                i
            ),
        };
        lines.push(line.into_bytes());
    }
    lines
}

fn ingest_group<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let lines = corpus(10_000);
    let mut group = c.benchmark_group(name);
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("parse_and_push_mixed_10k", |b| {
        // One buffer across iterations, like the running app: it fills up and then rotates.
        let mut buf = LogBuffer::new(DEFAULT_LOG_CAPACITY);
        b.iter(|| {
            for (i, l) in lines.iter().enumerate() {
                let source = buf.source(black_box("/aws/lambda/profile-api"));
                buf.push(parse_line_shared(i as i64, source, black_box(l)));
            }
            black_box(buf.len())
        })
    });
    group.finish();
}

fn ingest_wall(c: &mut Criterion) {
    ingest_group(c, "log_ingest");
}

fn ingest_cpu(c: &mut Criterion<support::CpuTime>) {
    ingest_group(c, "log_ingest_cpu");
}

criterion_group!(wall, ingest_wall);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(support::CpuTime);
    targets = ingest_cpu
}
criterion_main!(wall, cpu);
