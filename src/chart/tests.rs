//! Every chart renders to a decodable PNG of the stated size and to an SVG whose text is text,
//! for small data and for degenerate data; and the PNG's glyphs come from the embedded font.

use super::data::*;
use super::theme::{self, Theme};
use super::*;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Decodes the PNG and checks its size; checks the SVG is an SVG document holding `title` as
/// text.
fn check(rendered: &Rendered, title: &str) {
    assert_eq!(rendered.png[..8], PNG_SIGNATURE);
    let decoder = png::Decoder::new(std::io::Cursor::new(&rendered.png));
    let mut reader = decoder.read_info().expect("a valid PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane PNG size")];
    let frame = reader.next_frame(&mut pixels).expect("valid PNG data");
    assert_eq!((frame.width, frame.height), (1920, 1080));
    assert!(
        pixels.iter().any(|&p| p != 255),
        "the PNG is not blank white"
    );

    let svg = &rendered.svg;
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(r#"width="960" height="540""#));
    assert!(svg.contains("<text"));
    if !title.is_empty() {
        assert!(
            svg.contains(&format!("\n{title}\n</text>")),
            "title missing"
        );
    }
}

fn fan(points: &[(u32, f64)]) -> FanSeries {
    FanSeries {
        name: "current".to_string(),
        points: points
            .iter()
            .map(|&(period, v)| FanPoint {
                period,
                p05: v - 2.0 * v.abs(),
                p25: v - v.abs() / 2.0,
                p50: v,
                p75: v + v.abs() / 2.0,
                p95: v + 2.0 * v.abs(),
            })
            .collect(),
    }
}

fn fan_chart_of(plans: Vec<FanSeries>) -> FanChart {
    FanChart {
        title: "Fan test".to_string(),
        subtitle: "tiny · 3 runs · seed 1".to_string(),
        currency: "USD".to_string(),
        period_label: "Month".to_string(),
        plans,
    }
}

#[test]
fn fan_chart_renders_small_and_degenerate_data() {
    let growing = fan(&[(0, 0.0), (1, 1_000.0), (2, 2_500.0), (3, 4_000.0)]);
    let mut other = fan(&[(0, 0.0), (1, 800.0), (2, 1_900.0), (3, 3_000.0)]);
    other.name = "growth".to_string();
    for plans in [
        vec![growing.clone()],
        vec![growing, other],
        vec![fan(&[(0, 0.0), (1, 0.0)])],
        vec![fan(&[(0, 0.0), (1, -5_000.0), (2, -12_000.0)])],
        vec![fan(&[(1, 42.0)])],
        vec![fan(&[])],
        vec![],
    ] {
        check(&fan_chart(&fan_chart_of(plans)).unwrap(), "Fan test");
    }
}

fn distribution_of(values: Vec<f64>) -> DistributionChart {
    let mean = crate::stats::describe::mean(&values);
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let q = |p| {
        if sorted.is_empty() {
            0.0
        } else {
            crate::stats::describe::quantile_sorted(&sorted, p)
        }
    };
    DistributionChart {
        title: "Distribution test".to_string(),
        subtitle: String::new(),
        currency: "EUR".to_string(),
        mean,
        p05: q(0.05),
        p95: q(0.95),
        values,
    }
}

#[test]
fn distribution_chart_renders_small_and_degenerate_data() {
    for values in [
        (0..50).map(|k| 1_000.0 * f64::from(k) - 8_000.0).collect(),
        (0..50).map(|k| 2e6 + 1e4 * f64::from(k)).collect(),
        vec![123_456.0],
        vec![0.0; 10],
        vec![-5e6, -4e6, -4.5e6],
        vec![],
        vec![f64::NAN, 1.0],
    ] {
        check(
            &distribution_chart(&distribution_of(values)).unwrap(),
            "Distribution test",
        );
    }
}

