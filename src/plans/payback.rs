//! When an acquisition pays back (SPEC §9.1): per acquisition channel and per cohort that
//! receives acquired customers, the seed articles' break-even duration and the simulated
//! payback period with its spread over runs.
//!
//! **Break-even duration** (持平持续期, seed article 003 "顾客资产十篇": "假设不考虑发展成本、
//! 保持成本以及贴现因素 … 持平持续期 = 获取成本 / 年现金流入"): what a customer cost to win
//! over the cash it brings per period, ignoring retention and development spend, churn and
//! discounting — the payback of a tangible investment. Here the cost is the acquisition spend
//! plus onboarding per customer, and the cash flow is a new customer's expected first-period
//! margin, extra value and cost to serve at the scenario's point values ([`cash_flow`]).
//!
//! **Simulated payback**: run k of the plan's simulation is replayed for a *vintage* of
//! [`VINTAGE_CUSTOMERS`] customers who enter cohort c at period 1 and then live in run k's
//! world — its parameter draws and shocks (the same streams, common random numbers), the
//! plan's driver lifts, and the retention spend per customer that cohort's customers got in
//! run k, period by period — with no acquisition, existing customers or referrals of their
//! own. V_{c,k}(t) = Σ_{s≤t} d_s·v_{c,k,s} / (N·d_1) is the cumulative discounted value per
//! customer in money of the acquisition period (v the vintage's value of period s net of cost
//! to serve and retention spend, SPEC §9), and the payback period of run k is the first t with
//! V_{c,k}(t) ≥ cost_k, the run's cost per acquired customer; "never" when no t ≤ H does.
//! Customers of the model are independent given run k's world, so a vintage in isolation has
//! the law of the same customers inside the run, and both engines simulate it through the
//! shared period loop. A channel's vintage is its mix of cohort vintages:
//! V_{ch,k}(t) = Σ_c mix_{ch,c}·V_{c,k}(t).

use serde::{Deserialize, Serialize};

use crate::model::closed_form::{bgnbd_expected_purchases, gamma_gamma_mean};
use crate::scenario::{Cohort, ExistingBase, OrderValue, Plan, Purchases, Retention, Scenario};
use crate::sim::rng::splitmix64;
use crate::sim::setup::RunSetup;
use crate::sim::{self, EngineKind, RunResult, SimError, SimOptions, Simulation};
use crate::stats::describe::mean;

/// Customers in each simulated vintage. Large enough that the vintage's own sampling moves a
/// payback period by less than the spread parameter uncertainty and shocks give it in most
/// scenarios, small enough that the vintages cost a fraction of the study.
pub const VINTAGE_CUSTOMERS: u64 = 1000;

/// What one channel's or one cohort's acquired customers cost, bring and when they pay back
/// (SPEC §13 `payback`). Money per acquired customer, in money of the acquisition period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payback {
    /// "channel" or "cohort".
    pub of: String,
    pub name: String,
    /// Mean over runs of acquisition spend plus onboarding per acquired customer (discounted
    /// spend over discounted customers, as `channels[].cost_per_customer`); absent when no
    /// run acquires anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_customer: Option<f64>,
    /// Expected cash flow of a new customer in one period (the seed's 现金流入, per period).
    pub cash_flow_per_period: f64,
    /// Seed formula: cost_per_customer / cash_flow_per_period, in periods; absent when the
    /// cost is unknown or the cash flow is not positive (it never breaks even).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_even_periods: Option<f64>,
    /// The same in years (cost over the yearly cash flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_even_years: Option<f64>,
    /// Runs that acquired someone here, over which the payback is described.
    pub runs: u64,
    /// The payback period of the mean curve against the mean cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payback_of_mean: Option<u32>,
    /// Median, 5% and 95% of the payback period over runs (nearest rank); absent when that
    /// share of runs never pays back within the horizon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payback_median: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payback_p05: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payback_p95: Option<u32>,
    /// Share of runs whose vintage has not paid back by the horizon.
    pub never_share: f64,
    /// Mean, 5% and 95% over runs of V(t), the cumulative discounted value per acquired
    /// customer through period t = 1..=H.
    pub cumulative_value: Vec<f64>,
    pub cumulative_value_p05: Vec<f64>,
    pub cumulative_value_p95: Vec<f64>,
}

/// What describing the payback needs from the scenario, apart from the runs: carried by each
/// shard so that `ceq merge` describes the merged runs as the unsharded study does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaybackFrame {
    /// (name, mix by cohort) of each acquisition channel.
    pub channels: Vec<(String, Vec<f64>)>,
    pub cohorts: Vec<String>,
    /// [`cash_flow`] of each cohort.
    pub cash_flows: Vec<f64>,
    pub periods_per_year: u32,
}

