//! Gauss quadrature of the Beta and Gamma distributions, which lets the cohort engine split a
//! cohort's heterogeneous traits (churn or dropout propensity, purchase rate, order-value scale)
//! into a few strata.
//!
//! A K-node Gauss rule for a distribution integrates every polynomial of degree ≤ 2K − 1
//! exactly (Golub & Welsch 1969). A customer's probability of surviving any path of t periods
//! with hazard multipliers h_s, Π_s (1 − θ·h_s), is a polynomial of degree t in θ, so K strata
//! with θ fixed at the nodes reproduce the survival law of every customer, and hence the law of
//! the whole cohort's counts, exactly over horizons up to 2K − 1 periods (while θ·h_s ≤ 1).
//!
//! Rules are built by the Golub–Welsch algorithm: the nodes are the eigenvalues of the Jacobi
//! (tridiagonal) matrix of the distribution's monic orthogonal polynomials and the weights the
//! squared first components of its normalized eigenvectors. The eigenproblem is solved by the
//! implicit QL algorithm with Wilkinson shifts on the tridiagonal matrix, carrying only the
//! first row of the eigenvector matrix (Golub & Welsch 1969, §4; Numerical Recipes `tqli`,
//! Press et al. 2007 §11.4), which costs O(K²) instead of a dense decomposition's O(K³).

use nalgebra::{DMatrix, SymmetricEigen};

/// Nodes and weights (summing to one) of a Gauss rule for a distribution, nodes ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct QuadratureRule {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

