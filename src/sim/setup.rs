//! What every engine prepares before a run: the run's own parameter draws (SPEC §8
//! `[uncertainty]`), its shock paths, the plan's spend and lifts, and discount factors.

use std::borrow::Cow;

use crate::model::discount::Discounting;
use crate::model::dist::shock_path;
use crate::model::plan_path::PlanPath;
use crate::scenario::{Plan, Scenario};
use crate::sim::rng::{Stream, stream};

/// Everything about run k that does not depend on individual customers.
pub struct RunSetup<'a> {
    /// The scenario with this run's uncertain parameters drawn.
    pub scenario: Cow<'a, Scenario>,
    pub plan: &'a Plan,
    pub path: PlanPath,
    /// Demand multiplier D_t, index t − 1 (all ones without a demand shock).
    pub demand: Vec<f64>,
    /// Churn multiplier C_t, index t − 1.
    pub churn: Vec<f64>,
    /// Discount factor of each period, index t − 1.
    pub discount: Vec<f64>,
    /// Draws that fell outside their parameter's domain and were clamped.
    pub clamped_draws: u32,
    /// Retention spend per active customer by period (index t − 1) and cohort, fixed in
    /// advance instead of the plan's budget split over the run's own customers: the vintage
    /// runs of [`crate::plans::payback`] give an acquired vintage the spend per customer its
    /// customers get in the whole run. `None` in every ordinary run.
    pub retention_per_customer: Option<Vec<Vec<f64>>>,
    /// Development spend per active customer by period and cohort, fixed the same way for
    /// the vintage runs (SPEC §5a, §9.1); `None` in every ordinary run.
    pub development_per_customer: Option<Vec<Vec<f64>>>,
    /// How the cohort engine simulates large histories (binned unless `auto` found the bins'
    /// errors too large for the study, [`crate::sim::choose_engine`]).
    pub history: crate::sim::history_bins::HistoryPath,
}

impl<'a> RunSetup<'a> {
    /// Prepares run `run`. Parameter draws and shocks come from their own streams, so they are
    /// the same for every plan evaluated in this run (common random numbers).
    pub fn new(scenario: &'a Scenario, plan: &'a Plan, seed: u64, run: u64) -> Self {
        let (scenario, clamped_draws) = draw_parameters(scenario, seed, run);
        let periods = scenario.time.periods;
        let mut shock_rng = stream(seed, run, Stream::Shocks);
        let mut path_of = |shock: &Option<crate::scenario::Shock>| match shock {
            Some(s) => shock_path(&mut shock_rng, s, periods),
            None => vec![1.0; periods as usize],
        };
        let demand = path_of(&scenario.shocks.demand);
        let churn = path_of(&scenario.shocks.churn);
        let path = PlanPath::new(&scenario, plan);
        let discount = Discounting::new(&scenario.time).factors(periods);
        RunSetup {
            scenario,
            plan,
            path,
            demand,
            churn,
            discount,
            clamped_draws,
            retention_per_customer: None,
            development_per_customer: None,
            history: Default::default(),
        }
    }
}

/// Replaces each uncertain parameter by one draw, clamped into its domain (SPEC §8): the
/// per-parameter distributions from the run's own stream, and the joint draws' row
/// `run` mod n, so parameters drawn together keep their correlation in every run.
fn draw_parameters(scenario: &Scenario, seed: u64, run: u64) -> (Cow<'_, Scenario>, u32) {
    if scenario.uncertainty.is_empty() && scenario.uncertainty_draws.is_none() {
        return (Cow::Borrowed(scenario), 0);
    }
    let mut rng = stream(seed, run, Stream::Parameters);
    let mut draws: Vec<(String, f64)> = scenario
        .uncertainty
        .iter()
        .map(|u| (u.path.clone(), u.distribution.sample(&mut rng)))
        .collect();
    if let Some(joint) = &scenario.uncertainty_draws {
        draws.extend(
            joint
                .paths
                .iter()
                .cloned()
                .zip(joint.row(run).iter().copied()),
        );
    }
    let mut drawn = scenario.clone();
    let mut clamped = 0u32;
    drawn.visit_parameters(&mut |parameter| {
        if let Some((_, value)) = draws.iter().find(|(path, _)| *path == parameter.path) {
            let inside = parameter.domain.clamp(*value);
            if inside != *value {
                clamped += 1;
            }
            *parameter.value = inside;
        }
    });
    (Cow::Owned(drawn), clamped)
}

