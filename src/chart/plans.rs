//! Fill the plan charts from the results of `compare`, `optimize`, `frontier` and
//! `sensitivity`, so the commands and the report draw the same chart from the same numbers.

use super::data::{
    AllocationChart, FanChart, FanSeries, FrontierChart, FrontierPoint, LeverAllocation,
    PairedDifference, PlanComparisonChart, PlanEstimate, ResponseCurve, ResponseCurvesChart,
    SensitivityEffect, TornadoChart,
};
use super::full_base::for_full_base;
use super::theme::{money, period_name, thousands};
use crate::optimize::Optimization;
use crate::optimize::curves::LeverResponse;
use crate::plans::compare::Comparison;
use crate::plans::frontier::Frontier;
use crate::plans::sensitivity::Sensitivity;
use crate::scenario::{Objective, Scenario};
use crate::stats::paired;

/// The most parameters a tornado chart shows; the JSON and CSV of `ceq sensitivity` have all.
pub const TORNADO_PARAMETERS: usize = 12;

/// "per month", for spend and budget axes.
fn per_period(scenario: &Scenario) -> String {
    format!(
        "per {}",
        period_name(scenario.time.periods_per_year).to_lowercase()
    )
}

/// "scenario · 1,000 runs · seed 7".
fn runs_subtitle(scenario: &Scenario, runs: u64, seed: u64) -> String {
    format!(
        "{} · {} runs · seed {}",
        scenario.name,
        thousands(runs as f64),
        seed
    )
}

