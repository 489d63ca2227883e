//! Work estimates before a study starts (SPEC §12.3): how long each command will take, from
//! measured costs per run of each engine path, so that an accepted job finishes in about the
//! time it announces and a job that could not finish in reasonable time is refused before it
//! starts, with advice that is true.
//!
//! A command's work is counted in *runs*: simulate makes `runs`, compare `runs` per plan,
//! sensitivity `runs` per variant, and optimize and frontier the runs their searches
//! typically make ([`crate::optimize::estimate`]). Each run costs what one run of the scenario's
//! baseline plan costs on the engine that will run it ([`cpu_seconds_per_run`]), and runs are
//! spread over the thread pool.

use crate::scenario::{Plan, Retention, Scenario};
use crate::sim::{EngineChoice, EngineKind, SimError, size};

/// Work estimated above this many seconds of wall time is announced before it starts.
pub const ANNOUNCE_SECONDS: f64 = 5.0;

/// Work estimated above this many seconds of wall time (four hours) is refused before it
/// starts: a study that long belongs split into shards (`ceq simulate --shard I/N`) or scaled
/// down. It replaces the earlier limit of 10¹² customer-periods, which assumed the fastest
/// engine path (BG/NBD is six times slower per customer-period than `{ rate }` retention).
pub const MAX_WORK_SECONDS: f64 = 4.0 * 3600.0;

/// CPU nanoseconds per customer-period of the per-customer engine on one core, by retention
/// form: `{ rate }` (geometric jumps between leavers), Beta churn `{ mean, concentration }`,
/// sBG `{ churn_alpha, churn_beta }` (one uniform per customer-period), and BG/NBD dropout
/// (per-customer orders and dropout draws, Gamma-Gamma values).
///
/// Provenance (December 2026, this 2-core machine at load average 5): `/usr/bin/time ceq
/// simulate S --engine customer --threads 1 -q` of one cohort over 24 months, 20 runs of
/// 200,000 customers and 2 runs of 5,000,000 (user + system CPU over the projected
/// customer-periods, start-up included): `{ rate = 0.97 }` 2.2 / 3.7 ns, Beta
/// `{ mean = 0.97, concentration = 50 }` 6.7 / 7.6 ns, sBG `{ churn_alpha = 0.7, churn_beta =
/// 20 }` 6.9 / 8.5 ns, BG/NBD with CDNOW's estimates 13.8 / 16.6 ns (the large bases are
/// slower: their customers do not fit in cache). The constants are the large-base figures,
/// rounded up.
pub const CUSTOMER_NS_RATE: f64 = 4.0;
/// See [`CUSTOMER_NS_RATE`].
pub const CUSTOMER_NS_BETA: f64 = 8.5;
/// See [`CUSTOMER_NS_RATE`].
pub const CUSTOMER_NS_DROPOUT: f64 = 17.0;

/// CPU nanoseconds of the cohort engine per stratum-period that holds customers, for Beta,
/// sBG and `{ rate }` cohorts (a few binomial draws, BTRD for large counts, a Gamma–Dirichlet
/// draw for migration), for BG/NBD cohorts (orders and dropout), for a conditioned existing
/// base's strata (`history`, `tenure`: few customers each, most of whom leave early), and per
/// empty stratum-period.
///
/// Provenance (December 2026, this 2-core machine at load average 13–16, CPU time ÷ threads
/// of `ceq compare` and `ceq simulate` at 1,000 runs against the estimate, calibration test
/// `estimates_match_measured_times`). Beta family: at 200 ns the pyramid and the large bank
/// (tiers with migration, development, win-back; large counts) measured 1.35 and 1.13 times
/// their estimate, the small examples (b2b_key_accounts, channels, customer_types, full,
/// retail_bank) 0.45–0.6 times: the constant is set for the long studies, whose estimates are
/// the ones announced (above [`ANNOUNCE_SECONDS`]). Re-measured the same way at load 10–16
/// (December 2026, after the BG/NBD occupancy model), at 200 ns: the pyramid's simulate,
/// compare, sensitivity and report 1.41, 1.56, 1.30 and 1.36, the large bank's simulate and
/// compare 0.91 and 1.05, full's simulate, compare, sensitivity and optimize 0.72, 0.78, 0.83
/// and 0.63, channels' report 0.58. No one constant puts both the pyramid and full or channels
/// within 1.5 (the spread is 2.7): the cost per populated stratum-period depends on what is
/// drawn there. The Beta family is now priced by its occupancy ([`churn_occupancy`]): this
/// constant per expected populated stratum-origin-period, [`COHORT_NS_LEAVER`] per expected
/// leaver, [`COHORT_NS_ENTERED`] per stratum arrivals enter, [`COHORT_NS_PROGRAM_PERIOD`] per
/// cohort-period under a development programme or win-back, and [`COHORT_NS_EMPTY`] per empty
/// stratum-origin-period.
///
/// Provenance of the Beta-family constants (December 2026, this machine at load average
/// 3–4.6, `cargo run --release --example estimate_cost -- S 200|300 cohort`, one thread's CPU
/// per run, three to five repeats averaged): pyramid 0.97 ms a run, full 1.21, channels 0.13,
/// large_bank 1.57, customer_types 0.25, retail_bank 0.15, b2b_key_accounts 0.19, for
/// (populated, leavers, entered) of (3,155, 5,524, 1,607), (5,338, 8,681, 3,316), (778, 1,590,
/// 505), (8,285, 20,127, 4,228), (2,035, 2,531, 804), (1,480, 1,066, 479), (1,406, 508, 366),
/// and 240 program cohort-periods on the pyramid (the only scenario with a development
/// programme or win-back, so [`COHORT_NS_PROGRAM_PERIOD`] is fitted on it alone). The
/// least-squares fit of the relative errors, empty strata at [`COHORT_NS_EMPTY`] and
/// [`SECONDS_PER_RUN_OVERHEAD`] fixed, gives 50.5, 16.9, 134.5 and 1,976 ns: estimate ÷
/// measured 0.73 (full) to 1.18 (channels) on every one (the single constant at 200 ns gave
/// 0.78 to 1.96). Fits without the entries or the leavers were worse (full 0.57–0.65).
/// Rejected: a per-run layout rebuild for cohorts whose parameters `[uncertainty]` draws (fits
/// of 0–68 µs each, no better). BG/NBD: see [`COHORT_NS_DROPOUT`], whose
/// fit gives this cost per populated stratum-period besides the dropouts'. The conditioned
/// base: existing_base, 0.44 ms a run for about 720 populated strata over 52 periods (most of
/// its customers leave early).
pub const COHORT_NS_POPULATED: f64 = 50.0;
/// See [`COHORT_NS_POPULATED`] and [`COHORT_NS_DROPOUT`].
pub const COHORT_NS_POPULATED_DROPOUT: f64 = 18.0;
/// See [`COHORT_NS_POPULATED`].
pub const COHORT_NS_POSTERIOR: f64 = 12.0;
/// See [`COHORT_NS_POPULATED`].
pub const COHORT_NS_EMPTY: f64 = 1.5;