impl PaybackFrame {
    /// The frame of `scenario`, or `None` without acquisition.
    pub fn new(scenario: &Scenario) -> Option<Self> {
        let acquisition = scenario.acquisition.as_ref()?;
        Some(PaybackFrame {
            channels: acquisition
                .channels
                .iter()
                .map(|c| (c.name.clone(), c.mix.clone()))
                .collect(),
            cohorts: scenario.cohorts.iter().map(|c| c.name.clone()).collect(),
            cash_flows: scenario.cohorts.iter().map(cash_flow).collect(),
            periods_per_year: scenario.time.periods_per_year,
        })
    }

    /// Whether some channel sends customers to cohort `c`.
    fn is_entry(&self, c: usize) -> bool {
        self.channels.iter().any(|(_, mix)| mix[c] > 0.0)
    }
}

/// Break-even and payback of every channel, then of every cohort some channel brings customers
/// to, for `plan`'s `simulation` (runs 0..n) made with `options`. Empty without acquisition.
pub fn payback(
    scenario: &Scenario,
    plan: &Plan,
    simulation: &Simulation,
    options: &SimOptions,
) -> Result<Vec<Payback>, SimError> {
    let Some(frame) = PaybackFrame::new(scenario) else {
        return Ok(Vec::new());
    };
    let mut measured = simulation.clone();
    measure_vintages(scenario, plan, &mut measured, options, 0)?;
    Ok(describe(&frame, &measured.runs))
}

/// Sets `vintages` of every run of `simulation`, whose runs are the study's runs `first_run`,
/// `first_run + 1`, … (a shard's slice): V_{c,k}(t) for each cohort c some channel feeds
/// (empty for the others).
pub fn measure_vintages(
    scenario: &Scenario,
    plan: &Plan,
    simulation: &mut Simulation,
    options: &SimOptions,
    first_run: u64,
) -> Result<(), SimError> {
    let Some(frame) = PaybackFrame::new(scenario) else {
        return Ok(());
    };
    let n_cohorts = scenario.cohorts.len();
    for run in simulation.runs.iter_mut() {
        run.vintages = vec![Vec::new(); n_cohorts];
    }
    for c in (0..n_cohorts).filter(|&c| frame.is_entry(c)) {
        let curves = vintage_curves(scenario, plan, simulation, options, c, first_run)?;
        for (run, curve) in simulation.runs.iter_mut().zip(curves) {
            run.vintages[c] = curve;
        }
    }
    Ok(())
}

/// The payback rows (channels, then cohorts fed by some channel) of runs whose `vintages` are
/// measured.
pub fn describe(frame: &PaybackFrame, runs: &[RunResult]) -> Vec<Payback> {
    let n_cohorts = frame.cohorts.len();
    let periods = runs.first().map_or(0, |r| r.periods.len());
    let periods_per_year = f64::from(frame.periods_per_year);
    let curve_of = |r: &RunResult, c: usize, t: usize| -> f64 {
        r.vintages
            .get(c)
            .and_then(|v| v.get(t))
            .copied()
            .unwrap_or(0.0)
    };
    let mut out = Vec::new();
    for (ch, (name, mix)) in frame.channels.iter().enumerate() {
        let cost = |r: &RunResult| r.channels[ch].spend + r.channels[ch].onboarding;
        let customers = |r: &RunResult| r.channels[ch].acquired_discounted;
        let costs: Vec<Option<f64>> = runs
            .iter()
            .map(|r| per_customer(cost(r), customers(r)))
            .collect();
        let mean_cost = per_customer(
            mean(&runs.iter().map(cost).collect::<Vec<_>>()),
            mean(&runs.iter().map(customers).collect::<Vec<_>>()),
        );
        let run_curves: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| {
                (0..periods)
                    .map(|t| {
                        mix.iter()
                            .enumerate()
                            .filter(|(_, m)| **m > 0.0)
                            .map(|(c, m)| m * curve_of(r, c, t))
                            .sum()
                    })
                    .collect()
            })
            .collect();
        let flow: f64 = mix.iter().zip(&frame.cash_flows).map(|(m, f)| m * f).sum();
        out.push(describe_payback(
            "channel",
            name,
            mean_cost,
            flow,
            periods_per_year,
            &costs,
            &run_curves,
        ));
    }
    for c in (0..n_cohorts).filter(|&c| frame.is_entry(c)) {
        // Cohort c's customers come from the channels in proportion to mix × acquired.
        let blend = |r: &RunResult| -> (f64, f64) {
            frame
                .channels
                .iter()
                .enumerate()
                .fold((0.0, 0.0), |(cost, n), (ch, (_, mix))| {
                    let own = &r.channels[ch];
                    (
                        cost + mix[c] * (own.spend + own.onboarding),
                        n + mix[c] * own.acquired_discounted,
                    )
                })
        };
        let blended: Vec<(f64, f64)> = runs.iter().map(blend).collect();
        let costs: Vec<Option<f64>> = blended.iter().map(|b| per_customer(b.0, b.1)).collect();
        let mean_cost = per_customer(
            mean(&blended.iter().map(|b| b.0).collect::<Vec<_>>()),
            mean(&blended.iter().map(|b| b.1).collect::<Vec<_>>()),
        );
        let run_curves: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| (0..periods).map(|t| curve_of(r, c, t)).collect())
            .collect();
        out.push(describe_payback(
            "cohort",
            &frame.cohorts[c],
            mean_cost,
            frame.cash_flows[c],
            periods_per_year,
            &costs,
            &run_curves,
        ));
    }
    out
}

