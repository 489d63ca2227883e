//! The text report of `ceq simulate`: a pure function from the summary to a string, so it can
//! be snapshot-tested and reused by other commands (moved here from the command line, issue 14:
//! the library renders, `cli/` only prints).
//!
//! Money is rounded to whole currency units with thousands separators; the currency label sits
//! in the section and column titles rather than on every number, which keeps columns aligned.

use super::{Align, count, group_digits, labels_then_numbers, money, percent, table, titled};
use crate::stats::SimulationSummary;
use crate::stats::{Components, Distribution, Origin, PeriodSummary};

/// The readable summary printed by `ceq simulate` without `--json`.
pub fn render_summary(
    summary: &SimulationSummary,
    periods_per_year: u32,
    currency: &str,
) -> String {
    if let Some(fraction) = summary.sample_fraction {
        // SPEC §9.2: the text shows the full base and says so; the JSON keeps the sample.
        let mut scaled = crate::stats::scaled_summary(summary, fraction);
        scaled.sample_fraction = None;
        let text = render_summary(&scaled, periods_per_year, currency);
        return format!(
            "{}

{text}",
            crate::stats::sample_note(fraction)
        );
    }
    let mut sections = vec![
        header(summary),
        equity(&summary.customer_equity, currency),
        components(&summary.components, summary.customer_equity.mean, currency),
        origin(&summary.origin, &summary.components, currency),
    ];
    if !summary.cohorts.is_empty() {
        sections.push(cohorts(summary, currency));
    }
    if !summary.offboarding.is_empty() {
        sections.push(crate::plans::levers_seed::render_text(
            &summary.offboarding,
            periods_per_year,
            currency,
        ));
    }
    if !summary.channels.is_empty() {
        sections.push(channels(&summary.channels, currency));
    }
    if !summary.periods.is_empty() {
        sections.push(years(
            &per_year(&summary.periods, periods_per_year),
            currency,
        ));
    }
    if !summary.existing_base.is_empty() {
        sections.push(super::base::render_existing_base(
            &summary.existing_base,
            summary.periods.len(),
            currency,
        ));
    }
    if !summary.payback.is_empty() {
        sections.push(super::payback::render_payback(
            &summary.payback,
            summary.periods.len(),
            currency,
        ));
    }
    sections.join("\n")
}

/// One row of the per-year table, aggregated from the per-period means.
#[derive(Debug, Clone, PartialEq)]
pub struct YearRow {
    /// 1-based year.
    pub year: u32,
    /// Periods of the horizon in this year; fewer than `periods_per_year` for a last,
    /// partial year.
    pub periods: u32,
    /// Mean customers active in the year's last period.
    pub active_end: f64,
    /// Mean new customers over the year's periods.
    pub new: f64,
    /// Mean revenue over the year's periods (undiscounted).
    pub revenue: f64,
    /// Mean discounted CE from period 1 through the year's last period, with its 5% and 95%
    /// quantiles over runs.
    pub cumulative_ce_mean: f64,
    /// 5% quantile over runs of the cumulative discounted CE.
    pub cumulative_ce_p05: f64,
    /// 95% quantile over runs of the cumulative discounted CE.
    pub cumulative_ce_p95: f64,
}

/// Groups periods into years of `periods_per_year` periods. Means of sums are sums of means,
/// so new customers and revenue add up exactly; quantiles do not add, which is why only the
/// cumulative CE (already a running total per run) carries its p05–p95.
pub fn per_year(periods: &[PeriodSummary], periods_per_year: u32) -> Vec<YearRow> {
    periods
        .chunks(periods_per_year.max(1) as usize)
        .zip(1..)
        .filter_map(|(chunk, year)| {
            let last = chunk.last()?;
            Some(YearRow {
                year,
                periods: chunk.len() as u32,
                active_end: last.active_mean,
                new: chunk.iter().map(|p| p.new_mean).sum(),
                revenue: chunk.iter().map(|p| p.revenue_mean).sum(),
                cumulative_ce_mean: last.cumulative_ce_mean,
                cumulative_ce_p05: last.cumulative_ce_p05,
                cumulative_ce_p95: last.cumulative_ce_p95,
            })
        })
        .collect()
}

fn header(summary: &SimulationSummary) -> String {
    let rows = [
        ["Scenario", summary.scenario.as_str()],
        ["Plan", summary.plan.as_str()],
        ["Runs", &group_digits(&summary.runs.to_string())],
        ["Seed", &summary.seed.to_string()],
        ["Engine", summary.engine.as_str()],
    ]
    .map(|row| row.map(str::to_string).to_vec());
    let mut text = table(&[Align::Left, Align::Left], &rows, 0);
    for note in &summary.approximations {
        text.push_str(&format!("Approximation: {note}\n"));
    }
    text
}

