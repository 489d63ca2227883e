//! The cohort engine: counts per cohort, stratum and origin instead of individual customers, so
//! a run costs the same for a thousand customers or ten million.
//!
//! Exact for the model of SPEC §2–8 through three facts:
//! - **Churn heterogeneity by Gauss strata.** A cohort's Beta churn propensity is replaced by the
//!   K-node Gauss rule of [`QuadratureRule::beta`]; customers are assigned to strata by a
//!   multinomial on entry and survive each period by a binomial per stratum. Any customer's
//!   survival over t periods is a polynomial of degree t in θ, which the rule integrates
//!   exactly for t ≤ 2K − 1, so with K = ⌈(H + 1)/2⌉ (at most [`MAX_STRATA`]) the law of every
//!   count path is exact even when hazards depend on the path (retention spend per active
//!   customer, shocks). Horizons beyond 2·[`MAX_STRATA`] − 1 periods, and hazards that push
//!   θ·h above one, are approximated.
//! - **Gamma–Dirichlet for purchase rates.** Under NBD purchases the rates λ_i are i.i.d.
//!   Gamma(k, m/k) and independent of churn, so the total rate of a random subset of n of N
//!   customers is the total × Beta(n·k, (N − n)·k); given the total, a group's orders are
//!   Poisson. Each stratum carries its customers' total rate through churn and migration.
//! - **One Gamma for a group's order values** with a common scale: n orders of Gamma(1/cv²,
//!   v·cv²) sum to Gamma(n/cv², v·cv²).
//!
//! Not supported: BG/NBD dropout (survival then depends on each customer's purchases). Order
//! values with a customer's own scale (`customer_cv`, Gamma-Gamma) are approximated by a Gamma
//! per order with the same mean and variance as the mixture, which ignores that one customer's
//! orders are alike; the summary says so in `approximations`.

use crate::model::dist::{beta, gamma, multinomial, poisson};
use crate::model::quadrature::QuadratureRule;
use crate::scenario::{Cohort, OrderValue, Purchases, Retention, Scenario};
use crate::sim::approx::{self, ChurnStrata, HazardRange};
use crate::sim::period::{EXISTING, GroupTotals, NEW, Population, run_periods};
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

/// Strata per cohort (product over every stratified trait), for the cost estimate of `auto`.
pub fn strata_count(scenario: &Scenario, c: usize) -> usize {
    beta_churn(&scenario.cohorts[c]).map_or(1, |(a, b)| {
        approx::churn_rule(
            a,
            b,
            scenario.time.periods,
            HazardRange::of(scenario, c).high,
        )
        .len()
    })
}

