//! The text of the fit commands (`ceq fit survival`, `transactions`, `response`,
//! `retention-test`, SPEC §14): what a strategist reads about a fit, from the result documents
//! of [`crate::fit`]. Moved from the command line (issue 14), byte for byte.

use std::fmt::Write as _;
use std::path::Path;

use super::{Align, pad};
use crate::fit::Estimate;
use crate::fit::fitted_scenario::significant;
use crate::fit::report::{HoldoutCheck, SurvivalFit, TransactionsFit};
use crate::fit::response::{self, ChannelFit, Holdout, ResponseFit};
use crate::fit::retention_test::{Fitted, RetentionTestFit};
use crate::fit::scores::{self, Scores};
use crate::fit::transactions::TimeUnit;
use crate::fit::{bgnbd, gamma_gamma};
use crate::format::percent_figure as percent;
use crate::model::closed_form::bgnbd_expected_purchases;

/// The file's name without its directory, for subtitles and the comments of written files.
pub fn file_name(file: &Path) -> String {
    file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The header of the parameter table the fits print.
pub fn parameter_header(out: &mut String) {
    let _ = writeln!(
        out,
        "  {:<10} {:>10}  {:>10}   95% interval",
        "parameter", "estimate", "std. error"
    );
}

/// "0.704 ± …" columns: estimate, standard error and 95% interval.
pub fn parameter_row(out: &mut String, name: &str, estimate: &Estimate) {
    let (se, interval) = match (estimate.std_error, estimate.ci95()) {
        (Some(se), Some((lo, hi))) => (
            significant(se, 3),
            format!("{} – {}", significant(lo, 4), significant(hi, 4)),
        ),
        _ => ("unknown".to_string(), "unknown".to_string()),
    };
    let _ = writeln!(
        out,
        "  {name:<10} {:>10}  {se:>10}   {interval}",
        significant(estimate.value, 4)
    );
}

/// A count as a whole number when it is one (customers alive, purchases).
pub fn count(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        significant(x, 6)
    }
}

/// The text of `ceq fit survival` for one fitted column: parameters, fitted against actual
/// counts, projected retention rates and the line to paste into a scenario.
pub fn render_survival(out: &mut String, file: &Path, result: &SurvivalFit) {
    let alpha = Estimate {
        value: result.alpha,
        std_error: result.std_errors.alpha,
    };
    let beta = Estimate {
        value: result.beta,
        std_error: result.std_errors.beta,
    };
    let _ = writeln!(
        out,
        "sBG churn model for '{}' ({}, periods 0..{} fitted)\n",
        result.column,
        file.display(),
        result.through
    );
    parameter_header(out);
    parameter_row(out, "alpha", &alpha);
    parameter_row(out, "beta", &beta);
    let _ = writeln!(out, "  log-likelihood {:.2}\n", result.log_likelihood);
    let first = result.retention_rates[0].rate;
    let at_through = result.retention_rates[result.through.max(1) - 1].rate;
    let _ = writeln!(
        out,
        "  Customers differ in how likely they are to leave: a new customer leaves after a \
         period\n  with probability {:.1}% on average (alpha/(alpha + beta)). Those who stay are \
         the loyal\n  ones, so the cohort's retention rate rises from {:.1}% in period 1 to \
         {:.1}% in period {}.\n",
        100.0 * result.alpha / (result.alpha + result.beta),
        100.0 * first,
        100.0 * at_through,
        result.through.max(1)
    );
    let _ = writeln!(
        out,
        "  {:>6} {:>10} {:>10} {:>8}",
        "period", "actual", "fitted", "error"
    );
    for row in &result.table {
        let error = if row.actual > 0.0 {
            format!("{:+.1}%", 100.0 * (row.fitted / row.actual - 1.0))
        } else {
            String::new()
        };
        let mark = if row.in_fit { "" } else { "  (not fitted)" };
        let _ = writeln!(
            out,
            "  {:>6} {:>10} {:>10.1} {:>8}{mark}",
            row.period,
            count(row.actual),
            row.fitted,
            error
        );
    }
    let _ = writeln!(out, "\n  projected retention rate by period:");
    let rates: Vec<String> = result
        .retention_rates
        .iter()
        .map(|r| format!("{}: {:.1}%", r.period, 100.0 * r.rate))
        .collect();
    for chunk in rates.chunks(6) {
        let _ = writeln!(out, "    {}", chunk.join("   "));
    }
    let _ = writeln!(
        out,
        "\n  Paste into the cohort of a scenario (one period per period of the table):\n    \
         retention = {{ churn_alpha = {}, churn_beta = {} }}\n",
        significant(result.alpha, 6),
        significant(result.beta, 6)
    );
}

