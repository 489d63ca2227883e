//! Calibration speed (SPEC §14: "a log of one million transactions fits in seconds").
//!
//! A synthetic log of one million transactions is generated once, outside the timed loops,
//! from the BG/NBD and Gamma-Gamma models themselves (daily time, two years, first purchases
//! spread over the first quarter), as CSV text like an export. Timed: reading the log, and
//! summarizing it plus fitting BG/NBD and Gamma-Gamma with standard errors.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use std::fmt::Write;
use std::hint::black_box;

use ceq::fit::scores::{self, ScoreSettings};
use ceq::fit::transactions::{self, Columns, TimeUnit, days_from_civil, format_day};
use ceq::fit::{bgnbd, gamma_gamma};
use ceq::sim::rng::SimRng;

const TRANSACTIONS: usize = 1_000_000;

/// CSV text with `TRANSACTIONS` rows: customer_id,date,amount.
fn synthetic_log() -> String {
    let mut rng = SimRng::seed_from_u64(20_240_331);
    let rate = Gamma::new(0.5, 1.0 / 40.0).unwrap(); // r = 0.5, α = 40 days
    let dropout = Beta::new(0.8, 2.5).unwrap();
    let spend_rate = Gamma::new(3.7, 1.0 / 15.0).unwrap(); // ν ~ Gamma(q, γ)
    let start = days_from_civil(2022, 1, 1);
    let end = start + 730;
    let mut text = String::from("customer_id,date,amount\n");
    let mut rows = 0;
    let mut customer = 0u64;
    while rows < TRANSACTIONS {
        customer += 1;
        let lambda: f64 = rate.sample(&mut rng);
        let p: f64 = dropout.sample(&mut rng);
        let nu: f64 = spend_rate.sample(&mut rng);
        let order = Gamma::new(6.0, 1.0 / nu).unwrap();
        let mut day = (start + rng.random_range(0..91)) as f64;
        loop {
            let amount: f64 = order.sample(&mut rng);
            let _ = writeln!(
                text,
                "C{customer:07},{},{amount:.2}",
                format_day(day.floor() as i64)
            );
            rows += 1;
            if rows == TRANSACTIONS || rng.random::<f64>() < p {
                break;
            }
            day += Exp::new(lambda).unwrap().sample(&mut rng);
            if day >= end as f64 {
                break;
            }
        }
    }
    text
}

fn fit_a_million(c: &mut Criterion) {
    let text = synthetic_log();
    let columns = Columns::default();
    let log = transactions::read_transactions(&text, &columns).unwrap();
    let calibration_end = days_from_civil(2023, 6, 30);
    let mut group = c.benchmark_group("fit");
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.throughput(Throughput::Elements(TRANSACTIONS as u64));
    group.bench_function("read_1m_transactions", |b| {
        b.iter(|| transactions::read_transactions(black_box(&text), &columns).unwrap())
    });
    group.bench_function("summarize_and_fit_1m_transactions", |b| {
        b.iter(|| {
            let summaries =
                transactions::summarize(black_box(&log), calibration_end, TimeUnit::Week, None);
            let purchasing = bgnbd::fit(&summaries.customers).unwrap();
            let spend = gamma_gamma::fit(&summaries.customers).unwrap();
            (purchasing, spend)
        })
    });
    let summaries = transactions::summarize(&log, calibration_end, TimeUnit::Week, None);
    let purchasing = bgnbd::fit(&summaries.customers).unwrap();
    let spend = gamma_gamma::fit(&summaries.customers).unwrap();
    let settings = ScoreSettings::new(52, 52);
    group.bench_function("score_customers_of_1m_transactions", |b| {
        b.iter(|| {
            scores::score(
                black_box(&summaries.customers),
                &log.customers,
                purchasing.params(),
                spend.params(),
                &settings,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, fit_a_million);
criterion_main!(benches);
