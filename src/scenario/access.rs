//! Read access to the validated scenario types (STYLE.md "seal what was validated").
//!
//! Their fields are `pub(crate)`: the engines index them directly, while a library user reads
//! them through these accessors and changes them only through the checked setters of
//! [`super::edit`] or by reading a scenario file again, so no value the validator would refuse
//! reaches an engine.

use super::ids::CohortId;
use super::types::*;

impl Scenario {
    /// Display name: the top-level `name` key, else the file stem.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Currency label for money amounts (top-level `currency`, default "USD").
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// The horizon, periods per year, discount rate and cash-flow timing (`[time]`, SPEC §1).
    pub fn time(&self) -> &Time {
        &self.time
    }

    /// At least one cohort; names are unique.
    pub fn cohorts(&self) -> &[Cohort] {
        &self.cohorts
    }

    /// `[acquisition]` (SPEC §4): the channels new customers come from, if any.
    pub fn acquisition(&self) -> Option<&Acquisition> {
        self.acquisition.as_ref()
    }

    /// `[retention_program]` (SPEC §5): spend that cuts churn, if any.
    pub fn retention_program(&self) -> Option<&RetentionProgram> {
        self.retention_program.as_ref()
    }

    /// `[development_program]` (SPEC §5a): spend that moves customers up the pyramid.
    pub fn development_program(&self) -> Option<&DevelopmentProgram> {
        self.development_program.as_ref()
    }

    /// `[winback]` (SPEC §5b): the lapsed pool and the spend that reactivates it.
    pub fn winback(&self) -> Option<&Winback> {
        self.winback.as_ref()
    }

    /// Indexed by [`Driver::index`]: value, brand, relationship.
    pub fn drivers(&self) -> [Option<DriverParams>; 3] {
        self.drivers
    }

    /// `migration[from]` lists `(to, probability)` pairs; probabilities of a row sum to ≤ 1.
    pub fn migration(&self) -> &[Vec<(usize, f64)>] {
        &self.migration
    }

    /// `[shocks]` (SPEC §8): the demand and churn multipliers, each optional.
    pub fn shocks(&self) -> Shocks {
        self.shocks
    }

    /// `[uncertainty]` (SPEC §8): the parameters drawn once per run, in file order.
    pub fn uncertainty(&self) -> &[UncertainParameter] {
        &self.uncertainty
    }

    /// `[uncertainty] draws`: joint draws of several parameters, row k mod n in run k.
    pub fn uncertainty_draws(&self) -> Option<&JointDraws> {
        self.uncertainty_draws.as_ref()
    }

    /// At least one plan: the file's plans in file order, or the implicit `baseline`.
    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    /// The baseline among `plans`: `current` if present, else the first plan.
    pub fn baseline_plan(&self) -> PlanId {
        self.baseline_plan
    }

    /// `[optimize]` (SPEC §10), if present; [`Optimize::of`] gives its defaults otherwise.
    pub fn optimize(&self) -> Option<&Optimize> {
        self.optimize.as_ref()
    }

    /// Top-level `sample_fraction` f in (0, 1], default 1 (SPEC §9.2): the cohorts, prospects
    /// and spends describe a 1:(1/f) sample of the business, and text outputs report money
    /// totals and customer counts of the full base (sample values ÷ f). Left out of the
    /// serialized scenario at 1, so the scenario digest of a file without it is unchanged.
    pub fn sample_fraction(&self) -> f64 {
        self.sample_fraction
    }
}

impl Time {
    /// Horizon H in periods, ≥ 1.
    pub fn periods(&self) -> u32 {
        self.periods
    }

    /// 12 monthly, 4 quarterly, 52 weekly, 1 yearly; ≥ 1.
    pub fn periods_per_year(&self) -> u32 {
        self.periods_per_year
    }

    /// Annual discount rate, ≥ 0 (and > -1).
    pub fn discount_rate(&self) -> f64 {
        self.discount_rate
    }

    /// Whether period t is discounted by δ^t (end, default) or δ^(t−1) (start).
    pub fn cash_flow_timing(&self) -> CashFlowTiming {
        self.cash_flow_timing
    }
}

impl Cohort {
    /// Unique among the cohorts.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Active at the start of period 1.
    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// How the cohort's customers leave (`retention`).
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Orders per active period (`purchases`).
    pub fn purchases(&self) -> Purchases {
        self.purchases
    }

    /// The value of each order (`order_value`).
    pub fn order_value(&self) -> OrderValue {
        self.order_value
    }

    /// Gross margin on order value, in [0, 1].
    pub fn margin(&self) -> f64 {
        self.margin
    }

    /// Per active customer per period, ≥ 0.
    pub fn cost_to_serve(&self) -> f64 {
        self.cost_to_serve
    }

    /// Expected referred new customers per active customer per period, ≥ 0.
    pub fn referrals(&self) -> f64 {
        self.referrals
    }

    /// The cohort referred customers join (default: the first cohort).
    pub fn referral_cohort(&self) -> CohortId {
        CohortId::at(self.referral_cohort)
    }

