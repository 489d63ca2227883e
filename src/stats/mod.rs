//! Statistics over runs: quantiles, confidence intervals and the reported summary.

pub mod describe;
mod summarize;
mod summary;

pub use summarize::{SummaryContext, summarize};
pub use summary::*;
pub mod paired;
