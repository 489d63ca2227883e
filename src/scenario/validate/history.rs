//! A cohort's `history` (BG/NBD customers with what they have done) and `tenure` (contractual
//! customers with the renewals they have survived), SPEC §2.
//!
//! `history` is either a list of groups `{ frequency, recency, T, count }` written in the
//! scenario, or the name of a CSV file, relative to the scenario file, with columns
//! `frequency`, `recency`, `T` and optionally `count` (default 1 per row) and `monetary_value`
//! (the average repeat order value, for Gamma-Gamma order values; other columns, such
//! as those of a `ceq fit transactions --scores` file, are ignored). `tenure` is a whole number
//! (every existing customer has renewed that often) or a list of groups `{ renewals, count }`.

use std::path::Path;
use std::sync::Arc;

use super::read::{Ctx, Field, elements};
use crate::scenario::document::Value;
use crate::scenario::types::*;

const HISTORY_KEYS: &[&str] = &["frequency", "recency", "T", "count", "monetary_value"];
const TENURE_KEYS: &[&str] = &["renewals", "count"];

/// The most repeat purchases or renewals one customer may have.
const MAX_EVENTS: u64 = 10_000_000;

/// `history = …`: the groups, merged so that identical histories form one group.
pub fn history(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<Vec<HistoryGroup>> {
    let groups = match &field.node.value {
        Value::String(name) => history_file(ctx, field, name)?,
        Value::Array(_) => {
            let items = elements(field)?;
            let mut groups = Vec::with_capacity(items.len());
            let mut ok = true;
            for item in &items {
                match history_group(ctx, item) {
                    Some(g) => groups.push(g),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            groups
        }
        other => {
            ctx.wrong_type(
                field,
                "a CSV file name such as \"base.csv\" or a list of { frequency, recency, T, \
                 count } groups",
                other,
            );
            return None;
        }
    };
    Some(merge_histories(groups))
}

fn history_group(ctx: &mut Ctx<'_>, item: &Field<'_>) -> Option<HistoryGroup> {
    let table = ctx.table(item, HISTORY_KEYS)?;
    let frequency = table
        .required(ctx, "frequency", "repeat purchases, e.g. 2")
        .and_then(|f| ctx.whole(&f, 0, MAX_EVENTS, "repeat purchases per customer"));
    let recency = table.number(
        ctx,
        "recency",
        Domain::NON_NEGATIVE,
        "periods from the first to the last purchase",
    );
    let age = table.number(
        ctx,
        "T",
        Domain::NON_NEGATIVE,
        "periods from the first purchase to now",
    );
    let count = match table.get("count") {
        Some(f) => ctx.whole(&f, 0, super::MAX_POPULATION, "customers per group"),
        None => Some(1),
    };
    let monetary_value = match table.get("monetary_value") {
        Some(f) => ctx.number(&f, Domain::NON_NEGATIVE).map(Some),
        None => Some(None),
    };
    let group = HistoryGroup {
        frequency: frequency? as u32,
        recency: recency?,
        age: age?,
        count: count?,
        monetary_value: monetary_value?,
    };
    match check_history(&group) {
        Some(problem) => {
            ctx.error(&item.node.span, &item.path, problem);
            None
        }
        None => Some(group),
    }
}

/// What is wrong with a history, if anything.
fn check_history(group: &HistoryGroup) -> Option<String> {
    if group.recency > group.age {
        Some(format!(
            "recency {} is after T {}: the last purchase cannot come after now",
            group.recency, group.age
        ))
    } else if group.frequency > 0 && group.recency <= 0.0 {
        Some(format!(
            "frequency {} with recency 0: repeat purchases come after the first, so recency \
             must be > 0",
            group.frequency
        ))
    } else {
        None
    }
}

/// Reads a history CSV named by the scenario, reporting every bad row (up to ten) at the
/// `history` key with the CSV's own line numbers.
fn history_file(ctx: &mut Ctx<'_>, field: &Field<'_>, name: &str) -> Option<Vec<HistoryGroup>> {
    let base = Path::new(ctx.file()).parent().unwrap_or(Path::new(""));
    let path = base.join(name);
    let span = field.node.span.clone();
    let text = match crate::scenario::read_regular_file(&path, crate::scenario::MAX_DATA_BYTES) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            ctx.error(
                &span,
                &field.path,
                format!(
                    "cannot read the history file {} ({e}); the name is relative to the \
                     scenario file",
                    path.display()
                ),
            );
            return None;
        }
    };
    let display = path.display().to_string();
    match parse_history_csv(&text, &display) {
        Ok(groups) => Some(groups),
        Err(problems) => {
            for problem in problems {
                ctx.error(&span, &field.path, problem);
            }
            None
        }
    }
}

/// The groups of a history CSV, or its problems (at most ten, then a count).
pub fn parse_history_csv(text: &str, display: &str) -> Result<Vec<HistoryGroup>, Vec<String>> {
    let delimiter = crate::fit::transactions::sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![format!("{display}: cannot read the header ({e})")]),
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (frequency, recency, age, count, monetary) = (
        column("frequency"),
        column("recency"),
        column("T"),
        column("count"),
        column("monetary_value"),
    );
    let missing: Vec<&str> = [("frequency", frequency), ("recency", recency), ("T", age)]
        .iter()
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(vec![format!(
            "{display}: the header lacks {}; a history file needs the columns frequency, \
             recency, T and optionally count (found: {})",
            missing.join(", "),
            header.iter().collect::<Vec<_>>().join(", ")
        )]);
    }
    let (frequency, recency, age) = (
        frequency.unwrap_or(0),
        recency.unwrap_or(0),
        age.unwrap_or(0),
    );
    let mut groups = Vec::new();
    let mut problems = Vec::new();
    let mut bad = 0usize;
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let mut report = |message: String| {
            bad += 1;
            if problems.len() < 10 {
                problems.push(format!("{display}:{line}: {message}"));
            }
        };
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report(format!("cannot read the row ({e})"));
                continue;
            }
        };
        let cell = |i: usize| record.get(i).unwrap_or("");
        let number = |i: usize, name: &str| -> Result<f64, String> {
            match cell(i).parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
                _ => Err(format!("{name} '{}' is not a number ≥ 0", cell(i))),
            }
        };
        let whole = |i: usize, name: &str| -> Result<u64, String> {
            let x = number(i, name)?;
            if x.fract() != 0.0 {
                return Err(format!("{name} '{}' is not a whole number", cell(i)));
            }
            Ok(x as u64)
        };
        let group = (|| -> Result<HistoryGroup, String> {
            let x = whole(frequency, "frequency")?;
            if x > MAX_EVENTS {
                return Err(format!("frequency {x} is more than {MAX_EVENTS}"));
            }
            let group = HistoryGroup {
                frequency: x as u32,
                recency: number(recency, "recency")?,
                age: number(age, "T")?,
                count: match count {
                    Some(c) => whole(c, "count")?,
                    None => 1,
                },
                monetary_value: match monetary {
                    Some(m) if !cell(m).is_empty() => Some(number(m, "monetary_value")?),
                    _ => None,
                },
            };
            match check_history(&group) {
                Some(problem) => Err(problem),
                None => Ok(group),
            }
        })();
        match group {
            Ok(g) => groups.push(g),
            Err(message) => report(message),
        }
    }
    if bad > problems.len() {
        problems.push(format!(
            "{display}: … and {} more bad rows",
            bad - problems.len()
        ));
    }
    if problems.is_empty() {
        Ok(merge_histories(groups))
    } else {
        Err(problems)
    }
}

