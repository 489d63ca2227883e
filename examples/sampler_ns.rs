//! Nanoseconds per draw of the cohort engine's samplers at a few parameters (one thread's CPU
//! time from /proc/thread-self/schedstat). `cargo run --release --example sampler_ns`.
use ceq::model::dist::{beta_by_gammas, binomial, gamma};
use ceq::sim::rng::{Stream, stream};
use std::hint::black_box;

#[path = "support/thread_cpu.rs"]
mod thread_cpu;
use thread_cpu::thread_cpu_ns;

fn main() {
    let mut rng = stream(1, 0, Stream::Customers);
    let draws = 2_000_000u64;
    for (n, p) in [
        (30u64, 0.05),
        (200, 0.02),
        (2000, 0.004),
        (2000, 0.01),
        (2000, 0.1),
        (50_000, 0.005),
        (1_000_000, 0.01),
        (1_000_000, 0.3),
    ] {
        let before = thread_cpu_ns();
        let mut sum = 0u64;
        for i in 0..draws {
            sum += binomial(&mut rng, black_box(n + (i & 7)), black_box(p));
        }
        let ns = (thread_cpu_ns() - before) as f64 / draws as f64;
        let mean = sum as f64 / draws as f64;
        println!(
            "binomial n={n} p={p}: {ns:.1} ns (mean {mean:.2}, expected {:.2})",
            (n as f64 + 3.5) * p
        );
    }
    for (a, b) in [(50_000.0, 3.0), (3000.0, 300.0)] {
        let before = thread_cpu_ns();
        let mut sum = 0.0;
        for _ in 0..draws {
            sum += beta_by_gammas(&mut rng, black_box(a), black_box(b));
        }
        let ns = (thread_cpu_ns() - before) as f64 / draws as f64;
        println!(
            "beta_by_gammas {a} {b}: {ns:.1} ns (mean {:.6})",
            sum / draws as f64
        );
    }
    let before = thread_cpu_ns();
    let mut sum = 0.0;
    for _ in 0..draws {
        sum += gamma(&mut rng, black_box(3000.0), 1.0);
    }
    println!(
        "gamma 3000: {:.1} ns ({sum:.0})",
        (thread_cpu_ns() - before) as f64 / draws as f64
    );
}
