//! Monte Carlo engines.
//!
//! Every engine produces one [`RunResult`] per run; run k draws only from streams derived from
//! (seed, k) (see [`rng`]), and runs are collected in run order, so results are byte-identical
//! at any thread count (SPEC §11).

pub mod approx;
pub mod cohort;
pub mod customer;
pub mod estimate;
pub mod history_bins;
pub mod levers;
pub mod period;
pub mod rng;
pub mod setup;
pub mod shard;
pub mod size;

use crate::scenario::{Plan, Scenario};
use crate::stats::{Components, Origin};

/// Which engine simulates (SPEC §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// The fastest engine that supports the scenario.
    #[default]
    Auto,
    /// Every customer, every period.
    Customer,
    /// Counts per cohort per period.
    Cohort,
}

impl EngineKind {
    /// The engine named `name` ("auto", "customer" or "cohort").
    pub fn from_name(name: &str) -> Option<Self> {
        [EngineKind::Auto, EngineKind::Customer, EngineKind::Cohort]
            .into_iter()
            .find(|e| e.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Auto => "auto",
            EngineKind::Customer => "customer",
            EngineKind::Cohort => "cohort",
        }
    }
}

/// What to simulate and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// The plan of `scenario` that [`run`] simulates.
    pub plan: crate::scenario::PlanId,
    pub runs: u64,
    pub seed: u64,
    pub engine: EngineKind,
    /// The memory limit (`--max-memory`) the study is checked against before it starts.
    pub limits: size::Limits,
    /// The cancellation token polled before each run and the sink told of each finished run.
    pub control: crate::control::Control,
}

/// One run's totals; money is discounted to period 0.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RunResult {
    pub customer_equity: f64,
    pub components: Components,
    pub origin: Origin,
    /// Indexed like `scenario.cohorts`.
    pub cohorts: Vec<CohortRun>,
    /// One entry per period 1..=H.
    pub periods: Vec<PeriodRun>,
    /// Uncertain-parameter draws that fell outside their domain and were clamped.
    pub clamped_draws: u32,
    /// Indexed like the scenario's acquisition channels (empty without acquisition).
    #[serde(default)]
    pub channels: Vec<ChannelRun>,
    /// Per acquisition channel, the discounted value of the customers it brought in this run
    /// (SPEC §4), measured after the run by [`crate::plans::channels::measure_channel_values`];
    /// empty unless measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_values: Vec<f64>,
    /// Per cohort, V(t) of a vintage acquired into it in this run's world (SPEC §9.1), by
    /// [`crate::plans::payback::measure_vintages`]; empty for cohorts no channel feeds and
    /// unless measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vintages: Vec<Vec<f64>>,
}

/// One acquisition channel's customers and costs in one run (SPEC §4, §9); money discounted.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct ChannelRun {
    /// Customers the channel acquired over the horizon.
    pub acquired: f64,
    /// The same, each discounted by its period's factor (what a cost in present value buys).
    pub acquired_discounted: f64,
    /// The channel's spend, discounted.
    pub spend: f64,
    /// Its onboarding cost, discounted.
    pub onboarding: f64,
}

/// One cohort's totals in one run, in cohort order ([`RunResult::cohort`] reads one by
/// [`crate::scenario::CohortId`]); money discounted to period 0.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CohortRun {
    pub customer_equity: f64,
    pub active_end: f64,
    pub entered: f64,
    /// Customers active in this cohort during each period 1..=H (the pyramid's evolution).
    pub active: Vec<f64>,
}

/// One period of one run.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct PeriodRun {
    /// Active during the period (after this period's acquisition and referrals).
    pub active: f64,
    /// Acquired plus referred customers who start in this period.
    pub new: f64,
    pub orders: f64,
    pub revenue: f64,
    /// Discounted CE of periods 1..=t.
    pub cumulative_ce: f64,
    /// Lapsed customers in the win-back pool at the start of the period (SPEC §5b).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lapsed: f64,
    /// Customers reactivated from the pool in the period.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reactivated: f64,
    /// Customers released by off-boarding at the end of the period (SPEC §7).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub released: f64,
}

