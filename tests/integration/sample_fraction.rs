//! `sample_fraction` (SPEC §9.2, issue 14 item 3): a scenario of a 1:N sample reports the full
//! base in its text and report and says so, while its JSON keeps the sample's values and adds
//! `full_base`; a scenario without the key prints exactly what it printed before.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

const SCENARIO: &str = r#"name = "sampled"
SAMPLE

[time]
periods = 12
periods_per_year = 12
discount_rate = 0.10

[[cohorts]]
name = "base"
customers = 1000
retention = { rate = 0.9 }
purchases = { mean = 1.0 }
order_value = { mean = 50.0 }
margin = 0.3
cost_to_serve = 1.5

[acquisition]
prospects = 5000
response = { ceiling = 0.02, half_spend = 0.5 }

[plans.current]
acquisition = 1000

[plans.more]
acquisition = 2000
"#;

/// The scenario with `line` in place of the sample line, written into `dir`.
fn write(dir: &Path, stem: &str, line: &str) -> PathBuf {
    let path = dir.join(format!("{stem}.toml"));
    fs::write(&path, SCENARIO.replace("SAMPLE", line)).unwrap();
    path
}

fn stdout(args: &[&str], file: &Path) -> String {
    let out = ceq()
        .args(&args[..1])
        .arg(file)
        .args(&args[1..])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str], file: &Path) -> Value {
    serde_json::from_str(&stdout(args, file)).unwrap()
}

/// The whole amount after `label` on the first line that starts (after spaces) with it.
fn amount_after(text: &str, label: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line {label:?} in\n{text}"));
    let rest = line.trim_start()[label.len()..].trim_start();
    let token = rest.split_whitespace().next().unwrap();
    let negative = token.starts_with('\u{2212}');
    let digits: String = token.chars().filter(|c| c.is_ascii_digit()).collect();
    let value: f64 = digits.parse().unwrap();
    if negative { -value } else { value }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn json_keeps_the_sample_and_full_base_is_the_sample_over_the_fraction() {
    let dir = tempfile::tempdir().unwrap();
    let sample = write(dir.path(), "s", "sample_fraction = 0.01");
    let whole = write(dir.path(), "w", "");
    let args = ["simulate", "--runs", "200", "--json"];
    let mut s = json(&args, &sample);
    let w = json(&args, &whole);
    assert_eq!(s["sample_fraction"], 0.01);
    let full = s.as_object_mut().unwrap().remove("full_base").unwrap();
    s.as_object_mut().unwrap().remove("sample_fraction");
    // Every other value is the sample's, exactly as without the key.
    assert_eq!(s, w);
    assert!(w.get("full_base").is_none() && w.get("sample_fraction").is_none());
    assert_eq!(full["scale"], 100.0);
    let ce = &w["customer_equity"];
    for key in ["mean", "sd", "std_error", "p05", "p25", "p50", "p75", "p95"] {
        let (f, x) = (
            full["customer_equity"][key].as_f64().unwrap(),
            ce[key].as_f64().unwrap(),
        );
        assert!(close(f, x / 0.01), "{key}: {f} against {x} / 0.01");
    }
    for i in 0..2 {
        let (f, x) = (
            full["customer_equity"]["ci95"][i].as_f64().unwrap(),
            ce["ci95"][i].as_f64().unwrap(),
        );
        assert!(close(f, x / 0.01));
    }
    assert_eq!(
        full["customer_equity"]["prob_negative"],
        ce["prob_negative"]
    );
    for (key, x) in w["components"].as_object().unwrap() {
        let f = full["components"][key].as_f64().unwrap();
        assert!(close(f, x.as_f64().unwrap() / 0.01), "components.{key}");
    }
    let new: f64 = w["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["new_mean"].as_f64().unwrap())
        .sum();
    assert!(close(
        full["customers"]["new"].as_f64().unwrap(),
        new / 0.01
    ));
    let active: f64 = w["cohorts"][0]["active_end_mean"].as_f64().unwrap();
    assert!(close(
        full["customers"]["active_end"].as_f64().unwrap(),
        active / 0.01
    ));
}

#[test]
fn text_shows_the_full_base_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let sample = write(dir.path(), "s", "sample_fraction = 0.01");
    let args = ["simulate", "--runs", "200"];
    let text = stdout(&args, &sample);
    assert!(
        text.starts_with(
            "Results are for the full base: the scenario simulates a 1:100 sample \
             (sample_fraction = 0.01)"
        ),
        "{text}"
    );
    let w = json(&["simulate", "--runs", "200", "--json"], &sample);
    // Text amounts are whole units of the full base: sample / 0.01, rounded.
    for (label, value) in [
        ("mean", w["customer_equity"]["mean"].as_f64().unwrap()),
        ("p05", w["customer_equity"]["p05"].as_f64().unwrap()),
        (
            "purchase margin",
            w["components"]["purchase_margin"].as_f64().unwrap(),
        ),
        (
            "cost to serve",
            w["components"]["cost_to_serve"].as_f64().unwrap(),
        ),
        (
            "existing customers",
            w["origin"]["existing"].as_f64().unwrap(),
        ),
    ] {
        let shown = amount_after(&text, label);
        assert!(
            (shown - value / 0.01).abs() <= 0.5,
            "{label}: text {shown}, sample {value} / 0.01"
        );
    }
}

#[test]
fn compare_text_and_its_gain_sentence_speak_of_the_full_base() {
    let dir = tempfile::tempdir().unwrap();
    let sample = write(dir.path(), "s", "sample_fraction = 0.25");
    let text = stdout(&["compare", "--runs", "200"], &sample);
    let j = json(&["compare", "--runs", "200", "--json"], &sample);
    assert!(text.starts_with("Results are for the full base"), "{text}");
    assert!(text.contains("the sample's, as the file states them"));
    let plans = j["plans"].as_array().unwrap();
    for p in plans {
        let name = p["name"].as_str().unwrap();
        let mean = p["customer_equity"]["mean"].as_f64().unwrap();
        let shown = amount_after(&text, name);
        // The first line naming the plan is its spend row; the CE row follows.
        let ce_row = text
            .lines()
            .filter(|l| l.trim_start().starts_with(name))
            .nth(1)
            .unwrap();
        let ce_shown = amount_after(ce_row, name);
        assert!((ce_shown - mean / 0.25).abs() <= 0.5, "{name}: {ce_row}");
        // Spend per period is as written in the file (1000 or 2000), not scaled.
        assert!(shown == 1000.0 || shown == 2000.0, "{name}: spend {shown}");
    }
    let d = j["differences"][0]["mean"].as_f64().unwrap().abs() / 0.25;
    let expected = ceq::format::whole(d);
    let words = text.split("In words").nth(1).unwrap();
    assert!(
        words.contains(&format!("{expected} USD")),
        "the gain sentence should say {expected} USD:\n{words}"
    );
}

#[test]
fn the_report_states_the_full_base() {
    let dir = tempfile::tempdir().unwrap();
    let sample = write(dir.path(), "s", "sample_fraction = 0.01");
    let out = dir.path().join("out");
    ceq()
        .arg("report")
        .arg(&sample)
        .arg("--out")
        .arg(&out)
        .args(["--runs", "100", "--sensitivity-runs", "20", "--quiet"])
        .assert()
        .success();
    let markdown = fs::read_to_string(out.join("report.md")).unwrap();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for page in [&markdown, &html] {
        assert!(page.contains("Results are for the full base"));
        assert!(page.contains("1:100 sample"));
        assert!(page.contains("the charts show the full base like the tables"));
    }
}

/// The line of `text` that starts (after spaces) with `start`.
fn line_starting<'a>(text: &'a str, start: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in\n{text}"))
}

