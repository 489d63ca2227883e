//! Why a search stopped (argmin's `TerminationReason`), said in words for the user.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Termination {
    /// The relative improvement of the objective stayed below `tolerance`, or the projected
    /// gradient vanished (no feasible direction improves): a local optimum.
    Converged { tolerance: f64 },
    /// The iteration limit was reached while the objective was still improving.
    MaxIterations { limit: u64 },
    /// No step along the projected gradient improved the objective, although the gradient
    /// was not zero (a kink, or noise in the objective).
    Stalled,
}

impl Termination {
    /// A sentence for the text report.
    pub fn describe(&self) -> String {
        match self {
            Termination::Converged { tolerance } => format!(
                "converged: no feasible change improved the objective by more than a relative \
                 {tolerance:e}"
            ),
            Termination::MaxIterations { limit } => format!(
                "stopped at the iteration limit ({limit}) while still improving; the result may \
                 not be optimal (raise --max-iterations)"
            ),
            Termination::Stalled => "stalled: no step along the projected gradient improved the \
                                     objective, although it was not flat"
                .to_string(),
        }
    }

    pub fn converged(&self) -> bool {
        matches!(self, Termination::Converged { .. })
    }
}
