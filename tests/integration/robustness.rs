//! Robust input (issue 7): whatever a scenario file holds, reading, validation and simulation
//! never panic; valid scenarios (including extreme but valid values) simulate to finite
//! numbers; damaged scenarios are rejected with a message that names a line.
//!
//! The fuzzer is the same property run with many more cases, behind an environment variable:
//! `CEQ_FUZZ_CASES=100000 cargo test --release --test integration robustness -- --ignored`.

use ceq::scenario::{Format, parse_str};
use ceq::sim::{self, EngineKind, SimOptions};
use ceq::stats::{self, SummaryContext};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// A number written so that TOML reads it as a float (`1` would be an integer).
fn float(x: f64) -> String {
    let text = format!("{x:?}");
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

fn probability() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64]
}

fn retention() -> impl Strategy<Value = String> {
    prop_oneof![
        probability().prop_map(|r| format!("{{ rate = {} }}", float(r))),
        probability().prop_map(float),
        (0.01..0.99f64, 0.1..500.0f64).prop_map(|(m, c)| format!(
            "{{ mean = {}, concentration = {} }}",
            float(m),
            float(c)
        )),
        (0.05..20.0f64, 0.05..20.0f64).prop_map(|(a, b)| format!(
            "{{ churn_alpha = {}, churn_beta = {} }}",
            float(a),
            float(b)
        )),
        (0.05..20.0f64, 0.05..20.0f64).prop_map(|(a, b)| format!(
            "{{ dropout_alpha = {}, dropout_beta = {} }}",
            float(a),
            float(b)
        )),
    ]
}

fn purchases() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..4).prop_map(|n| format!("{{ fixed = {n} }}")),
        prop_oneof![Just(0.0), 0.0..5.0f64].prop_map(|m| format!("{{ mean = {} }}", float(m))),
        (0.01..5.0f64, 0.05..20.0f64).prop_map(|(m, k)| format!(
            "{{ mean = {}, shape = {} }}",
            float(m),
            float(k)
        )),
    ]
}

fn order_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![Just(0.0), 0.0..1000.0f64].prop_map(|v| format!("{{ mean = {} }}", float(v))),
        (0.01..1000.0f64, 0.01..3.0f64).prop_map(|(v, c)| format!(
            "{{ mean = {}, cv = {} }}",
            float(v),
            float(c)
        )),
        (0.01..1000.0f64, 0.01..3.0f64, 0.01..3.0f64).prop_map(|(v, c, u)| format!(
            "{{ mean = {}, cv = {}, customer_cv = {} }}",
            float(v),
            float(c),
            float(u)
        )),
        (0.1..20.0f64, 1.1..20.0f64, 0.1..100.0f64).prop_map(|(p, q, g)| format!(
            "{{ p = {}, q = {}, gamma = {} }}",
            float(p),
            float(q),
            float(g)
        )),
    ]
}

fn response(first: &'static str) -> impl Strategy<Value = String> {
    (probability(), 0.001..100.0f64, 0.1..5.0f64, 0u8..3).prop_map(
        move |(c, h, s, form)| match form {
            0 => format!("{{ {first} = {}, half_spend = {} }}", float(c), float(h)),
            1 => format!("{{ {first} = {}, k = {} }}", float(c), float(h)),
            _ => format!(
                "{{ {first} = {}, half_spend = {}, shape = {} }}",
                float(c),
                float(h),
                float(s)
            ),
        },
    )
}

#[derive(Debug, Clone)]
struct CohortSpec {
    customers: u32,
    retention: String,
    purchases: String,
    order_value: String,
    margin: f64,
    cost_to_serve: f64,
    referrals: f64,
}

fn cohort() -> impl Strategy<Value = CohortSpec> {
    (
        prop_oneof![Just(0u32), 0u32..200],
        retention(),
        purchases(),
        order_value(),
        probability(),
        prop_oneof![Just(0.0), 0.0..10.0f64],
        prop_oneof![Just(0.0), 0.0..0.2f64],
    )
        .prop_map(
            |(customers, retention, purchases, order_value, margin, cost, referrals)| CohortSpec {
                customers,
                retention,
                purchases,
                order_value,
                margin,
                cost_to_serve: cost,
                referrals,
            },
        )
}

