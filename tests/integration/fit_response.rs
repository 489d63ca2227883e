//! `ceq fit response` (SPEC §14): histories simulated from known response curves, with
//! carryover, two channels and flighted spend, are fitted back; the 95% intervals cover the
//! truth at their nominal rate; the joint draws keep the estimates' correlation; the command
//! refuses to overwrite and names bad cells.

use rand::RngExt;
use rand_distr::{Binomial, Distribution};

use ceq::fit::response::{
    self, Counts, NewCustomers, ResponseFit, ResponseForm, ResponseSettings, SpendHistory,
};
use ceq::sim::rng::{Stream, stream};

/// A channel of a synthetic history: natural parameters in the form's order, prospects, and
/// the spend range of a flighted period (on in 60% of periods, uniform within the range).
struct Truth {
    params: Vec<f64>,
    prospects: f64,
    spend: (f64, f64),
}

/// A history of `periods` periods drawn exactly from the model (binomial counts).
fn simulate(
    form: ResponseForm,
    truths: &[Truth],
    periods: usize,
    seed: u64,
    total: bool,
) -> SpendHistory {
    let mut rng = stream(seed, 0, Stream::Scores);
    let mut spend = Vec::new();
    let mut counts = Vec::new();
    for truth in truths {
        let s: Vec<f64> = (0..periods)
            .map(|t| {
                if t == 0 || rng.random::<f64>() < 0.6 {
                    truth.spend.0 + (truth.spend.1 - truth.spend.0) * rng.random::<f64>()
                } else {
                    0.0
                }
            })
            .collect();
        let p = response::probabilities(form, &truth.params, &s, truth.prospects);
        let y: Vec<f64> = p
            .iter()
            .map(|&p| {
                Binomial::new(truth.prospects as u64, p)
                    .unwrap()
                    .sample(&mut rng) as f64
            })
            .collect();
        spend.push(s);
        counts.push(y);
    }
    let new_customers = if total {
        NewCustomers::Total(
            (0..periods)
                .map(|t| counts.iter().map(|c| c[t]).sum())
                .collect(),
        )
    } else {
        NewCustomers::ByChannel(counts)
    };
    SpendHistory {
        period_column: "week".to_string(),
        periods: (1..=periods).map(|t| t.to_string()).collect(),
        lines: (2..=periods as u64 + 1).collect(),
        channels: (0..truths.len()).map(|c| format!("c{c}")).collect(),
        spend,
        new_customers,
    }
}

fn two_channels(form: ResponseForm) -> Vec<Truth> {
    let (a, b) = match form {
        ResponseForm::HalfSpend => (vec![0.01, 0.2, 0.3], vec![0.02, 0.3, 0.5]),
        ResponseForm::K => (vec![0.01, 3.5, 0.3], vec![0.02, 2.3, 0.5]),
        ResponseForm::Hill => (vec![0.012, 0.2, 1.8, 0.3], vec![0.02, 0.3, 1.2, 0.5]),
    };
    vec![
        Truth {
            params: a,
            prospects: 200_000.0,
            spend: (5_000.0, 90_000.0),
        },
        Truth {
            params: b,
            prospects: 50_000.0,
            spend: (2_000.0, 30_000.0),
        },
    ]
}

fn fit(
    history: &SpendHistory,
    truths: &[Truth],
    form: ResponseForm,
    holdout: usize,
) -> ResponseFit {
    let settings = ResponseSettings {
        form,
        prospects: truths.iter().map(|t| t.prospects).collect(),
        holdout,
        counts: Counts::Binomial,
    };
    response::fit_response(history, &settings).unwrap()
}

