//! Acquisition channels (issue 16): a channel with the higher cost per customer that brings
//! customers worth more is funded over the cheaper one (checked against a brute-force grid on
//! common random numbers), both engines agree on it, the flat `[acquisition]` block gives the
//! bytes it gave before channels existed, and a channel's carryover follows its adstock.

use assert_cmd::Command;
use ceq::model::plan_path::PlanPath;
use ceq::optimize::objective::{MonteCarloObjective, Objective};
use ceq::optimize::{Settings, Silent, optimize};
use ceq::plans::channels::channel_summaries;
use ceq::scenario::{Format, Lever, Plan, Scenario, SpendSchedule, parse_str};
use ceq::sim::{self, EngineKind, SimOptions};
use ceq::stats::describe::describe;

/// A seed the optimizer does not use (it searches on seed 1 or 2 and certifies on its own).
const GRID_SEED: u64 = 9_001;

/// scenarios/channels.toml without its retention programme, so the only levers are the two
/// channels and the budget (12,000 a month) is split between them.
fn two_channels() -> Scenario {
    let text = std::fs::read_to_string("scenarios/channels.toml").expect("the shipped example");
    let start = text
        .find("[retention_program]")
        .expect("a retention programme");
    let end = start + text[start..].find("\n\n").expect("a blank line after it");
    let text = format!("{}{}", &text[..start], &text[end..])
        .replace("retention = 2000\n", "")
        .replace("budget = 14000", "budget = 12000");
    parse_str(&text, "channels.toml", "channels", Format::Toml).expect("a valid scenario")
}

/// Search gets `budget − partners`, partners `partners`.
fn split(scenario: &Scenario, partners: f64, budget: f64) -> Plan {
    let mut plan = Plan::named(format!("partners {partners}"));
    let n = scenario.channel_count();
    plan.set(
        Lever::Channel(0),
        SpendSchedule::new(vec![budget - partners]).unwrap(),
        n,
    );
    plan.set(
        Lever::Channel(1),
        SpendSchedule::new(vec![partners]).unwrap(),
        n,
    );
    plan
}

fn mean_ce(scenario: &Scenario, plan: &Plan, runs: u64, seed: u64) -> f64 {
    MonteCarloObjective {
        limits: Default::default(),
        scenario,
        runs,
        seed,
        engine: EngineKind::Auto,
        criterion: ceq::scenario::Objective::Mean,
        hurdle: None,
        control: Default::default(),
    }
    .score(plan)
    .unwrap()
}

#[test]
fn the_channel_with_the_higher_cost_per_customer_is_funded_for_what_its_customers_are_worth() {
    let scenario = two_channels();
    assert_eq!(
        scenario.lever_name(Lever::Channel(1)),
        "acquisition.partners"
    );
    // At an even split, partners cost more per customer but bring customers worth more.
    let even = split(&scenario, 6_000.0, 12_000.0);
    let options = SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs: 200,
        seed: GRID_SEED,
        engine: EngineKind::Auto,
        limits: Default::default(),
        control: Default::default(),
    };
    let simulation = sim::run_plan(&scenario, &even, &options).unwrap();
    let rows = channel_summaries(&scenario, &even, &simulation, &options).unwrap();
    let (search, partners) = (&rows[0], &rows[1]);
    eprintln!("{search:?}\n{partners:?}");
    assert_eq!(
        (search.name.as_str(), partners.name.as_str()),
        ("search", "partners")
    );
    assert!(
        partners.cost_per_customer.unwrap() > 2.0 * search.cost_per_customer.unwrap(),
        "partners should cost much more per customer"
    );
    assert!(
        partners.value_per_customer.unwrap() > 2.0 * search.value_per_customer.unwrap(),
        "partners' customers should be worth much more"
    );
    assert!(partners.value_to_cost.unwrap() > search.value_to_cost.unwrap());
    assert!(partners.value - 4.0 * partners.value_std_error > 0.0);

    // Brute force on common random numbers: every split in steps of 600.
    let budget = 12_000.0;
    let grid: Vec<(f64, f64)> = (0..=20)
        .map(|i| {
            let x = 600.0 * i as f64;
            (
                x,
                mean_ce(&scenario, &split(&scenario, x, budget), 200, GRID_SEED),
            )
        })
        .collect();
    let (best_x, best) = grid
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    eprintln!("grid {grid:?}");
    assert!(best_x > budget / 2.0, "the grid funds partners most");

    let mut settings = Settings::new(
        scenario.optimize().cloned().unwrap(),
        ceq::scenario::PlanId::FIRST,
    );
    settings.runs = 200;
    let result = optimize(&scenario, &settings, &mut Silent).unwrap();
    let names: Vec<&str> = result.space.names.iter().map(String::as_str).collect();
    assert_eq!(names, ["acquisition.search", "acquisition.partners"]);
    let chosen_search = result.plan.spend_at(Lever::Channel(0), 1, 12);
    let chosen_partners = result.plan.spend_at(Lever::Channel(1), 1, 12);
    let chosen = mean_ce(&scenario, &result.plan, 200, GRID_SEED);
    eprintln!("optimizer: search {chosen_search}, partners {chosen_partners}, CE {chosen}");
    assert!(
        chosen_partners > 2.0 * chosen_search,
        "partners funded over search"
    );
    assert!(
        (chosen_partners - best_x).abs() <= 1_200.0,
        "the optimizer's split {chosen_partners} is within two grid steps of the grid's {best_x}"
    );
    assert!(
        chosen >= best - 0.002 * best.abs(),
        "the optimizer's plan ({chosen:.0}) scores within 0.2% of the best grid point ({best:.0})"
    );
    // The acquisition slot holds the channels' sum, so the budget is respected.
    assert!(result.plan.spend_at(Lever::Acquisition, 1, 12) <= budget + 1e-6);
}

