//! Every example in `scenarios/` validates, and every file in `scenarios/invalid/` fails with
//! exactly one problem whose rendered message is pinned by an insta snapshot.

use ceq::scenario::{Scenario, load_file};
use std::path::{Path, PathBuf};

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Files directly in `dir` with a `.toml` or `.json` extension, sorted.
fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("toml") | Some("json")
                )
        })
        .collect();
    files.sort();
    files
}

/// Loads with a path relative to the crate root so snapshots do not depend on the checkout.
fn load_relative(path: &Path) -> Result<Scenario, ceq::scenario::ScenarioError> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative = path.strip_prefix(root).unwrap_or(path);
    let cwd = std::env::current_dir().expect("current directory");
    assert_eq!(
        cwd, root,
        "cargo runs integration tests from the crate root"
    );
    load_file(relative)
}

#[test]
fn every_invalid_scenario_fails_with_exactly_one_problem() {
    let files = scenario_files(&scenario_dir().join("invalid"));
    assert!(
        files.len() >= 16,
        "expected the invalid examples, found {files:?}"
    );
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name")
            .replace('.', "_");
        let error = match load_relative(&path) {
            Ok(_) => panic!("{} should not validate", path.display()),
            Err(error) => error,
        };
        assert_eq!(
            error.diagnostics.len(),
            1,
            "{} should have exactly one problem:\n{error}",
            path.display()
        );
        insta::assert_snapshot!(name, error.to_string());
    }
}

#[test]
fn every_example_scenario_validates() {
    let files = scenario_files(&scenario_dir());
    assert!(!files.is_empty());
    for path in files {
        if let Err(error) = load_relative(&path) {
            panic!("{} should validate:\n{error}", path.display());
        }
    }
}

#[test]
fn json_and_toml_give_the_same_scenario() {
    let dir = scenario_dir();
    let toml = load_file(&dir.join("minimal.toml")).expect("minimal.toml");
    let mut json = load_file(&dir.join("minimal.json")).expect("minimal.json");
    assert_ne!(json.name(), toml.name());
    json.set_name(toml.name()).unwrap();
    assert_eq!(json, toml);
}
