//! `ceq compare`: plans evaluated on the same seeds, with every pairwise paired difference.

use serde::Serialize;

use super::run_values;
use crate::chart::data::FanSeries;
use crate::optimize::Progress;
use crate::scenario::{PlanId, Scenario};
use crate::sim::{self, SimError, SimOptions};
use crate::stats::Distribution;
use crate::stats::describe::describe;
use crate::stats::paired::PairedDifference;

/// One plan's CE over the common runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanResult {
    pub name: String,
    pub customer_equity: Distribution,
    #[serde(skip)]
    pub runs: Vec<f64>,
    /// Quantiles of cumulative CE by period, for the fan chart.
    #[serde(skip)]
    pub fan: FanSeries,
}

/// A − B on the same runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub a: String,
    pub b: String,
    pub mean: f64,
    pub ci95: [f64; 2],
    pub prob_a_better: f64,
    pub std_error: f64,
}

/// `ceq compare --json` (SPEC §13), with the header keys of `ceq simulate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub ceq_version: String,
    pub scenario: String,
    pub runs: u64,
    pub seed: u64,
    pub engine: String,
    /// The scenario's baseline plan.
    pub baseline: String,
    pub plans: Vec<PlanResult>,
    /// Every pair (a, b) with a listed before b.
    pub differences: Vec<Difference>,
}

impl Comparison {
    /// The comparison of a 1:(1/`fraction`) sample as the full base's (SPEC §9.2): every CE
    /// quantile and paired difference times 1/`fraction`; probabilities unchanged. The runs and
    /// fans (not serialized) are left as the sample's.
    pub fn scaled_to_full_base(&self, fraction: f64) -> Comparison {
        let k = 1.0 / fraction;
        let mut c = self.clone();
        for p in &mut c.plans {
            p.customer_equity = crate::stats::scale_distribution(&p.customer_equity, k);
        }
        for d in &mut c.differences {
            d.mean *= k;
            d.std_error *= k;
            d.ci95 = d.ci95.map(|x| x * k);
        }
        c
    }
}

/// Simulates the plans `indices` of `scenario` on the same runs: `options.runs` runs of
/// `options.seed` on `options.engine` (`options.plan` is ignored), within `options.limits`.
pub fn compare(
    scenario: &Scenario,
    indices: &[PlanId],
    options: &SimOptions,
    progress: &mut dyn Progress,
) -> Result<Comparison, SimError> {
    compare_reusing(scenario, indices, options, None, progress)
}

/// [`compare`], taking plan `known.0`'s results from `known.1` instead of simulating it again:
/// the caller guarantees it was simulated with the same runs, seed and engine (the report
/// simulates the baseline first for its own charts). The result is the same as [`compare`]'s.
pub fn compare_reusing(
    scenario: &Scenario,
    indices: &[PlanId],
    options: &SimOptions,
    known: Option<(PlanId, &sim::Simulation)>,
    progress: &mut dyn Progress,
) -> Result<Comparison, SimError> {
    let (runs, seed, engine) = (options.runs, options.seed, options.engine);
    crate::sim::size::check_memory(scenario, runs, indices.len(), &options.limits)?;
    let mut plans = Vec::with_capacity(indices.len());
    let mut engine_used = engine;
    for (n, &index) in indices.iter().enumerate() {
        let plan = scenario.plan(index).ok_or(SimError::NoSuchPlan(index))?;
        progress.message(&format!(
            "simulating plan {} of {}: {}",
            n + 1,
            indices.len(),
            plan.name
        ));
        let options = SimOptions {
            plan: index,
            ..options.clone()
        };
        let simulated;
        let simulation = match known {
            Some((k, simulation)) if k == index => simulation,
            _ => {
                simulated = sim::run_plan(scenario, plan, &options)?;
                &simulated
            }
        };
        engine_used = simulation.engine;
        let values = run_values(simulation);
        plans.push(PlanResult {
            name: plan.name.clone(),
            customer_equity: describe(&values),
            runs: values,
            fan: FanSeries::from_runs(&plan.name, simulation),
        });
    }
    Ok(Comparison {
        ceq_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        runs,
        seed,
        engine: engine_used.name().to_string(),
        baseline: scenario.plans[scenario.baseline_plan].name.clone(),
        differences: differences(&plans),
        plans,
    })
}

/// Every pair in order.
pub fn differences(plans: &[PlanResult]) -> Vec<Difference> {
    let mut result = Vec::new();
    for i in 0..plans.len() {
        for j in i + 1..plans.len() {
            let d = PairedDifference::new(&plans[i].runs, &plans[j].runs);
            result.push(Difference {
                a: plans[i].name.clone(),
                b: plans[j].name.clone(),
                mean: d.mean,
                ci95: d.ci95,
                prob_a_better: d.prob_a_better,
                std_error: d.std_error,
            });
        }
    }
    result
}
