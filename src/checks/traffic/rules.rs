//! Declares the rules of the `traffic` family (load balancers, target groups and Route 53 DNS
//! records: where blue/green and failover send the traffic) with their `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static LB_NOT_FOUND: Rule = Rule {
    id: "lb-not-found",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "No load balancer of that name or ARN exists in the region.",
    doc: r#"## What it does
Looks up every `elbv2:load-balancer` value (a name or an ARN) in one paginated
`DescribeLoadBalancers` listing per region. A value the listing does not hold is reported.
preflight lists rather than asking by `Names=`: real ELBv2 fails the whole call when one name
is missing, which would hide which one.

## Why is this bad?
A blue/green switch or a failover shifts traffic through the load balancer. When it is not
there (staging's name, a balancer deleted or renamed by a stack update), the switch fails in
the middle of the rollout, with half the fleet moved.

## Example
```
WEB_LB=web-prod-2
```
```
error[lb-not-found]: WEB_LB: load balancer `web-prod-2` does not exist in us-east-1
```

## How to fix
List the load balancers of the region and fix the name:
```
aws elbv2 describe-load-balancers --region us-east-1 --query 'LoadBalancers[].LoadBalancerName'
```"#,
};

pub static LB_WRONG_VPC: Rule = Rule {
    id: "lb-wrong-vpc",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "The load balancer exists but in another VPC than the environment's.",
    doc: r#"## What it does
Compares the load balancer's VPC with the environment's `vpc` (preflight.toml).

## Why is this bad?
A load balancer only reaches targets of its own VPC. After a move to a new VPC, a variable
still naming the old VPC's balancer sends the rollout's traffic to the old fleet, or to
nothing: the new machines register nowhere it can reach.

## Example
```
error[lb-wrong-vpc]: WEB_LB: load balancer `web-staging` is in vpc-0a1b2c3d4e5f60718, not the environment's vpc-0123456789abcdef0
```

## How to fix
Name the load balancer of the environment's VPC (list them with
`aws elbv2 describe-load-balancers --region us-east-1 --query 'LoadBalancers[].[LoadBalancerName,VpcId]'`),
or fix `vpc` in preflight.toml if the environment really moved."#,
};

pub static LB_NOT_ACTIVE: Rule = Rule {
    id: "lb-not-active",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "The load balancer's state is `failed` or `active_impaired`.",
    doc: r#"## What it does
Reads the load balancer's `State.Code`. `failed` (it could not be set up) and
`active_impaired` (it cannot scale or route normally) are reported.

## Why is this bad?
Shifting a blue/green rollout, or failing over, onto a balancer that cannot route moves the
traffic onto an outage: the new fleet is healthy and nobody reaches it.

## Example
```
error[lb-not-active]: WEB_LB: load balancer `web-prod` is in state failed, not active
```

## How to fix
Read the reason: `aws elbv2 describe-load-balancers --names web-prod --region us-east-1 --query 'LoadBalancers[].State'`.
A `failed` balancer must be recreated; for `active_impaired`, fix its subnets (free IP
addresses) and wait until it is `active` before the rollout."#,
};

pub static LB_PROVISIONING: Rule = Rule {
    id: "lb-provisioning",
    family: crate::rules::Family::Traffic,
    severity: Severity::Warning,
    summary: "The load balancer is still being provisioned.",
    doc: r#"## What it does
Reads the load balancer's `State.Code` and reports `provisioning`.

## Why is this bad?
A balancer being provisioned serves no traffic yet: a switch onto it now drops requests until
it is ready. It is a warning: a balancer created a minute ago by the same pipeline is normal,
and becomes `active` within minutes.

## Example
```
warning[lb-provisioning]: WEB_LB: load balancer `web-prod` is still provisioning: it serves no traffic yet
```

## How to fix
Wait for it, then run the check again:
`aws elbv2 wait load-balancer-available --names web-prod --region us-east-1`"#,
};

pub static LB_ZONE_NOT_ENABLED: Rule = Rule {
    id: "lb-zone-not-enabled",
    family: crate::rules::Family::Traffic,
    severity: Severity::Warning,
    summary: "A subnet of the environment lies in an Availability Zone the load balancer does not serve.",
    doc: r#"## What it does
Compares the Availability Zone of every subnet the environment names (`ec2:subnet` values)
with the zones the load balancer serves (its `AvailabilityZones`).

## Why is this bad?
A load balancer only sends traffic to targets in the zones it serves. Machines launched into
a subnet of another zone register, pass no traffic, and the rollout runs on part of the fleet:
the capacity you counted on for the switch is not there.

## Example
```
APP_SUBNETS=subnet-0aaaaaaaaaaaaaaaa,subnet-0123456789abcdef0
```
```
warning[lb-zone-not-enabled]: WEB_LB: load balancer `web-prod` does not serve us-east-1e, where subnet `subnet-0123456789abcdef0` (APP_SUBNETS) lies: targets there receive no traffic
```

## How to fix
Enable the zone on the load balancer by adding a subnet of it (`aws elbv2 set-subnets
--load-balancer-arn ARN --subnets subnet-...,subnet-...`, listing the current ones too), or
move the targets to subnets of the zones it serves."#,
};

