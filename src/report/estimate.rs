//! Typical runs of `ceq report`, for its work estimate ([`crate::sim::estimate`]): the
//! simulation, the comparison of every plan (the baseline's runs reused), and, as
//! [`super::build::build`] makes them, the optimization with its response curves, the frontier
//! and the screened sensitivity.

use super::build::{
    FRONTIER_EVALUATIONS, FRONTIER_MULTIPLES, FRONTIER_RUNS, FRONTIER_SEARCH_RUNS, Options,
    SENSITIVITY_SCREEN,
};
use crate::optimize::{OptimizeError, Settings, estimate};
use crate::scenario::Scenario;

/// Typical runs of the report of `scenario` with `options`, in runs of one plan.
pub fn report_runs(scenario: &Scenario, options: &Options) -> Result<f64, OptimizeError> {
    let runs = options.runs as f64;
    let mut total = runs * scenario.plans.len() as f64;
    if let (Some(section), true) = (&scenario.optimize, options.optimize) {
        let mut settings = Settings::new(section.clone(), scenario.baseline_plan);
        settings.runs = options.runs;
        settings.search_runs = options.runs.clamp(30, 100);
        settings.certify_runs = options.runs.clamp(100, 400);
        total += estimate::optimize_runs(scenario, &settings)?;
        total += estimate::curves_runs(scenario, &settings)?;
        if options.frontier {
            let mut at = settings.clone();
            at.marginal = false;
            at.runs = settings.runs.min(FRONTIER_RUNS);
            at.max_evaluations = FRONTIER_EVALUATIONS;
            at.search_runs = settings.search_runs.min(FRONTIER_SEARCH_RUNS);
            total += estimate::frontier_runs(scenario, &at, FRONTIER_MULTIPLES.len())?;
        }
    }
    if options.sensitivity_runs >= 2 {
        let parameters = scenario.parameter_paths().len().min(SENSITIVITY_SCREEN);
        total += options.sensitivity_runs as f64 * (2 * parameters + 1) as f64;
    }
    Ok(total)
}
