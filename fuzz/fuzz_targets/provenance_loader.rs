//! Provenance files (`preflight stamp`): any bytes give a record or an error, never a panic.
//! The property lives in `preflight::fuzzing`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| preflight::fuzzing::provenance_loader(data));
