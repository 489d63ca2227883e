//! Refusing work that could never finish (issue: "sizes that could never finish are refused").
//!
//! A mean-field projection of expected customers per period (mean retention, expected
//! acquisition and referrals) estimates the per-customer engine's work before it starts.

use crate::model::plan_path::PlanPath;
use crate::scenario::{Plan, Purchases, Retention, Scenario};
use crate::sim::customer::MAX_POPULATION;
use crate::sim::{EngineChoice, SimError};

/// More customer-periods than this (over all runs) would take hours on a laptop.
pub const MAX_CUSTOMER_PERIODS: f64 = 1e12;
/// More runs × periods than this would not fit the per-period results in memory.
pub const MAX_RUN_PERIODS: f64 = 5e7;

/// Expected customers active in each period of one run, by mean-field projection.
pub fn projected_population(scenario: &Scenario, plan: &Plan) -> Vec<f64> {
    projection(scenario, plan)
        .iter()
        .map(|cohorts| cohorts.iter().sum())
        .collect()
}

/// Expected customer-periods of one run in each cohort, by the same projection.
pub fn projected_customer_periods(scenario: &Scenario, plan: &Plan) -> Vec<f64> {
    let mut totals = vec![0.0; scenario.cohorts.len()];
    for period in projection(scenario, plan) {
        for (total, n) in totals.iter_mut().zip(period) {
            *total += n;
        }
    }
    totals
}

/// The most customers each cohort is projected to hold at once.
pub fn projected_peaks(scenario: &Scenario, plan: &Plan) -> Vec<f64> {
    let mut peaks = vec![0.0f64; scenario.cohorts.len()];
    for period in projection(scenario, plan) {
        for (peak, n) in peaks.iter_mut().zip(period) {
            *peak = peak.max(n);
        }
    }
    peaks
}

/// Expected customers active in each cohort during each period (outer index t − 1).
fn projection(scenario: &Scenario, plan: &Plan) -> Vec<Vec<f64>> {
    let path = PlanPath::new(scenario, plan);
    let mut active: Vec<f64> = scenario
        .cohorts
        .iter()
        .map(|c| c.customers as f64)
        .collect();
    let retention: Vec<f64> = scenario.cohorts.iter().map(mean_retention).collect();
    let mut totals = Vec::with_capacity(scenario.time.periods as usize);
    for t in 1..=scenario.time.periods {
        if let Some(acquisition) = &scenario.acquisition {
            let effects: [f64; 3] = std::array::from_fn(|d| {
                scenario.drivers[d]
                    .as_ref()
                    .map_or(0.0, |p| p.effect.acquisition)
            });
            let multiplier = path.multiplier(t, effects);
            for (ch, channel) in acquisition.channels.iter().enumerate() {
                let adstock = path.channel_adstock[t as usize - 1][ch];
                let acquired = channel.prospects as f64 * channel.probability(adstock, multiplier);
                for (c, share) in channel.mix.iter().enumerate() {
                    active[c] += acquired * share;
                }
            }
        }
        totals.push(active.clone());
        let mut next: Vec<f64> = active.iter().zip(&retention).map(|(n, r)| n * r).collect();
        for (c, cohort) in scenario.cohorts.iter().enumerate() {
            next[cohort.referral_cohort] += cohort.referrals * active[c];
        }
        active = next;
        let headcount: f64 = active.iter().sum();
        if !headcount.is_finite() || headcount > 1e15 {
            break;
        }
    }
    totals
}

fn mean_retention(cohort: &crate::scenario::Cohort) -> f64 {
    match cohort.retention {
        Retention::Rate { rate } => rate,
        Retention::MeanConcentration { mean, .. } => mean,
        Retention::ShiftedBetaGeometric { alpha, beta } => beta / (alpha + beta),
        Retention::Dropout { alpha, beta } => {
            let orders = match cohort.purchases {
                Purchases::Fixed { n } => n,
                Purchases::Poisson { mean } | Purchases::NegativeBinomial { mean, .. } => mean,
            };
            (1.0 - alpha / (alpha + beta) * orders).clamp(0.0, 1.0)
        }
    }
}

/// Refuses more runs × periods than the per-period results can hold in memory, whichever engine
/// runs.
pub fn check_run_periods(scenario: &Scenario, runs: u64) -> Result<(), SimError> {
    let periods = f64::from(scenario.time.periods);
    if runs as f64 * periods > MAX_RUN_PERIODS {
        return Err(SimError::TooLarge(format!(
            "{runs} runs × {periods} periods is more per-period results than fit in memory with \
             either engine; use at most {} runs for this horizon, or a shorter horizon",
            (MAX_RUN_PERIODS / periods).floor()
        )));
    }
    Ok(())
}

/// What else could run a study the per-customer engine cannot: the cohort engine, or why not.
fn alternative(choice: &EngineChoice) -> String {
    match &choice.cohort_unsupported {
        Some(reason) => format!(" (the cohort engine cannot run this scenario: {reason})"),
        None => "; the cohort engine (--engine cohort) runs it at a cost that does not grow \
                 with the number of customers and reports how much it approximates"
            .to_string(),
    }
}

/// Refuses a per-customer study that could not finish or fit in memory, naming the engine that
/// would have run (and why `auto` chose it) and what would make the study fit.
pub fn check_customer_engine(
    scenario: &Scenario,
    plan: &Plan,
    runs: u64,
    choice: &EngineChoice,
) -> Result<(), SimError> {
    check_run_periods(scenario, runs)?;
    let runs_f = runs as f64;
    let population = projected_population(scenario, plan);
    let peak = population.iter().cloned().fold(0.0, f64::max);
    let engine = if choice.reason == "as requested" {
        "the per-customer engine (as requested)".to_string()
    } else {
        format!("the per-customer engine (auto chose it: {})", choice.reason)
    };
    if !peak.is_finite() || peak > MAX_POPULATION as f64 {
        return Err(SimError::TooLarge(format!(
            "the customer base is projected to reach about {peak:.3e} customers at once; \
             {engine} holds at most {MAX_POPULATION}. It fits with scaled-down customer counts \
             and prospects, or lower referrals{}",
            alternative(choice)
        )));
    }
    let work = population.iter().sum::<f64>() * runs_f;
    if work > MAX_CUSTOMER_PERIODS {
        let affordable = (MAX_CUSTOMER_PERIODS / population.iter().sum::<f64>()).floor();
        return Err(SimError::TooLarge(format!(
            "{runs} runs need about {work:.2e} customer-periods on {engine}, which would take \
             hours; it fits with at most {affordable} runs, a shorter horizon or scaled-down \
             customer counts{}",
            alternative(choice)
        )));
    }
    Ok(())
}
