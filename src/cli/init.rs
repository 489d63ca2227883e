//! `ceq init`: write a commented starter scenario, the quickest way to a first result.

use clap::Args;
use std::path::PathBuf;

use super::{CliError, output, print_stdout};

/// The starter scenario, embedded so the binary needs no data files.
pub const TEMPLATE: &str = include_str!("init_template.toml");

/// Write a commented starter scenario.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq init                  writes scenario.toml
  ceq init plans/q3.toml    writes plans/q3.toml (creating plans/)")]
pub struct InitArgs {
    /// Where to write the scenario.
    #[arg(value_name = "PATH", default_value = "scenario.toml")]
    pub path: PathBuf,

    /// Overwrite PATH if it already exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &InitArgs) -> Result<(), CliError> {
    let path = &args.path;
    output::check_new_file("ceq init", path, args.force, &[])?;
    output::write_new_file(path, TEMPLATE.as_bytes()).map_err(CliError::failed)?;
    print_stdout(&format!(
        "wrote {0}\nnext: edit it, then run `ceq validate {0}` and `ceq simulate {0}`\n",
        path.display()
    ))
}
