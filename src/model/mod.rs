//! The model's mathematics: response curves, discounting, the plan's spend and driver lifts,
//! and the random draws the engines share.

pub mod discount;
pub mod dist;
pub mod plan_path;
pub mod response;
