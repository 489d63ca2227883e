//! Charts of today's base (SPEC §13): P(alive) by frequency × recency — the matrix lifetimes'
//! `plot_probability_alive_matrix` draws — and the distribution of customer value with its
//! Lorenz curve (how concentrated the value is).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{Mark, frame, item, mesh, padded_range, plot_area};
use super::theme::{self, Theme};
use super::{ChartError, Draw, Rendered, render};

/// P(alive | x, t_x, T) over a grid of frequency x = 0..=`max_frequency` and recency t_x from 0
/// to T, at one T (lifetimes' convention: T is the longest observation).
#[derive(Debug, Clone, PartialEq)]
pub struct PAliveMatrix {
    pub title: String,
    pub subtitle: String,
    /// Name of the time unit, plural ("weeks").
    pub unit: String,
    pub age: f64,
    pub max_frequency: u32,
    /// Recency at the centre of each column.
    pub recencies: Vec<f64>,
    /// `values[x][j]` = P(alive) at frequency x and recency `recencies[j]`.
    pub values: Vec<Vec<f64>>,
}

impl PAliveMatrix {
    /// The matrix at BG/NBD parameters `[r, α, a, b]`, T = `age`, with `columns` recency bins.
    pub fn from_parameters(
        params: [f64; 4],
        max_frequency: u32,
        age: f64,
        columns: usize,
        unit: &str,
    ) -> Self {
        let columns = columns.max(2);
        let width = age / columns as f64;
        let recencies: Vec<f64> = (0..columns).map(|j| (j as f64 + 0.5) * width).collect();
        let values = (0..=max_frequency)
            .map(|x| {
                recencies
                    .iter()
                    .map(|&t| crate::fit::scores::p_alive(params, x, t, age))
                    .collect()
            })
            .collect();
        PAliveMatrix {
            title: "Probability a customer is still active, by frequency and recency".into(),
            subtitle: String::new(),
            unit: unit.to_string(),
            age,
            max_frequency,
            recencies,
            values,
        }
    }
}

/// The value of each customer (as groups of equal value) with its Lorenz curve.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueDistribution {
    pub title: String,
    pub subtitle: String,
    pub currency: String,
    /// (value per customer, customers).
    pub groups: Vec<(f64, u64)>,
    /// (share of customers, share of value), least valuable first.
    pub lorenz: Vec<(f64, f64)>,
    pub top_decile_share: f64,
}

pub fn p_alive_matrix_chart(data: &PAliveMatrix) -> Result<Rendered, ChartError> {
    render(data)
}

pub fn value_distribution_chart(data: &ValueDistribution) -> Result<Rendered, ChartError> {
    render(data)
}

/// A sequential colour from white (0) to Okabe–Ito blue (1).
fn shade(p: f64) -> RGBColor {
    let p = if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |from: u8, to: u8| (f64::from(from) + p * (f64::from(to) - f64::from(from))) as u8;
    RGBColor(mix(247, 0), mix(251, 90), mix(255, 160))
}

impl Draw for PAliveMatrix {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let legend = vec![
            item(Mark::Fill(shade(0.0).to_rgba()), "0%"),
            item(Mark::Fill(shade(0.25).to_rgba()), "25%"),
            item(Mark::Fill(shade(0.5).to_rgba()), "50%"),
            item(Mark::Fill(shade(0.75).to_rgba()), "75%"),
            item(Mark::Fill(shade(1.0).to_rgba()), "100% still active"),
        ];
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;
        let rows = f64::from(self.max_frequency) + 1.0;
        let mut chart = plot_area(&plot, theme)
            .build_cartesian_2d(0.0..self.age.max(f64::MIN_POSITIVE), -0.5..rows - 0.5)?;
        mesh!(
            chart,
            theme,
            format!(
                "Recency: {} from the first to the last purchase (T = {:.0})",
                self.unit, self.age
            ),
            "Frequency: repeat purchases",
            disable_mesh(),
            x_labels(8),
            y_labels(self.max_frequency.min(12) as usize + 1),
            x_label_formatter(&|v: &f64| format!("{v:.0}")),
            y_label_formatter(&|v: &f64| {
                if (v - v.round()).abs() < 1e-6 && *v >= 0.0 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            }),
        )?;
        let width = self.age / self.recencies.len().max(1) as f64;
        for (x, row) in self.values.iter().enumerate() {
            let y = x as f64;
            chart.draw_series(row.iter().zip(&self.recencies).map(|(&p, &t)| {
                Rectangle::new(
                    [(t - width / 2.0, y - 0.5), (t + width / 2.0, y + 0.5)],
                    shade(p).filled(),
                )
            }))?;
        }
        Ok(())
    }
}

