//! The scenario's parameters in plain words, for the assumptions table of the report.

use crate::chart::theme::period_name;
use crate::format::{as_given, money, money_as_given, percent, percent_as_given};
use crate::scenario::{
    OrderValue, ParameterDistribution, Purchases, ResponseCurve, Retention, Scenario,
};

/// "month", "quarter", … for sentences.
pub fn period_word(periods_per_year: u32) -> String {
    period_name(periods_per_year).to_lowercase()
}

pub use crate::format::number;

/// Retention in words: "92% retained per month on average (Beta, concentration 12)".
pub fn retention(form: &Retention, period: &str) -> String {
    match *form {
        Retention::Rate { rate } => format!("{} retained per {period}", percent_as_given(rate)),
        Retention::MeanConcentration {
            mean,
            concentration,
        } => format!(
            "{} retained per {period} on average (Beta, concentration {})",
            percent_as_given(mean),
            as_given(concentration)
        ),
        Retention::ShiftedBetaGeometric { alpha, beta } => format!(
            "{} retained after the first {period}, rising as the loyal remain \
             (shifted-beta-geometric, α {}, β {})",
            percent(beta / (alpha + beta)),
            as_given(alpha),
            as_given(beta)
        ),
        Retention::Dropout { alpha, beta } => format!(
            "after each purchase {} drop out on average (BG/NBD dropout, a {}, b {})",
            percent(alpha / (alpha + beta)),
            as_given(alpha),
            as_given(beta)
        ),
    }
}

/// Purchases in words: "1.5 orders per month on average (Poisson)".
pub fn purchases(form: &Purchases, period: &str) -> String {
    match *form {
        Purchases::Fixed { n } => format!("exactly {} {} per {period}", as_given(n), orders(n)),
        Purchases::Poisson { mean } => {
            format!(
                "{} {} per {period} on average (Poisson)",
                as_given(mean),
                orders(mean)
            )
        }
        Purchases::NegativeBinomial { mean, shape } => format!(
            "{} {} per {period} on average, varying between customers \
             (negative binomial, shape {})",
            as_given(mean),
            orders(mean),
            as_given(shape)
        ),
    }
}

fn orders(n: f64) -> &'static str {
    if n == 1.0 { "order" } else { "orders" }
}

/// Order value in words: "USD 120 per order on average (Gamma, CV 0.5)".
pub fn order_value(form: &OrderValue, currency: &str) -> String {
    match *form {
        OrderValue::Constant { mean } => format!("{} per order", money_as_given(mean, currency)),
        OrderValue::Gamma { mean, cv } => format!(
            "{} per order on average (Gamma, coefficient of variation {})",
            money_as_given(mean, currency),
            as_given(cv)
        ),
        OrderValue::HeterogeneousGamma {
            mean,
            cv,
            customer_cv,
        } => format!(
            "{} per order on average, varying by order (CV {}) and by customer (CV {})",
            money_as_given(mean, currency),
            as_given(cv),
            as_given(customer_cv)
        ),
        OrderValue::GammaGamma { p, q, gamma } => {
            let mean = if q > 1.0 {
                format!(
                    "{} per order on average, ",
                    money(p * gamma / (q - 1.0), currency)
                )
            } else {
                String::new()
            };
            format!(
                "{mean}varying by customer (Gamma-Gamma, p {}, q {}, γ {})",
                as_given(p),
                as_given(q),
                as_given(gamma)
            )
        }
    }
}

/// A response curve in words, with the basis its spend is measured on ("per prospect reached",
/// "per active customer", "of adstocked spend"): the same `half_spend` means 0.50 per prospect
/// for acquisition and 0.50 per customer for retention, and a reader must see which.
pub fn response_curve(curve: &ResponseCurve, currency: &str, period: &str, basis: &str) -> String {
    match *curve {
        ResponseCurve::Exponential { k } => format!(
            "diminishing returns: share of the maximum effect = 1 − exp(−{} × spend {basis} \
             per {period})",
            as_given(k)
        ),
        ResponseCurve::HalfSpend { half_spend } => format!(
            "diminishing returns: half the maximum effect at {} {basis} per {period}",
            money_as_given(half_spend, currency)
        ),
        ResponseCurve::Hill { half_spend, shape } => format!(
            "S-shaped (Hill, shape {}): half the maximum effect at {} {basis} per {period}",
            as_given(shape),
            money_as_given(half_spend, currency)
        ),
    }
}

