//! Budget optimization (SPEC §10): the split of spend across levers (and optionally the
//! retention shares by cohort) that maximizes expected or risk-adjusted customer equity.
//!
//! How the search is steered, and what is reported:
//!
//! 1. **Steer with the mean field.** One Monte Carlo evaluation of a realistic base costs
//!    seconds, so the search runs on the deterministic [`mean_field`] expectation, conditional
//!    on each of the first `mean_field_runs` runs' parameter draws and shocks (the same ones the
//!    Monte Carlo uses). The [`solver`] (spectral projected gradient over the
//!    [`projection`]-exact feasible set) starts from the baseline plan and from an equal split
//!    and keeps the better optimum. For criteria other than the mean, the criterion is applied
//!    to the per-run conditional expectations (customer-level chance is missing there, so the
//!    spread is understated; the share above a target is smoothed). The Monte Carlo steps
//!    below correct what this misses.
//! 2. **Refine with Monte Carlo on common random numbers.** At the mean-field optimum (rounded to
//!    whole currency units) the marginal return of each lever is measured by central finite
//!    differences on `search_runs` runs of the search seed ([`marginal`]); if a step along the
//!    projected Monte Carlo gradient improves the objective significantly on those runs, it is
//!    taken (at most `refine_steps` times) and the marginal returns are measured again.
//! 3. **Report on fresh seeds.** The chosen plan and the baseline are simulated with `runs`
//!    runs of an independent seed; the paired improvement, its 95% interval and the share of
//!    runs in which the chosen plan wins are reported. Every number shown to a user is Monte
//!    Carlo with its interval; the mean field only steered.

pub mod certify;
pub mod curves;
pub mod estimate;
pub mod marginal;
pub mod mean_field;
pub mod objective;
pub mod projection;
pub mod report;
pub mod saa;
pub mod solver;
pub mod space;
pub mod target;
pub mod termination;

use serde::Serialize;

use crate::scenario::{Lever, Objective as Criterion, Optimize, Plan, Scenario};
use crate::sim::rng::splitmix64;
use crate::sim::{self, EngineKind, SimError, SimOptions, Simulation};
use crate::stats::paired::PairedDifference;

use marginal::MarginalReturn;
use mean_field::MeanField;
use objective::{MeanFieldObjective, MonteCarloObjective, Objective, score};
use projection::InfeasibleError;
use solver::{Observer, Outcome, Problem, ProjectedGradient, State, execute};
use space::PlanSpace;
use termination::Termination;

/// Why an optimization could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimizeError {
    #[error(transparent)]
    Sim(#[from] SimError),
    /// Not a `#[source]`: the message already says why, and an error chain would say it twice.
    #[error("the constraints cannot all hold: {0}; widen the bounds or raise the budget")]
    Infeasible(InfeasibleError),
    #[error(
        "there is nothing to optimize: none of the levers has its section in the scenario \
         ([acquisition], [retention_program], [drivers.*])"
    )]
    NoLevers,
}

impl From<InfeasibleError> for OptimizeError {
    fn from(error: InfeasibleError) -> Self {
        OptimizeError::Infeasible(error)
    }
}

/// How to optimize. [`Settings::new`] gives the defaults of `ceq optimize`.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub optimize: Optimize,
    /// The baseline plan (start point and comparison).
    pub baseline: crate::scenario::PlanId,
    /// Runs of the final, fresh-seed evaluation of the chosen plan and the baseline.
    pub runs: u64,
    /// Runs of each Monte Carlo evaluation in the first round of the search.
    pub search_runs: u64,
    /// The most runs the search may grow to as it closes in.
    pub max_search_runs: u64,
    /// The least runs of a certification (fresh runs at the chosen plan).
    pub certify_runs: u64,
    /// The most Monte Carlo evaluations (simulations of one plan) before the search stops.
    pub max_evaluations: u64,
    /// One level per lever per year instead of one constant level (or `[optimize].phases`).
    pub phases: bool,
    /// Runs whose draws and shocks the mean field averages over (0: the scenario as written).
    pub mean_field_runs: u64,
    pub seed: u64,
    pub engine: EngineKind,
    pub max_iterations: u64,
    pub tolerance: f64,
    /// Most line-search iterations of the Monte Carlo search.
    pub refine_steps: u32,
    /// Certify the answer with marginal returns on fresh runs; off for the frontier.
    pub marginal: bool,
    /// The memory limit every simulation of the search is checked against.
    pub limits: crate::sim::size::Limits,
    /// Cancellation and run progress of every simulation of the search.
    pub control: crate::control::Control,
    /// The uncapped mean-field optimum ([`uncapped_optimum`]) when the caller has it already:
    /// a frontier or a report searches several budgets of one space, whose uncapped optimum is
    /// the same, so it is searched once (`None`: [`search`] finds it).
    pub uncapped_optimum: Option<Vec<f64>>,
}