pub static LB_NOT_IN_FAILOVER_REGION: Rule = Rule {
    id: "lb-not-in-failover-region",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "No load balancer of that name exists in a failover region.",
    doc: r#"## What it does
For each load balancer named by *name* (not by ARN, which is regional), looks for a load
balancer of the same name in each of `failover_regions` (one paginated
`DescribeLoadBalancers` listing per region).

## Why is this bad?
A failover region without the load balancer has nowhere to receive the traffic on the day the
main region fails: the DNS failover points at nothing.

## Example
```
error[lb-not-in-failover-region]: WEB_LB: load balancer `web-prod` does not exist in failover region us-west-2
```

## How to fix
Create the load balancer in the failover region (with your infrastructure code), with that
region's subnets and listeners, then check the failover records point at it."#,
};

pub static TARGET_GROUP_NOT_FOUND: Rule = Rule {
    id: "target-group-not-found",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "No target group of that name or ARN exists in the region.",
    doc: r#"## What it does
Looks up every `elbv2:target-group` value (a name or an ARN) in one paginated
`DescribeTargetGroups` listing per region. A value the listing does not hold is reported.

## Why is this bad?
Blue/green registers the new fleet in a target group, then switches the listener to it. A
missing group (staging's name, a `web-blue` deleted after the last switch) fails the rollout
after the fleet is launched.

## Example
```
WEB_TARGET_GROUP=web-blue-v2
```
```
error[target-group-not-found]: WEB_TARGET_GROUP: target group `web-blue-v2` does not exist in us-east-1
```

## How to fix
List the target groups of the region and fix the name:
```
aws elbv2 describe-target-groups --region us-east-1 --query 'TargetGroups[].TargetGroupName'
```"#,
};

pub static TARGET_GROUP_WRONG_VPC: Rule = Rule {
    id: "target-group-wrong-vpc",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "The target group exists but in another VPC than the environment's.",
    doc: r#"## What it does
Compares the target group's VPC with the environment's `vpc` (preflight.toml).

## Why is this bad?
A target group only takes targets of its own VPC. A group copied from staging's VPC (same
name, other account or VPC) rejects the new fleet's registrations, and the switch moves the
traffic to an empty group.

## Example
```
error[target-group-wrong-vpc]: WEB_TARGET_GROUP: target group `web-staging` is in vpc-0a1b2c3d4e5f60718, not the environment's vpc-0123456789abcdef0
```

## How to fix
Name the target group of the environment's VPC, or create one there:
`aws elbv2 create-target-group --name web-blue --vpc-id vpc-0123456789abcdef0 --protocol HTTP --port 80`"#,
};

pub static TARGET_GROUP_UNATTACHED: Rule = Rule {
    id: "target-group-unattached",
    family: crate::rules::Family::Traffic,
    severity: Severity::Warning,
    summary: "The target group is attached to no load balancer.",
    doc: r#"## What it does
Reads the target group's `LoadBalancerArns`. An empty list is reported.

## Why is this bad?
Targets registered in a group no listener forwards to receive no traffic: the rollout
"succeeds" on a fleet nobody reaches. It is a warning: the idle half of a blue/green pair is
detached between switches on purpose.

## Example
```
warning[target-group-unattached]: WEB_TARGET_GROUP: target group `web-green` is attached to no load balancer: targets registered there receive no traffic
```

## How to fix
Forward a listener (or a listener rule) to it, e.g.
`aws elbv2 modify-listener --listener-arn ARN --default-actions Type=forward,TargetGroupArn=TG-ARN`,
or name the group the listener really forwards to."#,
};

pub static TARGET_GROUP_NOT_IN_FAILOVER_REGION: Rule = Rule {
    id: "target-group-not-in-failover-region",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "No target group of that name exists in a failover region.",
    doc: r#"## What it does
For each target group named by *name* (not by ARN, which is regional), looks for a target
group of the same name in each of `failover_regions` (one paginated `DescribeTargetGroups`
listing per region).

## Why is this bad?
On failover, the fleet of the failover region registers in that region's group. Without it,
the machines launch and the failover load balancer forwards to nothing.

## Example
```
error[target-group-not-in-failover-region]: WEB_TARGET_GROUP: target group `web-blue` does not exist in failover region us-west-2
```

## How to fix
Create the target group in the failover region (with your infrastructure code), in that
region's VPC, and attach it to that region's load balancer."#,
};

