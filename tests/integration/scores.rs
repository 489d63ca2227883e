//! Per-customer scores (`ceq fit transactions --scores`) against the Python `lifetimes`
//! library on the CDNOW sample. The reference values and the script that made them are in
//! tests/data (`lifetimes_cdnow_scores.py`); the time convention is the one ceq fits with
//! (calibration end 1997-09-30, weeks of 7 days).
//!
//! Two comparisons, kept apart so that a difference in the scores' formulas cannot hide behind
//! a difference in the fitted parameters, or the other way round:
//! - the library's formulas at exactly lifetimes' fitted parameters (the parameters are on
//!   every row of the reference file) against lifetimes' scores: 1e-6 relative, every customer;
//! - the binary end to end, at ceq's own fitted parameters, against the same file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

use ceq::fit::scores::{self, ScoreSettings};
use ceq::fit::transactions::{self, Columns, CustomerSummary, TimeUnit, parse_date};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

/// A CSV file as rows of (column → text), keyed by its first column.
fn read_table(path: &Path) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            header
                .iter()
                .cloned()
                .zip(record.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

fn number(row: &HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = '{}' is not a number", row[column]))
}

/// |got/expected − 1|, or |got − expected| when expected is 0.
fn relative(got: f64, expected: f64) -> f64 {
    if expected == 0.0 {
        (got - expected).abs()
    } else {
        (got / expected - 1.0).abs()
    }
}

/// The largest relative difference of each compared column, checked against `tolerance`.
struct Agreement {
    worst: HashMap<&'static str, (f64, String)>,
}

impl Agreement {
    fn new() -> Self {
        Agreement {
            worst: HashMap::new(),
        }
    }

    fn record(&mut self, column: &'static str, customer: &str, got: f64, expected: f64) {
        assert!(got.is_finite(), "{column} of {customer} is {got}");
        let difference = relative(got, expected);
        let entry = self.worst.entry(column).or_insert((0.0, String::new()));
        if difference >= entry.0 {
            *entry = (
                difference,
                format!("{customer}: ceq {got}, lifetimes {expected}"),
            );
        }
    }

    fn check(&self, tolerance: f64) {
        for (column, (difference, example)) in &self.worst {
            eprintln!("{column}: max relative difference {difference:.3e} ({example})");
            assert!(
                *difference < tolerance,
                "{column} differs by {difference:.3e} relative (> {tolerance:e}) at {example}"
            );
        }
    }
}

fn cdnow() -> (transactions::TransactionLog, Vec<CustomerSummary>) {
    let text = std::fs::read_to_string(data("cdnow_sample_transactions.csv")).unwrap();
    let log = transactions::read_transactions(&text, &Columns::default()).unwrap();
    let end = parse_date("1997-09-30").unwrap();
    let summaries = transactions::summarize(&log, end, TimeUnit::Week, None);
    (log, summaries.customers)
}

/// ceq's formulas at lifetimes' parameters reproduce lifetimes' P(alive), conditional expected
/// purchases in 39 weeks, Gamma-Gamma conditional mean and discounted purchases to 1e-6 relative
/// for every customer of the sample: one-time buyers (x = 0), repeat buyers, and the customers
/// whose only purchase was worth $0.
#[test]
fn scores_match_lifetimes_at_its_parameters_for_every_customer() {
    let (log, customers) = cdnow();
    let (_, reference) = read_table(&data("lifetimes_cdnow_scores.csv"));
    assert_eq!(reference.len(), customers.len());
    let first = &reference[0];
    let bgnbd = ["r", "alpha", "a", "b"].map(|p| number(first, p));
    let gamma_gamma = ["p", "q", "v"].map(|p| number(first, p));
    let mut settings = ScoreSettings::new(39, 52);
    settings.margin = 1.0;
    settings.discount_rate = 0.10;
    settings.draws = 100;
    let scored = scores::score(&customers, &log.customers, bgnbd, gamma_gamma, &settings).unwrap();
    let by_id: HashMap<&str, &scores::CustomerScore> = scored
        .customers
        .iter()
        .map(|c| (c.customer_id.as_str(), c))
        .collect();
    assert_eq!(by_id.len(), reference.len(), "one row per customer");
    let mut agreement = Agreement::new();
    let (mut one_time, mut repeat, mut zero_first) = (0, 0, 0);
    for row in &reference {
        let id = row["customer_id"].as_str();
        let ours = by_id
            .get(id)
            .unwrap_or_else(|| panic!("customer '{id}' of lifetimes has no score"));
        assert_eq!(f64::from(ours.frequency), number(row, "frequency"), "{id}");
        agreement.record("recency", id, ours.recency, number(row, "recency"));
        agreement.record("T", id, ours.age, number(row, "T"));
        agreement.record("p_alive", id, ours.p_alive, number(row, "p_alive"));
        agreement.record(
            "expected_purchases",
            id,
            ours.expected_purchases,
            number(row, "expected_purchases_39"),
        );
        agreement.record(
            "expected_order_value",
            id,
            ours.expected_order_value,
            number(row, "expected_order_value"),
        );
        let clv = number(row, "discounted_purchases_39") * number(row, "expected_order_value");
        agreement.record("clv", id, ours.clv, clv);
        match ours.frequency {
            0 => one_time += 1,
            _ => repeat += 1,
        }
        if log.days.iter().any(|d| {
            log.customers[d.customer as usize] == id && d.amount == 0.0 && ours.frequency == 0
        }) {
            zero_first += 1;
        }
    }
    assert_eq!((one_time, repeat), (1411, 946));
    assert_eq!(zero_first, 8, "the sample's eight $0.00 one-time buyers");
    agreement.check(1e-6);
}

/// The sample has no repeat buyer whose repeat spend is $0, so lifetimes scored made-up ones
/// (tests/data/lifetimes_zero_repeat_spend.csv): ceq gives them the same conditional mean,
/// pγ/(px + q − 1), though they are not in the Gamma-Gamma fit.
#[test]
fn zero_dollar_repeat_buyers_match_lifetimes() {
    let (_, reference) = read_table(&data("lifetimes_cdnow_scores.csv"));
    let bgnbd = ["r", "alpha", "a", "b"].map(|p| number(&reference[0], p));
    let gamma_gamma = ["p", "q", "v"].map(|p| number(&reference[0], p));
    let (_, zero) = read_table(&data("lifetimes_zero_repeat_spend.csv"));
    assert_eq!(zero.len(), 5);
    let customers: Vec<CustomerSummary> = zero
        .iter()
        .enumerate()
        .map(|(i, row)| CustomerSummary {
            customer: i as u32,
            frequency: number(row, "frequency") as u32,
            recency: number(row, "recency"),
            age: number(row, "T"),
            first_amount: 0.0,
            repeat_amount: 0.0,
            holdout_purchases: 0,
        })
        .collect();
    let ids: Vec<String> = zero.iter().map(|r| r["customer_id"].clone()).collect();
    let mut settings = ScoreSettings::new(39, 52);
    settings.draws = 100;
    let scored = scores::score(&customers, &ids, bgnbd, gamma_gamma, &settings).unwrap();
    let mut agreement = Agreement::new();
    for (ours, row) in scored.customers.iter().zip(&zero) {
        assert_eq!(ours.customer_id, row["customer_id"]);
        let id = ours.customer_id.as_str();
        agreement.record("p_alive", id, ours.p_alive, number(row, "p_alive"));
        agreement.record(
            "expected_purchases",
            id,
            ours.expected_purchases,
            number(row, "expected_purchases_39"),
        );
        agreement.record(
            "expected_order_value",
            id,
            ours.expected_order_value,
            number(row, "expected_order_value"),
        );
        assert!(ours.clv > 0.0 && ours.clv_p95 > ours.clv, "{ours:?}");
    }
    agreement.check(1e-6);
}

/// End to end: `--scores` at ceq's own fitted parameters, read back from the CSV, against
/// lifetimes' scores at its parameters. The two fits agree to about 1e-6 relative in the
/// parameters (see `fit_parameters_match_lifetimes`), so the scores do too.
#[test]
fn scores_file_through_the_binary_matches_lifetimes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scores.csv");
    let output = ceq()
        .args(["fit", "transactions"])
        .arg(data("cdnow_sample_transactions.csv"))
        .args(["--calibration-end", "1997-09-30", "--horizon", "39"])
        .args([
            "--margin",
            "1",
            "--discount-rate",
            "0.10",
            "--json",
            "--scores",
        ])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&output).unwrap();
    let (header, rows) = read_table(&path);
    assert_eq!(header, scores::CSV_HEADER);
    let (_, reference) = read_table(&data("lifetimes_cdnow_scores.csv"));
    assert_eq!(rows.len(), reference.len());
    let ours: HashMap<&str, &HashMap<String, String>> = rows
        .iter()
        .map(|r| (r["customer_id"].as_str(), r))
        .collect();
    // Ids exactly as in the log, leading zeros included.
    assert!(ours.contains_key("00004") && ours.contains_key("23569"));
    let mut agreement = Agreement::new();
    let mut total_purchases = 0.0;
    for row in &reference {
        let id = row["customer_id"].as_str();
        let mine = ours[id];
        agreement.record(
            "p_alive",
            id,
            number(mine, "p_alive"),
            number(row, "p_alive"),
        );
        agreement.record(
            "expected_purchases",
            id,
            number(mine, "expected_purchases"),
            number(row, "expected_purchases_39"),
        );
        agreement.record(
            "expected_order_value",
            id,
            number(mine, "expected_order_value"),
            number(row, "expected_order_value"),
        );
        let clv = number(row, "discounted_purchases_39") * number(row, "expected_order_value");
        agreement.record("clv", id, number(mine, "clv"), clv);
        let (low, high) = (number(mine, "clv_p05"), number(mine, "clv_p95"));
        assert!(0.0 <= low && low <= high, "{id}: {low} – {high}");
        total_purchases += number(row, "expected_purchases_39");
    }
    agreement.check(1e-6);
    let block = &json["scores"];
    assert_eq!(block["file"], path.display().to_string());
    assert_eq!(block["horizon"], 39);
    assert_eq!(block["interval"], 0.9);
    assert_eq!(block["customers"], 2357);
    let summed = block["expected_purchases"].as_f64().unwrap();
    assert!(
        relative(summed, total_purchases) < 1e-6,
        "{summed} vs {total_purchases}"
    );
}

