//! Ctrl-C (SPEC §12): an interrupt asks the work to stop; it does not kill the process.
//!
//! The signal handler only sets a flag. The engines poll [`requested`] once per run and return
//! [`crate::sim::SimError::Interrupted`]; the command line then skips every output, removes
//! any temporary file and exits 130 from the main thread, so an interrupted run leaves no
//! partial or temporary file behind.
//!
//! Work that never polls the flag (a calibration, a chart) must still stop promptly, so the
//! handler has a fallback: if the process is still running [`GRACE`] after the first
//! interrupt, or at a second interrupt, it removes the temporary files registered with
//! [`TempGuard`] and exits 130 itself.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The exit code of a process stopped by SIGINT (128 + 2), as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// How long the work has to notice an interrupt before the handler stops the process itself.
pub const GRACE: Duration = Duration::from_secs(3);

static REQUESTED: AtomicBool = AtomicBool::new(false);
static TEMP_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Whether an interrupt has been received.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Marks an interrupt as received, as the handler does (for tests and embedders).
pub fn request() {
    REQUESTED.store(true, Ordering::Relaxed);
}

/// Installs the Ctrl-C handler; call once from `main`. Failure to install (another handler
/// already there) leaves the default behaviour, which is to die at once.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::Relaxed) {
            force_exit();
        }
        std::thread::spawn(|| {
            std::thread::sleep(GRACE);
            force_exit();
        });
    });
}

/// Removes the registered temporary files and exits 130.
fn force_exit() -> ! {
    let files = match TEMP_FILES.lock() {
        Ok(files) => files.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    for file in files {
        let _ = std::fs::remove_file(file);
    }
    std::process::exit(i32::from(EXIT_INTERRUPTED));
}

/// A temporary file registered for removal should the handler have to stop the process;
/// dropping the guard unregisters it (the writer has renamed or removed it by then).
pub struct TempGuard {
    path: PathBuf,
}

impl TempGuard {
    pub fn register(path: &Path) -> TempGuard {
        if let Ok(mut files) = TEMP_FILES.lock() {
            files.push(path.to_path_buf());
        }
        TempGuard {
            path: path.to_path_buf(),
        }
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Ok(mut files) = TEMP_FILES.lock()
            && let Some(i) = files.iter().position(|p| *p == self.path)
        {
            files.swap_remove(i);
        }
    }
}
