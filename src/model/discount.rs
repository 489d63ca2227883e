//! Discounting of period cash flows (SPEC §1).

use crate::scenario::{CashFlowTiming, Time};

/// Discount factors of periods 1..=H.
#[derive(Debug, Clone, PartialEq)]
pub struct Discounting {
    /// Per-period factor δ = (1 + annual rate)^(−1/periods_per_year).
    pub delta: f64,
    pub timing: CashFlowTiming,
}

impl Discounting {
    pub fn new(time: &Time) -> Self {
        Discounting {
            delta: (1.0 + time.discount_rate).powf(-1.0 / f64::from(time.periods_per_year)),
            timing: time.cash_flow_timing,
        }
    }

    /// The factor of a cash flow in period `t` (1-based): δ^t for "end" timing, δ^(t−1) for
    /// "start" timing (the first period undiscounted, as in Fader & Hardie's DEL).
    pub fn factor(&self, t: u32) -> f64 {
        let power = match self.timing {
            CashFlowTiming::End => t,
            CashFlowTiming::Start => t.saturating_sub(1),
        };
        self.delta.powi(power as i32)
    }

    /// Factors of periods 1..=periods.
    pub fn factors(&self, periods: u32) -> Vec<f64> {
        (1..=periods).map(|t| self.factor(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_factor_compounds_to_the_annual_rate() {
        let time = Time {
            periods: 24,
            periods_per_year: 12,
            discount_rate: 0.10,
            cash_flow_timing: CashFlowTiming::End,
        };
        let d = Discounting::new(&time);
        assert!((d.factor(12) - 1.0 / 1.1).abs() < 1e-12);
        let start = Discounting {
            timing: CashFlowTiming::Start,
            ..d
        };
        assert_eq!(start.factor(1), 1.0);
        assert!((start.factor(13) - 1.0 / 1.1).abs() < 1e-12);
    }
}
