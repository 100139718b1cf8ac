//! ECS task definitions as an environment (a file, or a registered revision read live) and env
//! files in docker's `--env-file` dialect, through the real binary; live parts against moto.

mod support;

use support::seed;
use support::{Moto, block_on, preflight, repo, run};

const EAST: &str = "us-east-1";
const DB_PASSWORD: &str = "Task-Def-Secret-Never-Read";

const SCHEMA: &str = r#"{
  "type": "object",
  "required": ["LAUNCH_AMI", "WEB_SECURITY_GROUPS", "DB_PASSWORD"],
  "properties": {
    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
    "WEB_SECURITY_GROUPS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:security-group"}},
    "API_URL": {"type": "string", "pattern": "^https://"},
    "DB_PASSWORD": {"type": "string"},
    "DB_HOST": {"type": "string"}
  }
}"#;

fn config(source: &str) -> String {
    format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nsource = {source}\n")
}

fn check(dir: &std::path::Path, endpoint: Option<&str>, format: &str) -> support::Run {
    let mut c = preflight(dir);
    c.args(["check", "--env", "production", "--format", format]);
    match endpoint {
        Some(e) => c.env("AWS_ENDPOINT_URL", e),
        None => c.arg("--offline"),
    };
    run(c)
}

/// The incident as a task definition: staging's AMI and group copied into production's
/// `environment`, the DB password from Secrets Manager in `secrets`.
fn task_definition(ami: &str, group: &str, secret_arn: &str, wrapped: bool) -> String {
    let body = format!(
        r#"{{
  "family": "web",
  "containerDefinitions": [
    {{ "name": "sidecar", "image": "envoy", "environment": [] }},
    {{
      "name": "web",
      "image": "registry.example.com/web:1.4",
      "environment": [
        {{ "name": "LAUNCH_AMI", "value": "{ami}" }},
        {{ "name": "WEB_SECURITY_GROUPS", "value": "{group}" }},
        {{ "name": "API_URL", "value": "https://api.example.com" }}
      ],
      "secrets": [
        {{ "name": "DB_PASSWORD", "valueFrom": "{secret_arn}" }},
        {{ "name": "DB_HOST", "valueFrom": "/app/prod/db_host" }}
      ]
    }}
  ]
}}"#
    );
    if wrapped { format!("{{\"taskDefinition\": {body}, \"tags\": []}}") } else { body }
}

#[test]
fn a_task_definition_file_is_an_environment_located_to_the_value() {
    for wrapped in [false, true] {
        let td =
            task_definition("ami-0000000000000dead", "sg-0123456789abcdef0", "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf", wrapped);
        let cfg = config("{ task_definition = \"deploy/web.json\", container = \"web\" }");
        let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", SCHEMA), ("deploy/web.json", &td)]);
        let r = check(dir.path(), None, "json");
        // Offline: the shapes are valid, nothing is looked up, the required variables are there.
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert_eq!(r.json()["checked"]["variables"], 5);
        // A bad value is located at its `value` in the JSON file.
        let bad = td.replace("\"https://api.example.com\"", "\"http://api.example.com\"");
        std::fs::write(dir.path().join("deploy/web.json"), &bad).unwrap();
        let r = check(dir.path(), None, "json");
        assert_eq!(r.code, 1, "{}", r.stdout);
        let f = &r.json()["findings"][0];
        assert_eq!(f["rule"], "env-schema");
        assert_eq!(f["location"]["path"], "deploy/web.json");
        let line = bad.lines().position(|l| l.contains("http://api")).unwrap() + 1;
        let column = bad.lines().nth(line - 1).unwrap().find("http://").unwrap() + 1;
        assert_eq!((f["location"]["line"].as_u64().unwrap() as usize, f["location"]["column"].as_u64().unwrap() as usize), (line, column), "{f}");
    }
}

