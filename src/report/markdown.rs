//! The report as Markdown, with the charts beside it as `STEM.png` (and `STEM.svg`).

use std::fmt::Write;

use super::data::*;
use super::html::{
    METHOD, REFERENCES, answer_sentences, cohort_rows, component_rows, frontier_intro,
    frontier_rows, optimization_intro, sensitivity_intro, summary_rows,
};
use super::{escape_markdown as esc, money, money_interval, signed_money};
use crate::format::{percent, whole as thousands};

/// The Markdown text; charts are linked as files in the same directory.
pub fn render(data: &ReportData) -> String {
    let cur = data.currency.as_str();
    // The currency label is user text: escaped once where it is printed bare, and inside the
    // sentences (built with the raw label) by their own `esc`.
    let cur_md = esc(cur);
    let cur_md = cur_md.as_str();
    let mut m = String::new();
    let _ = writeln!(m, "# Customer equity report: {}\n", esc(&data.scenario));
    let _ = writeln!(
        m,
        "ceq {} · {} runs · seed {} · engine {}\n",
        esc(&data.ceq_version),
        thousands(data.runs as f64),
        data.seed,
        esc(&data.engine)
    );
    m.push_str("## The answer\n\n");
    let ce = &data.summary.customer_equity;
    let _ = writeln!(
        m,
        "Customer equity under the **{}** plan: **{}** (95% CI {}). In 90% of runs it lies \
         between {} and {}; the chance it is negative is {}.\n",
        esc(&data.summary.plan),
        money(ce.mean, cur_md),
        money_interval(ce.ci95, cur_md),
        money(ce.p05, cur_md),
        money(ce.p95, cur_md),
        percent(ce.prob_negative)
    );
    for s in answer_sentences(data) {
        let _ = writeln!(m, "{}\n", esc(&s));
    }
    m.push_str("## Assumptions\n\n");
    for group in &data.assumptions {
        let _ = writeln!(
            m,
            "### {}\n\n| Parameter | Value |\n|---|---|",
            esc(&group.title)
        );
        for (k, v) in &group.rows {
            let _ = writeln!(m, "| {} | {} |", esc(k), esc(v));
        }
        m.push('\n');
    }
    m.push_str("## Simulation\n\n| Statistic | Value |\n|---|---:|\n");
    for (k, v) in summary_rows(data) {
        let _ = writeln!(m, "| {} | {} |", esc(&k), esc(&v));
    }
    m.push('\n');
    for chart in &data.simulation_charts {
        image(&mut m, chart);
    }
    m.push_str("| Component | Discounted mean |\n|---|---:|\n");
    for (k, v) in component_rows(data) {
        let _ = writeln!(m, "| {} | {} |", esc(&k), esc(&v));
    }
    m.push_str("\n| Cohort | Discounted mean |\n|---|---:|\n");
    for (k, v, total) in cohort_rows(data) {
        let bold = if total { "**" } else { "" };
        let _ = writeln!(m, "| {bold}{}{bold} | {bold}{}{bold} |", esc(&k), esc(&v));
    }
    m.push('\n');
    m.push_str(&super::channels::markdown(
        &format!("Acquisition channels under {}", data.summary.plan),
        &data.summary.channels,
        cur,
    ));
    m.push_str(&super::base::markdown(data, &data.base_charts));
    m.push_str(&super::seed_levers::markdown(data));
    m.push_str(&super::payback::markdown(data, &data.payback_charts));
    if let Some(c) = &data.comparison {
        m.push_str("## Plan comparison\n\nPlans are simulated on the same runs (common random numbers).\n\n");
        for chart in &c.charts {
            image(&mut m, chart);
        }
        m.push_str("| Plan | Mean CE | 95% CI |\n|---|---:|---:|\n");
        for (name, mean, ci) in &c.plans {
            let _ = writeln!(
                m,
                "| {} | {} | {} |",
                esc(name),
                money(*mean, cur_md),
                money_interval(*ci, cur_md)
            );
        }
        m.push('\n');
        if !c.differences.is_empty() {
            m.push_str(
                "| A − B | Mean difference | 95% CI | P(A better) |\n|---|---:|---:|---:|\n",
            );
            for d in &c.differences {
                let _ = writeln!(
                    m,
                    "| {} − {} | {} | {} | {} |",
                    esc(&d.a),
                    esc(&d.b),
                    signed_money(d.mean, cur_md),
                    money_interval(d.ci95, cur_md),
                    percent(d.prob_a_better)
                );
            }
            m.push('\n');
        }
    }
    if let Some(o) = &data.optimization {
        m.push_str("## Optimization\n\n");
        let _ = writeln!(m, "{}\n", esc(&optimization_intro(o, cur, &data.period)));
        for chart in &o.charts {
            image(&mut m, chart);
        }
        m.push_str("| Lever | Current | Optimized | Return per extra 1 | 95% CI |\n|---|---:|---:|---:|---:|\n");
        for row in &o.levers {
            let (v, ci) = match row.marginal {
                Some((v, ci)) => (format!("{v:.2}"), format!("{:.2} to {:.2}", ci[0], ci[1])),
                None => ("n/a".to_string(), String::new()),
            };
            let _ = writeln!(
                m,
                "| {} | {} | {} | {v} | {ci} |",
                esc(&row.lever),
                money(row.current, cur_md),
                money(row.optimized, cur_md)
            );
        }
        m.push('\n');
        m.push_str(&super::channels::markdown(
            "What each channel buys under the optimized plan",
            &o.channels,
            cur,
        ));
        if let Some(p) = &o.phasing {
            let _ = writeln!(m, "\n{}", esc(&super::phasing_sentence(p, cur)));
        }
        let _ = writeln!(m, "\nThe search stopped: {}.\n", esc(&o.termination));
    }
    if let Some(f) = &data.frontier {
        m.push_str("## What each budget buys\n\n");
        let _ = writeln!(m, "{}\n", esc(&frontier_intro(f, cur, &data.period)));
        image(&mut m, &f.chart);
        m.push_str(
            "| Budget | Best split spends | Mean CE of the best split | 95% CI | Extra CE per \
             extra 1 | 95% CI |\n|---:|---:|---:|---:|---:|---:|\n",
        );
        for row in frontier_rows(f, cur) {
            let _ = writeln!(m, "| {} |", row.map(|c| esc(&c)).join(" | "));
        }
        m.push('\n');
    }
    if let Some(s) = &data.sensitivity {
        m.push_str("## Sensitivity\n\n");
        let _ = writeln!(m, "{}\n", esc(&sensitivity_intro(s)));
        image(&mut m, &s.chart);
        m.push_str("| Parameter | Value | CE change, 10% lower | CE change, 10% higher |\n|---|---:|---:|---:|\n");
        for e in &s.effects {
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} |",
                esc(&e.label),
                super::describe::number(e.named_values().0, 4),
                signed_money(e.low.mean, cur_md),
                signed_money(e.high.mean, cur_md)
            );
        }
        m.push('\n');
    }
    m.push_str("## Method\n\n");
    for p in METHOD {
        let _ = writeln!(m, "{}\n", esc(p));
    }
    for r in REFERENCES {
        let _ = writeln!(m, "- {}", esc(r));
    }
    let _ = writeln!(
        m,
        "\n---\n\nMade by ceq {} · scenario {} · seed {} · {} runs · engine {}. Re-create this \
         report with:\n\n```\n{}\n```",
        esc(&data.ceq_version),
        esc(&data.scenario),
        data.seed,
        thousands(data.runs as f64),
        esc(&data.engine),
        data.command
    );
    m
}

/// Table rows, one line each, every cell escaped ([`esc`]).
pub(super) fn table_rows<const N: usize>(m: &mut String, rows: Vec<[String; N]>) {
    for row in rows {
        let cells: Vec<String> = row.iter().map(|x| esc(x)).collect();
        let _ = writeln!(m, "| {} |", cells.join(" | "));
    }
}

/// A chart as a Markdown image of its PNG with a link to its SVG.
pub(super) fn image(m: &mut String, chart: &ChartRef) {
    let _ = writeln!(
        m,
        "![{}]({}.png)\n\n[SVG]({}.svg)\n",
        esc(&chart.alt),
        chart.stem,
        chart.stem
    );
}
