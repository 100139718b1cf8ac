//! Lock files (`preflight snapshot`): any bytes give a lock or a tool error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = preflight::lock::parse(text, "fuzz.lock.json");
    }
});
