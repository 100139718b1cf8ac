//! The human report: each finding as a miette diagnostic with the env file's line shown and
//! the value underlined (masked when secret), then what could not be verified and a verdict.

use std::fmt;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::{Finding, Report, Verdict};
use crate::rules::Severity;

struct FindingDiag<'a> {
    finding: &'a Finding,
    /// The lines around the finding, and its span within them.
    source: Option<(Window, (usize, usize))>,
}

/// The few lines of a source a snippet shows, with the number of the first: miette reads only
/// this, so rendering a finding costs the size of its snippet, not of the file (reading the
/// whole text made the report quadratic in the number of findings).
struct Window {
    name: String,
    text: String,
    /// 0-based number of the window's first line in the file.
    first_line: usize,
}

impl SourceCode for Window {
    fn read_span<'a>(&'a self, span: &SourceSpan, before: usize, after: usize) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
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
        self.source.as_ref().map(|(w, _)| w as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (_, (start, end)) = self.source.as_ref()?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(None, *start..(*end).max(*start)))))
    }
}

/// The window a snippet shows: the lines the span covers, with one line of context on each
/// side, when that stays readable (at most 4 KiB together and 400 bytes a line). A 200 kB
/// minified line or an unterminated quote that runs to the end of a large file gets
/// `at path:line:column` instead. Costs the size of the window, never of the file.
fn window(name: &str, text: &str, (start, end): (usize, usize), line: u32) -> Option<(Window, (usize, usize))> {
    const MAX_LINE: usize = 400;
    const MAX_TOTAL: usize = 4096;
    let (start, end) = (start.min(text.len()), end.min(text.len()).max(start.min(text.len())));
    let bytes = text.as_bytes();
    // Searches are bounded: a line longer than MAX_LINE is unreadable anyway.
    let back = |i: usize| -> Option<usize> {
        let lo = i.saturating_sub(MAX_LINE + 1);
        match bytes[lo..i].iter().rposition(|&b| b == b'\n') {
            Some(p) => Some(lo + p + 1),
            None if lo == 0 => Some(0),
            None => None,
        }
    };
    let fwd = |i: usize| -> Option<usize> {
        let hi = (i + MAX_LINE + 1).min(bytes.len());
        match bytes[i..hi].iter().position(|&b| b == b'\n') {
            Some(p) => Some(i + p),
            None if hi == bytes.len() => Some(bytes.len()),
            None => None,
        }
    };
    if end - start > MAX_TOTAL {
        return None;
    }
    let line_start = back(start)?;
    let mut from = line_start;
    let mut first_line = (line as usize).saturating_sub(1);
    if from > 0 {
        from = back(from - 1)?;
        first_line = first_line.saturating_sub(1);
    }
    let mut to = fwd(end)?;
    if to < text.len() {
        to = fwd(to + 1)?;
    }
    if to - from > MAX_TOTAL || text.as_bytes()[from..to].split(|&b| b == b'\n').any(|l| l.len() > MAX_LINE) {
        return None;
    }
    let slice = text.get(from..to)?;
    Some((Window { name: name.to_string(), text: slice.to_string(), first_line }, (start - from, end - from)))
}

pub fn render(report: &Report, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(120).with_wrap_lines(false).with_links(false);
    let mut out = String::new();
    for f in &report.findings {
        let source = f.location.as_ref().and_then(|l| {
            let span = l.span?;
            let s = report.sources.iter().find(|s| s.path == l.path)?;
            window(&s.path, &s.text, span, l.line)
        });
        let diag = FindingDiag { finding: f, source };
        if handler.render_report(&mut out, &diag).is_err() {
            out.push_str(&format!("{}[{}]: {diag}\n", f.severity.as_str(), f.rule.id));
        }
        if let Some(l) = &f.location
            && diag.source.is_none()
        {
            out.push_str(&format!("  at {}:{}:{}\n", l.path, l.line, l.column));
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
        "preflight: {}{} is {word}: {errors} error{}, {warnings} warning{}, {} unverified; {} variable{} checked\n",
        report.environment,
        report.account.as_ref().map(|a| format!(" (AWS account {a})")).unwrap_or_default(),
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        report.unverified.len(),
        report.checked.variables,
        if report.checked.variables == 1 { "" } else { "s" },
    ));
    out.push_str(&format!("fingerprint: {}\n", report.fingerprint));
    out
}
