//! Calibration diagnostics: actual against fitted (sBG survival, BG/NBD cumulative repeat
//! purchases), with the end of the calibration period marked when the rest is a holdout.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::CalibrationChart;
use super::layout::{
    Mark, finite, frame, item, mesh, padded_range, plot_area, range_from_zero, ticks, whole_tick,
};
use super::theme::{self, Theme};
use super::{ChartError, Draw, Rendered, render};

/// Up to this many points the actual series is drawn as dots on a line; more (a weekly
/// tracking curve over a year and a half) would merge into a thick band that hides the model
/// line, so the actual series becomes a plain solid line, as in Fader, Hardie & Lee's figures.
const MAX_MARKED_POINTS: usize = 40;

/// Draws `data` as PNG and SVG.
pub fn calibration_chart(data: &CalibrationChart) -> Result<Rendered, ChartError> {
    render(data)
}

impl Draw for CalibrationChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let marked = self.points.len() <= MAX_MARKED_POINTS;
        let actual_mark = if marked {
            Mark::Point(theme::BLACK.to_rgba())
        } else {
            Mark::Line(theme::BLACK.to_rgba())
        };
        let mut legend = vec![
            item(actual_mark, "Actual"),
            item(Mark::Dashed(theme::BLUE.to_rgba()), &self.fitted_label),
        ];
        if self.calibration_end.is_some() {
            legend.push(item(
                Mark::Dashed(theme::MUTED_TEXT.to_rgba()),
                "End of calibration period",
            ));
        }
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;
        let points: Vec<(f64, f64, f64)> = self
            .points
            .iter()
            .map(|&(x, a, f)| (finite(x), finite(a), finite(f)))
            .collect();
        let end = self.calibration_end.map(finite);
        let x = padded_range(points.iter().map(|p| p.0).chain(end), 0.02);
        let y = range_from_zero(points.iter().flat_map(|p| [p.1, p.2]), 0.06);
        let mut chart = plot_area(&plot, theme).build_cartesian_2d(x, y.clone())?;
        // Periods of a survival table are whole numbers: ask for at most one tick per period so
        // that none falls between two (a five-period table would otherwise get 0.5, 1.5, …).
        let whole = points
            .iter()
            .map(|p| p.0)
            .chain(end)
            .all(|x| x == x.round());
        let x_span = chart.x_range().end - chart.x_range().start;
        let x_labels = if whole {
            (x_span.floor() as usize + 1).clamp(2, 10)
        } else {
            10
        };
        let x_ticks = ticks(&chart.x_range());
        let x_format = |value: &f64| {
            if whole {
                whole_tick(value)
            } else {
                x_ticks(value)
            }
        };
        let y_ticks = ticks(&chart.y_range());
        mesh!(
            chart,
            theme,
            self.x_label.as_str(),
            self.y_label.as_str(),
            disable_x_mesh(),
            x_labels(x_labels),
            y_labels(7),
            x_label_formatter(&x_format),
            y_label_formatter(&y_ticks),
        )?;
        if let Some(at) = end {
            chart.draw_series(DashedLineSeries::new(
                vec![(at, y.start), (at, y.end)],
                theme.px(5.0),
                theme.px(5.0),
                theme::MUTED_TEXT.stroke_width(theme.thin_line()),
            ))?;
        }
        let actual_width = if marked {
            theme.thin_line()
        } else {
            theme.line()
        };
        chart.draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            theme::BLACK.stroke_width(actual_width),
        ))?;
        if marked {
            chart.draw_series(
                points
                    .iter()
                    .map(|p| Circle::new((p.0, p.1), theme.px(4.0), theme::BLACK.filled())),
            )?;
        }
        chart.draw_series(DashedLineSeries::new(
            points.iter().map(|p| (p.0, p.2)),
            theme.px(8.0),
            theme.px(5.0),
            theme::BLUE.stroke_width(theme.line()),
        ))?;
        Ok(())
    }
}
