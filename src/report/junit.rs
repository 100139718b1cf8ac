//! `--format junit`: JUnit XML for CI systems that show test reports (GitLab, Jenkins, ...),
//! written by `quick-junit` (the model and serializer nextest uses). One suite per check family,
//! one case per variable, resource, artifact or comparison checked: a passing gate shows green
//! cases; a case with error findings fails (every finding in its description), warnings go to
//! its system-out; a check that could not complete is a skipped case of the `unverified` suite.
//! Each suite carries the environment, account, fingerprint and verdict as properties.

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, Property, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use super::{Finding, Report};
use crate::rules::Severity;

#[derive(Default)]
struct Case {
    failures: Vec<String>,
    warnings: Vec<String>,
}

/// The case a finding belongs to: its variable, the fingerprint, or the environment as a whole.
fn case_name(f: &Finding) -> String {
    match &f.key {
        Some(k) => k.clone(),
        None if *f.rule == crate::checks::drift::rules::FINGERPRINT_MISMATCH => "fingerprint".into(),
        None => "(environment)".into(),
    }
}

fn text(f: &Finding) -> String {
    let loc = f.location.as_ref().map(|l| format!(" at {}:{}:{}", l.path, l.line, l.column)).unwrap_or_default();
    let region = f.region.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
    format!("[{}]{region} {}{loc}\nhelp: {}", f.rule.id, f.message, f.help)
}

fn test_case(family: &str, name: &str, case: &Case) -> TestCase {
    let status = match case.failures.as_slice() {
        [] => TestCaseStatus::success(),
        [first, rest @ ..] => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let more = if rest.is_empty() { String::new() } else { format!(" (and {} more)", rest.len()) };
            status.set_message(format!("{}{more}", first.lines().next().unwrap_or(""))).set_type("error").set_description(case.failures.join("\n\n"));
            status
        }
    };
    let mut test = TestCase::new(name, status);
    test.set_classname(format!("preflight.{family}"));
    if !case.warnings.is_empty() {
        test.set_system_out(case.warnings.join("\n"));
    }
    test
}

pub fn render(report: &Report) -> String {
    let mut suites: BTreeMap<&str, BTreeMap<String, Case>> = BTreeMap::new();
    for (family, name) in &report.cases {
        suites.entry(family.as_str()).or_default().entry(name.clone()).or_default();
    }
    for f in &report.findings {
        let case = suites.entry(f.rule.family.as_str()).or_default().entry(case_name(f)).or_default();
        match f.severity {
            Severity::Error => case.failures.push(text(f)),
            Severity::Warning => case.warnings.push(text(f)),
        }
    }
    let properties = [
        Property::new("environment", report.environment.as_str()),
        Property::new("account", report.account.as_deref().unwrap_or("")),
        Property::new("fingerprint", report.fingerprint.as_str()),
        Property::new("verdict", report.verdict().as_str()),
    ];
    let mut junit = Junit::new(format!("preflight {}", report.environment));
    for (family, cases) in &suites {
        let mut suite = TestSuite::new(*family);
        suite.add_properties(properties.clone());
        suite.add_test_cases(cases.iter().map(|(name, case)| test_case(family, name, case)));
        junit.add_test_suite(suite);
    }
    if !report.unverified.is_empty() {
        let mut suite = TestSuite::new("unverified");
        suite.add_properties(properties.clone());
        for u in &report.unverified {
            let what = format!("{}{}: {}", u.check, u.region.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(), u.reason);
            let mut status = TestCaseStatus::skipped();
            status.set_message(what.as_str());
            let mut test = TestCase::new(what.as_str(), status);
            test.set_classname("preflight.unverified");
            suite.add_test_case(test);
        }
        junit.add_test_suite(suite);
    }
    // Serializing an in-memory model into a String cannot fail on I/O; fall back to an empty
    // report rather than panic if it ever did.
    junit.to_string().unwrap_or_else(|e| format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- junit serialization failed: {e} -->\n<testsuites/>\n"))
}
