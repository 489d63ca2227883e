//! The charts of the fit commands (SPEC §14), filled from their result documents: actual
//! against fitted survival, cumulative repeat purchases, response curves and the score charts.
//! Moved from the command line (issue 14) so a Rust user can draw them without it.

use super::data::CalibrationChart;
use crate::fit::bgnbd;
use crate::fit::fitted_scenario::significant;
use crate::fit::report::{SurvivalFit, TransactionsFit};
use crate::fit::response::ResponseFit;
use crate::fit::scores::Scores;
use crate::fit::tracking::Tracking;
use crate::fit::transactions::{CustomerSummary, TimeUnit, format_day};
use crate::format::percent_figure;

/// Actual against fitted customers alive by period, the end of the fitted periods marked when
/// later periods are a holdout (sBG, Fader & Hardie 2007: S(t) = B(α, β + t)/B(α, β), the
/// fitted counts of [`crate::fit::sbg::SbgFit::fitted_alive`]).
pub fn survival_chart(source: &str, period_column: &str, result: &SurvivalFit) -> CalibrationChart {
    let points = result
        .table
        .iter()
        .map(|row| (row.period as f64, row.actual, row.fitted))
        .collect();
    let mut period_label: String = period_column.trim().to_string();
    if let Some(first) = period_label.get(..1) {
        period_label = first.to_uppercase() + &period_label[1..];
    }
    if period_label.is_empty() {
        period_label = "Period".to_string();
    }
    let shares = result.table.first().is_some_and(|row| row.actual <= 1.0);
    let y_label = if shares {
        "Share of the cohort alive"
    } else {
        "Customers alive"
    };
    let mut data = CalibrationChart::survival(points, &period_label, y_label);
    data.subtitle = format!(
        "{source} · {} · α = {}, β = {} · periods 0–{} fitted",
        result.column,
        significant(result.alpha, 4),
        significant(result.beta, 4),
        result.through
    );
    let last = result.table.len().saturating_sub(1);
    if result.through < last {
        data.calibration_end = Some(result.through as f64);
    }
    data
}

/// Cumulative repeat purchases of the fitted cohort by time unit since the first purchase day,
/// actual against BG/NBD (the tracking plot of Fader, Hardie & Lee 2005a; see
/// [`crate::fit::tracking`]), the calibration end marked when a holdout follows it.
pub fn repeat_purchases_chart(
    source: &str,
    result: &TransactionsFit,
    purchasing: &bgnbd::BgNbdFit,
    tracked: &Tracking,
    holdout: bool,
    unit: TimeUnit,
) -> CalibrationChart {
    let points = tracked
        .points
        .iter()
        .map(|p| (p.time, p.actual, p.model))
        .collect();
    let unit_name = unit.name();
    let capitalized = unit_name[..1].to_uppercase() + &unit_name[1..];
    let x_label = format!("{capitalized}s since {}", format_day(tracked.start));
    let mut data = CalibrationChart::repeat_purchases(points, &x_label);
    data.subtitle = format!(
        "{source} · {} customers who first bought by {} · r = {}, α = {}, a = {}, b = {}",
        crate::format::whole(result.customers as f64),
        result.calibration_end,
        significant(purchasing.r.value, 4),
        significant(purchasing.alpha.value, 4),
        significant(purchasing.a.value, 4),
        significant(purchasing.b.value, 4),
    );
    if holdout {
        data.calibration_end = Some(tracked.calibration_end);
    }
    data
}

/// One chart per channel with counts (or one of the total): new customers per period, actual
/// against fitted, the end of the fit marked when the rest is a holdout.
pub fn response_charts(
    fit: &ResponseFit,
    period_column: &str,
    source: &str,
) -> Vec<(String, CalibrationChart)> {
    let end = (fit.fit_periods < fit.periods).then_some(fit.fit_periods as f64);
    let chart = |name: &str, actual: &[f64], fitted: &[f64]| CalibrationChart {
        title: format!("New customers from {name}: actual vs fitted"),
        subtitle: format!("{source} · {} form", fit.form.name()),
        x_label: format!("Period (row of the history; its `{period_column}` column)"),
        y_label: "New customers per period".to_string(),
        fitted_label: "Fitted response curve".to_string(),
        points: actual
            .iter()
            .zip(fitted)
            .enumerate()
            .map(|(t, (a, f))| ((t + 1) as f64, *a, *f))
            .collect(),
        calibration_end: end,
    };
    match &fit.total {
        Some(total) => vec![(
            "response_total".to_string(),
            chart("all channels", &total.actual, &total.fitted),
        )],
        None => fit
            .channels
            .iter()
            .filter_map(|c| {
                let actual = c.actual.as_ref()?;
                Some((
                    format!("response_{}", c.name),
                    chart(&c.name, actual, &c.fitted),
                ))
            })
            .collect(),
    }
}

/// `p_alive.png` (P(alive) by frequency × recency at the fitted parameters, T the longest
/// observation, as lifetimes' plot_probability_alive_matrix) and `clv.png` (the scores' clv
/// distribution and its Lorenz curve).
pub fn score_charts(
    scored: &Scores,
    customers: &[CustomerSummary],
    purchasing: &bgnbd::BgNbdFit,
    unit: TimeUnit,
) -> Result<Vec<(&'static str, super::Rendered)>, super::ChartError> {
    use super::base::{MATRIX_MAX_FREQUENCY, PAliveMatrix, ValueDistribution};
    let unit_name = format!("{}s", unit.name());
    let max_frequency = customers.iter().map(|c| c.frequency).max().unwrap_or(0);
    let max_age = customers.iter().map(|c| c.age).fold(0.0, f64::max);
    let mut matrix = PAliveMatrix::from_parameters(
        purchasing.params(),
        max_frequency.min(MATRIX_MAX_FREQUENCY),
        max_age,
        60,
        &unit_name,
    );
    matrix.subtitle = format!(
        "BG/NBD at the fitted parameters · a customer observed for T = {max_age:.0} {unit_name}, \
         lighter = more likely gone"
    );
    let groups: Vec<(f64, f64, u64)> = scored
        .customers
        .iter()
        .map(|c| (c.clv, c.p_alive, 1))
        .collect();
    let settings = &scored.settings;
    let value = ValueDistribution {
        title: "Customer lifetime value over the horizon and how concentrated it is".into(),
        subtitle: format!(
            "{} customers · clv over {} {unit_name} at a margin of {}% and {}% a year",
            crate::format::whole(groups.len() as f64),
            settings.horizon,
            percent_figure(settings.margin),
            percent_figure(settings.discount_rate)
        ),
        currency: "USD".into(),
        lorenz: crate::fit::base_value::lorenz_curve(&groups),
        top_decile_share: crate::fit::base_value::top_share(&groups, 0.1),
        groups: groups.iter().map(|g| (g.0, g.2)).collect(),
    };
    Ok(vec![
        ("p_alive", super::p_alive_matrix_chart(&matrix)?),
        ("clv", super::value_distribution_chart(&value)?),
    ])
}
