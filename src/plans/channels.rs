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
//!
//! The per-run values are kept in each [`RunResult`] ([`measure_channel_values`]), so a shard
//! carries them and `ceq merge` describes them ([`describe_channels`]) exactly as the unsharded
//! study does.

use crate::scenario::{Lever, Plan, Scenario, SpendSchedule};
use crate::sim::{self, RunResult, SimError, SimOptions, Simulation};
use crate::stats::ChannelSummary;
use crate::stats::describe::{describe, mean};

/// The channels of `scenario` under `plan`, given the plan's `simulation` (runs 0..n) made with
/// `options`. Simulates the plan once more per channel with that channel's spend removed, on
/// the same runs and engine.
pub fn channel_summaries(
    scenario: &Scenario,
    plan: &Plan,
    simulation: &Simulation,
    options: &SimOptions,
) -> Result<Vec<ChannelSummary>, SimError> {
    let Some(acquisition) = &scenario.acquisition else {
        return Ok(Vec::new());
    };
    let mut measured = simulation.clone();
    measure_channel_values(scenario, plan, &mut measured, options, 0)?;
    let names: Vec<String> = acquisition
        .channels
        .iter()
        .map(|c| c.name.clone())
        .collect();
    Ok(describe_channels(&names, &measured.runs))
}

/// Sets `channel_values` of every run of `simulation`, whose runs are the study's runs
/// `first_run`, `first_run + 1`, … (a shard's slice), each channel's value in that run.
pub fn measure_channel_values(
    scenario: &Scenario,
    plan: &Plan,
    simulation: &mut Simulation,
    options: &SimOptions,
    first_run: u64,
) -> Result<(), SimError> {
    let Some(acquisition) = &scenario.acquisition else {
        return Ok(());
    };
    let options = SimOptions {
        engine: simulation.engine,
        ..options.clone()
    };
    let range = first_run..first_run + simulation.runs.len() as u64;
    let n_channels = acquisition.channels.len();
    for run in simulation.runs.iter_mut() {
        run.channel_values = vec![0.0; n_channels];
    }
    for ch in 0..n_channels {
        let lever = if acquisition.single {
            Lever::Acquisition
        } else {
            Lever::Channel(ch as u16)
        };
        let mut without = plan.clone();
        without.set(lever, SpendSchedule::constant(0.0), n_channels);
        let spends: f64 = simulation.runs.iter().map(|r| r.channels[ch].spend).sum();
        if spends <= 0.0 {
            continue;
        }
        let other = sim::run_plan_range(scenario, &without, &options, range.clone())?;
        for (with, without) in simulation.runs.iter_mut().zip(&other.runs) {
            let own = with.channels[ch];
            with.channel_values[ch] =
                with.customer_equity - without.customer_equity + own.spend + own.onboarding;
        }
    }
    Ok(())
}

/// The summaries of the channels named `names` from runs whose `channel_values` are measured.
pub fn describe_channels(names: &[String], runs: &[RunResult]) -> Vec<ChannelSummary> {
    names
        .iter()
        .enumerate()
        .map(|(ch, name)| {
            let values: Vec<f64> = runs
                .iter()
                .map(|r| r.channel_values.get(ch).copied().unwrap_or(0.0))
                .collect();
            let value = describe(&values);
            let column = |f: fn(&sim::ChannelRun) -> f64| -> f64 {
                mean(&runs.iter().map(|r| f(&r.channels[ch])).collect::<Vec<_>>())
            };
            let acquired = column(|c| c.acquired);
            let acquired_discounted = column(|c| c.acquired_discounted);
            let spend = column(|c| c.spend);
            let onboarding = column(|c| c.onboarding);
            let cost = spend + onboarding;
            let per_customer =
                |x: f64| (acquired_discounted > 0.0).then(|| x / acquired_discounted);
            ChannelSummary {
                name: name.clone(),
                acquired,
                spend,
                onboarding,
                cost_per_customer: per_customer(cost),
                value: value.mean,
                value_std_error: value.std_error,
                value_ci95: value.ci95,
                value_per_customer: per_customer(value.mean),
                value_to_cost: (cost > 0.0).then(|| value.mean / cost),
            }
        })
        .collect()
}
