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
    let x = if n as f64 * small < INVERSION_MAX_MEAN {
        binomial_inversion(rng, n, small, || (-small).ln_1p())
    } else {
        binomial_btrd(rng, n, small)
    };
    if flipped { n - x } else { x }
}

/// A binomial success probability with its set-up done once, for a p that many counts are
/// drawn with (the conditional probabilities of a fixed multinomial): [`BinomialProbability::draw`]
/// gives exactly [`binomial`]'s count for the same uniforms, without its logarithm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinomialProbability {
    /// min(p, 1 − p), 0 at the ends.
    small: f64,
    /// Whether the count is n minus a count of probability `small`.
    flipped: bool,
    /// ln(1 − small).
    ln_keep: f64,
}

impl BinomialProbability {
    pub fn new(p: f64) -> Self {
        if p <= 0.0 || p.is_nan() || p >= 1.0 {
            return BinomialProbability {
                small: 0.0,
                flipped: p >= 1.0,
                ln_keep: 0.0,
            };
        }
        let (small, flipped) = if p > 0.5 { (1.0 - p, true) } else { (p, false) };
        BinomialProbability {
            small,
            flipped,
            ln_keep: (-small).ln_1p(),
        }
    }

    /// Binomial(n, p).
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        if self.small <= 0.0 {
            return if self.flipped { n } else { 0 };
        }
        let x = if n as f64 * self.small < INVERSION_MAX_MEAN {
            binomial_inversion(rng, n, self.small, || self.ln_keep)
        } else {
            binomial_btrd(rng, n, self.small)
        };
        if self.flipped { n - x } else { x }
    }
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
/// recursion when |k − m| ≤ 15, else after a squeeze, with [`stirling_tail`]. The set-up of
/// the slower test is made only when a draw needs it, and ⌊x⌋ of a non-negative x is a
/// truncation (no call to `floor`).
fn binomial_btrd<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    let nf = n as f64;
    let spq = (nf * p * (1.0 - p)).sqrt();
    let b = 1.15 + 2.53 * spq;
    let a = -0.0873 + 0.0248 * b + 0.01 * p;
    let c = nf * p + 0.5;
    // Hörmann's box test v ≤ v_r = 0.92 − 4.2/b, multiplied by b > 0: no division.
    let v_r_times_b = 0.92 * b - 4.2;
    let two_a = 2.0 * a;
    loop {
        let u = rng.random::<f64>() - 0.5;
        let v: f64 = rng.random();
        let us = 0.5 - u.abs();
        let x = (two_a / us + b) * u + c;
        // ⌊x⌋ < 0 or ⌊x⌋ > n: outside the support (NaN cannot arise: us > 0 or x = −∞).
        if x < 0.0 || x >= nf + 1.0 {
            continue;
        }
        let k = (x as u64) as f64;
        if us >= 0.07 && v * b <= v_r_times_b {
            return k as u64;
        }
        if btrd_accepts(nf, p, spq, a, b, us, v, k) {
            return k as u64;
        }
    }
}

/// Steps 2–3 of BTRD: whether the proposal k with variates (us, v) outside the central box
/// is accepted, by the exact ratio f(k)/f(m) (Hörmann 1993). The scaled variate
/// v·α/(a/us² + b), α = (2.83 + 5.1/b)·√(npq), is kept as one fraction num/den, and the
/// recursion's ratios (n + 1 − i)·p/(i·q) as products above and below, so the usual test
/// (|k − m| ≤ 15) compares cross products and divides nothing.
#[allow(clippy::too_many_arguments)]
fn btrd_accepts(nf: f64, p: f64, spq: f64, a: f64, b: f64, us: f64, v: f64, k: f64) -> bool {
    let q = 1.0 - p;
    let m = (((nf + 1.0) * p) as u64) as f64;
    let us2 = us * us;
    let num = v * (2.83 * b + 5.1) * spq * us2;
    let den = b * (a + b * us2);
    let km = (k - m).abs();
    if km <= 15.0 {
        // Hörmann's step 3.1: f(k)/f(m) by the recursion f(i)/f(i − 1) = (n + 1 − i)·p/(i·q),
        // multiplied out (at most 15 factors each side, below 1e200 for any count this crate
        // holds).
        let (low, high) = (k.min(m), k.max(m));
        let (mut above, mut below) = (1.0, 1.0);
        let mut i = low;
        while i < high {
            i += 1.0;
            above *= (nf + 1.0 - i) * p;
            below *= i * q;
        }
        return if m < k {
            num * below <= above * den
        } else {
            num * above <= below * den
        };
    }
    let r = p / q;
    // Step 3.2, the squeeze: t ± ρ bound ln f(k)/f(m) (Hörmann 1993, eq. 3.3).
    let v = (num / den).ln();
    let npq = spq * spq;
    let rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5);
    let t = -km * km / (2.0 * npq);
    if v < t - rho {
        return true;
    }
    if v > t + rho {
        return false;
    }
    let bound = (m + 0.5) * ((m + 1.0) / (r * (nf - m + 1.0))).ln()
        + (nf + 1.0) * ((nf - m + 1.0) / (nf - k + 1.0)).ln()
        + (k + 0.5) * (r * (nf - k + 1.0) / (k + 1.0)).ln()
        + stirling_tail(m)
        + stirling_tail(nf - m)
        - stirling_tail(k)
        - stirling_tail(nf - k);
    v <= bound
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
        return binomial_inversion(rng, n, p, || ln_complement);
    }
    binomial(rng, n, p)
}

