//! Live cloud checks end to end: the real binary against moto's server mode on loopback,
//! seeded through the AWS SDK. Under CI=true a missing emulator fails these tests.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::seed;
use support::{Moto, block_on, preflight, repo, run};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

fn check(dir: &std::path::Path, endpoint: &str, args: &[&str]) -> support::Run {
    let mut c = preflight(dir);
    c.env("AWS_ENDPOINT_URL", endpoint).args(["check", "--env", "production", "--format", "json"]).args(args);
    run(c)
}

fn config(extra: &str) -> String {
    format!(
        "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nfailover_regions = [\"{WEST}\"]\nsource = {{ dotenv = \"prod.env\" }}\n{extra}"
    )
}

/// The incident's world: a new production VPC, an old one, images in two regions.
struct World {
    vpc: String,
    other_vpc: String,
    subnets: Vec<String>,
    web_sg: String,
    image_new: String,
    image_old: String,
}

fn seed_world(moto: &Moto) -> World {
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let west = seed::cloud(&moto.endpoint, WEST).await;
        let vpc = east.vpc("10.1.0.0/16").await;
        let other_vpc = east.vpc("10.2.0.0/16").await;
        let subnets = vec![east.subnet(&vpc, "10.1.1.0/24", 'a').await, east.subnet(&vpc, "10.1.2.0/24", 'b').await];
        let web_sg = east.group("web-prod", &vpc).await;
        east.group("web-staging", &other_vpc).await;
        let image_new = east.image("shop-web-1.4").await;
        let image_old = east.image("shop-web-1.3").await;
        west.copy_image(EAST, &image_new, "shop-web-1.4").await;
        for side in [&east, &west] {
            side.param("/shop/prod/db_host", "db.prod.internal").await;
            side.secure_param("/shop/prod/db_password", "S3cure-Value-From-SSM").await;
        }
        World { vpc, other_vpc, subnets, web_sg, image_new, image_old }
    })
}

const SCHEMA: &str = r#"{
  "type": "object",
  "required": ["LAUNCH_AMI", "WEB_SECURITY_GROUPS", "SUBNETS"],
  "properties": {
    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
    "CANARY_AMI": {"type": "string", "x-aws": "ec2:image"},
    "WEB_SECURITY_GROUPS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:security-group"}},
    "SUBNETS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:subnet"}},
    "DB_HOST": {"type": "string", "pattern": "^[a-z.]+$"},
    "DB_PASSWORD": {"type": "string"},
    "CACHE_HOST": {"type": "string"},
    "BASE_AMI": {"type": "string", "x-aws": "ec2:image"}
  }
}"#;

