//! Existing customers who keep their history (issue 13): BG/NBD `history` and contractual
//! `tenure`, simulated by both engines against the closed forms they must reproduce.

use std::path::PathBuf;

use ceq::fit::fitted_scenario::{FittedScenario, history_csv};
use ceq::fit::transactions::{self, Columns, TimeUnit, parse_date};
use ceq::fit::{bgnbd, gamma_gamma};
use ceq::model::closed_form::{sbg_derl, sbg_survival};
use ceq::scenario::{self, Format, Scenario};
use ceq::sim::{self, EngineKind, SimOptions, Simulation};
use ceq::stats::describe::describe;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn simulate(scenario: &Scenario, engine: EngineKind, runs: u64, seed: u64) -> Simulation {
    sim::run(
        scenario,
        &SimOptions {
            plan: ceq::scenario::PlanId::FIRST,
            runs,
            seed,
            engine,
            limits: Default::default(),
            control: Default::default(),
        },
    )
    .unwrap()
}

/// Mean and standard error of the orders of periods 1..=t over the runs.
fn orders_through(simulation: &Simulation, t: usize) -> (f64, f64) {
    let totals: Vec<f64> = simulation
        .runs
        .iter()
        .map(|run| run.periods[..t].iter().map(|p| p.orders).sum())
        .collect();
    let d = describe(&totals);
    (d.mean, d.std_error)
}

/// Σ over the history groups of count × E[Y(t) | x, t_x, T] (Fader, Hardie & Lee 2005a eq. 10)
/// at the scenario's own (rounded) parameters.
fn conditional_total(scenario: &Scenario, t: f64) -> f64 {
    let cohort = &scenario.cohorts()[0];
    let params = ceq::sim::setup::bgnbd_parameters(cohort).unwrap();
    cohort
        .existing()
        .history()
        .unwrap()
        .iter()
        .map(|g| {
            g.count() as f64
                * bgnbd::conditional_expected_purchases(
                    params,
                    g.frequency(),
                    g.recency(),
                    g.age(),
                    t,
                )
                .unwrap()
        })
        .sum()
}

/// The CDNOW fit written as a history-aware scenario (and its history CSV) in `dir`.
fn cdnow_scenario(dir: &std::path::Path) -> Scenario {
    let text = std::fs::read_to_string(data("cdnow_sample_transactions.csv")).unwrap();
    let log = transactions::read_transactions(&text, &Columns::default()).unwrap();
    let end = parse_date("1997-09-30").unwrap();
    let summaries = transactions::summarize(&log, end, TimeUnit::Week, None);
    let purchasing = bgnbd::fit(&summaries.customers).unwrap();
    let spend = gamma_gamma::fit(&summaries.customers).unwrap();
    std::fs::write(
        dir.join("fitted.history.csv"),
        history_csv(&summaries.customers).unwrap(),
    )
    .unwrap();
    let toml = FittedScenario {
        source: "cdnow_sample_transactions.csv",
        calibration_end: "1997-09-30",
        unit: TimeUnit::Week,
        horizon: 52,
        margin: 1.0,
        discount_rate: 0.10,
        bgnbd: &purchasing,
        gamma_gamma: &spend,
        history: Some("fitted.history.csv"),
    }
    .to_toml();
    let path = dir.join("fitted.toml");
    std::fs::write(&path, &toml).unwrap();
    scenario::load_file(&path).unwrap()
}

#[test]
fn the_written_cdnow_scenario_reproduces_the_conditional_expected_purchases() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = cdnow_scenario(dir.path());
    assert_eq!(scenario.cohorts()[0].customers(), 2357);
    let expected_39 = conditional_total(&scenario, 39.0);
    let expected_52 = conditional_total(&scenario, 52.0);
    // The issue's figures: 1,653 and 2,089 against 3,404 for a fresh start.
    assert!((expected_39 - 1653.0).abs() < 2.0, "{expected_39}");
    assert!((expected_52 - 2089.0).abs() < 2.0, "{expected_52}");
    for (engine, seed) in [(EngineKind::Customer, 3), (EngineKind::Cohort, 4)] {
        let simulation = simulate(&scenario, engine, 200, seed);
        for (t, expected) in [(39, expected_39), (52, expected_52)] {
            let (mean, se) = orders_through(&simulation, t);
            assert!(
                (mean - expected).abs() < 4.0 * se,
                "{engine:?}, {t} weeks: simulated {mean} ± {se}, Σ E[Y(t) | x, t_x, T] {expected}"
            );
        }
    }
}

