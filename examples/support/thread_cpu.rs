//! The calling thread's CPU time, shared by the measuring examples (`#[path]`-included, so it
//! is not an example of its own).

/// Nanoseconds this thread has spent on a CPU (first field of schedstat).
pub fn thread_cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("/proc/thread-self/schedstat (Linux only)");
    text.split_whitespace()
        .next()
        .and_then(|field| field.parse().ok())
        .expect("schedstat's first field is a count of nanoseconds")
}
