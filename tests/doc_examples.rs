//! Every rule's documented example (`preflight explain RULE`, its `## Example`) is reproduced
//! through the binary, and each line the doc prints is compared with the line the real check
//! prints (`severity[rule]: KEY: message`), with only the values a run cannot reproduce (AWS
//! ids, account ids, digests, commit ids, DNS names' random part) replaced by placeholders
//! (`preflight::rules::example_shape`). A doc whose wording drifts from the output fails here.
//! Live rules run against moto; four states moto cannot hold (a pending or deprecated image, a
//! failed or provisioning load balancer) are compared in their family's unit tests instead.
//! Under CI=true a missing emulator fails.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use preflight::rules::{Severity, example_line, example_shape};
use support::seed::{self, Target};
use support::{Moto, block_on, preflight, repo, run};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

/// Rules whose examples are compared in their family's unit tests, with why.
const UNIT_COMPARED: &[(&str, &str)] = &[
    ("ami-not-available", "moto's images are always available (checks::ami::tests)"),
    ("ami-deprecated", "moto does not deprecate images (checks::ami::tests)"),
    ("lb-not-active", "moto's load balancers are always active (checks::traffic::tests)"),
    ("lb-provisioning", "moto's load balancers are always active (checks::traffic::tests)"),
];

/// Every line a JSON report prints, in the examples' form, by rule.
fn printed(r: &support::Run) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in r.json()["findings"].as_array().cloned().unwrap_or_default() {
        let severity = if f["severity"] == "warning" { Severity::Warning } else { Severity::Error };
        let rule = f["rule"].as_str().unwrap_or_default();
        out.entry(rule.to_string()).or_default().push(example_line(severity, rule, f["key"].as_str(), f["message"].as_str().unwrap_or_default()));
    }
    out
}

/// What the scenarios printed, by rule, and which rules each scenario was written for.
#[derive(Default)]
struct Seen {
    printed: BTreeMap<String, Vec<String>>,
    covered: Vec<&'static str>,
}

impl Seen {
    fn add(&mut self, scenario: &str, rules: &[&'static str], r: &support::Run) {
        assert!(r.code == 0 || r.code == 1, "{scenario}: exit {}\n{}\n{}", r.code, r.stdout, r.stderr);
        let printed = printed(r);
        for id in rules {
            assert!(printed.contains_key(*id), "{scenario}: {id} did not fire: {:?}\n{}", printed.keys().collect::<Vec<_>>(), r.stdout);
        }
        for (rule, lines) in printed {
            self.printed.entry(rule).or_default().extend(lines);
        }
        self.covered.extend(rules);
    }

    /// The documented example lines of the covered rules that no scenario printed, described.
    fn mismatches(&self) -> Vec<String> {
        let mut wrong = Vec::new();
        for rule in preflight::checks::all_rules().into_iter().filter(|r| self.covered.contains(&r.id)) {
            let got = self.printed.get(rule.id).cloned().unwrap_or_default();
            for line in rule.example_lines() {
                if !got.iter().any(|g| example_shape(g) == example_shape(line)) {
                    wrong.push(format!("{}: documented\n    {line}\n  printed\n    {}", rule.id, got.join("\n    ")));
                }
            }
        }
        wrong
    }
}

fn config(extra: &str) -> String {
    format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\n{extra}source = {{ dotenv = \"deploy/production.env\" }}\n")
}

fn check(dir: &Path, endpoint: Option<&str>, extra_args: &[&str]) -> support::Run {
    let mut c = preflight(dir);
    if let Some(e) = endpoint {
        c.env("AWS_ENDPOINT_URL", e);
    }
    c.args(["check", "--env", "production", "--format", "json", "--timeout", "60s"]).args(extra_args);
    if endpoint.is_none() {
        c.arg("--offline");
    }
    run(c)
}

/// The schema every live example is written against.
const LIVE_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
    "INSTANCE_TYPE": {"type": "string", "x-aws": "ec2:instance-type"},
    "SECURITY_GROUPS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:security-group"}},
    "SUBNET_IDS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:subnet"}},
    "APP_SUBNETS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:subnet"}},
    "VPC_ID": {"type": "string", "x-aws": "ec2:vpc"},
    "LAUNCH_TEMPLATE": {"type": "string", "x-aws": "ec2:launch-template"},
    "WEB_TEMPLATE": {"type": "string", "x-aws": "ec2:launch-template"},
    "SSH_KEY_NAME": {"type": "string", "x-aws": "ec2:key-pair"},
    "DB_PASSWORD": {"type": "string", "x-aws": "secretsmanager:secret"},
    "DB_HOST": {"type": "string"},
    "WEB_GROUP": {"type": "string", "x-aws": "autoscaling:group", "x-launch-fields": {"ImageId": "LAUNCH_AMI"}},
    "WEB_LB": {"type": "string", "x-aws": "elbv2:load-balancer"},
    "WEB_TARGET_GROUP": {"type": "string", "x-aws": "elbv2:target-group", "x-routes-to": "WEB_LB"},
    "WEB_DNS": {"type": "string", "x-aws": "route53:record", "x-routes-to": "WEB_LB"}
  },
  "additionalProperties": {"type": "string"}
}"#;

