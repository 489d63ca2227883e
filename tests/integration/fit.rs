//! Calibration (SPEC §14): reference fits on the published data, the fitted scenario's round
//! trip through the simulator, and `ceq fit` through the real binary.

use std::path::{Path, PathBuf};

use ceq::fit::transactions::{self, Columns, TimeUnit, parse_date};
use ceq::fit::{bgnbd, gamma_gamma, sbg};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn cdnow_summaries() -> transactions::Summaries {
    let text = std::fs::read_to_string(data("cdnow_sample_transactions.csv")).unwrap();
    let log = transactions::read_transactions(&text, &Columns::default()).unwrap();
    assert!(log.bad_rows.is_empty());
    let end = parse_date("1997-09-30").unwrap();
    transactions::summarize(&log, end, TimeUnit::Week, parse_date("1998-06-30"))
}

fn assert_close(name: &str, got: f64, expected: f64, relative: f64) {
    assert!(
        (got / expected - 1.0).abs() < relative,
        "{name} = {got}, expected {expected} within {}%",
        relative * 100.0
    );
}

#[test]
fn fit_sbg_reproduces_fader_hardie_2007() {
    let text = std::fs::read_to_string(data("fader_hardie_2007_survival.csv")).unwrap();
    let table = sbg::read_survival_table(&text).unwrap();
    let regular = sbg::fit(&table.series[0].alive, Some(7)).unwrap();
    assert_close("regular alpha", regular.alpha.value, 0.704, 0.005);
    assert_close("regular beta", regular.beta.value, 1.182, 0.005);
    let high_end = sbg::fit(&table.series[1].alive, Some(7)).unwrap();
    assert_close("high end alpha", high_end.alpha.value, 0.668, 0.005);
    assert_close("high end beta", high_end.beta.value, 3.806, 0.005);
}

#[test]
fn fit_bgnbd_and_gamma_gamma_reproduce_fader_hardie_lee_on_cdnow() {
    let summaries = cdnow_summaries();
    assert_eq!(summaries.customers.len(), 2357);
    let fitted = bgnbd::fit(&summaries.customers).unwrap();
    eprintln!("{fitted:?}");
    assert_close("r", fitted.r.value, 0.243, 0.01);
    assert_close("alpha", fitted.alpha.value, 4.414, 0.01);
    assert_close("a", fitted.a.value, 0.793, 0.01);
    assert_close("b", fitted.b.value, 2.426, 0.01);
    let spend = gamma_gamma::fit(&summaries.customers).unwrap();
    eprintln!("{spend:?}");
    assert_eq!(spend.customers, 946);
    assert_close("p", spend.p.value, 6.25, 0.01);
    assert_close("q", spend.q.value, 3.74, 0.01);
    assert_close("gamma", spend.gamma.value, 15.44, 0.01);
}

#[test]
#[allow(clippy::needless_range_loop)] // matrix elimination reads best with indices
fn standard_errors_match_a_finite_difference_hessian_of_the_bgnbd_likelihood() {
    // An independent check of the observed information: a plain central-difference Hessian
    // with a fixed absolute step, inverted by hand-rolled Gauss-Jordan elimination.
    let summaries = cdnow_summaries();
    let fitted = bgnbd::fit(&summaries.customers).unwrap();
    let data = bgnbd::GroupedRfm::new(&summaries.customers);
    let x = fitted.params();
    let ll = |p: [f64; 4]| bgnbd::log_likelihood(p, &data);
    let h = 1e-4;
    let shifted = |moves: &[(usize, f64)]| {
        let mut p = x;
        for &(i, s) in moves {
            p[i] += s * h;
        }
        ll(p)
    };
    let mut info = [[0.0f64; 8]; 4];
    for i in 0..4 {
        for j in 0..4 {
            let second = (shifted(&[(i, 1.0), (j, 1.0)])
                - shifted(&[(i, 1.0), (j, -1.0)])
                - shifted(&[(i, -1.0), (j, 1.0)])
                + shifted(&[(i, -1.0), (j, -1.0)]))
                / (4.0 * h * h);
            info[i][j] = -second;
        }
        info[i][4 + i] = 1.0;
    }
    for col in 0..4 {
        let pivot = info[col][col];
        for k in 0..8 {
            info[col][k] /= pivot;
        }
        for row in 0..4 {
            if row != col {
                let factor = info[row][col];
                for k in 0..8 {
                    info[row][k] -= factor * info[col][k];
                }
            }
        }
    }
    let estimates = [fitted.r, fitted.alpha, fitted.a, fitted.b];
    for (i, estimate) in estimates.iter().enumerate() {
        let independent = info[i][4 + i].sqrt();
        let got = estimate.std_error.unwrap();
        assert_close("standard error", got, independent, 0.01);
    }
}

