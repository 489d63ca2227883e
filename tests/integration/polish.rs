//! The finished-CLI extras: shell completions, the man page and `--quiet`.

use assert_cmd::Command;
use predicates::prelude::*;

fn ceq() -> Command {
    Command::cargo_bin("ceq").expect("the ceq binary is built")
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "_ceq()"),
        ("zsh", "#compdef ceq"),
        ("fish", "complete -c ceq"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion"),
    ] {
        ceq()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains(marker))
            .stdout(predicate::str::contains("simulate"));
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    ceq()
        .args(["completions", "cmd.exe"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("possible values"));
}

#[test]
fn man_page_is_roff_and_names_the_subcommands() {
    ceq()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(".ie"))
        .stdout(predicate::str::contains(".TH ceq 1"))
        .stdout(predicate::str::contains("simulate"));
}

#[test]
fn quiet_is_global_and_progress_never_reaches_a_pipe() {
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/minimal.toml");
    for args in [&["--quiet"][..], &[]] {
        ceq()
            .arg("simulate")
            .arg(&scenario)
            .args(["--runs", "50", "--json"])
            .args(args)
            .assert()
            .success()
            .stderr(predicate::str::is_empty());
    }
}
