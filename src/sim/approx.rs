//! How much the cohort engine approximates, measured rather than feared (issue 12).
//!
//! The cohort engine replaces a cohort's Beta churn propensity θ by the K nodes of a Gauss rule.
//! A customer's survival over t periods with hazard multipliers h_s, Π_s (1 − θ·h_s), is a
//! polynomial of degree t in θ, integrated exactly when t ≤ 2K − 1 and θ·h_s ≤ 1. Outside that
//! (fewer strata than ⌈(H + 1)/2⌉, or hazards that cap θ·h at one) the strata are an
//! approximation, and this module measures it against the closed-form survival of the Beta
//! mixture:
//!
//! - h = 1: S(t) = E[(1 − θ)^t] = B(a, b + t)/B(a, b) (Fader & Hardie 2007, eq. 7);
//! - h < 1: 1 − hθ = (1 − h) + h(1 − θ), so E[(1 − hθ)^t] = Σ_j C(t, j) h^j (1 − h)^(t−j) S(j), a
//!   sum of positive terms (no cancellation);
//! - h > 1: E[(1 − hθ)₊^t] = ∫₀^{1/h} (1 − hθ)^t θ^(a−1)(1 − θ)^(b−1) dθ / B(a, b); with
//!   u = hθ this is h^(−a)·B(a, t + 1)/B(a, b)·E_{u∼Beta(a, t+1)}[(1 − u/h)^(b−1)], whose
//!   integrand is analytic on [0, 1] and is integrated by a 40-node Gauss–Jacobi rule.
//!
//! The error is measured on constant hazard paths at the lowest, unit and highest hazard
//! multiplier the scenario plausibly reaches ([`HazardRange`]), for every t ≤ H, and reported as
//! the relative error of the expected customer-periods Σ_t S(t), which every cash flow of the
//! cohort is proportional to when its value per customer-period is steady.

use crate::model::closed_form::{ln_beta, ln_gamma};
use crate::model::quadrature::QuadratureRule;
use crate::scenario::Scenario;

/// Survival errors below this (a probability per customer) count as exact: they are below any
/// Monte Carlo error a study can reach and near the rounding of the quadrature itself.
pub const EXACT_TOLERANCE: f64 = 1e-9;

/// Most strata per cohort dimension.
pub const MAX_STRATA: usize = 256;

/// Strata for exact survival over a horizon of H periods: K = ⌈(H + 1)/2⌉, so that
/// 2K − 1 ≥ H covers the survival through the last period's churn (the end count).
pub fn exact_strata(periods: u32) -> usize {
    (periods as usize + 1).div_ceil(2).max(1)
}

/// The range of the churn hazard multiplier h_{c,t} (SPEC §3 step 5) a scenario plausibly
/// reaches for one cohort: churn shocks four standard deviations either way, the retention
/// and development programmes' full churn reductions, and every driver at full lift in
/// whichever direction its retention effect moves churn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HazardRange {
    pub low: f64,
    pub high: f64,
}

impl HazardRange {
    pub fn of(scenario: &Scenario, cohort: usize) -> Self {
        let shock = scenario.shocks.churn.map_or(0.0, |s| 4.0 * s.sd);
        let sensitivity = scenario.cohorts[cohort].sensitivity;
        let (mut up, mut down) = (0.0, 0.0);
        for (d, params) in scenario.drivers.iter().enumerate() {
            if let Some(p) = params {
                // h multiplies exp(−σ·e^retention·L), L in [0, max_lift].
                let exponent = -sensitivity[d] * p.effect.retention * p.max_lift;
                if exponent > 0.0 {
                    up += exponent;
                } else {
                    down += exponent;
                }
            }
        }
        let programme = scenario
            .retention_program
            .as_ref()
            .map_or(1.0, |p| (1.0 - p.max_churn_reduction).max(0.0))
            * scenario
                .development_program
                .as_ref()
                .map_or(1.0, |p| (1.0 - p.max_churn_reduction).max(0.0));
        HazardRange {
            low: programme * (down - shock).exp(),
            high: (up + shock).exp(),
        }
    }

    /// The constant hazard paths the error is measured on.
    fn probes(self) -> Vec<f64> {
        let mut probes = vec![1.0];
        for h in [self.low, self.high] {
            if h > 0.0 && (h - 1.0).abs() > 1e-12 {
                probes.push(h);
            }
        }
        probes
    }
}

/// E[(1 − hθ)₊^t] for θ ~ Beta(a, b) and t = 0..=periods (see the module docs for the three
/// closed forms). Remembered per thread: `auto` measures every study it chooses an engine for,
/// and an optimization makes hundreds.
pub fn beta_survival_curve(a: f64, b: f64, h: f64, periods: u32) -> Vec<f64> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    type Key = (u64, u64, u64, u32);
    thread_local! {
        static CURVES: RefCell<HashMap<Key, Vec<f64>>> = RefCell::new(HashMap::new());
    }
    let key = (a.to_bits(), b.to_bits(), h.to_bits(), periods);
    if let Some(found) = CURVES.with(|c| c.borrow().get(&key).cloned()) {
        return found;
    }
    let curve = compute_beta_survival_curve(a, b, h, periods);
    CURVES.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 1024 {
            c.clear();
        }
        c.insert(key, curve.clone());
    });
    curve
}