impl Settings {
    /// Runs per evaluation in the search's first round (`--search-runs`).
    pub const DEFAULT_SEARCH_RUNS: u64 = 100;
    /// The most runs per evaluation the search may grow to (`--max-search-runs`).
    pub const DEFAULT_MAX_SEARCH_RUNS: u64 = 1600;
    /// The least fresh runs of the certification (`--certify-runs`).
    pub const DEFAULT_CERTIFY_RUNS: u64 = 400;
    /// The most Monte Carlo evaluations of a search (`--max-evaluations`).
    pub const DEFAULT_MAX_EVALUATIONS: u64 = 400;
    /// Runs the mean-field search averages over (`--mean-field-runs`).
    pub const DEFAULT_MEAN_FIELD_RUNS: u64 = 50;
    /// Iteration limit of the mean-field search per start (`--max-iterations`).
    pub const DEFAULT_MAX_ITERATIONS: u64 = 300;
    /// The most steps of the Monte Carlo search (`--refine-steps`).
    pub const DEFAULT_REFINE_STEPS: u32 = 40;

    /// The settings of a search of `optimize` from the plan at `baseline`, every number at its
    /// default.
    pub fn new(optimize: Optimize, baseline: crate::scenario::PlanId) -> Self {
        Settings {
            optimize,
            baseline,
            runs: 1000,
            search_runs: Settings::DEFAULT_SEARCH_RUNS,
            max_search_runs: Settings::DEFAULT_MAX_SEARCH_RUNS,
            certify_runs: Settings::DEFAULT_CERTIFY_RUNS,
            max_evaluations: Settings::DEFAULT_MAX_EVALUATIONS,
            phases: false,
            mean_field_runs: Settings::DEFAULT_MEAN_FIELD_RUNS,
            seed: 1,
            engine: EngineKind::Auto,
            max_iterations: Settings::DEFAULT_MAX_ITERATIONS,
            tolerance: 1e-6,
            refine_steps: Settings::DEFAULT_REFINE_STEPS,
            marginal: true,
            limits: crate::sim::size::Limits::default(),
            control: crate::control::Control::default(),
            uncapped_optimum: None,
        }
    }

    /// The seed of the final evaluation: independent of the search seed.
    pub fn fresh_seed(&self) -> u64 {
        splitmix64(self.seed ^ 0x0F7E_5EED_0000_0001)
    }
}

/// The mean-field search as a [`Problem`] over the [`PlanSpace`].
struct SpaceProblem<'a> {
    space: &'a PlanSpace,
    objective: &'a dyn Objective,
    /// Polled before each evaluation, so a cancelled search stops within one step.
    control: &'a crate::control::Control,
}

impl Problem for SpaceProblem<'_> {
    fn dim(&self) -> usize {
        self.space.dim()
    }
    fn value(&self, x: &[f64]) -> Result<f64, OptimizeError> {
        if self.control.cancelled() {
            return Err(SimError::Interrupted.into());
        }
        self.objective.score(&self.space.plan(x))
    }
    fn project(&self, x: &[f64]) -> Vec<f64> {
        self.space.project(x)
    }
    fn scale(&self) -> Vec<f64> {
        self.space.scale.clone()
    }
    fn bounds(&self, i: usize) -> (f64, f64) {
        self.space.bounds(i)
    }
}

