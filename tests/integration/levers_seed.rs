//! The seed articles' pyramid levers (issue 17): the development programme against the Markov
//! chain (I − δP(s))⁻¹v with the upgraded matrix, win-back against the deterministic recursion
//! of the lapsed pool, off-boarding against the closed form with retention r·(1 − share), the
//! optimizer against a brute-force grid, both engines against each other and thread counts
//! against each other. Every statistical check is within a stated multiple of the Monte Carlo
//! standard error, on fixed seeds.

use ceq::model::closed_form::constant_retention_ce;
use ceq::optimize::objective::{MonteCarloObjective, Objective};
use ceq::optimize::{Settings, Silent, optimize};
use ceq::scenario::{CashFlowTiming, Format, Lever, Plan, Scenario, SpendSchedule, parse_str};
use ceq::sim::{EngineKind, RunResult, SimOptions, run};
use ceq::stats::describe::describe;

/// Monte Carlo checks pass within this many standard errors.
const Z: f64 = 4.0;

fn scenario(text: &str) -> Scenario {
    parse_str(text, "levers.toml", "levers", Format::Toml).expect("a valid scenario")
}

fn simulate(scenario: &Scenario, runs: u64, seed: u64, engine: EngineKind) -> Vec<RunResult> {
    run(
        scenario,
        &SimOptions {
            plan: ceq::scenario::PlanId::FIRST,
            runs,
            seed,
            engine,
            limits: Default::default(),
            control: Default::default(),
        },
    )
    .expect("the simulation runs")
    .runs
}

/// Mean and standard error of `f` over runs.
fn mean_se(runs: &[RunResult], f: impl Fn(&RunResult) -> f64) -> (f64, f64) {
    let d = describe(&runs.iter().map(f).collect::<Vec<_>>());
    (d.mean, d.std_error)
}

fn assert_within(what: &str, (mean, se): (f64, f64), expected: f64) {
    assert!(
        (mean - expected).abs() <= Z * se + 1e-9 * expected.abs(),
        "{what}: simulated {mean} ± {se}, expected {expected} (off by {:.2} SE)",
        (mean - expected) / se
    );
}

/// Σ_{t=1..H} δ^t n₀ᵀ Q^{t−1} v = δ n₀ᵀ (I − δQ)⁻¹ (I − (δQ)^H) v (Pfeifer & Carraway 2000),
/// with the inverse applied by Gaussian elimination and the truncation by H products.
fn markov_ce(n0: &[f64], q: &[Vec<f64>], v: &[f64], delta: f64, horizon: u32) -> f64 {
    let k = v.len();
    let dq = |x: &[f64]| -> Vec<f64> {
        (0..k)
            .map(|i| (0..k).map(|j| delta * q[i][j] * x[j]).sum())
            .collect()
    };
    // w = (I − (δQ)^H) v
    let mut power = v.to_vec();
    for _ in 0..horizon {
        power = dq(&power);
    }
    let w: Vec<f64> = (0..k).map(|i| v[i] - power[i]).collect();
    // Solve (I − δQ) x = w.
    let mut a: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            let mut row: Vec<f64> = (0..k)
                .map(|j| f64::from(u8::from(i == j)) - delta * q[i][j])
                .collect();
            row.push(w[i]);
            row
        })
        .collect();
    for col in 0..k {
        let pivot = (col..k)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let factor = r[col] / pivot_row[col];
                for (x, p) in r.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= factor * p;
                }
            }
        }
    }
    let x: Vec<f64> = (0..k).map(|i| a[i][k] / a[i][i]).collect();
    delta * n0.iter().zip(&x).map(|(n, x)| n * x).sum::<f64>()
}

