//! Binned history strata: the cohort engine's existing base at a cost that does not grow with
//! the number of distinct histories (issue 12).
//!
//! A BG/NBD history (x, t_x, T) leaves an alive customer with p ~ Beta(a, b + x) and
//! λ ~ Gamma(r + x, rate α + T), alive with P(alive | x, t_x, T) (Fader, Hardie & Lee 2005a;
//! [`crate::sim::setup::history_posterior`]). The exact path of [`crate::sim::cohort`] draws
//! each history's alive count and gives every (x, T) group its own strata, so a base of
//! 10⁶ customers in 2·10⁵ distinct histories costs about as much as the per-customer engine.
//! Here the histories of one frequency x (and, for Gamma-Gamma spend, one kind of spend
//! record) form one bin:
//!
//! - **Dropout** is exact: p ~ Beta(a, b + x) depends on x alone.
//! - **Purchase rate**: the bin's alive customers have λ = G/β with G ~ Gamma(r + x, 1) and β =
//!   α + T drawn from the bin's histories with weights n_i·P(alive)_i. The discrete law of
//!   u = 1/β is replaced by its K-node Gauss rule (the Stieltjes procedure for a discrete
//!   measure, Gautschi 2004 §2.2.3; nodes and weights by Golub & Welsch 1969), each node a
//!   virtual history (x, T_k) with the ordinary posterior strata; K is the fewest (at most
//!   [`MAX_RATE_NODES`]) for which the bin's expected survivors and purchases at every probe
//!   τ ≤ H are within [`BIN_TOLERANCE`] of the exact per-history sums.
//! - **Spend** (Gamma-Gamma with `monetary_value`): ν ~ Gamma(q + p·x, rate R_i), R_i = γ + x·m_x,
//!   so one order's scale is s = R/G′, G′ ~ Gamma(q + p·x, 1). The histories of one x are cut
//!   into spend classes, contiguous in R (`spend_classes`), each its own bin; a class's R_i,
//!   weighted by each history's expected purchases over the horizon n_i·P(alive)_i·E[X(H) | x,
//!   β_i], get a 4-node Gauss rule, multiplied by the [`ValueStrata`] of G′ and condensed to
//!   the usual three value nodes by a 3-node Gauss rule of that product: the mean and variance
//!   of every customer's revenue stay those of the class's mixture, and the classes keep the
//!   between-customer variance of E[revenue | history] that one mixture per x would redraw.
//! - **Alive counts**: the histories of a bin are split into classes of P(alive) of width
//!   [`ALIVE_CLASS_WIDTH`]; a class of N customers with mean P(alive) π̄ has Binomial(N, π̄)
//!   alive (the mean exact; the variance Σ n_i π_i(1 − π_i) becomes N π̄(1 − π̄), larger by
//!   Σ n_i (π_i − π̄)², which is measured).
//!
//! The bin's alive customers are i.i.d. draws of the bin's mixture rather than a fixed number
//! from each history: every mean is unchanged, and the error of the means is measured against
//! the exact per-history closed forms — E[alive at τ] = Σ n_i P(alive)_i·E_p[(β_i/(β_i + pτ))^(r+x)]
//! and E[X(τ)] = Σ n_i P(alive)_i·E_p[(1 − (β_i/(β_i + pτ))^(r+x))/p] (Fader, Hardie & Lee 2005a:
//! the future of an alive customer is a BG/NBD process at the posterior parameters, eq. 7),
//! with the revenue weighted by each history's conditional mean order value p(γ + x·m_x)/(px +
//! q − 1) (Fader, Hardie & Lee 2005b) — and listed in `approximations`. So is the error of the
//! spread: the variance of the base's revenue over the horizon as binned (alive counts by
//! class, each alive customer an independent draw of the bin's rules) against the exact
//! Σ_i n_i(π_i·E\[V_i²\] − π_i²·E\[V_i\]²) per history, from the closed forms of E[X(H)] and
//! E[X(H)²] (`horizon_moments`) and of the order values' moments; `auto` compares it with
//! the Monte Carlo error of the study's sd ([`crate::sim::choose_engine`]). Bins of at most
//! [`crate::sim::cohort::POINT_GROUP_LIMIT`] customers keep the exact per-history draws.

use std::rc::Rc;

use nalgebra::{DMatrix, SymmetricEigen};

use crate::model::quadrature::QuadratureRule;
use crate::scenario::{HistoryGroup, OrderValue, Scenario};
use crate::sim::approx::ValueStrata;

/// Histories of one cohort above which the cohort engine bins them (the exact path's cost
/// grows with the histories; below this it is cheap and exact).
pub const BIN_THRESHOLD: usize = 4096;

/// Most nodes of a bin's purchase-rate mixture rule.
pub const MAX_RATE_NODES: usize = 6;

/// The relative error of a bin's expected survivors and purchases that its rate rule aims for.
pub const BIN_TOLERANCE: f64 = 1e-9;

/// Whether histories with Gamma-Gamma spend records are binned, in spend classes
/// (`spend_classes`) each with its own value strata (`value_rule`).
pub const SPEND_RECORDS_BINNED: bool = true;

/// The relative error of the variance of the binned histories' revenue that the spend classes
/// aim for: the sd of CE then moves by at most half of it, a tenth of the Monte Carlo error of
/// an sd estimated from 5,000 runs (1/√(2·runs)).
pub const SPREAD_TOLERANCE: f64 = 2e-3;

/// Most spend classes of one frequency.
pub const MAX_SPEND_CLASSES: usize = 64;

/// Fewest customers of a binned spend class: a smaller class is simulated per history (its
/// alive customers cost about what a class's strata would), like a small (x, T) group
/// ([`crate::sim::cohort::POINT_GROUP_LIMIT`]).
pub const MIN_CLASS_CUSTOMERS: u64 = crate::sim::cohort::POINT_GROUP_LIMIT;