/// For `skip_serializing_if`: fields of the pyramid levers stay out of results that lack them.
pub fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// The runs of one simulation, in run order, with the engine that made them.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub engine: EngineKind,
    pub runs: Vec<RunResult>,
    /// Where the engine departs from the exact model (empty when exact).
    pub approximations: Vec<String>,
}

/// Why a simulation was refused or failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("{0}")]
    TooLarge(String),
    #[error("plan index {0} does not exist")]
    NoSuchPlan(crate::scenario::PlanId),
    #[error("the {0} engine does not support this scenario: {1}")]
    Unsupported(&'static str, String),
    /// The call's [`crate::control::CancelToken`] was cancelled (by the command line's signal
    /// handler, [`crate::cancel`], or by the caller); the runs made so far are discarded.
    #[error("interrupted")]
    Interrupted,
}

/// Runs `options.runs` independent runs of `scenario` under its plan `options.plan`.
pub fn run(scenario: &Scenario, options: &SimOptions) -> Result<Simulation, SimError> {
    let plan = scenario
        .plan(options.plan)
        .ok_or(SimError::NoSuchPlan(options.plan))?;
    run_plan(scenario, plan, options)
}

/// Runs `options.runs` independent runs of `scenario` under `plan`, which need not be one of
/// the scenario's own plans (the optimizer's candidates); `options.plan` is ignored.
///
/// Runs are spread over rayon's pool and collected in run order; each run draws only from its
/// own streams, so the result is the same at any thread count. Run k's parameter draws and
/// shocks do not depend on the plan, so plans evaluated with the same seed share them (common
/// random numbers).
pub fn run_plan(
    scenario: &Scenario,
    plan: &Plan,
    options: &SimOptions,
) -> Result<Simulation, SimError> {
    run_plan_range(scenario, plan, options, 0..options.runs)
}

/// Runs only the runs numbered `range` (a shard of `options.runs`); run k is the same run k an
/// unsharded study makes, so shards concatenated in order equal the whole study.
pub fn run_plan_range(
    scenario: &Scenario,
    plan: &Plan,
    options: &SimOptions,
    range: std::ops::Range<u64>,
) -> Result<Simulation, SimError> {
    use rayon::prelude::*;
    let choice = choose_engine(scenario, plan, options)?;
    let engine = choice.engine;
    let threads = rayon::current_num_threads();
    let count = range.end.saturating_sub(range.start);
    // Time first: a study that could never finish is refused as such whatever the memory.
    size::check_run_periods(scenario, options.runs)?;
    estimate::Work::new(
        "the simulation",
        scenario,
        plan,
        choice.clone(),
        count as f64,
        count,
        threads,
    )
    .check()?;
    if engine == EngineKind::Customer {
        size::check_customer_engine(scenario, plan, &choice, &options.limits, threads)?;
    }
    size::check_memory(scenario, count, 1, &options.limits)?;
    let cap = size::population_cap(scenario, plan, &options.limits, threads);
    let runs = range
        .into_par_iter()
        .map(|k| {
            if options.control.cancelled() {
                return Err(SimError::Interrupted);
            }
            let mut setup = setup::RunSetup::new(scenario, plan, options.seed, k);
            setup.history = choice.history;
            let result = match engine {
                EngineKind::Cohort => cohort::simulate_run(&setup, options.seed, k),
                _ => customer::simulate_run(&setup, options.seed, k, &cap),
            };
            options.control.run_finished();
            result
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Simulation {
        engine,
        runs,
        approximations: choice.approximations,
    })
}

/// The engine that will run, why, and the approximations it makes.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineChoice {
    pub engine: EngineKind,
    /// Where the engine departs from the exact model, each with its measured size (empty when
    /// exact); `auto` adds the comparison with the Monte Carlo error that let it approximate.
    pub approximations: Vec<String>,
    /// Why this engine: "as requested", or the reason `auto` gave.
    pub reason: String,
    /// Why the cohort engine cannot run the scenario, if it cannot.
    pub cohort_unsupported: Option<String>,
    /// How the cohort engine simulates large histories: binned, or per history when `auto`
    /// found the bins' errors too large for the study.
    pub history: history_bins::HistoryPath,
}

