//! Text, JSON and CSV of `ceq compare`, `optimize`, `frontier` and `sensitivity`: small
//! functions over plain data (STYLE.md §7). The text says in words what to do, how sure ceq is
//! and why.

use serde::Serialize;

use super::{Align, labels_then_numbers, money, percent, table, titled};
use crate::export::{ExportError, to_csv};
use crate::optimize::{Optimization, Settings, describe_criterion};
use crate::plans::compare::Comparison;
use crate::plans::frontier::{Frontier, read_off};
use crate::plans::sensitivity::Sensitivity;
use crate::scenario::{Lever, Objective, Plan, Scenario, SpendSchedule};

pub use crate::export::json;

use crate::format::{rate, signed_whole as signed, whole_interval as interval};

fn schedule(s: &SpendSchedule) -> String {
    s.0.iter()
        .map(|v| money(*v))
        .collect::<Vec<_>>()
        .join(" → ")
}

// ---------------------------------------------------------------------------------------------
// compare
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct PlanRow<'a> {
    name: &'a str,
    mean: f64,
    sd: f64,
    std_error: f64,
    ci95_low: f64,
    ci95_high: f64,
    p05: f64,
    p25: f64,
    p50: f64,
    p75: f64,
    p95: f64,
    prob_negative: f64,
}

/// compare_plans.csv: one row per plan with its CE mean, spread and interval.
pub fn plans_csv(comparison: &Comparison) -> Result<Vec<u8>, ExportError> {
    let rows: Vec<PlanRow<'_>> = comparison
        .plans
        .iter()
        .map(|p| {
            let d = &p.customer_equity;
            PlanRow {
                name: &p.name,
                mean: d.mean,
                sd: d.sd,
                std_error: d.std_error,
                ci95_low: d.ci95[0],
                ci95_high: d.ci95[1],
                p05: d.p05,
                p25: d.p25,
                p50: d.p50,
                p75: d.p75,
                p95: d.p95,
                prob_negative: d.prob_negative,
            }
        })
        .collect();
    to_csv(&rows, "plans.csv")
}

#[derive(Serialize)]
struct DifferenceRow<'a> {
    a: &'a str,
    b: &'a str,
    mean: f64,
    ci95_low: f64,
    ci95_high: f64,
    std_error: f64,
    prob_a_better: f64,
}

/// compare_differences.csv: one row per plan against the baseline, paired on the same runs.
pub fn differences_csv(comparison: &Comparison) -> Result<Vec<u8>, ExportError> {
    let rows: Vec<DifferenceRow<'_>> = comparison
        .differences
        .iter()
        .map(|d| DifferenceRow {
            a: &d.a,
            b: &d.b,
            mean: d.mean,
            ci95_low: d.ci95[0],
            ci95_high: d.ci95[1],
            std_error: d.std_error,
            prob_a_better: d.prob_a_better,
        })
        .collect();
    to_csv(&rows, "differences.csv")
}

fn header(rows: &[(&str, String)]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(k, v)| vec![k.to_string(), v.clone()])
        .collect();
    table(&[Align::Left, Align::Left], &rows, 0)
}

/// For a scenario of a sample (SPEC §9.2), the same scenario as its full base, which the
/// renderers print scaled results for; `None` for a scenario of the whole base.
fn whole_base(scenario: &Scenario) -> Option<Scenario> {
    (scenario.sample_fraction < 1.0).then(|| Scenario {
        sample_fraction: 1.0,
        ..scenario.clone()
    })
}

/// The two sentences above full-base results that show spends or budgets.
fn sample_notes(fraction: f64) -> String {
    format!(
        "{} {}",
        crate::stats::sample_note(fraction),
        crate::stats::spend_note(fraction)
    )
}

