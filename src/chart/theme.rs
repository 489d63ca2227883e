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

/// Money with thousands separators and the currency: `USD 1,234,568` (the amount alone when
/// there is no currency).
pub fn money(value: f64, currency: &str) -> String {
    let amount = thousands(value);
    if currency.is_empty() {
        amount
    } else {
        format!("{currency} {amount}")
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

/// Short money or count for axis ticks and bar labels: `950`, `12k`, `1.25M`, `-3.4B`. The minus
/// is ASCII: the embedded Noto Sans has no U+2212 glyph.
/// At most three significant digits after scaling, trailing zeros dropped.
pub fn short_number(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude >= 1e12 {
        (magnitude / 1e12, "T")
    } else if magnitude >= 1e9 {
        (magnitude / 1e9, "B")
    } else if magnitude >= 1e6 {
        (magnitude / 1e6, "M")
    } else if magnitude >= 1e3 {
        (magnitude / 1e3, "k")
    } else {
        (magnitude, "")
    };
    let decimals = if scaled >= 100.0 {
        0
    } else if scaled >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{scaled:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "0" {
        return "0".to_string();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}{text}{suffix}")
}

/// Whole units with thousands separators, for values spelled out in a legend or a label:
/// `1,234,568`, `-40,432`.
pub fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    let rounded = format!("{:.0}", value.abs());
    let mut grouped = String::with_capacity(rounded.len() + rounded.len() / 3);
    for (i, ch) in rounded.chars().enumerate() {
        if i > 0 && (rounded.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if rounded != "0" && value < 0.0 {
        "-"
    } else {
        ""
    };
    format!("{sign}{grouped}")
}

/// A number exactly as a scenario file would state it: the shortest decimal that reads back as
/// the same `f64` (Rust's `Display`), with thousands separators: `0.42`, `41.5`, `1,234.5`,
/// `-0.08`. Assumptions are printed this way so that a reader can check them against the file —
/// rounding to whole units turned a cost to serve of 1.55 into "2".
pub fn as_given(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    // Twelve significant digits drop the noise of arithmetic such as 0.985 × 100 without
    // hiding any digit a person types.
    let cleaned: f64 = format!("{value:.11e}").parse().unwrap_or(value);
    let text = format!("{}", cleaned.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w.to_string(), Some(f.to_string())),
        None => (text, None),
    };
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if cleaned < 0.0 { "-" } else { "" };
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// An amount of money as the scenario states it: [`as_given`] with cents kept to two places
/// when there are any (`USD 2.50`, `USD 0.425`, `USD 15`).
pub fn money_as_given(value: f64, currency: &str) -> String {
    let mut amount = as_given(value);
    if let Some((_, fraction)) = amount.split_once('.')
        && fraction.len() == 1
    {
        amount.push('0');
    }
    if currency.is_empty() {
        amount
    } else {
        format!("{currency} {amount}")
    }
}

/// A share as the scenario states it, as a percentage: `98.5%`, `0.35%`, `12%`.
pub fn percent_as_given(share: f64) -> String {
    if !share.is_finite() {
        return "n/a".to_string();
    }
    format!("{}%", as_given(share * 100.0))
}

/// A share as a percentage with at most one decimal: `12.5%`, `0%`.
pub fn percent(share: f64) -> String {
    if !share.is_finite() {
        return "n/a".to_string();
    }
    let text = format!("{:.1}", share * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_printed_as_given() {
        assert_eq!(as_given(0.42), "0.42");
        assert_eq!(as_given(41.5), "41.5");
        assert_eq!(as_given(1234.5), "1,234.5");
        assert_eq!(as_given(-0.08), "-0.08");
        assert_eq!(as_given(400000.0), "400,000");
        assert_eq!(as_given(1e-7), "0.0000001");
        assert_eq!(money_as_given(2.5, "EUR"), "EUR 2.50");
        assert_eq!(money_as_given(1.55, "EUR"), "EUR 1.55");
        assert_eq!(money_as_given(0.425, ""), "0.425");
        assert_eq!(money_as_given(15.0, "USD"), "USD 15");
        assert_eq!(percent_as_given(0.985), "98.5%");
        assert_eq!(percent_as_given(0.0035), "0.35%");
        assert_eq!(percent_as_given(0.07), "7%");
    }

    #[test]
    fn short_numbers_scale_and_trim() {
        assert_eq!(short_number(0.0), "0");
        assert_eq!(short_number(-0.001), "0");
        assert_eq!(short_number(950.0), "950");
        assert_eq!(short_number(12_000.0), "12k");
        assert_eq!(short_number(2_500.0), "2.5k");
        assert_eq!(short_number(1_250_000.0), "1.25M");
        assert_eq!(short_number(1_200_000.0), "1.2M");
        assert_eq!(short_number(-3_400_000_000.0), "-3.4B");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(f64::NAN), "n/a");
    }

    #[test]
    fn thousands_group_digits() {
        assert_eq!(thousands(1_234_567.89), "1,234,568");
        assert_eq!(thousands(-40_432.11), "-40,432");
        assert_eq!(thousands(-0.2), "0");
        assert_eq!(thousands(999.0), "999");
    }

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
