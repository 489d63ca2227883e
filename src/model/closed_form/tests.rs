//! Every reference number of SPEC §1 and §15, plus independent checks of the special functions.
//! Values marked "mpmath" were computed with Python's mpmath at 30 significant digits.

use nalgebra::{DMatrix, DVector, dmatrix, dvector};

use super::*;

/// |actual − expected| ≤ tolerance, with both printed on failure.
#[track_caller]
fn assert_close(actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "expected {expected} ± {tolerance}, got {actual} (off by {:e})",
        (actual - expected).abs()
    );
}

/// Relative closeness, for values of any size.
#[track_caller]
fn assert_relative(actual: f64, expected: f64, tolerance: f64) {
    assert_close(actual, expected, tolerance * expected.abs());
}

// --- special functions -----------------------------------------------------------------------

#[test]
fn ln_gamma_matches_known_values() {
    assert_close(ln_gamma(1.0), 0.0, 1e-15);
    assert_close(ln_gamma(2.0), 0.0, 1e-15);
    assert_close(ln_gamma(0.5), std::f64::consts::PI.sqrt().ln(), 1e-14);
    assert_close(ln_gamma(10.0), 362_880.0_f64.ln(), 1e-13);
    // mpmath loggamma
    assert_close(ln_gamma(0.1), 2.252_712_651_734_206, 1e-14);
    assert_close(ln_gamma(1e-3), 6.907_178_885_383_853, 1e-13);
    assert_relative(ln_gamma(150.5), 602.513_954_870_585_4, 1e-14);
}

#[test]
fn ln_beta_is_symmetric_and_matches_factorials() {
    // B(2, 3) = 1!·2!/4! = 1/12
    assert_close(ln_beta(2.0, 3.0), (1.0_f64 / 12.0).ln(), 1e-14);
    assert_close(ln_beta(0.704, 1.182), ln_beta(1.182, 0.704), 1e-15);
    // B(1, b) = 1/b
    assert_close(ln_beta(1.0, 7.5), -(7.5_f64.ln()), 1e-14);
}

#[test]
fn hyp2f1_logarithm_identity() {
    // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z
    for z in [-0.9, -0.5, -0.1, 0.01, 0.3, 0.5, 0.9, 0.946, 0.99, 0.999] {
        let expected = -(1.0_f64 - z).ln() / z;
        assert_relative(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), expected, 1e-13);
    }
}

#[test]
fn hyp2f1_matches_mpmath() {
    // mpmath hyp2f1
    assert_relative(
        hyp2f1(0.5, 1.5, 2.25, -0.7).unwrap(),
        0.830_998_577_068_133,
        1e-13,
    );
    assert_relative(
        hyp2f1(2.5, 0.3, 1.7, 0.98).unwrap(),
        17.945_073_157_977_137,
        1e-12,
    );
    assert_relative(
        hyp2f1(0.3, 2.1, 1.3, 0.999).unwrap(),
        546.996_931_776_403,
        1e-11,
    );
    assert_relative(
        hyp2f1(1.0, 15.2, 19.0, -0.5).unwrap(),
        0.715_032_078_339_358_7,
        1e-13,
    );
    // The BG/NBD case of SPEC §15 at t = 78 weeks: z = 78/82.414 ≈ 0.946, c − a − b < 0.
    let z = 78.0 / (4.414 + 78.0);
    assert_relative(
        hyp2f1(0.243, 2.426, 0.793 + 2.426 - 1.0, z).unwrap(),
        2.390_005_596_268_861,
        1e-12,
    );
    // A monthly DEL: z = 1.1^(−1/12) ≈ 0.992.
    let z = 1.1_f64.powf(-1.0 / 12.0);
    assert_relative(
        hyp2f1(1.0, 1.182, 1.886, z).unwrap(),
        10.254_859_325_296_697,
        1e-12,
    );
}

#[test]
fn hyp2f1_terminates_for_polynomials_and_handles_edges() {
    // a = −3: a cubic in z; mpmath gives 15/28.
    assert_close(hyp2f1(-3.0, 2.0, 5.0, 0.5).unwrap(), 15.0 / 28.0, 1e-15);
    assert_eq!(hyp2f1(1.5, 2.5, 3.5, 0.0).unwrap(), 1.0);
    assert!(matches!(
        hyp2f1(1.0, 1.0, 2.0, 1.0),
        Err(ClosedFormError::OutOfDomain { name: "z", .. })
    ));
    assert!(matches!(
        hyp2f1(1.0, 1.0, -2.0, 0.5),
        Err(ClosedFormError::OutOfDomain { name: "c", .. })
    ));
    assert!(matches!(
        hyp2f1(1.0, 1.0, 2.0, 1.0 - 1e-9),
        Err(ClosedFormError::NotConverged { .. })
    ));
    assert_eq!(
        hyp2f1(1.0, 1.0, 0.0, 0.5).unwrap_err().to_string(),
        "c = 0 is out of range: expected c not a non-positive integer"
    );
}

