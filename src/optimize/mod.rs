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

pub mod curves;
pub mod marginal;
pub mod mean_field;
pub mod objective;
pub mod projection;
pub mod solver;
pub mod space;
pub mod termination;

use serde::Serialize;

use crate::scenario::{Lever, Objective as Criterion, Optimize, Plan, Scenario};
use crate::sim::rng::splitmix64;
use crate::sim::{self, EngineKind, SimError, SimOptions, Simulation};
use crate::stats::paired::PairedDifference;

use marginal::{MarginalReturn, marginal_returns};
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
    #[error("the constraints cannot all hold: {0}; widen the bounds or raise the budget")]
    Infeasible(#[from] InfeasibleError),
    #[error(
        "there is nothing to optimize: none of the levers has its section in the scenario \
         ([acquisition], [retention_program], [drivers.*])"
    )]
    NoLevers,
}

/// How to optimize. [`Settings::new`] gives the defaults of `ceq optimize`.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub optimize: Optimize,
    /// Index of the baseline plan (start point and comparison).
    pub baseline: usize,
    /// Runs of the final, fresh-seed evaluation of the chosen plan and the baseline.
    pub runs: u64,
    /// Runs of each Monte Carlo evaluation during refinement and marginal returns.
    pub search_runs: u64,
    /// Runs whose draws and shocks the mean field averages over (0: the scenario as written).
    pub mean_field_runs: u64,
    pub seed: u64,
    pub engine: EngineKind,
    pub max_iterations: u64,
    pub tolerance: f64,
    /// Most Monte Carlo steps taken after the mean-field optimum.
    pub refine_steps: u32,
    /// Measure marginal returns (and refine); off for the frontier.
    pub marginal: bool,
}

