//! The command line as a user runs it, offline: exit codes, located findings, secrets kept
//! out of every output, and bad input of every kind handled without a panic.

mod support;

use support::{preflight, repo, run};

const SCHEMA: &str = r#"{
  "type": "object",
  "required": ["LAUNCH_AMI", "DB_PASSWORD", "PORT", "MODE"],
  "additionalProperties": false,
  "properties": {
    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
    "GROUPS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:security-group"}},
    "DB_PASSWORD": {"type": "string", "minLength": 40},
    "SIGNING_KEY": {"type": "string", "writeOnly": true, "pattern": "^k-"},
    "PORT": {"type": "integer", "minimum": 1024},
    "MODE": {"type": "string", "enum": ["blue", "green"]},
    "DEBUG": {"type": "boolean"},
    "HOSTS": {"type": "array", "items": {"type": "string"}, "minItems": 2}
  }
}"#;

const CONFIG: &str = r#"schema = "env.schema.json"

[environments.production]
region = "us-east-1"
source = { dotenv = "prod.env" }
"#;

/// The secret values below must never appear in any output.
const SECRET_1: &str = "hunter2-super-secret-value";
const SECRET_2: &str = "zz-signing-key-do-not-print";

fn broken_env() -> String {
    format!(
        "# production\n\
         LAUNCH_AMI=ami-123\n\
         DB_PASSWORD={SECRET_1}\n\
         SIGNING_KEY=\"{SECRET_2}\"\n\
         PORT=eighty\n\
         MODE=purple\n\
         DEBUG=yes\n\
         EXTRA=1\n\
         EXTRA=2\n\
         GROUPS=sg-zzz\n\
         this line is broken\n\
         HOSTS=a\n"
    )
}

fn broken_repo() -> tempfile::TempDir {
    repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", &broken_env())])
}

fn check(dir: &std::path::Path, args: &[&str]) -> support::Run {
    let mut c = preflight(dir);
    c.args(["check", "--offline"]).args(args);
    run(c)
}

#[test]
fn a_broken_env_file_names_every_problem_with_its_line() {
    let dir = broken_repo();
    let r = check(dir.path(), &["--format", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["preflight"], 1);
    assert_eq!(j["environment"], "production");
    assert_eq!(j["verdict"], "blocked");
    assert!(j["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    let mut got: Vec<(String, String, u64)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["key"].as_str().unwrap_or("").to_string(), f["location"]["line"].as_u64().unwrap_or(0)))
        .collect();
    got.sort();
    let want = [
        ("ami-not-found", "LAUNCH_AMI", 2),
        ("env-duplicate", "EXTRA", 9),
        ("env-schema", "DB_PASSWORD", 3),
        ("env-schema", "HOSTS", 12),
        ("env-schema", "MODE", 6),
        ("env-schema", "SIGNING_KEY", 4),
        ("env-syntax", "", 11),
        ("env-type", "DEBUG", 7),
        ("env-type", "PORT", 5),
        ("env-unknown", "EXTRA", 9),
        ("sg-not-found", "GROUPS", 10),
    ];
    let want: Vec<(String, String, u64)> = want.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), *c)).collect();
    assert_eq!(got, want, "{}", r.stdout);
    for f in j["findings"].as_array().unwrap() {
        assert!(!f["help"].as_str().unwrap().is_empty(), "finding without help: {f}");
        assert_eq!(f["location"]["path"], "prod.env");
        assert!(f["location"]["column"].as_u64().unwrap() >= 1);
    }
    // The value, not the key, is located for value problems.
    let port = j["findings"].as_array().unwrap().iter().find(|f| f["key"] == "PORT").unwrap();
    assert_eq!(port["location"]["column"], 6);
}

#[test]
fn a_missing_required_variable_is_env_missing() {
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", "LAUNCH_AMI=ami-0123456789abcdef0\nMODE=blue\n")]);
    let r = check(dir.path(), &["--format", "json"]);
    assert_eq!(r.code, 1);
    let f = r.findings();
    assert!(f.contains(&("env-missing".into(), "DB_PASSWORD".into(), "".into())), "{f:?}");
    assert!(f.contains(&("env-missing".into(), "PORT".into(), "".into())), "{f:?}");
}