#[test]
fn frontier_and_sensitivity_text_speak_of_the_full_base() {
    let dir = tempfile::tempdir().unwrap();
    let sample = write(dir.path(), "s", "sample_fraction = 0.01");
    let args = ["frontier", "--budgets", "1000,2000", "--runs", "100"];
    let text = stdout(&args, &sample);
    let j = json(&[&args[..], &["--json"]].concat(), &sample);
    assert!(text.starts_with("Results are for the full base"), "{text}");
    assert!(text.contains("the sample's, as the file states them"));
    for p in j["points"].as_array().unwrap() {
        // Budgets as the file states them, CE for the full base.
        let budget = ceq::format::whole(p["budget"].as_f64().unwrap());
        let row = line_starting(&text, &budget);
        let ce = ceq::format::whole(p["customer_equity"]["mean"].as_f64().unwrap() / 0.01);
        assert!(row.contains(&ce), "budget {budget}: {ce} not in {row}");
    }
    let args = ["sensitivity", "--runs", "50"];
    let text = stdout(&args, &sample);
    let j = json(&[&args[..], &["--json"]].concat(), &sample);
    assert!(text.starts_with("Results are for the full base"), "{text}");
    let base = j["base_customer_equity"].as_f64().unwrap();
    let shown = amount_after(&text, "Base CE");
    assert!(
        (shown - base / 0.01).abs() <= 0.5,
        "{shown} against {base} / 0.01"
    );
    let first = &j["effects"][0];
    let row = line_starting(&text, "1 ");
    let low = ceq::format::whole(first["low"]["mean"].as_f64().unwrap().abs() / 0.01);
    assert!(row.contains(&low), "{low} not in {row}");
}