/// BINV (Kachitvichyanukul & Schmeiser 1988) for p ≤ 1/2 and a small mean, given how to get
/// ln(1 − p). P(X = 0) = (1 − p)^n is at least 1 − np (Bernoulli's inequality), so a uniform
/// below 1 − np is a zero at once, without the power: most draws of a small mean. Rounding
/// can leave the search past n with the uniform unspent (probability of order 1e-16); it then
/// starts again with a fresh uniform, as BINV does.
fn binomial_inversion<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    p: f64,
    ln_keep: impl FnOnce() -> f64,
) -> u64 {
    let nf = n as f64;
    let mut u: f64 = rng.random();
    if u < 1.0 - nf * p {
        return 0;
    }
    let first = (nf * ln_keep()).exp();
    let q = 1.0 - p;
    let s = p / q;
    let a = (nf + 1.0) * s;
    loop {
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
            // a/x as a·(1/x) from a table: the division was the step's cost.
            let inverse = RECIPROCALS
                .get(x as usize)
                .copied()
                .unwrap_or_else(|| 1.0 / x as f64);
            r *= a * inverse - s;
        }
        u = rng.random();
    }
}

/// 1/x for the steps x < 64 of an inversion search (BINV's means stay below 10, so its
/// searches rarely pass 30 steps); `RECIPROCALS[0]` is unused.
const RECIPROCALS: [f64; 64] = {
    let mut table = [0.0; 64];
    let mut x = 1;
    while x < 64 {
        table[x] = 1.0 / x as f64;
        x += 1;
    }
    table
};

/// Binomial(n, p) by inversion of one uniform U: the smallest k with F(k) ≥ U (Devroye 1986,
/// §III.2 and §X.4; Kachitvichyanukul & Schmeiser 1988 on binomial inversion). One uniform per
/// draw makes the count monotone in p on a shared stream, which common random numbers need:
/// a higher acquisition probability never gives fewer customers on the same run, so a small
/// change of spend makes a small change of the count. The distribution is built outward from
/// the mode m = ⌊(n + 1)p⌋ with the recurrence pmf(k + 1) = pmf(k)·(n − k)/(k + 1)·p/(1 − p),
/// stopping where the pmf falls below 10⁻¹⁸ of the mode's (the mass left out is far below
/// f64 resolution) and normalized by what was summed; cost O(√(np(1 − p))), no allocation.
///
/// A study draws the same (n, p) in every run (an acquisition count: the same prospects and
/// probability each period of every run of a plan), so wide distributions keep their running
/// sums per thread (`InversionTable`) and a draw is a binary search. The table holds the
/// very sums the sequential search adds up, so a draw is the same count either way.
pub fn binomial_by_inversion<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 || p.is_nan() {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let u: f64 = rng.random();
    if n as f64 * p * (1.0 - p) < TABLE_MIN_VARIANCE {
        let window = InversionWindow::new(n, p);
        return window.search(u * window.total);
    }
    InversionTable::with(n, p, |table| table.search(u))
}

/// [`binomial_by_inversion`] for an (n, p) that is not drawn again (a split of a count that
/// differs by run): no table, and the search starts at the mode
/// (`InversionWindow::search_from_mode`).
pub fn binomial_by_inversion_once<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 || p.is_nan() {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let u: f64 = rng.random();
    if n as f64 * p * (1.0 - p) < TABLE_MIN_VARIANCE {
        let window = InversionWindow::new(n, p);
        return window.search(u * window.total);
    }
    let window = InversionWindow::cached(n, p);
    window.search_from_mode(u * window.total)
}

