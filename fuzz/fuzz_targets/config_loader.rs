//! preflight.toml loading: any bytes give a config or a located error, never a panic.
//! The property lives in `preflight::fuzzing`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| preflight::fuzzing::config_loader(data));
