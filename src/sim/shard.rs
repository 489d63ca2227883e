//! Sharding one study over many machines (SPEC §12): `--shard I/N` runs the I-th of N equal
//! slices of the runs and saves its raw per-run results; merging the N slices gives the result
//! an unsharded run gives, byte for byte, because run k is the same wherever it runs and the
//! summary is computed over all runs in run order.
//!
//! A merge must never combine slices of different studies, nor results edited by hand: every
//! shard records the SHA-256 of the validated scenario (not just its name), the ceq version, the
//! engine and a SHA-256 of its results, and [`merge`] checks all of them and every field's shape
//! before it uses any, naming the shard at fault.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ops::Range;

use crate::fit::base_value::CohortBaseValue;
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
    /// SHA-256 of the validated scenario ([`scenario_digest`]); empty in shards of older ceq
    /// versions, which merge refuses.
    #[serde(default)]
    pub scenario_digest: String,
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
    /// SHA-256 of `results` in their JSON form ([`results_digest`]).
    #[serde(default)]
    pub results_sha256: String,
    pub results: Vec<RunResult>,
    /// The channels whose values the runs carry (`channel_values`, SPEC §4); empty for the
    /// flat `[acquisition]` block and without acquisition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_names: Vec<String>,
    /// What describing the runs' `vintages` needs (SPEC §9.1); absent without acquisition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payback_frame: Option<crate::plans::payback::PaybackFrame>,
    /// Today's base of the history-aware cohorts, in closed form from the scenario (SPEC §12).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub existing_base: Vec<ShardBase>,
}

/// One history-aware cohort's base as a shard keeps it: the summary's fields and those only
/// its charts use (which the summary's JSON leaves out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardBase {
    pub summary: CohortBaseValue,
    pub groups: Vec<(f64, f64, u64)>,
    pub params: [f64; 4],
    pub max_frequency: u32,
    pub max_age: f64,
}

impl From<&CohortBaseValue> for ShardBase {
    fn from(base: &CohortBaseValue) -> Self {
        ShardBase {
            summary: base.clone(),
            groups: base.groups.clone(),
            params: base.params,
            max_frequency: base.max_frequency,
            max_age: base.max_age,
        }
    }
}

impl From<&ShardBase> for CohortBaseValue {
    fn from(base: &ShardBase) -> Self {
        CohortBaseValue {
            groups: base.groups.clone(),
            params: base.params,
            max_frequency: base.max_frequency,
            max_age: base.max_age,
            ..base.summary.clone()
        }
    }
}

/// SHA-256 of the validated scenario serialized as JSON: the same for the same numbers whatever
/// the file's format, comments, spacing or key order, different for any edited value.
pub fn scenario_digest(scenario: &crate::scenario::Scenario) -> String {
    sha256_hex(&serde_json::to_vec(scenario).unwrap_or_default())
}

/// SHA-256 of the runs' results as JSON. JSON numbers round-trip exactly (shortest
/// representation written, `float_roundtrip` read), so a shard read back gives the same digest
/// and any edited number a different one.
pub fn results_digest(results: &[RunResult]) -> String {
    sha256_hex(&serde_json::to_vec(results).unwrap_or_default())
}

/// SHA-256 (FIPS 180-4) of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
    #[error("{file} is not a valid shard: {why}")]
    Malformed { file: String, why: String },
    #[error(
        "{file} was changed after it was written: its results do not match the checksum it \
         records; simulate this shard again"
    )]
    Tampered { file: String },
    #[error(
        "{file} has no scenario digest (written by an older ceq); simulate the shards again \
         with this version"
    )]
    NoDigest { file: String },
}