#[test]
fn a_fitted_scenario_simulates_the_bgnbd_expected_purchases() {
    use ceq::fit::fitted_scenario::FittedScenario;
    use ceq::model::closed_form::bgnbd_expected_purchases;
    use ceq::sim::{self, EngineKind, SimOptions};

    let summaries = cdnow_summaries();
    let purchasing = bgnbd::fit(&summaries.customers).unwrap();
    let spend = gamma_gamma::fit(&summaries.customers).unwrap();
    let text = FittedScenario {
        source: "cdnow_sample_transactions.csv",
        calibration_end: "1997-09-30",
        unit: TimeUnit::Week,
        horizon: 52,
        margin: 1.0,
        discount_rate: 0.10,
        bgnbd: &purchasing,
        gamma_gamma: &spend,
        history: None,
    }
    .to_toml();
    let scenario =
        ceq::scenario::parse_str(&text, "fitted.toml", "fitted", ceq::scenario::Format::Toml)
            .unwrap();
    let runs = 200;
    let options = SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs,
        seed: 11,
        engine: EngineKind::Auto,
        limits: Default::default(),
        control: Default::default(),
    };
    let simulation = sim::run(&scenario, &options).unwrap();
    let [r, alpha, a, b] = purchasing.params();
    let customers = summaries.customers.len() as f64;
    for t in [1usize, 4, 13, 26, 52] {
        let totals: Vec<f64> = simulation
            .runs
            .iter()
            .map(|run| run.periods[..t].iter().map(|p| p.orders).sum())
            .collect();
        let n = totals.len() as f64;
        let mean = totals.iter().sum::<f64>() / n;
        let sd = (totals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let expected = customers * bgnbd_expected_purchases(r, alpha, a, b, t as f64).unwrap();
        let se = sd / n.sqrt();
        assert!(
            (mean - expected).abs() < 4.0 * se,
            "week {t}: simulated {mean} ± {se}, BG/NBD {expected}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Through the real binary

use assert_cmd::Command;
use predicates::prelude::*;

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

fn json_of(output: &[u8]) -> serde_json::Value {
    serde_json::from_slice(output).expect("stdout is one JSON document")
}

#[test]
fn fit_survival_json_through_the_binary() {
    let output = ceq()
        .args([
            "fit",
            "survival",
            "tests/data/fader_hardie_2007_survival.csv",
        ])
        .args(["--through", "7", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let fits = json_of(&output);
    let fits = fits.as_array().expect("two columns give an array");
    assert_eq!(fits.len(), 2);
    let expected = [("regular", 0.704, 1.182), ("high_end", 0.668, 3.806)];
    for (fit, (column, alpha, beta)) in fits.iter().zip(expected) {
        assert_eq!(fit["model"], "sbg");
        assert_eq!(fit["column"], column);
        assert_close("alpha", fit["alpha"].as_f64().unwrap(), alpha, 0.005);
        assert_close("beta", fit["beta"].as_f64().unwrap(), beta, 0.005);
        assert!(fit["std_errors"]["alpha"].as_f64().unwrap() > 0.0);
        assert!(fit["log_likelihood"].as_f64().unwrap() < 0.0);
        let table = fit["table"].as_array().unwrap();
        assert_eq!(table.len(), 13);
        assert_eq!(table[0]["actual"], 1000.0);
        assert!((table[0]["fitted"].as_f64().unwrap() - 1000.0).abs() < 1e-9);
        assert_eq!(table[8]["in_fit"], false);
    }

    let one = ceq()
        .args([
            "fit",
            "survival",
            "tests/data/fader_hardie_2007_survival.csv",
        ])
        .args(["--through", "7", "--column", "regular", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let one = json_of(&one);
    let keys: Vec<&str> = one
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "model",
        "alpha",
        "beta",
        "std_errors",
        "log_likelihood",
        "table",
    ] {
        assert!(keys.contains(&key), "missing {key} in {keys:?}");
    }
}

#[test]
fn fit_survival_text_has_the_line_to_paste() {
    ceq()
        .args([
            "fit",
            "survival",
            "tests/data/fader_hardie_2007_survival.csv",
        ])
        .args(["--through", "7", "--column", "high_end"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "retention = { churn_alpha = 0.668",
        ))
        .stdout(predicate::str::contains("95% interval"));
    ceq()
        .args([
            "fit",
            "survival",
            "tests/data/fader_hardie_2007_survival.csv",
        ])
        .args(["--column", "premium"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no column named 'premium'; the cohort columns are: regular, high_end",
        ));
}

#[test]
fn fit_transactions_writes_a_scenario_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fitted.toml");
    let output = ceq()
        .args([
            "fit",
            "transactions",
            "tests/data/cdnow_sample_transactions.csv",
        ])
        .args(["--calibration-end", "1997-09-30", "--time-unit", "week"])
        .args(["--holdout-end", "1998-06-30", "--write-scenario"])
        .arg(&out)
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let result = json_of(&output);
    assert_eq!(result["customers"], 2357);
    assert_eq!(result["repeat_buyers"], 946);
    assert_close("r", result["bgnbd"]["r"].as_f64().unwrap(), 0.243, 0.01);
    assert_close("b", result["bgnbd"]["b"].as_f64().unwrap(), 2.426, 0.01);
    assert!(result["bgnbd"]["std_errors"]["a"].as_f64().unwrap() > 0.0);
    assert_close(
        "q",
        result["gamma_gamma"]["q"].as_f64().unwrap(),
        3.74,
        0.01,
    );
    assert_eq!(result["gamma_gamma"]["customers"], 946);
    let holdout = &result["holdout"];
    assert_eq!(holdout["length"], 39.0);
    assert_eq!(holdout["groups"].as_array().unwrap().len(), 8);
    assert_eq!(holdout["groups"][0]["customers"], 1411);
    ceq()
        .arg("validate")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("1 cohort,"));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("customers = 2357"), "{text}");
    assert!(
        text.contains("retention = { dropout_alpha = 0.79"),
        "{text}"
    );
}

#[test]
fn malformed_rows_are_reported_with_their_line_and_the_fit_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    let mut text = std::fs::read_to_string(data("cdnow_sample_transactions.csv")).unwrap();
    let lines = text.lines().count();
    // The file has Windows line ends; the appended rows keep them.
    text.push_str("00004,1997-02-30,1,3.00\r\n00004,1997-03-01,1,abc\r\n");
    std::fs::write(&path, text).unwrap();
    ceq()
        .args(["fit", "transactions"])
        .arg(&path)
        .args(["--calibration-end", "1997-09-30"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "2 row(s) could not be read and are left out",
        ))
        .stderr(predicate::str::contains(format!(
            "line {}: '1997-02-30' is not a date (expected 2024-03-31, 20240331, 31/03/2024, \
             03/31/2024 or 31.03.2024; --date-format reads others)",
            lines + 1
        )))
        .stderr(predicate::str::contains(format!(
            "line {}: the amount 'abc' is not a number",
            lines + 2
        )));
}

#[test]
fn unreadable_logs_exit_two_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("empty.csv", "", "the file is empty"),
        (
            "columns.csv",
            "customer_id,day,amount\n1,2024-01-01,3\n",
            "line 1: no date column",
        ),
        (
            "delimiter.csv",
            "customer_id,date,amount\n1;2024-01-01;3\n",
            "line 2: expected 3 fields separated by ',', found 1 (the row contains ';'",
        ),
        (
            "dates.csv",
            "customer_id,date,amount\n1,31.01.24,3\n",
            "line 2: '31.01.24' is not a date",
        ),
    ];
    for (name, text, message) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        ceq()
            .args(["fit", "transactions"])
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    ceq()
        .args([
            "fit",
            "transactions",
            "tests/data/cdnow_sample_transactions.csv",
        ])
        .args(["--calibration-end", "1997-09-31"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--calibration-end '1997-09-31' is not a date",
        ));
}

