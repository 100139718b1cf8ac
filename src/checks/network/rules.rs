//! Declares the rules of the `network` family (security groups, subnets and VPCs) with their `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static SG_NOT_FOUND: Rule = Rule {
    id: "sg-not-found",
    family: crate::rules::Family::Network,
    severity: Severity::Error,
    summary: "No security group with that id, or with that name in the VPC, exists in the region.",
    doc: r#"## What it does
Looks up every value of a property with `"x-aws": "ec2:security-group"` (or of its array
`items`) in the environment's region. A value is a group id (`sg-...`) or a group name. An
id must exist in the region; a name must exist in the environment's VPC (`vpc` in
preflight.toml, or the VPC of its subnets; with neither, the region's default VPC, where
EC2 launches such an instance), since names are unique only within one VPC.

## Why is this bad?
Launches that name a missing group fail, so the autoscaler cannot replace machines. This
is the incident preflight was built against: security groups created for a new VPC setup
existed in staging and not in production, and the fleet shrank to one machine per region.

## Example
```
# deploy/env.schema.json
"SECURITY_GROUPS": { "type": "array", "items": { "type": "string", "x-aws": "ec2:security-group" } }
```
```
# deploy/production.env
SECURITY_GROUPS=sg-0a1b2c3d4e5f67890,web-new
```
```
error[sg-not-found]: SECURITY_GROUPS: no security group named `web-new` in vpc-0123456789abcdef0 in us-east-1
  --> deploy/production.env:1:38
```

## How to fix
List the groups of the VPC, then correct the value or create the missing group there:
```
aws ec2 describe-security-groups --filters Name=vpc-id,Values=vpc-0123456789abcdef0 --region us-east-1 --query 'SecurityGroups[].[GroupId,GroupName]' --output table
```

## Notes
- A malformed id (`sg-12`; a group id is `sg-` and 8 or 17 hex digits) cannot exist: it is
  reported even with `--offline`. Well-formed ids and names are not looked up offline.
- AccessDenied, UnauthorizedOperation, throttling past the deadline or a timeout is never
  "not found": the check is listed as unverified (exit 3).
- A group id that exists in another VPC is `sg-wrong-vpc`, not this rule."#,
};

