//! `ceq simulate`: one plan of one scenario, summarized as text, JSON and files.

use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

use super::args::{OutputArgs, RunArgs};
use super::{CliError, export, output, print_stdout, render};
use crate::scenario::{self, Scenario};
use crate::sim::{self, SimError, SimOptions, Simulation};
use crate::stats::{self, SummaryContext};

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
  ceq simulate scenario.toml --out results/   (summary.json, periods.csv, runs.csv)")]
pub struct SimulateArgs {
    /// Scenario file (TOML, or JSON when it ends in .json).
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,

    /// Plan to simulate (default: the baseline, `current` or else the first plan).
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &SimulateArgs) -> Result<(), CliError> {
    let scenario = scenario::load_file(&args.scenario).map_err(CliError::invalid)?;
    let plan = resolve_plan(&scenario, args.plan.as_deref(), &args.scenario)?;
    let options = SimOptions {
        plan,
        runs: args.run.runs,
        seed: args.run.seed,
        engine: args.run.engine.into(),
    };
    let simulation = simulate(&scenario, &options, args.run.threads)?;
    warn_about_clamped_draws(&simulation);
    let context = SummaryContext {
        scenario: &scenario,
        plan: &scenario.plans[plan].name,
        seed: options.seed,
    };
    let summary = stats::summarize(&context, &simulation);
    let json = export::summary_json(&summary).map_err(CliError::failed)?;
    if let Some(dir) = &args.output.out {
        let files = [
            ("summary.json", json.clone()),
            (
                "periods.csv",
                export::periods_csv(&summary).map_err(CliError::failed)?,
            ),
            (
                "runs.csv",
                export::runs_csv(&simulation).map_err(CliError::failed)?,
            ),
        ];
        for path in output::write_files(dir, &files).map_err(CliError::failed)? {
            eprintln!("wrote {}", path.display());
        }
    }
    if args.output.json {
        print_stdout(&String::from_utf8_lossy(&json))
    } else {
        let text =
            render::render_summary(&summary, scenario.time.periods_per_year, &scenario.currency);
        print_stdout(&text)
    }
}

/// The plan index for `--plan`, or the scenario's baseline. An unknown name is invalid input
/// and the message lists the plans the scenario has.
pub(super) fn resolve_plan(
    scenario: &Scenario,
    name: Option<&str>,
    file: &std::path::Path,
) -> Result<usize, CliError> {
    let Some(name) = name else {
        return Ok(scenario.baseline_plan);
    };
    scenario
        .plan_index(name)
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

/// Runs the engine, inside a pool of `threads` workers when asked. Results do not depend on
/// the pool size (SPEC §11); the flag only limits the cores used.
fn simulate(
    scenario: &Scenario,
    options: &SimOptions,
    threads: Option<u16>,
) -> Result<Simulation, CliError> {
    let result = match threads {
        None => sim::run(scenario, options),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build()
            .context("cannot start the worker threads")
            .map_err(CliError::failed)?
            .install(|| sim::run(scenario, options)),
    };
    result.map_err(sim_error)
}

/// Refusals of the input (too large, an engine that cannot do this scenario) exit 2; any
/// other engine failure exits 1. The match is exhaustive so that a new kind of error gets a
/// deliberate exit code.
pub(super) fn sim_error(error: SimError) -> CliError {
    match error {
        SimError::TooLarge(_) | SimError::NoSuchPlan(_) | SimError::Unsupported(..) => {
            CliError::invalid(error)
        }
    }
}

/// Uncertain parameters drawn outside their valid range were clamped; the user should know,
/// because clamping shifts the distribution they asked for.
pub(super) fn warn_about_clamped_draws(simulation: &Simulation) {
    let clamped: u64 = simulation
        .runs
        .iter()
        .map(|r| u64::from(r.clamped_draws))
        .sum();
    if clamped > 0 {
        eprintln!(
            "warning: {clamped} uncertain-parameter draw(s) fell outside the parameter's valid \
             range and were clamped to it; consider narrowing the [uncertainty] distributions"
        );
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
            drivers: [None; 3],
            migration: vec![],
            shocks: Shocks::default(),
            uncertainty: vec![],
            plans: names
                .iter()
                .map(|name| Plan {
                    name: name.to_string(),
                    ..Plan::baseline()
                })
                .collect(),
            baseline_plan: baseline,
            optimize: None,
        }
    }

    #[test]
    fn no_plan_flag_means_the_baseline() {
        let scenario = scenario_with_plans(&["growth", "current"], 1);
        let plan = resolve_plan(&scenario, None, Path::new("s.toml")).unwrap();
        assert_eq!(plan, 1);
        let plan = resolve_plan(&scenario, Some("growth"), Path::new("s.toml")).unwrap();
        assert_eq!(plan, 0);
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
