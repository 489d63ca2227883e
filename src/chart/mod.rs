//! Charts for decks and reports: plain data in ([`data`]), PNG and SVG bytes out.
//!
//! Every chart function takes one data struct and returns both renderings; writing them to
//! disk (atomically) is the caller's job. Text is drawn from Noto Sans, embedded in the
//! binary (`assets/fonts/`, SIL Open Font License 1.1) and registered with plotters' ab_glyph
//! renderer, so the PNGs need no system font and the SVGs carry their text as `<text>`
//! elements that any viewer can search and restyle. One [`theme`] gives every chart the same
//! palette (Okabe–Ito), sizes and number formats.

pub mod base;
pub mod data;
pub mod fit;
pub mod full_base;
pub mod payback;
pub mod plans;
pub mod theme;

mod calibration;
mod compare;
mod distribution;
mod fan;
mod frontier;
mod layout;
mod optimize;
mod stacked;
mod tornado;
mod waterfall;

pub use base::{p_alive_matrix_chart, value_distribution_chart};
pub use calibration::calibration_chart;
pub use compare::plan_comparison_chart;
pub use distribution::distribution_chart;
pub use fan::fan_chart;
pub use frontier::frontier_chart;
pub use optimize::{allocation_chart, response_curves_chart};
pub use stacked::cohort_activity_chart;
pub use tornado::tornado_chart;
pub use waterfall::waterfall_chart;

use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::OnceLock;

use crate::sim::Simulation;
use crate::stats::SimulationSummary;
use data::{CohortActivityChart, DistributionChart, FanChart, SimulationContext, WaterfallChart};
use full_base::for_full_base;
use theme::Theme;

/// One chart in both formats.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// PNG at twice the logical size (1920 × 1080).
    pub png: Vec<u8>,
    /// SVG at the logical size (960 × 540), text as text.
    pub svg: String,
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChartError {
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    #[error("cannot encode the chart as PNG: {0}")]
    Encode(String),
    #[error("the embedded font could not be loaded")]
    Font,
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(error: DrawingAreaErrorKind<E>) -> Self {
        ChartError::Draw(error.to_string())
    }
}

/// The simulation charts `ceq simulate --charts` writes, as (file stem, chart): the fan of
/// cumulative CE, the distribution of CE, active customers by cohort and the two waterfalls.
pub fn simulation_charts(
    summary: &SimulationSummary,
    simulation: &Simulation,
    context: &SimulationContext<'_>,
) -> Result<Vec<(&'static str, Rendered)>, ChartError> {
    let f = context.sample_fraction;
    Ok(vec![
        (
            "fan",
            fan_chart(&for_full_base(
                FanChart::from_simulation(summary, simulation, context),
                f,
            ))?,
        ),
        (
            "distribution",
            distribution_chart(&for_full_base(
                DistributionChart::from_simulation(summary, simulation, context),
                f,
            ))?,
        ),
        (
            "cohorts",
            cohort_activity_chart(&for_full_base(
                CohortActivityChart::from_summary(summary, simulation, context),
                f,
            ))?,
        ),
        (
            "waterfall_components",
            waterfall_chart(&for_full_base(
                WaterfallChart::components(summary, context),
                f,
            ))?,
        ),
        (
            "waterfall_origin",
            waterfall_chart(&for_full_base(WaterfallChart::origin(summary, context), f))?,
        ),
    ])
}

/// A chart that can draw itself on any plotters backend.
trait Draw {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), ChartError>;
}

/// Registers the embedded font once per process under [`theme::FONT_FAMILY`].
fn register_fonts() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = REGISTERED.get_or_init(|| {
        let regular = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
        let bold = include_bytes!("../../assets/fonts/NotoSans-Bold.ttf");
        plotters::style::register_font(theme::FONT_FAMILY, FontStyle::Normal, regular).is_ok()
            && plotters::style::register_font(theme::FONT_FAMILY, FontStyle::Bold, bold).is_ok()
    });
    if *ok { Ok(()) } else { Err(ChartError::Font) }
}

/// Draws `chart` as PNG and as SVG.
fn render(chart: &impl Draw) -> Result<Rendered, ChartError> {
    let (pixels, width, height) = render_pixels(chart, &Theme::PNG)?;
    let png = encode_png(&pixels, width, height)?;
    let svg = render_svg(chart, &Theme::SVG)?;
    Ok(Rendered { png, svg })
}

/// The chart's RGB pixels, row by row, with the canvas size.
fn render_pixels(chart: &impl Draw, theme: &Theme) -> Result<(Vec<u8>, u32, u32), ChartError> {
    register_fonts()?;
    let (width, height) = theme.size();
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&theme::BACKGROUND)?;
        chart.draw(&root, theme)?;
        root.present()?;
    }
    Ok((pixels, width, height))
}

fn render_svg(chart: &impl Draw, theme: &Theme) -> Result<String, ChartError> {
    register_fonts()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, theme.size()).into_drawing_area();
        root.fill(&theme::BACKGROUND)?;
        chart.draw(&root, theme)?;
        root.present()?;
    }
    Ok(svg)
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Balanced);
        let mut writer = encoder
            .write_header()
            .map_err(|e| ChartError::Encode(e.to_string()))?;
        writer
            .write_image_data(rgb)
            .map_err(|e| ChartError::Encode(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| ChartError::Encode(e.to_string()))?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;
