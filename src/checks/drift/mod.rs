//! The drift family. Its rules are declared in `rules.rs`.

pub mod rules;
