//! One run's estimated work against its measured CPU time, for calibrating the constants of
//! `ceq::sim::estimate`: prints the units of work the estimate counts for one run of the
//! baseline plan on the engine `auto` picks (or `--engine`'s), their estimated CPU time, and
//! one thread's CPU time per run read from `/proc/thread-self/schedstat` (Linux) around each
//! run, so neither loading nor set-up counts.
//!
//! `cargo run --release --example estimate_cost -- SCENARIO [RUNS] [customer|cohort]`
//! (defaults: 100 runs, seed 1, auto).

use std::path::Path;

use ceq::scenario::load_file;
use ceq::sim::estimate::{Unit, cost_per_run};
use ceq::sim::setup::RunSetup;
use ceq::sim::{EngineKind, SimOptions, choose_engine};

#[path = "support/thread_cpu.rs"]
mod thread_cpu;
use thread_cpu::thread_cpu_ns;

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .expect("usage: estimate_cost SCENARIO [RUNS] [ENGINE]");
    let runs: u64 = args
        .next()
        .map_or(100, |r| r.parse().expect("RUNS is a count"));
    let engine = match args.next().as_deref() {
        Some("customer") => EngineKind::Customer,
        Some("cohort") => EngineKind::Cohort,
        _ => EngineKind::Auto,
    };
    let scenario = load_file(Path::new(&file)).expect("scenario");
    let plan = &scenario.plans()[scenario.baseline_plan()];
    let options = SimOptions {
        plan: scenario.baseline_plan(),
        runs,
        seed: 1,
        engine,
        limits: Default::default(),
        control: Default::default(),
    };
    let engine = choose_engine(&scenario, plan, &options)
        .expect("engine")
        .engine;
    let cost = cost_per_run(&scenario, plan, engine);
    for unit in Unit::ALL {
        let amount = cost.units[unit as usize];
        if amount > 0.0 {
            println!("{:>32} {amount:>16.1}", unit.constant());
        }
    }
    let measurement = ceq::sim::estimate::measurement_cost_per_run(&scenario, plan, engine);
    println!(
        "{:>32} {:>16.3} ms a run (channel values, vintages, off-boarding; not measured here)",
        "simulate's measurements",
        measurement.cpu_seconds() * 1e3
    );
    let cap = ceq::sim::size::population_cap(&scenario, plan, &options.limits, 1);
    let mut cpu = 0u64;
    for run in 0..runs {
        let setup = RunSetup::new(&scenario, plan, 1, run);
        let before = thread_cpu_ns();
        match engine {
            EngineKind::Cohort => {
                ceq::sim::cohort::simulate_run(&setup, 1, run).expect("run");
            }
            _ => {
                ceq::sim::customer::simulate_run(&setup, 1, run, &cap).expect("run");
            }
        }
        cpu += thread_cpu_ns() - before;
    }
    println!(
        "{file}: {} engine, estimated {:.3} ms a run, measured {:.3} ms a run ({runs} runs)",
        engine.name(),
        cost.cpu_seconds() * 1e3,
        cpu as f64 / runs as f64 / 1e6
    );
}
