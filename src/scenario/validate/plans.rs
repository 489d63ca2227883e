//! `[plans.*]` (SPEC §7) and `[optimize]` (§10).
//!
//! A plan's lever is a number ≥ 0 (spend per period) or a list of per-year amounts, the last
//! repeating; levers left out spend 0. Spending on a lever whose section is absent is refused:
//! the money would vanish without effect, which is almost certainly a mistake in the file.
//! `[optimize]` defaults: no budget cap, objective "mean", no bounds, `levers` = every lever
//! whose section is present, `optimize_retention_allocation` = false.

use super::cohorts::Names;
use super::market::shares;
use super::read::{Ctx, Field, elements, nearest, show};
use crate::scenario::LeverMap;
use crate::scenario::types::*;

/// Which levers have a section that gives their spend an effect.
pub struct Present {
    pub acquisition: bool,
    /// How acquisition spend is written in plans and `[optimize]`.
    pub channels: Channels,
    pub retention: bool,
    pub development: bool,
    pub winback: bool,
    pub drivers: [bool; 3],
}

impl Present {
    pub fn has(&self, lever: Lever) -> bool {
        match lever {
            Lever::Acquisition => self.acquisition && !matches!(self.channels, Channels::Named(_)),
            Lever::Channel(i) => match &self.channels {
                Channels::Named(names) => (i as usize) < names.len(),
                _ => false,
            },
            Lever::Retention => self.retention,
            Lever::Development => self.development,
            Lever::Winback => self.winback,
            other => other.driver().is_some_and(|d| self.drivers[d.index()]),
        }
    }

    /// The section a lever needs, as written in a file.
    fn section(lever: Lever) -> String {
        match lever {
            Lever::Acquisition | Lever::Channel(_) => "[acquisition]".to_string(),
            Lever::Retention => "[retention_program]".to_string(),
            Lever::Development => "[development_program]".to_string(),
            Lever::Winback => "[winback]".to_string(),
            other => format!("[drivers.{}]", other.name()),
        }
    }

    /// Every lever with an effect, channels in place of `acquisition` when there are any.
    fn levers(&self) -> Vec<Lever> {
        let mut levers: Vec<Lever> = Lever::ALL.into_iter().filter(|l| self.has(*l)).collect();
        if let Channels::Named(names) = &self.channels {
            levers.retain(|l| *l != Lever::Acquisition);
            levers.extend((0..names.len()).map(|i| Lever::Channel(i as u16)));
            levers.sort();
        }
        levers
    }

    /// The lever called `name`: a kind's name, or `acquisition.<channel>`.
    fn lever_named(&self, name: &str) -> Option<Lever> {
        if let Some(channel) = name.strip_prefix("acquisition.") {
            return match &self.channels {
                Channels::Named(names) => names
                    .iter()
                    .position(|n| n == channel)
                    .map(|i| Lever::Channel(i as u16)),
                _ => None,
            };
        }
        lever_named(name)
    }

    /// Every valid lever name, for "did you mean".
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = LEVER_NAMES.iter().map(|s| s.to_string()).collect();
        if let Channels::Named(channels) = &self.channels {
            names.extend(channels.iter().map(|c| format!("acquisition.{c}")));
        }
        names
    }
}

/// The acquisition channels a plan may spend on.
pub enum Channels {
    /// The flat `[acquisition]` block (or none): `acquisition = amount`.
    Flat,
    /// `[[acquisition.channels]]`: `acquisition = { <name> = amount, … }`.
    Named(Vec<String>),
    /// `[acquisition]` has errors of its own; plans' acquisition keys are not checked.
    Unknown,
}

const LEVER_NAMES: [&str; LEVER_KINDS] = [
    "acquisition",
    "retention",
    "value",
    "brand",
    "relationship",
    "development",
    "winback",
];

fn lever_named(name: &str) -> Option<Lever> {
    Lever::ALL.into_iter().find(|l| l.name() == name)
}

