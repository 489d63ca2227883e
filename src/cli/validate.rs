//! `ceq validate`: check scenario files and report every problem of every file.

use clap::Args;
use std::path::PathBuf;

use super::{CliError, print_stdout};
use crate::scenario::{self, Scenario};

/// Check scenario files without simulating.
///
/// Prints `ok: FILE (...)` on stdout for each valid file and every problem of each invalid
/// file on stderr, with file, line, column and key path. Exits 2 if any file is invalid.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq validate scenario.toml
  ceq validate scenarios/*.toml")]
pub struct ValidateArgs {
    /// Scenario files to check.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: &ValidateArgs) -> Result<(), CliError> {
    let mut invalid = 0usize;
    for file in &args.files {
        match scenario::load_file(file) {
            Ok(scenario) => print_stdout(&ok_line(&file.display().to_string(), &scenario))?,
            Err(error) => {
                invalid += 1;
                super::progress::note(&error.to_string());
            }
        }
    }
    if invalid == 0 {
        return Ok(());
    }
    Err(CliError::invalid(anyhow::anyhow!(
        "{invalid} of {} scenario file(s) invalid",
        args.files.len()
    )))
}

fn ok_line(file: &str, scenario: &Scenario) -> String {
    format!(
        "ok: {file} ({}, {}, {})\n",
        count(scenario.cohorts.len(), "cohort"),
        count(scenario.plans.len(), "plan"),
        count(scenario.time.periods as usize, "period")
    )
}

/// "1 cohort", "3 cohorts".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
