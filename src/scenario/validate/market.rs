//! The market sections: `[acquisition]` (SPEC §4), `[retention_program]` (§5), `[drivers.*]`
//! (§6), `[migration]` (§3) and `[shocks]` (§8).
//!
//! Defaults: `acquisition.onboarding_cost` = 0; `acquisition.mix` may be left out only when
//! there is a single cohort (everyone joins it); `retention_program.allocation` left out means
//! "in proportion to active customers"; a driver's `carryover` = 0 and each `effect` = 0;
//! a shock's `persistence` = 0 (independent from period to period).

use super::MAX_POPULATION;
use super::cohorts::Names;
use super::read::{Ctx, Field, Table, elements, show};
use crate::scenario::types::*;

/// Shares must add up to one within this tolerance.
const SHARE_TOLERANCE: f64 = 1e-9;

const ACQUISITION_RESPONSE_FORMS: &[&[&str]] = &[
    &["ceiling", "k"],
    &["ceiling", "half_spend"],
    &["ceiling", "half_spend", "shape"],
];

const RETENTION_RESPONSE_FORMS: &[&[&str]] = &[
    &["max_churn_reduction", "k"],
    &["max_churn_reduction", "half_spend"],
    &["max_churn_reduction", "half_spend", "shape"],
];

/// The keys of the flat `[acquisition]` block, which is one channel.
const FLAT_KEYS: [&str; 4] = ["prospects", "response", "mix", "onboarding_cost"];

/// `[acquisition]`: either the flat block (one channel, the lever `acquisition`) or
/// `[[acquisition.channels]]` (SPEC §4), not both.
pub fn acquisition(ctx: &mut Ctx<'_>, field: &Field<'_>, names: &Names) -> Option<Acquisition> {
    let mut allowed = FLAT_KEYS.to_vec();
    allowed.push("channels");
    let t = ctx.table(field, &allowed)?;
    let Some(list) = t.get("channels") else {
        return channel(ctx, &t, "acquisition".to_string(), false, names).map(Acquisition::single);
    };
    let before = ctx.count();
    for key in FLAT_KEYS {
        if let Some(f) = t.get(key) {
            ctx.error(
                &f.key_span,
                &f.path,
                format!(
                    "`{key}` belongs in each [[acquisition.channels]] table when the scenario \
                     has channels; move it there, or remove the channels for a single \
                     [acquisition] block"
                ),
            );
        }
    }
    let Some(items) = elements(&list) else {
        ctx.wrong_type(
            &list,
            "a list of channel tables ([[acquisition.channels]])",
            &list.node.value,
        );
        return None;
    };
    if items.is_empty() {
        ctx.error(
            &list.key_span,
            &list.path,
            "at least one channel is needed; add an [[acquisition.channels]] table",
        );
        return None;
    }
    let mut channels = Vec::with_capacity(items.len());
    let mut seen: Vec<String> = Vec::new();
    for item in &items {
        let Some(table) = ctx.table(item, &CHANNEL_KEYS) else {
            continue;
        };
        let name = channel_name(ctx, &table, &seen);
        seen.push(name.clone().unwrap_or_default());
        if let (Some(c), Some(name)) = (channel(ctx, &table, String::new(), true, names), name) {
            channels.push(Channel { name, ..c });
        }
    }
    (ctx.count() == before).then_some(Acquisition {
        channels,
        single: false,
    })
}

const CHANNEL_KEYS: [&str; 6] = [
    "name",
    "prospects",
    "response",
    "carryover",
    "mix",
    "onboarding_cost",
];

/// A channel's unique name: letters, digits, '-' and '_' (it appears in lever names
/// `acquisition.<name>` and parameter paths `acquisition.channels.<name>.…`).
fn channel_name(ctx: &mut Ctx<'_>, table: &Table<'_>, earlier: &[String]) -> Option<String> {
    let field = table.required(ctx, "name", "a unique channel name such as \"search\"")?;
    let name = ctx.string(&field)?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        ctx.error(
            &field.node.span,
            &field.path,
            format!(
                "channel name \"{name}\" may only use letters, digits, '-' and '_' (it is used \
                 in lever names such as acquisition.{})",
                name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
            ),
        );
        return None;
    }
    if earlier.iter().any(|e| e == name) {
        ctx.error(
            &field.node.span,
            &field.path,
            format!("channel name \"{name}\" is used twice; channel names must be unique"),
        );
        return None;
    }
    Some(name.to_string())
}

