//! The cohort engine: counts per cohort, stratum and origin instead of individual customers, so
//! a run costs the same for a thousand customers or ten million.
//!
//! A cohort's customers are split into strata over their traits — churn or dropout propensity,
//! purchase rate (BG/NBD only), own order-value scale — at the nodes of Gauss rules; customers
//! enter strata by a multinomial on the rule's weights and keep their stratum until they leave
//! or migrate. What happens to a stratum in a period has an exact law given its count:
//!
//! - **Churn heterogeneity by Gauss strata.** A cohort's Beta churn propensity is replaced by the
//!   K-node Gauss–Jacobi rule of [`QuadratureRule::beta`]; customers survive each period by a
//!   binomial per stratum. Any customer's survival over t periods is a polynomial of degree t
//!   in θ, which the rule integrates exactly for t ≤ 2K − 1 (Golub & Welsch 1969), even when
//!   hazards depend on the path (retention spend per active customer, shocks). K is chosen per
//!   cohort ([`approx::churn_rule`]): the fewest nodes whose survival is within 1e-9 of the
//!   closed form B(a, b + t)/B(a, b) at every t ≤ H, at most ⌈(H + 1)/2⌉ (exact) and at most
//!   [`approx::MAX_STRATA`] — often a third of ⌈(H + 1)/2⌉, and enough beyond 127 periods.
//! - **Gamma–Dirichlet for purchase rates.** Under NBD purchases without dropout the rates λ_i
//!   are i.i.d. Gamma(k, m/k) and independent of churn, so the total rate of a random subset of
//!   n of N customers is the total × Beta(n·k, (N − n)·k); given the total, a group's orders are
//!   Poisson. Each stratum carries its customers' total rate through churn and migration.
//! - **BG/NBD dropout** (Fader, Hardie & Lee 2005a): survival depends on each customer's own
//!   purchases, so the strata are over both the dropout probability p ~ Beta(a, b) and the
//!   purchase rate λ ~ Gamma(r, α) — Gauss–Jacobi nodes for p and, for each, its own
//!   generalized Gauss–Laguerre nodes for λ ([`approx::dropout_strata`]). Within a stratum the
//!   joint law of dropouts and orders is exact (`Strata::purchase_dropout`).
//! - **Own order-value scales** (`customer_cv`, Gamma-Gamma) in [`approx::VALUE_STRATA`] strata
//!   that reproduce the mean and variance of every customer's revenue ([`ValueStrata`]); given
//!   the scale, n orders of Gamma(k, s) sum to one Gamma(n·k, s) draw.
//!
//! Where the rules are not exact — fewer strata than exactness needs, hazards that cap θ·h (or
//! p·h) at one, the λ quadrature of BG/NBD, higher moments of order-value scales — the error is
//! measured against closed forms ([`approx`]) and listed with its size in `approximations`
//! when it exceeds 1e-9 per customer ([`support`]); `auto` compares it with the study's Monte
//! Carlo error ([`crate::sim::choose_engine`]).

use std::rc::Rc;

use rand::RngExt;

use crate::model::dist::{
    BinomialProbability, PreparedMultinomial, TailedMultinomial, beta, beta_by_gammas, binomial,
    binomial_with_log_complement, gamma, multinomial, poisson,
};
use crate::model::quadrature::QuadratureRule;
use crate::scenario::{Cohort, ExistingBase, OrderValue, Purchases, Retention, Scenario};
use crate::sim::approx::{self, ChurnStrata, DropoutStrata, HazardRange, PurchaseLaw, ValueStrata};
use crate::sim::history_bins::{self, HistoryPath};
use crate::sim::period::{Departure, EXISTING, GroupTotals, Leavers, NEW, Population, run_periods};
use crate::sim::rng::{SimRng, Stream, stream};
use crate::sim::setup::RunSetup;
use crate::sim::{RunResult, SimError};

/// One departure of the cohort engine from the exact model, with its measured size.
#[derive(Debug, Clone, PartialEq)]
pub struct Approximation {
    /// Index of the cohort it concerns.
    pub cohort: usize,
    /// What is approximated and how much, for the output and the JSON `approximations`.
    pub description: String,
    /// The relative error of the cohort's expected customer-periods (and of every cash flow
    /// proportional to them), or `None` where it is not measured.
    pub relative_error: Option<f64>,
}

/// The churn strata of cohort `c` of `scenario` with their measured error, or `None` for a
/// cohort without Beta churn heterogeneity.
pub fn churn_strata(scenario: &Scenario, c: usize) -> Option<ChurnStrata> {
    let (a, b) = beta_churn(&scenario.cohorts[c])?;
    Some(approx::churn_strata(
        a,
        b,
        scenario.time.periods,
        HazardRange::of(scenario, c),
    ))
}

/// The Beta(a, b) law of a cohort's churn propensity θ, if it has one with a > 0 and b > 0.
fn beta_churn(cohort: &Cohort) -> Option<(f64, f64)> {
    match cohort.retention {
        // 1 − θ ~ Beta(r̄c, (1 − r̄)c), so θ ~ Beta((1 − r̄)c, r̄c).
        Retention::MeanConcentration {
            mean,
            concentration,
        } if mean > 0.0 && mean < 1.0 => Some(((1.0 - mean) * concentration, mean * concentration)),
        Retention::ShiftedBetaGeometric { alpha, beta } => Some((alpha, beta)),
        _ => None,
    }
}

/// Strata per cohort (the product over every stratified trait), for the cost estimate of
/// `auto`.
pub fn strata_count(scenario: &Scenario, c: usize) -> usize {
    let cohort = &scenario.cohorts[c];
    let values = OrderValues::of(cohort).scales.len();
    let traits = match cohort.retention {
        Retention::Dropout { .. } => dropout_strata(scenario, c).map_or(1, |d| d.strata.len()),
        _ => beta_churn(cohort).map_or(1, |(a, b)| {
            approx::churn_rule(
                a,
                b,
                scenario.time.periods,
                HazardRange::of(scenario, c).high,
            )
            .len()
        }),
    };
    traits * values + posterior_strata(scenario, c).1.round() as usize
}

/// The strata a cohort's conditioned existing base (`history`, `tenure`) holds at the start
/// and how many of them are populated: (populated, strata). Point customers of small history
/// groups are one stratum each, per order-value node.
pub fn posterior_strata(scenario: &Scenario, c: usize) -> (f64, f64) {
    let cohort = &scenario.cohorts[c];
    let values = OrderValues::of(cohort).scales.len() as f64;
    let (mut populated, mut strata, mut strata_sum) = (0.0, 0.0, 0.0);
    match &cohort.existing {
        ExistingBase::Fresh => {}
        ExistingBase::History(groups) => {
            if let Some(bins) = history_bins::history_bins(scenario, c) {
                for bin in &bins.bins {
                    let k = bin
                        .values
                        .as_ref()
                        .map_or(values, |v| v.scales.len() as f64);
                    for &(age, weight) in &bin.nodes {
                        let strata = posterior_dropout_strata(scenario, c, bin.frequency, age)
                            .map_or(1.0, |d| d.strata.len() as f64)
                            * k;
                        populated += (bin.expected_alive * weight).min(strata);
                        strata_sum += strata;
                    }
                }
                let exact: f64 = bins.exact.iter().map(|&i| groups.0[i].count as f64).sum();
                populated += exact;
                strata += strata_sum + exact * values;
                return (populated, strata);
            }
            for group in posterior_groups(scenario, c) {
                let n = group.customers as f64;
                if group.stratified {
                    let k = posterior_dropout_strata(scenario, c, group.frequency, group.age)
                        .map_or(1.0, |d| d.strata.len() as f64);
                    populated += n.min(k * values);
                    strata += k * values;
                } else {
                    populated += n;
                    strata += n * values;
                }
            }
        }
        ExistingBase::Tenure(groups) => {
            for group in groups {
                let k = tenure_churn_strata(scenario, c, group.renewals)
                    .map_or(1.0, |t| t.rule.len() as f64);
                populated += (group.count as f64).min(k * values);
                strata += k * values;
            }
        }
    }
    (populated, strata)
}

/// The expected number of strata of cohort `c` that hold anyone when `customers` enter it:
/// Σ_j 1 − (1 − w_j)^N ≈ Σ_j 1 − e^(−N·w_j). Most BG/NBD strata carry tiny weights and stay
/// empty, costing one comparison a period.
pub fn populated_strata(scenario: &Scenario, c: usize, customers: f64) -> f64 {
    let fresh: f64 = Layout::cached(scenario, c, approx::EXACT_TOLERANCE)
        .entry_weights
        .iter()
        .map(|w| -(-customers * w).exp_m1())
        .sum();
    fresh + posterior_strata(scenario, c).0
}

