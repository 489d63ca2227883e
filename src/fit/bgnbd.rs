//! BG/NBD: purchasing and dropout of customers who never say they leave (Fader, Hardie & Lee
//! 2005a, "Counting your customers the easy way", Marketing Science 24(2)).
//!
//! While active a customer buys at rate λ ~ Gamma(r, α) (Poisson purchases); after each
//! purchase they drop out for good with probability p ~ Beta(a, b). A customer with x repeat
//! purchases, the last at t_x, observed for T since the first, contributes (their eq. 6)
//!
//! L = B(a, b + x)/B(a, b) · Γ(r + x) α^r / (Γ(r) (α + T)^(r+x))
//!   + \[x > 0\] · B(a + 1, b + x − 1)/B(a, b) · Γ(r + x) α^r / (Γ(r) (α + t_x)^(r+x)).
//!
//! Customers with the same (x, t_x, T) contribute the same term, so the data are grouped
//! first, and the Γ and B terms, which depend on x only, are computed once per distinct x per
//! evaluation: a log of a million transactions costs a few thousand logarithms per evaluation.

use std::collections::HashMap;

use super::sum::NeumaierSum;
use super::transactions::CustomerSummary;
use super::{Estimate, FitError, estimates, maximize_positive};
use crate::model::closed_form::{ClosedFormError, hyp2f1, ln_gamma};

/// Customers grouped by (x, t_x, T), with the distinct x, t_x and T values listed once:
/// in real logs they come from a calendar of a few thousand days, so ln(α + t_x) and
/// ln(α + T) are computed once per distinct value per evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedRfm {
    /// Distinct frequencies x, ascending.
    frequencies: Vec<f64>,
    /// Distinct recencies t_x and ages T.
    times: Vec<f64>,
    groups: Vec<Group>,
    customers: usize,
}

/// Customers sharing (x, t_x, T): indices into the distinct values, and how many.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Group {
    frequency: u32,
    recency: u32,
    age: u32,
    weight: f64,
}

/// Groups per parallel chunk; the chunk sums are added in order, so the likelihood (and the
/// fit) does not depend on the number of threads.
const CHUNK: usize = 8192;

impl GroupedRfm {
    pub fn new(customers: &[CustomerSummary]) -> Self {
        let mut counts: HashMap<(u32, u64, u64), f64> = HashMap::new();
        for c in customers {
            *counts
                .entry((c.frequency, c.recency.to_bits(), c.age.to_bits()))
                .or_default() += 1.0;
        }
        let mut keys: Vec<_> = counts.into_iter().collect();
        keys.sort_by_key(|a| a.0);
        let mut frequencies: Vec<f64> = Vec::new();
        let mut time_index: HashMap<u64, u32> = HashMap::new();
        let mut times: Vec<f64> = Vec::new();
        let mut index_of = |bits: u64| {
            *time_index.entry(bits).or_insert_with(|| {
                times.push(f64::from_bits(bits));
                (times.len() - 1) as u32
            })
        };
        let mut groups = Vec::with_capacity(keys.len());
        for ((x, recency, age), weight) in keys {
            let x = f64::from(x);
            if frequencies.last() != Some(&x) {
                frequencies.push(x);
            }
            groups.push(Group {
                frequency: (frequencies.len() - 1) as u32,
                recency: index_of(recency),
                age: index_of(age),
                weight,
            });
        }
        GroupedRfm {
            frequencies,
            times,
            groups,
            customers: customers.len(),
        }
    }
}

