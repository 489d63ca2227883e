//! README examples that cannot go stale (issue 14, item 5): every command output shown in
//! README.md is produced by the `ceq` binary and compared here, byte for byte apart from
//! trailing whitespace at the ends of lines and of the block.
//!
//! The convention in README.md: an HTML comment naming the command, then a fenced block whose
//! first line is the command as typed and whose other lines are what it prints:
//!
//! ````text
//! <!-- ceq-example: simulate scenarios/minimal.toml --runs 200 -->
//! ```console
//! $ ceq simulate scenarios/minimal.toml --runs 200
//! Scenario   minimal
//! …
//! ```
//! ````
//!
//! `ceq-example:` compares standard output (the command must succeed); `ceq-example-stderr:`
//! compares standard error (for notes and error messages; any exit status). Arguments are split at spaces (no quoting) and the command runs from the
//! repository root, so paths are relative to it. Examples must be deterministic: fixed seeds
//! (the default seed is 1), small run counts, and nothing that prints timings or absolute paths.
//!
//! A fenced block whose first line starts with `$ ` and has no marker fails the test, so an
//! output cannot be pasted into the README unchecked.
//!
//! To regenerate the blocks after a deliberate change of output, run
//! `CEQ_UPDATE_README=1 cargo test --release --test integration readme` and read the diff.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const MARK_STDOUT: &str = "<!-- ceq-example:";
const MARK_STDERR: &str = "<!-- ceq-example-stderr:";

/// Which stream of the command an example shows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shown {
    Stdout,
    Stderr,
}

/// One marked example: the arguments after `ceq`, and the line range of its fenced block's
/// content (after the opening fence, before the closing one).
#[derive(Debug)]
struct Example {
    marker_line: usize,
    args: String,
    shown: Shown,
    content: std::ops::Range<usize>,
}

fn readme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")
}

fn is_fence(line: &str) -> bool {
    line.trim_start().starts_with("```")
}

/// Finds the marked examples, or says which line breaks the convention.
fn parse(lines: &[&str]) -> Result<Vec<Example>, String> {
    let mut examples = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let marker = if let Some(rest) = line.strip_prefix(MARK_STDERR) {
            Some((rest, Shown::Stderr))
        } else {
            line.strip_prefix(MARK_STDOUT)
                .map(|rest| (rest, Shown::Stdout))
        };
        if let Some((rest, shown)) = marker {
            let args = rest
                .strip_suffix("-->")
                .ok_or(format!(
                    "README.md line {}: marker must end with -->",
                    i + 1
                ))?
                .trim()
                .to_string();
            if args.contains(['"', '\'']) {
                return Err(format!(
                    "README.md line {}: example arguments are split at spaces; quotes are not supported",
                    i + 1
                ));
            }
            let open = i + 1;
            if open >= lines.len() || !is_fence(lines[open]) {
                return Err(format!(
                    "README.md line {}: a ceq-example marker must be followed by a fenced block",
                    i + 1
                ));
            }
            let close = (open + 1..lines.len())
                .find(|&j| is_fence(lines[j]))
                .ok_or(format!(
                    "README.md line {}: fenced block not closed",
                    open + 1
                ))?;
            examples.push(Example {
                marker_line: i + 1,
                args,
                shown,
                content: open + 1..close,
            });
            i = close + 1;
            continue;
        }
        if is_fence(lines[i]) {
            let close = (i + 1..lines.len())
                .find(|&j| is_fence(lines[j]))
                .unwrap_or(lines.len());
            if lines.get(i + 1).is_some_and(|l| l.starts_with("$ ")) {
                return Err(format!(
                    "README.md line {}: a block showing a command's output has no ceq-example \
                     marker; mark it so the test checks it, or show only the command",
                    i + 1
                ));
            }
            i = close + 1;
            continue;
        }
        i += 1;
    }
    Ok(examples)
}

