//! Acquisition response curves and carryover fitted from a spend history (SPEC §14,
//! `ceq fit response`).
//!
//! The model is the scenario's own (SPEC §4 and the channel blocks): channel c with P_c
//! prospects spends S_{c,t} in period t; its adstocked spend is E_{c,t} = S_{c,t} +
//! λ_c·E_{c,t−1}, E_{c,0} = 0 (the geometric adstock of Broadbent 1979, as the drivers have);
//! each prospect is acquired with probability p_{c,t} = C_c·f(E_{c,t}/P_c), f one of the three
//! saturation forms of [`ResponseCurve::fraction`]. Hence, per channel and period,
//!
//! - with a `new_<channel>` column: new_{c,t} ~ Binomial(P_c, p_{c,t}), independent, and the
//!   likelihood separates by channel, each fitted on its own;
//! - with one `new_customers` column: the total is a sum of independent binomials (a
//!   Poisson-binomial law). Its mean is μ_t = Σ_c P_c·p_{c,t} and its variance
//!   v_t = Σ_c P_c·p_{c,t}(1 − p_{c,t}); the likelihood used is the normal one with that mean
//!   and variance. Justification: every term is a count of many independent trials, so by the
//!   Lyapunov central limit theorem the standardized total is normal up to a Berry–Esseen
//!   error of order Σ_c P_c p(1 − p)·… / v_t^{3/2} ≤ 1/√v_t (Berry 1941; Esseen 1942); with
//!   the hundreds of new customers per period that make a response curve worth fitting, the
//!   approximation's error is far below the sampling error of the estimates. All channels'
//!   parameters are then fitted jointly and are told apart only by how their spend moved
//!   differently over time (flighted spend identifies them, spend in fixed proportions does
//!   not, and the standard errors then say so).
//!
//! Parameters are estimated by maximum likelihood on unconstrained scales (logit of the
//! ceiling and the carryover, logarithms of half_spend, k and shape) with the Nelder–Mead
//! search of [`super::optimizer`] and Newton polishing; standard errors and the parameters'
//! covariance are the inverse of the Hessian of the negative log-likelihood on the natural
//! scale ([`super::hessian`]; Casella & Berger §10.1). The 95% intervals are Wald intervals
//! on the scale the parameter is searched on (logit for shares, log for positive numbers)
//! mapped back, so they stay in the parameter's range. The history starts with E_0 = 0: spend
//! before the first row is not known, so if spend preceded the history the first periods'
//! carryover is understated; dropping a few leading rows removes most of that effect.

use nalgebra::{DMatrix, DVector};
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;
use serde::ser::SerializeMap;

use super::sum::NeumaierSum;
use super::table::CsvTable;
use super::{FitError, hessian, newton_polish, optimizer};
use crate::model::closed_form::ln_gamma;
use crate::scenario::{Domain, ResponseCurve};
use crate::sim::rng::{Stream, stream};

/// z of a two-sided 95% normal interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The saturation form fitted (`--form`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseForm {
    /// C·(1 − 2^(−s/h)).
    HalfSpend,
    /// C·(1 − e^(−k·s)), Blattberg & Deighton (1996).
    K,
    /// C·s^γ/(s^γ + h^γ).
    Hill,
}

impl ResponseForm {
    /// The form's scenario key and `--form` value (`half_spend`, `k`, `hill`).
    pub fn name(self) -> &'static str {
        match self {
            ResponseForm::HalfSpend => "half_spend",
            ResponseForm::K => "k",
            ResponseForm::Hill => "hill",
        }
    }

    /// The parameter names in their order within a channel's parameter vector.
    pub fn parameter_names(self) -> &'static [&'static str] {
        match self {
            ResponseForm::HalfSpend => &["ceiling", "half_spend", "carryover"],
            ResponseForm::K => &["ceiling", "k", "carryover"],
            ResponseForm::Hill => &["ceiling", "half_spend", "shape", "carryover"],
        }
    }

    fn len(self) -> usize {
        self.parameter_names().len()
    }

    /// (ceiling, curve, carryover) from a channel's natural parameters.
    fn split(self, p: &[f64]) -> (f64, ResponseCurve, f64) {
        match self {
            ResponseForm::HalfSpend => (p[0], ResponseCurve::HalfSpend { half_spend: p[1] }, p[2]),
            ResponseForm::K => (p[0], ResponseCurve::Exponential { k: p[1] }, p[2]),
            ResponseForm::Hill => (
                p[0],
                ResponseCurve::Hill {
                    half_spend: p[1],
                    shape: p[2],
                },
                p[3],
            ),
        }
    }
}

/// How a parameter is kept in its range: shares on the logit scale, positive numbers on the
/// log scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    Logit,
    Log,
}

fn scale_of(name: &str) -> Scale {
    match name {
        "ceiling" | "carryover" => Scale::Logit,
        _ => Scale::Log,
    }
}

fn to_natural(scale: Scale, u: f64) -> f64 {
    match scale {
        Scale::Logit => 1.0 / (1.0 + (-u).exp()),
        Scale::Log => u.exp(),
    }
}

fn to_search(scale: Scale, x: f64) -> f64 {
    match scale {
        Scale::Logit => (x / (1.0 - x)).ln(),
        Scale::Log => x.ln(),
    }
}

/// The valid range of a parameter in a scenario (SPEC §4): draws are clamped into it.
fn domain_of(name: &str) -> Domain {
    match name {
        "ceiling" => Domain::PROBABILITY,
        "carryover" => Domain {
            high_open: true,
            ..Domain::closed(0.0, 1.0)
        },
        _ => Domain::POSITIVE,
    }
}

/// The 95% Wald interval on the parameter's search scale, mapped back (the delta method:
/// se(logit x) = se/(x(1 − x)), se(ln x) = se/x).
fn interval(name: &str, value: f64, se: f64) -> Option<[f64; 2]> {
    let scale = scale_of(name);
    let slope = match scale {
        Scale::Logit => value * (1.0 - value),
        Scale::Log => value,
    };
    let half = Z95 * se / slope;
    let center = to_search(scale, value);
    let bounds = [
        to_natural(scale, center - half),
        to_natural(scale, center + half),
    ];
    bounds.iter().all(|b| b.is_finite()).then_some(bounds)
}

/// New customers in the history: per channel, or one total.
#[derive(Debug, Clone, PartialEq)]
pub enum NewCustomers {
    /// `new[c][t]`, one `new_<channel>` column per channel.
    ByChannel(Vec<Vec<f64>>),
    /// One `new_customers` column.
    Total(Vec<f64>),
}

