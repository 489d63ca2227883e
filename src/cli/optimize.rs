//! `ceq optimize`: the best split of a budget across levers, with its uncertainty and reasons.

use clap::Args;

use super::args::{BudgetArg, RunArgs, StudyArgs, parse_budget, parse_objective};
use super::progress::Console;
use super::publish::Entry;
use super::simulate::{resolve_plan, warn_about_clamped_draws};
use super::{CliError, export, optimize_error, output, render_plans, with_threads};
use crate::chart;
use crate::optimize::curves::response_curves;
use crate::optimize::{Progress, Settings, optimize};
use crate::scenario::{Objective, Optimize, Target};

/// Find the split of a budget across acquisition, retention and the equity drivers that
/// maximizes the objective (SPEC §10).
///
/// The search maximizes the objective of the simulated customer equity on common random
/// numbers (--search-runs runs of --seed, doubled up to --max-search-runs as it closes in),
/// starting from a deterministic mean-field optimum. The answer is certified on fresh runs:
/// its marginal returns must satisfy the optimality conditions within their intervals, or the
/// output says plainly that it is not certified and why. The chosen plan and the baseline are
/// then simulated on fresh, independent seeds (--runs runs): the report shows the paired
/// improvement with its 95% interval, what each extra unit of spend on each lever returns,
/// binding bounds, any unallocated budget and why the search stopped. --phases yearly chooses
/// one level per lever per year; --hurdle H spends only while the next unit returns at least
/// H on top of itself.
/// Settings come from the scenario's [optimize] section; the flags override them.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq optimize scenario.toml
  ceq optimize scenario.toml --budget 20000 --objective mean
  ceq optimize scenario.toml --objective mean_minus_sd=0.5 --json
  ceq optimize scenario.toml --budget none          (no cap: also find how much to spend)
  ceq optimize scenario.toml --out results/         (optimize.json, optimized_plan.toml,
                                                     optimize_periods.csv, optimize_runs.csv)
  ceq optimize scenario.toml --out results/ --charts   (also optimize_allocation,
                                 optimize_response_curves and optimize_fan, PNG and SVG)")]
pub struct OptimizeArgs {
    /// Total spend per period (overrides [optimize].budget); `none` for no cap.
    #[arg(long, value_name = "B", value_parser = parse_budget)]
    pub budget: Option<BudgetArg>,

    /// mean, mean_minus_sd=λ, cvar=α or prob_above=TARGET (overrides [optimize].objective).
    #[arg(long, value_name = "OBJECTIVE", value_parser = parse_objective)]
    pub objective: Option<Objective>,

    /// Baseline plan: the start of the search and the comparison (default: the scenario's).
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,

    /// Monte Carlo runs per evaluation in the search's first round (doubled as it closes in).
    #[arg(long, value_name = "N", default_value_t = Settings::DEFAULT_SEARCH_RUNS, value_parser = clap::value_parser!(u64).range(2..))]
    pub search_runs: u64,

    /// The most runs per evaluation the search may grow to.
    #[arg(long, value_name = "N", default_value_t = Settings::DEFAULT_MAX_SEARCH_RUNS, value_parser = clap::value_parser!(u64).range(2..))]
    pub max_search_runs: u64,

    /// The least fresh runs of the certification at the chosen plan.
    #[arg(long, value_name = "N", default_value_t = Settings::DEFAULT_CERTIFY_RUNS, value_parser = clap::value_parser!(u64).range(2..))]
    pub certify_runs: u64,

    /// The most Monte Carlo evaluations (simulations of one plan) of the whole search.
    #[arg(long, value_name = "N", default_value_t = Settings::DEFAULT_MAX_EVALUATIONS)]
    pub max_evaluations: u64,

    /// `yearly`: one level per lever per year (the budget holds in every year); `none`: one
    /// constant level (overrides [optimize].phases).
    #[arg(long, value_name = "PHASES", value_parser = ["yearly", "none"])]
    pub phases: Option<String>,

    /// Spend only while the next unit returns at least H on top of itself (overrides
    /// [optimize].hurdle).
    #[arg(long, value_name = "H")]
    pub hurdle: Option<f64>,

    /// Find the smallest budget that reaches a target instead: `mean=X` (mean CE ≥ X) or
    /// `prob_above=X,probability=P` (P(CE > X) ≥ P); the budget, if any, is the cap
    /// (overrides [optimize].target).
    #[arg(long, value_name = "TARGET", value_parser = parse_target)]
    pub target: Option<Target>,

    /// Runs whose draws and shocks the mean-field search averages over (0: none).
    #[arg(long, value_name = "N", default_value_t = Settings::DEFAULT_MEAN_FIELD_RUNS)]
    pub mean_field_runs: u64,

    /// Iteration limit of the mean-field search (per start).
    #[arg(long, value_name = "N", default_value_t = Settings::DEFAULT_MAX_ITERATIONS)]
    pub max_iterations: u64,

    /// The most steps of the Monte Carlo search (line searches along the simulated gradient).
    #[arg(long, value_name = "N", default_value_t = Settings::DEFAULT_REFINE_STEPS)]
    pub refine_steps: u32,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub study: StudyArgs,
}

