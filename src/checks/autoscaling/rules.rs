//! Declares the rules of the `autoscaling` family (what the autoscaler will launch) with their
//! `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static ASG_NOT_FOUND: Rule = Rule {
    id: "asg-not-found",
    family: crate::rules::Family::Autoscaling,
    severity: Severity::Error,
    summary: "No Auto Scaling group of that name exists in the region.",
    doc: r#"## What it does
Looks up every `autoscaling:group` value with `DescribeAutoScalingGroups` (100 names a call) in
the environment's region. A name the answer does not hold is reported.

## Why is this bad?
A blue/green rollout that scales the new group, or attaches it to the load balancer, fails
when the group is not there: a group created by staging's stack, or named after staging's.

## Example
```
WEB_GROUP=web-staging-asg
```
```
error[asg-not-found]: WEB_GROUP: Auto Scaling group `web-staging-asg` does not exist in us-east-1
```

## How to fix
List the groups of the region and fix the name:
```
aws autoscaling describe-auto-scaling-groups --region us-east-1 --query 'AutoScalingGroups[].AutoScalingGroupName'
```"#,
};

pub static ASG_WRONG_VPC: Rule = Rule {
    id: "asg-wrong-vpc",
    family: crate::rules::Family::Autoscaling,
    severity: Severity::Error,
    summary: "The Auto Scaling group's subnets lie in another VPC than the environment's.",
    doc: r#"## What it does
Compares the VPC of each subnet in the group's `VPCZoneIdentifier` with the environment's
`vpc` (preflight.toml). The subnets are looked up in the same batched DescribeSubnets call as
the environment's own.

## Why is this bad?
The group launches its machines into its own subnets. After a move to a new VPC, a group still
pointing at the old VPC's subnets launches machines that the new security groups, load
balancers and routes cannot reach, or cannot launch at all when its template names groups of
the new VPC.

## Example
```
error[asg-wrong-vpc]: WEB_GROUP: Auto Scaling group `web-staging` launches into subnet-0aaa1111bbbb2222c of vpc-0fedcba9876543210, not the environment's vpc-0123456789abcdef0
```

## How to fix
Point the group at the new VPC's subnets:
`aws autoscaling update-auto-scaling-group --auto-scaling-group-name web --vpc-zone-identifier subnet-...,subnet-...`"#,
};

pub static ASG_LAUNCH_SUSPENDED: Rule = Rule {
    id: "asg-launch-suspended",
    family: crate::rules::Family::Autoscaling,
    severity: Severity::Error,
    summary: "The group's `Launch` process is suspended: it cannot launch machines.",
    doc: r#"## What it does
Reads the group's suspended processes. `Launch` suspended means the group launches nothing,
whatever its desired capacity.

## Why is this bad?
A group left suspended after an incident or a maintenance window looks healthy and never
scales out: the rollout shifts traffic to a fleet that cannot grow.

## Example
```
error[asg-launch-suspended]: WEB_GROUP: Auto Scaling group `web` has its Launch process suspended: it cannot launch machines
```

## How to fix
`aws autoscaling resume-processes --auto-scaling-group-name web --scaling-processes Launch`"#,
};

pub static ASG_NO_CAPACITY: Rule = Rule {
    id: "asg-no-capacity",
    family: crate::rules::Family::Autoscaling,
    severity: Severity::Warning,
    summary: "The group's maximum size is 0.",
    doc: r#"## What it does
Reads the group's maximum size. Zero means it can never hold a machine.

## Why is this bad?
A green group left at max 0 by the last rollout (or by a cost-saving script) receives traffic
with no machine behind it. It is a warning: a group parked on purpose is legitimate.

## Example
```
warning[asg-no-capacity]: WEB_GROUP: Auto Scaling group `web-canary` has a maximum size of 0
```

## How to fix
`aws autoscaling update-auto-scaling-group --auto-scaling-group-name web --max-size N`"#,
};

