//! `ceq sensitivity`: every scalar parameter moved down and up (default ±10%) on paired seeds,
//! ranked by its effect on mean CE — the data of a tornado chart.
//!
//! Parameters are those of [`Scenario::visit_parameters`]. Two kinds are moved differently:
//! - retention rates and means move their *churn* 1 − r by ±step (a retention of 0.985 cannot
//!   rise by 10%; "10% less churn" is what a strategist means);
//! - a parameter named in `[uncertainty]` is replaced by a draw in every run, so its
//!   distribution is moved instead (its location: mean, median, bounds or mode).
//!
//! Moves are clamped into the parameter's domain; a parameter whose value is 0 is not moved
//! (±10% of nothing) and is listed as such.
//!
//! A large scenario has a hundred parameters and each costs two simulations. With `screen = N`
//! every move is first valued by the optimizer's deterministic mean field
//! ([`MeanField`], conditional on the first runs' draws and shocks; milliseconds per variant)
//! and only the N parameters with the largest mean-field effects are simulated — the usual
//! screen-then-measure design of one-at-a-time studies (Saltelli et al. 2008, *Global
//! Sensitivity Analysis: The Primer*, ch. 2). Every effect reported is Monte Carlo; the mean
//! field only chooses which to measure, so a parameter it undervalues (BG/NBD dropout, whose
//! mean field is rough) can be missed: the output says how many were screened out.

use serde::Serialize;

use super::parameter_words::{merged_label, parameter_label, same_lever};
use super::run_values;
use crate::optimize::Progress;
use crate::optimize::mean_field::MeanField;
use crate::scenario::{ParameterDistribution, Scenario};
use crate::sim::{self, EngineKind, SimError, SimOptions};
use crate::stats::describe::mean;
use crate::stats::paired::PairedDifference;

/// One row of a [`Sensitivity`] (a tornado bar): CE with one parameter moved down and up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    pub parameter: String,
    /// The parameter in business words, naming what moved: "gold: churn" for a retention
    /// moved through its churn ([`parameter_label`]).
    pub label: String,
    /// Other parameters that are the same lever and moved CE identically, merged into this row
    /// by [`Sensitivity::merged`] (empty in the full list).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_as: Vec<String>,
    /// "value", "churn" (1 − retention moved) or "distribution" (an uncertain parameter).
    pub moved: &'static str,
    pub value: f64,
    pub low_value: f64,
    pub high_value: f64,
    /// Mean CE at the low and high values (paired with the base on the same runs).
    pub ce_low: f64,
    pub ce_high: f64,
    /// CE(low) − CE(base) and CE(high) − CE(base), paired.
    pub low: PairedDifference,
    pub high: PairedDifference,
    /// The larger of the two absolute mean effects; the ranking key.
    pub size: f64,
}

/// `ceq sensitivity --json` (SPEC §13): how CE moves when each parameter moves by `step`,
/// on common random numbers, largest effect first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensitivity {
    pub ceq_version: String,
    pub scenario: String,
    pub plan: String,
    pub runs: u64,
    pub seed: u64,
    pub step: f64,
    pub base_customer_equity: f64,
    /// Largest effect first.
    pub effects: Vec<Effect>,
    /// Parameters at 0, which a relative move leaves unchanged.
    pub not_moved: Vec<String>,
    /// When only the parameters with the largest mean-field effects were simulated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screening: Option<Screening>,
}

impl Sensitivity {
    /// The analysis of a 1:(1/`fraction`) sample as the full base's (SPEC §9.2): the base CE,
    /// the CE at each parameter's low and high value and the effects times 1/`fraction`; the
    /// parameters' values are the file's and stay as they are.
    pub fn scaled_to_full_base(&self, fraction: f64) -> Sensitivity {
        let k = 1.0 / fraction;
        let mut s = self.clone();
        s.base_customer_equity *= k;
        for e in &mut s.effects {
            e.ce_low *= k;
            e.ce_high *= k;
            e.low = e.low.scaled(k);
            e.high = e.high.scaled(k);
            e.size *= k;
        }
        s
    }
}

