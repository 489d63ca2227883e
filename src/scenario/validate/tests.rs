//! Exact error text for representative problems.

use crate::scenario::{Format, Scenario, ScenarioError, parse_str};

const BASE: &str = r#"
[time]
periods = 12

[[cohorts]]
name = "gold"
customers = 100
retention = { rate = 0.9 }
purchases = { mean = 1 }
order_value = { mean = 10 }
"#;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    parse_str(text, "s.toml", "s", Format::Toml)
}

/// One-line diagnostics of a scenario that must fail.
fn problems(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(e) => e.diagnostics.iter().map(ToString::to_string).collect(),
    }
}

/// BASE with `extra` appended.
fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

fn cohort(body: &str) -> String {
    format!("[time]\nperiods = 12\n\n[[cohorts]]\nname = \"gold\"\n{body}")
}

#[test]
fn base_is_valid_with_defaults() {
    let s = parse(BASE).unwrap();
    assert_eq!(s.name, "s");
    assert_eq!(s.currency, "USD");
    assert_eq!(s.time.periods_per_year, 12);
    assert_eq!(s.time.discount_rate, 0.0);
    let c = &s.cohorts[0];
    assert_eq!(c.margin, 1.0);
    assert_eq!(c.referral_cohort, 0);
    assert_eq!(c.sensitivity, [1.0; 3]);
    assert_eq!(s.plans, vec![crate::scenario::Plan::baseline()]);
    assert_eq!(s.migration, vec![vec![]]);
}

#[test]
fn unknown_key_suggests_nearest() {
    let text = cohort(
        "customers = 1\nretension = { rate = 0.9 }\npurchases = { mean = 1 }\norder_value = { mean = 1 }\n",
    );
    assert_eq!(
        problems(&text),
        ["s.toml:7:1: cohorts[0].retension: unknown key `retension`; did you mean `retention`?",]
    );
}

#[test]
fn unknown_key_lists_valid_keys_when_nothing_is_close() {
    assert_eq!(
        problems(&with("[shocks]\nweather = { sd = 1 }\n")),
        ["s.toml:12:1: shocks.weather: unknown key `weather`; expected one of: demand, churn"]
    );
}

#[test]
fn wrong_type_and_range() {
    let text = BASE
        .replace("customers = 100", "customers = \"many\"")
        .replace("rate = 0.9", "rate = 1.2");
    assert_eq!(
        problems(&text),
        [
            "s.toml:7:13: cohorts[0].customers: expected a number, found a string",
            "s.toml:8:22: cohorts[0].retention.rate: expected a number in [0, 1], found 1.2",
        ]
    );
}

#[test]
fn non_finite_numbers_are_refused() {
    let text = BASE.replace("mean = 10", "mean = nan");
    assert_eq!(
        problems(&text),
        ["s.toml:10:24: cohorts[0].order_value.mean: expected a finite number, found nan"]
    );
}

#[test]
fn ambiguous_form_lists_the_forms() {
    let text = BASE.replace(
        "purchases = { mean = 1 }",
        "purchases = { mean = 1, fixed = 2 }",
    );
    assert_eq!(
        problems(&text),
        [
            "s.toml:9:1: cohorts[0].purchases: { mean, fixed } mixes different forms; choose one \
             form: { fixed }, { mean } or { mean, shape }"
        ]
    );
}

#[test]
fn incomplete_form_names_the_missing_key() {
    let text = BASE.replace(
        "order_value = { mean = 10 }",
        "order_value = { p = 1, q = 2 }",
    );
    assert_eq!(
        problems(&text),
        [
            "s.toml:10:1: cohorts[0].order_value: missing `gamma` for the form { p, q, gamma }; \
             the forms are { mean }, { mean, cv }, { mean, cv, customer_cv } or { p, q, gamma }"
        ]
    );
}

#[test]
fn gamma_gamma_q_must_exceed_one() {
    let text = BASE.replace(
        "order_value = { mean = 10 }",
        "order_value = { p = 1, q = 0.5, gamma = 2 }",
    );
    assert_eq!(
        problems(&text),
        [
            "s.toml:10:28: cohorts[0].order_value.q: expected a number > 1, found 0.5 (the mean \
             order value p·γ/(q − 1) is finite only for q > 1)"
        ]
    );
}

