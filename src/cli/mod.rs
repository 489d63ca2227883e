//! The command line: argument parsing, files and the mapping of errors to exit codes.
//!
//! This is the only module that knows about clap, anyhow and the filesystem; everything it
//! calls takes and returns plain data. Each subcommand lives in its own file and only turns
//! arguments into settings, calls the library, hands the result to [`crate::export`] (text,
//! JSON, CSV) and [`crate::chart`], writes and maps errors to exit codes; the argument groups
//! several subcommands share (runs, seed, output) live in `args`.
//!
//! Exit codes (SPEC §12): 0 success, 1 failure while running, 2 invalid input or usage. clap
//! already exits 2 on usage errors; [`CliError`] carries 1 or 2 for everything after parsing.

mod args;
mod compare;
mod completions;
mod estimate;
mod fit;
mod fit_response;
mod fit_retention;
mod frontier;
mod init;
mod limits;
mod merge;
mod optimize;
mod output;
mod progress;
mod publish;
mod report;
mod safe_text;
mod schema;
mod sensitivity;
mod simulate;
mod validate;

pub use crate::export::text::simulate::{YearRow, per_year, render_summary};
// The renderers moved to the export layer; the old paths stay for code written against them.
use crate::export::{files as export, text::plans as render_plans};

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

use crate::scenario::ScenarioError;

/// Customer equity by Monte Carlo: simulate the discounted value of a customer base and its
/// marketing plans from a scenario file.
#[derive(Debug, Parser)]
#[command(name = "ceq", version, about, propagate_version = true)]
#[command(after_help = "\
Examples:
  ceq init                       write a commented starter scenario to scenario.toml
  ceq validate scenario.toml     check a scenario and report every problem
  ceq simulate scenario.toml     simulate the baseline plan (1,000 runs, seed 1)
  ceq fit transactions log.csv   fit purchasing, dropout and order values to your data
  ceq compare scenario.toml      compare all plans on the same seeds
  ceq optimize scenario.toml     find the best split of the [optimize] budget
  ceq frontier scenario.toml --budget-range 10000:30000:5000
  ceq sensitivity scenario.toml  rank every parameter by its effect on CE")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// No progress on stderr and no "wrote FILE" lines; warnings and errors still show. The
    /// same before or after the subcommand (`ceq -q report …` = `ceq report … -q`).
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Refuse a study whose results would need more memory than SIZE (e.g. 512M, 8G; default:
    /// half of the machine's memory), before any work starts.
    #[arg(long, global = true, value_name = "SIZE", value_parser = crate::sim::size::parse_memory)]
    pub max_memory: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Simulate(simulate::SimulateArgs),
    Compare(compare::CompareArgs),
    Optimize(optimize::OptimizeArgs),
    Frontier(frontier::FrontierArgs),
    Sensitivity(sensitivity::SensitivityArgs),
    Validate(validate::ValidateArgs),
    Init(init::InitArgs),
    Merge(merge::MergeArgs),
    Fit(fit::FitArgs),
    Completions(completions::CompletionsArgs),
    Man(completions::ManArgs),
    Schema(schema::SchemaArgs),
    Report(report::ReportArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let console = progress::Console::new(cli.quiet);
    // `--max-memory` travels with the settings of each command that simulates.
    let limits = cli
        .max_memory
        .map_or_else(crate::sim::size::Limits::default, |bytes| {
            crate::sim::size::Limits::with_memory(bytes)
        });
    match cli.command {
        Command::Simulate(args) => simulate::run(&args, limits, console),
        Command::Compare(args) => compare::run(&args, limits, console),
        Command::Optimize(args) => optimize::run(&args, limits, console),
        Command::Frontier(args) => frontier::run(&args, limits, console),
        Command::Sensitivity(args) => sensitivity::run(&args, limits, console),
        Command::Validate(args) => validate::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Merge(args) => merge::run(&args, console),
        Command::Fit(args) => fit::run(&args, console),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
        Command::Schema(args) => schema::run(&args),
        Command::Report(args) => report::run(&args, limits, console),
    }
}

/// Runs the command, turning a panic into an "internal error" with exit code 1 so that no
/// backtrace reaches a user; the panic hook prints the message once.
pub fn run_guarded(cli: Cli) -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        progress::note(&format!("error: internal error in ceq: {info}"));
        progress::note("This is a bug in ceq; please report it with the command you ran.");
    }));
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        // Whatever failed after a stop signal (an engine noticing it, a writer refusing to
        // start) failed because of it; a writer's own message says what became of the folder.
        Ok(Err(error)) if crate::cancel::requested() => {
            let error = if error.code == crate::cancel::exit_code() {
                error
            } else {
                CliError::interrupted()
            };
            progress::note(&error.report());
            ExitCode::from(crate::cancel::exit_code())
        }
        Ok(Err(error)) => {
            progress::note(&error.report());
            ExitCode::from(error.code)
        }
        Err(_) => ExitCode::from(EXIT_FAILURE),
    }
}