/// The whole study from its shards, given as `(file name, shard)` in any order.
pub fn merge(
    shards: Vec<(String, ShardFile)>,
) -> Result<(SummaryLabels, Simulation, ShardFile), MergeError> {
    let (first_name, first) = shards
        .first()
        .map(|(name, shard)| {
            (
                name.clone(),
                ShardFile {
                    results: Vec::new(),
                    ..shard.clone()
                },
            )
        })
        .ok_or(MergeError::Empty)?;
    let count = first.shard.count;
    let horizon = shards
        .iter()
        .find_map(|(_, s)| s.results.first())
        .map_or(0, |r| r.periods.len());
    let mut slots: BTreeMap<u64, (String, ShardFile)> = BTreeMap::new();
    for (name, shard) in shards {
        check_shape(&name, &shard, horizon)?;
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
        if let Some((earlier, _)) = slots.get(&shard.shard.index) {
            return Err(MergeError::Duplicate {
                index: shard.shard.index,
                count,
                a: earlier.clone(),
                b: name,
            });
        }
        slots.insert(shard.shard.index, (name, shard));
    }
    let engine = EngineKind::from_name(&first.engine).ok_or_else(|| MergeError::UnknownEngine {
        file: first_name.clone(),
        engine: first.engine.clone(),
    })?;
    if let Some(index) = (1..=count).find(|i| !slots.contains_key(i)) {
        return Err(MergeError::Missing { index, count });
    }
    let mut runs = Vec::new();
    for (_, (_, shard)) in slots {
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
    Ok((labels, simulation, first))
}

/// Every field of one shard has a usable shape, before any is used: a slice of a positive
/// count, results that match their checksum, one entry per cohort and per period in every run.
fn check_shape(name: &str, shard: &ShardFile, horizon: usize) -> Result<(), MergeError> {
    let malformed = |why: String| MergeError::Malformed {
        file: name.to_string(),
        why,
    };
    let ShardSpec { index, count } = shard.shard;
    if count == 0 || index == 0 || index > count {
        return Err(malformed(format!(
            "shard {index}/{count}: expected I/N with 1 ≤ I ≤ N"
        )));
    }
    if shard.runs == 0 || count > shard.runs {
        return Err(malformed(format!(
            "{count} shards of {} runs: expected at least one run per shard",
            shard.runs
        )));
    }
    if shard.scenario_digest.is_empty() {
        return Err(MergeError::NoDigest {
            file: name.to_string(),
        });
    }
    if shard.cohorts.is_empty() {
        return Err(malformed("the list of cohorts is empty".to_string()));
    }
    if results_digest(&shard.results) != shard.results_sha256 {
        return Err(MergeError::Tampered {
            file: name.to_string(),
        });
    }
    let channels = shard.payback_frame.as_ref().map(|f| f.channels.len());
    if let Some(frame) = &shard.payback_frame {
        let cohorts = shard.cohorts.len();
        if frame.cohorts.len() != cohorts
            || frame.cash_flows.len() != cohorts
            || frame.channels.iter().any(|(_, mix)| mix.len() != cohorts)
        {
            return Err(malformed(format!(
                "the payback frame does not have one entry per cohort ({cohorts})"
            )));
        }
    }
    for (k, run) in shard.results.iter().enumerate() {
        let run_number = shard.shard.runs(shard.runs).start + k as u64 + 1;
        let wanted = channels.unwrap_or(0).max(shard.channel_names.len());
        if run.channels.len() < wanted || run.channel_values.len() < shard.channel_names.len() {
            return Err(malformed(format!(
                "run {run_number} has {} channel results for {wanted} channels",
                run.channels.len()
            )));
        }
        if run.cohorts.len() != shard.cohorts.len() {
            return Err(malformed(format!(
                "run {run_number} has {} cohort results for {} cohorts",
                run.cohorts.len(),
                shard.cohorts.len()
            )));
        }
        if run.periods.len() != horizon || horizon == 0 {
            return Err(malformed(format!(
                "run {run_number} has {} periods where the study has {horizon}",
                run.periods.len()
            )));
        }
        if let Some(c) = run.cohorts.iter().position(|c| c.active.len() != horizon) {
            return Err(malformed(format!(
                "run {run_number}, cohort {}: {} periods of active customers where the study \
                 has {horizon}",
                shard.cohorts[c],
                run.cohorts[c].active.len()
            )));
        }
    }
    Ok(())
}

fn check_same_study(
    first_name: &str,
    first: &ShardFile,
    name: &str,
    shard: &ShardFile,
) -> Result<(), MergeError> {
    fn json<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap_or_default()
    }
    let fields: [(&'static str, String, String); 15] = [
        (
            "scenario digest (the scenario's contents)",
            first.scenario_digest.clone(),
            shard.scenario_digest.clone(),
        ),
        ("currency", first.currency.clone(), shard.currency.clone()),
        (
            "periods_per_year",
            first.periods_per_year.to_string(),
            shard.periods_per_year.to_string(),
        ),
        (
            "approximations",
            first.approximations.join("; "),
            shard.approximations.join("; "),
        ),
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
        (
            "channel_names",
            first.channel_names.join(","),
            shard.channel_names.join(","),
        ),
        (
            "payback_frame",
            json(&first.payback_frame),
            json(&shard.payback_frame),
        ),
        (
            "existing_base",
            json(&first.existing_base),
            json(&shard.existing_base),
        ),
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
