//! What the autoscaler will launch: Auto Scaling groups and the launch template versions they
//! use, end to end through the binary against moto. Under CI=true a missing emulator fails.

mod support;

use std::collections::BTreeMap;

use support::seed;
use support::{Moto, block_on, preflight, repo, run};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

/// The incident's world: a new VPC and an old one, an image per release.
struct World {
    vpc: String,
    new_subnets: Vec<String>,
    old_subnets: Vec<String>,
    new_sg: String,
    old_sg: String,
    image: String,
}

fn world(moto: &Moto) -> World {
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let vpc = east.vpc("10.1.0.0/16").await;
        let old = east.vpc("10.2.0.0/16").await;
        let new_subnets = vec![east.subnet(&vpc, "10.1.1.0/24", 'a').await, east.subnet(&vpc, "10.1.2.0/24", 'b').await];
        let old_subnets = vec![east.subnet(&old, "10.2.1.0/24", 'a').await];
        let new_sg = east.group("web-prod", &vpc).await;
        let old_sg = east.group("web-staging", &old).await;
        let image = east.image("web-1.5").await;
        World { vpc, new_subnets, old_subnets, new_sg, old_sg, image }
    })
}

const SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
    "WEB_SECURITY_GROUPS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:security-group"}},
    "WEB_GROUP": {"type": "string", "x-aws": "autoscaling:group",
                  "x-launch-fields": {"ImageId": "LAUNCH_AMI", "SecurityGroupIds": "WEB_SECURITY_GROUPS"}},
    "WEB_TEMPLATE": {"type": "string", "x-aws": "ec2:launch-template"}
  }
}"#;

fn config(vpc: &str, failover: bool) -> String {
    let fo = if failover { format!("failover_regions = [\"{WEST}\"]\n") } else { String::new() };
    format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\n{fo}vpc = \"{vpc}\"\nsource = {{ dotenv = \"prod.env\" }}\n")
}

fn check(dir: &std::path::Path, endpoint: &str) -> support::Run {
    let mut c = preflight(dir);
    c.env("AWS_ENDPOINT_URL", endpoint).args(["check", "--env", "production", "--format", "json"]);
    run(c)
}

/// Group `web` launching `web-lt`'s `$Latest`, whose data is the environment's, and a
/// repository whose environment names the group.
fn web_group_launching_the_environment(moto: &Moto, w: &World) -> tempfile::TempDir {
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.launch_template_for("web-lt", &w.image, &[&w.new_sg], "t3.micro").await;
        east.group_launching("web", "web-lt", "$Latest", &w.new_subnets, 4).await;
    });
    let env = format!("LAUNCH_AMI={}\nWEB_SECURITY_GROUPS={}\nWEB_GROUP=web\n", w.image, w.new_sg);
    repo(&[("preflight.toml", &config(&w.vpc, false)), ("env.schema.json", SCHEMA), ("prod.env", &env)])
}

#[test]
fn a_group_launching_a_version_that_matches_the_environment_passes() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.launch_template_for("web-lt", &w.image, &[&w.new_sg], "t3.micro").await;
        east.group_launching("web", "web-lt", "$Latest", &w.new_subnets, 4).await;
    });
    let env = format!("LAUNCH_AMI={}\nWEB_SECURITY_GROUPS={}\nWEB_GROUP=web\nWEB_TEMPLATE=web-lt:$Default\n", w.image, w.new_sg);
    let dir = repo(&[("preflight.toml", &config(&w.vpc, false)), ("env.schema.json", SCHEMA), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["checked"]["groups"], 1);
}

/// The incident as the autoscaler sees it: the environment was fixed, but the group's `$Latest`
/// version still launches staging's image into the old VPC's group.
#[test]
fn a_latest_version_with_a_missing_image_and_an_old_vpc_group_is_blocked_on_the_group() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    let version = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.launch_template_for("web-lt", &w.image, &[&w.new_sg], "t3.micro").await;
        let v = east.template_version("web-lt", "ami-0000000000000dead", &[&w.old_sg], "t3.micro").await;
        east.group_launching("web", "web-lt", "$Latest", &w.new_subnets, 4).await;
        v
    });
    let env = format!("LAUNCH_AMI={}\nWEB_SECURITY_GROUPS={}\nWEB_GROUP=web\n", w.image, w.new_sg);
    let dir = repo(&[("preflight.toml", &config(&w.vpc, false)), ("env.schema.json", SCHEMA), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let j = r.json();
    let findings = j["findings"].as_array().unwrap();
    let mut rules: Vec<&str> = findings.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    rules.sort();
    assert_eq!(rules, ["ami-not-found", "launch-template-mismatch", "launch-template-mismatch", "sg-wrong-vpc"], "{}", r.stdout);
    for f in findings {
        assert_eq!(f["key"], "WEB_GROUP", "{f}");
        let via = if f["rule"] == "launch-template-mismatch" { f["message"].as_str().unwrap().to_string() } else { f["via"].as_str().unwrap().to_string() };
        assert!(via.contains("Auto Scaling group web") && via.contains(&format!("launch template web-lt version {version}")), "{f}");
    }
    // Every format names the version.
    for format in ["human", "sarif", "junit", "github"] {
        let mut c = preflight(dir.path());
        c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["check", "--env", "production", "--format", format]);
        let out = run(c);
        assert!(format!("{}{}", out.stdout, out.stderr).contains(&format!("version {version}")), "{format}:\n{}", out.stdout);
    }
}

