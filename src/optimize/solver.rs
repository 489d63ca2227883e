//! Problem, solver and loop apart (argmin's shape, STYLE.md §6).
//!
//! - [`Problem`]: a function to maximize over a feasible set with a projection;
//! - [`Solver`]: `init` and `step`, each step returning the new state and, when it is done,
//!   a [`Termination`];
//! - [`execute`]: the one loop, with the iteration limit and [`Observer`]s for progress.
//!
//! The solver shipped is the spectral projected gradient method (Birgin, Martínez & Raydan
//! 2000): a projected gradient step with the Barzilai–Borwein step length and an Armijo
//! backtracking line search along the projected path, which handles the box-and-budget set of
//! a budget split exactly (every iterate is feasible) and finds optima on a bound (a useless
//! lever goes to its lower bound) as well as interior ones. Gradients are central finite
//! differences in scaled coordinates, one-sided at a bound.

use crate::optimize::OptimizeError;
use crate::optimize::termination::Termination;

/// A function to maximize over a feasible set.
pub trait Problem {
    fn dim(&self) -> usize;
    /// The objective at `x` (feasible or slightly outside, for finite differences).
    fn value(&self, x: &[f64]) -> Result<f64, OptimizeError>;
    /// The nearest feasible point.
    fn project(&self, x: &[f64]) -> Vec<f64>;
    /// Natural size of each coordinate.
    fn scale(&self) -> Vec<f64>;
    /// Bounds of coordinate `i`.
    fn bounds(&self, i: usize) -> (f64, f64);
}

/// Counts evaluations on the way to the problem.
pub struct Counted<'p> {
    pub problem: &'p dyn Problem,
    pub evaluations: u64,
}

impl Counted<'_> {
    pub fn value(&mut self, x: &[f64]) -> Result<f64, OptimizeError> {
        self.evaluations += 1;
        self.problem.value(x)
    }
}

/// Where a search is.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub x: Vec<f64>,
    pub value: f64,
    pub gradient: Vec<f64>,
    /// Current step length (in scaled coordinates).
    pub step: f64,
    pub iteration: u64,
}

pub trait Solver {
    fn init(&mut self, problem: &mut Counted<'_>, x0: Vec<f64>) -> Result<State, OptimizeError>;
    fn step(
        &mut self,
        problem: &mut Counted<'_>,
        state: State,
    ) -> Result<(State, Option<Termination>), OptimizeError>;
}

/// Sees every state, e.g. to show progress.
pub trait Observer {
    fn observe(&mut self, state: &State, evaluations: u64);
}

/// The result of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub x: Vec<f64>,
    pub value: f64,
    pub termination: Termination,
    pub iterations: u64,
    pub evaluations: u64,
}

/// The loop: init, then step until the solver stops or `max_iterations` is reached.
pub fn execute(
    problem: &dyn Problem,
    solver: &mut dyn Solver,
    x0: Vec<f64>,
    max_iterations: u64,
    observers: &mut [&mut dyn Observer],
) -> Result<Outcome, OptimizeError> {
    let mut counted = Counted {
        problem,
        evaluations: 0,
    };
    let mut state = solver.init(&mut counted, problem.project(&x0))?;
    let termination = loop {
        if state.iteration >= max_iterations {
            break Termination::MaxIterations {
                limit: max_iterations,
            };
        }
        let (next, done) = solver.step(&mut counted, state)?;
        state = next;
        state.iteration += 1;
        for observer in observers.iter_mut() {
            observer.observe(&state, counted.evaluations);
        }
        if let Some(reason) = done {
            break reason;
        }
    };
    Ok(Outcome {
        x: state.x,
        value: state.value,
        termination,
        iterations: state.iteration,
        evaluations: counted.evaluations,
    })
}

/// Spectral projected gradient ascent with finite-difference gradients.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectedGradient {
    /// Converged when the relative improvement stays below this for `patience` steps.
    pub tolerance: f64,
    pub patience: u32,
    /// Finite-difference step, relative to each coordinate's scale.
    pub difference_step: f64,
    quiet_steps: u32,
}

impl ProjectedGradient {
    /// The default solver with its convergence tolerance.
    pub fn with_tolerance(tolerance: f64) -> Self {
        ProjectedGradient {
            tolerance,
            ..ProjectedGradient::default()
        }
    }
}

impl Default for ProjectedGradient {
    fn default() -> Self {
        ProjectedGradient {
            tolerance: 1e-8,
            patience: 3,
            difference_step: 1e-4,
            quiet_steps: 0,
        }
    }
}

/// Armijo sufficient-increase constant.
const ARMIJO: f64 = 1e-4;
/// Halvings of the step before a line search gives up.
const MAX_BACKTRACKS: u32 = 40;

impl ProjectedGradient {
    /// Central differences in each coordinate, one-sided where a bound is within the step.
    pub fn gradient(
        &self,
        problem: &mut Counted<'_>,
        x: &[f64],
        value: f64,
    ) -> Result<Vec<f64>, OptimizeError> {
        let scale = problem.problem.scale();
        let mut gradient = vec![0.0; x.len()];
        for i in 0..x.len() {
            let h = self.difference_step * scale[i];
            let (lo, hi) = problem.problem.bounds(i);
            let mut point = x.to_vec();
            let (down, up) = (x[i] - h >= lo, x[i] + h <= hi);
            gradient[i] = match (down, up) {
                (true, true) => {
                    point[i] = x[i] + h;
                    let plus = problem.value(&point)?;
                    point[i] = x[i] - h;
                    let minus = problem.value(&point)?;
                    (plus - minus) / (2.0 * h)
                }
                (false, true) => {
                    point[i] = x[i] + h;
                    (problem.value(&point)? - value) / h
                }
                (true, false) => {
                    point[i] = x[i] - h;
                    (value - problem.value(&point)?) / h
                }
                (false, false) => 0.0,
            };
        }
        Ok(gradient)
    }