/// Reports progress of a long search (the CLI draws it on a terminal).
pub trait Progress {
    /// A frequent update within a stage (redrawn in place on a terminal).
    fn message(&mut self, text: &str);
    /// The start of a long stage ("optimizing the budget split"): worth a line of its own in a
    /// log, where in-place updates are not shown.
    fn stage(&mut self, text: &str) {
        self.message(text);
    }
}

/// No progress shown.
pub struct Silent;

impl Progress for Silent {
    fn message(&mut self, _: &str) {}
}

struct IterationObserver<'a> {
    progress: &'a mut dyn Progress,
    start: &'static str,
}

impl Observer for IterationObserver<'_> {
    fn observe(&mut self, state: &State, evaluations: u64) {
        if state.iteration.is_multiple_of(10) {
            self.progress.message(&format!(
                "mean-field search from the {}: iteration {}, {} evaluations",
                self.start, state.iteration, evaluations
            ));
        }
    }
}

/// The mean-field search alone: the feasible space and the best optimum of the starts.
pub fn search(
    scenario: &Scenario,
    settings: &Settings,
    progress: &mut dyn Progress,
) -> Result<(PlanSpace, Outcome), OptimizeError> {
    let baseline = &scenario.plans[settings.baseline];
    let phases = settings.phases || settings.optimize.phases;
    let space = PlanSpace::phased(scenario, &settings.optimize, baseline, phases)?;
    let objective = MeanFieldObjective {
        mean_field: MeanField::new(scenario, settings.seed, settings.mean_field_runs),
        criterion: settings.optimize.objective,
    };
    let problem = SpaceProblem {
        space: &space,
        objective: &objective,
        control: &settings.control,
    };
    let mut starts = vec![
        ("baseline", space.baseline_point(scenario)),
        ("equal split", space.equal_point(scenario)),
    ];
    // A cap only removes plans, so relaxing it must never make the answer worse (issue 15: a
    // cap of 1e9 gave the baseline where no cap gave the optimum, because every step is in
    // proportion to the cap). The uncapped optimum, projected onto the cap, is a third start:
    // when it is within the cap it is the capped optimum too.
    if settings.optimize.budget.is_some() {
        let free = match &settings.uncapped_optimum {
            Some(x) => Some(x.clone()),
            None => uncapped_optimum(scenario, settings, progress)?,
        };
        if let Some(x) = free.filter(|x| x.len() == space.dim()) {
            starts.push(("uncapped optimum", space.project(&x)));
        }
    }
    let mut best: Option<Outcome> = None;
    let mut evaluations = 0;
    for (name, x0) in starts {
        let mut solver = ProjectedGradient::with_tolerance(settings.tolerance);
        let mut observer = IterationObserver {
            progress: &mut *progress,
            start: name,
        };
        let outcome = execute(
            &problem,
            &mut solver,
            x0,
            settings.max_iterations,
            &mut [&mut observer],
        )?;
        evaluations += outcome.evaluations;
        if best.as_ref().is_none_or(|b| outcome.value > b.value) {
            best = Some(outcome);
        }
    }
    let mut best = best.ok_or(OptimizeError::NoLevers)?;
    best.evaluations = evaluations;
    Ok((space, best))
}

/// The mean-field optimum of `settings` without the budget cap, in the coordinates of its
/// space, when that space has the capped one's dimension (`None` otherwise): the third start
/// of a capped [`search`].
pub fn uncapped_optimum(
    scenario: &Scenario,
    settings: &Settings,
    progress: &mut dyn Progress,
) -> Result<Option<Vec<f64>>, OptimizeError> {
    let mut uncapped = settings.clone();
    uncapped.optimize.budget = None;
    uncapped.uncapped_optimum = None;
    let (free_space, free) = search(scenario, &uncapped, progress)?;
    let baseline = &scenario.plans[settings.baseline];
    let phases = settings.phases || settings.optimize.phases;
    let space = PlanSpace::phased(scenario, &settings.optimize, baseline, phases)?;
    Ok((free_space.dim() == space.dim()).then_some(free.x))
}

