//! The per-customer engine in customer-periods per second.
//!
//! `cargo bench --bench engine`. Throughput is counted in customer-periods: the sum over periods
//! of customers active, which is the engine's unit of work.

use std::hint::black_box;
use std::path::Path;

use ceq::scenario::{
    CashFlowTiming, Cohort, OrderValue, Purchases, Retention, Scenario, Time, load_file,
};
use ceq::sim::{EngineKind, SimOptions, run};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn options(runs: u64) -> SimOptions {
    SimOptions {
        plan: 0,
        runs,
        seed: 1,
        engine: EngineKind::Customer,
    }
}

/// Customer-periods in the given runs: Σ over runs and periods of customers active.
fn customer_periods(scenario: &Scenario, runs: u64) -> u64 {
    let sim = run(scenario, &options(runs)).expect("simulation");
    sim.runs
        .iter()
        .flat_map(|r| r.periods.iter().map(|p| p.active))
        .sum::<f64>() as u64
}

/// Poisson orders, Gamma order values, constant retention: the reference case of the engine
/// speed goal.
fn poisson_gamma() -> Scenario {
    let cohort = Cohort::new(
        "base",
        100_000,
        Retention::Rate { rate: 0.98 },
        Purchases::Poisson { mean: 0.8 },
        OrderValue::Gamma {
            mean: 40.0,
            cv: 0.6,
        },
    );
    let time = Time {
        periods: 60,
        periods_per_year: 12,
        discount_rate: 0.1,
        cash_flow_timing: CashFlowTiming::End,
    };
    Scenario::new("poisson-gamma", time, vec![cohort])
}

fn bench_engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("customer_engine");
    group.sample_size(10);
    let pyramid = load_file(Path::new("scenarios/pyramid.toml")).expect("pyramid scenario");
    let cases = [
        ("poisson_gamma_100k_60", poisson_gamma(), 4),
        ("pyramid", pyramid, 20),
    ];
    for (name, scenario, runs) in cases {
        group.throughput(Throughput::Elements(customer_periods(&scenario, runs)));
        group.bench_function(name, |b| {
            b.iter(|| run(black_box(&scenario), &options(runs)).expect("simulation"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