/// The text report of `ceq compare`: every plan against the baseline, and in words which
/// differences the runs can tell apart.
pub fn render_comparison(comparison: &Comparison, scenario: &Scenario) -> String {
    if let Some(whole) = whole_base(scenario) {
        // SPEC §9.2: customer equity of the full base, spends as the file states them.
        let f = scenario.sample_fraction;
        let text = render_comparison(&comparison.scaled_to_full_base(f), &whole);
        return format!("{}\n\n{text}", sample_notes(f));
    }
    let currency = &scenario.currency;
    let mut sections = vec![header(&[
        ("Scenario", comparison.scenario.clone()),
        (
            "Runs",
            format!(
                "{} (seed {}; every plan on the same runs)",
                super::group_digits(&comparison.runs.to_string()),
                comparison.seed
            ),
        ),
        ("Engine", comparison.engine.clone()),
        ("Baseline", comparison.baseline.clone()),
    ])];
    // Spend of each plan, per period; time-phased levers show their per-year amounts.
    let levers = crate::optimize::space::all_levers(scenario);
    let mut rows = vec![{
        let mut r = vec!["plan".to_string()];
        r.extend(levers.iter().map(|l| scenario.lever_name(*l)));
        r
    }];
    for plan in &comparison.plans {
        if let Some(p) = scenario.plans.iter().find(|p| p.name == plan.name) {
            let mut r = vec![p.name.clone()];
            r.extend(levers.iter().map(|l| schedule(&p.schedule(*l))));
            rows.push(r);
        }
    }
    let mut align = vec![Align::Right; levers.len() + 1];
    align[0] = Align::Left;
    sections.push(titled(
        &format!("Spend per period ({currency}; a → b → c: per-year amounts, the last repeating)"),
        table(&align, &rows, 2),
    ));
    sections.extend(crate::plans::levers_seed::offboard_line(scenario));
    let mut rows = vec![
        ["plan", "mean", "95% CI", "p05", "p95", "P(CE < 0)"]
            .map(str::to_string)
            .to_vec(),
    ];
    for plan in &comparison.plans {
        let d = &plan.customer_equity;
        rows.push(vec![
            plan.name.clone(),
            money(d.mean),
            interval(d.ci95),
            money(d.p05),
            money(d.p95),
            percent(d.prob_negative),
        ]);
    }
    let align = labels_then_numbers(1, 6);
    sections.push(titled(
        &format!("Customer equity by plan ({currency}, discounted)"),
        table(&align, &rows, 2),
    ));
    if !comparison.differences.is_empty() {
        let mut rows = vec![
            ["A", "B", "mean A − B", "95% CI", "A better in"]
                .map(str::to_string)
                .to_vec(),
        ];
        for d in &comparison.differences {
            rows.push(vec![
                d.a.clone(),
                d.b.clone(),
                signed(d.mean),
                interval(d.ci95),
                format!("{} of runs", percent(d.prob_a_better)),
            ]);
        }
        let align = labels_then_numbers(2, 5);
        sections.push(titled(
            &format!("Paired differences ({currency}; A − B on the same runs)"),
            table(&align, &rows, 2),
        ));
        let words: Vec<String> = comparison
            .differences
            .iter()
            .map(|d| {
                // Name the plan ahead first: "`b` raises … over `a`" reads better than
                // "`a` lowers … against `b`" for the same numbers.
                let (subject, against, sign) = if d.mean < 0.0 {
                    (format!("`{}`", d.b), format!("`{}`", d.a), -1.0)
                } else {
                    (format!("`{}`", d.a), format!("`{}`", d.b), 1.0)
                };
                let ci95 = if sign < 0.0 {
                    [-d.ci95[1], -d.ci95[0]]
                } else {
                    d.ci95
                };
                let prob_better = if sign < 0.0 {
                    1.0 - d.prob_a_better
                } else {
                    d.prob_a_better
                };
                let sentence = crate::narrative::gain_sentence(
                    &crate::narrative::Gain {
                        subject: &subject,
                        against: &against,
                        mean: sign * d.mean,
                        ci95,
                        prob_better,
                        runs: comparison.runs,
                    },
                    &|v| format!("{} {currency}", money(v)),
                );
                format!("  - {sentence}")
            })
            .collect();
        sections.push(format!("In words\n{}\n", words.join("\n")));
    }
    sections.join("\n")
}