/// Which constraints hold with equality at the chosen plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Binding {
    /// Levers at their lower bound (0 unless a bound says otherwise).
    pub lower: Vec<Lever>,
    /// Levers at their upper bound.
    pub upper: Vec<Lever>,
    /// Whether the budget is spent (to within rounding to whole units).
    pub budget: bool,
    /// Budget per period left unspent (`None` without a budget).
    pub unallocated: Option<f64>,
}

/// The Monte Carlo check of the chosen plan's optimality on fresh runs (SPEC §10).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Certification {
    /// Whether the marginal returns on fresh runs satisfy the optimality conditions.
    pub certified: bool,
    /// Seed and runs of the last check (independent of the search seed).
    pub seed: u64,
    pub runs: u64,
    /// Rounds of search and check (a failed check sends the search on with more runs).
    pub rounds: u32,
    /// The conditions the last check's numbers contradict (empty when certified).
    pub violations: Vec<certify::Violation>,
    /// Contradictions whose estimated gain is below `tolerance` of the objective: the data
    /// see a slope, but no move worth making.
    pub negligible: Vec<certify::Violation>,
    /// The share of the objective below which a contradiction is negligible.
    pub tolerance: f64,
    /// Why the search stopped when the plan is not certified.
    pub reason: Option<String>,
}

/// Everything `ceq optimize` reports.
#[derive(Debug, Clone)]
pub struct Optimization {
    pub space: PlanSpace,
    /// The chosen plan, named `optimized`.
    pub plan: Plan,
    /// Its coordinates in `space`.
    pub x: Vec<f64>,
    /// The mean-field search that gave the first starting point.
    pub search: Outcome,
    /// The mean-field score of the chosen plan (steering only, not a result).
    pub mean_field_score: f64,
    /// The last round of the Monte Carlo search.
    pub saa: Option<saa::SaaOutcome>,
    /// Line-search steps the Monte Carlo search took, over all rounds.
    pub refine_steps_taken: u32,
    pub monte_carlo_evaluations: u64,
    /// Marginal returns at the chosen plan, on the certification's fresh runs.
    pub marginal: Vec<MarginalReturn>,
    pub certification: Option<Certification>,
    pub binding: Binding,
    pub fresh_seed: u64,
    pub chosen: Simulation,
    pub baseline: Simulation,
    pub improvement: PairedDifference,
    /// The criterion's value for the chosen plan and the baseline on the fresh seeds.
    pub objective_value: [f64; 2],
    /// A phased plan against the best constant split on the fresh seeds (phased runs only).
    pub phasing: Option<Phasing>,
    /// The smallest-budget search, when `[optimize].target` asked for one.
    pub target: Option<target::TargetSearch>,
}

/// What phasing is worth: the phased optimum against the best constant split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phasing {
    /// The best constant split's spend per period, in `Lever` order of the space.
    pub constant_allocation: Vec<f64>,
    /// Phased minus constant, paired on the fresh runs.
    pub gain: PairedDifference,
}

impl Settings {
    /// The seed of certification round `round`: fresh, and independent of the search seed and
    /// of the final evaluation.
    pub fn certify_seed(&self, round: u32) -> u64 {
        splitmix64(self.seed ^ 0xCE27_1F1E_D000_0000 ^ u64::from(round))
    }

    fn saa_settings(&self) -> saa::SaaSettings {
        saa::SaaSettings {
            runs: self.search_runs,
            max_runs: self.max_search_runs.max(self.search_runs),
            max_evaluations: self.max_evaluations,
            max_iterations: self.refine_steps,
            initial_step: 0.1,
        }
    }
}

/// The Monte Carlo objective of `settings` on `runs` runs of `seed`.
fn monte_carlo<'a>(
    scenario: &'a Scenario,
    settings: &Settings,
    runs: u64,
    seed: u64,
) -> MonteCarloObjective<'a> {
    MonteCarloObjective {
        scenario,
        runs,
        seed,
        engine: settings.engine,
        limits: settings.limits,
        control: settings.control.clone(),
        criterion: settings.optimize.objective,
        hurdle: settings.optimize.hurdle,
    }
}