// --- discounting and constant retention (SPEC §1) ----------------------------------------

#[test]
fn discount_factor_and_timing() {
    let delta = per_period_discount_factor(0.10, 12);
    assert_relative(delta.powi(12), 1.0 / 1.1, 1e-15);
    assert_eq!(per_period_discount_factor(0.10, 1), 1.0 / 1.1);
    assert_eq!(discount(1, 0.9, CashFlowTiming::Start), 1.0);
    assert_close(discount(1, 0.9, CashFlowTiming::End), 0.9, 1e-16);
    assert_close(discount(3, 0.9, CashFlowTiming::End), 0.729, 1e-15);
    assert_close(discount(3, 0.9, CashFlowTiming::Start), 0.81, 1e-15);
}

/// Brute-force Σ_t disc(t)·N·r^(t−1)·m against the closed form.
fn constant_retention_by_sum(
    customers: f64,
    margin: f64,
    retention: f64,
    rate: f64,
    periods: u32,
    timing: CashFlowTiming,
) -> f64 {
    let delta = 1.0 / (1.0 + rate);
    (1..=periods)
        .map(|t| discount(t, delta, timing) * customers * retention.powi(t as i32 - 1) * margin)
        .sum()
}

#[test]
fn constant_retention_closed_forms_spec_1() {
    let (n, m, r, d) = (1000.0, 20.0, 0.85, 0.01);
    let end = constant_retention_ce(n, m, r, d, None, CashFlowTiming::End);
    let start = constant_retention_ce(n, m, r, d, None, CashFlowTiming::Start);
    assert_relative(end, n * m / (1.0 + d - r), 1e-15);
    assert_relative(start, n * m * (1.0 + d) / (1.0 + d - r), 1e-15);
    assert_relative(start, end * (1.0 + d), 1e-15);
    for timing in [CashFlowTiming::End, CashFlowTiming::Start] {
        let infinite = constant_retention_ce(n, m, r, d, None, timing);
        for horizon in [1, 12, 60] {
            let finite = constant_retention_ce(n, m, r, d, Some(horizon), timing);
            assert_relative(
                finite,
                infinite * (1.0 - (r / (1.0 + d)).powi(horizon as i32)),
                1e-14,
            );
            assert_relative(
                finite,
                constant_retention_by_sum(n, m, r, d, horizon, timing),
                1e-13,
            );
        }
        assert_relative(
            infinite,
            constant_retention_by_sum(n, m, r, d, 5000, timing),
            1e-13,
        );
    }
}

#[test]
fn gls_margin_multiple_spec_15() {
    // m = 100, r = 0.8, i = 0.12 → 250 (Gupta, Lehmann & Stuart 2004)
    assert_close(gls_margin_multiple(100.0, 0.8, 0.12), 250.0, 1e-12);
    // It is the end-timing value of the r customers who survive to the next period.
    assert_close(
        gls_margin_multiple(100.0, 0.8, 0.12),
        constant_retention_ce(0.8, 100.0, 0.8, 0.12, None, CashFlowTiming::End),
        1e-12,
    );
}

// --- sBG (SPEC §15) --------------------------------------------------------------------------

#[test]
fn sbg_survival_fader_hardie_2007_regular() {
    // α = 0.704, β = 1.182, 1000 customers: 1000, 626.7, 473.8, 388.0, 332.1, 292.4
    let expected = [1000.0, 626.7, 473.8, 388.0, 332.1, 292.4];
    for (t, &alive) in expected.iter().enumerate() {
        assert_close(1000.0 * sbg_survival(0.704, 1.182, t as u32), alive, 0.05);
        // …and as the expected active during period t + 1.
        assert_close(
            sbg_expected_active(1000.0, 0.704, 1.182, t as u32 + 1),
            alive,
            0.05,
        );
    }
    // mpmath, to full precision
    assert_relative(
        1000.0 * sbg_survival(0.704, 1.182, 3),
        387.999_875_898_627_65,
        1e-13,
    );
    assert_relative(
        sbg_survival(0.704, 1.182, 200).ln(),
        -3.697_584_712_475_319_6,
        1e-12,
    );
    assert_eq!(sbg_expected_active(1000.0, 0.704, 1.182, 0), 0.0);
}

