//! The deployment recipes in ci/, exercised for real: the CodeDeploy hook script runs the binary
//! under test and fails the deployment unless the environment is the one the gate checked, and
//! every flag the recipes pass to preflight exists. (The YAML itself is not parsed here: that
//! would need a YAML crate.)
#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::Command;

use support::{manifest_dir, preflight, repo, run};

const SCRIPT: &str = "ci/codedeploy/before-allow-traffic.sh";

const CONFIG: &str = r#"schema = "env.schema.json"

[environments.production]
region = "us-east-1"
source = { dotenv = "prod.env" }
"#;

const SCHEMA: &str = r#"{
  "type": "object",
  "required": ["LAUNCH_AMI", "LOG_LEVEL", "DB_PASSWORD"],
  "properties": {
    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
    "LOG_LEVEL": {"type": "string", "enum": ["debug", "info"]},
    "DB_PASSWORD": {"type": "string"}
  }
}"#;

const SECRET: &str = "hook-test-secret-value-0x5eed";

fn env_file(level: &str) -> String {
    format!("LAUNCH_AMI=ami-0123456789abcdef0\nLOG_LEVEL={level}\nDB_PASSWORD={SECRET}\n")
}

fn production_repo() -> tempfile::TempDir {
    repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", &env_file("info"))])
}

/// The fingerprint `preflight check --offline` reports, as the CI gate would.
fn fingerprint(dir: &Path) -> String {
    let mut c = preflight(dir);
    c.args(["check", "--offline", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let fp = r.json()["fingerprint"].as_str().unwrap().to_string();
    assert!(fp.starts_with("sha256:"), "{fp}");
    fp
}

/// `bash ci/codedeploy/before-allow-traffic.sh` from the project root, with the environment
/// `support::preflight` gives the binary (never a real cloud, no inherited PREFLIGHT_*), the
/// binary under test first on PATH, PREFLIGHT_DIR set to `dir`, and `vars`.
fn hook_script(dir: &Path, vars: &[(&str, &str)]) -> support::Run {
    let mut c = Command::new("bash");
    c.arg(SCRIPT).current_dir(manifest_dir());
    let template = preflight(dir);
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_preflight")).parent().unwrap().to_path_buf();
    let mut path = vec![bin_dir];
    path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    c.env("PATH", std::env::join_paths(path).unwrap());
    c.env("PREFLIGHT_DIR", dir);
    for &(k, v) in vars {
        c.env(k, v);
    }
    run(c)
}

#[test]
fn the_codedeploy_hook_passes_the_checked_environment_and_blocks_a_changed_one() {
    let dir = production_repo();
    let fp = fingerprint(dir.path());

    let r = hook_script(dir.path(), &[("PREFLIGHT_OFFLINE", "true"), ("PREFLIGHT_EXPECT_FINGERPRINT", fp.as_str())]);
    assert_eq!(r.code, 0, "the environment the gate checked must pass:\n{}{}", r.stdout, r.stderr);

    // A late change to the environment after the gate: the deployment fails, and says why.
    std::fs::write(dir.path().join("prod.env"), env_file("debug")).unwrap();
    let r = hook_script(dir.path(), &[("PREFLIGHT_OFFLINE", "true"), ("PREFLIGHT_EXPECT_FINGERPRINT", fp.as_str())]);
    let out = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 1, "preflight's exit code is the hook's:\n{out}");
    assert!(out.contains("fingerprint-mismatch"), "{out}");
    assert!(r.stderr.contains("failing the deployment"), "{}", r.stderr);
    assert!(!out.contains(SECRET), "a secret value in the hook's output:\n{out}");
}

#[test]
fn the_codedeploy_hook_without_a_fingerprint_fails_and_says_how_to_give_one() {
    let dir = production_repo();
    let r = hook_script(dir.path(), &[("PREFLIGHT_OFFLINE", "true")]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no expected fingerprint") && r.stderr.contains("PREFLIGHT_EXPECT_FINGERPRINT"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "preflight must not run without a fingerprint:\n{}", r.stdout);

    // The other way in: the fingerprint file CI writes into the revision.
    std::fs::create_dir_all(dir.path().join(".preflight")).unwrap();
    std::fs::write(dir.path().join(".preflight/expected-fingerprint"), format!("{}\n", fingerprint(dir.path()))).unwrap();
    let r = hook_script(dir.path(), &[("PREFLIGHT_OFFLINE", "true")]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn the_codedeploy_hook_fails_closed_when_a_check_cannot_complete() {
    let dir = production_repo();
    let fp = fingerprint(dir.path());
    // Live this time, against the unreachable endpoint support::preflight sets: the image
    // lookup cannot complete, which is exit 3 and a failed deployment, never a pass.
    let r = hook_script(dir.path(), &[("PREFLIGHT_EXPECT_FINGERPRINT", fp.as_str()), ("PREFLIGHT_TIMEOUT", "2s")]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("failing closed"), "{}", r.stderr);
}

/// The `--flag` words of one line.
fn flags(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-')))
        .filter(|w| w.len() > 2 && w.starts_with("--") && w[2..].chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect()
}

/// Whether `help` names `flag` as a whole word.
fn mentions(help: &str, flag: &str) -> bool {
    help.match_indices(flag).any(|(i, _)| !help[i + flag.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-'))
}

#[test]
fn the_recipes_only_use_flags_the_binary_has() {
    let help_of = |cmd: &str| {
        let mut c = preflight(&manifest_dir());
        c.args([cmd, "--help"]);
        let r = run(c);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let (check_help, snapshot_help) = (help_of("check"), help_of("snapshot"));
    let mut used = 0;
    for file in ["ci/github/gate.yml", "ci/codedeploy/before-allow-traffic.sh", "ci/codedeploy/appspec-snippet.yml", "ci/argo/preflight-analysis.yaml"] {
        let text = std::fs::read_to_string(manifest_dir().join(file)).unwrap();
        for (n, line) in text.lines().enumerate() {
            // `preflight check ...` on one line, or a container's args as a YAML list (`- --env`).
            let help = if line.contains("preflight snapshot") {
                &snapshot_help
            } else if line.contains("preflight check") || line.trim_start().starts_with("- --") {
                &check_help
            } else {
                continue;
            };
            for flag in flags(line) {
                used += 1;
                assert!(mentions(help, flag), "{file}:{}: `{flag}` is not a flag of this preflight:\n{line}", n + 1);
            }
        }
    }
    assert!(used >= 10, "the recipes should pass preflight its flags ({used} found)");
}