/// The chosen point: the mean-field search gives starting points, the Monte Carlo search
/// (SAA on common random numbers) climbs from the best of them, and, when `settings.marginal`,
/// each round's answer is checked on fresh runs and searched on with doubled runs until the
/// check passes or the evaluation budget runs out.
pub struct Choice {
    pub space: PlanSpace,
    pub outcome: Outcome,
    pub x: Vec<f64>,
    pub saa: Option<saa::SaaOutcome>,
    pub steps: u32,
    pub evaluations: u64,
    pub marginal: Vec<MarginalReturn>,
    pub certification: Option<Certification>,
}

/// Searches (mean field, then Monte Carlo) and certifies; see [`Choice`].
pub fn choose(
    scenario: &Scenario,
    settings: &Settings,
    progress: &mut dyn Progress,
) -> Result<Choice, OptimizeError> {
    let (mut space, outcome) = search(scenario, settings, progress)?;
    let first_year: f64 = outcome.x[..space.levers.len()].iter().sum();
    space.widen_scale(first_year);
    space.narrow_scale(first_year);
    let mut starts = vec![space.rounded(&outcome.x)];
    if space.spend_dim() == 0 || settings.search_runs == 0 {
        let x = starts.remove(0);
        return Ok(Choice {
            space,
            outcome,
            x,
            saa: None,
            steps: 0,
            evaluations: 0,
            marginal: Vec::new(),
            certification: None,
        });
    }
    starts.push(space.rounded(&space.baseline_point(scenario)));
    starts.push(space.rounded(&space.equal_point(scenario)));
    starts.dedup();
    let mut saa_settings = settings.saa_settings();
    let objective = monte_carlo(scenario, settings, saa_settings.runs, settings.seed);
    let mut evaluations = 0;
    let mut best: Option<(f64, Vec<f64>)> = None;
    progress.message("Monte Carlo: scoring the starting points");
    for x in starts {
        let value = objective.score(&space.plan(&x))?;
        evaluations += 1;
        if best.as_ref().is_none_or(|(b, _)| value > *b) {
            best = Some((value, x));
        }
    }
    let mut x = best.map(|(_, x)| x).unwrap_or_default();
    let mut steps = 0;
    let mut round = 0;
    loop {
        round += 1;
        saa_settings.max_evaluations = settings.max_evaluations.saturating_sub(evaluations);
        let objective_at = |runs: u64| monte_carlo(scenario, settings, runs, settings.seed);
        let mut report = |text: &str| progress.message(text);
        let found = saa::search(&space, x, &saa_settings, &objective_at, &mut report)?;
        evaluations += found.evaluations;
        steps += found.moves;
        x = found.x.clone();
        if !settings.marginal {
            return Ok(Choice {
                space,
                outcome,
                x,
                marginal: with_ce_returns(found.marginal.clone(), settings),
                saa: Some(found),
                steps,
                evaluations,
                certification: None,
            });
        }
        progress.message("certifying the plan: marginal returns on fresh runs");
        let seed = settings.certify_seed(round);
        let runs = found.runs.max(settings.certify_runs);
        let check = monte_carlo(scenario, settings, runs, seed);
        let (measured, centre) = marginal::marginal_returns_and_score(&space, &x, &check)?;
        evaluations += 1 + measured
            .iter()
            .map(MarginalReturn::evaluations)
            .sum::<u64>();
        let (negligible, violations): (Vec<_>, Vec<_>) =
            certify::check_with(&space, &x, &measured, centre)
                .into_iter()
                .partition(|v| v.negligible);
        let marginal = with_ce_returns(measured, settings);
        let exhausted = evaluations >= settings.max_evaluations;
        let saturated = found.runs >= saa_settings.max_runs;
        if violations.is_empty() || exhausted || saturated || found.stop == saa::SaaStop::Budget {
            let reason = (!violations.is_empty()).then(|| {
                if exhausted || found.stop == saa::SaaStop::Budget {
                    format!(
                        "the evaluation budget ({} Monte Carlo evaluations, --max-evaluations, \
                         or {} search steps, --refine-steps) ran out before the marginal \
                         returns agreed with optimality",
                        settings.max_evaluations, settings.refine_steps
                    )
                } else {
                    format!(
                        "at the most search runs allowed ({}, --max-search-runs) no step \
                         improved the plan, yet fresh runs contradict its optimality",
                        saa_settings.max_runs
                    )
                }
            });
            return Ok(Choice {
                space,
                outcome,
                x,
                saa: Some(found),
                steps,
                evaluations,
                marginal,
                certification: Some(Certification {
                    certified: violations.is_empty(),
                    seed,
                    runs,
                    rounds: round,
                    violations,
                    negligible,
                    tolerance: certify::TOLERANCE,
                    reason,
                }),
            });
        }
        progress.message("the check found a better direction: searching on with more runs");
        saa_settings.runs = (found.runs * 2).min(saa_settings.max_runs);
    }
}