#[test]
fn a_missing_container_or_a_malformed_file_is_a_tool_error() {
    let td = task_definition("ami-0123456789abcdef0", "sg-0123456789abcdef0", "/app/db", false);
    let dir = repo(&[
        ("preflight.toml", &config("{ task_definition = \"web.json\", container = \"api\" }")),
        ("env.schema.json", SCHEMA),
        ("web.json", &td),
        ("bad.json", "{\"containerDefinitions\": [{\"name\": \"web\", \"environment\": [{\"name\": \"PORT\", \"value\": 8080}]}]}"),
    ]);
    let r = check(dir.path(), None, "json");
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no container named `api`") && r.stderr.contains("sidecar, web"), "{}", r.stderr);
    std::fs::write(dir.path().join("preflight.toml"), config("{ task_definition = \"bad.json\", container = \"web\" }")).unwrap();
    let r = check(dir.path(), None, "json");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("bad.json:1:"), "located: {}", r.stderr);
    std::fs::write(dir.path().join("preflight.toml"), config("{ task_definition = \"web.json\" }")).unwrap();
    let r = check(dir.path(), None, "json");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("container"), "{}", r.stderr);
}

#[test]
fn task_definition_secrets_are_checked_to_exist_and_never_printed() {
    let Some(moto) = Moto::start() else { return };
    let (ami, group, secret) = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let vpc = east.vpc("10.1.0.0/16").await;
        let group = east.group("web-prod", &vpc).await;
        let ami = east.image("web-1.4").await;
        let secret = east.secret("app/prod/db", DB_PASSWORD, &[]).await;
        (ami, group, secret)
    });
    // The incident: staging's image, and a secret ARN whose secret production does not have;
    // DB_HOST's parameter is missing too.
    let td = task_definition("ami-0000000000000dead", &group, "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/staging/db-AbCdEf", false);
    let dir = repo(&[("preflight.toml", &config("{ task_definition = \"web.json\", container = \"web\" }")), ("env.schema.json", SCHEMA), ("web.json", &td)]);
    let r = check(dir.path(), Some(&moto.endpoint), "json");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let mut rules = r.rules();
    rules.sort();
    assert_eq!(rules, ["ami-not-found", "secret-not-found", "ssm-not-found"], "{}", r.stdout);
    // Fixed: the right image and secret; the parameter created.
    block_on(async { seed::cloud(&moto.endpoint, EAST).await.param("/app/prod/db_host", "db.internal").await });
    std::fs::write(dir.path().join("web.json"), task_definition(&ami, &group, &secret, false)).unwrap();
    for format in ["json", "human", "sarif", "junit", "github"] {
        let r = check(dir.path(), Some(&moto.endpoint), format);
        assert_eq!(r.code, 0, "{format}: {}\n{}", r.stdout, r.stderr);
        assert!(!r.stdout.contains(DB_PASSWORD) && !r.stderr.contains(DB_PASSWORD));
    }
}

#[test]
fn a_registered_revision_is_read_live_and_layered_with_other_sources() {
    let Some(moto) = Moto::start() else { return };
    let (arn, group) = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let vpc = east.vpc("10.1.0.0/16").await;
        let group = east.group("web-prod", &vpc).await;
        let ami = east.image("web-1.4").await;
        let secret = east.secret("app/prod/db", DB_PASSWORD, &[]).await;
        let arn =
            east.task_definition("web", "web", &[("LAUNCH_AMI", &ami), ("WEB_SECURITY_GROUPS", "sg-0000000000000dead")], &[("DB_PASSWORD", &secret)]).await;
        (arn, group)
    });
    let source = "[{ task_definition_arn = \"web:1\", container = \"web\" }, { dotenv = \"override.env\" }]";
    let dir = repo(&[("preflight.toml", &config(source)), ("env.schema.json", SCHEMA), ("override.env", "")]);
    let r = check(dir.path(), Some(&moto.endpoint), "json");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.rules(), ["sg-not-found"], "{}", r.stdout);
    let before = r.json()["fingerprint"].clone();
    // A later source overrides the revision's value.
    std::fs::write(dir.path().join("override.env"), format!("WEB_SECURITY_GROUPS={group}\n")).unwrap();
    let r = check(dir.path(), Some(&moto.endpoint), "json");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_ne!(r.json()["fingerprint"], before, "the fingerprint covers the task definition's variables");
    // The revision named by its full ARN reads the same revision, and the same fingerprint.
    let fixed = r.json()["fingerprint"].clone();
    std::fs::write(
        dir.path().join("preflight.toml"),
        config(&format!("[{{ task_definition_arn = \"{arn}\", container = \"web\" }}, {{ dotenv = \"override.env\" }}]")),
    )
    .unwrap();
    let r = check(dir.path(), Some(&moto.endpoint), "json");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["fingerprint"], fixed, "by ARN: {arn}");
    // A revision that is not registered is a tool error naming it.
    std::fs::write(dir.path().join("preflight.toml"), config("{ task_definition_arn = \"web:9\", container = \"web\" }")).unwrap();
    let r = check(dir.path(), Some(&moto.endpoint), "json");
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("web:9"), "{}", r.stderr);
    // Unreachable: unverified.
    let mut c = preflight(dir.path());
    c.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", support::free_port())).args(["check", "--env", "production", "--format", "json"]);
    assert_eq!(run(c).code, 3);
}

