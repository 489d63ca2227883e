//! Waterfall: how the parts (components, or origins) add up to customer equity.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::WaterfallChart;
use super::layout::{Mark, draw_lines, finite, frame, item, mesh, range_from_zero, ticks};
use super::theme::{self, Theme};
use super::{ChartError, Draw, Rendered, render};

/// Draws `data` as PNG and SVG.
pub fn waterfall_chart(data: &WaterfallChart) -> Result<Rendered, ChartError> {
    render(data)
}

/// One bar: its category label, where it starts and ends, and its colour.
struct Bar {
    label: String,
    from: f64,
    to: f64,
    color: RGBColor,
    /// The number printed at the bar: signed for steps, plain for the total.
    text: String,
}

fn bars(data: &WaterfallChart) -> Vec<Bar> {
    let mut running = 0.0;
    let mut bars: Vec<Bar> = data
        .steps
        .iter()
        .map(|step| {
            let value = finite(step.value);
            let from = running;
            running += value;
            let sign = if value > 0.0 { "+" } else { "" };
            Bar {
                label: step.label.clone(),
                from,
                to: running,
                color: if value >= 0.0 {
                    theme::GAIN
                } else {
                    theme::LOSS
                },
                text: format!("{sign}{}", theme::short_number(value)),
            }
        })
        .collect();
    bars.push(Bar {
        label: data.total_label.clone(),
        from: 0.0,
        to: running,
        color: theme::TOTAL,
        text: theme::short_number(running),
    });
    bars
}

impl Draw for WaterfallChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let bars = bars(self);
        // Only the colours that appear.
        let steps = &bars[..bars.len() - 1];
        let legend: Vec<_> = [
            (theme::GAIN, "Adds value"),
            (theme::LOSS, "Costs"),
            (theme::TOTAL, self.total_label.as_str()),
        ]
        .into_iter()
        .filter(|(color, _)| *color == theme::TOTAL || steps.iter().any(|b| b.color == *color))
        .map(|(color, label)| item(Mark::Fill(color.to_rgba()), label))
        .collect();
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;
        let n = bars.len();
        let x = -0.5..(n as f64 - 0.5);
        let y = range_from_zero(bars.iter().flat_map(|b| [b.from, b.to]), 0.1);
        let mut chart = ChartBuilder::on(&plot)
            .margin_right(theme.px(16.0))
            .margin_top(theme.px(6.0))
            .x_label_area_size(theme.px(48.0))
            .y_label_area_size(theme.y_label_area())
            .build_cartesian_2d(x, y.clone())?;
        let y_ticks = ticks(&chart.y_range());
        mesh!(
            chart,
            theme,
            "",
            theme::money_axis_title("Customer equity, discounted mean", &self.currency),
            disable_x_mesh(),
            x_labels(0),
            y_labels(7),
            y_label_formatter(&y_ticks),
        )?;
        let (x0, x1) = (chart.x_range().start, chart.x_range().end);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x0, 0.0), (x1, 0.0)],
            theme::AXIS.stroke_width(theme.px(1.0).max(1)),
        )))?;
        // Bars take 64% of their slot, but no more than 120 px, so that two bars do not
        // look like walls.
        let slot = (chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0).max(1);
        let half = (0.32f64).min(f64::from(theme.ipx(60.0)) / f64::from(slot));
        chart.draw_series(bars.iter().enumerate().map(|(i, bar)| {
            let at = i as f64;
            Rectangle::new(
                [(at - half, bar.from), (at + half, bar.to)],
                bar.color.filled(),
            )
        }))?;
        // Connectors from each bar's end to the next bar's start.
        chart.draw_series(bars.windows(2).enumerate().map(|(i, pair)| {
            let level = pair[0].to;
            PathElement::new(
                vec![(i as f64 + half, level), (i as f64 + 1.0 - half, level)],
                theme::AXIS.stroke_width(theme.px(1.0).max(1)),
            )
        }))?;
        let gap = theme.ipx(5.0);
        let category = theme.tick_label();
        let value_style = theme.bold_annotation();
        let bottom = chart.backend_coord(&(0.0, y.start)).1;
        for (i, bar) in bars.iter().enumerate() {
            let at = i as f64;
            let (x_px, top_px) = chart.backend_coord(&(at, bar.from.max(bar.to)));
            let (_, low_px) = chart.backend_coord(&(at, bar.from.min(bar.to)));
            let goes_up = bar.to >= bar.from;
            if goes_up {
                draw_lines(
                    root,
                    std::slice::from_ref(&bar.text),
                    (x_px, top_px - gap),
                    &value_style,
                    Pos::new(HPos::Center, VPos::Bottom),
                )?;
            } else {
                draw_lines(
                    root,
                    std::slice::from_ref(&bar.text),
                    (x_px, low_px + gap),
                    &value_style,
                    Pos::new(HPos::Center, VPos::Top),
                )?;
            }
            draw_lines(
                root,
                &super::layout::two_lines(&bar.label),
                (x_px, bottom + theme.ipx(8.0)),
                &category,
                Pos::new(HPos::Center, VPos::Top),
            )?;
        }
        Ok(())
    }
}
