//! Monte Carlo engines.
//!
//! Every engine produces one [`RunResult`] per run; run k draws only from streams derived from
//! (seed, k) (see [`rng`]), and runs are collected in run order, so results are byte-identical
//! at any thread count (SPEC §11).

pub mod cohort;
pub mod customer;
pub mod period;
pub mod rng;
pub mod setup;
pub mod shard;
pub mod size;

use crate::scenario::{Plan, Scenario};
use crate::stats::{Components, Origin};

/// Which engine simulates (SPEC §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// The fastest engine that supports the scenario.
    #[default]
    Auto,
    /// Every customer, every period.
    Customer,
    /// Counts per cohort per period.
    Cohort,
}

impl EngineKind {
    /// The engine named `name` ("auto", "customer" or "cohort").
    pub fn from_name(name: &str) -> Option<Self> {
        [EngineKind::Auto, EngineKind::Customer, EngineKind::Cohort]
            .into_iter()
            .find(|e| e.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Auto => "auto",
            EngineKind::Customer => "customer",
            EngineKind::Cohort => "cohort",
        }
    }
}

/// What to simulate and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// Index into `scenario.plans`.
    pub plan: usize,
    pub runs: u64,
    pub seed: u64,
    pub engine: EngineKind,
}

/// One run's totals; money is discounted to period 0.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RunResult {
    pub customer_equity: f64,
    pub components: Components,
    pub origin: Origin,
    /// Indexed like `scenario.cohorts`.
    pub cohorts: Vec<CohortRun>,
    /// One entry per period 1..=H.
    pub periods: Vec<PeriodRun>,
    /// Uncertain-parameter draws that fell outside their domain and were clamped.
    pub clamped_draws: u32,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CohortRun {
    pub customer_equity: f64,
    pub active_end: f64,
    pub entered: f64,
    /// Customers active in this cohort during each period 1..=H (the pyramid's evolution).
    pub active: Vec<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct PeriodRun {
    /// Active during the period (after this period's acquisition and referrals).
    pub active: f64,
    /// Acquired plus referred customers who start in this period.
    pub new: f64,
    pub orders: f64,
    pub revenue: f64,
    /// Discounted CE of periods 1..=t.
    pub cumulative_ce: f64,
}

/// The runs of one simulation, in run order, with the engine that made them.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub engine: EngineKind,
    pub runs: Vec<RunResult>,
    /// Where the engine departs from the exact model (empty when exact).
    pub approximations: Vec<String>,
}

/// Why a simulation was refused or failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("{0}")]
    TooLarge(String),
    #[error("plan index {0} does not exist")]
    NoSuchPlan(usize),
    #[error("the {0} engine does not support this scenario: {1}")]
    Unsupported(&'static str, String),
    /// Ctrl-C was pressed (see [`crate::cancel`]); the runs made so far are discarded.
    #[error("interrupted")]
    Interrupted,
}

/// Runs finished by any engine in this process; a progress display polls it.
pub static RUNS_DONE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs `options.runs` independent runs of `scenario` under its plan `options.plan`.
pub fn run(scenario: &Scenario, options: &SimOptions) -> Result<Simulation, SimError> {
    let plan = scenario
        .plans
        .get(options.plan)
        .ok_or(SimError::NoSuchPlan(options.plan))?;
    run_plan(scenario, plan, options)
}

/// Runs `options.runs` independent runs of `scenario` under `plan`, which need not be one of
/// the scenario's own plans (the optimizer's candidates); `options.plan` is ignored.
///
/// Runs are spread over rayon's pool and collected in run order; each run draws only from its
/// own streams, so the result is the same at any thread count. Run k's parameter draws and
/// shocks do not depend on the plan, so plans evaluated with the same seed share them (common
/// random numbers).
pub fn run_plan(
    scenario: &Scenario,
    plan: &Plan,
    options: &SimOptions,
) -> Result<Simulation, SimError> {
    run_plan_range(scenario, plan, options, 0..options.runs)
}

/// Runs only the runs numbered `range` (a shard of `options.runs`); run k is the same run k an
/// unsharded study makes, so shards concatenated in order equal the whole study.
pub fn run_plan_range(
    scenario: &Scenario,
    plan: &Plan,
    options: &SimOptions,
    range: std::ops::Range<u64>,
) -> Result<Simulation, SimError> {
    use rayon::prelude::*;
    let (engine, approximations) = choose_engine(scenario, plan, options.engine)?;
    if engine == EngineKind::Customer {
        size::check_customer_engine(scenario, plan, options.runs)?;
    } else {
        size::check_run_periods(scenario, options.runs)?;
    }
    let runs = range
        .into_par_iter()
        .map(|k| {
            if crate::cancel::requested() {
                return Err(SimError::Interrupted);
            }
            let setup = setup::RunSetup::new(scenario, plan, options.seed, k);
            let result = match engine {
                EngineKind::Cohort => cohort::simulate_run(&setup, options.seed, k),
                _ => customer::simulate_run(&setup, options.seed, k),
            };
            RUNS_DONE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            result
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Simulation {
        engine,
        runs,
        approximations,
    })
}

/// The engine that will run, with the approximations it makes. `auto` takes the cohort engine
/// when it is exact for the scenario and cheaper than simulating every customer.
pub fn choose_engine(
    scenario: &Scenario,
    plan: &Plan,
    requested: EngineKind,
) -> Result<(EngineKind, Vec<String>), SimError> {
    match requested {
        EngineKind::Customer => Ok((EngineKind::Customer, Vec::new())),
        EngineKind::Cohort => cohort::support(scenario)
            .map(|approximations| (EngineKind::Cohort, approximations))
            .map_err(|reason| SimError::Unsupported("cohort", reason)),
        EngineKind::Auto => match cohort::support(scenario) {
            Ok(approximations) if approximations.is_empty() => {
                let customer_work: f64 = size::projected_population(scenario, plan).iter().sum();
                let strata = cohort::strata_for(scenario.time.periods) as f64;
                // A stratum-period costs a few binomial draws, a customer-period about one
                // uniform: prefer counts once customers outnumber strata several times over.
                let cohort_work =
                    8.0 * strata * scenario.cohorts.len() as f64 * f64::from(scenario.time.periods);
                if cohort_work < customer_work {
                    Ok((EngineKind::Cohort, Vec::new()))
                } else {
                    Ok((EngineKind::Customer, Vec::new()))
                }
            }
            _ => Ok((EngineKind::Customer, Vec::new())),
        },
    }
}