fn compute_beta_survival_curve(a: f64, b: f64, h: f64, periods: u32) -> Vec<f64> {
    let n = periods as usize;
    // S(t) = Π_{s<t} (b + s)/(a + b + s).
    let mut unit = Vec::with_capacity(n + 1);
    let mut s = 1.0;
    for t in 0..=n {
        unit.push(s);
        s *= (b + t as f64) / (a + b + t as f64);
    }
    if (h - 1.0).abs() <= 1e-12 {
        return unit;
    }
    if h < 1.0 {
        let (ln_h, ln_1h) = (h.ln(), (-h).ln_1p());
        return (0..=n)
            .map(|t| {
                let tf = t as f64;
                (0..=t)
                    .map(|j| {
                        let jf = j as f64;
                        let ln_choose =
                            ln_gamma(tf + 1.0) - ln_gamma(jf + 1.0) - ln_gamma(tf - jf + 1.0);
                        (ln_choose + jf * ln_h + (tf - jf) * ln_1h).exp() * unit[j]
                    })
                    .sum()
            })
            .collect();
    }
    (0..=n)
        .map(|t| {
            if t == 0 {
                return 1.0;
            }
            let rule = QuadratureRule::beta(a, t as f64 + 1.0, 40);
            let inner = rule.expect(|u| (1.0 - u / h).powf(b - 1.0));
            (ln_beta(a, t as f64 + 1.0) - ln_beta(a, b) - a * h.ln()).exp() * inner
        })
        .collect()
}

/// Σ_j w_j (1 − h·θ_j)₊^t for t = 0..=periods: the strata's survival.
pub fn rule_survival_curve(rule: &QuadratureRule, h: f64, periods: u32) -> Vec<f64> {
    let mut stay: Vec<f64> = rule.nodes.iter().map(|&x| (1.0 - h * x).max(0.0)).collect();
    let mut power: Vec<f64> = vec![1.0; rule.nodes.len()];
    let mut curve = Vec::with_capacity(periods as usize + 1);
    for _ in 0..=periods {
        curve.push(power.iter().zip(&rule.weights).map(|(p, w)| p * w).sum());
        for (p, s) in power.iter_mut().zip(stay.iter_mut()) {
            *p *= *s;
        }
    }
    curve
}

/// What a rule's error is on one constant hazard path.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SurvivalError {
    /// max_t |strata − exact| of the survival probability, t ≤ H.
    pub max_absolute: f64,
    /// Σ_{t=1..H} |strata − exact| / Σ_{t=0..H−1} exact: the relative error of the expected
    /// customer-periods.
    pub customer_periods: f64,
}

fn survival_error(strata: &[f64], exact: &[f64]) -> SurvivalError {
    let n = exact.len();
    let diff: Vec<f64> = strata
        .iter()
        .zip(exact)
        .map(|(s, e)| (s - e).abs())
        .collect();
    let lived: f64 = exact[..n.saturating_sub(1).max(1)].iter().sum();
    SurvivalError {
        max_absolute: diff.iter().cloned().fold(0.0, f64::max),
        customer_periods: diff[1.min(n)..].iter().sum::<f64>() / lived.max(f64::MIN_POSITIVE),
    }
}

/// A cohort's churn strata with the error they make.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnStrata {
    pub rule: QuadratureRule,
    /// Largest error on hazard paths that keep θ·h ≤ 1 (the polynomial part).
    pub uncapped: SurvivalError,
    /// Largest error over every probe, including hazards above one (the cap at one).
    pub overall: SurvivalError,
    /// The largest hazard multiplier probed.
    pub hazard_high: f64,
}

impl ChurnStrata {
    /// Whether the strata count as exact for the scenario (errors below [`EXACT_TOLERANCE`]).
    pub fn is_exact(&self) -> bool {
        self.overall.max_absolute <= EXACT_TOLERANCE
    }
}

/// The strata for θ ~ Beta(a, b) over `periods` periods: the fewest K (at most
/// [`MAX_STRATA`], never more than the ⌈(T + 1)/2⌉ that make it exact) whose survival
/// Σ_j w_j (1 − θ_j)^t is within [`EXACT_TOLERANCE`] of the closed form B(a, b + t)/B(a, b) at
/// every t ≤ T, where T = ⌈H·max(1, h_high)⌉: a hazard multiplier h > 1 shortens lifetimes the
/// way a longer horizon does, so the rule is asked to hold over the longer one. Cheap (O(K·T)
/// per candidate K, about a dozen candidates), so it is redone per run when `[uncertainty]`
/// redraws (a, b); remembered per thread otherwise.
pub fn churn_rule(a: f64, b: f64, periods: u32, hazard_high: f64) -> QuadratureRule {
    churn_rule_within(a, b, periods, hazard_high, EXACT_TOLERANCE)
}

