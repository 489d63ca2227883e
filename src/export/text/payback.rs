//! The "break-even and payback" section of `ceq simulate` (SPEC §9.1): per acquisition channel
//! and per cohort that receives acquired customers, the seed formula's break-even duration and
//! the simulated payback period with its spread over runs.

use super::{Align, money, percent, table, titled};
use crate::plans::payback::Payback;

/// A payback period, or "never" when it falls beyond the horizon.
pub(crate) fn period_or_never(period: Option<u32>) -> String {
    period.map_or("never".to_string(), |p| p.to_string())
}

/// The section, or an empty string without acquisition.
pub fn render_payback(rows: &[Payback], periods: usize, currency: &str) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut table_rows = vec![
        [
            "",
            "cost per customer",
            "cash flow per period",
            "break-even (periods)",
            "payback (median)",
            "5% to 95%",
            "never within horizon",
        ]
        .map(str::to_string)
        .to_vec(),
    ];
    for p in rows {
        table_rows.push(vec![
            format!("{} {}", p.of, p.name),
            p.cost_per_customer.map_or("–".to_string(), money_cents),
            money_cents(p.cash_flow_per_period),
            p.break_even_periods
                .map_or("never".to_string(), |b| format!("{b:.1}")),
            period_or_never(p.payback_median),
            format!(
                "{} to {}",
                period_or_never(p.payback_p05),
                period_or_never(p.payback_p95)
            ),
            percent(p.never_share),
        ]);
    }
    let mut align = vec![Align::Right; 7];
    align[0] = Align::Left;
    align[5] = Align::Left;
    let mut body = table(&align, &table_rows, 2);
    body.push_str(&format!(
        "  Break-even = cost per customer / a new customer's cash flow per period (the seed\n  \
         formula 持平持续期: no churn, no discounting, no retention spend). Payback = first\n  \
         period in which the discounted value of a customer acquired in period 1 covers its\n  \
         cost, over runs; never = not within the {periods} periods simulated.\n"
    ));
    titled(
        &format!("Break-even and payback ({currency} per acquired customer)"),
        body,
    )
}

/// Money per customer: two decimals below 100, whole units above.
fn money_cents(value: f64) -> String {
    if value.abs() < 100.0 {
        format!("{value:.2}")
    } else {
        money(value)
    }
}
