//! The result of `ceq optimize` as a document of the library: [`OptimizeReport`] holds every
//! number the command prints or writes (`--json`, optimize.json), and its `explanation` says in
//! words what to do, how sure ceq is and why. Built here, next to the optimizer, so a Rust user
//! gets the whole result without the command line; the text, JSON and files are exports of it.

use serde::Serialize;

use super::space::PlanSpace;
use super::{Optimization, Settings, describe_criterion};
use crate::format::{
    percent_one_decimal as percent, rate, signed_whole as signed, whole as money,
    whole_interval as interval,
};
use crate::plans::OrderedMap;
use crate::scenario::{Lever, Objective, Scenario};
use crate::stats::{Distribution, SimulationSummary};

/// The plan an [`OptimizeReport`] starts from and its CE.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineReport {
    pub plan: String,
    pub customer_equity: Distribution,
}

/// The paired gain of the optimized plan over the baseline: mean, 95% interval, P(better).
#[derive(Debug, Clone, Serialize)]
pub struct ImprovementReport {
    pub mean: f64,
    pub ci95: [f64; 2],
    pub prob_better: f64,
    pub std_error: f64,
}

/// The objective (mean, CVaR, …) of the optimized and the baseline plan.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectiveValues {
    pub optimized: f64,
    pub baseline: f64,
}

/// Why and after how much work the search stopped.
#[derive(Debug, Clone, Serialize)]
pub struct TerminationReport {
    pub reason: &'static str,
    pub message: String,
    pub iterations: u64,
    pub mean_field_evaluations: u64,
    pub monte_carlo_evaluations: u64,
    pub refine_steps_taken: u32,
}

/// The levers held at a lower or upper bound, and whether the budget binds.
#[derive(Debug, Clone, Serialize)]
pub struct BindingReport {
    pub lower: Vec<String>,
    pub upper: Vec<String>,
    pub budget: bool,
}

/// One number per lever, or one per year for a phased plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PerLever<T> {
    Constant(T),
    Yearly(Vec<T>),
}

/// Lever name → value, or per-year list when phased, from per-coordinate values.
fn per_lever<T: Clone>(space: &PlanSpace, values: &[T]) -> OrderedMap<PerLever<T>> {
    OrderedMap(
        space
            .levers
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let path: Vec<T> = (0..space.phases)
                    .filter_map(|p| values.get(space.phase_range(p).start + i).cloned())
                    .collect();
                let value = if space.phases > 1 || path.len() != 1 {
                    PerLever::Yearly(path)
                } else {
                    PerLever::Constant(path[0].clone())
                };
                (space.names[i].clone(), value)
            })
            .collect(),
    )
}

/// What phasing is worth against the best constant split (phased runs).
#[derive(Debug, Clone, Serialize)]
pub struct PhasingReport {
    pub constant_allocation: OrderedMap,
    pub gain: ImprovementReport,
}

/// The search's own seed and run counts (the figures reported are re-estimated apart).
#[derive(Debug, Clone, Serialize)]
pub struct SearchReport {
    pub seed: u64,
    pub search_runs: u64,
    pub mean_field_runs: u64,
    /// The mean-field score of the chosen plan: steering only, not a result.
    pub mean_field_objective: f64,
}

/// `ceq optimize --json`: the summary keys of `ceq simulate` for the chosen plan on fresh
/// seeds, then SPEC §13's optimize keys, then extras.
#[derive(Debug, Clone, Serialize)]
pub struct OptimizeReport {
    #[serde(flatten)]
    pub summary: SimulationSummary,
    pub budget: Option<f64>,
    pub objective: Objective,
    pub allocation: OrderedMap<PerLever<f64>>,
    pub retention_allocation: Option<OrderedMap>,
    pub baseline: BaselineReport,
    pub improvement: ImprovementReport,
    /// d objective / d spend per period (kept for compatibility: the same as
    /// `derivative_per_period`).
    pub marginal_return: OrderedMap<PerLever<f64>>,
    pub marginal_return_ci95: OrderedMap<PerLever<[f64; 2]>>,
    /// d objective / d spend per period: one more unit in every period the lever covers.
    pub derivative_per_period: OrderedMap<PerLever<f64>>,
    pub derivative_per_period_ci95: OrderedMap<PerLever<[f64; 2]>>,
    /// Customer equity added per extra unit of discounted spend on the lever, net of the
    /// unit (mean criterion): "each extra 1 USD returns 0.42 USD" on top of itself.
    pub return_per_unit: OrderedMap<PerLever<f64>>,
    pub return_per_unit_ci95: OrderedMap<PerLever<[f64; 2]>>,
    pub certification: Option<crate::optimize::Certification>,
    pub phasing: Option<PhasingReport>,
    pub hurdle: Option<f64>,
    /// The smallest-budget search (`[optimize].target`): the target, the budget found,
    /// whether it is reached, and every budget tried with the best split's objective there.
    pub target: Option<crate::optimize::target::TargetSearch>,
    pub objective_value: ObjectiveValues,
    pub termination: TerminationReport,
    pub binding: BindingReport,
    pub unallocated: Option<f64>,
    pub search: SearchReport,
    pub explanation: Vec<String>,
}