/// With a hurdle h the search maximizes CE − h·(discounted spend), so the returns it measures
/// are of that objective; reported returns are of customer equity: add h per unit back.
fn with_ce_returns(mut marginal: Vec<MarginalReturn>, settings: &Settings) -> Vec<MarginalReturn> {
    if let Some(h) = settings.optimize.hurdle {
        for m in &mut marginal {
            let shift = h * m.annuity;
            m.value += shift;
            m.ci95 = [m.ci95[0] + shift, m.ci95[1] + shift];
            m.per_run.iter_mut().for_each(|v| *v += shift);
        }
    }
    marginal
}

/// The full optimization: mean-field start, Monte Carlo search on common random numbers,
/// certification on fresh runs, and the fresh-seed evaluation against the baseline.
pub fn optimize(
    scenario: &Scenario,
    settings: &Settings,
    progress: &mut dyn Progress,
) -> Result<Optimization, OptimizeError> {
    if let Some(wanted) = settings.optimize.target {
        let found = target::smallest_budget(scenario, settings, wanted, progress)?;
        let mut at = settings.clone();
        at.optimize.budget = Some(found.budget);
        at.optimize.objective = target::criterion_of(wanted).0;
        at.optimize.target = None;
        let mut result = optimize(scenario, &at, progress)?;
        result.target = Some(found);
        return Ok(result);
    }
    let criterion = settings.optimize.objective;
    let Choice {
        space,
        outcome,
        x,
        saa,
        steps,
        evaluations,
        marginal,
        certification,
    } = choose(scenario, settings, progress)?;
    let plan = space.plan(&x);
    let mean_field_score = outcome.value;
    let binding = binding(&space, &x);
    progress.message("final evaluation on fresh seeds: chosen plan");
    let fresh_seed = settings.fresh_seed();
    let options = SimOptions {
        plan: settings.baseline,
        runs: settings.runs,
        seed: fresh_seed,
        engine: settings.engine,
        limits: settings.limits,
        control: settings.control.clone(),
    };
    let chosen = sim::run_plan(scenario, &plan, &options)?;
    progress.message("final evaluation on fresh seeds: baseline");
    let baseline = sim::run(scenario, &options)?;
    let (chosen_ce, baseline_ce) = (ce(&chosen), ce(&baseline));
    let improvement = PairedDifference::new(&chosen_ce, &baseline_ce);
    let objective_value = [score(criterion, &chosen_ce), score(criterion, &baseline_ce)];
    let phasing = if space.phases > 1 {
        progress.message("the best constant split, to value the phasing");
        let mut constant = settings.clone();
        constant.phases = false;
        constant.optimize.phases = false;
        constant.marginal = false;
        let best = choose(scenario, &constant, &mut Silent)?;
        let constant_plan = best.space.plan(&best.x);
        let values = ce(&sim::run_plan(scenario, &constant_plan, &options)?);
        Some(Phasing {
            constant_allocation: best.x[..best.space.spend_dim()].to_vec(),
            gain: PairedDifference::new(&chosen_ce, &values),
        })
    } else {
        None
    };
    Ok(Optimization {
        space,
        plan,
        x,
        search: outcome,
        mean_field_score,
        saa,
        refine_steps_taken: steps,
        monte_carlo_evaluations: evaluations,
        marginal,
        certification,
        binding,
        fresh_seed,
        chosen,
        baseline,
        improvement,
        objective_value,
        phasing,
        target: None,
    })
}