#[test]
fn cohort_chart_renders_small_and_degenerate_data() {
    let chart = |cohorts: Vec<(String, Vec<f64>)>| CohortActivityChart {
        title: "Cohort test".to_string(),
        subtitle: "pyramid".to_string(),
        period_label: "Quarter".to_string(),
        cohorts,
    };
    let named = |name: &str, values: &[f64]| (name.to_string(), values.to_vec());
    for cohorts in [
        vec![
            named("platinum", &[100.0, 98.0, 97.0]),
            named("gold", &[400.0, 420.0, 430.0]),
            named("iron", &[2000.0, 1900.0, 1800.0]),
        ],
        vec![named("all", &[10.0])],
        vec![named("all", &[0.0, 0.0])],
        vec![named("short", &[1.0, 2.0, 3.0]), named("shorter", &[5.0])],
        vec![named("none", &[])],
        vec![],
    ] {
        check(
            &cohort_activity_chart(&chart(cohorts)).unwrap(),
            "Cohort test",
        );
    }
}

fn waterfall_of(values: &[(&str, f64)]) -> WaterfallChart {
    WaterfallChart {
        title: "Waterfall test".to_string(),
        subtitle: String::new(),
        currency: "USD".to_string(),
        steps: values
            .iter()
            .map(|&(label, value)| WaterfallStep {
                label: label.to_string(),
                value,
            })
            .collect(),
        total_label: "Customer equity".to_string(),
    }
}

#[test]
fn waterfall_chart_renders_small_and_degenerate_data() {
    for steps in [
        vec![
            ("Purchase margin", 5.8e6),
            ("Extra value", 2e5),
            ("Cost to serve", -1.1e6),
            ("Acquisition", -3.3e5),
        ],
        vec![("Existing customers", -2e5), ("New customers", -1e5)],
        vec![("Margin", 0.0)],
        vec![],
    ] {
        check(
            &waterfall_chart(&waterfall_of(&steps)).unwrap(),
            "Waterfall test",
        );
    }
}

#[test]
fn plan_comparison_chart_renders_with_and_without_differences() {
    let plans = vec![
        PlanEstimate {
            name: "current".to_string(),
            mean: 4.06e6,
            ci95: [4.0e6, 4.12e6],
        },
        PlanEstimate {
            name: "growth".to_string(),
            mean: 4.3e6,
            ci95: [4.2e6, 4.4e6],
        },
    ];
    let differences = vec![PairedDifference {
        a: "growth".to_string(),
        b: "current".to_string(),
        mean: 2.4e5,
        ci95: [1.9e5, 2.9e5],
    }];
    let chart =
        |plans: Vec<PlanEstimate>, differences: Vec<PairedDifference>| PlanComparisonChart {
            title: "Compare test".to_string(),
            subtitle: String::new(),
            currency: "USD".to_string(),
            plans,
            differences,
        };
    for (p, d) in [
        (plans.clone(), differences.clone()),
        (plans[..1].to_vec(), vec![]),
        (vec![], vec![]),
        (
            vec![PlanEstimate {
                name: "only".to_string(),
                mean: -1.0,
                ci95: [-1.0, -1.0],
            }],
            differences,
        ),
    ] {
        check(
            &plan_comparison_chart(&chart(p, d)).unwrap(),
            "Compare test",
        );
    }
}