/// Every estimate is within 3 standard errors of the truth (a 0.3% two-sided miss per
/// parameter if the standard errors are right).
fn assert_recovered(fit: &ResponseFit, truths: &[Truth]) {
    for (channel, truth) in fit.channels.iter().zip(truths) {
        for (p, want) in channel.parameters.iter().zip(&truth.params) {
            let se = p.std_error.unwrap();
            assert!(
                (p.value - want).abs() < 3.0 * se,
                "{} {}: {} ± {se}, truth {want}",
                channel.name,
                p.name,
                p.value
            );
            // The standard errors are small enough to catch a wrong curve: under 10% of the
            // value.
            assert!(se < 0.1 * want, "{} {}: se {se}", channel.name, p.name);
        }
    }
}

#[test]
fn all_three_forms_are_recovered_with_carryover_and_flighted_spend() {
    for (seed, form) in [ResponseForm::HalfSpend, ResponseForm::K, ResponseForm::Hill]
        .into_iter()
        .enumerate()
    {
        let truths = two_channels(form);
        let history = simulate(form, &truths, 104, seed as u64 + 10, false);
        let fitted = fit(&history, &truths, form, 0);
        assert_recovered(&fitted, &truths);
    }
}

#[test]
fn a_total_column_is_fitted_jointly() {
    let form = ResponseForm::HalfSpend;
    let truths = two_channels(form);
    let history = simulate(form, &truths, 156, 21, true);
    let fitted = fit(&history, &truths, form, 8);
    assert_recovered(&fitted, &truths);
    // The joint fit correlates the channels' parameters; the per-channel fit cannot.
    let correlation = fitted.correlation.as_ref().unwrap();
    assert!(correlation[0][3].abs() > 0.01, "{correlation:?}");
    let holdout = fitted.holdout.as_ref().unwrap();
    assert_eq!(holdout.total, 8);
    assert!(holdout.inside >= 6, "{holdout:?}");
}

/// Share of histories whose 95% interval covers the truth, per parameter (channel-major).
fn coverage(form: ResponseForm, histories: u64) -> Vec<f64> {
    let truths = two_channels(form);
    let mut covered = vec![0u32; truths.iter().map(|t| t.params.len()).sum()];
    for seed in 0..histories {
        let history = simulate(form, &truths, 104, 1000 + seed, false);
        let fitted = fit(&history, &truths, form, 0);
        let intervals = fitted
            .channels
            .iter()
            .flat_map(|c| c.parameters.iter().map(|p| p.ci95.unwrap()));
        let truth = truths.iter().flat_map(|t| t.params.iter());
        for (i, ([lo, hi], want)) in intervals.zip(truth).enumerate() {
            if lo <= *want && *want <= hi {
                covered[i] += 1;
            }
        }
    }
    covered
        .iter()
        .map(|c| f64::from(*c) / histories as f64)
        .collect()
}

#[test]
fn intervals_cover_the_truth_at_their_nominal_rate() {
    // 200 histories of the half-spend form: each parameter's 95% interval covers the truth in
    // 90–98% of them (the binomial sd of a 95% rate over 200 is 1.5 points).
    let shares = coverage(ResponseForm::HalfSpend, 200);
    eprintln!("HalfSpend: {shares:?}");
    for share in &shares {
        assert!((0.90..=0.98).contains(share), "{shares:?}");
    }
}

#[test]
#[ignore = "600 more fits; run with --ignored"]
fn intervals_cover_the_truth_for_the_k_and_hill_forms() {
    for form in [ResponseForm::K, ResponseForm::Hill] {
        let shares = coverage(form, 200);
        eprintln!("{form:?}: {shares:?}");
        for share in &shares {
            assert!((0.90..=0.98).contains(share), "{form:?}: {shares:?}");
        }
    }
}

/// Sample correlation of two columns.
fn correlation(rows: &[Vec<f64>], a: usize, b: usize) -> f64 {
    let n = rows.len() as f64;
    let mean = |i: usize| rows.iter().map(|r| r[i]).sum::<f64>() / n;
    let (ma, mb) = (mean(a), mean(b));
    let cov = rows.iter().map(|r| (r[a] - ma) * (r[b] - mb)).sum::<f64>();
    let va = rows.iter().map(|r| (r[a] - ma).powi(2)).sum::<f64>();
    let vb = rows.iter().map(|r| (r[b] - mb).powi(2)).sum::<f64>();
    cov / (va * vb).sqrt()
}

