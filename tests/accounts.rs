//! Accounts (issue "Accounts"): each environment checked in its own AWS account, against moto,
//! which gives assumed-role credentials the role's account and keeps each account's state apart.

mod support;

use support::seed;
use support::{Moto, block_on, preflight, repo, run};

const EAST: &str = "us-east-1";
/// The account moto answers for plain test credentials.
const DEFAULT_ACCOUNT: &str = "123456789012";
const PROD_ACCOUNT: &str = "222222222222";

const SCHEMA: &str = r#"{"properties": {"LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"}}}"#;

fn config(production_extra: &str) -> String {
    format!(
        "schema = \"env.schema.json\"\n\n[environments.staging]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"staging.env\" }}\n\n\
         [environments.production]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"prod.env\" }}\n{production_extra}"
    )
}

fn check(dir: &std::path::Path, moto: &Moto, env: &str, args: &[&str]) -> support::Run {
    let mut c = preflight(dir);
    c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["check", "--env", env, "--format", "json"]).args(args);
    run(c)
}

/// Staging's image lives in the default account; production's, of the same name, only in the
/// production account.
fn seed_two_accounts(moto: &Moto) -> (String, String) {
    block_on(async {
        let staging = seed::cloud(&moto.endpoint, EAST).await;
        let prod = seed::cloud_in_account(&moto.endpoint, EAST, PROD_ACCOUNT).await;
        (staging.image("web-1.4").await, prod.image("web-1.4").await)
    })
}

#[test]
fn the_wrong_account_is_blocked_and_nothing_else_is_looked_up() {
    let Some(moto) = Moto::start() else { return };
    let (staging_ami, _) = seed_two_accounts(&moto);
    // Production's env copies staging's AMI, and the job runs with staging's credentials: the
    // AMI "exists", but in the wrong account.
    let cfg = config(&format!("account = \"{PROD_ACCOUNT}\"\n"));
    let dir = repo(&[
        ("preflight.toml", &cfg),
        ("env.schema.json", SCHEMA),
        ("staging.env", &format!("LAUNCH_AMI={staging_ami}\n")),
        ("prod.env", &format!("LAUNCH_AMI={staging_ami}\n")),
    ]);
    moto.start_recording();
    let r = check(dir.path(), &moto, "production", &[]);
    let actions = moto.recorded_actions();
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["account"], DEFAULT_ACCOUNT);
    assert_eq!(r.rules(), ["account-mismatch"]);
    let f = &j["findings"][0];
    assert_eq!(f["location"]["path"], "preflight.toml");
    assert_eq!(f["location"]["line"], 10, "at the `account` line: {f}");
    assert!(f["message"].as_str().unwrap().contains(DEFAULT_ACCOUNT) && f["message"].as_str().unwrap().contains(PROD_ACCOUNT));
    assert_eq!(actions, ["sts:GetCallerIdentity"], "no lookup after the account guard");
    // The human report names the account on its summary line.
    let mut c = preflight(dir.path());
    c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["check", "--env", "production"]);
    let h = run(c);
    assert!(h.stdout.contains(&format!("production (AWS account {DEFAULT_ACCOUNT}) is BLOCKED")), "{}", h.stdout);
}

#[test]
fn the_right_role_passes_in_its_own_account_with_one_identity_call() {
    let Some(moto) = Moto::start() else { return };
    let (staging_ami, prod_ami) = seed_two_accounts(&moto);
    let role = format!("role_arn = \"arn:aws:iam::{PROD_ACCOUNT}:role/preflight-readonly\"\nexternal_id = \"ext-1234\"\naccount = \"{PROD_ACCOUNT}\"\n");
    let dir = repo(&[
        ("preflight.toml", &config(&role)),
        ("env.schema.json", SCHEMA),
        ("staging.env", &format!("LAUNCH_AMI={staging_ami}\n")),
        ("prod.env", &format!("LAUNCH_AMI={prod_ami}\n")),
    ]);
    moto.start_recording();
    let r = check(dir.path(), &moto, "production", &[]);
    let actions = moto.recorded_actions();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["account"], PROD_ACCOUNT);
    assert_eq!(actions.iter().filter(|a| *a == "sts:GetCallerIdentity").count(), 1, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "sts:AssumeRole").count(), 1, "{actions:?}");
    assert!(actions.iter().position(|a| a == "sts:GetCallerIdentity") < actions.iter().position(|a| a == "ec2:DescribeImages"), "identity first: {actions:?}");

    // Staging's AMI does not exist in production's account: the role really acts there.
    std::fs::write(dir.path().join("prod.env"), format!("LAUNCH_AMI={staging_ami}\n")).unwrap();
    let r = check(dir.path(), &moto, "production", &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.rules(), ["ami-not-found"]);

    // The account enters the fingerprint: the same environment checked in another account
    // has another one.
    std::fs::write(dir.path().join("prod.env"), format!("LAUNCH_AMI={prod_ami}\n")).unwrap();
    let fp_prod = check(dir.path(), &moto, "production", &[]).json()["fingerprint"].clone();
    std::fs::write(dir.path().join("staging.env"), format!("LAUNCH_AMI={prod_ami}\n")).unwrap();
    let fp_staging = check(dir.path(), &moto, "staging", &[]).json()["fingerprint"].clone();
    assert_ne!(fp_prod, fp_staging);
}