/// One live example run: an environment file checked against moto.
fn live(seen: &mut Seen, moto: &Moto, name: &str, extra: &str, env: &str, rules: &[&'static str]) {
    let dir = repo(&[("preflight.toml", &config(extra)), ("env.schema.json", LIVE_SCHEMA), ("deploy/production.env", env)]);
    let r = check(dir.path(), Some(&moto.endpoint), &[]);
    seen.add(name, rules, &r);
}

/// The cloud the live examples run in: the environment's new VPC and staging's old one in
/// us-east-1, a twin VPC in us-west-2, images, groups, a launch template, load balancers and the
/// hosted zone example.com.
struct World {
    new_vpc: String,
    old_vpc: String,
    subnets: Vec<String>,
    old_subnet: String,
    subnet_e: String,
    image: String,
    /// launcher-2024-05-20, the image staging did not test.
    older_image: String,
    arm_image: String,
    old_sg: String,
}

fn world(moto: &Moto) -> World {
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let west = seed::cloud(&moto.endpoint, WEST).await;
        let new_vpc = east.vpc("10.1.0.0/16").await;
        let old_vpc = east.vpc("10.2.0.0/16").await;
        let subnets = vec![east.subnet(&new_vpc, "10.1.1.0/24", 'a').await, east.subnet(&new_vpc, "10.1.2.0/24", 'b').await];
        let subnet_e = east.subnet(&new_vpc, "10.1.5.0/24", 'e').await;
        let subnet_c = east.subnet(&new_vpc, "10.1.3.0/24", 'c').await;
        let old_subnet = east.subnet(&old_vpc, "10.2.1.0/24", 'a').await;
        let image = east.image("launcher-2024-06-01").await;
        let older_image = east.image("launcher-2024-05-20").await;
        let (arm_image, _) = east.amazon_image("arm64").await;
        east.group("web", &new_vpc).await;
        let old_sg = east.group("web-staging", &old_vpc).await;
        east.launch_template_for("web-lt", &image, &[], "t3.micro").await;
        for _ in 0..3 {
            east.template_version("web-lt", &image, &[], "t3.micro").await;
        }
        east.group_launching("web", "web-lt", "$Latest", &subnets, 4).await;
        east.suspend_launch("web").await;
        east.group_launching("web-staging", "web-lt", "$Latest", std::slice::from_ref(&old_subnet), 4).await;
        east.group_launching("web-canary", "web-lt", "$Latest", &subnets, 0).await;
        east.param("/app/prod/launch-ami", &image).await;
        east.secret("app/prod/db", "hunter2-not-printed", &[]).await;
        let (web_arn, _) = east.load_balancer("web-prod", &subnets).await;
        east.load_balancer("web-staging", std::slice::from_ref(&old_subnet)).await;
        let blue = east.target_group("web-blue", &new_vpc).await;
        east.listener(&web_arn, &blue).await;
        east.target_group("web-green", &new_vpc).await;
        east.target_group("web-staging", &old_vpc).await;
        let _ = subnet_c;
        let west_vpc = west.vpc("10.3.0.0/16").await;
        west.subnet(&west_vpc, "10.3.1.0/24", 'a').await;
        World { new_vpc, old_vpc, subnets, old_subnet, subnet_e, image, older_image, arm_image, old_sg }
    })
}