pub static DNS_RECORD_NOT_FOUND: Rule = Rule {
    id: "dns-record-not-found",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "No hosted zone of the account holds a record of that name.",
    doc: r#"## What it does
Lists the account's hosted zones once (`ListHostedZones`), picks the longest zone name the
`route53:record` value ends with, and looks the name up in that zone. A wildcard record
(`*.example.com`) counts, and the report says the name matched a wildcard.

## Why is this bad?
A failover or a blue/green DNS switch edits or relies on that record. A name with a typo, or
the staging zone's, lets the pipeline switch a record nobody queries, while the real traffic
stays where it was.

## Example
```
WEB_DNS=api.example.com
```
```
error[dns-record-not-found]: WEB_DNS: DNS record `api.example.com` does not exist in hosted zone example.com (Z0123456789ABCDEFGHIJ)
```
When no zone covers the name:
```
error[dns-record-not-found]: WEB_DNS: no hosted zone of the account holds DNS record `api.example.org`
```

## How to fix
List the zone's records and fix the name:
`aws route53 list-resource-record-sets --hosted-zone-id Z0123456789ABCDEFGHIJ --query 'ResourceRecordSets[].[Name,Type]'`"#,
};

pub static DNS_DANGLING_TARGET: Rule = Rule {
    id: "dns-dangling-target",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "A record set points at a load balancer that does not exist.",
    doc: r#"## What it does
Follows each record set of the name (simple, weighted, latency, failover...). An alias or
CNAME whose target is a load balancer DNS name (`[dualstack.]NAME-ID.REGION.elb.amazonaws.com`,
compared without case, `dualstack.` prefix or trailing dot) must match a load balancer that
exists in that region. Other targets (CloudFront, S3, API Gateway, IP addresses) are listed in
the report as not checked.

## Why is this bad?
A record left pointing at a deleted balancer answers with a name that resolves to nothing:
the SECONDARY of a failover pair whose load balancer was deleted last month fails only on the
day the primary does.

## Example
```
error[dns-dangling-target]: WEB_DNS: DNS record `www.example.com` (A, failover SECONDARY) points at load balancer web-west-1234567890.us-west-2.elb.amazonaws.com, which does not exist in us-west-2
```

## How to fix
Point the record set at a load balancer that exists (`aws route53 change-resource-record-sets`
with an UPSERT of the alias target), or recreate the load balancer and then update the record."#,
};

pub static DNS_HEALTH_CHECK_NOT_FOUND: Rule = Rule {
    id: "dns-health-check-not-found",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "A record set names a health check that does not exist.",
    doc: r#"## What it does
Collects the `HealthCheckId` of every record set of the name and looks them up in one
`ListHealthChecks` listing. An id the listing does not hold is reported.

## Why is this bad?
Route 53 lets you delete a health check that records still use. The failover then rests on a
health check nobody runs: the primary never counts as failed, or is treated as healthy while
down, and the traffic stays on the broken region.

## Example
```
error[dns-health-check-not-found]: WEB_DNS: DNS record `www.example.com` (A, failover PRIMARY) names health check 0f3c2d9e-1111-2222-3333-444455556666, which does not exist
```

## How to fix
Create a health check for the primary's endpoint (`aws route53 create-health-check`) and set
its id on the record set (`aws route53 change-resource-record-sets`, UPSERT)."#,
};

pub static DNS_FAILOVER_INCOMPLETE: Rule = Rule {
    id: "dns-failover-incomplete",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "A failover PRIMARY without a SECONDARY (or the reverse), or one without a target.",
    doc: r#"## What it does
Groups the failover record sets of the name by type. Each PRIMARY needs a SECONDARY and the
reverse, and each must have a target (an alias target or values).

## Why is this bad?
A failover record with only its PRIMARY looks like failover in the console and does nothing:
when the primary fails, Route 53 has no other answer. A SECONDARY deleted with its old region
leaves exactly that.

## Example
```
error[dns-failover-incomplete]: WEB_DNS: DNS record `www.example.com` (A) has a failover PRIMARY and no SECONDARY: nothing takes the traffic when the primary fails
```

## How to fix
Create the missing record set (same name and type, `Failover: SECONDARY`, its own
`SetIdentifier`), aliased to the failover region's load balancer, with
`aws route53 change-resource-record-sets`."#,
};

