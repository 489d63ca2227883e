//! The work of `ceq report`, for its estimate ([`crate::sim::estimate`]): the simulation with
//! its channel values and payback vintages, the comparison of every plan (the baseline's runs
//! reused) and the off-boarding valuations, and, as [`super::build::build`] makes them, the
//! optimization with its mean-field search, response curves and channel values, the frontier
//! and the screened sensitivity.

use super::build::{
    FRONTIER_EVALUATIONS, FRONTIER_MULTIPLES, FRONTIER_RUNS, FRONTIER_SEARCH_RUNS, Options,
    SENSITIVITY_SCREEN,
};
use crate::optimize::{OptimizeError, Settings, estimate};
use crate::scenario::Scenario;
use crate::sim::estimate::{self as sim_estimate, Cost, Work, cost_per_run};
use crate::sim::{SimOptions, choose_engine};

/// The settings of the report's optimization (see [`super::build::build`]).
pub(crate) fn optimize_settings(scenario: &Scenario, options: &Options) -> Option<Settings> {
    let section = scenario.optimize.as_ref().filter(|_| options.optimize)?;
    let mut settings = Settings::new(section.clone(), scenario.baseline_plan);
    settings.runs = options.runs;
    settings.seed = options.seed;
    settings.engine = options.engine;
    settings.limits = options.limits;
    settings.control = options.control.clone();
    // The report's optimization is one section of several: the search and its certification
    // use runs in proportion to the report's, within 30..100 and 100..400.
    settings.search_runs = options.runs.clamp(30, 100);
    settings.certify_runs = options.runs.clamp(100, 400);
    Some(settings)
}

/// The settings of the report's frontier at one budget, from the optimization's.
pub(crate) fn frontier_settings(settings: &Settings) -> Settings {
    let mut at = settings.clone();
    at.marginal = false;
    at.runs = settings.runs.min(FRONTIER_RUNS);
    at.max_evaluations = FRONTIER_EVALUATIONS;
    at.search_runs = settings.search_runs.min(FRONTIER_SEARCH_RUNS);
    at
}

/// Typical runs of the report's Monte Carlo studies besides the simulation and the
/// comparison, in runs of the baseline plan: the optimization with its response curves and
/// the frontier, and the screened sensitivity.
pub fn report_runs(scenario: &Scenario, options: &Options) -> Result<f64, OptimizeError> {
    let mut total = 0.0;
    if let Some(settings) = optimize_settings(scenario, options) {
        total += estimate::optimize_runs(scenario, &settings)?;
        total += estimate::curves_runs(scenario, &settings)?;
        if options.frontier {
            let at = frontier_settings(&settings);
            total += estimate::frontier_runs(scenario, &at, FRONTIER_MULTIPLES.len())?;
        }
    }
    if options.sensitivity_runs >= 2 {
        let parameters = scenario.parameter_paths().len().min(SENSITIVITY_SCREEN);
        total += options.sensitivity_runs as f64 * (2 * parameters + 1) as f64;
    }
    Ok(total)
}

/// The work of the report of `scenario` with `options` over `threads`: every study
/// [`super::build::build`] makes, each plan at its own cost per run, and the mean field of the
/// optimization, the frontier and the sensitivity screen.
pub fn report_work(
    scenario: &Scenario,
    options: &Options,
    threads: usize,
) -> Result<Work, OptimizeError> {
    let baseline = scenario.baseline_plan;
    let sim_options = SimOptions {
        plan: baseline,
        runs: options.runs,
        seed: options.seed,
        engine: options.engine,
        limits: options.limits,
        control: options.control.clone(),
    };
    let plan = &scenario.plans[baseline];
    let choice = choose_engine(scenario, plan, &sim_options)?;
    let engine = choice.engine;
    let runs = options.runs as f64;
    // The baseline's channel values and vintages, then every plan with its off-boarding
    // valuations (the plan again keeping each cohort it off-boards).
    let mut kept = plan.clone();
    kept.offboard.iter_mut().for_each(|s| *s = 0.0);
    let mut cost: Cost = sim_estimate::measurement_cost_per_run(scenario, &kept, engine) * runs;
    for other in &scenario.plans {
        let offboarded = other.offboard.iter().filter(|s| **s > 0.0).count() as f64;
        cost += cost_per_run(scenario, other, engine) * (runs * (1.0 + offboarded));
    }
    let mut extra_runs = report_runs(scenario, options)?;
    if let Some(settings) = optimize_settings(scenario, options) {
        // The uncapped optimum (shared with the frontier), then the capped search.
        let searches = if settings.optimize.budget.is_some() || options.frontier {
            2.0
        } else {
            1.0
        };
        cost += estimate::mean_field_cost(scenario, &settings, searches)?;
        if scenario.acquisition.as_ref().is_some_and(|a| !a.single) {
            // Each channel's value under the optimized plan on the final evaluation's runs.
            let channels = scenario
                .acquisition
                .as_ref()
                .map_or(0, |a| a.channels.len());
            extra_runs += channels as f64 * runs;
        }
        if options.frontier {
            let at = frontier_settings(&settings);
            let budgets = FRONTIER_MULTIPLES.len() as f64 * estimate::FRONTIER_MEAN_FIELD_FACTOR;
            cost += estimate::mean_field_cost(scenario, &at, budgets)?;
        }
    }
    if options.sensitivity_runs >= 2 {
        let parameters = scenario.parameter_paths().len();
        if SENSITIVITY_SCREEN < parameters {
            cost += sim_estimate::mean_field_cost(
                scenario,
                crate::plans::sensitivity::SCREEN_MEAN_FIELD_RUNS,
                1.0,
            ) * (2.0 * parameters as f64);
        }
    }
    let work = Work::new(
        "report",
        scenario,
        plan,
        choice,
        extra_runs,
        options.runs,
        threads,
    );
    Ok(work.plus(cost))
}
