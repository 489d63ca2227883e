//! The scenario a transaction-log fit writes (SPEC §14): one cohort `fitted` with all the
//! log's customers starting fresh, one period per time unit, and comments that say where each
//! number came from, so a strategist can read, trust and edit it.

use super::bgnbd::BgNbdFit;
use super::gamma_gamma::GammaGammaFit;
use super::transactions::TimeUnit;

/// What the scenario is made of.
#[derive(Debug, Clone)]
pub struct FittedScenario<'a> {
    /// The log's file name, for the comments and the scenario name.
    pub source: &'a str,
    /// The calibration end as an ISO date.
    pub calibration_end: &'a str,
    pub unit: TimeUnit,
    /// Periods to simulate.
    pub horizon: u32,
    /// Gross margin on order value (`--margin`; 1 values revenue).
    pub margin: f64,
    /// Annual discount rate (`--discount-rate`).
    pub discount_rate: f64,
    pub bgnbd: &'a BgNbdFit,
    pub gamma_gamma: &'a GammaGammaFit,
}

/// `x` with `digits` significant digits, without a trailing exponent (for TOML and text).
pub fn significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    format!("{x:.decimals$}")
}

fn with_error(estimate: &super::Estimate) -> String {
    match estimate.std_error {
        Some(se) => format!("standard error {}", significant(se, 3)),
        None => "standard error unknown".to_string(),
    }
}

impl FittedScenario<'_> {
    /// The scenario as TOML text.
    pub fn to_toml(&self) -> String {
        let FittedScenario {
            source,
            calibration_end,
            unit,
            horizon,
            margin,
            discount_rate,
            bgnbd,
            gamma_gamma,
        } = self;
        let unit_name = unit.name();
        let (r, alpha, a, b) = (
            bgnbd.r.value,
            bgnbd.alpha.value,
            bgnbd.a.value,
            bgnbd.b.value,
        );
        let (p, q, gamma) = (
            gamma_gamma.p.value,
            gamma_gamma.q.value,
            gamma_gamma.gamma.value,
        );
        let per_year = unit.periods_per_year();
        let mean_rate = significant(r / alpha, 6);
        let mut text = String::new();
        text.push_str(&format!(
            "# Fitted by `ceq fit transactions` from {source}\n\
             # (calibration period up to {calibration_end}, time in {unit_name}s).\n\
             #\n\
             # Purchasing and dropout follow BG/NBD (Fader, Hardie & Lee 2005), order values\n\
             # Gamma-Gamma, both fitted by maximum likelihood. The cohort holds every customer\n\
             # of the log, starting fresh: each is simulated as a new customer from period 1,\n\
             # so the simulated orders are the model's expected repeat purchases E[X(t)].\n\
             # Margin, costs and the discount rate are not in a transaction log: set yours.\n\
             #\n\
             #     ceq simulate THIS_FILE\n\n"
        ));
        text.push_str(&format!(
            "name = \"fitted from {}\"\n\
             currency = \"USD\"         # a label only; the log's amounts are in its own currency\n\n\
             [time]\n\
             periods = {horizon}{pad}# --horizon: {horizon} {unit_name}s\n\
             periods_per_year = {per_year}{pad2}# one period per {unit_name}\n\
             discount_rate = {rate:<9}# annual (--discount-rate); an assumption, not fitted\n\n",
            source.replace(['"', '\\'], ""),
            pad = " ".repeat(13usize.saturating_sub(horizon.to_string().len())),
            pad2 = " ".repeat(6usize.saturating_sub(per_year.to_string().len())),
            rate = format!("{discount_rate:?}"),
        ));
        text.push_str(&format!(
            "[[cohorts]]\n\
             name = \"fitted\"\n\
             customers = {customers}\n\
             \x20   # every customer whose first purchase is on or before {calibration_end}\n\
             retention = {{ dropout_alpha = {a_text}, dropout_beta = {b_text} }}\n\
             \x20   # BG/NBD dropout: after each purchase a customer drops out for good with\n\
             \x20   # probability p ~ Beta(a, b); a = {a_text} ({a_se}), b = {b_text}\n\
             \x20   # ({b_se}); mean dropout a/(a + b) = {dropout:.1}%.\n\
             purchases = {{ mean = {mean_rate}, shape = {r_text} }}\n\
             \x20   # BG/NBD purchase rate while active: λ ~ Gamma(shape r, rate alpha) per\n\
             \x20   # {unit_name}, r = {r_text} ({r_se}), alpha = {alpha_text} ({alpha_se});\n\
             \x20   # mean = r/alpha = {mean_rate} purchases per {unit_name}, shape = r.\n\
             order_value = {{ p = {p_text}, q = {q_text}, gamma = {gamma_text} }}\n\
             \x20   # Gamma-Gamma, fitted to the repeat purchases of {spenders} repeat buyers:\n\
             \x20   # p ({p_se}), q ({q_se}), gamma ({gamma_se});\n\
             \x20   # mean order value p·gamma/(q − 1) = {mean_value}.\n\
             margin = {margin_text:<16}# not in the log (--margin): 1.0 values revenue\n\
             cost_to_serve = 0.0      # not in the log: cost per active customer per {unit_name}\n\n\
             [plans.current]          # spends nothing: the fitted customers on their own\n",
            customers = bgnbd.customers,
            a_text = significant(a, 6),
            b_text = significant(b, 6),
            a_se = with_error(&bgnbd.a),
            b_se = with_error(&bgnbd.b),
            dropout = 100.0 * bgnbd.mean_dropout(),
            r_text = significant(r, 6),
            alpha_text = significant(alpha, 6),
            r_se = with_error(&bgnbd.r),
            alpha_se = with_error(&bgnbd.alpha),
            p_text = significant(p, 6),
            q_text = significant(q, 6),
            gamma_text = significant(gamma, 6),
            spenders = gamma_gamma.customers,
            p_se = with_error(&gamma_gamma.p),
            q_se = with_error(&gamma_gamma.q),
            gamma_se = with_error(&gamma_gamma.gamma),
            mean_value = significant(gamma_gamma.mean_value(), 4),
            margin_text = format!("{margin:?}"),
        ));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(significant(0.242594, 3), "0.243");
        assert_eq!(significant(4.4136, 4), "4.414");
        assert_eq!(significant(15.4435, 6), "15.4435");
        assert_eq!(significant(12345.6, 3), "12346");
        assert_eq!(significant(0.0, 3), "0");
    }
}