pub static DNS_FAILOVER_REGION: Rule = Rule {
    id: "dns-failover-region",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "The failover SECONDARY's target is not in one of the environment's failover regions.",
    doc: r#"## What it does
When the environment has `failover_regions`, reads the region of the load balancer the
failover SECONDARY points at, and checks it is one of them.

## Why is this bad?
A SECONDARY aimed at the main region (often the primary's own balancer, copied when the pair
was created) fails over to the region that just failed: the failover exists only on paper.

## Example
```
error[dns-failover-region]: WEB_DNS: DNS record `www.example.com` (A, failover SECONDARY) points at a load balancer in us-east-1, which is not one of the environment's failover regions (us-west-2)
```

## How to fix
Point the SECONDARY at the failover region's load balancer (`aws route53
change-resource-record-sets`, UPSERT of its alias target), or fix `failover_regions` in
preflight.toml if the failover region changed."#,
};

pub static DNS_FAILOVER_NEVER_TRIGGERS: Rule = Rule {
    id: "dns-failover-never-triggers",
    family: crate::rules::Family::Traffic,
    severity: Severity::Warning,
    summary: "A failover PRIMARY has no health check and no target-health evaluation.",
    doc: r#"## What it does
Reads each failover PRIMARY record set: it needs a `HealthCheckId`, or an alias target with
`EvaluateTargetHealth: true`.

## Why is this bad?
Route 53 fails over only when it sees the primary unhealthy. With neither, the primary is
always healthy to it: the traffic stays on the failed region while the SECONDARY waits. It is
a warning: a pair switched by hand on purpose is legitimate.

## Example
```
warning[dns-failover-never-triggers]: WEB_DNS: DNS record `www.example.com` (A, failover PRIMARY) has no health check and does not evaluate its target's health: it can never fail over
```

## How to fix
Set `EvaluateTargetHealth: true` on the primary's alias target, or attach a health check
(`aws route53 create-health-check`, then UPSERT the record set with its `HealthCheckId`)."#,
};

pub static ROUTES_TO_MISMATCH: Rule = Rule {
    id: "routes-to-mismatch",
    family: crate::rules::Family::Traffic,
    severity: Severity::Error,
    summary: "An `x-routes-to` target group or record does not lead to the named load balancer.",
    doc: r#"## What it does
`"x-routes-to": "WEB_LB"` on an `elbv2:target-group` or `route53:record` property names an
`elbv2:load-balancer` property of the same schema. A target group must be attached to that
load balancer; a record's targets (for a failover pair, the PRIMARY's) must be it. The help
names the load balancer the traffic reaches instead.

## Why is this bad?
The real incident: a DNS failover driven by a stale configuration sent the website's traffic
to the API's load balancer. Every resource existed; none led where the environment claimed.

## Example
```
{"WEB_DNS": {"type": "string", "x-aws": "route53:record", "x-routes-to": "WEB_LB"}}
```
```
error[routes-to-mismatch]: WEB_TARGET_GROUP: target group `web-green` is not attached to load balancer `web-prod` (WEB_LB)
error[routes-to-mismatch]: WEB_DNS: DNS record `www.example.com` leads to load balancer api-prod (api-prod-1234567890.us-east-1.elb.amazonaws.com), not to load balancer `web-prod` (WEB_LB)
```

## How to fix
Fix the variable that is stale (the record, the target group or `WEB_LB`), or make the cloud
match it: forward a listener of `web-prod` to the target group, or UPSERT the record's alias
target to `web-prod`'s DNS name with `aws route53 change-resource-record-sets`."#,
};

pub static RULES: &[&Rule] = &[
    &LB_NOT_FOUND,
    &LB_WRONG_VPC,
    &LB_NOT_ACTIVE,
    &LB_PROVISIONING,
    &LB_ZONE_NOT_ENABLED,
    &LB_NOT_IN_FAILOVER_REGION,
    &TARGET_GROUP_NOT_FOUND,
    &TARGET_GROUP_WRONG_VPC,
    &TARGET_GROUP_UNATTACHED,
    &TARGET_GROUP_NOT_IN_FAILOVER_REGION,
    &DNS_RECORD_NOT_FOUND,
    &DNS_DANGLING_TARGET,
    &DNS_HEALTH_CHECK_NOT_FOUND,
    &DNS_FAILOVER_INCOMPLETE,
    &DNS_FAILOVER_REGION,
    &DNS_FAILOVER_NEVER_TRIGGERS,
    &ROUTES_TO_MISMATCH,
];
