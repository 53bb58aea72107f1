//! Memory with a full log buffer: builds the demo state, pushes 100,000 realistic log lines
//! through the sanitiser and parser into the ring buffer, renders one 200x60 frame, and
//! prints the process's resident memory (VmRSS / VmHWM from /proc). Run it in release:
//! `cargo run --release --example rss_logs [LINES]` (or under `/usr/bin/time -v`;
//! `scripts/bench-rss.sh` does both).
//!
//! To explain the figure, a counting global allocator reports the live heap (bytes the
//! program asked for and still holds) and the number of live allocations next to RSS; the
//! difference is the allocator's own overhead (chunk headers, rounding) and free memory it
//! keeps. The per-entry breakdown shows where a buffered line's bytes go.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

use opsdeck::app::{self, Action};
use opsdeck::model::log::{parse_line, LogEntry};
use opsdeck::model::{RawLog, Update};
use opsdeck::session::{self, Files};

struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static LIVE_ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are only
// bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Relaxed);
            LIVE_ALLOCS.fetch_add(1, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        LIVE_ALLOCS.fetch_sub(1, Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE_BYTES.fetch_add(new_size, Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| format!("{field} n/a"))
}

fn heap() -> String {
    format!(
        "live heap {:.1} MB in {} allocations",
        LIVE_BYTES.load(Relaxed) as f64 / 1e6,
        LIVE_ALLOCS.load(Relaxed)
    )
}

/// Heap bytes a parsed entry holds of its own beyond its inline size (its text block; the
/// source string is shared), and how many allocations.
fn entry_heap(e: &LogEntry) -> (usize, usize) {
    let bytes = e.approx_bytes() - std::mem::size_of::<LogEntry>();
    (bytes, usize::from(bytes > 0))
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let (mut state, mut source, _) = session::demo(
        "bad-deploy",
        opsdeck::source::demo::DEFAULT_SEED,
        &Files::default(),
    )
    .expect("demo");
    let epoch = opsdeck::source::demo::DemoSource::epoch();
    session::advance(&mut state, &mut source, epoch + 600);
    let base_rss = status("VmRSS");
    let base_heap = LIVE_BYTES.load(Relaxed);
    println!(
        "demo state with 24 h of metrics, {} demo log lines: {base_rss}, {}",
        state.model.logs.len(),
        heap()
    );
    let source_name = "/aws/lambda/crypto-watch-api";
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
            source: source_name.into(),
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
    let logs = &state.model.logs;
    println!(
        "ingested {n} lines in {:.0} ms ({:.0} lines/s); buffer holds {} (capacity {}, dropped {})",
        took.as_secs_f64() * 1000.0,
        n as f64 / took.as_secs_f64(),
        logs.len(),
        logs.capacity(),
        logs.dropped
    );
    println!("{}", status("VmRSS"));
    println!("{}", status("VmHWM"));
    let heap_now = LIVE_BYTES.load(Relaxed);
    println!(
        "{}; the log lines added {:.1} MB of heap, {:.0} bytes per buffered line",
        heap(),
        (heap_now - base_heap) as f64 / 1e6,
        (heap_now - base_heap) as f64 / logs.len().max(1) as f64
    );
    println!(
        "buffer's own estimate (LogBuffer::approx_bytes): {:.1} MB",
        logs.approx_bytes() as f64 / 1e6
    );
    println!(
        "per entry: size_of::<LogEntry>() = {} bytes inline (the VecDeque slot)",
        std::mem::size_of::<LogEntry>()
    );
    if let Some(newest) = logs.iter().next_back() {
        println!(
            "source {:?} ({} bytes) shared by {} holders",
            newest.source(),
            newest.source().len(),
            Arc::strong_count(newest.source_arc())
        );
    }
    for shape in shapes {
        let e = parse_line(0, source_name, shape.as_bytes());
        let (bytes, allocs) = entry_heap(&e);
        println!(
            "  raw {:>3} bytes -> heap {:>3} bytes in {} allocation (message {}, {} fields: {})",
            shape.len(),
            bytes,
            allocs,
            e.message().len(),
            e.field_count(),
            e.fields()
                .map(|(k, v)| format!("{k}={}", v.len()))
                .collect::<Vec<_>>()
                .join(",")
        );
    }
}
