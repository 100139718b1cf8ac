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

impl Rule {
    /// The report lines the doc's `## Example` shows (`error[ami-not-found]: LAUNCH_AMI: ...`).
    pub fn example_lines(&self) -> Vec<&'static str> {
        let example = self.doc.split("## Example").nth(1).and_then(|e| e.split("\n## ").next()).unwrap_or("");
        example.lines().filter(|l| l.starts_with("error[") || l.starts_with("warning[")).collect()
    }
}

/// A finding as a rule's documented example prints it: `severity[rule]: KEY: message`, or
/// `severity[rule]: message` when it names no variable.
pub fn example_line(severity: Severity, id: &str, key: Option<&str>, message: &str) -> String {
    let key = key.map(|k| format!("{k}: ")).unwrap_or_default();
    format!("{}[{id}]: {key}{message}", severity.as_str())
}

/// An example line with the values a real run cannot reproduce replaced by placeholders: AWS
/// resource ids (and the docs' `vpc-0aaa...` abbreviations), account ids, digests, commit ids,
/// ELB DNS names' random part, hosted zone ids and UUIDs. Two lines with the same shape say the
/// same thing in the same words: the tests compare a documented example with the real line this
/// way, so the docs cannot drift from the output.
#[doc(hidden)]
pub fn example_shape(line: &str) -> String {
    use std::sync::LazyLock;
    static PLACEHOLDERS: LazyLock<Vec<(regex::Regex, &'static str)>> = LazyLock::new(|| {
        [
            (r"\b([a-z][a-z0-9-]*)-[0-9a-z]+\.([a-z]{2}-[a-z]+-\d)\.elb\.amazonaws\.com", "$1-*.$2.elb.amazonaws.com"),
            (r"\b(ami|sg|subnet|vpc|lt|key|i)-[0-9a-f]*(\.\.\.|…|\b)", "$1-*"),
            (r"\bsha256:[0-9a-f]+(\.\.\.|…)?", "sha256:*"),
            (r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "UUID"),
            (r"\b\d{12}\b", "ACCOUNT"),
            (r"\b[0-9a-f]{7,40}\b", "COMMIT"),
            (r"\b[0-9A-Z]{12,32}\b", "ZONE"),
        ]
        .into_iter()
        .map(|(pattern, with)| (regex::Regex::new(pattern).expect("a valid pattern"), with))
        .collect()
    });
    let mut out = line.trim().to_string();
    for (pattern, with) in PLACEHOLDERS.iter() {
        out = pattern.replace_all(&out, *with).into_owned();
    }
    out
}

/// Test helper: every example line of `rule` has the shape of a line one of `findings` prints.
#[cfg(test)]
pub fn assert_examples_printed(rule: &Rule, findings: &[crate::report::Finding]) {
    let printed: Vec<String> = findings.iter().map(|f| example_line(f.severity, f.rule.id, f.key.as_deref(), &f.message)).collect();
    for line in rule.example_lines() {
        let shape = example_shape(line);
        assert!(printed.iter().any(|p| example_shape(p) == shape), "{}: documented\n  {line}\nprinted\n  {printed:?}", rule.id);
    }
}