    /// Non-purchase value per active customer per period (`extra_value`).
    pub fn extra_value(&self) -> ExtraValue {
        self.extra_value
    }

    /// σ_{c,d}, indexed by [`Driver::index`]; default 1.0 each, ≥ 0.
    pub fn sensitivity(&self) -> [f64; 3] {
        self.sensitivity
    }

    /// What the existing customers' past says about them (`history` or `tenure`); fresh by
    /// default.
    pub fn existing(&self) -> &ExistingBase {
        &self.existing
    }
}

impl HistoryGroup {
    /// x, repeat purchases.
    pub fn frequency(&self) -> u32 {
        self.frequency
    }

    /// t_x, in periods, 0 ≤ t_x ≤ T (0 when x = 0).
    pub fn recency(&self) -> f64 {
        self.recency
    }

    /// T, in periods, ≥ 0.
    pub fn age(&self) -> f64 {
        self.age
    }

    /// Customers with this history, ≥ 1.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// m_x, the average value of the repeat purchases (Gamma-Gamma cohorts), if known: the
    /// customer's order-value scale is then ν ~ Gamma(q + p·x, rate γ + x·m_x) (Fader, Hardie
    /// & Lee 2005b). `None` (or x = 0) keeps the population's ν ~ Gamma(q, γ).
    pub fn monetary_value(&self) -> Option<f64> {
        self.monetary_value
    }
}

impl TenureGroup {
    /// Renewals survived.
    pub fn renewals(&self) -> u32 {
        self.renewals
    }

    /// Customers with this tenure.
    pub fn count(&self) -> u64 {
        self.count
    }
}

impl ExtraValue {
    /// Information value per active customer per period.
    pub fn information(&self) -> f64 {
        self.information
    }

    /// Knowledge value per active customer per period.
    pub fn knowledge(&self) -> f64 {
        self.knowledge
    }

    /// Transaction value per active customer per period.
    pub fn transaction(&self) -> f64 {
        self.transaction
    }
}

impl Acquisition {
    /// At least one channel; names are unique. The flat `[acquisition]` block is one channel
    /// named `acquisition`.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// Written as the flat `[acquisition]` block: its one channel is the lever `acquisition`
    /// (as before channels existed). Otherwise each channel is a lever `acquisition.<name>`.
    pub fn is_single(&self) -> bool {
        self.single
    }
}

impl Channel {
    /// Unique among the channels; letters, digits, '-' and '_'.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Prospects reachable per period.
    pub fn prospects(&self) -> u64 {
        self.prospects
    }

    /// Most of the prospects that can be acquired per period, in [0, 1].
    pub fn ceiling(&self) -> f64 {
        self.ceiling
    }

    /// The channel's saturating response to spend per prospect.
    pub fn curve(&self) -> ResponseCurve {
        self.curve
    }

    /// Adstock of the channel's spend: E_t = S_t + carryover·E_{t−1}, in [0, 1).
    pub fn carryover(&self) -> f64 {
        self.carryover
    }

    /// Shares of the channel's new customers by cohort index, each in [0, 1], summing to 1.
    pub fn mix(&self) -> &[f64] {
        &self.mix
    }

    /// Per new customer, ≥ 0.
    pub fn onboarding_cost(&self) -> f64 {
        self.onboarding_cost
    }
}

impl RetentionProgram {
    /// Largest fractional cut of churn hazards, in [0, 1].
    pub fn max_churn_reduction(&self) -> f64 {
        self.max_churn_reduction
    }

    /// The saturating response to spend per active customer.
    pub fn curve(&self) -> ResponseCurve {
        self.curve
    }

    /// Shares of the retention budget by cohort index (summing to 1), or `None` for "in
    /// proportion to active customers".
    pub fn allocation(&self) -> Option<&[f64]> {
        self.allocation.as_deref()
    }
}

impl DevelopmentProgram {
    /// The saturating response to spend per active customer.
    pub fn curve(&self) -> ResponseCurve {
        self.curve
    }

    /// Shares of the budget by cohort index (summing to 1), or `None` for "in proportion to
    /// active customers".
    pub fn allocation(&self) -> Option<&[f64]> {
        self.allocation.as_deref()
    }

    /// `upgrades[from]` lists `(to, max_extra)`: the most the programme adds to the per-period
    /// probability of moving from `from` to `to`; with `[migration]`, each row sums to ≤ 1.
    pub fn upgrades(&self) -> &[Vec<(usize, f64)>] {
        &self.upgrades
    }

    /// Largest relative rise of purchases, ≥ 0 (0 = no cross-selling effect).
    pub fn max_purchase_lift(&self) -> f64 {
        self.max_purchase_lift
    }

    /// Largest fractional cut of churn hazards, in [0, 1] (0 = none).
    pub fn max_churn_reduction(&self) -> f64 {
        self.max_churn_reduction
    }
}

impl Winback {
    /// Largest share of a pool reactivated per period, in [0, 1].
    pub fn max_reactivation(&self) -> f64 {
        self.max_reactivation
    }

    /// The saturating response to spend per lapsed customer.
    pub fn curve(&self) -> ResponseCurve {
        self.curve
    }

