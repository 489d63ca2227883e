//! Per-customer scores: what each customer's history in the log says about their future, the
//! numbers a retention campaign is planned with (SPEC §14, `ceq fit transactions --scores`).
//!
//! For a customer with x repeat purchases, the last at t_x, observed for T since the first, and
//! an average repeat order value m_x, at the fitted BG/NBD (r, α, a, b) and Gamma-Gamma
//! (p, q, γ) parameters:
//!
//! - **P(alive)** = 1 / (1 + \[x > 0\] · a/(b + x − 1) · ((α + T)/(α + t_x))^(r + x)) (Fader,
//!   Hardie & Lee 2005a, "Counting your customers the easy way", Marketing Science 24(2), and
//!   their note "Computing P(alive) using the BG/NBD model", 2008): a customer who never bought
//!   again cannot have dropped out, since BG/NBD dropouts happen right after a purchase;
//! - **expected purchases** in the next H periods, E[Y(H) | x, t_x, T], Fader, Hardie & Lee
//!   2005a eq. 10 ([`bgnbd::conditional_expected_purchases`]);
//! - **expected order value** E[M | x, m_x] = (q − 1)/(px + q − 1) · pγ/(q − 1) +
//!   px/(px + q − 1) · m_x, the Gamma-Gamma conditional mean (Fader, Hardie & Lee 2005b,
//!   "RFM and CLV: using iso-value curves for customer base analysis", J. Marketing Research
//!   42(4); Fader & Hardie 2013, "The Gamma-Gamma model of monetary value", eq. 5): a weighted
//!   average of the population mean pγ/(q − 1) and the customer's own average, the weight on
//!   the customer growing with x. At x = 0 it is the population mean. It is also defined for a
//!   repeat buyer whose average is 0 (left out of the Gamma-Gamma fit, which needs m_x > 0):
//!   pγ/(px + q − 1); a negative average (refunds larger than purchases) is scored as 0;
//! - **clv** = margin · E[M | x, m_x] · Σ_{k=1..H} δ^k · (E[Y(k) | ·] − E[Y(k − 1) | ·]), the
//!   discounted expected margin of the next H periods: purchases of period k are discounted by
//!   δ^k, δ = (1 + annual rate)^(−1/periods per year) (SPEC §1, cash at the end of each
//!   period). Order values are independent of purchasing in Gamma-Gamma (Fader, Hardie & Lee
//!   2005b), so the expectation of the product is the product of the expectations.
//!
//! **The 90% interval of clv** is computed by simulation with a fixed seed. What the history
//! leaves unknown about a customer is whether they are still alive, their purchase rate λ,
//! their dropout probability p and their typical order value. Given the data, the customer is
//! alive with P(alive), and then λ ~ Gamma(r + x, α + T) and p ~ Beta(a, b + x) independently
//! (the "alive" term of the BG/NBD likelihood, Fader, Hardie & Lee 2005a eq. 3, times the
//! prior); the Gamma-Gamma scale ν ~ Gamma(q + px, γ + x·m_x) (conjugacy, Fader & Hardie 2013),
//! so the customer's mean order value is p/ν. A customer alive with (λ, p) makes
//! (1 − e^(−λpt))/p purchases in expectation by time t (Fader, Hardie & Lee 2005a eq. 7, from
//! the memoryless restart at T), so their value is
//!
//! V = margin · (p_value/ν) · δ · (1 − e^(−λp))/p · Σ_{j=0..H−1} (δ·e^(−λp))^j,
//!
//! and 0 if they are gone. `clv_p05` and `clv_p95` are the 5% and 95% quantiles of V over
//! [`ScoreSettings::draws`] draws (Hyndman & Fan definition 7). The draws are shared by the
//! customers with the same x, which is exact, not an approximation: λ = L/(α + T) with
//! L ~ Gamma(r + x, 1), and ν = G/(γ + x·m_x) with G ~ Gamma(q + px, 1), so one set of draws of
//! (alive, L, p, G) per x serves every such customer, and since V is proportional to
//! (γ + x·m_x), the quantiles are computed once per (x, t_x, T) and scaled. The mean of V is exactly `clv`
//! (the law of total expectation), which the tests check. The interval is of the customer's
//! expected value given their unknown traits, not of the money they will happen to bring (which
//! also varies with the purchases they happen to make); it treats the fitted population
//! parameters as known (empirical Bayes), so their standard errors do not widen it. A customer
//! with P(alive) below 95% has `clv_p05` = 0: there is a 5% chance or more that they are gone
//! (the "alive" uniforms are stratified, one in each 1/n of [0, 1], so this holds to within
//! 1/n).
//!
//! Customers with the same (x, t_x, T) share P(alive), the purchase expectations and the
//! interval up to its scale, so these are computed once per group (one-time buyers, usually
//! most of a log, differ only in T); groups are computed in parallel and each x's draws come
//! from its own stream, so the result does not depend on threads.

