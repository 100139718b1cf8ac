//! `arn-mismatch`: an ARN copied from another environment's region or account.

mod support;

use support::{Moto, preflight, repo, run};

const SCHEMA: &str = r#"{"type": "object", "properties": {
    "TOPIC_ARN": {"type": "string"},
    "QUEUE_URL": {"type": "string"},
    "KEY_ARN": {"type": "string"},
    "CERT_ARN": {"type": "string"},
    "ROLE_ARN": {"type": "string"},
    "DB_PASSWORD": {"type": "string"},
    "SECRET": {"type": "string", "x-aws": "secretsmanager:secret"}
}}"#;

fn config(account: Option<&str>) -> String {
    let account = account.map(|a| format!("account = \"{a}\"\n")).unwrap_or_default();
    format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"us-east-1\"\n{account}source = {{ dotenv = \"prod.env\" }}\n")
}

const ENV: &str = "TOPIC_ARN=arn:aws:sns:eu-west-1:222222222222:orders\n\
                   KEY_ARN=arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab\n\
                   CERT_ARN=arn:aws:acm:us-east-1:222222222222:certificate/abc\n\
                   ROLE_ARN=arn:aws:iam::222222222222:role/app\n\
                   DB_PASSWORD={{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:222222222222:secret:app/db-AbCdEf:SecretString:password}}\n\
                   SECRET=arn:aws:secretsmanager:us-east-1:222222222222:secret:app/api-AbCdEf\n";

fn findings(r: &support::Run) -> Vec<(String, String, String)> {
    let j = r.json();
    let mut out: Vec<(String, String, String)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "arn-mismatch")
        .map(|f| (f["key"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn offline_the_region_is_compared_and_the_account_when_it_is_set() {
    let dir = repo(&[("preflight.toml", &config(None)), ("env.schema.json", SCHEMA), ("prod.env", ENV)]);
    let mut c = preflight(dir.path());
    c.args(["check", "--env", "production", "--offline", "--format", "json"]);
    let r = run(c);
    let f = findings(&r);
    let keys: Vec<(&str, &str)> = f.iter().map(|(k, s, _)| (k.as_str(), s.as_str())).collect();
    // Offline nothing is looked up, so every mismatch is a warning; with no account, only regions.
    assert_eq!(keys, [("DB_PASSWORD", "warning"), ("TOPIC_ARN", "warning")], "{}", r.stdout);
    assert!(f[1].2.contains("names region eu-west-1, not the environment's us-east-1"), "{f:?}");
    let line = r.json()["findings"].as_array().unwrap().iter().find(|x| x["key"] == "TOPIC_ARN").unwrap()["location"]["line"].clone();
    assert_eq!(line, 1);

    std::fs::write(dir.path().join("preflight.toml"), config(Some("222222222222"))).unwrap();
    let mut c = preflight(dir.path());
    c.args(["check", "--env", "production", "--offline", "--format", "json"]);
    let r = run(c);
    let f = findings(&r);
    let keys: Vec<&str> = f.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(keys, ["DB_PASSWORD", "KEY_ARN", "TOPIC_ARN"], "the key of another account; IAM is global: {}", r.stdout);
    assert!(f[1].2.contains("names account 111111111111, not the environment's 222222222222"), "{f:?}");
}

/// Live, the account is the one STS answers, and a value preflight looks up is an error.
#[test]
fn live_a_looked_up_arn_of_another_account_is_an_error() {
    let Some(moto) = Moto::start() else { return };
    let env = "SECRET=arn:aws:secretsmanager:us-east-1:999999999999:secret:app/api-AbCdEf\nTOPIC_ARN=arn:aws:sns:us-east-1:999999999999:orders\n";
    let dir = repo(&[("preflight.toml", &config(None)), ("env.schema.json", SCHEMA), ("prod.env", env)]);
    let mut c = preflight(dir.path());
    c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["check", "--env", "production", "--format", "json"]);
    let r = run(c);
    let f = findings(&r);
    let keys: Vec<(&str, &str)> = f.iter().map(|(k, s, _)| (k.as_str(), s.as_str())).collect();
    assert_eq!(keys, [("SECRET", "error"), ("TOPIC_ARN", "warning")], "{}\n{}", r.stdout, r.stderr);
    assert!(f[0].2.contains("not the environment's 123456789012"), "{f:?}");
    assert_eq!(r.code, 1);
}
