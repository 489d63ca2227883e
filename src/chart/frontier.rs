//! Budget frontier: the best objective at each budget, with its 95% CI band.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{FrontierChart, ce_axis_title};
use super::layout::{Mark, finite, frame, item, mesh, padded_range, plot_area, ticks};
use super::theme::{self, Theme};
use super::{ChartError, Draw, Rendered, render};

/// Draws `data` as PNG and SVG.
pub fn frontier_chart(data: &FrontierChart) -> Result<Rendered, ChartError> {
    render(data)
}

impl Draw for FrontierChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let mut legend = vec![
            item(
                Mark::Line(theme::BLUE.to_rgba()),
                "Mean CE of the best split",
            ),
            item(Mark::Fill(theme::BLUE.mix(0.2)), "95% confidence interval"),
        ];
        if self.current_budget.is_some() {
            legend.push(item(
                Mark::Dashed(theme::ORANGE.to_rgba()),
                "Current plan's spend",
            ));
        }
        if self.current_plan.is_some() {
            legend.push(item(
                Mark::Point(theme::ORANGE.to_rgba()),
                "Current plan (mean, 95% CI)",
            ));
        }
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;
        let mut points: Vec<(f64, f64, f64, f64)> = self
            .points
            .iter()
            .map(|p| {
                (
                    finite(p.budget),
                    finite(p.mean),
                    finite(p.ci95[0]),
                    finite(p.ci95[1]),
                )
            })
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let current = self.current_budget.map(finite);
        let today = self.current_plan.map(|p| {
            (
                finite(p.budget),
                finite(p.mean),
                finite(p.ci95[0]),
                finite(p.ci95[1]),
            )
        });
        let x = padded_range(
            points.iter().chain(&today).map(|p| p.0).chain(current),
            0.03,
        );
        let y = padded_range(
            points.iter().chain(&today).flat_map(|p| [p.1, p.2, p.3]),
            0.08,
        );
        let mut chart = plot_area(&plot, theme).build_cartesian_2d(x, y.clone())?;
        let budget = if self.budget_unit.is_empty() {
            "Budget".to_string()
        } else {
            format!("Budget {}", self.budget_unit)
        };
        let x_ticks = ticks(&chart.x_range());
        let y_ticks = ticks(&chart.y_range());
        mesh!(
            chart,
            theme,
            theme::money_axis_title(&budget, &self.currency),
            ce_axis_title(&self.currency),
            disable_x_mesh(),
            x_labels(8),
            y_labels(7),
            x_label_formatter(&x_ticks),
            y_label_formatter(&y_ticks),
        )?;
        let upper = points.iter().map(|p| (p.0, p.3));
        let lower = points.iter().rev().map(|p| (p.0, p.2));
        chart.draw_series(std::iter::once(Polygon::new(
            upper.chain(lower).collect::<Vec<_>>(),
            theme::BLUE.mix(0.2).filled(),
        )))?;
        chart.draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            theme::BLUE.stroke_width(theme.line()),
        ))?;
        chart.draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.0, p.1), theme.px(4.0), theme::BLUE.filled())),
        )?;
        if let Some(at) = current {
            chart.draw_series(DashedLineSeries::new(
                vec![(at, y.start), (at, y.end)],
                theme.px(7.0),
                theme.px(5.0),
                theme::ORANGE.stroke_width(theme.line()),
            ))?;
        }
        if let Some((at, mean, lo, hi)) = today {
            let style = theme::ORANGE.stroke_width(theme.line());
            let span = chart.x_range();
            let cap = (span.end - span.start) * 0.006;
            chart.draw_series([
                PathElement::new(vec![(at, lo), (at, hi)], style),
                PathElement::new(vec![(at - cap, lo), (at + cap, lo)], style),
                PathElement::new(vec![(at - cap, hi), (at + cap, hi)], style),
            ])?;
            chart.draw_series(std::iter::once(Circle::new(
                (at, mean),
                theme.px(7.0),
                theme::ORANGE.filled(),
            )))?;
        }
        Ok(())
    }
}