/// Distributions with a variance below this are searched afresh: their windows span a few
/// dozen counts, cheaper to walk than to look up.
const TABLE_MIN_VARIANCE: f64 = 16.0;

/// The counts of Binomial(n, p) with a pmf of at least 10⁻¹⁸ of the mode's,
/// [lowest, highest], the pmf at the lowest and the pmf's sum over them.
#[derive(Debug, Clone, Copy)]
struct InversionWindow {
    n: u64,
    ratio: f64,
    lowest: u64,
    pmf_lowest: f64,
    highest: u64,
    total: f64,
    mode: u64,
    at_mode: f64,
    /// The pmf's sum over [lowest, mode].
    left: f64,
}

impl InversionWindow {
    fn new(n: u64, p: f64) -> Self {
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
            let next = pmf * (k as f64 / ((nf - k as f64 + 1.0) * ratio));
            if next < floor {
                break;
            }
            k -= 1;
            pmf = next;
            total += pmf;
        }
        let (lowest, pmf_lowest, left) = (k, pmf, total);
        // Walk right from the mode.
        let (mut k, mut pmf) = (mode, at_mode);
        while k < n {
            let next = pmf * ((nf - k as f64) / (k as f64 + 1.0) * ratio);
            if next < floor {
                break;
            }
            k += 1;
            pmf = next;
            total += pmf;
        }
        InversionWindow {
            n,
            ratio,
            lowest,
            pmf_lowest,
            highest: k,
            total,
            mode,
            at_mode,
            left,
        }
    }

    /// The window of (n, p), remembered per thread. The splits of an acquired count
    /// ([`multinomial_by_inversion`]) differ by run, but the count takes only a few hundred
    /// values around its mean, so the same (n, p) comes back across runs and periods; the walk
    /// that builds a window (±9σ both ways) was 10% of a large bank's cohort run, and the
    /// search from the mode that uses it costs about σ steps. A window is a few scalars, so
    /// thousands fit in a core's cache, where running-sum tables ([`InversionTable`]) of each
    /// (n, p) would not.
    fn cached(n: u64, p: f64) -> InversionWindow {
        use std::cell::RefCell;
        use std::collections::HashMap;
        thread_local! {
            static WINDOWS: RefCell<HashMap<(u64, u64), InversionWindow, KeyHasher>> =
                RefCell::new(HashMap::default());
        }
        WINDOWS.with(|windows| {
            let mut windows = windows.borrow_mut();
            let key = (n, p.to_bits());
            if let Some(window) = windows.get(&key) {
                return *window;
            }
            if windows.len() >= WINDOW_CACHE_ENTRIES {
                windows.clear();
            }
            let window = InversionWindow::new(n, p);
            windows.insert(key, window);
            window
        })
    }

    /// [`InversionWindow::search`] starting at the mode, whose running sum the left walk
    /// already has: about √(np(1 − p)) steps instead of the window's width. The sums differ
    /// from the upward ones only by rounding (a count moves only when the target falls within
    /// a few ulps of a sum).
    fn search_from_mode(&self, target: f64) -> u64 {
        let nf = self.n as f64;
        let (mut k, mut pmf, mut cumulative) = (self.mode, self.at_mode, self.left);
        if target <= cumulative {
            // Down: F(k − 1) = F(k) − pmf(k), while it still reaches the target.
            while k > self.lowest {
                let below = cumulative - pmf;
                if below < target {
                    break;
                }
                pmf *= k as f64 / ((nf - k as f64 + 1.0) * self.ratio);
                k -= 1;
                cumulative = below;
            }
            return k;
        }
        while cumulative < target && k < self.highest {
            pmf *= (nf - k as f64) / (k as f64 + 1.0) * self.ratio;
            k += 1;
            cumulative += pmf;
        }
        k
    }

    /// The pmf's running sums from the lowest count upward, as [`InversionWindow::search`]
    /// adds them.
    fn running_sums(&self) -> impl Iterator<Item = f64> + '_ {
        let nf = self.n as f64;
        let (mut k, mut pmf, mut cumulative) = (self.lowest, self.pmf_lowest, self.pmf_lowest);
        std::iter::once(cumulative).chain(std::iter::from_fn(move || {
            if k >= self.highest {
                return None;
            }
            pmf *= (nf - k as f64) / (k as f64 + 1.0) * self.ratio;
            k += 1;
            cumulative += pmf;
            Some(cumulative)
        }))
    }

    /// The smallest count whose running sum reaches `target` (the highest if none does).
    fn search(&self, target: f64) -> u64 {
        (self.lowest..)
            .zip(self.running_sums())
            .find(|&(_, cumulative)| cumulative >= target)
            .map_or(self.highest, |(k, _)| k)
    }
}

