//! The decision space: spend per lever (and optionally the retention shares by cohort) ↔ plan.
//!
//! Coordinates are the spend per period of each optimized lever, in [`Lever`] order, then, when
//! `optimize_retention_allocation` is on, one retention share per cohort. Spend lies in
//! {lo ≤ x ≤ hi, Σx ≤ budget}; shares on the simplex. Levers the optimizer may not move keep
//! the baseline plan's schedule, and their largest per-period amount counts against the budget.

use crate::optimize::OptimizeError;
use crate::optimize::projection::BoxBudget;
use crate::scenario::{Lever, Optimize, Plan, Scenario, SpendSchedule};

#[derive(Debug, Clone, PartialEq)]
pub struct PlanSpace {
    /// The optimized levers, in [`Lever`] order.
    pub levers: Vec<Lever>,
    /// The baseline plan; levers not optimized keep its schedules.
    pub template: Plan,
    /// Feasible spend per period of `levers`.
    pub spend: BoxBudget,
    /// The retention shares' simplex, when they are optimized.
    pub shares: Option<BoxBudget>,
    /// Natural size of each coordinate (the budget for spend, 1 for shares), for step sizes.
    pub scale: Vec<f64>,
    /// The budget left for the optimized levers (after the fixed levers), if capped.
    pub budget: Option<f64>,
}

impl PlanSpace {
    /// The space of `optimize` for `scenario`, starting from plan `baseline`.
    pub fn new(
        scenario: &Scenario,
        optimize: &Optimize,
        baseline: &Plan,
    ) -> Result<Self, OptimizeError> {
        let mut levers: Vec<Lever> = optimize.levers.clone();
        levers.sort();
        levers.dedup();
        let levers: Vec<Lever> = levers
            .into_iter()
            .filter(|l| lever_present(scenario, *l))
            .collect();
        let allocate = optimize.optimize_retention_allocation
            && scenario.retention_program.is_some()
            && scenario.cohorts.len() > 1;
        if levers.is_empty() && !allocate {
            return Err(OptimizeError::NoLevers);
        }
        let mut template = baseline.clone();
        template.name = "optimized".to_string();
        let fixed: f64 = Lever::ALL
            .iter()
            .filter(|l| !levers.contains(l))
            .map(|l| {
                baseline.spend[l.index()]
                    .0
                    .iter()
                    .cloned()
                    .fold(0.0, f64::max)
            })
            .sum();
        let budget = optimize.budget.map(|b| (b - fixed).max(0.0));
        let bounds: Vec<(f64, f64)> = levers
            .iter()
            .map(|l| optimize.bounds[l.index()].unwrap_or((0.0, budget.unwrap_or(f64::INFINITY))))
            .collect();
        let spend = BoxBudget::new(
            bounds.iter().map(|b| b.0).collect(),
            bounds.iter().map(|b| b.1).collect(),
            budget,
            false,
        )?;
        let shares = if allocate {
            let n = scenario.cohorts.len();
            Some(BoxBudget::new(vec![0.0; n], vec![1.0; n], Some(1.0), true)?)
        } else {
            None
        };
        let baseline_total: f64 = levers
            .iter()
            .map(|l| baseline.spend[l.index()].at(1, scenario.time.periods_per_year))
            .sum();
        let finite_upper = bounds
            .iter()
            .map(|b| b.1)
            .filter(|u| u.is_finite())
            .fold(0.0, f64::max);
        let spend_scale = budget
            .filter(|b| *b > 0.0)
            .unwrap_or_else(|| baseline_total.max(finite_upper).max(1.0));
        let mut scale = vec![spend_scale; levers.len()];
        if let Some(s) = &shares {
            scale.extend(std::iter::repeat_n(1.0, s.lower.len()));
        }
        Ok(PlanSpace {
            levers,
            template,
            spend,
            shares,
            scale,
            budget,
        })
    }

    pub fn dim(&self) -> usize {
        self.scale.len()
    }

