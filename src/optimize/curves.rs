//! Response curves: the objective as one lever's spend moves and every other lever stays at
//! the chosen plan — the shape behind each marginal return, for the optimization chart.
//!
//! Each point is the Monte Carlo objective on the search's runs (`search_runs` runs of the
//! search seed), so the points of a curve share their random numbers and the curve is as
//! smooth as the simulation allows; each point carries its 95% interval (for the mean; the
//! other criteria show the point alone). The budget is not imposed along a curve: a point to
//! the right of the chosen spend may exceed the budget (the curve is the lever's response, not
//! a feasible alternative plan). A phased plan's curve moves the lever's spend in every year by
//! the same amount.

use super::objective::{MonteCarloObjective, Objective};
use super::space::PlanSpace;
use super::{Optimization, OptimizeError, Settings};
use crate::scenario::{Lever, Scenario};
use crate::stats::describe::{Z95, mean, sample_sd};

/// One lever's response.
#[derive(Debug, Clone, PartialEq)]
pub struct LeverResponse {
    pub lever: Lever,
    /// (spend per period, objective), ascending in spend.
    pub points: Vec<(f64, f64)>,
    /// The 95% interval of each point (the point itself where none is computed).
    pub ci95: Vec<[f64; 2]>,
    /// The baseline plan's spend per period (its first period).
    pub current: f64,
    /// The chosen plan's spend per period (first year).
    pub optimal: f64,
}

/// Points per curve (before the current and optimal spends are added).
pub const CURVE_POINTS: usize = 13;

/// The Monte Carlo response of the objective to each optimized lever of `result`, the others
/// held at the chosen plan. Each curve runs from the lever's lower bound to the larger of twice
/// the chosen spend, twice the current spend and a tenth of the spend scale (the budget),
/// capped at the lever's upper bound, and passes exactly through both marked spends.
pub fn response_curves(
    scenario: &Scenario,
    settings: &Settings,
    result: &Optimization,
) -> Result<Vec<LeverResponse>, OptimizeError> {
    let objective = MonteCarloObjective {
        scenario,
        runs: settings.search_runs,
        seed: settings.seed,
        engine: settings.engine,
        limits: settings.limits,
        control: settings.control.clone(),
        criterion: settings.optimize.objective,
        hurdle: None,
    };
    let space = &result.space;
    let baseline = &scenario.plans[settings.baseline];
    let ppy = scenario.time.periods_per_year;
    let mean_criterion = matches!(
        settings.optimize.objective,
        crate::scenario::Objective::Mean
    );
    let mut curves = Vec::with_capacity(space.levers.len());
    for (i, &lever) in space.levers.iter().enumerate() {
        let current = baseline.spend_at(lever, 1, ppy);
        let optimal = result.x[i];
        let spends = curve_spends(space, i, current, optimal);
        let mut points = Vec::with_capacity(spends.len());
        let mut ci95 = Vec::with_capacity(spends.len());
        for &spend in &spends {
            let mut x = result.x.clone();
            for phase in 0..space.phases {
                let j = space.phase_range(phase).start + i;
                x[j] = (result.x[j] + spend - optimal).max(0.0);
            }
            let values = objective.per_run(&space.plan(&x))?;
            let value = crate::optimize::objective::score(objective.criterion, &values);
            let half = if mean_criterion {
                Z95 * sample_sd(&values) / (values.len().max(1) as f64).sqrt()
            } else {
                0.0
            };
            let centre = if mean_criterion { mean(&values) } else { value };
            points.push((spend, centre));
            ci95.push([centre - half, centre + half]);
        }
        curves.push(LeverResponse {
            lever,
            points,
            ci95,
            current,
            optimal,
        });
    }
    Ok(curves)
}

/// Evenly spaced spends over the curve's range of lever `i`, with the current and optimal
/// spends inserted, ascending and without duplicates.
fn curve_spends(space: &PlanSpace, i: usize, current: f64, optimal: f64) -> Vec<f64> {
    let (lo, hi) = space.bounds(i);
    let reach = (2.0 * optimal)
        .max(2.0 * current)
        .max(0.1 * space.scale[i])
        .max(lo + 1.0);
    let end = reach.min(hi);
    let mut spends: Vec<f64> = (0..CURVE_POINTS)
        .map(|k| lo + (end - lo) * k as f64 / (CURVE_POINTS - 1) as f64)
        .collect();
    spends.extend(
        [current, optimal]
            .into_iter()
            .filter(|s| (lo..=end).contains(s)),
    );
    spends.sort_by(f64::total_cmp);
    spends.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * end.abs().max(1.0));
    spends
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::projection::BoxBudget;
    use crate::scenario::Plan;

    fn space(lower: f64, upper: f64, budget: f64) -> PlanSpace {
        PlanSpace {
            levers: vec![Lever::Acquisition],
            names: vec!["acquisition".to_string()],
            channels: 1,
            template: Plan::baseline(),
            spend: BoxBudget::new(vec![lower], vec![upper], Some(budget), false).unwrap(),
            phases: 1,
            phase_periods: 12,
            annuity: vec![10.0],
            shares: None,
            offboard: Vec::new(),
            scale: vec![budget],
            budget: Some(budget),
            uncapped_scale: 1.0,
        }
    }

    #[test]
    fn spends_cover_both_marks_in_order() {
        let spends = curve_spends(&space(0.0, 10_000.0, 10_000.0), 0, 1_234.0, 2_000.0);
        assert_eq!(spends.first(), Some(&0.0));
        assert_eq!(spends.last(), Some(&4_000.0));
        assert!(spends.contains(&1_234.0) && spends.contains(&2_000.0));
        assert!(spends.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            spends.len(),
            CURVE_POINTS + 1,
            "2,000 is already on the grid"
        );
    }

    #[test]
    fn spends_stop_at_the_upper_bound_and_start_at_the_lower() {
        let spends = curve_spends(&space(500.0, 3_000.0, 10_000.0), 0, 2_500.0, 2_800.0);
        assert_eq!(spends.first(), Some(&500.0));
        assert_eq!(spends.last(), Some(&3_000.0));
    }

    #[test]
    fn a_lever_at_zero_still_gets_a_range() {
        let spends = curve_spends(&space(0.0, f64::INFINITY, 5_000.0), 0, 0.0, 0.0);
        assert_eq!(spends.last(), Some(&500.0));
        assert_eq!(spends.len(), CURVE_POINTS);
    }
}
