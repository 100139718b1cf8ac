//! `{{resolve:ssm:NAME}}` references inside values: parts must cover the value exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use preflight::env::reference::{Part, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    if let Ok(parts) = parse(value) {
        let mut rebuilt = String::new();
        for p in parts {
            match p {
                Part::Text(t) => rebuilt.push_str(&t),
                Part::Ref(r) => rebuilt.push_str(&value[r.start..r.end]),
            }
        }
        assert_eq!(rebuilt, value);
    }
});
