//! Replays every input kept under `fuzz/regressions/TARGET/` through the same property the
//! cargo-fuzz target checks (`preflight::fuzzing`). Crashes found by `ci/fuzz` land there, so
//! they stay regression tests; the hand-written edge cases there run on every `ci/test`.

use std::path::Path;

#[test]
fn every_kept_fuzz_input_satisfies_its_target_property() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut failures = Vec::new();
    for target in preflight::fuzzing::TARGETS {
        let dir = root.join(target);
        let mut inputs: Vec<_> =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{}: no inputs to replay", dir.display());
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            if let Err(panic) = std::panic::catch_unwind(|| preflight::fuzzing::run(target, &data)) {
                let why = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                failures.push(format!("{target}: {}: {}", input.display(), why.unwrap_or_default()));
            }
        }
    }
    assert!(failures.is_empty(), "fuzz regressions fail:\n{}", failures.join("\n"));
}

#[test]
fn every_fuzz_target_has_a_regression_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for target in preflight::fuzzing::TARGETS {
        assert!(manifest.contains(&format!("name = \"{target}\"")), "{target} is not a cargo-fuzz target");
        assert!(root.join("regressions").join(target).is_dir(), "fuzz/regressions/{target} is missing");
    }
}
