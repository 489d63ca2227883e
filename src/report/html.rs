//! The report as one self-contained HTML page: inline CSS, charts as `data:` PNG URIs, no
//! scripts and no network fetches, so it opens offline and survives being e-mailed.

use base64::Engine;
use std::fmt::Write;

use super::data::*;
use super::{escape_html as esc, money, money_interval, signed_money};
use crate::chart::theme::{percent, thousands};
use crate::narrative::{Gain, gain_sentence};

const CSS: &str = include_str!("report.css");

/// The page. `charts` gives the PNG of each chart stem.
pub fn render(data: &ReportData, charts: &[(String, crate::chart::Rendered)]) -> String {
    let cur = data.currency.as_str();
    let mut h = String::new();
    let title = format!("Customer equity report: {}", data.scenario);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">ceq {} · {} runs · seed {} · engine {}</p>",
        esc(&data.ceq_version),
        thousands(data.runs as f64),
        data.seed,
        esc(&data.engine)
    );

    // (1) The answer.
    h.push_str("<section id=\"answer\">\n<h2>The answer</h2>\n<div class=\"answer\">\n");
    let ce = &data.summary.customer_equity;
    let _ = writeln!(
        h,
        "<p class=\"headline\">Customer equity under the <b>{}</b> plan: <b>{}</b></p>\n\
         <p>95% confidence interval of the mean: {}. In 90% of runs it lies between {} and {}; \
         the chance it is negative is {}.</p>",
        esc(&data.summary.plan),
        esc(&money(ce.mean, cur)),
        esc(&money_interval(ce.ci95, cur)),
        esc(&money(ce.p05, cur)),
        esc(&money(ce.p95, cur)),
        percent(ce.prob_negative)
    );
    for sentence in answer_sentences(data) {
        let _ = writeln!(h, "<p>{}</p>", esc(&sentence));
    }
    h.push_str("</div>\n</section>\n");

    // (2) Assumptions.
    h.push_str("<section id=\"assumptions\">\n<h2>Assumptions</h2>\n");
    for group in &data.assumptions {
        let _ = writeln!(h, "<h3>{}</h3>\n<table class=\"kv\">", esc(&group.title));
        for (k, v) in &group.rows {
            let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        h.push_str("</table>\n");
    }
    h.push_str("</section>\n");

    // (3) Simulation.
    h.push_str("<section id=\"simulation\">\n<h2>Simulation</h2>\n");
    let _ = writeln!(
        h,
        "<p>{} Monte Carlo runs of the <b>{}</b> plan.</p>",
        thousands(data.runs as f64),
        esc(&data.summary.plan)
    );
    h.push_str("<table class=\"num\">\n<tr><th>Statistic</th><th>Value</th></tr>\n");
    for (k, v) in summary_rows(data) {
        let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(&k), esc(&v));
    }
    h.push_str("</table>\n");
    for chart in &data.simulation_charts {
        figure(&mut h, chart, charts);
    }
    h.push_str("<h3>Components</h3>\n<table class=\"num\">\n<tr><th>Component</th><th>Discounted mean</th></tr>\n");
    for (k, v) in component_rows(data) {
        let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(&k), esc(&v));
    }
    h.push_str("</table>\n");
    h.push_str("<h3>By cohort</h3>\n<table class=\"num\">\n<tr><th>Cohort</th><th>Discounted mean</th></tr>\n");
    for (k, v, total) in cohort_rows(data) {
        let (open, close) = if total {
            ("<strong>", "</strong>")
        } else {
            ("", "")
        };
        let _ = writeln!(
            h,
            "<tr><td>{open}{}{close}</td><td>{open}{}{close}</td></tr>",
            esc(&k),
            esc(&v)
        );
    }
    h.push_str("</table>\n");
    h.push_str(&super::channels::html(
        &format!("Acquisition channels under {}", data.summary.plan),
        &data.summary.channels,
        cur,
    ));
    h.push_str("</section>\n");
    h.push_str(&super::base::html(data, &data.base_charts, charts));
    h.push_str(&super::payback::html(data, &data.payback_charts, charts));

    // (4) Comparison.
    if let Some(c) = &data.comparison {
        h.push_str("<section id=\"comparison\">\n<h2>Plan comparison</h2>\n");
        h.push_str(
            "<p>Every plan is simulated on the same runs (common random numbers), so each \
             difference is measured run by run.</p>\n",
        );
        for chart in &c.charts {
            figure(&mut h, chart, charts);
        }
        h.push_str(
            "<table class=\"num\">\n<tr><th>Plan</th><th>Mean CE</th><th>95% CI</th></tr>\n",
        );
        for (name, mean, ci) in &c.plans {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(name),
                esc(&money(*mean, cur)),
                esc(&money_interval(*ci, cur))
            );
        }
        h.push_str("</table>\n");
        if !c.differences.is_empty() {
            h.push_str("<table class=\"num\">\n<tr><th>A − B</th><th>Mean difference</th><th>95% CI</th><th>P(A better)</th></tr>\n");
            for d in &c.differences {
                let _ = writeln!(
                    h,
                    "<tr><td>{} − {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&d.a),
                    esc(&d.b),
                    esc(&signed_money(d.mean, cur)),
                    esc(&money_interval(d.ci95, cur)),
                    percent(d.prob_a_better)
                );
            }
            h.push_str("</table>\n");
        }
        h.push_str("</section>\n");
    }

    // (5) Optimization.
    if let Some(o) = &data.optimization {
        h.push_str("<section id=\"optimization\">\n<h2>Optimization</h2>\n");
        let _ = writeln!(
            h,
            "<p>{}</p>",
            esc(&optimization_intro(o, cur, &data.period))
        );
        for chart in &o.charts {
            figure(&mut h, chart, charts);
        }
        h.push_str(
            "<table class=\"num\">\n<tr><th>Lever</th><th>Current</th><th>Optimized</th>\
             <th>Return per extra 1</th><th>95% CI</th></tr>\n",
        );
        for row in &o.levers {
            let (m, ci) = match row.marginal {
                Some((v, ci)) => (format!("{v:.2}"), format!("{:.2} to {:.2}", ci[0], ci[1])),
                None => ("n/a".to_string(), String::new()),
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&row.lever),
                esc(&money(row.current, cur)),
                esc(&money(row.optimized, cur)),
                esc(&m),
                esc(&ci)
            );
        }
        h.push_str("</table>\n");
        h.push_str(&super::channels::html(
            "What each channel buys under the optimized plan",
            &o.channels,
            cur,
        ));
        if let Some(p) = &o.phasing {
            let _ = writeln!(h, "<p>{}</p>", esc(&super::phasing_sentence(p, cur)));
        }
        let _ = writeln!(
            h,
            "<p>The search stopped: {}.</p>\n</section>",
            esc(&o.termination)
        );
    }

    // (5b) Budget frontier.
    if let Some(f) = &data.frontier {
        h.push_str("<section id=\"frontier\">\n<h2>What each budget buys</h2>\n");
        let _ = writeln!(h, "<p>{}</p>", esc(&frontier_intro(f, cur, &data.period)));
        figure(&mut h, &f.chart, charts);
        h.push_str(
            "<table class=\"num\">\n<tr><th>Budget</th><th>Best split spends</th>\
             <th>Mean CE of the best split</th><th>95% CI</th><th>Extra CE per extra 1</th>\
             <th>95% CI</th></tr>\n",
        );
        for row in frontier_rows(f, cur) {
            let cells: String = row.iter().map(|c| format!("<td>{}</td>", esc(c))).collect();
            let _ = writeln!(h, "<tr>{cells}</tr>");
        }
        h.push_str("</table>\n</section>\n");
    }

    // (6) Sensitivity.
    if let Some(s) = &data.sensitivity {
        h.push_str("<section id=\"sensitivity\">\n<h2>Sensitivity</h2>\n");
        let _ = writeln!(h, "<p>{}</p>", esc(&sensitivity_intro(s)));
        figure(&mut h, &s.chart, charts);
        h.push_str("<table class=\"num\">\n<tr><th>Parameter</th><th>Value</th><th>CE change, 10% lower</th><th>CE change, 10% higher</th></tr>\n");
        for e in &s.effects {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.label),
                esc(&super::describe::number(e.named_values().0, 4)),
                esc(&signed_money(e.low.mean, cur)),
                esc(&signed_money(e.high.mean, cur))
            );
        }
        h.push_str("</table>\n</section>\n");
    }

    // (7) Method.
    h.push_str("<section id=\"method\">\n<h2>Method</h2>\n");
    for paragraph in METHOD {
        let _ = writeln!(h, "<p>{}</p>", esc(paragraph));
    }
    h.push_str("<ul class=\"refs\">\n");
    for reference in REFERENCES {
        let _ = writeln!(h, "<li>{}</li>", esc(reference));
    }
    h.push_str("</ul>\n</section>\n");

    // (8) Footer.
    let _ = writeln!(
        h,
        "<footer>\n<p>Made by ceq {} · scenario {} · seed {} · {} runs · engine {}</p>\n\
         <p>Re-create this report with:</p>\n<pre><code>{}</code></pre>\n</footer>",
        esc(&data.ceq_version),
        esc(&data.scenario),
        data.seed,
        thousands(data.runs as f64),
        esc(&data.engine),
        esc(&data.command)
    );
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn figure(h: &mut String, chart: &ChartRef, charts: &[(String, crate::chart::Rendered)]) {
    let Some((_, rendered)) = charts.iter().find(|(stem, _)| *stem == chart.stem) else {
        return;
    };
    let data = base64::engine::general_purpose::STANDARD.encode(&rendered.png);
    let _ = writeln!(
        h,
        "<figure><img src=\"data:image/png;base64,{data}\" alt=\"{}\" width=\"960\" height=\"540\">\
         <figcaption>{}</figcaption></figure>",
        esc(&chart.alt),
        esc(&chart.alt)
    );
}