#[test]
fn the_incident_is_blocked_and_the_fixed_environment_passes() {
    let Some(moto) = Moto::start() else { return };
    let w = seed_world(&moto);
    let broken = format!("LAUNCH_AMI=ami-0000000000000dead\nCANARY_AMI={}\nWEB_SECURITY_GROUPS=web-staging\nSUBNETS={}\n", w.image_old, w.subnets.join(","));
    let dir = repo(&[("preflight.toml", &config(&format!("vpc = \"{}\"\n", w.vpc))), ("env.schema.json", SCHEMA), ("prod.env", &broken)]);
    let r = check(dir.path(), &moto.endpoint, &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let mut f = r.findings();
    f.sort();
    assert_eq!(
        f,
        vec![
            ("ami-not-found".into(), "LAUNCH_AMI".into(), EAST.into()),
            ("ami-not-in-failover-region".into(), "CANARY_AMI".into(), WEST.into()),
            ("sg-wrong-vpc".into(), "WEB_SECURITY_GROUPS".into(), EAST.into()),
        ],
        "{}",
        r.stdout
    );
    let j = r.json();
    let sg = j["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "sg-wrong-vpc").unwrap();
    assert!(sg["message"].as_str().unwrap().contains(&w.other_vpc), "{sg}");
    assert_eq!(sg["location"]["line"], 3);
    let failover = j["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "ami-not-in-failover-region").unwrap();
    assert!(failover["message"].as_str().unwrap().contains("shop-web-1.3"), "{failover}");
    assert!(failover["help"].as_str().unwrap().contains("copy-image"), "{failover}");
    assert_eq!(j["unverified"].as_array().unwrap().len(), 0);

    // A name that does resolve in the VPC still blocks: the help gives the id to use.
    std::fs::write(dir.path().join("prod.env"), format!("LAUNCH_AMI={}\nWEB_SECURITY_GROUPS=web-prod\nSUBNETS={}\n", w.image_new, w.subnets.join(",")))
        .unwrap();
    let r = check(dir.path(), &moto.endpoint, &[]);
    assert_eq!(r.rules(), ["sg-name-not-id"]);
    assert!(r.json()["findings"][0]["help"].as_str().unwrap().contains(&w.web_sg));

    // The fixed environment passes.
    let fixed = format!("LAUNCH_AMI={}\nWEB_SECURITY_GROUPS={}\nSUBNETS={}\n", w.image_new, w.web_sg, w.subnets.join(","));
    std::fs::write(dir.path().join("prod.env"), fixed).unwrap();
    let r = check(dir.path(), &moto.endpoint, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["verdict"], "pass");
    assert_eq!(r.json()["checked"]["images"], 1);
    // The progress spinner only draws on a terminal: nothing on a piped stderr.
    assert_eq!(r.stderr, "", "stderr should stay empty when not a TTY");
}

#[test]
fn vpc_subnets_and_wrong_vpc_ids() {
    let Some(moto) = Moto::start() else { return };
    let w = seed_world(&moto);
    let (other_subnet, other_sg) = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        (east.subnet(&w.other_vpc, "10.2.1.0/24", 'a').await, east.group("db", &w.other_vpc).await)
    });
    let env = format!(
        "LAUNCH_AMI={}\nWEB_SECURITY_GROUPS={},sg-0123456789abcdef0\nSUBNETS={},{other_subnet},subnet-0123456789abcdef0\n",
        w.image_new, other_sg, w.subnets[0]
    );
    let dir = repo(&[("preflight.toml", &config(&format!("vpc = \"{}\"\n", w.vpc))), ("env.schema.json", SCHEMA), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint, &[]);
    assert_eq!(r.code, 1);
    assert_eq!(r.rules(), ["sg-not-found", "sg-wrong-vpc", "subnet-not-found", "subnet-wrong-vpc"], "{}", r.stdout);

    // A configured VPC that does not exist is located in preflight.toml.
    std::fs::write(dir.path().join("preflight.toml"), config("vpc = \"vpc-0123456789abcdef0\"\n")).unwrap();
    let r = check(dir.path(), &moto.endpoint, &[]);
    let j = r.json();
    let v = j["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "vpc-not-found").expect("vpc-not-found");
    assert_eq!(v["location"]["path"], "preflight.toml");
    assert_eq!(v["location"]["line"], 7);
}

/// Groups named with no `vpc` and no subnets: EC2 launches into the default VPC and looks the
/// names up there, so that is where preflight looks too. `default` exists in every VPC and is
/// not ambiguous; a name that only exists in another VPC needs its id.
#[test]
fn group_names_without_a_vpc_resolve_in_the_default_vpc() {
    let Some(moto) = Moto::start() else { return };
    let app = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let default_vpc = east.default_vpc().await;
        let vpc = east.vpc("10.7.0.0/16").await;
        east.group("legacy-web", &default_vpc).await;
        east.group("legacy-web", &east.vpc("10.8.0.0/16").await).await;
        east.group("app-web", &vpc).await
    });
    let schema = r#"{"type": "object", "properties": {
        "SG_DEFAULT": {"type": "string", "x-aws": "ec2:security-group"},
        "SG_LEGACY": {"type": "string", "x-aws": "ec2:security-group"},
        "SG_APP": {"type": "string", "x-aws": "ec2:security-group"},
        "SG_NONE": {"type": "string", "x-aws": "ec2:security-group"}
    }}"#;
    let env = "SG_DEFAULT=default\nSG_LEGACY=legacy-web\nSG_APP=app-web\nSG_NONE=no-such-group\n";
    let cfg = format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"prod.env\" }}\n");
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", schema), ("prod.env", env)]);
    let r = check(dir.path(), &moto.endpoint, &[]);
    let f = r.findings();
    assert_eq!(
        f,
        [("sg-name-not-id".to_string(), "SG_APP".to_string(), EAST.to_string()), ("sg-not-found".to_string(), "SG_NONE".to_string(), EAST.to_string()),],
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    let j = r.json();
    let help = j["findings"][0]["help"].as_str().unwrap();
    assert!(help.contains(&app), "the help gives the id: {help}");
}