/// "unknown lever `brnad`; did you mean `brand`?"
fn unknown_lever(
    ctx: &mut Ctx<'_>,
    span: &std::ops::Range<usize>,
    path: &str,
    name: &str,
    present: &Present,
) {
    let names = present.names();
    let message = match nearest(name, names.iter().map(String::as_str)) {
        Some(near) => format!("unknown lever `{name}`; did you mean `{near}`?"),
        None => format!(
            "unknown lever `{name}`; the levers are {}",
            names.join(", ")
        ),
    };
    ctx.error(span, path, message);
}

fn absent_lever(
    ctx: &mut Ctx<'_>,
    span: &std::ops::Range<usize>,
    path: &str,
    lever: Lever,
    doing: &str,
) {
    ctx.error(
        span,
        path,
        format!(
            "{doing} `{}` would have no effect: the scenario has no {} section; add one or \
             remove this",
            lever.name(),
            Present::section(lever)
        ),
    );
}

/// The most plans a scenario may have (SPEC §12.3).
pub const MAX_PLANS: usize = 1000;

pub fn plans(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    names: &Names,
    present: &Present,
) -> Option<Vec<Plan>> {
    let table = ctx.open_table(field)?;
    if table.entries.is_empty() {
        return Some(vec![Plan::baseline()]);
    }
    if table.entries.len() > MAX_PLANS {
        ctx.error(
            &field.key_span,
            &field.path,
            format!(
                "{} plans; at most {MAX_PLANS} (compare holds every plan's runs at once): \
                 split them over several scenario files",
                table.entries.len()
            ),
        );
        return None;
    }
    let mut result = Some(Vec::new());
    for (name, f) in table.fields() {
        let plan = plan(ctx, name, &f, names, present);
        match (&mut result, plan) {
            (Some(list), Some(p)) => list.push(p),
            _ => result = None,
        }
    }
    result
}

fn plan(
    ctx: &mut Ctx<'_>,
    name: &str,
    field: &Field<'_>,
    names: &Names,
    present: &Present,
) -> Option<Plan> {
    let mut keys: Vec<&str> = LEVER_NAMES.to_vec();
    keys.push("retention_allocation");
    keys.push("offboard");
    let t = ctx.table(field, &keys)?;
    let before = ctx.count();
    let mut spend = LeverMap::from_fn(|_| SpendSchedule::constant(0.0));
    let mut channels = Vec::new();
    for lever in Lever::ALL {
        let Some(f) = t.get(lever.name()) else {
            continue;
        };
        if lever == Lever::Acquisition && !matches!(present.channels, Channels::Flat) {
            if let Some((total, split)) = channel_spend(ctx, &f, present) {
                spend[Lever::Acquisition] = total;
                channels = split;
            }
            continue;
        }
        if let Some(schedule) = schedule(ctx, &f) {
            if !present.has(lever) && schedule.0.iter().any(|x| *x > 0.0) {
                absent_lever(ctx, &f.key_span, &f.path, lever, "spending on");
            }
            spend[lever] = schedule;
        }
    }
    let retention_allocation = match t.get("retention_allocation") {
        Some(f) => {
            if !present.retention {
                absent_lever(ctx, &f.key_span, &f.path, Lever::Retention, "allocating");
                None
            } else {
                shares(ctx, &f, names)
            }
        }
        None => None,
    };
    let offboard = match t.get("offboard") {
        Some(f) => super::levers_seed::offboard(ctx, &f, names).unwrap_or_default(),
        None => Vec::new(),
    };
    (ctx.count() == before).then(|| Plan {
        name: name.to_string(),
        spend,
        retention_allocation,
        channels,
        offboard,
    })
}