/// Customer equity of each run.
fn ce(s: &Simulation) -> Vec<f64> {
    s.runs.iter().map(|r| r.customer_equity).collect()
}

/// Bounds and budget that hold with equality at `x` (to within rounding).
pub fn binding(space: &PlanSpace, x: &[f64]) -> Binding {
    let mut lower = Vec::new();
    let mut upper = Vec::new();
    let at = |i: usize, phase: usize| {
        let j = space.phase_range(phase).start + i;
        let (lo, hi) = space.bounds(j);
        let tolerance = 1e-6 * space.scale[j] + 1.0;
        (x[j] <= lo + tolerance, x[j] >= hi - tolerance)
    };
    for (i, &lever) in space.levers.iter().enumerate() {
        if (0..space.phases).all(|p| at(i, p).0) {
            lower.push(lever);
        } else if (0..space.phases).all(|p| at(i, p).1) {
            upper.push(lever);
        }
    }
    // Phased: the budget binds when it binds in every year; unallocated is the largest gap.
    let spent = (0..space.phases)
        .map(|p| x[space.phase_range(p)].iter().sum::<f64>())
        .fold(f64::INFINITY, f64::min);
    let spent = if spent.is_finite() { spent } else { 0.0 };
    let unallocated = space.budget.map(|b| (b - spent).max(0.0));
    let budget =
        unallocated.is_some_and(|u| u <= space.levers.len() as f64 + 1e-6 * space.scale[0]);
    Binding {
        lower,
        upper,
        budget,
        unallocated,
    }
}

/// The criterion as the user wrote it, for reports.
pub fn describe_criterion(criterion: Criterion) -> String {
    match criterion {
        Criterion::Mean => "mean customer equity".to_string(),
        Criterion::MeanMinusSd(l) => format!("mean − {l}·sd of customer equity"),
        Criterion::Cvar(a) => format!("CVaR {a}: mean of the worst {}% of runs", a * 100.0),
        Criterion::ProbAbove(t) => format!("probability that customer equity exceeds {t}"),
    }
}

/// How the search ended, in a sentence for the text output and the report: certified
/// ("converged"), not certified with the conditions the fresh runs contradict, or, when no
/// certification ran, the mean-field search's own reason.
pub fn describe_outcome(result: &Optimization) -> String {
    match &result.certification {
        Some(c) if c.certified => format!(
            "converged: on {} fresh runs the marginal returns satisfy the optimality conditions \
             within their simultaneous 95% intervals ({} round(s) of search and check)",
            c.runs, c.rounds
        ),
        Some(c) => format!(
            "not certified: {}; on {} fresh runs {}",
            c.reason.as_deref().unwrap_or("the search stopped"),
            c.runs,
            c.violations
                .iter()
                .map(|v| format!("{} {} ({:.1} standard errors)", v.lever, v.condition, v.z))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        None => result.search.termination.describe(),
    }
}

/// The termination of the search, for reports.
pub fn describe_termination(outcome: &Outcome) -> String {
    format!(
        "{} ({} iterations, {} mean-field evaluations)",
        outcome.termination.describe(),
        outcome.iterations,
        outcome.evaluations
    )
}

impl Termination {
    /// A short machine name: "converged", "max_iterations" or "stalled".
    pub fn code(&self) -> &'static str {
        match self {
            Termination::Converged { .. } => "converged",
            Termination::MaxIterations { .. } => "max_iterations",
            Termination::Stalled => "stalled",
        }
    }
}
