//! The validated, typed scenario (SPEC §1–8, §10).
//!
//! Code after validation only ever sees these types: every number here has been checked to be
//! finite and inside its domain, and every cross-reference (mix, allocation, migration,
//! referral cohort, uncertainty path) has been resolved to an index. Parameters that a user may
//! make uncertain (SPEC §8) are reachable by their dotted path through
//! [`Scenario::visit_parameters`].

use serde::Serialize;

/// A whole scenario: the customer base, the market and the plans to evaluate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// Display name: the top-level `name` key, else the file stem.
    pub(crate) name: String,
    /// Currency label for money amounts (top-level `currency`, default "USD").
    pub(crate) currency: String,
    pub(crate) time: Time,
    /// At least one cohort; names are unique.
    pub(crate) cohorts: Vec<Cohort>,
    pub(crate) acquisition: Option<Acquisition>,
    pub(crate) retention_program: Option<RetentionProgram>,
    /// `[development_program]` (SPEC §5a): spend that moves customers up the pyramid.
    pub(crate) development_program: Option<DevelopmentProgram>,
    /// `[winback]` (SPEC §5b): the lapsed pool and the spend that reactivates it.
    pub(crate) winback: Option<Winback>,
    /// Indexed by [`Driver::index`]: value, brand, relationship.
    pub(crate) drivers: [Option<DriverParams>; 3],
    /// `migration[from]` lists `(to, probability)` pairs; probabilities of a row sum to ≤ 1.
    pub(crate) migration: Vec<Vec<(usize, f64)>>,
    pub(crate) shocks: Shocks,
    pub(crate) uncertainty: Vec<UncertainParameter>,
    /// `[uncertainty] draws`: joint draws of several parameters, row k mod n in run k.
    pub(crate) uncertainty_draws: Option<JointDraws>,
    /// At least one plan: the file's plans in file order, or the implicit `baseline`.
    pub(crate) plans: Vec<Plan>,
    /// The baseline among `plans`: `current` if present, else the first plan.
    pub(crate) baseline_plan: PlanId,
    pub(crate) optimize: Option<Optimize>,
    /// Top-level `sample_fraction` f in (0, 1], default 1 (SPEC §9.2): the cohorts, prospects
    /// and spends describe a 1:(1/f) sample of the business, and text outputs report money
    /// totals and customer counts of the full base (sample values ÷ f). Left out of the
    /// serialized scenario at 1, so the scenario digest of a file without it is unchanged.
    #[serde(skip_serializing_if = "is_one")]
    pub(crate) sample_fraction: f64,
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// SPEC §1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Time {
    /// Horizon H in periods, ≥ 1.
    pub(crate) periods: u32,
    /// 12 monthly, 4 quarterly, 52 weekly, 1 yearly; ≥ 1.
    pub(crate) periods_per_year: u32,
    /// Annual discount rate, ≥ 0 (and > -1).
    pub(crate) discount_rate: f64,
    pub(crate) cash_flow_timing: CashFlowTiming,
}

/// When in a period its cash flows fall, for discounting (SPEC §1 `cash_flow_timing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CashFlowTiming {
    /// Cash flows of period t are discounted by δ^t (default).
    End,
    /// Cash flows of period t are discounted by δ^(t−1), as in Fader & Hardie's DEL.
    Start,
}

/// SPEC §2: one cohort (a customer type or pyramid tier).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    pub(crate) name: String,
    /// Active at the start of period 1.
    pub(crate) customers: u64,
    pub(crate) retention: Retention,
    pub(crate) purchases: Purchases,
    pub(crate) order_value: OrderValue,
    /// Gross margin on order value, in [0, 1].
    pub(crate) margin: f64,
    /// Per active customer per period, ≥ 0.
    pub(crate) cost_to_serve: f64,
    /// Expected referred new customers per active customer per period, ≥ 0.
    pub(crate) referrals: f64,
    /// Index of the cohort referred customers join (default: this cohort).
    pub(crate) referral_cohort: usize,
    pub(crate) extra_value: ExtraValue,
    /// σ_{c,d}, indexed by [`Driver::index`]; default 1.0 each, ≥ 0.
    pub(crate) sensitivity: [f64; 3],
    /// What the existing customers' past says about them (`history` or `tenure`); fresh by
    /// default.
    pub(crate) existing: ExistingBase,
}

/// How a cohort's existing customers start (SPEC §2 `history`, `tenure`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExistingBase {
    /// Every existing customer draws its traits from the cohort's population laws (default).
    #[default]
    Fresh,
    /// BG/NBD customers with an observed history (Fader, Hardie & Lee 2005a): each is alive
    /// with P(alive | x, t_x, T) and, if alive, has λ ~ Gamma(r + x, rate α + T) and
    /// p ~ Beta(a, b + x). Groups sum to `customers`.
    History(HistoryGroups),
    /// Contractual customers who have renewed n times: θ ~ Beta(α, β + n) (Fader & Hardie
    /// 2010). Groups sum to `customers`.
    Tenure(Vec<TenureGroup>),
}

/// `count` customers with the same BG/NBD history: x repeat purchases, the last at t_x, and
/// observed for T periods since their first purchase (lifetimes' frequency, recency, T).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HistoryGroup {
    /// x, repeat purchases.
    pub(crate) frequency: u32,
    /// t_x, in periods, 0 ≤ t_x ≤ T (0 when x = 0).
    pub(crate) recency: f64,
    /// T, in periods, ≥ 0.
    #[serde(rename = "T")]
    pub(crate) age: f64,
    pub(crate) count: u64,
    /// m_x, the average value of the repeat purchases (Gamma-Gamma cohorts), if known: the
    /// customer's order-value scale is then ν ~ Gamma(q + p·x, rate γ + x·m_x) (Fader, Hardie
    /// & Lee 2005b). `None` (or x = 0) keeps the population's ν ~ Gamma(q, γ).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) monetary_value: Option<f64>,
}

/// The history groups of a cohort, shared (not copied) between the clones of a scenario that
/// runs and plans make.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryGroups(pub(crate) std::sync::Arc<Vec<HistoryGroup>>);

impl Serialize for HistoryGroups {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

/// `count` contractual customers who have survived `renewals` renewals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TenureGroup {
    pub(crate) renewals: u32,
    pub(crate) count: u64,
}