/// Width of the P(alive) classes whose alive counts are drawn together.
pub const ALIVE_CLASS_WIDTH: f64 = 0.05;

/// Nodes of the reference rule for p ~ Beta(a, b + x) in the exact per-history closed forms.
const REFERENCE_NODES: usize = 64;

/// One bin: the histories of one frequency x (and one kind of spend record).
#[derive(Debug, Clone, PartialEq)]
pub struct Bin {
    pub frequency: u32,
    /// Customers and mean P(alive) of each P(alive) class.
    pub classes: Vec<(u64, f64)>,
    /// Virtual ages T_k of the rate rule's nodes and their weights (summing to one).
    pub nodes: Vec<(f64, f64)>,
    /// The bin's value strata when its histories carry Gamma-Gamma spend records.
    pub values: Option<ValueStrata>,
    /// Customers of the bin, alive or not.
    pub customers: u64,
    /// Σ n_i·P(alive)_i.
    pub expected_alive: f64,
}

/// What binning costs in accuracy, each against the exact per-history closed forms, the
/// worst over the probe times τ ≤ H.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BinError {
    /// Relative error of the expected survivors of the binned histories at τ.
    pub survivors: f64,
    /// Relative error of their expected purchases E[X(τ)].
    pub purchases: f64,
    /// Relative error of their expected revenue (orders × conditional mean order value).
    pub revenue: f64,
    /// Relative excess of the variance of the alive count at the start.
    pub alive_variance: f64,
    /// Relative error of the variance of the histories' revenue over the horizon (binned
    /// against exact per history: each history's own E\[V\] and E\[V²\], `horizon_moments`),
    /// the spread that the bins' i.i.d. draws of their mixtures change.
    pub spread: f64,
}

/// A history cohort's bins and the histories kept exact.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryBins {
    pub bins: Vec<Bin>,
    /// Indices into the cohort's history of the histories drawn exactly (small bins).
    pub exact: Vec<usize>,
    /// Histories in all.
    pub histories: usize,
    pub error: BinError,
}

impl HistoryBins {
    /// Strata-carrying nodes in all (each a virtual history with its own posterior strata).
    pub fn nodes(&self) -> usize {
        self.bins.iter().map(|b| b.nodes.len()).sum()
    }

    /// Bins of histories with spend records (one per spend class).
    pub fn spend_classes(&self) -> usize {
        self.bins.iter().filter(|b| b.values.is_some()).count()
    }
}

/// How the cohort engine simulates a history of more than [`BIN_THRESHOLD`] rows: in bins, or
/// per history (exact, at a cost that grows with the histories). `auto` takes the exact path
/// when the bins' measured errors are too large for the study ([`crate::sim::choose_engine`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistoryPath {
    #[default]
    Binned,
    Exact,
}

/// The bins of cohort `c`'s history on `path` (none on the exact path).
pub fn history_bins_on(
    scenario: &Scenario,
    c: usize,
    path: HistoryPath,
) -> Option<Rc<HistoryBins>> {
    match path {
        HistoryPath::Binned => history_bins(scenario, c),
        HistoryPath::Exact => None,
    }
}

/// The bins of cohort `c`'s history, or `None` when the cohort has no BG/NBD history or at
/// most [`BIN_THRESHOLD`] histories (the exact path). Remembered per thread by everything they
/// depend on: a study's runs share them unless `[uncertainty]` redraws the cohort.
pub fn history_bins(scenario: &Scenario, c: usize) -> Option<Rc<HistoryBins>> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static BINS: RefCell<HashMap<Vec<u64>, Rc<HistoryBins>>> = RefCell::new(HashMap::new());
    }
    let cohort = &scenario.cohorts[c];
    let history = cohort.existing.history()?;
    let params = crate::sim::setup::bgnbd_parameters(cohort)?;
    if history.len() <= BIN_THRESHOLD {
        return None;
    }
    let mut key: Vec<u64> = params.iter().map(|p| p.to_bits()).collect();
    key.push(u64::from(scenario.time.periods));
    key.push(history.as_ptr() as u64);
    key.push(fingerprint(history));
    if let OrderValue::GammaGamma { p, q, gamma } = cohort.order_value {
        key.extend([p.to_bits(), q.to_bits(), gamma.to_bits()]);
    }
    if let Some(found) = BINS.with(|b| b.borrow().get(&key).cloned()) {
        return Some(found);
    }
    let bins = Rc::new(build(
        params,
        &cohort.order_value,
        history,
        scenario.time.periods,
    ));
    BINS.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() > 64 {
            b.clear();
        }
        b.insert(key, Rc::clone(&bins));
    });
    Some(bins)
}

/// A cheap content fingerprint of a history, so a remembered set of bins is never taken for
/// another history that happens to sit at the same address.
fn fingerprint(history: &[HistoryGroup]) -> u64 {
    history.iter().fold(history.len() as u64, |h, g| {
        let row = u64::from(g.frequency)
            ^ g.recency.to_bits().rotate_left(7)
            ^ g.age.to_bits().rotate_left(23)
            ^ g.count.rotate_left(41)
            ^ g.monetary_value.map_or(0, |m| m.to_bits().rotate_left(53));
        (h ^ row).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    })
}

/// The probe times: 1, 2, 3, 5, 8, … (Fibonacci) below H, and H.
fn probes(periods: u32) -> Vec<f64> {
    let mut out = Vec::new();
    let (mut a, mut b) = (1u32, 2u32);
    while a < periods {
        out.push(f64::from(a));
        (a, b) = (b, a.saturating_add(b));
    }
    out.push(f64::from(periods.max(1)));
    out
}

