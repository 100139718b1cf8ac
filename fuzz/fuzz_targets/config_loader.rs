//! preflight.toml loading: any bytes give a config or a located error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    if let Err(e) = preflight::config::parse(std::path::Path::new("preflight.toml"), text.clone()) {
        if let Some((line, _)) = e.line_col() {
            assert!(line <= text.lines().count() + 1);
        }
    }
});
