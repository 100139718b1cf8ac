//! The blue/green gate: `snapshot` records the tested environment, `check` against it blocks
//! on drift, and `--expect-fingerprint` binds a deploy to the environment that was checked.

mod support;

use support::seed;
use support::{Moto, block_on, preflight, repo, run};

const SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
    "WEB_SG": {"type": "string", "x-aws": "ec2:security-group"},
    "LOG_LEVEL": {"type": "string", "x-parity": "same"},
    "FEATURE_FLAGS": {"type": "string", "x-parity": "same"},
    "DB_URL": {"type": "string"},
    "DB_PASSWORD": {"type": "string", "x-parity": "same"},
    "API_TOKEN": {"type": "string"},
    "NEW_THING": {"type": "string"},
    "OLD_THING": {"type": "string"}
  }
}"#;

fn config(staging_region: &str, prod_region: &str) -> String {
    format!(
        "schema = \"env.schema.json\"\n\n[environments.staging]\nregion = \"{staging_region}\"\nsource = {{ dotenv = \"staging.env\" }}\n\n\
         [environments.production]\nregion = \"{prod_region}\"\nsource = {{ dotenv = \"prod.env\" }}\ntested_as = \"staging\"\n"
    )
}

fn cmd(dir: &std::path::Path, endpoint: Option<&str>, args: &[&str]) -> support::Run {
    let mut c = preflight(dir);
    if let Some(e) = endpoint {
        c.env("AWS_ENDPOINT_URL", e);
    }
    c.args(args);
    run(c)
}

const STAGING_SECRET: &str = "staging-db-password-0x5eed";
const PROD_SECRET: &str = "prod-db-password-0xdeadbeef";
const TOKEN: &str = "tok_live_abcdefghijklmnop";

fn offline_repo(prod: &str) -> tempfile::TempDir {
    let staging = format!("LOG_LEVEL=info\nFEATURE_FLAGS=a,b\nDB_URL=postgres://staging/db\nDB_PASSWORD={STAGING_SECRET}\nAPI_TOKEN={TOKEN}\nOLD_THING=1\n");
    repo(&[("preflight.toml", &config("eu-west-1", "us-east-1")), ("env.schema.json", SCHEMA), ("staging.env", &staging), ("prod.env", prod)])
}

