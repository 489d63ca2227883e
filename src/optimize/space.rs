//! The decision space: spend per lever (and optionally the retention shares by cohort) ↔ plan.
//!
//! Coordinates are the spend per period of each optimized lever, in [`Lever`] order — one
//! block per phase (year) when the plan is phased, year-major — then, when
//! `optimize_retention_allocation` is on, one retention share per cohort. Each phase's spend
//! lies in {lo ≤ x ≤ hi, Σx ≤ budget} (the budget holds per period in every year); shares on
//! the simplex. Levers the optimizer may not move keep the baseline plan's schedule, and their
//! largest per-period amount counts against the budget.

use crate::model::discount::Discounting;
use crate::optimize::OptimizeError;
use crate::optimize::projection::BoxBudget;
use crate::scenario::{Lever, Optimize, Plan, Scenario, SpendSchedule};

#[derive(Debug, Clone, PartialEq)]
pub struct PlanSpace {
    /// The optimized levers, in [`Lever`] order (acquisition channels first).
    pub levers: Vec<Lever>,
    /// Each lever's name as written (`acquisition.search` for a channel), like `levers`.
    pub names: Vec<String>,
    /// The scenario's acquisition channels (0 without acquisition).
    pub channels: usize,
    /// The baseline plan; levers not optimized keep its schedules.
    pub template: Plan,
    /// Feasible spend per period of `levers` in one phase.
    pub spend: BoxBudget,
    /// Phases: 1 for one constant level per lever, else one level per lever per year.
    pub phases: usize,
    /// Periods per phase (the horizon when there is one phase).
    pub phase_periods: u32,
    /// Discounted periods of each spend coordinate: Σ δ_t over the periods it covers, so that
    /// one more unit per period there costs this much in present value.
    pub annuity: Vec<f64>,
    /// The retention shares' simplex, when they are optimized.
    pub shares: Option<BoxBudget>,
    /// Off-boarding shares the optimizer chooses (SPEC §7, §10): `(cohort, lo, hi)`, one
    /// coordinate each after the retention shares, within [lo, hi] ⊆ [0, 1] and outside the
    /// budget (releasing customers costs nothing).
    pub offboard: Vec<(usize, f64, f64)>,
    /// Natural size of each coordinate (the budget for spend, 1 for shares), for step sizes.
    pub scale: Vec<f64>,
    /// The budget left for the optimized levers (after the fixed levers), if capped.
    pub budget: Option<f64>,
    /// The spend scale without a cap: the baseline's spend or the largest finite bound (≥ 1).
    pub uncapped_scale: f64,
}

impl PlanSpace {
    /// The space of `optimize` for `scenario`, starting from plan `baseline`.
    pub fn new(
        scenario: &Scenario,
        optimize: &Optimize,
        baseline: &Plan,
    ) -> Result<Self, OptimizeError> {
        Self::phased(scenario, optimize, baseline, false)
    }

