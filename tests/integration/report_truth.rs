//! The report states the truth (issue 14, item 3): every assumption as the file gives it, with
//! the basis of its spend; sensitivity rows that name what moved, with signs that agree; a
//! cohort table that adds up to CE; and the same verdict as the terminal text.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

fn awkward() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/awkward_inputs.toml")
}

fn report_markdown() -> String {
    let dir = tempfile::tempdir().unwrap();
    ceq()
        .arg("report")
        .arg(awkward())
        .arg("--out")
        .arg(dir.path())
        .args(["--runs", "200", "--sensitivity-runs", "40", "--quiet"])
        .assert()
        .success();
    fs::read_to_string(dir.path().join("report.md")).unwrap()
}

/// The cells of the Markdown table row whose first cell is `first`.
fn row<'a>(markdown: &'a str, first: &str) -> Vec<&'a str> {
    markdown
        .lines()
        .find(|l| l.starts_with(&format!("| {first} |")))
        .unwrap_or_else(|| panic!("no row {first:?} in\n{markdown}"))
        .trim_matches('|')
        .split(" | ")
        .map(str::trim)
        .collect()
}

/// "+EUR 1,234" / "-EUR 1,234" / "**+EUR 1**" → 1234.0 with its sign.
fn amount(cell: &str) -> f64 {
    let cell = cell.trim_matches('*');
    assert!(
        !cell.starts_with('-'),
        "a hyphen for a minus sign in {cell:?}: text writes U+2212"
    );
    let negative = cell.starts_with('\u{2212}');
    let digits: String = cell
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let value: f64 = digits
        .parse()
        .unwrap_or_else(|_| panic!("no amount in {cell:?}"));
    if negative { -value } else { value }
}

#[test]
fn report_states_inputs_signs_and_totals_truthfully() {
    let md = report_markdown();
    // Assumptions as given, with their basis.
    for given in [
        "EUR 0.42 per prospect reached per month",
        "EUR 2.50 per active customer per month",
        "EUR 1.55 per customer per month",
        "EUR 0.08 per customer per month",
        "EUR 41.50 per order",
        "EUR 12.25 per new customer",
        "93% retained per month",
        "at most 1.5% of prospects",
    ] {
        assert!(
            md.contains(given),
            "the report does not say {given:?}:\n{md}"
        );
    }
    // The retention parameter moves through churn, and the row says so: less churn, more CE.
    let churn = row(&md, "postpaid: churn");
    let (lower, higher) = (amount(churn[2]), amount(churn[3]));
    assert!(
        lower > 0.0 && higher < 0.0,
        "churn 10% lower must raise CE and 10% higher lower it: {churn:?}"
    );
    // Margin and mean order value are one lever: one row, not two.
    assert!(
        md.contains("| postpaid: margin per order (margin × order value) | 12.45 |"),
        "margin and order value not merged:\n{md}"
    );
    assert!(!md.contains("| postpaid: order value |"), "{md}");
    // The cohort table reconciles: cohort + unattributed spend = CE.
    let cohort = amount(row(&md, "postpaid")[1]);
    let acquisition = amount(row(&md, r"acquisition and onboarding (no cohort)")[1]);
    let ce = amount(row(&md, "**customer equity**")[1]);
    assert!(
        (cohort + acquisition - ce).abs() <= 2.0,
        "{cohort} + {acquisition} ≠ {ce}"
    );
}

#[test]
fn report_and_text_give_one_verdict() {
    let md = report_markdown();
    let text = ceq()
        .arg("compare")
        .arg(awkward())
        .args(["--runs", "200", "--quiet"])
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    let answer = md
        .lines()
        .find(|l| l.contains("The best plan by mean customer equity"))
        .unwrap_or_else(|| panic!("no best-plan sentence:\n{md}"));
    // The two plans differ by 1 EUR of retention. Whatever the verdict, both outputs give it:
    // the report judges the best plan against the baseline, the text `current` − `nudge`.
    let line = text
        .lines()
        .find(|l| l.starts_with("  - ") && l.contains("`nudge`") && l.contains("`current`"))
        .unwrap_or_else(|| panic!("no verdict line:\n{text}"));
    let (report_verdict, text_verdict) = if answer.contains("nudge, raises") {
        ("raises", "`nudge` raises")
    } else if answer.contains("nudge, lowers") {
        ("lowers", "`current` raises")
    } else {
        ("cannot be told apart", "cannot be told apart")
    };
    assert!(answer.contains(report_verdict), "{answer}");
    assert!(
        line.contains(text_verdict),
        "report: {answer}\ntext: {line}"
    );
}

/// On a non-terminal stderr (a log, a batch job) the report says what it is doing, one line per
/// stage, and nothing with `--quiet`.
#[test]
fn report_logs_its_stages_when_not_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = ceq()
        .arg("report")
        .arg(awkward())
        .arg("--out")
        .arg(dir.path())
        .args(["--runs", "40", "--sensitivity-runs", "10"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    for stage in [
        "simulating the baseline plan current",
        "measuring the sensitivity",
    ] {
        assert_eq!(
            stderr.lines().filter(|l| l.contains(stage)).count(),
            1,
            "one line for {stage:?} in:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains('\r'),
        "no in-place redraws in a log:\n{stderr:?}"
    );
}

/// One `--quiet`, wherever it is written: before the subcommand it used to be lost to the
/// subcommand's own flag. Quiet means no stage lines and no "wrote FILE" lines.
#[test]
fn quiet_before_the_subcommand_silences_stages_and_wrote_lines() {
    for (args, command) in [
        (vec!["-q", "report"], "report"),
        (vec!["report", "-q"], "report"),
        (vec!["-q", "simulate"], "simulate"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = ceq();
        cmd.args(&args).arg(awkward()).arg("--out").arg(dir.path());
        cmd.args(["--runs", "20"]);
        if command == "report" {
            cmd.args(["--sensitivity-runs", "0"]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            !stderr.contains("wrote ") && !stderr.contains("simulating the baseline"),
            "{args:?} printed:\n{stderr}"
        );
    }
}