// ---------------------------------------------------------------------------------------------
// Calibration charts: --out DIR [--charts]

/// The sorted names of the files in `dir`.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A PNG (its signature) of 1920 × 1080 (its IHDR chunk), and an SVG with text.
fn assert_chart(dir: &Path, stem: &str) -> String {
    let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}.png signature");
    assert_eq!(&png[12..16], b"IHDR");
    let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    assert_eq!((word(16), word(20)), (1920, 1080), "{stem}.png size");
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{stem}.svg starts with {:?}",
        &svg[..svg.len().min(40)]
    );
    assert!(svg.contains("<text"), "{stem}.svg has its text as text");
    svg
}

#[test]
fn fit_survival_writes_fit_json_and_a_chart_per_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fit");
    let stdout = ceq()
        .args([
            "fit",
            "survival",
            "tests/data/fader_hardie_2007_survival.csv",
        ])
        .args(["--through", "7", "--charts", "--json", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("survival_regular.png"))
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        file_names(&out),
        [
            "fit_survival.json",
            "manifest.json",
            "survival_high_end.png",
            "survival_high_end.svg",
            "survival_regular.png",
            "survival_regular.svg",
        ],
        "exactly these files, no temporary ones"
    );
    assert_eq!(
        std::fs::read(out.join("fit_survival.json")).unwrap(),
        stdout,
        "fit_survival.json is what --json prints"
    );
    for (column, alpha, beta) in [
        ("regular", "0.7041", "1.182"),
        ("high_end", "0.6681", "3.806"),
    ] {
        let svg = assert_chart(&out, &format!("survival_{column}"));
        assert!(svg.contains("Survival: actual vs fitted sBG"), "{column}");
        assert!(
            svg.contains(&format!(
                "fader_hardie_2007_survival.csv · {column} · α = {alpha}, β = {beta}"
            )),
            "{column}: the subtitle names the file, the column and the estimates"
        );
        assert!(svg.contains("End of calibration period"), "{column}");
        assert!(svg.contains("Customers alive"), "{column}");
    }

    // Fitting every period leaves no holdout to mark.
    let all = dir.path().join("all");
    ceq()
        .args([
            "fit",
            "survival",
            "tests/data/fader_hardie_2007_survival.csv",
        ])
        .args(["--column", "regular", "--charts", "--out"])
        .arg(&all)
        .assert()
        .success()
        .stdout(predicate::str::contains("retention = { churn_alpha"));
    assert_eq!(
        file_names(&all),
        [
            "fit_survival.json",
            "manifest.json",
            "survival_regular.png",
            "survival_regular.svg"
        ]
    );
    let svg = assert_chart(&all, "survival_regular");
    assert!(!svg.contains("End of calibration period"));
    let one = json_of(&std::fs::read(all.join("fit_survival.json")).unwrap());
    assert_eq!(one["column"], "regular", "one column, one object");
}