#[test]
fn optimization_charts_render_small_and_degenerate_data() {
    let allocation = |levers: Vec<LeverAllocation>| AllocationChart {
        title: "Allocation test".to_string(),
        subtitle: String::new(),
        currency: "USD".to_string(),
        spend_unit: "per month".to_string(),
        levers,
    };
    let lever = |name: &str, current, optimized| LeverAllocation {
        lever: name.to_string(),
        current,
        optimized,
    };
    for levers in [
        vec![
            lever("acquisition", 40_000.0, 55_000.0),
            lever("retention", 20_000.0, 30_000.0),
            lever("brand", 30_000.0, 5_000.0),
        ],
        vec![lever("brand", 0.0, 0.0)],
        vec![],
    ] {
        check(
            &allocation_chart(&allocation(levers)).unwrap(),
            "Allocation test",
        );
    }

    let curve = |name: &str, points: Vec<(f64, f64)>| ResponseCurve {
        lever: name.to_string(),
        points,
        ci95: Vec::new(),
        current_spend: 20_000.0,
        optimal_spend: 35_000.0,
    };
    let concave: Vec<(f64, f64)> = (0..=10)
        .map(|k| {
            let spend = 5_000.0 * f64::from(k);
            (
                spend,
                4e6 + 3e5 * (1.0 - (-spend / 2e4).exp()) - 2.0 * spend,
            )
        })
        .collect();
    let responses = |curves: Vec<ResponseCurve>| ResponseCurvesChart {
        title: "Response test".to_string(),
        subtitle: String::new(),
        currency: "USD".to_string(),
        objective_label: "Mean customer equity".to_string(),
        curves,
    };
    for curves in [
        vec![curve("acquisition", concave.clone())],
        (0..5)
            .map(|k| curve(&format!("lever {k}"), concave.clone()))
            .collect(),
        vec![curve("flat", vec![(0.0, 0.0), (1.0, 0.0)])],
        vec![curve("empty", vec![])],
        vec![],
    ] {
        check(
            &response_curves_chart(&responses(curves)).unwrap(),
            "Response test",
        );
    }
}

#[test]
fn frontier_chart_renders_small_and_degenerate_data() {
    let chart = |points: Vec<FrontierPoint>, current_budget| FrontierChart {
        title: "Frontier test".to_string(),
        subtitle: String::new(),
        currency: "USD".to_string(),
        budget_unit: "per month".to_string(),
        points,
        current_budget,
        current_plan: current_budget.map(|budget| FrontierPoint {
            budget,
            mean: 3.8e6,
            ci95: [3.7e6, 3.9e6],
        }),
    };
    let point = |budget: f64| FrontierPoint {
        budget,
        mean: 4e6 + 10.0 * budget.sqrt() * 100.0,
        ci95: [3.9e6 + 1e3 * budget.sqrt(), 4.1e6 + 1e3 * budget.sqrt()],
    };
    for (points, current) in [
        (
            vec![point(50_000.0), point(100_000.0), point(150_000.0)],
            Some(120_000.0),
        ),
        (vec![point(100_000.0)], None),
        (vec![], Some(0.0)),
    ] {
        check(
            &frontier_chart(&chart(points, current)).unwrap(),
            "Frontier test",
        );
    }
}

#[test]
fn tornado_chart_renders_small_and_degenerate_data() {
    let chart = |effects: Vec<SensitivityEffect>| TornadoChart {
        title: "Tornado test".to_string(),
        subtitle: String::new(),
        currency: "USD".to_string(),
        base_mean: 4.06e6,
        step_label: "10%".to_string(),
        effects,
    };
    let effect = |name: &str, minus, plus| SensitivityEffect {
        parameter: name.to_string(),
        minus,
        plus,
    };
    for effects in [
        vec![
            effect("platinum retention", -4e5, 3e5),
            effect("gold order value", -1e5, 1e5),
            effect("discount rate", 5e4, -4e4),
            effect("acquisition response", 2e4, 3e4),
        ],
        vec![effect("nothing", 0.0, 0.0)],
        vec![],
    ] {
        check(&tornado_chart(&chart(effects)).unwrap(), "Tornado test");
    }
}

