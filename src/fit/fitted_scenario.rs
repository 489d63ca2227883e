//! The scenario a transaction-log fit writes (SPEC §14): one cohort `fitted` with all the
//! log's customers — each with its history (x, t_x, T) from a CSV the scenario names, or all
//! starting fresh — one period per time unit, and comments that say where each number came
//! from, so a strategist can read, trust and edit it.

use super::bgnbd::BgNbdFit;
use super::gamma_gamma::GammaGammaFit;
use super::transactions::{CustomerSummary, TimeUnit};

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
    /// The history CSV the cohort names (relative to the scenario), or `None` for a base of
    /// fresh customers.
    pub history: Option<&'a str>,
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
            history,
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
             # Gamma-Gamma, both fitted by maximum likelihood.\n{base}\
             # Margin, costs and the discount rate are not in a transaction log: set yours.\n\
             #\n\
             #     ceq simulate THIS_FILE\n\n",
            base = match history {
                Some(file) => format!(
                    "# The cohort holds every customer of the log with their history: {file}\n\
                     # has, per group of customers, their repeat purchases (frequency), the time\n\
                     # of the last (recency) and since the first (T). A customer is still alive\n\
                     # with P(alive), and then buys and drops out at rates conditioned on that\n\
                     # history, so the simulated orders are the sum of the customers' conditional\n\
                     # expected purchases E[Y(t) | x, t_x, T].\n"
                ),
                None => "# The cohort holds every customer of the log, starting fresh: each is\n\
                         # simulated as a new customer from period 1, so the simulated orders are\n\
                         # the model's expected repeat purchases E[X(t)].\n"
                    .to_string(),
            }
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
             {history_line}\
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
            history_line = match history {
                Some(file) => format!(
                    "history = \"{}\"\n\x20   # their histories, in {unit_name}s \
                     (frequency, recency, T, count)\n",
                    file.replace(['"', '\\'], "")
                ),
                None => String::new(),
            },
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

/// The customers' histories as the CSV a written scenario names: `frequency,recency,T,count`,
/// one row per distinct (x, t_x, T), sorted by x, T and t_x, numbers in the shortest form that
/// reads back to the same value. Millions of customers become a file of their distinct
/// histories, which the engines simulate group by group.
pub fn history_csv(customers: &[CustomerSummary]) -> Result<Vec<u8>, csv::Error> {
    let groups = crate::scenario::merge_histories(
        customers
            .iter()
            .map(|c| crate::scenario::HistoryGroup {
                frequency: c.frequency,
                recency: c.recency,
                age: c.age,
                count: 1,
                monetary_value: (c.frequency > 0)
                    .then(|| c.repeat_average().unwrap_or(0.0).max(0.0)),
            })
            .collect(),
    );
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["frequency", "recency", "T", "count", "monetary_value"])?;
    for g in &groups {
        writer.write_record([
            g.frequency.to_string(),
            format!("{}", g.recency),
            format!("{}", g.age),
            g.count.to_string(),
            g.monetary_value.map_or(String::new(), |m| format!("{m}")),
        ])?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// The scenario `ceq fit survival --write-scenario` writes (SPEC §14): one sBG cohort per
/// fitted column, with the column's survivors at their tenure.
#[derive(Debug, Clone)]
pub struct SurvivalScenario<'a> {
    /// The table's file name.
    pub source: &'a str,
    pub periods: u32,
    pub periods_per_year: u32,
    pub discount_rate: f64,
    pub cohorts: Vec<SurvivalCohort>,
}

/// One fitted column of a survival table.
#[derive(Debug, Clone)]
pub struct SurvivalCohort {
    /// The column's name as a cohort name.
    pub name: String,
    pub column: String,
    pub alpha: super::Estimate,
    pub beta: super::Estimate,
    /// The last period the column has a count for: the renewals its survivors have made.
    pub tenure: u32,
    /// Customers alive at that period, rounded to whole customers.
    pub survivors: u64,
    /// Customers at period 0.
    pub initial: f64,
}

impl SurvivalScenario<'_> {
    pub fn to_toml(&self) -> String {
        let mut text = format!(
            "# Fitted by `ceq fit survival` from {source}.\n\
             #\n\
             # Each cohort is one column of the table: churn follows the shifted-beta-geometric\n\
             # model (Fader & Hardie 2007) fitted by maximum likelihood, and the customers are\n\
             # the column's survivors at its last period. A customer who has renewed n times\n\
             # has churn propensity θ ~ Beta(alpha, beta + n) (Fader & Hardie 2010), so the\n\
             # survivors churn less than new customers would; `tenure` says how long they have\n\
             # stayed. Value per period is not in a survival table: order_value = 1 counts\n\
             # customer-periods (with cash at the start of each period the equity per survivor\n\
             # is its discounted expected residual lifetime, DERL). Set yours.\n\
             #\n\
             #     ceq simulate THIS_FILE\n\n\
             name = \"fitted from {name}\"\n\n\
             [time]\n\
             periods = {periods}\n\
             periods_per_year = {per_year}   # one period per renewal (--periods-per-year)\n\
             discount_rate = {rate:?}   # annual (--discount-rate); an assumption, not fitted\n\
             cash_flow_timing = \"start\"   # a renewal is paid when the period begins\n",
            source = self.source,
            name = self.source.replace(['"', '\\'], ""),
            periods = self.periods,
            per_year = self.periods_per_year,
            rate = self.discount_rate,
        );
        for c in &self.cohorts {
            let (a, b) = (c.alpha.value, c.beta.value);
            text.push_str(&format!(
                "\n[[cohorts]]\n\
                 name = \"{name}\"\n\
                 customers = {survivors}\n\
                 \x20   # alive at period {tenure} of column '{column}' (of {initial} at period 0)\n\
                 tenure = {tenure}\n\
                 \x20   # renewals survived: their churn propensity is Beta(alpha, beta + {tenure})\n\
                 retention = {{ churn_alpha = {a_text}, churn_beta = {b_text} }}\n\
                 \x20   # sBG: alpha {a_se}, beta {b_se}; a new customer churns\n\
                 \x20   # alpha/(alpha + beta) = {new_churn:.1}% a period, these survivors\n\
                 \x20   # alpha/(alpha + beta + {tenure}) = {tenured_churn:.1}%.\n\
                 purchases = {{ fixed = 1 }}      # one renewal per period while active\n\
                 order_value = {{ mean = 1.0 }}   # not in the table: value per renewal\n",
                name = c.name,
                survivors = c.survivors,
                tenure = c.tenure,
                column = c.column.replace(['\n', '\r'], " "),
                initial = significant(c.initial, 6),
                a_text = significant(a, 6),
                b_text = significant(b, 6),
                a_se = with_error(&c.alpha),
                b_se = with_error(&c.beta),
                new_churn = 100.0 * a / (a + b),
                tenured_churn = 100.0 * a / (a + b + f64::from(c.tenure)),
            ));
        }
        text.push_str("\n[plans.current]   # spends nothing: the survivors on their own\n");
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
