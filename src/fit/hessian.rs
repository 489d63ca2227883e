//! Standard errors from the observed information matrix.
//!
//! At a maximum-likelihood estimate θ̂ the asymptotic covariance of θ̂ is the inverse of the
//! observed information, the Hessian of the negative log-likelihood at θ̂ (e.g. Casella & Berger
//! §10.1). The likelihoods here have no convenient second derivatives, so the Hessian is
//! computed by central finite differences with a step proportional to each parameter (they are
//! all positive and of very different sizes), and inverted with nalgebra.

use nalgebra::DMatrix;

/// Relative step of the finite differences: about ε^(1/4), which balances the truncation error
/// of a central second difference (O(h²)) against rounding (O(ε/h²)).
const RELATIVE_STEP: f64 = 1e-4;

/// The Hessian of `f` at `x` by central differences, step h_i = 1e-4·max(|x_i|, 1e-3).
pub fn numerical_hessian(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> DMatrix<f64> {
    let n = x.len();
    let steps: Vec<f64> = x
        .iter()
        .map(|xi| RELATIVE_STEP * xi.abs().max(1e-3))
        .collect();
    let at = |moves: &[(usize, f64)]| {
        let mut point = x.to_vec();
        for &(i, sign) in moves {
            point[i] += sign * steps[i];
        }
        f(&point)
    };
    let center = f(x);
    let mut hessian = DMatrix::zeros(n, n);
    for i in 0..n {
        let second = (at(&[(i, 1.0)]) - 2.0 * center + at(&[(i, -1.0)])) / (steps[i] * steps[i]);
        hessian[(i, i)] = second;
        for j in 0..i {
            let mixed = (at(&[(i, 1.0), (j, 1.0)])
                - at(&[(i, 1.0), (j, -1.0)])
                - at(&[(i, -1.0), (j, 1.0)])
                + at(&[(i, -1.0), (j, -1.0)]))
                / (4.0 * steps[i] * steps[j]);
            hessian[(i, j)] = mixed;
            hessian[(j, i)] = mixed;
        }
    }
    hessian
}

/// Covariance matrix of the estimates: the inverse of the Hessian of the negative
/// log-likelihood at the maximum. None when that Hessian is not positive definite (the data
/// do not identify every parameter, or `x` is not a maximum).
pub fn covariance(
    negative_log_likelihood: impl Fn(&[f64]) -> f64,
    x: &[f64],
) -> Option<DMatrix<f64>> {
    let hessian = numerical_hessian(negative_log_likelihood, x);
    if hessian.iter().any(|h| !h.is_finite()) {
        return None;
    }
    let cholesky = hessian.cholesky()?;
    Some(cholesky.inverse())
}

/// Standard errors: square roots of the covariance's diagonal (see [`covariance`]).
pub fn standard_errors(
    negative_log_likelihood: impl Fn(&[f64]) -> f64,
    x: &[f64],
) -> Option<Vec<f64>> {
    let covariance = covariance(negative_log_likelihood, x)?;
    let errors: Vec<f64> = covariance.diagonal().iter().map(|v| v.sqrt()).collect();
    errors.iter().all(|e| e.is_finite()).then_some(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hessian_of_a_quadratic_form_is_exact() {
        // f = x² + 3xy + 5y² has Hessian [[2, 3], [3, 10]] everywhere.
        let f = |p: &[f64]| p[0] * p[0] + 3.0 * p[0] * p[1] + 5.0 * p[1] * p[1];
        let h = numerical_hessian(f, &[0.7, -1.3]);
        let expected = [[2.0, 3.0], [3.0, 10.0]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((h[(i, j)] - expected[i][j]).abs() < 1e-5, "{h}");
            }
        }
    }

    #[test]
    fn normal_mean_and_sd_have_their_textbook_standard_errors() {
        // n draws from N(μ, σ²): se(μ̂) = σ̂/√n and se(σ̂) = σ̂/√(2n) at the MLE.
        let data = [1.2, 0.4, 2.9, 1.7, 0.8, 2.2, 1.1, 1.9, 0.3, 2.5];
        let n = data.len() as f64;
        let mean = data.iter().sum::<f64>() / n;
        let sd = (data.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        let nll = |p: &[f64]| {
            data.iter()
                .map(|x| p[1].ln() + 0.5 * ((x - p[0]) / p[1]).powi(2))
                .sum::<f64>()
        };
        let errors = standard_errors(nll, &[mean, sd]).unwrap();
        assert!((errors[0] - sd / n.sqrt()).abs() < 1e-6 * sd);
        assert!((errors[1] - sd / (2.0 * n).sqrt()).abs() < 1e-6 * sd);
    }

    #[test]
    fn no_standard_errors_away_from_a_minimum() {
        let saddle = |p: &[f64]| p[0] * p[0] - p[1] * p[1];
        assert_eq!(standard_errors(saddle, &[0.0, 0.0]), None);
    }
}