/// A spend history as read from CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendHistory {
    pub period_column: String,
    /// The period cells as written, one per row.
    pub periods: Vec<String>,
    /// The file line of each row.
    pub lines: Vec<u64>,
    /// Channel names, from the `spend_<channel>` columns in header order.
    pub channels: Vec<String>,
    /// `spend[c][t]`.
    pub spend: Vec<Vec<f64>>,
    pub new_customers: NewCustomers,
}

fn valid_channel_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads a spend history: a period column (`period`, else the first column), one
/// `spend_<channel>` column per channel and either one `new_<channel>` column per channel or
/// one `new_customers` column. Spend is money ≥ 0 per period, new customers whole numbers ≥ 0.
pub fn read_history(text: &str) -> Result<SpendHistory, FitError> {
    let table = CsvTable::read(text)?;
    let header = &table.header;
    let period = table.column("period").unwrap_or(0);
    let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    let mut channels = Vec::new();
    let mut spend_columns = Vec::new();
    for (i, h) in lower.iter().enumerate() {
        if let Some(name) = h.strip_prefix("spend_") {
            if !valid_channel_name(name) || name == "customers" {
                return Err(FitError::MissingColumn(format!(
                    "line 1: column `{}`: a channel name after `spend_` must be letters, digits, \
                     '-' or '_' (and not `customers`, which `new_customers` takes)",
                    header[i]
                )));
            }
            channels.push(name.to_string());
            spend_columns.push(i);
        }
    }
    if channels.is_empty() {
        return Err(FitError::MissingColumn(format!(
            "line 1: no `spend_<channel>` column in the header ({}); expected a period column, \
             one `spend_<channel>` column per channel and `new_<channel>` columns or one \
             `new_customers` column",
            header.join(", ")
        )));
    }
    let total = lower.iter().position(|h| h == "new_customers");
    let mut new_columns = vec![None; channels.len()];
    for (i, h) in lower.iter().enumerate() {
        let Some(name) = h.strip_prefix("new_") else {
            continue;
        };
        if name == "customers" {
            continue;
        }
        match channels.iter().position(|c| c == name) {
            Some(c) => new_columns[c] = Some(i),
            None => {
                return Err(FitError::MissingColumn(format!(
                    "line 1: column `{}` has no `spend_{name}` column beside it; every \
                     `new_<channel>` needs the channel's spend",
                    header[i]
                )));
            }
        }
    }
    let any_by_channel = new_columns.iter().any(Option::is_some);
    if total.is_some() && any_by_channel {
        return Err(FitError::MissingColumn(
            "line 1: the header has both `new_customers` and `new_<channel>` columns; give \
             either one count per channel or the total, not both"
                .to_string(),
        ));
    }
    if total.is_none() {
        let missing: Vec<String> = channels
            .iter()
            .zip(&new_columns)
            .filter(|(_, c)| c.is_none())
            .map(|(name, _)| format!("`new_{name}`"))
            .collect();
        if !missing.is_empty() {
            return Err(FitError::MissingColumn(format!(
                "line 1: missing {}; expected one `new_<channel>` column per `spend_<channel>` \
                 column, or one `new_customers` column with the total",
                missing.join(", ")
            )));
        }
    }
    let rows = &table.rows;
    let mut spend = vec![Vec::with_capacity(rows.len()); channels.len()];
    let mut by_channel = vec![Vec::with_capacity(rows.len()); channels.len()];
    let mut totals = Vec::with_capacity(rows.len());
    for row in rows {
        for (c, &column) in spend_columns.iter().enumerate() {
            spend[c].push(row.number(column, &header[column], "a spend ≥ 0", |v| v >= 0.0)?);
        }
        match total {
            Some(column) => totals.push(row.count(column, &header[column])?),
            None => {
                for (c, column) in new_columns.iter().enumerate() {
                    let column = column.unwrap_or(0);
                    by_channel[c].push(row.count(column, &header[column])?);
                }
            }
        }
    }
    Ok(SpendHistory {
        period_column: header[period].clone(),
        periods: rows.iter().map(|r| r.cells[period].clone()).collect(),
        lines: rows.iter().map(|r| r.line).collect(),
        channels,
        spend,
        new_customers: match total {
            Some(_) => NewCustomers::Total(totals),
            None => NewCustomers::ByChannel(by_channel),
        },
    })
}

/// Geometric adstock E_t = S_t + λ·E_{t−1}, E_0 = 0 (Broadbent 1979).
pub fn adstock(spend: &[f64], carryover: f64) -> Vec<f64> {
    let mut level = 0.0;
    spend
        .iter()
        .map(|s| {
            level = s + carryover * level;
            level
        })
        .collect()
}

/// The acquisition probability p_t of each period for a channel's natural parameters.
pub fn probabilities(
    form: ResponseForm,
    params: &[f64],
    spend: &[f64],
    prospects: f64,
) -> Vec<f64> {
    let (ceiling, curve, carryover) = form.split(params);
    adstock(spend, carryover)
        .iter()
        .map(|e| ceiling * curve.fraction(e / prospects))
        .collect()
}

/// −Σ_t [y ln p + (n − y) ln(1 − p)] over the periods given (the binomial coefficients left
/// out; see [`ln_binomial_coefficients`]). +∞ where a count is impossible.
fn binomial_nll(probabilities: &[f64], counts: &[f64], trials: f64) -> f64 {
    let mut sum = NeumaierSum::default();
    for (&p, &y) in probabilities.iter().zip(counts) {
        if !(0.0..=1.0).contains(&p) {
            return f64::INFINITY;
        }
        if y > 0.0 {
            if p <= 0.0 {
                return f64::INFINITY;
            }
            sum.add(-y * p.ln());
        }
        if trials > y {
            if p >= 1.0 {
                return f64::INFINITY;
            }
            sum.add(-(trials - y) * (-p).ln_1p());
        }
    }
    sum.total()
}

/// Σ_t ln C(n, y_t).
fn ln_binomial_coefficients(counts: &[f64], trials: f64) -> f64 {
    let mut sum = NeumaierSum::default();
    for &y in counts {
        sum.add(ln_gamma(trials + 1.0) - ln_gamma(y + 1.0) - ln_gamma(trials - y + 1.0));
    }
    sum.total()
}

/// The normal negative log-likelihood of totals with the given means and variances.
fn normal_nll(means: &[f64], variances: &[f64], totals: &[f64]) -> f64 {
    let mut sum = NeumaierSum::default();
    for ((&mu, &v), &y) in means.iter().zip(variances).zip(totals) {
        if v.is_nan() || v <= 0.0 {
            if y == mu {
                continue;
            }
            return f64::INFINITY;
        }
        sum.add(0.5 * ((2.0 * std::f64::consts::PI * v).ln() + (y - mu) * (y - mu) / v));
    }
    sum.total()
}

