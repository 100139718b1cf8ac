//! Tool errors: the problems that make preflight unusable (exit 2), as located miette
//! diagnostics. Findings about the environment itself live in `report`; this is only for
//! "the tool could not be used": bad flags, unreadable or malformed config, schema or lock.

use std::fmt;
use std::io::Read;
use std::path::Path;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

/// The text an error is about, the span to underline and its label.
type Snippet = (NamedSource<String>, std::ops::Range<usize>, String);

/// An error that stops the run with exit 2. Displayed through miette with its source line.
#[derive(Debug)]
pub struct ToolError {
    message: String,
    help: Option<String>,
    /// Boxed: errors travel through every `Result` of the tool, and stay small that way.
    source: Option<Box<Snippet>>,
}

impl ToolError {
    pub fn new(message: impl Into<String>) -> Self {
        ToolError { message: message.into(), help: None, source: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Attaches the text the error is about and the byte span to underline.
    pub fn with_source(mut self, name: &str, text: &str, span: std::ops::Range<usize>, label: &str) -> Self {
        let start = span.start.min(text.len());
        let end = span.end.clamp(start, text.len());
        self.source = Some(Box::new((NamedSource::new(name, text.to_string()), start..end, label.to_string())));
        self
    }

    /// 1-based line and column of the error's span, when it has one.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let (src, span, _) = self.source.as_deref()?;
        Some(line_col(src.inner(), span.start))
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ToolError {}

impl Diagnostic for ToolError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("preflight::usage"))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_deref().map(|(s, _, _)| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (_, span, label) = self.source.as_deref()?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(Some(label.clone()), span.clone()))))
    }
}

impl From<std::io::Error> for ToolError {
    fn from(e: std::io::Error) -> Self {
        ToolError::new(e.to_string())
    }
}

/// 1-based line and column (in chars) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Byte offset of a serde_json error's (1-based line, column) in `text`: the one converter for
/// every JSON file preflight reads (locks, schemas, task definitions). serde_json counts the
/// column in bytes; miette's `SourceOffset::from_location` counts characters, which would put
/// the caret too far right on a line with non-ASCII text. Clamped to a char boundary.
pub fn json_error_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let mut offset = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Reads a file that must be UTF-8 text no larger than `max` bytes; strips a UTF-8 BOM.
/// `what` names the file's role in messages ("config file", "schema").
pub fn read_text_file(path: &Path, max: u64, what: &str) -> Result<String, ToolError> {
    let bytes = read_capped(path, max, what)?;
    into_text(path, bytes, what)
}

/// Reads at most `max` bytes; a larger file is an error, never a partial read.
pub fn read_capped(path: &Path, max: u64, what: &str) -> Result<Vec<u8>, ToolError> {
    // A named pipe would block the open itself: refuse what is not a regular file first.
    crate::files::require_regular(path, what)?;
    let file = std::fs::File::open(path).map_err(|e| ToolError::new(format!("cannot read {what} {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| ToolError::new(format!("cannot read {what} {}: {e}", path.display())))?;
    if bytes.len() as u64 > max {
        return Err(ToolError::new(format!("{what} {} is larger than {} MiB; this is not a file preflight should read", path.display(), max >> 20)));
    }
    Ok(bytes)
}

fn into_text(path: &Path, mut bytes: Vec<u8>, what: &str) -> Result<String, ToolError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let (l, c) = invalid_utf8_at(&e);
            Err(ToolError::new(format!("{what} {} is not valid UTF-8 (line {l}, column {c})", path.display())))
        }
    }
}

/// 1-based line and column of the first byte that is not UTF-8: every file read as text reports
/// bad bytes the same way.
pub fn invalid_utf8_at(e: &std::string::FromUtf8Error) -> (usize, usize) {
    let at = e.utf8_error().valid_up_to();
    let valid = std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or_default();
    line_col(valid, at)
}

#[cfg(test)]
mod tests {
    /// serde_json's columns are bytes: on a line with non-ASCII text the offset still lands on
    /// the byte serde_json named, and never inside a character.
    #[test]
    fn json_error_offsets_count_bytes() {
        let text = "{\n  \"é\": x\n}";
        let e = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        let offset = super::json_error_offset(text, e.line(), e.column());
        assert_eq!(&text[offset..offset + 1], "x", "{e}");
        assert_eq!(super::json_error_offset("é", 1, 2), 0, "inside a character: back to its start");
        assert_eq!(super::json_error_offset("ab", 9, 9), 2, "past the end: clamped");
    }
}
