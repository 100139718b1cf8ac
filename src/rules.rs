//! The catalogue of rule ids. Each rule is declared next to the check that fires it
//! (`src/checks/<family>/rules.rs`), with the documentation `preflight explain RULE` prints;
//! this module only gathers them so ids stay unique and the list stays complete.

use serde::Serialize;

/// How much a finding weighs in the verdict: any `Error` blocks the rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One stable rule id with its documentation.
#[derive(Debug)]
pub struct Rule {
    /// The kebab-case id from SPEC section 3, e.g. `ami-not-found`.
    pub id: &'static str,
    /// The check family (`env`, `ssm`, `ami`, `network`, `compute`, `artifact`, `drift`).
    pub family: &'static str,
    pub severity: Severity,
    /// One line: when it fires.
    pub summary: &'static str,
    /// Markdown: `## What it does`, `## Why is this bad?`, `## Example`, `## How to fix`.
    pub doc: &'static str,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Rule {}