    /// P(x + t·S²·g) − x: the projected step of length t in scaled coordinates.
    fn projected(problem: &dyn Problem, x: &[f64], gradient: &[f64], t: f64) -> Vec<f64> {
        let scale = problem.scale();
        let trial: Vec<f64> = (0..x.len())
            .map(|i| x[i] + t * scale[i] * scale[i] * gradient[i])
            .collect();
        problem.project(&trial)
    }
}

impl Solver for ProjectedGradient {
    fn init(&mut self, problem: &mut Counted<'_>, x0: Vec<f64>) -> Result<State, OptimizeError> {
        let value = problem.value(&x0)?;
        let gradient = self.gradient(problem, &x0, value)?;
        let scale = problem.problem.scale();
        // First step: move about 10% of the scale along the steepest coordinate.
        let g_max = gradient
            .iter()
            .zip(&scale)
            .map(|(g, s)| (g * s).abs())
            .fold(0.0, f64::max);
        let step = if g_max > 0.0 { 0.1 / g_max } else { 1.0 };
        self.quiet_steps = 0;
        Ok(State {
            x: x0,
            value,
            gradient,
            step,
            iteration: 0,
        })
    }

    fn step(
        &mut self,
        problem: &mut Counted<'_>,
        state: State,
    ) -> Result<(State, Option<Termination>), OptimizeError> {
        let scale = problem.problem.scale();
        let mut t = state.step;
        let converged = Termination::Converged {
            tolerance: self.tolerance,
        };
        // Stationary: the projected gradient step does not move.
        let probe = Self::projected(problem.problem, &state.x, &state.gradient, t);
        let moved = probe
            .iter()
            .zip(&state.x)
            .zip(&scale)
            .map(|((a, b), s)| ((a - b) / s).abs())
            .fold(0.0, f64::max);
        if moved < 1e-10 {
            return Ok((state, Some(converged)));
        }
        for _ in 0..MAX_BACKTRACKS {
            let candidate = Self::projected(problem.problem, &state.x, &state.gradient, t);
            let direction: Vec<f64> = candidate.iter().zip(&state.x).map(|(a, b)| a - b).collect();
            let predicted: f64 = direction
                .iter()
                .zip(&state.gradient)
                .map(|(d, g)| d * g)
                .sum();
            let value = problem.value(&candidate)?;
            if value >= state.value + ARMIJO * predicted && value >= state.value {
                let gradient = self.gradient(problem, &candidate, value)?;
                // Barzilai–Borwein length for ascent: s·s / −(s·y) in scaled coordinates.
                let (mut ss, mut sy) = (0.0, 0.0);
                for i in 0..candidate.len() {
                    let s = direction[i] / scale[i];
                    let y = (gradient[i] - state.gradient[i]) * scale[i];
                    ss += s * s;
                    sy += s * y;
                }
                let next_step = if sy < 0.0 {
                    (ss / -sy).clamp(1e-12, 1e12)
                } else {
                    t * 4.0
                };
                let improvement = (value - state.value) / state.value.abs().max(1e-300);
                self.quiet_steps = if improvement < self.tolerance {
                    self.quiet_steps + 1
                } else {
                    0
                };
                let done = (self.quiet_steps >= self.patience).then_some(converged);
                let next = State {
                    x: candidate,
                    value,
                    gradient,
                    step: next_step,
                    iteration: state.iteration,
                };
                return Ok((next, done));
            }
            t *= 0.25;
        }
        Ok((state, Some(Termination::Stalled)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::projection::BoxBudget;

    /// Σ w_i·ln(1 + x_i) − cost: concave, with optimum where w_i/(1 + x_i) is equal.
    struct Concave {
        weights: Vec<f64>,
        set: BoxBudget,
    }

    impl Problem for Concave {
        fn dim(&self) -> usize {
            self.weights.len()
        }
        fn value(&self, x: &[f64]) -> Result<f64, OptimizeError> {
            Ok(self
                .weights
                .iter()
                .zip(x)
                .map(|(w, v)| w * (1.0 + v.max(-0.5)).ln())
                .sum())
        }
        fn project(&self, x: &[f64]) -> Vec<f64> {
            self.set.project(x)
        }
        fn scale(&self) -> Vec<f64> {
            vec![10.0; self.weights.len()]
        }
        fn bounds(&self, i: usize) -> (f64, f64) {
            (self.set.lower[i], self.set.upper[i])
        }
    }

    #[test]
    fn finds_the_equal_marginal_split_and_the_zero_lever() {
        let problem = Concave {
            weights: vec![3.0, 1.0, 0.0],
            set: BoxBudget::new(vec![0.0; 3], vec![100.0; 3], Some(10.0), false).unwrap(),
        };
        let mut solver = ProjectedGradient::default();
        let outcome = execute(&problem, &mut solver, vec![3.0, 3.0, 3.0], 500, &mut []).unwrap();
        // 3/(1 + a) = 1/(1 + b), a + b = 10 → a = 8, b = 2.
        assert!((outcome.x[0] - 8.0).abs() < 1e-3, "{outcome:?}");
        assert!((outcome.x[1] - 2.0).abs() < 1e-3, "{outcome:?}");
        assert!(outcome.x[2].abs() < 1e-9, "{outcome:?}");
        assert!(outcome.termination.converged(), "{outcome:?}");
    }
}
