//! Declares the rules of the `artifact` family (build freshness of `[[artifacts]]`) with their `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static ARTIFACT_UNSTAMPED: Rule = Rule {
    id: "artifact-unstamped",
    family: crate::rules::Family::Artifact,
    severity: Severity::Error,
    summary: "An artifact has no provenance.",
    doc: r#"## What it does
For every `[[artifacts]]` entry in preflight.toml, reads the provenance that says which
sources the artifact was built from, and reports an artifact that has none:
- `provenance = "PATH"`: the file written by `preflight stamp` does not exist;
- `provenance = { image_var = "LAUNCH_AMI", tag = "preflight:source-digest" }`: the image
  that the variable names, in the environment's region, does not carry that tag.

## Why is this bad?
Without provenance nothing can tell whether the artifact was rebuilt after its sources
changed. In the incident preflight was built against, the fix to the launcher did not go
live because the build system did not rebuild it: its source changed, its artifact did not.

## Example
```
# preflight.toml
[[artifacts]]
name = "launcher"
paths = ["tools/launcher", "go.mod", "go.sum"]
provenance = "dist/launcher.provenance.json"
```
```
error[artifact-unstamped]: launcher: its provenance file dist/launcher.provenance.json does not exist
```

## How to fix
Stamp the artifact in the build step, right after building it, from the same checkout:
```
preflight stamp --artifact launcher --output dist/launcher.provenance.json
```
For an image, put the stamped digest in the tag when the image is baked:
```
aws ec2 create-tags --resources ami-0abc1234def567890 --region us-east-1 \
  --tags Key=preflight:source-digest,Value=$(jq -r .source_digest dist/launcher.provenance.json)
```

## Notes
`aws ec2 copy-image` copies tags only with `--copy-image-tags`: an image copied to another
region without it has no provenance there."#,
};

pub static ARTIFACT_STALE: Rule = Rule {
    id: "artifact-stale",
    family: crate::rules::Family::Artifact,
    severity: Severity::Error,
    summary: "The artifact's recorded source digest differs from its paths at the commit being deployed.",
    doc: r#"## What it does
`preflight stamp` records a source digest made from git's object ids of the artifact's
`paths` at the commit it was built from. `check` computes the same digest for the same
paths at the commit being deployed (`HEAD`, or `--rev REV`) and reports an artifact whose
digests differ: its sources changed after it was built.

## Why is this bad?
The rollout would ship an old build with new configuration. This is the second half of the
incident preflight was built against: the launcher's source was fixed, the build system did
not rebuild it, and the fix did not go live.

## Example
```
$ preflight check --env production
error[artifact-stale]: launcher: its sources changed since it was built (built from 3f2a9c1e0b7d): recorded sha256:4d790e37501f, now sha256:424da85718cd; changed since: added tools/launcher/retry.go, modified tools/launcher/scale.go; by a41d07e2c9f1 launcher: retry launches
  = help: rebuild launcher, then run `preflight stamp --artifact launcher`
```

## How to fix
See what changed since the build:
```
git diff --stat 3f2a9c1 a41d07e -- tools/launcher go.mod go.sum
```
Rebuild the artifact at the commit being deployed and stamp it again. If the build
system skipped the rebuild, make it depend on every declared path (a changed `go.sum` must
trigger a rebuild). If the artifact is built from files outside `paths`, add them to
`paths`.

## Notes
- The digest comes from git's object ids: files are never read or hashed, and only
  committed content counts. Uncommitted edits are `artifact-dirty`; untracked files are
  `artifact-untracked`.
- Commits that touch nothing under `paths` do not make the artifact stale.
- In the pre-push hook and in CI, `--rev` names the commit being pushed or deployed."#,
};

pub static ARTIFACT_DIRTY: Rule = Rule {
    id: "artifact-dirty",
    family: crate::rules::Family::Artifact,
    severity: Severity::Error,
    summary: "There are uncommitted changes under an artifact's paths.",
    doc: r#"## What it does
Reports an artifact whose `paths` have uncommitted changes (modified, staged or deleted
tracked files) in the working tree, or whose provenance records that it was built from
such a tree (`"dirty": true`).

## Why is this bad?
An artifact built from uncommitted edits contains code that no commit has. Its source
digest describes the commit, not what was built, so `artifact-stale` cannot see the
difference, no review saw the change, and a clean rebuild in CI produces something else.

## Example
```
$ git status --short -- tools/launcher go.mod go.sum
 M tools/launcher/scale.go
$ preflight check --env production
error[artifact-dirty]: launcher: uncommitted changes under its paths: tools/launcher/scale.go
```

## How to fix
Commit the changes (or discard them: `git restore tools/launcher/scale.go`, or
`git stash push -- tools/launcher`), then rebuild and stamp from the clean tree:
```
preflight stamp --artifact launcher --output dist/launcher.provenance.json
```

## Notes
Only the artifact's `paths` are considered: uncommitted changes elsewhere in the
repository do not fire this rule."#,
};

pub static ARTIFACT_UNTRACKED: Rule = Rule {
    id: "artifact-untracked",
    family: crate::rules::Family::Artifact,
    severity: Severity::Error,
    summary: "There are untracked files under an artifact's paths.",
    doc: r#"## What it does
Reports files under an artifact's `paths` that git does not track (what
`git status` lists as `??`).

## Why is this bad?
A build that only sees tracked files leaves them out: a Nix flake, `git archive`, or a
fresh CI checkout. The local build works because the file is on disk; the released
artifact is built without it, or fails to build. The source digest, made from git's
object ids, does not cover the file either, so a change to it never makes the artifact
stale.

## Example
```
$ git status --short -- tools/launcher
?? tools/launcher/retry.go
$ preflight check --env production
error[artifact-untracked]: launcher: files git does not track under its paths: tools/launcher/retry.go
```

## How to fix
- A source file: `git add tools/launcher/retry.go` and commit it.
- A stray or generated file: delete it, or add it to `.gitignore` if the build writes it
  there on purpose.
Then rebuild and stamp the artifact.

## Notes
Files ignored by `.gitignore` are not reported."#,
};

pub static RULES: &[&Rule] = &[&ARTIFACT_UNSTAMPED, &ARTIFACT_STALE, &ARTIFACT_DIRTY, &ARTIFACT_UNTRACKED];
