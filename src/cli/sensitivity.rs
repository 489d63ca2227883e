//! `ceq sensitivity`: every parameter moved down and up, ranked by its effect on mean CE.

use clap::Args;
use std::path::PathBuf;

use super::args::{EngineArg, OutputArgs};
use super::progress::TerminalProgress;
use super::simulate::{resolve_plan, sim_error};
use super::{CliError, output, print_stdout, render_plans, with_threads};
use crate::plans::sensitivity::sensitivity;
use crate::scenario;

/// Move every scalar parameter of the scenario down and up (default ±10%) on paired seeds and
/// rank the parameters by their effect on mean customer equity — the data of a tornado chart.
///
/// Retention rates and means move their churn (1 − retention) rather than the rate itself;
/// parameters named in [uncertainty] move their distribution. Each effect is the paired
/// difference from the scenario as written, with its 95% interval.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq sensitivity scenario.toml
  ceq sensitivity scenario.toml --step 0.2 --runs 500 --plan growth
  ceq sensitivity scenario.toml --out results/   (sensitivity.json, sensitivity.csv)")]
pub struct SensitivityArgs {
    /// Scenario file (TOML, or JSON when it ends in .json).
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,

    /// Plan to simulate (default: the baseline).
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,

    /// Relative move of each parameter, in (0, 1).
    #[arg(long, value_name = "S", default_value_t = 0.1, value_parser = parse_step)]
    pub step: f64,

    /// Monte Carlo runs per variant (two variants per parameter, all on the same seeds).
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u64).range(2..))]
    pub runs: u64,

    /// Random seed.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Simulation engine.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,

    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_step(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s < 1.0 => Ok(s),
        _ => Err(format!(
            "expected a relative step in (0, 1), e.g. 0.1; got '{text}'"
        )),
    }
}

pub fn run(args: &SensitivityArgs) -> Result<(), CliError> {
    let scenario = scenario::load_file(&args.scenario).map_err(CliError::invalid)?;
    let plan = resolve_plan(&scenario, args.plan.as_deref(), &args.scenario)?;
    let mut progress = TerminalProgress::new(args.quiet);
    let result = with_threads(args.threads, || {
        sensitivity(
            &scenario,
            plan,
            args.step,
            args.runs,
            args.seed,
            args.engine.into(),
            &mut progress,
        )
    })?
    .map_err(sim_error)?;
    drop(progress);
    let json = render_plans::json(&result).map_err(CliError::failed)?;
    if let Some(dir) = &args.output.out {
        let files = [
            ("sensitivity.json", json.clone()),
            (
                "sensitivity.csv",
                render_plans::sensitivity_csv(&result).map_err(CliError::failed)?,
            ),
        ];
        for path in output::write_files(dir, &files).map_err(CliError::failed)? {
            eprintln!("wrote {}", path.display());
        }
    }
    if args.output.json {
        print_stdout(&String::from_utf8_lossy(&json))
    } else {
        print_stdout(&render_plans::render_sensitivity(
            &result,
            &scenario.currency,
        ))
    }
}
