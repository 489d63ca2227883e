//! The report's "Today's base" section (SPEC §13): for each cohort whose customers carry their
//! history, what they are worth, split into likely alive and likely gone, how concentrated,
//! and by frequency × recency segment, with the P(alive) matrix and the value distribution.

use std::fmt::Write;

use super::data::{ChartRef, ReportData};
use super::{escape_markdown, money};
use crate::fit::base_value::CohortBaseValue;
use crate::format::{percent, whole as thousands};

/// The section's sentences, shared by both formats.
pub(super) fn sentences(c: &CohortBaseValue, periods: usize, cur: &str) -> Vec<String> {
    vec![
        format!(
            "Cohort `{}`: {} customers with a history, of whom {} are expected to be still \
             active. Over the {periods} periods they are expected to make {} purchases worth {} \
             in discounted purchase margin (closed form, Fader, Hardie & Lee 2005).",
            c.cohort,
            thousands(c.customers as f64),
            thousands(c.expected_alive.round()),
            thousands(c.expected_purchases.round()),
            money(c.value, cur)
        ),
        format!(
            "{} customers are likely still active (P(alive) ≥ 50%) and hold {} of that value; \
             the {} likely gone hold {}. The most valuable 10% of customers hold {}.",
            thousands(c.likely_alive.customers as f64),
            percent(c.likely_alive.share_of_value),
            thousands(c.likely_gone.customers as f64),
            percent(c.likely_gone.share_of_value),
            percent(c.top_decile_share)
        ),
    ]
}

pub(super) fn segment_rows(c: &CohortBaseValue, cur: &str) -> Vec<[String; 6]> {
    c.segments
        .iter()
        .map(|s| {
            [
                s.frequency.clone(),
                s.since_last.clone(),
                thousands(s.customers as f64),
                format!("{:.2}", s.p_alive),
                format!("{:.1}", s.expected_purchases),
                money(s.value, cur),
            ]
        })
        .collect()
}

pub(super) const HEADER: [&str; 6] = [
    "Repeat purchases",
    "Weeks since last",
    "Customers",
    "Mean P(alive)",
    "Expected purchases",
    "Value",
];

/// The section in Markdown, or nothing when no cohort has a history.
pub fn markdown(data: &ReportData, charts: &[ChartRef]) -> String {
    let cur = data.currency.as_str();
    let periods = data.summary.periods.len();
    let mut m = String::new();
    if data.summary.existing_base.is_empty() {
        return m;
    }
    m.push_str("## Today's base\n\n");
    for c in &data.summary.existing_base {
        for s in sentences(c, periods, cur) {
            let _ = writeln!(m, "{}\n", escape_markdown(&s));
        }
        let _ = writeln!(
            m,
            "| {} |\n|---|---|---:|---:|---:|---:|",
            HEADER.join(" | ")
        );
        super::markdown::table_rows(&mut m, segment_rows(c, cur));
        m.push('\n');
    }
    for chart in charts {
        super::markdown::image(&mut m, chart);
    }
    m
}
