//! Declares the rules of the `drift` family (the target environment against the tested lock, and the fingerprint) with their `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static DRIFT_MISSING: Rule = Rule {
    id: "drift-missing",
    family: crate::rules::Family::Drift,
    severity: Severity::Error,
    summary: "A variable is set in the tested environment but not in the target.",
    doc: r#"## What it does
Compares the environment about to be deployed with the lock written by
`preflight snapshot --env staging` after the tests passed (the lock given with
`--against LOCK`, or the lock of the environment named by `tested_as`). Reports every
variable the tested environment had that the target does not set, whatever its `x-parity`.

## Why is this bad?
The tests ran with that variable. Without it, production takes a code path that was never
tested. A rollout that adds variables for a new setup, as in the incident preflight was
built against, is exactly where one gets added to staging and forgotten in production.

## Example
```
# preflight.toml
[environments.production]
tested_as = "staging"
```
```
$ preflight check --env production
error[drift-missing]: NEW_VPC_ENABLED: set in the tested environment staging, not here
```

## How to fix
Add the variable to production's source. If it should not exist anywhere, remove it from
staging instead, test again, and record the new tested state with
`preflight snapshot --env staging`.

## Notes
- Secrets are recorded in the lock by presence only, so they are compared by presence.
- Without `--against` or `tested_as`, the `drift-*` rules do not run."#,
};

pub static DRIFT_EXTRA: Rule = Rule {
    id: "drift-extra",
    family: crate::rules::Family::Drift,
    severity: Severity::Error,
    summary: "A variable is set in the target environment but not in the tested one.",
    doc: r#"## What it does
Compares the environment about to be deployed with the tested lock (`--against LOCK`, or
the lock of `tested_as`, written by `preflight snapshot` after the tests passed), and
reports every variable the target sets that the tested environment did not have, whatever
its `x-parity`.

## Why is this bad?
A variable that only production has was never exercised by the tests. Its effect on the
rollout is unknown until it is live.

## Example
```
$ preflight check --env production --against locks/staging.lock.json
error[drift-extra]: LEGACY_SG_NAME: set here, but not in the tested environment staging
  --> deploy/production.env:9:1
```

## How to fix
Remove the variable from production if it is left over. If it is needed, add it to
staging as well, run the tests, and record the new tested state with
`preflight snapshot --env staging`.

## Notes
Secrets are compared by presence only: the lock never holds their values or digests."#,
};

pub static DRIFT_VALUE: Rule = Rule {
    id: "drift-value",
    family: crate::rules::Family::Drift,
    severity: Severity::Error,
    summary: "An `x-parity: same` value differs from the tested one.",
    doc: r#"## What it does
For every property with `"x-parity": "same"`, compares the target's value with the value
the tested environment had, as recorded in the lock (a salted digest, never the value),
and reports a value that differs.

## Why is this bad?
`same` says the value must be identical wherever the code is tested and deployed: a
protocol version, a feature flag, a schema version. If production's differs, production
runs a configuration that the tests never saw.

## Example
```
# deploy/env.schema.json
"LAUNCHER_PROTOCOL": { "type": "string", "x-parity": "same" }
```
```
# deploy/production.env
LAUNCHER_PROTOCOL=v2
```
```
error[drift-value]: LAUNCHER_PROTOCOL: differs from the value tested in staging (x-parity: same)
  --> deploy/production.env:1:19
```

## How to fix
Set the value staging was tested with (read it from staging's source; the lock holds only
a digest). If the values are meant to differ between environments, change the property
to `"x-parity": "differs"`. If production's value is the right one, set it in staging,
test, and run `preflight snapshot --env staging` again.

## Notes
- The default parity is `resource` for `x-aws` properties and `differs` for the rest: only
  properties that say `same` are compared by value.
- Secrets are recorded by presence only, so their values are never compared."#,
};

