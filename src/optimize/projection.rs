//! Euclidean projection onto the feasible set of a budget split:
//! {x : lo ≤ x ≤ hi, Σx ≤ B} (spend per lever) or {x : lo ≤ x ≤ hi, Σx = B} (shares).
//!
//! The projection is clamp(x − μ, lo, hi) for the multiplier μ that makes the sum right
//! (μ = 0 when the inequality already holds). Σ clamp(x − μ) is continuous and non-increasing
//! in μ, so μ is found by bisection to machine precision, then the free coordinates are
//! corrected so that the sum never exceeds the cap by rounding (Held, Wolfe & Crowder 1974;
//! the simplex case of Duchi et al. 2008).

/// The set {lo ≤ x ≤ hi, Σx ≤ total} (or = total when `equality`).
#[derive(Debug, Clone, PartialEq)]
pub struct BoxBudget {
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// `None`: no cap on the sum.
    pub total: Option<f64>,
    pub equality: bool,
}

/// Why a feasible set is empty.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InfeasibleError {
    #[error("the lower bound {lower} is above the upper bound {upper} for coordinate {index}")]
    Bounds {
        index: usize,
        lower: f64,
        upper: f64,
    },
    #[error("the lower bounds add up to {sum}, more than the budget {total}")]
    Budget { sum: f64, total: f64 },
    #[error("the upper bounds add up to {sum}, less than the required total {total}")]
    Short { sum: f64, total: f64 },
}

impl BoxBudget {
    /// Checks that the set is non-empty.
    pub fn new(
        lower: Vec<f64>,
        upper: Vec<f64>,
        total: Option<f64>,
        equality: bool,
    ) -> Result<Self, InfeasibleError> {
        for (index, (&lo, &hi)) in lower.iter().zip(&upper).enumerate() {
            if lo > hi || lo.is_nan() || hi.is_nan() {
                return Err(InfeasibleError::Bounds {
                    index,
                    lower: lo,
                    upper: hi,
                });
            }
        }
        if let Some(total) = total {
            let sum: f64 = lower.iter().sum();
            if sum > total * (1.0 + 1e-12) {
                return Err(InfeasibleError::Budget { sum, total });
            }
            let sum: f64 = upper.iter().sum();
            if equality && sum < total * (1.0 - 1e-12) {
                return Err(InfeasibleError::Short { sum, total });
            }
        }
        Ok(BoxBudget {
            lower,
            upper,
            total,
            equality,
        })
    }

    fn clamped(&self, x: &[f64], mu: f64) -> Vec<f64> {
        x.iter()
            .zip(self.lower.iter().zip(&self.upper))
            .map(|(&v, (&lo, &hi))| (v - mu).clamp(lo, hi))
            .collect()
    }

    /// The nearest point of the set to `x`.
    pub fn project(&self, x: &[f64]) -> Vec<f64> {
        let Some(total) = self.total else {
            return self.clamped(x, 0.0);
        };
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        let at_zero = self.clamped(x, 0.0);
        if !self.equality && sum(&at_zero) <= total {
            return at_zero;
        }
        // Bracket μ: at `low` the sum is ≥ total, at `high` ≤ total.
        let spread = x
            .iter()
            .zip(self.lower.iter().zip(&self.upper))
            .flat_map(|(&v, (&lo, &hi))| [v - lo, v - hi])
            .filter(|d| d.is_finite());
        let (mut low, mut high) = spread.fold((0.0f64, 0.0f64), |(a, b), d| (a.min(d), b.max(d)));
        if self.equality {
            low -= total.abs();
        } else {
            low = 0.0;
        }
        low -= 1.0;
        high += 1.0;
        for _ in 0..200 {
            let mid = 0.5 * (low + high);
            if mid == low || mid == high {
                break;
            }
            if sum(&self.clamped(x, mid)) > total {
                low = mid;
            } else {
                high = mid;
            }
        }
        let mut y = self.clamped(x, high);
        // Exact correction on the free coordinates, then make sure rounding never overshoots.
        let free: Vec<usize> = (0..y.len())
            .filter(|&i| y[i] > self.lower[i] && y[i] < self.upper[i])
            .collect();
        let gap = total - sum(&y);
        if !free.is_empty() && gap.abs() > 0.0 {
            let each = gap / free.len() as f64;
            for &i in &free {
                y[i] = (y[i] + each).clamp(self.lower[i], self.upper[i]);
            }
        }
        // Rounding may leave the sum an ulp or two above the cap; take it off the coordinate
        // with the most room, so a budget is never exceeded.
        for _ in 0..4 {
            let excess = sum(&y) - total;
            if excess <= 0.0 || self.equality {
                break;
            }
            let Some(i) = (0..y.len())
                .max_by(|&a, &b| (y[a] - self.lower[a]).total_cmp(&(y[b] - self.lower[b])))
            else {
                break;
            };
            y[i] = (y[i] - excess - f64::EPSILON * total.abs()).max(self.lower[i]);
        }
        y
    }

