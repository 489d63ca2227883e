//! The retention programme's effect from an experiment (SPEC §14, `ceq fit retention-test`).
//!
//! A test holds out a control group and gives one or more treated groups a retention spend per
//! customer per period; each group's customers still active are counted per period. ceq's
//! programme scales churn hazards (SPEC §5): a customer who would churn with probability θ
//! churns with (1 − L(s))·θ under spend s per head. The matching model of the experiment is a
//! grouped discrete-time proportional-hazards model (Cox 1972; Prentice & Gloeckler 1978 give
//! its grouped form): in period t, each of the n_{g,t−1} customers of group g still active
//! churns independently with probability q_t·(1 − L_g), where q_t is the control's churn
//! probability in period t (a free nuisance parameter per period, so any baseline pattern is
//! allowed) and L_g = 0 for a control (spend 0) and the reduction of the group's spend
//! otherwise. Churners d_{g,t} ~ Binomial(n_{g,t−1}, q_t(1 − L_g)).
//!
//! Two fits of the same likelihood:
//!
//! - per spend level: one free reduction L_j for each distinct positive spend s_j (on the scale
//!   u = −ln(1 − L), so L < 1 but may be negative: a programme that raises churn is reported,
//!   not hidden). This is the churn reduction at the tested spend;
//! - the curve: L(s) = max_churn_reduction·(1 − 2^(−s/half_spend)) (SPEC §5), identified by
//!   two or more positive spend levels, or by one level when `half_spend` is given.
//!
//! The q_t are profiled out: for given reductions each solves a concave one-dimensional score
//! equation (Newton's method, safeguarded by bisection). The reductions are maximized by
//! Nelder–Mead; their standard errors come from the Hessian of the profile negative
//! log-likelihood, whose inverse at the maximum equals the reductions' block of the full
//! inverse information (the profile-likelihood identity, e.g. Pawitan 2001 §9.6). Intervals are
//! Wald intervals on the search scale mapped back (−ln(1 − L) for a reduction, logit for
//! max_churn_reduction, log for half_spend).
//!
//! Within a group with heterogeneous churn, the hazard ratio of survivors drifts over a long
//! test (the treated group keeps more of its churn-prone customers), so the estimate is the
//! test's average hazard reduction; it is exact when churn is homogeneous within each period.

use serde::Serialize;

use super::response::ParameterDraws;
use super::sum::NeumaierSum;
use super::table::CsvTable;
use super::{FitError, hessian, newton_polish, optimizer};
use crate::scenario::Domain;

const Z95: f64 = 1.959_963_984_540_054;

/// One arm of the experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestGroup {
    pub name: String,
    /// Retention spend per customer per period (0 for a control).
    pub spend: f64,
    /// Customers active at periods 0, 1, … (period 0 is the group's size at the start).
    pub active: Vec<f64>,
}

