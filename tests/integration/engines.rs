//! Engine agreement (issue 4): the cohort engine (counts per cohort and Gauss stratum) against
//! the per-customer engine (every customer, every period), and the exactness claims the cohort
//! engine rests on — the Gauss–Jacobi degree of its churn strata and the Gamma–Dirichlet split
//! of NBD purchase rates — against closed forms.
//!
//! [`assert_engines_agree`] runs both engines on one scenario with the same seed and checks,
//! for customer equity:
//!
//! - **means**: |mean_customer − mean_cohort| < 4·√(SE_customer² + SE_cohort²), SE = sd/√runs;
//! - **quantiles**: p05 and p95 within 3% of each other, relative to
//!   max(|p50|, p95 − p05) over both engines: the size of the median where CE is well away from
//!   zero, the width of its 90% range where it straddles zero (so the denominator never
//!   vanishes);
//! - **shape**: the two-sample Kolmogorov–Smirnov statistic D below the critical value at
//!   α = 0.001, c(α)·√((n + m)/(n·m)) with c(α) = √(−ln(α/2)/2);
//!
//! - **active customers**: every period's mean active count within 1% of each other;
//!
//! and the same mean test (4 combined SEs) for every component, both origins, each cohort's CE,
//! end count and entries, and per period the active and new customers, orders, revenue and
//! cumulative CE. A quantity with no spread in either engine (spend, period 1 with no
//! acquisition) must be equal to 1e-9.
//!
//! **Paired check.** With the same seed, run k of both engines draws the same `[uncertainty]`
//! parameters and the same shock paths (their own streams, SPEC §11), and differs only in how
//! customers are drawn. Where the cohort engine claims exactness (`approximations` empty), the
//! per-run differences therefore have mean zero, and their own standard error — much smaller
//! than the combined one when shocks and parameter draws dominate the spread — gives a second,
//! far more powerful test, also at 4 SE. The shared draws are also why the 3% quantile check is
//! meaningful on scenarios whose CE spread comes mostly from shocks and uncertainty.
//!
//! Every test uses a fixed seed, so a pass is a pass every time. Sizes keep the module to a few
//! tens of seconds in release mode; `cargo test --release --test integration engines --
//! --nocapture` prints every measured agreement.

use std::path::Path;
use std::time::Instant;

use ceq::model::closed_form::{constant_retention_ce, per_period_discount_factor, sbg_survival};
use ceq::model::dist::{beta, gamma};
use ceq::model::quadrature::QuadratureRule;
use ceq::scenario::{
    Acquisition, CashFlowTiming, Channel, Cohort, CohortId, Driver, DriverEffect, DriverParams,
    ExtraValue, Lever, OrderValue, ParameterDistribution, Plan, Purchases, ResponseCurve,
    Retention, RetentionProgram, Scenario, Shock, Shocks, SpendSchedule, Time, UncertainParameter,
    load_file,
};
use ceq::sim::cohort::support;
use ceq::sim::rng::{Stream, stream};
use ceq::sim::{EngineKind, RunResult, SimOptions, Simulation, choose_engine, run, run_plan_range};
use ceq::stats::describe::describe;
use rand::RngExt;

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

/// How many (combined) standard errors two means may differ by.
const SE_MULTIPLE: f64 = 4.0;
/// How far apart the two engines' p05 (and p95) may be, relative to max(|p50|, p95 − p05).
const QUANTILE_TOLERANCE: f64 = 0.03;
/// How far apart the engines' mean active customers of any period may be, relative.
const ACTIVE_TOLERANCE: f64 = 0.01;
/// Significance level of the two-sample Kolmogorov–Smirnov tests.
const KS_ALPHA: f64 = 0.001;

#[derive(Debug, Clone, Copy)]
struct Estimate {
    mean: f64,
    se: f64,
}

fn estimate(values: &[f64]) -> Estimate {
    let d = describe(values);
    Estimate {
        mean: d.mean,
        se: d.std_error,
    }
}

/// Two-sample Kolmogorov–Smirnov statistic D = sup_x |F_a(x) − F_b(x)| (ties handled by
/// stepping past every copy of a value in both samples before comparing).
pub(crate) fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    d
}

/// Critical value of the two-sample KS statistic at level `alpha` (asymptotic):
/// √(−ln(α/2)/2)·√((n + m)/(n·m)).
pub(crate) fn ks_critical(n: usize, m: usize, alpha: f64) -> f64 {
    let (n, m) = (n as f64, m as f64);
    (-(alpha / 2.0).ln() / 2.0).sqrt() * ((n + m) / (n * m)).sqrt()
}

/// Mean comparisons of one scenario, collecting every failure so a report shows all of them.
struct Tally {
    label: String,
    /// Per-run differences have mean zero (same seed, exact cohort engine).
    paired: bool,
    comparisons: usize,
    max_z: f64,
    worst: String,
    max_paired_z: f64,
    worst_paired: String,
    failures: Vec<String>,
}

impl Tally {
    fn new(label: &str, paired: bool) -> Self {
        Tally {
            label: label.to_string(),
            paired,
            comparisons: 0,
            max_z: 0.0,
            worst: String::new(),
            max_paired_z: 0.0,
            worst_paired: String::new(),
            failures: Vec::new(),
        }
    }

    /// `a` from the customer engine, `b` from the cohort engine, run by run.
    fn compare(&mut self, what: &str, a: &[f64], b: &[f64]) {
        self.comparisons += 1;
        let (ea, eb) = (estimate(a), estimate(b));
        let scale = ea.mean.abs().max(eb.mean.abs()).max(1.0);
        let diff = ea.mean - eb.mean;
        let combined = ea.se.hypot(eb.se);
        if combined <= 1e-12 * scale {
            if diff.abs() > 1e-9 * scale {
                self.failures.push(format!(
                    "{what}: no spread in either engine but {} ≠ {}",
                    ea.mean, eb.mean
                ));
            }
        } else {
            let z = diff / combined;
            if z.abs() > self.max_z {
                self.max_z = z.abs();
                self.worst = what.to_string();
            }
            if z.abs() > SE_MULTIPLE {
                self.failures.push(format!(
                    "{what}: customer {:.6} ± {:.3e}, cohort {:.6} ± {:.3e}: z = {z:+.2}",
                    ea.mean, ea.se, eb.mean, eb.se
                ));
            }
        }
        if self.paired {
            let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
            let ed = estimate(&d);
            if ed.se > 1e-12 * scale {
                let z = ed.mean / ed.se;
                if z.abs() > self.max_paired_z {
                    self.max_paired_z = z.abs();
                    self.worst_paired = what.to_string();
                }
                if z.abs() > SE_MULTIPLE {
                    self.failures.push(format!(
                        "{what} (paired by run): mean difference {:.6} ± {:.3e}: z = {z:+.2}",
                        ed.mean, ed.se
                    ));
                }
            }
        }
    }

    fn assert_passed(&self) {
        assert!(
            self.failures.is_empty(),
            "{}: the engines disagree on {} of {} comparisons:\n  {}",
            self.label,
            self.failures.len(),
            self.comparisons,
            self.failures.join("\n  ")
        );
    }
}