/// The sentences after the headline: best plan and optimization.
pub(super) fn answer_sentences(data: &ReportData) -> Vec<String> {
    let cur = data.currency.as_str();
    let mut out = Vec::new();
    let amount = |v: f64| money(v, cur);
    if let Some(best) = &data.best {
        match &best.gain {
            Some(g) => {
                let subject = format!("The best plan by mean customer equity, {},", best.name);
                out.push(format!(
                    "{} It is worth {} on average.",
                    gain_sentence(
                        &Gain {
                            subject: &subject,
                            against: &best.baseline,
                            mean: g.mean,
                            ci95: g.ci95,
                            prob_better: g.prob_a_better,
                            runs: data.runs,
                        },
                        &amount
                    ),
                    money(best.mean, cur)
                ));
            }
            None => {
                if data.comparison.as_ref().is_some_and(|c| c.plans.len() > 1) {
                    out.push(format!(
                        "The best plan by mean customer equity is the baseline, {}, at {}: \
                         no other plan beats it (see the plan comparison).",
                        best.baseline,
                        money(best.mean, cur)
                    ));
                }
            }
        }
    }
    if let Some(o) = &data.optimization {
        out.push(gain_sentence(
            &Gain {
                subject: "The optimized budget split",
                against: &o.baseline,
                mean: o.gain_mean,
                ci95: o.gain_ci95,
                prob_better: o.prob_better,
                runs: o.runs,
            },
            &amount,
        ));
    }
    if let Some(sentence) = data
        .frontier
        .as_ref()
        .and_then(|f| budget_sentence(f, cur, &data.period))
    {
        out.push(sentence);
    }
    out
}

