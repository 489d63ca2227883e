//! The command line through the real binary: exit codes, stdout/stderr contracts and files.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

/// A small valid scenario (SPEC §1–2), inline so these tests do not depend on the example
/// files: one cohort, one year of months, two plans.
const SCENARIO: &str = r#"
name = "fixture"

[time]
periods = 12
periods_per_year = 12

[[cohorts]]
name = "base"
customers = 200
retention = { rate = 0.9 }
purchases = { mean = 1.0 }
order_value = { mean = 50.0 }
margin = 0.3

[retention_program]
response = { max_churn_reduction = 0.3, half_spend = 2.0 }

[plans.current]

[plans.growth]
retention = 100.0
"#;

/// The top-level keys of `ceq simulate --json`, in order (SPEC §13).
const SUMMARY_KEYS: [&str; 11] = [
    "ceq_version",
    "scenario",
    "plan",
    "runs",
    "seed",
    "engine",
    "customer_equity",
    "components",
    "origin",
    "cohorts",
    "periods",
];

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

fn write_scenario(dir: &Path) -> PathBuf {
    let path = dir.join("fixture.toml");
    fs::write(&path, SCENARIO).unwrap();
    path
}

fn simulate_json(scenario: &Path, extra: &[&str]) -> Vec<u8> {
    let output = ceq()
        .arg("simulate")
        .arg(scenario)
        .args(["--runs", "50", "--json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The top-level keys of a pretty-printed (2-space) JSON object, in document order;
/// `serde_json::Value` sorts keys, so the order is read from the text.
fn top_level_keys(json: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(json)
        .lines()
        .filter_map(|line| line.strip_prefix("  \""))
        .filter_map(|rest| rest.split_once("\":"))
        .map(|(key, _)| key.to_string())
        .collect()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn help_and_version_exit_zero() {
    ceq()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("simulate"))
        .stdout(predicate::str::contains("validate"))
        .stdout(predicate::str::contains("init"));
    ceq()
        .args(["simulate", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--runs"))
        .stdout(predicate::str::contains("--seed"))
        .stdout(predicate::str::contains("--engine"))
        .stdout(predicate::str::contains("Examples:"));
    ceq()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ceq "));
}

#[test]
fn usage_errors_exit_two() {
    ceq().assert().code(2);
    ceq().arg("frobnicate").assert().code(2);
    ceq()
        .args(["simulate", "x.toml", "--engine", "quantum"])
        .assert()
        .code(2);
}

#[test]
fn missing_scenario_file_exits_two_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-scenario.toml");
    ceq()
        .arg("simulate")
        .arg(&missing)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("no-such-scenario.toml"));
}

#[test]
fn zero_runs_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--runs", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least 1"));
}

#[test]
fn zero_threads_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--threads", "0"])
        .assert()
        .code(2);
}

#[test]
fn init_writes_once_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    ceq()
        .arg("init")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("ceq simulate"));
    let written = fs::read_to_string(&path).unwrap();
    assert!(written.contains("[[cohorts]]"));
    ceq()
        .arg("init")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(fs::read_to_string(&path).unwrap(), written);
    ceq()
        .arg("init")
        .arg(&path)
        .arg("--force")
        .assert()
        .success();
    assert_eq!(file_names(dir.path()), ["scenario.toml"]);
}

#[test]
fn init_defaults_to_scenario_toml_in_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    ceq().arg("init").current_dir(dir.path()).assert().success();
    assert_eq!(file_names(dir.path()), ["scenario.toml"]);
}

#[test]
fn init_validate_simulate_json_has_the_spec_keys_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("starter.toml");
    ceq().arg("init").arg(&path).assert().success();
    ceq()
        .arg("validate")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ok: "));
    let stdout = simulate_json(&path, &[]);
    let value: serde_json::Value = serde_json::from_slice(&stdout).expect("one JSON document");
    // The starter scenario acquires customers, so SPEC §13's `payback` follows the keys every
    // summary has.
    let mut keys = SUMMARY_KEYS.map(str::to_string).to_vec();
    keys.push("payback".to_string());
    assert_eq!(top_level_keys(&stdout), keys);
    assert_eq!(value["runs"], 50);
    assert_eq!(value["seed"], 1);
}

#[test]
fn text_summary_names_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--runs", "20", "--seed", "9"])
        .assert()
        .success()
        .stdout(predicate::str::contains("fixture"))
        .stdout(predicate::str::contains("current"))
        .stdout(predicate::str::contains("Seed"))
        .stdout(predicate::str::contains("p95"))
        .stdout(predicate::str::contains("By year"));
}

#[test]
fn out_dir_gets_exactly_three_files() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    let out = dir.path().join("results/nested");
    ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--runs", "30", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("Customer equity"))
        .stderr(predicate::str::contains("summary.json"));
    assert_eq!(
        file_names(&out),
        ["manifest.json", "periods.csv", "runs.csv", "summary.json"]
    );
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 31);
    assert_eq!(runs.lines().next(), Some("run,customer_equity"));
    let periods = fs::read_to_string(out.join("periods.csv")).unwrap();
    assert_eq!(periods.lines().count(), 13);
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["runs"], 30);
}

#[test]
fn out_with_json_prints_the_same_document() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    let out = dir.path().join("o");
    let stdout = simulate_json(&scenario, &["--out", out.to_str().unwrap()]);
    assert_eq!(fs::read(out.join("summary.json")).unwrap(), stdout);
}

