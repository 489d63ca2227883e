//! Changing a validated scenario from code, without ever holding a value the validator would
//! refuse (STYLE.md "seal what was validated").
//!
//! The scenario's fields are `pub(crate)`; outside the crate a scenario is read through the
//! accessors of `access.rs` and changed only here. Parts (a [`Cohort`], a [`Channel`], a
//! [`Plan`], …) are plain values that may be built and changed freely; they are checked when
//! they enter a scenario: every setter of [`Scenario`] applies its change to a copy, runs
//! [`Scenario::check`] on it and keeps it only if every invariant still holds, so a refused
//! change leaves the scenario as it was. The check holds the typed scenario to the rules the
//! file validator (`validate/`) applies to text: each scalar parameter inside the domain that
//! [`Scenario::visit_parameters`] states for it, shares that sum to one, rows of migration
//! probabilities that sum to at most one, and every cross-reference (referral cohort, mix,
//! allocation, migration target, plan, uncertain path) resolved inside the scenario.

use super::ids::CohortId;
use super::types::*;

/// A value a checked setter refused: where it is (the dotted path of the scenario file), what
/// it was and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} = {value}: expected {expected}")]
pub struct InvalidValue {
    /// The dotted key path, as in the scenario file (`cohorts.gold.margin`).
    pub key: String,
    /// The refused value as written by `{:?}`.
    pub value: String,
    /// What the key accepts.
    pub expected: String,
}

impl InvalidValue {
    fn new(
        key: impl Into<String>,
        value: impl std::fmt::Debug,
        expected: impl Into<String>,
    ) -> Self {
        InvalidValue {
            key: key.into(),
            value: format!("{value:?}"),
            expected: expected.into(),
        }
    }
}

/// The tolerance on shares that must sum to one, as in the file validator.
const SHARE_TOLERANCE: f64 = 1e-9;

fn shares(key: &str, values: &[f64], n: usize) -> Result<(), InvalidValue> {
    if values.len() != n {
        return Err(InvalidValue::new(
            key,
            values,
            format!("one share per cohort ({n})"),
        ));
    }
    let total: f64 = values.iter().sum();
    if values.iter().any(|s| !(0.0..=1.0).contains(s)) || (total - 1.0).abs() > SHARE_TOLERANCE {
        return Err(InvalidValue::new(
            key,
            values,
            "shares in [0, 1] summing to 1",
        ));
    }
    Ok(())
}

fn spend(key: &str, schedule: &SpendSchedule) -> Result<(), InvalidValue> {
    if schedule.0.is_empty() || schedule.0.iter().any(|s| !(s.is_finite() && *s >= 0.0)) {
        return Err(InvalidValue::new(
            key,
            &schedule.0,
            "at least one amount per year, each finite and ≥ 0",
        ));
    }
    Ok(())
}

fn rows(
    key: &str,
    rows: &[Vec<(usize, f64)>],
    names: &[&str],
    also: Option<&[Vec<(usize, f64)>]>,
) -> Result<(), InvalidValue> {
    let n = names.len();
    if rows.len() != n {
        return Err(InvalidValue::new(
            key,
            rows.len(),
            format!("one row per cohort ({n})"),
        ));
    }
    for (from, row) in rows.iter().enumerate() {
        let key = format!("{key}.{}", names[from]);
        if let Some(&(to, _)) = row.iter().find(|(to, _)| *to >= n || *to == from) {
            return Err(InvalidValue::new(key, to, "another cohort of the scenario"));
        }
        let extra: f64 = also
            .and_then(|a| a.get(from))
            .map_or(0.0, |r| r.iter().map(|(_, p)| p).sum());
        let total = extra + row.iter().map(|(_, p)| p).sum::<f64>();
        if total > 1.0 + SHARE_TOLERANCE {
            return Err(InvalidValue::new(
                key,
                total,
                "probabilities summing to ≤ 1",
            ));
        }
    }
    Ok(())
}

impl Scenario {
    /// A scenario of `cohorts` over `time` with no optional sections and the implicit
    /// `baseline` plan, checked ([`Scenario::check`]): the way to build a scenario in code.
    /// Add sections with the `set_` methods.
    pub fn build(name: &str, time: Time, cohorts: Vec<Cohort>) -> Result<Scenario, InvalidValue> {
        let scenario = Scenario::new(name, time, cohorts);
        scenario.check()?;
        Ok(scenario)
    }