/// What the mean-field screen left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screening {
    /// Parameters moved (all but those at 0).
    pub parameters: usize,
    /// Of them, simulated.
    pub measured: usize,
    /// Runs whose draws and shocks the mean field averaged over.
    pub mean_field_runs: u64,
    /// The parameters not simulated, largest mean-field effect first.
    pub screened_out: Vec<String>,
}

/// What to move and how to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The plan simulated.
    pub plan: crate::scenario::PlanId,
    /// Relative move, in (0, 1).
    pub step: f64,
    /// Monte Carlo runs per variant.
    pub runs: u64,
    pub seed: u64,
    pub engine: EngineKind,
    /// Simulate only this many parameters, those with the largest mean-field effects.
    pub screen: Option<usize>,
    pub limits: crate::sim::size::Limits,
    /// Cancellation and run progress of every simulation of the measurement.
    pub control: crate::control::Control,
}

impl Settings {
    /// The relative move of `ceq sensitivity` (`--step`): ±10%.
    pub const DEFAULT_STEP: f64 = 0.1;
    /// Monte Carlo runs per variant of `ceq sensitivity` (`--runs`).
    pub const DEFAULT_RUNS: u64 = 200;
}

impl Effect {
    /// The value of the quantity the label names: the churn 1 − r of a retention moved
    /// through its churn, else the parameter itself. Returns (value, low, high).
    pub fn named_values(&self) -> (f64, f64, f64) {
        if self.moved == "churn" {
            (
                1.0 - self.value,
                1.0 - self.low_value,
                1.0 - self.high_value,
            )
        } else {
            (self.value, self.low_value, self.high_value)
        }
    }
}

impl Sensitivity {
    /// The effects as a reader should see them: a pair that is one lever (a cohort's margin and
    /// its mean order value, [`same_lever`]) whose moves changed CE identically — to a
    /// millionth of the effect — is one row, listing the other path in `same_as`. Order kept.
    pub fn merged(&self) -> Vec<Effect> {
        let mut out: Vec<Effect> = Vec::with_capacity(self.effects.len());
        for effect in &self.effects {
            let twin = out.iter_mut().find(|kept| {
                same_lever(&kept.parameter, &effect.parameter)
                    && kept.moved == effect.moved
                    && close(kept.low.mean, effect.low.mean)
                    && close(kept.high.mean, effect.high.mean)
            });
            match twin {
                Some(kept) => {
                    // The row's quantity is margin per order, margin × order value: moving
                    // either factor by ±step moves the product by ±step.
                    kept.label = merged_label(&kept.label);
                    kept.same_as.push(effect.parameter.clone());
                    kept.low_value *= effect.value;
                    kept.high_value *= effect.value;
                    kept.value *= effect.value;
                }
                None => out.push(effect.clone()),
            }
        }
        out
    }
}

/// Equal to a millionth of the larger magnitude (the same draws, rounded differently).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-9)
}

/// Runs the mean field averages over when screening: enough to rank, cheap to evaluate.
pub const SCREEN_MEAN_FIELD_RUNS: u64 = 20;

/// Whether the path names a retention probability (moved through its churn).
fn is_retention(path: &str) -> bool {
    path.ends_with(".retention.rate") || path.ends_with(".retention.mean")
}

/// The moved value: v·(1 ± step), or for retention 1 − (1 − v)·(1 ± step).
fn moved(path: &str, value: f64, factor: f64) -> f64 {
    if is_retention(path) {
        1.0 - (1.0 - value) * factor
    } else {
        value * factor
    }
}

