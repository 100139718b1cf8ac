//! The compute family: instance types offered in the region (and in the zones of the
//! environment's subnets), launch templates and key pairs that exist.

pub mod rules;

use std::collections::BTreeSet;

use crate::checks::{LiveCtx, Sink};
use crate::live::{Answers, FailoverAnswers};
use crate::schema::AwsKind;
use rules::*;

pub fn judge(ctx: &LiveCtx, answers: &Answers, out: &mut Sink) {
    if let Some(answer) = &answers.offerings {
        match answer {
            Err(e) => out.unverified("ec2:instance-type", ctx.region, e),
            Ok(offerings) => {
                // Zones the environment's subnets are in, when they are known.
                let zones: BTreeSet<&str> = match &answers.subnets {
                    Some(Ok(subnets)) => {
                        subnets.iter().filter(|s| ctx.of(AwsKind::Subnet).any(|(_, id)| id == s.id)).filter_map(|s| s.availability_zone.as_deref()).collect()
                    }
                    _ => BTreeSet::new(),
                };
                for (var, t) in ctx.of(AwsKind::InstanceType) {
                    let offered: BTreeSet<&str> = offerings.iter().filter(|o| o.instance_type == t).map(|o| o.zone.as_str()).collect();
                    if offered.is_empty() {
                        out.findings.push(ctx.finding(
                            &INSTANCE_TYPE_NOT_OFFERED,
                            (var, t),
                            format!("instance type {} is not offered in {}", ctx.show(var, t), ctx.region),
                            format!(
                                "pick a type offered there: aws ec2 describe-instance-type-offerings --region {} --filters Name=instance-type,Values={t}",
                                ctx.region
                            ),
                        ));
                        continue;
                    }
                    let missing: Vec<&str> = zones.iter().copied().filter(|z| !offered.contains(z)).collect();
                    if !missing.is_empty() {
                        out.findings.push(ctx.finding(
                            &INSTANCE_TYPE_NOT_OFFERED,
                            (var, t),
                            format!("instance type {} is not offered in {} (zone of the environment's subnets)", ctx.show(var, t), missing.join(", ")),
                            format!(
                                "it is offered in {}; use subnets in those zones or another instance type",
                                offered.into_iter().collect::<Vec<_>>().join(", ")
                            ),
                        ));
                    } else {
                        out.resolved.push((var.to_string(), ctx.region.to_string(), t.to_string()));
                        out.attribute(var, crate::lock::Attributes::InstanceType(crate::lock::InstanceTypeAttributes { instance_type: t.to_string() }));
                    }
                }
            }
        }
    }

    if let Some(answer) = &answers.launch_templates {
        match answer {
            Err(e) => out.unverified("ec2:launch-template", ctx.region, e),
            Ok(templates) => {
                for (var, value) in ctx.of(AwsKind::LaunchTemplate) {
                    // `web-lt:$Latest`: the template is `web-lt` (its version is judged by the
                    // autoscaling family).
                    let v = crate::aws_ids::split_template_version(value).0;
                    match templates.iter().find(|t| t.id == v || t.name == v) {
                        Some(t) => {
                            out.resolved.push((var.to_string(), ctx.region.to_string(), t.id.clone()));
                            out.attribute(var, crate::lock::Attributes::exists());
                        }
                        None => out.findings.push(ctx.finding(
                            &LAUNCH_TEMPLATE_NOT_FOUND,
                            (var, value),
                            format!("launch template {} does not exist in {}", ctx.show(var, v), ctx.region),
                            format!("launch templates are per region: aws ec2 describe-launch-templates --region {}", ctx.region),
                        )),
                    }
                }
            }
        }
    }

    if let Some(answer) = &answers.key_pairs {
        match answer {
            Err(e) => out.unverified("ec2:key-pair", ctx.region, e),
            Ok(keys) => {
                for (var, v) in ctx.of(AwsKind::KeyPair) {
                    match keys.iter().find(|k| k.name == v || k.id.as_deref() == Some(v)) {
                        Some(k) => {
                            out.resolved.push((var.to_string(), ctx.region.to_string(), k.id.clone().unwrap_or_else(|| k.name.clone())));
                            out.attribute(var, crate::lock::Attributes::exists());
                        }
                        None => out.findings.push(ctx.finding(
                            &KEY_PAIR_NOT_FOUND,
                            (var, v),
                            format!("key pair {} does not exist in {}", ctx.show(var, v), ctx.region),
                            format!("key pairs are per region: import the public key with aws ec2 import-key-pair --region {}", ctx.region),
                        )),
                    }
                }
            }
        }
    }
}

