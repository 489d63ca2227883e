//! The optimizer against brute force: the chosen plan is checked on common random numbers of a
//! seed the optimizer never used, against every point of a grid of plans; phased plans against
//! a path known in closed form; certification and thread-count reproducibility.

use ceq::optimize::objective::{MonteCarloObjective, Objective};
use ceq::optimize::{Settings, Silent, optimize};
use ceq::scenario::{Format, Lever, Plan, Scenario, SpendSchedule, parse_str};
use ceq::sim::EngineKind;

/// A seed the optimizer does not use (it searches on seed 1 or 2 and certifies on its own).
const GRID_SEED: u64 = 9_001;

fn scenario(text: &str) -> Scenario {
    parse_str(text, "test.toml", "test", Format::Toml).expect("a valid scenario")
}

fn plan_with(spend: &[(Lever, Vec<f64>)]) -> Plan {
    let mut plan = Plan::named("grid".to_string());
    for (lever, path) in spend {
        plan.set(*lever, SpendSchedule::new(path.clone()).unwrap(), 0);
    }
    plan
}

/// Mean CE of `plan` on `runs` runs of the grid seed.
fn grid_value(scenario: &Scenario, plan: &Plan, runs: u64) -> f64 {
    MonteCarloObjective {
        limits: Default::default(),
        scenario,
        runs,
        seed: GRID_SEED,
        engine: EngineKind::Auto,
        criterion: scenario.optimize().unwrap().objective(),
        hurdle: None,
        control: Default::default(),
    }
    .score(plan)
    .unwrap()
}

/// Gives the scenario's `[optimize]` a target.
fn set_target(scenario: &mut Scenario, target: ceq::scenario::Target) {
    let mut optimize = scenario.optimize().cloned().unwrap();
    optimize.set_target(Some(target)).unwrap();
    scenario.set_optimize(Some(optimize)).unwrap();
}

fn settings_for(scenario: &Scenario, seed: u64) -> Settings {
    let mut settings = Settings::new(
        scenario.optimize().cloned().unwrap(),
        ceq::scenario::PlanId::FIRST,
    );
    settings.seed = seed;
    settings.runs = 200;
    settings
}

/// The optimizer's plan scores within 1% of the best grid point on the grid seed.
fn assert_near_the_grid_best(scenario: &Scenario, grid: &[Plan], runs: u64, seeds: &[u64]) {
    let best = grid
        .iter()
        .map(|p| grid_value(scenario, p, runs))
        .fold(f64::NEG_INFINITY, f64::max);
    for &seed in seeds {
        let result = optimize(scenario, &settings_for(scenario, seed), &mut Silent).unwrap();
        let chosen = grid_value(scenario, &result.plan, runs);
        eprintln!(
            "seed {seed}: chosen {chosen:.0} vs best grid {best:.0} ({:+.3}%), plan {:?}, {:?}",
            100.0 * (chosen - best) / best.abs(),
            result.x,
            result.certification.as_ref().map(|c| c.certified)
        );
        assert!(
            chosen >= best - 0.01 * best.abs(),
            "seed {seed}: the optimizer's plan {:?} scores {chosen}, the best grid point {best}",
            result.plan.spend()
        );
        let certification = result.certification.as_ref().unwrap();
        if !certification.certified {
            assert!(
                certification.reason.is_some(),
                "an uncertified plan says why"
            );
        }
    }
}

const RETAILER: &str = r#"
name = "BG/NBD retailer"
[time]
periods = 52
periods_per_year = 52
discount_rate = 0.10

[[cohorts]]
name = "buyers"
customers = 600
retention = { dropout_alpha = 0.8, dropout_beta = 2.4 }
purchases = { mean = 0.08, shape = 0.5 }
order_value = { p = 6.25, q = 3.74, gamma = 15.44 }
margin = 0.3

[acquisition]
prospects = 50000
response = { ceiling = 0.002, half_spend = 0.005 }
mix = { buyers = 1.0 }

[retention_program]
response = { max_churn_reduction = 0.8, half_spend = 0.2 }