#[test]
fn plain_number_retention_is_a_rate() {
    let s = parse(&BASE.replace("{ rate = 0.9 }", "0.85")).unwrap();
    assert_eq!(
        s.cohorts[0].retention,
        crate::scenario::Retention::Rate { rate: 0.85 }
    );
}

#[test]
fn every_problem_is_collected_in_file_order() {
    let text = "[time]\nperiods = 0\n\n[[cohorts]]\nname = \"a b\"\ncustomers = -1\n";
    assert_eq!(
        problems(text),
        [
            "s.toml:2:11: time.periods: expected a whole number ≥ 1, found 0",
            "s.toml:4:1: cohorts[0].retention: missing key `retention` in `cohorts[0]` (e.g. { rate = 0.9 })",
            "s.toml:4:1: cohorts[0].purchases: missing key `purchases` in `cohorts[0]` (e.g. { mean = 1.4 })",
            "s.toml:4:1: cohorts[0].order_value: missing key `order_value` in `cohorts[0]` (e.g. { mean = 85.0 })",
            "s.toml:5:8: cohorts[0].name: cohort name \"a b\" may only use letters, digits, '-' and '_' (it is used in key paths such as cohorts.a_b.margin)",
            "s.toml:6:13: cohorts[0].customers: expected a whole number ≥ 0, found -1",
        ]
    );
}

#[test]
fn missing_top_level_section_has_no_position() {
    assert_eq!(
        problems("name = \"x\"\n"),
        [
            "s.toml: time: missing key `time` (the horizon, e.g. [time] periods = 60)",
            "s.toml: cohorts: missing key `cohorts` (a list of at least one cohort; [[cohorts]] in TOML)",
        ]
    );
}

#[test]
fn huge_sizes_are_refused() {
    assert_eq!(
        problems(&BASE.replace("customers = 100", "customers = 5e12")),
        [
            "s.toml:7:13: cohorts[0].customers: 5e12 is too large: at most 1000000000000 is \
             supported (larger bases could never be simulated; scale the scenario down)"
        ]
    );
    assert_eq!(
        problems(&BASE.replace("periods = 12", "periods = 1000000")),
        [
            "s.toml:3:11: time.periods: 1000000 is too large: at most 100000 is supported (a \
             longer horizon could never finish)"
        ]
    );
}

const TWO: &str = r#"
[time]
periods = 12

[[cohorts]]
name = "gold"
customers = 100
retention = { rate = 0.9 }
purchases = { mean = 1 }
order_value = { mean = 10 }

[[cohorts]]
name = "iron"
customers = 100
retention = { rate = 0.8 }
purchases = { mean = 1 }
order_value = { mean = 10 }
"#;

#[test]
fn cross_references_are_resolved() {
    let text = format!(
        "{TWO}\n[acquisition]\nprospects = 10\nresponse = {{ ceiling = 0.1, k = 1 }}\nmix = {{ glod = 0.5, iron = 0.5 }}\n\n[migration]\ngold = {{ gold = 0.1, tin = 0.2 }}\n"
    );
    assert_eq!(
        problems(&text),
        [
            "s.toml:22:9: acquisition.mix.glod: unknown cohort `glod`; did you mean `gold`?",
            "s.toml:25:10: migration.gold.gold: a cohort cannot migrate to itself (`gold` → `gold`); customers who stay are what the row leaves over",
            "s.toml:25:22: migration.gold.tin: unknown cohort `tin`; the cohorts are `gold`, `iron`",
        ]
    );
}

#[test]
fn shares_must_sum_to_one() {
    let text = format!(
        "{TWO}\n[acquisition]\nprospects = 10\nresponse = {{ ceiling = 0.1, k = 1 }}\nmix = {{ gold = 0.5, iron = 0.4 }}\n"
    );
    assert_eq!(
        problems(&text),
        ["s.toml:22:1: acquisition.mix: the shares add up to 0.9; they must add up to 1"]
    );
}

#[test]
fn migration_rows_and_resolution() {
    let text = format!(
        "{TWO}\n[migration]\ngold = {{ iron = 0.7 }}\niron = {{ gold = 0.6, gold2 = 0.1 }}\n"
    );
    assert!(problems(&text)[0].contains("unknown cohort `gold2`; did you mean `gold`?"));
    let ok = parse(&format!("{TWO}\n[migration]\niron = {{ gold = 0.25 }}\n")).unwrap();
    assert_eq!(ok.migration, vec![vec![], vec![(0, 0.25)]]);
    let over = format!("{TWO}\n[migration]\niron = {{ gold = 1.0 }}\ngold = {{ iron = 0.6 }}\n");
    assert!(parse(&over).is_ok());
}