/// The count model the fit used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountModel {
    /// New customers per channel, binomial.
    Binomial,
    /// One total, the normal approximation to a sum of binomials.
    NormalTotal,
    /// New customers per channel, negative binomial (`--counts negbin`).
    NegativeBinomial,
}

/// The count law asked for (`--counts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counts {
    /// Binomial out of the prospects (a total: the normal approximation to the sum).
    Binomial,
    /// Negative binomial with the binomial's mean P·p and variance μ + ω·μ² (ω the
    /// overdispersion), for week-to-week noise beyond the binomial's: a Poisson count whose
    /// rate varies by a Gamma factor of mean 1 and variance ω (Greenwood & Yule 1920; Cameron &
    /// Trivedi 2013 §3.3, "NB2"). Needs counts per channel.
    NegativeBinomial,
}

/// One fitted parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedParameter {
    pub name: &'static str,
    pub value: f64,
    pub std_error: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

/// One channel's fit.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelFit {
    pub name: String,
    pub prospects: f64,
    pub form: ResponseForm,
    /// In [`ResponseForm::parameter_names`] order.
    pub parameters: Vec<FittedParameter>,
    /// ω of the negative binomial (variance μ + ω·μ²), with `--counts negbin`.
    pub overdispersion: Option<FittedParameter>,
    /// The channel's maximized log-likelihood (binomial counts); for a fit of a total, the
    /// joint log-likelihood of the total.
    pub log_likelihood: f64,
    /// Expected new customers P·p_t in every period of the history (holdout included).
    pub fitted: Vec<f64>,
    /// The actual counts, when the history has them per channel.
    pub actual: Option<Vec<f64>>,
}

impl ChannelFit {
    /// The natural parameter values.
    pub fn values(&self) -> Vec<f64> {
        self.parameters.iter().map(|p| p.value).collect()
    }

    /// The parameter named `name`.
    pub fn parameter(&self, name: &str) -> Option<&FittedParameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// Each parameter's path in a scenario with `[[acquisition.channels]]`:
    /// `acquisition.channels.<name>.response.<p>` and `acquisition.channels.<name>.carryover`.
    pub fn paths(&self) -> Vec<String> {
        self.parameters
            .iter()
            .map(|p| match p.name {
                "carryover" => format!("acquisition.channels.{}.carryover", self.name),
                other => format!("acquisition.channels.{}.response.{other}", self.name),
            })
            .collect()
    }
}

/// JSON: `name`, `prospects`, then for each parameter `<p>`, `<p>_se`, `<p>_ci95`, then
/// `log_likelihood` (SPEC §13).
impl Serialize for ChannelFit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("prospects", &self.prospects)?;
        for p in &self.parameters {
            map.serialize_entry(p.name, &p.value)?;
            map.serialize_entry(&format!("{}_se", p.name), &p.std_error)?;
            map.serialize_entry(&format!("{}_ci95", p.name), &p.ci95)?;
        }
        if let Some(p) = &self.overdispersion {
            map.serialize_entry(p.name, &p.value)?;
            map.serialize_entry(&format!("{}_se", p.name), &p.std_error)?;
            map.serialize_entry(&format!("{}_ci95", p.name), &p.ci95)?;
        }
        map.serialize_entry("log_likelihood", &self.log_likelihood)?;
        map.end()
    }
}

/// One held-out period: actual against the prediction and its 95% interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldoutPoint {
    pub period: String,
    pub actual: f64,
    pub predicted: f64,
    /// mean ± 1.96·√(count variance + parameter variance), the parameter variance by the
    /// delta method g'Σg with g the gradient of the mean in the parameters.
    pub ci95: [f64; 2],
}

/// The holdout of one channel (or of the total).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldoutSeries {
    pub name: String,
    pub points: Vec<HoldoutPoint>,
}

/// The check over the last periods, which the fit did not see.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Holdout {
    pub periods: usize,
    pub series: Vec<HoldoutSeries>,
    /// Held-out counts inside their 95% interval, of `total`.
    pub inside: usize,
    pub total: usize,
    /// Whether the intervals include parameter uncertainty (false when the information matrix
    /// could not be inverted).
    pub parameter_uncertainty: bool,
}

/// The whole fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseFit {
    pub form: ResponseForm,
    pub counts: CountModel,
    pub periods: usize,
    /// Periods used in the fit (the first ones; the rest are the holdout).
    pub fit_periods: usize,
    pub channels: Vec<ChannelFit>,
    /// The total maximized log-likelihood.
    pub log_likelihood: f64,
    /// Scenario paths of all parameters, in the order of `correlation`.
    pub parameters: Vec<String>,
    /// Correlations of the estimates (null when the information matrix is singular).
    pub correlation: Option<Vec<Vec<f64>>>,
    /// The total's fitted and actual series when the history has only `new_customers`.
    pub total: Option<TotalSeries>,
    pub holdout: Option<Holdout>,
    /// Covariance of all parameters on the natural scale, in `parameters` order.
    #[serde(skip)]
    pub covariance: Option<DMatrix<f64>>,
}

/// Actual against fitted totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TotalSeries {
    pub actual: Vec<f64>,
    pub fitted: Vec<f64>,
}

/// What `fit_response` needs besides the history.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseSettings {
    pub form: ResponseForm,
    /// Prospects per period of each channel, in the history's channel order.
    pub prospects: Vec<f64>,
    /// Periods at the end left out of the fit and predicted.
    pub holdout: usize,
    pub counts: Counts,
}

/// Fits every channel's response curve and carryover (see the module docs).
pub fn fit_response(
    history: &SpendHistory,
    settings: &ResponseSettings,
) -> Result<ResponseFit, FitError> {
    let form = settings.form;
    let periods = history.periods.len();
    let channels = history.channels.len();
    if settings.prospects.len() != channels {
        return Err(FitError::Settings(format!(
            "{} prospect counts for {channels} channels",
            settings.prospects.len()
        )));
    }
    if let Some(bad) = settings
        .prospects
        .iter()
        .position(|p| p.is_nan() || *p < 1.0)
    {
        return Err(FitError::Settings(format!(
            "channel `{}`: prospects must be at least 1",
            history.channels[bad]
        )));
    }
    check_history(history, &settings.prospects)?;
    if settings.counts == Counts::NegativeBinomial
        && matches!(history.new_customers, NewCustomers::Total(_))
    {
        return Err(FitError::NotEnoughData(
            "negative-binomial counts need one `new_<channel>` column per channel; a \
             `new_customers` total is fitted with binomial counts"
                .to_string(),
        ));
    }
    let fitted_params = match &history.new_customers {
        NewCustomers::ByChannel(_) => form.len(),
        NewCustomers::Total(_) => form.len() * channels,
    };
    if settings.holdout >= periods || periods - settings.holdout < fitted_params + 2 {
        return Err(FitError::NotEnoughData(format!(
            "{periods} periods with a holdout of {} leave {} to fit {fitted_params} parameters; \
             at least {} are needed",
            settings.holdout,
            periods.saturating_sub(settings.holdout),
            fitted_params + 2
        )));
    }
    let fit_periods = periods - settings.holdout;
    match &history.new_customers {
        NewCustomers::ByChannel(counts) => fit_by_channel(history, settings, counts, fit_periods),
        NewCustomers::Total(totals) => fit_total(history, settings, totals, fit_periods),
    }
}

