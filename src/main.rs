//! The `ceq` binary: parse the arguments, run, report errors with the exit code of SPEC §12.
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    ceq::cancel::install();
    ceq::cli::run_guarded(ceq::cli::Cli::parse())
}
