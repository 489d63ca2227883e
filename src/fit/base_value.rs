//! The value of the base a firm has today, said plainly (SPEC §12 `existing_base`): for every
//! cohort whose customers carry their BG/NBD history, how much of the existing customers'
//! expected value sits with those likely still alive and those likely gone, how concentrated
//! it is, and how it spreads over segments of frequency and recency.
//!
//! Each history group (x, t_x, T) is valued in closed form at the scenario's parameters:
//! P(alive | x, t_x, T) and E[Y(t) | x, t_x, T] (Fader, Hardie & Lee 2005a, eq. 10 and the
//! P(alive) note of 2008), and the discounted expected purchase margin
//!
//! value = margin · E[order value] · Σ_{t=1..H} δ_t · (E[Y(t) | ·] − E[Y(t − 1) | ·]),
//!
//! with δ_t the scenario's discount factor of period t (SPEC §1) and E[order value] the
//! cohort's mean order value, or for Gamma-Gamma histories with a `monetary_value` m_x the
//! conditional mean p(γ + x·m_x)/(px + q − 1) (Fader, Hardie & Lee 2005b; the population mean
//! pγ/(q − 1) without it) — the order values the simulation draws. Only
//! purchase margin is valued here; costs to serve and extra value per active period are in the
//! simulated equity. "Likely alive" means P(alive) ≥ 1/2. The top-10% share ranks customers by
//! their value and takes the most valuable tenth of them (a group split where the tenth ends).

use serde::{Deserialize, Serialize};

use super::bgnbd;
use super::scores::p_alive;
use super::sum::NeumaierSum;
use crate::model::closed_form::gamma_gamma_mean;
use crate::model::discount::Discounting;
use crate::scenario::{HistoryGroup, OrderValue, Scenario};

/// What the history-aware cohorts of a scenario are worth today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortBaseValue {
    pub cohort: String,
    /// Customers in the history, alive or not.
    pub customers: u64,
    /// Σ P(alive).
    pub expected_alive: f64,
    /// Σ E[Y(H) | x, t_x, T] over the horizon.
    pub expected_purchases: f64,
    /// Σ discounted expected purchase margin over the horizon.
    pub value: f64,
    /// Customers with P(alive) ≥ 1/2.
    pub likely_alive: BaseSplit,
    /// Customers with P(alive) < 1/2.
    pub likely_gone: BaseSplit,
    /// The most valuable 10% of customers' share of `value`.
    pub top_decile_share: f64,
    /// By frequency × recency (periods since the last purchase, or since the first for x = 0).
    pub segments: Vec<BaseSegment>,
    /// Per distinct history: (value per customer, P(alive), customers), for the charts.
    #[serde(skip)]
    pub groups: Vec<(f64, f64, u64)>,
    /// The BG/NBD parameters [r, α, a, b], the largest frequency and T of the history, for the
    /// P(alive) matrix.
    #[serde(skip)]
    pub params: [f64; 4],
    #[serde(skip)]
    pub max_frequency: u32,
    #[serde(skip)]
    pub max_age: f64,
}

/// One side of the likely-alive / likely-gone split.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct BaseSplit {
    pub customers: u64,
    pub expected_alive: f64,
    pub expected_purchases: f64,
    pub value: f64,
    /// Share of the cohort's `value`.
    pub share_of_value: f64,
}

/// One frequency × recency segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseSegment {
    /// Repeat purchases: "0", "1", "2–3", "4–7", "8+".
    pub frequency: String,
    /// Weeks since the last purchase (since the first for x = 0): "< 4", "4–13", "13–26",
    /// "26–52", "52+".
    pub since_last: String,
    pub customers: u64,
    /// Mean P(alive) of the segment's customers.
    pub p_alive: f64,
    pub expected_purchases: f64,
    pub value: f64,
}

/// The frequency segments: (label, lowest x, highest x).
pub const FREQUENCY_SEGMENTS: [(&str, u32, u32); 5] = [
    ("0", 0, 0),
    ("1", 1, 1),
    ("2–3", 2, 3),
    ("4–7", 4, 7),
    ("8+", 8, u32::MAX),
];

/// The recency segments, weeks since the last purchase: (label, from, to).
pub const RECENCY_SEGMENTS: [(&str, f64, f64); 5] = [
    ("< 4", 0.0, 4.0),
    ("4–13", 4.0, 13.0),
    ("13–26", 13.0, 26.0),
    ("26–52", 26.0, 52.0),
    ("52+", 52.0, f64::INFINITY),
];

