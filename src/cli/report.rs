//! `ceq report`: a self-contained HTML page and a Markdown report with the charts beside them.

use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

use super::args::RunArgs;
use super::progress::Console;
use super::publish::{self, Entry};
use super::simulate::sim_error;
use super::{CliError, optimize_error, with_threads};
use crate::report::{self, Options, ReportError};
use crate::scenario;

/// Write a report a reader who never ran ceq can follow: the answer first, the assumptions in
/// plain words, the simulation, the plan comparison, the optimization (when the scenario has
/// [optimize]), the sensitivity, the method with citations and the command that re-creates it.
///
/// DIR/report.html is one page that works offline (charts embedded); DIR/report.md links the
/// charts written beside it as PNG and SVG.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq report scenario.toml --out report/
  ceq report scenario.toml --out report/ --runs 10000 --seed 7
  ceq report scenario.toml --out report/ --no-optimize --sensitivity-runs 50")]
pub struct ReportArgs {
    /// Scenario file (TOML, or JSON when it ends in .json).
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,

    /// Directory for report.html, report.md and the charts (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub run: RunArgs,

    /// Monte Carlo runs per variant of the sensitivity analysis (0: leave it out).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub sensitivity_runs: u64,

    /// Leave out the optimization even when the scenario has [optimize].
    #[arg(long)]
    pub no_optimize: bool,

    /// Leave out the budget frontier (the best split at 50% to 150% of the budget).
    #[arg(long)]
    pub no_frontier: bool,
}

pub fn run(
    args: &ReportArgs,
    limits: crate::sim::size::Limits,
    console: Console,
) -> Result<(), CliError> {
    super::publish::check_out_dir(&args.out)?;
    let scenario = scenario::load_file(&args.scenario).map_err(CliError::invalid)?;
    let options = Options {
        runs: args.run.runs,
        seed: args.run.seed,
        sensitivity_runs: args.sensitivity_runs,
        optimize: !args.no_optimize,
        frontier: !args.no_frontier,
        engine: args.run.engine.into(),
        command: command_line(args),
        limits,
        control: crate::cancel::control(),
    };
    let mut progress = console.stages();
    let built = with_threads(args.run.threads, || {
        let threads = rayon::current_num_threads();
        super::estimate::announce(
            console,
            crate::report::estimate::report_work(&scenario, &options, threads)
                .map_err(super::optimize_error)?,
        )?;
        report::build(&scenario, &options, &mut progress).map_err(|e| match e {
            ReportError::Sim(e) => sim_error(e),
            ReportError::Optimize(e) => optimize_error(e),
            ReportError::Chart(e) => CliError::failed(e),
        })
    })??;
    drop(progress);
    let mut built = built;
    prefix_charts(&mut built, "report_");
    let html = report::html::render(&built.data, &built.charts)
        .map_err(|e| CliError::failed(anyhow::anyhow!("cannot lay out report.html: {e}")))?;
    let markdown = report::markdown::render(&built.data);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("report.html".to_string(), html.into_bytes()),
        ("report.md".to_string(), markdown.into_bytes()),
    ];
    for (stem, rendered) in built.charts {
        files.push((format!("{stem}.png"), rendered.png));
        files.push((format!("{stem}.svg"), rendered.svg.into_bytes()));
    }
    let entry = Entry::new("report")
        .scenario(&scenario)
        .input(&args.scenario)
        .run(args.run.seed, args.run.runs, &built.data.engine);
    for path in publish::publish(&args.out, entry, &files)? {
        console.wrote(&path);
    }
    Ok(())
}

/// Gives the report's charts their own names (`report_fan.png`), so a report and a `simulate`
/// into one folder keep each other's files (SPEC §12.1).
fn prefix_charts(report: &mut report::Report, prefix: &str) {
    let data = &mut report.data;
    let mut refs: Vec<&mut report::data::ChartRef> = data.simulation_charts.iter_mut().collect();
    refs.extend(data.base_charts.iter_mut());
    refs.extend(data.payback_charts.iter_mut());
    if let Some(c) = &mut data.comparison {
        refs.extend(c.charts.iter_mut());
    }
    if let Some(o) = &mut data.optimization {
        refs.extend(o.charts.iter_mut());
    }
    if let Some(f) = &mut data.frontier {
        refs.push(&mut f.chart);
    }
    if let Some(s) = &mut data.sensitivity {
        refs.push(&mut s.chart);
    }
    for chart in refs {
        chart.stem = format!("{prefix}{}", chart.stem);
    }
    for (stem, _) in &mut report.charts {
        *stem = format!("{prefix}{stem}");
    }
}

/// The command that re-creates the report, every setting spelled out.
fn command_line(args: &ReportArgs) -> String {
    let mut parts = vec![
        "ceq".to_string(),
        "report".to_string(),
        quote(&args.scenario),
        "--out".to_string(),
        quote(&args.out),
        "--runs".to_string(),
        args.run.runs.to_string(),
        "--seed".to_string(),
        args.run.seed.to_string(),
        "--sensitivity-runs".to_string(),
        args.sensitivity_runs.to_string(),
    ];
    if let Some(engine) = args.run.engine.to_possible_value() {
        parts.push("--engine".to_string());
        parts.push(engine.get_name().to_string());
    }
    if args.no_optimize {
        parts.push("--no-optimize".to_string());
    }
    if args.no_frontier {
        parts.push("--no-frontier".to_string());
    }
    parts.join(" ")
}

/// A path quoted for a POSIX shell when it needs it.
fn quote(path: &Path) -> String {
    let text = path.display().to_string();
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=+,@".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_only_when_needed() {
        assert_eq!(quote(Path::new("scenarios/a.toml")), "scenarios/a.toml");
        assert_eq!(quote(Path::new("my dir/a'b.toml")), r"'my dir/a'\''b.toml'");
    }
}
