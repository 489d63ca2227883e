//! `ceq frontier`: the optimal split and its CE at each of a list of budgets — what each
//! extra unit of budget buys.
//!
//! Each budget is searched as `ceq optimize` searches (the Monte Carlo objective on common
//! random numbers, from a mean-field start; not certified, to keep it affordable) and its
//! chosen plan simulated on the same fresh seed, so successive budgets are compared on common random
//! numbers: the extra CE per extra unit of budget comes with a paired 95% interval.

use serde::Serialize;

use super::{OrderedMap, run_values};
use crate::optimize::termination::Termination;
use crate::optimize::{OptimizeError, Progress, Settings, choose};
use crate::scenario::Scenario;
use crate::sim::{self, SimOptions};
use crate::stats::Distribution;
use crate::stats::describe::describe;
use crate::stats::paired::PairedDifference;

/// One budget of a [`Frontier`]: the best split found at that budget and its CE.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// Per period.
    pub budget: f64,
    pub allocation: OrderedMap,
    pub retention_allocation: Option<OrderedMap>,
    /// Total spend per period of the optimized levers.
    pub spend: f64,
    pub customer_equity: Distribution,
    /// CE gained per extra unit of budget per period since the previous budget (paired).
    pub extra_ce_per_unit: Option<PairedDifference>,
    /// The same per extra unit of discounted budget (÷ Σ δ_t over the horizon), net of it:
    /// what each extra 1 of budget returns on top of itself.
    pub return_per_unit: Option<PairedDifference>,
    pub termination: Termination,
}

/// The baseline plan on the frontier's seeds: where the planner stands today.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselinePoint {
    pub plan: String,
    /// Its total spend per period (first period), over every lever.
    pub spend: f64,
    pub customer_equity: Distribution,
}

/// `ceq frontier --json` (SPEC §13): the best CE at each of a list of budgets, with the
/// paired gain of each budget over the previous one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frontier {
    pub ceq_version: String,
    pub scenario: String,
    pub runs: u64,
    /// The seed of the Monte Carlo evaluations (independent of the search seed).
    pub seed: u64,
    pub search_seed: u64,
    pub objective: crate::scenario::Objective,
    pub points: Vec<FrontierPoint>,
    pub baseline: BaselinePoint,
}

impl Frontier {
    /// The frontier of a 1:(1/`fraction`) sample as the full base's (SPEC §9.2): CE at every
    /// budget and the baseline's times 1/`fraction`. Budgets, allocations and spends are
    /// inputs and stay the sample's; the returns per extra unit of budget are ratios and stay
    /// as they are (the full base spends 1/`fraction` times as much for 1/`fraction` times
    /// the CE).
    pub fn scaled_to_full_base(&self, fraction: f64) -> Frontier {
        let k = 1.0 / fraction;
        let mut f = self.clone();
        for p in &mut f.points {
            p.customer_equity = crate::stats::scale_distribution(&p.customer_equity, k);
        }
        f.baseline.customer_equity =
            crate::stats::scale_distribution(&f.baseline.customer_equity, k);
        f
    }
}

/// The frontier's mean CE at `budget`, read off linearly between the two budgets that bracket
/// it, with those budgets; `None` outside the budgets. `points` are (budget, mean CE),
/// ascending in budget.
pub fn read_off(points: &[(f64, f64)], budget: f64) -> Option<(f64, f64, f64)> {
    let pair = points
        .windows(2)
        .find(|w| w[0].0 <= budget && budget <= w[1].0)?;
    let ((b0, m0), (b1, m1)) = (pair[0], pair[1]);
    let share = if b1 > b0 {
        (budget - b0) / (b1 - b0)
    } else {
        0.0
    };
    Some((m0 + share * (m1 - m0), b0, b1))
}