/// Windows kept per thread ([`InversionWindow::cached`]): 72 bytes each, about 1 MiB in all.
const WINDOW_CACHE_ENTRIES: usize = 16_384;

/// A hasher for the cache keys (n, bits of p): SplitMix64's finalizer over the words
/// (Steele, Lea & Flood 2014), where the standard library's SipHash costs more than the
/// lookup it guards. The keys are the engine's own counts, not adversarial input.
type KeyHasher = std::hash::BuildHasherDefault<WordHasher>;

#[derive(Default)]
struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn finish(&self) -> u64 {
        crate::sim::rng::splitmix64(self.0)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = crate::sim::rng::splitmix64(self.0 ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = crate::sim::rng::splitmix64(self.0 ^ word);
    }
}

/// The running sums of one [`InversionWindow`], kept per thread for (n, p) drawn again, with
/// a guide table (Chen & Asau 1974; Devroye 1986, §III.2.4): `guide[b]` is the first sum at
/// or above b/G of the total, G the number of sums, so a draw reads the guide and one or two
/// sums instead of bisecting the whole table (a wide table is a cache miss per step).
struct InversionTable {
    lowest: u64,
    cumulative: Vec<f64>,
    guide: Vec<u32>,
    total: f64,
}

/// Tables by (n, bits of p).
type Tables = std::collections::HashMap<(u64, u64), InversionTable>;

/// Tables kept per thread hold at most this many sums in all (16 MiB); past it they are
/// dropped and rebuilt as needed.
const TABLE_CACHE_SUMS: usize = 1 << 21;

impl InversionTable {
    /// Runs `f` on the table of (n, p), built on first use.
    fn with<T>(n: u64, p: f64, f: impl FnOnce(&InversionTable) -> T) -> T {
        use std::cell::RefCell;
        use std::collections::HashMap;
        thread_local! {
            static TABLES: RefCell<(Tables, usize)> = RefCell::new((HashMap::new(), 0));
        }
        TABLES.with(|tables| {
            let mut tables = tables.borrow_mut();
            let (map, held) = &mut *tables;
            let key = (n, p.to_bits());
            if let Some(table) = map.get(&key) {
                return f(table);
            }
            let window = InversionWindow::new(n, p);
            let cumulative: Vec<f64> = window.running_sums().collect();
            let buckets = cumulative.len();
            let mut guide = Vec::with_capacity(buckets);
            let mut i = 0;
            for b in 0..buckets {
                let threshold = b as f64 / buckets as f64 * window.total;
                while i + 1 < buckets && cumulative[i] < threshold {
                    i += 1;
                }
                guide.push(i as u32);
            }
            let table = InversionTable {
                lowest: window.lowest,
                cumulative,
                guide,
                total: window.total,
            };
            let size = table.cumulative.len();
            if size > TABLE_CACHE_SUMS / 4 {
                return f(&table);
            }
            if *held + size > TABLE_CACHE_SUMS {
                map.clear();
                *held = 0;
            }
            *held += size;
            f(map.entry(key).or_insert(table))
        })
    }

    /// The count of uniform `u`: the first running sum at or above u·total (the last if
    /// none is), from the guide's entry forward. Should rounding put the guide's entry past
    /// that sum, the whole table is bisected: the same count either way.
    fn search(&self, u: f64) -> u64 {
        let target = u * self.total;
        let last = self.cumulative.len() - 1;
        let bucket = ((u * self.guide.len() as f64) as usize).min(self.guide.len() - 1);
        let mut i = self.guide[bucket] as usize;
        if i > 0 && self.cumulative[i - 1] >= target {
            i = self.cumulative.partition_point(|&c| c < target);
        }
        while i < last && self.cumulative[i] < target {
            i += 1;
        }
        self.lowest + i.min(last) as u64
    }
}

/// [`multinomial`] with every conditional binomial drawn by inversion
/// ([`binomial_by_inversion_once`]), so each category's count is monotone in `n` on a shared
/// stream (common random numbers).
pub fn multinomial_by_inversion<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    probs: &[f64],
    out: &mut [u64],
) {
    sequential_binomials(rng, n, probs, out, binomial_by_inversion_once);
}