/// CPU nanoseconds of the cohort engine per expected dropout of a BG/NBD stratum-period,
/// counting at most about [`DROPOUTS_COUNTED`] per stratum-period ([`dropout_occupancy`]), on
/// top of [`COHORT_NS_POPULATED_DROPOUT`] per populated stratum-period and
/// [`COHORT_NS_EMPTY`] per empty one. A stratum whose customers drop out draws the dropouts'
/// extra orders (a pmf over the orders before the dropout and a multinomial over it,
/// `dropout_extra_orders` in [`crate::sim::cohort`]), and its binomials, drawn by inversion
/// while their means are small, cost in proportion to their outcomes until the sampler
/// switches to a constant-time method.
///
/// Provenance (December 2026, this machine at load average 7–8,
/// `cargo run --release --example estimate_cost -- S 200 cohort`, one thread's CPU per run):
/// `benches/scenarios/bgnbd_million.toml` with 1,000,000, 100,000, 10,000, 1,000, 300 and 1
/// customers measured 6.9, 3.2, 1.6, 1.4, 1.2 and 0.95 ms a run (two to three repeats each,
/// averaged) for 54, 43, 30, 16, 10 and 0.1 thousand expected populated stratum-periods and
/// 74, 22, 3.0, 0.31, 0.09 and 0 thousand counted dropouts; `scenarios/retailer_bgnbd.toml`
/// with 2,357 and 1 customers 0.65 and 0.50 ms, `benches/scenarios/optimize_bgnbd_retailer.toml`
/// 1.75 ms. The least-squares fit of the relative errors with the empty strata at
/// [`COHORT_NS_EMPTY`] gives 18 ns per populated stratum-period and 66 ns per dropout, within
/// 0.88–1.13 of every measurement; counting dropouts uncapped, or only whether any occurred,
/// fits worse (0.83–1.13 on the million alone; the latter with a negative populated cost).
/// A BG/NBD cohort's empty strata cost [`COHORT_NS_EMPTY`] once per stratum-period, not per
/// origin: its strata are scanned for dropouts while purchasing, and nothing else visits
/// them (the retailer with 1 customer: 0.50 ms for 3,882 strata over 78 periods and two
/// origins, 1.6 ns per stratum-period; the million with 1: 1.5 ns).
pub const COHORT_NS_DROPOUT: f64 = 66.0;

/// CPU nanoseconds of the cohort engine per expected leaver (churned or migrated) of a
/// Beta-family stratum-period, counting at most about [`LEAVERS_COUNTED`] per stratum-period
/// ([`churn_occupancy`]), on top of [`COHORT_NS_POPULATED`] per populated stratum-origin-period.
/// The churn and migration binomials are drawn by inversion while their means are small, so
/// they cost in proportion to their outcomes until the sampler switches to BTRD.
pub const COHORT_NS_LEAVER: f64 = 17.0;

/// CPU nanoseconds of the cohort engine per stratum-period of a Beta-family cohort that
/// arrivals enter (the entry multinomial's binomial or alias draw there), see
/// [`COHORT_NS_LEAVER`].
pub const COHORT_NS_ENTERED: f64 = 135.0;

/// CPU nanoseconds per cohort-period of a Beta-family cohort when the scenario has a
/// development programme or win-back (the migration row rebuilt when spend raises it, the
/// lapsed customers' win-back draws), see [`COHORT_NS_LEAVER`].
pub const COHORT_NS_PROGRAM_PERIOD: f64 = 2_000.0;

/// The leavers of one Beta-family stratum-period the cost counts, about (a smooth cap, as
/// [`DROPOUTS_COUNTED`]), see [`COHORT_NS_LEAVER`].
pub const LEAVERS_COUNTED: f64 = 3.0;

/// The dropouts of one stratum-period the BG/NBD cost counts, about (a smooth cap: `c·(1 −
/// e^(−x/c))` of the expected x), see [`COHORT_NS_DROPOUT`].
pub const DROPOUTS_COUNTED: f64 = 3.0;

/// The work of one run of the cohort engine. Each cohort has up to two origins (the existing
/// customers, then the arrivals: acquired, referred, migrated, won back), each with its own
/// strata: the existing origin holds the cohort's fresh customers (none when the base is
/// conditioned on a history or tenure, whose own strata cost [`COHORT_NS_POSTERIOR`]), the
/// arrivals origin the customers projected to arrive. Beta, sBG and `{ rate }` cohorts count
/// the populated strata as [`crate::sim::cohort::populated_strata`] counts them for that many
/// customers (the arrivals: the projected peak beyond the initial base, at least a tenth of
/// the peak) in every period; BG/NBD cohorts follow each stratum's expected occupancy period
/// by period ([`dropout_occupancy`]), since their customers thin out as they drop out and a
/// stratum costs more in the periods its customers drop out; their empty strata cost once per
/// stratum-period, not per origin ([`COHORT_NS_DROPOUT`]).
fn cohort_cost_per_run(scenario: &Scenario, plan: &Plan) -> Cost {
    use crate::sim::cohort;
    let periods = f64::from(scenario.time.periods);
    let arrivals = scenario.acquisition.is_some()
        || scenario.winback.is_some()
        || scenario.cohorts.iter().any(|c| c.referrals > 0.0)
        || scenario.migration.iter().any(|row| !row.is_empty());
    let mut arrivals_by_period: Option<Vec<Vec<f64>>> = None;
    let mut cost = Cost::default();
    for c in 0..scenario.cohorts.len() {
        let cohort = &scenario.cohorts[c];
        let (posterior, posterior_strata) = cohort::posterior_strata(scenario, c);
        let strata = (cohort::strata_count(scenario, c) as f64 - posterior_strata).max(0.0);
        let origins = if arrivals { 2.0 } else { 1.0 };
        let initial = match cohort.existing {
            crate::scenario::ExistingBase::Fresh => cohort.customers as f64,
            _ => 0.0,
        };
        cost += Cost::of(Unit::CohortPosterior, periods * posterior);
        if let Retention::Dropout { .. } = cohort.retention {
            let entry = cohort::dropout_entry_strata(scenario, c);
            let existing = dropout_occupancy(&entry, initial, &[], scenario.time.periods);
            let arrived = if arrivals {
                let series = arrivals_by_period
                    .get_or_insert_with(|| size::projected_arrivals(scenario, plan));
                let into_c: Vec<f64> = series.iter().map(|period| period[c]).collect();
                dropout_occupancy(&entry, 0.0, &into_c, scenario.time.periods)
            } else {
                Occupancy::default()
            };
            let populated = existing.populated + arrived.populated;
            cost += Cost::of(Unit::CohortPopulatedDropout, populated)
                + Cost::of(Unit::CohortDropout, existing.dropouts + arrived.dropouts)
                + Cost::of(Unit::CohortEmpty, (strata * periods - populated).max(0.0));
            continue;
        }
        let entry = churn_strata(scenario, c);
        let existing = churn_occupancy(&entry, initial, &[], scenario.time.periods);
        let arrived = if arrivals {
            let series =
                arrivals_by_period.get_or_insert_with(|| beta_family_arrivals(scenario, plan));
            let into_c: Vec<f64> = series.iter().map(|period| period[c]).collect();
            churn_occupancy(&entry, 0.0, &into_c, scenario.time.periods)
        } else {
            Occupancy::default()
        };
        let populated = (existing.populated + arrived.populated).min(origins * strata * periods);
        if scenario.development_program.is_some() || scenario.winback.is_some() {
            cost += Cost::of(Unit::CohortProgramPeriod, periods);
        }
        cost += Cost::of(Unit::CohortPopulated, populated)
            + Cost::of(Unit::CohortLeaver, existing.dropouts + arrived.dropouts)
            + Cost::of(Unit::CohortEntered, arrived.entered)
            + Cost::of(
                Unit::CohortEmpty,
                (periods * origins * strata - populated).max(0.0),
            );
    }
    cost
}