#[test]
fn fit_transactions_tracks_cumulative_repeat_purchases() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fit");
    let stdout = ceq()
        .args([
            "fit",
            "transactions",
            "tests/data/cdnow_sample_transactions.csv",
        ])
        .args([
            "--calibration-end",
            "1997-09-30",
            "--holdout-end",
            "1998-06-30",
        ])
        .args(["--charts", "--json", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("repeat_purchases.png"))
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        file_names(&out),
        [
            "clv.png",
            "clv.svg",
            "fit_transactions.json",
            "manifest.json",
            "p_alive.png",
            "p_alive.svg",
            "repeat_purchases.png",
            "repeat_purchases.svg",
            "scores.csv"
        ],
        "exactly these files, no temporary ones"
    );
    assert_eq!(
        std::fs::read(out.join("fit_transactions.json")).unwrap(),
        stdout
    );
    let svg = assert_chart(&out, "repeat_purchases");
    assert!(svg.contains("Cumulative repeat purchases: actual vs BG/NBD"));
    assert!(svg.contains("Weeks since 1997-01-01"));
    assert!(svg.contains("End of calibration period"));
    assert!(svg.contains("2,357 customers who first bought by 1997-09-30"));

    // One point per week from the first purchase day (1997-01-01) to the holdout end, 78 weeks.
    let result = json_of(&stdout);
    let tracking = result["tracking"].as_array().expect("a tracking array");
    assert_eq!(tracking.len(), 79);
    for (week, point) in tracking.iter().enumerate() {
        assert_eq!(point["time"].as_f64().unwrap(), week as f64);
    }
    assert_eq!(tracking[0]["actual"], 0.0);
    assert_eq!(tracking[0]["model"], 0.0);
    let at_end = &tracking[39];
    assert_eq!(at_end["date"], "1997-09-30");
    assert_eq!(tracking[78]["date"], "1998-06-30");

    // At the calibration end the actual curve is the fit's total of repeat purchases (Σ x) and
    // the model curve Σ E[X(T)] over the fitted customers; the holdout adds what the holdout
    // check counts.
    let summaries = cdnow_summaries();
    let repeats: u32 = summaries.customers.iter().map(|c| c.frequency).sum();
    assert_eq!(repeats, 2457);
    assert_eq!(at_end["actual"].as_f64().unwrap(), f64::from(repeats));
    let bgnbd = &result["bgnbd"];
    let param = |name: &str| bgnbd[name].as_f64().unwrap();
    let expected: f64 = summaries
        .customers
        .iter()
        .map(|c| {
            ceq::model::closed_form::bgnbd_expected_purchases(
                param("r"),
                param("alpha"),
                param("a"),
                param("b"),
                c.age,
            )
            .unwrap()
        })
        .sum();
    assert_close(
        "model at the calibration end",
        at_end["model"].as_f64().unwrap(),
        expected,
        1e-9,
    );
    let holdout = result["holdout"]["total"]["actual"].as_f64().unwrap();
    assert_eq!(
        tracking[78]["actual"].as_f64().unwrap() - at_end["actual"].as_f64().unwrap(),
        holdout
    );
    // The model tracks the second half of the calibration period within 5% and falls a little
    // behind in the holdout, as in Fader, Hardie & Lee's (2005) tracking plot. (In the first weeks,
    // while the cohort is still being acquired, it runs up to about 20% below the few actual
    // repeat purchases; an independent computation gives the same curve.)
    for point in &tracking[20..=39] {
        let actual = point["actual"].as_f64().unwrap();
        assert_close(
            "model in calibration",
            point["model"].as_f64().unwrap(),
            actual,
            0.05,
        );
    }
    let last_model = tracking[78]["model"].as_f64().unwrap();
    let last_actual = tracking[78]["actual"].as_f64().unwrap();
    assert!(
        last_model < last_actual && last_model > 0.93 * last_actual,
        "week 78: model {last_model}, actual {last_actual}"
    );

    // Without a holdout the curve ends at the calibration end and nothing is marked; without
    // --charts, --out writes fit_transactions.json and scores.csv only.
    let calibration_only = dir.path().join("calibration_only");
    ceq()
        .args([
            "fit",
            "transactions",
            "tests/data/cdnow_sample_transactions.csv",
        ])
        .args(["--calibration-end", "1997-09-30", "--charts", "--out"])
        .arg(&calibration_only)
        .assert()
        .success();
    let svg = assert_chart(&calibration_only, "repeat_purchases");
    assert!(!svg.contains("End of calibration period"));
    let json_only = dir.path().join("json_only");
    ceq()
        .args([
            "fit",
            "transactions",
            "tests/data/cdnow_sample_transactions.csv",
        ])
        .args(["--calibration-end", "1997-09-30", "--out"])
        .arg(&json_only)
        .assert()
        .success()
        .stdout(predicate::str::contains("Customer-base fit of"));
    assert_eq!(
        file_names(&json_only),
        ["fit_transactions.json", "manifest.json", "scores.csv"]
    );
    let result = json_of(&std::fs::read(json_only.join("fit_transactions.json")).unwrap());
    let tracking = result["tracking"].as_array().unwrap();
    assert_eq!(tracking.last().unwrap()["date"], "1997-09-30");
    assert_eq!(tracking.last().unwrap()["actual"], 2457.0);
}

