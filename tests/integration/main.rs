//! Integration tests: one binary, one module per area (STYLE.md §8).
mod cli;
mod closed_forms;
