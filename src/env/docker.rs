//! Reads an env file exactly as `docker run --env-file` does.
//!
//! Why it exists: a file that python-dotenv (see `super::dotenv`) reads one
//! way can reach the container quite differently when it is passed with
//! `docker run --env-file` (also `docker create`, `docker exec`,
//! `docker service create`): docker keeps quotes, does not strip inline
//! comments or trailing whitespace, expands nothing, and rejects the whole
//! file over one bad key. preflight needs docker's reading to say what the
//! container will really get, and [`dotenv_reading`] to warn where the two
//! dialects disagree.
//!
//! Source followed: docker/cli `pkg/kvfile/kvfile.go`, function
//! `parseKeyValueFile`, as of v29.7.2 (identical on `main`, Aug 2026):
//! <https://github.com/docker/cli/blob/v29.7.2/pkg/kvfile/kvfile.go>, called
//! by `opts.ReadKVEnvStrings` (`opts/parse.go`) with `os.LookupEnv`.
//! The logic is unchanged since the parser lived in `opts/file.go`
//! (2018..2024; the 2024 clean-up removed only redundant trimming). Line
//! splitting is Go's `bufio.Scanner` with `ScanLines`
//! (<https://github.com/golang/go/blob/master/src/bufio/scan.go>). User docs:
//! <https://docs.docker.com/reference/cli/docker/container/run/#env>.
//!
//! The rules, with the line of `kvfile.go` (v29.7.2) each comes from:
//!
//! * Lines end at `\n`; one `\r` before it (or at the end of the input) is
//!   dropped (`ScanLines`/`dropCR`). A lone `\r` elsewhere is ordinary text.
//!   A line of 65,536 bytes or more (not counting the `\n`, counting a `\r`)
//!   makes the scanner stop with `bufio.Scanner: token too long` (its
//!   buffer is capped at `MaxScanTokenSize` = 64 KiB and must hold the line
//!   and its `\n`), and `Parse` fails (L129, L65-67).
//! * Each line must be valid UTF-8, comment lines included (L87-89).
//! * A UTF-8 BOM is removed from the first line only (L91-93).
//! * Leading Unicode whitespace is trimmed (`unicode.IsSpace`, L96; the
//!   same set as Rust's `char::is_whitespace`). Empty lines and lines
//!   starting with `#` are skipped (L98-101); there are no inline comments.
//! * The key is everything before the first `=` (L103). An empty key fails
//!   the file (L104-106). A key containing a space or tab fails the file
//!   (L111-113): the key is not trimmed, so `KEY =v` fails and `export K=v`
//!   fails. Only space and tab count here: a key may contain other
//!   whitespace (`\v`, `\f`, NBSP, a `\r` left by `\r\r\n`) and NUL,
//!   although the package doc (L30) says NUL is not allowed.
//! * With `=`, the line is kept as is (L115-118): the value is the rest of
//!   the line byte for byte, with its quotes, trailing whitespace,
//!   backslashes and `${...}`.
//! * Without `=`, the whole (left-trimmed) line is looked up in the calling
//!   process's environment; set (even to empty) gives `KEY=<value>`, unset
//!   omits it (L121-127).
//! * Duplicates are all passed on in file order; the container gets the last
//!   one (`ReplaceOrAppendEnvValues` in the daemon/containerd replaces an
//!   earlier `KEY=` by a later one).
//!
//! Where this module deliberately differs: error messages never quote value
//! text (docker prints the whole line for an empty key and the raw bytes for
//! invalid UTF-8), and every position is exact (line, column, byte span).
//!
//! Not the same as ECS `environmentFiles`: the ECS agent has its own reader
//! (`agent/taskresource/envFiles/envfile.go`, `readEnvVarsFromFile`) that
//! skips only lines starting with `#` at column 1, trims nothing, ignores
//! lines without `=` (no process lookup), skips an empty key instead of
//! failing, accepts keys with spaces, and keeps no BOM/UTF-8 rules.
//!
//! Cost: one pass, linear time and memory; never panics on any bytes.

/// One variable as docker passes it to the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    /// 1-based line number (lines end at `\n`).
    pub line: u32,
    /// 1-based column, in characters, where the value starts (just after
    /// `=`), or of the key for a bare `KEY` line. A BOM is not counted.
    pub value_column: u32,
    /// Byte range of the value in the original input (the key's range for a
    /// bare `KEY` line).
    pub value_span: (usize, usize),
    /// A bare `KEY` line whose value came from the process environment.
    pub from_process: bool,
}

/// Why docker would refuse the whole file. The message never contains
/// value text; it may contain (part of) a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Longest line `bufio.Scanner` accepts with its default 64 KiB buffer: the
/// buffer must hold the line and its `\n` (or be not yet full at end of
/// input), so 65,535 bytes.
const MAX_LINE_BYTES: usize = 64 * 1024 - 1;

/// Longest key shown in a message, in characters.
const MAX_KEY_IN_MESSAGE: usize = 60;

const UTF8_BOM: &str = "\u{FEFF}";

