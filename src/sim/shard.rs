//! Sharding one study over many machines (SPEC §12): `--shard I/N` runs the I-th of N equal
//! slices of the runs and saves its raw per-run results; merging the N slices gives the result
//! an unsharded run gives, byte for byte, because run k is the same wherever it runs and the
//! summary is computed over all runs in run order.

use serde::{Deserialize, Serialize};
use std::ops::Range;

use crate::sim::{EngineKind, RunResult, Simulation};
use crate::stats::SummaryLabels;

/// The I-th (1-based) of N slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    pub index: u64,
    pub count: u64,
}

impl ShardSpec {
    /// Parses "I/N" with 1 ≤ I ≤ N.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("expected I/N (for example 3/10), got '{text}'"))?;
        let parse = |s: &str, what: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("the shard {what} in '{text}' is not a whole number"))
        };
        let (index, count) = (parse(i, "number")?, parse(n, "count")?);
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "expected I/N with 1 ≤ I ≤ N (for example 3/10), got '{text}'"
            ));
        }
        Ok(ShardSpec { index, count })
    }

    /// The runs of this slice out of `total`: ⌊(I−1)·total/N⌋ .. ⌊I·total/N⌋, so slices are as
    /// equal as can be and together cover every run once.
    pub fn runs(&self, total: u64) -> Range<u64> {
        let bound = |i: u64| ((i as u128 * total as u128) / self.count as u128) as u64;
        bound(self.index - 1)..bound(self.index)
    }

    /// The file a shard writes into its output directory.
    pub fn file_name(&self) -> String {
        format!("shard-{}-of-{}.json", self.index, self.count)
    }
}

/// Everything a merge needs from one shard: what was simulated and its runs' raw results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    pub ceq_version: String,
    pub scenario: String,
    pub cohorts: Vec<String>,
    pub currency: String,
    pub periods_per_year: u32,
    pub plan: String,
    pub seed: u64,
    /// Runs of the whole study.
    pub runs: u64,
    pub shard: ShardSpec,
    pub engine: String,
    pub approximations: Vec<String>,
    pub results: Vec<RunResult>,
}

/// Why shards cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MergeError {
    #[error("no shard files to merge")]
    Empty,
    #[error("{file} is from a different study than {first}: {field} differs ({a} vs {b})")]
    Mismatch {
        file: String,
        first: String,
        field: &'static str,
        a: String,
        b: String,
    },
    #[error("shard {index}/{count} is missing")]
    Missing { index: u64, count: u64 },
    #[error("shard {index}/{count} was given twice ({a} and {b})")]
    Duplicate {
        index: u64,
        count: u64,
        a: String,
        b: String,
    },
    #[error("{file} holds {found} runs but shard {index}/{count} of {total} runs has {expected}")]
    WrongSize {
        file: String,
        index: u64,
        count: u64,
        total: u64,
        found: usize,
        expected: u64,
    },
    #[error("{file} names an unknown engine '{engine}'")]
    UnknownEngine { file: String, engine: String },
}

/// The whole study from its shards, given as `(file name, shard)` in any order.
pub fn merge(
    shards: Vec<(String, ShardFile)>,
) -> Result<(SummaryLabels, Simulation, ShardFile), MergeError> {
    let (first_name, first) = shards.first().cloned().ok_or(MergeError::Empty)?;
    let count = first.shard.count;
    let mut slots: Vec<Option<(String, ShardFile)>> = vec![None; count as usize];
    for (name, shard) in shards {
        check_same_study(&first_name, &first, &name, &shard)?;
        let expected = shard.shard.runs(shard.runs);
        if shard.results.len() as u64 != expected.end - expected.start {
            return Err(MergeError::WrongSize {
                file: name,
                index: shard.shard.index,
                count,
                total: shard.runs,
                found: shard.results.len(),
                expected: expected.end - expected.start,
            });
        }
        let slot = &mut slots[shard.shard.index as usize - 1];
        if let Some((earlier, _)) = slot {
            return Err(MergeError::Duplicate {
                index: shard.shard.index,
                count,
                a: earlier.clone(),
                b: name,
            });
        }
        *slot = Some((name, shard));
    }
    let engine = EngineKind::from_name(&first.engine).ok_or_else(|| MergeError::UnknownEngine {
        file: first_name.clone(),
        engine: first.engine.clone(),
    })?;
    let mut runs = Vec::with_capacity(first.runs as usize);
    for (i, slot) in slots.into_iter().enumerate() {
        let (_, shard) = slot.ok_or(MergeError::Missing {
            index: i as u64 + 1,
            count,
        })?;
        runs.extend(shard.results);
    }
    let labels = SummaryLabels {
        scenario: first.scenario.clone(),
        cohorts: first.cohorts.clone(),
        plan: first.plan.clone(),
        seed: first.seed,
    };
    let simulation = Simulation {
        engine,
        runs,
        approximations: first.approximations.clone(),
    };
    Ok((
        labels,
        simulation,
        ShardFile {
            results: Vec::new(),
            ..first
        },
    ))
}

fn check_same_study(
    first_name: &str,
    first: &ShardFile,
    name: &str,
    shard: &ShardFile,
) -> Result<(), MergeError> {
    let fields: [(&'static str, String, String); 8] = [
        (
            "ceq_version",
            first.ceq_version.clone(),
            shard.ceq_version.clone(),
        ),
        ("scenario", first.scenario.clone(), shard.scenario.clone()),
        ("plan", first.plan.clone(), shard.plan.clone()),
        ("seed", first.seed.to_string(), shard.seed.to_string()),
        ("runs", first.runs.to_string(), shard.runs.to_string()),
        (
            "shard count",
            first.shard.count.to_string(),
            shard.shard.count.to_string(),
        ),
        ("engine", first.engine.clone(), shard.engine.clone()),
        ("cohorts", first.cohorts.join(","), shard.cohorts.join(",")),
    ];
    for (field, a, b) in fields {
        if a != b {
            return Err(MergeError::Mismatch {
                file: name.to_string(),
                first: first_name.to_string(),
                field,
                a,
                b,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_every_run_once() {
        for total in [1u64, 7, 1000, 1001] {
            for count in [1u64, 2, 3, 7, 10] {
                let mut next = 0;
                for index in 1..=count {
                    let range = ShardSpec { index, count }.runs(total);
                    assert_eq!(range.start, next);
                    next = range.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn parse_checks_the_bounds() {
        assert_eq!(
            ShardSpec::parse("3/10"),
            Ok(ShardSpec {
                index: 3,
                count: 10
            })
        );
        assert!(ShardSpec::parse("0/10").is_err());
        assert!(ShardSpec::parse("11/10").is_err());
        assert!(ShardSpec::parse("3").is_err());
        assert!(ShardSpec::parse("a/b").is_err());
    }
}
