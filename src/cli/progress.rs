//! Progress on stderr for long searches: on a terminal one line redrawn in place; elsewhere (a
//! log, a batch job) one plain line per stage, so a long report is never silent; nothing with
//! `--quiet`.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::optimize::Progress;

pub struct TerminalProgress {
    enabled: bool,
    /// Stage lines for a non-terminal stderr.
    log_stages: bool,
    started: Instant,
    last: Option<Instant>,
    drawn: bool,
}

impl TerminalProgress {
    pub fn new(quiet: bool) -> Self {
        let quiet = quiet || super::run_progress::is_quiet();
        TerminalProgress {
            enabled: !quiet && std::io::stderr().is_terminal(),
            log_stages: !quiet && !std::io::stderr().is_terminal(),
            started: Instant::now(),
            last: None,
            drawn: false,
        }
    }
}

impl Progress for TerminalProgress {
    fn stage(&mut self, text: &str) {
        if self.log_stages {
            let elapsed = self.started.elapsed().as_secs_f64();
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "[{elapsed:6.1}s] {text}");
            let _ = stderr.flush();
        } else {
            self.message(text);
        }
    }

    fn message(&mut self, text: &str) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        let elapsed = now.duration_since(self.started).as_secs_f64();
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[K[{elapsed:6.1}s] {text}");
        let _ = stderr.flush();
        self.drawn = true;
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        if self.drawn {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[K");
            let _ = stderr.flush();
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

/// "wrote PATH" for a file written.
pub fn wrote(path: &std::path::Path) {
    if !super::run_progress::is_quiet() {
        note(&format!("wrote {}", path.display()));
    }
}
