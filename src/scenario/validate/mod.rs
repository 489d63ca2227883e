//! Validation: the spanned document tree → a typed [`Scenario`], or every problem found.
//!
//! Each section has its own module; they share the readers in [`read`]. Validation never stops
//! at the first problem: a section that has problems yields `None` and the others are still
//! checked, so a user fixes a file in one pass. Key paths index cohorts from 0
//! (`cohorts[0].retention.mean`), like the list they are written in.
//!
//! Defaults (documented here because they are the file format's contract):
//! - top level: `name` = the file stem, `currency` = "USD", `sample_fraction` = 1;
//! - `[time]`: `periods` is required (1 to 100 000); `periods_per_year` = 12;
//!   `discount_rate` = 0; `cash_flow_timing` = "end";
//! - cohorts: see [`cohorts`]; sections: see [`market`], [`plans`], [`uncertainty`].

mod cohorts;
mod history;
mod levers_seed;
mod market;
mod plans;
mod read;
mod uncertainty;

use super::document::Node;
use super::error::Diagnostic;
use super::types::*;
use read::{Ctx, Field, Table, nearest};

pub use history::{merge_histories, parse_history_csv};

/// The longest horizon accepted: a run of more periods could never finish in useful time.
pub const MAX_PERIODS: u64 = 100_000;

/// The largest customer base or prospect pool accepted (10^12).
pub const MAX_POPULATION: u64 = 1_000_000_000_000;

const TOP_KEYS: &[&str] = &[
    "name",
    "currency",
    "time",
    "cohorts",
    "acquisition",
    "retention_program",
    "development_program",
    "winback",
    "drivers",
    "migration",
    "shocks",
    "uncertainty",
    "plans",
    "optimize",
    "sample_fraction",
];

/// `sample_fraction` (SPEC §9.2): a share of the business, more than 0 and at most 1.
const SAMPLE_FRACTION: Domain = Domain {
    low: 0.0,
    high: 1.0,
    low_open: true,
    high_open: false,
};

/// Validates a parsed document. `file` and `text` are for diagnostics; `default_name` is the
/// scenario name when the file has none.
pub fn validate(
    root: &Node,
    file: &str,
    text: &str,
    default_name: &str,
) -> Result<Scenario, Vec<Diagnostic>> {
    let mut ctx = Ctx::new(file, text);
    let scenario = validate_root(&mut ctx, root, default_name);
    match scenario {
        Some(scenario) if ctx.count() == 0 => Ok(scenario),
        _ => Err(ctx.into_diagnostics()),
    }
}

fn validate_root(ctx: &mut Ctx<'_>, root: &Node, default_name: &str) -> Option<Scenario> {
    let Some(top) = Table::root(root) else {
        let found = root.value.kind();
        ctx.error(
            &root.span,
            "",
            format!("expected the scenario to be a table (a JSON object), found {found}"),
        );
        return None;
    };
    ctx.reject_unknown(&top, TOP_KEYS);

    let name = match top.get("name") {
        Some(field) => non_empty_string(ctx, &field),
        None => Some(default_name.to_string()),
    };
    let currency = match top.get("currency") {
        Some(field) => non_empty_string(ctx, &field),
        None => Some("USD".to_string()),
    };
    let sample_fraction = top.number_or(ctx, "sample_fraction", SAMPLE_FRACTION, 1.0);
    let time = top
        .required(ctx, "time", "the horizon, e.g. [time] periods = 60")
        .and_then(|f| time(ctx, &f));
    let cohort_list = top
        .required(
            ctx,
            "cohorts",
            "a list of at least one cohort; [[cohorts]] in TOML",
        )
        .and_then(|f| cohorts::cohorts(ctx, &f));
    // Cross-references need the names even when a cohort has other problems.
    let names = cohort_list
        .as_ref()
        .map_or_else(Vec::new, |c| c.names.clone());
    let names = cohorts::Names(names);

    let acquisition = optional(&top, "acquisition", |f| market::acquisition(ctx, f, &names));
    let retention_program = optional(&top, "retention_program", |f| {
        market::retention_program(ctx, f, &names)
    });
    let drivers = match top.get("drivers") {
        Some(f) => market::drivers(ctx, &f),
        None => Some([None, None, None]),
    };
    let migration = match top.get("migration") {
        Some(f) => market::migration(ctx, &f, &names),
        None => Some(vec![Vec::new(); names.0.len()]),
    };
    let development_program = optional(&top, "development_program", |f| {
        levers_seed::development_program(ctx, f, &names, migration.as_deref())
    });
    let winback = optional(&top, "winback", |f| levers_seed::winback(ctx, f, &names));
    let shocks = match top.get("shocks") {
        Some(f) => market::shocks(ctx, &f),
        None => Some(Shocks::default()),
    };

    let present = plans::Present {
        acquisition: top.get("acquisition").is_some(),
        channels: match &acquisition {
            Some(Some(a)) if !a.single => {
                plans::Channels::Named(a.channels.iter().map(|c| c.name.clone()).collect())
            }
            Some(Some(_)) | Some(None) => plans::Channels::Flat,
            None => plans::Channels::Unknown,
        },
        retention: top.get("retention_program").is_some(),
        development: top.get("development_program").is_some(),
        winback: top.get("winback").is_some(),
        drivers: Driver::ALL.map(|d| {
            drivers.as_ref().is_some_and(|ds| ds[d.index()].is_some()) || driver_written(&top, d)
        }),
    };
    let plan_list = match top.get("plans") {
        Some(f) => plans::plans(ctx, &f, &names, &present),
        None => Some(vec![Plan::baseline()]),
    };
    let optimize = optional(&top, "optimize", |f| {
        plans::optimize(ctx, f, &present, &names)
    });

    // The uncertainty paths are checked against the scenario they would modify, so build it
    // first (when everything else is valid).
    let uncertainty_field = top.get("uncertainty");
    let mut scenario = (|| {
        let plan_list = plan_list?;
        let baseline_plan = PlanId::at(
            plan_list
                .iter()
                .position(|p| p.name == "current")
                .unwrap_or(0),
        );
        Some(Scenario {
            name: name?,
            currency: currency?,
            time: time?,
            cohorts: cohort_list?.cohorts?,
            acquisition: acquisition?,
            retention_program: retention_program?,
            development_program: development_program?,
            winback: winback?,
            drivers: drivers?,
            migration: migration?,
            shocks: shocks?,
            uncertainty: Vec::new(),
            uncertainty_draws: None,
            plans: plan_list,
            baseline_plan,
            optimize: optimize?,
            sample_fraction: sample_fraction?,
        })
    })();
    if let Some(field) = uncertainty_field {
        let paths = scenario.as_ref().map(Scenario::parameter_paths);
        let entries = uncertainty::uncertainty(ctx, &field, paths.as_deref());
        if let (Some(scenario), Some((entries, draws))) = (scenario.as_mut(), entries) {
            scenario.uncertainty = entries;
            scenario.uncertainty_draws = draws;
        }
    }
    scenario
}

