//! The autoscaling family: what the autoscaler will launch. `autoscaling:group` values exist,
//! launch into the environment's VPC, can launch, and exist in every failover region; the
//! launch template version a group (or an `ec2:launch-template` value with `:VERSION`) really
//! launches is resolved to its number, and its data is checked by the other families' rules
//! (with a `via`) and against `x-launch-fields`.

pub mod rules;

use std::collections::{BTreeMap, BTreeSet};

use crate::checks::{LiveCtx, Sink};
use crate::cloud::{AutoScalingGroup, TemplateRef, TemplateVersion};
use crate::live::{Answers, FailoverAnswers, LaunchAnswers};
use crate::schema::{AwsKind, EnvSchema};
use rules::*;

/// A launch template version that will launch, and what names it.
#[derive(Debug, Clone)]
pub struct Launch {
    pub var: String,
    /// "Auto Scaling group web, launch template web-lt version 3"
    pub via: String,
    pub version: TemplateVersion,
    /// The Auto Scaling group that launches it (`None` for an `ec2:launch-template` value).
    pub group: Option<String>,
}

/// The launch template and version an `ec2:launch-template` value names after a colon
/// (`web-lt:$Latest`, `lt-0123456789abcdef0:7`), if it names one.
pub fn template_ref(value: &str) -> Option<TemplateRef> {
    let (template, version) = crate::aws_ids::split_template_version(value);
    version.map(|v| TemplateRef { template: template.to_string(), version: v.to_string() })
}

/// The templates the values name with a version.
pub fn versioned_templates(ctx: &LiveCtx) -> BTreeSet<TemplateRef> {
    ctx.of(AwsKind::LaunchTemplate).filter_map(|(_, v)| template_ref(v)).collect()
}

/// The version `wanted` names among a template's answered versions.
fn pick<'a>(versions: &'a [TemplateVersion], wanted: &str) -> Option<&'a TemplateVersion> {
    match wanted {
        "$Default" => versions.iter().find(|v| v.default),
        "$Latest" => versions.iter().max_by_key(|v| v.number),
        n => versions.iter().find(|v| v.number.to_string() == n),
    }
}

/// Judges the groups (exist, VPC, Launch, capacity) and resolves every group's and versioned
/// template value's launch template version. Returns what will launch.
pub fn resolve(ctx: &LiveCtx, answers: &LaunchAnswers, out: &mut Sink) -> Vec<Launch> {
    let mut launches = Vec::new();
    let mut wanted: Vec<(String, Option<String>, TemplateRef)> = Vec::new(); // (var, group, template)
    if let Some(answer) = &answers.groups {
        match answer {
            Err(e) => out.unverified("autoscaling:group", ctx.region, e),
            Ok(groups) => {
                for (var, name) in ctx.of(AwsKind::AutoScalingGroup) {
                    let Some(g) = groups.iter().find(|g| g.name == name) else {
                        out.findings.push(ctx.finding(
                            &ASG_NOT_FOUND,
                            (var, name),
                            format!("Auto Scaling group {} does not exist in {}", ctx.show(var, name), ctx.region),
                            format!("aws autoscaling describe-auto-scaling-groups --region {} --query 'AutoScalingGroups[].AutoScalingGroupName'", ctx.region),
                        ));
                        continue;
                    };
                    judge_group(ctx, var, g, out);
                    match &g.launch_template {
                        Some(t) => wanted.push((var.to_string(), Some(g.name.clone()), t.clone())),
                        None => out.unverified.push(crate::report::Unverified {
                            check: format!("autoscaling:group {var}"),
                            region: Some(ctx.region.to_string()),
                            reason: format!("group {} launches from a launch configuration, whose data preflight does not read", g.name),
                        }),
                    }
                }
            }
        }
    }
    for (var, value) in ctx.of(AwsKind::LaunchTemplate) {
        if let Some(t) = template_ref(value) {
            wanted.push((var.to_string(), None, t));
        }
    }
    let mut reported = BTreeSet::new();
    for (var, group, t) in wanted {
        let via = group.as_ref().map(|g| format!("Auto Scaling group {g}, ")).unwrap_or_default();
        match answers.versions.get(&t.template) {
            None => {}
            Some(Err(e)) if reported.insert(t.template.clone()) => out.unverified("ec2:launch-template version", ctx.region, e),
            Some(Err(_)) => {}
            Some(Ok(versions)) => match pick(versions, &t.version) {
                Some(v) => {
                    let name = if v.template_name.is_empty() { &v.template_id } else { &v.template_name };
                    let via = format!(
                        "{via}launch template {name} version {}{}",
                        v.number,
                        if t.version.starts_with('$') { format!(" ({})", t.version) } else { String::new() }
                    );
                    out.resolved.push((var.clone(), ctx.region.to_string(), format!("{}@{}", v.template_id, v.number)));
                    not_checked(&var, &via, &v.data, out);
                    launches.push(Launch { var, via, version: v.clone(), group: group.clone() });
                }
                None => {
                    let what = if versions.is_empty() {
                        format!("launch template {} does not exist", t.template)
                    } else {
                        format!("launch template {} has no version {}", t.template, t.version)
                    };
                    out.findings.push(ctx.finding(
                        &LAUNCH_TEMPLATE_VERSION_NOT_FOUND,
                        (&var, &t.template),
                        format!("{via}{what} in {}", ctx.region),
                        format!(
                            "aws ec2 describe-launch-template-versions --region {} --launch-template-name {} (or --launch-template-id)",
                            ctx.region, t.template
                        ),
                    ));
                }
            },
        }
    }
    launches
}