#[test]
fn docker_dialect_keeps_quotes_and_warns_where_the_dialects_differ() {
    let schema = r#"{"type": "object", "properties": {
        "API_URL": {"type": "string", "pattern": "^https://"},
        "GREETING": {"type": "string"},
        "DB_PASSWORD": {"type": "string"}
    }}"#;
    let env = "# docker env file\nAPI_URL=\"https://api.example.com\"\nGREETING=hello # not a comment\nDB_PASSWORD=\"Quoted-Secret-Never-Printed\"\n";
    let dir = repo(&[("preflight.toml", &config("{ dotenv = \"prod.env\", dialect = \"docker\" }")), ("env.schema.json", schema), ("prod.env", env)]);
    let r = check(dir.path(), None, "json");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let mut f = r.findings();
    f.sort();
    let keys: Vec<(&str, &str)> = f.iter().map(|(r, k, _)| (r.as_str(), k.as_str())).collect();
    // docker passes the quotes: the URL fails its pattern; each differing value is a warning.
    assert_eq!(keys, [("env-dialect", "API_URL"), ("env-dialect", "DB_PASSWORD"), ("env-dialect", "GREETING"), ("env-schema", "API_URL")], "{}", r.stdout);
    let j = r.json();
    let warn = j["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "env-dialect" && f["key"] == "API_URL").unwrap();
    assert!(warn["message"].as_str().unwrap().contains("\"https://api.example.com\""), "{warn}");
    assert_eq!(warn["severity"], "warning");
    assert_eq!(warn["location"]["line"], 2);
    for format in ["json", "human", "sarif", "junit", "github"] {
        let r = check(dir.path(), None, format);
        assert!(!r.stdout.contains("Quoted-Secret-Never-Printed") && !r.stderr.contains("Quoted-Secret-Never-Printed"), "{format}");
    }
    // The default dialect reads the same file as python-dotenv: no quotes, no warning.
    std::fs::write(dir.path().join("preflight.toml"), config("{ dotenv = \"prod.env\" }")).unwrap();
    assert_eq!(check(dir.path(), None, "json").code, 0);
    // docker refuses a whole file over one bad key.
    std::fs::write(dir.path().join("preflight.toml"), config("{ dotenv = \"prod.env\", dialect = \"docker\" }")).unwrap();
    std::fs::write(dir.path().join("prod.env"), "GOOD=1\nexport BAD=2\n").unwrap();
    let r = check(dir.path(), None, "json");
    assert_eq!(r.rules(), ["env-syntax"], "{}", r.stdout);
    std::fs::write(dir.path().join("preflight.toml"), config("{ dotenv = \"prod.env\", dialect = \"compose\" }")).unwrap();
    assert_eq!(check(dir.path(), None, "json").code, 2);
}