/// The load balancers and hosted zone a DNS example runs against (moto reset first, so the
/// records are the example's own).
struct Dns {
    web: String,
    api: String,
    health: Option<String>,
}

/// (target DNS name, failover role, evaluate target health, health check id) of each record set.
type Sets = Vec<(String, Option<&'static str>, bool, Option<String>)>;

/// A DNS example: `www.example.com` in example.com with the record sets `sets` gives, checked
/// with `WEB_LB=web-prod` and `WEB_DNS=www.example.com` (or, with no sets, `api.example.com`
/// in a zone that lacks it and `api.example.org` in no zone).
fn dns(seen: &mut Seen, moto: &Moto, name: &str, extra: &str, sets: impl FnOnce(&Dns) -> Sets, rules: &[&'static str]) {
    moto.reset();
    let (d, zone) = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let vpc = east.default_vpc().await;
        let subnets = vec![east.subnet(&vpc, "172.31.96.0/24", 'a').await, east.subnet(&vpc, "172.31.97.0/24", 'b').await];
        let (_, web) = east.load_balancer("web-prod", &subnets).await;
        let (_, api) = east.load_balancer("api-prod", &subnets).await;
        let zone = east.hosted_zone("example.com").await;
        (Dns { web, api, health: Some(east.health_check().await) }, zone)
    });
    let sets = sets(&d);
    let env = if sets.is_empty() { "WEB_LB=web-prod\nWEB_DNS=api.example.com\n" } else { "WEB_LB=web-prod\nWEB_DNS=www.example.com\n" };
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        for (target, role, evaluate, health) in &sets {
            east.record(&zone, "www.example.com", Target::Alias { dns_name: target, evaluate: *evaluate }, *role, health.as_deref()).await;
        }
    });
    live(seen, moto, name, extra, env, rules);
    if sets.is_empty() {
        live(seen, moto, name, extra, "WEB_LB=web-prod\nWEB_DNS=api.example.org\n", rules);
    }
}