/// One channel's prospects, response, mix, onboarding cost and (for `[[acquisition.channels]]`)
/// carryover, read from `t`.
fn channel(
    ctx: &mut Ctx<'_>,
    t: &Table<'_>,
    name: String,
    with_carryover: bool,
    names: &Names,
) -> Option<Channel> {
    let prospects = t
        .required(
            ctx,
            "prospects",
            "prospects reachable per period, e.g. 400000",
        )
        .and_then(|f| {
            ctx.whole(
                &f,
                0,
                MAX_POPULATION,
                "larger pools could never be simulated; scale the scenario down",
            )
        });
    let response = t
        .required(
            ctx,
            "response",
            "e.g. { ceiling = 0.02, half_spend = 0.25 }",
        )
        .and_then(|f| response(ctx, &f, ACQUISITION_RESPONSE_FORMS));
    let mix = match t.get("mix") {
        Some(f) => shares(ctx, &f, names),
        None if names.0.len() == 1 => Some(vec![1.0]),
        None => {
            t.required(
                ctx,
                "mix",
                "the share of new customers joining each cohort, e.g. { gold = 0.2, iron = 0.8 }",
            );
            None
        }
    };
    let onboarding_cost = t.number_or(ctx, "onboarding_cost", Domain::NON_NEGATIVE, 0.0);
    let carryover = if with_carryover {
        let domain = Domain {
            high_open: true,
            ..Domain::closed(0.0, 1.0)
        };
        t.number_or(ctx, "carryover", domain, 0.0)
    } else {
        Some(0.0)
    };
    let (ceiling, curve) = response?;
    Some(Channel {
        name,
        prospects: prospects?,
        ceiling,
        curve,
        carryover: carryover?,
        mix: mix?,
        onboarding_cost: onboarding_cost?,
    })
}

pub fn retention_program(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    names: &Names,
) -> Option<RetentionProgram> {
    let t = ctx.table(field, &["response", "allocation"])?;
    let response = t
        .required(
            ctx,
            "response",
            "e.g. { max_churn_reduction = 0.35, half_spend = 4.0 }",
        )
        .and_then(|f| response(ctx, &f, RETENTION_RESPONSE_FORMS));
    let allocation = match t.get("allocation") {
        Some(f) => shares(ctx, &f, names).map(Some),
        None => Some(None),
    };
    let (max_churn_reduction, curve) = response?;
    Some(RetentionProgram {
        max_churn_reduction,
        curve,
        allocation: allocation?,
    })
}

/// A saturating response: the ceiling (first key of every form) and the curve.
fn response(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    forms: &[&[&str]],
) -> Option<(f64, ResponseCurve)> {
    let (form, t) = ctx.form(field, forms)?;
    let ceiling = t.number(ctx, forms[0][0], Domain::PROBABILITY, "");
    let pos = Domain::POSITIVE;
    let curve = match form {
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
    };
    Some((ceiling?, curve?))
}

/// `{ cohort = share }` → shares by cohort index (0 for cohorts left out), summing to 1.
pub fn shares(ctx: &mut Ctx<'_>, field: &Field<'_>, names: &Names) -> Option<Vec<f64>> {
    let table = ctx.open_table(field)?;
    let before = ctx.count();
    let mut result = vec![0.0; names.0.len()];
    for (key, f) in table.fields() {
        let index = names.resolve(ctx, &f.key_span, &f.path, key);
        let share = ctx.number(&f, Domain::PROBABILITY);
        if let (Some(i), Some(share)) = (index, share) {
            result[i] = share;
        }
    }
    if ctx.count() > before {
        return None;
    }
    let total: f64 = result.iter().sum();
    if (total - 1.0).abs() > SHARE_TOLERANCE {
        ctx.error(
            &field.key_span,
            &field.path,
            format!(
                "the shares add up to {}; they must add up to 1",
                show(total)
            ),
        );
        return None;
    }
    Some(result)
}