/// Key pairs, launch templates named by name, and instance types, in each failover region:
/// everything of this family that is named by name (ids are regional and not looked up there).
/// Only what exists in the primary region is judged, so one mistake is one finding.
pub fn judge_failover(ctx: &LiveCtx, primary: &Answers, failover: &std::collections::BTreeMap<String, FailoverAnswers>, out: &mut Sink) {
    for (region, a) in failover {
        let mut unverified = |what: &str, e: &crate::cloud::CloudError| {
            out.unverified.push(crate::report::Unverified { check: format!("{what} (failover)"), region: Some(region.clone()), reason: e.to_string() })
        };
        let mut findings = Vec::new();
        if let (Some(Ok(here)), Some(there)) = (&primary.key_pairs, &a.key_pairs) {
            match there {
                Err(e) => unverified("ec2:key-pair", e),
                Ok(there) => {
                    for (var, name) in ctx.of(AwsKind::KeyPair).filter(|(_, n)| here.iter().any(|k| k.name == *n)) {
                        if !there.iter().any(|k| k.name == name) {
                            findings.push(
                                ctx.finding(
                                    &KEY_PAIR_NOT_FOUND,
                                    (var, name),
                                    format!("key pair {} does not exist in failover region {region}", ctx.show(var, name)),
                                    format!("key pairs are per region: aws ec2 import-key-pair --region {region} --key-name {name} --public-key-material ..."),
                                )
                                .region(region),
                            );
                        }
                    }
                }
            }
        }
        if let (Some(Ok(here)), Some(there)) = (&primary.launch_templates, &a.launch_templates) {
            match there {
                Err(e) => unverified("ec2:launch-template", e),
                Ok(there) => {
                    let names = ctx.of(AwsKind::LaunchTemplate).map(|(var, v)| (var, crate::aws_ids::split_template_version(v).0));
                    for (var, name) in names.filter(|(_, n)| !n.starts_with("lt-") && here.iter().any(|t| t.name == *n)) {
                        if !there.iter().any(|t| t.name == name) {
                            findings.push(ctx.finding(
                                &LAUNCH_TEMPLATE_NOT_FOUND,
                                (var, name),
                                format!("launch template {} does not exist in failover region {region}", ctx.show(var, name)),
                                format!("launch templates are per region: create it there (aws ec2 create-launch-template --region {region} --launch-template-name {name} ...)"),
                            ).region(region));
                        }
                    }
                }
            }
        }
        if let (Some(Ok(here)), Some(there)) = (&primary.offerings, &a.offerings) {
            match there {
                Err(e) => unverified("ec2:instance-type", e),
                Ok(there) => {
                    for (var, t) in ctx.of(AwsKind::InstanceType).filter(|(_, t)| here.iter().any(|o| o.instance_type == *t)) {
                        if !there.iter().any(|o| o.instance_type == t) {
                            findings.push(ctx.finding(
                                &INSTANCE_TYPE_NOT_OFFERED,
                                (var, t),
                                format!("instance type {} is not offered in failover region {region}", ctx.show(var, t)),
                                format!("pick a type offered in every region the environment may run in: aws ec2 describe-instance-type-offerings --region {region} --filters Name=instance-type,Values={t}"),
                            ).region(region));
                        }
                    }
                }
            }
        }
        out.findings.append(&mut findings);
    }
}
