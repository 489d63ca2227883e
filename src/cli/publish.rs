//! Transactional output folders (SPEC §12.1): a command's files appear in `--out DIR` all
//! together or not at all.
//!
//! Every file of a run is first written and flushed to disk in a hidden staging folder inside
//! DIR (the same filesystem, so the renames that follow are atomic and need no space). Only
//! when the whole set is on disk does the publication take DIR's advisory lock's critical
//! section and move the set into place: the files of this command's previous run that the new
//! run does not rewrite are moved aside, each new file is renamed over its old version, and
//! `manifest.json` — which names every file of every command in DIR with its SHA-256 — is
//! renamed in last. A failure of any rename moves everything back. So a full disk, a write
//! error, a stop signal or a panic while writing leaves DIR exactly as it was, and a reader
//! who trusts the manifest (and checks the digests, [`Manifest::verify`]) never sees parts of
//! two runs.
//!
//! Two processes writing into one DIR are serialized by an advisory lock on DIR itself
//! (`flock`), held from reading the manifest to writing the new one; the second waits, says so
//! on stderr, and then publishes beside or over the first one's files.
//!
//! Commands keep each other's files apart by name (simulate's `fan.png`, compare's
//! `compare_fan.png`, optimize's `optimize_fan.png`, the report's `report_fan.png`); a file
//! name belongs to the command that wrote it last, so `merge` takes over `simulate`'s names.

pub use crate::sim::shard::{scenario_digest, sha256_hex};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::CliError;

/// The manifest's file name in every output folder.
pub const MANIFEST: &str = "manifest.json";
/// The manifest's format tag; a reader refuses other formats.
pub const MANIFEST_FORMAT: &str = "ceq-manifest/1";

/// Test-only (documented in SPEC §12.1): make the Nth file this process stages fail as a full
/// disk would, to test that a failed write leaves the folder as it was.
const FAIL_WRITE_ENV: &str = "CEQ_TEST_FAIL_WRITE";
/// Test-only: sleep this many milliseconds before staging each file, to test a stop signal
/// during the write phase.
const SLOW_WRITE_ENV: &str = "CEQ_TEST_SLOW_WRITE_MS";

/// What one command's run in a folder was, and its files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The command, e.g. `simulate`, `compare`, `simulate --shard 3/10`.
    pub command: String,
    pub ceq_version: String,
    /// The scenario's name, when the command read a scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// SHA-256 (hex) of the validated scenario in its canonical JSON form ([`scenario_digest`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Filled in by [`publish`].
    #[serde(default)]
    pub files: Vec<FileRecord>,
    /// The command's input files, which the publication must never replace (not recorded).
    #[serde(skip)]
    pub inputs: Vec<PathBuf>,
}

impl Entry {
    /// An entry for `command` of this ceq version.
    pub fn new(command: impl Into<String>) -> Entry {
        Entry {
            command: command.into(),
            ceq_version: env!("CARGO_PKG_VERSION").to_string(),
            ..Entry::default()
        }
    }

    /// The scenario's name and digest.
    pub fn scenario(mut self, scenario: &crate::scenario::Scenario) -> Entry {
        self.scenario = Some(scenario.name.clone());
        self.scenario_digest = Some(scenario_digest(scenario));
        self
    }

    /// An input file of the command: the publication refuses to replace it.
    pub fn input(mut self, path: &Path) -> Entry {
        self.inputs.push(path.to_path_buf());
        self
    }

    /// The entry of a study (`compare`, `frontier`, `sensitivity`): `command` on `scenario`,
    /// read from `input`, with the seed, runs and engine asked for.
    pub fn study(
        command: &str,
        scenario: &crate::scenario::Scenario,
        input: &Path,
        (seed, runs, engine): (u64, u64, super::args::EngineArg),
    ) -> Entry {
        let engine = crate::sim::EngineKind::from(engine).name();
        Entry::new(command)
            .scenario(scenario)
            .input(input)
            .run(seed, runs, engine)
    }

    /// Seed, runs and engine of the run.
    pub fn run(mut self, seed: u64, runs: u64, engine: &str) -> Entry {
        self.seed = Some(seed);
        self.runs = Some(runs);
        self.engine = Some(engine.to_string());
        self
    }
}

