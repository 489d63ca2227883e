//! ceq integration tests: one binary, one module per area.

mod charts;
mod cli;
mod closed_forms;
mod engines;
mod exports;
mod fit;
mod fit_response;
mod fit_retention;
mod hessian;
mod interrupt;
mod optimizer;
mod plans;
mod polish;
mod report;
mod robustness;
mod scenario_files;
mod schema;
mod scores;
mod uncertainty_draws;