/// The strata of Beta-family cohort `c` as [`churn_occupancy`] follows them: entry
/// probability and the probability that a customer leaves the stratum in a period, by churn
/// θ or by migration out of the cohort (row total μ of `[migration]`): 1 − (1 − θ)(1 − μ).
fn churn_strata(scenario: &Scenario, c: usize) -> Vec<(f64, f64)> {
    let out: f64 = scenario.migration[c]
        .iter()
        .map(|&(_, p)| p)
        .sum::<f64>()
        .clamp(0.0, 1.0);
    crate::sim::cohort::churn_entry_strata(scenario, c)
        .into_iter()
        .map(|(weight, churn)| (weight, 1.0 - (1.0 - churn) * (1.0 - out)))
        .collect()
}

/// Expected arrivals into each Beta-family cohort per period (outer index t − 1): acquired
/// and referred by [`size::projected_arrivals`], and migrated in, Σ_k N_k(t − 1)·M[k][c] over
/// the projected sizes N of the source cohorts ([`size::projection`], which does not move
/// customers between cohorts, so the inflow is that of the unmigrated sizes).
fn beta_family_arrivals(scenario: &Scenario, plan: &Plan) -> Vec<Vec<f64>> {
    let mut arrivals = size::projected_arrivals(scenario, plan);
    let sizes = size::projection(scenario, plan);
    for (arrived, before) in arrivals.iter_mut().skip(1).zip(&sizes) {
        for (from, row) in scenario.migration.iter().enumerate() {
            for &(to, p) in row {
                arrived[to] += before[from] * p;
            }
        }
    }
    arrivals
}

/// The [`Occupancy`] of a Beta-family cohort's strata `(entry probability w, per-period
/// leaving probability)` (`churn_strata`): the recursion of [`dropout_occupancy`] with the
/// leavers (churned or migrated, drawn by binomials whose cost grows with their outcome while
/// it is small) counted at most about [`LEAVERS_COUNTED`] a stratum-period.
pub fn churn_occupancy(
    strata: &[(f64, f64)],
    initial: f64,
    arrivals: &[f64],
    periods: u32,
) -> Occupancy {
    occupancy_capped(strata, initial, arrivals, periods, LEAVERS_COUNTED)
}

/// Expected stratum-periods of one origin of a BG/NBD cohort that hold someone, and its
/// expected dropouts, at most about [`DROPOUTS_COUNTED`] a stratum-period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Occupancy {
    /// Σ over strata and periods of P(the stratum holds someone).
    pub populated: f64,
    /// Σ over strata and periods of the expected dropouts x, each as c·(1 − e^(−x/c)) with
    /// c = [`DROPOUTS_COUNTED`].
    pub dropouts: f64,
    /// Σ over strata and periods with arrivals of P(someone enters the stratum): the strata the
    /// entry multinomial places entrants in.
    pub entered: f64,
}

/// The [`Occupancy`] of strata `(entry probability w, per-period dropout probability δ)`
/// ([`crate::sim::cohort::dropout_entry_strata`]) over `periods`, for `initial` customers at
/// the start and `arrivals[t − 1]` entering in period t. Entrants spread over the strata by a
/// multinomial and drop out independently, so a stratum's count is close to Poisson with mean
/// m(t) = m(t − 1)·(1 − δ) + w·a(t), m(1) = w·(initial + a(1)) (Poisson thinning: Kingman,
/// *Poisson Processes*, 1993, §5.1), so P(populated) = 1 − e^(−m) and the expected dropouts
/// are m·δ. Below 10⁻³ the exponentials are replaced by their first-order terms (relative
/// error below 5·10⁻⁴), so the many nearly empty strata cost a multiply-add each.
pub fn dropout_occupancy(
    strata: &[(f64, f64)],
    initial: f64,
    arrivals: &[f64],
    periods: u32,
) -> Occupancy {
    occupancy_capped(strata, initial, arrivals, periods, DROPOUTS_COUNTED)
}

/// [`dropout_occupancy`] with the leavers of a stratum-period counted as c·(1 − e^(−x/c)),
/// c = `cap`.
fn occupancy_capped(
    strata: &[(f64, f64)],
    initial: f64,
    arrivals: &[f64],
    periods: u32,
    cap: f64,
) -> Occupancy {
    let at_least_one = |m: f64| if m < 1e-3 { m } else { -(-m).exp_m1() };
    let mut occupancy = Occupancy::default();
    for &(weight, leave) in strata {
        let mut mean = weight * initial;
        for t in 0..periods as usize {
            let entering = weight * arrivals.get(t).copied().unwrap_or(0.0);
            occupancy.entered += at_least_one(entering);
            mean += entering;
            occupancy.populated += at_least_one(mean);
            occupancy.dropouts += cap * at_least_one(mean * leave / cap);
            mean *= 1.0 - leave;
        }
    }
    occupancy
}

/// Fixed CPU seconds of one run besides its customer-periods or strata: drawing the run's
/// parameters and shocks, the plan path and the result vectors (about 20 µs for a small
/// scenario, measured as the time of 1,000 runs of a 12-period cohort of 10 customers).
pub const SECONDS_PER_RUN_OVERHEAD: f64 = 20e-6;