#[test]
fn every_live_example_prints_what_the_check_prints() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    let vpc = format!("vpc = \"{}\"\n", w.new_vpc);
    let failover = format!("{vpc}failover_regions = [\"{WEST}\"]\n");
    // The DNS examples run in a reset emulator, without the VPC.
    let dns_failover = format!("failover_regions = [\"{WEST}\"]\n");
    let mut seen = Seen::default();

    live(
        &mut seen,
        &moto,
        "missing resources",
        &vpc,
        "LAUNCH_AMI=ami-0abc1234def567890\nSECURITY_GROUPS=web-new\nSUBNET_IDS=subnet-0ddd3333eeee4444f\nVPC_ID=vpc-0fedcba9876543210\n\
         LAUNCH_TEMPLATE=web-launcher\nSSH_KEY_NAME=deploy-2024\nDB_PASSWORD={{{{resolve:secretsmanager:app/production/db:SecretString:password}}}}\nWEB_GROUP=web-staging-asg\n\
         WEB_LB=web-prod-2\nWEB_TARGET_GROUP=web-blue-v2\n",
        &[
            "ami-not-found",
            "sg-not-found",
            "subnet-not-found",
            "vpc-not-found",
            "launch-template-not-found",
            "key-pair-not-found",
            "secret-not-found",
            "asg-not-found",
            "lb-not-found",
            "target-group-not-found",
        ],
    );
    live(
        &mut seen,
        &moto,
        "resources in staging's VPC",
        &vpc,
        &format!("SECURITY_GROUPS={}\nSUBNET_IDS={}\nWEB_GROUP=web-staging\nWEB_LB=web-staging\nWEB_TARGET_GROUP=web-staging\n", w.old_sg, w.old_subnet),
        &["sg-wrong-vpc", "subnet-wrong-vpc", "asg-wrong-vpc", "lb-wrong-vpc", "target-group-wrong-vpc"],
    );
    live(&mut seen, &moto, "a group name for an id", &vpc, "SECURITY_GROUPS=web\n", &["sg-name-not-id"]);
    live(
        &mut seen,
        &moto,
        "what the group launches",
        &vpc,
        &format!("LAUNCH_AMI={}\nINSTANCE_TYPE=c5.large\nWEB_GROUP=web\nWEB_TEMPLATE=web-lt:7\n", w.arm_image),
        &["ami-architecture-mismatch", "asg-launch-suspended", "launch-template-version-not-found", "launch-template-mismatch"],
    );
    live(&mut seen, &moto, "an empty group", &vpc, &format!("LAUNCH_AMI={}\nWEB_GROUP=web-canary\n", w.image), &["asg-no-capacity"]);
    live(&mut seen, &moto, "a zone without the type", &vpc, &format!("INSTANCE_TYPE=t3.micro\nSUBNET_IDS={}\n", w.subnet_e), &["instance-type-not-offered"]);
    live(
        &mut seen,
        &moto,
        "the failover region",
        &failover,
        &format!("LAUNCH_AMI={}\nDB_PASSWORD={{{{resolve:secretsmanager:app/prod/db}}}}\nWEB_GROUP=web\nWEB_LB=web-prod\nWEB_TARGET_GROUP=web-blue\n", w.image),
        &[
            "ami-not-in-failover-region",
            "secret-not-in-failover-region",
            "asg-not-in-failover-region",
            "lb-not-in-failover-region",
            "target-group-not-in-failover-region",
        ],
    );
    live(&mut seen, &moto, "a missing parameter", &vpc, "LAUNCH_AMI={{resolve:ssm:/app/prod/launch-ami-v2}}\n", &["ssm-not-found"]);
    live(
        &mut seen,
        &moto,
        "a parameter only in the primary region",
        &failover,
        "LAUNCH_AMI={{resolve:ssm:/app/prod/launch-ami}}\n",
        &["ssm-not-in-failover-region"],
    );
    live(
        &mut seen,
        &moto,
        "load balancer zones and target groups",
        &vpc,
        &format!("WEB_LB=web-prod\nAPP_SUBNETS={}\nWEB_TARGET_GROUP=web-green\n", w.subnet_e),
        &["lb-zone-not-enabled", "target-group-unattached", "routes-to-mismatch"],
    );
    drift_resource(&mut seen, &moto, &w);
    live(
        &mut seen,
        &moto,
        "an ARN of another region and account",
        &format!("{vpc}account = \"222222222222\"\nrole_arn = \"arn:aws:iam::222222222222:role/deploy\"\n"),
        "DB_PASSWORD={{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:111111111111:secret:app/db-AbCdEf}}\n",
        &["arn-mismatch"],
    );
    live(&mut seen, &moto, "another account", &format!("{vpc}account = \"222222222222\"\n"), "LAUNCH_AMI=ami-0abc1234def567890\n", &["account-mismatch"]);
    dns(&mut seen, &moto, "a record leading elsewhere", &dns_failover, |d| vec![(d.api.clone(), None, true, None)], &["routes-to-mismatch"]);
    dns(
        &mut seen,
        &moto,
        "a failover pair",
        &dns_failover,
        |d| vec![(d.web.clone(), Some("PRIMARY"), false, None), ("web-west-1234567890.us-west-2.elb.amazonaws.com".into(), Some("SECONDARY"), true, None)],
        &["dns-dangling-target", "dns-failover-never-triggers"],
    );
    dns(
        &mut seen,
        &moto,
        "a lone primary",
        &dns_failover,
        |d| vec![(d.web.clone(), Some("PRIMARY"), true, Some("0f3c2d9e-1111-2222-3333-444455556666".into()))],
        &["dns-failover-incomplete", "dns-health-check-not-found"],
    );
    dns(
        &mut seen,
        &moto,
        "a secondary in the primary region",
        &dns_failover,
        |d| vec![(d.web.clone(), Some("PRIMARY"), true, d.health.clone()), (d.web.clone(), Some("SECONDARY"), true, d.health.clone())],
        &["dns-failover-region"],
    );
    dns(&mut seen, &moto, "a record not there", &dns_failover, |_| vec![], &["dns-record-not-found"]);
    let _ = (&w.subnets, &w.old_vpc);
    let wrong = seen.mismatches();
    assert!(wrong.is_empty(), "{} documented example line(s) differ from the real output:\n{}", wrong.len(), wrong.join("\n"));
}

