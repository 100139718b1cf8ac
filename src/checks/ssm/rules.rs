//! Declares the rules of the `ssm` family (SSM Parameter Store references) with their `preflight explain` text.

use crate::report::{Finding, Location};
use crate::rules::{Rule, Severity};

pub static SSM_NOT_FOUND: Rule = Rule {
    id: "ssm-not-found",
    family: crate::rules::Family::Ssm,
    severity: Severity::Error,
    summary: "A referenced SSM parameter does not exist in the environment's region.",
    doc: r#"## What it does
Looks up, in the environment's region, every SSM parameter the environment refers to:
- a value written `{{resolve:ssm:NAME}}` or `{{resolve:ssm-secure:NAME}}`;
- the value of a property with `"x-aws": "ssm:parameter"`.
NAME may be a public alias such as `/aws/service/ami-amazon-linux-latest/...`, carry a
version or label selector (`/app/db:3`, `/app/db:prod`), or be the ARN of a parameter shared
from another account. A parameter the region does not have is reported, and so is a name
SSM would refuse, which cannot exist: a hierarchy without its leading `/`, a name starting
with `aws` or `ssm`, characters other than letters, digits and `_.-/`.

## Why is this bad?
Parameters are regional. A parameter created in staging's region (`eu-west-1`) does not
exist in production's (`us-east-1`) until someone creates it there. The deploy then
resolves nothing: the launch fails, or the application starts without its setting.

## Example
```
# deploy/production.env
LAUNCH_AMI={{resolve:ssm:/app/prod/launch-ami-v2}}
```
```
error[ssm-not-found]: LAUNCH_AMI: SSM parameter `/app/prod/launch-ami-v2` does not exist in us-east-1
  --> deploy/production.env:1:12
```

## How to fix
Check the name and the region:
```
aws ssm get-parameters-by-path --path /app/prod/ --recursive --region us-east-1 --query 'Parameters[].Name'
```
Then correct the reference, or create the parameter in that region:
```
aws ssm put-parameter --name /app/prod/launch-ami-v2 --type String --value ami-0abc1234def567890 --region us-east-1
```
For a public alias, list what the region offers, e.g.
`aws ssm get-parameters-by-path --path /aws/service/ami-amazon-linux-latest --region us-east-1 --query 'Parameters[].Name'`.

## Notes
- Names are asked with `GetParameters`, ten at a time; a name that comes back under
  `InvalidParameters` is this finding. AccessDenied, throttling past the deadline or a
  timeout is never "not found": the check is listed as unverified (exit 3).
- `ssm-secure` parameters are checked for existence only; they are never decrypted or shown.
- With `--offline`, no parameter is looked up and this rule does not fire."#,
};

/// Every way `ssm-not-found` is worded, beside its doc: the family builds each of its findings
/// through [`NotFound::finding`], so the wording lives in one place.
pub enum NotFound<'a> {
    /// No parameter of that name in the region. `shown` is how the name may be printed (quoted,
    /// or `****` for a secret variable's value); `how` says where the name was written.
    Missing { shown: String, region: &'a str, how: Named },
    /// A SecureString read through `{{resolve:ssm:...}}`, which cannot decrypt it.
    SecureString { name: &'a str, region: &'a str },
    /// A reference (or a task definition `valueFrom`) preflight cannot read at all.
    Malformed { message: String, value_from: bool },
}

/// Where a parameter's name was written, which decides the help.
pub enum Named {
    /// An `ssm:parameter` value.
    Value,
    /// A `{{resolve:ssm:...}}` reference or a task definition `valueFrom`.
    Reference,
}

impl NotFound<'_> {
    pub fn finding(self, var: &str, at: Option<Location>) -> Finding {
        let (message, help, region) = match self {
            NotFound::Missing { shown, region, how } => {
                let fix = match how {
                    Named::Value => "or fix the name",
                    Named::Reference => "or fix the reference",
                };
                (
                    format!("SSM parameter {shown} does not exist in {region}"),
                    format!("parameters are per region: create it with aws ssm put-parameter --region {region} --name NAME ..., {fix}"),
                    Some(region),
                )
            }
            NotFound::SecureString { name, region } => (
                format!("{name} is a SecureString, which {{{{resolve:ssm:...}}}} cannot read"),
                format!("write {{{{resolve:ssm-secure:{name}}}}} instead"),
                Some(region),
            ),
            NotFound::Malformed { message, value_from: false } => {
                (message, "write {{resolve:ssm:/path/name}}, {{resolve:ssm-secure:/path/name}} or {{resolve:secretsmanager:SECRET-ID}}".to_string(), None)
            }
            NotFound::Malformed { message, value_from: true } => (
                message,
                "valueFrom is an SSM parameter name or ARN, or a Secrets Manager secret ARN with optional :json-key:version-stage:version-id".to_string(),
                None,
            ),
        };
        let f = Finding::new(&SSM_NOT_FOUND, message).key(var).help(help).at(at);
        match region {
            Some(r) => f.region(r),
            None => f,
        }
    }
}

pub static SSM_NOT_IN_FAILOVER_REGION: Rule = Rule {
    id: "ssm-not-in-failover-region",
    family: crate::rules::Family::Ssm,
    severity: Severity::Error,
    summary: "A referenced SSM parameter does not exist in a failover region.",
    doc: r#"## What it does
For each SSM parameter the environment refers to by name (a `{{resolve:ssm:...}}` or
`{{resolve:ssm-secure:...}}` reference, an `ssm:parameter` value, a task definition's
`valueFrom`) that exists in the environment's region, looks for a parameter of the same name
in each of the environment's `failover_regions`. A version or label selector (`/app/db:3`) is
not carried over: versions are numbered per region. A parameter named by its ARN is pinned to
the ARN's region and is not looked up elsewhere.

## Why is this bad?
Parameters are regional. A failover region without the parameter starts an application
without its setting, or fails the launch, on the day the main region is down and the
failover is the only way out.

## Example
```
# preflight.toml: region = "us-east-1", failover_regions = ["us-west-2"]
LAUNCH_AMI={{resolve:ssm:/app/prod/launch-ami}}
```
```
error[ssm-not-in-failover-region]: LAUNCH_AMI: SSM parameter `/app/prod/launch-ami` does not exist in failover region us-west-2
  --> deploy/production.env:1:12
```

## How to fix
Create it there (or copy it with your infrastructure code):
```
aws ssm put-parameter --region us-west-2 --name /app/prod/launch-ami --type String --value ...
```

## Notes
- Calls: one GetParameters per ten distinct names per failover region.
- Resources named by a regional id (`sg-`, `subnet-`, `vpc-`, `lt-`) are never looked up in
  failover regions: ids differ per region."#,
};

pub static RULES: &[&Rule] = &[&SSM_NOT_FOUND, &SSM_NOT_IN_FAILOVER_REGION];
