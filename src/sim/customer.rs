//! The per-customer engine: every customer, every period, exactly as SPEC §3–8 describe.
//!
//! Each customer carries the traits it drew on entering its cohort (churn propensity or dropout
//! probability, purchase rate, own order-value scale) and its origin. Where a sum over customers
//! has an exact one-draw distribution it is drawn once per cohort and origin: orders given the
//! customers' rates are Poisson(Σ λ_i·multiplier) (a sum of independent Poissons), order values
//! with a common Gamma scale sum to one Gamma draw, and referrals are Poisson(referrals × active).
//! What is left per customer is one uniform for churn (plus one for migration where a cohort has
//! any), and per-customer orders where dropout or an own order-value scale makes them matter.

use rand::RngExt;

use crate::model::dist::{PreparedLaw, beta, binomial, gamma, poisson};
use crate::scenario::{Cohort, OrderValue, Purchases, Retention, Scenario};
use crate::sim::period::{Departure, EXISTING, GroupTotals, Leavers, NEW, Population, run_periods};
use crate::sim::rng::{SimRng, Stream, stream};
use crate::sim::setup::RunSetup;
use crate::sim::size::PopulationCap;
use crate::sim::{RunResult, SimError};

/// The most customers one run may ever hold at once (about 2.4 GB of customer records per
/// thread); a run is normally stopped far earlier, at its [`crate::sim::size::PopulationCap`].
pub const MAX_POPULATION: usize = 50_000_000;

/// One customer's traits, drawn on entry to a cohort (SPEC §2).
#[derive(Debug, Clone, Copy)]
struct Customer {
    /// Churn propensity θ, or BG/NBD dropout probability p for dropout cohorts.
    churn: f64,
    /// Purchase rate λ (orders per period before multipliers).
    rate: f64,
    /// Own mean order value v_i (customer_cv form) or Gamma-Gamma rate ν_i; unused otherwise.
    value_scale: f64,
}

/// Each cohort's customers split by origin, so a group's size is its length.
type Groups = Vec<[Vec<Customer>; 2]>;

/// Per-cohort constants of a run.
struct CohortPlan<'a> {
    cohort: &'a Cohort,
    dropout: bool,
    /// Order values need each customer's own scale (customer_cv or Gamma-Gamma).
    own_value_scale: bool,
    /// The cohort's own trait laws with their samplers set up once per run, not once per
    /// customer (the draws are those of [`beta`] and [`gamma`], bit for bit): the churn
    /// propensity (the complement of a Beta retention probability where `churn_complement`),
    /// the purchase rate and the own order-value scale.
    churn_law: PreparedLaw,
    churn_complement: bool,
    rate_law: PreparedLaw,
    value_law: PreparedLaw,
}

/// Cumulative migration thresholds `(destination, cumulative probability)` of a row, each
/// capped at one (rows drawn under `[uncertainty]` may exceed it).
fn cumulative_row(row: &[(usize, f64)]) -> Vec<(usize, f64)> {
    let mut cumulative = 0.0;
    row.iter()
        .map(|&(to, p)| {
            cumulative = (cumulative + p).min(1.0);
            (to, cumulative)
        })
        .collect()
}

impl<'a> CohortPlan<'a> {
    fn new(scenario: &'a Scenario, index: usize) -> Self {
        let cohort = &scenario.cohorts[index];
        let (churn_law, churn_complement) = match cohort.retention {
            Retention::Rate { rate } => (PreparedLaw::Fixed(1.0 - rate), false),
            Retention::MeanConcentration {
                mean,
                concentration,
            } => (
                PreparedLaw::beta(mean * concentration, (1.0 - mean) * concentration),
                true,
            ),
            Retention::ShiftedBetaGeometric { alpha, beta: b }
            | Retention::Dropout { alpha, beta: b } => (PreparedLaw::beta(alpha, b), false),
        };
        let rate_law = match cohort.purchases {
            Purchases::Fixed { n } => PreparedLaw::Fixed(n),
            Purchases::Poisson { mean } => PreparedLaw::Fixed(mean),
            Purchases::NegativeBinomial { mean, shape } => PreparedLaw::gamma(shape, mean / shape),
        };
        let value_law = match cohort.order_value {
            OrderValue::HeterogeneousGamma {
                mean, customer_cv, ..
            } => PreparedLaw::gamma(
                1.0 / (customer_cv * customer_cv),
                mean * customer_cv * customer_cv,
            ),
            // ν_i ~ Gamma(shape q, rate γ).
            OrderValue::GammaGamma { q, gamma: g, .. } => PreparedLaw::gamma(q, 1.0 / g),
            _ => PreparedLaw::Fixed(0.0),
        };
        CohortPlan {
            cohort,
            churn_law,
            churn_complement,
            rate_law,
            value_law,
            dropout: matches!(cohort.retention, Retention::Dropout { .. }),
            own_value_scale: matches!(
                cohort.order_value,
                OrderValue::HeterogeneousGamma { .. } | OrderValue::GammaGamma { .. }
            ),
        }
    }

