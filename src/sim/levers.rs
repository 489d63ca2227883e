//! The seed articles' pyramid levers inside the period loop (SPEC §5a, §5b, §7): what the
//! development programme does to a cohort this period, and the lapsed pool of win-back.
//!
//! Both engines share this: the programme changes the hazard, purchase multiplier and
//! migration row they are handed, and the pool is counts by cohort and origin, so the cohort
//! engine stays exact (its churn step is a multinomial over whatever row it is given).

use crate::model::dist::binomial;
use crate::scenario::{Scenario, Winback};
use crate::sim::period::{EXISTING, NEW, Population};
use crate::sim::rng::{Event, event_stream};
use crate::sim::setup::RunSetup;

/// What the development programme does to one cohort in one period (SPEC §5a).
#[derive(Debug, Clone, PartialEq)]
pub struct Development {
    /// Programme spend per active customer of the cohort.
    pub per_customer: f64,
    /// Multiplies the purchase multiplier: 1 + max_purchase_lift·f(s).
    pub purchases: f64,
    /// Multiplies the churn hazard: 1 − max_churn_reduction·f(s).
    pub hazard: f64,
    /// The period's migration row, upgrades raised by max_extra·f(s); `None` keeps
    /// `[migration]`'s.
    pub migration: Option<Vec<(usize, f64)>>,
}

impl Development {
    /// No programme, or no spend on this cohort.
    pub const NONE: Development = Development {
        per_customer: 0.0,
        purchases: 1.0,
        hazard: 1.0,
        migration: None,
    };
}

/// The programme's effect on every cohort this period: the budget split by `allocation` (or
/// in proportion to active customers, like the retention programme, SPEC §5) and evenly over
/// each cohort's active customers, whose spend s moves each effect by its ceiling × f(s),
/// f the response curve of SPEC §5 (Blattberg & Deighton 1996 for the exponential form).
///
/// `period` is t − 1; a run with [`RunSetup::development_per_customer`] (a payback vintage)
/// takes its spend per customer from there instead.
pub fn development(
    setup: &RunSetup<'_>,
    period: usize,
    budget: f64,
    active: &[u64],
) -> Vec<Development> {
    let scenario = setup.scenario.as_ref();
    let Some(program) = &scenario.development_program else {
        return vec![Development::NONE; active.len()];
    };
    let fixed = setup.development_per_customer.as_ref();
    let spent = split(budget, program.allocation.as_deref(), active);
    (0..active.len())
        .map(|c| {
            let per_customer = match fixed {
                Some(fixed) => fixed[period][c],
                None if spent[c] > 0.0 && active[c] > 0 => spent[c] / active[c] as f64,
                None => 0.0,
            };
            if active[c] == 0 || per_customer <= 0.0 {
                return Development::NONE;
            }
            let fraction = program.curve.fraction(per_customer);
            let upgrades = program.upgrades.get(c).is_some_and(|u| !u.is_empty());
            Development {
                per_customer,
                purchases: 1.0 + program.max_purchase_lift * fraction,
                hazard: 1.0 - program.max_churn_reduction * fraction,
                migration: upgrades.then(|| program.row(&scenario.migration[c], c, fraction)),
            }
        })
        .collect()
}

/// `budget` split by `shares` (cohorts without anyone spend nothing) or, without shares, in
/// proportion to `counts` (SPEC §5).
pub fn split(budget: f64, shares: Option<&[f64]>, counts: &[u64]) -> Vec<f64> {
    if budget <= 0.0 {
        return vec![0.0; counts.len()];
    }
    match shares {
        Some(shares) => shares
            .iter()
            .zip(counts)
            .map(|(share, &n)| if n > 0 { budget * share } else { 0.0 })
            .collect(),
        None => {
            let total: u64 = counts.iter().sum();
            counts
                .iter()
                .map(|&n| {
                    if total > 0 {
                        budget * n as f64 / total as f64
                    } else {
                        0.0
                    }
                })
                .collect()
        }
    }
}