pub static SG_WRONG_VPC: Rule = Rule {
    id: "sg-wrong-vpc",
    family: crate::rules::Family::Network,
    severity: Severity::Error,
    summary: "The security group exists but in another VPC than the environment's.",
    doc: r#"## What it does
When the environment sets `vpc` in preflight.toml, reports a security group, named by id
in an `ec2:security-group` value, that exists in the region but belongs to another VPC.

## Why is this bad?
Instances are launched into the environment's subnets, and a group can only be attached
to instances in its own VPC. EC2 rejects the launch ("Security group ... and subnet ...
belong to different networks"). An id copied from the old VPC during a VPC migration
passes every existence check and still breaks every launch.

## Example
```
# preflight.toml
[environments.production]
vpc = "vpc-0123456789abcdef0"
```
```
# deploy/production.env
SECURITY_GROUPS=sg-0a1b2c3d4e5f67890
```
```
error[sg-wrong-vpc]: SECURITY_GROUPS: security group `sg-0a1b2c3d4e5f67890` (web-staging) is in vpc-0fedcba9876543210, not in the environment's vpc vpc-0123456789abcdef0
  --> deploy/production.env:1:17
```

## How to fix
Use the group of the same purpose in the environment's VPC:
```
aws ec2 describe-security-groups --filters Name=group-name,Values=web Name=vpc-id,Values=vpc-0123456789abcdef0 --region us-east-1 --query 'SecurityGroups[].GroupId'
```
If it does not exist yet, create it in that VPC. If `vpc` in preflight.toml is the wrong
one, correct preflight.toml instead.

## Notes
Without `vpc` in preflight.toml this rule does not fire. A group *name* is looked up only
inside the VPC, so a name that exists only elsewhere is `sg-not-found`."#,
};

pub static SG_NAME_NOT_ID: Rule = Rule {
    id: "sg-name-not-id",
    family: crate::rules::Family::Network,
    severity: Severity::Error,
    summary: "A launch in a VPC names a security group by name; help gives the id to use.",
    doc: r#"## What it does
Reports a security group named by its *name* in an `ec2:security-group` value when the
environment launches into a VPC (`vpc` is set, or it names subnets). The group exists; the
help line gives its id in the environment's VPC. With no VPC and no subnets, a name is fine
when the group is in the region's default VPC, and this rule fires when it exists only in
other VPCs, where launches need its id.

## Why is this bad?
Outside the default VPC, EC2 launches, launch templates and launch configurations need
group ids: a name is rejected ("The parameter groupName cannot be used with the parameter
subnet") or not resolved. Names often work in staging, which runs in a default VPC or an
older setup, and fail in production: the incident preflight was built against had security
group names that were right in staging and wrong in production.

## Example
```
# deploy/production.env
SECURITY_GROUPS=web,ssh-bastion
```
```
error[sg-name-not-id]: SECURITY_GROUPS: names security group `web` by name; launches into a VPC need its id
  --> deploy/production.env:1:17
  = help: use sg-0a1b2c3d4e5f67890 (web in vpc-0123456789abcdef0)
```

## How to fix
Replace each name with the id given in the help, e.g.
`SECURITY_GROUPS=sg-0a1b2c3d4e5f67890,sg-0f9e8d7c6b5a43210`. To look one up:
```
aws ec2 describe-security-groups --filters Name=group-name,Values=web Name=vpc-id,Values=vpc-0123456789abcdef0 --region us-east-1 --query 'SecurityGroups[].GroupId'
```

## Notes
- An environment launches into a VPC when it sets `vpc` in preflight.toml or names
  subnets (`ec2:subnet` values).
- A name that does not exist in the VPC is `sg-not-found` instead. The id lookup needs the
  cloud, so with `--offline` this rule does not fire."#,
};

pub static SUBNET_NOT_FOUND: Rule = Rule {
    id: "subnet-not-found",
    family: crate::rules::Family::Network,
    severity: Severity::Error,
    summary: "No subnet with that id exists in the region.",
    doc: r#"## What it does
Looks up every value of a property with `"x-aws": "ec2:subnet"` (or of its array `items`)
in the environment's region, and reports a subnet id the region does not have.

## Why is this bad?
The autoscaler launches into the listed subnets. A subnet id copied from staging belongs
to staging's VPC and region and does not exist in production: launches into it fail, and
the fleet loses that zone. The incident preflight was built against began with subnets
that were right in staging and wrong in production.

## Example
```
# deploy/env.schema.json
"SUBNET_IDS": { "type": "array", "items": { "type": "string", "x-aws": "ec2:subnet" } }
```
```
# deploy/production.env
SUBNET_IDS=subnet-0aaa1111bbbb2222c,subnet-0ddd3333eeee4444f
```
```
error[subnet-not-found]: SUBNET_IDS: subnet `subnet-0ddd3333eeee4444f` does not exist in us-east-1
  --> deploy/production.env:1:37
```

## How to fix
List the subnets of the environment's VPC and use those:
```
aws ec2 describe-subnets --filters Name=vpc-id,Values=vpc-0123456789abcdef0 --region us-east-1 --query 'Subnets[].[SubnetId,AvailabilityZone,Tags[?Key==`Name`].Value|[0]]' --output table
```

## Notes
- A malformed id (`subnet-12`; a subnet id is `subnet-` and 8 or 17 hex digits) cannot
  exist: it is reported even with `--offline`. Well-formed ids are not looked up offline.
- AccessDenied, UnauthorizedOperation, throttling past the deadline or a timeout is never
  "not found": the check is listed as unverified (exit 3)."#,
};

pub static SUBNET_WRONG_VPC: Rule = Rule {
    id: "subnet-wrong-vpc",
    family: crate::rules::Family::Network,
    severity: Severity::Error,
    summary: "The subnet exists but in another VPC than the environment's.",
    doc: r#"## What it does
When the environment sets `vpc` in preflight.toml, reports a subnet named by an
`ec2:subnet` value that exists in the region but belongs to another VPC.

## Why is this bad?
Instances launched into that subnet land in the wrong network: the environment's security
groups cannot be attached there ("belong to different networks"), so the launch fails, or
the instance comes up where its load balancer and databases cannot reach it. During a VPC
migration the old subnets still exist, so an existence check alone does not catch this.

## Example
```
# preflight.toml
[environments.production]
vpc = "vpc-0123456789abcdef0"
```
```
# deploy/production.env
SUBNET_IDS=subnet-0aaa1111bbbb2222c
```
```
error[subnet-wrong-vpc]: SUBNET_IDS: subnet `subnet-0aaa1111bbbb2222c` is in vpc-0fedcba9876543210, not in the environment's vpc vpc-0123456789abcdef0
  --> deploy/production.env:1:12
```

## How to fix
Replace it with a subnet of the environment's VPC, in the same availability zone if the
zone matters:
```
aws ec2 describe-subnets --filters Name=vpc-id,Values=vpc-0123456789abcdef0 --region us-east-1 --query 'Subnets[].[SubnetId,AvailabilityZone]' --output table
```
If `vpc` in preflight.toml is the wrong one, correct preflight.toml instead.

## Notes
Without `vpc` in preflight.toml this rule does not fire."#,
};

pub static VPC_NOT_FOUND: Rule = Rule {
    id: "vpc-not-found",
    family: crate::rules::Family::Network,
    severity: Severity::Error,
    summary: "The VPC does not exist in the region.",
    doc: r#"## What it does
Looks up, in the environment's region, the `vpc` set for the environment in
preflight.toml and every value of a property with `"x-aws": "ec2:vpc"`, and reports a VPC
id the region does not have.

## Why is this bad?
VPCs are regional. A VPC id copied from staging (`eu-west-1`) does not exist in
production (`us-east-1`). Everything placed by it (security groups, subnets, load
balancers) is then wrong, and the `sg-wrong-vpc` / `subnet-wrong-vpc` checks compare
against a VPC that is not there.

## Example
```
# deploy/env.schema.json
"VPC_ID": { "type": "string", "x-aws": "ec2:vpc" }
```
```
# deploy/production.env
VPC_ID=vpc-0fedcba9876543210
```
```
error[vpc-not-found]: VPC_ID: VPC `vpc-0fedcba9876543210` does not exist in us-east-1
  --> deploy/production.env:1:8
```

## How to fix
List the region's VPCs and use the right one (in the env file, or in preflight.toml):
```
aws ec2 describe-vpcs --region us-east-1 --query 'Vpcs[].[VpcId,CidrBlock,Tags[?Key==`Name`].Value|[0]]' --output table
```

## Notes
- A malformed id (`vpc-12`; a VPC id is `vpc-` and 8 or 17 hex digits) cannot exist: it
  is reported even with `--offline`. Well-formed ids are not looked up offline.
- AccessDenied, UnauthorizedOperation, throttling past the deadline or a timeout is never
  "not found": the check is listed as unverified (exit 3)."#,
};

pub static RULES: &[&Rule] = &[&SG_NOT_FOUND, &SG_WRONG_VPC, &SG_NAME_NOT_ID, &SUBNET_NOT_FOUND, &SUBNET_WRONG_VPC, &VPC_NOT_FOUND];
