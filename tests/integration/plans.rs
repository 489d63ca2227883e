//! Plans: comparison, optimization, frontier and sensitivity (issue 3), through the library and
//! the real binary. Scenarios are small so the whole module stays well under a minute in
//! release mode.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

use ceq::model::closed_form::bd_response;
use ceq::optimize::curves::response_curves;
use ceq::optimize::mean_field::MeanField;
use ceq::optimize::{Settings, Silent, optimize};
use ceq::plans::compare::{compare, compare_reusing};
use ceq::plans::frontier::frontier;
use ceq::plans::sensitivity::{self, sensitivity};
use ceq::scenario::{
    Acquisition, CashFlowTiming, Channel, Cohort, DriverEffect, DriverParams, Lever, Objective,
    Optimize, OrderValue, Plan, Purchases, ResponseCurve, Retention, RetentionProgram, Scenario,
    SpendSchedule, Time,
};
use ceq::sim::{EngineKind, SimOptions, run_plan};
use ceq::stats::describe::describe;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

// Blattberg & Deighton (1996) in ceq's terms: a base with retention 0 whose retention comes
// only from the programme, r(s) = C_r(1 − e^(−k_r·s)) per customer, and acquisition
// a(s) = C_a(1 − e^(−k_a·s)) per prospect. One margin per period, yearly periods.
const MARGIN: f64 = 1000.0;
const PROSPECTS: u64 = 10_000;
const CEILING_A: f64 = 0.2;
const K_A: f64 = 0.05;
const CEILING_R: f64 = 0.8;
const K_R: f64 = 0.04;
const PERIODS: u32 = 15;
const BUDGET: f64 = 100_000.0;

fn bd_scenario() -> Scenario {
    let time = Time::new(PERIODS, 1, 0.1, CashFlowTiming::End);
    let cohort = Cohort::new(
        "customers",
        1000,
        Retention::Rate { rate: 0.0 },
        Purchases::Fixed { n: 1.0 },
        OrderValue::Constant { mean: MARGIN },
    );
    let mut scenario = Scenario::build("bd", time, vec![cohort]).unwrap();
    scenario
        .set_acquisition(Some(Acquisition::single(Channel::new(
            "acquisition",
            PROSPECTS,
            CEILING_A,
            ResponseCurve::Exponential { k: K_A },
            vec![1.0],
        ))))
        .unwrap();
    scenario
        .set_retention_program(Some(RetentionProgram::new(
            CEILING_R,
            ResponseCurve::Exponential { k: K_R },
            None,
        )))
        .unwrap();
    scenario
        .set_plans(vec![plan(
            "current",
            &[(Lever::Acquisition, 50_000.0), (Lever::Retention, 50_000.0)],
        )])
        .unwrap();
    let mut optimize = Optimize::of(&scenario);
    optimize.set_budget(Some(BUDGET)).unwrap();
    optimize.set_objective(Objective::Mean).unwrap();
    optimize.set_levers(vec![Lever::Acquisition, Lever::Retention]);
    scenario.set_optimize(Some(optimize)).unwrap();
    scenario
}

fn plan(name: &str, spend: &[(Lever, f64)]) -> Plan {
    let mut plan = Plan::named(name.to_string());
    for &(lever, amount) in spend {
        plan.set(lever, SpendSchedule::new(vec![amount]).unwrap(), 0);
    }
    plan
}

/// The test's own mean-field recursion of BD's model: N_1 = N_0 + P·a(A/P),
/// N_{t+1} = N_t·r(R/N_t) + P·a(A/P), value N_t·m − A − R per period, discounted.
fn bd_expected_ce(acquisition: f64, retention: f64) -> f64 {
    let delta: f64 = 1.0 / 1.1;
    let new = PROSPECTS as f64 * bd_response(CEILING_A, K_A, acquisition / PROSPECTS as f64);
    let mut active = 1000.0 + new;
    let mut ce = 0.0;
    for t in 1..=PERIODS {
        ce += delta.powi(t as i32) * (active * MARGIN - acquisition - retention);
        active = active * bd_response(CEILING_R, K_R, retention / active) + new;
    }
    ce
}

fn settings(scenario: &Scenario, runs: u64, search_runs: u64) -> Settings {
    let mut settings = Settings::new(
        scenario.optimize().cloned().unwrap(),
        scenario.baseline_plan(),
    );
    settings.runs = runs;
    settings.search_runs = search_runs;
    settings.mean_field_runs = 0;
    settings.engine = EngineKind::Customer;
    settings
}

