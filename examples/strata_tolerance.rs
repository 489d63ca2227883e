//! What looser churn strata would save and cost (issue 12 item 3): per cohort with Beta churn,
//! the strata [`ceq::sim::approx::churn_rule_within`] keeps when survival must stay within
//! 1e-9 (the engine's exactness rule, `approx::EXACT_TOLERANCE`), 1e-6 and 1e-4 of the closed
//! form; then, for scenarios where that changes anything, the cohort engine's mean CE under each
//! rule on common seeds (runs 0..RUNS of seed 1, baseline plan) against the 1e-9 strata, in
//! standard errors: of the paired difference and combined (√(se₁² + se₂²)), and one thread's
//! CPU per run (`/proc/thread-self/schedstat`).
//!
//! `cargo run --release --example strata_tolerance -- [RUNS] [SCENARIO...]` (defaults: 200
//! runs, every scenario in scenarios/ and benches/scenarios/). The engine itself always uses
//! the 1e-9 rule; this only measures what another would do.

use std::path::{Path, PathBuf};

use ceq::scenario::load_file;
use ceq::sim::cohort::{
    churn_strata, churn_strata_count_within, simulate_run, simulate_run_with_churn_tolerance,
};
use ceq::sim::setup::RunSetup;

const TOLERANCES: [f64; 3] = [1e-9, 1e-6, 1e-4];

#[path = "support/thread_cpu.rs"]
mod thread_cpu;
use thread_cpu::thread_cpu_ns;

fn scenario_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["scenarios", "benches/scenarios"] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

fn mean_and_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let variance = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, (variance / n).sqrt())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: u64 = args
        .next()
        .map_or(200, |r| r.parse().expect("RUNS is a count"));
    let mut files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if files.is_empty() {
        files = scenario_files();
    }
    let seed = 1;
    for file in files {
        let Ok(scenario) = load_file(Path::new(&file)) else {
            continue;
        };
        let mut changed = false;
        for c in 0..scenario.cohorts().len() {
            if churn_strata(&scenario, c).is_none() {
                continue;
            }
            let counts: Vec<String> = TOLERANCES
                .iter()
                .map(|&t| {
                    let k = churn_strata_count_within(&scenario, c, t);
                    format!("{t:.0e}: {k}")
                })
                .collect();
            changed |= churn_strata_count_within(&scenario, c, TOLERANCES[0])
                != churn_strata_count_within(&scenario, c, TOLERANCES[2]);
            println!(
                "{} cohort `{}` ({} periods): strata {}",
                file.display(),
                scenario.cohorts()[c].name(),
                scenario.time().periods(),
                counts.join(", ")
            );
        }
        if !changed || runs == 0 {
            continue;
        }
        let plan = &scenario.plans()[scenario.baseline_plan()];
        let mut ce: Vec<Vec<f64>> = vec![Vec::new(); TOLERANCES.len()];
        let mut cpu = vec![0u64; TOLERANCES.len()];
        for run in 0..runs {
            let setup = RunSetup::new(&scenario, plan, seed, run);
            for (i, &tolerance) in TOLERANCES.iter().enumerate() {
                let before = thread_cpu_ns();
                let result = if i == 0 {
                    simulate_run(&setup, seed, run)
                } else {
                    simulate_run_with_churn_tolerance(&setup, seed, run, tolerance)
                };
                cpu[i] += thread_cpu_ns() - before;
                match result {
                    Ok(r) => ce[i].push(r.customer_equity),
                    Err(e) => {
                        println!("  {}: {e}", file.display());
                        return;
                    }
                }
            }
        }
        let (exact_mean, exact_se) = mean_and_se(&ce[0]);
        println!(
            "  {runs} runs, 1e-9: mean CE {exact_mean:.6e} ± {exact_se:.3e}, {:.2} ms CPU per run",
            cpu[0] as f64 / 1e6 / runs as f64
        );
        for i in 1..TOLERANCES.len() {
            let (mean, se) = mean_and_se(&ce[i]);
            let differences: Vec<f64> = ce[i].iter().zip(&ce[0]).map(|(a, b)| a - b).collect();
            let (difference, se_difference) = mean_and_se(&differences);
            let combined = (se * se + exact_se * exact_se).sqrt();
            println!(
                "  {:.0e}: mean CE {mean:.6e} ± {se:.3e}, difference {difference:+.4e} \
                 ({:+.3} paired SE, {:+.3} combined SE), {:.2} ms CPU per run",
                TOLERANCES[i],
                difference / se_difference.max(f64::MIN_POSITIVE),
                difference / combined.max(f64::MIN_POSITIVE),
                cpu[i] as f64 / 1e6 / runs as f64
            );
        }
    }
}
