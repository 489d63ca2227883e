//! Atomic file writing (SPEC §12): every file goes to a temporary name in its target directory,
//! is flushed to disk, then renamed into place, so an interrupted run never leaves a
//! half-written file under the real name. The temporary name is in the same directory because
//! a rename is only atomic within one filesystem.

use anyhow::Context;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically, replacing any file already there.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Creates `dir` (with its parents) and writes each `(file name, bytes)` into it atomically.
/// Returns the paths written, in order.
pub fn write_files(dir: &Path, files: &[(&str, Vec<u8>)]) -> anyhow::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the output directory {}", dir.display()))?;
    files
        .iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            write_atomic(&path, bytes).map(|()| path)
        })
        .collect()
}

/// Writes each `(file name, bytes)` into `dir` atomically (see [`write_files`]) and names
/// each file written on stderr, as every command does with `--out`.
pub fn write_reported(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), super::CliError> {
    let files: Vec<(&str, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.clone()))
        .collect();
    for path in write_files(dir, &files).map_err(super::CliError::failed)? {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
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
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
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
    fn write_files_creates_nested_directories() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a/b");
        let written = write_files(&out, &[("x.txt", b"1".to_vec()), ("y.txt", vec![])]).unwrap();
        assert_eq!(written, [out.join("x.txt"), out.join("y.txt")]);
        assert_eq!(names_in(&out), ["x.txt", "y.txt"]);
    }

    #[test]
    fn temporary_name_is_hidden_and_per_process() {
        let temp = temp_path(Path::new("out/summary.json"));
        let expected = format!("out/.summary.json.tmp-{}", std::process::id());
        assert_eq!(temp, PathBuf::from(expected));
    }
}
