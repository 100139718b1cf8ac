//! The secretsmanager family: secrets named by `{{resolve:secretsmanager:...}}` references,
//! `secretsmanager:secret` values and task definition `valueFrom`s exist in the environment's
//! region (not scheduled for deletion, with the version stage or id named) and in every
//! failover region. Only metadata is read: never a secret's value.

pub mod rules;

use std::collections::BTreeMap;

use crate::aws_arn::SecretRef;
use crate::checks::{LiveCtx, Sink};
use crate::cloud::Secret;
use crate::live::{FailoverAnswers, SecretAnswers, secret_list_name};
use rules::*;

/// One place the environment names a secret.
#[derive(Debug, Clone)]
pub struct SecretUse {
    pub var: String,
    pub reference: SecretRef,
    /// Named in a reference or a `valueFrom` (the id may be printed: the variable's value is
    /// what is secret), rather than as the value itself (shown through `LiveCtx::show`).
    pub by_reference: bool,
}

impl SecretUse {
    fn shown(&self, ctx: &LiveCtx) -> String {
        if self.by_reference { self.reference.secret_id.clone() } else { ctx.show(&self.var, &self.reference.secret_id) }
    }
}

/// The version a use resolves to: the one it names, or the one staged AWSCURRENT.
fn version<'s>(secret: &'s Secret, r: &SecretRef) -> Result<Option<&'s str>, String> {
    if let Some(id) = &r.version_id {
        return match secret.versions.get_key_value(id) {
            Some((id, _)) => Ok(Some(id.as_str())),
            None => Err(format!("has no version with id {id}")),
        };
    }
    let stage = r.version_stage.as_deref().unwrap_or("AWSCURRENT");
    match secret.version_with_stage(stage) {
        Some(v) => Ok(Some(v)),
        // A secret listed with no versions at all (an answer without the map) is not judged
        // on its stage.
        None if secret.versions.is_empty() && r.version_stage.is_none() => Ok(None),
        None => Err(format!("has no version staged {stage}")),
    }
}

/// Judges each use against the primary region's answers.
pub fn judge(ctx: &LiveCtx, uses: &[SecretUse], answers: &SecretAnswers, out: &mut Sink) {
    let mut reported = false;
    for u in uses {
        let shown = u.shown(ctx);
        let problem = match answers.by_id.get(&u.reference.secret_id) {
            None => continue,
            Some(Err(e)) => {
                if !std::mem::replace(&mut reported, true) {
                    out.unverified("secretsmanager:secret", ctx.region, e);
                }
                continue;
            }
            Some(Ok(None)) => format!("Secrets Manager secret {shown} does not exist in {}", ctx.region),
            Some(Ok(Some(s))) if s.deleted.is_some() => {
                format!("Secrets Manager secret {shown} is scheduled for deletion (on {}) in {}", s.deleted.as_deref().unwrap_or("?"), ctx.region)
            }
            Some(Ok(Some(s))) => match version(s, &u.reference) {
                Ok(v) => {
                    out.resolved.push((u.var.clone(), ctx.region.to_string(), format!("{}@{}", s.arn, v.unwrap_or("-"))));
                    out.attribute(
                        &u.var,
                        crate::lock::Attributes::Secret(crate::lock::SecretAttributes { secret: true, exists: true, in_every_failover_region: true }),
                    );
                    continue;
                }
                Err(why) => format!("Secrets Manager secret {shown} {why} in {}", ctx.region),
            },
        };
        let help = format!(
            "secrets are per region and account: aws secretsmanager list-secrets --region {} --filters Key=name,Values={}; create it, restore it (aws secretsmanager restore-secret), or fix the reference",
            ctx.region,
            secret_list_name(&u.reference.secret_id)
        );
        out.findings.push(ctx.finding(&SECRET_NOT_FOUND, (&u.var, &u.reference.secret_id), problem, help));
    }
}

/// Judges each use found in the primary region against every failover region: a replica, or
/// a secret of that name, not scheduled for deletion.
pub fn judge_failover(ctx: &LiveCtx, uses: &[SecretUse], primary: &SecretAnswers, failover: &BTreeMap<String, FailoverAnswers>, out: &mut Sink) {
    for (region, answers) in failover {
        let mut reported = false;
        for u in uses {
            let Some(Ok(Some(found))) = primary.by_id.get(&u.reference.secret_id) else { continue };
            if found.deleted.is_some() {
                continue;
            }
            let name = secret_list_name(&u.reference.secret_id);
            match answers.secrets.by_id.get(&name) {
                Some(Ok(Some(s))) if s.deleted.is_none() => {}
                Some(Ok(_)) => {
                    // For `x-parity: resource`: a secret missing from a failover region is not
                    // equivalent to one present in all of them.
                    for a in out.attributes.get_mut(&u.var).into_iter().flatten() {
                        if let crate::lock::Attributes::Secret(secret) = a {
                            secret.in_every_failover_region = false;
                        }
                    }
                    let shown = u.shown(ctx);
                    let f = ctx
                        .finding(
                            &SECRET_NOT_IN_FAILOVER_REGION,
                            (&u.var, &u.reference.secret_id),
                            format!("Secrets Manager secret {shown} has no replica (nor a secret of that name) in failover region {region}"),
                            format!(
                                "aws secretsmanager replicate-secret-to-regions --secret-id {} --add-replica-regions Region={region} --region {}",
                                found.name, ctx.region
                            ),
                        )
                        .region(region);
                    out.findings.push(f);
                }
                Some(Err(e)) if !reported => {
                    reported = true;
                    out.unverified("secretsmanager:secret (failover)", region, e);
                }
                _ => {}
            }
        }
    }
}
