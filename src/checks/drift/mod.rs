//! The drift family: the environment about to be deployed against the lock of the one that was
//! tested. A deploy once passed its preflight because the preflight ran against the previous
//! environment; here every difference the schema's `x-parity` does not allow blocks.
//!
//! Values are compared as salted digests, resources by their attributes (never by id: ids
//! differ per region and account), artifacts by source digest. Anything the lock or this run
//! could not record is listed as unverified, never assumed equal.

pub mod rules;

use std::collections::{BTreeMap, BTreeSet};

use crate::checks::Sink;
use crate::env::EnvSet;
use crate::lock::{self, Attributes, Lock};
use crate::report::Finding;
use crate::schema::{EnvSchema, Parity};
use rules::*;

/// What this run resolved, in the shape the lock records.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Variable -> value (`None` when unknown: unresolved offline, or a secure parameter).
    pub values: BTreeMap<String, Option<String>>,
    /// Variable -> attributes of its resources, when they were looked up and all found.
    pub attributes: BTreeMap<String, Vec<Attributes>>,
    /// Variables that name resources (with how many names each).
    pub resource_counts: BTreeMap<String, usize>,
    pub artifacts: BTreeMap<String, String>,
    pub live: bool,
}

impl Resolved {
    /// The sorted attributes of a variable's resources, if every one was looked up.
    pub fn resources(&self, var: &str) -> Option<Vec<Attributes>> {
        let want = *self.resource_counts.get(var)?;
        let mut got = self.attributes.get(var)?.clone();
        if !self.live || got.len() != want {
            return None;
        }
        Attributes::sort(&mut got);
        Some(got)
    }
}

/// Compares the target with the tested lock. `lock_name` is how findings name the lock.
/// `blocked` names variables that already have an error finding (say, an image that does not
/// exist): their resources cannot be compared, and the finding already blocks.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    lock: &Lock,
    lock_name: &str,
    schema: &EnvSchema,
    env: &EnvSet,
    hidden: &BTreeSet<String>,
    blocked: &BTreeSet<String>,
    now: &Resolved,
    region: &str,
    sink: &mut Sink,
) {
    let tested = &lock.environment;

    for (name, locked) in &lock.variables {
        let Some(var) = env.vars.get(name) else {
            sink.findings.push(
                Finding::new(&DRIFT_MISSING, format!("set in the tested environment {tested}, not here"))
                    .key(name)
                    .help(format!("set {name} in this environment's source, or remove it from {tested} and test again ({lock_name})")),
            );
            continue;
        };
        let parity = schema.property(name).map(|p| p.parity()).unwrap_or(locked.parity);
        let secret = schema.is_secret(name) || hidden.contains(name) || locked.secret;
        match parity {
            Parity::Differs => {}
            Parity::Same if secret => {}
            Parity::Same => {
                let value = now.values.get(name).cloned().flatten();
                match (&locked.digest, value) {
                    (Some(d), Some(v)) => {
                        if lock::salted(&lock.salt, name, &v) != *d {
                            sink.findings.push(
                                Finding::new(&DRIFT_VALUE, format!("differs from the value tested in {tested} (x-parity: same)"))
                                    .key(name)
                                    .help(format!("set the value that was tested in {tested}, or test this value there and snapshot again"))
                                    .at(var.value_location()),
                            );
                        }
                    }
                    (None, _) => sink.skipped(format!("drift {name}"), region, format!("the lock {lock_name} has no digest of the tested value")),
                    (_, None) => sink.skipped(format!("drift {name}"), region, "this run could not resolve the value".into()),
                }
            }
            Parity::Resource => match (&locked.resources, now.resources(name)) {
                (Some(then), Some(target)) => {
                    let mut then = then.clone();
                    Attributes::sort(&mut then);
                    if then != target {
                        sink.findings.push(
                            Finding::new(&DRIFT_RESOURCE, format!("tested {}, target {}", describe(&then), describe(&target)))
                                .key(name)
                                .region(region)
                                .help(format!("use a resource equivalent to the one tested in {tested} (same image name and architecture, same rules), or test this one there and snapshot again"))
                                .at(var.value_location()),
                        );
                    }
                }
                (None, _) => sink.skipped(
                    format!("drift {name}"),
                    region,
                    if lock.offline {
                        format!("the lock {lock_name} was made with --offline, so the tested resources' attributes are unknown")
                    } else {
                        format!("the lock {lock_name} has no attributes for the tested resources")
                    },
                ),
                (_, None) if blocked.contains(name) => {}
                (_, None) => sink.skipped(format!("drift {name}"), region, "this run did not look the resources up (--offline, or the lookup failed)".into()),
            },
        }
    }
    for (name, var) in &env.vars {
        if !lock.variables.contains_key(name) {
            sink.findings.push(
                Finding::new(&DRIFT_EXTRA, format!("set here, but not in the tested environment {tested}"))
                    .key(name)
                    .help(format!("test with {name} set in {tested} and snapshot again, or remove it here"))
                    .at(var.key_location()),
            );
        }
    }
    sink.findings.extend(artifacts(lock, now));
}