#[test]
fn values_presence_and_legitimate_differences() {
    let prod = format!("LOG_LEVEL=debug\nFEATURE_FLAGS=a,b\nDB_URL=postgres://prod/db\nDB_PASSWORD={PROD_SECRET}\nAPI_TOKEN={TOKEN}\nNEW_THING=1\n");
    let dir = offline_repo(&prod);
    let r = cmd(dir.path(), None, &["snapshot", "--env", "staging", "--offline"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lock_text = std::fs::read_to_string(dir.path().join(".preflight/staging.lock.json")).unwrap();
    for secret in [STAGING_SECRET, TOKEN, "postgres://staging/db", "info"] {
        assert!(!lock_text.contains(secret), "the lock holds a plaintext value {secret:?}:\n{lock_text}");
    }
    let lock: serde_json::Value = serde_json::from_str(&lock_text).unwrap();
    assert_eq!(lock["variables"]["DB_PASSWORD"]["secret"], true);
    assert!(lock["variables"]["DB_PASSWORD"].get("digest").is_none(), "presence only for secrets");
    assert!(lock["variables"]["LOG_LEVEL"]["digest"].as_str().unwrap().starts_with("sha256:"));

    let r = cmd(dir.path(), None, &["check", "--env", "production", "--offline", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let mut f: Vec<(String, String)> = r.findings().into_iter().map(|(a, b, _)| (a, b)).collect();
    f.sort();
    // The database URL legitimately differs (x-parity differs by default); the secret is
    // compared by presence only; the log level must be the same.
    assert_eq!(f, [("drift-extra", "NEW_THING"), ("drift-missing", "OLD_THING"), ("drift-value", "LOG_LEVEL")].map(|(a, b)| (a.to_string(), b.to_string())));
    for out in [&r.stdout, &r.stderr] {
        for secret in [STAGING_SECRET, PROD_SECRET, TOKEN] {
            assert!(!out.contains(secret));
        }
    }
    // The same environment as tested: no drift.
    std::fs::write(dir.path().join("prod.env"), std::fs::read_to_string(dir.path().join("staging.env")).unwrap()).unwrap();
    let r = cmd(dir.path(), None, &["check", "--env", "production", "--offline", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn against_overrides_tested_as_and_bad_locks_are_tool_errors() {
    let dir = offline_repo("LOG_LEVEL=info\n");
    // tested_as without a lock yet: the tool cannot compare, exit 2 with what to do.
    let r = cmd(dir.path(), None, &["check", "--env", "production", "--offline"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("preflight snapshot --env staging"), "{}", r.stderr);
    std::fs::write(dir.path().join("bad.lock.json"), "{\"preflight_lock\": 1, \"garbage\": [").unwrap();
    assert_eq!(cmd(dir.path(), None, &["check", "--env", "production", "--offline", "--against", "bad.lock.json"]).code, 2);
    std::fs::write(dir.path().join("bin.lock.json"), [0xffu8, 0xfe, 0x00, 0x01]).unwrap();
    assert_eq!(cmd(dir.path(), None, &["check", "--env", "production", "--offline", "--against", "bin.lock.json"]).code, 2);
    // --against a lock written elsewhere.
    assert_eq!(cmd(dir.path(), None, &["snapshot", "--env", "staging", "--offline", "--output", "tested.json"]).code, 0);
    let r = cmd(dir.path(), None, &["check", "--env", "production", "--offline", "--against", "tested.json", "--format", "json"]);
    assert_eq!(r.code, 1);
    assert!(r.rules().contains(&"drift-missing".to_string()));
    // A lock of another environment at tested_as's lock path: production would be compared
    // with itself, so the tool refuses it.
    assert_eq!(cmd(dir.path(), None, &["snapshot", "--env", "production", "--offline", "--output", ".preflight/staging.lock.json"]).code, 0);
    let r = cmd(dir.path(), None, &["check", "--env", "production", "--offline"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("records environment `production`"), "{}", r.stderr);
}

#[test]
fn a_blocked_environment_is_not_recorded_as_tested() {
    let dir = offline_repo("");
    std::fs::write(dir.path().join("staging.env"), "LAUNCH_AMI=ami-123\n").unwrap();
    let r = cmd(dir.path(), None, &["snapshot", "--env", "staging", "--offline"]);
    assert_eq!(r.code, 1);
    assert!(!dir.path().join(".preflight/staging.lock.json").exists());
}

#[test]
fn an_offline_lock_says_which_comparisons_it_could_not_make() {
    let dir = offline_repo("LAUNCH_AMI=ami-0123456789abcdef0\n");
    std::fs::write(dir.path().join("staging.env"), "LAUNCH_AMI=ami-0fedcba9876543210\n").unwrap();
    assert_eq!(cmd(dir.path(), None, &["snapshot", "--env", "staging", "--offline"]).code, 0);
    let r = cmd(dir.path(), None, &["check", "--env", "production", "--offline", "--format", "json"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let j = r.json();
    assert_eq!(j["unverified"][0]["check"], "drift LAUNCH_AMI");
    assert!(j["unverified"][0]["reason"].as_str().unwrap().contains("--offline"));
}

#[test]
fn an_artifact_built_from_other_sources_than_tested_is_drift() {
    let dir = offline_repo("LOG_LEVEL=info\n");
    std::fs::write(dir.path().join("staging.env"), "LOG_LEVEL=info\n").unwrap();
    let cfg = config("eu-west-1", "us-east-1") + "\n[[artifacts]]\nname = \"launcher\"\npaths = [\"tools\"]\nprovenance = \"dist/launcher.json\"\n";
    std::fs::write(dir.path().join("preflight.toml"), cfg).unwrap();
    std::fs::create_dir_all(dir.path().join("tools")).unwrap();
    std::fs::write(dir.path().join("tools/main.go"), "package main\n").unwrap();
    std::fs::write(dir.path().join(".gitignore"), "dist/\n.preflight/\n").unwrap();
    let git = |args: &[&str]| {
        let st = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(st.status.success(), "{:?}", st);
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "v1"]);
    assert_eq!(cmd(dir.path(), None, &["stamp", "--artifact", "launcher"]).code, 0);
    assert_eq!(cmd(dir.path(), None, &["snapshot", "--env", "staging", "--offline"]).code, 0);
    assert_eq!(cmd(dir.path(), None, &["check", "--env", "production", "--offline"]).code, 0);
    // A new commit, rebuilt and stamped (so not stale), but not what was tested.
    std::fs::write(dir.path().join("tools/main.go"), "package main\n// v2\n").unwrap();
    git(&["commit", "-qam", "v2"]);
    assert_eq!(cmd(dir.path(), None, &["stamp", "--artifact", "launcher"]).code, 0);
    let r = cmd(dir.path(), None, &["check", "--env", "production", "--offline", "--format", "json"]);
    assert_eq!(r.rules(), ["drift-artifact"], "{}", r.stdout);
    // It names what changed since the tested commit, and the commit that changed it.
    let j = r.json();
    let message = j["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("modified tools/main.go") && message.contains(" v2"), "{message}");
    assert_eq!(j["findings"][0]["location"]["path"], "preflight.toml", "at its [[artifacts]] entry");
}

#[test]
fn images_and_groups_are_compared_by_attributes_not_ids() {
    let Some(moto) = Moto::start() else { return };
    let (staging_ami, prod_same, prod_old, staging_sg, prod_sg_same, prod_sg_open) = block_on(async {
        let eu = seed::cloud(&moto.endpoint, "eu-west-1").await;
        let us = seed::cloud(&moto.endpoint, "us-east-1").await;
        let staging_ami = eu.image("goinstance-1.4").await;
        let prod_same = us.copy_image("eu-west-1", &staging_ami, "goinstance-1.4").await;
        let prod_old = us.image("goinstance-1.3").await;
        let eu_vpc = eu.vpc("10.1.0.0/16").await;
        let us_vpc = us.vpc("10.2.0.0/16").await;
        let staging_sg = eu.group("web", &eu_vpc).await;
        eu.allow(&staging_sg, 443, "0.0.0.0/0").await;
        // Members of the group talk to each other: the rule names the group itself, whose id
        // differs per region, and still compares equal.
        eu.allow_group(&staging_sg, 8080, &staging_sg).await;
        let prod_sg_same = us.group("web", &us_vpc).await;
        us.allow(&prod_sg_same, 443, "0.0.0.0/0").await;
        us.allow_group(&prod_sg_same, 8080, &prod_sg_same).await;
        let prod_sg_open = us.group("web-debug", &us_vpc).await;
        us.allow(&prod_sg_open, 443, "0.0.0.0/0").await;
        us.allow(&prod_sg_open, 22, "0.0.0.0/0").await;
        us.param("/app/flags", "a,b").await;
        eu.secure_param("/app/db_password", "Seeded-Secure-Value-42").await;
        eu.param("/app/api_token", "Seeded-Token-Value-43").await;
        (staging_ami, prod_same, prod_old, staging_sg, prod_sg_same, prod_sg_open)
    });
    let staging = format!(
        "LAUNCH_AMI={staging_ami}\nWEB_SG={staging_sg}\nLOG_LEVEL=info\n\
         DB_PASSWORD={{{{resolve:ssm-secure:/app/db_password}}}}\nAPI_TOKEN={{{{resolve:ssm:/app/api_token}}}}\n"
    );
    let dir = repo(&[("preflight.toml", &config("eu-west-1", "us-east-1")), ("env.schema.json", SCHEMA), ("staging.env", &staging)]);
    let r = cmd(dir.path(), Some(&moto.endpoint), &["snapshot", "--env", "staging"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lock = std::fs::read_to_string(dir.path().join(".preflight/staging.lock.json")).unwrap();
    for seeded in ["Seeded-Secure-Value-42", "Seeded-Token-Value-43"] {
        assert!(!lock.contains(seeded), "the lock holds the seeded secret {seeded}");
    }
    let l: serde_json::Value = serde_json::from_str(&lock).unwrap();
    assert_eq!(l["variables"]["API_TOKEN"]["secret"], true);
    assert_eq!(l["variables"]["LAUNCH_AMI"]["resources"][0]["name"], "goinstance-1.4");

    // A copy of the tested image in another region, and an equivalent group: no drift.
    let secrets = "DB_PASSWORD=prod-only\nAPI_TOKEN=prod-token\n";
    std::fs::write(dir.path().join("prod.env"), format!("LAUNCH_AMI={prod_same}\nWEB_SG={prod_sg_same}\nLOG_LEVEL=info\n{secrets}")).unwrap();
    let r = cmd(dir.path(), Some(&moto.endpoint), &["check", "--env", "production", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);

    // An older image and a group with an extra rule: drift, saying what differs.
    std::fs::write(dir.path().join("prod.env"), format!("LAUNCH_AMI={prod_old}\nWEB_SG={prod_sg_open}\nLOG_LEVEL=info\n{secrets}")).unwrap();
    let r = cmd(dir.path(), Some(&moto.endpoint), &["check", "--env", "production", "--format", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.rules(), ["drift-resource", "drift-resource"], "{}", r.stdout);
    let j = r.json();
    let ami = j["findings"].as_array().unwrap().iter().find(|f| f["key"] == "LAUNCH_AMI").unwrap();
    // moto's RegisterImage records no architecture, so only names appear here; the exact
    // wording with architectures is unit-tested in checks::drift.
    assert_eq!(ami["message"], "tested image goinstance-1.4, target image goinstance-1.3");
    let sg = j["findings"].as_array().unwrap().iter().find(|f| f["key"] == "WEB_SG").unwrap();
    assert!(sg["message"].as_str().unwrap().contains("22-22"), "{sg}");
}

#[test]
fn expect_fingerprint_catches_a_change_between_check_and_deploy() {
    let Some(moto) = Moto::start() else { return };
    block_on(async { seed::cloud(&moto.endpoint, "us-east-1").await.param("/app/flags", "a,b").await });
    let cfg = "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"us-east-1\"\nsource = { dotenv = \"prod.env\" }\n";
    let dir = repo(&[("preflight.toml", cfg), ("env.schema.json", SCHEMA), ("prod.env", "FEATURE_FLAGS={{resolve:ssm:/app/flags}}\n")]);
    let r = cmd(dir.path(), Some(&moto.endpoint), &["check", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let fp = r.json()["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(cmd(dir.path(), Some(&moto.endpoint), &["check", "--expect-fingerprint", &fp]).code, 0);
    // The parameter changes after the check, before the deploy: the file did not change, the
    // environment did.
    block_on(async { seed::cloud(&moto.endpoint, "us-east-1").await.param("/app/flags", "a,b,c").await });
    let r = cmd(dir.path(), Some(&moto.endpoint), &["check", "--expect-fingerprint", &fp, "--format", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.rules(), ["fingerprint-mismatch"]);

    // A rotated SecureString: never decrypted, but its new version changes the fingerprint.
    block_on(async { seed::cloud(&moto.endpoint, "us-east-1").await.secure_param("/app/db_password", "first-secret-value").await });
    std::fs::write(dir.path().join("prod.env"), "FEATURE_FLAGS=a\nDB_PASSWORD={{resolve:ssm-secure:/app/db_password}}\n").unwrap();
    let r = cmd(dir.path(), Some(&moto.endpoint), &["check", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let fp = r.json()["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(cmd(dir.path(), Some(&moto.endpoint), &["check", "--expect-fingerprint", &fp]).code, 0);
    block_on(async { seed::cloud(&moto.endpoint, "us-east-1").await.secure_param("/app/db_password", "rotated-secret-value").await });
    let r = cmd(dir.path(), Some(&moto.endpoint), &["check", "--expect-fingerprint", &fp, "--format", "json"]);
    assert_eq!(r.rules(), ["fingerprint-mismatch"], "{}", r.stdout);
}

/// A snapshot whose lookups could not complete records nothing (a flaky cloud must not replace a
/// good lock with one full of holes), unless --allow-unverified asks for what could be checked.
#[test]
fn an_unverified_snapshot_keeps_the_previous_lock() {
    let dir = offline_repo("");
    std::fs::write(dir.path().join("staging.env"), "LAUNCH_AMI=ami-0123456789abcdef0\n").unwrap();
    assert_eq!(cmd(dir.path(), None, &["snapshot", "--env", "staging", "--offline"]).code, 0);
    let lock = dir.path().join(".preflight/staging.lock.json");
    let good = std::fs::read_to_string(&lock).unwrap();
    // The test environment's endpoint is a closed port: every lookup is unverified.
    let r = cmd(dir.path(), None, &["snapshot", "--env", "staging"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("not recording staging"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), good, "the previous lock is untouched");
    let r = cmd(dir.path(), None, &["snapshot", "--env", "staging", "--allow-unverified"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_ne!(std::fs::read_to_string(&lock).unwrap(), good);
}
