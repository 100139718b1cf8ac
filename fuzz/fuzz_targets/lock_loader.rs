//! Lock files (`preflight snapshot`): any bytes give a lock or a tool error, never a panic.
//! The property lives in `preflight::fuzzing`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| preflight::fuzzing::lock_loader(data));