/// How many runs of the cohort engine `auto` makes to estimate the study's Monte Carlo error
/// when the cohort engine approximates.
pub const PILOT_RUNS: u64 = 16;

/// `auto` approximates only when the approximation's bound on the bias of CE is below this
/// share of the study's Monte Carlo standard error.
pub const APPROXIMATION_SHARE_OF_ERROR: f64 = 0.1;

/// The largest relative error of the variance of CE that `auto` lets binned histories make
/// in a study of `runs` runs: the sd then moves by at most half of it, which must stay below
/// [`APPROXIMATION_SHARE_OF_ERROR`] of the Monte Carlo standard error of the sd, about
/// sd/√(2·runs) (the normal approximation, Kendall & Stuart): ε/2 < ⅒/√(2·runs).
pub fn spread_allowed(runs: u64) -> f64 {
    2.0 * APPROXIMATION_SHARE_OF_ERROR / (2.0 * runs.max(1) as f64).sqrt()
}

/// The engine that will run `options.runs` runs of `scenario` under `plan`.
///
/// `auto` takes the cohort engine when it is cheaper by a rough cost model (the customer
/// engine's customer-periods against the cohort engine's populated and empty stratum-periods,
/// `customer_cost`, `cohort_cost`) and either exact for the scenario or approximate by
/// less than a tenth of the study's Monte Carlo error:
///
/// bias bound = Σ_c share_c·ε_c × G  <  ⅒ · sd(CE)/√runs,
///
/// where ε_c is the measured relative error of cohort c's expected customer-periods
/// ([`cohort::support`]), share_c the cohort's share of the projected customer-periods, G the
/// mean of the customer-driven flows |purchase margin| + |extra value| + |cost to serve| +
/// |retention spend| and sd(CE) the standard deviation of CE, both over [`PILOT_RUNS`] cohort
/// runs of the scenario's baseline plan with the study's seed (runs 0..16 of the study, so a
/// shard makes the same choice as the whole study and every plan of a comparison or
/// optimization gets the same engine). Binned histories also change the spread: their
/// measured relative error of the variance of the base's revenue ([`history_bins::BinError`])
/// must be below [`spread_allowed`] for the study's runs. When the bins fail either test,
/// `auto` tries the exact per-history cohort path (its own approximations, the same test)
/// before it falls back to the per-customer engine.
pub fn choose_engine(
    scenario: &Scenario,
    plan: &Plan,
    options: &SimOptions,
) -> Result<EngineChoice, SimError> {
    use history_bins::HistoryPath;
    let support = cohort::support(scenario);
    let cohort_unsupported = support.as_ref().err().cloned();
    let choice = |engine, approximations, reason: String| EngineChoice {
        engine,
        approximations,
        reason,
        cohort_unsupported: cohort_unsupported.clone(),
        history: HistoryPath::Binned,
    };
    let describe = |approximations: &[cohort::Approximation]| -> Vec<String> {
        approximations
            .iter()
            .map(|a| a.description.clone())
            .collect()
    };
    match options.engine {
        EngineKind::Customer => Ok(choice(
            EngineKind::Customer,
            Vec::new(),
            "as requested".into(),
        )),
        EngineKind::Cohort => support
            .map(|approximations| {
                choice(
                    EngineKind::Cohort,
                    describe(&approximations),
                    "as requested".into(),
                )
            })
            .map_err(|reason| SimError::Unsupported("cohort", reason)),
        EngineKind::Auto => {
            let approximations = match support {
                Ok(a) => a,
                Err(reason) => {
                    return Ok(choice(
                        EngineKind::Customer,
                        Vec::new(),
                        format!("the cohort engine cannot run it: {reason}"),
                    ));
                }
            };
            let by_cohort = size::projected_customer_periods(scenario, plan);
            if cohort_cost(scenario, plan) >= customer_cost(scenario, &by_cohort) {
                return Ok(choice(
                    EngineKind::Customer,
                    Vec::new(),
                    "the customers are too few for counts by stratum to be cheaper".into(),
                ));
            }
            if approximations.is_empty() {
                return Ok(choice(
                    EngineKind::Cohort,
                    Vec::new(),
                    "the cohort engine is exact for it and cheaper".into(),
                ));
            }
            if let Some(a) = approximations.iter().find(|a| a.relative_error.is_none()) {
                return Ok(choice(
                    EngineKind::Customer,
                    Vec::new(),
                    format!(
                        "the cohort engine's approximation is not measured: {}",
                        a.description
                    ),
                ));
            }
            let mut judge = Judge {
                scenario,
                options,
                by_cohort: &by_cohort,
                pilot: None,
            };
            let verdict = judge.mean(&approximations)?;
            let binned: Vec<(usize, f64)> = (0..scenario.cohorts.len())
                .filter_map(|c| {
                    history_bins::history_bins(scenario, c).map(|b| (c, b.error.spread))
                })
                .collect();
            let spread = binned.iter().map(|b| b.1).fold(0.0, f64::max);
            let allowed = spread_allowed(options.runs);
            let spread_verdict = format!(
                "binned histories change the variance of the base's revenue by up to \
                 {spread:.1e} (relative), against {allowed:.1e} allowed for {} runs (a tenth of \
                 the Monte Carlo error of the sd)",
                options.runs
            );
            let spread_ok = spread <= allowed;
            if verdict.ok && spread_ok {
                let mut notes = describe(&approximations);
                let mut took = verdict.note.clone();
                if !binned.is_empty() {
                    took.push_str(&format!("; {spread_verdict}"));
                }
                notes.push(took);
                return Ok(choice(EngineKind::Cohort, notes, verdict.reason));
            }
            let refused = match (verdict.ok, spread_ok) {
                (false, true) => verdict.reason.clone(),
                (true, false) => spread_verdict.clone(),
                _ => format!("{}; {spread_verdict}", verdict.reason),
            };
            if binned.is_empty() {
                return Ok(choice(EngineKind::Customer, Vec::new(), refused));
            }
            // The bins are refused: the exact per-history cohort path, if its own
            // approximations pass.
            let exact = cohort::support_on(scenario, HistoryPath::Exact)
                .map_err(|reason| SimError::Unsupported("cohort", reason))?;
            let exact_verdict = if exact.is_empty() {
                Verdict {
                    ok: true,
                    reason: "the cohort engine is exact for it".into(),
                    note: String::new(),
                }
            } else {
                judge.mean(&exact)?
            };
            let names: Vec<String> = binned
                .iter()
                .map(|&(c, _)| format!("`{}`", scenario.cohorts[c].name))
                .collect();
            if exact_verdict.ok {
                let mut notes = describe(&exact);
                notes.push(format!(
                    "auto took the cohort engine with the exact per-history path for the \
                     histories of cohort {}: binning them was refused ({refused}); per history, \
                     {}",
                    names.join(", "),
                    exact_verdict.reason
                ));
                return Ok(EngineChoice {
                    history: HistoryPath::Exact,
                    ..choice(EngineKind::Cohort, notes, exact_verdict.reason)
                });
            }
            Ok(choice(
                EngineKind::Customer,
                Vec::new(),
                format!("{refused}; per history, {}", exact_verdict.reason),
            ))
        }
    }
}

