//! What every chart shares: the title block, a legend row above the plot (so it never covers
//! data), axis ranges that cannot collapse, the mesh style and category labels.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

use super::ChartError;
use super::theme::{self, Theme};

/// How a legend entry is marked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Mark {
    Line(RGBAColor),
    Dashed(RGBAColor),
    Fill(RGBAColor),
    /// A dot with an error bar through it.
    Point(RGBAColor),
    /// Text only.
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct LegendItem {
    pub mark: Mark,
    pub label: String,
}

pub(super) fn item(mark: Mark, label: impl Into<String>) -> LegendItem {
    LegendItem {
        mark,
        label: label.into(),
    }
}

/// Draws the title, subtitle and legend and returns the area left for the plot.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    theme: &Theme,
    title: &str,
    subtitle: &str,
    legend: &[LegendItem],
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    let m = theme.margin();
    let area = root.margin(m, m, m, m);
    let header = if title.is_empty() && subtitle.is_empty() {
        0
    } else {
        theme.header_height(!subtitle.is_empty())
    };
    let (head, rest) = area.split_vertically(header);
    if !title.is_empty() {
        head.draw(&Text::new(
            title.to_string(),
            (0, 0),
            theme.title().pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
    }
    if !subtitle.is_empty() {
        let y = if title.is_empty() { 0 } else { theme.ipx(30.0) };
        head.draw(&Text::new(
            subtitle.to_string(),
            (0, y),
            theme.subtitle().pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
    }
    if legend.is_empty() {
        return Ok(rest);
    }
    let (row, plot) = rest.split_vertically(theme.legend_height());
    draw_legend(&row, theme, legend)?;
    Ok(plot)
}

/// One row of legend entries, left to right, starting at the plot's left edge.
fn draw_legend<DB: DrawingBackend>(
    row: &DrawingArea<DB, Shift>,
    theme: &Theme,
    items: &[LegendItem],
) -> Result<(), ChartError> {
    let style = theme.legend();
    let mid = theme.ipx(10.0);
    let swatch = theme.ipx(26.0);
    let gap = theme.ipx(8.0);
    let spacing = theme.ipx(26.0);
    let mut x = theme.ipx(8.0);
    for entry in items {
        match entry.mark {
            Mark::Line(color) => {
                row.draw(&PathElement::new(
                    vec![(x, mid), (x + swatch, mid)],
                    color.stroke_width(theme.line()),
                ))?;
            }
            Mark::Dashed(color) => {
                let dash = swatch / 4;
                for k in [0, 2] {
                    row.draw(&PathElement::new(
                        vec![(x + k * dash, mid), (x + (k + 1) * dash + dash / 2, mid)],
                        color.stroke_width(theme.line()),
                    ))?;
                }
            }
            Mark::Fill(color) => {
                let h = theme.ipx(7.0);
                row.draw(&Rectangle::new(
                    [(x, mid - h), (x + swatch, mid + h)],
                    color.filled(),
                ))?;
            }
            Mark::Point(color) => {
                let half = swatch / 2;
                row.draw(&PathElement::new(
                    vec![(x, mid), (x + swatch, mid)],
                    color.stroke_width(theme.thin_line()),
                ))?;
                row.draw(&Circle::new((x + half, mid), theme.px(5.0), color.filled()))?;
            }
            Mark::None => {}
        }
        let text_x = if entry.mark == Mark::None {
            x
        } else {
            x + swatch + gap
        };
        row.draw(&Text::new(
            entry.label.clone(),
            (text_x, mid),
            style.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        let (width, _) = row.estimate_text_size(&entry.label, &style)?;
        x = text_x + width as i32 + spacing;
    }
    Ok(())
}

/// A range over the finite values given, padded by `pad` of its span on each side; never
/// empty, never infinite, so the axis always has ticks to draw.
/// The builder of a chart's plot area on `area` with the theme's margins and label areas, the
/// set-up every single-panel chart shares; the caller adds its coordinates
/// (`plot_area(&plot, theme).build_cartesian_2d(x, y)?`).
pub(super) fn plot_area<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    theme: &Theme,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_right(theme.px(16.0))
        .margin_top(theme.px(6.0))
        .x_label_area_size(theme.x_label_area())
        .y_label_area_size(theme.y_label_area());
    builder
}

/// A row's label right-aligned just left of the plot area at (`left`, `y`) pixels: the
/// category labels of the comparison and tornado charts.
pub(super) fn row_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    theme: &Theme,
    text: &str,
    (left, y): (i32, i32),
    style: &TextStyle,
) -> Result<(), ChartError> {
    draw_lines(
        root,
        &[text.to_string()],
        (left - theme.ipx(10.0), y),
        style,
        Pos::new(HPos::Right, VPos::Center),
    )
}

pub(super) fn padded_range(values: impl IntoIterator<Item = f64>, pad: f64) -> Range<f64> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return 0.0..1.0;
    }
    let span = hi - lo;
    if span <= f64::EPSILON * hi.abs().max(lo.abs()).max(1.0) {
        let half = (hi.abs() * 0.1).max(1.0);
        return (lo - half)..(hi + half);
    }
    (lo - pad * span)..(hi + pad * span)
}

/// A range that starts (or ends) exactly at zero when all values are on one side of it, as
/// bar lengths need.
pub(super) fn range_from_zero(values: impl IntoIterator<Item = f64>, pad: f64) -> Range<f64> {
    let values: Vec<f64> = values.into_iter().chain([0.0]).collect();
    let range = padded_range(values.iter().copied(), pad);
    let lo = values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::min);
    let hi = values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let start = if lo >= 0.0 { 0.0 } else { range.start };
    let end = if hi <= 0.0 { 0.0 } else { range.end };
    if end > start { start..end } else { range }
}

