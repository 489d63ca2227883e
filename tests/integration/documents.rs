//! Results are documents of the library (issue 14): a Rust user who builds a result with the
//! library gets the same bytes the command line prints, without the command line.

use std::path::Path;

use ceq::optimize::report::{optimize_report, optimized_summary};
use ceq::optimize::{Settings, Silent, optimize};
use ceq::scenario::{self, Optimize};

use crate::plans::stdout_of;

#[test]
fn the_optimize_report_built_by_the_library_is_the_json_the_command_prints() {
    let dir = tempfile::tempdir().unwrap();
    let path = crate::plans::fixture(dir.path());
    let scenario = scenario::load_file(&path).unwrap();
    let mut settings = Settings::new(Optimize::of(&scenario), scenario.baseline_plan());
    settings.runs = 40;
    settings.search_runs = 20;
    settings.mean_field_runs = 10;
    let result = optimize(&scenario, &settings, &mut Silent).unwrap();
    let summary = optimized_summary(&scenario, &settings, &result).unwrap();
    let report = optimize_report(&scenario, &settings, &result, summary);
    let library = ceq::format::json_bytes(&report).unwrap();

    let command = stdout_of(&[
        "optimize",
        path.to_str().unwrap(),
        "--runs",
        "40",
        "--search-runs",
        "20",
        "--mean-field-runs",
        "10",
        "--json",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&library),
        String::from_utf8_lossy(&command)
    );
    assert!(
        !report.explanation.is_empty(),
        "the report says in words what to do"
    );
}

#[test]
fn the_holdout_check_built_by_the_library_is_the_block_the_command_prints() {
    use ceq::fit::formats::DateFormat;
    use ceq::fit::report::holdout_check;
    use ceq::fit::transactions::{self, Columns, TimeUnit, parse_date};

    let log_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cdnow_sample_transactions.csv");
    let text = std::fs::read_to_string(&log_path).unwrap();
    let columns = Columns {
        customer: None,
        date: None,
        amount: None,
        date_format: DateFormat::Auto,
    };
    let log = transactions::read_transactions(&text, &columns).unwrap();
    let (end, holdout_end) = (
        parse_date("1997-09-30").unwrap(),
        parse_date("1998-06-30").unwrap(),
    );
    let summaries = transactions::summarize(&log, end, TimeUnit::Week, Some(holdout_end));
    let fitted = ceq::fit::bgnbd::fit(&summaries.customers).unwrap();
    let check = holdout_check(
        &summaries.customers,
        &fitted,
        end,
        holdout_end,
        TimeUnit::Week,
    )
    .unwrap();
    let library = serde_json::to_value(&check).unwrap();

    let command = stdout_of(&[
        "fit",
        "transactions",
        log_path.to_str().unwrap(),
        "--calibration-end",
        "1997-09-30",
        "--holdout-end",
        "1998-06-30",
        "--json",
    ]);
    let command: serde_json::Value = serde_json::from_slice(&command).unwrap();
    assert_eq!(library, command["holdout"]);
    // The groups add up to the total, as the check promises.
    let groups: f64 = check.groups.iter().map(|g| g.actual).sum();
    assert_eq!(groups, check.total.actual);
    assert_eq!(check.groups.len(), 8);
}
