//! Full-frame render cost at three terminal sizes, and the cost of a frame where nothing
//! changed (render + diff against the previous frame, which is what ratatui does per draw).

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use opsdeck::session::{self, Files};

fn state_at(minutes: i64) -> opsdeck::app::AppState {
    let (mut state, mut source, _) =
        session::demo("bad-deploy", 1, &Files::default()).expect("demo");
    let now = opsdeck::source::demo::DemoSource::epoch() + minutes * 60;
    session::advance(&mut state, &mut source, now);
    state
}

fn render(c: &mut Criterion) {
    let mut state = state_at(8);
    let mut group = c.benchmark_group("render");
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

criterion_group!(benches, render);
criterion_main!(benches);
