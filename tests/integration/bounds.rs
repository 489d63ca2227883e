//! Issue 15, what was left: memory and work bounded before a study starts, with messages that
//! name what to change; errors of deep keys, infeasible bounds, devices and huge amounts that
//! say where the problem is, once.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// One cohort of `customers`, `referrals` per active customer per period, 24 months.
fn growing(customers: u64, referrals: &str, extra: &str) -> String {
    format!(
        r#"
name = "growing"

[time]
periods = 24
periods_per_year = 12

[[cohorts]]
name = "base"
customers = {customers}
retention = {{ rate = 0.9 }}
purchases = {{ mean = 1.0 }}
order_value = {{ mean = 50.0 }}
referrals = {referrals}
{extra}
[plans.current]
"#
    )
}

/// A base projected to grow past what fits is refused before any run, naming the key that
/// makes it grow; before, the run allocated gigabytes per thread until the in-run guard fired.
#[test]
fn a_base_projected_to_outgrow_memory_is_refused_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", &growing(1000, "1.5", ""));
    let started = Instant::now();
    let output = ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--engine", "customer", "--runs", "4"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cohorts.base.referrals = 1.5"),
        "names the growing key: {stderr}"
    );
    assert!(
        stderr.contains("per-customer engine (as requested)"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // Within the machine's limits but not within --max-memory: refused before it starts, with
    // the records it would need and what fits.
    let scenario = write(dir.path(), "big.toml", &growing(2_000_000, "0.0", ""));
    let output = ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--engine", "customer", "--runs", "4", "--max-memory", "50M"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("of customer records"), "{stderr}");
    assert!(stderr.contains("its existing customers only"), "{stderr}");
    assert!(stderr.contains("at most"), "{stderr}");
}

/// A run that grows without bound while the projection at mean parameters does not (referrals
/// drawn per run) stops at its share of the memory limit, before the customers past it are
/// allocated, and names the keys.
#[test]
fn a_run_that_grows_without_bound_stops_at_its_share_of_memory() {
    let dir = tempfile::tempdir().unwrap();
    let extra =
        "\n[uncertainty]\n\"cohorts.base.referrals\" = { uniform = { low = 0.0, high = 6.0 } }\n";
    let scenario = write(dir.path(), "s.toml", &growing(1000, "0.05", extra));
    let started = Instant::now();
    let output = ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--engine", "customer", "--runs", "8", "--threads", "2"])
        .args(["--max-memory", "64M"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("would grow to"), "{stderr}");
    assert!(stderr.contains("share of the memory limit"), "{stderr}");
    assert!(
        stderr.contains("cohorts.base.referrals = 0.05 (drawn per run in [uncertainty])"),
        "{stderr}"
    );
    // 64 MiB over 2 threads at 48 bytes a customer: about 700,000 customers, a fraction of a
    // second of work.
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// `--max-memory` is a setting of the study, not of the process: two studies in one process
/// with different limits get different answers.
#[test]
fn the_memory_limit_travels_with_the_options() {
    use ceq::sim::size::Limits;
    use ceq::sim::{EngineKind, SimError, SimOptions, run};
    let scenario = ceq::scenario::parse_str(
        &growing(100, "0.0", ""),
        "s.toml",
        "s",
        ceq::scenario::Format::Toml,
    )
    .unwrap();
    let options = |limits| SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs: 4,
        seed: 1,
        engine: EngineKind::Customer,
        limits,
        control: Default::default(),
    };
    let refused = run(&scenario, &options(Limits::with_memory(1024)));
    assert!(
        matches!(&refused, Err(SimError::TooLarge(m)) if m.contains("memory limit")),
        "{refused:?}"
    );
    assert!(run(&scenario, &options(Limits::default())).is_ok());
    assert!(run(&scenario, &options(Limits::with_memory(1024))).is_err());
}

/// One cohort of `customers` BG/NBD customers (CDNOW's estimates) over two years of weeks.
fn bgnbd(customers: u64) -> String {
    format!(
        r#"
name = "retailer"

[time]
periods = 104
periods_per_year = 52

[[cohorts]]
name = "buyers"
customers = {customers}
retention = {{ dropout_alpha = 0.793, dropout_beta = 2.426 }}
purchases = {{ mean = 0.05505, shape = 0.243 }}
order_value = {{ p = 6.25, q = 3.74, gamma = 15.44 }}
margin = 0.3

[plans.current]
"#
    )
}

/// Work past the limit is refused before it starts on the path that would run (BG/NBD on the
/// per-customer engine is the slow path the old customer-period limit ignored), and the advice
/// is true: the run count it names is accepted (then stopped here by a tiny memory limit, which
/// is checked after the time).
#[test]
fn work_past_the_limit_is_refused_with_advice_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", &bgnbd(5_000_000));
    let started = Instant::now();
    let output = ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--engine", "customer", "--runs", "20000", "--threads", "2"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("above the limit of 4.0 h"), "{stderr}");
    assert!(
        stderr.contains("per-customer engine (as requested)"),
        "{stderr}"
    );
    assert!(stderr.contains("--engine cohort"), "{stderr}");
    assert!(stderr.contains("--shard I/"), "{stderr}");
    let advised: String = stderr
        .split("at most ")
        .nth(1)
        .and_then(|rest| rest.split(" runs").next())
        .unwrap()
        .replace(',', "");
    assert!(started.elapsed() < Duration::from_secs(10));
    let output = ceq()
        .arg("simulate")
        .arg(&scenario)
        .args(["--engine", "customer", "--threads", "2", "--runs", &advised])
        .args(["--max-memory", "1K"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("memory limit"), "{stderr}");
    assert!(!stderr.contains("above the limit of"), "{stderr}");
    // The accepted study was announced, in hours.
    assert!(
        predicate::str::is_match(r"note: simulate about \d+\.\d h of work")
            .unwrap()
            .eval(&stderr),
        "{stderr}"
    );
}

const OPTIMIZE: &str = r#"
name = "optimized"

[time]
periods = 60
periods_per_year = 12

[[cohorts]]
name = "base"
customers = 3000000
retention = { mean = 0.97, concentration = 40 }
purchases = { mean = 1.0 }
order_value = { mean = 40.0 }
margin = 0.3

[acquisition]
prospects = 100000
response = { ceiling = 0.02, half_spend = 0.5 }
mix = { base = 1.0 }

[retention_program]
response = { max_churn_reduction = 0.3, half_spend = 2.0 }

[plans.current]
acquisition = 10000
retention = 10000

[optimize]
budget = 20000
bounds = { acquisition = [3000, 20000], retention = [3000, 20000] }
"#;

/// optimize and frontier announce their work before they start, like simulate, compare,
/// sensitivity and report (they had no estimate).
#[test]
fn optimize_and_frontier_announce_their_work() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", OPTIMIZE);
    for args in [
        vec!["optimize", "--engine", "customer"],
        vec![
            "frontier",
            "--engine",
            "customer",
            "--budgets",
            "10000,20000",
        ],
    ] {
        let output = ceq()
            .args(&args)
            .arg(&scenario)
            .args(["--threads", "1", "--max-memory", "1K"])
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("note: {} about", args[0]))
                && stderr.contains("of work (")
                && stderr.contains("on the customer engine, 1 thread(s))"),
            "{args:?}: {stderr}"
        );
    }
    // Infeasible bounds are said once (the error chain repeated them).
    let output = ceq()
        .arg("optimize")
        .arg(&scenario)
        .args(["--budget", "1000", "--runs", "20"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.matches("the lower bounds add up to 6000").count(),
        1,
        "{stderr}"
    );
}

