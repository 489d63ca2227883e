//! The period loop every engine shares (SPEC §3–5, §9): acquisition, referrals, retention spend,
//! the hazard and purchase multipliers, and the accounting of value into components, origins,
//! cohorts and periods. Engines differ only in how they hold customers and draw what happens to
//! them ([`Population`]).

use crate::model::dist::{binomial_by_inversion, multinomial_by_inversion, poisson};
use crate::scenario::{DriverEffect, Lever, Scenario};
use crate::sim::levers::{LapsedPool, development};
use crate::sim::rng::{Event, SimRng, event_stream, run_key};
use crate::sim::setup::RunSetup;
use crate::sim::{ChannelRun, CohortRun, PeriodRun, RunResult, SimError};

/// Index of the existing base in an origin pair.
pub const EXISTING: usize = 0;
/// Index of customers acquired or referred during the horizon (kept on migration).
pub const NEW: usize = 1;

/// Sums of one cohort-origin group in one period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GroupTotals {
    pub customers: u64,
    pub orders: u64,
    pub revenue: f64,
}

/// What steps 5–6 do to one cohort in one period.
#[derive(Debug, Clone, Copy)]
pub struct Departure<'r> {
    /// The churn hazard multiplier h_{c,t}.
    pub hazard: f64,
    /// The share of customers who did not churn that the plan releases (off-boards, SPEC §7)
    /// before migration, in [0, 1].
    pub release: f64,
    /// The period's migration row `(to, probability)` (SPEC §3, raised by the development
    /// programme, §5a).
    pub migration: &'r [(usize, f64)],
}

/// Who left a cohort in one period, by origin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Leavers {
    /// Churned (or, under BG/NBD, dropped out): they join the lapsed pool (SPEC §5b).
    pub churned: [u64; 2],
    /// Released by off-boarding: gone for good.
    pub released: [u64; 2],
}

/// How an engine holds a run's customers.
pub trait Population {
    /// Active customers of cohort `c`, by origin.
    fn active(&self, c: usize) -> [u64; 2];
    /// `n` customers enter cohort `c` with `origin`, drawing their traits.
    fn enter(&mut self, c: usize, origin: usize, n: u64, rng: &mut SimRng);
    /// Step 2: the orders and revenue of cohort `c`'s groups this period. `hazard` scales BG/NBD
    /// dropout, which happens during purchasing.
    fn purchase(
        &mut self,
        c: usize,
        multiplier: f64,
        hazard: f64,
        rng: &mut SimRng,
    ) -> [GroupTotals; 2];
    /// Steps 5–6: churn with hazard multiplier `departure.hazard`, release of a share of those
    /// who stay, then migration by `departure.migration`. Movers are held until
    /// [`Population::settle_migration`]. Returns who left, counting BG/NBD dropouts of this
    /// period's purchases as churned.
    fn churn_and_migrate(
        &mut self,
        c: usize,
        departure: Departure<'_>,
        rng: &mut SimRng,
    ) -> Leavers;
    /// Movers join their destinations; returns how many entered each cohort.
    fn settle_migration(&mut self, rng: &mut SimRng) -> Vec<u64>;
    /// Refuses to go on when the population has outgrown the engine.
    fn check_size(&self, _run: u64, _t: u32) -> Result<(), SimError> {
        Ok(())
    }
}