/// What the next step of budget above today's spend buys, split optimally: the frontier's
/// paired extra CE per extra unit between the two budgets around the step.
fn budget_sentence(f: &FrontierSection, cur: &str, period: &str) -> Option<String> {
    let Some(pair) = f
        .points
        .windows(2)
        .find(|w| w[1].budget > f.baseline_spend && w[1].extra_per_unit.is_some())
    else {
        // Today's spend is beyond every budget of the frontier.
        let last = f.points.last()?;
        return (last.budget - last.spend > 0.01 * last.budget).then(|| {
            format!(
                "The best split needs only {} per {period}; more budget would not pay.",
                money(last.spend, cur)
            )
        });
    };
    let unspent = pair[0].budget - pair[0].spend;
    if unspent > 0.01 * pair[0].budget {
        return Some(format!(
            "More budget would not pay: at {} per {period} the best split already leaves {} \
             unspent.",
            money(pair[0].budget, cur),
            money(unspent, cur)
        ));
    }
    let (mean, ci) = pair[1].extra_per_unit?;
    let verdict = if ci[0] > 0.0 {
        "so more budget pays"
    } else if ci[1] < 0.0 {
        "so more budget does not pay"
    } else {
        "too close to zero to call"
    };
    Some(format!(
        "Raising the budget from {} to {} per {period}, split optimally, adds {} {} of \
         customer equity for each extra {cur} 1 of budget per {period} (95% CI {} to {}), net \
         of the extra spend: {verdict}.",
        money(pair[0].budget, cur),
        money(pair[1].budget, cur),
        cur,
        super::describe::number(mean, 2),
        super::describe::number(ci[0], 2),
        super::describe::number(ci[1], 2)
    ))
}