/// A history of large groups, so the cohort engine stratifies their posteriors (groups of
/// more than `POINT_GROUP_LIMIT` customers) while a few small ones are drawn one by one.
const GROUPED: &str = r#"
[time]
periods = 26
periods_per_year = 52
discount_rate = 0.1

[[cohorts]]
name = "base"
retention = { dropout_alpha = 0.79, dropout_beta = 2.43 }
purchases = { mean = 0.055, shape = 0.243 }
order_value = { mean = 20.0 }
history = [
  { frequency = 0, recency = 0, T = 30, count = 4000 },
  { frequency = 2, recency = 20, T = 30, count = 1500 },
  { frequency = 2, recency = 29, T = 30, count = 1500 },
  { frequency = 7, recency = 28, T = 38, count = 800 },
  { frequency = 1, recency = 3, T = 35, count = 5 },
  { frequency = 12, recency = 30, T = 31, count = 3 },
]
"#;

#[test]
fn the_engines_agree_on_a_history_and_with_the_closed_form() {
    let scenario = scenario::parse_str(GROUPED, "grouped.toml", "grouped", Format::Toml).unwrap();
    assert_eq!(scenario.cohorts()[0].customers(), 7808);
    let expected = conditional_total(&scenario, 26.0);
    let customer = simulate(&scenario, EngineKind::Customer, 300, 5);
    let cohort = simulate(&scenario, EngineKind::Cohort, 300, 6);
    let (m1, s1) = orders_through(&customer, 26);
    let (m2, s2) = orders_through(&cohort, 26);
    for (name, mean, se) in [("customer", m1, s1), ("cohort", m2, s2)] {
        assert!(
            (mean - expected).abs() < 4.0 * se,
            "{name}: {mean} ± {se} against Σ E[Y(26) | ·] = {expected}"
        );
    }
    assert!(
        (m1 - m2).abs() < 4.0 * (s1 * s1 + s2 * s2).sqrt(),
        "customer {m1} ± {s1}, cohort {m2} ± {s2}"
    );
    // The customers still alive at the start: Σ count × P(alive), in both engines.
    let params = ceq::sim::setup::bgnbd_parameters(&scenario.cohorts()[0]).unwrap();
    let alive: f64 = scenario.cohorts()[0]
        .existing()
        .history()
        .unwrap()
        .iter()
        .map(|g| {
            g.count() as f64
                * ceq::sim::setup::history_posterior(
                    params,
                    g,
                    &scenario.cohorts()[0].order_value(),
                )
                .p_alive
        })
        .sum();
    for simulation in [&customer, &cohort] {
        let first: Vec<f64> = simulation
            .runs
            .iter()
            .map(|r| r.periods[0].active)
            .collect();
        let d = describe(&first);
        assert!(
            (d.mean - alive).abs() < 4.0 * d.std_error,
            "{} ± {} alive against Σ P(alive) = {alive}",
            d.mean,
            d.std_error
        );
    }
    // CE agrees between the engines too.
    let ce =
        |s: &Simulation| describe(&s.runs.iter().map(|r| r.customer_equity).collect::<Vec<_>>());
    let (c1, c2) = (ce(&customer), ce(&cohort));
    assert!(
        (c1.mean - c2.mean).abs() < 4.0 * (c1.std_error.powi(2) + c2.std_error.powi(2)).sqrt(),
        "CE customer {} ± {}, cohort {} ± {}",
        c1.mean,
        c1.std_error,
        c2.mean,
        c2.std_error
    );
}

const TENURED: &str = r#"
[time]
periods = 12
periods_per_year = 1
discount_rate = 0.1
cash_flow_timing = "start"

