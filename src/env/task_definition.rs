//! Reads one container's environment out of an ECS task definition file,
//! saying where every name and value is written so a report can underline it.
//!
//! Two shapes are accepted: the `aws ecs register-task-definition
//! --cli-input-json` input (a top-level object with `containerDefinitions`)
//! and the `aws ecs describe-task-definition` output (the same object under
//! `taskDefinition`). If both are present the top-level one wins.
//!
//! How: the text is first validated by `serde_json` (which refuses nesting
//! deeper than 128, so nothing here can overflow the stack), then walked by a
//! small span-keeping scanner. Object lookups take the last duplicate key, as
//! `serde_json` does; the `environment`, `secrets` and `environmentFiles`
//! arrays keep every item in file order. One leading BOM is skipped; spans
//! stay relative to the original text. Messages never quote value text
//! (values may be secrets). Linear time, no panics.

/// One entry with where it is written: spans are byte ranges of the JSON string tokens'
/// contents (between the quotes) in the file text. The strings are decoded
/// (escapes resolved); the spans cover the raw, still-escaped text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The variable name (for `environmentFiles`: the file `type`, e.g. `s3`).
    pub name: String,
    /// The value (`value`, or `valueFrom` for secrets). A missing `value` in
    /// an `environment` item reads as `""` (ECS accepts that as empty).
    pub value: String,
    /// Byte range of the name's string content.
    pub name_span: (usize, usize),
    /// Byte range of the value's string content; for a missing `value`, the
    /// empty range at the start of the item's `{`.
    pub value_span: (usize, usize),
}

/// The environment of one container, each list in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerEnv {
    /// `environment` items: `name` / `value`.
    pub environment: Vec<Entry>,
    /// `secrets` items: `name` / `valueFrom` (an SSM parameter or Secrets Manager ARN).
    pub secrets: Vec<Entry>,
    /// `environmentFiles` items: name = the `type` (`"s3"`), value = the `value` (an S3 ARN).
    pub environment_files: Vec<Entry>,
}

/// Why a task definition could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not JSON, or not a task definition: message, and the byte offset to point at.
    Malformed { message: String, offset: usize },
    /// No container of that name; `available` lists the names there are (in file order).
    NoContainer { name: String, available: Vec<String> },
}

/// Reads `container`'s environment from a task definition file's text.
///
/// A `Malformed` offset is a byte offset into `text` (BOM included), always
/// on a char boundary and at most `text.len()`. For JSON syntax errors it is
/// derived from `serde_json`'s line and column (its column counts bytes, from
/// 1, and points just past the offending byte), so it lands on the offending
/// character; for structural errors it is the start of the offending token.
/// Absent `environment`/`secrets`/`environmentFiles` arrays read as empty; if
/// several containers share the name, the first is read (ECS refuses that).
pub fn parse(text: &str, container: &str) -> Result<ContainerEnv, Error> {
    let base = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&text[base..]) {
        let offset = serde_offset(text, base, e.line(), e.column());
        return Err(bad(format!("not valid JSON: {e}"), offset));
    }
    let root = Scanner { text, pos: base }.value(0)?;
    let Kind::Object(top) = &root.kind else {
        return Err(bad("a task definition must be a JSON object", root.start));
    };
    let defs = match (get(top, "containerDefinitions"), get(top, "taskDefinition")) {
        (Some(defs), _) => defs,
        (None, Some(td)) => match &td.kind {
            Kind::Object(td_members) => {
                get(td_members, "containerDefinitions").ok_or_else(|| bad("`taskDefinition` has no `containerDefinitions` array", td.start))?
            }
            _ => return Err(bad("`taskDefinition` must be an object", td.start)),
        },
        (None, None) => return Err(bad("not a task definition: no `containerDefinitions` (nor `taskDefinition.containerDefinitions`)", root.start)),
    };
    let Kind::Array(items) = &defs.kind else {
        return Err(bad("`containerDefinitions` must be an array", defs.start));
    };
    let mut available = Vec::with_capacity(items.len());
    let mut found = None;
    for item in items {
        let Kind::Object(members) = &item.kind else {
            return Err(bad("each of `containerDefinitions` must be an object", item.start));
        };
        let name = string_field(members, "name", item.start, "a container needs a string `name`")?;
        if found.is_none() && name.value == container {
            found = Some(members);
        }
        available.push(name.value.clone());
    }
    let Some(members) = found else {
        return Err(Error::NoContainer { name: container.to_string(), available });
    };
    let mut env = ContainerEnv::default();
    for item in array_items(members, "environment")? {
        let m = object_item(item, "environment")?;
        let name = string_field(m, "name", item.start, "an `environment` item needs a string `name`")?;
        let (value, value_span) = match get(m, "value") {
            None => (String::new(), (item.start, item.start)),
            Some(Node { kind: Kind::Str(s), .. }) => (s.value.clone(), s.span),
            Some(v) => {
                let msg = format!(
                    "`value` of environment variable \"{}\" must be a string, not {}: \
                     ECS requires environment values to be strings (put it in quotes)",
                    name.value,
                    v.kind.what()
                );
                return Err(bad(msg, v.start));
            }
        };
        env.environment.push(Entry { name: name.value.clone(), value, name_span: name.span, value_span });
    }
    env.secrets = pairs(members, "secrets", "name", "valueFrom")?;
    env.environment_files = pairs(members, "environmentFiles", "type", "value")?;
    Ok(env)
}