#[test]
fn sbg_retention_rate_is_survival_ratio() {
    for t in 1..=20 {
        let ratio = sbg_survival(0.668, 3.806, t) / sbg_survival(0.668, 3.806, t - 1);
        assert_relative(sbg_retention_rate(0.668, 3.806, t), ratio, 1e-13);
    }
    // r(1) = β/(α + β)
    assert_close(sbg_retention_rate(0.704, 1.182, 1), 1.182 / 1.886, 1e-15);
}

#[test]
fn sbg_derl_fader_hardie_2010() {
    // α = 3.80, β = 15.20, d = 0.10, n = 1..5: 3.31, 3.45, 3.59, 3.72, 3.84
    let expected = [3.31, 3.45, 3.59, 3.72, 3.84];
    for (n, &value) in (1..=5).zip(expected.iter()) {
        assert_close(sbg_derl(3.80, 15.20, 0.10, n).unwrap(), value, 0.005);
    }
    // mpmath, to full precision
    assert_relative(
        sbg_derl(3.80, 15.20, 0.10, 1).unwrap(),
        3.309_818_421_025_369_6,
        1e-12,
    );
    assert_relative(
        sbg_derl(3.80, 15.20, 0.10, 5).unwrap(),
        3.842_134_024_026_919,
        1e-12,
    );
    assert!(matches!(
        sbg_derl(3.80, 15.20, 0.10, 0),
        Err(ClosedFormError::OutOfDomain { name: "n", .. })
    ));
}

#[test]
fn sbg_del_matches_survival_sum_and_derl() {
    let (alpha, beta, d) = (3.80, 15.20, 0.10);
    let del = sbg_del(alpha, beta, d).unwrap();
    // mpmath
    assert_relative(del, 4.008_925_837_295_790_6, 1e-12);
    // DEL = Σ_{t≥0} S(t)/(1 + d)^t ("start" timing)
    let by_sum: f64 = (0..2000)
        .map(|t| sbg_survival(alpha, beta, t) / (1.0 + d).powi(t as i32))
        .sum();
    assert_relative(del, by_sum, 1e-11);
    // DEL = 1 + DERL(n = 1)/(1 + d)
    assert_relative(
        del,
        1.0 + sbg_derl(alpha, beta, d, 1).unwrap() / (1.0 + d),
        1e-13,
    );
    // DERL(n) = Σ_{t≥n} S(t)/S(n − 1) / (1 + d)^(t − n)
    let n = 4;
    let by_sum: f64 = (n..n + 2000)
        .map(|t| {
            sbg_survival(alpha, beta, t)
                / sbg_survival(alpha, beta, n - 1)
                / (1.0 + d).powi((t - n) as i32)
        })
        .sum();
    assert_relative(sbg_derl(alpha, beta, d, n).unwrap(), by_sum, 1e-11);
    assert!(sbg_del(alpha, beta, 0.0).is_err());
}

// --- BG/NBD and Gamma-Gamma (SPEC §14, §15) ------------------------------------------------

#[test]
fn bgnbd_expected_purchases_cdnow() {
    // The formula, with SPEC's rounded estimates r = 0.243, α = 4.414, a = 0.793, b = 2.426,
    // against mpmath to full precision.
    let rounded = |t| bgnbd_expected_purchases(0.243, 4.414, 0.793, 2.426, t).unwrap();
    assert_relative(rounded(1.0), 0.053_267_891_171_658_28, 1e-11);
    assert_relative(rounded(3.0), 0.150_865_230_893_046_68, 1e-11);
    assert_relative(rounded(31.857), 1.041_993_786_087_489_3, 1e-11);
    assert_relative(rounded(78.0), 1.860_519_057_942_768_5, 1e-11);

    // SPEC §15 quotes 0.0532, 0.1506, 1.0405, 1.8576. The three-decimal estimates do not
    // reproduce them (0.0533, 0.1509, 1.0420, 1.8605); Fader, Hardie & Lee's unrounded
    // maximum-likelihood estimates do, except t = 78, which gives 1.8580.
    let full = |t| bgnbd_expected_purchases(0.242594, 4.413595, 0.792919, 2.425946, t).unwrap();
    assert_close(full(1.0), 0.0532, 5e-5);
    assert_close(full(3.0), 0.1506, 5e-5);
    assert_close(full(31.857), 1.0405, 5e-5);
    assert_close(full(78.0), 1.8576, 5e-4);
    assert_relative(full(78.0), 1.857_971_486_308_719_2, 1e-11);

    assert_eq!(rounded(0.0), 0.0);
    assert!(matches!(
        bgnbd_expected_purchases(0.243, 4.414, 1.0, 2.426, 1.0),
        Err(ClosedFormError::OutOfDomain { name: "a", .. })
    ));
}

