//! The results of `ceq fit survival` and `ceq fit transactions` as documents of the library:
//! every number the commands print or write (`--json`, fit.json), with the holdout check of a
//! BG/NBD fit. Built here, next to the fits, so a Rust user gets the whole result without the
//! command line; the text and JSON are exports of these values (SPEC §14).

use serde::Serialize;

use super::transactions::{self, CustomerSummary, TimeUnit, format_day};
use super::{bgnbd, gamma_gamma, sbg, scores};
use crate::model::closed_form::ClosedFormError;

/// One fitted column of `ceq fit survival`: the sBG parameters (Fader & Hardie 2007), the
/// table of actual against fitted survivors and the implied retention rate by period.
#[derive(Debug, Clone, Serialize)]
pub struct SurvivalFit {
    pub model: &'static str,
    pub column: String,
    pub alpha: f64,
    pub beta: f64,
    pub std_errors: SbgStdErrors,
    pub log_likelihood: f64,
    pub through: usize,
    pub table: Vec<SurvivalRow>,
    pub retention_rates: Vec<RetentionRate>,
}

/// Standard errors of the sBG parameters (`None` where the information matrix is singular).
#[derive(Debug, Clone, Serialize)]
pub struct SbgStdErrors {
    pub alpha: Option<f64>,
    pub beta: Option<f64>,
}

/// Customers alive in one period, as in the table and as fitted; `in_fit` marks the periods
/// the likelihood used (`--through`).
#[derive(Debug, Clone, Serialize)]
pub struct SurvivalRow {
    pub period: usize,
    pub actual: f64,
    pub fitted: f64,
    pub in_fit: bool,
}

/// The sBG retention rate from period `period - 1` to `period`.
#[derive(Debug, Clone, Serialize)]
pub struct RetentionRate {
    pub period: u32,
    pub rate: f64,
}

/// The document of one sBG fit of `series`.
pub fn survival_fit(series: &sbg::SurvivalSeries, fitted: &sbg::SbgFit) -> SurvivalFit {
    let initial = series.alive[0];
    let table = series
        .alive
        .iter()
        .enumerate()
        .map(|(period, &actual)| SurvivalRow {
            period,
            actual,
            fitted: fitted.fitted_alive(initial, period as u32),
            in_fit: period <= fitted.through,
        })
        .collect();
    let last = (series.alive.len() - 1).max(fitted.through + 5) as u32;
    let retention_rates = (1..=last)
        .map(|period| RetentionRate {
            period,
            rate: fitted.retention_rate(period),
        })
        .collect();
    SurvivalFit {
        model: "sbg",
        column: series.name.clone(),
        alpha: fitted.alpha.value,
        beta: fitted.beta.value,
        std_errors: SbgStdErrors {
            alpha: fitted.alpha.std_error,
            beta: fitted.beta.std_error,
        },
        log_likelihood: fitted.log_likelihood,
        through: fitted.through,
        table,
        retention_rates,
    }
}

/// The result of `ceq fit transactions`: what was read, the BG/NBD and Gamma-Gamma fits, the
/// holdout check, the written scenario and, when computed, the scores and the tracking curve.
#[derive(Debug, Clone, Serialize)]
pub struct TransactionsFit {
    pub customers: usize,
    pub repeat_buyers: usize,
    pub later_customers: usize,
    pub rows: usize,
    pub bad_rows: BadRows,
    /// How the log was read where the file had to decide (date order, a guessed decimal mark).
    pub notes: Vec<String>,
    pub calibration_end: String,
    pub time_unit: TimeUnit,
    pub bgnbd: BgNbdParameters,
    pub gamma_gamma: GammaGammaParameters,
    pub holdout: Option<HoldoutCheck>,
    pub scenario: Option<String>,
    /// What the per-customer scores add up to, when they were computed (--scores or --out).
    pub scores: Option<ScoresBlock>,
    /// Cumulative repeat purchases of the fitted customers, actual and BG/NBD, at each whole
    /// time unit since the first purchase day, to the holdout end (else the calibration end);
    /// None (with a warning) when the model curve cannot be evaluated.
    pub tracking: Option<Vec<TrackedDay>>,
}

/// The `scores` block of `fit transactions --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ScoresBlock {
    /// The --scores file, if one was written.
    pub file: Option<String>,
    #[serde(flatten)]
    pub summary: scores::ScoresSummary,
}

/// One point of [`super::tracking::cumulative_repeat_purchases`], its day as a date.
#[derive(Debug, Clone, Serialize)]
pub struct TrackedDay {
    /// The last day counted, inclusive.
    pub date: String,
    /// Time units from the first customer's first purchase day to the end of `date`.
    pub time: f64,
    pub actual: f64,
    pub model: f64,
}

impl From<&super::tracking::TrackingPoint> for TrackedDay {
    fn from(p: &super::tracking::TrackingPoint) -> Self {
        TrackedDay {
            date: format_day(p.day),
            time: p.time,
            actual: p.actual,
            model: p.model,
        }
    }
}

/// Rows of the log that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct BadRows {
    pub count: usize,
    /// The first 100, with their lines.
    pub rows: Vec<BadRowNote>,
}

/// One unreadable row: its line and why.
#[derive(Debug, Clone, Serialize)]
pub struct BadRowNote {
    pub line: u64,
    pub message: String,
}