/// A valid scenario as TOML text: 1–4 cohorts, every form of the cohort keys, and each
/// optional section present or not.
fn valid_scenario() -> impl Strategy<Value = String> {
    (
        (
            1u32..24,
            prop_oneof![Just(1u32), Just(4), Just(12), Just(52)],
            prop_oneof![Just(0.0), 0.0..1.0f64, Just(1.0e6)],
            any::<bool>(),
        ),
        prop::collection::vec(cohort(), 1..=4),
        prop::option::of((0u32..2000, response("ceiling"), 0.0..50.0f64)),
        prop::option::of(response("max_churn_reduction")),
        prop::option::of((0.0..2.0f64, 1.0..1e5f64, 0.0..0.99f64, 0.0..1.0f64)),
        prop::option::of(0.0..0.2f64),
        prop::option::of((0.0..0.5f64, 0.0..0.99f64, 0.0..0.5f64)),
        any::<bool>(),
        prop::collection::vec((0.0..1e5f64, 0.0..1e5f64, 0.0..1e5f64), 0..3),
    )
        .prop_map(
            |(time, cohorts, acquisition, program, driver, migration, shocks, uncertain, plans)| {
                let (periods, per_year, discount, start) = time;
                let mut text = format!(
                    "name = \"generated\"\n\n[time]\nperiods = {periods}\nperiods_per_year = \
                     {per_year}\ndiscount_rate = {}\ncash_flow_timing = \"{}\"\n",
                    float(discount),
                    if start { "start" } else { "end" }
                );
                for (i, c) in cohorts.iter().enumerate() {
                    text += &format!(
                        "\n[[cohorts]]\nname = \"c{i}\"\ncustomers = {}\nretention = {}\n\
                         purchases = {}\norder_value = {}\nmargin = {}\ncost_to_serve = {}\n\
                         referrals = {}\n",
                        c.customers,
                        c.retention,
                        c.purchases,
                        c.order_value,
                        float(c.margin),
                        float(c.cost_to_serve),
                        float(c.referrals)
                    );
                }
                let n = cohorts.len();
                if let Some((prospects, response, onboarding)) = &acquisition {
                    let share = 1.0 / n as f64;
                    let mix: Vec<String> = (0..n)
                        .map(|i| {
                            // The last share absorbs the rounding so the mix sums to one.
                            let s = if i + 1 == n {
                                1.0 - share * (n - 1) as f64
                            } else {
                                share
                            };
                            format!("c{i} = {}", float(s))
                        })
                        .collect();
                    text += &format!(
                        "\n[acquisition]\nprospects = {prospects}\nresponse = {response}\n\
                         mix = {{ {} }}\nonboarding_cost = {}\n",
                        mix.join(", "),
                        float(*onboarding)
                    );
                }
                if let Some(response) = &program {
                    text += &format!("\n[retention_program]\nresponse = {response}\n");
                }
                if let Some((lift, half, carry, effect)) = driver {
                    text += &format!(
                        "\n[drivers.value]\nmax_lift = {}\nhalf_spend = {}\ncarryover = {}\n\
                         effect = {{ retention = {}, acquisition = {}, purchases = {} }}\n",
                        float(lift),
                        float(half),
                        float(carry),
                        float(effect),
                        float(effect),
                        float(effect)
                    );
                }
                if let Some(p) = migration
                    && n > 1
                {
                    text += &format!("\n[migration]\nc0 = {{ c1 = {} }}\n", float(p));
                }
                if let Some((sd, persistence, churn)) = shocks {
                    text += &format!(
                        "\n[shocks]\ndemand = {{ sd = {}, persistence = {} }}\n\
                         churn = {{ sd = {} }}\n",
                        float(sd),
                        float(persistence),
                        float(churn)
                    );
                }
                if uncertain {
                    text += "\n[uncertainty]\n\"cohorts.c0.margin\" = \
                             { uniform = { low = 0.1, high = 0.5 } }\n";
                }
                for (i, (a, r, v)) in plans.iter().enumerate() {
                    text += &format!("\n[plans.p{i}]\n");
                    if acquisition.is_some() {
                        text += &format!("acquisition = {}\n", float(*a));
                    }
                    if program.is_some() {
                        text += &format!("retention = {}\n", float(*r));
                    }
                    if driver.is_some() {
                        text += &format!("value = {}\n", float(*v));
                    }
                }
                text
            },
        )
}

