//! Every secret recognised (issue "Every secret recognised"): the public-sample corpus in
//! `tests/fixtures/secrets-corpus.tsv` (sources cited per row), with no schema marking any
//! secret, through every output format, `--output`, `snapshot` and `init`. No secret value is
//! printed, raw or escaped; the plain values a reader needs still are.

mod support;

use proptest::prop_assert;
use support::{preflight, repo, run};

const CONFIG: &str = "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"us-east-1\"\nsource = { dotenv = \"prod.env\" }\n";

struct Row {
    name: String,
    value: String,
    secret: bool,
}

fn corpus() -> Vec<Row> {
    let text = std::fs::read_to_string(support::manifest_dir().join("tests/fixtures/secrets-corpus.tsv")).unwrap();
    let rows: Vec<Row> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Row { name: cols[0].to_string(), value: cols[1].to_string(), secret: cols[2] == "secret" }
        })
        .collect();
    assert!(rows.len() >= 60 && rows.iter().filter(|r| r.secret).count() >= 20, "the corpus holds {} rows", rows.len());
    rows
}

fn dq(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}

fn forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    let debug = format!("{secret:?}");
    vec![secret.to_string(), json[1..json.len() - 1].to_string(), debug[1..debug.len() - 1].to_string()]
}

/// A repo whose schema lists every corpus variable as a plain string that only accepts a value
/// it never has: every variable gets a finding, and an unmasked value would be quoted in it.
fn corpus_repo(rows: &[Row]) -> tempfile::TempDir {
    let mut props = serde_json::Map::new();
    for r in rows {
        props.insert(r.name.clone(), serde_json::json!({"type": "string", "enum": ["never-this-value"]}));
    }
    let schema = serde_json::json!({"type": "object", "properties": props}).to_string();
    let env: String = rows.iter().map(|r| format!("{}={}\n", r.name, dq(&r.value))).collect();
    repo(&[("preflight.toml", CONFIG), ("env.schema.json", &schema), ("prod.env", &env)])
}

fn outputs(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut outs = Vec::new();
    for f in ["human", "json", "sarif", "junit", "github"] {
        let mut c = preflight(dir);
        c.args(["check", "--offline", "--format", f]);
        let r = run(c);
        assert_eq!(r.code, 1, "{f}: {}", r.stderr);
        outs.push((format!("{f} stdout"), r.stdout));
        outs.push((format!("{f} stderr"), r.stderr));
    }
    let mut c = preflight(dir);
    c.args(["check", "--offline", "--format", "sarif", "--output", "report.sarif"]);
    run(c);
    outs.push(("--output".into(), std::fs::read_to_string(dir.join("report.sarif")).unwrap()));
    let mut c = preflight(dir);
    c.args(["snapshot", "--env", "production", "--offline"]);
    let r = run(c);
    outs.push(("snapshot stdout".into(), r.stdout));
    outs.push(("snapshot stderr".into(), r.stderr));
    outs
}

#[test]
fn no_corpus_secret_reaches_any_output_and_plain_values_remain() {
    let rows = corpus();
    // In chunks of 40: a report lists at most 50 findings of one rule per file.
    let (mut shown, mut plain) = (0, 0);
    for chunk in rows.chunks(40) {
        let dir = corpus_repo(chunk);
        let outs = outputs(dir.path());
        for (what, text) in &outs {
            for r in rows.iter().filter(|r| r.secret) {
                for f in forms(&r.value) {
                    assert!(!text.contains(&f), "{what} shows {}'s secret value", r.name);
                }
            }
        }
        // What a reader needs stays readable: plain values are quoted in the JSON report.
        let json = &outs.iter().find(|(w, _)| w == "json stdout").unwrap().1;
        let inner = |v: &str| {
            let q = serde_json::to_string(v).unwrap();
            q[1..q.len() - 1].to_string()
        };
        shown += chunk.iter().filter(|r| !r.secret && r.value.len() >= 3 && json.contains(&inner(&r.value))).count();
        plain += chunk.iter().filter(|r| !r.secret && r.value.len() >= 3).count();
    }
    assert!(shown * 100 >= plain * 90, "only {shown} of {plain} plain values are shown");
}

