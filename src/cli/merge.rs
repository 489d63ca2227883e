//! `ceq merge`: combines the shards of one study into the result the unsharded run gives.

use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};

use super::CliError;
use super::args::{ChartArgs, OutputArgs};
use super::publish::Entry;
use super::simulate::{Destination, emit, warn_about_clamped_draws};
use crate::sim::shard::{self, ShardFile};
use crate::stats;

/// Combine the shards of a study run with `ceq simulate --shard I/N --out DIR`.
///
/// Reads every shard-I-of-N.json in the given directories (or the files named), checks that
/// they come from the same study and that every slice is there once, and reports exactly what
/// the unsharded `ceq simulate` would, byte for byte.
#[derive(Debug, Args)]
#[command(after_help = "\
Example, with a job array of 10 tasks (Slurm; any scheduler that numbers tasks works):
  ceq simulate bank.toml --runs 100000 --shard ${SLURM_ARRAY_TASK_ID}/10 --out shards/
  ceq merge shards/ --out results/")]
pub struct MergeArgs {
    /// Directories holding shard files, or shard files themselves.
    #[arg(value_name = "DIR", required = true)]
    pub inputs: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub charts: ChartArgs,
}

pub fn run(args: &MergeArgs, console: super::progress::Console) -> Result<(), CliError> {
    args.charts.check(args.output.out.as_deref())?;
    args.output.check()?;
    let mut shards = Vec::new();
    let paths = shard_paths(&args.inputs)?;
    for path in &paths {
        let text = super::limits::read_file(path, super::limits::MAX_SHARD_BYTES)
            .map_err(CliError::invalid)?;
        let file: ShardFile = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a ceq shard file", path.display()))
            .map_err(CliError::invalid)?;
        shards.push((path.display().to_string(), file));
    }
    let (labels, simulation, study) = shard::merge(shards).map_err(CliError::invalid)?;
    warn_about_clamped_draws(&simulation);
    let mut summary = stats::summarize_labelled(&labels, &simulation);
    summary.channels =
        crate::plans::channels::describe_channels(&study.channel_names, &simulation.runs);
    summary.existing_base = study.existing_base.iter().map(Into::into).collect();
    if let Some(frame) = &study.payback_frame {
        summary.payback = crate::plans::payback::describe(frame, &simulation.runs);
    }
    let mut entry = Entry::new("merge").run(study.seed, study.runs, &study.engine);
    entry.scenario = Some(study.scenario.clone());
    entry.scenario_digest = Some(study.scenario_digest.clone());
    for path in &paths {
        entry = entry.input(path);
    }
    emit(
        Destination {
            console,
            output: &args.output,
            charts: args.charts.charts,
        },
        entry,
        &summary,
        &simulation,
        study.periods_per_year,
        &study.currency,
    )
}

/// The shard files among `inputs`: files as given, directories' shard-*-of-*.json entries.
fn shard_paths(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut paths = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let entries = std::fs::read_dir(input)
                .with_context(|| format!("cannot list {}", input.display()))
                .map_err(CliError::invalid)?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_shard_file(p))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(CliError::invalid(anyhow::anyhow!(
                    "{} holds no shard-I-of-N.json files",
                    input.display()
                )));
            }
            check_manifest(input)?;
            paths.extend(found);
        } else if input.is_file() {
            paths.push(input.clone());
        } else {
            return Err(CliError::invalid(anyhow::anyhow!(
                "{}: no such file or directory",
                input.display()
            )));
        }
    }
    Ok(paths)
}

fn is_shard_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("shard-") && n.contains("-of-") && n.ends_with(".json"))
}

/// A folder ceq published lists its files in `manifest.json` (SPEC §12.1); merge trusts the
/// folder's shards only if their bytes are still the ones listed. A folder without a manifest
/// (shards copied by hand) is read as it is: each shard's own checksum still guards its results.
fn check_manifest(dir: &Path) -> Result<(), CliError> {
    let Some(manifest) =
        super::publish::Manifest::read(dir).map_err(|e| CliError::invalid(anyhow::anyhow!(e)))?
    else {
        return Ok(());
    };
    let problems: Vec<String> = manifest
        .verify(dir)
        .into_iter()
        // A missing shard is named by merge's own check ("shard 2/3 is missing").
        .filter(|p| p.starts_with("shard-") && p.contains("was changed"))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(CliError::invalid(anyhow::anyhow!(
        "{}: {}; re-run those shards into the folder, or name the shard files themselves to \
         merge them as they are",
        dir.join("manifest.json").display(),
        problems.join("; ")
    )))
}
