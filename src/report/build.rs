//! Runs everything the report shows, once, into a [`Report`].

use super::data::*;
use super::describe::{assumptions, period_word};
use crate::chart::data::{
    AllocationChart, FanChart, FrontierChart, PlanComparisonChart, ResponseCurvesChart,
    SimulationContext, TornadoChart,
};
use crate::chart::plans::TORNADO_PARAMETERS;
use crate::chart::{self, ChartError};
use crate::optimize::curves::response_curves;
use crate::optimize::{self, OptimizeError, Progress, Settings};
use crate::plans::{compare, frontier, sensitivity};
use crate::scenario::Scenario;
use crate::sim::{self, EngineKind, SimError, SimOptions};
use crate::stats;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub runs: u64,
    pub seed: u64,
    pub sensitivity_runs: u64,
    /// Run the optimization when the scenario has `[optimize]`.
    pub optimize: bool,
    /// With the optimization, the best split at half to one and a half times the budget.
    pub frontier: bool,
    pub engine: EngineKind,
    /// The command line that re-creates the report, for the footer.
    pub command: String,
    pub limits: crate::sim::size::Limits,
    /// Cancellation and run progress of every simulation of the report.
    pub control: crate::control::Control,
}

impl Options {
    /// The options of simulating `plan` with the report's runs, seed, engine, limits and
    /// control.
    pub fn sim_options(&self, plan: crate::scenario::PlanId) -> SimOptions {
        SimOptions {
            plan,
            runs: self.runs,
            seed: self.seed,
            engine: self.engine,
            limits: self.limits,
            control: self.control.clone(),
        }
    }
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

    progress.stage(&format!("simulating the baseline plan {baseline_name}"));
    let sim_options = options.sim_options(baseline);
    let simulation = sim::run_plan(scenario, &scenario.plans[baseline], &sim_options)?;
    // The summary `simulate` prints and writes, with the off-boarding of the baseline.
    if !crate::plans::summary::measured_channels(scenario).is_empty() {
        progress.message("valuing each acquisition channel's customers");
    }
    let summary = crate::plans::summary::simulation_summary(scenario, &simulation, &sim_options)?;
    let context = SimulationContext {
        currency: &cur,
        periods_per_year: ppy,
        sample_fraction: scenario.sample_fraction,
    };
    let mut simulation_charts = Vec::new();
    for (stem, rendered) in chart::simulation_charts(&summary, &simulation, &context)? {
        simulation_charts.push(ChartRef {
            stem: stem.to_string(),
            alt: simulation_alt(stem).to_string(),
        });
        charts.push((stem.to_string(), rendered));
    }
    let mut base_charts = Vec::new();
    let unit = format!("{}s", chart::theme::period_name(ppy).to_lowercase());
    for base in &summary.existing_base {
        for (stem, rendered) in chart::base::base_charts(base, &cur, &unit)? {
            let alt = if stem.starts_with("p_alive") {
                format!(
                    "Cohort {}: probability a customer is still active by frequency and recency",
                    base.cohort
                )
            } else {
                format!(
                    "Cohort {}: value per customer and its Lorenz curve",
                    base.cohort
                )
            };
            base_charts.push(ChartRef {
                stem: stem.clone(),
                alt,
            });
            charts.push((stem, rendered));
        }
    }

    let mut payback_charts = Vec::new();
    for (stem, rendered) in chart::payback::payback_charts(&summary.payback, &cur, ppy)? {
        payback_charts.push(ChartRef {
            stem: stem.clone(),
            alt: format!(
                "Cumulative discounted value per acquired customer against its cost, by {}",
                if stem.ends_with("channels") {
                    "channel"
                } else {
                    "cohort"
                }
            ),
        });
        charts.push((stem, rendered));
    }

    // Plan comparison.
    let indices: Vec<crate::scenario::PlanId> = scenario.plan_ids().collect();
    let comparison = compare::compare_reusing(
        scenario,
        &indices,
        &sim_options,
        Some((baseline, &simulation)),
        progress,
    )?;
    drop(simulation);
    let offboarding = offboarding(scenario, options, &summary, &comparison, progress)?;
    let best = best_plan(&comparison, &baseline_name);
    let comparison_section = if scenario.plans.len() > 1 {
        charts.push((
            "compare".to_string(),
            chart::plan_comparison_chart(&PlanComparisonChart::from_comparison(
                &comparison,
                scenario,
            ))?,
        ));
        charts.push((
            "fan_plans".to_string(),
            chart::fan_chart(&FanChart::from_comparison(&comparison, scenario))?,
        ));
        Some(ComparisonSection {
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
            charts: vec![
                chart_ref(
                    "compare",
                    "Mean customer equity per plan with 95% intervals, and each plan's paired \
                     difference from the baseline",
                ),
                chart_ref(
                    "fan_plans",
                    "Cumulative discounted customer equity by period for every plan: medians \
                     with the middle 50% of runs shaded",
                ),
            ],
        })
    } else {
        None
    };
    let engine = comparison.engine.clone();
    drop(comparison);

