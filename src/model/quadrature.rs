//! Gauss quadrature of the Beta distribution, which lets the cohort engine split a cohort's
//! heterogeneous churn propensity into a few exact strata.
//!
//! A K-node Gauss rule for the Beta(a, b) weight integrates every polynomial of degree ≤ 2K − 1
//! exactly (Golub & Welsch 1969). A customer's probability of surviving any path of t periods
//! with hazard multipliers h_s, Π_s (1 − θ·h_s), is a polynomial of degree t in θ, so K strata
//! with θ fixed at the nodes reproduce the survival law of every customer, and hence the law of
//! the whole cohort's counts, exactly over horizons up to 2K − 1 periods (while θ·h_s ≤ 1).

use nalgebra::{DMatrix, SymmetricEigen};

/// Nodes in [0, 1] and weights (summing to one) of a Gauss rule for a distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct QuadratureRule {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

impl QuadratureRule {
    /// A point mass at `x`.
    pub fn point(x: f64) -> Self {
        QuadratureRule {
            nodes: vec![x],
            weights: vec![1.0],
        }
    }

    /// The K-node Gauss–Jacobi rule for Beta(a, b), a, b > 0, by the Golub–Welsch algorithm:
    /// the nodes are the eigenvalues of the Jacobi matrix of the monic orthogonal polynomials
    /// for the weight (1 − x)^(b−1)(1 + x)^(a−1) on [−1, 1], mapped to θ = (1 + x)/2; the
    /// weights are the squared first components of the eigenvectors.
    pub fn beta(a: f64, b: f64, k: usize) -> Self {
        let k = k.max(1);
        // Jacobi parameters on [−1, 1]: weight (1 − x)^alpha (1 + x)^beta.
        let alpha = b - 1.0;
        let beta = a - 1.0;
        let ab = alpha + beta;
        let mut jacobi = DMatrix::<f64>::zeros(k, k);
        for n in 0..k {
            let nf = n as f64;
            let diagonal = if n == 0 {
                (beta - alpha) / (ab + 2.0)
            } else {
                (beta * beta - alpha * alpha) / ((2.0 * nf + ab) * (2.0 * nf + ab + 2.0))
            };
            jacobi[(n, n)] = diagonal;
            if n + 1 < k {
                let m = nf + 1.0;
                let off2 = if n == 0 {
                    // The general formula's factor (m + α + β)/(2m + α + β − 1) is 0/0-prone
                    // at m = 1; cancelled by hand.
                    4.0 * (1.0 + alpha) * (1.0 + beta) / ((2.0 + ab).powi(2) * (3.0 + ab))
                } else {
                    4.0 * m * (m + alpha) * (m + beta) * (m + ab)
                        / ((2.0 * m + ab).powi(2) * (2.0 * m + ab + 1.0) * (2.0 * m + ab - 1.0))
                };
                let off = off2.max(0.0).sqrt();
                jacobi[(n, n + 1)] = off;
                jacobi[(n + 1, n)] = off;
            }
        }
        let eigen = SymmetricEigen::new(jacobi);
        let mut pairs: Vec<(f64, f64)> = (0..k)
            .map(|j| {
                let x = eigen.eigenvalues[j];
                let v = eigen.eigenvectors[(0, j)];
                (((1.0 + x) / 2.0).clamp(0.0, 1.0), v * v)
            })
            .collect();
        pairs.sort_by(|p, q| p.0.total_cmp(&q.0));
        let total: f64 = pairs.iter().map(|p| p.1).sum();
        QuadratureRule {
            nodes: pairs.iter().map(|p| p.0).collect(),
            weights: pairs.iter().map(|p| p.1 / total).collect(),
        }
    }

    /// [`QuadratureRule::beta`], remembered per thread: runs share their parameters unless
    /// `[uncertainty]` redraws them, and an eigen-decomposition per cohort per run would
    /// otherwise cost more than the run.
    pub fn beta_cached(a: f64, b: f64, k: usize) -> Self {
        use std::cell::RefCell;
        use std::collections::HashMap;
        thread_local! {
            static RULES: RefCell<HashMap<(u64, u64, usize), QuadratureRule>> =
                RefCell::new(HashMap::new());
        }
        RULES.with(|rules| {
            let mut rules = rules.borrow_mut();
            if rules.len() > 4096 {
                rules.clear();
            }
            rules
                .entry((a.to_bits(), b.to_bits(), k))
                .or_insert_with(|| QuadratureRule::beta(a, b, k))
                .clone()
        })
    }

    /// Σ_j w_j·f(x_j).
    pub fn expect(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(&x, &w)| w * f(x))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::closed_form::sbg_survival;

    /// E[θ^n] of Beta(a, b) = Π_{i<n} (a + i)/(a + b + i).
    fn beta_moment(a: f64, b: f64, n: u32) -> f64 {
        (0..n)
            .map(|i| (a + i as f64) / (a + b + i as f64))
            .product()
    }

    #[test]
    fn rule_reproduces_every_moment_up_to_degree_2k_minus_1() {
        for (a, b) in [
            (0.704, 1.182),
            (0.668, 3.806),
            (3.8, 15.2),
            (0.5, 0.5),
            (20.0, 2.0),
        ] {
            for k in [1usize, 2, 5, 16, 40, 64] {
                let rule = QuadratureRule::beta(a, b, k);
                assert!((rule.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
                for n in 0..(2 * k as u32) {
                    let exact = beta_moment(a, b, n);
                    let got = rule.expect(|x| x.powi(n as i32));
                    assert!(
                        (got - exact).abs() <= 1e-9 * exact.max(1e-300) + 1e-14,
                        "Beta({a}, {b}), K = {k}, moment {n}: {got} vs {exact}"
                    );
                }
            }
        }
    }

    #[test]
    fn strata_reproduce_the_sbg_survival_curve() {
        // S(t) = E[(1 − θ)^t] = B(α, β + t)/B(α, β), Fader & Hardie (2007).
        let (alpha, beta) = (0.704, 1.182);
        let rule = QuadratureRule::beta(alpha, beta, 8);
        for t in 0..=15 {
            let got = rule.expect(|theta| (1.0 - theta).powi(t));
            let exact = sbg_survival(alpha, beta, t as u32);
            assert!((got - exact).abs() < 1e-10, "t = {t}: {got} vs {exact}");
        }
    }

    #[test]
    fn one_node_is_the_mean() {
        let rule = QuadratureRule::beta(2.0, 6.0, 1);
        assert!((rule.nodes[0] - 0.25).abs() < 1e-12);
    }
}
