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

/// The check family a rule belongs to: the folder under `src/checks/` that fires it, the JUnit
/// suite its cases are grouped in, and SARIF's `properties.family`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Env,
    Account,
    Arn,
    Ssm,
    Secretsmanager,
    Ami,
    Network,
    Compute,
    Autoscaling,
    Traffic,
    Artifact,
    Drift,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Env => "env",
            Family::Account => "account",
            Family::Arn => "arn",
            Family::Ssm => "ssm",
            Family::Secretsmanager => "secretsmanager",
            Family::Ami => "ami",
            Family::Network => "network",
            Family::Compute => "compute",
            Family::Autoscaling => "autoscaling",
            Family::Traffic => "traffic",
            Family::Artifact => "artifact",
            Family::Drift => "drift",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stable rule id with its documentation.
#[derive(Debug)]
pub struct Rule {
    /// The kebab-case id from SPEC section 3, e.g. `ami-not-found`.
    pub id: &'static str,
    /// The check family: the folder under `src/checks/` that declares and fires the rule.
    pub family: Family,
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
