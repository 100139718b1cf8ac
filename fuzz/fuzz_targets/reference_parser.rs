//! `{{resolve:ssm:NAME}}` references inside values: parts must cover the value exactly.
//! The property lives in `preflight::fuzzing`, shared with tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| preflight::fuzzing::reference_parser(data));
