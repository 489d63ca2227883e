//! One integration test binary with a module per subject (STYLE.md §8).

mod scenario_files;