impl ExistingBase {
    /// The history groups, when the base has a BG/NBD history.
    pub fn history(&self) -> Option<&[HistoryGroup]> {
        match self {
            ExistingBase::History(groups) => Some(groups.0.as_slice()),
            _ => None,
        }
    }

    /// The tenure groups, when the base has tenures.
    pub fn tenure(&self) -> Option<&[TenureGroup]> {
        match self {
            ExistingBase::Tenure(groups) => Some(groups.as_slice()),
            _ => None,
        }
    }
}

/// How a cohort's customers leave (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Retention {
    /// `{ rate = r }`: churn propensity θ = 1 − r for everyone; r in [0, 1].
    Rate { rate: f64 },
    /// `{ mean, concentration }`: 1 − θ ~ Beta(r̄·c, (1 − r̄)·c); mean in [0, 1], c > 0.
    MeanConcentration { mean: f64, concentration: f64 },
    /// `{ churn_alpha, churn_beta }`: θ ~ Beta(α, β), Fader & Hardie (2007) sBG; α, β > 0.
    ShiftedBetaGeometric { alpha: f64, beta: f64 },
    /// `{ dropout_alpha, dropout_beta }`: BG/NBD dropout p ~ Beta(a, b) after each purchase
    /// (Fader, Hardie & Lee 2005); a, b > 0.
    Dropout { alpha: f64, beta: f64 },
}

/// Orders per active period (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purchases {
    /// Exactly `n` orders every active period (a contract); n a whole number ≥ 0.
    Fixed { n: f64 },
    /// Poisson(mean) orders per period; mean ≥ 0.
    Poisson { mean: f64 },
    /// λ ~ Gamma(shape, scale mean/shape), orders ~ Poisson(λ) (NBD); mean ≥ 0, shape > 0.
    NegativeBinomial { mean: f64, shape: f64 },
}

/// The value of each order (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderValue {
    /// Every order is worth `mean` (≥ 0).
    Constant { mean: f64 },
    /// Each order ~ Gamma(1/cv², mean·cv²); mean ≥ 0, cv > 0.
    Gamma { mean: f64, cv: f64 },
    /// Customer mean v_i ~ Gamma(1/u², mean·u²), each order ~ Gamma(1/cv², v_i·cv²); cv, u > 0.
    HeterogeneousGamma {
        mean: f64,
        cv: f64,
        customer_cv: f64,
    },
    /// Fader, Hardie & Lee (2005) Gamma-Gamma: ν_i ~ Gamma(shape q, rate γ), each order ~
    /// Gamma(shape p, rate ν_i); p > 0, q > 1 (finite mean p·γ/(q − 1)), γ > 0.
    GammaGamma { p: f64, q: f64, gamma: f64 },
}

/// Non-purchase value per active customer per period (SPEC §2; the seeds' five value kinds).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ExtraValue {
    pub(crate) information: f64,
    pub(crate) knowledge: f64,
    pub(crate) transaction: f64,
}

impl ExtraValue {
    pub fn total(&self) -> f64 {
        self.information + self.knowledge + self.transaction
    }
}

/// A saturating response to spend per head (SPEC §4, §5). The ceiling lives with the owner
/// (`ceiling` for acquisition, `max_churn_reduction` for retention).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseCurve {
    /// 1 − e^(−k·s), Blattberg & Deighton (1996); k > 0.
    Exponential { k: f64 },
    /// 1 − 2^(−s/h), the same curve by its half-saturation spend; h > 0.
    HalfSpend { half_spend: f64 },
    /// Hill saturation s^γ/(s^γ + h^γ); h > 0, γ > 0.
    Hill { half_spend: f64, shape: f64 },
}

/// SPEC §4: where new customers come from — one or more acquisition channels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acquisition {
    /// At least one channel; names are unique. The flat `[acquisition]` block is one channel
    /// named `acquisition`.
    pub(crate) channels: Vec<Channel>,
    /// Written as the flat `[acquisition]` block: its one channel is the lever `acquisition`
    /// (as before channels existed). Otherwise each channel is a lever `acquisition.<name>`.
    pub(crate) single: bool,
}

impl Acquisition {
    /// The flat `[acquisition]` block as one channel without carryover.
    pub fn single(channel: Channel) -> Self {
        Acquisition {
            channels: vec![channel],
            single: true,
        }
    }

    /// The levers that spend on acquisition: `acquisition` for the flat block, else one per
    /// channel.
    pub fn levers(&self) -> Vec<Lever> {
        if self.single {
            vec![Lever::Acquisition]
        } else {
            (0..self.channels.len())
                .map(|i| Lever::Channel(i as u16))
                .collect()
        }
    }
}

/// SPEC §4: one acquisition channel (search, social, referral programme, field sales, …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    /// Unique among the channels; letters, digits, '-' and '_'.
    pub(crate) name: String,
    /// Prospects reachable per period.
    pub(crate) prospects: u64,
    /// Most of the prospects that can be acquired per period, in [0, 1].
    pub(crate) ceiling: f64,
    pub(crate) curve: ResponseCurve,
    /// Adstock of the channel's spend: E_t = S_t + carryover·E_{t−1}, in [0, 1).
    pub(crate) carryover: f64,
    /// Shares of the channel's new customers by cohort index, each in [0, 1], summing to 1.
    pub(crate) mix: Vec<f64>,
    /// Per new customer, ≥ 0.
    pub(crate) onboarding_cost: f64,
}

/// SPEC §5.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionProgram {
    /// Largest fractional cut of churn hazards, in [0, 1].
    pub(crate) max_churn_reduction: f64,
    pub(crate) curve: ResponseCurve,
    /// Shares of the retention budget by cohort index (summing to 1), or `None` for "in
    /// proportion to active customers".
    pub(crate) allocation: Option<Vec<f64>>,
}

