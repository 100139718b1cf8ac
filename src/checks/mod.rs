//! The check families, one module each, with their rules declared beside them.

pub mod account;
pub mod ami;
pub mod arn;
pub mod artifact;
pub mod autoscaling;
pub mod compute;
pub mod drift;
pub mod env;
pub mod network;
pub mod secretsmanager;
pub mod ssm;
pub mod traffic;

use crate::aws_ids;
use crate::env::EnvSet;
use crate::report::{Finding, Location, Unverified};
use crate::rules::Rule;
use crate::schema::AwsKind;

/// What the live judges need to know about the environment.
pub struct LiveCtx<'a> {
    pub region: &'a str,
    pub failover_regions: &'a [String],
    /// The `vpc` of preflight.toml, with where it is written.
    pub vpc: Option<(&'a str, Option<Location>)>,
    /// (variable, kind, value) of every well-formed resource name.
    pub resources: &'a [(String, AwsKind, String)],
    pub env: &'a EnvSet,
    pub is_secret: &'a dyn Fn(&str) -> bool,
}

impl LiveCtx<'_> {
    /// The resources of one kind.
    pub fn of(&self, kind: AwsKind) -> impl Iterator<Item = (&str, &str)> {
        self.resources.iter().filter(move |(_, k, _)| *k == kind).map(|(n, _, v)| (n.as_str(), v.as_str()))
    }

    /// How a value is named in a message: quoted, or hidden for a secret variable.
    pub fn show(&self, var: &str, value: &str) -> String {
        if (self.is_secret)(var) { "`****`".to_string() } else { format!("`{value}`") }
    }

    /// Where the variable's value is written.
    pub fn at(&self, var: &str) -> Option<Location> {
        self.env.vars.get(var).and_then(|v| v.value_location())
    }

    /// Where one value of a variable is written: for a list such as
    /// `SUBNETS=subnet-a,subnet-b`, the item itself.
    pub fn item_location(&self, var: &str, value: &str) -> Option<Location> {
        self.env.vars.get(var).and_then(|v| v.item_location(value))
    }

    /// A finding about one value of a variable (`(var, value)`), located at that value, in the
    /// primary region.
    pub fn finding(&self, rule: &'static Rule, (var, value): (&str, &str), message: String, help: String) -> Finding {
        Finding::new(rule, message).key(var).region(self.region).help(help).at(self.item_location(var, value))
    }
}

/// The one sink every stage of `check` and every family writes to: findings, checks that could
/// not complete, notes, and what the live lookups resolved (for the fingerprint and the lock).
#[derive(Debug, Default)]
pub struct Sink {
    pub findings: Vec<Finding>,
    pub unverified: Vec<Unverified>,
    /// (variable, region, resolved id) for the fingerprint.
    pub resolved: Vec<(String, String, String)>,
    /// Per variable, the attributes of each resource it names in the primary region: what
    /// makes two resources equivalent across regions and accounts (for the lock and drift).
    pub attributes: std::collections::BTreeMap<String, Vec<crate::lock::Attributes>>,
    /// What the report should say was not checked, or how something was found.
    pub notes: Vec<String>,
}

impl Sink {
    pub fn attribute(&mut self, var: &str, value: crate::lock::Attributes) {
        self.attributes.entry(var.to_string()).or_default().push(value);
    }

    pub fn unverified(&mut self, check: &str, region: &str, e: &crate::cloud::CloudError) {
        self.skipped(check.to_string(), region, e.to_string());
    }

    /// A check that could not complete in `region`, and why.
    pub fn skipped(&mut self, check: String, region: &str, reason: String) {
        self.unverified.push(Unverified { check, region: Some(region.to_string()), reason });
    }
}

/// Every rule, in SPEC order: `explain` lists them, the report's SARIF driver describes them.
pub fn all_rules() -> Vec<&'static Rule> {
    [
        env::rules::RULES,
        account::rules::RULES,
        ssm::rules::RULES,
        secretsmanager::rules::RULES,
        ami::rules::RULES,
        network::rules::RULES,
        compute::rules::RULES,
        traffic::rules::RULES,
        arn::rules::RULES,
        autoscaling::rules::RULES,
        artifact::rules::RULES,
        drift::rules::RULES,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect()
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    all_rules().into_iter().find(|r| r.id == id)
}

