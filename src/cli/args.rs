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

    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

/// Where results go.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Also write summary.json, periods.csv and runs.csv into DIR (created with its parents;
    /// each file is written to a temporary name and renamed into place).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Print the summary as one JSON document on stdout instead of the text report.
    #[arg(long)]
    pub json: bool,
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
