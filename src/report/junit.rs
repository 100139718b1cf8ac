//! `--format junit`: JUnit XML for CI systems that show test reports (GitLab, Jenkins, ...).
//! One suite per check family, one case per variable, resource, artifact or comparison
//! checked: a passing gate shows green cases; each finding is a failure of its case; a check
//! that could not complete is a skipped case.

use std::collections::BTreeMap;

use super::Report;
use crate::rules::Severity;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[derive(Default)]
struct Case {
    failures: Vec<String>,
    warnings: Vec<String>,
}

pub fn render(report: &Report) -> String {
    let mut suites: BTreeMap<&str, BTreeMap<String, Case>> = BTreeMap::new();
    for (family, name) in &report.cases {
        suites.entry(family.as_str()).or_default().entry(name.clone()).or_default();
    }
    for f in &report.findings {
        let name = match &f.key {
            Some(k) => k.clone(),
            None if *f.rule == crate::checks::drift::rules::FINGERPRINT_MISMATCH => "fingerprint".into(),
            None => "(environment)".into(),
        };
        let case = suites.entry(f.rule.family.as_str()).or_default().entry(name).or_default();
        let loc = f.location.as_ref().map(|l| format!(" at {}:{}:{}", l.path, l.line, l.column)).unwrap_or_default();
        let region = f.region.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        let text = format!("[{}]{region} {}{loc}\nhelp: {}", f.rule.id, f.message, f.help);
        match f.severity {
            Severity::Error => case.failures.push(text),
            Severity::Warning => case.warnings.push(text),
        }
    }
    let skipped: Vec<String> =
        report.unverified.iter().map(|u| format!("{}{}: {}", u.check, u.region.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(), u.reason)).collect();

    let total: usize = suites.values().map(BTreeMap::len).sum::<usize>() + skipped.len();
    let failures: usize = suites.values().flat_map(|s| s.values()).filter(|c| !c.failures.is_empty()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"preflight {}\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\" skipped=\"{}\">\n",
        esc(&report.environment),
        skipped.len()
    ));
    for (family, cases) in &suites {
        let f = cases.values().filter(|c| !c.failures.is_empty()).count();
        out.push_str(&format!("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"0\">\n", esc(family), cases.len()));
        out.push_str(&format!(
            "    <properties>\n      <property name=\"environment\" value=\"{}\"/>\n      <property name=\"account\" value=\"{}\"/>\n      <property name=\"fingerprint\" value=\"{}\"/>\n    </properties>\n",
            esc(&report.environment),
            esc(report.account.as_deref().unwrap_or("")),
            esc(&report.fingerprint)
        ));
        for (name, case) in cases {
            out.push_str(&format!("    <testcase classname=\"preflight.{}\" name=\"{}\"", esc(family), esc(name)));
            if case.failures.is_empty() && case.warnings.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            for text in &case.failures {
                let first = text.lines().next().unwrap_or("");
                out.push_str(&format!("      <failure message=\"{}\" type=\"error\">{}</failure>\n", esc(first), esc(text)));
            }
            if !case.warnings.is_empty() {
                out.push_str(&format!("      <system-out>{}</system-out>\n", esc(&case.warnings.join("\n"))));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    if !skipped.is_empty() {
        out.push_str(&format!("  <testsuite name=\"unverified\" tests=\"{n}\" failures=\"0\" errors=\"0\" skipped=\"{n}\">\n", n = skipped.len()));
        for s in &skipped {
            out.push_str(&format!(
                "    <testcase classname=\"preflight.unverified\" name=\"{}\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                esc(s),
                esc(s)
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str(&format!("  <!-- verdict {} fingerprint {} -->\n", report.verdict().as_str(), esc(&report.fingerprint)));
    out.push_str("</testsuites>\n");
    out
}
