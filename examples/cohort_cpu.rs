//! One thread's CPU time per stratum-period of `cohort::simulate_run`, read from
//! `/proc/thread-self/schedstat` (Linux) around each run, so neither the scenario's loading nor
//! the run set-up nor other threads count.
//!
//! `cargo run --release --example cohort_cpu -- [SCENARIO] [RUNS]` (defaults:
//! benches/scenarios/large_bank.toml, 200 runs, seed 1, the baseline plan). Stratum-periods are
//! counted as in `cargo bench --bench engine -- cohort_engine_strata`: Σ over cohorts of
//! [`ceq::sim::cohort::strata_count`] × periods × runs.

use std::path::Path;

use ceq::scenario::load_file;
use ceq::sim::cohort::{simulate_run, strata_count};
use ceq::sim::setup::RunSetup;

#[path = "support/thread_cpu.rs"]
mod thread_cpu;
use thread_cpu::thread_cpu_ns;

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .unwrap_or_else(|| "benches/scenarios/large_bank.toml".to_string());
    let runs: u64 = args
        .next()
        .map_or(200, |r| r.parse().expect("RUNS is a count"));
    let scenario = load_file(Path::new(&file)).expect("scenario");
    let plan = &scenario.plans()[scenario.baseline_plan()];
    let seed = 1;
    let strata: usize = (0..scenario.cohorts().len())
        .map(|c| strata_count(&scenario, c))
        .sum();
    let per_cohort: Vec<String> = (0..scenario.cohorts().len())
        .map(|c| {
            format!(
                "{} {}",
                scenario.cohorts()[c].name(),
                strata_count(&scenario, c)
            )
        })
        .collect();
    println!("strata per cohort: {}", per_cohort.join(", "));
    let mut cpu = 0u64;
    let mut check = 0.0;
    for run in 0..runs {
        let setup = RunSetup::new(&scenario, plan, seed, run);
        let before = thread_cpu_ns();
        let result = simulate_run(&setup, seed, run).expect("run");
        cpu += thread_cpu_ns() - before;
        check += result.customer_equity;
    }
    let stratum_periods = strata as f64 * f64::from(scenario.time().periods()) * runs as f64;
    println!(
        "{file}: {strata} strata, {runs} runs, {:.1} ms CPU, {:.1} ns per stratum-period \
         (mean CE {:.6e})",
        cpu as f64 / 1e6,
        cpu as f64 / stratum_periods,
        check / runs as f64
    );
}