/// Reads a retention test: columns `group`, `spend`, `period` and `active` (any order, names
/// without case), one row per group and period. Each group's periods run 0, 1, 2, … in order
/// (rows of different groups may interleave), its spend is the same in every row, and its
/// active customers never rise.
pub fn read_test(text: &str) -> Result<Vec<TestGroup>, FitError> {
    let table = CsvTable::read(text)?;
    let columns: Vec<Option<usize>> = ["group", "spend", "period", "active"]
        .iter()
        .map(|name| table.column(name))
        .collect();
    let missing: Vec<&str> = ["group", "spend", "period", "active"]
        .iter()
        .zip(&columns)
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(FitError::MissingColumn(format!(
            "line 1: missing column(s) {}; a retention test has the columns group, spend \
             (per customer per period, 0 for a control), period (0, 1, 2, …) and active \
             (customers still active)",
            missing.join(", ")
        )));
    }
    let [group, spend, period, active] =
        [columns[0], columns[1], columns[2], columns[3]].map(|c| c.unwrap_or(0));
    let mut groups: Vec<TestGroup> = Vec::new();
    for row in &table.rows {
        let name = row.cells[group].clone();
        if name.is_empty() {
            return Err(FitError::Line {
                line: row.line,
                message: format!("column {} (`group`) is empty; name the group", group + 1),
            });
        }
        let s = row.number(spend, "spend", "a spend per customer ≥ 0", |v| v >= 0.0)?;
        let t = row.count(period, "period")?;
        let n = row.number(active, "active", "a number of customers ≥ 0", |v| {
            v >= 0.0
        })?;
        let bad = |message: String| FitError::Line {
            line: row.line,
            message,
        };
        let index = match groups.iter().position(|g| g.name == name) {
            Some(i) => i,
            None => {
                groups.push(TestGroup {
                    name: name.clone(),
                    spend: s,
                    active: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[index];
        if s != g.spend {
            return Err(bad(format!(
                "group `{name}` has spend {s} here but {} before; give each spend level its \
                 own group",
                g.spend
            )));
        }
        if t != g.active.len() as f64 {
            return Err(bad(format!(
                "group `{name}`: expected period {} next, found {t}; each group's periods run \
                 0, 1, 2, … in order",
                g.active.len()
            )));
        }
        if let Some(&previous) = g.active.last()
            && n > previous
        {
            return Err(bad(format!(
                "group `{name}`: {n} active in period {t} but {previous} in the period before; \
                 a test group can only shrink (count no new customers into it)"
            )));
        }
        g.active.push(n);
    }
    if !groups.iter().any(|g| g.spend == 0.0) {
        return Err(FitError::NotEnoughData(
            "no control group: at least one group needs spend 0".to_string(),
        ));
    }
    if !groups.iter().any(|g| g.spend > 0.0) {
        return Err(FitError::NotEnoughData(
            "no treated group: at least one group needs a spend above 0".to_string(),
        ));
    }
    if groups.iter().all(|g| g.active.len() < 2) {
        return Err(FitError::NotEnoughData(
            "every group has only period 0; the test needs at least one later period".to_string(),
        ));
    }
    Ok(groups)
}

/// A fitted quantity with its standard error and 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fitted {
    pub value: f64,
    pub std_error: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

/// The churn reduction at one tested spend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelEffect {
    pub spend: f64,
    pub churn_reduction: Fitted,
    /// Customers in the groups at this spend at period 0.
    pub customers: f64,
}

/// The fitted curve L(s) = max_churn_reduction·(1 − 2^(−s/half_spend)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveFit {
    pub max_churn_reduction: Fitted,
    pub half_spend: Fitted,
    /// Whether half_spend was given (`--half-spend`) rather than fitted.
    pub half_spend_fixed: bool,
    /// Correlation of the two estimates (null when half_spend is fixed or unknown).
    pub correlation: Option<f64>,
    pub log_likelihood: f64,
    /// Covariance of the fitted parameters (max_churn_reduction, then half_spend if fitted).
    #[serde(skip)]
    pub covariance: Option<nalgebra::DMatrix<f64>>,
}

/// The whole fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionTestFit {
    pub groups: Vec<TestGroup>,
    /// One entry per distinct positive spend, ascending.
    pub levels: Vec<LevelEffect>,
    /// The per-level fit's log-likelihood.
    pub log_likelihood: f64,
    /// The control's fitted churn probability per period 1, 2, … (per-level fit).
    pub control_churn: Vec<f64>,
    /// The curve, when the levels (or a given half_spend) identify it.
    pub curve: Option<CurveFit>,
}

/// Churners and customers at risk of each group in each period 1..: (at risk, churned).
fn risk_sets(groups: &[TestGroup]) -> Vec<Vec<(f64, f64)>> {
    groups
        .iter()
        .map(|g| g.active.windows(2).map(|w| (w[0], w[0] - w[1])).collect())
        .collect()
}

/// The q in (0, 1/max c) maximizing Σ_g [d_g ln(q c_g) + (n_g − d_g) ln(1 − q c_g)] over the
/// groups' (multiplier c, at risk n, churned d); 0 when nobody churned. Concave in q, so
/// Newton's method from the pooled rate, kept inside the bracket by bisection, converges.
fn profile_hazard(cells: &[(f64, f64, f64)]) -> f64 {
    let churned: f64 = cells.iter().map(|c| c.2).sum();
    if churned == 0.0 {
        return 0.0;
    }
    let upper = 1.0 / cells.iter().map(|c| c.0).fold(0.0, f64::max);
    let score = |q: f64| -> (f64, f64) {
        let mut first = 0.0;
        let mut second = 0.0;
        for &(c, n, d) in cells {
            let stay = 1.0 - q * c;
            first += d / q - (n - d) * c / stay;
            second += -d / (q * q) - (n - d) * c * c / (stay * stay);
        }
        (first, second)
    };
    let exposure: f64 = cells.iter().map(|c| c.0 * c.1).sum();
    let (mut low, mut high) = (0.0, upper);
    let mut q = (churned / exposure).clamp(upper * 1e-12, upper * (1.0 - 1e-12));
    for _ in 0..200 {
        let (first, second) = score(q);
        if first > 0.0 {
            low = q;
        } else {
            high = q;
        }
        let mut next = q - first / second;
        if !(next > low && next < high) {
            next = 0.5 * (low + high);
        }
        if (next - q).abs() <= 1e-15 * q {
            return next;
        }
        q = next;
    }
    q
}

