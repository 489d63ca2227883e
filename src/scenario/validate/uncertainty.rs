//! `[uncertainty]` (SPEC §8): dotted parameter path → one distribution, and `draws`, a CSV
//! file of joint draws (one column per path, one row per draw).
//!
//! Paths are checked against [`Scenario::parameter_paths`], the same list the engine draws
//! into, so a path accepted here always names a scalar the simulation really uses. That check
//! needs the rest of the scenario to be valid; when it is not, only the distributions are
//! checked (the path problems surface once the other problems are fixed). The draws file is
//! read here, relative to the scenario file's directory, so that a bad cell is reported with
//! the other problems: its message names the draws file, the line and the column.

use std::path::Path;

use super::read::{Ctx, Field, list_forms, nearest};
use crate::fit::table::CsvTable;
use crate::scenario::types::*;

const DISTRIBUTIONS: &[&[&str]] = &[
    &["normal"],
    &["lognormal"],
    &["beta"],
    &["uniform"],
    &["triangular"],
];

/// The key of the draws file inside `[uncertainty]` (no parameter path is a single word).
const DRAWS_KEY: &str = "draws";

/// Reads `[uncertainty]`: the per-parameter distributions and the joint draws, if any.
pub fn uncertainty(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    paths: Option<&[String]>,
) -> Option<(Vec<UncertainParameter>, Option<JointDraws>)> {
    let table = ctx.open_table(field)?;
    let before = ctx.count();
    let mut result = Vec::new();
    let draws = table
        .fields()
        .find(|(key, _)| *key == DRAWS_KEY)
        .and_then(|(_, f)| joint_draws(ctx, &f, paths));
    for (path, f) in table.fields() {
        if path == DRAWS_KEY {
            continue;
        }
        if let Some(paths) = paths
            && !paths.iter().any(|p| p == path)
        {
            let message = match nearest(path, paths.iter().map(String::as_str)) {
                Some(near) => {
                    format!("`{path}` names no parameter of this scenario; did you mean `{near}`?")
                }
                None => format!(
                    "`{path}` names no parameter of this scenario; paths look like \
                     `cohorts.<name>.retention.mean` or `acquisition.response.ceiling` and must \
                     name a number written in the file"
                ),
            };
            ctx.error(&f.key_span, &f.path, message);
        }
        if let Some(draws) = &draws
            && draws.paths.iter().any(|p| p == path)
        {
            ctx.error(
                &f.key_span,
                &f.path,
                format!(
                    "`{path}` is also a column of the draws file `{}`; a parameter is drawn \
                     either from a distribution or from the joint draws, not both",
                    draws.file
                ),
            );
        }
        if let Some(distribution) = distribution(ctx, &f) {
            result.push(UncertainParameter {
                path: path.to_string(),
                distribution,
            });
        }
    }
    (ctx.count() == before).then_some((result, draws))
}

/// `draws = "FILE.csv"`: the file, relative to the scenario's directory, with a header of
/// parameter paths and one row of numbers per draw. Every problem names the draws file, its
/// line and column.
fn joint_draws(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    paths: Option<&[String]>,
) -> Option<JointDraws> {
    let written = ctx.string(field)?;
    let resolved = Path::new(ctx.file())
        .parent()
        .unwrap_or(Path::new(""))
        .join(written);
    let span = &field.node.span;
    let text = match crate::scenario::read_regular_file(&resolved, crate::scenario::MAX_DATA_BYTES)
    {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            ctx.error(
                span,
                &field.path,
                format!(
                    "cannot read the draws file `{written}` (looked for {}): {e}; the path is \
                     relative to the scenario file",
                    resolved.display()
                ),
            );
            return None;
        }
    };
    let table = match CsvTable::read(&text) {
        Ok(table) => table,
        Err(e) => {
            ctx.error(span, &field.path, format!("draws file `{written}`: {e}"));
            return None;
        }
    };
    let before = ctx.count();
    for (column, path) in table.header.iter().enumerate() {
        let at = format!("draws file `{written}`, line 1, column {}", column + 1);
        if table.header[..column].contains(path) {
            ctx.error(span, &field.path, format!("{at}: `{path}` appears twice"));
        } else if let Some(paths) = paths
            && !paths.iter().any(|p| p == path)
        {
            let hint = nearest(path, paths.iter().map(String::as_str))
                .map(|near| format!("; did you mean `{near}`?"))
                .unwrap_or_else(|| {
                    "; each column must be a parameter path such as \
                     `acquisition.response.ceiling` that names a number in the scenario"
                        .to_string()
                });
            ctx.error(
                span,
                &field.path,
                format!("{at}: `{path}` names no parameter of this scenario{hint}"),
            );
        }
    }
    let mut rows = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let mut values = Vec::with_capacity(row.cells.len());
        for (column, path) in table.header.iter().enumerate() {
            match row.number(column, path, "a number", |_| true) {
                Ok(v) => values.push(v),
                Err(e) => {
                    ctx.error(span, &field.path, format!("draws file `{written}`: {e}"));
                    return None;
                }
            }
        }
        rows.push(values);
    }
    (ctx.count() == before).then(|| JointDraws {
        file: written.to_string(),
        paths: table.header.clone(),
        rows,
    })
}