use std::collections::HashMap;

use rand::RngExt;
use rayon::prelude::*;
use serde::Serialize;

use super::FitError;
use super::bgnbd;
use super::sum::NeumaierSum;
use super::transactions::CustomerSummary;
use crate::model::dist;
use crate::sim::rng::{self, Stream};

/// What the scores are computed over: the horizon, money and the interval's simulation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreSettings {
    /// Periods after the calibration end (`--horizon`), in the fit's time unit.
    pub horizon: u32,
    /// Gross margin on order value, 0..=1 (`--margin`); 1 values revenue.
    pub margin: f64,
    /// Annual discount rate, ≥ 0 (`--discount-rate`).
    pub discount_rate: f64,
    /// Periods per year of the time unit (52 for weeks), for the per-period discount factor.
    pub periods_per_year: u32,
    /// Posterior draws per customer for the 90% interval of clv.
    pub draws: u32,
    /// Seed of the interval's draws (`--seed`).
    pub seed: u64,
}

impl ScoreSettings {
    /// `--margin` default: 1 values revenue, as the written scenario does.
    pub const DEFAULT_MARGIN: f64 = 1.0;
    /// `--discount-rate` default, the written scenario's.
    pub const DEFAULT_DISCOUNT_RATE: f64 = 0.10;
    /// Draws per customer: the 5% quantile from 2,000 draws is the 4.5–5.5% quantile with 90%
    /// probability.
    pub const DEFAULT_DRAWS: u32 = 2000;
    /// The interval's coverage.
    pub const INTERVAL: f64 = 0.90;

    /// Settings with the default margin, discount rate, draws and seed 1.
    pub fn new(horizon: u32, periods_per_year: u32) -> Self {
        ScoreSettings {
            horizon,
            margin: Self::DEFAULT_MARGIN,
            discount_rate: Self::DEFAULT_DISCOUNT_RATE,
            periods_per_year,
            draws: Self::DEFAULT_DRAWS,
            seed: 1,
        }
    }

    /// The per-period discount factor δ = (1 + rate)^(−1/periods per year) (SPEC §1).
    pub fn discount_factor(&self) -> f64 {
        (1.0 + self.discount_rate).powf(-1.0 / f64::from(self.periods_per_year.max(1)))
    }

    fn check(&self) -> Result<(), FitError> {
        let problem = if self.horizon == 0 {
            Some("the horizon must be at least one period".to_string())
        } else if !(0.0..=1.0).contains(&self.margin) {
            Some(format!(
                "the margin is {}; expected a share of order value from 0 to 1",
                self.margin
            ))
        } else if !(self.discount_rate >= 0.0 && self.discount_rate.is_finite()) {
            Some(format!(
                "the discount rate is {}; expected an annual rate ≥ 0",
                self.discount_rate
            ))
        } else if self.periods_per_year == 0 {
            Some("periods per year must be at least 1".to_string())
        } else if self.draws < 20 {
            Some(format!(
                "{} draws cannot give a 90% interval; use at least 20",
                self.draws
            ))
        } else {
            None
        };
        problem.map_or(Ok(()), |message| Err(FitError::Settings(message)))
    }
}

