//! `ceq init`: write a commented starter scenario, the quickest way to a first result.

use anyhow::anyhow;
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
    if path.exists() && !args.force {
        return Err(CliError::invalid(anyhow!(
            "{} already exists; use --force to overwrite it",
            path.display()
        )));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| anyhow!(e).context(format!("cannot create {}", parent.display())))
            .map_err(CliError::failed)?;
    }
    output::write_atomic(path, TEMPLATE.as_bytes()).map_err(CliError::failed)?;
    print_stdout(&format!(
        "wrote {0}\nnext: edit it, then run `ceq validate {0}` and `ceq simulate {0}`\n",
        path.display()
    ))
}
