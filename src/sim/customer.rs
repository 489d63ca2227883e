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
use rand_distr::{Binomial, Distribution};

use crate::model::dist::{beta, gamma, poisson};
use crate::scenario::{Cohort, Lever, OrderValue, Purchases, Retention, Scenario};
use crate::sim::rng::{SimRng, Stream, stream};
use crate::sim::setup::RunSetup;
use crate::sim::{CohortRun, PeriodRun, RunResult, SimError};

/// The most customers one run may hold at once before the engine stops with an error (about
/// 1.6 GB of customer records per thread).
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

/// Index of the existing base in a [`Cohorts`] origin pair.
const EXISTING: usize = 0;
/// Index of customers acquired or referred during the horizon (kept on migration).
const NEW: usize = 1;

/// Each cohort's customers split by origin, so a group's size is its length.
type Population = Vec<[Vec<Customer>; 2]>;

fn headcount(groups: &[Vec<Customer>; 2]) -> usize {
    groups[EXISTING].len() + groups[NEW].len()
}

/// Per-cohort constants of a run.
struct CohortPlan<'a> {
    cohort: &'a Cohort,
    dropout: bool,
    /// Order values need each customer's own scale (customer_cv or Gamma-Gamma).
    own_value_scale: bool,
    /// Cumulative migration thresholds `(destination, cumulative probability)`.
    migration: Vec<(usize, f64)>,
    /// Net non-purchase value per active customer per period: extra value − cost to serve.
    extra: f64,
}

impl<'a> CohortPlan<'a> {
    fn new(scenario: &'a Scenario, index: usize) -> Self {
        let cohort = &scenario.cohorts[index];
        let mut cumulative = 0.0;
        let migration = scenario
            .migration
            .get(index)
            .map(|row| {
                row.iter()
                    .map(|&(to, p)| {
                        cumulative = (cumulative + p).min(1.0);
                        (to, cumulative)
                    })
                    .collect()
            })
            .unwrap_or_default();
        CohortPlan {
            cohort,
            dropout: matches!(cohort.retention, Retention::Dropout { .. }),
            own_value_scale: matches!(
                cohort.order_value,
                OrderValue::HeterogeneousGamma { .. } | OrderValue::GammaGamma { .. }
            ),
            migration,
            extra: cohort.extra_value.total() - cohort.cost_to_serve,
        }
    }