/// [`churn_rule`] with survival held within `tolerance` instead of [`EXACT_TOLERANCE`]: what a
/// looser rule would save (issue 12 item 3, `examples/strata_tolerance.rs`). The engine's
/// strata and `auto`'s exactness rule use [`EXACT_TOLERANCE`] only.
pub fn churn_rule_within(
    a: f64,
    b: f64,
    periods: u32,
    hazard_high: f64,
    tolerance: f64,
) -> QuadratureRule {
    use std::cell::RefCell;
    use std::collections::HashMap;
    type Key = (u64, u64, u32, u64, u64);
    thread_local! {
        static CHOSEN: RefCell<HashMap<Key, QuadratureRule>> = RefCell::new(HashMap::new());
    }
    let key = (
        a.to_bits(),
        b.to_bits(),
        periods,
        hazard_high.to_bits(),
        tolerance.to_bits(),
    );
    if let Some(found) = CHOSEN.with(|c| c.borrow().get(&key).cloned()) {
        return found;
    }
    let chosen = choose_churn_rule(a, b, periods, hazard_high, tolerance);
    CHOSEN.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 4096 {
            c.clear();
        }
        c.insert(key, chosen.clone());
    });
    chosen
}

fn choose_churn_rule(
    a: f64,
    b: f64,
    periods: u32,
    hazard_high: f64,
    tolerance: f64,
) -> QuadratureRule {
    let horizon = (f64::from(periods) * hazard_high.max(1.0))
        .ceil()
        .min(f64::from(u32::MAX / 4)) as u32;
    let exact = beta_survival_curve(a, b, 1.0, horizon);
    let ceiling = exact_strata(horizon).min(MAX_STRATA);
    let passes = |k: usize| {
        let rule = QuadratureRule::beta(a, b, k);
        let strata = rule_survival_curve(&rule, 1.0, horizon);
        let ok = strata
            .iter()
            .zip(&exact)
            .all(|(s, e)| (s - e).abs() <= tolerance);
        (ok, rule)
    };
    // Doubling, then bisection, for the fewest strata that pass (the error falls with K).
    let mut low = 0usize; // largest K known to fail
    let mut k = 1usize;
    let (mut best, mut rule) = loop {
        let (ok, rule) = passes(k);
        if ok {
            break (k, rule);
        }
        low = k;
        if k >= ceiling {
            return rule;
        }
        k = (2 * k).min(ceiling);
    };
    while best - low > 1 {
        let mid = (low + best) / 2;
        let (ok, candidate) = passes(mid);
        if ok {
            best = mid;
            rule = candidate;
        } else {
            low = mid;
        }
    }
    rule
}

