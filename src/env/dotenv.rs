//! A `.env` parser that reads files exactly as python-dotenv does, but says
//! where things are and keeps going after a bad line.
//!
//! Why it exists: the dotenv format has no specification, and parsers
//! disagree on comments, escapes, `export`, quoting and what happens after a
//! bad line. preflight has to judge the environment the application will
//! really get, so it follows the most widely used parser, python-dotenv,
//! rather than any Rust crate's reading. This module is a hand translation of
//! python-dotenv 1.2.4's `dotenv/parser.py` (the regexes quoted in comments
//! below are from it), checked against the real thing by
//! `tests/dotenv_differential.rs`.
//!
//! Agreement means: for any valid UTF-8 file, [`Parsed::entries`] is the
//! sequence of `(key, value)` pairs that `dotenv.parser.parse_stream` yields
//! after Python's text-mode reading (UTF-8, universal newlines: `\r\n` and a
//! lone `\r` both become `\n`; one leading BOM dropped), and there is one
//! [`SyntaxError`] for each statement python-dotenv logs as "could not
//! parse". `dotenv_values(path, interpolate=False)` is the map built from
//! the entries with the last one for a key winning.
//!
//! What it adds: byte spans into the original input, 1-based line/column
//! positions (python-dotenv only reports the line where its reader stood,
//! often a blank line before the statement), messages in plain words that
//! never quote value text (values may be secrets), at most 50 errors plus a
//! summary, and invalid UTF-8 handled per statement: a statement touching an
//! invalid byte becomes one error and yields no entry, where Python would
//! refuse the whole file.
//!
//! What it deliberately does not do: `${VAR}` interpolation. preflight
//! checks the file as written (python-dotenv's `interpolate=False`);
//! expanding references would make the result depend on the environment of
//! whoever runs the check.
//!
//! Cost: one pass over the input, no regex engine. Every regex of the
//! original is deterministic once translated (no backtracking can change
//! what it matches; see `Parser::scan_quoted_value`), and a failed search
//! for a closing quote is remembered so a file full of unterminated quotes
//! stays linear, where Python's retry per line is quadratic.

use std::borrow::Cow;

/// Byte offsets into the original input (including any BOM), `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// 1-based line and column. Columns count Unicode characters from the start
/// of the line (an invalid UTF-8 byte counts as one); a BOM is not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    /// `None` for a bare `KEY` line, as python-dotenv gives.
    pub value: Option<String>,
    /// The key as written, including the quotes of a `'quoted'` key.
    pub key_span: Span,
    pub key_pos: Pos,
    /// The value as written, including its quotes if quoted. For an unquoted
    /// value this is the part that was kept (inline comment and trailing
    /// whitespace excluded); an empty value has an empty span where it would
    /// start. `None` exactly when `value` is `None`.
    pub value_span: Option<Span>,
    pub value_pos: Option<Pos>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
    pub pos: Pos,
    /// The whole statement that failed, from its first byte to where parsing resumed: an
    /// unclosed quote can make it span lines, and it may hold a secret to mask.
    pub statement: Span,
    /// A quote was opened and never closed: the lines after it may be the rest of the value.
    pub unterminated: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub errors: Vec<SyntaxError>,
}

/// Errors past this many are summarised in one final error, so a binary file
/// passed by mistake does not produce a report the size of the file.
const MAX_ERRORS: usize = 50;

/// Longest key quoted in an error message; longer keys are cut with `…`.
const MAX_KEY_IN_MESSAGE: usize = 40;

/// Parses a `.env` file. Never panics; see the module documentation.
pub fn parse(input: &[u8]) -> Parsed {
    let mut entries = Vec::new();
    let errors = parse_with(input, |e| entries.push(e));
    Parsed { entries, errors }
}