    /// Whether every invariant of a validated scenario holds; the first broken one otherwise.
    /// A scenario read from a file or changed only through the `set_` methods always passes.
    pub fn check(&self) -> Result<(), InvalidValue> {
        let names: Vec<&str> = self.cohorts.iter().map(|c| c.name.as_str()).collect();
        let n = names.len();
        if self.name.is_empty() {
            return Err(InvalidValue::new("name", &self.name, "a non-empty name"));
        }
        if !(self.sample_fraction > 0.0 && self.sample_fraction <= 1.0) {
            return Err(InvalidValue::new(
                "sample_fraction",
                self.sample_fraction,
                "a fraction in (0, 1]",
            ));
        }
        let time = &self.time;
        if time.periods == 0 || time.periods_per_year == 0 {
            return Err(InvalidValue::new(
                "time",
                (time.periods, time.periods_per_year),
                "periods ≥ 1 and periods_per_year ≥ 1",
            ));
        }
        if n == 0 {
            return Err(InvalidValue::new("cohorts", n, "at least one cohort"));
        }
        for (i, cohort) in self.cohorts.iter().enumerate() {
            let key = format!("cohorts.{}", cohort.name);
            if cohort.name.is_empty() || names[..i].contains(&cohort.name.as_str()) {
                return Err(InvalidValue::new(
                    key,
                    &cohort.name,
                    "a unique, non-empty name",
                ));
            }
            if cohort.referral_cohort >= n {
                return Err(InvalidValue::new(
                    format!("{key}.referral_cohort"),
                    cohort.referral_cohort,
                    "a cohort of the scenario",
                ));
            }
            if let Purchases::Fixed { n } = cohort.purchases
                && !(n.is_finite() && n >= 0.0 && n.fract() == 0.0)
            {
                return Err(InvalidValue::new(
                    format!("{key}.purchases.n"),
                    n,
                    "a whole number ≥ 0",
                ));
            }
            let existing: Option<u64> = match &cohort.existing {
                ExistingBase::Fresh => None,
                ExistingBase::History(groups) => Some(groups.0.iter().map(|g| g.count).sum()),
                ExistingBase::Tenure(groups) => Some(groups.iter().map(|g| g.count).sum()),
            };
            if let Some(total) = existing
                && total != cohort.customers
            {
                return Err(InvalidValue::new(
                    format!("{key}.customers"),
                    cohort.customers,
                    format!("the {total} customers of the cohort's history or tenure"),
                ));
            }
        }
        self.check_parameters()?;
        rows("migration", &self.migration, &names, None)?;
        if let Some(acquisition) = &self.acquisition {
            if acquisition.channels.is_empty() {
                return Err(InvalidValue::new("acquisition", 0, "at least one channel"));
            }
            for (i, channel) in acquisition.channels.iter().enumerate() {
                let key = format!("acquisition.{}", channel.name);
                if acquisition.channels[..i]
                    .iter()
                    .any(|c| c.name == channel.name)
                {
                    return Err(InvalidValue::new(
                        key,
                        &channel.name,
                        "a unique channel name",
                    ));
                }
                shares(&format!("{key}.mix"), &channel.mix, n)?;
            }
        }
        if let Some(allocation) = self
            .retention_program
            .as_ref()
            .and_then(|p| p.allocation.as_deref())
        {
            shares("retention_program.allocation", allocation, n)?;
        }
        if let Some(program) = &self.development_program {
            if let Some(allocation) = &program.allocation {
                shares("development_program.allocation", allocation, n)?;
            }
            rows(
                "development_program.upgrades",
                &program.upgrades,
                &names,
                Some(&self.migration),
            )?;
        }
        if let Some(winback) = &self.winback {
            if let Some(allocation) = &winback.allocation {
                shares("winback.allocation", allocation, n)?;
            }
            if winback.reenter.is_some_and(|c| c >= n) || winback.pool.len() != n {
                return Err(InvalidValue::new(
                    "winback",
                    (winback.reenter, winback.pool.len()),
                    format!("a re-entry cohort of the scenario and one pool per cohort ({n})"),
                ));
            }
        }
        self.check_plans(n)?;
        self.check_uncertainty()?;
        if let Some(optimize) = &self.optimize {
            optimize.check()?;
            let present = self.present_levers();
            if let Some(lever) = optimize.levers.iter().find(|l| !present.contains(l)) {
                return Err(InvalidValue::new(
                    "optimize.levers",
                    self.lever_name(*lever),
                    "a lever whose section the scenario has",
                ));
            }
        }
        Ok(())
    }