[[cohorts]]
name = "contracts"
retention = { churn_alpha = 3.80, churn_beta = 15.20 }
purchases = { fixed = 1 }
order_value = { mean = 1.0 }
tenure = [{ renewals = 0, count = 4000 }, { renewals = 4, count = 3000 }, { renewals = 10, count = 3000 }]
"#;

#[test]
fn tenured_survival_follows_the_conditioned_sbg() {
    let scenario = scenario::parse_str(TENURED, "tenured.toml", "tenured", Format::Toml).unwrap();
    let (alpha, beta) = (3.80, 15.20);
    // Active during period t: Σ count × B(α, β + n + t − 1)/B(α, β + n).
    let expected = |t: u32| -> f64 {
        [(0u32, 4000.0), (4, 3000.0), (10, 3000.0)]
            .iter()
            .map(|&(n, count)| {
                count * sbg_survival(alpha, beta, n + t - 1) / sbg_survival(alpha, beta, n)
            })
            .sum()
    };
    for (engine, seed) in [(EngineKind::Customer, 7), (EngineKind::Cohort, 8)] {
        let simulation = simulate(&scenario, engine, 200, seed);
        for t in [2u32, 5, 12] {
            let active: Vec<f64> = simulation
                .runs
                .iter()
                .map(|r| r.periods[t as usize - 1].active)
                .collect();
            let d = describe(&active);
            let e = expected(t);
            assert!(
                (d.mean - e).abs() < 4.0 * d.std_error.max(1e-9),
                "{engine:?}, period {t}: {} ± {} against {e}",
                d.mean,
                d.std_error
            );
        }
    }
    // Tenure matters: the fresh-start survival would be far lower for the tenured groups.
    let fresh = 10_000.0 * sbg_survival(alpha, beta, 11);
    assert!(expected(12) > fresh * 1.3, "{} vs {fresh}", expected(12));
}

#[test]
fn a_tenured_base_is_worth_its_derl() {
    // With cash at the start of each period and value 1 per period, each customer who has
    // renewed n times is worth 1 + DERL(d | n + 1)/(1 + d) (Fader & Hardie 2010, eq. 6: the
    // payment now, then the residual lifetime from the next renewal decision on).
    let text = TENURED.replace("periods = 12", "periods = 300");
    let scenario = scenario::parse_str(&text, "tenured.toml", "tenured", Format::Toml).unwrap();
    let d = 0.1;
    let derl = |n: u32| 1.0 + sbg_derl(3.80, 15.20, d, n + 1).unwrap() / (1.0 + d);
    let expected = 4000.0 * derl(0) + 3000.0 * derl(4) + 3000.0 * derl(10);
    for (engine, seed) in [(EngineKind::Customer, 9), (EngineKind::Cohort, 10)] {
        let simulation = simulate(&scenario, engine, 100, seed);
        let ce = describe(
            &simulation
                .runs
                .iter()
                .map(|r| r.customer_equity)
                .collect::<Vec<_>>(),
        );
        assert!(
            (ce.mean - expected).abs() < 4.0 * ce.std_error,
            "{engine:?}: CE {} ± {} against Σ DERL {expected}",
            ce.mean,
            ce.std_error
        );
    }
}

