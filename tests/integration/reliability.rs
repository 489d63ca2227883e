//! Reliability promises (SPEC §12, README "What ceq promises"): output folders change all at once
//! or not at all, nothing is overwritten unasked, merges refuse what is not one study, hostile
//! inputs give errors and not panics, and user text is made safe where it lands.
//!
//! Failures are injected through two test-only environment variables (SPEC §12.1):
//! `CEQ_TEST_FAIL_WRITE=N` fails the Nth staged file as a full disk would, and
//! `CEQ_TEST_SLOW_WRITE_MS=MS` slows the write phase so a signal can arrive during it.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

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

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

/// Every entry of `dir` with its bytes (folders as empty), sorted by name.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut entries: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    entries.sort();
    entries
}

fn names(dir: &Path) -> Vec<String> {
    snapshot(dir).into_iter().map(|(n, _)| n).collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

fn simulate(scenario: &Path, out: &Path, seed: &str) -> Command {
    let mut cmd = ceq();
    cmd.arg("simulate")
        .arg(scenario)
        .args(["--runs", "20", "--seed", seed, "--out"])
        .arg(out);
    cmd
}

#[test]
fn a_full_disk_leaves_the_previous_result_complete() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", SCENARIO);
    let out = dir.path().join("out");
    simulate(&scenario, &out, "1").assert().success();
    let before = snapshot(&out);
    simulate(&scenario, &out, "2")
        .env("CEQ_TEST_FAIL_WRITE", "2")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("No space left on device"))
        .stderr(predicate::str::contains("the folder was left as it was"));
    assert_eq!(snapshot(&out), before, "the first run's files, untouched");
    // A new folder that fails is not left behind at all.
    let fresh = dir.path().join("fresh");
    simulate(&scenario, &fresh, "2")
        .env("CEQ_TEST_FAIL_WRITE", "1")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing was written"));
    assert!(!fresh.exists());
}

/// Sends `signal` to `pid` through `kill`, so the test needs no unsafe code.
#[cfg(unix)]
fn kill(signal: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[cfg(unix)]
fn stop_during_write_phase(signal: &str, code: i32, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", SCENARIO);
    let out = dir.path().join("out");
    simulate(&scenario, &out, "1").assert().success();
    let before = snapshot(&out);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ceq"))
        .arg("simulate")
        .arg(&scenario)
        .args(["--runs", "20", "--seed", "2", "--out"])
        .arg(&out)
        .env("CEQ_TEST_SLOW_WRITE_MS", "300")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !names(&out).iter().any(|n| n.starts_with(".ceq-staging")) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no write phase"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    kill(signal, child.id());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(code), "{stderr}");
    assert!(
        stderr.contains(&format!("interrupted by {name} while writing")),
        "{stderr}"
    );
    assert!(stderr.contains("the folder was left as it was"), "{stderr}");
    assert_eq!(snapshot(&out), before, "the first run's files, untouched");
}

#[test]
#[cfg(unix)]
fn sigint_during_the_write_phase_publishes_nothing() {
    stop_during_write_phase("-INT", 130, "SIGINT");
}

#[test]
#[cfg(unix)]
fn sigterm_during_the_write_phase_publishes_nothing() {
    stop_during_write_phase("-TERM", 143, "SIGTERM");
}

#[test]
fn two_writers_into_one_folder_do_not_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", SCENARIO);
    let out = dir.path().join("out");
    let spawn = |seed: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ceq"))
            .arg("simulate")
            .arg(&scenario)
            .args(["--runs", "20", "--seed", seed, "--out"])
            .arg(&out)
            .env("CEQ_TEST_SLOW_WRITE_MS", "100")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn("1"), spawn("2"));
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    assert_eq!(
        names(&out),
        ["manifest.json", "periods.csv", "runs.csv", "summary.json"]
    );
    let manifest = manifest(&out);
    let entry = &manifest["commands"]["simulate"];
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["seed"], entry["seed"], "summary and manifest agree");
    for file in entry["files"].as_array().unwrap() {
        let bytes = fs::read(out.join(file["name"].as_str().unwrap())).unwrap();
        assert_eq!(file["bytes"], bytes.len(), "{file}");
        assert_eq!(
            file["sha256"],
            ceq::sim::shard::sha256_hex(&bytes),
            "{file}"
        );
    }
}