impl Settings {
    pub fn new(optimize: Optimize, baseline: usize) -> Self {
        Settings {
            optimize,
            baseline,
            runs: 1000,
            search_runs: 100,
            mean_field_runs: 50,
            seed: 1,
            engine: EngineKind::Auto,
            max_iterations: 300,
            tolerance: 1e-6,
            refine_steps: 1,
            marginal: true,
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
}

impl Problem for SpaceProblem<'_> {
    fn dim(&self) -> usize {
        self.space.dim()
    }
    fn value(&self, x: &[f64]) -> Result<f64, OptimizeError> {
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
    fn message(&mut self, text: &str);
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
    let space = PlanSpace::new(scenario, &settings.optimize, baseline)?;
    let objective = MeanFieldObjective {
        mean_field: MeanField::new(scenario, settings.seed, settings.mean_field_runs),
        criterion: settings.optimize.objective,
    };
    let problem = SpaceProblem {
        space: &space,
        objective: &objective,
    };
    let starts = [
        ("baseline", space.baseline_point(scenario)),
        ("equal split", space.equal_point(scenario)),
    ];
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

/// Everything `ceq optimize` reports.
#[derive(Debug, Clone)]
pub struct Optimization {
    pub space: PlanSpace,
    /// The chosen plan, named `optimized`.
    pub plan: Plan,
    /// Its coordinates in `space`.
    pub x: Vec<f64>,
    /// The mean-field search.
    pub search: Outcome,
    /// The mean-field score of the chosen plan (steering only, not a result).
    pub mean_field_score: f64,
    pub refine_steps_taken: u32,
    pub monte_carlo_evaluations: u64,
    pub marginal: Vec<MarginalReturn>,
    pub binding: Binding,
    pub fresh_seed: u64,
    pub chosen: Simulation,
    pub baseline: Simulation,
    pub improvement: PairedDifference,
    /// The criterion's value for the chosen plan and the baseline on the fresh seeds.
    pub objective_value: [f64; 2],
}

/// The full optimization: mean-field search, Monte Carlo refinement and marginal returns,
/// fresh-seed evaluation against the baseline.
pub fn optimize(
    scenario: &Scenario,
    settings: &Settings,
    progress: &mut dyn Progress,
) -> Result<Optimization, OptimizeError> {
    let criterion = settings.optimize.objective;
    let (space, outcome) = search(scenario, settings, progress)?;
    let mut x = space.rounded(&outcome.x);
    let monte_carlo = MonteCarloObjective {
        scenario,
        runs: settings.search_runs,
        seed: settings.seed,
        engine: settings.engine,
        criterion,
    };
    let mut marginal = Vec::new();
    let mut refine_steps_taken = 0;
    let mut monte_carlo_evaluations = 0;
    if settings.marginal && !space.levers.is_empty() {
        progress.message("marginal returns by Monte Carlo on common random numbers");
        marginal = marginal_returns(&space, &x, &monte_carlo)?;
        monte_carlo_evaluations += 1 + marginal.iter().map(evaluations_of).sum::<u64>();
        for _ in 0..settings.refine_steps {
            let Some(candidate) = refinement_step(&space, &x, &marginal) else {
                break;
            };
            progress.message("checking a Monte Carlo refinement step");
            let here = monte_carlo.per_run(&space.plan(&x))?;
            let there = monte_carlo.per_run(&space.plan(&candidate))?;
            monte_carlo_evaluations += 2;
            let (_, ci) = marginal::derivative(criterion, &there, &here, 1.0, 99);
            if ci[0] <= 0.0 {
                break;
            }
            x = candidate;
            refine_steps_taken += 1;
            progress.message("marginal returns at the refined plan");
            marginal = marginal_returns(&space, &x, &monte_carlo)?;
            monte_carlo_evaluations += 1 + marginal.iter().map(evaluations_of).sum::<u64>();
        }
    }
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
    };
    let chosen = sim::run_plan(scenario, &plan, &options)?;
    progress.message("final evaluation on fresh seeds: baseline");
    let baseline = sim::run(scenario, &options)?;
    let ce = |s: &Simulation| {
        s.runs
            .iter()
            .map(|r| r.customer_equity)
            .collect::<Vec<f64>>()
    };
    let (chosen_ce, baseline_ce) = (ce(&chosen), ce(&baseline));
    let improvement = PairedDifference::new(&chosen_ce, &baseline_ce);
    let objective_value = [score(criterion, &chosen_ce), score(criterion, &baseline_ce)];
    Ok(Optimization {
        space,
        plan,
        x,
        search: outcome,
        mean_field_score,
        refine_steps_taken,
        monte_carlo_evaluations,
        marginal,
        binding,
        fresh_seed,
        chosen,
        baseline,
        improvement,
        objective_value,
    })
}

fn evaluations_of(m: &MarginalReturn) -> u64 {
    if m.difference == "central" { 2 } else { 1 }
}

/// A step along the projected Monte Carlo gradient whose largest move is 10% of the spend
/// scale (the budget, or without one the larger of the scale and the current total spend),
/// rounded; `None` when it does not move (the marginal returns already satisfy the optimality
/// conditions).
fn refinement_step(space: &PlanSpace, x: &[f64], marginal: &[MarginalReturn]) -> Option<Vec<f64>> {
    let k = space.levers.len();
    let total: f64 = x[..k].iter().sum();
    let size: Vec<f64> = (0..k).map(|i| space.scale[i].max(total)).collect();
    let largest = (0..k)
        .map(|i| (marginal[i].value * size[i]).abs())
        .fold(0.0, f64::max);
    if largest.is_nan() || largest <= 0.0 {
        return None;
    }
    let t = 0.1 / largest;
    let mut trial = x.to_vec();
    for i in 0..k {
        trial[i] += t * size[i] * size[i] * marginal[i].value;
    }
    let candidate = space.rounded(&space.project(&trial));
    let moved = (0..k).any(|i| (candidate[i] - x[i]).abs() > 1e-3 * size[i]);
    moved.then_some(candidate)
}

/// Bounds and budget that hold with equality at `x` (to within rounding).
pub fn binding(space: &PlanSpace, x: &[f64]) -> Binding {
    let mut lower = Vec::new();
    let mut upper = Vec::new();
    for (i, &lever) in space.levers.iter().enumerate() {
        let (lo, hi) = space.bounds(i);
        let tolerance = 1e-6 * space.scale[i] + 1.0;
        if x[i] <= lo + tolerance {
            lower.push(lever);
        } else if x[i] >= hi - tolerance {
            upper.push(lever);
        }
    }
    let spent: f64 = x[..space.levers.len()].iter().sum();
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
