//! Argument groups shared by the subcommands that simulate (runs, seed, engine, threads,
//! output), so every command spells and documents them the same way.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

use crate::sim::EngineKind;

/// How many runs, from which seed, on which engine and how many threads.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Number of Monte Carlo runs (at least 1). More runs narrow the confidence interval of
    /// the mean roughly with 1/√runs.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = parse_runs)]
    pub runs: u64,

    /// Random seed. The same scenario, plan, seed, runs and engine give byte-identical
    /// results on any machine and at any thread count.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Simulation engine: `customer` simulates every customer, `cohort` counts per cohort
    /// (cost independent of the number of customers), `auto` picks the faster one that
    /// supports the scenario.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,

    /// Worker threads (default: one per core; at most 1024). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
}

impl RunArgs {
    /// The manifest entry of a study `command` on `scenario` read from `input`, with this
    /// seed, runs and engine.
    pub fn entry(
        &self,
        command: &str,
        scenario: &crate::scenario::Scenario,
        input: &std::path::Path,
    ) -> super::publish::Entry {
        let run = (self.seed, self.runs, self.engine);
        super::publish::Entry::study(command, scenario, input, run)
    }
}

/// What every study (simulate, compare, optimize, frontier, sensitivity) reads and writes: the
/// scenario, `--out`/`--json` and `--charts`, one group flattened into each command.
#[derive(Debug, Clone, Args)]
pub struct StudyArgs {
    /// Scenario file (TOML, or JSON when it ends in .json).
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub charts: ChartArgs,
}

impl StudyArgs {
    /// Checks before any work that `--charts` has its `--out` and that `--out` can take the
    /// results (SPEC §12.1).
    pub fn check(&self) -> Result<(), super::CliError> {
        self.charts.check(self.output.out.as_deref())?;
        self.output.check()
    }

    /// The scenario, read and validated; every problem is the input's (exit 2).
    pub fn load(&self) -> Result<crate::scenario::Scenario, super::CliError> {
        crate::scenario::load_file(&self.scenario).map_err(super::CliError::invalid)
    }
}

impl RunArgs {
    /// The options of simulating `plan` with these runs, seed and engine within `limits`,
    /// stopped by the process's stop signals.
    pub fn sim_options(
        &self,
        plan: crate::scenario::PlanId,
        limits: crate::sim::size::Limits,
    ) -> crate::sim::SimOptions {
        crate::sim::SimOptions {
            plan,
            runs: self.runs,
            seed: self.seed,
            engine: self.engine.into(),
            limits,
            control: crate::cancel::control(),
        }
    }
}

/// Where results go.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Also write the result files into DIR (the examples below list them; DIR is created
    /// with its parents). The files appear all together or not at all, with DIR/manifest.json
    /// naming each command's files; a command's earlier files that it does not rewrite are
    /// removed, other commands' files are kept.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Print the result as one JSON document on stdout instead of the text report.
    #[arg(long)]
    pub json: bool,
}

/// A command's output files as (file name, bytes).
pub type OutputFiles = Vec<(String, Vec<u8>)>;

impl OutputArgs {
    /// Checks before any work that `--out` can take the results (SPEC §12.1).
    pub fn check(&self) -> Result<(), super::CliError> {
        match &self.out {
            Some(dir) => super::publish::check_out_dir(dir),
            None => Ok(()),
        }
    }

    /// What every command does with its result: writes `files()` into `--out` when given
    /// (built only then), then prints `json` with `--json` or else `text()`.
    pub fn emit(
        &self,
        console: super::progress::Console,
        entry: super::publish::Entry,
        json: &[u8],
        files: impl FnOnce() -> Result<OutputFiles, super::CliError>,
        text: impl FnOnce() -> String,
    ) -> Result<(), super::CliError> {
        if let Some(dir) = &self.out {
            super::output::publish_reported(console, dir, entry, &files()?)?;
        }
        if self.json {
            super::print_stdout(&String::from_utf8_lossy(json))
        } else {
            super::print_stdout(&text())
        }
    }
}

/// `--draws`, `--draw-count` and `--seed` of the fits that write joint parameter draws
/// (`ceq fit response`, `ceq fit retention-test`).
#[derive(Debug, Clone, Args)]
pub struct DrawArgs {
    /// Write joint draws of the fitted parameters from the estimate's sampling distribution to
    /// FILE (CSV, one column per scenario path), for `[uncertainty] draws = "FILE"`.
    #[arg(long = "draws", value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// How many rows --draws writes.
    #[arg(long = "draw-count", value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub count: u32,

    /// Seed of --draws; the same fit and seed give the same file byte for byte.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
}

/// The files of a study `command` in `--out`: `<command>.json` (the bytes `--json` prints),
/// then its CSV files in order, each built only now.
pub fn study_files(
    command: &str,
    json: &[u8],
    csv: impl IntoIterator<Item = (&'static str, Result<Vec<u8>, crate::export::ExportError>)>,
) -> Result<OutputFiles, super::CliError> {
    let mut files = vec![(format!("{command}.json"), json.to_vec())];
    for (name, bytes) in csv {
        files.push((name.to_string(), bytes.map_err(super::CliError::failed)?));
    }
    Ok(files)
}

/// `--charts`: the relevant charts as PNG and SVG beside the other output files.
#[derive(Debug, Clone, Args)]
pub struct ChartArgs {
    /// Also write the charts into the `--out` directory, each as PNG (1920 × 1080) and SVG.
    #[arg(long)]
    pub charts: bool,
}

impl ChartArgs {
    /// Charts are files, so `--charts` needs `--out DIR`; without it this is a usage error.
    pub fn check(&self, out: Option<&std::path::Path>) -> Result<(), super::CliError> {
        if self.charts && out.is_none() {
            return Err(super::CliError::invalid(anyhow::anyhow!(
                "--charts writes files and needs an output directory: add --out DIR"
            )));
        }
        Ok(())
    }
}

/// The `--engine` values; mirrors [`EngineKind`] so the library stays free of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    Auto,
    Customer,
    Cohort,
}