/// An uncertain parameter's distribution in words.
pub fn distribution(dist: &ParameterDistribution) -> String {
    match *dist {
        ParameterDistribution::Normal { mean, sd } => format!(
            "normal, mean {}, standard deviation {}",
            as_given(mean),
            as_given(sd)
        ),
        ParameterDistribution::LogNormal { median, sigma } => format!(
            "log-normal, median {}, σ {}",
            as_given(median),
            as_given(sigma)
        ),
        ParameterDistribution::Beta {
            mean,
            concentration,
        } => format!(
            "beta, mean {}, concentration {}",
            as_given(mean),
            as_given(concentration)
        ),
        ParameterDistribution::Uniform { low, high } => {
            format!("uniform between {} and {}", as_given(low), as_given(high))
        }
        ParameterDistribution::Triangular { low, mode, high } => format!(
            "triangular from {} to {}, most likely {}",
            as_given(low),
            as_given(high),
            as_given(mode)
        ),
    }
}

/// One group of the assumptions table.
#[derive(Debug, Clone, PartialEq)]
pub struct AssumptionGroup {
    pub title: String,
    /// (parameter, value in words)
    pub rows: Vec<(String, String)>,
}

/// Every parameter of the scenario, grouped, in plain words.
pub fn assumptions(scenario: &Scenario) -> Vec<AssumptionGroup> {
    let cur = scenario.currency.as_str();
    let ppy = scenario.time.periods_per_year;
    let period = period_word(ppy);
    let mut groups = Vec::new();
    let t = &scenario.time;
    groups.push(AssumptionGroup {
        title: "Horizon and money".to_string(),
        rows: vec![
            (
                "Horizon".to_string(),
                format!(
                    "{} {period}s ({} per year)",
                    t.periods,
                    as_given(f64::from(ppy))
                ),
            ),
            (
                "Discount rate".to_string(),
                format!("{} per year", percent_as_given(t.discount_rate)),
            ),
            (
                "Cash flows".to_string(),
                match t.cash_flow_timing {
                    crate::scenario::CashFlowTiming::End => "at the end of each period",
                    crate::scenario::CashFlowTiming::Start => "at the start of each period",
                }
                .to_string(),
            ),
            ("Currency".to_string(), cur.to_string()),
        ],
    });
    for cohort in &scenario.cohorts {
        let mut rows = vec![
            (
                "Customers today".to_string(),
                crate::format::whole(cohort.customers as f64),
            ),
            (
                "Retention".to_string(),
                retention(&cohort.retention, &period),
            ),
            (
                "Purchases".to_string(),
                purchases(&cohort.purchases, &period),
            ),
            (
                "Order value".to_string(),
                order_value(&cohort.order_value, cur),
            ),
            (
                "Margin".to_string(),
                format!("{} of revenue", percent_as_given(cohort.margin)),
            ),
            (
                "Cost to serve".to_string(),
                format!(
                    "{} per customer per {period}",
                    money_as_given(cohort.cost_to_serve, cur)
                ),
            ),
        ];
        if cohort.referrals > 0.0 {
            rows.push((
                "Referrals".to_string(),
                format!(
                    "{} new customers per customer per {period}",
                    as_given(cohort.referrals)
                ),
            ));
        }
        if cohort.extra_value.total() != 0.0 {
            rows.push((
                "Extra value".to_string(),
                format!(
                    "{} per customer per {period} (information, knowledge, transactions)",
                    money_as_given(cohort.extra_value.total(), cur)
                ),
            ));
        }
        groups.push(AssumptionGroup {
            title: format!("Cohort: {}", cohort.name),
            rows,
        });
    }
    for a in scenario.acquisition.iter().flat_map(|a| {
        a.channels
            .iter()
            .map(move |c| (c, if a.single { None } else { Some(&c.name) }))
    }) {
        let (a, channel) = a;
        let mix = scenario
            .cohorts
            .iter()
            .zip(&a.mix)
            .filter(|(_, share)| **share > 0.0)
            .map(|(c, share)| format!("{} {}", percent_as_given(*share), c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let mut rows = vec![
            (
                "Prospects".to_string(),
                crate::format::whole(a.prospects as f64),
            ),
            (
                "Ceiling".to_string(),
                format!(
                    "at most {} of prospects won per {period}",
                    percent_as_given(a.ceiling)
                ),
            ),
            (
                "Response to spend".to_string(),
                response_curve(&a.curve, cur, &period, "per prospect reached"),
            ),
        ];
        if a.carryover > 0.0 {
            rows.push((
                "Carryover".to_string(),
                format!(
                    "{} of last {period}'s effective spend",
                    percent_as_given(a.carryover)
                ),
            ));
        }
        rows.push(("New customers join".to_string(), mix));
        rows.push((
            "Onboarding cost".to_string(),
            format!(
                "{} per new customer",
                money_as_given(a.onboarding_cost, cur)
            ),
        ));
        groups.push(AssumptionGroup {
            title: match channel {
                Some(name) => format!("Acquisition channel: {name}"),
                None => "Acquisition".to_string(),
            },
            rows,
        });
    }
    if let Some(r) = &scenario.retention_program {
        groups.push(AssumptionGroup {
            title: "Retention programme".to_string(),
            rows: vec![
                (
                    "Most churn removed".to_string(),
                    percent_as_given(r.max_churn_reduction),
                ),
                (
                    "Response to spend".to_string(),
                    response_curve(&r.curve, cur, &period, "per active customer"),
                ),
            ],
        });
    }
    groups.extend(super::seed_levers::assumptions(
        scenario,
        &period,
        &|c, p, per| response_curve(c, cur, p, per),
    ));
    for driver in crate::scenario::Driver::ALL {
        if let Some(d) = &scenario.drivers[driver.index()] {
            groups.push(AssumptionGroup {
                title: format!("Equity driver: {}", driver.name()),
                rows: vec![
                    (
                        "Largest lift".to_string(),
                        format!("{} rating points", as_given(d.max_lift)),
                    ),
                    (
                        "Half the lift at".to_string(),
                        format!(
                            "{} of adstocked spend per {period}",
                            money_as_given(d.half_spend, cur)
                        ),
                    ),
                    (
                        "Carry-over".to_string(),
                        format!(
                            "{} of the effect carries to the next {period}",
                            percent_as_given(d.carryover)
                        ),
                    ),
                    (
                        "Acts on".to_string(),
                        format!(
                            "per rating point: retention × {}, acquisition × {}, purchases × {}",
                            as_given(d.effect.retention),
                            as_given(d.effect.acquisition),
                            as_given(d.effect.purchases)
                        ),
                    ),
                ],
            });
        }
    }
    let draws = scenario.uncertainty_draws.as_ref();
    if !scenario.uncertainty.is_empty() || draws.is_some() {
        let mut rows: Vec<(String, String)> = scenario
            .uncertainty
            .iter()
            .map(|u| (u.path.clone(), distribution(&u.distribution)))
            .collect();
        // Joint draws (SPEC §8): the reader must see that these parameters come from a file,
        // together, and which run takes which row.
        if let Some(d) = draws {
            rows.extend(d.paths.iter().map(|path| {
                (
                    path.clone(),
                    format!(
                        "joint draws from {} ({} rows; run k takes row k mod {})",
                        d.file,
                        d.rows.len(),
                        d.rows.len()
                    ),
                )
            }));
        }
        groups.push(AssumptionGroup {
            title: "Uncertain parameters (drawn anew in every run)".to_string(),
            rows,
        });
    }
    let plan_rows = scenario
        .plans
        .iter()
        .enumerate()
        .map(|(i, plan)| {
            use crate::scenario::Lever;
            let levers: Vec<Lever> = match &scenario.acquisition {
                Some(a) if !a.single => a
                    .levers()
                    .into_iter()
                    .chain(Lever::ALL[1..].to_vec())
                    .collect(),
                _ => Lever::ALL.to_vec(),
            };
            let spend = levers
                .into_iter()
                .map(|lever| {
                    let s = &plan.schedule(lever).0;
                    let text = if s.len() <= 1 || s.iter().all(|v| *v == s[0]) {
                        money_as_given(s.first().copied().unwrap_or(0.0), cur)
                    } else {
                        s.iter()
                            .map(|v| money_as_given(*v, cur))
                            .collect::<Vec<_>>()
                            .join(" → ")
                    };
                    format!("{} {text}", scenario.lever_name(lever))
                })
                .collect::<Vec<_>>()
                .join("; ");
            let name = if i == scenario.baseline_plan.index() {
                format!("{} (baseline)", plan.name)
            } else {
                plan.name.clone()
            };
            (name, format!("per {period}: {spend}"))
        })
        .collect();
    groups.push(AssumptionGroup {
        title: "Plans (spend per lever)".to_string(),
        rows: plan_rows,
    });
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_forms_in_words() {
        assert_eq!(
            retention(
                &Retention::MeanConcentration {
                    mean: 0.92,
                    concentration: 12.0
                },
                "month"
            ),
            "92% retained per month on average (Beta, concentration 12)"
        );
        assert_eq!(
            retention(&Retention::Rate { rate: 0.85 }, "year"),
            "85% retained per year"
        );
        assert!(
            retention(
                &Retention::ShiftedBetaGeometric {
                    alpha: 1.0,
                    beta: 3.0
                },
                "year"
            )
            .starts_with("75% retained after the first year")
        );
        assert!(
            retention(
                &Retention::Dropout {
                    alpha: 1.0,
                    beta: 4.0
                },
                "week"
            )
            .starts_with("after each purchase 20% drop out")
        );
    }

    #[test]
    fn purchases_and_order_values_in_words() {
        assert_eq!(
            purchases(&Purchases::Poisson { mean: 1.5 }, "month"),
            "1.5 orders per month on average (Poisson)"
        );
        assert_eq!(
            purchases(&Purchases::Fixed { n: 1.0 }, "year"),
            "exactly 1 order per year"
        );
        assert_eq!(
            order_value(&OrderValue::Constant { mean: 1250.0 }, "EUR"),
            "EUR 1,250 per order"
        );
        assert_eq!(
            order_value(
                &OrderValue::Gamma {
                    mean: 80.0,
                    cv: 0.5
                },
                "USD"
            ),
            "USD 80 per order on average (Gamma, coefficient of variation 0.5)"
        );
        assert!(
            order_value(
                &OrderValue::GammaGamma {
                    p: 6.0,
                    q: 4.0,
                    gamma: 15.0
                },
                "USD"
            )
            .starts_with("USD 30 per order on average")
        );
    }

    #[test]
    fn curves_and_distributions_in_words() {
        assert_eq!(
            response_curve(
                &ResponseCurve::HalfSpend { half_spend: 5000.0 },
                "USD",
                "month",
                "of adstocked spend"
            ),
            "diminishing returns: half the maximum effect at USD 5,000 of adstocked spend per month"
        );
        assert_eq!(
            response_curve(
                &ResponseCurve::HalfSpend { half_spend: 0.42 },
                "EUR",
                "month",
                "per prospect reached"
            ),
            "diminishing returns: half the maximum effect at EUR 0.42 per prospect reached per month"
        );
        assert_eq!(
            distribution(&ParameterDistribution::Uniform {
                low: 0.1,
                high: 0.2
            }),
            "uniform between 0.1 and 0.2"
        );
        assert_eq!(number(0.126, 2), "0.13");
        assert_eq!(number(3.0, 2), "3");
    }
}