#[test]
fn suspended_empty_wrong_vpc_and_missing_groups_and_versions() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.launch_template_for("web-lt", &w.image, &[&w.new_sg], "t3.micro").await;
        east.group_launching("suspended", "web-lt", "1", &w.new_subnets, 4).await;
        east.suspend_launch("suspended").await;
        east.group_launching("empty", "web-lt", "1", &w.new_subnets, 0).await;
        east.group_launching("old-vpc", "web-lt", "1", &w.old_subnets, 4).await;
        east.group_launching("bad-version", "web-lt", "9", &w.new_subnets, 4).await;
    });
    let schema = r#"{"type": "object", "properties": {
        "A": {"type": "string", "x-aws": "autoscaling:group"}, "B": {"type": "string", "x-aws": "autoscaling:group"},
        "C": {"type": "string", "x-aws": "autoscaling:group"}, "D": {"type": "string", "x-aws": "autoscaling:group"},
        "E": {"type": "string", "x-aws": "autoscaling:group"},
        "T1": {"type": "string", "x-aws": "ec2:launch-template"}, "T2": {"type": "string", "x-aws": "ec2:launch-template"}
    }}"#;
    let env = "A=suspended\nB=empty\nC=old-vpc\nD=bad-version\nE=missing\nT1=web-lt:1\nT2=web-lt:7\n";
    let dir = repo(&[("preflight.toml", &config(&w.vpc, false)), ("env.schema.json", schema), ("prod.env", env)]);
    let r = check(dir.path(), &moto.endpoint);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let mut f: Vec<(String, String)> = r.findings().into_iter().map(|(rule, key, _)| (rule, key)).collect();
    f.sort();
    let want = |r: &str, k: &str| (r.to_string(), k.to_string());
    assert_eq!(
        f,
        [
            want("asg-launch-suspended", "A"),
            want("asg-no-capacity", "B"),
            want("asg-not-found", "E"),
            want("asg-wrong-vpc", "C"),
            want("launch-template-version-not-found", "D"),
            want("launch-template-version-not-found", "T2"),
        ],
        "{}",
        r.stdout
    );
}

#[test]
fn a_group_missing_in_a_failover_region_is_blocked() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.launch_template_for("web-lt", &w.image, &[&w.new_sg], "t3.micro").await;
        east.group_launching("web", "web-lt", "$Default", &w.new_subnets, 4).await;
        let west = seed::cloud(&moto.endpoint, WEST).await;
        west.copy_image(EAST, &w.image, "web-1.5").await;
    });
    let schema = r#"{"type": "object", "properties": {"WEB_GROUP": {"type": "string", "x-aws": "autoscaling:group"}}}"#;
    let dir = repo(&[("preflight.toml", &config(&w.vpc, true)), ("env.schema.json", schema), ("prod.env", "WEB_GROUP=web\n")]);
    let r = check(dir.path(), &moto.endpoint);
    assert_eq!(r.findings(), [("asg-not-in-failover-region".to_string(), "WEB_GROUP".to_string(), WEST.to_string())], "{}\n{}", r.stdout, r.stderr);
}