#[test]
fn retention_programme_on_zero_base_retention_is_blattberg_deighton_curve() {
    let mut scenario = bd_scenario();
    // Without acquisition, `[optimize]`'s acquisition lever would name a missing section.
    scenario.set_optimize(None).unwrap();
    scenario.set_acquisition(None).unwrap();
    let spend = 30_000.0;
    let p = plan("r", &[(Lever::Retention, spend)]);
    let options = SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs: 200,
        seed: 3,
        engine: EngineKind::Customer,
        limits: Default::default(),
        control: Default::default(),
    };
    let sim = run_plan(&scenario, &p, &options).unwrap();
    let second: Vec<f64> = sim.runs.iter().map(|r| r.periods[1].active).collect();
    let d = describe(&second);
    let expected = 1000.0 * bd_response(CEILING_R, K_R, spend / 1000.0);
    assert!(
        (d.mean - expected).abs() < 4.0 * d.std_error,
        "{} vs {expected} ± {}",
        d.mean,
        d.std_error
    );
}

#[test]
fn blattberg_deighton_optimum_has_equal_marginal_returns_and_the_closed_form_ce() {
    let scenario = bd_scenario();
    let result = optimize(&scenario, &settings(&scenario, 400, 400), &mut Silent).unwrap();
    let (a, r) = (result.x[0], result.x[1]);
    assert!(
        a > 0.05 * BUDGET && r > 0.05 * BUDGET,
        "interior optimum expected: {a}, {r}"
    );
    assert!(a + r <= BUDGET, "over budget: {a} + {r}");
    let m: Vec<f64> = result.marginal.iter().map(|m| m.value).collect();
    eprintln!("allocation {a} {r}; marginal returns {:?}", result.marginal);
    let largest = m[0].abs().max(m[1].abs());
    assert!(
        (m[0] - m[1]).abs() <= 0.1 * largest,
        "marginal returns {m:?}"
    );
    let ce = describe(
        &result
            .chosen
            .runs
            .iter()
            .map(|r| r.customer_equity)
            .collect::<Vec<_>>(),
    );
    let expected = bd_expected_ce(a, r);
    assert!(
        ce.ci95[1] - ce.ci95[0] < 0.01 * expected,
        "the interval is too wide to test 0.5%: {:?}",
        ce.ci95
    );
    assert!(
        (ce.mean - expected).abs() < 0.005 * expected,
        "Monte Carlo {} vs mean field {expected}",
        ce.mean
    );
}

/// The mean field steers the search, so it must track Monte Carlo: on every example (except
/// BG/NBD dropout, where it is a rough approximation, see `optimize::mean_field`), conditional
/// on the same runs' draws and shocks, within 2% of the gross purchase margin.
#[test]
fn mean_field_agrees_with_monte_carlo_on_the_examples() {
    for name in [
        "pyramid.toml",
        "subscription_sbg.toml",
        "retail_bank.toml",
        "customer_types.toml",
        "b2b_key_accounts.toml",
        "full.toml",
    ] {
        let scenario = ceq::scenario::load_file(&examples().join(name)).unwrap();
        let runs = 60;
        let mean_field = MeanField::new(&scenario, 1, runs);
        for plan in scenario.plans() {
            let options = SimOptions {
                plan: ceq::scenario::PlanId::FIRST,
                runs,
                seed: 1,
                engine: EngineKind::Customer,
                limits: Default::default(),
                control: Default::default(),
            };
            let sim = run_plan(&scenario, plan, &options).unwrap();
            let ce: Vec<f64> = sim.runs.iter().map(|r| r.customer_equity).collect();
            let mf = mean_field.per_run(plan);
            let differences: Vec<f64> = ce.iter().zip(&mf).map(|(a, b)| b - a).collect();
            let d = describe(&differences);
            let gross = describe(
                &sim.runs
                    .iter()
                    .map(|r| r.components.purchase_margin + r.components.extra_value)
                    .collect::<Vec<_>>(),
            )
            .mean;
            eprintln!(
                "{name} {}: MC {:.0}, MF − MC {:.0} ± {:.0} ({:+.2}% of gross)",
                plan.name(),
                describe(&ce).mean,
                d.mean,
                d.std_error,
                100.0 * d.mean / gross
            );
            assert!(
                d.mean.abs() <= 0.02 * gross + 3.0 * d.std_error,
                "{name} {}: mean field off by {} (gross {gross})",
                plan.name(),
                d.mean
            );
        }
    }
}