#[test]
fn a_clean_environment_passes_with_exit_0() {
    let env = format!("LAUNCH_AMI=ami-0123456789abcdef0\nDB_PASSWORD={}\nPORT=8080\nMODE=blue\nDEBUG=0\nHOSTS=a, b\n", "x".repeat(40));
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", &env)]);
    let r = check(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("production is PASS"), "{}", r.stdout);
    let j = check(dir.path(), &["--format", "json"]).json();
    assert_eq!(j["verdict"], "pass");
    assert_eq!(j["checked"]["variables"], 6);
    assert_eq!(j["checked"]["images"], 1);
}

#[test]
fn secrets_never_reach_any_output() {
    let dir = broken_repo();
    let out_file = dir.path().join("report.json");
    let runs = [
        check(dir.path(), &[]),
        check(dir.path(), &["--format", "human"]),
        check(dir.path(), &["--format", "json"]),
        check(dir.path(), &["--format", "json", "--output", out_file.to_str().unwrap()]),
    ];
    let written = std::fs::read_to_string(&out_file).unwrap();
    assert!(written.contains("\"verdict\": \"blocked\""));
    for text in runs.iter().flat_map(|r| [r.stdout.clone(), r.stderr.clone()]).chain([written]) {
        for secret in [SECRET_1, SECRET_2, "hunter2", "do-not-print"] {
            assert!(!text.contains(secret), "secret {secret:?} leaked into:\n{text}");
        }
    }
    // The snippet is still shown, masked.
    assert!(runs[0].stdout.contains("DB_PASSWORD=*****"), "{}", runs[0].stdout);
}

#[test]
fn a_short_secret_does_not_garble_messages() {
    let env = "LAUNCH_AMI=ami-0123456789abcdef0\nDB_PASSWORD=short\nPORT=8080\nMODE=blue\n";
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", env)]);
    let r = check(dir.path(), &["--format", "json"]);
    let j = r.json();
    let f = j["findings"].as_array().unwrap().iter().find(|f| f["key"] == "DB_PASSWORD").unwrap();
    let m = f["message"].as_str().unwrap();
    assert!(m.contains("shorter than 40"), "{m}");
    assert!(!r.stdout.contains("\"short\""), "the value itself is never quoted");
}

#[test]
fn a_secret_in_an_unterminated_multiline_value_is_masked() {
    let env = "PORT=80\nDB_PASSWORD=\"line-one-secret\nline-two-secret\nMODE=blue\n";
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", env)]);
    for format in ["human", "json"] {
        let r = check(dir.path(), &["--format", format]);
        assert_eq!(r.code, 1);
        for secret in ["line-one-secret", "line-two-secret"] {
            assert!(!r.stdout.contains(secret), "{secret} leaked:\n{}", r.stdout);
        }
    }
}

#[test]
fn human_output_shows_the_line_and_underlines_the_value() {
    let dir = broken_repo();
    let r = check(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("error[env-type]"), "{}", r.stdout);
    assert!(r.stdout.contains("prod.env:5:6"), "{}", r.stdout);
    assert!(r.stdout.contains("PORT=eighty"), "{}", r.stdout);
    assert!(r.stdout.contains("─────"), "underline missing:\n{}", r.stdout);
    assert!(r.stdout.contains("production is BLOCKED"), "{}", r.stdout);
    assert!(!r.stdout.contains('\x1b'), "colour escapes with NO_COLOR set");
}

