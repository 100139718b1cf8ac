//! Secrets Manager references and failover readiness for everything named by name, end to end:
//! the real binary against moto's server mode. Under CI=true a missing emulator fails these.

mod support;

use std::collections::BTreeMap;

use support::seed;
use support::{Moto, block_on, preflight, repo, run};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";
const CENTRAL: &str = "eu-central-1";
/// Seeded as secret values: none may appear in any output.
const SECRET_VALUES: [&str; 3] = ["Db-Passw0rd-Never-Read", "Rotated-Passw0rd-Never-Read", "Api-Key-Value-Never-Read"];

fn config(failover: &[&str]) -> String {
    let regions: Vec<String> = failover.iter().map(|r| format!("\"{r}\"")).collect();
    format!(
        "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nfailover_regions = [{}]\nsource = {{ dotenv = \"prod.env\" }}\n",
        regions.join(", ")
    )
}

fn check(dir: &std::path::Path, endpoint: &str, format: &str) -> support::Run {
    let mut c = preflight(dir);
    c.env("AWS_ENDPOINT_URL", endpoint).args(["check", "--env", "production", "--format", format]);
    run(c)
}

fn assert_no_secret_value(r: &support::Run) {
    for v in SECRET_VALUES {
        assert!(!r.stdout.contains(v) && !r.stderr.contains(v), "a secret value leaked:\n{}\n{}", r.stdout, r.stderr);
    }
}

#[test]
fn secrets_manager_references_present_missing_deleted_staged_and_replicated() {
    let Some(moto) = Moto::start() else { return };
    let (db_arn, version) = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let db = east.secret("app/prod/db", SECRET_VALUES[0], &[WEST]).await;
        let version = east.rotate_secret("app/prod/db", SECRET_VALUES[1]).await;
        east.secret("app/prod/api-key", SECRET_VALUES[2], &[]).await;
        east.secret("app/prod/old", "old-value-never-read", &[]).await;
        east.schedule_secret_deletion("app/prod/old").await;
        (db, version)
    });
    let schema = r#"{"type": "object", "properties": {
        "DB_PASSWORD": {"type": "string", "minLength": 100},
        "DB_BY_ARN": {"type": "string"},
        "DB_BY_VERSION": {"type": "string"},
        "DB_PREVIOUS": {"type": "string"},
        "DB_BAD_STAGE": {"type": "string"},
        "API_KEY": {"type": "string"},
        "OLD": {"type": "string"},
        "GONE": {"type": "string"},
        "MALFORMED": {"type": "string"},
        "SECRET_NAME": {"type": "string", "x-aws": "secretsmanager:secret"}
    }}"#;
    let env = format!(
        "DB_PASSWORD={{{{resolve:secretsmanager:app/prod/db:SecretString:password}}}}\n\
         DB_BY_ARN={{{{resolve:secretsmanager:{db_arn}}}}}\n\
         DB_BY_VERSION={{{{resolve:secretsmanager:app/prod/db:SecretString:::{version}}}}}\n\
         DB_PREVIOUS={{{{resolve:secretsmanager:app/prod/db:SecretString::AWSPREVIOUS}}}}\n\
         DB_BAD_STAGE={{{{resolve:secretsmanager:app/prod/db:SecretString::NOPE}}}}\n\
         API_KEY={{{{resolve:secretsmanager:app/prod/api-key}}}}\n\
         OLD={{{{resolve:secretsmanager:app/prod/old}}}}\n\
         GONE={{{{resolve:secretsmanager:app/prod/gone}}}}\n\
         MALFORMED={{{{resolve:secretsmanager:app/prod/db:SecretBinary}}}}\n\
         SECRET_NAME=app/prod/db\n"
    );
    let dir = repo(&[("preflight.toml", &config(&[WEST])), ("env.schema.json", schema), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint, "json");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let mut f = r.findings();
    f.sort();
    let want = |rule: &str, key: &str, region: &str| (rule.to_string(), key.to_string(), region.to_string());
    assert_eq!(
        f,
        [
            // The api key has no replica in the failover region.
            want("secret-not-found", "DB_BAD_STAGE", EAST),
            want("secret-not-found", "GONE", EAST),
            want("secret-not-found", "MALFORMED", ""),
            want("secret-not-found", "OLD", EAST),
            want("secret-not-in-failover-region", "API_KEY", WEST),
        ],
        "{}",
        r.stdout
    );
    let j = r.json();
    let by_key = |k: &str| j["findings"].as_array().unwrap().iter().find(|f| f["key"] == k).unwrap().clone();
    assert!(by_key("OLD")["message"].as_str().unwrap().contains("scheduled for deletion"), "{}", r.stdout);
    assert!(by_key("DB_BAD_STAGE")["message"].as_str().unwrap().contains("NOPE"), "{}", r.stdout);
    let replicate = by_key("API_KEY")["help"].as_str().unwrap().to_string();
    assert!(replicate.contains("replicate-secret-to-regions") && replicate.contains("Region=us-west-2"), "{replicate}");
    assert_eq!(by_key("GONE")["location"]["line"], 8, "located at the value");
    // The value is unknown, so its schema keywords (minLength) are not applied.
    assert!(!r.rules().iter().any(|r| r == "env-schema"), "{}", r.stdout);
    assert!(j["checked"]["secrets"].as_u64().unwrap() >= 4, "{}", j["checked"]);
    assert_no_secret_value(&r);
    for format in ["human", "sarif", "junit", "github"] {
        let r = check(dir.path(), &moto.endpoint, format);
        assert_eq!(r.code, 1, "{format}");
        assert_no_secret_value(&r);
        if format == "human" {
            // The JSON key cannot be checked without the value: the report says so.
            let all = format!("{}{}", r.stdout, r.stderr);
            assert!(all.contains("the JSON key `password` of secret app/prod/db was not checked"), "{all}");
        }
    }
}