/// A multinomial's probabilities with the set-up of its sequential conditional binomials done
/// once ([`BinomialProbability`]), for a split drawn many times (customers entering a cohort's
/// strata): [`PreparedMultinomial::draw`] gives exactly [`multinomial`]'s counts for the same
/// uniforms.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedMultinomial {
    /// Per category: `None` where it takes the remainder, else its conditional binomial.
    steps: Vec<Option<BinomialProbability>>,
}

impl PreparedMultinomial {
    pub fn new(probs: &[f64]) -> Self {
        let last = probs.iter().rposition(|&p| p > 0.0);
        let mut remaining_mass = 1.0;
        let steps = probs
            .iter()
            .enumerate()
            .map(|(k, &p)| {
                let step = if Some(k) == last || p >= remaining_mass {
                    None
                } else {
                    Some(BinomialProbability::new(p / remaining_mass))
                };
                remaining_mass -= p;
                step
            })
            .collect();
        PreparedMultinomial { steps }
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Splits `n` into the categories (`out` has one slot per category).
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R, n: u64, out: &mut [u64]) {
        out.iter_mut().for_each(|x| *x = 0);
        let mut remaining = n;
        for (step, slot) in self.steps.iter().zip(out.iter_mut()) {
            if remaining == 0 {
                break;
            }
            let count = step.map_or(remaining, |b| b.draw(rng, remaining));
            *slot = count;
            remaining -= count;
        }
    }
}

/// A fixed multinomial drawn by sequential conditional binomials ([`PreparedMultinomial`])
/// until few customers are left for the categories still to fill, then one alias draw per
/// customer over those categories ([`AliasTable`] of the suffix): given the counts of the
/// first i categories, the remaining R customers are Multinomial(R, p_{i..}/Σ p_{i..}), which
/// R independent categorical draws over the suffix are exactly (Johnson, Kotz &
/// Balakrishnan 1997, *Discrete Multivariate Distributions*, §35.2). With the categories in
/// descending order of probability (a cohort's entry strata), the binomials place the bulk
/// and the long tail of small categories costs a few nanoseconds per customer instead of a
/// binomial (tens of nanoseconds) per category.
#[derive(Debug, Clone, PartialEq)]
pub struct TailedMultinomial {
    steps: PreparedMultinomial,
    /// `suffix[i]`: the categories i.. with their probabilities renormalized.
    suffix: Vec<AliasTable>,
    /// Hand over when fewer than this many customers per remaining category are left.
    factor: u64,
}

impl TailedMultinomial {
    /// The multinomial over `probs` (non-negative, summing to one), handing over to alias
    /// draws below `factor` customers per remaining category.
    /// Beyond [`TAILED_MAX_CATEGORIES`] categories only the whole law gets a table (the
    /// suffix tables hold K²/2 entries), so the hand-over happens at the start or not at all.
    pub fn new(probs: &[f64], factor: u64) -> Self {
        let tables = if probs.len() <= TAILED_MAX_CATEGORIES {
            probs.len()
        } else {
            1.min(probs.len())
        };
        let suffix = (0..tables).map(|i| AliasTable::new(&probs[i..])).collect();
        TailedMultinomial {
            steps: PreparedMultinomial::new(probs),
            suffix,
            factor,
        }
    }

    /// Splits `n` into the categories (`out` has one slot per category).
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R, n: u64, out: &mut [u64]) {
        out.iter_mut().for_each(|x| *x = 0);
        let categories = self.steps.steps.len();
        let mut remaining = n;
        for (i, step) in self.steps.steps.iter().enumerate() {
            if remaining == 0 {
                return;
            }
            if i < self.suffix.len()
                && remaining < self.factor.saturating_mul((categories - i) as u64)
            {
                for _ in 0..remaining {
                    out[i + self.suffix[i].sample(rng)] += 1;
                }
                return;
            }
            let count = step.map_or(remaining, |b| b.draw(rng, remaining));
            out[i] = count;
            remaining -= count;
        }
    }
}

/// The most categories a [`TailedMultinomial`] keeps an alias table for every suffix of.
pub const TAILED_MAX_CATEGORIES: usize = 128;

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

/// Walker's alias table (Walker 1977; construction of Vose 1991, "A linear algorithm for
/// generating random numbers with a given distribution", IEEE TSE 17): a category of a fixed
/// discrete law in O(1) — a uniform slot i of K, kept with probability `keep[i]`, else its
/// alias — where inverting the cumulative weights takes a binary search.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasTable {
    keep: Vec<f64>,
    alias: Vec<u32>,
}

