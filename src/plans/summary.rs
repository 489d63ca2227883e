//! The result document of `ceq simulate` (SPEC §13): the summary of one plan's runs with what
//! the command reports beside it — the value of each acquisition channel's customers, the
//! existing base, the off-boarding valuation, payback and the full base of a sample — so a Rust
//! user gets the same document without the command line (issue 14).

use crate::scenario::Scenario;
use crate::sim::{SimError, SimOptions, Simulation};
use crate::stats::{self, SimulationSummary, SummaryContext};

/// The summary `ceq simulate` prints and writes for `simulation`, the runs of plan
/// `options.plan` of `scenario` with `options`.
pub fn simulation_summary(
    scenario: &Scenario,
    simulation: &Simulation,
    options: &SimOptions,
) -> Result<SimulationSummary, SimError> {
    let plan = options.plan;
    let context = SummaryContext {
        scenario,
        plan: &scenario.plans[plan].name,
        seed: options.seed,
    };
    let mut summary = stats::summarize(&context, simulation);
    if !measured_channels(scenario).is_empty() {
        summary.channels = crate::plans::channels::channel_summaries(
            scenario,
            &scenario.plans[plan],
            simulation,
            options,
        )?;
    }
    summary.existing_base = crate::fit::base_value::value_base(scenario);
    summary.offboarding = crate::plans::levers_seed::offboarding_values(
        scenario,
        &scenario.plans[plan],
        &crate::plans::run_values(simulation),
        options,
    )?;
    summary.payback =
        crate::plans::payback::payback(scenario, &scenario.plans[plan], simulation, options)?;
    add_full_base(&mut summary, scenario);
    Ok(summary)
}

/// Marks a summary of a sample (`sample_fraction` < 1, SPEC §9.2) with its fraction and adds
/// the results for the full base; a summary of the whole base is left as it is.
pub fn add_full_base(summary: &mut SimulationSummary, scenario: &Scenario) {
    if scenario.sample_fraction < 1.0 {
        summary.sample_fraction = Some(scenario.sample_fraction);
        summary.full_base = Some(stats::full_base(summary, scenario.sample_fraction));
    }
}

/// The channels whose customers' value `simulate` reports: those of `[[acquisition.channels]]`
/// (the flat `[acquisition]` block reports none, SPEC §13).
pub fn measured_channels(scenario: &Scenario) -> Vec<String> {
    match &scenario.acquisition {
        Some(a) if !a.single => a.channels.iter().map(|c| c.name.clone()).collect(),
        _ => Vec::new(),
    }
}