    /// Every scalar parameter finite and inside the domain [`Scenario::visit_parameters`]
    /// gives it.
    fn check_parameters(&self) -> Result<(), InvalidValue> {
        let mut copy = self.clone();
        let mut problem = None;
        copy.visit_parameters(&mut |p| {
            if problem.is_none() && !(p.value.is_finite() && p.domain.contains(*p.value)) {
                problem = Some(InvalidValue::new(
                    p.path,
                    *p.value,
                    format!("a finite number {}", p.domain.describe()),
                ));
            }
        });
        problem.map_or(Ok(()), Err)
    }

    fn check_plans(&self, n: usize) -> Result<(), InvalidValue> {
        if self.plans.get(self.baseline_plan.index()).is_none() {
            return Err(InvalidValue::new(
                "plans",
                self.plans.len(),
                "at least one plan, the baseline among them",
            ));
        }
        let channels = self.channel_count();
        for (i, plan) in self.plans.iter().enumerate() {
            let key = format!("plans.{}", plan.name);
            if plan.name.is_empty() || self.plans[..i].iter().any(|p| p.name == plan.name) {
                return Err(InvalidValue::new(
                    key,
                    &plan.name,
                    "a unique, non-empty name",
                ));
            }
            for lever in Lever::ALL {
                spend(&format!("{key}.{}", lever.name()), &plan.spend[lever])?;
            }
            if plan.channels.len() > channels {
                return Err(InvalidValue::new(
                    key,
                    plan.channels.len(),
                    format!("spend on at most the scenario's {channels} channels"),
                ));
            }
            for schedule in &plan.channels {
                spend(&format!("{key}.acquisition"), schedule)?;
            }
            if plan.offboard.len() > n || plan.offboard.iter().any(|s| !(0.0..=1.0).contains(s)) {
                return Err(InvalidValue::new(
                    format!("{key}.offboard"),
                    &plan.offboard,
                    format!("at most one share in [0, 1] per cohort ({n})"),
                ));
            }
            if let Some(allocation) = &plan.retention_allocation {
                shares(&format!("{key}.retention_allocation"), allocation, n)?;
            }
        }
        Ok(())
    }

    fn check_uncertainty(&self) -> Result<(), InvalidValue> {
        let paths = self.parameter_paths();
        for parameter in &self.uncertainty {
            let key = format!("uncertainty.\"{}\"", parameter.path);
            if !paths.contains(&parameter.path) {
                return Err(InvalidValue::new(key, &parameter.path, "a parameter path"));
            }
            if let Some(expected) = parameter.distribution.problem() {
                return Err(InvalidValue::new(key, parameter.distribution, expected));
            }
        }
        if let Some(draws) = &self.uncertainty_draws
            && let Some(path) = draws.paths.iter().find(|p| !paths.contains(p))
        {
            return Err(InvalidValue::new(
                "uncertainty.draws",
                path,
                "a parameter path",
            ));
        }
        Ok(())
    }

    /// Applies `change` to a copy and keeps it if the copy passes [`Scenario::check`].
    fn checked(&mut self, change: impl FnOnce(&mut Scenario)) -> Result<(), InvalidValue> {
        let mut copy = self.clone();
        change(&mut copy);
        copy.check()?;
        *self = copy;
        Ok(())
    }

    /// The value of the parameter at the dotted `path` of [`Scenario::visit_parameters`]
    /// (`cohorts.gold.margin`), if there is one.
    pub fn parameter(&self, path: &str) -> Option<f64> {
        let mut copy = self.clone();
        let mut found = None;
        copy.visit_parameters(&mut |p| {
            if p.path == path {
                found = Some(*p.value);
            }
        });
        found
    }