/// A failover twin is an image of the same name owned by the primary image's owner or by the
/// caller: a public image of another owner that happens to share the name does not count.
#[test]
fn a_public_image_of_another_owner_is_not_a_failover_twin() {
    let Some(moto) = Moto::start() else { return };
    let (amazon_id, own_id) = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let (amazon_id, name) = east.amazon_image("x86_64").await;
        // Our own image under the name of Amazon's, which us-west-2 has only as Amazon's.
        (amazon_id, east.image(&name).await)
    });
    let schema = r#"{"type": "object", "properties": {
        "AMAZON_AMI": {"type": "string", "x-aws": "ec2:image"},
        "OWN_AMI": {"type": "string", "x-aws": "ec2:image"}
    }}"#;
    let env = format!("AMAZON_AMI={amazon_id}\nOWN_AMI={own_id}\n");
    let dir = repo(&[("preflight.toml", &config("")), ("env.schema.json", schema), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint, &[]);
    assert_eq!(r.findings(), [("ami-not-in-failover-region".to_string(), "OWN_AMI".to_string(), WEST.to_string())], "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn ssm_references_public_aliases_and_secure_parameters() {
    let Some(moto) = Moto::start() else { return };
    let w = seed_world(&moto);
    let env = format!(
        "LAUNCH_AMI={}\nWEB_SECURITY_GROUPS={}\nSUBNETS={}\n\
         DB_HOST={{{{resolve:ssm:/shop/prod/db_host}}}}\n\
         DB_PASSWORD={{{{resolve:ssm-secure:/shop/prod/db_password}}}}\n\
         CACHE_HOST={{{{resolve:ssm:/shop/prod/cache_host}}}}\n\
         BASE_AMI={{{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}}}\n",
        w.image_new,
        w.web_sg,
        w.subnets.join(",")
    );
    let dir = repo(&[("preflight.toml", &config("")), ("env.schema.json", SCHEMA), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint, &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    // Only the missing parameter: the resolved host passes its pattern, the secure one exists,
    // and the public alias resolves to an image that exists (so BASE_AMI is not a finding; its
    // failover twin is the Amazon image of the same name in us-west-2).
    let f = r.findings();
    assert!(f.contains(&("ssm-not-found".into(), "CACHE_HOST".into(), EAST.into())), "{f:?}");
    assert!(!f.iter().any(|(_, k, _)| k == "DB_HOST" || k == "DB_PASSWORD"), "{f:?}");
    assert!(!f.iter().any(|(rule, k, _)| k == "BASE_AMI" && rule == "ami-not-found"), "{f:?}");
    assert!(r.json()["checked"]["parameters"].as_u64().unwrap() >= 4);
    let human = {
        let mut c = preflight(dir.path());
        c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["check", "--env", "production"]);
        run(c)
    };
    for out in [&r.stdout, &r.stderr, &human.stdout, &human.stderr] {
        assert!(!out.contains("S3cure-Value-From-SSM"), "a SecureString value leaked:\n{out}");
    }
}

/// A parameter asked for at two versions in one run, and by ARN (as a parameter shared from
/// another account must be): each reference gets its own answer, and none is "not found".
#[test]
fn ssm_versions_and_arns_resolve_to_their_own_values() {
    let Some(moto) = Moto::start() else { return };
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.param("/shop/prod/release", "one").await;
        east.param("/shop/prod/release", "two").await;
        seed::cloud(&moto.endpoint, WEST).await.param("/shop/prod/release", "two").await;
    });
    let schema = r#"{"type": "object", "properties": {
        "CURRENT": {"type": "string", "enum": ["two"]},
        "FIRST": {"type": "string", "enum": ["one"]},
        "SHARED": {"type": "string", "enum": ["two"]},
        "BAD_NAME": {"type": "string"}
    }}"#;
    let env = "CURRENT={{resolve:ssm:/shop/prod/release}}\n\
               FIRST={{resolve:ssm:/shop/prod/release:1}}\n\
               SHARED={{resolve:ssm:arn:aws:ssm:us-east-1:123456789012:parameter/shop/prod/release}}\n\
               BAD_NAME={{resolve:ssm:shop/prod/release}}\n";
    let dir = repo(&[("preflight.toml", &config("")), ("env.schema.json", schema), ("prod.env", env)]);
    let r = check(dir.path(), &moto.endpoint, &[]);
    // Only the name SSM would refuse (a hierarchy without its leading '/') is a finding.
    assert_eq!(r.findings(), [("ssm-not-found".to_string(), "BAD_NAME".to_string(), String::new())], "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.code, 1);
}

