//! The shifted-beta-geometric (sBG) churn model, fitted to customers alive per period
//! (Fader & Hardie 2007, "How to project customer retention", J. Interactive Marketing).
//!
//! Each customer has a churn probability θ ~ Beta(α, β) and renews each period with
//! probability 1 − θ. Of a cohort observed at periods 0..K,
//! P(churn in period t) = B(α + 1, β + t − 1)/B(α, β) and S(t) = B(α, β + t)/B(α, β), so the
//! log-likelihood (their eq. 6) is
//!
//! LL(α, β) = Σ_{t=1..K} (n_{t−1} − n_t)·ln P(T = t) + n_K·ln S(K).
//!
//! The table is the shape of Fader & Hardie's: a header, a first column with the periods
//! 0, 1, 2, … and one column per cohort with its customers alive. A cohort observed for fewer
//! periods (a younger cohort in a triangular table) leaves its later cells blank.

use super::sum::NeumaierSum;
use super::transactions::{LineCounter, open_csv};
use super::{Estimate, FitError, estimates, maximize_positive};
use crate::model::closed_form::{ln_beta, sbg_retention_rate, sbg_survival};

/// One cohort's customers alive at periods 0, 1, …, with the line of the file each came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalSeries {
    pub name: String,
    pub alive: Vec<f64>,
}

/// What the numbers of a survival column look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesScale {
    /// Customers alive: what the likelihood needs.
    Counts,
    /// Every value at most 1: shares of the cohort alive.
    Shares,
    /// Starting at 100 with fractions after: percentages of the cohort alive.
    Percentages,
}

impl SurvivalSeries {
    /// Whether the column holds counts of customers, or shares or percentages of the cohort,
    /// which the sBG likelihood cannot use as they are: it weighs each period's churn by the
    /// number of customers, so shares make a cohort of one customer and standard errors
    /// √1000 times too wide for a cohort of 1,000 (percentages, a cohort of 100).
    pub fn scale(&self) -> SeriesScale {
        let first = self.alive.first().copied().unwrap_or(0.0);
        if first > 0.0 && self.alive.iter().all(|&v| v <= 1.0) {
            SeriesScale::Shares
        } else if first == 100.0 && self.alive.iter().any(|v| v.fract() != 0.0) {
            SeriesScale::Percentages
        } else {
            SeriesScale::Counts
        }
    }

    /// The column as counts of a cohort of `size` customers: shares × size, percentages ×
    /// size/100; counts unchanged.
    pub fn as_counts(&self, size: f64) -> SurvivalSeries {
        let factor = match self.scale() {
            SeriesScale::Counts => 1.0,
            SeriesScale::Shares => size,
            SeriesScale::Percentages => size / 100.0,
        };
        SurvivalSeries {
            name: self.name.clone(),
            alive: self.alive.iter().map(|v| v * factor).collect(),
        }
    }

    /// Why the column cannot be fitted as it is, for shares and percentages.
    pub fn scale_problem(&self) -> Option<String> {
        let what = match self.scale() {
            SeriesScale::Counts => return None,
            SeriesScale::Shares => "shares of the cohort",
            SeriesScale::Percentages => "percentages of the cohort",
        };
        let shown: Vec<String> = self.alive.iter().take(4).map(|v| format!("{v}")).collect();
        Some(format!(
            "column '{}' looks like {what} ({}, …), not counts of customers; the sBG \
             likelihood weighs each period by the customers in it, so its estimates' standard \
             errors would be meaningless; give the cohort's size or the counts themselves",
            self.name,
            shown.join(", ")
        ))
    }
}

/// A table of survival series, one per column after the period column.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalTable {
    pub period_column: String,
    pub series: Vec<SurvivalSeries>,
}

