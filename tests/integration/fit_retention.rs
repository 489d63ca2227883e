//! `ceq fit retention-test` (SPEC §14): synthetic experiments drawn from ceq's own model of
//! the programme (the spend scales the control's churn hazard by 1 − L(s)) are fitted back:
//! the reduction lies within its interval at the nominal rate, the curve is recovered, and the
//! command writes draws and refuses bad files.

use rand_distr::{Binomial, Distribution};

use ceq::fit::retention_test::{self, TestGroup};
use ceq::sim::rng::{Stream, stream};

/// Control hazards per period: a decaying pattern, as real cohorts show.
fn control_hazard(t: usize) -> f64 {
    0.08 - 0.003 * t as f64
}

/// Groups of `customers` each at the spends given (0 = control), churning over `periods`
/// periods with hazard q_t·(1 − reduction(spend)).
fn experiment(
    spends: &[f64],
    customers: u64,
    periods: usize,
    reduction: impl Fn(f64) -> f64,
    seed: u64,
) -> Vec<TestGroup> {
    let mut rng = stream(seed, 0, Stream::Scores);
    spends
        .iter()
        .enumerate()
        .map(|(i, &spend)| {
            let mut active = vec![customers as f64];
            for t in 0..periods {
                let at_risk = *active.last().unwrap() as u64;
                let p =
                    control_hazard(t) * (1.0 - if spend > 0.0 { reduction(spend) } else { 0.0 });
                let churned = Binomial::new(at_risk, p).unwrap().sample(&mut rng);
                active.push((at_risk - churned) as f64);
            }
            TestGroup {
                name: format!("g{i}"),
                spend,
                active,
            }
        })
        .collect()
}

fn curve(m: f64, h: f64) -> impl Fn(f64) -> f64 {
    move |s: f64| m * (1.0 - (2f64).powf(-s / h))
}

#[test]
fn one_spend_level_recovers_the_reduction_within_its_interval() {
    // 200 experiments of 4,000 customers per arm over 12 periods, a true reduction of 0.25:
    // the 95% interval covers it in 90–98% of them.
    let truth = 0.25;
    let mut covered = 0;
    let mut estimates = Vec::new();
    for seed in 0..200 {
        let groups = experiment(&[0.0, 5.0], 4000, 12, |_| truth, seed);
        let fit = retention_test::fit_retention_test(&groups, None).unwrap();
        assert!(fit.curve.is_none());
        let effect = fit.levels[0].churn_reduction;
        let [lo, hi] = effect.ci95.unwrap();
        if lo <= truth && truth <= hi {
            covered += 1;
        }
        estimates.push((effect.value, effect.std_error.unwrap()));
    }
    let share = f64::from(covered) / 200.0;
    eprintln!("one level: coverage {share}");
    assert!((0.90..=0.98).contains(&share), "{share}");
    // The estimates average the truth within 3 standard errors of their mean, and their spread
    // matches the reported standard errors within 20%.
    let mean = estimates.iter().map(|e| e.0).sum::<f64>() / 200.0;
    let sd = (estimates.iter().map(|e| (e.0 - mean).powi(2)).sum::<f64>() / 199.0).sqrt();
    let se = estimates.iter().map(|e| e.1).sum::<f64>() / 200.0;
    assert!(
        (mean - truth).abs() < 3.0 * sd / 200f64.sqrt(),
        "{mean} ± {sd}"
    );
    assert!((sd / se - 1.0).abs() < 0.2, "sd {sd}, se {se}");
}

#[test]
fn several_spend_levels_recover_the_curve() {
    let (m, h) = (0.35, 4.0);
    let groups = experiment(&[0.0, 2.0, 5.0, 12.0], 20_000, 12, curve(m, h), 7);
    let fit = retention_test::fit_retention_test(&groups, None).unwrap();
    let c = fit.curve.as_ref().unwrap();
    for (got, want) in [(&c.max_churn_reduction, m), (&c.half_spend, h)] {
        let se = got.std_error.unwrap();
        assert!(
            (got.value - want).abs() < 3.0 * se,
            "{} ± {se} vs {want}",
            got.value
        );
        let [lo, hi] = got.ci95.unwrap();
        assert!(lo < got.value && got.value < hi);
        assert!(se < 0.3 * want, "se {se}");
    }
    // Each level's own reduction is the curve's at that spend, within 3 standard errors.
    for level in &fit.levels {
        let want = curve(m, h)(level.spend);
        let got = level.churn_reduction;
        assert!(
            (got.value - want).abs() < 3.0 * got.std_error.unwrap(),
            "spend {}: {} vs {want}",
            level.spend,
            got.value
        );
    }
    // max_churn_reduction and half_spend trade off: positively correlated estimates.
    assert!(c.correlation.unwrap() > 0.3, "{:?}", c.correlation);
    let draws = retention_test::sample_draws(c, 5000, 1).unwrap();
    assert_eq!(
        draws.paths,
        [
            "retention_program.response.max_churn_reduction",
            "retention_program.response.half_spend"
        ]
    );
}