#[test]
fn draws_keep_the_estimates_correlation_and_spread() {
    let form = ResponseForm::HalfSpend;
    let truths = two_channels(form);
    let history = simulate(form, &truths, 104, 5, false);
    let fitted = fit(&history, &truths, form, 0);
    let draws = response::sample_draws(&fitted, 20_000, 7).unwrap();
    assert_eq!(
        draws.paths[..3],
        [
            "acquisition.channels.c0.response.ceiling",
            "acquisition.channels.c0.response.half_spend",
            "acquisition.channels.c0.carryover"
        ]
    );
    let expected = fitted.correlation.as_ref().unwrap();
    // The ceiling and half-spend of a saturating curve trade off strongly.
    assert!(expected[0][1] > 0.5, "{expected:?}");
    // A sample correlation of 20,000 normal pairs has sd (1 − ρ²)/√n ≤ 0.007.
    for (a, b) in [(0, 1), (0, 2), (1, 2), (3, 4)] {
        let got = correlation(&draws.rows, a, b);
        let sd = (1.0 - expected[a][b].powi(2)) / (20_000f64).sqrt();
        assert!(
            (got - expected[a][b]).abs() < 4.0 * sd + 1e-3,
            "({a}, {b}): {got} vs {}",
            expected[a][b]
        );
    }
    // The channels are fitted separately: their draws are uncorrelated.
    assert!(correlation(&draws.rows, 0, 3).abs() < 4.0 / (20_000f64).sqrt());
    // Each column's mean is the estimate, its sd the standard error.
    for (i, p) in fitted
        .channels
        .iter()
        .flat_map(|c| &c.parameters)
        .enumerate()
    {
        let mean = draws.rows.iter().map(|r| r[i]).sum::<f64>() / 20_000.0;
        let se = p.std_error.unwrap();
        assert!(
            (mean - p.value).abs() < 4.0 * se / (20_000f64).sqrt(),
            "{}",
            p.name
        );
    }
    assert_eq!(draws.clamped, 0);
    // Same seed, same file.
    assert_eq!(
        draws.to_csv(),
        response::sample_draws(&fitted, 20_000, 7).unwrap().to_csv()
    );
}

mod cli {
    use super::*;
    use assert_cmd::Command;
    use predicates::prelude::*;