/// Per stratum of BG/NBD cohort `c` that fresh customers enter: its entry probability and the
/// probability that one of its customers drops out in a period at neutral multipliers
/// (1 − e^(−λ·p) for Poisson and NBD purchases, 1 − (1 − p)^n for n fixed purchases; see
/// `Strata::purchase_dropout`), for the work estimate's occupancy of the strata
/// ([`crate::sim::estimate`]). Empty for other retention forms.
pub fn dropout_entry_strata(scenario: &Scenario, c: usize) -> Vec<(f64, f64)> {
    let cohort = &scenario.cohorts[c];
    let Retention::Dropout { .. } = cohort.retention else {
        return Vec::new();
    };
    let law = purchase_law(cohort);
    let layout = Layout::cached(scenario, c, approx::EXACT_TOLERANCE);
    layout
        .entry_order
        .iter()
        .zip(&layout.entry_weights)
        .map(|(&j, &weight)| {
            let p = layout.propensity[j].clamp(0.0, 1.0);
            let leave = match law {
                PurchaseLaw::Fixed(n) => 1.0 - (1.0 - p).powf(n),
                PurchaseLaw::Poisson(_) | PurchaseLaw::Nbd { .. } => {
                    -(-layout.rate_node[j] * p).exp_m1()
                }
            };
            (weight, leave.clamp(0.0, 1.0))
        })
        .collect()
}

/// Per stratum of Beta, sBG or `{ rate }` cohort `c` that fresh customers enter: its entry
/// probability and its churn probability per period at neutral multipliers (the stratum's
/// propensity θ), for the work estimate's occupancy of the strata ([`crate::sim::estimate`]).
/// Empty for BG/NBD cohorts ([`dropout_entry_strata`]).
pub fn churn_entry_strata(scenario: &Scenario, c: usize) -> Vec<(f64, f64)> {
    if let Retention::Dropout { .. } = scenario.cohorts[c].retention {
        return Vec::new();
    }
    let layout = Layout::cached(scenario, c, approx::EXACT_TOLERANCE);
    layout
        .entry_order
        .iter()
        .zip(&layout.entry_weights)
        .map(|(&j, &weight)| (weight, layout.propensity[j].clamp(0.0, 1.0)))
        .collect()
}

/// The cohort engine's approximations for `scenario`, each measured (see [`approx`]). An
/// approximation whose survival error is below [`approx::EXACT_TOLERANCE`] per customer is not
/// listed. Every cohort form is supported; the `Result` is kept for forms to come.
pub fn support(scenario: &Scenario) -> Result<Vec<Approximation>, String> {
    support_on(scenario, HistoryPath::Binned)
}

/// [`support`] with large histories simulated on `path` (binned, or exact per history).
pub fn support_on(scenario: &Scenario, path: HistoryPath) -> Result<Vec<Approximation>, String> {
    let mut approximations = Vec::new();
    let horizon = scenario.time.periods;
    for (c, cohort) in scenario.cohorts.iter().enumerate() {
        if matches!(
            cohort.order_value,
            OrderValue::HeterogeneousGamma { .. } | OrderValue::GammaGamma { .. }
        ) {
            approximations.push(Approximation {
                cohort: c,
                description: format!(
                    "cohort `{}`: customers' own order-value scales in {} strata: the mean and \
                     variance of every customer's revenue are exact, its higher moments \
                     approximated (mean CE unbiased)",
                    cohort.name,
                    approx::VALUE_STRATA
                ),
                relative_error: Some(0.0),
            });
        }
        if let Some(d) = dropout_strata(scenario, c).filter(|d| {
            d.survival.max_absolute > approx::EXACT_TOLERANCE
                || d.expected_purchases > approx::EXACT_TOLERANCE
        }) {
            approximations.push(Approximation {
                cohort: c,
                description: format!(
                    "cohort `{}`: BG/NBD dropout in {} strata ({} dropout nodes, each with \
                     its purchase-rate nodes): survival within {:.1e} per customer, expected \
                     purchases E[X(t)] within {:.1e} and expected customer-periods within \
                     {:.1e} (relative)",
                    cohort.name,
                    d.strata.len(),
                    d.dropout_nodes,
                    d.survival.max_absolute,
                    d.expected_purchases,
                    d.survival.customer_periods
                ),
                relative_error: Some(d.expected_purchases.max(d.survival.customer_periods)),
            });
        }
        // A history's posterior strata and bins are measured whether or not the cohort's own
        // strata are exact.
        approximations.extend(posterior_approximation(scenario, c, path));
        approximations.extend(binning_approximation(scenario, c, path));
        if let Some(strata) = churn_strata(scenario, c) {
            if strata.is_exact() {
                continue;
            }
            let mut why = Vec::new();
            if strata.uncapped.max_absolute > approx::EXACT_TOLERANCE {
                why.push(format!(
                    "{} strata for {horizon} periods (exact needs {})",
                    strata.rule.len(),
                    approx::exact_strata(horizon)
                ));
            }
            if strata.overall.max_absolute
                > strata.uncapped.max_absolute.max(approx::EXACT_TOLERANCE)
            {
                why.push(format!(
                    "hazard multipliers up to {:.3} cap θ·h at one",
                    strata.hazard_high
                ));
            }
            approximations.push(Approximation {
                cohort: c,
                description: format!(
                    "cohort `{}`: churn propensity in {} strata ({}): survival within {:.1e} \
                     per customer, expected customer-periods within {:.1e} (relative)",
                    cohort.name,
                    strata.rule.len(),
                    why.join("; "),
                    strata.overall.max_absolute,
                    strata.overall.customer_periods
                ),
                relative_error: Some(strata.overall.customer_periods),
            });
        }
    }
    Ok(approximations)
}

/// What binning a large history costs ([`history_bins`]), measured against the exact
/// per-history closed forms; `None` for a cohort whose history is simulated exactly.
fn binning_approximation(
    scenario: &Scenario,
    c: usize,
    path: HistoryPath,
) -> Option<Approximation> {
    let bins = history_bins::history_bins_on(scenario, c, path)?;
    let e = bins.error;
    Some(Approximation {
        cohort: c,
        description: format!(
            "cohort `{}`: its {} histories in {} bins by frequency ({} of them spend classes; \
             {} purchase-rate nodes, {} histories of small bins drawn exactly): expected \
             survivors within {:.1e}, expected purchases within {:.1e} and expected revenue \
             within {:.1e} of the per-history closed forms (relative); the alive count's \
             variance {:.1e} larger; the variance of the base's revenue within {:.1e} \
             (relative)",
            scenario.cohorts[c].name,
            bins.histories,
            bins.bins.len(),
            bins.spend_classes(),
            bins.nodes(),
            bins.exact.len(),
            e.survivors,
            e.purchases,
            e.revenue,
            e.alive_variance,
            e.spread
        ),
        relative_error: Some(e.survivors.max(e.purchases).max(e.revenue)),
    })
}

/// How much the strata of a conditioned existing base approximate (the worst of its groups),
/// if more than [`approx::EXACT_TOLERANCE`]. Point customers of small history groups are exact.
fn posterior_approximation(
    scenario: &Scenario,
    c: usize,
    path: HistoryPath,
) -> Option<Approximation> {
    let cohort = &scenario.cohorts[c];
    let (mut survival, mut purchases, mut periods, mut groups) = (0.0f64, 0.0f64, 0.0f64, 0);
    match &cohort.existing {
        ExistingBase::Fresh => return None,
        ExistingBase::History(_) => {
            let binned = history_bins::history_bins_on(scenario, c, path);
            if let Some(bins) = &binned {
                for bin in &bins.bins {
                    for &(age, _) in &bin.nodes {
                        let d = posterior_dropout_strata(scenario, c, bin.frequency, age)?;
                        survival = survival.max(d.survival.max_absolute);
                        purchases = purchases.max(d.expected_purchases);
                        periods = periods.max(d.survival.customer_periods);
                        groups += 1;
                    }
                }
            }
            for group in posterior_groups(scenario, c)
                .iter()
                .filter(|g| g.stratified && binned.is_none())
            {
                let d = posterior_dropout_strata(scenario, c, group.frequency, group.age)?;
                survival = survival.max(d.survival.max_absolute);
                purchases = purchases.max(d.expected_purchases);
                periods = periods.max(d.survival.customer_periods);
                groups += 1;
            }
        }
        ExistingBase::Tenure(tenures) => {
            for group in tenures {
                let t = tenure_churn_strata(scenario, c, group.renewals)?;
                survival = survival.max(t.overall.max_absolute);
                periods = periods.max(t.overall.customer_periods);
                groups += 1;
            }
        }
    }
    if survival <= approx::EXACT_TOLERANCE && purchases <= approx::EXACT_TOLERANCE {
        return None;
    }
    Some(Approximation {
        cohort: c,
        description: format!(
            "cohort `{}`: the existing customers' posterior laws in strata ({groups} \
             groups): survival within {survival:.1e} per customer, expected purchases within \
             {purchases:.1e} and expected customer-periods within {periods:.1e} (relative)",
            cohort.name
        ),
        relative_error: Some(purchases.max(periods)),
    })
}

