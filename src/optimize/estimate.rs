//! How many runs an optimization or a frontier typically makes, for the work estimate of
//! [`crate::sim::estimate`]: the search's Monte Carlo evaluations, its certification and the
//! final fresh-seed evaluations, in runs of one plan.
//!
//! The search's length depends on the objective's landscape and is not known before it runs;
//! the counts here are what the shipped scenarios typically take (provenance on each constant).

use super::space::PlanSpace;
use super::{OptimizeError, Settings};
use crate::scenario::Scenario;
use crate::sim::SimOptions;
use crate::sim::estimate::{self as sim_estimate, Cost, Work};

/// Monte Carlo evaluations of the search besides one central-difference gradient (2 per
/// coordinate): the three scored start points and about two line-search steps.
pub const SEARCH_EXTRA_EVALUATIONS: f64 = 5.0;

/// Gradients the search typically takes. Provenance: `ceq optimize scenarios/pyramid.toml
/// --json` reports 21 Monte Carlo evaluations for its 5 spend coordinates; the calibration test
/// `estimates_match_measured_times` (ignored) prints the runs made against this estimate.
pub const SEARCH_GRADIENTS: f64 = 1.0;

/// The search's runs per evaluation grow as it closes in (doubling when noise hides the next
/// step); on average an evaluation makes about this many times `search_runs`. On the shipped
/// scenarios the search mostly ends before the runs double (pyramid: 6,900 runs made in all
/// against 7,900 estimated with this factor).
pub const SEARCH_RUN_GROWTH: f64 = 1.0;

/// Spend coordinates of the optimization's plan space (levers × years), the ones the gradient
/// and the certification step along.
fn dimension(scenario: &Scenario, settings: &Settings) -> Result<f64, OptimizeError> {
    let baseline = &scenario.plans[settings.baseline];
    let phases = settings.phases || settings.optimize.phases;
    let space = PlanSpace::phased(scenario, &settings.optimize, baseline, phases)?;
    Ok(space.spend_dim() as f64)
}

/// Runs of the Monte Carlo search alone (no certification, no final evaluation), within
/// `max_evaluations` × `max_search_runs`.
fn search_runs(settings: &Settings, dim: f64) -> f64 {
    let evaluations = (SEARCH_EXTRA_EVALUATIONS + 2.0 * dim * SEARCH_GRADIENTS)
        .min(settings.max_evaluations as f64);
    let per_evaluation = (settings.search_runs as f64 * SEARCH_RUN_GROWTH)
        .min(settings.max_search_runs.max(settings.search_runs) as f64);
    evaluations * per_evaluation
}

/// Typical runs of [`super::optimize`] with `settings`: the search, the certification (the
/// chosen plan and a step down and up per spend coordinate, `certify_runs` each) when
/// `settings.marginal`, and the chosen plan and the baseline on `runs` fresh runs.
pub fn optimize_runs(scenario: &Scenario, settings: &Settings) -> Result<f64, OptimizeError> {
    let dim = dimension(scenario, settings)?;
    let certify = if settings.marginal {
        (2.0 * dim + 1.0) * settings.certify_runs as f64
    } else {
        0.0
    };
    Ok(search_runs(settings, dim) + certify + 2.0 * settings.runs as f64)
}

/// Typical runs of [`crate::plans::frontier::frontier`] over `budgets` budgets: per budget a
/// search without certification and the optimum on `runs` runs, then the baseline.
pub fn frontier_runs(
    scenario: &Scenario,
    settings: &Settings,
    budgets: usize,
) -> Result<f64, OptimizeError> {
    let dim = dimension(scenario, settings)?;
    let per_budget = search_runs(settings, dim) + settings.runs as f64;
    Ok(budgets as f64 * per_budget + settings.runs as f64)
}

/// Runs of [`super::curves::response_curves`]: each lever's curve at
/// [`super::curves::CURVE_POINTS`] spends plus the current and the chosen one, `search_runs`
/// each.
pub fn curves_runs(scenario: &Scenario, settings: &Settings) -> Result<f64, OptimizeError> {
    let baseline = &scenario.plans[settings.baseline];
    let levers = PlanSpace::new(scenario, &settings.optimize, baseline)?
        .levers
        .len() as f64;
    Ok(levers * (super::curves::CURVE_POINTS as f64 + 2.0) * settings.search_runs as f64)
}

/// Mean-field evaluations of one search (its three starts together) per optimized lever.
/// Provenance (December 2026, `ceq optimize S --json`, `termination.mean_field_evaluations`):
/// channels 130 for 3 levers, full 284 for 4, pyramid 450 for 5, the phased five-year bench
/// 177 for 2 levers over 5 years, the BG/NBD retailer 33 for 2.
pub const MEAN_FIELD_EVALUATIONS_PER_LEVER: f64 = 70.0;

