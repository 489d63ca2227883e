//! The report as plain data, built once by [`super::build`](fn@super::build) and formatted by the HTML and
//! Markdown modules. Strings are raw (unescaped); each format escapes them.

use super::describe::AssumptionGroup;
use crate::chart::Rendered;
use crate::plans::compare::Difference;
use crate::plans::sensitivity::Effect;
use crate::stats::SimulationSummary;

/// The report's data and its charts.
#[derive(Debug, Clone)]
pub struct Report {
    pub data: ReportData,
    /// (file stem, chart), in the order they appear.
    pub charts: Vec<(String, Rendered)>,
}

/// Everything the report says, as plain data: the HTML and Markdown formatters read only this.
#[derive(Debug, Clone)]
pub struct ReportData {
    pub scenario: String,
    pub currency: String,
    pub ceq_version: String,
    pub seed: u64,
    pub runs: u64,
    pub engine: String,
    /// The command line that re-creates the report.
    pub command: String,
    pub period: String,
    pub summary: SimulationSummary,
    pub best: Option<BestPlan>,
    pub assumptions: Vec<AssumptionGroup>,
    pub comparison: Option<ComparisonSection>,
    pub optimization: Option<OptimizationSection>,
    pub frontier: Option<FrontierSection>,
    pub sensitivity: Option<SensitivitySection>,
    /// Chart stems per section.
    pub simulation_charts: Vec<ChartRef>,
    /// The P(alive) matrix and value distribution of each history-aware cohort.
    pub base_charts: Vec<ChartRef>,
    /// Per plan and cohort it off-boards, what releasing them is worth ([`super::seed_levers`]).
    pub offboarding: Vec<(String, crate::plans::levers_seed::OffboardingValue)>,
    /// The payback charts of the acquisition channels and cohorts (SPEC §9.1).
    pub payback_charts: Vec<ChartRef>,
    /// The scenario's `sample_fraction` when below 1: the results above are scaled to the
    /// full base by [`super::sample::scale`] and the answer says so (SPEC §9.2).
    pub sample_fraction: Option<f64>,
}

/// A chart of the report: its file stem and its alternative text.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartRef {
    pub stem: String,
    pub alt: String,
}

/// The plan with the highest mean CE and its paired gain over the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct BestPlan {
    pub name: String,
    pub baseline: String,
    pub mean: f64,
    /// None when the best plan is the baseline.
    pub gain: Option<Difference>,
}

/// The report's plan comparison: each plan's CE and the paired differences.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonSection {
    /// (name, mean, ci95)
    pub plans: Vec<(String, f64, [f64; 2])>,
    pub differences: Vec<Difference>,
    pub charts: Vec<ChartRef>,
}

/// One lever of the report's optimization: current and optimized spend, marginal return.
#[derive(Debug, Clone, PartialEq)]
pub struct LeverRow {
    pub lever: String,
    pub current: f64,
    pub optimized: f64,
    /// Return per extra unit of discounted spend, net of the unit, with its 95% interval.
    pub marginal: Option<(f64, [f64; 2])>,
}

/// The report's budget split: the levers, the gain over the baseline and how it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizationSection {
    pub budget: Option<f64>,
    pub objective: String,
    pub baseline: String,
    pub levers: Vec<LeverRow>,
    pub gain_mean: f64,
    pub gain_ci95: [f64; 2],
    pub prob_better: f64,
    /// Paired runs behind the gain.
    pub runs: u64,
    pub optimized_mean: f64,
    pub termination: String,
    pub unallocated: Option<f64>,
    pub charts: Vec<ChartRef>,
    /// A phased plan: its spend per lever per year, and what phasing gains over the best
    /// constant split (mean, 95% CI, share of runs better), paired on the fresh runs.
    pub phasing: Option<PhasingRow>,
    /// What each acquisition channel buys under the optimized plan, on its fresh runs
    /// (empty for the flat `[acquisition]` block).
    pub channels: Vec<crate::stats::ChannelSummary>,
}

/// A phased optimum against the best constant split.
#[derive(Debug, Clone, PartialEq)]
pub struct PhasingRow {
    /// (lever, spend per period in each year).
    pub paths: Vec<(String, Vec<f64>)>,
    pub gain_mean: f64,
    pub gain_ci95: [f64; 2],
    pub prob_better: f64,
}

/// The best split at each of a few budgets, and where the baseline plan stands.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierSection {
    pub points: Vec<FrontierRow>,
    /// Runs per budget (the same runs for every budget and the baseline).
    pub runs: u64,
    pub baseline: String,
    /// The baseline plan's total spend per period, and its CE on the frontier's runs.
    pub baseline_spend: f64,
    pub baseline_mean: f64,
    pub baseline_ci95: [f64; 2],
    pub chart: ChartRef,
}

/// One budget of the report's frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierRow {
    pub budget: f64,
    /// What the best split spends on the optimized levers (below the budget when more would
    /// not pay).
    pub spend: f64,
    pub mean: f64,
    pub ci95: [f64; 2],
    /// Extra CE per extra unit of budget since the previous budget: mean and 95% CI.
    pub extra_per_unit: Option<(f64, [f64; 2])>,
}

/// The report's tornado: the largest effects on CE.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivitySection {
    pub runs: u64,
    pub step: f64,
    pub base_mean: f64,
    /// The largest few, largest first.
    pub effects: Vec<Effect>,
    /// (parameters simulated, parameters moved) when the mean-field screen left some out.
    pub screening: Option<(usize, usize)>,
    pub chart: ChartRef,
}
