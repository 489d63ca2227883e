//! `ceq frontier`: the optimal split and its CE at each budget.

use clap::Args;

use super::args::{RunArgs, StudyArgs, parse_budget_range, parse_objective, study_files};
use super::progress::Console;
use super::simulate::resolve_plan;
use super::{CliError, optimize_error, output, render_plans, with_threads};
use crate::chart::{self, data::FrontierChart};
use crate::optimize::Settings;
use crate::plans::frontier::frontier;
use crate::scenario::Objective;

/// The efficient frontier: the optimal split of each budget and its customer equity.
///
/// For each budget the split is searched as `ceq optimize` steers it (mean field), and the
/// chosen plan is simulated on the same fresh seed, so successive budgets are compared run by
/// run: "each extra unit of budget per period buys" comes with a paired 95% interval.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq frontier scenario.toml --budgets 10000,17000,25000
  ceq frontier scenario.toml --budget-range 5000:30000:5000 --json
  ceq frontier scenario.toml --budgets 10000,20000 --out results/   (frontier.json, frontier.csv)
  ceq frontier scenario.toml --budget-range 5000:30000:5000 --out results/ --charts
                                                   (also frontier.png and frontier.svg)")]
pub struct FrontierArgs {
    /// Budgets per period, comma-separated.
    #[arg(
        long,
        value_name = "B,B,...",
        value_delimiter = ',',
        required_unless_present = "budget_range",
        conflicts_with = "budget_range"
    )]
    pub budgets: Vec<f64>,

    /// Budgets LO, LO+STEP, … up to HI.
    #[arg(long, value_name = "LO:HI:STEP", value_parser = |s: &str| parse_budget_range(s).map(BudgetRange))]
    pub budget_range: Option<BudgetRange>,

    /// mean, mean_minus_sd=λ, cvar=α or prob_above=TARGET (overrides [optimize].objective).
    #[arg(long, value_name = "OBJECTIVE", value_parser = parse_objective)]
    pub objective: Option<Objective>,

    /// Baseline plan: the start of each search (default: the scenario's).
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,

    /// Runs whose draws and shocks the mean-field search averages over (0: none).
    #[arg(long, value_name = "N", default_value_t = Settings::DEFAULT_MEAN_FIELD_RUNS)]
    pub mean_field_runs: u64,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub study: StudyArgs,
}

/// The budgets of `--budget-range` (one argument, many budgets).
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetRange(pub Vec<f64>);

/// The most budgets of one frontier, as `--budget-range` allows.
const MAX_BUDGETS: usize = 1000;

pub fn run(
    args: &FrontierArgs,
    limits: crate::sim::size::Limits,
    console: Console,
) -> Result<(), CliError> {
    args.study.check()?;
    let budgets: Vec<f64> = match &args.budget_range {
        Some(range) => range.0.clone(),
        None => args.budgets.clone(),
    };
    if budgets.len() > MAX_BUDGETS {
        return Err(CliError::invalid(anyhow::anyhow!(
            "--budgets lists {} budgets; at most {MAX_BUDGETS} (each is a whole optimization)",
            budgets.len()
        )));
    }
    if let Some(bad) = budgets.iter().find(|b| !(**b >= 0.0 && b.is_finite())) {
        return Err(CliError::invalid(anyhow::anyhow!(
            "--budgets: every budget must be a number ≥ 0, got {bad}"
        )));
    }
    let scenario = args.study.load()?;
    let baseline = resolve_plan(&scenario, args.plan.as_deref(), &args.study.scenario)?;
    let mut section = crate::scenario::Optimize::of(&scenario);
    if let Some(objective) = args.objective {
        section.objective = objective;
    }
    let mut settings = Settings::new(section, baseline);
    settings.runs = args.run.runs;
    settings.seed = args.run.seed;
    settings.engine = args.run.engine.into();
    settings.mean_field_runs = args.mean_field_runs;
    settings.marginal = false;
    settings.limits = limits;
    settings.control = crate::cancel::control();
    with_threads(args.run.threads, || {
        let threads = rayon::current_num_threads();
        super::estimate::announce(
            console,
            crate::optimize::estimate::frontier_work(&scenario, &settings, budgets.len(), threads)
                .map_err(optimize_error)?,
        )
    })??;
    let mut progress = console.stages();
    let result = with_threads(args.run.threads, || {
        frontier(&scenario, &settings, &budgets, &mut progress)
    })?
    .map_err(optimize_error)?;
    drop(progress);
    let json = render_plans::json(&result).map_err(CliError::failed)?;
    let entry = args.run.entry("frontier", &scenario, &args.study.scenario);
    args.study.output.emit(
        console,
        entry,
        &json,
        || {
            let csv = [("frontier.csv", render_plans::frontier_csv(&result))];
            let mut files = study_files("frontier", &json, csv)?;
            if args.study.charts.charts {
                let frontier = FrontierChart::from_frontier(&result, &scenario);
                let rendered = chart::frontier_chart(&frontier).map_err(CliError::failed)?;
                files.extend(output::chart_files(vec![("frontier", rendered)]));
            }
            Ok(files)
        },
        || render_plans::render_frontier(&result, &scenario),
    )
}
