//! Declares the rules of the `account` family (which AWS account the live checks ran in) with their `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static ACCOUNT_MISMATCH: Rule = Rule {
    id: "account-mismatch",
    family: crate::rules::Family::Account,
    severity: Severity::Error,
    summary: "The credentials in use belong to another AWS account than the environment's `account`.",
    doc: r#"## What it does
Before any other lookup, asks STS `GetCallerIdentity` (once per run) which account the
credentials act in: the standard AWS chain, or the environment's `profile`, or the role its
`role_arn` names, assumed from the chain's credentials. When the environment sets
`account = "222222222222"` and another account answers, this fires, at the `account` line of
preflight.toml, and no other live lookup is made: anything found in the wrong account would
be about another environment, so none of it is trusted. The account that answered is in the
report (`account`), the fingerprint and the lock in every case.

## Why is this bad?
Staging and production usually live in different accounts. Run production's check with
staging's credentials and every staging AMI, group and parameter "exists": the wrong
environment passes. That is the incident's third failure (the preflight ran against another
environment than the one deployed) in its most common form.

## Example
```
# preflight.toml
[environments.production]
region = "us-east-1"
account = "222222222222"
```
```
$ AWS_PROFILE=staging preflight check --env production
error[account-mismatch]: the credentials act in AWS account 111111111111, not 222222222222 as `account` requires
  --> preflight.toml:4:11
```

## How to fix
Run the check with production's credentials: set `role_arn` (and `external_id` if the
role's trust policy asks for one) or `profile` on the environment, or give the job the right
credentials. If the account id in preflight.toml is wrong, correct it.

## Notes
- GetCallerIdentity needs no IAM permission; assuming `role_arn` needs `sts:AssumeRole` on it
  for the caller.
- STS unreachable, or the role cannot be assumed: the run is unverified (exit 3), never a pass.
- With `--offline`, no account is asked and this rule does not fire (`account` is null)."#,
};

pub static RULES: &[&Rule] = &[&ACCOUNT_MISMATCH];