/// ceq's maximum-likelihood estimates against lifetimes' (the reference file repeats them on
/// every row): 1e-6 relative in each of the seven parameters.
#[test]
fn fit_parameters_match_lifetimes() {
    use ceq::fit::{bgnbd, gamma_gamma};
    let (_, customers) = cdnow();
    let (_, reference) = read_table(&data("lifetimes_cdnow_scores.csv"));
    let purchasing = bgnbd::fit(&customers).unwrap();
    let spend = gamma_gamma::fit(&customers).unwrap();
    let ours = purchasing.params().into_iter().chain(spend.params());
    for (name, value) in ["r", "alpha", "a", "b", "p", "q", "v"]
        .into_iter()
        .zip(ours)
    {
        let theirs = number(&reference[0], name);
        let difference = relative(value, theirs);
        eprintln!("{name}: ceq {value}, lifetimes {theirs}, relative difference {difference:.2e}");
        assert!(difference < 1e-6, "{name}: ceq {value}, lifetimes {theirs}");
    }
}

/// The interval covers the clv for most customers (it is skewed, so not always: a customer
/// alive for sure with a very uncertain rate can have a mean above the 95% quantile only if
/// the tail is extreme), is reproducible for a seed, at any number of threads, and moves with
/// the seed.
#[test]
fn the_clv_interval_is_reproducible_and_brackets_the_clv() {
    let (log, customers) = cdnow();
    let (_, reference) = read_table(&data("lifetimes_cdnow_scores.csv"));
    let bgnbd = ["r", "alpha", "a", "b"].map(|p| number(&reference[0], p));
    let gamma_gamma = ["p", "q", "v"].map(|p| number(&reference[0], p));
    let settings = ScoreSettings::new(52, 52);
    let first = scores::score(&customers, &log.customers, bgnbd, gamma_gamma, &settings).unwrap();
    let again = scores::score(&customers, &log.customers, bgnbd, gamma_gamma, &settings).unwrap();
    assert_eq!(first.to_csv().unwrap(), again.to_csv().unwrap());
    let in_pool = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool")
            .install(|| {
                scores::score(&customers, &log.customers, bgnbd, gamma_gamma, &settings)
                    .unwrap()
                    .to_csv()
                    .unwrap()
            })
    };
    assert!(
        in_pool(1) == in_pool(3),
        "1 and 3 threads must give the same bytes"
    );
    let other_seed = ScoreSettings {
        seed: 2,
        ..settings
    };
    let other = scores::score(&customers, &log.customers, bgnbd, gamma_gamma, &other_seed).unwrap();
    assert_ne!(first.to_csv().unwrap(), other.to_csv().unwrap());
    let inside = first
        .customers
        .iter()
        .filter(|c| c.clv_p05 <= c.clv && c.clv <= c.clv_p95)
        .count();
    assert!(
        inside as f64 > 0.99 * first.customers.len() as f64,
        "{inside} of {}",
        first.customers.len()
    );
    for c in &first.customers {
        // Stratified "alive" draws: at most 5% alive-and-valued draws below the 5% quantile
        // once P(alive) is 1/2000 under 95%.
        if c.p_alive < 0.949 {
            assert_eq!(
                c.clv_p05, 0.0,
                "{c:?}: below 95% alive, the 5% quantile is gone"
            );
        }
    }
}

