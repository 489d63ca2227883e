//! Cancellation and progress are passed into each call (`ceq::control`), not global: two
//! studies in one process cancel and count their runs apart.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ceq::control::{CancelToken, Control, RunCounter, RunProgress};
use ceq::optimize::{OptimizeError, Silent};
use ceq::sim::{EngineKind, SimError, SimOptions, Simulation};

fn scenario(file: &str) -> ceq::scenario::Scenario {
    ceq::scenario::load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap()
}

fn options(runs: u64, control: Control) -> SimOptions {
    SimOptions {
        plan: ceq::scenario::PlanId::FIRST,
        runs,
        seed: 7,
        engine: EngineKind::Customer,
        limits: Default::default(),
        control,
    }
}

/// A progress sink that cancels its own study once `after` runs have finished.
struct CancelAfter {
    done: AtomicU64,
    after: u64,
    token: CancelToken,
}

impl RunProgress for CancelAfter {
    fn run_finished(&self) {
        if self.done.fetch_add(1, Ordering::Relaxed) + 1 == self.after {
            self.token.cancel();
        }
    }
}

/// Study A cancels itself after 10 of its 20,000 runs while study B runs beside it in the same
/// process and pool: A stops with `Interrupted` long before its end, B finishes every run,
/// its counter saw exactly its own runs, and its results are bit for bit those of B alone.
#[test]
fn cancelling_one_simulation_leaves_the_other_finishing() {
    let scenario = scenario("scenarios/minimal.toml");
    let runs_b = 300;
    let alone: Simulation = ceq::sim::run(&scenario, &options(runs_b, Control::default())).unwrap();

    let token_a = CancelToken::new();
    let stopper = Arc::new(CancelAfter {
        done: AtomicU64::new(0),
        after: 10,
        token: token_a.clone(),
    });
    let control_a = Control::new(token_a.clone()).with_progress(stopper.clone());
    let token_b = CancelToken::new();
    let counter_b = Arc::new(RunCounter::default());
    let control_b = Control::new(token_b.clone()).with_progress(counter_b.clone());

    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ceq::sim::run(&scenario, &options(20_000, control_a)));
        let b = s.spawn(|| ceq::sim::run(&scenario, &options(runs_b, control_b)));
        (a.join().unwrap(), b.join().unwrap())
    });

    assert_eq!(a, Err(SimError::Interrupted));
    assert!(token_a.is_cancelled());
    let made_a = stopper.done.load(Ordering::Relaxed);
    assert!(
        (10..20_000).contains(&made_a),
        "A made {made_a} runs after asking to stop at 10"
    );
    assert!(!token_b.is_cancelled());
    let b = b.unwrap();
    assert_eq!(b.runs.len() as u64, runs_b);
    assert_eq!(counter_b.done(), runs_b);
    assert_eq!(b, alone);
}

/// Every simulating entry point honours the token of its own options: with a cancelled token
/// each returns `Interrupted`, and a fresh token in the same process works again.
#[test]
fn every_entry_point_stops_on_its_own_token() {
    let cancelled = CancelToken::new();
    cancelled.cancel();
    let stopped = Control::new(cancelled);
    let minimal = scenario("scenarios/minimal.toml");

    let compare = |control: Control| {
        ceq::plans::compare::compare(
            &minimal,
            &[minimal.baseline_plan()],
            &options(20, control),
            &mut Silent,
        )
    };
    assert_eq!(compare(stopped.clone()).err(), Some(SimError::Interrupted));
    assert_eq!(compare(Control::default()).unwrap().plans.len(), 1);

    let sensitivity = |control: Control| {
        ceq::plans::sensitivity::sensitivity(
            &minimal,
            &ceq::plans::sensitivity::Settings {
                plan: ceq::scenario::PlanId::FIRST,
                step: 0.1,
                runs: 10,
                seed: 7,
                engine: EngineKind::Auto,
                screen: Some(1),
                limits: Default::default(),
                control,
            },
            &mut Silent,
        )
    };
    assert_eq!(
        sensitivity(stopped.clone()).err(),
        Some(SimError::Interrupted)
    );
    assert!(!sensitivity(Control::default()).unwrap().effects.is_empty());

    let channels = scenario("scenarios/channels.toml");
    let mut settings = ceq::optimize::Settings::new(
        channels.optimize().cloned().unwrap(),
        channels.baseline_plan(),
    );
    settings.control = stopped.clone();
    assert!(matches!(
        ceq::optimize::optimize(&channels, &settings, &mut Silent),
        Err(OptimizeError::Sim(SimError::Interrupted))
    ));

    let report = ceq::report::build::build(
        &minimal,
        &ceq::report::build::Options {
            runs: 20,
            seed: 7,
            sensitivity_runs: 0,
            optimize: false,
            frontier: false,
            engine: EngineKind::Auto,
            command: String::new(),
            limits: Default::default(),
            control: stopped,
        },
        &mut Silent,
    );
    assert!(matches!(
        report,
        Err(ceq::report::build::ReportError::Sim(SimError::Interrupted))
    ));
}
