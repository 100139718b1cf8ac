//! The adversarial review's findings (issue "Trust"), each as a test through the binary:
//! secrets behind every schema construct, escaped and on other lines; URL credentials; outputs
//! that would overwrite inputs; reads outside the repository; pipes; huge inputs; absurd flags;
//! missing credentials. Offline unless said otherwise.

mod support;

use std::path::Path;

use proptest::prelude::*;
use support::{preflight, repo, run};

const CONFIG: &str = "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"us-east-1\"\nsource = { dotenv = \"prod.env\" }\n";
const FORMATS: [&str; 5] = ["human", "json", "sarif", "junit", "github"];

/// Every form a secret could take in an output.
fn forms(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    let json = serde_json::to_string(secret).unwrap();
    out.push(json[1..json.len() - 1].to_string());
    let debug = format!("{secret:?}");
    out.push(debug[1..debug.len() - 1].to_string());
    for line in secret.split(['\n', '\r']).filter(|l| l.chars().count() >= 6) {
        out.push(line.to_string());
    }
    out
}

fn assert_absent(what: &str, text: &str, secret: &str) {
    for f in forms(secret) {
        assert!(!text.contains(&f), "{what} shows the secret {f:?}:\n{text}");
    }
}

/// Runs every format (stdout and --output), and snapshot, and returns each output's text.
fn all_outputs(dir: &Path) -> Vec<(String, String)> {
    let mut outs = Vec::new();
    for f in FORMATS {
        let mut c = preflight(dir);
        c.args(["check", "--offline", "--format", f]);
        let r = run(c);
        assert!(r.code == 0 || r.code == 1, "{f}: exit {}\n{}", r.code, r.stderr);
        outs.push((format!("{f} stdout"), r.stdout));
        outs.push((format!("{f} stderr"), r.stderr));
    }
    let mut c = preflight(dir);
    c.args(["check", "--offline", "--format", "json", "--output", "out/report.json"]);
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let r = run(c);
    outs.push(("--output file".into(), std::fs::read_to_string(dir.join("out/report.json")).unwrap_or_default()));
    outs.push(("--output stderr".into(), r.stderr));
    let mut c = preflight(dir);
    c.args(["snapshot", "--env", "production", "--offline"]);
    let r = run(c);
    outs.push(("snapshot stdout".into(), r.stdout));
    outs.push(("snapshot stderr".into(), r.stderr));
    if let Ok(lock) = std::fs::read_to_string(dir.join(".preflight/production.lock.json")) {
        outs.push(("lock".into(), lock));
    }
    outs
}

/// A dotenv double-quoted value that python-dotenv reads back as `s`.
fn dq(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n").replace('\r', "\\r"))
}