#[test]
fn optimize_of_a_sample_chooses_what_the_same_scenario_chooses_and_prints_the_full_base() {
    let dir = tempfile::tempdir().unwrap();
    let sample = write(dir.path(), "s", "sample_fraction = 0.01");
    let whole = write(dir.path(), "w", "");
    let args = ["optimize", "--runs", "200", "--json"];
    let mut s = json(&args, &sample);
    let mut w = json(&args, &whole);
    let full = s.as_object_mut().unwrap().remove("full_base").unwrap();
    assert_eq!(
        s.as_object_mut().unwrap().remove("sample_fraction"),
        Some(0.01.into())
    );
    // The explanation sentences speak of the full base (SPEC §9.2).
    let gain = w["improvement"]["mean"].as_f64().unwrap() / 0.01;
    let said = s["explanation"][0].as_str().unwrap().to_string();
    assert!(said.contains(&ceq::format::whole(gain)), "{said}");
    // The search does not see the fraction: the same split, the same runs, the same numbers.
    for v in [&mut s, &mut w] {
        v.as_object_mut().unwrap().remove("scenario");
        v.as_object_mut().unwrap().remove("explanation");
    }
    assert_eq!(s, w);
    let text = stdout(&["optimize", "--runs", "200"], &sample);
    assert!(text.starts_with("Results are for the full base"), "{text}");
    let mean = full["customer_equity"]["mean"].as_f64().unwrap();
    assert!(close(
        mean,
        w["customer_equity"]["mean"].as_f64().unwrap() / 0.01
    ));
    let optimized = amount_after(&text, "optimized ");
    assert!(
        (optimized - mean).abs() <= 0.5,
        "text {optimized}, full base {mean}"
    );
    // Spends are the sample's: the optimized acquisition spend is the JSON's.
    let spend = ceq::format::whole(w["allocation"]["acquisition"].as_f64().unwrap());
    assert!(line_starting(&text, "acquisition").contains(&spend));
}

#[test]
fn every_chart_of_a_sample_is_drawn_for_the_full_base_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let sample = write(dir.path(), "s", "sample_fraction = 0.01");
    let out = dir.path().join("out");
    for command in [
        &["simulate", "--runs", "50"][..],
        &["compare", "--runs", "50"],
        &["optimize", "--runs", "50"],
        &["frontier", "--budgets", "1000,2000", "--runs", "50"],
        &["sensitivity", "--runs", "20"],
    ] {
        ceq()
            .arg(command[0])
            .arg(&sample)
            .args(&command[1..])
            .args(["--quiet", "--charts", "--out"])
            .arg(&out)
            .assert()
            .success();
    }
    let mut charts = 0;
    for entry in fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let svg = fs::read_to_string(&path).unwrap();
            // Allocation charts show spends only, which stay the sample's; payback charts
            // show amounts per customer, the same for the sample and the base.
            let name = path.to_string_lossy();
            let money_chart = !name.contains("allocation") && !name.contains("payback");
            assert_eq!(
                svg.contains("full base: the 1:100 sample ×100"),
                money_chart,
                "{}",
                path.display()
            );
            charts += 1;
        }
    }
    assert!(charts >= 10, "{charts} charts");
}

#[test]
fn values_outside_zero_to_one_are_rejected_with_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["0", "1.5", "-0.1", "\"a tenth\""] {
        let file = write(dir.path(), "bad", &format!("sample_fraction = {bad}"));
        let out = ceq().arg("validate").arg(&file).output().unwrap();
        assert!(!out.status.success(), "{bad} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.toml:2:"), "{bad}: {err}");
        assert!(err.contains("key: sample_fraction"), "{bad}: {err}");
    }
    let file = write(dir.path(), "bad", "sample_fraction = 0");
    let err = String::from_utf8(ceq().arg("validate").arg(&file).output().unwrap().stderr).unwrap();
    assert!(err.contains("expected a number in (0, 1]"), "{err}");
}

#[test]
fn without_the_key_or_at_one_the_outputs_are_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let absent = write(dir.path(), "a", "");
    let one = write(dir.path(), "o", "sample_fraction = 1");
    for args in [
        &["simulate", "--runs", "100"][..],
        &["simulate", "--runs", "100", "--json"],
        &["compare", "--runs", "100"],
    ] {
        let a = stdout(args, &absent);
        let o = stdout(args, &one);
        assert_eq!(a, o.replace("\"o\"", "\"a\""), "{args:?}");
        assert!(!a.contains("full base") && !a.contains("full_base"));
    }
    // The validated scenario, and so the digest in the manifest, is the same too.
    let digest = |file: &Path, stem: &str| -> Value {
        let out = dir.path().join(stem);
        ceq()
            .arg("simulate")
            .arg(file)
            .args(["--runs", "50", "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
        let manifest: Value =
            serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
        find_key(&manifest, "scenario_digest").expect("a scenario digest in the manifest")
    };
    assert_eq!(digest(&absent, "out_a"), digest(&one, "out_o"));
    let sample = write(dir.path(), "s", "sample_fraction = 0.5");
    assert_ne!(digest(&absent, "out_a2"), digest(&sample, "out_s"));
}

/// The first value named `key` anywhere in `value`.
fn find_key(value: &Value, key: &str) -> Option<Value> {
    match value {
        Value::Object(map) => map
            .get(key)
            .cloned()
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}