/// What `auto` concluded of a set of approximations: whether they pass, the reason, and the
/// note it adds to the approximations when the cohort engine runs.
struct Verdict {
    ok: bool,
    reason: String,
    note: String,
}

/// `auto`'s test of a set of approximations against the study's Monte Carlo error, with the
/// pilot runs made once.
struct Judge<'a> {
    scenario: &'a Scenario,
    options: &'a SimOptions,
    by_cohort: &'a [f64],
    pilot: Option<Pilot>,
}

impl Judge<'_> {
    /// Whether the approximations' bound on the bias of mean CE is below
    /// [`APPROXIMATION_SHARE_OF_ERROR`] of the study's standard error, and why.
    fn mean(&mut self, approximations: &[cohort::Approximation]) -> Result<Verdict, SimError> {
        let total = self.by_cohort.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let relative: f64 = approximations
            .iter()
            .map(|a| a.relative_error.unwrap_or(0.0) * self.by_cohort[a.cohort] / total)
            .sum();
        if relative <= 0.0 {
            return Ok(Verdict {
                ok: true,
                reason: "the cohort engine's approximations leave mean CE unbiased".into(),
                note: "auto took the cohort engine: its approximations leave mean CE unbiased"
                    .into(),
            });
        }
        let pilot = match self.pilot.take() {
            Some(p) => p,
            None => pilot(self.scenario, self.options)?,
        };
        let bias = relative * pilot.gross;
        let std_error = pilot.sd / (self.options.runs.max(1) as f64).sqrt();
        let verdict = format!(
            "the approximations bound the bias of mean CE by {bias:.3e} ({relative:.2e} of \
             its customer-driven flows of {:.3e}), against a Monte Carlo standard error of \
             about {std_error:.3e} for {} runs (sd {:.3e} over {PILOT_RUNS} pilot runs)",
            pilot.gross, self.options.runs, pilot.sd
        );
        self.pilot = Some(pilot);
        Ok(if bias < APPROXIMATION_SHARE_OF_ERROR * std_error {
            Verdict {
                ok: true,
                note: format!("auto took the cohort engine: {verdict}, below a tenth of it"),
                reason: verdict,
            }
        } else {
            Verdict {
                ok: false,
                reason: format!("{verdict}, not below a tenth of it"),
                note: String::new(),
            }
        })
    }
}