    /// Sets the parameter at the dotted `path` of [`Scenario::visit_parameters`]
    /// (`cohorts.gold.margin`, `drivers.brand.half_spend`, …), as writing it in the file
    /// would; refuses a path the scenario does not have and a value outside its domain.
    ///
    /// This is the way in: the fields themselves are sealed, so outside the crate
    ///
    /// ```compile_fail
    /// use ceq::scenario::load_file;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/minimal.toml");
    /// let mut scenario = load_file(path.as_ref()).unwrap();
    /// scenario.cohorts[0].margin = 2.0;
    /// ```
    ///
    /// does not compile, while
    ///
    /// ```
    /// use ceq::scenario::load_file;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/minimal.toml");
    /// let mut scenario = load_file(path.as_ref()).unwrap();
    /// assert!(scenario.set_parameter("cohorts.base.margin", 2.0).is_err());
    /// scenario.set_parameter("cohorts.base.margin", 0.4).unwrap();
    /// assert_eq!(scenario.cohorts()[0].margin(), 0.4);
    /// ```
    pub fn set_parameter(&mut self, path: &str, value: f64) -> Result<(), InvalidValue> {
        let mut found = false;
        self.checked(|s| {
            s.visit_parameters(&mut |p| {
                if p.path == path {
                    *p.value = value;
                    found = true;
                }
            })
        })?;
        if found {
            Ok(())
        } else {
            Err(InvalidValue::new(
                path,
                value,
                "a parameter path of the scenario",
            ))
        }
    }

    /// Renames the scenario.
    pub fn set_name(&mut self, name: &str) -> Result<(), InvalidValue> {
        self.checked(|s| s.name = name.to_string())
    }

    /// Replaces the horizon and discounting.
    pub fn set_time(&mut self, time: Time) -> Result<(), InvalidValue> {
        self.checked(|s| s.time = time)
    }

    /// Replaces cohort `id` (its name may change; ids of the other cohorts stay).
    pub fn set_cohort(&mut self, id: CohortId, cohort: Cohort) -> Result<(), InvalidValue> {
        self.checked(|s| s.cohorts[id.index()] = cohort)
    }

    /// `[migration]`: `rows[from]` lists `(to, probability)` by cohort index.
    pub fn set_migration(&mut self, rows: Vec<Vec<(usize, f64)>>) -> Result<(), InvalidValue> {
        self.checked(|s| s.migration = rows)
    }

    /// `[acquisition]`, or none.
    pub fn set_acquisition(
        &mut self,
        acquisition: Option<Acquisition>,
    ) -> Result<(), InvalidValue> {
        self.checked(|s| s.acquisition = acquisition)
    }

    /// `[retention_program]`, or none.
    pub fn set_retention_program(
        &mut self,
        program: Option<RetentionProgram>,
    ) -> Result<(), InvalidValue> {
        self.checked(|s| s.retention_program = program)
    }

    /// `[drivers.<driver>]`, or none.
    pub fn set_driver(
        &mut self,
        driver: Driver,
        params: Option<DriverParams>,
    ) -> Result<(), InvalidValue> {
        self.checked(|s| s.drivers[driver.index()] = params)
    }

    /// `[shocks]`.
    pub fn set_shocks(&mut self, shocks: Shocks) -> Result<(), InvalidValue> {
        self.checked(|s| s.shocks = shocks)
    }

    /// `[uncertainty]`: the parameters drawn once per run.
    pub fn set_uncertainty(
        &mut self,
        uncertainty: Vec<UncertainParameter>,
    ) -> Result<(), InvalidValue> {
        self.checked(|s| s.uncertainty = uncertainty)
    }

    /// `[plans]`, with the file's baseline rule: the plan `current` if there is one, else the
    /// first.
    pub fn set_plans(&mut self, plans: Vec<Plan>) -> Result<(), InvalidValue> {
        let baseline = plans.iter().position(|p| p.name == "current").unwrap_or(0);
        self.checked(|s| {
            s.plans = plans;
            s.baseline_plan = PlanId::at(baseline);
        })
    }

    /// Adds `plan` after the scenario's plans; its id.
    pub fn add_plan(&mut self, plan: Plan) -> Result<PlanId, InvalidValue> {
        let id = PlanId::at(self.plans.len());
        self.checked(|s| s.plans.push(plan))?;
        Ok(id)
    }

    /// Makes plan `id` the baseline that comparisons and the optimizer start from.
    pub fn set_baseline_plan(&mut self, id: PlanId) -> Result<(), InvalidValue> {
        self.checked(|s| s.baseline_plan = id)
    }

    /// `[optimize]`, or none (its defaults, [`Optimize::of`]).
    pub fn set_optimize(&mut self, optimize: Option<Optimize>) -> Result<(), InvalidValue> {
        self.checked(|s| s.optimize = optimize)
    }
}

