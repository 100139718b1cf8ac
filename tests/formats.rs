//! One broken fixture through every output format: each is snapshotted (insta), SARIF is
//! validated against the official SARIF 2.1.0 schema, JUnit is parsed back, and a known secret
//! appears in none of them.

mod support;

use support::{preflight, repo, run};

const SECRET: &str = "s3cr3t-Value-that-must-not-leak";

const SCHEMA: &str = r#"{
  "type": "object",
  "required": ["PORT", "MODE", "REGION_NAME"],
  "additionalProperties": false,
  "properties": {
    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
    "PORT": {"type": "integer"},
    "MODE": {"type": "string", "enum": ["blue", "green"]},
    "DB_PASSWORD": {"type": "string", "pattern": "^x"},
    "REGION_NAME": {"type": "string"},
    "DEBUG": {"type": "boolean"}
  }
}"#;

fn fixture() -> tempfile::TempDir {
    let env = format!("LAUNCH_AMI=ami-12\nPORT=eighty\nMODE=blue\nDB_PASSWORD={SECRET}\nDEBUG=true\nDEBUG=false\nUNKNOWN=1\n");
    let cfg = "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"us-east-1\"\nsource = { dotenv = \"prod.env\" }\n";
    repo(&[("preflight.toml", cfg), ("env.schema.json", SCHEMA), ("prod.env", &env)])
}

fn render(dir: &std::path::Path, format: &str) -> support::Run {
    let mut c = preflight(dir);
    c.args(["check", "--offline", "--format", format]);
    let r = run(c);
    assert_eq!(r.code, 1, "{format}: {}{}", r.stdout, r.stderr);
    r
}

fn settings(dir: &std::path::Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(&regex_escape(&dir.display().to_string()), "[TMP]");
    s.add_filter(r#""version": "\d+\.\d+\.\d+""#, r#""version": "[VERSION]""#);
    s.add_filter(r#""semanticVersion": "\d+\.\d+\.\d+""#, r#""semanticVersion": "[VERSION]""#);
    s.add_filter(r#""commit": "([0-9a-f]{12}|unknown)""#, r#""commit": "[COMMIT]""#);
    s
}

fn regex_escape(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' { c.to_string() } else { format!("\\{c}") }).collect()
}

#[test]
fn every_format_snapshot_and_no_secret() {
    let dir = fixture();
    for format in ["human", "json", "sarif", "junit", "github"] {
        let r = render(dir.path(), format);
        assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET), "{format} leaked the secret:\n{}", r.stdout);
        settings(dir.path()).bind(|| insta::assert_snapshot!(format!("check_{format}"), r.stdout));
    }
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let dir = fixture();
    let r = render(dir.path(), "sarif");
    let log: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(support::manifest_dir().join("tests/fixtures/sarif-schema-2.1.0.json")).unwrap()).unwrap();
    // The official schema's two `language` patterns have a lone `]`
    // (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), which the draft-07 meta-schema's strict
    // ECMAScript (u-flag) regex check rejects, so the schema would not compile. The `]` is
    // escaped in memory (same language, same matches); the fixture stays the official copy.
    fn fix(v: &mut serde_json::Value, n: &mut usize) {
        match v {
            serde_json::Value::String(s) if s == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" => {
                *s = r"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\]?$".into();
                *n += 1;
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| fix(x, n)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| fix(x, n)),
            _ => {}
        }
    }
    let mut fixed = 0;
    fix(&mut schema, &mut fixed);
    assert!(fixed >= 1, "the fixture is the official schema, with its known language pattern");
    let validator = jsonschema::validator_for(&schema).expect("the official schema compiles");
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "SARIF output violates the 2.1.0 schema:\n{}", errors.join("\n"));
    // The schema would accept an empty log; check the content too.
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), preflight::checks::all_rules().len());
    let rule = run["tool"]["driver"]["rules"].as_array().unwrap().iter().find(|r| r["id"] == "env-type").unwrap();
    assert!(rule["help"]["markdown"].as_str().unwrap().contains("## How to fix"), "rules carry their explain text");
    let results = run["results"].as_array().unwrap();
    let port = results.iter().find(|r| r["ruleId"] == "env-type").unwrap();
    let loc = &port["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "prod.env");
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["startColumn"], 6);
    // A finding without an env-file location points at preflight.toml.
    let missing = results.iter().find(|r| r["ruleId"] == "env-missing").unwrap();
    assert_eq!(missing["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "preflight.toml");
    // And a non-SARIF document fails the same validator: the test can fail.
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.0.0", "runs": []})));
}

#[test]
fn junit_parses_back_with_a_case_per_variable() {
    let dir = fixture();
    let r = render(dir.path(), "junit");
    let doc = roxmltree::Document::parse(&r.stdout).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let env = suites.iter().find(|s| s.attribute("name") == Some("env")).expect("an env suite");
    let cases: Vec<_> = env.children().filter(|n| n.has_tag_name("testcase")).collect();
    let names: Vec<&str> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    for v in ["PORT", "MODE", "DB_PASSWORD", "DEBUG", "LAUNCH_AMI", "UNKNOWN", "REGION_NAME"] {
        assert!(names.contains(&v), "no case for {v}: {names:?}");
    }
    let failed = |name: &str| cases.iter().find(|c| c.attribute("name") == Some(name)).unwrap().children().any(|n| n.has_tag_name("failure"));
    assert!(failed("PORT") && failed("UNKNOWN") && failed("REGION_NAME"));
    assert!(!failed("MODE"), "a passing variable is a green case");
    assert!(!failed("DEBUG"), "a warning is not a failure");
    assert_eq!(
        root.attribute("failures").unwrap().parse::<usize>().unwrap(),
        suites.iter().map(|s| s.attribute("failures").unwrap().parse::<usize>().unwrap()).sum::<usize>()
    );
    assert!(suites.iter().any(|s| s.attribute("name") == Some("ami")), "resource checks get their own suite");
    for suite in &suites {
        let property = |name: &str| {
            suite.descendants().find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name)).and_then(|n| n.attribute("value")).map(str::to_string)
        };
        assert_eq!(property("verdict").as_deref(), Some("blocked"), "every suite carries the verdict");
        assert_eq!(property("environment").as_deref(), Some("production"));
        assert!(property("fingerprint").is_some_and(|f| f.starts_with("sha256:")));
    }
}