/// Parses a `.env` file, handing each entry to `on_entry` as it is read instead of keeping
/// them all: a 60 MB file of repeated lines costs the memory of the variables it sets, not
/// of its lines. Returns the syntax errors (at most [`MAX_ERRORS`] plus a summary).
pub fn parse_with(input: &[u8], mut on_entry: impl FnMut(Entry)) -> Vec<SyntaxError> {
    let start = if input.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let (text, invalid) = replace_invalid_utf8(input);
    let mut parser = Parser::new(&text, start);
    let mut cursor = PosCursor::new(text.as_bytes(), start);
    let mut invalid_idx = 0;
    // Only the errors that will be shown are kept; the rest are counted.
    let mut errors: Vec<(Span, Pos, ErrorKind, Span)> = Vec::new();
    let mut total_errors = 0usize;
    let mut record = |errors: &mut Vec<_>, cursor: &mut PosCursor, span: Span, mut kind: ErrorKind, statement: Span| {
        total_errors += 1;
        if errors.len() <= MAX_ERRORS {
            // The cursor only walks forward: the opening quote comes first.
            if let ErrorKind::TextAfterQuote { opened, opened_pos, .. } = &mut kind {
                *opened_pos = cursor.pos(*opened);
            }
            let pos = cursor.pos(span.start);
            errors.push((span, pos, kind, statement));
        }
    };

    while let Some((region, outcome)) = parser.next_binding() {
        // Python cannot decode such a file at all; the closest useful thing
        // is to drop only the bindings that touch a bad byte.
        while invalid.get(invalid_idx).is_some_and(|s| s.end <= region.start) {
            invalid_idx += 1;
        }
        if let Some(&bad) = invalid.get(invalid_idx).filter(|s| s.start < region.end) {
            let byte = input.get(bad.start).copied().unwrap_or(0);
            record(&mut errors, &mut cursor, bad, ErrorKind::InvalidUtf8 { byte, offset: bad.start }, region);
            continue;
        }
        match outcome {
            Outcome::Nothing => {}
            Outcome::Entry(raw) => {
                let key_pos = cursor.pos(raw.key_span.start);
                let (value, value_span, value_pos) = match raw.value {
                    Some((value, span)) => (Some(value), Some(span), Some(cursor.pos(span.start))),
                    None => (None, None, None),
                };
                on_entry(Entry { key: raw.key, value, key_span: raw.key_span, key_pos, value_span, value_pos });
            }
            Outcome::Error(span, kind) => record(&mut errors, &mut cursor, span, kind, region),
        }
    }

    let mut out: Vec<SyntaxError> = Vec::with_capacity(errors.len());
    for (i, (span, pos, kind, statement)) in errors.into_iter().enumerate() {
        if i == MAX_ERRORS {
            let more = total_errors - MAX_ERRORS;
            let message = if more == 1 { "1 more line could not be parsed".to_string() } else { format!("{more} more lines could not be parsed") };
            out.push(SyntaxError { message, span, pos, statement, unterminated: false });
            break;
        }
        let unterminated = matches!(kind, ErrorKind::UnterminatedKey | ErrorKind::UnterminatedValue { .. });
        out.push(SyntaxError { message: kind.message(pos), span, pos, statement, unterminated });
    }
    out
}

/// Replaces every byte of an invalid UTF-8 sequence by `?`, one for one, so
/// byte offsets into the result are offsets into the input. Returns the
/// invalid sequences in order.
fn replace_invalid_utf8(input: &[u8]) -> (Cow<'_, str>, Vec<Span>) {
    if let Ok(s) = std::str::from_utf8(input) {
        return (Cow::Borrowed(s), Vec::new());
    }
    let mut text = String::with_capacity(input.len());
    let mut invalid = Vec::new();
    for chunk in input.utf8_chunks() {
        text.push_str(chunk.valid());
        let bad = chunk.invalid();
        if !bad.is_empty() {
            let start = text.len();
            invalid.push(Span { start, end: start + bad.len() });
            text.extend(std::iter::repeat_n('?', bad.len()));
        }
    }
    (Cow::Owned(text), invalid)
}

/// Python's `str.isspace()`, which is also what `\s` matches in a `str`
/// regex and what `str.rstrip()` strips. It is Rust's `char::is_whitespace`
/// plus the information separators U+001C..U+001F, which Python counts as
/// whitespace (so they also end an unquoted key).
fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | '\u{1C}'..='\u{1F}'
            | ' '
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

/// `[^\S\r\n]`: whitespace that does not end a line.
fn is_inline_space(c: char) -> bool {
    c != '\n' && c != '\r' && is_py_space(c)
}

fn is_line_break(c: char) -> bool {
    c == '\n' || c == '\r'
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Single,
    Double,
}

impl Quote {
    fn char(self) -> char {
        match self {
            Quote::Single => '\'',
            Quote::Double => '"',
        }
    }
    fn name(self) -> &'static str {
        match self {
            Quote::Single => "single-quoted",
            Quote::Double => "double-quoted",
        }
    }
}

#[derive(Debug)]
enum ErrorKind {
    InvalidUtf8 {
        byte: u8,
        offset: usize,
    },
    /// `=KEY...`: the unquoted-key regex needs at least one character.
    MissingKey,
    /// `export` followed by whitespace and then nothing usable.
    MissingKeyAfterExport,
    EmptyQuotedKey,
    UnterminatedKey,
    ExpectedEquals {
        key: String,
    },
    UnterminatedValue {
        quote: Quote,
    },
    /// `opened` is the offset of the opening quote; `opened_pos` is filled
    /// in when the error is kept.
    TextAfterQuote {
        key: String,
        opened: usize,
        opened_pos: Pos,
    },
}

