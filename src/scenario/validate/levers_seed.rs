//! The levers of the seed articles' customer pyramid (issue 17): `[development_program]`
//! (SPEC §5a), `[winback]` (§5b) and a plan's `offboard` (§7).
//!
//! Defaults: `development_program.allocation` and `winback.allocation` left out mean "in
//! proportion to active customers" and "in proportion to the lapsed pools";
//! `max_purchase_lift` and `max_churn_reduction` = 0; `upgrades` = none; `winback.reenter` =
//! the cohort a customer lapsed from; `onboarding_cost` = 0; `decay` = 0; `pool` = none.

use super::MAX_POPULATION;
use super::cohorts::Names;
use super::market::shares;
use super::read::{Ctx, Field, show};
use crate::scenario::types::*;

/// The curve-only response of the development programme (its ceilings are the upgrades').
const CURVE_FORMS: &[&[&str]] = &[&["k"], &["half_spend"], &["half_spend", "shape"]];

const WINBACK_RESPONSE_FORMS: &[&[&str]] = &[
    &["max_reactivation", "k"],
    &["max_reactivation", "half_spend"],
    &["max_reactivation", "half_spend", "shape"],
];

/// Rows of `[migration]` plus the programme's largest extras must stay probabilities.
const SHARE_TOLERANCE: f64 = 1e-9;

/// `[development_program]`: `response` (a curve of spend per active customer), `upgrades =
/// { from = { to = max_extra } }`, optional `allocation`, `max_purchase_lift` and
/// `max_churn_reduction`. `migration` is the validated `[migration]` (when valid), against
/// which each row's largest total is checked.
pub fn development_program(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    names: &Names,
    migration: Option<&[Vec<(usize, f64)>]>,
) -> Option<DevelopmentProgram> {
    let t = ctx.table(
        field,
        &[
            "response",
            "allocation",
            "upgrades",
            "max_purchase_lift",
            "max_churn_reduction",
        ],
    )?;
    let before = ctx.count();
    let curve = t
        .required(
            ctx,
            "response",
            "a curve of spend per active customer per period, e.g. { half_spend = 3.0 }",
        )
        .and_then(|f| curve(ctx, &f));
    let allocation = match t.get("allocation") {
        Some(f) => shares(ctx, &f, names).map(Some),
        None => Some(None),
    };
    let upgrades = match t.get("upgrades") {
        Some(f) => upgrades(ctx, &f, names, migration),
        None => Some(vec![Vec::new(); names.0.len()]),
    };
    let max_purchase_lift = t.number_or(ctx, "max_purchase_lift", Domain::NON_NEGATIVE, 0.0);
    let max_churn_reduction = t.number_or(ctx, "max_churn_reduction", Domain::PROBABILITY, 0.0);
    if ctx.count() > before {
        return None;
    }
    Some(DevelopmentProgram {
        curve: curve?,
        allocation: allocation?,
        upgrades: upgrades?,
        max_purchase_lift: max_purchase_lift?,
        max_churn_reduction: max_churn_reduction?,
    })
}

