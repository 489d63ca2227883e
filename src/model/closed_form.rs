//! Closed-form customer-equity mathematics from the literature SPEC cites.
//!
//! These functions are the references the Monte Carlo engine is tested against (SPEC §15): a
//! simulated mean must match them within a stated multiple of its standard error. The same
//! formulas will serve the mean-field (expected-value) evaluator and the likelihood fitting of
//! sBG, BG/NBD and Gamma-Gamma parameters (SPEC §14), so they are small, pure and documented
//! with the paper each comes from.
//!
//! Conventions (SPEC §1): periods are numbered t = 1, 2, …; `d` is the per-period discount rate
//! and δ = 1/(1 + d) the per-period discount factor; a cash flow of period t is discounted by
//! δ^t with [`CashFlowTiming::End`] and by δ^(t−1) with [`CashFlowTiming::Start`].
//!
//! Functions whose only ingredients are elementary operations return `f64` and state their
//! parameter domain; outside it the result is meaningless (often NaN), and callers are expected
//! to have validated their inputs (the scenario validator does). Functions that sum a series or
//! invert a matrix can fail for reasons the caller cannot easily see in advance, and return
//! [`ClosedFormError`].

use nalgebra::{DMatrix, DVector};

use crate::scenario::CashFlowTiming;

/// Why a closed form could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClosedFormError {
    /// A parameter is outside the domain where the formula is defined.
    #[error("{name} = {value} is out of range: expected {expected}")]
    OutOfDomain {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// The hypergeometric series needed more than [`HYP2F1_MAX_TERMS`] terms.
    #[error(
        "the series for 2F1({a}, {b}; {c}; {z}) did not converge within {terms} terms; \
         |z| is too close to 1"
    )]
    NotConverged {
        a: f64,
        b: f64,
        c: f64,
        z: f64,
        terms: usize,
    },
    /// Vectors and matrix of a Markov chain do not have matching sizes.
    #[error("{what} has {found} entries but the transition matrix has {expected} states")]
    DimensionMismatch {
        what: &'static str,
        found: usize,
        expected: usize,
    },
    /// The transition matrix is not square.
    #[error("the transition matrix must be square, found {rows}×{columns}")]
    NotSquare { rows: usize, columns: usize },
    /// For an infinite horizon the discounted transition matrix δP must lose mass every period.
    #[error(
        "transition row {row} is not a probability row among active states (entries ≥ 0, \
         sum ≤ 1; found sum {sum}); the infinite-horizon value would not converge"
    )]
    NotSubstochastic { row: usize, sum: f64 },
    /// I − δP is singular: with δ = 1 some customers are never lost, so an infinite horizon
    /// has unbounded value.
    #[error(
        "I − δP is singular (δ = {delta}): some customers stay forever undiscounted, so the \
         infinite-horizon value is unbounded; use a finite horizon or δ < 1"
    )]
    SingularChain { delta: f64 },
}

// ---------------------------------------------------------------------------------------------
// Special functions
// ---------------------------------------------------------------------------------------------

/// Most terms [`hyp2f1`] will sum before giving up. Enough for 1 − |z| down to about 1e-5
/// (the series needs roughly 37/(1 − |z|) terms to reach double precision).
pub const HYP2F1_MAX_TERMS: usize = 5_000_000;