/// The eigenvalues of the symmetric tridiagonal matrix with `diagonal` and `off` (off[i] couples
/// i and i + 1; off.len() = diagonal.len() − 1) and the squared first components of its
/// normalized eigenvectors, in ascending order of eigenvalue.
///
/// Implicit QL with Wilkinson shifts (Press et al. 2007, `tqli`), rotating only the first row
/// of the eigenvector matrix. Falls back to nalgebra's dense solver in the (never observed)
/// case that an eigenvalue needs more than 60 iterations, so the answer is always returned.
fn tridiagonal_gauss(diagonal: &[f64], off: &[f64]) -> Vec<(f64, f64)> {
    let n = diagonal.len();
    let mut d = diagonal.to_vec();
    let mut e = vec![0.0; n];
    e[..n.saturating_sub(1)].copy_from_slice(&off[..n.saturating_sub(1)]);
    let mut z = vec![0.0; n];
    if n > 0 {
        z[0] = 1.0;
    }
    let mut converged = true;
    'eigen: for l in 0..n {
        let mut iterations = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > 60 {
                converged = false;
                break 'eigen;
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut i = m;
            let mut underflow = false;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let b = c * e[i];
                r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
                let zf = z[i + 1];
                z[i + 1] = s * z[i] + c * zf;
                z[i] = c * z[i] - s * zf;
            }
            if underflow {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    let mut pairs: Vec<(f64, f64)> = if converged && d.iter().chain(&z).all(|x| x.is_finite()) {
        d.into_iter().zip(z).map(|(x, v)| (x, v * v)).collect()
    } else {
        let mut jacobi = DMatrix::<f64>::zeros(n, n);
        for i in 0..n {
            jacobi[(i, i)] = diagonal[i];
            if i + 1 < n {
                jacobi[(i, i + 1)] = off[i];
                jacobi[(i + 1, i)] = off[i];
            }
        }
        let eigen = SymmetricEigen::new(jacobi);
        (0..n)
            .map(|j| {
                let v = eigen.eigenvectors[(0, j)];
                (eigen.eigenvalues[j], v * v)
            })
            .collect()
    };
    pairs.sort_by(|p, q| p.0.total_cmp(&q.0));
    pairs
}

impl QuadratureRule {
    /// A point mass at `x`.
    pub fn point(x: f64) -> Self {
        QuadratureRule {
            nodes: vec![x],
            weights: vec![1.0],
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the rule has no nodes (never, for the constructors here).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn from_pairs(pairs: Vec<(f64, f64)>, map: impl Fn(f64) -> f64) -> Self {
        let total: f64 = pairs.iter().map(|p| p.1).sum();
        QuadratureRule {
            nodes: pairs.iter().map(|p| map(p.0)).collect(),
            weights: pairs.iter().map(|p| p.1 / total).collect(),
        }
    }

    /// The K-node Gauss–Jacobi rule for Beta(a, b), a, b > 0, by the Golub–Welsch algorithm:
    /// the nodes are the eigenvalues of the Jacobi matrix of the monic orthogonal polynomials
    /// for the weight (1 − x)^(b−1)(1 + x)^(a−1) on [−1, 1], mapped to θ = (1 + x)/2; the
    /// weights are the squared first components of the eigenvectors. The recurrence
    /// coefficients are those of the Jacobi polynomials (Abramowitz & Stegun 22.7.1; Golub &
    /// Welsch 1969, Table 1).
    pub fn beta(a: f64, b: f64, k: usize) -> Self {
        let k = k.max(1);
        // Jacobi parameters on [−1, 1]: weight (1 − x)^alpha (1 + x)^beta.
        let alpha = b - 1.0;
        let beta = a - 1.0;
        let ab = alpha + beta;
        let mut diagonal = vec![0.0; k];
        let mut off = vec![0.0; k.saturating_sub(1)];
        for n in 0..k {
            let nf = n as f64;
            diagonal[n] = if n == 0 {
                (beta - alpha) / (ab + 2.0)
            } else {
                (beta * beta - alpha * alpha) / ((2.0 * nf + ab) * (2.0 * nf + ab + 2.0))
            };
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
                off[n] = off2.max(0.0).sqrt();
            }
        }
        Self::from_pairs(tridiagonal_gauss(&diagonal, &off), |x| {
            ((1.0 + x) / 2.0).clamp(0.0, 1.0)
        })
    }

    /// The K-node generalized Gauss–Laguerre rule for Gamma(shape, scale), shape, scale > 0:
    /// the monic Laguerre polynomials L^(s−1) for the weight x^(s−1)·e^(−x) satisfy
    /// p_{n+1} = (x − (2n + s))·p_n − n(n + s − 1)·p_{n−1} (Abramowitz & Stegun 22.7.12), so the
    /// Jacobi matrix has diagonal 2n + s and off-diagonal √(n(n + s − 1)); nodes are scaled by
    /// `scale`.
    pub fn gamma(shape: f64, scale: f64, k: usize) -> Self {
        let k = k.max(1);
        let diagonal: Vec<f64> = (0..k).map(|n| 2.0 * n as f64 + shape).collect();
        let off: Vec<f64> = (1..k)
            .map(|n| {
                let n = n as f64;
                (n * (n + shape - 1.0)).max(0.0).sqrt()
            })
            .collect();
        Self::from_pairs(tridiagonal_gauss(&diagonal, &off), |x| x.max(0.0) * scale)
    }

    /// [`QuadratureRule::beta`], remembered per thread: runs share their parameters unless
    /// `[uncertainty]` redraws them.
    pub fn beta_cached(a: f64, b: f64, k: usize) -> Self {
        cached(0, a, b, k, || QuadratureRule::beta(a, b, k))
    }

    /// [`QuadratureRule::gamma`], remembered per thread.
    pub fn gamma_cached(shape: f64, scale: f64, k: usize) -> Self {
        cached(1, shape, scale, k, || {
            QuadratureRule::gamma(shape, scale, k)
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

/// A per-thread memo of rules by (family, parameters, K).
fn cached(
    family: u8,
    x: f64,
    y: f64,
    k: usize,
    make: impl FnOnce() -> QuadratureRule,
) -> QuadratureRule {
    use std::cell::RefCell;
    use std::collections::HashMap;
    type Key = (u8, u64, u64, usize);
    thread_local! {
        static RULES: RefCell<HashMap<Key, QuadratureRule>> = RefCell::new(HashMap::new());
    }
    RULES.with(|rules| {
        let mut rules = rules.borrow_mut();
        if rules.len() > 4096 {
            rules.clear();
        }
        rules
            .entry((family, x.to_bits(), y.to_bits(), k))
            .or_insert_with(make)
            .clone()
    })
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

    #[test]
    fn gamma_rule_reproduces_every_moment_up_to_degree_2k_minus_1() {
        // E[λ^n] = scale^n·Γ(s + n)/Γ(s) = scale^n·Π_{i<n} (s + i).
        for (shape, scale) in [(0.243, 1.0 / 4.414), (1.0, 2.0), (3.74, 0.5), (25.0, 0.04)] {
            for k in [1usize, 2, 5, 12, 30] {
                let rule = QuadratureRule::gamma(shape, scale, k);
                assert!((rule.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
                let mut exact = 1.0;
                for n in 0..(2 * k as u32).min(40) {
                    let got = rule.expect(|x| x.powi(n as i32));
                    assert!(
                        (got - exact).abs() <= 1e-9 * exact,
                        "Gamma({shape}, {scale}), K = {k}, moment {n}: {got} vs {exact}"
                    );
                    exact *= scale * (shape + n as f64);
                }
            }
        }
    }

    #[test]
    fn tridiagonal_solver_matches_the_dense_eigen_decomposition() {
        for (a, b, k) in [(0.704, 1.182, 64usize), (0.3, 9.7, 200), (20.0, 2.0, 7)] {
            let fast = QuadratureRule::beta(a, b, k);
            // The dense reference: the same Jacobi matrix through nalgebra.
            let alpha = b - 1.0;
            let beta = a - 1.0;
            let ab = alpha + beta;
            let mut jacobi = DMatrix::<f64>::zeros(k, k);
            for n in 0..k {
                let nf = n as f64;
                jacobi[(n, n)] = if n == 0 {
                    (beta - alpha) / (ab + 2.0)
                } else {
                    (beta * beta - alpha * alpha) / ((2.0 * nf + ab) * (2.0 * nf + ab + 2.0))
                };
                if n + 1 < k {
                    let m = nf + 1.0;
                    let off2 = if n == 0 {
                        4.0 * (1.0 + alpha) * (1.0 + beta) / ((2.0 + ab).powi(2) * (3.0 + ab))
                    } else {
                        4.0 * m * (m + alpha) * (m + beta) * (m + ab)
                            / ((2.0 * m + ab).powi(2) * (2.0 * m + ab + 1.0) * (2.0 * m + ab - 1.0))
                    };
                    jacobi[(n, n + 1)] = off2.sqrt();
                    jacobi[(n + 1, n)] = off2.sqrt();
                }
            }
            let eigen = SymmetricEigen::new(jacobi);
            let mut dense: Vec<(f64, f64)> = (0..k)
                .map(|j| {
                    let v = eigen.eigenvectors[(0, j)];
                    ((1.0 + eigen.eigenvalues[j]) / 2.0, v * v)
                })
                .collect();
            dense.sort_by(|p, q| p.0.total_cmp(&q.0));
            for (j, (x, w)) in dense.iter().enumerate() {
                assert!(
                    (fast.nodes[j] - x.clamp(0.0, 1.0)).abs() < 1e-12,
                    "node {j}"
                );
                assert!((fast.weights[j] - w).abs() < 1e-12, "weight {j}");
            }
        }
    }
}