/// One file of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// `DIR/manifest.json`: every command's last run in the folder, by command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub commands: BTreeMap<String, Entry>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            format: MANIFEST_FORMAT.to_string(),
            commands: BTreeMap::new(),
        }
    }
}

impl Manifest {
    /// The manifest of `dir`: `Ok(None)` when there is none, an error naming the file when it
    /// is not a ceq manifest.
    pub fn read(dir: &Path) -> Result<Option<Manifest>, String> {
        let path = dir.join(MANIFEST);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{} is not a ceq manifest: {e}", path.display()))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(format!(
                "{} has format '{}', expected '{MANIFEST_FORMAT}'",
                path.display(),
                manifest.format
            ));
        }
        Ok(Some(manifest))
    }

    /// Every listed file of `dir` that is missing or whose bytes differ from the manifest.
    pub fn verify(&self, dir: &Path) -> Vec<String> {
        let mut problems = Vec::new();
        for entry in self.commands.values() {
            for file in &entry.files {
                match fs::read(dir.join(&file.name)) {
                    Ok(bytes) if sha256_hex(&bytes) == file.sha256 => {}
                    Ok(_) => problems.push(format!(
                        "{} of `{}` was changed after it was written",
                        file.name, entry.command
                    )),
                    Err(e) => problems.push(format!(
                        "{} of `{}` cannot be read: {e}",
                        file.name, entry.command
                    )),
                }
            }
        }
        problems
    }

    /// Adds `entry` in place of the command's earlier one, taking over file names other
    /// entries held; returns the earlier entry's files the new one does not rewrite.
    fn replace(&mut self, entry: Entry) -> Vec<FileRecord> {
        let new: Vec<&str> = entry.files.iter().map(|f| f.name.as_str()).collect();
        let stale = self
            .commands
            .get(&entry.command)
            .map(|old| {
                old.files
                    .iter()
                    .filter(|f| !new.contains(&f.name.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for other in self.commands.values_mut() {
            other.files.retain(|f| !new.contains(&f.name.as_str()));
        }
        self.commands.retain(|_, e| !e.files.is_empty());
        self.commands.insert(entry.command.clone(), entry);
        stale
    }
}

/// Checks before any work that `dir` can be an output folder: it is a directory or can be
/// created as one, and files can be created in it. So an unusable `--out` fails in a second,
/// not after the run.
pub fn check_out_dir(dir: &Path) -> Result<(), CliError> {
    let refuse = |why: String| CliError::invalid(anyhow::anyhow!("--out {}: {why}", dir.display()));
    let mut existing = dir;
    loop {
        match fs::metadata(existing) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) if existing == dir => {
                return Err(refuse(
                    "exists and is not a directory; name a folder for the results".to_string(),
                ));
            }
            Ok(_) => {
                return Err(refuse(format!(
                    "{} is not a directory, so the folder cannot be created",
                    existing.display()
                )));
            }
            Err(_) => match existing.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
                _ => {
                    existing = Path::new(".");
                    if fs::metadata(existing).is_ok_and(|m| m.is_dir()) {
                        break;
                    }
                    return Err(refuse("no folder to create it in".to_string()));
                }
            },
        }
    }
    let probe = existing.join(format!(".ceq-probe-{}", std::process::id()));
    match fs::create_dir(&probe) {
        Ok(()) => {
            let _ = fs::remove_dir(&probe);
            Ok(())
        }
        Err(e) => Err(refuse(format!(
            "cannot create files in {}: {e}",
            existing.display()
        ))),
    }
}