/// Reads a survival table from CSV text (comma, semicolon or tab; a header row).
///
/// Errors name the line: a period that is not 0, 1, 2, … in order, a count that is not a
/// number ≥ 0, a count larger than the period before, a blank cell followed by a number.
pub fn read_survival_table(text: &str) -> Result<SurvivalTable, FitError> {
    let (text, delimiter, mut reader, header) = open_csv(text)?;
    if header.len() < 2 {
        return Err(FitError::MissingColumn(format!(
            "line 1: the header has {} column(s) split at '{}'; expected a period column and \
             at least one cohort column, e.g. `year,regular,high_end`",
            header.len(),
            char::from(delimiter)
        )));
    }
    let mut series: Vec<SurvivalSeries> = header
        .iter()
        .skip(1)
        .map(|name| SurvivalSeries {
            name: name.to_string(),
            alive: Vec::new(),
        })
        .collect();
    let mut ended = vec![false; series.len()];
    let mut expected_period = 0u64;
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let record = record.map_err(|e| FitError::Line {
            line: lines.line_at(e.position().map_or(0, |p| p.byte())),
            message: e.to_string(),
        })?;
        let line = lines.line_at(record.position().map_or(0, |p| p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        let bad = |message: String| FitError::Line { line, message };
        let period = record.get(0).unwrap_or("");
        if period.parse::<f64>().ok() != Some(expected_period as f64) {
            return Err(bad(format!(
                "expected period {expected_period} in the first column, found '{period}'; \
                 periods must run 0, 1, 2, … in order"
            )));
        }
        for (column, entry) in series.iter_mut().enumerate() {
            let cell = record.get(column + 1).unwrap_or("");
            if cell.is_empty() {
                ended[column] = true;
                continue;
            }
            if ended[column] {
                return Err(bad(format!(
                    "column '{}' has a value after a blank cell; a cohort's counts must be \
                     consecutive",
                    entry.name
                )));
            }
            let value: f64 = cell
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    bad(format!(
                        "column '{}': '{cell}' is not a count of customers (a number ≥ 0)",
                        entry.name
                    ))
                })?;
            if let Some(&previous) = entry.alive.last()
                && value > previous
            {
                return Err(bad(format!(
                    "column '{}': {value} customers alive in period {expected_period} but \
                     {previous} in the period before; a cohort can only shrink",
                    entry.name
                )));
            }
            entry.alive.push(value);
        }
        expected_period += 1;
    }
    if expected_period == 0 {
        return Err(FitError::Empty);
    }
    Ok(SurvivalTable {
        period_column: header.get(0).unwrap_or("period").to_string(),
        series,
    })
}

/// An sBG fit: α, β with standard errors, the maximized log-likelihood and the last period
/// used (`alive[0..=through]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SbgFit {
    pub alpha: Estimate,
    pub beta: Estimate,
    pub log_likelihood: f64,
    pub through: usize,
}

impl SbgFit {
    /// Expected customers alive at period t of a cohort that starts with `initial`.
    pub fn fitted_alive(&self, initial: f64, t: u32) -> f64 {
        initial * sbg_survival(self.alpha.value, self.beta.value, t)
    }

    /// Projected retention rate of period t (t ≥ 1): the share of those alive at t − 1 who
    /// are still alive at t (Fader & Hardie 2007, eq. 8).
    pub fn retention_rate(&self, t: u32) -> f64 {
        sbg_retention_rate(self.alpha.value, self.beta.value, t)
    }

    /// Mean churn probability α/(α + β) of a new customer.
    pub fn mean_churn(&self) -> f64 {
        self.alpha.value / (self.alpha.value + self.beta.value)
    }
}

/// The sBG log-likelihood of customers alive at periods 0..=K (`alive.len()` = K + 1).
/// α, β > 0; −∞ outside. Summed with Neumaier compensation ([`NeumaierSum`]).
pub fn log_likelihood(alpha: f64, beta: f64, alive: &[f64]) -> f64 {
    if !(alpha > 0.0 && beta > 0.0) {
        return f64::NEG_INFINITY;
    }
    let base = ln_beta(alpha, beta);
    let mut total = NeumaierSum::default();
    for t in 1..alive.len() {
        let churned = alive[t - 1] - alive[t];
        if churned > 0.0 {
            total.add(churned * (ln_beta(alpha + 1.0, beta + t as f64 - 1.0) - base));
        }
    }
    let last = alive.len() - 1;
    if alive[last] > 0.0 {
        total.add(alive[last] * (ln_beta(alpha, beta + last as f64) - base));
    }
    total.total()
}