[plans.current]
acquisition = 200
retention = 100

[optimize]
budget = 1000
"#;

/// BG/NBD dropout with Gamma-Gamma spend: a weekly retailer splitting a budget between
/// acquisition and a retention programme (the grid includes spending less than the budget).
#[test]
fn a_bgnbd_gamma_gamma_retailer_is_optimized_within_one_percent_of_a_grid() {
    let scenario = scenario(RETAILER);
    // Every split of at most the budget, by 125: the optimum need not spend it all.
    let mut grid = Vec::new();
    for a in 0..=8 {
        for r in 0..=(8 - a) {
            grid.push(plan_with(&[
                (Lever::Acquisition, vec![125.0 * a as f64]),
                (Lever::Retention, vec![125.0 * r as f64]),
            ]));
        }
    }
    assert_near_the_grid_best(&scenario, &grid, 200, &[1, 2]);
}

const CAPPED: &str = r#"
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

/// A low-concentration Beta cohort whose churn shocks push hazards past one, with no budget
/// cap: the optimizer chooses how much to spend as well as the split.
#[test]
fn a_hazard_capped_beta_cohort_is_optimized_within_one_percent_of_a_grid() {
    let mut text = CAPPED.to_string();
    text.push_str("[optimize]\nbounds = { acquisition = [0, 12000], retention = [0, 12000] }\n");
    let scenario = scenario(&text);
    let levels = [0.0, 2000.0, 4500.0, 7000.0, 9000.0, 11000.0];
    let mut grid = Vec::new();
    for a in levels {
        for r in levels {
            grid.push(plan_with(&[
                (Lever::Acquisition, vec![a]),
                (Lever::Retention, vec![r]),
            ]));
        }
    }
    assert_near_the_grid_best(&scenario, &grid, 200, &[1, 2]);
}

const PHASED: &str = r#"
name = "Front-loaded acquisition"
[time]
periods = 4
periods_per_year = 1
discount_rate = 0.10

[[cohorts]]
name = "subscribers"
customers = 0
retention = { rate = 0.6 }
purchases = { fixed = 1 }
order_value = { mean = 100.0 }

[acquisition]
prospects = 100000
response = { ceiling = 0.05, half_spend = 2.0 }
mix = { subscribers = 1.0 }

[plans.current]
acquisition = 20000

[optimize]
phases = "yearly"
bounds = { acquisition = [0, 400000] }
"#;

/// Acquisition that pays back only over several years: with four yearly periods, the value of
/// a customer won in year t is v_t = Σ_{u=t}^{4} m·r^{u−t}·δ^u, so each year's spend solves
/// max n(s)·v_t − δ^t·s with n(s) = P·c·(1 − 2^{−s/(h·P)}): s_t = h·P·log2(c·ln2·v_t / (h·δ^t))
/// (0 when negative). The phased optimum must beat the best constant split and come within 1%
/// of this known path.
#[test]
fn a_phased_plan_front_loads_acquisition_and_matches_the_known_path() {
    let scenario = scenario(PHASED);
    let (m, r, delta) = (100.0_f64, 0.6_f64, 1.0 / 1.1_f64);
    let (prospects, ceiling, half) = (100_000.0_f64, 0.05_f64, 2.0_f64);
    let known: Vec<f64> = (1..=4)
        .map(|t| {
            let v: f64 = (t..=4).map(|u| m * r.powi(u - t) * delta.powi(u)).sum();
            let ratio = ceiling * std::f64::consts::LN_2 * v / (half * delta.powi(t));
            (half * prospects * ratio.log2()).max(0.0)
        })
        .collect();
    assert!(
        known[0] > known[3] * 1.5,
        "the known path is front-loaded: {known:?}"
    );
    let mut settings = settings_for(&scenario, 1);
    settings.runs = 400;
    let result = optimize(&scenario, &settings, &mut Silent).unwrap();
    let phasing = result
        .phasing
        .as_ref()
        .expect("a phased run values its phasing");
    assert!(
        phasing.gain.ci95[0] > 0.0,
        "phasing beats the best constant split: {:?}",
        phasing.gain
    );
    let known_plan = plan_with(&[(Lever::Acquisition, known.clone())]);
    let known_value = grid_value(&scenario, &known_plan, 400);
    let chosen = grid_value(&scenario, &result.plan, 400);
    eprintln!(
        "phased {:?} {chosen:.0} vs known {known:?} {known_value:.0}; gain {:?}",
        result.x, phasing.gain
    );
    assert!(
        chosen >= known_value - 0.01 * known_value.abs(),
        "phased optimum {:?} scores {chosen}, the known path {known:?} {known_value}",
        result.plan.spend()[Lever::Acquisition]
    );
}

