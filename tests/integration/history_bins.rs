//! Binned history strata (issue 12): a history of more than `BIN_THRESHOLD` distinct rows is
//! simulated by the cohort engine in bins by frequency, at a cost that does not grow with the
//! rows. Checked here against the per-customer engine (the exact reference), against the
//! per-history closed forms E[Y(t) | x, t_x, T] and the base's value, for the size of the
//! error the bins report, and for reproducibility at any thread count.

use std::path::Path;

use ceq::fit::bgnbd;
use ceq::model::closed_form::bgnbd_expected_purchases;
use ceq::scenario::{self, Scenario};
use ceq::sim::history_bins::{BIN_THRESHOLD, HistoryPath, history_bins};
use ceq::sim::setup::RunSetup;
use ceq::sim::{self, EngineKind, RunResult, SimOptions, Simulation};
use ceq::stats::describe::describe;

use crate::engines::{assert_engines_agree, assert_variances_agree, ks_critical, ks_statistic};

/// SplitMix64 (Steele, Lea & Flood 2014): a fixed, dependency-free source for the synthetic
/// histories, so the base is the same on every machine.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A history CSV of `rows` distinct rows (x mostly small, T over 40–52 weeks in whole days,
/// t_x anywhere in (0, T], 1–4 customers each), with a `monetary_value` for repeat buyers when
/// `spend`; every count times `scale`.
fn history_csv(rows: usize, seed: u64, spend: bool, scale: u64) -> (String, u64) {
    let mut rng = SplitMix(seed);
    let mut text = String::from("frequency,recency,T,count,monetary_value\n");
    let mut customers = 0;
    for _ in 0..rows {
        // x: geometric-like, P(x = 0) about 0.35.
        let mut x = 0u32;
        while rng.next() < 0.62 && x < 30 {
            x += 1;
        }
        let age_days = 280 + (rng.next() * 85.0) as u32;
        let recency_days = if x == 0 {
            0
        } else {
            1 + (rng.next() * f64::from(age_days - 1)) as u32
        };
        let count = scale * (1 + (rng.next() * 4.0) as u64);
        customers += count;
        let money = if spend && x > 0 {
            format!("{:.2}", 12.0 + 60.0 * rng.next())
        } else {
            String::new()
        };
        text.push_str(&format!(
            "{x},{},{},{count},{money}\n",
            f64::from(recency_days) / 7.0,
            f64::from(age_days) / 7.0
        ));
    }
    (text, customers)
}

/// A BG/NBD cohort (CDNOW estimates) whose existing customers are those of [`history_csv`].
fn history_scenario(dir: &Path, rows: usize, seed: u64, spend: bool, periods: u32) -> Scenario {
    scaled_history_scenario(dir, rows, seed, spend, periods, 1)
}

/// [`history_scenario`] with every history's count times `scale`.
fn scaled_history_scenario(
    dir: &Path,
    rows: usize,
    seed: u64,
    spend: bool,
    periods: u32,
    scale: u64,
) -> Scenario {
    let (csv, _) = history_csv(rows, seed, spend, scale);
    std::fs::write(dir.join("base.history.csv"), csv).unwrap();
    let order_value = if spend {
        "{ p = 6.25, q = 3.74, gamma = 15.44 }"
    } else {
        "{ mean = 35.0, cv = 0.6 }"
    };
    let toml = format!(
        "[time]\nperiods = {periods}\nperiods_per_year = 52\ndiscount_rate = 0.1\n\n\
         [[cohorts]]\nname = \"base\"\n\
         retention = {{ dropout_alpha = 0.793, dropout_beta = 2.426 }}\n\
         purchases = {{ mean = 0.05505, shape = 0.243 }}\n\
         order_value = {order_value}\nmargin = 0.3\nhistory = \"base.history.csv\"\n"
    );
    let path = dir.join("base.toml");
    std::fs::write(&path, toml).unwrap();
    scenario::load_file(&path).unwrap()
}

