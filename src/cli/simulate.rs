//! `ceq simulate`: one plan of one scenario, summarized as text, JSON and files.

use anyhow::Context;
use clap::Args;

use super::args::{OutputArgs, RunArgs, StudyArgs};
use super::progress::{self, Console};
use super::publish::{self, Entry};
use super::{CliError, export, output, print_stdout, render_summary};
use crate::chart;
use crate::scenario::Scenario;
use crate::sim::shard::{self, ShardFile, ShardSpec};
use crate::sim::{self, SimError, SimOptions, Simulation};
use crate::stats::{self, SimulationSummary};

/// Simulate customer equity for one plan of a scenario.
///
/// Prints the mean customer equity with its 95% confidence interval, its quantiles and the
/// probability that it is negative, then its components, its split by origin and by cohort,
/// and a per-year table. The seed and number of runs are printed with every result, so a
/// bare command is reproducible.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq simulate scenario.toml
  ceq simulate scenario.toml --plan growth --runs 10000 --seed 7
  ceq simulate scenario.toml --json > summary.json
  ceq simulate scenario.toml --out results/   (summary.json, periods.csv, runs.csv,
                                               manifest.json)
  ceq simulate scenario.toml --out results/ --charts   (also fan, distribution, cohort and
                                                        waterfall charts as PNG and SVG)
  ceq simulate scenario.toml --runs 100000 --shard 3/10 --out shards/   (then: ceq merge shards/)")]
pub struct SimulateArgs {
    /// Plan to simulate (default: the baseline, `current` or else the first plan).
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub study: StudyArgs,

    /// Run only the I-th of N equal slices of the runs (1 ≤ I ≤ N) and save its raw results as
    /// DIR/shard-I-of-N.json (needs --out DIR); `ceq merge` combines the slices into exactly the
    /// result of the unsharded run, so a job array can spread one study over many machines.
    #[arg(long, value_name = "I/N", value_parser = ShardSpec::parse)]
    pub shard: Option<ShardSpec>,
}

pub fn run(
    args: &SimulateArgs,
    limits: crate::sim::size::Limits,
    console: Console,
) -> Result<(), CliError> {
    args.study.check()?;
    let scenario = args.study.load()?;
    let plan = resolve_plan(&scenario, args.plan.as_deref(), &args.study.scenario)?;
    let options = args.run.sim_options(plan, limits);
    if let Some(shard) = args.shard {
        return run_shard(console, args, &scenario, &options, shard);
    }
    let simulation = simulate(
        console,
        &scenario,
        &options,
        0..options.runs,
        args.run.threads,
    )?;
    warn_about_clamped_draws(&simulation);
    let summary = crate::plans::summary::simulation_summary(&scenario, &simulation, &options)
        .map_err(sim_error)?;
    let entry = Entry::new("simulate")
        .scenario(&scenario)
        .input(&args.study.scenario)
        .run(options.seed, options.runs, simulation.engine.name());
    emit(
        Destination {
            console,
            output: &args.study.output,
            charts: args.study.charts.charts,
        },
        entry,
        &summary,
        &simulation,
        scenario.time.periods_per_year,
        &scenario.currency,
    )
}

/// Where a simulation's results go: `--out` or `--json`, whether `--charts`, and the console
/// that names the files written.
pub(crate) struct Destination<'a> {
    pub console: Console,
    pub output: &'a OutputArgs,
    pub charts: bool,
}

/// Writes the summary's files (and charts when asked) into `--out`, then prints the JSON or
/// the text report.
pub(crate) fn emit(
    to: Destination,
    entry: Entry,
    summary: &SimulationSummary,
    simulation: &Simulation,
    periods_per_year: u32,
    currency: &str,
) -> Result<(), CliError> {
    let Destination {
        console,
        output: output_args,
        charts,
    } = to;
    if let Some(path) = stats::first_non_finite(summary) {
        return Err(CliError::invalid(anyhow::anyhow!(
            "the simulation overflowed: {path} is not a finite number; the scenario's amounts \
             are too large for 64-bit floating point (about 1e308), so state money in larger \
             units (thousands or millions) or reduce the sizes"
        )));
    }
    let json = export::summary_json(summary).map_err(CliError::failed)?;
    if let Some(dir) = &output_args.out {
        let mut files = vec![
            ("summary.json".to_string(), json.clone()),
            (
                "periods.csv".to_string(),
                export::periods_csv(summary).map_err(CliError::failed)?,
            ),
            (
                "runs.csv".to_string(),
                export::runs_csv(simulation).map_err(CliError::failed)?,
            ),
        ];
        if charts {
            let context = chart::data::SimulationContext {
                currency,
                periods_per_year,
                sample_fraction: summary.sample_fraction.unwrap_or(1.0),
            };
            let charts = chart::simulation_charts(summary, simulation, &context)
                .map_err(CliError::failed)?;
            files.extend(output::chart_files(charts));
            for base in &summary.existing_base {
                let unit = format!(
                    "{}s",
                    chart::theme::period_name(periods_per_year).to_lowercase()
                );
                let charts =
                    chart::base::base_charts(base, currency, &unit).map_err(CliError::failed)?;
                files.extend(output::chart_files(charts));
            }
            let charts =
                chart::payback::payback_charts(&summary.payback, currency, periods_per_year)
                    .map_err(CliError::failed)?;
            files.extend(output::chart_files(charts));
        }
        output::publish_reported(console, dir, entry, &files)?;
    }
    if output_args.json {
        print_stdout(&String::from_utf8_lossy(&json))
    } else {
        print_stdout(&render_summary(summary, periods_per_year, currency))
    }
}