/// Three tiers with `{ rate }` retention and a development programme. Without churn
/// (`churn = false`) the base is constant, so spend per customer is budget / N exactly; with
/// churn the programme spends on iron only and its response is saturated (s ≫ half_spend).
fn chain(churn: bool) -> Scenario {
    let (rates, response, allocation, budget) = if churn {
        (
            [0.8, 0.9, 0.95],
            "{ half_spend = 0.001 }",
            "allocation = { iron = 1.0 }",
            1000.0,
        )
    } else {
        // N = 6000 customers, half_spend = 0.5, budget 3000: s = 0.5, f(s) = 1/2.
        ([1.0, 1.0, 1.0], "{ half_spend = 0.5 }", "", 3000.0)
    };
    scenario(&format!(
        r#"
[time]
periods = 20
periods_per_year = 1
discount_rate = 0.25

[[cohorts]]
name = "iron"
customers = 4000
retention = {{ rate = {} }}
purchases = {{ mean = 1.0 }}
order_value = {{ mean = 20.0 }}
margin = 0.5
cost_to_serve = 2.0

[[cohorts]]
name = "gold"
customers = 1500
retention = {{ rate = {} }}
purchases = {{ mean = 2.0 }}
order_value = {{ mean = 50.0 }}
margin = 0.5

[[cohorts]]
name = "platinum"
customers = 500
retention = {{ rate = {} }}
purchases = {{ mean = 3.0 }}
order_value = {{ mean = 80.0 }}
margin = 0.5
extra_value = {{ information = 4.0 }}

[migration]
gold = {{ iron = 0.10 }}
platinum = {{ gold = 0.05 }}

[development_program]
response = {response}
{allocation}
upgrades = {{ iron = {{ gold = 0.20 }}, gold = {{ platinum = 0.10 }} }}
max_purchase_lift = 0.3
max_churn_reduction = 0.4

[plans.current]
development = {budget}
"#,
        rates[0], rates[1], rates[2]
    ))
}

/// The expected CE of [`chain`] from the upgraded matrix P(s) at response fractions `fs` by
/// cohort (0 where the programme spends nothing).
fn chain_closed_form(
    scenario: &Scenario,
    fs: [f64; 3],
    spend_per_customer: [f64; 3],
    fixed: f64,
) -> f64 {
    let program = scenario.development_program().unwrap();
    let k = scenario.cohorts().len();
    let delta: f64 = 1.0 / 1.25;
    let mut q = vec![vec![0.0; k]; k];
    let mut v = vec![0.0; k];
    for (c, cohort) in scenario.cohorts().iter().enumerate() {
        let f = fs[c];
        let row = program.row(&scenario.migration()[c], c, f);
        let moving: f64 = row.iter().map(|(_, p)| p).sum();
        let rate = match cohort.retention() {
            ceq::scenario::Retention::Rate { rate } => rate,
            _ => unreachable!(),
        };
        let retained = 1.0 - (1.0 - rate) * (1.0 - program.max_churn_reduction() * f);
        q[c][c] = retained * (1.0 - moving);
        for (to, p) in row {
            q[c][to] += retained * p;
        }
        let (orders, value) = match (cohort.purchases(), cohort.order_value()) {
            (
                ceq::scenario::Purchases::Poisson { mean },
                ceq::scenario::OrderValue::Constant { mean: value },
            ) => (mean, value),
            _ => unreachable!(),
        };
        v[c] = cohort.margin() * orders * (1.0 + program.max_purchase_lift() * f) * value
            + cohort.extra_value().total()
            - cohort.cost_to_serve()
            - spend_per_customer[c];
    }
    let n0: Vec<f64> = scenario
        .cohorts()
        .iter()
        .map(|c| c.customers() as f64)
        .collect();
    let horizon = scenario.time().periods();
    let annuity: f64 = (1..=horizon).map(|t| delta.powi(t as i32)).sum();
    markov_ce(&n0, &q, &v, delta, horizon) - fixed * annuity
}

#[test]
fn development_matches_the_upgraded_markov_chain_at_fixed_spend_per_customer() {
    let scenario = chain(false);
    // s = 3000 / 6000 = 0.5 = half_spend: f = 1/2 for everyone in every period.
    let expected = chain_closed_form(&scenario, [0.5; 3], [0.5; 3], 0.0);
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        let runs = simulate(&scenario, 200, 7, engine);
        assert_within(
            &format!("CE, {engine:?} engine"),
            mean_se(&runs, |r| r.customer_equity),
            expected,
        );
        // Without the programme the same chain is worth clearly less: the test can fail.
        let without = chain_closed_form(&scenario, [0.0; 3], [0.0; 3], 0.0);
        let (mean, se) = mean_se(&runs, |r| r.customer_equity);
        assert!((mean - without).abs() > 10.0 * se, "{mean} vs {without}");
    }
}

#[test]
fn development_with_churn_matches_the_chain_with_its_churn_cut() {
    let scenario = chain(true);
    // Iron gets 1000 a period, s ≥ 1000 / 4000 ≫ 0.001: f = 1 exactly (and 0 for the tiers
    // it does not fund); the cost is the budget in every period (iron never empties within
    // 20 periods).
    let expected = chain_closed_form(&scenario, [1.0, 0.0, 0.0], [0.0; 3], 1000.0);
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        let runs = simulate(&scenario, 200, 11, engine);
        assert_within(
            &format!("CE, {engine:?} engine"),
            mean_se(&runs, |r| r.customer_equity),
            expected,
        );
        let annuity: f64 = (1..=20).map(|t| 1.25f64.powi(-t)).sum();
        let development = runs[0].components.development;
        assert!(
            (development + 1000.0 * annuity).abs() < 1e-6,
            "the programme spends its budget every period: {development}"
        );
    }
}