/// Runs the periods of one run over `population`. Each step draws from its own stream of
/// (seed, run, step, period, cohort) ([`Event`]), so plans evaluated on the same seed share
/// every draw that their difference does not touch (common random numbers).
pub fn run_periods<P: Population>(
    setup: &RunSetup<'_>,
    population: &mut P,
    seed: u64,
    run: u64,
) -> Result<RunResult, SimError> {
    let key = run_key(seed, run);
    let scenario = setup.scenario.as_ref();
    let n_cohorts = scenario.cohorts.len();
    let mut result = RunResult {
        cohorts: vec![CohortRun::default(); n_cohorts],
        channels: vec![ChannelRun::default(); scenario.channel_count()],
        periods: Vec::with_capacity(scenario.time.periods as usize),
        clamped_draws: setup.clamped_draws,
        ..RunResult::default()
    };
    let mut referred_next = vec![0u64; n_cohorts];
    let mut lapsed = LapsedPool::new(scenario);
    let mut churned = vec![[0u64; 2]; n_cohorts];
    let mut cumulative = 0.0;
    let headcount = |p: &P, c: usize| p.active(c).iter().sum::<u64>();

    for t in 1..=scenario.time.periods {
        let i = t as usize - 1;
        let disc = setup.discount[i];
        let spend = setup.path.spend[i];

        // 1. Acquisition and last period's referrals.
        let (acquired, onboarding) = acquire(setup, t, key, population, &mut result);
        let mut referred = 0u64;
        for (c, waiting) in referred_next.iter_mut().enumerate() {
            let n = std::mem::take(waiting);
            referred += n;
            result.cohorts[c].entered += n as f64;
            if n > 0 {
                let mut rng = event_stream(key, Event::ReferredTraits, t, c);
                population.enter(c, NEW, n, &mut rng);
            }
        }
        // 1c. Win-back of the lapsed pool (SPEC §5b).
        let lapsed_before = lapsed.total();
        let reactivation = match &scenario.winback {
            Some(winback) => {
                let mut entered = vec![0.0; n_cohorts];
                let done = lapsed.reactivate(
                    winback,
                    spend[Lever::Winback],
                    t,
                    key,
                    population,
                    &mut entered,
                );
                for (cohort, n) in result.cohorts.iter_mut().zip(entered) {
                    cohort.entered += n;
                }
                done
            }
            None => Default::default(),
        };
        population.check_size(run, t)?;
        let active: Vec<u64> = (0..n_cohorts).map(|c| headcount(population, c)).collect();
        for (cohort, &n) in result.cohorts.iter_mut().zip(&active) {
            cohort.active.push(n as f64);
        }
        let retention_spent = retention_allocation(setup, spend[Lever::Retention], &active);
        let developed = development(setup, i, spend[Lever::Development], &active);

        let mut period = PeriodRun {
            active: active.iter().sum::<u64>() as f64,
            new: (acquired + referred) as f64,
            ..PeriodRun::default()
        };
        let mut period_value = 0.0;
        for (c, cohort) in scenario.cohorts.iter().enumerate() {
            if active[c] == 0 {
                continue;
            }
            let effects = |pick: fn(&DriverEffect) -> f64| -> [f64; 3] {
                std::array::from_fn(|d| {
                    scenario.drivers[d]
                        .as_ref()
                        .map_or(0.0, |p| cohort.sensitivity[d] * pick(&p.effect))
                })
            };
            let develop = &developed[c];
            let purchase_multiplier = setup.demand[i]
                * setup.path.multiplier(t, effects(|e| e.purchases))
                * develop.purchases;
            let spend_per_customer = match &setup.retention_per_customer {
                Some(fixed) => fixed[i][c],
                None => retention_spent[c] / active[c] as f64,
            };
            let lift = scenario.retention_program.as_ref().map_or(0.0, |p| {
                p.max_churn_reduction * p.curve.fraction(spend_per_customer)
            });
            let hazard = (1.0 - lift)
                * setup.churn[i]
                * setup.path.multiplier(t, effects(|e| -e.retention))
                * develop.hazard;

            // 2. Purchases, 3. value.
            let groups = population.purchase(
                c,
                purchase_multiplier,
                hazard,
                &mut event_stream(key, Event::Purchases, t, c),
            );
            let net_extra = cohort.extra_value.total() - cohort.cost_to_serve;
            let mut cohort_value = 0.0;
            for (origin, group) in groups.iter().enumerate() {
                if group.customers == 0 {
                    continue;
                }
                let customers = group.customers as f64;
                let margin = cohort.margin * group.revenue;
                let retention = customers * spend_per_customer;
                let developing = customers * develop.per_customer;
                let value = margin + customers * net_extra - retention - developing;
                result.components.purchase_margin += disc * margin;
                result.components.extra_value += disc * customers * cohort.extra_value.total();
                result.components.cost_to_serve -= disc * customers * cohort.cost_to_serve;
                result.components.retention -= disc * retention;
                result.components.development -= disc * developing;
                if origin == EXISTING {
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
            // 4. Referrals join next period.
            if cohort.referrals > 0.0 {
                referred_next[cohort.referral_cohort] += poisson(
                    &mut event_stream(key, Event::Referrals, t, c),
                    cohort.referrals * active[c] as f64,
                );
            }
            // 5. Churn, release (off-boarding), 6. migration.
            let departure = Departure {
                hazard,
                release: setup.plan.offboard_share_at(c),
                migration: develop
                    .migration
                    .as_deref()
                    .unwrap_or(&scenario.migration[c]),
            };
            let leavers = population.churn_and_migrate(
                c,
                departure,
                &mut event_stream(key, Event::Churn, t, c),
            );
            churned[c] = leavers.churned;
            period.released += (leavers.released[0] + leavers.released[1]) as f64;
        }
        if let Some(winback) = &scenario.winback {
            lapsed.settle(winback, &churned, t, key);
            churned.iter_mut().for_each(|n| *n = [0, 0]);
        }
        let mut migration_rng = event_stream(key, Event::Migration, t, 0);
        for (c, moved) in population
            .settle_migration(&mut migration_rng)
            .into_iter()
            .enumerate()
        {
            result.cohorts[c].entered += moved as f64;
        }

        let acquisition_spend = spend[Lever::Acquisition];
        let driver_spend = setup.path.driver_spend(t);
        result.components.acquisition -= disc * acquisition_spend;
        result.components.onboarding -= disc * onboarding;
        result.components.drivers -= disc * driver_spend;
        result.origin.new -= disc * (acquisition_spend + onboarding);
        let [back_existing, back_new] =
            [EXISTING, NEW].map(|o| reactivation.spend[o] + reactivation.onboarding[o]);
        result.components.winback -= disc * (reactivation.spend[0] + reactivation.spend[1]);
        result.components.onboarding -=
            disc * (reactivation.onboarding[0] + reactivation.onboarding[1]);
        result.origin.existing -= disc * back_existing;
        result.origin.new -= disc * back_new;
        period.lapsed = lapsed_before as f64;
        period.reactivated = reactivation.customers as f64;
        cumulative += disc
            * (period_value
                - acquisition_spend
                - onboarding
                - driver_spend
                - back_existing
                - back_new);
        period.cumulative_ce = cumulative;
        result.periods.push(period);
    }
    for c in 0..n_cohorts {
        result.cohorts[c].active_end = headcount(population, c) as f64;
    }
    result.customer_equity = cumulative;
    Ok(result)
}

/// The acquisition probability of channel `channel` in period t (SPEC §4):
/// a_{ch,t} = min(1, ceiling_ch·response_ch(E_{ch,t}/prospects_ch)·Π_d exp(e^acquisition_d·L_{d,t}))
/// with E_{ch,t} the channel's adstocked spend (E = S without carryover).
pub fn acquisition_probability(
    scenario: &Scenario,
    setup: &RunSetup<'_>,
    channel: usize,
    t: u32,
) -> f64 {
    let Some(acquisition) = &scenario.acquisition else {
        return 0.0;
    };
    let effects: [f64; 3] = std::array::from_fn(|d| {
        scenario.drivers[d]
            .as_ref()
            .map_or(0.0, |p| p.effect.acquisition)
    });
    acquisition.channels[channel].probability(
        setup.path.channel_adstock[t as usize - 1][channel],
        setup.path.multiplier(t, effects),
    )
}

/// New customers of period t: per channel Binomial(prospects, a_{ch,t}), split across cohorts
/// by the channel's `mix` with an exact multinomial. Returns how many were acquired and their
/// onboarding cost. Channel ch's count and split come from its own stream of the period
/// (channel 0 from the stream the single `[acquisition]` block has always used) and the
/// entrants' traits from each cohort's, so a change in one channel's spend moves no other
/// channel's draws and no other step of the run.
fn acquire<P: Population>(
    setup: &RunSetup<'_>,
    t: u32,
    key: u64,
    population: &mut P,
    result: &mut RunResult,
) -> (u64, f64) {
    let scenario = setup.scenario.as_ref();
    let Some(acquisition) = &scenario.acquisition else {
        return (0, 0.0);
    };
    let i = t as usize - 1;
    let disc = setup.discount[i];
    let mut entering = vec![0u64; scenario.cohorts.len()];
    let mut split = vec![0u64; scenario.cohorts.len()];
    let (mut acquired, mut onboarding) = (0u64, 0.0);
    for (ch, channel) in acquisition.channels.iter().enumerate() {
        let rng = &mut event_stream(key, Event::Acquisition, t, ch);
        let probability = acquisition_probability(scenario, setup, ch, t);
        // By inversion, so the count and the split are monotone in the acquisition probability.
        let count = binomial_by_inversion(rng, channel.prospects, probability);
        multinomial_by_inversion(rng, count, &channel.mix, &mut split);
        for (total, n) in entering.iter_mut().zip(&split) {
            *total += n;
        }
        let cost = channel.onboarding_cost * count as f64;
        let record = &mut result.channels[ch];
        record.acquired += count as f64;
        record.acquired_discounted += disc * count as f64;
        record.spend += disc * setup.path.channel_spend[i][ch];
        record.onboarding += disc * cost;
        acquired += count;
        onboarding += cost;
    }
    for (c, &n) in entering.iter().enumerate() {
        result.cohorts[c].entered += n as f64;
        if n > 0 {
            population.enter(
                c,
                NEW,
                n,
                &mut event_stream(key, Event::AcquiredTraits, t, c),
            );
        }
    }
    (acquired, onboarding)
}

/// Retention spend of a period by cohort (SPEC §5): the plan's budget split by the plan's or the
/// programme's allocation, or in proportion to active customers. A cohort with no active
/// customers spends nothing.
pub fn retention_allocation(setup: &RunSetup<'_>, budget: f64, active: &[u64]) -> Vec<f64> {
    let Some(program) = setup.scenario.retention_program.as_ref() else {
        return vec![0.0; active.len()];
    };
    let allocation = setup
        .plan
        .retention_allocation
        .as_deref()
        .or(program.allocation.as_deref());
    crate::sim::levers::split(budget, allocation, active)
}
