//! The commands of SPEC section 2, one module each. Each returns a [`Verdict`] (or a tool
//! error); only the CLI layer (`cli.rs`) turns verdicts into exit codes, and no command
//! imports from it.
//!
//! [`Verdict`]: crate::report::Verdict

pub mod check;
pub mod completions;
pub mod explain;
pub mod hook;
pub mod init;
pub mod snapshot;
pub mod stamp;
