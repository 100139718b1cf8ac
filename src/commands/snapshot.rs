//! `preflight snapshot --env NAME`: after the tests pass, records NAME as tested. It runs the
//! same check as `check` and writes the lock only when nothing blocks: a lock of a broken
//! environment would make every later comparison meaningless.

use std::path::Path;

use crate::check::Outcome;
use crate::config::{Config, Environment};
use crate::diag::ToolError;
use crate::lock::{self, Lock, LockedVar};
use crate::report::Verdict;
use crate::schema::{EnvSchema, Parity};

/// Builds the lock from a check's outcome. Never holds a plaintext value.
pub fn build(env: &Environment, schema: &EnvSchema, outcome: &Outcome, offline: bool) -> Result<Lock, ToolError> {
    let salt = lock::new_salt()?;
    let mut variables = std::collections::BTreeMap::new();
    for (name, value) in &outcome.resolved.values {
        let prop = schema.property(name);
        let parity = prop.map(|p| p.parity()).unwrap_or(Parity::Differs);
        let secret = outcome.secrets.contains(name);
        let mut v = LockedVar { parity, secret, digest: None, kind: None, resources: None };
        match parity {
            Parity::Same if !secret => v.digest = value.as_deref().map(|x| lock::salted(&salt, name, x)),
            Parity::Resource => {
                v.kind = prop.and_then(|p| p.aws);
                v.resources = outcome.resolved.resources(name);
            }
            _ => {}
        }
        variables.insert(name.clone(), v);
    }
    Ok(Lock {
        preflight_lock: 1,
        environment: env.name.clone(),
        region: env.region.get_ref().clone(),
        commit: outcome.commit.clone(),
        created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        fingerprint: outcome.report.fingerprint.clone(),
        offline,
        account: outcome.report.account.clone(),
        salt,
        variables,
        artifacts: outcome.resolved.artifacts.clone(),
    })
}

/// `preflight snapshot`: loads the config, runs the same check as `check`, records the lock.
pub fn command(
    config: Option<&Path>,
    dir: &Path,
    env: &str,
    offline: bool,
    timeout: std::time::Duration,
    output: Option<&Path>,
    allow_unverified: bool,
) -> Result<Verdict, ToolError> {
    let (cfg, schema) = super::check::load(config, dir)?;
    let env = cfg.environment(Some(env))?;
    let opts = crate::check::Options { offline, expect_fingerprint: None, rev: None, timeout, against: None };
    let outcome = crate::check::check(&cfg, env, &schema, &opts)?;
    run(&cfg, env, &schema, &outcome, offline, output, dir, allow_unverified)
}

/// Writes the lock unless the check blocked, or could not complete (without
/// `--allow-unverified`); returns the verdict.
#[allow(clippy::too_many_arguments)] // the command's inputs, passed through once
pub fn run(
    cfg: &Config,
    env: &Environment,
    schema: &EnvSchema,
    outcome: &Outcome,
    offline: bool,
    output: Option<&Path>,
    dir: &Path,
    allow_unverified: bool,
) -> Result<Verdict, ToolError> {
    let verdict = outcome.report.verdict();
    if verdict == Verdict::Blocked {
        eprint!("{}", crate::report::human::render(&outcome.report, false));
        eprintln!("preflight: not recording {} as tested: the check is blocked", env.name);
        return Ok(Verdict::Blocked);
    }
    // A lock with holes (resources that could not be looked up) would replace a good one and
    // leave every later check against it unverified: only on request.
    if verdict == Verdict::Unverified && !allow_unverified {
        eprint!("{}", crate::report::human::render(&outcome.report, false));
        eprintln!(
            "preflight: not recording {} as tested: some checks could not complete; run again, or pass --allow-unverified to record what could be checked",
            env.name
        );
        return Ok(Verdict::Unverified);
    }
    let lock = build(env, schema, outcome, offline)?;
    let path = match output {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        Some(p) => dir.join(p),
        None => crate::files::confine_output(&cfg.root, &env.lock_path(), "lock")?,
    };
    let mut inputs = cfg.input_paths();
    inputs.extend(schema.files.iter().cloned());
    lock::write(&path, &lock, &inputs)?;
    println!("recorded {} as tested: {} ({} variables, fingerprint {})", env.name, path.display(), lock.variables.len(), lock.fingerprint);
    for u in &outcome.report.unverified {
        eprintln!("unverified: {}: {} (the lock records what could be checked)", u.check, u.reason);
    }
    Ok(Verdict::Pass)
}