/// The work of `searches` mean-field searches of [`super::search`] with `settings` (a capped
/// optimization is two: the uncapped optimum first, [`super::uncapped_optimum`]).
pub fn mean_field_cost(
    scenario: &Scenario,
    settings: &Settings,
    searches: f64,
) -> Result<Cost, OptimizeError> {
    let baseline = &scenario.plans[settings.baseline];
    let levers = PlanSpace::new(scenario, &settings.optimize, baseline)?
        .levers
        .len() as f64;
    let evaluations = MEAN_FIELD_EVALUATIONS_PER_LEVER * levers;
    Ok(sim_estimate::mean_field_cost(
        scenario,
        settings.mean_field_runs,
        searches * evaluations,
    ))
}

/// How many times the mean-field evaluations of an optimization at the scenario's budget
/// ([`MEAN_FIELD_EVALUATIONS_PER_LEVER`]) a frontier's search at one of its budgets takes, on
/// average: budgets away from the one the scenario was set up for take longer to search (a
/// lever meets its bound, the projected gradient zig-zags along the cap).
///
/// Provenance (December 2026, `ceq optimize S --budget B --json`,
/// `termination.mean_field_evaluations` at 0.5, 1 and 1.5 times `[optimize].budget`, the
/// frontier of the calibration test): pyramid 427, 450 and 2,238 (54 iterations instead of 8
/// at 1.5 times; 2.3 times the middle on average), the optimizer's BG/NBD retailer 29, 33 and
/// 91 (1.55), full 251, 284 and 330 (1.02), channels 118, 130 and 132 (0.97), the phased
/// five-year bench 143, 177 and 200 (0.98). The factor is set for the pyramid, the only one
/// whose mean field is a large part of its frontier's time.
pub const FRONTIER_MEAN_FIELD_FACTOR: f64 = 2.0;

/// Mean-field searches of an optimization with `settings`: with a budget cap, the uncapped
/// optimum too (unless the caller has it).
fn searches(settings: &Settings) -> f64 {
    if settings.optimize.budget.is_some() && settings.uncapped_optimum.is_none() {
        2.0
    } else {
        1.0
    }
}

/// The simulation options of the baseline plan under `settings`.
fn baseline_options(settings: &Settings) -> SimOptions {
    SimOptions {
        plan: settings.baseline,
        runs: settings.runs,
        seed: settings.seed,
        engine: settings.engine,
        limits: settings.limits,
        control: settings.control.clone(),
    }
}

/// The work of `ceq optimize` with `settings`: the mean-field search, the Monte Carlo runs of
/// [`optimize_runs`], and with `curves` the response curves ([`curves_runs`]), spread over
/// `threads`.
pub fn optimize_work(
    scenario: &Scenario,
    settings: &Settings,
    curves: bool,
    threads: usize,
) -> Result<Work, OptimizeError> {
    let mut runs = optimize_runs(scenario, settings)?;
    if curves {
        runs += curves_runs(scenario, settings)?;
    }
    let mean_field = mean_field_cost(scenario, settings, searches(settings))?;
    search_work("optimize", scenario, settings, runs, mean_field, threads)
}

/// The [`Work`] of a search command: `runs` runs of the baseline plan on the engine `auto`
/// picks for it, plus `mean_field`, the work of its mean-field searches.
fn search_work(
    command: &str,
    scenario: &Scenario,
    settings: &Settings,
    runs: f64,
    mean_field: Cost,
    threads: usize,
) -> Result<Work, OptimizeError> {
    let options = baseline_options(settings);
    let plan = &scenario.plans[settings.baseline];
    let choice = crate::sim::choose_engine(scenario, plan, &options)?;
    Ok(Work::new(
        command,
        scenario,
        plan,
        choice,
        runs,
        settings.search_runs,
        threads,
    )
    .plus(mean_field))
}

/// The work of `ceq frontier` over `budgets` budgets: per budget a mean-field search
/// ([`FRONTIER_MEAN_FIELD_FACTOR`] times an optimization's) and the runs of
/// [`frontier_runs`].
pub fn frontier_work(
    scenario: &Scenario,
    settings: &Settings,
    budgets: usize,
    threads: usize,
) -> Result<Work, OptimizeError> {
    let runs = frontier_runs(scenario, settings, budgets)?;
    // Every budget's search, and the uncapped optimum they share (searched once).
    let mean_field = mean_field_cost(
        scenario,
        settings,
        budgets as f64 * FRONTIER_MEAN_FIELD_FACTOR + 1.0,
    )?;
    search_work("frontier", scenario, settings, runs, mean_field, threads)
}