/// Entrants are placed one by one when they number fewer than this many times the strata
/// still to fill (at the start, or after the heavy strata's binomials, [`TailedMultinomial`]):
/// an alias draw costs a few nanoseconds, a multinomial's conditional binomial some tens
/// (measured on benches/scenarios/large_bank.toml).
const INDIVIDUAL_ENTRY_FACTOR: u64 = 4;

/// How a cohort's order values are drawn: revenue of n orders at value node l is
/// Gamma(n·shape, scales[l]), or n·scales[l] for a constant value (`shape` = `None`).
struct OrderValues {
    shape: Option<f64>,
    scales: Vec<f64>,
    weights: Vec<f64>,
}

impl OrderValues {
    fn of(cohort: &Cohort) -> Self {
        let single = |shape, scale| OrderValues {
            shape,
            scales: vec![scale],
            weights: vec![1.0],
        };
        match cohort.order_value {
            OrderValue::Constant { mean } => single(None, mean),
            OrderValue::Gamma { mean, cv } => single(Some(1.0 / (cv * cv)), mean * cv * cv),
            OrderValue::HeterogeneousGamma {
                mean,
                cv,
                customer_cv,
            } => ValueStrata::heterogeneous_gamma(mean, cv, customer_cv).into(),
            OrderValue::GammaGamma { p, q, gamma } => ValueStrata::gamma_gamma(p, q, gamma).into(),
        }
    }

    /// Revenue of `orders` orders of customers at value node `l`: n orders of Gamma(k, s) sum
    /// to one Gamma(n·k, s).
    fn revenue(&self, l: usize, orders: u64, rng: &mut SimRng) -> f64 {
        if orders == 0 {
            return 0.0;
        }
        match self.shape {
            None => self.scales[l] * orders as f64,
            Some(shape) => gamma(rng, orders as f64 * shape, self.scales[l]),
        }
    }
}

impl From<ValueStrata> for OrderValues {
    fn from(v: ValueStrata) -> Self {
        OrderValues {
            shape: Some(v.order_shape),
            scales: v.scales,
            weights: v.weights,
        }
    }
}

/// The BG/NBD purchase law of a dropout cohort (SPEC §2): λ ~ Gamma(k, rate k/m) for
/// `{ mean = m, shape = k }`.
fn purchase_law(cohort: &Cohort) -> PurchaseLaw {
    match cohort.purchases {
        Purchases::Fixed { n } => PurchaseLaw::Fixed(n),
        Purchases::Poisson { mean } => PurchaseLaw::Poisson(mean),
        Purchases::NegativeBinomial { mean, shape } => PurchaseLaw::Nbd {
            r: shape,
            alpha: shape / mean.max(f64::MIN_POSITIVE),
        },
    }
}

/// The dropout strata of BG/NBD cohort `c` of `scenario`, if it is one.
pub fn dropout_strata(scenario: &Scenario, c: usize) -> Option<DropoutStrata> {
    let cohort = &scenario.cohorts[c];
    let Retention::Dropout { alpha, beta } = cohort.retention else {
        return None;
    };
    Some(approx::dropout_strata(
        alpha,
        beta,
        purchase_law(cohort),
        scenario.time.periods,
        HazardRange::of(scenario, c),
        approx::purchase_multiplier_high(scenario, c),
    ))
}

/// Where a cohort's strata sit: per stratum its traits and entry probability. Built once per
/// thread and parameter set ([`Layout::cached`]), since runs share them unless `[uncertainty]`
/// redraws a cohort's parameters.
struct Layout {
    /// Per stratum: churn propensity θ or dropout probability p.
    propensity: Vec<f64>,
    /// Per stratum: purchase rate λ (dropout cohorts).
    rate_node: Vec<f64>,
    /// Per stratum: its order-value node.
    value_of: Vec<usize>,
    values: OrderValues,
    /// Strata in descending order of entry probability, with those probabilities: the
    /// sequential binomials of the entry multinomial stop as soon as every entrant is placed.
    entry_order: Vec<usize>,
    entry_weights: Vec<f64>,
    /// The entry multinomial over `entry_weights`, set up once: sequential binomials for the
    /// bulk, alias draws one by one for few entrants or the tail ([`TailedMultinomial`]).
    entry: TailedMultinomial,
}

impl Layout {
    /// The layout of cohort `c`, remembered per thread by everything it depends on, with
    /// churn strata within `tolerance` ([`approx::EXACT_TOLERANCE`] but for measurements).
    fn cached(scenario: &Scenario, c: usize, tolerance: f64) -> Rc<Layout> {
        use std::cell::RefCell;
        use std::collections::HashMap;
        thread_local! {
            static LAYOUTS: RefCell<HashMap<String, Rc<Layout>>> = RefCell::new(HashMap::new());
        }
        let cohort = &scenario.cohorts[c];
        let key = format!(
            "{:?}|{:?}|{:?}|{}|{:?}|{}|{}",
            cohort.retention,
            cohort.purchases,
            cohort.order_value,
            scenario.time.periods,
            HazardRange::of(scenario, c),
            approx::purchase_multiplier_high(scenario, c).to_bits(),
            tolerance.to_bits()
        );
        if let Some(found) = LAYOUTS.with(|l| l.borrow().get(&key).cloned()) {
            return found;
        }
        let layout = Rc::new(Layout::new(scenario, c, tolerance));
        LAYOUTS.with(|l| {
            let mut l = l.borrow_mut();
            if l.len() > 256 {
                l.clear();
            }
            l.insert(key, Rc::clone(&layout));
        });
        layout
    }

    fn new(scenario: &Scenario, c: usize, tolerance: f64) -> Self {
        let cohort = &scenario.cohorts[c];
        // (propensity, purchase-rate node, probability) of each trait stratum.
        let traits: Vec<(f64, f64, f64)> = match cohort.retention {
            Retention::Rate { rate } => vec![(1.0 - rate, 0.0, 1.0)],
            Retention::MeanConcentration { mean, .. } if mean >= 1.0 => vec![(0.0, 0.0, 1.0)],
            Retention::MeanConcentration { mean, .. } if mean <= 0.0 => vec![(1.0, 0.0, 1.0)],
            // The strata only: their error is measured once per study by `support`.
            Retention::Dropout { alpha, beta } => approx::dropout_strata_nodes(
                alpha,
                beta,
                purchase_law(cohort),
                scenario.time.periods,
                HazardRange::of(scenario, c),
                approx::purchase_multiplier_high(scenario, c),
            ),
            _ => {
                let rule = beta_churn(cohort).map_or_else(
                    || QuadratureRule::point(0.0),
                    |(a, b)| {
                        approx::churn_rule_within(
                            a,
                            b,
                            scenario.time.periods,
                            HazardRange::of(scenario, c).high,
                            tolerance,
                        )
                    },
                );
                rule.nodes
                    .iter()
                    .zip(&rule.weights)
                    .map(|(&theta, &w)| (theta, 0.0, w))
                    .collect()
            }
        };
        Layout::from_traits(&traits, OrderValues::of(cohort))
    }

    /// One stratum per customer `(dropout probability, purchase rate, one order's Gamma
    /// scale)`, each its own order-value node of shape `order_shape`: exact draws for a few
    /// customers, no quadrature. Customers are placed by the caller, one per stratum.
    fn from_points(points: &[(f64, f64, f64)], order_shape: f64) -> Self {
        let n = points.len();
        let weight = 1.0 / n.max(1) as f64;
        Layout {
            propensity: points.iter().map(|p| p.0).collect(),
            rate_node: points.iter().map(|p| p.1).collect(),
            value_of: (0..n).collect(),
            values: OrderValues {
                shape: Some(order_shape),
                scales: points.iter().map(|p| p.2).collect(),
                weights: vec![weight; n],
            },
            entry_order: (0..n).collect(),
            entry: TailedMultinomial::new(&vec![weight; n], INDIVIDUAL_ENTRY_FACTOR),
            entry_weights: vec![weight; n],
        }
    }

