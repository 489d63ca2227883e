//! A Nelder–Mead minimizer for the small, smooth likelihoods of [`crate::fit`].
//!
//! Why not a crate: the likelihoods have two to four parameters and no cheap gradient, so a
//! derivative-free simplex search is the right tool, and it is a page of code; the crates that
//! offer it either pull in a second `rand` version or a large framework. The design follows
//! argmin's separation of problem, solver and termination: the problem is any
//! `Fn(&[f64]) -> f64`, [`NelderMead`] holds the settings, [`Minimum`] reports why it stopped.
//!
//! The coefficients are the dimension-adaptive ones of Gao & Han (2012), which keep the method
//! converging in more than two dimensions; the search restarts from its best point until a
//! restart no longer improves it (a standard guard against a collapsed simplex).

/// Why the search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// The simplex's values and its size fell below the tolerances.
    Converged,
    /// The evaluation budget ran out first.
    MaxIterations,
}

/// The best point found.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub evaluations: usize,
    pub termination: Termination,
}

/// Settings of the simplex search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NelderMead {
    /// Size of the initial simplex along each axis.
    pub initial_step: f64,
    /// Stop when the values across the simplex differ by less than this, relative to
    /// 1 + |best value|.
    pub value_tolerance: f64,
    /// ... and every vertex is within this distance of the best, per coordinate.
    pub point_tolerance: f64,
    /// Total evaluation budget over all restarts.
    pub max_evaluations: usize,
}

impl Default for NelderMead {
    fn default() -> Self {
        NelderMead {
            initial_step: 0.5,
            value_tolerance: 1e-10,
            point_tolerance: 1e-6,
            max_evaluations: 20_000,
        }
    }
}

impl NelderMead {
    /// Minimizes `f` from `start`. Non-finite values count as +∞, so the search steps back
    /// from regions where the objective is undefined.
    pub fn minimize(&self, f: impl Fn(&[f64]) -> f64, start: &[f64]) -> Minimum {
        let mut evaluations = 0;
        let eval = |x: &[f64], evaluations: &mut usize| {
            *evaluations += 1;
            let value = f(x);
            if value.is_nan() { f64::INFINITY } else { value }
        };
        let mut best = start.to_vec();
        let mut best_value = eval(&best, &mut evaluations);
        let mut step = self.initial_step;
        loop {
            let (x, value, converged) = self.search(&eval, &best, step, &mut evaluations);
            let improved = best_value - value;
            let was_finite = best_value.is_finite();
            if value <= best_value {
                best = x;
                best_value = value;
            }
            if !converged {
                return Minimum {
                    x: best,
                    value: best_value,
                    evaluations,
                    termination: Termination::MaxIterations,
                };
            }
            if was_finite && improved.abs() <= self.value_tolerance * (1.0 + best_value.abs()) {
                return Minimum {
                    x: best,
                    value: best_value,
                    evaluations,
                    termination: Termination::Converged,
                };
            }
            // Restart around the best point with a smaller simplex.
            step = (step * 0.5).max(1e-3);
        }
    }