pub static DRIFT_RESOURCE: Rule = Rule {
    id: "drift-resource",
    family: crate::rules::Family::Drift,
    severity: Severity::Error,
    summary: "An `x-parity: resource` value resolves to a resource not equivalent to the tested one.",
    doc: r#"## What it does
For every property with `"x-parity": "resource"` (the default for `x-aws` properties),
compares the resource the target's value resolves to with the one recorded in the tested
lock. Ids are not compared, since they differ per region and account; attributes are:
- images: by name and architecture;
- security groups: by their rule set.

## Why is this bad?
The ids in production are expected to differ from staging's, so a review cannot tell
whether `ami-0abc...` is the image that was tested. An image of another name is another
build; a group with other rules is another network policy. Either way production would run
something the tests never ran, as it did when preflight ran against the previous
environment in the incident it was built against.

## Example
```
# deploy/production.env
LAUNCH_AMI=ami-0abc1234def567890
```
```
error[drift-resource]: LAUNCH_AMI: tested image launcher-2024-06-01, target image launcher-2024-05-20
  --> deploy/production.env:1:12
```

## How to fix
Point production at the equivalent of the tested resource in its own region, e.g.:
```
aws ec2 describe-images --owners self --filters Name=name,Values=launcher-2024-06-01 --region us-east-1 --query 'Images[].ImageId'
```
For a security group, bring its rules in line with staging's group. If the new resource
is intended, test it in staging first and run `preflight snapshot --env staging` again.

## Notes
Resources are resolved with live lookups, so this rule does not fire with `--offline`.
What the lock records for each kind of resource is described by the lock's JSON Schema in
the project's `schemas/` folder."#,
};

pub static DRIFT_ARTIFACT: Rule = Rule {
    id: "drift-artifact",
    family: crate::rules::Family::Drift,
    severity: Severity::Error,
    summary: "An artifact's source digest differs from the one that was tested.",
    doc: r#"## What it does
For every `[[artifacts]]` entry, compares the source digest of the artifact about to be
deployed (from its provenance) with the source digest recorded in the tested lock, and
reports an artifact that differs.

## Why is this bad?
The tests passed with one build of the artifact; the rollout ships another. Both may be
fresh and correctly stamped, and the one being deployed was still never tested: the
launcher that staging validated is not the launcher production will run.

## Example
```
$ preflight check --env production
error[drift-artifact]: launcher: its sources differ from the ones tested in staging: tested sha256:4d790e37501f, now sha256:424da85718cd; changed since: added tools/launcher/retry.go, modified tools/launcher/scale.go; by a41d07e2c9f1 launcher: retry launches
```

## How to fix
Deploy the artifact that was tested, or test the new one: roll it out to staging, run the
tests, then record it with `preflight snapshot --env staging`. To see what changed, compare
the `commit` of the two provenance records:
```
git diff --stat OLD_COMMIT NEW_COMMIT -- tools/launcher go.mod go.sum
```

## Notes
An artifact that is stale relative to the commit being deployed is reported separately as
`artifact-stale`."#,
};

pub static FINGERPRINT_MISMATCH: Rule = Rule {
    id: "fingerprint-mismatch",
    family: crate::rules::Family::Drift,
    severity: Severity::Error,
    summary: "The environment is not the one whose fingerprint was expected.",
    doc: r#"## What it does
Every `check` reports a `fingerprint`: a digest of the resolved environment (variable
names, value digests, resolved resource ids, artifact source digests and the git commit).
`check --expect-fingerprint FP`, run at deploy time, compares the current fingerprint with
FP, the one reported by the check that approved the rollout, and blocks when they differ:
the environment changed after it was checked.

## Why is this bad?
A check only protects the rollout if it checked what is deployed. In the incident
preflight was built against, the test that should have caught the bad values ran against
the previous environment. Between a gate and the deploy, a variable can be edited, an SSM
parameter updated, a public alias moved to a new image, or another commit pushed.

## Example
```
$ preflight check --env production --format json --output report.json   # the gate
$ preflight check --env production --expect-fingerprint sha256:9b1f...   # at deploy
error[fingerprint-mismatch]: the environment's fingerprint is sha256:4c02..., not the expected sha256:9b1f...
```

## How to fix
Do not copy the new fingerprint into the deploy step. Run `preflight check --env production`
again, review what changed and its findings, and deploy with the fingerprint of that
check. Make the deploy step take the fingerprint from the gate's report (`fingerprint` in
the JSON report), so both always refer to the same run.

## Notes
- The fingerprint holds digests, never values, so it is safe to pass between jobs.
- `PREFLIGHT_EXPECT_FINGERPRINT` sets the flag from the environment."#,
};

pub static RULES: &[&Rule] = &[&DRIFT_MISSING, &DRIFT_EXTRA, &DRIFT_VALUE, &DRIFT_RESOURCE, &DRIFT_ARTIFACT, &FINGERPRINT_MISMATCH];