#[test]
fn an_ssm_path_source_reads_every_parameter_under_it() {
    let Some(moto) = Moto::start() else { return };
    let w = seed_world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.param("/app/prod/LAUNCH_AMI", &w.image_new).await;
        east.param("/app/prod/web/WEB_SECURITY_GROUPS", &w.web_sg).await;
        east.param("/app/prod/SUBNETS", &w.subnets.join(",")).await;
        east.secure_param("/app/prod/DB_PASSWORD", "Path-Secret-Value-123").await;
    });
    let cfg = format!(
        "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nsource = [{{ ssm_path = \"/app/prod/\" }}, {{ dotenv = \"prod.env\" }}]\n"
    );
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", SCHEMA), ("prod.env", "DB_HOST=db.internal\n")]);
    let r = check(dir.path(), &moto.endpoint, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["checked"]["variables"], 5);
    assert!(!r.stdout.contains("Path-Secret-Value-123"));
    // Offline, the path cannot be read: unverified, not a false "missing".
    let r = check(dir.path(), &moto.endpoint, &["--offline"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.rules().is_empty(), "{}", r.stdout);
}

#[test]
fn instance_types_launch_templates_and_key_pairs() {
    let Some(moto) = Moto::start() else { return };
    let (arm_image, lt) = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.key_pair("deploy").await;
        let lt = east.launch_template("web-lt").await;
        (east.amazon_image("arm64").await.0, lt)
    });
    let schema = r#"{"type": "object", "properties": {
        "AMI": {"type": "string", "x-aws": "ec2:image"},
        "TYPE": {"type": "string", "x-aws": "ec2:instance-type"},
        "ODD_TYPE": {"type": "string", "x-aws": "ec2:instance-type"},
        "LT": {"type": "string", "x-aws": "ec2:launch-template"},
        "LT_ID": {"type": "string", "x-aws": "ec2:launch-template"},
        "LT_GONE": {"type": "string", "x-aws": "ec2:launch-template"},
        "LT_GONE_ID": {"type": "string", "x-aws": "ec2:launch-template"},
        "KEY": {"type": "string", "x-aws": "ec2:key-pair"},
        "KEY_GONE": {"type": "string", "x-aws": "ec2:key-pair"},
        "PARAM": {"type": "string", "x-aws": "ssm:parameter"}
    }}"#;
    let env = format!(
        "AMI={arm_image}\nTYPE=t3.micro\nODD_TYPE=q9.imaginary\nLT=web-lt\nLT_ID={lt}\nLT_GONE=api-lt\nLT_GONE_ID=lt-0123456789abcdef0\nKEY=deploy\nKEY_GONE=ops\nPARAM=/nope/param\n"
    );
    let cfg = format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"prod.env\" }}\n");
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", schema), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint, &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let keys: Vec<(String, String)> = {
        let mut v: Vec<(String, String)> = r.findings().into_iter().map(|(a, b, _)| (a, b)).collect();
        v.sort();
        v
    };
    assert_eq!(
        keys,
        [
            ("ami-architecture-mismatch", "AMI"),
            ("instance-type-not-offered", "ODD_TYPE"),
            ("key-pair-not-found", "KEY_GONE"),
            ("launch-template-not-found", "LT_GONE"),
            ("launch-template-not-found", "LT_GONE_ID"),
            ("ssm-not-found", "PARAM"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
        "{}",
        r.stdout
    );
}

// ---- batching: calls grow with regions and kinds, not with variables ----

/// An environment of `n` images, `n/2` groups by id, `n/2` by name, `n` subnets and `n` SSM
/// references, with every image also in the failover region.
fn batch_repo(moto: &Moto, n: usize, aliases: usize) -> tempfile::TempDir {
    let (images, groups, subnets) = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let west = seed::cloud(&moto.endpoint, WEST).await;
        let vpc = east.vpc("10.0.0.0/16").await;
        let mut images = Vec::new();
        let mut groups = Vec::new();
        let mut subnets = Vec::new();
        for i in 0..n {
            let name = format!("app-{i}");
            let id = east.image(&name).await;
            west.copy_image(EAST, &id, &name).await;
            images.push(id);
            groups.push((format!("web-{i}"), east.group(&format!("web-{i}"), &vpc).await));
            subnets.push(east.subnet(&vpc, &format!("10.0.{i}.0/24"), 'a').await);
            east.param(&format!("/batch/p{i}"), &format!("value-{i}")).await;
            west.param(&format!("/batch/p{i}"), &format!("value-{i}")).await;
        }
        (images, groups, subnets)
    });
    let mut props = BTreeMap::new();
    let mut env = String::new();
    for copy in 0..=aliases {
        for i in 0..n {
            let s = format!("{copy}_{i}");
            props.insert(format!("AMI_{s}"), serde_json::json!({"type": "string", "x-aws": "ec2:image"}));
            props.insert(format!("SG_{s}"), serde_json::json!({"type": "string", "x-aws": "ec2:security-group"}));
            props.insert(format!("SUBNET_{s}"), serde_json::json!({"type": "string", "x-aws": "ec2:subnet"}));
            props.insert(format!("P_{s}"), serde_json::json!({"type": "string"}));
            let sg = if i % 2 == 0 { &groups[i].1 } else { &groups[i].0 };
            env.push_str(&format!("AMI_{s}={}\nSG_{s}={sg}\nSUBNET_{s}={}\nP_{s}={{{{resolve:ssm:/batch/p{i}}}}}\n", images[i], subnets[i]));
        }
    }
    let schema = serde_json::json!({"type": "object", "properties": props}).to_string();
    repo(&[("preflight.toml", &config("")), ("env.schema.json", &schema), ("prod.env", &env)])
}

