//! The guard that keeps NaN and infinity out of every output (issue 7): amounts that overflow
//! `f64` (an order value of 1e308 bought three times) are refused with the path of the first
//! bad number, instead of being written as `null` or `inf`.

use super::SimulationSummary;

/// The JSON path of the first number in `summary` that is NaN or infinite, if any.
pub fn first_non_finite(summary: &SimulationSummary) -> Option<String> {
    // serde_json turns NaN and infinity into null; the summary has no other nulls.
    let value = serde_json::to_value(summary).ok()?;
    find(&value, "summary")
}

fn find(value: &serde_json::Value, path: &str) -> Option<String> {
    match value {
        serde_json::Value::Null => Some(path.to_string()),
        serde_json::Value::Number(n) if !n.as_f64().is_some_and(f64::is_finite) => {
            Some(path.to_string())
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map
            .iter()
            .find_map(|(key, item)| find(item, &format!("{path}.{key}"))),
        _ => None,
    }
}
