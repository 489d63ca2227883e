//! A deterministic mean-field evaluation of expected customer equity, to steer the search.
//!
//! Monte Carlo of a large base costs seconds per plan; an optimizer needs thousands of
//! evaluations. The mean field follows *expected* counts instead of customers: per cohort, one
//! vintage per entry period (the existing base, then each period's acquired, referred and
//! migrated arrivals), with the cohort's mean purchase rate and order value.
//!
//! Heterogeneous churn is not replaced by its mean: the customers who stay are the low-churn
//! ones, so a cohort's mean churn falls as it ages. For the Beta forms (sBG, mean and
//! concentration) the survivors' churn propensity is tracked exactly: after k periods of
//! survival at unscaled hazard θ ~ Beta(α, β + k) (Fader & Hardie 2007). With the hazard scaled
//! by h ≤ 1 (retention programme, drivers) survival multiplies the density by
//! 1 − hθ = (1 − h) + h·(1 − θ), so the survivors are a mixture Σ_k w_k·Beta(α, β + k) whose
//! weights move exactly (see the code); since h is common to a cohort in a period, one mixture
//! per cohort holds all entry vintages (entrants start at k = 0). Above 1 (a churn shock) the
//! mean-field survival 1 − h·E\[θ\] is used. With BG/NBD dropout the per-order dropout p ~ Beta(a,
//! b) is followed per vintage with the posterior Beta(a, b + expected orders) and survival
//! e^(−μ·h·E\[p\]) for μ expected orders: a rough approximation that ignores the correlation
//! between purchase rate and dropout (high-rate buyers drop out sooner), so the mean field
//! overstates the value of BG/NBD cohorts (by half on retailer_bgnbd.toml); the Monte Carlo
//! refinement and the final evaluation do not depend on it. Other approximations: min(1, θh)
//! is taken as θh; retention spend per head uses the expected active count; a cohort's chance
//! of being empty is e^(−expected count) (Poisson).
//!
//! Each evaluation is conditional on one Monte Carlo run's parameter draws and shock paths
//! (the run's [`RunSetup`] with the plan-independent parts only), so averaging over the same
//! runs the Monte Carlo uses gives its expectation up to these approximations and
//! customer-level chance. The agreement with Monte Carlo is a test
//! (`mean_field_agrees_with_monte_carlo` in the integration tests). Only the search uses it;
//! every number reported is Monte Carlo.

use rayon::prelude::*;

use crate::model::plan_path::PlanPath;
use crate::scenario::{Lever, OrderValue, Plan, Purchases, Retention, Scenario};
use crate::sim::setup::RunSetup;

/// One run's plan-independent conditions: its drawn parameters, shocks and discounting.
#[derive(Debug, Clone)]
struct RunConditions {
    scenario: Scenario,
    demand: Vec<f64>,
    churn: Vec<f64>,
    discount: Vec<f64>,
}

/// The mean-field evaluator over a fixed set of runs' conditions.
#[derive(Debug, Clone)]
pub struct MeanField {
    runs: Vec<RunConditions>,
}

impl MeanField {
    /// Conditions of runs 0..`runs` of `seed` (the same draws and shocks the Monte Carlo uses).
    /// `runs = 0` gives one "central" run: the parameters as written and no shocks.
    pub fn new(scenario: &Scenario, seed: u64, runs: u64) -> Self {
        if runs == 0 {
            return Self::central(scenario);
        }
        let baseline = Plan::baseline();
        let runs = (0..runs)
            .into_par_iter()
            .map(|k| {
                let setup = RunSetup::new(scenario, &baseline, seed, k);
                RunConditions {
                    scenario: setup.scenario.into_owned(),
                    demand: setup.demand,
                    churn: setup.churn,
                    discount: setup.discount,
                }
            })
            .collect();
        MeanField { runs }
    }

    /// The scenario as written, with no shocks and no parameter draws.
    pub fn central(scenario: &Scenario) -> Self {
        let periods = scenario.time.periods as usize;
        let discount =
            crate::model::discount::Discounting::new(&scenario.time).factors(scenario.time.periods);
        MeanField {
            runs: vec![RunConditions {
                scenario: scenario.clone(),
                demand: vec![1.0; periods],
                churn: vec![1.0; periods],
                discount,
            }],
        }
    }

