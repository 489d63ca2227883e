//! What a plan spends and what its drivers lift, period by period (SPEC §6, §7).
//!
//! Deterministic given the scenario and plan, so it is computed once per run's scenario and
//! shared by every customer.

use crate::scenario::{Driver, Lever, LeverMap, Plan, Scenario};

/// Spend and driver lifts of one plan for periods 1..=H (index t − 1).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanPath {
    /// Spend per period on each lever kind.
    pub spend: Vec<LeverMap<f64>>,
    /// Driver rating lifts L_{d,t}, indexed by [`Driver::index`].
    pub lifts: Vec<[f64; 3]>,
    /// Spend per period on each acquisition channel (empty rows without acquisition).
    pub channel_spend: Vec<Vec<f64>>,
    /// Adstocked spend E_{ch,t} = S_{ch,t} + carryover_ch·E_{ch,t−1} of each channel, which
    /// its response curve sees (SPEC §4).
    pub channel_adstock: Vec<Vec<f64>>,
}

impl PlanPath {
    /// Adstock E_t = S_t + carryover·E_{t−1} (E_0 = 0) and lift
    /// L_t = max_lift·(1 − 2^(−E_t/half_spend)) — the geometric adstock of Broadbent (1979) with
    /// the half-saturation response of SPEC §6.
    pub fn new(scenario: &Scenario, plan: &Plan) -> Self {
        let periods = scenario.time.periods;
        let per_year = scenario.time.periods_per_year;
        let mut adstock = [0.0f64; 3];
        let mut spend = Vec::with_capacity(periods as usize);
        let mut lifts = Vec::with_capacity(periods as usize);
        let channels = scenario
            .acquisition
            .as_ref()
            .map_or(&[][..], |a| a.channels.as_slice());
        let mut channel_spend = Vec::with_capacity(periods as usize);
        let mut channel_adstock: Vec<Vec<f64>> = Vec::with_capacity(periods as usize);
        for t in 1..=periods {
            let amounts = LeverMap::from_fn(|lever| plan.spend_at(lever, t, per_year));
            let mut lift = [0.0; 3];
            for driver in Driver::ALL {
                let d = driver.index();
                if let Some(params) = &scenario.drivers[d] {
                    let lever = match driver {
                        Driver::Value => Lever::Value,
                        Driver::Brand => Lever::Brand,
                        Driver::Relationship => Lever::Relationship,
                    };
                    adstock[d] = amounts[lever] + params.carryover * adstock[d];
                    lift[d] = params.max_lift
                        * -(-std::f64::consts::LN_2 * adstock[d] / params.half_spend).exp_m1();
                }
            }
            let own: Vec<f64> = (0..channels.len())
                .map(|i| plan.spend_at(Lever::Channel(i as u16), t, per_year))
                .collect();
            let stock: Vec<f64> = channels
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let before = channel_adstock.last().map_or(0.0, |e| e[i]);
                    own[i] + c.carryover * before
                })
                .collect();
            spend.push(amounts);
            lifts.push(lift);
            channel_spend.push(own);
            channel_adstock.push(stock);
        }
        PlanPath {
            spend,
            lifts,
            channel_spend,
            channel_adstock,
        }
    }

    /// Π_d exp(Σ coefficient_d·L_{d,t}) for period `t` (1-based), with per-driver coefficients.
    pub fn multiplier(&self, t: u32, coefficients: [f64; 3]) -> f64 {
        let lift = &self.lifts[t as usize - 1];
        (0..3).map(|d| coefficients[d] * lift[d]).sum::<f64>().exp()
    }

    /// Total driver spend in period `t`.
    pub fn driver_spend(&self, t: u32) -> f64 {
        let s = &self.spend[t as usize - 1];
        s[Lever::Value] + s[Lever::Brand] + s[Lever::Relationship]
    }
}