// ---------------------------------------------------------------------------------------------
// optimize
// ---------------------------------------------------------------------------------------------

pub use crate::optimize::report::{OptimizeReport, optimize_report};

/// The text report of `ceq optimize`: the split found, its CE against the baseline on fresh
/// runs, how the search ended and why it can be trusted.
pub fn render_optimization(
    scenario: &Scenario,
    settings: &Settings,
    result: &Optimization,
    report: &OptimizeReport,
) -> String {
    if let Some(whole) = whole_base(scenario) {
        // SPEC §9.2: customer equity of the full base, spends as the file states them.
        let f = scenario.sample_fraction;
        let scaled = report.scaled_to_full_base(f);
        let text = render_optimization(&whole, settings, result, &scaled);
        return format!("{}\n\n{text}", sample_notes(f));
    }
    let currency = &scenario.currency;
    let baseline_plan: &Plan = &scenario.plans[settings.baseline];
    let budget = settings.optimize.budget.map_or("no cap".to_string(), |b| {
        format!("{} {currency} per period", money(b))
    });
    let mut sections = vec![header(&[
        ("Scenario", scenario.name.clone()),
        ("Objective", describe_criterion(settings.optimize.objective)),
        ("Budget", budget),
        ("Baseline", baseline_plan.name.clone()),
        (
            "Runs",
            format!(
                "{} on fresh seed {} (search: seed {}, {} Monte Carlo runs, mean field over {} runs)",
                super::group_digits(&settings.runs.to_string()),
                result.fresh_seed,
                settings.seed,
                settings.search_runs,
                settings.mean_field_runs
            ),
        ),
    ])];
    let per_year = scenario.time.periods_per_year;
    let mut rows = vec![
        [
            "lever",
            "baseline",
            "optimized",
            "change",
            "return per 1",
            "95% CI",
        ]
        .map(str::to_string)
        .to_vec(),
    ];
    let mut totals = [0.0, 0.0];
    for lever in crate::optimize::space::all_levers(scenario) {
        if !crate::optimize::space::lever_present(scenario, lever) {
            continue;
        }
        let before = baseline_plan.spend_at(lever, 1, per_year);
        let after = result.plan.spend_at(lever, 1, per_year);
        totals[0] += before;
        totals[1] += after;
        let m = result.marginal.iter().find(|m| m.lever == lever);
        let optimized = if result.space.levers.contains(&lever) {
            money(after)
        } else {
            format!("{} (fixed)", money(after))
        };
        rows.push(vec![
            scenario.lever_name(lever),
            money(before),
            optimized,
            signed(after - before),
            m.map_or(String::new(), |m| rate(m.per_unit())),
            m.map_or(String::new(), |m| {
                let [a, b] = m.per_unit_ci95();
                format!("{} to {}", rate(a), rate(b))
            }),
        ]);
    }
    rows.push(vec![
        "total".to_string(),
        money(totals[0]),
        money(totals[1]),
        signed(totals[1] - totals[0]),
        String::new(),
        String::new(),
    ]);
    let mut align = vec![Align::Right; 6];
    align[0] = Align::Left;
    sections.push(titled(
        &format!(
            "Spend per period ({currency}; first year; return = customer equity per extra 1 \
             {currency} of discounted spend on the lever, net of it)"
        ),
        table(&align, &rows, 2),
    ));
    if let Some(shares) = &report.retention_allocation {
        let before = baseline_plan
            .retention_allocation
            .clone()
            .or_else(|| scenario.retention_program.as_ref()?.allocation.clone());
        let mut rows = vec![
            ["cohort", "baseline", "optimized"]
                .map(str::to_string)
                .to_vec(),
        ];
        for (c, (name, share)) in shares.0.iter().enumerate() {
            rows.push(vec![
                name.clone(),
                before
                    .as_ref()
                    .map_or("by size".to_string(), |b| percent(b[c])),
                percent(*share),
            ]);
        }
        sections.push(titled(
            "Retention budget shares by cohort",
            table(&[Align::Left, Align::Right, Align::Right], &rows, 2),
        ));
    }
    let ce = &report.summary.customer_equity;
    let base = &report.baseline.customer_equity;
    let d = &report.improvement;
    let rows = vec![
        vec![
            "optimized".to_string(),
            money(ce.mean),
            interval(ce.ci95),
            money(ce.p05),
            money(ce.p95),
        ],
        vec![
            report.baseline.plan.clone(),
            money(base.mean),
            interval(base.ci95),
            money(base.p05),
            money(base.p95),
        ],
        vec![
            "improvement".to_string(),
            signed(d.mean),
            interval(d.ci95),
            String::new(),
            format!("better in {} of runs", percent(d.prob_better)),
        ],
    ];
    let mut with_title = vec![
        ["plan", "mean", "95% CI", "p05", "p95"]
            .map(str::to_string)
            .to_vec(),
    ];
    with_title.extend(rows);
    sections.push(titled(
        &format!("Customer equity ({currency}, discounted; fresh seeds, paired)"),
        table(
            &[
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
            ],
            &with_title,
            2,
        ),
    ));
    if !matches!(settings.optimize.objective, Objective::Mean) {
        sections.push(format!(
            "Objective ({}): optimized {}, {} {}\n",
            describe_criterion(settings.optimize.objective),
            rate(report.objective_value.optimized),
            report.baseline.plan,
            rate(report.objective_value.baseline)
        ));
    }
    if !report.summary.channels.is_empty() {
        sections.push(super::simulate::channels(
            &report.summary.channels,
            currency,
        ));
    }
    let words: Vec<String> = report
        .explanation
        .iter()
        .map(|w| format!("  - {w}"))
        .collect();
    sections.push(format!("What this means\n{}\n", words.join("\n")));
    sections.join("\n")
}

