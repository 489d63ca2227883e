//! The Monte Carlo search: maximize the criterion of the *simulated* customer equity on common
//! random numbers — a sample-average approximation (SAA; Kleywegt, Shapiro & Homem-de-Mello
//! 2002) — by projected gradient ascent with a backtracking line search.
//!
//! Every candidate plan is simulated on the same `runs` runs of the search seed, so the
//! objective is one deterministic function of the plan and differences between plans carry
//! only the noise of what the plans change (common random numbers; see [`crate::sim::rng`]).
//! Each iteration:
//!
//! 1. measures the gradient by central finite differences on those runs ([`marginal_returns`]);
//! 2. if the gradient already satisfies the optimality conditions within its intervals, or
//!    what contradicts them is worth less than [`crate::optimize::certify::TOLERANCE`] of the
//!    objective ([`crate::optimize::certify`]), stops: at these runs no move worth making can
//!    be told from noise;
//! 3. otherwise steps along the projected gradient, the largest move a trust radius `step`
//!    (a share of the spend scale), halving it until the step improves the SAA objective
//!    (at most [`LINE_SEARCH_TRIES`] tries) and widening it by half after a success.
//!
//! When the line search fails while the gradient is still significant, the noise at this
//! number of runs hides the direction: the runs are doubled (runs 0..2n contain runs 0..n, so
//! what was measured stays comparable) and the search goes on, up to `max_runs`. The
//! evaluation budget `max_evaluations` bounds the whole search.

use serde::Serialize;

use crate::optimize::OptimizeError;
use crate::optimize::certify::{Violation, check_with};
use crate::optimize::marginal::{MarginalReturn, marginal_returns};
use crate::optimize::objective::{MonteCarloObjective, Objective};
use crate::optimize::space::PlanSpace;

/// Halvings of the trust radius tried per iteration before the runs are doubled.
pub const LINE_SEARCH_TRIES: u32 = 4;

/// The smallest trust radius, as a share of the spend scale: moves below it are beneath a
/// planner's resolution.
pub const MIN_STEP: f64 = 0.002;

/// How the Monte Carlo search is run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SaaSettings {
    /// Runs of the first round.
    pub runs: u64,
    /// The most runs a round may grow to.
    pub max_runs: u64,
    /// The most Monte Carlo evaluations (simulations of one plan) of the whole search.
    pub max_evaluations: u64,
    /// The most line-search iterations.
    pub max_iterations: u32,
    /// Trust radius of the first step, as a share of the spend scale.
    pub initial_step: f64,
}

/// Why the Monte Carlo search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaaStop {
    /// The marginal returns on the search runs satisfy the optimality conditions.
    Stationary,
    /// No improving step at the most runs allowed, though the gradient looked significant.
    Resolution,
    /// The evaluation budget or the iteration limit ran out.
    Budget,
}

/// The end of a Monte Carlo search.
#[derive(Debug, Clone, PartialEq)]
pub struct SaaOutcome {
    pub x: Vec<f64>,
    /// The SAA score at `x` on `runs` runs of the search seed.
    pub value: f64,
    pub runs: u64,
    pub iterations: u32,
    /// Steps accepted.
    pub moves: u32,
    pub evaluations: u64,
    /// The marginal returns at `x` on the search runs (the last gradient measured).
    pub marginal: Vec<MarginalReturn>,
    pub stop: SaaStop,
    /// What the optimality conditions said of `marginal`.
    pub violations: Vec<Violation>,
}

/// Searches from `x0` (feasible, rounded). `objective_at(runs)` builds the Monte Carlo
/// objective on the first `runs` runs of the search seed; `progress` hears each iteration.
pub fn search<'s>(
    space: &PlanSpace,
    x0: Vec<f64>,
    settings: &SaaSettings,
    objective_at: &dyn Fn(u64) -> MonteCarloObjective<'s>,
    progress: &mut dyn FnMut(&str),
) -> Result<SaaOutcome, OptimizeError> {
    let mut runs = settings.runs.max(2);
    let mut objective = objective_at(runs);
    let mut x = x0;
    let mut value = objective.score(&space.plan(&x))?;
    let mut evaluations = 1;
    let mut step = settings.initial_step;
    let mut iterations = 0;
    let mut moves = 0;
    loop {
        let marginal = marginal_returns(space, &x, &objective)?;
        evaluations += marginal.iter().map(|m| m.evaluations()).sum::<u64>();
        let violations = check_with(space, &x, &marginal, value)
            .into_iter()
            .filter(|v| !v.negligible)
            .collect::<Vec<_>>();
        let stop = if violations.is_empty() {
            Some(SaaStop::Stationary)
        } else if iterations >= settings.max_iterations || evaluations >= settings.max_evaluations {
            Some(SaaStop::Budget)
        } else {
            None
        };
        if let Some(stop) = stop {
            return Ok(SaaOutcome {
                x,
                value,
                runs,
                iterations,
                moves,
                evaluations,
                marginal,
                stop,
                violations,
            });
        }
        iterations += 1;
        progress(&format!(
            "Monte Carlo search: iteration {iterations}, {runs} runs, {evaluations} evaluations"
        ));
        let mut moved = false;
        for _ in 0..LINE_SEARCH_TRIES {
            let Some(candidate) = gradient_step(space, &x, &marginal, step) else {
                break;
            };
            let candidate_value = objective.score(&space.plan(&candidate))?;
            evaluations += 1;
            if candidate_value > value {
                x = candidate;
                value = candidate_value;
                step = (step * 1.5).min(0.5);
                moves += 1;
                moved = true;
                break;
            }
            step *= 0.5;
            if step < MIN_STEP {
                break;
            }
        }
        if !moved {
            if runs >= settings.max_runs {
                return Ok(SaaOutcome {
                    x,
                    value,
                    runs,
                    iterations,
                    moves,
                    evaluations,
                    marginal,
                    stop: SaaStop::Resolution,
                    violations,
                });
            }
            runs = (runs * 2).min(settings.max_runs);
            objective = objective_at(runs);
            value = objective.score(&space.plan(&x))?;
            evaluations += 1;
            step = step.max(4.0 * MIN_STEP);
        }
    }
}

/// The point `P(x + t·g)` along the projected gradient `g` (the marginal returns) whose largest
/// coordinate move is `step` × the scale, rounded to whole currency units; `None` when it does
/// not move.
pub fn gradient_step(
    space: &PlanSpace,
    x: &[f64],
    marginal: &[MarginalReturn],
    step: f64,
) -> Option<Vec<f64>> {
    let largest = marginal
        .iter()
        .enumerate()
        .map(|(i, m)| (m.value * space.scale[i]).abs())
        .fold(0.0, f64::max);
    if !largest.is_finite() || largest <= 0.0 {
        return None;
    }
    let t = step / largest;
    let mut trial = x.to_vec();
    for (i, m) in marginal.iter().enumerate() {
        trial[i] += t * space.scale[i] * space.scale[i] * m.value;
    }
    let candidate = space.rounded(&space.project(&trial));
    let moved = (0..marginal.len()).any(|i| (candidate[i] - x[i]).abs() > 1e-9 * space.scale[i]);
    moved.then_some(candidate)
}