#[test]
fn no_call_ever_returns_a_secret_value() {
    let Some(moto) = Moto::start() else { return };
    block_on(async { seed::cloud(&moto.endpoint, EAST).await.secret("app/prod/db", SECRET_VALUES[0], &[]).await });
    let schema = r#"{"type": "object", "properties": {"DB": {"type": "string"}, "NAME": {"type": "string", "x-aws": "secretsmanager:secret"}}}"#;
    let env = "DB={{resolve:secretsmanager:app/prod/db}}\nNAME=app/prod/db\n";
    let dir = repo(&[("preflight.toml", &config(&[])), ("env.schema.json", schema), ("prod.env", env)]);
    moto.start_recording();
    let r = check(dir.path(), &moto.endpoint, "json");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let actions = moto.recorded_actions();
    assert!(actions.iter().any(|a| a == "secretsmanager:ListSecrets"), "{actions:?}");
    assert!(!actions.iter().any(|a| a.contains("GetSecretValue") || a.contains("BatchGetSecretValue")), "{actions:?}");
    assert_no_secret_value(&r);
}

/// A secret's rotation changes the fingerprint though nothing is read; the value stays out of
/// the lock.
#[test]
fn rotating_a_secret_changes_the_fingerprint_and_the_lock_holds_presence_only() {
    let Some(moto) = Moto::start() else { return };
    block_on(async { seed::cloud(&moto.endpoint, EAST).await.secret("app/prod/db", SECRET_VALUES[0], &[]).await });
    let schema = r#"{"type": "object", "properties": {"DB": {"type": "string"}}}"#;
    let dir = repo(&[("preflight.toml", &config(&[])), ("env.schema.json", schema), ("prod.env", "DB={{resolve:secretsmanager:app/prod/db}}\n")]);
    let before = check(dir.path(), &moto.endpoint, "json");
    assert_eq!(before.code, 0, "{}", before.stdout);
    let again = check(dir.path(), &moto.endpoint, "json");
    assert_eq!(before.json()["fingerprint"], again.json()["fingerprint"], "stable while nothing changes");
    block_on(async { seed::cloud(&moto.endpoint, EAST).await.rotate_secret("app/prod/db", SECRET_VALUES[1]).await });
    let after = check(dir.path(), &moto.endpoint, "json");
    assert_ne!(before.json()["fingerprint"], after.json()["fingerprint"], "a rotation is a new environment");

    let mut c = preflight(dir.path());
    c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["snapshot", "--env", "production"]);
    let snap = run(c);
    assert_eq!(snap.code, 0, "{}\n{}", snap.stdout, snap.stderr);
    let lock = std::fs::read_to_string(dir.path().join(".preflight/production.lock.json")).unwrap();
    assert!(!lock.contains("app/prod/db:") && !SECRET_VALUES.iter().any(|v| lock.contains(v)), "{lock}");
}

