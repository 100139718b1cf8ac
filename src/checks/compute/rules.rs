//! Declares the rules of the `compute` family (instance types, launch templates and key pairs) with their `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static INSTANCE_TYPE_NOT_OFFERED: Rule = Rule {
    id: "instance-type-not-offered",
    family: crate::rules::Family::Compute,
    severity: Severity::Error,
    summary: "The instance type is not offered in the region (or in a subnet's availability zone).",
    doc: r#"## What it does
Checks that every value of a property with `"x-aws": "ec2:instance-type"` is an instance
type offered in the environment's region. When the environment names subnets
(`ec2:subnet` values), the type must also be offered in the availability zone of each of
those subnets. A misspelt type (`m5.lrge`) is offered nowhere and is reported too.

## Why is this bad?
Instance types are not offered everywhere: newer families reach some regions, and some
zones of a region, later than others. A type that worked in staging's region can be
missing in production's, and every launch fails. If it is missing in one zone only, the
launches into that zone fail and the fleet quietly loses a zone.

## Example
```
# deploy/production.env
INSTANCE_TYPE=t3.micro
SUBNET_IDS=subnet-0aaa1111bbbb2222c,subnet-0ddd3333eeee4444f
```
```
error[instance-type-not-offered]: INSTANCE_TYPE: instance type `t3.micro` is not offered in us-east-1e (zone of the environment's subnets)
  --> deploy/production.env:1:15
```

## How to fix
See where the type is offered:
```
aws ec2 describe-instance-type-offerings --location-type availability-zone --filters Name=instance-type,Values=t3.micro --region us-east-1 --query 'InstanceTypeOfferings[].Location'
```
Then use subnets in those zones, or pick a type offered in all of the environment's zones
(and, if its architecture changes, an image to match: see `ami-architecture-mismatch`).

## Notes
- Offerings are read with `DescribeInstanceTypeOfferings`. AccessDenied,
  UnauthorizedOperation or a timeout is listed as unverified (exit 3), never as this finding.
- With `--offline` no offering is looked up and this rule does not fire."#,
};

pub static LAUNCH_TEMPLATE_NOT_FOUND: Rule = Rule {
    id: "launch-template-not-found",
    family: crate::rules::Family::Compute,
    severity: Severity::Error,
    summary: "The launch template does not exist in the region.",
    doc: r#"## What it does
Looks up every value of a property with `"x-aws": "ec2:launch-template"` in the
environment's region. A value is a launch template id (`lt-...`) or name; a template the
region does not have is reported.

## Why is this bad?
Launch templates are regional. A template created in staging's region is not in
production's until someone creates it there, and an autoscaling group that points at a
missing template launches nothing.

## Example
```
# deploy/env.schema.json
"LAUNCH_TEMPLATE": { "type": "string", "x-aws": "ec2:launch-template" }
```
```
# deploy/production.env
LAUNCH_TEMPLATE=web-launcher
```
```
error[launch-template-not-found]: LAUNCH_TEMPLATE: launch template `web-launcher` does not exist in us-east-1
  --> deploy/production.env:1:17
```

## How to fix
List the region's templates and use the right id or name, or create the template there:
```
aws ec2 describe-launch-templates --region us-east-1 --query 'LaunchTemplates[].[LaunchTemplateId,LaunchTemplateName,LatestVersionNumber]' --output table
```

## Notes
- A malformed id (`lt-12`; a template id is `lt-` and 17 hex digits) cannot exist: it is
  reported even with `--offline`. Well-formed ids and names are not looked up offline.
- AccessDenied, UnauthorizedOperation, throttling past the deadline or a timeout is never
  "not found": the check is listed as unverified (exit 3)."#,
};

pub static KEY_PAIR_NOT_FOUND: Rule = Rule {
    id: "key-pair-not-found",
    family: crate::rules::Family::Compute,
    severity: Severity::Error,
    summary: "The key pair does not exist in the region.",
    doc: r#"## What it does
Looks up every value of a property with `"x-aws": "ec2:key-pair"` in the environment's
region, and reports a key pair name the region does not have.

## Why is this bad?
Key pairs are regional: a key imported into staging's region does not exist in
production's. EC2 rejects a launch that names a missing key pair, so the new fleet cannot
start.

## Example
```
# deploy/env.schema.json
"SSH_KEY_NAME": { "type": "string", "x-aws": "ec2:key-pair" }
```
```
# deploy/production.env
SSH_KEY_NAME=deploy-2024
```
```
error[key-pair-not-found]: SSH_KEY_NAME: key pair `deploy-2024` does not exist in us-east-1
  --> deploy/production.env:1:14
```

## How to fix
List the region's key pairs and use one of them:
```
aws ec2 describe-key-pairs --region us-east-1 --query 'KeyPairs[].KeyName'
```
or import the public key into that region:
```
aws ec2 import-key-pair --key-name deploy-2024 --public-key-material fileb://deploy-2024.pub --region us-east-1
```

## Notes
- With `--offline` no key pair is looked up and this rule does not fire.
- AccessDenied, UnauthorizedOperation, throttling past the deadline or a timeout is never
  "not found": the check is listed as unverified (exit 3)."#,
};

pub static RULES: &[&Rule] = &[&INSTANCE_TYPE_NOT_OFFERED, &LAUNCH_TEMPLATE_NOT_FOUND, &KEY_PAIR_NOT_FOUND];
