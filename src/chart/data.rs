//! The plain data each chart draws. Every struct is `Serialize` and holds only numbers and
//! labels, so any command (simulate, compare, optimize, frontier, sensitivity, fit, report)
//! can fill one without knowing how it is drawn. Money is in the scenario's currency and
//! discounted as the numbers it comes from are.
//!
//! The builders at the bottom fill the simulation charts from a [`SimulationSummary`] and its
//! [`Simulation`].

use serde::Serialize;

use super::theme::{money_axis_title, period_name};
use crate::sim::Simulation;
use crate::stats::SimulationSummary;
use crate::stats::describe::quantile_sorted;

/// Fan chart: cumulative discounted CE by period, median with 50% and 90% bands, one fan per
/// plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FanChart {
    pub title: String,
    /// A grey line under the title (scenario, runs, seed); empty for none.
    pub subtitle: String,
    pub currency: String,
    /// What a period is called on the x axis: "Month", "Quarter", "Period".
    pub period_label: String,
    pub plans: Vec<FanSeries>,
}

/// One plan's fan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FanSeries {
    pub name: String,
    pub points: Vec<FanPoint>,
}

/// Quantiles over runs of cumulative discounted CE through `period`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FanPoint {
    pub period: u32,
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

/// Histogram of CE across runs with its mean, 5% and 95% quantiles and zero marked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistributionChart {
    pub title: String,
    pub subtitle: String,
    pub currency: String,
    /// CE of each run.
    pub values: Vec<f64>,
    pub mean: f64,
    pub p05: f64,
    pub p95: f64,
}

/// Active customers by cohort over time, stacked in the order given (first at the bottom).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortActivityChart {
    pub title: String,
    pub subtitle: String,
    pub period_label: String,
    /// (cohort name, mean active customers in periods 1, 2, …).
    pub cohorts: Vec<(String, Vec<f64>)>,
}

/// A waterfall from parts to a total: each step floats from the running sum, the last bar is
/// the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterfallChart {
    pub title: String,
    pub subtitle: String,
    pub currency: String,
    pub steps: Vec<WaterfallStep>,
    /// Label of the total bar, "Customer equity".
    pub total_label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterfallStep {
    pub label: String,
    /// Signed contribution; costs are negative.
    pub value: f64,
}

/// Plan comparison: each plan's mean CE with its 95% CI, and paired differences.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanComparisonChart {
    pub title: String,
    pub subtitle: String,
    pub currency: String,
    pub plans: Vec<PlanEstimate>,
    /// Usually each plan against the baseline (`a` − `b`, same seeds).
    pub differences: Vec<PairedDifference>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanEstimate {
    pub name: String,
    pub mean: f64,
    pub ci95: [f64; 2],
}

/// Mean of CE(a) − CE(b) over paired runs with its 95% CI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairedDifference {
    pub a: String,
    pub b: String,
    pub mean: f64,
    pub ci95: [f64; 2],
}

/// Current against optimized spend per lever (grouped bars).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllocationChart {
    pub title: String,
    pub subtitle: String,
    pub currency: String,
    /// What the spend is per, for the axis title: "per month".
    pub spend_unit: String,
    pub levers: Vec<LeverAllocation>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeverAllocation {
    pub lever: String,
    pub current: f64,
    pub optimized: f64,
}

/// The response of the objective to each lever's spend, others held at the optimum, with the
/// current and optimal spend marked; one small panel per lever.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseCurvesChart {
    pub title: String,
    pub subtitle: String,
    pub currency: String,
    /// The y quantity: "Mean customer equity", "Mean - 0.5 sd of CE".
    pub objective_label: String,
    pub curves: Vec<ResponseCurve>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseCurve {
    pub lever: String,
    /// (spend, objective), ascending in spend.
    pub points: Vec<(f64, f64)>,
    /// The 95% interval of each point, `[low, high]` (empty: no band is drawn).
    pub ci95: Vec<[f64; 2]>,
    pub current_spend: f64,
    pub optimal_spend: f64,
}

/// Budget frontier: the best objective at each budget with its 95% CI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierChart {
    pub title: String,
    pub subtitle: String,
    pub currency: String,
    /// What the budget is per: "per month".
    pub budget_unit: String,
    pub points: Vec<FrontierPoint>,
    /// Today's budget, marked with a vertical line when given.
    pub current_budget: Option<f64>,
    /// Today's plan (its spend, mean CE and CI), marked as a point: below the curve by what a
    /// better split of the same budget would gain.
    pub current_plan: Option<FrontierPoint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrontierPoint {
    pub budget: f64,
    pub mean: f64,
    pub ci95: [f64; 2],
}

