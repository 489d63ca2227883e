//! Random draws the engines need beyond rand_distr's constructors: Poisson counts that may be
//! zero-rate, Gamma sums that may be empty, parameter-uncertainty draws and shock paths.
//!
//! Constructors in rand_distr reject degenerate parameters (a zero Poisson rate, a zero Gamma
//! shape); these helpers give the degenerate answers exactly instead, so sampling cannot fail.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, Gamma, Poisson, StandardNormal};

use crate::scenario::{ParameterDistribution, Shock};

/// Poisson(λ) count. Small rates use inversion by sequential search (exact, one uniform);
/// larger ones rand_distr's PTRS sampler (Hörmann 1993).
pub fn poisson<R: Rng + ?Sized>(rng: &mut R, lambda: f64) -> u64 {
    if lambda <= 0.0 || lambda.is_nan() {
        return 0;
    }
    if lambda < 10.0 {
        let mut u: f64 = rng.random();
        let mut k = 0u64;
        let mut p = (-lambda).exp();
        loop {
            if u < p || p == 0.0 {
                return k;
            }
            u -= p;
            k += 1;
            p *= lambda / k as f64;
        }
    }
    match Poisson::new(lambda) {
        Ok(d) => {
            let x: f64 = d.sample(rng);
            x as u64
        }
        // Rates beyond rand_distr's range (~1e19) only arise from absurd inputs that the size
        // checks refuse; the mean is the best answer.
        Err(_) => lambda.round() as u64,
    }
}

/// Up to this mean (n·min(p, 1 − p)) a binomial is drawn by inversion.
const INVERSION_MAX_MEAN: f64 = 10.0;

/// Binomial(n, p) count; exact at the ends p ≤ 0 and p ≥ 1.
///
/// Small means (n·min(p, 1 − p) < 10: the strata of a cohort, most per-period churn and
/// dropout counts) use inversion by sequential search, BINV of Kachitvichyanukul & Schmeiser
/// (1988): one uniform, P(X = 0) = (1 − p)^n and P(X = x + 1) = P(X = x)·((n + 1)s/(x + 1) − s)
/// with s = p/(1 − p), about n·p + 1 steps and no set-up beyond one power. Larger means use
/// BTRD, the transformed rejection of Hörmann (1993), whose set-up is a square root and a few
/// products (the engines draw each binomial with its own p, so BTPE's longer set-up is never
/// amortized).
pub fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 || p.is_nan() {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let (small, flipped) = if p > 0.5 { (1.0 - p, true) } else { (p, false) };
    if n as f64 * small < INVERSION_MAX_MEAN {
        let x = binomial_inversion(rng, n, small);
        return if flipped { n - x } else { x };
    }
    let x = binomial_btrd(rng, n, small);
    if flipped { n - x } else { x }
}

/// ln k! − [(k + ½) ln(k + 1) − (k + 1) + ½ ln 2π], the Stirling remainder at k + 1: tabulated
/// below 10, else the series 1/12m − 1/360m³ + 1/1260m⁵ with m = k + 1 (error below 1e-10 at
/// k = 10 and falling as m⁻⁷), as in Hörmann (1993).
fn stirling_tail(k: f64) -> f64 {
    const TAIL: [f64; 10] = [
        0.081_061_466_795_327_26,
        0.041_340_695_955_409_29,
        0.027_677_925_684_998_34,
        0.020_790_672_103_765_09,
        0.016_644_691_189_821_19,
        0.013_876_128_823_070_75,
        0.011_896_709_945_891_77,
        0.010_411_265_261_972_09,
        0.009_255_462_182_712_733,
        0.008_330_563_433_362_87,
    ];
    if k <= 9.0 {
        return TAIL[k as usize];
    }
    let m2 = (k + 1.0) * (k + 1.0);
    (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / m2) / m2) / (k + 1.0)
}