/// A dotted key deeper than the TOML reader's limit is reported where it is, not at 1:1.
#[test]
fn a_too_deep_key_is_reported_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("a{}", ".b".repeat(100));
    let text = format!("name = \"deep\"\n\n[time]\n  {deep} = 1\n");
    let scenario = write(dir.path(), "deep.toml", &text);
    let output = ceq().arg("validate").arg(&scenario).output().unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("recursion limit"), "{stderr}");
    assert!(stderr.contains("deep.toml:4:3"), "{stderr}");
    assert!(!stderr.contains(":1:1"), "{stderr}");
}

/// A device or a FIFO as a transaction log is refused before it is read (it was read until
/// memory ran out).
#[cfg(unix)]
#[test]
fn devices_and_pipes_are_not_read_as_logs() {
    let started = Instant::now();
    for fit in [
        vec!["transactions"],
        vec!["response", "--prospects", "search=1000"],
        vec!["retention-test"],
    ] {
        let output = ceq()
            .arg("fit")
            .args(&fit)
            .arg("/dev/zero")
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{fit:?}: {stderr}");
        assert!(
            stderr.contains("/dev/zero") && stderr.contains("not a regular file"),
            "{fit:?}: {stderr}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("log.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        ceq()
            .args(["fit", "transactions"])
            .arg(&fifo)
            .timeout(Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("not a regular file"));
    }
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// An amount of 1e300 fails the fit with the file, line and column named (the Gamma-Gamma fit
/// failed with no row named).
#[test]
fn a_huge_amount_is_named_by_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cdnow_sample_transactions.csv"),
    )
    .unwrap();
    let mut lines: Vec<String> = text.lines().take(400).map(str::to_string).collect();
    let mut fields: Vec<String> = lines[7].split(',').map(str::to_string).collect();
    let last = fields.len() - 1;
    fields[last] = "1e300".to_string();
    lines[7] = fields.join(",");
    let log = write(dir.path(), "log.csv", &(lines.join("\n") + "\n"));
    let output = ceq()
        .args(["fit", "transactions"])
        .arg(&log)
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("log.csv: line 8: column 4 ('amount')"),
        "{stderr}"
    );
    assert!(stderr.contains("1e300"), "{stderr}");
}

/// `ceq merge DIR` reads the folder's manifest and refuses a shard whose bytes are no longer the
/// ones ceq published there, naming it; the shard files named one by one merge as they are.
#[test]
fn merge_verifies_the_manifest_of_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "s.toml", &growing(200, "0.0", ""));
    let shards = dir.path().join("shards");
    for shard in ["1/2", "2/2"] {
        ceq()
            .arg("simulate")
            .arg(&scenario)
            .args(["--runs", "20", "--shard", shard, "-q", "--out"])
            .arg(&shards)
            .assert()
            .success();
    }
    ceq().arg("merge").arg(&shards).arg("-q").assert().success();
    let first = shards.join("shard-1-of-2.json");
    let mut bytes = fs::read(&first).unwrap();
    bytes.extend_from_slice(b"\n");
    fs::write(&first, bytes).unwrap();
    ceq()
        .arg("merge")
        .arg(&shards)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("manifest.json: shard-1-of-2.json"))
        .stderr(predicate::str::contains("was changed after it was written"));
    ceq()
        .arg("merge")
        .arg(&first)
        .arg(shards.join("shard-2-of-2.json"))
        .arg("-q")
        .assert()
        .success();
}
