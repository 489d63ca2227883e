//! Active customers by cohort over time, stacked: the pyramid's evolution.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::CohortActivityChart;
use super::layout::{Mark, finite, frame, item, mesh, plot_area, ticks, whole_tick};
use super::theme::{self, Theme, series_color};
use super::{ChartError, Draw, Rendered, render};

/// Draws `data` as PNG and SVG.
pub fn cohort_activity_chart(data: &CohortActivityChart) -> Result<Rendered, ChartError> {
    render(data)
}

impl Draw for CohortActivityChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let legend: Vec<_> = self
            .cohorts
            .iter()
            .enumerate()
            .map(|(i, (name, _))| item(Mark::Fill(series_color(i).mix(0.85)), name))
            .collect();
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;

        let periods = self.cohorts.iter().map(|c| c.1.len()).max().unwrap_or(0);
        // Running totals from the bottom of the stack: tops[i][t].
        let mut tops: Vec<Vec<f64>> = Vec::with_capacity(self.cohorts.len());
        for (i, (_, active)) in self.cohorts.iter().enumerate() {
            let below = if i == 0 { None } else { tops.get(i - 1) };
            tops.push(
                (0..periods)
                    .map(|t| {
                        let own = finite(active.get(t).copied().unwrap_or(0.0)).max(0.0);
                        own + below.map_or(0.0, |b| b[t])
                    })
                    .collect(),
            );
        }
        let highest = tops
            .last()
            .map(|top| top.iter().copied().fold(0.0, f64::max))
            .unwrap_or(0.0);
        // Period t covers [t − ½, t + ½] when there is a single period, so it still shows.
        let xs: Vec<f64> = if periods == 1 {
            vec![0.5, 1.5]
        } else {
            (1..=periods).map(|t| t as f64).collect()
        };
        let value_at = |top: &Vec<f64>, k: usize| top[k.min(top.len().saturating_sub(1))];
        let x = match (xs.first(), xs.last()) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0.0..1.0,
        };
        let y = 0.0..if highest > 0.0 { highest * 1.06 } else { 1.0 };
        let mut chart = plot_area(&plot, theme).build_cartesian_2d(x, y)?;
        let y_ticks = ticks(&chart.y_range());
        mesh!(
            chart,
            theme,
            self.period_label.as_str(),
            "Active customers",
            disable_x_mesh(),
            x_labels(12),
            y_labels(7),
            x_label_formatter(&whole_tick),
            y_label_formatter(&y_ticks),
        )?;
        if periods == 0 {
            return Ok(());
        }
        for (i, top) in tops.iter().enumerate() {
            let below = if i == 0 { None } else { tops.get(i - 1) };
            let upper = xs.iter().enumerate().map(|(k, &x)| (x, value_at(top, k)));
            let lower = xs
                .iter()
                .enumerate()
                .rev()
                .map(|(k, &x)| (x, below.map_or(0.0, |b| value_at(b, k))));
            let color = series_color(i);
            chart.draw_series(std::iter::once(Polygon::new(
                upper.clone().chain(lower).collect::<Vec<_>>(),
                color.mix(0.85).filled(),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                upper.collect::<Vec<_>>(),
                theme::BACKGROUND.stroke_width(theme.px(1.0).max(1)),
            )))?;
        }
        Ok(())
    }
}