/// BTRD (Hörmann 1993, "The generation of binomial random variates", J. Statist. Comput.
/// Simul. 46), for p ≤ ½ and n·p ≥ 10: a transformed-rejection proposal
/// k = ⌊(2a/(½ − |u|) + b)·u + c⌋ that is accepted at once in the central box (about 86% of
/// draws), else by the exact ratio of binomial probabilities f(k)/f(m) at the mode m: by
/// recursion when |k − m| ≤ 15, else after a squeeze, with [`stirling_tail`].
fn binomial_btrd<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    let nf = n as f64;
    let spq = (nf * p * (1.0 - p)).sqrt();
    let b = 1.15 + 2.53 * spq;
    let a = -0.0873 + 0.0248 * b + 0.01 * p;
    let c = nf * p + 0.5;
    let v_r = 0.92 - 4.2 / b;
    let r = p / (1.0 - p);
    let alpha = (2.83 + 5.1 / b) * spq;
    let m = ((nf + 1.0) * p).floor();
    loop {
        let u = rng.random::<f64>() - 0.5;
        let v: f64 = rng.random();
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + c).floor();
        if k < 0.0 || k > nf {
            continue;
        }
        if us >= 0.07 && v <= v_r {
            return k as u64;
        }
        let mut v = v * alpha / (a / (us * us) + b);
        let km = (k - m).abs();
        if km <= 15.0 {
            // Hörmann's step 3.1: f(k)/f(m) by the recursion f(i)/f(i − 1) = (n + 1)r/i − r.
            let nr = (nf + 1.0) * r;
            let mut f = 1.0;
            let mut i = k.min(m);
            while i < k.max(m) {
                i += 1.0;
                if m < k {
                    f *= nr / i - r;
                } else {
                    v *= nr / i - r;
                }
            }
            if v <= f {
                return k as u64;
            }
            continue;
        }
        // Step 3.2, the squeeze: t ± ρ bound ln f(k)/f(m) (Hörmann 1993, eq. 3.3).
        let v = v.ln();
        let npq = spq * spq;
        let rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5);
        let t = -km * km / (2.0 * npq);
        if v < t - rho {
            return k as u64;
        }
        if v > t + rho {
            continue;
        }
        let bound = (m + 0.5) * ((m + 1.0) / (r * (nf - m + 1.0))).ln()
            + (nf + 1.0) * ((nf - m + 1.0) / (nf - k + 1.0)).ln()
            + (k + 0.5) * (r * (nf - k + 1.0) / (k + 1.0)).ln()
            + stirling_tail(m)
            + stirling_tail(nf - m)
            - stirling_tail(k)
            - stirling_tail(nf - k);
        if v <= bound {
            return k as u64;
        }
    }
}

/// [`binomial`] for a p whose ln(1 − p) the caller already has (BG/NBD dropout: p = 1 − e^(−μq),
/// ln(1 − p) = −μq), which saves the logarithm of the inversion's first probability
/// (1 − p)^n = e^(n·ln(1 − p)).
pub fn binomial_with_log_complement<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    p: f64,
    ln_complement: f64,
) -> u64 {
    if n == 0 || p <= 0.0 || p.is_nan() {
        return 0;
    }
    if p < 0.5 && (n as f64) * p < INVERSION_MAX_MEAN {
        return binomial_inversion_from(rng, n, p, (n as f64 * ln_complement).exp());
    }
    binomial(rng, n, p)
}

/// BINV (Kachitvichyanukul & Schmeiser 1988) for p ≤ 1/2 and a small mean. Rounding can leave
/// the search past n with the uniform unspent (probability of order 1e-16); it then starts
/// again with a fresh uniform, as BINV does.
fn binomial_inversion<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    binomial_inversion_from(rng, n, p, (n as f64 * (-p).ln_1p()).exp())
}

/// BINV given P(X = 0) = (1 − p)^n.
fn binomial_inversion_from<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64, first: f64) -> u64 {
    let q = 1.0 - p;
    let s = p / q;
    let a = (n as f64 + 1.0) * s;
    loop {
        let mut u: f64 = rng.random();
        let mut r = first;
        let mut x = 0u64;
        loop {
            if u < r {
                return x;
            }
            u -= r;
            x += 1;
            if x > n {
                break;
            }
            r *= a / x as f64 - s;
        }
    }
}