#[test]
fn both_engines_agree_on_the_channels() {
    let scenario = two_channels();
    let plan = split(&scenario, 9_000.0, 12_000.0);
    let runs = 300;
    let measure = |engine: EngineKind, seed: u64| {
        let options = SimOptions {
            plan: ceq::scenario::PlanId::FIRST,
            runs,
            seed,
            engine,
            limits: Default::default(),
            control: Default::default(),
        };
        let simulation = sim::run_plan(&scenario, &plan, &options).unwrap();
        assert_eq!(simulation.engine, engine);
        let ce = describe(&ceq::plans::run_values(&simulation));
        let acquired: Vec<_> = (0..2)
            .map(|ch| {
                describe(
                    &simulation
                        .runs
                        .iter()
                        .map(|r| r.channels[ch].acquired)
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        let rows = channel_summaries(&scenario, &plan, &simulation, &options).unwrap();
        (ce, acquired, rows)
    };
    let (ce_a, acquired_a, rows_a) = measure(EngineKind::Customer, 11);
    let (ce_b, acquired_b, rows_b) = measure(EngineKind::Cohort, 12);
    let agree = |what: &str, a: f64, se_a: f64, b: f64, se_b: f64| {
        let combined = (se_a * se_a + se_b * se_b).sqrt();
        eprintln!("{what}: customer {a:.1} vs cohort {b:.1} (combined se {combined:.1})");
        assert!(
            (a - b).abs() <= 4.0 * combined,
            "{what}: {a} vs {b}, more than 4 combined standard errors ({combined})"
        );
    };
    agree(
        "customer equity",
        ce_a.mean,
        ce_a.std_error,
        ce_b.mean,
        ce_b.std_error,
    );
    for ch in 0..2 {
        let name = &rows_a[ch].name;
        agree(
            &format!("{name} acquired"),
            acquired_a[ch].mean,
            acquired_a[ch].std_error,
            acquired_b[ch].mean,
            acquired_b[ch].std_error,
        );
        agree(
            &format!("{name} value of customers"),
            rows_a[ch].value,
            rows_a[ch].value_std_error,
            rows_b[ch].value,
            rows_b[ch].value_std_error,
        );
    }
    // Both engines rank the channels the same way by value per customer.
    for rows in [&rows_a, &rows_b] {
        assert!(rows[1].value_per_customer.unwrap() > rows[0].value_per_customer.unwrap());
    }
}

/// `ceq simulate` output without its version line (the numbers are what is pinned).
fn without_version(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.trim_start().starts_with("\"ceq_version\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_flat_acquisition_block_gives_the_bytes_it_gave_before_channels() {
    for (engine, file) in [
        ("auto", "customer_types_seed3_runs50.json"),
        ("customer", "customer_types_seed3_runs50_customer.json"),
    ] {
        let output = Command::cargo_bin("ceq")
            .unwrap()
            .args([
                "simulate",
                "scenarios/customer_types.toml",
                "--runs",
                "50",
                "--seed",
                "3",
                "--engine",
                engine,
                "--json",
            ])
            .output()
            .unwrap();
        assert!(output.status.success());
        let pinned = std::fs::read(format!("tests/data/channels/{file}")).unwrap();
        // Every pinned line still comes out the same; break-even and payback (SPEC §9.1) are
        // new and come after them.
        let now = without_version(&output.stdout);
        let pinned = without_version(&pinned);
        let kept = pinned.trim_end_matches(['}', '\n']);
        assert!(
            now.starts_with(kept) && now[kept.len()..].starts_with(",\n  \"payback\": ["),
            "engine {engine}: the flat [acquisition] block no longer gives main's output"
        );
    }
}

#[test]
fn one_channel_written_as_a_channel_equals_the_flat_block() {
    let text = std::fs::read_to_string("scenarios/customer_types.toml").unwrap();
    assert!(text.contains("\n[acquisition]\n"));
    let as_channel = text.replace(
        "\n[acquisition]\n",
        "\n[[acquisition.channels]]\nname = \"web\"\n",
    );
    let flat = parse_str(&text, "flat.toml", "s", Format::Toml).unwrap();
    let channel = parse_str(&as_channel, "channel.toml", "s", Format::Toml).unwrap();
    assert_eq!(flat.present_levers()[0], Lever::Acquisition);
    assert_eq!(channel.present_levers()[0], Lever::Channel(0));
    assert_eq!(channel.lever_name(Lever::Channel(0)), "acquisition.web");
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        let options = SimOptions {
            plan: flat.baseline_plan(),
            runs: 20,
            seed: 5,
            engine,
            limits: Default::default(),
            control: Default::default(),
        };
        let a = sim::run(&flat, &options).unwrap();
        let b = sim::run(&channel, &options).unwrap();
        let values = |s: &sim::Simulation| -> Vec<u64> {
            s.runs.iter().map(|r| r.customer_equity.to_bits()).collect()
        };
        assert_eq!(
            values(&a),
            values(&b),
            "{engine:?}: bit-identical CE per run"
        );
        assert_eq!(a.runs[3].channels, b.runs[3].channels);
    }
}

#[test]
fn carryover_follows_the_hand_computed_adstock() {
    // Quarterly, two years: the channel spends 8,000 a quarter in year 1, nothing in year 2.
    let text = r#"
[time]
periods = 8
periods_per_year = 4
discount_rate = 0.0

[[cohorts]]
name = "c"
customers = 0
retention = { rate = 0.5 }
purchases = { fixed = 1 }
order_value = { mean = 10.0 }

[[acquisition.channels]]
name = "tv"
prospects = 100000
response = { ceiling = 0.05, half_spend = 0.1 }
carryover = 0.5

[plans.current]
acquisition = { tv = [8000, 0] }
"#;
    let scenario = parse_str(text, "tv.toml", "tv", Format::Toml).unwrap();
    let path = PlanPath::new(&scenario, &scenario.plans()[0]);
    // E_t = S_t + 0.5·E_{t−1}, E_0 = 0, by hand.
    let by_hand = [
        8000.0, 12000.0, 14000.0, 15000.0, 7500.0, 3750.0, 1875.0, 937.5,
    ];
    for (t, want) in by_hand.iter().enumerate() {
        assert_eq!(path.channel_adstock[t][0], *want, "period {}", t + 1);
    }
    // New customers per period ~ Binomial(100000, 0.05·(1 − 2^(−E/(100000·0.1)))).
    let runs = 400;
    for engine in [EngineKind::Customer, EngineKind::Cohort] {
        let simulation = sim::run(
            &scenario,
            &SimOptions {
                plan: ceq::scenario::PlanId::FIRST,
                runs,
                seed: 3,
                engine,
                limits: Default::default(),
                control: Default::default(),
            },
        )
        .unwrap();
        for (t, adstock) in by_hand.iter().enumerate() {
            let p = 0.05 * (1.0 - 2f64.powf(-adstock / 10_000.0));
            let expected = 100_000.0 * p;
            let sd = (100_000.0 * p * (1.0 - p)).sqrt();
            let new: Vec<f64> = simulation.runs.iter().map(|r| r.periods[t].new).collect();
            let got = describe(&new).mean;
            let se = sd / (runs as f64).sqrt();
            assert!(
                (got - expected).abs() <= 4.0 * se,
                "{engine:?} period {}: {got} new vs {expected} (se {se})",
                t + 1
            );
        }
    }
}

#[test]
fn the_mean_field_follows_each_channel_exactly() {
    // Customers buy once (value 10, margin 1) and leave: period t's CE is
    // Σ_ch new_ch,t·(10 − onboarding_ch) − spend, with new_ch,t = prospects·a_ch(E_ch,t), so the
    // optimizer's mean field must equal this sum (no heterogeneity to approximate).
    let text = r#"
[time]
periods = 6
periods_per_year = 2
discount_rate = 0.21

[[cohorts]]
name = "c"
customers = 0
retention = { rate = 0.0 }
purchases = { fixed = 1 }
order_value = { mean = 10.0 }

[[acquisition.channels]]
name = "a"
prospects = 50000
response = { ceiling = 0.02, k = 8.0 }
onboarding_cost = 1.5

[[acquisition.channels]]
name = "b"
prospects = 10000
response = { ceiling = 0.05, half_spend = 0.3, shape = 2.0 }
carryover = 0.6
onboarding_cost = 4.0

[plans.current]
acquisition = { a = [3000, 1000], b = [2500, 0, 800] }
"#;
    let scenario = parse_str(text, "mf.toml", "mf", Format::Toml).unwrap();
    let plan = &scenario.plans()[0];
    let got = ceq::optimize::mean_field::MeanField::central(&scenario).expected_ce(plan);
    let delta = 1.21f64.powf(-0.5);
    let (mut want, mut stock_b) = (0.0, 0.0);
    for t in 1..=6u32 {
        let year = ((t - 1) / 2) as usize;
        let spend_a = [3000.0, 1000.0, 1000.0][year];
        let spend_b = [2500.0, 0.0, 800.0][year];
        stock_b = spend_b + 0.6 * stock_b;
        let s_a: f64 = spend_a / 50_000.0;
        let s_b: f64 = stock_b / 10_000.0;
        let new_a = 50_000.0 * 0.02 * (1.0 - (-8.0 * s_a).exp());
        let new_b = 10_000.0 * 0.05 * s_b.powi(2) / (s_b.powi(2) + 0.3f64.powi(2));
        let flow = new_a * (10.0 - 1.5) + new_b * (10.0 - 4.0) - spend_a - spend_b;
        want += delta.powi(t as i32) * flow;
    }
    assert!((got - want).abs() < 1e-9 * want.abs(), "{got} vs {want}");
}

#[test]
fn channel_mistakes_are_named() {
    let base = r#"
[time]
periods = 12

[[cohorts]]
name = "a"
customers = 10
retention = { rate = 0.9 }
purchases = { fixed = 1 }
order_value = { mean = 10.0 }

[[cohorts]]
name = "b"
customers = 10
retention = { rate = 0.9 }
purchases = { fixed = 1 }
order_value = { mean = 10.0 }
"#;
    let problems = |extra: &str| -> String {
        match parse_str(&format!("{base}{extra}"), "s.toml", "s", Format::Toml) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    };
    let channels = r#"
[acquisition]
[[acquisition.channels]]
name = "search"
prospects = 1000
response = { ceiling = 0.01, half_spend = 0.2 }
mix = { a = 1.0 }

[[acquisition.channels]]
name = "social"
prospects = 1000
response = { ceiling = 0.01, k = 2.0 }
mix = { a = 0.5, b = 0.5 }
carryover = 0.2
"#;
    assert_eq!(problems(channels), "");
    // Each problem names its key and says what was expected.
    let names = |text: &str, key: &str, message: &str| {
        assert!(
            text.lines().any(|l| l.trim() == format!("= key: {key}")) && text.contains(message),
            "expected `{key}`: {message} in\n{text}"
        );
    };
    let both = channels.replace("[acquisition]\n", "[acquisition]\nprospects = 5\n");
    names(
        &problems(&both),
        "acquisition.prospects",
        "`prospects` belongs in each [[acquisition.channels]] table",
    );
    let text = problems(&format!("{channels}\n[plans.current]\nacquisition = 100\n"));
    names(
        &text,
        "plans.current.acquisition",
        "the scenario has 2 acquisition channels; give the spend of each, e.g. acquisition = \
         { search = 10000, social = 10000 }",
    );
    let text = problems(&format!(
        "{channels}\n[plans.current]\nacquisition = {{ serch = 100 }}\n"
    ));
    names(
        &text,
        "plans.current.acquisition.serch",
        "unknown channel `serch`; did you mean `search`?",
    );
    let text = problems(&channels.replace("carryover = 0.2", "carryover = 1.0"));
    names(
        &text,
        "acquisition.channels[1].carryover",
        "expected a number in [0, 1)",
    );
    let text = problems(&channels.replace("name = \"social\"", "name = \"search\""));
    names(
        &text,
        "acquisition.channels[1].name",
        "channel name \"search\" is used twice",
    );
    let text = problems(&format!(
        "{channels}\n[optimize]\nbudget = 10\nlevers = [\"acquisition.socal\"]\n"
    ));
    names(
        &text,
        "optimize.levers[0]",
        "unknown lever `acquisition.socal`; did you mean `acquisition.social`?",
    );
    // Levers, bounds and plans by channel.
    let scenario = parse_str(
        &format!(
            "{base}{channels}\n[plans.current]\nacquisition = {{ social = [5, 7] }}\n\
             [optimize]\nbudget = 100\nbounds = {{ \"acquisition.search\" = [1, 50], \
             acquisition = {{ social = [2, 60] }} }}\nlevers = [\"acquisition\"]\n"
        ),
        "s.toml",
        "s",
        Format::Toml,
    )
    .unwrap();
    let plan = &scenario.plans()[0];
    assert_eq!(plan.schedule(Lever::Channel(0)).amounts(), vec![0.0]);
    assert_eq!(plan.schedule(Lever::Channel(1)).amounts(), vec![5.0, 7.0]);
    assert_eq!(plan.spend()[Lever::Acquisition].amounts(), vec![5.0, 7.0]);
    let optimize = scenario.optimize().unwrap();
    assert_eq!(
        optimize.levers(),
        vec![Lever::Channel(0), Lever::Channel(1)]
    );
    assert_eq!(optimize.bound(Lever::Channel(0)), Some((1.0, 50.0)));
    assert_eq!(optimize.bound(Lever::Channel(1)), Some((2.0, 60.0)));
    // Uncertain channel parameters by path.
    let paths = parse_str(&format!("{base}{channels}"), "s.toml", "s", Format::Toml)
        .unwrap()
        .parameter_paths();
    for path in [
        "acquisition.channels.search.response.ceiling",
        "acquisition.channels.search.response.half_spend",
        "acquisition.channels.social.response.k",
        "acquisition.channels.social.carryover",
        "acquisition.channels.social.prospects",
        "acquisition.channels.social.onboarding_cost",
    ] {
        assert!(paths.iter().any(|p| p == path), "{path} in {paths:?}");
    }
}

#[test]
fn simulate_reports_each_channel_the_same_at_any_thread_count() {
    let run = |threads: &str| {
        let output = Command::cargo_bin("ceq")
            .unwrap()
            .args([
                "simulate",
                "scenarios/channels.toml",
                "--runs",
                "60",
                "--threads",
                threads,
                "--json",
            ])
            .output()
            .unwrap();
        assert!(output.status.success());
        output.stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"), "byte-identical at 1 and 2 threads");
    let json: serde_json::Value = serde_json::from_slice(&one).unwrap();
    let channels = json["channels"].as_array().expect("a channels list");
    let names: Vec<&str> = channels
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["search", "partners"]);
    for c in channels {
        for key in [
            "acquired",
            "spend",
            "onboarding",
            "cost_per_customer",
            "value",
            "value_std_error",
            "value_ci95",
            "value_per_customer",
            "value_to_cost",
        ] {
            assert!(!c[key].is_null(), "{key} in {c}");
        }
        // The ratio is the two per-customer figures' ratio.
        let ratio =
            c["value_per_customer"].as_f64().unwrap() / c["cost_per_customer"].as_f64().unwrap();
        assert!((ratio - c["value_to_cost"].as_f64().unwrap()).abs() < 1e-9 * ratio);
    }
    // The acquisition component is the channels' spend together.
    let spend: f64 = channels.iter().map(|c| c["spend"].as_f64().unwrap()).sum();
    let component = -json["components"]["acquisition"].as_f64().unwrap();
    assert!(
        (spend - component).abs() < 1e-6 * component,
        "{spend} vs {component}"
    );
}

#[test]
fn the_report_shows_what_each_channel_buys_next_to_the_split() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("ceq")
        .unwrap()
        .args(["report", "scenarios/channels.toml", "--out"])
        .arg(dir.path())
        .args([
            "--runs",
            "40",
            "--sensitivity-runs",
            "0",
            "--no-frontier",
            "--quiet",
        ])
        .assert()
        .success();
    let markdown = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    for text in [
        "### Acquisition channels under current",
        "### What each channel buys under the optimized plan",
        "| Channel | Customers acquired | Cost per customer | Value per customer |",
        "| acquisition.partners |",
        "but a customer from partners is worth",
        "### Acquisition channel: partners",
    ] {
        assert!(markdown.contains(text), "report.md lacks {text}");
    }
    // The channel table follows the optimizer's split within the optimization section.
    let section = &markdown[markdown.find("## Optimization").unwrap()..];
    let split = section.find("| acquisition.search |").unwrap();
    let channels = section.find("### What each channel buys").unwrap();
    assert!(split < channels);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<h3>What each channel buys under the optimized plan</h3>"));
}