/// Publishes `files` as `entry`'s run in `dir` (see the module doc); returns their paths.
pub fn publish(
    dir: &Path,
    mut entry: Entry,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<PathBuf>, CliError> {
    check_names(files)?;
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| {
            let bytes = if name.ends_with(".csv") {
                super::safe_text::neutralize_csv(bytes)
            } else {
                bytes.clone()
            };
            (name.clone(), bytes)
        })
        .collect();
    let files = files.as_slice();
    let created = !dir.exists();
    fs::create_dir_all(dir)
        .map_err(|e| failed(dir, &format!("cannot create the folder: {e}"), created))?;
    let result = publish_locked(dir, &mut entry, files);
    match result {
        // Only the folder this run created, and only if nothing else appeared in it.
        Err(error) if created && fs::remove_dir(dir).is_ok() => Err(CliError {
            code: error.code,
            error: anyhow::anyhow!(
                "{}",
                format!("{:#}", error.error).replace(LEFT_AS_IT_WAS, "nothing was written")
            ),
        }),
        result => result,
    }
}

fn publish_locked(
    dir: &Path,
    entry: &mut Entry,
    files: &[(String, Vec<u8>)],
) -> Result<Vec<PathBuf>, CliError> {
    let _lock = lock(dir)?;
    let mut manifest = Manifest::read(dir)
        .map_err(|e| CliError::invalid(anyhow::anyhow!("{e}; move it away or use another --out")))?
        .unwrap_or_default();
    for (name, _) in files {
        let target = dir.join(name);
        if let Some(input) = entry
            .inputs
            .iter()
            .find(|input| super::output::same_file(&target, input))
        {
            return Err(CliError::invalid(anyhow::anyhow!(
                "{} would replace {}, an input of this command; use another --out; {} was \
                 left as it was",
                target.display(),
                input.display(),
                dir.display()
            )));
        }
        if let Ok(meta) = fs::symlink_metadata(&target)
            && !meta.is_file()
        {
            return Err(CliError::invalid(anyhow::anyhow!(
                "{} exists and is not a regular file; ceq replaces only files it wrote; \
                 {} was left as it was",
                target.display(),
                dir.display()
            )));
        }
    }
    entry.files = files
        .iter()
        .map(|(name, bytes)| FileRecord {
            name: name.clone(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        })
        .collect();
    // An earlier file that was edited since it was written is the user's now: it stays.
    let stale: Vec<String> = manifest
        .replace(entry.clone())
        .into_iter()
        .filter(|record| {
            let path = dir.join(&record.name);
            let unchanged = fs::read(&path).is_ok_and(|b| sha256_hex(&b) == record.sha256);
            if !unchanged && path.exists() {
                super::progress::note(&format!(
                    "note: {} was changed since ceq wrote it, so it was kept",
                    path.display()
                ));
            }
            unchanged
        })
        .map(|record| record.name)
        .collect();
    let manifest_bytes = crate::format::json_bytes(&manifest)
        .map_err(|e| CliError::failed(anyhow::anyhow!("cannot encode the manifest: {e}")))?;

    let staging = Staging::create(dir)?;
    for (name, bytes) in files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .chain([(MANIFEST, manifest_bytes.as_slice())])
    {
        staging.write(name, bytes).map_err(|e| {
            if crate::cancel::requested() {
                interrupted(dir)
            } else {
                failed(dir, &format!("cannot write {name}: {e}"), false)
            }
        })?;
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    staging.commit(&names, &stale)?;
    Ok(names.iter().map(|n| dir.join(n)).collect())
}

/// Plain file names only: no folders, no hidden names, not the manifest, none twice.
fn check_names(files: &[(String, Vec<u8>)]) -> Result<(), CliError> {
    let mut seen = std::collections::HashSet::new();
    for (name, _) in files {
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && !name.contains(['/', '\\'])
            && name != MANIFEST;
        if !plain || !seen.insert(name.as_str()) {
            return Err(CliError::failed(anyhow::anyhow!(
                "internal error: output file name '{name}' is not a plain, unique file name"
            )));
        }
    }
    Ok(())
}

/// The folder's advisory lock, held until dropped.
fn lock(dir: &Path) -> Result<Option<File>, CliError> {
    #[cfg(unix)]
    {
        let handle =
            File::open(dir).map_err(|e| failed(dir, &format!("cannot open: {e}"), false))?;
        match handle.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                super::progress::note(&format!(
                    "waiting for another ceq writing into {}",
                    dir.display()
                ));
                handle
                    .lock()
                    .map_err(|e| failed(dir, &format!("cannot lock: {e}"), false))?;
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(failed(dir, &format!("cannot lock: {e}"), false));
            }
        }
        Ok(Some(handle))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(None)
    }
}