/// Binomial(n, p) by inversion of one uniform U: the smallest k with F(k) ≥ U (Devroye 1986,
/// §III.2 and §X.4; Kachitvichyanukul & Schmeiser 1988 on binomial inversion). One uniform per
/// draw makes the count monotone in p on a shared stream, which common random numbers need:
/// a higher acquisition probability never gives fewer customers on the same run, so a small
/// change of spend makes a small change of the count. The distribution is built outward from
/// the mode m = ⌊(n + 1)p⌋ with the recurrence pmf(k + 1) = pmf(k)·(n − k)/(k + 1)·p/(1 − p),
/// stopping where the pmf falls below 10⁻¹⁸ of the mode's (the mass left out is far below
/// f64 resolution) and normalized by what was summed; cost O(√(np(1 − p))), no allocation.
pub fn binomial_by_inversion<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 || p.is_nan() {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let u: f64 = rng.random();
    let q = 1.0 - p;
    let ratio = p / q;
    let nf = n as f64;
    let mode = (((nf + 1.0) * p).floor() as u64).min(n);
    let mf = mode as f64;
    let ln_mode = crate::model::closed_form::ln_gamma(nf + 1.0)
        - crate::model::closed_form::ln_gamma(mf + 1.0)
        - crate::model::closed_form::ln_gamma(nf - mf + 1.0)
        + mf * p.ln()
        + (nf - mf) * q.ln();
    let at_mode = ln_mode.exp();
    let floor = 1e-18 * at_mode;
    // Walk left to where the pmf vanishes, summing the left mass.
    let (mut k, mut pmf, mut total) = (mode, at_mode, at_mode);
    while k > 0 {
        let next = pmf * k as f64 / ((nf - k as f64 + 1.0) * ratio);
        if next < floor {
            break;
        }
        k -= 1;
        pmf = next;
        total += pmf;
    }
    let (lowest, pmf_lowest) = (k, pmf);
    // Walk right from the mode.
    let (mut k, mut pmf) = (mode, at_mode);
    while k < n {
        let next = pmf * (nf - k as f64) / (k as f64 + 1.0) * ratio;
        if next < floor {
            break;
        }
        k += 1;
        pmf = next;
        total += pmf;
    }
    let highest = k;
    // Invert from the lowest count upward.
    let target = u * total;
    let (mut k, mut pmf, mut cumulative) = (lowest, pmf_lowest, pmf_lowest);
    while cumulative < target && k < highest {
        pmf *= (nf - k as f64) / (k as f64 + 1.0) * ratio;
        k += 1;
        cumulative += pmf;
    }
    k
}

/// [`multinomial`] with every conditional binomial drawn by [`binomial_by_inversion`], so each
/// category's count is monotone in `n` on a shared stream (common random numbers).
pub fn multinomial_by_inversion<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    probs: &[f64],
    out: &mut [u64],
) {
    sequential_binomials(rng, n, probs, out, binomial_by_inversion);
}

/// Splits `n` into categories with probabilities `probs` (summing to 1) by sequential
/// conditional binomials, an exact multinomial draw. The last category with a positive
/// probability takes the remainder, so rounding in the shares never loses a count.
pub fn multinomial<R: Rng + ?Sized>(rng: &mut R, n: u64, probs: &[f64], out: &mut [u64]) {
    sequential_binomials(rng, n, probs, out, binomial);
}

/// The sequential-conditional-binomial multinomial, with the binomial sampler `draw`.
fn sequential_binomials<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    probs: &[f64],
    out: &mut [u64],
    mut draw: impl FnMut(&mut R, u64, f64) -> u64,
) {
    out.iter_mut().for_each(|x| *x = 0);
    let last = probs.iter().rposition(|&p| p > 0.0);
    let mut remaining = n;
    let mut remaining_mass = 1.0;
    for (k, &p) in probs.iter().enumerate() {
        if remaining == 0 {
            break;
        }
        let count = if Some(k) == last || p >= remaining_mass {
            remaining
        } else {
            draw(rng, remaining, p / remaining_mass)
        };
        out[k] = count;
        remaining -= count;
        remaining_mass -= p;
    }
}

