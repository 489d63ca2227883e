//! Certifying a budget split: do the measured marginal returns satisfy the optimality
//! conditions of the problem, within their intervals?
//!
//! For max f(x) subject to lo ≤ x ≤ hi and Σx ≤ B (per phase), the Karush–Kuhn–Tucker
//! conditions (Nocedal & Wright 2006, Theorem 12.1; for budget splits Blattberg & Deighton
//! 1996) say, with ∂f/∂x_i the marginal return of lever i and λ ≥ 0 the budget's shadow price:
//!
//! - an interior lever returns exactly λ: equal returns across interior levers when the budget
//!   binds, zero when it does not;
//! - a lever at its lower bound returns at most λ; one at its upper bound at least λ;
//! - when the budget binds, λ ≥ 0: the last unit spent does not lose money.
//!
//! Each condition is tested against the Monte Carlo interval of the measured returns at the
//! simultaneous 95% level (Bonferroni over the conditions tested): a condition fails only when
//! the data contradict it. Differences between two levers are paired over runs (common random
//! numbers) for the mean criterion; for the other criteria their standard errors are combined
//! as if independent, which is conservative.

use serde::Serialize;

use crate::optimize::marginal::MarginalReturn;
use crate::optimize::objective::normal_cdf;
use crate::optimize::space::PlanSpace;
use crate::stats::describe::{mean, sample_sd};

/// One optimality condition the measured returns contradict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The lever (and year, when phased) the condition is about.
    pub lever: String,
    /// The condition, in words.
    pub condition: String,
    /// How many standard errors the data lie beyond it.
    pub z: f64,
}

/// Where a coordinate sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Lower,
    Interior,
    Upper,
}

/// The standard normal quantile by bisection on [`normal_cdf`] (its accuracy, 1.5e-7, is far
/// finer than a Bonferroni level needs).
pub fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-12.0, 12.0);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The name of coordinate `m` for messages: the lever, and its year when phased.
pub fn coordinate_name(space: &PlanSpace, m: &MarginalReturn) -> String {
    if space.phases > 1 {
        format!("{} (year {})", m.lever.name(), m.phase + 1)
    } else {
        m.lever.name().to_string()
    }
}

/// Standard error of `a − b`: paired over runs when both have per-run quotients.
fn difference_se(a: &MarginalReturn, b: &MarginalReturn) -> f64 {
    if !a.per_run.is_empty() && a.per_run.len() == b.per_run.len() {
        let d: Vec<f64> = a
            .per_run
            .iter()
            .zip(&b.per_run)
            .map(|(x, y)| x - y)
            .collect();
        let se = sample_sd(&d) / (d.len() as f64).sqrt();
        if se.is_finite() {
            return se;
        }
    }
    a.std_error.hypot(b.std_error)
}

/// How far `value` lies above zero in standard errors (0 when not above).
fn excess(value: f64, se: f64) -> f64 {
    if value <= 0.0 {
        0.0
    } else if se > 0.0 {
        value / se
    } else {
        f64::INFINITY
    }
}