/// A point whose own numbers contradict optimality is never reported as converged: with no
/// search steps allowed, the retailer's mean-field start (acquisition returns far less than it
/// costs) must come out "not certified", with the reason and the contradicted condition.
#[test]
fn a_contradicted_plan_is_reported_not_certified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("retailer.toml");
    let text = RETAILER.replace("budget = 1000", "budget = 60000");
    std::fs::write(&path, text).unwrap();
    let output = assert_cmd::Command::cargo_bin("ceq")
        .unwrap()
        .args(["optimize", path.to_str().unwrap(), "--json", "-q"])
        .args(["--refine-steps", "0", "--runs", "50"])
        .args(["--search-runs", "50", "--certify-runs", "200"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let certification = &json["certification"];
    if certification["certified"] == serde_json::Value::Bool(false) {
        assert_eq!(json["termination"]["reason"], "not_certified");
        assert!(certification["reason"].is_string());
        assert!(!certification["violations"].as_array().unwrap().is_empty());
    } else {
        assert_eq!(json["termination"]["reason"], "converged");
        assert_eq!(certification["violations"].as_array().unwrap().len(), 0);
    }
    // The start must be contradicted for this test to mean anything.
    assert_eq!(
        certification["certified"],
        serde_json::Value::Bool(false),
        "{certification}"
    );
}

/// The optimize output is byte-identical at one and two threads.
#[test]
fn optimize_output_is_identical_at_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capped.toml");
    let mut text = CAPPED.to_string();
    text.push_str("[optimize]\nbudget = 4000\n");
    std::fs::write(&path, text).unwrap();
    let run = |threads: &str| {
        let output = assert_cmd::Command::cargo_bin("ceq")
            .unwrap()
            .args(["optimize", path.to_str().unwrap(), "--json", "-q"])
            .args(["--runs", "100", "--threads", threads])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        output.stdout
    };
    assert_eq!(run("1"), run("2"));
}

/// The smallest budget reaching a mean-CE target: reached at the budget found, missed by a
/// budget tried within 1% below it, and "not reached" for a target no budget attains.
#[test]
fn the_smallest_budget_for_a_target_is_bracketed_to_one_percent() {
    let text = PHASED.replace("phases = \"yearly\"\n", "");
    let mut scenario = scenario(&text);
    let none = grid_value(
        &scenario,
        &plan_with(&[(Lever::Acquisition, vec![0.0])]),
        100,
    );
    let level = none + 200_000.0;
    set_target(&mut scenario, ceq::scenario::Target::Mean(level));
    let result = optimize(&scenario, &settings_for(&scenario, 1), &mut Silent).unwrap();
    let found = result.target.as_ref().expect("a target search");
    assert!(found.reached, "{found:?}");
    let at_found = found
        .tried
        .iter()
        .find(|(b, _)| *b == found.budget)
        .unwrap();
    assert!(at_found.1 >= level, "{found:?}");
    assert!(
        found
            .tried
            .iter()
            .any(|(b, v)| *b < found.budget && *b >= 0.98 * found.budget && *v < level),
        "a budget just below misses the target: {found:?}"
    );
    set_target(&mut scenario, ceq::scenario::Target::Mean(1e12));
    let result = optimize(&scenario, &settings_for(&scenario, 1), &mut Silent).unwrap();
    assert!(!result.target.as_ref().unwrap().reached);
}
