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
//!
//! A contradicted condition is also valued: moving along it gains about g²/(2|f″|) with g the
//! excess return and f″ the measured second difference (the Newton step of a quadratic model;
//! Nocedal & Wright 2006, §2.2). Where that gain is below [`TOLERANCE`] of the objective the
//! plan is optimal for any practical purpose — the data see a slope, but no move worth
//! making — and the condition is listed as negligible rather than as a violation.

use serde::Serialize;

use crate::optimize::marginal::MarginalReturn;
use crate::optimize::objective::normal_cdf;
use crate::optimize::space::PlanSpace;
use crate::stats::describe::{mean, sample_sd};

/// The share of the objective below which a contradicted condition's estimated gain is
/// negligible.
pub const TOLERANCE: f64 = 1e-3;

/// One optimality condition the measured returns contradict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The lever (and year, when phased) the condition is about.
    pub lever: String,
    /// The condition, in words.
    pub condition: String,
    /// How many standard errors the data lie beyond it.
    pub z: f64,
    /// The estimated gain of moving along it (None where the curvature is unknown).
    pub gain: Option<f64>,
    /// Whether that gain is below [`TOLERANCE`] of the objective.
    pub negligible: bool,
}

/// The estimated gain of moving by a Newton step along a direction with excess return `g`
/// and curvatures `c` (second differences, negative when concave): g²/(2·Σ|c|); None when
/// any curvature is unknown or not concave.
fn newton_gain(g: f64, curvatures: &[f64]) -> Option<f64> {
    if curvatures.iter().any(|c| !c.is_finite() || *c >= 0.0) {
        return None;
    }
    let total: f64 = curvatures.iter().map(|c| c.abs()).sum();
    Some(g * g / (2.0 * total))
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
        format!("{} (year {})", space.name_of(m.lever), m.phase + 1)
    } else {
        space.name_of(m.lever).to_string()
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
    check_with(space, x, marginal, 0.0)
        .into_iter()
        .filter(|v| !v.negligible)
        .collect()
}

