//! The human report: each finding as a miette diagnostic with the env file's line shown and
//! the value underlined (masked when secret), then what could not be verified and a verdict.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};

use super::{Finding, Report, Verdict};
use crate::rules::Severity;

struct FindingDiag<'a> {
    finding: &'a Finding,
    source: Option<NamedSource<Arc<str>>>,
}

impl fmt::Debug for FindingDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl fmt::Display for FindingDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fnd = self.finding;
        match (&fnd.key, &fnd.region) {
            (Some(k), Some(r)) => write!(f, "{k} ({r}): {}", fnd.message),
            (Some(k), None) => write!(f, "{k}: {}", fnd.message),
            (None, Some(r)) => write!(f, "({r}) {}", fnd.message),
            (None, None) => f.write_str(&fnd.message),
        }
    }
}

impl std::error::Error for FindingDiag<'_> {}

impl Diagnostic for FindingDiag<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("{}[{}]", self.finding.severity.as_str(), self.finding.rule.id)))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let h = &self.finding.help;
        if h.is_empty() { None } else { Some(Box::new(h)) }
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let (start, end) = self.finding.location.as_ref()?.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(None, start..end.max(start)))))
    }
}

/// A snippet is shown only when it stays readable: the lines it spans, with one line of context
/// on each side, are at most 4 KiB together and 400 bytes each. A 200 kB minified line or an
/// unterminated quote that runs to the end of a large file gets `at path:line:column` instead.
fn snippet_fits(text: &str, (start, end): (usize, usize)) -> bool {
    const MAX_LINE: usize = 400;
    const MAX_TOTAL: usize = 4096;
    let (start, end) = (start.min(text.len()), end.min(text.len()));
    let bytes = text.as_bytes();
    let line_start = |i: usize| bytes[..i].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let line_end = |i: usize| bytes[i..].iter().position(|&b| b == b'\n').map_or(text.len(), |p| i + p);
    let mut from = line_start(start);
    if from > 0 {
        from = line_start(from - 1);
    }
    let mut to = line_end(end.max(start));
    if to < text.len() {
        to = line_end(to + 1);
    }
    to - from <= MAX_TOTAL && text.as_bytes()[from..to].split(|&b| b == b'\n').all(|l| l.len() <= MAX_LINE)
}

pub fn render(report: &Report, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(120).with_wrap_lines(false).with_links(false);
    let mut out = String::new();
    for f in &report.findings {
        let source = f.location.as_ref().filter(|l| l.span.is_some()).and_then(|l| {
            report
                .sources
                .iter()
                .find(|s| s.path == l.path)
                .filter(|s| l.span.is_some_and(|span| snippet_fits(&s.text, span)))
                .map(|s| NamedSource::new(&s.path, s.text.clone()))
        });
        let diag = FindingDiag { finding: f, source };
        if handler.render_report(&mut out, &diag).is_err() {
            out.push_str(&format!("{}[{}]: {diag}\n", f.severity.as_str(), f.rule.id));
        }
        if let Some(l) = &f.location {
            if diag.source.is_none() {
                out.push_str(&format!("  at {}:{}:{}\n", l.path, l.line, l.column));
            }
        }
        out.push('\n');
    }
    for u in &report.unverified {
        match &u.region {
            Some(r) => out.push_str(&format!("unverified: {} ({r}): {}\n", u.check, u.reason)),
            None => out.push_str(&format!("unverified: {}: {}\n", u.check, u.reason)),
        }
    }
    for n in &report.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let verdict = report.verdict();
    let word = match verdict {
        Verdict::Pass => "PASS",
        Verdict::Blocked => "BLOCKED",
        Verdict::Unverified => "UNVERIFIED",
    };
    let word = if color {
        let code = match verdict {
            Verdict::Pass => "32",
            Verdict::Blocked => "31",
            Verdict::Unverified => "33",
        };
        format!("\x1b[1;{code}m{word}\x1b[0m")
    } else {
        word.to_string()
    };
    out.push_str(&format!(
        "preflight: {} is {word}: {errors} error{}, {warnings} warning{}, {} unverified; {} variable{} checked\n",
        report.environment,
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        report.unverified.len(),
        report.checked.variables,
        if report.checked.variables == 1 { "" } else { "s" },
    ));
    out.push_str(&format!("fingerprint: {}\n", report.fingerprint));
    out
}
