//! Standard errors against an exact Hessian (issue 13, item 4).
//!
//! The reference is automatic differentiation with hyper-dual numbers (Fike & Alonso 2011,
//! "The development of hyper-dual numbers for exact second-derivative calculations", AIAA
//! 2011-886): a number a + b·ε₁ + c·ε₂ + d·ε₁ε₂ with ε₁² = ε₂² = 0 carries, through every
//! operation, the exact first derivatives along two directions and the exact mixed second
//! derivative, with no step and hence no truncation or cancellation error. Each log-likelihood
//! is written here again, customer by customer, straight from its paper (not through ceq's
//! grouped, cached code), and its Hessian at ceq's maximum is compared with the Hessian ceq
//! computes by extrapolated finite differences, entry by entry and through the standard errors:
//! 1e-4 relative is the requirement.
//!
//! lnΓ of a hyper-dual number needs ψ (digamma) and ψ′ (trigamma), computed here by the
//! recurrences ψ(x) = ψ(x + 1) − 1/x, ψ′(x) = ψ′(x + 1) + 1/x² up to x ≥ 20 and the asymptotic
//! series there (Abramowitz & Stegun 6.3.18, 6.4.12), accurate to about 1e-16.

use std::ops::{Add, Div, Mul, Neg, Sub};
use std::path::Path;

use ceq::fit::hessian;
use ceq::fit::transactions::{self, Columns, CustomerSummary, TimeUnit, parse_date};
use ceq::fit::{bgnbd, gamma_gamma, sbg};
use ceq::model::closed_form::ln_gamma;
use nalgebra::DMatrix;

#[derive(Debug, Clone, Copy)]
struct HyperDual {
    value: f64,
    e1: f64,
    e2: f64,
    e12: f64,
}

impl HyperDual {
    fn constant(value: f64) -> Self {
        HyperDual {
            value,
            e1: 0.0,
            e2: 0.0,
            e12: 0.0,
        }
    }

    /// g(self) from g, g′ and g″ at the value (the chain rule to second order).
    fn apply(self, g: f64, g1: f64, g2: f64) -> Self {
        HyperDual {
            value: g,
            e1: g1 * self.e1,
            e2: g1 * self.e2,
            e12: g1 * self.e12 + g2 * self.e1 * self.e2,
        }
    }

    fn ln(self) -> Self {
        let v = self.value;
        self.apply(v.ln(), 1.0 / v, -1.0 / (v * v))
    }

    fn exp(self) -> Self {
        let e = self.value.exp();
        self.apply(e, e, e)
    }

    fn ln_1p(self) -> Self {
        let v = 1.0 + self.value;
        self.apply(self.value.ln_1p(), 1.0 / v, -1.0 / (v * v))
    }

    fn ln_gamma(self) -> Self {
        let v = self.value;
        self.apply(ln_gamma(v), digamma(v), trigamma(v))
    }
}

impl Add for HyperDual {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        HyperDual {
            value: self.value + o.value,
            e1: self.e1 + o.e1,
            e2: self.e2 + o.e2,
            e12: self.e12 + o.e12,
        }
    }
}

impl Sub for HyperDual {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        self + (-o)
    }
}

impl Neg for HyperDual {
    type Output = Self;
    fn neg(self) -> Self {
        HyperDual {
            value: -self.value,
            e1: -self.e1,
            e2: -self.e2,
            e12: -self.e12,
        }
    }
}

impl Mul for HyperDual {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        HyperDual {
            value: self.value * o.value,
            e1: self.value * o.e1 + self.e1 * o.value,
            e2: self.value * o.e2 + self.e2 * o.value,
            e12: self.value * o.e12 + self.e1 * o.e2 + self.e2 * o.e1 + self.e12 * o.value,
        }
    }
}

impl Div for HyperDual {
    type Output = Self;
    fn div(self, o: Self) -> Self {
        let v = o.value;
        self * o.apply(1.0 / v, -1.0 / (v * v), 2.0 / (v * v * v))
    }
}

impl Add<f64> for HyperDual {
    type Output = Self;
    fn add(self, o: f64) -> Self {
        self + HyperDual::constant(o)
    }
}

impl Mul<f64> for HyperDual {
    type Output = Self;
    fn mul(self, o: f64) -> Self {
        HyperDual {
            value: self.value * o,
            e1: self.e1 * o,
            e2: self.e2 * o,
            e12: self.e12 * o,
        }
    }
}

/// ψ(x), x > 0.
fn digamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 20.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    shift + x.ln()
        - 0.5 / x
        - x2 * (1.0 / 12.0
            - x2 * (1.0 / 120.0 - x2 * (1.0 / 252.0 - x2 * (1.0 / 240.0 - x2 / 132.0))))
}