impl OptimizeReport {
    /// The report of a 1:(1/`fraction`) sample as the full base's (SPEC §9.2): the summary,
    /// the baseline's CE, the improvement and the objective values (mean, mean − λ·sd and CVaR
    /// are amounts of CE; a probability is not) times 1/`fraction`. Spends, the budget and the
    /// returns per extra unit stay as they are.
    pub fn scaled_to_full_base(&self, fraction: f64) -> OptimizeReport {
        let k = 1.0 / fraction;
        let mut scaled = self.clone();
        scaled.summary = crate::stats::scaled_summary(&self.summary, fraction);
        scaled.baseline.customer_equity =
            crate::stats::scale_distribution(&self.baseline.customer_equity, k);
        scaled.improvement.mean *= k;
        scaled.improvement.std_error *= k;
        scaled.improvement.ci95 = self.improvement.ci95.map(|x| x * k);
        if !matches!(self.objective, Objective::ProbAbove(_)) {
            scaled.objective_value.optimized *= k;
            scaled.objective_value.baseline *= k;
        }
        scaled
    }
}

pub fn optimize_report(
    scenario: &Scenario,
    settings: &Settings,
    result: &Optimization,
    summary: SimulationSummary,
) -> OptimizeReport {
    let space = &result.space;
    let allocation = per_lever(space, &result.x[..space.spend_dim()]);
    let values: Vec<f64> = result.marginal.iter().map(|m| m.value).collect();
    let cis: Vec<[f64; 2]> = result.marginal.iter().map(|m| m.ci95).collect();
    let per_unit: Vec<f64> = result.marginal.iter().map(|m| m.per_unit()).collect();
    let per_unit_cis: Vec<[f64; 2]> = result.marginal.iter().map(|m| m.per_unit_ci95()).collect();
    let phasing = result.phasing.as_ref().map(|p| PhasingReport {
        constant_allocation: OrderedMap(
            space
                .levers
                .iter()
                .zip(&p.constant_allocation)
                .map(|(l, v)| (space.name_of(*l).to_string(), *v))
                .collect(),
        ),
        gain: ImprovementReport {
            mean: p.gain.mean,
            ci95: p.gain.ci95,
            prob_better: p.gain.prob_a_better,
            std_error: p.gain.std_error,
        },
    });
    let retention_allocation = result.plan.retention_allocation.as_ref().map(|shares| {
        OrderedMap(
            scenario
                .cohorts
                .iter()
                .zip(shares)
                .map(|(c, v)| (c.name.clone(), *v))
                .collect(),
        )
    });
    let baseline_values: Vec<f64> = result
        .baseline
        .runs
        .iter()
        .map(|r| r.customer_equity)
        .collect();
    let baseline_name = scenario.plans[settings.baseline].name.clone();
    let explanation = explain(scenario, settings, result, &baseline_name, &summary);
    OptimizeReport {
        budget: settings.optimize.budget,
        objective: settings.optimize.objective,
        allocation,
        retention_allocation,
        baseline: BaselineReport {
            plan: baseline_name,
            customer_equity: crate::stats::describe::describe(&baseline_values),
        },
        improvement: ImprovementReport {
            mean: result.improvement.mean,
            ci95: result.improvement.ci95,
            prob_better: result.improvement.prob_a_better,
            std_error: result.improvement.std_error,
        },
        marginal_return: per_lever(space, &values),
        marginal_return_ci95: per_lever(space, &cis),
        derivative_per_period: per_lever(space, &values),
        derivative_per_period_ci95: per_lever(space, &cis),
        return_per_unit: per_lever(space, &per_unit),
        return_per_unit_ci95: per_lever(space, &per_unit_cis),
        certification: result.certification.clone(),
        phasing,
        hurdle: settings.optimize.hurdle,
        target: result.target.clone(),
        objective_value: ObjectiveValues {
            optimized: result.objective_value[0],
            baseline: result.objective_value[1],
        },
        termination: TerminationReport {
            reason: termination_code(result),
            message: termination_message(result),
            iterations: result.search.iterations,
            mean_field_evaluations: result.search.evaluations,
            monte_carlo_evaluations: result.monte_carlo_evaluations,
            refine_steps_taken: result.refine_steps_taken,
        },
        binding: BindingReport {
            lower: result
                .binding
                .lower
                .iter()
                .map(|l| space.name_of(*l).to_string())
                .collect(),
            upper: result
                .binding
                .upper
                .iter()
                .map(|l| space.name_of(*l).to_string())
                .collect(),
            budget: result.binding.budget,
        },
        unallocated: result.binding.unallocated,
        search: SearchReport {
            seed: settings.seed,
            search_runs: settings.search_runs,
            mean_field_runs: settings.mean_field_runs,
            mean_field_objective: result.mean_field_score,
        },
        summary,
        explanation,
    }
}

