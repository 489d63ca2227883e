//! The report as one self-contained HTML page: inline CSS, charts as `data:` PNG URIs, no
//! scripts and no network fetches, so it opens offline and survives being e-mailed.

use base64::Engine;
use serde::Serialize;

use super::data::*;
use super::{escape_html, money, money_interval, signed_money};
use crate::format::{percent, whole as thousands};
use crate::narrative::{Gain, gain_sentence};

const CSS: &str = include_str!("report.css");

/// The page's layout: a minijinja template whose every `{{ value }}` is escaped with
/// [`escape_html`] unless marked safe (only the stylesheet and the template's own macros are).
const TEMPLATE: &str = include_str!("report.html.j2");

/// The page. `charts` gives the PNG of each chart stem. Fails only if the template (part of
/// the binary) is broken, which every report test would catch.
pub fn render(
    data: &ReportData,
    charts: &[(String, crate::chart::Rendered)],
) -> Result<String, minijinja::Error> {
    environment()?
        .get_template("report.html")?
        .render(page(data, charts))
}

/// The template environment: HTML auto-escaping through [`escape_html`] (minijinja's own escaper
/// also rewrites `/`), block tags on a line of their own leave no line.
fn environment() -> Result<minijinja::Environment<'static>, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_formatter(|out, _state, value| {
        let text = value.to_string();
        let written = if value.is_safe() {
            out.write_str(&text)
        } else {
            out.write_str(&escape_html(&text))
        };
        written.map_err(|_| {
            minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "cannot write the page")
        })
    });
    env.add_template("report.html", TEMPLATE)?;
    Ok(env)
}

/// What the template shows: every string already in words, escaped on output.
#[derive(Serialize)]
struct Page<'a> {
    css: minijinja::Value,
    title: String,
    version: &'a str,
    runs: String,
    seed: u64,
    engine: &'a str,
    scenario: &'a str,
    command: &'a str,
    plan: &'a str,
    ce: Headline,
    answer: Vec<String>,
    assumptions: Vec<Group<'a>>,
    summary_rows: Vec<(String, String)>,
    simulation_figures: Vec<Figure>,
    components: Vec<(String, String)>,
    cohorts: Vec<(String, String, bool)>,
    channels: Option<ChannelTable>,
    base: Option<Base>,
    payback: Option<PaybackSection>,
    /// The "keep or clear out" sentences, one per plan and off-boarded cohort.
    offboarding: Vec<String>,
    comparison: Option<Comparison>,
    optimization: Option<Optimization>,
    frontier: Option<Frontier>,
    sensitivity: Option<Sensitivity>,
    method: &'static [&'static str],
    references: &'static [&'static str],
}

#[derive(Serialize)]
struct Headline {
    mean: String,
    ci95: String,
    p05: String,
    p95: String,
    prob_negative: String,
}

#[derive(Serialize)]
struct Group<'a> {
    title: &'a str,
    rows: &'a [(String, String)],
}

/// A chart embedded as a `data:` PNG URI.
#[derive(Serialize)]
struct Figure {
    png: String,
    alt: String,
}

