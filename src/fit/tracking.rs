//! Tracking the cohort's cumulative repeat purchases over calendar time, actual against the
//! fitted BG/NBD model: the cumulative tracking plot of Fader, Hardie & Lee (2005a, "Counting
//! your customers the easy way", Marketing Science 24(2)) on CDNOW, also drawn by the BTYD R
//! package (`bgnbd.ExpectedCumulativeTransactions`, `bgnbd.PlotTrackingCum`) and by `lifetimes`
//! (`plot_cumulative_transactions`, `lifetimes.utils.expected_cumulative_transactions`).
//!
//! Customers do not all start on the same day, so the model curve is not a multiple of one
//! customer's E[X(t)]: each customer i enters at their first purchase day s_i and, by calendar
//! time t, is expected to have made E[X(t − s_i)] repeat purchases (Fader, Hardie & Lee 2005a,
//! eq. 7, [`bgnbd_expected_purchases`]). The cohort's expected cumulative repeat purchases are
//!
//! E[cumulative repeats by t] = Σ_{i: s_i ≤ t} E[X(t − s_i)],
//!
//! summed over the customers in the fit (first purchase on or before the calibration end), which
//! is how Fader, Hardie & Lee aggregate the CDNOW cohort whose first purchases spread over 12
//! weeks. The actual curve counts the same customers' repeat transaction days (one per customer
//! and day after their first, as in the fit) up to t.
//!
//! Clock: days are whole; a point "through day D" counts every purchase on days up to D and is
//! drawn at x = (D + 1 − start)/unit, the end of day D, with start the first customer's first
//! purchase day. A customer who first bought on day s has been observed for (D − s)/unit time
//! units through day D, exactly the age T the fit gives them at the calibration end, so at the
//! calibration end the model curve is Σ_i E[X(T_i)] and the actual curve is Σ_i x_i.
//! (`lifetimes` gives each customer one day more, t − s_i counted from the start of day s_i;
//! on CDNOW that raises the curve by about 3% at week 10 and 0.3% at the calibration end.)

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::FitError;
use super::transactions::{TimeUnit, TransactionLog};
use crate::model::closed_form::bgnbd_expected_purchases;

/// At most this many steps between points (plus the calibration end and the end): a log that
/// spans more time units than this is tracked every few units, which keeps the curve readable
/// and the number of E[X(t)] evaluations bounded.
pub const MAX_STEPS: f64 = 1000.0;

/// The cohort's cumulative repeat purchases through one day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrackingPoint {
    /// The last day counted (inclusive), in days since 1970-01-01.
    pub day: i64,
    /// Time units from the start of the first purchase day to the end of `day`.
    pub time: f64,
    /// Repeat transaction days of the cohort up to and including `day`.
    pub actual: f64,
    /// The BG/NBD expectation of the same number.
    pub model: f64,
}

/// The tracking curve, one point per time unit (see [`MAX_STEPS`]) from the first customer's
/// first purchase day (time 0) to `end`, plus the calibration end and `end` when they fall
/// between two.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracking {
    /// The first purchase day of the cohort's earliest customer (time 0).
    pub start: i64,
    /// Time of the end of the calibration end day, in units since `start`.
    pub calibration_end: f64,
    pub points: Vec<TrackingPoint>,
}

