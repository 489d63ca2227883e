//! Optimization: current against optimized spend per lever, and each lever's response curve
//! with the current and optimal spend marked.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{AllocationChart, ResponseCurvesChart};
use super::layout::{
    Mark, draw_lines, finite, frame, item, mesh, padded_range, range_from_zero, ticks, two_lines,
};
use super::theme::{self, Theme};
use super::{ChartError, Draw, Rendered, render};

/// Draws `data` as PNG and SVG.
pub fn allocation_chart(data: &AllocationChart) -> Result<Rendered, ChartError> {
    render(data)
}

/// Draws `data` as PNG and SVG.
pub fn response_curves_chart(data: &ResponseCurvesChart) -> Result<Rendered, ChartError> {
    render(data)
}

const CURRENT: RGBColor = theme::ORANGE;
const OPTIMIZED: RGBColor = theme::BLUE;

impl Draw for AllocationChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let legend = [
            item(Mark::Fill(CURRENT.to_rgba()), "Current plan"),
            item(Mark::Fill(OPTIMIZED.to_rgba()), "Optimized"),
        ];
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;
        let n = self.levers.len().max(1);
        let y = range_from_zero(
            self.levers
                .iter()
                .flat_map(|l| [finite(l.current), finite(l.optimized)]),
            0.1,
        );
        let mut chart = ChartBuilder::on(&plot)
            .margin_right(theme.px(16.0))
            .margin_top(theme.px(6.0))
            .x_label_area_size(theme.px(48.0))
            .y_label_area_size(theme.y_label_area())
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), y.clone())?;
        let spend = if self.spend_unit.is_empty() {
            "Spend".to_string()
        } else {
            format!("Spend {}", self.spend_unit)
        };
        let y_ticks = ticks(&chart.y_range());
        mesh!(
            chart,
            theme,
            "",
            theme::money_axis_title(&spend, &self.currency),
            disable_x_mesh(),
            x_labels(0),
            y_labels(7),
            y_label_formatter(&y_ticks),
        )?;
        let width = 0.36;
        let value_style = theme.annotation();
        let bottom = chart.backend_coord(&(0.0, y.start)).1;
        for (i, lever) in self.levers.iter().enumerate() {
            let at = i as f64;
            for (offset, value, color) in [
                (-width, finite(lever.current), CURRENT),
                (0.0, finite(lever.optimized), OPTIMIZED),
            ] {
                let left = at + offset + 0.02;
                let right = at + offset + width - 0.02;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(left, 0.0), (right, value)],
                    color.filled(),
                )))?;
                let (px, py) = chart.backend_coord(&((left + right) / 2.0, value));
                let (anchor, dy) = if value >= 0.0 {
                    (VPos::Bottom, -theme.ipx(4.0))
                } else {
                    (VPos::Top, theme.ipx(4.0))
                };
                draw_lines(
                    root,
                    &[theme::short_number(value)],
                    (px, py + dy),
                    &value_style,
                    Pos::new(HPos::Center, anchor),
                )?;
            }
            let (px, _) = chart.backend_coord(&(at, 0.0));
            draw_lines(
                root,
                &two_lines(&lever.lever),
                (px, bottom + theme.ipx(8.0)),
                &theme.tick_label(),
                Pos::new(HPos::Center, VPos::Top),
            )?;
        }
        Ok(())
    }
}

/// Linear interpolation of the curve at `x` (the nearest end outside it).
fn value_at(points: &[(f64, f64)], x: f64) -> f64 {
    let Some(&(first_x, first_y)) = points.first() else {
        return 0.0;
    };
    if x <= first_x {
        return first_y;
    }
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if x <= x1 {
            let share = if x1 > x0 { (x - x0) / (x1 - x0) } else { 1.0 };
            return y0 + share * (y1 - y0);
        }
    }
    points.last().map_or(0.0, |p| p.1)
}