#[test]
fn commands_keep_their_own_files_and_a_rerun_removes_its_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", SCENARIO);
    let out = dir.path().join("out");
    simulate(&scenario, &out, "1")
        .arg("--charts")
        .assert()
        .success();
    ceq()
        .arg("compare")
        .arg(&scenario)
        .args(["--runs", "20", "--out"])
        .arg(&out)
        .assert()
        .success();
    let manifest = manifest(&out);
    assert_eq!(manifest["format"], "ceq-manifest/1");
    let compare = &manifest["commands"]["compare"];
    assert_eq!(compare["scenario"], "fixture");
    assert_eq!(compare["scenario_digest"].as_str().unwrap().len(), 64);
    assert_eq!(compare["runs"], 20);
    assert!(out.join("fan.png").is_file() && out.join("compare_plans.csv").is_file());
    // simulate again without charts: its charts go, compare's files stay.
    simulate(&scenario, &out, "1").assert().success();
    assert_eq!(
        names(&out),
        [
            "compare.json",
            "compare_differences.csv",
            "compare_plans.csv",
            "manifest.json",
            "periods.csv",
            "runs.csv",
            "summary.json"
        ]
    );
}

#[test]
fn an_unusable_out_is_refused_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", SCENARIO);
    let file = write(dir.path(), "taken", "");
    let started = Instant::now();
    ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--runs", "100000000", "--engine", "customer", "--out"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exists and is not a directory"));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn nothing_is_overwritten_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let existing = write(dir.path(), "scenario.toml", "mine");
    ceq()
        .arg("init")
        .arg(&existing)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists; use --force"));
    assert_eq!(fs::read_to_string(&existing).unwrap(), "mine");
    #[cfg(unix)]
    ceq()
        .args(["init", "/dev/null", "--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a regular file"));
    // An input inside --out under an output's name is never replaced.
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    // (A scenario file named like simulate's periods.csv; any name but .json reads as TOML.)
    let input = write(&out, "periods.csv", SCENARIO);
    ceq()
        .arg("simulate")
        .arg(&input)
        .args(["--runs", "10", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("an input of this command"));
    assert_eq!(fs::read_to_string(&input).unwrap(), SCENARIO);
    assert_eq!(names(&out), ["periods.csv"]);
}

/// Shards of `scenario` (3 slices of 30 runs) in `dir`.
fn shards(scenario: &Path, dir: &Path) {
    for i in 1..=3 {
        ceq()
            .arg("simulate")
            .arg(scenario)
            .args(["--runs", "30", "--shard", &format!("{i}/3"), "--out"])
            .arg(dir)
            .assert()
            .success();
    }
}

fn read_shard(path: &Path) -> ceq::sim::shard::ShardFile {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn write_shard(path: &Path, shard: &ceq::sim::shard::ShardFile, reseal: bool) {
    let mut shard = shard.clone();
    if reseal {
        shard.results_sha256 = ceq::sim::shard::results_digest(&shard.results);
    }
    fs::write(path, serde_json::to_vec(&shard).unwrap()).unwrap();
}

/// A way to damage a shard's fields.
type Breakage = fn(&mut ceq::sim::shard::ShardFile);

fn merge_fails(dir: &Path, message: &str) {
    // The shard files by name: merge's own checks, not the folder's manifest (which refuses a
    // changed shard first, test bounds::merge_verifies_the_manifest_of_a_folder).
    let mut shards: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json") && p.to_string_lossy().contains("shard-")
        })
        .collect();
    shards.sort();
    ceq()
        .arg("merge")
        .args(&shards)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains("internal error").not());
}