/// The mean value of one order of a cohort's order-value law.
fn mean_order_value(order_value: &OrderValue) -> f64 {
    match *order_value {
        OrderValue::Constant { mean }
        | OrderValue::Gamma { mean, .. }
        | OrderValue::HeterogeneousGamma { mean, .. } => mean,
        OrderValue::GammaGamma { p, q, gamma } => gamma_gamma_mean(p, q, gamma),
    }
}

/// The value of every history cohort of `scenario` (empty when none has a history). A group
/// whose closed form cannot be evaluated (a = 1) makes its cohort's valuation absent.
pub fn value_base(scenario: &Scenario) -> Vec<CohortBaseValue> {
    let horizon = scenario.time.periods;
    let discount = Discounting::new(&scenario.time).factors(horizon);
    scenario
        .cohorts
        .iter()
        .filter_map(|cohort| {
            let history = cohort.existing.history()?;
            let params = crate::sim::setup::bgnbd_parameters(cohort)?;
            let per_order = cohort.margin * mean_order_value(&cohort.order_value);
            let mut alive_value: Option<((u32, u64), (f64, f64))> = None;
            let mut groups = Vec::with_capacity(history.len());
            for g in history {
                let key = (g.frequency, g.age.to_bits());
                let (purchases, value) = match alive_value {
                    Some((k, v)) if k == key => v,
                    _ => {
                        let v = value_if_alive(params, g, &discount, 1.0)?;
                        alive_value = Some((key, v));
                        v
                    }
                };
                let alive = p_alive(params, g.frequency, g.recency, g.age);
                let order = match (cohort.order_value, g.monetary_value) {
                    (OrderValue::GammaGamma { p, q, gamma }, Some(m)) => {
                        cohort.margin
                            * super::scores::expected_order_value([p, q, gamma], g.frequency, m)
                    }
                    _ => per_order,
                };
                groups.push((alive, alive * purchases, alive * value * order));
            }
            let weeks_per_period = 52.0 / f64::from(scenario.time.periods_per_year.max(1));
            let mut valued = summarize(&cohort.name, history, &groups, weeks_per_period);
            valued.params = params;
            valued.max_frequency = history.iter().map(|g| g.frequency).max().unwrap_or(0);
            valued.max_age = history.iter().map(|g| g.age).fold(0.0, f64::max);
            Some(valued)
        })
        .collect()
}

/// (E[Y(H) | alive, x, T], discounted value | alive) of a customer of `group`, which depend on
/// (x, T) only: eq. 10 of Fader, Hardie & Lee (2005a) is P(alive | x, t_x, T) times
/// (a + b + x − 1)/(a − 1)·[1 − ((α + T)/(α + T + t))^(r+x)·₂F₁(r + x, b + x; a + b + x − 1;
/// t/(α + T + t))], so the histories of one (x, T) share it (one-time buyers differ only in T)
/// and a base of millions costs one evaluation per distinct (x, T).
fn value_if_alive(
    params: [f64; 4],
    group: &HistoryGroup,
    discount: &[f64],
    per_order: f64,
) -> Option<(f64, f64)> {
    let mut value = NeumaierSum::default();
    let mut previous = 0.0;
    // At t_x = T the customer is alive for sure (P(alive) = 1 when x = 0, and the eq. 10
    // denominator is then 1 + a/(b + x − 1), which we undo).
    let alive = p_alive(params, group.frequency, group.age, group.age);
    for (i, factor) in discount.iter().enumerate() {
        let cumulative = bgnbd::conditional_expected_purchases(
            params,
            group.frequency,
            group.age,
            group.age,
            (i + 1) as f64,
        )
        .ok()?
            / alive;
        value.add(factor * (cumulative - previous) * per_order);
        previous = cumulative;
    }
    Some((previous, value.total()))
}

