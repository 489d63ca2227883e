//! Per-run results → the reported [`SimulationSummary`] (SPEC §9, §13).

use super::describe::{describe, mean};
use super::{CohortSummary, Components, Origin, PeriodSummary, SimulationSummary};
use crate::scenario::Scenario;
use crate::sim::{RunResult, Simulation};

/// What the summary says about how it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryContext<'a> {
    pub scenario: &'a Scenario,
    pub plan: &'a str,
    pub seed: u64,
}

/// The names a summary carries, independent of a scenario file (a merge of shards has none).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryLabels {
    pub scenario: String,
    pub cohorts: Vec<String>,
    pub plan: String,
    pub seed: u64,
}

impl From<&SummaryContext<'_>> for SummaryLabels {
    fn from(context: &SummaryContext<'_>) -> Self {
        SummaryLabels {
            scenario: context.scenario.name.clone(),
            cohorts: context
                .scenario
                .cohorts
                .iter()
                .map(|c| c.name.clone())
                .collect(),
            plan: context.plan.to_string(),
            seed: context.seed,
        }
    }
}

/// Summarizes runs in run order; the result depends only on the runs, not on threads.
pub fn summarize(context: &SummaryContext<'_>, simulation: &Simulation) -> SimulationSummary {
    summarize_labelled(&SummaryLabels::from(context), simulation)
}

/// [`summarize`] from labels instead of a scenario.
pub fn summarize_labelled(labels: &SummaryLabels, simulation: &Simulation) -> SimulationSummary {
    let runs = &simulation.runs;
    let column = |f: &dyn Fn(&RunResult) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
    let component = |f: &dyn Fn(&Components) -> f64| mean(&column(&|r| f(&r.components)));
    let components = Components {
        purchase_margin: component(&|c| c.purchase_margin),
        extra_value: component(&|c| c.extra_value),
        cost_to_serve: component(&|c| c.cost_to_serve),
        acquisition: component(&|c| c.acquisition),
        onboarding: component(&|c| c.onboarding),
        retention: component(&|c| c.retention),
        drivers: component(&|c| c.drivers),
        development: component(&|c| c.development),
        winback: component(&|c| c.winback),
    };
    let origin = Origin {
        existing: mean(&column(&|r| r.origin.existing)),
        new: mean(&column(&|r| r.origin.new)),
    };
    let cohorts = labels
        .cohorts
        .iter()
        .enumerate()
        .map(|(c, name)| CohortSummary {
            name: name.clone(),
            customer_equity_mean: mean(&column(&|r| r.cohorts[c].customer_equity)),
            active_end_mean: mean(&column(&|r| r.cohorts[c].active_end)),
            entered_mean: mean(&column(&|r| r.cohorts[c].entered)),
        })
        .collect();
    let horizon = runs.first().map_or(0, |r| r.periods.len());
    let periods = (0..horizon)
        .map(|t| {
            let active = describe(&column(&|r| r.periods[t].active));
            let cumulative = describe(&column(&|r| r.periods[t].cumulative_ce));
            PeriodSummary {
                period: t as u32 + 1,
                active_mean: active.mean,
                active_p05: active.p05,
                active_p95: active.p95,
                new_mean: mean(&column(&|r| r.periods[t].new)),
                orders_mean: mean(&column(&|r| r.periods[t].orders)),
                revenue_mean: mean(&column(&|r| r.periods[t].revenue)),
                cumulative_ce_mean: cumulative.mean,
                cumulative_ce_p05: cumulative.p05,
                cumulative_ce_p95: cumulative.p95,
            }
        })
        .collect();
    SimulationSummary {
        ceq_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: labels.scenario.clone(),
        plan: labels.plan.clone(),
        runs: runs.len() as u64,
        seed: labels.seed,
        engine: simulation.engine.name().to_string(),
        customer_equity: describe(&column(&|r| r.customer_equity)),
        components,
        origin,
        cohorts,
        periods,
        approximations: simulation.approximations.clone(),
        channels: Vec::new(),
        existing_base: Vec::new(),
        offboarding: Vec::new(),
        payback: Vec::new(),
        sample_fraction: None,
        full_base: None,
    }
}
