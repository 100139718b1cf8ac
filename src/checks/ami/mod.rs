//! The ami family: every image a variable names must exist in the environment's region, be
//! `available`, not be past its deprecation time, fit the environment's instance types, and
//! have an available image of the same name, of the same owner or the caller's own account, in every
//! failover region.

pub mod rules;

use std::time::SystemTime;

use crate::checks::{LiveCtx, Sink};
use crate::cloud::{Image, InstanceType};
use crate::live::Answers;
use crate::schema::AwsKind;
use rules::*;

pub fn judge(ctx: &LiveCtx, answers: &Answers, now: SystemTime, out: &mut Sink) {
    let Some(images) = &answers.images else { return };
    let images = match images {
        Ok(i) => i,
        Err(e) => {
            out.unverified("ec2:image", ctx.region, e);
            return;
        }
    };
    let types: Option<&[InstanceType]> = match &answers.instance_types {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            out.unverified("ec2:instance-type architectures", ctx.region, e);
            None
        }
        None => None,
    };
    for (region, answer) in &answers.failover_images {
        if let Err(e) = answer {
            out.unverified("ec2:image (failover, by name)", region, e);
        }
    }

    for (var, id) in ctx.of(AwsKind::Image) {
        let shown = ctx.show(var, id);
        let Some(image) = images.iter().find(|i| i.id == id) else {
            out.findings.push(ctx.finding(
                &AMI_NOT_FOUND,
                (var, id),
                format!("image {shown} does not exist in {}, or is not visible to this account", ctx.region),
                format!(
                    "AMI ids differ per region: look up the id for {r} (aws ec2 describe-images --image-ids {id} --region {r}), or copy the image there with aws ec2 copy-image",
                    r = ctx.region,
                    id = if (ctx.is_secret)(var) { "ID" } else { id },
                ),
            ));
            continue;
        };
        out.resolved.push((var.to_string(), ctx.region.to_string(), image.id.clone()));
        out.attribute(
            var,
            crate::lock::Attributes::Image(crate::lock::ImageAttributes {
                name: image.name.clone(),
                architecture: image.architecture.clone(),
                root_device_type: image.root_device_type.clone(),
            }),
        );
        let name = image.name.as_deref().unwrap_or("(unnamed)");
        if image.state != "available" {
            out.findings.push(ctx.finding(
                &AMI_NOT_AVAILABLE,
                (var, id),
                format!("image {shown} ({name}) is {}, not available", image.state),
                "instances cannot launch from an image that is not available; wait for a pending image, or use another one".into(),
            ));
        }
        if let Some(t) = image.deprecation_time.as_deref()
            && is_past(t, now)
        {
            out.findings.push(ctx.finding(
                &AMI_DEPRECATED,
                (var, id),
                format!("image {shown} ({name}) has been deprecated since {t}"),
                "move to a current image; deprecated images disappear from searches and may be deregistered".into(),
            ));
        }
        if let (Some(arch), Some(types)) = (image.architecture.as_deref(), types) {
            for (tvar, tname) in ctx.of(AwsKind::InstanceType) {
                let Some(info) = types.iter().find(|t| t.name == tname) else { continue };
                if !info.architectures.is_empty() && !info.architectures.iter().any(|a| a == arch) {
                    out.findings.push(ctx.finding(
                        &AMI_ARCHITECTURE_MISMATCH,
                        (var, id),
                        format!("image {shown} is {arch}, but instance type {tname} ({tvar}) runs {}", info.architectures.join("/")),
                        format!("use an {} image, or an instance type that runs {arch}", info.architectures.join("/")),
                    ));
                }
            }
        }
        judge_failover(ctx, var, image, answers, out);
    }
}

fn judge_failover(ctx: &LiveCtx, var: &str, image: &Image, answers: &Answers, out: &mut Sink) {
    let Some(name) = image.name.as_deref() else { return };
    for region in ctx.failover_regions {
        let Some(Ok(found)) = answers.failover_images.get(region) else { continue };
        // Each lookup asked only for images of one primary owner or the caller's account
        // (`live::failover_owners`): a twin comes from the lookup made for this image's owner.
        let twin =
            found.iter().find(|(for_owner, i)| *for_owner == image.owner_id && i.name.as_deref() == Some(name) && i.state == "available").map(|(_, i)| i);
        match twin {
            Some(t) => out.resolved.push((var.to_string(), region.clone(), t.id.clone())),
            None => out.findings.push(
                ctx.finding(
                    &AMI_NOT_IN_FAILOVER_REGION,
                    (var, &image.id),
                    format!("no available image named {name} in failover region {region}"),
                    format!(
                        "copy it before the rollout: aws ec2 copy-image --source-region {} --source-image-id {} --name {name} --region {region}",
                        ctx.region, image.id
                    ),
                )
                .region(region.clone()),
            ),
        }
    }
}

