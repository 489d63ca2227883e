//! Plans side by side: comparison on common random numbers ([`compare`]), the optimal budget
//! split at a range of budgets ([`frontier`]) and the effect of every parameter
//! ([`sensitivity`]). Plain data in and out; the CLI renders and writes it.

pub mod channels;
pub mod compare;
pub mod frontier;
pub mod levers_seed;
pub mod parameter_words;
pub mod payback;
pub mod sensitivity;
pub mod summary;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// A JSON object whose keys keep the order given (lever order, cohort order).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderedMap<T = f64>(pub Vec<(String, T)>);

impl<T: Serialize> Serialize for OrderedMap<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// CE of each run, in run order.
pub fn run_values(simulation: &crate::sim::Simulation) -> Vec<f64> {
    simulation.runs.iter().map(|r| r.customer_equity).collect()
}
