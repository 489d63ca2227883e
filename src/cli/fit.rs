//! `ceq fit survival` and `ceq fit transactions`: calibration from a company's own data
//! (SPEC §14). The fitting is in [`crate::fit`]; this file reads the files, maps errors to exit
//! codes, writes the scenario, `fit_<kind>.json` and the calibration charts atomically and renders what
//! a strategist reads.

use anyhow::anyhow;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use std::path::{Path, PathBuf};

use super::args::{ChartArgs, OutputArgs};
use super::output::same_file;
use super::progress::{self, Console};
use super::{CliError, output, print_stdout};
use crate::chart;
use crate::export::text::fit::{
    count, file_name, render_scores, render_survival, render_transactions,
};
use crate::fit::fitted_scenario::{self, FittedScenario};
use crate::fit::formats::DateFormat;
use crate::fit::scores::{ScoreSettings, Scores};
use crate::fit::study::{
    self, FitWarning, ScoreRequest, StudyError, SurvivalSettings, TransactionsSettings,
};
use crate::fit::transactions::{self, Columns, TimeUnit, format_day};
use crate::fit::{FitError, sbg};
use crate::scenario;

/// Fit scenario parameters from your data: churn from a retention table, purchasing, dropout
/// and order values from a transaction log, acquisition response curves from a spend history,
/// or a retention programme's effect from an experiment.
#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(subcommand)]
    pub model: FitCommand,
}

#[derive(Debug, Subcommand)]
pub enum FitCommand {
    Survival(SurvivalArgs),
    Transactions(TransactionsArgs),
    Response(super::fit_response::ResponseArgs),
    RetentionTest(super::fit_retention::RetentionTestArgs),
}

/// Fit the sBG churn model (Fader & Hardie 2007) to customers alive per period.
///
/// TABLE has a header, a first column with the periods 0, 1, 2, … and one column per cohort
/// with its customers still active at each period (blank cells end a younger cohort). Prints
/// alpha and beta with standard errors, fitted against actual counts, projected retention
/// rates and the `retention = { … }` line to paste into a scenario. --json prints one JSON
/// document, an array of them when several columns are fitted.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq fit survival retention.csv
  ceq fit survival retention.csv --column regular --through 7
  ceq fit survival retention.csv --json
  ceq fit survival retention.csv --write-scenario survivors.toml --horizon 20
  ceq fit survival retention.csv --through 7 --out fit/ --charts   (fit_survival.json and, per column,
                                         survival_<column>.png/.svg: actual vs fitted alive)")]
pub struct SurvivalArgs {
    /// The survival table (CSV; comma, semicolon or tab).
    #[arg(value_name = "TABLE")]
    pub table: PathBuf,

    /// Fit only this column (default: every cohort column, each separately).
    #[arg(long, value_name = "NAME")]
    pub column: Option<String>,

    /// Fit periods 0..K only; later periods are shown as a check of the projection.
    #[arg(long, value_name = "K")]
    pub through: Option<usize>,

    /// Customers at period 0 when the table holds shares (1, 0.63, …) or percentages (100,
    /// 63.1, …) of the cohort instead of counts; without it such a table is refused.
    #[arg(long, value_name = "N", value_parser = parse_cohort_size)]
    pub cohort_size: Option<f64>,

    /// Write a runnable scenario to PATH: one sBG cohort per fitted column, its customers the
    /// column's survivors at their tenure (renewals survived). An existing PATH is kept unless
    /// --force; the table itself is never replaced.
    #[arg(long, value_name = "PATH")]
    pub write_scenario: Option<PathBuf>,

    /// Periods the written scenario simulates.
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub horizon: u32,

    /// Periods per year of the table's periods, for the written scenario's discounting (1:
    /// yearly renewals, 12: monthly).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=366))]
    pub periods_per_year: u32,

    /// Annual discount rate of the written scenario (0.10 is 10%).
    #[arg(long, value_name = "RATE", default_value_t = 0.10, value_parser = parse_discount_rate)]
    pub discount_rate: f64,

    /// Replace an existing --write-scenario file.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub charts: ChartArgs,
}