const WINBACK: &str = r#"
[time]
periods = 24
discount_rate = 0.1

[[cohorts]]
name = "regular"
customers = 30000
retention = { rate = 0.92 }
purchases = { mean = 1.0 }
order_value = { mean = 30.0 }
margin = 0.4

[winback]
response = { max_reactivation = 0.3, half_spend = 0.5 }
onboarding_cost = 3.0
decay = 0.1
pool = { regular = 20000 }

[plans.current]
winback = 6000
"#;

#[test]
fn winback_follows_the_deterministic_recursion_in_expectation() {
    let scenario = scenario(WINBACK);
    let (r, decay, ceiling, half) = (0.92, 0.1, 0.3, 0.5);
    let budget = 6000.0;
    // E[P_t], E[R_t], E[A_t]: R = P·ceiling·(1 − 2^(−(B/P)/h)); A gains R; C = (1 − r)·A;
    // P' = (P − R)(1 − decay) + C. The response is evaluated at the expected pool; with pools
    // of 10⁴ and more its curvature moves E[R] by under 10⁻⁴ of itself, a tenth of the
    // standard errors below.
    let (mut pool, mut active) = (20000.0, 30000.0);
    let mut expected = Vec::new();
    for _ in 0..24 {
        let back = pool * ceiling * (1.0 - 2f64.powf(-(budget / pool) / half));
        active += back;
        expected.push((pool, back));
        let churned = (1.0 - r) * active;
        active -= churned;
        pool = (pool - back) * (1.0 - decay) + churned;
    }
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        let runs = simulate(&scenario, 300, 5, engine);
        for (t, &(pool, back)) in expected.iter().enumerate() {
            assert_within(
                &format!("lapsed pool in period {}, {engine:?}", t + 1),
                mean_se(&runs, |run| run.periods[t].lapsed),
                pool,
            );
            assert_within(
                &format!("reactivations in period {}, {engine:?}", t + 1),
                mean_se(&runs, |run| run.periods[t].reactivated),
                back,
            );
        }
        // The cost: the budget while the pool is non-empty, and onboarding per reactivation.
        let run = &runs[0];
        let factor = 1.1f64.powf(-1.0 / 12.0);
        let spend: f64 = (1..=24).map(|t| budget * factor.powi(t)).sum();
        assert!((run.components.winback + spend).abs() < 1e-6 * spend);
        let onboarding: f64 = run
            .periods
            .iter()
            .enumerate()
            .map(|(i, p)| 3.0 * p.reactivated * factor.powi(i as i32 + 1))
            .sum();
        assert!((run.components.onboarding + onboarding).abs() < 1e-6 * onboarding);
    }
}

#[test]
fn offboarding_a_share_is_constant_retention_times_one_minus_the_share() {
    let text = r#"
[time]
periods = 48
discount_rate = 0.1

[[cohorts]]
name = "lead"
customers = 5000
retention = { rate = 0.95 }
purchases = { fixed = 1 }
order_value = { mean = 10.0 }
margin = 0.3
cost_to_serve = 3.4

[plans.current]
offboard = { lead = 0.2 }
"#;
    let scenario = scenario(text);
    let d = 1.1f64.powf(1.0 / 12.0) - 1.0;
    let m = 0.3 * 10.0 - 3.4;
    let expected = constant_retention_ce(
        5000.0,
        m,
        0.95 * (1.0 - 0.2),
        d,
        Some(48),
        CashFlowTiming::End,
    );
    let keep = constant_retention_ce(5000.0, m, 0.95, d, Some(48), CashFlowTiming::End);
    assert!(
        expected > keep,
        "releasing loss-making customers adds value"
    );
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        let runs = simulate(&scenario, 300, 3, engine);
        assert_within(
            &format!("CE, {engine:?}"),
            mean_se(&runs, |r| r.customer_equity),
            expected,
        );
        // Released in period 1: 20% of those who did not churn.
        assert_within(
            &format!("released in period 1, {engine:?}"),
            mean_se(&runs, |r| r.periods[0].released),
            5000.0 * 0.95 * 0.2,
        );
    }
}