/// `{ k }`, `{ half_spend }` or `{ half_spend, shape }`.
fn curve(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<ResponseCurve> {
    let (form, t) = ctx.form(field, CURVE_FORMS)?;
    curve_of_form(ctx, form, &t)
}

/// The curve of form `form` (0 `k`, 1 `half_spend`, 2 `half_spend` + `shape`) read from `t`.
fn curve_of_form(
    ctx: &mut Ctx<'_>,
    form: usize,
    t: &super::read::Table<'_>,
) -> Option<ResponseCurve> {
    let pos = Domain::POSITIVE;
    match form {
        0 => t
            .number(ctx, "k", pos, "")
            .map(|k| ResponseCurve::Exponential { k }),
        1 => t
            .number(ctx, "half_spend", pos, "")
            .map(|half_spend| ResponseCurve::HalfSpend { half_spend }),
        _ => {
            let half_spend = t.number(ctx, "half_spend", pos, "");
            let shape = t.number(ctx, "shape", pos, "");
            Some(ResponseCurve::Hill {
                half_spend: half_spend?,
                shape: shape?,
            })
        }
    }
}

/// `upgrades = { from = { to = max_extra } }`: each extra a probability, no cohort upgrading
/// to itself, and each row of `[migration]` plus its extras at most 1.
fn upgrades(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    names: &Names,
    migration: Option<&[Vec<(usize, f64)>]>,
) -> Option<Vec<Vec<(usize, f64)>>> {
    let table = ctx.open_table(field)?;
    let before = ctx.count();
    let mut rows = vec![Vec::new(); names.0.len()];
    for (from_name, row_field) in table.fields() {
        let from = names.resolve(ctx, &row_field.key_span, &row_field.path, from_name);
        let Some(row_table) = ctx.open_table(&row_field) else {
            continue;
        };
        let row_before = ctx.count();
        let mut row = Vec::new();
        for (to_name, f) in row_table.fields() {
            if to_name == from_name {
                ctx.error(
                    &f.key_span,
                    &f.path,
                    format!(
                        "a cohort cannot be developed into itself (`{from_name}` → `{to_name}`); \
                         name the cohort customers move up to"
                    ),
                );
                continue;
            }
            let to = names.resolve(ctx, &f.key_span, &f.path, to_name);
            let extra = ctx.number_why(
                &f,
                Domain::PROBABILITY,
                "the most the programme adds to the per-period probability of this move",
            );
            if let (Some(to), Some(extra)) = (to, extra) {
                row.push((to, extra));
            }
        }
        let (Some(from), true) = (from, ctx.count() == row_before) else {
            continue;
        };
        let base: f64 = migration
            .and_then(|m| m.get(from))
            .map_or(0.0, |r| r.iter().map(|(_, p)| p).sum());
        let total = base + row.iter().map(|(_, p)| p).sum::<f64>();
        if total > 1.0 + SHARE_TOLERANCE {
            ctx.error(
                &row_field.key_span,
                &row_field.path,
                format!(
                    "[migration] out of `{from_name}` ({}) plus the largest upgrades ({}) add \
                     up to {}; at full spend the probabilities of leaving `{from_name}` must \
                     add up to at most 1",
                    show(base),
                    show(total - base),
                    show(total)
                ),
            );
            continue;
        }
        rows[from] = row;
    }
    (ctx.count() == before).then_some(rows)
}

/// `[winback]`: `response = { max_reactivation, half_spend | k [, shape] }` (of spend per
/// lapsed customer per period), optional `allocation`, `reenter`, `onboarding_cost`, `decay`
/// and `pool = { cohort = lapsed customers }`.
pub fn winback(ctx: &mut Ctx<'_>, field: &Field<'_>, names: &Names) -> Option<Winback> {
    let t = ctx.table(
        field,
        &[
            "response",
            "allocation",
            "reenter",
            "onboarding_cost",
            "decay",
            "pool",
        ],
    )?;
    let before = ctx.count();
    let response = t
        .required(
            ctx,
            "response",
            "e.g. { max_reactivation = 0.05, half_spend = 2.0 } (spend per lapsed customer)",
        )
        .and_then(|f| {
            let (form, table) = ctx.form(&f, WINBACK_RESPONSE_FORMS)?;
            let ceiling = table.number(ctx, "max_reactivation", Domain::PROBABILITY, "");
            let curve = curve_of_form(ctx, form, &table);
            Some((ceiling?, curve?))
        });
    let allocation = match t.get("allocation") {
        Some(f) => shares(ctx, &f, names).map(Some),
        None => Some(None),
    };
    let reenter = match t.get("reenter") {
        Some(f) => ctx
            .string(&f)
            .and_then(|name| names.resolve(ctx, &f.node.span, &f.path, name))
            .map(Some),
        None => Some(None),
    };
    let onboarding_cost = t.number_or(ctx, "onboarding_cost", Domain::NON_NEGATIVE, 0.0);
    let decay = t.number_or(ctx, "decay", Domain::PROBABILITY, 0.0);
    let pool = match t.get("pool") {
        Some(f) => ctx.open_table(&f).map(|table| {
            let mut pool = vec![0u64; names.0.len()];
            for (key, g) in table.fields() {
                let index = names.resolve(ctx, &g.key_span, &g.path, key);
                let count = ctx.whole(
                    &g,
                    0,
                    MAX_POPULATION,
                    "larger pools could never be simulated; scale the scenario down",
                );
                if let (Some(i), Some(n)) = (index, count) {
                    pool[i] = n;
                }
            }
            pool
        }),
        None => Some(vec![0; names.0.len()]),
    };
    if ctx.count() > before {
        return None;
    }
    let (max_reactivation, curve) = response?;
    Some(Winback {
        max_reactivation,
        curve,
        allocation: allocation?,
        reenter: reenter?,
        onboarding_cost: onboarding_cost?,
        decay: decay?,
        pool: pool?,
    })
}

/// A plan's `offboard = { cohort = share per period }`, each share in [0, 1]; by cohort index.
pub fn offboard(ctx: &mut Ctx<'_>, field: &Field<'_>, names: &Names) -> Option<Vec<f64>> {
    let table = ctx.open_table(field)?;
    let before = ctx.count();
    let mut shares = vec![0.0; names.0.len()];
    for (key, f) in table.fields() {
        let index = names.resolve(ctx, &f.key_span, &f.path, key);
        let share = ctx.number_why(
            &f,
            Domain::PROBABILITY,
            "the share of the cohort's active customers released per period",
        );
        if let (Some(i), Some(share)) = (index, share) {
            shares[i] = share;
        }
    }
    (ctx.count() == before).then_some(shares)
}

/// `bounds = { "offboard.<cohort>" = [lo, hi] }` (or the nested `offboard = { cohort = [lo,
/// hi] }`): the off-boarding share the optimizer may choose, 0 ≤ lo ≤ hi ≤ 1.
pub fn offboard_bound(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<(f64, f64)> {
    super::plans::min_max(
        ctx,
        field,
        Domain::PROBABILITY,
        "expected [min, max], two shares released per period with 0 ≤ min ≤ max ≤ 1",
    )
}