/// What a failed publication says of the folder.
const LEFT_AS_IT_WAS: &str = "the folder was left as it was (no file of this run was published)";

/// A failure that left the folder as it was.
fn failed(dir: &Path, what: &str, created: bool) -> CliError {
    let state = if created {
        "nothing was written"
    } else {
        LEFT_AS_IT_WAS
    };
    CliError::failed(anyhow::anyhow!(
        "cannot write the results into {}: {what}; {state}",
        dir.display()
    ))
}

/// A stop signal during the write phase.
fn interrupted(dir: &Path) -> CliError {
    CliError {
        code: crate::cancel::exit_code(),
        error: anyhow::anyhow!(
            "interrupted by {} while writing {}; {LEFT_AS_IT_WAS}",
            crate::cancel::signal_name(),
            dir.display()
        ),
    }
}

/// The hidden staging folder inside the output folder; removed when dropped, with whatever it
/// still holds (the new files after a failure, the replaced old ones after success).
struct Staging {
    dir: PathBuf,
    path: PathBuf,
    _guard: crate::cancel::TempGuard,
    keep: std::cell::Cell<bool>,
}

static STAGED: AtomicU64 = AtomicU64::new(0);
static STAGINGS: AtomicU64 = AtomicU64::new(0);

impl Staging {
    fn create(dir: &Path) -> Result<Staging, CliError> {
        let n = STAGINGS.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".ceq-staging-{}-{n}", std::process::id()));
        let guard = crate::cancel::TempGuard::register(&path);
        fs::create_dir(&path)
            .map_err(|e| failed(dir, &format!("cannot create a staging folder: {e}"), false))?;
        Ok(Staging {
            dir: dir.to_path_buf(),
            path,
            _guard: guard,
            keep: std::cell::Cell::new(false),
        })
    }

    /// Writes one file completely and flushes it to disk.
    fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        if let Some(ms) = env_number(SLOW_WRITE_ENV) {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        if crate::cancel::requested() {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
        }
        let n = STAGED.fetch_add(1, Ordering::Relaxed) + 1;
        let mut file = File::create(self.path.join(name))?;
        if env_number(FAIL_WRITE_ENV) == Some(n) {
            file.write_all(&bytes[..bytes.len() / 2])?;
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                format!("No space left on device (injected by {FAIL_WRITE_ENV}={n})"),
            ));
        }
        file.write_all(bytes)?;
        file.sync_all()
    }

    /// Moves the staged set into place (see the module doc), or everything back on failure.
    fn commit(&self, names: &[&str], stale: &[String]) -> Result<(), CliError> {
        let _critical = crate::cancel::critical();
        let old = self.path.join(".old");
        fs::create_dir(&old).map_err(|e| failed(&self.dir, &e.to_string(), false))?;
        let mut done: Vec<Step> = Vec::new();
        let result = (|| -> io::Result<()> {
            for name in stale {
                let target = self.dir.join(name);
                if fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()) {
                    fs::rename(&target, old.join(name))?;
                    done.push(Step::MovedAside(name.clone()));
                }
            }
            for name in names.iter().copied().chain([MANIFEST]) {
                let target = self.dir.join(name);
                if fs::symlink_metadata(&target).is_ok() {
                    fs::rename(&target, old.join(name))?;
                    done.push(Step::MovedAside(name.to_string()));
                }
                fs::rename(self.path.join(name), &target)?;
                done.push(Step::Placed(name.to_string()));
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                sync_dir(&self.dir);
                Ok(())
            }
            Err(error) => {
                let mut unrestored = Vec::new();
                for step in done.iter().rev() {
                    let (from, to, name) = match step {
                        Step::Placed(n) => (self.dir.join(n), self.path.join(n), n),
                        Step::MovedAside(n) => (old.join(n), self.dir.join(n), n),
                    };
                    if fs::rename(&from, &to).is_err() {
                        unrestored.push(name.clone());
                    }
                }
                if unrestored.is_empty() {
                    Err(failed(
                        &self.dir,
                        &format!("cannot move the new files into place: {error}"),
                        false,
                    ))
                } else {
                    self.keep.set(true);
                    Err(CliError::failed(anyhow::anyhow!(
                        "cannot write the results into {}: {error}; restoring {} failed, so \
                         the folder may hold parts of two runs: the previous files are in {}",
                        self.dir.display(),
                        unrestored.join(", "),
                        old.display()
                    )))
                }
            }
        }
    }
}