/// SPEC §5a: the development programme (the seeds' 发展: cross-selling and add-on selling that
/// grow iron customers into gold). Its budget is split across cohorts by `allocation` and
/// evenly over each cohort's active customers; spend s per customer raises each upgrade
/// migration by `max_extra` × f(s), purchases by `max_purchase_lift` × f(s) (relative) and cuts
/// churn by `max_churn_reduction` × f(s), f the response curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DevelopmentProgram {
    pub(crate) curve: ResponseCurve,
    /// Shares of the budget by cohort index (summing to 1), or `None` for "in proportion to
    /// active customers".
    pub(crate) allocation: Option<Vec<f64>>,
    /// `upgrades[from]` lists `(to, max_extra)`: the most the programme adds to the per-period
    /// probability of moving from `from` to `to`; with `[migration]`, each row sums to ≤ 1.
    pub(crate) upgrades: Vec<Vec<(usize, f64)>>,
    /// Largest relative rise of purchases, ≥ 0 (0 = no cross-selling effect).
    pub(crate) max_purchase_lift: f64,
    /// Largest fractional cut of churn hazards, in [0, 1] (0 = none).
    pub(crate) max_churn_reduction: f64,
}

impl DevelopmentProgram {
    /// The migration row of cohort `from` at response fraction `fraction` = f(s): the base
    /// `[migration]` row with each upgrade raised by max_extra × fraction (upgrades to cohorts
    /// the base row lacks are appended, in the order written).
    pub fn row(&self, base: &[(usize, f64)], from: usize, fraction: f64) -> Vec<(usize, f64)> {
        let mut row = base.to_vec();
        for &(to, extra) in self.upgrades.get(from).map_or(&[][..], Vec::as_slice) {
            match row.iter_mut().find(|(k, _)| *k == to) {
                Some(entry) => entry.1 += extra * fraction,
                None => row.push((to, extra * fraction)),
            }
        }
        row
    }
}

/// SPEC §5b: win-back of lapsed customers (the seeds' 流失客户). Customers who churn join a
/// pool per cohort and origin; the budget, split by `allocation` and evenly over each
/// cohort's pool, reactivates a share `max_reactivation` × f(s) of it per period (s the spend
/// per lapsed customer); the rest of the pool forgets the brand at rate `decay`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Winback {
    /// Largest share of a pool reactivated per period, in [0, 1].
    pub(crate) max_reactivation: f64,
    pub(crate) curve: ResponseCurve,
    /// Shares of the budget by the cohort customers lapsed from (summing to 1), or `None` for
    /// "in proportion to the pools".
    pub(crate) allocation: Option<Vec<f64>>,
    /// The cohort reactivated customers re-enter, or `None` for the one they lapsed from.
    pub(crate) reenter: Option<usize>,
    /// Per reactivated customer, ≥ 0.
    pub(crate) onboarding_cost: f64,
    /// Share of the pool that forgets the brand (leaves it for good) per period, in [0, 1].
    pub(crate) decay: f64,
    /// Lapsed customers of each cohort at the start (existing origin); all 0 by default.
    pub(crate) pool: Vec<u64>,
}

/// The three equity drivers of Rust, Lemon & Zeithaml (2004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Driver {
    Value,
    Brand,
    Relationship,
}

impl Driver {
    pub const ALL: [Driver; 3] = [Driver::Value, Driver::Brand, Driver::Relationship];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Driver::Value => "value",
            Driver::Brand => "brand",
            Driver::Relationship => "relationship",
        }
    }
}

/// SPEC §6: one driver's response to adstocked spend and its effects per rating point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DriverParams {
    /// Most the rating can rise, in rating points, ≥ 0.
    pub(crate) max_lift: f64,
    /// Adstocked spend per period for half of `max_lift`, > 0.
    pub(crate) half_spend: f64,
    /// Adstock carryover in [0, 1).
    pub(crate) carryover: f64,
    /// Effects per rating point (any sign; finite).
    pub(crate) effect: DriverEffect,
}

/// A driver's effects per rating point on retention, acquisition and purchases (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct DriverEffect {
    pub(crate) retention: f64,
    pub(crate) acquisition: f64,
    pub(crate) purchases: f64,
}

/// SPEC §8 shocks.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Shocks {
    pub(crate) demand: Option<Shock>,
    pub(crate) churn: Option<Shock>,
}

/// A mean-one AR(1) log-normal multiplier: sd ≥ 0, persistence in [0, 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Shock {
    pub(crate) sd: f64,
    pub(crate) persistence: f64,
}

/// One `[uncertainty]` entry: the scalar at `path` is replaced by a draw once per run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UncertainParameter {
    /// Dotted path as written, e.g. `cohorts.gold.retention.mean`; always one that
    /// [`Scenario::visit_parameters`] yields.
    pub(crate) path: String,
    pub(crate) distribution: ParameterDistribution,
}

/// `[uncertainty] draws = "FILE.csv"` (SPEC §8): one column per parameter path, one row per
/// joint draw; run k uses row k mod n, so parameters drawn together (a posterior, or a fit's
/// sampling distribution) keep their correlation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JointDraws {
    /// The file as written in the scenario.
    pub(crate) file: String,
    /// Column paths, each one [`Scenario::visit_parameters`] yields and none also given a
    /// distribution.
    pub(crate) paths: Vec<String>,
    /// At least one row, each with one finite value per path.
    #[serde(skip)]
    pub(crate) rows: Vec<Vec<f64>>,
}

impl JointDraws {
    /// The row run `run` uses: row `run` mod n.
    pub fn row(&self, run: u64) -> &[f64] {
        let n = self.rows.len() as u64;
        &self.rows[(run % n.max(1)) as usize]
    }
}

/// The law of an `[uncertainty]` parameter (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterDistribution {
    /// sd ≥ 0.
    Normal { mean: f64, sd: f64 },
    /// median > 0, sigma ≥ 0.
    LogNormal { median: f64, sigma: f64 },
    /// mean in (0, 1), concentration > 0.
    Beta { mean: f64, concentration: f64 },
    /// low ≤ high.
    Uniform { low: f64, high: f64 },
    /// low ≤ mode ≤ high.
    Triangular { low: f64, mode: f64, high: f64 },
}

/// The spend levers of a plan (SPEC §7): the five kinds, and each acquisition channel when the
/// scenario has `[[acquisition.channels]]` (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lever {
    /// The flat `[acquisition]` block's spend (or, in a plan, all acquisition spend).
    Acquisition,
    /// Acquisition channel `i` (index into `Acquisition::channels`); named
    /// `acquisition.<name>`, see [`Scenario::lever_name`].
    Channel(u16),
    Retention,
    Value,
    Brand,
    Relationship,
    /// `[development_program]` (SPEC §5a).
    Development,
    /// `[winback]` (SPEC §5b).
    Winback,
}