#[test]
fn expect_fingerprint_blocks_when_the_environment_changed() {
    let env = format!("LAUNCH_AMI=ami-0123456789abcdef0\nDB_PASSWORD={}\nPORT=8080\nMODE=blue\n", "x".repeat(40));
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", &env)]);
    let fp = check(dir.path(), &["--format", "json"]).json()["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(check(dir.path(), &["--expect-fingerprint", &fp]).code, 0);
    std::fs::write(dir.path().join("prod.env"), env.replace("8080", "8081")).unwrap();
    let r = check(dir.path(), &["--expect-fingerprint", &fp, "--format", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.rules(), ["fingerprint-mismatch"]);
}

#[test]
fn outside_git_the_commit_can_be_named_in_full_to_match_the_gate() {
    let env = format!("LAUNCH_AMI=ami-0123456789abcdef0\nDB_PASSWORD={}\nPORT=8080\nMODE=blue\n", "x".repeat(40));
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", &env)]);
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let a = check(dir.path(), &["--format", "json", "--rev", commit]).json()["fingerprint"].clone();
    let b = check(dir.path(), &["--format", "json"]).json()["fingerprint"].clone();
    assert_ne!(a, b, "the commit is part of the fingerprint");
    assert_eq!(check(dir.path(), &["--rev", commit, "--expect-fingerprint", a.as_str().unwrap()]).code, 0);
    assert_eq!(check(dir.path(), &["--rev", "HEAD"]).code, 2, "a symbolic rev needs a repository");
}

#[test]
fn flags_come_from_preflight_env_variables_too() {
    let dir = broken_repo();
    let mut c = preflight(dir.path());
    c.arg("check").env("PREFLIGHT_OFFLINE", "1").env("PREFLIGHT_FORMAT", "json").env("PREFLIGHT_ENV", "production");
    let r = run(c);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["environment"], "production");
}

#[test]
fn the_config_is_found_in_a_parent_directory_and_with_c() {
    let dir = broken_repo();
    let sub = dir.path().join("deep/er");
    std::fs::create_dir_all(&sub).unwrap();
    assert_eq!(check(&sub, &[]).code, 1);
    let mut c = preflight(std::path::Path::new("/"));
    c.args(["-C", dir.path().to_str().unwrap(), "check", "--offline"]);
    assert_eq!(run(c).code, 1);
    let mut c = preflight(std::path::Path::new("/"));
    c.args(["check", "--offline", "--config", dir.path().join("preflight.toml").to_str().unwrap()]);
    assert_eq!(run(c).code, 1);
}

// ---- exit 2: the tool could not be used ----

fn tool_error(files: &[(&str, &str)], args: &[&str]) -> support::Run {
    let dir = repo(files);
    let r = check(dir.path(), args);
    assert_eq!(r.code, 2, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r
}

#[test]
fn unknown_config_keys_point_at_their_line() {
    let cfg = CONFIG.replace("region = \"us-east-1\"", "region = \"us-east-1\"\nfailover_region = [\"us-west-2\"]");
    let r = tool_error(&[("preflight.toml", &cfg), ("env.schema.json", SCHEMA), ("prod.env", "")], &[]);
    assert!(r.stderr.contains("unknown field `failover_region`"), "{}", r.stderr);
    assert!(r.stderr.contains("preflight.toml:5:1"), "{}", r.stderr);
}

#[test]
fn bad_configs_schemas_and_flags_exit_2() {
    let base = [("env.schema.json", SCHEMA), ("prod.env", "")];
    // no config at all
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(check(dir.path(), &[]).code, 2);
    // garbage bytes as config
    let garbage = String::from_utf8_lossy(&[0xff, 0x00, 0x13, b'[', b'[', 0xfe]).into_owned();
    tool_error(&[("preflight.toml", &garbage), base[0], base[1]], &[]);
    // wrong type
    tool_error(&[("preflight.toml", &CONFIG.replace("\"us-east-1\"", "42")), base[0], base[1]], &[]);
    // unknown environment
    let r = tool_error(&[("preflight.toml", CONFIG), base[0], base[1]], &["--env", "prod"]);
    assert!(r.stderr.contains("production"), "{}", r.stderr);
    // malformed schema, deep schema, unknown x-aws kind
    tool_error(&[("preflight.toml", CONFIG), ("env.schema.json", "{\"type\": \"object\", "), base[1]], &[]);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    tool_error(&[("preflight.toml", CONFIG), ("env.schema.json", &deep), base[1]], &[]);
    tool_error(&[("preflight.toml", CONFIG), ("env.schema.json", r#"{"properties": {"A": {"x-aws": "ec2:ami"}}}"#), base[1]], &[]);
    // missing env file named by the config
    tool_error(&[("preflight.toml", CONFIG), base[0]], &[]);
    // bad flags
    tool_error(&[("preflight.toml", CONFIG), base[0], base[1]], &["--format", "yaml"]);
    tool_error(&[("preflight.toml", CONFIG), base[0], base[1]], &["--timeout", "soon"]);
}

// ---- bad environment input: findings, never panics ----

#[test]
fn garbage_env_files_are_findings_not_crashes() {
    let mut bytes: Vec<u8> = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
    }
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA)]);
    std::fs::write(dir.path().join("prod.env"), &bytes).unwrap();
    let r = check(dir.path(), &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let n = r.rules().iter().filter(|r| *r == "env-syntax").count();
    assert!((1..=51).contains(&n), "env-syntax findings are capped, got {n}");
}

#[test]
fn crlf_bom_and_invalid_utf8_are_handled() {
    let mut env = b"\xEF\xBB\xBFLAUNCH_AMI=ami-0123456789abcdef0\r\nPORT=8080\r\nMODE=bl\xffue\r\nDB_PASSWORD=".to_vec();
    env.extend_from_slice("x".repeat(40).as_bytes());
    env.extend_from_slice(b"\r\n");
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA)]);
    std::fs::write(dir.path().join("prod.env"), &env).unwrap();
    let r = check(dir.path(), &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = r.findings();
    assert!(f.iter().any(|(rule, _, _)| rule == "env-syntax"), "{f:?}");
    // MODE's line was dropped, so MODE is missing; the other lines parsed despite CRLF and BOM.
    assert!(f.contains(&("env-missing".into(), "MODE".into(), "".into())), "{f:?}");
    assert_eq!(f.len(), 2, "{f:?}");
}

