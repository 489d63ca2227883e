//! Statistics over runs: quantiles, confidence intervals and the reported summary.

pub mod describe;
mod finite;
mod summarize;
mod summary;

pub use finite::first_non_finite;
pub use summarize::{SummaryContext, SummaryLabels, summarize, summarize_labelled};
pub use summary::*;
pub mod paired;