/// Gamma(shape, scale) draw; 0 for a zero shape or scale (the empty sum).
pub fn gamma<R: Rng + ?Sized>(rng: &mut R, shape: f64, scale: f64) -> f64 {
    if shape <= 0.0 || scale <= 0.0 {
        return 0.0;
    }
    match Gamma::new(shape, scale) {
        Ok(d) => d.sample(rng),
        Err(_) => shape * scale,
    }
}

/// Beta(α, β) draw with the degenerate limits handled: α = 0 → 0, β = 0 → 1.
pub fn beta<R: Rng + ?Sized>(rng: &mut R, alpha: f64, beta: f64) -> f64 {
    if alpha <= 0.0 {
        return 0.0;
    }
    if beta <= 0.0 {
        return 1.0;
    }
    match Beta::new(alpha, beta) {
        Ok(d) => d.sample(rng),
        Err(_) => alpha / (alpha + beta),
    }
}

pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

impl ParameterDistribution {
    /// One draw (SPEC §8). Beta is parameterized by mean and concentration:
    /// Beta(mean·c, (1 − mean)·c); lognormal by its median: median·e^(σ·z).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            ParameterDistribution::Normal { mean, sd } => mean + sd * standard_normal(rng),
            ParameterDistribution::LogNormal { median, sigma } => {
                median * (sigma * standard_normal(rng)).exp()
            }
            ParameterDistribution::Beta {
                mean,
                concentration,
            } => beta(rng, mean * concentration, (1.0 - mean) * concentration),
            ParameterDistribution::Uniform { low, high } => {
                let u: f64 = rng.random();
                low + (high - low) * u
            }
            ParameterDistribution::Triangular { low, mode, high } => {
                // Inverse CDF of the triangular distribution.
                let u: f64 = rng.random();
                let width = high - low;
                if width <= 0.0 {
                    return low;
                }
                let split = (mode - low) / width;
                if u < split {
                    low + (u * width * (mode - low)).sqrt()
                } else {
                    high - ((1.0 - u) * width * (high - mode)).sqrt()
                }
            }
        }
    }
}

/// Multipliers of periods 1..=H for a mean-one AR(1) log-normal shock (SPEC §8):
/// x_0 ~ N(0, sd²), x_t = ρ·x_{t−1} + sd·√(1 − ρ²)·z_t, multiplier exp(x_t − sd²/2).
/// The process is stationary, so every period's multiplier has mean one.
pub fn shock_path<R: Rng + ?Sized>(rng: &mut R, shock: &Shock, periods: u32) -> Vec<f64> {
    let sd = shock.sd;
    let rho = shock.persistence;
    let innovation = sd * (1.0 - rho * rho).sqrt();
    let mut x = sd * standard_normal(rng);
    (0..periods)
        .map(|_| {
            x = rho * x + innovation * standard_normal(rng);
            (x - 0.5 * sd * sd).exp()
        })
        .collect()
}

#[cfg(test)]
mod inversion_tests {
    use super::*;
    use crate::sim::rng::{Stream, stream};