/// Whether `[drivers.<d>]` is written at all (even with problems), so that a plan spending on
/// it is not also blamed for the section being absent.
fn driver_written(top: &Table<'_>, driver: Driver) -> bool {
    let Some(field) = top.get("drivers") else {
        return false;
    };
    match &field.node.value {
        super::document::Value::Table(entries) => entries.iter().any(|e| e.key == driver.name()),
        _ => false,
    }
}

/// Runs `read` on an optional section: `Some(None)` when absent, `None` when it has problems.
fn optional<'n, T>(
    top: &Table<'n>,
    key: &str,
    read: impl FnOnce(&Field<'n>) -> Option<T>,
) -> Option<Option<T>> {
    match top.get(key) {
        Some(field) => read(&field).map(Some),
        None => Some(None),
    }
}

fn non_empty_string(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<String> {
    let s = ctx.string(field)?;
    if s.trim().is_empty() {
        ctx.error(&field.node.span, &field.path, "expected a non-empty string");
        return None;
    }
    Some(s.to_string())
}

/// `[time]`: `periods` required (1..=100 000, longer horizons could never finish);
/// `periods_per_year` default 12 (monthly); `discount_rate` (annual) default 0;
/// `cash_flow_timing` "end" (default) or "start".
fn time(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<Time> {
    let table = ctx.table(
        field,
        &[
            "periods",
            "periods_per_year",
            "discount_rate",
            "cash_flow_timing",
        ],
    )?;
    let periods = table
        .required(ctx, "periods", "the horizon in periods, e.g. 60")
        .and_then(|f| ctx.whole(&f, 1, MAX_PERIODS, "a longer horizon could never finish"));
    let periods_per_year = match table.get("periods_per_year") {
        Some(f) => ctx.whole(&f, 1, MAX_PERIODS, "12 is monthly, 52 weekly, 365 daily"),
        None => Some(12),
    };
    let discount_rate = table.number_or(ctx, "discount_rate", Domain::NON_NEGATIVE, 0.0);
    let cash_flow_timing = match table.get("cash_flow_timing") {
        Some(f) => match ctx.string(&f)? {
            "end" => Some(CashFlowTiming::End),
            "start" => Some(CashFlowTiming::Start),
            other => {
                let hint = nearest(other, ["end", "start"])
                    .map(|n| format!("; did you mean \"{n}\"?"))
                    .unwrap_or_default();
                ctx.error(
                    &f.node.span,
                    &f.path,
                    format!("expected \"end\" or \"start\", found \"{other}\"{hint}"),
                );
                None
            }
        },
        None => Some(CashFlowTiming::End),
    };
    Some(Time {
        periods: u32::try_from(periods?).ok()?,
        periods_per_year: u32::try_from(periods_per_year?).ok()?,
        discount_rate: discount_rate?,
        cash_flow_timing: cash_flow_timing?,
    })
}

#[cfg(test)]
mod tests;