/// One history's contribution, for the rules, the exact sums and the spread.
struct Member {
    /// Index of the history row.
    index: usize,
    /// Customers of the row.
    count: u64,
    /// P(alive | x, t_x, T).
    p_alive: f64,
    /// β = α + T.
    rate: f64,
    /// n·P(alive).
    alive: f64,
    /// Conditional mean order value relative to the bin's law (1 without spend records).
    value: f64,
    /// R = γ + x·m_x, for spend records.
    value_rate: f64,
    /// E[X(H)] and E[X(H)²] of an alive customer of the row (`horizon_moments`).
    orders: (f64, f64),
    /// One order's value of a customer of the row: (E[z], E[Var(z | scale)], E[E(z | scale)²])
    /// ([`OrderMoments`]).
    order: OrderMoments,
}

impl Member {
    /// E[V] of an alive customer of the row, V its revenue over the horizon.
    fn mean_value(&self) -> f64 {
        self.orders.0 * self.order.mean
    }

    /// Var of the row's revenue over the horizon, alive or not: Σ over its n customers of
    /// π·E[V²] − π²·E[V]².
    fn variance(&self) -> f64 {
        let second = self.order.second(self.orders);
        self.count as f64 * (self.p_alive * second - (self.p_alive * self.mean_value()).powi(2))
    }
}

/// The first two moments that a customer's revenue over the horizon needs of one order's value
/// z when the customer has a lasting scale (the order values are independent given it): with
/// X orders, E[V] = E[X]·E[z] and E[V²] = E[X]·E[Var(z | scale)] + E[X²]·E[E(z | scale)²] (the
/// law of total variance for a sum of X independent orders, X independent of the scale).
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderMoments {
    mean: f64,
    within: f64,
    squared_mean: f64,
}

impl OrderMoments {
    fn second(&self, (x1, x2): (f64, f64)) -> f64 {
        x1 * self.within + x2 * self.squared_mean
    }

    /// The cohort's own order-value law (SPEC §2), for customers without a spend record.
    fn of(order_value: &OrderValue) -> Self {
        match *order_value {
            OrderValue::Constant { mean } => OrderMoments {
                mean,
                within: 0.0,
                squared_mean: mean * mean,
            },
            OrderValue::Gamma { mean, cv } => OrderMoments {
                mean,
                within: (cv * mean).powi(2),
                squared_mean: mean * mean,
            },
            // The customer's mean v ~ Gamma(mean, customer_cv): E[v²] = mean²(1 + u²); each
            // order has cv c given v.
            OrderValue::HeterogeneousGamma {
                mean,
                cv,
                customer_cv,
            } => {
                let squared = mean * mean * (1.0 + customer_cv * customer_cv);
                OrderMoments {
                    mean,
                    within: cv * cv * squared,
                    squared_mean: squared,
                }
            }
            OrderValue::GammaGamma { p, q, gamma } => Self::gamma_gamma(p, q, gamma),
        }
    }

    /// Gamma-Gamma with ν ~ Gamma(`shape`, rate `rate`) and orders ~ Gamma(p, rate ν) (Fader,
    /// Hardie & Lee 2005b): E[z] = p·E[1/ν] = p·rate/(shape − 1), Var(z | ν) = p/ν², E(z | ν)² =
    /// p²/ν², E[1/ν²] = rate²/((shape − 1)(shape − 2)) (infinite for shape ≤ 2).
    fn gamma_gamma(p: f64, shape: f64, rate: f64) -> Self {
        let inverse_square = if shape > 2.0 {
            rate * rate / ((shape - 1.0) * (shape - 2.0))
        } else {
            f64::INFINITY
        };
        OrderMoments {
            mean: p * rate / (shape - 1.0),
            within: p * inverse_square,
            squared_mean: p * p * inverse_square,
        }
    }

    /// A bin's value strata: order ~ Gamma(k, scale s_l) at node l with weight w_l.
    fn of_strata(v: &ValueStrata) -> Self {
        let k = v.order_shape;
        let (mut mean, mut square) = (0.0, 0.0);
        for (&s, &w) in v.scales.iter().zip(&v.weights) {
            mean += w * k * s;
            square += w * s * s;
        }
        OrderMoments {
            mean,
            within: k * square,
            squared_mean: k * k * square,
        }
    }
}

/// What one bin adds to the cohort's error sums.
struct BinSums {
    /// Per probe: exact survivors, purchases and revenue of the bin's histories.
    exact: Vec<[f64; 3]>,
    /// Per probe: the bin's survivors and purchases.
    binned: Vec<[f64; 2]>,
    /// Var of the bin's revenue over the horizon: exact per history, and as binned.
    variance_exact: f64,
    variance_binned: f64,
    /// Σ n_i π_i(1 − π_i) and the alive classes' excess Σ n_i (π_i − π̄)².
    alive_variance: f64,
    alive_excess: f64,
}

/// The cohort's error sums over its bins.
struct ErrorSums {
    exact: [Vec<f64>; 3],
    diff: [Vec<f64>; 3],
    alive_variance: f64,
    alive_excess: f64,
    /// Σ (binned − exact) variance of the bins' revenue.
    variance_diff: f64,
    /// The exact variance of the revenue of every history of the cohort, binned or not.
    variance_exact: f64,
}

impl ErrorSums {
    fn new(probes: usize) -> Self {
        ErrorSums {
            exact: [(); 3].map(|_| vec![0.0; probes]),
            diff: [(); 3].map(|_| vec![0.0; probes]),
            alive_variance: 0.0,
            alive_excess: 0.0,
            variance_diff: 0.0,
            variance_exact: 0.0,
        }
    }