/// The text of `ceq fit transactions`: BG/NBD and Gamma-Gamma parameters with what they mean,
/// the holdout check when there is one, and the lines to paste into a scenario.
pub fn render_transactions(
    file: &Path,
    result: &TransactionsFit,
    purchasing: &bgnbd::BgNbdFit,
    spend: &gamma_gamma::GammaGammaFit,
    unit: TimeUnit,
    horizon: u32,
) -> String {
    let unit_name = unit.name();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Customer-base fit of {}\n({} rows, calibration period to {}, time in {unit_name}s).\n\
         {} customers first bought on or before {}; {} of them bought again\n\
         in the calibration period.\n",
        file.display(),
        result.rows,
        result.calibration_end,
        result.customers,
        result.calibration_end,
        result.repeat_buyers
    );
    let _ = writeln!(
        out,
        "Purchasing and dropout (BG/NBD, Fader, Hardie & Lee 2005)"
    );
    parameter_header(&mut out);
    parameter_row(&mut out, "r", &purchasing.r);
    parameter_row(&mut out, "alpha", &purchasing.alpha);
    parameter_row(&mut out, "a", &purchasing.a);
    parameter_row(&mut out, "b", &purchasing.b);
    let _ = writeln!(out, "  log-likelihood {:.2}\n", purchasing.log_likelihood);
    let expected = bgnbd_expected_purchases(
        purchasing.r.value,
        purchasing.alpha.value,
        purchasing.a.value,
        purchasing.b.value,
        f64::from(horizon),
    )
    .ok();
    let per_year = purchasing.mean_rate() * f64::from(unit.periods_per_year());
    let _ = writeln!(
        out,
        "  While active, a customer buys about {} times per {unit_name} on average (r/alpha;\n  \
         about {} times a year).\n  Customers differ {}: shape r = {}.\n  \
         After each purchase a customer drops out for good with probability {:.1}% on average\n  \
         (a/(a + b)).",
        significant(purchasing.mean_rate(), 3),
        significant(per_year, 3),
        if purchasing.r.value < 1.0 {
            "a lot (most buy rarely, a few often)"
        } else {
            "moderately"
        },
        significant(purchasing.r.value, 3),
        100.0 * purchasing.mean_dropout()
    );
    if let Some(expected) = expected {
        let _ = writeln!(
            out,
            "  A new customer is expected to make {} repeat purchases in the next {horizon} \
             {unit_name}s.",
            significant(expected, 3)
        );
    }
    let _ = writeln!(
        out,
        "\nSpend per purchase (Gamma-Gamma), from the repeat purchases of {} repeat buyers",
        spend.customers
    );
    parameter_header(&mut out);
    parameter_row(&mut out, "p", &spend.p);
    parameter_row(&mut out, "q", &spend.q);
    parameter_row(&mut out, "gamma", &spend.gamma);
    let _ = writeln!(out, "  log-likelihood {:.2}\n", spend.log_likelihood);
    if spend.q.value > 1.0 {
        let _ = writeln!(
            out,
            "  The average purchase is worth {} across customers (p·gamma/(q − 1)); each \
             customer\n  has their own typical value, and single purchases vary around it.",
            significant(spend.mean_value(), 4)
        );
    } else {
        let _ = writeln!(
            out,
            "  q ≤ 1: the fitted spread of customers' typical values is so wide that the mean\n  \
             purchase value is infinite; look for outliers in the amounts."
        );
    }
    if let Some(holdout) = &result.holdout {
        render_holdout(&mut out, result, holdout, unit_name);
    }
    let _ = writeln!(
        out,
        "\nPaste into a cohort of a scenario with one period per {unit_name}:\n  \
         purchases = {{ mean = {}, shape = {} }}\n  \
         retention = {{ dropout_alpha = {}, dropout_beta = {} }}\n  \
         order_value = {{ p = {}, q = {}, gamma = {} }}",
        significant(purchasing.mean_rate(), 6),
        significant(purchasing.r.value, 6),
        significant(purchasing.a.value, 6),
        significant(purchasing.b.value, 6),
        significant(spend.p.value, 6),
        significant(spend.q.value, 6),
        significant(spend.gamma.value, 6)
    );
    match &result.scenario {
        Some(path) => {
            let _ = writeln!(
                out,
                "\nWrote the scenario {path}: try `ceq simulate {path}`."
            );
        }
        None => {
            let _ = writeln!(
                out,
                "\nOr write a runnable scenario with --write-scenario fitted.toml."
            );
        }
    }
    out
}