    /// Draws a customer's traits from this cohort (SPEC §2).
    fn draw(&self, rng: &mut SimRng) -> Customer {
        self.draw_given(rng, None, None, None)
    }

    /// Draws a customer's traits, with the churn (or dropout) propensity from Beta(`churn`),
    /// the purchase rate from Gamma(shape, rate) `rate` and the Gamma-Gamma ν from
    /// Gamma(shape, rate) `value` where the customer's past has conditioned them (`history`,
    /// `tenure`), else from the cohort's laws.
    fn draw_given(
        &self,
        rng: &mut SimRng,
        churn: Option<(f64, f64)>,
        rate: Option<(f64, f64)>,
        value: Option<(f64, f64)>,
    ) -> Customer {
        let churn = match churn {
            Some((a, b)) => beta(rng, a, b),
            None if self.churn_complement => 1.0 - self.churn_law.sample(rng),
            None => self.churn_law.sample(rng),
        };
        let rate = match rate {
            Some((shape, rate)) => gamma(rng, shape, 1.0 / rate),
            None => self.rate_law.sample(rng),
        };
        let value_scale = match (self.cohort.order_value, value) {
            (OrderValue::GammaGamma { .. }, Some((shape, rate))) => gamma(rng, shape, 1.0 / rate),
            _ => self.value_law.sample(rng),
        };
        Customer {
            churn,
            rate,
            value_scale,
        }
    }

    /// The existing base of the cohort: fresh draws, or customers conditioned on their past.
    /// A history group of n customers has Binomial(n, P(alive)) still alive, each with
    /// λ ~ Gamma(r + x, α + T) and p ~ Beta(a, b + x); those gone are not simulated
    /// ([`crate::sim::setup::history_posterior`]). A tenure group's customers have
    /// θ ~ Beta(α, β + n).
    fn existing_base(&self, rng: &mut SimRng) -> Vec<Customer> {
        use crate::scenario::ExistingBase;
        use crate::sim::setup;
        match &self.cohort.existing {
            ExistingBase::Fresh => (0..self.cohort.customers).map(|_| self.draw(rng)).collect(),
            ExistingBase::History(groups) => {
                let Some(params) = setup::bgnbd_parameters(self.cohort) else {
                    return Vec::new();
                };
                let mut base = Vec::new();
                for group in groups.0.iter() {
                    let posterior =
                        setup::history_posterior(params, group, &self.cohort.order_value);
                    let alive = binomial(rng, group.count, posterior.p_alive);
                    let rate = Some((posterior.rate_shape, posterior.rate_rate));
                    base.extend((0..alive).map(|_| {
                        self.draw_given(rng, Some(posterior.dropout), rate, posterior.value_scale)
                    }));
                }
                base
            }
            ExistingBase::Tenure(groups) => {
                let prior = setup::beta_churn(self.cohort);
                let mut base = Vec::new();
                for group in groups {
                    let churn = prior.map(|law| setup::tenured_churn(law, group.renewals));
                    base.extend((0..group.count).map(|_| self.draw_given(rng, churn, None, None)));
                }
                base
            }
        }
    }