    /// Strata over the product of trait strata `(propensity, purchase-rate node, probability)`
    /// and the order-value nodes of `values`.
    fn from_traits(traits: &[(f64, f64, f64)], values: OrderValues) -> Self {
        let mut propensity = Vec::new();
        let mut rate_node = Vec::new();
        let mut value_of = Vec::new();
        let mut weights = Vec::new();
        for &(theta, lambda, wt) in traits {
            for (v, &wv) in values.weights.iter().enumerate() {
                propensity.push(theta);
                rate_node.push(lambda);
                value_of.push(v);
                weights.push(wt * wv);
            }
        }
        let strata = weights.len();
        let mut entry_order: Vec<usize> = (0..strata).collect();
        entry_order.sort_by(|&i, &j| weights[j].total_cmp(&weights[i]).then(i.cmp(&j)));
        let entry_weights: Vec<f64> = entry_order.iter().map(|&j| weights[j]).collect();
        Layout {
            propensity,
            rate_node,
            value_of,
            values,
            entry_order,
            entry: TailedMultinomial::new(&entry_weights, INDIVIDUAL_ENTRY_FACTOR),
            entry_weights,
        }
    }
}

/// A migration row with each probability capped so the row sums to at most one: rows drawn
/// under `[uncertainty]` (or raised by a development programme) may exceed one, and the
/// customer engine caps its cumulative thresholds the same way.
fn capped_row(row: &[(usize, f64)]) -> Vec<(usize, f64)> {
    let mut cumulative = 0.0;
    row.iter()
        .map(|&(to, p)| {
            let capped = p.min(1.0 - cumulative).max(0.0);
            cumulative += capped;
            (to, capped)
        })
        .collect()
}

/// Whether `capped` is [`capped_row`] of `row`, computed without allocating.
fn same_capped_row(row: &[(usize, f64)], capped: &[(usize, f64)]) -> bool {
    if row.len() != capped.len() {
        return false;
    }
    let mut cumulative = 0.0;
    row.iter().zip(capped).all(|(&(to, p), &(kept_to, kept))| {
        let p = p.min(1.0 - cumulative).max(0.0);
        cumulative += p;
        to == kept_to && p == kept
    })
}

/// The samplers of a migration row: whether a survivor moves (probability Σ_d p_d) and where a
/// mover goes (p_d / Σ p_d).
fn prepared_moves(row: &[(usize, f64)]) -> (BinomialProbability, PreparedMultinomial) {
    let moving: f64 = row.iter().map(|&(_, p)| p).sum();
    let shares: Vec<f64> = row
        .iter()
        .map(|&(_, p)| if moving > 0.0 { p / moving } else { 0.0 })
        .collect();
    (
        BinomialProbability::new(moving),
        PreparedMultinomial::new(&shares),
    )
}

/// One cohort's strata — the product of its churn (or dropout) propensity nodes, its purchase
/// rate nodes (BG/NBD only) and its order-value scale nodes — and per origin the customers in
/// each stratum and, under NBD purchases without dropout, the total purchase rate of the
/// customers at each order-value node.
///
/// The rates are carried per origin and value node, not per stratum: without dropout a
/// customer's rate λ ~ Gamma(k, m/k) is independent of its churn propensity and of every
/// churn, release and migration draw, so the customers who stay are a random subset of the
/// node's customers as far as their rates go, and one Gamma–Dirichlet thinning per node and
/// period has the law of one per stratum.
struct Strata<'a> {
    cohort: &'a Cohort,
    /// The BG/NBD purchase law, for dropout cohorts.
    dropout: Option<PurchaseLaw>,
    /// The strata themselves, shared by every run of the thread with the same parameters.
    layout: Rc<Layout>,
    count: [Vec<u64>; 2],
    /// Per origin and order-value node, the customers' total purchase rate (NBD purchases
    /// without dropout).
    rate: [Vec<f64>; 2],
    /// BG/NBD dropouts of this period's purchases, by origin, until the churn step counts
    /// them.
    dropped: [u64; 2],
    /// Entrants of the period not yet placed in strata, by origin ([`Strata::enter`]).
    pending: [u64; 2],
    /// The migration row `(destination, per-period probability)` the samplers below were
    /// prepared for; rebuilt when the period's row differs (a development programme raises it).
    migration: Vec<(usize, f64)>,
    /// A surviving customer moves with probability Σ_d p_d, and a mover goes to destination d
    /// with probability p_d / Σ p_d.
    moving: BinomialProbability,
    destinations: PreparedMultinomial,
    /// Scratch, reused every period: movers by destination; entry counts; per value node
    /// customers, rates, orders and Poisson means; the categories of dropouts' orders.
    outcome_counts: Vec<u64>,
    entry_counts: Vec<u64>,
    by_value: Vec<(u64, f64)>,
    orders_by_value: Vec<u64>,
    /// Per value node, customers entering or staying, and (churn step) customers before it.
    moved_by_value: Vec<(u64, u64)>,
    categories: Vec<f64>,
    category_counts: Vec<u64>,
}

impl<'a> Strata<'a> {
    fn new(scenario: &'a Scenario, c: usize, tolerance: f64) -> Self {
        Strata::with_layout(scenario, c, Layout::cached(scenario, c, tolerance))
    }

    /// Cohort `c`'s strata laid out as `layout` (the cohort's own, or a history's posterior).
    fn with_layout(scenario: &'a Scenario, c: usize, layout: Rc<Layout>) -> Self {
        let cohort = &scenario.cohorts[c];
        let dropout =
            matches!(cohort.retention, Retention::Dropout { .. }).then(|| purchase_law(cohort));
        let migration = capped_row(scenario.migration.get(c).map_or(&[][..], |r| &r[..]));
        let (moving, destinations) = prepared_moves(&migration);
        let outcomes = migration.len();
        let strata = layout.propensity.len();
        let value_nodes = layout.values.scales.len();
        Strata {
            cohort,
            dropout,
            layout,
            count: [vec![0; strata], vec![0; strata]],
            rate: [vec![0.0; value_nodes], vec![0.0; value_nodes]],
            dropped: [0, 0],
            pending: [0, 0],
            migration,
            moving,
            destinations,
            outcome_counts: vec![0; outcomes],
            entry_counts: vec![0; strata],
            by_value: vec![(0, 0.0); value_nodes],
            orders_by_value: vec![0; value_nodes],
            moved_by_value: vec![(0, 0); value_nodes],
            categories: Vec::new(),
            category_counts: Vec::new(),
        }
    }

    /// NBD purchase rates carried as totals (Gamma–Dirichlet), for cohorts without dropout.
    fn nbd(&self) -> Option<(f64, f64)> {
        match self.cohort.purchases {
            Purchases::NegativeBinomial { mean, shape } if self.dropout.is_none() => {
                Some((shape, mean / shape))
            }
            _ => None,
        }
    }

    /// `n` customers enter with `origin`, to be placed in strata before the cohort's next
    /// purchases ([`Strata::place_pending`]). Every entry of a period — acquisition, referrals,
    /// win-back, last period's migrants — meets no draw of this cohort before then, and a sum
    /// of independent multinomials over the same weights is one multinomial of the summed
    /// count, so one placement per origin and period has the law of one per entry at a
    /// fraction of the cost.
    fn enter(&mut self, origin: usize, n: u64) {
        self.pending[origin] += n;
    }

    /// Places the entrants waiting since the last purchases ([`Strata::enter`]).
    fn place_pending(&mut self, rng: &mut SimRng) {
        for origin in [EXISTING, NEW] {
            let n = std::mem::take(&mut self.pending[origin]);
            self.place(origin, n, rng);
        }
    }

    /// Customers in each origin, the waiting entrants included.
    fn active(&self) -> [u64; 2] {
        [EXISTING, NEW].map(|o| self.count[o].iter().sum::<u64>() + self.pending[o])
    }

