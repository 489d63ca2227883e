//! # ceq — customer equity by Monte Carlo
//!
//! A strategist describes a customer base and a market in a scenario file; ceq simulates
//! customer equity (the discounted lifetime value of all present and future customers, net of
//! marketing spend), compares plans and finds budget splits. The data flows one way:
//!
//! - [`scenario`]: file text → validated, typed [`scenario::Scenario`]
//! - [`model`]: distributions, response curves, discounting and closed forms
//! - [`sim`]: the Monte Carlo engines; run k draws from its own stream (seed, k)
//! - [`fit`]: calibration of sBG, BG/NBD and Gamma-Gamma parameters from a company's data; the
//!   results as documents in [`fit::report`]
//! - [`stats`]: per-run results → [`stats::SimulationSummary`]
//! - [`chart`]: plain chart data → PNG and SVG (plotters, embedded font)
//! - [`optimize`]: budget splits (sees only an objective: plan → per-run CE); the result as a
//!   document, [`optimize::report::OptimizeReport`]
//! - [`export`]: results → the text, JSON and CSV of each command (the command line prints them)
//! - [`format`]: one set of number formatters (money, percent, as given) and JSON/CSV writers
//! - [`narrative`]: one sentence per paired result, shared by the text and the report
//! - [`plans`]: comparing plans on common random numbers, the budget frontier, sensitivity
//! - [`control`]: the cancellation token and progress sink every simulating call takes
//! - [`cancel`]: the command line's signal handler, which flips its token, so an interrupt
//!   leaves no partial file
//! - [`cli`]: the command line (the only place that knows about clap, files and anyhow)
#![forbid(unsafe_code)]

pub mod cancel;
pub mod chart;
pub mod cli;
pub mod control;
pub mod export;
pub mod fit;
pub mod format;
pub mod model;
pub mod narrative;
pub mod optimize;
pub mod plans;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod stats;
