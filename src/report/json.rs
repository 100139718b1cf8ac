//! `--format json`: the report exactly as SPEC section 2 shows it. Field names and order are a
//! contract scripts depend on; `schemas/report.schema.json` describes it.

use serde::Serialize;

use super::{Checked, Location, Report, Unverified};

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
    commit: &'static str,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    preflight: u32,
    tool: Tool,
    environment: &'a str,
    verdict: &'static str,
    fingerprint: &'a str,
    account: Option<&'a str>,
    findings: Vec<JsonFinding<'a>>,
    unverified: &'a [Unverified],
    checked: &'a Checked,
    /// What was checked for shape only, found by a wildcard, or not checked (a DNS target that is
    /// not a load balancer, an S3 environment file): the human report's `note:` lines.
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    severity: &'static str,
    key: Option<&'a str>,
    region: Option<&'a str>,
    message: &'a str,
    help: &'a str,
    location: Option<&'a Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<&'a str>,
}

pub fn render(report: &Report) -> String {
    let out = JsonReport {
        preflight: 1,
        tool: Tool { name: "preflight", version: env!("CARGO_PKG_VERSION"), commit: env!("PREFLIGHT_GIT_COMMIT") },
        environment: &report.environment,
        verdict: report.verdict().as_str(),
        fingerprint: &report.fingerprint,
        account: report.account.as_deref(),
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding {
                rule: f.rule.id,
                severity: f.severity.as_str(),
                key: f.key.as_deref(),
                region: f.region.as_deref(),
                message: &f.message,
                help: &f.help,
                location: f.location.as_ref(),
                via: f.via.as_deref(),
            })
            .collect(),
        unverified: &report.unverified,
        checked: &report.checked,
        notes: &report.notes,
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