/// Identical histories as one group, sorted by (x, T, m_x, t_x) so the engines see the same
/// order however the file was written (t_x and m_x are dropped at x = 0, where they mean
/// nothing).
pub fn merge_histories(mut groups: Vec<HistoryGroup>) -> Vec<HistoryGroup> {
    for g in &mut groups {
        if g.frequency == 0 {
            g.recency = 0.0;
            g.monetary_value = None;
        }
    }
    let monetary = |g: &HistoryGroup| g.monetary_value.map_or(-1.0, |m| m);
    groups.sort_by(|a, b| {
        a.frequency
            .cmp(&b.frequency)
            .then(a.age.total_cmp(&b.age))
            .then(monetary(a).total_cmp(&monetary(b)))
            .then(a.recency.total_cmp(&b.recency))
    });
    let mut merged: Vec<HistoryGroup> = Vec::with_capacity(groups.len());
    for g in groups {
        match merged.last_mut() {
            Some(last)
                if last.frequency == g.frequency
                    && last.age == g.age
                    && last.recency == g.recency
                    && last.monetary_value == g.monetary_value =>
            {
                last.count += g.count;
            }
            _ => merged.push(g),
        }
    }
    merged.retain(|g| g.count > 0);
    merged
}

/// `tenure = n` or `tenure = [{ renewals, count }, …]`; `customers` is the cohort's size, used
/// for the plain-number form.
pub fn tenure(
    ctx: &mut Ctx<'_>,
    field: &Field<'_>,
    customers: Option<u64>,
) -> Option<Vec<TenureGroup>> {
    match &field.node.value {
        Value::Integer(_) | Value::Float(_) => {
            let renewals = ctx.whole(field, 0, MAX_EVENTS, "renewals per customer")?;
            let Some(count) = customers else {
                ctx.error(
                    &field.key_span,
                    &field.path,
                    "`tenure = n` needs `customers` (how many have renewed n times); or give \
                     groups: tenure = [{ renewals = 3, count = 500 }]",
                );
                return None;
            };
            Some(vec![TenureGroup {
                renewals: renewals as u32,
                count,
            }])
        }
        Value::Array(_) => {
            let items = elements(field)?;
            let mut groups: Vec<TenureGroup> = Vec::with_capacity(items.len());
            let mut ok = true;
            for item in &items {
                let Some(table) = ctx.table(item, TENURE_KEYS) else {
                    ok = false;
                    continue;
                };
                let renewals = table
                    .required(ctx, "renewals", "renewals survived, e.g. 3")
                    .and_then(|f| ctx.whole(&f, 0, MAX_EVENTS, "renewals per customer"));
                let count = table
                    .required(ctx, "count", "customers with this tenure")
                    .and_then(|f| ctx.whole(&f, 0, super::MAX_POPULATION, "customers"));
                match (renewals, count) {
                    (Some(r), Some(c)) => groups.push(TenureGroup {
                        renewals: r as u32,
                        count: c,
                    }),
                    _ => ok = false,
                }
            }
            if !ok {
                return None;
            }
            groups.sort_by_key(|g| g.renewals);
            let mut merged: Vec<TenureGroup> = Vec::with_capacity(groups.len());
            for g in groups {
                match merged.last_mut() {
                    Some(last) if last.renewals == g.renewals => last.count += g.count,
                    _ => merged.push(g),
                }
            }
            merged.retain(|g| g.count > 0);
            Some(merged)
        }
        other => {
            ctx.wrong_type(
                field,
                "renewals survived (a whole number) or a list of { renewals, count } groups",
                other,
            );
            None
        }
    }
}

/// The history as the shared type of [`Cohort::existing`].
pub fn shared(groups: Vec<HistoryGroup>) -> ExistingBase {
    ExistingBase::History(HistoryGroups(Arc::new(groups)))
}