/// The holdout table of `ceq fit transactions`: actual against predicted repeat purchases per
/// group of calibration-period repeat purchases.
fn render_holdout(out: &mut String, result: &TransactionsFit, holdout: &HoldoutCheck, unit: &str) {
    let _ = writeln!(
        out,
        "\nHoldout check: purchases after {} up to {} ({} {unit}s), predicted from the\n\
         calibration period alone (Fader, Hardie & Lee 2005, eq. 10)",
        result.calibration_end,
        holdout.end,
        significant(holdout.length, 4)
    );
    let _ = writeln!(
        out,
        "  {:>18} {:>10} {:>14} {:>14}",
        "repeat purchases", "customers", "actual", "predicted"
    );
    let _ = writeln!(
        out,
        "  {:>18} {:>10} {:>14} {:>14}",
        "in calibration", "", "per customer", "per customer"
    );
    for group in &holdout.groups {
        if group.customers == 0 {
            continue;
        }
        let n = group.customers as f64;
        let _ = writeln!(
            out,
            "  {:>18} {:>10} {:>14.3} {:>14.3}",
            group.repeat_purchases,
            group.customers,
            group.actual / n,
            group.predicted / n
        );
    }
    let total = &holdout.total;
    let gap = if total.actual > 0.0 {
        format!(" ({:+.1}%)", 100.0 * (total.predicted / total.actual - 1.0))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  In total {} repeat purchases happened and {:.1} were predicted{gap}.",
        count(total.actual),
        total.predicted
    );
}