    /// Total value of `orders` orders sharing the cohort's common scale (Constant or Gamma
    /// forms): a sum of n Gamma(1/cv², v·cv²) values is one Gamma(n/cv², v·cv²) draw.
    fn common_scale_revenue(&self, rng: &mut SimRng, orders: u64) -> f64 {
        match self.cohort.order_value {
            OrderValue::Constant { mean } => mean * orders as f64,
            OrderValue::Gamma { mean, cv } => gamma(rng, orders as f64 / (cv * cv), mean * cv * cv),
            _ => unreachable_scale(),
        }
    }

    /// Revenue of `orders` orders of a customer with its own scale.
    fn own_scale_revenue(&self, rng: &mut SimRng, orders: u64, scale: f64) -> f64 {
        if orders == 0 {
            return 0.0;
        }
        match self.cohort.order_value {
            OrderValue::HeterogeneousGamma { cv, .. } => {
                gamma(rng, orders as f64 / (cv * cv), scale * cv * cv)
            }
            // Each order ~ Gamma(shape p, rate ν_i); their sum ~ Gamma(n·p, rate ν_i).
            OrderValue::GammaGamma { p, .. } => gamma(rng, orders as f64 * p, 1.0 / scale),
            OrderValue::Constant { mean } => mean * orders as f64,
            OrderValue::Gamma { mean, cv } => gamma(rng, orders as f64 / (cv * cv), mean * cv * cv),
        }
    }
}

/// Unreachable by construction (callers check `own_value_scale`); kept total so no panic can
/// reach a user: the value returned would be zero revenue.
fn unreachable_scale() -> f64 {
    debug_assert!(false, "common-scale revenue asked of an own-scale cohort");
    0.0
}

/// Every customer of a run, by cohort and origin, with movers waiting to join their destination.
pub struct CustomerPopulation<'a> {
    cohorts: Vec<CohortPlan<'a>>,
    groups: Groups,
    arrivals: Groups,
    /// The most customers the run may hold; entries past it are refused before they are
    /// allocated.
    cap: &'a PopulationCap,
    /// The headcount an entry would have reached past the cap.
    refused: Option<u64>,
}

impl<'a> CustomerPopulation<'a> {
    /// The existing base of every cohort, each customer with its traits drawn.
    pub fn new(scenario: &'a Scenario, rng: &mut SimRng, cap: &'a PopulationCap) -> Self {
        let cohorts: Vec<CohortPlan<'a>> = (0..scenario.cohorts.len())
            .map(|c| CohortPlan::new(scenario, c))
            .collect();
        let groups = cohorts
            .iter()
            .map(|plan| [plan.existing_base(rng), Vec::new()])
            .collect();
        let arrivals = vec![[Vec::new(), Vec::new()]; cohorts.len()];
        CustomerPopulation {
            cohorts,
            groups,
            arrivals,
            cap,
            refused: None,
        }
    }

    /// Customers held now, movers included.
    fn headcount(&self) -> u64 {
        self.groups
            .iter()
            .chain(&self.arrivals)
            .map(|g| (g[0].len() + g[1].len()) as u64)
            .sum()
    }
}