/// The conditions `marginal` (one per spend coordinate of `space`, measured at `x`)
/// contradicts; empty when the point is certified.
pub fn check(space: &PlanSpace, x: &[f64], marginal: &[MarginalReturn]) -> Vec<Violation> {
    let k = space.levers.len();
    if k == 0 || marginal.len() != space.spend_dim() {
        return Vec::new();
    }
    let position = |i: usize| {
        let (lo, hi) = space.bounds(i);
        let tolerance = 1e-6 * space.scale[i] + 1.0;
        if x[i] <= lo + tolerance {
            Position::Lower
        } else if x[i] >= hi - tolerance {
            Position::Upper
        } else {
            Position::Interior
        }
    };
    // Conditions tested: one per coordinate, plus one per pair of interior levers of a phase.
    let mut tests = 0usize;
    let mut candidates: Vec<(String, String, f64)> = Vec::new();
    for phase in 0..space.phases {
        let range = space.phase_range(phase);
        let spent: f64 = x[range.clone()].iter().sum();
        let binds = space
            .budget
            .is_some_and(|b| spent >= b - (k as f64 + 1e-6 * space.scale[0]));
        let interior: Vec<usize> = range
            .clone()
            .filter(|&i| position(i) == Position::Interior)
            .collect();
        let name = |i: usize| coordinate_name(space, &marginal[i]);
        if !binds {
            for i in range.clone() {
                let m = &marginal[i];
                tests += 1;
                let (too_high, too_low) =
                    (excess(m.value, m.std_error), excess(-m.value, m.std_error));
                match position(i) {
                    Position::Interior if too_high > 0.0 => candidates.push((
                        name(i),
                        "returns more than it costs, so spending more on it would pay".into(),
                        too_high,
                    )),
                    Position::Interior if too_low > 0.0 => candidates.push((
                        name(i),
                        "returns less than it costs, so spending less on it would pay".into(),
                        too_low,
                    )),
                    Position::Lower if too_high > 0.0 => candidates.push((
                        name(i),
                        "is at its lower bound although the next unit on it pays".into(),
                        too_high,
                    )),
                    Position::Upper if too_low > 0.0 => candidates.push((
                        name(i),
                        "is at its upper bound although its last unit loses money".into(),
                        too_low,
                    )),
                    _ => {}
                }
            }
            continue;
        }
        // The budget binds: interior levers return the same λ ≥ 0.
        for (a, &i) in interior.iter().enumerate() {
            for &j in &interior[a + 1..] {
                tests += 1;
                let d = marginal[i].value - marginal[j].value;
                let se = difference_se(&marginal[i], &marginal[j]);
                let z = excess(d.abs(), se);
                if z > 0.0 {
                    let (hi, lo) = if d > 0.0 { (i, j) } else { (j, i) };
                    candidates.push((
                        name(hi),
                        format!(
                            "returns more than {} although both get money: moving money to it \
                             would pay",
                            name(lo)
                        ),
                        z,
                    ));
                }
            }
        }
        let spendable: Vec<usize> = range
            .clone()
            .filter(|&i| position(i) != Position::Lower)
            .collect();
        if !spendable.is_empty() {
            tests += 1;
            let best = spendable
                .iter()
                .copied()
                .max_by(|&a, &b| marginal[a].value.total_cmp(&marginal[b].value))
                .unwrap_or(range.start);
            let values: Vec<f64> = spendable.iter().map(|&i| marginal[i].value).collect();
            let z = excess(-marginal[best].value, marginal[best].std_error);
            if z > 0.0 {
                candidates.push((
                    "budget".to_string(),
                    format!(
                        "is spent in full although every lever's last unit loses money \
                         (mean return {:.3} per unit per period)",
                        mean(&values)
                    ),
                    z,
                ));
            }
        }
        for i in range.clone() {
            let side = position(i);
            if side == Position::Interior {
                continue;
            }
            // Compare with the interior levers, or with the other side's levers.
            let references: Vec<usize> = if interior.is_empty() {
                range
                    .clone()
                    .filter(|&j| position(j) != side && position(j) != Position::Interior)
                    .collect()
            } else {
                interior.clone()
            };
            for j in references {
                tests += 1;
                let d = marginal[i].value - marginal[j].value;
                let se = difference_se(&marginal[i], &marginal[j]);
                let (z, words) = match side {
                    Position::Lower => (
                        excess(d, se),
                        format!(
                            "is at its lower bound although it returns more than {}",
                            name(j)
                        ),
                    ),
                    _ => (
                        excess(-d, se),
                        format!(
                            "is at its upper bound although it returns less than {}",
                            name(j)
                        ),
                    ),
                };
                if z > 0.0 {
                    candidates.push((name(i), words, z));
                }
            }
        }
    }
    let critical = normal_quantile(1.0 - 0.025 / tests.max(1) as f64);
    candidates
        .into_iter()
        .filter(|(_, _, z)| *z > critical)
        .map(|(lever, condition, z)| Violation {
            lever,
            condition,
            z,
        })
        .collect()
}