fn with_useless_brand(mut scenario: Scenario) -> Scenario {
    scenario
        .set_driver(
            ceq::scenario::Driver::Brand,
            Some(DriverParams::new(
                0.5,
                10_000.0,
                0.3,
                DriverEffect::default(),
            )),
        )
        .unwrap();
    if let Some(mut o) = scenario.optimize().cloned() {
        let mut levers = o.levers().to_vec();
        levers.push(Lever::Brand);
        o.set_levers(levers);
        scenario.set_optimize(Some(o)).unwrap();
    }
    scenario
}

#[test]
fn a_useless_lever_gets_nothing_and_the_budget_is_respected() {
    let scenario = with_useless_brand(bd_scenario());
    let mut settings = settings(&scenario, 40, 40);
    settings.refine_steps = 0;
    let result = optimize(&scenario, &settings, &mut Silent).unwrap();
    let brand = result
        .space
        .levers
        .iter()
        .position(|l| *l == Lever::Brand)
        .unwrap();
    assert_eq!(result.x[brand], 0.0, "{:?}", result.x);
    assert!(result.binding.lower.contains(&Lever::Brand));
    assert!(result.x.iter().sum::<f64>() <= BUDGET);
    assert!(result.binding.budget, "{:?}", result.binding);
}

#[test]
fn an_upper_bound_that_holds_the_optimum_back_is_reported_binding() {
    let mut scenario = bd_scenario();
    let mut section = scenario.optimize().cloned().unwrap();
    section
        .set_bound(Lever::Acquisition, Some((0.0, 20_000.0)))
        .unwrap();
    scenario.set_optimize(Some(section)).unwrap();
    let mut settings = settings(&scenario, 40, 40);
    settings.refine_steps = 0;
    settings.marginal = false;
    let result = optimize(&scenario, &settings, &mut Silent).unwrap();
    assert_eq!(result.x[0], 20_000.0, "{:?}", result.x);
    assert_eq!(result.binding.upper, vec![Lever::Acquisition]);
    assert!(result.x.iter().sum::<f64>() <= BUDGET);
}

#[test]
fn the_frontier_does_not_fall_with_the_budget() {
    let scenario = bd_scenario();
    let mut settings = settings(&scenario, 60, 60);
    settings.marginal = false;
    let result = frontier(
        &scenario,
        &settings,
        &[25_000.0, 50_000.0, 100_000.0],
        &mut Silent,
    )
    .unwrap();
    for pair in result.points.windows(2) {
        let extra = pair[1].extra_ce_per_unit.unwrap();
        assert!(
            extra.ci95[1] >= 0.0,
            "CE fell from {} to {}",
            pair[0].budget,
            pair[1].budget
        );
        assert!(pair[1].spend <= pair[1].budget);
    }
}

#[test]
fn the_frontier_marks_the_baseline_on_its_own_runs() {
    let scenario = bd_scenario();
    let mut settings = settings(&scenario, 40, 40);
    settings.marginal = false;
    let result = frontier(&scenario, &settings, &[50_000.0, 100_000.0], &mut Silent).unwrap();
    assert_eq!(result.baseline.plan, "current");
    assert_eq!(
        result.baseline.spend, 100_000.0,
        "50,000 + 50,000 per period"
    );
    let options = SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs: 40,
        seed: result.seed,
        engine: EngineKind::Customer,
        limits: Default::default(),
        control: Default::default(),
    };
    let again = run_plan(&scenario, &scenario.plans()[0], &options).unwrap();
    let values: Vec<f64> = again.runs.iter().map(|r| r.customer_equity).collect();
    assert_eq!(result.baseline.customer_equity, describe(&values));
}