/// 20 groups sharing 3 templates: one DescribeAutoScalingGroups, one
/// DescribeLaunchTemplateVersions per template, and the templates' resources join the EC2
/// batches; adding groups on the same templates adds no EC2 call.
#[test]
fn groups_and_template_versions_are_batched() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        for t in 0..3 {
            east.launch_template_for(&format!("lt-{t}"), &w.image, &[&w.new_sg], "t3.micro").await;
        }
        for g in 0..40 {
            east.group_launching(&format!("g-{g:02}"), &format!("lt-{}", g % 3), "$Default", &w.new_subnets, 2).await;
        }
    });
    let repo_with = |n: usize| {
        let mut props = BTreeMap::new();
        let mut env = String::new();
        for g in 0..n {
            props.insert(format!("G{g}"), serde_json::json!({"type": "string", "x-aws": "autoscaling:group"}));
            env.push_str(&format!("G{g}=g-{g:02}\n"));
        }
        let schema = serde_json::json!({"type": "object", "properties": props}).to_string();
        repo(&[("preflight.toml", &config(&w.vpc, false)), ("env.schema.json", &schema), ("prod.env", &env)])
    };
    let count = |dir: &std::path::Path| {
        moto.start_recording();
        let r = check(dir, &moto.endpoint);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for a in moto.recorded_actions() {
            *counts.entry(a).or_default() += 1;
        }
        counts
    };
    let twenty = repo_with(20);
    let small = count(twenty.path());
    assert_eq!(small.get("autoscaling:DescribeAutoScalingGroups"), Some(&1), "{small:?}");
    assert_eq!(small.get("ec2:DescribeLaunchTemplateVersions"), Some(&3), "{small:?}");
    assert_eq!(small.get("ec2:DescribeImages"), Some(&1), "{small:?}");
    let forty = repo_with(40);
    let big = count(forty.path());
    let ec2 = |c: &BTreeMap<String, usize>| c.iter().filter(|(k, _)| k.starts_with("ec2:")).map(|(_, v)| *v).sum::<usize>();
    assert_eq!(ec2(&big), ec2(&small), "more groups on the same templates add no EC2 call: {big:?}");
}

/// A group registering its machines into a target group deleted since: they would never get
/// traffic. Looked up in the same DescribeTargetGroups listing as `elbv2:target-group` values.
#[test]
fn a_group_registering_into_a_deleted_target_group_is_blocked() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    let dir = web_group_launching_the_environment(&moto, &w);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let live = east.target_group("web-blue", &w.vpc).await;
        let gone = east.target_group("web-old", &w.vpc).await;
        east.asg.attach_load_balancer_target_groups().auto_scaling_group_name("web").target_group_arns(&live).target_group_arns(&gone).send().await.unwrap();
        east.elb.delete_target_group().target_group_arn(&gone).send().await.unwrap();
    });
    moto.start_recording();
    let r = check(dir.path(), &moto.endpoint);
    let actions = moto.recorded_actions();
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.findings(), [("target-group-not-found".to_string(), "WEB_GROUP".to_string(), EAST.to_string())], "{}", r.stdout);
    let j = r.json();
    assert!(j["findings"][0]["message"].as_str().unwrap().contains("web-old"), "{}", r.stdout);
    assert_eq!(actions.iter().filter(|a| *a == "elasticloadbalancing:DescribeTargetGroups").count(), 1, "{actions:?}");
}

/// The fingerprint holds the launch template version a group resolves to: a new `$Latest`
/// after the check is another environment.
#[test]
fn a_new_latest_version_changes_the_fingerprint() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    let dir = web_group_launching_the_environment(&moto, &w);
    let before = check(dir.path(), &moto.endpoint);
    assert_eq!(before.code, 0, "{}\n{}", before.stdout, before.stderr);
    block_on(async {
        // The same data, one version later: what launches is no longer what was checked.
        seed::cloud(&moto.endpoint, EAST).await.template_version("web-lt", &w.image, &[&w.new_sg], "t3.micro").await;
    });
    let after = check(dir.path(), &moto.endpoint);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    assert_ne!(before.json()["fingerprint"], after.json()["fingerprint"]);
}

/// Auto Scaling's throttling is retried within the deadline; AccessDenied is unverified (exit 3),
/// never `asg-not-found`.
#[test]
fn auto_scaling_throttling_is_retried_and_access_denied_is_unverified() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    let dir = web_group_launching_the_environment(&moto, &w);
    fn busy(req: &str, seen: usize) -> Option<(u16, String)> {
        (req.contains("Action=DescribeAutoScalingGroups") && seen < 3).then(|| (400, support::proxy::error_response("Throttling", "Rate exceeded")))
    }
    let gate = support::proxy::Gate::start(moto.port, busy);
    let r = check(dir.path(), &format!("http://127.0.0.1:{}", gate.port));
    assert_eq!(r.code, 0, "throttling retried to an answer: {}\n{}", r.stdout, r.stderr);
    assert!(gate.answered.load(std::sync::atomic::Ordering::SeqCst) >= 1, "the gate throttled the group lookup");

    fn denied(req: &str, _: usize) -> Option<(u16, String)> {
        req.contains("Action=DescribeAutoScalingGroups")
            .then(|| (403, support::proxy::error_response("AccessDenied", "not authorized to perform autoscaling:DescribeAutoScalingGroups")))
    }
    let gate = support::proxy::Gate::start(moto.port, denied);
    let r = check(dir.path(), &format!("http://127.0.0.1:{}", gate.port));
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.json()["unverified"].to_string().contains("autoscaling"), "{}", r.stdout);
    assert!(r.findings().is_empty(), "a denial is never a finding: {}", r.stdout);
}