pub static ASG_NOT_IN_FAILOVER_REGION: Rule = Rule {
    id: "asg-not-in-failover-region",
    family: crate::rules::Family::Autoscaling,
    severity: Severity::Error,
    summary: "No Auto Scaling group of that name exists in a failover region.",
    doc: r#"## What it does
For each group found in the environment's region, looks for a group of the same name in each
of `failover_regions` (one DescribeAutoScalingGroups call per region, 100 names a call).

## Why is this bad?
A failover region without the group has nothing to launch the fleet with on the day it is
needed.

## Example
```
error[asg-not-in-failover-region]: WEB_GROUP: Auto Scaling group `web` does not exist in failover region us-west-2
```

## How to fix
Create the group in the failover region (with your infrastructure code), with that region's
launch template and subnets."#,
};

pub static LAUNCH_TEMPLATE_VERSION_NOT_FOUND: Rule = Rule {
    id: "launch-template-version-not-found",
    family: crate::rules::Family::Autoscaling,
    severity: Severity::Error,
    summary: "The launch template version named, or used by the group, does not exist.",
    doc: r#"## What it does
Resolves the launch template version that will really launch: the group's (`$Default`,
`$Latest` or a number), or the one an `ec2:launch-template` value names after a colon
(`web-lt:$Latest`, `lt-0123456789abcdef0:7`), with one `DescribeLaunchTemplateVersions` call
per distinct template and region. A version (or a group's template) that does not exist is
reported. The version's data is then checked with the same rules as the environment's own
values (`ami-not-found`, `sg-wrong-vpc`, `instance-type-not-offered`, `key-pair-not-found`,
...), on the variable's key, with a `via` field naming the group, template and version.

## Why is this bad?
The environment can be right while the version the group launches still carries staging's
image and the old VPC's group: the check ran on one thing and the rollout launches another.

## Example
```
WEB_TEMPLATE=web-lt:7
```
```
error[launch-template-version-not-found]: WEB_TEMPLATE: launch template web-lt has no version 7 in us-east-1
```

## How to fix
List the versions: `aws ec2 describe-launch-template-versions --launch-template-name web-lt --region us-east-1`,
and name one that exists (or create it)."#,
};

pub static LAUNCH_TEMPLATE_MISMATCH: Rule = Rule {
    id: "launch-template-mismatch",
    family: crate::rules::Family::Autoscaling,
    severity: Severity::Error,
    summary: "An `x-launch-fields` field of the launch template version differs from the variable it maps to.",
    doc: r#"## What it does
On an `ec2:launch-template` or `autoscaling:group` property,
`"x-launch-fields": {"ImageId": "LAUNCH_AMI", "SecurityGroupIds": "WEB_SECURITY_GROUPS"}`
maps launch template data fields to variables of the same environment. Each field of the
version that will launch must equal its variable's value (lists compared as sets). Fields:
`ImageId`, `InstanceType`, `KeyName`, `SecurityGroupIds` (including those of the network
interfaces), `SecurityGroups`, `SubnetId` (of the network interfaces).

## Why is this bad?
The environment and what the autoscaler launches drift apart unseen: the variables were fixed,
the template was not rebuilt from them (the incident's stale launcher, again).

## Example
```
error[launch-template-mismatch]: WEB_GROUP: ImageId of Auto Scaling group web, launch template web-lt version 4 ($Latest) is `ami-0aaa1111bbbb2222c`, but LAUNCH_AMI is `ami-0bbb3333cccc4444d`
```

## How to fix
Create a new template version from the environment (and make it the group's), or fix the
variable: `aws ec2 create-launch-template-version --launch-template-name web-lt --source-version 4 --launch-template-data '{"ImageId":"ami-0bbb..."}'`."#,
};

pub static RULES: &[&Rule] = &[
    &ASG_NOT_FOUND,
    &ASG_WRONG_VPC,
    &ASG_LAUNCH_SUSPENDED,
    &ASG_NO_CAPACITY,
    &ASG_NOT_IN_FAILOVER_REGION,
    &LAUNCH_TEMPLATE_VERSION_NOT_FOUND,
    &LAUNCH_TEMPLATE_MISMATCH,
];