    /// The space with one level per lever per year when `yearly` (and the horizon is longer
    /// than a year).
    pub fn phased(
        scenario: &Scenario,
        optimize: &Optimize,
        baseline: &Plan,
        yearly: bool,
    ) -> Result<Self, OptimizeError> {
        let time = &scenario.time;
        let years = time.periods.div_ceil(time.periods_per_year.max(1)) as usize;
        let phases = if yearly { years.max(1) } else { 1 };
        let phase_periods = if phases > 1 {
            time.periods_per_year
        } else {
            time.periods
        };
        // `acquisition` stands for every channel of a scenario with channels.
        let mut levers: Vec<Lever> = optimize
            .levers
            .iter()
            .flat_map(|l| match (l, &scenario.acquisition) {
                (Lever::Acquisition, Some(a)) => a.levers(),
                _ => vec![*l],
            })
            .collect();
        levers.sort();
        levers.dedup();
        let levers: Vec<Lever> = levers
            .into_iter()
            .filter(|l| lever_present(scenario, *l))
            .collect();
        let allocate = optimize.optimize_retention_allocation
            && scenario.retention_program.is_some()
            && scenario.cohorts.len() > 1;
        let offboard: Vec<(usize, f64, f64)> = optimize
            .offboard_bounds
            .iter()
            .enumerate()
            .filter_map(|(c, b)| b.map(|(lo, hi)| (c, lo, hi)))
            .collect();
        if levers.is_empty() && !allocate && offboard.is_empty() {
            return Err(OptimizeError::NoLevers);
        }
        let mut template = baseline.clone();
        template.name = "optimized".to_string();
        let fixed: f64 = all_levers(scenario)
            .iter()
            .filter(|l| !levers.contains(l))
            .map(|l| baseline.schedule(*l).0.iter().cloned().fold(0.0, f64::max))
            .sum();
        let budget = optimize.budget.map(|b| (b - fixed).max(0.0));
        let bounds: Vec<(f64, f64)> = levers
            .iter()
            .map(|l| {
                optimize
                    .bound(*l)
                    .unwrap_or((0.0, budget.unwrap_or(f64::INFINITY)))
            })
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
            .map(|l| baseline.spend_at(*l, 1, scenario.time.periods_per_year))
            .sum();
        let finite_upper = bounds
            .iter()
            .map(|b| b.1)
            .filter(|u| u.is_finite())
            .fold(0.0, f64::max);
        let uncapped_scale = baseline_total.max(finite_upper).max(1.0);
        let spend_scale = budget.filter(|b| *b > 0.0).unwrap_or(uncapped_scale);
        let k = levers.len();
        let mut scale = vec![spend_scale; k * phases];
        if let Some(s) = &shares {
            scale.extend(std::iter::repeat_n(1.0, s.lower.len()));
        }
        scale.extend(std::iter::repeat_n(1.0, offboard.len()));
        let factors = Discounting::new(time).factors(time.periods);
        let annuity = (0..k * phases)
            .map(|j| {
                let phase = j / k.max(1);
                let first = phase * phase_periods as usize;
                let last = (first + phase_periods as usize).min(factors.len());
                factors[first.min(last)..last].iter().sum()
            })
            .collect();
        Ok(PlanSpace {
            names: levers.iter().map(|l| scenario.lever_name(*l)).collect(),
            channels: scenario.channel_count(),
            levers,
            template,
            spend,
            phases,
            phase_periods,
            annuity,
            shares,
            offboard,
            scale,
            budget,
            uncapped_scale,
        })
    }

    /// Retention-share coordinates (0 when they are not optimized).
    pub fn shares_dim(&self) -> usize {
        self.shares.as_ref().map_or(0, |s| s.lower.len())
    }

    /// The first off-boarding coordinate.
    fn offboard_start(&self) -> usize {
        self.spend_dim() + self.shares_dim()
    }

    /// The off-boarding coordinates of `x`, clamped to their bounds.
    fn offboard_point(&self, x: &[f64]) -> Vec<f64> {
        let start = self.offboard_start();
        self.offboard
            .iter()
            .enumerate()
            .map(|(k, &(_, lo, hi))| x.get(start + k).copied().unwrap_or(lo).clamp(lo, hi))
            .collect()
    }

    /// The template's off-boarding shares of the optimized cohorts, clamped to their bounds.
    fn template_offboard(&self) -> Vec<f64> {
        self.offboard
            .iter()
            .map(|&(c, lo, hi)| self.template.offboard_share_at(c).clamp(lo, hi))
            .collect()
    }

    /// Without a budget the spend scale comes from the baseline and the bounds, which may say
    /// nothing (a baseline spending nothing): raise it to `spend`, the total per period of a
    /// plan known to be reasonable (the mean-field optimum), so steps are in proportion.
    pub fn widen_scale(&mut self, spend: f64) {
        if self.budget.is_some() || !spend.is_finite() {
            return;
        }
        for j in 0..self.spend_dim() {
            self.scale[j] = self.scale[j].max(spend);
        }
    }