/// ψ′(x), x > 0.
fn trigamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 20.0 {
        shift += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    shift
        + 1.0 / x
        + x2 / 2.0
        + x2 / x
            * (1.0 / 6.0
                - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 * (1.0 / 30.0 - x2 * 5.0 / 66.0))))
}

fn ln_beta(a: HyperDual, b: HyperDual) -> HyperDual {
    a.ln_gamma() + b.ln_gamma() - (a + b).ln_gamma()
}

/// ln(e^u + e^v) without overflow.
fn log_add_exp(u: HyperDual, v: HyperDual) -> HyperDual {
    let (high, low) = if u.value >= v.value { (u, v) } else { (v, u) };
    high + (low - high).exp().ln_1p()
}

/// The exact Hessian of `f` at `x`: one hyper-dual evaluation per entry of the upper triangle.
fn exact_hessian(f: impl Fn(&[HyperDual]) -> HyperDual, x: &[f64]) -> DMatrix<f64> {
    let n = x.len();
    let mut h = DMatrix::zeros(n, n);
    for i in 0..n {
        for j in 0..=i {
            let point: Vec<HyperDual> = (0..n)
                .map(|k| HyperDual {
                    value: x[k],
                    e1: if k == i { 1.0 } else { 0.0 },
                    e2: if k == j { 1.0 } else { 0.0 },
                    e12: 0.0,
                })
                .collect();
            let second = f(&point).e12;
            h[(i, j)] = second;
            h[(j, i)] = second;
        }
    }
    h
}

/// Compares ceq's Hessian of −LL with the exact one: every entry relative to the scale
/// √(H_ii·H_jj) of its row and column (off-diagonal entries can be near 0), and the standard
/// errors relative to themselves. Returns the largest of the differences.
fn compare(
    model: &str,
    negative_log_likelihood: impl Fn(&[f64]) -> f64,
    exact: &DMatrix<f64>,
    x: &[f64],
    reported: &[Option<f64>],
) -> f64 {
    let ours = hessian::numerical_hessian(&negative_log_likelihood, x);
    let n = x.len();
    let mut worst: f64 = 0.0;
    for i in 0..n {
        for j in 0..n {
            let scale = (exact[(i, i)] * exact[(j, j)]).sqrt();
            let difference = (ours[(i, j)] - exact[(i, j)]).abs() / scale;
            assert!(
                difference < 1e-4,
                "{model} Hessian ({i}, {j}): ceq {}, exact {}",
                ours[(i, j)],
                exact[(i, j)]
            );
            worst = worst.max(difference);
        }
    }
    let covariance = exact.clone().cholesky().expect("a maximum").inverse();
    for (i, se) in reported.iter().enumerate() {
        let exact_se = covariance[(i, i)].sqrt();
        let se = se.expect("a standard error");
        let difference = (se / exact_se - 1.0).abs();
        assert!(
            difference < 1e-4,
            "{model} standard error {i}: ceq {se}, exact {exact_se}"
        );
        worst = worst.max(difference);
    }
    eprintln!("{model}: largest relative difference from the exact Hessian {worst:.2e}");
    worst
}

fn cdnow_customers() -> Vec<CustomerSummary> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cdnow_sample_transactions.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let log = transactions::read_transactions(&text, &Columns::default()).unwrap();
    let end = parse_date("1997-09-30").unwrap();
    transactions::summarize(&log, end, TimeUnit::Week, None).customers
}

/// −LL of BG/NBD, Fader, Hardie & Lee 2005a eq. 6, customer by customer.
fn bgnbd_nll(p: &[HyperDual], customers: &[CustomerSummary]) -> HyperDual {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let mut total = HyperDual::constant(0.0);
    let base = ln_beta(a, b);
    for c in customers {
        let x = f64::from(c.frequency);
        let gammas = (r + x).ln_gamma() - r.ln_gamma() + r * alpha.ln();
        let alive = ln_beta(a, b + x) - base + gammas - (r + x) * (alpha + c.age).ln();
        let term = if c.frequency > 0 {
            let gone = ln_beta(a + 1.0, b + (x - 1.0)) - base + gammas
                - (r + x) * (alpha + c.recency).ln();
            log_add_exp(alive, gone)
        } else {
            alive
        };
        total = total - term;
    }
    total
}

/// −LL of Gamma-Gamma (Fader, Hardie & Lee 2005b; Fader & Hardie 2013 eq. 3), repeat buyers
/// with a positive average.
fn gamma_gamma_nll(params: &[HyperDual], pairs: &[(f64, f64)]) -> HyperDual {
    let (p, q, gamma) = (params[0], params[1], params[2]);
    let mut total = HyperDual::constant(0.0);
    for &(x, m) in pairs {
        let px = p * x;
        let term = (px + q).ln_gamma() - px.ln_gamma() - q.ln_gamma()
            + q * gamma.ln()
            + (px + -1.0) * m.ln()
            + px * x.ln()
            - (px + q) * (gamma + m * x).ln();
        total = total - term;
    }
    total
}