/// What a launch names that preflight does not look up (SPEC: an instance profile is reported
/// as not checked; so are the snapshots its block devices restore, which no rule of the SPEC's
/// catalogue covers), said in a note rather than passed silently.
fn not_checked(var: &str, via: &str, data: &crate::cloud::LaunchData, out: &mut Sink) {
    let mut what = Vec::new();
    if let Some(p) = &data.instance_profile {
        what.push(format!("instance profile {p}"));
    }
    if !data.snapshots.is_empty() {
        what.push(format!("block-device snapshot{} {}", if data.snapshots.len() == 1 { "" } else { "s" }, data.snapshots.join(", ")));
    }
    if !what.is_empty() {
        out.notes.push(format!("{var}: {via} also names {}, which preflight does not check", what.join(" and ")));
    }
}

fn judge_group(ctx: &LiveCtx, var: &str, g: &AutoScalingGroup, out: &mut Sink) {
    let shown = ctx.show(var, &g.name);
    let launch_suspended = g.suspended.iter().any(|p| p == "Launch");
    if launch_suspended {
        out.findings.push(ctx.finding(
            &ASG_LAUNCH_SUSPENDED,
            (var, &g.name),
            format!("Auto Scaling group {shown} has its Launch process suspended: it cannot launch machines"),
            format!("aws autoscaling resume-processes --region {} --auto-scaling-group-name {} --scaling-processes Launch", ctx.region, g.name),
        ));
    }
    if g.max_size == 0 {
        out.findings.push(ctx.finding(
            &ASG_NO_CAPACITY,
            (var, &g.name),
            format!("Auto Scaling group {shown} has a maximum size of 0"),
            format!("aws autoscaling update-auto-scaling-group --region {} --auto-scaling-group-name {} --max-size N", ctx.region, g.name),
        ));
    }
    out.attribute(
        var,
        crate::lock::Attributes::AutoScalingGroup(crate::lock::GroupAttributes { autoscaling_group: true, can_launch: !launch_suspended && g.max_size > 0 }),
    );
}

/// The groups' subnets against the environment's `vpc` (the subnets were looked up in the
/// environment's batched DescribeSubnets).
pub fn judge_vpc(ctx: &LiveCtx, answers: &LaunchAnswers, primary: &Answers, out: &mut Sink) {
    let (Some((vpc, _)), Some(Ok(subnets)), Some(Ok(groups))) = (&ctx.vpc, &primary.subnets, &answers.groups) else { return };
    for (var, name) in ctx.of(AwsKind::AutoScalingGroup) {
        let Some(g) = groups.iter().find(|g| g.name == name) else { continue };
        let wrong: Vec<String> = g
            .subnets
            .iter()
            .filter_map(|id| subnets.iter().find(|s| &s.id == id))
            .filter(|s| s.vpc_id.as_deref().is_some_and(|v| v != *vpc))
            .map(|s| format!("{} of {}", s.id, s.vpc_id.as_deref().unwrap_or("?")))
            .collect();
        if !wrong.is_empty() {
            out.findings.push(ctx.finding(
                &ASG_WRONG_VPC,
                (var, name),
                format!("Auto Scaling group {} launches into {}, not the environment's {vpc}", ctx.show(var, name), wrong.join(", ")),
                format!(
                    "aws autoscaling update-auto-scaling-group --region {} --auto-scaling-group-name {name} --vpc-zone-identifier SUBNETS-OF-{vpc}",
                    ctx.region
                ),
            ));
        }
    }
}

