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

/// Bytes the per-run results of one plan take in memory: per run a [`crate::sim::RunResult`]
/// with one `PeriodRun` (5 × 8 bytes) per period and one `CohortRun` (3 × 8 bytes, a vector
/// header of 24 and 8 bytes per period) per cohort, plus the run's own fields and vector
/// headers (about 160 bytes). Counted from the types' layout, not measured.
pub fn result_bytes_per_run(scenario: &Scenario) -> f64 {
    let periods = f64::from(scenario.time.periods);
    let cohorts = scenario.cohorts.len() as f64;
    160.0 + 40.0 * periods + cohorts * (48.0 + 8.0 * periods)
}

/// The default memory limit: half the machine's memory (Linux `MemTotal`), or 4 GiB where
/// it cannot be read.
pub fn default_memory_limit() -> f64 {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024.0)
        });
    total.map_or(4.0 * GIB, |bytes| bytes / 2.0)
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// `--max-memory` in bytes, 0 for the default ([`default_memory_limit`]). One process-wide
/// setting, like the thread count, set once by the command line before any work.
static MEMORY_LIMIT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Sets the memory limit (bytes) the checks below refuse past.
pub fn set_memory_limit(bytes: u64) {
    MEMORY_LIMIT.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

/// The memory limit in force, in bytes.
pub fn memory_limit() -> f64 {
    match MEMORY_LIMIT.load(std::sync::atomic::Ordering::Relaxed) {
        0 => default_memory_limit(),
        bytes => bytes as f64,
    }
}

/// Refuses a study whose results — `runs` runs of each of `plans` plans held at once, as
/// `compare` and `report` hold them — would not fit in the memory limit, before any work.
pub fn check_memory(scenario: &Scenario, runs: u64, plans: usize) -> Result<(), SimError> {
    let per_run = result_bytes_per_run(scenario);
    let need = per_run * runs as f64 * plans.max(1) as f64;
    let limit = memory_limit();
    if need > limit {
        let affordable = (limit / (per_run * plans.max(1) as f64)).floor();
        return Err(SimError::TooLarge(format!(
            "{runs} runs of {plans} plan(s) × {} periods × {} cohorts need about {:.1} GiB for \
             their results, above the memory limit of {:.1} GiB (--max-memory; by default half \
             the machine's memory); use at most {affordable} runs, fewer plans or a shorter \
             horizon",
            scenario.time.periods,
            scenario.cohorts.len(),
            need / GIB,
            limit / GIB
        )));
    }
    Ok(())
}

/// Parses a `--max-memory` size: bytes, or with a suffix K, M, G or T (powers of 1024).
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&text[..i], text[i..].to_ascii_uppercase()),
        None => (text, String::new()),
    };
    let scale = match unit.trim_end_matches(['B', 'I']) {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => GIB,
        "T" => GIB * 1024.0,
        _ => return Err(format!("'{text}': expected a size such as 512M or 8G")),
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n > 0.0 && (n * scale) < 1.8e19 => Ok((n * scale) as u64),
        _ => Err(format!("'{text}': expected a size > 0 such as 512M or 8G")),
    }
}

#[cfg(test)]
mod memory_tests {
    use super::*;

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_memory("512M"), Ok(512 << 20));
        assert_eq!(parse_memory("8G"), Ok(8 << 30));
        assert_eq!(parse_memory("2GiB"), Ok(2 << 30));
        assert_eq!(parse_memory("1000"), Ok(1000));
        assert!(parse_memory("0").is_err());
        assert!(parse_memory("5X").is_err());
    }
}
