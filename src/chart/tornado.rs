//! Tornado chart: the effect on mean CE of moving each parameter one step down and one step
//! up, largest effect on top.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{SensitivityEffect, TornadoChart};
use super::layout::{
    Mark, draw_lines, finite, frame, item, mesh, padded_range, row_label, ticks, widest,
};
use super::theme::{self, Theme};
use super::{ChartError, Draw, Rendered, render};

/// Draws `data` as PNG and SVG.
pub fn tornado_chart(data: &TornadoChart) -> Result<Rendered, ChartError> {
    render(data)
}

const MINUS: RGBColor = theme::SKY_BLUE;
const PLUS: RGBColor = theme::BLUE;

/// The effects, largest absolute effect first.
pub(super) fn sorted(effects: &[SensitivityEffect]) -> Vec<&SensitivityEffect> {
    let size = |e: &SensitivityEffect| finite(e.minus).abs().max(finite(e.plus).abs());
    let mut sorted: Vec<&SensitivityEffect> = effects.iter().collect();
    sorted.sort_by(|a, b| size(b).total_cmp(&size(a)));
    sorted
}

use crate::format::signed_short as signed;

impl Draw for TornadoChart {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError> {
        let legend = [
            item(
                Mark::Fill(MINUS.to_rgba()),
                format!("Quantity named {} lower", self.step_label),
            ),
            item(
                Mark::Fill(PLUS.to_rgba()),
                format!("Quantity named {} higher", self.step_label),
            ),
        ];
        let plot = frame(root, theme, &self.title, &self.subtitle, &legend)?;
        let rows = sorted(&self.effects);
        let n = rows.len().max(1);
        let x = padded_range(
            rows.iter()
                .flat_map(|e| [finite(e.minus), finite(e.plus)])
                .chain([0.0]),
            0.14,
        );
        let label_style = theme.tick_label();
        let label_width = widest(root, rows.iter().map(|e| e.parameter.clone()), &label_style)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin_right(theme.px(16.0))
            .margin_top(theme.px(6.0))
            .x_label_area_size(theme.x_label_area())
            .y_label_area_size(label_width + theme.px(16.0))
            .build_cartesian_2d(x.clone(), -0.5..(n as f64 - 0.5))?;
        let x_ticks = ticks(&chart.x_range());
        mesh!(
            chart,
            theme,
            format!(
                "{} vs base {}",
                theme::money_axis_title("Change in mean customer equity", &self.currency),
                theme::short_number(finite(self.base_mean))
            ),
            "",
            disable_y_mesh(),
            y_labels(0),
            x_labels(7),
            x_label_formatter(&x_ticks),
        )?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
            theme::AXIS.stroke_width(theme.thin_line()),
        )))?;
        let half = 0.34;
        let value_style = theme.annotation();
        for (i, effect) in rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            for (value, color) in [(finite(effect.minus), MINUS), (finite(effect.plus), PLUS)] {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - half), (value, y + half)],
                    color.filled(),
                )))?;
            }
            // Each bar's number sits beyond its end; when both steps push the same way, the
            // shorter bar's number goes inside the longer bar's outline.
            for (value, other) in [
                (finite(effect.minus), finite(effect.plus)),
                (finite(effect.plus), finite(effect.minus)),
            ] {
                let (px, py) = chart.backend_coord(&(value, y));
                let same_side_longer = value * other > 0.0 && other.abs() > value.abs();
                let right = (value >= 0.0) != same_side_longer;
                let (anchor, dx) = if right {
                    (HPos::Left, theme.ipx(5.0))
                } else {
                    (HPos::Right, -theme.ipx(5.0))
                };
                if value != 0.0 {
                    draw_lines(
                        root,
                        &[signed(value)],
                        (px + dx, py),
                        &value_style,
                        Pos::new(anchor, VPos::Center),
                    )?;
                }
            }
            let (left, ly) = chart.backend_coord(&(x.start, y));
            row_label(root, theme, &effect.parameter, (left, ly), &label_style)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_effect_first() {
        let effect = |name: &str, minus, plus| SensitivityEffect {
            parameter: name.to_string(),
            minus,
            plus,
        };
        let effects = [
            effect("small", -1.0, 1.0),
            effect("large", 5.0, -20.0),
            effect("middle", -8.0, 3.0),
        ];
        let names: Vec<&str> = sorted(&effects)
            .iter()
            .map(|e| e.parameter.as_str())
            .collect();
        assert_eq!(names, ["large", "middle", "small"]);
    }
}
