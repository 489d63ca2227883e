//! The work estimate of a command, announced and checked before it starts
//! ([`crate::sim::estimate`]): every command that simulates says how long it will take when
//! that is above a few seconds, and refuses work past the limit with advice.

use super::CliError;
use super::progress;
use super::simulate::sim_error;
use crate::scenario::Scenario;
use crate::sim::{self, SimOptions, estimate::Work};

/// Announces `runs` run-equivalents of plan `options.plan` (`runs_per_simulation`
/// per simulation) on the engine `options` resolve to, in the current thread pool, and refuses
/// them past [`sim::estimate::MAX_WORK_SECONDS`]. Call it inside the command's thread pool.
pub(super) fn announce(
    command: &str,
    scenario: &Scenario,
    options: &SimOptions,
    runs: f64,
    runs_per_simulation: u64,
) -> Result<Work, CliError> {
    let plan = &scenario.plans[options.plan];
    let choice = sim::choose_engine(scenario, plan, options).map_err(sim_error)?;
    let work = Work::new(
        command,
        scenario,
        plan,
        choice,
        runs,
        runs_per_simulation,
        rayon::current_num_threads(),
    );
    if let Some(note) = work.announcement().filter(|_| !progress::is_quiet()) {
        progress::note(&note);
    }
    work.check().map_err(sim_error)?;
    Ok(work)
}
