//! `--format github`: GitHub Actions workflow commands, one `::error`/`::warning` per finding,
//! so findings appear as annotations on the env file's line in the pull request.
//! https://docs.github.com/actions/reference/workflow-commands-for-github-actions

use super::{Report, Verdict};
use crate::rules::Severity;

/// Escapes a command's message (GitHub's own rule: %, CR and LF).
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command property (also `:` and `,`, which separate properties).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Only the annotations, for appending to the human report under GitHub Actions.
pub fn annotations(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let loc = report.location_or_config(f);
        let subject = match (&f.key, &f.region) {
            (Some(k), Some(r)) => format!("{k} ({r}): "),
            (Some(k), None) => format!("{k}: "),
            _ => String::new(),
        };
        let help = if f.help.is_empty() { String::new() } else { format!("\nhelp: {}", f.help) };
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            property(&loc.path),
            loc.line,
            loc.column,
            property(&format!("preflight {}", f.rule.id)),
            data(&format!("{subject}{}{help}", f.message)),
        ));
    }
    for u in &report.unverified {
        let region = u.region.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        out.push_str(&format!("::warning title={}::{}\n", property("preflight unverified"), data(&format!("{}{region}: {}", u.check, u.reason))));
    }
    out
}

pub fn render(report: &Report) -> String {
    let mut out = annotations(report);
    let verdict = report.verdict();
    let line = format!("preflight: {} is {}; fingerprint {}", report.environment, verdict.as_str(), report.fingerprint);
    match verdict {
        Verdict::Pass => out.push_str(&format!("::notice title=preflight::{}\n", data(&line))),
        _ => out.push_str(&format!("{line}\n")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