#[derive(Serialize)]
struct ChannelTable {
    title: String,
    header: [&'static str; 6],
    rows: Vec<[String; 6]>,
    note: &'static str,
    sentence: Option<String>,
}

#[derive(Serialize)]
struct Base {
    header: [&'static str; 6],
    cohorts: Vec<BaseCohort>,
    figures: Vec<Figure>,
}

/// The break-even and payback section ([`super::payback`]).
#[derive(Serialize)]
struct PaybackSection {
    sentences: Vec<String>,
    header: [&'static str; 7],
    rows: Vec<[String; 7]>,
    figures: Vec<Figure>,
}

#[derive(Serialize)]
struct BaseCohort {
    sentences: Vec<String>,
    rows: Vec<[String; 6]>,
}

#[derive(Serialize)]
struct Comparison {
    figures: Vec<Figure>,
    plans: Vec<[String; 3]>,
    differences: Vec<[String; 5]>,
}

#[derive(Serialize)]
struct Optimization {
    intro: String,
    figures: Vec<Figure>,
    levers: Vec<[String; 5]>,
    channels: Option<ChannelTable>,
    phasing: Option<String>,
    termination: String,
}

#[derive(Serialize)]
struct Frontier {
    intro: String,
    figures: Vec<Figure>,
    rows: Vec<[String; 6]>,
}

#[derive(Serialize)]
struct Sensitivity {
    intro: String,
    figures: Vec<Figure>,
    rows: Vec<[String; 4]>,
}

fn page<'a>(data: &'a ReportData, charts: &[(String, crate::chart::Rendered)]) -> Page<'a> {
    let cur = data.currency.as_str();
    let ce = &data.summary.customer_equity;
    let figures = |refs: &[ChartRef]| -> Vec<Figure> {
        refs.iter().filter_map(|r| figure(r, charts)).collect()
    };
    Page {
        css: minijinja::Value::from_safe_string(CSS.to_string()),
        title: format!("Customer equity report: {}", data.scenario),
        version: &data.ceq_version,
        runs: thousands(data.runs as f64),
        seed: data.seed,
        engine: &data.engine,
        scenario: &data.scenario,
        command: &data.command,
        plan: &data.summary.plan,
        ce: Headline {
            mean: money(ce.mean, cur),
            ci95: money_interval(ce.ci95, cur),
            p05: money(ce.p05, cur),
            p95: money(ce.p95, cur),
            prob_negative: percent(ce.prob_negative),
        },
        answer: answer_sentences(data),
        assumptions: data
            .assumptions
            .iter()
            .map(|g| Group {
                title: &g.title,
                rows: &g.rows,
            })
            .collect(),
        summary_rows: summary_rows(data),
        simulation_figures: figures(&data.simulation_charts),
        components: component_rows(data),
        cohorts: cohort_rows(data),
        channels: channel_table(
            format!("Acquisition channels under {}", data.summary.plan),
            &data.summary.channels,
            cur,
        ),
        base: (!data.summary.existing_base.is_empty()).then(|| Base {
            header: super::base::HEADER,
            cohorts: data
                .summary
                .existing_base
                .iter()
                .map(|c| BaseCohort {
                    sentences: super::base::sentences(c, data.summary.periods.len(), cur),
                    rows: super::base::segment_rows(c, cur),
                })
                .collect(),
            figures: figures(&data.base_charts),
        }),
        payback: (!data.summary.payback.is_empty()).then(|| PaybackSection {
            sentences: super::payback::sentences(data),
            header: super::payback::HEADER,
            rows: super::payback::rows(&data.summary.payback, cur),
            figures: figures(&data.payback_charts),
        }),
        offboarding: super::seed_levers::sentences(data),
        comparison: data.comparison.as_ref().map(|c| Comparison {
            figures: figures(&c.charts),
            plans: c
                .plans
                .iter()
                .map(|(name, mean, ci)| [name.clone(), money(*mean, cur), money_interval(*ci, cur)])
                .collect(),
            differences: c
                .differences
                .iter()
                .map(|d| {
                    [
                        d.a.clone(),
                        d.b.clone(),
                        signed_money(d.mean, cur),
                        money_interval(d.ci95, cur),
                        percent(d.prob_a_better),
                    ]
                })
                .collect(),
        }),
        optimization: data.optimization.as_ref().map(|o| Optimization {
            intro: optimization_intro(o, cur, &data.period),
            figures: figures(&o.charts),
            levers: o
                .levers
                .iter()
                .map(|row| {
                    let (m, ci) = match row.marginal {
                        Some((v, ci)) => {
                            (format!("{v:.2}"), format!("{:.2} to {:.2}", ci[0], ci[1]))
                        }
                        None => ("n/a".to_string(), String::new()),
                    };
                    [
                        row.lever.clone(),
                        money(row.current, cur),
                        money(row.optimized, cur),
                        m,
                        ci,
                    ]
                })
                .collect(),
            channels: channel_table(
                "What each channel buys under the optimized plan".to_string(),
                &o.channels,
                cur,
            ),
            phasing: o.phasing.as_ref().map(|p| super::phasing_sentence(p, cur)),
            termination: o.termination.clone(),
        }),
        frontier: data.frontier.as_ref().map(|f| Frontier {
            intro: frontier_intro(f, cur, &data.period),
            figures: figures(std::slice::from_ref(&f.chart)),
            rows: frontier_rows(f, cur),
        }),
        sensitivity: data.sensitivity.as_ref().map(|s| Sensitivity {
            intro: sensitivity_intro(s),
            figures: figures(std::slice::from_ref(&s.chart)),
            rows: s
                .effects
                .iter()
                .map(|e| {
                    [
                        e.label.clone(),
                        super::describe::number(e.named_values().0, 4),
                        signed_money(e.low.mean, cur),
                        signed_money(e.high.mean, cur),
                    ]
                })
                .collect(),
        }),
        method: &METHOD,
        references: &REFERENCES,
    }
}

/// The channel table of a section, or nothing without channels.
fn channel_table(
    title: String,
    channels: &[crate::stats::ChannelSummary],
    currency: &str,
) -> Option<ChannelTable> {
    (!channels.is_empty()).then(|| ChannelTable {
        title,
        header: super::channels::HEADERS,
        rows: super::channels::rows(channels, currency),
        note: super::channels::NOTE,
        sentence: super::channels::sentence(channels, currency),
    })
}

/// The chart of `chart.stem` as a figure, when it was drawn.
fn figure(chart: &ChartRef, charts: &[(String, crate::chart::Rendered)]) -> Option<Figure> {
    let (_, rendered) = charts.iter().find(|(stem, _)| *stem == chart.stem)?;
    Some(Figure {
        png: base64::engine::general_purpose::STANDARD.encode(&rendered.png),
        alt: chart.alt.clone(),
    })
}

/// The sentences after the headline: best plan and optimization.
pub(super) fn answer_sentences(data: &ReportData) -> Vec<String> {
    let cur = data.currency.as_str();
    let mut out: Vec<String> = data
        .sample_fraction
        .map(super::sample::note)
        .into_iter()
        .collect();
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