impl ParameterDistribution {
    /// What is wrong with the distribution's own parameters, if anything.
    fn problem(&self) -> Option<&'static str> {
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        let ok = match *self {
            ParameterDistribution::Normal { mean, sd } => finite(&[mean, sd]) && sd >= 0.0,
            ParameterDistribution::LogNormal { median, sigma } => {
                finite(&[median, sigma]) && median > 0.0 && sigma >= 0.0
            }
            ParameterDistribution::Beta {
                mean,
                concentration,
            } => mean > 0.0 && mean < 1.0 && concentration > 0.0 && concentration.is_finite(),
            ParameterDistribution::Uniform { low, high } => finite(&[low, high]) && low <= high,
            ParameterDistribution::Triangular { low, mode, high } => {
                finite(&[low, mode, high]) && low <= mode && mode <= high
            }
        };
        (!ok).then_some("a distribution with valid parameters (SPEC §8)")
    }
}

impl Time {
    /// A horizon of `periods` (≥ 1) with `periods_per_year` (≥ 1), an annual
    /// `discount_rate` (≥ 0) and the discounting `timing` of cash flows.
    pub fn new(
        periods: u32,
        periods_per_year: u32,
        discount_rate: f64,
        cash_flow_timing: CashFlowTiming,
    ) -> Self {
        Time {
            periods,
            periods_per_year,
            discount_rate,
            cash_flow_timing,
        }
    }
}

impl Cohort {
    /// Customers active at the start of period 1.
    pub fn set_customers(&mut self, customers: u64) -> &mut Self {
        self.customers = customers;
        self
    }

    /// How the cohort's customers leave.
    pub fn set_retention(&mut self, retention: Retention) -> &mut Self {
        self.retention = retention;
        self
    }

    /// Orders per active period.
    pub fn set_purchases(&mut self, purchases: Purchases) -> &mut Self {
        self.purchases = purchases;
        self
    }

    /// The value of each order.
    pub fn set_order_value(&mut self, order_value: OrderValue) -> &mut Self {
        self.order_value = order_value;
        self
    }

    /// Gross margin on order value, in [0, 1].
    pub fn set_margin(&mut self, margin: f64) -> &mut Self {
        self.margin = margin;
        self
    }

    /// Cost per active customer per period, ≥ 0.
    pub fn set_cost_to_serve(&mut self, cost: f64) -> &mut Self {
        self.cost_to_serve = cost;
        self
    }

    /// Expected referred new customers per active customer per period, ≥ 0.
    pub fn set_referrals(&mut self, referrals: f64) -> &mut Self {
        self.referrals = referrals;
        self
    }

    /// The index of the cohort referred customers join (checked when the cohort enters a
    /// scenario).
    pub fn set_referral_cohort(&mut self, cohort: usize) -> &mut Self {
        self.referral_cohort = cohort;
        self
    }

    /// Non-purchase value per active customer per period.
    pub fn set_extra_value(&mut self, extra: ExtraValue) -> &mut Self {
        self.extra_value = extra;
        self
    }

    /// σ_{c,d} by [`Driver::index`], each ≥ 0.
    pub fn set_sensitivity(&mut self, sensitivity: [f64; 3]) -> &mut Self {
        self.sensitivity = sensitivity;
        self
    }
}

impl ExtraValue {
    /// Information, knowledge and transaction value per active customer per period.
    pub fn new(information: f64, knowledge: f64, transaction: f64) -> Self {
        ExtraValue {
            information,
            knowledge,
            transaction,
        }
    }
}

impl Channel {
    /// A channel reaching `prospects` per period, of whom at most `ceiling` join at full
    /// response `curve`, split over the cohorts by `mix`; no carryover, no onboarding cost.
    pub fn new(
        name: &str,
        prospects: u64,
        ceiling: f64,
        curve: ResponseCurve,
        mix: Vec<f64>,
    ) -> Self {
        Channel {
            name: name.to_string(),
            prospects,
            ceiling,
            curve,
            carryover: 0.0,
            mix,
            onboarding_cost: 0.0,
        }
    }

    /// Adstock of the channel's spend, in [0, 1).
    pub fn with_carryover(mut self, carryover: f64) -> Self {
        self.carryover = carryover;
        self
    }

    /// Cost per new customer, ≥ 0.
    pub fn with_onboarding_cost(mut self, cost: f64) -> Self {
        self.onboarding_cost = cost;
        self
    }
}

