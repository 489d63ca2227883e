//! `ceq completions SHELL` and `ceq man`: generated from the clap definition, so they never
//! drift from the real arguments.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, CliError, print_stdout};

/// Print a shell completion script.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq completions bash > ~/.local/share/bash-completion/completions/ceq
  ceq completions zsh > ~/.zfunc/_ceq        (with fpath+=~/.zfunc before compinit)
  ceq completions fish > ~/.config/fish/completions/ceq.fish
  ceq completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

/// Print the man page (roff) of ceq.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq man | man -l -
  ceq man > ~/.local/share/man/man1/ceq.1")]
pub struct ManArgs {}

pub fn completions(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut command = Cli::command();
    let mut bytes = Vec::new();
    clap_complete::generate(args.shell, &mut command, "ceq", &mut bytes);
    print_stdout(&String::from_utf8_lossy(&bytes))
}

pub fn man(_args: &ManArgs) -> Result<(), CliError> {
    let mut bytes = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut bytes)
        .map_err(CliError::failed)?;
    print_stdout(&String::from_utf8_lossy(&bytes))
}