impl Draw for ResponseCurvesChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let legend = [
            item(Mark::Line(theme::BLACK.to_rgba()), &self.objective_label),
            item(Mark::Fill(theme::BLACK.mix(0.12)), "95% interval"),
            item(Mark::Dashed(CURRENT.to_rgba()), "Current spend"),
            item(Mark::Dashed(OPTIMIZED.to_rgba()), "Optimal spend"),
        ];
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;
        let n = self.curves.len().max(1);
        let columns = n.min(3);
        let rows = n.div_ceil(columns);
        let panels = plot.split_evenly((rows, columns));
        let x_title = theme::money_axis_title("Spend", &self.currency);
        let y_title = theme::money_axis_title(&self.objective_label, &self.currency);
        for (k, (curve, panel)) in self.curves.iter().zip(panels.iter()).enumerate() {
            let points: Vec<(f64, f64)> = curve
                .points
                .iter()
                .map(|&(x, y)| (finite(x), finite(y)))
                .collect();
            let current = finite(curve.current_spend);
            let optimal = finite(curve.optimal_spend);
            let x = range_from_zero(points.iter().map(|p| p.0).chain([current, optimal]), 0.04);
            // The band of 95% intervals, when given one per point.
            let band: Vec<(f64, f64, f64)> = if curve.ci95.len() == points.len() {
                points
                    .iter()
                    .zip(&curve.ci95)
                    .map(|(p, ci)| (p.0, finite(ci[0]), finite(ci[1])))
                    .collect()
            } else {
                Vec::new()
            };
            let y = padded_range(
                points
                    .iter()
                    .map(|p| p.1)
                    .chain(band.iter().flat_map(|b| [b.1, b.2])),
                0.08,
            );
            let small = rows > 1;
            let mut chart = ChartBuilder::on(panel)
                .caption(&curve.lever, theme.bold_annotation())
                .margin(theme.px(6.0))
                .x_label_area_size(theme.px(if small { 40.0 } else { 48.0 }))
                .y_label_area_size(theme.px(if k % columns == 0 { 72.0 } else { 52.0 }))
                .build_cartesian_2d(x, y.clone())?;
            let y_desc = if k % columns == 0 {
                y_title.as_str()
            } else {
                ""
            };
            let x_ticks = ticks(&chart.x_range());
            let y_ticks = ticks(&chart.y_range());
            mesh!(
                chart,
                theme,
                x_title.as_str(),
                y_desc,
                disable_x_mesh(),
                x_labels(4),
                y_labels(5),
                x_label_formatter(&x_ticks),
                y_label_formatter(&y_ticks),
            )?;
            if !band.is_empty() {
                let outline: Vec<(f64, f64)> = band
                    .iter()
                    .map(|b| (b.0, b.2))
                    .chain(band.iter().rev().map(|b| (b.0, b.1)))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(
                    outline,
                    theme::BLACK.mix(0.12).filled(),
                )))?;
            }
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                theme::BLACK.stroke_width(theme.line()),
            ))?;
            for (at, color) in [(current, CURRENT), (optimal, OPTIMIZED)] {
                chart.draw_series(DashedLineSeries::new(
                    vec![(at, y.start), (at, y.end)],
                    theme.px(6.0),
                    theme.px(4.0),
                    color.stroke_width(theme.line()),
                ))?;
                chart.draw_series(std::iter::once(Circle::new(
                    (at, value_at(&points, at)),
                    theme.px(5.0),
                    color.filled(),
                )))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_between_points_and_holds_the_ends() {
        let points = [(0.0, 0.0), (10.0, 100.0), (20.0, 150.0)];
        assert_eq!(value_at(&points, 5.0), 50.0);
        assert_eq!(value_at(&points, 15.0), 125.0);
        assert_eq!(value_at(&points, -1.0), 0.0);
        assert_eq!(value_at(&points, 30.0), 150.0);
        assert_eq!(value_at(&[], 3.0), 0.0);
    }
}
