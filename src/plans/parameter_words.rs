//! A scenario parameter's path in business words, for the rows of a sensitivity table or a
//! tornado chart: `cohorts.gold.retention.mean` moved through its churn reads "gold: churn",
//! so that the bar labelled "10% higher" is the one where churn rose (and CE fell). A raw path
//! beside "higher" read as "retention higher loses money".
//!
//! Paths are those of [`crate::scenario::Scenario::visit_parameters`]; a path this module does
//! not know is turned into words mechanically ("a.b_c" → "a: b c"), never dropped.

/// The business words for `path`; `moved` is the sensitivity's kind of move ("value", "churn"
/// for a retention probability moved through 1 − r, "distribution" for an uncertain one).
pub fn parameter_label(path: &str, moved: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    let uncertain = if moved == "distribution" {
        " (its distribution)"
    } else {
        ""
    };
    let words = match parts.as_slice() {
        ["time", "discount_rate"] => "discount rate".to_string(),
        ["cohorts", cohort, rest @ ..] => format!("{cohort}: {}", cohort_words(rest, moved)),
        ["acquisition", "response", field] => format!("acquisition: {}", response_words(field)),
        ["acquisition", "onboarding_cost"] => "acquisition: onboarding cost".to_string(),
        ["acquisition", "prospects"] => "acquisition: prospects".to_string(),
        ["acquisition", "channels", channel, rest @ ..] => {
            format!("channel {channel}: {}", channel_words(rest))
        }
        ["retention_program", "response", field] => {
            format!("retention programme: {}", response_words(field))
        }
        ["development_program", "response", field] => {
            format!("development programme: {}", response_words(field))
        }
        ["development_program", "upgrades", from, to] => {
            format!("development programme: most extra {from} to {to} upgrades")
        }
        ["development_program", field] => format!("development programme: {}", spaced(field)),
        ["winback", "response", field] => format!("win-back: {}", response_words(field)),
        ["winback", field] => format!("win-back: {}", spaced(field)),
        ["drivers", driver, rest @ ..] => format!("{driver} driver: {}", driver_words(rest)),
        ["migration", from, to] => format!("migration {from} to {to}"),
        ["shocks", kind, field] => format!("{kind} shocks: {}", spaced(field)),
        _ => mechanical(path),
    };
    format!("{words}{uncertain}")
}

fn cohort_words(rest: &[&str], moved: &str) -> String {
    match rest {
        ["retention", "rate" | "mean"] if moved != "value" => "churn".to_string(),
        ["retention", "rate" | "mean"] => "retention".to_string(),
        ["retention", "concentration"] => "how alike customers' retention is".to_string(),
        ["retention", "churn_alpha"] => "churn heterogeneity α (sBG)".to_string(),
        ["retention", "churn_beta"] => "churn heterogeneity β (sBG)".to_string(),
        ["retention", "dropout_alpha"] => "dropout a (BG/NBD)".to_string(),
        ["retention", "dropout_beta"] => "dropout b (BG/NBD)".to_string(),
        ["purchases", "mean"] => "orders per period".to_string(),
        ["purchases", "shape"] => "how alike customers' order rates are".to_string(),
        ["order_value", "mean"] => "order value".to_string(),
        ["order_value", "cv"] => "spread of order values".to_string(),
        ["order_value", "customer_cv"] => "spread of order values between customers".to_string(),
        ["order_value", field] => format!("order value {field} (Gamma-Gamma)"),
        ["margin"] => "margin".to_string(),
        ["cost_to_serve"] => "cost to serve".to_string(),
        ["referrals"] => "referrals".to_string(),
        ["extra_value", kind] => format!("{kind} value"),
        ["sensitivity", driver] => format!("sensitivity to the {driver} driver"),
        other => spaced(&other.join(" ")),
    }
}

fn response_words(field: &str) -> String {
    match field {
        "ceiling" => "ceiling".to_string(),
        "max_churn_reduction" => "most churn removed".to_string(),
        "half_spend" => "spend for half the effect".to_string(),
        "k" => "response rate k".to_string(),
        "shape" => "S-shape".to_string(),
        other => spaced(other),
    }
}

fn channel_words(rest: &[&str]) -> String {
    match rest {
        ["response", field] => response_words(field),
        other => spaced(&other.join(" ")),
    }
}

fn driver_words(rest: &[&str]) -> String {
    match rest {
        ["max_lift"] => "largest lift".to_string(),
        ["half_spend"] => "spend for half the lift".to_string(),
        ["carryover"] => "carry-over".to_string(),
        ["effect", on] => format!("effect on {on}"),
        other => spaced(&other.join(" ")),
    }
}

fn spaced(text: &str) -> String {
    text.replace('_', " ")
}

fn mechanical(path: &str) -> String {
    match path.split_once('.') {
        Some((head, tail)) => format!("{}: {}", spaced(head), spaced(&tail.replace('.', " "))),
        None => spaced(path),
    }
}

/// Whether two effects are the same lever seen twice, so that a table shows them as one row:
/// a cohort's `margin` and its `order_value.mean` both scale margin × order value, and moving
/// either by the same share gives the same draws and the same CE (to rounding).
pub fn same_lever(a: &str, b: &str) -> bool {
    let pair = |x: &str, y: &str| {
        x.strip_suffix(".margin")
            .is_some_and(|cohort| y.strip_suffix(".order_value.mean") == Some(cohort))
    };
    pair(a, b) || pair(b, a)
}

/// The label of a merged pair: "gold: margin per order (margin × order value)".
pub fn merged_label(label: &str) -> String {
    match label.rsplit_once(": ") {
        Some((cohort, _)) => format!("{cohort}: margin per order (margin × order value)"),
        None => label.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_moved_through_churn_says_churn() {
        assert_eq!(
            parameter_label("cohorts.gold.retention.mean", "churn"),
            "gold: churn"
        );
        assert_eq!(
            parameter_label("cohorts.gold.retention.rate", "distribution"),
            "gold: churn (its distribution)"
        );
        assert_eq!(
            parameter_label("retention_program.response.max_churn_reduction", "value"),
            "retention programme: most churn removed"
        );
    }

    #[test]
    fn known_and_unknown_paths_read_as_words() {
        assert_eq!(
            parameter_label("drivers.brand.effect.retention", "value"),
            "brand driver: effect on retention"
        );
        assert_eq!(
            parameter_label("acquisition.channels.search.response.ceiling", "value"),
            "channel search: ceiling"
        );
        assert_eq!(
            parameter_label("migration.gold.platinum", "value"),
            "migration gold to platinum"
        );
        assert_eq!(
            parameter_label("new_block.some_key", "value"),
            "new block: some key"
        );
    }

    #[test]
    fn margin_and_order_value_are_one_lever() {
        assert!(same_lever(
            "cohorts.gold.margin",
            "cohorts.gold.order_value.mean"
        ));
        assert!(same_lever(
            "cohorts.gold.order_value.mean",
            "cohorts.gold.margin"
        ));
        assert!(!same_lever(
            "cohorts.gold.margin",
            "cohorts.iron.order_value.mean"
        ));
        assert_eq!(
            merged_label("gold: margin"),
            "gold: margin per order (margin × order value)"
        );
    }
}
