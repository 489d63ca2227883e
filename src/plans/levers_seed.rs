//! What the seed articles' pyramid levers do to a plan, in money and in words (issue 17):
//! the development and win-back rows of the components, and for each cohort a plan
//! off-boards, what serving one of its customers earns or loses per period and what releasing
//! them adds — "serving lead customers loses 0.26 USD per customer per month; off-boarding 20%
//! a month adds X". The value of off-boarding is a paired difference on common random numbers:
//! the plan against the same plan keeping that cohort (SPEC §7, §9), the same method as the
//! value of an acquisition channel ([`crate::plans::channels`]).

use serde::{Deserialize, Serialize};

use crate::scenario::{OrderValue, Plan, Purchases, Scenario};
use crate::sim::{self, SimError, SimOptions};
use crate::stats::Components;
use crate::stats::paired::PairedDifference;

/// The component rows of the pyramid levers a result has (none when it spends nothing on
/// them), for the components table after `drivers`.
pub fn component_rows(parts: &Components) -> Vec<(&'static str, f64)> {
    [
        ("development", parts.development),
        ("win-back", parts.winback),
    ]
    .into_iter()
    .filter(|(_, v)| *v != 0.0)
    .collect()
}

/// One cohort that a plan off-boards, and what doing so is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OffboardingValue {
    pub cohort: String,
    /// Share of the cohort's active customers released per period.
    pub share: f64,
    /// Expected margin on purchases + extra value − cost to serve of one active customer in
    /// one period, at the cohort's own laws (before driver effects and programme spend):
    /// margin × E\[orders\] × E\[order value\] + Σ extra_value − cost_to_serve.
    pub value_per_customer: f64,
    /// Mean CE of the plan minus the same plan without this cohort's off-boarding, paired run
    /// by run.
    pub gain: PairedDifference,
    pub runs: u64,
}

/// E[orders per period] × E[order value] of a cohort's customer (SPEC §2).
fn expected_revenue(purchases: Purchases, order_value: OrderValue) -> f64 {
    let orders = match purchases {
        Purchases::Fixed { n } => n,
        Purchases::Poisson { mean } | Purchases::NegativeBinomial { mean, .. } => mean,
    };
    let value = match order_value {
        OrderValue::Constant { mean }
        | OrderValue::Gamma { mean, .. }
        | OrderValue::HeterogeneousGamma { mean, .. } => mean,
        // Fader, Hardie & Lee (2005b): E[order value] = p·γ/(q − 1).
        OrderValue::GammaGamma { p, q, gamma } => p * gamma / (q - 1.0),
    };
    orders * value
}

/// For each cohort `plan` off-boards, its per-customer value and the paired gain of
/// off-boarding; `with` is the CE of each of `plan`'s runs on `options` (its seed and runs are
/// reused for the plan keeping the cohort).
pub fn offboarding_values(
    scenario: &Scenario,
    plan: &Plan,
    with: &[f64],
    options: &SimOptions,
) -> Result<Vec<OffboardingValue>, SimError> {
    let mut values = Vec::new();
    for (c, cohort) in scenario.cohorts.iter().enumerate() {
        let share = plan.offboard_share_at(c);
        if share <= 0.0 {
            continue;
        }
        let mut keeping = plan.clone();
        keeping.offboard[c] = 0.0;
        let without = crate::plans::run_values(&sim::run_plan(scenario, &keeping, options)?);
        values.push(OffboardingValue {
            cohort: cohort.name.clone(),
            share,
            value_per_customer: cohort.margin
                * expected_revenue(cohort.purchases, cohort.order_value)
                + cohort.extra_value.total()
                - cohort.cost_to_serve,
            gain: PairedDifference::new(with, &without),
            runs: options.runs,
        });
    }
    Ok(values)
}