/// Without a budget cap the Monte Carlo optimum is the top of every lever's response curve
/// (the others held there) within the curve's own intervals, and each curve passes exactly
/// through the chosen plan's value on the search runs.
#[test]
fn response_curves_peak_at_an_uncapped_optimum_and_pass_through_it() {
    let mut scenario = bd_scenario();
    if let Some(mut section) = scenario.optimize().cloned() {
        section.set_budget(None).unwrap();
        scenario.set_optimize(Some(section)).unwrap();
    }
    let mut settings = settings(&scenario, 20, 20);
    settings.certify_runs = 40;
    let result = optimize(&scenario, &settings, &mut Silent).unwrap();
    let curves = response_curves(&scenario, &settings, &result).unwrap();
    assert_eq!(curves.len(), 2);
    let objective = ceq::optimize::objective::MonteCarloObjective {
        limits: Default::default(),
        scenario: &scenario,
        runs: settings.search_runs,
        seed: settings.seed,
        engine: settings.engine,
        criterion: settings.optimize.objective(),
        hurdle: None,
        control: Default::default(),
    };
    let at_optimum = {
        use ceq::optimize::objective::Objective;
        objective.score(&result.plan).unwrap()
    };
    for (i, curve) in curves.iter().enumerate() {
        assert_eq!(curve.optimal, result.x[i]);
        assert_eq!(curve.current, 50_000.0);
        assert!(curve.points.windows(2).all(|w| w[0].0 < w[1].0));
        let through = curve
            .points
            .iter()
            .find(|p| p.0 == curve.optimal)
            .expect("the curve has a point at the optimal spend");
        assert!(
            (through.1 - at_optimum).abs() <= 1e-9 * at_optimum.abs(),
            "{} vs {at_optimum}",
            through.1
        );
        for (point, ci) in curve.points.iter().zip(&curve.ci95) {
            let half = 0.5 * (ci[1] - ci[0]);
            assert!(
                point.1 <= at_optimum + half,
                "{:?}: the curve reaches {} at {} above the optimum {at_optimum} ± {half}",
                curve.lever,
                point.1,
                point.0
            );
        }
        // Diminishing returns: the ends lie below the optimum by a visible margin.
        let first = curve.points[0].1;
        assert!(first < at_optimum - 1e-3 * at_optimum.abs());
    }
}

/// The screen chooses which parameters to simulate, not their effects: every effect measured
/// is exactly the unscreened one (same seeds), the largest effect is among them, and the rest
/// are listed.
#[test]
fn screened_sensitivity_measures_the_largest_effects_exactly() {
    let scenario = bd_scenario();
    let mut study = sensitivity::Settings {
        plan: ceq::scenario::PlanId::FIRST,
        step: 0.1,
        runs: 20,
        seed: 4,
        engine: EngineKind::Customer,
        screen: None,
        limits: Default::default(),
        control: Default::default(),
    };
    let full = sensitivity(&scenario, &study, &mut Silent).unwrap();
    assert!(full.screening.is_none());
    study.screen = Some(3);
    let screened = sensitivity(&scenario, &study, &mut Silent).unwrap();
    let screening = screened.screening.as_ref().expect("a screening record");
    assert_eq!(screening.parameters, full.effects.len());
    assert_eq!(screening.measured, 3);
    assert_eq!(screened.effects.len(), 3);
    assert_eq!(screening.screened_out.len(), full.effects.len() - 3);
    for effect in &screened.effects {
        let same = full
            .effects
            .iter()
            .find(|e| e.parameter == effect.parameter)
            .unwrap();
        assert_eq!(effect, same);
        assert!(!screening.screened_out.contains(&effect.parameter));
    }
    assert!(
        screened
            .effects
            .iter()
            .any(|e| e.parameter == full.effects[0].parameter),
        "the largest effect, {}, was screened out",
        full.effects[0].parameter
    );
    assert_eq!(screened.base_customer_equity, full.base_customer_equity);
}

#[test]
fn a_comparison_reusing_a_simulated_plan_is_the_same_comparison() {
    let mut scenario = bd_scenario();
    scenario
        .add_plan(plan("acquire", &[(Lever::Acquisition, 90_000.0)]))
        .unwrap();
    let ids: Vec<ceq::scenario::PlanId> = scenario.plan_ids().collect();
    let options = SimOptions {
        plan: ids[1],
        runs: 25,
        seed: 8,
        engine: EngineKind::Customer,
        limits: Default::default(),
        control: Default::default(),
    };
    let known = run_plan(&scenario, &scenario.plans()[1], &options).unwrap();
    let fresh = compare(&scenario, &ids, &options, &mut Silent).unwrap();
    let reused = compare_reusing(
        &scenario,
        &ids,
        &options,
        Some((ids[1], &known)),
        &mut Silent,
    )
    .unwrap();
    assert_eq!(fresh, reused);
}

