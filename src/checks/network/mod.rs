//! The network family: security groups, subnets and VPCs must exist in the region and belong
//! to the environment's VPC. This is the heart of the incident: group names and subnets that
//! were right in staging and wrong in production.

pub mod rules;

use crate::checks::{LiveCtx, Sink};
use crate::cloud::SecurityGroup;
use crate::live::Answers;
use crate::report::Finding;
use crate::schema::AwsKind;
use rules::*;

pub fn judge(ctx: &LiveCtx, answers: &Answers, out: &mut Sink) {
    let subnets = match &answers.subnets {
        Some(Ok(s)) => Some(s.as_slice()),
        Some(Err(e)) => {
            out.unverified("ec2:subnet", ctx.region, e);
            None
        }
        None => None,
    };
    judge_vpcs(ctx, answers, out);
    let launch = Launch::of(ctx, subnets);
    if let Some(subnets) = subnets {
        judge_subnets(ctx, subnets, &launch, out);
    }
    judge_groups_by_id(ctx, answers, &launch, out);
    judge_groups_by_name(ctx, answers, &launch, out);
}

/// The VPC launches go into.
struct Launch {
    /// The `vpc` of preflight.toml.
    configured: Option<String>,
    /// The VPC most of the environment's subnets are in.
    inferred: Option<String>,
    /// Configured, else inferred.
    env_vpc: Option<String>,
    /// A launch into a VPC (which needs group ids).
    vpc_launch: bool,
}

impl Launch {
    fn of(ctx: &LiveCtx, subnets: Option<&[crate::cloud::Subnet]>) -> Launch {
        // The VPC launches go into: configured, or else the one the environment's subnets are in.
        // A launch's subnets must all be in one VPC; when they are not, the VPC most of them are in
        // (the first named, on a tie) is taken, and the others are subnet-wrong-vpc.
        let configured = ctx.vpc.as_ref().map(|(v, _)| v.to_string());
        let inferred = subnets.and_then(|s| {
            let mut counts: Vec<(String, usize)> = Vec::new();
            let mut seen = std::collections::BTreeSet::new();
            for (_, id) in ctx.of(AwsKind::Subnet) {
                let Some(vpc) = s.iter().find(|x| x.id == id).and_then(|x| x.vpc_id.clone()) else { continue };
                if !seen.insert(id) {
                    continue;
                }
                match counts.iter_mut().find(|(v, _)| *v == vpc) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((vpc, 1)),
                }
            }
            let most = counts.iter().map(|(_, n)| *n).max()?;
            counts.into_iter().find(|(_, n)| *n == most).map(|(v, _)| v)
        });
        let env_vpc = configured.clone().or(inferred.clone());
        let vpc_launch = env_vpc.is_some() || ctx.of(AwsKind::Subnet).next().is_some();

        Launch { configured, inferred, env_vpc, vpc_launch }
    }
}

/// VPCs: the configured one, and any variable naming one.
fn judge_vpcs(ctx: &LiveCtx, answers: &Answers, out: &mut Sink) {
    if let Some(answer) = &answers.vpcs {
        match answer {
            Err(e) => out.unverified("ec2:vpc", ctx.region, e),
            Ok(vpcs) => {
                if let Some((vpc, at)) = &ctx.vpc
                    && !vpcs.iter().any(|v| v.id == *vpc)
                {
                    out.findings.push(
                        Finding::new(&VPC_NOT_FOUND, format!("the environment's vpc {vpc} does not exist in {}", ctx.region))
                            .region(ctx.region)
                            .help(format!("set `vpc` in preflight.toml to a VPC of {} (aws ec2 describe-vpcs --region {})", ctx.region, ctx.region))
                            .at(at.clone()),
                    );
                }
                for (var, id) in ctx.of(AwsKind::Vpc) {
                    if vpcs.iter().any(|v| v.id == id) {
                        out.resolved.push((var.to_string(), ctx.region.to_string(), id.to_string()));
                        out.attribute(var, crate::lock::Attributes::exists());
                    } else {
                        out.findings.push(ctx.finding(
                            &VPC_NOT_FOUND,
                            (var, id),
                            format!("VPC {} does not exist in {}", ctx.show(var, id), ctx.region),
                            format!("VPC ids differ per region and account: aws ec2 describe-vpcs --region {}", ctx.region),
                        ));
                    }
                }
            }
        }
    }
}