/// The chosen plan as a `[plans.optimized]` block ready to paste into the scenario.
pub fn plan_toml(scenario: &Scenario, settings: &Settings, result: &Optimization) -> String {
    let mut out = format!(
        "# Written by ceq optimize: objective {}, budget {}, seed {}.\n# Paste into the \
         scenario file; simulate it with --plan optimized.\n[plans.optimized]\n",
        describe_criterion(settings.optimize.objective),
        settings
            .optimize
            .budget
            .map_or("none".to_string(), |b| b.to_string()),
        settings.seed
    );
    let written = |s: &SpendSchedule| {
        if s.0.len() == 1 {
            format!("{}", s.0[0])
        } else {
            format!(
                "[{}]",
                s.0.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    if let Some(a) = scenario.acquisition.as_ref().filter(|a| !a.single) {
        // Channels: acquisition = { search = 30000, social = 10000 }.
        let entries: Vec<String> = a
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let s = result.plan.schedule(Lever::Channel(i as u16));
                format!("{} = {}", c.name, written(&s))
            })
            .collect();
        out.push_str(&format!("acquisition = {{ {} }}\n", entries.join(", ")));
    }
    for lever in Lever::ALL {
        let s = &result.plan.spend[lever];
        let present = crate::optimize::space::lever_present(scenario, lever);
        if !present || s.0.iter().all(|v| *v == 0.0) && !result.space.levers.contains(&lever) {
            continue;
        }
        out.push_str(&format!("{} = {}\n", lever.name(), written(s)));
    }
    if let Some(shares) = &result.plan.retention_allocation {
        let entries: Vec<String> = scenario
            .cohorts
            .iter()
            .zip(shares)
            .map(|(c, v)| format!("{} = {v}", c.name))
            .collect();
        out.push_str(&format!(
            "retention_allocation = {{ {} }}\n",
            entries.join(", ")
        ));
    }
    out
}

#[derive(Serialize)]
struct PairedRun {
    run: u64,
    optimized: f64,
    baseline: f64,
}

/// CE of every fresh run for the chosen plan and the baseline, side by side.
pub fn paired_runs_csv(result: &Optimization) -> Result<Vec<u8>, ExportError> {
    let rows: Vec<PairedRun> = result
        .chosen
        .runs
        .iter()
        .zip(&result.baseline.runs)
        .zip(1..)
        .map(|((a, b), k)| PairedRun {
            run: k,
            optimized: a.customer_equity,
            baseline: b.customer_equity,
        })
        .collect();
    to_csv(&rows, "runs.csv")
}

// ---------------------------------------------------------------------------------------------
// frontier
// ---------------------------------------------------------------------------------------------

/// frontier.csv: one row per budget with its optimal split and CE; the columns depend on the
/// levers of the scenario.
pub fn frontier_csv(frontier: &Frontier) -> Result<Vec<u8>, ExportError> {
    frontier_records(frontier).map_err(|source| ExportError::Csv {
        file: "frontier.csv",
        source,
    })
}

/// The rows of [`frontier_csv`]: written record by record, the columns depend on the levers.
fn frontier_records(frontier: &Frontier) -> csv::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let Some(first) = frontier.points.first() else {
        return Ok(Vec::new());
    };
    let mut head: Vec<String> = vec!["budget".into(), "spend".into()];
    head.extend(first.allocation.0.iter().map(|(k, _)| k.clone()));
    if let Some(shares) = &first.retention_allocation {
        head.extend(shares.0.iter().map(|(k, _)| format!("retention_share_{k}")));
    }
    head.extend(
        [
            "ce_mean",
            "ce_ci95_low",
            "ce_ci95_high",
            "extra_ce_per_unit",
            "extra_ce_per_unit_ci95_low",
            "extra_ce_per_unit_ci95_high",
            "termination",
        ]
        .map(String::from),
    );
    writer.write_record(&head)?;
    for p in &frontier.points {
        let mut row: Vec<String> = vec![p.budget.to_string(), p.spend.to_string()];
        row.extend(p.allocation.0.iter().map(|(_, v)| v.to_string()));
        if let Some(shares) = &p.retention_allocation {
            row.extend(shares.0.iter().map(|(_, v)| v.to_string()));
        }
        row.push(p.customer_equity.mean.to_string());
        row.push(p.customer_equity.ci95[0].to_string());
        row.push(p.customer_equity.ci95[1].to_string());
        match &p.extra_ce_per_unit {
            Some(e) => {
                row.push(e.mean.to_string());
                row.push(e.ci95[0].to_string());
                row.push(e.ci95[1].to_string());
            }
            None => row.extend([String::new(), String::new(), String::new()]),
        }
        row.push(p.termination.code().to_string());
        writer.write_record(&row)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// Where the baseline plan stands against the frontier: its spend and CE on the same runs,
/// and the frontier's CE at that budget when the budgets bracket it (read off linearly).
fn today_on_the_frontier(frontier: &Frontier, currency: &str) -> String {
    let base = &frontier.baseline;
    let mut text = format!(
        "  - Today, plan {} spends {} {currency} per period; its CE is {} (95% CI {}) on the same \
         runs.",
        base.plan,
        money(base.spend),
        money(base.customer_equity.mean),
        interval(base.customer_equity.ci95)
    );
    let points: Vec<(f64, f64)> = frontier
        .points
        .iter()
        .map(|p| (p.budget, p.customer_equity.mean))
        .collect();
    if let Some((best, low, high)) = read_off(&points, base.spend) {
        text.push_str(&format!(
            " The best split of that budget is worth about {} (read off the frontier between {} \
             and {}): {} {} than today.",
            money(best),
            money(low),
            money(high),
            money((best - base.customer_equity.mean).abs()),
            if best >= base.customer_equity.mean {
                "more"
            } else {
                "less"
            }
        ));
    }
    text
}

/// The text report of `ceq frontier`: the optimal split and CE of each budget, the return of
/// an extra unit, and where the baseline plan stands.
pub fn render_frontier(frontier: &Frontier, scenario: &Scenario) -> String {
    if let Some(whole) = whole_base(scenario) {
        // SPEC §9.2: customer equity of the full base, budgets as the file states them.
        let f = scenario.sample_fraction;
        let text = render_frontier(&frontier.scaled_to_full_base(f), &whole);
        return format!("{}\n\n{text}", sample_notes(f));
    }
    let currency = &scenario.currency;
    let mut sections = vec![header(&[
        ("Scenario", frontier.scenario.clone()),
        ("Objective", describe_criterion(frontier.objective)),
        (
            "Runs",
            format!(
                "{} per budget on seed {} (the same runs for every budget; search seed {})",
                super::group_digits(&frontier.runs.to_string()),
                frontier.seed,
                frontier.search_seed
            ),
        ),
    ])];
    let Some(first) = frontier.points.first() else {
        return sections.join("\n");
    };
    let mut head: Vec<String> = vec!["budget".into()];
    head.extend(first.allocation.0.iter().map(|(k, _)| k.clone()));
    head.extend(["CE mean", "95% CI", "extra CE per extra 1", "95% CI"].map(String::from));
    let mut rows = vec![head];
    for p in &frontier.points {
        let mut row = vec![money(p.budget)];
        row.extend(p.allocation.0.iter().map(|(_, v)| money(*v)));
        row.push(money(p.customer_equity.mean));
        row.push(interval(p.customer_equity.ci95));
        match &p.extra_ce_per_unit {
            Some(e) => {
                row.push(rate(e.mean));
                row.push(format!("{} to {}", rate(e.ci95[0]), rate(e.ci95[1])));
            }
            None => row.extend([String::new(), String::new()]),
        }
        rows.push(row);
    }
    let align = vec![Align::Right; rows[0].len()];
    sections.push(titled(
        &format!("Optimal split by budget ({currency} per period; CE discounted)"),
        table(&align, &rows, 2),
    ));
    let mut words = Vec::new();
    for pair in frontier.points.windows(2) {
        if let (Some(e), Some(r)) = (&pair[1].extra_ce_per_unit, &pair[1].return_per_unit) {
            let verdict = if e.ci95[0] > 0.0 {
                "pays: it raises customer equity net of the extra spend"
            } else if e.ci95[1] < 0.0 {
                "does not pay: it costs more than it brings"
            } else {
                "cannot be told apart from no change at this many runs"
            };
            words.push(format!(
                "  - From {} to {}: each extra 1 {currency} of budget (in present value) returns \
                 {} {currency} on top of itself (95% CI {} to {}; {} per extra 1 {currency} per \
                 period over the whole horizon); the extra budget {verdict}.",
                money(pair[0].budget),
                money(pair[1].budget),
                rate(r.mean),
                rate(r.ci95[0]),
                rate(r.ci95[1]),
                rate(e.mean)
            ));
        }
    }
    words.push(today_on_the_frontier(frontier, currency));
    for p in &frontier.points {
        // More than rounding to whole units left over.
        if p.budget - p.spend > 1e-3 * p.budget.max(1000.0) {
            words.push(format!(
                "  - At {} the optimizer leaves {} unspent: more spend would not pay.",
                money(p.budget),
                money(p.budget - p.spend)
            ));
        }
    }
    if !words.is_empty() {
        sections.push(format!(
            "In words (CE is net of spend, so any positive extra CE means the budget pays)\n{}\n",
            words.join("\n")
        ));
    }
    sections.join("\n")
}

// ---------------------------------------------------------------------------------------------
// sensitivity
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct SensitivityRow<'a> {
    rank: usize,
    parameter: &'a str,
    label: &'a str,
    moved: &'a str,
    value: f64,
    low_value: f64,
    high_value: f64,
    ce_base: f64,
    ce_low: f64,
    ce_high: f64,
    effect_low: f64,
    effect_low_ci95_low: f64,
    effect_low_ci95_high: f64,
    effect_high: f64,
    effect_high_ci95_low: f64,
    effect_high_ci95_high: f64,
}

/// sensitivity.csv: one row per parameter with its CE at the low and high value.
pub fn sensitivity_csv(result: &Sensitivity) -> Result<Vec<u8>, ExportError> {
    let rows: Vec<SensitivityRow<'_>> = result
        .effects
        .iter()
        .enumerate()
        .map(|(i, e)| SensitivityRow {
            rank: i + 1,
            parameter: &e.parameter,
            label: &e.label,
            moved: e.moved,
            value: e.value,
            low_value: e.low_value,
            high_value: e.high_value,
            ce_base: result.base_customer_equity,
            ce_low: e.ce_low,
            ce_high: e.ce_high,
            effect_low: e.low.mean,
            effect_low_ci95_low: e.low.ci95[0],
            effect_low_ci95_high: e.low.ci95[1],
            effect_high: e.high.mean,
            effect_high_ci95_low: e.high.ci95[0],
            effect_high_ci95_high: e.high.ci95[1],
        })
        .collect();
    to_csv(&rows, "sensitivity.csv")
}

/// A parameter value: four decimals at most, whole units from 1,000 up.
fn short(value: f64) -> String {
    crate::format::number(value, 4)
}

/// The text report of `ceq sensitivity`: parameters ranked by their effect on mean CE; for
/// a scenario of a sample (SPEC §9.2) the full base's.
pub fn render_sensitivity(result: &Sensitivity, scenario: &Scenario) -> String {
    if whole_base(scenario).is_some() {
        // SPEC §9.2: customer equity of the full base, parameter values as the file states them.
        let f = scenario.sample_fraction;
        let text = render_sensitivity_of(&result.scaled_to_full_base(f), &scenario.currency);
        return format!("{}\n\n{text}", crate::stats::sample_note(f));
    }
    render_sensitivity_of(result, &scenario.currency)
}

fn render_sensitivity_of(result: &Sensitivity, currency: &str) -> String {
    let step = format!("{}%", result.step * 100.0);
    let mut sections = vec![header(&[
        ("Scenario", result.scenario.clone()),
        ("Plan", result.plan.clone()),
        (
            "Runs",
            format!(
                "{} per variant, seed {} (every variant on the same runs)",
                result.runs, result.seed
            ),
        ),
        ("Step", format!("±{step} (retention: ±{step} of churn)")),
        (
            "Base CE",
            format!("{} {currency}", money(result.base_customer_equity)),
        ),
    ])];
    let mut rows = vec![
        [
            "rank",
            "parameter",
            "value",
            "low → high",
            "CE effect low",
            "95% CI",
            "CE effect high",
            "95% CI",
        ]
        .map(str::to_string)
        .to_vec(),
    ];
    for (i, e) in result.effects.iter().enumerate() {
        // The label names what moved (churn, a distribution); the path is for the file.
        let (value, low, high) = e.named_values();
        rows.push(vec![
            (i + 1).to_string(),
            format!("{} [{}]", e.label, e.parameter),
            short(value),
            format!("{} → {}", short(low), short(high)),
            signed(e.low.mean),
            interval(e.low.ci95),
            signed(e.high.mean),
            interval(e.high.ci95),
        ]);
    }
    let mut align = vec![Align::Right; 8];
    align[1] = Align::Left;
    sections.push(titled(
        &format!(
            "Effect on mean customer equity ({currency}; paired with the base, largest first)"
        ),
        table(&align, &rows, 2),
    ));
    if !result.not_moved.is_empty() {
        sections.push(format!(
            "Not moved (value 0): {}\n",
            result.not_moved.join(", ")
        ));
    }
    if let Some(screening) = &result.screening {
        sections.push(format!(
            "Screened: {} of {} parameters simulated, chosen by their mean-field effects (over \
             {} runs' draws); not simulated, largest first: {}\n",
            screening.measured,
            screening.parameters,
            screening.mean_field_runs,
            screening.screened_out.join(", ")
        ));
    }
    sections.join("\n")
}
