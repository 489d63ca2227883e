//! The one look of every ceq chart: palette, type sizes, margins and number formats.
//!
//! The palette is Okabe & Ito's (2008) eight colours, chosen to stay distinguishable under the
//! common forms of colour-vision deficiency; gains are bluish green, losses vermillion and
//! totals blue, so a reader learns the code once. Sizes are given for a 960 × 540 (16:9) chart
//! and multiplied by [`Theme::scale`]: PNGs are drawn at twice that size so they stay sharp on
//! a projector, SVGs at one.

use plotters::style::{FontDesc, FontStyle, FontTransform, IntoFont, RGBColor, TextStyle};

/// The family name the embedded font is registered under. It doubles as the SVG
/// `font-family`, so viewers that lack Noto Sans fall back to a similar sans-serif.
pub const FONT_FAMILY: &str = "Noto Sans, Arial, Helvetica, sans-serif";

/// Okabe–Ito: black, orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple.
pub const BLACK: RGBColor = RGBColor(0, 0, 0);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
pub const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub const REDDISH_PURPLE: RGBColor = RGBColor(204, 121, 167);

/// Series colours in the order plans, cohorts and levers take them.
pub const SERIES: [RGBColor; 7] = [
    BLUE,
    ORANGE,
    BLUISH_GREEN,
    REDDISH_PURPLE,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
];

/// Gains, losses and totals in waterfalls and tornados.
pub const GAIN: RGBColor = BLUISH_GREEN;
pub const LOSS: RGBColor = VERMILLION;
pub const TOTAL: RGBColor = BLUE;

pub const TEXT: RGBColor = RGBColor(33, 33, 33);
pub const MUTED_TEXT: RGBColor = RGBColor(100, 100, 100);
pub const GRID: RGBColor = RGBColor(225, 225, 225);
pub const AXIS: RGBColor = RGBColor(120, 120, 120);
pub const BACKGROUND: RGBColor = RGBColor(255, 255, 255);

/// The colour of the i-th series, cycling through the palette.
pub fn series_color(index: usize) -> RGBColor {
    SERIES[index % SERIES.len()]
}

/// Sizes of one rendering; every length goes through [`Theme::px`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    /// Multiplier of every length (2 for PNG, 1 for SVG).
    pub scale: f64,
}

/// Logical chart size (16:9).
pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 540;

impl Theme {
    pub const PNG: Theme = Theme { scale: 2.0 };
    pub const SVG: Theme = Theme { scale: 1.0 };

    /// A logical length in backend pixels.
    pub fn px(&self, logical: f64) -> u32 {
        (logical * self.scale).round().max(0.0) as u32
    }

    /// A logical length in signed backend pixels.
    pub fn ipx(&self, logical: f64) -> i32 {
        (logical * self.scale).round() as i32
    }

    /// The canvas size in backend pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.px(f64::from(WIDTH)), self.px(f64::from(HEIGHT)))
    }

    fn font(&self, size: f64, style: FontStyle) -> FontDesc<'static> {
        (FONT_FAMILY, size * self.scale, style).into_font()
    }

    pub fn title(&self) -> TextStyle<'static> {
        self.font(22.0, FontStyle::Bold).color(&TEXT)
    }

    pub fn subtitle(&self) -> TextStyle<'static> {
        self.font(14.0, FontStyle::Normal).color(&MUTED_TEXT)
    }

    pub fn axis_title(&self) -> TextStyle<'static> {
        self.font(15.0, FontStyle::Normal).color(&TEXT)
    }

    pub fn tick_label(&self) -> TextStyle<'static> {
        self.font(13.0, FontStyle::Normal).color(&TEXT)
    }

    pub fn legend(&self) -> TextStyle<'static> {
        self.font(14.0, FontStyle::Normal).color(&TEXT)
    }

    pub fn annotation(&self) -> TextStyle<'static> {
        self.font(12.5, FontStyle::Normal).color(&TEXT)
    }

    pub fn bold_annotation(&self) -> TextStyle<'static> {
        self.font(13.0, FontStyle::Bold).color(&TEXT)
    }

    /// A y-axis title, turned to read bottom to top.
    pub fn vertical(&self, style: TextStyle<'static>) -> TextStyle<'static> {
        style.transform(FontTransform::Rotate270)
    }

    /// Outer margin of the chart.
    pub fn margin(&self) -> u32 {
        self.px(18.0)
    }

    /// Height of the title block (title and subtitle).
    pub fn header_height(&self, has_subtitle: bool) -> u32 {
        self.px(if has_subtitle { 62.0 } else { 44.0 })
    }

    /// Height of the legend row.
    pub fn legend_height(&self) -> u32 {
        self.px(28.0)
    }

    /// Room for the x tick labels and the x-axis title.
    pub fn x_label_area(&self) -> u32 {
        self.px(52.0)
    }

    /// Room for the y tick labels and the y-axis title.
    pub fn y_label_area(&self) -> u32 {
        self.px(78.0)
    }

    /// Line widths.
    pub fn line(&self) -> u32 {
        self.px(2.5).max(1)
    }

    pub fn thin_line(&self) -> u32 {
        self.px(1.5).max(1)
    }
}

/// The y- or x-axis title of a money axis: "Customer equity (USD)".
pub fn money_axis_title(quantity: &str, currency: &str) -> String {
    if currency.is_empty() {
        quantity.to_string()
    } else {
        format!("{quantity} ({currency})")
    }
}

/// The name of a period for axis titles, from the number of periods per year.
pub fn period_name(periods_per_year: u32) -> &'static str {
    match periods_per_year {
        1 => "Year",
        2 => "Half-year",
        4 => "Quarter",
        12 => "Month",
        52 => "Week",
        365 => "Day",
        _ => "Period",
    }
}

/// The formatters of every output live in [`crate::format`]; charts use them from here. The
/// embedded font has the true minus sign (added to Noto Sans by `assets/fonts/add_minus.py`),
/// so chart labels read `−USD 40` like the text.
pub use crate::format::{as_given, money, money_as_given, percent, percent_as_given, short_number};

/// Whole units with thousands separators for a chart label: `1,234,568`, `−40,432`.
pub fn thousands(value: f64) -> String {
    crate::format::whole(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_titles_carry_the_currency() {
        assert_eq!(
            money_axis_title("Customer equity", "USD"),
            "Customer equity (USD)"
        );
        assert_eq!(money_axis_title("Spend", ""), "Spend");
        assert_eq!(period_name(12), "Month");
        assert_eq!(period_name(7), "Period");
        assert_eq!(percent(0.125), "12.5%");
        assert_eq!(percent(0.0), "0%");
    }

    #[test]
    fn series_colours_cycle() {
        assert_eq!(series_color(0), BLUE);
        assert_eq!(series_color(SERIES.len()), BLUE);
    }
}