    fn add(&mut self, sums: &BinSums) {
        for (t, (ex, bn)) in sums.exact.iter().zip(&sums.binned).enumerate() {
            for (sum, e) in self.exact.iter_mut().zip(ex) {
                sum[t] += e;
            }
            self.diff[0][t] += bn[0] - ex[0];
            self.diff[1][t] += bn[1] - ex[1];
            // The binned revenue: purchases at the rule's mean order value (relative 1).
            self.diff[2][t] += bn[1] - ex[2];
        }
        self.alive_variance += sums.alive_variance;
        self.alive_excess += sums.alive_excess;
        self.variance_diff += sums.variance_binned - sums.variance_exact;
        self.variance_exact += sums.variance_exact;
    }

    fn error(&self) -> BinError {
        let relative = |k: usize| {
            (0..self.exact[k].len())
                .map(|t| self.diff[k][t].abs() / self.exact[k][t].max(f64::MIN_POSITIVE))
                .fold(0.0, f64::max)
        };
        let spread = self.variance_diff.abs() / self.variance_exact.max(f64::MIN_POSITIVE);
        BinError {
            survivors: relative(0),
            purchases: relative(1),
            revenue: relative(2),
            alive_variance: self.alive_excess / self.alive_variance.max(f64::MIN_POSITIVE),
            // An infinite exact variance (Gamma-Gamma q ≤ 2) leaves no relative error.
            spread: if spread.is_finite() { spread } else { 0.0 },
        }
    }
}

/// What a bin is built from: the cohort's BG/NBD parameters, its spend law, the probes and
/// the reference rule of p for the bin's frequency.
struct BinContext<'a> {
    frequency: u32,
    alpha: f64,
    /// r + x.
    shape: f64,
    /// Gamma-Gamma (p, q, γ) when the bin's histories carry spend records.
    spend: Option<(f64, f64, f64)>,
    /// The cohort's order moments, for bins without spend records.
    common: OrderMoments,
    reference: &'a QuadratureRule,
    taus: &'a [f64],
    horizon: f64,
}

fn build(
    [r, alpha, a, b]: [f64; 4],
    order_value: &OrderValue,
    history: &[HistoryGroup],
    periods: u32,
) -> HistoryBins {
    let spend = match *order_value {
        OrderValue::GammaGamma { p, q, gamma } => Some((p, q, gamma)),
        _ => None,
    };
    let common = OrderMoments::of(order_value);
    // Bins by (x, whether a Gamma-Gamma spend record conditions ν), in history order.
    let mut keyed: Vec<((u32, bool), usize)> = history
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let record = spend.is_some() && g.frequency > 0 && g.monetary_value.is_some();
            ((g.frequency, record), i)
        })
        .collect();
    keyed.sort_by_key(|&(k, i)| (k, i));
    let taus = probes(periods);
    let horizon = f64::from(periods.max(1));
    let mut bins = Vec::new();
    let mut exact = Vec::new();
    let mut sums = ErrorSums::new(taus.len());
    let mut start = 0;
    while start < keyed.len() {
        let key = keyed[start].0;
        let end = start + keyed[start..].iter().take_while(|k| k.0 == key).count();
        let rows: Vec<usize> = keyed[start..end].iter().map(|k| k.1).collect();
        start = end;
        let (x, record) = key;
        let xf = f64::from(x);
        let reference = QuadratureRule::beta_cached(a, b + xf, REFERENCE_NODES);
        let shape = r + xf;
        let mut moments: std::collections::HashMap<u64, (f64, f64)> = Default::default();
        let mut members: Vec<Member> = rows
            .iter()
            .map(|&i| {
                let g = &history[i];
                let p_alive =
                    crate::fit::scores::p_alive([r, alpha, a, b], g.frequency, g.recency, g.age);
                let rate = alpha + g.age;
                let orders = *moments
                    .entry(rate.to_bits())
                    .or_insert_with(|| horizon_moments(&reference, shape, rate, horizon));
                let (value_rate, order) = match (spend, record) {
                    (Some((p, q, gamma)), true) => {
                        let value_rate = gamma + xf * g.monetary_value.unwrap_or(0.0);
                        (
                            value_rate,
                            OrderMoments::gamma_gamma(p, q + p * xf, value_rate),
                        )
                    }
                    _ => (1.0, common),
                };
                Member {
                    index: i,
                    count: g.count,
                    p_alive,
                    rate,
                    alive: g.count as f64 * p_alive,
                    value: 1.0,
                    value_rate,
                    orders,
                    order,
                }
            })
            .collect();
        let customers: u64 = members.iter().map(|m| m.count).sum();
        if customers <= crate::sim::cohort::POINT_GROUP_LIMIT || (record && !SPEND_RECORDS_BINNED) {
            sums.variance_exact += members.iter().map(Member::variance).sum::<f64>();
            exact.extend(rows);
            continue;
        }
        let context = BinContext {
            frequency: x,
            alpha,
            shape,
            spend: spend.filter(|_| record),
            common,
            reference: &reference,
            taus: &taus,
            horizon,
        };
        // Spend records: classes over R (see [`spend_classes`]); without, one bin.
        let classes = if record {
            members.sort_by(|m, n| m.value_rate.total_cmp(&n.value_rate));
            spend_classes(&members)
        } else {
            vec![(0..members.len(), true)]
        };
        for (class, binned) in classes {
            let members = &mut members[class];
            let bin = if binned {
                bin_of(&context, members)
            } else {
                None
            };
            match bin {
                Some((bin, bin_sums)) => {
                    sums.add(&bin_sums);
                    bins.push(bin);
                }
                None => {
                    sums.variance_exact += members.iter().map(Member::variance).sum::<f64>();
                    exact.extend(members.iter().map(|m| m.index));
                }
            }
        }
    }
    exact.sort_unstable();
    HistoryBins {
        error: sums.error(),
        bins,
        exact,
        histories: history.len(),
    }
}

