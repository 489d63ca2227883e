//! Fan chart: cumulative discounted CE by period, the median with the bands holding the
//! middle 50% and 90% of runs, one fan per plan.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{FanChart, FanPoint};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{
    Mark, draw_lines, frame, item, mesh, padded_range, plot_area, range_from_zero, ticks,
    whole_tick,
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
        let mut chart = plot_area(&plot, theme).build_cartesian_2d(x, y.clone())?;
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
        // The median at the horizon, written at the end of its line; labels of close medians
        // are pushed apart so none hides another.
        let mut labels: Vec<(i32, i32, usize, f64)> = Vec::new();
        for (i, plan) in self.plans.iter().enumerate() {
            let Some(last) = plan.points.last() else {
                continue;
            };
            let (px, py) = chart.backend_coord(&(f64::from(last.period), last.p50));
            labels.push((px, py - theme.ipx(8.0), i, last.p50));
        }
        let mut bottoms: Vec<i32> = labels.iter().map(|l| l.1).collect();
        spread_apart(&mut bottoms, theme.ipx(22.0));
        for ((px, _, i, median), bottom) in labels.into_iter().zip(bottoms) {
            draw_lines(
                root,
                &[super::theme::short_number(median)],
                (px - theme.ipx(4.0), bottom),
                &theme.bold_annotation().color(&series_color(i)),
                Pos::new(HPos::Right, VPos::Bottom),
            )?;
        }
        Ok(())
    }
}

/// Moves label positions (pixels, any order) the least amount, keeping their order, so
/// that any two are at least `gap` apart: each run of crowded labels is centred on where its
/// labels wanted to be.
fn spread_apart(positions: &mut [i32], gap: i32) {
    let mut order: Vec<usize> = (0..positions.len()).collect();
    order.sort_by_key(|&k| (positions[k], k));
    // Clusters of consecutive labels, each laid out `gap` apart around its mean wish.
    let mut clusters: Vec<(Vec<usize>, f64)> = Vec::new();
    for k in order {
        clusters.push((vec![k], f64::from(positions[k])));
        while let [.., (previous, previous_start), (_, start)] = clusters.as_slice() {
            let previous_end = previous_start + f64::from(gap) * previous.len() as f64;
            if *start >= previous_end {
                break;
            }
            let Some((last, _)) = clusters.pop() else {
                break;
            };
            let Some((merged, start)) = clusters.last_mut() else {
                break;
            };
            merged.extend(last);
            let wish: f64 =
                merged.iter().map(|&k| f64::from(positions[k])).sum::<f64>() / merged.len() as f64;
            *start = wish - f64::from(gap) * (merged.len() - 1) as f64 / 2.0;
        }
    }
    for (members, start) in clusters {
        for (n, k) in members.into_iter().enumerate() {
            positions[k] = (start + f64::from(gap) * n as f64).round() as i32;
        }
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

#[cfg(test)]
mod tests {
    use super::spread_apart;

    #[test]
    fn labels_far_apart_stay_put() {
        let mut p = [100, 10, 50];
        spread_apart(&mut p, 20);
        assert_eq!(p, [100, 10, 50]);
    }

    #[test]
    fn crowded_labels_are_spread_around_their_mean() {
        let mut p = [105, 100];
        spread_apart(&mut p, 20);
        assert_eq!(p, [113, 93]);
        let mut p = [0, 1, 2, 60];
        spread_apart(&mut p, 20);
        assert_eq!(p, [-19, 1, 21, 60]);
        assert!(p.windows(2).all(|w| w[1] - w[0] >= 20));
    }

    #[test]
    fn a_cascade_merges_with_the_cluster_above() {
        let mut p = [0, 30, 31];
        spread_apart(&mut p, 20);
        let mut sorted = p;
        sorted.sort();
        assert!(sorted.windows(2).all(|w| w[1] - w[0] >= 20), "{p:?}");
    }
}