impl ErrorKind {
    fn message(&self, pos: Pos) -> String {
        match self {
            ErrorKind::InvalidUtf8 { byte, offset } => format!("invalid UTF-8 (byte 0x{byte:02X} at offset {offset}); the statement containing it is skipped"),
            ErrorKind::MissingKey => "a line cannot start with '='; the key is missing".to_string(),
            ErrorKind::MissingKeyAfterExport => "expected a key after `export`".to_string(),
            ErrorKind::EmptyQuotedKey => "a quoted key cannot be empty".to_string(),
            ErrorKind::UnterminatedKey => format!("unterminated single-quoted key (opened at line {}, column {})", pos.line, pos.column),
            ErrorKind::ExpectedEquals { key } => {
                format!("expected '=' after key `{}`", display_key(key))
            }
            ErrorKind::UnterminatedValue { quote } => format!("unterminated {} value (opened at line {}, column {})", quote.name(), pos.line, pos.column),
            // A quote left open pairs with the next quote of its kind, however
            // many lines later, so say where the value began.
            ErrorKind::TextAfterQuote { key, opened_pos, .. } if opened_pos.line != pos.line => format!(
                "unexpected text after the closing quote of the value of `{}`; that value was opened at \
                 line {}, column {} (is a closing quote missing there?)",
                display_key(key),
                opened_pos.line,
                opened_pos.column
            ),
            ErrorKind::TextAfterQuote { key, .. } => format!("unexpected text after the closing quote of the value of `{}`", display_key(key)),
        }
    }
}

/// Keys are quoted in messages; make sure an odd one cannot garble the
/// terminal or flood the report.
fn display_key(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if i == MAX_KEY_IN_MESSAGE {
            out.push('…');
            break;
        }
        if c.is_control() || (is_py_space(c) && c != ' ') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

struct RawEntry {
    key: String,
    key_span: Span,
    value: Option<(String, Span)>,
}

enum Outcome {
    /// Only whitespace and/or a comment (python-dotenv's binding with no key).
    Nothing,
    Entry(RawEntry),
    Error(Span, ErrorKind),
}

/// python-dotenv's `Reader`, specialised to its fixed sequence of regexes.
///
/// It runs on the input bytes themselves (after the one-for-one replacement
/// of invalid UTF-8), not on a newline-translated copy, so that offsets need
/// no mapping. Python sees only `\n`; here `\r\n` and a lone `\r` act as that
/// one `\n`. This is sound because every character class in the original
/// treats `\r` exactly like `\n`, and only the text of quoted values and
/// quoted keys (the only tokens that can contain a line break) needs the
/// translation applied.
struct Parser<'a> {
    s: &'a str,
    pos: usize,
    /// A scan for a closing quote that ran into the end of input from offset
    /// X also fails from any later offset (see `scan_quoted_value`), so
    /// remember X per quote kind to keep repeated unterminated quotes linear.
    value_unclosed_from: [Option<usize>; 2],
    /// Offset from which there is no `'` at all (quoted keys have no escapes).
    no_single_quote_from: Option<usize>,
}

enum KeyResult {
    Comment,
    Key(String, Span),
}

impl<'a> Parser<'a> {
    fn new(s: &'a str, start: usize) -> Self {
        Parser { s, pos: start, value_unclosed_from: [None, None], no_single_quote_from: None }
    }

    fn peek_at(&self, i: usize) -> Option<char> {
        self.s.get(i..).and_then(|rest| rest.chars().next())
    }

    fn peek(&self) -> Option<char> {
        self.peek_at(self.pos)
    }

    fn skip_while(&self, mut i: usize, pred: impl Fn(char) -> bool) -> usize {
        while let Some(c) = self.peek_at(i) {
            if !pred(c) {
                break;
            }
            i += c.len_utf8();
        }
        i
    }

    /// Length of the line break at `i` (`\r\n` counts as one break).
    fn line_break_len(&self, i: usize) -> usize {
        let b = self.s.as_bytes();
        match b.get(i) {
            Some(b'\r') if b.get(i + 1) == Some(&b'\n') => 2,
            Some(b'\r') | Some(b'\n') => 1,
            _ => 0,
        }
    }

    fn line_end(&self, i: usize) -> usize {
        self.skip_while(i, |c| !is_line_break(c))
    }

    /// The visible part of the rest of the line from `i`, for error spans.
    fn rest_of_line_span(&self, i: usize) -> Span {
        let end = self.line_end(i);
        let trimmed = self.s.get(i..end).map_or(0, |t| t.trim_end_matches(is_py_space).len());
        Span { start: i, end: i + trimmed }
    }

    /// Returns the binding's region (from where python-dotenv sets its mark to
    /// where the next binding starts) and what it held; `None` at the end.
    fn next_binding(&mut self) -> Option<(Span, Outcome)> {
        let mark = self.pos;
        // `_multiline_whitespace`: `\s*`
        self.pos = self.skip_while(self.pos, is_py_space);
        if self.pos >= self.s.len() {
            if self.pos == mark {
                return None;
            }
            return Some((Span { start: mark, end: self.pos }, Outcome::Nothing));
        }
        let outcome = match self.binding() {
            Ok(outcome) => outcome,
            Err((span, kind)) => {
                // `_rest_of_line`: `[^\r\n]*(?:\r|\n|\r\n)?`, from wherever the
                // failing regex left the reader.
                let end = self.line_end(self.pos);
                self.pos = end + self.line_break_len(end);
                Outcome::Error(span, kind)
            }
        };
        Some((Span { start: mark, end: self.pos }, outcome))
    }

