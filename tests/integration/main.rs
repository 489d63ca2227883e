//! ceq integration tests: one binary, one module per area.

mod cli;
mod scenario_files;