/// The BG/NBD log-likelihood of `data` at (r, α, a, b), all > 0; −∞ outside. The terms are
/// added with Neumaier compensation ([`NeumaierSum`]), chunk sums merged in order, so the
/// value is accurate to about one rounding of the total at any number of threads, which the
/// finite-difference Hessian of the standard errors needs.
pub fn log_likelihood([r, alpha, a, b]: [f64; 4], data: &GroupedRfm) -> f64 {
    use rayon::prelude::*;
    if !(r > 0.0 && alpha > 0.0 && a > 0.0 && b > 0.0) {
        return f64::NEG_INFINITY;
    }
    let common = -ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) - ln_gamma(b);
    // Per x: the Γ and B terms, and ln(a/(b + x − 1)) for the "dropped out" branch.
    let per_x: Vec<(f64, f64)> = data
        .frequencies
        .iter()
        .map(|&x| {
            let gammas = ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x);
            let gone = if x > 0.0 {
                (a / (b + x - 1.0)).ln()
            } else {
                f64::NEG_INFINITY
            };
            (gammas, gone)
        })
        .collect();
    let ln_times: Vec<f64> = data.times.iter().map(|t| (alpha + t).ln()).collect();
    let chunk_sums: Vec<NeumaierSum> = data
        .groups
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut total = NeumaierSum::default();
            for group in chunk {
                let x = data.frequencies[group.frequency as usize];
                let (gammas, gone_base) = per_x[group.frequency as usize];
                let still = -(r + x) * ln_times[group.age as usize];
                let term = if x > 0.0 {
                    let gone = gone_base - (r + x) * ln_times[group.recency as usize];
                    let high = still.max(gone);
                    high + (-(still - gone).abs()).exp().ln_1p()
                } else {
                    still
                };
                total.add(group.weight * (gammas + term));
            }
            total
        })
        .collect();
    let mut total = NeumaierSum::default();
    for chunk in chunk_sums {
        total.merge(chunk);
    }
    total.add(data.customers as f64 * common);
    total.total()
}

/// A BG/NBD fit with standard errors.
#[derive(Debug, Clone, PartialEq)]
pub struct BgNbdFit {
    pub r: Estimate,
    pub alpha: Estimate,
    pub a: Estimate,
    pub b: Estimate,
    pub log_likelihood: f64,
    pub customers: usize,
}

impl BgNbdFit {
    pub fn params(&self) -> [f64; 4] {
        [self.r.value, self.alpha.value, self.a.value, self.b.value]
    }

    /// Mean purchase rate r/α of an active customer, per time unit.
    pub fn mean_rate(&self) -> f64 {
        self.r.value / self.alpha.value
    }

    /// Mean dropout probability a/(a + b) after each purchase.
    pub fn mean_dropout(&self) -> f64 {
        self.a.value / (self.a.value + self.b.value)
    }
}

/// Fits r, α, a, b by maximum likelihood to the customers' (x, t_x, T).
pub fn fit(customers: &[CustomerSummary]) -> Result<BgNbdFit, FitError> {
    let repeaters = customers.iter().filter(|c| c.frequency > 0).count();
    if customers.len() < 10 || repeaters < 2 {
        return Err(FitError::NotEnoughData(format!(
            "BG/NBD needs at least 10 customers, some with repeat purchases in the calibration \
             period; found {} customer(s), {repeaters} with repeats",
            customers.len()
        )));
    }
    if customers.iter().all(|c| c.age <= 0.0) {
        return Err(FitError::NotEnoughData(
            "every customer first bought on the calibration end; move --calibration-end later"
                .to_string(),
        ));
    }
    let data = GroupedRfm::new(customers);
    let n = customers.len() as f64;
    let mean_age = customers.iter().map(|c| c.age).sum::<f64>() / n;
    let mean_x = customers
        .iter()
        .map(|c| f64::from(c.frequency))
        .sum::<f64>()
        / n;
    // A start with the right order of magnitude: r = 1 and α = T̄/(x̄ + 1).
    let start = [1.0, (mean_age / (mean_x + 1.0)).max(1e-3), 1.0, 1.0];
    let nll = |p: &[f64]| -log_likelihood([p[0], p[1], p[2], p[3]], &data);
    let params = maximize_positive("BG/NBD", start, nll)?;
    let [r, alpha, a, b] = estimates(params, nll);
    Ok(BgNbdFit {
        r,
        alpha,
        a,
        b,
        log_likelihood: log_likelihood(params, &data),
        customers: customers.len(),
    })
}