fn distribution(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<ParameterDistribution> {
    use crate::scenario::document::Value;
    if !matches!(field.node.value, Value::Table(_)) {
        ctx.wrong_type(
            field,
            &format!("a distribution table, one of {}", list_forms(DISTRIBUTIONS)),
            &field.node.value,
        );
        return None;
    }
    let (form, t) = ctx.form(field, DISTRIBUTIONS)?;
    let f = t.get(DISTRIBUTIONS[form][0])?;
    let any = Domain::ANY;
    let nn = Domain::NON_NEGATIVE;
    let pos = Domain::POSITIVE;
    match form {
        0 => {
            let d = ctx.table(&f, &["mean", "sd"])?;
            let mean = d.number(ctx, "mean", any, "");
            let sd = d.number(ctx, "sd", nn, "");
            Some(ParameterDistribution::Normal {
                mean: mean?,
                sd: sd?,
            })
        }
        1 => {
            let d = ctx.table(&f, &["median", "sigma"])?;
            let median = d.number(ctx, "median", pos, "");
            let sigma = d.number(ctx, "sigma", nn, "");
            Some(ParameterDistribution::LogNormal {
                median: median?,
                sigma: sigma?,
            })
        }
        2 => {
            let d = ctx.table(&f, &["mean", "concentration"])?;
            let open_unit = Domain {
                low_open: true,
                high_open: true,
                ..Domain::closed(0.0, 1.0)
            };
            let mean = d.number(ctx, "mean", open_unit, "");
            let concentration = d.number(
                ctx,
                "concentration",
                super::cohorts::SHAPE,
                "the Beta draws lose accuracy outside it",
            );
            Some(ParameterDistribution::Beta {
                mean: mean?,
                concentration: concentration?,
            })
        }
        3 => {
            let d = ctx.table(&f, &["low", "high"])?;
            let low = d.number(ctx, "low", any, "");
            let high = d.number(ctx, "high", any, "");
            let (low, high) = (low?, high?);
            if low > high {
                ctx.error(
                    &f.key_span,
                    &f.path,
                    format!("low ({low}) is above high ({high}); expected low ≤ high"),
                );
                return None;
            }
            Some(ParameterDistribution::Uniform { low, high })
        }
        _ => {
            let d = ctx.table(&f, &["low", "mode", "high"])?;
            let low = d.number(ctx, "low", any, "");
            let mode = d.number(ctx, "mode", any, "");
            let high = d.number(ctx, "high", any, "");
            let (low, mode, high) = (low?, mode?, high?);
            if !(low <= mode && mode <= high) {
                ctx.error(
                    &f.key_span,
                    &f.path,
                    format!(
                        "expected low ≤ mode ≤ high, found low = {low}, mode = {mode}, \
                         high = {high}"
                    ),
                );
                return None;
            }
            Some(ParameterDistribution::Triangular { low, mode, high })
        }
    }
}
