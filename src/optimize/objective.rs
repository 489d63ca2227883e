//! The objective: plan → per-run customer equity → one score (higher is better).
//!
//! Solvers see only [`Objective`] (STYLE.md §6): they never know whether a score came from the
//! mean field or from Monte Carlo. Both implementations return CE per run in run order, and the
//! [`Criterion`] (SPEC §10 `objective`) turns those into a score.

use crate::optimize::OptimizeError;
use crate::optimize::mean_field::MeanField;
use crate::scenario::{Objective as Criterion, Plan, Scenario};
use crate::sim::{self, EngineKind, SimOptions};
use crate::stats::describe::{mean, sample_sd};

/// Evaluates plans. Implementations must be deterministic: the same plan gives the same
/// values, so a solver can compare candidates on common random numbers.
pub trait Objective: Sync {
    /// Customer equity of each run (or each run's conditional expectation), in run order.
    fn per_run(&self, plan: &Plan) -> Result<Vec<f64>, OptimizeError>;

    /// Which statistic of the per-run values is maximized.
    fn criterion(&self) -> Criterion;

    /// The score of a plan: the criterion applied to its per-run values.
    fn score(&self, plan: &Plan) -> Result<f64, OptimizeError> {
        Ok(score(self.criterion(), &self.per_run(plan)?))
    }
}

/// The criterion applied to per-run CE values (SPEC §10):
/// mean; mean − λ·sd; CVaR α = mean of the worst ⌈α·n⌉ runs; share of runs above the target.
pub fn score(criterion: Criterion, values: &[f64]) -> f64 {
    match criterion {
        Criterion::Mean => mean(values),
        Criterion::MeanMinusSd(lambda) => mean(values) - lambda * sample_sd(values),
        Criterion::Cvar(alpha) => {
            if values.is_empty() {
                return 0.0;
            }
            let mut sorted = values.to_vec();
            sorted.sort_by(f64::total_cmp);
            let k = ((alpha * values.len() as f64).ceil() as usize).clamp(1, values.len());
            mean(&sorted[..k])
        }
        Criterion::ProbAbove(target) => {
            if values.is_empty() {
                return 0.0;
            }
            values.iter().filter(|v| **v > target).count() as f64 / values.len() as f64
        }
    }
}

/// A smooth stand-in for [`score`] used to steer: the share above a target is a step
/// function of spend, so it is replaced by the mean of Φ((v − target)/w) with w a quarter of
/// the values' spread (at least 10⁻⁶ of the target). The other criteria are already smooth
/// enough and are returned unchanged.
pub fn smooth_score(criterion: Criterion, values: &[f64]) -> f64 {
    match criterion {
        Criterion::ProbAbove(target) => {
            let width = (0.25 * sample_sd(values))
                .max(1e-6 * target.abs())
                .max(1e-9);
            mean(
                &values
                    .iter()
                    .map(|v| normal_cdf((v - target) / width))
                    .collect::<Vec<_>>(),
            )
        }
        other => score(other, values),
    }
}

/// Standard normal CDF by erfc (W. J. Cody's rational approximation via `libm`-free
/// Abramowitz & Stegun 7.1.26; absolute error below 1.5e-7, ample for steering).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    if z >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// The mean-field objective: expected CE conditional on each of a fixed set of runs' draws
/// and shocks (see [`MeanField`]). Cheap and smooth; used to steer.
pub struct MeanFieldObjective {
    pub mean_field: MeanField,
    pub criterion: Criterion,
}

impl Objective for MeanFieldObjective {
    fn per_run(&self, plan: &Plan) -> Result<Vec<f64>, OptimizeError> {
        Ok(self.mean_field.per_run(plan))
    }

    fn criterion(&self) -> Criterion {
        self.criterion
    }

    fn score(&self, plan: &Plan) -> Result<f64, OptimizeError> {
        Ok(smooth_score(self.criterion, &self.per_run(plan)?))
    }
}

/// The Monte Carlo objective: `runs` runs from `seed`. Every plan evaluated with the same seed
/// shares each run's parameter draws and shocks, and every draw the plans' difference does not
/// touch (common random numbers).
pub struct MonteCarloObjective<'a> {
    pub scenario: &'a Scenario,
    pub runs: u64,
    pub seed: u64,
    pub engine: EngineKind,
    pub limits: crate::sim::size::Limits,
    /// Cancellation and run progress of each evaluation's simulation.
    pub control: crate::control::Control,
    pub criterion: Criterion,
    /// `[optimize].hurdle` h: each run's value is CE − h·(present value of the plan's spend),
    /// so the optimum spends while the next unit returns at least h on top of itself.
    pub hurdle: Option<f64>,
}

/// Present value of a plan's spend on every lever (SPEC §1 discounting).
pub fn discounted_spend(scenario: &Scenario, plan: &Plan) -> f64 {
    let time = &scenario.time;
    let discounting = crate::model::discount::Discounting::new(time);
    (1..=time.periods)
        .map(|t| discounting.factor(t) * plan.total_spend_at(t, time.periods_per_year))
        .sum()
}

impl Objective for MonteCarloObjective<'_> {
    fn per_run(&self, plan: &Plan) -> Result<Vec<f64>, OptimizeError> {
        let options = SimOptions {
            plan: crate::scenario::PlanId::FIRST,
            runs: self.runs,
            seed: self.seed,
            engine: self.engine,
            limits: self.limits,
            control: self.control.clone(),
        };
        let simulation = sim::run_plan(self.scenario, plan, &options)?;
        let penalty = self
            .hurdle
            .map_or(0.0, |h| h * discounted_spend(self.scenario, plan));
        Ok(simulation
            .runs
            .iter()
            .map(|r| r.customer_equity - penalty)
            .collect())
    }

    fn criterion(&self) -> Criterion {
        self.criterion
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_score_per_run_values() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(score(Criterion::Mean, &v), 4.0);
        assert!((score(Criterion::MeanMinusSd(1.0), &v) - (4.0 - sample_sd(&v))).abs() < 1e-12);
        assert_eq!(score(Criterion::Cvar(0.4), &v), 1.5);
        assert_eq!(score(Criterion::Cvar(0.01), &v), 1.0);
        assert_eq!(score(Criterion::ProbAbove(2.5), &v), 0.6);
    }

    #[test]
    fn normal_cdf_is_accurate_enough() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 2e-7);
        assert!((normal_cdf(-1.0) - 0.158_655_253_931_457).abs() < 2e-7);
    }
}