/// The offline shape check of a value naming a cloud resource. A name that cannot be an id
/// of its kind cannot exist, so it fires the kind's not-found rule even with `--offline`.
/// Returns (rule, message, help).
pub fn aws_syntax_problem(kind: AwsKind, value: &str, secret: bool) -> Option<(&'static Rule, String, String)> {
    let shown = if secret { "the value".to_string() } else { format!("`{value}`") };
    let (ok, rule, what, help): (bool, &'static Rule, &str, &str) = match kind {
        AwsKind::Image => (
            aws_ids::is_id(value, "ami"),
            &ami::rules::AMI_NOT_FOUND,
            "an AMI id",
            "an AMI id is ami- followed by 8 or 17 lowercase hex digits, e.g. ami-0123456789abcdef0",
        ),
        AwsKind::SecurityGroup => (
            aws_ids::is_id(value, "sg") || aws_ids::is_group_name(value),
            &network::rules::SG_NOT_FOUND,
            "a security group id or name",
            "a group id is sg- followed by 8 or 17 lowercase hex digits; a name cannot start with sg-",
        ),
        AwsKind::Subnet => (
            aws_ids::is_id(value, "subnet"),
            &network::rules::SUBNET_NOT_FOUND,
            "a subnet id",
            "a subnet id is subnet- followed by 8 or 17 lowercase hex digits",
        ),
        AwsKind::Vpc => (aws_ids::is_id(value, "vpc"), &network::rules::VPC_NOT_FOUND, "a VPC id", "a VPC id is vpc- followed by 8 or 17 lowercase hex digits"),
        AwsKind::InstanceType => (
            aws_ids::is_instance_type(value),
            &compute::rules::INSTANCE_TYPE_NOT_OFFERED,
            "an instance type",
            "an instance type looks like t3.micro or m7g.2xlarge",
        ),
        AwsKind::LaunchTemplate => (
            {
                let t = aws_ids::split_template_version(value).0;
                aws_ids::is_id(t, "lt") || (aws_ids::is_launch_template_name(t) && !t.starts_with("lt-"))
            },
            &compute::rules::LAUNCH_TEMPLATE_NOT_FOUND,
            "a launch template id or name",
            "a launch template id is lt- followed by 17 hex digits; a name is 3-128 letters, digits and ().-/_; a version may follow a colon: name:$Latest, name:$Default, name:7",
        ),
        AwsKind::KeyPair => {
            (aws_ids::is_key_pair_name(value), &compute::rules::KEY_PAIR_NOT_FOUND, "a key pair name", "a key pair name is 1-255 printable ASCII characters")
        }
        AwsKind::Parameter => (
            aws_ids::is_parameter_name(value),
            &ssm::rules::SSM_NOT_FOUND,
            "an SSM parameter name",
            "a parameter name is letters, digits and _.-/ such as /app/prod/db_host",
        ),
        AwsKind::AutoScalingGroup => (
            aws_ids::is_group_name_asg(value),
            &autoscaling::rules::ASG_NOT_FOUND,
            "an Auto Scaling group name",
            "a group name is 1-255 characters without control characters",
        ),
        AwsKind::LoadBalancer => (
            aws_ids::is_load_balancer_id(value),
            &traffic::rules::LB_NOT_FOUND,
            "a load balancer name or ARN",
            "a load balancer name is 1-32 letters, digits and hyphens (not starting with internal-); an ARN is arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID",
        ),
        AwsKind::TargetGroup => (
            aws_ids::is_target_group_id(value),
            &traffic::rules::TARGET_GROUP_NOT_FOUND,
            "a target group name or ARN",
            "a target group name is 1-32 letters, digits and hyphens; an ARN is arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID",
        ),
        AwsKind::DnsRecord => (
            aws_ids::is_dns_name(value),
            &traffic::rules::DNS_RECORD_NOT_FOUND,
            "a DNS name",
            "a record name is a DNS name such as api.example.com (letters, digits, - and _; a leading *. for a wildcard)",
        ),
        AwsKind::Secret => (
            aws_ids::is_secret_id(value),
            &secretsmanager::rules::SECRET_NOT_FOUND,
            "a Secrets Manager secret name or ARN",
            "a secret name is 1-512 letters, digits and /_+=.@-; an ARN is arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME",
        ),
    };
    if ok { None } else { Some((rule, format!("{shown} is not {what}, so it cannot exist"), help.to_string())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SPEC section 3 table, in order: users script against these ids.
    const SPEC_IDS: &[&str] = &[
        "env-syntax",
        "env-missing",
        "env-unknown",
        "env-type",
        "env-schema",
        "env-duplicate",
        "env-dialect",
        "account-mismatch",
        "ssm-not-found",
        "ssm-not-in-failover-region",
        "secret-not-found",
        "secret-not-in-failover-region",
        "ami-not-found",
        "ami-not-available",
        "ami-deprecated",
        "ami-not-in-failover-region",
        "ami-architecture-mismatch",
        "sg-not-found",
        "sg-wrong-vpc",
        "sg-name-not-id",
        "subnet-not-found",
        "subnet-wrong-vpc",
        "vpc-not-found",
        "instance-type-not-offered",
        "launch-template-not-found",
        "key-pair-not-found",
        "lb-not-found",
        "lb-wrong-vpc",
        "lb-not-active",
        "lb-provisioning",
        "lb-zone-not-enabled",
        "lb-not-in-failover-region",
        "target-group-not-found",
        "target-group-wrong-vpc",
        "target-group-unattached",
        "target-group-not-in-failover-region",
        "dns-record-not-found",
        "dns-dangling-target",
        "dns-health-check-not-found",
        "dns-failover-incomplete",
        "dns-failover-region",
        "dns-failover-never-triggers",
        "routes-to-mismatch",
        "arn-mismatch",
        "asg-not-found",
        "asg-wrong-vpc",
        "asg-launch-suspended",
        "asg-no-capacity",
        "asg-not-in-failover-region",
        "launch-template-version-not-found",
        "launch-template-mismatch",
        "artifact-unstamped",
        "artifact-stale",
        "artifact-dirty",
        "artifact-untracked",
        "drift-missing",
        "drift-extra",
        "drift-value",
        "drift-resource",
        "drift-artifact",
        "fingerprint-mismatch",
    ];

    /// Every rule preflight has is in the SPEC, in the SPEC's order (the rules of capabilities
    /// not built yet are simply absent), and ids are unique.
    #[test]
    fn rule_ids_follow_the_spec() {
        let ids: Vec<&str> = all_rules().iter().map(|r| r.id).collect();
        let mut spec = SPEC_IDS.iter();
        for id in &ids {
            assert!(spec.any(|s| s == id), "{id} is not in the SPEC table, or out of its order");
        }
        let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }

    #[test]
    fn every_rule_is_documented() {
        for r in all_rules() {
            for section in ["## What it does", "## Why is this bad?", "## Example", "## How to fix"] {
                assert!(r.doc.contains(section), "{} lacks {section}", r.id);
            }
            assert!(!r.summary.is_empty());
        }
    }

    /// Each rule's example prints the rule as the report does: its own id, at its own severity
    /// (`error[ami-not-found]: ...`), so a doc cannot show another rule's line or severity.
    #[test]
    fn every_example_prints_its_own_rule_at_its_severity() {
        for r in all_rules() {
            let example = r.doc.split("## Example").nth(1).and_then(|e| e.split("## How to fix").next()).unwrap_or("");
            let printed = format!("{}[{}]", r.severity.as_str(), r.id);
            assert!(example.contains(&printed), "{}: the example does not print {printed}:\n{example}", r.id);
            for line in example.lines().filter(|l| l.starts_with("error[") || l.starts_with("warning[")) {
                assert!(line.starts_with(&printed), "{}: the example prints another rule or severity: {line}", r.id);
            }
        }
    }

    #[test]
    fn warnings_are_the_ones_the_spec_names() {
        let warnings: Vec<&str> = all_rules().iter().filter(|r| r.severity == crate::rules::Severity::Warning).map(|r| r.id).collect();
        assert_eq!(
            warnings,
            [
                "env-duplicate",
                "env-dialect",
                "ami-deprecated",
                "lb-provisioning",
                "lb-zone-not-enabled",
                "target-group-unattached",
                "dns-failover-never-triggers",
                "asg-no-capacity"
            ]
        );
    }
}
