//! The arn family: every ARN in the environment names the environment's region and account.

pub mod rules;

use std::collections::BTreeSet;

use crate::aws_arn::{self, Mismatch};
use crate::env::EnvSet;
use crate::report::Finding;
use crate::secrets::SecretSet;
use rules::*;

/// What the judge needs: the environment's region and account, and the ARNs preflight looks up
/// live (as (variable, ARN)).
pub struct ArnCtx<'a> {
    pub region: &'a str,
    /// The environment's `account`, or the one STS answered.
    pub account: Option<&'a str>,
    /// True when the live checks ran (so a looked-up value's mismatch is an error).
    pub live: bool,
    pub looked_up: &'a [(String, String)],
}

/// Every ARN mismatch: looked-up values first, then ARNs in any other non-secret value.
pub fn judge(ctx: &ArnCtx, set: &EnvSet, secrets: &SecretSet, sink: &mut crate::checks::Sink) {
    let out = &mut sink.findings;
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for (var, arn) in ctx.looked_up {
        if seen.insert((var.clone(), arn.clone())) {
            report(ctx, set, var, arn, ctx.live, out);
        }
    }
    for v in set.vars.values().filter(|v| !secrets.contains(&v.name) && !v.is_value_from()) {
        for (_, arn) in aws_arn::find_arns(&v.raw) {
            let text = arn.to_string();
            // An ARN already judged as looked up (a reference's may carry `:SecretString:...`).
            let judged = ctx.looked_up.iter().any(|(var, a)| var == &v.name && text.starts_with(a.as_str()));
            if !judged && seen.insert((v.name.clone(), text.clone())) {
                report(ctx, set, &v.name, &text, false, out);
            }
        }
    }
}

fn report(ctx: &ArnCtx, set: &EnvSet, var: &str, arn_text: &str, live: bool, out: &mut Vec<Finding>) {
    let Some(arn) = aws_arn::parse_arn(arn_text) else { return };
    for m in aws_arn::mismatches(&arn, ctx.region, ctx.account) {
        let message = match &m {
            Mismatch::Region { found, expected } => format!("{arn_text} names region {found}, not the environment's {expected}"),
            Mismatch::Account { found, expected } => format!("{arn_text} names account {found}, not the environment's {expected}"),
        };
        let mut f = Finding::new(&ARN_MISMATCH, message)
            .key(var)
            .region(ctx.region)
            .help("an ARN copied from another environment: use this environment's own resource (the same name in its region and account)")
            .at(set.vars.get(var).and_then(|v| v.item_location(arn_text)));
        if !live {
            f.severity = crate::rules::Severity::Warning;
        }
        out.push(f);
    }
}
