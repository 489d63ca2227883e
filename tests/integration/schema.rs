//! `ceq schema` (issue 7): the JSON Schema accepts every example scenario and rejects the
//! structurally wrong files in scenarios/invalid/.
//!
//! A minimal validator for the subset of draft 2020-12 the schema uses (type, properties,
//! required, additionalProperties, propertyNames, items, minItems, maxItems, uniqueItems,
//! enum, const, oneOf, minimum, maximum, exclusiveMinimum, exclusiveMaximum, and the three
//! patterns of [`matches`]), so the test needs no validator crate.

use serde_json::Value;
use std::path::Path;

fn schema() -> Value {
    serde_json::from_str(ceq::scenario::JSON_SCHEMA).expect("the schema is JSON")
}

fn valid(schema: &Value, value: &Value) -> bool {
    let Some(s) = schema.as_object() else {
        return true;
    };
    if let Some(t) = s.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            other => panic!("type {other} not supported"),
        };
        if !ok {
            return false;
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return false;
    }
    if let Some(c) = s.get("const")
        && c != value
    {
        return false;
    }
    if let Some(options) = s.get("oneOf").and_then(Value::as_array)
        && options.iter().filter(|o| valid(o, value)).count() != 1
    {
        return false;
    }
    if let Some(x) = value.as_f64() {
        let bound = |k: &str| s.get(k).and_then(Value::as_f64);
        if bound("minimum").is_some_and(|b| x < b)
            || bound("maximum").is_some_and(|b| x > b)
            || bound("exclusiveMinimum").is_some_and(|b| x <= b)
            || bound("exclusiveMaximum").is_some_and(|b| x >= b)
        {
            return false;
        }
    }
    if let Some(text) = value.as_str()
        && let Some(pattern) = s.get("pattern").and_then(Value::as_str)
        && !matches(pattern, text)
    {
        return false;
    }
    if let Some(items) = value.as_array() {
        let n = items.len() as u64;
        let count = |k: &str| s.get(k).and_then(Value::as_u64);
        if count("minItems").is_some_and(|m| n < m) || count("maxItems").is_some_and(|m| n > m) {
            return false;
        }
        if s.get("uniqueItems") == Some(&Value::Bool(true))
            && (1..items.len()).any(|i| items[..i].contains(&items[i]))
        {
            return false;
        }
        if let Some(item) = s.get("items")
            && !items.iter().all(|v| valid(item, v))
        {
            return false;
        }
    }
    if let Some(map) = value.as_object() {
        let properties = s.get("properties").and_then(Value::as_object);
        if let Some(required) = s.get("required").and_then(Value::as_array)
            && !required
                .iter()
                .all(|k| map.contains_key(k.as_str().unwrap_or_default()))
        {
            return false;
        }
        if let Some(pattern) = s
            .get("propertyNames")
            .and_then(|p| p.get("pattern"))
            .and_then(Value::as_str)
            && !map.keys().all(|k| matches(pattern, k))
        {
            return false;
        }
        for (key, v) in map {
            let ok = match properties.and_then(|p| p.get(key)) {
                Some(sub) => valid(sub, v),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => false,
                    Some(sub) => valid(sub, v),
                    None => true,
                },
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// The patterns the schema uses: names `^[A-Za-z0-9_-]+$`, channel levers
/// `^acquisition\.[A-Za-z0-9_-]+$` and either `^(acquisition\.)?[A-Za-z0-9_-]+$`.
fn matches(pattern: &str, text: &str) -> bool {
    match pattern {
        "^[A-Za-z0-9_-]+$" => name_like(text),
        "^acquisition\\.[A-Za-z0-9_-]+$" => {
            text.strip_prefix("acquisition.").is_some_and(name_like)
        }
        "^(acquisition\\.)?[A-Za-z0-9_-]+$" => {
            name_like(text.strip_prefix("acquisition.").unwrap_or(text))
        }
        "^((acquisition|offboard)\\.)?[A-Za-z0-9_-]+$" => name_like(
            text.strip_prefix("acquisition.")
                .or_else(|| text.strip_prefix("offboard."))
                .unwrap_or(text),
        ),
        other => panic!("pattern {other} not supported"),
    }
}

/// Letters, digits, '_' and '-', at least one.
fn name_like(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    if path.extension().is_some_and(|e| e == "json") {
        let plain: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        serde_json::from_str(&plain).unwrap()
    } else {
        let table: toml::Table = toml::from_str(&text).unwrap();
        serde_json::to_value(table).unwrap()
    }
}

fn scenarios(dir: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn schema_accepts_every_example_scenario() {
    let schema = schema();
    let files = scenarios("scenarios");
    assert!(files.len() >= 5);
    for path in files {
        assert!(valid(&schema, &load(&path)), "rejected {}", path.display());
    }
}

/// Files a schema cannot reject: a TOML syntax error does not parse at all, and the others
/// are cross-reference errors (names that must exist elsewhere in the file, shares that must
/// sum to one, spend on a lever the file does not describe, duplicate cohort names).
const NOT_STRUCTURAL: &[&str] = &[
    "toml_syntax_error.toml",
    "bad_referral_cohort.toml",
    "duplicate_cohort_names.toml",
    "mix_not_summing_to_one.toml",
    "spend_on_absent_lever.toml",
    "unknown_cohort_in_mix.toml",
    "unknown_migration_target.toml",
    "unknown_uncertainty_path.toml",
];

#[test]
fn schema_rejects_every_structurally_wrong_file() {
    let schema = schema();
    let mut checked = 0;
    for path in scenarios("scenarios/invalid") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if NOT_STRUCTURAL.contains(&name.as_str()) {
            continue;
        }
        assert!(!valid(&schema, &load(&path)), "accepted {name}");
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} files checked");
}

#[test]
fn ceq_schema_prints_the_schema() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ceq"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, schema());
    assert_eq!(
        printed["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}