#[test]
fn a_huge_env_file_is_reported_not_read() {
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA)]);
    let f = std::fs::File::create(dir.path().join("prod.env")).unwrap();
    f.set_len(65 << 20).unwrap();
    let r = check(dir.path(), &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.rules().contains(&"env-syntax".to_string()));
}

// ---- explain, init, completions ----

#[test]
fn explain_prints_each_rule_and_rejects_unknown_ones() {
    let dir = tempfile::tempdir().unwrap();
    for rule in ["env-syntax", "ami-not-in-failover-region", "sg-name-not-id", "artifact-stale", "fingerprint-mismatch"] {
        let mut c = preflight(dir.path());
        c.args(["explain", rule]);
        let r = run(c);
        assert_eq!(r.code, 0);
        for section in ["What it does", "Why is this bad?", "Example", "How to fix"] {
            assert!(r.stdout.contains(section), "{rule}: {section} missing");
        }
    }
    let mut c = preflight(dir.path());
    c.args(["explain", "ami-missing"]);
    let r = run(c);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("ami-not-found"), "the known rules are listed: {}", r.stderr);
    let mut c = preflight(dir.path());
    c.arg("explain");
    let r = run(c);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.lines().count(), preflight::checks::all_rules().len());
}

#[test]
fn init_infers_a_schema_and_never_overwrites() {
    let env = "LAUNCH_AMI=ami-0123456789abcdef0\nWEB_SGS=sg-0123456789abcdef0,sg-12345678\nSUBNET=subnet-0123456789abcdef0\nAPI_TOKEN=abc\nPORT=8080\nDEBUG=false\nNAME=web\n";
    let dir = repo(&[("deploy/production.env", env)]);
    let mut c = preflight(dir.path());
    c.args(["init", "--from", "deploy/production.env"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("env.schema.json")).unwrap()).unwrap();
    let p = &schema["properties"];
    assert_eq!(p["LAUNCH_AMI"]["x-aws"], "ec2:image");
    assert_eq!(p["WEB_SGS"]["items"]["x-aws"], "ec2:security-group");
    assert_eq!(p["SUBNET"]["x-aws"], "ec2:subnet");
    assert_eq!(p["API_TOKEN"]["writeOnly"], true);
    assert_eq!(p["PORT"]["type"], "integer");
    assert_eq!(p["DEBUG"]["type"], "boolean");
    assert_eq!(schema["required"].as_array().unwrap().len(), 7);
    let toml = std::fs::read_to_string(dir.path().join("preflight.toml")).unwrap();
    assert!(toml.contains("[environments.production]") && toml.contains("deploy/production.env"), "{toml}");
    // The starter config checks the env it came from, and passes.
    assert_eq!(check(dir.path(), &[]).code, 0);
    // A second init refuses and leaves the files alone.
    std::fs::write(dir.path().join("preflight.toml"), "# mine\n").unwrap();
    let mut c = preflight(dir.path());
    c.args(["init", "--from", "deploy/production.env"]);
    assert_eq!(run(c).code, 2);
    assert_eq!(std::fs::read_to_string(dir.path().join("preflight.toml")).unwrap(), "# mine\n");
}