/// Tornado chart of a one-at-a-time sensitivity analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TornadoChart {
    pub title: String,
    pub subtitle: String,
    pub currency: String,
    /// Mean CE with every parameter at its base value.
    pub base_mean: f64,
    /// The size of the step, for the legend: "10%".
    pub step_label: String,
    /// In any order; the chart sorts by the larger absolute effect.
    pub effects: Vec<SensitivityEffect>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityEffect {
    pub parameter: String,
    /// Mean CE at −step minus the base mean.
    pub minus: f64,
    /// Mean CE at +step minus the base mean.
    pub plus: f64,
}

/// Actual against fitted: sBG survival or BG/NBD cumulative repeat purchases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationChart {
    pub title: String,
    pub subtitle: String,
    pub x_label: String,
    pub y_label: String,
    pub fitted_label: String,
    /// (x, actual, fitted), ascending in x.
    pub points: Vec<(f64, f64, f64)>,
    /// The last x used in the fit, when later points are a holdout.
    pub calibration_end: Option<f64>,
}

impl CalibrationChart {
    /// sBG survival: x is the period, y the share (or count) of the cohort still alive.
    pub fn survival(points: Vec<(f64, f64, f64)>, period_label: &str, y_label: &str) -> Self {
        CalibrationChart {
            title: "Survival: actual vs fitted sBG".to_string(),
            subtitle: String::new(),
            x_label: period_label.to_string(),
            y_label: y_label.to_string(),
            fitted_label: "Fitted (sBG)".to_string(),
            points,
            calibration_end: None,
        }
    }

    /// BG/NBD: cumulative repeat purchases of the cohort, actual against the model.
    pub fn repeat_purchases(points: Vec<(f64, f64, f64)>, period_label: &str) -> Self {
        CalibrationChart {
            title: "Cumulative repeat purchases: actual vs BG/NBD".to_string(),
            subtitle: String::new(),
            x_label: period_label.to_string(),
            y_label: "Cumulative repeat purchases".to_string(),
            fitted_label: "Model (BG/NBD)".to_string(),
            points,
            calibration_end: None,
        }
    }
}

/// What the simulation charts need besides the results.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationContext<'a> {
    pub currency: &'a str,
    pub periods_per_year: u32,
    /// The scenario's `sample_fraction` (SPEC §9.2): below 1 the charts are drawn for the
    /// full base ([`super::full_base`]).
    pub sample_fraction: f64,
}

/// "scenario · plan current · 1,000 runs · seed 1".
pub fn simulation_subtitle(summary: &SimulationSummary) -> String {
    format!(
        "{} · plan {} · {} runs · seed {}",
        summary.scenario,
        summary.plan,
        super::theme::thousands(summary.runs as f64),
        summary.seed
    )
}

impl FanSeries {
    /// Per-period p05/p25/p50/p75/p95 of cumulative CE over the runs, starting from period 0
    /// where nothing has accrued yet.
    pub fn from_runs(name: &str, simulation: &Simulation) -> Self {
        let periods = simulation
            .runs
            .iter()
            .map(|r| r.periods.len())
            .min()
            .unwrap_or(0);
        let mut points = vec![FanPoint {
            period: 0,
            p05: 0.0,
            p25: 0.0,
            p50: 0.0,
            p75: 0.0,
            p95: 0.0,
        }];
        for t in 0..periods {
            let mut values: Vec<f64> = simulation
                .runs
                .iter()
                .map(|r| r.periods[t].cumulative_ce)
                .collect();
            values.sort_by(f64::total_cmp);
            let q = |p| quantile_sorted(&values, p);
            points.push(FanPoint {
                period: t as u32 + 1,
                p05: q(0.05),
                p25: q(0.25),
                p50: q(0.50),
                p75: q(0.75),
                p95: q(0.95),
            });
        }
        FanSeries {
            name: name.to_string(),
            points,
        }
    }
}

impl FanChart {
    /// The fan of one simulated plan.
    pub fn from_simulation(
        summary: &SimulationSummary,
        simulation: &Simulation,
        context: &SimulationContext<'_>,
    ) -> Self {
        FanChart {
            title: "Cumulative customer equity over time".to_string(),
            subtitle: simulation_subtitle(summary),
            currency: context.currency.to_string(),
            period_label: period_name(context.periods_per_year).to_string(),
            plans: vec![FanSeries::from_runs(&summary.plan, simulation)],
        }
    }
}

impl DistributionChart {
    pub fn from_simulation(
        summary: &SimulationSummary,
        simulation: &Simulation,
        context: &SimulationContext<'_>,
    ) -> Self {
        let ce = &summary.customer_equity;
        DistributionChart {
            title: "Customer equity across runs".to_string(),
            subtitle: simulation_subtitle(summary),
            currency: context.currency.to_string(),
            values: simulation.runs.iter().map(|r| r.customer_equity).collect(),
            mean: ce.mean,
            p05: ce.p05,
            p95: ce.p95,
        }
    }
}