/// Fit BG/NBD purchasing and dropout and Gamma-Gamma order values to a transaction log.
///
/// LOG has a header and one row per order: a customer, a date (2024-03-31, 20240331,
/// 18/01/1997, 01/18/1997, 18.01.1997 or any --date-format) and an amount ($29.33, 1.234,50 €,
/// …). Orders of one customer on one day count as one transaction. Prints the parameters
/// with standard errors and what they mean, a holdout check with --holdout-end, and the lines
/// to paste into a scenario; --write-scenario writes a runnable one.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq fit transactions orders.csv --calibration-end 2024-06-30
  ceq fit transactions orders.csv --calibration-end 1997-09-30 --holdout-end 1998-06-30
  ceq fit transactions orders.csv --calibration-end 2024-06-30 --write-scenario fitted.toml
  ceq fit transactions orders.csv --calibration-end 2024-06-30 --scores scores.csv \\
      --horizon 52 --margin 0.3 --discount-rate 0.10
  ceq fit transactions orders.csv --calibration-end 1997-09-30 --holdout-end 1998-06-30 \\
      --out fit/ --charts   (fit_transactions.json and repeat_purchases.png/.svg: cumulative repeat
                             purchases of the cohort, actual vs BG/NBD, week by week)
  ceq fit transactions export.csv --customer-col Kunde --date-col Datum --amount-col Betrag")]
pub struct TransactionsArgs {
    /// The transaction log (CSV; comma, semicolon or tab).
    #[arg(value_name = "LOG")]
    pub log: PathBuf,

    /// Last day of the calibration period, inclusive (default: the log's last day).
    #[arg(long, value_name = "DATE")]
    pub calibration_end: Option<String>,

    /// Holdout period end: compare predicted and actual purchases after the calibration end.
    #[arg(long, value_name = "DATE")]
    pub holdout_end: Option<String>,

    /// The time unit of the model and of the written scenario's periods.
    #[arg(long, value_enum, default_value_t = UnitArg::Week)]
    pub time_unit: UnitArg,

    /// Customer column (default: customer_id, customer, … whichever the header has).
    #[arg(long, value_name = "NAME")]
    pub customer_col: Option<String>,

    /// Date column (default: date, order_date, …).
    #[arg(long, value_name = "NAME")]
    pub date_col: Option<String>,

    /// Amount column (default: amount, order total, total, revenue, sales, …).
    #[arg(long, value_name = "NAME")]
    pub amount_col: Option<String>,

    /// How the log's dates are written, strftime-style: %m/%d/%Y, %d.%m.%Y, %d %b %Y, … (default:
    /// ISO, compact, and day-first or month-first dates when the file's dates decide which).
    #[arg(long, value_name = "FORMAT")]
    pub date_format: Option<String>,

    /// Periods the written scenario simulates and the scores look ahead (in --time-unit).
    #[arg(long, value_name = "N", default_value_t = 52,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub horizon: u32,

    /// Write a runnable scenario with the fitted cohort to PATH, its customers with their
    /// histories in PATH's stem + `.history.csv` beside it (fitted.toml → fitted.history.csv).
    /// Existing files are kept unless --force.
    #[arg(long, value_name = "PATH")]
    pub write_scenario: Option<PathBuf>,

    /// Write each customer's scores to FILE (CSV): P(alive), expected purchases over
    /// --horizon, expected order value, clv and its 90% interval. An existing FILE is kept
    /// unless --force; the log itself is never replaced.
    #[arg(long, value_name = "FILE")]
    pub scores: Option<PathBuf>,

    /// Gross margin on order value, 0 to 1, for the scores' clv and the written scenario
    /// (1 values revenue).
    #[arg(long, value_name = "M", default_value_t = ScoreSettings::DEFAULT_MARGIN,
          value_parser = parse_margin)]
    pub margin: f64,

    /// Annual discount rate for the scores' clv and the written scenario (0.10 is 10%).
    #[arg(long, value_name = "RATE", default_value_t = ScoreSettings::DEFAULT_DISCOUNT_RATE,
          value_parser = parse_discount_rate)]
    pub discount_rate: f64,

    /// Seed of the posterior draws behind the clv interval; the same seed gives the same
    /// scores byte for byte.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Replace an existing --scores or --write-scenario file (and the scenario's history CSV).
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub charts: ChartArgs,
}

/// `--cohort-size`: a number of customers > 0.
fn parse_cohort_size(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if n > 0.0 && n.is_finite() => Ok(n),
        _ => Err(format!(
            "expected the number of customers at period 0 (e.g. 1000), got '{text}'"
        )),
    }
}

/// `--margin`: a share of order value from 0 to 1.
fn parse_margin(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(m) if (0.0..=1.0).contains(&m) => Ok(m),
        _ => Err(format!(
            "expected a gross margin from 0 to 1 (0.3 is 30% of order value), got '{text}'"
        )),
    }
}