/// A named per-run quantity, and one indexed by cohort or period.
type Field = (&'static str, fn(&RunResult) -> f64);
type IndexedField = (&'static str, fn(&RunResult, usize) -> f64);

fn column(runs: &[RunResult], f: impl Fn(&RunResult) -> f64) -> Vec<f64> {
    runs.iter().map(f).collect()
}

/// What [`assert_engines_agree`] measured, for further checks and the report.
pub(crate) struct Agreement {
    pub(crate) customer: Simulation,
    pub(crate) cohort: Simulation,
    ce_customer: Estimate,
    ce_cohort: Estimate,
    max_paired_z: f64,
}

fn simulate(
    scenario: &Scenario,
    plan: ceq::scenario::PlanId,
    runs: u64,
    seed: u64,
    engine: EngineKind,
) -> (Simulation, f64) {
    let start = Instant::now();
    let sim = run(
        scenario,
        &SimOptions {
            plan,
            runs,
            seed,
            engine,
            limits: Default::default(),
            control: Default::default(),
        },
    )
    .unwrap_or_else(|e| panic!("the {} engine runs: {e}", engine.name()));
    assert_eq!(sim.engine, engine);
    (sim, start.elapsed().as_secs_f64())
}

/// Largest relative error the cohort engine may measure for the paired test to stay sharp: far
/// below the paired standard error of any test here (about 1e-3 of CE).
const NEGLIGIBLE: f64 = 1e-6;

/// Whether every approximation the cohort engine makes is measured and below [`NEGLIGIBLE`].
fn negligible_approximations(scenario: &Scenario) -> bool {
    support(scenario).is_ok_and(|approximations| {
        approximations
            .iter()
            .all(|a| a.relative_error.is_some_and(|e| e < NEGLIGIBLE))
    })
}

/// Runs the scenario's baseline plan on both engines with the same seed and asserts that they
/// agree in distribution (see the module docs for every check).
pub(crate) fn assert_engines_agree(
    label: &str,
    scenario: &Scenario,
    runs: u64,
    seed: u64,
) -> Agreement {
    let plan = scenario.baseline_plan();
    let (customer, t_customer) = simulate(scenario, plan, runs, seed, EngineKind::Customer);
    let (cohort, t_cohort) = simulate(scenario, plan, runs, seed, EngineKind::Cohort);
    let (a, b) = (&customer.runs, &cohort.runs);
    let exact = cohort.approximations.is_empty() || negligible_approximations(scenario);
    let mut tally = Tally::new(label, exact);

    // Customer equity: mean, quantiles, KS.
    let ce_a = column(a, |r| r.customer_equity);
    let ce_b = column(b, |r| r.customer_equity);
    tally.compare("customer equity", &ce_a, &ce_b);
    let (da, db) = (describe(&ce_a), describe(&ce_b));
    let denominator = da
        .p50
        .abs()
        .max(db.p50.abs())
        .max(da.p95 - da.p05)
        .max(db.p95 - db.p05);
    for (name, qa, qb) in [("p05", da.p05, db.p05), ("p95", da.p95, db.p95)] {
        if (qa - qb).abs() > QUANTILE_TOLERANCE * denominator {
            tally.failures.push(format!(
                "CE {name}: customer {qa:.4} vs cohort {qb:.4} differ by {:.2}% of {denominator:.4} \
                 (at most {}%)",
                100.0 * (qa - qb).abs() / denominator,
                100.0 * QUANTILE_TOLERANCE
            ));
        }
    }
    let ks = ks_statistic(&ce_a, &ce_b);
    let critical = ks_critical(ce_a.len(), ce_b.len(), KS_ALPHA);
    if ks >= critical {
        tally.failures.push(format!(
            "CE Kolmogorov–Smirnov D = {ks:.4} ≥ critical {critical:.4} at α = {KS_ALPHA}"
        ));
    }

    // Components and origins.
    let components: [Field; 9] = [
        ("purchase margin", |r| r.components.purchase_margin),
        ("extra value", |r| r.components.extra_value),
        ("cost to serve", |r| r.components.cost_to_serve),
        ("acquisition", |r| r.components.acquisition),
        ("onboarding", |r| r.components.onboarding),
        ("retention", |r| r.components.retention),
        ("drivers", |r| r.components.drivers),
        ("origin existing", |r| r.origin.existing),
        ("origin new", |r| r.origin.new),
    ];
    for (name, f) in components {
        tally.compare(name, &column(a, f), &column(b, f));
    }
    // Cohorts.
    for (c, cohort) in scenario.cohorts().iter().enumerate() {
        let name = &cohort.name();
        let fields: [IndexedField; 3] = [
            ("customer equity", |r, c| r.cohorts[c].customer_equity),
            ("active at the end", |r, c| r.cohorts[c].active_end),
            ("entered", |r, c| r.cohorts[c].entered),
        ];
        for (field, f) in fields {
            tally.compare(
                &format!("cohort {name} {field}"),
                &column(a, |r| f(r, c)),
                &column(b, |r| f(r, c)),
            );
        }
    }
    // Per-period active counts within 1% of each other.
    for t in 0..scenario.time().periods() as usize {
        let (ma, mb) = (
            estimate(&column(a, |r| r.periods[t].active)).mean,
            estimate(&column(b, |r| r.periods[t].active)).mean,
        );
        if (ma - mb).abs() > ACTIVE_TOLERANCE * ma.abs().max(mb.abs()) {
            tally.failures.push(format!(
                "period {} active: customer {ma:.2} vs cohort {mb:.2} differ by more than {}%",
                t + 1,
                100.0 * ACTIVE_TOLERANCE
            ));
        }
    }
    // Periods.
    for t in 0..scenario.time().periods() as usize {
        let fields: [IndexedField; 5] = [
            ("active", |r, t| r.periods[t].active),
            ("new", |r, t| r.periods[t].new),
            ("orders", |r, t| r.periods[t].orders),
            ("revenue", |r, t| r.periods[t].revenue),
            ("cumulative CE", |r, t| r.periods[t].cumulative_ce),
        ];
        for (field, f) in fields {
            tally.compare(
                &format!("period {} {field}", t + 1),
                &column(a, |r| f(r, t)),
                &column(b, |r| f(r, t)),
            );
        }
    }

    let (ea, eb) = (estimate(&ce_a), estimate(&ce_b));
    println!(
        "{label}: {runs} runs, seed {seed}\n  CE customer {:.1} ± {:.1} ({t_customer:.2} s), cohort \
         {:.1} ± {:.1} ({t_cohort:.2} s)\n  p05 {:.1} vs {:.1}, p95 {:.1} vs {:.1} (tolerance \
         {:.1})\n  KS D = {ks:.4} vs critical {critical:.4}\n  {} mean comparisons: max |z| = \
         {:.2} ({}){}{}",
        ea.mean,
        ea.se,
        eb.mean,
        eb.se,
        da.p05,
        db.p05,
        da.p95,
        db.p95,
        QUANTILE_TOLERANCE * denominator,
        tally.comparisons,
        tally.max_z,
        tally.worst,
        if exact {
            format!(
                "; paired max |z| = {:.2} ({})",
                tally.max_paired_z, tally.worst_paired
            )
        } else {
            String::new()
        },
        if exact {
            String::new()
        } else {
            format!("\n  approximations: {:?}", cohort.approximations)
        }
    );
    tally.assert_passed();
    Agreement {
        ce_customer: ea,
        ce_cohort: eb,
        max_paired_z: tally.max_paired_z,
        customer,
        cohort,
    }
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

fn time(periods: u32, periods_per_year: u32, discount_rate: f64, timing: CashFlowTiming) -> Time {
    Time::new(periods, periods_per_year, discount_rate, timing)
}

/// A 1,000-run study with seed 1 on `engine`.
fn options(engine: EngineKind) -> SimOptions {
    SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs: 1000,
        seed: 1,
        engine,
        limits: Default::default(),
        control: Default::default(),
    }
}

fn monthly(periods: u32) -> Time {
    time(periods, 12, 0.10, CashFlowTiming::End)
}

/// A plan spending a constant amount per period on each listed lever.
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

fn uncertain(path: &str, distribution: ParameterDistribution) -> UncertainParameter {
    UncertainParameter::new(path, distribution)
}

fn driver(max_lift: f64, half_spend: f64, carryover: f64, effect: [f64; 3]) -> DriverParams {
    DriverParams::new(
        max_lift,
        half_spend,
        carryover,
        DriverEffect::new(effect[0], effect[1], effect[2]),
    )
}

// ---------------------------------------------------------------------------------------------
// (a)–(c) One cohort, each retention, purchase and order-value form
// ---------------------------------------------------------------------------------------------

#[test]
fn engines_agree_beta_retention_poisson_purchases_gamma_order_values() {
    let mut cohort = Cohort::new(
        "members",
        4000,
        Retention::MeanConcentration {
            mean: 0.9,
            concentration: 8.0,
        },
        Purchases::Poisson { mean: 1.2 },
        OrderValue::Gamma {
            mean: 50.0,
            cv: 0.8,
        },
    );
    cohort.set_margin(0.3);
    cohort.set_cost_to_serve(2.0);
    let scenario = Scenario::build("a", monthly(24), vec![cohort]).unwrap();
    let agreement = assert_engines_agree(
        "(a) Beta retention, Poisson purchases, Gamma order values",
        &scenario,
        400,
        101,
    );
    assert!(agreement.cohort.approximations.is_empty());
}

#[test]
fn engines_agree_sbg_subscription_with_start_timing() {
    // Fader & Hardie (2007) "regular" segment, yearly renewals, 15 years; cash at the start.
    let mut cohort = Cohort::new(
        "subscribers",
        3000,
        Retention::ShiftedBetaGeometric {
            alpha: 0.704,
            beta: 1.182,
        },
        Purchases::Fixed { n: 1.0 },
        OrderValue::Constant { mean: 120.0 },
    );
    cohort.set_margin(0.6);
    cohort.set_cost_to_serve(10.0);
    cohort.set_extra_value(ExtraValue::new(2.0, 1.0, 0.0));
    let scenario =
        Scenario::build("b", time(15, 1, 0.10, CashFlowTiming::Start), vec![cohort]).unwrap();
    let agreement = assert_engines_agree(
        "(b) sBG subscription, fixed purchases, start timing",
        &scenario,
        400,
        102,
    );
    // Closed form: period t has N·S(t − 1) subscribers in expectation.
    for t in 1..=15u32 {
        let expected = 3000.0 * sbg_survival(0.704, 1.182, t - 1);
        let est = estimate(&column(&agreement.cohort.runs, |r| {
            r.periods[t as usize - 1].active
        }));
        assert!(
            (est.mean - expected).abs() <= SE_MULTIPLE * est.se.max(1e-9),
            "cohort engine, period {t}: {} ± {} vs N·S(t − 1) = {expected}",
            est.mean,
            est.se
        );
    }
}

#[test]
fn engines_agree_nbd_purchases_constant_value_rate_retention() {
    // A small cohort with very uneven purchase rates (shape 0.4): the run-to-run spread of CE is
    // dominated by which customers happen to be heavy buyers, which is exactly what the
    // Gamma–Dirichlet split of the survivors' total rate must reproduce.
    let mut cohort = Cohort::new(
        "shoppers",
        400,
        Retention::Rate { rate: 0.92 },
        Purchases::NegativeBinomial {
            mean: 1.5,
            shape: 0.4,
        },
        OrderValue::Constant { mean: 40.0 },
    );
    cohort.set_margin(0.25);
    cohort.set_cost_to_serve(1.0);
    let scenario = Scenario::build("c", monthly(20), vec![cohort]).unwrap();
    let agreement = assert_engines_agree(
        "(c) NBD purchases, constant order value, rate retention",
        &scenario,
        1000,
        103,
    );
    // The spread, not only the mean: the variance of the last period's orders agrees.
    assert_variances_agree(
        "(c) orders in period 20",
        &column(&agreement.customer.runs, |r| r.periods[19].orders),
        &column(&agreement.cohort.runs, |r| r.periods[19].orders),
    );
    assert_variances_agree(
        "(c) customer equity",
        &column(&agreement.customer.runs, |r| r.customer_equity),
        &column(&agreement.cohort.runs, |r| r.customer_equity),
    );
}

/// Sample variance with its standard error √((m4 − s⁴)/n) (m4 the fourth central moment).
fn variance_estimate(values: &[f64]) -> Estimate {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m4 = values.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    Estimate {
        mean: m2 * n / (n - 1.0),
        se: ((m4 - m2 * m2) / n).max(0.0).sqrt(),
    }
}

pub(crate) fn assert_variances_agree(label: &str, a: &[f64], b: &[f64]) {
    let (va, vb) = (variance_estimate(a), variance_estimate(b));
    let z = (va.mean - vb.mean) / va.se.hypot(vb.se);
    println!(
        "{label}: variance customer {:.1} ± {:.1}, cohort {:.1} ± {:.1}, z = {z:+.2}",
        va.mean, va.se, vb.mean, vb.se
    );
    assert!(
        z.abs() < SE_MULTIPLE,
        "{label}: variances differ, z = {z:+.2}"
    );
}

// ---------------------------------------------------------------------------------------------
// (d) A pyramid with every market feature
// ---------------------------------------------------------------------------------------------

/// Four tiers, one of each retention form the cohort engine supports, every purchase and
/// common-scale order-value form, migration between neighbours, acquisition with a mix and
/// onboarding, a retention programme, all three drivers with adstock and effects, sensitivities,
/// referrals into another tier, extra value and cost to serve. Acquisition and brand spend are
/// time-phased (two yearly amounts).
fn pyramid_scenario(
    acquisition_curve: ResponseCurve,
    retention_curve: ResponseCurve,
    allocation: Option<Vec<f64>>,
) -> Scenario {
    let mut platinum = Cohort::new(
        "platinum",
        150,
        Retention::MeanConcentration {
            mean: 0.97,
            concentration: 30.0,
        },
        Purchases::NegativeBinomial {
            mean: 2.0,
            shape: 3.0,
        },
        OrderValue::Gamma {
            mean: 200.0,
            cv: 0.5,
        },
    );
    platinum.set_margin(0.35);
    platinum.set_cost_to_serve(10.0);
    platinum.set_referrals(0.01);
    platinum.set_referral_cohort(1);
    platinum.set_extra_value(ExtraValue::new(1.0, 3.0, 5.0));
    platinum.set_sensitivity([0.6, 1.0, 1.8]);

    let mut gold = Cohort::new(
        "gold",
        500,
        Retention::ShiftedBetaGeometric {
            alpha: 2.0,
            beta: 30.0,
        },
        Purchases::Poisson { mean: 1.2 },
        OrderValue::Constant { mean: 110.0 },
    );
    gold.set_margin(0.3);
    gold.set_cost_to_serve(4.0);
    gold.set_referrals(0.005);
    gold.set_referral_cohort(1);
    gold.set_extra_value(ExtraValue::new(0.5, 0.0, 0.0));
    gold.set_sensitivity([0.9, 1.2, 1.3]);

    let mut iron = Cohort::new(
        "iron",
        1500,
        Retention::Rate { rate: 0.94 },
        Purchases::NegativeBinomial {
            mean: 0.6,
            shape: 1.0,
        },
        OrderValue::Gamma {
            mean: 70.0,
            cv: 0.7,
        },
    );
    iron.set_margin(0.28);
    iron.set_cost_to_serve(1.5);
    iron.set_referrals(0.002);
    iron.set_referral_cohort(3);
    iron.set_sensitivity([1.2, 1.0, 0.8]);

    let mut lead = Cohort::new(
        "lead",
        3000,
        Retention::MeanConcentration {
            mean: 0.9,
            concentration: 6.0,
        },
        Purchases::Fixed { n: 1.0 },
        OrderValue::Constant { mean: 12.0 },
    );
    lead.set_margin(0.2);
    lead.set_cost_to_serve(2.5);
    lead.set_referral_cohort(3);
    lead.set_extra_value(ExtraValue::new(0.1, 0.0, 0.0));
    lead.set_sensitivity([1.6, 0.8, 0.5]);

    let mut scenario =
        Scenario::build("pyramid", monthly(24), vec![platinum, gold, iron, lead]).unwrap();
    scenario
        .set_migration(vec![
            vec![(1, 0.02)],
            vec![(0, 0.01), (2, 0.03)],
            vec![(1, 0.02), (3, 0.03)],
            vec![(2, 0.015)],
        ])
        .unwrap();
    scenario
        .set_acquisition(Some(Acquisition::single(
            Channel::new(
                "acquisition",
                40_000,
                0.01,
                acquisition_curve,
                vec![0.02, 0.08, 0.4, 0.5],
            )
            .with_onboarding_cost(10.0),
        )))
        .unwrap();
    scenario
        .set_retention_program(Some(RetentionProgram::new(
            0.4,
            retention_curve,
            allocation,
        )))
        .unwrap();
    scenario
        .set_driver(
            Driver::Value,
            Some(driver(0.5, 4000.0, 0.3, [0.2, 0.15, 0.05])),
        )
        .unwrap();
    scenario
        .set_driver(
            Driver::Brand,
            Some(driver(0.4, 8000.0, 0.7, [0.1, 0.4, 0.03])),
        )
        .unwrap();
    scenario.drivers()[Driver::Relationship.index()] =
        Some(driver(0.6, 3000.0, 0.5, [0.3, 0.0, 0.08]));
    let mut spend = plan(&[
        (Lever::Retention, 3000.0),
        (Lever::Value, 2000.0),
        (Lever::Relationship, 2000.0),
    ]);
    spend.set(
        Lever::Acquisition,
        SpendSchedule::new(vec![10_000.0, 6_000.0]).unwrap(),
        0,
    );
    spend.set(
        Lever::Brand,
        SpendSchedule::new(vec![4_000.0, 2_000.0]).unwrap(),
        0,
    );
    with_plan(scenario, spend)
}

#[test]
fn engines_agree_on_a_pyramid_with_an_allocated_retention_programme() {
    let scenario = pyramid_scenario(
        ResponseCurve::Exponential { k: 3.0 },
        ResponseCurve::HalfSpend { half_spend: 4.0 },
        Some(vec![0.3, 0.4, 0.25, 0.05]),
    );
    let agreement = assert_engines_agree(
        "(d1) pyramid: exponential acquisition, half-spend retention, allocation",
        &scenario,
        300,
        104,
    );
    check_pyramid_features(&agreement);
}

#[test]
fn engines_agree_on_a_pyramid_with_proportional_retention_allocation() {
    let scenario = pyramid_scenario(
        ResponseCurve::Hill {
            half_spend: 0.25,
            shape: 1.5,
        },
        ResponseCurve::Exponential { k: 0.3 },
        None,
    );
    let agreement = assert_engines_agree(
        "(d2) pyramid: Hill acquisition, exponential retention, proportional allocation",
        &scenario,
        300,
        105,
    );
    check_pyramid_features(&agreement);
}

/// The pyramid exercises what it claims to: acquisition, referrals and migration move
/// customers, and every component is non-zero, in both engines.
fn check_pyramid_features(agreement: &Agreement) {
    for sim in [&agreement.customer, &agreement.cohort] {
        let r = &sim.runs[0];
        let c = &r.components;
        assert!(c.acquisition < 0.0 && c.onboarding < 0.0 && c.retention < 0.0);
        assert!(c.drivers < 0.0 && c.cost_to_serve < 0.0 && c.extra_value > 0.0);
        assert!(r.origin.new != 0.0);
        // Entries exceed acquisitions plus referrals by the migrants.
        let new: f64 = r.periods.iter().map(|p| p.new).sum();
        let entered: f64 = r.cohorts.iter().map(|c| c.entered).sum();
        assert!(entered > new && new > 0.0, "migration moves customers");
    }
    // The time-phased acquisition spend, 10,000 a month in year 1 and 6,000 in year 2: year 1
    // acquires more on average.
    let year = |y: usize| {
        estimate(&column(&agreement.cohort.runs, |r| {
            r.periods[12 * y..12 * (y + 1)].iter().map(|p| p.new).sum()
        }))
        .mean
    };
    assert!(year(0) > 1.2 * year(1), "{} vs {}", year(0), year(1));
}

// ---------------------------------------------------------------------------------------------
// (e) Shocks and parameter uncertainty
// ---------------------------------------------------------------------------------------------

#[test]
fn engines_agree_with_shocks_and_parameter_uncertainty() {
    let mut loyal = Cohort::new(
        "loyal",
        1500,
        Retention::MeanConcentration {
            mean: 0.95,
            concentration: 20.0,
        },
        Purchases::NegativeBinomial {
            mean: 1.0,
            shape: 1.5,
        },
        OrderValue::Gamma {
            mean: 80.0,
            cv: 0.6,
        },
    );
    loyal.set_margin(0.3);
    loyal.set_cost_to_serve(3.0);
    loyal.set_referrals(0.01);
    let mut casual = Cohort::new(
        "casual",
        3000,
        Retention::ShiftedBetaGeometric {
            alpha: 1.0,
            beta: 12.0,
        },
        Purchases::Poisson { mean: 0.5 },
        OrderValue::Constant { mean: 35.0 },
    );
    casual.set_margin(0.25);
    casual.set_cost_to_serve(1.0);
    casual.set_referral_cohort(1);
    let mut scenario = Scenario::build("e", monthly(24), vec![loyal, casual]).unwrap();
    scenario
        .set_migration(vec![vec![(1, 0.01)], vec![(0, 0.02)]])
        .unwrap();
    scenario
        .set_acquisition(Some(Acquisition::single(
            Channel::new(
                "acquisition",
                20_000,
                0.02,
                ResponseCurve::HalfSpend { half_spend: 0.3 },
                vec![0.3, 0.7],
            )
            .with_onboarding_cost(5.0),
        )))
        .unwrap();
    scenario
        .set_retention_program(Some(RetentionProgram::new(
            0.3,
            ResponseCurve::HalfSpend { half_spend: 2.0 },
            Some(vec![0.7, 0.3]),
        )))
        .unwrap();
    scenario
        .set_driver(
            Driver::Brand,
            Some(driver(0.5, 3000.0, 0.6, [0.2, 0.3, 0.05])),
        )
        .unwrap();
    scenario
        .set_shocks(Shocks::new(
            Some(Shock::new(0.08, 0.6)),
            Some(Shock::new(0.15, 0.7)),
        ))
        .unwrap();
    scenario
        .set_uncertainty(vec![
            uncertain(
                "acquisition.response.ceiling",
                ParameterDistribution::Normal {
                    mean: 0.02,
                    sd: 0.004,
                },
            ),
            uncertain(
                "cohorts.loyal.retention.mean",
                ParameterDistribution::Beta {
                    mean: 0.95,
                    concentration: 300.0,
                },
            ),
            uncertain(
                "cohorts.loyal.purchases.shape",
                ParameterDistribution::LogNormal {
                    median: 1.5,
                    sigma: 0.3,
                },
            ),
            uncertain(
                "cohorts.casual.retention.churn_beta",
                ParameterDistribution::Uniform {
                    low: 9.0,
                    high: 15.0,
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
                "migration.casual.loyal",
                ParameterDistribution::Uniform {
                    low: 0.01,
                    high: 0.03,
                },
            ),
        ])
        .unwrap();
    let scenario = with_plan(
        scenario,
        plan(&[
            (Lever::Acquisition, 4000.0),
            (Lever::Retention, 1500.0),
            (Lever::Brand, 2000.0),
        ]),
    );
    let agreement = assert_engines_agree(
        "(e) demand and churn shocks, parameter uncertainty",
        &scenario,
        400,
        106,
    );
    // Churn shocks can push θ·h above one for the casual tier's churniest customers: the cohort
    // engine measures that approximation and finds it negligible, so auto takes it.
    assert!(negligible_approximations(&scenario));
    assert_auto_takes_cohort(&scenario);
    // Shocks and draws make the runs differ by far more than customers' chance does: the paired
    // test is the sharp one here.
    assert!(agreement.max_paired_z > 0.0 && agreement.max_paired_z < SE_MULTIPLE);
}

/// `auto` takes the cohort engine for a 1,000-run study of `scenario`'s baseline plan.
fn assert_auto_takes_cohort(scenario: &Scenario) {
    let plan = &scenario.plans()[scenario.baseline_plan()];
    let choice = choose_engine(scenario, plan, &options(EngineKind::Auto)).expect("a choice");
    assert_eq!(choice.engine, EngineKind::Cohort, "{}", choice.reason);
}

// ---------------------------------------------------------------------------------------------
// (f) Beyond 127 periods: strata chosen so the survival curve is integrated to 1e-9
// ---------------------------------------------------------------------------------------------

#[test]
fn engines_agree_beyond_the_exact_horizon() {
    let mut cohort = Cohort::new(
        "long",
        2000,
        Retention::MeanConcentration {
            mean: 0.97,
            concentration: 5.0,
        },
        Purchases::Poisson { mean: 1.0 },
        OrderValue::Constant { mean: 20.0 },
    );
    cohort.set_margin(0.5);
    let scenario = Scenario::build("f", monthly(160), vec![cohort]).unwrap();
    let agreement =
        assert_engines_agree("(f) 160 periods, heterogeneous churn", &scenario, 300, 107);
    // K is chosen per cohort so that Σ w_j (1 − θ_j)^t is within 1e-9 of B(a, b + t)/B(a, b)
    // for every t ≤ 160: no approximation left to list, and the paired test applies.
    assert!(
        agreement.cohort.approximations.is_empty(),
        "{:?}",
        agreement.cohort.approximations
    );
    assert!(agreement.max_paired_z < SE_MULTIPLE);
    assert_auto_takes_cohort(&scenario);
    let (a, b) = (agreement.ce_customer, agreement.ce_cohort);
    let relative = (a.mean - b.mean).abs() / a.mean.abs();
    println!("(f) relative CE difference {:.4}%", 100.0 * relative);
    assert!(relative < 0.01, "relative error {relative}");
    // And the survival far beyond period 127 still agrees with the per-customer engine.
    let last = |sim: &Simulation| estimate(&column(&sim.runs, |r| r.periods[159].active));
    let (la, lb) = (last(&agreement.customer), last(&agreement.cohort));
    assert!(
        (la.mean - lb.mean).abs() < 0.01 * la.mean,
        "{la:?} vs {lb:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// (g) The shipped scenarios, with their time-phased plans
// ---------------------------------------------------------------------------------------------

fn shipped(file: &str, plan: &str) -> Scenario {
    let mut scenario = load_file(Path::new("scenarios").join(file).as_path())
        .unwrap_or_else(|e| panic!("{file} loads: {e}"));
    scenario
        .set_baseline_plan(
            scenario
                .plan_id(plan)
                .unwrap_or_else(|| panic!("{file} has plan {plan}")),
        )
        .unwrap();
    scenario
}

#[test]
fn engines_agree_on_the_shipped_pyramid() {
    // `growth` spends [10000, 10000, 7000] a month on acquisition by year.
    let scenario = shipped("pyramid.toml", "growth");
    let agreement = assert_engines_agree(
        "(g) scenarios/pyramid.toml, plan growth",
        &scenario,
        200,
        108,
    );
    // The shipped pyramid's churn shock caps θ·h at one for a few `lead` customers: measured
    // and negligible.
    assert!(negligible_approximations(&scenario));
    assert!(agreement.max_paired_z < SE_MULTIPLE);
    assert_auto_takes_cohort(&scenario);
}

#[test]
fn engines_agree_on_the_shipped_retail_bank() {
    // `grow` spends [14000, 8000] a month on acquisition: two yearly amounts. The multi-product
    // tier's own order-value scale (customer_cv) is approximated by the cohort engine.
    let scenario = shipped("retail_bank.toml", "grow");
    let agreement = assert_engines_agree(
        "(g) scenarios/retail_bank.toml, plan grow",
        &scenario,
        200,
        109,
    );
    assert!(
        agreement
            .cohort
            .approximations
            .iter()
            .any(|a| a.contains("multi_product")),
        "{:?}",
        agreement.cohort.approximations
    );
}

// ---------------------------------------------------------------------------------------------
// Exactness (i): Gauss–Jacobi strata
// ---------------------------------------------------------------------------------------------

fn sbg_contract(customers: u64, alpha: f64, beta: f64) -> Cohort {
    Cohort::new(
        "contract",
        customers,
        Retention::ShiftedBetaGeometric { alpha, beta },
        Purchases::Fixed { n: 1.0 },
        OrderValue::Constant { mean: 1.0 },
    )
}

/// H = 9 gives K = 5 strata: survival after t renewals is a degree-t polynomial in θ, so the
/// strata reproduce N·S(t) for every t ≤ 2K − 1 = 9 (periods 1..9 show S(0..8), the end count
/// S(9)). A one-node rule (the mean churn) would be off by 17% at t = 2 and more after.
#[test]
fn engines_cohort_survival_matches_sbg_up_to_degree_2k_minus_1() {
    let (alpha, beta) = (0.704, 1.182);
    let n = 10_000u64;
    let scenario = Scenario::build(
        "quadrature",
        time(9, 1, 0.10, CashFlowTiming::End),
        vec![sbg_contract(n, alpha, beta)],
    )
    .unwrap();
    let (sim, _) = simulate(
        &scenario,
        ceq::scenario::PlanId::FIRST,
        2000,
        201,
        EngineKind::Cohort,
    );
    assert!(sim.approximations.is_empty());
    let mean_churn = alpha / (alpha + beta);
    let mut max_z = 0.0f64;
    for t in 0..=9u32 {
        let values = if t < 9 {
            column(&sim.runs, |r| r.periods[t as usize].active)
        } else {
            column(&sim.runs, |r| r.cohorts[0].active_end)
        };
        let est = estimate(&values);
        let expected = n as f64 * sbg_survival(alpha, beta, t);
        if t == 0 {
            assert_eq!(est.mean, expected);
            continue;
        }
        let z = (est.mean - expected) / est.se;
        max_z = max_z.max(z.abs());
        assert!(
            z.abs() < SE_MULTIPLE && est.se < 0.002 * expected,
            "survivors after {t} renewals: {} ± {} vs N·S({t}) = {expected}",
            est.mean,
            est.se
        );
        // Power: the homogeneous (one-node) answer is far away.
        let one_node = n as f64 * (1.0 - mean_churn).powi(t as i32);
        if t >= 2 {
            assert!((one_node - expected).abs() > 50.0 * est.se);
        }
    }
    println!("Gauss strata, K = 5: survivors after 1..9 renewals vs N·S(t): max |z| = {max_z:.2}");
}

/// The engine's survival when hazards depend on the path: a fixed retention budget is spread
/// over the active customers, so spend per customer (and the churn cut) grows as they leave,
/// with a churn shock on top. No closed form; the per-customer engine is the reference.
#[test]
fn engines_agree_on_path_dependent_hazards() {
    let mut cohort = Cohort::new(
        "members",
        5000,
        Retention::MeanConcentration {
            mean: 0.8,
            concentration: 6.0,
        },
        Purchases::Fixed { n: 1.0 },
        OrderValue::Constant { mean: 30.0 },
    );
    cohort.set_margin(0.5);
    let mut scenario =
        Scenario::build("path", time(9, 4, 0.10, CashFlowTiming::End), vec![cohort]).unwrap();
    scenario
        .set_retention_program(Some(RetentionProgram::new(
            0.6,
            ResponseCurve::HalfSpend { half_spend: 4.0 },
            None,
        )))
        .unwrap();
    scenario
        .set_shocks(Shocks::new(None, Some(Shock::new(0.1, 0.5))))
        .unwrap();
    let scenario = with_plan(scenario, plan(&[(Lever::Retention, 10_000.0)]));
    let agreement = assert_engines_agree(
        "(i) path-dependent hazards (retention spend per active customer, churn shock)",
        &scenario,
        400,
        202,
    );
    // The path matters: by period 9 the spend per customer has more than doubled.
    let last = estimate(&column(&agreement.cohort.runs, |r| r.periods[8].active));
    assert!(last.mean < 0.5 * 5000.0, "{last:?}");
}

/// E[Π_s (1 − θ·h_s)] for θ ~ Beta(a, b), from the polynomial's coefficients and the Beta
/// moments E[θ^j] = Π_{i<j} (a + i)/(a + b + i).
fn beta_expected_survival(a: f64, b: f64, hazards: &[f64]) -> f64 {
    let mut coefficients = vec![1.0];
    for &h in hazards {
        let mut next = vec![0.0; coefficients.len() + 1];
        for (j, &c) in coefficients.iter().enumerate() {
            next[j] += c;
            next[j + 1] -= h * c;
        }
        coefficients = next;
    }
    let mut moment = 1.0;
    let mut total = 0.0;
    for (j, &c) in coefficients.iter().enumerate() {
        total += c * moment;
        moment *= (a + j as f64) / (a + b + j as f64);
    }
    total
}

/// The rule behind the strata, at the integration level: with any hazard path (the churn cuts
/// and shocks of a run), survival over t ≤ 2K − 1 periods is integrated exactly; at t = 2K it
/// no longer is.
#[test]
fn engines_quadrature_integrates_path_dependent_survival_exactly() {
    let mut rng = stream(203, 0, Stream::Parameters);
    for (a, b) in [(0.704, 1.182), (1.2, 4.8), (3.8, 15.2), (0.3, 9.7)] {
        for k in [1usize, 3, 5, 12] {
            let rule = QuadratureRule::beta(a, b, k);
            let hazards: Vec<f64> = (0..2 * k + 1).map(|_| rng.random_range(0.3..1.0)).collect();
            for t in 1..=2 * k {
                let path = &hazards[..t];
                let exact = beta_expected_survival(a, b, path);
                let strata = rule.expect(|theta| path.iter().map(|h| 1.0 - theta * h).product());
                let error = (strata - exact).abs();
                if t < 2 * k {
                    assert!(
                        error < 1e-10,
                        "Beta({a}, {b}), K = {k}, t = {t}: {strata} vs {exact}"
                    );
                } else if k <= 3 {
                    // Degree 2K: the Gauss rule's error is Π h_s · ∫π_K² dBeta > 0 (for larger
                    // K too small to see in floating point).
                    assert!(
                        error > 1e-9,
                        "Beta({a}, {b}), K = {k}: degree 2K integrated exactly? error {error:e}"
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Exactness (ii): Gamma–Dirichlet
// ---------------------------------------------------------------------------------------------

/// Sum of a uniformly random subset of `n` of `values` (partial Fisher–Yates).
fn random_subset_sum(values: &mut [f64], n: usize, rng: &mut ceq::sim::rng::SimRng) -> f64 {
    for i in 0..n {
        let j = rng.random_range(i..values.len());
        values.swap(i, j);
    }
    values[..n].iter().sum()
}

/// For N i.i.d. Gamma(k, θ) rates and a uniformly random subset of n, the subset's total has
/// the law of total × Beta(n·k, (N − n)·k) — and that is Gamma(n·k, θ), mean n·k·θ, variance
/// n·k·θ². Checked by simulation: means and variances against the closed form, and KS between
/// the direct subset sums and the Gamma–Dirichlet draws, also after two thinnings in a row (as
/// the engine applies it period after period).
#[test]
fn engines_gamma_dirichlet_split_matches_a_random_subset() {
    let (total_n, n1, n2) = (40usize, 25usize, 10usize);
    let (k, theta) = (0.6, 2.5);
    let reps = 20_000;
    let mut rng = stream(204, 0, Stream::Customers);
    let mut direct = Vec::with_capacity(reps);
    let mut split = Vec::with_capacity(reps);
    let mut direct_twice = Vec::with_capacity(reps);
    let mut split_twice = Vec::with_capacity(reps);
    let mut values = vec![0.0; total_n];
    for _ in 0..reps {
        for v in values.iter_mut() {
            *v = gamma(&mut rng, k, theta);
        }
        direct.push(random_subset_sum(&mut values, n2, &mut rng));
        // Two thinnings: a random n1 of N, then a random n2 of those n1.
        let mut first: Vec<f64> = {
            random_subset_sum(&mut values, n1, &mut rng);
            values[..n1].to_vec()
        };
        direct_twice.push(random_subset_sum(&mut first, n2, &mut rng));

        let total: f64 = (0..total_n).map(|_| gamma(&mut rng, k, theta)).sum();
        let nk = |m: usize| m as f64 * k;
        split.push(total * beta(&mut rng, nk(n2), nk(total_n - n2)));
        let kept = total * beta(&mut rng, nk(n1), nk(total_n - n1));
        split_twice.push(kept * beta(&mut rng, nk(n2), nk(n1 - n2)));
    }
    let mean = n2 as f64 * k * theta;
    let variance = n2 as f64 * k * theta * theta;
    for (label, sample) in [
        ("direct subset", &direct),
        ("Gamma–Dirichlet", &split),
        ("direct subset of a subset", &direct_twice),
        ("Gamma–Dirichlet twice", &split_twice),
    ] {
        let m = estimate(sample);
        let v = variance_estimate(sample);
        println!(
            "{label}: mean {:.4} ± {:.4} (closed form {mean}), variance {:.3} ± {:.3} ({variance})",
            m.mean, m.se, v.mean, v.se
        );
        assert!((m.mean - mean).abs() < SE_MULTIPLE * m.se, "{label}: mean");
        assert!(
            (v.mean - variance).abs() < SE_MULTIPLE * v.se,
            "{label}: variance"
        );
        // Power: splitting in proportion (total·n/N) would give variance n²kθ²/N.
        let proportional = (n2 * n2) as f64 * k * theta * theta / total_n as f64;
        assert!((proportional - variance).abs() > 20.0 * v.se);
    }
    let critical = ks_critical(reps, reps, KS_ALPHA);
    for (label, a, b) in [
        ("one thinning", &direct, &split),
        ("two thinnings", &direct_twice, &split_twice),
    ] {
        let d = ks_statistic(a, b);
        println!("Gamma–Dirichlet, {label}: KS D = {d:.4} vs critical {critical:.4}");
        assert!(d < critical, "{label}: KS D = {d} ≥ {critical}");
    }
}

/// Gamma–Dirichlet at the engine level: one cohort with constant retention r and NBD purchases
/// (rates λ_i ~ Gamma(k, m/k)), constant order value v and margin. Customers are independent,
/// so Var(CE) = N·Var(CE_i) with, for a lifetime of L periods (P(L = l) = r^(l−1)(1 − r) for
/// l < H, r^(H−1) for l = H), W_L = Σ_{t≤L} w_t, w_t = disc(t)·margin·v, C_L = Σ_{t≤L} disc(t)·cost:
///
/// E[CE_i | L, λ] = λ·W_L − C_L,  Var(CE_i | L, λ) = λ·Σ_{t≤L} w_t²  (Poisson orders),
///
/// hence E[CE_i²] = E_L[m·Σ w_t² + (m² + m²/k)·W_L² − 2m·W_L·C_L + C_L²]. The cohort engine
/// carries only each stratum's total rate, split by a Beta at every churn step; its CE variance
/// must match this per-customer closed form (ignoring the rates' heterogeneity, k → ∞, would
/// give about a ninth of it).
#[test]
fn engines_cohort_nbd_variance_matches_closed_form() {
    let (n, r, m, k, value, margin, cost, horizon) =
        (400u64, 0.92, 1.5, 0.4, 40.0, 0.25, 1.0, 20u32);
    let mut cohort = Cohort::new(
        "shoppers",
        n,
        Retention::Rate { rate: r },
        Purchases::NegativeBinomial { mean: m, shape: k },
        OrderValue::Constant { mean: value },
    );
    cohort.set_margin(margin);
    cohort.set_cost_to_serve(cost);
    let t = monthly(horizon);
    let scenario = Scenario::build("nbd-variance", t.clone(), vec![cohort]).unwrap();
    let delta = per_period_discount_factor(t.discount_rate(), t.periods_per_year());
    let moments = |second_moment_of_rate: f64| {
        let (mut e1, mut e2) = (0.0, 0.0);
        for l in 1..=horizon {
            let p = if l < horizon {
                r.powi(l as i32 - 1) * (1.0 - r)
            } else {
                r.powi(horizon as i32 - 1)
            };
            let w: Vec<f64> = (1..=l)
                .map(|t| delta.powi(t as i32) * margin * value)
                .collect();
            let c: f64 = (1..=l).map(|t| delta.powi(t as i32) * cost).sum();
            let wl: f64 = w.iter().sum();
            let w2: f64 = w.iter().map(|x| x * x).sum();
            e1 += p * (m * wl - c);
            e2 += p * (m * w2 + second_moment_of_rate * wl * wl - 2.0 * m * wl * c + c * c);
        }
        (n as f64 * e1, n as f64 * (e2 - e1 * e1))
    };
    let (mean, variance) = moments(m * m + m * m / k);
    let (_, homogeneous) = moments(m * m);
    let (sim, _) = simulate(
        &scenario,
        ceq::scenario::PlanId::FIRST,
        10_000,
        206,
        EngineKind::Cohort,
    );
    let ce = column(&sim.runs, |r| r.customer_equity);
    let (e, v) = (estimate(&ce), variance_estimate(&ce));
    println!(
        "NBD cohort, cohort engine: CE mean {:.1} ± {:.1} vs {mean:.1}; variance {:.4e} ± {:.2e} \
         vs {variance:.4e} (homogeneous rates: {homogeneous:.4e})",
        e.mean, e.se, v.mean, v.se
    );
    assert!((e.mean - mean).abs() < SE_MULTIPLE * e.se);
    assert!((v.mean - variance).abs() < SE_MULTIPLE * v.se);
    assert!(variance - homogeneous > 20.0 * v.se);
}

/// The cohort engine carries NBD rates per origin and order-value node, not per churn stratum
/// (a rate is independent of the churn propensity): with Beta churn over many strata and
/// `customer_cv` value nodes, the CE mean and variance must still match the per-customer engine's (independent seeds,
/// within [`SE_MULTIPLE`] combined standard errors).
#[test]
fn engines_agree_on_nbd_variance_across_churn_strata() {
    let mut cohort = Cohort::new(
        "shoppers",
        300,
        Retention::MeanConcentration {
            mean: 0.9,
            concentration: 4.0,
        },
        Purchases::NegativeBinomial {
            mean: 1.5,
            shape: 0.4,
        },
        OrderValue::HeterogeneousGamma {
            mean: 40.0,
            cv: 0.5,
            customer_cv: 0.6,
        },
    );
    cohort.set_margin(0.25);
    let scenario = Scenario::build("nbd-strata", monthly(24), vec![cohort]).unwrap();
    assert!(ceq::sim::cohort::strata_count(&scenario, 0) > 10);
    let runs = 4000;
    let (customer, _) = simulate(
        &scenario,
        ceq::scenario::PlanId::FIRST,
        runs,
        207,
        EngineKind::Customer,
    );
    let (cohort, _) = simulate(
        &scenario,
        ceq::scenario::PlanId::FIRST,
        runs,
        208,
        EngineKind::Cohort,
    );
    let a = column(&customer.runs, |r| r.customer_equity);
    let b = column(&cohort.runs, |r| r.customer_equity);
    let (ea, eb) = (estimate(&a), estimate(&b));
    let z = (ea.mean - eb.mean) / ea.se.hypot(eb.se);
    println!(
        "NBD over churn strata: CE customer {:.1} ± {:.1}, cohort {:.1} ± {:.1}, z = {z:+.2}",
        ea.mean, ea.se, eb.mean, eb.se
    );
    assert!(z.abs() < SE_MULTIPLE, "means differ, z = {z:+.2}");
    assert_variances_agree("NBD over churn strata", &a, &b);
}

// ---------------------------------------------------------------------------------------------
// Engine choice
// ---------------------------------------------------------------------------------------------

#[test]
fn engines_auto_takes_the_cohort_engine_for_a_large_exact_scenario() {
    let n = 1_000_000u64;
    let mut cohort = Cohort::new(
        "mass",
        n,
        Retention::Rate { rate: 0.95 },
        Purchases::Poisson { mean: 0.8 },
        OrderValue::Constant { mean: 25.0 },
    );
    cohort.set_margin(0.4);
    let t = monthly(12);
    let scenario = Scenario::build("large", t.clone(), vec![cohort]).unwrap();
    let start = Instant::now();
    let sim = run(
        &scenario,
        &SimOptions {
            plan: ceq::scenario::PlanId::FIRST,
            runs: 20,
            seed: 301,
            engine: EngineKind::Auto,
            limits: Default::default(),
            control: Default::default(),
        },
    )
    .expect("runs");
    let elapsed = start.elapsed().as_secs_f64();
    println!("auto on 1,000,000 customers × 12 periods × 20 runs: {elapsed:.3} s");
    assert_eq!(sim.engine, EngineKind::Cohort);
    assert!(sim.approximations.is_empty());
    assert!(sim.runs.iter().all(|r| r.periods[0].active == n as f64));
    // The closed form of SPEC §1 with m = 0.8 × 25 × 0.4 = 8 per period.
    let delta = per_period_discount_factor(t.discount_rate(), t.periods_per_year());
    let expected = constant_retention_ce(
        n as f64,
        8.0,
        0.95,
        1.0 / delta - 1.0,
        Some(12),
        CashFlowTiming::End,
    );
    let ce = estimate(&column(&sim.runs, |r| r.customer_equity));
    assert!(
        (ce.mean - expected).abs() < SE_MULTIPLE * ce.se,
        "{ce:?} vs {expected}"
    );
    // Twenty runs of a million customers would take the per-customer engine several seconds.
    assert!(elapsed < 5.0, "{elapsed} s: not the cohort engine's cost");
}

fn dropout_scenario() -> Scenario {
    Scenario::build(
        "dropout",
        monthly(12),
        vec![Cohort::new(
            "shoppers",
            2000,
            Retention::Dropout {
                alpha: 0.8,
                beta: 2.4,
            },
            Purchases::NegativeBinomial {
                mean: 0.5,
                shape: 0.25,
            },
            OrderValue::Constant { mean: 30.0 },
        )],
    )
    .unwrap()
}

#[test]
fn engines_auto_takes_the_customer_engine_for_a_small_dropout_cohort() {
    // 40 customers are far fewer than the BG/NBD strata: simulating them is cheaper (0.02 s
    // against 0.08 s CPU for 2,000 runs here; with 2,000 customers the cohort engine is three
    // times faster and auto takes it).
    let mut scenario = dropout_scenario();
    let mut cohort = scenario.cohorts()[0].clone();
    cohort.set_customers(40);
    scenario.set_cohort(CohortId::FIRST, cohort).unwrap();
    let sim = run(
        &scenario,
        &SimOptions {
            plan: ceq::scenario::PlanId::FIRST,
            runs: 10,
            seed: 302,
            engine: EngineKind::Auto,
            limits: Default::default(),
            control: Default::default(),
        },
    )
    .expect("runs");
    assert_eq!(sim.engine, EngineKind::Customer);
    assert!(sim.approximations.is_empty());
    assert_eq!(sim.runs.len(), 10);
}

#[test]
fn engines_auto_takes_the_cohort_engine_for_a_dropout_cohort_of_two_thousand() {
    let scenario = dropout_scenario();
    let choice =
        choose_engine(&scenario, &scenario.plans()[0], &options(EngineKind::Auto)).unwrap();
    assert_eq!(choice.engine, EngineKind::Cohort, "{}", choice.reason);
}

#[test]
fn engines_auto_takes_the_cohort_engine_for_a_large_dropout_cohort_and_says_why() {
    let mut scenario = dropout_scenario();
    let mut cohort = scenario.cohorts()[0].clone();
    cohort.set_customers(1_000_000);
    scenario.set_cohort(CohortId::FIRST, cohort).unwrap();
    let plan = scenario.plans()[0].clone();
    let choice = choose_engine(&scenario, &plan, &options(EngineKind::Auto)).unwrap();
    assert_eq!(choice.engine, EngineKind::Cohort, "{}", choice.reason);
    // The strata's survival and E[X(t)] are within 1e-9 of the closed forms (measured), so
    // there is nothing to list and auto says the cohort engine is exact.
    let strata = ceq::sim::cohort::dropout_strata(&scenario, 0).expect("a dropout cohort");
    println!(
        "dropout strata: {} over {} p-nodes, survival within {:.1e}, E[X(t)] within {:.1e}",
        strata.strata.len(),
        strata.dropout_nodes,
        strata.survival.max_absolute,
        strata.expected_purchases
    );
    assert!(strata.survival.max_absolute <= 1e-9 && strata.expected_purchases <= 1e-9);
    assert!(
        choice.approximations.is_empty(),
        "{:?}",
        choice.approximations
    );
    assert!(choice.reason.contains("exact"), "{}", choice.reason);
    // The cohort engine runs it by request too.
    let sim = run(
        &scenario,
        &SimOptions {
            plan: ceq::scenario::PlanId::FIRST,
            runs: 10,
            seed: 303,
            engine: EngineKind::Cohort,
            limits: Default::default(),
            control: Default::default(),
        },
    )
    .expect("the cohort engine runs BG/NBD dropout");
    assert_eq!(sim.runs.len(), 10);
    assert!(
        sim.runs
            .iter()
            .all(|r| r.cohorts[0].active_end < 1_000_000.0)
    );
}

#[test]
fn engines_auto_takes_the_cohort_engine_for_customer_cv() {
    // Customers' own order-value scales in strata keep the mean (and variance) of every
    // customer's revenue exact, so mean CE is unbiased and auto takes the cheaper engine.
    let mut scenario = dropout_scenario();
    let mut cohort = scenario.cohorts()[0].clone();
    cohort.set_retention(Retention::Rate { rate: 0.9 });
    cohort.set_customers(1_000_000);
    cohort.set_order_value(OrderValue::HeterogeneousGamma {
        mean: 30.0,
        cv: 0.3,
        customer_cv: 0.5,
    });
    scenario.set_cohort(CohortId::FIRST, cohort).unwrap();
    let plan = scenario.plans()[0].clone();
    let choice = choose_engine(&scenario, &plan, &options(EngineKind::Auto)).unwrap();
    assert_eq!(choice.engine, EngineKind::Cohort, "{}", choice.reason);
    assert!(
        choice
            .approximations
            .iter()
            .any(|a| a.contains("order-value scales")),
        "{:?}",
        choice.approximations
    );
}

/// The end count (`cohorts[c].active_end`, reported as `active_end_mean`) is the survival
/// after H churn steps, a polynomial of degree H in θ. The module docs of `sim::cohort` promise
/// K = ⌈(H + 1)/2⌉ strata, exact to degree 2K − 1 ≥ H; the code takes K = ⌈H/2⌉, which for an
/// even H is exact only to degree H − 1. At H = 2 that is a single stratum at the mean churn:
/// N·(1 − E θ)² = 3,931 instead of N·S(2) = 4,738 for the Fader–Hardie "regular" segment.
/// (Every cash flow and every period's active count needs degree ≤ H − 1 and is exact.)
#[test]
fn engines_cohort_end_count_is_exact_for_even_horizons() {
    let (alpha, beta) = (0.704, 1.182);
    let n = 10_000u64;
    let mut failures = Vec::new();
    for horizon in [2u32, 4, 6] {
        let scenario = Scenario::build(
            "even",
            time(horizon, 1, 0.10, CashFlowTiming::End),
            vec![sbg_contract(n, alpha, beta)],
        )
        .unwrap();
        let expected = n as f64 * sbg_survival(alpha, beta, horizon);
        for engine in [EngineKind::Customer, EngineKind::Cohort] {
            let (sim, _) = simulate(&scenario, ceq::scenario::PlanId::FIRST, 1000, 205, engine);
            let est = estimate(&column(&sim.runs, |r| r.cohorts[0].active_end));
            let z = (est.mean - expected) / est.se;
            println!(
                "H = {horizon}, {} engine: end count {:.1} ± {:.1} vs N·S(H) = {expected:.1}, \
                 z = {z:+.1}",
                engine.name(),
                est.mean,
                est.se
            );
            if z.abs() > SE_MULTIPLE {
                failures.push(format!(
                    "H = {horizon}, {} engine: z = {z:+.1}",
                    engine.name()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("; "));
}

/// A hazard multiplier above one (here a driver whose retention effect is negative, so churn
/// rises with its lift; churn shocks do the same in bad periods) pushes θ·h above one for the
/// customers with the highest churn, and min(1, θ·h) is not a polynomial in θ: the Gauss strata
/// are then an approximation. `support` measures it against the capped closed form
/// E[(1 − hθ)₊^t] (here about 1e-3 of survival, 5e-4 of customer-periods) and lists it, and
/// `auto`, finding it far above a tenth of the study's Monte Carlo error, keeps the exact
/// engine. (Before issue 12 the approximation went unlisted and auto took it, the cohort engine
/// then keeping about 2% more customers in period 2 than the per-customer engine.)
#[test]
fn engines_cohort_lists_hazards_above_one_as_an_approximation() {
    let mut scenario = Scenario::build(
        "hazard-above-one",
        time(9, 1, 0.10, CashFlowTiming::End),
        vec![sbg_contract(5000, 0.704, 1.182)],
    )
    .unwrap();
    scenario
        .set_driver(
            Driver::Value,
            Some(driver(1.0, 1000.0, 0.0, [-1.0, 0.0, 0.0])),
        )
        .unwrap();
    let scenario = with_plan(scenario, plan(&[(Lever::Value, 100_000.0)]));
    let (customer, _) = simulate(
        &scenario,
        ceq::scenario::PlanId::FIRST,
        400,
        207,
        EngineKind::Customer,
    );
    let (cohort, _) = simulate(
        &scenario,
        ceq::scenario::PlanId::FIRST,
        400,
        207,
        EngineKind::Cohort,
    );
    let active = |sim: &Simulation| estimate(&column(&sim.runs, |r| r.periods[1].active));
    let (a, b) = (active(&customer), active(&cohort));
    let z = (a.mean - b.mean) / a.se.hypot(b.se);
    println!(
        "hazard above one: period 2 active customer {:.1} ± {:.1}, cohort {:.1} ± {:.1}, z = \
         {z:+.1}; approximations {:?}",
        a.mean, a.se, b.mean, b.se, cohort.approximations
    );
    assert!(
        z.abs() < SE_MULTIPLE || !cohort.approximations.is_empty(),
        "the cohort engine differs from the per-customer engine (z = {z:+.1}) but lists no \
         approximation"
    );
    let plan = &scenario.plans()[0];
    let choice = choose_engine(&scenario, plan, &options(EngineKind::Auto)).unwrap();
    assert_eq!(
        choice.engine,
        EngineKind::Customer,
        "auto must not take an approximation"
    );
}

// ---------------------------------------------------------------------------------------------
// Issue 12: BG/NBD dropout, own order-value scales, low-concentration cohorts under shocks
// ---------------------------------------------------------------------------------------------

/// A non-contractual retailer: a BG/NBD tier with Gamma-Gamma spend and a Beta-churn tier with
/// `customer_cv` spend, migration both ways, referrals into the BG/NBD tier, weekly
/// acquisition with a mix and onboarding, and a retention programme that scales both the
/// dropout probability and the churn hazard.
fn bgnbd_retailer(customers: u64) -> Scenario {
    let mut shoppers = Cohort::new(
        "shoppers",
        customers,
        Retention::Dropout {
            alpha: 0.793,
            beta: 2.426,
        },
        Purchases::NegativeBinomial {
            mean: 0.243 / 4.414 * 4.0,
            shape: 0.243,
        },
        // q = 5.5 rather than CDNOW's 3.74: with q ≤ 4 a customer's revenue has no fourth
        // moment, so the sample variance of CE has no standard error and the variance checks
        // below could not be stated. (The CDNOW values are checked against the closed forms
        // in `engines_cohort_reproduces_bgnbd_expected_purchases_and_the_gamma_gamma_mean`.)
        OrderValue::GammaGamma {
            p: 6.25,
            q: 5.5,
            gamma: 25.2,
        },
    );
    shoppers.set_margin(0.3);
    shoppers.set_cost_to_serve(0.05);
    shoppers.set_referrals(0.002);
    let mut members = Cohort::new(
        "members",
        customers / 4,
        Retention::MeanConcentration {
            mean: 0.97,
            concentration: 15.0,
        },
        Purchases::Poisson { mean: 0.6 },
        OrderValue::HeterogeneousGamma {
            mean: 45.0,
            cv: 0.4,
            customer_cv: 0.6,
        },
    );
    members.set_margin(0.35);
    members.set_cost_to_serve(0.5);
    members.set_referrals(0.004);
    members.set_referral_cohort(0);
    let mut scenario = Scenario::build(
        "bgnbd-retailer",
        time(52, 52, 0.10, CashFlowTiming::End),
        vec![shoppers, members],
    )
    .unwrap();
    scenario
        .set_migration(vec![vec![(1, 0.004)], vec![(0, 0.01)]])
        .unwrap();
    scenario
        .set_acquisition(Some(Acquisition::single(
            Channel::new(
                "acquisition",
                20 * customers,
                0.002,
                ResponseCurve::HalfSpend { half_spend: 0.05 },
                vec![0.8, 0.2],
            )
            .with_onboarding_cost(3.0),
        )))
        .unwrap();
    scenario
        .set_retention_program(Some(RetentionProgram::new(
            0.3,
            ResponseCurve::HalfSpend { half_spend: 0.5 },
            Some(vec![0.6, 0.4]),
        )))
        .unwrap();
    with_plan(
        scenario,
        plan(&[
            (Lever::Acquisition, 0.05 * customers as f64),
            (Lever::Retention, 0.2 * customers as f64),
        ]),
    )
}

#[test]
fn engines_agree_on_bgnbd_dropout_with_gamma_gamma_acquisition_migration_referrals_retention() {
    let scenario = bgnbd_retailer(3000);
    let agreement = assert_engines_agree(
        "(h) BG/NBD + Gamma-Gamma, customer_cv tier, acquisition, migration, referrals, \
         retention programme",
        &scenario,
        400,
        401,
    );
    // The scenario exercises what it claims to.
    let r = &agreement.cohort.runs[0];
    assert!(r.components.acquisition < 0.0 && r.components.retention < 0.0);
    assert!(r.cohorts.iter().all(|c| c.entered > 0.0));
    // The spread agrees, not only the mean.
    assert_variances_agree(
        "(h) customer equity",
        &column(&agreement.customer.runs, |r| r.customer_equity),
        &column(&agreement.cohort.runs, |r| r.customer_equity),
    );
    assert_variances_agree(
        "(h) revenue in week 52",
        &column(&agreement.customer.runs, |r| r.periods[51].revenue),
        &column(&agreement.cohort.runs, |r| r.periods[51].revenue),
    );
    // At scale, auto takes the cohort engine for it.
    assert_auto_takes_cohort(&bgnbd_retailer(1_000_000));
}

#[test]
fn engines_agree_on_customer_cv_order_values() {
    let mut cohort = Cohort::new(
        "clients",
        1500,
        Retention::ShiftedBetaGeometric {
            alpha: 1.2,
            beta: 10.0,
        },
        Purchases::NegativeBinomial {
            mean: 1.5,
            shape: 1.2,
        },
        OrderValue::HeterogeneousGamma {
            mean: 80.0,
            cv: 0.3,
            customer_cv: 0.9,
        },
    );
    cohort.set_margin(0.3);
    let scenario = Scenario::build("customer-cv", monthly(24), vec![cohort]).unwrap();
    let agreement = assert_engines_agree("(i) customer_cv order values", &scenario, 600, 402);
    // One customer's orders are alike: the variance of CE carries it (a per-order mixture
    // would understate it).
    assert_variances_agree(
        "(i) customer equity",
        &column(&agreement.customer.runs, |r| r.customer_equity),
        &column(&agreement.cohort.runs, |r| r.customer_equity),
    );
}

#[test]
fn engines_agree_under_churn_shocks_on_a_low_concentration_cohort() {
    // Beta(0.2, 1.8) churn (mean retention 0.9, concentration 2): a fifth of the customers
    // have churn propensities above 1/1.8, where a strong churn shock caps θ·h at one.
    let mut cohort = Cohort::new(
        "fickle",
        4000,
        Retention::MeanConcentration {
            mean: 0.9,
            concentration: 2.0,
        },
        Purchases::Poisson { mean: 1.0 },
        OrderValue::Constant { mean: 25.0 },
    );
    cohort.set_margin(0.4);
    let mut scenario = Scenario::build("low-concentration", monthly(36), vec![cohort]).unwrap();
    scenario
        .set_shocks(Shocks::new(None, Some(Shock::new(0.15, 0.6))))
        .unwrap();
    let agreement = assert_engines_agree(
        "(j) churn shocks on a low-concentration Beta cohort",
        &scenario,
        400,
        403,
    );
    // The approximation is listed with its measured size ...
    let approximations = support(&scenario).expect("supported");
    let error = approximations
        .iter()
        .find_map(|a| a.relative_error)
        .expect("the cap at one is measured");
    println!("(j) measured relative error of customer-periods: {error:.2e}");
    assert!(error > 0.0 && error < 1e-3);
    assert!(agreement.cohort.approximations[0].contains("cap θ·h at one"));
    // ... and the two engines' CE differs by less than the combined error allows (above).
    let (a, b) = (agreement.ce_customer, agreement.ce_cohort);
    assert!((a.mean - b.mean).abs() < SE_MULTIPLE * a.se.hypot(b.se));
}

/// The cohort engine reproduces SPEC §15's BG/NBD E[X(t)] and the Gamma-Gamma mean order
/// value. Its cost does not depend on the customers, so a million of them make the standard
/// error of the per-customer orders about 1e-4 of E[X(t)]: the quadrature's measured error
/// (below 1e-7 here) must, and the test can, resolve.
#[test]
fn engines_cohort_reproduces_bgnbd_expected_purchases_and_the_gamma_gamma_mean() {
    use ceq::model::closed_form::{bgnbd_expected_purchases, gamma_gamma_mean};
    let (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426);
    let (p, q, g) = (6.25, 3.74, 15.44);
    let customers = 1_000_000u64;
    let scenario = Scenario::build(
        "cdnow",
        time(78, 52, 0.10, CashFlowTiming::End),
        vec![Cohort::new(
            "cdnow",
            customers,
            Retention::Dropout { alpha: a, beta: b },
            Purchases::NegativeBinomial {
                mean: r / alpha,
                shape: r,
            },
            OrderValue::GammaGamma { p, q, gamma: g },
        )],
    )
    .unwrap();
    let (sim, elapsed) = simulate(
        &scenario,
        ceq::scenario::PlanId::FIRST,
        200,
        404,
        EngineKind::Cohort,
    );
    println!("cohort engine, 10⁶ BG/NBD customers × 78 weeks × 200 runs: {elapsed:.2} s");
    for t in [1usize, 3, 32, 78] {
        let per_customer = column(&sim.runs, |run| {
            run.periods[..t].iter().map(|p| p.orders).sum::<f64>() / customers as f64
        });
        let est = estimate(&per_customer);
        let expected = bgnbd_expected_purchases(r, alpha, a, b, t as f64).unwrap();
        let z = (est.mean - expected) / est.se;
        println!(
            "E[X({t})]: cohort engine {:.6} ± {:.2e}, closed form {expected:.6}, z = {z:+.2}",
            est.mean, est.se
        );
        assert!(z.abs() < SE_MULTIPLE && est.se < 2e-3 * expected, "t = {t}");
    }
    // Orders and order values are independent, so revenue/orders is unbiased run by run.
    let ratio = estimate(&column(&sim.runs, |run| {
        run.periods.iter().map(|p| p.revenue).sum::<f64>()
            / run.periods.iter().map(|p| p.orders).sum::<f64>()
    }));
    let expected = gamma_gamma_mean(p, q, g);
    println!(
        "Gamma-Gamma mean order value: {:.4} ± {:.4} vs {expected:.4}",
        ratio.mean, ratio.se
    );
    assert!((ratio.mean - expected).abs() < SE_MULTIPLE * ratio.se);
    assert!(ratio.se < 1e-3 * expected);
}

/// The new paths keep SPEC §11: the same runs at any thread count, and shards that
/// concatenate to the whole study.
#[test]
fn engines_cohort_dropout_and_value_strata_are_reproducible_and_shardable() {
    let scenario = bgnbd_retailer(50_000);
    let options = SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs: 12,
        seed: 405,
        engine: EngineKind::Cohort,
        limits: Default::default(),
        control: Default::default(),
    };
    let in_pool = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool")
            .install(|| run(&scenario, &options).expect("runs").runs)
    };
    let one = in_pool(1);
    assert!(one == in_pool(2), "1 and 2 threads give identical runs");
    let plan = &scenario.plans()[0];
    let mut shards = run_plan_range(&scenario, plan, &options, 0..5)
        .expect("shard 1")
        .runs;
    shards.extend(
        run_plan_range(&scenario, plan, &options, 5..12)
            .expect("shard 2")
            .runs,
    );
    assert!(one == shards, "shards concatenate to the whole study");
}

/// Issue 12, item 5: a refusal names the engine that would have run — and why auto chose it —
/// and what would make the study fit.
#[test]
fn engines_size_guard_names_the_engine_that_would_run() {
    use ceq::sim::SimError;
    let big = |engine| {
        let mut scenario = Scenario::build(
            "huge",
            time(9, 1, 0.10, CashFlowTiming::End),
            vec![sbg_contract(20_000_000, 0.704, 1.182)],
        )
        .unwrap();
        // A churn-raising driver pushes θ·h far above one: an approximation auto will not take.
        scenario
            .set_driver(
                Driver::Value,
                Some(driver(1.0, 1000.0, 0.0, [-1.0, 0.0, 0.0])),
            )
            .unwrap();
        let scenario = with_plan(scenario, plan(&[(Lever::Value, 100_000.0)]));
        // One thread, so the estimated hours (and the refusal) do not depend on the machine.
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| {
                run(
                    &scenario,
                    &SimOptions {
                        plan: ceq::scenario::PlanId::FIRST,
                        runs: 200_000,
                        seed: 501,
                        engine,
                        limits: Default::default(),
                        control: Default::default(),
                    },
                )
            })
    };
    match big(EngineKind::Customer) {
        Err(SimError::TooLarge(message)) => {
            println!("{message}");
            assert!(
                message.contains("per-customer engine (as requested)"),
                "{message}"
            );
            assert!(message.contains("at most") && message.contains("--engine cohort"));
        }
        other => panic!("expected a size refusal, got {:?}", other.map(|s| s.engine)),
    }
    match big(EngineKind::Auto) {
        Err(SimError::TooLarge(message)) => {
            println!("{message}");
            assert!(message.contains("auto chose it"), "{message}");
            assert!(message.contains("not below a tenth"), "{message}");
            assert!(message.contains("--engine cohort"), "{message}");
        }
        other => panic!("expected a size refusal, got {:?}", other.map(|s| s.engine)),
    }
}

/// A heavier version of the BG/NBD agreement (20,000 customers, 2,000 runs) for the report of
/// issue 12: `cargo test --release --test integration engines_heavy -- --ignored --nocapture`.
#[test]
#[ignore = "heavy: about a minute in release mode"]
fn engines_heavy_bgnbd_agreement() {
    let scenario = bgnbd_retailer(20_000);
    let agreement = assert_engines_agree(
        "(h, heavy) BG/NBD retailer, 20,000 customers",
        &scenario,
        2000,
        406,
    );
    assert_variances_agree(
        "(h, heavy) customer equity",
        &column(&agreement.customer.runs, |r| r.customer_equity),
        &column(&agreement.cohort.runs, |r| r.customer_equity),
    );
}