/// Every number in `value` is finite and no number became `null` (serde_json writes NaN and
/// infinity as null).
fn assert_finite(value: &serde_json::Value, path: &str) {
    match value {
        serde_json::Value::Null => panic!("{path} is null (NaN or infinity?)"),
        serde_json::Value::Number(n) => {
            assert!(n.as_f64().is_some_and(f64::is_finite), "{path} = {n}")
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_finite(item, &format!("{path}[{i}]"));
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                assert_finite(item, &format!("{path}.{key}"));
            }
        }
        _ => {}
    }
}

/// Parses, validates and simulates `text` with every engine that supports it.
fn simulate_valid(text: &str) {
    let scenario = parse_str(text, "generated.toml", "generated", Format::Toml)
        .unwrap_or_else(|e| panic!("a valid scenario was rejected:\n{e}\n---\n{text}"));
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        for plan in scenario.plan_ids() {
            let options = SimOptions {
                plan,
                runs: 3,
                seed: 7,
                engine,
                limits: Default::default(),
                control: Default::default(),
            };
            let simulation = match sim::run(&scenario, &options) {
                Ok(simulation) => simulation,
                Err(sim::SimError::Unsupported(..)) => continue,
                Err(e) => panic!("simulation failed: {e}\n---\n{text}"),
            };
            let context = SummaryContext {
                scenario: &scenario,
                plan: scenario.plans()[plan].name(),
                seed: 7,
            };
            let summary = stats::summarize(&context, &simulation);
            let json = serde_json::to_value(&summary).unwrap();
            assert_finite(&json, "summary");
        }
    }
}

/// A valid scenario with one value damaged: the kinds of mistake a person makes by hand.
fn damage(text: &str, line: usize, kind: u8) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let target = lines.get(line)?;
    let (key, value) = target.split_once(" = ")?;
    let damaged = match kind {
        0 => format!("{key} = \"not a number\""),
        1 => format!("{key} = -1.5"),
        2 => format!("{key} = nan"),
        3 => String::new(),
        4 => format!("{key}x = {value}"),
        5 => format!("{key} = {{ wrong = 1 }}"),
        _ => format!("{key} = [1, 2]"),
    };
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[line] = damaged;
    Some(out.join("\n"))
}

fn check_no_panic(text: &str) {
    for format in [Format::Toml, Format::Json] {
        let _ = parse_str(text, "fuzz", "fuzz", format);
    }
}

