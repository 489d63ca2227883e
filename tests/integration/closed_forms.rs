//! Statistical acceptance tests: the per-customer engine's simulated means against the closed
//! forms of SPEC §1–9 and §15 (STYLE.md §9, "numbers tested honestly").
//!
//! Every comparison takes one quantity per run (customer equity, a period's orders, a cohort's
//! active count …), estimates its mean over the runs with the Monte Carlo standard error
//! SE = sd/√runs, and asserts two things:
//!
//! - **agreement**: |simulated mean − closed form| ≤ [`SE_MULTIPLE`] · SE (a false alarm about
//!   once in 16,000 comparisons for a correct engine; the seeds are fixed, so a test that passes
//!   passes every time);
//! - **power**: SE is below a stated fraction of the expected value (usually 1%, less where the
//!   wrong answer one would fear is close, e.g. "end" against "start" timing), so a wrong
//!   formula cannot hide inside a wide band.
//!
//! Scenarios are built in code with [`Scenario::new`] and [`Cohort::new`] so these tests do not
//! depend on the file parser. Sizes keep each test to a few seconds in release mode
//! (`cargo test --release --test integration closed_forms -- --nocapture` prints every
//! comparison).

use ceq::model::closed_form::{
    bd_response, bgnbd_expected_purchases, constant_retention_ce, gamma_gamma_mean,
    markov_chain_value, per_period_discount_factor, sbg_del, sbg_derl, sbg_survival,
};
use ceq::scenario::{
    Acquisition, CashFlowTiming, Channel, Cohort, Driver, DriverEffect, DriverParams, ExtraValue,
    Lever, OrderValue, ParameterDistribution, Plan, Purchases, ResponseCurve, Retention,
    RetentionProgram, Scenario, Shock, Shocks, SpendSchedule, Time, UncertainParameter,
};
use ceq::sim::{EngineKind, RunResult, SimOptions, run};
use ceq::stats::describe::describe;
use nalgebra::{DMatrix, DVector};

// ---------------------------------------------------------------------------------------------
// Builders and the comparison helper
// ---------------------------------------------------------------------------------------------

/// How many Monte Carlo standard errors a simulated mean may be from its closed form.
const SE_MULTIPLE: f64 = 4.0;

fn time(periods: u32, periods_per_year: u32, discount_rate: f64, timing: CashFlowTiming) -> Time {
    Time::new(periods, periods_per_year, discount_rate, timing)
}

/// A cohort with fixed purchases and constant order value: no heterogeneity at all.
fn contract_cohort(name: &str, customers: u64, retention: f64, orders: f64, value: f64) -> Cohort {
    Cohort::new(
        name,
        customers,
        Retention::Rate { rate: retention },
        Purchases::Fixed { n: orders },
        OrderValue::Constant { mean: value },
    )
}

/// A plan spending a constant amount per period on each listed lever, nothing on the others.
fn plan(spend: &[(Lever, f64)]) -> Plan {
    let mut plan = Plan::named("test".to_string());
    for &(lever, amount) in spend {
        plan.set(lever, SpendSchedule::new(vec![amount]).unwrap(), 0);
    }
    plan
}

/// Replaces the scenario's plans by `plan` alone.
fn with_plan(mut scenario: Scenario, plan: Plan) -> Scenario {
    scenario.set_plans(vec![plan]).unwrap();
    scenario
}

/// Runs the customer engine on the scenario's first plan.
fn simulate(scenario: &Scenario, runs: u64, seed: u64) -> Vec<RunResult> {
    run(
        scenario,
        &SimOptions {
            plan: ceq::scenario::PlanId::FIRST,
            runs,
            seed,
            engine: EngineKind::Customer,
            limits: Default::default(),
            control: Default::default(),
        },
    )
    .expect("the simulation runs")
    .runs
}

/// Per-period discount rate d = 1/δ − 1 of SPEC §1.
fn per_period_rate(time: &Time) -> f64 {
    1.0 / per_period_discount_factor(time.discount_rate(), time.periods_per_year()) - 1.0
}

/// Discount factor of period t (1-based) computed here from SPEC §1, not by the engine.
fn disc(time: &Time, t: u32) -> f64 {
    let delta = per_period_discount_factor(time.discount_rate(), time.periods_per_year());
    match time.cash_flow_timing() {
        CashFlowTiming::End => delta.powi(t as i32),
        CashFlowTiming::Start => delta.powi(t as i32 - 1),
    }
}

/// Mean of a per-run quantity with its Monte Carlo standard error sd/√runs.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    mean: f64,
    se: f64,
}

fn estimate(values: impl IntoIterator<Item = f64>) -> Estimate {
    let values: Vec<f64> = values.into_iter().collect();
    let d = describe(&values);
    Estimate {
        mean: d.mean,
        se: d.std_error,
    }
}

/// Asserts that the per-run `values` have a mean within [`SE_MULTIPLE`] standard errors of
/// `expected`, and that the standard error is below `max_relative_se` × |expected| (power).
/// Prints the comparison for `-- --nocapture`.
fn check(
    label: &str,
    values: impl IntoIterator<Item = f64>,
    expected: f64,
    max_relative_se: f64,
) -> Estimate {
    let est = estimate(values);
    let z = (est.mean - expected) / est.se;
    println!(
        "{label}: simulated {:.6} vs closed form {:.6}; SE {:.3e} ({:.3}% of expected), z = {z:+.2}",
        est.mean,
        expected,
        est.se,
        100.0 * est.se / expected.abs()
    );
    assert!(
        est.se > 0.0 && est.se < max_relative_se * expected.abs(),
        "{label}: the Monte Carlo SE {:.3e} must be positive and below {}% of the expected \
         {expected:.6}, or the test could not tell a wrong formula from noise",
        est.se,
        100.0 * max_relative_se
    );
    assert!(
        (est.mean - expected).abs() <= SE_MULTIPLE * est.se,
        "{label}: simulated mean {:.6} is {:.2} SE from the closed form {expected:.6} \
         (SE {:.3e}); at most {SE_MULTIPLE} SE allowed",
        est.mean,
        z.abs(),
        est.se
    );
    est
}

/// Asserts |actual − expected| ≤ tolerance · max(1, |expected|) (for deterministic quantities).
fn assert_exact(label: &str, actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance * expected.abs().max(1.0),
        "{label}: {actual} differs from {expected} by more than {tolerance:e} (relative)"
    );
}

// ---------------------------------------------------------------------------------------------
// 1–3. Constant retention (SPEC §1)
// ---------------------------------------------------------------------------------------------

/// One cohort of N with retention r, one order per period worth 50 at margin 0.4 (20), extra
/// value 3 + 2 and cost to serve 4: net margin m = 21 per active customer per period.
fn constant_retention_scenario(time: Time, customers: u64, retention: f64) -> Scenario {
    let mut cohort = contract_cohort("base", customers, retention, 1.0, 50.0);
    cohort.set_margin(0.4);
    cohort.set_extra_value(ExtraValue::new(3.0, 0.0, 2.0));
    cohort.set_cost_to_serve(4.0);
    Scenario::build("constant-retention", time, vec![cohort]).unwrap()
}

