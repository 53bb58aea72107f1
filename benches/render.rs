//! Full-frame render cost at three terminal sizes, and the cost of a frame where nothing
//! changed (render + diff against the previous frame, which is what ratatui does per draw).
//!
//! The state is the demo `bad-deploy` scenario with the default seed at minute 8 (the deploy
//! has gone bad: alarms firing, error spike, logs flowing), i.e. the same screen as
//! `opsdeck snapshot --demo bad-deploy --at 8m`.
//!
//! Each case is measured twice: group `render` in wall-clock time (criterion's default) and
//! group `render_cpu` in the thread's CPU time, which leaves out time spent waiting for a core
//! on a loaded machine (see `support/mod.rs`).
//! Run: `cargo bench --bench render` (times are set below, short enough for a 2-core box;
//! override with `-- --warm-up-time S --measurement-time S`).

mod support;

use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use opsdeck::session::{self, Files};

fn state_at(minutes: i64) -> opsdeck::app::AppState {
    let (mut state, mut source, _) = session::demo(
        "bad-deploy",
        opsdeck::source::demo::DEFAULT_SEED,
        &Files::default(),
    )
    .expect("demo");
    let now = opsdeck::source::demo::DemoSource::epoch() + minutes * 60;
    session::advance(&mut state, &mut source, now);
    state
}

fn render_group<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let mut state = state_at(8);
    assert!(
        !state.model.logs.is_empty(),
        "the benchmark frame should have log lines"
    );
    let mut group = c.benchmark_group(name);
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (w, h) in [(80u16, 24u16), (200, 60), (250, 70)] {
        state.ui.size = (w, h);
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        group.bench_function(format!("full_frame_{w}x{h}"), |b| {
            b.iter(|| {
                buf.reset();
                opsdeck::ui::render(area, &mut buf, &state);
                std::hint::black_box(&buf);
            })
        });
    }
    let (w, h) = (200, 60);
    state.ui.size = (w, h);
    let area = Rect::new(0, 0, w, h);
    let mut prev = Buffer::empty(area);
    opsdeck::ui::render(area, &mut prev, &state);
    let mut next = Buffer::empty(area);
    group.bench_function("unchanged_frame_200x60_render_and_diff", |b| {
        b.iter(|| {
            next.reset();
            opsdeck::ui::render(area, &mut next, &state);
            let diff = prev.diff(&next);
            assert!(diff.is_empty());
            std::hint::black_box(diff.len());
        })
    });
    group.finish();
}

fn render_wall(c: &mut Criterion) {
    render_group(c, "render");
}

fn render_cpu(c: &mut Criterion<support::CpuTime>) {
    render_group(c, "render_cpu");
}

criterion_group!(wall, render_wall);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(support::CpuTime);
    targets = render_cpu
}
criterion_main!(wall, cpu);