fn judge_subnets(ctx: &LiveCtx, subnets: &[crate::cloud::Subnet], launch: &Launch, out: &mut Sink) {
    let (configured, inferred) = (&launch.configured, &launch.inferred);
    for (var, id) in ctx.of(AwsKind::Subnet) {
        let shown = ctx.show(var, id);
        match subnets.iter().find(|s| s.id == id) {
            None => out.findings.push(ctx.finding(
                &SUBNET_NOT_FOUND,
                (var, id),
                format!("subnet {shown} does not exist in {}", ctx.region),
                format!(
                    "subnet ids differ per region and account: aws ec2 describe-subnets --region {}{}",
                    ctx.region,
                    configured.as_ref().map(|v| format!(" --filters Name=vpc-id,Values={v}")).unwrap_or_default()
                ),
            )),
            Some(s) => {
                out.resolved.push((var.to_string(), ctx.region.to_string(), s.id.clone()));
                out.attribute(var, crate::lock::Attributes::Subnet(crate::lock::SubnetAttributes { public: s.public }));
                if let (Some(want), Some(have)) = (&configured, &s.vpc_id) {
                    if want != have {
                        out.findings.push(ctx.finding(
                            &SUBNET_WRONG_VPC,
                            (var, id),
                            format!("subnet {shown} is in {have}, not in the environment's vpc {want}"),
                            format!("use a subnet of {want}: aws ec2 describe-subnets --region {} --filters Name=vpc-id,Values={want}", ctx.region),
                        ));
                    }
                } else if let (None, Some(want), Some(have)) = (&configured, &inferred, &s.vpc_id)
                    && want != have
                {
                    out.findings.push(ctx.finding(
                            &SUBNET_WRONG_VPC,
                            (var, id),
                            format!("subnet {shown} is in {have}, but the environment's other subnets are in {want}: a launch's subnets must all be in one VPC"),
                            format!("use subnets of one VPC, and set `vpc` in preflight.toml to say which: aws ec2 describe-subnets --region {} --filters Name=vpc-id,Values={want}", ctx.region),
                        ));
                }
            }
        }
    }
}

fn judge_groups_by_id(ctx: &LiveCtx, answers: &Answers, launch: &Launch, out: &mut Sink) {
    let env_vpc = &launch.env_vpc;
    // Security groups by id.
    if let Some(answer) = &answers.groups_by_id {
        match answer {
            Err(e) => out.unverified("ec2:security-group", ctx.region, e),
            Ok(groups) => {
                for (var, id) in ctx.of(AwsKind::SecurityGroup).filter(|(_, v)| v.starts_with("sg-")) {
                    let shown = ctx.show(var, id);
                    match groups.iter().find(|g| g.id == id) {
                        None => out.findings.push(ctx.finding(
                            &SG_NOT_FOUND,
                            (var, id),
                            format!("security group {shown} does not exist in {}", ctx.region),
                            format!(
                                "security group ids differ per region and VPC: aws ec2 describe-security-groups --region {}{}",
                                ctx.region,
                                env_vpc.as_ref().map(|v| format!(" --filters Name=vpc-id,Values={v}")).unwrap_or_default()
                            ),
                        )),
                        Some(g) => {
                            out.resolved.push((var.to_string(), ctx.region.to_string(), g.id.clone()));
                            out.attribute(var, crate::lock::Attributes::SecurityGroup(crate::lock::SecurityGroupAttributes { rules: g.rules.clone() }));
                            if let (Some(want), Some(have)) = (&env_vpc, &g.vpc_id)
                                && want != have
                            {
                                out.findings.push(ctx.finding(
                                        &SG_WRONG_VPC,
                                        (var, id),
                                        format!("security group {shown} ({}) is in {have}, not in the environment's vpc {want}", g.name),
                                        format!("use the group of the same purpose in {want}: aws ec2 describe-security-groups --region {} --filters Name=vpc-id,Values={want}", ctx.region),
                                    ));
                            }
                        }
                    }
                }
            }
        }
    }
}

