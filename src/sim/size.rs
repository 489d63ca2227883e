//! Refusing work that could never finish (issue: "sizes that could never finish are refused").
//!
//! A mean-field projection of expected customers per period (mean retention, expected
//! acquisition and referrals) estimates the per-customer engine's work before it starts.

use crate::model::plan_path::PlanPath;
use crate::scenario::{Lever, Plan, Purchases, Retention, Scenario};
use crate::sim::SimError;
use crate::sim::customer::MAX_POPULATION;

/// More customer-periods than this (over all runs) would take hours on a laptop.
pub const MAX_CUSTOMER_PERIODS: f64 = 1e12;
/// More runs × periods than this would not fit the per-period results in memory.
pub const MAX_RUN_PERIODS: f64 = 5e7;

/// Expected customers active in each period of one run, by mean-field projection.
pub fn projected_population(scenario: &Scenario, plan: &Plan) -> Vec<f64> {
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
            let spend = path.spend[t as usize - 1][Lever::Acquisition.index()];
            let prospects = acquisition.prospects as f64;
            if prospects > 0.0 {
                let effects: [f64; 3] = std::array::from_fn(|d| {
                    scenario.drivers[d]
                        .as_ref()
                        .map_or(0.0, |p| p.effect.acquisition)
                });
                let a = (acquisition.ceiling
                    * acquisition.curve.fraction(spend / prospects)
                    * path.multiplier(t, effects))
                .min(1.0);
                for (c, share) in acquisition.mix.iter().enumerate() {
                    active[c] += prospects * a * share;
                }
            }
        }
        totals.push(active.iter().sum());
        let mut next: Vec<f64> = active.iter().zip(&retention).map(|(n, r)| n * r).collect();
        for (c, cohort) in scenario.cohorts.iter().enumerate() {
            next[cohort.referral_cohort] += cohort.referrals * active[c];
        }
        active = next;
        if totals
            .last()
            .is_some_and(|&n: &f64| !n.is_finite() || n > 1e15)
        {
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

/// Refuses more runs × periods than the per-period results can hold in memory.
pub fn check_run_periods(scenario: &Scenario, runs: u64) -> Result<(), SimError> {
    let periods = f64::from(scenario.time.periods);
    if runs as f64 * periods > MAX_RUN_PERIODS {
        return Err(SimError::TooLarge(format!(
            "{runs} runs × {periods} periods is more per-period results than fit in memory; use at \
             most {} runs for this horizon",
            (MAX_RUN_PERIODS / periods).floor()
        )));
    }
    Ok(())
}

/// Refuses a per-customer study that could not finish or fit in memory, saying what would.
pub fn check_customer_engine(scenario: &Scenario, plan: &Plan, runs: u64) -> Result<(), SimError> {
    check_run_periods(scenario, runs)?;
    let runs_f = runs as f64;
    let population = projected_population(scenario, plan);
    let peak = population.iter().cloned().fold(0.0, f64::max);
    if !peak.is_finite() || peak > MAX_POPULATION as f64 {
        return Err(SimError::TooLarge(format!(
            "the customer base is projected to reach about {peak:.3e} customers at once; the \
             per-customer engine holds at most {MAX_POPULATION}. Use --engine cohort (or auto), \
             scale the customer counts and prospects down, or lower referrals"
        )));
    }
    let work = population.iter().sum::<f64>() * runs_f;
    if work > MAX_CUSTOMER_PERIODS {
        let affordable = (MAX_CUSTOMER_PERIODS / population.iter().sum::<f64>()).floor();
        return Err(SimError::TooLarge(format!(
            "this study needs about {work:.2e} customer-periods, which would take hours; use at \
             most {affordable} runs, a shorter horizon, --engine cohort (or auto), or scaled-down \
             customer counts"
        )));
    }
    Ok(())
}