/// Refuses histories no parameters could explain: a channel that never spends, more new
/// customers than prospects, new customers before any spend (the curve has no organic
/// baseline, SPEC §4).
fn check_history(history: &SpendHistory, prospects: &[f64]) -> Result<(), FitError> {
    for (c, name) in history.channels.iter().enumerate() {
        if history.spend[c].iter().all(|s| *s == 0.0) {
            return Err(FitError::NotEnoughData(format!(
                "`spend_{name}` is 0 in every period: there is no response to fit; drop the \
                 channel's columns"
            )));
        }
    }
    let first_spend = |c: usize| history.spend[c].iter().position(|s| *s > 0.0);
    let no_baseline = |t: usize, what: &str| FitError::Line {
        line: history.lines[t],
        message: format!(
            "{what} before any spend; the response curve has no organic baseline (SPEC §4), \
             so these customers cannot come from spend: start the history at the first \
             period with spend, or leave organic customers out of the counts"
        ),
    };
    match &history.new_customers {
        NewCustomers::ByChannel(counts) => {
            for (c, name) in history.channels.iter().enumerate() {
                let start = first_spend(c).unwrap_or(0);
                for (t, &y) in counts[c].iter().enumerate() {
                    if y > prospects[c] {
                        return Err(FitError::Line {
                            line: history.lines[t],
                            message: format!(
                                "`new_{name}` is {y}, more than the channel's {} prospects",
                                prospects[c]
                            ),
                        });
                    }
                    if t < start && y > 0.0 {
                        return Err(no_baseline(t, &format!("`new_{name}` is {y}")));
                    }
                }
            }
        }
        NewCustomers::Total(totals) => {
            let start = (0..history.channels.len())
                .filter_map(first_spend)
                .min()
                .unwrap_or(0);
            let reachable: f64 = prospects.iter().sum();
            for (t, &y) in totals.iter().enumerate() {
                if y > reachable {
                    return Err(FitError::Line {
                        line: history.lines[t],
                        message: format!(
                            "`new_customers` is {y}, more than the {reachable} prospects of \
                             all channels"
                        ),
                    });
                }
                if t < start && y > 0.0 {
                    return Err(no_baseline(t, &format!("`new_customers` is {y}")));
                }
            }
        }
    }
    Ok(())
}

/// Starting points: half-spend (or k) around the typical adstocked spend per prospect,
/// carryover 0.1, 0.4 or 0.7, shape 1 or 2, and the ceiling that matches the total count
/// (the Poisson limit of its score equation, C = Σy / Σ P·f_t).
fn starts(form: ResponseForm, spend: &[f64], prospects: f64) -> Vec<Vec<f64>> {
    let mut per_prospect: Vec<f64> = adstock(spend, 0.4)
        .iter()
        .filter(|e| **e > 0.0)
        .map(|e| e / prospects)
        .collect();
    per_prospect.sort_by(f64::total_cmp);
    let typical = per_prospect
        .get(per_prospect.len() / 2)
        .copied()
        .unwrap_or(1.0);
    let mut result = Vec::new();
    for carryover in [0.1, 0.4, 0.7] {
        for scale in [0.3, 1.0, 3.0] {
            let half = typical * scale;
            match form {
                ResponseForm::HalfSpend => result.push(vec![0.0, half, carryover]),
                ResponseForm::K => result.push(vec![0.0, std::f64::consts::LN_2 / half, carryover]),
                ResponseForm::Hill => {
                    for shape in [1.0, 2.0] {
                        result.push(vec![0.0, half, shape, carryover]);
                    }
                }
            }
        }
    }
    result
}

/// Sets the ceiling of `params` (a channel's, ceiling first) so the expected total matches
/// `target` new customers over the fit periods, within (0, 0.99].
fn profile_ceiling(
    form: ResponseForm,
    params: &mut [f64],
    spend: &[f64],
    prospects: f64,
    target: f64,
) {
    params[0] = 1.0;
    let expected: f64 = probabilities(form, params, spend, prospects)
        .iter()
        .map(|p| p * prospects)
        .sum();
    params[0] = if expected > 0.0 {
        (target / expected).clamp(1e-9, 0.99)
    } else {
        0.01
    };
}

/// Maps a vector of natural parameters (channels concatenated) to search scales and back.
struct Transform {
    scales: Vec<Scale>,
}

impl Transform {
    fn new(form: ResponseForm, channels: usize) -> Self {
        let scales = (0..channels)
            .flat_map(|_| form.parameter_names().iter().map(|n| scale_of(n)))
            .collect();
        Transform { scales }
    }

    fn natural(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .zip(&self.scales)
            .map(|(u, s)| to_natural(*s, *u))
            .collect()
    }

    fn search(&self, x: &[f64]) -> Vec<f64> {
        x.iter()
            .zip(&self.scales)
            .map(|(x, s)| to_search(*s, *x))
            .collect()
    }
}

/// Minimizes `nll` (natural parameters) from the best of `starts`: Nelder–Mead on the search
/// scales, then Newton polishing. Returns the natural parameters and the minimum.
fn minimize(
    nll: &impl Fn(&[f64]) -> f64,
    transform: &Transform,
    starts: Vec<Vec<f64>>,
    evaluations: usize,
) -> Result<(Vec<f64>, f64), FitError> {
    let on_search = |u: &[f64]| nll(&transform.natural(u));
    let mut best: Option<(Vec<f64>, f64)> = None;
    for start in starts {
        let value = nll(&start);
        if value.is_finite() && best.as_ref().is_none_or(|b| value < b.1) {
            best = Some((start, value));
        }
    }
    let Some((start, _)) = best else {
        return Err(FitError::NoMaximum {
            model: "response",
            reason: "no starting point gives the counts a finite likelihood".to_string(),
        });
    };
    let settings = optimizer::NelderMead {
        max_evaluations: evaluations,
        ..optimizer::NelderMead::default()
    };
    let minimum = settings.minimize(on_search, &transform.search(&start));
    if !minimum.value.is_finite() {
        return Err(FitError::NoMaximum {
            model: "response",
            reason: "the log-likelihood is not finite anywhere the search went".to_string(),
        });
    }
    if minimum.termination == optimizer::Termination::MaxIterations {
        return Err(FitError::NoMaximum {
            model: "response",
            reason: format!(
                "no convergence within {} evaluations; the history may not identify the curve \
                 (spend that never varies, or never comes near saturation)",
                minimum.evaluations
            ),
        });
    }
    let (polished, value) = newton_polish(&on_search, minimum.x, minimum.value);
    let natural = transform.natural(&polished);
    if natural.iter().any(|x| !x.is_finite()) {
        return Err(FitError::NoMaximum {
            model: "response",
            reason: "a parameter ran off to its bound; the history may not identify the curve"
                .to_string(),
        });
    }
    Ok((natural, value))
}