proptest! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        check_no_panic(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_no_panic(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_valid_scenarios_never_panic(
        text in valid_scenario(),
        cut in any::<prop::sample::Index>(),
        insert in "[\\[\\]{}=\",.a-z0-9 \n#'-]{0,12}",
    ) {
        let at = cut.index(text.len() + 1);
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let mutated = format!("{}{insert}{}", &text[..at], &text[at..]);
        check_no_panic(&mutated);
    }
}

proptest! {
    #![proptest_config(Config { cases: 64, ..Config::default() })]

    #[test]
    fn valid_scenarios_simulate_to_finite_numbers(text in valid_scenario()) {
        simulate_valid(&text);
    }

    #[test]
    fn damaged_scenarios_are_rejected_with_a_line(
        text in valid_scenario(),
        line in any::<prop::sample::Index>(),
        kind in 0u8..7,
    ) {
        let lines = text.lines().count();
        let index = line.index(lines);
        if let Some(damaged) = damage(&text, index, kind) {
            let key = text.lines().nth(index).and_then(|l| l.split_once(" = ")).map(|(k, _)| k);
            // A wrong type, nan, a table or list where a scalar belongs, or a renamed key is
            // always wrong here (only `name` takes any string); a negative number or a deleted
            // key may still leave a valid file (an optional key, a coefficient that may be < 0).
            // A plan's lever also takes a list (spend per period), so `[1, 2]` is valid there.
            let lever = matches!(
                key,
                Some("acquisition" | "retention" | "value" | "brand" | "relationship")
            );
            let must_fail = matches!(kind, 2 | 4 | 5)
                || (kind == 6 && !lever)
                || (kind == 0 && key != Some("name"));
            match parse_str(&damaged, "damaged.toml", "damaged", Format::Toml) {
                Ok(_) => prop_assert!(!must_fail, "accepted:\n{damaged}"),
                Err(error) => {
                    let message = error.to_string();
                    prop_assert!(
                        error.diagnostics.iter().all(|d| d.line >= 1),
                        "no line in:\n{message}\n---\n{damaged}"
                    );
                    prop_assert!(message.contains("damaged.toml:"), "{message}");
                }
            }
        }
    }
}

/// The scenario-reader fuzzer: many more cases of the no-panic properties. Run it with
/// `CEQ_FUZZ_CASES=100000 cargo test --release --test integration robustness -- --ignored`.
#[test]
#[ignore = "long; set CEQ_FUZZ_CASES"]
fn fuzz_scenario_reader() {
    let cases: u32 = std::env::var("CEQ_FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        valid_scenario(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        "[\\[\\]{}=\",.a-z0-9 \n#'-]{0,24}",
    );
    runner
        .run(&strategy, |(text, cut, end, insert)| {
            let a = cut.index(text.len() + 1);
            let b = a + end.index(text.len() + 1 - a).min(16);
            let (a, b) = (floor(&text, a), floor(&text, b));
            let mutated = format!("{}{insert}{}", &text[..a], &text[b..]);
            check_no_panic(&mutated);
            if let Ok(scenario) = parse_str(&mutated, "fuzz", "fuzz", Format::Toml) {
                simulate_small(&scenario);
            }
            Ok(())
        })
        .unwrap();
}

/// Simulates a scenario the fuzzer produced, when it is small enough to be quick.
fn simulate_small(scenario: &ceq::scenario::Scenario) {
    if scenario.time().periods() > 200 {
        return;
    }
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        let options = SimOptions {
            plan: ceq::scenario::PlanId::FIRST,
            runs: 2,
            seed: 1,
            engine,
            limits: Default::default(),
            control: Default::default(),
        };
        if let Ok(simulation) = sim::run(scenario, &options) {
            let context = SummaryContext {
                scenario,
                plan: scenario.plans()[0].name(),
                seed: 1,
            };
            let json = serde_json::to_value(stats::summarize(&context, &simulation)).unwrap();
            assert_finite(&json, "summary");
        }
    }
}

fn floor(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Regression (found while probing extreme values): an order value near `f64::MAX` bought
/// several times overflowed to infinity, and the summary printed `null`s with exit code 0.
#[test]
fn overflowing_amounts_are_refused_not_written_as_null() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    std::fs::write(
        &path,
        "name = \"huge\"\n[time]\nperiods = 3\n[[cohorts]]\nname = \"base\"\ncustomers = 10\n\
         retention = { rate = 1.0 }\npurchases = { fixed = 3 }\norder_value = { mean = 1e308 }\n\
         margin = 1.0\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ceq"))
        .arg("simulate")
        .arg(&path)
        .args(["--runs", "3", "--json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a finite number"), "{stderr}");
    assert!(!out.exists(), "no output may be written");
}