#[test]
fn merge_refuses_tampered_mismatched_and_malformed_shards() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", SCENARIO);
    let good = dir.path().join("good");
    shards(&scenario, &good);
    ceq().arg("merge").arg(&good).assert().success();
    let second = good.join("shard-2-of-3.json");
    let original = read_shard(&second);

    // One number edited by hand.
    let mut edited = original.clone();
    edited.results[0].customer_equity *= 1.7;
    write_shard(&second, &edited, false);
    merge_fails(&good, "shard-2-of-3.json was changed after it was written");

    // A shard of an edited copy of the scenario with the same name.
    let copy = dir.path().join("copy");
    fs::create_dir(&copy).unwrap();
    let edited_scenario = write(&copy, "s.toml", &SCENARIO.replace("0.9 }", "0.91 }"));
    let other = dir.path().join("other");
    shards(&edited_scenario, &other);
    fs::copy(other.join("shard-2-of-3.json"), &second).unwrap();
    merge_fails(&good, "scenario digest");

    // Fields of a usable shape, checked before use.
    let cases: [(&str, Breakage); 4] = [
        ("expected I/N with 1 ≤ I ≤ N", |s| s.shard.index = 9),
        ("the list of cohorts is empty", |s| s.cohorts.clear()),
        ("periods where the study has 12", |s| {
            s.results[0].periods.pop();
        }),
        ("periods of active customers", |s| {
            s.results[1].cohorts[0].active.pop();
        }),
    ];
    for (message, break_it) in cases {
        let mut broken = original.clone();
        break_it(&mut broken);
        write_shard(&second, &broken, true);
        merge_fails(&good, message);
    }
    let mut huge = original.clone();
    huge.shard.count = u64::MAX;
    write_shard(&second, &huge, true);
    merge_fails(&good, "shard-2-of-3.json");
}

#[test]
fn a_name_of_70000_characters_is_printed_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let long = "p".repeat(70_000);
    let text = SCENARIO.replace("[plans.growth]", &format!("[plans.{long}]"));
    let scenario = write(dir.path(), "s.toml", &text);
    ceq()
        .arg("compare")
        .arg(&scenario)
        .args(["--runs", "10"])
        .assert()
        .success()
        .stdout(predicate::str::contains(long.as_str()));
}

#[test]
#[cfg(target_os = "linux")]
fn a_failing_stderr_does_not_abort() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", SCENARIO);
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ceq"))
        .arg("simulate")
        .arg(&scenario)
        .args(["--runs", "10", "--out"])
        .arg(dir.path().join("out"))
        .stderr(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Customer equity"));
    assert!(dir.path().join("out/summary.json").is_file());
}

#[test]
fn user_text_is_escaped_in_csv_terminal_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let text = SCENARIO
        .replace(
            "[plans.growth]",
            "[plans.\"=HYPERLINK(1)\\u001b[31m\\u202e\"]",
        )
        .replace(
            "name = \"fixture\"",
            "name = \"fixture\"\ncurrency = \"<script>x</script>\"",
        );
    let scenario = write(dir.path(), "s.toml", &text);
    let out = dir.path().join("out");
    let assert = ceq()
        .arg("compare")
        .arg(&scenario)
        .args(["--runs", "10", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{202e}'),
        "{stdout}"
    );
    assert!(stdout.contains("\\u001b[31m\\u202e"), "{stdout}");
    let plans = fs::read_to_string(out.join("compare_plans.csv")).unwrap();
    assert!(plans.contains("\n'=HYPERLINK(1)"), "{plans}");
    let report = dir.path().join("report");
    ceq()
        .arg("report")
        .arg(&scenario)
        .args([
            "--runs",
            "10",
            "--sensitivity-runs",
            "0",
            "--quiet",
            "--out",
        ])
        .arg(&report)
        .assert()
        .success();
    let markdown = fs::read_to_string(report.join("report.md")).unwrap();
    assert!(!markdown.contains("<script>"), "raw HTML in report.md");
    let html = fs::read_to_string(report.join("report.html")).unwrap();
    assert!(!html.contains("<script>"), "raw HTML in report.html");
}

#[test]
fn parameters_where_the_engines_lose_accuracy_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "retention = { rate = 0.9 }",
            "retention = { mean = 0.9, concentration = 1e-17 }",
            "cohorts[0].retention.concentration",
        ),
        (
            "retention = { rate = 0.9 }",
            "retention = { mean = 0.9, concentration = 1e160 }",
            "cohorts[0].retention.concentration",
        ),
        (
            "retention = { rate = 0.9 }",
            "retention = { churn_alpha = 1e300, churn_beta = 1e300 }",
            "cohorts[0].retention.churn_alpha",
        ),
        (
            "retention = { rate = 0.9 }",
            "retention = { churn_alpha = 1e-300, churn_beta = 1e-300 }",
            "cohorts[0].retention.churn_beta",
        ),
        (
            "purchases = { mean = 1.0 }",
            "purchases = { mean = 1e300 }",
            "cohorts[0].purchases.mean",
        ),
        (
            "[plans.current]",
            "[shocks]\ndemand = { sd = 40 }\n\n[plans.current]",
            "shocks.demand.sd",
        ),
    ];
    for (from, to, key) in cases {
        let scenario = write(dir.path(), "s.toml", &SCENARIO.replace(from, to));
        ceq()
            .arg("validate")
            .arg(&scenario)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(key))
            .stderr(predicate::str::contains("internal error").not());
    }
}

