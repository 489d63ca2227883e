//! Cancellation and progress, passed into the work rather than reached for as globals.
//!
//! Every library entry point that simulates (simulate, compare, optimize, frontier,
//! sensitivity, report) carries a [`Control`] in its options: a [`CancelToken`] the engines
//! poll once per run, and a [`RunProgress`] sink told of every finished run. Two studies in one
//! process therefore cancel and report separately (argmin's `Executor` owns interruption and
//! observers the same way). The command line's token is the one its signal handler flips
//! ([`crate::cancel`]); a Rust user makes their own with [`CancelToken::new`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A request to stop, shared by whoever may ask for it and the work that polls it. Clones share
/// one flag; a fresh token (or [`Default`]) is never cancelled until [`CancelToken::cancel`].
#[derive(Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token of its own, not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the work holding this token (or a clone of it) to stop; it stops at its next poll,
    /// between runs, and returns [`crate::sim::SimError::Interrupted`].
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`CancelToken::cancel`] was called on this token or a clone of it.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Two tokens are equal when they are clones of one another (they share the flag).
impl PartialEq for CancelToken {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CancelToken")
            .field(&self.is_cancelled())
            .finish()
    }
}

/// Where the engines report finished runs. Called from the worker threads, once per run, in no
/// particular order; keep it cheap (an atomic add).
pub trait RunProgress: Send + Sync {
    /// One more run finished.
    fn run_finished(&self);
}

/// A [`RunProgress`] that counts: a display polls [`RunCounter::done`] from its own thread, so
/// the engines know nothing about terminals.
#[derive(Debug, Default)]
pub struct RunCounter(AtomicU64);

impl RunCounter {
    /// Runs finished so far.
    pub fn done(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl RunProgress for RunCounter {
    fn run_finished(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// The cancellation token and progress sink of one call. Cheap to clone (two `Arc`s); the
/// default has a token of its own and reports progress nowhere.
#[derive(Clone, Default)]
pub struct Control {
    cancel: CancelToken,
    progress: Option<Arc<dyn RunProgress>>,
}

impl Control {
    /// Work stopped by `cancel`, reporting progress nowhere.
    pub fn new(cancel: CancelToken) -> Self {
        Control {
            cancel,
            progress: None,
        }
    }

    /// The same control, reporting finished runs to `progress` instead.
    pub fn with_progress(self, progress: Arc<dyn RunProgress>) -> Self {
        Control {
            progress: Some(progress),
            ..self
        }
    }

    /// The token this control polls.
    pub fn token(&self) -> &CancelToken {
        &self.cancel
    }

    /// Whether the work should stop now.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Tells the progress sink, if any, that one more run finished.
    pub fn run_finished(&self) {
        if let Some(progress) = &self.progress {
            progress.run_finished();
        }
    }
}

/// Two controls are equal when they share their token and their progress sink.
impl PartialEq for Control {
    fn eq(&self, other: &Self) -> bool {
        let same_progress = match (&self.progress, &other.progress) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        self.cancel == other.cancel && same_progress
    }
}

impl fmt::Debug for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Control")
            .field("cancel", &self.cancel)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag_and_fresh_tokens_do_not() {
        let token = CancelToken::new();
        let clone = token.clone();
        let other = CancelToken::new();
        clone.cancel();
        assert!(token.is_cancelled());
        assert!(!other.is_cancelled());
        assert_eq!(token, clone);
        assert_ne!(token, other);
    }

    #[test]
    fn a_control_counts_runs_into_its_own_sink() {
        let counter = Arc::new(RunCounter::default());
        let control = Control::new(CancelToken::new()).with_progress(counter.clone());
        let silent = Control::default();
        for _ in 0..3 {
            control.run_finished();
            silent.run_finished();
        }
        assert_eq!(counter.done(), 3);
        assert_ne!(control, silent);
        assert_eq!(control, control.clone());
    }
}