/// The strata [`churn_rule`] chooses for θ ~ Beta(a, b), with their error measured on every
/// probe of `range` (hazards above one included) against the closed forms of the module docs.
pub fn churn_strata(a: f64, b: f64, periods: u32, range: HazardRange) -> ChurnStrata {
    let rule = churn_rule(a, b, periods, range.high);
    let errors: Vec<(f64, SurvivalError)> = range
        .probes()
        .into_iter()
        .map(|h| {
            let exact = beta_survival_curve(a, b, h, periods);
            (
                h,
                survival_error(&rule_survival_curve(&rule, h, periods), &exact),
            )
        })
        .collect();
    let worst = |capped: bool| {
        errors.iter().filter(|(h, _)| capped || *h <= 1.0).fold(
            SurvivalError::default(),
            |m, (_, e)| SurvivalError {
                max_absolute: m.max_absolute.max(e.max_absolute),
                customer_periods: m.customer_periods.max(e.customer_periods),
            },
        )
    };
    ChurnStrata {
        uncapped: worst(false),
        overall: worst(true),
        hazard_high: range.high,
        rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::closed_form::sbg_survival;

    #[test]
    fn closed_form_curves_agree_with_an_exact_rule() {
        // A rule with ⌈(H + 1)/2⌉ nodes integrates (1 − hθ)^t exactly for t ≤ H while hθ ≤ 1.
        for (a, b) in [(0.704, 1.182), (3.0, 40.0), (0.2, 1.8)] {
            let rule = QuadratureRule::beta(a, b, 11);
            for h in [0.35, 0.8, 1.0] {
                let exact = beta_survival_curve(a, b, h, 20);
                let strata = rule_survival_curve(&rule, h, 20);
                for t in 0..=20 {
                    assert!(
                        (exact[t] - strata[t]).abs() < 1e-11,
                        "a {a} b {b} h {h} t {t}"
                    );
                }
            }
            for t in 0..=20u32 {
                let s = beta_survival_curve(a, b, 1.0, 20)[t as usize];
                assert!((s - sbg_survival(a, b, t)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn capped_survival_matches_direct_integration() {
        // E[(1 − hθ)₊^t] by a fine midpoint sum of the Beta density on [0, 1/h].
        let (a, b, h) = (1.5, 2.5, 1.6);
        let exact = beta_survival_curve(a, b, h, 6);
        let n = 2_000_000;
        let upper = 1.0 / h;
        let ln_norm = -ln_beta(a, b);
        for (t, &expected) in exact.iter().enumerate().skip(1) {
            let mut sum = 0.0;
            for i in 0..n {
                let x = (i as f64 + 0.5) / n as f64 * upper;
                let density = (ln_norm + (a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p()).exp();
                sum += (1.0 - h * x).powi(t as i32) * density;
            }
            sum *= upper / n as f64;
            assert!((sum - expected).abs() < 1e-7, "t {t}: {sum} vs {expected}");
        }
    }

    #[test]
    fn fewer_strata_where_the_survival_curve_allows() {
        let unit = HazardRange {
            low: 1.0,
            high: 1.0,
        };
        // A concentrated Beta needs far fewer than ⌈(H + 1)/2⌉ = 61 strata for 120 periods.
        let concentrated = churn_strata(0.2, 39.8, 120, unit);
        assert!(concentrated.rule.len() < 20, "{}", concentrated.rule.len());
        assert!(concentrated.is_exact());
        // The error at the chosen K is within tolerance at every t, against the closed form.
        let exact = beta_survival_curve(0.2, 39.8, 1.0, 120);
        let strata = rule_survival_curve(&concentrated.rule, 1.0, 120);
        assert!(
            exact
                .iter()
                .zip(&strata)
                .all(|(e, s)| (e - s).abs() <= EXACT_TOLERANCE)
        );
        // Beyond 2·MAX_STRATA − 1 periods the error is measured, not assumed.
        let long = churn_strata(0.704, 1.182, 600, unit);
        assert!(long.rule.len() <= MAX_STRATA);
        assert!(long.overall.max_absolute < 1e-3, "{:?}", long.overall);
    }

    #[test]
    fn hazards_above_one_are_measured() {
        let range = HazardRange {
            low: 1.0,
            high: 3.0,
        };
        let strata = churn_strata(0.704, 1.182, 9, range);
        // Exact while θ·h ≤ 1 ...
        assert!(strata.uncapped.max_absolute < 1e-10);
        // ... but the cap at one is an approximation of a measurable size.
        assert!(strata.overall.max_absolute > 1e-4, "{:?}", strata.overall);
        assert!(!strata.is_exact());
    }
}
// ---------------------------------------------------------------------------------------------
// Order-value scales
// ---------------------------------------------------------------------------------------------

/// Strata for a customer's own order-value scale: the first 2K − 1 = 5 moments of the scale's
/// law are exact (the mean and variance of every customer's revenue need two).
pub const VALUE_STRATA: usize = 3;

/// The strata of a customer's own order-value scale (SPEC §2): per node the probability and the
/// Gamma scale of one order's value, with the shape of one order's value.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueStrata {
    /// Gamma shape of one order's value (the sum of n orders has shape n·shape).
    pub order_shape: f64,
    /// Gamma scale of one order's value at each node.
    pub scales: Vec<f64>,
    pub weights: Vec<f64>,
}

impl ValueStrata {
    /// `customer_cv` form: the customer's mean v_i ~ Gamma(1/u², v̄·u²) at the nodes of its
    /// generalized Gauss–Laguerre rule; each order ~ Gamma(1/c², v_i·c²).
    pub fn heterogeneous_gamma(mean: f64, cv: f64, customer_cv: f64) -> Self {
        let u2 = customer_cv * customer_cv;
        let rule = QuadratureRule::gamma_cached(1.0 / u2, mean * u2, VALUE_STRATA);
        ValueStrata {
            order_shape: 1.0 / (cv * cv),
            scales: rule.nodes.iter().map(|v| v * cv * cv).collect(),
            weights: rule.weights,
        }
    }

    /// Gamma-Gamma (Fader, Hardie & Lee 2005b): ν_i ~ Gamma(shape q, rate γ), each order ~
    /// Gamma(p, rate ν_i), so one order's scale is s_i = 1/ν_i, whose moments E[s^m] =
    /// γ^m Γ(q − m)/Γ(q) exist only for m < q. The rule is built for the tilted law
    /// ν ~ Gamma(q − M, rate γ), M = 2 when q > 2 (else 1), and reweighted by ν^M:
    /// E[f(ν)] = E[ν^(−M)]·E_tilted[ν^M f(ν)], so Σ_l w_l s_l^m is exact for
    /// m = M − 2K + 1, …, M — the mean order value pγ/(q − 1) always, and the variance of a
    /// customer's revenue whenever it is finite.
    pub fn gamma_gamma(p: f64, q: f64, gamma: f64) -> Self {
        let tilt = if q > 2.0 { 2 } else { 1 };
        let rule = QuadratureRule::gamma_cached(q - f64::from(tilt), 1.0 / gamma, VALUE_STRATA);
        let raw: Vec<f64> = rule
            .nodes
            .iter()
            .zip(&rule.weights)
            .map(|(nu, w)| w * nu.powi(tilt))
            .collect();
        let total: f64 = raw.iter().sum();
        ValueStrata {
            order_shape: p,
            scales: rule.nodes.iter().map(|nu| 1.0 / nu).collect(),
            weights: raw.iter().map(|w| w / total).collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// BG/NBD dropout
// ---------------------------------------------------------------------------------------------

/// The range of the purchase multiplier D_t·Π_d exp(σ·e^purchases·L) (SPEC §3 step 2) a
/// scenario plausibly reaches for one cohort: a demand shock four standard deviations up and
/// every driver at full lift in whichever direction raises purchases.
pub fn purchase_multiplier_high(scenario: &Scenario, cohort: usize) -> f64 {
    let shock = scenario.shocks.demand.map_or(0.0, |s| 4.0 * s.sd);
    let sensitivity = scenario.cohorts[cohort].sensitivity;
    let drivers: f64 = scenario
        .drivers
        .iter()
        .enumerate()
        .filter_map(|(d, p)| {
            p.as_ref()
                .map(|p| (sensitivity[d] * p.effect.purchases * p.max_lift).max(0.0))
        })
        .sum();
    (shock + drivers).exp()
}

/// What a BG/NBD customer wants to buy in a period before dropout (SPEC §2 `purchases`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PurchaseLaw {
    /// Exactly n orders.
    Fixed(f64),
    /// Poisson(μ) orders.
    Poisson(f64),
    /// λ ~ Gamma(shape r, rate α), Poisson(λ) orders.
    Nbd { r: f64, alpha: f64 },
}

impl PurchaseLaw {
    /// P(still active after `exposure` periods | p) with the dropout probability per order
    /// capped at one, λ integrated out: (1 − q)^(nτ), e^(−μqτ), or (α/(α + qτ))^r for
    /// q = min(1, p·h) (Fader, Hardie & Lee 2005a: with Poisson purchases at rate λ and
    /// dropout p after each, survival to τ is e^(−λpτ), and E_λ e^(−λx) = (α/(α + x))^r).
    fn survival(self, q: f64, exposure: f64) -> f64 {
        match self {
            PurchaseLaw::Fixed(n) => (1.0 - q).max(0.0).powf(n * exposure),
            PurchaseLaw::Poisson(mu) => (-mu * q * exposure).exp(),
            PurchaseLaw::Nbd { r, alpha } => (alpha / (alpha + q * exposure)).powf(r),
        }
    }

    /// E[orders in (0, τ] | p], λ integrated out, without caps: the orders until the first
    /// dropout, (1 − e^(−λpτ))/p per customer (Fader, Hardie & Lee 2005a, eq. 7 before mixing
    /// over p). `None` for fixed purchases.
    fn expected_orders(self, p: f64, exposure: f64) -> Option<f64> {
        let p = p.max(1e-300);
        match self {
            PurchaseLaw::Fixed(_) => None,
            PurchaseLaw::Poisson(mu) => Some(-(-mu * p * exposure).exp_m1() / p),
            PurchaseLaw::Nbd { r, alpha } => {
                Some(-((r * (alpha / (alpha + p * exposure)).ln()).exp_m1()) / p)
            }
        }
    }
}

/// A BG/NBD cohort's strata: dropout p at the K_p Gauss–Jacobi nodes of Beta(a, b), and for
/// each p-node its own generalized Gauss–Laguerre rule for λ ~ Gamma(r, α) (a ragged product
/// rule), with the error measured against the closed forms.
#[derive(Debug, Clone, PartialEq)]
pub struct DropoutStrata {
    /// (dropout probability p, purchase rate λ, probability) of every stratum.
    pub strata: Vec<(f64, f64, f64)>,
    /// K_p, the dropout nodes.
    pub dropout_nodes: usize,
    /// max over τ ≤ H and the hazard probes of |strata − exact| of the survival probability.
    pub survival: SurvivalError,
    /// max over τ ≤ H of the relative error of the expected purchases E[X(τ)].
    pub expected_purchases: f64,
}

/// A reference rule for one-dimensional integrals over p ~ Beta(a, b) of smooth integrands.
const REFERENCE_NODES: usize = 200;

/// Sizes tried for one p-node's λ rule, fewest first.
const RATE_LADDER: [usize; 16] = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256];

/// Sizes tried for the p rule.
const DROPOUT_LADDER: [usize; 14] = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128];

/// The strata's survival Σ w (strata with q = min(1, p·h)) after `exposure` periods.
fn strata_survival(strata: &[(f64, f64, f64)], law: PurchaseLaw, h: f64, exposure: f64) -> f64 {
    strata
        .iter()
        .map(|&(p, lambda, w)| {
            let q = (p * h).min(1.0);
            w * match law {
                PurchaseLaw::Nbd { .. } => (-lambda * q * exposure).exp(),
                _ => law.survival(q, exposure),
            }
        })
        .sum()
}

fn strata_expected_orders(
    strata: &[(f64, f64, f64)],
    law: PurchaseLaw,
    exposure: f64,
) -> Option<f64> {
    let mut total = 0.0;
    for &(p, lambda, w) in strata {
        total += w * match law {
            PurchaseLaw::Nbd { .. } => PurchaseLaw::Poisson(lambda).expected_orders(p, exposure)?,
            _ => law.expected_orders(p, exposure)?,
        };
    }
    Some(total)
}

/// E_p[S(min(1, p·h), τ)] for p ~ Beta(a, b): a 200-node rule while p·h ≤ 1 throughout, else
/// split at p = 1/h, with u = hp on [0, 1/h] (the same substitution as for churn caps).
fn exact_survival(a: f64, b: f64, law: PurchaseLaw, h: f64, exposure: f64) -> f64 {
    if h <= 1.0 {
        let rule = QuadratureRule::beta_cached(a, b, REFERENCE_NODES);
        return rule.expect(|p| law.survival(p * h, exposure));
    }
    let inner = QuadratureRule::beta_cached(a, 1.0, REFERENCE_NODES);
    let factor = (ln_beta(a, 1.0) - ln_beta(a, b) - a * h.ln()).exp();
    let below = factor * inner.expect(|u| (1.0 - u / h).powf(b - 1.0) * law.survival(u, exposure));
    let mass_below = factor * inner.expect(|u| (1.0 - u / h).powf(b - 1.0));
    below + (1.0 - mass_below).max(0.0) * law.survival(1.0, exposure)
}

fn exact_expected_orders(a: f64, b: f64, law: PurchaseLaw, exposure: f64) -> Option<f64> {
    let rule = QuadratureRule::beta_cached(a, b, REFERENCE_NODES);
    let mut total = 0.0;
    for (&p, &w) in rule.nodes.iter().zip(&rule.weights) {
        total += w * law.expected_orders(p, exposure)?;
    }
    Some(total)
}

/// Chooses and measures the strata of a BG/NBD cohort with p ~ Beta(a, b) over `periods`, on
/// exposures τ = 1..T, T = ⌈H·max(1, m_high·h_high)⌉ (the purchase and hazard multipliers
/// speed exposure up):
///
/// 1. K_p, the fewest p-nodes whose survival E_p[S(p, τ)] and expected purchases E_p[X(τ | p)]
///    — λ integrated in closed form — are within half of [`EXACT_TOLERANCE`] (relative for
///    E\[X\]) of a 200-node reference;
/// 2. for each p-node p_i with weight w_i, the fewest λ-nodes whose survival e^(−λ p_i τ) and
///    orders (1 − e^(−λ p_i τ))/p_i integrate to within (tolerance / 2K_p)/w_i of their closed
///    forms (α/(α + p_i τ))^r and (1 − (α/(α + p_i τ))^r)/p_i: rare, high-dropout nodes need
///    few rate nodes, common ones more (at most [`MAX_STRATA`]);
///
/// then measures survival on the hazard probes (caps included) and E[X(τ)] for τ ≤ H.
/// Remembered per thread.
pub fn dropout_strata(
    a: f64,
    b: f64,
    law: PurchaseLaw,
    periods: u32,
    range: HazardRange,
    multiplier_high: f64,
) -> DropoutStrata {
    use std::cell::RefCell;
    use std::collections::HashMap;
    type Key = (u64, u64, [u64; 2], u32, u64, u64, u64);
    thread_local! {
        static CHOSEN: RefCell<HashMap<Key, DropoutStrata>> = RefCell::new(HashMap::new());
    }
    let law_key = match law {
        PurchaseLaw::Fixed(n) => [0, n.to_bits()],
        PurchaseLaw::Poisson(mu) => [1, mu.to_bits()],
        PurchaseLaw::Nbd { r, alpha } => [r.to_bits(), alpha.to_bits()],
    };
    let key = (
        a.to_bits(),
        b.to_bits(),
        law_key,
        periods,
        range.low.to_bits(),
        range.high.to_bits(),
        multiplier_high.to_bits(),
    );
    if let Some(found) = CHOSEN.with(|c| c.borrow().get(&key).cloned()) {
        return found;
    }
    let chosen = choose_dropout_strata(a, b, law, periods, range, multiplier_high);
    CHOSEN.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 8192 {
            c.clear();
        }
        c.insert(key, chosen.clone());
    });
    chosen
}

/// The strata [`dropout_strata`] chooses, without measuring their error at the horizon: what
/// a run needs to lay out its strata. A run whose parameters `[uncertainty]` redraws gets
/// its own strata, and the measurement (the survival of every stratum at every period and
/// hazard probe) is most of the cost of choosing; `auto` measures the scenario's own
/// parameters once per study ([`dropout_strata`]).
pub fn dropout_strata_nodes(
    a: f64,
    b: f64,
    law: PurchaseLaw,
    periods: u32,
    range: HazardRange,
    multiplier_high: f64,
) -> Vec<(f64, f64, f64)> {
    choose_dropout_nodes(a, b, law, periods, range, multiplier_high).0
}

fn choose_dropout_strata(
    a: f64,
    b: f64,
    law: PurchaseLaw,
    periods: u32,
    range: HazardRange,
    multiplier_high: f64,
) -> DropoutStrata {
    let (strata, dropout_nodes) = choose_dropout_nodes(a, b, law, periods, range, multiplier_high);
    measure_dropout_strata(a, b, law, periods, range, strata, dropout_nodes)
}

/// Steps 1–2 of [`dropout_strata`]: the strata and the number of p-nodes.
fn choose_dropout_nodes(
    a: f64,
    b: f64,
    law: PurchaseLaw,
    periods: u32,
    range: HazardRange,
    multiplier_high: f64,
) -> (Vec<(f64, f64, f64)>, usize) {
    let stretch = (multiplier_high * range.high).max(1.0);
    let long = (f64::from(periods) * stretch).ceil().max(1.0) as u32;
    let exposures: Vec<f64> = (1..=long).map(f64::from).collect();
    let exact_survival_curve: Vec<f64> = exposures
        .iter()
        .map(|&t| exact_survival(a, b, law, 1.0, t))
        .collect();
    let exact_orders: Vec<Option<f64>> = exposures
        .iter()
        .map(|&t| exact_expected_orders(a, b, law, t))
        .collect();
    let half = 0.5 * EXACT_TOLERANCE;
    // 1. The p rule, λ integrated in closed form.
    let p_rule = DROPOUT_LADDER
        .iter()
        .map(|&k| QuadratureRule::beta_cached(a, b, k))
        .find(|rule| {
            exposures.iter().enumerate().all(|(i, &t)| {
                let s = rule.expect(|p| law.survival(p, t));
                let survival_ok = (s - exact_survival_curve[i]).abs() <= half;
                let orders_ok = match exact_orders[i] {
                    Some(e) => {
                        let x = rule.expect(|p| law.expected_orders(p, t).unwrap_or(0.0));
                        (x - e).abs() <= half * e.abs()
                    }
                    None => true,
                };
                survival_ok && orders_ok
            })
        })
        .unwrap_or_else(|| {
            QuadratureRule::beta_cached(a, b, DROPOUT_LADDER[DROPOUT_LADDER.len() - 1])
        });
    // 2. A λ rule per p-node.
    let k_p = p_rule.len() as f64;
    let mut strata = Vec::new();
    for (&p, &w) in p_rule.nodes.iter().zip(&p_rule.weights) {
        let PurchaseLaw::Nbd { r, alpha } = law else {
            let rate = match law {
                PurchaseLaw::Fixed(n) => n,
                PurchaseLaw::Poisson(mu) => mu,
                PurchaseLaw::Nbd { .. } => 0.0,
            };
            strata.push((p, rate, w));
            continue;
        };
        let budget = half / k_p / w.max(f64::MIN_POSITIVE);
        let pp = p.max(1e-300);
        let fits = |rule: &QuadratureRule| {
            // e^(−λpτ) = (e^(−λp))^τ, so each node's powers come by multiplication.
            let step: Vec<f64> = rule.nodes.iter().map(|l| (-l * pp).exp()).collect();
            let mut power = vec![1.0; step.len()];
            exposures.iter().enumerate().all(|(i, &t)| {
                for (x, s) in power.iter_mut().zip(&step) {
                    *x *= s;
                }
                let q: f64 = power.iter().zip(&rule.weights).map(|(x, v)| x * v).sum();
                let exact = (alpha / (alpha + pp * t)).powf(r);
                let survival_ok = (q - exact).abs() <= budget;
                let orders_ok = match exact_orders[i] {
                    Some(e) => ((exact - q) / pp).abs() <= budget * e.abs(),
                    None => true,
                };
                survival_ok && orders_ok
            })
        };
        let rate_rule = RATE_LADDER
            .iter()
            .map(|&k| QuadratureRule::gamma_cached(r, 1.0 / alpha, k))
            .find(|rule| fits(rule))
            .unwrap_or_else(|| QuadratureRule::gamma_cached(r, 1.0 / alpha, MAX_STRATA));
        for (&lambda, &v) in rate_rule.nodes.iter().zip(&rate_rule.weights) {
            strata.push((p, lambda, w * v));
        }
    }
    (strata, p_rule.len())
}

/// The errors of dropout strata at the horizon, on every hazard probe.
fn measure_dropout_strata(
    a: f64,
    b: f64,
    law: PurchaseLaw,
    periods: u32,
    range: HazardRange,
    strata: Vec<(f64, f64, f64)>,
    dropout_nodes: usize,
) -> DropoutStrata {
    let horizon: Vec<f64> = (0..=periods).map(f64::from).collect();
    let mut survival = SurvivalError::default();
    for h in range.probes() {
        let exact: Vec<f64> = horizon
            .iter()
            .map(|&t| exact_survival(a, b, law, h, t))
            .collect();
        let approximate: Vec<f64> = horizon
            .iter()
            .map(|&t| strata_survival(&strata, law, h, t))
            .collect();
        let e = survival_error(&approximate, &exact);
        survival.max_absolute = survival.max_absolute.max(e.max_absolute);
        survival.customer_periods = survival.customer_periods.max(e.customer_periods);
    }
    let expected_purchases = horizon[1..]
        .iter()
        .filter_map(|&t| {
            let s = strata_expected_orders(&strata, law, t)?;
            let e = exact_expected_orders(a, b, law, t)?;
            Some((s - e).abs() / e.abs().max(1e-300))
        })
        .fold(0.0, f64::max);
    DropoutStrata {
        strata,
        dropout_nodes,
        survival,
        expected_purchases,
    }
}

#[cfg(test)]
mod dropout_tests {
    use super::*;
    use crate::model::closed_form::{bgnbd_expected_purchases, gamma_gamma_mean};

    #[test]
    fn reference_expected_purchases_match_the_bgnbd_closed_form() {
        // CDNOW estimates (Fader, Hardie & Lee 2005a), weeks.
        let (r, alpha, a, b) = (0.242594, 4.413595, 0.792919, 2.425946);
        let law = PurchaseLaw::Nbd { r, alpha };
        for t in [1.0, 3.0, 31.857, 78.0] {
            let exact = bgnbd_expected_purchases(r, alpha, a, b, t).unwrap();
            let reference = exact_expected_orders(a, b, law, t).unwrap();
            assert!(
                (reference - exact).abs() < 1e-10 * exact,
                "t {t}: {reference} vs {exact}"
            );
        }
    }

    #[test]
    fn capped_dropout_survival_matches_direct_integration() {
        let (a, b, h) = (0.8, 2.4, 1.7);
        let law = PurchaseLaw::Nbd { r: 0.5, alpha: 2.0 };
        let n = 1_000_000;
        let ln_norm = -ln_beta(a, b);
        for t in [1.0, 5.0, 20.0] {
            let mut sum = 0.0;
            for i in 0..n {
                let x = (i as f64 + 0.5) / n as f64;
                let density = (ln_norm + (a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p()).exp();
                sum += law.survival((x * h).min(1.0), t) * density;
            }
            sum /= n as f64;
            let exact = exact_survival(a, b, law, h, t);
            assert!((sum - exact).abs() < 2e-4, "t {t}: {sum} vs {exact}");
        }
    }

    #[test]
    fn dropout_strata_are_measured_against_the_closed_forms() {
        let unit = HazardRange {
            low: 1.0,
            high: 1.0,
        };
        let strata = dropout_strata(
            0.792919,
            2.425946,
            PurchaseLaw::Nbd {
                r: 0.242594,
                alpha: 4.413595,
            },
            104,
            unit,
            1.0,
        );
        println!(
            "CDNOW, 104 weeks: {} strata over {} p-nodes, {:?}, E[X] {:e}",
            strata.strata.len(),
            strata.dropout_nodes,
            strata.survival,
            strata.expected_purchases
        );
        assert!(
            strata.survival.max_absolute <= 2.0 * EXACT_TOLERANCE,
            "{:?}",
            strata.survival
        );
        assert!(
            strata.expected_purchases <= 2.0 * EXACT_TOLERANCE,
            "{}",
            strata.expected_purchases
        );
        // Poisson purchases: one dimension, to tolerance.
        let poisson = dropout_strata(0.8, 2.4, PurchaseLaw::Poisson(0.3), 52, unit, 1.0);
        assert_eq!(poisson.strata.len(), poisson.dropout_nodes);
        assert!(
            poisson.survival.max_absolute <= EXACT_TOLERANCE,
            "{:?}",
            poisson.survival
        );
    }

    #[test]
    fn value_strata_keep_the_mean_and_variance() {
        let gg = ValueStrata::gamma_gamma(6.25, 3.74, 15.44);
        // Mean order value pγ/(q − 1) (Fader, Hardie & Lee 2005b).
        let mean: f64 = gg
            .weights
            .iter()
            .zip(&gg.scales)
            .map(|(w, s)| w * gg.order_shape * s)
            .sum();
        assert!((mean - gamma_gamma_mean(6.25, 3.74, 15.44)).abs() < 1e-9 * mean);
        // E[s²] = γ²/((q − 1)(q − 2)).
        let second: f64 = gg
            .weights
            .iter()
            .zip(&gg.scales)
            .map(|(w, s)| w * s * s)
            .sum();
        let exact = 15.44f64.powi(2) / (2.74 * 1.74);
        assert!((second - exact).abs() < 1e-9 * exact);
        let hg = ValueStrata::heterogeneous_gamma(30.0, 0.3, 0.5);
        let mean: f64 = hg
            .weights
            .iter()
            .zip(&hg.scales)
            .map(|(w, s)| w * hg.order_shape * s)
            .sum();
        assert!((mean - 30.0).abs() < 1e-9 * 30.0);
    }
}