    /// Whether `x` is in the set, up to `tolerance` relative to the scale of the bounds.
    pub fn contains(&self, x: &[f64], tolerance: f64) -> bool {
        let inside = x
            .iter()
            .zip(self.lower.iter().zip(&self.upper))
            .all(|(&v, (&lo, &hi))| v >= lo - tolerance && v <= hi + tolerance);
        let sum: f64 = x.iter().sum();
        inside
            && match self.total {
                None => true,
                Some(total) if self.equality => (sum - total).abs() <= tolerance,
                Some(total) => sum <= total + tolerance,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Stream, stream};
    use rand::RngExt;

    #[test]
    fn inside_points_stay() {
        let set = BoxBudget::new(vec![0.0; 3], vec![10.0; 3], Some(20.0), false).unwrap();
        assert_eq!(set.project(&[1.0, 2.0, 3.0]), vec![1.0, 2.0, 3.0]);
        assert_eq!(set.project(&[-1.0, 12.0, 3.0]), vec![0.0, 10.0, 3.0]);
    }

    #[test]
    fn over_budget_points_shift_equally() {
        let set = BoxBudget::new(vec![0.0; 3], vec![100.0; 3], Some(6.0), false).unwrap();
        let y = set.project(&[4.0, 4.0, 4.0]);
        for v in &y {
            assert!((v - 2.0).abs() < 1e-12);
        }
        let y = set.project(&[10.0, 1.0, 0.0]);
        assert!(
            (y[0] - 6.0).abs() < 1e-12 && y[1] == 0.0 && y[2] == 0.0,
            "{y:?}"
        );
    }

    #[test]
    fn simplex_projection() {
        let set = BoxBudget::new(vec![0.0; 3], vec![1.0; 3], Some(1.0), true).unwrap();
        let y = set.project(&[0.2, 0.2, 0.2]);
        assert!(y.iter().all(|v| (v - 1.0 / 3.0).abs() < 1e-12), "{y:?}");
    }

    #[test]
    fn infeasible_sets_are_refused() {
        assert!(BoxBudget::new(vec![5.0, 5.0], vec![9.0, 9.0], Some(8.0), false).is_err());
        assert!(BoxBudget::new(vec![3.0], vec![2.0], None, false).is_err());
    }

    /// Property: for random bounds, budgets and points, the projection is feasible (never over
    /// budget), idempotent, and no feasible point we try is nearer.
    #[test]
    fn projection_is_feasible_idempotent_and_nearest() {
        let mut rng = stream(7, 0, Stream::Customers);
        for case in 0..2000 {
            let n = 1 + case % 6;
            let lower: Vec<f64> = (0..n)
                .map(|_| {
                    if rng.random::<f64>() < 0.5 {
                        0.0
                    } else {
                        rng.random::<f64>() * 100.0
                    }
                })
                .collect();
            let upper: Vec<f64> = lower
                .iter()
                .map(|lo| {
                    if rng.random::<f64>() < 0.2 {
                        f64::INFINITY
                    } else {
                        lo + rng.random::<f64>() * 1000.0
                    }
                })
                .collect();
            let floor: f64 = lower.iter().sum();
            let budget = floor + rng.random::<f64>() * 2000.0;
            let equality = case % 5 == 0 && upper.iter().sum::<f64>() >= budget;
            let set = BoxBudget::new(lower, upper, Some(budget), equality).unwrap();
            let x: Vec<f64> = (0..n)
                .map(|_| (rng.random::<f64>() - 0.3) * 3000.0)
                .collect();
            let y = set.project(&x);
            let sum: f64 = y.iter().sum();
            // A cap is never exceeded, not even by rounding; a required total is met.
            assert!(equality || sum <= budget, "case {case}: {sum} > {budget}");
            assert!(
                set.contains(&y, 1e-9 * budget.max(1.0)),
                "case {case}: {y:?}"
            );
            let again = set.project(&y);
            for (a, b) in again.iter().zip(&y) {
                assert!((a - b).abs() <= 1e-9 * budget.max(1.0), "case {case}");
            }
            let distance =
                |p: &[f64]| -> f64 { p.iter().zip(&x).map(|(a, b)| (a - b) * (a - b)).sum() };
            for _ in 0..5 {
                let z: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 3000.0).collect();
                let z = set.project(&z);
                // Any feasible z is at least as far from x as y, up to rounding.
                assert!(
                    distance(&z) >= distance(&y) * (1.0 - 1e-9) - 1e-6,
                    "case {case}"
                );
            }
        }
    }
}