impl Acquisition {
    /// Several `[[acquisition.channels]]`, each its own lever.
    pub fn of_channels(channels: Vec<Channel>) -> Self {
        Acquisition {
            channels,
            single: false,
        }
    }
}

impl RetentionProgram {
    /// A programme cutting churn hazards by at most `max_churn_reduction` (in [0, 1]) along
    /// `curve`; `allocation` splits the budget by cohort (`None`: by active customers).
    pub fn new(
        max_churn_reduction: f64,
        curve: ResponseCurve,
        allocation: Option<Vec<f64>>,
    ) -> Self {
        RetentionProgram {
            max_churn_reduction,
            curve,
            allocation,
        }
    }
}

impl DriverParams {
    /// A driver whose rating rises by at most `max_lift`, half of it at adstocked spend
    /// `half_spend` per period, with adstock `carryover` and `effect` per rating point.
    pub fn new(max_lift: f64, half_spend: f64, carryover: f64, effect: DriverEffect) -> Self {
        DriverParams {
            max_lift,
            half_spend,
            carryover,
            effect,
        }
    }
}

impl DriverEffect {
    /// Effects per rating point on retention, acquisition and purchases.
    pub fn new(retention: f64, acquisition: f64, purchases: f64) -> Self {
        DriverEffect {
            retention,
            acquisition,
            purchases,
        }
    }
}

impl Shocks {
    /// Demand and churn shocks, each optional.
    pub fn new(demand: Option<Shock>, churn: Option<Shock>) -> Self {
        Shocks { demand, churn }
    }
}

impl Shock {
    /// A mean-one AR(1) log-normal multiplier: `sd` ≥ 0, `persistence` in [0, 1).
    pub fn new(sd: f64, persistence: f64) -> Self {
        Shock { sd, persistence }
    }
}

impl UncertainParameter {
    /// The parameter at `path` drawn from `distribution` once per run.
    pub fn new(path: &str, distribution: ParameterDistribution) -> Self {
        UncertainParameter {
            path: path.to_string(),
            distribution,
        }
    }
}

impl SpendSchedule {
    /// Per-year amounts, the last repeating; refuses an empty list and an amount that is not
    /// finite and ≥ 0.
    pub fn new(amounts: Vec<f64>) -> Result<SpendSchedule, InvalidValue> {
        let schedule = SpendSchedule(amounts);
        spend("spend", &schedule)?;
        Ok(schedule)
    }

    /// The per-year amounts.
    pub fn amounts(&self) -> &[f64] {
        &self.0
    }
}

impl Plan {
    /// Releases share `share` (in [0, 1]) of cohort `cohort`'s active customers per period.
    pub fn set_offboard(&mut self, cohort: CohortId, share: f64) -> Result<(), InvalidValue> {
        if !(0.0..=1.0).contains(&share) {
            return Err(InvalidValue::new(
                format!("plans.{}.offboard", self.name),
                share,
                "a share in [0, 1]",
            ));
        }
        let c = cohort.index();
        if self.offboard.len() <= c {
            self.offboard.resize(c + 1, 0.0);
        }
        self.offboard[c] = share;
        Ok(())
    }
}

impl Optimize {
    /// Finite budget, target and hurdle.
    fn check(&self) -> Result<(), InvalidValue> {
        if let Some(budget) = self.budget
            && !(budget.is_finite() && budget >= 0.0)
        {
            return Err(InvalidValue::new(
                "optimize.budget",
                budget,
                "a finite amount ≥ 0",
            ));
        }
        if let Some(hurdle) = self.hurdle
            && !hurdle.is_finite()
        {
            return Err(InvalidValue::new(
                "optimize.hurdle",
                hurdle,
                "a finite return",
            ));
        }
        let target_ok = match self.target {
            None => true,
            Some(Target::Mean(level)) => level.is_finite(),
            Some(Target::ProbAbove {
                threshold,
                probability,
            }) => threshold.is_finite() && probability > 0.0 && probability < 1.0,
        };
        if !target_ok {
            return Err(InvalidValue::new(
                "optimize.target",
                self.target,
                "a finite level (and a probability in (0, 1))",
            ));
        }
        let objective_ok = match self.objective {
            Objective::Mean => true,
            Objective::MeanMinusSd(lambda) => lambda.is_finite() && lambda >= 0.0,
            Objective::Cvar(alpha) => alpha > 0.0 && alpha <= 1.0,
            Objective::ProbAbove(threshold) => threshold.is_finite(),
        };
        if !objective_ok {
            return Err(InvalidValue::new(
                "optimize.objective",
                self.objective,
                "λ ≥ 0, α in (0, 1] or a finite threshold (SPEC §10)",
            ));
        }
        Ok(())
    }

