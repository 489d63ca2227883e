//! `ceq merge` of shards equals the unsharded `ceq simulate` byte for byte, also for what is
//! measured after the runs: the acquisition channels' values (SPEC §4), today's base (SPEC §12)
//! and break-even and payback (SPEC §9.1), with their charts.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn ceq() -> Command {
    Command::cargo_bin("ceq").unwrap()
}

/// Every file of `dir` but the manifest (which names the command that wrote it), sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "manifest.json")
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn merged_equals_whole(scenario: &str, runs: &str, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let shards = dir.path().join("shards");
    for i in 1..=2 {
        ceq()
            .args(["simulate", scenario, "--runs", runs, "--seed", "5"])
            .args(["--shard", &format!("{i}/2"), "--quiet", "--out"])
            .arg(&shards)
            .assert()
            .success();
    }
    let whole_dir = dir.path().join("whole");
    let whole = ceq()
        .args([
            "simulate", scenario, "--runs", runs, "--seed", "5", "--json",
        ])
        .args(["--charts", "--quiet", "--out"])
        .arg(&whole_dir)
        .output()
        .unwrap();
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let merged_dir = dir.path().join("merged");
    let merged = ceq()
        .arg("merge")
        .arg(&shards)
        .args(["--json", "--charts", "--quiet", "--out"])
        .arg(&merged_dir)
        .output()
        .unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    for key in expect {
        assert!(
            json[key].as_array().is_some_and(|a| !a.is_empty()),
            "{scenario}: the whole run reports {key}"
        );
    }
    assert!(
        merged.stdout == whole.stdout,
        "{scenario}: merged JSON differs from the whole run"
    );
    let (merged_files, whole_files) = (files(&merged_dir), files(&whole_dir));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&merged_files),
        names(&whole_files),
        "{scenario}: the same files"
    );
    for ((name, a), (_, b)) in merged_files.iter().zip(&whole_files) {
        assert!(a == b, "{scenario}: {name} differs");
    }
}

#[test]
fn merged_shards_of_channels_equal_the_whole_run() {
    merged_equals_whole("scenarios/channels.toml", "30", &["channels", "payback"]);
}

#[test]
fn merged_shards_of_an_existing_base_equal_the_whole_run() {
    merged_equals_whole("scenarios/existing_base.toml", "30", &["existing_base"]);
}