fn per_customer(cost: f64, customers: f64) -> Option<f64> {
    (customers > 0.0).then(|| cost / customers)
}

/// The first period (1-based) in which `curve` reaches `cost`.
pub fn payback_period(curve: &[f64], cost: f64) -> Option<u32> {
    curve.iter().position(|&v| v >= cost).map(|i| i as u32 + 1)
}

/// The q-quantile of payback periods by nearest rank (Hyndman & Fan 1996, definition 1: the
/// ⌈q·n⌉-th smallest), with "never" above every period; `None` when it falls on "never".
fn nearest_rank(sorted: &[Option<u32>], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn describe_payback(
    of: &str,
    name: &str,
    mean_cost: Option<f64>,
    flow: f64,
    periods_per_year: f64,
    costs: &[Option<f64>],
    curves: &[Vec<f64>],
) -> Payback {
    let break_even_periods = mean_cost.filter(|_| flow > 0.0).map(|cost| cost / flow);
    let kept: Vec<(f64, &Vec<f64>)> = costs
        .iter()
        .zip(curves)
        .filter_map(|(cost, curve)| cost.map(|c| (c, curve)))
        .collect();
    let mut periods: Vec<Option<u32>> = kept
        .iter()
        .map(|(cost, curve)| payback_period(curve, *cost))
        .collect();
    // None (never) sorts above every period.
    periods.sort_by_key(|p| p.unwrap_or(u32::MAX));
    let horizon = curves.first().map_or(0, Vec::len);
    let band = |q: f64| -> Vec<f64> {
        (0..horizon)
            .map(|t| {
                let mut column: Vec<f64> = kept.iter().map(|(_, curve)| curve[t]).collect();
                column.sort_by(f64::total_cmp);
                if column.is_empty() {
                    0.0
                } else {
                    crate::stats::describe::quantile_sorted(&column, q)
                }
            })
            .collect()
    };
    let cumulative_value: Vec<f64> = (0..horizon)
        .map(|t| mean(&kept.iter().map(|(_, curve)| curve[t]).collect::<Vec<_>>()))
        .collect();
    let never = periods.iter().filter(|p| p.is_none()).count();
    Payback {
        of: of.to_string(),
        name: name.to_string(),
        cost_per_customer: mean_cost,
        cash_flow_per_period: flow,
        break_even_periods,
        break_even_years: break_even_periods.map(|p| p / periods_per_year),
        runs: kept.len() as u64,
        payback_of_mean: mean_cost.and_then(|cost| payback_period(&cumulative_value, cost)),
        payback_median: nearest_rank(&periods, 0.5),
        payback_p05: nearest_rank(&periods, 0.05),
        payback_p95: nearest_rank(&periods, 0.95),
        never_share: if kept.is_empty() {
            0.0
        } else {
            never as f64 / kept.len() as f64
        },
        cumulative_value,
        cumulative_value_p05: band(0.05),
        cumulative_value_p95: band(0.95),
    }
}

/// A new customer's expected cash flow in its first period at the scenario's point values:
/// margin·E\[orders\]·E\[order value\] + extra value − cost to serve. E\[orders\] is n, the Poisson
/// or NBD mean, or for BG/NBD dropout E[X(1)] (Fader, Hardie & Lee 2005a, eq. 7); E[order
/// value] is the stated mean or p·γ/(q − 1) (Fader, Hardie & Lee 2005b). The seed formula
/// leaves out retention spend and discounting, and so does this.
pub fn cash_flow(cohort: &Cohort) -> f64 {
    let orders = match (cohort.retention, cohort.purchases) {
        (Retention::Dropout { alpha, beta }, Purchases::NegativeBinomial { mean, shape }) => {
            bgnbd_expected_purchases(shape, shape / mean.max(f64::MIN_POSITIVE), alpha, beta, 1.0)
                .unwrap_or(mean)
        }
        (_, Purchases::Fixed { n }) => n,
        (_, Purchases::Poisson { mean }) | (_, Purchases::NegativeBinomial { mean, .. }) => mean,
    };
    let value = match cohort.order_value {
        OrderValue::Constant { mean }
        | OrderValue::Gamma { mean, .. }
        | OrderValue::HeterogeneousGamma { mean, .. } => mean,
        OrderValue::GammaGamma { p, q, gamma } => gamma_gamma_mean(p, q, gamma),
    };
    cohort.margin * orders * value + cohort.extra_value.total() - cohort.cost_to_serve
}

/// V_{c,k}(t) of every run k of `simulation`: the cumulative discounted value per customer of
/// a vintage entering cohort `c` in period 1, in money of period 1 (module docs).
fn vintage_curves(
    scenario: &Scenario,
    plan: &Plan,
    simulation: &Simulation,
    options: &SimOptions,
    c: usize,
    first_run: u64,
) -> Result<Vec<Vec<f64>>, SimError> {
    use rayon::prelude::*;
    let threads = rayon::current_num_threads();
    let cap = crate::sim::size::population_cap(scenario, plan, &options.limits, threads);
    // The vintage's own customer and event streams, apart from the run's and other cohorts'.
    let vintage_seed = splitmix64(options.seed ^ splitmix64(0x7061_7962_6163_6b00 ^ c as u64));
    simulation
        .runs
        .par_iter()
        .enumerate()
        .map(|(i, run)| {
            if options.control.cancelled() {
                return Err(SimError::Interrupted);
            }
            let k = first_run + i as u64;
            let setup = vintage_setup(scenario, plan, options.seed, k, run, c);
            let result = match simulation.engine {
                EngineKind::Cohort => sim::cohort::simulate_run(&setup, vintage_seed, k),
                _ => sim::customer::simulate_run(&setup, vintage_seed, k, &cap),
            }?;
            let first = setup.discount.first().copied().unwrap_or(1.0);
            let scale = VINTAGE_CUSTOMERS as f64 * first;
            Ok(result
                .periods
                .iter()
                .map(|p| p.cumulative_ce / scale)
                .collect())
        })
        .collect()
}

/// Run k's world for a vintage entering cohort `c`: run k's parameter draws, shocks and driver
/// lifts, no spend of its own, and the retention spend per customer of `run` (which made the
/// same allocation from its own active counts, SPEC §5).
fn vintage_setup<'a>(
    scenario: &'a Scenario,
    plan: &'a Plan,
    seed: u64,
    k: u64,
    run: &RunResult,
    c: usize,
) -> RunSetup<'a> {
    let mut setup = RunSetup::new(scenario, plan, seed, k);
    let periods = scenario.time.periods as usize;
    let active_in = |i: usize| -> Vec<u64> {
        run.cohorts
            .iter()
            .map(|cohort| cohort.active.get(i).copied().unwrap_or(0.0) as u64)
            .collect()
    };
    let per_customer: Vec<Vec<f64>> = (0..periods)
        .map(|i| {
            let active = active_in(i);
            let budget = setup.path.spend[i][crate::scenario::Lever::Retention];
            crate::sim::period::retention_allocation(&setup, budget, &active)
                .iter()
                .zip(&active)
                .map(|(spent, &n)| if n > 0 { spent / n as f64 } else { 0.0 })
                .collect()
        })
        .collect();
    let development_per_customer: Option<Vec<Vec<f64>>> =
        scenario.development_program.as_ref().map(|_| {
            (0..periods)
                .map(|i| {
                    let active = active_in(i);
                    let budget = setup.path.spend[i][crate::scenario::Lever::Development];
                    crate::sim::levers::development(&setup, i, budget, &active)
                        .iter()
                        .map(|d| d.per_customer)
                        .collect()
                })
                .collect()
        });
    let mut vintage = setup.scenario.as_ref().clone();
    vintage.acquisition = None;
    for (i, cohort) in vintage.cohorts.iter_mut().enumerate() {
        cohort.customers = if i == c { VINTAGE_CUSTOMERS } else { 0 };
        cohort.existing = ExistingBase::Fresh;
        cohort.referrals = 0.0;
    }
    setup.scenario = std::borrow::Cow::Owned(vintage);
    for spend in setup.path.spend.iter_mut() {
        *spend = crate::scenario::LeverMap::default();
    }
    setup.retention_per_customer = Some(per_customer);
    setup.development_per_customer = development_per_customer;
    setup
}
