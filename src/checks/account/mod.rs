//! The account family: the one STS `GetCallerIdentity` of a run, and the account guard. It
//! runs before every other live lookup; when the credentials cannot be verified, or belong to
//! another account than the environment's `account`, no other lookup is made.

pub mod rules;

use crate::cloud::{Cloud, CloudError};
use crate::config::{Config, Environment};
use crate::report::{Finding, Unverified};
use rules::*;

/// What the identity stage decided.
#[derive(Debug)]
pub enum Identity {
    /// The account the credentials act in (`None`: the cloud cannot tell, e.g. a test double).
    Trusted(Option<String>),
    /// The credentials act in another account than `account` requires.
    Mismatch { actual: String, finding: Finding },
    /// STS could not answer: no credentials, denied, unreachable, timed out.
    Unverified(Unverified),
}

/// Asks the cloud once which account its credentials act in, and holds it against the
/// environment's `account`.
pub async fn identify<C: Cloud>(cfg: &Config, env: &Environment, cloud: &C, deadline: tokio::time::Instant) -> Identity {
    let region = env.region.get_ref();
    let answer = match tokio::time::timeout_at(deadline, cloud.caller_account()).await {
        Ok(a) => a,
        Err(_) => Err(CloudError::Timeout("no answer from STS before the deadline (--timeout)".into())),
    };
    match answer {
        Err(e) => Identity::Unverified(Unverified {
            check: "sts:GetCallerIdentity (which account the credentials act in)".into(),
            region: Some(region.clone()),
            reason: plain_reason(env, &e),
        }),
        Ok(actual) => match (&env.account, actual) {
            (Some(expected), Some(actual)) if *expected.get_ref() != actual => {
                let finding = Finding::new(
                    &ACCOUNT_MISMATCH,
                    format!("the credentials act in AWS account {actual}, not {} as `account` requires", expected.get_ref()),
                )
                .region(region)
                .help(match &env.role_arn {
                    Some(r) => format!(
                        "the role {} was assumed, yet STS answered for account {actual}: check the role's account and the job's credentials",
                        r.get_ref()
                    ),
                    None => format!(
                        "run with credentials of account {}: set `role_arn` or `profile` on this environment, or give the job that account's credentials",
                        expected.get_ref()
                    ),
                })
                .at(Some(cfg.location(expected.span())));
                Identity::Mismatch { actual, finding }
            }
            (_, actual) => Identity::Trusted(actual),
        },
    }
}

/// Says once, plainly, why the account could not be learned: with no credentials, which
/// sources were tried and how to provide one.
fn plain_reason(env: &Environment, e: &CloudError) -> String {
    let how = match (&env.role_arn, &env.profile) {
        (Some(r), _) => format!("the role {} could not be assumed, or ", r.get_ref()),
        (None, Some(p)) => format!("profile `{}` gave no usable credentials, or ", p.get_ref()),
        _ => String::new(),
    };
    match e {
        CloudError::Denied(m) if m.contains("credentials") || m.contains("identity") => format!(
            "{how}no AWS credentials were found; tried: environment variables (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), \
             the shared config and credentials files (AWS_PROFILE, ~/.aws/config), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), \
             SSO, the ECS container endpoint and EC2 instance metadata. Provide one of them, or set `profile`/`role_arn` \
             for this environment; no other lookup was made"
        ),
        other => format!("{how}STS did not answer ({other}); no other lookup was made, as none could be trusted"),
    }
}