/// How many lever kinds there are (the length of [`Lever::ALL`], `Plan::spend`, bounds).
pub const LEVER_KINDS: usize = 7;

impl Lever {
    /// The kinds; channels are listed by [`Acquisition::levers`].
    pub const ALL: [Lever; LEVER_KINDS] = [
        Lever::Acquisition,
        Lever::Retention,
        Lever::Value,
        Lever::Brand,
        Lever::Relationship,
        Lever::Development,
        Lever::Winback,
    ];

    /// The lever's slot in per-kind arrays (`Plan::spend`, `Optimize::bounds`): every channel
    /// shares the acquisition slot, which holds all acquisition spend. A channel's own spend
    /// and bounds are [`Plan::schedule`] and [`Optimize::bound`].
    pub fn index(self) -> usize {
        match self {
            Lever::Acquisition | Lever::Channel(_) => 0,
            Lever::Retention => 1,
            Lever::Value => 2,
            Lever::Brand => 3,
            Lever::Relationship => 4,
            Lever::Development => 5,
            Lever::Winback => 6,
        }
    }

    /// The name of the lever's kind (`acquisition` for a channel too); a channel's own name is
    /// [`Scenario::lever_name`].
    pub fn name(self) -> &'static str {
        match self {
            Lever::Acquisition | Lever::Channel(_) => "acquisition",
            Lever::Retention => "retention",
            Lever::Value => "value",
            Lever::Brand => "brand",
            Lever::Relationship => "relationship",
            Lever::Development => "development",
            Lever::Winback => "winback",
        }
    }

    /// The driver a lever funds, if it is a driver lever.
    pub fn driver(self) -> Option<Driver> {
        match self {
            Lever::Value => Some(Driver::Value),
            Lever::Brand => Some(Driver::Brand),
            Lever::Relationship => Some(Driver::Relationship),
            _ => None,
        }
    }
}

/// Spend per period on one lever: a list of per-year amounts, the last repeating (a plain
/// number in the file is a one-element list). Every amount ≥ 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct SpendSchedule(pub(crate) Vec<f64>);

impl SpendSchedule {
    /// The same amount every year; the crate's own plans (the optimizer's points), whose
    /// amounts are ≥ 0 by construction. Outside the crate, [`SpendSchedule::new`] checks.
    pub(crate) fn constant(amount: f64) -> Self {
        SpendSchedule(vec![amount])
    }

    /// Spend in period `t` (1-based) given `periods_per_year`.
    pub fn at(&self, t: u32, periods_per_year: u32) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let year = ((t.max(1) - 1) / periods_per_year.max(1)) as usize;
        self.0[year.min(self.0.len() - 1)]
    }

    /// The year-by-year sum of `schedules` (each's last amount repeating), as long as the
    /// longest; empty input gives spend 0.
    pub fn sum<'a>(schedules: impl IntoIterator<Item = &'a SpendSchedule>) -> SpendSchedule {
        let schedules: Vec<&SpendSchedule> = schedules.into_iter().collect();
        let years = schedules
            .iter()
            .map(|s| s.0.len())
            .max()
            .unwrap_or(0)
            .max(1);
        SpendSchedule(
            (0..years)
                .map(|y| {
                    schedules
                        .iter()
                        .filter(|s| !s.0.is_empty())
                        .map(|s| s.0[y.min(s.0.len() - 1)])
                        .sum()
                })
                .collect(),
        )
    }
}

/// SPEC §7: spend per period on each lever.
///
/// The spend is sealed: the acquisition slot must stay the sum of the channels' spend, so it
/// is read through [`Plan::spend`], [`Plan::schedule`] and [`Plan::channels`] and changed
/// only through [`Plan::set`], which keeps the two together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub(crate) name: String,
    /// The acquisition slot holds all acquisition spend (the sum of `channels` when those
    /// are given).
    pub(crate) spend: super::LeverMap<SpendSchedule>,
    /// Per-plan override of `[retention_program].allocation` (used by the optimizer).
    pub(crate) retention_allocation: Option<Vec<f64>>,
    /// Spend on each acquisition channel, in channel order; empty means all acquisition spend
    /// goes to the first (or only) channel. Set through [`Plan::set`], which keeps the
    /// acquisition slot equal to the sum.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) channels: Vec<SpendSchedule>,
    /// `offboard = { cohort = share }` (SPEC §7): the share of each cohort's active customers
    /// released per period, by cohort index, each in [0, 1]; empty for none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) offboard: Vec<f64>,
}

impl Plan {
    /// The share of `cohort` the plan releases per period (0 when it off-boards none).
    pub fn offboard_share(&self, cohort: crate::scenario::CohortId) -> f64 {
        self.offboard_share_at(cohort.index())
    }

    /// [`Plan::offboard_share`] by the engines' cohort index.
    pub(crate) fn offboard_share_at(&self, c: usize) -> f64 {
        self.offboard.get(c).copied().unwrap_or(0.0)
    }

    /// The implicit plan of a scenario with no `[plans]`: spends nothing.
    pub fn baseline() -> Self {
        Plan::named("baseline")
    }

    /// A plan called `name` that spends nothing and releases no one; give it spend with
    /// [`Plan::set`].
    pub fn named(name: impl Into<String>) -> Self {
        Plan {
            name: name.into(),
            spend: super::LeverMap::from_fn(|_| SpendSchedule::constant(0.0)),
            retention_allocation: None,
            channels: Vec::new(),
            offboard: Vec::new(),
        }
    }

    /// The spend of each lever kind; the acquisition slot holds all acquisition spend, the
    /// sum of [`Plan::channels`] when the plan splits it.
    pub fn spend(&self) -> &super::LeverMap<SpendSchedule> {
        &self.spend
    }

    /// The spend on each acquisition channel, in channel order; empty when the plan does not
    /// split acquisition spend (all of it goes to the first channel).
    pub fn channels(&self) -> &[SpendSchedule] {
        &self.channels
    }

    pub fn spend_at(&self, lever: Lever, t: u32, periods_per_year: u32) -> f64 {
        self.schedule(lever).at(t, periods_per_year)
    }