/// The kinds of work the estimates count, one per measured constant ([`Unit::nanoseconds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Customer-periods of the per-customer engine, `{ rate }` retention.
    CustomerRate,
    /// Customer-periods of the per-customer engine, Beta or sBG churn.
    CustomerBeta,
    /// Customer-periods of the per-customer engine, BG/NBD dropout.
    CustomerDropout,
    /// Populated stratum-periods of the cohort engine, Beta, sBG and `{ rate }` cohorts.
    CohortPopulated,
    /// Populated stratum-periods of the cohort engine, BG/NBD cohorts.
    CohortPopulatedDropout,
    /// Dropouts of BG/NBD cohorts' strata, at most about [`DROPOUTS_COUNTED`] a
    /// stratum-period.
    CohortDropout,
    /// Stratum-periods of a conditioned existing base (`history`, `tenure`).
    CohortPosterior,
    /// Empty stratum-periods of the cohort engine.
    CohortEmpty,
    /// Runs (their fixed set-up).
    Run,
    /// Cohort-periods of one mean-field evaluation of one run.
    MeanFieldPeriod,
    /// Components carried through a period by one mean-field evaluation of one run.
    MeanFieldComponent,
    /// Leavers (churned or migrated) of Beta-family strata, at most about
    /// [`LEAVERS_COUNTED`] a stratum-period.
    CohortLeaver,
    /// Strata of Beta-family cohorts that arrivals enter, per period ([`Occupancy::entered`]).
    CohortEntered,
    /// Cohort-periods of Beta-family cohorts under a development programme or win-back.
    CohortProgramPeriod,
}

impl Unit {
    /// Every unit, in the order of [`Cost::units`].
    pub const ALL: [Unit; 14] = [
        Unit::CustomerRate,
        Unit::CustomerBeta,
        Unit::CustomerDropout,
        Unit::CohortPopulated,
        Unit::CohortPopulatedDropout,
        Unit::CohortDropout,
        Unit::CohortPosterior,
        Unit::CohortEmpty,
        Unit::Run,
        Unit::MeanFieldPeriod,
        Unit::MeanFieldComponent,
        Unit::CohortLeaver,
        Unit::CohortEntered,
        Unit::CohortProgramPeriod,
    ];

    /// The name of the constant that prices this unit, as the calibration prints it.
    pub fn constant(self) -> &'static str {
        match self {
            Unit::CustomerRate => "CUSTOMER_NS_RATE",
            Unit::CustomerBeta => "CUSTOMER_NS_BETA",
            Unit::CustomerDropout => "CUSTOMER_NS_DROPOUT",
            Unit::CohortPopulated => "COHORT_NS_POPULATED",
            Unit::CohortPopulatedDropout => "COHORT_NS_POPULATED_DROPOUT",
            Unit::CohortDropout => "COHORT_NS_DROPOUT",
            Unit::CohortPosterior => "COHORT_NS_POSTERIOR",
            Unit::CohortEmpty => "COHORT_NS_EMPTY",
            Unit::CohortLeaver => "COHORT_NS_LEAVER",
            Unit::CohortEntered => "COHORT_NS_ENTERED",
            Unit::CohortProgramPeriod => "COHORT_NS_PROGRAM_PERIOD",
            Unit::Run => "SECONDS_PER_RUN_OVERHEAD (in ns)",
            Unit::MeanFieldPeriod => "MEAN_FIELD_NS_PERIOD",
            Unit::MeanFieldComponent => "MEAN_FIELD_NS_COMPONENT",
        }
    }

    /// CPU nanoseconds of one unit on one core: the constant named by [`Unit::constant`].
    pub fn nanoseconds(self) -> f64 {
        match self {
            Unit::CustomerRate => CUSTOMER_NS_RATE,
            Unit::CustomerBeta => CUSTOMER_NS_BETA,
            Unit::CustomerDropout => CUSTOMER_NS_DROPOUT,
            Unit::CohortPopulated => COHORT_NS_POPULATED,
            Unit::CohortPopulatedDropout => COHORT_NS_POPULATED_DROPOUT,
            Unit::CohortDropout => COHORT_NS_DROPOUT,
            Unit::CohortPosterior => COHORT_NS_POSTERIOR,
            Unit::CohortEmpty => COHORT_NS_EMPTY,
            Unit::CohortLeaver => COHORT_NS_LEAVER,
            Unit::CohortEntered => COHORT_NS_ENTERED,
            Unit::CohortProgramPeriod => COHORT_NS_PROGRAM_PERIOD,
            Unit::Run => SECONDS_PER_RUN_OVERHEAD * 1e9,
            Unit::MeanFieldPeriod => MEAN_FIELD_NS_PERIOD,
            Unit::MeanFieldComponent => MEAN_FIELD_NS_COMPONENT,
        }
    }
}

/// An amount of work: how many of each [`Unit`]. Its CPU time is the sum of the units priced
/// by their constants, so an estimate is linear in the constants and the calibration can fit
/// them to measured times.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    /// Units of each kind, in the order of [`Unit::ALL`].
    pub units: [f64; Unit::ALL.len()],
}

impl Cost {
    /// `amount` units of `unit`.
    pub fn of(unit: Unit, amount: f64) -> Self {
        let mut cost = Cost::default();
        cost.units[unit as usize] = amount;
        cost
    }

    /// CPU seconds on one core at the constants' values.
    pub fn cpu_seconds(&self) -> f64 {
        let prices: Vec<f64> = Unit::ALL.iter().map(|u| u.nanoseconds()).collect();
        self.cpu_seconds_at(&prices)
    }

    /// CPU seconds on one core with `nanoseconds[k]` per unit of `Unit::ALL[k]`.
    pub fn cpu_seconds_at(&self, nanoseconds: &[f64]) -> f64 {
        self.units
            .iter()
            .zip(nanoseconds)
            .map(|(n, ns)| n * ns)
            .sum::<f64>()
            * 1e-9
    }
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(mut self, other: Cost) -> Cost {
        self += other;
        self
    }
}

impl std::ops::AddAssign for Cost {
    fn add_assign(&mut self, other: Cost) {
        for (a, b) in self.units.iter_mut().zip(other.units) {
            *a += b;
        }
    }
}

impl std::ops::Mul<f64> for Cost {
    type Output = Cost;
    fn mul(mut self, factor: f64) -> Cost {
        self.units.iter_mut().for_each(|a| *a *= factor);
        self
    }
}

impl std::iter::Sum for Cost {
    fn sum<I: Iterator<Item = Cost>>(iter: I) -> Cost {
        iter.fold(Cost::default(), |a, b| a + b)
    }
}