fn move_distribution(dist: ParameterDistribution, f: &dyn Fn(f64) -> f64) -> ParameterDistribution {
    use ParameterDistribution::*;
    match dist {
        Normal { mean, sd } => Normal { mean: f(mean), sd },
        LogNormal { median, sigma } => LogNormal {
            median: f(median),
            sigma,
        },
        Beta {
            mean,
            concentration,
        } => Beta {
            mean: f(mean).clamp(1e-9, 1.0 - 1e-9),
            concentration,
        },
        Uniform { low, high } => {
            let (a, b) = (f(low), f(high));
            Uniform {
                low: a.min(b),
                high: a.max(b),
            }
        }
        Triangular { low, mode, high } => {
            let mut v = [f(low), f(mode), f(high)];
            v.sort_by(f64::total_cmp);
            Triangular {
                low: v[0],
                mode: v[1],
                high: v[2],
            }
        }
    }
}

/// The location of a distribution (for the reported base value).
fn location(dist: &ParameterDistribution) -> f64 {
    use ParameterDistribution::*;
    match *dist {
        Normal { mean, .. } | Beta { mean, .. } => mean,
        LogNormal { median, .. } => median,
        Uniform { low, high } => 0.5 * (low + high),
        Triangular { low, mode, high } => (low + mode + high) / 3.0,
    }
}

/// The mean of a column of joint draws (its reported base value).
fn draws_mean(joint: &crate::scenario::JointDraws, column: usize) -> f64 {
    joint.rows.iter().map(|r| r[column]).sum::<f64>() / joint.rows.len() as f64
}

/// A copy of `scenario` with `path` moved by `factor`; returns it with the new value.
fn with_moved(scenario: &Scenario, path: &str, factor: f64) -> (Scenario, f64) {
    let mut copy = scenario.clone();
    if let Some(u) = copy.uncertainty.iter_mut().find(|u| u.path == path) {
        u.distribution = move_distribution(u.distribution, &|v| moved(path, v, factor));
        let value = location(&u.distribution);
        return (copy, value);
    }
    if let Some(joint) = copy.uncertainty_draws.as_mut()
        && let Some(column) = joint.paths.iter().position(|p| p == path)
    {
        // A column of joint draws moves as a whole: every draw by the same factor.
        for row in &mut joint.rows {
            row[column] = moved(path, row[column], factor);
        }
        let value = draws_mean(joint, column);
        return (copy, value);
    }
    let mut new_value = f64::NAN;
    copy.visit_parameters(&mut |p| {
        if p.path == path {
            *p.value = p.domain.clamp(moved(path, *p.value, factor));
            new_value = *p.value;
        }
    });
    (copy, new_value)
}

/// A parameter to move: its path, its value (the location of its distribution when
/// uncertain), how it is moved.
struct Candidate {
    path: String,
    value: f64,
    moved: &'static str,
}