/// What the scores say about the base, and the five most valuable customers.
pub fn render_scores(
    out: &mut String,
    scored: &Scores,
    scores_file: Option<&Path>,
    unit: TimeUnit,
) {
    let totals = scored.totals();
    let settings = &scored.settings;
    let unit_name = unit.name();
    let where_to = match scores_file {
        Some(path) => format!("written to {}", path.display()),
        None => "scores.csv in the --out directory".to_string(),
    };
    let _ = writeln!(
        out,
        "\nScores of each customer, {} {unit_name}s ahead at a margin of {}% and a discount rate \
         of {}%\na year ({where_to}):\n  \
         {} of the {} customers are expected to be still active (sum of P(alive)); they are\n  \
         expected to make {} repeat purchases in the next {} {unit_name}s, worth {} in\n  \
         discounted margin (sum of clv).",
        settings.horizon,
        percent(settings.margin),
        percent(settings.discount_rate),
        crate::format::whole(totals.expected_alive.round()),
        crate::format::whole(totals.customers as f64),
        crate::format::whole(totals.expected_purchases.round()),
        settings.horizon,
        crate::format::whole(totals.clv.round()),
    );
    let mut ranked: Vec<&scores::CustomerScore> = scored.customers.iter().collect();
    ranked.sort_by(|a, b| b.clv.total_cmp(&a.clv));
    let width = ranked
        .iter()
        .take(5)
        .map(|c| c.customer_id.chars().count())
        .max()
        .unwrap_or(0)
        .max("customer".len());
    let _ = writeln!(
        out,
        "\n  The five customers with the highest clv (repeats: repeat purchases so far; expected:\n  \
         purchases in the next {} {unit_name}s):\n  \
         {} {:>7} {:>8} {:>9} {:>11} {:>9}   90% interval",
        settings.horizon,
        pad("customer", width, Align::Left),
        "repeats",
        "P(alive)",
        "expected",
        "order value",
        "clv"
    );
    for c in ranked.iter().take(5) {
        let _ = writeln!(
            out,
            "  {} {:>7} {:>8.3} {:>9.2} {:>11.2} {:>9.2}   {:.2} – {:.2}",
            pad(&c.customer_id, width, Align::Left),
            c.frequency,
            c.p_alive,
            c.expected_purchases,
            c.expected_order_value,
            c.clv,
            c.clv_p05,
            c.clv_p95
        );
    }
}

/// The text of `ceq fit response`: each channel's parameters, the holdout check and the
/// `[[acquisition.channels]]` blocks to paste into a scenario.
pub fn render_response(fit: &ResponseFit, file: &Path) -> String {
    let mut out = String::new();
    let counts = match fit.counts {
        response::CountModel::Binomial => "binomial counts per channel",
        response::CountModel::NegativeBinomial => "negative-binomial counts per channel",
        response::CountModel::NormalTotal => {
            "one total of all channels (normal approximation to a sum of binomials)"
        }
    };
    let _ = writeln!(
        out,
        "Response curves fitted to {} ({} form, {counts}), periods 1–{} of {}; \
         log-likelihood {}",
        file.display(),
        fit.form.name(),
        fit.fit_periods,
        fit.periods,
        significant(fit.log_likelihood, 8)
    );
    for channel in &fit.channels {
        render_channel(&mut out, channel);
    }
    if let Some(holdout) = &fit.holdout {
        render_response_holdout(&mut out, holdout);
    }
    let _ = writeln!(
        out,
        "\nPaste into a scenario (or write it with --write-channels FILE; fill in each mix):"
    );
    out.push_str(&response::channels_toml(fit, &file_name(file)));
    out
}

fn render_channel(out: &mut String, channel: &ChannelFit) {
    let _ = writeln!(
        out,
        "\nChannel {} ({} prospects per period)",
        channel.name, channel.prospects
    );
    let _ = writeln!(
        out,
        "  {:<12} {:>12} {:>12}   95% interval",
        "parameter", "estimate", "std. error"
    );
    for p in channel.parameters.iter().chain(&channel.overdispersion) {
        let se = p
            .std_error
            .map_or_else(|| "unknown".to_string(), |s| significant(s, 3));
        let interval = p.ci95.map_or_else(String::new, |[lo, hi]| {
            format!("{} – {}", significant(lo, 4), significant(hi, 4))
        });
        let _ = writeln!(
            out,
            "  {:<12} {:>12} {:>12}   {interval}",
            p.name,
            significant(p.value, 4),
            se
        );
    }
    if channel
        .parameters
        .iter()
        .any(|p| p.std_error.is_none_or(|se| se > p.value.abs()))
    {
        let _ = writeln!(
            out,
            "  The history does not pin every parameter down (a standard error unknown or larger \
             than its estimate): \
             spend that varies more, or comes nearer saturation, would."
        );
    }
}

