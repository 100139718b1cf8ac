//! Declares the rule of the `arn` family with its `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static ARN_MISMATCH: Rule = Rule {
    id: "arn-mismatch",
    family: crate::rules::Family::Arn,
    severity: Severity::Error,
    summary: "An ARN names another region or account than the environment's (an error when checked live, else a warning).",
    doc: r#"## What it does
Reads every ARN in the environment: `x-aws` values, `{{resolve:...}}` references, a task
definition's `valueFrom`, and any other variable's value (a secret's value is never read for
this). An ARN naming another region than the environment's (global services such as IAM,
Route 53 and CloudFront aside) or another account than the environment's (its `account`, or
the one STS answered) is reported, located at the ARN in the value.

It is an error for a value preflight looks up live (it will be looked up in the wrong place),
and a warning for the rest (an ARN the application uses as it is). Offline, the region is still
compared; the account is compared when the environment sets `account`.

## Why is this bad?
A staging ARN copied into production is the incident in its commonest form: the app reads
staging's secret, publishes to staging's topic, or fails with AccessDenied across accounts, and
nothing says so until it runs.

## Example
```
# deploy/production.env (region us-east-1, account 222222222222)
DB_PASSWORD={{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:111111111111:secret:app/db-AbCdEf}}
```
```
error[arn-mismatch]: DB_PASSWORD: arn:aws:secretsmanager:eu-west-1:111111111111:secret:app/db-AbCdEf names region eu-west-1, not the environment's us-east-1
error[arn-mismatch]: DB_PASSWORD: arn:aws:secretsmanager:eu-west-1:111111111111:secret:app/db-AbCdEf names account 111111111111, not the environment's 222222222222
```

## How to fix
Use this environment's own resource: the same name in its region and account. If the
cross-account or cross-region reference is deliberate (a shared secret, a central topic), set
`"x-parity": "differs"` is not enough: move the value to a property the schema documents as
shared, and accept the warning, or reference the resource by name where the service allows."#,
};

pub static RULES: &[&Rule] = &[&ARN_MISMATCH];
