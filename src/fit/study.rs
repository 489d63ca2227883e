//! `ceq fit survival` and `ceq fit transactions` as library calls: from data already read to the
//! whole result — every fitted column or the BG/NBD and Gamma-Gamma fits with their holdout
//! check, scores, tracking curve and document — so the command line only turns flags into
//! [`SurvivalSettings`] / [`TransactionsSettings`], calls [`fit_survival`] / [`fit_transactions`],
//! prints the [`FitWarning`]s and writes the files (SPEC §14).
//!
//! What the commands used to print between two steps (a column already holding counts, customers
//! who first bought after the calibration end, scores that cannot be computed…) is returned as
//! values, in the order it happened, so that a caller decides how to show it; a failure carries
//! the warnings of the steps before it ([`Failure`]).

use std::collections::HashSet;

use super::fitted_scenario::SurvivalCohort;
use super::report::{
    HoldoutCheck, ScoresBlock, SurvivalFit, TrackedDay, TransactionsFit, holdout_check,
    survival_fit, transactions_fit,
};
use super::scores::{self, ScoreSettings, Scores};
use super::tracking::{self, Tracking};
use super::transactions::{self, BadRow, Summaries, TimeUnit, TransactionLog, format_day};
use super::{FitError, bgnbd, gamma_gamma, sbg};
use crate::model::closed_form::ClosedFormError;

/// Something a caller should tell the user while the result stands.
#[derive(Debug, Clone, PartialEq)]
pub enum FitWarning {
    /// Survival: the column holds counts, so the cohort size given for shares is not used.
    CohortSizeIgnored { column: String },
    /// Survival: the column's shares were multiplied by the cohort size given.
    ScaledToCohortSize { column: String, size: f64 },
    /// Transactions: how the log was read where the file had to decide (date order, a guessed
    /// decimal mark).
    ReadNote(String),
    /// Transactions: rows of the log that could not be read and are left out.
    BadRows(Vec<BadRow>),
    /// Transactions: the holdout ends after the log's last day.
    HoldoutAfterLog { last_day: i64 },
    /// Transactions: customers whose first purchase is after the calibration end.
    LaterCustomers { count: usize, calibration_end: i64 },
    /// Transactions: repeat buyers with an average order value ≤ 0, left out of Gamma-Gamma.
    NonPositiveOrders(usize),
    /// Transactions: scores were wanted for files but cannot be computed (the fit stands).
    NoScores(FitError),
    /// Transactions: the model's cumulative repeat purchases cannot be computed.
    NoTracking(FitError),
}

/// Why a study has no result.
#[derive(Debug, Clone, PartialEq)]
pub enum StudyError {
    /// Survival: no column of that name; the table's cohort columns are listed.
    UnknownColumn { name: String, columns: Vec<String> },
    /// Survival: a column of shares without a cohort size ([`sbg::SurvivalSeries::scale_problem`]).
    Scale(String),
    /// Transactions: the holdout end is not after the calibration end.
    HoldoutNotAfterCalibration { calibration_end: i64 },
    /// Transactions: nobody bought on or before the calibration end.
    NoCustomers { calibration_end: i64 },
    /// The data cannot be fitted (or a fit or closed form failed).
    Fit(FitError),
    /// Transactions: the holdout prediction failed.
    Holdout(ClosedFormError),
    /// Transactions: the tracking curve a chart needs cannot be computed.
    Tracking(FitError),
}

/// A study that stopped, with the warnings of the steps done before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub warnings: Vec<FitWarning>,
    pub error: StudyError,
}

/// The columns to fit and how to read them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurvivalSettings {
    /// Fit only this column (default: every cohort column, each separately).
    pub column: Option<String>,
    /// Fit periods 0..K only.
    pub through: Option<usize>,
    /// Customers at period 0 of a column that holds shares or percentages.
    pub cohort_size: Option<f64>,
}

/// Every fitted column of a survival table.
#[derive(Debug, Clone)]
pub struct SurvivalStudy {
    /// The table's first (period) column header, for the charts' axes.
    pub period_column: String,
    /// The documents, one per fitted column, in the table's order.
    pub fits: Vec<SurvivalFit>,
    /// The columns as cohorts of a written scenario ([`super::fitted_scenario::SurvivalScenario`]);
    /// their names ([`column_stem`]) also name each column's chart files.
    pub cohorts: Vec<SurvivalCohort>,
    pub warnings: Vec<FitWarning>,
}