impl PlanComparisonChart {
    /// Each plan's mean CE with its 95% CI, and each plan's paired difference from the
    /// scenario's baseline (or from the first plan compared when the baseline is not among
    /// them), on the comparison's common runs.
    pub fn from_comparison(comparison: &Comparison, scenario: &Scenario) -> Self {
        let reference = comparison
            .plans
            .iter()
            .find(|p| p.name == comparison.baseline)
            .or(comparison.plans.first());
        let differences = match reference {
            Some(base) => comparison
                .plans
                .iter()
                .filter(|p| p.name != base.name)
                .map(|p| {
                    let d = paired::PairedDifference::new(&p.runs, &base.runs);
                    PairedDifference {
                        a: p.name.clone(),
                        b: base.name.clone(),
                        mean: d.mean,
                        ci95: d.ci95,
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let chart = PlanComparisonChart {
            title: "Which plan is worth most".to_string(),
            subtitle: format!(
                "{} · paired on the same seeds",
                runs_subtitle(scenario, comparison.runs, comparison.seed)
            ),
            currency: scenario.currency.clone(),
            plans: comparison
                .plans
                .iter()
                .map(|p| PlanEstimate {
                    name: p.name.clone(),
                    mean: p.customer_equity.mean,
                    ci95: p.customer_equity.ci95,
                })
                .collect(),
            differences,
        };
        for_full_base(chart, scenario.sample_fraction)
    }
}

impl FanChart {
    /// One fan per compared plan.
    pub fn from_comparison(comparison: &Comparison, scenario: &Scenario) -> Self {
        let chart = FanChart {
            title: "Cumulative customer equity by plan".to_string(),
            subtitle: runs_subtitle(scenario, comparison.runs, comparison.seed),
            currency: scenario.currency.clone(),
            period_label: period_name(scenario.time.periods_per_year).to_string(),
            plans: comparison.plans.iter().map(|p| p.fan.clone()).collect(),
        };
        for_full_base(chart, scenario.sample_fraction)
    }

    /// The baseline's and the optimized plan's fans, on the fresh seeds of the final
    /// evaluation. `seed` is the optimization's seed, from which the fresh seed is derived (the
    /// number a reader can re-run with).
    pub fn from_optimization(
        result: &Optimization,
        scenario: &Scenario,
        baseline: &str,
        seed: u64,
    ) -> Self {
        let chart = FanChart {
            title: "Cumulative customer equity: current vs optimized".to_string(),
            subtitle: format!(
                "{} (fresh, derived from --seed {seed}; independent of the search)",
                runs_subtitle(scenario, result.chosen.runs.len() as u64, result.fresh_seed)
            ),
            currency: scenario.currency.clone(),
            period_label: period_name(scenario.time.periods_per_year).to_string(),
            // Optimized first: blue for optimized and orange for current, as in the
            // allocation and response-curve charts.
            plans: vec![
                FanSeries::from_runs("optimized", &result.chosen),
                FanSeries::from_runs(baseline, &result.baseline),
            ],
        };
        for_full_base(chart, scenario.sample_fraction)
    }
}

impl AllocationChart {
    /// Spend per period on each optimized lever: the baseline plan's (first period) against
    /// the chosen plan's.
    pub fn from_optimization(
        result: &Optimization,
        scenario: &Scenario,
        baseline: crate::scenario::PlanId,
        budget: Option<f64>,
    ) -> Self {
        let plan = &scenario.plans[baseline];
        let ppy = scenario.time.periods_per_year;
        let unit = per_period(scenario);
        AllocationChart {
            title: "Budget split: current vs optimized".to_string(),
            subtitle: match budget {
                Some(b) => format!(
                    "{} · budget {} {unit}",
                    scenario.name,
                    money(b, &scenario.currency)
                ),
                None => format!("{} · no budget cap", scenario.name),
            },
            currency: scenario.currency.clone(),
            spend_unit: unit,
            levers: result
                .space
                .levers
                .iter()
                .zip(&result.x)
                .map(|(lever, x)| LeverAllocation {
                    lever: scenario.lever_name(*lever),
                    current: plan.spend_at(*lever, 1, ppy),
                    optimized: *x,
                })
                .collect(),
        }
    }
}

impl ResponseCurvesChart {
    /// One panel per lever from [`crate::optimize::curves::response_curves`].
    pub fn from_curves(
        curves: &[LeverResponse],
        scenario: &Scenario,
        objective: Objective,
        search_runs: u64,
    ) -> Self {
        let (label, currency) = objective_axis(objective, &scenario.currency);
        let chart = ResponseCurvesChart {
            title: "How the objective responds to each lever".to_string(),
            subtitle: format!(
                "{} · others at the optimized plan · Monte Carlo, {} runs a point · spend {} · \
                 own vertical scale per panel",
                scenario.name,
                thousands(search_runs.max(1) as f64),
                per_period(scenario)
            ),
            currency,
            objective_label: label,
            curves: curves
                .iter()
                .map(|c| ResponseCurve {
                    lever: scenario.lever_name(c.lever),
                    points: c.points.clone(),
                    ci95: c.ci95.clone(),
                    current_spend: c.current,
                    optimal_spend: c.optimal,
                })
                .collect(),
        };
        for_full_base(chart, scenario.sample_fraction)
    }
}

/// The y-axis quantity of an objective and its unit: money for the CE statistics, none for a
/// probability. ASCII minus: the embedded font has no U+2212.
fn objective_axis(objective: Objective, currency: &str) -> (String, String) {
    match objective {
        Objective::Mean => ("Mean customer equity".to_string(), currency.to_string()),
        Objective::MeanMinusSd(l) => (format!("Mean - {l} sd of CE"), currency.to_string()),
        Objective::Cvar(a) => (
            format!("Mean CE of the worst {}% of runs", a * 100.0),
            currency.to_string(),
        ),
        Objective::ProbAbove(t) => (
            format!("Probability CE exceeds {}", thousands(t)),
            String::new(),
        ),
    }
}

impl FrontierChart {
    /// Mean CE of the best split at each budget with its 95% CI; the baseline plan's total
    /// spend marked as today's budget and its CE as today's point.
    pub fn from_frontier(frontier: &Frontier, scenario: &Scenario) -> Self {
        let chart = FrontierChart {
            title: "What each budget buys".to_string(),
            subtitle: format!(
                "{} · best split at each budget, all evaluated on the same fresh seeds",
                runs_subtitle(scenario, frontier.runs, frontier.search_seed)
            ),
            currency: scenario.currency.clone(),
            budget_unit: per_period(scenario),
            points: frontier
                .points
                .iter()
                .map(|p| FrontierPoint {
                    budget: p.budget,
                    mean: p.customer_equity.mean,
                    ci95: p.customer_equity.ci95,
                })
                .collect(),
            current_budget: Some(frontier.baseline.spend),
            current_plan: Some(FrontierPoint {
                budget: frontier.baseline.spend,
                mean: frontier.baseline.customer_equity.mean,
                ci95: frontier.baseline.customer_equity.ci95,
            }),
        };
        for_full_base(chart, scenario.sample_fraction)
    }
}

impl TornadoChart {
    /// The `top` largest effects of a sensitivity analysis of `scenario`.
    pub fn from_sensitivity(sensitivity: &Sensitivity, scenario: &Scenario, top: usize) -> Self {
        let effects: Vec<SensitivityEffect> = sensitivity
            .merged()
            .iter()
            .take(top)
            .map(|e| SensitivityEffect {
                parameter: e.label.clone(),
                minus: e.low.mean,
                plus: e.high.mean,
            })
            .collect();
        let chart = TornadoChart {
            title: format!("What moves customer equity most (top {})", effects.len()),
            subtitle: format!(
                "{} · plan {} · {} runs per variant · seed {}",
                sensitivity.scenario,
                sensitivity.plan,
                thousands(sensitivity.runs as f64),
                sensitivity.seed
            ),
            currency: scenario.currency.clone(),
            base_mean: sensitivity.base_customer_equity,
            step_label: super::theme::percent(sensitivity.step),
            effects,
        };
        for_full_base(chart, scenario.sample_fraction)
    }
}

// The chart sets of the commands: which charts each draws, under which file stems.

/// `compare.png` (each plan's mean CE and its paired difference from the baseline) and
/// `compare_fan.png` (cumulative CE by period, one fan per plan).
pub fn comparison_charts(
    comparison: &Comparison,
    scenario: &Scenario,
) -> Result<Vec<(&'static str, super::Rendered)>, super::ChartError> {
    Ok(vec![
        (
            "compare",
            super::plan_comparison_chart(&PlanComparisonChart::from_comparison(
                comparison, scenario,
            ))?,
        ),
        (
            "compare_fan",
            super::fan_chart(&FanChart::from_comparison(comparison, scenario))?,
        ),
    ])
}

/// `optimize_allocation.png` (current against optimized spend per lever),
/// `optimize_response_curves.png` (the objective against each lever's spend) and
/// `optimize_fan.png` (cumulative CE of the baseline and the
/// optimized plan on the fresh seeds).
pub fn optimization_charts(
    scenario: &Scenario,
    settings: &crate::optimize::Settings,
    result: &Optimization,
    curves: &[LeverResponse],
) -> Result<Vec<(&'static str, super::Rendered)>, super::ChartError> {
    let baseline = &scenario.plans[settings.baseline].name;
    Ok(vec![
        (
            "optimize_allocation",
            super::allocation_chart(&AllocationChart::from_optimization(
                result,
                scenario,
                settings.baseline,
                settings.optimize.budget,
            ))?,
        ),
        (
            "optimize_response_curves",
            super::response_curves_chart(&ResponseCurvesChart::from_curves(
                curves,
                scenario,
                settings.optimize.objective,
                settings.search_runs,
            ))?,
        ),
        (
            "optimize_fan",
            super::fan_chart(&FanChart::from_optimization(
                result,
                scenario,
                baseline,
                settings.seed,
            ))?,
        ),
    ])
}