    /// The per-period cap on total spend (`None`: no cap); refuses one that is not finite
    /// and ≥ 0.
    pub fn set_budget(&mut self, budget: Option<f64>) -> Result<(), InvalidValue> {
        let mut copy = self.clone();
        copy.budget = budget;
        copy.check()?;
        *self = copy;
        Ok(())
    }

    /// What the optimizer maximizes.
    pub fn set_objective(&mut self, objective: Objective) -> Result<(), InvalidValue> {
        let mut copy = self.clone();
        copy.objective = objective;
        copy.check()?;
        *self = copy;
        Ok(())
    }

    /// The smallest budget that reaches `target`, instead of splitting a fixed one.
    pub fn set_target(&mut self, target: Option<Target>) -> Result<(), InvalidValue> {
        let mut copy = self.clone();
        copy.target = target;
        copy.check()?;
        *self = copy;
        Ok(())
    }

    /// The levers the optimizer may move (checked against the scenario's sections when the
    /// section enters a scenario, [`Scenario::set_optimize`]).
    pub fn set_levers(&mut self, levers: Vec<Lever>) -> &mut Self {
        self.levers = levers;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Format, load_file, parse_str};

    const BASE: &str = r#"
[time]
periods = 12

[[cohorts]]
name = "gold"
customers = 100
retention = { rate = 0.9 }
purchases = { mean = 1 }
order_value = { mean = 10 }

[[cohorts]]
name = "iron"
customers = 300
retention = { rate = 0.8 }
purchases = { mean = 1 }
order_value = { mean = 5 }

[migration]
iron = { gold = 0.1 }
"#;

    fn base() -> Scenario {
        parse_str(BASE, "s.toml", "s", Format::Toml).unwrap()
    }