    // Optimization and the budget frontier.
    let (optimization, frontier) = match super::estimate::optimize_settings(scenario, options) {
        Some(mut settings) => {
            progress.stage("optimizing the budget split");
            // The optimization and every budget of the frontier start from one uncapped
            // optimum.
            if settings.optimize.budget.is_some() || options.frontier {
                settings.uncapped_optimum =
                    optimize::uncapped_optimum(scenario, &settings, progress)?;
            }
            let optimization = optimization_section(scenario, &settings, progress, &mut charts)?;
            let frontier = if options.frontier {
                let reference = frontier_reference(scenario, &settings, &optimization);
                frontier_section(scenario, &settings, reference, progress, &mut charts)?
            } else {
                None
            };
            (Some(optimization), frontier)
        }
        None => (None, None),
    };

    // Sensitivity.
    let sensitivity = if options.sensitivity_runs >= 2 {
        progress.stage("measuring the sensitivity to each parameter");
        let result = sensitivity::sensitivity(
            scenario,
            &sensitivity::Settings {
                plan: baseline,
                step: SENSITIVITY_STEP,
                runs: options.sensitivity_runs,
                seed: options.seed,
                engine: options.engine,
                screen: Some(SENSITIVITY_SCREEN),
                limits: options.limits,
                control: options.control.clone(),
            },
            progress,
        )?;
        let tornado = TornadoChart::from_sensitivity(&result, scenario, TORNADO_PARAMETERS);
        charts.push(("tornado".to_string(), chart::tornado_chart(&tornado)?));
        // The section reads the full base (SPEC §9.2); the chart scales itself.
        let result = if scenario.sample_fraction < 1.0 {
            result.scaled_to_full_base(scenario.sample_fraction)
        } else {
            result
        };
        Some(SensitivitySection {
            runs: options.sensitivity_runs,
            step: SENSITIVITY_STEP,
            base_mean: result.base_customer_equity,
            effects: result
                .merged()
                .into_iter()
                .take(TORNADO_PARAMETERS)
                .collect(),
            screening: result.screening.map(|s| (s.measured, s.parameters)),
            chart: chart_ref(
                "tornado",
                "Tornado chart: the effect on mean customer equity of moving each parameter \
                 10% down and up",
            ),
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
            comparison: comparison_section,
            optimization,
            frontier,
            sensitivity,
            simulation_charts,
            base_charts,
            offboarding,
            payback_charts,
            sample_fraction: (scenario.sample_fraction < 1.0).then_some(scenario.sample_fraction),
        },
        charts,
    })
    .map(|mut report| {
        if let Some(fraction) = report.data.sample_fraction {
            super::sample::scale(&mut report.data, fraction);
        }
        report
    })
}

/// Each plan that off-boards a cohort against the same plan keeping it, on the report's runs
/// ([`crate::plans::levers_seed::offboarding_values`]); the plan's own runs come from the
/// comparison, the baseline's values from its simulation summary.
fn offboarding(
    scenario: &Scenario,
    options: &Options,
    baseline: &stats::SimulationSummary,
    comparison: &compare::Comparison,
    progress: &mut dyn Progress,
) -> Result<Vec<(String, crate::plans::levers_seed::OffboardingValue)>, ReportError> {
    let mut rows = Vec::new();
    for (index, plan) in scenario.plan_ids().zip(&scenario.plans) {
        if !plan.offboard.iter().any(|s| *s > 0.0) {
            continue;
        }
        if index == scenario.baseline_plan {
            rows.extend(
                baseline
                    .offboarding
                    .iter()
                    .map(|value| (plan.name.clone(), value.clone())),
            );
            continue;
        }
        let Some(known) = comparison.plans.iter().find(|p| p.name == plan.name) else {
            continue;
        };
        progress.message(&format!("valuing the off-boarding of plan {}", plan.name));
        let sim_options = options.sim_options(index);
        for value in crate::plans::levers_seed::offboarding_values(
            scenario,
            plan,
            &known.runs,
            &sim_options,
        )? {
            rows.push((plan.name.clone(), value));
        }
    }
    Ok(rows)
}

/// The relative move of the report's sensitivity analysis.
const SENSITIVITY_STEP: f64 = 0.1;

/// Parameters the report's sensitivity analysis simulates, chosen by the mean-field screen.
pub const SENSITIVITY_SCREEN: usize = 20;