fn count_calls(moto: &Moto, dir: &std::path::Path) -> BTreeMap<String, usize> {
    moto.start_recording();
    let r = check(dir, &moto.endpoint, &[]);
    let actions = moto.recorded_actions();
    // Names that resolve become sg-name-not-id findings; nothing may be unverified.
    assert!(r.json()["unverified"].as_array().unwrap().is_empty(), "{}", r.stdout);
    assert!(r.rules().iter().all(|x| x == "sg-name-not-id"), "{:?}", r.rules());
    let mut counts = BTreeMap::new();
    for a in actions {
        *counts.entry(a).or_insert(0) += 1;
    }
    counts
}

#[test]
fn api_calls_do_not_grow_with_the_number_of_variables() {
    let Some(moto) = Moto::start() else { return };
    // 50 images, 50 groups (25 by id, 25 by name), 50 subnets, 50 SSM references: 200 variables.
    let dir = batch_repo(&moto, 50, 0);
    let small = count_calls(&moto, dir.path());
    let ec2 = |c: &BTreeMap<String, usize>| c.iter().filter(|(k, _)| k.starts_with("ec2:")).map(|(_, v)| *v).sum::<usize>();
    // Per region and kind: images (primary + failover by name), groups by id, by name, subnets.
    assert_eq!(small.get("ec2:DescribeImages"), Some(&2), "{small:?}");
    assert_eq!(small.get("ec2:DescribeSecurityGroups"), Some(&2), "{small:?}");
    assert_eq!(small.get("ec2:DescribeSubnets"), Some(&1), "{small:?}");
    // 10 names per call, in the primary and the failover region.
    assert_eq!(small.get("ssm:GetParameters"), Some(&10), "10 names per call: {small:?}");
    assert_eq!(ec2(&small), 5, "{small:?}");

    // The same resources named by twice as many variables: not a single extra call.
    let dir2 = batch_repo_aliases(&dir);
    let doubled = count_calls(&moto, dir2.path());
    assert_eq!(doubled, small, "identical lookups are made once");

    // Twice as many distinct resources: EC2 calls stay; SSM grows by one per ten names.
    moto.reset();
    let dir3 = batch_repo(&moto, 100, 0);
    let big = count_calls(&moto, dir3.path());
    assert_eq!(ec2(&big), ec2(&small), "{big:?}");
    assert_eq!(big.get("ssm:GetParameters"), Some(&20), "{big:?}");
}