impl AliasTable {
    /// The table of categories with `weights` (non-negative, not all zero; any total).
    pub fn new(weights: &[f64]) -> Self {
        let k = weights.len();
        let total: f64 = weights.iter().sum();
        let mut scaled: Vec<f64> = weights
            .iter()
            .map(|&w| {
                if total > 0.0 {
                    w * k as f64 / total
                } else {
                    1.0
                }
            })
            .collect();
        let mut keep = vec![1.0; k];
        let mut alias: Vec<u32> = (0..k as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..k).partition(|&i| scaled[i] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            keep[s] = scaled[s];
            alias[s] = l as u32;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // What is left holds probability one up to rounding.
        AliasTable { keep, alias }
    }

    /// One category: the slot from the high bits of one 64-bit draw (Lemire's multiply-shift,
    /// bias below K/2⁶⁴), the coin from a second uniform.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let k = self.keep.len() as u64;
        let slot = ((u128::from(rng.next_u64()) * u128::from(k)) >> 64) as usize;
        let coin: f64 = rng.random();
        if coin < self.keep[slot] {
            slot
        } else {
            self.alias[slot] as usize
        }
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

/// A Beta or Gamma law whose sampler set-up is done once, for the many draws of one
/// cohort's traits. Each draw is bit for bit the draw [`beta`] or [`gamma`] would make with
/// the same parameters and generator (rand_distr's samplers keep no state between draws;
/// only their set-up — Cheng 1978's constants for the Beta, Marsaglia & Tsang 2000's for the
/// Gamma — is hoisted), so the per-customer engine's draws do not change.
#[derive(Debug, Clone, Copy)]
pub enum PreparedLaw {
    /// A degenerate law (or parameters the sampler refuses): always this value, as the
    /// one-shot functions return it.
    Fixed(f64),
    Beta(Beta<f64>),
    Gamma(Gamma<f64>),
}

impl PreparedLaw {
    /// The law [`beta`] draws from with these parameters.
    pub fn beta(alpha: f64, beta: f64) -> Self {
        if alpha <= 0.0 {
            return PreparedLaw::Fixed(0.0);
        }
        if beta <= 0.0 {
            return PreparedLaw::Fixed(1.0);
        }
        match Beta::new(alpha, beta) {
            Ok(d) => PreparedLaw::Beta(d),
            Err(_) => PreparedLaw::Fixed(alpha / (alpha + beta)),
        }
    }

    /// The law [`gamma`] draws from with these parameters.
    pub fn gamma(shape: f64, scale: f64) -> Self {
        if shape <= 0.0 || scale <= 0.0 {
            return PreparedLaw::Fixed(0.0);
        }
        match Gamma::new(shape, scale) {
            Ok(d) => PreparedLaw::Gamma(d),
            Err(_) => PreparedLaw::Fixed(shape * scale),
        }
    }

    /// One draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            PreparedLaw::Fixed(x) => *x,
            PreparedLaw::Beta(d) => d.sample(rng),
            PreparedLaw::Gamma(d) => d.sample(rng),
        }
    }
}

