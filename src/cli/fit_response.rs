//! `ceq fit response`: acquisition response curves and carryover from a spend history
//! (SPEC §14). The fitting is in [`crate::fit::response`]; this file reads the file, checks the
//! output paths before any work, writes the channel blocks, the draws, `fit_response.json` and the
//! charts atomically, and renders what a strategist reads.

use anyhow::anyhow;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

use super::args::{ChartArgs, OutputArgs};
use super::progress::Console;
use super::{CliError, output};
use crate::chart;
use crate::export::text::fit::{file_name, render_response};
use crate::fit::response::{self, ResponseForm, ResponseSettings};

/// Fit each channel's acquisition response curve and carryover to a spend history.
///
/// HISTORY has a header and one row per period: a period column (`period`, else the first),
/// one `spend_<channel>` column per channel (money per period) and either one
/// `new_<channel>` column per channel or one `new_customers` column with the total. The
/// counts are binomial out of each channel's prospects (a total: the normal approximation to
/// their sum). Prints each channel's ceiling, half_spend (or k, or half_spend and shape) and
/// carryover with standard errors and 95% intervals, the holdout check, and the
/// `[[acquisition.channels]]` blocks to paste into a scenario.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  ceq fit response history.csv --prospects search=200000,social=50000
  ceq fit response history.csv --prospects search=200000,social=50000 --holdout 8
  ceq fit response history.csv --prospects search=200000,social=50000 --form hill --json
  ceq fit response history.csv --prospects search=200000,social=50000 \\
      --write-channels channels.toml --draws channel_draws.csv
  ceq fit response history.csv --prospects search=200000,social=50000 --holdout 8 \\
      --out fit/ --charts   (fit_response.json and, per channel, response_<channel>.png/.svg:
                             new customers per period, actual vs fitted)")]
pub struct ResponseArgs {
    /// The spend history (CSV; comma, semicolon or tab).
    #[arg(value_name = "HISTORY")]
    pub history: PathBuf,

    /// Prospects reachable per period by each channel, as channel=N pairs separated by
    /// commas (every channel of the history needs one).
    #[arg(long, value_name = "CHANNEL=N,...", value_parser = parse_prospects, required = true)]
    pub prospects: Prospects,

    /// The saturation form: half_spend C·(1 − 2^(−s/h)), k C·(1 − e^(−k·s)), or hill
    /// C·s^γ/(s^γ + h^γ), s the adstocked spend per prospect.
    #[arg(long, value_enum, default_value_t = FormArg::HalfSpend)]
    pub form: FormArg,

    /// The count law: binomial out of the prospects, or negbin (negative binomial, for counts
    /// that vary more from period to period than a binomial's; needs new_<channel> columns).
    #[arg(long, value_enum, default_value_t = CountsArg::Binomial)]
    pub counts: CountsArg,

    /// Leave the last N periods out of the fit and check their predictions.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub holdout: usize,

    /// Write the fitted `[[acquisition.channels]]` blocks to FILE (TOML to paste into a
    /// scenario). An existing FILE is kept unless --force; the history is never replaced.
    #[arg(long, value_name = "FILE")]
    pub write_channels: Option<PathBuf>,

    #[command(flatten)]
    pub draws: super::args::DrawArgs,

    /// Replace existing --write-channels and --draws files.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub charts: ChartArgs,
}

/// The `--form` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormArg {
    #[value(name = "half_spend")]
    HalfSpend,
    K,
    Hill,
}

impl From<FormArg> for ResponseForm {
    fn from(form: FormArg) -> Self {
        match form {
            FormArg::HalfSpend => ResponseForm::HalfSpend,
            FormArg::K => ResponseForm::K,
            FormArg::Hill => ResponseForm::Hill,
        }
    }
}

/// The `--counts` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CountsArg {
    Binomial,
    Negbin,
}

/// `--prospects`: channel names with their prospects per period, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct Prospects(pub Vec<(String, f64)>);

fn parse_prospects(text: &str) -> Result<Prospects, String> {
    let help = "expected channel=N pairs separated by commas, e.g. search=200000,social=50000";
    let mut pairs: Vec<(String, f64)> = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let Some((name, value)) = part.split_once('=') else {
            return Err(format!("'{part}': {help}"));
        };
        let name = name.trim().to_ascii_lowercase();
        let count = value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| *n >= 1.0 && n.fract() == 0.0 && n.is_finite())
            .ok_or_else(|| format!("'{part}': prospects must be a whole number ≥ 1; {help}"))?;
        if pairs.iter().any(|(n, _)| *n == name) {
            return Err(format!("channel '{name}' is given twice"));
        }
        pairs.push((name, count));
    }
    if pairs.is_empty() {
        return Err(help.to_string());
    }
    Ok(Prospects(pairs))
}

