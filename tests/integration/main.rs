//! ceq integration tests: one binary, one module per area.

mod charts;
mod cli;
mod closed_forms;
mod engines;
mod fit;
mod plans;
mod report;
mod scenario_files;