/// One customer's scores: a row of the scores CSV.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerScore {
    /// The customer's id exactly as in the log (surrounding spaces trimmed).
    pub customer_id: String,
    /// x: repeat transaction days in the calibration period.
    pub frequency: u32,
    /// t_x: time of the last transaction day since the first, in time units.
    pub recency: f64,
    /// T: time from the first transaction day to the calibration end, in time units.
    #[serde(rename = "T")]
    pub age: f64,
    /// Probability the customer is still active at the calibration end.
    pub p_alive: f64,
    /// Expected transaction days in the horizon after the calibration end.
    pub expected_purchases: f64,
    /// Gamma-Gamma conditional mean order value.
    pub expected_order_value: f64,
    /// Discounted expected margin of the horizon.
    pub clv: f64,
    /// 5% quantile of the customer's value given the posterior of their traits.
    pub clv_p05: f64,
    /// 95% quantile of it.
    pub clv_p95: f64,
}

/// The scores of every customer of a fit, in the order of the log's customers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    pub settings: ScoreSettings,
    pub customers: Vec<CustomerScore>,
}

/// Sums over the customers of a [`Scores`]: what the base as it stands is expected to do.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreTotals {
    pub customers: usize,
    /// Σ P(alive): the expected number of customers still active.
    pub expected_alive: f64,
    /// Σ expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Σ clv.
    pub clv: f64,
}

/// The settings and totals of a [`Scores`], without the rows: the `scores` block of
/// `ceq fit transactions --json`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoresSummary {
    #[serde(flatten)]
    pub settings: ScoreSettings,
    /// Coverage of `clv_p05`..`clv_p95`: 0.9.
    pub interval: f64,
    #[serde(flatten)]
    pub totals: ScoreTotals,
}

impl Scores {
    pub fn summary(&self) -> ScoresSummary {
        ScoresSummary {
            settings: self.settings,
            interval: ScoreSettings::INTERVAL,
            totals: self.totals(),
        }
    }

    pub fn totals(&self) -> ScoreTotals {
        let mut alive = NeumaierSum::default();
        let mut purchases = NeumaierSum::default();
        let mut clv = NeumaierSum::default();
        for c in &self.customers {
            alive.add(c.p_alive);
            purchases.add(c.expected_purchases);
            clv.add(c.clv);
        }
        ScoreTotals {
            customers: self.customers.len(),
            expected_alive: alive.total(),
            expected_purchases: purchases.total(),
            clv: clv.total(),
        }
    }

    /// The scores as CSV: a header `customer_id,frequency,recency,T,p_alive,
    /// expected_purchases,expected_order_value,clv,clv_p05,clv_p95` and one row per customer,
    /// numbers in the shortest form that reads back to the same value.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        for customer in &self.customers {
            writer.serialize(customer)?;
        }
        if self.customers.is_empty() {
            writer.write_record(CSV_HEADER)?;
        }
        writer.into_inner().map_err(|e| e.into_error().into())
    }
}

/// The columns of [`Scores::to_csv`].
pub const CSV_HEADER: [&str; 10] = [
    "customer_id",
    "frequency",
    "recency",
    "T",
    "p_alive",
    "expected_purchases",
    "expected_order_value",
    "clv",
    "clv_p05",
    "clv_p95",
];

/// P(alive | x, t_x, T) at BG/NBD parameters (r, α, a, b) (see the module docs), computed as
/// 1/(1 + e^l) with l = (r + x)·ln((α + T)/(α + t_x)) + ln(a/(b + x − 1)), which cannot
/// overflow.
pub fn p_alive([r, alpha, a, b]: [f64; 4], frequency: u32, recency: f64, age: f64) -> f64 {
    if frequency == 0 {
        return 1.0;
    }
    let x = f64::from(frequency);
    let log_odds_gone =
        (r + x) * ((alpha + age) / (alpha + recency)).ln() + (a / (b + x - 1.0)).ln();
    1.0 / (1.0 + log_odds_gone.exp())
}