/// The work of one run of `plan` on `engine` (Customer or Cohort).
pub fn cost_per_run(scenario: &Scenario, plan: &Plan, engine: EngineKind) -> Cost {
    let work = match engine {
        EngineKind::Cohort => cohort_cost_per_run(scenario, plan),
        _ => size::projected_customer_periods(scenario, plan)
            .iter()
            .zip(&scenario.cohorts)
            .map(|(&n, cohort)| {
                let unit = match cohort.retention {
                    Retention::Rate { .. } => Unit::CustomerRate,
                    Retention::Dropout { .. } => Unit::CustomerDropout,
                    Retention::MeanConcentration { .. }
                    | Retention::ShiftedBetaGeometric { .. } => Unit::CustomerBeta,
                };
                Cost::of(unit, n)
            })
            .sum(),
    };
    work + Cost::of(Unit::Run, 1.0)
}

/// CPU seconds of one run of `plan` on `engine` (Customer or Cohort) on one core.
pub fn cpu_seconds_per_run(scenario: &Scenario, plan: &Plan, engine: EngineKind) -> f64 {
    cost_per_run(scenario, plan, engine).cpu_seconds()
}

/// The work per run of what `ceq simulate` and the report measure besides the run itself
/// (SPEC §9, §9.1): with several acquisition channels, each channel's value (the run again
/// without the channel's spend, [`crate::plans::channels::measure_channel_values`]); per
/// cohort some channel feeds, a payback vintage of
/// [`crate::plans::payback::VINTAGE_CUSTOMERS`] customers in the run's world
/// ([`crate::plans::payback::measure_vintages`]); and per cohort the plan off-boards, the run
/// again keeping it ([`crate::plans::levers_seed::offboarding_values`]).
pub fn measurement_cost_per_run(scenario: &Scenario, plan: &Plan, engine: EngineKind) -> Cost {
    let run = cost_per_run(scenario, plan, engine);
    let offboarded = plan.offboard.iter().filter(|s| **s > 0.0).count() as f64;
    let Some(acquisition) = &scenario.acquisition else {
        return run * offboarded;
    };
    let channels = if acquisition.single {
        0.0
    } else {
        acquisition.channels.len() as f64
    };
    let vintages: Cost = (0..scenario.cohorts.len())
        .filter(|&c| acquisition.channels.iter().any(|ch| ch.mix[c] > 0.0))
        .map(|c| cost_per_run(&vintage_scenario(scenario, c), &Plan::baseline(), engine))
        .sum();
    run * (channels + offboarded) + vintages
}

/// The world of a payback vintage entering cohort `c`, as its cost sees it: the vintage's
/// customers alone, no acquisition, existing base or referrals (`payback::vintage_setup`).
fn vintage_scenario(scenario: &Scenario, c: usize) -> Scenario {
    let mut vintage = scenario.clone();
    vintage.acquisition = None;
    for (i, cohort) in vintage.cohorts.iter_mut().enumerate() {
        cohort.customers = if i == c {
            crate::plans::payback::VINTAGE_CUSTOMERS
        } else {
            0
        };
        cohort.existing = crate::scenario::ExistingBase::Fresh;
        cohort.referrals = 0.0;
    }
    vintage
}

/// CPU nanoseconds of the mean field ([`crate::optimize::mean_field`]) per run it averages
/// over, per evaluation: per cohort-period, and per vintage or mixture component carried
/// through a period (a Beta-churn cohort's mixture and a vintage list grow by one a period
/// while customers enter).
///
/// Provenance: see [`MEAN_FIELD_NS_COMPONENT`].
pub const MEAN_FIELD_NS_PERIOD: f64 = 100.0;
/// CPU nanoseconds of the mean field per component carried through a period. Provenance
/// (December 2026, this machine at load average 13–17, CPU ÷ threads): `ceq optimize` and
/// `ceq frontier` of the pyramid (five cohorts, 60 periods) took 4.8 and 16.7 CPU seconds
/// more than their Monte Carlo runs, over 2 × 450 and 6 × 450 mean-field evaluations of 50
/// runs: about 110–140 µs per evaluation of one run, which these constants give (121 µs).
pub const MEAN_FIELD_NS_COMPONENT: f64 = 10.0;

/// The work of one mean-field evaluation of one run of `scenario`.
pub fn mean_field_cost_per_run(scenario: &Scenario) -> Cost {
    let periods = f64::from(scenario.time.periods);
    let arrivals = scenario.acquisition.is_some()
        || scenario.winback.is_some()
        || scenario.cohorts.iter().any(|c| c.referrals > 0.0)
        || scenario.migration.iter().any(|row| !row.is_empty());
    // Components carried through the horizon: 1 + 2 + … + H with arrivals, else H.
    let components = if arrivals {
        periods * (periods + 1.0) / 2.0
    } else {
        periods
    };
    let cohorts = scenario.cohorts.len() as f64;
    Cost::of(Unit::MeanFieldPeriod, cohorts * periods)
        + Cost::of(Unit::MeanFieldComponent, cohorts * components)
}

/// The work of `evaluations` mean-field evaluations over `runs` runs' conditions, with the
/// conditions' set-up (one run set-up each, [`SECONDS_PER_RUN_OVERHEAD`]).
pub fn mean_field_cost(scenario: &Scenario, runs: u64, evaluations: f64) -> Cost {
    let runs = runs.max(1) as f64;
    (Cost::of(Unit::Run, 1.0) + mean_field_cost_per_run(scenario) * evaluations) * runs
}

/// The work of `ceq simulate` over `runs` runs of `options.plan`: the runs and what the
/// summary measures besides them ([`measurement_cost_per_run`]).
pub fn simulate(
    scenario: &Scenario,
    options: &crate::sim::SimOptions,
    runs: u64,
    threads: usize,
) -> Result<Work, SimError> {
    let plan = &scenario.plans[options.plan];
    let choice = crate::sim::choose_engine(scenario, plan, options)?;
    let extra = measurement_cost_per_run(scenario, plan, choice.engine) * runs as f64;
    Ok(Work::new(
        "simulate",
        scenario,
        plan,
        choice,
        runs as f64,
        runs,
        threads,
    )
    .plus(extra))
}

/// The work of `ceq compare` of the plans numbered `plans`, `options.runs` runs each, each
/// plan at its own cost (a plan that acquires more customers costs more per run).
pub fn compare(
    scenario: &Scenario,
    plans: &[crate::scenario::PlanId],
    options: &crate::sim::SimOptions,
    threads: usize,
) -> Result<Work, SimError> {
    let plan = &scenario.plans[options.plan];
    let choice = crate::sim::choose_engine(scenario, plan, options)?;
    let engine = choice.engine;
    let cost: Cost = plans
        .iter()
        .map(|&p| cost_per_run(scenario, &scenario.plans[p], engine))
        .sum();
    Ok(Work::new(
        "compare",
        scenario,
        plan,
        choice,
        0.0,
        options.runs,
        threads,
    )
    .plus(cost * options.runs as f64))
}