/// The instance type a group launches must be offered in every zone of the group's own subnets
/// (t3.micro is not offered in us-east-1e): the group would keep failing to launch there.
#[test]
fn a_group_launching_a_type_not_offered_in_one_of_its_zones_is_blocked() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let e = east.subnet(&w.vpc, "10.1.9.0/24", 'e').await;
        east.launch_template_for("web-lt", &w.image, &[&w.new_sg], "t3.micro").await;
        east.group_launching("web", "web-lt", "$Latest", &[w.new_subnets[0].clone(), e], 4).await;
        east.launch_template_for("api-lt", &w.image, &[&w.new_sg], "t3.micro").await;
        east.group_launching("api", "api-lt", "$Latest", &w.new_subnets, 4).await;
    });
    let env = format!("LAUNCH_AMI={}\nWEB_SECURITY_GROUPS={}\nWEB_GROUP=web\nAPI_GROUP=api\n", w.image, w.new_sg);
    let schema = SCHEMA.replace(r#""WEB_TEMPLATE""#, r#""API_GROUP": {"type": "string", "x-aws": "autoscaling:group"}, "WEB_TEMPLATE""#);
    let dir = repo(&[("preflight.toml", &config(&w.vpc, false)), ("env.schema.json", &schema), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.findings(), [("instance-type-not-offered".to_string(), "WEB_GROUP".to_string(), EAST.to_string())], "{}", r.stdout);
    let j = r.json();
    let f = &j["findings"][0];
    assert!(f["message"].as_str().unwrap().contains("us-east-1e"), "{f}");
    assert!(f["via"].as_str().unwrap().contains("Auto Scaling group web"), "{f}");
}

/// An `ec2:launch-template` value names its version after a colon: `:$Latest` resolves to the
/// newest version (here one with a missing image), `:1` to the first, which is fine.
#[test]
fn template_values_with_latest_and_a_number_check_that_version() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    let latest = block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.launch_template_for("web-lt", &w.image, &[&w.new_sg], "t3.micro").await;
        east.template_version("web-lt", "ami-0000000000000dead", &[&w.new_sg], "t3.micro").await
    });
    let schema = SCHEMA.replace(r#""WEB_TEMPLATE""#, r#""PINNED_TEMPLATE": {"type": "string", "x-aws": "ec2:launch-template"}, "WEB_TEMPLATE""#);
    let env = format!("LAUNCH_AMI={}\nWEB_SECURITY_GROUPS={}\nWEB_TEMPLATE=web-lt:$Latest\nPINNED_TEMPLATE=web-lt:1\n", w.image, w.new_sg);
    let dir = repo(&[("preflight.toml", &config(&w.vpc, false)), ("env.schema.json", &schema), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.findings(), [("ami-not-found".to_string(), "WEB_TEMPLATE".to_string(), EAST.to_string())], "{}", r.stdout);
    let j = r.json();
    assert_eq!(j["findings"][0]["via"], format!("launch template web-lt version {latest} ($Latest)"), "{}", r.stdout);
}

/// What a launch names and preflight does not look up (an instance profile, block-device
/// snapshots) is listed as not checked, never passed silently.
#[test]
fn an_instance_profile_and_snapshots_are_listed_as_not_checked() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        use aws_sdk_ec2::types::{
            LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateIamInstanceProfileSpecificationRequest,
            RequestLaunchTemplateData,
        };
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let data = RequestLaunchTemplateData::builder()
            .image_id(&w.image)
            .instance_type(aws_sdk_ec2::types::InstanceType::from("t3.micro"))
            .security_group_ids(&w.new_sg)
            .iam_instance_profile(LaunchTemplateIamInstanceProfileSpecificationRequest::builder().name("web-role").build())
            .block_device_mappings(
                LaunchTemplateBlockDeviceMappingRequest::builder()
                    .device_name("/dev/sdf")
                    .ebs(LaunchTemplateEbsBlockDeviceRequest::builder().snapshot_id("snap-0123456789abcdef0").build())
                    .build(),
            )
            .build();
        east.ec2.create_launch_template().launch_template_name("prof-lt").launch_template_data(data).send().await.unwrap();
    });
    let env = format!("LAUNCH_AMI={}\nWEB_SECURITY_GROUPS={}\nWEB_TEMPLATE=prof-lt:$Default\n", w.image, w.new_sg);
    let dir = repo(&[("preflight.toml", &config(&w.vpc, false)), ("env.schema.json", SCHEMA), ("prod.env", &env)]);
    let r = check(dir.path(), &moto.endpoint);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let notes = r.json()["notes"].to_string();
    assert!(notes.contains("instance profile web-role") && notes.contains("snap-0123456789abcdef0") && notes.contains("prof-lt version 1"), "{notes}");
}