#[test]
fn init_marks_each_corpus_secret_and_says_which_rule_never_the_value() {
    let rows = corpus();
    let env: String = rows.iter().map(|r| format!("{}={}\n", r.name, dq(&r.value))).collect();
    let dir = repo(&[("sample.env", &env)]);
    let mut c = preflight(dir.path());
    c.args(["init", "--from", "sample.env"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("env.schema.json")).unwrap()).unwrap();
    for row in rows.iter().filter(|r| r.secret) {
        assert_eq!(schema["properties"][&row.name]["writeOnly"], true, "{} not marked", row.name);
        assert!(r.stdout.lines().any(|l| l.starts_with(&format!("{}: secret (", row.name))), "{} not reported:\n{}", row.name, r.stdout);
        for f in forms(&row.value) {
            assert!(!r.stdout.contains(&f) && !r.stderr.contains(&f), "init printed {}'s value", row.name);
        }
    }
    assert!(r.stdout.contains("DB_PASS: secret (name word PASS)") || !rows.iter().any(|r| r.name == "DB_PASS"), "{}", r.stdout);
    // A URL carrying credentials is marked and said so.
    let dir = repo(&[("sample.env", "DATABASE_URL=postgres://app:pw-1234@db/app\nHOST=db\n")]);
    let mut c = preflight(dir.path());
    c.args(["init", "--from", "sample.env"]);
    let r = run(c);
    assert!(r.stdout.contains("DATABASE_URL: secret ("), "{}", r.stdout);
    assert!(!r.stdout.contains("pw-1234"));
}

/// A random secret under a random secret-looking name, no schema marking it, never reaches
/// any output. Each case runs the binary seven times, so it takes its own count
/// (`PREFLIGHT_SECRET_CASES`, default 16), not `PROPTEST_CASES`.
#[test]
fn a_random_secret_under_a_secret_name_never_leaves() {
    use proptest::test_runner::{Config, TestRunner};
    let cases = std::env::var("PREFLIGHT_SECRET_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let strategy = (
        "(APP|DB|STRIPE|SMTP|VAULT|SERVICE_ROLE|SLACK|)",
        "(PASS|PASSWORD|PWD|SECRET|TOKEN|CREDENTIALS|SALT|PRIVATE|KEY|ENC_KEY|APIKEY)",
        "[A-Za-z0-9+/=_.:@!%-]{8,40}",
    );
    let result = runner.run(&strategy, |(prefix, word, secret)| {
        let name = if prefix.is_empty() { word.clone() } else { format!("{prefix}_{word}") };
        let rows =
            vec![Row { name: name.clone(), value: secret.clone(), secret: true }, Row { name: "HOST".into(), value: format!("x{secret}y"), secret: false }];
        let dir = corpus_repo(&rows);
        for (what, text) in outputs(dir.path()) {
            for f in forms(&secret) {
                prop_assert!(!text.contains(&f), "{} shows {}'s value {:?}", what, name, f);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn write_only_false_opts_a_variable_out_of_the_name_and_shape_rules() {
    let schema = r#"{"properties": {"SESSION_KEY": {"type": "string", "writeOnly": false, "enum": ["x"]}, "API_KEY": {"type": "string", "enum": ["x"]}}}"#;
    let dir = repo(&[("preflight.toml", CONFIG), ("env.schema.json", schema), ("prod.env", "SESSION_KEY=_shop_session_cookie\nAPI_KEY=zzkeyvalue123\n")]);
    let mut c = preflight(dir.path());
    c.args(["check", "--offline", "--format", "json"]);
    let r = run(c);
    assert!(r.stdout.contains("_shop_session_cookie"), "the opted-out value is shown: {}", r.stdout);
    assert!(!r.stdout.contains("zzkeyvalue123"), "API_KEY stays secret by its name");
}
