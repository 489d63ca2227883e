//! The report's "Break-even and payback" section (SPEC §9.1, §13): for each acquisition channel
//! and each cohort that receives acquired customers, what a customer costs, the seed formula's
//! break-even duration, and when the simulated customer pays back, with its spread over runs
//! and the charts of value per acquired customer against its cost.

use std::fmt::Write;

use super::data::{ChartRef, ReportData};
use super::escape_markdown;
use crate::chart::theme::{money_as_given, percent};
use crate::plans::payback::Payback;

/// Money per customer to the cent.
fn cents(value: f64, currency: &str) -> String {
    money_as_given((value * 100.0).round() / 100.0, currency)
}

fn when(period: Option<u32>) -> String {
    period.map_or("never".to_string(), |p| p.to_string())
}

/// One sentence per channel or cohort, shared by both formats.
fn sentence(p: &Payback, period: &str, periods: usize, cur: &str) -> String {
    let whose = if p.of == "channel" {
        format!("A customer won through `{}`", p.name)
    } else {
        format!("A customer acquired into `{}`", p.name)
    };
    let Some(cost) = p.cost_per_customer else {
        return format!("{whose}: no run acquires anyone, so there is nothing to pay back.");
    };
    let seed = match p.break_even_years {
        Some(_) => format!(
            "by the seed formula (cost over cash flow, no churn or discounting) it breaks even \
             after {:.1} {period}s",
            p.break_even_periods.unwrap_or(f64::NAN)
        ),
        None => "by the seed formula it never breaks even (its cash flow is not positive)".into(),
    };
    let simulated = match p.payback_median {
        Some(m) => format!(
            "simulated with churn, discounting and retention spend it pays back in {period} {m} \
             (5–95% of runs: {} to {})",
            when(p.payback_p05),
            when(p.payback_p95)
        ),
        None => format!("simulated, most runs do not pay it back within {periods} {period}s"),
    };
    format!(
        "{whose} costs {} (acquisition and onboarding) and brings {} in its first {period}: \
         {seed}; {simulated}; {} of runs never pay it back within the horizon.",
        cents(cost, cur),
        cents(p.cash_flow_per_period, cur),
        percent(p.never_share)
    )
}

/// The table's header row.
pub const HEADER: [&str; 7] = [
    "",
    "Cost per customer",
    "Cash flow per period",
    "Break-even (periods, seed formula)",
    "Payback (median period)",
    "5% to 95%",
    "Never within horizon",
];

/// The table's rows, one per channel and cohort.
pub fn rows(paybacks: &[Payback], cur: &str) -> Vec<[String; 7]> {
    paybacks
        .iter()
        .map(|p| {
            [
                format!("{} {}", p.of, p.name),
                p.cost_per_customer
                    .map_or("–".to_string(), |c| cents(c, cur)),
                cents(p.cash_flow_per_period, cur),
                p.break_even_periods
                    .map_or("never".to_string(), |b| format!("{b:.1}")),
                when(p.payback_median),
                format!("{} to {}", when(p.payback_p05), when(p.payback_p95)),
                percent(p.never_share),
            ]
        })
        .collect()
}

/// The sentences of the section, one per channel and cohort.
pub fn sentences(data: &ReportData) -> Vec<String> {
    let period = data.period.to_lowercase();
    let periods = data.summary.periods.len();
    data.summary
        .payback
        .iter()
        .map(|p| sentence(p, &period, periods, &data.currency))
        .collect()
}

/// The section in Markdown, or nothing without acquisition.
pub fn markdown(data: &ReportData, charts: &[ChartRef]) -> String {
    let mut m = String::new();
    let paybacks = &data.summary.payback;
    if paybacks.is_empty() {
        return m;
    }
    m.push_str("## Break-even and payback\n\n");
    for s in sentences(data) {
        let _ = writeln!(m, "{}\n", escape_markdown(&s));
    }
    let _ = writeln!(
        m,
        "| {} |\n|---|---:|---:|---:|---:|---|---:|",
        HEADER.join(" | ")
    );
    super::markdown::table_rows(&mut m, rows(paybacks, &data.currency));
    m.push('\n');
    for chart in charts {
        super::markdown::image(&mut m, chart);
    }
    m
}