pub(super) fn summary_rows(data: &ReportData) -> Vec<(String, String)> {
    let cur = data.currency.as_str();
    let ce = &data.summary.customer_equity;
    vec![
        ("Mean customer equity".to_string(), money(ce.mean, cur)),
        (
            "95% CI of the mean".to_string(),
            money_interval(ce.ci95, cur),
        ),
        ("Standard deviation".to_string(), money(ce.sd, cur)),
        ("5th percentile".to_string(), money(ce.p05, cur)),
        ("Median".to_string(), money(ce.p50, cur)),
        ("95th percentile".to_string(), money(ce.p95, cur)),
        (
            "Probability negative".to_string(),
            percent(ce.prob_negative),
        ),
        (
            "From existing customers".to_string(),
            money(data.summary.origin.existing, cur),
        ),
        (
            "From new customers".to_string(),
            money(data.summary.origin.new, cur),
        ),
    ]
}

/// The cohort table, reconciled to CE (label, amount, whether it is the total).
pub(super) fn cohort_rows(data: &ReportData) -> Vec<(String, String, bool)> {
    let cur = data.currency.as_str();
    data.summary
        .cohort_reconciliation()
        .into_iter()
        .map(|r| (r.label, signed_money(r.value, cur), r.total))
        .collect()
}

pub(super) fn component_rows(data: &ReportData) -> Vec<(String, String)> {
    let cur = data.currency.as_str();
    let c = &data.summary.components;
    [
        ("Purchase margin", c.purchase_margin),
        ("Extra value", c.extra_value),
        ("Cost to serve", c.cost_to_serve),
        ("Acquisition spend", c.acquisition),
        ("Onboarding", c.onboarding),
        ("Retention spend", c.retention),
        ("Driver spend", c.drivers),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), signed_money(v, cur)))
    .collect()
}

pub(super) fn optimization_intro(o: &OptimizationSection, cur: &str, period: &str) -> String {
    let budget = match o.budget {
        Some(b) => format!("a budget of {} per {period}", money(b, cur)),
        None => "no budget cap".to_string(),
    };
    let unallocated = match o.unallocated {
        Some(u) if u >= 1.0 && u > 0.005 * o.budget.unwrap_or(0.0) => {
            format!(" {} of the budget is left unspent.", money(u, cur))
        }
        _ => String::new(),
    };
    format!(
        "The split of {budget} across levers that maximizes {}. The optimized plan's mean \
         customer equity is {}, {} versus {} (95% CI {}, better in {} of paired runs). The \
         return of a lever is the customer equity each extra {cur} of (discounted) spend on it \
         adds, net of that {cur}: 0 where spending more stops paying.{unallocated}",
        o.objective,
        money(o.optimized_mean, cur),
        signed_money(o.gain_mean, cur),
        o.baseline,
        money_interval(o.gain_ci95, cur),
        percent(o.prob_better)
    )
}

pub(super) fn sensitivity_intro(s: &SensitivitySection) -> String {
    let screened = match s.screening {
        Some((measured, parameters)) => format!(
            " To save time, {measured} of the {parameters} parameters were simulated: those \
             with the largest effects in a fast deterministic (mean-field) screen."
        ),
        None => String::new(),
    };
    format!(
        "Each parameter moved {} down and up (retention through its churn), {} runs per \
         variant on the same seeds; the {} with the largest effect on mean customer \
         equity.{screened}",
        percent(s.step),
        thousands(s.runs as f64),
        s.effects.len()
    )
}

