//! Mean, standard deviation, quantiles and confidence intervals over runs.

use super::Distribution;

/// Sample quantile with linear interpolation between order statistics (Hyndman & Fan 1996,
/// definition 7, the default of R and NumPy). `sorted` must be ascending and non-empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Mean with the values summed in the order given, so the result depends only on the values
/// and their order (run order), never on threads.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample standard deviation (n − 1 denominator); 0 for fewer than two values.
pub fn sample_sd(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    let ss: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    (ss / (values.len() - 1) as f64).sqrt()
}

/// z for a two-sided 95% normal interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Describes the distribution of `values` over runs. Empty input gives all zeros.
pub fn describe(values: &[f64]) -> Distribution {
    if values.is_empty() {
        return Distribution {
            mean: 0.0,
            sd: 0.0,
            std_error: 0.0,
            ci95: [0.0, 0.0],
            p05: 0.0,
            p25: 0.0,
            p50: 0.0,
            p75: 0.0,
            p95: 0.0,
            prob_negative: 0.0,
        };
    }
    let m = mean(values);
    let sd = sample_sd(values);
    let std_error = sd / (values.len() as f64).sqrt();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q = |p| quantile_sorted(&sorted, p);
    Distribution {
        mean: m,
        sd,
        std_error,
        ci95: [m - Z95 * std_error, m + Z95 * std_error],
        p05: q(0.05),
        p25: q(0.25),
        p50: q(0.50),
        p75: q(0.75),
        p95: q(0.95),
        prob_negative: values.iter().filter(|v| **v < 0.0).count() as f64 / values.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        assert!((quantile_sorted(&v, 0.5) - 2.5).abs() < 1e-12);
        // numpy.percentile([1,2,3,4], 5) = 1.15
        assert!((quantile_sorted(&v, 0.05) - 1.15).abs() < 1e-12);
    }

    #[test]
    fn describe_reports_spread_and_interval() {
        let d = describe(&[-1.0, 1.0, 3.0]);
        assert!((d.mean - 1.0).abs() < 1e-12);
        assert!((d.sd - 2.0).abs() < 1e-12);
        assert!((d.std_error - 2.0 / 3f64.sqrt()).abs() < 1e-12);
        assert!((d.ci95[0] - (1.0 - Z95 * d.std_error)).abs() < 1e-12);
        assert!((d.prob_negative - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(d.p50, 1.0);
    }

    #[test]
    fn one_run_has_zero_spread() {
        let d = describe(&[5.0]);
        assert_eq!(d.sd, 0.0);
        assert_eq!(d.ci95, [5.0, 5.0]);
    }
}