fn problems(text: &str) -> String {
    match scenario::parse_str(text, "s.toml", "s", Format::Toml) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_histories_and_tenures_are_explained() {
    let wrong_model = GROUPED.replace(
        "retention = { dropout_alpha = 0.79, dropout_beta = 2.43 }",
        "retention = { rate = 0.9 }",
    );
    assert!(
        problems(&wrong_model).contains("`history` conditions BG/NBD customers"),
        "{}",
        problems(&wrong_model)
    );
    let mismatch = GROUPED.replace("name = \"base\"", "name = \"base\"\ncustomers = 10");
    assert!(
        problems(&mismatch).contains("customers = 10, but the cohort's groups hold 7808"),
        "{}",
        problems(&mismatch)
    );
    let late = GROUPED.replace("recency = 20, T = 30", "recency = 40, T = 30");
    assert!(
        problems(&late).contains("recency 40 is after T 30"),
        "{}",
        problems(&late)
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("base.csv"),
        "frequency,recency,T,count\n0,0,10,5\n2,x,10,1\n3,12,10,1\n",
    )
    .unwrap();
    let path = dir.path().join("s.toml");
    let start = GROUPED.find("history = [").unwrap();
    let text = format!("{}history = \"base.csv\"\n", &GROUPED[..start]);
    std::fs::write(&path, text).unwrap();
    let message = scenario::load_file(&path).unwrap_err().to_string();
    assert!(
        message.contains("base.csv:3: recency 'x' is not a number"),
        "{message}"
    );
    assert!(
        message.contains("base.csv:4: recency 12 is after T 10"),
        "{message}"
    );
    let tenure_on_rate = TENURED.replace(
        "retention = { churn_alpha = 3.80, churn_beta = 15.20 }",
        "retention = 0.8",
    );
    assert!(
        problems(&tenure_on_rate).contains("`tenure` conditions a Beta churn propensity"),
        "{}",
        problems(&tenure_on_rate)
    );
}

// ---------------------------------------------------------------------------------------------
// Through the real binary

use assert_cmd::Command;
use predicates::prelude::*;

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

#[test]
fn write_scenario_keeps_what_a_user_has() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    std::fs::copy(data("cdnow_sample_transactions.csv"), &log).unwrap();
    let scenario = dir.path().join("fitted.toml");
    let fit = |extra: &[&str], target: &std::path::Path| {
        let mut cmd = ceq();
        cmd.args(["fit", "transactions"])
            .arg(&log)
            .args(["--calibration-end", "1997-09-30", "--write-scenario"])
            .arg(target)
            .args(extra);
        cmd.assert()
    };
    fit(&[], &scenario).success();
    let history = dir.path().join("fitted.history.csv");
    assert!(history.is_file());
    ceq().arg("validate").arg(&scenario).assert().success();
    // An existing scenario (or its history file) is kept without --force.
    std::fs::write(&scenario, "mine").unwrap();
    fit(&[], &scenario)
        .code(2)
        .stderr(predicate::str::contains("already exists; use --force"));
    assert_eq!(std::fs::read_to_string(&scenario).unwrap(), "mine");
    fit(&["--force"], &scenario).success();
    assert!(
        std::fs::read_to_string(&scenario)
            .unwrap()
            .contains("history = \"fitted.history.csv\"")
    );
    // Never the log itself, even with --force; never a directory.
    fit(&["--force"], &log)
        .code(2)
        .stderr(predicate::str::contains("transaction log itself"));
    let logged = dir.path().join("log.toml");
    std::fs::copy(&log, dir.path().join("log.history.csv")).unwrap();
    let mut cmd = ceq();
    cmd.args(["fit", "transactions"])
        .arg(dir.path().join("log.history.csv"))
        .args([
            "--calibration-end",
            "1997-09-30",
            "--force",
            "--write-scenario",
        ])
        .arg(&logged)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is this command's input"));
    let folder = dir.path().join("folder.toml");
    std::fs::create_dir(&folder).unwrap();
    fit(&["--force"], &folder)
        .code(2)
        .stderr(predicate::str::contains("is not a regular file"));
    // --scores follows the same rules.
    let mut cmd = ceq();
    cmd.args(["fit", "transactions"])
        .arg(&log)
        .arg("--scores")
        .arg(&folder)
        .arg("--force")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a regular file"));
}

