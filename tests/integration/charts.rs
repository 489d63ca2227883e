//! `ceq simulate --charts` through the real binary: the five simulation charts as PNG and SVG,
//! written atomically into `--out`, and a usage error without `--out`.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::Path;

const CHARTS: [&str; 5] = [
    "fan",
    "distribution",
    "cohorts",
    "waterfall_components",
    "waterfall_origin",
];

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Width and height from the IHDR chunk, which a valid PNG has first after its signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (word(16), word(20))
}

#[test]
fn simulate_charts_writes_every_chart_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    ceq()
        .args([
            "simulate",
            &example("minimal.toml"),
            "--runs",
            "50",
            "--charts",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("fan.png"));
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = CHARTS
        .iter()
        .flat_map(|stem| [format!("{stem}.png"), format!("{stem}.svg")])
        .chain(["manifest.json", "periods.csv", "runs.csv", "summary.json"].map(String::from))
        .collect();
    expected.sort();
    assert_eq!(names, expected, "exactly these files, no temporary ones");
    for stem in CHARTS {
        let png = fs::read(out.join(format!("{stem}.png"))).unwrap();
        assert_eq!(png_size(&png), (1920, 1080), "{stem}.png");
        let svg = fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{stem}.svg");
        assert!(svg.contains("<text"), "{stem}.svg has text");
    }
    let fan = fs::read_to_string(out.join("fan.svg")).unwrap();
    assert!(fan.contains("Cumulative customer equity over time"));
    assert!(fan.contains("(USD)"), "the axis names the currency");
}

#[test]
fn charts_without_out_is_a_usage_error() {
    ceq()
        .args([
            "simulate",
            &example("minimal.toml"),
            "--runs",
            "5",
            "--charts",
        ])
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: --charts writes files and needs an output directory: add --out DIR\n");
}

/// A command, its flags, and each chart it writes with a phrase of the chart's title.
type PlanCommandCharts = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// The chart files each plan command writes with `--charts`, and a phrase of each one's title.
const PLAN_CHARTS: [PlanCommandCharts; 4] = [
    (
        "compare",
        &["--runs", "20"],
        &[
            ("compare", "Which plan is worth most"),
            ("compare_fan", "Cumulative customer equity by plan"),
        ],
    ),
    (
        "optimize",
        &[
            "--runs",
            "20",
            "--search-runs",
            "10",
            "--mean-field-runs",
            "5",
        ],
        &[
            ("optimize_allocation", "Budget split"),
            ("optimize_response_curves", "How the objective responds"),
            ("optimize_fan", "current vs optimized"),
        ],
    ),
    (
        "frontier",
        &[
            "--budgets",
            "2000,3500,5000",
            "--runs",
            "20",
            "--mean-field-runs",
            "0",
        ],
        &[("frontier", "What each budget buys")],
    ),
    (
        "sensitivity",
        &["--runs", "5", "--screen", "4"],
        &[("tornado", "What moves customer equity most")],
    ),
];

#[test]
fn plan_commands_write_their_charts_beside_their_tables() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = super::plans::fixture(dir.path());
    for (command, flags, charts) in PLAN_CHARTS {
        let out = dir.path().join(command);
        ceq()
            .arg(command)
            .arg(&scenario)
            .args(flags)
            .args(["--quiet", "--charts", "--out"])
            .arg(&out)
            .assert()
            .success();
        let names: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with('.')),
            "{command}: no temporary file: {names:?}"
        );
        assert!(
            names.iter().any(|n| n.ends_with(".json")),
            "{command}: the tables are still written: {names:?}"
        );
        for (stem, title) in charts {
            let png = fs::read(out.join(format!("{stem}.png"))).unwrap();
            assert_eq!(png_size(&png), (1920, 1080), "{command}: {stem}.png");
            let svg = fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
            assert!(
                svg.contains(title),
                "{command}: {stem}.svg is titled {title:?}"
            );
            assert!(
                svg.contains("USD"),
                "{command}: {stem}.svg names the currency"
            );
        }
        let pictures = names.iter().filter(|n| n.ends_with(".png")).count();
        assert_eq!(pictures, charts.len(), "{command}: {names:?}");
    }
}

#[test]
fn plan_commands_refuse_charts_without_out() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = super::plans::fixture(dir.path());
    for (command, flags, _) in PLAN_CHARTS {
        ceq()
            .arg(command)
            .arg(&scenario)
            .args(flags)
            .arg("--charts")
            .assert()
            .code(2)
            .stdout("")
            .stderr("error: --charts writes files and needs an output directory: add --out DIR\n");
    }
}