/// Replaces non-finite values by zero so that nothing undefined reaches the backend.
pub(super) fn finite(value: f64) -> f64 {
    if value.is_finite() { value } else { 0.0 }
}

/// The house mesh: horizontal grid lines only, grey axes, the theme's type. `$chart` is a
/// cartesian chart context; extra mesh settings follow as method calls.
macro_rules! mesh {
    ($chart:expr, $theme:expr, $x_desc:expr, $y_desc:expr $(, $method:ident($($arg:expr),*))* $(,)?) => {{
        let theme: &$crate::chart::theme::Theme = $theme;
        $chart
            .configure_mesh()
            .bold_line_style($crate::chart::theme::GRID.stroke_width(theme.px(1.0).max(1)))
            .light_line_style(plotters::style::colors::TRANSPARENT)
            .axis_style($crate::chart::theme::AXIS.stroke_width(theme.px(1.0).max(1)))
            .set_all_tick_mark_size(theme.px(4.0))
            .label_style(theme.tick_label())
            .axis_desc_style(theme.axis_title())
            .x_desc($x_desc)
            .y_desc($y_desc)
            $(.$method($($arg),*))*
            .draw()
    }};
}
pub(super) use mesh;

/// Splits a category label into at most two lines of about equal length at a space.
pub(super) fn two_lines(label: &str) -> Vec<String> {
    let words: Vec<&str> = label.split_whitespace().collect();
    if words.len() < 2 || label.chars().count() <= 12 {
        return vec![label.to_string()];
    }
    let total = label.chars().count();
    let best = (1..words.len())
        .min_by_key(|&k| {
            let first: usize = words[..k].iter().map(|w| w.chars().count() + 1).sum();
            (2 * first).abs_diff(total)
        })
        .unwrap_or(1);
    vec![words[..best].join(" "), words[best..].join(" ")]
}

/// Draws `lines` centred under (or, with `VPos::Bottom`, above) a backend point.
pub(super) fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    lines: &[String],
    at: (i32, i32),
    style: &TextStyle<'_>,
    anchor: Pos,
) -> Result<(), ChartError> {
    let line_height = style.font.get_size().round() as i32 + 2;
    for (i, line) in lines.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (at.0, at.1 + i as i32 * line_height),
            style.pos(anchor),
        ))?;
    }
    Ok(())
}

/// Width in backend pixels of the widest text.
pub(super) fn widest<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    texts: impl IntoIterator<Item = String>,
    style: &TextStyle<'_>,
) -> Result<u32, ChartError> {
    let mut widest = 0;
    for text in texts {
        let (w, _) = root.estimate_text_size(&text, style)?;
        widest = widest.max(w);
    }
    Ok(widest)
}

