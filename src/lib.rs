//! preflight: blocks a blue/green rollout when the environment about to be deployed is not the
//! one that was tested, or refers to cloud resources that do not exist.
//!
//! `main.rs` only calls [`cli::main`]; everything else is here so tests and fuzz targets can
//! reach the parsers directly.

pub mod aws_arn;
pub mod aws_ids;
pub mod check;
pub mod checks;
pub mod cli;
pub mod cloud;
pub mod commands;
pub mod config;
pub mod diag;
pub mod env;
pub mod files;
pub mod fingerprint;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod live;
pub mod lock;
pub mod provenance;
pub mod report;
pub mod rules;
pub mod schema;
pub mod secrets;
