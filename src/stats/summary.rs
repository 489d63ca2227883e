//! The reported summary of a simulation (SPEC §9, names per SPEC §13).

use serde::{Deserialize, Serialize};

/// `ceq simulate --json`: exactly the names of SPEC §13, in that order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationSummary {
    pub ceq_version: String,
    pub scenario: String,
    pub plan: String,
    pub runs: u64,
    pub seed: u64,
    pub engine: String,
    pub customer_equity: Distribution,
    pub components: Components,
    pub origin: Origin,
    pub cohorts: Vec<CohortSummary>,
    pub periods: Vec<PeriodSummary>,
    /// Where the engine departed from the exact model; absent from the JSON when it did not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approximations: Vec<String>,
    /// Per acquisition channel of `[[acquisition.channels]]` (SPEC §4, §13), measured by
    /// [`crate::plans::channels`]; absent for the flat `[acquisition]` block and in merges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<ChannelSummary>,
    /// What the history-aware cohorts' existing customers are worth today, in closed form
    /// (SPEC §12 `existing_base`); absent from the JSON when no cohort has a `history`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub existing_base: Vec<crate::fit::base_value::CohortBaseValue>,
    /// Per cohort the plan off-boards (SPEC §7, §13): what serving a customer earns or loses
    /// and what releasing them adds ([`crate::plans::levers_seed`]); absent without
    /// off-boarding and in merges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offboarding: Vec<crate::plans::levers_seed::OffboardingValue>,
    /// Break-even duration and simulated payback per acquisition channel and per cohort that
    /// receives acquired customers (SPEC §9.1, §13), by [`crate::plans::payback`]; absent
    /// without acquisition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payback: Vec<crate::plans::payback::Payback>,
    /// The scenario's `sample_fraction` (SPEC §9.2) when it is below 1; every value above is
    /// the sample's. Absent for a scenario of the whole base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_fraction: Option<f64>,
    /// The headline figures scaled to the full base (sample values / `sample_fraction`);
    /// present exactly when `sample_fraction` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_base: Option<super::FullBase>,
}

/// One channel's customers, costs and value under one plan; money discounted to period 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelSummary {
    /// The channel's name (`acquisition` for the flat `[acquisition]` block).
    pub name: String,
    /// Mean customers acquired over the horizon.
    pub acquired: f64,
    /// Mean discounted spend.
    pub spend: f64,
    /// Mean discounted onboarding cost.
    pub onboarding: f64,
    /// Discounted spend and onboarding per discounted customer acquired (the same as
    /// undiscounted when spend and acquisition are level); absent when it acquires nobody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_customer: Option<f64>,
    /// Mean discounted value of the customers it brings, with its standard error and 95%
    /// interval over runs.
    pub value: f64,
    pub value_std_error: f64,
    pub value_ci95: [f64; 2],
    /// `value` per discounted customer acquired; absent when it acquires nobody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_per_customer: Option<f64>,
    /// `value` / (spend + onboarding): what each unit spent on the channel brings back;
    /// absent when it costs nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_to_cost: Option<f64>,
}

/// A row of the cohort table that reconciles to customer equity.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconciledRow {
    pub label: String,
    pub value: f64,
    /// The closing row (customer equity itself).
    pub total: bool,
}

impl SimulationSummary {
    /// The cohorts' values, then the spend no cohort carries (acquisition with onboarding, and
    /// the drivers), then CE: the rows add up to the mean customer equity. A cohort's value is
    /// net of its cost to serve and the retention spend allocated to it (SPEC §9), so without
    /// the reconciling rows the cohorts summed to more than CE and a reader could not tell why.
    pub fn cohort_reconciliation(&self) -> Vec<ReconciledRow> {
        let row = |label: &str, value: f64, total: bool| ReconciledRow {
            label: label.to_string(),
            value,
            total,
        };
        let mut rows: Vec<ReconciledRow> = self
            .cohorts
            .iter()
            .map(|c| row(&c.name, c.customer_equity_mean, false))
            .collect();
        let c = &self.components;
        if c.acquisition != 0.0 || c.onboarding != 0.0 {
            rows.push(row(
                "acquisition and onboarding (no cohort)",
                c.acquisition + c.onboarding,
                false,
            ));
        }
        if c.drivers != 0.0 {
            rows.push(row("driver spend (no cohort)", c.drivers, false));
        }
        if c.winback != 0.0 {
            rows.push(row("win-back spend (no cohort)", c.winback, false));
        }
        rows.push(row("customer equity", self.customer_equity.mean, true));
        rows
    }
}

/// The distribution of a quantity over runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub mean: f64,
    /// Sample standard deviation over runs (n − 1 denominator; 0 for one run).
    pub sd: f64,
    /// Standard error of the mean, sd/√runs.
    pub std_error: f64,
    /// Normal-approximation 95% confidence interval of the mean, mean ± 1.96·std_error.
    pub ci95: [f64; 2],
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    /// Share of runs with a value below zero.
    pub prob_negative: f64,
}

/// Discounted means of the parts of CE; costs are negative so the parts sum to the CE mean.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Components {
    pub purchase_margin: f64,
    pub extra_value: f64,
    pub cost_to_serve: f64,
    pub acquisition: f64,
    pub onboarding: f64,
    pub retention: f64,
    pub drivers: f64,
    /// Development programme spend (SPEC §5a); absent from results without it.
    #[serde(default, skip_serializing_if = "crate::sim::is_zero")]
    pub development: f64,
    /// Win-back spend (SPEC §5b); reactivated customers' onboarding is in `onboarding`.
    #[serde(default, skip_serializing_if = "crate::sim::is_zero")]
    pub winback: f64,
}

/// Discounted mean CE by origin. `existing` is the value the initial base generates (margin,
/// extra value, less cost to serve and the retention spend on it); `new` the same for customers
/// acquired or referred during the horizon, less acquisition and onboarding spend. Driver spend
/// belongs to neither, so existing + new + components.drivers = CE.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Origin {
    pub existing: f64,
    pub new: f64,
}

/// One cohort of a [`SimulationSummary`] (SPEC §13 `cohorts`), in cohort order; read it by
/// [`crate::scenario::CohortId`] with [`SimulationSummary::cohort`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortSummary {
    pub name: String,
    /// Discounted value generated while in this cohort, net of cost to serve and the retention
    /// spend allocated to it.
    pub customer_equity_mean: f64,
    /// Active customers after the last period's churn and migration.
    pub active_end_mean: f64,
    /// Customers who entered during the horizon: acquired, referred or migrated in.
    pub entered_mean: f64,
}

/// One period of a [`SimulationSummary`] (SPEC §13 `periods`): means and 90% bands across runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeriodSummary {
    /// 1-based period.
    pub period: u32,
    /// Customers active during the period (they purchase in it).
    pub active_mean: f64,
    pub active_p05: f64,
    pub active_p95: f64,
    /// Customers acquired or referred who start in this period.
    pub new_mean: f64,
    pub orders_mean: f64,
    pub revenue_mean: f64,
    /// Discounted CE from period 1 through this period.
    pub cumulative_ce_mean: f64,
    pub cumulative_ce_p05: f64,
    pub cumulative_ce_p95: f64,
}