/// The work of `ceq sensitivity` of `options.plan`: the scenario as written and each
/// simulated parameter moved down and up, `options.runs` runs each; with `screen`, the mean
/// field's ranking of every parameter first (two evaluations per parameter over
/// [`crate::plans::sensitivity::SCREEN_MEAN_FIELD_RUNS`] runs, each on its own conditions).
pub fn sensitivity(
    command: &str,
    scenario: &Scenario,
    options: &crate::sim::SimOptions,
    screen: Option<usize>,
    threads: usize,
) -> Result<Work, SimError> {
    let plan = &scenario.plans[options.plan];
    let choice = crate::sim::choose_engine(scenario, plan, options)?;
    let parameters = scenario.parameter_paths().len();
    let simulated = screen.map_or(parameters, |n| n.min(parameters));
    let screening = match screen {
        Some(n) if n < parameters => {
            mean_field_cost(
                scenario,
                crate::plans::sensitivity::SCREEN_MEAN_FIELD_RUNS,
                1.0,
            ) * (2.0 * parameters as f64)
        }
        _ => Cost::default(),
    };
    let runs = options.runs as f64 * (2 * simulated + 1) as f64;
    Ok(Work::new(command, scenario, plan, choice, runs, options.runs, threads).plus(screening))
}

/// The estimated work of a command before it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Work {
    /// What the command does, for the messages ("simulate", "optimize", …).
    pub command: String,
    /// The engine that will run and why (as [`crate::sim::choose_engine`] decided).
    pub choice: EngineChoice,
    /// Runs of the baseline plan the command makes in all (a run-equivalent count).
    pub runs: f64,
    /// Runs of one simulation (the runs a smaller study would scale down).
    pub runs_per_simulation: u64,
    /// Threads the runs are spread over.
    pub threads: usize,
    /// CPU seconds of one run on the chosen engine.
    pub seconds_per_run: f64,
    /// The command's work in all (CPU on one core, before it is spread over the threads).
    pub cost: Cost,
    /// Estimated wall-clock seconds.
    pub seconds: f64,
    /// CPU seconds of one run on the cohort engine, when the per-customer engine was chosen
    /// and the cohort engine could run the scenario: the advice of a refusal.
    pub cohort_seconds_per_run: Option<f64>,
}

impl Work {
    /// The work of `runs` run-equivalents of `plan`, `runs_per_simulation` per simulation, on
    /// the engine of `choice`, spread over `threads` threads.
    pub fn new(
        command: &str,
        scenario: &Scenario,
        plan: &Plan,
        choice: EngineChoice,
        runs: f64,
        runs_per_simulation: u64,
        threads: usize,
    ) -> Self {
        let threads = threads.max(1);
        let per_run = cost_per_run(scenario, plan, choice.engine);
        let seconds_per_run = per_run.cpu_seconds();
        let cohort_seconds_per_run = (choice.engine == EngineKind::Customer
            && choice.cohort_unsupported.is_none())
        .then(|| cpu_seconds_per_run(scenario, plan, EngineKind::Cohort));
        Work {
            command: command.to_string(),
            seconds: wall_seconds(seconds_per_run, runs, runs_per_simulation, threads),
            choice,
            runs,
            runs_per_simulation,
            threads,
            seconds_per_run,
            cost: per_run * runs,
            cohort_seconds_per_run,
        }
    }

    /// The same work and `cost` more of other work (the payback vintages, the mean field,
    /// another plan's runs), counted in run-equivalents of the baseline plan.
    pub fn plus(mut self, cost: Cost) -> Self {
        let seconds = cost.cpu_seconds();
        if self.seconds_per_run > 0.0 && seconds.is_finite() && seconds > 0.0 {
            self.cost += cost;
            self.runs += seconds / self.seconds_per_run;
            self.seconds = wall_seconds(
                self.seconds_per_run,
                self.runs,
                self.runs_per_simulation,
                self.threads,
            );
        }
        self
    }

    /// The threads the work keeps busy: a simulation of fewer runs than threads keeps only
    /// that many ([`wall_seconds`]).
    pub fn busy_threads(&self) -> f64 {
        (self.threads.max(1) as u64).min(self.runs_per_simulation.max(1)) as f64
    }

    /// The note printed before work above [`ANNOUNCE_SECONDS`], or `None`.
    pub fn announcement(&self) -> Option<String> {
        (self.seconds > ANNOUNCE_SECONDS).then(|| {
            format!(
                "note: {} about {} of work ({} run(s) on the {} engine, {} thread(s))",
                self.command,
                duration(self.seconds),
                group_thousands(self.runs.round()),
                self.choice.engine.name(),
                self.threads
            )
        })
    }

    /// Refuses work above [`MAX_WORK_SECONDS`], naming the engine that would run (and why
    /// `auto` chose it) and what would make it fit: fewer runs, the cohort engine with its own
    /// estimate, or shards for `simulate`.
    pub fn check(&self) -> Result<(), SimError> {
        if self.seconds <= MAX_WORK_SECONDS {
            return Ok(());
        }
        let scale = MAX_WORK_SECONDS / self.seconds;
        let affordable = ((self.runs_per_simulation as f64 * scale).floor() as u64).max(1);
        let mut ways = vec![format!(
            "at most {} runs (--runs)",
            group_thousands(affordable as f64)
        )];
        if let Some(cohort) = self.cohort_seconds_per_run {
            let seconds = wall_seconds(cohort, self.runs, self.runs_per_simulation, self.threads);
            ways.push(format!(
                "the cohort engine (--engine cohort), about {}{}",
                duration(seconds),
                if seconds > MAX_WORK_SECONDS {
                    ", itself above the limit"
                } else {
                    ""
                }
            ));
        }
        if self.command == "simulate" {
            let shards = (1.0 / scale).ceil();
            ways.push(format!(
                "{shards} or more shards (--shard I/{shards}) on separate machines, merged with \
                 ceq merge"
            ));
        }
        if self.choice.engine == EngineKind::Customer {
            ways.push("scaled-down customer counts and prospects".to_string());
        }
        Err(SimError::TooLarge(format!(
            "{} would take about {} ({} run(s) at {} each on {}, {} thread(s)), above the limit \
             of {}; it fits with {}{}",
            self.command,
            duration(self.seconds),
            group_thousands(self.runs.round()),
            duration_fine(self.seconds_per_run),
            size::engine_words(&self.choice),
            self.threads,
            duration(MAX_WORK_SECONDS),
            ways.join(", or "),
            match &self.choice.cohort_unsupported {
                Some(reason) if self.choice.engine == EngineKind::Customer =>
                    format!(" (the cohort engine cannot run this scenario: {reason})"),
                _ => String::new(),
            }
        )))
    }
}