    fn binding(&mut self) -> Result<Outcome, (Span, ErrorKind)> {
        // `_export`: `(?:export[^\S\r\n]+)?`
        let export_start = self.pos;
        let mut exported = false;
        if self.s.get(self.pos..).is_some_and(|r| r.starts_with("export")) {
            let after = self.skip_while(self.pos + 6, is_inline_space);
            if after > self.pos + 6 {
                self.pos = after;
                exported = true;
            }
        }

        let key = self.key(export_start, exported)?;

        // `_whitespace`: `[^\S\r\n]*`
        self.pos = self.skip_while(self.pos, is_inline_space);

        let mut value = None;
        if self.peek() == Some('=') {
            // `_equal_sign`: `(=[^\S\r\n]*)`
            let after_eq = self.pos + 1;
            self.pos = self.skip_while(after_eq, is_inline_space);
            // python-dotenv 1.2.4: `KEY= # comment` is an empty value, while
            // `KEY=#text` keeps the `#` as part of the value.
            if self.pos > after_eq && self.peek() == Some('#') {
                value = Some((String::new(), Span { start: self.pos, end: self.pos }));
            } else {
                value = Some(self.value()?);
            }
        }

        // `_comment`: `(?:[^\S\r\n]*#[^\r\n]*)?`
        let ws_end = self.skip_while(self.pos, is_inline_space);
        if self.peek_at(ws_end) == Some('#') {
            self.pos = self.line_end(ws_end);
        }

        // `_end_of_line`: `[^\S\r\n]*(?:\r\n|\n|\r|$)`
        let ws_end = self.skip_while(self.pos, is_inline_space);
        let brk = self.line_break_len(ws_end);
        if brk == 0 && ws_end < self.s.len() {
            let span = self.rest_of_line_span(ws_end);
            let kind = match (key, &value) {
                (KeyResult::Key(key, _), Some((_, value_span))) => {
                    ErrorKind::TextAfterQuote { key, opened: value_span.start, opened_pos: Pos { line: 0, column: 0 } }
                }
                (KeyResult::Key(key, _), None) => ErrorKind::ExpectedEquals { key },
                // A comment line always reaches the end of the line.
                (KeyResult::Comment, _) => ErrorKind::ExpectedEquals { key: String::new() },
            };
            return Err((span, kind));
        }
        self.pos = ws_end + brk;

        Ok(match key {
            KeyResult::Comment => Outcome::Nothing,
            KeyResult::Key(key, key_span) => Outcome::Entry(RawEntry { key, key_span, value }),
        })
    }

    fn key(&mut self, export_start: usize, exported: bool) -> Result<KeyResult, (Span, ErrorKind)> {
        let start = self.pos;
        match self.peek() {
            Some('#') => Ok(KeyResult::Comment),
            Some('\'') => {
                // `_single_quoted_key`: `'([^']+)'` (may span lines)
                let open_end = start + 1;
                if self.peek_at(open_end) == Some('\'') {
                    return Err((Span { start, end: open_end + 1 }, ErrorKind::EmptyQuotedKey));
                }
                let close = match self.no_single_quote_from {
                    Some(from) if from <= open_end => None,
                    _ => self.s.get(open_end..).and_then(|r| r.find('\'')).map(|i| open_end + i),
                };
                let Some(close) = close else {
                    self.no_single_quote_from = Some(open_end);
                    return Err((self.rest_of_line_span(start), ErrorKind::UnterminatedKey));
                };
                let key = translate_newlines(self.s.get(open_end..close).unwrap_or(""));
                self.pos = close + 1;
                Ok(KeyResult::Key(key, Span { start, end: self.pos }))
            }
            _ => {
                // `_unquoted_key`: `([^=\#\s]+)`
                let end = self.skip_while(start, |c| c != '=' && c != '#' && !is_py_space(c));
                if end == start {
                    return Err(if exported {
                        let export_end = export_start + "export".len();
                        (Span { start: export_start, end: export_end }, ErrorKind::MissingKeyAfterExport)
                    } else {
                        (self.rest_of_line_span(start), ErrorKind::MissingKey)
                    });
                }
                self.pos = end;
                let key = self.s.get(start..end).unwrap_or("").to_string();
                Ok(KeyResult::Key(key, Span { start, end }))
            }
        }
    }

    /// `parse_value`. Returns the decoded value and its span as written.
    fn value(&mut self) -> Result<(String, Span), (Span, ErrorKind)> {
        let start = self.pos;
        let quote = match self.peek() {
            Some('\'') => Quote::Single,
            Some('"') => Quote::Double,
            None | Some('\n') | Some('\r') => {
                return Ok((String::new(), Span { start, end: start }));
            }
            Some(_) => return Ok(self.unquoted_value()),
        };
        let Some(close) = self.scan_quoted_value(quote, start + 1) else {
            return Err((self.rest_of_line_span(start), ErrorKind::UnterminatedValue { quote }));
        };
        let raw = self.s.get(start + 1..close).unwrap_or("");
        self.pos = close + 1;
        Ok((decode_escapes(raw, quote), Span { start, end: self.pos }))
    }