/// `--discount-rate`: an annual rate ≥ 0.
fn parse_discount_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(d) if d >= 0.0 && d.is_finite() => Ok(d),
        _ => Err(format!(
            "expected an annual discount rate ≥ 0 (0.10 is 10% a year), got '{text}'"
        )),
    }
}

/// The `--time-unit` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UnitArg {
    Day,
    Week,
    Month,
}

impl From<UnitArg> for TimeUnit {
    fn from(unit: UnitArg) -> Self {
        match unit {
            UnitArg::Day => TimeUnit::Day,
            UnitArg::Week => TimeUnit::Week,
            UnitArg::Month => TimeUnit::Month,
        }
    }
}

pub fn run(args: &FitArgs, console: Console) -> Result<(), CliError> {
    match &args.model {
        FitCommand::Survival(args) => survival(args, console),
        FitCommand::Transactions(args) => transactions(args, console),
        FitCommand::Response(args) => super::fit_response::run(args, console),
        FitCommand::RetentionTest(args) => super::fit_retention::run(args, console),
    }
}

/// Bad data and data that cannot identify the model are the input's fault (exit 2); a
/// maximizer or closed form that fails on good data is ours (exit 1). Shared by every fit.
pub(super) fn fit_error(file: &Path, error: FitError) -> CliError {
    let error_with_file = anyhow!("{}: {error}", file.display());
    match error {
        FitError::NoMaximum { .. } | FitError::ClosedForm(_) => CliError::failed(error_with_file),
        FitError::Empty
        | FitError::Line { .. }
        | FitError::MissingColumn(_)
        | FitError::NotEnoughData(_)
        | FitError::Settings(_) => CliError::invalid(error_with_file),
    }
}

/// A data file's text: a regular file of bounded size (`/dev/zero` or a FIFO is refused before
/// it is read, [`super::limits::read_data_text`]), invalid UTF-8 replaced.
pub(super) fn read_text(file: &Path) -> Result<String, CliError> {
    super::limits::read_data_text(file).map_err(CliError::invalid)
}