/// Launch templates by id (one missing, which real EC2 answers by failing the whole call) and key
/// pairs by name and by id: a fixed number of calls, however many variables.
#[test]
fn launch_template_and_key_pair_calls_do_not_grow_with_the_number_of_variables() {
    let Some(moto) = Moto::start() else { return };
    let (templates, keys) = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let mut t = Vec::new();
        let mut k = Vec::new();
        for i in 0..20 {
            t.push(east.launch_template(&format!("web-lt-{i}")).await);
            k.push((format!("deploy-{i}"), east.key_pair(&format!("deploy-{i}")).await));
        }
        (t, k)
    });
    let mut props = serde_json::Map::new();
    let mut env = String::new();
    for (i, id) in templates.iter().enumerate() {
        props.insert(format!("LT_{i}"), serde_json::json!({"type": "string", "x-aws": "ec2:launch-template"}));
        env.push_str(&format!("LT_{i}={id}\n"));
    }
    for (i, (name, id)) in keys.iter().enumerate() {
        props.insert(format!("KEY_{i}"), serde_json::json!({"type": "string", "x-aws": "ec2:key-pair"}));
        env.push_str(&format!("KEY_{i}={}\n", if i % 2 == 0 { name } else { id }));
    }
    for (var, kind, value) in [("LT_GONE", "ec2:launch-template", "lt-0123456789abcdef0"), ("KEY_GONE", "ec2:key-pair", "key-0123456789abcdef0")] {
        props.insert(var.into(), serde_json::json!({"type": "string", "x-aws": kind}));
        env.push_str(&format!("{var}={value}\n"));
    }
    let schema = serde_json::json!({"type": "object", "properties": props}).to_string();
    let cfg = format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"prod.env\" }}\n");
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", &schema), ("prod.env", &env)]);
    moto.start_recording();
    let r = check(dir.path(), &moto.endpoint, &[]);
    let actions = moto.recorded_actions();
    let mut f = r.findings();
    f.sort();
    assert_eq!(
        f,
        [("key-pair-not-found", "KEY_GONE"), ("launch-template-not-found", "LT_GONE")].map(|(a, b)| (a.to_string(), b.to_string(), EAST.to_string())),
        "{}",
        r.stdout
    );
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert!(count("ec2:DescribeLaunchTemplates") <= 2, "{actions:?}");
    assert_eq!(count("ec2:DescribeKeyPairs"), 2, "one call by name, one by id: {actions:?}");
}

/// Doubles the variables of a batch repo, every new one naming an existing resource.
fn batch_repo_aliases(dir: &tempfile::TempDir) -> tempfile::TempDir {
    let env = std::fs::read_to_string(dir.path().join("prod.env")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("env.schema.json")).unwrap()).unwrap();
    let mut props = schema["properties"].as_object().unwrap().clone();
    let mut more = String::new();
    for line in env.lines() {
        let (k, v) = line.split_once('=').unwrap();
        more.push_str(&format!("X{k}={v}\n"));
        props.insert(format!("X{k}"), schema["properties"][k].clone());
    }
    let schema = serde_json::json!({"type": "object", "properties": props}).to_string();
    repo(&[("preflight.toml", &config("")), ("env.schema.json", &schema), ("prod.env", &(env + &more))])
}

// ---- read-only: every call is in the shipped IAM policy ----

