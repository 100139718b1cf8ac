//! `preflight completions SHELL`: a completion script for the CLI the caller describes.

use crate::report::Verdict;

pub fn run(shell: clap_complete::Shell, mut cmd: clap::Command) -> Verdict {
    clap_complete::generate(shell, &mut cmd, "preflight", &mut std::io::stdout());
    Verdict::Pass
}