impl From<EngineArg> for EngineKind {
    fn from(engine: EngineArg) -> Self {
        match engine {
            EngineArg::Auto => EngineKind::Auto,
            EngineArg::Customer => EngineKind::Customer,
            EngineArg::Cohort => EngineKind::Cohort,
        }
    }
}

/// `--runs` must be a whole number ≥ 1: zero runs have no mean to report.
fn parse_runs(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("the number of runs must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("expected a whole number of runs ≥ 1, got '{text}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_must_be_positive() {
        assert_eq!(parse_runs("50"), Ok(50));
        assert_eq!(
            parse_runs("0"),
            Err("the number of runs must be at least 1".to_string())
        );
        assert!(parse_runs("-3").is_err());
        assert!(parse_runs("1e3").is_err());
    }
}

/// Parses `--objective`: `mean`, `mean_minus_sd=λ`, `cvar=α` or `prob_above=TARGET`
/// (SPEC §10's objective in command-line form).
pub fn parse_objective(text: &str) -> Result<crate::scenario::Objective, String> {
    use crate::scenario::Objective;
    let help = "expected mean, mean_minus_sd=λ (λ ≥ 0), cvar=α (0 < α ≤ 1) or prob_above=TARGET";
    if text == "mean" {
        return Ok(Objective::Mean);
    }
    let Some((name, value)) = text.split_once('=') else {
        return Err(format!("unknown objective '{text}'; {help}"));
    };
    let number: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("'{value}' is not a number; {help}"))?;
    match name.trim() {
        "mean_minus_sd" if number >= 0.0 && number.is_finite() => {
            Ok(Objective::MeanMinusSd(number))
        }
        "cvar" if number > 0.0 && number <= 1.0 => Ok(Objective::Cvar(number)),
        "prob_above" if number.is_finite() => Ok(Objective::ProbAbove(number)),
        _ => Err(format!("invalid objective '{text}'; {help}")),
    }
}

/// A `--budget` value: a cap per period, or `None` for no cap. A newtype, because clap reads
/// a bare `Option<Option<f64>>` field as a flag with an optional value and then cannot
/// downcast the parser's output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetArg(pub Option<f64>);

/// Parses `--budget`: an amount ≥ 0 per period, or `none` for no cap.
pub fn parse_budget(text: &str) -> Result<BudgetArg, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(BudgetArg(None));
    }
    match text.parse::<f64>() {
        Ok(b) if b >= 0.0 && b.is_finite() => Ok(BudgetArg(Some(b))),
        _ => Err(format!(
            "expected a budget per period ≥ 0, or 'none' for no cap; got '{text}'"
        )),
    }
}

/// Parses `--budget-range LO:HI:STEP` into the budgets LO, LO+STEP, … ≤ HI.
pub fn parse_budget_range(text: &str) -> Result<Vec<f64>, String> {
    let help = "expected LO:HI:STEP with 0 ≤ LO ≤ HI and STEP > 0, e.g. 50000:150000:25000";
    let parts: Vec<f64> = text
        .split(':')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("'{text}': {help}"))?;
    let [lo, hi, step] = parts[..] else {
        return Err(format!("'{text}': {help}"));
    };
    if !(lo >= 0.0 && hi >= lo && step > 0.0 && hi.is_finite()) {
        return Err(format!("'{text}': {help}"));
    }
    let count = ((hi - lo) / step + 1e-9).floor() as usize + 1;
    if count > 1000 {
        return Err(format!("'{text}' gives {count} budgets; at most 1000"));
    }
    Ok((0..count).map(|i| lo + step * i as f64).collect())
}

#[cfg(test)]
mod plan_arg_tests {
    use super::*;
    use crate::scenario::Objective;

    #[test]
    fn objectives_parse() {
        assert_eq!(parse_objective("mean"), Ok(Objective::Mean));
        assert_eq!(
            parse_objective("mean_minus_sd=0.5"),
            Ok(Objective::MeanMinusSd(0.5))
        );
        assert_eq!(parse_objective("cvar=0.05"), Ok(Objective::Cvar(0.05)));
        assert_eq!(
            parse_objective("prob_above=1.5e6"),
            Ok(Objective::ProbAbove(1.5e6))
        );
        assert!(parse_objective("cvar=2").is_err());
        assert!(parse_objective("median").is_err());
    }

    #[test]
    fn budgets_parse() {
        assert_eq!(parse_budget("none"), Ok(BudgetArg(None)));
        assert_eq!(parse_budget("17000"), Ok(BudgetArg(Some(17000.0))));
        assert!(parse_budget("-1").is_err());
        assert_eq!(parse_budget_range("10:30:10"), Ok(vec![10.0, 20.0, 30.0]));
        assert!(parse_budget_range("30:10:10").is_err());
        assert!(parse_budget_range("1:2").is_err());
    }
}
