//! Fan chart: cumulative discounted CE by period, the median with the bands holding the
//! middle 50% and 90% of runs, one fan per plan.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{FanChart, FanPoint};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{
    Mark, draw_lines, frame, item, mesh, padded_range, range_from_zero, ticks, whole_tick,
};
use super::theme::{self, Theme, series_color};
use super::{ChartError, Draw, Rendered, render};

/// Draws `data` as PNG and SVG.
pub fn fan_chart(data: &FanChart) -> Result<Rendered, ChartError> {
    render(data)
}

impl Draw for FanChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let legend = if self.plans.len() == 1 {
            let color = series_color(0);
            vec![
                item(Mark::Line(color.to_rgba()), "Median"),
                item(Mark::Fill(color.mix(0.35)), "Middle 50% of runs"),
                item(Mark::Fill(color.mix(0.15)), "Middle 90% of runs"),
            ]
        } else {
            let mut items: Vec<_> = self
                .plans
                .iter()
                .enumerate()
                .map(|(i, plan)| item(Mark::Line(series_color(i).to_rgba()), &plan.name))
                .collect();
            items.push(item(
                Mark::None,
                "Line: median · shaded: middle 50% of runs · dashed: 5% and 95%",
            ));
            items
        };
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;

        let all = || self.plans.iter().flat_map(|p| p.points.iter());
        let x = padded_range(all().map(|p| f64::from(p.period)), 0.0);
        let y = range_from_zero(all().flat_map(|p| [p.p05, p.p95]), 0.04);
        let mut chart = ChartBuilder::on(&plot)
            .margin_right(theme.px(16.0))
            .margin_top(theme.px(6.0))
            .x_label_area_size(theme.x_label_area())
            .y_label_area_size(theme.y_label_area())
            .build_cartesian_2d(x, y.clone())?;
        let y_ticks = ticks(&chart.y_range());
        mesh!(
            chart,
            theme,
            self.period_label.as_str(),
            theme::money_axis_title("Cumulative customer equity, discounted", &self.currency),
            disable_x_mesh(),
            y_labels(7),
            x_labels(12),
            y_label_formatter(&y_ticks),
            x_label_formatter(&whole_tick),
        )?;
        if y.start < 0.0 {
            let (x0, x1) = (chart.x_range().start, chart.x_range().end);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x0, 0.0), (x1, 0.0)],
                theme::AXIS.stroke_width(theme.px(1.0).max(1)),
            )))?;
        }
        // Bands first, medians on top, so no band hides a line.
        // With several plans, filled 90% bands would hide each other: the middle 50% is
        // shaded and the 5% and 95% quantiles are dashed lines.
        let several = self.plans.len() > 1;
        for (i, plan) in self.plans.iter().enumerate() {
            let color = series_color(i);
            if several {
                chart.draw_series(std::iter::once(band(
                    &plan.points,
                    |p| (p.p25, p.p75),
                    color.mix(0.22),
                )))?;
                for quantile in [|p: &FanPoint| p.p05, |p: &FanPoint| p.p95] {
                    chart.draw_series(DashedLineSeries::new(
                        plan.points
                            .iter()
                            .map(|p| (f64::from(p.period), quantile(p))),
                        theme.px(6.0),
                        theme.px(4.0),
                        color.stroke_width(theme.thin_line()),
                    ))?;
                }
            } else {
                chart.draw_series([
                    band(&plan.points, |p| (p.p05, p.p95), color.mix(0.15)),
                    band(&plan.points, |p| (p.p25, p.p75), color.mix(0.35)),
                ])?;
            }
        }
        for (i, plan) in self.plans.iter().enumerate() {
            chart.draw_series(LineSeries::new(
                plan.points.iter().map(|p| (f64::from(p.period), p.p50)),
                series_color(i).stroke_width(theme.line()),
            ))?;
        }
        // The median at the horizon, written at the end of its line.
        for (i, plan) in self.plans.iter().enumerate() {
            let Some(last) = plan.points.last() else {
                continue;
            };
            let (px, py) = chart.backend_coord(&(f64::from(last.period), last.p50));
            draw_lines(
                root,
                &[super::theme::short_number(last.p50)],
                (px - theme.ipx(4.0), py - theme.ipx(8.0)),
                &theme.bold_annotation().color(&series_color(i)),
                Pos::new(HPos::Right, VPos::Bottom),
            )?;
        }
        Ok(())
    }
}

/// The polygon between the lower and upper quantile over the periods.
fn band(
    points: &[FanPoint],
    bounds: impl Fn(&FanPoint) -> (f64, f64),
    color: RGBAColor,
) -> Polygon<(f64, f64)> {
    let upper = points.iter().map(|p| (f64::from(p.period), bounds(p).1));
    let lower = points
        .iter()
        .rev()
        .map(|p| (f64::from(p.period), bounds(p).0));
    Polygon::new(upper.chain(lower).collect::<Vec<_>>(), color.filled())
}