pub fn run(args: &ResponseArgs, console: Console) -> Result<(), CliError> {
    args.charts.check(args.output.out.as_deref())?;
    check_output_paths(args)?;
    let file = &args.history;
    let text = super::fit::read_text(file)?;
    let history = response::read_history(&text).map_err(|e| super::fit::fit_error(file, e))?;
    let prospects = history
        .channels
        .iter()
        .map(|name| {
            args.prospects
                .0
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, p)| *p)
                .ok_or_else(|| {
                    CliError::invalid(anyhow!(
                        "{}: channel `{name}` has no prospects; add {name}=N to --prospects \
                         (the prospects it reaches per period)",
                        file.display()
                    ))
                })
        })
        .collect::<Result<Vec<f64>, CliError>>()?;
    if let Some((unknown, _)) = args
        .prospects
        .0
        .iter()
        .find(|(n, _)| !history.channels.contains(n))
    {
        return Err(CliError::invalid(anyhow!(
            "--prospects names `{unknown}`, which has no spend_{unknown} column in {}; the \
             history's channels are {}",
            file.display(),
            history.channels.join(", ")
        )));
    }
    let settings = ResponseSettings {
        form: args.form.into(),
        prospects,
        holdout: args.holdout,
        counts: match args.counts {
            CountsArg::Binomial => response::Counts::Binomial,
            CountsArg::Negbin => response::Counts::NegativeBinomial,
        },
    };
    let fit =
        response::fit_response(&history, &settings).map_err(|e| super::fit::fit_error(file, e))?;
    let source = file_name(file);
    let draws = match &args.draws.file {
        Some(_) => Some(
            response::sample_draws(&fit, args.draws.count as usize, args.draws.seed)
                .map_err(|e| super::fit::fit_error(file, e))?,
        ),
        None => None,
    };
    if let Some(path) = &args.write_channels {
        output::write_atomic(path, response::channels_toml(&fit, &source).as_bytes())
            .map_err(CliError::failed)?;
        console.wrote(path);
    }
    if let (Some(path), Some(draws)) = (&args.draws.file, &draws) {
        write_draws(console, path, draws, args.draws.seed)?;
    }
    let json = super::fit::json_text(&fit)?;
    args.output.emit(
        console,
        super::publish::Entry::new("fit response").input(&args.history),
        json.as_bytes(),
        || {
            let mut files = vec![("fit_response.json".to_string(), json.clone().into_bytes())];
            if args.charts.charts {
                for (stem, data) in
                    chart::fit::response_charts(&fit, &history.period_column, &source)
                {
                    let rendered = chart::calibration_chart(&data).map_err(CliError::failed)?;
                    files.extend(output::chart_files(vec![(stem.as_str(), rendered)]));
                }
            }
            Ok(files)
        },
        || render_response(&fit, file),
    )
}

/// Before any work: no output may be the history itself (not even with --force), two outputs
/// may not share a file, and an existing --write-channels or --draws file is kept unless
/// --force.
fn check_output_paths(args: &ResponseArgs) -> Result<(), CliError> {
    let mut outputs: Vec<(&str, PathBuf)> = Vec::new();
    if let Some(path) = &args.write_channels {
        outputs.push(("--write-channels", path.clone()));
    }
    if let Some(path) = &args.draws.file {
        outputs.push(("--draws", path.clone()));
    }
    let files = outputs.len();
    if let Some(dir) = &args.output.out {
        outputs.push(("--out (fit_response.json)", dir.join("fit_response.json")));
    }
    for (flag, path) in &outputs {
        if super::output::same_file(path, &args.history) {
            return Err(CliError::invalid(anyhow!(
                "{flag} {} is the spend history itself; write the output to another file",
                path.display()
            )));
        }
    }
    if let [(_, a), (_, b), ..] = outputs.as_slice()
        && files == 2
        && super::output::same_file(a, b)
    {
        return Err(CliError::invalid(anyhow!(
            "--write-channels and --draws name the same file {}; give each its own",
            a.display()
        )));
    }
    for (flag, path) in &outputs[..files] {
        if path.exists() && !args.force {
            return Err(CliError::invalid(anyhow!(
                "{} already exists; use --force to replace it, or choose another {flag} file",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Writes `--draws` and says so: the rows, the seed, and how many values were clamped into
/// their parameter's range (a ceiling above 1, a negative carryover, …). Shared by every fit
/// that writes joint draws.
pub(super) fn write_draws(
    console: Console,
    path: &Path,
    draws: &response::ParameterDraws,
    seed: u64,
) -> Result<(), CliError> {
    output::write_atomic(path, draws.to_csv().as_bytes()).map_err(CliError::failed)?;
    console.info(&format!(
        "wrote {} ({} draws, seed {seed})",
        path.display(),
        draws.rows.len()
    ));
    if draws.clamped > 0 {
        super::progress::note(&format!(
            "note: {} drawn value(s) fell outside their parameter's range and were clamped into \
             it",
            draws.clamped
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prospects_parse() {
        assert_eq!(
            parse_prospects("search=200000, Social=50000"),
            Ok(Prospects(vec![
                ("search".to_string(), 200000.0),
                ("social".to_string(), 50000.0)
            ]))
        );
        assert!(parse_prospects("search").is_err());
        assert!(parse_prospects("search=0").is_err());
        assert!(parse_prospects("a=1,a=2").is_err());
    }
}