const CONSTANT_PURCHASE_MARGIN: f64 = 0.4 * 50.0;
const CONSTANT_EXTRA: f64 = 5.0;
const CONSTANT_COST: f64 = 4.0;
const CONSTANT_M: f64 = CONSTANT_PURCHASE_MARGIN + CONSTANT_EXTRA - CONSTANT_COST;

/// Checks CE and each component of a constant-retention run against `factor` × the per-period
/// amounts, where `factor` = E[Σ_t disc(t)·active_t] from the closed form with m = 1.
fn check_constant_retention(label: &str, runs: &[RunResult], factor: f64, max_se: f64) {
    check(
        &format!("{label}: CE"),
        runs.iter().map(|r| r.customer_equity),
        factor * CONSTANT_M,
        max_se,
    );
    check(
        &format!("{label}: purchase margin"),
        runs.iter().map(|r| r.components.purchase_margin),
        factor * CONSTANT_PURCHASE_MARGIN,
        max_se,
    );
    check(
        &format!("{label}: extra value"),
        runs.iter().map(|r| r.components.extra_value),
        factor * CONSTANT_EXTRA,
        max_se,
    );
    check(
        &format!("{label}: cost to serve (negative)"),
        runs.iter().map(|r| r.components.cost_to_serve),
        -factor * CONSTANT_COST,
        max_se,
    );
    for r in runs {
        assert!(r.components.cost_to_serve < 0.0 && r.components.extra_value > 0.0);
        assert_eq!(r.components.acquisition, 0.0);
        assert_eq!(r.components.onboarding, 0.0);
        assert_eq!(r.components.retention, 0.0);
        assert_eq!(r.components.drivers, 0.0);
    }
}

/// Yearly periods at 10% make d = 0.1, so "end" and "start" timing differ by 10% and a timing
/// mix-up is 100 SE away.
fn infinite_horizon_case(timing: CashFlowTiming, seed: u64) {
    let retention = 0.8;
    let customers = 5000;
    let t = time(60, 1, 0.10, timing);
    let d = per_period_rate(&t);
    assert_exact("d", d, 0.10, 1e-12);
    // The horizon is long enough that the infinite-horizon remainder is negligible.
    assert!((retention / (1.0 + d)).powi(t.periods() as i32) < 1e-6);
    let scenario = constant_retention_scenario(t.clone(), customers, retention);
    let runs = simulate(&scenario, 200, seed);
    let factor = constant_retention_ce(customers as f64, 1.0, retention, d, None, timing);
    let label = format!("constant retention, {timing:?} timing, infinite horizon");
    check_constant_retention(&label, &runs, factor, 0.005);
}

#[test]
fn constant_retention_end_timing_infinite_horizon() {
    infinite_horizon_case(CashFlowTiming::End, 11);
    // The closed form itself, SPEC §1: N·m/(1 + d − r).
    assert_exact(
        "N·m/(1+d−r)",
        constant_retention_ce(5000.0, 21.0, 0.8, 0.1, None, CashFlowTiming::End),
        5000.0 * 21.0 / 0.3,
        1e-12,
    );
}

#[test]
fn constant_retention_start_timing_infinite_horizon() {
    infinite_horizon_case(CashFlowTiming::Start, 12);
    assert_exact(
        "N·m(1+d)/(1+d−r)",
        constant_retention_ce(5000.0, 21.0, 0.8, 0.1, None, CashFlowTiming::Start),
        5000.0 * 21.0 * 1.1 / 0.3,
        1e-12,
    );
}

