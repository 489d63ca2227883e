//! Break-even and payback (SPEC §9.1) on a cohort whose answer can be worked by hand: constant
//! retention r, one order a period of a fixed value, no retention spend. A new customer brings
//! cf = margin × order value every period it stays, so the seed formula's break-even duration
//! is cost / cf, and a customer acquired in period 1 has, in money of period 1,
//! V(t) = cf · Σ_{s≤t} r^(s−1) · d_s / d_1 of expected cumulative discounted value: its
//! payback period is the first t with V(t) ≥ cost.

use assert_cmd::Command;
use ceq::model::discount::Discounting;
use ceq::plans::payback::{Payback, payback, payback_period};
use ceq::scenario::{Format, Scenario, parse_str};
use ceq::sim::{self, EngineKind, SimOptions};

const SCENARIO: &str = r#"
name = "payback by hand"
currency = "USD"

[time]
periods = 12
periods_per_year = 12
discount_rate = 0.10

[[cohorts]]
name = "members"
customers = 0
retention = { rate = 0.8 }
purchases = { fixed = 1 }
order_value = { mean = 50.0 }
margin = 0.5

# 1,000 a month on 100,000 prospects is 0.01 a prospect, half the ceiling: 500 customers a
# month at 2 each, plus 50 onboarding — 52 a customer.
[acquisition]
prospects = 100000
response = { ceiling = 0.01, half_spend = 0.01 }
onboarding_cost = 50.0

[plans.steady]
acquisition = 1000
"#;

const RETENTION: f64 = 0.8;
const CASH_FLOW: f64 = 0.5 * 50.0;
const COST: f64 = 1000.0 / 500.0 + 50.0;
const RUNS: u64 = 200;

fn scenario() -> Scenario {
    parse_str(SCENARIO, "payback.toml", "payback", Format::Toml).expect("a valid scenario")
}

/// V(t) for t = 1..=H, in money of period 1.
fn closed_form_curve(scenario: &Scenario) -> Vec<f64> {
    let d = Discounting::new(scenario.time()).factors(scenario.time().periods());
    let mut total = 0.0;
    (0..d.len())
        .map(|s| {
            total += CASH_FLOW * RETENTION.powi(s as i32) * d[s] / d[0];
            total
        })
        .collect()
}

fn paybacks(scenario: &Scenario, engine: EngineKind) -> Vec<Payback> {
    let options = SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs: RUNS,
        seed: 17,
        engine,
        limits: Default::default(),
        control: Default::default(),
    };
    let simulation = sim::run(scenario, &options).expect("simulates");
    payback(scenario, &scenario.plans()[0], &simulation, &options).expect("paybacks")
}

