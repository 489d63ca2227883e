//! The model's mathematics: response curves, discounting, the plan's spend and driver lifts,
//! the random draws the engines share, and the closed forms the engines are tested against.

pub mod closed_form;
pub mod discount;
pub mod dist;
pub mod plan_path;
pub mod quadrature;
pub mod response;
