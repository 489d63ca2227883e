//! `[[cohorts]]` (SPEC §2).
//!
//! Required per cohort: `name`, `customers`, `retention`, `purchases`, `order_value`.
//! Defaults, chosen so that a cohort with only the required keys is a plain purchase stream:
//! `margin` = 1.0 (order values are already margins), `cost_to_serve` = 0, `referrals` = 0,
//! `referral_cohort` = the cohort itself, `extra_value` = 0 for each of information, knowledge
//! and transaction, `sensitivity` = 1.0 for each of value, brand and relationship.
//!
//! `retention = 0.9` (a plain number) is accepted as `{ rate = 0.9 }`: it is how people say it.

use super::MAX_POPULATION;
use super::read::{Ctx, Field, Table, elements, nearest};
use crate::scenario::types::*;

const COHORT_KEYS: &[&str] = &[
    "name",
    "customers",
    "retention",
    "purchases",
    "order_value",
    "margin",
    "cost_to_serve",
    "referrals",
    "referral_cohort",
    "extra_value",
    "sensitivity",
    "history",
    "tenure",
];

/// Cohort names by index, for resolving cross-references (mix, migration, …).
pub struct Names(pub Vec<String>);

impl Names {
    /// The index of cohort `name`, or a problem naming the nearest cohort.
    pub fn resolve(
        &self,
        ctx: &mut Ctx<'_>,
        span: &std::ops::Range<usize>,
        path: &str,
        name: &str,
    ) -> Option<usize> {
        if let Some(i) = self.0.iter().position(|n| n == name) {
            return Some(i);
        }
        let message = match nearest(name, self.0.iter().map(String::as_str)) {
            Some(near) => format!("unknown cohort `{name}`; did you mean `{near}`?"),
            None if self.0.is_empty() => format!("unknown cohort `{name}`"),
            None => format!(
                "unknown cohort `{name}`; the cohorts are {}",
                self.0
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        ctx.error(span, path, message);
        None
    }
}

/// The cohorts' names (as written, for cross-references) and, when all are valid, the cohorts.
pub struct CohortList {
    pub names: Vec<String>,
    pub cohorts: Option<Vec<Cohort>>,
}

/// The most cohorts a scenario may have (SPEC §12.3).
pub const MAX_COHORTS: usize = 1000;

pub fn cohorts(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<CohortList> {
    let Some(items) = elements(field) else {
        ctx.wrong_type(
            field,
            "a list of cohort tables ([[cohorts]])",
            &field.node.value,
        );
        return None;
    };
    if items.is_empty() {
        ctx.error(
            &field.key_span,
            &field.path,
            "at least one cohort is needed; add a [[cohorts]] table",
        );
        return None;
    }
    if items.len() > MAX_COHORTS {
        ctx.error(
            &field.key_span,
            &field.path,
            format!(
                "{} cohorts; at most {MAX_COHORTS} (every run holds a result per cohort and \
                 period): merge similar cohorts",
                items.len()
            ),
        );
        return None;
    }
    // Names first: referral_cohort may name a later cohort.
    let names: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, item)| name(ctx, item, &items[..i]))
        .collect();
    let names = Names(names);
    let mut cohorts = Some(Vec::with_capacity(items.len()));
    for (index, item) in items.iter().enumerate() {
        let cohort = cohort(ctx, item, index, &names);
        match (&mut cohorts, cohort) {
            (Some(list), Some(c)) => list.push(c),
            _ => cohorts = None,
        }
    }
    Some(CohortList {
        names: names.0,
        cohorts,
    })
}

/// The cohort's name as written (empty when missing); reports bad or duplicate names.
fn name(ctx: &mut Ctx<'_>, item: &Field<'_>, earlier: &[Field<'_>]) -> String {
    let Some(table) = Table::root(item.node).map(|t| Table {
        path: item.path.clone(),
        key_span: item.key_span.clone(),
        ..t
    }) else {
        return String::new();
    };
    let Some(field) = table.required(ctx, "name", "a unique name such as \"gold\"") else {
        return String::new();
    };
    let Some(name) = ctx.string(&field) else {
        return String::new();
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        ctx.error(
            &field.node.span,
            &field.path,
            format!(
                "cohort name \"{name}\" may only use letters, digits, '-' and '_' (it is used in \
                 key paths such as cohorts.{}.margin)",
                name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
            ),
        );
    }
    let duplicate = earlier.iter().any(|e| {
        Table::root(e.node).and_then(|t| t.get("name")).is_some_and(
            |f| matches!(&f.node.value, crate::scenario::document::Value::String(s) if s == name),
        )
    });
    if duplicate {
        ctx.error(
            &field.node.span,
            &field.path,
            format!("duplicate cohort name \"{name}\"; each cohort needs its own name"),
        );
    }
    name.to_string()
}

fn cohort(ctx: &mut Ctx<'_>, item: &Field<'_>, index: usize, names: &Names) -> Option<Cohort> {
    let table = ctx.table(item, COHORT_KEYS)?;
    let grouped_base = table.get("history").is_some()
        || table
            .get("tenure")
            .is_some_and(|f| matches!(f.node.value, crate::scenario::document::Value::Array(_)));
    let customers_field = if grouped_base {
        table.get("customers")
    } else {
        table.required(
            ctx,
            "customers",
            "active customers at the start, e.g. 20000; 0 for a cohort filled by acquisition",
        )
    };
    let customers = customers_field.as_ref().and_then(|f| {
        ctx.whole(
            f,
            0,
            MAX_POPULATION,
            "larger bases could never be simulated; scale the scenario down",
        )
    });
    let retention = table
        .required(ctx, "retention", "e.g. { rate = 0.9 }")
        .and_then(|f| retention(ctx, &f));
    let purchases = table
        .required(ctx, "purchases", "e.g. { mean = 1.4 }")
        .and_then(|f| purchases(ctx, &f));
    let order_value = table
        .required(ctx, "order_value", "e.g. { mean = 85.0 }")
        .and_then(|f| order_value(ctx, &f));
    let margin = table.number_or(ctx, "margin", Domain::PROBABILITY, 1.0);
    let cost_to_serve = table.number_or(ctx, "cost_to_serve", Domain::NON_NEGATIVE, 0.0);
    let referrals = table.number_or(ctx, "referrals", Domain::NON_NEGATIVE, 0.0);
    let referral_cohort = match table.get("referral_cohort") {
        Some(f) => ctx
            .string(&f)
            .and_then(|n| names.resolve(ctx, &f.node.span, &f.path, n)),
        None => Some(index),
    };
    let extra = sub_numbers(
        ctx,
        &table,
        "extra_value",
        &["information", "knowledge", "transaction"],
        Domain::ANY,
        0.0,
    );
    let sensitivity = sub_numbers(
        ctx,
        &table,
        "sensitivity",
        &["value", "brand", "relationship"],
        Domain::NON_NEGATIVE,
        1.0,
    );
    let name = names.0.get(index).cloned().unwrap_or_default();
    let extra = extra?;
    let retention = retention?;
    let purchases = purchases?;
    let order_value = order_value?;
    let (customers, existing) = existing_base(
        ctx,
        &table,
        customers_field.as_ref(),
        customers,
        retention,
        purchases,
        order_value,
    )?;
    Some(Cohort {
        name,
        customers,
        retention,
        purchases,
        order_value,
        margin: margin?,
        cost_to_serve: cost_to_serve?,
        referrals: referrals?,
        referral_cohort: referral_cohort?,
        extra_value: ExtraValue {
            information: extra[0],
            knowledge: extra[1],
            transaction: extra[2],
        },
        sensitivity: sensitivity?,
        existing,
    })
}

/// `history` or `tenure` with the cohort's size: `customers` may be left out when groups give
/// it, and must match them when both are written.
fn existing_base(
    ctx: &mut Ctx<'_>,
    table: &Table<'_>,
    customers_field: Option<&Field<'_>>,
    customers: Option<u64>,
    retention: Retention,
    purchases: Purchases,
    order_value: OrderValue,
) -> Option<(u64, ExistingBase)> {
    let history_field = table.get("history");
    let tenure_field = table.get("tenure");
    let customers_given = customers_field.is_some();
    if customers_given && customers.is_none() {
        return None;
    }
    let (groups_total, existing) = match (&history_field, &tenure_field) {
        (None, None) => return Some((customers.unwrap_or(0), ExistingBase::Fresh)),
        (Some(_), Some(t)) => {
            ctx.error(
                &t.key_span,
                &t.path,
                "a cohort has either `history` (BG/NBD purchase histories) or `tenure` \
                 (renewals of a contract), not both",
            );
            return None;
        }
        (Some(h), None) => {
            let bgnbd = matches!(retention, Retention::Dropout { .. })
                && matches!(purchases, Purchases::NegativeBinomial { .. });
            if !bgnbd {
                ctx.error(
                    &h.key_span,
                    &h.path,
                    "`history` conditions BG/NBD customers on their purchases: it needs \
                     retention = { dropout_alpha, dropout_beta } and purchases = { mean, shape }",
                );
                return None;
            }
            let groups = super::history::history(ctx, h)?;
            if groups.iter().any(|g| g.monetary_value.is_some())
                && !matches!(order_value, OrderValue::GammaGamma { .. })
            {
                ctx.error(
                    &h.key_span,
                    &h.path,
                    "`monetary_value` conditions Gamma-Gamma order values on a customer's spend: \
                     it needs order_value = { p, q, gamma }, or leave the column out",
                );
                return None;
            }
            let total: u64 = groups.iter().map(|g| g.count).sum();
            (total, super::history::shared(groups))
        }
        (None, Some(t)) => {
            let beta_churn = match retention {
                Retention::ShiftedBetaGeometric { .. } => true,
                Retention::MeanConcentration { mean, .. } => mean > 0.0 && mean < 1.0,
                _ => false,
            };
            if !beta_churn {
                ctx.error(
                    &t.key_span,
                    &t.path,
                    "`tenure` conditions a Beta churn propensity on renewals survived: it needs \
                     retention = { churn_alpha, churn_beta } or { mean, concentration } with \
                     0 < mean < 1",
                );
                return None;
            }
            let groups = super::history::tenure(ctx, t, customers)?;
            let total: u64 = groups.iter().map(|g| g.count).sum();
            (total, ExistingBase::Tenure(groups))
        }
    };
    if total_too_large(groups_total) {
        let f = history_field.or(tenure_field)?;
        ctx.error(
            &f.key_span,
            &f.path,
            format!("{groups_total} customers in all is more than {MAX_POPULATION}"),
        );
        return None;
    }
    if let (Some(field), Some(n)) = (customers_field, customers)
        && n != groups_total
    {
        ctx.error(
            &field.node.span,
            &field.path,
            format!(
                "customers = {n}, but the cohort's groups hold {groups_total}; leave \
                 `customers` out or make it the groups' total"
            ),
        );
        return None;
    }
    Some((groups_total, existing))
}

fn total_too_large(total: u64) -> bool {
    total > MAX_POPULATION
}

/// An optional sub-table of three numbers, each with a default.
fn sub_numbers(
    ctx: &mut Ctx<'_>,
    parent: &Table<'_>,
    key: &str,
    keys: &[&'static str; 3],
    domain: Domain,
    default: f64,
) -> Option<[f64; 3]> {
    let Some(field) = parent.get(key) else {
        return Some([default; 3]);
    };
    let table = ctx.table(&field, keys)?;
    let values = keys.map(|k| table.number_or(ctx, k, domain, default));
    Some([values[0]?, values[1]?, values[2]?])
}

/// Where the Beta and shifted-beta-geometric shapes keep their accuracy: past 1e10 the
/// engines' Beta draws and sBG survival lose precision (and such a concentration is a fixed
/// rate: write `rate`), below 1e-6 every customer is at 0 or 1 and the cohort engine's
/// moments underflow (issue 15: ≤ 1e-16 and ≥ 1e160 gave wrong results). Refused, naming the
/// key, rather than simulated wrongly.
pub const SHAPE: Domain = Domain::closed(1e-6, 1e10);
/// Why [`SHAPE`] refuses a value, for the message.
pub const SHAPE_WHY: &str =
    "the engines lose accuracy outside it; for a fixed retention rate write `rate` instead";
/// The most orders a customer places per period on average: more would saturate the order
/// counts (about 2e22 in issue 15) instead of failing.
pub const MAX_ORDERS: f64 = 1e6;

const RETENTION_FORMS: &[&[&str]] = &[
    &["rate"],
    &["mean", "concentration"],
    &["churn_alpha", "churn_beta"],
    &["dropout_alpha", "dropout_beta"],
];

fn retention(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<Retention> {
    if matches!(
        field.node.value,
        crate::scenario::document::Value::Integer(_) | crate::scenario::document::Value::Float(_)
    ) {
        let rate = ctx.number(field, Domain::PROBABILITY)?;
        return Some(Retention::Rate { rate });
    }
    let (form, t) = ctx.form(field, RETENTION_FORMS)?;
    let p = Domain::PROBABILITY;
    match form {
        0 => Some(Retention::Rate {
            rate: t.number(ctx, "rate", p, "")?,
        }),
        1 => {
            let mean = t.number(ctx, "mean", p, "");
            let concentration = t.number(ctx, "concentration", SHAPE, SHAPE_WHY);
            Some(Retention::MeanConcentration {
                mean: mean?,
                concentration: concentration?,
            })
        }
        2 => {
            let alpha = t.number(ctx, "churn_alpha", SHAPE, SHAPE_WHY);
            let beta = t.number(ctx, "churn_beta", SHAPE, SHAPE_WHY);
            Some(Retention::ShiftedBetaGeometric {
                alpha: alpha?,
                beta: beta?,
            })
        }
        _ => {
            let alpha = t.number(ctx, "dropout_alpha", SHAPE, SHAPE_WHY);
            let beta = t.number(ctx, "dropout_beta", SHAPE, SHAPE_WHY);
            Some(Retention::Dropout {
                alpha: alpha?,
                beta: beta?,
            })
        }
    }
}

/// [0, [`MAX_ORDERS`]].
fn orders() -> Domain {
    Domain::closed(0.0, MAX_ORDERS)
}

const PURCHASE_FORMS: &[&[&str]] = &[&["fixed"], &["mean"], &["mean", "shape"]];

fn purchases(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<Purchases> {
    let (form, t) = ctx.form(field, PURCHASE_FORMS)?;
    match form {
        0 => {
            let f = t.get("fixed")?;
            let n = ctx.whole(&f, 0, 1_000_000, "orders per customer per period")?;
            Some(Purchases::Fixed { n: n as f64 })
        }
        1 => Some(Purchases::Poisson {
            mean: t.number(ctx, "mean", orders(), "orders per customer per period")?,
        }),
        _ => {
            let mean = t.number(ctx, "mean", orders(), "orders per customer per period");
            let shape = t.number(
                ctx,
                "shape",
                SHAPE,
                "the Gamma draws lose accuracy outside it",
            );
            Some(Purchases::NegativeBinomial {
                mean: mean?,
                shape: shape?,
            })
        }
    }
}

const ORDER_VALUE_FORMS: &[&[&str]] = &[
    &["mean"],
    &["mean", "cv"],
    &["mean", "cv", "customer_cv"],
    &["p", "q", "gamma"],
];

fn order_value(ctx: &mut Ctx<'_>, field: &Field<'_>) -> Option<OrderValue> {
    let (form, t) = ctx.form(field, ORDER_VALUE_FORMS)?;
    let nn = Domain::NON_NEGATIVE;
    let pos = Domain::POSITIVE;
    match form {
        0 => Some(OrderValue::Constant {
            mean: t.number(ctx, "mean", nn, "")?,
        }),
        1 => {
            let mean = t.number(ctx, "mean", nn, "");
            let cv = t.number(ctx, "cv", pos, "");
            Some(OrderValue::Gamma {
                mean: mean?,
                cv: cv?,
            })
        }
        2 => {
            let mean = t.number(ctx, "mean", nn, "");
            let cv = t.number(ctx, "cv", pos, "");
            let customer_cv = t.number(ctx, "customer_cv", pos, "");
            Some(OrderValue::HeterogeneousGamma {
                mean: mean?,
                cv: cv?,
                customer_cv: customer_cv?,
            })
        }
        _ => {
            let p = t.number(ctx, "p", pos, "");
            let q = t.get("q").and_then(|f| {
                let q_domain = Domain {
                    low: 1.0,
                    high: f64::INFINITY,
                    low_open: true,
                    high_open: false,
                };
                ctx.number_why(
                    &f,
                    q_domain,
                    "the mean order value p·γ/(q − 1) is finite only for q > 1",
                )
            });
            let gamma = t.number(ctx, "gamma", pos, "");
            Some(OrderValue::GammaGamma {
                p: p?,
                q: q?,
                gamma: gamma?,
            })
        }
    }
}