/// The spend classes of one frequency's histories with spend records, `members` sorted by R:
/// contiguous runs of R, split (the worst first, each at the point that leaves the least)
/// until the variance of E[V | history] within the classes, Σ_i n_iπ_i (E[V_i] − Ē[V]_class)²,
/// is at most half of [`SPREAD_TOLERANCE`] of the histories' exact revenue variance, or the
/// classes reach [`MAX_SPEND_CLASSES`]. That within-class variance is what drawing a class's
/// alive customers i.i.d. from its mixture adds to the spread of CE (one bin for all of them
/// widened the sd of CE by about a third on the 10⁶-customer bench); the build measures what
/// is left ([`BinError::spread`]). A class of fewer than [`MIN_CLASS_CUSTOMERS`] customers is
/// simulated per history, exactly (returned with `false`); such a class is only cut off at
/// either end of R (the few biggest spenders, most often), so the middle stays binned.
fn spend_classes(members: &[Member]) -> Vec<(std::ops::Range<usize>, bool)> {
    // Prefix sums of customers, w = n·π, w·v and w·v².
    let mut prefix = vec![[0.0f64; 4]; members.len() + 1];
    for (j, m) in members.iter().enumerate() {
        let v = m.mean_value();
        let p = prefix[j];
        prefix[j + 1] = [
            p[0] + m.count as f64,
            p[1] + m.alive,
            p[2] + m.alive * v,
            p[3] + m.alive * v * v,
        ];
    }
    let binned = |range: &std::ops::Range<usize>| {
        prefix[range.end][0] - prefix[range.start][0] >= MIN_CLASS_CUSTOMERS as f64
    };
    // The within-class variance a class adds: none when it is simulated per history.
    let cost = |range: &std::ops::Range<usize>| -> f64 {
        let (lo, hi) = (prefix[range.start], prefix[range.end]);
        let (w, wv, wv2) = (hi[1] - lo[1], hi[2] - lo[2], hi[3] - lo[3]);
        if !binned(range) || w <= 0.0 {
            0.0
        } else {
            (wv2 - wv * wv / w).max(0.0)
        }
    };
    let variance: f64 = members.iter().map(Member::variance).sum();
    let target = 0.5 * SPREAD_TOLERANCE * variance;
    let mut classes = vec![(0..members.len(), true)];
    while classes.len() < MAX_SPEND_CLASSES {
        let total: f64 = classes.iter().map(|(c, _)| cost(c)).sum();
        if total <= target {
            break;
        }
        // The splittable class that adds the most.
        let Some(worst) = classes
            .iter()
            .enumerate()
            .filter(|(_, (c, splittable))| *splittable && cost(c) > 0.0)
            .max_by(|(_, (c, _)), (_, (d, _))| cost(c).total_cmp(&cost(d)))
            .map(|(k, _)| k)
        else {
            break;
        };
        let range = classes[worst].0.clone();
        // Both sides binned, or the piece cut off at either end of R kept per history.
        let allowed = |j: usize| {
            let (left, right) = (range.start..j, j..range.end);
            (binned(&left) || left.start == 0) && (binned(&right) || right.end == members.len())
        };
        let best = (range.start + 1..range.end)
            .filter(|&j| allowed(j))
            .map(|j| (j, cost(&(range.start..j)) + cost(&(j..range.end))))
            .min_by(|p, q| p.1.total_cmp(&q.1));
        match best {
            Some((j, left)) if left < cost(&range) => {
                classes[worst] = (range.start..j, true);
                classes.push((j..range.end, true));
            }
            _ => classes[worst].1 = false,
        }
    }
    let mut out: Vec<_> = classes
        .into_iter()
        .map(|(c, _)| {
            let b = binned(&c);
            (c, b)
        })
        .collect();
    out.sort_by_key(|c| c.0.start);
    out
}

