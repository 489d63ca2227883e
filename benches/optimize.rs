//! Optimization benches: the pyramid example's five levers (and retention shares) with the
//! default settings of `ceq optimize`, and the mean-field search alone.
//!
//! Run with `cargo bench --bench optimize`; the full optimization takes tens of seconds per
//! iteration, so the group uses criterion's minimum of ten samples.

use criterion::{Criterion, criterion_group, criterion_main};
use std::path::Path;
use std::time::Duration;

use ceq::optimize::{Settings, Silent, optimize, search};

fn pyramid() -> ceq::scenario::Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/pyramid.toml");
    ceq::scenario::load_file(&path).expect("the pyramid example validates")
}

fn bench_optimize(c: &mut Criterion) {
    let scenario = pyramid();
    let settings = Settings::new(
        scenario
            .optimize()
            .cloned()
            .expect("pyramid has [optimize]"),
        scenario.baseline_plan(),
    );
    let mut group = c.benchmark_group("optimize");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("pyramid_mean_field_search", |b| {
        b.iter(|| search(&scenario, &settings, &mut Silent).expect("search runs"))
    });
    group.measurement_time(Duration::from_secs(300));
    group.bench_function("pyramid_five_levers_default", |b| {
        b.iter(|| optimize(&scenario, &settings, &mut Silent).expect("optimize runs"))
    });
    group.finish();
}

criterion_group!(benches, bench_optimize);
criterion_main!(benches);