#[test]
fn thread_count_does_not_change_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    let one = simulate_json(&scenario, &["--threads", "1"]);
    let two = simulate_json(&scenario, &["--threads", "2"]);
    assert_eq!(one, two);
    assert_eq!(one, simulate_json(&scenario, &["--threads", "1"]));
}

#[test]
fn different_seeds_give_different_results() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    let first = simulate_json(&scenario, &["--seed", "1"]);
    let second = simulate_json(&scenario, &["--seed", "2"]);
    assert_ne!(first, second);
}

#[test]
fn plan_flag_selects_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    let stdout = simulate_json(&scenario, &["--plan", "growth"]);
    let value: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(value["plan"], "growth");
    let baseline: serde_json::Value =
        serde_json::from_slice(&simulate_json(&scenario, &[])).unwrap();
    assert_eq!(baseline["plan"], "current");
}

#[test]
fn unknown_plan_exits_two_naming_the_plans() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--plan", "grwoth"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("current, growth"))
        .stderr(predicate::str::contains("did you mean 'growth'"));
}

#[test]
fn validate_reports_good_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_scenario(dir.path());
    let bad = dir.path().join("bad.toml");
    fs::write(&bad, "[time]\nperiods = \"soon\"\n").unwrap();
    ceq()
        .arg("validate")
        .arg(&good)
        .arg(&bad)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("ok: "))
        .stdout(predicate::str::contains("(1 cohort, 2 plans, 12 periods)"))
        .stderr(predicate::str::contains("bad.toml"));
}

#[test]
fn validate_missing_file_exits_two() {
    ceq()
        .args(["validate", "definitely-not-here.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("definitely-not-here.toml"));
}

#[test]
fn validate_rejects_every_invalid_example() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/invalid");
    let Ok(entries) = fs::read_dir(&dir) else {
        // The example files come from the examples work; nothing to check before they land.
        return;
    };
    let files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    if files.is_empty() {
        return;
    }
    ceq().arg("validate").args(&files).assert().code(2);
}

/// `.toml` and `.json` files directly in `dir`, sorted.
fn scenario_files_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("scenario directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("toml") | Some("json")
                )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_scenario_runs() {
    let files = scenario_files_in("scenarios");
    assert!(files.len() >= 6, "{files:?}");
    for path in files
        .iter()
        .map(PathBuf::as_path)
        .chain([Path::new("src/cli/init_template.toml")])
    {
        let output = ceq()
            .arg("simulate")
            .arg(path)
            .args(["--runs", "20", "--json"])
            .output()
            .expect("run ceq");
        assert!(
            output.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let mean = summary["customer_equity"]["mean"]
            .as_f64()
            .unwrap_or_else(|| panic!("{}: no CE mean", path.display()));
        assert!(mean.is_finite(), "{}: CE mean {mean}", path.display());
        assert_eq!(summary["runs"], 20, "{}", path.display());
    }
}

#[test]
fn every_invalid_scenario_exits_two_with_its_rendered_problem() {
    let files = scenario_files_in("scenarios/invalid");
    assert!(files.len() >= 16, "{files:?}");
    for path in files {
        let expected = match ceq::scenario::load_file(&path) {
            Ok(_) => panic!("{} should not validate", path.display()),
            Err(error) => error.to_string(),
        };
        let output = ceq().arg("validate").arg(&path).output().expect("run ceq");
        assert_eq!(output.status.code(), Some(2), "{}", path.display());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&expected),
            "{}: stderr should carry the rendered problem\n--- stderr\n{stderr}\n--- expected\n{expected}",
            path.display()
        );
        let simulate = ceq().arg("simulate").arg(&path).output().expect("run ceq");
        assert_eq!(simulate.status.code(), Some(2), "{}", path.display());
        assert!(
            simulate.stdout.is_empty(),
            "{}: nothing on stdout",
            path.display()
        );
    }
}

#[test]
fn shards_merge_into_the_unsharded_result_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    let shards = dir.path().join("shards");
    for i in 1..=3 {
        ceq()
            .arg("simulate")
            .arg(&scenario)
            .args(["--runs", "40", "--seed", "9", "--shard", &format!("{i}/3")])
            .arg("--out")
            .arg(&shards)
            .assert()
            .success();
    }
    let whole_dir = dir.path().join("whole");
    let whole = ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--runs", "40", "--seed", "9", "--json", "--out"])
        .arg(&whole_dir)
        .output()
        .unwrap();
    assert!(whole.status.success());
    let merged_dir = dir.path().join("merged");
    let merged = ceq()
        .arg("merge")
        .arg(&shards)
        .args(["--json", "--out"])
        .arg(&merged_dir)
        .output()
        .unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(
        merged.stdout, whole.stdout,
        "merged JSON differs from the whole run"
    );
    for file in ["summary.json", "periods.csv", "runs.csv"] {
        assert_eq!(
            fs::read(merged_dir.join(file)).unwrap(),
            fs::read(whole_dir.join(file)).unwrap(),
            "{file} differs"
        );
    }
    // A missing slice is refused, naming it.
    fs::remove_file(shards.join("shard-2-of-3.json")).unwrap();
    ceq()
        .arg("merge")
        .arg(&shards)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shard 2/3 is missing"));
}

#[test]
fn shard_needs_an_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path());
    ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--shard", "1/2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--shard needs --out DIR"));
    ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--shard", "3/2", "--out"])
        .arg(dir.path())
        .assert()
        .code(2);
}