    /// With a cap far above what the mean-field optimum spends (`spend` per period), steps in
    /// proportion to the cap would jump past every useful plan: the scale becomes twice that
    /// spend (or the baseline scale, whichever is larger), never more than the cap. A binding
    /// cap is left as it is.
    pub fn narrow_scale(&mut self, spend: f64) {
        let Some(budget) = self.budget else {
            return;
        };
        if !spend.is_finite() || 4.0 * spend >= budget {
            return;
        }
        let floor = self.uncapped_scale;
        for j in 0..self.spend_dim() {
            self.scale[j] = self.scale[j].min((2.0 * spend).max(floor));
        }
    }

    pub fn dim(&self) -> usize {
        self.scale.len()
    }

    /// Spend coordinates: levers × phases.
    pub fn spend_dim(&self) -> usize {
        self.levers.len() * self.phases
    }

    /// The lever and phase (0-based year; 0 when unphased) of spend coordinate `j`.
    pub fn coordinate(&self, j: usize) -> (Lever, usize) {
        let k = self.levers.len().max(1);
        (self.levers[j % k], j / k)
    }

    /// The spend coordinates of phase `phase`.
    pub fn phase_range(&self, phase: usize) -> std::ops::Range<usize> {
        let k = self.levers.len();
        phase * k..(phase + 1) * k
    }

    /// The spend per period of lever `i` (index into `levers`) in each phase.
    pub fn lever_path(&self, x: &[f64], i: usize) -> Vec<f64> {
        let k = self.levers.len();
        (0..self.phases).map(|p| x[p * k + i]).collect()
    }

    /// The plan at `x`: per optimized lever one spend per period, or one per year when phased.
    pub fn plan(&self, x: &[f64]) -> Plan {
        let mut plan = self.template.clone();
        for (i, lever) in self.levers.iter().enumerate() {
            let path: Vec<f64> = self
                .lever_path(x, i)
                .into_iter()
                .map(|v| v.max(0.0))
                .collect();
            plan.set(*lever, SpendSchedule(path), self.channels);
        }
        if self.shares.is_some() {
            let k = self.spend_dim();
            plan.retention_allocation = Some(x[k..k + self.shares_dim()].to_vec());
        }
        if !self.offboard.is_empty() {
            let n = plan
                .offboard
                .len()
                .max(self.offboard.iter().map(|o| o.0 + 1).max().unwrap_or(0));
            plan.offboard.resize(n, 0.0);
            for (&(c, _, _), share) in self.offboard.iter().zip(self.offboard_point(x)) {
                plan.offboard[c] = share;
            }
        }
        plan
    }

    /// The nearest feasible point.
    pub fn project(&self, x: &[f64]) -> Vec<f64> {
        let mut y = Vec::with_capacity(x.len());
        for phase in 0..self.phases {
            y.extend(self.spend.project(&x[self.phase_range(phase)]));
        }
        if let Some(shares) = &self.shares {
            let k = self.spend_dim();
            y.extend(shares.project(&x[k..k + self.shares_dim()]));
        }
        y.extend(self.offboard_point(x));
        y
    }

    /// The bounds of coordinate `i`.
    pub fn bounds(&self, i: usize) -> (f64, f64) {
        let n = self.spend_dim();
        if i >= self.offboard_start() {
            let (_, lo, hi) = self.offboard[i - self.offboard_start()];
            return (lo, hi);
        }
        match &self.shares {
            Some(s) if i >= n => (s.lower[i - n], s.upper[i - n]),
            _ => {
                let j = i % self.levers.len().max(1);
                (self.spend.lower[j], self.spend.upper[j])
            }
        }
    }

