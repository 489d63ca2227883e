//! The marginal return of each lever at a plan: d objective / d spend per period, by central
//! finite differences on common random numbers.
//!
//! At an interior optimum of a budget split the marginal returns of the levers that get money
//! are equal (the Lagrange condition; Blattberg & Deighton 1996, Pfeifer 2005), and equal to
//! zero when the budget is not binding; a lever at its lower bound returns less, one at its
//! upper bound more. The step is [`STEP_SHARE`] of the lever's spend (at least [`STEP_FLOOR`]
//! of the budget scale); a lever within a step of a bound is differenced one-sidedly. Confidence intervals: paired over runs for the mean; a paired
//! bootstrap (fixed seed, so reproducible) for the other criteria.

use rand::RngExt;
use serde::Serialize;

use crate::optimize::OptimizeError;
use crate::optimize::objective::{Objective, score};
use crate::optimize::space::PlanSpace;
use crate::scenario::{Lever, Objective as Criterion};
use crate::sim::rng::{Stream, stream};
use crate::stats::describe::{Z95, mean, quantile_sorted, sample_sd};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarginalReturn {
    #[serde(skip)]
    pub lever: Lever,
    /// The phase (0-based year) of a phased plan's coordinate; 0 when unphased.
    #[serde(skip)]
    pub phase: usize,
    /// d objective / d (spend per period): one more unit in every period the coordinate
    /// covers. For the mean criterion, customer equity already net of the extra spend.
    pub value: f64,
    pub ci95: [f64; 2],
    /// Standard error of `value` (paired over runs for the mean; bootstrap otherwise).
    pub std_error: f64,
    /// The spend per period at which it was taken, and the difference step.
    pub spend: f64,
    pub step: f64,
    /// "central", "forward" or "backward".
    pub difference: &'static str,
    /// Present value of one more unit per period on this coordinate (Σ δ_t over its periods).
    pub annuity: f64,
    /// Each run's difference quotient (mean criterion only), for paired comparisons of levers.
    #[serde(skip)]
    pub per_run: Vec<f64>,
    /// Second difference of the objective per unit² (central differences only; NaN
    /// otherwise): how fast the return falls as spend rises, to value a move.
    #[serde(skip)]
    pub curvature: f64,
}

impl MarginalReturn {
    /// Customer equity added per extra unit of discounted spend on this coordinate, net of
    /// that unit: `value / annuity`. Zero at an unconstrained optimum; "each extra 1 USD on
    /// acquisition returns 0.42 USD" over and above the dollar.
    pub fn per_unit(&self) -> f64 {
        self.value / self.annuity
    }

    /// The 95% interval of [`MarginalReturn::per_unit`].
    pub fn per_unit_ci95(&self) -> [f64; 2] {
        [self.ci95[0] / self.annuity, self.ci95[1] / self.annuity]
    }

    /// Monte Carlo evaluations the difference took beyond the centre point.
    pub fn evaluations(&self) -> u64 {
        if self.difference == "central" { 2 } else { 1 }
    }
}

/// The difference step as a share of the lever's spend: small enough that the curvature of a
/// saturating response (the cubic term of the central difference's error) does not tilt the
/// measured return at an optimum, large enough to stand out of the Monte Carlo noise on common
/// random numbers.
pub const STEP_SHARE: f64 = 0.05;

/// The least difference step, as a share of the spend scale (the budget).
pub const STEP_FLOOR: f64 = 0.01;

/// Resamples of the paired bootstrap.
const BOOTSTRAP_RESAMPLES: usize = 400;

/// Marginal returns of every spend coordinate of `space` at `x` (each lever, in each phase
/// when phased), on the runs of `objective`.
pub fn marginal_returns(
    space: &PlanSpace,
    x: &[f64],
    objective: &dyn Objective,
) -> Result<Vec<MarginalReturn>, OptimizeError> {
    Ok(marginal_returns_and_score(space, x, objective)?.0)
}