/// Iron customers upgrade cheaply into gold; lead customers cost more to serve than they bring.
const PYRAMID: &str = r#"
[time]
periods = 10
periods_per_year = 1
discount_rate = 0.1

[[cohorts]]
name = "gold"
customers = 300
retention = { rate = 0.9 }
purchases = { fixed = 1 }
order_value = { mean = 100.0 }
margin = 0.5

[[cohorts]]
name = "iron"
customers = 1000
retention = { rate = 0.8 }
purchases = { fixed = 1 }
order_value = { mean = 20.0 }
margin = 0.25

[[cohorts]]
name = "lead"
customers = 800
retention = { rate = 0.9 }
purchases = { fixed = 1 }
order_value = { mean = 10.0 }
margin = 0.2
cost_to_serve = 6.0

[development_program]
response = { half_spend = 4.0 }
allocation = { iron = 1.0 }
upgrades = { iron = { gold = 0.3 } }

[plans.current]
development = 0

[optimize]
budget = 40000
levers = ["development"]
bounds = { "offboard.lead" = [0, 1] }
"#;

fn pyramid_plan(scenario: &Scenario, development: f64, lead: f64) -> Plan {
    let mut plan = Plan::named("grid".to_string());
    plan.set(
        Lever::Development,
        SpendSchedule::new(vec![development]).unwrap(),
        0,
    );
    plan.set_offboard(scenario.cohort_id("lead").unwrap(), lead)
        .unwrap();
    plan
}

#[test]
fn the_optimizer_funds_cheap_upgrades_and_offboards_loss_making_customers() {
    let scenario = scenario(PYRAMID);
    let value = |plan: &Plan| {
        MonteCarloObjective {
            scenario: &scenario,
            runs: 200,
            seed: 9_001,
            engine: EngineKind::Auto,
            criterion: ceq::scenario::Objective::Mean,
            hurdle: None,
            limits: Default::default(),
            control: Default::default(),
        }
        .score(plan)
        .unwrap()
    };
    let mut best = f64::NEG_INFINITY;
    for development in (0..=10).map(|k| 4000.0 * f64::from(k)) {
        for lead in [0.0, 0.25, 0.5, 0.75, 1.0] {
            best = best.max(value(&pyramid_plan(&scenario, development, lead)));
        }
    }
    let mut settings = Settings::new(
        scenario.optimize().cloned().unwrap(),
        ceq::scenario::PlanId::FIRST,
    );
    settings.runs = 200;
    let result = optimize(&scenario, &settings, &mut Silent).unwrap();
    let chosen = value(&result.plan);
    let spend = result.plan.spend()[Lever::Development].amounts()[0];
    eprintln!(
        "chosen {chosen:.0} vs grid {best:.0}: development {spend}, lead {:?}",
        result.plan.offboard()
    );
    assert!(
        chosen >= best - 0.01 * best.abs(),
        "the optimizer's plan scores {chosen}, the best grid point {best}"
    );
    assert!(spend > 1000.0, "development is funded: {spend}");
    assert!(
        result
            .plan
            .offboard_share(scenario.cohort_id("lead").unwrap())
            > 0.9,
        "lead customers are off-boarded: {:?}",
        result.plan.offboard()
    );
    assert_eq!(
        result
            .plan
            .offboard_share(scenario.cohort_id("gold").unwrap()),
        0.0,
        "gold is kept"
    );
}

/// Every new feature at once, with Beta churn so the cohort engine stratifies.
const EVERYTHING: &str = r#"
[time]
periods = 36
discount_rate = 0.1

[[cohorts]]
name = "gold"
customers = 4000
retention = { mean = 0.95, concentration = 30 }
purchases = { mean = 1.5, shape = 2.0 }
order_value = { mean = 60.0, cv = 0.5 }
margin = 0.4

[[cohorts]]
name = "iron"
customers = 8000
retention = { mean = 0.9, concentration = 10 }
purchases = { mean = 1.0 }
order_value = { mean = 25.0 }
margin = 0.3

[[cohorts]]
name = "lead"
customers = 5000
retention = { rate = 0.9 }
purchases = { mean = 0.5 }
order_value = { mean = 10.0 }
margin = 0.2
cost_to_serve = 2.0

[migration]
gold = { iron = 0.02 }

[acquisition]
prospects = 20000
response = { ceiling = 0.02, half_spend = 0.2 }
mix = { iron = 0.5, lead = 0.5 }
onboarding_cost = 5.0

