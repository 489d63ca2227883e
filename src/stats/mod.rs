//! Statistics over runs: quantiles, confidence intervals and the reported summary.

pub mod describe;
mod summarize;
mod summary;

pub use summarize::{SummaryContext, SummaryLabels, summarize, summarize_labelled};
pub use summary::*;
pub mod paired;