/// Production as a task definition is compared with staging's lock, recorded from a dotenv file.
#[test]
fn drift_compares_a_task_definition_with_a_dotenv_tested_lock() {
    let schema = r#"{"type": "object", "properties": {
        "LOG_LEVEL": {"type": "string", "x-parity": "same"},
        "API_URL": {"type": "string"},
        "DB_PASSWORD": {"type": "string"}
    }}"#;
    let td = |level: &str| {
        format!(
            r#"{{"containerDefinitions": [{{"name": "web", "environment": [{{"name": "LOG_LEVEL", "value": "{level}"}}, {{"name": "API_URL", "value": "https://api"}}],
               "secrets": [{{"name": "DB_PASSWORD", "valueFrom": "/app/prod/db_password"}}]}}]}}"#
        )
    };
    let cfg = format!(
        "schema = \"env.schema.json\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nsource = {{ dotenv = \"staging.env\" }}\n\n\
         [environments.production]\nregion = \"{EAST}\"\ntested_as = \"staging\"\nsource = {{ task_definition = \"web.json\", container = \"web\" }}\n"
    );
    let dir = repo(&[
        ("preflight.toml", &cfg),
        ("env.schema.json", schema),
        ("staging.env", "LOG_LEVEL=info\nAPI_URL=https://staging-api\nDB_PASSWORD=staging-Secret-Value-1234\n"),
        ("web.json", &td("info")),
    ]);
    let mut c = preflight(dir.path());
    c.args(["snapshot", "--env", "staging", "--offline"]);
    let snap = run(c);
    assert_eq!(snap.code, 0, "{}\n{}", snap.stdout, snap.stderr);
    let r = check(dir.path(), None, "json");
    assert!(!r.rules().iter().any(|x| x.starts_with("drift-")), "{}", r.stdout);
    std::fs::write(dir.path().join("web.json"), td("debug")).unwrap();
    let r = check(dir.path(), None, "json");
    assert_eq!(r.rules(), ["drift-value"], "{}", r.stdout);
    assert_eq!(r.json()["findings"][0]["location"]["path"], "web.json");
}

#[test]
fn a_name_in_both_environment_and_secrets_is_a_located_duplicate() {
    let td = r#"{"containerDefinitions": [{"name": "web",
        "environment": [{"name": "DB_PASSWORD", "value": "plain-in-env-1234"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": "/app/prod/db_password"}]}]}"#;
    let dir = repo(&[("preflight.toml", &config("{ task_definition = \"web.json\", container = \"web\" }")), ("env.schema.json", SCHEMA), ("web.json", td)]);
    let r = check(dir.path(), None, "json");
    let j = r.json();
    let dup = j["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "env-duplicate").unwrap_or_else(|| panic!("{}", r.stdout)).clone();
    assert_eq!(dup["key"], "DB_PASSWORD");
    assert_eq!(dup["location"]["line"], 3, "{dup}");
    assert!(!r.stdout.contains("plain-in-env-1234"), "a secret's value leaked:\n{}", r.stdout);
}

/// An env file the task definition's `environmentFiles` names, read as a dotenv source: ECS
/// passes its values as docker does, so where python-dotenv reads them differently it warns.
#[test]
fn a_dotenv_file_used_by_environment_files_warns_where_ecs_reads_it_differently() {
    let td = r#"{"containerDefinitions": [{"name": "web", "environment": [],
        "environmentFiles": [{"value": "arn:aws:s3:::shop-config/prod.env", "type": "s3"}, {"value": "arn:aws:s3:::shop-config/other.env", "type": "s3"}]}]}"#;
    let schema = r#"{"type": "object", "properties": {"API_URL": {"type": "string"}, "PLAIN": {"type": "string"}}}"#;
    let source = "[{ task_definition = \"web.json\", container = \"web\" }, { dotenv = \"deploy/prod.env\" }]";
    let dir = repo(&[
        ("preflight.toml", &config(source)),
        ("env.schema.json", schema),
        ("web.json", td),
        ("deploy/prod.env", "API_URL=\"https://api.example.com\"\nPLAIN=same\n"),
    ]);
    let r = check(dir.path(), None, "json");
    assert_eq!(r.code, 0, "warnings only: {}\n{}", r.stdout, r.stderr);
    let j = r.json();
    let f: Vec<&serde_json::Value> = j["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "env-dialect").collect();
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["key"], "API_URL");
    assert_eq!(f[0]["severity"], "warning");
    assert!(f[0]["message"].as_str().unwrap().contains("\"https://api.example.com\""), "{}", f[0]);
    // The other environment file is not in the repository: the human report says it was not checked.
    let human = check(dir.path(), None, "human");
    assert!(format!("{}{}", human.stdout, human.stderr).contains("other.env"), "{}{}", human.stdout, human.stderr);
}