/// The schema constructs SPEC section 5 names, each marking S `writeOnly` (minLength 50 makes
/// a finding that would quote it).
fn construct(i: usize) -> (&'static str, String) {
    let wo = r#"{"type": "string", "writeOnly": true, "minLength": 50}"#;
    let props = |s: &str| format!(r#""properties": {{"S": {s}, "PLAIN": {{"type": "string", "enum": ["x"]}}, "MODE": {{"type": "string"}}}}"#);
    match i % 11 {
        0 => ("anyOf", format!("{{{}}}", props(&format!(r#"{{"anyOf": [{wo}]}}"#)))),
        1 => ("oneOf", format!("{{{}}}", props(&format!(r#"{{"oneOf": [{wo}, {{"type": "integer"}}]}}"#)))),
        2 => ("allOf", format!("{{{}}}", props(&format!(r#"{{"allOf": [{wo}]}}"#)))),
        3 => ("not", format!("{{{}}}", props(&format!(r#"{{"not": {{"not": {wo}}}}}"#)))),
        4 => ("if/then", format!(r#"{{{}, "if": {{"properties": {{"MODE": {{"const": "a"}}}}}}, "then": {{"properties": {{"S": {wo}}}}}}}"#, props("{}"))),
        5 => (
            "else",
            format!(
                r#"{{{}, "if": {{"properties": {{"MODE": {{"const": "zzz"}}}}, "required": ["MODE"]}}, "else": {{"properties": {{"S": {wo}}}}}}}"#,
                props("{}")
            ),
        ),
        6 => ("dependentSchemas", format!(r#"{{{}, "dependentSchemas": {{"MODE": {{"properties": {{"S": {wo}}}}}}}}}"#, props("{}"))),
        7 => ("$ref", format!(r#"{{"$defs": {{"s": {wo}}}, {}}}"#, props(r##"{"$ref": "#/$defs/s"}"##))),
        8 => ("file $ref", format!("{{{}}}", props(r#"{"$ref": "defs.json#/$defs/s"}"#))),
        9 => ("patternProperties", format!(r#"{{"patternProperties": {{"^S$": {wo}}}, {}}}"#, props(r#"{"type": "string"}"#))),
        _ => (
            "nested object",
            format!("{{{}}}", props(r#"{"type": "object", "properties": {"inner": {"type": "string", "writeOnly": true}}, "additionalProperties": false}"#)),
        ),
    }
}

fn secret_repo(i: usize, secret: &str) -> (tempfile::TempDir, &'static str) {
    let (name, schema) = construct(i);
    let s_value = if name == "nested object" { dq(&format!("{{\"inner\": 1, {}: 2}}", serde_json::to_string(secret).unwrap())) } else { dq(secret) };
    // PLAIN carries the secret inside a longer value (for the nested object, the secret is a
    // key of S's value, not a value of its own, so PLAIN stays plain).
    let plain = if name == "nested object" { "pre-post".to_string() } else { format!("pre-{secret}-post") };
    let env = format!("MODE=a\nS={s_value}\nPLAIN={}\n", dq(&plain));
    let dir = repo(&[
        ("preflight.toml", CONFIG),
        ("env.schema.json", &schema),
        ("defs.json", r#"{"$defs": {"s": {"type": "string", "writeOnly": true, "minLength": 50}}}"#),
        ("prod.env", &env),
    ]);
    (dir, name)
}

#[test]
fn write_only_behind_every_construct_hides_the_value_everywhere() {
    let secret = "zq-Secret\"with\\quote";
    for i in 0..11 {
        let (dir, name) = secret_repo(i, secret);
        for (what, text) in all_outputs(dir.path()) {
            assert_absent(&format!("{name}: {what}"), &text, secret);
        }
    }
}

#[test]
fn a_same_parity_secret_leaves_no_digest_in_the_lock() {
    let schema = r#"{"properties": {"S": {"anyOf": [{"type": "string", "writeOnly": true}]}, "x-parity-holder": {}}}"#;
    let schema = schema.replace(r#""writeOnly": true}]}"#, r#""writeOnly": true}], "x-parity": "same"}"#);
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", &schema), ("prod.env", "S=abcdefgh-secret\n")]);
    let mut c = preflight(dir.path());
    c.args(["snapshot", "--env", "production", "--offline"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lock: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(".preflight/production.lock.json")).unwrap()).unwrap();
    assert_eq!(lock["variables"]["S"]["secret"], true, "{lock}");
    assert!(lock["variables"]["S"].get("digest").is_none(), "{lock}");
}

/// How many random cases the end-to-end secret property tests run. Each case runs the binary
/// a dozen times, so they take their own count (`PREFLIGHT_SECRET_CASES`, default 12), not
/// `PROPTEST_CASES`, which sizes the cheap in-process property tests.
fn secret_cases(default: u32) -> u32 {
    std::env::var("PREFLIGHT_SECRET_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A random secret (quotes, backslashes, newlines, regex characters; also a substring of
/// another value) under a random construct never reaches any output, raw or escaped.
#[test]
fn random_secrets_never_leave() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config { cases: secret_cases(12), failure_persistence: None, ..Config::default() });
    let strategy = ("[a-z]{3}[a-zA-Z0-9\"'\\\\\n.*+?()\\[\\]{}|^$ -]{5,20}", 0usize..11);
    let result = runner.run(&strategy, |(secret, construct)| {
        if secret.trim().is_empty() || secret.ends_with('\\') {
            return Ok(());
        }
        let (dir, name) = secret_repo(construct, &secret);
        for (what, text) in all_outputs(dir.path()) {
            for f in forms(&secret) {
                prop_assert!(!text.contains(&f), "{}: {} shows {:?}", name, what, f);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn secrets_on_other_lines_and_json_escapes_are_masked() {
    // The secret also appears in a neighbour's line, next to a finding's line.
    let secret = "abc\"def-123";
    let schema = r#"{"properties": {"DB_PASSWORD": {"type": "string"}, "NOTE": {"type": "string"}, "PORT": {"type": "integer"}}}"#;
    let env = format!("DB_PASSWORD={}\nNOTE=\"copied {}\"\nPORT=eighty\n", dq(secret), secret.replace('"', "\\\""));
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", &env)]);
    for (what, text) in all_outputs(dir.path()) {
        assert_absent(&what, &text, secret);
    }
}

#[test]
fn keys_of_a_write_only_object_are_not_quoted() {
    let schema = r#"{"properties": {"CFG": {"type": "object", "writeOnly": true, "additionalProperties": false, "properties": {"a": {}}}}}"#;
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", "CFG={\"zz1secretkey\": 1}\n")]);
    for (what, text) in all_outputs(dir.path()) {
        assert!(!text.contains("zz1secretkey"), "{what}: {text}");
    }
}

#[test]
fn url_credentials_are_masked_in_every_format() {
    let schema = r#"{"properties": {"DATABASE_URL": {"type": "string", "pattern": "^mysql:"}, "CACHE": {"type": "string", "enum": ["x"]}}}"#;
    let env = "DATABASE_URL=postgres://app:pw-Very-Secret9@db.internal/app\nCACHE=redis://:cachePass99@cache:6379/0\n";
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", env)]);
    let outs = all_outputs(dir.path());
    for (what, text) in &outs {
        assert!(!text.contains("pw-Very-Secret9") && !text.contains("cachePass99"), "{what}: {text}");
    }
    // The findings are still there, by key.
    assert!(outs.iter().any(|(_, t)| t.contains("DATABASE_URL") && t.contains("CACHE")), "the findings should remain");
}

#[test]
fn fingerprint_is_keyed_or_slow_and_stable() {
    let schema = r#"{"properties": {"DB_PASSWORD": {"type": "string"}}}"#;
    let fp = |secret: &str, key: Option<&str>| {
        let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", &format!("DB_PASSWORD={secret}\n"))]);
        let mut c = preflight(dir.path());
        c.args(["check", "--offline", "--format", "json"]);
        if let Some(k) = key {
            c.env("PREFLIGHT_FINGERPRINT_KEY", k);
        }
        run(c).json()["fingerprint"].as_str().unwrap().to_string()
    };
    let a = fp("abcd", None);
    assert_eq!(a, fp("abcd", None), "same inputs, same fingerprint on any machine");
    assert_ne!(a, fp("abce", None));
    let k = fp("abcd", Some("ci-secret-key"));
    assert_ne!(k, a);
    assert_eq!(k, fp("abcd", Some("ci-secret-key")));
    assert_ne!(k, fp("abcd", Some("another-key")));
}

fn expect_tool_error(r: &support::Run, needle: &str) {
    assert_eq!(r.code, 2, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains(needle), "expected {needle:?} in:\n{}", r.stderr);
}

#[test]
fn output_never_overwrites_an_input() {
    let schema = r#"{"properties": {"A": {"type": "string"}}}"#;
    for target in ["env.schema.json", "prod.env", "preflight.toml", "./deploy/../prod.env"] {
        let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", "A=1\n"), ("deploy/x", "")]);
        let before = std::fs::read_to_string(dir.path().join(target)).unwrap();
        let mut c = preflight(dir.path());
        c.args(["check", "--offline", "--format", "json", "--output", target]);
        expect_tool_error(&run(c), "refusing to overwrite");
        assert_eq!(std::fs::read_to_string(dir.path().join(target)).unwrap(), before, "{target} was changed");
    }
}

#[test]
fn a_lock_pointing_at_an_input_or_through_a_symlink_is_refused() {
    let schema = r#"{"properties": {"A": {"type": "string"}}}"#;
    let cfg = CONFIG.replace("source = ", "lock = \"env.schema.json\"\nsource = ");
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", schema), ("prod.env", "A=1\n")]);
    let mut c = preflight(dir.path());
    c.args(["snapshot", "--env", "production", "--offline"]);
    expect_tool_error(&run(c), "refusing to overwrite");
    assert_eq!(std::fs::read_to_string(dir.path().join("env.schema.json")).unwrap(), schema);

    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", "A=1\n"), ("victim.txt", "keep")]);
    std::fs::create_dir_all(dir.path().join(".preflight")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("victim.txt"), dir.path().join(".preflight/production.lock.json")).unwrap();
    let mut c = preflight(dir.path());
    c.args(["snapshot", "--env", "production", "--offline"]);
    expect_tool_error(&run(c), "symlink");
    assert_eq!(std::fs::read_to_string(dir.path().join("victim.txt")).unwrap(), "keep");
}

#[test]
fn lock_writes_are_atomic_for_a_concurrent_reader() {
    let schema = r#"{"properties": {"A": {"type": "string", "x-parity": "same"}}}"#;
    let env: String = (0..2000).map(|i| format!("V{i}=value-{i}\n")).collect::<String>() + "A=1\n";
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", &env)]);
    let lock = dir.path().join(".preflight/production.lock.json");
    let mut c = preflight(dir.path());
    c.args(["snapshot", "--env", "production", "--offline"]);
    assert_eq!(run(c).code, 0);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (stop, lock) = (stop.clone(), lock.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let text = std::fs::read_to_string(&lock).unwrap();
                assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "a half-written lock was read");
                reads += 1;
            }
            reads
        })
    };
    for _ in 0..15 {
        let mut c = preflight(dir.path());
        c.args(["snapshot", "--env", "production", "--offline"]);
        assert_eq!(run(c).code, 0);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
}

#[test]
fn paths_outside_the_repository_are_refused() {
    let schema = r#"{"properties": {"A": {"type": "string"}}}"#;
    for path in ["/proc/self/environ", "../../../etc/passwd", "/etc/passwd"] {
        let cfg = CONFIG.replace("prod.env", path);
        let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", schema)]);
        let mut c = preflight(dir.path());
        c.args(["check", "--offline"]);
        let r = run(c);
        expect_tool_error(&r, path);
        assert!(!r.stdout.contains("root:") && !r.stderr.contains("root:x"), "{}", r.stderr);
    }
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", "A=1\n")]);
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("linked.env")).unwrap();
    std::fs::write(dir.path().join("preflight.toml"), CONFIG.replace("prod.env", "linked.env")).unwrap();
    let mut c = preflight(dir.path());
    c.args(["check", "--offline"]);
    expect_tool_error(&run(c), "outside the repository");
}

#[test]
fn a_file_ref_outside_the_repository_is_refused() {
    for r in ["file:///etc/passwd", "../../../../../etc/passwd"] {
        let schema = format!(r#"{{"properties": {{"A": {{"$ref": "{r}"}}}}}}"#);
        let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", &schema), ("prod.env", "A=1\n")]);
        let mut c = preflight(dir.path());
        c.args(["check", "--offline"]);
        let r2 = run(c);
        assert_eq!(r2.code, 2, "{r}: {}", r2.stderr);
        assert!(r2.stderr.contains("leaves the repository"), "{r}: {}", r2.stderr);
        assert!(!r2.stderr.contains("root:x"));
    }
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo failed");
}

#[test]
fn named_pipes_are_refused_not_waited_on() {
    let schema = r#"{"properties": {"A": {"type": "string"}}}"#;
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema)]);
    mkfifo(&dir.path().join("prod.env"));
    let mut c = preflight(dir.path());
    c.args(["check", "--offline", "--timeout", "3s"]);
    let r = run(c);
    expect_tool_error(&r, "named pipe");
    assert!(r.elapsed < std::time::Duration::from_secs(10));

    let dir = repo(&[]);
    mkfifo(&dir.path().join("in.env"));
    let mut c = preflight(dir.path());
    c.args(["init", "--from", "in.env"]);
    expect_tool_error(&run(c), "named pipe");

    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", r#"{"properties": {"A": {"$ref": "defs.json"}}}"#), ("prod.env", "A=1\n")]);
    mkfifo(&dir.path().join("defs.json"));
    let mut c = preflight(dir.path());
    c.args(["check", "--offline"]);
    expect_tool_error(&run(c), "named pipe");
}

#[test]
fn many_findings_of_one_rule_are_capped_per_file() {
    let schema = r#"{"properties": {"A": {"type": "string"}}}"#;
    let env = "A=1\n".repeat(40_000);
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", &env)]);
    for f in ["json", "human"] {
        let mut c = preflight(dir.path());
        c.args(["check", "--offline", "--format", f]);
        let r = run(c);
        assert_eq!(r.code, 0, "{}", r.stderr);
        if f == "json" {
            let n = r.json()["findings"].as_array().unwrap().len();
            assert_eq!(n, 51, "50 findings and one summary");
            assert!(r.stdout.contains("39949 more variables set again"), "{}", &r.stdout[r.stdout.len().saturating_sub(2000)..]);
        } else {
            assert!(r.stdout.matches("env-duplicate").count() <= 52);
        }
    }
}

#[test]
fn absurd_timeouts_are_usage_errors_not_panics() {
    let schema = r#"{"properties": {"A": {"type": "string"}}}"#;
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", "A=1\n")]);
    let mut wrong = Vec::new();
    for args in [
        vec!["check", "--timeout", "18446744073709551615s"],
        vec!["check", "--offline", "--timeout", "18446744073709551615s"],
        vec!["snapshot", "--env", "production", "--timeout", "18446744073709551615s"],
        vec!["check", "--timeout", "2h"],
    ] {
        let mut c = preflight(dir.path());
        c.args(&args);
        let r = run(c);
        let said = r.stderr.contains("limit of 1h") || r.stderr.contains("invalid value");
        if r.code != 2 || !said || r.stderr.contains("panicked") {
            wrong.push(format!("{args:?} -> exit {}: {}", r.code, r.stderr));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn missing_credentials_are_said_once_plainly() {
    let schema = r#"{"properties": {"AMI": {"type": "string", "x-aws": "ec2:image"}, "G": {"type": "string", "x-aws": "ec2:security-group"}, "P": {"type": "string", "x-aws": "ssm:parameter"}}}"#;
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", "AMI=ami-0123456789abcdef0\nG=sg-0123456789abcdef0\nP=/app/x\n")]);
    let mut c = preflight(dir.path());
    c.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
    c.args(["check", "--format", "json", "--timeout", "10s"]);
    let r = run(c);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let j = r.json();
    let unverified = j["unverified"].as_array().unwrap();
    assert_eq!(unverified.len(), 1, "{unverified:?}");
    let reason = unverified[0]["reason"].as_str().unwrap();
    assert!(reason.contains("no AWS credentials were found") && reason.contains("AWS_PROFILE"), "{reason}");
    assert_eq!(j["account"], serde_json::Value::Null);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Random `check` arguments (known flags with absurd, empty, huge or garbage values, and
    /// unknown ones) never panic: every run ends with a documented exit code.
    #[test]
    fn random_check_arguments_never_panic(
        args in proptest::collection::vec(
            prop_oneof![
                Just("--offline".to_string()),
                Just("--allow-unverified".to_string()),
                Just("--timeout".to_string()),
                Just("--format".to_string()),
                Just("--env".to_string()),
                Just("--against".to_string()),
                Just("--expect-fingerprint".to_string()),
                Just("--rev".to_string()),
                Just("--output".to_string()),
                Just("-C".to_string()),
                Just("18446744073709551615s".to_string()),
                Just("0s".to_string()),
                Just("-1s".to_string()),
                Just("production".to_string()),
                Just("../../etc/passwd".to_string()),
                Just("/dev/zero".to_string()),
                "[ -~]{0,12}",
                "\\PC{0,8}",
            ],
            0..7,
        )
    ) {
        let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", r#"{"properties": {"A": {"type": "string"}}}"#), ("prod.env", "A=1\n")]);
        let mut c = preflight(dir.path());
        c.arg("check").arg("--offline").args(&args);
        let r = run(c);
        prop_assert!([0, 1, 2, 3].contains(&r.code), "exit {} for {:?}: {}", r.code, args, r.stderr);
        prop_assert!(!r.stderr.contains("panicked"), "{:?}: {}", args, r.stderr);
    }
}