fn summarize(
    name: &str,
    history: &[HistoryGroup],
    groups: &[(f64, f64, f64)],
    weeks_per_period: f64,
) -> CohortBaseValue {
    let mut split = [BaseSplit::default(); 2];
    let mut totals = [
        NeumaierSum::default(),
        NeumaierSum::default(),
        NeumaierSum::default(),
    ];
    let mut segments: Vec<BaseSegment> = Vec::new();
    for (g, &(alive, purchases, value)) in history.iter().zip(groups) {
        let n = g.count as f64;
        totals[0].add(n * alive);
        totals[1].add(n * purchases);
        totals[2].add(n * value);
        let side = &mut split[usize::from(alive < 0.5)];
        side.customers += g.count;
        side.expected_alive += n * alive;
        side.expected_purchases += n * purchases;
        side.value += n * value;
        let frequency = FREQUENCY_SEGMENTS
            .iter()
            .find(|(_, lo, hi)| (*lo..=*hi).contains(&g.frequency))
            .map_or("8+", |s| s.0);
        let since = (g.age - g.recency) * weeks_per_period;
        let since_last = RECENCY_SEGMENTS
            .iter()
            .find(|(_, lo, hi)| since >= *lo && since < *hi)
            .map_or("52+", |s| s.0);
        match segments
            .iter_mut()
            .find(|s| s.frequency == frequency && s.since_last == since_last)
        {
            Some(s) => {
                s.customers += g.count;
                s.p_alive += n * alive;
                s.expected_purchases += n * purchases;
                s.value += n * value;
            }
            None => segments.push(BaseSegment {
                frequency: frequency.to_string(),
                since_last: since_last.to_string(),
                customers: g.count,
                p_alive: n * alive,
                expected_purchases: n * purchases,
                value: n * value,
            }),
        }
    }
    let total_value = totals[2].total();
    for side in &mut split {
        side.share_of_value = share(side.value, total_value);
    }
    let order = |label: &str, labels: &[&str]| labels.iter().position(|l| *l == label);
    let frequency_labels: Vec<&str> = FREQUENCY_SEGMENTS.iter().map(|s| s.0).collect();
    let recency_labels: Vec<&str> = RECENCY_SEGMENTS.iter().map(|s| s.0).collect();
    segments.sort_by_key(|s| {
        (
            order(&s.frequency, &frequency_labels),
            order(&s.since_last, &recency_labels),
        )
    });
    for s in &mut segments {
        s.p_alive /= (s.customers as f64).max(1.0);
    }
    let charted: Vec<(f64, f64, u64)> = history
        .iter()
        .zip(groups)
        .map(|(g, &(alive, _, value))| (value, alive, g.count))
        .collect();
    let customers: u64 = history.iter().map(|g| g.count).sum();
    CohortBaseValue {
        cohort: name.to_string(),
        customers,
        expected_alive: totals[0].total(),
        expected_purchases: totals[1].total(),
        value: total_value,
        likely_alive: split[0],
        likely_gone: split[1],
        top_decile_share: top_share(&charted, 0.1),
        segments,
        groups: charted,
        params: [0.0; 4],
        max_frequency: 0,
        max_age: 0.0,
    }
}

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// The share of total value held by the most valuable `fraction` of customers, from
/// (value per customer, _, customers) groups; the group where the fraction ends counts in part.
pub fn top_share(groups: &[(f64, f64, u64)], fraction: f64) -> f64 {
    let mut ranked: Vec<(f64, u64)> = groups.iter().map(|g| (g.0, g.2)).collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let customers: u64 = ranked.iter().map(|g| g.1).sum();
    let total: f64 = ranked.iter().map(|g| g.0 * g.1 as f64).sum();
    let mut room = fraction * customers as f64;
    let mut top = 0.0;
    for (value, n) in ranked {
        if room <= 0.0 {
            break;
        }
        let taken = (n as f64).min(room);
        top += taken * value;
        room -= taken;
    }
    share(top, total)
}

/// The Lorenz curve of value over customers: (cumulative share of customers, cumulative share
/// of value), customers from least to most valuable, starting at (0, 0) and ending at (1, 1).
pub fn lorenz_curve(groups: &[(f64, f64, u64)]) -> Vec<(f64, f64)> {
    let mut ranked: Vec<(f64, u64)> = groups.iter().map(|g| (g.0, g.2)).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    let customers: f64 = ranked.iter().map(|g| g.1 as f64).sum();
    let total: f64 = ranked.iter().map(|g| g.0 * g.1 as f64).sum();
    let mut points = vec![(0.0, 0.0)];
    let (mut n, mut v) = (0.0, 0.0);
    for (value, count) in ranked {
        n += count as f64;
        v += value * count as f64;
        points.push((share(n, customers), share(v, total)));
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_share_splits_the_group_where_the_tenth_ends() {
        // 20 customers: 1 worth 100, 19 worth 1. The top 2 hold 101 of 119.
        let groups = [(100.0, 1.0, 1), (1.0, 1.0, 19)];
        assert!((top_share(&groups, 0.1) - 101.0 / 119.0).abs() < 1e-12);
        let curve = lorenz_curve(&groups);
        assert_eq!(curve.first(), Some(&(0.0, 0.0)));
        assert!((curve[1].0 - 0.95).abs() < 1e-12 && (curve[1].1 - 19.0 / 119.0).abs() < 1e-12);
        assert!((curve[2].0 - 1.0).abs() < 1e-12 && (curve[2].1 - 1.0).abs() < 1e-12);
    }
}