    /// The schedule of `lever`; a channel the plan does not list spends 0, except the first
    /// channel of a plan that lists none (it gets all acquisition spend).
    pub fn schedule(&self, lever: Lever) -> std::borrow::Cow<'_, SpendSchedule> {
        use std::borrow::Cow;
        match lever {
            Lever::Channel(i) => match self.channels.get(i as usize) {
                Some(s) => Cow::Borrowed(s),
                None if self.channels.is_empty() && i == 0 => {
                    Cow::Borrowed(&self.spend[Lever::Acquisition])
                }
                None => Cow::Owned(SpendSchedule::constant(0.0)),
            },
            other => Cow::Borrowed(&self.spend[other]),
        }
    }

    /// Sets `lever`'s schedule. A channel's spend is kept in `channels` (`n_channels` long) and
    /// the acquisition slot becomes their sum; setting `Acquisition` drops any channel split.
    pub fn set(&mut self, lever: Lever, schedule: SpendSchedule, n_channels: usize) {
        match lever {
            Lever::Channel(i) => {
                if self.channels.len() < n_channels {
                    let first = self.schedule(Lever::Channel(0)).into_owned();
                    let mut channels = vec![SpendSchedule::constant(0.0); n_channels];
                    if self.channels.is_empty() {
                        channels[0] = first;
                    } else {
                        channels[..self.channels.len()].clone_from_slice(&self.channels);
                    }
                    self.channels = channels;
                }
                self.channels[i as usize] = schedule;
                self.spend[Lever::Acquisition] = SpendSchedule::sum(&self.channels);
            }
            Lever::Acquisition => {
                self.channels.clear();
                self.spend[Lever::Acquisition] = schedule;
            }
            other => self.spend[other] = schedule,
        }
    }

    /// Spend on every lever together in period `t`: the plan's budget in that period.
    pub fn total_spend_at(&self, t: u32, periods_per_year: u32) -> f64 {
        Lever::ALL
            .iter()
            .map(|l| self.spend_at(*l, t, periods_per_year))
            .sum()
    }
}

/// SPEC §10.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Optimize {
    /// Per-period cap on total spend; `None` = no cap.
    pub(crate) budget: Option<f64>,
    pub(crate) objective: Objective,
    /// Per-lever-kind `[min, max]`; `None` = `[0, budget or ∞]`. The acquisition slot bounds
    /// the flat block's lever; channels have `channel_bounds`. Sealed (0 ≤ min ≤ max, both
    /// finite): read with [`Optimize::bound`], set with [`Optimize::set_bound`].
    pub(crate) bounds: super::LeverMap<Option<(f64, f64)>>,
    /// Per-channel `[min, max]` (`bounds = { "acquisition.search" = [a, b] }`), in channel
    /// order, or empty for none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) channel_bounds: Vec<Option<(f64, f64)>>,
    /// Levers the optimizer may move (default: all present in the scenario).
    pub(crate) levers: Vec<Lever>,
    /// `bounds = { "offboard.<cohort>" = [lo, hi] }`: per cohort, the range of the share
    /// off-boarded per period that the optimizer may choose (within [0, 1]); `None` keeps the
    /// baseline plan's share. Empty when no cohort is bounded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) offboard_bounds: Vec<Option<(f64, f64)>>,
    pub(crate) optimize_retention_allocation: bool,
    /// `phases = "yearly"`: one level per lever per year instead of one constant level.
    pub(crate) phases: bool,
    /// Spend only while the next unit returns at least this much on top of itself
    /// (per unit of discounted spend); `None` = 0.
    pub(crate) hurdle: Option<f64>,
    /// Find the smallest budget that reaches this instead of splitting a fixed one.
    pub(crate) target: Option<Target>,
}

/// SPEC §10 `target`: what the smallest budget must reach.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Mean customer equity at least this.
    Mean(f64),
    /// P(CE > threshold) at least `probability`.
    ProbAbove { threshold: f64, probability: f64 },
}

/// What `[optimize]` maximizes (SPEC §10 `objective`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    Mean,
    /// mean − λ·sd, λ ≥ 0.
    MeanMinusSd(f64),
    /// Mean of the worst α share of runs, α in (0, 1].
    Cvar(f64),
    /// Probability that CE exceeds the target.
    ProbAbove(f64),
}

/// The valid range of a scalar parameter, used to validate and to clamp uncertain draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Domain {
    pub low: f64,
    pub high: f64,
    /// Whether `low` itself is excluded (e.g. a Beta shape must be > 0).
    pub low_open: bool,
    /// Whether `high` itself is excluded (e.g. an adstock carryover must be < 1).
    pub high_open: bool,
}

impl Domain {
    pub const ANY: Domain = Domain::closed(f64::NEG_INFINITY, f64::INFINITY);
    pub const NON_NEGATIVE: Domain = Domain::closed(0.0, f64::INFINITY);
    pub const POSITIVE: Domain = Domain {
        low: 0.0,
        high: f64::INFINITY,
        low_open: true,
        high_open: false,
    };
    pub const PROBABILITY: Domain = Domain::closed(0.0, 1.0);

    pub const fn closed(low: f64, high: f64) -> Domain {
        Domain {
            low,
            high,
            low_open: false,
            high_open: false,
        }
    }

    pub fn contains(&self, x: f64) -> bool {
        x.is_finite()
            && (if self.low_open {
                x > self.low
            } else {
                x >= self.low
            })
            && (if self.high_open {
                x < self.high
            } else {
                x <= self.high
            })
    }

    /// The nearest value inside the domain (open ends are approached by one ulp-ish step).
    pub fn clamp(&self, x: f64) -> f64 {
        if self.contains(x) {
            return x;
        }
        let below = !x.is_nan() && x <= self.low || x.is_nan();
        if below {
            if self.low_open {
                next_up(self.low)
            } else {
                self.low
            }
        } else if self.high_open {
            next_down(self.high)
        } else {
            self.high
        }
    }

    /// "in [0, 1]", "> 0", "≥ 0" … for error messages.
    pub fn describe(&self) -> String {
        let lo_inf = self.low == f64::NEG_INFINITY;
        let hi_inf = self.high == f64::INFINITY;
        match (lo_inf, hi_inf) {
            (true, true) => "a finite number".to_string(),
            (false, true) => format!("{} {}", if self.low_open { ">" } else { "≥" }, self.low),
            (true, false) => format!("{} {}", if self.high_open { "<" } else { "≤" }, self.high),
            (false, false) => format!(
                "in {}{}, {}{}",
                if self.low_open { "(" } else { "[" },
                self.low,
                self.high,
                if self.high_open { ")" } else { "]" }
            ),
        }
    }
}