/// Fitted parameters with standard errors from `covariance` (a block for these parameters).
fn fitted_parameters(
    form: ResponseForm,
    values: &[f64],
    covariance: Option<&DMatrix<f64>>,
    offset: usize,
) -> Vec<FittedParameter> {
    form.parameter_names()
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let std_error = covariance
                .map(|c| c[(offset + i, offset + i)].sqrt())
                .filter(|s| s.is_finite());
            FittedParameter {
                name,
                value: values[i],
                std_error,
                ci95: std_error.and_then(|se| interval(name, values[i], se)),
            }
        })
        .collect()
}

fn fit_by_channel(
    history: &SpendHistory,
    settings: &ResponseSettings,
    counts: &[Vec<f64>],
    fit_periods: usize,
) -> Result<ResponseFit, FitError> {
    let form = settings.form;
    let k = form.len();
    let mut channel_fits = Vec::new();
    let mut blocks = Vec::new();
    for (c, name) in history.channels.iter().enumerate() {
        let spend = &history.spend[c];
        let prospects = settings.prospects[c];
        let y = &counts[c][..fit_periods];
        if y.iter().all(|v| *v == 0.0) {
            return Err(FitError::NotEnoughData(format!(
                "`new_{name}` is 0 in every fitted period: no response to spend is visible, so \
                 no curve can be fitted; drop the channel or use a longer history"
            )));
        }
        let nll = |x: &[f64]| {
            let p = probabilities(form, x, spend, prospects);
            binomial_nll(&p[..fit_periods], y, prospects)
        };
        let target: f64 = y.iter().sum();
        let mut candidates = starts(form, &spend[..fit_periods], prospects);
        for start in &mut candidates {
            profile_ceiling(form, start, &spend[..fit_periods], prospects, target);
        }
        let transform = Transform::new(form, 1);
        let (values, minimum) = minimize(&nll, &transform, candidates, 20_000)
            .and_then(|fit| check_bounds(form, &fit.0, spend, prospects).map(|()| fit))
            .map_err(|e| in_channel(name, e))?;
        let (values, minimum, covariance, overdispersion) = match settings.counts {
            Counts::Binomial => {
                let covariance = hessian::covariance(nll, &values);
                let minimum = minimum - ln_binomial_coefficients(y, prospects);
                (values, minimum, covariance, None)
            }
            Counts::NegativeBinomial => {
                let (values, minimum, covariance, omega) =
                    fit_negative_binomial(form, &values, spend, prospects, y, fit_periods)
                        .and_then(|fit| check_bounds(form, &fit.0, spend, prospects).map(|()| fit))
                        .map_err(|e| in_channel(name, e))?;
                (values, minimum, covariance, Some(omega))
            }
        };
        let fitted = probabilities(form, &values, spend, prospects)
            .iter()
            .map(|p| p * prospects)
            .collect();
        channel_fits.push(ChannelFit {
            name: name.clone(),
            prospects,
            form,
            parameters: fitted_parameters(form, &values, covariance.as_ref(), 0),
            overdispersion,
            log_likelihood: -minimum,
            fitted,
            actual: Some(counts[c].clone()),
        });
        blocks.push(covariance);
    }
    // The channels' likelihoods are independent, so their covariance is block diagonal.
    let covariance = blocks.iter().all(Option::is_some).then(|| {
        let n = k * blocks.len();
        let mut matrix = DMatrix::zeros(n, n);
        for (c, block) in blocks.iter().flatten().enumerate() {
            matrix.view_mut((c * k, c * k), (k, k)).copy_from(block);
        }
        matrix
    });
    let log_likelihood = channel_fits.iter().map(|c| c.log_likelihood).sum();
    let mut fit = assemble(
        settings,
        history,
        channel_fits,
        log_likelihood,
        covariance,
        None,
        fit_periods,
    );
    fit.holdout = holdout(history, settings, &fit, fit_periods);
    Ok(fit)
}

/// Refuses a maximum on the edge of the parameter space, where the history cannot tell the
/// curve apart from a limit of it (no asymptotic normal law, so no honest standard errors): a
/// ceiling at 0 or 1, a carryover at 1, a half-spend (or 1/k) far outside the spend per
/// prospect the history shows, a Hill shape run off to 0 or infinity. A carryover at 0 is a
/// legitimate answer and stays.
fn check_bounds(
    form: ResponseForm,
    params: &[f64],
    spend: &[f64],
    prospects: f64,
) -> Result<(), FitError> {
    let positive: Vec<f64> = spend
        .iter()
        .filter(|s| **s > 0.0)
        .map(|s| s / prospects)
        .collect();
    let low = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let carryover = params[form.len() - 1];
    let high = positive.iter().copied().fold(0.0, f64::max) / (1.0 - carryover).max(1e-9);
    let scale_ok = |h: f64| h > low * 1e-4 && h < high * 1e4;
    let problem = form
        .parameter_names()
        .iter()
        .zip(params)
        .find_map(|(&name, &value)| {
            let bad = match name {
                "ceiling" => !(value > 1e-12 && value < 1.0 - 1e-9),
                "carryover" => value > 1.0 - 1e-6,
                "half_spend" => !scale_ok(value),
                "k" => !scale_ok(std::f64::consts::LN_2 / value),
                _ => !(value > 1e-3 && value < 1e3),
            };
            bad.then_some((name, value))
        });
    match problem {
        None => Ok(()),
        Some((name, value)) => Err(FitError::NotEnoughData(format!(
            "the history does not identify the curve: {name} ran to the edge of its range \
             ({value:e}); spend that varies more and comes nearer saturation, or more periods, \
             would pin it down"
        ))),
    }
}

/// A channel's negative-binomial fit: the curve's parameters, the minimum (with constants),
/// the curve's block of the covariance and the overdispersion ω.
type NegativeBinomialFit = (Vec<f64>, f64, Option<DMatrix<f64>>, FittedParameter);