#[test]
fn calibration_charts_render_small_and_degenerate_data() {
    let survival: Vec<(f64, f64, f64)> = [1000.0, 631.0, 468.0, 382.0, 326.0]
        .iter()
        .enumerate()
        .map(|(t, &actual)| (t as f64, actual, actual * 1.01))
        .collect();
    let mut with_holdout = CalibrationChart::survival(survival.clone(), "Year", "Customers alive");
    with_holdout.calibration_end = Some(3.0);
    // More points than get dots, and a calibration end between two of them.
    let mut many_weeks = CalibrationChart::repeat_purchases(
        (0..=80)
            .map(|w| (f64::from(w), 50.0 * f64::from(w), 48.0 * f64::from(w)))
            .collect(),
        "Weeks since 1997-01-01",
    );
    many_weeks.calibration_end = Some(38.86);
    for chart in [
        CalibrationChart::survival(survival, "Year", "Customers alive"),
        with_holdout,
        CalibrationChart::repeat_purchases(vec![(1.0, 0.0, 0.0)], "Week"),
        CalibrationChart::repeat_purchases(vec![], "Week"),
        many_weeks,
    ] {
        let title = chart.title.clone();
        check(&calibration_chart(&chart).unwrap(), &title);
    }
}

#[test]
fn png_text_is_drawn_from_the_embedded_font() {
    let with_title = fan_chart_of(vec![fan(&[(0, 0.0), (1, 1.0)])]);
    let without_title = FanChart {
        title: String::new(),
        subtitle: String::new(),
        ..with_title.clone()
    };
    let theme = Theme::PNG;
    let (titled, width, _) = render_pixels(&with_title, &theme).unwrap();
    let (untitled, _, _) = render_pixels(&without_title, &theme).unwrap();
    // The title sits in the top-left corner: margin 18, 22 px type, at twice the size.
    let region = |pixels: &[u8]| -> Vec<u8> {
        (36..90)
            .flat_map(|row| {
                let start = (row * width as usize + 36) * 3;
                pixels[start..start + 600 * 3].to_vec()
            })
            .collect()
    };
    let (a, b) = (region(&titled), region(&untitled));
    assert_ne!(a, b, "the title left no pixels");
    let dark = a.chunks(3).filter(|px| px.iter().all(|&c| c < 100)).count();
    assert!(dark > 500, "only {dark} dark pixels: no glyphs were drawn");
}