#[test]
fn constant_retention_finite_horizon() {
    // Monthly periods, H = 24: the infinite-horizon value times 1 − (r/(1 + d))^24 ≈ 0.93.
    let retention = 0.9;
    let customers = 5000;
    for (timing, seed) in [(CashFlowTiming::End, 13), (CashFlowTiming::Start, 14)] {
        let t = time(24, 12, 0.10, timing);
        let d = per_period_rate(&t);
        let scenario = constant_retention_scenario(t.clone(), customers, retention);
        let runs = simulate(&scenario, 200, seed);
        let infinite = constant_retention_ce(customers as f64, 1.0, retention, d, None, timing);
        let factor = infinite * (1.0 - (retention / (1.0 + d)).powi(24));
        assert_exact(
            "finite-horizon closed form",
            constant_retention_ce(customers as f64, 1.0, retention, d, Some(24), timing),
            factor,
            1e-12,
        );
        let label = format!("constant retention, {timing:?} timing, H = 24 months");
        check_constant_retention(&label, &runs, factor, 0.005);
        // Power against the infinite-horizon formula: it is more than 50 SE away.
        let ce = estimate(runs.iter().map(|r| r.customer_equity));
        assert!((infinite * CONSTANT_M - ce.mean).abs() > 50.0 * ce.se);
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Shifted-beta-geometric (Fader & Hardie 2007, 2010)
// ---------------------------------------------------------------------------------------------

fn sbg_cohort(customers: u64, alpha: f64, beta: f64) -> Cohort {
    Cohort::new(
        "contract",
        customers,
        Retention::ShiftedBetaGeometric { alpha, beta },
        Purchases::Fixed { n: 1.0 },
        OrderValue::Constant { mean: 1.0 },
    )
}

#[test]
fn sbg_survival_counts() {
    // Fader & Hardie (2007) "regular" segment: α = 0.704, β = 1.182, 1000 customers, yearly.
    let (alpha, beta) = (0.704, 1.182);
    let spec = [1000.0, 626.7, 473.8, 388.0, 332.1, 292.4];
    let scenario = Scenario::build(
        "sbg",
        time(6, 1, 0.10, CashFlowTiming::End),
        vec![sbg_cohort(1000, alpha, beta)],
    )
    .unwrap();
    let runs = simulate(&scenario, 2000, 21);
    // Period 1 is the whole base, exactly.
    assert!(runs.iter().all(|r| r.periods[0].active == 1000.0));
    for (t, &quoted) in spec.iter().enumerate().skip(1) {
        let expected = 1000.0 * sbg_survival(alpha, beta, t as u32);
        // SPEC quotes one decimal.
        assert!(
            (expected - quoted).abs() <= 0.05,
            "S({t}): {expected} vs SPEC {quoted}"
        );
        check(
            &format!("sBG active in period {} = 1000·S({t})", t + 1),
            runs.iter().map(|r| r.periods[t].active),
            expected,
            0.01,
        );
    }
}

#[test]
fn sbg_discounted_expected_lifetime() {
    // "start" timing, margin 1 per period, yearly periods at d = 0.10: CE/N = Σ_{t≥0} S(t)/1.1^t
    // = DEL. The sBG tail is heavy (S(t) ~ t^−α), so H = 200 years: the remainder is below
    // S(200)·1.1^−200·11 < 1e-7.
    let (alpha, beta, d) = (0.704, 1.182, 0.10);
    let customers = 5000;
    let scenario = Scenario::build(
        "sbg-del",
        time(200, 1, d, CashFlowTiming::Start),
        vec![sbg_cohort(customers, alpha, beta)],
    )
    .unwrap();
    let runs = simulate(&scenario, 200, 22);
    let del = sbg_del(alpha, beta, d).expect("DEL converges");
    let by_sum: f64 = (0..2000)
        .map(|t| sbg_survival(alpha, beta, t) / (1.0 + d).powi(t as i32))
        .sum();
    assert_exact("DEL by its series", del, by_sum, 1e-9);
    check(
        "sBG DEL (α = 0.704, β = 1.182, d = 0.10): CE/N",
        runs.iter().map(|r| r.customer_equity / customers as f64),
        del,
        0.005,
    );
}

/// DERL(d | n) from a simulation: a customer who has made n − 1 renewals has the posterior
/// θ ~ Beta(α, β + n − 1) (Fader & Hardie 2010), so its survival over the next k renewals is
/// S'(k) = B(α, β + n − 1 + k)/B(α, β + n − 1) = S(n − 1 + k)/S(n − 1), and
///
/// DERL(d | n) = Σ_{t≥n} S(t)/S(n − 1)/(1 + d)^(t−n) = Σ_{k≥1} S'(k)·δ^(k−1)
///             = (1 + d)·(DEL' − 1),
///
/// DEL' = Σ_{k≥0} S'(k) δ^k the DEL of the posterior. A "start"-timing cohort of N with
/// retention sBG(α, β + n − 1) and margin 1 has CE/N = DEL', i.e. period 1 (everyone, worth
/// exactly N, undiscounted) plus the residual; so DERL = (1 + d)·(CE − N)/N, run by run.
#[test]
fn sbg_discounted_expected_residual_lifetime() {
    let (alpha, beta, d) = (3.80, 15.20, 0.10);
    let customers = 5000;
    for (n, quoted, seed) in [(1u32, 3.31, 23), (3, 3.59, 24)] {
        let posterior_beta = beta + f64::from(n) - 1.0;
        let scenario = Scenario::build(
            "sbg-derl",
            time(150, 1, d, CashFlowTiming::Start),
            vec![sbg_cohort(customers, alpha, posterior_beta)],
        )
        .unwrap();
        let runs = simulate(&scenario, 200, seed);
        let derl = sbg_derl(alpha, beta, d, n).expect("DERL converges");
        assert_exact("SPEC §15 DERL", derl, quoted, 0.005 / quoted);
        assert_exact(
            "DERL = (1 + d)(DEL of the posterior − 1)",
            derl,
            (1.0 + d) * (sbg_del(alpha, posterior_beta, d).unwrap() - 1.0),
            1e-10,
        );
        let n_f = customers as f64;
        check(
            &format!("sBG DERL(0.10 | n = {n}) (α = 3.80, β = 15.20): (1 + d)(CE − N)/N"),
            runs.iter()
                .map(|r| (1.0 + d) * (r.customer_equity - n_f) / n_f),
            derl,
            0.005,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Markov chain of tiers (Pfeifer & Carraway 2000)
// ---------------------------------------------------------------------------------------------

#[test]
fn markov_chain_of_tiers() {
    // Three tiers with constant retention, fixed purchases and constant order value; churn is
    // decided before migration, so P_ij = r_i·m_ij (j ≠ i) and P_ii = r_i·(1 − Σ_j m_ij).
    let names = ["platinum", "gold", "iron"];
    let customers = [500u64, 1500, 3000];
    let retention = [0.95, 0.90, 0.80];
    let orders = [2.0, 1.0, 1.0];
    let order_value = [100.0, 60.0, 30.0];
    let margin = 0.3;
    let cost_to_serve = [2.0, 1.0, 0.5];
    let migration: [&[(usize, f64)]; 3] = [&[(1, 0.05)], &[(0, 0.03), (2, 0.05)], &[(1, 0.04)]];
    let t = time(36, 12, 0.10, CashFlowTiming::End);

    let cohorts = (0..3)
        .map(|i| {
            let mut c = contract_cohort(
                names[i],
                customers[i],
                retention[i],
                orders[i],
                order_value[i],
            );
            c.set_margin(margin);
            c.set_cost_to_serve(cost_to_serve[i]);
            c.set_referral_cohort(i);
            c
        })
        .collect();
    let mut scenario = Scenario::build("tiers", t.clone(), cohorts).unwrap();
    scenario
        .set_migration(migration.iter().map(|row| row.to_vec()).collect())
        .unwrap();

    let mut p = DMatrix::<f64>::zeros(3, 3);
    for i in 0..3 {
        let moving: f64 = migration[i].iter().map(|&(_, m)| m).sum();
        p[(i, i)] = retention[i] * (1.0 - moving);
        for &(j, m) in migration[i] {
            p[(i, j)] = retention[i] * m;
        }
    }
    let v = DVector::from_fn(3, |i, _| {
        margin * orders[i] * order_value[i] - cost_to_serve[i]
    });
    let initial = DVector::from_fn(3, |i, _| customers[i] as f64);
    let delta = per_period_discount_factor(t.discount_rate(), t.periods_per_year());
    let expected = markov_chain_value(
        &p,
        &v,
        delta,
        Some(t.periods()),
        t.cash_flow_timing(),
        &initial,
    )
    .expect("finite-horizon chain value");

    // Per-state decomposition: π_t = π_1 P^(t−1); tier c's share is Σ_t disc(t)·π_t[c]·v_c.
    let mut by_tier = [0.0; 3];
    let mut active_by_period = Vec::new();
    let mut population = initial.transpose();
    for period in 1..=t.periods() {
        for c in 0..3 {
            by_tier[c] += disc(&t, period) * population[c] * v[c];
        }
        active_by_period.push(population.sum());
        population = &population * &p;
    }
    assert_exact(
        "per-tier values sum to the chain value",
        by_tier.iter().sum(),
        expected,
        1e-10,
    );

    let runs = simulate(&scenario, 200, 31);
    check(
        "Markov chain of tiers: CE vs π₁ Σ (δP)^(t−1) v",
        runs.iter().map(|r| r.customer_equity),
        expected,
        0.005,
    );
    for c in 0..3 {
        check(
            &format!("Markov chain: {} customer equity", names[c]),
            runs.iter().map(|r| r.cohorts[c].customer_equity),
            by_tier[c],
            0.01,
        );
    }
    for period in [2u32, 12, 36] {
        check(
            &format!("Markov chain: active in period {period}"),
            runs.iter().map(|r| r.periods[period as usize - 1].active),
            active_by_period[period as usize - 1],
            0.01,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Acquisition (SPEC §4, Blattberg & Deighton 1996)
// ---------------------------------------------------------------------------------------------

#[test]
fn acquisition_response_curves() {
    let prospects = 100_000u64;
    let ceiling = 0.05;
    let spend = 20_000.0;
    let onboarding_cost = 15.0;
    let mix = [0.3, 0.7];
    let s = spend / prospects as f64;
    // The three response forms, each with its acquisition probability computed here.
    let (k, h, shape) = (5.0, 0.25, 2.0);
    let forms = [
        (
            "exponential",
            ResponseCurve::Exponential { k },
            bd_response(ceiling, k, s),
        ),
        (
            "half-spend",
            ResponseCurve::HalfSpend { half_spend: h },
            ceiling * (1.0 - 2f64.powf(-s / h)),
        ),
        (
            "Hill",
            ResponseCurve::Hill {
                half_spend: h,
                shape,
            },
            ceiling * s.powf(shape) / (s.powf(shape) + h.powf(shape)),
        ),
    ];
    let t = time(12, 12, 0.10, CashFlowTiming::End);
    let discount_sum: f64 = (1..=t.periods()).map(|p| disc(&t, p)).sum();
    for (i, (name, curve, probability)) in forms.into_iter().enumerate() {
        let cohorts = vec![contract_cohort("first", 0, 0.5, 1.0, 10.0), {
            let mut cohort = contract_cohort("second", 0, 0.5, 1.0, 10.0);
            cohort.set_referral_cohort(1);
            cohort
        }];
        let mut scenario = Scenario::build("acquisition", t.clone(), cohorts).unwrap();
        scenario
            .set_acquisition(Some(Acquisition::single(
                Channel::new("acquisition", prospects, ceiling, curve, mix.to_vec())
                    .with_onboarding_cost(onboarding_cost),
            )))
            .unwrap();
        let scenario = with_plan(scenario, plan(&[(Lever::Acquisition, spend)]));
        let runs = simulate(&scenario, 100, 41 + i as u64);
        let expected_new = prospects as f64 * probability;
        check(
            &format!("acquisition ({name}): new customers per period"),
            runs.iter()
                .map(|r| r.periods.iter().map(|p| p.new).sum::<f64>() / t.periods() as f64),
            expected_new,
            0.005,
        );
        check(
            &format!("acquisition ({name}): new customers in period 1"),
            runs.iter().map(|r| r.periods[0].new),
            expected_new,
            0.01,
        );
        for (c, share) in mix.iter().enumerate() {
            check(
                &format!("acquisition ({name}): cohort {c} entered (mix {share})"),
                runs.iter().map(|r| r.cohorts[c].entered),
                share * expected_new * t.periods() as f64,
                0.005,
            );
        }
        check(
            &format!("acquisition ({name}): onboarding = −cost × E[new] discounted"),
            runs.iter().map(|r| r.components.onboarding),
            -onboarding_cost * expected_new * discount_sum,
            0.005,
        );
        for r in &runs {
            assert_exact(
                "acquisition component = −Σ disc·spend",
                r.components.acquisition,
                -spend * discount_sum,
                1e-12,
            );
            assert_eq!(r.periods[0].active, r.periods[0].new);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Order values (SPEC §2; Fader, Hardie & Lee 2005)
// ---------------------------------------------------------------------------------------------

#[test]
fn mean_order_values() {
    let (p, q, gamma) = (6.25, 3.74, 15.44);
    let gg_mean = gamma_gamma_mean(p, q, gamma);
    assert_exact("SPEC §14 Gamma-Gamma mean", gg_mean, 35.22, 5e-3 / 35.22);
    assert_exact("p·γ/(q − 1)", gg_mean, p * gamma / (q - 1.0), 1e-15);
    let forms = [
        (
            "Gamma-Gamma",
            OrderValue::GammaGamma { p, q, gamma },
            gg_mean,
        ),
        (
            "Gamma {mean, cv}",
            OrderValue::Gamma {
                mean: 50.0,
                cv: 0.7,
            },
            50.0,
        ),
        (
            "Gamma {mean, cv, customer_cv}",
            OrderValue::HeterogeneousGamma {
                mean: 50.0,
                cv: 0.7,
                customer_cv: 0.6,
            },
            50.0,
        ),
    ];
    for (i, (name, order_value, expected)) in forms.into_iter().enumerate() {
        // Poisson orders are independent of order values, so E[revenue/orders | orders] is the
        // mean order value exactly: the per-run ratio is unbiased.
        let cohort = Cohort::new(
            "shoppers",
            20_000,
            Retention::Rate { rate: 1.0 },
            Purchases::Poisson { mean: 2.0 },
            order_value,
        );
        let scenario = Scenario::build(
            "order-value",
            time(1, 12, 0.10, CashFlowTiming::End),
            vec![cohort],
        )
        .unwrap();
        let runs = simulate(&scenario, 50, 51 + i as u64);
        check(
            &format!("mean order value ({name}): revenue/orders"),
            runs.iter()
                .map(|r| r.periods[0].revenue / r.periods[0].orders),
            expected,
            0.005,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 8. BG/NBD (Fader, Hardie & Lee 2005)
// ---------------------------------------------------------------------------------------------

#[test]
fn bgnbd_formula_reproduces_spec_with_unrounded_cdnow_estimates() {
    // SPEC §15's figures come from the unrounded maximum-likelihood estimates; the rounded
    // r = 0.243, α = 4.414, a = 0.793, b = 2.426 give 0.0533, 0.1509, 1.0420 instead.
    let full = |t| bgnbd_expected_purchases(0.242594, 4.413595, 0.792919, 2.425946, t).unwrap();
    assert_exact("E[X(1)]", full(1.0), 0.0532, 5e-5);
    assert_exact("E[X(3)]", full(3.0), 0.1506, 5e-5);
    assert_exact("E[X(31.857)]", full(31.857), 1.0405, 5e-5);
}

#[test]
fn bgnbd_expected_purchases_of_new_customers() {
    // A weekly cohort of new customers with SPEC §14's fitted CDNOW block: purchases NBD with
    // mean r/α per week and shape r, dropout Beta(a, b). The simulation and the formula use
    // the same (rounded) parameters. Orders in (0, t] per customer, run by run.
    let (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426);
    let cohort = |customers| {
        Cohort::new(
            "cdnow",
            customers,
            Retention::Dropout { alpha: a, beta: b },
            Purchases::NegativeBinomial {
                mean: r / alpha,
                shape: r,
            },
            OrderValue::Constant { mean: 1.0 },
        )
    };
    let cumulative = |run: &RunResult, t: usize, customers: u64| {
        run.periods[..t].iter().map(|p| p.orders).sum::<f64>() / customers as f64
    };
    // Short horizon, many customers: E[X(1)] ≈ 0.053 needs about 10⁶ customer draws for a 1% SE.
    let customers = 20_000;
    let short = Scenario::build(
        "cdnow-short",
        time(3, 52, 0.10, CashFlowTiming::End),
        vec![cohort(customers)],
    )
    .unwrap();
    let runs = simulate(&short, 100, 61);
    for t in [1usize, 3] {
        check(
            &format!("BG/NBD E[X({t})]"),
            runs.iter().map(|run| cumulative(run, t, customers)),
            bgnbd_expected_purchases(r, alpha, a, b, t as f64).unwrap(),
            0.01,
        );
    }
    // Long horizon: 78 weeks.
    let customers = 5_000;
    let long = Scenario::build(
        "cdnow-long",
        time(78, 52, 0.10, CashFlowTiming::End),
        vec![cohort(customers)],
    )
    .unwrap();
    let runs = simulate(&long, 40, 62);
    for t in [32usize, 78] {
        check(
            &format!("BG/NBD E[X({t})]"),
            runs.iter().map(|run| cumulative(run, t, customers)),
            bgnbd_expected_purchases(r, alpha, a, b, t as f64).unwrap(),
            0.01,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 9 and 12. Accounting identities and reproducibility on a scenario with every feature
// ---------------------------------------------------------------------------------------------

/// Four cohorts (mean/concentration with NBD and Gamma, sBG with Poisson and customer_cv,
/// BG/NBD dropout with Gamma-Gamma, constant retention with a contract), migration, referrals,
/// acquisition with onboarding, a retention programme, all three drivers, both shocks and
/// parameter uncertainty, under a plan that spends on every lever.
fn every_feature_scenario() -> Scenario {
    let mut platinum = Cohort::new(
        "platinum",
        300,
        Retention::MeanConcentration {
            mean: 0.93,
            concentration: 12.0,
        },
        Purchases::NegativeBinomial {
            mean: 1.4,
            shape: 2.0,
        },
        OrderValue::Gamma {
            mean: 85.0,
            cv: 0.5,
        },
    );
    platinum.set_margin(0.32);
    platinum.set_cost_to_serve(1.2);
    platinum.set_referrals(0.01);
    platinum.set_extra_value(ExtraValue::new(0.2, 0.1, 0.5));
    platinum.set_sensitivity([1.0, 1.5, 1.0]);
    let mut gold = Cohort::new(
        "gold",
        600,
        Retention::ShiftedBetaGeometric {
            alpha: 0.704,
            beta: 1.182,
        },
        Purchases::Poisson { mean: 1.0 },
        OrderValue::HeterogeneousGamma {
            mean: 60.0,
            cv: 0.5,
            customer_cv: 0.4,
        },
    );
    gold.set_margin(0.3);
    gold.set_referrals(0.02);
    gold.set_referral_cohort(0);
    let mut shoppers = Cohort::new(
        "shoppers",
        800,
        Retention::Dropout {
            alpha: 0.793,
            beta: 2.426,
        },
        Purchases::NegativeBinomial {
            mean: 0.243 / 4.414 * 4.0,
            shape: 0.243,
        },
        OrderValue::GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        },
    );
    shoppers.set_margin(0.25);
    shoppers.set_referral_cohort(2);
    let mut iron = contract_cohort("iron", 1000, 0.8, 1.0, 20.0);
    iron.set_margin(0.5);
    iron.set_cost_to_serve(3.0);
    iron.set_referral_cohort(3);

    let mut scenario = Scenario::build(
        "everything",
        time(24, 12, 0.10, CashFlowTiming::End),
        vec![platinum, gold, shoppers, iron],
    )
    .unwrap();
    scenario
        .set_migration(vec![
            vec![(1, 0.02)],
            vec![(0, 0.01), (3, 0.03)],
            vec![],
            vec![(1, 0.02)],
        ])
        .unwrap();
    scenario
        .set_acquisition(Some(Acquisition::single(
            Channel::new(
                "acquisition",
                50_000,
                0.02,
                ResponseCurve::HalfSpend { half_spend: 0.25 },
                vec![0.1, 0.3, 0.4, 0.2],
            )
            .with_onboarding_cost(15.0),
        )))
        .unwrap();
    scenario
        .set_retention_program(Some(RetentionProgram::new(
            0.35,
            ResponseCurve::HalfSpend { half_spend: 4.0 },
            Some(vec![0.4, 0.4, 0.1, 0.1]),
        )))
        .unwrap();
    let driver = |half_spend, effect| DriverParams::new(0.6, half_spend, 0.5, effect);
    scenario
        .set_driver(
            Driver::Value,
            Some(driver(3000.0, DriverEffect::new(0.25, 0.10, 0.05))),
        )
        .unwrap();
    scenario
        .set_driver(
            Driver::Brand,
            Some(driver(2000.0, DriverEffect::new(0.2, 0.3, 0.0))),
        )
        .unwrap();
    scenario
        .set_driver(
            Driver::Relationship,
            Some(driver(1000.0, DriverEffect::new(0.4, 0.0, 0.1))),
        )
        .unwrap();
    scenario
        .set_shocks(Shocks::new(
            Some(Shock::new(0.05, 0.6)),
            Some(Shock::new(0.10, 0.6)),
        ))
        .unwrap();
    let uncertain = |path: &str, distribution| UncertainParameter::new(path, distribution);
    scenario
        .set_uncertainty(vec![
            uncertain(
                "acquisition.response.ceiling",
                ParameterDistribution::Normal {
                    mean: 0.02,
                    sd: 0.003,
                },
            ),
            uncertain(
                "cohorts.platinum.retention.mean",
                ParameterDistribution::Beta {
                    mean: 0.93,
                    concentration: 400.0,
                },
            ),
            uncertain(
                "drivers.brand.effect.retention",
                ParameterDistribution::Triangular {
                    low: 0.1,
                    mode: 0.2,
                    high: 0.4,
                },
            ),
            uncertain(
                "cohorts.iron.order_value.mean",
                ParameterDistribution::LogNormal {
                    median: 20.0,
                    sigma: 0.1,
                },
            ),
            uncertain(
                "time.discount_rate",
                ParameterDistribution::Uniform {
                    low: 0.08,
                    high: 0.12,
                },
            ),
        ])
        .unwrap();
    with_plan(
        scenario,
        plan(&[
            (Lever::Acquisition, 5_000.0),
            (Lever::Retention, 2_000.0),
            (Lever::Value, 1_000.0),
            (Lever::Brand, 2_000.0),
            (Lever::Relationship, 500.0),
        ]),
    )
}

#[test]
fn accounting_identities_hold_in_every_run() {
    let scenario = every_feature_scenario();
    let runs = simulate(&scenario, 200, 91);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
    for (k, r) in runs.iter().enumerate() {
        let c = &r.components;
        let sum = c.purchase_margin
            + c.extra_value
            + c.cost_to_serve
            + c.acquisition
            + c.onboarding
            + c.retention
            + c.drivers;
        assert!(
            close(sum, r.customer_equity),
            "run {k}: components sum {sum} ≠ CE {}",
            r.customer_equity
        );
        let by_origin = r.origin.existing + r.origin.new + c.drivers;
        assert!(
            close(by_origin, r.customer_equity),
            "run {k}: existing + new + drivers = {by_origin} ≠ CE {}",
            r.customer_equity
        );
        // SPEC §9: cohort shares exclude acquisition, onboarding and driver spend.
        let by_cohort: f64 = r.cohorts.iter().map(|x| x.customer_equity).sum::<f64>()
            + c.acquisition
            + c.onboarding
            + c.drivers;
        assert!(
            close(by_cohort, r.customer_equity),
            "run {k}: cohorts + acquisition + onboarding + drivers = {by_cohort} ≠ CE {}",
            r.customer_equity
        );
        let last = r.periods.last().expect("periods").cumulative_ce;
        assert!(
            close(last, r.customer_equity),
            "run {k}: last cumulative_ce {last} ≠ CE {}",
            r.customer_equity
        );
        assert_eq!(r.periods.len(), scenario.time().periods() as usize);
        assert!(c.purchase_margin > 0.0 && c.extra_value > 0.0);
        assert!(c.cost_to_serve < 0.0 && c.acquisition < 0.0 && c.onboarding < 0.0);
        assert!(c.retention < 0.0 && c.drivers < 0.0);
        let entered_or_new: f64 = r.periods.iter().map(|p| p.new).sum();
        assert!(
            entered_or_new > 0.0,
            "run {k}: acquisition and referrals add customers"
        );
    }
}

#[test]
fn runs_are_identical_at_any_thread_count() {
    let scenario = every_feature_scenario();
    let in_pool = |threads: usize, seed: u64| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool")
            .install(|| simulate(&scenario, 24, seed))
    };
    let one = in_pool(1, 1);
    let two = in_pool(2, 1);
    assert!(one == two, "1 and 2 threads must give identical runs");
    assert_eq!(one.len(), 24);
    let other_seed = in_pool(2, 2);
    assert!(one != other_seed, "seeds 1 and 2 must give different runs");
    assert!(
        one.iter()
            .zip(&other_seed)
            .all(|(a, b)| a.customer_equity != b.customer_equity),
        "every run differs between seeds"
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Retention programme (SPEC §5)
// ---------------------------------------------------------------------------------------------

#[test]
fn retention_programme_lifts_retention() {
    // One cohort of N with constant retention r0 and net margin m per period; a retention
    // budget R per period, all of it to this cohort. In period 1 exactly N are active, so the
    // spend per customer is s = R/N and churn propensity (1 − r0) is scaled by 1 − ℓ(s):
    // r1 = 1 − (1 − r0)(1 − ℓ(s)). Two yearly periods ("end" timing, δ = 1/1.1):
    //   E[active_2] = N·r1,
    //   E[CE] = δ(N·m − R) + δ²(N·r1·m − R·P(active_2 > 0)),
    // the retention spend being charged only while someone is active (P = 1 − (1 − r1)^N).
    let (customers, r0, m) = (10_000u64, 0.7, 10.0);
    let budget = 40_000.0;
    let s = budget / customers as f64;
    let max_cut = 0.35;
    let forms = [
        (
            "half-spend",
            ResponseCurve::HalfSpend { half_spend: 4.0 },
            1.0 - 2f64.powf(-s / 4.0),
        ),
        (
            "exponential",
            ResponseCurve::Exponential { k: 0.2 },
            1.0 - (-0.2 * s).exp(),
        ),
        (
            "Hill",
            ResponseCurve::Hill {
                half_spend: 3.0,
                shape: 1.5,
            },
            s.powf(1.5) / (s.powf(1.5) + 3f64.powf(1.5)),
        ),
    ];
    let t = time(2, 1, 0.10, CashFlowTiming::End);
    let delta = 1.0 / 1.1;
    for (i, (name, curve, fraction)) in forms.into_iter().enumerate() {
        let mut scenario = Scenario::build(
            "retention",
            t.clone(),
            vec![contract_cohort("base", customers, r0, 1.0, m)],
        )
        .unwrap();
        scenario
            .set_retention_program(Some(RetentionProgram::new(max_cut, curve, None)))
            .unwrap();
        let scenario = with_plan(scenario, plan(&[(Lever::Retention, budget)]));
        let runs = simulate(&scenario, 200, 101 + i as u64);
        let r1 = 1.0 - (1.0 - r0) * (1.0 - max_cut * fraction);
        let n = customers as f64;
        let still_spending = 1.0 - (1.0 - r1).powf(n);
        let active = check(
            &format!("retention programme ({name}): active in period 2 = N·r1"),
            runs.iter().map(|r| r.periods[1].active),
            n * r1,
            0.001,
        );
        // Power: the unlifted N·r0 is hundreds of SE away.
        assert!((active.mean - n * r0).abs() > 100.0 * active.se);
        check(
            &format!("retention programme ({name}): CE"),
            runs.iter().map(|r| r.customer_equity),
            delta * (n * m - budget) + delta * delta * (n * r1 * m - budget * still_spending),
            0.001,
        );
        for r in &runs {
            assert_exact(
                "retention component = −Σ disc·R",
                r.components.retention,
                -budget * (delta + delta * delta),
                1e-12,
            );
        }
    }
}

#[test]
fn retention_programme_allocation_across_cohorts() {
    // Two cohorts share the budget 50/50, so their spend per customer differs: s_c = R·w_c/N_c.
    let sizes = [4_000u64, 12_000];
    let r0 = [0.6, 0.8];
    let budget = 40_000.0;
    let shares = [0.5, 0.5];
    let half_spend = 4.0;
    let max_cut = 0.5;
    let cohorts = vec![contract_cohort("small", sizes[0], r0[0], 1.0, 10.0), {
        let mut cohort = contract_cohort("large", sizes[1], r0[1], 1.0, 10.0);
        cohort.set_referral_cohort(1);
        cohort
    }];
    let mut scenario =
        Scenario::build("allocation", time(1, 1, 0.10, CashFlowTiming::End), cohorts).unwrap();
    scenario
        .set_retention_program(Some(RetentionProgram::new(
            max_cut,
            ResponseCurve::HalfSpend { half_spend },
            Some(shares.to_vec()),
        )))
        .unwrap();
    let scenario = with_plan(scenario, plan(&[(Lever::Retention, budget)]));
    let runs = simulate(&scenario, 200, 111);
    for c in 0..2 {
        let s = budget * shares[c] / sizes[c] as f64;
        let lifted = 1.0 - (1.0 - r0[c]) * (1.0 - max_cut * (1.0 - 2f64.powf(-s / half_spend)));
        check(
            &format!("retention allocation: cohort {c} survivors (s = {s:.3})"),
            runs.iter().map(|r| r.cohorts[c].active_end),
            sizes[c] as f64 * lifted,
            0.002,
        );
        for r in &runs {
            // Each cohort is charged its share, discounted one year.
            assert_exact(
                "cohort CE = (N·m − R·w)/1.1",
                r.cohorts[c].customer_equity,
                (sizes[c] as f64 * 10.0 - budget * shares[c]) / 1.1,
                1e-12,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 11. Equity drivers and shocks (SPEC §6, §8)
// ---------------------------------------------------------------------------------------------

const DRIVER_SPEND: f64 = 20_000.0;
const DRIVER_MAX_LIFT: f64 = 0.6;
const DRIVER_HALF_SPEND: f64 = 30_000.0;
const DRIVER_CARRYOVER: f64 = 0.5;
const PURCHASE_EFFECT: f64 = 0.3;
const VALUE_SENSITIVITY: f64 = 1.5;

/// Lifts L_1..L_H of a driver with constant spend, from SPEC §6: E_t = S + carryover·E_{t−1},
/// L_t = max_lift·(1 − 2^(−E_t/half_spend)).
fn driver_lifts(periods: u32) -> Vec<f64> {
    let mut adstock = 0.0;
    (0..periods)
        .map(|_| {
            adstock = DRIVER_SPEND + DRIVER_CARRYOVER * adstock;
            DRIVER_MAX_LIFT * (1.0 - 2f64.powf(-adstock / DRIVER_HALF_SPEND))
        })
        .collect()
}

/// N customers who never leave and buy Poisson(λ = 1) orders, with the value driver lifting
/// purchases only (effect e = 0.3 per rating point, the cohort's sensitivity σ = 1.5).
fn purchase_driver_scenario(customers: u64, periods: u32, shocks: Shocks) -> Scenario {
    let mut cohort = Cohort::new(
        "loyal",
        customers,
        Retention::Rate { rate: 1.0 },
        Purchases::Poisson { mean: 1.0 },
        OrderValue::Constant { mean: 10.0 },
    );
    let mut sensitivity = cohort.sensitivity();
    sensitivity[Driver::Value.index()] = VALUE_SENSITIVITY;
    cohort.set_sensitivity(sensitivity);
    let mut scenario = Scenario::build(
        "driver",
        time(periods, 12, 0.10, CashFlowTiming::End),
        vec![cohort],
    )
    .unwrap();
    scenario
        .set_driver(
            Driver::Value,
            Some(DriverParams::new(
                DRIVER_MAX_LIFT,
                DRIVER_HALF_SPEND,
                DRIVER_CARRYOVER,
                DriverEffect::new(0.0, 0.0, PURCHASE_EFFECT),
            )),
        )
        .unwrap();
    scenario.set_shocks(shocks).unwrap();
    with_plan(scenario, plan(&[(Lever::Value, DRIVER_SPEND)]))
}

#[test]
fn driver_lifts_purchases() {
    let (customers, periods) = (10_000u64, 6u32);
    let scenario = purchase_driver_scenario(customers, periods, Shocks::default());
    let runs = simulate(&scenario, 100, 121);
    let lifts = driver_lifts(periods);
    for (i, lift) in lifts.iter().enumerate() {
        let expected = customers as f64 * (VALUE_SENSITIVITY * PURCHASE_EFFECT * lift).exp();
        let orders = check(
            &format!("driver: orders in period {} (L = {lift:.4})", i + 1),
            runs.iter().map(|r| r.periods[i].orders),
            expected,
            0.002,
        );
        // Power: without the lift (or without the sensitivity) the mean is far off.
        assert!((orders.mean - customers as f64).abs() > 20.0 * orders.se);
        let unscaled = customers as f64 * (PURCHASE_EFFECT * lift).exp();
        assert!((orders.mean - unscaled).abs() > 20.0 * orders.se);
    }
    let t = &scenario.time();
    let discount_sum: f64 = (1..=periods).map(|p| disc(t, p)).sum();
    for r in &runs {
        assert_exact(
            "driver component = −Σ disc·spend",
            r.components.drivers,
            -DRIVER_SPEND * discount_sum,
            1e-12,
        );
    }
}

#[test]
fn demand_shock_leaves_expected_orders_unchanged() {
    // The demand multiplier exp(x_t − sd²/2) has mean one, so the expected orders are those of
    // the unshocked model even though each run's orders move together.
    let (customers, periods) = (200u64, 12u32);
    let shocks = Shocks::new(Some(Shock::new(0.2, 0.6)), None);
    let scenario = purchase_driver_scenario(customers, periods, shocks);
    let runs = simulate(&scenario, 4000, 131);
    let lifts = driver_lifts(periods);
    let expected =
        |i: usize| customers as f64 * (VALUE_SENSITIVITY * PURCHASE_EFFECT * lifts[i]).exp();
    for i in [0usize, 5, 11] {
        let orders = check(
            &format!("demand shock: orders in period {}", i + 1),
            runs.iter().map(|r| r.periods[i].orders),
            expected(i),
            0.01,
        );
        // The shock is really there: the run-to-run sd is far above the Poisson sd.
        let sd = orders.se * 4000f64.sqrt();
        assert!(
            sd > 2.0 * expected(i).sqrt(),
            "sd {sd} shows no demand shock"
        );
    }
    check(
        "demand shock: total orders",
        runs.iter()
            .map(|r| r.periods.iter().map(|p| p.orders).sum::<f64>()),
        (0..periods as usize).map(expected).sum(),
        0.01,
    );
}

#[test]
fn churn_shock_has_mean_one() {
    // Constant retention r = 1 − θ with a churn shock C_t: a customer survives period t with
    // probability 1 − θ·C_t (θ·C_t < 1 but for a ~1e-8 tail at these values), so
    //   E[active_2] = N·(1 − θ·E[C_1]) = N·r                       (mean one),
    //   E[active_3] = N·(1 − 2θ + θ²·E[C_1·C_2]) = N·(1 − 2θ + θ²·e^(ρ·sd²)),
    // since x_1 + x_2 ~ N(0, 2sd²(1 + ρ)) and C_1·C_2 = exp(x_1 + x_2 − sd²).
    let (customers, rate, sd, rho) = (10_000u64, 0.8, 0.3, 0.6);
    let theta = 1.0 - rate;
    let mut scenario = Scenario::build(
        "churn-shock",
        time(3, 12, 0.10, CashFlowTiming::End),
        vec![contract_cohort("base", customers, rate, 1.0, 10.0)],
    )
    .unwrap();
    scenario
        .set_shocks(Shocks::new(None, Some(Shock::new(sd, rho))))
        .unwrap();
    let runs = simulate(&scenario, 2000, 141);
    let n = customers as f64;
    let second = check(
        "churn shock: active in period 2 = N·r",
        runs.iter().map(|r| r.periods[1].active),
        n * rate,
        0.01,
    );
    // The shock is really there: the run-to-run sd is far above the binomial sd.
    let sd_runs = second.se * 2000f64.sqrt();
    assert!(sd_runs > 5.0 * (n * rate * theta).sqrt());
    check(
        "churn shock: active in period 3 = N(1 − 2θ + θ²e^(ρ·sd²))",
        runs.iter().map(|r| r.periods[2].active),
        n * (1.0 - 2.0 * theta + theta * theta * (rho * sd * sd).exp()),
        0.01,
    );
}

// ---------------------------------------------------------------------------------------------
// Referrals (SPEC §3 step 4)
// ---------------------------------------------------------------------------------------------

#[test]
fn referrals_join_next_period() {
    // Cohort "source" (N, retention r) refers Poisson(ρ) customers per active customer per
    // period into "referred", whose customers stay one period and refer nobody:
    //   E[new_t] = ρ·N·r^(t−2) for t ≥ 2 (none in period 1),
    //   E[CE of referred] = Σ_{t≥2} disc(t)·ρ·N·r^(t−2)·m_referred = E[origin.new].
    // A cohort that refers into itself grows as E[active_t] = N·(r + ρ)^(t−1).
    let (customers, rate, rho, m) = (10_000u64, 0.9, 0.05, 7.0);
    let t = time(6, 12, 0.10, CashFlowTiming::End);
    let mut source = contract_cohort("source", customers, rate, 1.0, 10.0);
    source.set_referrals(rho);
    source.set_referral_cohort(1);
    let referred = {
        let mut cohort = contract_cohort("referred", 0, 0.0, 1.0, m);
        cohort.set_referral_cohort(1);
        cohort
    };
    let mut self_referring = contract_cohort("growing", customers, rate, 1.0, 10.0);
    self_referring.set_referrals(rho);
    self_referring.set_referral_cohort(2);
    let scenario = Scenario::build(
        "referrals",
        t.clone(),
        vec![source, referred, self_referring],
    )
    .unwrap();
    let runs = simulate(&scenario, 400, 151);
    let n = customers as f64;
    assert!(runs.iter().all(|r| r.periods[0].new == 0.0));
    let mut referred_ce = 0.0;
    for period in 2..=t.periods() {
        let from_source = rho * n * rate.powi(period as i32 - 2);
        let from_growing = rho * n * (rate + rho).powi(period as i32 - 2);
        referred_ce += disc(&t, period) * from_source * m;
        check(
            &format!("referrals: new customers in period {period}"),
            runs.iter().map(|r| r.periods[period as usize - 1].new),
            from_source + from_growing,
            0.01,
        );
    }
    check(
        "referrals: CE of the referred cohort",
        runs.iter().map(|r| r.cohorts[1].customer_equity),
        referred_ce,
        0.01,
    );
    let growing_ce: f64 = (1..=t.periods())
        .map(|p| disc(&t, p) * n * (rate + rho).powi(p as i32 - 1) * 10.0)
        .sum();
    check(
        "referrals: CE of the self-referring cohort",
        runs.iter().map(|r| r.cohorts[2].customer_equity),
        growing_ce,
        0.005,
    );
    check(
        "referrals: origin.new = value of the referred customers",
        runs.iter().map(|r| r.origin.new),
        referred_ce + growing_ce
            - n * 10.0
                * (1..=t.periods())
                    .map(|p| disc(&t, p) * rate.powi(p as i32 - 1))
                    .sum::<f64>(),
        0.01,
    );
}

// ---------------------------------------------------------------------------------------------
// Drivers on retention and acquisition (SPEC §4, §6)
// ---------------------------------------------------------------------------------------------

#[test]
fn driver_lifts_retention_and_acquisition() {
    // The brand driver cuts churn hazards by exp(−σ·e_r·L_t) (σ = the cohort's sensitivity)
    // and multiplies the acquisition probability by exp(e_a·L_t) (no sensitivity: acquisition
    // happens before a customer has a cohort). With constant retention r and acquisition into
    // the same cohort, expected active customers follow a linear recursion:
    //   E[new_t] = P·a(s)·exp(e_a·L_t),
    //   E[active_t] = E[active_{t−1}]·(1 − θ·exp(−σ·e_r·L_{t−1})) + E[new_t].
    let (customers, rate, sensitivity) = (5_000u64, 0.8, 2.0);
    let (effect_retention, effect_acquisition) = (0.5, 0.4);
    let (prospects, ceiling, acquisition_spend, half) = (50_000u64, 0.04, 10_000.0, 0.5);
    let periods = 6u32;
    let mut cohort = contract_cohort("base", customers, rate, 1.0, 10.0);
    let mut sensitivities = cohort.sensitivity();
    sensitivities[Driver::Brand.index()] = sensitivity;
    cohort.set_sensitivity(sensitivities);
    let mut scenario = Scenario::build(
        "driver-retention",
        time(periods, 12, 0.10, CashFlowTiming::End),
        vec![cohort],
    )
    .unwrap();
    scenario
        .set_driver(
            Driver::Brand,
            Some(DriverParams::new(
                DRIVER_MAX_LIFT,
                DRIVER_HALF_SPEND,
                DRIVER_CARRYOVER,
                DriverEffect::new(effect_retention, effect_acquisition, 0.0),
            )),
        )
        .unwrap();
    scenario
        .set_acquisition(Some(Acquisition::single(Channel::new(
            "acquisition",
            prospects,
            ceiling,
            ResponseCurve::HalfSpend { half_spend: half },
            vec![1.0],
        ))))
        .unwrap();
    let scenario = with_plan(
        scenario,
        plan(&[
            (Lever::Brand, DRIVER_SPEND),
            (Lever::Acquisition, acquisition_spend),
        ]),
    );
    let runs = simulate(&scenario, 200, 161);
    let lifts = driver_lifts(periods);
    let s = acquisition_spend / prospects as f64;
    let base_probability = ceiling * (1.0 - 2f64.powf(-s / half));
    let theta = 1.0 - rate;
    let mut active = customers as f64;
    for t in 1..=periods as usize {
        let new = prospects as f64 * base_probability * (effect_acquisition * lifts[t - 1]).exp();
        if t > 1 {
            let hazard = (-sensitivity * effect_retention * lifts[t - 2]).exp();
            active *= 1.0 - theta * hazard;
        }
        active += new;
        let acquired = check(
            &format!("driver: new customers in period {t}"),
            runs.iter().map(|r| r.periods[t - 1].new),
            new,
            0.01,
        );
        // Power: the unlifted acquisition is far off.
        assert!((acquired.mean - prospects as f64 * base_probability).abs() > 10.0 * acquired.se);
        check(
            &format!("driver: active in period {t}"),
            runs.iter().map(|r| r.periods[t - 1].active),
            active,
            0.005,
        );
    }
}