/// Beta(α, β) as X/(X + Y) with X ~ Gamma(α), Y ~ Gamma(β) independent (the definition of
/// the Beta law as a Gamma ratio, e.g. Devroye 1986, §IX.4): two Marsaglia–Tsang Gamma draws
/// cost about half of rand_distr's Cheng sampler for the large shapes of the cohort engine's
/// rate thinning. The degenerate limits are those of [`beta`].
pub fn beta_by_gammas<R: Rng + ?Sized>(rng: &mut R, alpha: f64, beta: f64) -> f64 {
    if alpha <= 0.0 {
        return 0.0;
    }
    if beta <= 0.0 {
        return 1.0;
    }
    let x = gamma(rng, alpha, 1.0);
    let y = gamma(rng, beta, 1.0);
    if x + y > 0.0 {
        x / (x + y)
    } else {
        alpha / (alpha + beta)
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

    /// The prepared samplers are the plain ones with their set-up moved out: on the same
    /// stream they give the same counts, draw for draw.
    #[test]
    fn prepared_binomials_and_multinomials_give_the_plain_draws() {
        for p in [0.0, 1e-7, 0.003, 0.2, 0.5, 0.7, 0.999, 1.0] {
            let prepared = BinomialProbability::new(p);
            let (mut a, mut b) = (
                stream(3, 1, Stream::Customers),
                stream(3, 1, Stream::Customers),
            );
            for n in [0u64, 1, 7, 300, 5_000, 2_000_000] {
                assert_eq!(
                    prepared.draw(&mut a, n),
                    binomial(&mut b, n, p),
                    "n {n} p {p}"
                );
            }
        }
        let probs = [0.4, 0.0, 0.3, 0.2, 0.1, 0.0];
        let prepared = PreparedMultinomial::new(&probs);
        let (mut a, mut b) = (
            stream(5, 1, Stream::Customers),
            stream(5, 1, Stream::Customers),
        );
        let (mut x, mut y) = ([0u64; 6], [0u64; 6]);
        for n in [0u64, 3, 40, 10_000, 3_000_000] {
            prepared.draw(&mut a, n, &mut x);
            multinomial(&mut b, n, &probs, &mut y);
            assert_eq!(x, y, "n {n}");
            assert_eq!(x.iter().sum::<u64>(), n);
        }
    }

    /// Tabled inversion is the sequential search (the same count for every uniform), the
    /// search from the mode differs from it by rounding only, and both have the binomial mean.
    #[test]
    fn tabled_and_mode_started_inversion_are_the_sequential_search() {
        for (n, p) in [(3_000_000u64, 0.0101), (30_000, 0.05), (500, 0.5)] {
            let window = InversionWindow::new(n, p);
            let mut rng = stream(9, n, Stream::Customers);
            let mut moved = 0;
            let mut sum = 0.0;
            let draws = 20_000;
            for _ in 0..draws {
                let u: f64 = rng.random();
                let sequential = window.search(u * window.total);
                let tabled = InversionTable::with(n, p, |t| t.search(u));
                assert_eq!(tabled, sequential, "n {n} p {p} u {u}");
                let from_mode = window.search_from_mode(u * window.total);
                moved += usize::from(from_mode != sequential);
                sum += from_mode as f64;
            }
            assert_eq!(
                moved, 0,
                "n {n} p {p}: rounding moved {moved} of {draws} counts"
            );
            let mean = sum / draws as f64;
            let se = (n as f64 * p * (1.0 - p) / draws as f64).sqrt();
            assert!(
                (mean - n as f64 * p).abs() < 4.0 * se,
                "n {n} p {p}: {mean}"
            );
        }
    }

    /// A tailed multinomial has the multinomial law whether it hands over to alias draws at
    /// once (few customers), after the heavy categories, or not at all: per category the mean
    /// n·p_i and variance n·p_i(1 − p_i) within 4 standard errors, the covariance of the two
    /// heaviest categories −n·p_0·p_1 likewise, and every draw places all n.
    #[test]
    fn tailed_multinomials_have_the_multinomial_law() {
        // Descending like a cohort's entry strata, with a long light tail and a zero.
        let probs = [
            0.42, 0.25, 0.15, 0.09, 0.05, 0.025, 0.0099, 0.005, 0.0001, 0.0, 0.0,
        ];
        let total: f64 = probs.iter().sum();
        let probs: Vec<f64> = probs.iter().map(|p| p / total).collect();
        let sampler = TailedMultinomial::new(&probs, 4);
        let mut rng = stream(21, 0, Stream::Customers);
        let draws = 100_000usize;
        for n in [3u64, 30, 400, 20_000] {
            let mut out = vec![0u64; probs.len()];
            let mut counts: Vec<Vec<f64>> = vec![Vec::with_capacity(draws); probs.len()];
            for _ in 0..draws {
                sampler.draw(&mut rng, n, &mut out);
                assert_eq!(out.iter().sum::<u64>(), n);
                assert_eq!(
                    out[9] + out[10],
                    0,
                    "zero-probability categories stay empty"
                );
                for (c, &x) in counts.iter_mut().zip(&out) {
                    c.push(x as f64);
                }
            }
            let nf = n as f64;
            for (i, &p) in probs.iter().enumerate() {
                let (m, se) = mean_and_se(&counts[i]);
                let expected = nf * p;
                assert!(
                    (m - expected).abs() <= 4.0 * se + 1e-12,
                    "n {n} category {i}: mean {m} vs {expected} ± {se}"
                );
                let variance = expected * (1.0 - p);
                let v =
                    counts[i].iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (draws as f64 - 1.0);
                // The sample variance's standard error is about √((μ4 − σ⁴)/N); for these
                // counts μ4 ≤ 3σ⁴ + σ², hence the bound below.
                let se_v = ((2.0 * variance * variance + variance) / draws as f64).sqrt();
                assert!(
                    (v - variance).abs() <= 4.0 * se_v + 1e-12,
                    "n {n} category {i}: variance {v} vs {variance} ± {se_v}"
                );
            }
            let (m0, _) = mean_and_se(&counts[0]);
            let (m1, _) = mean_and_se(&counts[1]);
            let products: Vec<f64> = counts[0]
                .iter()
                .zip(&counts[1])
                .map(|(x, y)| (x - m0) * (y - m1))
                .collect();
            let (cov, se_cov) = mean_and_se(&products);
            let expected = -nf * probs[0] * probs[1];
            assert!(
                (cov - expected).abs() <= 4.0 * se_cov,
                "n {n}: covariance {cov} vs {expected} ± {se_cov}"
            );
        }
    }

    /// A window remembered per thread is the window built afresh, so cached and fresh
    /// mode-started searches give the same count for every uniform.
    #[test]
    fn cached_inversion_windows_are_the_fresh_ones() {
        for (n, p) in [(10_000u64, 0.05), (9_500, 0.45 / 0.95), (400, 0.3)] {
            let fresh = InversionWindow::new(n, p);
            for _ in 0..2 {
                let cached = InversionWindow::cached(n, p);
                assert_eq!(
                    (cached.lowest, cached.highest, cached.mode),
                    (fresh.lowest, fresh.highest, fresh.mode)
                );
                assert_eq!(cached.total.to_bits(), fresh.total.to_bits());
                assert_eq!(cached.left.to_bits(), fresh.left.to_bits());
                for u in [1e-9, 0.1, 0.5, 0.77, 1.0 - 1e-12] {
                    assert_eq!(
                        cached.search_from_mode(u * cached.total),
                        fresh.search_from_mode(u * fresh.total)
                    );
                }
            }
        }
    }

    /// Alias draws have the category frequencies (χ² against the weights) and Gamma-ratio Beta
    /// draws the Beta mean and variance.
    #[test]
    fn alias_tables_and_gamma_ratio_betas_have_their_laws() {
        let weights = [5.0, 0.5, 0.0, 2.5, 1e-3, 2.0];
        let table = AliasTable::new(&weights);
        let mut rng = stream(21, 0, Stream::Customers);
        let draws = 200_000;
        let mut counts = [0.0; 6];
        for _ in 0..draws {
            counts[table.sample(&mut rng)] += 1.0;
        }
        assert_eq!(counts[2], 0.0, "a zero weight is never drawn");
        let total: f64 = weights.iter().sum();
        let chi2: f64 = weights
            .iter()
            .zip(&counts)
            .filter(|(w, _)| **w > 0.0)
            .map(|(w, o)| {
                let e = draws as f64 * w / total;
                (o - e) * (o - e) / e
            })
            .sum();
        // Four degrees of freedom: mean 4, sd √8.
        assert!(chi2 < 4.0 + 5.0 * 8f64.sqrt(), "χ² = {chi2}");
        for (a, b) in [(60_000.0, 300.0), (6.0, 2.0), (0.4, 0.7)] {
            let x: Vec<f64> = (0..100_000)
                .map(|_| beta_by_gammas(&mut rng, a, b))
                .collect();
            let (m, se) = mean_and_se(&x);
            assert!(
                (m - a / (a + b)).abs() < 4.0 * se,
                "Beta({a}, {b}): {m} ± {se}"
            );
            let var = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64;
            let expected = a * b / ((a + b) * (a + b) * (a + b + 1.0));
            assert!(
                (var / expected - 1.0).abs() < 0.05,
                "Beta({a}, {b}): var {var}"
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

    #[test]
    fn prepared_laws_draw_what_the_one_shot_samplers_draw() {
        // Same generator state → same value, bit for bit, including the degenerate limits
        // and the small-shape branches of both samplers.
        let cases: [(bool, f64, f64); 8] = [
            (true, 58.8, 0.9),
            (true, 0.4, 0.7),
            (true, 0.0, 2.0),
            (true, 3.0, 0.0),
            (false, 4.0, 0.6),
            (false, 0.3, 2.0),
            (false, 0.0, 1.0),
            (false, 2.0, -1.0),
        ];
        for (is_beta, a, b) in cases {
            let law = if is_beta {
                PreparedLaw::beta(a, b)
            } else {
                PreparedLaw::gamma(a, b)
            };
            let mut once = stream(11, 0, Stream::Customers);
            let mut prepared = once.clone();
            for _ in 0..2_000 {
                let x = if is_beta {
                    beta(&mut once, a, b)
                } else {
                    gamma(&mut once, a, b)
                };
                assert_eq!(x.to_bits(), law.sample(&mut prepared).to_bits(), "{a} {b}");
            }
        }
    }
}