fn render_response_holdout(out: &mut String, holdout: &Holdout) {
    let _ = writeln!(
        out,
        "\nHoldout: the last {} period(s), predicted from the fit (95% intervals{}):",
        holdout.periods,
        if holdout.parameter_uncertainty {
            " include parameter uncertainty"
        } else {
            " without parameter uncertainty"
        }
    );
    let _ = writeln!(
        out,
        "  {:<10} {:<10} {:>10} {:>10}   95% interval",
        "channel", "period", "actual", "predicted"
    );
    for series in &holdout.series {
        for p in &series.points {
            let flag = if p.ci95[0] <= p.actual && p.actual <= p.ci95[1] {
                ""
            } else {
                "  outside"
            };
            let _ = writeln!(
                out,
                "  {:<10} {:<10} {:>10} {:>10}   {} – {}{flag}",
                series.name,
                p.period,
                p.actual,
                significant(p.predicted, 4),
                significant(p.ci95[0], 4),
                significant(p.ci95[1], 4)
            );
        }
    }
    let _ = writeln!(
        out,
        "  {} of {} held-out counts inside their 95% interval.",
        holdout.inside, holdout.total
    );
}

fn row(out: &mut String, name: &str, f: &Fitted) {
    let se = f
        .std_error
        .map_or_else(|| "unknown".to_string(), |s| significant(s, 3));
    let interval = f.ci95.map_or_else(String::new, |[lo, hi]| {
        format!("{} – {}", significant(lo, 4), significant(hi, 4))
    });
    let _ = writeln!(
        out,
        "  {name:<22} {:>10} {se:>12}   {interval}",
        significant(f.value, 4)
    );
}

/// The text of `ceq fit retention-test`: the groups, the churn reduction at each tested spend
/// and the fitted curve with the block to paste into a scenario.
pub fn render_retention_test(fit: &RetentionTestFit, file: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Retention test {}: {} groups",
        file.display(),
        fit.groups.len()
    );
    for g in &fit.groups {
        let _ = writeln!(
            out,
            "  {:<12} spend {:>8} per customer per period, {} customers, {} active after {} \
             period(s)",
            g.name,
            g.spend,
            g.active[0],
            g.active.last().copied().unwrap_or(0.0),
            g.active.len() - 1
        );
    }
    let _ = writeln!(
        out,
        "\nChurn reduction at each tested spend (the share of the control's churn hazard \
         removed):"
    );
    let _ = writeln!(
        out,
        "  {:<22} {:>10} {:>12}   95% interval",
        "spend", "reduction", "std. error"
    );
    for level in &fit.levels {
        row(
            &mut out,
            &format!("{}", level.spend),
            &level.churn_reduction,
        );
    }
    match &fit.curve {
        Some(curve) => {
            let _ = writeln!(
                out,
                "\nCurve L(s) = max_churn_reduction·(1 − 2^(−s/half_spend)){}:",
                if curve.half_spend_fixed {
                    " with half_spend given"
                } else {
                    ""
                }
            );
            row(&mut out, "max_churn_reduction", &curve.max_churn_reduction);
            row(&mut out, "half_spend", &curve.half_spend);
            if let Some(r) = curve.correlation {
                let _ = writeln!(
                    out,
                    "  correlation of the two estimates: {}",
                    significant(r, 3)
                );
            }
            let _ = writeln!(out, "\nPaste into a scenario:\n[retention_program]");
            let _ = writeln!(
                out,
                "response = {{ max_churn_reduction = {}, half_spend = {} }}",
                significant(curve.max_churn_reduction.value, 6),
                significant(curve.half_spend.value, 6)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "\nOne spend level gives the reduction at that spend only; a test with two or \
                 more spend levels (or --half-spend H) gives max_churn_reduction and half_spend."
            );
        }
    }
    out
}