/// SSM parameters, secrets, key pairs, launch templates by name and instance types, in every
/// failover region; ids (`sg-`, `lt-`) are not looked up there.
#[test]
fn failover_regions_are_checked_for_everything_named_by_name() {
    let Some(moto) = Moto::start() else { return };
    let lt_id = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let west = seed::cloud(&moto.endpoint, WEST).await;
        for side in [&east, &west] {
            side.param("/app/prod/both", "x").await;
            side.key_pair("both-key").await;
        }
        east.param("/app/prod/east-only", "y").await;
        east.key_pair("east-key").await;
        east.launch_template("east-lt").await;
        east.secret("app/prod/replicated", SECRET_VALUES[0], &[WEST]).await;
        east.launch_template("by-id").await
    });
    let schema = r#"{"type": "object", "properties": {
        "BOTH": {"type": "string"}, "EAST_ONLY": {"type": "string"},
        "PARAM": {"type": "string", "x-aws": "ssm:parameter"},
        "KEY": {"type": "string", "x-aws": "ec2:key-pair"}, "EAST_KEY": {"type": "string", "x-aws": "ec2:key-pair"},
        "LT": {"type": "string", "x-aws": "ec2:launch-template"}, "LT_ID": {"type": "string", "x-aws": "ec2:launch-template"},
        "TYPE": {"type": "string", "x-aws": "ec2:instance-type"},
        "REPLICATED": {"type": "string"}
    }}"#;
    let env = format!(
        "BOTH={{{{resolve:ssm:/app/prod/both}}}}\nEAST_ONLY={{{{resolve:ssm:/app/prod/east-only}}}}\nPARAM=/app/prod/east-only\n\
         KEY=both-key\nEAST_KEY=east-key\nLT=east-lt\nLT_ID={lt_id}\nTYPE=t3.micro\nREPLICATED={{{{resolve:secretsmanager:app/prod/replicated}}}}\n"
    );
    let dir = repo(&[("preflight.toml", &config(&[WEST])), ("env.schema.json", schema), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint, "json");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let mut f = r.findings();
    f.sort();
    let want = |rule: &str, key: &str| (rule.to_string(), key.to_string(), WEST.to_string());
    assert_eq!(
        f,
        [
            want("key-pair-not-found", "EAST_KEY"),
            want("launch-template-not-found", "LT"),
            want("ssm-not-in-failover-region", "EAST_ONLY"),
            want("ssm-not-in-failover-region", "PARAM"),
        ],
        "{}",
        r.stdout
    );
    let j = r.json();
    let help = j["findings"].as_array().unwrap().iter().find(|f| f["key"] == "EAST_ONLY").unwrap()["help"].as_str().unwrap().to_string();
    assert!(help.contains("aws ssm put-parameter --region us-west-2"), "{help}");

    let mut c = preflight(dir.path());
    c.args(["explain", "ssm-not-in-failover-region"]);
    let explain = run(c);
    assert!(explain.stdout.contains("sg-") && explain.stdout.contains("lt-"), "explain says ids are not checked in failover regions:\n{}", explain.stdout);
}