enum Step {
    /// An existing file moved from the folder into the staging folder's `.old`.
    MovedAside(String),
    /// A staged file renamed into the folder.
    Placed(String),
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep.get() {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Makes the renames durable where the platform allows it; best effort.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    let _ = File::open(dir).and_then(|d| d.sync_all());
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::super::output::tests::names_in;
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(n, b)| (n.to_string(), b.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn a_second_run_removes_the_files_the_first_wrote_and_it_did_not() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        publish(&out, Entry::new("a"), &files(&[("x", "1"), ("y", "2")])).unwrap();
        publish(&out, Entry::new("b"), &files(&[("z", "3")])).unwrap();
        publish(&out, Entry::new("a"), &files(&[("x", "4")])).unwrap();
        assert_eq!(names_in(&out), ["manifest.json", "x", "z"]);
        let manifest = Manifest::read(&out).unwrap().unwrap();
        assert_eq!(manifest.commands.len(), 2);
        assert_eq!(manifest.commands["a"].files[0].sha256, sha256_hex(b"4"));
        assert!(manifest.verify(&out).is_empty());
        fs::write(out.join("z"), "edited").unwrap();
        assert_eq!(
            manifest.verify(&out),
            ["z of `b` was changed after it was written"]
        );
    }

    #[test]
    fn a_file_name_belongs_to_the_last_command_that_wrote_it() {
        let dir = tempfile::tempdir().unwrap();
        publish(dir.path(), Entry::new("simulate"), &files(&[("s", "1")])).unwrap();
        publish(dir.path(), Entry::new("merge"), &files(&[("s", "2")])).unwrap();
        let manifest = Manifest::read(dir.path()).unwrap().unwrap();
        assert_eq!(manifest.commands.keys().collect::<Vec<_>>(), ["merge"]);
    }

    #[test]
    fn a_failed_rename_puts_everything_back() {
        let dir = tempfile::tempdir().unwrap();
        publish(
            dir.path(),
            Entry::new("a"),
            &files(&[("x", "old"), ("y", "old")]),
        )
        .unwrap();
        let before = fs::read(dir.path().join(MANIFEST)).unwrap();
        let staging = Staging::create(dir.path()).unwrap();
        staging.write("x", b"new").unwrap();
        // "y" was never staged, so its rename fails after "x" was placed.
        let error = staging.commit(&["x", "y"], &[]).unwrap_err();
        assert!(error.report().contains("the folder was left as it was"));
        drop(staging);
        assert_eq!(fs::read_to_string(dir.path().join("x")).unwrap(), "old");
        assert_eq!(fs::read_to_string(dir.path().join("y")).unwrap(), "old");
        assert_eq!(fs::read(dir.path().join(MANIFEST)).unwrap(), before);
        assert_eq!(names_in(dir.path()), ["manifest.json", "x", "y"]);
    }

    #[test]
    fn names_must_be_plain() {
        assert!(check_names(&files(&[("../x", "")])).is_err());
        assert!(check_names(&files(&[("manifest.json", "")])).is_err());
        assert!(check_names(&files(&[("a", ""), ("a", "")])).is_err());
        assert!(check_names(&files(&[("summary.json", "")])).is_ok());
    }

    #[test]
    fn an_out_that_is_a_file_is_refused_before_work() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "").unwrap();
        let error = check_out_dir(&file).unwrap_err();
        assert_eq!(error.code, crate::cli::EXIT_INVALID);
        assert!(error.report().contains("exists and is not a directory"));
        assert!(check_out_dir(&file.join("sub")).is_err());
        assert!(check_out_dir(&dir.path().join("new/nested")).is_ok());
        assert!(!dir.path().join("new").exists());
    }

    #[test]
    fn the_digest_is_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