/// The plan index for `--plan`, or the scenario's baseline. An unknown name is invalid input
/// and the message lists the plans the scenario has.
pub(super) fn resolve_plan(
    scenario: &Scenario,
    name: Option<&str>,
    file: &std::path::Path,
) -> Result<crate::scenario::PlanId, CliError> {
    let Some(name) = name else {
        return Ok(scenario.baseline_plan);
    };
    scenario
        .plan_id(name)
        .ok_or_else(|| CliError::invalid(unknown_plan(scenario, name, file)))
}

fn unknown_plan(scenario: &Scenario, name: &str, file: &std::path::Path) -> anyhow::Error {
    let names: Vec<&str> = scenario.plans.iter().map(|p| p.name.as_str()).collect();
    let suggestion = names
        .iter()
        .map(|n| (strsim::jaro_winkler(name, n), n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| format!(" (did you mean '{n}'?)"))
        .unwrap_or_default();
    anyhow::anyhow!(
        "{}: no plan named '{name}'{suggestion}; the plans are: {}",
        file.display(),
        names.join(", ")
    )
}

/// `--shard I/N`: simulates the slice and writes its raw results for `ceq merge`.
fn run_shard(
    console: Console,
    args: &SimulateArgs,
    scenario: &Scenario,
    options: &SimOptions,
    shard: ShardSpec,
) -> Result<(), CliError> {
    let Some(dir) = &args.study.output.out else {
        return Err(CliError::invalid(anyhow::anyhow!(
            "--shard needs --out DIR: the shard's results go to DIR/{} for `ceq merge`",
            shard.file_name()
        )));
    };
    if args.study.output.json {
        return Err(CliError::invalid(anyhow::anyhow!(
            "--shard writes raw results for `ceq merge`; ask `ceq merge --json` for the summary"
        )));
    }
    if shard.count > options.runs {
        return Err(CliError::invalid(anyhow::anyhow!(
            "--shard {}/{}: {} shards of {} runs would leave some without runs; use at most {} \
             shards or more --runs",
            shard.index,
            shard.count,
            shard.count,
            options.runs,
            options.runs
        )));
    }
    let range = shard.runs(options.runs);
    let mut simulation = simulate(console, scenario, options, range.clone(), args.run.threads)?;
    warn_about_clamped_draws(&simulation);
    let plan = &scenario.plans[options.plan];
    let channel_names = crate::plans::summary::measured_channels(scenario);
    if !channel_names.is_empty() {
        crate::plans::channels::measure_channel_values(
            scenario,
            plan,
            &mut simulation,
            options,
            range.start,
        )
        .map_err(sim_error)?;
    }
    crate::plans::payback::measure_vintages(scenario, plan, &mut simulation, options, range.start)
        .map_err(sim_error)?;
    let simulation_engine = simulation.engine.name();
    let file = ShardFile {
        ceq_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        scenario_digest: shard::scenario_digest(scenario),
        cohorts: scenario.cohorts.iter().map(|c| c.name.clone()).collect(),
        currency: scenario.currency.clone(),
        periods_per_year: scenario.time.periods_per_year,
        plan: scenario.plans[options.plan].name.clone(),
        seed: options.seed,
        runs: options.runs,
        shard,
        engine: simulation_engine.to_string(),
        approximations: simulation.approximations.clone(),
        results_sha256: shard::results_digest(&simulation.runs),
        results: simulation.runs,
        channel_names,
        payback_frame: crate::plans::payback::PaybackFrame::new(scenario),
        existing_base: crate::fit::base_value::value_base(scenario)
            .iter()
            .map(shard::ShardBase::from)
            .collect(),
    };
    let bytes = serde_json::to_vec(&file)
        .context("cannot encode the shard")
        .map_err(CliError::failed)?;
    let entry = Entry::new(format!("simulate --shard {}/{}", shard.index, shard.count))
        .scenario(scenario)
        .input(&args.study.scenario)
        .run(options.seed, options.runs, simulation_engine);
    for path in publish::publish(dir, entry, &[(shard.file_name(), bytes)])? {
        console.info(&format!(
            "wrote {} (runs {}..{} of {})",
            path.display(),
            range.start + 1,
            range.end,
            options.runs
        ));
    }
    Ok(())
}

/// Runs the engine over `runs`, inside a pool of `threads` workers when asked. Results do not
/// depend on the pool size (SPEC §11); the flag only limits the cores used.
fn simulate(
    console: Console,
    scenario: &Scenario,
    options: &SimOptions,
    runs: std::ops::Range<u64>,
    threads: Option<u16>,
) -> Result<Simulation, CliError> {
    let plan = &scenario.plans[options.plan];
    let total = runs.end - runs.start;
    let go = || {
        let threads = rayon::current_num_threads();
        super::estimate::announce(
            console,
            sim::estimate::simulate(scenario, options, total, threads).map_err(sim_error)?,
        )?;
        console
            .with_runs(total, &options.control, |control| {
                let options = SimOptions {
                    control,
                    ..options.clone()
                };
                sim::run_plan_range(scenario, plan, &options, runs.clone())
            })
            .map_err(sim_error)
    };
    match threads {
        None => go(),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build()
            .context("cannot start the worker threads")
            .map_err(CliError::failed)?
            .install(go),
    }
}

/// Refusals of the input (too large, an engine that cannot do this scenario) exit 2; any
/// other engine failure exits 1. The match is exhaustive so that a new kind of error gets a
/// deliberate exit code.
pub(super) fn sim_error(error: SimError) -> CliError {
    match error {
        SimError::TooLarge(_) | SimError::NoSuchPlan(_) | SimError::Unsupported(..) => {
            CliError::invalid(error)
        }
        SimError::Interrupted => CliError::interrupted(),
    }
}

/// Uncertain parameters drawn outside their valid range were clamped; the user should know,
/// because clamping shifts the distribution they asked for.
pub(crate) fn warn_about_clamped_draws(simulation: &Simulation) {
    let clamped: u64 = simulation
        .runs
        .iter()
        .map(|r| u64::from(r.clamped_draws))
        .sum();
    if clamped > 0 {
        progress::note(&format!(
            "warning: {clamped} uncertain-parameter draw(s) fell outside the parameter's valid \
             range and were clamped to it; consider narrowing the [uncertainty] distributions"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{CashFlowTiming, Plan, Shocks, Time};
    use std::path::Path;

    fn scenario_with_plans(names: &[&str], baseline: usize) -> Scenario {
        Scenario {
            name: "s".to_string(),
            currency: "USD".to_string(),
            time: Time {
                periods: 12,
                periods_per_year: 12,
                discount_rate: 0.1,
                cash_flow_timing: CashFlowTiming::End,
            },
            cohorts: vec![],
            acquisition: None,
            retention_program: None,
            development_program: None,
            winback: None,
            drivers: [None; 3],
            migration: vec![],
            shocks: Shocks::default(),
            uncertainty: vec![],
            uncertainty_draws: None,
            plans: names
                .iter()
                .map(|name| Plan {
                    name: name.to_string(),
                    ..Plan::baseline()
                })
                .collect(),
            baseline_plan: crate::scenario::PlanId::at(baseline),
            optimize: None,
            sample_fraction: 1.0,
        }
    }

    #[test]
    fn no_plan_flag_means_the_baseline() {
        let scenario = scenario_with_plans(&["growth", "current"], 1);
        let plan = resolve_plan(&scenario, None, Path::new("s.toml")).unwrap();
        assert_eq!(plan.index(), 1);
        let plan = resolve_plan(&scenario, Some("growth"), Path::new("s.toml")).unwrap();
        assert_eq!(plan.index(), 0);
    }

    #[test]
    fn unknown_plan_lists_the_plans_and_suggests_the_closest() {
        let scenario = scenario_with_plans(&["current", "growth"], 0);
        let error = resolve_plan(&scenario, Some("grwoth"), Path::new("s.toml")).unwrap_err();
        assert_eq!(error.code, crate::cli::EXIT_INVALID);
        assert_eq!(
            error.report(),
            "error: s.toml: no plan named 'grwoth' (did you mean 'growth'?); \
             the plans are: current, growth"
        );
        let error = resolve_plan(&scenario, Some("zzz"), Path::new("s.toml")).unwrap_err();
        assert_eq!(
            error.report(),
            "error: s.toml: no plan named 'zzz'; the plans are: current, growth"
        );
    }

    #[test]
    fn refused_input_exits_two() {
        let error = sim_error(SimError::TooLarge("10^12 customer-periods".to_string()));
        assert_eq!(error.code, crate::cli::EXIT_INVALID);
        assert_eq!(error.report(), "error: 10^12 customer-periods");
    }
}
