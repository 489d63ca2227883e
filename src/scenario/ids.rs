//! Typed ids of the cohorts of a scenario, minted by the scenario, so a public API never takes
//! or returns a bare number that could be a plan, a run or a count (STYLE.md "seal what was
//! validated"). [`super::PlanId`] is the same for plans.

use super::types::{Cohort, Scenario};
use serde::Serialize;

/// A cohort of a scenario, by its position in [`Scenario::cohorts`]. Minted by the scenario
/// ([`Scenario::cohort_id`], [`Scenario::cohort_ids`]) or [`CohortId::FIRST`]. Serializes as
/// the position, as the cohort lists of every JSON output are in cohort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CohortId(usize);

impl CohortId {
    /// The first cohort: every validated scenario has at least one.
    pub const FIRST: CohortId = CohortId(0);

    /// The id of the cohort at `index` (engines and results that keep cohorts in order).
    pub(crate) fn at(index: usize) -> CohortId {
        CohortId(index)
    }

    /// The cohort's position in [`Scenario::cohorts`], the order of every per-cohort list of
    /// a result.
    pub fn index(self) -> usize {
        self.0
    }
}

impl std::fmt::Display for CohortId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::ops::Index<CohortId> for [Cohort] {
    type Output = Cohort;

    fn index(&self, id: CohortId) -> &Cohort {
        &self[id.0]
    }
}

impl std::ops::Index<CohortId> for Vec<Cohort> {
    type Output = Cohort;

    fn index(&self, id: CohortId) -> &Cohort {
        &self[id.0]
    }
}

impl crate::sim::RunResult {
    /// Run totals of cohort `id` of the scenario that ran, if it has one.
    pub fn cohort(&self, id: CohortId) -> Option<&crate::sim::CohortRun> {
        self.cohorts.get(id.0)
    }
}

impl crate::stats::SimulationSummary {
    /// The summary of cohort `id` of the scenario that ran, if it has one.
    pub fn cohort(&self, id: CohortId) -> Option<&crate::stats::CohortSummary> {
        self.cohorts.get(id.0)
    }
}

impl Scenario {
    /// The cohort called `name`, if the scenario has one.
    pub fn cohort_id(&self, name: &str) -> Option<CohortId> {
        self.cohorts
            .iter()
            .position(|c| c.name == name)
            .map(CohortId)
    }

    /// Every cohort of the scenario, in file order.
    pub fn cohort_ids(&self) -> impl Iterator<Item = CohortId> + use<> {
        (0..self.cohorts.len()).map(CohortId)
    }

    /// The cohort `id`, if it is one of this scenario's.
    pub fn cohort(&self, id: CohortId) -> Option<&Cohort> {
        self.cohorts.get(id.0)
    }
}
