//! Compensated summation for log-likelihoods and totals.
//!
//! A log-likelihood is a sum of thousands to millions of terms of mixed sign and magnitude; a
//! plain running sum loses about n·ε of its magnitude, and the finite-difference Hessian that
//! gives the standard errors divides such differences by h², so the rounding shows up in the
//! standard errors. Neumaier's variant of Kahan summation (Neumaier 1974, "Rundungsfehleranalyse
//! einiger Verfahren zur Summation endlicher Summen", ZAMM 54) carries the rounding error of
//! each addition in a second accumulator, including when the new term is larger than the sum
//! so far (where Kahan's loses it), so the total is accurate to about ε regardless of n.

/// A running sum with Neumaier compensation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    /// Adds one term.
    pub fn add(&mut self, term: f64) {
        let next = self.sum + term;
        self.compensation += if self.sum.abs() >= term.abs() {
            (self.sum - next) + term
        } else {
            (term - next) + self.sum
        };
        self.sum = next;
    }

    /// Adds another partial sum (chunks of a parallel sum, merged in order).
    pub fn merge(&mut self, other: NeumaierSum) {
        self.add(other.sum);
        self.add(other.compensation);
    }

    /// The compensated total.
    pub fn total(&self) -> f64 {
        self.sum + self.compensation
    }
}

impl FromIterator<f64> for NeumaierSum {
    fn from_iter<I: IntoIterator<Item = f64>>(terms: I) -> Self {
        let mut sum = NeumaierSum::default();
        for term in terms {
            sum.add(term);
        }
        sum
    }
}

/// The compensated sum of `terms`.
pub fn neumaier_sum(terms: impl IntoIterator<Item = f64>) -> f64 {
    terms.into_iter().collect::<NeumaierSum>().total()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_what_a_plain_sum_loses() {
        // 1 + 1e100 + 1 − 1e100 is 2; a plain sum gives 0, Kahan's also 0.
        let terms = [1.0, 1e100, 1.0, -1e100];
        assert_eq!(terms.iter().sum::<f64>(), 0.0);
        assert_eq!(neumaier_sum(terms), 2.0);
        // A million tenths (each 0.1 + 5.6e-18): the plain sum is off in the 7th decimal, the
        // compensated one is the correctly rounded 100000.
        let tenths = std::iter::repeat_n(0.1, 1_000_000);
        assert!((tenths.clone().sum::<f64>() - 100_000.0).abs() > 1e-7);
        assert_eq!(neumaier_sum(tenths), 100_000.0);
    }

    #[test]
    fn merging_partial_sums_keeps_the_compensation() {
        let terms: Vec<f64> = (0..10_000).map(|i| 1.0 / f64::from(i + 1)).collect();
        let whole = neumaier_sum(terms.iter().copied());
        let mut merged = NeumaierSum::default();
        for chunk in terms.chunks(777) {
            merged.merge(chunk.iter().copied().collect());
        }
        assert!((merged.total() - whole).abs() <= f64::EPSILON * whole);
    }
}