/// −LL of sBG, Fader & Hardie 2007 eq. 6.
fn sbg_nll(params: &[HyperDual], alive: &[f64]) -> HyperDual {
    let (alpha, beta) = (params[0], params[1]);
    let base = ln_beta(alpha, beta);
    let mut total = HyperDual::constant(0.0);
    for t in 1..alive.len() {
        let churned = alive[t - 1] - alive[t];
        total = total - (ln_beta(alpha + 1.0, beta + (t as f64 - 1.0)) - base) * churned;
    }
    let last = alive.len() - 1;
    total - (ln_beta(alpha, beta + last as f64) - base) * alive[last]
}

#[test]
fn digamma_and_trigamma_match_known_values() {
    let euler = 0.577_215_664_901_532_9;
    assert!((digamma(1.0) + euler).abs() < 1e-15);
    assert!((digamma(0.5) + euler + 2.0 * 2f64.ln()).abs() < 1e-14);
    let pi2 = std::f64::consts::PI.powi(2);
    assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-14);
    assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-14);
    // Against ceq's lnΓ by differences: ψ = (lnΓ)′.
    let h = 1e-5;
    let x = 3.7;
    let numeric = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
    assert!((digamma(x) - numeric).abs() < 1e-9);
}

#[test]
fn hyper_dual_numbers_give_exact_second_derivatives() {
    // f = ln(x)·y² + exp(x·y)/y: f_xy = 2y/x + exp(xy)·x.
    let f = |p: &[HyperDual]| p[0].ln() * p[1] * p[1] + (p[0] * p[1]).exp() / p[1];
    let (x, y) = (1.7, 0.6);
    let h = exact_hessian(f, &[x, y]);
    let f_xy = 2.0 * y / x + (x * y).exp() * x;
    let f_xx = -y * y / (x * x) + y * (x * y).exp();
    assert!((h[(1, 0)] - f_xy).abs() < 1e-13 * f_xy.abs());
    assert!((h[(0, 0)] - f_xx).abs() < 1e-13 * f_xx.abs());
}

#[test]
fn bgnbd_standard_errors_match_the_exact_hessian() {
    let customers = cdnow_customers();
    let fitted = bgnbd::fit(&customers).unwrap();
    let x = fitted.params();
    let data = bgnbd::GroupedRfm::new(&customers);
    let exact = exact_hessian(|p| bgnbd_nll(p, &customers), &x);
    let reported = [fitted.r, fitted.alpha, fitted.a, fitted.b].map(|e| e.std_error);
    let nll = |p: &[f64]| -bgnbd::log_likelihood([p[0], p[1], p[2], p[3]], &data);
    // The value itself: the grouped, cached likelihood equals the customer-by-customer one.
    let reference = bgnbd_nll(&x.map(HyperDual::constant), &customers).value;
    assert!(
        (nll(&x) - reference).abs() < 1e-9,
        "{} vs {reference}",
        nll(&x)
    );
    compare("BG/NBD", nll, &exact, &x, &reported);
}

#[test]
fn gamma_gamma_standard_errors_match_the_exact_hessian() {
    let customers = cdnow_customers();
    let fitted = gamma_gamma::fit(&customers).unwrap();
    let pairs: Vec<(f64, f64)> = customers
        .iter()
        .filter_map(|c| c.repeat_average().map(|m| (f64::from(c.frequency), m)))
        .filter(|&(_, m)| m > 0.0)
        .collect();
    let x = fitted.params();
    let exact = exact_hessian(|p| gamma_gamma_nll(p, &pairs), &x);
    let spend: Vec<(u32, f64)> = pairs.iter().map(|&(x, m)| (x as u32, m)).collect();
    let data = gamma_gamma::SpendData::new(&spend);
    let nll = |p: &[f64]| -gamma_gamma::log_likelihood([p[0], p[1], p[2]], &data);
    let reported = [fitted.p, fitted.q, fitted.gamma].map(|e| e.std_error);
    compare("Gamma-Gamma", nll, &exact, &x, &reported);
}

#[test]
fn sbg_standard_errors_match_the_exact_hessian() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fader_hardie_2007_survival.csv");
    let table = sbg::read_survival_table(&std::fs::read_to_string(path).unwrap()).unwrap();
    for series in &table.series {
        let fitted = sbg::fit(&series.alive, Some(7)).unwrap();
        let alive = &series.alive[..=7];
        let x = [fitted.alpha.value, fitted.beta.value];
        let exact = exact_hessian(|p| sbg_nll(p, alive), &x);
        let nll = |p: &[f64]| -sbg::log_likelihood(p[0], p[1], alive);
        let reported = [fitted.alpha.std_error, fitted.beta.std_error];
        compare(&format!("sBG {}", series.name), nll, &exact, &x, &reported);
    }
}