#[test]
fn bgnbd_is_close_to_poisson_rate_for_short_horizons() {
    // For small t, E[X(t)] ≈ (r/α)·t: dropout needs a purchase first.
    let (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426);
    let t = 1e-4;
    assert_relative(
        bgnbd_expected_purchases(r, alpha, a, b, t).unwrap(),
        r / alpha * t,
        1e-3,
    );
}

#[test]
fn gamma_gamma_mean_cdnow() {
    // p = 6.25, q = 3.74, γ = 15.44 → p·γ/(q − 1) = 35.22
    assert_close(gamma_gamma_mean(6.25, 3.74, 15.44), 35.22, 5e-3);
    assert_relative(gamma_gamma_mean(6.25, 3.74, 15.44), 96.5 / 2.74, 1e-15);
}

// --- Blattberg & Deighton (SPEC §15) ---------------------------------------------------------

#[test]
fn bd_customer_equity_by_hand() {
    // a = 0.3, m = 100, A = 20, r = 0.8, R = 10, d = 0.1:
    // 30 − 20 + 0.3·(100 − 12.5)·0.8/0.3 = 80
    assert_close(
        bd_customer_equity(0.3, 100.0, 20.0, 0.8, 10.0, 0.1),
        80.0,
        1e-12,
    );
    assert_close(
        bd_customer_equity(0.3, 100.0, 20.0, 0.8, 10.0, 0.1),
        0.3 * bd_customer_lifetime_value(100.0, 0.8, 10.0, 0.1) - 20.0,
        1e-12,
    );
    assert_close(bd_response(0.4, 0.05, 0.0), 0.0, 0.0);
    assert_close(
        bd_response(0.4, 0.05, 20.0),
        0.4 * (1.0 - (-1.0_f64).exp()),
        1e-15,
    );
}

/// Maximizer of a unimodal f on [low, high] by golden-section search.
fn golden_section_argmax(f: impl Fn(f64) -> f64, mut low: f64, mut high: f64) -> f64 {
    let ratio = (5.0_f64.sqrt() - 1.0) / 2.0;
    while high - low > 1e-10 * (1.0 + high.abs()) {
        let left = high - ratio * (high - low);
        let right = low + ratio * (high - low);
        if f(left) < f(right) {
            low = left;
        } else {
            high = right;
        }
    }
    0.5 * (low + high)
}

#[test]
fn bd_optimum_equates_marginal_costs_with_clv() {
    // At the optimum, 1/(k_a(C_a − a*)) = 1/(k_r(C_r − r*)) = expected CLV (SPEC §15).
    let (ceiling_a, k_a, ceiling_r, k_r, margin, d) = (0.5, 0.05, 0.9, 0.05, 50.0, 0.1);
    let equity = |acq_spend: f64, retention_spend: f64| {
        bd_customer_equity(
            bd_response(ceiling_a, k_a, acq_spend),
            margin,
            acq_spend,
            bd_response(ceiling_r, k_r, retention_spend),
            retention_spend,
            d,
        )
    };
    // CE = a(A)·CLV(R) − A, so the best R does not depend on A.
    let best_retention = golden_section_argmax(|spend| equity(1.0, spend), 1e-6, 200.0);
    let best_acquisition = golden_section_argmax(|spend| equity(spend, best_retention), 0.0, 500.0);
    let a_star = bd_response(ceiling_a, k_a, best_acquisition);
    let r_star = bd_response(ceiling_r, k_r, best_retention);
    let clv = bd_customer_lifetime_value(margin, r_star, best_retention, d);
    assert!(
        best_acquisition > 1.0 && best_retention > 1.0,
        "interior optimum: A = {best_acquisition}, R = {best_retention}"
    );
    assert_relative(1.0 / (k_a * (ceiling_a - a_star)), clv, 1e-6);
    assert_relative(1.0 / (k_r * (ceiling_r - r_star)), clv, 1e-6);
}

// --- Markov chain of tiers (SPEC §15) ---------------------------------------------------------