/// The items of array `key`, each an object with strings `name_key` and `value_key`.
fn pairs(members: &[(Str, Node)], key: &str, name_key: &str, value_key: &str) -> Result<Vec<Entry>, Error> {
    let items = array_items(members, key)?;
    items
        .iter()
        .map(|item| {
            let m = object_item(item, key)?;
            let field = |k: &str| string_field(m, k, item.start, &format!("a `{key}` item needs a string `{k}`"));
            let (name, value) = (field(name_key)?, field(value_key)?);
            Ok(Entry { name: name.value.clone(), value: value.value.clone(), name_span: name.span, value_span: value.span })
        })
        .collect()
}

fn bad(message: impl Into<String>, offset: usize) -> Error {
    Error::Malformed { message: message.into(), offset }
}

/// Byte offset of serde_json's (1-based line, column) in `text`, where serde saw `text[base..]`.
fn serde_offset(text: &str, base: usize, line: usize, column: usize) -> usize {
    base + crate::diag::json_error_offset(text.get(base..).unwrap_or_default(), line, column)
}

/// The last member named `key` (serde_json's rule for duplicate keys).
fn get<'n>(members: &'n [(Str, Node)], key: &str) -> Option<&'n Node> {
    members.iter().rev().find(|(k, _)| k.value == key).map(|(_, v)| v)
}

fn string_field<'n>(members: &'n [(Str, Node)], key: &str, item: usize, msg: &str) -> Result<&'n Str, Error> {
    match get(members, key) {
        Some(Node { kind: Kind::Str(s), .. }) => Ok(s),
        Some(v) => Err(bad(format!("{msg}, not {}", v.kind.what()), v.start)),
        None => Err(bad(msg, item)),
    }
}

fn array_items<'n>(members: &'n [(Str, Node)], key: &str) -> Result<&'n [Node], Error> {
    match get(members, key) {
        None => Ok(&[]),
        Some(Node { kind: Kind::Array(items), .. }) => Ok(items),
        Some(v) => Err(bad(format!("`{key}` must be an array, not {}", v.kind.what()), v.start)),
    }
}

fn object_item<'n>(item: &'n Node, key: &str) -> Result<&'n [(Str, Node)], Error> {
    match &item.kind {
        Kind::Object(members) => Ok(members),
        other => Err(bad(format!("each of `{key}` must be an object, not {}", other.what()), item.start)),
    }
}

/// A decoded string and the byte span of its content between the quotes.
struct Str {
    value: String,
    span: (usize, usize),
}

/// A JSON value and the byte offset of its first character.
struct Node {
    start: usize,
    kind: Kind,
}