/// Moves every parameter by ±`step` and simulates the plan of each variant on the same runs of
/// the seed (only the `screen` largest by the mean field, when set).
pub fn sensitivity(
    scenario: &Scenario,
    settings: &Settings,
    progress: &mut dyn Progress,
) -> Result<Sensitivity, SimError> {
    let plan = settings.plan;
    let step = settings.step;
    let options = SimOptions {
        plan,
        runs: settings.runs,
        seed: settings.seed,
        engine: settings.engine,
        limits: settings.limits,
        control: settings.control.clone(),
    };
    let simulate = |s: &Scenario| -> Result<Vec<f64>, SimError> {
        Ok(run_values(&sim::run_plan(s, &s.plans[plan], &options)?))
    };
    let (mut candidates, not_moved) = candidates(scenario);
    let mut screening = None;
    if let Some(top) = settings.screen.filter(|top| *top < candidates.len()) {
        progress.message(&format!(
            "screening {} parameters with the mean field",
            candidates.len()
        ));
        let ranked = screen(scenario, settings, candidates);
        let parameters = ranked.len();
        let mut kept = ranked;
        let left_out = kept.split_off(top);
        screening = Some(Screening {
            parameters,
            measured: kept.len(),
            mean_field_runs: SCREEN_MEAN_FIELD_RUNS,
            screened_out: left_out.into_iter().map(|c| c.path).collect(),
        });
        candidates = kept;
    }
    progress.message("simulating the scenario as written");
    let base = simulate(scenario)?;
    let mut effects = Vec::new();
    let total = candidates.len();
    for (n, candidate) in candidates.into_iter().enumerate() {
        let path = candidate.path;
        progress.message(&format!("parameter {} of {total}: {path}", n + 1));
        let (low_scenario, low_value) = with_moved(scenario, &path, 1.0 - step);
        let (high_scenario, high_value) = with_moved(scenario, &path, 1.0 + step);
        let low_runs = simulate(&low_scenario)?;
        let high_runs = simulate(&high_scenario)?;
        let low = PairedDifference::new(&low_runs, &base);
        let high = PairedDifference::new(&high_runs, &base);
        effects.push(Effect {
            label: parameter_label(&path, candidate.moved),
            same_as: Vec::new(),
            moved: candidate.moved,
            parameter: path,
            value: candidate.value,
            low_value,
            high_value,
            ce_low: mean(&low_runs),
            ce_high: mean(&high_runs),
            size: low.mean.abs().max(high.mean.abs()),
            low,
            high,
        });
    }
    effects.sort_by(|a, b| b.size.total_cmp(&a.size));
    Ok(Sensitivity {
        ceq_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        plan: scenario.plans[plan].name.clone(),
        runs: settings.runs,
        seed: settings.seed,
        step,
        base_customer_equity: mean(&base),
        effects,
        not_moved,
        screening,
    })
}

/// Every parameter that a relative move changes, in scenario order, and those at 0.
fn candidates(scenario: &Scenario) -> (Vec<Candidate>, Vec<String>) {
    let mut parameters: Vec<(String, f64)> = Vec::new();
    let mut copy = scenario.clone();
    copy.visit_parameters(&mut |p| parameters.push((p.path, *p.value)));
    let mut moving = Vec::new();
    let mut not_moved = Vec::new();
    for (path, value) in parameters {
        let uncertain = scenario.uncertainty.iter().find(|u| u.path == path);
        let drawn = scenario.uncertainty_draws.as_ref().and_then(|joint| {
            let column = joint.paths.iter().position(|p| *p == path)?;
            Some(draws_mean(joint, column))
        });
        let value = uncertain.map_or(value, |u| location(&u.distribution));
        let value = drawn.unwrap_or(value);
        let moves = if is_retention(&path) {
            1.0 - value
        } else {
            value
        };
        if moves == 0.0 {
            not_moved.push(path);
            continue;
        }
        let moved = if uncertain.is_some() || drawn.is_some() {
            "distribution"
        } else if is_retention(&path) {
            "churn"
        } else {
            "value"
        };
        moving.push(Candidate { path, value, moved });
    }
    (moving, not_moved)
}

/// The candidates ranked by the larger absolute mean-field effect of their two moves (ties in
/// scenario order, so the ranking is reproducible).
fn screen(scenario: &Scenario, settings: &Settings, candidates: Vec<Candidate>) -> Vec<Candidate> {
    use rayon::prelude::*;
    let expected = |s: &Scenario| {
        MeanField::new(s, settings.seed, SCREEN_MEAN_FIELD_RUNS)
            .expected_ce(&s.plans[settings.plan])
    };
    let base = expected(scenario);
    let sizes: Vec<f64> = candidates
        .par_iter()
        .map(|c| {
            let low = expected(&with_moved(scenario, &c.path, 1.0 - settings.step).0);
            let high = expected(&with_moved(scenario, &c.path, 1.0 + settings.step).0);
            let size = (low - base).abs().max((high - base).abs());
            if size.is_nan() { f64::INFINITY } else { size }
        })
        .collect();
    let mut ranked: Vec<(f64, Candidate)> = sizes.into_iter().zip(candidates).collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.into_iter().map(|(_, c)| c).collect()
}