    fn history_csv(dir: &std::path::Path) -> std::path::PathBuf {
        let form = ResponseForm::HalfSpend;
        let truths = two_channels(form);
        let history = simulate(form, &truths, 60, 3, false);
        let NewCustomers::ByChannel(counts) = &history.new_customers else {
            unreachable!()
        };
        let mut text = "week,spend_search,spend_social,new_search,new_social\n".to_string();
        for (t, period) in history.periods.iter().enumerate() {
            text.push_str(&format!(
                "{period},{},{},{},{}\n",
                history.spend[0][t], history.spend[1][t], counts[0][t], counts[1][t]
            ));
        }
        let path = dir.join("history.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn ceq() -> Command {
        Command::cargo_bin("ceq").unwrap()
    }

    #[test]
    fn json_channels_and_draws() {
        let dir = tempfile::tempdir().unwrap();
        let history = history_csv(dir.path());
        let channels = dir.path().join("channels.toml");
        let draws = dir.path().join("draws.csv");
        let output = ceq()
            .args(["fit", "response"])
            .arg(&history)
            .args([
                "--prospects",
                "search=200000,social=50000",
                "--holdout",
                "6",
                "--json",
            ])
            .arg("--write-channels")
            .arg(&channels)
            .arg("--draws")
            .arg(&draws)
            .args(["--draw-count", "50"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let search = &json["channels"][0];
        assert_eq!(search["name"], "search");
        for key in [
            "ceiling",
            "half_spend",
            "carryover",
            "ceiling_se",
            "half_spend_se",
            "carryover_se",
            "log_likelihood",
        ] {
            assert!(search[key].is_number(), "{key}: {search}");
        }
        assert_eq!(json["holdout"]["total"], 12);
        let toml = std::fs::read_to_string(&channels).unwrap();
        assert!(
            toml.contains("[[acquisition.channels]]\nname = \"social\""),
            "{toml}"
        );
        let parsed: toml::Value = toml::from_str(&toml).unwrap();
        let fitted = parsed["acquisition"]["channels"][0]["response"]["ceiling"]
            .as_float()
            .unwrap();
        assert!((fitted / search["ceiling"].as_f64().unwrap() - 1.0).abs() < 1e-5);
        let draws = std::fs::read_to_string(&draws).unwrap();
        assert_eq!(draws.lines().count(), 51);
        assert!(draws.starts_with("acquisition.channels.search.response.ceiling,"));
    }

    #[test]
    fn existing_files_and_the_history_are_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let history = history_csv(dir.path());
        let before = std::fs::read(&history).unwrap();
        let channels = dir.path().join("channels.toml");
        std::fs::write(&channels, "mine").unwrap();
        let base = || {
            let mut cmd = ceq();
            cmd.args(["fit", "response"])
                .arg(&history)
                .args(["--prospects", "search=200000,social=50000"]);
            cmd
        };
        base()
            .arg("--write-channels")
            .arg(&channels)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("already exists; use --force"));
        assert_eq!(std::fs::read_to_string(&channels).unwrap(), "mine");
        for flag in ["--write-channels", "--draws"] {
            base()
                .arg(flag)
                .arg(&history)
                .arg("--force")
                .assert()
                .code(2)
                .stderr(predicate::str::contains("is the spend history itself"));
        }
        assert_eq!(std::fs::read(&history).unwrap(), before);
        base()
            .arg("--write-channels")
            .arg(&channels)
            .arg("--force")
            .assert()
            .success();
        assert!(
            std::fs::read_to_string(&channels)
                .unwrap()
                .contains("[[acquisition.channels]]")
        );
    }

    #[test]
    fn bad_histories_name_the_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        let run = |text: &str| {
            std::fs::write(&path, text).unwrap();
            ceq()
                .args(["fit", "response"])
                .arg(&path)
                .args(["--prospects", "search=1000"])
                .assert()
                .code(2)
        };
        run("week,spend_search,new_search\n1,10,3\n2,-5,4\n").stderr(predicate::str::contains(
            "line 3: column 2 (`spend_search`): '-5' is not a spend ≥ 0",
        ));
        run("week,spend_search,new_search\n1,0,3\n2,5,4\n").stderr(predicate::str::contains(
            "line 2: `new_search` is 3 before any spend",
        ));
        run("week,spend_search,new_search\n1,10,0\n2,20,0\n3,0,0\n4,30,0\n5,5,0\n6,7,0\n").stderr(
            predicate::str::contains("`new_search` is 0 in every fitted period"),
        );
        run("week,spend_search\n1,10\n").stderr(predicate::str::contains("missing `new_search`"));
        run("week,spend_search,new_search\n1,10,3\n2,5,4\n")
            .stderr(predicate::str::contains("leave 2 to fit 3 parameters"));
        std::fs::write(&path, "week,spend_search,new_search\n1,10,3\n").unwrap();
        ceq()
            .args(["fit", "response"])
            .arg(&path)
            .args(["--prospects", "other=1000"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "channel `search` has no prospects",
            ));
    }