fn simulate(scenario: &Scenario, engine: EngineKind, runs: u64, seed: u64) -> Simulation {
    sim::run(
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
    .unwrap()
}

/// Σ count × E[Y(t) | x, t_x, T] over the history (Fader, Hardie & Lee 2005a, eq. 10).
fn conditional_total(scenario: &Scenario, t: f64) -> f64 {
    let cohort = &scenario.cohorts()[0];
    let params = ceq::sim::setup::bgnbd_parameters(cohort).unwrap();
    cohort
        .existing()
        .history()
        .unwrap()
        .iter()
        .map(|g| {
            g.count() as f64
                * bgnbd::conditional_expected_purchases(
                    params,
                    g.frequency(),
                    g.recency(),
                    g.age(),
                    t,
                )
                .unwrap()
        })
        .sum()
}

fn orders_through(simulation: &Simulation, t: usize) -> (f64, f64) {
    let totals: Vec<f64> = simulation
        .runs
        .iter()
        .map(|run| run.periods[..t].iter().map(|p| p.orders).sum())
        .collect();
    let d = describe(&totals);
    (d.mean, d.std_error)
}

#[test]
fn a_large_history_is_binned_and_its_error_is_what_the_closed_forms_say() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = history_scenario(dir.path(), 10000, 1, false, 52);
    let history = scenario.cohorts()[0].existing().history().unwrap();
    assert!(history.len() > BIN_THRESHOLD, "{}", history.len());
    let bins = history_bins(&scenario, 0).expect("binned");
    // Far fewer strata-carrying nodes than histories.
    assert!(bins.nodes() * 20 < history.len(), "{} nodes", bins.nodes());
    // The reported error, recomputed independently: the bins' customers at their virtual
    // ages with the fresh BG/NBD E[X(t)] at the posterior parameters (r + x, α + T_k, a,
    // b + x), plus the exact histories, against Σ count × E[Y(t) | x, t_x, T].
    let [r, alpha, a, b] = ceq::sim::setup::bgnbd_parameters(&scenario.cohorts()[0]).unwrap();
    for t in [13.0, 52.0] {
        let exact = conditional_total(&scenario, t);
        let mut binned = 0.0;
        for bin in &bins.bins {
            let x = f64::from(bin.frequency);
            for &(age, w) in &bin.nodes {
                binned += bin.expected_alive
                    * w
                    * bgnbd_expected_purchases(r + x, alpha + age, a, b + x, t).unwrap();
            }
        }
        for &i in &bins.exact {
            let g = &history[i];
            binned += g.count() as f64
                * bgnbd::conditional_expected_purchases(
                    [r, alpha, a, b],
                    g.frequency(),
                    g.recency(),
                    g.age(),
                    t,
                )
                .unwrap();
        }
        let relative = (binned - exact).abs() / exact;
        assert!(
            relative <= bins.error.purchases + 1e-9,
            "t {t}: {binned} vs {exact}: {relative:e} against the reported {:e}",
            bins.error.purchases
        );
    }
    println!("binned history: {:?}, {} nodes", bins.error, bins.nodes());
    assert!(bins.error.purchases < 1e-6, "{:?}", bins.error);
    assert!(bins.error.survivors < 1e-6, "{:?}", bins.error);
    // The approximation is listed with its size.
    let listed = ceq::sim::cohort::support(&scenario).unwrap();
    assert!(
        listed
            .iter()
            .any(|a| a.description.contains("bins by frequency")),
        "{listed:?}"
    );
    // A small history stays exact (no bins).
    let small = history_scenario(dir.path(), 500, 1, false, 52);
    assert!(history_bins(&small, 0).is_none());
}

#[test]
fn binned_histories_agree_with_the_customer_engine() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = history_scenario(dir.path(), 9000, 2, false, 26);
    assert!(history_bins(&scenario, 0).is_some());
    let agreement = assert_engines_agree("binned history", &scenario, 300, 31);
    let ce = |s: &Simulation| s.runs.iter().map(|r| r.customer_equity).collect::<Vec<_>>();
    assert_variances_agree(
        "binned history CE",
        &ce(&agreement.customer),
        &ce(&agreement.cohort),
    );
}

/// Run k of the study on the cohort engine's exact per-history path (no bins), the runs
/// `auto` makes when it refuses the bins.
fn exact_path_runs(scenario: &Scenario, runs: u64, seed: u64) -> Vec<RunResult> {
    use rayon::prelude::*;
    let plan = scenario.plan(scenario.baseline_plan()).unwrap();
    (0..runs)
        .into_par_iter()
        .map(|k| {
            let mut setup = RunSetup::new(scenario, plan, seed, k);
            setup.history = HistoryPath::Exact;
            ceq::sim::cohort::simulate_run(&setup, seed, k).unwrap()
        })
        .collect()
}