/// Budgets of the report's frontier, as multiples of the optimization budget (or, uncapped,
/// of the baseline plan's spend).
pub(crate) const FRONTIER_MULTIPLES: [f64; 5] = [0.5, 0.75, 1.0, 1.25, 1.5];

/// The most Monte Carlo evaluations of the search at each budget of the report's frontier.
pub(crate) const FRONTIER_EVALUATIONS: u64 = 12;

/// Runs per evaluation of the search at each budget of the report's frontier.
pub(crate) const FRONTIER_SEARCH_RUNS: u64 = 30;

/// The most runs per budget of the report's frontier: six simulations (five budgets and the
/// baseline) at the report's full runs would double its time, and a curve's shape, with paired
/// differences between budgets, needs fewer runs than a headline figure.
pub(crate) const FRONTIER_RUNS: u64 = 300;

fn chart_ref(stem: &str, alt: &str) -> ChartRef {
    ChartRef {
        stem: stem.to_string(),
        alt: alt.to_string(),
    }
}

/// The plan with the highest mean CE, and its paired gain over the baseline.
fn best_plan(comparison: &compare::Comparison, baseline_name: &str) -> Option<BestPlan> {
    let plan = comparison
        .plans
        .iter()
        .max_by(|a, b| a.customer_equity.mean.total_cmp(&b.customer_equity.mean))?;
    let base = comparison.plans.iter().find(|p| p.name == baseline_name)?;
    let gain = (plan.name != baseline_name).then(|| {
        let d = crate::stats::paired::PairedDifference::new(&plan.runs, &base.runs);
        compare::Difference {
            a: plan.name.clone(),
            b: baseline_name.to_string(),
            mean: d.mean,
            ci95: d.ci95,
            prob_a_better: d.prob_a_better,
            std_error: d.std_error,
        }
    });
    Some(BestPlan {
        name: plan.name.clone(),
        baseline: baseline_name.to_string(),
        mean: plan.customer_equity.mean,
        gain,
    })
}

/// Optimizes, and draws the allocation, the response curves and the two plans' fans.
fn optimization_section(
    scenario: &Scenario,
    settings: &Settings,
    progress: &mut dyn Progress,
    charts: &mut Vec<(String, chart::Rendered)>,
) -> Result<OptimizationSection, ReportError> {
    let section = &settings.optimize;
    let ppy = scenario.time.periods_per_year;
    let base_plan = &scenario.plans[settings.baseline];
    let result = optimize::optimize(scenario, settings, progress)?;
    progress.stage("response curves");
    let curves = response_curves(scenario, settings, &result)?;
    let levers: Vec<LeverRow> = result
        .space
        .levers
        .iter()
        .zip(&result.x)
        .map(|(lever, x)| LeverRow {
            lever: scenario.lever_name(*lever),
            current: base_plan.spend_at(*lever, 1, ppy),
            optimized: *x,
            marginal: result
                .marginal
                .iter()
                .find(|m| m.lever == *lever)
                .map(|m| (m.per_unit(), m.per_unit_ci95())),
        })
        .collect();
    let channels = if scenario.acquisition.as_ref().is_some_and(|a| !a.single) {
        progress.message("valuing each channel's customers under the optimized plan");
        optimize::report::channels_under_optimum(scenario, settings, &result)?
    } else {
        Vec::new()
    };
    let allocation =
        AllocationChart::from_optimization(&result, scenario, settings.baseline, section.budget);
    charts.push((
        "allocation".to_string(),
        chart::allocation_chart(&allocation)?,
    ));
    let response = ResponseCurvesChart::from_curves(
        &curves,
        scenario,
        section.objective,
        settings.search_runs,
    );
    charts.push((
        "response_curves".to_string(),
        chart::response_curves_chart(&response)?,
    ));
    let fan = FanChart::from_optimization(&result, scenario, &base_plan.name, settings.seed);
    charts.push(("fan_optimized".to_string(), chart::fan_chart(&fan)?));
    Ok(OptimizationSection {
        budget: section.budget,
        objective: optimize::describe_criterion(section.objective),
        baseline: base_plan.name.clone(),
        levers,
        gain_mean: result.improvement.mean,
        gain_ci95: result.improvement.ci95,
        prob_better: result.improvement.prob_a_better,
        runs: result.chosen.runs.len() as u64,
        optimized_mean: stats::describe::mean(&crate::plans::run_values(&result.chosen)),
        termination: optimize::describe_outcome(&result),
        unallocated: result.binding.unallocated,
        channels,
        phasing: result.phasing.as_ref().map(|p| super::data::PhasingRow {
            paths: (0..result.space.levers.len())
                .map(|i| {
                    (
                        result.space.names[i].clone(),
                        result.space.lever_path(&result.x, i),
                    )
                })
                .collect(),
            gain_mean: p.gain.mean,
            gain_ci95: p.gain.ci95,
            prob_better: p.gain.prob_a_better,
        }),
        charts: vec![
            chart_ref("allocation", "Spend per lever: current plan vs optimized"),
            chart_ref(
                "response_curves",
                "The objective against each lever's spend, the other levers at the optimized \
                 plan, with the current and optimal spend marked",
            ),
            chart_ref(
                "fan_optimized",
                "Cumulative discounted customer equity of the current and the optimized plan \
                 on fresh seeds",
            ),
        ],
    })
}