/// BG/NBD purchasing and dropout (Fader, Hardie & Lee 2005a) as fitted.
#[derive(Debug, Clone, Serialize)]
pub struct BgNbdParameters {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    pub log_likelihood: f64,
    pub std_errors: BgNbdStdErrors,
}

/// Standard errors of the BG/NBD parameters.
#[derive(Debug, Clone, Serialize)]
pub struct BgNbdStdErrors {
    pub r: Option<f64>,
    pub alpha: Option<f64>,
    pub a: Option<f64>,
    pub b: Option<f64>,
}

/// Gamma-Gamma order values (Fader, Hardie & Lee 2005b) as fitted, with how many repeat
/// buyers it used and how many it left out (average order value ≤ 0).
#[derive(Debug, Clone, Serialize)]
pub struct GammaGammaParameters {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
    pub customers: usize,
    pub non_positive: usize,
    pub log_likelihood: f64,
    pub std_errors: GammaGammaStdErrors,
}

/// Standard errors of the Gamma-Gamma parameters.
#[derive(Debug, Clone, Serialize)]
pub struct GammaGammaStdErrors {
    pub p: Option<f64>,
    pub q: Option<f64>,
    pub gamma: Option<f64>,
}

/// Predicted against actual repeat purchases in the holdout period, by calibration frequency.
#[derive(Debug, Clone, Serialize)]
pub struct HoldoutCheck {
    pub end: String,
    pub length: f64,
    pub groups: Vec<HoldoutGroup>,
    pub total: HoldoutTotal,
}

/// One frequency group of the holdout check.
#[derive(Debug, Clone, Serialize)]
pub struct HoldoutGroup {
    /// Repeat purchases in the calibration period: "0" … "6", "7+".
    pub repeat_purchases: String,
    pub customers: usize,
    pub actual: f64,
    pub predicted: f64,
}

/// The holdout check over all customers.
#[derive(Debug, Clone, Serialize)]
pub struct HoldoutTotal {
    pub actual: f64,
    pub predicted: f64,
}

/// Predicted (Fader, Hardie & Lee 2005a, eq. 10) against actual transaction days in the
/// holdout, by the number of calibration repeat purchases 0..6 and 7+.
pub fn holdout_check(
    customers: &[CustomerSummary],
    fitted: &bgnbd::BgNbdFit,
    calibration_end: i64,
    holdout_end: i64,
    unit: TimeUnit,
) -> Result<HoldoutCheck, ClosedFormError> {
    let length = (holdout_end - calibration_end) as f64 / unit.days();
    let params = fitted.params();
    let mut groups: Vec<HoldoutGroup> = (0..8)
        .map(|i| HoldoutGroup {
            repeat_purchases: if i == 7 {
                "7+".to_string()
            } else {
                i.to_string()
            },
            customers: 0,
            actual: 0.0,
            predicted: 0.0,
        })
        .collect();
    for c in customers {
        let predicted =
            bgnbd::conditional_expected_purchases(params, c.frequency, c.recency, c.age, length)?;
        let group = &mut groups[(c.frequency as usize).min(7)];
        group.customers += 1;
        group.actual += f64::from(c.holdout_purchases);
        group.predicted += predicted;
    }
    let total = HoldoutTotal {
        actual: groups.iter().map(|g| g.actual).sum(),
        predicted: groups.iter().map(|g| g.predicted).sum(),
    };
    Ok(HoldoutCheck {
        end: format_day(holdout_end),
        length,
        groups,
        total,
    })
}

#[allow(clippy::too_many_arguments)]
/// The document of a transactions fit; `scores` and `tracking` are filled in by the caller
/// when it computed them.
pub fn transactions_fit(
    log: &transactions::TransactionLog,
    summaries: &transactions::Summaries,
    purchasing: &bgnbd::BgNbdFit,
    spend: &gamma_gamma::GammaGammaFit,
    calibration_end: String,
    time_unit: TimeUnit,
    holdout: Option<HoldoutCheck>,
    scenario: Option<String>,
) -> TransactionsFit {
    TransactionsFit {
        customers: summaries.customers.len(),
        repeat_buyers: summaries
            .customers
            .iter()
            .filter(|c| c.frequency > 0)
            .count(),
        later_customers: summaries.later_customers,
        rows: log.rows,
        bad_rows: BadRows {
            count: log.bad_rows.len(),
            rows: log
                .bad_rows
                .iter()
                .take(100)
                .map(|b| BadRowNote {
                    line: b.line,
                    message: b.message.clone(),
                })
                .collect(),
        },
        notes: log.notes.clone(),
        calibration_end,
        time_unit,
        bgnbd: BgNbdParameters {
            r: purchasing.r.value,
            alpha: purchasing.alpha.value,
            a: purchasing.a.value,
            b: purchasing.b.value,
            log_likelihood: purchasing.log_likelihood,
            std_errors: BgNbdStdErrors {
                r: purchasing.r.std_error,
                alpha: purchasing.alpha.std_error,
                a: purchasing.a.std_error,
                b: purchasing.b.std_error,
            },
        },
        gamma_gamma: GammaGammaParameters {
            p: spend.p.value,
            q: spend.q.value,
            gamma: spend.gamma.value,
            customers: spend.customers,
            non_positive: spend.non_positive,
            log_likelihood: spend.log_likelihood,
            std_errors: GammaGammaStdErrors {
                p: spend.p.std_error,
                q: spend.q.std_error,
                gamma: spend.gamma.std_error,
            },
        },
        holdout,
        scenario,
        scores: None,
        tracking: None,
    }
}