fn judge_groups_by_name(ctx: &LiveCtx, answers: &Answers, launch: &Launch, out: &mut Sink) {
    let (env_vpc, vpc_launch) = (&launch.env_vpc, launch.vpc_launch);
    // Security groups by name: a VPC launch needs ids, so a name that resolves is still a finding
    // whose help gives the id; a name that only exists in another VPC is the incident itself.
    if let Some(answer) = &answers.groups_by_name {
        match answer {
            Err(e) => out.unverified("ec2:security-group (by name)", ctx.region, e),
            Ok(groups) => {
                let names = || ctx.of(AwsKind::SecurityGroup).filter(|(_, v)| !v.starts_with("sg-"));
                match (&env_vpc, vpc_launch, &answers.default_vpc) {
                    (None, false, Some(Err(e))) => out.unverified("ec2:vpc (the default VPC, for groups named without a VPC)", ctx.region, e),
                    (None, false, Some(Ok(default))) => {
                        for (var, name) in names() {
                            judge_name_default_vpc(ctx, var, name, groups, default.as_deref(), out);
                        }
                    }
                    _ => {
                        for (var, name) in names() {
                            judge_name(ctx, var, name, groups, env_vpc.as_deref(), vpc_launch, out);
                        }
                    }
                }
            }
        }
    }
}

/// A group named with no VPC and no subnet to place the launch: EC2 launches it into the
/// region's default VPC and looks the name up there (a name is usable only there; any other VPC
/// takes group ids, with a subnet).
fn judge_name_default_vpc(ctx: &LiveCtx, var: &str, name: &str, groups: &[SecurityGroup], default_vpc: Option<&str>, out: &mut Sink) {
    let shown = ctx.show(var, name);
    let matches: Vec<&SecurityGroup> = groups.iter().filter(|g| g.name == name).collect();
    if let Some(g) = matches.iter().find(|g| default_vpc.is_some() && g.vpc_id.as_deref() == default_vpc) {
        out.resolved.push((var.to_string(), ctx.region.to_string(), g.id.clone()));
        out.attribute(var, crate::lock::Attributes::SecurityGroup(crate::lock::SecurityGroupAttributes { rules: g.rules.clone() }));
        return;
    }
    let default_text = match default_vpc {
        Some(d) => format!("the default VPC {d}"),
        None => format!("a default VPC, which {} does not have", ctx.region),
    };
    if matches.is_empty() {
        out.findings.push(ctx.finding(
            &SG_NOT_FOUND,
            (var, name),
            format!("no security group named {shown} in {}", ctx.region),
            format!("aws ec2 describe-security-groups --region {} lists the groups you can use; name one by id", ctx.region),
        ));
        return;
    }
    let elsewhere: Vec<String> = matches.iter().map(|g| format!("{} in {}", g.id, g.vpc_id.as_deref().unwrap_or("no VPC"))).collect();
    let help = match matches.as_slice() {
        [g] => format!("use {} and set `vpc` in preflight.toml (or name the launch's subnets) so it is checked there", g.id),
        _ => "use the id of the group in the VPC the launch goes to, and set `vpc` in preflight.toml".to_string(),
    };
    out.findings.push(ctx.finding(
        &SG_NAME_NOT_ID,
        (var, name),
        format!("names security group {shown} by name, which is only in {}: a launch without a subnet goes to {default_text}, and one with a subnet needs the group's id", elsewhere.join(", ")),
        help,
    ));
}