/// −ln P(y) of the negative binomial with mean μ and variance μ + ω·μ² (NB2):
/// P(y) = Γ(y + r)/(Γ(r)·y!)·(r/(r + μ))^r·(μ/(r + μ))^y with r = 1/ω.
fn negative_binomial_nll(means: &[f64], counts: &[f64], omega: f64) -> f64 {
    if omega.is_nan() || omega <= 0.0 {
        return f64::INFINITY;
    }
    let r = 1.0 / omega;
    let mut sum = NeumaierSum::default();
    for (&mu, &y) in means.iter().zip(counts) {
        if mu <= 0.0 {
            if y > 0.0 {
                return f64::INFINITY;
            }
            continue;
        }
        let spread = (omega * mu).ln_1p();
        let term = ln_gamma(y + r) - ln_gamma(r) - ln_gamma(y + 1.0) - r * spread
            + y * ((omega * mu).ln() - spread);
        sum.add(-term);
    }
    sum.total()
}

/// The negative-binomial fit of one channel from its binomial estimate: the overdispersion
/// starts at its moment estimate Σ((y − μ)² − μ)/Σμ² and the curve at the binomial maximum.
/// Returns the curve's parameters, the minimum (with constants), the curve's block of the
/// covariance and ω with its standard error. A history with no overdispersion (ω running to
/// 0) is refused with the advice to use binomial counts.
fn fit_negative_binomial(
    form: ResponseForm,
    binomial: &[f64],
    spend: &[f64],
    prospects: f64,
    counts: &[f64],
    fit_periods: usize,
) -> Result<NegativeBinomialFit, FitError> {
    let k = form.len();
    let means = |x: &[f64]| -> Vec<f64> {
        probabilities(form, &x[..k], spend, prospects)[..fit_periods]
            .iter()
            .map(|p| p * prospects)
            .collect()
    };
    let mu = means(binomial);
    let mean_count = mu.iter().sum::<f64>() / mu.len() as f64;
    // Below ω·μ̄ = 1e-6 the negative binomial is the Poisson limit to within a millionth of
    // the variance and the likelihood is flat in ω: a wall there lets the search converge
    // when the counts show no overdispersion (checked below).
    let nll = |x: &[f64]| {
        if x[k] * mean_count < 1e-6 {
            return f64::INFINITY;
        }
        negative_binomial_nll(&means(x), counts, x[k])
    };
    // Overdispersion first on a grid, the curve held at its binomial estimate: when the best
    // ω makes the variance exceed the mean by under 0.01%, the counts are binomial (the search
    // would only drift along the flat likelihood toward ω = 0).
    let mut start = binomial.to_vec();
    start.push(0.0);
    let mut best = (f64::INFINITY, 1e-5);
    for step in 0..=48 {
        let relative = 10f64.powf(-5.0 + f64::from(step) / 8.0);
        start[k] = relative / mean_count;
        let value = nll(&start);
        if value < best.0 {
            best = (value, relative);
        }
    }
    if best.1 < 1e-4 {
        return Err(FitError::NotEnoughData(
            "the counts show no overdispersion (the best negative binomial has a variance \
             within 0.01% of its mean): fit them with binomial counts (the default)"
                .to_string(),
        ));
    }
    start[k] = best.1 / mean_count;
    let mut scales = Transform::new(form, 1).scales;
    scales.push(Scale::Log);
    let transform = Transform { scales };
    let (x, minimum) = minimize(&nll, &transform, vec![start], 40_000).map_err(|e| match e {
        FitError::NoMaximum { model, reason } => FitError::NoMaximum {
            model,
            reason: format!("{reason}; with little overdispersion, binomial counts fit better"),
        },
        other => other,
    })?;
    if x[k] * mean_count < 1e-4 {
        return Err(FitError::NotEnoughData(format!(
            "the counts show no overdispersion (ω = {:e}, the variance exceeds the mean by \
             under 0.01%): fit them with binomial counts (the default)",
            x[k]
        )));
    }
    let full = hessian::covariance(nll, &x);
    let se = full
        .as_ref()
        .map(|c| c[(k, k)].sqrt())
        .filter(|s| s.is_finite());
    let omega = FittedParameter {
        name: "overdispersion",
        value: x[k],
        std_error: se,
        ci95: se.and_then(|se| interval("overdispersion", x[k], se)),
    };
    let curve = full.map(|c| c.view((0, 0), (k, k)).into_owned());
    Ok((x[..k].to_vec(), minimum, curve, omega))
}

fn in_channel(name: &str, error: FitError) -> FitError {
    match error {
        FitError::NoMaximum { model, reason } => FitError::NoMaximum {
            model,
            reason: format!("channel `{name}`: {reason}"),
        },
        FitError::NotEnoughData(reason) => {
            FitError::NotEnoughData(format!("channel `{name}`: {reason}"))
        }
        other => other,
    }
}

/// Means and variances of the total per period for all channels' natural parameters.
fn total_moments(
    form: ResponseForm,
    x: &[f64],
    history: &SpendHistory,
    prospects: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let k = form.len();
    let periods = history.periods.len();
    let (mut means, mut variances) = (vec![0.0; periods], vec![0.0; periods]);
    for (c, &n) in prospects.iter().enumerate() {
        let p = probabilities(form, &x[c * k..(c + 1) * k], &history.spend[c], n);
        for t in 0..periods {
            means[t] += n * p[t];
            variances[t] += n * p[t] * (1.0 - p[t]);
        }
    }
    (means, variances)
}

