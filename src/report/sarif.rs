//! `--format sarif`: SARIF 2.1.0, for GitHub code scanning and other viewers. Every rule is
//! described with its `explain` text; results point into the env file or preflight.toml.
//! Checks that could not complete are tool execution notifications.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, ReportingDescriptorReference, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use super::{Finding, Report, Unverified};
use crate::checks;
use crate::rules::{Rule, Severity};

/// A property bag of the given (name, value) pairs; `None` values are left out.
fn bag<const N: usize>(pairs: [(&str, Option<Value>); N]) -> PropertyBag {
    let additional_properties: BTreeMap<String, Value> = pairs.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect();
    PropertyBag::builder().additional_properties(additional_properties).build()
}

fn text(s: impl Into<String>) -> Message {
    Message::builder().text(s.into()).build()
}

fn descriptor(r: &Rule) -> ReportingDescriptor {
    let level = json!(r.severity.as_str());
    ReportingDescriptor::builder()
        .id(r.id)
        .name(r.id)
        .short_description(MultiformatMessageString::builder().text(r.summary).build())
        .full_description(MultiformatMessageString::builder().text(r.summary).build())
        .help(MultiformatMessageString::builder().text(r.doc.trim()).markdown(r.doc.trim()).build())
        .default_configuration(ReportingConfiguration::builder().level(level).build())
        .properties(bag([("family", Some(json!(r.family)))]))
        .build()
}

fn result(report: &Report, rules: &[&Rule], f: &Finding) -> SarifResult {
    let loc = report.location_or_config(f);
    let index = rules.iter().position(|r| **r == *f.rule).unwrap_or(0);
    let subject = f.key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default();
    let help = if f.help.is_empty() { String::new() } else { format!(" (help: {})", f.help) };
    let level = match f.severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
    };
    let artifact = ArtifactLocation::builder().uri(uri_path(&loc.path)).uri_base_id("PREFLIGHT_ROOT").build();
    let region = Region::builder().start_line(i64::from(loc.line)).start_column(i64::from(loc.column)).build();
    let physical = PhysicalLocation::builder().artifact_location(artifact).region(region).build();
    SarifResult::builder()
        .rule_id(f.rule.id)
        .rule_index(index as i64)
        .level(level)
        .message(text(format!("{subject}{}{help}", f.message)))
        .locations(vec![Location::builder().physical_location(physical).build()])
        .properties(bag([
            ("key", f.key.as_ref().map(|k| json!(k))),
            ("region", f.region.as_ref().map(|r| json!(r))),
            ("via", f.via.as_ref().map(|v| json!(v))),
        ]))
        .build()
}

fn notification(u: &Unverified) -> Notification {
    let region = u.region.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
    Notification::builder()
        .level(json!("warning"))
        .message(text(format!("unverified: {}{region}: {}", u.check, u.reason)))
        .descriptor(ReportingDescriptorReference::builder().id("unverified").build())
        .build()
}

pub fn render(report: &Report) -> String {
    let rules = checks::all_rules();
    let driver = ToolComponent::builder()
        .name("preflight")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .properties(bag([("commit", Some(json!(env!("PREFLIGHT_GIT_COMMIT"))))]))
        .rules(rules.iter().map(|r| descriptor(r)).collect::<Vec<_>>())
        .build();
    let invocation = Invocation::builder()
        .execution_successful(report.unverified.is_empty())
        .tool_execution_notifications(report.unverified.iter().map(notification).collect::<Vec<_>>())
        .build();
    let root = ArtifactLocation::builder().description(text("the directory holding preflight.toml")).build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .original_uri_base_ids(BTreeMap::from([("PREFLIGHT_ROOT".to_string(), root)]))
        .invocations(vec![invocation])
        .results(report.findings.iter().map(|f| result(report, &rules, f)).collect::<Vec<_>>())
        .properties(bag([
            ("environment", Some(json!(report.environment))),
            ("verdict", Some(json!(report.verdict().as_str()))),
            ("fingerprint", Some(json!(report.fingerprint))),
            ("account", Some(json!(report.account))),
        ]))
        .build();
    let log = Sarif::builder().schema("https://json.schemastore.org/sarif-2.1.0.json").version(json!("2.1.0")).runs(vec![run]).build();
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

/// A relative path as a URI reference (RFC 3986): every byte but the unreserved ones and `/` is
/// percent-encoded, so `my dir/p.env` is `my%20dir/p.env`.
fn uri_path(path: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');
    utf8_percent_encode(path, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_are_uri_references() {
        assert_eq!(super::uri_path("deploy/prod.env"), "deploy/prod.env");
        assert_eq!(super::uri_path("my dir/p#1.env"), "my%20dir/p%231.env");
        assert_eq!(super::uri_path("é.env"), "%C3%A9.env");
    }
}
