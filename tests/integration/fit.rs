//! Calibration (SPEC §14): reference fits on the published data, the fitted scenario's round
//! trip through the simulator, and `ceq fit` through the real binary.

use std::path::{Path, PathBuf};

use ceq::fit::transactions::{self, Columns, TimeUnit, parse_date};
use ceq::fit::{bgnbd, gamma_gamma, sbg};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn cdnow_summaries() -> transactions::Summaries {
    let text = std::fs::read_to_string(data("cdnow_sample_transactions.csv")).unwrap();
    let log = transactions::read_transactions(&text, &Columns::default()).unwrap();
    assert!(log.bad_rows.is_empty());
    let end = parse_date("1997-09-30").unwrap();
    transactions::summarize(&log, end, TimeUnit::Week, parse_date("1998-06-30"))
}

fn assert_close(name: &str, got: f64, expected: f64, relative: f64) {
    assert!(
        (got / expected - 1.0).abs() < relative,
        "{name} = {got}, expected {expected} within {}%",
        relative * 100.0
    );
}

#[test]
fn fit_sbg_reproduces_fader_hardie_2007() {
    let text = std::fs::read_to_string(data("fader_hardie_2007_survival.csv")).unwrap();
    let table = sbg::read_survival_table(&text).unwrap();
    let regular = sbg::fit(&table.series[0].alive, Some(7)).unwrap();
    assert_close("regular alpha", regular.alpha.value, 0.704, 0.005);
    assert_close("regular beta", regular.beta.value, 1.182, 0.005);
    let high_end = sbg::fit(&table.series[1].alive, Some(7)).unwrap();
    assert_close("high end alpha", high_end.alpha.value, 0.668, 0.005);
    assert_close("high end beta", high_end.beta.value, 3.806, 0.005);
}

#[test]
fn fit_bgnbd_and_gamma_gamma_reproduce_fader_hardie_lee_on_cdnow() {
    let summaries = cdnow_summaries();
    assert_eq!(summaries.customers.len(), 2357);
    let fitted = bgnbd::fit(&summaries.customers).unwrap();
    eprintln!("{fitted:?}");
    assert_close("r", fitted.r.value, 0.243, 0.01);
    assert_close("alpha", fitted.alpha.value, 4.414, 0.01);
    assert_close("a", fitted.a.value, 0.793, 0.01);
    assert_close("b", fitted.b.value, 2.426, 0.01);
    let spend = gamma_gamma::fit(&summaries.customers).unwrap();
    eprintln!("{spend:?}");
    assert_eq!(spend.customers, 946);
    assert_close("p", spend.p.value, 6.25, 0.01);
    assert_close("q", spend.q.value, 3.74, 0.01);
    assert_close("gamma", spend.gamma.value, 15.44, 0.01);
}