fn fit_total(
    history: &SpendHistory,
    settings: &ResponseSettings,
    totals: &[f64],
    fit_periods: usize,
) -> Result<ResponseFit, FitError> {
    let form = settings.form;
    let k = form.len();
    let channels = history.channels.len();
    let prospects = &settings.prospects;
    let y = &totals[..fit_periods];
    let nll = |x: &[f64]| {
        if x.iter().any(|v| !v.is_finite()) {
            return f64::INFINITY;
        }
        let (means, variances) = total_moments(form, x, history, prospects);
        normal_nll(&means[..fit_periods], &variances[..fit_periods], y)
    };
    // Starts: every channel at the same position of its own grid, with one common ceiling
    // that matches the total.
    let grids: Vec<Vec<Vec<f64>>> = (0..channels)
        .map(|c| starts(form, &history.spend[c][..fit_periods], prospects[c]))
        .collect();
    let target: f64 = y.iter().sum();
    let candidates: Vec<Vec<f64>> = (0..grids[0].len())
        .map(|g| {
            let mut x: Vec<f64> = grids.iter().flat_map(|grid| grid[g].clone()).collect();
            let mut expected = 0.0;
            for c in 0..channels {
                let mut unit = x[c * k..(c + 1) * k].to_vec();
                unit[0] = 1.0;
                expected +=
                    probabilities(form, &unit, &history.spend[c][..fit_periods], prospects[c])
                        .iter()
                        .map(|p| p * prospects[c])
                        .sum::<f64>();
            }
            let ceiling = if expected > 0.0 {
                (target / expected).clamp(1e-9, 0.99)
            } else {
                0.01
            };
            for c in 0..channels {
                x[c * k] = ceiling;
            }
            x
        })
        .collect();
    let transform = Transform::new(form, channels);
    let (values, minimum) = minimize(&nll, &transform, candidates, 200_000)?;
    for (c, name) in history.channels.iter().enumerate() {
        check_bounds(
            form,
            &values[c * k..(c + 1) * k],
            &history.spend[c],
            prospects[c],
        )
        .map_err(|e| in_channel(name, e))?;
    }
    let covariance = hessian::covariance(nll, &values);
    let channel_fits: Vec<ChannelFit> = history
        .channels
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let own = &values[c * k..(c + 1) * k];
            ChannelFit {
                name: name.clone(),
                prospects: prospects[c],
                form,
                parameters: fitted_parameters(form, own, covariance.as_ref(), c * k),
                overdispersion: None,
                log_likelihood: -minimum,
                fitted: probabilities(form, own, &history.spend[c], prospects[c])
                    .iter()
                    .map(|p| p * prospects[c])
                    .collect(),
                actual: None,
            }
        })
        .collect();
    let (means, _) = total_moments(form, &values, history, prospects);
    let total = TotalSeries {
        actual: totals.to_vec(),
        fitted: means,
    };
    let mut fit = assemble(
        settings,
        history,
        channel_fits,
        -minimum,
        covariance,
        Some(total),
        fit_periods,
    );
    fit.holdout = holdout(history, settings, &fit, fit_periods);
    Ok(fit)
}

fn assemble(
    settings: &ResponseSettings,
    history: &SpendHistory,
    channels: Vec<ChannelFit>,
    log_likelihood: f64,
    covariance: Option<DMatrix<f64>>,
    total: Option<TotalSeries>,
    fit_periods: usize,
) -> ResponseFit {
    let correlation = covariance.as_ref().map(|c| {
        let n = c.nrows();
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| c[(i, j)] / (c[(i, i)] * c[(j, j)]).sqrt())
                    .collect()
            })
            .collect()
    });
    ResponseFit {
        form: settings.form,
        counts: match (total.is_some(), settings.counts) {
            (true, _) => CountModel::NormalTotal,
            (false, Counts::Binomial) => CountModel::Binomial,
            (false, Counts::NegativeBinomial) => CountModel::NegativeBinomial,
        },
        periods: history.periods.len(),
        fit_periods,
        parameters: channels.iter().flat_map(ChannelFit::paths).collect(),
        channels,
        log_likelihood,
        correlation,
        total,
        holdout: None,
        covariance,
    }
}

/// The gradient of `f` at `x` by central differences with steps 1e-6·max(|x_i|, 1e-9).
fn gradient(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let h = 1e-6 * x[i].abs().max(1e-9);
            let mut up = x.to_vec();
            let mut down = x.to_vec();
            up[i] += h;
            down[i] -= h;
            (f(&up) - f(&down)) / (2.0 * h)
        })
        .collect()
}

/// The holdout check: each held-out count against its predicted mean and 95% interval.
fn holdout(
    history: &SpendHistory,
    settings: &ResponseSettings,
    fit: &ResponseFit,
    fit_periods: usize,
) -> Option<Holdout> {
    if settings.holdout == 0 {
        return None;
    }
    let form = fit.form;
    let k = form.len();
    let all: Vec<f64> = fit.channels.iter().flat_map(ChannelFit::values).collect();
    let spread = |g: &[f64], offset: usize| -> f64 {
        fit.covariance.as_ref().map_or(0.0, |c| {
            let g = DVector::from_column_slice(g);
            let block = c.view((offset, offset), (g.len(), g.len()));
            (g.transpose() * block * &g)[(0, 0)].max(0.0)
        })
    };
    let point = |t: usize, actual: f64, mean: f64, variance: f64| {
        let half = Z95 * variance.max(0.0).sqrt();
        HoldoutPoint {
            period: history.periods[t].clone(),
            actual,
            predicted: mean,
            ci95: [(mean - half).max(0.0), mean + half],
        }
    };
    let mut series = Vec::new();
    match &history.new_customers {
        NewCustomers::ByChannel(counts) => {
            for (c, channel) in fit.channels.iter().enumerate() {
                let own = channel.values();
                let n = channel.prospects;
                let points = (fit_periods..fit.periods)
                    .map(|t| {
                        let mean_of =
                            |x: &[f64]| n * probabilities(form, x, &history.spend[c][..=t], n)[t];
                        let mean = mean_of(&own);
                        let p = mean / n;
                        let count_variance = match &channel.overdispersion {
                            Some(omega) => mean + omega.value * mean * mean,
                            None => n * p * (1.0 - p),
                        };
                        let variance = count_variance + spread(&gradient(mean_of, &own), c * k);
                        point(t, counts[c][t], mean, variance)
                    })
                    .collect();
                series.push(HoldoutSeries {
                    name: channel.name.clone(),
                    points,
                });
            }
        }
        NewCustomers::Total(totals) => {
            let points = (fit_periods..fit.periods)
                .map(|t| {
                    let mean_of =
                        |x: &[f64]| total_moments(form, x, history, &settings.prospects).0[t];
                    let (means, variances) =
                        total_moments(form, &all, history, &settings.prospects);
                    let variance = variances[t] + spread(&gradient(mean_of, &all), 0);
                    point(t, totals[t], means[t], variance)
                })
                .collect();
            series.push(HoldoutSeries {
                name: "total".to_string(),
                points,
            });
        }
    }
    let points = series.iter().flat_map(|s| &s.points);
    let total = points.clone().count();
    let inside = points
        .filter(|p| p.ci95[0] <= p.actual && p.actual <= p.ci95[1])
        .count();
    Some(Holdout {
        periods: settings.holdout,
        series,
        inside,
        total,
        parameter_uncertainty: fit.covariance.is_some(),
    })
}

/// Joint parameter draws: one column per scenario path, one row per draw (SPEC §8).
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterDraws {
    pub paths: Vec<String>,
    pub rows: Vec<Vec<f64>>,
    /// Single values drawn outside their parameter's range and clamped into it.
    pub clamped: usize,
}

impl ParameterDraws {
    /// The draws as CSV: a header of paths, then one row per draw, numbers in Rust's
    /// shortest round-trip form.
    pub fn to_csv(&self) -> String {
        let mut text = self.paths.join(",");
        text.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|v| format!("{v}")).collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        text
    }
}

