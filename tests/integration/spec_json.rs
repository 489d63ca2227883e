//! SPEC §13 lists every JSON field (issue 14, item 5): the `--json` documents of simulate
//! (the pyramid with and without off-boarding, channels, today's base), compare, optimize,
//! frontier, sensitivity and the four fits are walked key by key, and each key must appear, quoted, in
//! docs/SPEC.md §13. A field added to a document without its line in the SPEC fails here.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Objects keyed by names from the scenario (levers, cohorts), not by field names.
const KEYED_BY_NAME: [&str; 9] = [
    "allocation",
    "retention_allocation",
    "constant_allocation",
    "marginal_return",
    "marginal_return_ci95",
    "derivative_per_period",
    "derivative_per_period_ci95",
    "return_per_unit",
    "return_per_unit_ci95",
];

fn json_of(args: &[&str]) -> Value {
    let out = Command::cargo_bin("ceq")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ceq {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("ceq {args:?}: not JSON: {e}"))
}

/// Every field name in `value`, with the path where it was first seen.
fn keys(value: &Value, path: &str, out: &mut BTreeSet<(String, String)>) {
    match value {
        Value::Object(map) => {
            let by_name = KEYED_BY_NAME
                .iter()
                .any(|k| path.ends_with(&format!(".{k}")));
            for (k, v) in map {
                let here = format!("{path}.{k}");
                if !by_name {
                    out.insert((k.clone(), here.clone()));
                }
                keys(v, &here, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                keys(item, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

fn spec_section_13() -> String {
    let spec = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/SPEC.md"))
        .unwrap();
    let start = spec.find("## 13. JSON output").expect("SPEC has §13");
    let end = spec[start..]
        .find("\n## 14.")
        .map_or(spec.len(), |e| start + e);
    spec[start..end].to_string()
}

#[test]
fn every_json_field_is_listed_in_spec_section_13() {
    let section = spec_section_13();
    let commands: [&[&str]; 9] = [
        &["simulate", "scenarios/pyramid.toml", "--runs", "50"],
        &[
            "simulate",
            "scenarios/pyramid.toml",
            "--plan",
            "clear_out",
            "--runs",
            "50",
        ],
        &["simulate", "scenarios/channels.toml", "--runs", "50"],
        &["simulate", "scenarios/existing_base.toml", "--runs", "50"],
        &["compare", "scenarios/pyramid.toml", "--runs", "50"],
        &["optimize", "scenarios/channels.toml", "--runs", "50"],
        &[
            "optimize",
            "benches/scenarios/optimize_phased_five_years.toml",
            "--runs",
            "50",
        ],
        &[
            "frontier",
            "scenarios/channels.toml",
            "--budgets",
            "10000,14000",
            "--runs",
            "50",
        ],
        &[
            "sensitivity",
            "scenarios/subscription_sbg.toml",
            "--runs",
            "50",
            "--screen",
            "4",
        ],
    ];
    let scores = tempfile::tempdir().unwrap();
    let scores_file = scores.path().join("scores.csv");
    let written = scores.path().join("fitted.toml");
    let fits: [&[&str]; 4] = [
        &[
            "fit",
            "transactions",
            "tests/data/cdnow_sample_transactions.csv",
            "--calibration-end",
            "1997-09-30",
            "--holdout-end",
            "1998-06-30",
            "--scores",
            scores_file.to_str().unwrap(),
            "--write-scenario",
            written.to_str().unwrap(),
        ],
        &[
            "fit",
            "survival",
            "tests/data/fader_hardie_2007_survival.csv",
            "--through",
            "7",
            "--column",
            "regular",
        ],
        &[
            "fit",
            "response",
            "tests/data/levers/spend_history.csv",
            "--prospects",
            "search=200000,social=50000",
            "--holdout",
            "8",
        ],
        &[
            "fit",
            "retention-test",
            "tests/data/levers/retention_test.csv",
        ],
    ];
    let mut missing = Vec::new();
    let mut seen = 0;
    for args in commands.into_iter().chain(fits) {
        let mut found = BTreeSet::new();
        keys(&json_of(args), "", &mut found);
        seen += found.len();
        for (key, path) in found {
            if !section.contains(&format!("\"{key}\"")) {
                missing.push(format!("`ceq {} --json`: {path}", args.join(" ")));
            }
        }
    }
    // The walk must have met the fields this session added, or it proves nothing.
    assert!(seen > 150, "only {seen} keys walked");
    assert!(
        missing.is_empty(),
        "JSON fields not listed in docs/SPEC.md §13:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn the_walk_skips_only_objects_keyed_by_name() {
    let doc: Value = serde_json::json!({
        "allocation": { "acquisition.search": 1.0 },
        "points": [ { "return_per_unit": { "mean": 1.0 }, "budget": 2.0 } ]
    });
    let mut found = BTreeSet::new();
    keys(&doc, "", &mut found);
    let names: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["allocation", "budget", "points", "return_per_unit"]);
}
