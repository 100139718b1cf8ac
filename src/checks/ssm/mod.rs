//! The ssm family: parameters named by `ssm:parameter` values and by `{{resolve:ssm...}}`
//! references must exist in the environment's region. Secure parameters are checked for
//! existence only: preflight never asks for decryption.

pub mod rules;

use crate::checks::{LiveCtx, LiveOut};
use crate::live::ParameterAnswers;
use crate::schema::AwsKind;
use rules::*;

/// Judges `ssm:parameter` values (references are judged while resolving, in `check`).
pub fn judge(ctx: &LiveCtx, params: &ParameterAnswers, out: &mut LiveOut) {
    let mut denied = false;
    for (var, name) in ctx.of(AwsKind::Parameter) {
        match params.by_name.get(name) {
            Some(Ok(Some(p))) => {
                out.resolved.push((var.to_string(), ctx.region.to_string(), p.name.clone()));
                out.attribute(var, serde_json::json!({"exists": true}));
            }
            Some(Ok(None)) => out.findings.push(ctx.finding(
                &SSM_NOT_FOUND,
                (var, name),
                format!("SSM parameter {} does not exist in {}", ctx.show(var, name), ctx.region),
                format!("parameters are per region: aws ssm put-parameter --region {} --name NAME ... (or fix the name)", ctx.region),
            )),
            Some(Err(e)) if !denied => {
                denied = true;
                out.unverified("ssm:parameter", ctx.region, e);
            }
            _ => {}
        }
    }
}
