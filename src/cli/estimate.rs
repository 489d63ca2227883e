//! The work estimate of a command, announced and checked before it starts
//! ([`crate::sim::estimate`]): every command that simulates says how long it will take when
//! that is above a few seconds, and refuses work past the limit with advice.

use super::CliError;
use super::progress::Console;
use super::simulate::sim_error;
use crate::sim::estimate::Work;

/// Announces `work` (estimated by the library for the command, in the current thread pool)
/// and refuses it past [`crate::sim::estimate::MAX_WORK_SECONDS`].
pub(super) fn announce(console: Console, work: Work) -> Result<Work, CliError> {
    if let Some(note) = work.announcement() {
        console.info(&note);
    }
    work.check().map_err(sim_error)?;
    Ok(work)
}