    /// Each fit writes its own JSON name (SPEC §12.1), so a transactions fit and a response
    /// fit into one `--out` folder keep both results, and the manifest names both.
    #[test]
    fn two_fits_into_one_folder_keep_both_results() {
        let dir = tempfile::tempdir().unwrap();
        let history = history_csv(dir.path());
        let out = dir.path().join("fit");
        ceq()
            .args([
                "fit",
                "transactions",
                "tests/data/cdnow_sample_transactions.csv",
            ])
            .args(["--calibration-end", "1997-09-30", "--out"])
            .arg(&out)
            .assert()
            .success();
        ceq()
            .args(["fit", "response"])
            .arg(&history)
            .args(["--prospects", "search=200000,social=50000", "--out"])
            .arg(&out)
            .assert()
            .success();
        let read = |name: &str| -> serde_json::Value {
            serde_json::from_slice(&std::fs::read(out.join(name)).unwrap()).unwrap()
        };
        assert!(read("fit_transactions.json").get("tracking").is_some());
        assert!(read("fit_response.json").get("channels").is_some());
        assert!(!out.join("fit.json").exists());
        let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
        for name in ["fit_transactions.json", "fit_response.json"] {
            assert!(
                manifest.contains(name),
                "the manifest names {name}: {manifest}"
            );
        }
    }
}

/// Counts with more period-to-period noise than a binomial's: Poisson(P·p_t·G_t) with
/// G_t ~ Gamma(1/ω, ω) (mean 1, variance ω), which is negative binomial with mean P·p_t and
/// variance μ + ω·μ².
fn overdispersed(history: &mut SpendHistory, truths: &[Truth], form: ResponseForm, omega: f64) {
    use rand_distr::{Gamma, Poisson};
    let mut rng = stream(99, 0, Stream::Scores);
    let NewCustomers::ByChannel(counts) = &mut history.new_customers else {
        unreachable!()
    };
    let gamma = Gamma::new(1.0 / omega, omega).unwrap();
    for (c, truth) in truths.iter().enumerate() {
        let p = response::probabilities(form, &truth.params, &history.spend[c], truth.prospects);
        for (t, p) in p.iter().enumerate() {
            let rate = truth.prospects * p * gamma.sample(&mut rng);
            counts[c][t] = if rate > 0.0 {
                Poisson::new(rate).unwrap().sample(&mut rng)
            } else {
                0.0
            };
        }
    }
}

#[test]
fn negative_binomial_counts_widen_the_intervals_of_noisy_histories() {
    let form = ResponseForm::HalfSpend;
    let truths = two_channels(form);
    let mut history = simulate(form, &truths, 156, 31, false);
    let omega = 0.01;
    overdispersed(&mut history, &truths, form, omega);
    let settings = |counts| ResponseSettings {
        form,
        prospects: truths.iter().map(|t| t.prospects).collect(),
        holdout: 0,
        counts,
    };
    let negbin = response::fit_response(&history, &settings(Counts::NegativeBinomial)).unwrap();
    assert_recovered(&negbin, &truths);
    let binomial = response::fit_response(&history, &settings(Counts::Binomial)).unwrap();
    for (nb, bin) in negbin.channels.iter().zip(&binomial.channels) {
        let w = nb.overdispersion.as_ref().unwrap();
        let se = w.std_error.unwrap();
        assert!((w.value - omega).abs() < 3.0 * se, "ω {} ± {se}", w.value);
        // With variance μ + ωμ² at μ in the hundreds, the binomial standard errors are too
        // small by a factor of about √(1 + ωμ) ≥ 1.5.
        for (a, b) in nb.parameters.iter().zip(&bin.parameters) {
            assert!(
                a.std_error.unwrap() > 1.5 * b.std_error.unwrap(),
                "{} {}: {a:?} vs {b:?}",
                nb.name,
                a.name
            );
        }
    }
    // Binomial counts show no overdispersion, and the negative binomial says so.
    let plain = simulate(form, &truths, 104, 5, false);
    let error = response::fit_response(&plain, &settings(Counts::NegativeBinomial)).unwrap_err();
    assert!(
        error.to_string().contains("show no overdispersion"),
        "{error}"
    );
    // A total cannot be fitted with negative-binomial counts.
    let mut total = simulate(form, &truths, 60, 3, true);
    total.channels.truncate(2);
    let error = response::fit_response(&total, &settings(Counts::NegativeBinomial)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("need one `new_<channel>` column")
    );
}
