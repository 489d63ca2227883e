//! The one place the random generator is named.
//!
//! Xoshiro256++ (Blackman & Vigna 2021): fast, portable, and with a stable output sequence
//! across platforms and versions, which reproducibility needs (SPEC §11). Each run k gets
//! independent streams for its purposes, seeded by SplitMix64 mixing of (seed, run, purpose),
//! so common random numbers line up across plans: parameter draws and shocks of run k are the
//! same whatever the plan.

use rand::SeedableRng;
pub use rand_xoshiro::Xoshiro256PlusPlus as SimRng;

/// What a run-level stream is used for; each gets its own independent sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// `[uncertainty]` parameter draws.
    Parameters = 1,
    /// Demand and churn shocks.
    Shocks = 2,
    /// The existing base's traits, drawn before period 1.
    Customers = 3,
    /// Posterior draws of per-customer scores (`ceq fit transactions --scores`); the "run"
    /// is the score group.
    Scores = 4,
    /// Draws from a fit's sampling distribution (`ceq fit response --draws`,
    /// `ceq fit retention-test --draws`); the "run" is 0.
    FitDraws = 5,
}

/// What a stream of one period (and one cohort) is used for. The period loop draws each
/// purpose from its own stream keyed by (seed, run, purpose, period, cohort), so changing how
/// many customers one step involves (more acquisition, say) changes only the draws of that
/// step: every other period's and cohort's draws, and the existing base's, stay the same.
/// This is what makes common random numbers line up across plans (Glasserman & Yao 1992,
/// "Some guidelines and guarantees for common random numbers"; synchronisation by purpose).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Prospects acquired in period t and their split across cohorts.
    Acquisition = 16,
    /// Traits of customers acquired into cohort c in period t.
    AcquiredTraits = 17,
    /// Traits of customers referred into cohort c in period t.
    ReferredTraits = 18,
    /// Orders and order values of cohort c in period t.
    Purchases = 19,
    /// Referrals made by cohort c in period t.
    Referrals = 20,
    /// Churn and migration of cohort c in period t.
    Churn = 21,
    /// Traits of the customers who migrated into their new cohorts at the end of period t.
    Migration = 22,
    /// Win-back: reactivations from cohort c's lapsed pool in period t (SPEC §5b).
    Winback = 23,
    /// Traits of the customers reactivated from cohort c's pool in period t.
    WinbackTraits = 24,
    /// Win-back: the decay of cohort c's lapsed pool at the end of period t.
    LapsedDecay = 25,
}

/// The key of run `run` under `seed`, from which its event streams are derived.
pub fn run_key(seed: u64, run: u64) -> u64 {
    splitmix64(splitmix64(seed) ^ run)
}

/// The generator for `event` of period `t` and cohort `cohort` of the run with key `run_key`
/// (see [`run_key`]); `cohort` is 0 for events of the whole period.
pub fn event_stream(run_key: u64, event: Event, t: u32, cohort: usize) -> SimRng {
    let key =
        splitmix64(splitmix64(splitmix64(run_key ^ event as u64) ^ u64::from(t)) ^ cohort as u64);
    SimRng::seed_from_u64(key)
}

/// SplitMix64 finalizer (Steele, Lea & Flood 2014): a bijective 64-bit mix.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator for `stream` of run `run` under `seed`.
pub fn stream(seed: u64, run: u64, stream: Stream) -> SimRng {
    let key = splitmix64(run_key(seed, run) ^ stream as u64);
    SimRng::seed_from_u64(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_differ_by_seed_run_and_purpose() {
        let first = |s: u64, r: u64, p: Stream| stream(s, r, p).next_u64();
        let base = first(1, 0, Stream::Customers);
        assert_eq!(base, first(1, 0, Stream::Customers));
        assert_ne!(base, first(2, 0, Stream::Customers));
        assert_ne!(base, first(1, 1, Stream::Customers));
        assert_ne!(base, first(1, 0, Stream::Shocks));
    }

    #[test]
    fn event_streams_differ_by_event_period_and_cohort() {
        let key = run_key(1, 0);
        let first = |e: Event, t: u32, c: usize| event_stream(key, e, t, c).next_u64();
        let base = first(Event::Purchases, 1, 0);
        assert_eq!(base, first(Event::Purchases, 1, 0));
        assert_ne!(base, first(Event::Churn, 1, 0));
        assert_ne!(base, first(Event::Purchases, 2, 0));
        assert_ne!(base, first(Event::Purchases, 1, 1));
        assert_ne!(
            base,
            event_stream(run_key(1, 1), Event::Purchases, 1, 0).next_u64()
        );
    }
}
