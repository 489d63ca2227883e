//! ceq integration tests: one binary, one module per area.

mod channels;
mod charts;
mod cli;
mod closed_forms;
mod engines;
mod exports;
mod fit;
mod fit_response;
mod fit_retention;
mod fuzz;
mod hessian;
mod history;
mod interrupt;
mod levers_from_data;
mod optimizer;
mod plans;
mod polish;
mod reliability;
mod report;
mod report_truth;
mod robustness;
mod scenario_files;
mod schema;
mod scores;
mod uncertainty_draws;
mod value_stability;
