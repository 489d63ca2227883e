//! A small fuzz corpus run in CI (issue 15 item 5): the shard reader and merge, and the
//! transaction-log reader, take arbitrary and mutated input without panicking. (The scenario
//! reader's fuzzing is in `robustness.rs`.) Sizes are kept small so the run takes seconds;
//! raise `cases` locally for a longer run.

use ceq::fit::transactions::{Columns, read_transactions};
use ceq::scenario::{Format, parse_str};
use ceq::sim::shard::{self, ShardFile, ShardSpec};
use ceq::sim::{EngineKind, SimOptions};
use proptest::prelude::*;
use proptest::test_runner::Config;

const SCENARIO: &str = r#"
[time]
periods = 6
periods_per_year = 12

[[cohorts]]
name = "base"
customers = 50
retention = { rate = 0.9 }
purchases = { mean = 1.0 }
order_value = { mean = 50.0 }
"#;

/// Two real shards of 6 runs, as JSON bytes.
fn shard_bytes() -> Vec<Vec<u8>> {
    let scenario = parse_str(SCENARIO, "s.toml", "s", Format::Toml).unwrap();
    let options = SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs: 6,
        seed: 3,
        engine: EngineKind::Cohort,
        limits: Default::default(),
        control: Default::default(),
    };
    (1..=2)
        .map(|index| {
            let spec = ShardSpec { index, count: 2 };
            let simulation =
                ceq::sim::run_plan_range(&scenario, &scenario.plans()[0], &options, spec.runs(6))
                    .unwrap();
            let file = ShardFile {
                ceq_version: env!("CARGO_PKG_VERSION").to_string(),
                scenario: scenario.name().to_string(),
                scenario_digest: shard::scenario_digest(&scenario),
                cohorts: vec!["base".to_string()],
                currency: "USD".to_string(),
                periods_per_year: 12,
                plan: "current".to_string(),
                seed: 3,
                runs: 6,
                shard: spec,
                engine: simulation.engine.name().to_string(),
                approximations: simulation.approximations.clone(),
                results_sha256: shard::results_digest(&simulation.runs),
                results: simulation.runs,
                channel_names: Vec::new(),
                payback_frame: None,
                existing_base: Vec::new(),
            };
            serde_json::to_vec(&file).unwrap()
        })
        .collect()
}

/// Reads and merges shards as `ceq merge` does; any outcome but a panic is fine.
fn merge_bytes(shards: &[Vec<u8>]) -> bool {
    let parsed: Result<Vec<(String, ShardFile)>, _> = shards
        .iter()
        .enumerate()
        .map(|(i, b)| serde_json::from_slice(b).map(|f| (format!("shard{i}"), f)))
        .collect();
    match parsed {
        Ok(files) => match shard::merge(files) {
            Ok((labels, simulation, _)) => {
                let _ = ceq::stats::summarize_labelled(&labels, &simulation);
                true
            }
            Err(_) => false,
        },
        Err(_) => false,
    }
}

#[test]
fn the_real_shards_merge() {
    assert!(merge_bytes(&shard_bytes()));
}

/// A JSON number in the text at a random place replaced by another.
fn mutate(bytes: &[u8], at: usize, replacement: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let at = at % text.len().max(1);
    let start = (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let end = (start + replacement.len().max(1)).min(text.len());
    let end = (end..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    format!("{}{replacement}{}", &text[..start], &text[end..]).into_bytes()
}

proptest! {
    #![proptest_config(Config { cases: 64, ..Config::default() })]

    #[test]
    fn mutated_shards_never_panic(
        which in 0usize..2,
        at in any::<usize>(),
        replacement in prop_oneof![
            Just("0".to_string()),
            Just("-1".to_string()),
            Just("1e308".to_string()),
            Just("18446744073709551615".to_string()),
            Just("[]".to_string()),
            Just("null".to_string()),
            "[0-9\\[\\]{},:\"a-z.-]{0,8}",
        ],
    ) {
        let mut shards = shard_bytes();
        shards[which] = mutate(&shards[which], at, &replacement);
        merge_bytes(&shards);
    }

    #[test]
    fn arbitrary_shard_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        merge_bytes(&[bytes]);
    }

    #[test]
    fn arbitrary_transaction_logs_never_panic(
        text in "(customer,date,amount\n)?([a-z0-9]{0,6}[,;\t][0-9/.-]{0,12}[,;\t][0-9.e+-]{0,10}\n){0,12}",
    ) {
        let _ = read_transactions(&text, &Columns::default());
    }

    #[test]
    fn arbitrary_text_as_a_transaction_log_never_panics(text in "\\PC{0,300}") {
        let _ = read_transactions(&text, &Columns::default());
    }
}
