//! Statistics over runs: quantiles, confidence intervals and the reported summary.

pub mod describe;
mod finite;
mod full_base;
mod summarize;
mod summary;

pub use finite::first_non_finite;
pub use full_base::{
    FullBase, FullBaseCustomers, full_base, note as sample_note, ratio as full_base_ratio,
    scale_distribution, scaled_summary, spend_note,
};
pub use summarize::{SummaryContext, SummaryLabels, summarize, summarize_labelled};
pub use summary::*;
pub mod paired;