    /// Mean and variance of many draws against np and np(1 − p), within 4 standard errors, for
    /// small, moderate and large n; and one uniform per draw makes the count monotone in p.
    #[test]
    fn binomial_by_inversion_has_the_binomial_moments_and_is_monotone_in_p() {
        for &(n, p) in &[
            (5u64, 0.3),
            (1_000, 0.01),
            (100_000, 0.004),
            (2_000_000, 0.5),
        ] {
            let mut rng = stream(17, n, Stream::Customers);
            let draws: Vec<f64> = (0..20_000)
                .map(|_| binomial_by_inversion(&mut rng, n, p) as f64)
                .collect();
            let m = draws.iter().sum::<f64>() / draws.len() as f64;
            let v = draws.iter().map(|d| (d - m) * (d - m)).sum::<f64>() / (draws.len() - 1) as f64;
            let (mean, var) = (n as f64 * p, n as f64 * p * (1.0 - p));
            let se_mean = (var / draws.len() as f64).sqrt();
            assert!(
                (m - mean).abs() < 4.0 * se_mean,
                "n {n} p {p}: mean {m} vs {mean}"
            );
            // Var of the sample variance ≈ 2σ⁴/N (near-normal counts; loose for n = 5).
            let se_var = var * (2.0 / draws.len() as f64).sqrt() * 1.5;
            assert!(
                (v - var).abs() < 4.0 * se_var,
                "n {n} p {p}: var {v} vs {var}"
            );
        }
        for seed in 0..200 {
            let draw =
                |p: f64| binomial_by_inversion(&mut stream(seed, 0, Stream::Customers), 50_000, p);
            let (low, high) = (draw(0.0100), draw(0.0101));
            assert!(low <= high, "seed {seed}: {low} > {high}");
            assert!(
                high - low <= 20,
                "seed {seed}: a small change of p moves the count little"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Stream, stream};

    fn mean_and_se(draws: &[f64]) -> (f64, f64) {
        let n = draws.len() as f64;
        let m = draws.iter().sum::<f64>() / n;
        let v = draws.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        (m, (v / n).sqrt())
    }

    #[test]
    fn poisson_mean_and_variance_match_the_rate() {
        let mut rng = stream(7, 0, Stream::Customers);
        for lambda in [0.05, 2.5, 9.9, 40.0] {
            let draws: Vec<f64> = (0..100_000)
                .map(|_| poisson(&mut rng, lambda) as f64)
                .collect();
            let (m, se) = mean_and_se(&draws);
            assert!((m - lambda).abs() < 4.0 * se, "λ={lambda}: mean {m} ± {se}");
        }
        assert_eq!(poisson(&mut rng, 0.0), 0);
    }

    #[test]
    fn binomial_counts_follow_the_binomial_law_on_both_sides_of_the_inversion_cut() {
        let mut rng = stream(11, 0, Stream::Customers);
        // Both sides of the inversion cut n·min(p, 1 − p) = 10, and both tails by symmetry.
        for n in [1, 5, 16, 17, 200, 2000] {
            for p in [0.003, 0.03, 0.049, 0.051, 0.5, 0.97, 0.997] {
                let draws: Vec<u64> = (0..100_000).map(|_| binomial(&mut rng, n, p)).collect();
                assert!(draws.iter().all(|&x| x <= n));
                // Pearson's chi-square against the exact probabilities, cells with an
                // expected count under 5 pooled into their neighbour.
                let mut observed = vec![0.0; n as usize + 1];
                draws.iter().for_each(|&x| observed[x as usize] += 1.0);
                let total = draws.len() as f64;
                let mut cells: Vec<(f64, f64)> = vec![(0.0, 0.0)];
                for k in 0..=n {
                    if cells.last().is_some_and(|c| c.1 >= 5.0) {
                        cells.push((0.0, 0.0));
                    }
                    if let Some(cell) = cells.last_mut() {
                        cell.0 += observed[k as usize];
                        cell.1 += total * binomial_pmf(n, p, k);
                    }
                }
                if cells.len() > 1 && cells.last().is_some_and(|c| c.1 < 5.0) {
                    let (o, e) = cells.pop().unwrap_or_default();
                    if let Some(cell) = cells.last_mut() {
                        (cell.0, cell.1) = (cell.0 + o, cell.1 + e);
                    }
                }
                let chi2: f64 = cells.iter().map(|(o, e)| (o - e) * (o - e) / e).sum();
                // Mean + 5 sd of a chi-square with `cells − 1` degrees of freedom.
                let df = (cells.len() as f64 - 1.0).max(1.0);
                assert!(
                    chi2 < df + 5.0 * (2.0 * df).sqrt(),
                    "n={n} p={p}: χ²={chi2}, df={df}"
                );
            }
        }
    }

    #[test]
    fn large_binomial_counts_have_the_binomial_mean_and_variance() {
        let mut rng = stream(13, 0, Stream::Customers);
        for (n, p) in [
            (1_000_000u64, 0.003),
            (200_000, 0.2),
            (50_000, 0.5),
            (10_000, 0.9995),
        ] {
            let draws: Vec<f64> = (0..200_000)
                .map(|_| binomial(&mut rng, n, p) as f64)
                .collect();
            let (m, se) = mean_and_se(&draws);
            let mean = n as f64 * p;
            let variance = mean * (1.0 - p);
            assert!((m - mean).abs() < 4.0 * se, "n={n} p={p}: mean {m} ± {se}");
            let v =
                draws.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (draws.len() as f64 - 1.0);
            // The sample variance's standard error is about variance·√(2/N).
            assert!(
                (v - variance).abs() < 4.0 * variance * (2.0 / draws.len() as f64).sqrt(),
                "n={n} p={p}: variance {v} vs {variance}"
            );
        }
    }

    #[test]
    fn binomial_with_a_known_log_complement_has_the_binomial_law() {
        // BG/NBD dropouts: p = 1 − e^(−x), ln(1 − p) = −x.
        let mut rng = stream(17, 0, Stream::Customers);
        for (n, x) in [(7u64, 0.2f64), (300, 0.01), (40, 0.9), (5000, 0.004)] {
            let p: f64 = -(-x).exp_m1();
            let draws: Vec<f64> = (0..200_000)
                .map(|_| binomial_with_log_complement(&mut rng, n, p, -x) as f64)
                .collect();
            let (m, se) = mean_and_se(&draws);
            assert!(
                (m - n as f64 * p).abs() < 4.0 * se,
                "n={n} x={x}: {m} ± {se}"
            );
            let zeros = draws.iter().filter(|&&d| d == 0.0).count() as f64 / draws.len() as f64;
            let expected = (-(n as f64) * x).exp();
            let se0 = (expected * (1.0 - expected) / draws.len() as f64).sqrt();
            assert!(
                (zeros - expected).abs() < 4.0 * se0 + 1e-12,
                "n={n} x={x}: P(0)"
            );
        }
    }

    /// P(X = k) for X ~ Binomial(n, p), by logs.
    fn binomial_pmf(n: u64, p: f64, k: u64) -> f64 {
        let ln_choose: f64 = (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum();
        (ln_choose + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp()
    }

    #[test]
    fn parameter_distributions_have_their_means() {
        let mut rng = stream(3, 0, Stream::Parameters);
        let cases = [
            (ParameterDistribution::Normal { mean: 2.0, sd: 0.5 }, 2.0),
            (
                ParameterDistribution::LogNormal {
                    median: 1.0,
                    sigma: 0.5,
                },
                (0.125f64).exp(),
            ),
            (
                ParameterDistribution::Beta {
                    mean: 0.9,
                    concentration: 20.0,
                },
                0.9,
            ),
            (
                ParameterDistribution::Uniform {
                    low: 1.0,
                    high: 3.0,
                },
                2.0,
            ),
            (
                ParameterDistribution::Triangular {
                    low: 0.1,
                    mode: 0.2,
                    high: 0.6,
                },
                0.3,
            ),
        ];
        for (dist, expected) in cases {
            let draws: Vec<f64> = (0..100_000).map(|_| dist.sample(&mut rng)).collect();
            let (m, se) = mean_and_se(&draws);
            assert!((m - expected).abs() < 4.0 * se, "{dist:?}: {m} ± {se}");
        }
    }

    #[test]
    fn shock_multipliers_have_mean_one() {
        let mut rng = stream(5, 0, Stream::Shocks);
        let shock = Shock {
            sd: 0.3,
            persistence: 0.6,
        };
        let draws: Vec<f64> = (0..20_000)
            .flat_map(|_| shock_path(&mut rng, &shock, 5))
            .collect();
        // Draws within a path are correlated; 5 per path inflates the variance of the mean by at
        // most 5×, so allow 4·√5 standard errors.
        let (m, se) = mean_and_se(&draws);
        assert!((m - 1.0).abs() < 4.0 * 5f64.sqrt() * se, "{m} ± {se}");
    }
}