    /// `n` customers are placed with `origin`: strata by multinomial on the product weights,
    /// NBD rates as one Gamma(n_j·k, m/k) per stratum (a sum of i.i.d. Gamma rates).
    ///
    /// The multinomial is [`TailedMultinomial`]: once fewer entrants than
    /// [`INDIVIDUAL_ENTRY_FACTOR`] times the strata still to fill are left (at once for
    /// migrants and most acquisition into BG/NBD strata, after the few heavy strata
    /// otherwise), they are placed one by one by alias tables (two draws, no search) instead
    /// of a sequential binomial per stratum: the same law, O(n) instead of O(K) binomials.
    fn place(&mut self, origin: usize, n: u64, rng: &mut SimRng) {
        if n == 0 {
            return;
        }
        let nbd = self.nbd();
        self.layout.entry.draw(rng, n, &mut self.entry_counts);
        for (position, entering) in self.entry_counts.iter_mut().enumerate() {
            if *entering == 0 {
                continue;
            }
            let j = self.layout.entry_order[position];
            self.count[origin][j] += *entering;
            self.moved_by_value[self.layout.value_of[j]].0 += *entering;
            *entering = 0;
        }
        self.add_rates(origin, nbd, rng);
    }

    /// The NBD rates of the customers just placed (counted per value node in
    /// `moved_by_value`): the sum of n i.i.d. Gamma(k, m/k) rates is one Gamma(n·k, m/k).
    fn add_rates(&mut self, origin: usize, nbd: Option<(f64, f64)>, rng: &mut SimRng) {
        for (l, slot) in self.moved_by_value.iter_mut().enumerate() {
            let (entering, _) = std::mem::take(slot);
            if let (Some((shape, scale)), true) = (nbd, entering > 0) {
                self.rate[origin][l] += gamma(rng, entering as f64 * shape, scale);
            }
        }
    }

    /// Orders and revenue of one origin group without dropout: per value node one Poisson
    /// draw given the customers' (total) rate and one Gamma draw for the value.
    fn purchase_group(&mut self, origin: usize, multiplier: f64, rng: &mut SimRng) -> GroupTotals {
        self.by_value.iter_mut().for_each(|x| *x = (0, 0.0));
        for (j, &n) in self.count[origin].iter().enumerate() {
            if n > 0 {
                self.by_value[self.layout.value_of[j]].0 += n;
            }
        }
        for (slot, &rate) in self.by_value.iter_mut().zip(&self.rate[origin]) {
            slot.1 = rate;
        }
        let mut totals = GroupTotals::default();
        for l in 0..self.by_value.len() {
            let (customers, rate) = self.by_value[l];
            if customers == 0 {
                continue;
            }
            let orders = match self.cohort.purchases {
                Purchases::Fixed { n } => n as u64 * customers,
                Purchases::Poisson { mean } => poisson(rng, multiplier * mean * customers as f64),
                Purchases::NegativeBinomial { .. } => poisson(rng, multiplier * rate),
            };
            totals.customers += customers;
            totals.orders += orders;
            totals.revenue += self.layout.values.revenue(l, orders, rng);
        }
        totals
    }

    /// Orders, revenue and dropouts of one origin group of a BG/NBD cohort (SPEC §3 step 2;
    /// Fader, Hardie & Lee 2005a). In stratum (p, λ) a customer wants W ~ Poisson(μ),
    /// μ = λ·multiplier, orders (exactly n for fixed purchases) and drops out right after each
    /// with probability q = min(1, p·h). View the wanted orders as a Poisson process on the
    /// period, each order marked "last" with probability q: the marked and unmarked orders are
    /// independent Poisson processes of rates μq and μ(1 − q) (thinning). Hence, exactly:
    ///
    /// - a customer drops out with probability 1 − e^(−μq), so the stratum's dropouts are
    ///   D ~ Binomial(n, 1 − e^(−μq));
    /// - a survivor saw no marked order, and its orders are Poisson(μ(1 − q)) independently of
    ///   that, so the n − D survivors place Poisson((n − D)·μ(1 − q)) orders in all;
    /// - a dropout places 1 + X orders, X the unmarked orders before the first mark, with
    ///   P(X = x | drop) ∝ q(1 − q)^x·P(W ≥ x + 1) (the first x + 1 wanted orders exist, the
    ///   first x unmarked, the (x + 1)-th marked), drawn for the D dropouts as one multinomial
    ///   over x ([`dropout_extra_orders`]).
    ///
    /// For fixed purchases W = n: D ~ Binomial(n_c, 1 − (1 − q)^n), survivors place n each and
    /// P(X = x | drop) ∝ (1 − q)^x·q for x < n. Dropouts leave the stratum at once.
    fn purchase_dropout(
        &mut self,
        origin: usize,
        law: PurchaseLaw,
        multiplier: f64,
        hazard: f64,
        rng: &mut SimRng,
    ) -> GroupTotals {
        self.by_value.iter_mut().for_each(|x| *x = (0, 0.0));
        self.orders_by_value.iter_mut().for_each(|x| *x = 0);
        let mut totals = GroupTotals::default();
        for j in 0..self.layout.propensity.len() {
            let n = self.count[origin][j];
            if n == 0 {
                continue;
            }
            totals.customers += n;
            let q = (self.layout.propensity[j] * hazard).clamp(0.0, 1.0);
            let l = self.layout.value_of[j];
            let (dropouts, placed) = match law {
                PurchaseLaw::Fixed(wanted) => {
                    let wanted = wanted as u64;
                    let leave = 1.0 - (1.0 - q).powi(wanted.min(i32::MAX as u64) as i32);
                    let d = binomial(rng, n, leave);
                    let extra = fixed_dropout_extra_orders(
                        rng,
                        d,
                        q,
                        wanted,
                        &mut self.categories,
                        &mut self.category_counts,
                    );
                    (d, (n - d) * wanted + d + extra)
                }
                PurchaseLaw::Poisson(_) | PurchaseLaw::Nbd { .. } => {
                    let mu = self.layout.rate_node[j] * multiplier;
                    let d = binomial_with_log_complement(rng, n, -(-mu * q).exp_m1(), -mu * q);
                    self.by_value[l].1 += (n - d) as f64 * mu * (1.0 - q);
                    let extra = if d > 0 {
                        dropout_extra_orders(
                            rng,
                            d,
                            mu,
                            q,
                            &mut self.categories,
                            &mut self.category_counts,
                        )
                    } else {
                        0
                    };
                    (d, d + extra)
                }
            };
            self.orders_by_value[l] += placed;
            self.count[origin][j] = n - dropouts;
            self.dropped[origin] += dropouts;
        }
        for l in 0..self.orders_by_value.len() {
            let orders = self.orders_by_value[l] + poisson(rng, self.by_value[l].1);
            totals.orders += orders;
            totals.revenue += self.layout.values.revenue(l, orders, rng);
        }
        totals
    }

    /// Steps 5–6 for every stratum: leavers L ~ Binomial(n, min(1, θ·h)); of the n − L
    /// survivors the plan releases R ~ Binomial(n − L, r) (off-boarding share r, SPEC §7); of
    /// the rest movers M ~ Binomial(n − L − R, Σ_d p_d); the others stay. Where movers go does
    /// not depend on their stratum, so the movers of all strata of an origin are split across
    /// destinations by one multinomial on p_d / Σ p_d (a sum of independent multinomials with
    /// the same probabilities is one multinomial of the summed count) and added to `arrivals`.
    /// This is the per-customer law exactly: each customer churns with probability q, is
    /// released with (1 − q)·r and moves to d with (1 − q)(1 − r)·p_d. Returns who left (BG/NBD
    /// dropouts of the period's purchases count as churned).
    fn churn_and_migrate(
        &mut self,
        departure: Departure<'_>,
        rng: &mut SimRng,
        arrivals: &mut [[u64; 2]],
    ) -> Leavers {
        let s = self;
        let mut leavers = Leavers {
            churned: std::mem::take(&mut s.dropped),
            ..Leavers::default()
        };
        // The row is rebuilt only when it differs (a development programme raises it); most
        // periods compare it in place, without allocating.
        if !same_capped_row(departure.migration, &s.migration) {
            let migration = capped_row(departure.migration);
            (s.moving, s.destinations) = prepared_moves(&migration);
            s.outcome_counts.resize(migration.len(), 0);
            s.migration = migration;
        }
        let release = departure.release.clamp(0.0, 1.0);
        // BG/NBD dropouts left while purchasing; there is no per-period churn.
        let churn = s.dropout.is_none();
        if !churn && s.migration.is_empty() && release == 0.0 {
            return leavers;
        }
        let nbd = s.nbd();
        for origin in [EXISTING, NEW] {
            let mut movers = 0u64;
            for j in 0..s.layout.propensity.len() {
                let n = s.count[origin][j];
                if n == 0 {
                    continue;
                }
                let leave = if churn {
                    binomial(rng, n, (s.layout.propensity[j] * departure.hazard).min(1.0))
                } else {
                    0
                };
                let released = if release > 0.0 {
                    binomial(rng, n - leave, release)
                } else {
                    0
                };
                let moved = s.moving.draw(rng, n - leave - released);
                movers += moved;
                let stay = n - leave - released - moved;
                leavers.churned[origin] += leave;
                leavers.released[origin] += released;
                let node = &mut s.moved_by_value[s.layout.value_of[j]];
                node.0 += stay;
                node.1 += n;
                s.count[origin][j] = stay;
            }
            for (l, slot) in s.moved_by_value.iter_mut().enumerate() {
                let (stay, before) = std::mem::take(slot);
                if let (Some((shape, _)), true) = (nbd, stay < before) {
                    // Gamma–Dirichlet: the stayers are a random subset of the node's customers
                    // as far as rates go, so their total rate is the total × Beta(stay·k,
                    // (n − stay)·k).
                    let share =
                        beta_by_gammas(rng, stay as f64 * shape, (before - stay) as f64 * shape);
                    s.rate[origin][l] *= share;
                }
            }
            if movers > 0 {
                s.destinations.draw(rng, movers, &mut s.outcome_counts);
                for (d, &(to, _)) in s.migration.iter().enumerate() {
                    arrivals[to][origin] += s.outcome_counts[d];
                }
            }
        }
        leavers
    }
}

