//! The "today's base" section of `ceq simulate` (SPEC §12 `existing_base`): what the existing
//! customers of each history-aware cohort are worth, split into likely alive and likely gone,
//! how concentrated, and by frequency × recency segment.

use super::{labels_then_numbers, money, percent, table, titled};
use crate::fit::base_value::CohortBaseValue;

/// One section per history-aware cohort.
pub fn render_existing_base(cohorts: &[CohortBaseValue], periods: usize, currency: &str) -> String {
    cohorts
        .iter()
        .map(|c| render_cohort(c, periods, currency))
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_cohort(c: &CohortBaseValue, periods: usize, currency: &str) -> String {
    let mut out = format!(
        "  {} customers with a history, of whom {} are expected to be still active (Σ P(alive)).\n  \
         Over the {periods} periods they are expected to make {} purchases worth {} {currency}\n  \
         in discounted purchase margin (closed form; costs and extra value not included).\n",
        money(c.customers as f64),
        money(c.expected_alive),
        money(c.expected_purchases),
        money(c.value),
    );
    let rows = vec![
        vec![
            String::new(),
            "customers".to_string(),
            "expected active".to_string(),
            "purchases".to_string(),
            format!("value ({currency})"),
            "share".to_string(),
        ],
        split_row("likely alive (P(alive) ≥ 50%)", &c.likely_alive),
        split_row("likely gone (P(alive) < 50%)", &c.likely_gone),
    ];
    let align = labels_then_numbers(1, 6);
    out.push_str(&table(&align, &rows, 2));
    out.push_str(&format!(
        "  The most valuable 10% of these customers hold {} of the value.\n",
        percent(c.top_decile_share)
    ));
    let mut segments = vec![vec![
        "repeats".to_string(),
        "weeks since last".to_string(),
        "customers".to_string(),
        "P(alive)".to_string(),
        "purchases".to_string(),
        format!("value ({currency})"),
    ]];
    segments.extend(c.segments.iter().map(|s| {
        vec![
            s.frequency.clone(),
            s.since_last.clone(),
            money(s.customers as f64),
            format!("{:.2}", s.p_alive),
            format!("{:.1}", s.expected_purchases),
            money(s.value),
        ]
    }));
    out.push_str(
        "  By segment (repeat purchases × weeks since the last purchase, or the first):\n",
    );
    out.push_str(&table(&align, &segments, 2));
    titled(
        &format!("Today's base, cohort `{}` (from its history)", c.cohort),
        out,
    )
}

fn split_row(label: &str, s: &crate::fit::base_value::BaseSplit) -> Vec<String> {
    vec![
        label.to_string(),
        money(s.customers as f64),
        money(s.expected_alive),
        money(s.expected_purchases),
        money(s.value),
        percent(s.share_of_value),
    ]
}
