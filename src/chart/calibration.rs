//! Calibration diagnostics: actual against fitted (sBG survival, BG/NBD cumulative repeat
//! purchases), with the end of the calibration period marked when the rest is a holdout.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::CalibrationChart;
use super::layout::{Mark, finite, frame, item, mesh, padded_range, range_from_zero, ticks};
use super::theme::{self, Theme};
use super::{ChartError, Draw, Rendered, render};

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
        let mut legend = vec![
            item(Mark::Point(theme::BLACK.to_rgba()), "Actual"),
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
        let mut chart = ChartBuilder::on(&plot)
            .margin_right(theme.px(16.0))
            .margin_top(theme.px(6.0))
            .x_label_area_size(theme.x_label_area())
            .y_label_area_size(theme.y_label_area())
            .build_cartesian_2d(x, y.clone())?;
        let x_ticks = ticks(&chart.x_range());
        let y_ticks = ticks(&chart.y_range());
        mesh!(
            chart,
            theme,
            self.x_label.as_str(),
            self.y_label.as_str(),
            disable_x_mesh(),
            x_labels(10),
            y_labels(7),
            x_label_formatter(&x_ticks),
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
        chart.draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            theme::BLACK.stroke_width(theme.thin_line()),
        ))?;
        chart.draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.0, p.1), theme.px(4.0), theme::BLACK.filled())),
        )?;
        chart.draw_series(DashedLineSeries::new(
            points.iter().map(|p| (p.0, p.2)),
            theme.px(8.0),
            theme.px(5.0),
            theme::BLUE.stroke_width(theme.line()),
        ))?;
        Ok(())
    }
}