/// The profile negative log-likelihood for per-group multipliers `c` (1 − L_g), with the
/// profiled control hazards.
fn profile_nll(risk: &[Vec<(f64, f64)>], multipliers: &[f64]) -> (f64, Vec<f64>) {
    if multipliers.iter().any(|c| !(c.is_finite() && *c > 0.0)) {
        return (f64::INFINITY, Vec::new());
    }
    let periods = risk.iter().map(Vec::len).max().unwrap_or(0);
    let mut sum = NeumaierSum::default();
    let mut hazards = Vec::with_capacity(periods);
    for t in 0..periods {
        let cells: Vec<(f64, f64, f64)> = risk
            .iter()
            .zip(multipliers)
            .filter_map(|(r, &c)| r.get(t).map(|&(n, d)| (c, n, d)))
            .filter(|cell| cell.1 > 0.0)
            .collect();
        let q = profile_hazard(&cells);
        for &(c, n, d) in &cells {
            let p = q * c;
            if d > 0.0 {
                sum.add(-d * p.ln());
            }
            if n > d {
                if p >= 1.0 {
                    return (f64::INFINITY, Vec::new());
                }
                sum.add(-(n - d) * (-p).ln_1p());
            }
        }
        hazards.push(q);
    }
    (sum.total(), hazards)
}

/// Minimizes `nll` over search coordinates from `start`, polished by Newton steps.
fn minimize(nll: impl Fn(&[f64]) -> f64, start: Vec<f64>) -> Result<Vec<f64>, FitError> {
    let minimum = optimizer::NelderMead::default().minimize(&nll, &start);
    if !minimum.value.is_finite() || minimum.termination == optimizer::Termination::MaxIterations {
        return Err(FitError::NoMaximum {
            model: "retention test",
            reason: "the search did not converge; the groups may be too small to show an effect"
                .to_string(),
        });
    }
    Ok(newton_polish(&nll, minimum.x, minimum.value).0)
}

/// L from u = −ln(1 − L) and back.
fn reduction(u: f64) -> f64 {
    -(-u).exp_m1()
}

fn fitted(
    value: f64,
    std_error: Option<f64>,
    to_search: impl Fn(f64) -> f64,
    back: impl Fn(f64) -> f64,
    slope: f64,
) -> Fitted {
    let ci95 = std_error.and_then(|se| {
        let center = to_search(value);
        let half = Z95 * se / slope;
        let bounds = [back(center - half), back(center + half)];
        bounds.iter().all(|b| b.is_finite()).then_some(bounds)
    });
    Fitted {
        value,
        std_error,
        ci95,
    }
}

fn logit(x: f64) -> f64 {
    (x / (1.0 - x)).ln()
}

fn logistic(u: f64) -> f64 {
    1.0 / (1.0 + (-u).exp())
}