    /// The baseline plan's point (its spend in each phase's first period, and its or the
    /// programme's retention shares), projected onto the feasible set.
    pub fn baseline_point(&self, scenario: &Scenario) -> Vec<f64> {
        let ppy = scenario.time.periods_per_year;
        let mut x: Vec<f64> = (0..self.spend_dim())
            .map(|j| {
                let (lever, phase) = self.coordinate(j);
                let t = phase as u32 * self.phase_periods + 1;
                self.template.spend_at(lever, t, ppy)
            })
            .collect();
        if self.shares.is_some() {
            x.extend(initial_shares(scenario, &self.template));
        }
        x.extend(self.template_offboard());
        self.project(&x)
    }

    /// The budget (or the scale, uncapped) split equally, projected.
    pub fn equal_point(&self, scenario: &Scenario) -> Vec<f64> {
        let k = self.levers.len();
        let each = self
            .budget
            .unwrap_or(self.scale.first().copied().unwrap_or(1.0))
            / k.max(1) as f64;
        let mut x = vec![each; self.spend_dim()];
        if self.shares.is_some() {
            x.extend(initial_shares(scenario, &self.template));
        }
        // Off-boarding starts half-way, so the search sees both directions.
        x.extend(self.offboard.iter().map(|&(_, lo, hi)| 0.5 * (lo + hi)));
        self.project(&x)
    }

    /// `x` rounded to what a planner would write: spend down to whole currency units (never
    /// above the budget) and shares to six decimals summing to exactly 1.
    pub fn rounded(&self, x: &[f64]) -> Vec<f64> {
        let k = self.spend_dim();
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
            for phase in 0..self.phases {
                let range = self.phase_range(phase);
                if y[range.clone()].iter().sum::<f64>() > budget {
                    let projected = self.spend.project(&y[range.clone()]);
                    y[range].copy_from_slice(&projected);
                }
            }
        }
        if self.shares.is_some() {
            let mut shares: Vec<f64> = x[k..k + self.shares_dim()]
                .iter()
                .map(|s| (s * 1e6).round() / 1e6)
                .collect();
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
        // Off-boarding shares to four decimals (0.01 % of a cohort a period).
        y.extend(
            self.offboard_point(x)
                .into_iter()
                .zip(&self.offboard)
                .map(|(v, &(_, lo, hi))| ((v * 1e4).round() / 1e4).clamp(lo, hi)),
        );
        y
    }
    /// The name of `lever` as written, if it is one of the space's.
    pub fn name_of(&self, lever: Lever) -> &str {
        self.levers
            .iter()
            .position(|l| *l == lever)
            .map_or(lever.name(), |i| self.names[i].as_str())
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

/// Every lever a plan of `scenario` can spend on: the acquisition levers (`acquisition` or
/// one per channel), retention and the three drivers, and the development and win-back levers
/// when their sections exist (a plan cannot spend on them otherwise).
pub fn all_levers(scenario: &Scenario) -> Vec<Lever> {
    let mut levers = match &scenario.acquisition {
        Some(a) => a.levers(),
        None => vec![Lever::Acquisition],
    };
    levers.extend(Lever::ALL[1..].iter().copied().filter(|l| {
        !matches!(l, Lever::Development | Lever::Winback) || lever_present(scenario, *l)
    }));
    levers
}

/// Whether spend on `lever` can have an effect (its section exists).
pub fn lever_present(scenario: &Scenario, lever: Lever) -> bool {
    match lever {
        Lever::Acquisition => scenario.acquisition.as_ref().is_some_and(|a| a.single),
        Lever::Channel(i) => scenario
            .acquisition
            .as_ref()
            .is_some_and(|a| !a.single && (i as usize) < a.channels.len()),
        Lever::Retention => scenario.retention_program.is_some(),
        Lever::Development => scenario.development_program.is_some(),
        Lever::Winback => scenario.winback.is_some(),
        other => other
            .driver()
            .is_some_and(|d| scenario.drivers[d.index()].is_some()),
    }
}