    /// Finds the closing quote for `'((?:\\.|[^'\\])*)'` / `"((?:\\.|[^"\\])*)"`
    /// (DOTALL) with the content starting at `from`.
    ///
    /// The regex is deterministic: a backslash always pairs with the next
    /// character and a plain character can be neither a backslash nor the
    /// quote, so no iteration can be matched another way and backtracking
    /// never finds a different closing quote. The content ends at the first
    /// quote not consumed by a backslash pair; running out of input (or a
    /// backslash as the last character) means no match.
    ///
    /// If the scan from X fails, a scan from any later content start Y fails
    /// too: Y - 1 is a quote character the first scan passed over, which it
    /// can only have done as the second half of a backslash pair, so at Y
    /// both scans are in the same state and fail alike.
    fn scan_quoted_value(&mut self, quote: Quote, from: usize) -> Option<usize> {
        let slot = match quote {
            Quote::Single => 0,
            Quote::Double => 1,
        };
        if self.value_unclosed_from[slot].is_some_and(|x| x <= from) {
            return None;
        }
        let q = quote.char() as u8;
        let b = self.s.as_bytes();
        let mut i = from;
        // Byte-wise is fine: `\\`, quotes are ASCII and never occur inside a
        // multi-byte UTF-8 sequence, and a backslash's partner is skipped by
        // stepping over one byte then continuing (continuation bytes are
        // neither quote nor backslash).
        while let Some(&c) = b.get(i) {
            if c == q {
                return Some(i);
            }
            if c == b'\\' {
                if i + 1 >= b.len() {
                    break;
                }
                i += 2;
            } else {
                i += 1;
            }
        }
        self.value_unclosed_from[slot] = Some(from);
        None
    }

    /// `_unquoted_value`: `([^\r\n]*)`, then `re.sub(r"\s+#.*", "", part).rstrip()`.
    fn unquoted_value(&mut self) -> (String, Span) {
        let start = self.pos;
        let end = self.line_end(start);
        let part = self.s.get(start..end).unwrap_or("");
        // The leftmost match of `\s+#` starts at the first whitespace run that
        // is directly followed by `#`; `.*` then takes the rest of `part`.
        let mut cut = part.len();
        let mut run_start: Option<usize> = None;
        for (i, c) in part.char_indices() {
            if is_py_space(c) {
                run_start.get_or_insert(i);
            } else if c == '#' && run_start.is_some() {
                cut = run_start.unwrap_or(i);
                break;
            } else {
                run_start = None;
            }
        }
        let kept = part.get(..cut).unwrap_or("").trim_end_matches(is_py_space);
        self.pos = end;
        (kept.to_string(), Span { start, end: start + kept.len() })
    }
}

/// What Python's universal newlines would have done to text that is kept.
fn translate_newlines(raw: &str) -> String {
    if !raw.contains('\r') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            out.push('\n');
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `decode_escapes` with `\\[\\']` (single) or `\\[\\'\"abfnrtv]` (double),
/// each match run through Python's `unicode-escape` codec; every other
/// backslash stays as written. Line breaks are translated as Python's text
/// mode would have done before the parser saw them.
fn decode_escapes(raw: &str, quote: Quote) -> String {
    let text = translate_newlines(raw);
    if !text.contains('\\') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match (quote, chars.peek().copied()) {
            (_, Some('\\')) => Some('\\'),
            (_, Some('\'')) => Some('\''),
            (Quote::Double, Some('"')) => Some('"'),
            (Quote::Double, Some('a')) => Some('\u{07}'),
            (Quote::Double, Some('b')) => Some('\u{08}'),
            (Quote::Double, Some('f')) => Some('\u{0C}'),
            (Quote::Double, Some('n')) => Some('\n'),
            (Quote::Double, Some('r')) => Some('\r'),
            (Quote::Double, Some('t')) => Some('\t'),
            (Quote::Double, Some('v')) => Some('\u{0B}'),
            _ => None,
        };
        match decoded {
            Some(d) => {
                out.push(d);
                chars.next();
            }
            // `re.sub` moves on one character; the next one cannot start an
            // escape because it is not a backslash (`\\` is always decoded).
            None => out.push('\\'),
        }
    }
    out
}

/// Turns offsets into line/column. Queries come in increasing order, so it
/// only ever walks forward and the whole parse stays linear.
struct PosCursor<'a> {
    b: &'a [u8],
    origin: usize,
    off: usize,
    line: u32,
    column: u32,
}

