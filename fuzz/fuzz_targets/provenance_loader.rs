//! Provenance files (`preflight stamp`): any bytes give a record or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = preflight::provenance::parse(text);
    }
});
