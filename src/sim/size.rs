//! Refusing work that could never finish (issue: "sizes that could never finish are refused").
//!
//! A mean-field projection of expected customers per period (mean retention, expected
//! acquisition and referrals) estimates the per-customer engine's work before it starts.

use crate::model::plan_path::PlanPath;
use crate::scenario::{Plan, Purchases, Retention, Scenario};
use crate::sim::customer::MAX_POPULATION;
use crate::sim::{EngineChoice, SimError};

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

/// Expected customers arriving in each cohort in each period (outer index t − 1), acquired
/// or referred, by the same projection (migration and win-back are not projected).
pub fn projected_arrivals(scenario: &Scenario, plan: &Plan) -> Vec<Vec<f64>> {
    let mut arrivals = Vec::new();
    projection_with(scenario, plan, |period| arrivals.push(period.to_vec()));
    arrivals
}

/// Expected customers active in each cohort during each period (outer index t − 1).
pub(crate) fn projection(scenario: &Scenario, plan: &Plan) -> Vec<Vec<f64>> {
    projection_with(scenario, plan, |_| {})
}

/// [`projection`], handing `arrived` each period's expected arrivals per cohort.
fn projection_with(
    scenario: &Scenario,
    plan: &Plan,
    mut arrived: impl FnMut(&[f64]),
) -> Vec<Vec<f64>> {
    let path = PlanPath::new(scenario, plan);
    let mut entering = vec![0.0; scenario.cohorts.len()];
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
                    entering[c] += acquired * share;
                }
            }
        }
        arrived(&entering);
        totals.push(active.clone());
        let mut next: Vec<f64> = active.iter().zip(&retention).map(|(n, r)| n * r).collect();
        entering.iter_mut().for_each(|n| *n = 0.0);
        for (c, cohort) in scenario.cohorts.iter().enumerate() {
            next[cohort.referral_cohort] += cohort.referrals * active[c];
            entering[cohort.referral_cohort] += cohort.referrals * active[c];
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
pub(crate) fn alternative(choice: &EngineChoice) -> String {
    match &choice.cohort_unsupported {
        Some(reason) => format!(" (the cohort engine cannot run this scenario: {reason})"),
        None => "; the cohort engine (--engine cohort) runs it at a cost that does not grow \
                 with the number of customers and reports how much it approximates"
            .to_string(),
    }
}

/// Refuses a per-customer study whose customers could not fit in memory, before any work: the
/// projected peak must stay within [`MAX_POPULATION`] and, held on every one of `threads`
/// threads at [`BYTES_PER_CUSTOMER`], within the memory limit. The message names the engine
/// that would have run (and why `auto` chose it), the scenario keys that make the base grow and
/// what would make the study fit. The time the study takes is checked apart
/// ([`crate::sim::estimate`]).
pub fn check_customer_engine(
    scenario: &Scenario,
    plan: &Plan,
    choice: &EngineChoice,
    limits: &Limits,
    threads: usize,
) -> Result<(), SimError> {
    let population = projected_population(scenario, plan);
    let peak = population.iter().cloned().fold(0.0, f64::max);
    let engine = engine_words(choice);
    if !peak.is_finite() || peak > MAX_POPULATION as f64 {
        return Err(SimError::TooLarge(format!(
            "the customer base is projected to reach about {peak:.3e} customers at once; \
             {engine} holds at most {MAX_POPULATION}. It grows through {}; it fits with \
             scaled-down customer counts and prospects, or lower referrals{}",
            growth_keys(scenario),
            alternative(choice)
        )));
    }
    let threads = threads.max(1) as f64;
    let need = peak * BYTES_PER_CUSTOMER * threads;
    if need > limits.memory_bytes {
        let affordable = (limits.memory_bytes / (BYTES_PER_CUSTOMER * threads)).floor();
        return Err(SimError::TooLarge(format!(
            "the customer base is projected to reach about {peak:.3e} customers at once, about \
             {} of customer records on {threads} thread(s) of {engine}, above the memory limit \
             of {} (--max-memory; by default half the machine's memory). It grows through {}; \
             it fits with at most {affordable} customers at once (scaled-down customer counts \
             and prospects, or lower referrals), fewer threads (--threads){}",
            bytes_words(need),
            bytes_words(limits.memory_bytes),
            growth_keys(scenario),
            alternative(choice)
        )));
    }
    Ok(())
}

/// "the per-customer engine (as requested)" or "… (auto chose it: …)".
pub(crate) fn engine_words(choice: &EngineChoice) -> String {
    let name = match choice.engine {
        crate::sim::EngineKind::Cohort => "the cohort engine",
        _ => "the per-customer engine",
    };
    if choice.reason == "as requested" {
        format!("{name} (as requested)")
    } else {
        format!("{name} (auto chose it: {})", choice.reason)
    }
}

/// Bytes one customer takes in the per-customer engine: its 24-byte record (three `f64`
/// traits), doubled because a growing vector may hold twice its length while it reallocates.
pub const BYTES_PER_CUSTOMER: f64 = 48.0;

/// A run whose customers outgrow the mean-field projection's peak by this factor (and
/// [`GROWTH_FLOOR`]) is stopped: it is growing without bound (drawn referrals above churn, say),
/// and stopping it there keeps it to a few hundred MB instead of gigabytes per thread.
pub const GROWTH_FACTOR: f64 = 100.0;

/// The least customers a run may always hold (about 480 MB per thread), however small the
/// projection.
pub const GROWTH_FLOOR: f64 = 1e7;

/// The most customers one run of the per-customer engine may hold at once, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationCap {
    pub customers: u64,
    /// What sets the cap and what makes the base grow, for the engine's message.
    pub why: String,
}