/// Per acquisition channel: customers, cost per customer, value of the customers and the ratio.
pub fn channels(rows: &[crate::stats::ChannelSummary], currency: &str) -> String {
    let optional = |x: Option<f64>| x.map_or("–".to_string(), money);
    let mut table_rows = vec![
        [
            "channel",
            "acquired",
            "spend + onboarding",
            "cost per customer",
            "value of customers",
            "95% CI",
            "value per customer",
            "value / cost",
        ]
        .map(str::to_string)
        .to_vec(),
    ];
    for c in rows {
        table_rows.push(vec![
            c.name.clone(),
            group_digits(&format!("{:.0}", c.acquired)),
            money(c.spend + c.onboarding),
            optional(c.cost_per_customer),
            money(c.value),
            format!("{} to {}", money(c.value_ci95[0]), money(c.value_ci95[1])),
            optional(c.value_per_customer),
            c.value_to_cost
                .map_or("–".to_string(), |r| format!("{r:.2}")),
        ]);
    }
    let mut align = vec![Align::Right; 8];
    align[0] = Align::Left;
    align[5] = Align::Left;
    titled(
        &format!(
            "Acquisition channels ({currency}, discounted; value = CE with the channel minus CE \
             without it, plus its costs, on the same runs)"
        ),
        table(&align, &table_rows, 2),
    )
}

fn equity(ce: &Distribution, currency: &str) -> String {
    let row = |label: &str, value: String, note: String| vec![label.to_string(), value, note];
    let plain = |label: &str, value: f64| row(label, money(value), String::new());
    let interval = format!("95% CI {} to {}", money(ce.ci95[0]), money(ce.ci95[1]));
    let rows = vec![
        row("mean", money(ce.mean), interval),
        plain("std error", ce.std_error),
        plain("sd over runs", ce.sd),
        plain("p05", ce.p05),
        plain("p25", ce.p25),
        plain("p50", ce.p50),
        plain("p75", ce.p75),
        plain("p95", ce.p95),
        row("P(CE < 0)", percent(ce.prob_negative), String::new()),
    ];
    titled(
        &format!("Customer equity ({currency}, discounted)"),
        table(&[Align::Left, Align::Right, Align::Left], &rows, 2),
    )
}

fn components(parts: &Components, mean: f64, currency: &str) -> String {
    let mut rows = vec![
        ("purchase margin", parts.purchase_margin),
        ("extra value", parts.extra_value),
        ("cost to serve", parts.cost_to_serve),
        ("acquisition", parts.acquisition),
        ("onboarding", parts.onboarding),
        ("retention", parts.retention),
        ("drivers", parts.drivers),
    ];
    rows.extend(crate::plans::levers_seed::component_rows(parts));
    rows.push(("customer equity", mean));
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(label, value)| vec![label.to_string(), money(value)])
        .collect();
    titled(
        &format!("Components ({currency}, discounted means; costs negative)"),
        table(&[Align::Left, Align::Right], &rows, 2),
    )
}

fn origin(origin: &Origin, parts: &Components, currency: &str) -> String {
    let rows = [
        ("existing customers", origin.existing),
        ("new customers", origin.new),
        ("drivers", parts.drivers),
        (
            "customer equity",
            origin.existing + origin.new + parts.drivers,
        ),
    ]
    .map(|(label, value)| vec![label.to_string(), money(value)]);
    titled(
        &format!("By origin ({currency}; existing + new + drivers = CE)"),
        table(&[Align::Left, Align::Right], &rows, 2),
    )
}

fn cohorts(summary: &SimulationSummary, currency: &str) -> String {
    let mut rows = vec![vec![
        "cohort".to_string(),
        format!("CE mean ({currency})"),
        "active at end".to_string(),
        "entered".to_string(),
    ]];
    for r in summary.cohort_reconciliation() {
        let cohort = summary
            .cohorts
            .iter()
            .find(|c| c.name == r.label && !r.total);
        rows.push(vec![
            r.label,
            money(r.value),
            cohort.map_or(String::new(), |c| count(c.active_end_mean)),
            cohort.map_or(String::new(), |c| count(c.entered_mean)),
        ]);
    }
    let align = labels_then_numbers(1, 4);
    titled(
        "By cohort (means; with the spend no cohort carries, the rows add up to CE)",
        table(&align, &rows, 2),
    )
}

