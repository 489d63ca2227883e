//! `[uncertainty]` (SPEC §8): dotted parameter path → one distribution.
//!
//! Paths are checked against [`Scenario::parameter_paths`], the same list the engine draws
//! into, so a path accepted here always names a scalar the simulation really uses. That check
//! needs the rest of the scenario to be valid; when it is not, only the distributions are
//! checked (the path problems surface once the other problems are fixed).

use super::read::{Ctx, Field, list_forms, nearest};
use crate::scenario::types::*;

const DISTRIBUTIONS: &[&[&str]] = &[
    &["normal"],
    &["lognormal"],
    &["beta"],
    &["uniform"],
    &["triangular"],
];

pub fn uncertainty(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    paths: Option<&[String]>,
) -> Option<Vec<UncertainParameter>> {
    let table = ctx.open_table(field)?;
    let before = ctx.count();
    let mut result = Vec::new();
    for (path, f) in table.fields() {
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
        if let Some(distribution) = distribution(ctx, &f) {
            result.push(UncertainParameter {
                path: path.to_string(),
                distribution,
            });
        }
    }
    (ctx.count() == before).then_some(result)
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