/// Lanczos coefficients for g = 7, n = 9 (Numerical Recipes 3rd ed. §6.1; relative error of
/// Γ below 2e-15 on the positive axis).
const LANCZOS_G: f64 = 7.0;
const LANCZOS_COEFFICIENTS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// ln Γ(x) for x > 0 by the Lanczos approximation (Lanczos 1964, g = 7, nine terms), with the
/// reflection formula Γ(x)Γ(1 − x) = π / sin(πx) below 1/2.
///
/// ln Γ(x) = ½ ln(2π) + (x − ½) ln(x + g − ½) − (x + g − ½) + ln A_g(x).
/// Absolute error is about 1e-15 · max(1, |ln Γ(x)|).
pub fn ln_gamma(x: f64) -> f64 {
    if x < 0.5 {
        // Reflection: ln Γ(x) = ln π − ln |sin πx| − ln Γ(1 − x).
        return std::f64::consts::PI.ln()
            - (std::f64::consts::PI * x).sin().abs().ln()
            - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut series = LANCZOS_COEFFICIENTS[0];
    for (i, coefficient) in LANCZOS_COEFFICIENTS.iter().enumerate().skip(1) {
        series += coefficient / (x + i as f64);
    }
    let t = x + LANCZOS_G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

/// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), for a, b > 0 (the Beta function; own Lanczos
/// ln Γ, no extra crate).
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Gauss hypergeometric function ₂F₁(a, b; c; z) for real |z| < 1 (Abramowitz & Stegun 15.1.1):
///
/// ₂F₁(a, b; c; z) = Σ_{n≥0} (a)_n (b)_n / (c)_n · zⁿ / n!,  (x)_n the rising factorial.
///
/// For 0 ≤ z < 1 the series is summed directly (with compensated summation) until the remaining
/// tail, bounded geometrically by the current term ratio, is below half a unit in the last
/// place; this costs about 37/(1 − z) terms, e.g. 700 at z = 0.946, and stays accurate to ~1e-13
/// relative for the positive-term series that sBG and BG/NBD produce. For −1 < z < 0 it uses
/// Pfaff's transformation (A&S 15.3.4)
/// ₂F₁(a, b; c; z) = (1 − z)^(−a) ₂F₁(a, c − b; c; z/(z − 1)), whose argument lies in (0, ½), so
/// no alternating series is summed.
///
/// Errors: |z| ≥ 1, c a non-positive integer, non-finite input, or more than
/// [`HYP2F1_MAX_TERMS`] terms.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64, ClosedFormError> {
    for (name, value) in [("a", a), ("b", b), ("c", c), ("z", z)] {
        if !value.is_finite() {
            return Err(ClosedFormError::OutOfDomain {
                name,
                value,
                expected: "a finite number",
            });
        }
    }
    if z.abs() >= 1.0 {
        return Err(ClosedFormError::OutOfDomain {
            name: "z",
            value: z,
            expected: "|z| < 1",
        });
    }
    if c <= 0.0 && c.fract() == 0.0 {
        return Err(ClosedFormError::OutOfDomain {
            name: "c",
            value: c,
            expected: "c not a non-positive integer",
        });
    }
    if z < 0.0 {
        let w = z / (z - 1.0);
        return Ok((1.0 - z).powf(-a) * hyp2f1_series(a, c - b, c, w)?);
    }
    hyp2f1_series(a, b, c, z)
}

/// The defining series of ₂F₁, with Neumaier-compensated summation.
fn hyp2f1_series(a: f64, b: f64, c: f64, z: f64) -> Result<f64, ClosedFormError> {
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    let mut compensation = 0.0_f64;
    for n in 0..HYP2F1_MAX_TERMS {
        let n = n as f64;
        let ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        term *= ratio;
        if term == 0.0 {
            // a or b is a non-positive integer: the series is a polynomial and has ended.
            return Ok(sum + compensation);
        }
        let next = sum + term;
        compensation += if sum.abs() >= term.abs() {
            (sum - next) + term
        } else {
            (term - next) + sum
        };
        sum = next;
        // Far enough out the term ratio moves monotonically towards z, so the tail is at most
        // |term|·ρ/(1 − ρ) with ρ the larger of |ratio| and |z|.
        let rho = ratio.abs().max(z.abs());
        if rho < 1.0
            && term.abs() * rho <= 0.5 * f64::EPSILON * (1.0 - rho) * (sum + compensation).abs()
        {
            return Ok(sum + compensation);
        }
    }
    Err(ClosedFormError::NotConverged {
        a,
        b,
        c,
        z,
        terms: HYP2F1_MAX_TERMS,
    })
}

// ---------------------------------------------------------------------------------------------
// Discounting
// ---------------------------------------------------------------------------------------------

/// Per-period discount factor δ = (1 + annual_rate)^(−1/periods_per_year) (SPEC §1), for
/// annual_rate > −1 and periods_per_year ≥ 1. The per-period rate is d = 1/δ − 1.
pub fn per_period_discount_factor(annual_rate: f64, periods_per_year: u32) -> f64 {
    (1.0 + annual_rate).powf(-1.0 / f64::from(periods_per_year))
}

/// Discount applied to a cash flow of period t (1-based, t ≥ 1): δ^t with "end" timing and
/// δ^(t−1) with "start" timing, the first period undiscounted as in Fader & Hardie's DEL
/// (SPEC §1).
pub fn discount(t: u32, delta: f64, timing: CashFlowTiming) -> f64 {
    let exponent = match timing {
        CashFlowTiming::End => t,
        CashFlowTiming::Start => t.saturating_sub(1),
    };
    delta.powi(exponent as i32)
}

// ---------------------------------------------------------------------------------------------
// Constant retention
// ---------------------------------------------------------------------------------------------

/// Customer equity of one cohort with constant retention and no acquisition (SPEC §1; Gupta,
/// Lehmann & Stuart 2004 in the infinite-horizon form).
///
/// N customers are active in period 1, N·r^(t−1) in period t, each earning margin m per period;
/// d is the per-period discount rate (0 ≤ r < 1 + d, d > −1). Infinite horizon:
/// - end timing:   CE = N·m / (1 + d − r)
/// - start timing: CE = N·m·(1 + d) / (1 + d − r)
///
/// A finite horizon H multiplies both by 1 − (r/(1 + d))^H.
pub fn constant_retention_ce(
    customers: f64,
    margin: f64,
    retention: f64,
    per_period_rate: f64,
    horizon: Option<u32>,
    timing: CashFlowTiming,
) -> f64 {
    let infinite = match timing {
        CashFlowTiming::End => customers * margin / (1.0 + per_period_rate - retention),
        CashFlowTiming::Start => {
            customers * margin * (1.0 + per_period_rate) / (1.0 + per_period_rate - retention)
        }
    };
    match horizon {
        None => infinite,
        Some(periods) => {
            infinite * (1.0 - (retention / (1.0 + per_period_rate)).powi(periods as i32))
        }
    }
}

/// Gupta, Lehmann & Stuart (2004) margin multiple: CLV = m · r / (1 + i − r), the value of a
/// customer just after a payment (the next margin arrives one period later, if retained).
/// For 0 ≤ r < 1 + i. E.g. m = 100, r = 0.8, i = 0.12 → 250 (SPEC §15).
pub fn gls_margin_multiple(margin: f64, retention: f64, rate: f64) -> f64 {
    margin * retention / (1.0 + rate - retention)
}

// ---------------------------------------------------------------------------------------------
// Shifted-beta-geometric (contractual)
// ---------------------------------------------------------------------------------------------

/// sBG survival (Fader & Hardie 2007, eq. 7): S(t) = B(α, β + t) / B(α, β), the share of a
/// cohort still active after t renewal opportunities (S(0) = 1). α, β > 0.
pub fn sbg_survival(alpha: f64, beta: f64, t: u32) -> f64 {
    if t == 0 {
        return 1.0;
    }
    (ln_beta(alpha, beta + f64::from(t)) - ln_beta(alpha, beta)).exp()
}

/// sBG retention rate (Fader & Hardie 2007, eq. 8): r(t) = (β + t − 1)/(α + β + t − 1) =
/// S(t)/S(t − 1), rising with t as low-churn customers remain. α, β > 0, t ≥ 1.
pub fn sbg_retention_rate(alpha: f64, beta: f64, t: u32) -> f64 {
    let t = f64::from(t);
    (beta + t - 1.0) / (alpha + beta + t - 1.0)
}

/// Expected customers active during period t (t ≥ 1) for a cohort of N that starts period 1
/// active, under sBG churn: N · S(t − 1). Returns 0 for t = 0 (there is no period 0).
pub fn sbg_expected_active(customers: f64, alpha: f64, beta: f64, t: u32) -> f64 {
    match t {
        0 => 0.0,
        _ => customers * sbg_survival(alpha, beta, t - 1),
    }
}

/// sBG discounted expected lifetime per unit margin of a newly acquired customer (Fader &
/// Hardie 2010, eq. 4; "start" timing, the first payment undiscounted):
///
/// DEL(d) = Σ_{t≥0} S(t)/(1 + d)^t = ₂F₁(1, β; α + β; 1/(1 + d)),  α, β > 0, d > 0.
pub fn sbg_del(alpha: f64, beta: f64, d: f64) -> Result<f64, ClosedFormError> {
    check_positive("alpha", alpha)?;
    check_positive("beta", beta)?;
    check_positive("d", d)?;
    hyp2f1(1.0, beta, alpha + beta, 1.0 / (1.0 + d))
}

/// sBG discounted expected residual lifetime, per unit margin, of a customer who has made n − 1
/// renewals (n ≥ 1), evaluated just before the n-th renewal decision (Fader & Hardie 2010,
/// eq. 6):
///
/// DERL(d | n) = Σ_{t≥n} [S(t)/S(n − 1)] / (1 + d)^(t−n)
///             = (β + n − 1)/(α + β + n − 1) · ₂F₁(1, β + n; α + β + n; 1/(1 + d)),
///
/// since B(α, β + n)/B(α, β + n − 1) = (β + n − 1)/(α + β + n − 1). The payment at the
/// upcoming renewal counts undiscounted but only if the customer renews; so for n = 1,
/// DEL = 1 + DERL(d | 1)/(1 + d). Reproduces Fader & Hardie's 3.31, 3.45, 3.59, 3.72, 3.84 for
/// α = 3.80, β = 15.20, d = 0.10, n = 1..5 (SPEC §15). α, β > 0, d > 0.
pub fn sbg_derl(alpha: f64, beta: f64, d: f64, n: u32) -> Result<f64, ClosedFormError> {
    check_positive("alpha", alpha)?;
    check_positive("beta", beta)?;
    check_positive("d", d)?;
    if n == 0 {
        return Err(ClosedFormError::OutOfDomain {
            name: "n",
            value: 0.0,
            expected: "n ≥ 1 (the customer has made n − 1 renewals)",
        });
    }
    let n = f64::from(n);
    let renewal_probability = (beta + n - 1.0) / (alpha + beta + n - 1.0);
    Ok(renewal_probability * hyp2f1(1.0, beta + n, alpha + beta + n, 1.0 / (1.0 + d))?)
}

// ---------------------------------------------------------------------------------------------
// BG/NBD and Gamma-Gamma (non-contractual)
// ---------------------------------------------------------------------------------------------

/// BG/NBD expected number of purchases of a new customer in (0, t] (Fader, Hardie & Lee 2005a,
/// "Counting your customers the easy way", eq. 7):
///
/// E[X(t)] = (a + b − 1)/(a − 1) · [1 − (α/(α + t))^r · ₂F₁(r, b; a + b − 1; t/(α + t))].
///
/// r, α, a, b > 0, a + b > 1, t ≥ 0. For a < 1 the prefactor is negative and so is the bracket.
/// At a = 1 the formula is 0/0 (a removable singularity); |a − 1| < 1e-6 is rejected because the
/// cancellation would cost more than six digits.
pub fn bgnbd_expected_purchases(
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    t: f64,
) -> Result<f64, ClosedFormError> {
    check_positive("r", r)?;
    check_positive("alpha", alpha)?;
    check_positive("a", a)?;
    check_positive("b", b)?;
    if a + b <= 1.0 {
        return Err(ClosedFormError::OutOfDomain {
            name: "a + b",
            value: a + b,
            expected: "a + b > 1",
        });
    }
    if (a - 1.0).abs() < 1e-6 {
        return Err(ClosedFormError::OutOfDomain {
            name: "a",
            value: a,
            expected: "a ≠ 1 (the closed form is 0/0 there)",
        });
    }
    if !(t >= 0.0 && t.is_finite()) {
        return Err(ClosedFormError::OutOfDomain {
            name: "t",
            value: t,
            expected: "a finite t ≥ 0",
        });
    }
    if t == 0.0 {
        return Ok(0.0);
    }
    let z = t / (alpha + t);
    let bracket = 1.0 - (alpha / (alpha + t)).powf(r) * hyp2f1(r, b, a + b - 1.0, z)?;
    Ok((a + b - 1.0) / (a - 1.0) * bracket)
}

/// Gamma-Gamma population mean order value (Fader, Hardie & Lee 2005b, "RFM and CLV", eq. 2
/// with x → ∞): orders ~ Gamma(shape p, rate ν), ν ~ Gamma(shape q, rate γ), so
/// E[order value] = p·γ/(q − 1). p, γ > 0, q > 1.
pub fn gamma_gamma_mean(p: f64, q: f64, gamma: f64) -> f64 {
    p * gamma / (q - 1.0)
}

// ---------------------------------------------------------------------------------------------
// Blattberg & Deighton (1996)
// ---------------------------------------------------------------------------------------------

/// Blattberg & Deighton (1996) response curve: rate = C · (1 − e^(−k·spend)), the acquisition
/// rate a(A) with ceiling C_a or the retention rate r(R) with ceiling C_r. 0 ≤ C ≤ 1, k > 0,
/// spend ≥ 0.
pub fn bd_response(ceiling: f64, k: f64, spend: f64) -> f64 {
    ceiling * (1.0 - (-k * spend).exp())
}

/// Blattberg & Deighton (1996) value of a customer just acquired (the first margin plus the
/// retained future): CLV = m + (m − R/r) · r/(1 + d − r), with R the retention spend per
/// customer per period and r the retention rate it buys (0 < r < 1 + d). At the spend that
/// maximizes [`bd_customer_equity`], 1/(k_a(C_a − a*)) = 1/(k_r(C_r − r*)) = this CLV.
pub fn bd_customer_lifetime_value(margin: f64, r: f64, retention_spend: f64, d: f64) -> f64 {
    margin + (margin - retention_spend / r) * r / (1.0 + d - r)
}

/// Blattberg & Deighton (1996) customer equity per prospect:
/// CE = a·m − A + a·(m − R/r)·r/(1 + d − r), with a the acquisition rate bought by acquisition
/// spend A per prospect, m the margin per period, r the retention rate bought by retention
/// spend R per customer per period, d the per-period discount rate (0 < r < 1 + d).
pub fn bd_customer_equity(
    a: f64,
    margin: f64,
    acq_spend: f64,
    r: f64,
    retention_spend: f64,
    d: f64,
) -> f64 {
    a * margin - acq_spend + a * (margin - retention_spend / r) * r / (1.0 + d - r)
}

// ---------------------------------------------------------------------------------------------
// Markov chain of tiers (Pfeifer & Carraway 2000)
// ---------------------------------------------------------------------------------------------

/// Expected discounted value of a customer base that migrates among active states (tiers) by a
/// Markov chain with no individual heterogeneity (Pfeifer & Carraway 2000).
///
/// `transition[(i, j)]` is the probability that a customer active in state i in one period is
/// active in state j the next; a row may sum to less than 1, the remainder being churn.
/// `reward[i]` is the net value of one customer in state i for one period, `initial[i]` the
/// customers in state i during period 1 (a row vector π₁). Period t's population is
/// π_t = π₁ P^(t−1), its value π_t · v, discounted by δ^t ("end") or δ^(t−1) ("start"):
///
/// - finite horizon H: δ^(1−s) · Σ_{t=1..H} π₁ (δP)^(t−1) v, summed period by period (no
///   inverse needed, so any P and δ are accepted);
/// - infinite horizon: δ^(1−s) · π₁ (I − δP)⁻¹ v,
///
/// with s = 1 for "start" (period 1 undiscounted: Pfeifer & Carraway's V = (I − δP)⁻¹ R) and
/// s = 0 for "end" (everything one more period away: δ (I − δP)⁻¹ v).
///
/// The infinite horizon needs P substochastic (entries ≥ 0, rows ≤ 1) and 0 < δ ≤ 1; then
/// the spectral radius of δP is at most 1, and below 1 exactly when I − δP is invertible
/// (Perron–Frobenius), so the Neumann series converges whenever the solve succeeds.
pub fn markov_chain_value(
    transition: &DMatrix<f64>,
    reward: &DVector<f64>,
    delta: f64,
    horizon: Option<u32>,
    timing: CashFlowTiming,
    initial: &DVector<f64>,
) -> Result<f64, ClosedFormError> {
    let states = transition.nrows();
    if transition.ncols() != states {
        return Err(ClosedFormError::NotSquare {
            rows: states,
            columns: transition.ncols(),
        });
    }
    for (what, vector) in [("reward", reward), ("initial", initial)] {
        if vector.len() != states {
            return Err(ClosedFormError::DimensionMismatch {
                what,
                found: vector.len(),
                expected: states,
            });
        }
    }
    let first_period_discount = match timing {
        CashFlowTiming::End => delta,
        CashFlowTiming::Start => 1.0,
    };
    let discounted = transition * delta;
    match horizon {
        Some(periods) => {
            // Row vector π₁ (δP)^(t−1), advanced one period at a time.
            let mut population = initial.transpose();
            let mut total = 0.0;
            for _ in 0..periods {
                total += (&population * reward)[(0, 0)];
                population = &population * &discounted;
            }
            Ok(first_period_discount * total)
        }
        None => {
            if !(delta > 0.0 && delta <= 1.0) {
                return Err(ClosedFormError::OutOfDomain {
                    name: "delta",
                    value: delta,
                    expected: "0 < δ ≤ 1 for an infinite horizon",
                });
            }
            for (row, values) in transition.row_iter().enumerate() {
                let sum: f64 = values.iter().sum();
                if values.iter().any(|&p| p.is_nan() || p < 0.0) || sum > 1.0 + 1e-12 {
                    return Err(ClosedFormError::NotSubstochastic { row, sum });
                }
            }
            let system = DMatrix::<f64>::identity(states, states) - discounted;
            // Solve (I − δP) x = v, then π₁ · x.
            let solution = system
                .lu()
                .solve(reward)
                .filter(|x| x.iter().all(|value| value.is_finite()))
                .ok_or(ClosedFormError::SingularChain { delta })?;
            // An exactly singular system can survive LU with a rounding-sized pivot; the true
            // inverse of a substochastic system has entries ≤ 1/(1 − ρ), so an absurd solution
            // means singular.
            let scale = reward.amax().max(f64::MIN_POSITIVE);
            if solution.amax() > 1e12 * scale {
                return Err(ClosedFormError::SingularChain { delta });
            }
            Ok(first_period_discount * initial.dot(&solution))
        }
    }
}

fn check_positive(name: &'static str, value: f64) -> Result<(), ClosedFormError> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(ClosedFormError::OutOfDomain {
            name,
            value,
            expected: "a finite number > 0",
        })
    }
}

#[cfg(test)]
mod tests;
