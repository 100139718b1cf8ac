//! Fuzzes the dotenv parser: any bytes must parse without panicking, and
//! every span and position it reports must point inside the input.
//!
//! Run with `cargo +nightly fuzz run env_parser` from the repository root.

#![no_main]

use libfuzzer_sys::fuzz_target;
use preflight::env::dotenv::{self, Pos, Span};

fuzz_target!(|data: &[u8]| {
    let parsed = dotenv::parse(data);
    // Spans must also fall on character boundaries of the text with each
    // invalid UTF-8 byte replaced by one placeholder, which keeps offsets.
    let text: String = data
        .utf8_chunks()
        .flat_map(|c| c.valid().chars().chain(std::iter::repeat_n('?', c.invalid().len())))
        .collect();
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
});