/// Binned against exact per-history runs of CE: means within 4 combined standard errors,
/// variances within 4 standard errors of their difference (each √((m4 − s⁴)/n), the
/// large-sample bound an F test assumes for normal data, without assuming normality), p05 and
/// p95 within 3% of the larger of |p50| and p95 − p05, and a two-sample KS test at α = 0.001.
fn assert_ce_agrees(label: &str, exact: &[f64], binned: &[f64]) {
    let (de, db) = (describe(exact), describe(binned));
    let z = (de.mean - db.mean) / de.std_error.hypot(db.std_error);
    println!(
        "{label}: CE exact {:.1} ± {:.1} (sd {:.1}), binned {:.1} ± {:.1} (sd {:.1}): z = {z:+.2}",
        de.mean, de.std_error, de.sd, db.mean, db.std_error, db.sd
    );
    assert!(z.abs() < 4.0, "{label}: means differ, z = {z:+.2}");
    assert_variances_agree(label, exact, binned);
    let denominator = de
        .p50
        .abs()
        .max(db.p50.abs())
        .max(de.p95 - de.p05)
        .max(db.p95 - db.p05);
    for (name, a, b) in [("p05", de.p05, db.p05), ("p95", de.p95, db.p95)] {
        assert!(
            (a - b).abs() <= 0.03 * denominator,
            "{label}: {name} {a} vs {b} (3% of {denominator})"
        );
    }
    let ks = ks_statistic(exact, binned);
    let critical = ks_critical(exact.len(), binned.len(), 0.001);
    assert!(ks < critical, "{label}: KS D = {ks} ≥ {critical}");
}

#[test]
fn histories_with_spend_are_binned_in_spend_classes_and_keep_the_spread() {
    let dir = tempfile::tempdir().unwrap();
    // About 67,000 customers: frequencies with enough customers for several spend classes.
    let scenario = scaled_history_scenario(dir.path(), 9000, 3, true, 13, 3);
    let bins = history_bins(&scenario, 0).expect("binned");
    // Repeat buyers are binned by frequency and spend class, each class its own value strata.
    let classes = bins.spend_classes();
    let frequencies: std::collections::BTreeSet<u32> = bins
        .bins
        .iter()
        .filter(|b| b.values.is_some())
        .map(|b| b.frequency)
        .collect();
    println!(
        "binned history with spend: {:?}, {} bins, {classes} spend classes over {} frequencies",
        bins.error,
        bins.bins.len(),
        frequencies.len()
    );
    assert!(
        frequencies.len() >= 3 && classes >= 2 * frequencies.len(),
        "{classes} classes"
    );
    // Most customers with a spend record are binned.
    let history = scenario.cohorts()[0].existing().history().unwrap();
    let exact: u64 = bins.exact.iter().map(|&i| history[i].count()).sum();
    let records: u64 = history
        .iter()
        .filter(|g| g.frequency() > 0)
        .map(|g| g.count())
        .sum();
    assert!(2 * exact < records, "{exact} of {records} exact");
    assert!(bins.error.revenue < 1e-3, "{:?}", bins.error);
    assert!(bins.error.spread < 1e-2, "{:?}", bins.error);
    let agreement = assert_engines_agree("binned history with spend", &scenario, 300, 32);
    let ce = |runs: &[RunResult]| runs.iter().map(|r| r.customer_equity).collect::<Vec<_>>();
    assert_variances_agree(
        "binned history with spend CE",
        &ce(&agreement.customer.runs),
        &ce(&agreement.cohort.runs),
    );
    // Against the exact per-history cohort path on common seeds.
    let exact = exact_path_runs(&scenario, 300, 32);
    assert_ce_agrees(
        "spend bins against the exact per-history path",
        &ce(&exact),
        &ce(&agreement.cohort.runs),
    );
    // The simulated purchase margin against Σ of each history's discounted expected margin.
    let value = ceq::fit::base_value::value_base(&scenario)[0].value;
    let simulation = simulate(&scenario, EngineKind::Cohort, 400, 33);
    let margin = describe(
        &simulation
            .runs
            .iter()
            .map(|r| r.components.purchase_margin)
            .collect::<Vec<_>>(),
    );
    assert!(
        (margin.mean - value).abs() < 4.0 * margin.std_error,
        "purchase margin {} ± {} against the closed form {value}",
        margin.mean,
        margin.std_error
    );
}