    /// One simplex search from `start`; returns the best vertex, its value and whether it
    /// converged within the remaining budget.
    fn search(
        &self,
        eval: &impl Fn(&[f64], &mut usize) -> f64,
        start: &[f64],
        step: f64,
        evaluations: &mut usize,
    ) -> (Vec<f64>, f64, bool) {
        let n = start.len();
        let dim = n as f64;
        let (reflect, expand) = (1.0, 1.0 + 2.0 / dim);
        let contract = 0.75 - 1.0 / (2.0 * dim);
        let shrink = 1.0 - 1.0 / dim;
        let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
        simplex.push((start.to_vec(), eval(start, evaluations)));
        for i in 0..n {
            let mut x = start.to_vec();
            x[i] += step;
            let value = eval(&x, evaluations);
            simplex.push((x, value));
        }
        let along = |from: &[f64], to: &[f64], t: f64| -> Vec<f64> {
            from.iter().zip(to).map(|(a, b)| a + t * (b - a)).collect()
        };
        loop {
            simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
            let (best, worst) = (simplex[0].1, simplex[n].1);
            let spread = simplex[1..].iter().fold(0.0f64, |m, (x, _)| {
                x.iter()
                    .zip(&simplex[0].0)
                    .fold(m, |m, (a, b)| m.max((a - b).abs()))
            });
            let value_spread = (worst - best).abs() / (1.0 + best.abs());
            if value_spread <= self.value_tolerance && spread <= self.point_tolerance {
                return (simplex[0].0.clone(), best, true);
            }
            if *evaluations >= self.max_evaluations {
                return (simplex[0].0.clone(), best, false);
            }
            let mut centroid = vec![0.0; n];
            for (x, _) in &simplex[..n] {
                for (c, xi) in centroid.iter_mut().zip(x) {
                    *c += xi / dim;
                }
            }
            let worst_x = simplex[n].0.clone();
            let reflected = along(&centroid, &worst_x, -reflect);
            let reflected_value = eval(&reflected, evaluations);
            if reflected_value < simplex[0].1 {
                let expanded = along(&centroid, &worst_x, -expand);
                let expanded_value = eval(&expanded, evaluations);
                simplex[n] = if expanded_value < reflected_value {
                    (expanded, expanded_value)
                } else {
                    (reflected, reflected_value)
                };
                continue;
            }
            if reflected_value < simplex[n - 1].1 {
                simplex[n] = (reflected, reflected_value);
                continue;
            }
            let (contracted, contracted_value) = if reflected_value < worst {
                let x = along(&centroid, &reflected, contract);
                let v = eval(&x, evaluations);
                (x, v)
            } else {
                let x = along(&centroid, &worst_x, contract);
                let v = eval(&x, evaluations);
                (x, v)
            };
            if contracted_value < worst.min(reflected_value) {
                simplex[n] = (contracted, contracted_value);
                continue;
            }
            let best_x = simplex[0].0.clone();
            for vertex in simplex.iter_mut().skip(1) {
                let x = along(&best_x, &vertex.0, shrink);
                let v = eval(&x, evaluations);
                *vertex = (x, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_quadratic() {
        let f = |x: &[f64]| (x[0] - 1.0).powi(2) + 10.0 * (x[1] + 2.0).powi(2);
        let minimum = NelderMead::default().minimize(f, &[0.0, 0.0]);
        assert_eq!(minimum.termination, Termination::Converged);
        assert!((minimum.x[0] - 1.0).abs() < 1e-5, "{:?}", minimum.x);
        assert!((minimum.x[1] + 2.0).abs() < 1e-5, "{:?}", minimum.x);
    }

    #[test]
    fn finds_the_minimum_of_rosenbrock_in_four_dimensions() {
        let f = |x: &[f64]| {
            (0..3)
                .map(|i| 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2))
                .sum::<f64>()
        };
        let minimum = NelderMead::default().minimize(f, &[-1.0, 0.5, -0.5, 1.5]);
        assert_eq!(minimum.termination, Termination::Converged);
        for xi in &minimum.x {
            assert!((xi - 1.0).abs() < 1e-3, "{:?}", minimum.x);
        }
    }

    #[test]
    fn steps_back_from_undefined_regions() {
        // ln is undefined below 0: the search must stay where f is finite.
        let f = |x: &[f64]| x[0] - 2.0 * x[0].ln();
        let minimum = NelderMead::default().minimize(f, &[0.3]);
        assert!((minimum.x[0] - 2.0).abs() < 1e-5, "{:?}", minimum.x);
    }

    #[test]
    fn reports_an_exhausted_budget() {
        let f = |x: &[f64]| x.iter().map(|v| v * v).sum::<f64>();
        let settings = NelderMead {
            max_evaluations: 10,
            ..NelderMead::default()
        };
        let minimum = settings.minimize(f, &[5.0, 5.0, 5.0]);
        assert_eq!(minimum.termination, Termination::MaxIterations);
    }
}