/// A plan's `acquisition` in a scenario with channels: `{ <channel> = amount, … }`, or one
/// amount when there is a single channel. Returns the total and the per-channel schedules.
fn channel_spend(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    present: &Present,
) -> Option<(SpendSchedule, Vec<SpendSchedule>)> {
    let Channels::Named(names) = &present.channels else {
        return None; // [acquisition] has its own errors.
    };
    let example = || {
        names
            .iter()
            .map(|n| format!("{n} = 10000"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !matches!(field.node.value, crate::scenario::document::Value::Table(_)) {
        if names.len() > 1 {
            ctx.error(
                &field.node.span,
                &field.path,
                format!(
                    "the scenario has {} acquisition channels; give the spend of each, e.g. \
                     acquisition = {{ {} }}",
                    names.len(),
                    example()
                ),
            );
            return None;
        }
        let one = schedule(ctx, field)?;
        return Some((one.clone(), vec![one]));
    }
    let table = ctx.open_table(field)?;
    let before = ctx.count();
    let mut split = vec![SpendSchedule::constant(0.0); names.len()];
    for (key, f) in table.fields() {
        let Some(i) = names.iter().position(|n| n == key) else {
            let message = match nearest(key, names.iter().map(String::as_str)) {
                Some(near) => format!("unknown channel `{key}`; did you mean `{near}`?"),
                None => format!(
                    "unknown channel `{key}`; the channels are {}",
                    names.join(", ")
                ),
            };
            ctx.error(&f.key_span, &f.path, message);
            continue;
        };
        if let Some(s) = schedule(ctx, &f) {
            split[i] = s;
        }
    }
    (ctx.count() == before).then(|| (SpendSchedule::sum(&split), split))
}

/// A number ≥ 0, or a non-empty list of per-year numbers ≥ 0 (the last repeating).
fn schedule(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<SpendSchedule> {
    if let Some(items) = elements(field) {
        if items.is_empty() {
            ctx.error(
                &field.node.span,
                &field.path,
                "expected at least one amount; the list gives spend per period for each year, \
                 the last repeating",
            );
            return None;
        }
        let amounts: Vec<Option<f64>> = items
            .iter()
            .map(|item| ctx.number(item, Domain::NON_NEGATIVE))
            .collect();
        return amounts
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .map(SpendSchedule);
    }
    match field.node.value {
        crate::scenario::document::Value::Integer(_)
        | crate::scenario::document::Value::Float(_) => ctx
            .number(field, Domain::NON_NEGATIVE)
            .map(SpendSchedule::constant),
        ref other => {
            ctx.wrong_type(
                field,
                "a spend per period (a number ≥ 0) or a list of per-year amounts",
                other,
            );
            None
        }
    }
}

const OBJECTIVE_HELP: &str =
    "\"mean\", { mean_minus_sd = λ }, { cvar = α } or { prob_above = target }";

pub fn optimize(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    present: &Present,
    names: &Names,
) -> Option<Optimize> {
    let t = ctx.table(
        field,
        &[
            "budget",
            "objective",
            "bounds",
            "levers",
            "optimize_retention_allocation",
            "phases",
            "hurdle",
            "target",
        ],
    )?;
    let before = ctx.count();
    let budget = match t.get("budget") {
        Some(f) => ctx.number(&f, Domain::NON_NEGATIVE).map(Some),
        None => Some(None),
    };
    let objective = match t.get("objective") {
        Some(f) => objective(ctx, &f),
        None => Some(Objective::Mean),
    };
    let mut bounds: LeverMap<Option<(f64, f64)>> = LeverMap::default();
    let mut offboard_bounds: Vec<Option<(f64, f64)>> = vec![None; names.0.len()];
    let n_channels = match &present.channels {
        Channels::Named(names) => names.len(),
        _ => 0,
    };
    let mut channel_bounds: Vec<Option<(f64, f64)>> = vec![None; n_channels];
    if let Some(f) = t.get("bounds")
        && let Some(table) = ctx.open_table(&f)
    {
        let mut entries: Vec<(String, Field<'_>)> = Vec::new();
        for (name, b) in table.fields() {
            // `acquisition.search = [..]` unquoted is the nested table { search = [..] }.
            let nested = (name == "acquisition" && n_channels > 0 || name == "offboard")
                && matches!(b.node.value, crate::scenario::document::Value::Table(_));
            let inner = if nested { ctx.open_table(&b) } else { None };
            match inner {
                Some(inner) => entries.extend(
                    inner
                        .fields()
                        .map(|(channel, g)| (format!("{name}.{channel}"), g)),
                ),
                None => entries.push((name.to_string(), b)),
            }
        }
        for (name, b) in entries {
            // `offboard.<cohort>`: the share released per period, a variable in [0, 1].
            if let Some(cohort) = name.strip_prefix("offboard.") {
                let index = names.resolve(ctx, &b.key_span, &b.path, cohort);
                let range = super::levers_seed::offboard_bound(ctx, &b);
                if let (Some(i), Some(range)) = (index, range) {
                    offboard_bounds[i] = Some(range);
                }
                continue;
            }
            let Some(lever) = present.lever_named(&name) else {
                unknown_lever(ctx, &b.key_span, &b.path, &name, present);
                continue;
            };
            if lever == Lever::Acquisition && present.acquisition && !present.has(lever) {
                let names = present.names()[LEVER_NAMES.len()..].join(", ");
                ctx.error(
                    &b.key_span,
                    &b.path,
                    format!("the scenario has acquisition channels; bound each of {names}"),
                );
                continue;
            }
            if !present.has(lever) {
                absent_lever(ctx, &b.key_span, &b.path, lever, "bounding");
                continue;
            }
            match lever {
                Lever::Channel(i) => channel_bounds[i as usize] = bound(ctx, &b),
                other => bounds[other] = bound(ctx, &b),
            }
        }
        if let Some(Some(budget)) = budget {
            let minimum: f64 = bounds
                .values()
                .iter()
                .chain(&channel_bounds)
                .flatten()
                .map(|(lo, _)| lo)
                .sum();
            if minimum > budget {
                ctx.error(
                    &f.key_span,
                    &f.path,
                    format!(
                        "the lower bounds add up to {}, more than the budget of {}; lower \
                         them or raise the budget",
                        show(minimum),
                        show(budget)
                    ),
                );
            }
        }
    }
    let levers = match t.get("levers") {
        Some(f) => levers(ctx, &f, present),
        None => Some(present.levers()),
    };
    let optimize_retention_allocation = match t.get("optimize_retention_allocation") {
        Some(f) => {
            let on = ctx.boolean(&f);
            if on == Some(true) && !present.retention {
                ctx.error(
                    &f.node.span,
                    &f.path,
                    "there is no retention allocation to optimize: the scenario has no \
                     [retention_program] section",
                );
            }
            on
        }
        None => Some(false),
    };
    let phases = match t.get("phases") {
        Some(f) => match ctx.string(&f) {
            Some("yearly") => Some(true),
            Some("none") => Some(false),
            Some(other) => {
                let message = format!(
                    "unknown phasing `{other}`: expected \"yearly\" (one level per lever per \
                     year) or \"none\" (one constant level, the default)"
                );
                ctx.error(&f.node.span, &f.path, message);
                None
            }
            None => None,
        },
        None => Some(false),
    };
    let hurdle = match t.get("hurdle") {
        Some(f) => ctx
            .number_why(
                &f,
                Domain::NON_NEGATIVE,
                "the least return per extra unit of discounted spend, on top of the unit",
            )
            .map(Some),
        None => Some(None),
    };
    let target = match t.get("target") {
        Some(f) => target(ctx, &f).map(Some),
        None => Some(None),
    };
    if ctx.count() > before {
        return None;
    }
    Some(Optimize {
        budget: budget?,
        objective: objective?,
        bounds,
        channel_bounds,
        levers: levers?,
        offboard_bounds: if offboard_bounds.iter().any(Option::is_some) {
            offboard_bounds
        } else {
            Vec::new()
        },
        optimize_retention_allocation: optimize_retention_allocation?,
        phases: phases?,
        hurdle: hurdle?,
        target: target?,
    })
}

/// `[min, max]` with 0 ≤ min ≤ max.
fn bound(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<(f64, f64)> {
    min_max(
        ctx,
        field,
        Domain::NON_NEGATIVE,
        "expected [min, max], two spends per period with 0 ≤ min ≤ max",
    )
}

/// `[min, max]` of two numbers in `domain` with min ≤ max; `expected` words the form for an
/// error. Shared by spend bounds and off-boarding bounds ([`super::levers_seed`]).
pub(super) fn min_max(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    domain: Domain,
    expected: &str,
) -> Option<(f64, f64)> {
    let items = match elements(field) {
        Some(items) if items.len() == 2 => items,
        _ => {
            ctx.error(&field.node.span, &field.path, expected);
            return None;
        }
    };
    let lo = ctx.number(&items[0], domain);
    let hi = ctx.number(&items[1], domain);
    let (lo, hi) = (lo?, hi?);
    if lo > hi {
        ctx.error(
            &field.node.span,
            &field.path,
            format!(
                "the minimum {} is above the maximum {}; expected [min, max]",
                show(lo),
                show(hi)
            ),
        );
        return None;
    }
    Some((lo, hi))
}

fn levers(ctx: &mut Ctx<'_>, field: &Field<'_>, present: &Present) -> Option<Vec<Lever>> {
    let Some(items) = elements(field) else {
        ctx.wrong_type(field, "a list of lever names", &field.node.value);
        return None;
    };
    let before = ctx.count();
    let mut result = Vec::new();
    for item in &items {
        let Some(name) = ctx.string(item) else {
            continue;
        };
        // `acquisition` in a scenario with channels stands for every channel.
        if name == "acquisition"
            && let Channels::Named(names) = &present.channels
        {
            for i in 0..names.len() {
                let lever = Lever::Channel(i as u16);
                if !result.contains(&lever) {
                    result.push(lever);
                }
            }
            continue;
        }
        let Some(lever) = present.lever_named(name) else {
            unknown_lever(ctx, &item.node.span, &item.path, name, present);
            continue;
        };
        if !present.has(lever) {
            absent_lever(ctx, &item.node.span, &item.path, lever, "optimizing");
        } else if result.contains(&lever) {
            ctx.error(
                &item.node.span,
                &item.path,
                format!("lever `{name}` is listed twice"),
            );
        } else {
            result.push(lever);
        }
    }
    if result.is_empty() && ctx.count() == before {
        ctx.error(
            &field.node.span,
            &field.path,
            "expected at least one lever for the optimizer to move",
        );
    }
    (ctx.count() == before).then_some(result)
}

/// `{ mean = X }` or `{ prob_above = X, probability = p }` with p in (0, 1).
fn target(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<Target> {
    let forms: &[&[&str]] = &[&["mean"], &["prob_above", "probability"]];
    let (form, t) = ctx.form(field, forms)?;
    if form == 0 {
        let f = t.get("mean")?;
        return ctx.finite(&f).map(Target::Mean);
    }
    let threshold = ctx.finite(&t.get("prob_above")?);
    let open = Domain {
        low_open: true,
        high_open: true,
        ..Domain::closed(0.0, 1.0)
    };
    let probability = t.number(
        ctx,
        "probability",
        open,
        "the share of runs above the threshold",
    );
    Some(Target::ProbAbove {
        threshold: threshold?,
        probability: probability?,
    })
}

fn objective(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<Objective> {
    use crate::scenario::document::Value;
    match &field.node.value {
        Value::String(s) if s == "mean" => Some(Objective::Mean),
        Value::String(s) => {
            ctx.error(
                &field.node.span,
                &field.path,
                format!("unknown objective \"{s}\"; expected {OBJECTIVE_HELP}"),
            );
            None
        }
        Value::Table(_) => {
            let forms: &[&[&str]] = &[&["mean_minus_sd"], &["cvar"], &["prob_above"]];
            let (form, t) = ctx.form(field, forms)?;
            match form {
                0 => t
                    .number(ctx, "mean_minus_sd", Domain::NON_NEGATIVE, "")
                    .map(Objective::MeanMinusSd),
                1 => {
                    let alpha = Domain {
                        low_open: true,
                        ..Domain::closed(0.0, 1.0)
                    };
                    let f = t.get("cvar")?;
                    ctx.number_why(&f, alpha, "the share of worst runs averaged, e.g. 0.05")
                        .map(Objective::Cvar)
                }
                _ => {
                    let f = t.get("prob_above")?;
                    ctx.finite(&f).map(Objective::ProbAbove)
                }
            }
        }
        other => {
            ctx.wrong_type(field, OBJECTIVE_HELP, other);
            None
        }
    }
}