/// Dropouts' orders beyond the one after which they left, in total over `dropouts` customers
/// with Poisson(μ) wanted orders and per-order dropout probability q: X_i i.i.d. with
/// P(X = x) ∝ (1 − q)^x·P(W ≥ x + 1), W ~ Poisson(μ) (see [`Strata::purchase_dropout`]). One
/// multinomial over x by sequential conditional binomials; the categories run until a term is
/// below 1e-17 of their sum (the terms fall faster than geometrically), which is the only
/// truncation. P(W ≥ x + 1) is carried down from 1 − e^(−μ) by subtracting P(W = x).
fn dropout_extra_orders(
    rng: &mut SimRng,
    dropouts: u64,
    mu: f64,
    q: f64,
    categories: &mut Vec<f64>,
    counts: &mut Vec<u64>,
) -> u64 {
    if dropouts == 0 || q >= 1.0 {
        return 0;
    }
    categories.clear();
    let mut point = (-mu).exp();
    let mut upper = -(-mu).exp_m1();
    let mut keep = 1.0;
    let mut total = 0.0;
    for x in 0..100_000u32 {
        let term = keep * upper.max(0.0);
        categories.push(term);
        total += term;
        if term <= 1e-17 * total {
            break;
        }
        point *= mu / f64::from(x + 1);
        upper -= point;
        keep *= 1.0 - q;
    }
    draw_categories(rng, dropouts, total, categories, counts)
}

/// The fixed-purchase case: P(X = x) ∝ (1 − q)^x·q for x < n.
fn fixed_dropout_extra_orders(
    rng: &mut SimRng,
    dropouts: u64,
    q: f64,
    wanted: u64,
    categories: &mut Vec<f64>,
    counts: &mut Vec<u64>,
) -> u64 {
    if dropouts == 0 || q >= 1.0 || wanted <= 1 {
        return 0;
    }
    categories.clear();
    let mut keep = 1.0;
    let mut total = 0.0;
    for _ in 0..wanted.min(100_000) {
        categories.push(keep);
        total += keep;
        keep *= 1.0 - q;
    }
    draw_categories(rng, dropouts, total, categories, counts)
}

/// Σ x·N_x for (N_x) ~ Multinomial(n, categories/total).
fn draw_categories(
    rng: &mut SimRng,
    n: u64,
    total: f64,
    categories: &mut [f64],
    counts: &mut Vec<u64>,
) -> u64 {
    if total <= 0.0 {
        return 0;
    }
    categories.iter_mut().for_each(|p| *p /= total);
    counts.resize(categories.len(), 0);
    multinomial(rng, n, categories, counts);
    counts.iter().enumerate().map(|(x, &k)| x as u64 * k).sum()
}

/// A run's customers as counts per cohort, stratum and origin.
pub struct CohortPopulation<'a> {
    strata: Vec<Strata<'a>>,
    /// Per cohort, the existing customers whose past conditions their traits (`history`,
    /// `tenure`): strata of their own posterior laws, counted as the existing base.
    posterior: Vec<Vec<Strata<'a>>>,
    /// Movers waiting to join each cohort, by origin.
    arrivals: Vec<[u64; 2]>,
}

impl<'a> CohortPopulation<'a> {
    /// Run's start: every cohort's customers placed in its strata, large histories on `path`.
    pub fn new(scenario: &'a Scenario, path: HistoryPath, rng: &mut SimRng) -> Self {
        CohortPopulation::with_churn_tolerance(scenario, path, rng, approx::EXACT_TOLERANCE)
    }

    /// The population with each fresh cohort's churn strata chosen within `tolerance`
    /// ([`approx::churn_rule_within`]) instead of [`approx::EXACT_TOLERANCE`]: for measuring
    /// what looser strata would change ([`simulate_run_with_churn_tolerance`]).
    pub fn with_churn_tolerance(
        scenario: &'a Scenario,
        path: HistoryPath,
        rng: &mut SimRng,
        tolerance: f64,
    ) -> Self {
        let mut strata: Vec<Strata<'a>> = (0..scenario.cohorts.len())
            .map(|c| Strata::new(scenario, c, tolerance))
            .collect();
        let mut posterior = Vec::with_capacity(strata.len());
        for (c, s) in strata.iter_mut().enumerate() {
            match &s.cohort.existing {
                ExistingBase::Fresh => {
                    let n = s.cohort.customers;
                    s.place(EXISTING, n, rng);
                    posterior.push(Vec::new());
                }
                ExistingBase::History(_) => posterior.push(history_strata(scenario, c, path, rng)),
                ExistingBase::Tenure(groups) => {
                    let mut tenured = Vec::with_capacity(groups.len());
                    for group in groups {
                        let mut t = Strata::with_layout(
                            scenario,
                            c,
                            tenure_layout(scenario, c, group.renewals),
                        );
                        t.place(EXISTING, group.count, rng);
                        tenured.push(t);
                    }
                    posterior.push(tenured);
                }
            }
        }
        let arrivals = vec![[0, 0]; strata.len()];
        CohortPopulation {
            strata,
            posterior,
            arrivals,
        }
    }
}

/// History groups of one cohort with the same (x, T), and so the same posterior laws of λ and
/// p (t_x only changes P(alive)).
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorGroup {
    /// Indices into the cohort's history groups.
    pub groups: std::ops::Range<usize>,
    /// x and T.
    pub frequency: u32,
    pub age: f64,
    /// m_x, when the histories carry it (their Gamma-Gamma ν posterior depends on it).
    pub monetary_value: Option<f64>,
    /// Customers in all, alive or not.
    pub customers: u64,
    /// Whether the group is stratified by Gauss rules (else each alive customer's traits are
    /// drawn exactly, one stratum each).
    pub stratified: bool,
}

/// Groups of at most this many customers have their alive customers' traits drawn one by one
/// (exact, and about as cheap as the hundred or so strata a posterior needs); larger groups get
/// Gauss strata of their posterior.
pub const POINT_GROUP_LIMIT: u64 = 256;

/// The (x, T, m_x) groups of cohort `c`'s history, in the history's order (sorted by x, T,
/// m_x, t_x).
pub fn posterior_groups(scenario: &Scenario, c: usize) -> Vec<PosteriorGroup> {
    let Some(history) = scenario.cohorts[c].existing.history() else {
        return Vec::new();
    };
    let mut out: Vec<PosteriorGroup> = Vec::new();
    for (i, g) in history.iter().enumerate() {
        match out.last_mut() {
            Some(last)
                if last.frequency == g.frequency
                    && last.age == g.age
                    && last.monetary_value == g.monetary_value =>
            {
                last.groups.end = i + 1;
                last.customers += g.count;
            }
            _ => out.push(PosteriorGroup {
                groups: i..i + 1,
                frequency: g.frequency,
                age: g.age,
                monetary_value: g.monetary_value,
                customers: g.count,
                stratified: false,
            }),
        }
    }
    for group in &mut out {
        group.stratified = group.customers > POINT_GROUP_LIMIT;
    }
    out
}