/// [`marginal_returns`] with the objective's score at `x` on the same runs.
pub fn marginal_returns_and_score(
    space: &PlanSpace,
    x: &[f64],
    objective: &dyn Objective,
) -> Result<(Vec<MarginalReturn>, f64), OptimizeError> {
    let base = objective.per_run(&space.plan(x))?;
    let centre = score(objective.criterion(), &base);
    let mut result = Vec::with_capacity(space.spend_dim());
    for i in 0..space.spend_dim() {
        let (lever, phase) = space.coordinate(i);
        let (lo, hi) = space.bounds(i);
        let step = (STEP_SHARE * x[i]).max(STEP_FLOOR * space.scale[i]);
        let (down, up) = (x[i] - step >= lo, x[i] + step <= hi);
        let at = |value: f64| -> Result<Vec<f64>, OptimizeError> {
            let mut point = x.to_vec();
            point[i] = value;
            objective.per_run(&space.plan(&point))
        };
        let (plus, minus, width, difference) = match (down, up) {
            (true, true) => (at(x[i] + step)?, at(x[i] - step)?, 2.0 * step, "central"),
            (false, true) | (false, false) => (at(x[i] + step)?, base.clone(), step, "forward"),
            (true, false) => (base.clone(), at(x[i] - step)?, step, "backward"),
        };
        let d = derivative(objective.criterion(), &plus, &minus, width, i as u64);
        let curvature = if difference == "central" {
            let c = objective.criterion();
            (score(c, &plus) - 2.0 * score(c, &base) + score(c, &minus)) / (step * step)
        } else {
            f64::NAN
        };
        result.push(MarginalReturn {
            lever,
            phase,
            value: d.value,
            ci95: d.ci95,
            std_error: d.std_error,
            spend: x[i],
            step,
            difference,
            annuity: space.annuity[i],
            per_run: d.per_run,
            curvature,
        });
    }
    Ok((result, centre))
}

/// A difference quotient of the criterion with its uncertainty.
#[derive(Debug, Clone, PartialEq)]
pub struct Derivative {
    pub value: f64,
    pub ci95: [f64; 2],
    pub std_error: f64,
    /// Per-run quotients (mean criterion only; empty otherwise).
    pub per_run: Vec<f64>,
}

/// (score(plus) − score(minus)) / width with a 95% interval: paired over runs for the mean,
/// a paired bootstrap (fixed seed) for the other criteria.
pub fn derivative(
    criterion: Criterion,
    plus: &[f64],
    minus: &[f64],
    width: f64,
    salt: u64,
) -> Derivative {
    let value = (score(criterion, plus) - score(criterion, minus)) / width;
    if let Criterion::Mean = criterion {
        let d: Vec<f64> = plus
            .iter()
            .zip(minus)
            .map(|(a, b)| (a - b) / width)
            .collect();
        let se = sample_sd(&d) / (d.len().max(1) as f64).sqrt();
        let m = mean(&d);
        return Derivative {
            value: m,
            ci95: [m - Z95 * se, m + Z95 * se],
            std_error: se,
            per_run: d,
        };
    }
    let n = plus.len();
    if n == 0 {
        return Derivative {
            value,
            ci95: [value, value],
            std_error: 0.0,
            per_run: Vec::new(),
        };
    }
    let mut rng = stream(0xB007_57A9, salt, Stream::Parameters);
    let mut draws: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let picks: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let p: Vec<f64> = picks.iter().map(|&k| plus[k]).collect();
            let m: Vec<f64> = picks.iter().map(|&k| minus[k]).collect();
            (score(criterion, &p) - score(criterion, &m)) / width
        })
        .collect();
    let std_error = sample_sd(&draws);
    draws.sort_by(f64::total_cmp);
    Derivative {
        value,
        ci95: [
            quantile_sorted(&draws, 0.025),
            quantile_sorted(&draws, 0.975),
        ],
        std_error,
        per_run: Vec::new(),
    }
}