    /// Number of runs whose conditions are averaged.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Expected CE of `plan` conditional on each run's draws and shocks, in run order.
    pub fn per_run(&self, plan: &Plan) -> Vec<f64> {
        self.runs
            .par_iter()
            .map(|run| expected_ce(&run.scenario, plan, &run.demand, &run.churn, &run.discount))
            .collect()
    }

    /// The mean over runs of [`MeanField::per_run`].
    pub fn expected_ce(&self, plan: &Plan) -> f64 {
        crate::stats::describe::mean(&self.per_run(plan))
    }
}

/// How a cohort's churn is followed per vintage.
#[derive(Debug, Clone, Copy)]
enum Churn {
    /// Everyone has propensity θ.
    Fixed(f64),
    /// θ ~ Beta(α, β) on entry; survivors' posterior Beta(α, β + exposure).
    Beta(f64, f64),
    /// BG/NBD: per-order dropout p ~ Beta(a, b); posterior Beta(a, b + exposure).
    Dropout(f64, f64),
}

fn churn_model(retention: Retention) -> Churn {
    match retention {
        Retention::Rate { rate } => Churn::Fixed(1.0 - rate),
        Retention::MeanConcentration {
            mean,
            concentration,
        } => Churn::Beta((1.0 - mean) * concentration, mean * concentration),
        Retention::ShiftedBetaGeometric { alpha, beta } => Churn::Beta(alpha, beta),
        Retention::Dropout { alpha, beta } => Churn::Dropout(alpha, beta),
    }
}

fn mean_orders(purchases: Purchases) -> (f64, bool) {
    match purchases {
        Purchases::Fixed { n } => (n, true),
        Purchases::Poisson { mean } | Purchases::NegativeBinomial { mean, .. } => (mean, false),
    }
}

fn mean_order_value(value: OrderValue) -> f64 {
    match value {
        OrderValue::Constant { mean }
        | OrderValue::Gamma { mean, .. }
        | OrderValue::HeterogeneousGamma { mean, .. } => mean,
        OrderValue::GammaGamma { p, q, gamma } => p * gamma / (q - 1.0),
    }
}

/// A group of customers who entered a cohort in the same period.
#[derive(Debug, Clone, Copy)]
struct Vintage {
    customers: f64,
    /// Accumulated hazard exposure (periods at h = 1, or orders for dropout).
    exposure: f64,
}

