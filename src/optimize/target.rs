//! The smallest budget that reaches a target (SPEC §10 `target`): mean CE ≥ X, or
//! P(CE > X) ≥ p.
//!
//! The best objective attainable is non-decreasing in the budget (a larger budget need not be
//! spent), so the smallest budget reaching a target is found by bracketing and bisection: the
//! budget is doubled from the baseline's spend until the best split reaches the target (or the
//! scenario's `budget`, a cap, is reached, or the best split leaves part of the budget unspent:
//! then more budget cannot help and the target is out of reach), then halved into [lo, hi]
//! until hi − lo ≤ 1% of hi.
//! At each budget the split is chosen as `ceq optimize` chooses it (Monte Carlo on common
//! random numbers from a mean-field start), without certification; the answer's split is then
//! optimized and certified in full by the caller.

use serde::Serialize;

use crate::optimize::{OptimizeError, Progress, Settings, choose};
use crate::scenario::{Objective as Criterion, Scenario, Target};

/// Relative width at which the bisection stops.
pub const RESOLUTION: f64 = 0.01;

/// The most doublings of the budget while bracketing.
pub const MAX_DOUBLINGS: u32 = 24;

/// What the search found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetSearch {
    pub target: Target,
    /// The smallest budget per period found to reach the target (the cap when none does).
    pub budget: f64,
    /// Whether the best split at `budget` reaches the target on the search runs.
    pub reached: bool,
    /// Every budget tried and the best split's objective there, in the order tried.
    pub tried: Vec<(f64, f64)>,
}

/// The criterion a target is judged by, and the level it must reach.
pub fn criterion_of(target: Target) -> (Criterion, f64) {
    match target {
        Target::Mean(level) => (Criterion::Mean, level),
        Target::ProbAbove {
            threshold,
            probability,
        } => (Criterion::ProbAbove(threshold), probability),
    }
}

/// Finds the smallest budget at which the best split reaches `target`.
pub fn smallest_budget(
    scenario: &Scenario,
    settings: &Settings,
    target: Target,
    progress: &mut dyn Progress,
) -> Result<TargetSearch, OptimizeError> {
    let (criterion, level) = criterion_of(target);
    let cap = settings.optimize.budget;
    let mut at = settings.clone();
    at.marginal = false;
    at.optimize.objective = criterion;
    at.optimize.target = None;
    let mut tried = Vec::new();
    // The best split's objective at `budget`, and whether it spends (nearly) all of it.
    let mut best_at =
        |budget: f64, progress: &mut dyn Progress| -> Result<(f64, bool), OptimizeError> {
            progress.message(&format!(
                "target: the best split of a budget of {budget:.0}"
            ));
            let mut here = at.clone();
            here.optimize.budget = Some(budget);
            let choice = choose(scenario, &here, progress)?;
            let value = choice.saa.as_ref().map_or(f64::NEG_INFINITY, |o| o.value);
            let spent = (0..choice.space.phases)
                .map(|p| choice.x[choice.space.phase_range(p)].iter().sum::<f64>())
                .fold(0.0, f64::max);
            tried.push((budget, value));
            Ok((
                value,
                spent >= (1.0 - RESOLUTION) * choice.space.budget.unwrap_or(budget),
            ))
        };
    let baseline = &scenario.plans[settings.baseline];
    let start = (1..=scenario.time.periods)
        .map(|t| baseline.total_spend_at(t, scenario.time.periods_per_year))
        .fold(0.0, f64::max)
        .max(1.0);
    let mut lo = 0.0;
    let mut hi = cap.map_or(start, |c| start.min(c));
    let (value, mut binds) = best_at(hi, progress)?;
    let mut reached = value >= level;
    let mut doublings = 0;
    while !reached {
        lo = hi;
        if !binds || cap.is_some_and(|c| hi >= c) || doublings >= MAX_DOUBLINGS {
            return Ok(TargetSearch {
                target,
                budget: hi,
                reached: false,
                tried,
            });
        }
        hi = cap.map_or(2.0 * hi, |c| (2.0 * hi).min(c));
        doublings += 1;
        let (value, spends) = best_at(hi, progress)?;
        reached = value >= level;
        binds = spends;
    }
    while hi - lo > RESOLUTION * hi {
        let mid = (0.5 * (lo + hi)).round();
        if mid <= lo || mid >= hi {
            break;
        }
        if best_at(mid, progress)?.0 >= level {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(TargetSearch {
        target,
        budget: hi,
        reached: true,
        tried,
    })
}