/// One bin of `members` (histories of one frequency, and one spend class): its alive classes,
/// rate rule and value strata, with what it adds to the error sums; `None` when nobody of it
/// can be alive.
fn bin_of(context: &BinContext<'_>, members: &mut [Member]) -> Option<(Bin, BinSums)> {
    let customers: u64 = members.iter().map(|m| m.count).sum();
    let class_count = (1.0 / ALIVE_CLASS_WIDTH).ceil() as usize;
    let mut classes = vec![(0u64, 0.0f64); class_count];
    let class_of = |pi: f64| ((pi / ALIVE_CLASS_WIDTH) as usize).min(class_count - 1);
    for m in members.iter() {
        let class = class_of(m.p_alive);
        classes[class].0 += m.count;
        classes[class].1 += m.count as f64 * m.p_alive;
    }
    for c in classes.iter_mut().filter(|c| c.0 > 0) {
        c.1 /= c.0 as f64;
    }
    let (mut alive_variance, mut alive_excess) = (0.0, 0.0);
    for m in members.iter() {
        let mean = classes[class_of(m.p_alive)].1;
        alive_variance += m.alive * (1.0 - m.p_alive);
        alive_excess += m.count as f64 * (m.p_alive - mean).powi(2);
    }
    let expected_alive: f64 = members.iter().map(|m| m.alive).sum();
    if expected_alive <= 0.0 {
        return None;
    }
    let (reference, shape, taus) = (context.reference, context.shape, context.taus);
    // Spend: the value rule, its R_i weighted by each history's expected purchases over the
    // horizon (so the revenue is exact at H when R is independent of the rest), and each
    // history's conditional mean order value relative to the rule's (R_i against the rule's
    // mean R).
    let values = context.spend.map(|(p, q, _)| {
        let points: Vec<(f64, f64)> = members
            .iter()
            .map(|m| (m.value_rate, m.alive * m.orders.0))
            .collect();
        let rule = value_rule(&points, p, q + p * f64::from(context.frequency));
        let total: f64 = points.iter().map(|p| p.1).sum();
        let mean_rate = points.iter().map(|p| p.0 * p.1).sum::<f64>() / total;
        for m in members.iter_mut() {
            m.value = m.value_rate / mean_rate;
        }
        rule
    });
    // The exact per-history sums, by distinct β.
    let mut by_rate: Vec<&Member> = members.iter().collect();
    by_rate.sort_by(|m, n| m.rate.total_cmp(&n.rate));
    let mut distinct: Vec<(f64, f64, f64)> = Vec::new(); // (β, Σ alive, Σ alive·value)
    for m in &by_rate {
        match distinct.last_mut() {
            Some(last) if last.0 == m.rate => {
                last.1 += m.alive;
                last.2 += m.alive * m.value;
            }
            _ => distinct.push((m.rate, m.alive, m.alive * m.value)),
        }
    }
    let curves = |beta: f64| -> Vec<(f64, f64)> {
        taus.iter()
            .map(|&tau| survivors_and_purchases(reference, shape, beta, tau))
            .collect()
    };
    let mut exact = vec![[0.0f64; 3]; taus.len()];
    for &(beta, alive, valued) in &distinct {
        for (t, (s, x)) in curves(beta).into_iter().enumerate() {
            exact[t][0] += alive * s;
            exact[t][1] += alive * x;
            exact[t][2] += valued * x;
        }
    }
    // The rate rule: fewest nodes within tolerance on survivors and purchases.
    let points: Vec<(f64, f64)> = distinct.iter().map(|d| (1.0 / d.0, d.1)).collect();
    let most = MAX_RATE_NODES.min(points.len());
    let mut chosen = None;
    for k in 1..=most {
        let rule = discrete_gauss(&points, k);
        let mut binned = vec![[0.0f64; 2]; taus.len()];
        for &(u, w) in &rule {
            for (t, (s, x)) in curves(1.0 / u).into_iter().enumerate() {
                binned[t][0] += expected_alive * w * s;
                binned[t][1] += expected_alive * w * x;
            }
        }
        let ok = binned.iter().zip(&exact).all(|(bn, ex)| {
            (bn[0] - ex[0]).abs() <= BIN_TOLERANCE * ex[0]
                && (bn[1] - ex[1]).abs() <= BIN_TOLERANCE * ex[1]
        });
        if ok || k == most {
            chosen = Some((rule, binned));
            break;
        }
    }
    let (rule, binned) = chosen?;
    let nodes: Vec<(f64, f64)> = rule
        .iter()
        .map(|&(u, w)| ((1.0 / u - context.alpha).max(0.0), w))
        .collect();
    // The spread: the bin's alive count is Σ_c Binomial(N_c, π̄_c), each alive customer an
    // independent draw of (rate node, value node), so Var = Σ_c N_cπ̄_c(1 − π̄_c)·E[V]² +
    // E[alive]·Var(V) over the rules, against Σ_i of each history's own ([`Member::variance`]).
    let order = values
        .as_ref()
        .map_or(context.common, OrderMoments::of_strata);
    let (mut mean, mut second) = (0.0, 0.0);
    for &(age, w) in &nodes {
        let orders = horizon_moments(reference, shape, context.alpha + age, context.horizon);
        mean += w * orders.0 * order.mean;
        second += w * order.second(orders);
    }
    let count_variance: f64 = classes
        .iter()
        .map(|&(n, pi)| n as f64 * pi * (1.0 - pi))
        .sum();
    let variance_binned = count_variance * mean * mean + expected_alive * (second - mean * mean);
    let variance_exact = members.iter().map(Member::variance).sum();
    Some((
        Bin {
            frequency: context.frequency,
            classes: classes.into_iter().filter(|c| c.0 > 0).collect(),
            nodes,
            values,
            customers,
            expected_alive,
        },
        BinSums {
            exact,
            binned,
            variance_exact,
            variance_binned,
            alive_variance,
            alive_excess,
        },
    ))
}

/// E[X(τ)] and E[X(τ)²] of an alive customer with p ~ `reference` and λ ~ Gamma(`shape`, rate
/// β) (the BG/NBD process of Fader, Hardie & Lee 2005a at the posterior parameters). Given
/// (λ, p), X = min(N, J) with N ~ Poisson(μ = λτ) the purchases and J ~ Geometric(p) on
/// {1, 2, …} the purchase after which the customer drops out, so P(X ≥ k) = P(N ≥ k)·q^(k−1)
/// (q = 1 − p), E[X] = Σ_k P(X ≥ k) = (1 − e^(−μp))/p and Σ_k k·P(X ≥ k) =
/// E[1 − (N + 1)q^N + N·q^(N+1)]/p² = (1 − e^(−μp)(1 + μpq))/p² (Σ_{k≤n} k·q^(k−1) in closed
/// form; E[q^N] = e^(−μp), E[N·q^N] = μq·e^(−μp)); E[X²] = 2·Σ_k k·P(X ≥ k) − E[X]. Over λ:
/// E[e^(−λy)] = (β/(β + y))^s and E[λ·e^(−λy)] = s/(β + y)·(β/(β + y))^s. For pτ/β below
/// 1e-5 E[X²] is the NBD's (p → 0, relative error of order pτ/β), which the difference would
/// lose to rounding.
fn horizon_moments(reference: &QuadratureRule, shape: f64, beta: f64, tau: f64) -> (f64, f64) {
    let (mut first, mut second) = (0.0, 0.0);
    for (&p, &w) in reference.nodes.iter().zip(&reference.weights) {
        let y = p * tau;
        let log_stay = -shape * (y / beta).ln_1p();
        let stay = log_stay.exp();
        let gone = -log_stay.exp_m1();
        let x1 = gone / p;
        if y / beta < 1e-5 {
            let m = tau / beta;
            first += w * x1;
            second += w * (shape * m + shape * (shape + 1.0) * m * m);
            continue;
        }
        let weighted = y * (1.0 - p) * shape / (beta + y) * stay;
        first += w * x1;
        second += w * (2.0 * (gone - weighted) / (p * p) - x1);
    }
    (first, second)
}

