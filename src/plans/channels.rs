//! What each acquisition channel buys (SPEC §4, §9): customers acquired, what they cost, what
//! they are worth, and the ratio — the comparison a strategist needs to fund "a channel with a
//! higher cost per customer because its customers are worth more".
//!
//! The value of a channel's customers is measured, not assumed: on the same runs (common random
//! numbers) the plan is simulated once more without the channel's spend, and the channel's
//! value in run k is CE_k(plan) − CE_k(plan without the channel) + the channel's discounted
//! spend and onboarding in run k — the discounted contribution of the customers it brought
//! (their margin, extra value and referrals, net of cost to serve and retention spend), which
//! is what the CE of SPEC §9 loses without them. Each channel has its own random stream
//! (SPEC §11), so removing one changes no other channel's draws.

use crate::scenario::{Lever, Plan, Scenario, SpendSchedule};
use crate::sim::{self, SimError, SimOptions, Simulation};
use crate::stats::ChannelSummary;
use crate::stats::describe::{describe, mean};

/// The channels of `scenario` under `plan`, given the plan's `simulation` made with `options`.
/// Simulates the plan once more per channel with that channel's spend removed, on the same runs
/// and engine.
pub fn channel_summaries(
    scenario: &Scenario,
    plan: &Plan,
    simulation: &Simulation,
    options: &SimOptions,
) -> Result<Vec<ChannelSummary>, SimError> {
    let Some(acquisition) = &scenario.acquisition else {
        return Ok(Vec::new());
    };
    let options = SimOptions {
        engine: simulation.engine,
        ..options.clone()
    };
    let runs = &simulation.runs;
    let mut out = Vec::with_capacity(acquisition.channels.len());
    for (ch, channel) in acquisition.channels.iter().enumerate() {
        let lever = if acquisition.single {
            Lever::Acquisition
        } else {
            Lever::Channel(ch as u16)
        };
        let mut without = plan.clone();
        without.set(
            lever,
            SpendSchedule::constant(0.0),
            acquisition.channels.len(),
        );
        let spends: f64 = runs.iter().map(|r| r.channels[ch].spend).sum();
        let values: Vec<f64> = if spends > 0.0 {
            let other = sim::run_plan_range(scenario, &without, &options, 0..runs.len() as u64)?;
            runs.iter()
                .zip(&other.runs)
                .map(|(with, without)| {
                    let own = &with.channels[ch];
                    with.customer_equity - without.customer_equity + own.spend + own.onboarding
                })
                .collect()
        } else {
            vec![0.0; runs.len()]
        };
        let value = describe(&values);
        let column = |f: fn(&sim::ChannelRun) -> f64| -> f64 {
            mean(&runs.iter().map(|r| f(&r.channels[ch])).collect::<Vec<_>>())
        };
        let acquired = column(|c| c.acquired);
        let acquired_discounted = column(|c| c.acquired_discounted);
        let spend = column(|c| c.spend);
        let onboarding = column(|c| c.onboarding);
        let cost = spend + onboarding;
        let per_customer = |x: f64| (acquired_discounted > 0.0).then(|| x / acquired_discounted);
        out.push(ChannelSummary {
            name: channel.name.clone(),
            acquired,
            spend,
            onboarding,
            cost_per_customer: per_customer(cost),
            value: value.mean,
            value_std_error: value.std_error,
            value_ci95: value.ci95,
            value_per_customer: per_customer(value.mean),
            value_to_cost: (cost > 0.0).then(|| value.mean / cost),
        });
    }
    Ok(out)
}