#[test]
fn fit_survival_writes_the_survivors_at_their_tenure() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("survivors.toml");
    ceq()
        .args(["fit", "survival"])
        .arg(data("fader_hardie_2007_survival.csv"))
        .args(["--through", "7", "--horizon", "30", "--write-scenario"])
        .arg(&out)
        .assert()
        .success();
    let scenario = scenario::load_file(&out).unwrap();
    assert_eq!(scenario.cohorts().len(), 2);
    let table = std::fs::read_to_string(data("fader_hardie_2007_survival.csv")).unwrap();
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let last = rows.last().unwrap();
    for (i, cohort) in scenario.cohorts().iter().enumerate() {
        let tenure = cohort.existing().tenure().unwrap();
        assert_eq!(tenure.len(), 1);
        assert_eq!(tenure[0].renewals() as usize, rows.len() - 1);
        assert_eq!(tenure[0].count(), last[i + 1].parse::<u64>().unwrap());
    }
    // The written survivors' survival is B(α, β + n + t)/B(α, β + n), with n their tenure.
    let simulation = simulate(&scenario, EngineKind::Auto, 200, 12);
    for (c, cohort) in scenario.cohorts().iter().enumerate() {
        let ceq::scenario::Retention::ShiftedBetaGeometric { alpha, beta } = cohort.retention()
        else {
            panic!("sBG retention expected");
        };
        let n = cohort.existing().tenure().unwrap()[0].renewals();
        for t in [1u32, 10, 30] {
            let active: Vec<f64> = simulation
                .runs
                .iter()
                .map(|r| r.cohorts[c].active[t as usize - 1])
                .collect();
            let d = describe(&active);
            let expected = cohort.customers() as f64 * sbg_survival(alpha, beta, n + t - 1)
                / sbg_survival(alpha, beta, n);
            assert!(
                (d.mean - expected).abs() < 4.0 * d.std_error.max(1e-9),
                "{} period {t}: {} ± {} against {expected}",
                cohort.name(),
                d.mean,
                d.std_error
            );
        }
    }
    ceq()
        .args(["fit", "survival"])
        .arg(data("fader_hardie_2007_survival.csv"))
        .arg("--write-scenario")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists; use --force"));
    ceq()
        .args(["fit", "survival"])
        .arg(data("fader_hardie_2007_survival.csv"))
        .arg("--force")
        .arg("--write-scenario")
        .arg(data("fader_hardie_2007_survival.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is this command's input"));
}

#[test]
fn the_value_of_todays_base_matches_the_simulated_purchase_margin() {
    let scenario = scenario::parse_str(GROUPED, "grouped.toml", "grouped", Format::Toml).unwrap();
    let valued = ceq::fit::base_value::value_base(&scenario);
    assert_eq!(valued.len(), 1);
    let base = &valued[0];
    assert_eq!(base.customers, 7808);
    let split = base.likely_alive.value + base.likely_gone.value;
    assert!((split - base.value).abs() < 1e-9 * base.value);
    assert!(
        (base.likely_alive.share_of_value + base.likely_gone.share_of_value - 1.0).abs() < 1e-12
    );
    assert_eq!(
        base.likely_alive.customers + base.likely_gone.customers,
        base.customers
    );
    let segments: u64 = base.segments.iter().map(|s| s.customers).sum();
    assert_eq!(segments, base.customers);
    assert!(base.top_decile_share > 0.1 && base.top_decile_share < 1.0);
    // Σ discounted expected purchase margin against the simulated one, in both engines.
    for (engine, seed) in [(EngineKind::Customer, 13), (EngineKind::Cohort, 14)] {
        let simulation = simulate(&scenario, engine, 300, seed);
        let margin = describe(
            &simulation
                .runs
                .iter()
                .map(|r| r.components.purchase_margin)
                .collect::<Vec<_>>(),
        );
        assert!(
            (margin.mean - base.value).abs() < 4.0 * margin.std_error,
            "{engine:?}: simulated purchase margin {} ± {} against the closed form {}",
            margin.mean,
            margin.std_error,
            base.value
        );
    }
}

