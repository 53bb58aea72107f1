//! The real console under a log flood, for the key-to-screen latency benchmark
//! (`scripts/bench-keys.sh`, `bench/key_latency.py`).
//!
//! It runs exactly what `opsdeck --demo SCENARIO` runs (the same `session::demo` state and
//! keymap, the same `tui::run` event loop on the same two-worker tokio runtime, the same
//! terminal backend), with one difference: the source also delivers RATE extra log lines a
//! second. A producer thread makes them (Lambda JSON, text-prefixed, `REPORT`, plain, ANSI-
//! coloured and OSC-8 hyperlinked lines, every one different) and sends them over a channel
//! every 10 ms; the source's `poll` drains the channel on every tick of the event loop
//! (250 ms) into one `Update::Logs` batch, the way the AWS source drains its log feed. So each
//! line goes through the real path: `app::update` → sanitise + parse → the ring buffer, and
//! the log pane is redrawn from it.
//!
//!     cargo run --release --example flood_tui -- [--rate N] [--scenario NAME] [--stats FILE]
//!
//! `--stats FILE` gets, when the console quits: `lines=N seconds=S rate=R` (lines handed to
//! the model, seconds from the first to the last delivery).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use opsdeck::model::log::LogFilter;
use opsdeck::model::time::Ts;
use opsdeck::model::{RawLog, Update};
use opsdeck::session::{self, Files};
use opsdeck::source::demo::DemoSource;
use opsdeck::source::{Clock, Source};

struct FloodSource {
    inner: DemoSource,
    rx: mpsc::Receiver<Vec<RawLog>>,
    stats: Arc<Stats>,
}

#[derive(Default)]
struct Stats {
    lines: AtomicU64,
    first_last: Mutex<Option<(Instant, Instant)>>,
}

impl Source for FloodSource {
    fn label(&self) -> String {
        self.inner.label()
    }

    fn poll(&mut self, now: Ts) -> Vec<Update> {
        let mut updates = self.inner.poll(now);
        let mut lines = Vec::new();
        while let Ok(batch) = self.rx.try_recv() {
            if lines.is_empty() {
                lines = batch;
            } else {
                lines.extend(batch);
            }
        }
        if !lines.is_empty() {
            self.stats.lines.fetch_add(lines.len() as u64, Relaxed);
            let t = Instant::now();
            let mut fl = self.stats.first_last.lock().unwrap();
            let first = fl.map_or(t, |(f, _)| f);
            *fl = Some((first, t));
            updates.push(Update::Logs(lines));
        }
        updates
    }

    fn set_log_interest(&mut self, visible: bool, filter: &LogFilter) {
        self.inner.set_log_interest(visible, filter);
    }
}

const GROUPS: [&str; 3] = [
    "/aws/lambda/crypto-watch-api",
    "/aws/lambda/crypto-watch-price-update",
    "/aws/lambda/profile-api",
];

/// The n-th flood line: six shapes in turn, each with its own request id.
fn line(n: u64) -> Vec<u8> {
    let id = format!(
        "{:08x}-{:04x}-4000-8000-{:012x}",
        n as u32,
        (n >> 32) & 0xffff,
        n
    );
    let s = match n % 6 {
        0 => format!(
            r#"{{"level":"INFO","message":"GET /prices/btc 200","requestId":"{id}","userId":"u-{}","status":200,"duration":{}}}"#,
            n % 977,
            n % 300
        ),
        1 => format!(
            r#"{{"level":"ERROR","message":"TypeError: Cannot read properties of undefined (reading 'price')","requestId":"{id}","error":{{"code":"INTERNAL_ERROR"}}}}"#
        ),
        2 => format!(
            "REPORT RequestId: {id}\tDuration: {}.{:02} ms\tBilled Duration: {} ms\tMemory Size: 512 MB\tMax Memory Used: 87 MB",
            n % 900,
            n % 100,
            n % 900 + 1
        ),
        3 => format!(
            "2026-11-23T09:00:00.000Z\t{id}\tWARN\tslow DynamoDB query on crypto-watch-data ({} ms)",
            n % 2000
        ),
        4 => format!("\x1b[31mERROR\x1b[0m price feed {n} failed: upstream 502"),
        _ => format!(
            "user-agent: \x1b]8;;https://example.invalid/{n}\x07link\x1b]8;;\x07 \u{202e}txt.exe request {id}"
        ),
    };
    s.into_bytes()
}

fn producer(rate: f64, clock: Clock, tx: mpsc::Sender<Vec<RawLog>>, stop: Arc<AtomicBool>) {
    let start = Instant::now();
    let mut sent: u64 = 0;
    while !stop.load(Relaxed) {
        std::thread::sleep(Duration::from_millis(10));
        let due = (start.elapsed().as_secs_f64() * rate) as u64;
        if due <= sent {
            continue;
        }
        let ts = clock.now();
        let batch: Vec<RawLog> = (sent..due)
            .map(|n| RawLog {
                ts,
                source: GROUPS[(n % 3) as usize].to_string(),
                bytes: line(n),
            })
            .collect();
        sent = due;
        if tx.send(batch).is_err() {
            break;
        }
    }
}

fn main() -> color_eyre::Result<()> {
    let mut rate = 10_000.0;
    let mut scenario = "bad-deploy".to_string();
    let mut stats_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .ok_or_else(|| color_eyre::eyre::eyre!("{what} needs a value"))
        };
        match a.as_str() {
            "--rate" => rate = value("--rate")?.parse()?,
            "--scenario" => scenario = value("--scenario")?,
            "--stats" => stats_file = Some(value("--stats")?),
            other => color_eyre::eyre::bail!(
                "unknown argument {other:?}: use --rate N, --scenario NAME, --stats FILE"
            ),
        }
    }
    opsdeck::tui::install_hooks()?;
    let (state, demo, keymap) = session::demo(
        &scenario,
        opsdeck::source::demo::DEFAULT_SEED,
        &Files::default(),
    )?;
    let clock = Clock::simulated(DemoSource::epoch(), 1.0);
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(Stats::default());
    let producer = {
        let stop = stop.clone();
        std::thread::spawn(move || producer(rate, clock, tx, stop))
    };
    let source = FloodSource {
        inner: demo,
        rx,
        stats: stats.clone(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let opts = opsdeck::tui::RunOptions::default();
    let result = rt.block_on(opsdeck::tui::run(
        state,
        Box::new(source),
        clock,
        keymap,
        opts,
    ));
    stop.store(true, Relaxed);
    let _ = producer.join();
    let lines = stats.lines.load(Relaxed);
    let secs = stats
        .first_last
        .lock()
        .unwrap()
        .map_or(0.0, |(f, l)| (l - f).as_secs_f64());
    if let Some(path) = stats_file {
        std::fs::write(
            path,
            format!(
                "lines={lines} seconds={secs:.3} rate={:.0}\n",
                lines as f64 / secs.max(1e-9)
            ),
        )?;
    }
    result.map(|_| ())
}
