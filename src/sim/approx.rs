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
/// programme's full churn reduction, and every driver at full lift in whichever direction its
/// retention effect moves churn.
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
/// closed forms).
pub fn beta_survival_curve(a: f64, b: f64, h: f64, periods: u32) -> Vec<f64> {
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
    use std::cell::RefCell;
    use std::collections::HashMap;
    type Key = (u64, u64, u32, u64);
    thread_local! {
        static CHOSEN: RefCell<HashMap<Key, QuadratureRule>> = RefCell::new(HashMap::new());
    }
    let key = (a.to_bits(), b.to_bits(), periods, hazard_high.to_bits());
    if let Some(found) = CHOSEN.with(|c| c.borrow().get(&key).cloned()) {
        return found;
    }
    let chosen = choose_churn_rule(a, b, periods, hazard_high);
    CHOSEN.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 4096 {
            c.clear();
        }
        c.insert(key, chosen.clone());
    });
    chosen
}

fn choose_churn_rule(a: f64, b: f64, periods: u32, hazard_high: f64) -> QuadratureRule {
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
            .all(|(s, e)| (s - e).abs() <= EXACT_TOLERANCE);
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
        for t in 1..=6 {
            let mut sum = 0.0;
            for i in 0..n {
                let x = (i as f64 + 0.5) / n as f64 * upper;
                let density = (ln_norm + (a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p()).exp();
                sum += (1.0 - h * x).powi(t as i32) * density;
            }
            sum *= upper / n as f64;
            assert!(
                (sum - exact[t]).abs() < 1e-7,
                "t {t}: {sum} vs {}",
                exact[t]
            );
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
