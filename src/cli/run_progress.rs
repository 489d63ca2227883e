//! A progress bar on stderr for long simulations (SPEC §12): shown only when stderr is a
//! terminal and `--quiet` was not given, so pipes, logs and tests see nothing.
//!
//! The engine counts finished runs in [`crate::sim::RUNS_DONE`]; a thread here polls the counter,
//! so the engines know nothing about terminals.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::sim::RUNS_DONE;

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: no progress bars and no "wrote" lines.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given, before or after the subcommand.
pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Runs `work`, showing a bar of `total` runs while it runs when that is wanted.
pub fn with_runs<T>(total: u64, work: impl FnOnce() -> T) -> T {
    let show = !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal() && total > 1;
    if !show {
        return work();
    }
    let bar = Bar::start(total);
    let result = work();
    bar.finish();
    result
}

struct Bar {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Bar {
    fn start(total: u64) -> Bar {
        let stop = Arc::new(AtomicBool::new(false));
        let start = RUNS_DONE.load(Ordering::Relaxed);
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
                    let done = RUNS_DONE.load(Ordering::Relaxed).saturating_sub(start);
                    bar.set_position(done.min(total));
                    std::thread::sleep(Duration::from_millis(100));
                }
                bar.finish_and_clear();
            }
        });
        Bar { stop, thread }
    }

    fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}