/// What `explain` needs of the run.
pub struct Context<'a> {
    pub cfg: &'a crate::config::Config,
    /// `--rev`: the commit being deployed (HEAD when `None`).
    pub rev: Option<&'a str>,
    /// The account this run's credentials act in, once asked.
    pub account: Option<&'a str>,
}

/// Completes the drift findings `compare` produced: an artifact's drift points at its
/// `[[artifacts]]` entry, as the other artifact rules do, and lists what changed under its
/// paths since the tested commit, when this clone has it; across accounts, a resource's drift
/// says which two accounts, so a reader knows where to look on each side.
pub fn explain(how: &Context, lock: &Lock, findings: &mut [Finding]) {
    let repo = crate::git::Repo::open(&how.cfg.root).ok();
    let tested = lock.commit.as_deref().and_then(|c| git2::Oid::from_str(c).ok()).filter(|c| repo.as_ref().is_some_and(|r| r.has_commit(&c.to_string())));
    let now = repo.as_ref().and_then(|r| r.resolve(how.rev).ok());
    for finding in findings.iter_mut().filter(|f| *f.rule == DRIFT_ARTIFACT) {
        let Some(a) = how.cfg.artifacts.iter().find(|a| Some(a.name.get_ref()) == finding.key.as_ref()) else { continue };
        if finding.location.is_none() {
            finding.location = Some(crate::checks::artifact::location(how.cfg, a));
        }
        if let (Some(repo), Some(tested), Some(now)) = (&repo, tested, now) {
            finding.message.push_str(&crate::checks::artifact::changes(repo, tested, now, a.paths.get_ref()));
        }
    }
    if let (Some(tested), Some(now)) = (&lock.account, how.account)
        && tested != now
    {
        for finding in findings.iter_mut().filter(|f| *f.rule == DRIFT_RESOURCE) {
            finding.message.push_str(&format!(" (tested in AWS account {tested}, checked in {now})"));
        }
    }
}

/// `fingerprint-mismatch`: the environment's fingerprint against `--expect-fingerprint`.
pub fn judge_fingerprint(expected: &str, fingerprint: &str, sink: &mut Sink) {
    let expected = expected.trim();
    if expected != fingerprint {
        sink.findings.push(
            Finding::new(&FINGERPRINT_MISMATCH, format!("the environment's fingerprint is {fingerprint}, not the expected {expected}"))
                .help("the environment changed since the check that produced the expected fingerprint; run `preflight check` again and deploy what it passes"),
        );
    }
}

/// Artifacts built from other sources than the ones tested (`drift-artifact`).
fn artifacts(lock: &Lock, now: &Resolved) -> Vec<Finding> {
    let tested = &lock.environment;
    let mut findings = Vec::new();
    for (name, then) in &lock.artifacts {
        match now.artifacts.get(name) {
            Some(d) if d == then => {}
            Some(d) => findings.push(
                Finding::new(
                    &DRIFT_ARTIFACT,
                    format!(
                        "its sources differ from the ones tested in {tested}: tested {}, now {}",
                        crate::git::short_digest(then),
                        crate::git::short_digest(d)
                    ),
                )
                .key(name)
                .help("deploy the commit that was tested, or test this one and snapshot again".to_string()),
            ),
            None => findings.push(
                Finding::new(&DRIFT_ARTIFACT, format!("was tested in {tested}, but is not an artifact of this check"))
                    .key(name)
                    .help("declare the artifact in preflight.toml, or snapshot again without it".to_string()),
            ),
        }
    }
    findings
}

/// "image goinstance-1.4 (x86_64)", "rules [in tcp 443-443 0.0.0.0/0]", ...
fn describe(resources: &[Attributes]) -> String {
    resources.iter().map(Attributes::describe).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn images_are_described_by_name_and_architecture() {
        let image: Attributes = serde_json::from_value(json!({"name": "goinstance-1.4", "architecture": "x86_64", "root_device_type": "ebs"})).unwrap();
        assert_eq!(describe(&[image]), "image goinstance-1.4 (x86_64)");
        let subnet: Attributes = serde_json::from_value(json!({"public": false})).unwrap();
        assert_eq!(describe(&[subnet]), "a private subnet");
    }

    #[test]
    fn resources_need_every_name_looked_up() {
        let mut r = Resolved { live: true, ..Default::default() };
        r.resource_counts.insert("S".into(), 2);
        let subnet = |public| Attributes::Subnet(lock::SubnetAttributes { public });
        r.attributes.insert("S".into(), vec![subnet(true)]);
        assert_eq!(r.resources("S"), None);
        r.attributes.get_mut("S").unwrap().push(subnet(false));
        assert_eq!(r.resources("S").unwrap().len(), 2);
        r.live = false;
        assert_eq!(r.resources("S"), None);
    }
}