/// What one history group's past implies about its customers at the start of period 1
/// (Fader, Hardie & Lee 2005a): each is still alive with probability `p_alive`, and an alive
/// customer's purchase rate is λ ~ Gamma(shape `rate_shape`, rate `rate_rate`) = Gamma(r + x,
/// α + T) and its dropout probability p ~ Beta(`dropout.0`, `dropout.1`) = Beta(a, b + x),
/// independently. (The likelihood of "alive at T after x purchases, the last at t_x" is
/// λ^x·e^(−λT)·(1 − p)^x; times the Gamma(r, α) and Beta(a, b) priors it gives these laws, and
/// the Poisson process restarts at T by memorylessness.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryPosterior {
    pub p_alive: f64,
    pub rate_shape: f64,
    pub rate_rate: f64,
    pub dropout: (f64, f64),
    /// Gamma-Gamma ν ~ Gamma(shape, rate) = Gamma(q + p·x, γ + x·m_x) when the group has a
    /// monetary value and the cohort Gamma-Gamma order values (Fader, Hardie & Lee 2005b: the
    /// x repeat orders, each Gamma(p, ν), update the Gamma(q, γ) prior of ν by conjugacy).
    pub value_scale: Option<(f64, f64)>,
}

/// The BG/NBD parameters (r, α, a, b) of a dropout cohort with NBD purchases: λ ~ Gamma(shape
/// r = `shape`, rate α = shape/mean), p ~ Beta(a, b).
pub fn bgnbd_parameters(cohort: &crate::scenario::Cohort) -> Option<[f64; 4]> {
    use crate::scenario::{Purchases, Retention};
    match (cohort.retention, cohort.purchases) {
        (Retention::Dropout { alpha, beta }, Purchases::NegativeBinomial { mean, shape }) => {
            Some([shape, shape / mean.max(f64::MIN_POSITIVE), alpha, beta])
        }
        _ => None,
    }
}

/// The posterior of `group` at BG/NBD parameters `[r, α, a, b]`.
pub fn history_posterior(
    [r, alpha, a, b]: [f64; 4],
    group: &crate::scenario::HistoryGroup,
    order_value: &crate::scenario::OrderValue,
) -> HistoryPosterior {
    let x = f64::from(group.frequency);
    let value_scale = match (*order_value, group.monetary_value) {
        (crate::scenario::OrderValue::GammaGamma { p, q, gamma }, Some(m))
            if group.frequency > 0 =>
        {
            Some((q + p * x, gamma + x * m))
        }
        _ => None,
    };
    HistoryPosterior {
        p_alive: crate::fit::scores::p_alive(
            [r, alpha, a, b],
            group.frequency,
            group.recency,
            group.age,
        ),
        rate_shape: r + x,
        rate_rate: alpha + group.age,
        dropout: (a, b + x),
        value_scale,
    }
}

/// The Beta(α, β) law of a cohort's churn propensity θ (sBG, or `{ mean, concentration }` as
/// θ ~ Beta((1 − r̄)c, r̄c)), if it has one.
pub fn beta_churn(cohort: &crate::scenario::Cohort) -> Option<(f64, f64)> {
    use crate::scenario::Retention;
    match cohort.retention {
        Retention::MeanConcentration {
            mean,
            concentration,
        } if mean > 0.0 && mean < 1.0 => Some(((1.0 - mean) * concentration, mean * concentration)),
        Retention::ShiftedBetaGeometric { alpha, beta } => Some((alpha, beta)),
        _ => None,
    }
}

/// θ of customers who have renewed n times: Beta(α, β + n) (Fader & Hardie 2010: surviving a
/// renewal multiplies the density by 1 − θ).
pub fn tenured_churn((alpha, beta): (f64, f64), renewals: u32) -> (f64, f64) {
    (alpha, beta + f64::from(renewals))
}
