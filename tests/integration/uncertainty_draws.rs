//! `[uncertainty] draws = "FILE.csv"` (SPEC §8): run k takes row k mod n of the joint draws, so
//! the per-run parameters carry the draws' correlation; draws combine with per-parameter
//! distributions; bad files are reported with file, line and column.

use std::path::Path;

use ceq::scenario::{self, Scenario};
use ceq::sim::setup::RunSetup;
use ceq::sim::{EngineKind, SimOptions, run};

const SCENARIO: &str = r#"
name = "draws"

[time]
periods = 12

[[cohorts]]
name = "gold"
customers = 2000
retention = { mean = 0.9, concentration = 20 }
purchases = { mean = 1.0 }
order_value = { mean = 40.0 }
margin = 0.3

[acquisition]
prospects = 100000
response = { ceiling = 0.02, half_spend = 0.25 }
mix = { gold = 1.0 }

[plans.current]
acquisition = 20000
"#;

fn write_scenario(dir: &Path, uncertainty: &str, draws: Option<&str>) -> std::path::PathBuf {
    if let Some(draws) = draws {
        std::fs::write(dir.join("draws.csv"), draws).unwrap();
    }
    let path = dir.join("scenario.toml");
    std::fs::write(&path, format!("{SCENARIO}\n[uncertainty]\n{uncertainty}")).unwrap();
    path
}

/// Correlated (ceiling, half_spend) pairs: a deterministic spiral with correlation ≈ 0.8.
fn correlated_rows(n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let u = ((i as f64 + 0.5) / n as f64 - 0.5) * 2.0;
            let w = (i as f64 * 2.399_963).sin();
            (0.02 + 0.004 * u, 0.25 + 0.05 * (0.8 * u + 0.6 * w))
        })
        .collect()
}

fn csv(rows: &[(f64, f64)]) -> String {
    let mut text = "acquisition.response.ceiling,acquisition.response.half_spend\n".to_string();
    for (c, h) in rows {
        text.push_str(&format!("{c},{h}\n"));
    }
    text
}