/// Parses `input` as docker does. `lookup` gives the process environment for
/// bare KEY lines.
pub fn parse(input: &[u8], lookup: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Entry>, DockerError> {
    let mut entries = Vec::new();
    let mut start = 0usize;
    let mut line_no: u32 = 0;
    while start < input.len() {
        let rest = &input[start..];
        let (raw_len, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (i, start + i + 1),
            None => (rest.len(), input.len()),
        };
        line_no = line_no.saturating_add(1);
        if raw_len > MAX_LINE_BYTES {
            return Err(DockerError {
                line: line_no,
                column: 1,
                message: format!(
                    "line is longer than {MAX_LINE_BYTES} bytes; docker's line reader stops \
                     (\"bufio.Scanner: token too long\") and rejects the whole file"
                ),
            });
        }
        let mut token = &rest[..raw_len];
        if let [head @ .., b'\r'] = token {
            token = head;
        }
        let text = match std::str::from_utf8(token) {
            Ok(t) => t,
            Err(e) => {
                let valid = std::str::from_utf8(&token[..e.valid_up_to()]).unwrap_or("");
                let shown = if line_no == 1 { valid.strip_prefix(UTF8_BOM).unwrap_or(valid) } else { valid };
                return Err(DockerError {
                    line: line_no,
                    column: to_u32(shown.chars().count() + 1),
                    message: "line is not valid UTF-8; docker rejects the whole file \
                              (this applies to comment lines too)"
                        .to_string(),
                });
            }
        };
        // Byte offset of `text` in `input`, and the text columns count from.
        let mut text_start = start;
        let mut text = text;
        if line_no == 1
            && let Some(t) = text.strip_prefix(UTF8_BOM)
        {
            text = t;
            text_start += UTF8_BOM.len();
        }
        let line = text.trim_start_matches(char::is_whitespace);
        let lead = &text[..text.len() - line.len()];
        start = next;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line_start = text_start + lead.len();
        if let Some(entry) = assignment(line, line_no, line_start, lead.chars().count() + 1, lookup)? {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// One non-comment line (`line`, leading whitespace already trimmed, starting at byte
/// `line_start` and column `key_column`): its entry, `None` for a bare `KEY` the process does not
/// set, or the error that makes docker reject the file.
fn assignment(line: &str, line_no: u32, line_start: usize, key_column: usize, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Option<Entry>, DockerError> {
    let (key, value) = match line.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (line, None),
    };
    if key.is_empty() {
        return Err(DockerError {
            line: line_no,
            column: to_u32(key_column),
            message: "no variable name before `=`; docker rejects the whole file".to_string(),
        });
    }
    if let Some(ws) = key.find([' ', '\t']) {
        return Err(DockerError { line: line_no, column: to_u32(key_column + key[..ws].chars().count()), message: whitespace_message(key, value.is_some()) });
    }
    let key_chars = key.chars().count();
    match value {
        Some(v) => {
            let value_start = line_start + key.len() + 1;
            return Ok(Some(Entry {
                key: key.to_string(),
                value: v.to_string(),
                line: line_no,
                value_column: to_u32(key_column + key_chars + 1),
                value_span: (value_start, value_start + v.len()),
                from_process: false,
            }));
        }
        None => {
            if let Some(v) = lookup(key) {
                return Ok(Some(Entry {
                    key: key.to_string(),
                    value: v,
                    line: line_no,
                    value_column: to_u32(key_column),
                    value_span: (line_start, line_start + key.len()),
                    from_process: true,
                }));
            }
        }
    }
    Ok(None)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The message for a key with a space or tab in it (`kvfile.go` L111-113:
/// "variable '%s' contains whitespaces"), saying which common mistake it is.
fn whitespace_message(key: &str, has_equals: bool) -> String {
    const TAIL: &str = "docker rejects the whole file";
    if !has_equals {
        // The "key" is the whole line; after the first word it may well be a
        // value someone forgot the `=` for, so show only the first word.
        let first = key.split([' ', '\t']).next().unwrap_or("");
        if first == "export" {
            return format!(
                "`export` prefix on a line without `=`: docker reads the whole line as a variable \
                 name, which contains whitespace; {TAIL}"
            );
        }
        return format!(
            "line has no `=` and contains whitespace: docker reads the whole line (`{} …`) as a \
             variable name; {TAIL}",
            display_key(first)
        );
    }
    if let Some(name) = key.strip_prefix("export").filter(|r| r.starts_with([' ', '\t'])) {
        let name = name.trim_start_matches([' ', '\t']);
        if !name.is_empty() && !name.contains([' ', '\t']) {
            return format!(
                "`export {}`: docker does not understand the `export` prefix; the variable name \
                 would be `export {}`, which contains whitespace, so {TAIL}",
                display_key(name),
                display_key(name)
            );
        }
    }
    let trimmed = key.trim_end_matches([' ', '\t']);
    if trimmed.len() < key.len() && !trimmed.contains([' ', '\t']) {
        return format!(
            "whitespace between variable name `{}` and `=`: docker does not trim it, so the name \
             contains whitespace and {TAIL}",
            display_key(trimmed)
        );
    }
    format!("variable name `{}` contains whitespace; {TAIL}", display_key(key))
}

/// Keys are quoted in messages; keep an odd one from garbling the terminal
/// or flooding the report.
fn display_key(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if i == MAX_KEY_IN_MESSAGE {
            out.push('…');
            break;
        }
        if c.is_control() || (c.is_whitespace() && c != ' ') || c == '\u{FEFF}' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The other dialect.

/// What python-dotenv would read for the same value text (the other
/// dialect), only as far as needed to warn: `None` when it reads exactly what
/// docker reads, otherwise `Some(what python-dotenv reads)`.
///
/// The value text is taken as the rest of a `KEY=` line, read the way
/// `super::dotenv` reads python-dotenv (its `parse_value` and friends):
///
/// * whitespace right after `=` is skipped;
/// * matching surrounding `'…'` / `"…"` are removed; inside `"…"` the escapes
///   `\\ \' \" \a \b \f \n \r \t \v` are decoded, inside `'…'` only `\\` and
///   `\'`;
/// * unquoted: a ` #` (whitespace then `#`) starts a comment, and trailing
///   whitespace is removed;
/// * `${NAME}` / `${NAME:-default}` are expanded (python-dotenv's default
///   `interpolate=True`, quoted values included). The real result depends on
///   the environment and on earlier lines, which this function does not see;
///   it expands as if NAME were unset (to the default, or to nothing), which
///   always differs from the text, so the answer is a sign that expansion
///   happens rather than a prediction of the value.
///
/// Two cases have no single-line answer:
///
/// * an opening quote with no closing quote on the line: python-dotenv reads
///   on into the following lines (or rejects the statement if no quote ever
///   closes it). The answer is what it takes from this line, ending in `\n`;
/// * text after the closing quote that is not a ` # comment` (`"a"b`):
///   python-dotenv rejects the statement and sets no variable. The answer is
///   the empty string.
///
/// A lone `\r` in the text ends the line for python-dotenv (universal
/// newlines). The `export ` prefix is a key matter: [`parse`] reports it.
pub fn dotenv_reading(docker_value: &str) -> Option<String> {
    let other = python_dotenv_value(docker_value);
    (other != docker_value).then_some(other)
}

fn python_dotenv_value(text: &str) -> String {
    // `_equal_sign`: `=[^\S\r\n]*`.
    let rest = text.trim_start_matches(is_inline_space);
    match rest.as_bytes().first() {
        Some(&q @ (b'\'' | b'"')) => quoted_value(rest, q),
        _ => expand(&unquoted_value(rest)),
    }
}

/// `_single_quoted_value` / `_double_quoted_value` as `super::dotenv`
/// translates them (`'((?:\\.|[^'\\])*)'`, DOTALL): a backslash pairs with
/// the next character, the content ends at the first quote not so paired.
/// Then `_comment` and `_end_of_line` must match after it.
fn quoted_value(rest: &str, q: u8) -> String {
    let b = rest.as_bytes();
    let mut i = 1;
    let close = loop {
        match b.get(i) {
            None => break None,
            Some(&c) if c == q => break Some(i),
            // Stepping two bytes may land inside a multi-byte character; its
            // continuation bytes are neither quote nor backslash, and slicing
            // below happens only at ASCII quote positions.
            Some(b'\\') if i + 1 < b.len() => i += 2,
            Some(b'\\') => break None,
            Some(_) => i += 1,
        }
    };
    let Some(close) = close else {
        let mut read = decode_escapes(&translate_newlines(rest.get(1..).unwrap_or("")), q);
        read.push('\n');
        return read;
    };
    let content = rest.get(1..close).unwrap_or("");
    let after = rest.get(close + 1..).unwrap_or("").trim_start_matches(is_inline_space);
    let rest_is_comment_or_end = after.is_empty() || after.starts_with(['#', '\r', '\n']);
    if !rest_is_comment_or_end {
        return String::new();
    }
    expand(&decode_escapes(&translate_newlines(content), q))
}

/// `_unquoted_value` `([^\r\n]*)`, then `re.sub(r"\s+#.*", "", part).rstrip()`.
fn unquoted_value(rest: &str) -> String {
    let part = rest.split(['\r', '\n']).next().unwrap_or("");
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
    part.get(..cut).unwrap_or("").trim_end_matches(is_py_space).to_string()
}

/// Python's `str.isspace()` (what `\s` matches in a `str` regex and what
/// `rstrip()` strips): `char::is_whitespace` plus U+001C..U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// `[^\S\r\n]`.
fn is_inline_space(c: char) -> bool {
    c != '\r' && c != '\n' && is_py_space(c)
}

/// Python's universal newlines turn `\r\n` and `\r` into `\n`.
fn translate_newlines(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

/// `decode_escapes` with `\\[\\']` (single) or `\\[\\'\"abfnrtv]` (double);
/// any other backslash stays.
fn decode_escapes(raw: &str, q: u8) -> String {
    if !raw.contains('\\') {
        return raw.to_string();
    }
    let double = q == b'"';
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match (double, chars.peek().copied()) {
            (_, Some('\\')) => Some('\\'),
            (_, Some('\'')) => Some('\''),
            (true, Some('"')) => Some('"'),
            (true, Some('a')) => Some('\u{07}'),
            (true, Some('b')) => Some('\u{08}'),
            (true, Some('f')) => Some('\u{0C}'),
            (true, Some('n')) => Some('\n'),
            (true, Some('r')) => Some('\r'),
            (true, Some('t')) => Some('\t'),
            (true, Some('v')) => Some('\u{0B}'),
            _ => None,
        };
        match decoded {
            Some(d) => {
                out.push(d);
                chars.next();
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A forward search for a byte class whose last answer is reused while the
/// starting points (which only grow) stay before it: keeps `expand` linear.
struct CachedFind {
    from: usize,
    found: Option<usize>,
    valid: bool,
}

impl CachedFind {
    fn new() -> Self {
        CachedFind { from: 0, found: None, valid: false }
    }

    fn find(&mut self, b: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> Option<usize> {
        if self.valid && self.from <= from && self.found.is_none_or(|f| from <= f) {
            return self.found;
        }
        let found = b.get(from..).and_then(|s| s.iter().position(|&c| pred(c))).map(|i| from + i);
        *self = CachedFind { from, found, valid: true };
        found
    }
}

/// python-dotenv's `parse_variables` + `resolve` with every name unset:
/// each match of `\$\{([^}:]*)(?::-([^}]*))?\}` becomes its default (or
/// nothing). Searching resumes one character after a failed start, as
/// `finditer` does; the cached searches keep that linear.
fn expand(value: &str) -> String {
    if !value.contains("${") {
        return value.to_string();
    }
    let b = value.as_bytes();
    let mut out = String::with_capacity(value.len());
    let mut name_end = CachedFind::new();
    let mut default_end = CachedFind::new();
    let mut copied = 0;
    let mut i = 0;
    while i + 1 < b.len() {
        if !(b[i] == b'$' && b[i + 1] == b'{') {
            i += 1;
            continue;
        }
        let Some(stop) = name_end.find(b, i + 2, |c| c == b'}' || c == b':') else {
            break; // no `}` or `:` anywhere after: no later start can match either
        };
        let matched = if b[stop] == b'}' {
            Some((stop + 1, ""))
        } else if b.get(stop + 1) == Some(&b'-') {
            default_end.find(b, stop + 2, |c| c == b'}').map(|close| (close + 1, value.get(stop + 2..close).unwrap_or("")))
        } else {
            None
        };
        match matched {
            Some((end, default)) => {
                out.push_str(value.get(copied..i).unwrap_or(""));
                out.push_str(default);
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    out.push_str(value.get(copied..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    //! Sources cited per case: `kvfile.go Lnn` is docker/cli
    //! pkg/kvfile/kvfile.go at v29.7.2; test names are from its
    //! kvfile_test.go; `scan.go` is Go's src/bufio/scan.go; DOCS is
    //! https://docs.docker.com/reference/cli/docker/container/run/#env.

    use super::*;

    fn env_none(_: &str) -> Option<String> {
        None
    }

    fn ok(input: &str) -> Vec<Entry> {
        parse(input.as_bytes(), &env_none).expect("parses")
    }

    fn pairs(input: &[u8]) -> Vec<(String, String)> {
        parse(input, &env_none).expect("parses").into_iter().map(|e| (e.key, e.value)).collect()
    }

    fn kv(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    fn err(input: &[u8]) -> DockerError {
        parse(input, &env_none).expect_err("docker rejects this file")
    }

    /// Every entry read from the file points at its own text.
    fn check_spans(input: &[u8], entries: &[Entry]) {
        for e in entries {
            let (s, t) = e.value_span;
            let text = &input[s..t];
            if e.from_process {
                assert_eq!(text, e.key.as_bytes());
            } else {
                assert_eq!(text, e.value.as_bytes());
            }
        }
    }

    // ---- quotes -----------------------------------------------------------

    // kvfile.go L18-19 ("quotes are considered part of the key or value"),
    // L115-118 (line appended as is).
    #[test]
    fn double_quotes_are_kept() {
        assert_eq!(pairs(b"A=\"hello world\"\n"), [kv("A", "\"hello world\"")]);
    }

    // kvfile.go L18-19, L115-118.
    #[test]
    fn single_quotes_are_kept() {
        assert_eq!(pairs(b"A='x y'\n"), [kv("A", "'x y'")]);
    }

    // kvfile.go L18-19, L115-118.
    #[test]
    fn mismatched_quotes_are_kept() {
        assert_eq!(pairs(b"A=\"x'\nB='y\n"), [kv("A", "\"x'"), kv("B", "'y")]);
    }

    // ---- comments ----------------------------------------------------------

    // kvfile.go L98-101; TestParseFromReaderGoodFile ("# comment"); DOCS.
    #[test]
    fn hash_at_line_start_is_a_comment() {
        assert_eq!(pairs(b"# A=1\n#B=2\nC=3\n"), [kv("C", "3")]);
    }

    // kvfile.go L96 (TrimLeftFunc first) then L98 (line[0] == '#').
    #[test]
    fn indented_comment_is_a_comment() {
        assert_eq!(pairs(b"   # A=1\n\t#B\nC=3\n"), [kv("C", "3")]);
    }

    // DOCS: "a `#` appearing anywhere else in a line is treated as part of
    // the variable value"; kvfile.go L115-118.
    #[test]
    fn inline_hash_is_part_of_the_value() {
        assert_eq!(pairs(b"A=b # c\nB=x#y\n"), [kv("A", "b # c"), kv("B", "x#y")]);
    }

    // kvfile.go L98-101: a key may start with anything but '#'... and
    // contain '#' after its first character.
    #[test]
    fn hash_inside_a_key_is_part_of_the_key() {
        assert_eq!(pairs(b"A#B=1\n"), [kv("A#B", "1")]);
    }

    // ---- whitespace ------------------------------------------------------------

    // kvfile.go L20 ("Whitespace in values (including leading and trailing)
    // is preserved"), L94-96 comment.
    #[test]
    fn trailing_whitespace_is_kept() {
        assert_eq!(pairs(b"A=b  \t\nB=\n"), [kv("A", "b  \t"), kv("B", "")]);
    }

    // kvfile.go L96; TestParseFromReaderGoodFile ("    baz=quux").
    #[test]
    fn leading_whitespace_of_the_line_is_trimmed() {
        let input = b"    baz=quux\n\t\x0b\x0cq=1\n";
        let e = parse(input, &env_none).unwrap();
        assert_eq!(e[0].key, "baz");
        assert_eq!(e[0].value_column, 9);
        assert_eq!(e[1].key, "q");
        check_spans(input, &e);
    }

    // kvfile.go L96: unicode.IsSpace includes NBSP and U+3000.
    #[test]
    fn unicode_leading_whitespace_is_trimmed() {
        let input = "\u{a0}\u{3000}A=1\n";
        let e = ok(input);
        assert_eq!((e[0].key.as_str(), e[0].value.as_str(), e[0].value_column), ("A", "1", 5));
        check_spans(input.as_bytes(), &e);
    }

    // kvfile.go L103 (Cut at '='), L108-113 (key not trimmed, space -> error);
    // TestParseFromReaderBadlyFormattedFile ("variable 'f   ' contains whitespaces").
    #[test]
    fn space_before_equals_is_an_error() {
        let e = err(b"foo=bar\n    f   =quux\n");
        assert_eq!((e.line, e.column), (2, 6));
        assert!(e.message.contains("`f`"), "{}", e.message);
        assert!(e.message.contains("whitespace"), "{}", e.message);
        assert!(!e.message.contains("quux"));
    }

    // kvfile.go L115-118: the value starts right after '='.
    #[test]
    fn space_after_equals_belongs_to_the_value() {
        let e = ok("KEY= v\n");
        assert_eq!(e[0].value, " v");
        assert_eq!(e[0].value_column, 5);
        assert_eq!(e[0].value_span, (4, 6));
    }

    // kvfile.go L79 (whiteSpaces = " \t"), L111: a tab in the key fails too.
    #[test]
    fn tab_in_key_is_an_error() {
        let e = err(b"A\tB=1\n");
        assert_eq!((e.line, e.column), (1, 2));
    }

    // kvfile.go L79, L111: only space and tab are checked, so other
    // whitespace (VT, NBSP) can be inside a key.
    #[test]
    fn other_whitespace_inside_a_key_is_accepted() {
        assert_eq!(pairs("A\u{0b}B=1\nC\u{a0}D=2\n".as_bytes()), [kv("A\u{0b}B", "1"), kv("C\u{a0}D", "2")]);
    }

    // ---- keys and values -------------------------------------------------------

    // kvfile.go L103 (strings.Cut: first '='), L115-118.
    #[test]
    fn equals_inside_the_value() {
        assert_eq!(pairs(b"URL=a=b==c\n"), [kv("URL", "a=b==c")]);
    }

    // TestParseWithLookup ("EMPTY_VAR=" -> "EMPTY_VAR=").
    #[test]
    fn empty_value() {
        let input = b"EMPTY_VAR=\n";
        let e = parse(input, &env_none).unwrap();
        assert_eq!((e[0].value.as_str(), e[0].value_column, e[0].value_span), ("", 11, (10, 10)));
    }

    // kvfile.go L104-106; TestParseFromReaderWithNoName. The message here
    // leaves the value out (docker's quotes the whole line).
    #[test]
    fn empty_key_is_an_error() {
        let e = err(b"# comment=\n=blank variable names are an error case\n");
        assert_eq!((e.line, e.column), (2, 1));
        assert!(!e.message.contains("blank"), "{}", e.message);
    }

    // kvfile.go L96 then L104: an indented "=x" is still an empty key.
    #[test]
    fn indented_empty_key_is_an_error() {
        let e = err(b"A=1\n   =secret\n");
        assert_eq!((e.line, e.column), (2, 4));
        assert!(!e.message.contains("secret"));
    }

    // kvfile.go L111-113; TestParseFromReaderRandomFile ("variable 'first
    // line' contains whitespaces"). Only the first word is shown.
    #[test]
    fn key_with_space_without_equals_is_an_error() {
        let e = err(b"first line\nanother invalid line");
        assert_eq!((e.line, e.column), (1, 6));
        assert!(e.message.contains("first"), "{}", e.message);
        assert!(!e.message.contains("line`"), "{}", e.message);
    }

    // kvfile.go L111-113: "export" becomes part of the key, which then
    // contains a space.
    #[test]
    fn export_prefix_is_an_error() {
        let e = err(b"A=1\nexport KEY=v\n");
        assert_eq!((e.line, e.column), (2, 7));
        assert!(e.message.contains("export KEY"), "{}", e.message);
        assert!(!e.message.contains("=v"));
    }

    // kvfile.go L111-113 applies before the lookup (L121), so a bare
    // `export KEY` fails too.
    #[test]
    fn bare_export_line_is_an_error() {
        let e = parse(b"export HOME\n", &|_| Some("x".to_string())).unwrap_err();
        assert_eq!((e.line, e.column), (1, 7));
    }

    // kvfile.go L18 ("no interpolation, substitution"), L115-118.
    #[test]
    fn dollar_brace_is_not_expanded() {
        let e = parse(b"H=${HOME}/x\nI=$HOME\n", &|_| Some("/root".to_string())).unwrap();
        assert_eq!((e[0].value.as_str(), e[1].value.as_str()), ("${HOME}/x", "$HOME"));
    }

    // kvfile.go L18-19 ("no ... escaping is supported").
    #[test]
    fn backslash_escapes_are_not_processed() {
        assert_eq!(
            pairs(
                br#"A="a\nb\"c"
B=C:\temp\
"#
            ),
            [kv("A", r#""a\nb\"c""#), kv("B", r"C:\temp\")]
        );
    }

    // kvfile.go L21-22 ("neither key, nor value, can contain newlines"): the
    // second line stands alone; without '=' and without spaces it is a bare
    // key (L121-127), looked up and here omitted.
    #[test]
    fn multi_line_attempt_second_line_is_a_bare_key() {
        let input = b"A=\"first\nsecond\"\n";
        let asked = std::cell::RefCell::new(Vec::new());
        let e = parse(input, &|k| {
            asked.borrow_mut().push(k.to_string());
            None
        })
        .unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].value, "\"first");
        assert_eq!(asked.into_inner(), ["second\""]);
    }

    // kvfile.go L111-113: a continuation line with a space fails the file.
    #[test]
    fn multi_line_attempt_with_space_is_an_error() {
        let e = err(b"A=\"first\nsecond line\"\n");
        assert_eq!((e.line, e.column), (2, 7));
    }

    // kvfile.go L87 (utf8.Valid accepts NUL), L111 (only " \t" checked):
    // NUL passes in keys and values, despite the package doc (L30).
    #[test]
    fn nul_bytes_pass_through() {
        let input = b"A\0B=x\0y\n";
        assert_eq!(pairs(input), [kv("A\0B", "x\0y")]);
    }

    // opts/parse.go readKVStrings appends in order; the daemon's
    // ReplaceOrAppendEnvValues lets the later KEY= replace the earlier.
    #[test]
    fn duplicate_keys_are_all_returned_in_order() {
        let e = ok("A=1\nB=2\nA=3\n");
        let keys: Vec<_> = e.iter().map(|e| (e.key.as_str(), e.value.as_str(), e.line)).collect();
        assert_eq!(keys, [("A", "1", 1), ("B", "2", 2), ("A", "3", 3)]);
    }

    // ---- bare keys ------------------------------------------------------------

    // kvfile.go L121-127; TestParseWithLookup ("DEFINED_VAR" ->
    // "DEFINED_VAR=defined-value", "UNDEFINED_VAR" omitted); DOCS ("USER").
    #[test]
    fn bare_key_set_and_unset() {
        let input = b"# comment=\nVAR=VAR_VALUE\nEMPTY_VAR=\nUNDEFINED_VAR\n  DEFINED_VAR\n";
        let e = parse(input, &|k| (k == "DEFINED_VAR").then(|| "defined-value".to_string())).unwrap();
        let got: Vec<_> = e.iter().map(|e| (e.key.as_str(), e.value.as_str(), e.from_process)).collect();
        assert_eq!(got, [("VAR", "VAR_VALUE", false), ("EMPTY_VAR", "", false), ("DEFINED_VAR", "defined-value", true)]);
        assert_eq!((e[2].line, e[2].value_column), (5, 3));
        check_spans(input, &e);
    }

    // kvfile.go L124 (found, even if empty): a variable set to "" is kept.
    #[test]
    fn bare_key_set_to_empty_is_kept() {
        let e = parse(b"E\n", &|_| Some(String::new())).unwrap();
        assert_eq!((e[0].value.as_str(), e[0].from_process), ("", true));
    }

    // kvfile.go L124: the lookup gets the left-trimmed line, trailing
    // whitespace other than space/tab included (here a VT).
    #[test]
    fn bare_key_is_looked_up_as_written() {
        let e = parse(b" K\x0b\n", &|k| (k == "K\u{0b}").then(|| "v".to_string())).unwrap();
        assert_eq!(e[0].key, "K\u{0b}");
    }

    // ---- line structure ------------------------------------------------------

    // scan.go ScanLines/dropCR: "\r\n" ends a line, the '\r' is dropped.
    #[test]
    fn crlf_line_endings() {
        let input = b"A=1\r\nB= 2 \r\nC=3\r";
        let e = parse(input, &env_none).unwrap();
        let got: Vec<_> = e.iter().map(|e| (e.key.as_str(), e.value.as_str())).collect();
        assert_eq!(got, [("A", "1"), ("B", " 2 "), ("C", "3")]);
        check_spans(input, &e);
    }

    // scan.go dropCR drops one '\r' only; a lone '\r' is not a line end.
    #[test]
    fn lone_cr_is_ordinary_text() {
        assert_eq!(pairs(b"A=1\rB=2\r\nC=3\r\r\n"), [kv("A", "1\rB=2"), kv("C", "3\r")]);
    }

    // kvfile.go L91-93: BOM removed from line 1 only; columns skip it.
    #[test]
    fn bom_is_removed_from_the_first_line() {
        let input = "\u{feff}A=1\n\u{feff}B=2\n";
        let e = ok(input);
        assert_eq!(e[0].key, "A");
        assert_eq!((e[0].value_column, e[0].value_span), (3, (5, 6)));
        assert_eq!(e[1].key, "\u{feff}B");
        check_spans(input.as_bytes(), &e);
    }

    // kvfile.go L91-96: after the BOM, whitespace and '#' work as usual.
    #[test]
    fn bom_then_comment() {
        assert_eq!(pairs("\u{feff}  # c\nA=1".as_bytes()), [kv("A", "1")]);
    }

    // kvfile.go L87-89 ("invalid utf8 bytes at line %d"), checked before
    // comments are skipped; the message does not echo the bytes.
    #[test]
    fn invalid_utf8_is_an_error_naming_the_line() {
        let e = err(b"A=1\n# caf\xe9\nB=2\n");
        assert_eq!((e.line, e.column), (2, 6));
        assert!(e.message.contains("UTF-8"));
        let e = err(b"A=ok\nB=\xff\xfe");
        assert_eq!((e.line, e.column), (2, 3));
    }

    // scan.go: MaxScanTokenSize = 64*1024 and ErrTooLong;
    // TestParseFromReaderLineTooLongFile.
    #[test]
    fn line_over_64_kib_is_an_error() {
        let mut input = b"A=1\nfoo=".to_vec();
        input.extend(std::iter::repeat_n(b'a', 65536 + 42));
        let e = err(&input);
        assert_eq!(e.line, 2);
        assert!(e.message.contains("too long"));
    }

    // scan.go Scan: the buffer (max 65,536 bytes) must hold the line and
    // its '\n', so 65,535 bytes pass and 65,536 fail, '\r' counted.
    #[test]
    fn line_length_limit_is_exact() {
        for (len, ending, fine) in
            [(65535, &b"\n"[..], true), (65535, b"", true), (65536, b"\n", false), (65536, b"", false), (65534, b"\r\n", true), (65535, b"\r\n", false)]
        {
            let mut input = b"K=".to_vec();
            input.extend(std::iter::repeat_n(b'v', len - 2));
            input.extend_from_slice(ending);
            assert_eq!(parse(&input, &env_none).is_ok(), fine, "len {len} ending {ending:?}");
        }
    }

    // TestParseFromReaderEmptyFile; kvfile.go L98 (blank lines skipped).
    #[test]
    fn empty_file_and_blank_lines() {
        assert!(ok("").is_empty());
        assert!(ok("\n\n   \t  \n\r\n").is_empty());
    }

    // scan.go ScanLines ("The last non-empty line of input will be returned
    // even if it has no newline"); TestParseFromReaderGoodFile ends in "\n    \t  ".
    #[test]
    fn file_without_final_newline() {
        let input = b"A=1\nB=last value ";
        let e = parse(input, &env_none).unwrap();
        assert_eq!((e[1].key.as_str(), e[1].value.as_str(), e[1].line), ("B", "last value ", 2));
        check_spans(input, &e);
    }

    // TestParseFromReaderGoodFile in full.
    #[test]
    fn docker_good_file() {
        let content = "foo=bar\n    baz=quux\n# comment\n\n_foobar=foobaz\nwith.dots=working\nand_underscore=working too\n\n    \t  ";
        assert_eq!(
            pairs(content.as_bytes()),
            [kv("foo", "bar"), kv("baz", "quux"), kv("_foobar", "foobaz"), kv("with.dots", "working"), kv("and_underscore", "working too"),]
        );
    }

    // kvfile.go L85 (currentLine counts every line, skipped ones too);
    // columns are characters, not bytes.
    #[test]
    fn positions_count_lines_and_characters() {
        let input = "# c\n\nÄÖ=ü x\n";
        let e = ok(input);
        assert_eq!((e[0].line, e[0].value_column), (3, 4));
        check_spans(input.as_bytes(), &e);
    }

    // kvfile.go L104-113 return on the first bad line: the whole file fails
    // even when earlier lines were fine, and the first error wins.
    #[test]
    fn first_error_fails_the_whole_file() {
        let e = err(b"A=1\nB C=2\n=3\n");
        assert_eq!(e.line, 2);
    }

    // Messages never contain value text, whatever the failure.
    #[test]
    fn messages_never_contain_values() {
        for input in [&b"=hunter2\n"[..], b"KEY =hunter2\n", b"export KEY=hunter2\n", b"a b=hunter2\n", b"PASSWORD hunter2\n", b"A=hunter2\xff\n"] {
            let e = err(input);
            assert!(!e.message.contains("hunter2"), "{}", e.message);
        }
    }

    // Odd keys are escaped and shortened in messages.
    #[test]
    fn odd_keys_are_escaped_in_messages() {
        let e = err("A\u{1b}[31m\u{a0}B C=1\n".as_bytes());
        assert!(!e.message.contains('\u{1b}'), "{}", e.message);
        let long = format!("{} x=1", "K".repeat(1000));
        assert!(err(long.as_bytes()).message.len() < 400);
    }

    /// A tiny xorshift generator so the no-panic test needs no crate.
    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    // No panic on any bytes; spans always point at the text.
    #[test]
    fn arbitrary_bytes_never_panic() {
        let pieces: [&[u8]; 16] =
            [b"=", b"\n", b"\r", b" ", b"\t", b"#", b"'", b"\"", b"\\", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xa4", "\u{a0}".as_bytes(), b"\0", b"${A:-"];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..3000 {
            let mut input = Vec::new();
            for _ in 0..(rng(&mut seed) % 40) {
                let r = rng(&mut seed);
                if r.is_multiple_of(3) {
                    input.push((r >> 8) as u8);
                } else {
                    input.extend_from_slice(pieces[(r >> 8) as usize % pieces.len()]);
                }
            }
            if let Ok(entries) = parse(&input, &|k| (k.len() % 2 == 0).then(|| k.to_string())) {
                check_spans(&input, &entries);
                for e in &entries {
                    let _ = dotenv_reading(&e.value);
                }
            }
            let _ = dotenv_reading(&String::from_utf8_lossy(&input));
        }
    }

    // Linear in the input: big files and pathological values stay fast.
    #[test]
    fn large_inputs_stay_linear() {
        let mut input = Vec::new();
        for i in 0..200_000 {
            input.extend_from_slice(format!("KEY_{i}=value {i} # not a comment\n").as_bytes());
        }
        let t = std::time::Instant::now();
        assert_eq!(parse(&input, &env_none).unwrap().len(), 200_000);
        let hostile = "${a:-".repeat(100_000) + &"${".repeat(100_000) + &"\\\"".repeat(50_000);
        assert_eq!(dotenv_reading(&hostile), None); // no `}`: nothing to expand
        assert!(dotenv_reading(&format!("\"{hostile}")).is_some());
        assert_eq!(dotenv_reading(&"${a}".repeat(100_000)), Some(String::new()));
        assert_eq!(dotenv_reading(&format!("{}}}", "${a:-".repeat(100_000))).map(|s| s.len()), Some(5 * 99_999));
        assert!(dotenv_reading(&"x #".repeat(100_000)).is_some());
        assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
    }

    // ---- dotenv_reading ---------------------------------------------------

    // python-dotenv parse_value: surrounding quotes removed.
    #[test]
    fn dotenv_strips_matching_quotes() {
        assert_eq!(dotenv_reading("\"hello world\""), Some("hello world".into()));
        assert_eq!(dotenv_reading("'x y'"), Some("x y".into()));
        assert_eq!(dotenv_reading("\"\""), Some("".into()));
    }

    // Values both dialects read the same.
    #[test]
    fn dotenv_same_reading_is_none() {
        for v in ["", "plain", "a#b", "$HOME", "a=b", r"C:\temp\x", "x\"y", "it's"] {
            assert_eq!(dotenv_reading(v), None, "{v:?}");
        }
    }

    // python-dotenv parse_unquoted_value: re.sub(r"\s+#.*", "", part).rstrip().
    #[test]
    fn dotenv_strips_inline_comments_and_trailing_space() {
        assert_eq!(dotenv_reading("b # c"), Some("b".into()));
        assert_eq!(dotenv_reading("b\t#c"), Some("b".into()));
        assert_eq!(dotenv_reading("b  "), Some("b".into()));
        assert_eq!(dotenv_reading(" v"), Some("v".into()));
        assert_eq!(dotenv_reading("# all comment"), None); // "#..." with no space before it stays
    }

    // python-dotenv _double_quote_escapes / _single_quote_escapes.
    #[test]
    fn dotenv_decodes_escapes_in_quotes() {
        assert_eq!(dotenv_reading(r#""a\nb\"c\\d\q""#), Some("a\nb\"c\\d\\q".into()));
        assert_eq!(dotenv_reading(r"'a\nb\'c'"), Some("a\\nb'c".into()));
    }

    // python-dotenv _comment/_end_of_line after a closing quote.
    #[test]
    fn dotenv_comment_after_quotes_and_rejected_tail() {
        assert_eq!(dotenv_reading("\"a b\" # note"), Some("a b".into()));
        assert_eq!(dotenv_reading("\"a\"#n"), Some("a".into()));
        assert_eq!(dotenv_reading("\"a\"b"), Some(String::new()));
        assert_eq!(dotenv_reading("'it''s'"), Some(String::new()));
    }

    // python-dotenv quoted values span lines: unterminated reads on.
    #[test]
    fn dotenv_unterminated_quote_reads_on() {
        assert_eq!(dotenv_reading("\"first"), Some("first\n".into()));
        assert_eq!(dotenv_reading("'a\\"), Some("a\\\n".into()));
        assert_eq!(dotenv_reading("\"a\\\""), Some("a\"\n".into()));
    }

    // python-dotenv resolve_variables / _posix_variable, names unset.
    #[test]
    fn dotenv_expands_references() {
        assert_eq!(dotenv_reading("${HOME}/x"), Some("/x".into()));
        assert_eq!(dotenv_reading("${PORT:-8080}"), Some("8080".into()));
        assert_eq!(dotenv_reading("'${HOME}'"), Some("".into()));
        assert_eq!(dotenv_reading("${A:x}"), None); // no match: ':' not followed by '-'
        assert_eq!(dotenv_reading("${A"), None);
        assert_eq!(dotenv_reading("$${A}b"), Some("$b".into()));
    }

    // Python universal newlines: a lone '\r' ends the line.
    #[test]
    fn dotenv_lone_cr_ends_the_line() {
        assert_eq!(dotenv_reading("1\rB=2"), Some("1".into()));
        assert_eq!(dotenv_reading("\"a\rb\""), Some("a\nb".into()));
    }

    // Python str.isspace includes U+001C..U+001F.
    #[test]
    fn dotenv_python_whitespace() {
        assert_eq!(dotenv_reading("a\u{1f}"), Some("a".into()));
        assert_eq!(dotenv_reading("a\u{a0}#x"), Some("a".into()));
    }
}