#[test]
fn scores_refuse_to_replace_a_file_or_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scores.csv");
    std::fs::write(&path, "keep me\n").unwrap();
    let run = |extra: &[&str], scores: &Path| {
        let mut command = ceq();
        command
            .args(["fit", "transactions"])
            .arg(data("cdnow_sample_transactions.csv"))
            .args(["--calibration-end", "1997-09-30", "--scores"])
            .arg(scores)
            .args(extra);
        command.assert()
    };
    run(&[], &path).code(2).stderr(predicate::str::contains(
        "already exists; use --force to replace it",
    ));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me\n");
    run(&["--force"], &path).success();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("customer_id,frequency,recency,T,p_alive,")
    );
    // The log itself, even with --force, and however it is spelled.
    let log = dir.path().join("log.csv");
    std::fs::copy(data("cdnow_sample_transactions.csv"), &log).unwrap();
    let before = std::fs::read(&log).unwrap();
    let spelled = dir.path().join(".").join("log.csv");
    ceq()
        .args(["fit", "transactions"])
        .arg(&log)
        .args(["--calibration-end", "1997-09-30", "--force", "--scores"])
        .arg(&spelled)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is the transaction log itself"));
    assert_eq!(std::fs::read(&log).unwrap(), before);
}

#[test]
fn out_dir_gets_scores_csv_and_bad_money_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    ceq()
        .args(["fit", "transactions"])
        .arg(data("cdnow_sample_transactions.csv"))
        .args([
            "--calibration-end",
            "1997-09-30",
            "--margin",
            "0.3",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("Scores of each customer"))
        .stdout(predicate::str::contains(
            "at a margin of 30% and a discount rate of 10%",
        ));
    let (header, rows) = read_table(&dir.path().join("scores.csv"));
    assert_eq!(header, scores::CSV_HEADER);
    assert_eq!(rows.len(), 2357);
    let fit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("fit_transactions.json")).unwrap())
            .unwrap();
    assert_eq!(fit["scores"]["margin"], 0.3);
    assert_eq!(fit["scores"]["file"], serde_json::Value::Null);
    // The money flags reach the written scenario too.
    let scenario = dir.path().join("fitted.toml");
    ceq()
        .args(["fit", "transactions"])
        .arg(data("cdnow_sample_transactions.csv"))
        .args(["--calibration-end", "1997-09-30", "--margin", "0.3"])
        .args(["--discount-rate", "0.15", "--write-scenario"])
        .arg(&scenario)
        .assert()
        .success();
    let text = std::fs::read_to_string(&scenario).unwrap();
    assert!(text.contains("\nmargin = 0.3 "), "{text}");
    assert!(text.contains("\ndiscount_rate = 0.15 "), "{text}");
    for (flag, value) in [
        ("--margin", "1.2"),
        ("--margin", "-0.1"),
        ("--discount-rate", "-1"),
    ] {
        ceq()
            .args(["fit", "transactions"])
            .arg(data("cdnow_sample_transactions.csv"))
            .arg(format!("{flag}={value}"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("expected"));
    }
}