#[test]
fn drift_compares_across_accounts_and_the_lock_records_the_tested_one() {
    let Some(moto) = Moto::start() else { return };
    let (staging_ami, prod_ami) = seed_two_accounts(&moto);
    let schema = r#"{"properties": {"LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image", "x-parity": "resource"}}}"#;
    let extra = format!("role_arn = \"arn:aws:iam::{PROD_ACCOUNT}:role/preflight-readonly\"\naccount = \"{PROD_ACCOUNT}\"\ntested_as = \"staging\"\n");
    let dir = repo(&[
        ("preflight.toml", &config(&extra)),
        ("env.schema.json", schema),
        ("staging.env", &format!("LAUNCH_AMI={staging_ami}\n")),
        ("prod.env", &format!("LAUNCH_AMI={prod_ami}\n")),
    ]);
    let mut c = preflight(dir.path());
    c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["snapshot", "--env", "staging"]);
    let s = run(c);
    assert_eq!(s.code, 0, "{}\n{}", s.stdout, s.stderr);
    let lock: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(".preflight/staging.lock.json")).unwrap()).unwrap();
    assert_eq!(lock["account"], DEFAULT_ACCOUNT);
    // Different ids in different accounts, the same image name: equivalent, no drift.
    let r = check(dir.path(), &moto, "production", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn sts_unreachable_is_unverified_never_a_pass() {
    let dir = repo(&[
        ("preflight.toml", &config(&format!("account = \"{PROD_ACCOUNT}\"\n"))),
        ("env.schema.json", SCHEMA),
        ("staging.env", ""),
        ("prod.env", "LAUNCH_AMI=ami-0123456789abcdef0\n"),
    ]);
    let mut c = preflight(dir.path());
    c.args(["check", "--env", "production", "--format", "json", "--timeout", "5s"]);
    let r = run(c);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let j = r.json();
    let u = j["unverified"].as_array().unwrap();
    assert_eq!(u.len(), 1, "said once: {u:?}");
    assert!(u[0]["check"].as_str().unwrap().contains("GetCallerIdentity"));
}

#[test]
fn a_malformed_account_or_role_is_a_located_usage_error() {
    let mut wrong = Vec::new();
    for (extra, needle) in [
        ("account = \"12345\"\n", "is not an AWS account id"),
        ("role_arn = \"arn:aws:iam::222222222222:user/x\"\n", "is not an IAM role ARN"),
        ("external_id = \"abc\"\n", "needs a `role_arn`"),
        (&*format!("account = \"{PROD_ACCOUNT}\"\nrole_arn = \"arn:aws:iam::333333333333:role/x\"\n"), "the role is in account 333333333333"),
    ] {
        let dir = repo(&[("preflight.toml", &config(extra)), ("env.schema.json", SCHEMA), ("staging.env", ""), ("prod.env", "")]);
        let mut c = preflight(dir.path());
        c.args(["check", "--env", "production", "--offline"]);
        let r = run(c);
        if r.code != 2 || !r.stderr.contains(needle) || !r.stderr.contains("preflight.toml:1") {
            wrong.push(format!("{extra}-> exit {}, expected 2 saying {needle:?} at preflight.toml:1:\n{}", r.code, r.stderr));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn offline_the_account_is_null() {
    let dir = repo(&[
        ("preflight.toml", &config(&format!("account = \"{PROD_ACCOUNT}\"\n"))),
        ("env.schema.json", SCHEMA),
        ("staging.env", ""),
        ("prod.env", "LAUNCH_AMI=ami-0123456789abcdef0\n"),
    ]);
    let mut c = preflight(dir.path());
    c.args(["check", "--env", "production", "--format", "json", "--offline"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["account"], serde_json::Value::Null);
}
