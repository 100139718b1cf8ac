//! Declares the rules of the `ami` family (machine images named by `ec2:image`) with their `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static AMI_NOT_FOUND: Rule = Rule {
    id: "ami-not-found",
    family: crate::rules::Family::Ami,
    severity: Severity::Error,
    summary: "An image id does not exist, or is not visible to the account, in the region.",
    doc: r#"## What it does
Looks up every value of a property with `"x-aws": "ec2:image"` (or of its array `items`) in
the environment's region, and reports an image id that the region does not have, or that
the account cannot see (a private image in another account that was never shared).

## Why is this bad?
Image ids are regional: the same image copied to another region gets another id. An id
that was right in staging is wrong in production. This is the incident preflight was built
against: the autoscaler could not launch machines from the new image, and the fleet shrank
to one machine per region.

## Example
```
# deploy/env.schema.json
"LAUNCH_AMI": { "type": "string", "x-aws": "ec2:image" }
```
```
# deploy/production.env
LAUNCH_AMI=ami-0abc1234def567890
```
```
error[ami-not-found]: LAUNCH_AMI: image `ami-0abc1234def567890` does not exist in us-east-1, or is not visible to this account
  --> deploy/production.env:1:12
```

## How to fix
Find the image's name where the id is valid, then the id of that name in the target region:
```
aws ec2 describe-images --image-ids ami-0abc1234def567890 --region eu-west-1 --query 'Images[].Name'
aws ec2 describe-images --owners self --filters Name=name,Values=launcher-2024-06-01 --region us-east-1 --query 'Images[].[ImageId,State]'
```
If the region has no copy, make one (`aws ec2 copy-image --source-region eu-west-1
--source-image-id ami-0abc1234def567890 --name launcher-2024-06-01 --region us-east-1`). If
the image belongs to another account, its owner must share it with yours.

## Notes
- A malformed id (`ami-123`; an image id is `ami-` and 8 or 17 hex digits) cannot exist:
  it is reported even with `--offline`. Well-formed ids are not looked up offline.
- AccessDenied, UnauthorizedOperation, throttling past the deadline or a timeout is never
  "not found": the check is listed as unverified (exit 3)."#,
};

pub static AMI_NOT_AVAILABLE: Rule = Rule {
    id: "ami-not-available",
    family: crate::rules::Family::Ami,
    severity: Severity::Error,
    summary: "The image exists but its state is not `available`.",
    doc: r#"## What it does
Reports an image named by an `ec2:image` value that exists in the region but whose
`State` is not `available`: for example `pending` (a copy or bake is still running),
`failed`, `error`, `invalid` or `transient`.

## Why is this bad?
EC2 launches instances only from available images. Rolling out while the image is still
`pending` means every launch of the new fleet fails until it is ready; a `failed` image
never becomes ready, and the autoscaler keeps failing to replace machines.

## Example
```
# deploy/production.env
LAUNCH_AMI=ami-0abc1234def567890
```
```
error[ami-not-available]: LAUNCH_AMI: image `ami-0abc1234def567890` (launcher-2024-06-01) is pending, not available
  --> deploy/production.env:1:12
```

## How to fix
See the state and its reason:
```
aws ec2 describe-images --image-ids ami-0abc1234def567890 --region us-east-1 --query 'Images[].[State,StateReason.Message]'
```
- `pending`: wait for it, then run the check again:
  `aws ec2 wait image-available --image-ids ami-0abc1234def567890 --region us-east-1`.
- `failed` or `error`: bake or copy the image again and use the new id.

## Notes
Images in failover regions are held to the same standard by
`ami-not-in-failover-region`."#,
};

pub static AMI_DEPRECATED: Rule = Rule {
    id: "ami-deprecated",
    family: crate::rules::Family::Ami,
    severity: Severity::Warning,
    summary: "The image is past its deprecation time (warning).",
    doc: r#"## What it does
Warns when an image named by an `ec2:image` value has a `DeprecationTime` that is already
past at the time of the check.

## Why is this bad?
The image's owner has marked it out of date: for a public image that usually means it
lacks security fixes, and deprecated images are dropped from most image listings and
public aliases. It can still be launched by id today, but it is on its way to being
deregistered, and then the launch fails like `ami-not-found`.

## Example
```
# deploy/production.env
LAUNCH_AMI=ami-0abc1234def567890
```
```
warning[ami-deprecated]: LAUNCH_AMI: image `ami-0abc1234def567890` (al2023-ami-2023.4.20240401.1-kernel-6.1-x86_64) has been deprecated since 2024-07-01T00:00:00Z
  --> deploy/production.env:1:12
```

## How to fix
Move to a current image. For Amazon's images, find the newest one of the same family:
```
aws ec2 describe-images --owners amazon --filters 'Name=name,Values=al2023-ami-2023.*-kernel-6.1-x86_64' --region us-east-1 --query 'sort_by(Images,&CreationDate)[-1].[ImageId,Name]'
```
or refer to the public alias instead of a fixed id:
`LAUNCH_AMI={{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}`.
For your own image, bake a new one; if the deprecation was set by mistake, remove it with
`aws ec2 disable-image-deprecation --image-id ami-0abc1234def567890 --region us-east-1`.

## Notes
This is a warning: on its own it does not block the rollout (exit 0)."#,
};