/// The lapsed customers of a run by the cohort they lapsed from and their origin (SPEC §5b).
#[derive(Debug, Clone, PartialEq)]
pub struct LapsedPool {
    pub lapsed: Vec<[u64; 2]>,
}

/// What the win-back step of one period did.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reactivation {
    /// Customers reactivated, all cohorts.
    pub customers: u64,
    /// Win-back spend (undiscounted) by origin of the pools it was spent on.
    pub spend: [f64; 2],
    /// Onboarding cost of the reactivated customers, by origin.
    pub onboarding: [f64; 2],
}

impl LapsedPool {
    /// The starting pools of `[winback] pool` (existing origin), or empty pools.
    pub fn new(scenario: &Scenario) -> Self {
        let n = scenario.cohorts.len();
        let lapsed = match &scenario.winback {
            Some(w) => (0..n)
                .map(|c| [w.pool.get(c).copied().unwrap_or(0), 0])
                .collect(),
            None => vec![[0, 0]; n],
        };
        LapsedPool { lapsed }
    }

    pub fn total(&self) -> u64 {
        self.lapsed.iter().map(|p| p[0] + p[1]).sum()
    }

    /// Step 1c: the budget, split by `allocation` (or in proportion to the pools) and evenly
    /// over each pool, reactivates R ~ Binomial(pool, max_reactivation·f(s)) of each cohort
    /// and origin, s the spend per lapsed customer; they re-enter `reenter` (or their own
    /// cohort) with their origin. Each cohort draws from its own stream of the period.
    pub fn reactivate<P: Population>(
        &mut self,
        winback: &Winback,
        budget: f64,
        t: u32,
        key: u64,
        population: &mut P,
        entered: &mut [f64],
    ) -> Reactivation {
        let sizes: Vec<u64> = self.lapsed.iter().map(|p| p[0] + p[1]).collect();
        let spent = split(budget, winback.allocation.as_deref(), &sizes);
        let mut done = Reactivation::default();
        for c in 0..self.lapsed.len() {
            if sizes[c] == 0 {
                continue;
            }
            let share =
                winback.max_reactivation * winback.curve.fraction(spent[c] / sizes[c] as f64);
            let to = winback.reenter.unwrap_or(c);
            let rng = &mut event_stream(key, Event::Winback, t, c);
            let mut back = [0u64; 2];
            for origin in [EXISTING, NEW] {
                let pool = self.lapsed[c][origin];
                done.spend[origin] += spent[c] * pool as f64 / sizes[c] as f64;
                back[origin] = binomial(rng, pool, share.clamp(0.0, 1.0));
                self.lapsed[c][origin] -= back[origin];
            }
            let traits = &mut event_stream(key, Event::WinbackTraits, t, c);
            for origin in [EXISTING, NEW] {
                if back[origin] > 0 {
                    population.enter(to, origin, back[origin], traits);
                    entered[to] += back[origin] as f64;
                    done.onboarding[origin] += winback.onboarding_cost * back[origin] as f64;
                    done.customers += back[origin];
                }
            }
        }
        done
    }

    /// End of period: each pool keeps Binomial(pool, 1 − decay) and gains the cohort's
    /// churners of the period, `churned[c]` by origin.
    pub fn settle(&mut self, winback: &Winback, churned: &[[u64; 2]], t: u32, key: u64) {
        for (c, pool) in self.lapsed.iter_mut().enumerate() {
            if pool[0] + pool[1] > 0 && winback.decay > 0.0 {
                let rng = &mut event_stream(key, Event::LapsedDecay, t, c);
                for n in pool.iter_mut() {
                    *n = binomial(rng, *n, 1.0 - winback.decay);
                }
            }
            for origin in [EXISTING, NEW] {
                pool[origin] += churned[c][origin];
            }
        }
    }
}
