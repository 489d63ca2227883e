//! Paired differences between plans evaluated on the same seeds (common random numbers).
//!
//! Run k of two plans shares its parameter draws and shocks, so the per-run difference
//! removes that common variation and its mean has a much narrower interval than the
//! difference of two independent means.

use serde::Serialize;

use super::describe::{Z95, mean, sample_sd};

/// The paired difference A − B over runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct PairedDifference {
    /// Mean of the per-run differences A − B.
    pub mean: f64,
    /// Normal-approximation 95% confidence interval of that mean.
    pub ci95: [f64; 2],
    /// Standard error of the mean difference.
    pub std_error: f64,
    /// Share of runs in which A's CE is above B's (ties count half), so
    /// P(A beats B) + P(B beats A) = 1.
    pub prob_a_better: f64,
}

impl PairedDifference {
    /// The difference of totals `k` times as large (a sample's difference for its full base,
    /// SPEC §9.2): mean, interval and standard error times `k`; the probability unchanged.
    pub fn scaled(&self, k: f64) -> Self {
        PairedDifference {
            mean: self.mean * k,
            ci95: self.ci95.map(|x| x * k),
            std_error: self.std_error * k,
            prob_a_better: self.prob_a_better,
        }
    }

    /// A − B run by run; `a` and `b` must have the same length (the same runs).
    pub fn new(a: &[f64], b: &[f64]) -> Self {
        let differences: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        let m = mean(&differences);
        let std_error = if differences.is_empty() {
            0.0
        } else {
            sample_sd(&differences) / (differences.len() as f64).sqrt()
        };
        let wins: f64 = differences
            .iter()
            .map(|d| {
                if *d > 0.0 {
                    1.0
                } else if *d == 0.0 {
                    0.5
                } else {
                    0.0
                }
            })
            .sum();
        PairedDifference {
            mean: m,
            ci95: [m - Z95 * std_error, m + Z95 * std_error],
            std_error,
            prob_a_better: if differences.is_empty() {
                0.5
            } else {
                wins / differences.len() as f64
            },
        }
    }

    /// Whether the interval excludes zero.
    pub fn significant(&self) -> bool {
        self.ci95[0] > 0.0 || self.ci95[1] < 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difference_is_antisymmetric() {
        let a = [3.0, 5.0, 4.0, 4.0];
        let b = [1.0, 6.0, 2.0, 4.0];
        let ab = PairedDifference::new(&a, &b);
        let ba = PairedDifference::new(&b, &a);
        assert_eq!(ab.mean, 0.75);
        assert_eq!(ab.mean, -ba.mean);
        assert_eq!(ab.ci95[0], -ba.ci95[1]);
        assert_eq!(ab.prob_a_better, 0.625);
        assert_eq!(ab.prob_a_better + ba.prob_a_better, 1.0);
    }
}