#[test]
fn break_even_is_the_seed_formula() {
    let scenario = scenario();
    let rows = paybacks(&scenario, EngineKind::Customer);
    let names: Vec<(&str, &str)> = rows
        .iter()
        .map(|p| (p.of.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(names, [("channel", "acquisition"), ("cohort", "members")]);
    for p in &rows {
        assert_eq!(p.cash_flow_per_period, CASH_FLOW, "{}", p.name);
        let cost = p.cost_per_customer.expect("customers were acquired");
        // 500 customers a month over 12 months and 200 runs: the mean count has a relative
        // standard error of about √(0.995/(500·2400)) ≈ 0.09%, so 1% is > 10 standard errors.
        assert!(
            (cost / COST - 1.0).abs() < 0.01,
            "{}: cost {cost} vs {COST}",
            p.name
        );
        let periods = p.break_even_periods.expect("a positive cash flow");
        assert!((periods - cost / CASH_FLOW).abs() < 1e-12);
        assert!((p.break_even_years.unwrap() - periods / 12.0).abs() < 1e-12);
        // By hand: 52 / 25 = 2.08 periods.
        assert!((periods - 2.08).abs() < 0.03, "{periods}");
    }
}

#[test]
fn simulated_payback_matches_the_closed_form_on_both_engines() {
    let scenario = scenario();
    let curve = closed_form_curve(&scenario);
    let expected = payback_period(&curve, COST).expect("pays back within the horizon");
    // 25, 44.8, 60.5…: the closed form pays back in period 3, far from either neighbour
    // compared with a 1,000-customer vintage's noise (about 0.3 a customer).
    assert_eq!(expected, 3);
    assert!(curve[1] < COST - 5.0 && curve[2] > COST + 5.0);
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        for p in paybacks(&scenario, engine) {
            let label = format!("{} {} on {engine:?}", p.of, p.name);
            assert_eq!(p.payback_median, Some(expected), "{label}");
            assert_eq!(p.payback_of_mean, Some(expected), "{label}");
            let (lo, hi) = (p.payback_p05.unwrap(), p.payback_p95.unwrap());
            assert!(lo <= expected && expected <= hi, "{label}: {lo}..{hi}");
            assert_eq!(p.never_share, 0.0, "{label}");
            assert_eq!(p.runs, RUNS);
            // The mean curve against V(t), within 4 Monte Carlo standard errors (the spread
            // over runs from the 5–95% band, sd ≈ (p95 − p05)/3.29).
            for (t, expected) in curve.iter().enumerate() {
                let sd = (p.cumulative_value_p95[t] - p.cumulative_value_p05[t]) / 3.29;
                let se = sd / (RUNS as f64).sqrt();
                assert!(
                    (p.cumulative_value[t] - expected).abs() <= 4.0 * se + 1e-9,
                    "{label} period {}: {} vs {expected} (se {se})",
                    t + 1,
                    p.cumulative_value[t],
                );
            }
        }
    }
}

#[test]
fn the_engines_agree_on_the_payback_distribution() {
    // Different draws, the same law: the mean curves of the two engines differ by less than
    // 4 standard errors of their difference at every period.
    let scenario = scenario();
    let customer = paybacks(&scenario, EngineKind::Customer);
    let cohort = paybacks(&scenario, EngineKind::Cohort);
    for (a, b) in customer.iter().zip(&cohort) {
        assert_eq!(
            a.cost_per_customer, b.cost_per_customer,
            "the same acquisition draws"
        );
        for t in 0..a.cumulative_value.len() {
            let sd = |p: &Payback| (p.cumulative_value_p95[t] - p.cumulative_value_p05[t]) / 3.29;
            let se = ((sd(a).powi(2) + sd(b).powi(2)) / RUNS as f64).sqrt();
            let gap = (a.cumulative_value[t] - b.cumulative_value[t]).abs();
            assert!(
                gap <= 4.0 * se + 1e-9,
                "{} period {}: gap {gap}, se {se}",
                a.name,
                t + 1
            );
        }
    }
}

#[test]
fn simulate_reports_payback_byte_identically_at_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payback.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let run = |threads: &str| {
        let output = Command::cargo_bin("ceq")
            .unwrap()
            .args(["simulate", "--runs", "40", "--threads", threads, "--json"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"), "byte-identical at 1 and 2 threads");
    let json: serde_json::Value = serde_json::from_slice(&one).unwrap();
    let rows = json["payback"].as_array().expect("a payback list");
    assert_eq!(rows.len(), 2);
    for key in [
        "of",
        "name",
        "cost_per_customer",
        "cash_flow_per_period",
        "break_even_periods",
        "break_even_years",
        "runs",
        "payback_of_mean",
        "payback_median",
        "payback_p05",
        "payback_p95",
        "never_share",
        "cumulative_value",
        "cumulative_value_p05",
        "cumulative_value_p95",
    ] {
        assert!(rows[0].get(key).is_some(), "payback[0].{key}");
    }
    let text = Command::cargo_bin("ceq")
        .unwrap()
        .args(["simulate", "--runs", "40"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Break-even and payback"), "{text}");
}

#[test]
fn a_vintage_gets_the_development_programme_its_cohort_gets_in_the_run() {
    // The same cohort with a development programme that halves churn at full response: a
    // budget of 0.01 a month over hundreds of customers is ~2e-5 a customer, 20,000 times the
    // half-saturation spend, so f ≈ 1 and retention is 1 − 0.2·(1 − 0.5) = 0.9 at a cost far
    // below a cent. Were the vintage's development spend zero (as its own budget is), its
    // customers would keep retention 0.8 and the mean curve would miss the closed form by
    // many standard errors from period 3 on.
    let text = format!(
        "{SCENARIO}development = 0.01\n\n[development_program]\n\
         response = {{ half_spend = 1e-9 }}\nmax_churn_reduction = 0.5\n"
    );
    let scenario = parse_str(&text, "payback.toml", "payback", Format::Toml).expect("valid");
    let d = Discounting::new(scenario.time()).factors(scenario.time().periods());
    let retention = 0.9;
    let mut total = 0.0;
    let curve: Vec<f64> = (0..d.len())
        .map(|s| {
            total += CASH_FLOW * f64::powi(retention, s as i32) * d[s] / d[0];
            total
        })
        .collect();
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        let rows = paybacks(&scenario, engine);
        let p = rows.iter().find(|p| p.of == "cohort").expect("the cohort");
        for (t, expected) in curve.iter().enumerate() {
            let sd = (p.cumulative_value_p95[t] - p.cumulative_value_p05[t]) / 3.29;
            let se = sd / (RUNS as f64).sqrt();
            assert!(
                (p.cumulative_value[t] - expected).abs() <= 4.0 * se + 0.01,
                "{engine:?} period {}: {} vs {expected} (se {se})",
                t + 1,
                p.cumulative_value[t],
            );
        }
    }
}