/// [`check`] that also values each contradicted condition against `TOLERANCE × objective`
/// (pass the objective's value at `x`; 0 to call nothing negligible): every
/// contradiction is returned, the negligible ones marked.
pub fn check_with(
    space: &PlanSpace,
    x: &[f64],
    marginal: &[MarginalReturn],
    objective: f64,
) -> Vec<Violation> {
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
    let mut candidates: Vec<(String, String, f64, Option<f64>)> = Vec::new();
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
                let gain = newton_gain(m.value, &[m.curvature]);
                match position(i) {
                    Position::Interior if too_high > 0.0 => candidates.push((
                        name(i),
                        "returns more than it costs, so spending more on it would pay".into(),
                        too_high,
                        gain,
                    )),
                    Position::Interior if too_low > 0.0 => candidates.push((
                        name(i),
                        "returns less than it costs, so spending less on it would pay".into(),
                        too_low,
                        gain,
                    )),
                    Position::Lower if too_high > 0.0 => candidates.push((
                        name(i),
                        "is at its lower bound although the next unit on it pays".into(),
                        too_high,
                        None,
                    )),
                    Position::Upper if too_low > 0.0 => candidates.push((
                        name(i),
                        "is at its upper bound although its last unit loses money".into(),
                        too_low,
                        None,
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
                        newton_gain(d, &[marginal[i].curvature, marginal[j].curvature]),
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
                    None,
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
                    candidates.push((name(i), words, z, None));
                }
            }
        }
    }
    let critical = normal_quantile(1.0 - 0.025 / tests.max(1) as f64);
    let allowed = TOLERANCE * objective.abs();
    candidates
        .into_iter()
        .filter(|(_, _, z, _)| *z > critical)
        .map(|(lever, condition, z, gain)| Violation {
            lever,
            condition,
            z,
            gain,
            negligible: gain.is_some_and(|g| g <= allowed),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::projection::BoxBudget;
    use crate::scenario::{Lever, Plan};

    fn space(levers: Vec<Lever>, budget: Option<f64>) -> PlanSpace {
        let k = levers.len();
        PlanSpace {
            names: levers.iter().map(|l| l.name().to_string()).collect(),
            channels: 0,
            levers,
            template: Plan::baseline(),
            spend: BoxBudget::new(vec![0.0; k], vec![1e6; k], budget, false).unwrap(),
            phases: 1,
            phase_periods: 12,
            annuity: vec![10.0; k],
            shares: None,
            offboard: Vec::new(),
            scale: vec![budget.unwrap_or(1000.0); k],
            budget,
            uncapped_scale: 1000.0,
        }
    }

    fn measured(lever: Lever, value: f64, std_error: f64, curvature: f64) -> MarginalReturn {
        MarginalReturn {
            lever,
            phase: 0,
            value,
            ci95: [value - 1.96 * std_error, value + 1.96 * std_error],
            std_error,
            spend: 500.0,
            step: 25.0,
            difference: "central",
            annuity: 10.0,
            per_run: Vec::new(),
            curvature,
        }
    }

    /// The case: acquisition strictly inside its bounds, no budget, a return of
    /// −21.99 ± 1.4: contradicted, and not negligible when the curvature says the move is
    /// worth more than 0.1% of the objective.
    #[test]
    fn an_interior_lever_with_a_clearly_nonzero_return_is_contradicted() {
        let s = space(vec![Lever::Acquisition], None);
        let m = [measured(Lever::Acquisition, -21.99, 1.4, -0.01)];
        let found = check_with(&s, &[500.0], &m, 100_000.0);
        assert_eq!(found.len(), 1);
        assert!(!found[0].negligible, "{found:?}");
        assert!(found[0].condition.contains("spending less"));
        assert_eq!(check(&s, &[500.0], &m).len(), 1);
        // Within its interval of zero: nothing to say.
        let m = [measured(Lever::Acquisition, 1.0, 1.4, -0.01)];
        assert!(check_with(&s, &[500.0], &m, 100_000.0).is_empty());
        // A slope the data see, but a move worth 24,180 of a 1e9 objective: negligible.
        let m = [measured(Lever::Acquisition, -21.99, 1.4, -0.01)];
        let found = check_with(&s, &[500.0], &m, 1e9);
        assert!(found.iter().all(|v| v.negligible), "{found:?}");
    }

    /// With the budget binding, two interior levers must return the same; at a bound a lever
    /// may return less (lower) but not more.
    #[test]
    fn a_binding_budget_needs_equal_returns_between_interior_levers() {
        let s = space(vec![Lever::Acquisition, Lever::Retention], Some(1000.0));
        let equal = [
            measured(Lever::Acquisition, 5.0, 0.5, -0.01),
            measured(Lever::Retention, 5.4, 0.5, -0.01),
        ];
        assert!(check(&s, &[500.0, 500.0], &equal).is_empty());
        let unequal = [
            measured(Lever::Acquisition, 5.0, 0.5, -0.01),
            measured(Lever::Retention, 9.0, 0.5, -0.01),
        ];
        let found = check(&s, &[500.0, 500.0], &unequal);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].lever == "retention");
        // Retention at its lower bound returning less than acquisition: optimal.
        let lower = [
            measured(Lever::Acquisition, 9.0, 0.5, -0.01),
            measured(Lever::Retention, 5.0, 0.5, f64::NAN),
        ];
        assert!(check(&s, &[1000.0, 0.0], &lower).is_empty());
        // Returning more at the lower bound: contradicted.
        let wrong = [
            measured(Lever::Acquisition, 5.0, 0.5, -0.01),
            measured(Lever::Retention, 9.0, 0.5, f64::NAN),
        ];
        assert_eq!(check(&s, &[1000.0, 0.0], &wrong).len(), 1);
    }

    #[test]
    fn normal_quantile_inverts_the_cdf() {
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
        assert!(normal_quantile(0.5).abs() < 1e-6);
    }
}
