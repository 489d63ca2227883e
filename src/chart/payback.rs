//! Payback charts (SPEC §9.1): the cumulative discounted value per acquired customer by period
//! against what the customer cost, with the period it pays back marked; one chart for the
//! acquisition channels and one for the cohorts that receive acquired customers.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{Mark, frame, item, mesh, padded_range, plot_area, ticks, whole_tick};
use super::theme::{self, Theme, series_color};
use super::{ChartError, Draw, Rendered, render};
use crate::plans::payback::Payback;

/// One line of the chart: a channel's or a cohort's acquired customer.
#[derive(Debug, Clone, PartialEq)]
pub struct PaybackSeries {
    pub name: String,
    /// Cost per acquired customer (acquisition spend plus onboarding).
    pub cost: Option<f64>,
    /// Mean cumulative discounted value per customer in periods 1..=H, with the 5% and 95%
    /// quantiles over runs.
    pub mean: Vec<f64>,
    pub p05: Vec<f64>,
    pub p95: Vec<f64>,
    /// The period the mean curve reaches the cost.
    pub payback: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaybackChart {
    pub title: String,
    pub subtitle: String,
    pub currency: String,
    pub period_label: String,
    pub series: Vec<PaybackSeries>,
}

pub fn payback_chart(data: &PaybackChart) -> Result<Rendered, ChartError> {
    render(data)
}

impl PaybackSeries {
    fn from_payback(p: &Payback) -> Self {
        PaybackSeries {
            name: p.name.clone(),
            cost: p.cost_per_customer,
            mean: p.cumulative_value.clone(),
            p05: p.cumulative_value_p05.clone(),
            p95: p.cumulative_value_p95.clone(),
            payback: p.payback_of_mean,
        }
    }
}

/// `payback_channels` and, when some cohort receives acquired customers, `payback_cohorts`.
pub fn payback_charts(
    paybacks: &[Payback],
    currency: &str,
    periods_per_year: u32,
) -> Result<Vec<(String, Rendered)>, ChartError> {
    let period = theme::period_name(periods_per_year);
    let mut out = Vec::new();
    for (of, stem, whose) in [
        ("channel", "payback_channels", "channel"),
        ("cohort", "payback_cohorts", "cohort joined"),
    ] {
        let series: Vec<PaybackSeries> = paybacks
            .iter()
            .filter(|p| p.of == of)
            .map(PaybackSeries::from_payback)
            .collect();
        if series.is_empty() {
            continue;
        }
        let chart = PaybackChart {
            title: "When an acquired customer pays back".into(),
            subtitle: format!(
                "By {whose} · cumulative discounted value of a customer acquired in {} 1 \
                 against its acquisition and onboarding cost",
                period.to_lowercase()
            ),
            currency: currency.to_string(),
            period_label: period.to_string(),
            series,
        };
        out.push((stem.to_string(), payback_chart(&chart)?));
    }
    Ok(out)
}

impl Draw for PaybackChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let mut legend: Vec<_> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let when = match s.payback {
                    Some(p) => format!("pays back in {} {p}", self.period_label.to_lowercase()),
                    None => "does not pay back within the horizon".to_string(),
                };
                item(
                    Mark::Line(series_color(i).to_rgba()),
                    format!("{}: {when}", s.name),
                )
            })
            .collect();
        legend.push(item(
            Mark::None,
            "Line: mean value per customer · shaded: 5–95% of runs · dashed: cost · dot: payback",
        ));
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;
        let periods = self.series.iter().map(|s| s.mean.len()).max().unwrap_or(1);
        let x = padded_range([1.0, periods as f64], 0.0);
        let y = padded_range(
            self.series
                .iter()
                .flat_map(|s| s.p05.iter().chain(&s.p95).copied().chain(s.cost))
                .chain([0.0]),
            0.04,
        );
        let mut chart = plot_area(&plot, theme).build_cartesian_2d(x.clone(), y.clone())?;
        let y_ticks = ticks(&chart.y_range());
        mesh!(
            chart,
            theme,
            self.period_label.as_str(),
            theme::money_axis_title("Value per acquired customer, discounted", &self.currency),
            disable_x_mesh(),
            y_labels(7),
            x_labels(12),
            y_label_formatter(&y_ticks),
            x_label_formatter(&whole_tick),
        )?;
        if y.start < 0.0 {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x.start, 0.0), (x.end, 0.0)],
                theme::AXIS.stroke_width(theme.px(1.0).max(1)),
            )))?;
        }
        let at = |t: usize| (t + 1) as f64;
        for (i, s) in self.series.iter().enumerate() {
            let upper = s.p95.iter().enumerate().map(|(t, &v)| (at(t), v));
            let lower = s.p05.iter().enumerate().rev().map(|(t, &v)| (at(t), v));
            chart.draw_series(std::iter::once(Polygon::new(
                upper.chain(lower).collect::<Vec<_>>(),
                series_color(i).mix(0.15).filled(),
            )))?;
        }
        for (i, s) in self.series.iter().enumerate() {
            let color = series_color(i);
            if let Some(cost) = s.cost {
                chart.draw_series(DashedLineSeries::new(
                    vec![(x.start, cost), (x.end, cost)],
                    theme.px(7.0),
                    theme.px(5.0),
                    color.stroke_width(theme.thin_line()),
                ))?;
            }
            chart.draw_series(LineSeries::new(
                s.mean.iter().enumerate().map(|(t, &v)| (at(t), v)),
                color.stroke_width(theme.line()),
            ))?;
        }
        for (i, s) in self.series.iter().enumerate() {
            let color = series_color(i);
            // The payback: a dotted drop to the period axis, then (below, on top of every
            // line) a dot on the curve; the words are in the legend, where they cover no line.
            if let Some(p) = s.payback {
                chart.draw_series(DashedLineSeries::new(
                    vec![
                        (f64::from(p), y.start),
                        (f64::from(p), s.mean[p as usize - 1]),
                    ],
                    theme.px(2.0),
                    theme.px(4.0),
                    color.stroke_width(theme.thin_line()),
                ))?;
            }
        }
        for (i, s) in self.series.iter().enumerate() {
            if let Some(p) = s.payback {
                chart.draw_series(std::iter::once(Circle::new(
                    (f64::from(p), s.mean[p as usize - 1]),
                    theme.px(5.0),
                    series_color(i).filled(),
                )))?;
            }
        }
        Ok(())
    }
}
