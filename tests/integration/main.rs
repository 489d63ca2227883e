//! ceq integration tests: one binary, one module per area.

mod charts;
mod cli;
mod closed_forms;
mod engines;
mod exports;
mod fit;
mod fuzz;
mod hessian;
mod interrupt;
mod optimizer;
mod plans;
mod polish;
mod reliability;
mod report;
mod robustness;
mod scenario_files;
mod schema;
mod scores;
