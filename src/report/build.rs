//! Runs everything the report shows, once, into a [`Report`].

use super::data::*;
use super::describe::{assumptions, period_word};
use crate::chart::data::{
    AllocationChart, LeverAllocation, PairedDifference, PlanComparisonChart, PlanEstimate,
    SensitivityEffect, SimulationContext, TornadoChart,
};
use crate::chart::{self, ChartError, theme};
use crate::optimize::{self, OptimizeError, Progress, Settings};
use crate::plans::{compare, sensitivity};
use crate::scenario::Scenario;
use crate::sim::{self, EngineKind, SimError, SimOptions};
use crate::stats::{self, SummaryContext};

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub runs: u64,
    pub seed: u64,
    pub sensitivity_runs: u64,
    /// Run the optimization when the scenario has `[optimize]`.
    pub optimize: bool,
    pub engine: EngineKind,
    /// The command line that re-creates the report, for the footer.
    pub command: String,
}

/// Why the report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error(transparent)]
    Optimize(#[from] OptimizeError),
    #[error(transparent)]
    Chart(#[from] ChartError),
}

/// The most parameters the tornado chart shows.
pub const TORNADO_PARAMETERS: usize = 10;

/// Simulates the baseline, compares every plan, optimizes (when asked and the scenario has
/// `[optimize]`) and measures the sensitivity of the baseline's CE to each parameter.
pub fn build(
    scenario: &Scenario,
    options: &Options,
    progress: &mut dyn Progress,
) -> Result<Report, ReportError> {
    let cur = scenario.currency.clone();
    let ppy = scenario.time.periods_per_year;
    let baseline = scenario.baseline_plan;
    let baseline_name = scenario.plans[baseline].name.clone();
    let mut charts: Vec<(String, chart::Rendered)> = Vec::new();

    progress.message(&format!("simulating the baseline plan {baseline_name}"));
    let sim_options = SimOptions {
        plan: baseline,
        runs: options.runs,
        seed: options.seed,
        engine: options.engine,
    };
    let simulation = sim::run_plan(scenario, &scenario.plans[baseline], &sim_options)?;
    let summary = stats::summarize(
        &SummaryContext {
            scenario,
            plan: &baseline_name,
            seed: options.seed,
        },
        &simulation,
    );
    let context = SimulationContext {
        currency: &cur,
        periods_per_year: ppy,
    };
    let mut simulation_charts = Vec::new();
    for (stem, rendered) in chart::simulation_charts(&summary, &simulation, &context)? {
        simulation_charts.push(ChartRef {
            stem: stem.to_string(),
            alt: simulation_alt(stem).to_string(),
        });
        charts.push((stem.to_string(), rendered));
    }
    drop(simulation);

    let subtitle = format!(
        "{} · {} runs · seed {}",
        scenario.name,
        theme::thousands(options.runs as f64),
        options.seed
    );

    // Plan comparison.
    let indices: Vec<usize> = (0..scenario.plans.len()).collect();
    let comparison = compare::compare(
        scenario,
        &indices,
        options.runs,
        options.seed,
        options.engine,
        progress,
    )?;
    let best_index = comparison
        .plans
        .iter()
        .enumerate()
        .max_by(|a, b| {
            a.1.customer_equity
                .mean
                .total_cmp(&b.1.customer_equity.mean)
        })
        .map(|(i, _)| i);
    let best = best_index.map(|i| {
        let plan = &comparison.plans[i];
        let gain = (plan.name != baseline_name).then(|| {
            let base = comparison
                .plans
                .iter()
                .find(|p| p.name == baseline_name)
                .expect("the baseline is among the compared plans");
            let d = crate::stats::paired::PairedDifference::new(&plan.runs, &base.runs);
            crate::plans::compare::Difference {
                a: plan.name.clone(),
                b: baseline_name.clone(),
                mean: d.mean,
                ci95: d.ci95,
                prob_a_better: d.prob_a_better,
                std_error: d.std_error,
            }
        });
        BestPlan {
            name: plan.name.clone(),
            baseline: baseline_name.clone(),
            mean: plan.customer_equity.mean,
            gain,
        }
    });
    let comparison_chart = PlanComparisonChart {
        title: "Which plan is worth most".to_string(),
        subtitle: format!("{subtitle} · paired on the same seeds"),
        currency: cur.clone(),
        plans: comparison
            .plans
            .iter()
            .map(|p| PlanEstimate {
                name: p.name.clone(),
                mean: p.customer_equity.mean,
                ci95: p.customer_equity.ci95,
            })
            .collect(),
        differences: comparison
            .differences
            .iter()
            .map(|d| PairedDifference {
                a: d.a.clone(),
                b: d.b.clone(),
                mean: d.mean,
                ci95: d.ci95,
            })
            .collect(),
    };
    if scenario.plans.len() > 1 {
        charts.push((
            "compare".to_string(),
            chart::plan_comparison_chart(&comparison_chart)?,
        ));
    }
    let comparison_section = ComparisonSection {
        plans: comparison
            .plans
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.customer_equity.mean,
                    p.customer_equity.ci95,
                )
            })
            .collect(),
        differences: comparison.differences.clone(),
        chart: ChartRef {
            stem: "compare".to_string(),
            alt: "Mean customer equity per plan with 95% intervals, and the paired differences"
                .to_string(),
        },
    };
    let engine = comparison.engine.clone();
    drop(comparison);

    // Optimization.
    let optimization = match (&scenario.optimize, options.optimize) {
        (Some(section), true) => {
            progress.message("optimizing the budget split");
            let mut settings = Settings::new(section.clone(), baseline);
            settings.runs = options.runs;
            settings.seed = options.seed;
            settings.engine = options.engine;
            let result = optimize::optimize(scenario, &settings, progress)?;
            let base_plan = &scenario.plans[baseline];
            let levers: Vec<LeverRow> = result
                .space
                .levers
                .iter()
                .zip(&result.x)
                .map(|(lever, x)| LeverRow {
                    lever: lever.name().to_string(),
                    current: base_plan.spend_at(*lever, 1, ppy),
                    optimized: *x,
                    marginal: result
                        .marginal
                        .iter()
                        .find(|m| m.lever == *lever)
                        .map(|m| (m.value, m.ci95)),
                })
                .collect();
            let allocation = AllocationChart {
                title: "Budget split: current vs optimized".to_string(),
                subtitle: match section.budget {
                    Some(b) => format!(
                        "{} · budget {} per {}",
                        scenario.name,
                        super::money(b, &cur),
                        period_word(ppy)
                    ),
                    None => format!("{} · no budget cap", scenario.name),
                },
                currency: cur.clone(),
                spend_unit: format!("per {}", period_word(ppy)),
                levers: levers
                    .iter()
                    .map(|l| LeverAllocation {
                        lever: l.lever.clone(),
                        current: l.current,
                        optimized: l.optimized,
                    })
                    .collect(),
            };
            charts.push((
                "allocation".to_string(),
                chart::allocation_chart(&allocation)?,
            ));
            let optimized_mean = stats::describe::mean(&crate::plans::run_values(&result.chosen));
            Some(OptimizationSection {
                budget: section.budget,
                objective: optimize::describe_criterion(section.objective),
                baseline: baseline_name.clone(),
                levers,
                gain_mean: result.improvement.mean,
                gain_ci95: result.improvement.ci95,
                prob_better: result.improvement.prob_a_better,
                optimized_mean,
                termination: optimize::describe_termination(&result.search),
                unallocated: result.binding.unallocated,
                chart: ChartRef {
                    stem: "allocation".to_string(),
                    alt: "Spend per lever: current plan vs optimized".to_string(),
                },
            })
        }
        _ => None,
    };

    // Sensitivity.
    let sensitivity = if options.sensitivity_runs >= 2 {
        progress.message("measuring the sensitivity to each parameter");
        let step = 0.1;
        let result = sensitivity::sensitivity(
            scenario,
            baseline,
            step,
            options.sensitivity_runs,
            options.seed,
            options.engine,
            progress,
        )?;
        let effects: Vec<_> = result
            .effects
            .iter()
            .take(TORNADO_PARAMETERS)
            .cloned()
            .collect();
        let tornado = TornadoChart {
            title: format!("What moves customer equity most (top {})", effects.len()),
            subtitle: format!(
                "{} · plan {} · {} runs per variant · seed {}",
                scenario.name,
                baseline_name,
                theme::thousands(options.sensitivity_runs as f64),
                options.seed
            ),
            currency: cur.clone(),
            base_mean: result.base_customer_equity,
            step_label: theme::percent(step),
            effects: effects
                .iter()
                .map(|e| SensitivityEffect {
                    parameter: e.parameter.clone(),
                    minus: e.low.mean,
                    plus: e.high.mean,
                })
                .collect(),
        };
        charts.push(("tornado".to_string(), chart::tornado_chart(&tornado)?));
        Some(SensitivitySection {
            runs: options.sensitivity_runs,
            step,
            base_mean: result.base_customer_equity,
            effects,
            chart: ChartRef {
                stem: "tornado".to_string(),
                alt: "Tornado chart: the effect on mean customer equity of moving each \
                      parameter 10% down and up"
                    .to_string(),
            },
        })
    } else {
        None
    };

    Ok(Report {
        data: ReportData {
            scenario: scenario.name.clone(),
            currency: cur,
            ceq_version: env!("CARGO_PKG_VERSION").to_string(),
            seed: options.seed,
            runs: options.runs,
            engine,
            command: options.command.clone(),
            period: period_word(ppy),
            summary,
            best,
            assumptions: assumptions(scenario),
            comparison: (scenario.plans.len() > 1).then_some(comparison_section),
            optimization,
            sensitivity,
            simulation_charts,
        },
        charts,
    })
}

fn simulation_alt(stem: &str) -> &'static str {
    match stem {
        "fan" => "Cumulative discounted customer equity by period: median with 50% and 90% bands",
        "distribution" => "Distribution of customer equity across runs with mean, p05 and p95",
        "cohorts" => "Active customers by cohort over time",
        "waterfall_components" => "Customer equity by component",
        "waterfall_origin" => "Customer equity from the existing base and from new customers",
        _ => "Chart",
    }
}
