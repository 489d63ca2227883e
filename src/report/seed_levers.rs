//! The report's "keep or clear out" paragraph (issue 17): for each plan that off-boards a
//! cohort, what serving its customers earns or loses and what releasing them adds, in the
//! words of [`crate::plans::levers_seed::sentence`]. Shared by the HTML and Markdown formats.

use super::data::ReportData;
use super::describe::AssumptionGroup;
use crate::chart::theme::{money_as_given, percent_as_given};
use crate::plans::levers_seed::{sentence, sentence_money};
use crate::scenario::{ResponseCurve, Scenario};

/// The assumptions of `[development_program]` and `[winback]` in plain words; `curve` words a
/// response curve (the report's own wording, [`super::describe`]).
pub fn assumptions(
    scenario: &Scenario,
    period: &str,
    curve: &dyn Fn(&ResponseCurve, &str, &str) -> String,
) -> Vec<AssumptionGroup> {
    let names = |c: usize| scenario.cohorts[c].name.clone();
    let mut groups = Vec::new();
    if let Some(p) = &scenario.development_program {
        let mut upgrades = Vec::new();
        for (from, row) in p.upgrades.iter().enumerate() {
            for &(to, extra) in row {
                upgrades.push(format!(
                    "{} → {} up to +{} a {period}",
                    names(from),
                    names(to),
                    percent_as_given(extra)
                ));
            }
        }
        let mut rows = vec![(
            "Response to spend".to_string(),
            curve(&p.curve, period, "per active customer"),
        )];
        if !upgrades.is_empty() {
            rows.push(("Upgrades at full spend".to_string(), upgrades.join("; ")));
        }
        if p.max_purchase_lift > 0.0 {
            rows.push((
                "Most extra purchases".to_string(),
                percent_as_given(p.max_purchase_lift),
            ));
        }
        if p.max_churn_reduction > 0.0 {
            rows.push((
                "Most churn removed".to_string(),
                percent_as_given(p.max_churn_reduction),
            ));
        }
        groups.push(AssumptionGroup {
            title: "Development programme".to_string(),
            rows,
        });
    }
    if let Some(w) = &scenario.winback {
        let reenter = w
            .reenter
            .map_or("the tier they lapsed from".to_string(), names);
        groups.push(AssumptionGroup {
            title: "Win-back".to_string(),
            rows: vec![
                (
                    "Most of the lapsed pool won back".to_string(),
                    format!("{} a {period}", percent_as_given(w.max_reactivation)),
                ),
                (
                    "Response to spend".to_string(),
                    curve(&w.curve, period, "per lapsed customer"),
                ),
                ("Returning customers join".to_string(), reenter),
                (
                    "Onboarding cost".to_string(),
                    format!(
                        "{} per returning customer",
                        money_as_given(w.onboarding_cost, &scenario.currency)
                    ),
                ),
                (
                    "Lapsed customers forget".to_string(),
                    format!("{} a {period}", percent_as_given(w.decay)),
                ),
            ],
        });
    }
    groups
}

/// One sentence per plan and off-boarded cohort, prefixed by the plan's name.
pub fn sentences(data: &ReportData) -> Vec<String> {
    let money = |x: f64| sentence_money(x, &data.currency);
    data.offboarding
        .iter()
        .map(|(plan, value)| format!("Plan {plan}: {}", sentence(value, &data.period, &money)))
        .collect()
}

/// The Markdown section, or nothing when no plan off-boards.
pub fn markdown(data: &ReportData) -> String {
    let lines = sentences(data);
    if lines.is_empty() {
        return String::new();
    }
    let mut m = String::from("## Keep or clear out\n\n");
    for line in lines {
        m.push_str("- ");
        m.push_str(&super::escape_markdown(&line));
        m.push('\n');
    }
    m.push('\n');
    m
}