/// A failure while running (I/O, a thread pool that cannot start, an engine failure).
pub const EXIT_FAILURE: u8 = 1;
/// Invalid input or usage (a bad scenario, an unknown plan, a refused size).
pub const EXIT_INVALID: u8 = 2;

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub error: anyhow::Error,
}

impl CliError {
    /// Invalid input or usage: exit code 2.
    pub fn invalid(error: impl Into<anyhow::Error>) -> Self {
        CliError {
            code: EXIT_INVALID,
            error: error.into(),
        }
    }

    /// A failure while running: exit code 1.
    pub fn failed(error: impl Into<anyhow::Error>) -> Self {
        CliError {
            code: EXIT_FAILURE,
            error: error.into(),
        }
    }

    /// A stop signal stopped the work: exit code 128 + its number (130 for SIGINT, 143 for
    /// SIGTERM), as for a process the signal killed.
    pub fn interrupted() -> Self {
        CliError {
            code: crate::cancel::exit_code(),
            error: anyhow::anyhow!(
                "interrupted by {}; no output was written",
                crate::cancel::signal_name()
            ),
        }
    }

    /// The text for stderr. Scenario errors already say `error:` once per problem, with file,
    /// line and key path, so they are printed as they are; other errors print their context
    /// chain on one line.
    pub fn report(&self) -> String {
        match self.error.downcast_ref::<ScenarioError>() {
            Some(scenario) => scenario.to_string(),
            None => format!("error: {:#}", self.error),
        }
    }
}

/// Runs `work` inside a pool of `threads` workers when asked; results do not depend on the
/// pool size (SPEC §11), the flag only limits the cores used.
fn with_threads<T: Send>(
    threads: Option<u16>,
    work: impl FnOnce() -> T + Send,
) -> Result<T, CliError> {
    use anyhow::Context;
    match threads {
        None => Ok(work()),
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build()
            .context("cannot start the worker threads")
            .map_err(CliError::failed)?
            .install(work)),
    }
}

/// Maps an optimization error: refused input and infeasible constraints exit 2.
fn optimize_error(error: crate::optimize::OptimizeError) -> CliError {
    use crate::optimize::OptimizeError;
    match error {
        OptimizeError::Sim(e) => simulate::sim_error(e),
        OptimizeError::Infeasible(_) | OptimizeError::NoLevers => CliError::invalid(error),
    }
}

/// Writes `text` to stdout, control and bidi characters made visible
/// ([`safe_text::terminal`], valid in JSON strings too). A closed pipe (`ceq simulate ... |
/// head`) is not an error: the reader has what it wanted.
fn print_stdout(text: &str) -> Result<(), CliError> {
    let text = safe_text::terminal(text);
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::failed(
            anyhow::Error::new(e).context("cannot write to stdout"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn scenario_errors_are_reported_verbatim() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "not found");
        let error = CliError::invalid(ScenarioError::io("a.toml", &io));
        assert_eq!(
            error.report(),
            "error: cannot read the file: not found\n --> a.toml"
        );
        assert_eq!(error.code, EXIT_INVALID);
    }

    #[test]
    fn other_errors_show_their_context_chain() {
        let error = CliError::failed(anyhow::anyhow!("disk full").context("cannot write x"));
        assert_eq!(error.report(), "error: cannot write x: disk full");
        assert_eq!(error.code, EXIT_FAILURE);
    }
}
