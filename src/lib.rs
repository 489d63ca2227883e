//! # ceq — customer equity by Monte Carlo
//!
//! A strategist describes a customer base and a market in a scenario file; ceq simulates
//! customer equity (the discounted lifetime value of all present and future customers, net of
//! marketing spend), compares plans and finds budget splits. The data flows one way:
//!
//! - [`scenario`]: file text → validated, typed [`scenario::Scenario`], sealed: read through
//!   accessors, changed only through checked setters ([`scenario::Scenario::set_parameter`],
//!   `set_acquisition`, …), plans and cohorts named by [`scenario::PlanId`] and
//!   [`scenario::CohortId`]
//! - [`model`]: distributions, response curves, discounting and closed forms
//! - [`sim`]: the Monte Carlo engines; run k draws from its own stream (seed, k)
//! - [`fit`]: calibration of sBG, BG/NBD and Gamma-Gamma parameters from a company's data; the
//!   results as documents in [`fit::report`]
//! - [`stats`]: per-run results → [`stats::SimulationSummary`]
//! - [`chart`]: plain chart data → PNG and SVG (plotters, embedded font)
//! - [`optimize`]: budget splits (sees only an objective: plan → per-run CE); the result as a
//!   document, [`optimize::report::OptimizeReport`]
//! - [`export`]: results → the text, JSON and CSV of each command (the command line prints them)
//! - [`format`](mod@format): one set of number formatters (money, percent, as given) and
//!   JSON/CSV writers
//! - [`narrative`]: one sentence per paired result, shared by the text and the report
//! - [`plans`]: comparing plans on common random numbers, the budget frontier, sensitivity
//! - [`control`]: the cancellation token and progress sink every simulating call takes
//! - [`cancel`]: the command line's signal handler, which flips its token, so an interrupt
//!   leaves no partial file
//! - [`cli`]: the command line (the only place that knows about clap, files and anyhow)
//!
//! ## Every command's result is a library value
//!
//! Each is plain, serializable data built by the library; the command line only formats and
//! writes it.
//!
//! | command | call | document |
//! |---|---|---|
//! | `simulate` | [`sim::run`], then [`plans::summary::simulation_summary`] | [`stats::SimulationSummary`] (per cohort: [`stats::CohortSummary`]; per run: [`sim::RunResult`]) |
//! | `compare` | [`plans::compare::compare`] | [`plans::compare::Comparison`] |
//! | `optimize` | [`optimize::optimize()`], then [`optimize::report::optimize_report`] | [`optimize::report::OptimizeReport`] |
//! | `frontier` | [`plans::frontier::frontier`] | [`plans::frontier::Frontier`] |
//! | `sensitivity` | [`plans::sensitivity::sensitivity`] | [`plans::sensitivity::Sensitivity`] |
//! | `fit survival` | [`fit::report::survival_fit`] | [`fit::report::SurvivalFit`] |
//! | `fit transactions` | [`fit::report::transactions_fit`] | [`fit::report::TransactionsFit`] |
//! | `report` | [`report::build`](fn@report::build) | [`report::Report`] ([`report::ReportData`]) |
//! | `simulate --shard`, `merge` | [`sim::shard::merge`] | [`sim::shard::ShardFile`] |
//! | payback (in `simulate`) | [`plans::payback::payback`] | [`plans::payback::Payback`] |
//!
//! ## Example
//!
//! Read a scenario, simulate it and read its customer equity. Nobody churns and everyone
//! orders once a period, so the CE is known in closed form: N·m·v·Σ δ^t with δ the per-period
//! discount factor of SPEC §1.
//!
//! ```
//! use ceq::scenario::{Format, parse_str};
//! use ceq::sim::{EngineKind, SimOptions, run};
//!
//! let text = r#"
//! [time]
//! periods = 12
//! periods_per_year = 12
//! discount_rate = 0.10
//!
//! [[cohorts]]
//! name = "members"
//! customers = 1000
//! retention = { rate = 1.0 }
//! purchases = { fixed = 1 }
//! order_value = { mean = 20.0 }
//! margin = 0.5
//! "#;
//! let mut scenario = parse_str(text, "members.toml", "members", Format::Toml)?;
//!
//! // A change goes through a checked setter: a margin above 1 is refused and changes nothing.
//! let refused = scenario.set_parameter("cohorts.members.margin", 1.5);
//! assert_eq!(refused.unwrap_err().key, "cohorts.members.margin");
//! assert_eq!(scenario.cohorts()[0].margin(), 0.5);
//!
//! let options = SimOptions {
//!     plan: scenario.baseline_plan(),
//!     runs: 20,
//!     seed: 1,
//!     engine: EngineKind::Auto,
//!     limits: Default::default(),
//!     control: Default::default(),
//! };
//! let simulation = run(&scenario, &options)?;
//! let summary = ceq::plans::summary::simulation_summary(&scenario, &simulation, &options)?;
//!
//! let delta = ceq::model::closed_form::per_period_discount_factor(0.10, 12);
//! let expected: f64 = (1..=12).map(|t| 1000.0 * 0.5 * 20.0 * delta.powi(t)).sum();
//! assert!((summary.customer_equity.mean - expected).abs() < 1e-9 * expected);
//!
//! // Per-cohort results are read by the cohort's id.
//! let members = scenario.cohort_id("members").unwrap();
//! let cohort = summary.cohort(members).unwrap();
//! assert_eq!(cohort.name, "members");
//! assert!((cohort.customer_equity_mean - expected).abs() < 1e-9 * expected);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