/// Fits α, β to `alive[0..=through]` (all of `alive` when `through` is None) by maximum
/// likelihood. Needs at least periods 0..2, some churn and some survivors.
pub fn fit(alive: &[f64], through: Option<usize>) -> Result<SbgFit, FitError> {
    let through = through.unwrap_or(alive.len().saturating_sub(1));
    if through >= alive.len() {
        return Err(FitError::NotEnoughData(format!(
            "--through {through} asks for periods 0..{through} but the column has periods \
             0..{} only",
            alive.len().saturating_sub(1)
        )));
    }
    let data = &alive[..=through];
    if data.len() < 3 {
        return Err(FitError::NotEnoughData(format!(
            "the sBG model has two parameters and needs customers alive at periods 0, 1 and 2 \
             at least; found {} period(s)",
            data.len()
        )));
    }
    if data[0] <= 0.0 || data[through] == data[0] {
        return Err(FitError::NotEnoughData(
            "nobody churned in the periods fitted, so churn cannot be estimated".to_string(),
        ));
    }
    if data[through] <= 0.0 {
        return Err(FitError::NotEnoughData(format!(
            "every customer had churned by period {through}; fit an earlier range with \
             --through"
        )));
    }
    let nll = |p: &[f64]| -log_likelihood(p[0], p[1], data);
    let [alpha, beta] = maximize_positive("sBG", [1.0, 1.0], nll)?;
    let [alpha_estimate, beta_estimate] = estimates([alpha, beta], nll);
    Ok(SbgFit {
        alpha: alpha_estimate,
        beta: beta_estimate,
        log_likelihood: log_likelihood(alpha, beta, data),
        through,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "year,regular,high_end\n0,1000,1000\n1,631,869\n2,468,743\n\
        3,382,653\n4,326,593\n5,289,551\n6,262,517\n7,241,491\n8,223,468\n";

    #[test]
    fn reads_the_fader_hardie_table() {
        let table = read_survival_table(TABLE).unwrap();
        assert_eq!(table.period_column, "year");
        assert_eq!(table.series.len(), 2);
        assert_eq!(table.series[0].name, "regular");
        assert_eq!(table.series[1].alive[..3], [1000.0, 869.0, 743.0]);
    }

    #[test]
    fn fits_fader_hardie_2007_regular_and_high_end() {
        let table = read_survival_table(TABLE).unwrap();
        let regular = fit(&table.series[0].alive, Some(7)).unwrap();
        assert!(
            (regular.alpha.value / 0.704 - 1.0).abs() < 0.005,
            "{regular:?}"
        );
        assert!(
            (regular.beta.value / 1.182 - 1.0).abs() < 0.005,
            "{regular:?}"
        );
        let high_end = fit(&table.series[1].alive, Some(7)).unwrap();
        assert!(
            (high_end.alpha.value / 0.668 - 1.0).abs() < 0.005,
            "{high_end:?}"
        );
        assert!(
            (high_end.beta.value / 3.806 - 1.0).abs() < 0.005,
            "{high_end:?}"
        );
    }

    #[test]
    fn standard_errors_match_an_independent_finite_difference_hessian() {
        let table = read_survival_table(TABLE).unwrap();
        let alive = &table.series[0].alive[..=7];
        let fitted = fit(alive, Some(7)).unwrap();
        let (a, b) = (fitted.alpha.value, fitted.beta.value);
        // A coarser, one-sided-free 5-point stencil with a different step.
        let h = 1e-3;
        let ll = |x: f64, y: f64| log_likelihood(x, y, alive);
        let haa = (ll(a + h, b) - 2.0 * ll(a, b) + ll(a - h, b)) / (h * h);
        let hbb = (ll(a, b + h) - 2.0 * ll(a, b) + ll(a, b - h)) / (h * h);
        let hab = (ll(a + h, b + h) - ll(a + h, b - h) - ll(a - h, b + h) + ll(a - h, b - h))
            / (4.0 * h * h);
        // Covariance = inverse of the information [[-haa, -hab], [-hab, -hbb]].
        let det = haa * hbb - hab * hab;
        let se_alpha = (-hbb / det).sqrt();
        let se_beta = (-haa / det).sqrt();
        let got_alpha = fitted.alpha.std_error.unwrap();
        let got_beta = fitted.beta.std_error.unwrap();
        assert!(
            (got_alpha / se_alpha - 1.0).abs() < 1e-3,
            "{got_alpha} vs {se_alpha}"
        );
        assert!(
            (got_beta / se_beta - 1.0).abs() < 1e-3,
            "{got_beta} vs {se_beta}"
        );
    }

    #[test]
    fn fitted_counts_follow_the_survival_function() {
        let table = read_survival_table(TABLE).unwrap();
        let fitted = fit(&table.series[0].alive, Some(7)).unwrap();
        assert_eq!(fitted.fitted_alive(1000.0, 0), 1000.0);
        let r1 = fitted.retention_rate(1);
        assert!((fitted.fitted_alive(1000.0, 1) - 1000.0 * r1).abs() < 1e-9);
        assert!(
            fitted.retention_rate(5) > r1,
            "retention rises as churners leave"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let rising = "period,a\n0,100\n1,80\n2,90\n";
        assert_eq!(
            read_survival_table(rising).unwrap_err().to_string(),
            "line 4: column 'a': 90 customers alive in period 2 but 80 in the period before; \
             a cohort can only shrink"
        );
        let text = "period;a\n0;100\n1;eighty\n";
        assert_eq!(
            read_survival_table(text).unwrap_err().to_string(),
            "line 3: column 'a': 'eighty' is not a count of customers (a number ≥ 0)"
        );
        let skipped = "period,a\n0,100\n2,80\n";
        assert_eq!(
            read_survival_table(skipped).unwrap_err().to_string(),
            "line 3: expected period 1 in the first column, found '2'; periods must run 0, 1, \
             2, … in order"
        );
        assert_eq!(read_survival_table("\n\n"), Err(FitError::Empty));
    }

    #[test]
    fn triangular_tables_end_columns_at_a_blank() {
        let text = "period,old,young\n0,100,200\n1,80,150\n2,70,\n3,65,\n";
        let table = read_survival_table(text).unwrap();
        assert_eq!(table.series[0].alive.len(), 4);
        assert_eq!(table.series[1].alive, [200.0, 150.0]);
        let error = fit(&table.series[1].alive, None).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("needs customers alive at periods 0, 1 and 2")
        );
    }

    #[test]
    fn through_beyond_the_data_is_refused() {
        let error = fit(&[100.0, 80.0, 70.0], Some(5)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--through 5 asks for periods 0..5 but the column has periods 0..2 only"
        );
    }
}
