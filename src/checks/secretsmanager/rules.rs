//! Declares the rules of the `secretsmanager` family with their `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static SECRET_NOT_FOUND: Rule = Rule {
    id: "secret-not-found",
    family: crate::rules::Family::Secretsmanager,
    severity: Severity::Error,
    summary: "A referenced Secrets Manager secret (or its version stage or id) does not exist, or is scheduled for deletion.",
    doc: r#"## What it does
Looks up, in the environment's region, every Secrets Manager secret the environment refers to:
- a value written `{{resolve:secretsmanager:SECRET-ID[:SecretString[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]]}}`
  (CloudFormation's syntax; SECRET-ID a name or a full ARN);
- the value of a property with `"x-aws": "secretsmanager:secret"` (a name or ARN);
- a task definition's `secrets[].valueFrom` that is a Secrets Manager ARN.
It fires when the secret does not exist, is scheduled for deletion, or does not have the
version stage or version id the reference names. A reference preflight cannot parse (more
than four segments after the secret-id, a segment other than `SecretString`, both a stage
and a version id) is this finding too, at the value.

Only metadata is read (ListSecrets with name filters, ten names a call; DescribeSecret for
an ARN the listing cannot show). No call that returns a secret value is ever made, so a
JSON key cannot be checked: the report says so in its notes.

## Why is this bad?
Secrets are regional and per account. A task that references a secret production does not
have fails to start (`ResourceInitializationError: unable to pull secrets`); a stack update
fails and rolls back; an app that reads the secret at runtime starts unauthenticated. A
secret scheduled for deletion still resolves today and breaks the deploy after next, when
nobody remembers deleting it.

## Example
```
# deploy/production.env
DB_PASSWORD={{resolve:secretsmanager:app/production/db:SecretString:password}}
```
```
error[secret-not-found]: DB_PASSWORD: Secrets Manager secret app/production/db does not exist in us-east-1
  --> deploy/production.env:1:13
```

## How to fix
List what the region has:
```
aws secretsmanager list-secrets --region us-east-1 --filters Key=name,Values=app/prod/ --query 'SecretList[].Name'
```
Then correct the reference, create the secret in that region, or cancel its deletion:
```
aws secretsmanager restore-secret --secret-id app/prod/db --region us-east-1
```

## Notes
- AccessDenied, throttling past the deadline or a timeout is never "not found": the check is
  listed as unverified (exit 3).
- With `--offline`, no secret is looked up and this rule fires only for malformed references."#,
};

pub static SECRET_NOT_IN_FAILOVER_REGION: Rule = Rule {
    id: "secret-not-in-failover-region",
    family: crate::rules::Family::Secretsmanager,
    severity: Severity::Error,
    summary: "A referenced secret has no replica (nor a secret of that name) in a failover region.",
    doc: r#"## What it does
For each secret the environment refers to that exists in the environment's region, looks in
each of the environment's `failover_regions` for a secret of the same name: a replica (which
Secrets Manager gives the primary's name) or a secret created there under that name. One
that is missing or scheduled for deletion is reported, with the failover region as the
finding's `region`. A secret referenced by ARN names its region explicitly; it is looked up
in the failover region by its name.

## Why is this bad?
A failover region is the one you move to when the main one is down. If the secret is not
there, the failover deploy starts tasks that cannot pull their secrets, or an app that runs
"unauthenticated and broken without failing loudly", at the worst possible moment.

## Example
```
# preflight.toml: region = "us-east-1", failover_regions = ["us-west-2"]
DB_PASSWORD={{resolve:secretsmanager:app/prod/db}}
```
```
error[secret-not-in-failover-region]: DB_PASSWORD: Secrets Manager secret app/prod/db has no replica (nor a secret of that name) in failover region us-west-2
  --> deploy/production.env:1:13
```

## How to fix
Replicate the secret (it then stays in sync with the primary):
```
aws secretsmanager replicate-secret-to-regions --secret-id app/prod/db --add-replica-regions Region=us-west-2 --region us-east-1
```
or create a secret of that name in the failover region.

## Notes
- Calls: one ListSecrets per ten distinct names per failover region.
- Resources named by a regional id (`sg-`, `subnet-`, `vpc-`, `lt-`) are never looked up in
  failover regions: ids differ per region."#,
};

pub static RULES: &[&Rule] = &[&SECRET_NOT_FOUND, &SECRET_NOT_IN_FAILOVER_REGION];