/// Expected CE of `plan` given one run's (drawn) `scenario`, demand and churn multipliers and
/// discount factors (index t − 1). See the module documentation for the approximations.
pub fn expected_ce(
    scenario: &Scenario,
    plan: &Plan,
    demand: &[f64],
    churn: &[f64],
    discount: &[f64],
) -> f64 {
    let path = PlanPath::new(scenario, plan);
    let n = scenario.cohorts.len();
    let models: Vec<Churn> = scenario
        .cohorts
        .iter()
        .map(|c| churn_model(c.retention))
        .collect();
    let orders: Vec<(f64, bool)> = scenario
        .cohorts
        .iter()
        .map(|c| mean_orders(c.purchases))
        .collect();
    let value: Vec<f64> = scenario
        .cohorts
        .iter()
        .map(|c| mean_order_value(c.order_value))
        .collect();
    let mut vintages: Vec<Vec<Vintage>> = scenario
        .cohorts
        .iter()
        .map(|c| {
            vec![Vintage {
                customers: c.customers as f64,
                exposure: 0.0,
            }]
        })
        .collect();
    // Beta churn: customers by survival exposure K (their churn is Beta(α, β + K)).
    let mut mixtures: Vec<Vec<f64>> = (0..n)
        .map(|c| match models[c] {
            Churn::Beta(..) => vec![scenario.cohorts[c].customers as f64],
            _ => Vec::new(),
        })
        .collect();
    for c in 0..n {
        if let Churn::Beta(..) = models[c] {
            vintages[c].clear();
        }
    }
    // Arrivals for the next period: referrals and migrants (traits drawn anew).
    let mut arriving = vec![0.0; n];
    let acquisition_effects: [f64; 3] = std::array::from_fn(|d| {
        scenario.drivers[d]
            .as_ref()
            .map_or(0.0, |p| p.effect.acquisition)
    });
    let mut ce = 0.0;
    // Win-back (SPEC §5b): expected lapsed customers by the cohort they lapsed from.
    let mut lapsed: Vec<f64> = (0..n)
        .map(|c| {
            scenario
                .winback
                .as_ref()
                .map_or(0.0, |w| w.pool.get(c).copied().unwrap_or(0) as f64)
        })
        .collect();
    let mut churned = vec![0.0; n];
    let mut mixture_scratch: Vec<f64> = Vec::new();
    // 1 − α/(α + β + K), the chance a survivor at exposure K stays, for K = 0..=H: the same
    // each period, so computed once per evaluation instead of once per component and period
    // (the mixture loop below is most of the mean field's time).
    let stay_tables: Vec<Vec<f64>> = models
        .iter()
        .map(|model| match *model {
            Churn::Beta(alpha, beta) => (0..=scenario.time.periods as usize + 1)
                .map(|k| 1.0 - alpha / (alpha + beta + k as f64))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    for t in 1..=scenario.time.periods {
        let i = t as usize - 1;
        let spend = path.spend[i];
        let mut entering = std::mem::replace(&mut arriving, vec![0.0; n]);
        let mut onboarding = 0.0;
        let mut winback_spend = 0.0;
        if let Some(winback) = &scenario.winback {
            let spent = expected_split(
                spend[Lever::Winback],
                winback.allocation.as_deref(),
                &lapsed,
            );
            for c in 0..n {
                if lapsed[c] <= 0.0 {
                    continue;
                }
                let share = winback.max_reactivation * winback.curve.fraction(spent[c] / lapsed[c]);
                let back = lapsed[c] * share.clamp(0.0, 1.0);
                lapsed[c] -= back;
                entering[winback.reenter.unwrap_or(c)] += back;
                onboarding += winback.onboarding_cost * back;
                winback_spend += spent[c];
            }
        }
        if let Some(acquisition) = &scenario.acquisition {
            let multiplier = path.multiplier(t, acquisition_effects);
            for (ch, channel) in acquisition.channels.iter().enumerate() {
                let rate = channel.probability(path.channel_adstock[i][ch], multiplier);
                let acquired = channel.prospects as f64 * rate;
                onboarding += channel.onboarding_cost * acquired;
                for (c, share) in channel.mix.iter().enumerate() {
                    entering[c] += acquired * share;
                }
            }
        }
        for c in 0..n {
            if let Churn::Beta(..) = models[c] {
                mixtures[c][0] += entering[c];
            } else if entering[c] > 0.0 {
                vintages[c].push(Vintage {
                    customers: entering[c],
                    exposure: 0.0,
                });
            }
        }
        let active: Vec<f64> = (0..n)
            .map(|c| match models[c] {
                Churn::Beta(..) => mixtures[c].iter().sum(),
                _ => vintages[c].iter().map(|g| g.customers).sum(),
            })
            .collect();
        let retention_spent = retention_spend(scenario, plan, spend[Lever::Retention], &active);
        let development_spent = scenario
            .development_program
            .as_ref()
            .map(|p| expected_split(spend[Lever::Development], p.allocation.as_deref(), &active));
        let mut period_value = 0.0;
        for c in 0..n {
            let cohort = &scenario.cohorts[c];
            if active[c] <= 0.0 {
                continue;
            }
            let sensitivity = cohort.sensitivity;
            let effects = |pick: fn(&crate::scenario::DriverEffect) -> f64| -> [f64; 3] {
                std::array::from_fn(|d| {
                    scenario.drivers[d]
                        .as_ref()
                        .map_or(0.0, |p| sensitivity[d] * pick(&p.effect))
                })
            };
            // The development programme (SPEC §5a) at the expected spend per head.
            let (develop_per_head, develop_fraction) =
                match (&scenario.development_program, &development_spent) {
                    (Some(p), Some(spent)) if spent[c] > 0.0 => {
                        let per_head = spent[c] / active[c];
                        (per_head, p.curve.fraction(per_head))
                    }
                    _ => (0.0, 0.0),
                };
            let program = scenario.development_program.as_ref();
            let row: std::borrow::Cow<'_, [(usize, f64)]> = match program {
                Some(p) if develop_fraction > 0.0 => {
                    p.row(&scenario.migration[c], c, develop_fraction).into()
                }
                _ => scenario.migration[c].as_slice().into(),
            };
            let (rate, fixed) = orders[c];
            let purchase_multiplier = if fixed {
                1.0
            } else {
                demand[i]
                    * path.multiplier(t, effects(|e| e.purchases))
                    * (1.0 + program.map_or(0.0, |p| p.max_purchase_lift) * develop_fraction)
            };
            let per_head = retention_spent[c] / active[c];
            let lift = scenario
                .retention_program
                .as_ref()
                .map_or(0.0, |p| p.max_churn_reduction * p.curve.fraction(per_head));
            let hazard = (1.0 - lift)
                * churn[i]
                * path.multiplier(t, effects(|e| -e.retention))
                * (1.0 - program.map_or(0.0, |p| p.max_churn_reduction) * develop_fraction);
            let expected_orders = rate * purchase_multiplier;
            // Off-boarding (SPEC §7) releases a share of those who did not churn.
            let kept = 1.0 - plan.offboard_share_at(c).clamp(0.0, 1.0);
            let moving: f64 = row.iter().map(|(_, p)| p).sum();
            let mut cohort_orders = 0.0;
            let mut staying_total = 0.0;
            if let Churn::Beta(alpha, beta) = models[c] {
                // Survivors' churn is the mixture Σ_K w_K·Beta(α, β + K); surviving a period
                // at hazard h multiplies the density by 1 − hθ = (1 − h) + h·(1 − θ), which
                // keeps weight (1 − h)·w_K at K and moves h·w_K·(β + K)/(α + β + K) to K + 1.
                let weights = &mut mixtures[c];
                let h = hazard;
                // Into a buffer kept across periods and cohorts (swapped with the weights
                // below), not a new vector: this loop runs once per cohort, period and
                // evaluation of the optimizer.
                let next = &mut mixture_scratch;
                next.clear();
                next.resize(weights.len() + 1, 0.0);
                let stay = &stay_tables[c];
                for (k, &w) in weights.iter().enumerate() {
                    if w == 0.0 {
                        continue;
                    }
                    // The mixture holds at most H + 1 components (one more a period).
                    let kept = stay
                        .get(k)
                        .copied()
                        .unwrap_or_else(|| 1.0 - alpha / (alpha + beta + k as f64));
                    if h <= 1.0 {
                        next[k] += (1.0 - h) * w;
                        next[k + 1] += h * w * kept;
                    } else {
                        // Above 1 (a churn shock) the split would need negative weights; the
                        // mean-field survival 1 − h·E\[θ\] is used instead.
                        next[k + 1] += w * (1.0 - h * (1.0 - kept)).max(0.0);
                    }
                }
                let survivors: f64 = next.iter().sum();
                churned[c] += active[c] - survivors;
                for w in next.iter_mut() {
                    *w *= kept * (1.0 - moving).max(0.0);
                }
                while next.len() > 1 && next.last() == Some(&0.0) {
                    next.pop();
                }
                std::mem::swap(weights, next);
                cohort_orders = active[c] * expected_orders;
                staying_total = survivors * kept;
            }
            for vintage in &mut vintages[c] {
                let (survival, placed) = match models[c] {
                    Churn::Fixed(theta) => {
                        ((1.0 - theta * hazard).clamp(0.0, 1.0), expected_orders)
                    }
                    Churn::Beta(..) => (0.0, 0.0),
                    Churn::Dropout(a, b) => {
                        let p = (a / (a + b + vintage.exposure) * hazard).min(1.0);
                        vintage.exposure += expected_orders * hazard;
                        let intensity = expected_orders * p;
                        // Orders arrive in the period until the customer drops out after one.
                        let placed = if intensity > 1e-9 {
                            expected_orders * (-(-intensity).exp_m1()) / intensity
                        } else {
                            expected_orders
                        };
                        ((-intensity).exp(), placed)
                    }
                };
                cohort_orders += vintage.customers * placed;
                let survivors = vintage.customers * survival;
                churned[c] += vintage.customers - survivors;
                vintage.customers = survivors * kept * (1.0 - moving).max(0.0);
                staying_total += survivors * kept;
            }
            for &(to, p) in row.iter() {
                arriving[to] += staying_total * p;
            }
            vintages[c].retain(|v| v.customers > 1e-12);
            let margin = cohort.margin * cohort_orders * value[c];
            let extra = active[c] * (cohort.extra_value.total() - cohort.cost_to_serve);
            period_value += margin + extra - retention_spent[c] - develop_per_head * active[c];
            arriving[cohort.referral_cohort] += cohort.referrals * active[c];
        }
        if let Some(winback) = &scenario.winback {
            for c in 0..n {
                lapsed[c] = lapsed[c] * (1.0 - winback.decay) + churned[c];
            }
        }
        churned.iter_mut().for_each(|x| *x = 0.0);
        let acquisition_spend = spend[Lever::Acquisition];
        ce += discount[i]
            * (period_value
                - acquisition_spend
                - onboarding
                - path.driver_spend(t)
                - winback_spend);
    }
    ce
}

/// Expected spend of each cohort when `budget` is split by `shares` (a share is spent only
/// when the cohort has anyone, probability ≈ 1 − e^(−expected count)) or in proportion to
/// the expected `counts` (SPEC §5a, §5b).
fn expected_split(budget: f64, shares: Option<&[f64]>, counts: &[f64]) -> Vec<f64> {
    if budget <= 0.0 {
        return vec![0.0; counts.len()];
    }
    let nonempty = |n: f64| -(-n).exp_m1();
    match shares {
        Some(shares) => shares
            .iter()
            .zip(counts)
            .map(|(share, &n)| budget * share * nonempty(n))
            .collect(),
        None => {
            let total: f64 = counts.iter().sum();
            counts
                .iter()
                .map(|&n| if total > 0.0 { budget * n / total } else { 0.0 })
                .collect()
        }
    }
}

/// Expected retention spend of each cohort (SPEC §5): the budget split by the plan's or the
/// programme's allocation, or in proportion to active customers; a share is spent only when
/// the cohort has customers, which happens with probability ≈ 1 − e^(−expected count).
fn retention_spend(scenario: &Scenario, plan: &Plan, budget: f64, active: &[f64]) -> Vec<f64> {
    let Some(program) = &scenario.retention_program else {
        return vec![0.0; active.len()];
    };
    if budget <= 0.0 {
        return vec![0.0; active.len()];
    }
    let nonempty = |n: f64| -(-n).exp_m1();
    match plan
        .retention_allocation
        .as_ref()
        .or(program.allocation.as_ref())
    {
        Some(shares) => shares
            .iter()
            .zip(active)
            .map(|(share, &n)| budget * share * nonempty(n))
            .collect(),
        None => {
            let total: f64 = active.iter().sum();
            active
                .iter()
                .map(|&n| if total > 0.0 { budget * n / total } else { 0.0 })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::closed_form::{constant_retention_ce, sbg_survival};
    use crate::scenario::{CashFlowTiming, Cohort, Time};

    fn time(periods: u32, per_year: u32, timing: CashFlowTiming) -> Time {
        Time {
            periods,
            periods_per_year: per_year,
            discount_rate: 0.1,
            cash_flow_timing: timing,
        }
    }

    #[test]
    fn constant_retention_is_exact() {
        let cohort = Cohort::new(
            "c",
            1000,
            Retention::Rate { rate: 0.8 },
            Purchases::Fixed { n: 1.0 },
            OrderValue::Constant { mean: 10.0 },
        );
        let scenario = Scenario::new("s", time(40, 1, CashFlowTiming::End), vec![cohort]);
        let got = MeanField::central(&scenario).expected_ce(&Plan::baseline());
        let want = constant_retention_ce(1000.0, 10.0, 0.8, 0.1, Some(40), CashFlowTiming::End);
        assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
    }

    #[test]
    fn sbg_survivors_follow_the_beta_posterior() {
        let (alpha, beta) = (0.704, 1.182);
        let cohort = Cohort::new(
            "c",
            1000,
            Retention::ShiftedBetaGeometric { alpha, beta },
            Purchases::Fixed { n: 1.0 },
            OrderValue::Constant { mean: 1.0 },
        );
        let mut scenario = Scenario::new("s", time(12, 1, CashFlowTiming::Start), vec![cohort]);
        scenario.time.discount_rate = 0.0;
        let got = MeanField::central(&scenario).expected_ce(&Plan::baseline());
        let want: f64 = (0..12).map(|t| 1000.0 * sbg_survival(alpha, beta, t)).sum();
        assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
    }
}
