//! Calibration: fit scenario parameters from a company's own data (SPEC §14).
//!
//! A strategist's first question is "what are my numbers?". This module answers it with the
//! standard customer-base models, fitted by maximum likelihood:
//!
//! - [`sbg`]: the shifted-beta-geometric churn model (Fader & Hardie 2007) from a table of
//!   customers alive per period, one column per cohort;
//! - [`bgnbd`]: BG/NBD purchasing and dropout (Fader, Hardie & Lee 2005a) from per-customer
//!   frequency, recency and age, with the conditional expectation used for the holdout check;
//! - [`gamma_gamma`]: the Gamma-Gamma order-value model (Fader, Hardie & Lee 2005b);
//! - [`transactions`]: the reader of raw transaction logs and their per-customer summaries;
//! - [`scores`]: each customer's P(alive), expected purchases, expected order value and CLV
//!   with a 90% interval, from the fitted models and the customer's own history;
//! - [`tracking`]: the cohort's cumulative repeat purchases over calendar time, actual against
//!   BG/NBD, for the calibration chart.
//! - [`study`]: `ceq fit survival` and `ceq fit transactions` as calls from data to the whole
//!   result ([`report`]'s documents), with the warnings a caller shows returned as values.
//!
//! Likelihoods are summed with Neumaier compensation ([`sum`]) and maximized over the
//! logarithms of the parameters (all are positive) by the Nelder–Mead minimizer in
//! [`optimizer`], whose best point is polished by Newton steps; standard errors come from the
//! observed information matrix, the inverse of the Richardson-extrapolated finite-difference
//! Hessian of the negative log-likelihood ([`hessian`]), accurate to about 1e-8 relative against
//! an exact Hessian. [`formats`] reads dates and amounts as firms export them, and [`scores`]
//! turns a fit into per-customer P(alive), expected purchases, order value and CLV.

pub mod base_value;
pub mod bgnbd;
pub mod fitted_scenario;
pub mod formats;
pub mod gamma_gamma;
pub mod hessian;
pub mod optimizer;
pub mod report;
pub mod response;
pub mod retention_test;
pub mod sbg;
pub mod scores;
pub mod study;
pub mod sum;
pub mod table;
pub mod tracking;
pub mod transactions;

use serde::Serialize;

use crate::model::closed_form::ClosedFormError;

/// Why data could not be read or a model could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The input has no header and no rows.
    #[error("the file is empty: expected a header row and data rows")]
    Empty,
    /// A problem tied to one line of the input.
    #[error("line {line}: {message}")]
    Line { line: u64, message: String },
    /// A column the fit needs is not in the header.
    #[error("{0}")]
    MissingColumn(String),
    /// The data are readable but cannot identify the model (too few customers, no churn...).
    #[error("{0}")]
    NotEnoughData(String),
    /// The maximizer ended without a finite likelihood.
    #[error("the {model} likelihood could not be maximized: {reason}")]
    NoMaximum { model: &'static str, reason: String },
    /// Settings of a computation on a fit are out of range (margin, discount rate, horizon…).
    #[error("{0}")]
    Settings(String),
    /// A closed form needed for predictions failed.
    #[error(transparent)]
    ClosedForm(#[from] ClosedFormError),
}

/// A fitted parameter with its standard error and 95% interval.
///
/// The interval is computed on the log scale, exp(ln θ ± 1.96·se/θ) (the delta method), so it
/// stays positive like the parameter itself. Without a standard error (a singular information
/// matrix: the data do not pin the parameter down) there is no interval either.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub std_error: Option<f64>,
}

impl Estimate {
    /// The 95% interval on the log scale, when the standard error is known.
    pub fn ci95(&self) -> Option<(f64, f64)> {
        let se = self.std_error?;
        let half = 1.959_963_984_540_054 * se / self.value;
        Some((self.value * (-half).exp(), self.value * half.exp()))
    }
}

/// Builds estimates from fitted values and the standard errors of [`hessian::standard_errors`]
/// (None when the information matrix cannot be inverted).
pub(crate) fn estimates<const N: usize>(
    values: [f64; N],
    negative_log_likelihood: impl Fn(&[f64]) -> f64,
) -> [Estimate; N] {
    let errors = hessian::standard_errors(&negative_log_likelihood, &values);
    std::array::from_fn(|i| Estimate {
        value: values[i],
        std_error: errors.as_ref().map(|e| e[i]),
    })
}