#[test]
fn svg_names_the_font_family_with_fallbacks() {
    let rendered = fan_chart(&fan_chart_of(vec![])).unwrap();
    assert!(
        rendered
            .svg
            .contains(&format!(r#"font-family="{}""#, theme::FONT_FAMILY))
    );
}

#[test]
fn simulation_charts_are_the_five_of_simulate() {
    use crate::sim::{EngineKind, PeriodRun, RunResult};
    use crate::stats::{Components, Origin, SimulationSummary, describe::describe};
    let runs: Vec<RunResult> = (0..5)
        .map(|k| RunResult {
            customer_equity: 100.0 * f64::from(k),
            periods: vec![
                PeriodRun {
                    active: 10.0,
                    cumulative_ce: 50.0 * f64::from(k),
                    ..PeriodRun::default()
                },
                PeriodRun {
                    active: 9.0,
                    cumulative_ce: 100.0 * f64::from(k),
                    ..PeriodRun::default()
                },
            ],
            ..RunResult::default()
        })
        .collect();
    let simulation = Simulation {
        engine: EngineKind::Customer,
        runs,
        approximations: Vec::new(),
    };
    let ce: Vec<f64> = simulation.runs.iter().map(|r| r.customer_equity).collect();
    let summary = SimulationSummary {
        ceq_version: "0".to_string(),
        scenario: "tiny".to_string(),
        plan: "current".to_string(),
        runs: 5,
        seed: 1,
        engine: "customer".to_string(),
        customer_equity: describe(&ce),
        components: Components {
            purchase_margin: 300.0,
            cost_to_serve: -100.0,
            ..Components::default()
        },
        origin: Origin {
            existing: 200.0,
            new: 0.0,
        },
        cohorts: vec![],
        periods: vec![],
        approximations: Vec::new(),
        channels: Vec::new(),
        existing_base: Vec::new(),
        offboarding: Vec::new(),
        payback: Vec::new(),
        sample_fraction: None,
        full_base: None,
    };
    let context = SimulationContext {
        currency: "USD",
        periods_per_year: 12,
        sample_fraction: 1.0,
    };
    let charts = simulation_charts(&summary, &simulation, &context).unwrap();
    let stems: Vec<&str> = charts.iter().map(|c| c.0).collect();
    assert_eq!(
        stems,
        [
            "fan",
            "distribution",
            "cohorts",
            "waterfall_components",
            "waterfall_origin"
        ]
    );
}

/// Writes every chart kind with sample data into `$CEQ_CHART_DIR` to look at:
/// `CEQ_CHART_DIR=/tmp/charts cargo test --lib chart::tests::write_samples -- --ignored`.
#[test]
#[ignore = "writes files for a person to look at"]
fn write_samples() {
    let Ok(dir) = std::env::var("CEQ_CHART_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, rendered: Rendered| {
        std::fs::write(dir.join(format!("{name}.png")), rendered.png).unwrap();
        std::fs::write(dir.join(format!("{name}.svg")), rendered.svg).unwrap();
    };
    let mut growth = fan(&[(0, 0.0), (12, 1.1e6), (24, 2.3e6), (36, 3.3e6)]);
    growth.name = "growth".to_string();
    let current = fan(&[(0, 0.0), (12, 1.0e6), (24, 1.9e6), (36, 2.6e6)]);
    let mut plans = fan_chart_of(vec![current, growth]);
    plans.title = "Cumulative customer equity by plan".to_string();
    write("sample_fan_plans", fan_chart(&plans).unwrap());
    write(
        "sample_compare",
        plan_comparison_chart(&PlanComparisonChart {
            title: "Which plan is worth most".to_string(),
            subtitle: "pyramid · 1,000 runs · seed 1 · paired on the same seeds".to_string(),
            currency: "USD".to_string(),
            plans: vec![
                PlanEstimate {
                    name: "current".to_string(),
                    mean: 4.06e6,
                    ci95: [4.0e6, 4.12e6],
                },
                PlanEstimate {
                    name: "growth".to_string(),
                    mean: 4.31e6,
                    ci95: [4.24e6, 4.38e6],
                },
                PlanEstimate {
                    name: "retention_push".to_string(),
                    mean: 4.02e6,
                    ci95: [3.95e6, 4.09e6],
                },
            ],
            differences: vec![
                PairedDifference {
                    a: "growth".to_string(),
                    b: "current".to_string(),
                    mean: 2.5e5,
                    ci95: [2.1e5, 2.9e5],
                },
                PairedDifference {
                    a: "retention_push".to_string(),
                    b: "current".to_string(),
                    mean: -4.0e4,
                    ci95: [-8.0e4, 1.0e4],
                },
            ],
        })
        .unwrap(),
    );
    let lever = |name: &str, current, optimized| LeverAllocation {
        lever: name.to_string(),
        current,
        optimized,
    };
    write(
        "sample_allocation",
        allocation_chart(&AllocationChart {
            title: "Budget split: current vs optimized".to_string(),
            subtitle: "budget 150k per month".to_string(),
            currency: "USD".to_string(),
            spend_unit: "per month".to_string(),
            levers: vec![
                lever("acquisition", 60_000.0, 72_500.0),
                lever("retention", 30_000.0, 41_000.0),
                lever("value", 20_000.0, 18_000.0),
                lever("brand", 25_000.0, 10_500.0),
                lever("relationship", 15_000.0, 8_000.0),
            ],
        })
        .unwrap(),
    );
    let curve = |name: &str, scale: f64, current, optimal| ResponseCurve {
        lever: name.to_string(),
        points: (0..=20)
            .map(|k| {
                let spend = 5_000.0 * f64::from(k);
                (
                    spend,
                    4e6 + scale * (1.0 - (-spend / 3e4).exp()) - 3.0 * spend,
                )
            })
            .collect(),
        ci95: (0..=20)
            .map(|k| {
                let spend = 5_000.0 * f64::from(k);
                let y = 4e6 + scale * (1.0 - (-spend / 3e4).exp()) - 3.0 * spend;
                [y - 0.01 * scale, y + 0.01 * scale]
            })
            .collect(),
        current_spend: current,
        optimal_spend: optimal,
    };
    write(
        "sample_response",
        response_curves_chart(&ResponseCurvesChart {
            title: "Response of customer equity to each lever".to_string(),
            subtitle: "other levers at the optimum".to_string(),
            currency: "USD".to_string(),
            objective_label: "Mean customer equity".to_string(),
            curves: vec![
                curve("acquisition", 6e5, 60_000.0, 72_500.0),
                curve("retention", 4e5, 30_000.0, 41_000.0),
                curve("value", 2e5, 20_000.0, 18_000.0),
                curve("brand", 1e5, 25_000.0, 10_500.0),
                curve("relationship", 5e4, 15_000.0, 8_000.0),
            ],
        })
        .unwrap(),
    );
    write(
        "sample_frontier",
        frontier_chart(&FrontierChart {
            title: "What a bigger budget buys".to_string(),
            subtitle: String::new(),
            currency: "USD".to_string(),
            budget_unit: "per month".to_string(),
            points: (1..=8)
                .map(|k| {
                    let budget = 25_000.0 * f64::from(k);
                    let mean = 3e6 + 1.5e6 * (1.0 - (-budget / 8e4).exp());
                    FrontierPoint {
                        budget,
                        mean,
                        ci95: [mean - 6e4, mean + 6e4],
                    }
                })
                .collect(),
            current_budget: Some(150_000.0),
            current_plan: None,
        })
        .unwrap(),
    );
    let effect = |name: &str, minus, plus| SensitivityEffect {
        parameter: name.to_string(),
        minus,
        plus,
    };
    write(
        "sample_tornado",
        tornado_chart(&TornadoChart {
            title: "What moves customer equity most".to_string(),
            subtitle: "each parameter 10% lower and higher, others at base".to_string(),
            currency: "USD".to_string(),
            base_mean: 4.06e6,
            step_label: "10%".to_string(),
            effects: vec![
                effect("gold retention", -2.1e5, 1.6e5),
                effect("platinum retention", -4.2e5, 3.1e5),
                effect("discount rate", 9e4, -8.5e4),
                effect("order value (iron)", -6e4, 6e4),
                effect("acquisition half spend", 3e4, -2.5e4),
                effect("cost to serve", 1.5e4, -1.5e4),
            ],
        })
        .unwrap(),
    );
    let survival: Vec<(f64, f64, f64)> = [
        1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0, 223.0, 207.0, 194.0, 183.0, 173.0,
    ]
    .iter()
    .enumerate()
    .map(|(t, &actual)| {
        let t = t as f64;
        (t, actual, 1000.0 * (1.0 + t).powf(-0.75))
    })
    .collect();
    let mut chart = CalibrationChart::survival(survival, "Year", "Customers still active");
    chart.calibration_end = Some(7.0);
    write("sample_survival", calibration_chart(&chart).unwrap());
    let repeat: Vec<(f64, f64, f64)> = (1..=78)
        .map(|w| {
            let w = f64::from(w);
            (
                w,
                60.0 * w - 0.3 * w * w + 40.0 * (w / 5.0).sin(),
                60.0 * w - 0.3 * w * w,
            )
        })
        .collect();
    let mut chart = CalibrationChart::repeat_purchases(repeat, "Week");
    chart.calibration_end = Some(39.0);
    write("sample_repeat", calibration_chart(&chart).unwrap());
}
