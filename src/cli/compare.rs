//! `ceq compare`: plans on the same seeds, each plan's CE and every paired difference.

use clap::Args;

use super::args::{RunArgs, StudyArgs, study_files};
use super::progress::Console;
use super::simulate::{resolve_plan, sim_error};
use super::{CliError, output, render_plans, with_threads};
use crate::chart;
use crate::plans::compare::compare;

/// Compare plans of a scenario, paired on the same seeds (common random numbers).
///
/// Every plan is simulated with the same runs: run k of each plan shares its parameter draws
/// and shocks, so the difference between two plans is measured run by run. Prints each plan's
/// mean CE with its 95% confidence interval and, for every pair, the mean difference, its 95%
/// interval and the share of runs in which the first plan beats the second.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq compare scenario.toml                      all plans
  ceq compare scenario.toml --plan current --plan growth
  ceq compare scenario.toml --json > compare.json
  ceq compare scenario.toml --out results/       (compare.json, compare_plans.csv,
                                                  compare_differences.csv, manifest.json)
  ceq compare scenario.toml --out results/ --charts   (also compare and compare_fan charts)")]
pub struct CompareArgs {
    /// A plan to compare; repeat for several (default: all plans, in file order).
    #[arg(long = "plan", value_name = "NAME")]
    pub plans: Vec<String>,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub study: StudyArgs,
}

pub fn run(
    args: &CompareArgs,
    limits: crate::sim::size::Limits,
    console: Console,
) -> Result<(), CliError> {
    args.study.check()?;
    let scenario = args.study.load()?;
    let indices: Vec<crate::scenario::PlanId> = if args.plans.is_empty() {
        scenario.plan_ids().collect()
    } else {
        args.plans
            .iter()
            .map(|name| resolve_plan(&scenario, Some(name), &args.study.scenario))
            .collect::<Result<_, _>>()?
    };
    let mut progress = console.stages();
    let options = args.run.sim_options(scenario.baseline_plan, limits);
    let comparison = with_threads(args.run.threads, || {
        let threads = rayon::current_num_threads();
        super::estimate::announce(
            console,
            crate::sim::estimate::compare(&scenario, &indices, &options, threads)
                .map_err(sim_error)?,
        )?;
        compare(&scenario, &indices, &options, &mut progress).map_err(sim_error)
    })??;
    drop(progress);
    let json = render_plans::json(&comparison).map_err(CliError::failed)?;
    let entry = args.run.entry("compare", &scenario, &args.study.scenario);
    args.study.output.emit(
        console,
        entry,
        &json,
        || {
            let csv = [
                ("compare_plans.csv", render_plans::plans_csv(&comparison)),
                (
                    "compare_differences.csv",
                    render_plans::differences_csv(&comparison),
                ),
            ];
            let mut files = study_files("compare", &json, csv)?;
            if args.study.charts.charts {
                files.extend(output::chart_files(
                    chart::plans::comparison_charts(&comparison, &scenario)
                        .map_err(CliError::failed)?,
                ));
            }
            Ok(files)
        },
        || render_plans::render_comparison(&comparison, &scenario),
    )
}