/// Minimizes `negative_log_likelihood` over positive parameters, starting at `start`, by
/// Nelder–Mead on their logarithms. Returns the parameters at the minimum.
pub(crate) fn maximize_positive<const N: usize>(
    model: &'static str,
    start: [f64; N],
    negative_log_likelihood: impl Fn(&[f64]) -> f64,
) -> Result<[f64; N], FitError> {
    let on_logs = |logs: &[f64]| {
        let params: Vec<f64> = logs.iter().map(|l| l.exp()).collect();
        negative_log_likelihood(&params)
    };
    let log_start: Vec<f64> = start.iter().map(|s| s.ln()).collect();
    let minimum = optimizer::NelderMead::default().minimize(on_logs, &log_start);
    if !minimum.value.is_finite() {
        return Err(FitError::NoMaximum {
            model,
            reason: "the log-likelihood is not finite anywhere the search went".to_string(),
        });
    }
    if minimum.termination == optimizer::Termination::MaxIterations {
        return Err(FitError::NoMaximum {
            model,
            reason: format!(
                "no convergence within {} evaluations; the data may not identify the model",
                minimum.evaluations
            ),
        });
    }
    let (polished, _) = newton_polish(&on_logs, minimum.x, minimum.value);
    let params: [f64; N] = std::array::from_fn(|i| polished[i].exp());
    if params.iter().any(|p| !p.is_finite() || *p <= 0.0) {
        return Err(FitError::NoMaximum {
            model,
            reason: "a parameter ran off to 0 or infinity; the data may not identify the model"
                .to_string(),
        });
    }
    Ok(params)
}

/// Newton steps from the simplex's best point `x` (value `value`), on the log scale: Nelder–Mead
/// stops when the simplex is 1e-6 across, which leaves the parameters about 1e-6 relative from
/// the maximum (the likelihood is flat there, so its value hardly tells), and the scores built
/// on them inherit that. Up to four steps −H⁻¹g with the fourth-order gradient and the
/// extrapolated Hessian of [`hessian`] on steps of 3e-3 in the logarithms; a step is taken only
/// while the Hessian is positive definite, the step is under 0.1 (10% in every parameter) and
/// the value does not rise beyond rounding, so a point that is not near a maximum is returned
/// unchanged.
pub(crate) fn newton_polish(
    f: &impl Fn(&[f64]) -> f64,
    x: Vec<f64>,
    value: f64,
) -> (Vec<f64>, f64) {
    let steps = vec![hessian::RELATIVE_STEP; x.len()];
    let (mut x, mut value) = (x, value);
    for _ in 0..4 {
        let gradient = hessian::gradient_with_steps(f, &x, &steps);
        let curvature = hessian::hessian_with_steps(f, &x, &steps);
        if gradient
            .iter()
            .chain(curvature.iter())
            .any(|v| !v.is_finite())
        {
            break;
        }
        let Some(cholesky) = curvature.cholesky() else {
            break;
        };
        let step = cholesky.solve(&nalgebra::DVector::from_vec(gradient));
        let size = step.amax();
        if size.is_nan() || size >= 0.1 {
            break;
        }
        let candidate: Vec<f64> = x.iter().zip(step.iter()).map(|(u, s)| u - s).collect();
        let next = f(&candidate);
        if next.is_nan() || next > value + 4.0 * f64::EPSILON * value.abs() {
            break;
        }
        x = candidate;
        value = next;
        if size < 1e-12 {
            break;
        }
    }
    (x, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_polish_lands_on_the_minimum_of_a_smooth_function() {
        // A non-quadratic bowl with its minimum at (0.3, −0.2): from 1e-5 away, the polished
        // point is within 1e-10.
        let f = |u: &[f64]| {
            let (a, b) = (u[0] - 0.3, u[1] + 0.2);
            a * a + 0.5 * a * b + 2.0 * b * b + a.powi(4) + (b.exp() - 1.0 - b)
        };
        let start = vec![0.3 + 1e-5, -0.2 - 2e-5];
        let (x, value) = newton_polish(&f, start.clone(), f(&start));
        assert!(
            (x[0] - 0.3).abs() < 1e-10 && (x[1] + 0.2).abs() < 1e-10,
            "{x:?}"
        );
        assert!(value <= f(&start));
        // A saddle is left alone.
        let saddle = |u: &[f64]| u[0] * u[0] - u[1] * u[1];
        let (x, _) = newton_polish(&saddle, vec![0.1, 0.1], 0.0);
        assert_eq!(x, [0.1, 0.1]);
    }

    #[test]
    fn interval_is_on_the_log_scale() {
        let estimate = Estimate {
            value: 2.0,
            std_error: Some(0.2),
        };
        let (lo, hi) = estimate.ci95().unwrap();
        assert!(
            (lo * hi - 4.0).abs() < 1e-12,
            "geometric mean is the estimate"
        );
        assert!((lo - 2.0 * (-0.196f64).exp()).abs() < 1e-3);
        let unknown = Estimate {
            value: 2.0,
            std_error: None,
        };
        assert_eq!(unknown.ci95(), None);
    }
}