    /// The plan at `x`: constant spend per period on each optimized lever.
    pub fn plan(&self, x: &[f64]) -> Plan {
        let mut plan = self.template.clone();
        for (i, lever) in self.levers.iter().enumerate() {
            plan.spend[lever.index()] = SpendSchedule::constant(x[i].max(0.0));
        }
        if self.shares.is_some() {
            plan.retention_allocation = Some(x[self.levers.len()..].to_vec());
        }
        plan
    }

    /// The nearest feasible point.
    pub fn project(&self, x: &[f64]) -> Vec<f64> {
        let k = self.levers.len();
        let mut y = self.spend.project(&x[..k]);
        if let Some(shares) = &self.shares {
            y.extend(shares.project(&x[k..]));
        }
        y
    }

    /// The bounds of coordinate `i`.
    pub fn bounds(&self, i: usize) -> (f64, f64) {
        let k = self.levers.len();
        match &self.shares {
            Some(s) if i >= k => (s.lower[i - k], s.upper[i - k]),
            _ => (self.spend.lower[i], self.spend.upper[i]),
        }
    }

    /// The baseline plan's point (its first-year spend, and its or the programme's
    /// retention shares), projected onto the feasible set.
    pub fn baseline_point(&self, scenario: &Scenario) -> Vec<f64> {
        let mut x: Vec<f64> = self
            .levers
            .iter()
            .map(|l| self.template.spend[l.index()].at(1, scenario.time.periods_per_year))
            .collect();
        if self.shares.is_some() {
            x.extend(initial_shares(scenario, &self.template));
        }
        self.project(&x)
    }

    /// The budget (or the scale, uncapped) split equally, projected.
    pub fn equal_point(&self, scenario: &Scenario) -> Vec<f64> {
        let k = self.levers.len();
        let each = self
            .budget
            .unwrap_or(self.scale.first().copied().unwrap_or(1.0))
            / k.max(1) as f64;
        let mut x = vec![each; k];
        if self.shares.is_some() {
            x.extend(initial_shares(scenario, &self.template));
        }
        self.project(&x)
    }

    /// `x` rounded to what a planner would write: spend down to whole currency units (never
    /// above the budget) and shares to six decimals summing to exactly 1.
    pub fn rounded(&self, x: &[f64]) -> Vec<f64> {
        let k = self.levers.len();
        let mut y: Vec<f64> = (0..k)
            .map(|i| {
                let (lo, hi) = self.bounds(i);
                if self.scale[i] >= 100.0 {
                    x[i].floor().clamp(lo, hi)
                } else {
                    x[i]
                }
            })
            .collect();
        if let Some(budget) = self.budget {
            // Rounding never raises a sum of floors, but bounds may; project to be sure.
            if y.iter().sum::<f64>() > budget {
                y = self.spend.project(&y);
            }
        }
        if self.shares.is_some() {
            let mut shares: Vec<f64> = x[k..].iter().map(|s| (s * 1e6).round() / 1e6).collect();
            let largest = (0..shares.len())
                .max_by(|&a, &b| shares[a].total_cmp(&shares[b]))
                .unwrap_or(0);
            let others: f64 = (0..shares.len())
                .filter(|&i| i != largest)
                .map(|i| shares[i])
                .sum();
            shares[largest] = 1.0 - others;
            y.extend(shares);
        }
        y
    }
}

fn initial_shares(scenario: &Scenario, plan: &Plan) -> Vec<f64> {
    let n = scenario.cohorts.len();
    plan.retention_allocation
        .clone()
        .or_else(|| scenario.retention_program.as_ref()?.allocation.clone())
        .unwrap_or_else(|| {
            let total: f64 = scenario.cohorts.iter().map(|c| c.customers as f64).sum();
            if total > 0.0 {
                scenario
                    .cohorts
                    .iter()
                    .map(|c| c.customers as f64 / total)
                    .collect()
            } else {
                vec![1.0 / n as f64; n]
            }
        })
}

/// Whether spend on `lever` can have an effect (its section exists).
pub fn lever_present(scenario: &Scenario, lever: Lever) -> bool {
    match lever {
        Lever::Acquisition => scenario.acquisition.is_some(),
        Lever::Retention => scenario.retention_program.is_some(),
        other => other
            .driver()
            .is_some_and(|d| scenario.drivers[d.index()].is_some()),
    }
}
