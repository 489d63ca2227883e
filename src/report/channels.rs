//! The per-channel table and sentence of the report (SPEC §4, §12): customers acquired, cost
//! per customer, the value of the customers each channel brings and the ratio — the money
//! behind the optimizer's split across channels. Shared by the HTML and Markdown formats.

use super::money;
use crate::stats::ChannelSummary;

/// The column headers of [`rows`].
pub const HEADERS: [&str; 6] = [
    "Channel",
    "Customers acquired",
    "Cost per customer",
    "Value per customer",
    "Value of its customers",
    "Value / cost",
];

/// One row of cells per channel.
pub fn rows(channels: &[ChannelSummary], currency: &str) -> Vec<[String; 6]> {
    let optional = |x: Option<f64>| x.map_or("n/a".to_string(), |v| money(v, currency));
    channels
        .iter()
        .map(|c| {
            [
                c.name.clone(),
                crate::format::whole(c.acquired),
                optional(c.cost_per_customer),
                optional(c.value_per_customer),
                format!(
                    "{} ({})",
                    money(c.value, currency),
                    super::money_interval(c.value_ci95, currency)
                ),
                c.value_to_cost
                    .map_or("n/a".to_string(), |r| format!("{r:.2}")),
            ]
        })
        .collect()
}

/// "search acquires at USD 14 a customer, partners at USD 55, but a partners customer is worth
/// USD 185 against USD 33: each 1 spent there brings back 3.33 against 2.41." — when the
/// channel with the dearer customers brings back more per unit spent; otherwise the plain
/// ranking by value per unit spent.
pub fn sentence(channels: &[ChannelSummary], currency: &str) -> Option<String> {
    let priced: Vec<&ChannelSummary> = channels
        .iter()
        .filter(|c| c.value_to_cost.is_some() && c.cost_per_customer.is_some())
        .collect();
    if priced.len() < 2 {
        return None;
    }
    let best = priced.iter().copied().max_by(|a, b| {
        a.value_to_cost
            .unwrap_or(0.0)
            .total_cmp(&b.value_to_cost.unwrap_or(0.0))
    })?;
    let cheapest = priced.iter().copied().min_by(|a, b| {
        a.cost_per_customer
            .unwrap_or(0.0)
            .total_cmp(&b.cost_per_customer.unwrap_or(0.0))
    })?;
    let ratio = |c: &ChannelSummary| c.value_to_cost.map_or(0.0, |r| r);
    let cost = |c: &ChannelSummary| money(c.cost_per_customer.unwrap_or(0.0), currency);
    let value = |c: &ChannelSummary| money(c.value_per_customer.unwrap_or(0.0), currency);
    Some(if best.name != cheapest.name {
        format!(
            "{} acquires customers at {} each and {} at {}, but a customer from {} is worth {} \
             against {}: each 1 {currency} spent on {} brings back {:.2} in customer value, on \
             {} {:.2}. Judged by cost per customer alone, the money would go the wrong way.",
            cheapest.name,
            cost(cheapest),
            best.name,
            cost(best),
            best.name,
            value(best),
            value(cheapest),
            best.name,
            ratio(best),
            cheapest.name,
            ratio(cheapest),
        )
    } else {
        format!(
            "{} is both the cheapest channel per customer ({}) and the one whose customers \
             bring back the most per 1 {currency} spent ({:.2}).",
            best.name,
            cost(best),
            ratio(best)
        )
    })
}

/// The channels as a Markdown table under a heading, with the sentence; empty without channels.
pub fn markdown(title: &str, channels: &[ChannelSummary], currency: &str) -> String {
    use super::escape_markdown as esc;
    if channels.is_empty() {
        return String::new();
    }
    let mut m = format!(
        "### {}\n\n| {} |\n|---|{}\n",
        esc(title),
        HEADERS.join(" | "),
        "---:|".repeat(5)
    );
    for row in rows(channels, currency) {
        let cells: Vec<String> = row.iter().map(|c| esc(c)).collect();
        m.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    m.push_str(&format!("\n{}\n", esc(NOTE)));
    if let Some(text) = sentence(channels, currency) {
        m.push_str(&format!("\n{}\n", esc(&text)));
    }
    m.push('\n');
    m
}

/// How the value of a channel's customers is measured.
pub(super) const NOTE: &str = "Money is discounted. A channel's value is the customer equity of the plan \
     minus that of the same plan without the channel's spend, plus the channel's spend and \
     onboarding, on the same runs: what its customers contribute over the horizon, referrals \
     included. Cost per customer and value per customer are per discounted customer acquired.";