#[test]
fn results_past_the_memory_limit_are_refused_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", SCENARIO);
    let started = Instant::now();
    ceq()
        .arg("compare")
        .arg(&scenario)
        .args(["--runs", "10000000", "--max-memory", "64M"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "above the memory limit of 0.1 GiB",
        ));
    ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--runs", "1000", "--max-memory", "64M"])
        .assert()
        .success();
    assert!(started.elapsed() < Duration::from_secs(10));
    // Devices and pipes are not read until memory runs out.
    #[cfg(unix)]
    ceq()
        .args(["validate", "/dev/zero"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a regular file"));
}

#[test]
fn unreadable_text_is_located_and_a_bom_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("bom.toml");
    fs::write(
        &bom,
        [b"\xEF\xBB\xBF".as_slice(), SCENARIO.as_bytes()].concat(),
    )
    .unwrap();
    ceq().arg("validate").arg(&bom).assert().success();
    let nul = dir.path().join("nul.toml");
    fs::write(&nul, "[time]\nperiods = 1\0\0\n").unwrap();
    ceq()
        .arg("validate")
        .arg(&nul)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a NUL byte at line 2, column 12"));
    let latin1 = dir.path().join("latin1.toml");
    fs::write(&latin1, b"name = \"caf\xE9\"\n").unwrap();
    ceq()
        .arg("validate")
        .arg(&latin1)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "not valid UTF-8 at line 1, column 12",
        ));
}

/// The hazard-capped Beta cohort of `optimizer.rs`: its uncapped optimum spends about 10,100
/// per period on acquisition.
const OPTIMIZE: &str = r#"
name = "Hazard-capped Beta cohort"
[time]
periods = 36
periods_per_year = 12
discount_rate = 0.10

[[cohorts]]
name = "members"
customers = 400
retention = { mean = 0.85, concentration = 0.8 }
purchases = { mean = 1.0, shape = 2.0 }
order_value = { mean = 40.0, cv = 0.5 }
margin = 0.4
cost_to_serve = 2.0

[acquisition]
prospects = 20000
response = { ceiling = 0.01, half_spend = 0.2 }
mix = { members = 1.0 }

[retention_program]
response = { max_churn_reduction = 0.4, half_spend = 3.0 }

[shocks]
churn = { sd = 0.3, persistence = 0.5 }

[plans.current]
acquisition = 1000
retention = 1000
"#;

#[test]
fn relaxing_the_budget_cap_never_lowers_the_optimum() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "capped.toml", OPTIMIZE);
    let optimum = |budget: &str| {
        let output = ceq()
            .arg("optimize")
            .arg(&scenario)
            .args(["--budget", budget, "--json", "-q", "--runs", "200"])
            .args(["--search-runs", "50", "--max-evaluations", "60"])
            .args(["--mean-field-runs", "10"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let ce = &json["customer_equity"];
        (
            ce["mean"].as_f64().unwrap(),
            ce["std_error"].as_f64().unwrap(),
        )
    };
    let mut previous = optimum("4000");
    for budget in ["1e308", "none"] {
        let relaxed = optimum(budget);
        let se = (previous.1.powi(2) + relaxed.1.powi(2)).sqrt();
        assert!(
            relaxed.0 >= previous.0 - 3.0 * se,
            "budget {budget}: {relaxed:?} below the tighter cap's {previous:?}"
        );
        previous = relaxed;
    }
}

#[test]
fn long_work_is_announced_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let big = SCENARIO.replace("customers = 200", "customers = 200000");
    let scenario = write(dir.path(), "big.toml", &big);
    // Announced, then refused by the memory limit before any run, so the test is instant.
    ceq()
        .arg("simulate")
        .arg(&scenario)
        .args([
            "--engine",
            "customer",
            "--runs",
            "5000",
            "--max-memory",
            "1K",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::is_match(r"note: simulate about \d+ (s|min) of work \(5,000 run\(s\)")
                .unwrap(),
        )
        .stderr(predicate::str::contains("above the memory limit"));
}