    /// Draws a customer's traits from this cohort (SPEC §2).
    fn draw(&self, rng: &mut SimRng) -> Customer {
        let churn = match self.cohort.retention {
            Retention::Rate { rate } => 1.0 - rate,
            Retention::MeanConcentration {
                mean,
                concentration,
            } => 1.0 - beta(rng, mean * concentration, (1.0 - mean) * concentration),
            Retention::ShiftedBetaGeometric { alpha, beta: b } => beta(rng, alpha, b),
            Retention::Dropout { alpha, beta: b } => beta(rng, alpha, b),
        };
        let rate = match self.cohort.purchases {
            Purchases::Fixed { n } => n,
            Purchases::Poisson { mean } => mean,
            Purchases::NegativeBinomial { mean, shape } => gamma(rng, shape, mean / shape),
        };
        let value_scale = match self.cohort.order_value {
            OrderValue::HeterogeneousGamma {
                mean, customer_cv, ..
            } => gamma(
                rng,
                1.0 / (customer_cv * customer_cv),
                mean * customer_cv * customer_cv,
            ),
            // ν_i ~ Gamma(shape q, rate γ).
            OrderValue::GammaGamma { q, gamma: g, .. } => gamma(rng, q, 1.0 / g),
            _ => 0.0,
        };
        Customer {
            churn,
            rate,
            value_scale,
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

/// Sums of one cohort-origin group in one period.
#[derive(Debug, Clone, Copy, Default)]
struct GroupTotals {
    customers: u64,
    orders: u64,
    revenue: f64,
}

/// Simulates run `run` of `setup` customer by customer.
pub fn simulate_run(setup: &RunSetup<'_>, seed: u64, run: u64) -> Result<RunResult, SimError> {
    let scenario = setup.scenario.as_ref();
    let mut rng = stream(seed, run, Stream::Customers);
    let cohorts: Vec<CohortPlan<'_>> = (0..scenario.cohorts.len())
        .map(|c| CohortPlan::new(scenario, c))
        .collect();
    let n_cohorts = cohorts.len();
    let mut population: Population = cohorts
        .iter()
        .map(|plan| {
            let existing = (0..plan.cohort.customers)
                .map(|_| plan.draw(&mut rng))
                .collect();
            [existing, Vec::new()]
        })
        .collect();
    let mut result = RunResult {
        cohorts: vec![CohortRun::default(); n_cohorts],
        periods: Vec::with_capacity(scenario.time.periods as usize),
        clamped_draws: setup.clamped_draws,
        ..RunResult::default()
    };
    let mut referred_next = vec![0u64; n_cohorts];
    let mut arrivals: Population = vec![[Vec::new(), Vec::new()]; n_cohorts];
    let mut cumulative = 0.0;

    for t in 1..=scenario.time.periods {
        let i = t as usize - 1;
        let disc = setup.discount[i];
        let spend = setup.path.spend[i];

        // 1. Acquisition and last period's referrals.
        let acquired = acquire(setup, t, &mut rng, &cohorts, &mut population, &mut result);
        let mut referred = 0u64;
        for c in 0..n_cohorts {
            let n = std::mem::take(&mut referred_next[c]);
            referred += n;
            result.cohorts[c].entered += n as f64;
            population[c][NEW].extend((0..n).map(|_| cohorts[c].draw(&mut rng)));
        }
        let total: usize = population.iter().map(headcount).sum();
        if total > MAX_POPULATION {
            return Err(SimError::TooLarge(format!(
                "run {run} grew to {total} customers in period {t}; the per-customer engine \
                 holds at most {MAX_POPULATION}. Lower referrals or acquisition, or shorten the \
                 horizon"
            )));
        }

        // Retention spend per active customer of each cohort (SPEC §5).
        let retention_spent =
            retention_allocation(setup, spend[Lever::Retention.index()], &population);

        let mut period = PeriodRun {
            active: total as f64,
            new: (acquired + referred) as f64,
            ..PeriodRun::default()
        };
        let mut period_value = 0.0;
        for (c, plan) in cohorts.iter().enumerate() {
            let active = headcount(&population[c]);
            if active == 0 {
                continue;
            }
            let cohort = plan.cohort;
            let sensitivity = cohort.sensitivity;
            let effects = |pick: fn(&crate::scenario::DriverEffect) -> f64| -> [f64; 3] {
                std::array::from_fn(|d| {
                    scenario.drivers[d]
                        .as_ref()
                        .map_or(0.0, |p| sensitivity[d] * pick(&p.effect))
                })
            };
            let purchase_multiplier =
                setup.demand[i] * setup.path.multiplier(t, effects(|e| e.purchases));
            let retention_effect = effects(|e| -e.retention);
            let spend_per_customer = retention_spent[c] / active as f64;
            let lift = scenario.retention_program.as_ref().map_or(0.0, |p| {
                p.max_churn_reduction * p.curve.fraction(spend_per_customer)
            });
            let hazard = (1.0 - lift) * setup.churn[i] * setup.path.multiplier(t, retention_effect);

            let groups = step_cohort(
                &cohorts,
                c,
                &mut population[c],
                &mut arrivals,
                &mut rng,
                purchase_multiplier,
                hazard,
            );

            // 3. Value, 4. referrals.
            let mut cohort_value = 0.0;
            for (g, group) in groups.iter().enumerate() {
                if group.customers == 0 {
                    continue;
                }
                let customers = group.customers as f64;
                let margin = cohort.margin * group.revenue;
                let extra = customers * cohort.extra_value.total();
                let serve = customers * cohort.cost_to_serve;
                let retention = customers * spend_per_customer;
                let value = margin + customers * plan.extra - retention;
                result.components.purchase_margin += disc * margin;
                result.components.extra_value += disc * extra;
                result.components.cost_to_serve -= disc * serve;
                result.components.retention -= disc * retention;
                if g == EXISTING {
                    result.origin.existing += disc * value;
                } else {
                    result.origin.new += disc * value;
                }
                cohort_value += value;
                period.orders += group.orders as f64;
                period.revenue += group.revenue;
            }
            result.cohorts[c].customer_equity += disc * cohort_value;
            period_value += cohort_value;
            referred_next[cohort.referral_cohort] +=
                poisson(&mut rng, cohort.referrals * active as f64);
        }
        // 6. Migration: movers join their destination after every cohort has churned.
        for (c, movers) in arrivals.iter_mut().enumerate() {
            result.cohorts[c].entered += headcount(movers) as f64;
            for (group, moved) in population[c].iter_mut().zip(movers.iter_mut()) {
                group.append(moved);
            }
        }

        let onboarding = scenario
            .acquisition
            .as_ref()
            .map_or(0.0, |a| a.onboarding_cost * acquired as f64);
        let acquisition_spend = spend[Lever::Acquisition.index()];
        let driver_spend = setup.path.driver_spend(t);
        result.components.acquisition -= disc * acquisition_spend;
        result.components.onboarding -= disc * onboarding;
        result.components.drivers -= disc * driver_spend;
        result.origin.new -= disc * (acquisition_spend + onboarding);
        cumulative += disc * (period_value - acquisition_spend - onboarding - driver_spend);
        period.cumulative_ce = cumulative;
        result.periods.push(period);
    }
    for (c, groups) in population.iter().enumerate() {
        result.cohorts[c].active_end = headcount(groups) as f64;
    }
    result.customer_equity = cumulative;
    Ok(result)
}

/// New customers of period t (SPEC §4): Binomial(prospects, a_t), split across cohorts by `mix`
/// with sequential binomials (an exact multinomial). Returns how many were acquired.
fn acquire(
    setup: &RunSetup<'_>,
    t: u32,
    rng: &mut SimRng,
    cohorts: &[CohortPlan<'_>],
    population: &mut Population,
    result: &mut RunResult,
) -> u64 {
    let Some(acquisition) = &setup.scenario.acquisition else {
        return 0;
    };
    let spend = setup.path.spend[t as usize - 1][Lever::Acquisition.index()];
    if acquisition.prospects == 0 || spend <= 0.0 {
        return 0;
    }
    let per_prospect = spend / acquisition.prospects as f64;
    let effects: [f64; 3] = std::array::from_fn(|d| {
        setup.scenario.drivers[d]
            .as_ref()
            .map_or(0.0, |p| p.effect.acquisition)
    });
    let probability = (acquisition.ceiling
        * acquisition.curve.fraction(per_prospect)
        * setup.path.multiplier(t, effects))
    .clamp(0.0, 1.0);
    let acquired = binomial(rng, acquisition.prospects, probability);
    let mut remaining = acquired;
    let mut remaining_share = 1.0;
    // The last cohort with a share takes the remainder, so rounding in the shares never loses
    // a customer.
    let last = acquisition.mix.iter().rposition(|&share| share > 0.0);
    for (c, &share) in acquisition.mix.iter().enumerate() {
        if remaining == 0 {
            break;
        }
        let n = if Some(c) == last || share >= remaining_share {
            remaining
        } else {
            binomial(rng, remaining, share / remaining_share)
        };
        remaining -= n;
        remaining_share -= share;
        result.cohorts[c].entered += n as f64;
        population[c][NEW].extend((0..n).map(|_| cohorts[c].draw(rng)));
    }
    acquired
}

fn binomial(rng: &mut SimRng, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    Binomial::new(n, p).map_or(0, |d| d.sample(rng))
}

/// Retention spend of period t by cohort (SPEC §5): the plan's budget split by the plan's or the
/// programme's allocation, or in proportion to active customers. A cohort with no active
/// customers spends nothing.
fn retention_allocation(setup: &RunSetup<'_>, budget: f64, population: &Population) -> Vec<f64> {
    let active: Vec<f64> = population.iter().map(|p| headcount(p) as f64).collect();
    if budget <= 0.0 || setup.scenario.retention_program.is_none() {
        return vec![0.0; active.len()];
    }
    let allocation = setup.plan.retention_allocation.as_ref().or_else(|| {
        setup
            .scenario
            .retention_program
            .as_ref()?
            .allocation
            .as_ref()
    });
    match allocation {
        Some(shares) => shares
            .iter()
            .zip(&active)
            .map(|(share, &n)| if n > 0.0 { budget * share } else { 0.0 })
            .collect(),
        None => {
            let total: f64 = active.iter().sum();
            active
                .iter()
                .map(|&n| if total > 0.0 { budget * n / total } else { 0.0 })
                .collect()
        }
    }
}

/// Purchases (step 2), churn (5) and migration (6) of cohort `c` in one period. Returns the
/// period's totals for the existing and new customers; survivors stay in `groups`, movers are appended to
/// `arrivals[destination]` with traits redrawn from the destination.
fn step_cohort(
    cohorts: &[CohortPlan<'_>],
    c: usize,
    groups: &mut [Vec<Customer>; 2],
    arrivals: &mut Population,
    rng: &mut SimRng,
    purchase_multiplier: f64,
    hazard: f64,
) -> [GroupTotals; 2] {
    let mut totals = [GroupTotals::default(); 2];
    for (origin, customers) in groups.iter_mut().enumerate() {
        if customers.is_empty() {
            continue;
        }
        totals[origin] = purchases(&cohorts[c], customers, rng, purchase_multiplier, hazard);
        churn_and_migrate(cohorts, c, origin, customers, arrivals, rng, hazard);
    }
    totals
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

/// Churn (step 5) and migration (6) of one origin group, with one uniform per customer: a
/// customer with churn probability q = min(1, θ·h) leaves when u < q; otherwise (u − q)/(1 − q) is again
/// uniform on [0, 1) and chooses the migration destination, if any.
fn churn_and_migrate(
    cohorts: &[CohortPlan<'_>],
    c: usize,
    origin: usize,
    customers: &mut Vec<Customer>,
    arrivals: &mut Population,
    rng: &mut SimRng,
    hazard: f64,
) {
    let plan = &cohorts[c];
    let mut kept = 0;
    for index in 0..customers.len() {
        let customer = customers[index];
        let leave = if plan.dropout {
            // Dropout was decided at purchase time (marked +∞); no per-period churn.
            if customer.churn.is_infinite() {
                1.0
            } else {
                0.0
            }
        } else {
            (customer.churn * hazard).min(1.0)
        };
        if leave >= 1.0 {
            continue;
        }
        let needs_draw = leave > 0.0 || !plan.migration.is_empty();
        let u: f64 = if needs_draw { rng.random() } else { 1.0 };
        if u < leave {
            continue;
        }
        if !plan.migration.is_empty() {
            let v = (u - leave) / (1.0 - leave);
            if let Some(&(to, _)) = plan.migration.iter().find(|(_, cum)| v < *cum) {
                arrivals[to][origin].push(cohorts[to].draw(rng));
                continue;
            }
        }
        customers[kept] = customer;
        kept += 1;
    }
    customers.truncate(kept);
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
                plan: 0,
                runs: 200,
                seed: 1,
                engine: EngineKind::Customer,
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