/// Rough nanoseconds per run of the per-customer engine: a customer-period costs about 3 ns
/// with `{ rate }` retention (geometric jumps between leavers) and 10 ns otherwise (one
/// uniform, or per-customer draws for dropout and own order-value scales), as measured by
/// `cargo bench --bench engine`.
fn customer_cost(scenario: &Scenario, customer_periods: &[f64]) -> f64 {
    scenario
        .cohorts
        .iter()
        .zip(customer_periods)
        .map(|(cohort, n)| {
            let unit = match cohort.retention {
                crate::scenario::Retention::Rate { .. } => 3.0,
                _ => 10.0,
            };
            unit * n
        })
        .sum()
}

/// Rough nanoseconds per run of the cohort engine: per period about 12 ns for each stratum
/// that holds customers (a few binomial draws; more for large counts, less for one or two
/// customers) and 1 ns for each empty one, for each origin that can hold customers (new
/// customers only arrive by acquisition, referrals or migration).
fn cohort_cost(scenario: &Scenario, plan: &Plan) -> f64 {
    let peaks = size::projected_peaks(scenario, plan);
    let periods = f64::from(scenario.time.periods);
    let arrivals = scenario.acquisition.is_some()
        || scenario.cohorts.iter().any(|c| c.referrals > 0.0)
        || scenario.migration.iter().any(|row| !row.is_empty());
    let origins = if arrivals { 2.0 } else { 1.0 };
    (0..scenario.cohorts.len())
        .map(|c| {
            let strata = cohort::strata_count(scenario, c) as f64;
            let populated = cohort::populated_strata(scenario, c, peaks[c].max(1.0));
            origins * periods * (12.0 * populated + 1.0 * strata)
        })
        .sum()
}

/// What [`PILOT_RUNS`] cohort runs say about a study's spread.
struct Pilot {
    sd: f64,
    gross: f64,
}

fn pilot(scenario: &Scenario, options: &SimOptions) -> Result<Pilot, SimError> {
    use rayon::prelude::*;
    let plan = scenario
        .plan(scenario.baseline_plan)
        .ok_or(SimError::NoSuchPlan(scenario.baseline_plan))?;
    let runs = (0..PILOT_RUNS)
        .into_par_iter()
        .map(|k| {
            if options.control.cancelled() {
                return Err(SimError::Interrupted);
            }
            let setup = setup::RunSetup::new(scenario, plan, options.seed, k);
            cohort::simulate_run(&setup, options.seed, k)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let n = runs.len() as f64;
    let mean = runs.iter().map(|r| r.customer_equity).sum::<f64>() / n;
    let variance = runs
        .iter()
        .map(|r| (r.customer_equity - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0).max(1.0);
    let gross = runs
        .iter()
        .map(|r| {
            let c = &r.components;
            c.purchase_margin.abs()
                + c.extra_value.abs()
                + c.cost_to_serve.abs()
                + c.retention.abs()
        })
        .sum::<f64>()
        / n;
    Ok(Pilot {
        sd: variance.sqrt(),
        gross,
    })
}
