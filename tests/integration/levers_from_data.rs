//! Levers from data, end to end (issue 16): `ceq fit response` on the spend history of
//! tests/data/levers writes channel blocks and joint draws; a scenario made of a small base,
//! those blocks (with their `mix` filled in) and `[uncertainty] draws` validates, simulates with
//! run k on draw row k mod n (SPEC §8), recovers the curves of make_levers.py and optimizes a
//! budget across both channels.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use ceq::scenario::{self, Scenario};
use ceq::sim::setup::RunSetup;

/// The truth of tests/data/levers/make_levers.py: (channel, prospects, ceiling, half_spend,
/// carryover).
const TRUTH: [(&str, f64, f64, f64, f64); 2] = [
    ("search", 200_000.0, 0.01, 0.2, 0.3),
    ("social", 50_000.0, 0.02, 0.3, 0.5),
];

/// The base the fitted channels are pasted into: one cohort for both channels to bring, a
/// plan spending on both, a small budget and the draws.
const BASE: &str = r#"
name = "levers from data"

[time]
periods = 12

[[cohorts]]
name = "gold"
customers = 500
retention = { mean = 0.9, concentration = 20 }
purchases = { mean = 1.0 }
order_value = { mean = 40.0 }
margin = 0.3

[plans.current]
acquisition = { search = 20000, social = 8000 }

[optimize]
budget = 30000

[uncertainty]
draws = "D.csv"
"#;

fn ceq(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("ceq").unwrap();
    command.current_dir(dir);
    command
}

fn json_of(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The value of the parameter at `path` in `scenario`.
fn parameter(scenario: &Scenario, path: &str) -> f64 {
    scenario
        .parameter(path)
        .unwrap_or_else(|| panic!("no parameter {path}"))
}

/// The draws file: its header (parameter paths) and rows.
fn read_draws(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(|x| x.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

#[test]
fn fitted_channels_and_draws_simulate_and_optimize() {
    let dir = tempfile::tempdir().unwrap();
    let history = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/levers/spend_history.csv");
    let fit = json_of(
        &ceq(dir.path())
            .arg("fit")
            .arg("response")
            .arg(&history)
            .args(["--prospects", "search=200000,social=50000"])
            .args(["--write-channels", "CH.toml", "--draws", "D.csv", "--json"])
            .output()
            .unwrap(),
    );

    // The written blocks recover the truth within 3 standard errors (the errors from the same
    // fit's JSON; CH.toml rounds the values to 6 significant digits).
    let blocks = std::fs::read_to_string(dir.path().join("CH.toml")).unwrap();
    let written: toml::Table = toml::from_str(&blocks).unwrap();
    let channels = written["acquisition"]["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 2);
    for ((name, prospects, ceiling, half_spend, carryover), (block, fitted)) in TRUTH
        .iter()
        .zip(channels.iter().zip(fit["channels"].as_array().unwrap()))
    {
        assert_eq!(block["name"].as_str(), Some(*name));
        assert_eq!(fitted["name"].as_str(), Some(*name));
        assert_eq!(block["prospects"].as_integer(), Some(*prospects as i64));
        assert!(block.get("mix").is_none(), "mix is the user's to fill in");
        let value = |key: &str| match key {
            "carryover" => block[key].as_float().unwrap(),
            _ => block["response"][key].as_float().unwrap(),
        };
        for (key, truth) in [
            ("ceiling", ceiling),
            ("half_spend", half_spend),
            ("carryover", carryover),
        ] {
            let estimate = value(key);
            let se = fitted[format!("{key}_se")].as_f64().unwrap();
            let exact = fitted[key].as_f64().unwrap();
            assert!((estimate - exact).abs() <= 1e-5 * exact, "{name} {key}");
            assert!(se > 0.0 && se < 0.1 * truth, "{name} {key}: se {se}");
            assert!(
                (estimate - truth).abs() < 3.0 * se,
                "{name} {key}: {estimate} ± {se}, truth {truth}"
            );
        }
    }

    // The scenario: the base plus the blocks with the `mix` placeholder filled in.
    let placeholder = blocks.lines().filter(|l| l.starts_with("# mix = ")).count();
    assert_eq!(placeholder, 2, "{blocks}");
    let filled: String = blocks
        .lines()
        .map(|line| {
            if line.starts_with("# mix = ") {
                "mix = { gold = 1.0 }\n".to_string()
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, format!("{BASE}\n{filled}")).unwrap();

    let validated = ceq(dir.path())
        .args(["validate", "scenario.toml"])
        .output()
        .unwrap();
    assert!(
        validated.status.success(),
        "{}",
        String::from_utf8_lossy(&validated.stderr)
    );

    // Run k takes row k mod n of the draws: every fitted parameter, in every run.
    let scenario = scenario::load_file(&path).unwrap();
    let (header, rows) = read_draws(&dir.path().join("D.csv"));
    assert_eq!(header.len(), 6, "{header:?}");
    assert_eq!(rows.len(), 1000);
    for k in (0..2500u64).step_by(7) {
        let setup = RunSetup::new(&scenario, &scenario.plans()[0], 1, k);
        let row = &rows[k as usize % rows.len()];
        for (column, want) in header.iter().zip(row) {
            assert_eq!(
                parameter(&setup.scenario, column),
                *want,
                "run {k} {column}"
            );
        }
    }

    let simulated = json_of(
        &ceq(dir.path())
            .args(["simulate", "--json", "--runs", "50", "scenario.toml"])
            .output()
            .unwrap(),
    );
    let acquired: Vec<(&str, f64)> = simulated["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["acquired"].as_f64().unwrap()))
        .collect();
    assert_eq!(acquired.len(), 2);
    for ((name, prospects, ceiling, ..), (got, customers)) in TRUTH.iter().zip(&acquired) {
        assert_eq!(name, got);
        // Positive, and below the ceiling of all prospects over 12 periods (with room for the
        // draws' spread around the fitted ceiling).
        assert!(
            *customers > 0.0 && *customers < 12.0 * prospects * ceiling * 1.2,
            "{name}: {customers}"
        );
    }

    // The optimizer treats both fitted channels as levers and spends on each.
    let optimized = json_of(
        &ceq(dir.path())
            .args(["optimize", "--json", "scenario.toml"])
            .args(["--search-runs", "20", "--max-search-runs", "40"])
            .args([
                "--certify-runs",
                "40",
                "--runs",
                "40",
                "--max-evaluations",
                "60",
            ])
            .output()
            .unwrap(),
    );
    let allocation = optimized["allocation"].as_object().unwrap();
    let mut total = 0.0;
    for lever in ["acquisition.search", "acquisition.social"] {
        let spend = allocation[lever].as_f64().unwrap();
        assert!(spend > 0.0, "{lever}: {allocation:?}");
        total += spend;
    }
    assert!(total <= 30_000.0 + 1e-9, "{allocation:?}");
    assert_eq!(optimized["budget"].as_f64(), Some(30_000.0));
}