/// The Gamma-Gamma conditional mean order value E[M | x, m_x] at (p, q, γ) (see the module
/// docs), written as p(γ + x·m_x)/(px + q − 1). Needs px + q > 1; at x = 0 that is q > 1, the
/// condition for a finite population mean.
pub fn expected_order_value([p, q, gamma]: [f64; 3], frequency: u32, average: f64) -> f64 {
    let x = f64::from(frequency);
    p * (gamma + x * average) / (p * x + q - 1.0)
}

/// Σ_{k=1..H} δ^k (E[Y(k)] − E[Y(k − 1)]): the discounted expected purchases of the next H
/// periods, and E[Y(H)], of one customer (Fader, Hardie & Lee 2005a eq. 10 at each k).
fn discounted_purchases(
    params: [f64; 4],
    customer: &CustomerSummary,
    horizon: u32,
    delta: f64,
) -> Result<(f64, f64), FitError> {
    let mut total = NeumaierSum::default();
    let mut previous = 0.0;
    let mut factor = 1.0;
    for k in 1..=horizon {
        let cumulative = bgnbd::conditional_expected_purchases(
            params,
            customer.frequency,
            customer.recency,
            customer.age,
            f64::from(k),
        )?;
        factor *= delta;
        total.add(factor * (cumulative - previous));
        previous = cumulative;
    }
    Ok((total.total(), previous))
}

/// A customer's discounted expected purchases over `horizon` periods given alive with rate λ
/// and dropout probability p: δ·(1 − e^(−λp))/p · Σ_{j<H} (δe^(−λp))^j (module docs), with
/// expm1 so that small λp loses no digits; λ per period at p = 0.
fn discounted_purchases_given(rate: f64, dropout: f64, delta: f64, horizon: u32) -> f64 {
    let h = f64::from(horizon);
    let per_period = if dropout > 0.0 {
        -(-rate * dropout).exp_m1() / dropout
    } else {
        rate
    };
    let ln_ratio = delta.ln() - rate * dropout;
    let geometric = if ln_ratio == 0.0 {
        h
    } else {
        (h * ln_ratio).exp_m1() / ln_ratio.exp_m1()
    };
    delta * per_period * geometric
}

/// Posterior draws shared by the customers with x repeat purchases (stream x of the seed):
/// a stratified uniform for "alive", L ~ Gamma(r + x, 1), the dropout p ~ Beta(a, b + x) and
/// G ~ Gamma(q + p_value·x, 1). A customer's λ is L/(α + T) and their Gamma-Gamma scale is
/// G/(γ + x·m_x), so these draws serve every customer with the same x.
struct FrequencyDraws {
    uniform: Vec<f64>,
    rate: Vec<f64>,
    dropout: Vec<f64>,
    scale: Vec<f64>,
}

impl FrequencyDraws {
    fn new(
        frequency: u32,
        bgnbd: [f64; 4],
        gamma_gamma: [f64; 3],
        settings: &ScoreSettings,
    ) -> Self {
        let [r, _, a, b] = bgnbd;
        let [p, q, _] = gamma_gamma;
        let x = f64::from(frequency);
        let mut rng = rng::stream(settings.seed, u64::from(frequency), Stream::Scores);
        let n = settings.draws as usize;
        let mut draws = FrequencyDraws {
            uniform: Vec::with_capacity(n),
            rate: Vec::with_capacity(n),
            dropout: Vec::with_capacity(n),
            scale: Vec::with_capacity(n),
        };
        for k in 0..n {
            // Stratified: one uniform in each of n equal slices, so the share of draws in
            // which the customer is gone is 1 − P(alive) to within 1/n.
            draws
                .uniform
                .push((k as f64 + rng.random::<f64>()) / n as f64);
            draws.rate.push(dist::gamma(&mut rng, r + x, 1.0));
            draws.dropout.push(dist::beta(&mut rng, a, b + x));
            draws.scale.push(dist::gamma(&mut rng, q + p * x, 1.0));
        }
        draws
    }
}