/// What the README block should hold: the command line, then the output, each line without
/// trailing whitespace and no blank lines at the end.
fn block_text(args: &str, output: &str) -> Vec<String> {
    let mut out = vec![format!("$ ceq {args}")];
    out.extend(output.lines().map(|l| l.trim_end().to_string()));
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

fn run(example: &Example) -> Result<String, String> {
    let output = Command::cargo_bin("ceq")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(example.args.split_whitespace())
        .env_remove("CEQ_UPDATE_README")
        .output()
        .map_err(|e| format!("could not run ceq {}: {e}", example.args))?;
    let code = output.status.code();
    if example.shown == Shown::Stdout && code != Some(0) {
        return Err(format!(
            "README.md line {}: `ceq {}` exited with {code:?}, expected 0; stderr:\n{}",
            example.marker_line,
            example.args,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = match example.shown {
        Shown::Stdout => output.stdout,
        Shown::Stderr => output.stderr,
    };
    String::from_utf8(text).map_err(|e| format!("ceq {}: output is not UTF-8: {e}", example.args))
}

fn first_difference(want: &[String], have: &[String]) -> String {
    let n = want.len().max(have.len());
    for k in 0..n {
        let w = want.get(k).map(String::as_str);
        let h = have.get(k).map(String::as_str);
        if w != h {
            return format!(
                "line {} of the block:\n  README: {}\n  ceq:    {}",
                k + 1,
                h.unwrap_or("<end>"),
                w.unwrap_or("<end>")
            );
        }
    }
    String::from("no difference")
}

#[test]
fn readme_examples_are_what_ceq_prints() {
    let path = readme_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let examples = parse(&lines).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        examples.len() >= 10,
        "found only {} marked examples in README.md",
        examples.len()
    );
    let update = std::env::var_os("CEQ_UPDATE_README").is_some_and(|v| v == "1");

    let mut failures = Vec::new();
    let mut replacements = Vec::new();
    for example in &examples {
        let output = match run(example) {
            Ok(output) => output,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let want = block_text(&example.args, &output);
        let have: Vec<String> = lines[example.content.clone()]
            .iter()
            .map(|l| l.trim_end().to_string())
            .collect();
        let mut have_trimmed = have.clone();
        while have_trimmed.last().is_some_and(|l| l.is_empty()) {
            have_trimmed.pop();
        }
        if want != have_trimmed {
            failures.push(format!(
                "README.md line {}: `ceq {}` prints something else; {}",
                example.marker_line,
                example.args,
                first_difference(&want, &have_trimmed)
            ));
            replacements.push((example.content.clone(), want));
        }
    }

    if update && !replacements.is_empty() {
        let mut out: Vec<String> = Vec::with_capacity(lines.len());
        let mut next = 0;
        for (range, block) in &replacements {
            out.extend(lines[next..range.start].iter().map(|l| l.to_string()));
            out.extend(block.iter().cloned());
            next = range.end;
        }
        out.extend(lines[next..].iter().map(|l| l.to_string()));
        let mut new_text = out.join("\n");
        if text.ends_with('\n') {
            new_text.push('\n');
        }
        std::fs::write(&path, new_text).unwrap();
        eprintln!(
            "rewrote {} example block(s) in README.md",
            replacements.len()
        );
        failures.retain(|f| !f.contains("prints something else"));
    }
    assert!(
        failures.is_empty(),
        "{} README example(s) out of date (regenerate with CEQ_UPDATE_README=1 cargo test \
         --release --test integration readme):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn unmarked_output_blocks_are_refused() {
    let lines = ["text", "```", "$ ceq simulate x.toml", "Scenario x", "```"];
    let err = parse(&lines).unwrap_err();
    assert!(
        err.contains("line 2") && err.contains("no ceq-example marker"),
        "{err}"
    );

    let marked = [
        "<!-- ceq-example: simulate x.toml --runs 5 -->",
        "```console",
        "$ ceq simulate x.toml --runs 5",
        "out",
        "```",
        "<!-- ceq-example-stderr: fit survival bad.csv -->",
        "```",
        "```",
    ];
    let examples = parse(&marked).unwrap();
    assert_eq!(examples.len(), 2);
    assert_eq!(examples[0].args, "simulate x.toml --runs 5");
    assert_eq!(examples[0].shown, Shown::Stdout);
    assert_eq!(examples[0].content, 2..4);
    assert_eq!(examples[1].shown, Shown::Stderr);
    assert_eq!(examples[1].content, 7..7);
}