#[test]
fn auto_takes_the_exact_per_history_path_when_the_bins_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Enough customers (about 450,000) for counts by stratum to be the cheaper engine.
    let scenario = scaled_history_scenario(dir.path(), 9000, 3, true, 13, 20);
    let spread = history_bins(&scenario, 0).expect("binned").error.spread;
    assert!(spread > 0.0);
    let options = |runs| SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs,
        seed: 41,
        engine: EngineKind::Auto,
        limits: Default::default(),
        control: Default::default(),
    };
    let plan = scenario.plan(scenario.baseline_plan()).unwrap();
    // A study of few runs takes the bins and says so.
    let few = sim::choose_engine(&scenario, plan, &options(200)).unwrap();
    assert_eq!(few.engine, EngineKind::Cohort, "{}", few.reason);
    assert_eq!(few.history, HistoryPath::Binned);
    assert!(
        few.approximations
            .iter()
            .any(|a| a.contains("bins by frequency")
                && a.contains("spend classes")
                && a.contains("variance of the base's revenue"))
            && few
                .approximations
                .iter()
                .any(|a| a.starts_with("auto took the cohort engine")
                    && a.contains("binned histories change the variance")),
        "{:#?}",
        few.approximations
    );
    // A study so long that the bins' spread error is not below a tenth of its sd's Monte
    // Carlo error: the exact per-history cohort path, not the per-customer engine.
    let runs = (8.0 * (0.2 / spread).powi(2)) as u64 + 1;
    assert!(sim::spread_allowed(runs) < spread);
    let many = sim::choose_engine(&scenario, plan, &options(runs)).unwrap();
    assert_eq!(many.engine, EngineKind::Cohort, "{}", many.reason);
    assert_eq!(many.history, HistoryPath::Exact, "{}", many.reason);
    assert!(
        many.approximations
            .iter()
            .any(|a| a.contains("exact per-history path") && a.contains("refused")),
        "{:#?}",
        many.approximations
    );
    assert!(
        !many
            .approximations
            .iter()
            .any(|a| a.contains("bins by frequency")),
        "{:#?}",
        many.approximations
    );
    // What that choice runs is the exact path: its runs are those of `exact_path_runs`, and
    // differ from the binned runs.
    let chosen: Vec<RunResult> = (0..3)
        .map(|k| {
            let mut setup = RunSetup::new(&scenario, plan, 41, k);
            setup.history = many.history;
            ceq::sim::cohort::simulate_run(&setup, 41, k).unwrap()
        })
        .collect();
    assert_eq!(chosen, exact_path_runs(&scenario, 3, 41));
    let binned = simulate(&scenario, EngineKind::Cohort, 3, 41);
    assert_ne!(chosen, binned.runs);
}

#[test]
fn the_binned_engine_reproduces_the_conditional_expected_purchases() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = history_scenario(dir.path(), 10000, 4, false, 52);
    assert!(history_bins(&scenario, 0).is_some());
    let simulation = simulate(&scenario, EngineKind::Cohort, 400, 34);
    for t in [4usize, 26, 52] {
        let expected = conditional_total(&scenario, t as f64);
        let (mean, se) = orders_through(&simulation, t);
        assert!(
            (mean - expected).abs() < 4.0 * se,
            "{t} weeks: simulated {mean} ± {se}, Σ E[Y(t) | x, t_x, T] {expected}"
        );
        // The test has power: the standard error is a small share of the expectation.
        assert!(se < 0.01 * expected, "{t}: se {se} of {expected}");
    }
    // Alive at the start: Σ count × P(alive).
    let params = ceq::sim::setup::bgnbd_parameters(&scenario.cohorts()[0]).unwrap();
    let alive: f64 = scenario.cohorts()[0]
        .existing()
        .history()
        .unwrap()
        .iter()
        .map(|g| {
            g.count() as f64
                * ceq::fit::scores::p_alive(params, g.frequency(), g.recency(), g.age())
        })
        .sum();
    let first = describe(
        &simulation
            .runs
            .iter()
            .map(|r| r.periods[0].active)
            .collect::<Vec<_>>(),
    );
    assert!(
        (first.mean - alive).abs() < 4.0 * first.std_error,
        "{} ± {} alive against Σ P(alive) = {alive}",
        first.mean,
        first.std_error
    );
}

#[test]
fn a_binned_history_simulates_to_the_same_bytes_at_any_thread_count() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    history_scenario(dir.path(), 9000, 5, true, 20);
    let run = |threads: &str| {
        Command::cargo_bin("ceq")
            .unwrap()
            .arg("simulate")
            .arg(dir.path().join("base.toml"))
            .args([
                "--runs",
                "24",
                "--json",
                "--engine",
                "cohort",
                "--threads",
                threads,
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let one = run("1");
    assert_eq!(one, run("3"));
    let json: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert!(
        json["approximations"].as_array().is_some_and(|a| a
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.contains("bins")))),
        "{}",
        json["approximations"]
    );
}