#[test]
fn simulate_says_what_todays_base_is_worth() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grouped.toml");
    std::fs::write(&path, GROUPED).unwrap();
    let output = ceq()
        .arg("simulate")
        .arg(&path)
        .args(["--runs", "20", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&output).unwrap();
    let base = &json["existing_base"][0];
    assert_eq!(base["cohort"], "base");
    assert_eq!(base["customers"], 7808);
    for key in ["likely_alive", "likely_gone"] {
        assert!(base[key]["share_of_value"].as_f64().unwrap() > 0.0, "{key}");
    }
    assert!(base["top_decile_share"].as_f64().unwrap() > 0.1);
    assert_eq!(base["segments"][0]["frequency"], "0");
    ceq()
        .arg("simulate")
        .arg(&path)
        .args(["--runs", "20", "--out"])
        .arg(dir.path().join("out"))
        .arg("--charts")
        .assert()
        .success()
        .stdout(predicate::str::contains("Today's base, cohort `base`"))
        .stdout(predicate::str::contains("likely gone (P(alive) < 50%)"))
        .stdout(predicate::str::contains(
            "The most valuable 10% of these customers hold",
        ));
    for stem in ["p_alive_base", "base_value_base"] {
        let png = std::fs::read(dir.path().join("out").join(format!("{stem}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{stem}");
    }
    // A scenario without a history has no such block.
    let plain = GROUPED.replace(
        &GROUPED[GROUPED.find("history = [").unwrap()..],
        "customers = 100\n",
    );
    std::fs::write(&path, plain).unwrap();
    let output = ceq()
        .arg("simulate")
        .arg(&path)
        .args(["--runs", "5", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&output).unwrap();
    assert!(json.get("existing_base").is_none());
}

#[test]
fn the_report_has_a_section_on_todays_base() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grouped.toml");
    std::fs::write(&path, GROUPED).unwrap();
    let out = dir.path().join("report");
    ceq()
        .arg("report")
        .arg(&path)
        .args(["--runs", "20", "--out"])
        .arg(&out)
        .assert()
        .success();
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("## Today's base"), "{markdown}");
    assert!(
        markdown.contains("likely still active (P(alive) ≥ 50%)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("](report_p_alive_base.png)"),
        "{markdown}"
    );
    assert!(out.join("report_p_alive_base.png").is_file());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"base\">"));
    assert!(out.join("report_base_value_base.png").is_file());
}

/// The CDNOW check with ten times the runs (run on request: `cargo test --release --test
/// integration -- --ignored many_runs`).
#[test]
#[ignore]
fn the_written_cdnow_scenario_reproduces_the_conditional_expectation_with_many_runs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = cdnow_scenario(dir.path());
    for (engine, seed) in [(EngineKind::Customer, 31), (EngineKind::Cohort, 32)] {
        let simulation = simulate(&scenario, engine, 2000, seed);
        for t in [13usize, 26, 39, 52] {
            let expected = conditional_total(&scenario, t as f64);
            let (mean, se) = orders_through(&simulation, t);
            println!(
                "{engine:?} {t} weeks: simulated {mean:.2} ± {se:.2}, closed form {expected:.2}"
            );
            assert!(
                (mean - expected).abs() < 4.0 * se,
                "{engine:?}, {t} weeks: simulated {mean} ± {se}, expected {expected}"
            );
        }
    }
}

#[test]
fn the_written_cdnow_base_is_worth_the_sum_of_the_customers_clv() {
    // The history keeps each repeat buyer's average spend, so order values follow the
    // Gamma-Gamma posterior ν ~ Gamma(q + px, γ + x·m_x) and the base's discounted purchase
    // margin is Σ clv of the scores (same horizon, discounting and margin).
    let dir = tempfile::tempdir().unwrap();
    let scenario = cdnow_scenario(dir.path());
    let history = scenario.cohorts()[0].existing().history().unwrap();
    assert!(history.iter().any(|g| g.monetary_value().is_some()));
    let text = std::fs::read_to_string(data("cdnow_sample_transactions.csv")).unwrap();
    let log = transactions::read_transactions(&text, &Columns::default()).unwrap();
    let end = parse_date("1997-09-30").unwrap();
    let summaries = transactions::summarize(&log, end, TimeUnit::Week, None);
    // At the scenario's own (rounded) parameters.
    let cohort = &scenario.cohorts()[0];
    let bgnbd_params = ceq::sim::setup::bgnbd_parameters(cohort).unwrap();
    let ceq::scenario::OrderValue::GammaGamma { p, q, gamma } = cohort.order_value() else {
        panic!("Gamma-Gamma order values expected");
    };
    let settings = ceq::fit::scores::ScoreSettings::new(52, 52);
    let scored = ceq::fit::scores::score(
        &summaries.customers,
        &log.customers,
        bgnbd_params,
        [p, q, gamma],
        &settings,
    )
    .unwrap();
    let clv = scored.totals().clv;
    let valued = ceq::fit::base_value::value_base(&scenario);
    assert!(
        (valued[0].value - clv).abs() < 1e-9 * clv,
        "closed-form base value {} against Σ clv {clv}",
        valued[0].value
    );
    for (engine, seed) in [(EngineKind::Customer, 21), (EngineKind::Cohort, 22)] {
        let simulation = simulate(&scenario, engine, 200, seed);
        let margin = describe(
            &simulation
                .runs
                .iter()
                .map(|r| r.components.purchase_margin)
                .collect::<Vec<_>>(),
        );
        assert!(
            (margin.mean - clv).abs() < 4.0 * margin.std_error,
            "{engine:?}: simulated purchase margin {} ± {} against Σ clv {clv}",
            margin.mean,
            margin.std_error
        );
    }
}

