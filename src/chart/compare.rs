//! Plan comparison: each plan's mean CE with its 95% CI, and the paired differences with
//! theirs, as dots with error bars on a shared row per plan.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::PlanComparisonChart;
use super::layout::{
    Mark, draw_lines, finite, frame, item, mesh, padded_range, range_from_zero, row_label, ticks,
    widest,
};
use super::theme::{self, Theme};
use super::{ChartError, Draw, Rendered, render};

/// Draws `data` as PNG and SVG.
pub fn plan_comparison_chart(data: &PlanComparisonChart) -> Result<Rendered, ChartError> {
    render(data)
}

/// One row of a dot-and-whisker panel.
pub(super) struct Estimate {
    pub label: String,
    pub mean: f64,
    pub ci95: [f64; 2],
    pub color: RGBColor,
    pub text: String,
}

/// A panel of estimates with their CIs, one row each, the first at the top.
pub(super) fn dot_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    theme: &Theme,
    caption: &str,
    x_title: &str,
    rows: &[Estimate],
    levels: bool,
) -> Result<(), ChartError> {
    let n = rows.len().max(1);
    let values = rows
        .iter()
        .flat_map(|r| [finite(r.ci95[0]), finite(r.ci95[1]), finite(r.mean)]);
    // Levels start at zero (a bar-free dot plot still invites comparing lengths); differences
    // are padded around zero so that both signs show.
    let x = if levels {
        range_from_zero(values, 0.12)
    } else {
        padded_range(values.chain([0.0]), 0.12)
    };
    let label_style = theme.tick_label();
    let label_width = widest(root, rows.iter().map(|r| r.label.clone()), &label_style)?;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, theme.bold_annotation())
        .margin_right(theme.px(16.0))
        .margin_top(theme.px(4.0))
        .x_label_area_size(theme.x_label_area())
        .y_label_area_size(label_width + theme.px(14.0))
        .build_cartesian_2d(x.clone(), -0.5..(n as f64 - 0.5))?;
    let x_ticks = ticks(&chart.x_range());
    mesh!(
        chart,
        theme,
        x_title,
        "",
        disable_y_mesh(),
        y_labels(0),
        x_labels(6),
        x_label_formatter(&x_ticks),
    )?;
    if x.start < 0.0 && x.end > 0.0 {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
            theme::AXIS.stroke_width(theme.thin_line()),
        )))?;
    }
    let row_y = |i: usize| (n - 1 - i) as f64;
    let cap = 0.12;
    for (i, row) in rows.iter().enumerate() {
        let y = row_y(i);
        let (lo, hi, mean) = (finite(row.ci95[0]), finite(row.ci95[1]), finite(row.mean));
        let style = row.color.stroke_width(theme.line());
        chart.draw_series([
            PathElement::new(vec![(lo, y), (hi, y)], style),
            PathElement::new(vec![(lo, y - cap), (lo, y + cap)], style),
            PathElement::new(vec![(hi, y - cap), (hi, y + cap)], style),
        ])?;
        chart.draw_series(std::iter::once(Circle::new(
            (mean, y),
            theme.px(6.0),
            row.color.filled(),
        )))?;
        // Above the whisker's caps as well as the point, whatever the row height.
        let (px, py) = chart.backend_coord(&(mean, y));
        let cap_top = chart.backend_coord(&(mean, y + cap)).1;
        let above = (py - theme.ipx(6.0)).min(cap_top);
        draw_lines(
            root,
            std::slice::from_ref(&row.text),
            (px, above - theme.ipx(4.0)),
            &theme.bold_annotation(),
            Pos::new(HPos::Center, VPos::Bottom),
        )?;
        let (left, ly) = chart.backend_coord(&(x.start, y));
        row_label(root, theme, &row.label, (left, ly), &label_style)?;
    }
    Ok(())
}

impl Draw for PlanComparisonChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let legend = [
            item(Mark::Point(theme::BLUE.to_rgba()), "Mean with 95% CI"),
            item(Mark::Point(theme::GAIN.to_rgba()), "Better (CI above 0)"),
            item(Mark::Point(theme::LOSS.to_rgba()), "Worse (CI below 0)"),
            item(
                Mark::Point(theme::MUTED_TEXT.to_rgba()),
                "No clear difference",
            ),
        ];
        let legend = if self.differences.is_empty() {
            &legend[..1]
        } else {
            &legend[..]
        };
        let plot = frame(root, theme, &self.title, &self.subtitle, legend)?;
        let plans: Vec<Estimate> = self
            .plans
            .iter()
            .map(|p| Estimate {
                label: p.name.clone(),
                mean: p.mean,
                ci95: p.ci95,
                color: theme::BLUE,
                text: theme::short_number(p.mean),
            })
            .collect();
        let differences: Vec<Estimate> = self
            .differences
            .iter()
            .map(|d| Estimate {
                label: format!("{} vs {}", d.a, d.b),
                mean: d.mean,
                ci95: d.ci95,
                color: if d.ci95[0] > 0.0 {
                    theme::GAIN
                } else if d.ci95[1] < 0.0 {
                    theme::LOSS
                } else {
                    theme::MUTED_TEXT
                },
                text: format!(
                    "{}{}",
                    if d.mean > 0.0 { "+" } else { "" },
                    theme::short_number(d.mean)
                ),
            })
            .collect();
        let ce_title = theme::money_axis_title("Mean customer equity", &self.currency);
        if differences.is_empty() {
            return dot_panel(root, &plot, theme, "Each plan", &ce_title, &plans, true);
        }
        let (width, _) = plot.dim_in_pixel();
        let (left, right) = plot.split_horizontally(width / 2);
        dot_panel(root, &left, theme, "Each plan", &ce_title, &plans, true)?;
        dot_panel(
            root,
            &right,
            theme,
            "Paired difference (same random numbers)",
            &theme::money_axis_title("Difference in mean CE", &self.currency),
            &differences,
            false,
        )
    }
}
