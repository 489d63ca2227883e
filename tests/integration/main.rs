//! ceq integration tests: one binary, one module per area.

mod cli;
mod closed_forms;
mod plans;
mod scenario_files;