/// The population cap of a run of `plan` with `threads` runs at once: the least of
/// [`MAX_POPULATION`], the memory limit's share per thread at [`BYTES_PER_CUSTOMER`], and
/// [`GROWTH_FACTOR`] × the projected peak (at least [`GROWTH_FLOOR`]).
pub fn population_cap(
    scenario: &Scenario,
    plan: &Plan,
    limits: &Limits,
    threads: usize,
) -> PopulationCap {
    let peak = projected_population(scenario, plan)
        .into_iter()
        .fold(0.0, f64::max);
    let share = limits.memory_bytes / (threads.max(1) as f64 * BYTES_PER_CUSTOMER);
    let growth = (GROWTH_FACTOR * peak).max(GROWTH_FLOOR);
    let bounds = [
        (
            MAX_POPULATION as f64,
            "the most the per-customer engine holds".to_string(),
        ),
        (
            share,
            format!(
                "its share of the memory limit of {} on {threads} thread(s) (--max-memory)",
                bytes_words(limits.memory_bytes)
            ),
        ),
        (
            growth,
            format!(
                "{GROWTH_FACTOR}× the {peak:.3e} customers projected at the scenario's mean \
                 parameters, so the run was growing without bound"
            ),
        ),
    ];
    let (customers, why) = bounds
        .into_iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or((MAX_POPULATION as f64, String::new()));
    PopulationCap {
        customers: customers.floor().max(0.0) as u64,
        why: format!("{why}; the base grows through {}", growth_keys(scenario)),
    }
}

/// The scenario keys that make a customer base grow, with their values: acquisition prospects,
/// referrals, and the uncertain parameters among them or the retentions.
pub fn growth_keys(scenario: &Scenario) -> String {
    let mut keys = Vec::new();
    if let Some(acquisition) = &scenario.acquisition {
        for channel in &acquisition.channels {
            let key = if acquisition.single {
                "acquisition.prospects".to_string()
            } else {
                format!("acquisition.channels.{}.prospects", channel.name)
            };
            keys.push(format!("{key} = {}", channel.prospects));
        }
    }
    let drawn = |path: &str| scenario.uncertainty.iter().any(|p| p.path == path);
    for cohort in &scenario.cohorts {
        let path = format!("cohorts.{}.referrals", cohort.name);
        if cohort.referrals > 0.0 || drawn(&path) {
            keys.push(format!("{path} = {}", cohort.referrals));
        }
    }
    for key in &mut keys {
        let path = key.split(" = ").next().unwrap_or("").to_string();
        if drawn(&path) {
            key.push_str(" (drawn per run in [uncertainty])");
        }
    }
    for parameter in &scenario.uncertainty {
        let path = &parameter.path;
        if path.contains(".retention") {
            keys.push(format!("{path} (drawn per run in [uncertainty])"));
        }
    }
    if keys.is_empty() {
        "its existing customers only (no acquisition or referrals)".to_string()
    } else {
        keys.join(", ")
    }
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

/// "512 MiB", "1.5 GiB": bytes in the unit a reader compares with `--max-memory`.
pub fn bytes_words(bytes: f64) -> String {
    if bytes < 1024.0 * 1024.0 {
        format!("{:.0} KiB", (bytes / 1024.0).max(0.0))
    } else if bytes < GIB {
        format!("{:.0} MiB", bytes / (1024.0 * 1024.0))
    } else {
        format!("{:.1} GiB", bytes / GIB)
    }
}

/// Resource limits of a study (SPEC §12.3), passed in by the caller with its other options
/// (the command line's `--max-memory`), never read from a process-wide setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Bytes a study may hold at once: its per-run results, and the per-customer engine's
    /// customers on every thread.
    pub memory_bytes: f64,
}

impl Limits {
    /// A memory limit of `bytes`.
    pub fn with_memory(bytes: u64) -> Self {
        Limits {
            memory_bytes: bytes as f64,
        }
    }
}

impl Default for Limits {
    /// [`default_memory_limit`].
    fn default() -> Self {
        Limits {
            memory_bytes: default_memory_limit(),
        }
    }
}

/// Refuses a study whose results — `runs` runs of each of `plans` plans held at once, as
/// `compare` and `report` hold them — would not fit in the memory limit, before any work.
pub fn check_memory(
    scenario: &Scenario,
    runs: u64,
    plans: usize,
    limits: &Limits,
) -> Result<(), SimError> {
    let per_run = result_bytes_per_run(scenario);
    let need = per_run * runs as f64 * plans.max(1) as f64;
    let limit = limits.memory_bytes;
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
