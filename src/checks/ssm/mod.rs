//! The ssm family: parameters named by `ssm:parameter` values and by `{{resolve:ssm...}}`
//! references must exist in the environment's region. Secure parameters are checked for
//! existence only: preflight never asks for decryption.

pub mod rules;

use std::collections::BTreeMap;

use crate::checks::{LiveCtx, Sink};
use crate::live::{FailoverAnswers, ParameterAnswers};
use crate::schema::AwsKind;
use rules::*;

/// Judges `ssm:parameter` values (references are judged while resolving, in `check`).
pub fn judge(ctx: &LiveCtx, params: &ParameterAnswers, out: &mut Sink) {
    let mut denied = false;
    for (var, name) in ctx.of(AwsKind::Parameter) {
        match params.by_name.get(name) {
            Some(Ok(Some(p))) => {
                out.resolved.push((var.to_string(), ctx.region.to_string(), p.name.clone()));
                out.attribute(var, crate::lock::Attributes::exists());
            }
            Some(Ok(None)) => {
                let shown = ctx.show(var, name);
                out.findings.push(NotFound::Missing { shown, region: ctx.region, how: Named::Value }.finding(var, ctx.item_location(var, name)));
            }
            Some(Err(e)) if !denied => {
                denied = true;
                out.unverified("ssm:parameter", ctx.region, e);
            }
            _ => {}
        }
    }
}

/// The name a failover region is asked for: the parameter's name without a version or label
/// selector (versions are numbered per region). `None` for an ARN: it pins its region.
pub fn failover_name(name: &str) -> Option<String> {
    (!name.starts_with("arn:")).then(|| crate::aws_ids::split_parameter_selector(name).0.to_string())
}

/// Judges every parameter the environment names (`(variable, name as asked)`, from references,
/// `ssm:parameter` values and task definition `valueFrom`s) that exists in the primary region
/// against each failover region.
pub fn judge_failover(ctx: &LiveCtx, uses: &[(String, String)], primary: &ParameterAnswers, failover: &BTreeMap<String, FailoverAnswers>, out: &mut Sink) {
    for (region, answers) in failover {
        let mut reported = false;
        for (var, name) in uses {
            let (Some(Ok(Some(_))), Some(base)) = (primary.by_name.get(name), failover_name(name)) else { continue };
            match answers.parameters.by_name.get(&base) {
                Some(Ok(None)) => out.findings.push(
                    ctx.finding(
                        &SSM_NOT_IN_FAILOVER_REGION,
                        (var, name),
                        format!("SSM parameter {} does not exist in failover region {region}", ctx.show(var, &base)),
                        format!("parameters are per region: aws ssm put-parameter --region {region} --name {base} ... (as in {})", ctx.region),
                    )
                    .region(region),
                ),
                Some(Err(e)) if !reported => {
                    reported = true;
                    out.unverified("ssm:parameter (failover)", region, e);
                }
                _ => {}
            }
        }
    }
}

/// A `{{resolve:...}}` reference preflight cannot read: a located finding of the service it
/// names (a malformed secret reference is `secret-not-found`, any other `ssm-not-found`).
pub fn malformed_reference(var: &crate::env::Variable, message: String) -> crate::report::Finding {
    if var.raw.contains("{{resolve:secretsmanager:") {
        let help = "write {{resolve:secretsmanager:SECRET-ID[:SecretString[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]]}}";
        return crate::report::Finding::new(&crate::checks::secretsmanager::rules::SECRET_NOT_FOUND, message)
            .key(&var.name)
            .help(help)
            .at(var.value_location());
    }
    NotFound::Malformed { message, value_from: false }.finding(&var.name, var.value_location())
}

/// A task definition `valueFrom` that names neither an SSM parameter nor a Secrets Manager
/// secret ECS could read.
pub fn malformed_value_from(var: &crate::env::Variable, message: String) -> crate::report::Finding {
    if var.raw.contains(":secretsmanager:") {
        return crate::report::Finding::new(&crate::checks::secretsmanager::rules::SECRET_NOT_FOUND, message)
            .key(&var.name)
            .help("valueFrom is an SSM parameter name or ARN, or a Secrets Manager secret ARN with optional :json-key:version-stage:version-id")
            .at(var.value_location());
    }
    NotFound::Malformed { message, value_from: true }.finding(&var.name, var.value_location())
}

/// Puts the parameters' values into the variables that reference them, and reports the
/// parameters that do not exist (`ssm-not-found`). `value_from` lists the task definition
/// `secrets` entries naming a parameter: checked to exist, never read.
pub fn substitute(
    region: &str,
    set: &mut crate::env::EnvSet,
    parsed: BTreeMap<String, Vec<crate::env::reference::Part>>,
    value_from: &[(String, String)],
    params: &ParameterAnswers,
    sink: &mut Sink,
) {
    use crate::env::reference::Part;
    let missing = |name: &str| NotFound::Missing { shown: format!("`{name}`"), region, how: Named::Reference };
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    for (var_name, name) in value_from {
        let Some(var) = set.vars.get(var_name) else { continue };
        match params.by_name.get(name) {
            Some(Ok(None)) => sink.findings.push(missing(name).finding(var_name, var.value_location())),
            Some(Err(e)) => {
                failed.insert(name.clone(), e.to_string());
            }
            _ => {}
        }
    }
    for (name, parts) in parsed {
        let Some(var) = set.vars.get_mut(&name) else { continue };
        let mut value = String::new();
        let mut known = true;
        for part in parts {
            let r = match part {
                Part::Text(t) => {
                    value.push_str(&t);
                    continue;
                }
                Part::Ref(r) => r,
            };
            known &= !r.secure;
            if r.secret.is_some() {
                continue;
            }
            match params.by_name.get(&r.name) {
                Some(Ok(Some(p))) if r.secure => {
                    let _ = p;
                }
                Some(Ok(Some(p))) => match &p.value {
                    Some(v) => value.push_str(v),
                    None => {
                        known = false;
                        sink.findings.push(NotFound::SecureString { name: &r.name, region }.finding(&name, var.value_location()));
                    }
                },
                Some(Ok(None)) => {
                    known = false;
                    sink.findings.push(missing(&r.name).finding(&name, var.value_location()));
                }
                Some(Err(e)) => {
                    known = false;
                    failed.insert(r.name.clone(), e.to_string());
                }
                None => known = false,
            }
        }
        var.value = known.then_some(value);
    }
    if !failed.is_empty() {
        let reason = failed.values().next().cloned().unwrap_or_default();
        sink.skipped(format!("{} SSM reference(s) in values", failed.len()), region, reason);
    }
}
