//! Charts of a scenario that simulates a sample of the business, drawn for the full base
//! (SPEC §9.2).
//!
//! The text outputs and the report print full-base figures for a scenario with
//! `sample_fraction = f`; a chart in the sample's units beside them would show a number 1/f
//! times smaller than the sentence under it. So every chart builder hands its data to
//! [`for_full_base`], which multiplies exactly what is a total over customers (CE, its parts,
//! paired differences, customer counts) by 1/f (the expansion estimator of a total, Cochran,
//! *Sampling Techniques*, 3rd ed., 1977, §2.7) and says so in the subtitle. Spends and budgets
//! on an x axis are inputs and stay as the file states them (the sample's), as in the text;
//! a probability objective stays a probability.

use super::data::{
    CohortActivityChart, DistributionChart, FanChart, FrontierChart, PlanComparisonChart,
    ResponseCurvesChart, TornadoChart, WaterfallChart,
};

/// Chart data whose totals over customers can be stated for the full base.
pub trait FullBase {
    /// Multiplies every total over customers by `k`; leaves inputs (spends, budgets),
    /// per-customer amounts and probabilities alone.
    fn scale_totals(&mut self, k: f64);
    /// The grey line under the title, where the chart says what was scaled.
    fn subtitle_mut(&mut self) -> &mut String;
}

/// `chart` for the full base of a 1:(1/`fraction`) sample, its subtitle ending with
/// "full base: the 1:100 sample ×100"; `chart` unchanged when `fraction` is 1.
pub fn for_full_base<T: FullBase>(mut chart: T, fraction: f64) -> T {
    if fraction >= 1.0 {
        return chart;
    }
    chart.scale_totals(1.0 / fraction);
    let ratio = crate::stats::full_base_ratio(fraction);
    let note = format!("full base: the 1:{ratio} sample ×{ratio}");
    let subtitle = chart.subtitle_mut();
    *subtitle = if subtitle.is_empty() {
        note
    } else {
        format!("{subtitle} · {note}")
    };
    chart
}

fn scale_interval(ci: &mut [f64; 2], k: f64) {
    ci.iter_mut().for_each(|x| *x *= k);
}

impl FullBase for FanChart {
    fn scale_totals(&mut self, k: f64) {
        for p in self.plans.iter_mut().flat_map(|s| s.points.iter_mut()) {
            for q in [&mut p.p05, &mut p.p25, &mut p.p50, &mut p.p75, &mut p.p95] {
                *q *= k;
            }
        }
    }
    fn subtitle_mut(&mut self) -> &mut String {
        &mut self.subtitle
    }
}

impl FullBase for DistributionChart {
    fn scale_totals(&mut self, k: f64) {
        self.values.iter_mut().for_each(|v| *v *= k);
        self.mean *= k;
        self.p05 *= k;
        self.p95 *= k;
    }
    fn subtitle_mut(&mut self) -> &mut String {
        &mut self.subtitle
    }
}

impl FullBase for CohortActivityChart {
    fn scale_totals(&mut self, k: f64) {
        for (_, active) in &mut self.cohorts {
            active.iter_mut().for_each(|a| *a *= k);
        }
    }
    fn subtitle_mut(&mut self) -> &mut String {
        &mut self.subtitle
    }
}

impl FullBase for WaterfallChart {
    fn scale_totals(&mut self, k: f64) {
        self.steps.iter_mut().for_each(|s| s.value *= k);
    }
    fn subtitle_mut(&mut self) -> &mut String {
        &mut self.subtitle
    }
}

impl FullBase for PlanComparisonChart {
    fn scale_totals(&mut self, k: f64) {
        for p in &mut self.plans {
            p.mean *= k;
            scale_interval(&mut p.ci95, k);
        }
        for d in &mut self.differences {
            d.mean *= k;
            scale_interval(&mut d.ci95, k);
        }
    }
    fn subtitle_mut(&mut self) -> &mut String {
        &mut self.subtitle
    }
}

impl FullBase for FrontierChart {
    /// Budgets are inputs (x axis, the sample's); CE at each budget is a total.
    fn scale_totals(&mut self, k: f64) {
        for p in self.points.iter_mut().chain(self.current_plan.as_mut()) {
            p.mean *= k;
            scale_interval(&mut p.ci95, k);
        }
    }
    fn subtitle_mut(&mut self) -> &mut String {
        &mut self.subtitle
    }
}

impl FullBase for TornadoChart {
    fn scale_totals(&mut self, k: f64) {
        self.base_mean *= k;
        for e in &mut self.effects {
            e.minus *= k;
            e.plus *= k;
        }
    }
    fn subtitle_mut(&mut self) -> &mut String {
        &mut self.subtitle
    }
}

impl FullBase for ResponseCurvesChart {
    /// The objective (y) is an amount of CE unless it is a probability (no currency); spends
    /// (x) are inputs.
    fn scale_totals(&mut self, k: f64) {
        if self.currency.is_empty() {
            return;
        }
        for c in &mut self.curves {
            c.points.iter_mut().for_each(|(_, y)| *y *= k);
            c.ci95.iter_mut().for_each(|ci| scale_interval(ci, k));
        }
    }
    fn subtitle_mut(&mut self) -> &mut String {
        &mut self.subtitle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::data::{FrontierPoint, WaterfallStep};

    #[test]
    fn a_sample_of_one_in_a_hundred_scales_totals_not_budgets() {
        let point = |budget, mean| FrontierPoint {
            budget,
            mean,
            ci95: [mean - 1.0, mean + 1.0],
        };
        let chart = FrontierChart {
            title: "t".into(),
            subtitle: "s".into(),
            currency: "EUR".into(),
            budget_unit: "per month".into(),
            points: vec![point(10.0, 5.0)],
            current_budget: Some(10.0),
            current_plan: Some(point(10.0, 4.0)),
        };
        let scaled = for_full_base(chart, 0.01);
        assert_eq!(scaled.points[0].budget, 10.0);
        assert_eq!(scaled.points[0].mean, 500.0);
        assert_eq!(scaled.points[0].ci95, [400.0, 600.0]);
        assert_eq!(scaled.current_plan.unwrap().mean, 400.0);
        assert_eq!(scaled.current_budget, Some(10.0));
        assert_eq!(scaled.subtitle, "s · full base: the 1:100 sample ×100");
    }

    #[test]
    fn the_whole_base_is_left_as_it_is() {
        let chart = WaterfallChart {
            title: "t".into(),
            subtitle: "s".into(),
            currency: "EUR".into(),
            steps: vec![WaterfallStep {
                label: "x".into(),
                value: 3.0,
            }],
            total_label: "CE".into(),
        };
        assert_eq!(for_full_base(chart.clone(), 1.0), chart);
    }

    #[test]
    fn a_probability_objective_stays_a_probability() {
        let chart = ResponseCurvesChart {
            title: "t".into(),
            subtitle: String::new(),
            currency: String::new(),
            objective_label: "Probability CE exceeds 0".into(),
            curves: vec![crate::chart::data::ResponseCurve {
                lever: "acquisition".into(),
                points: vec![(1.0, 0.4)],
                ci95: vec![[0.3, 0.5]],
                current_spend: 1.0,
                optimal_spend: 1.0,
            }],
        };
        let scaled = for_full_base(chart, 0.5);
        assert_eq!(scaled.curves[0].points, vec![(1.0, 0.4)]);
        assert_eq!(scaled.subtitle, "full base: the 1:2 sample ×2");
    }
}