pub(super) fn frontier_intro(f: &FrontierSection, cur: &str, period: &str) -> String {
    let (first, last) = match (f.points.first(), f.points.last()) {
        (Some(a), Some(b)) => (a.budget, b.budget),
        _ => (0.0, 0.0),
    };
    let mut text = format!(
        "The best split of each budget from {} to {} per {period}, every budget simulated on \
         the same {} runs. Today the {} plan spends {} per {period}; its customer equity on \
         those runs is {} (95% CI {}).",
        money(first, cur),
        money(last, cur),
        thousands(f.runs as f64),
        f.baseline,
        money(f.baseline_spend, cur),
        money(f.baseline_mean, cur),
        money_interval(f.baseline_ci95, cur)
    );
    let points: Vec<(f64, f64)> = f.points.iter().map(|p| (p.budget, p.mean)).collect();
    let beyond = f.points.last().filter(|last| {
        f.baseline_spend > last.budget && last.budget - last.spend > 0.01 * last.budget
    });
    if let Some(last) = beyond {
        let gap = last.mean - f.baseline_mean;
        text.push_str(&format!(
            " The best split of any budget above {} spends {} and is worth {}, {} {} than \
             today's plan.",
            money(last.spend, cur),
            money(last.spend, cur),
            money(last.mean, cur),
            money(gap.abs(), cur),
            if gap >= 0.0 { "more" } else { "less" }
        ));
    } else if let Some((best, _, _)) = crate::plans::frontier::read_off(&points, f.baseline_spend) {
        let gap = best - f.baseline_mean;
        text.push_str(&format!(
            " The best split of the same budget is worth about {}, {} {} than today's split \
             (read off the curve between the budgets around it).",
            money(best, cur),
            money(gap.abs(), cur),
            if gap >= 0.0 { "more" } else { "less" }
        ));
    }
    text
}

/// Cells of the frontier table: budget, spend, mean, CI, extra CE per extra unit and its CI.
pub(super) fn frontier_rows(f: &FrontierSection, cur: &str) -> Vec<[String; 6]> {
    f.points
        .iter()
        .map(|p| {
            let (extra, extra_ci) = match p.extra_per_unit {
                Some((m, ci)) => (
                    super::describe::number(m, 2),
                    format!(
                        "{} to {}",
                        super::describe::number(ci[0], 2),
                        super::describe::number(ci[1], 2)
                    ),
                ),
                None => (String::new(), String::new()),
            };
            [
                money(p.budget, cur),
                money(p.spend, cur),
                money(p.mean, cur),
                money_interval(p.ci95, cur),
                extra,
                extra_ci,
            ]
        })
        .collect()
}

pub(super) const METHOD: [&str; 5] = [
    "Customer equity is the discounted value of the margins of all present and future \
     customers, net of the marketing spend that wins and keeps them (Blattberg & Deighton \
     1996; Gupta, Lehmann & Stuart 2004).",
    "Each Monte Carlo run simulates retention, purchases and order values per customer or per \
     cohort, draws every uncertain parameter anew and discounts each period's cash flow; the \
     report gives means with 95% confidence intervals and percentiles across runs. Retention \
     follows a constant rate, a Beta mix or the shifted-beta-geometric model (Fader & Hardie \
     2007); purchasing and dropout can follow BG/NBD (Fader, Hardie & Lee 2005); customer \
     migration between tiers follows Pfeifer & Carraway (2000).",
    "Marketing levers act through response curves with diminishing returns; the value, brand \
     and relationship drivers follow Rust, Lemon & Zeithaml (2004). Plans are compared on \
     common random numbers, so differences are paired run by run.",
    "The optimization maximizes the simulated customer equity on common random numbers \
     (started from a mean-field expectation), certifies the answer's marginal returns against \
     the optimality conditions on fresh runs, and evaluates the chosen plan and the baseline \
     on fresh, independent seeds.",
    "The response curves are Monte Carlo values as one lever's spend moves with the \
     others held at the optimized plan; the frontier repeats the search at each budget and \
     simulates every choice on the same runs. The sensitivity analysis moves one parameter at \
     a time (Saltelli et al. 2008).",
];

pub(super) const REFERENCES: [&str; 7] = [
    "Blattberg, R. C., & Deighton, J. (1996). Manage marketing by the customer equity test. \
     Harvard Business Review, 74(4), 136–144.",
    "Rust, R. T., Lemon, K. N., & Zeithaml, V. A. (2004). Return on marketing: Using customer \
     equity to focus marketing strategy. Journal of Marketing, 68(1), 109–127.",
    "Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. Journal of \
     Interactive Marketing, 21(1), 76–90.",
    "Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). \"Counting your customers\" the easy \
     way: An alternative to the Pareto/NBD model. Marketing Science, 24(2), 275–284.",
    "Pfeifer, P. E., & Carraway, R. L. (2000). Modeling customer relationships as Markov \
     chains. Journal of Interactive Marketing, 14(2), 43–55.",
    "Gupta, S., Lehmann, D. R., & Stuart, J. A. (2004). Valuing customers. Journal of \
     Marketing Research, 41(1), 7–18.",
    "Saltelli, A., Ratto, M., Andres, T., et al. (2008). Global Sensitivity Analysis: The \
     Primer. Wiley.",
];