/// "converged" only when fresh runs certify the plan; "not_certified" when they contradict
/// it; the mean-field search's own reason when no certification ran.
fn termination_code(result: &Optimization) -> &'static str {
    match &result.certification {
        Some(c) if c.certified => "converged",
        Some(_) => "not_certified",
        None => result.search.termination.code(),
    }
}

/// The termination in a sentence (the library's, so the report says the same).
pub fn termination_message(result: &Optimization) -> String {
    crate::optimize::describe_outcome(result)
}

/// The report in words: what to do, how sure, why.
fn explain(
    scenario: &Scenario,
    settings: &Settings,
    result: &Optimization,
    baseline: &str,
    summary: &SimulationSummary,
) -> Vec<String> {
    let currency = &scenario.currency;
    let mut words = Vec::new();
    let d = &result.improvement;
    let base_mean = summary.customer_equity.mean - d.mean;
    let runs = settings.runs;
    let against = format!("`{baseline}`");
    // SPEC §9.2: the words speak of the full base (÷ 1 for a scenario of the whole base).
    let amount = |v: f64| format!("{} {currency}", money(v / scenario.sample_fraction));
    let verdict = crate::narrative::Verdict::of(d.ci95);
    let mut first = crate::narrative::gain_sentence(
        &crate::narrative::Gain {
            subject: "The optimized split",
            against: &against,
            mean: d.mean,
            ci95: d.ci95,
            prob_better: d.prob_a_better,
            runs,
        },
        &amount,
    );
    match verdict {
        crate::narrative::Verdict::Higher => {
            if base_mean.abs() > 0.0 {
                first.push_str(&format!(
                    " That is {:+.1}% of the baseline's mean.",
                    100.0 * d.mean / base_mean.abs()
                ));
            }
        }
        crate::narrative::Verdict::Lower => first.push_str(&format!(
            " It was chosen for the objective ({}), on which it scores {} against {}.",
            describe_criterion(settings.optimize.objective),
            money(result.objective_value[0]),
            money(result.objective_value[1])
        )),
        crate::narrative::Verdict::CannotTell => first.push_str(
            " The current split is close to optimal, or more runs (--runs) are needed to see \
             the difference.",
        ),
    }
    words.push(first);
    let binding = &result.binding;
    let space = &result.space;
    let mean_criterion = matches!(settings.optimize.objective, Objective::Mean);
    for m in &result.marginal {
        let name = crate::optimize::certify::coordinate_name(space, m);
        let [lo, hi] = m.per_unit_ci95();
        words.push(if mean_criterion {
            format!(
                "Each extra 1 {currency} on {name} returns {} {currency} of customer equity on \
                 top of itself (95% CI {} to {}).",
                rate(m.per_unit()),
                rate(lo),
                rate(hi)
            )
        } else {
            format!(
                "Each extra 1 {currency} of discounted spend on {name} changes the objective by \
                 {} (95% CI {} to {}).",
                rate(m.per_unit()),
                rate(lo),
                rate(hi)
            )
        });
    }
    if let Some(h) = settings.optimize.hurdle {
        words.push(format!(
            "Hurdle: money goes to a lever only while its next 1 {currency} returns at least {} \
             {currency} on top of itself.",
            rate(h)
        ));
    }
    if let Some(c) = &result.certification {
        words.push(if c.certified {
            format!(
                "Certified: on {} fresh runs (seed {}) the marginal returns satisfy the \
                 optimality conditions within their simultaneous 95% intervals — equal returns \
                 for levers between their bounds when the budget binds, zero when it does not, \
                 the right sign at a bound (Karush–Kuhn–Tucker; Blattberg & Deighton 1996).",
                c.runs, c.seed
            )
        } else {
            format!(
                "Not certified: {}.",
                termination_message(result).trim_start_matches("not certified: ")
            )
        });
    }
    for (i, lever) in space.levers.iter().enumerate() {
        let m = result.marginal.iter().find(|m| m.lever == *lever);
        let (lo, hi) = space.bounds(i);
        let ret = m.map_or(String::new(), |m| {
            let [a, b] = m.per_unit_ci95();
            format!(
                " (each extra 1 {currency} returns {}, 95% CI {} to {})",
                rate(m.per_unit()),
                rate(a),
                rate(b)
            )
        });
        if binding.lower.contains(lever) {
            if lo == 0.0 {
                words.push(format!(
                    "{} gets nothing: money there returns less than elsewhere{ret}.",
                    space.names[i]
                ));
            } else {
                words.push(format!(
                    "{} is held at its lower bound {}: it returns less than the other levers{ret}; \
                     the bound, not the return, keeps it there.",
                    space.names[i],
                    money(lo)
                ));
            }
        } else if binding.upper.contains(lever) {
            words.push(format!(
                "{} is at its upper bound {}: it would get more without the bound{ret}.",
                space.names[i],
                money(hi)
            ));
        }
    }
    let retention = space.levers.iter().position(|l| *l == Lever::Retention);
    if let (Some(i), Some(_)) = (retention, &space.shares)
        && result.x[i] == 0.0
    {
        words.push(
            "With no retention spend the retention shares by cohort have no effect; they are \
             shown for completeness."
                .to_string(),
        );
    }
    match binding.unallocated {
        Some(_) if binding.budget => words.push("The whole budget is spent.".to_string()),
        Some(left) => words.push(format!(
            "{} {currency} per period of the budget is left unallocated: spending it on any \
             lever would lower the objective (each marginal return is below zero there).",
            money(left)
        )),
        None => words.push(format!(
            "There is no budget cap; the optimizer chose to spend {} {currency} per period in \
             total (where an extra unit stops paying for itself, if the marginal returns are \
             zero within their intervals).",
            money(result.x[..space.levers.len()].iter().sum())
        )),
    }
    if let Some(t) = &result.target {
        let wanted = match t.target {
            crate::scenario::Target::Mean(level) => {
                format!(
                    "mean customer equity of at least {} {currency}",
                    money(level)
                )
            }
            crate::scenario::Target::ProbAbove {
                threshold,
                probability,
            } => format!(
                "a {} chance that customer equity exceeds {} {currency}",
                percent(probability),
                money(threshold)
            ),
        };
        words.push(if t.reached {
            format!(
                "Target: the smallest budget whose best split reaches {wanted} is about {} \
                 {currency} per period (to within 1%, {} budgets tried on the search runs); \
                 the split above is that budget's, checked on fresh runs.",
                money(t.budget),
                t.tried.len()
            )
        } else {
            format!(
                "Target not reached: no budget up to {} {currency} per period reaches {wanted} \
                 on the search runs; the split above is the best at that budget.",
                money(t.budget)
            )
        });
    }
    let runs_used = result.saa.as_ref().map_or(0, |o| o.runs);
    words.push(format!(
        "Search: from the mean-field start ({} after {} iterations), {} Monte Carlo step(s) on \
         common random numbers of seed {} with up to {} runs per plan, {} Monte Carlo \
         evaluations in all.",
        result.search.termination.code().replace('_', " "),
        result.search.iterations,
        result.refine_steps_taken,
        settings.seed,
        runs_used,
        result.monte_carlo_evaluations
    ));
    if let Some(p) = &result.phasing {
        words.push(format!(
            "Phasing by year is worth {} {currency} against the best constant split (95% CI \
             {}, better in {} of the fresh runs).",
            signed(p.gain.mean),
            interval(p.gain.ci95),
            percent(p.gain.prob_a_better)
        ));
    }
    words
}

