//! The dotenv parser: any bytes parse without panicking, with every span inside the input.
//! The property lives in `preflight::fuzzing`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| preflight::fuzzing::env_parser(data));
