//! `ceq sensitivity`: every parameter moved down and up, ranked by its effect on mean CE.

use clap::Args;

use super::args::{EngineArg, StudyArgs, study_files};
use super::progress::Console;
use super::publish::Entry;
use super::simulate::{resolve_plan, sim_error};
use super::{CliError, output, render_plans, with_threads};
use crate::chart::plans::TORNADO_PARAMETERS;
use crate::chart::{self, data::TornadoChart};
use crate::plans::sensitivity::{Settings, sensitivity};

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
  ceq sensitivity scenario.toml --screen 15     (simulate only the 15 largest by the mean field)
  ceq sensitivity scenario.toml --out results/   (sensitivity.json, sensitivity.csv)
  ceq sensitivity scenario.toml --out results/ --charts   (also tornado.png and tornado.svg)")]
pub struct SensitivityArgs {
    /// Plan to simulate (default: the baseline).
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,

    /// Relative move of each parameter, in (0, 1).
    #[arg(long, value_name = "S", default_value_t = Settings::DEFAULT_STEP, value_parser = parse_step)]
    pub step: f64,

    /// Monte Carlo runs per variant (two variants per parameter, all on the same seeds).
    #[arg(long, value_name = "N", default_value_t = Settings::DEFAULT_RUNS, value_parser = clap::value_parser!(u64).range(2..))]
    pub runs: u64,

    /// Random seed.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Simulation engine.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,

    /// Simulate only the N parameters with the largest effects in the optimizer's mean field
    /// (a fast deterministic screen); the rest are listed as screened out. Default: all.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub screen: Option<u64>,

    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,

    #[command(flatten)]
    pub study: StudyArgs,
}

fn parse_step(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s < 1.0 => Ok(s),
        _ => Err(format!(
            "expected a relative step in (0, 1), e.g. 0.1; got '{text}'"
        )),
    }
}

pub fn run(
    args: &SensitivityArgs,
    limits: crate::sim::size::Limits,
    console: Console,
) -> Result<(), CliError> {
    args.study.check()?;
    let scenario = args.study.load()?;
    let plan = resolve_plan(&scenario, args.plan.as_deref(), &args.study.scenario)?;
    let settings = Settings {
        plan,
        step: args.step,
        runs: args.runs,
        seed: args.seed,
        engine: args.engine.into(),
        limits,
        control: crate::cancel::control(),
        screen: args
            .screen
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
    };
    let mut progress = console.stages();
    let result = with_threads(args.threads, || {
        let options = crate::sim::SimOptions {
            plan,
            runs: args.runs,
            seed: args.seed,
            engine: args.engine.into(),
            limits,
            control: crate::cancel::control(),
        };
        let threads = rayon::current_num_threads();
        super::estimate::announce(
            console,
            crate::sim::estimate::sensitivity(
                "sensitivity",
                &scenario,
                &options,
                settings.screen,
                threads,
            )
            .map_err(sim_error)?,
        )?;
        sensitivity(&scenario, &settings, &mut progress).map_err(sim_error)
    })??;
    drop(progress);
    let json = render_plans::json(&result).map_err(CliError::failed)?;
    let entry = Entry::study(
        "sensitivity",
        &scenario,
        &args.study.scenario,
        (args.seed, args.runs, args.engine),
    );
    args.study.output.emit(
        console,
        entry,
        &json,
        || {
            let csv = [("sensitivity.csv", render_plans::sensitivity_csv(&result))];
            let mut files = study_files("sensitivity", &json, csv)?;
            if args.study.charts.charts {
                let tornado =
                    TornadoChart::from_sensitivity(&result, &scenario, TORNADO_PARAMETERS);
                let rendered = chart::tornado_chart(&tornado).map_err(CliError::failed)?;
                files.extend(output::chart_files(vec![("tornado", rendered)]));
            }
            Ok(files)
        },
        || render_plans::render_sensitivity(&result, &scenario),
    )
}