#[test]
fn completions_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let mut c = preflight(dir.path());
        c.args(["completions", shell]);
        let r = run(c);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("preflight") && r.stdout.contains("check"), "{shell}");
    }
}

/// Metadata written behind `$ref`, `allOf` and `patternProperties` counts as if written on the
/// property: types convert, `x-aws` shapes are checked, `writeOnly` hides the value.
const REF_SCHEMA: &str = r##"{
  "type": "object",
  "$defs": {
    "ami": {"type": "string", "x-aws": "ec2:image"},
    "port": {"type": "integer", "minimum": 1024},
    "secret": {"type": "string", "writeOnly": true, "minLength": 64}
  },
  "properties": {
    "LAUNCH_AMI": {"$ref": "#/$defs/ami"},
    "PORT": {"allOf": [{"$ref": "#/$defs/port"}]},
    "SESSION_SEED": {"$ref": "#/$defs/secret"},
    "RETRIES": {"type": ["integer", "boolean"]},
    "REPLICAS": {"type": ["null", "integer"]},
    "DB": {"type": "object", "required": ["host"]}
  },
  "patternProperties": {"^PORT_": {"type": "integer"}},
  "additionalProperties": false
}"##;

#[test]
fn refs_all_of_pattern_properties_and_type_lists_lend_their_metadata() {
    let env = "LAUNCH_AMI=ami-zzz\nPORT=8080\nSESSION_SEED=seed-value-never-shown\nRETRIES=true\nREPLICAS=\nDB={}\nPORT_ADMIN=9000\nPORT_BAD=x\n";
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", REF_SCHEMA), ("prod.env", env)]);
    let r = check(dir.path(), &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let found = r.findings();
    let keys = |rule: &str| found.iter().filter(|f| f.0 == rule).map(|f| f.1.clone()).collect::<Vec<_>>();
    // x-aws behind $ref: the malformed id is caught offline.
    assert_eq!(keys("ami-not-found"), ["LAUNCH_AMI"], "{}", r.stdout);
    // PORT (allOf + $ref) and PORT_ADMIN (patternProperties) convert to integers; PORT_BAD does not.
    assert_eq!(keys("env-type"), ["PORT_BAD"], "{}", r.stdout);
    // A required key inside an object variable is a schema finding, not silence; the secret
    // behind $ref is too short, and said so without its value.
    let mut schema_keys = keys("env-schema");
    schema_keys.sort();
    assert_eq!(schema_keys, ["DB", "SESSION_SEED"], "{}", r.stdout);
    assert!(!r.stdout.contains("seed-value-never-shown"), "{}", r.stdout);
    assert!(r.json()["findings"].as_array().unwrap().iter().all(|f| f["key"] != "RETRIES" && f["key"] != "REPLICAS"), "{}", r.stdout);
}

/// Secrets in the places messages are easiest to leak from: a whole-environment error (which
/// quotes every value), a line without '=', and an unclosed quote that swallows the next line.
#[test]
fn secrets_stay_hidden_in_whole_environment_errors_and_unparsable_lines_in_every_format() {
    let schema = r##"{
      "type": "object",
      "properties": {"MODE": {"type": "string"}, "NOTE": {"type": "string"}, "DB_PASSWORD": {"type": "string"}, "API_TOKEN": {"type": "string"}},
      "anyOf": [{"required": ["MODE"]}, {"required": ["NOTE"]}],
      "maxProperties": 2
    }"##;
    let env = "DB_PASSWORD=pw-one-\"qq-inner\\\"-and-long\nexport API_TOKEN tok-without-equals-sign\nDB_PASSWORD: colon-form-secret\nNOTE=\"unclosed\nAPI_TOKEN=tok-swallowed-by-the-quote\n";
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", env)]);
    let out = dir.path().join("out.txt");
    let mut texts = Vec::new();
    for format in ["human", "json", "sarif", "junit", "github"] {
        let r = check(dir.path(), &["--format", format]);
        assert_eq!(r.code, 1, "{format}: {}{}", r.stdout, r.stderr);
        texts.push(format!("{}{}", r.stdout, r.stderr));
        let r = check(dir.path(), &["--format", format, "--output", out.to_str().unwrap()]);
        assert_eq!(r.code, 1);
        texts.push(std::fs::read_to_string(&out).unwrap());
    }
    for text in &texts {
        for secret in ["pw-one", "qq-inner", "and-long", "tok-without", "equals-sign", "colon-form", "swallowed"] {
            assert!(!text.contains(secret), "{secret:?} leaked into:\n{text}");
        }
    }
    assert!(texts[0].contains("env-syntax"), "{}", texts[0]);
}