/// The tick format of a money or count axis over `range`: short (`12k`, `1.5M`) when the axis
/// reaches 10,000, else whole numbers with separators (`2,500`), so one axis never mixes the
/// two styles. The decimals follow the axis's span, so that ticks 2,000 apart on an axis near
/// 4.4M read `4.4M`, `4.402M`, `4.404M` rather than three times `4.4M`.
pub(super) fn ticks(range: &Range<f64>) -> impl Fn(&f64) -> String + use<> {
    let reach = range.start.abs().max(range.end.abs());
    let (divisor, suffix) = if reach >= 1e12 {
        (1e12, "T")
    } else if reach >= 1e9 {
        (1e9, "B")
    } else if reach >= 1e6 {
        (1e6, "M")
    } else if reach >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    // Plotters puts ten or twenty ticks on an axis, at steps of 1, 2, 2.5 or 5 × 10^k: a
    // hundredth of the span resolves every such tick; round ticks lose extra zeros when trimmed.
    let fine = ((range.end - range.start).abs() / 100.0) / divisor;
    let decimals = if fine.is_finite() && fine > 0.0 && fine < 1.0 {
        ((-fine.log10()).ceil() as usize).min(9)
    } else {
        0
    };
    move |value: &f64| {
        if !value.is_finite() {
            return "n/a".to_string();
        }
        if divisor == 1.0 && value.abs() >= 1_000.0 {
            return theme::thousands(*value);
        }
        let text = crate::format::trim_zeros(&format!("{:.decimals$}", value.abs() / divisor));
        if text == "0" {
            return "0".to_string();
        }
        let sign = if *value < 0.0 { "\u{2212}" } else { "" };
        format!("{sign}{text}{suffix}")
    }
}

/// Formats whole-number ticks (periods).
pub(super) fn whole_tick(value: &f64) -> String {
    if (value - value.round()).abs() < 1e-6 {
        format!("{value:.0}")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_never_collapse() {
        assert_eq!(padded_range([], 0.1), 0.0..1.0);
        assert_eq!(padded_range([5.0, 5.0], 0.1), 4.0..6.0);
        assert_eq!(padded_range([0.0], 0.1), -1.0..1.0);
        assert_eq!(padded_range([f64::NAN, 0.0, 10.0], 0.1), -1.0..11.0);
        assert_eq!(range_from_zero([2.0, 10.0], 0.1), 0.0..11.0);
        assert_eq!(range_from_zero([-2.0, -10.0], 0.1), -11.0..0.0);
        assert_eq!(range_from_zero([0.0, 0.0], 0.1), -1.0..1.0);
    }

    #[test]
    fn one_axis_one_number_style() {
        let small = ticks(&(0.0..5_000.0));
        assert_eq!([small(&0.0), small(&2_500.0)], ["0", "2,500"]);
        let unit = ticks(&(0.0..5.0));
        assert_eq!([unit(&0.25), unit(&3.0)], ["0.25", "3"]);
        let large = ticks(&(-20_000.0..2e6));
        assert_eq!([large(&-20_000.0), large(&1.5e6)], ["−0.02M", "1.5M"]);
        let thousands = ticks(&(-20_000.0..20_000.0));
        assert_eq!(
            [thousands(&2_500.0), thousands(&-15_000.0)],
            ["2.5k", "−15k"]
        );
    }

    #[test]
    fn close_ticks_stay_distinct() {
        let narrow = ticks(&(4.400e6..4.412e6));
        let labels: Vec<String> = [4.400e6, 4.402e6, 4.404e6].iter().map(&narrow).collect();
        assert_eq!(labels, ["4.4M", "4.402M", "4.404M"]);
        let shares = ticks(&(0.0..0.01));
        assert_eq!([shares(&0.001), shares(&0.002)], ["0.001", "0.002"]);
    }

    #[test]
    fn labels_break_into_two_balanced_lines() {
        assert_eq!(two_lines("Retention"), ["Retention"]);
        assert_eq!(two_lines("Purchase margin"), ["Purchase", "margin"]);
        assert_eq!(two_lines("Existing customers"), ["Existing", "customers"]);
    }
}
