//! Atomic file writing (SPEC §12): every file goes to a temporary name in its target directory,
//! is flushed to disk, then renamed into place, so an interrupted run never leaves a
//! half-written file under the real name. The temporary name is in the same directory because
//! a rename is only atomic within one filesystem. Whole `--out` folders are published as one
//! set by [`super::publish`]; files outside `--out` pass [`check_new_file`] first.

use anyhow::Context;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically, replacing any file already there.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Publishes the fit commands' files into `dir` as one set (see [`super::publish`]) and names
/// each file written on stderr, as every command does with `--out`.
pub fn write_reported(
    console: super::progress::Console,
    dir: &Path,
    files: &[(String, Vec<u8>)],
) -> Result<(), super::CliError> {
    publish_reported(console, dir, super::publish::Entry::new("fit"), files)
}

/// Publishes `files` as `entry`'s run in `dir` and names each file written on stderr.
pub fn publish_reported(
    console: super::progress::Console,
    dir: &Path,
    entry: super::publish::Entry,
    files: &[(String, Vec<u8>)],
) -> Result<(), super::CliError> {
    for path in super::publish::publish(dir, entry, files)? {
        console.wrote(&path);
    }
    Ok(())
}

/// Checks, before any work, that a command may write a file at `path` outside `--out` (a
/// written plan, scenario or scores file, SPEC §12.2): never over one of the command's own
/// `inputs`, never over anything but a regular file (a folder, a device, a pipe, a link), and
/// over an existing file only with `--force`. `flag` names the option for the message.
pub fn check_new_file(
    flag: &str,
    path: &Path,
    force: bool,
    inputs: &[&Path],
) -> Result<(), super::CliError> {
    let refuse =
        |why: String| super::CliError::invalid(anyhow::anyhow!("{flag} {}: {why}", path.display()));
    if let Some(input) = inputs.iter().find(|input| same_file(path, input)) {
        return Err(refuse(format!(
            "this is also an input of the command ({}); write the result somewhere else",
            input.display()
        )));
    }
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => Err(refuse(
            "exists and is not a regular file; ceq replaces only regular files".to_string(),
        )),
        Ok(_) if !force => Err(refuse(
            "already exists; use --force to replace it".to_string(),
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(refuse(format!("cannot be checked: {e}"))),
    }
}

/// Whether two paths name one file, however they are spelled (`./a.csv`, `d/../a.csv`, a
/// link): by device and inode where both exist, else by their canonical parent and name.
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (fs::metadata(a), fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    let canonical = |p: &Path| {
        let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
        let parent = parent.map_or_else(|| Path::new(".").canonicalize(), fs::canonicalize);
        parent.ok().zip(p.file_name().map(|n| n.to_os_string()))
    };
    matches!((canonical(a), canonical(b)), (Some(x), Some(y)) if x == y)
}

/// Writes a file outside `--out` after [`check_new_file`] accepted it: creates its folder,
/// then writes it atomically.
pub fn write_new_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    write_atomic(path, bytes)
}

/// Each chart as `STEM.png` and `STEM.svg`.
pub fn chart_files<S: AsRef<str>>(
    charts: Vec<(S, crate::chart::Rendered)>,
) -> Vec<(String, Vec<u8>)> {
    charts
        .into_iter()
        .flat_map(|(stem, rendered)| {
            let stem = stem.as_ref();
            [
                (format!("{stem}.png"), rendered.png),
                (format!("{stem}.svg"), rendered.svg.into_bytes()),
            ]
        })
        .collect()
}

/// The temporary sibling of `path`: hidden, and unique to this process.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// The atomic write with the content produced by `fill`; on any error the temporary file is
/// removed and an existing file at `path` is left untouched.
fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> anyhow::Result<()> {
    let temp = temp_path(path);
    let _guard = crate::cancel::TempGuard::register(&temp);
    let result = fill_and_rename(&temp, path, fill);
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

fn fill_and_rename(
    temp: &Path,
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    interrupt_check()?;
    let mut file = File::create(temp)?;
    fill(&mut file)?;
    file.sync_all()?;
    drop(file);
    // An interrupt while the file was being written: nothing new appears under a real name.
    interrupt_check()?;
    fs::rename(temp, path)?;
    sync_parent(path);
    Ok(())
}

/// After Ctrl-C no writer starts and no temporary file is renamed into place.
fn interrupt_check() -> io::Result<()> {
    if crate::cancel::requested() {
        Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"))
    } else {
        Ok(())
    }
}

/// Makes the rename itself durable where the platform allows it; best effort, since the file
/// is already complete under its final name.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The names in `dir`, sorted (for the tests of this file and of the publish layer).
    pub(in crate::cli) fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn success_leaves_only_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        write_atomic(&path, b"{}\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}\n");
        assert_eq!(names_in(dir.path()), ["summary.json"]);
    }

    #[test]
    fn replaces_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(names_in(dir.path()), ["runs.csv"]);
    }

    #[test]
    fn failure_removes_the_temporary_file_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("periods.csv");
        fs::write(&path, "previous").unwrap();
        let error = write_atomic_with(&path, |file| {
            file.write_all(b"half a fi")?;
            Err(io::Error::other("simulated failure"))
        })
        .unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            format!("cannot write {}: simulated failure", path.display())
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "previous");
        assert_eq!(names_in(dir.path()), ["periods.csv"]);
    }

    #[test]
    fn temporary_name_is_hidden_and_per_process() {
        let temp = temp_path(Path::new("out/summary.json"));
        let expected = format!("out/.summary.json.tmp-{}", std::process::id());
        assert_eq!(temp, PathBuf::from(expected));
    }
}

#[cfg(test)]
mod new_file_tests {
    use super::*;

    #[test]
    fn existing_files_need_force_and_inputs_are_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("plan.toml");
        fs::write(&existing, "x").unwrap();
        let error = check_new_file("--write-plan", &existing, false, &[]).unwrap_err();
        assert_eq!(error.code, crate::cli::EXIT_INVALID);
        assert!(
            error
                .report()
                .ends_with("already exists; use --force to replace it")
        );
        assert!(check_new_file("--write-plan", &existing, true, &[]).is_ok());
        let spelled = dir.path().join(".").join("plan.toml");
        let error = check_new_file("--write-plan", &spelled, true, &[&existing]).unwrap_err();
        assert!(error.report().contains("also an input of the command"));
        let fresh = dir.path().join("missing/new.toml");
        assert!(check_new_file("--write-plan", &fresh, false, &[&existing]).is_ok());
    }

    #[test]
    fn non_regular_files_are_refused_even_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let error = check_new_file("PATH", dir.path(), true, &[]).unwrap_err();
        assert!(error.report().contains("is not a regular file"));
        #[cfg(unix)]
        {
            let error = check_new_file("PATH", Path::new("/dev/null"), true, &[]).unwrap_err();
            assert!(error.report().contains("is not a regular file"));
        }
    }
}