#[test]
fn compare_differences_are_antisymmetric() {
    let mut scenario = bd_scenario();
    scenario
        .add_plan(plan("acquire", &[(Lever::Acquisition, 90_000.0)]))
        .unwrap();
    scenario
        .add_plan(plan("retain", &[(Lever::Retention, 90_000.0)]))
        .unwrap();
    let ids: Vec<ceq::scenario::PlanId> = scenario.plan_ids().collect();
    let reversed: Vec<ceq::scenario::PlanId> = ids.iter().rev().copied().collect();
    let forward = compare(&scenario, &ids, &customer_options(30, 5), &mut Silent).unwrap();
    let backward = compare(&scenario, &reversed, &customer_options(30, 5), &mut Silent).unwrap();
    assert_eq!(forward.differences.len(), 3);
    for d in &forward.differences {
        let r = backward
            .differences
            .iter()
            .find(|r| r.a == d.b && r.b == d.a)
            .unwrap();
        assert_eq!(d.mean, -r.mean);
        assert_eq!(d.ci95, [-r.ci95[1], -r.ci95[0]]);
        assert_eq!(d.prob_a_better + r.prob_a_better, 1.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Through the binary
// ---------------------------------------------------------------------------------------------

const FIXTURE: &str = r#"
name = "plans fixture"

[time]
periods = 12
periods_per_year = 4

[[cohorts]]
name = "top"
customers = 150
retention = { mean = 0.9, concentration = 20 }
purchases = { mean = 1.0 }
order_value = { mean = 80.0 }
margin = 0.4

[[cohorts]]
name = "rest"
customers = 400
retention = { rate = 0.8 }
purchases = { mean = 0.5 }
order_value = { mean = 40.0 }
margin = 0.3

[acquisition]
prospects = 5000
response = { ceiling = 0.05, half_spend = 1.0 }
mix = { top = 0.2, rest = 0.8 }

[retention_program]
response = { max_churn_reduction = 0.4, half_spend = 3.0 }

[drivers.brand]
max_lift = 0.4
half_spend = 1000
carryover = 0.5
effect = { retention = 0.1, acquisition = 0.3 }

[shocks]
demand = { sd = 0.05, persistence = 0.5 }

[plans.current]
acquisition = 2000
retention = 1000
brand = 500

[plans.phased]
acquisition = [3000, 1000]
retention = 1500

[optimize]
budget = 3500
objective = "mean"
optimize_retention_allocation = true
"#;

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

pub(crate) fn fixture(dir: &Path) -> PathBuf {
    let path = dir.join("fixture.toml");
    fs::write(&path, FIXTURE).unwrap();
    path
}

/// Total spend per period of `ceq optimize --json`'s allocation.
fn allocated(json: &serde_json::Value) -> f64 {
    json["allocation"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum()
}

pub(crate) fn stdout_of(args: &[&str]) -> Vec<u8> {
    let output = ceq().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "ceq {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn optimize_json_is_reproducible_at_any_thread_count_and_has_the_spec_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let path = path.to_str().unwrap();
    let common = [
        "optimize",
        path,
        "--runs",
        "40",
        "--search-runs",
        "20",
        "--mean-field-runs",
        "10",
        "--json",
    ];
    let one = stdout_of(&[&common[..], &["--threads", "1"]].concat());
    let two = stdout_of(&[&common[..], &["--threads", "2"]].concat());
    assert_eq!(one, two);
    let json: serde_json::Value = serde_json::from_slice(&one).unwrap();
    for key in [
        "customer_equity",
        "components",
        "periods",
        "budget",
        "objective",
        "allocation",
        "retention_allocation",
        "baseline",
        "improvement",
        "marginal_return",
        "termination",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert!(allocated(&json) <= 3500.0);
    assert!(json["improvement"]["ci95"].as_array().unwrap().len() == 2);
    assert!(json["baseline"]["plan"] == "current");
}

#[test]
fn the_optimized_plan_block_pastes_into_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let out = dir.path().join("out");
    stdout_of(&[
        "optimize",
        path.to_str().unwrap(),
        "--runs",
        "20",
        "--search-runs",
        "10",
        "--mean-field-runs",
        "0",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let block = fs::read_to_string(out.join("optimized_plan.toml")).unwrap();
    assert!(block.contains("[plans.optimized]"), "{block}");
    let pasted = format!(
        "{FIXTURE}
{block}"
    );
    let scenario = ceq::scenario::parse_str(
        &pasted,
        "pasted.toml",
        "pasted",
        ceq::scenario::Format::Toml,
    )
    .unwrap_or_else(|e| {
        panic!(
            "{e}
{block}"
        )
    });
    let plan = &scenario.plans()[scenario.plan_id("optimized").unwrap()];
    assert!(plan.retention_allocation().is_some());
    for file in ["optimize.json", "optimize_periods.csv", "optimize_runs.csv"] {
        assert!(out.join(file).exists(), "{file}");
    }
}

#[test]
fn compare_cli_is_reproducible_and_antisymmetric() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let path = path.to_str().unwrap();
    let ab = [
        "compare", path, "--plan", "current", "--plan", "phased", "--runs", "30", "--json",
    ];
    let one = stdout_of(&[&ab[..], &["--threads", "1"]].concat());
    let two = stdout_of(&[&ab[..], &["--threads", "2"]].concat());
    assert_eq!(one, two);
    let ba = stdout_of(&[
        "compare", path, "--plan", "phased", "--plan", "current", "--runs", "30", "--json",
    ]);
    let ab: serde_json::Value = serde_json::from_slice(&one).unwrap();
    let ba: serde_json::Value = serde_json::from_slice(&ba).unwrap();
    let (d, r) = (&ab["differences"][0], &ba["differences"][0]);
    assert_eq!(d["mean"].as_f64().unwrap(), -r["mean"].as_f64().unwrap());
    assert_eq!(
        d["prob_a_better"].as_f64().unwrap() + r["prob_a_better"].as_f64().unwrap(),
        1.0
    );
    let text = String::from_utf8(stdout_of(&["compare", path, "--runs", "30"])).unwrap();
    assert!(
        text.contains("3,000 → 1,000"),
        "time-phased spend shown: {text}"
    );
}

#[test]
fn frontier_and_sensitivity_write_their_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let path = path.to_str().unwrap();
    let out = dir.path().join("f");
    let text = String::from_utf8(stdout_of(&[
        "frontier",
        path,
        "--budget-range",
        "1000:3000:1000",
        "--runs",
        "20",
        "--mean-field-runs",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]))
    .unwrap();
    assert!(text.contains("Optimal split by budget"), "{text}");
    assert!(out.join("frontier.csv").exists() && out.join("frontier.json").exists());
    let json: serde_json::Value =
        serde_json::from_slice(&stdout_of(&["sensitivity", path, "--runs", "10", "--json"]))
            .unwrap();
    let effects = json["effects"].as_array().unwrap();
    assert!(effects.len() > 10);
    let sizes: Vec<f64> = effects
        .iter()
        .map(|e| e["size"].as_f64().unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "ranked by size");
    let bad = ceq().args(["frontier", path]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let bad = ceq()
        .args(["optimize", path, "--objective", "median"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn budget_flag_overrides_the_scenario_budget_or_lifts_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path());
    let path = path.to_str().unwrap();
    let common = [
        "optimize",
        path,
        "--runs",
        "20",
        "--search-runs",
        "10",
        "--mean-field-runs",
        "5",
        "--json",
    ];
    let capped: serde_json::Value =
        serde_json::from_slice(&stdout_of(&[&common[..], &["--budget", "1200"]].concat())).unwrap();
    assert_eq!(capped["budget"], 1200.0);
    assert!(
        allocated(&capped) <= 1200.0 + 1e-6,
        "{}",
        allocated(&capped)
    );
    let uncapped: serde_json::Value =
        serde_json::from_slice(&stdout_of(&[&common[..], &["--budget", "none"]].concat())).unwrap();
    assert!(uncapped["budget"].is_null(), "{}", uncapped["budget"]);
    ceq()
        .args([&common[..], &["--budget=-5"]].concat())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("expected a budget per period"));
}

/// Customer-engine options of `runs` runs of `seed` (the plan is set by the caller).
fn customer_options(runs: u64, seed: u64) -> SimOptions {
    SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs,
        seed,
        engine: EngineKind::Customer,
        limits: Default::default(),
        control: Default::default(),
    }
}