fn next_up(x: f64) -> f64 {
    if x == 0.0 {
        f64::MIN_POSITIVE
    } else {
        x + x.abs() * 1e-12
    }
}

fn next_down(x: f64) -> f64 {
    if x == 0.0 {
        -f64::MIN_POSITIVE
    } else {
        x - x.abs() * 1e-12
    }
}

/// A scalar parameter handed to a [`Scenario::visit_parameters`] visitor.
pub struct ParameterRef<'a> {
    /// Dotted path, e.g. `cohorts.gold.retention.mean`.
    pub path: String,
    /// Sealed: read with [`ParameterRef::value`]; the crate's own visitors (sensitivity,
    /// uncertainty) write draws they have clamped to `domain`.
    pub(crate) value: &'a mut f64,
    pub domain: Domain,
}

impl ParameterRef<'_> {
    /// The parameter's current value.
    pub fn value(&self) -> f64 {
        *self.value
    }
}

/// A plan of a scenario, by its position in [`Scenario::plans`]. Minted by the scenario
/// ([`Scenario::plan_id`], [`Scenario::plan_ids`], [`Scenario::baseline_plan`]) or
/// [`PlanId::FIRST`], so a plan is never named by a bare number that could be a cohort, a run
/// or a count. Serializes as the position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PlanId(usize);

impl PlanId {
    /// The first plan: every validated scenario has one (its file's first, or the implicit
    /// `baseline`).
    pub const FIRST: PlanId = PlanId(0);

    /// The id of the plan at `index` of a plan list (the validator and the optimizer's own
    /// plan lists).
    pub(crate) fn at(index: usize) -> PlanId {
        PlanId(index)
    }

    /// The plan's position in [`Scenario::plans`].
    pub fn index(self) -> usize {
        self.0
    }
}

impl std::fmt::Display for PlanId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::ops::Index<PlanId> for [Plan] {
    type Output = Plan;

    fn index(&self, id: PlanId) -> &Plan {
        &self[id.0]
    }
}

impl std::ops::Index<PlanId> for Vec<Plan> {
    type Output = Plan;

    fn index(&self, id: PlanId) -> &Plan {
        &self[id.0]
    }
}

impl Scenario {
    /// The plan called `name`, if the scenario has one.
    pub fn plan_id(&self, name: &str) -> Option<PlanId> {
        self.plans.iter().position(|p| p.name == name).map(PlanId)
    }

    /// Every plan of the scenario, in file order.
    pub fn plan_ids(&self) -> impl Iterator<Item = PlanId> + use<> {
        (0..self.plans.len()).map(PlanId)
    }

    /// The plan `id`, if it is one of this scenario's.
    pub fn plan(&self, id: PlanId) -> Option<&Plan> {
        self.plans.get(id.0)
    }