#[test]
fn a_full_check_only_makes_calls_the_iam_policy_allows() {
    let Some(moto) = Moto::start() else { return };
    let w = seed_world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.key_pair("deploy").await;
        east.launch_template("web-lt").await;
        east.param("/app/prod/EXTRA", "1").await;
        east.secret("app/prod/db", "never-read-1", &[WEST]).await;
        east.task_definition("web", "web", &[("FROM_TASK", "1")], &[("TASK_SECRET", "/shop/prod/db_password")]).await;
        east.group_launching("web", "web-lt", "$Default", &w.subnets, 2).await;
        let (lb, dns) = east.load_balancer("web-prod", &w.subnets).await;
        let tg = east.target_group("web-blue", &w.vpc).await;
        east.listener(&lb, &tg).await;
        let zone = east.hosted_zone("example.com").await;
        let health = east.health_check().await;
        east.record(&zone, "www.example.com", seed::Target::Alias { dns_name: &dns, evaluate: true }, None, Some(&health)).await;
    });
    let schema = r#"{"type": "object", "properties": {
        "WEB_LB": {"type": "string", "x-aws": "elbv2:load-balancer"},
        "WEB_TG": {"type": "string", "x-aws": "elbv2:target-group", "x-routes-to": "WEB_LB"},
        "WEB_DNS": {"type": "string", "x-aws": "route53:record"},
        "DB_PASSWORD": {"type": "string"},
        "OTHER_ACCOUNT_SECRET": {"type": "string"},
        "FROM_TASK": {"type": "string"},
        "GROUP": {"type": "string", "x-aws": "autoscaling:group"},
        "TASK_SECRET": {"type": "string"},
        "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
        "WEB_SECURITY_GROUPS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:security-group"}},
        "SUBNETS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:subnet"}},
        "VPC": {"type": "string", "x-aws": "ec2:vpc"},
        "TYPE": {"type": "string", "x-aws": "ec2:instance-type"},
        "LT": {"type": "string", "x-aws": "ec2:launch-template"},
        "LT_ID": {"type": "string", "x-aws": "ec2:launch-template"},
        "KEY": {"type": "string", "x-aws": "ec2:key-pair"},
        "PARAM": {"type": "string", "x-aws": "ssm:parameter"},
        "DB_HOST": {"type": "string"},
        "EXTRA": {"type": "string"}
    }}"#;
    let env = format!(
        "LAUNCH_AMI={}\nWEB_SECURITY_GROUPS={},web-prod\nSUBNETS={}\nVPC={}\nTYPE=t3.micro\nLT=web-lt\nLT_ID=lt-0123456789abcdef0\nKEY=deploy\nPARAM=/shop/prod/db_host\nDB_HOST={{{{resolve:ssm:/shop/prod/db_host}}}}\n\
         GROUP=web\nWEB_LB=web-prod\nWEB_TG=web-blue\nWEB_DNS=www.example.com\n\
         DB_PASSWORD={{{{resolve:secretsmanager:app/prod/db:SecretString:password}}}}\n\
         OTHER_ACCOUNT_SECRET={{{{resolve:secretsmanager:arn:aws:secretsmanager:us-east-1:999999999999:secret:shared-AbCdEf}}}}\n",
        w.image_new,
        w.web_sg,
        w.subnets.join(","),
        w.vpc
    );
    let cfg = format!(
        "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nfailover_regions = [\"{WEST}\"]\nvpc = \"{}\"\nsource = [{{ task_definition_arn = \"web:1\", container = \"web\" }}, {{ ssm_path = \"/app/prod\" }}, {{ dotenv = \"prod.env\" }}]\n",
        w.vpc
    );
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", schema), ("prod.env", &env)]);
    moto.start_recording();
    let r = check(dir.path(), &moto.endpoint, &[]);
    let actions = moto.recorded_actions();
    assert!(r.json()["unverified"].as_array().unwrap().is_empty(), "{}", r.stdout);

    let policy: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(support::manifest_dir().join("schemas/iam-policy.json")).unwrap()).unwrap();
    let allowed: Vec<String> = policy["Statement"][0]["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect();
    assert!(!actions.is_empty());
    for a in &actions {
        assert!(allowed.contains(a), "{a} is not in schemas/iam-policy.json");
        let op = a.split(':').nth(1).unwrap();
        assert!(op.starts_with("Describe") || op.starts_with("Get") || op.starts_with("List"), "{a} is not read-only");
        assert!(!op.contains("SecretValue"), "{a} returns a secret value");
    }
    // Every kind was exercised, so the policy is not larger than needed either.
    let mut used: Vec<String> = actions.clone();
    used.sort();
    used.dedup();
    assert_eq!(used, allowed, "the policy should list exactly what a full check calls");
}

// ---- faults: never a pass, never a hang ----

const ONE_AMI: &str = r#"{"type": "object", "properties": {"LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"}}}"#;

fn one_ami_repo(id: &str) -> tempfile::TempDir {
    let cfg = format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"prod.env\" }}\n");
    repo(&[("preflight.toml", &cfg), ("env.schema.json", ONE_AMI), ("prod.env", &format!("LAUNCH_AMI={id}\n"))])
}