/// 200 variables naming 20 parameters and 20 secrets, with two failover regions: calls grow
/// with regions and kinds (and one per ten distinct names), never with the variables.
#[test]
fn secrets_and_parameters_across_failover_regions_are_batched() {
    let Some(moto) = Moto::start() else { return };
    block_on(async {
        let clouds = [seed::cloud(&moto.endpoint, EAST).await, seed::cloud(&moto.endpoint, WEST).await, seed::cloud(&moto.endpoint, CENTRAL).await];
        for i in 0..20 {
            for c in &clouds {
                c.param(&format!("/batch/p{i:02}"), "v").await;
            }
            clouds[0].secret(&format!("batch/s{i:02}"), &format!("never-read-{i}"), &[WEST, CENTRAL]).await;
        }
    });
    let repo_with = |copies: usize| {
        let mut props = BTreeMap::new();
        let mut env = String::new();
        for copy in 0..copies {
            for i in 0..20 {
                props.insert(format!("P_{copy}_{i}"), serde_json::json!({"type": "string"}));
                props.insert(format!("S_{copy}_{i}"), serde_json::json!({"type": "string"}));
                env.push_str(&format!("P_{copy}_{i}={{{{resolve:ssm:/batch/p{i:02}}}}}\nS_{copy}_{i}={{{{resolve:secretsmanager:batch/s{i:02}}}}}\n"));
            }
        }
        let schema = serde_json::json!({"type": "object", "properties": props}).to_string();
        repo(&[("preflight.toml", &config(&[WEST, CENTRAL])), ("env.schema.json", &schema), ("prod.env", &env)])
    };
    let count = |dir: &std::path::Path| {
        moto.start_recording();
        let r = check(dir, &moto.endpoint, "json");
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for a in moto.recorded_actions() {
            *counts.entry(a).or_default() += 1;
        }
        counts
    };
    let five = repo_with(5); // 200 variables
    let small = count(five.path());
    // Per region: 2 GetParameters and 2 ListSecrets (ten names a call); three regions.
    assert_eq!(small.get("ssm:GetParameters"), Some(&6), "{small:?}");
    assert_eq!(small.get("secretsmanager:ListSecrets"), Some(&6), "{small:?}");
    assert_eq!(small.get("secretsmanager:DescribeSecret"), None, "{small:?}");
    let ten = repo_with(10); // 400 variables, the same resources
    assert_eq!(count(ten.path()), small, "doubling the variables on the same resources adds no call");
}

/// Secrets Manager's throttling is retried within the deadline; AccessDenied is unverified
/// (exit 3), never `secret-not-found`.
#[test]
fn secrets_manager_throttling_is_retried_and_access_denied_is_unverified() {
    let Some(moto) = Moto::start() else { return };
    block_on(async {
        seed::cloud(&moto.endpoint, EAST).await.secret("app/prod/db", SECRET_VALUES[0], &[]).await;
    });
    let schema = r#"{"type": "object", "properties": {"DB_PASSWORD": {"type": "string"}}}"#;
    let dir = repo(&[("preflight.toml", &config(&[])), ("env.schema.json", schema), ("prod.env", "DB_PASSWORD={{resolve:secretsmanager:app/prod/db}}\n")]);
    fn busy(req: &str, seen: usize) -> Option<(u16, String)> {
        let listing = req.to_ascii_lowercase().contains("secretsmanager.listsecrets");
        (listing && seen < 4).then(|| (400, support::proxy::json_error("ThrottlingException", "Rate exceeded")))
    }
    let gate = support::proxy::Gate::start(moto.port, busy);
    let r = check(dir.path(), &format!("http://127.0.0.1:{}", gate.port), "json");
    assert_eq!(r.code, 0, "throttling retried to an answer: {}\n{}", r.stdout, r.stderr);
    assert!(gate.answered.load(std::sync::atomic::Ordering::SeqCst) >= 1, "the gate throttled a listing");
    assert_no_secret_value(&r);

    fn denied(req: &str, _: usize) -> Option<(u16, String)> {
        req.to_ascii_lowercase()
            .contains("x-amz-target: secretsmanager.")
            .then(|| (400, support::proxy::json_error("AccessDeniedException", "not authorized to perform secretsmanager:ListSecrets")))
    }
    let gate = support::proxy::Gate::start(moto.port, denied);
    let r = check(dir.path(), &format!("http://127.0.0.1:{}", gate.port), "json");
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.json()["unverified"].to_string().contains("AccessDenied"), "{}", r.stdout);
    assert!(r.findings().is_empty(), "a denial is never a finding: {}", r.stdout);
}