/// A result as pretty JSON with a final newline ([`crate::export::json`]).
pub(super) fn json_text(value: &impl Serialize) -> Result<String, CliError> {
    let bytes = crate::export::json(value).map_err(CliError::failed)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

// ---------------------------------------------------------------------------------------------
// ceq fit survival

fn survival(args: &SurvivalArgs, console: Console) -> Result<(), CliError> {
    args.charts.check(args.output.out.as_deref())?;
    let file = &args.table;
    if let Some(path) = &args.write_scenario {
        check_new_file("--write-scenario", path, &[file], args.force)?;
    }
    let text = read_text(file)?;
    let table = sbg::read_survival_table(&text).map_err(|e| fit_error(file, e))?;
    let settings = SurvivalSettings {
        column: args.column.clone(),
        through: args.through,
        cohort_size: args.cohort_size,
    };
    let study = study::fit_survival(&table, &settings).map_err(|f| failure(file, None, f))?;
    print_warnings(file, None, &study.warnings);
    if let Some(path) = &args.write_scenario {
        let text = fitted_scenario::SurvivalScenario {
            source: &file_name(file),
            periods: args.horizon,
            periods_per_year: args.periods_per_year,
            discount_rate: args.discount_rate,
            cohorts: study.cohorts.clone(),
        }
        .to_toml();
        write_scenario(console, path, &text)?;
    }
    let json = match study.fits.as_slice() {
        [one] => json_text(one)?,
        many => json_text(&many)?,
    };
    if let Some(dir) = &args.output.out {
        let mut files = vec![("fit_survival.json".to_string(), json.clone().into_bytes())];
        if args.charts.charts {
            let source = file_name(file);
            for (result, cohort) in study.fits.iter().zip(&study.cohorts) {
                let stem = format!("survival_{}", cohort.name);
                let data = chart::fit::survival_chart(&source, &study.period_column, result);
                let rendered = chart::calibration_chart(&data).map_err(CliError::failed)?;
                files.extend(output::chart_files(vec![(stem.as_str(), rendered)]));
            }
        }
        output::write_reported(console, dir, &files)?;
    }
    if args.output.json {
        return print_stdout(&json);
    }
    let mut out = String::new();
    for result in &study.fits {
        render_survival(&mut out, file, result);
    }
    print_stdout(&out)
}

/// Prints a study's warnings on stderr, each naming the data file (and `--holdout-end` as the
/// user wrote it) where it concerns them.
fn print_warnings(file: &Path, holdout_end: Option<&str>, warnings: &[FitWarning]) {
    let file_text = file.display();
    for warning in warnings {
        match warning {
            FitWarning::CohortSizeIgnored { column } => progress::note(&format!(
                "warning: {file_text}: column '{column}' already holds counts of customers; \
                 --cohort-size is ignored for it"
            )),
            FitWarning::ScaledToCohortSize { column, size } => progress::note(&format!(
                "note: {file_text}: column '{column}' scaled to a cohort of {} customers \
                 (--cohort-size)",
                count(*size)
            )),
            FitWarning::ReadNote(note) => progress::note(&format!("note: {file_text}: {note}")),
            FitWarning::BadRows(rows) => warn_bad_rows(file, rows),
            FitWarning::HoldoutAfterLog { last_day } => progress::note(&format!(
                "warning: --holdout-end {} is after the log's last day {}; the holdout check \
                 counts purchases that cannot be in the log yet",
                holdout_end.unwrap_or_default(),
                format_day(*last_day)
            )),
            FitWarning::LaterCustomers {
                count,
                calibration_end,
            } => progress::note(&format!(
                "warning: {count} customer(s) first bought after the calibration end {} and are \
                 not in the fit",
                format_day(*calibration_end)
            )),
            FitWarning::NonPositiveOrders(count) => progress::note(&format!(
                "warning: {count} repeat buyer(s) with an average order value ≤ 0 (returns or \
                 refunds larger than purchases) are left out of the Gamma-Gamma fit"
            )),
            FitWarning::NoScores(error) => progress::note(&format!(
                "warning: no scores.csv: the customers cannot be scored ({error})"
            )),
            FitWarning::NoTracking(error) => progress::note(&format!(
                "warning: the cumulative repeat purchases of the model cannot be computed \
                 ({error}); the JSON has no tracking curve"
            )),
        }
    }
}

/// A study that stopped: the warnings of its steps before it, then the error with its exit
/// code (the data's fault, exit 2, or a computation's, exit 1).
fn failure(file: &Path, holdout_end: Option<&str>, failure: study::Failure) -> CliError {
    print_warnings(file, holdout_end, &failure.warnings);
    match failure.error {
        StudyError::UnknownColumn { name, columns } => CliError::invalid(anyhow!(
            "{}: no column named '{name}'; the cohort columns are: {}",
            file.display(),
            columns.join(", ")
        )),
        StudyError::Scale(problem) => CliError::invalid(anyhow!(
            "{}: {problem} with --cohort-size N",
            file.display()
        )),
        StudyError::HoldoutNotAfterCalibration { calibration_end } => CliError::invalid(anyhow!(
            "--holdout-end {} must come after the calibration end {}",
            holdout_end.unwrap_or_default(),
            format_day(calibration_end)
        )),
        StudyError::NoCustomers { calibration_end } => CliError::invalid(anyhow!(
            "{}: no customer bought on or before the calibration end {}",
            file.display(),
            format_day(calibration_end)
        )),
        StudyError::Fit(error) => fit_error(file, error),
        StudyError::Holdout(error) => CliError::failed(anyhow!("holdout prediction: {error}")),
        StudyError::Tracking(error) => CliError::failed(anyhow!(
            "cannot draw the cumulative repeat purchases chart: {error}"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// ceq fit transactions

fn parse_date_arg(flag: &str, text: &str) -> Result<i64, CliError> {
    transactions::parse_date(text).ok_or_else(|| {
        CliError::invalid(anyhow!(
            "{flag} '{text}' is not a date; expected 2024-03-31 or 20240331"
        ))
    })
}

fn transactions(args: &TransactionsArgs, console: Console) -> Result<(), CliError> {
    args.charts.check(args.output.out.as_deref())?;
    let file = &args.log;
    check_output_paths(args)?;
    let unit = TimeUnit::from(args.time_unit);
    let text = read_text(file)?;
    let date_format = match &args.date_format {
        Some(format) => DateFormat::strftime(format)
            .map_err(|e| CliError::invalid(anyhow!("--date-format: {e}")))?,
        None => DateFormat::Auto,
    };
    let columns = Columns {
        customer: args.customer_col.clone(),
        date: args.date_col.clone(),
        amount: args.amount_col.clone(),
        date_format,
    };
    let log = transactions::read_transactions(&text, &columns).map_err(|e| match e {
        FitError::NotEnoughData(message) if message.contains("give the date format") => fit_error(
            file,
            FitError::NotEnoughData(format!("{message} with --date-format")),
        ),
        other => fit_error(file, other),
    })?;
    drop(text);
    let holdout_text = args.holdout_end.as_deref();
    let settings = TransactionsSettings {
        calibration_end: args
            .calibration_end
            .as_deref()
            .map(|text| parse_date_arg("--calibration-end", text))
            .transpose()?,
        holdout_end: holdout_text
            .map(|text| parse_date_arg("--holdout-end", text))
            .transpose()?,
        unit,
        scores: (args.scores.is_some() || args.output.out.is_some()).then(|| ScoreRequest {
            settings: ScoreSettings {
                horizon: args.horizon,
                margin: args.margin,
                discount_rate: args.discount_rate,
                seed: args.seed,
                ..ScoreSettings::new(args.horizon, unit.periods_per_year())
            },
            file: args.scores.as_ref().map(|p| p.display().to_string()),
        }),
        tracking_required: args.charts.charts,
        scenario: args
            .write_scenario
            .as_ref()
            .map(|p| p.display().to_string()),
    };
    let study =
        study::fit_transactions(&log, &settings).map_err(|f| failure(file, holdout_text, f))?;
    drop(log);
    print_warnings(file, holdout_text, &study.warnings);
    let result = &study.result;
    let customers = &study.summaries.customers;
    if let (Some(path), Some(scored)) = (&args.scores, &study.scores) {
        let csv = scores_csv(scored)?;
        output::write_atomic(path, &csv).map_err(CliError::failed)?;
        console.wrote(path);
    }
    let source = file_name(file);
    if let Some(path) = &args.write_scenario {
        let history = history_path(path);
        let history_name = file_name(&history);
        let fitted = |history| {
            FittedScenario {
                source: &source,
                calibration_end: &result.calibration_end,
                unit,
                horizon: args.horizon,
                margin: args.margin,
                discount_rate: args.discount_rate,
                bgnbd: &study.purchasing,
                gamma_gamma: &study.spend,
                history,
            }
            .to_toml()
        };
        // The fitted parameters are checked before the history file is written, so a fit the
        // simulator cannot run leaves nothing behind (the history-less scenario has the same
        // parameters; the history CSV is ceq's own).
        check_scenario(path, &fitted(None))?;
        let scenario_text = fitted(Some(&history_name));
        let csv = fitted_scenario::history_csv(customers)
            .map_err(|e| CliError::failed(anyhow!("cannot write the histories as CSV: {e}")))?;
        output::write_atomic(&history, &csv).map_err(CliError::failed)?;
        console.wrote(&history);
        write_scenario(console, path, &scenario_text)?;
    }
    let json = json_text(result)?;
    if let Some(dir) = &args.output.out {
        let mut files = vec![(
            "fit_transactions.json".to_string(),
            json.clone().into_bytes(),
        )];
        if let Some(scored) = &study.scores {
            files.push(("scores.csv".to_string(), scores_csv(scored)?));
        }
        if args.charts.charts
            && let Some(tracked) = &study.tracking
        {
            let data = chart::fit::repeat_purchases_chart(
                &source,
                result,
                &study.purchasing,
                tracked,
                args.holdout_end.is_some(),
                unit,
            );
            let rendered = chart::calibration_chart(&data).map_err(CliError::failed)?;
            files.extend(output::chart_files(vec![("repeat_purchases", rendered)]));
        }
        if args.charts.charts
            && let Some(scored) = &study.scores
        {
            let charts = chart::fit::score_charts(scored, customers, &study.purchasing, unit)
                .map_err(CliError::failed)?;
            files.extend(output::chart_files(charts));
        }
        output::write_reported(console, dir, &files)?;
    }
    if args.output.json {
        print_stdout(&json)
    } else {
        let mut text = render_transactions(
            file,
            result,
            &study.purchasing,
            &study.spend,
            unit,
            args.horizon,
        );
        if let Some(scored) = &study.scores {
            render_scores(&mut text, scored, args.scores.as_deref(), unit);
        }
        print_stdout(&text)
    }
}

/// Refuses, before any work, output paths that would destroy something: an existing --scores
/// file without --force, and in any case the log itself (as --scores, --write-scenario or a
/// file under --out) or one path for two outputs.
fn check_output_paths(args: &TransactionsArgs) -> Result<(), CliError> {
    let log = &args.log;
    let mut outputs: Vec<(String, PathBuf)> = Vec::new();
    if let Some(path) = &args.scores {
        outputs.push(("--scores".to_string(), path.clone()));
    }
    if let Some(path) = &args.write_scenario {
        outputs.push(("--write-scenario".to_string(), path.clone()));
    }
    if let Some(dir) = &args.output.out {
        for name in ["fit_transactions.json", "scores.csv"] {
            outputs.push((format!("--out ({name})"), dir.join(name)));
        }
    }
    for (flag, path) in &outputs {
        if same_file(path, log) {
            return Err(CliError::invalid(anyhow!(
                "{flag} {} is the transaction log itself; write the output to another file",
                path.display()
            )));
        }
    }
    if let (Some(scores), Some(scenario)) = (&args.scores, &args.write_scenario)
        && (scores == scenario || same_file(scores, scenario))
    {
        return Err(CliError::invalid(anyhow!(
            "--scores and --write-scenario name the same file {}; give each its own",
            scores.display()
        )));
    }
    if let Some(path) = &args.scores {
        check_new_file("--scores", path, &[log], args.force)?;
    }
    if let Some(path) = &args.write_scenario {
        check_new_file("--write-scenario", path, &[log], args.force)?;
        let history = history_path(path);
        check_new_file(
            "--write-scenario (its history file)",
            &history,
            &[log],
            args.force,
        )?;
        if let Some(scores) = &args.scores
            && (*scores == history || same_file(scores, &history))
        {
            return Err(CliError::invalid(anyhow!(
                "--scores {} is the history file --write-scenario writes; give it another name",
                scores.display()
            )));
        }
    }
    Ok(())
}

/// Refuses to write `path` (given as `flag`) where that would destroy something: a path that
/// exists but is not a regular file (a directory, a device, a pipe), one of the command's own
/// inputs, or, without `--force`, any existing file.
fn check_new_file(flag: &str, path: &Path, inputs: &[&Path], force: bool) -> Result<(), CliError> {
    let Ok(metadata) = std::fs::metadata(path) else {
        return Ok(());
    };
    if !metadata.is_file() {
        return Err(CliError::invalid(anyhow!(
            "{flag} {} exists and is not a regular file (a directory, device or pipe); give the \
             path of a file to write",
            path.display()
        )));
    }
    if let Some(input) = inputs.iter().find(|input| same_file(path, input)) {
        return Err(CliError::invalid(anyhow!(
            "{flag} {} is this command's input {}; write the output to another file",
            path.display(),
            input.display()
        )));
    }
    if !force {
        return Err(CliError::invalid(anyhow!(
            "{flag} {} already exists; use --force to replace it, or choose another file",
            path.display()
        )));
    }
    Ok(())
}

/// The history CSV written beside a scenario: `fitted.toml` → `fitted.history.csv`.
fn history_path(scenario: &Path) -> PathBuf {
    scenario.with_extension("history.csv")
}

fn scores_csv(scored: &Scores) -> Result<Vec<u8>, CliError> {
    scored
        .to_csv()
        .map_err(|e| CliError::failed(anyhow!("cannot write the scores as CSV: {e}")))
}

fn warn_bad_rows(file: &Path, bad_rows: &[transactions::BadRow]) {
    if bad_rows.is_empty() {
        return;
    }
    progress::note(&format!(
        "warning: {}: {} row(s) could not be read and are left out:",
        file.display(),
        bad_rows.len()
    ));
    for row in bad_rows.iter().take(10) {
        progress::note(&format!("  line {}: {}", row.line, row.message));
    }
    if bad_rows.len() > 10 {
        progress::note(&format!(
            "  … and {} more (all listed with --json)",
            bad_rows.len() - 10
        ));
    }
}

/// Checks the scenario validates before it is written: a fit the simulator cannot run (say
/// q ≤ 1, an infinite mean order value) is reported instead of written.
fn write_scenario(console: Console, path: &Path, text: &str) -> Result<(), CliError> {
    check_scenario(path, text)?;
    output::write_atomic(path, text.as_bytes()).map_err(CliError::failed)?;
    console.wrote(path);
    Ok(())
}

/// The scenario `text`, to be written at `path`, validates: else the error says it was not
/// written.
fn check_scenario(path: &Path, text: &str) -> Result<(), CliError> {
    let display = path.display().to_string();
    scenario::parse_str(text, &display, "fitted", scenario::Format::Toml)
        .map(drop)
        .map_err(|error| {
            CliError::failed(anyhow!(
                "the fitted parameters do not make a valid scenario, so {display} was not \
                 written:\n{error}"
            ))
        })
}