    /// Calls `visit` on every scalar parameter that `[uncertainty]` may name and that a
    /// sensitivity analysis may move, with its dotted path and valid domain. Integer sizes
    /// (customers, prospects, periods), shares that must sum to one (mix, allocation) and plan
    /// spend are not parameters in this sense.
    pub fn visit_parameters(&mut self, visit: &mut dyn FnMut(ParameterRef<'_>)) {
        let mut emit = |path: String, value: &mut f64, domain: Domain| {
            visit(ParameterRef {
                path,
                value,
                domain,
            })
        };
        emit(
            "time.discount_rate".into(),
            &mut self.time.discount_rate,
            Domain::NON_NEGATIVE,
        );
        let cohort_names: Vec<String> = self.cohorts.iter().map(|c| c.name.clone()).collect();
        for cohort in &mut self.cohorts {
            let base = format!("cohorts.{}", cohort.name);
            match &mut cohort.retention {
                Retention::Rate { rate } => {
                    emit(format!("{base}.retention.rate"), rate, Domain::PROBABILITY)
                }
                Retention::MeanConcentration {
                    mean,
                    concentration,
                } => {
                    emit(format!("{base}.retention.mean"), mean, Domain::PROBABILITY);
                    emit(
                        format!("{base}.retention.concentration"),
                        concentration,
                        Domain::POSITIVE,
                    );
                }
                Retention::ShiftedBetaGeometric { alpha, beta } => {
                    emit(
                        format!("{base}.retention.churn_alpha"),
                        alpha,
                        Domain::POSITIVE,
                    );
                    emit(
                        format!("{base}.retention.churn_beta"),
                        beta,
                        Domain::POSITIVE,
                    );
                }
                Retention::Dropout { alpha, beta } => {
                    emit(
                        format!("{base}.retention.dropout_alpha"),
                        alpha,
                        Domain::POSITIVE,
                    );
                    emit(
                        format!("{base}.retention.dropout_beta"),
                        beta,
                        Domain::POSITIVE,
                    );
                }
            }
            match &mut cohort.purchases {
                Purchases::Fixed { .. } => {}
                Purchases::Poisson { mean } => {
                    emit(format!("{base}.purchases.mean"), mean, Domain::NON_NEGATIVE)
                }
                Purchases::NegativeBinomial { mean, shape } => {
                    emit(format!("{base}.purchases.mean"), mean, Domain::NON_NEGATIVE);
                    emit(format!("{base}.purchases.shape"), shape, Domain::POSITIVE);
                }
            }
            match &mut cohort.order_value {
                OrderValue::Constant { mean } => emit(
                    format!("{base}.order_value.mean"),
                    mean,
                    Domain::NON_NEGATIVE,
                ),
                OrderValue::Gamma { mean, cv } => {
                    emit(
                        format!("{base}.order_value.mean"),
                        mean,
                        Domain::NON_NEGATIVE,
                    );
                    emit(format!("{base}.order_value.cv"), cv, Domain::POSITIVE);
                }
                OrderValue::HeterogeneousGamma {
                    mean,
                    cv,
                    customer_cv,
                } => {
                    emit(
                        format!("{base}.order_value.mean"),
                        mean,
                        Domain::NON_NEGATIVE,
                    );
                    emit(format!("{base}.order_value.cv"), cv, Domain::POSITIVE);
                    emit(
                        format!("{base}.order_value.customer_cv"),
                        customer_cv,
                        Domain::POSITIVE,
                    );
                }
                OrderValue::GammaGamma { p, q, gamma } => {
                    emit(format!("{base}.order_value.p"), p, Domain::POSITIVE);
                    let q_domain = Domain {
                        low: 1.0,
                        high: f64::INFINITY,
                        low_open: true,
                        high_open: false,
                    };
                    emit(format!("{base}.order_value.q"), q, q_domain);
                    emit(format!("{base}.order_value.gamma"), gamma, Domain::POSITIVE);
                }
            }
            emit(
                format!("{base}.margin"),
                &mut cohort.margin,
                Domain::PROBABILITY,
            );
            emit(
                format!("{base}.cost_to_serve"),
                &mut cohort.cost_to_serve,
                Domain::NON_NEGATIVE,
            );
            emit(
                format!("{base}.referrals"),
                &mut cohort.referrals,
                Domain::NON_NEGATIVE,
            );
            let extra = &mut cohort.extra_value;
            emit(
                format!("{base}.extra_value.information"),
                &mut extra.information,
                Domain::ANY,
            );
            emit(
                format!("{base}.extra_value.knowledge"),
                &mut extra.knowledge,
                Domain::ANY,
            );
            emit(
                format!("{base}.extra_value.transaction"),
                &mut extra.transaction,
                Domain::ANY,
            );
            for driver in Driver::ALL {
                emit(
                    format!("{base}.sensitivity.{}", driver.name()),
                    &mut cohort.sensitivity[driver.index()],
                    Domain::NON_NEGATIVE,
                );
            }
        }
        if let Some(acquisition) = &mut self.acquisition {
            let single = acquisition.single;
            for channel in &mut acquisition.channels {
                let base = if single {
                    "acquisition".to_string()
                } else {
                    format!("acquisition.channels.{}", channel.name)
                };
                emit(
                    format!("{base}.response.ceiling"),
                    &mut channel.ceiling,
                    Domain::PROBABILITY,
                );
                visit_curve(&format!("{base}.response"), &mut channel.curve, &mut emit);
                emit(
                    format!("{base}.onboarding_cost"),
                    &mut channel.onboarding_cost,
                    Domain::NON_NEGATIVE,
                );
                if !single {
                    let carryover = Domain {
                        high_open: true,
                        ..Domain::closed(0.0, 1.0)
                    };
                    emit(
                        format!("{base}.carryover"),
                        &mut channel.carryover,
                        carryover,
                    );
                    // A whole number of prospects: a draw is rounded to the nearest.
                    let mut prospects = channel.prospects as f64;
                    emit(
                        format!("{base}.prospects"),
                        &mut prospects,
                        Domain::NON_NEGATIVE,
                    );
                    channel.prospects = prospects.round().min(u64::MAX as f64) as u64;
                }
            }
        }
        if let Some(program) = &mut self.retention_program {
            emit(
                "retention_program.response.max_churn_reduction".into(),
                &mut program.max_churn_reduction,
                Domain::PROBABILITY,
            );
            visit_curve("retention_program.response", &mut program.curve, &mut emit);
        }
        if let Some(program) = &mut self.development_program {
            visit_curve(
                "development_program.response",
                &mut program.curve,
                &mut emit,
            );
            for (from, row) in program.upgrades.iter_mut().enumerate() {
                for (to, extra) in row.iter_mut() {
                    emit(
                        format!(
                            "development_program.upgrades.{}.{}",
                            cohort_names[from], cohort_names[*to]
                        ),
                        extra,
                        Domain::PROBABILITY,
                    );
                }
            }
            emit(
                "development_program.max_purchase_lift".into(),
                &mut program.max_purchase_lift,
                Domain::NON_NEGATIVE,
            );
            emit(
                "development_program.max_churn_reduction".into(),
                &mut program.max_churn_reduction,
                Domain::PROBABILITY,
            );
        }
        if let Some(winback) = &mut self.winback {
            emit(
                "winback.response.max_reactivation".into(),
                &mut winback.max_reactivation,
                Domain::PROBABILITY,
            );
            visit_curve("winback.response", &mut winback.curve, &mut emit);
            emit(
                "winback.onboarding_cost".into(),
                &mut winback.onboarding_cost,
                Domain::NON_NEGATIVE,
            );
            emit(
                "winback.decay".into(),
                &mut winback.decay,
                Domain::PROBABILITY,
            );
        }
        for driver in Driver::ALL {
            if let Some(params) = &mut self.drivers[driver.index()] {
                let base = format!("drivers.{}", driver.name());
                emit(
                    format!("{base}.max_lift"),
                    &mut params.max_lift,
                    Domain::NON_NEGATIVE,
                );
                emit(
                    format!("{base}.half_spend"),
                    &mut params.half_spend,
                    Domain::POSITIVE,
                );
                let carryover = Domain {
                    high_open: true,
                    ..Domain::closed(0.0, 1.0)
                };
                emit(
                    format!("{base}.carryover"),
                    &mut params.carryover,
                    carryover,
                );
                let effect = &mut params.effect;
                emit(
                    format!("{base}.effect.retention"),
                    &mut effect.retention,
                    Domain::ANY,
                );
                emit(
                    format!("{base}.effect.acquisition"),
                    &mut effect.acquisition,
                    Domain::ANY,
                );
                emit(
                    format!("{base}.effect.purchases"),
                    &mut effect.purchases,
                    Domain::ANY,
                );
            }
        }
        for (from, row) in self.migration.iter_mut().enumerate() {
            for (to, probability) in row.iter_mut() {
                emit(
                    format!("migration.{}.{}", cohort_names[from], cohort_names[*to]),
                    probability,
                    Domain::PROBABILITY,
                );
            }
        }
        let persistence = Domain {
            high_open: true,
            ..Domain::closed(0.0, 1.0)
        };
        for (name, shock) in [
            ("demand", &mut self.shocks.demand),
            ("churn", &mut self.shocks.churn),
        ] {
            if let Some(shock) = shock {
                emit(
                    format!("shocks.{name}.sd"),
                    &mut shock.sd,
                    Domain::NON_NEGATIVE,
                );
                emit(
                    format!("shocks.{name}.persistence"),
                    &mut shock.persistence,
                    persistence,
                );
            }
        }
    }

    /// A lever as written in plans and `[optimize]`: `acquisition.<channel>` for a channel,
    /// else the kind's name.
    pub fn lever_name(&self, lever: Lever) -> String {
        match (lever, &self.acquisition) {
            (Lever::Channel(i), Some(a)) if (i as usize) < a.channels.len() => {
                format!("acquisition.{}", a.channels[i as usize].name)
            }
            (other, _) => other.name().to_string(),
        }
    }

    /// The acquisition levers and every other lever whose section is present, in [`Lever`]
    /// order.
    pub fn present_levers(&self) -> Vec<Lever> {
        let mut levers = self
            .acquisition
            .as_ref()
            .map_or_else(Vec::new, Acquisition::levers);
        if self.retention_program.is_some() {
            levers.push(Lever::Retention);
        }
        for driver in Driver::ALL {
            if self.drivers[driver.index()].is_some() {
                levers.push(match driver {
                    Driver::Value => Lever::Value,
                    Driver::Brand => Lever::Brand,
                    Driver::Relationship => Lever::Relationship,
                });
            }
        }
        if self.development_program.is_some() {
            levers.push(Lever::Development);
        }
        if self.winback.is_some() {
            levers.push(Lever::Winback);
        }
        levers
    }

    /// Number of acquisition channels (0 without acquisition).
    pub fn channel_count(&self) -> usize {
        self.acquisition.as_ref().map_or(0, |a| a.channels.len())
    }

    /// The dotted paths of every parameter, in visiting order.
    pub fn parameter_paths(&self) -> Vec<String> {
        let mut copy = self.clone();
        let mut paths = Vec::new();
        copy.visit_parameters(&mut |p| paths.push(p.path));
        paths
    }
}

fn visit_curve(
    base: &str,
    curve: &mut ResponseCurve,
    emit: &mut impl FnMut(String, &mut f64, Domain),
) {
    match curve {
        ResponseCurve::Exponential { k } => emit(format!("{base}.k"), k, Domain::POSITIVE),
        ResponseCurve::HalfSpend { half_spend } => {
            emit(format!("{base}.half_spend"), half_spend, Domain::POSITIVE)
        }
        ResponseCurve::Hill { half_spend, shape } => {
            emit(format!("{base}.half_spend"), half_spend, Domain::POSITIVE);
            emit(format!("{base}.shape"), shape, Domain::POSITIVE);
        }
    }
}

impl Optimize {
    /// The scenario's `[optimize]`, or its defaults (SPEC §10): no cap, the mean, every lever
    /// present in the scenario, no bounds, no phasing, no hurdle, no target.
    pub fn of(scenario: &Scenario) -> Optimize {
        scenario.optimize.clone().unwrap_or_else(|| Optimize {
            budget: None,
            objective: Objective::Mean,
            bounds: Default::default(),
            channel_bounds: Vec::new(),
            levers: scenario.present_levers(),
            offboard_bounds: Vec::new(),
            optimize_retention_allocation: false,
            phases: false,
            hurdle: None,
            target: None,
        })
    }

