//! Gamma-Gamma: how much customers spend per transaction (Fader, Hardie & Lee 2005b, "RFM and
//! CLV: using iso-value curves for customer base analysis", J. Marketing Research 42(4);
//! Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").
//!
//! Each transaction's value ~ Gamma(p, ν), with the customer's ν ~ Gamma(q, γ), so a customer's
//! average m_x over x transactions has the density
//!
//! f(m_x | p, q, γ, x) = Γ(px + q)/(Γ(px) Γ(q)) · γ^q m_x^(px−1) x^(px) / (γ + m_x x)^(px+q),
//!
//! and the population mean transaction value is p·γ/(q − 1).
//!
//! Which transactions: the repeat transaction days of the calibration period (the first
//! purchase left out), for customers with at least one; this is the convention that reproduces
//! Fader, Hardie & Lee's p = 6.25, q = 3.74, γ = 15.44 on the CDNOW sample (946 customers).
//! A customer whose average is not positive (returns, refunds) has no Gamma density and is
//! left out; the caller reports how many.

use std::collections::HashMap;

use super::sum::NeumaierSum;
use super::transactions::CustomerSummary;
use super::{Estimate, FitError, estimates, maximize_positive};
use crate::model::closed_form::ln_gamma;

/// Customers' (x, m_x), with ln x and ln m_x precomputed and x listed once.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendData {
    frequencies: Vec<f64>,
    /// (index into `frequencies`, m_x, ln m_x).
    customers: Vec<(usize, f64, f64)>,
}

impl SpendData {
    /// From (x, m_x) pairs with x ≥ 1 and m_x > 0.
    pub fn new(pairs: &[(u32, f64)]) -> Self {
        let mut index: HashMap<u32, usize> = HashMap::new();
        let mut frequencies = Vec::new();
        let customers = pairs
            .iter()
            .map(|&(x, m)| {
                let i = *index.entry(x).or_insert_with(|| {
                    frequencies.push(f64::from(x));
                    frequencies.len() - 1
                });
                (i, m, m.ln())
            })
            .collect();
        SpendData {
            frequencies,
            customers,
        }
    }
}

/// The Gamma-Gamma log-likelihood at (p, q, γ), all > 0; −∞ outside, summed with Neumaier
/// compensation ([`NeumaierSum`]).
pub fn log_likelihood([p, q, gamma]: [f64; 3], data: &SpendData) -> f64 {
    use rayon::prelude::*;
    if !(p > 0.0 && q > 0.0 && gamma > 0.0) {
        return f64::NEG_INFINITY;
    }
    let common = -ln_gamma(q) + q * gamma.ln();
    let per_x: Vec<f64> = data
        .frequencies
        .iter()
        .map(|&x| ln_gamma(p * x + q) - ln_gamma(p * x) + p * x * x.ln())
        .collect();
    // Chunk sums added in order: the same result at any number of threads.
    let chunk_sums: Vec<NeumaierSum> = data
        .customers
        .par_chunks(8192)
        .map(|chunk| {
            let mut total = NeumaierSum::default();
            for &(xi, mean, ln_mean) in chunk {
                let x = data.frequencies[xi];
                total.add(
                    per_x[xi] + (p * x - 1.0) * ln_mean - (p * x + q) * (gamma + mean * x).ln(),
                );
            }
            total
        })
        .collect();
    let mut total = NeumaierSum::default();
    for chunk in chunk_sums {
        total.merge(chunk);
    }
    total.add(data.customers.len() as f64 * common);
    total.total()
}

/// A Gamma-Gamma fit with standard errors; `customers` were in the fit, `non_positive` were
/// left out because their average repeat spend was not positive.
#[derive(Debug, Clone, PartialEq)]
pub struct GammaGammaFit {
    pub p: Estimate,
    pub q: Estimate,
    pub gamma: Estimate,
    pub log_likelihood: f64,
    pub customers: usize,
    pub non_positive: usize,
}

impl GammaGammaFit {
    pub fn params(&self) -> [f64; 3] {
        [self.p.value, self.q.value, self.gamma.value]
    }

    /// Population mean transaction value p·γ/(q − 1); infinite when q ≤ 1.
    pub fn mean_value(&self) -> f64 {
        if self.q.value > 1.0 {
            self.p.value * self.gamma.value / (self.q.value - 1.0)
        } else {
            f64::INFINITY
        }
    }
}

/// Fits p, q, γ to the repeat buyers' average repeat spend (see the module docs).
pub fn fit(customers: &[CustomerSummary]) -> Result<GammaGammaFit, FitError> {
    let mut non_positive = 0;
    let mut pairs = Vec::new();
    for customer in customers {
        if let Some(mean) = customer.repeat_average() {
            if mean > 0.0 && mean.is_finite() {
                pairs.push((customer.frequency, mean));
            } else {
                non_positive += 1;
            }
        }
    }
    if pairs.len() < 10 {
        return Err(FitError::NotEnoughData(format!(
            "Gamma-Gamma needs at least 10 customers with repeat purchases of positive value in \
             the calibration period; found {}",
            pairs.len()
        )));
    }
    let mean = pairs.iter().map(|(_, m)| m).sum::<f64>() / pairs.len() as f64;
    let data = SpendData::new(&pairs);
    let nll = |x: &[f64]| -log_likelihood([x[0], x[1], x[2]], &data);
    let params = maximize_positive("Gamma-Gamma", [1.0, 2.0, mean], nll)?;
    let [p, q, gamma] = estimates(params, nll);
    Ok(GammaGammaFit {
        p,
        q,
        gamma,
        log_likelihood: log_likelihood(params, &data),
        customers: pairs.len(),
        non_positive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_integrates_to_one() {
        // Trapezoid rule over m for x = 3 at the CDNOW estimates.
        let data = |m: f64| SpendData::new(&[(3, m)]);
        let params = [6.25, 3.74, 15.44];
        let step = 0.01;
        let total: f64 = (1..200_000)
            .map(|i| log_likelihood(params, &data(f64::from(i) * step)).exp() * step)
            .sum();
        assert!((total - 1.0).abs() < 1e-4, "{total}");
    }

    #[test]
    fn non_positive_averages_leave_the_fit() {
        let mut customers: Vec<CustomerSummary> = (0..30)
            .map(|i| CustomerSummary {
                customer: i,
                frequency: 1 + i % 4,
                recency: 1.0,
                age: 2.0,
                first_amount: 10.0,
                repeat_amount: f64::from(1 + i % 4) * (20.0 + f64::from(i % 7) * 3.0),
                holdout_purchases: 0,
            })
            .collect();
        customers[0].repeat_amount = -5.0;
        customers[1].repeat_amount = 0.0;
        let fitted = fit(&customers).unwrap();
        assert_eq!(fitted.non_positive, 2);
        assert_eq!(fitted.customers, 28);
    }
}
