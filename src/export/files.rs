//! The machine-readable outputs of `ceq simulate` as bytes: summary.json, periods.csv and
//! runs.csv. They are small functions over plain data (STYLE.md §7); the command line writes
//! them. Column names are the JSON names of SPEC §13 so the files join cleanly.

use serde::Serialize;

use super::{ExportError, to_csv};
use crate::sim::Simulation;
use crate::stats::SimulationSummary;

/// The summary as pretty JSON (2-space indent), ending in a newline. The same bytes go to
/// stdout with `--json` and to summary.json.
pub fn summary_json(summary: &SimulationSummary) -> Result<Vec<u8>, ExportError> {
    crate::format::json_bytes(summary).map_err(|e| ExportError::json("the summary", e))
}

/// One row per period with the columns of SPEC §13's `periods` entries, in that order.
pub fn periods_csv(summary: &SimulationSummary) -> Result<Vec<u8>, ExportError> {
    to_csv(&summary.periods, "periods.csv")
}

/// One row of runs.csv.
#[derive(Serialize)]
struct RunRow {
    /// 1-based, in run order (like `period`).
    run: u64,
    customer_equity: f64,
}

/// The discounted CE of every run in run order, so users can draw their own histograms or
/// check convergence.
pub fn runs_csv(simulation: &Simulation) -> Result<Vec<u8>, ExportError> {
    let rows: Vec<RunRow> = simulation
        .runs
        .iter()
        .zip(1..)
        .map(|(run, k)| RunRow {
            run: k,
            customer_equity: run.customer_equity,
        })
        .collect();
    to_csv(&rows, "runs.csv")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::text::simulate::tests::sample_summary;
    use crate::sim::{EngineKind, RunResult};

    #[test]
    fn periods_csv_has_the_spec_columns() {
        let text = String::from_utf8(periods_csv(&sample_summary()).unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "period,active_mean,active_p05,active_p95,new_mean,orders_mean,revenue_mean,\
             cumulative_ce_mean,cumulative_ce_p05,cumulative_ce_p95"
        );
        assert_eq!(lines.count(), sample_summary().periods.len());
    }

    #[test]
    fn runs_csv_lists_every_run_in_order() {
        let runs = [12.5, -3.0]
            .iter()
            .map(|&ce| RunResult {
                customer_equity: ce,
                ..RunResult::default()
            })
            .collect();
        let simulation = Simulation {
            engine: EngineKind::Cohort,
            runs,
            approximations: Vec::new(),
        };
        let text = String::from_utf8(runs_csv(&simulation).unwrap()).unwrap();
        assert_eq!(text, "run,customer_equity\n1,12.5\n2,-3.0\n");
    }

    #[test]
    fn summary_json_has_the_spec_keys_in_order() {
        let bytes = summary_json(&sample_summary()).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let keys: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("  \""))
            .filter_map(|rest| rest.split_once("\":"))
            .map(|(key, _)| key)
            .collect();
        assert_eq!(
            keys,
            [
                "ceq_version",
                "scenario",
                "plan",
                "runs",
                "seed",
                "engine",
                "customer_equity",
                "components",
                "origin",
                "cohorts",
                "periods"
            ]
        );
    }

    #[test]
    fn summary_json_is_pretty_with_a_final_newline() {
        let text = String::from_utf8(summary_json(&sample_summary()).unwrap()).unwrap();
        assert!(text.starts_with("{\n  \"ceq_version\": "));
        assert!(text.ends_with("}\n"));
    }
}