/// E_p[(β/(β + pτ))^s] and E_p[(1 − (β/(β + pτ))^s)/p] over the reference rule of p: an
/// alive customer's survival to τ and expected purchases in (0, τ] when λ ~ Gamma(s, rate β)
/// (Fader, Hardie & Lee 2005a: survival e^(−λpτ) and purchases (1 − e^(−λpτ))/p given (λ, p),
/// and E_λ e^(−λy) = (β/(β + y))^s).
fn survivors_and_purchases(
    reference: &QuadratureRule,
    shape: f64,
    beta: f64,
    tau: f64,
) -> (f64, f64) {
    let mut survival = 0.0;
    let mut purchases = 0.0;
    for (&p, &w) in reference.nodes.iter().zip(&reference.weights) {
        let log_stay = -shape * (p * tau / beta).ln_1p();
        survival += w * log_stay.exp();
        purchases += w * -log_stay.exp_m1() / p.max(1e-300);
    }
    (survival, purchases)
}

/// The K-node Gauss rule (node, weight; weights summing to one) of the discrete measure
/// Σ_j w_j δ(x_j), by the Stieltjes procedure (Gautschi 2004, §2.2.3.1: the recurrence
/// coefficients of the measure's monic orthogonal polynomials, computed on its points) and
/// the eigen-decomposition of their Jacobi matrix (Golub & Welsch 1969). Points are mapped
/// to [0, 1] first, which keeps the recurrence well scaled.
pub fn discrete_gauss(points: &[(f64, f64)], k: usize) -> Vec<(f64, f64)> {
    let total: f64 = points.iter().map(|p| p.1).sum();
    let low = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let high = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    if points.is_empty() || total <= 0.0 {
        return Vec::new();
    }
    let span = high - low;
    if span <= 0.0 || k <= 1 {
        let mean = points.iter().map(|p| p.0 * p.1).sum::<f64>() / total;
        return vec![(mean, 1.0)];
    }
    let x: Vec<f64> = points.iter().map(|p| (p.0 - low) / span).collect();
    let w: Vec<f64> = points.iter().map(|p| p.1 / total).collect();
    let k = k.min(points.len());
    let (mut diagonal, mut off) = (Vec::with_capacity(k), Vec::with_capacity(k));
    let mut previous = vec![0.0; x.len()];
    let mut current = vec![1.0; x.len()];
    let mut norm_previous = 1.0;
    for n in 0..k {
        let norm: f64 = current.iter().zip(&w).map(|(p, w)| w * p * p).sum();
        if norm <= 0.0 {
            break;
        }
        let a: f64 = current
            .iter()
            .zip(&w)
            .zip(&x)
            .map(|((p, w), x)| w * x * p * p)
            .sum::<f64>()
            / norm;
        let b = if n == 0 { 0.0 } else { norm / norm_previous };
        if n > 0 {
            off.push(b.max(0.0).sqrt());
        }
        diagonal.push(a);
        let next: Vec<f64> = (0..x.len())
            .map(|j| (x[j] - a) * current[j] - b * previous[j])
            .collect();
        previous = std::mem::replace(&mut current, next);
        norm_previous = norm;
    }
    let m = diagonal.len();
    let mut jacobi = DMatrix::<f64>::zeros(m, m);
    for i in 0..m {
        jacobi[(i, i)] = diagonal[i];
        if i + 1 < m {
            jacobi[(i, i + 1)] = off[i];
            jacobi[(i + 1, i)] = off[i];
        }
    }
    let eigen = SymmetricEigen::new(jacobi);
    let mut rule: Vec<(f64, f64)> = (0..m)
        .map(|j| {
            let v = eigen.eigenvectors[(0, j)];
            (low + span * eigen.eigenvalues[j].clamp(0.0, 1.0), v * v)
        })
        .collect();
    let sum: f64 = rule.iter().map(|r| r.1).sum();
    rule.iter_mut().for_each(|r| r.1 /= sum);
    rule.sort_by(|p, q| p.0.total_cmp(&q.0));
    rule
}