/// A customer's value V (module docs) at each posterior draw, divided by (γ + x·m_x), the one
/// factor in which customers with the same (x, t_x, T) differ: V = margin·p_value·(γ + x·m_x)/G
/// × (discounted purchases given λ = L/(α + T) and p) if alive, else 0.
fn unit_values(
    draws: &FrequencyDraws,
    alpha: f64,
    age: f64,
    alive: f64,
    order_shape: f64,
    settings: &ScoreSettings,
    delta: f64,
) -> Vec<f64> {
    (0..draws.uniform.len())
        .map(|k| {
            if draws.uniform[k] >= alive || draws.scale[k] <= 0.0 {
                return 0.0;
            }
            let rate = draws.rate[k] / (alpha + age);
            settings.margin * order_shape / draws.scale[k]
                * discounted_purchases_given(rate, draws.dropout[k], delta, settings.horizon)
        })
        .collect()
}

/// The 5% and 95% quantiles (Hyndman & Fan definition 7) of `values`, by selection rather
/// than a full sort.
fn interval_of(mut values: Vec<f64>) -> (f64, f64) {
    let tail = (1.0 - ScoreSettings::INTERVAL) / 2.0;
    let n = values.len();
    let mut quantile = |q: f64| {
        let h = (n - 1) as f64 * q;
        let lo = h.floor() as usize;
        let (_, low, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
        let low = *low;
        let high = above.iter().copied().min_by(f64::total_cmp).unwrap_or(low);
        low + (h - lo as f64) * (high - low)
    };
    (quantile(tail), quantile(1.0 - tail))
}

/// Scores every customer in `customers` (ids looked up in `ids` by
/// [`CustomerSummary::customer`]) at BG/NBD parameters (r, α, a, b) and Gamma-Gamma (p, q, γ).
///
/// Errors: settings out of range, q ≤ 1 (the population mean order value, which customers
/// without repeat purchases get, is infinite), a = 1 (the conditional expectation is 0/0),
/// or an expectation that is not finite.
pub fn score(
    customers: &[CustomerSummary],
    ids: &[String],
    bgnbd_params: [f64; 4],
    gamma_gamma_params: [f64; 3],
    settings: &ScoreSettings,
) -> Result<Scores, FitError> {
    settings.check()?;
    let [p, q, gamma] = gamma_gamma_params;
    if !(q > 1.0 && p > 0.0 && gamma > 0.0) {
        return Err(FitError::NotEnoughData(format!(
            "the Gamma-Gamma fit has q = {q} ≤ 1, so the mean order value is infinite and \
             customers without repeat purchases cannot be valued; look for outliers in the \
             amounts"
        )));
    }
    let delta = settings.discount_factor();
    // Groups of customers with the same (x, t_x, T).
    let mut groups: HashMap<(u32, u64, u64), usize> = HashMap::new();
    let mut first_of_group: Vec<usize> = Vec::new();
    let mut group_of: Vec<usize> = Vec::with_capacity(customers.len());
    for (i, c) in customers.iter().enumerate() {
        let key = (c.frequency, c.recency.to_bits(), c.age.to_bits());
        let group = *groups.entry(key).or_insert_with(|| {
            first_of_group.push(i);
            first_of_group.len() - 1
        });
        group_of.push(group);
    }
    let mut frequencies: Vec<u32> = first_of_group
        .iter()
        .map(|&i| customers[i].frequency)
        .collect();
    frequencies.sort_unstable();
    frequencies.dedup();
    let draws: HashMap<u32, FrequencyDraws> = frequencies
        .par_iter()
        .map(|&x| {
            (
                x,
                FrequencyDraws::new(x, bgnbd_params, gamma_gamma_params, settings),
            )
        })
        .collect();
    let alpha = bgnbd_params[1];
    // Per group: P(alive), E[Y(H)], the discounted purchases and the interval of V/(γ + x·m_x).
    type GroupScores = (f64, f64, f64, (f64, f64));
    let per_group: Vec<GroupScores> = first_of_group
        .par_iter()
        .map(|&i| {
            let c = &customers[i];
            let alive = p_alive(bgnbd_params, c.frequency, c.recency, c.age);
            let (discounted, expected) =
                discounted_purchases(bgnbd_params, c, settings.horizon, delta)?;
            if !(alive.is_finite() && discounted.is_finite() && expected.is_finite()) {
                return Err(FitError::NotEnoughData(format!(
                    "the expected purchases of a customer with {} repeat purchases, recency \
                     {} and age {} are not finite at the fitted parameters",
                    c.frequency, c.recency, c.age
                )));
            }
            let unit = match draws.get(&c.frequency) {
                Some(d) => interval_of(unit_values(d, alpha, c.age, alive, p, settings, delta)),
                None => (0.0, 0.0),
            };
            Ok((alive, expected, discounted, unit))
        })
        .collect::<Result<_, _>>()?;
    let scores = customers
        .iter()
        .zip(&group_of)
        .map(|(c, &group)| {
            let (alive, expected, discounted, (low, high)) = per_group[group];
            // Refunds larger than purchases: no Gamma density; scored as spend 0.
            let average = c.repeat_average().unwrap_or(0.0).max(0.0);
            let order_value = expected_order_value(gamma_gamma_params, c.frequency, average);
            let scale = gamma + f64::from(c.frequency) * average;
            CustomerScore {
                customer_id: ids.get(c.customer as usize).cloned().unwrap_or_default(),
                frequency: c.frequency,
                recency: c.recency,
                age: c.age,
                p_alive: alive,
                expected_purchases: expected,
                expected_order_value: order_value,
                clv: settings.margin * order_value * discounted,
                clv_p05: scale * low,
                clv_p95: scale * high,
            }
        })
        .collect();
    Ok(Scores {
        settings: *settings,
        customers: scores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CDNOW: [f64; 4] = [0.243, 4.414, 0.793, 2.426];
    const SPEND: [f64; 3] = [6.25, 3.74, 15.44];

    fn customer(frequency: u32, recency: f64, age: f64, repeat_amount: f64) -> CustomerSummary {
        CustomerSummary {
            customer: 0,
            frequency,
            recency,
            age,
            first_amount: 10.0,
            repeat_amount,
            holdout_purchases: 0,
        }
    }

    #[test]
    fn p_alive_is_one_without_repeats_and_falls_with_time_since_the_last() {
        assert_eq!(p_alive(CDNOW, 0, 0.0, 30.0), 1.0);
        let recent = p_alive(CDNOW, 2, 30.0, 31.0);
        let lapsed = p_alive(CDNOW, 2, 5.0, 31.0);
        assert!(
            recent > lapsed && lapsed > 0.0 && recent < 1.0,
            "{recent} {lapsed}"
        );
        // The direct formula, 1/(1 + a/(b + x − 1)·((α + T)/(α + t_x))^(r + x)).
        let [r, alpha, a, b] = CDNOW;
        let direct = 1.0 / (1.0 + a / (b + 1.0) * ((alpha + 31.0) / (alpha + 5.0)).powf(r + 2.0));
        assert!((lapsed - direct).abs() < 1e-15);
    }

    #[test]
    fn order_value_shrinks_the_customer_average_towards_the_population_mean() {
        let [p, q, gamma] = SPEND;
        let population = p * gamma / (q - 1.0);
        assert!((expected_order_value(SPEND, 0, 0.0) - population).abs() < 1e-12);
        let weight = p * 3.0 / (p * 3.0 + q - 1.0);
        let expected = (1.0 - weight) * population + weight * 50.0;
        assert!((expected_order_value(SPEND, 3, 50.0) - expected).abs() < 1e-12);
        // A repeat buyer who spent nothing is pulled all the way from the population mean by
        // the weight alone.
        assert!((expected_order_value(SPEND, 3, 0.0) - (1.0 - weight) * population).abs() < 1e-12);
    }

    #[test]
    fn geometric_sum_matches_the_period_by_period_sum() {
        let (rate, dropout, delta, horizon) = (0.4, 0.2, 0.998_f64, 52u32);
        let mut direct = 0.0;
        for k in 1..=horizon {
            let survive = |t: f64| (-rate * dropout * t).exp();
            direct += delta.powi(k as i32) * (survive(f64::from(k - 1)) - survive(f64::from(k)))
                / dropout;
        }
        let closed = discounted_purchases_given(rate, dropout, delta, horizon);
        assert!(
            (closed - direct).abs() < 1e-12 * direct,
            "{closed} {direct}"
        );
        // No dropout and no discounting: λ purchases a period.
        assert!((discounted_purchases_given(0.4, 0.0, 1.0, 10) - 4.0).abs() < 1e-12);
    }

    #[test]
    fn clv_without_discounting_is_margin_times_order_value_times_purchases() {
        let customers = [
            customer(2, 30.43, 38.86, 2.0 * 22.345),
            customer(0, 0.0, 20.0, 0.0),
        ];
        let ids = vec!["a".to_string(), "b".to_string()];
        let mut settings = ScoreSettings::new(39, 52);
        settings.discount_rate = 0.0;
        settings.margin = 0.3;
        settings.draws = 200;
        let scores = score(&customers, &ids, CDNOW, SPEND, &settings).unwrap();
        for s in &scores.customers {
            let expected = 0.3 * s.expected_order_value * s.expected_purchases;
            assert!((s.clv - expected).abs() < 1e-12 * expected, "{s:?}");
            assert!(s.clv_p05 <= s.clv && s.clv <= s.clv_p95, "{s:?}");
        }
        // Fader, Hardie & Lee's worked example: E[Y(39) | 2, 30.43, 38.86] = 1.226.
        assert!((scores.customers[0].expected_purchases - 1.226).abs() < 0.002);
    }

    #[test]
    fn the_mean_of_the_interval_draws_is_the_clv() {
        // The law of total expectation: the posterior values the interval is taken from
        // average to the analytic clv, within 4 Monte Carlo standard errors, for a repeat
        // buyer and a one-time buyer.
        let settings = ScoreSettings {
            draws: 40_000,
            ..ScoreSettings::new(52, 52)
        };
        let delta = settings.discount_factor();
        for c in [
            customer(3, 20.0, 35.0, 3.0 * 40.0),
            customer(0, 0.0, 30.0, 0.0),
        ] {
            let draws = FrequencyDraws::new(c.frequency, CDNOW, SPEND, &settings);
            let alive = p_alive(CDNOW, c.frequency, c.recency, c.age);
            let scale = SPEND[2] + c.repeat_amount;
            let values: Vec<f64> =
                unit_values(&draws, CDNOW[1], c.age, alive, SPEND[0], &settings, delta)
                    .into_iter()
                    .map(|v| v * scale)
                    .collect();
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let scores = score(&[c], &["c".to_string()], CDNOW, SPEND, &settings).unwrap();
            let clv = scores.customers[0].clv;
            let se = sd / n.sqrt();
            assert!(
                (mean - clv).abs() < 4.0 * se,
                "x = {}: simulated {mean} ± {se}, analytic {clv}",
                c.frequency
            );
            assert!(se < 0.03 * clv, "the check is sharp enough: {se} vs {clv}");
            // And the interval reported is that of these values.
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let low = crate::stats::describe::quantile_sorted(&sorted, 0.05);
            let high = crate::stats::describe::quantile_sorted(&sorted, 0.95);
            let got = &scores.customers[0];
            assert!(
                (got.clv_p05 - low).abs() <= 1e-9 * high,
                "{} vs {low}",
                got.clv_p05
            );
            assert!(
                (got.clv_p95 - high).abs() <= 1e-9 * high,
                "{} vs {high}",
                got.clv_p95
            );
        }
    }

    #[test]
    fn identical_histories_share_their_scores_and_the_result_is_reproducible() {
        let customers = [
            customer(0, 0.0, 20.0, 0.0),
            customer(1, 5.0, 20.0, 30.0),
            customer(0, 0.0, 20.0, 0.0),
        ];
        let ids: Vec<String> = ["x", "y", "z"].iter().map(|s| s.to_string()).collect();
        let mut customers = customers;
        customers[1].customer = 1;
        customers[2].customer = 2;
        let settings = ScoreSettings::new(26, 52);
        let first = score(&customers, &ids, CDNOW, SPEND, &settings).unwrap();
        let again = score(&customers, &ids, CDNOW, SPEND, &settings).unwrap();
        assert_eq!(first, again);
        let (a, c) = (&first.customers[0], &first.customers[2]);
        assert_eq!((a.clv, a.clv_p05, a.clv_p95), (c.clv, c.clv_p05, c.clv_p95));
        assert_eq!(
            first
                .customers
                .iter()
                .map(|s| s.customer_id.as_str())
                .collect::<Vec<_>>(),
            ["x", "y", "z"]
        );
        // A never-again buyer is alive for sure, so even the 5% quantile is positive.
        assert!(a.clv_p05 > 0.0);
    }

    #[test]
    fn refunds_larger_than_purchases_score_as_no_spend() {
        let refunder = customer(2, 10.0, 30.0, -50.0);
        let nothing = customer(2, 10.0, 30.0, 0.0);
        let ids = vec!["r".to_string()];
        let settings = ScoreSettings::new(26, 52);
        let a = score(&[refunder], &ids, CDNOW, SPEND, &settings).unwrap();
        let b = score(&[nothing], &ids, CDNOW, SPEND, &settings).unwrap();
        assert_eq!(a, b);
        let s = &a.customers[0];
        assert!(
            s.expected_order_value > 0.0 && s.clv_p05 <= s.clv_p95,
            "{s:?}"
        );
    }

    #[test]
    fn bad_settings_and_an_infinite_mean_order_value_are_errors() {
        let customers = [customer(0, 0.0, 20.0, 0.0)];
        let ids = vec!["a".to_string()];
        let mut settings = ScoreSettings::new(26, 52);
        settings.margin = 1.5;
        let error = score(&customers, &ids, CDNOW, SPEND, &settings).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the margin is 1.5; expected a share of order value from 0 to 1"
        );
        let error = score(
            &customers,
            &ids,
            CDNOW,
            [6.0, 0.9, 15.0],
            &ScoreSettings::new(26, 52),
        )
        .unwrap_err();
        assert!(error.to_string().contains("q = 0.9 ≤ 1"), "{error}");
    }

    #[test]
    fn csv_has_the_documented_header_and_quotes_awkward_ids() {
        let mut c = customer(0, 0.0, 20.0, 0.0);
        c.customer = 0;
        let ids = vec!["Smith, J. \"Jo\"".to_string()];
        let scores = score(&[c], &ids, CDNOW, SPEND, &ScoreSettings::new(4, 52)).unwrap();
        let text = String::from_utf8(scores.to_csv().unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), CSV_HEADER.join(","));
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("\"Smith, J. \"\"Jo\"\"\",0,0.0,20.0,1.0,")
        );
        let empty = Scores {
            settings: ScoreSettings::new(4, 52),
            customers: Vec::new(),
        };
        let text = String::from_utf8(empty.to_csv().unwrap()).unwrap();
        assert_eq!(text.trim_end(), CSV_HEADER.join(","));
    }
}
