//! Stop signals (SPEC §12): SIGINT (Ctrl-C), SIGTERM (what Slurm, Kubernetes and `kill` send)
//! and SIGHUP (a closed terminal) ask the work to stop; they do not kill the process.
//!
//! A signal handler is process-wide by nature, so this module holds the one piece of
//! process-wide state in ceq: the command line's [`CancelToken`] ([`token`]), the signal
//! received, the temporary paths to clean up and the publication lock. The library never reads
//! it: the command line passes [`token`] into each call's [`crate::control::Control`], and the
//! engines poll that once per run and return [`crate::sim::SimError::Interrupted`]; the output
//! writer polls [`requested`] between files. The command line then publishes nothing, removes
//! every temporary file and exits 128 + the signal's number (130, 143, 129) from the main
//! thread, so a stopped run leaves the output folder as it was before.
//!
//! Work that never polls the token (a calibration, a chart) must still stop promptly, so the
//! handler has a fallback: if the process is still running [`GRACE`] after the first signal,
//! or at a second one, it removes the temporary paths registered with [`TempGuard`] and exits
//! itself — but never in the middle of a publication ([`critical`]), which is a handful of
//! renames and finishes first, so a folder never holds parts of two runs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use crate::control::CancelToken;

/// The exit code of a process stopped by SIGINT (128 + 2), as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// How long the work has to notice a signal before the handler stops the process itself.
pub const GRACE: Duration = Duration::from_secs(3);

/// What the signal handler shares with the command line.
struct Process {
    /// The command line's token, flipped by the first stop signal.
    token: CancelToken,
    /// The first stop signal received (0: none).
    signal: AtomicI32,
    /// Temporary files and folders the fallback exit removes.
    temp_paths: Mutex<Vec<PathBuf>>,
    /// Held while a publication renames files into place; the fallback exit waits for it.
    publishing: Mutex<()>,
}

static PROCESS: LazyLock<Process> = LazyLock::new(|| Process {
    token: CancelToken::new(),
    signal: AtomicI32::new(0),
    temp_paths: Mutex::new(Vec::new()),
    publishing: Mutex::new(()),
});

const SIGHUP: i32 = 1;
const SIGTERM: i32 = 15;

/// The command line's cancellation token: the one the signal handler flips. Pass it into the
/// [`crate::control::Control`] of a call; an embedder makes its own tokens instead.
pub fn token() -> CancelToken {
    PROCESS.token.clone()
}

/// A [`crate::control::Control`] stopped by the command line's [`token`], reporting progress
/// nowhere: what each command passes into the library.
pub fn control() -> crate::control::Control {
    crate::control::Control::new(token())
}

/// Whether a stop signal has been received.
pub fn requested() -> bool {
    PROCESS.token.is_cancelled()
}

/// The name of the signal that stopped the work ("SIGINT" when none was named).
pub fn signal_name() -> &'static str {
    match PROCESS.signal.load(Ordering::Relaxed) {
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "SIGINT",
    }
}

/// 128 + the signal's number, as shells report a process the signal killed: 130 for SIGINT,
/// 143 for SIGTERM, 129 for SIGHUP.
pub fn exit_code() -> u8 {
    match PROCESS.signal.load(Ordering::Relaxed) {
        SIGTERM => 128 + 15,
        SIGHUP => 128 + 1,
        _ => EXIT_INTERRUPTED,
    }
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP; call once from `main`. Failure to
/// install leaves the default behaviour, which is to die at once.
pub fn install() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            for signal in signals.forever() {
                let process = &*PROCESS;
                let _ = process.signal.compare_exchange(
                    0,
                    signal,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
                if process.token.is_cancelled() {
                    force_exit();
                }
                process.token.cancel();
                std::thread::spawn(|| {
                    std::thread::sleep(GRACE);
                    force_exit();
                });
            }
        });
    }
}

/// Waits for a publication in progress, removes the registered temporary paths and exits.
fn force_exit() -> ! {
    let _publishing = critical();
    let paths = match PROCESS.temp_paths.lock() {
        Ok(paths) => paths.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    for path in paths {
        remove_path(&path);
    }
    std::process::exit(i32::from(exit_code()));
}

/// A file or a whole folder, whichever `path` is; best effort.
fn remove_path(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let _ = std::fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(path);
        }
        Err(_) => {}
    }
}

/// The section in which a publication renames its files into place: the fallback exit waits
/// for it to end.
pub fn critical() -> MutexGuard<'static, ()> {
    PROCESS
        .publishing
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A temporary file or folder registered for removal should the handler have to stop the
/// process; dropping the guard unregisters it (the writer has renamed or removed it by then).
pub struct TempGuard {
    path: PathBuf,
}

impl TempGuard {
    pub fn register(path: &Path) -> TempGuard {
        if let Ok(mut paths) = PROCESS.temp_paths.lock() {
            paths.push(path.to_path_buf());
        }
        TempGuard {
            path: path.to_path_buf(),
        }
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Ok(mut paths) = PROCESS.temp_paths.lock()
            && let Some(i) = paths.iter().position(|p| *p == self.path)
        {
            paths.swap_remove(i);
        }
    }
}
