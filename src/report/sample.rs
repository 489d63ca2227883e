//! A report of a scenario that simulates a sample of the business (SPEC §9.2): every result
//! scaled to the full base, once, after [`super::build`](fn@super::build), so the HTML and the Markdown say the
//! same. Assumptions stay as the file states them (the sample's inputs); the charts are drawn
//! from the simulation and stay in the sample's units, which [`note`] says.

use super::data::ReportData;
use crate::plans::compare::Difference;

/// The sentence at the top of the answer: what was scaled, and that the charts were too.
pub fn note(fraction: f64) -> String {
    format!(
        "{} {} The assumptions are the sample's, as the file states them; the charts show the \
         full base like the tables (budgets and spends on their axes are the sample's).",
        crate::stats::sample_note(fraction),
        crate::stats::spend_note(fraction),
    )
}

/// Scales the results of `data` from a 1:(1/`fraction`) sample to the full base: simulated
/// money totals (CE, its parts, gains, channel totals, offboarding gains) and customer counts
/// times 1/`fraction`; per-unit returns, shares and probabilities unchanged. Spends and budgets
/// of plans, the optimized split and the frontier are inputs and stay as the file states them
/// (the sample's), as in the text outputs. The sensitivity section is built from
/// [`crate::plans::sensitivity::Sensitivity::scaled_to_full_base`] in [`super::build()`] and is
/// not scaled again here.
pub fn scale(data: &mut ReportData, fraction: f64) {
    let k = 1.0 / fraction;
    data.summary = crate::stats::scaled_summary(&data.summary, fraction);
    data.summary.sample_fraction = None;
    data.summary.full_base = None;
    let difference = |d: &mut Difference| {
        d.mean *= k;
        d.std_error *= k;
        d.ci95 = d.ci95.map(|x| x * k);
    };
    if let Some(best) = &mut data.best {
        best.mean *= k;
        if let Some(g) = &mut best.gain {
            difference(g);
        }
    }
    if let Some(c) = &mut data.comparison {
        for (_, mean, ci) in &mut c.plans {
            *mean *= k;
            *ci = ci.map(|x| x * k);
        }
        c.differences.iter_mut().for_each(difference);
    }
    if let Some(o) = &mut data.optimization {
        o.gain_mean *= k;
        o.gain_ci95 = o.gain_ci95.map(|x| x * k);
        o.optimized_mean *= k;
        if let Some(p) = &mut o.phasing {
            p.gain_mean *= k;
            p.gain_ci95 = p.gain_ci95.map(|x| x * k);
        }
        let mut summary = data.summary.clone();
        summary.channels = std::mem::take(&mut o.channels);
        o.channels = crate::stats::scaled_summary(&summary, fraction).channels;
    }
    if let Some(f) = &mut data.frontier {
        for p in &mut f.points {
            p.mean *= k;
            p.ci95 = p.ci95.map(|x| x * k);
        }
        f.baseline_mean *= k;
        f.baseline_ci95 = f.baseline_ci95.map(|x| x * k);
    }
    for (_, o) in &mut data.offboarding {
        o.gain = o.gain.scaled(k);
    }
}
