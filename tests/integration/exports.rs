//! Logs as firms export them (issue 13, item 5): every file in tests/data/exports holds the
//! same orders as `exports_reference.csv` written another way (`make_exports.py` there says
//! how), and must be read into exactly the same transactions; the files that cannot be read
//! as they are must say why and what to do.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

use ceq::fit::formats::DateFormat;
use ceq::fit::transactions::{self, Columns, TransactionLog};

fn export(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/exports")
        .join(name)
}

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

fn read(name: &str, columns: &Columns) -> TransactionLog {
    let text = std::fs::read_to_string(export(name)).unwrap();
    transactions::read_transactions(&text, columns).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (customer id, day, amount in cents) of every transaction day.
fn transactions_of(log: &TransactionLog) -> Vec<(String, i64, i64)> {
    assert!(log.bad_rows.is_empty(), "{:?}", log.bad_rows);
    log.days
        .iter()
        .map(|d| {
            (
                log.customers[d.customer as usize].clone(),
                d.day,
                (d.amount * 100.0).round() as i64,
            )
        })
        .collect()
}

#[test]
fn every_export_reads_into_the_same_transactions() {
    let reference = transactions_of(&read("exports_reference.csv", &Columns::default()));
    assert!(reference.len() > 800, "{} customer-days", reference.len());
    assert!(
        reference.iter().any(|t| t.2 >= 100_000),
        "some amounts have thousands"
    );
    let us = read("us_month_first.csv", &Columns::default());
    assert_eq!(us.columns, ["Customer ID", "Order Date", "Order Total"]);
    assert_eq!(
        transactions_of(&us),
        reference,
        "month-first dates, $1,234.50"
    );
    assert!(
        us.notes[0].starts_with("dates read month first"),
        "{:?}",
        us.notes
    );
    let european = read("european_day_first.csv", &Columns::default());
    assert_eq!(european.delimiter, b';');
    assert_eq!(european.columns[2], "Revenue");
    assert_eq!(
        transactions_of(&european),
        reference,
        "18.01.1997, 1.234,50 €"
    );
    assert!(european.notes[0].starts_with("dates read day first"));
    let named = Columns {
        date_format: DateFormat::strftime("%d %b %Y").unwrap(),
        ..Columns::default()
    };
    assert_eq!(
        transactions_of(&read("named_months.csv", &named)),
        reference
    );
}

#[test]
fn ambiguous_dates_need_a_format_and_then_read() {
    let text = std::fs::read_to_string(export("ambiguous_dates.csv")).unwrap();
    let error = transactions::read_transactions(&text, &Columns::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("can be day-first or month-first and no date in the file has a day above 12"),
        "{error}"
    );
    let day_first = Columns {
        date_format: DateFormat::strftime("%d/%m/%Y").unwrap(),
        ..Columns::default()
    };
    let log = read("ambiguous_dates.csv", &day_first);
    let reference = transactions_of(&read("exports_reference.csv", &Columns::default()));
    for t in transactions_of(&log) {
        assert!(
            reference.contains(&t),
            "{t:?} is not an order of the reference"
        );
    }
    // Through the binary: exit 2, the first ambiguous line and the flag to add.
    ceq()
        .args(["fit", "transactions"])
        .arg(export("ambiguous_dates.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dates like '02/08/1997' (line 3)"))
        .stderr(predicate::str::contains("with --date-format"));
}

#[test]
fn exports_fit_through_the_binary_like_the_reference() {
    let fit = |name: &str, extra: &[&str]| {
        let output = ceq()
            .args(["fit", "transactions"])
            .arg(export(name))
            .args(["--calibration-end", "1997-09-30", "--json"])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .clone();
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (json, String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (reference, _) = fit("exports_reference.csv", &[]);
    for (name, extra) in [
        ("us_month_first.csv", &[][..]),
        ("european_day_first.csv", &[]),
        ("named_months.csv", &["--date-format", "%d %b %Y"]),
    ] {
        let (json, stderr) = fit(name, extra);
        assert_eq!(json["bgnbd"], reference["bgnbd"], "{name}");
        assert_eq!(json["gamma_gamma"], reference["gamma_gamma"], "{name}");
        if extra.is_empty() {
            assert!(
                stderr.contains("note:") && stderr.contains("dates read"),
                "{stderr}"
            );
            assert!(
                json["notes"][0].as_str().unwrap().starts_with("dates read"),
                "{json}"
            );
        } else {
            assert_eq!(json["notes"], serde_json::json!([]));
        }
    }
    ceq()
        .args(["fit", "transactions"])
        .arg(export("named_months.csv"))
        .args(["--date-format", "%Q"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--date-format: the date format '%Q'",
        ));
}

#[test]
fn every_missing_column_is_reported_at_once() {
    ceq()
        .args(["fit", "transactions"])
        .arg(export("missing_columns.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no date column"))
        .stderr(predicate::str::contains("no amount column"))
        .stderr(
            predicate::str::contains("--date-col").and(predicate::str::contains("--amount-col")),
        )
        .stderr(predicate::str::contains("no customer column").not());
}

#[test]
fn survival_shares_are_refused_unless_the_cohort_size_is_given() {
    ceq()
        .args(["fit", "survival"])
        .arg(export("survival_shares.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "column 'regular' looks like shares of the cohort (1, 0.631, 0.468, 0.382, …)",
        ))
        .stderr(predicate::str::contains("--cohort-size N"));
    let output = ceq()
        .args(["fit", "survival"])
        .arg(export("survival_shares.csv"))
        .args(["--through", "7", "--cohort-size", "1000", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let fits: serde_json::Value = serde_json::from_slice(&output).unwrap();
    // The shares are the published counts over 1,000, rounded to three digits: the same fit.
    let counts = ceq()
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
    let counts: serde_json::Value = serde_json::from_slice(&counts).unwrap();
    for (shares, counts) in fits
        .as_array()
        .unwrap()
        .iter()
        .zip(counts.as_array().unwrap())
    {
        for key in ["alpha", "beta"] {
            let (a, b) = (shares[key].as_f64().unwrap(), counts[key].as_f64().unwrap());
            assert!((a / b - 1.0).abs() < 1e-6, "{key}: {a} vs {b}");
        }
        let (a, b) = (
            shares["std_errors"]["alpha"].as_f64().unwrap(),
            counts["std_errors"]["alpha"].as_f64().unwrap(),
        );
        assert!((a / b - 1.0).abs() < 1e-6, "standard error {a} vs {b}");
    }
}