pub fn drivers(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<[Option<DriverParams>; 3]> {
    let names = Driver::ALL.map(Driver::name);
    let t = ctx.table(field, &names)?;
    let mut result = [None; 3];
    let mut ok = true;
    for driver in Driver::ALL {
        if let Some(f) = t.get(driver.name()) {
            match driver_params(ctx, &f) {
                Some(params) => result[driver.index()] = Some(params),
                None => ok = false,
            }
        }
    }
    ok.then_some(result)
}

fn driver_params(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<DriverParams> {
    let t = ctx.table(field, &["max_lift", "half_spend", "carryover", "effect"])?;
    let max_lift = t.number(
        ctx,
        "max_lift",
        Domain::NON_NEGATIVE,
        "the most the driver rating can rise, in rating points",
    );
    let half_spend = t.number(
        ctx,
        "half_spend",
        Domain::POSITIVE,
        "spend per period for half of max_lift",
    );
    let carryover = t.number_or(ctx, "carryover", half_open_unit(), 0.0);
    let effect = match t.get("effect") {
        Some(f) => ctx
            .table(&f, &["retention", "acquisition", "purchases"])
            .and_then(|e| {
                let retention = e.number_or(ctx, "retention", Domain::ANY, 0.0);
                let acquisition = e.number_or(ctx, "acquisition", Domain::ANY, 0.0);
                let purchases = e.number_or(ctx, "purchases", Domain::ANY, 0.0);
                Some(DriverEffect {
                    retention: retention?,
                    acquisition: acquisition?,
                    purchases: purchases?,
                })
            }),
        None => Some(DriverEffect::default()),
    };
    Some(DriverParams {
        max_lift: max_lift?,
        half_spend: half_spend?,
        carryover: carryover?,
        effect: effect?,
    })
}

/// [0, 1): adstock carryover and shock persistence (1 would never forget).
fn half_open_unit() -> Domain {
    Domain {
        high_open: true,
        ..Domain::closed(0.0, 1.0)
    }
}

/// `[migration] from = { to = probability }` → rows by cohort index.
pub fn migration(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    names: &Names,
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
                        "a cohort cannot migrate to itself (`{from_name}` → `{to_name}`); \
                         customers who stay are what the row leaves over"
                    ),
                );
                continue;
            }
            let to = names.resolve(ctx, &f.key_span, &f.path, to_name);
            let p = ctx.number(&f, Domain::PROBABILITY);
            if let (Some(to), Some(p)) = (to, p) {
                row.push((to, p));
            }
        }
        let total: f64 = row.iter().map(|(_, p)| p).sum();
        if ctx.count() == row_before && total > 1.0 + SHARE_TOLERANCE {
            ctx.error(
                &row_field.key_span,
                &row_field.path,
                format!(
                    "the probabilities of leaving `{from_name}` add up to {}; they must add up \
                     to at most 1",
                    show(total)
                ),
            );
        }
        if let Some(from) = from {
            rows[from] = row;
        }
    }
    (ctx.count() == before).then_some(rows)
}

pub fn shocks(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<Shocks> {
    let t = ctx.table(field, &["demand", "churn"])?;
    let mut read = |key: &str| match t.get(key) {
        Some(f) => shock(ctx, &f).map(Some),
        None => Some(None),
    };
    let demand = read("demand");
    let churn = read("churn");
    Some(Shocks {
        demand: demand?,
        churn: churn?,
    })
}

/// The largest log-multiplier sd of a shock (see [`shock`]).
pub const MAX_SHOCK_SD: f64 = 10.0;

fn shock(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<Shock> {
    let t = ctx.table(field, &["sd", "persistence"])?;
    let sd = t.number(
        ctx,
        "sd",
        Domain::closed(0.0, MAX_SHOCK_SD),
        "the standard deviation of the log multiplier, e.g. 0.05; past 10 the mean-one \
         multiplier exp(sd·z − sd²/2) is zero in almost every period and underflows at 40",
    );
    let persistence = t.number_or(ctx, "persistence", half_open_unit(), 0.0);
    Some(Shock {
        sd: sd?,
        persistence: persistence?,
    })
}