impl CohortActivityChart {
    /// Mean active customers per cohort and period over the runs; the total as one area when
    /// the runs carry no per-cohort counts (an older shard file).
    pub fn from_summary(
        summary: &SimulationSummary,
        simulation: &Simulation,
        context: &SimulationContext<'_>,
    ) -> Self {
        let runs = simulation.runs.len().max(1) as f64;
        let per_cohort = simulation.runs.first().is_some_and(|r| {
            r.cohorts.len() == summary.cohorts.len()
                && r.cohorts
                    .iter()
                    .all(|c| c.active.len() == summary.periods.len())
        });
        let cohorts = if per_cohort && !summary.cohorts.is_empty() {
            summary
                .cohorts
                .iter()
                .enumerate()
                .map(|(c, cohort)| {
                    let means = (0..summary.periods.len())
                        .map(|t| {
                            simulation
                                .runs
                                .iter()
                                .map(|r| r.cohorts[c].active[t])
                                .sum::<f64>()
                                / runs
                        })
                        .collect();
                    (cohort.name.clone(), means)
                })
                .collect()
        } else {
            vec![(
                "All cohorts".to_string(),
                summary.periods.iter().map(|p| p.active_mean).collect(),
            )]
        };
        CohortActivityChart {
            title: "Active customers over time".to_string(),
            subtitle: simulation_subtitle(summary),
            period_label: period_name(context.periods_per_year).to_string(),
            cohorts,
        }
    }
}

impl WaterfallChart {
    /// CE by component; components that are exactly zero (a lever the plan does not use) are
    /// left out.
    pub fn components(summary: &SimulationSummary, context: &SimulationContext<'_>) -> Self {
        let c = &summary.components;
        let steps = [
            ("Purchase margin", c.purchase_margin),
            ("Extra value", c.extra_value),
            ("Cost to serve", c.cost_to_serve),
            ("Acquisition", c.acquisition),
            ("Onboarding", c.onboarding),
            ("Retention", c.retention),
            ("Drivers", c.drivers),
            ("Development", c.development),
            ("Win-back", c.winback),
        ];
        WaterfallChart {
            title: "Where customer equity comes from".to_string(),
            subtitle: simulation_subtitle(summary),
            currency: context.currency.to_string(),
            steps: nonzero_steps(&steps),
            total_label: "Customer equity".to_string(),
        }
    }

    /// CE by origin: the existing base, customers won during the horizon, and driver spend.
    pub fn origin(summary: &SimulationSummary, context: &SimulationContext<'_>) -> Self {
        let steps = [
            ("Existing customers", summary.origin.existing),
            ("New customers", summary.origin.new),
            ("Drivers", summary.components.drivers),
        ];
        WaterfallChart {
            title: "Customer equity: existing base vs new customers".to_string(),
            subtitle: simulation_subtitle(summary),
            currency: context.currency.to_string(),
            steps: nonzero_steps(&steps),
            total_label: "Customer equity".to_string(),
        }
    }
}

fn nonzero_steps(steps: &[(&str, f64)]) -> Vec<WaterfallStep> {
    steps
        .iter()
        .filter(|(_, value)| *value != 0.0)
        .map(|(label, value)| WaterfallStep {
            label: label.to_string(),
            value: *value,
        })
        .collect()
}

/// The y-axis title of CE charts.
pub(super) fn ce_axis_title(currency: &str) -> String {
    money_axis_title("Customer equity", currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{EngineKind, PeriodRun, RunResult};

    fn run(cumulative: &[f64]) -> RunResult {
        RunResult {
            customer_equity: cumulative.last().copied().unwrap_or(0.0),
            periods: cumulative
                .iter()
                .map(|&c| PeriodRun {
                    cumulative_ce: c,
                    ..PeriodRun::default()
                })
                .collect(),
            ..RunResult::default()
        }
    }

    #[test]
    fn fan_quantiles_per_period_start_at_zero() {
        let runs = (0..=100)
            .map(|k| run(&[f64::from(k), 2.0 * f64::from(k)]))
            .collect();
        let simulation = Simulation {
            engine: EngineKind::Customer,
            runs,
            approximations: Vec::new(),
        };
        let fan = FanSeries::from_runs("current", &simulation);
        assert_eq!(fan.points.len(), 3);
        assert_eq!(fan.points[0].p95, 0.0);
        let p1 = fan.points[1];
        assert_eq!(
            (p1.period, p1.p05, p1.p25, p1.p50, p1.p75, p1.p95),
            (1, 5.0, 25.0, 50.0, 75.0, 95.0)
        );
        assert_eq!(fan.points[2].p50, 100.0);
    }

    #[test]
    fn fan_of_no_runs_is_the_origin_only() {
        let simulation = Simulation {
            engine: EngineKind::Customer,
            runs: vec![],
            approximations: Vec::new(),
        };
        assert_eq!(FanSeries::from_runs("x", &simulation).points.len(), 1);
    }
}