/// Optimizes at each budget (ascending) and evaluates each choice, and the baseline plan, on
/// `settings.runs` runs of the fresh seed.
pub fn frontier(
    scenario: &Scenario,
    settings: &Settings,
    budgets: &[f64],
    progress: &mut dyn Progress,
) -> Result<Frontier, OptimizeError> {
    let mut budgets = budgets.to_vec();
    budgets.sort_by(f64::total_cmp);
    budgets.dedup();
    let seed = settings.fresh_seed();
    let mut points: Vec<FrontierPoint> = Vec::new();
    let mut previous: Option<(f64, Vec<f64>)> = None;
    // Every budget's search starts from the same uncapped optimum: searched once.
    let mut shared = settings.clone();
    if shared.uncapped_optimum.is_none() && !budgets.is_empty() {
        shared.uncapped_optimum = crate::optimize::uncapped_optimum(scenario, settings, progress)?;
    }
    for (n, &budget) in budgets.iter().enumerate() {
        progress.message(&format!("budget {} of {}: {budget}", n + 1, budgets.len()));
        let mut at = shared.clone();
        at.optimize.budget = Some(budget);
        at.marginal = false;
        let choice = choose(scenario, &at, progress)?;
        let (space, outcome, x) = (choice.space, choice.outcome, choice.x);
        let plan = space.plan(&x);
        let options = SimOptions {
            plan: settings.baseline,
            runs: settings.runs,
            seed,
            engine: settings.engine,
            limits: settings.limits,
            control: settings.control.clone(),
        };
        let values = run_values(&sim::run_plan(scenario, &plan, &options)?);
        let annuity: f64 = crate::model::discount::Discounting::new(&scenario.time)
            .factors(scenario.time.periods)
            .iter()
            .sum();
        let extra_ce_per_unit = previous.as_ref().map(|(b, v)| {
            let width = budget - b;
            let d = PairedDifference::new(&values, v);
            PairedDifference {
                mean: d.mean / width,
                ci95: [d.ci95[0] / width, d.ci95[1] / width],
                std_error: d.std_error / width,
                prob_a_better: d.prob_a_better,
            }
        });
        let k = space.spend_dim();
        let allocation = OrderedMap(
            space
                .levers
                .iter()
                .zip(&x)
                .map(|(l, v)| (scenario.lever_name(*l), *v))
                .collect(),
        );
        let retention_allocation = space.shares.as_ref().map(|_| {
            OrderedMap(
                scenario
                    .cohorts
                    .iter()
                    .zip(&x[k..])
                    .map(|(c, v)| (c.name.clone(), *v))
                    .collect(),
            )
        });
        points.push(FrontierPoint {
            budget,
            allocation,
            retention_allocation,
            spend: x[..k].iter().sum(),
            customer_equity: describe(&values),
            return_per_unit: extra_ce_per_unit.as_ref().map(|e| PairedDifference {
                mean: e.mean / annuity,
                ci95: [e.ci95[0] / annuity, e.ci95[1] / annuity],
                std_error: e.std_error / annuity,
                prob_a_better: e.prob_a_better,
            }),
            extra_ce_per_unit,
            termination: outcome.termination,
        });
        previous = Some((budget, values));
    }
    progress.message("the baseline plan on the same seeds");
    let base_plan = &scenario.plans[settings.baseline];
    let options = SimOptions {
        plan: settings.baseline,
        runs: settings.runs,
        seed,
        engine: settings.engine,
        limits: settings.limits,
        control: settings.control.clone(),
    };
    let baseline = BaselinePoint {
        plan: base_plan.name.clone(),
        spend: base_plan.total_spend_at(1, scenario.time.periods_per_year),
        customer_equity: describe(&run_values(&sim::run_plan(scenario, base_plan, &options)?)),
    };
    Ok(Frontier {
        baseline,
        ceq_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        runs: settings.runs,
        seed,
        search_seed: settings.seed,
        objective: settings.optimize.objective,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::read_off;

    #[test]
    fn reads_off_between_bracketing_budgets_only() {
        let points = [(10.0, 100.0), (20.0, 300.0), (30.0, 350.0)];
        assert_eq!(read_off(&points, 15.0), Some((200.0, 10.0, 20.0)));
        assert_eq!(read_off(&points, 30.0), Some((350.0, 20.0, 30.0)));
        assert_eq!(read_off(&points, 10.0), Some((100.0, 10.0, 20.0)));
        assert_eq!(read_off(&points, 31.0), None);
        assert_eq!(read_off(&points[..1], 10.0), None);
    }
}