pub static AMI_NOT_IN_FAILOVER_REGION: Rule = Rule {
    id: "ami-not-in-failover-region",
    family: crate::rules::Family::Ami,
    severity: Severity::Error,
    summary: "A failover region has no available image with the same name.",
    doc: r#"## What it does
For every image named by an `ec2:image` value, and for every region in the environment's
`failover_regions`, looks for an image with exactly the same *name*, owned by the same
owner or by your own account (the copy `aws ec2 copy-image` makes), whose state is
`available`. A public image of another owner that happens to share the name does not
count. Image ids differ per region, so the match is by name, not id.
The finding names the failover region that lacks it.

## Why is this bad?
A failover region launches from its own copy of the image. If the copy was never made, or
is still pending, the primary region looks healthy and the rollout passes, but the first
time traffic fails over (or the failover fleet scales) no machine can be launched there.

## Example
```
# preflight.toml
[environments.production]
region = "us-east-1"
failover_regions = ["us-west-2"]
```
```
error[ami-not-in-failover-region]: LAUNCH_AMI: no available image named launcher-2024-06-01 in failover region us-west-2
  --> deploy/production.env:1:12
```

## How to fix
Copy the image to the failover region, keeping its name, and wait until it is available:
```
aws ec2 copy-image --source-region us-east-1 --source-image-id ami-0abc1234def567890 --name launcher-2024-06-01 --region us-west-2
aws ec2 describe-images --owners self --filters Name=name,Values=launcher-2024-06-01 --region us-west-2 --query 'Images[].[ImageId,State]'
```
Make the copy part of the bake, so every new image reaches every failover region.

## Notes
- The image is first resolved in the primary region; if it does not exist there, only
  `ami-not-found` is reported.
- AccessDenied, UnauthorizedOperation or a timeout in a failover region is listed as
  unverified for that region (exit 3), never as this finding."#,
};

pub static AMI_ARCHITECTURE_MISMATCH: Rule = Rule {
    id: "ami-architecture-mismatch",
    family: crate::rules::Family::Ami,
    severity: Severity::Error,
    summary: "The image's architecture does not fit the instance type of the same environment.",
    doc: r#"## What it does
Compares the `Architecture` of each image named by an `ec2:image` value (`x86_64`,
`arm64`, ...) with the architectures supported by each instance type named by an
`ec2:instance-type` value of the same environment, and reports an image that cannot run on
the type.

## Why is this bad?
EC2 refuses the launch: an `arm64` image cannot boot on `c5.large`, an `x86_64` image
cannot boot on a Graviton type. This often happens when only one of the two variables is
changed, for example a move to Graviton that updated `INSTANCE_TYPE` but not `LAUNCH_AMI`.

## Example
```
# deploy/production.env
LAUNCH_AMI=ami-0abc1234def567890
INSTANCE_TYPE=c5.large
```
```
error[ami-architecture-mismatch]: LAUNCH_AMI: image `ami-0abc1234def567890` is arm64, but instance type c5.large (INSTANCE_TYPE) runs x86_64
  --> deploy/production.env:1:12
```

## How to fix
Change one of the two so they agree: use the image built for the type's architecture, or
an instance type of the image's architecture (here, e.g., `c7g.large`). To check:
```
aws ec2 describe-images --image-ids ami-0abc1234def567890 --region us-east-1 --query 'Images[].Architecture'
aws ec2 describe-instance-types --instance-types c5.large --region us-east-1 --query 'InstanceTypes[].ProcessorInfo.SupportedArchitectures'
```

## Notes
- Nothing is compared when the environment has no `ec2:instance-type` variable.
- Both attributes come from the cloud, so this rule does not fire with `--offline`."#,
};

pub static RULES: &[&Rule] = &[&AMI_NOT_FOUND, &AMI_NOT_AVAILABLE, &AMI_DEPRECATED, &AMI_NOT_IN_FAILOVER_REGION, &AMI_ARCHITECTURE_MISMATCH];