/// `mean=X` or `prob_above=X,probability=P` (P in (0, 1)).
fn parse_target(text: &str) -> Result<Target, String> {
    let mut fields = std::collections::BTreeMap::new();
    for part in text.split(',') {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}`: expected key=value"))?;
        let number: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("`{value}` is not a number"))?;
        if !number.is_finite() {
            return Err(format!("`{value}` is not a finite number"));
        }
        fields.insert(key.trim().to_string(), number);
    }
    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    match keys.as_slice() {
        ["mean"] => Ok(Target::Mean(fields["mean"])),
        ["prob_above", "probability"] => {
            let probability = fields["probability"];
            if !(probability > 0.0 && probability < 1.0) {
                return Err(format!(
                    "probability {probability}: expected a share in (0, 1)"
                ));
            }
            Ok(Target::ProbAbove {
                threshold: fields["prob_above"],
                probability,
            })
        }
        _ => Err("expected mean=X or prob_above=X,probability=P".to_string()),
    }
}

pub fn run(
    args: &OptimizeArgs,
    limits: crate::sim::size::Limits,
    console: Console,
) -> Result<(), CliError> {
    args.study.check()?;
    let scenario = args.study.load()?;
    let baseline = resolve_plan(&scenario, args.plan.as_deref(), &args.study.scenario)?;
    let mut optimize_section = Optimize::of(&scenario);
    if let Some(BudgetArg(budget)) = args.budget {
        optimize_section.budget = budget;
    }
    if let Some(objective) = args.objective {
        optimize_section.objective = objective;
    }
    let mut settings = Settings::new(optimize_section, baseline);
    settings.runs = args.run.runs;
    settings.seed = args.run.seed;
    settings.engine = args.run.engine.into();
    settings.limits = limits;
    settings.control = crate::cancel::control();
    settings.search_runs = args.search_runs;
    settings.mean_field_runs = args.mean_field_runs;
    settings.max_iterations = args.max_iterations;
    settings.refine_steps = args.refine_steps;
    settings.max_search_runs = args.max_search_runs;
    settings.certify_runs = args.certify_runs;
    settings.max_evaluations = args.max_evaluations;
    if let Some(phases) = &args.phases {
        settings.optimize.phases = phases == "yearly";
    }
    if let Some(target) = args.target {
        settings.optimize.target = Some(target);
    }
    if let Some(hurdle) = args.hurdle {
        if !(hurdle.is_finite() && hurdle >= 0.0) {
            return Err(CliError::invalid(anyhow::anyhow!(
                "--hurdle {hurdle}: expected a return per unit of spend, a number ≥ 0"
            )));
        }
        settings.optimize.hurdle = Some(hurdle);
    }
    with_threads(args.run.threads, || {
        let threads = rayon::current_num_threads();
        super::estimate::announce(
            console,
            crate::optimize::estimate::optimize_work(
                &scenario,
                &settings,
                args.study.charts.charts,
                threads,
            )
            .map_err(optimize_error)?,
        )
    })??;
    let mut progress = console.stages();
    let (result, curves) = with_threads(args.run.threads, || {
        let result = optimize(&scenario, &settings, &mut progress)?;
        let curves = if args.study.charts.charts {
            progress.message("response curves for the charts (Monte Carlo)");
            Some(response_curves(&scenario, &settings, &result)?)
        } else {
            None
        };
        Ok((result, curves))
    })?
    .map_err(optimize_error)?;
    drop(progress);
    warn_about_clamped_draws(&result.chosen);
    let mut summary = with_threads(args.run.threads, || {
        crate::optimize::report::optimized_summary(&scenario, &settings, &result)
    })?
    .map_err(super::simulate::sim_error)?;
    crate::plans::summary::add_full_base(&mut summary, &scenario);
    let report = render_plans::optimize_report(&scenario, &settings, &result, summary.clone());
    let json = render_plans::json(&report).map_err(CliError::failed)?;
    let entry = Entry::new("optimize")
        .scenario(&scenario)
        .input(&args.study.scenario)
        .run(
            result.fresh_seed,
            args.run.runs,
            result.chosen.engine.name(),
        );
    args.study.output.emit(
        console,
        entry,
        &json,
        || {
            let mut files = vec![
                ("optimize.json".to_string(), json.clone()),
                (
                    "optimized_plan.toml".to_string(),
                    render_plans::plan_toml(&scenario, &settings, &result).into_bytes(),
                ),
                (
                    "optimize_periods.csv".to_string(),
                    export::periods_csv(&summary).map_err(CliError::failed)?,
                ),
                (
                    "optimize_runs.csv".to_string(),
                    render_plans::paired_runs_csv(&result).map_err(CliError::failed)?,
                ),
            ];
            if let Some(curves) = &curves {
                files.extend(output::chart_files(
                    chart::plans::optimization_charts(&scenario, &settings, &result, curves)
                        .map_err(CliError::failed)?,
                ));
            }
            Ok(files)
        },
        || render_plans::render_optimization(&scenario, &settings, &result, &report),
    )
}
