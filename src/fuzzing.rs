//! The properties the fuzz targets check, shared with `tests/fuzz_regressions.rs`, which replays
//! every input kept under `fuzz/regressions/TARGET/` on each `ci/test`. A crash found by
//! `ci/fuzz` is copied there, so it stays a regression test after it is fixed.
//!
//! Each function panics when its property fails; that panic is what libFuzzer reports.

use crate::env::dotenv::{self, Pos, Span};
use crate::env::reference::{self, Part};

/// Target names, as in `fuzz/Cargo.toml` and `fuzz/regressions/`.
pub const TARGETS: [&str; 5] = ["env_parser", "config_loader", "lock_loader", "provenance_loader", "reference_parser"];

/// Runs the property of `target` on `data`. Unknown targets panic (a typo in a directory name
/// must not silently skip inputs).
pub fn run(target: &str, data: &[u8]) {
    match target {
        "env_parser" => env_parser(data),
        "config_loader" => config_loader(data),
        "lock_loader" => lock_loader(data),
        "provenance_loader" => provenance_loader(data),
        "reference_parser" => reference_parser(data),
        other => panic!("no fuzz target named {other:?}"),
    }
}

/// The dotenv parser: any bytes parse without panicking, and every span and position it reports
/// points inside the input, on a character boundary, in order, 1-based.
pub fn env_parser(data: &[u8]) {
    let parsed = dotenv::parse(data);
    // Spans must also fall on character boundaries of the text with each invalid UTF-8 byte
    // replaced by one placeholder, which keeps offsets.
    let text: String = data.utf8_chunks().flat_map(|c| c.valid().chars().chain(std::iter::repeat_n('?', c.invalid().len()))).collect();
    let check_span = |s: Span| {
        assert!(s.start <= s.end && s.end <= data.len(), "span {s:?} outside {} bytes", data.len());
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end), "span {s:?} splits a character");
    };
    let check_pos = |p: Pos| assert!(p.line >= 1 && p.column >= 1, "position {p:?} is not 1-based");

    let mut previous_key_end = 0;
    for entry in &parsed.entries {
        check_span(entry.key_span);
        check_pos(entry.key_pos);
        assert!(entry.key_span.start >= previous_key_end, "entries out of order: {entry:?}");
        previous_key_end = entry.key_span.end;
        assert_eq!(entry.value.is_some(), entry.value_span.is_some());
        assert_eq!(entry.value.is_some(), entry.value_pos.is_some());
        if let Some(span) = entry.value_span {
            check_span(span);
            assert!(span.start >= entry.key_span.end, "value before its key: {entry:?}");
        }
        if let Some(pos) = entry.value_pos {
            check_pos(pos);
        }
    }
    assert!(parsed.errors.len() <= 51, "{} errors, the cap is 50 plus a summary", parsed.errors.len());
    for error in &parsed.errors {
        check_span(error.span);
        check_pos(error.pos);
        assert!(!error.message.is_empty());
    }
}

/// preflight.toml: any bytes (lossy UTF-8) give a config or an error whose line is in the file.
pub fn config_loader(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    if let Err(e) = crate::config::parse(std::path::Path::new("preflight.toml"), text.clone())
        && let Some((line, _)) = e.line_col()
    {
        assert!(line <= text.lines().count() + 1, "error line {line} is past the end of the file");
    }
}

/// Lock files: any UTF-8 gives a lock or a tool error, never a panic.
pub fn lock_loader(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::lock::parse(text, "fuzz.lock.json");
    }
}

/// Provenance files: any UTF-8 gives a record or an error, never a panic.
pub fn provenance_loader(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::provenance::parse(text);
    }
}

/// `{{resolve:...}}` references: when a value parses, its parts rebuild it exactly.
pub fn reference_parser(data: &[u8]) {
    let Ok(value) = std::str::from_utf8(data) else { return };
    if let Ok(parts) = reference::parse(value) {
        let mut rebuilt = String::new();
        for p in parts {
            match p {
                Part::Text(t) => rebuilt.push_str(&t),
                Part::Ref(r) => rebuilt.push_str(&value[r.start..r.end]),
            }
        }
        assert_eq!(rebuilt, value, "the parts of a parsed value must rebuild it");
    }
}
