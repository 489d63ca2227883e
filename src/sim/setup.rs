//! What every engine prepares before a run: the run's own parameter draws (SPEC §8
//! `[uncertainty]`), its shock paths, the plan's spend and lifts, and discount factors.

use std::borrow::Cow;

use crate::model::discount::Discounting;
use crate::model::dist::shock_path;
use crate::model::plan_path::PlanPath;
use crate::scenario::{Plan, Scenario};
use crate::sim::rng::{Stream, stream};

/// Everything about run k that does not depend on individual customers.
pub struct RunSetup<'a> {
    /// The scenario with this run's uncertain parameters drawn.
    pub scenario: Cow<'a, Scenario>,
    pub plan: &'a Plan,
    pub path: PlanPath,
    /// Demand multiplier D_t, index t − 1 (all ones without a demand shock).
    pub demand: Vec<f64>,
    /// Churn multiplier C_t, index t − 1.
    pub churn: Vec<f64>,
    /// Discount factor of each period, index t − 1.
    pub discount: Vec<f64>,
    /// Draws that fell outside their parameter's domain and were clamped.
    pub clamped_draws: u32,
}

impl<'a> RunSetup<'a> {
    /// Prepares run `run`. Parameter draws and shocks come from their own streams, so they are
    /// the same for every plan evaluated in this run (common random numbers).
    pub fn new(scenario: &'a Scenario, plan: &'a Plan, seed: u64, run: u64) -> Self {
        let (scenario, clamped_draws) = draw_parameters(scenario, seed, run);
        let periods = scenario.time.periods;
        let mut shock_rng = stream(seed, run, Stream::Shocks);
        let mut path_of = |shock: &Option<crate::scenario::Shock>| match shock {
            Some(s) => shock_path(&mut shock_rng, s, periods),
            None => vec![1.0; periods as usize],
        };
        let demand = path_of(&scenario.shocks.demand);
        let churn = path_of(&scenario.shocks.churn);
        let path = PlanPath::new(&scenario, plan);
        let discount = Discounting::new(&scenario.time).factors(periods);
        RunSetup {
            scenario,
            plan,
            path,
            demand,
            churn,
            discount,
            clamped_draws,
        }
    }
}

/// Replaces each uncertain parameter by one draw, clamped into its domain (SPEC §8): the
/// per-parameter distributions from the run's own stream, and the joint draws' row
/// `run` mod n, so parameters drawn together keep their correlation in every run.
fn draw_parameters(scenario: &Scenario, seed: u64, run: u64) -> (Cow<'_, Scenario>, u32) {
    if scenario.uncertainty.is_empty() && scenario.uncertainty_draws.is_none() {
        return (Cow::Borrowed(scenario), 0);
    }
    let mut rng = stream(seed, run, Stream::Parameters);
    let mut draws: Vec<(String, f64)> = scenario
        .uncertainty
        .iter()
        .map(|u| (u.path.clone(), u.distribution.sample(&mut rng)))
        .collect();
    if let Some(joint) = &scenario.uncertainty_draws {
        draws.extend(
            joint
                .paths
                .iter()
                .cloned()
                .zip(joint.row(run).iter().copied()),
        );
    }
    let mut drawn = scenario.clone();
    let mut clamped = 0u32;
    drawn.visit_parameters(&mut |parameter| {
        if let Some((_, value)) = draws.iter().find(|(path, _)| *path == parameter.path) {
            let inside = parameter.domain.clamp(*value);
            if inside != *value {
                clamped += 1;
            }
            *parameter.value = inside;
        }
    });
    (Cow::Owned(drawn), clamped)
}