#[test]
fn spend_on_absent_lever_is_refused() {
    assert_eq!(
        problems(&with("[plans.current]\nbrand = 5000\n")),
        [
            "s.toml:12:1: plans.current.brand: spending on `brand` would have no effect: the \
             scenario has no [drivers.brand] section; add one or remove this"
        ]
    );
}

#[test]
fn plans_keep_file_order_and_baseline_is_current() {
    let text = with(
        "[acquisition]\nprospects = 10\nresponse = { ceiling = 0.1, k = 1 }\n\n[plans.zeta]\nacquisition = 1\n[plans.current]\nacquisition = [3, 2]\n",
    );
    let s = parse(&text).unwrap();
    let names: Vec<&str> = s.plans.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["zeta", "current"]);
    assert_eq!(s.baseline_plan.index(), 1);
    assert_eq!(
        s.plans[1].spend[crate::scenario::Lever::Acquisition].0,
        vec![3.0, 2.0]
    );
    assert_eq!(s.acquisition.unwrap().channels[0].mix, vec![1.0]);
}

#[test]
fn optimize_objective_and_bounds() {
    let base =
        with("[acquisition]\nprospects = 10\nresponse = { ceiling = 0.1, k = 1 }\n\n[optimize]\n");
    assert_eq!(
        problems(&format!("{base}objective = \"median\"\n")),
        [
            "s.toml:16:13: optimize.objective: unknown objective \"median\"; expected \"mean\", \
             { mean_minus_sd = λ }, { cvar = α } or { prob_above = target }"
        ]
    );
    assert_eq!(
        problems(&format!("{base}objective = {{ cvar = 0 }}\n")),
        [
            "s.toml:16:22: optimize.objective.cvar: expected a number in (0, 1], found 0 (the \
             share of worst runs averaged, e.g. 0.05)"
        ]
    );
    assert_eq!(
        problems(&format!(
            "{base}bounds = {{ acquisition = [5, 1], brand = [0, 1] }}\n"
        )),
        [
            "s.toml:16:26: optimize.bounds.acquisition: the minimum 5 is above the maximum 1; \
             expected [min, max]",
            "s.toml:16:34: optimize.bounds.brand: bounding `brand` would have no effect: the \
             scenario has no [drivers.brand] section; add one or remove this",
        ]
    );
    let s = parse(&base).unwrap();
    let o = s.optimize.unwrap();
    assert_eq!(o.levers, vec![crate::scenario::Lever::Acquisition]);
    assert_eq!(o.objective, crate::scenario::Objective::Mean);
}

#[test]
fn uncertainty_paths_must_name_a_parameter() {
    assert_eq!(
        problems(&with(
            "[uncertainty]\n\"cohorts.gold.retention.mean\" = { normal = { mean = 0.9, sd = 0.01 } }\n"
        )),
        [
            "s.toml:12:1: uncertainty.\"cohorts.gold.retention.mean\": `cohorts.gold.retention.mean` \
             names no parameter of this scenario; did you mean `cohorts.gold.retention.rate`?"
        ]
    );
    assert_eq!(
        problems(&with(
            "[uncertainty]\n\"cohorts.gold.margin\" = { triangular = { low = 0.5, mode = 0.1, high = 0.6 } }\n"
        )),
        [
            "s.toml:12:27: uncertainty.\"cohorts.gold.margin\".triangular: expected low ≤ mode ≤ \
             high, found low = 0.5, mode = 0.1, high = 0.6"
        ]
    );
}

#[test]
fn every_parameter_validated_lies_in_its_domain() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/full.toml"))
        .unwrap();
    let mut s = parse(&text).unwrap();
    let mut outside = Vec::new();
    s.visit_parameters(&mut |p| {
        if !p.domain.contains(*p.value) {
            outside.push(p.path);
        }
    });
    assert!(outside.is_empty(), "{outside:?}");
    assert_eq!(s.uncertainty.len(), 5);
}

#[test]
fn toml_syntax_error_has_a_position() {
    let e = parse("[time\nperiods = 1\n").unwrap_err();
    assert_eq!(e.diagnostics.len(), 1);
    assert_eq!((e.diagnostics[0].line, e.diagnostics[0].column), (1, 6));
}