fn correlation(pairs: &[(f64, f64)]) -> f64 {
    let n = pairs.len() as f64;
    let (ma, mb) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let cov: f64 = pairs.iter().map(|p| (p.0 - ma) * (p.1 - mb)).sum();
    let va: f64 = pairs.iter().map(|p| (p.0 - ma).powi(2)).sum();
    let vb: f64 = pairs.iter().map(|p| (p.1 - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// The value of the parameter at `path` in `scenario`.
fn parameter(scenario: &Scenario, path: &str) -> f64 {
    scenario
        .parameter(path)
        .unwrap_or_else(|| panic!("no parameter {path}"))
}

/// The (ceiling, half_spend) that run `run` uses.
fn run_parameters(scenario: &Scenario, run: u64) -> (f64, f64) {
    let setup = RunSetup::new(scenario, &scenario.plans()[0], 1, run);
    (
        parameter(&setup.scenario, "acquisition.response.ceiling"),
        parameter(&setup.scenario, "acquisition.response.half_spend"),
    )
}

#[test]
fn runs_take_rows_in_turn_and_keep_their_correlation() {
    let dir = tempfile::tempdir().unwrap();
    let rows = correlated_rows(250);
    let path = write_scenario(
        dir.path(),
        "draws = \"draws.csv\"\n\"cohorts.gold.retention.mean\" = { beta = { mean = 0.9, concentration = 400 } }\n",
        Some(&csv(&rows)),
    );
    let scenario = scenario::load_file(&path).unwrap();
    let per_run: Vec<(f64, f64)> = (0..1000).map(|k| run_parameters(&scenario, k)).collect();
    // Run k uses row k mod 250, exactly.
    for (k, parameters) in per_run.iter().enumerate() {
        assert_eq!(*parameters, rows[k % 250], "run {k}");
    }
    let expected = correlation(&rows);
    assert!(expected > 0.7, "{expected}");
    // 1000 runs use every row four times: the same correlation up to rounding.
    assert!((correlation(&per_run) - expected).abs() < 1e-12);
    // The retention mean, drawn from its own distribution, varies and is independent of the
    // draws' row (its sample correlation over 1000 runs has sd ≈ 0.032).
    let retention: Vec<(f64, f64)> = (0..1000)
        .map(|k| {
            let setup = RunSetup::new(&scenario, &scenario.plans()[0], 1, k);
            let ceiling = parameter(&setup.scenario, "acquisition.response.ceiling");
            let mean = parameter(&setup.scenario, "cohorts.gold.retention.mean");
            (ceiling, mean)
        })
        .collect();
    assert!(correlation(&retention).abs() < 4.0 * 0.032);
    assert!(retention.iter().any(|r| r.1 != retention[0].1));
}

#[test]
fn a_constant_draw_is_the_same_as_writing_the_value() {
    // Draws of one repeated row give, run for run and on both engines, the simulation of the
    // scenario with those values written in.
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(
        dir.path(),
        "draws = \"draws.csv\"\n",
        Some(&csv(&[(0.015, 0.4), (0.015, 0.4)])),
    );
    let drawn = scenario::load_file(&path).unwrap();
    let text = SCENARIO.replace(
        "{ ceiling = 0.02, half_spend = 0.25 }",
        "{ ceiling = 0.015, half_spend = 0.4 }",
    );
    let written = scenario::parse_str(&text, "w.toml", "draws", scenario::Format::Toml).unwrap();
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        let options = SimOptions {
            plan: ceq::scenario::PlanId::FIRST,
            runs: 20,
            seed: 3,
            engine,
            limits: Default::default(),
            control: Default::default(),
        };
        let a = run(&drawn, &options).unwrap();
        let b = run(&written, &options).unwrap();
        assert_eq!(a.runs, b.runs, "{engine:?}");
    }
}

fn error_of(dir: &Path, uncertainty: &str, draws: Option<&str>) -> String {
    let path = write_scenario(dir, uncertainty, draws);
    scenario::load_file(&path).unwrap_err().to_string()
}

#[test]
fn bad_draws_files_are_reported_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let message = error_of(
        dir.path(),
        "draws = \"draws.csv\"\n",
        Some("acquisition.response.ceiling,acquisition.response.half_spnd\n0.02,0.2\n"),
    );
    assert!(
        message.contains(
            "draws file `draws.csv`, line 1, column 2: `acquisition.response.half_spnd` names \
             no parameter of this scenario; did you mean `acquisition.response.half_spend`?"
        ),
        "{message}"
    );
    let message = error_of(
        dir.path(),
        "draws = \"draws.csv\"\n",
        Some("acquisition.response.ceiling\n0.02\nabc\n"),
    );
    assert!(
        message.contains(
            "draws file `draws.csv`: line 3: column 1 (`acquisition.response.ceiling`): 'abc' \
             is not a number"
        ),
        "{message}"
    );
    let message = error_of(dir.path(), "draws = \"missing.csv\"\n", None);
    assert!(
        message.contains("cannot read the draws file `missing.csv`"),
        "{message}"
    );
    let message = error_of(
        dir.path(),
        "draws = \"draws.csv\"\n\"acquisition.response.ceiling\" = { normal = { mean = 0.02, sd = 0.001 } }\n",
        Some("acquisition.response.ceiling\n0.02\n"),
    );
    assert!(
        message.contains("is also a column of the draws file `draws.csv`"),
        "{message}"
    );
}

/// The report's assumptions say that drawn parameters come from the file, jointly.
#[test]
fn the_assumptions_name_the_draws_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(
        dir.path(),
        "draws = \"draws.csv\"\n",
        Some(&csv(&correlated_rows(40))),
    );
    let scenario = scenario::load_file(&path).unwrap();
    let groups = ceq::report::describe::assumptions(&scenario);
    let uncertain = groups
        .iter()
        .find(|g| g.title.starts_with("Uncertain parameters"))
        .expect("an uncertainty group");
    for path in [
        "acquisition.response.ceiling",
        "acquisition.response.half_spend",
    ] {
        let (_, words) = uncertain
            .rows
            .iter()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("no row for {path}: {uncertain:?}"));
        assert_eq!(
            words,
            "joint draws from draws.csv (40 rows; run k takes row k mod 40)"
        );
    }
}
