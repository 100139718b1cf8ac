//! preflight: blocks a blue/green rollout when the environment about to be deployed is not the
//! one that was tested, or refers to cloud resources that do not exist.
//!
//! `main.rs` only calls [`cli::main`]; everything else is here so tests and fuzz targets can
//! reach the parsers directly.

// The layers, top to bottom, as docs/architecture.md draws them. Nothing imports `cli`.

// Commands: what a user runs. Each returns a `Verdict`; only `cli` maps verdicts to exit codes.
pub mod cli;
pub mod commands;

// Domain checks: the stages of `check`, the rule families that judge, and what they record
// (the catalogue of rules, locks, provenance files, the fingerprint).
pub mod check;
pub mod checks;
pub mod fingerprint;
pub mod lock;
pub mod provenance;
pub mod rules;

// Sources: the configuration, the environment's variables, its schema, which values are
// secrets, and git (artifact freshness).
pub mod config;
pub mod env;
pub mod git;
pub mod schema;
pub mod secrets;

// Cloud: the `Cloud` trait and the AWS SDK behind it, the batched lookups of a run, and the
// AWS identifier and ARN grammars.
pub mod aws_arn;
pub mod aws_ids;
pub mod cloud;
pub mod live;

// Report: findings and the five output formats.
pub mod report;

// Files and diagnostics: confined reads, atomic writes, located errors.
pub mod diag;
pub mod files;

#[doc(hidden)]
pub mod fuzzing;