/// Fits the sBG model (Fader & Hardie 2007) to each selected column of `table`.
pub fn fit_survival(
    table: &sbg::SurvivalTable,
    settings: &SurvivalSettings,
) -> Result<SurvivalStudy, Failure> {
    let mut warnings = Vec::new();
    let fail = |warnings: &Vec<FitWarning>, error| Failure {
        warnings: warnings.clone(),
        error,
    };
    let series: Vec<&sbg::SurvivalSeries> = match &settings.column {
        Some(name) => match table.series.iter().find(|s| &s.name == name) {
            Some(found) => vec![found],
            None => {
                let error = StudyError::UnknownColumn {
                    name: name.clone(),
                    columns: table.series.iter().map(|s| s.name.clone()).collect(),
                };
                return Err(fail(&warnings, error));
            }
        },
        None => table.series.iter().collect(),
    };
    let mut fits = Vec::new();
    let mut cohorts = Vec::new();
    let mut stems = HashSet::new();
    for (index, s) in series.into_iter().enumerate() {
        let counted;
        let s = match (s.scale_problem(), settings.cohort_size) {
            (None, Some(_)) => {
                warnings.push(FitWarning::CohortSizeIgnored {
                    column: s.name.clone(),
                });
                s
            }
            (None, None) => s,
            (Some(problem), None) => return Err(fail(&warnings, StudyError::Scale(problem))),
            (Some(_), Some(size)) => {
                counted = s.as_counts(size);
                warnings.push(FitWarning::ScaledToCohortSize {
                    column: s.name.clone(),
                    size,
                });
                &counted
            }
        };
        let fitted = sbg::fit(&s.alive, settings.through)
            .map_err(|e| fail(&warnings, StudyError::Fit(prefix_column(e, &s.name))))?;
        fits.push(survival_fit(s, &fitted));
        cohorts.push(SurvivalCohort {
            name: column_stem(&s.name, index, &mut stems),
            column: s.name.clone(),
            alpha: fitted.alpha,
            beta: fitted.beta,
            tenure: s.alive.len().saturating_sub(1) as u32,
            survivors: s.alive.last().copied().unwrap_or(0.0).round().max(0.0) as u64,
            initial: s.alive.first().copied().unwrap_or(0.0),
        });
    }
    Ok(SurvivalStudy {
        period_column: table.period_column.clone(),
        fits,
        cohorts,
        warnings,
    })
}

/// A column name as a cohort and file-name part: lower-case ASCII letters, digits and single
/// underscores ("High End" → "high_end"); `column_N` (N counted from 1) when nothing is left,
/// and `_2`, `_3`, … appended when two columns would get the same name.
pub fn column_stem(column: &str, index: usize, used: &mut HashSet<String>) -> String {
    let mut stem = String::new();
    for c in column.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            stem.push(c);
        } else if !stem.is_empty() && !stem.ends_with('_') {
            stem.push('_');
        }
    }
    let trimmed = stem.trim_end_matches('_');
    let base = if trimmed.is_empty() {
        format!("column_{}", index + 1)
    } else {
        trimmed.to_string()
    };
    let mut stem = base.clone();
    let mut suffix = 2;
    while !used.insert(stem.clone()) {
        stem = format!("{base}_{suffix}");
        suffix += 1;
    }
    stem
}

fn prefix_column(error: FitError, column: &str) -> FitError {
    match error {
        FitError::NotEnoughData(message) => {
            FitError::NotEnoughData(format!("column '{column}': {message}"))
        }
        other => other,
    }
}

/// What a transactions study computes beyond the fits.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionsSettings {
    /// Last day of the calibration period, inclusive (default: the log's last day).
    pub calibration_end: Option<i64>,
    /// End of the holdout period, for the holdout check.
    pub holdout_end: Option<i64>,
    pub unit: TimeUnit,
    /// Per-customer scores, when wanted.
    pub scores: Option<ScoreRequest>,
    /// The tracking curve is needed (for a chart): failing to compute it is an error, not a
    /// warning.
    pub tracking_required: bool,
    /// The scenario file the caller writes, as the document names it.
    pub scenario: Option<String>,
}