/// Why the cohort engine cannot simulate a scenario, or `Ok` with the approximations it makes
/// (each measured, see [`approx`]). An approximation smaller than
/// [`approx::EXACT_TOLERANCE`] per customer is not listed.
pub fn support(scenario: &Scenario) -> Result<Vec<Approximation>, String> {
    if let Some(cohort) = scenario
        .cohorts
        .iter()
        .find(|c| matches!(c.retention, Retention::Dropout { .. }))
    {
        return Err(format!(
            "cohort `{}` uses BG/NBD dropout, whose survival depends on each customer's own \
             purchases",
            cohort.name
        ));
    }
    let mut approximations = Vec::new();
    for (c, cohort) in scenario.cohorts.iter().enumerate() {
        if matches!(
            cohort.order_value,
            OrderValue::HeterogeneousGamma { .. } | OrderValue::GammaGamma { .. }
        ) {
            approximations.push(Approximation {
                cohort: c,
                description: format!(
                    "cohort `{}`: order values drawn per order with the mixture's mean and \
                     variance, not per customer (spread not measured)",
                    cohort.name
                ),
                relative_error: None,
            });
        }
        if let Some(strata) = churn_strata(scenario, c) {
            if strata.is_exact() {
                continue;
            }
            let horizon = scenario.time.periods;
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

/// One cohort's strata: churn propensity θ_j at the Gauss nodes, and per origin the customers
/// and their total purchase rate in each stratum.
struct Strata<'a> {
    cohort: &'a Cohort,
    rule: QuadratureRule,
    count: [Vec<u64>; 2],
    rate: [Vec<f64>; 2],
    /// `(destination, per-period probability)`; the rest stay.
    migration: Vec<(usize, f64)>,
    /// Probabilities of [leave, move to each destination, stay], reused per stratum.
    outcome_probs: Vec<f64>,
    outcome_counts: Vec<u64>,
    entry_counts: Vec<u64>,
}

impl<'a> Strata<'a> {
    fn new(scenario: &'a Scenario, c: usize) -> Self {
        let cohort = &scenario.cohorts[c];
        let rule = match cohort.retention {
            Retention::Rate { rate } => QuadratureRule::point(1.0 - rate),
            Retention::MeanConcentration { mean, .. } if mean >= 1.0 => QuadratureRule::point(0.0),
            Retention::MeanConcentration { mean, .. } if mean <= 0.0 => QuadratureRule::point(1.0),
            _ => beta_churn(cohort).map_or_else(
                || QuadratureRule::point(0.0),
                |(a, b)| {
                    approx::churn_rule(
                        a,
                        b,
                        scenario.time.periods,
                        HazardRange::of(scenario, c).high,
                    )
                },
            ),
        };
        let strata = rule.nodes.len();
        let mut cumulative = 0.0;
        let migration: Vec<(usize, f64)> = scenario
            .migration
            .get(c)
            .map(|row| {
                row.iter()
                    .map(|&(to, p)| {
                        // Rows drawn under [uncertainty] may exceed one; cap like the customer
                        // engine's cumulative thresholds.
                        let capped = p.min(1.0 - cumulative).max(0.0);
                        cumulative += capped;
                        (to, capped)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let outcomes = migration.len() + 2;
        Strata {
            cohort,
            rule,
            count: [vec![0; strata], vec![0; strata]],
            rate: [vec![0.0; strata], vec![0.0; strata]],
            migration,
            outcome_probs: vec![0.0; outcomes],
            outcome_counts: vec![0; outcomes],
            entry_counts: vec![0; strata],
        }
    }

    fn nbd(&self) -> Option<(f64, f64)> {
        match self.cohort.purchases {
            Purchases::NegativeBinomial { mean, shape } => Some((shape, mean / shape)),
            _ => None,
        }
    }

    /// `n` customers enter with `origin`: strata by multinomial on the Gauss weights, rates as
    /// one Gamma(n_j·k, m/k) per stratum (a sum of i.i.d. Gamma rates).
    fn enter(&mut self, origin: usize, n: u64, rng: &mut SimRng) {
        if n == 0 {
            return;
        }
        multinomial(rng, n, &self.rule.weights, &mut self.entry_counts);
        let nbd = self.nbd();
        for (j, &entering) in self.entry_counts.iter().enumerate() {
            if entering == 0 {
                continue;
            }
            self.count[origin][j] += entering;
            if let Some((shape, scale)) = nbd {
                self.rate[origin][j] += gamma(rng, entering as f64 * shape, scale);
            }
        }
    }

    /// Revenue of `orders` orders: exact for a common scale, the moment-matched Gamma for a
    /// customer's own scale (see the module docs).
    fn revenue(&self, orders: u64, rng: &mut SimRng) -> f64 {
        let n = orders as f64;
        match self.cohort.order_value {
            OrderValue::Constant { mean } => mean * n,
            OrderValue::Gamma { mean, cv } => gamma(rng, n / (cv * cv), mean * cv * cv),
            OrderValue::HeterogeneousGamma {
                mean,
                cv,
                customer_cv,
            } => {
                // Var = v²(c² + u² + c²u²) for one order of a random customer.
                let cv2 = cv * cv + customer_cv * customer_cv + cv * cv * customer_cv * customer_cv;
                gamma(rng, n / cv2, mean * cv2)
            }
            OrderValue::GammaGamma { p, q, gamma: g } => {
                // One order of a random customer: mean pγ/(q − 1), squared cv
                // (q − 1 + p)/(p(q − 2)) for q > 2 (infinite variance otherwise: use q → 2⁺'s
                // bound of the shape-p Gamma's own cv² plus one).
                let mean = p * g / (q - 1.0);
                let cv2 = if q > 2.0 {
                    (q - 1.0 + p) / (p * (q - 2.0))
                } else {
                    1.0 / p + 1.0
                };
                gamma(rng, n / cv2, mean * cv2)
            }
        }
    }
}

/// A run's customers as counts per cohort, stratum and origin.
pub struct CohortPopulation<'a> {
    strata: Vec<Strata<'a>>,
    /// Movers waiting to join each cohort, by origin.
    arrivals: Vec<[u64; 2]>,
}

impl<'a> CohortPopulation<'a> {
    pub fn new(scenario: &'a Scenario, rng: &mut SimRng) -> Self {
        let mut strata: Vec<Strata<'a>> = (0..scenario.cohorts.len())
            .map(|c| Strata::new(scenario, c))
            .collect();
        for s in strata.iter_mut() {
            let n = s.cohort.customers;
            s.enter(EXISTING, n, rng);
        }
        let arrivals = vec![[0, 0]; strata.len()];
        CohortPopulation { strata, arrivals }
    }
}

impl Population for CohortPopulation<'_> {
    fn active(&self, c: usize) -> [u64; 2] {
        let s = &self.strata[c];
        [s.count[EXISTING].iter().sum(), s.count[NEW].iter().sum()]
    }

    fn enter(&mut self, c: usize, origin: usize, n: u64, rng: &mut SimRng) {
        self.strata[c].enter(origin, n, rng);
    }

    fn purchase(
        &mut self,
        c: usize,
        multiplier: f64,
        _hazard: f64,
        rng: &mut SimRng,
    ) -> [GroupTotals; 2] {
        let s = &self.strata[c];
        let mut totals = [GroupTotals::default(); 2];
        for origin in [EXISTING, NEW] {
            let customers: u64 = s.count[origin].iter().sum();
            if customers == 0 {
                continue;
            }
            let orders = match s.cohort.purchases {
                Purchases::Fixed { n } => n as u64 * customers,
                Purchases::Poisson { mean } => poisson(rng, multiplier * mean * customers as f64),
                Purchases::NegativeBinomial { .. } => {
                    poisson(rng, multiplier * s.rate[origin].iter().sum::<f64>())
                }
            };
            totals[origin] = GroupTotals {
                customers,
                orders,
                revenue: s.revenue(orders, rng),
            };
        }
        totals
    }

    fn churn_and_migrate(&mut self, c: usize, hazard: f64, rng: &mut SimRng) {
        let s = &mut self.strata[c];
        let nbd = s.nbd();
        let moves = s.migration.len();
        for origin in [EXISTING, NEW] {
            for j in 0..s.rule.nodes.len() {
                let n = s.count[origin][j];
                if n == 0 {
                    continue;
                }
                let leave = (s.rule.nodes[j] * hazard).min(1.0);
                s.outcome_probs[0] = leave;
                let mut moving = 0.0;
                for (d, &(_, p)) in s.migration.iter().enumerate() {
                    s.outcome_probs[1 + d] = (1.0 - leave) * p;
                    moving += p;
                }
                s.outcome_probs[moves + 1] = ((1.0 - leave) * (1.0 - moving)).max(0.0);
                multinomial(rng, n, &s.outcome_probs, &mut s.outcome_counts);
                let stay = s.outcome_counts[moves + 1];
                for (d, &(to, _)) in s.migration.iter().enumerate() {
                    self.arrivals[to][origin] += s.outcome_counts[1 + d];
                }
                if nbd.is_some() {
                    // Gamma–Dirichlet: the stayers are a random subset of the stratum, so
                    // their total rate is the total × Beta(stay·k, (n − stay)·k).
                    let shape = nbd.map_or(0.0, |(k, _)| k);
                    let share = beta(rng, stay as f64 * shape, (n - stay) as f64 * shape);
                    s.rate[origin][j] *= share;
                }
                s.count[origin][j] = stay;
            }
        }
    }

    fn settle_migration(&mut self, rng: &mut SimRng) -> Vec<u64> {
        let mut moved = Vec::with_capacity(self.strata.len());
        for (c, waiting) in self.arrivals.iter_mut().enumerate() {
            let [existing, new] = std::mem::take(waiting);
            self.strata[c].enter(EXISTING, existing, rng);
            self.strata[c].enter(NEW, new, rng);
            moved.push(existing + new);
        }
        moved
    }
}

/// Simulates run `run` of `setup` by counts.
pub fn simulate_run(setup: &RunSetup<'_>, seed: u64, run: u64) -> Result<RunResult, SimError> {
    let mut rng = stream(seed, run, Stream::Customers);
    let mut population = CohortPopulation::new(setup.scenario.as_ref(), &mut rng);
    run_periods(setup, &mut population, &mut rng, run)
}