    /// The `[min, max]` of `lever`, if bounded.
    pub fn bound(&self, lever: Lever) -> Option<(f64, f64)> {
        match lever {
            Lever::Channel(i) => self.channel_bounds.get(i as usize).copied().flatten(),
            other => self.bounds[other],
        }
    }

    /// Bounds `lever` to `[min, max]` (`None`: unbounded), as `bounds = { lever = [min, max] }`
    /// would; refuses a range that is not 0 ≤ min ≤ max with both finite, the rule the
    /// validator applies to the file.
    pub fn set_bound(
        &mut self,
        lever: Lever,
        bound: Option<(f64, f64)>,
    ) -> Result<(), InvalidBound> {
        if let Some((min, max)) = bound
            && !(min.is_finite() && max.is_finite() && 0.0 <= min && min <= max)
        {
            return Err(InvalidBound { lever, min, max });
        }
        match lever {
            Lever::Channel(i) => {
                let i = usize::from(i);
                if self.channel_bounds.len() <= i {
                    self.channel_bounds.resize(i + 1, None);
                }
                self.channel_bounds[i] = bound;
            }
            other => self.bounds[other] = bound,
        }
        Ok(())
    }
}

/// A `[min, max]` given to [`Optimize::set_bound`] that no lever can have.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("the bound [{min}, {max}] of {lever:?} needs 0 ≤ min ≤ max, both finite")]
pub struct InvalidBound {
    pub lever: Lever,
    pub min: f64,
    pub max: f64,
}

impl Cohort {
    /// A cohort with the given size, retention, purchases and order value and every optional
    /// key at its default (margin 1, no costs, no referrals, no extra value, sensitivity 1).
    /// `referral_cohort` must be set by the caller when the cohort is not at index 0.
    pub fn new(
        name: &str,
        customers: u64,
        retention: Retention,
        purchases: Purchases,
        order_value: OrderValue,
    ) -> Self {
        Cohort {
            name: name.to_string(),
            customers,
            retention,
            purchases,
            order_value,
            margin: 1.0,
            cost_to_serve: 0.0,
            referrals: 0.0,
            referral_cohort: 0,
            extra_value: ExtraValue::default(),
            sensitivity: [1.0; 3],
            existing: ExistingBase::Fresh,
        }
    }
}

impl Scenario {
    /// A scenario of `cohorts` over `time` with no optional sections and the implicit baseline
    /// plan — the starting point for building scenarios in the crate (fitted models); outside
    /// it, [`Scenario::build`] checks the result.
    pub(crate) fn new(name: &str, time: Time, cohorts: Vec<Cohort>) -> Self {
        let n = cohorts.len();
        Scenario {
            name: name.to_string(),
            currency: "USD".to_string(),
            time,
            cohorts,
            acquisition: None,
            retention_program: None,
            development_program: None,
            winback: None,
            drivers: [None, None, None],
            migration: vec![Vec::new(); n],
            shocks: Shocks::default(),
            uncertainty: Vec::new(),
            uncertainty_draws: None,
            plans: vec![Plan::baseline()],
            baseline_plan: PlanId::FIRST,
            optimize: None,
            sample_fraction: 1.0,
        }
    }
}