fn three_tiers() -> (DMatrix<f64>, DVector<f64>, DVector<f64>) {
    let transition = dmatrix![
        0.80, 0.10, 0.02;
        0.15, 0.70, 0.05;
        0.02, 0.10, 0.60
    ];
    let reward = dvector![120.0, 40.0, -5.0];
    let initial = dvector![1000.0, 5000.0, 20000.0];
    (transition, reward, initial)
}

#[test]
fn markov_finite_sum_converges_to_inverse_formula() {
    let (transition, reward, initial) = three_tiers();
    let delta = per_period_discount_factor(0.10, 4);
    for timing in [CashFlowTiming::End, CashFlowTiming::Start] {
        let infinite =
            markov_chain_value(&transition, &reward, delta, None, timing, &initial).unwrap();
        let finite =
            markov_chain_value(&transition, &reward, delta, Some(2000), timing, &initial).unwrap();
        assert_relative(finite, infinite, 1e-12);
    }
    let end = markov_chain_value(
        &transition,
        &reward,
        delta,
        None,
        CashFlowTiming::End,
        &initial,
    )
    .unwrap();
    let start = markov_chain_value(
        &transition,
        &reward,
        delta,
        None,
        CashFlowTiming::Start,
        &initial,
    )
    .unwrap();
    assert_relative(end, delta * start, 1e-14);
}

#[test]
fn markov_two_periods_by_hand() {
    // π₁ = (10, 0), P = [[0.5, 0.3], [0, 0.9]], v = (2, 1), δ = 0.9.
    // Period 1: 10·2 = 20; period 2: π₂ = (5, 3), value 13.
    // Start: 20 + 0.9·13 = 31.7; end: 0.9·20 + 0.81·13 = 28.53.
    let transition = dmatrix![0.5, 0.3; 0.0, 0.9];
    let reward = dvector![2.0, 1.0];
    let initial = dvector![10.0, 0.0];
    let value =
        |timing| markov_chain_value(&transition, &reward, 0.9, Some(2), timing, &initial).unwrap();
    assert_close(value(CashFlowTiming::Start), 31.7, 1e-12);
    assert_close(value(CashFlowTiming::End), 28.53, 1e-12);
    assert_eq!(
        markov_chain_value(
            &transition,
            &reward,
            0.9,
            Some(0),
            CashFlowTiming::End,
            &initial
        )
        .unwrap(),
        0.0
    );
}

#[test]
fn markov_one_state_is_constant_retention() {
    let (n, m, r, d) = (2500.0, 12.0, 0.9, 0.02);
    let delta = 1.0 / (1.0 + d);
    for timing in [CashFlowTiming::End, CashFlowTiming::Start] {
        for horizon in [None, Some(1), Some(36)] {
            let chain = markov_chain_value(
                &dmatrix![r],
                &dvector![m],
                delta,
                horizon,
                timing,
                &dvector![n],
            )
            .unwrap();
            assert_relative(
                chain,
                constant_retention_ce(n, m, r, d, horizon, timing),
                1e-12,
            );
        }
    }
}

#[test]
fn markov_rejects_what_it_cannot_value() {
    let (transition, reward, initial) = three_tiers();
    let stochastic = dmatrix![0.5, 0.5; 0.2, 0.8];
    let pair = dvector![1.0, 1.0];
    assert!(matches!(
        markov_chain_value(&stochastic, &pair, 1.0, None, CashFlowTiming::End, &pair),
        Err(ClosedFormError::SingularChain { .. })
    ));
    // …but a finite horizon of the same chain is fine: 2 customers × 1 × 10 periods.
    assert_close(
        markov_chain_value(
            &stochastic,
            &pair,
            1.0,
            Some(10),
            CashFlowTiming::Start,
            &pair,
        )
        .unwrap(),
        20.0,
        1e-12,
    );
    assert!(matches!(
        markov_chain_value(&transition, &pair, 0.9, None, CashFlowTiming::End, &initial),
        Err(ClosedFormError::DimensionMismatch {
            what: "reward",
            found: 2,
            expected: 3
        })
    ));
    assert!(matches!(
        markov_chain_value(
            &(&transition * 1.5),
            &reward,
            0.9,
            None,
            CashFlowTiming::End,
            &initial
        ),
        Err(ClosedFormError::NotSubstochastic { row: 0, .. })
    ));
    assert!(matches!(
        markov_chain_value(
            &DMatrix::zeros(2, 3),
            &pair,
            0.9,
            None,
            CashFlowTiming::End,
            &pair
        ),
        Err(ClosedFormError::NotSquare {
            rows: 2,
            columns: 3
        })
    ));
}