#[test]
fn a_closed_port_is_unverified_quickly() {
    let dir = one_ami_repo("ami-0123456789abcdef0");
    let port = support::free_port();
    let r = check(dir.path(), &format!("http://127.0.0.1:{port}"), &["--timeout", "20s"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    // A refused connection is not retried: nothing listens there, and the gate should say so
    // at once rather than spend its deadline.
    assert!(r.elapsed < Duration::from_secs(3), "took {:?}", r.elapsed);
    let j = r.json();
    assert_eq!(j["verdict"], "unverified");
    // The first call, STS GetCallerIdentity, finds nothing listening; nothing else is tried.
    assert!(j["unverified"][0]["check"].as_str().unwrap().starts_with("sts:GetCallerIdentity"), "{j}");
    assert_eq!(j["unverified"].as_array().unwrap().len(), 1);
    // --allow-unverified turns it into 0, and the report still lists what was skipped.
    let r = check(dir.path(), &format!("http://127.0.0.1:{port}"), &["--allow-unverified"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.json()["unverified"].as_array().unwrap().len(), 1);
    let mut c = preflight(dir.path());
    c.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")).args(["check", "--env", "production"]);
    let human = run(c);
    assert_eq!(human.code, 3);
    assert!(human.stdout.contains("unverified: sts:GetCallerIdentity"), "{}", human.stdout);
}

#[test]
fn a_silent_endpoint_is_unverified_within_the_deadline() {
    let silent = support::proxy::Silent::start();
    let dir = one_ami_repo("ami-0123456789abcdef0");
    let r = check(dir.path(), &format!("http://127.0.0.1:{}", silent.port), &["--timeout", "3s"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.elapsed < Duration::from_secs(4), "deadline 3s, took {:?}", r.elapsed);
    assert_eq!(r.json()["verdict"], "unverified");
    // With the default deadline (60 s), one attempt times out (10 s) and is not retried: an
    // endpoint that takes requests and never answers gives exit 3 well inside the deadline.
    let r = check(dir.path(), &format!("http://127.0.0.1:{}", silent.port), &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.elapsed < Duration::from_secs(15), "took {:?}", r.elapsed);
}

#[test]
fn throttling_is_retried_then_passes() {
    let Some(moto) = Moto::start() else { return };
    let w = seed_world(&moto);
    let proxy = support::proxy::Faulty::start(moto.port, 3, 503, "RequestLimitExceeded");
    let dir = one_ami_repo(&w.image_new);
    let r = check(dir.path(), &format!("http://127.0.0.1:{}", proxy.port), &["--timeout", "30s"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(proxy.seen.load(std::sync::atomic::Ordering::SeqCst) >= 4, "the throttled calls were retried");
    // The throttled answer never turns a missing image into a pass.
    let proxy = support::proxy::Faulty::start(moto.port, 2, 503, "RequestLimitExceeded");
    let r = check(one_ami_repo("ami-0123456789abcdef0").path(), &format!("http://127.0.0.1:{}", proxy.port), &[]);
    assert_eq!(r.rules(), ["ami-not-found"]);
}

#[test]
fn denied_calls_are_unverified_not_not_found() {
    let Some(moto) = Moto::start() else { return };
    let proxy = support::proxy::Faulty::start(moto.port, usize::MAX, 403, "UnauthorizedOperation");
    let dir = one_ami_repo("ami-0123456789abcdef0");
    let r = check(dir.path(), &format!("http://127.0.0.1:{}", proxy.port), &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.rules().is_empty(), "a denied lookup must not say not-found: {}", r.stdout);
    assert!(r.json()["unverified"][0]["reason"].as_str().unwrap().contains("denied"), "{}", r.stdout);
}

// ---- artifact provenance from a tag of the deployed image ----

#[test]
fn an_image_baked_from_an_old_recipe_is_stale() {
    let Some(moto) = Moto::start() else { return };
    let cfg = format!(
        "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"prod.env\" }}\n\n\
         [[artifacts]]\nname = \"web-image\"\npaths = [\"packer\"]\nprovenance = {{ image_var = \"LAUNCH_AMI\", tag = \"preflight:source-digest\" }}\n"
    );
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", ONE_AMI), ("packer/web.pkr.hcl", "source \"amazon-ebs\" \"web\" {}\n")]);
    let git = git2::Repository::init(dir.path()).unwrap();
    std::fs::write(dir.path().join("prod.env"), "LAUNCH_AMI=ami-0123456789abcdef0\n").unwrap();
    support::commit_all(&git, "recipe v1");
    let digest = {
        let mut c = preflight(dir.path());
        c.args(["stamp", "--artifact", "web-image", "--print-digest"]);
        let r = run(c);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout.trim().to_string()
    };
    let (baked, untagged) = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let baked = east.image("web-2026-11-22").await;
        east.tag_image(&baked, "preflight:source-digest", &digest).await;
        (baked, east.image("web-untagged").await)
    });
    std::fs::write(dir.path().join("prod.env"), format!("LAUNCH_AMI={baked}\n")).unwrap();
    support::commit_all(&git, "use the baked image");
    let r = check(dir.path(), &moto.endpoint, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    // The recipe changes; the image was not rebaked.
    std::fs::write(dir.path().join("packer/web.pkr.hcl"), "source \"amazon-ebs\" \"web\" { ami_name = \"v2\" }\n").unwrap();
    support::commit_all(&git, "recipe v2");
    let r = check(dir.path(), &moto.endpoint, &[]);
    assert_eq!(r.rules(), ["artifact-stale"], "{}", r.stdout);

    // An image with no tag says nothing about its recipe.
    std::fs::write(dir.path().join("prod.env"), format!("LAUNCH_AMI={untagged}\n")).unwrap();
    support::commit_all(&git, "untagged image");
    assert_eq!(check(dir.path(), &moto.endpoint, &[]).rules(), ["artifact-unstamped"]);

    // Offline the tag cannot be read: unverified, never a pass.
    let r = check(dir.path(), &moto.endpoint, &["--offline"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
}