fn judge_name(ctx: &LiveCtx, var: &str, name: &str, groups: &[SecurityGroup], env_vpc: Option<&str>, vpc_launch: bool, out: &mut Sink) {
    let shown = ctx.show(var, name);
    let matches: Vec<&SecurityGroup> = groups.iter().filter(|g| g.name == name).collect();
    let in_vpc: Vec<&SecurityGroup> = match env_vpc {
        Some(v) => matches.iter().copied().filter(|g| g.vpc_id.as_deref() == Some(v)).collect(),
        None => matches.clone(),
    };
    let vpc_text = env_vpc.map(|v| format!(" in {v}")).unwrap_or_default();
    if let [g] = in_vpc.as_slice() {
        out.resolved.push((var.to_string(), ctx.region.to_string(), g.id.clone()));
        out.attribute(var, crate::lock::Attributes::SecurityGroup(crate::lock::SecurityGroupAttributes { rules: g.rules.clone() }));
        if vpc_launch {
            out.findings.push(ctx.finding(
                &SG_NAME_NOT_ID,
                (var, name),
                format!("names security group {shown} by name; launches into a VPC need its id"),
                format!("use {} (the id of {name}{vpc_text} in {})", g.id, ctx.region),
            ));
        }
        return;
    }
    if in_vpc.len() > 1 {
        let ids: Vec<&str> = in_vpc.iter().map(|g| g.id.as_str()).collect();
        out.findings.push(ctx.finding(
            &SG_NAME_NOT_ID,
            (var, name),
            format!("the name {shown} matches {} groups in {}: {}", ids.len(), ctx.region, ids.join(", ")),
            "name the group by its id, and set `vpc` in preflight.toml so the right one is checked".into(),
        ));
        return;
    }
    if !matches.is_empty() {
        let elsewhere: Vec<String> = matches.iter().map(|g| format!("{} in {}", g.id, g.vpc_id.as_deref().unwrap_or("no VPC"))).collect();
        out.findings.push(ctx.finding(
            &SG_WRONG_VPC,
            (var, name),
            format!("security group {shown} exists only in another VPC ({}), not in the environment's vpc {}", elsewhere.join(", "), env_vpc.unwrap_or("?")),
            format!("create or pick the group in {} and use its id", env_vpc.unwrap_or("the environment's VPC")),
        ));
        return;
    }
    out.findings.push(ctx.finding(
        &SG_NOT_FOUND,
        (var, name),
        format!("no security group named {shown}{vpc_text} in {}", ctx.region),
        format!(
            "aws ec2 describe-security-groups --region {}{} lists the groups you can use; name one by id",
            ctx.region,
            env_vpc.map(|v| format!(" --filters Name=vpc-id,Values={v}")).unwrap_or_default()
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::{Subnet, Vpc};
    use crate::env::EnvSet;

    fn sg(id: &str, name: &str, vpc: &str) -> SecurityGroup {
        SecurityGroup { id: id.into(), name: name.into(), vpc_id: Some(vpc.into()), rules: vec![] }
    }

    const PROD: &str = "vpc-0123456789abcdef0";
    const OTHER: &str = "vpc-0fedcba9876543210";

    fn run(resources: Vec<(&str, AwsKind, &str)>, answers: Answers, vpc: Option<&str>) -> Vec<(String, String)> {
        let resources: Vec<(String, AwsKind, String)> = resources.into_iter().map(|(a, k, b)| (a.to_string(), k, b.to_string())).collect();
        let env = EnvSet::default();
        let never = |_: &str| false;
        let ctx = LiveCtx { region: "us-east-1", failover_regions: &[], vpc: vpc.map(|v| (v, None)), resources: &resources, env: &env, is_secret: &never };
        let mut out = Sink::default();
        judge(&ctx, &answers, &mut out);
        out.findings.iter().map(|f| (f.rule.id.to_string(), f.key.clone().unwrap_or_default())).collect()
    }

    #[test]
    fn names_in_a_vpc_launch() {
        let answers = Answers {
            groups_by_name: Some(Ok(vec![sg("sg-11111111", "web", PROD), sg("sg-22222222", "db", OTHER)])),
            vpcs: Some(Ok(vec![Vpc { id: PROD.into() }])),
            ..Default::default()
        };
        let got =
            run(vec![("WEB", AwsKind::SecurityGroup, "web"), ("DB", AwsKind::SecurityGroup, "db"), ("X", AwsKind::SecurityGroup, "nope")], answers, Some(PROD));
        assert_eq!(
            got,
            [("sg-name-not-id".to_string(), "WEB".to_string()), ("sg-wrong-vpc".to_string(), "DB".to_string()), ("sg-not-found".to_string(), "X".to_string()),]
        );
    }

    #[test]
    fn ids_subnets_and_vpcs() {
        let answers = Answers {
            groups_by_id: Some(Ok(vec![sg("sg-11111111", "web", PROD), sg("sg-22222222", "db", OTHER)])),
            subnets: Some(Ok(vec![
                Subnet { id: "subnet-11111111".into(), vpc_id: Some(PROD.into()), ..Default::default() },
                Subnet { id: "subnet-22222222".into(), vpc_id: Some(OTHER.into()), ..Default::default() },
            ])),
            vpcs: Some(Ok(vec![])),
            ..Default::default()
        };
        let got = run(
            vec![
                ("A", AwsKind::SecurityGroup, "sg-11111111"),
                ("B", AwsKind::SecurityGroup, "sg-22222222"),
                ("C", AwsKind::SecurityGroup, "sg-33333333"),
                ("S1", AwsKind::Subnet, "subnet-11111111"),
                ("S2", AwsKind::Subnet, "subnet-22222222"),
                ("S3", AwsKind::Subnet, "subnet-33333333"),
            ],
            answers,
            Some(PROD),
        );
        let rules: Vec<&str> = got.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(rules, ["vpc-not-found", "subnet-wrong-vpc", "subnet-not-found", "sg-wrong-vpc", "sg-not-found"]);
    }

    #[test]
    fn without_a_vpc_names_resolve_in_the_default_vpc() {
        let groups =
            vec![sg("sg-11111111", "web", PROD), sg("sg-22222222", "default", PROD), sg("sg-33333333", "default", OTHER), sg("sg-44444444", "app", OTHER)];
        let answers = Answers { groups_by_name: Some(Ok(groups)), default_vpc: Some(Ok(Some(PROD.into()))), ..Default::default() };
        let vars = vec![
            ("WEB", AwsKind::SecurityGroup, "web"),
            ("DEF", AwsKind::SecurityGroup, "default"),
            ("APP", AwsKind::SecurityGroup, "app"),
            ("X", AwsKind::SecurityGroup, "x"),
        ];
        assert_eq!(run(vars.clone(), answers, None), [("sg-name-not-id".to_string(), "APP".to_string()), ("sg-not-found".to_string(), "X".to_string())]);
        // No default VPC: a name is usable nowhere without a subnet.
        let answers = Answers { groups_by_name: Some(Ok(vec![sg("sg-11111111", "web", PROD)])), default_vpc: Some(Ok(None)), ..Default::default() };
        assert_eq!(run(vec![vars[0]], answers, None), [("sg-name-not-id".to_string(), "WEB".to_string())]);
    }

    #[test]
    fn subnets_of_two_vpcs_without_a_vpc_setting_block() {
        let subnet = |id: &str, vpc: &str| Subnet { id: id.into(), vpc_id: Some(vpc.into()), ..Default::default() };
        let answers = Answers {
            subnets: Some(Ok(vec![subnet("subnet-11111111", PROD), subnet("subnet-22222222", PROD), subnet("subnet-33333333", OTHER)])),
            groups_by_id: Some(Ok(vec![sg("sg-11111111", "web", PROD)])),
            ..Default::default()
        };
        let got = run(
            vec![
                ("S", AwsKind::Subnet, "subnet-11111111"),
                ("S", AwsKind::Subnet, "subnet-22222222"),
                ("S", AwsKind::Subnet, "subnet-33333333"),
                ("G", AwsKind::SecurityGroup, "sg-11111111"),
            ],
            answers,
            None,
        );
        // The odd one out is reported; the group is judged against the VPC most subnets are in.
        assert_eq!(got, [("subnet-wrong-vpc".to_string(), "S".to_string())]);
    }
}