#[test]
fn json_is_read_the_same_way() {
    let text = r#"{ "time": { "periods": 12 },
  "cohorts": [ { "name": "gold", "customers": 100, "retention": { "rate": 1.5 },
                 "purchases": { "mean": 1 }, "order_value": { "mean": 10 } } ] }"#;
    let e = parse_str(text, "s.json", "s", Format::Json).unwrap_err();
    assert_eq!(
        e.diagnostics[0].to_string(),
        "s.json:2:75: cohorts[0].retention.rate: expected a number in [0, 1], found 1.5"
    );
}

#[test]
fn deeply_nested_input_does_not_crash() {
    for depth in [1_000, 100_000] {
        let json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse_str(&json, "s.json", "s", Format::Json).is_err());
        let toml = format!("x = {}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&toml).is_err());
    }
}

#[test]
fn json_specific_problems() {
    let json = |text: &str| -> Vec<String> {
        parse_str(text, "s.json", "s", Format::Json)
            .unwrap_err()
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert_eq!(
        json("[1, 2]"),
        ["s.json:1:1: expected the scenario to be a table (a JSON object), found a list"]
    );
    assert_eq!(
        json(r#"{ "time": { "periods": 12, "periods": 1e400 } }"#)[..2],
        [
            "s.json: cohorts: missing key `cohorts` (a list of at least one cohort; [[cohorts]] in TOML)",
            "s.json:1:28: time.periods: duplicate key `periods`; each key may appear once",
        ]
        .map(String::from)
    );
}

#[test]
fn several_problems_render_with_a_count() {
    let text = BASE
        .replace("rate = 0.9", "rate = 2")
        .replace("mean = 10", "mean = -1");
    let rendered = parse(&text).unwrap_err().to_string();
    let expected = "error: expected a number in [0, 1], found 2
 --> s.toml:8:22
  |
8 | retention = { rate = 2 }
  |                      ^
  = key: cohorts[0].retention.rate

error: expected a number ≥ 0, found -1
  --> s.toml:10:24
   |
10 | order_value = { mean = -1 }
   |                        ^^
   = key: cohorts[0].order_value.mean

2 problems in s.toml";
    assert_eq!(rendered, expected);
}

#[test]
fn typo_inside_a_form_is_reported_once() {
    assert_eq!(
        problems(&BASE.replace("purchases = { mean = 1 }", "purchases = { mena = 1 }")),
        ["s.toml:9:15: cohorts[0].purchases.mena: unknown key `mena`; did you mean `mean`?"]
    );
    assert_eq!(
        problems(&with("[optimize]\nlevers = [\"brand\"]\n")),
        [
            "s.toml:12:11: optimize.levers[0]: optimizing `brand` would have no effect: the \
             scenario has no [drivers.brand] section; add one or remove this"
        ]
    );
}

#[test]
fn many_problems_are_located_in_linear_time_and_capped() {
    let unknown_keys = |n: usize| {
        let mut text = String::from("[time]\nperiods = 12\n\n");
        for i in 0..n {
            text.push_str(&format!("unknown_{i} = 1\n"));
        }
        text
    };
    let timed = |text: &str| {
        let started = std::time::Instant::now();
        let error =
            crate::scenario::parse_str(text, "big.toml", "big", crate::scenario::Format::Toml)
                .unwrap_err();
        (started.elapsed().as_secs_f64(), error)
    };
    // Equal work if validation is linear: ten files of 4,000 keys against one of 40,000. Then
    // the ratio is about 1, where quadratic validation (a scan of the earlier keys per key, as
    // before) gives about 10. The bound of 4 leaves a loaded machine a factor 4 of noise on
    // either side and still fails a quadratic one. Interleaved rounds, the best of each side:
    // a round slowed by other work on the machine loses to a quieter one.
    let small = unknown_keys(4_000);
    let big = unknown_keys(40_000);
    let (mut t_small, mut t_big) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        t_small = t_small.min((0..10).map(|_| timed(&small).0).sum::<f64>());
        t_big = t_big.min(timed(&big).0);
    }
    assert!(
        t_big < 4.0 * t_small.max(1e-4),
        "40,000 keys took {t_big:.3} s against {t_small:.3} s for ten times 4,000"
    );
    let (_, error) = timed(&big);
    assert_eq!(error.diagnostics.len(), super::read::MAX_DIAGNOSTICS + 1);
    assert!(
        error.diagnostics[super::read::MAX_DIAGNOSTICS]
            .message
            .contains("more problems")
    );
}
