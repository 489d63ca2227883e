//! The per-customer engine in customer-periods per second.
//!
//! `cargo bench --bench engine -- --noplot`. Throughput is counted in customer-periods (the
//! sum over periods of customers active, the per-customer engine's unit of work) and, for the
//! cohort engine, in stratum-periods (strata × periods × runs).

use std::hint::black_box;
use std::path::Path;

use ceq::scenario::{
    CashFlowTiming, Cohort, CohortId, OrderValue, Purchases, Retention, Scenario, Time, load_file,
};
use ceq::sim::{EngineKind, SimOptions, run};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn options(runs: u64) -> SimOptions {
    engine_options(runs, EngineKind::Customer)
}

fn engine_options(runs: u64, engine: EngineKind) -> SimOptions {
    SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs,
        seed: 1,
        engine,
        limits: Default::default(),
        control: Default::default(),
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
    poisson_gamma_with(100_000)
}

fn poisson_gamma_with(customers: u64) -> Scenario {
    let cohort = Cohort::new(
        "base",
        customers,
        Retention::Rate { rate: 0.98 },
        Purchases::Poisson { mean: 0.8 },
        OrderValue::Gamma {
            mean: 40.0,
            cv: 0.6,
        },
    );
    let time = Time::new(60, 12, 0.1, CashFlowTiming::End);
    Scenario::build("poisson-gamma", time, vec![cohort]).unwrap()
}

/// The same base with Beta-distributed churn (`{ mean = 0.98, concentration = 50 }`): one
/// uniform per customer-period, the per-customer engine's Beta-churn path (issue 12 item 4).
fn beta_churn() -> Scenario {
    let mut scenario = poisson_gamma();
    let mut cohort = scenario.cohorts()[0].clone();
    cohort.set_retention(Retention::MeanConcentration {
        mean: 0.98,
        concentration: 50.0,
    });
    scenario
        .set_cohort(CohortId::FIRST, cohort)
        .expect("a valid retention");
    scenario
}

fn bench_engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("customer_engine");
    group.sample_size(10);
    let pyramid = load_file(Path::new("scenarios/pyramid.toml")).expect("pyramid scenario");
    let cases = [
        ("poisson_gamma_100k_60", poisson_gamma(), 4),
        ("beta_churn_100k_60", beta_churn(), 4),
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

/// The cohort engine's cost does not grow with the number of customers.
fn bench_cohort_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("cohort_engine_customers");
    group.sample_size(10);
    for customers in [1_000u64, 10_000, 100_000, 1_000_000, 10_000_000] {
        let mut scenario = poisson_gamma_with(customers);
        let mut cohort = scenario.cohorts()[0].clone();
        cohort.set_retention(Retention::MeanConcentration {
            mean: 0.98,
            concentration: 20.0,
        });
        scenario
            .set_cohort(CohortId::FIRST, cohort)
            .expect("a valid retention");
        group.bench_function(format!("{customers}"), |b| {
            b.iter(|| {
                run(
                    black_box(&scenario),
                    &engine_options(20, EngineKind::Cohort),
                )
                .expect("simulation")
            })
        });
    }
    group.finish();
}

/// Stratum-periods of `runs` runs: Σ over cohorts of the strata the cohort engine keeps for it
/// (per origin) × periods × runs.
fn stratum_periods(scenario: &Scenario, runs: u64) -> u64 {
    let strata: usize = (0..scenario.cohorts().len())
        .map(|c| ceq::sim::cohort::strata_count(scenario, c))
        .sum();
    strata as u64 * u64::from(scenario.time().periods()) * runs
}

/// The cohort engine in stratum-periods per second, on the two scale benchmarks of issue 12.
fn bench_cohort_strata(c: &mut Criterion) {
    let mut group = c.benchmark_group("cohort_engine_strata");
    group.sample_size(10);
    let cases = [
        (
            "large_bank_20_runs",
            "benches/scenarios/large_bank.toml",
            20,
        ),
        (
            "bgnbd_million_10_runs",
            "benches/scenarios/bgnbd_million.toml",
            10,
        ),
    ];
    for (name, file, runs) in cases {
        let scenario = load_file(Path::new(file)).expect("bench scenario");
        group.throughput(Throughput::Elements(stratum_periods(&scenario, runs)));
        group.bench_function(name, |b| {
            b.iter(|| {
                run(
                    black_box(&scenario),
                    &engine_options(runs, EngineKind::Cohort),
                )
                .expect("simulation")
            })
        });
    }
    group.finish();
}

/// The scale benchmark: 2,000,000 customers in five tiers, 120 months (100 runs here; the
/// README quotes the full 1,000-run command).
fn bench_large_bank(c: &mut Criterion) {
    let mut group = c.benchmark_group("large_bank");
    group.sample_size(10);
    let scenario =
        load_file(Path::new("benches/scenarios/large_bank.toml")).expect("large bank scenario");
    group.bench_function("auto_100_runs", |b| {
        b.iter(|| run(black_box(&scenario), &engine_options(100, EngineKind::Auto)).expect("sim"))
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_engine,
    bench_cohort_scaling,
    bench_cohort_strata,
    bench_large_bank
);
criterion_main!(benches);
