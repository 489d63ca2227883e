//! `ceq schema`: the JSON Schema of the scenario format, for editors that check and complete
//! scenario files (Taplo / Even Better TOML, VS Code for JSON).

use clap::Args;

use super::{CliError, print_stdout};

/// Print a JSON Schema (draft 2020-12) of the scenario format.
///
/// The schema checks keys, types, alternative forms and ranges; cross-references between
/// sections (cohort names, shares summing to one) are checked only by `ceq validate`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq schema > ceq.schema.json
  then put  #:schema ./ceq.schema.json  on the first line of a TOML scenario (Taplo)")]
pub struct SchemaArgs {}

pub fn run(_args: &SchemaArgs) -> Result<(), CliError> {
    print_stdout(crate::scenario::JSON_SCHEMA)
}