#[test]
fn a_given_half_spend_turns_one_level_into_the_curve() {
    let (m, h) = (0.4, 3.0);
    let groups = experiment(&[0.0, 6.0], 20_000, 10, curve(m, h), 11);
    let fit = retention_test::fit_retention_test(&groups, Some(h)).unwrap();
    let c = fit.curve.unwrap();
    assert!(c.half_spend_fixed);
    let se = c.max_churn_reduction.std_error.unwrap();
    assert!((c.max_churn_reduction.value - m).abs() < 3.0 * se);
    // One parameter: L(6) = m·(1 − 2^(−2)), so m̂ is the level's reduction divided by 0.75.
    let level = fit.levels[0].churn_reduction.value;
    assert!((c.max_churn_reduction.value - level / 0.75).abs() < 1e-5);
}

mod cli {
    use super::*;
    use assert_cmd::Command;
    use predicates::prelude::*;

    fn write(dir: &std::path::Path, groups: &[TestGroup]) -> std::path::PathBuf {
        let mut text = "group,spend,period,active\n".to_string();
        for g in groups {
            for (t, a) in g.active.iter().enumerate() {
                text.push_str(&format!("{},{},{t},{a}\n", g.name, g.spend));
            }
        }
        let path = dir.join("test.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn ceq() -> Command {
        Command::cargo_bin("ceq").unwrap()
    }

    #[test]
    fn json_and_draws() {
        let dir = tempfile::tempdir().unwrap();
        let groups = experiment(&[0.0, 2.0, 6.0], 10_000, 8, curve(0.3, 3.0), 2);
        let test = write(dir.path(), &groups);
        let draws = dir.path().join("draws.csv");
        let output = ceq()
            .args(["fit", "retention-test"])
            .arg(&test)
            .arg("--json")
            .arg("--draws")
            .arg(&draws)
            .args(["--draw-count", "20"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["levels"].as_array().unwrap().len(), 2);
        assert!(json["levels"][0]["churn_reduction"]["ci95"][1].is_number());
        assert!(json["curve"]["max_churn_reduction"]["value"].is_number());
        let text = std::fs::read_to_string(&draws).unwrap();
        assert_eq!(text.lines().count(), 21);
        // An existing file is kept without --force.
        ceq()
            .args(["fit", "retention-test"])
            .arg(&test)
            .arg("--draws")
            .arg(&draws)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("already exists; use --force"));
        // The test file is never an output.
        ceq()
            .args(["fit", "retention-test"])
            .arg(&test)
            .arg("--draws")
            .arg(&test)
            .arg("--force")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is the test file itself"));
    }

    #[test]
    fn one_level_needs_a_half_spend_for_draws() {
        let dir = tempfile::tempdir().unwrap();
        let groups = experiment(&[0.0, 5.0], 5_000, 6, |_| 0.2, 3);
        let test = write(dir.path(), &groups);
        let draws = dir.path().join("draws.csv");
        ceq()
            .args(["fit", "retention-test"])
            .arg(&test)
            .arg("--draws")
            .arg(&draws)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("give --half-spend H"));
        assert!(!draws.exists());
        ceq()
            .args(["fit", "retention-test"])
            .arg(&test)
            .args(["--half-spend", "4"])
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "[retention_program]\nresponse = { max_churn_reduction = ",
            ));
    }

    #[test]
    fn bad_tests_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        let run = |text: &str| {
            std::fs::write(&path, text).unwrap();
            ceq()
                .args(["fit", "retention-test"])
                .arg(&path)
                .assert()
                .code(2)
        };
        run("group,spend,period,active\nc,0,0,100\nc,0,1,100\nt,5,0,100\nt,5,1,90\n").stderr(
            predicate::str::contains("the control group(s) lost no customers"),
        );
        run("group,spend,period,active\nc,0,0,100\nc,0,1,90\nt,5,0,100\nt,5,1,100\n").stderr(
            predicate::str::contains("the group(s) at spend 5 lost no customers"),
        );
        run("group,spend,period,active\nc,0,0,100\nc,0,2,90\n").stderr(predicate::str::contains(
            "line 3: group `c`: expected period 1 next, found 2",
        ));
        run("group,spend,period,active\nc,0,0,100\nc,1,1,90\n").stderr(predicate::str::contains(
            "line 3: group `c` has spend 1 here but 0 before",
        ));
        run("group,spend,period,active\nc,0,0,100\nt,-2,0,90\n").stderr(predicate::str::contains(
            "line 3: column 2 (`spend`): '-2' is not a spend per customer ≥ 0",
        ));
    }
}