impl Population for CustomerPopulation<'_> {
    fn active(&self, c: usize) -> [u64; 2] {
        [
            self.groups[c][EXISTING].len() as u64,
            self.groups[c][NEW].len() as u64,
        ]
    }

    fn enter(&mut self, c: usize, origin: usize, n: u64, rng: &mut SimRng) {
        let after = self.headcount().saturating_add(n);
        if self.refused.is_some() || after > self.cap.customers {
            // Nothing is allocated; check_size stops the run before its next step.
            self.refused = Some(self.refused.unwrap_or(0).max(after));
            return;
        }
        let plan = &self.cohorts[c];
        self.groups[c][origin].extend((0..n).map(|_| plan.draw(rng)));
    }

    fn purchase(
        &mut self,
        c: usize,
        multiplier: f64,
        hazard: f64,
        rng: &mut SimRng,
    ) -> [GroupTotals; 2] {
        let plan = &self.cohorts[c];
        let mut totals = [GroupTotals::default(); 2];
        for (origin, customers) in self.groups[c].iter_mut().enumerate() {
            if !customers.is_empty() {
                totals[origin] = purchases(plan, customers, rng, multiplier, hazard);
            }
        }
        totals
    }

    fn churn_and_migrate(
        &mut self,
        c: usize,
        departure: Departure<'_>,
        rng: &mut SimRng,
    ) -> Leavers {
        let migration = cumulative_row(departure.migration);
        let mut leavers = Leavers::default();
        for origin in [EXISTING, NEW] {
            let step = Step {
                migration: &migration,
                release: departure.release.clamp(0.0, 1.0),
                origin,
            };
            let left = if let Retention::Rate { rate } = self.cohorts[c].cohort.retention {
                churn_and_migrate_homogeneous(
                    &self.cohorts,
                    ((1.0 - rate) * departure.hazard).min(1.0),
                    &step,
                    &mut self.groups[c][origin],
                    &mut self.arrivals,
                    rng,
                )
            } else {
                churn_and_migrate(
                    &self.cohorts[c],
                    &self.cohorts,
                    &step,
                    &mut self.groups[c][origin],
                    &mut self.arrivals,
                    rng,
                    departure.hazard,
                )
            };
            leavers.churned[origin] = left[0];
            leavers.released[origin] = left[1];
        }
        leavers
    }

    fn settle_migration(&mut self, _rng: &mut SimRng) -> Vec<u64> {
        self.groups
            .iter_mut()
            .zip(self.arrivals.iter_mut())
            .map(|(groups, movers)| {
                let moved = (movers[EXISTING].len() + movers[NEW].len()) as u64;
                for (group, mover) in groups.iter_mut().zip(movers.iter_mut()) {
                    group.append(mover);
                }
                moved
            })
            .collect()
    }

    fn check_size(&self, run: u64, t: u32) -> Result<(), SimError> {
        let total = self.refused.unwrap_or(0).max(self.headcount());
        if self.refused.is_some() || total > self.cap.customers {
            return Err(SimError::TooLarge(format!(
                "run {run} would grow to {total} customers in period {t}, past the {} the \
                 per-customer engine may hold in this study ({}); lower them, shorten the \
                 horizon, or use the cohort engine (--engine cohort) where it can run the \
                 scenario",
                self.cap.customers, self.cap.why
            )));
        }
        Ok(())
    }
}

/// Simulates run `run` of `setup` customer by customer.
///
/// The run stops with [`SimError::TooLarge`] as soon as its customers would pass `cap`
/// ([`crate::sim::size::population_cap`]), before the customers past it are allocated.
pub fn simulate_run(
    setup: &RunSetup<'_>,
    seed: u64,
    run: u64,
    cap: &PopulationCap,
) -> Result<RunResult, SimError> {
    let mut rng = stream(seed, run, Stream::Customers);
    let mut population = CustomerPopulation::new(setup.scenario.as_ref(), &mut rng, cap);
    run_periods(setup, &mut population, seed, run)
}

/// Orders and revenue of one origin group. Per-customer draws only where they matter (BG/NBD
/// dropout, an own order-value scale); otherwise one Poisson for the group's orders given the
/// customers' rates and one Gamma for their value. Dropout customers who leave are marked by a
/// churn propensity of +∞ and removed by [`churn_and_migrate`].
fn purchases(
    plan: &CohortPlan<'_>,
    customers: &mut [Customer],
    rng: &mut SimRng,
    multiplier: f64,
    hazard: f64,
) -> GroupTotals {
    let fixed = match plan.cohort.purchases {
        Purchases::Fixed { n } => Some(n as u64),
        _ => None,
    };
    let mut totals = GroupTotals {
        customers: customers.len() as u64,
        ..GroupTotals::default()
    };
    if !(plan.dropout || plan.own_value_scale) {
        totals.orders = match plan.cohort.purchases {
            Purchases::Fixed { n } => n as u64 * totals.customers,
            Purchases::Poisson { mean } => poisson(rng, multiplier * mean * customers.len() as f64),
            Purchases::NegativeBinomial { .. } => {
                let rates: f64 = customers.iter().map(|c| c.rate).sum();
                poisson(rng, multiplier * rates)
            }
        };
        totals.revenue = plan.common_scale_revenue(rng, totals.orders);
        return totals;
    }
    for customer in customers.iter_mut() {
        let wanted = fixed.unwrap_or_else(|| poisson(rng, multiplier * customer.rate));
        let mut placed = wanted;
        if plan.dropout {
            // BG/NBD: after each order the customer drops out with probability p_i scaled by
            // the period's hazard multiplier; later orders are not placed.
            let p = (customer.churn * hazard).min(1.0);
            placed = 0;
            while placed < wanted {
                placed += 1;
                if rng.random::<f64>() < p {
                    customer.churn = f64::INFINITY;
                    break;
                }
            }
        }
        totals.orders += placed;
        if plan.own_value_scale {
            totals.revenue += plan.own_scale_revenue(rng, placed, customer.value_scale);
        }
    }
    if !plan.own_value_scale {
        totals.revenue = plan.common_scale_revenue(rng, totals.orders);
    }
    totals
}