#[test]
fn identical_problems_on_different_lines_are_each_reported() {
    let env = "=a\n=b\nMODE=blue\nMODE=green\nMODE=red\n";
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", r#"{"type":"object"}"#), ("prod.env", env)]);
    let r = check(dir.path(), &["--format", "json"]);
    let j = r.json();
    let lines = |rule: &str| -> Vec<u64> {
        j["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).map(|f| f["location"]["line"].as_u64().unwrap()).collect()
    };
    assert_eq!(lines("env-syntax"), [1, 2], "{}", r.stdout);
    assert_eq!(lines("env-duplicate"), [4, 5], "{}", r.stdout);
    let messages: Vec<&str> =
        j["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "env-duplicate").map(|f| f["message"].as_str().unwrap()).collect();
    assert!(messages[0].ends_with("line 3") && messages[1].ends_with("line 4"), "{messages:?}");
}

#[test]
fn findings_about_the_config_name_the_config_given() {
    let cfg = "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"us-east-1\"\nsource = { dotenv = \"prod.env\" }\n\n[[artifacts]]\nname = \"launcher\"\npaths = [\"tools\"]\nprovenance = \"dist/launcher.json\"\n";
    let dir = repo(&[("ci/prod.toml", cfg), ("ci/env.schema.json", r#"{"type":"object"}"#), ("ci/prod.env", "A=1\n"), ("ci/tools/main.go", "package main\n")]);
    let git = git2::Repository::init(dir.path()).unwrap();
    support::commit_all(&git, "init");
    let mut c = preflight(dir.path());
    c.args(["--config", "ci/prod.toml", "check", "--offline", "--format", "json"]);
    let r = run(c);
    let j = r.json();
    let f = j["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "artifact-unstamped").unwrap_or_else(|| panic!("{}{}", r.stdout, r.stderr));
    assert_eq!(f["location"]["path"], "prod.toml", "{}", r.stdout);
    assert_eq!(f["location"]["line"], 8);
}

#[test]
fn a_finding_about_one_list_item_points_at_that_item() {
    let env = "LAUNCH_AMI=ami-0123456789abcdef0\nDB_PASSWORD=x\nPORT=8080\nMODE=blue\nGROUPS=web, sg-12\n";
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", env)]);
    let r = check(dir.path(), &["--format", "json"]);
    let j = r.json();
    let f = j["findings"].as_array().unwrap().iter().find(|f| f["key"] == "GROUPS").unwrap_or_else(|| panic!("{}", r.stdout));
    assert_eq!(f["rule"], "sg-not-found");
    assert_eq!((f["location"]["line"].as_u64(), f["location"]["column"].as_u64()), (Some(5), Some(13)), "{}", r.stdout);
    let human = check(dir.path(), &[]);
    assert!(human.stdout.contains("prod.env:5:13"), "{}", human.stdout);
}

#[test]
fn a_huge_line_is_located_not_printed() {
    let long = "x".repeat(200_000);
    let env = format!("LAUNCH_AMI=ami-0123456789abcdef0\nDB_PASSWORD=x\nPORT={long}\nMODE=blue\nNOTE=\"{long}\n");
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", SCHEMA), ("prod.env", &env)]);
    let r = check(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.len() < 20_000, "{} bytes of report", r.stdout.len());
    assert!(r.stdout.contains("at prod.env:3:6"), "{}", &r.stdout[..r.stdout.len().min(3000)]);
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let dir = repo(&[]);
    let mut c = preflight(dir.path());
    c.arg("--version");
    let r = run(c);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with(&format!("preflight {} (commit ", env!("CARGO_PKG_VERSION"))), "{}", r.stdout);
}
