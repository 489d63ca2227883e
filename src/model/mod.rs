//! The model's mathematics: response curves, discounting, trait distributions and closed forms
//! used as references.

pub mod closed_form;