/// The dropout strata of the posterior of an (x, T) group: p ~ Beta(a, b + x),
/// λ ~ Gamma(r + x, rate α + T), chosen and measured like a cohort's ([`approx::dropout_strata`]).
pub fn posterior_dropout_strata(
    scenario: &Scenario,
    c: usize,
    frequency: u32,
    age: f64,
) -> Option<DropoutStrata> {
    let [r, alpha, a, b] = crate::sim::setup::bgnbd_parameters(&scenario.cohorts[c])?;
    let x = f64::from(frequency);
    Some(approx::dropout_strata(
        a,
        b + x,
        PurchaseLaw::Nbd {
            r: r + x,
            alpha: alpha + age,
        },
        scenario.time.periods,
        HazardRange::of(scenario, c),
        approx::purchase_multiplier_high(scenario, c),
    ))
}

/// The churn strata of customers of cohort `c` who have renewed `renewals` times:
/// θ ~ Beta(α, β + n).
pub fn tenure_churn_strata(scenario: &Scenario, c: usize, renewals: u32) -> Option<ChurnStrata> {
    let law = crate::sim::setup::beta_churn(&scenario.cohorts[c])?;
    let (a, b) = crate::sim::setup::tenured_churn(law, renewals);
    Some(approx::churn_strata(
        a,
        b,
        scenario.time.periods,
        HazardRange::of(scenario, c),
    ))
}

fn tenure_layout(scenario: &Scenario, c: usize, renewals: u32) -> Rc<Layout> {
    let cohort = &scenario.cohorts[c];
    let traits: Vec<(f64, f64, f64)> = match crate::sim::setup::beta_churn(cohort) {
        Some(law) => {
            let (a, b) = crate::sim::setup::tenured_churn(law, renewals);
            let rule = approx::churn_rule(
                a,
                b,
                scenario.time.periods,
                HazardRange::of(scenario, c).high,
            );
            rule.nodes
                .iter()
                .zip(&rule.weights)
                .map(|(&theta, &w)| (theta, 0.0, w))
                .collect()
        }
        None => vec![(0.0, 0.0, 1.0)],
    };
    Rc::new(Layout::from_traits(&traits, OrderValues::of(cohort)))
}

/// The existing base of a history cohort for one run (see [`posterior_groups`]): per group
/// Binomial(n, P(alive)) alive; a stratified (x, T) group's alive customers enter its posterior
/// strata by multinomial, the rest get exact draws of (p, λ) and a value node, one stratum
/// each, gathered in one set of strata. A cohort of more than
/// [`history_bins::BIN_THRESHOLD`] histories is binned instead ([`binned_history_strata`]).
fn history_strata<'a>(
    scenario: &'a Scenario,
    c: usize,
    path: HistoryPath,
    rng: &mut SimRng,
) -> Vec<Strata<'a>> {
    let cohort = &scenario.cohorts[c];
    let (Some(history), Some(params)) = (
        cohort.existing.history(),
        crate::sim::setup::bgnbd_parameters(cohort),
    ) else {
        return Vec::new();
    };
    if let Some(bins) = history_bins::history_bins_on(scenario, c, path) {
        return binned_history_strata(scenario, c, &bins, (history, params), rng);
    }
    let mut out = Vec::new();
    let mut points: Vec<(f64, f64, f64)> = Vec::new();
    for group in posterior_groups(scenario, c) {
        let mut alive = 0u64;
        let mut posterior = None;
        for g in &history[group.groups.clone()] {
            let p = crate::sim::setup::history_posterior(params, g, &cohort.order_value);
            alive += binomial(rng, g.count, p.p_alive);
            posterior = Some(p);
        }
        let Some(posterior) = posterior else { continue };
        if alive == 0 {
            continue;
        }
        if group.stratified {
            let Some(layout) = posterior_layout(
                scenario,
                c,
                group.frequency,
                group.age,
                posterior.value_scale,
            ) else {
                continue;
            };
            let mut s = Strata::with_layout(scenario, c, layout);
            s.place(EXISTING, alive, rng);
            out.push(s);
        } else {
            draw_points(cohort, &posterior, alive, rng, &mut points);
        }
    }
    out.extend(point_strata(scenario, c, &points, rng));
    out
}

/// `alive` customers of one history with exact draws of (p, λ) from `posterior` and, for
/// Gamma-Gamma, of one order's scale 1/ν (the group's posterior ν, or the population's
/// Gamma(q, γ)).
fn draw_points(
    cohort: &Cohort,
    posterior: &crate::sim::setup::HistoryPosterior,
    alive: u64,
    rng: &mut SimRng,
    points: &mut Vec<(f64, f64, f64)>,
) {
    let (a, b) = posterior.dropout;
    let value_law = match (posterior.value_scale, cohort.order_value) {
        (Some(law), _) => Some(law),
        (None, OrderValue::GammaGamma { q, gamma, .. }) => Some((q, gamma)),
        _ => None,
    };
    for _ in 0..alive {
        let p = beta(rng, a, b);
        let lambda = gamma(rng, posterior.rate_shape, 1.0 / posterior.rate_rate);
        // One order's Gamma scale 1/ν for Gamma-Gamma; unused otherwise.
        let scale = value_law.map_or(1.0, |(shape, rate)| 1.0 / gamma(rng, shape, 1.0 / rate));
        points.push((p, lambda, scale));
    }
}

/// One set of strata holding the point customers of [`draw_points`], one stratum each (and,
/// without Gamma-Gamma, a value node drawn from the cohort's value strata); `None` if there
/// are none.
fn point_strata<'a>(
    scenario: &'a Scenario,
    c: usize,
    points: &[(f64, f64, f64)],
    rng: &mut SimRng,
) -> Option<Strata<'a>> {
    if points.is_empty() {
        return None;
    }
    let cohort = &scenario.cohorts[c];
    if let OrderValue::GammaGamma { p: order_shape, .. } = cohort.order_value {
        // Each customer its own stratum and its own exact order-value scale.
        let layout = Rc::new(Layout::from_points(points, order_shape));
        let mut s = Strata::with_layout(scenario, c, layout);
        for count in s.count[EXISTING].iter_mut() {
            *count = 1;
        }
        return Some(s);
    }
    let traits: Vec<(f64, f64, f64)> = points.iter().map(|&(p, l, _)| (p, l, 1.0)).collect();
    let values = OrderValues::of(cohort);
    let nodes = values.weights.len();
    let cumulative: Vec<f64> = values
        .weights
        .iter()
        .scan(0.0, |sum, w| {
            *sum += w;
            Some(*sum)
        })
        .collect();
    let total = cumulative.last().copied().unwrap_or(1.0);
    let layout = Rc::new(Layout::from_traits(&traits, values));
    let mut s = Strata::with_layout(scenario, c, layout);
    for i in 0..traits.len() {
        let v = if nodes > 1 {
            let u: f64 = rng.random::<f64>() * total;
            cumulative.partition_point(|&x| x <= u).min(nodes - 1)
        } else {
            0
        };
        s.count[EXISTING][i * nodes + v] += 1;
    }
    Some(s)
}

/// The existing base of a binned history cohort for one run ([`history_bins`]): per bin the
/// alive customers of each P(alive) class by one binomial, split over the bin's rate nodes by a
/// multinomial on their weights, each node's share entering the posterior strata of its virtual
/// history (x, T_k); the histories of small bins get the exact draws of [`history_strata`].
fn binned_history_strata<'a>(
    scenario: &'a Scenario,
    c: usize,
    bins: &history_bins::HistoryBins,
    (history, params): (&[crate::scenario::HistoryGroup], [f64; 4]),
    rng: &mut SimRng,
) -> Vec<Strata<'a>> {
    let cohort = &scenario.cohorts[c];
    let mut out = Vec::new();
    let mut shares = Vec::new();
    for bin in &bins.bins {
        let alive: u64 = bin
            .classes
            .iter()
            .map(|&(n, p_alive)| binomial(rng, n, p_alive))
            .sum();
        if alive == 0 {
            continue;
        }
        let weights: Vec<f64> = bin.nodes.iter().map(|n| n.1).collect();
        shares.clear();
        shares.resize(weights.len(), 0);
        multinomial(rng, alive, &weights, &mut shares);
        for (&(age, _), &n) in bin.nodes.iter().zip(&shares) {
            if n == 0 {
                continue;
            }
            let Some(layout) = binned_layout(scenario, c, bin.frequency, age, bin.values.as_ref())
            else {
                continue;
            };
            let mut s = Strata::with_layout(scenario, c, layout);
            s.place(EXISTING, n, rng);
            out.push(s);
        }
    }
    let mut points: Vec<(f64, f64, f64)> = Vec::new();
    for &i in &bins.exact {
        let g = &history[i];
        let posterior = crate::sim::setup::history_posterior(params, g, &cohort.order_value);
        let alive = binomial(rng, g.count, posterior.p_alive);
        draw_points(cohort, &posterior, alive, rng, &mut points);
    }
    out.extend(point_strata(scenario, c, &points, rng));
    out
}