    /// The typed check accepts every scenario the file validator accepts: every shipped and
    /// bench scenario passes it, so no checked setter refuses what a file may say.
    #[test]
    fn every_shipped_scenario_passes_the_typed_check() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut checked = 0;
        for folder in ["scenarios", "benches/scenarios"] {
            for entry in std::fs::read_dir(format!("{root}/{folder}")).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    let scenario = load_file(&path).unwrap();
                    assert_eq!(scenario.check(), Ok(()), "{}", path.display());
                    checked += 1;
                }
            }
        }
        assert!(checked >= 15, "{checked} scenarios");
    }

    /// A value the validator refuses in the file is refused by the setter, with the file's key
    /// path, and the scenario is left as it was.
    #[test]
    fn a_refused_change_names_the_key_and_leaves_the_scenario_unchanged() {
        let text_error = parse_str(
            &BASE.replace(
                "order_value = { mean = 10 }",
                "order_value = { mean = 10 }\nmargin = 1.5",
            ),
            "s.toml",
            "s",
            Format::Toml,
        )
        .unwrap_err();
        assert!(text_error.to_string().contains("margin"), "{text_error}");

        let mut scenario = base();
        let before = scenario.clone();
        let error = scenario
            .set_parameter("cohorts.gold.margin", 1.5)
            .unwrap_err();
        assert_eq!(error.key, "cohorts.gold.margin");
        assert_eq!(error.value, "1.5");
        assert_eq!(scenario, before);
        assert!(
            scenario
                .set_parameter("cohorts.gold.margin", f64::NAN)
                .is_err()
        );
        assert!(scenario.set_parameter("cohorts.lead.margin", 0.5).is_err());
        assert_eq!(scenario, before);

        scenario.set_parameter("cohorts.gold.margin", 0.25).unwrap();
        assert_eq!(scenario.parameter("cohorts.gold.margin"), Some(0.25));
        assert_eq!(scenario.cohorts()[0].margin(), 0.25);
    }

    #[test]
    fn cross_references_are_checked_when_a_part_enters_the_scenario() {
        let mut scenario = base();
        let before = scenario.clone();
        let gold = scenario.cohort_id("gold").unwrap();
        let iron = scenario.cohort_id("iron").unwrap();
        assert_eq!(scenario.cohort(iron).unwrap().name(), "iron");
        assert_eq!(scenario.cohort_ids().collect::<Vec<_>>(), vec![gold, iron]);

        // A referral into a third cohort that does not exist.
        let mut cohort = scenario.cohorts()[gold.index()].clone();
        cohort.set_referral_cohort(2);
        let error = scenario.set_cohort(gold, cohort).unwrap_err();
        assert_eq!(error.key, "cohorts.gold.referral_cohort");

        // A mix with one share for two cohorts, then one that does not sum to 1.
        let curve = ResponseCurve::HalfSpend { half_spend: 5.0 };
        let channel = |mix: Vec<f64>| Channel::new("search", 1000, 0.1, curve, mix);
        let error = scenario
            .set_acquisition(Some(Acquisition::single(channel(vec![1.0]))))
            .unwrap_err();
        assert_eq!(error.key, "acquisition.search.mix");
        assert!(
            scenario
                .set_acquisition(Some(Acquisition::single(channel(vec![0.5, 0.4]))))
                .is_err()
        );

        // Migration rows that leave more than everyone, or point at the cohort itself.
        assert!(
            scenario
                .set_migration(vec![vec![(1, 0.6)], vec![(0, 0.5), (0, 0.6)]])
                .is_err()
        );
        assert!(
            scenario
                .set_migration(vec![vec![(0, 0.1)], vec![]])
                .is_err()
        );
        assert_eq!(scenario, before);

        scenario
            .set_acquisition(Some(Acquisition::single(channel(vec![0.5, 0.5]))))
            .unwrap();
        assert_eq!(
            scenario.acquisition().unwrap().channels()[0].mix(),
            &[0.5, 0.5]
        );
    }

    #[test]
    fn plans_and_optimize_sections_are_checked() {
        let mut scenario = base();
        let plan = Plan::named("current");
        let id = scenario.add_plan(plan.clone()).unwrap();
        assert_eq!(scenario.plan(id).unwrap().name(), "current");
        // A second plan of the same name.
        assert!(scenario.add_plan(plan).is_err());
        // The file's baseline rule: `current` when present.
        scenario
            .set_plans(vec![Plan::named("a"), Plan::named("current")])
            .unwrap();
        assert_eq!(
            scenario.baseline_plan(),
            scenario.plan_id("current").unwrap()
        );
        assert!(scenario.set_plans(Vec::new()).is_err());

        assert!(SpendSchedule::new(vec![-1.0]).is_err());
        assert!(SpendSchedule::new(Vec::new()).is_err());
        let mut plan = Plan::named("release");
        assert!(plan.set_offboard(CohortId::FIRST, 1.5).is_err());
        plan.set_offboard(scenario.cohort_id("iron").unwrap(), 0.2)
            .unwrap();
        assert_eq!(plan.offboard(), &[0.0, 0.2]);

        let mut optimize = Optimize::of(&scenario);
        assert!(optimize.set_budget(Some(-5.0)).is_err());
        assert!(optimize.set_objective(Objective::Cvar(0.0)).is_err());
        optimize.set_budget(Some(1000.0)).unwrap();
        assert_eq!(optimize.budget(), Some(1000.0));
        // A lever whose section the scenario lacks.
        optimize.set_levers(vec![Lever::Retention]);
        let error = scenario.set_optimize(Some(optimize)).unwrap_err();
        assert_eq!(error.key, "optimize.levers");
    }

    #[test]
    fn a_scenario_built_in_code_is_checked() {
        let time = Time::new(12, 12, 0.1, CashFlowTiming::End);
        let cohort = |name: &str, rate: f64| {
            Cohort::new(
                name,
                10,
                Retention::Rate { rate },
                Purchases::Poisson { mean: 1.0 },
                OrderValue::Constant { mean: 5.0 },
            )
        };
        assert!(Scenario::build("s", time.clone(), vec![cohort("a", 0.9)]).is_ok());
        let error = Scenario::build("s", time.clone(), vec![cohort("a", 1.2)]).unwrap_err();
        assert_eq!(error.key, "cohorts.a.retention.rate");
        assert!(
            Scenario::build("s", time.clone(), vec![cohort("a", 0.9), cohort("a", 0.8)]).is_err()
        );
        assert!(Scenario::build("s", time, Vec::new()).is_err());
        assert!(
            Scenario::build(
                "s",
                Time::new(0, 12, 0.1, CashFlowTiming::End),
                vec![cohort("a", 0.9)]
            )
            .is_err()
        );
    }
}