#[test]
fn gamma_gamma_histories_are_valued_on_their_spend_in_both_engines() {
    // Large groups (stratified posteriors in the cohort engine) and small ones (exact draws),
    // with and without a monetary value.
    let text = GROUPED
        .replace(
            "order_value = { mean = 20.0 }",
            "order_value = { p = 6.25, q = 3.74, gamma = 15.44 }",
        )
        .replace(
            "recency = 20, T = 30, count = 1500",
            "recency = 20, T = 30, count = 1500, monetary_value = 60.0",
        )
        .replace(
            "recency = 28, T = 38, count = 800",
            "recency = 28, T = 38, count = 800, monetary_value = 12.5",
        )
        .replace(
            "recency = 3, T = 35, count = 5",
            "recency = 3, T = 35, count = 5, monetary_value = 90.0",
        );
    let scenario = scenario::parse_str(&text, "gg.toml", "gg", Format::Toml).unwrap();
    let value = ceq::fit::base_value::value_base(&scenario)[0].value;
    let fresh_value = {
        let plain = scenario::parse_str(
            &text
                .replace(", monetary_value = 60.0", "")
                .replace(", monetary_value = 12.5", "")
                .replace(", monetary_value = 90.0", ""),
            "gg.toml",
            "gg",
            Format::Toml,
        )
        .unwrap();
        ceq::fit::base_value::value_base(&plain)[0].value
    };
    // The spend histories matter: m_x = 60 and 12.5 move the value away from the population's.
    assert!(
        (value / fresh_value - 1.0).abs() > 0.03,
        "{value} vs {fresh_value}"
    );
    for (engine, seed) in [(EngineKind::Customer, 41), (EngineKind::Cohort, 42)] {
        let simulation = simulate(&scenario, engine, 300, seed);
        let margin = describe(
            &simulation
                .runs
                .iter()
                .map(|r| r.components.purchase_margin)
                .collect::<Vec<_>>(),
        );
        assert!(
            (margin.mean - value).abs() < 4.0 * margin.std_error,
            "{engine:?}: simulated purchase margin {} ± {} against the closed form {value}",
            margin.mean,
            margin.std_error
        );
    }
    let bad = GROUPED.replace(
        "recency = 3, T = 35, count = 5",
        "recency = 3, T = 35, count = 5, monetary_value = 9.0",
    );
    assert!(
        problems(&bad).contains("`monetary_value` conditions Gamma-Gamma order values"),
        "{}",
        problems(&bad)
    );
}

#[test]
fn a_history_simulates_to_the_same_bytes_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grouped.toml");
    std::fs::write(&path, GROUPED).unwrap();
    let run = |engine: &str, threads: &str| {
        ceq()
            .arg("simulate")
            .arg(&path)
            .args([
                "--runs",
                "24",
                "--json",
                "--engine",
                engine,
                "--threads",
                threads,
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    for engine in ["customer", "cohort"] {
        assert_eq!(run(engine, "1"), run(engine, "3"), "{engine}");
    }
}