    /// Shares of the budget by the cohort customers lapsed from (summing to 1), or `None` for
    /// "in proportion to the pools".
    pub fn allocation(&self) -> Option<&[f64]> {
        self.allocation.as_deref()
    }

    /// The cohort reactivated customers re-enter, or `None` for the one they lapsed from.
    pub fn reenter(&self) -> Option<CohortId> {
        self.reenter.map(CohortId::at)
    }

    /// Per reactivated customer, ≥ 0.
    pub fn onboarding_cost(&self) -> f64 {
        self.onboarding_cost
    }

    /// Share of the pool that forgets the brand (leaves it for good) per period, in [0, 1].
    pub fn decay(&self) -> f64 {
        self.decay
    }

    /// Lapsed customers of each cohort at the start (existing origin); all 0 by default.
    pub fn pool(&self) -> &[u64] {
        &self.pool
    }
}

impl DriverParams {
    /// Most the rating can rise, in rating points, ≥ 0.
    pub fn max_lift(&self) -> f64 {
        self.max_lift
    }

    /// Adstocked spend per period for half of `max_lift`, > 0.
    pub fn half_spend(&self) -> f64 {
        self.half_spend
    }

    /// Adstock carryover in [0, 1).
    pub fn carryover(&self) -> f64 {
        self.carryover
    }

    /// Effects per rating point (any sign; finite).
    pub fn effect(&self) -> DriverEffect {
        self.effect
    }
}

impl DriverEffect {
    /// Effect on retention per rating point (SPEC §6), scaled by the cohort's sensitivity.
    pub fn retention(&self) -> f64 {
        self.retention
    }

    /// Effect on acquisition per rating point (SPEC §6).
    pub fn acquisition(&self) -> f64 {
        self.acquisition
    }

    /// Effect on purchases per rating point (SPEC §6), scaled by the cohort's sensitivity.
    pub fn purchases(&self) -> f64 {
        self.purchases
    }
}

impl Shocks {
    /// The demand multiplier on purchases, if any.
    pub fn demand(&self) -> Option<Shock> {
        self.demand
    }

    /// The churn multiplier on churn hazards, if any.
    pub fn churn(&self) -> Option<Shock> {
        self.churn
    }
}

impl Shock {
    /// Standard deviation of the log multiplier, ≥ 0.
    pub fn sd(&self) -> f64 {
        self.sd
    }

    /// AR(1) persistence of the log multiplier, in [0, 1).
    pub fn persistence(&self) -> f64 {
        self.persistence
    }
}

impl UncertainParameter {
    /// Dotted path as written, e.g. `cohorts.gold.retention.mean`; always one that
    /// [`Scenario::visit_parameters`] yields.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The law the parameter is drawn from each run.
    pub fn distribution(&self) -> ParameterDistribution {
        self.distribution
    }
}

impl JointDraws {
    /// The file as written in the scenario.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Column paths, each one [`Scenario::visit_parameters`] yields and none also given a
    /// distribution.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// At least one row, each with one finite value per path.
    pub fn rows(&self) -> &[Vec<f64>] {
        &self.rows
    }
}

impl Plan {
    /// Unique among the scenario's plans.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Per-plan override of `[retention_program].allocation` (used by the optimizer).
    pub fn retention_allocation(&self) -> Option<&[f64]> {
        self.retention_allocation.as_deref()
    }

    /// `offboard = { cohort = share }` (SPEC §7): the share of each cohort's active customers
    /// released per period, by cohort index, each in [0, 1]; empty for none.
    pub fn offboard(&self) -> &[f64] {
        &self.offboard
    }
}

impl Optimize {
    /// Per-period cap on total spend; `None` = no cap.
    pub fn budget(&self) -> Option<f64> {
        self.budget
    }

    /// What the optimizer maximizes (mean, a quantile, …).
    pub fn objective(&self) -> Objective {
        self.objective
    }

    /// Levers the optimizer may move (default: all present in the scenario).
    pub fn levers(&self) -> &[Lever] {
        &self.levers
    }

    /// `bounds = { "offboard.<cohort>" = [lo, hi] }`: per cohort, the range of the share
    /// off-boarded per period that the optimizer may choose (within [0, 1]); `None` keeps the
    /// baseline plan's share. Empty when no cohort is bounded.
    pub fn offboard_bounds(&self) -> &[Option<(f64, f64)>] {
        &self.offboard_bounds
    }

    /// Whether the optimizer also chooses the retention programme's split across cohorts.
    pub fn optimize_retention_allocation(&self) -> bool {
        self.optimize_retention_allocation
    }

    /// `phases = "yearly"`: one level per lever per year instead of one constant level.
    pub fn phases(&self) -> bool {
        self.phases
    }

    /// Spend only while the next unit returns at least this much on top of itself
    /// (per unit of discounted spend); `None` = 0.
    pub fn hurdle(&self) -> Option<f64> {
        self.hurdle
    }

    /// Find the smallest budget that reaches this instead of splitting a fixed one.
    pub fn target(&self) -> Option<Target> {
        self.target
    }
}