/// Cumulative repeat purchases of the customers whose first purchase is on or before
/// `calibration_end`, actual and BG/NBD (`params` = [r, α, a, b]), through every whole time unit
/// up to `end` (inclusive; an `end` before `calibration_end` is taken as `calibration_end`).
///
/// Errors: no customer bought on or before the calibration end, or E[X(t)] cannot be evaluated
/// at the parameters (a + b ≤ 1, a = 1; see [`bgnbd_expected_purchases`]).
pub fn cumulative_repeat_purchases(
    log: &TransactionLog,
    params: [f64; 4],
    calibration_end: i64,
    end: i64,
    unit: TimeUnit,
) -> Result<Tracking, FitError> {
    let end = end.max(calibration_end);
    let mut first_days: Vec<i64> = Vec::new();
    let mut repeat_days: Vec<i64> = Vec::new();
    for days in log.days.chunk_by(|a, b| a.customer == b.customer) {
        let first = days[0].day;
        if first > calibration_end {
            continue;
        }
        first_days.push(first);
        repeat_days.extend(
            days[1..]
                .iter()
                .map(|d| d.day)
                .filter(|&day| day > first && day <= end),
        );
    }
    let Some(&start) = first_days.iter().min() else {
        return Err(FitError::NotEnoughData(
            "no customer bought on or before the calibration end, so there is no cohort to track"
                .to_string(),
        ));
    };
    let span = end - start + 1;
    let unit_days = unit.days();

    // Cumulative actual repeat purchases through day start + offset − 1, for offsets 0..=span.
    let mut per_day = vec![0u64; span as usize];
    for day in repeat_days {
        per_day[(day - start) as usize] += 1;
    }
    let mut actual_through = Vec::with_capacity(per_day.len() + 1);
    actual_through.push(0u64);
    for count in per_day {
        actual_through.push(actual_through.last().copied().unwrap_or(0) + count);
    }

    // Customers by first purchase day: n_s customers entered on day s.
    first_days.sort_unstable();
    let mut entering: Vec<(i64, f64)> = Vec::new();
    for day in first_days {
        match entering.last_mut() {
            Some((last, n)) if *last == day => *n += 1.0,
            _ => entering.push((day, 1.0)),
        }
    }

    // Points: one per whole time unit (rounded to whole days for months; every few units when
    // the log spans more than MAX_STEPS of them), the calibration end and the end, as day
    // offsets from start (offset k covers days start..start + k − 1).
    let step = (span as f64 / unit_days / MAX_STEPS).ceil().max(1.0) * unit_days;
    let mut offsets: BTreeSet<i64> = BTreeSet::new();
    for k in 0.. {
        let offset = (f64::from(k) * step).round() as i64;
        if offset > span {
            break;
        }
        offsets.insert(offset);
    }
    offsets.insert(calibration_end - start + 1);
    offsets.insert(span);

    let [r, alpha, a, b] = params;
    let mut expected_at_lag: HashMap<i64, f64> = HashMap::new();
    let mut points = Vec::with_capacity(offsets.len());
    for offset in offsets {
        let day = start + offset - 1;
        let mut model = 0.0;
        for &(first, n) in entering.iter().take_while(|(first, _)| *first <= day) {
            let lag = day - first;
            let expected = match expected_at_lag.get(&lag) {
                Some(&e) => e,
                None => {
                    let e = bgnbd_expected_purchases(r, alpha, a, b, lag as f64 / unit_days)?;
                    expected_at_lag.insert(lag, e);
                    e
                }
            };
            model += n * expected;
        }
        points.push(TrackingPoint {
            day,
            time: offset as f64 / unit_days,
            actual: actual_through[offset as usize] as f64,
            model,
        });
    }
    Ok(Tracking {
        start,
        calibration_end: (calibration_end - start + 1) as f64 / unit_days,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::transactions::{Columns, days_from_civil, read_transactions, summarize};

    const CDNOW: [f64; 4] = [0.243, 4.414, 0.793, 2.426];

    fn log(text: &str) -> TransactionLog {
        read_transactions(text, &Columns::default()).unwrap()
    }

    fn expected(t: f64) -> f64 {
        let [r, alpha, a, b] = CDNOW;
        bgnbd_expected_purchases(r, alpha, a, b, t).unwrap()
    }

    #[test]
    fn one_customer_follows_the_bgnbd_expectation() {
        let log = log("customer_id,date,amount\na,2024-01-01,1\n");
        let start = days_from_civil(2024, 1, 1);
        let tracking =
            cumulative_repeat_purchases(&log, CDNOW, start + 27, start + 27, TimeUnit::Week)
                .unwrap();
        assert_eq!(tracking.start, start);
        assert_eq!(tracking.calibration_end, 4.0);
        let times: Vec<f64> = tracking.points.iter().map(|p| p.time).collect();
        assert_eq!(times, [0.0, 1.0, 2.0, 3.0, 4.0]);
        for point in &tracking.points {
            // Through the end of week k the customer has been observed for 7k − 1 days.
            let age = ((point.day - start) as f64 / 7.0).max(0.0);
            assert_eq!(point.model, expected(age), "week {}", point.time);
            assert_eq!(point.actual, 0.0);
        }
        assert_eq!(tracking.points[0].day, start - 1);
        assert_eq!(tracking.points[0].model, 0.0);
    }

    #[test]
    fn actual_counts_repeat_days_of_the_cohort_only() {
        // a: first 01-01, repeats 01-03 (two orders, one day) and 01-10, 01-20 (holdout);
        // b: first 01-05, repeat 01-08; c: first after the calibration end, not in the cohort.
        let log = log("customer_id,date,amount\n\
                       a,2024-01-01,1\na,2024-01-03,2\na,2024-01-03,3\na,2024-01-10,1\n\
                       a,2024-01-20,1\nb,2024-01-05,4\nb,2024-01-08,1\n\
                       c,2024-01-16,1\nc,2024-01-17,1\n");
        let start = days_from_civil(2024, 1, 1);
        let calibration_end = days_from_civil(2024, 1, 14);
        let end = days_from_civil(2024, 1, 24);
        let tracking =
            cumulative_repeat_purchases(&log, CDNOW, calibration_end, end, TimeUnit::Week).unwrap();
        assert_eq!(tracking.start, start);
        let rows: Vec<(f64, f64)> = tracking.points.iter().map(|p| (p.time, p.actual)).collect();
        // Weeks end on 01-07, 01-14, 01-21; the end 01-24 is 24/7 weeks after the start.
        assert_eq!(
            rows,
            [
                (0.0, 0.0),
                (1.0, 1.0),
                (2.0, 3.0),
                (3.0, 4.0),
                (24.0 / 7.0, 4.0)
            ]
        );
        assert_eq!(tracking.calibration_end, 2.0);
        // At the calibration end the curves are the fit's Σ x and Σ E[X(T)].
        let summaries = summarize(&log, calibration_end, TimeUnit::Week, Some(end));
        let at_end = tracking.points[2];
        assert_eq!(at_end.day, calibration_end);
        let repeats: u32 = summaries.customers.iter().map(|c| c.frequency).sum();
        assert_eq!(at_end.actual, f64::from(repeats));
        let model: f64 = summaries.customers.iter().map(|c| expected(c.age)).sum();
        assert!(
            (at_end.model - model).abs() < 1e-12,
            "{at_end:?} vs {model}"
        );
        let holdout: u32 = summaries
            .customers
            .iter()
            .map(|c| c.holdout_purchases)
            .sum();
        let last = tracking.points.last().unwrap();
        assert_eq!(last.actual - at_end.actual, f64::from(holdout));
    }

    #[test]
    fn a_calibration_end_between_weeks_gets_its_own_point() {
        let log = log("customer_id,date,amount\na,2024-01-01,1\na,2024-01-09,1\n");
        let start = days_from_civil(2024, 1, 1);
        let tracking =
            cumulative_repeat_purchases(&log, CDNOW, start + 9, start + 9, TimeUnit::Week).unwrap();
        let times: Vec<f64> = tracking.points.iter().map(|p| p.time).collect();
        assert_eq!(times, [0.0, 1.0, 10.0 / 7.0]);
        assert_eq!(tracking.calibration_end, 10.0 / 7.0);
        assert_eq!(tracking.points[2].actual, 1.0);
    }

    #[test]
    fn long_logs_are_tracked_every_few_units() {
        let log = log("customer_id,date,amount\na,2020-01-01,1\na,2023-01-01,1\n");
        let start = days_from_civil(2020, 1, 1);
        let end = days_from_civil(2023, 1, 1);
        let tracking = cumulative_repeat_purchases(&log, CDNOW, end, end, TimeUnit::Day).unwrap();
        let span = end - start + 1;
        assert_eq!(span, 1097);
        assert!(tracking.points.len() <= MAX_STEPS as usize + 2);
        assert_eq!(tracking.points[1].time, 2.0, "every second day");
        assert_eq!(tracking.points.last().unwrap().time, span as f64);
        assert_eq!(tracking.points.last().unwrap().actual, 1.0);
    }

    #[test]
    fn no_cohort_and_bad_parameters_are_errors() {
        let log = log("customer_id,date,amount\na,2024-01-10,1\n");
        let day = days_from_civil(2024, 1, 1);
        assert_eq!(
            cumulative_repeat_purchases(&log, CDNOW, day, day, TimeUnit::Week)
                .unwrap_err()
                .to_string(),
            "no customer bought on or before the calibration end, so there is no cohort to track"
        );
        let error = cumulative_repeat_purchases(
            &log,
            [0.243, 4.414, 0.25, 0.5],
            day + 30,
            day + 30,
            TimeUnit::Week,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "a + b = 0.75 is out of range: expected a + b > 1"
        );
    }
}