/// The three value strata of a bin with Gamma-Gamma spend records: one order's scale is
/// s = R/G′, G′ ~ Gamma(`shape`, 1), R from `rates` (R_i, weight). A 4-node Gauss rule of R
/// times the value strata of G′ ([`ValueStrata::gamma_gamma`] at rate 1) is condensed to the
/// 3-node Gauss rule of the product, which keeps E[s] and E[s²] of the mixture.
fn value_rule(rates: &[(f64, f64)], p: f64, shape: f64) -> ValueStrata {
    let unit = ValueStrata::gamma_gamma(p, shape, 1.0);
    let rate_rule = discrete_gauss(rates, 4);
    let product: Vec<(f64, f64)> = rate_rule
        .iter()
        .flat_map(|&(rate, w)| {
            unit.scales
                .iter()
                .zip(&unit.weights)
                .map(move |(&s, &v)| (rate * s, w * v))
        })
        .collect();
    let condensed = discrete_gauss(&product, crate::sim::approx::VALUE_STRATA);
    ValueStrata {
        order_shape: p,
        scales: condensed.iter().map(|c| c.0).collect(),
        weights: condensed.iter().map(|c| c.1).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discrete_gauss_rule_integrates_polynomials_to_degree_2k_minus_1() {
        // An uneven measure on 40 points.
        let points: Vec<(f64, f64)> = (0..40)
            .map(|j| {
                let x = 0.013 + 0.0007 * f64::from(j) + 0.0001 * f64::from(j * j % 7);
                (x, 1.0 + f64::from(j % 5))
            })
            .collect();
        let total: f64 = points.iter().map(|p| p.1).sum();
        for k in 1..=5 {
            let rule = discrete_gauss(&points, k);
            assert_eq!(rule.len(), k);
            for degree in 0..2 * k as i32 {
                let exact: f64 = points.iter().map(|p| p.1 * p.0.powi(degree)).sum::<f64>() / total;
                let ruled: f64 = rule.iter().map(|r| r.1 * r.0.powi(degree)).sum();
                assert!(
                    (ruled - exact).abs() <= 1e-10 * exact.abs(),
                    "k {k} degree {degree}: {ruled} vs {exact}"
                );
            }
            // Nodes inside the points' hull, weights positive.
            assert!(
                rule.iter()
                    .all(|r| r.0 >= 0.013 && r.0 <= 0.05 && r.1 > 0.0)
            );
        }
    }

    #[test]
    fn the_value_rule_keeps_the_mixtures_first_two_moments() {
        let (p, shape) = (6.25, 3.74 + 6.25 * 3.0);
        let rates: Vec<(f64, f64)> = (0..30)
            .map(|j| (15.44 + 3.0 * f64::from(j), 1.0 + f64::from(j % 4)))
            .collect();
        let total: f64 = rates.iter().map(|r| r.1).sum();
        let rule = value_rule(&rates, p, shape);
        assert_eq!(rule.scales.len(), crate::sim::approx::VALUE_STRATA);
        // E[s^m] = E[R^m]·Γ(shape − m)/Γ(shape) for s = R/G′.
        for m in 1..=2 {
            let rate_moment: f64 = rates.iter().map(|r| r.1 * r.0.powi(m)).sum::<f64>() / total;
            let inverse = (0..m).fold(1.0, |acc, j| acc / (shape - 1.0 - f64::from(j)));
            let exact = rate_moment * inverse;
            let ruled: f64 = rule
                .scales
                .iter()
                .zip(&rule.weights)
                .map(|(s, w)| w * s.powi(m))
                .sum();
            assert!(
                (ruled - exact).abs() <= 1e-9 * exact,
                "m {m}: {ruled} vs {exact}"
            );
        }
    }

    #[test]
    fn horizon_moments_match_the_series_of_the_purchase_count() {
        // One dropout probability at a time (a one-node rule), λ ~ Gamma(s, rate β): N(τ) is
        // NBD, P(N = n) = Γ(s + n)/(Γ(s)·n!)·(β/(β + τ))^s·(τ/(β + τ))^n, and X = min(N, J)
        // with P(X ≥ k) = P(N ≥ k)·(1 − p)^(k − 1): E[X] = Σ_k P(X ≥ k), E[X²] =
        // Σ_k (2k − 1)·P(X ≥ k), summed directly to k = 4,000.
        for (p, shape, beta, tau) in [
            (0.05, 2.243, 80.0, 104.0),
            (0.3, 5.243, 70.0, 52.0),
            (1e-7, 1.243, 75.0, 26.0),
        ] {
            let rule = QuadratureRule {
                nodes: vec![p],
                weights: vec![1.0],
            };
            let (first, second) = horizon_moments(&rule, shape, beta, tau);
            let odds = tau / (beta + tau);
            let mut pmf = (beta / (beta + tau)).powf(shape);
            let mut tail = 1.0; // P(N ≥ k), from k = 0
            let (mut x1, mut x2) = (0.0, 0.0);
            for k in 1..4000u32 {
                let n = f64::from(k - 1);
                tail -= pmf; // P(N ≥ k)
                pmf *= (shape + n) / (n + 1.0) * odds;
                let at_least = tail.max(0.0) * (1.0 - p).powi(k as i32 - 1);
                x1 += at_least;
                x2 += (2.0 * f64::from(k) - 1.0) * at_least;
            }
            assert!(
                (first - x1).abs() < 1e-9 * x1,
                "p {p}: E[X] {first} vs {x1}"
            );
            // The NBD limit below pτ/β = 1e-5 is off by about that much.
            let tolerance = if p * tau / beta < 1e-5 { 1e-5 } else { 1e-7 };
            assert!(
                (second - x2).abs() < tolerance * x2,
                "p {p}: E[X²] {second} vs {x2}"
            );
            // Not the Poisson or NBD moments: dropout matters at these p.
            if p > 0.01 {
                assert!(second < 0.95 * (shape * tau / beta * (1.0 + (shape + 1.0) * tau / beta)));
            }
        }
    }

    #[test]
    fn survivors_and_purchases_match_the_bgnbd_closed_form() {
        // A fresh BG/NBD customer is an alive customer at the prior: E[X(t)] (eq. 9).
        let (r, alpha, a, b) = (0.242594, 4.413595, 0.792919, 2.425946);
        let reference = QuadratureRule::beta(a, b, REFERENCE_NODES);
        for t in [1.0, 13.0, 52.0, 104.0] {
            let (_, x) = survivors_and_purchases(&reference, r, alpha, t);
            let exact =
                crate::model::closed_form::bgnbd_expected_purchases(r, alpha, a, b, t).unwrap();
            assert!((x - exact).abs() < 1e-9 * exact, "t {t}: {x} vs {exact}");
        }
    }
}
