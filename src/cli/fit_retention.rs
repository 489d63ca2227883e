//! `ceq fit retention-test`: the retention programme's effect from an experiment (SPEC §14).
//! The fitting is in [`crate::fit::retention_test`]; this file reads the file, checks the
//! output paths first, writes the draws and `fit_retention_test.json` atomically and renders the result.

use anyhow::anyhow;
use clap::Args;
use std::path::PathBuf;

use super::CliError;
use super::args::OutputArgs;
use super::progress::Console;
use crate::export::text::fit::render_retention_test;
use crate::fit::retention_test;

/// Estimate the retention programme's churn reduction from a test against a control group.
///
/// TEST has the columns group, spend (retention spend per customer per period; 0 for a
/// control), period (0, 1, 2, … per group) and active (the group's customers still active).
/// Prints the churn reduction at each tested spend with its 95% interval and, with two or
/// more spend levels (or --half-spend), the `response = { max_churn_reduction, half_spend }`
/// line of `[retention_program]`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq fit retention-test test.csv
  ceq fit retention-test test.csv --json
  ceq fit retention-test test.csv --draws retention_draws.csv   (two or more spend levels)
  ceq fit retention-test test.csv --half-spend 4 --draws retention_draws.csv   (one level)")]
pub struct RetentionTestArgs {
    /// The experiment (CSV; comma, semicolon or tab).
    #[arg(value_name = "TEST")]
    pub test: PathBuf,

    /// Fix the curve's half_spend (spend per customer per period for half the maximum
    /// reduction), e.g. from an earlier test: one spend level then gives max_churn_reduction.
    #[arg(long, value_name = "H", value_parser = parse_half_spend)]
    pub half_spend: Option<f64>,

    #[command(flatten)]
    pub draws: super::args::DrawArgs,

    /// Replace an existing --draws file.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

fn parse_half_spend(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(h) if h > 0.0 && h.is_finite() => Ok(h),
        _ => Err(format!(
            "expected a spend per customer per period > 0, got '{text}'"
        )),
    }
}

pub fn run(args: &RetentionTestArgs, console: Console) -> Result<(), CliError> {
    let file = &args.test;
    check_output_paths(args)?;
    let text = super::fit::read_text(file)?;
    let groups = retention_test::read_test(&text).map_err(|e| super::fit::fit_error(file, e))?;
    let fit = retention_test::fit_retention_test(&groups, args.half_spend)
        .map_err(|e| super::fit::fit_error(file, e))?;
    if let Some(path) = &args.draws.file {
        let Some(curve) = &fit.curve else {
            return Err(CliError::invalid(anyhow!(
                "{}: one spend level identifies the churn reduction at that spend, not the \
                 curve's max_churn_reduction and half_spend; give --half-spend H (from another \
                 test or a judgement) to write --draws",
                file.display()
            )));
        };
        let draws = retention_test::sample_draws(curve, args.draws.count as usize, args.draws.seed)
            .map_err(|e| super::fit::fit_error(file, e))?;
        super::fit_response::write_draws(console, path, &draws, args.draws.seed)?;
    }
    let json = super::fit::json_text(&fit)?;
    args.output.emit(
        console,
        super::publish::Entry::new("fit retention-test").input(&args.test),
        json.as_bytes(),
        || {
            Ok(vec![(
                "fit_retention_test.json".to_string(),
                json.clone().into_bytes(),
            )])
        },
        || render_retention_test(&fit, file),
    )
}

/// The test file is never an output; an existing --draws file is kept unless --force.
fn check_output_paths(args: &RetentionTestArgs) -> Result<(), CliError> {
    let mut outputs: Vec<(&str, PathBuf)> = Vec::new();
    if let Some(path) = &args.draws.file {
        outputs.push(("--draws", path.clone()));
    }
    if let Some(dir) = &args.output.out {
        outputs.push((
            "--out (fit_retention_test.json)",
            dir.join("fit_retention_test.json"),
        ));
    }
    for (flag, path) in &outputs {
        if super::output::same_file(path, &args.test) {
            return Err(CliError::invalid(anyhow!(
                "{flag} {} is the test file itself; write the output to another file",
                path.display()
            )));
        }
    }
    if let Some(path) = &args.draws.file
        && path.exists()
        && !args.force
    {
        return Err(CliError::invalid(anyhow!(
            "{} already exists; use --force to replace it, or choose another --draws file",
            path.display()
        )));
    }
    Ok(())
}