/// One origin group's step 5–6 of a period: the cumulative migration row, the share of
/// stayers released, and the origin movers keep.
struct Step<'m> {
    migration: &'m [(usize, f64)],
    release: f64,
    origin: usize,
}

/// Churn, release and migration of a group whose customers all churn with the same
/// probability `churn` (`{ rate }` retention): a customer leaves with probability
/// leave = churn + (1 − churn)·release, and the gaps between customers to whom something
/// happens (leaving or moving, probability e = leave + (1 − leave)·Σ migration) are i.i.d.
/// Geometric(e), so the engine jumps from one such customer to the next with one draw
/// (inversion, ⌊ln U / ln(1 − e)⌋) and decides what happens with one more: u·e below churn
/// churns, below leave is released, else moves. Exact, and far cheaper than a uniform per
/// customer when e is small. Returns [churned, released].
fn churn_and_migrate_homogeneous(
    cohorts: &[CohortPlan<'_>],
    churn: f64,
    step: &Step<'_>,
    customers: &mut Vec<Customer>,
    arrivals: &mut Groups,
    rng: &mut SimRng,
) -> [u64; 2] {
    let moving = step
        .migration
        .last()
        .map_or(0.0, |&(_, cumulative)| cumulative);
    let leave = churn + (1.0 - churn) * step.release;
    let event = leave + (1.0 - leave) * moving;
    let mut left = [0u64; 2];
    if event <= 0.0 {
        return left;
    }
    if leave >= 1.0 {
        let n = customers.len() as u64;
        if churn >= 1.0 {
            left[0] = n;
        } else {
            // Every stayer is released; who churned first is one binomial.
            left[0] = binomial(rng, n, churn);
            left[1] = n - left[0];
        }
        customers.clear();
        return left;
    }
    let log_no_event = (-event).ln_1p();
    let n = customers.len();
    let (mut read, mut write) = (0usize, 0usize);
    loop {
        let gap = if event >= 1.0 {
            0
        } else {
            let u: f64 = 1.0 - rng.random::<f64>();
            let g = (u.ln() / log_no_event).floor();
            if g >= (n - read) as f64 {
                n - read
            } else {
                g as usize
            }
        };
        let next = read + gap;
        customers.copy_within(read..next, write);
        write += gap;
        if next >= n {
            break;
        }
        // Something happens to customer `next`: churn, release, or move.
        let u = rng.random::<f64>() * event;
        if u < churn {
            left[0] += 1;
        } else if u < leave {
            left[1] += 1;
        } else {
            let v = (u - leave) / (1.0 - leave);
            let to = step
                .migration
                .iter()
                .find(|(_, cumulative)| v < *cumulative)
                .or(step.migration.last())
                .map(|&(to, _)| to);
            if let Some(to) = to {
                arrivals[to][step.origin].push(cohorts[to].draw(rng));
            }
        }
        read = next + 1;
    }
    customers.truncate(write);
    left
}

/// A factor f such that a stayer with (u − leave) ≥ (1 − leave)·f, both sides rounded, is
/// certain not to move: its v = (u − leave)/(1 − leave), rounded, is at least every
/// cumulative threshold m of the row. f = m_max·(1 + 4ε) covers the three roundings (each
/// relative error ≤ ε/2, Higham 2002, §2.2): then (u − leave)/(1 − leave) ≥ m_max·(1 + 2ε)
/// before the division's rounding, so v ≥ m_max after it. The common case (most customers
/// stay) then costs a multiplication instead of a division and a search, with exactly the
/// outcome of the full test. None (always test in full) for an empty row, or one whose
/// thresholds are so small the products could lose precision in subnormal range.
fn certain_stay_factor(migration: &[(usize, f64)]) -> Option<f64> {
    let most = migration
        .iter()
        .map(|&(_, cumulative)| cumulative)
        .fold(0.0, f64::max);
    (!migration.is_empty() && most > 1e-200).then_some(most * (1.0 + 4.0 * f64::EPSILON))
}

/// Churn (step 5), release and migration (6) of one origin group, with one uniform per
/// customer: a customer with churn probability q = min(1, θ·h) churns when u < q, is released
/// when u < leave = q + (1 − q)·release; otherwise (u − leave)/(1 − leave) is again uniform on
/// [0, 1) and chooses the migration destination, if any. Returns [churned, released].
fn churn_and_migrate(
    plan: &CohortPlan<'_>,
    cohorts: &[CohortPlan<'_>],
    step: &Step<'_>,
    customers: &mut Vec<Customer>,
    arrivals: &mut Groups,
    rng: &mut SimRng,
    hazard: f64,
) -> [u64; 2] {
    let mut kept = 0;
    let mut left = [0u64; 2];
    let migrates = !step.migration.is_empty();
    let stay_above = certain_stay_factor(step.migration);
    for index in 0..customers.len() {
        let customer = customers[index];
        let churn = if plan.dropout {
            // Dropout was decided at purchase time (marked +∞); no per-period churn.
            if customer.churn.is_infinite() {
                1.0
            } else {
                0.0
            }
        } else {
            (customer.churn * hazard).min(1.0)
        };
        if churn >= 1.0 {
            left[0] += 1;
            continue;
        }
        let leave = churn + (1.0 - churn) * step.release;
        let needs_draw = leave > 0.0 || migrates;
        let u: f64 = if needs_draw { rng.random() } else { 1.0 };
        if u < leave {
            left[usize::from(u >= churn)] += 1;
            continue;
        }
        let certainly_stays = stay_above.is_some_and(|f| u - leave >= (1.0 - leave) * f);
        if migrates && !certainly_stays {
            let v = (u - leave) / (1.0 - leave);
            if let Some(&(to, _)) = step.migration.iter().find(|(_, cum)| v < *cum) {
                arrivals[to][step.origin].push(cohorts[to].draw(rng));
                continue;
            }
        }
        customers[kept] = customer;
        kept += 1;
    }
    customers.truncate(kept);
    left
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{CashFlowTiming, Time};
    use crate::sim::{EngineKind, SimOptions, run};

    fn time(periods: u32, timing: CashFlowTiming) -> Time {
        Time {
            periods,
            periods_per_year: 12,
            discount_rate: 0.12,
            cash_flow_timing: timing,
        }
    }

    #[test]
    fn constant_retention_matches_the_closed_form() {
        let cohort = Cohort::new(
            "only",
            2000,
            Retention::Rate { rate: 0.9 },
            Purchases::Fixed { n: 1.0 },
            OrderValue::Constant { mean: 10.0 },
        );
        let scenario = Scenario::new("t", time(400, CashFlowTiming::End), vec![cohort]);
        let sim = run(
            &scenario,
            &SimOptions {
                plan: crate::scenario::PlanId::FIRST,
                runs: 200,
                seed: 1,
                engine: EngineKind::Customer,
                limits: Default::default(),
                control: Default::default(),
            },
        )
        .unwrap();
        let ce: Vec<f64> = sim.runs.iter().map(|r| r.customer_equity).collect();
        let d = crate::stats::describe::describe(&ce);
        let per_period = 1.12f64.powf(1.0 / 12.0) - 1.0;
        let expected = 2000.0 * 10.0 / (1.0 + per_period - 0.9);
        assert!(
            (d.mean - expected).abs() < 4.0 * d.std_error,
            "{} vs {expected} ± {}",
            d.mean,
            d.std_error
        );
    }
}
