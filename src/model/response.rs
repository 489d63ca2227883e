//! Saturating responses to spend per head (SPEC §4, §5, §6).

use crate::scenario::{Channel, ResponseCurve};

impl Channel {
    /// The channel's acquisition probability at adstocked spend `adstock` with the drivers'
    /// acquisition multiplier `multiplier` (SPEC §4): min(1, C·a(E/prospects)·multiplier),
    /// 0 with no prospects or no spend — Blattberg & Deighton (1996) per channel, with the
    /// geometric adstock of Broadbent (1979) as the drivers have.
    pub fn probability(&self, adstock: f64, multiplier: f64) -> f64 {
        if self.prospects == 0 || adstock <= 0.0 {
            return 0.0;
        }
        (self.ceiling * self.curve.fraction(adstock / self.prospects as f64) * multiplier)
            .clamp(0.0, 1.0)
    }
}

impl ResponseCurve {
    /// The share of the ceiling reached at spend per head `spend` (≥ 0), in [0, 1].
    ///
    /// - exponential: 1 − e^(−k·s), Blattberg & Deighton (1996);
    /// - half-spend: 1 − 2^(−s/h), the same curve with k = ln 2 / h;
    /// - Hill: s^γ / (s^γ + h^γ), the saturation curve of media-mix models (Jin et al. 2017).
    pub fn fraction(&self, spend: f64) -> f64 {
        if spend <= 0.0 {
            return 0.0;
        }
        match *self {
            ResponseCurve::Exponential { k } => -(-k * spend).exp_m1(),
            ResponseCurve::HalfSpend { half_spend } => {
                -(-std::f64::consts::LN_2 * spend / half_spend).exp_m1()
            }
            ResponseCurve::Hill { half_spend, shape } => {
                // s^γ/(s^γ + h^γ) = 1/(1 + (h/s)^γ), stable for large and small s.
                1.0 / (1.0 + (half_spend / spend).powf(shape))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_spend_gives_half() {
        let h = ResponseCurve::HalfSpend { half_spend: 4.0 };
        assert!((h.fraction(4.0) - 0.5).abs() < 1e-12);
        assert!((h.fraction(8.0) - 0.75).abs() < 1e-12);
        let hill = ResponseCurve::Hill {
            half_spend: 4.0,
            shape: 2.0,
        };
        assert!((hill.fraction(4.0) - 0.5).abs() < 1e-12);
        assert!((hill.fraction(8.0) - 0.8).abs() < 1e-12);
    }

    #[test]
    fn exponential_matches_blattberg_deighton() {
        let e = ResponseCurve::Exponential { k: 0.5 };
        assert!((e.fraction(2.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert_eq!(e.fraction(0.0), 0.0);
        assert_eq!(e.fraction(-1.0), 0.0);
        assert!(e.fraction(1e9) <= 1.0);
    }
}