/// `count` draws from the estimate's asymptotic sampling distribution, the multivariate
/// normal N(θ̂, I(θ̂)⁻¹) (Casella & Berger §10.1), as θ̂ + L·z with L the Cholesky factor of
/// the covariance and z standard normal, so correlated estimates stay correlated. A value
/// outside its parameter's range (a ceiling above 1, a negative carryover) is clamped into it
/// and counted. Seeded, so the same fit and seed give the same file.
pub fn sample_draws(
    fit: &ResponseFit,
    count: usize,
    seed: u64,
) -> Result<ParameterDraws, FitError> {
    let Some(covariance) = &fit.covariance else {
        return Err(FitError::NotEnoughData(
            "the information matrix of the fit is singular, so the estimates have no sampling \
             distribution to draw from; a history whose spend varies more (flighted spend) \
             identifies the curves"
                .to_string(),
        ));
    };
    let center: Vec<f64> = fit.channels.iter().flat_map(ChannelFit::values).collect();
    let domains: Vec<Domain> = fit
        .channels
        .iter()
        .flat_map(|c| c.parameters.iter().map(|p| domain_of(p.name)))
        .collect();
    ParameterDraws::normal(
        fit.parameters.clone(),
        &center,
        covariance,
        &domains,
        count,
        (seed, 0),
    )
}

impl ParameterDraws {
    /// `count` draws θ̂ + L·z from N(θ̂, Σ), L the Cholesky factor of `covariance` and z
    /// standard normal (Casella & Berger §10.1: the asymptotic sampling distribution of a
    /// maximum-likelihood estimate), each value clamped into its domain and counted. `stream`
    /// is the (seed, index) of the [`Stream::FitDraws`] generator, so each fit that draws has
    /// its own sequence and the same fit and seed give the same rows.
    pub(crate) fn normal(
        paths: Vec<String>,
        center: &[f64],
        covariance: &DMatrix<f64>,
        domains: &[Domain],
        count: usize,
        (seed, index): (u64, u64),
    ) -> Result<Self, FitError> {
        let factor = covariance
            .clone()
            .cholesky()
            .ok_or_else(|| {
                FitError::NotEnoughData("the covariance is not positive definite".to_string())
            })?
            .l();
        let mut rng = stream(seed, index, Stream::FitDraws);
        let mut clamped = 0;
        let rows = (0..count)
            .map(|_| {
                let z = DVector::from_iterator(
                    center.len(),
                    (0..center.len()).map(|_| StandardNormal.sample(&mut rng)),
                );
                let offset = &factor * z;
                center
                    .iter()
                    .zip(offset.iter())
                    .zip(domains)
                    .map(|((c, o), domain)| {
                        let value = c + o;
                        let inside = domain.clamp(value);
                        if inside != value {
                            clamped += 1;
                        }
                        inside
                    })
                    .collect()
            })
            .collect();
        Ok(ParameterDraws {
            paths,
            rows,
            clamped,
        })
    }
}

/// The `[[acquisition.channels]]` blocks to paste into a scenario, with the fit in comments.
pub fn channels_toml(fit: &ResponseFit, source: &str) -> String {
    use super::fitted_scenario::significant;
    use std::fmt::Write as _;
    let mut text = format!(
        "# Acquisition channels fitted by `ceq fit response {source}`: {} form, {} counts, \
         periods 1–{} of {}.\n# Each channel's `mix` (which cohorts it brings) is not in a \
         spend history: fill it in.\n",
        match fit.form {
            ResponseForm::HalfSpend => "half_spend",
            ResponseForm::K => "k",
            ResponseForm::Hill => "hill",
        },
        match fit.counts {
            CountModel::Binomial => "binomial",
            CountModel::NormalTotal => "total (normal approximation)",
            CountModel::NegativeBinomial => "negative-binomial",
        },
        fit.fit_periods,
        fit.periods
    );
    for channel in &fit.channels {
        let _ = writeln!(text);
        let errors: Vec<String> = channel
            .parameters
            .iter()
            .map(|p| match p.std_error {
                Some(se) => format!("{} ± {}", p.name, significant(se, 2)),
                None => format!("{} (standard error unknown)", p.name),
            })
            .collect();
        let _ = writeln!(text, "# standard errors: {}", errors.join(", "));
        let _ = writeln!(text, "[[acquisition.channels]]");
        let _ = writeln!(text, "name = \"{}\"", channel.name);
        let _ = writeln!(text, "prospects = {}", channel.prospects);
        let value = |name: &str| {
            channel
                .parameter(name)
                .map_or_else(String::new, |p| significant(p.value, 6))
        };
        let response: Vec<String> = channel
            .parameters
            .iter()
            .filter(|p| p.name != "carryover")
            .map(|p| format!("{} = {}", p.name, value(p.name)))
            .collect();
        let _ = writeln!(text, "response = {{ {} }}", response.join(", "));
        let _ = writeln!(text, "carryover = {}", value("carryover"));
        let _ = writeln!(
            text,
            "# mix = {{ <cohort> = <share>, ... }}   # which cohorts this channel brings; shares sum to 1"
        );
        let _ = writeln!(text, "onboarding_cost = 0.0");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adstock_is_geometric() {
        assert_eq!(adstock(&[1.0, 0.0, 2.0], 0.5), [1.0, 0.5, 2.25]);
    }

    #[test]
    fn intervals_stay_in_range() {
        let [lo, hi] = interval("carryover", 0.9, 0.2).unwrap();
        assert!(0.0 < lo && lo < 0.9 && 0.9 < hi && hi < 1.0);
        let [lo, hi] = interval("half_spend", 0.2, 0.5).unwrap();
        assert!(lo > 0.0 && (lo * hi - 0.04).abs() < 1e-12);
    }

    #[test]
    fn history_columns_are_checked() {
        let text = "period,spend_search,new_search,new_social\n1,10,1,2\n";
        assert_eq!(
            read_history(text).unwrap_err().to_string(),
            "line 1: column `new_social` has no `spend_social` column beside it; every \
             `new_<channel>` needs the channel's spend"
        );
        let text = "period,spend_a,spend_b,new_a\n1,10,1,2\n";
        assert!(
            read_history(text)
                .unwrap_err()
                .to_string()
                .contains("missing `new_b`")
        );
        let text = "week,spend_a,spend_b,new_customers\n1,10,1,2\n2,5,0,3\n";
        let history = read_history(text).unwrap();
        assert_eq!(history.channels, ["a", "b"]);
        assert_eq!(history.new_customers, NewCustomers::Total(vec![2.0, 3.0]));
        let text = "week,spend_a,new_a\n1,10,2.5\n";
        assert_eq!(
            read_history(text).unwrap_err().to_string(),
            "line 2: column 3 (`new_a`): '2.5' is not a count (a whole number ≥ 0)"
        );
    }
}