/// Scores to compute and how much they matter.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRequest {
    pub settings: ScoreSettings,
    /// The file they go to (`--scores`), as the document names it; scores for a file are
    /// required (an error when they cannot be computed), scores only for `--out` are not.
    pub file: Option<String>,
}

/// The BG/NBD and Gamma-Gamma fits of a log with everything derived from them.
#[derive(Debug, Clone)]
pub struct TransactionsStudy {
    /// The document (`fit_transactions.json`, the text).
    pub result: TransactionsFit,
    pub summaries: Summaries,
    pub purchasing: bgnbd::BgNbdFit,
    pub spend: gamma_gamma::GammaGammaFit,
    pub calibration_end: i64,
    pub scores: Option<Scores>,
    pub tracking: Option<Tracking>,
    pub warnings: Vec<FitWarning>,
}

/// Fits BG/NBD purchasing and dropout (Fader, Hardie & Lee 2005a) and Gamma-Gamma order values
/// (Fader, Hardie & Lee 2005b) to `log`, with the holdout check, scores and tracking curve the
/// settings ask for.
pub fn fit_transactions(
    log: &TransactionLog,
    settings: &TransactionsSettings,
) -> Result<TransactionsStudy, Failure> {
    let mut warnings: Vec<FitWarning> = log
        .notes
        .iter()
        .map(|n| FitWarning::ReadNote(n.clone()))
        .collect();
    if !log.bad_rows.is_empty() {
        warnings.push(FitWarning::BadRows(log.bad_rows.clone()));
    }
    let fail = |warnings: &Vec<FitWarning>, error| Failure {
        warnings: warnings.clone(),
        error,
    };
    let unit = settings.unit;
    let last_day = log.last_day().unwrap_or_default();
    let calibration_end = settings.calibration_end.unwrap_or(last_day);
    if let Some(end) = settings.holdout_end {
        if end <= calibration_end {
            let error = StudyError::HoldoutNotAfterCalibration { calibration_end };
            return Err(fail(&warnings, error));
        }
        if end > last_day {
            warnings.push(FitWarning::HoldoutAfterLog { last_day });
        }
    }
    let summaries = transactions::summarize(log, calibration_end, unit, settings.holdout_end);
    if summaries.customers.is_empty() {
        return Err(fail(&warnings, StudyError::NoCustomers { calibration_end }));
    }
    if summaries.later_customers > 0 {
        warnings.push(FitWarning::LaterCustomers {
            count: summaries.later_customers,
            calibration_end,
        });
    }
    let customers = &summaries.customers;
    let purchasing = bgnbd::fit(customers).map_err(|e| fail(&warnings, StudyError::Fit(e)))?;
    let spend = gamma_gamma::fit(customers).map_err(|e| fail(&warnings, StudyError::Fit(e)))?;
    if spend.non_positive > 0 {
        warnings.push(FitWarning::NonPositiveOrders(spend.non_positive));
    }
    let scored = match &settings.scores {
        None => None,
        Some(request) => match scores::score(
            customers,
            &log.customers,
            purchasing.params(),
            spend.params(),
            &request.settings,
        ) {
            Ok(scored) => Some(scored),
            Err(error) if request.file.is_some() => {
                return Err(fail(&warnings, StudyError::Fit(error)));
            }
            Err(error) => {
                warnings.push(FitWarning::NoScores(error));
                None
            }
        },
    };
    let holdout: Option<HoldoutCheck> = match settings.holdout_end {
        Some(end) => Some(
            holdout_check(customers, &purchasing, calibration_end, end, unit)
                .map_err(|e| fail(&warnings, StudyError::Holdout(e)))?,
        ),
        None => None,
    };
    let tracking = match tracking::cumulative_repeat_purchases(
        log,
        purchasing.params(),
        calibration_end,
        settings.holdout_end.unwrap_or(calibration_end),
        unit,
    ) {
        Ok(tracked) => Some(tracked),
        Err(error) if settings.tracking_required => {
            return Err(fail(&warnings, StudyError::Tracking(error)));
        }
        Err(error) => {
            warnings.push(FitWarning::NoTracking(error));
            None
        }
    };
    let mut result = transactions_fit(
        log,
        &summaries,
        &purchasing,
        &spend,
        format_day(calibration_end),
        unit,
        holdout,
        settings.scenario.clone(),
    );
    result.tracking = tracking
        .as_ref()
        .map(|t| t.points.iter().map(TrackedDay::from).collect());
    result.scores = scored.as_ref().map(|s| ScoresBlock {
        file: settings.scores.as_ref().and_then(|r| r.file.clone()),
        summary: s.summary(),
    });
    Ok(TransactionsStudy {
        result,
        summaries,
        purchasing,
        spend,
        calibration_end,
        scores: scored,
        tracking,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_become_file_name_parts() {
        let mut used = HashSet::new();
        let mut stem = |column: &str, index: usize| column_stem(column, index, &mut used);
        assert_eq!(stem("regular", 0), "regular");
        assert_eq!(stem("High End", 1), "high_end");
        assert_eq!(stem("high-end", 2), "high_end_2");
        assert_eq!(stem(" Stammkunden (€) ", 3), "stammkunden");
        assert_eq!(stem("2024/Q1..Q2", 4), "2024_q1_q2");
        assert_eq!(stem("€€", 5), "column_6");
        assert_eq!(stem("", 6), "column_7");
        assert_eq!(stem("../../etc", 7), "etc");
    }

    fn table(text: &str) -> sbg::SurvivalTable {
        sbg::read_survival_table(text).expect("a readable table")
    }

    #[test]
    fn warnings_of_earlier_columns_travel_with_a_later_failure() {
        // The first column holds counts (the cohort size is ignored for it, a warning); the
        // second holds shares, scaled by the cohort size (a note); both are fitted.
        let both = table("period,a,b\n0,1000,1\n1,600,0.7\n2,420,0.55\n3,330,0.47\n");
        let settings = SurvivalSettings {
            cohort_size: Some(500.0),
            ..SurvivalSettings::default()
        };
        let study = fit_survival(&both, &settings).expect("both columns fit");
        assert_eq!(study.fits.len(), 2);
        assert_eq!(
            study.warnings,
            vec![
                FitWarning::CohortSizeIgnored {
                    column: "a".to_string()
                },
                FitWarning::ScaledToCohortSize {
                    column: "b".to_string(),
                    size: 500.0
                },
            ]
        );
        assert_eq!(study.fits[1].table[0].actual, 500.0);
        // Without a cohort size the shares column is refused after the counts column fitted.
        let failure = fit_survival(&both, &SurvivalSettings::default()).unwrap_err();
        assert!(matches!(failure.error, StudyError::Scale(_)));
        assert!(failure.warnings.is_empty());
        let unknown = fit_survival(
            &both,
            &SurvivalSettings {
                column: Some("c".to_string()),
                ..SurvivalSettings::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            unknown.error,
            StudyError::UnknownColumn {
                name: "c".to_string(),
                columns: vec!["a".to_string(), "b".to_string()]
            }
        );
    }

    #[test]
    fn a_transactions_study_returns_its_warnings_in_order() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/cdnow_sample_transactions.csv"
        ))
        .expect("the CDNOW sample");
        let log = transactions::read_transactions(&text, &transactions::Columns::default())
            .expect("a readable log");
        let last_day = log.last_day().expect("a day");
        let calibration_end = transactions::parse_date("1997-09-30").expect("a date");
        let settings = TransactionsSettings {
            calibration_end: Some(calibration_end),
            holdout_end: Some(last_day + 7),
            unit: TimeUnit::Week,
            scores: None,
            tracking_required: false,
            scenario: None,
        };
        let study = fit_transactions(&log, &settings).expect("the sample fits");
        // Customers who first bought after September 1997 are counted, and the holdout running
        // past the log is said before them.
        let later = study
            .warnings
            .iter()
            .position(|w| matches!(w, FitWarning::LaterCustomers { .. }));
        let after = study
            .warnings
            .iter()
            .position(|w| *w == FitWarning::HoldoutAfterLog { last_day });
        assert!(after.is_some() && later.is_none_or(|later| after < Some(later)));
        assert_eq!(study.result.customers, study.summaries.customers.len());
        assert!(study.result.holdout.is_some() && study.tracking.is_some());
        let refused = fit_transactions(
            &log,
            &TransactionsSettings {
                holdout_end: Some(calibration_end),
                ..settings
            },
        )
        .unwrap_err();
        assert_eq!(
            refused.error,
            StudyError::HoldoutNotAfterCalibration { calibration_end }
        );
    }
}
