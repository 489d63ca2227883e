//! Full-base figures of a scenario that simulates a sample of the business (SPEC §9.2).
//!
//! A scenario with `sample_fraction = f` describes a 1:(1/f) sample: its cohorts, prospects
//! and spends are the sample's. Customer equity is a sum over customers, so the full base's
//! expected totals are the sample's divided by f (the estimator of a total from a simple
//! random sample: N/n times the sample total, Cochran, *Sampling Techniques*, 3rd ed., 1977,
//! §2.7). What scales is exactly what is a total over customers: money totals (CE, its
//! components and origin, cohort values, channel spend and value, per-period revenue and
//! cumulative CE) and customer counts. Per-customer amounts, ratios, shares, probabilities and
//! durations are the same for the sample and the base and are left alone. The Monte Carlo
//! error stays that of the sample: a scaled interval is the sample's interval times 1/f.
//!
//! The JSON of `simulate` keeps the sample values and adds [`FullBase`], so no program reading
//! it finds a silently rescaled number; the text outputs show [`scaled_summary`] with
//! [`note`] saying so.

use serde::{Deserialize, Serialize};

use super::{Components, Distribution, Origin, SimulationSummary};

/// `full_base` of `ceq simulate --json` (SPEC §13): the headline figures of the full base,
/// each the sample's figure times `scale` = 1 / `sample_fraction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullBase {
    /// 1 / sample_fraction: what every total below was multiplied by.
    pub scale: f64,
    /// Mean CE, sd, standard error, 95% CI and percentiles scaled; `prob_negative` unchanged.
    pub customer_equity: Distribution,
    pub components: Components,
    pub origin: Origin,
    pub customers: FullBaseCustomers,
}

/// Customer counts of the full base.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FullBaseCustomers {
    /// Mean customers acquired or referred over the horizon (the periods' `new_mean` summed).
    pub new: f64,
    /// Mean customers active at the end (the cohorts' `active_end_mean` summed).
    pub active_end: f64,
}

/// The full-base figures of `summary`, a summary of a 1:(1/`fraction`) sample.
pub fn full_base(summary: &SimulationSummary, fraction: f64) -> FullBase {
    let scaled = scaled_summary(summary, fraction);
    FullBase {
        scale: 1.0 / fraction,
        customer_equity: scaled.customer_equity,
        components: scaled.components,
        origin: scaled.origin,
        customers: FullBaseCustomers {
            new: scaled.periods.iter().map(|p| p.new_mean).sum(),
            active_end: scaled.cohorts.iter().map(|c| c.active_end_mean).sum(),
        },
    }
}

/// The sentence every text output and the report print above full-base figures.
pub fn note(fraction: f64) -> String {
    format!(
        "Results are for the full base: the scenario simulates a 1:{} sample (sample_fraction \
         = {fraction}) and amounts and customer counts are scaled ×{}; Monte Carlo error is \
         that of the sample.",
        ratio(fraction),
        ratio(fraction)
    )
}

/// The sentence of outputs that show plans' spends or budgets: those are inputs, printed as the
/// file states them (the sample's).
pub fn spend_note(fraction: f64) -> String {
    format!(
        "Spends and budgets per period are the sample's, as the file states them (the full base \
         spends ×{} as much).",
        ratio(fraction)
    )
}

/// 1/f as a reader would say it: whole when it is (0.01 → "100"), else to two decimals.
pub fn ratio(fraction: f64) -> String {
    let n = 1.0 / fraction;
    if (n - n.round()).abs() < 1e-9 * n {
        crate::format::whole(n)
    } else {
        crate::format::number(n, 2)
    }
}

/// `summary` with every total over customers divided by `fraction` (see the module doc for
/// what scales). With `fraction` = 1 it is `summary` unchanged.
pub fn scaled_summary(summary: &SimulationSummary, fraction: f64) -> SimulationSummary {
    let k = 1.0 / fraction;
    let mut s = summary.clone();
    if fraction == 1.0 {
        return s;
    }
    s.customer_equity = scale_distribution(&s.customer_equity, k);
    s.components = scale_components(&s.components, k);
    s.origin = Origin {
        existing: s.origin.existing * k,
        new: s.origin.new * k,
    };
    for c in &mut s.cohorts {
        c.customer_equity_mean *= k;
        c.active_end_mean *= k;
        c.entered_mean *= k;
    }
    for p in &mut s.periods {
        for x in [
            &mut p.active_mean,
            &mut p.active_p05,
            &mut p.active_p95,
            &mut p.new_mean,
            &mut p.orders_mean,
            &mut p.revenue_mean,
            &mut p.cumulative_ce_mean,
            &mut p.cumulative_ce_p05,
            &mut p.cumulative_ce_p95,
        ] {
            *x *= k;
        }
    }
    for c in &mut s.channels {
        // cost_per_customer, value_per_customer and value_to_cost are ratios: unchanged.
        c.acquired *= k;
        c.spend *= k;
        c.onboarding *= k;
        c.value *= k;
        c.value_std_error *= k;
        c.value_ci95 = c.value_ci95.map(|x| x * k);
    }
    for o in &mut s.offboarding {
        // share and value_per_customer are per customer; the gain is a total.
        o.gain.mean *= k;
        o.gain.std_error *= k;
        o.gain.ci95 = o.gain.ci95.map(|x| x * k);
    }
    let count = |n: u64| (n as f64 * k).round() as u64;
    for b in &mut s.existing_base {
        b.customers = count(b.customers);
        b.expected_alive *= k;
        b.expected_purchases *= k;
        b.value *= k;
        for split in [&mut b.likely_alive, &mut b.likely_gone] {
            split.customers = count(split.customers);
            split.expected_alive *= k;
            split.expected_purchases *= k;
            split.value *= k;
        }
        for seg in &mut b.segments {
            seg.customers = count(seg.customers);
            seg.expected_purchases *= k;
            seg.value *= k;
        }
    }
    // payback is per acquired customer (SPEC §9.1): unchanged.
    s
}

/// `d` of a sample as the full base's: every quantile and the error times `k` = 1/f;
/// `prob_negative` unchanged.
pub fn scale_distribution(d: &Distribution, k: f64) -> Distribution {
    Distribution {
        mean: d.mean * k,
        sd: d.sd * k,
        std_error: d.std_error * k,
        ci95: d.ci95.map(|x| x * k),
        p05: d.p05 * k,
        p25: d.p25 * k,
        p50: d.p50 * k,
        p75: d.p75 * k,
        p95: d.p95 * k,
        prob_negative: d.prob_negative,
    }
}

fn scale_components(c: &Components, k: f64) -> Components {
    Components {
        purchase_margin: c.purchase_margin * k,
        extra_value: c.extra_value * k,
        cost_to_serve: c.cost_to_serve * k,
        acquisition: c.acquisition * k,
        onboarding: c.onboarding * k,
        retention: c.retention * k,
        drivers: c.drivers * k,
        development: c.development * k,
        winback: c.winback * k,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_whole_when_the_fraction_is_one_over_a_whole_number() {
        assert_eq!(ratio(0.01), "100");
        assert_eq!(ratio(0.25), "4");
        assert_eq!(ratio(1.0), "1");
        assert_ne!(ratio(0.3), "3");
    }
}