#[test]
fn fit_charts_without_out_is_a_usage_error() {
    for args in [
        &[
            "fit",
            "survival",
            "tests/data/fader_hardie_2007_survival.csv",
            "--charts",
        ][..],
        &[
            "fit",
            "transactions",
            "tests/data/cdnow_sample_transactions.csv",
            "--calibration-end",
            "1997-09-30",
            "--charts",
        ][..],
    ] {
        ceq()
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr("error: --charts writes files and needs an output directory: add --out DIR\n");
    }
}

#[test]
fn a_customer_id_of_70000_characters_is_printed_without_a_panic() {
    // Rust's `{:<width$}` panics past a width of 65,535; the top-customers table pads by hand.
    // The long-named customer buys often and much, so the table (printed with --scores) lists it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    let mut text = std::fs::read_to_string(data("cdnow_sample_transactions.csv")).unwrap();
    let id = "x".repeat(70_000);
    for month in 1..=9 {
        text.push_str(&format!("{id},1997-0{month}-15,1,900.00\r\n"));
    }
    std::fs::write(&path, text).unwrap();
    let output = ceq()
        .args(["fit", "transactions"])
        .arg(&path)
        .args(["--calibration-end", "1997-09-30"])
        .arg("--scores")
        .arg(dir.path().join("scores.csv"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let row = stdout
        .lines()
        .find(|line| line.contains(&id))
        .expect("the long-named customer is among the top five");
    // The header and every row are padded to the id's width: the repeats column (right-aligned
    // in 7 characters after the id's column) is at the same place in both.
    let header = stdout
        .lines()
        .find(|line| line.starts_with("  customer "))
        .unwrap();
    let repeats = 2 + id.len() + 1..2 + id.len() + 8;
    assert!(row.starts_with(&format!("  {id} ")));
    assert_eq!(&header[repeats.clone()], "repeats");
    // Nine purchases on nine days: eight repeats.
    assert_eq!(row[repeats].trim(), "8");
}