/// Production names another image than the one staging tested.
fn drift_resource(seen: &mut Seen, moto: &Moto, w: &World) {
    let cfg = format!(
        "schema = \"env.schema.json\"\n\n[environments.staging]\nregion = \"{EAST}\"\nvpc = \"{vpc}\"\nsource = {{ dotenv = \"deploy/staging.env\" }}\n\n\
         [environments.production]\nregion = \"{EAST}\"\nvpc = \"{vpc}\"\nsource = {{ dotenv = \"deploy/production.env\" }}\ntested_as = \"staging\"\n",
        vpc = w.new_vpc
    );
    let dir = repo(&[
        ("preflight.toml", &cfg),
        ("env.schema.json", LIVE_SCHEMA),
        ("deploy/staging.env", &format!("LAUNCH_AMI={}\n", w.image)),
        ("deploy/production.env", &format!("LAUNCH_AMI={}\n", w.older_image)),
    ]);
    let mut c = preflight(dir.path());
    c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["snapshot", "--env", "staging", "--timeout", "60s"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = check(dir.path(), Some(&moto.endpoint), &[]);
    seen.add("another image than the one tested", &["drift-resource"], &r);
}

/// Every rule's example is compared somewhere: by a scenario of this file or by a unit test.
#[test]
fn every_rule_has_its_example_compared() {
    // The rules a scenario is written for: the quoted ids in the `&[...]` rule lists passed to
    // `live`, `dns`, `offline` and `Seen::add` (each of which asserts that they fired).
    let lists = regex::Regex::new(r#"&\[((?:\s*"[a-z0-9-]+",?)+\s*)\]"#).unwrap();
    let scenarios: String = lists.captures_iter(include_str!("doc_examples.rs")).map(|c| c[1].to_string()).collect();
    let units = [include_str!("../src/checks/ami/mod.rs"), include_str!("../src/checks/traffic/mod.rs")];
    let mut missing = Vec::new();
    for rule in preflight::checks::all_rules() {
        let quoted = format!("\"{}\"", rule.id);
        let in_unit = UNIT_COMPARED.iter().any(|(id, _)| *id == rule.id);
        let compared = if in_unit { units.iter().any(|u| u.contains(&quoted) && u.contains("assert_examples_printed")) } else { scenarios.contains(&quoted) };
        if !compared {
            missing.push(rule.id);
        }
    }
    assert!(missing.is_empty(), "rules whose documented example is compared nowhere: {missing:?}");
}

/// The schema the offline examples are written against.
const OFFLINE_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
    "INSTANCE_TYPE": {"type": "string", "x-aws": "ec2:instance-type"},
    "SECURITY_GROUPS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:security-group"}},
    "SUBNET_IDS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:subnet"}},
    "APP_MOTD": {"type": "string"},
    "MIN_INSTANCES": {"type": "integer", "minimum": 2},
    "DEPLOY_COLOR": {"type": "string", "enum": ["blue", "green"]},
    "API_URL": {"type": "string"},
    "DB_PASSWORD": {"type": "string"},
    "LAUNCHER_PROTOCOL": {"type": "string", "x-parity": "same"},
    "NEW_VPC_ENABLED": {"type": "string"},
    "LEGACY_SG_NAME": {"type": "string"}
  },
  "required": ["LAUNCH_AMI", "SECURITY_GROUPS", "SUBNET_IDS"],
  "additionalProperties": false
}"#;

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// One offline example run: an environment file (and optional config lines) checked with
/// `--offline`.
fn offline(seen: &mut Seen, name: &str, extra: &str, source: &str, env: &str, rules: &[&'static str]) {
    let cfg = format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\n{extra}source = {source}\n");
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", OFFLINE_SCHEMA), ("deploy/production.env", env)]);
    seen.add(name, rules, &check(dir.path(), None, &[]));
}

const BASE: &str = "LAUNCH_AMI=ami-0abc1234def567890\nSECURITY_GROUPS=sg-0a1b2c3d4e5f67890\nSUBNET_IDS=subnet-0aaa1111bbbb2222c\n";

#[test]
fn every_offline_example_prints_what_the_check_prints() {
    let mut seen = Seen::default();
    let dotenv = "{ dotenv = \"deploy/production.env\" }";
    offline(
        &mut seen,
        "a quote left open",
        "",
        dotenv,
        "LAUNCH_AMI=ami-0abc1234def567890\nAPP_MOTD=\"Maintenance tonight\nINSTANCE_TYPE=c7g.large\n",
        &["env-syntax"],
    );
    offline(
        &mut seen,
        "schema violations",
        "",
        dotenv,
        "LAUNCH_AMI=ami-0abc1234def567890\nSECURITY_GROUPS=sg-0a1b2c3d4e5f67890\nLAUNCH_AMI_ID=ami-0abc1234def567890\nMIN_INSTANCES=two\nDEPLOY_COLOR=gren\n",
        &["env-missing", "env-unknown", "env-type", "env-schema"],
    );
    offline(&mut seen, "a line set twice", "", dotenv, &format!("{BASE}INSTANCE_TYPE=c7g.large\nLAUNCH_AMI=ami-0fed4321cba098765\n"), &["env-duplicate"]);
    offline(
        &mut seen,
        "docker's dialect",
        "",
        "{ dotenv = \"deploy/production.env\", dialect = \"docker\" }",
        &format!("{BASE}API_URL=\"https://api.example.com\"\n"),
        &["env-dialect"],
    );
    artifacts_and_drift(&mut seen);
    let wrong = seen.mismatches();
    assert!(wrong.is_empty(), "{} documented example line(s) differ from the real output:\n{}", wrong.len(), wrong.join("\n"));
}

/// The launcher of the incident: unstamped, then dirty, untracked and stale; and production
/// against staging's lock.
fn artifacts_and_drift(seen: &mut Seen) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let git = git2::Repository::init(root).unwrap();
    let cfg = format!(
        "schema = \"env.schema.json\"\n\n[environments.staging]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"deploy/staging.env\" }}\n\n\
         [environments.production]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"deploy/production.env\" }}\ntested_as = \"staging\"\n\n\
         [[artifacts]]\nname = \"launcher\"\npaths = [\"tools/launcher\", \"go.mod\", \"go.sum\"]\nprovenance = \"dist/launcher.provenance.json\"\n"
    );
    write(root, "preflight.toml", &cfg);
    write(root, "env.schema.json", OFFLINE_SCHEMA);
    write(root, "deploy/staging.env", &format!("{BASE}LAUNCHER_PROTOCOL=v1\nNEW_VPC_ENABLED=true\n"));
    write(root, "deploy/production.env", &format!("{BASE}LAUNCHER_PROTOCOL=v2\nLEGACY_SG_NAME=web-old\n"));
    write(root, ".gitignore", "dist/\n.preflight/\n");
    write(root, "tools/launcher/main.go", "package main\n");
    write(root, "tools/launcher/scale.go", "package main\n// v1\n");
    write(root, "go.mod", "module shop\n");
    write(root, "go.sum", "");
    support::commit_all(&git, "initial");
    let cmd = |args: &[&str]| {
        let mut c = preflight(root);
        c.args(args);
        run(c)
    };
    let production = ["check", "--env", "production", "--offline", "--format", "json"];
    let r = cmd(&["stamp", "--artifact", "launcher"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = cmd(&["snapshot", "--env", "staging", "--offline"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let provenance = root.join("dist/launcher.provenance.json");
    let stamped = std::fs::read(&provenance).unwrap();
    std::fs::remove_file(&provenance).unwrap();
    seen.add("an artifact never stamped", &["artifact-unstamped"], &cmd(&production));
    std::fs::write(&provenance, stamped).unwrap();
    write(root, "tools/launcher/scale.go", "package main\n// v2\n");
    write(root, "tools/launcher/retry.go", "package main\n");
    seen.add("changes not committed", &["artifact-dirty", "artifact-untracked"], &cmd(&production));

    support::commit_all(&git, "launcher: retry launches");
    seen.add("a launcher changed since it was built", &["artifact-stale", "drift-missing", "drift-extra", "drift-value", "drift-artifact"], &cmd(&production));
    let mut expect = production.to_vec();
    expect.extend(["--expect-fingerprint", "sha256:9b1f00000000000000000000000000000000000000000000000000000000abcd"]);
    seen.add("a fingerprint other than the one checked", &["fingerprint-mismatch"], &cmd(&expect));
}
