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

/// SplitMix64 (Steele, Lea & Flood 2014): the history base's fixed source, so the bench
/// measures the same base on every machine.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A BG/NBD cohort (CDNOW estimates, Gamma-Gamma spend) whose existing customers keep their
/// history: `rows` distinct (x, t_x, T, count, m_x) rows, x geometric-like, T over 40–52 weeks
/// in whole days, 1–4 customers each, m_x for repeat buyers; written to `dir`. Returns the
/// scenario and its customers.
fn history_base(dir: &Path, rows: usize) -> (Scenario, u64) {
    let mut rng = SplitMix(20);
    let mut csv = String::from("frequency,recency,T,count,monetary_value\n");
    let mut customers = 0;
    for _ in 0..rows {
        let mut x = 0u32;
        while rng.next() < 0.62 && x < 30 {
            x += 1;
        }
        let age_days = 280 + (rng.next() * 85.0) as u32;
        let recency_days = if x == 0 {
            0
        } else {
            1 + (rng.next() * f64::from(age_days - 1)) as u32
        };
        let count = 1 + (rng.next() * 4.0) as u64;
        customers += count;
        let money = if x > 0 {
            format!("{:.2}", 12.0 + 60.0 * rng.next())
        } else {
            String::new()
        };
        csv.push_str(&format!(
            "{x},{},{},{count},{money}\n",
            f64::from(recency_days) / 7.0,
            f64::from(age_days) / 7.0
        ));
    }
    std::fs::write(dir.join("base.history.csv"), csv).expect("history file");
    let toml = "[time]\nperiods = 52\nperiods_per_year = 52\ndiscount_rate = 0.1\n\n\
                [[cohorts]]\nname = \"base\"\n\
                retention = { dropout_alpha = 0.793, dropout_beta = 2.426 }\n\
                purchases = { mean = 0.05505, shape = 0.243 }\n\
                order_value = { p = 6.25, q = 3.74, gamma = 15.44 }\nmargin = 0.3\n\
                history = \"base.history.csv\"\n";
    let path = dir.join("base.toml");
    std::fs::write(&path, toml).expect("scenario file");
    (load_file(&path).expect("history scenario"), customers)
}

/// The cohort engine on a history base of 20,000 distinct rows (about 50,000 customers) with
/// Gamma-Gamma spend records, 52 weeks: binned (frequency bins and spend classes) against the
/// exact per-history path, in customer-periods of the base (customers × periods × runs).
fn bench_history_base(c: &mut Criterion) {
    use ceq::sim::history_bins::HistoryPath;
    let mut group = c.benchmark_group("history_base");
    group.sample_size(10);
    let dir = tempfile::tempdir().expect("temporary directory");
    let (scenario, customers) = history_base(dir.path(), 20_000);
    let runs = 20u64;
    let periods = u64::from(scenario.time().periods());
    group.throughput(Throughput::Elements(customers * periods * runs));
    let plan = scenario
        .plan(scenario.baseline_plan())
        .expect("baseline plan");
    for (name, path) in [
        ("binned_spend_20k_rows", HistoryPath::Binned),
        ("exact_spend_20k_rows", HistoryPath::Exact),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                (0..runs)
                    .map(|k| {
                        let mut setup = ceq::sim::setup::RunSetup::new(&scenario, plan, 1, k);
                        setup.history = path;
                        ceq::sim::cohort::simulate_run(black_box(&setup), 1, k).expect("run")
                    })
                    .map(|r| r.customer_equity)
                    .sum::<f64>()
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_engine,
    bench_cohort_scaling,
    bench_cohort_strata,
    bench_large_bank,
    bench_history_base
);
criterion_main!(benches);