/// The summary keys of `ceq simulate` for the chosen plan on its fresh runs, with what each
/// acquisition channel buys under it: the first part of [`OptimizeReport`] (its `summary`).
pub fn optimized_summary(
    scenario: &Scenario,
    settings: &Settings,
    result: &Optimization,
) -> Result<SimulationSummary, crate::sim::SimError> {
    let context = crate::stats::SummaryContext {
        scenario,
        plan: "optimized",
        seed: result.fresh_seed,
    };
    let mut summary = crate::stats::summarize(&context, &result.chosen);
    summary.channels = channels_under_optimum(scenario, settings, result)?;
    Ok(summary)
}

/// What each acquisition channel buys under the optimized plan, on its fresh runs; empty for a
/// single acquisition block or none.
pub fn channels_under_optimum(
    scenario: &Scenario,
    settings: &Settings,
    result: &Optimization,
) -> Result<Vec<crate::stats::ChannelSummary>, crate::sim::SimError> {
    if scenario.acquisition.as_ref().is_none_or(|a| a.single) {
        return Ok(Vec::new());
    }
    let options = crate::sim::SimOptions {
        plan: settings.baseline,
        runs: result.chosen.runs.len() as u64,
        seed: result.fresh_seed,
        engine: settings.engine,
        limits: settings.limits,
        control: settings.control.clone(),
    };
    crate::plans::channels::channel_summaries(scenario, &result.plan, &result.chosen, &options)
}
