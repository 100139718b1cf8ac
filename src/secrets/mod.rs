//! Secrets: which variables are secret, and the masking every output passes through.
//!
//! One classifier ([`classify`]) decides, for `check`, `snapshot`, `init` and every renderer:
//! secret by schema (`writeOnly: true` at any depth, see `schema::refs`), by name, or by the
//! shape of the value (SPEC section 1); `"writeOnly": false` opts a variable out of the name and
//! shape rules. A run collects its secret variables once ([`SecretSet`]); messages ask it
//! whether they may quote a value, and the report is then masked with a [`Redactor`] built from
//! the same set, which also covers escaped forms, other lines of a source that contain the
//! value, and passwords inside URLs in any value.

pub mod classify;

use std::collections::BTreeSet;

use aho_corasick::{AhoCorasick, MatchKind};

pub use classify::{Reason, Shape, mask_url_credentials, url_passwords};

/// Shortest secret the redactor looks for inside other text. A shorter one is masked where it
/// is written (its own line) and never quoted by a message, but "abc" inside "abcdef" elsewhere
/// cannot be told from chance: that is the one residual limit, documented in the README.
pub const MIN_REDACT: usize = 6;

/// Why a variable is secret, or `None`. `schema` is what the schema says (`writeOnly`).
pub fn classify(name: &str, value: Option<&str>, schema: Option<bool>) -> Option<Reason> {
    classify::classify(name, value, schema)
}

/// The secret variables of one run, decided once every source has been read.
#[derive(Debug, Default, Clone)]
pub struct SecretSet {
    pub names: BTreeSet<String>,
}

impl SecretSet {
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// How a message names a value: quoted, or "the value" for a secret variable. The one
    /// place a variable's value is let into a message.
    pub fn show(&self, var: &str, value: &str) -> String {
        if self.contains(var) { "the value".to_string() } else { format!("`{value}`") }
    }
}

/// Masks secret values, in every form they take, in any text.
pub struct Redactor {
    matcher: Option<AhoCorasick>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor")
    }
}

/// The forms a value takes in outputs: as is, JSON-escaped (`abc\"def`), Rust/Debug-escaped,
/// and each of its lines (a snippet shows one line at a time).
fn forms(value: &str, out: &mut BTreeSet<String>) {
    let mut add = |s: String| {
        if s.chars().count() >= MIN_REDACT {
            out.insert(s);
        }
    };
    add(value.to_string());
    if let Ok(json) = serde_json::to_string(value) {
        add(json[1..json.len() - 1].to_string());
    }
    let debug = format!("{value:?}");
    add(debug[1..debug.len() - 1].to_string());
    if value.contains(['\n', '\r']) {
        for line in value.split(['\n', '\r']) {
            add(line.trim().to_string());
        }
    }
    for pw in url_passwords(value) {
        add(pw.to_string());
    }
}

impl Redactor {
    /// A redactor for these secret values, plus the URL passwords found in `others` (values of
    /// variables that are not secret as a whole: `DATABASE_URL=postgres://app:pw@db/app`).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>, others: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut needles = BTreeSet::new();
        for s in secrets {
            forms(s, &mut needles);
        }
        for o in others {
            for pw in url_passwords(o) {
                forms(pw, &mut needles);
            }
        }
        let matcher = if needles.is_empty() { None } else { AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(needles.iter()).ok() };
        Redactor { matcher }
    }

    /// The text with every secret replaced by `********`, and URL passwords masked.
    pub fn text(&self, s: &str) -> String {
        let masked = match &self.matcher {
            Some(m) if m.is_match(s) => {
                let mut out = String::with_capacity(s.len());
                m.replace_all_with(s, &mut out, |_, _, dst| {
                    dst.push_str("********");
                    true
                });
                out
            }
            _ => s.to_string(),
        };
        mask_url_credentials(&masked).into_owned()
    }

    pub fn scrub(&self, s: &mut String) {
        let masked = self.text(s);
        if masked != *s {
            *s = masked;
        }
    }

    /// The text with every secret, and every URL password, overwritten by `*` of the same byte
    /// length (line breaks kept): byte offsets into a source file stay valid.
    pub fn in_place(&self, text: &str) -> String {
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        if let Some(m) = &self.matcher {
            ranges.extend(m.find_iter(text).map(|x| (x.start(), x.end())));
        }
        let base = text.as_ptr() as usize;
        ranges.extend(url_passwords(text).into_iter().map(|pw| {
            let start = pw.as_ptr() as usize - base;
            (start, start + pw.len())
        }));
        if ranges.is_empty() {
            return text.to_string();
        }
        crate::report::mask_ranges(text, &ranges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_forms_and_lines_are_masked() {
        let r = Redactor::new(["abc\"def", "line-one-x\nline-two-y"], ["postgres://app:hunter22@db/app"]);
        assert_eq!(r.text(r#"value "abc\"def" is short"#), r#"value "********" is short"#);
        assert_eq!(r.text("got abc\"def"), "got ********");
        assert!(!r.text("x line-two-y").contains("line-two-y"));
        assert!(!r.text("DB hunter22 here").contains("hunter22"));
        let src = "A=abc\"def\nB=postgres://u:pass1234@h/db\n";
        let masked = r.in_place(src);
        assert_eq!(masked.len(), src.len());
        assert!(!masked.contains("abc\"def") && !masked.contains("pass1234"), "{masked}");
    }
}