impl Draw for ValueDistribution {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let legend = vec![
            item(
                Mark::Fill(theme::SKY_BLUE.mix(0.75)),
                "Customers by value (left)",
            ),
            item(
                Mark::Line(theme::BLUE.to_rgba()),
                format!(
                    "Lorenz curve (right): the top 10% hold {}",
                    theme::percent(self.top_decile_share)
                ),
            ),
            item(Mark::Dashed(theme::AXIS.to_rgba()), "Equal value"),
        ];
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;
        let (left, right) = plot.split_horizontally(plot.dim_in_pixel().0 / 2);
        // Histogram of value per customer, weighted by customers.
        let values: Vec<f64> = self
            .groups
            .iter()
            .map(|g| g.0)
            .filter(|v| v.is_finite())
            .collect();
        let range = padded_range(values.iter().copied().chain([0.0]), 0.0);
        let bins = 30usize;
        let bin_width = (range.end - range.start) / bins as f64;
        // The axis runs one bin past the last, so the last bar (the most valuable customers)
        // stands whole inside the plot instead of against its right edge, where it was cut.
        let axis = range.start..(range.end + bin_width.max(f64::MIN_POSITIVE));
        let mut counts = vec![0u64; bins];
        for &(v, n) in &self.groups {
            if !v.is_finite() || bin_width <= 0.0 {
                continue;
            }
            let k = (((v - range.start) / bin_width).floor().max(0.0) as usize).min(bins - 1);
            counts[k] += n;
        }
        let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
        let mut histogram = plot_area(&left, theme).build_cartesian_2d(axis, 0.0..top * 1.08)?;
        mesh!(
            histogram,
            theme,
            theme::money_axis_title("Value per customer", &self.currency),
            "Customers",
            disable_x_mesh(),
            x_labels(5),
            y_labels(6),
            x_label_formatter(&|v: &f64| theme::short_number(*v)),
            y_label_formatter(&|v: &f64| theme::short_number(*v)),
        )?;
        let fill = theme::SKY_BLUE.mix(0.75);
        histogram.draw_series(counts.iter().enumerate().map(|(k, &n)| {
            let lo = range.start + k as f64 * bin_width;
            Rectangle::new([(lo, 0.0), (lo + bin_width, n as f64)], fill.filled())
        }))?;
        // Lorenz curve.
        let mut lorenz = plot_area(&right, theme).build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
        mesh!(
            lorenz,
            theme,
            "Share of customers, least valuable first",
            "Share of value",
            x_labels(6),
            y_labels(6),
            x_label_formatter(&|v: &f64| theme::percent(*v)),
            y_label_formatter(&|v: &f64| theme::percent(*v)),
        )?;
        lorenz.draw_series(DashedLineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            theme.px(7.0),
            theme.px(5.0),
            theme::AXIS.stroke_width(theme.thin_line()),
        ))?;
        lorenz.draw_series(std::iter::once(PathElement::new(
            self.lorenz.clone(),
            theme::BLUE.stroke_width(theme.line()),
        )))?;
        Ok(())
    }
}

/// The charts of one history-aware cohort's base, as (file stem, chart): `p_alive_<cohort>` and
/// `base_value_<cohort>`.
pub fn base_charts(
    base: &crate::fit::base_value::CohortBaseValue,
    currency: &str,
    unit: &str,
) -> Result<Vec<(String, Rendered)>, ChartError> {
    let mut matrix = PAliveMatrix::from_parameters(
        base.params,
        base.max_frequency.min(MATRIX_MAX_FREQUENCY),
        base.max_age,
        60,
        unit,
    );
    matrix.subtitle = format!(
        "Cohort `{}` · customers observed for T = {:.0} {unit}, lighter = more likely gone",
        base.cohort, base.max_age
    );
    let value = ValueDistribution {
        title: "Value of today's customers and how concentrated it is".into(),
        subtitle: format!(
            "Cohort `{}` · {} customers · discounted expected purchase margin over the horizon",
            base.cohort,
            theme::thousands(base.customers as f64)
        ),
        currency: currency.to_string(),
        groups: base.groups.iter().map(|g| (g.0, g.2)).collect(),
        lorenz: crate::fit::base_value::lorenz_curve(&base.groups),
        top_decile_share: base.top_decile_share,
    };
    Ok(vec![
        (
            format!("p_alive_{}", base.cohort),
            p_alive_matrix_chart(&matrix)?,
        ),
        (
            format!("base_value_{}", base.cohort),
            value_distribution_chart(&value)?,
        ),
    ])
}

/// The matrix shows frequencies up to this (lifetimes shows every one; beyond 40 rows the
/// cells are too thin to read).
pub const MATRIX_MAX_FREQUENCY: u32 = 40;