/// "Serving lead customers loses USD 0.26 per customer per month; off-boarding 20% a month
/// adds USD 12,345 to mean customer equity (95% CI …)." The verdict follows the interval
/// ([`crate::narrative::Verdict`]); `money` formats amounts as the output format does.
pub fn sentence(value: &OffboardingValue, period: &str, money: &dyn Fn(f64) -> String) -> String {
    use crate::narrative::Verdict;
    let serving = if value.value_per_customer < 0.0 {
        format!(
            "Serving {} customers loses {} per customer per {period}",
            value.cohort,
            money(-value.value_per_customer)
        )
    } else {
        format!(
            "Serving {} customers earns {} per customer per {period} before programme spend",
            value.cohort,
            money(value.value_per_customer)
        )
    };
    let share = crate::chart::theme::percent_as_given(value.share);
    let interval = format!(
        "95% CI {} to {}",
        money(value.gain.ci95[0]),
        money(value.gain.ci95[1])
    );
    let effect = match Verdict::of(value.gain.ci95) {
        Verdict::Higher => format!(
            "off-boarding {share} a {period} adds {} to mean customer equity ({interval})",
            money(value.gain.mean)
        ),
        Verdict::Lower => format!(
            "off-boarding {share} a {period} costs {} of mean customer equity ({interval}): \
             what they would bring later (upgrades, referrals) outweighs the loss",
            money(-value.gain.mean)
        ),
        Verdict::CannotTell => format!(
            "off-boarding {share} a {period} changes mean customer equity by {}, which cannot be \
             told from zero at {} runs ({interval})",
            money(value.gain.mean),
            value.runs
        ),
    };
    format!("{serving}; {effect}.")
}

/// "Off-boarding (share of the cohort's active customers released per month): clear_out:
/// lead 20%" — for the plan comparison, when any plan off-boards.
pub fn offboard_line(scenario: &Scenario) -> Option<String> {
    let period = crate::report::describe::period_word(scenario.time.periods_per_year);
    let plans: Vec<String> = scenario
        .plans
        .iter()
        .filter(|p| p.offboard.iter().any(|s| *s > 0.0))
        .map(|p| {
            let cohorts: Vec<String> = p
                .offboard
                .iter()
                .enumerate()
                .filter(|(_, s)| **s > 0.0)
                .map(|(c, s)| {
                    format!(
                        "{} {}",
                        scenario.cohorts[c].name,
                        crate::chart::theme::percent_as_given(*s)
                    )
                })
                .collect();
            format!("  {}: {}\n", p.name, cohorts.join(", "))
        })
        .collect();
    (!plans.is_empty()).then(|| {
        format!(
            "Off-boarding (share of a cohort's active customers released per {period})\n{}",
            plans.concat()
        )
    })
}

/// The text section of `ceq simulate`: one sentence per off-boarded cohort.
pub fn render_text(values: &[OffboardingValue], periods_per_year: u32, currency: &str) -> String {
    let period = crate::report::describe::period_word(periods_per_year);
    let money = |x: f64| sentence_money(x, currency);
    let mut text = String::from("Off-boarding (paired with the same plan keeping the cohort)\n");
    for value in values {
        text.push_str("  ");
        // Printed through the terminal-safe writer (`cli::print_stdout`).
        text.push_str(&sentence(value, &period, &money));
        text.push('\n');
    }
    text
}

/// An amount for a sentence: whole units with thousands separators from 100 up (`USD
/// 12,345`), cents below (`USD 0.26`).
pub fn sentence_money(x: f64, currency: &str) -> String {
    if x.abs() >= 100.0 {
        crate::chart::theme::money(x, currency)
    } else {
        crate::chart::theme::money_as_given((x * 100.0).round() / 100.0, currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(mean: f64, ci95: [f64; 2], per_customer: f64) -> OffboardingValue {
        OffboardingValue {
            cohort: "lead".into(),
            share: 0.2,
            value_per_customer: per_customer,
            gain: PairedDifference {
                mean,
                ci95,
                std_error: 1.0,
                prob_a_better: 0.9,
            },
            runs: 100,
        }
    }

    #[test]
    fn the_sentence_says_what_serving_loses_and_what_releasing_adds() {
        let money = |x: f64| format!("USD {x:.2}");
        assert_eq!(
            sentence(&value(1000.0, [900.0, 1100.0], -0.4), "month", &money),
            "Serving lead customers loses USD 0.40 per customer per month; off-boarding 20% a \
             month adds USD 1000.00 to mean customer equity (95% CI USD 900.00 to USD 1100.00)."
        );
        let lower = sentence(&value(-50.0, [-60.0, -40.0], -0.4), "month", &money);
        assert!(lower.contains("costs USD 50.00"), "{lower}");
        let unclear = sentence(&value(5.0, [-6.0, 16.0], 2.0), "month", &money);
        assert!(unclear.contains("earns USD 2.00"), "{unclear}");
        assert!(unclear.contains("cannot be told from zero"), "{unclear}");
    }
}