/// Fits the experiment: the reduction at each spend level and, when identified, the curve.
/// `half_spend` fixes the curve's half-spend (the only way one spend level gives a curve).
pub fn fit_retention_test(
    groups: &[TestGroup],
    half_spend: Option<f64>,
) -> Result<RetentionTestFit, FitError> {
    let risk = risk_sets(groups);
    let churned = |keep: &dyn Fn(&TestGroup) -> bool| -> f64 {
        groups
            .iter()
            .zip(&risk)
            .filter(|(g, _)| keep(g))
            .flat_map(|(_, r)| r.iter().map(|cell| cell.1))
            .sum()
    };
    if churned(&|g| g.spend == 0.0) == 0.0 {
        return Err(FitError::NotEnoughData(
            "the control group(s) lost no customers: there is no churn for the programme to \
             reduce; run the test longer or on more customers"
                .to_string(),
        ));
    }
    let mut levels: Vec<f64> = groups
        .iter()
        .map(|g| g.spend)
        .filter(|s| *s > 0.0)
        .collect();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    for &spend in &levels {
        if churned(&|g| g.spend == spend) == 0.0 {
            return Err(FitError::NotEnoughData(format!(
                "the group(s) at spend {spend} lost no customers: their churn reduction would be \
                 1 with no interval; run the test longer or on more customers"
            )));
        }
    }
    let level_of: Vec<Option<usize>> = groups
        .iter()
        .map(|g| levels.iter().position(|s| *s == g.spend))
        .collect();
    // Per level: natural parameters L_j.
    let per_level_nll = |reductions: &[f64]| {
        let multipliers: Vec<f64> = level_of
            .iter()
            .map(|l| l.map_or(1.0, |j| 1.0 - reductions[j]))
            .collect();
        profile_nll(&risk, &multipliers).0
    };
    let search = minimize(
        |u: &[f64]| per_level_nll(&u.iter().map(|u| reduction(*u)).collect::<Vec<_>>()),
        vec![0.1; levels.len()],
    )?;
    let values: Vec<f64> = search.iter().map(|u| reduction(*u)).collect();
    let covariance = hessian::covariance(per_level_nll, &values);
    let (minimum, control_churn) = {
        let multipliers: Vec<f64> = level_of
            .iter()
            .map(|l| l.map_or(1.0, |j| 1.0 - values[j]))
            .collect();
        profile_nll(&risk, &multipliers)
    };
    let level_effects = levels
        .iter()
        .enumerate()
        .map(|(j, &spend)| {
            let se = covariance
                .as_ref()
                .map(|c| c[(j, j)].sqrt())
                .filter(|s| s.is_finite());
            LevelEffect {
                spend,
                churn_reduction: fitted(
                    values[j],
                    se,
                    |l| -(-l).ln_1p(),
                    reduction,
                    1.0 - values[j],
                ),
                customers: groups
                    .iter()
                    .filter(|g| g.spend == spend)
                    .map(|g| g.active[0])
                    .sum(),
            }
        })
        .collect();
    let curve = if levels.len() >= 2 || half_spend.is_some() {
        Some(fit_curve(&risk, groups, &levels, half_spend)?)
    } else {
        None
    };
    Ok(RetentionTestFit {
        groups: groups.to_vec(),
        levels: level_effects,
        log_likelihood: binomial_constant(&risk) - minimum,
        control_churn,
        curve,
    })
}

/// Σ ln C(n, d) over all groups and periods, the part of the log-likelihood without
/// parameters.
fn binomial_constant(risk: &[Vec<(f64, f64)>]) -> f64 {
    use crate::model::closed_form::ln_gamma;
    let mut sum = NeumaierSum::default();
    for &(n, d) in risk.iter().flatten() {
        sum.add(ln_gamma(n + 1.0) - ln_gamma(d + 1.0) - ln_gamma(n - d + 1.0));
    }
    sum.total()
}

fn fit_curve(
    risk: &[Vec<(f64, f64)>],
    groups: &[TestGroup],
    levels: &[f64],
    fixed_half_spend: Option<f64>,
) -> Result<CurveFit, FitError> {
    // Natural parameters: [max_churn_reduction, half_spend] (or just the first when fixed).
    let curve_nll = |x: &[f64]| {
        let (m, h) = (x[0], fixed_half_spend.unwrap_or_else(|| x[1]));
        if !(0.0..=1.0).contains(&m) || h.is_nan() || h <= 0.0 {
            return f64::INFINITY;
        }
        let multipliers: Vec<f64> = groups
            .iter()
            .map(|g| 1.0 - m * (-(-std::f64::consts::LN_2 * g.spend / h).exp_m1()))
            .collect();
        profile_nll(risk, &multipliers).0
    };
    let middle = levels[levels.len() / 2];
    let to_natural = |u: &[f64]| -> Vec<f64> {
        match fixed_half_spend {
            Some(_) => vec![logistic(u[0])],
            None => vec![logistic(u[0]), u[1].exp()],
        }
    };
    let mut best: Option<(Vec<f64>, f64)> = None;
    let starts: Vec<Vec<f64>> = match fixed_half_spend {
        Some(_) => vec![vec![logit(0.2)], vec![logit(0.6)]],
        None => [0.2, 0.6]
            .iter()
            .flat_map(|m| [0.3, 1.0, 3.0].map(|f| vec![logit(*m), (middle * f).ln()]))
            .collect(),
    };
    for start in starts {
        let value = curve_nll(&to_natural(&start));
        if value.is_finite() && best.as_ref().is_none_or(|b| value < b.1) {
            best = Some((start, value));
        }
    }
    let start = best.map(|b| b.0).ok_or_else(|| FitError::NoMaximum {
        model: "retention curve",
        reason: "no starting point has a finite likelihood".to_string(),
    })?;
    let search = minimize(|u: &[f64]| curve_nll(&to_natural(u)), start)?;
    let x = to_natural(&search);
    let covariance = hessian::covariance(curve_nll, &x);
    let se = |i: usize| {
        covariance
            .as_ref()
            .map(|c| c[(i, i)].sqrt())
            .filter(|s| s.is_finite())
    };
    let m = x[0];
    let max_churn_reduction = fitted(m, se(0), logit, logistic, m * (1.0 - m));
    let (half_spend, correlation) = match fixed_half_spend {
        Some(h) => (
            Fitted {
                value: h,
                std_error: None,
                ci95: None,
            },
            None,
        ),
        None => (
            fitted(x[1], se(1), f64::ln, f64::exp, x[1]),
            covariance
                .as_ref()
                .map(|c| c[(0, 1)] / (c[(0, 0)] * c[(1, 1)]).sqrt()),
        ),
    };
    Ok(CurveFit {
        max_churn_reduction,
        half_spend,
        half_spend_fixed: fixed_half_spend.is_some(),
        correlation,
        log_likelihood: binomial_constant(risk) - curve_nll(&x),
        covariance,
    })
}