impl<'a> PosCursor<'a> {
    fn new(b: &'a [u8], origin: usize) -> Self {
        PosCursor { b, origin, off: origin, line: 1, column: 1 }
    }

    fn pos(&mut self, target: usize) -> Pos {
        let target = target.min(self.b.len()).max(self.origin);
        if target < self.off {
            // Not expected, but a wrong position is better than a panic.
            *self = PosCursor::new(self.b, self.origin);
        }
        while self.off < target {
            match self.b.get(self.off).copied().unwrap_or(0) {
                b'\n' => {
                    self.line = self.line.saturating_add(1);
                    self.column = 1;
                }
                // Half of a `\r\n`: the `\n` ends the line.
                b'\r' if self.b.get(self.off + 1) == Some(&b'\n') => {}
                b'\r' => {
                    self.line = self.line.saturating_add(1);
                    self.column = 1;
                }
                c if c & 0xC0 != 0x80 => self.column = self.column.saturating_add(1),
                _ => {}
            }
            self.off += 1;
        }
        Pos { line: self.line, column: self.column }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry<'a>(p: &'a Parsed, key: &str) -> &'a Entry {
        p.entries.iter().find(|e| e.key == key).unwrap_or_else(|| panic!("no entry {key} in {p:?}"))
    }

    fn keys(p: &Parsed) -> Vec<&str> {
        p.entries.iter().map(|e| e.key.as_str()).collect()
    }

    fn pos(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn key_and_value_positions() {
        let input = b"A=1\n  B = \"x\"\n\texport C='y' # c\nD\n";
        let p = parse(input);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let a = entry(&p, "A");
        assert_eq!((a.key_pos, a.value_pos), (pos(1, 1), Some(pos(1, 3))));
        assert_eq!((a.key_span, a.value_span), (Span { start: 0, end: 1 }, Some(Span { start: 2, end: 3 })));
        let b = entry(&p, "B");
        assert_eq!((b.key_pos, b.value_pos), (pos(2, 3), Some(pos(2, 7))));
        assert_eq!(&input[b.value_span.unwrap().start..b.value_span.unwrap().end], b"\"x\"");
        let c = entry(&p, "C");
        assert_eq!((c.key_pos, c.value_pos), (pos(3, 9), Some(pos(3, 11))));
        let d = entry(&p, "D");
        assert_eq!((d.key_pos, d.value.as_deref(), d.value_span, d.value_pos), (pos(4, 1), None, None, None));
    }

    #[test]
    fn positions_after_multiline_value_and_crlf() {
        let input = b"A=\"one\r\ntwo\r\nthree\"\r\nB=2\r\nC='x\ry'\rD=4";
        let p = parse(input);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let a = entry(&p, "A");
        assert_eq!(a.value.as_deref(), Some("one\ntwo\nthree"));
        let span = a.value_span.unwrap();
        assert_eq!(&input[span.start..span.end], b"\"one\r\ntwo\r\nthree\"");
        assert_eq!(entry(&p, "B").key_pos, pos(4, 1));
        assert_eq!(entry(&p, "C").value.as_deref(), Some("x\ny"));
        assert_eq!(entry(&p, "C").value_pos, Some(pos(5, 3)));
        assert_eq!(entry(&p, "D").key_pos, pos(7, 1));
        assert_eq!(entry(&p, "D").key_span, Span { start: input.len() - 3, end: input.len() - 2 });
    }

    #[test]
    fn columns_count_characters_and_skip_the_bom() {
        let input = "\u{feff}ключ=значение\n  é=ü".as_bytes();
        let p = parse(input);
        let k = entry(&p, "ключ");
        assert_eq!(k.key_span.start, 3);
        assert_eq!((k.key_pos, k.value_pos), (pos(1, 1), Some(pos(1, 6))));
        assert_eq!(entry(&p, "é").value_pos, Some(pos(2, 5)));
    }

    #[test]
    fn empty_value_spans_are_empty_where_the_value_would_be() {
        let p = parse(b"A=\nB=   # c\nC=");
        assert_eq!(entry(&p, "A").value_span, Some(Span { start: 2, end: 2 }));
        assert_eq!(entry(&p, "B").value_span, Some(Span { start: 8, end: 8 }));
        assert_eq!(entry(&p, "B").value.as_deref(), Some(""));
        assert_eq!(entry(&p, "C").value_span, Some(Span { start: 14, end: 14 }));
        // The unquoted span covers exactly what was kept.
        let input = b"D=some value  # comment\n";
        let d = parse(input).entries.remove(0);
        let span = d.value_span.unwrap();
        assert_eq!(&input[span.start..span.end], b"some value");
    }

    #[test]
    fn unterminated_quote_is_reported_and_the_following_lines_still_parse() {
        let p = parse(b"A=1\nB = \"open\nC=3\nD='open too\nE=5\n");
        assert_eq!(keys(&p), ["A", "C", "E"]);
        assert_eq!(p.errors.len(), 2);
        assert_eq!(p.errors[0].message, "unterminated double-quoted value (opened at line 2, column 5)");
        assert_eq!(p.errors[0].pos, pos(2, 5));
        assert_eq!(p.errors[0].span, Span { start: 8, end: 13 });
        assert_eq!(p.errors[1].message, "unterminated single-quoted value (opened at line 4, column 3)");
        assert_eq!(p.errors[1].pos, pos(4, 3));
    }

    #[test]
    fn garbage_lines_are_reported_and_skipped() {
        let p = parse(b"A=1\nnot valid\n=nokey\n'K'x=1\nB=\"q\" tail\nexport \nC=3\n''=4\n'open=5\n");
        assert_eq!(keys(&p), ["A", "C"]);
        let got: Vec<(&str, Pos)> = p.errors.iter().map(|e| (e.message.as_str(), e.pos)).collect();
        assert_eq!(
            got,
            [
                ("expected '=' after key `not`", pos(2, 5)),
                ("a line cannot start with '='; the key is missing", pos(3, 1)),
                ("expected '=' after key `K`", pos(4, 4)),
                ("unexpected text after the closing quote of the value of `B`", pos(5, 7)),
                ("expected a key after `export`", pos(6, 1)),
                ("a quoted key cannot be empty", pos(8, 1)),
                ("unterminated single-quoted key (opened at line 9, column 1)", pos(9, 1)),
            ]
        );
        assert_eq!(p.errors[0].span, Span { start: 8, end: 13 });
    }

    #[test]
    fn an_open_quote_pairs_with_the_next_quote_and_says_where_it_opened() {
        // python-dotenv's quoted values may span lines, so the missing quote
        // on line 2 is "closed" by the first quote on line 4.
        let p = parse(b"A=1\nB=\"never closed\nC=2\nD=\"ok\"\nE=5\n");
        assert_eq!(keys(&p), ["A", "E"]);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(
            p.errors[0].message,
            "unexpected text after the closing quote of the value of `B`; that value was opened at line 2, \
             column 3 (is a closing quote missing there?)"
        );
        assert_eq!(p.errors[0].pos, pos(4, 4));
    }

    #[test]
    fn invalid_utf8_drops_only_the_binding_it_is_in() {
        let input = b"A=1\nB=caf\xe9 \xff\nC=\"x\n\xc3\ny\"\n# comment \xfe\nD=4\n";
        let p = parse(input);
        assert_eq!(keys(&p), ["A", "D"]);
        assert_eq!(p.errors.len(), 3, "{:?}", p.errors);
        assert_eq!(p.errors[0].message, "invalid UTF-8 (byte 0xE9 at offset 9); the statement containing it is skipped");
        assert_eq!(p.errors[0].span, Span { start: 9, end: 10 });
        assert_eq!(p.errors[0].pos, pos(2, 6));
        assert_eq!(p.errors[1].pos, pos(4, 1));
        assert_eq!(p.errors[1].span, Span { start: 18, end: 19 });
        assert_eq!(p.errors[2].pos, pos(6, 11));
        assert_eq!(entry(&p, "D").key_pos, pos(7, 1));
    }

    #[test]
    fn errors_are_capped_with_a_summary() {
        let mut input = String::new();
        for i in 0..60 {
            input.push_str(&format!("garbage {i}\n"));
        }
        input.push_str("OK=1\n");
        let p = parse(input.as_bytes());
        assert_eq!(keys(&p), ["OK"]);
        assert_eq!(p.errors.len(), 51);
        assert_eq!(p.errors[50].message, "10 more lines could not be parsed");
        assert_eq!(p.errors[50].pos, pos(51, 9));
        let p = parse("x y\n".repeat(51).as_bytes());
        assert_eq!(p.errors[50].message, "1 more line could not be parsed");
    }

    #[test]
    fn messages_never_contain_the_value() {
        for input in ["K=\"hunter2\n", "K='hunter2\n", "K=\"a\"hunter2\n", "K='a' hunter2\n", "=hunter2\n", "K hunter2\n", "K=hunter2\u{ff}\n"] {
            let bytes = input.replace('\u{ff}', "").into_bytes();
            let mut bytes = bytes;
            if input.contains('\u{ff}') {
                bytes.insert(bytes.len() - 1, 0xff);
            }
            let p = parse(&bytes);
            assert!(!p.errors.is_empty(), "{input:?}");
            for e in &p.errors {
                assert!(!e.message.contains("hunter2"), "{input:?} -> {}", e.message);
            }
        }
    }

    #[test]
    fn odd_keys_are_escaped_and_shortened_in_messages() {
        let p = parse(b"A\x1bB x\n");
        assert_eq!(p.errors[0].message, "expected '=' after key `A\\u{1b}B`");
        let long = format!("{} x\n", "K".repeat(100));
        let msg = &parse(long.as_bytes()).errors[0].message;
        assert!(msg.contains(&format!("`{}…`", "K".repeat(40))), "{msg}");
    }

    #[test]
    fn python_dotenv_semantics_spot_checks() {
        let p = parse(b"export\nexport FOO=1\nK#x=1\nE= # c\nH=#x\nQ=\"a\\nb\\x41\\\\\"\nS='a\\'b\\n'\nN=\x00\x0b\n");
        let got: Vec<(&str, Option<&str>)> = p.entries.iter().map(|e| (e.key.as_str(), e.value.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("export", None),
                ("FOO", Some("1")),
                ("K", None),
                ("E", Some("")),
                ("H", Some("#x")),
                ("Q", Some("a\nb\\x41\\")),
                ("S", Some("a'b\\n")),
                ("N", Some("\0")),
            ]
        );
        assert!(p.errors.is_empty());
    }

    #[test]
    fn pathological_inputs_stay_linear() {
        // Each of these would be quadratic with a naive retry per line.
        let cases = [
            "A=\"x\n".repeat(200_000),
            "A='x\n".repeat(200_000),
            "'K\n".repeat(200_000),
            "A=\"\\\"\n".repeat(200_000),
            format!("A={}#\n", " ".repeat(1_000_000)),
            "x".repeat(1_000_000),
            " \u{3000}".repeat(300_000),
        ];
        let started = std::time::Instant::now();
        for case in &cases {
            let p = parse(case.as_bytes());
            assert!(p.errors.len() <= MAX_ERRORS + 1);
        }
        // Generous: a quadratic pass over these would take hours.
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
    }

    /// Line/column the slow, obvious way, for checking the cursor.
    fn naive_pos(text: &[u8], origin: usize, offset: usize) -> Pos {
        let (mut line, mut column) = (1, 1);
        let mut i = origin;
        while i < offset {
            match text[i] {
                b'\r' if text.get(i + 1) == Some(&b'\n') => {}
                b'\r' | b'\n' => {
                    line += 1;
                    column = 1;
                }
                c if c & 0xC0 != 0x80 => column += 1,
                _ => {}
            }
            i += 1;
        }
        Pos { line, column }
    }

    fn check_invariants(input: &[u8]) {
        let p = parse(input);
        let (text, _) = replace_invalid_utf8(input);
        let origin = if input.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let span_ok = |s: Span| s.start <= s.end && s.end <= input.len() && text.is_char_boundary(s.start) && text.is_char_boundary(s.end);
        let mut last_key_end = 0;
        for e in &p.entries {
            assert!(span_ok(e.key_span), "{e:?}");
            assert!(e.key_span.start >= last_key_end && e.key_span.end > e.key_span.start, "{e:?}");
            last_key_end = e.key_span.end;
            assert_eq!(e.key_pos, naive_pos(text.as_bytes(), origin, e.key_span.start));
            assert_eq!(e.value.is_some(), e.value_span.is_some());
            assert_eq!(e.value.is_some(), e.value_pos.is_some());
            if let (Some(vs), Some(vp)) = (e.value_span, e.value_pos) {
                assert!(span_ok(vs) && vs.start >= e.key_span.end, "{e:?}");
                assert_eq!(vp, naive_pos(text.as_bytes(), origin, vs.start));
            }
            let raw = &text[e.key_span.start..e.key_span.end];
            if !raw.starts_with('\'') {
                assert_eq!(raw, e.key);
            }
        }
        assert!(p.errors.len() <= MAX_ERRORS + 1);
        let mut last_error = 0;
        for err in &p.errors {
            assert!(span_ok(err.span), "{err:?}");
            assert!(err.span.start >= last_error, "{:?}", p.errors);
            last_error = err.span.start;
            assert_eq!(err.pos, naive_pos(text.as_bytes(), origin, err.span.start));
        }
    }

    fn dotenvish() -> impl Strategy<Value = Vec<u8>> {
        let pieces = prop::sample::select(vec![
            "\"", "'", "\\", "#", "=", " ", "\t", "\r", "\n", "\r\n", "A", "_", "x", "$", "é", "\u{a0}", "\u{2028}", "\u{1c}", "\0", "export ", "${V}",
            "\u{feff}", "\u{ff}",
        ]);
        prop::collection::vec(pieces, 0..80).prop_map(|v| {
            // "\u{ff}" stands for a lone invalid byte.
            let mut out = Vec::new();
            for p in v {
                if p == "\u{ff}" {
                    out.push(0xff);
                } else {
                    out.extend_from_slice(p.as_bytes());
                }
            }
            out
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_bytes_never_break_invariants(input in prop::collection::vec(any::<u8>(), 0..512)) {
            check_invariants(&input);
        }

        #[test]
        fn dotenvish_input_never_breaks_invariants(input in dotenvish()) {
            check_invariants(&input);
        }

        #[test]
        fn with_bom_never_breaks_invariants(input in dotenvish()) {
            let mut with_bom = b"\xEF\xBB\xBF".to_vec();
            with_bom.extend_from_slice(&input);
            check_invariants(&with_bom);
        }
    }
}
