//! Histogram of CE across runs with the mean, the 5% and 95% quantiles and zero marked.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{DistributionChart, ce_axis_title};
use super::layout::{Mark, finite, frame, item, mesh, padded_range, plot_area, ticks};
use super::theme::{self, Theme};
use super::{ChartError, Draw, Rendered, render};

/// Draws `data` as PNG and SVG.
pub fn distribution_chart(data: &DistributionChart) -> Result<Rendered, ChartError> {
    render(data)
}

/// Equal-width bins over `range`: Rice's rule, 2·n^(1/3), between 5 and 40 bins.
fn histogram(values: &[f64], range: &std::ops::Range<f64>) -> Vec<(f64, f64, u32)> {
    let bins = ((2.0 * (values.len() as f64).cbrt()).ceil() as usize).clamp(5, 40);
    let width = (range.end - range.start) / bins as f64;
    let mut counts = vec![0u32; bins];
    for v in values {
        let k = ((v - range.start) / width).floor();
        let k = if k.is_finite() {
            k.max(0.0) as usize
        } else {
            0
        };
        counts[k.min(bins - 1)] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(k, n)| {
            let lo = range.start + k as f64 * width;
            (lo, lo + width, n)
        })
        .collect()
}

impl Draw for DistributionChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let values: Vec<f64> = self
            .values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let (mean, p05, p95) = (finite(self.mean), finite(self.p05), finite(self.p95));
        let data_range = padded_range(values.iter().copied().chain([mean, p05, p95]), 0.0);
        // Show zero when it is near the data, so "how close to losing money" is visible.
        let span = data_range.end - data_range.start;
        let near_zero = data_range.start <= 0.0 && data_range.end >= 0.0
            || data_range.start > 0.0 && data_range.start < 0.35 * span
            || data_range.end < 0.0 && -data_range.end < 0.35 * span;
        let bins_range = if near_zero {
            padded_range(values.iter().copied().chain([mean, p05, p95, 0.0]), 0.0)
        } else {
            data_range
        };
        let bins = histogram(&values, &bins_range);
        let top = bins.iter().map(|b| b.2).max().unwrap_or(0).max(1);

        let negative =
            values.iter().filter(|v| **v < 0.0).count() as f64 / (values.len().max(1)) as f64;
        let mut legend = vec![
            item(
                Mark::Line(theme::BLACK.to_rgba()),
                format!("Mean {}", theme::short_number(mean)),
            ),
            item(
                Mark::Dashed(theme::ORANGE.to_rgba()),
                format!(
                    "5% and 95% quantiles {} and {}",
                    theme::short_number(p05),
                    theme::short_number(p95)
                ),
            ),
        ];
        if near_zero {
            legend.push(item(
                Mark::Line(theme::VERMILLION.to_rgba()),
                format!("Zero (P(CE < 0) = {})", theme::percent(negative)),
            ));
        } else {
            legend.push(item(
                Mark::None,
                format!("P(CE < 0) = {}", theme::percent(negative)),
            ));
        }
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;

        let x = padded_range([bins_range.start, bins_range.end], 0.02);
        let y = 0.0..f64::from(top) * 1.08;
        let mut chart = plot_area(&plot, theme).build_cartesian_2d(x, y.clone())?;
        let x_ticks = ticks(&chart.x_range());
        mesh!(
            chart,
            theme,
            ce_axis_title(&self.currency),
            format!("Runs (of {})", theme::thousands(values.len() as f64)),
            disable_x_mesh(),
            x_labels(8),
            y_labels(6),
            x_label_formatter(&x_ticks),
            y_label_formatter(&|v: &f64| {
                if (v - v.round()).abs() < 1e-6 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            }),
        )?;
        let fill = theme::SKY_BLUE.mix(0.75);
        chart
            .draw_series(bins.iter().map(|&(lo, hi, n)| {
                Rectangle::new([(lo, 0.0), (hi, f64::from(n))], fill.filled())
            }))?;
        chart.draw_series(bins.iter().map(|&(lo, hi, n)| {
            Rectangle::new(
                [(lo, 0.0), (hi, f64::from(n))],
                theme::BACKGROUND.stroke_width(theme.px(1.0).max(1)),
            )
        }))?;
        let vline = |at: f64| vec![(at, y.start), (at, y.end)];
        if near_zero {
            chart.draw_series(std::iter::once(PathElement::new(
                vline(0.0),
                theme::VERMILLION.stroke_width(theme.line()),
            )))?;
        }
        for at in [p05, p95] {
            chart.draw_series(DashedLineSeries::new(
                vline(at),
                theme.px(7.0),
                theme.px(5.0),
                theme::ORANGE.stroke_width(theme.line()),
            ))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vline(mean),
            theme::BLACK.stroke_width(theme.line()),
        )))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_every_value_once() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let bins = histogram(&values, &(0.0..99.0));
        assert_eq!(bins.len(), 10);
        assert_eq!(bins.iter().map(|b| b.2).sum::<u32>(), 100);
        assert!(bins.last().is_some_and(|b| (b.1 - 99.0).abs() < 1e-9));
    }
}