fn years(years: &[YearRow], currency: &str) -> String {
    let mut rows = vec![
        [
            "year",
            "active at end",
            "new",
            &format!("revenue ({currency})"),
            &format!("cumulative CE ({currency})"),
            "CE p05",
            "CE p95",
        ]
        .map(str::to_string)
        .to_vec(),
    ];
    let full_year = years.first().map_or(0, |y| y.periods);
    rows.extend(years.iter().map(|y| {
        let label = if y.periods < full_year {
            format!("{} (partial)", y.year)
        } else {
            y.year.to_string()
        };
        vec![
            label,
            count(y.active_end),
            count(y.new),
            money(y.revenue),
            money(y.cumulative_ce_mean),
            money(y.cumulative_ce_p05),
            money(y.cumulative_ce_p95),
        ]
    }));
    let mut align = vec![Align::Right; 7];
    align[0] = Align::Left;
    titled("By year (means; CE discounted)", table(&align, &rows, 2))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stats::CohortSummary;
    use crate::stats::describe::Z95;

    fn period(t: u32) -> PeriodSummary {
        let t_f = f64::from(t);
        PeriodSummary {
            period: t,
            active_mean: 10_000.0 - 150.0 * t_f,
            active_p05: 9_800.0 - 160.0 * t_f,
            active_p95: 10_200.0 - 140.0 * t_f,
            new_mean: 40.0 + t_f,
            orders_mean: 14_000.0 - 200.0 * t_f,
            revenue_mean: 1_190_000.0 - 17_000.0 * t_f,
            cumulative_ce_mean: 90_000.0 * t_f,
            cumulative_ce_p05: 80_000.0 * t_f,
            cumulative_ce_p95: 100_000.0 * t_f,
        }
    }

    /// A hand-made summary whose parts add up the way the engine's must: components sum to
    /// the CE mean and existing + new + drivers = CE.
    pub(crate) fn sample_summary() -> SimulationSummary {
        let mean = 1_234_567.89;
        let std_error = 250_000.0 / 1000f64.sqrt();
        SimulationSummary {
            ceq_version: "0.1.0".to_string(),
            scenario: "retail".to_string(),
            plan: "current".to_string(),
            runs: 1000,
            seed: 1,
            engine: "cohort".to_string(),
            customer_equity: Distribution {
                mean,
                sd: 250_000.0,
                std_error,
                ci95: [mean - Z95 * std_error, mean + Z95 * std_error],
                p05: 820_000.4,
                p25: 1_060_000.0,
                p50: 1_230_000.0,
                p75: 1_400_000.0,
                p95: 1_650_000.0,
                prob_negative: 0.003,
            },
            components: Components {
                purchase_margin: 2_100_000.0,
                extra_value: 45_000.0,
                cost_to_serve: -210_000.0,
                acquisition: -450_000.0,
                onboarding: -60_000.0,
                retention: -150_000.0,
                drivers: -40_432.11,
                ..Components::default()
            },
            origin: Origin {
                existing: 900_000.0,
                new: 375_000.0,
            },
            cohorts: vec![
                CohortSummary {
                    name: "gold".to_string(),
                    customer_equity_mean: 1_000_000.0,
                    active_end_mean: 8_123.4,
                    entered_mean: 1_500.2,
                },
                CohortSummary {
                    name: "iron".to_string(),
                    customer_equity_mean: -5_000.0,
                    active_end_mean: 12.34,
                    entered_mean: 0.0,
                },
            ],
            periods: (1..=15).map(period).collect(),
            approximations: Vec::new(),
            channels: Vec::new(),
            existing_base: Vec::new(),
            offboarding: Vec::new(),
            payback: Vec::new(),
            sample_fraction: None,
            full_base: None,
        }
    }

    #[test]
    fn snapshot_of_a_hand_made_summary() {
        insta::assert_snapshot!(render_summary(&sample_summary(), 12, "EUR"));
    }

    #[test]
    fn per_year_sums_flows_and_takes_stocks_at_year_end() {
        let periods: Vec<PeriodSummary> = (1..=15).map(period).collect();
        let years = per_year(&periods, 12);
        assert_eq!(years.len(), 2);
        let first = &years[0];
        assert_eq!((first.year, first.periods), (1, 12));
        assert_eq!(first.active_end, periods[11].active_mean);
        assert_eq!(
            first.new,
            (1..=12).map(|t| 40.0 + f64::from(t)).sum::<f64>()
        );
        let revenue: f64 = periods[..12].iter().map(|p| p.revenue_mean).sum();
        assert_eq!(first.revenue, revenue);
        assert_eq!(first.cumulative_ce_mean, 90_000.0 * 12.0);
        assert_eq!(first.cumulative_ce_p05, 80_000.0 * 12.0);
        assert_eq!(first.cumulative_ce_p95, 100_000.0 * 12.0);
        let partial = &years[1];
        assert_eq!((partial.year, partial.periods), (2, 3));
        assert_eq!(partial.active_end, periods[14].active_mean);
        assert_eq!(partial.new, 53.0 + 54.0 + 55.0);
    }

    #[test]
    fn per_year_with_yearly_periods_is_one_row_per_period() {
        let periods: Vec<PeriodSummary> = (1..=3).map(period).collect();
        let years = per_year(&periods, 1);
        assert_eq!(years.len(), 3);
        assert_eq!(years[2].revenue, periods[2].revenue_mean);
        assert!(per_year(&[], 12).is_empty());
    }

    #[test]
    fn tables_align_columns_without_trailing_spaces() {
        let rows = vec![
            vec!["a".to_string(), "1".to_string(), "x".to_string()],
            vec!["long".to_string(), "1,000".to_string(), String::new()],
        ];
        let text = table(&[Align::Left, Align::Right, Align::Left], &rows, 2);
        assert_eq!(text, "  a          1   x\n  long   1,000\n");
    }

    #[test]
    fn origin_total_is_the_identity_of_the_data() {
        let text = render_summary(&sample_summary(), 12, "EUR");
        assert!(text.contains("existing + new + drivers = CE"));
        assert!(text.contains("customer equity      1,234,568"));
    }
}