/// The layout of the posterior dropout strata of an (x, T) group, remembered per thread by
/// everything it depends on (a study's runs share it unless `[uncertainty]` redraws the
/// cohort).
fn posterior_layout(
    scenario: &Scenario,
    c: usize,
    frequency: u32,
    age: f64,
    value_scale: Option<(f64, f64)>,
) -> Option<Rc<Layout>> {
    let cohort = &scenario.cohorts[c];
    let value_key = format!("{:?}", value_scale.map(|(a, b)| (a.to_bits(), b.to_bits())));
    cached_posterior_layout(scenario, c, frequency, age, &value_key, || {
        match (cohort.order_value, value_scale) {
            // ν ~ Gamma(q + p·x, γ + x·m_x): the Gamma-Gamma strata of that law.
            (OrderValue::GammaGamma { p, .. }, Some((shape, rate))) => {
                ValueStrata::gamma_gamma(p, shape, rate).into()
            }
            _ => OrderValues::of(cohort),
        }
    })
}

/// The layout of a binned history's rate node (x, T_k) ([`history_bins`]): its posterior
/// dropout strata, with the bin's own value strata when its histories carry spend records.
fn binned_layout(
    scenario: &Scenario,
    c: usize,
    frequency: u32,
    age: f64,
    values: Option<&ValueStrata>,
) -> Option<Rc<Layout>> {
    let cohort = &scenario.cohorts[c];
    let value_key = match values {
        Some(v) => format!(
            "bin {:?} {:?}",
            v.scales.iter().map(|s| s.to_bits()).collect::<Vec<_>>(),
            v.weights.iter().map(|w| w.to_bits()).collect::<Vec<_>>()
        ),
        None => "bin".to_string(),
    };
    cached_posterior_layout(scenario, c, frequency, age, &value_key, || match values {
        Some(v) => v.clone().into(),
        None => OrderValues::of(cohort),
    })
}

fn cached_posterior_layout(
    scenario: &Scenario,
    c: usize,
    frequency: u32,
    age: f64,
    value_key: &str,
    values: impl FnOnce() -> OrderValues,
) -> Option<Rc<Layout>> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static LAYOUTS: RefCell<HashMap<String, Rc<Layout>>> = RefCell::new(HashMap::new());
    }
    let cohort = &scenario.cohorts[c];
    let key = format!(
        "{:?}|{:?}|{:?}|{frequency}|{}|{value_key}|{}|{:?}|{}",
        cohort.retention,
        cohort.purchases,
        cohort.order_value,
        age.to_bits(),
        scenario.time.periods,
        HazardRange::of(scenario, c),
        approx::purchase_multiplier_high(scenario, c).to_bits()
    );
    if let Some(found) = LAYOUTS.with(|l| l.borrow().get(&key).cloned()) {
        return Some(found);
    }
    let strata = posterior_dropout_strata(scenario, c, frequency, age)?;
    let layout = Rc::new(Layout::from_traits(&strata.strata, values()));
    LAYOUTS.with(|l| {
        let mut l = l.borrow_mut();
        if l.len() > 65_536 {
            l.clear();
        }
        l.insert(key, Rc::clone(&layout));
    });
    Some(layout)
}

impl Population for CohortPopulation<'_> {
    fn active(&self, c: usize) -> [u64; 2] {
        let conditioned: u64 = self.posterior[c].iter().map(|p| p.active()[EXISTING]).sum();
        let [existing, new] = self.strata[c].active();
        [existing + conditioned, new]
    }

    fn enter(&mut self, c: usize, origin: usize, n: u64, _rng: &mut SimRng) {
        self.strata[c].enter(origin, n);
    }

    fn purchase(
        &mut self,
        c: usize,
        multiplier: f64,
        hazard: f64,
        rng: &mut SimRng,
    ) -> [GroupTotals; 2] {
        let s = &mut self.strata[c];
        s.place_pending(rng);
        let mut totals = [GroupTotals::default(); 2];
        for origin in [EXISTING, NEW] {
            totals[origin] = match s.dropout {
                Some(law) => s.purchase_dropout(origin, law, multiplier, hazard, rng),
                None => s.purchase_group(origin, multiplier, rng),
            };
        }
        for p in self.posterior[c].iter_mut() {
            let group = match p.dropout {
                Some(law) => p.purchase_dropout(EXISTING, law, multiplier, hazard, rng),
                None => p.purchase_group(EXISTING, multiplier, rng),
            };
            let existing = &mut totals[EXISTING];
            existing.customers += group.customers;
            existing.orders += group.orders;
            existing.revenue += group.revenue;
        }
        totals
    }

    fn churn_and_migrate(
        &mut self,
        c: usize,
        departure: Departure<'_>,
        rng: &mut SimRng,
    ) -> Leavers {
        // A no-op after the purchases, which place every entrant: the churn step never sees
        // customers outside their strata.
        self.strata[c].place_pending(rng);
        let mut leavers = self.strata[c].churn_and_migrate(departure, rng, &mut self.arrivals);
        for s in self.posterior[c].iter_mut() {
            let more = s.churn_and_migrate(departure, rng, &mut self.arrivals);
            for origin in [EXISTING, NEW] {
                leavers.churned[origin] += more.churned[origin];
                leavers.released[origin] += more.released[origin];
            }
        }
        leavers
    }

    fn settle_migration(&mut self, _rng: &mut SimRng) -> Vec<u64> {
        let mut moved = Vec::with_capacity(self.strata.len());
        for (c, waiting) in self.arrivals.iter_mut().enumerate() {
            let [existing, new] = std::mem::take(waiting);
            self.strata[c].enter(EXISTING, existing);
            self.strata[c].enter(NEW, new);
            moved.push(existing + new);
        }
        moved
    }
}

/// Simulates run `run` of `setup` by counts.
pub fn simulate_run(setup: &RunSetup<'_>, seed: u64, run: u64) -> Result<RunResult, SimError> {
    let mut rng = stream(seed, run, Stream::Customers);
    let mut population = CohortPopulation::new(setup.scenario.as_ref(), setup.history, &mut rng);
    run_periods(setup, &mut population, seed, run)
}

/// [`simulate_run`] with churn strata held within `tolerance` of the closed-form survival
/// instead of [`approx::EXACT_TOLERANCE`] (issue 12 item 3: how many strata a looser rule
/// saves and what it does to CE, `examples/strata_tolerance.rs`). Not a setting of the
/// engine: `auto` and every command use the exact rule, and nothing measures this run's
/// extra error.
pub fn simulate_run_with_churn_tolerance(
    setup: &RunSetup<'_>,
    seed: u64,
    run: u64,
    tolerance: f64,
) -> Result<RunResult, SimError> {
    let mut rng = stream(seed, run, Stream::Customers);
    let mut population = CohortPopulation::with_churn_tolerance(
        setup.scenario.as_ref(),
        setup.history,
        &mut rng,
        tolerance,
    );
    run_periods(setup, &mut population, seed, run)
}

/// Churn strata of cohort `c` held within `tolerance` (1 for a cohort without Beta churn
/// heterogeneity), times its order-value nodes: [`strata_count`]'s fresh strata under
/// [`approx::churn_rule_within`].
pub fn churn_strata_count_within(scenario: &Scenario, c: usize, tolerance: f64) -> usize {
    let cohort = &scenario.cohorts[c];
    let values = OrderValues::of(cohort).scales.len();
    let traits = match cohort.retention {
        Retention::Dropout { .. } => dropout_strata(scenario, c).map_or(1, |d| d.strata.len()),
        _ => beta_churn(cohort).map_or(1, |(a, b)| {
            approx::churn_rule_within(
                a,
                b,
                scenario.time.periods,
                HazardRange::of(scenario, c).high,
                tolerance,
            )
            .len()
        }),
    };
    traits * values
}