/// Draws of the curve's parameters for `[uncertainty] draws` from the estimate's asymptotic
/// normal sampling distribution (see [`super::response::sample_draws`]), with the paths
/// `retention_program.response.max_churn_reduction` and, when fitted,
/// `retention_program.response.half_spend`; values outside their range are clamped and
/// counted.
pub fn sample_draws(curve: &CurveFit, count: usize, seed: u64) -> Result<ParameterDraws, FitError> {
    let covariance = curve.covariance.as_ref().ok_or_else(|| {
        FitError::NotEnoughData(
            "the experiment does not pin the curve down (a singular information matrix), so \
             there is no sampling distribution to draw from"
                .to_string(),
        )
    })?;
    let mut paths = vec!["retention_program.response.max_churn_reduction".to_string()];
    let mut center = vec![curve.max_churn_reduction.value];
    let mut domains = vec![Domain::PROBABILITY];
    if !curve.half_spend_fixed {
        paths.push("retention_program.response.half_spend".to_string());
        center.push(curve.half_spend.value);
        domains.push(Domain::POSITIVE);
    }
    ParameterDraws::normal(paths, &center, covariance, &domains, count, (seed, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profiled_hazard_solves_its_score_equation() {
        // One group: the binomial MLE d/(n·c).
        let q = profile_hazard(&[(0.5, 1000.0, 40.0)]);
        assert!((q - 0.08).abs() < 1e-14, "{q}");
        // Two groups: the score is zero at the solution.
        let cells = [(1.0, 1000.0, 60.0), (0.7, 900.0, 30.0)];
        let q = profile_hazard(&cells);
        let score: f64 = cells
            .iter()
            .map(|&(c, n, d)| d / q - (n - d) * c / (1.0 - q * c))
            .sum();
        assert!(score.abs() < 1e-8, "{score}");
        assert_eq!(profile_hazard(&[(1.0, 10.0, 0.0)]), 0.0);
    }

    #[test]
    fn tests_are_read_and_checked() {
        let text = "group,spend,period,active\nc,0,0,100\nt,5,0,100\nc,0,1,90\nt,5,1,95\n";
        let groups = read_test(text).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[1].active, [100.0, 95.0]);
        let rising = "group,spend,period,active\nc,0,0,100\nc,0,1,120\nt,1,0,5\nt,1,1,4\n";
        assert_eq!(
            read_test(rising).unwrap_err().to_string(),
            "line 3: group `c`: 120 active in period 1 but 100 in the period before; a test \
             group can only shrink (count no new customers into it)"
        );
        let no_control = "group,spend,period,active\nt,5,0,100\nt,5,1,90\n";
        assert!(
            read_test(no_control)
                .unwrap_err()
                .to_string()
                .contains("no control group")
        );
        let missing = "group,spend,active\nc,0,100\n";
        assert!(
            read_test(missing)
                .unwrap_err()
                .to_string()
                .contains("missing column(s) period")
        );
    }
}