enum Kind {
    Object(Vec<(Str, Node)>),
    Array(Vec<Node>),
    Str(Str),
    /// A number, boolean or null: what it is, in words.
    Other(&'static str),
}

impl Kind {
    fn what(&self) -> &'static str {
        match self {
            Kind::Object(_) => "an object",
            Kind::Array(_) => "an array",
            Kind::Str(_) => "a string",
            Kind::Other(what) => what,
        }
    }
}

/// Span-keeping walk over text already validated as JSON. It still checks
/// what it relies on, so unexpected input gives an error, never a panic.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), Error> {
        self.ws();
        if self.peek() != Some(byte) {
            return Err(bad(format!("expected `{}`", byte as char), self.pos));
        }
        self.pos += 1;
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node, Error> {
        self.ws();
        let start = self.pos;
        if depth > 256 {
            return Err(bad("JSON nested too deeply", start));
        }
        let kind = match self.peek() {
            Some(open @ (b'{' | b'[')) => {
                let close = if open == b'{' { b'}' } else { b']' };
                let (mut members, mut items) = (Vec::new(), Vec::new());
                self.pos += 1;
                self.ws();
                if self.peek() == Some(close) {
                    self.pos += 1;
                } else {
                    loop {
                        if open == b'{' {
                            self.ws();
                            let key = self.string()?;
                            self.expect(b':')?;
                            members.push((key, self.value(depth + 1)?));
                        } else {
                            items.push(self.value(depth + 1)?);
                        }
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(c) if c == close => break self.pos += 1,
                            _ => return Err(bad(format!("expected `,` or `{}`", close as char), self.pos)),
                        }
                    }
                }
                if open == b'{' { Kind::Object(members) } else { Kind::Array(items) }
            }
            Some(b'"') => Kind::Str(self.string()?),
            Some(first) => {
                while matches!(self.peek(), Some(b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'+' | b'-' | b'.')) {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(bad("expected a JSON value", start));
                }
                Kind::Other(match first {
                    b't' | b'f' => "a boolean",
                    b'n' => "null",
                    _ => "a number",
                })
            }
            None => return Err(bad("unexpected end of JSON", start)),
        };
        Ok(Node { start, kind })
    }

    /// A string token at `pos`; decodes escapes, lone surrogates become U+FFFD.
    fn string(&mut self) -> Result<Str, Error> {
        if self.peek() != Some(b'"') {
            return Err(bad("expected a string", self.pos));
        }
        self.pos += 1;
        let content = self.pos;
        let mut value = String::new();
        loop {
            let run = self.pos;
            while !matches!(self.peek(), Some(b'"' | b'\\') | None) {
                self.pos += 1;
            }
            // Both ends sit at ASCII bytes (or the end), hence on char boundaries.
            value.push_str(self.text.get(run..self.pos).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Str { value, span: (content, self.pos - 1) });
                }
                Some(_) => {
                    let at = self.pos;
                    let escape = self.text.as_bytes().get(at + 1).copied();
                    self.pos = at + 2;
                    value.push(match escape {
                        Some(b'n') => '\n',
                        Some(b't') => '\t',
                        Some(b'r') => '\r',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(c @ (b'"' | b'\\' | b'/')) => c as char,
                        Some(b'u') => self.unicode_escape(at)?,
                        _ => return Err(bad("invalid escape in string", at)),
                    });
                }
                None => return Err(bad("unterminated string", content - 1)),
            }
        }
    }

    /// After `\u`: four hex digits, plus a following `\uXXXX` low surrogate
    /// if the first is a high one. Leaves `pos` after the last digit consumed.
    fn unicode_escape(&mut self, at: usize) -> Result<char, Error> {
        let hi = self.hex4().ok_or_else(|| bad("invalid \\u escape", at))?;
        if (0xD800..0xDC00).contains(&hi) && self.text.as_bytes().get(self.pos..self.pos + 2) == Some(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            match self.hex4() {
                Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
                }
                _ => self.pos = save,
            }
        }
        Ok(char::from_u32(hi).unwrap_or('\u{fffd}'))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let n = u32::from_str_radix(digits, 16).ok().filter(|_| digits.bytes().all(|b| b.is_ascii_hexdigit()))?;
        self.pos += 4;
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn malformed(r: Result<ContainerEnv, Error>) -> (String, usize) {
        match r {
            Err(Error::Malformed { message, offset }) => (message, offset),
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    fn at(text: &str, span: (usize, usize)) -> &str {
        &text[span.0..span.1]
    }

    const REGISTER: &str = r#"{"family": "web", "containerDefinitions": [
      {"name": "sidecar", "environment": [{"name": "X", "value": "1"}]},
      {"name": "app", "image": "x", "environment": [
        {"name": "PORT", "value": "8080"}, {"value": "b", "name": "MODE"}, {"name": "EMPTY"}],
       "secrets": [
        {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db"},
        {"name": "API_KEY", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-AbCdEf:key::"}],
       "environmentFiles": [{"value": "arn:aws:s3:::bucket/app.env", "type": "s3"}]}]}"#;

    #[test]
    fn register_shape_with_exact_spans() {
        let env = parse(REGISTER, "app").unwrap();
        let names: Vec<_> = env.environment.iter().map(|e| (e.name.as_str(), e.value.as_str())).collect();
        assert_eq!(names, [("PORT", "8080"), ("MODE", "b"), ("EMPTY", "")]);
        for e in env.environment.iter().chain(&env.secrets).chain(&env.environment_files) {
            assert_eq!(at(REGISTER, e.name_span), e.name);
            assert_eq!(at(REGISTER, e.value_span), e.value);
        }
        let empty = &env.environment[2];
        assert_eq!(empty.value_span.0, empty.value_span.1);
        assert_eq!(&REGISTER[empty.value_span.0..empty.value_span.0 + 1], "{");
    }

    #[test]
    fn describe_shape() {
        let text = format!(r#"{{"taskDefinition": {}, "tags": [{{"key": "a", "value": "b"}}]}}"#, REGISTER);
        let env = parse(&text, "sidecar").unwrap();
        assert_eq!(env.environment.len(), 1);
        assert_eq!(at(&text, env.environment[0].value_span), "1");
        assert_eq!(parse(&text, "app").unwrap().secrets.len(), 2);
    }

    #[test]
    fn secrets_ssm_and_secrets_manager_and_environment_files() {
        let env = parse(REGISTER, "app").unwrap();
        let (ssm, sm, file) = (&env.secrets[0], &env.secrets[1], &env.environment_files[0]);
        assert!(ssm.name == "DB_PASSWORD" && ssm.value.starts_with("arn:aws:ssm:"));
        assert!(sm.name == "API_KEY" && sm.value.starts_with("arn:aws:secretsmanager:") && sm.value.ends_with(":key::"));
        assert_eq!((file.name.as_str(), file.value.as_str()), ("s3", "arn:aws:s3:::bucket/app.env"));
        assert_eq!((at(REGISTER, file.name_span), at(REGISTER, sm.value_span)), ("s3", sm.value.as_str()));
    }

    #[test]
    fn escaped_values_are_decoded_and_spans_raw() {
        let text = r#"{"containerDefinitions": [{"name": "a\u0062", "environment": [
            {"name": "K\u00e9", "value": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00é"}]}]}"#;
        let env = parse(text, "ab").unwrap();
        let e = &env.environment[0];
        assert_eq!(e.name, "Ké");
        assert_eq!(e.value, "q\"\\/\u{8}\u{c}\n\r\té😀é");
        assert_eq!(at(text, e.value_span), r#"q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00é"#);
        assert_eq!(at(text, e.name_span), r#"K\u00e9"#);
    }

    #[test]
    fn container_not_found_lists_names() {
        assert_eq!(parse(REGISTER, "nope"), Err(Error::NoContainer { name: "nope".into(), available: vec!["sidecar".into(), "app".into()] }));
    }

    #[test]
    fn structural_errors() {
        let c = |inner: &str| format!(r#"{{"containerDefinitions": [{{"name": "a", {inner}}}]}}"#);
        let cases = [
            (r#"{"family": "x"}"#.to_string(), "no `containerDefinitions`", Some(0)),
            ("  [1]".into(), "must be a JSON object", Some(2)),
            (r#"{"containerDefinitions": {}}"#.into(), "must be an array", Some(25)),
            (r#"{"containerDefinitions": [{"image": "x"}]}"#.into(), "a container needs a string `name`", Some(26)),
            (r#"{"taskDefinition": {"family": "f"}}"#.into(), "`taskDefinition` has no", Some(19)),
            (c(r#""environment": {}"#), "`environment` must be an array", Some(55)),
            (c(r#""environment": [3]"#), "must be an object, not a number", Some(56)),
            (c(r#""environment": [{"value": "v"}]"#), "needs a string `name`", Some(56)),
            (c(r#""environment": [{"name": null}]"#), "not null", Some(65)),
            (c(r#""secrets": [{"name": "S"}]"#), "needs a string `valueFrom`", None),
            (c(r#""environmentFiles": [{"value": "v"}]"#), "needs a string `type`", None),
        ];
        for (text, needle, offset) in cases {
            let (m, o) = malformed(parse(&text, "a"));
            assert!(m.contains(needle) && offset.is_none_or(|x| x == o), "{text}: {m} at {o}");
        }
    }

    #[test]
    fn number_value_rejected() {
        let text = r#"{"containerDefinitions": [{"name": "a", "environment": [{"name": "PORT", "value": 8080}]}]}"#;
        let (m, o) = malformed(parse(text, "a"));
        assert!(m.contains("must be a string") && m.contains("ECS") && !m.contains("8080"), "{m}");
        assert_eq!(&text[o..o + 4], "8080");
    }

    #[test]
    fn duplicate_keys_last_wins_for_structure_entries_all_kept() {
        let text = r#"{"containerDefinitions": [], "containerDefinitions": [{"name": "x", "name": "a",
            "environment": [{"name": "K", "value": "1", "value": "2"}, {"name": "K", "value": "3"}]}]}"#;
        let env = parse(text, "a").unwrap();
        let values: Vec<_> = env.environment.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(values, ["2", "3"]);
        assert_eq!(at(text, env.environment[0].value_span), "2");
        assert!(matches!(parse(text, "x"), Err(Error::NoContainer { .. })));
    }

    #[test]
    fn bom_is_skipped_and_spans_stay_original() {
        let text = "\u{feff}{\"containerDefinitions\": [{\"name\": \"a\", \"environment\": [{\"name\": \"K\", \"value\": \"v\"}]}]}";
        let env = parse(text, "a").unwrap();
        assert_eq!(at(text, env.environment[0].value_span), "v");
        let (_, o) = malformed(parse("\u{feff}{\"a\": x}", "a"));
        assert_eq!(o, 9);
    }

    #[test]
    fn malformed_json_offset() {
        let (m, o) = malformed(parse(r#"{"a": x}"#, "a"));
        assert!(m.starts_with("not valid JSON"), "{m}");
        assert_eq!(o, 6);
        let text = "{\n  \"é€😀\": 1, \"b\": x }"; // serde's column counts bytes
        let (_, o) = malformed(parse(text, "a"));
        assert_eq!(&text[o..], "x }");
        let (_, o) = malformed(parse("{\"a\": \"é", "a"));
        assert!(o <= 9);
        for text in ["", " ", "\u{feff}", "{", "\"x", "{\"a\"\n:\n\n"] {
            let (_, o) = malformed(parse(text, "a"));
            assert!(o <= text.len() && text.is_char_boundary(o));
        }
    }

    #[test]
    fn deep_nesting_is_malformed_not_a_crash() {
        let text = "[".repeat(10_000);
        malformed(parse(&text, "a"));
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        malformed(parse(&text, "a"));
    }

    #[test]
    fn five_megabytes_parse_quickly() {
        let item = r#"{"name": "VARIABLE_NAME_\u0041", "value": "some value with \"escapes\" and é"},"#;
        let mut text = String::from(r#"{"containerDefinitions": [{"name": "a", "environment": ["#);
        while text.len() < 5_000_000 {
            text.push_str(item);
        }
        text.push_str(r#"{"name": "LAST", "value": "end"}]}]}"#);
        let started = std::time::Instant::now();
        let env = parse(&text, "a").unwrap();
        assert!(env.environment.len() > 50_000);
        assert_eq!(at(&text, env.environment.last().unwrap().value_span), "end");
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }
}