/// The budget the frontier is centred on: the budget when the optimum spends it; what the
/// optimum spends when it leaves part unspent or there is no cap (beyond that the frontier is
/// flat, so budgets around the cap would show nothing); today's spend when that is zero too.
fn frontier_reference(
    scenario: &Scenario,
    settings: &Settings,
    optimization: &OptimizationSection,
) -> f64 {
    let ppy = scenario.time.periods_per_year;
    let today = scenario.plans[settings.baseline].total_spend_at(1, ppy);
    let optimized: f64 = optimization.levers.iter().map(|l| l.optimized).sum();
    let fixed = today - optimization.levers.iter().map(|l| l.current).sum::<f64>();
    let spent = optimized + fixed.max(0.0);
    match (settings.optimize.budget, optimization.unallocated) {
        (Some(budget), Some(unspent)) if unspent > 0.01 * budget => {
            two_significant_digits(budget - unspent)
        }
        (Some(budget), _) => budget,
        (None, _) if spent > 0.0 => two_significant_digits(spent),
        (None, _) => today,
    }
}

/// A budget a planner would write: 27,027 → 27,000.
fn two_significant_digits(value: f64) -> f64 {
    if value <= 0.0 || !value.is_finite() {
        return value;
    }
    let unit = 10f64.powf(value.log10().floor() - 1.0);
    (value / unit).round() * unit
}

/// The best split at half to one and a half times `reference`, with the baseline plan marked;
/// `None` when there is no budget to scale.
fn frontier_section(
    scenario: &Scenario,
    settings: &Settings,
    reference: f64,
    progress: &mut dyn Progress,
    charts: &mut Vec<(String, chart::Rendered)>,
) -> Result<Option<FrontierSection>, ReportError> {
    if !(reference > 0.0 && reference.is_finite()) {
        return Ok(None);
    }
    let budgets: Vec<f64> = FRONTIER_MULTIPLES
        .iter()
        .map(|m| (m * reference).round())
        .collect();
    progress.stage("the budget frontier");
    let at = super::estimate::frontier_settings(settings);
    let result = frontier::frontier(scenario, &at, &budgets, progress)?;
    // Levers the optimizer may not move keep the baseline's schedule and count against the
    // budget at their largest amount, as in the optimizer's space.
    let base_plan = &scenario.plans[settings.baseline];
    let optimized = crate::optimize::space::PlanSpace::new(scenario, &settings.optimize, base_plan)
        .map(|s| s.levers)
        .unwrap_or_default();
    let fixed: f64 = crate::optimize::space::all_levers(scenario)
        .iter()
        .filter(|l| !optimized.contains(l))
        .map(|l| base_plan.schedule(*l).0.iter().copied().fold(0.0, f64::max))
        .sum();
    charts.push((
        "frontier".to_string(),
        chart::frontier_chart(&FrontierChart::from_frontier(&result, scenario))?,
    ));
    Ok(Some(FrontierSection {
        points: result
            .points
            .iter()
            .map(|p| FrontierRow {
                budget: p.budget,
                spend: p.spend + fixed,
                mean: p.customer_equity.mean,
                ci95: p.customer_equity.ci95,
                extra_per_unit: p.extra_ce_per_unit.as_ref().map(|e| (e.mean, e.ci95)),
            })
            .collect(),
        runs: result.runs,
        baseline: result.baseline.plan.clone(),
        baseline_spend: result.baseline.spend,
        baseline_mean: result.baseline.customer_equity.mean,
        baseline_ci95: result.baseline.customer_equity.ci95,
        chart: chart_ref(
            "frontier",
            "Mean customer equity of the best split at each budget with its 95% interval, and \
             the current plan",
        ),
    }))
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

#[cfg(test)]
mod tests {
    use super::two_significant_digits;

    #[test]
    fn derived_budgets_are_rounded_to_two_significant_digits() {
        assert_eq!(two_significant_digits(27_027.0), 27_000.0);
        assert_eq!(two_significant_digits(9_960.0), 10_000.0);
        assert_eq!(two_significant_digits(155.0), 160.0);
        assert_eq!(two_significant_digits(0.0), 0.0);
    }
}