/// True when an RFC 3339 time (as EC2 writes `DeprecationTime`) is before `now`.
fn is_past(time: &str, now: SystemTime) -> bool {
    humantime::parse_rfc3339_weak(time.trim_end_matches('Z').split('.').next().unwrap_or(time)).map(|t| t <= now).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::{CloudError, Image, InstanceType};
    use crate::env::EnvSet;
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn image(id: &str, name: &str, state: &str, arch: &str, dep: Option<&str>) -> Image {
        Image {
            id: id.into(),
            name: Some(name.into()),
            state: state.into(),
            architecture: Some(arch.into()),
            owner_id: Some("123456789012".into()),
            deprecation_time: dep.map(str::to_string),
            ..Default::default()
        }
    }

    fn run(resources: &[(String, AwsKind, String)], answers: Answers, failover: &[String]) -> Sink {
        let env = EnvSet::default();
        let never = |_: &str| false;
        let ctx = LiveCtx { region: "us-east-1", failover_regions: failover, vpc: None, resources, env: &env, is_secret: &never };
        let mut out = Sink::default();
        // 2026-11-22
        judge(&ctx, &answers, SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_305_600), &mut out);
        out
    }

    fn ids(out: &Sink) -> Vec<&str> {
        out.findings.iter().map(|f| f.rule.id).collect()
    }

    const A: &str = "ami-0123456789abcdef0";
    const B: &str = "ami-0fedcba9876543210";

    #[test]
    fn deprecated_is_a_warning_only_when_past() {
        let res = vec![("A".to_string(), AwsKind::Image, A.to_string()), ("B".to_string(), AwsKind::Image, B.to_string())];
        let answers = Answers {
            images: Some(Ok(vec![
                image(A, "web-1", "available", "x86_64", Some("2024-01-01T00:00:00.000Z")),
                image(B, "web-2", "available", "x86_64", Some("2099-01-01T00:00:00.000Z")),
            ])),
            ..Default::default()
        };
        let out = run(&res, answers, &[]);
        assert_eq!(ids(&out), ["ami-deprecated"]);
        assert_eq!(out.findings[0].key.as_deref(), Some("A"));
        assert_eq!(out.findings[0].severity, crate::rules::Severity::Warning);
    }

    /// The documented examples of the states moto cannot hold (a pending image, a deprecated
    /// one) print what the judge prints (tests/doc_examples.rs compares the others live).
    #[test]
    fn documented_examples_of_pending_and_deprecated_images() {
        const ID: &str = "ami-0abc1234def567890";
        let res = vec![("LAUNCH_AMI".to_string(), AwsKind::Image, ID.to_string())];
        let cases = [
            (&super::rules::AMI_NOT_AVAILABLE, image(ID, "launcher-2024-06-01", "pending", "x86_64", None)),
            (&super::rules::AMI_DEPRECATED, image(ID, "al2023-ami-2023.4.20240401.1-kernel-6.1-x86_64", "available", "x86_64", Some("2024-07-01T00:00:00Z"))),
        ];
        for (rule, image) in cases {
            let out = run(&res, Answers { images: Some(Ok(vec![image])), ..Default::default() }, &[]);
            crate::rules::assert_examples_printed(rule, &out.findings);
        }
    }

    #[test]
    fn missing_unavailable_and_architecture() {
        let res = vec![
            ("A".to_string(), AwsKind::Image, A.to_string()),
            ("B".to_string(), AwsKind::Image, B.to_string()),
            ("T".to_string(), AwsKind::InstanceType, "m7g.large".to_string()),
        ];
        let answers = Answers {
            images: Some(Ok(vec![image(B, "web-2", "pending", "x86_64", None)])),
            instance_types: Some(Ok(vec![InstanceType { name: "m7g.large".into(), architectures: vec!["arm64".into()] }])),
            ..Default::default()
        };
        let out = run(&res, answers, &[]);
        assert_eq!(ids(&out), ["ami-not-found", "ami-not-available", "ami-architecture-mismatch"]);
    }

    #[test]
    fn failover_needs_an_available_image_of_the_same_name_found_for_its_owner() {
        let res = vec![("A".to_string(), AwsKind::Image, A.to_string())];
        let primary = image(A, "web-1", "available", "x86_64", None);
        let owner = primary.owner_id.clone();
        let pending = image("ami-11111111", "web-1", "pending", "x86_64", None);
        let for_another_owner = image("ami-33333333", "web-1", "available", "x86_64", None);
        let answers = Answers {
            images: Some(Ok(vec![primary])),
            failover_images: BTreeMap::from([
                ("us-west-2".to_string(), Ok(vec![(owner.clone(), image("ami-22222222", "web-1", "available", "x86_64", None))])),
                ("eu-west-1".to_string(), Ok(vec![(owner, pending), (Some("801119661308".into()), for_another_owner)])),
            ]),
            ..Default::default()
        };
        let out = run(&res, answers, &["us-west-2".to_string(), "eu-west-1".to_string()]);
        assert_eq!(ids(&out), ["ami-not-in-failover-region"]);
        assert_eq!(out.findings[0].region.as_deref(), Some("eu-west-1"));
        assert!(out.resolved.iter().any(|(_, r, id)| r == "us-west-2" && id == "ami-22222222"));
    }

    #[test]
    fn errors_are_unverified_never_findings() {
        let res = vec![("A".to_string(), AwsKind::Image, A.to_string())];
        let answers = Answers { images: Some(Err(CloudError::Denied("UnauthorizedOperation".into()))), ..Default::default() };
        let out = run(&res, answers, &[]);
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
    }
}