#[test]
fn github_annotations_point_at_lines() {
    let dir = fixture();
    let r = render(dir.path(), "github");
    assert!(r.stdout.lines().any(|l| l.starts_with("::error file=prod.env,line=2,col=6,title=preflight env-type::PORT: ")), "{}", r.stdout);
    assert!(r.stdout.lines().any(|l| l.starts_with("::warning file=prod.env,line=6")), "{}", r.stdout);
    // Under GitHub Actions with no --format, the human report also carries the annotations.
    let mut c = preflight(dir.path());
    c.args(["check", "--offline"]).env("GITHUB_ACTIONS", "true");
    let h = run(c);
    assert!(h.stdout.contains("production is BLOCKED") && h.stdout.contains("::error file=prod.env"), "{}", h.stdout);
    let mut c = preflight(dir.path());
    c.args(["check", "--offline"]);
    assert!(!run(c).stdout.contains("::error"), "no annotations outside GitHub Actions");
}

#[test]
fn unverified_checks_are_listed_in_every_format() {
    let cfg = "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"us-east-1\"\nsource = { dotenv = \"prod.env\" }\n";
    let dir = repo(&[("preflight.toml", cfg), ("env.schema.json", r#"{"type":"object"}"#), ("prod.env", "X={{resolve:ssm:/app/x}}\n")]);
    for format in ["human", "json", "sarif", "junit", "github"] {
        let mut c = preflight(dir.path());
        c.args(["check", "--offline", "--format", format]);
        let r = run(c);
        assert_eq!(r.code, 3, "{format}");
        assert!(r.stdout.contains("SSM reference"), "{format} does not list the unverified check:\n{}", r.stdout);
    }
}

/// The JSON report is what `schemas/report.schema.json` says it is, blocked or unverified.
#[test]
fn json_reports_follow_the_published_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(support::manifest_dir().join("schemas/report.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = fixture();
    let blocked = render(dir.path(), "json");
    assert_eq!(blocked.code, 1, "{}", blocked.stderr);
    let report: serde_json::Value = blocked.json();
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}\n{}", blocked.stdout);
    assert!(report["notes"].is_array(), "{}", blocked.stdout);
}