/// The instance type a group launches is offered in every zone of the group's own subnets
/// (its `VPCZoneIdentifier`): a launch into a zone without the type fails there, and the group
/// keeps retrying it.
pub fn judge_zones(ctx: &LiveCtx, answers: &LaunchAnswers, primary: &Answers, launches: &[Launch], out: &mut Sink) {
    let (Some(Ok(groups)), Some(Ok(subnets)), Some(Ok(offerings))) = (&answers.groups, &primary.subnets, &primary.offerings) else { return };
    for l in launches {
        let (Some(name), Some(t)) = (&l.group, &l.version.data.instance_type) else { continue };
        let Some(g) = groups.iter().find(|g| &g.name == name) else { continue };
        let offered: BTreeSet<&str> = offerings.iter().filter(|o| &o.instance_type == t).map(|o| o.zone.as_str()).collect();
        // Not offered in the region at all is the compute family's finding, on the same variable.
        if offered.is_empty() {
            continue;
        }
        let zones: BTreeSet<&str> =
            g.subnets.iter().filter_map(|id| subnets.iter().find(|s| &s.id == id)).filter_map(|s| s.availability_zone.as_deref()).collect();
        let missing: Vec<&str> = zones.into_iter().filter(|z| !offered.contains(z)).collect();
        if missing.is_empty() {
            continue;
        }
        let f = ctx
            .finding(
                &crate::checks::compute::rules::INSTANCE_TYPE_NOT_OFFERED,
                (&l.var, ""),
                format!("instance type {} is not offered in {}, a zone of the group's subnets (via {})", ctx.show(&l.var, t), missing.join(", "), l.via),
                format!(
                    "it is offered in {}; drop the group's subnets in other zones, or launch another instance type",
                    offered.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
            .via(l.via.clone());
        out.findings.push(f);
    }
}

/// The resources a launch's template data names, as (variable, kind, value): they are looked up
/// in the same batches as the environment's own and judged by the same rules.
pub fn derived(launches: &[Launch]) -> Vec<(String, AwsKind, String)> {
    let mut out = Vec::new();
    for l in launches {
        let d = &l.version.data;
        let v = |kind, value: &String| (l.var.clone(), kind, value.clone());
        out.extend(d.image_id.iter().map(|x| v(AwsKind::Image, x)));
        out.extend(d.instance_type.iter().map(|x| v(AwsKind::InstanceType, x)));
        out.extend(d.key_name.iter().map(|x| v(AwsKind::KeyPair, x)));
        out.extend(d.security_group_ids.iter().chain(&d.security_groups).map(|x| v(AwsKind::SecurityGroup, x)));
        out.extend(d.subnets.iter().map(|x| v(AwsKind::Subnet, x)));
    }
    out.sort();
    out.dedup();
    out
}

/// The subnets of the groups found, for the batched DescribeSubnets (their VPC is judged here).
pub fn group_subnets(answers: &LaunchAnswers) -> Vec<String> {
    match &answers.groups {
        Some(Ok(groups)) => groups.iter().flat_map(|g| g.subnets.iter().cloned()).collect(),
        _ => Vec::new(),
    }
}

/// Marks the findings about a launch's data with its `via` (group, template and version). The
/// variable's own findings (its group, its template's existence) are not marked.
pub fn mark_via(launches: &[Launch], findings: &mut [crate::report::Finding]) {
    let mut via: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for l in launches {
        via.entry(&l.var).or_default().push(&l.via);
    }
    for f in findings {
        let Some(v) = f.key.as_deref().and_then(|k| via.get(k)) else { continue };
        if f.rule.family == crate::rules::Family::Autoscaling
            || std::ptr::eq(f.rule, &crate::checks::compute::rules::LAUNCH_TEMPLATE_NOT_FOUND)
            || f.via.is_some()
        {
            continue;
        }
        let v = v.join("; ");
        f.message.push_str(&format!(" (via {v})"));
        f.via = Some(v);
    }
}

/// `x-launch-fields`: each mapped field of the version that will launch equals its variable
/// (lists as sets).
pub fn judge_fields(ctx: &LiveCtx, schema: &EnvSchema, launches: &[Launch], out: &mut Sink) {
    for l in launches {
        let Some(prop) = schema.property(&l.var) else { continue };
        let d = &l.version.data;
        for (field, other) in &prop.launch_fields {
            let template: Vec<String> = match field.as_str() {
                "ImageId" => d.image_id.iter().cloned().collect(),
                "InstanceType" => d.instance_type.iter().cloned().collect(),
                "KeyName" => d.key_name.iter().cloned().collect(),
                "SecurityGroupIds" => d.security_group_ids.clone(),
                "SecurityGroups" => d.security_groups.clone(),
                _ => d.subnets.clone(),
            };
            let value = ctx.env.vars.get(other).and_then(|v| v.value.clone());
            let wanted: BTreeSet<String> = value.as_deref().map(list_items).unwrap_or_default();
            let got: BTreeSet<String> = template.iter().cloned().collect();
            if value.is_some() && wanted == got {
                continue;
            }
            let shown_template = if got.is_empty() { "not set".to_string() } else { ctx.show(other, &template.join(",")) };
            let shown_var = match &value {
                Some(v) => ctx.show(other, v),
                None => "not set".to_string(),
            };
            let f = ctx
                .finding(
                    &LAUNCH_TEMPLATE_MISMATCH,
                    (&l.var, ""),
                    format!("{field} of {} is {shown_template}, but {other} is {shown_var}", l.via),
                    format!("create a launch template version from the environment ({field} = {other}) and make it the one that launches, or fix {other}"),
                )
                .via(l.via.clone());
            out.findings.push(f);
        }
    }
}

/// A variable's value as a set of items: a JSON array, else comma-separated.
fn list_items(value: &str) -> BTreeSet<String> {
    if value.trim_start().starts_with('[')
        && let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(value)
    {
        return items.iter().map(|i| i.as_str().map(str::to_string).unwrap_or_else(|| i.to_string())).collect();
    }
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The target groups each group registers its machines into exist in the region (the same
/// DescribeTargetGroups listing as the `elbv2:target-group` values'). A group registering into
/// a deleted target group launches machines that never receive traffic.
pub fn judge_target_groups(ctx: &LiveCtx, answers: &LaunchAnswers, traffic: &crate::live::traffic::TrafficAnswers, out: &mut Sink) {
    let (Some(Ok(groups)), Some(Ok(listed))) = (&answers.groups, traffic.target_groups.get(ctx.region)) else { return };
    for (var, name) in ctx.of(AwsKind::AutoScalingGroup) {
        let Some(g) = groups.iter().find(|g| g.name == name) else { continue };
        for arn in g.target_groups.iter().filter(|a| !listed.iter().any(|t| &t.arn == *a)) {
            out.findings.push(ctx.finding(
                &crate::checks::traffic::rules::TARGET_GROUP_NOT_FOUND,
                (var, name),
                format!("Auto Scaling group {} registers its machines into target group {arn}, which does not exist in {}", ctx.show(var, name), ctx.region),
                format!(
                    "aws autoscaling detach-traffic-sources --region {} --auto-scaling-group-name {} --traffic-sources Identifier={arn}, then attach the target group the load balancer forwards to",
                    ctx.region, g.name
                ),
            ));
        }
    }
}

/// Groups found in the primary region, in each failover region.
pub fn judge_failover(ctx: &LiveCtx, primary: &LaunchAnswers, failover: &BTreeMap<String, FailoverAnswers>, out: &mut Sink) {
    let Some(Ok(here)) = &primary.groups else { return };
    for (region, a) in failover {
        match &a.groups {
            None => {}
            Some(Err(e)) => out.unverified("autoscaling:group (failover)", region, e),
            Some(Ok(there)) => {
                for (var, name) in ctx.of(AwsKind::AutoScalingGroup).filter(|(_, n)| here.iter().any(|g| g.name == *n)) {
                    if !there.iter().any(|g| g.name == name) {
                        out.findings.push(
                            ctx.finding(
                                &ASG_NOT_IN_FAILOVER_REGION,
                                (var, name),
                                format!("Auto Scaling group {} does not exist in failover region {region}", ctx.show(var, name)),
                                format!("create it in {region} with that region's launch template and subnets"),
                            )
                            .region(region),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_picked_by_default_latest_and_number() {
        let v = |n, d| TemplateVersion { number: n, default: d, ..Default::default() };
        let versions = [v(1, false), v(2, true), v(5, false)];
        assert_eq!(pick(&versions, "$Default").unwrap().number, 2);
        assert_eq!(pick(&versions, "$Latest").unwrap().number, 5);
        assert_eq!(pick(&versions, "1").unwrap().number, 1);
        assert!(pick(&versions, "7").is_none());
    }

    #[test]
    fn lists_compare_as_sets_in_either_notation() {
        assert_eq!(list_items("sg-2, sg-1"), list_items(r#"["sg-1","sg-2"]"#));
        assert_eq!(list_items("").len(), 0);
    }
}