/// Wall seconds of `runs` run-equivalents at `per_run` CPU seconds each, in simulations of
/// `runs_per_simulation` runs spread over `threads`: a simulation of fewer runs than threads
/// keeps only that many busy.
pub fn wall_seconds(per_run: f64, runs: f64, runs_per_simulation: u64, threads: usize) -> f64 {
    let busy = (threads.max(1) as u64).min(runs_per_simulation.max(1)) as f64;
    per_run * runs / busy
}

/// "40 s", "12 min", "3.2 h".
pub fn duration(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// A short duration with its unit: "35 µs", "2.1 ms", "1.4 s", or [`duration`] above a minute.
fn duration_fine(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.0} µs", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.1} ms", seconds * 1e3)
    } else if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        duration(seconds)
    }
}

/// 1234567 → "1,234,567"; beyond 10¹⁵ in scientific notation.
fn group_thousands(n: f64) -> String {
    if !n.is_finite() || n.abs() >= 1e15 {
        return format!("{n:.2e}");
    }
    let digits = format!("{}", n.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(engine: EngineKind, reason: &str) -> EngineChoice {
        EngineChoice {
            engine,
            approximations: Vec::new(),
            reason: reason.to_string(),
            cohort_unsupported: None,
            history: Default::default(),
        }
    }

    fn channels_scenario() -> Scenario {
        crate::scenario::load_file(std::path::Path::new("scenarios/channels.toml")).unwrap()
    }

    fn options(scenario: &Scenario) -> crate::sim::SimOptions {
        crate::sim::SimOptions {
            plan: scenario.baseline_plan,
            runs: 1000,
            seed: 1,
            engine: EngineKind::Auto,
            limits: Default::default(),
            control: Default::default(),
        }
    }

    /// Each plan of a comparison is costed on its own: the plans of channels.toml spend
    /// differently, so the baseline's cost times the plan count would be wrong.
    #[test]
    fn a_comparison_costs_each_plan_on_its_own() {
        let scenario = channels_scenario();
        let plans: Vec<crate::scenario::PlanId> = scenario.plan_ids().collect();
        let work = compare(&scenario, &plans, &options(&scenario), 2).unwrap();
        let engine = work.choice.engine;
        let each: Vec<f64> = scenario
            .plans
            .iter()
            .map(|p| cpu_seconds_per_run(&scenario, p, engine))
            .collect();
        assert!(
            each.iter().any(|c| (c - each[0]).abs() > 1e-3 * each[0]),
            "{each:?}"
        );
        let expected = each.iter().sum::<f64>() * 1000.0 / 2.0;
        assert!(
            (work.seconds - expected).abs() <= 1e-9 * expected,
            "{} {expected}",
            work.seconds
        );
    }

    /// `simulate` costs what its summary measures besides the runs: with several channels,
    /// each channel's value (a run without it) and the payback vintages.
    #[test]
    fn a_simulation_costs_its_channel_values_and_vintages() {
        let scenario = channels_scenario();
        let channels = scenario.acquisition.as_ref().unwrap().channels.len() as f64;
        assert!(channels >= 2.0);
        let work = simulate(&scenario, &options(&scenario), 1000, 2).unwrap();
        let plan = &scenario.plans[scenario.baseline_plan];
        let run = cpu_seconds_per_run(&scenario, plan, work.choice.engine);
        // The runs, a run per channel for its value, and the vintages on top.
        assert!(work.runs > 1000.0 * (1.0 + channels), "{}", work.runs);
        assert!(work.seconds > 1000.0 * (1.0 + channels) * run / 2.0);
    }

    /// The occupancy's Poisson approximation against the exact law: N customers entering by
    /// a multinomial and each leaving a stratum with probability δ a period leave stratum j
    /// holding Binomial(N, w·(1 − δ)^(t − 1)) customers in period t, so P(populated) is
    /// 1 − (1 − w·(1 − δ)^(t − 1))^N, and the expected dropouts (uncapped) are
    /// N·w·(1 − δ)^(t − 1)·δ. With every w ≤ 0.05 the two agree within 3% (the Poisson
    /// law's error is of order w·N·w); the dropouts, while far below the cap, within 2%.
    #[test]
    fn bgnbd_occupancy_matches_the_binomial_law_of_strata_counts() {
        let strata: Vec<(f64, f64)> = (0..40)
            .map(|j| (0.025 + 0.0005 * (j as f64 - 19.5), 0.001 + 0.004 * j as f64))
            .collect();
        let total: f64 = strata.iter().map(|s| s.0).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let (customers, periods) = (20.0, 30u32);
        let occupancy = dropout_occupancy(&strata, customers, &[], periods);
        let (mut populated, mut dropouts) = (0.0, 0.0);
        for &(w, leave) in &strata {
            for t in 0..periods {
                let share = w * (1.0 - leave).powi(t as i32);
                populated += 1.0 - (1.0 - share).powf(customers);
                dropouts += customers * share * leave;
            }
        }
        assert!(
            (occupancy.populated / populated - 1.0).abs() < 0.03,
            "{} against {populated}",
            occupancy.populated
        );
        assert!(
            (occupancy.dropouts / dropouts - 1.0).abs() < 0.02,
            "{} against {dropouts}",
            occupancy.dropouts
        );
        // Arrivals enter the same recursion: half at the start and half in period 11 hold
        // fewer stratum-periods than all at the start, more than the first half alone.
        let mut arrivals = vec![0.0; periods as usize];
        arrivals[10] = customers / 2.0;
        let split = dropout_occupancy(&strata, customers / 2.0, &arrivals, periods);
        let half = dropout_occupancy(&strata, customers / 2.0, &[], periods);
        assert!(half.populated < split.populated && split.populated < occupancy.populated);
    }

    /// The strata a period's arrivals enter: a arrivals placed by the multinomial over the
    /// entry weights leave stratum j empty with probability (1 − w_j)^a (exact), which the
    /// Poisson form 1 − e^(−w·a) follows within 3% for small weights; the Beta family's
    /// leavers are capped at about [`LEAVERS_COUNTED`] a stratum-period.
    #[test]
    fn entered_strata_follow_the_multinomial_law_and_leavers_are_capped() {
        let strata: Vec<(f64, f64)> = (0..50)
            .map(|j| (0.02 + 0.0004 * (j as f64 - 24.5), 0.01 + 0.002 * j as f64))
            .collect();
        let periods = 12u32;
        let arrivals: Vec<f64> = (0..periods).map(|t| 5.0 + 3.0 * t as f64).collect();
        let occupancy = churn_occupancy(&strata, 0.0, &arrivals, periods);
        let exact: f64 = strata
            .iter()
            .flat_map(|&(w, _)| arrivals.iter().map(move |&a| 1.0 - (1.0 - w).powf(a)))
            .sum();
        assert!(
            (occupancy.entered / exact - 1.0).abs() < 0.03,
            "{} against {exact}",
            occupancy.entered
        );
        let crowded = churn_occupancy(&[(1.0, 0.2)], 1e9, &[], 10);
        assert!((crowded.dropouts - 10.0 * LEAVERS_COUNTED).abs() < 1e-6);
        assert_eq!(crowded.entered, 0.0);
    }

    /// A Beta-family cohort's cost follows its occupancy: more customers populate more strata
    /// and draw more leavers, and a development programme or win-back adds its cohort-periods.
    #[test]
    fn beta_family_cohort_cost_grows_with_occupancy() {
        let text = |customers: u64| {
            format!(
                "name = \"occupancy\"\n[time]\nperiods = 24\nperiods_per_year = 12\n\
                 discount_rate = 0.1\n[[cohorts]]\nname = \"a\"\ncustomers = {customers}\n\
                 retention = {{ mean = 0.9, concentration = 5 }}\npurchases = {{ mean = 1.0 }}\n\
                 order_value = {{ mean = 10.0 }}\nmargin = 0.3\n"
            )
        };
        let cost = |customers: u64| {
            let scenario = crate::scenario::parse_str(
                &text(customers),
                "occupancy.toml",
                "occupancy",
                crate::scenario::Format::Toml,
            )
            .unwrap();
            let plan = &scenario.plans()[scenario.baseline_plan()];
            cost_per_run(&scenario, plan, EngineKind::Cohort)
        };
        let (few, many) = (cost(10), cost(100_000));
        let units = |c: &Cost, u: Unit| c.units[u as usize];
        assert!(units(&few, Unit::CohortPopulated) < units(&many, Unit::CohortPopulated));
        assert!(units(&few, Unit::CohortLeaver) < units(&many, Unit::CohortLeaver));
        assert!(units(&few, Unit::CohortEmpty) > units(&many, Unit::CohortEmpty));
        assert_eq!(units(&many, Unit::CohortProgramPeriod), 0.0);
        // Every stratum-period is either populated or empty.
        for c in [&few, &many] {
            let total = units(c, Unit::CohortPopulated) + units(c, Unit::CohortEmpty);
            assert!(
                (total - units(&few, Unit::CohortPopulated) - units(&few, Unit::CohortEmpty)).abs()
                    < 1e-6
            );
        }
        assert!(many.cpu_seconds() > few.cpu_seconds());
    }

    /// A crowded stratum counts at most about [`DROPOUTS_COUNTED`] dropouts a period, however
    /// many leave: its draws stop growing with their outcomes.
    #[test]
    fn crowded_strata_count_a_capped_number_of_dropouts() {
        let occupancy = dropout_occupancy(&[(1.0, 0.01)], 1e9, &[], 10);
        assert!((occupancy.populated - 10.0).abs() < 1e-9);
        assert!((occupancy.dropouts - 10.0 * DROPOUTS_COUNTED).abs() < 1e-6);
    }

    /// BG/NBD estimates follow the strata's occupancy: a hundred times the customers costs
    /// more, but far less than a hundred times (most strata are populated already), and the
    /// per-customer engine's estimate is linear in the customers.
    #[test]
    fn bgnbd_cohort_cost_grows_with_occupancy_not_customers() {
        let text = std::fs::read_to_string("benches/scenarios/bgnbd_million.toml").unwrap();
        let at = |customers: u64| {
            let text = text.replace("customers = 1000000", &format!("customers = {customers}"));
            let scenario = crate::scenario::parse_str(
                &text,
                "bgnbd.toml",
                "bgnbd",
                crate::scenario::Format::Toml,
            )
            .unwrap();
            let plan = &scenario.plans[scenario.baseline_plan];
            (
                cpu_seconds_per_run(&scenario, plan, EngineKind::Cohort),
                cpu_seconds_per_run(&scenario, plan, EngineKind::Customer),
            )
        };
        let (small, large) = (at(10_000), at(1_000_000));
        assert!(
            large.0 > 1.5 * small.0 && large.0 < 10.0 * small.0,
            "{small:?} {large:?}"
        );
        let customer_ratio =
            (large.1 - SECONDS_PER_RUN_OVERHEAD) / (small.1 - SECONDS_PER_RUN_OVERHEAD);
        assert!(
            (customer_ratio / 100.0 - 1.0).abs() < 1e-6,
            "{customer_ratio}"
        );
    }

    #[test]
    fn wall_time_spreads_runs_over_the_threads_a_simulation_can_use() {
        assert_eq!(wall_seconds(2.0, 100.0, 100, 4), 50.0);
        assert_eq!(wall_seconds(2.0, 100.0, 1, 4), 200.0);
    }

    #[test]
    fn a_refusal_is_true_about_its_advice() {
        let scenario = Scenario::new(
            "s",
            crate::scenario::Time {
                periods: 120,
                periods_per_year: 12,
                discount_rate: 0.1,
                cash_flow_timing: crate::scenario::CashFlowTiming::End,
            },
            vec![crate::scenario::Cohort::new(
                "c",
                10_000_000,
                Retention::Rate { rate: 0.99 },
                crate::scenario::Purchases::Fixed { n: 1.0 },
                crate::scenario::OrderValue::Constant { mean: 10.0 },
            )],
        );
        let plan = &scenario.plans[0];
        let work = Work::new(
            "simulate",
            &scenario,
            plan,
            choice(EngineKind::Customer, "as requested"),
            100_000.0,
            100_000,
            2,
        );
        let message = work.check().unwrap_err().to_string();
        assert!(
            message.contains("per-customer engine (as requested)"),
            "{message}"
        );
        // The advised run count fits the limit.
        let runs: f64 = message
            .split("at most ")
            .nth(1)
            .and_then(|rest| rest.split(" runs").next())
            .map(|n| n.replace(',', "").parse().unwrap())
            .unwrap();
        let advised = Work::new(
            "simulate",
            &scenario,
            plan,
            choice(EngineKind::Customer, "as requested"),
            runs,
            runs as u64,
            2,
        );
        assert!(advised.check().is_ok());
        assert!(advised.seconds > 0.99 * MAX_WORK_SECONDS);
        assert!(message.contains("--engine cohort") && message.contains("--shard"));
    }
}
