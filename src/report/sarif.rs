//! `--format sarif`: SARIF 2.1.0, for GitHub code scanning and other viewers. Every rule is
//! described with its `explain` text; results point into the env file or preflight.toml.
//! Checks that could not complete are tool execution notifications.

use serde_json::{Value, json};

use super::Report;
use crate::checks;
use crate::rules::Severity;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub fn render(report: &Report) -> String {
    let rules = checks::all_rules();
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.summary},
                "help": {"text": r.doc.trim(), "markdown": r.doc.trim()},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"family": r.family},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let loc = report.location_or_config(f);
            let index = rules.iter().position(|r| r.id == f.rule.id).unwrap_or(0);
            let subject = f.key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default();
            let mut props = serde_json::Map::new();
            if let Some(k) = &f.key {
                props.insert("key".into(), json!(k));
            }
            if let Some(r) = &f.region {
                props.insert("region".into(), json!(r));
            }
            if let Some(v) = &f.via {
                props.insert("via".into(), json!(v));
            }
            json!({
                "ruleId": f.rule.id,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": {"text": format!("{subject}{}{}", f.message, if f.help.is_empty() { String::new() } else { format!(" (help: {})", f.help) })},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri_path(&loc.path), "uriBaseId": "PREFLIGHT_ROOT"},
                        "region": {"startLine": loc.line, "startColumn": loc.column},
                    }
                }],
                "properties": props,
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .unverified
        .iter()
        .map(|u| {
            json!({
                "level": "warning",
                "message": {"text": format!("unverified: {}{}: {}", u.check, u.region.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(), u.reason)},
                "descriptor": {"id": "unverified"},
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "preflight",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "properties": {"commit": env!("PREFLIGHT_GIT_COMMIT")},
                "rules": descriptors,
            }},
            "originalUriBaseIds": {"PREFLIGHT_ROOT": {"description": {"text": "the directory holding preflight.toml"}}},
            "invocations": [{
                "executionSuccessful": report.unverified.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "environment": report.environment,
                "verdict": report.verdict().as_str(),
                "fingerprint": report.fingerprint,
                "account": report.account,
            },
        }],
    });
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