[development_program]
response = { half_spend = 2.0 }
allocation = { iron = 0.8, gold = 0.2 }
upgrades = { iron = { gold = 0.03 } }
max_purchase_lift = 0.1
max_churn_reduction = 0.2

[winback]
response = { max_reactivation = 0.1, k = 0.5 }
allocation = { gold = 0.6, iron = 0.4 }
reenter = "iron"
onboarding_cost = 4.0
decay = 0.05
pool = { gold = 500 }

[plans.current]
acquisition = 3000
development = 8000
winback = 2000
offboard = { lead = 0.15 }
"#;

#[test]
fn both_engines_agree_on_every_new_lever() {
    let scenario = scenario(EVERYTHING);
    let customer = simulate(&scenario, 200, 21, EngineKind::Customer);
    let cohort = simulate(&scenario, 200, 22, EngineKind::Cohort);
    let check = |what: &str, f: &dyn Fn(&RunResult) -> f64| {
        let (a, sa) = mean_se(&customer, f);
        let (b, sb) = mean_se(&cohort, f);
        let se = (sa * sa + sb * sb).sqrt();
        assert!(
            (a - b).abs() <= Z * se,
            "{what}: customer engine {a} ± {sa}, cohort engine {b} ± {sb}"
        );
    };
    check("CE", &|r| r.customer_equity);
    check("development spend", &|r| r.components.development);
    check("win-back spend", &|r| r.components.winback);
    check("lapsed at the end", &|r| r.periods[35].lapsed);
    check("reactivated", &|r| {
        r.periods.iter().map(|p| p.reactivated).sum()
    });
    check("released", &|r| r.periods.iter().map(|p| p.released).sum());
    check("gold at the end", &|r| r.cohorts[0].active_end);
    // Components still add up to CE and origins (with driver spend) too.
    for r in customer.iter().chain(&cohort).take(5) {
        let c = &r.components;
        let sum = c.purchase_margin
            + c.extra_value
            + c.cost_to_serve
            + c.acquisition
            + c.onboarding
            + c.retention
            + c.drivers
            + c.development
            + c.winback;
        assert!((sum - r.customer_equity).abs() < 1e-6 * r.customer_equity.abs());
        let origins = r.origin.existing + r.origin.new + c.drivers;
        assert!((origins - r.customer_equity).abs() < 1e-6 * r.customer_equity.abs());
    }
}

#[test]
fn new_levers_give_identical_runs_at_one_and_two_threads() {
    let scenario = scenario(EVERYTHING);
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        let in_pool = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool")
                .install(|| simulate(&scenario, 16, 3, engine))
        };
        let one = serde_json::to_string(&in_pool(1)).unwrap();
        let two = serde_json::to_string(&in_pool(2)).unwrap();
        assert!(
            one == two,
            "{engine:?}: 1 and 2 threads must give identical runs"
        );
    }
}

#[test]
fn bad_lever_sections_are_refused_with_file_line_and_key() {
    let text = r#"
[time]
periods = 12

[[cohorts]]
name = "iron"
customers = 10
retention = { rate = 0.9 }
purchases = { mean = 1.0 }
order_value = { mean = 10.0 }

[[cohorts]]
name = "gold"
customers = 10
retention = { rate = 0.9 }
purchases = { mean = 1.0 }
order_value = { mean = 10.0 }

[migration]
iron = { gold = 0.9 }

[development_program]
response = { half_spend = 3.0 }
upgrades = { iron = { gold = 0.2 }, gold = { gold = 0.1 } }

[winback]
response = { max_reactivation = 1.5, half_spend = 1.0 }
reenter = "silver"

[plans.current]
offboard = { iron = 2.0 }

[optimize]
bounds = { "offboard.gld" = [0, 1] }
"#;
    let error = parse_str(text, "bad.toml", "bad", Format::Toml).unwrap_err();
    let messages: Vec<String> = error.diagnostics.iter().map(|d| d.to_string()).collect();
    let has = |needle: &str| {
        assert!(
            messages.iter().any(|m| m.contains(needle)),
            "no problem mentions {needle:?}: {messages:#?}"
        )
    };
    has("bad.toml:24:");
    has("development_program.upgrades.iron");
    has("add up to 1.1");
    has("development_program.upgrades.gold.gold");
    has("winback.response.max_reactivation");
    has("unknown cohort `silver`");
    has("plans.current.offboard.iron");
    has("optimize.bounds.\"offboard.gld\"");
    has("did you mean `gold`?");
}