/// Expected purchases in the next t time units of a customer with x repeat purchases, the
/// last at t_x, observed for T (Fader, Hardie & Lee 2005a, eq. 10):
///
/// E[Y(t) | x, t_x, T] = (a + b + x − 1)/(a − 1)
///   · [1 − ((α + T)/(α + T + t))^(r+x) ₂F₁(r + x, b + x; a + b + x − 1; t/(α + T + t))]
///   / [1 + \[x > 0\] · a/(b + x − 1) · ((α + T)/(α + t_x))^(r+x)].
///
/// a ≠ 1 (the formula is 0/0 there).
pub fn conditional_expected_purchases(
    [r, alpha, a, b]: [f64; 4],
    frequency: u32,
    recency: f64,
    age: f64,
    t: f64,
) -> Result<f64, ClosedFormError> {
    if (a - 1.0).abs() < 1e-6 {
        return Err(ClosedFormError::OutOfDomain {
            name: "a",
            value: a,
            expected: "a ≠ 1 (the closed form is 0/0 there)",
        });
    }
    if t <= 0.0 {
        return Ok(0.0);
    }
    let x = f64::from(frequency);
    let z = t / (alpha + age + t);
    let hyper = hyp2f1(r + x, b + x, a + b + x - 1.0, z)?;
    let bracket = 1.0 - ((alpha + age) / (alpha + age + t)).powf(r + x) * hyper;
    let numerator = (a + b + x - 1.0) / (a - 1.0) * bracket;
    let denominator = if frequency > 0 {
        1.0 + a / (b + x - 1.0) * ((alpha + age) / (alpha + recency)).powf(r + x)
    } else {
        1.0
    };
    Ok(numerator / denominator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::closed_form::bgnbd_expected_purchases;

    const CDNOW: [f64; 4] = [0.243, 4.414, 0.793, 2.426];

    fn customer(frequency: u32, recency: f64, age: f64) -> CustomerSummary {
        CustomerSummary {
            customer: 0,
            frequency,
            recency,
            age,
            first_amount: 10.0,
            repeat_amount: 0.0,
            holdout_purchases: 0,
        }
    }

    #[test]
    fn likelihood_of_one_customer_matches_the_formula() {
        let [r, alpha, a, b] = CDNOW;
        let (x, tx, big_t) = (2.0f64, 30.43, 38.86);
        let beta = |p: f64, q: f64| (ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q)).exp();
        let gamma_part = |s: f64| {
            (ln_gamma(r + x) - ln_gamma(r)).exp() * alpha.powf(r) / (alpha + s).powf(r + x)
        };
        let expected = (beta(a, b + x) / beta(a, b) * gamma_part(big_t)
            + beta(a + 1.0, b + x - 1.0) / beta(a, b) * gamma_part(tx))
        .ln();
        let data = GroupedRfm::new(&[customer(2, tx, big_t)]);
        assert!((log_likelihood(CDNOW, &data) - expected).abs() < 1e-10);
    }

    #[test]
    fn a_new_customer_expects_the_unconditional_purchases() {
        // x = 0, T = 0: E[Y(t) | 0, 0, 0] = E[X(t)].
        for t in [1.0, 3.0, 31.857, 78.0] {
            let conditional = conditional_expected_purchases(CDNOW, 0, 0.0, 0.0, t).unwrap();
            let unconditional =
                bgnbd_expected_purchases(CDNOW[0], CDNOW[1], CDNOW[2], CDNOW[3], t).unwrap();
            assert!((conditional - unconditional).abs() < 1e-10);
        }
    }

    #[test]
    fn conditional_expectation_matches_fader_hardie_lee() {
        // Their worked example: x = 2, t_x = 30.43, T = 38.86, t = 39 → 1.226.
        let expected = conditional_expected_purchases(CDNOW, 2, 30.43, 38.86, 39.0).unwrap();
        assert!((expected - 1.226).abs() < 0.002, "{expected}");
    }
}
