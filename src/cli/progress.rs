//! Progress on stderr, one system for every command (SPEC §12). On a terminal, indicatif draws
//! in place: a bar of the runs done while a simulation runs ([`Console::with_runs`]), a spinner with the
//! current stage of a search or a report ([`TerminalProgress`]). Elsewhere (a log, a batch job)
//! there is no bar, and each stage is one plain line, so a long report is never silent. With
//! `--quiet`, nothing but warnings and errors ([`note`]); "wrote FILE" lines
//! ([`Console::wrote`]) follow `--quiet` too. The flag travels in a [`Console`] value, not in a
//! static.
//!
//! The engine tells the [`crate::control::RunProgress`] sink of its call's options about each
//! finished run; [`Console::with_runs`] passes in a [`RunCounter`] that a thread here polls, so the
//! engines know nothing about terminals.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::control::{Control, RunCounter};
use crate::optimize::Progress;

/// What the command line tells its user on stderr, and whether `--quiet` silences it: made once
/// from the global flag (before or after the subcommand) in [`super::run`] and handed to every
/// command, so nothing about it is process-wide. Warnings and errors ([`note`]) always show;
/// progress, estimates and "wrote FILE" lines follow `--quiet`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Console {
    quiet: bool,
}

impl Console {
    /// The console of a command run with (`quiet`) or without `--quiet`.
    pub fn new(quiet: bool) -> Self {
        Console { quiet }
    }

    /// Whether `--quiet` was given.
    pub fn is_quiet(self) -> bool {
        self.quiet
    }

    /// A line `--quiet` silences (an estimate, a file written): shown only without it.
    pub fn info(self, text: &str) {
        if !self.quiet {
            note(text);
        }
    }

    /// "wrote PATH" for a file written.
    pub fn wrote(self, path: &std::path::Path) {
        self.info(&format!("wrote {}", path.display()));
    }

    /// The progress of a search or a report's stages ([`TerminalProgress`]).
    pub fn stages(self) -> TerminalProgress {
        TerminalProgress::new(self.quiet)
    }

    /// Runs `work` with `control`, showing a bar of `total` runs while it runs when that is
    /// wanted (a terminal, no `--quiet`, more than one run): `work` then gets `control` with a
    /// [`RunCounter`] the bar polls.
    pub fn with_runs<T>(self, total: u64, control: &Control, work: impl FnOnce(Control) -> T) -> T {
        let show = !self.quiet && std::io::stderr().is_terminal() && total > 1;
        if !show {
            return work(control.clone());
        }
        let counter = Arc::new(RunCounter::default());
        let bar = RunsBar::start(total, Arc::clone(&counter));
        let result = work(control.clone().with_progress(counter));
        bar.finish();
        result
    }
}

/// The stages of a search or a report: a spinner on a terminal, one line per stage elsewhere.
pub struct TerminalProgress {
    /// The spinner on a terminal.
    spinner: Option<ProgressBar>,
    /// Stage lines for a non-terminal stderr.
    log_stages: bool,
    started: Instant,
}

impl TerminalProgress {
    /// Progress that is silent with `quiet` ([`Console::stages`]).
    fn new(quiet: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        TerminalProgress {
            spinner: (!quiet && terminal).then(spinner),
            log_stages: !quiet && !terminal,
            started: Instant::now(),
        }
    }
}

/// A spinner with the elapsed time and the current message, redrawn ten times a second.
fn spinner() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

impl Progress for TerminalProgress {
    fn stage(&mut self, text: &str) {
        if self.log_stages {
            let elapsed = self.started.elapsed().as_secs_f64();
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(
                stderr,
                "[{elapsed:6.1}s] {}",
                super::safe_text::terminal(text)
            );
            let _ = stderr.flush();
        } else {
            self.message(text);
        }
    }

    fn message(&mut self, text: &str) {
        if let Some(spinner) = &self.spinner {
            spinner.set_message(super::safe_text::terminal(text).into_owned());
        }
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        if let Some(spinner) = &self.spinner {
            spinner.finish_and_clear();
        }
    }
}

/// One line on stderr, with control and bidi characters made visible ([`super::safe_text`]).
/// A failing stderr (a full disk, a closed pipe) is ignored: a note must never abort a run
/// whose results are already computed, as `eprintln!` would by panicking.
pub fn note(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", super::safe_text::terminal(text));
}

struct RunsBar {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl RunsBar {
    fn start(total: u64, counter: Arc<RunCounter>) -> RunsBar {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let stop = Arc::clone(&stop);
            move || {
                // Short simulations finish before the bar would be worth drawing.
                std::thread::sleep(Duration::from_millis(300));
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs (eta {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                while !stop.load(Ordering::Relaxed) {
                    let done = counter.done();
                    bar.set_position(done.min(total));
                    std::thread::sleep(Duration::from_millis(100));
                }
                bar.finish_and_clear();
            }
        });
        RunsBar { stop, thread }
    }

    fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}
