//! `preflight check`: gathers the environment, runs every check family, and assembles the one
//! report every format renders. A check that cannot complete marks the run unverified and the
//! others still run (ripgrep's "an error in one place changes the exit status" rule).
//!
//! Order matters: SSM values are resolved first (they may themselves be AMI ids), then the
//! schema validates the resolved values, then the resources they name are looked up live.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::checks::{self, LiveCtx, LiveOut};
use crate::cloud::Cloud;
use crate::cloud::aws::{AwsCloud, Timeouts};
use crate::config::{Config, Environment, SourceEntry};
use crate::diag::ToolError;
use crate::env::reference::{self, Part};
use crate::env::{EnvSet, Origin, Variable};
use crate::fingerprint;
use crate::live::{self, ParameterAnswers, Plan, Progress};
use crate::report::{Checked, Finding, Location, Report, Unverified};
use crate::schema::{AwsKind, EnvSchema};

/// What the user asked `check` for.
#[derive(Debug, Clone)]
pub struct Options {
    pub offline: bool,
    pub expect_fingerprint: Option<String>,
    pub rev: Option<String>,
    pub timeout: Duration,
    /// The tested environment's lock and how to name it (`--against`, or `tested_as`).
    pub against: Option<(crate::lock::Lock, String)>,
}

/// A check's report plus what it resolved, which `snapshot` records.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub resolved: checks::drift::Resolved,
    /// Variables whose values are secret (by schema, by name, or read from a SecureString).
    pub secrets: BTreeSet<String>,
    pub commit: Option<String>,
}

/// Runs all checks for one environment against the real AWS chain (or none with --offline).
pub fn check(cfg: &Config, env: &Environment, schema: &EnvSchema, opts: &Options) -> Result<Outcome, ToolError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| ToolError::new(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async {
        if opts.offline {
            check_with::<AwsCloud>(cfg, env, schema, opts, None).await
        } else {
            let progress = Progress::for_terminal();
            progress.phase("loading AWS configuration");
            let cloud = AwsCloud::new(Timeouts::for_deadline(opts.timeout), &crate::cloud::aws::Identity::of(env)).await;
            let report = check_with_progress(cfg, env, schema, opts, Some(&cloud), &progress).await;
            progress.finish();
            report
        }
    })
}

/// Runs all checks with any [`Cloud`]; `None` means offline.
pub async fn check_with<C: Cloud>(cfg: &Config, env: &Environment, schema: &EnvSchema, opts: &Options, cloud: Option<&C>) -> Result<Outcome, ToolError> {
    check_with_progress(cfg, env, schema, opts, cloud, &Progress::default()).await
}

async fn check_with_progress<C: Cloud>(
    cfg: &Config,
    env: &Environment,
    schema: &EnvSchema,
    opts: &Options,
    cloud: Option<&C>,
    progress: &Progress,
) -> Result<Outcome, ToolError> {
    // The cloud's deadline leaves a little of --timeout (5%, at most 0.5 s) for the artifact
    // checks and the report, so the whole run ends inside --timeout.
    let margin = (opts.timeout / 20).min(std::time::Duration::from_millis(500));
    let deadline = Instant::now() + opts.timeout.saturating_sub(margin);
    let region = env.region.get_ref().as_str();
    let mut findings: Vec<Finding> = Vec::new();
    let mut unverified: Vec<Unverified> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    // Variables whose values are secret though the schema does not say so (SecureStrings).
    let mut hidden: BTreeSet<String> = BTreeSet::new();

    // 0. Which account the credentials act in: asked once, before any other lookup. Unknown
    // or wrong, no other lookup is made (nothing found there could be trusted). It is asked
    // first when the environment names its account or credentials or reads an SSM path; else
    // once the local sources are read, if anything is to be looked up at all (an environment
    // with nothing in the cloud needs no credentials).
    let mut cloud = cloud;
    let mut account: Option<String> = None;
    let mut skipped: Option<&str> = None;
    let early =
        env.account.is_some() || env.role_arn.is_some() || env.profile.is_some() || env.source.get_ref().0.iter().any(|e| matches!(e, SourceEntry::SsmPath(_)));
    if early {
        (cloud, account, skipped) = identity(cfg, env, cloud, deadline, progress, &mut findings, &mut unverified, &mut notes).await;
    }
    // 1. Sources, layered in order.
    progress.phase("reading the environment");
    let mut set = EnvSet::default();
    let mut incomplete = false;
    for entry in &env.source.get_ref().0 {
        match entry {
            SourceEntry::Dotenv(rel) => checks::env::load_dotenv(cfg, rel, schema, &mut set, &mut findings)?,
            SourceEntry::Process => checks::env::load_process(schema, &mut set, &mut findings),
            SourceEntry::SsmPath(path) => {
                let Some(cloud) = cloud else {
                    incomplete = true;
                    unverified.push(Unverified {
                        check: format!("source ssm_path {path}"),
                        region: Some(region.to_string()),
                        reason: format!("{}: the parameters under this path were not read", skipped.unwrap_or("--offline")),
                    });
                    continue;
                };
                progress.phase(&format!("reading SSM parameters under {path}"));
                match live::parameters_by_path(cloud, region, path, deadline, progress).await {
                    Err(e) => {
                        incomplete = true;
                        unverified.push(Unverified { check: format!("source ssm_path {path}"), region: Some(region.to_string()), reason: e.to_string() });
                    }
                    Ok(params) => load_ssm_path(path, region, params, &mut set, &mut hidden, &mut findings, cfg, env.source.span()),
                }
            }
        }
    }

    if !early && cloud.is_some() && needs_cloud(cfg, env, schema, &set) {
        (cloud, account, skipped) = identity(cfg, env, cloud, deadline, progress, &mut findings, &mut unverified, &mut notes).await;
    } else if !early {
        cloud = None;
    }
    let offline_word = skipped.unwrap_or("--offline");

    // 2. Dynamic references.
    progress.phase("resolving SSM references");
    let mut params = ParameterAnswers::default();
    resolve_references(&mut set, region, cloud, offline_word, &mut params, deadline, progress, &mut findings, &mut unverified, &mut hidden).await;

    // 3. Which variables are secret (schema, name, value shape, SecureString), decided once;
    // then schema validation.
    let secrets = secret_set(schema, &set, &hidden);
    let is_secret = |n: &str| secrets.contains(n);
    let unknown: BTreeSet<String> = set.vars.values().filter(|v| v.value.is_none()).map(|v| v.name.clone()).collect();
    let validated = checks::env::validate(schema, &set, &secrets, &unknown, incomplete, region, &mut findings);
    if incomplete {
        notes.push("a source could not be read, so required variables were not reported as missing".into());
    }
    // A resource named by a SecureString is never decrypted, so never looked up: say so, rather
    // than let it pass unseen.
    if cloud.is_some() {
        for var in set.vars.values().filter(|v| v.value.is_none() && hidden.contains(&v.name)) {
            if let Some(kind) = schema.property(&var.name).and_then(|p| p.aws) {
                unverified.push(Unverified {
                    check: format!("{} {}", kind.as_str(), var.name),
                    region: Some(region.to_string()),
                    reason: "the value is a SecureString, which preflight never decrypts, so the resource it names was not looked up".into(),
                });
            }
        }
    }

    // 4. Live checks.
    let mut live_out = LiveOut::default();
    let mut image_tags: Option<checks::artifact::ImageTags> = None;
    let vpc = env.vpc.as_ref().map(|v| (v.get_ref().as_str(), Some(config_location(cfg, v.span()))));
    match cloud {
        None => {
            let n = validated.resources.len() + usize::from(vpc.is_some());
            if n > 0 {
                notes.push(format!("{offline_word}: {n} cloud resource name(s) were checked for shape only, not looked up"));
            }
        }
        Some(cloud) => {
            let mut plan = Plan { region: region.to_string(), failover_regions: env.regions()[1..].to_vec(), ..Default::default() };
            for (_, kind, value) in &validated.resources {
                plan.add(*kind, value);
            }
            if let Some((v, _)) = &vpc {
                plan.add(AwsKind::Vpc, v);
            }
            // Groups named with nothing to place the launch in a VPC: it goes to the default one.
            plan.default_vpc = !plan.group_names.is_empty() && vpc.is_none() && plan.subnets.is_empty();
            // Images whose tags hold an artifact's provenance are looked up with the others.
            for a in &cfg.artifacts {
                if let Some(crate::config::Provenance::Image(img)) = a.provenance.as_ref().map(|p| p.get_ref())
                    && let Some(id) = set.vars.get(&img.image_var).and_then(|v| v.value.as_deref())
                    && crate::aws_ids::is_id(id, "ami")
                {
                    plan.add(AwsKind::Image, id);
                }
            }
            progress.phase("looking up resources");
            let answers = live::run(cloud, &plan, &mut params, deadline, progress).await;
            let ctx = LiveCtx {
                region,
                failover_regions: &plan.failover_regions,
                vpc: vpc.clone(),
                resources: &validated.resources,
                env: &set,
                is_secret: &is_secret,
            };
            checks::ami::judge(&ctx, &answers, SystemTime::now(), &mut live_out);
            checks::network::judge(&ctx, &answers, &mut live_out);
            checks::compute::judge(&ctx, &answers, &mut live_out);
            checks::ssm::judge(&ctx, &params, &mut live_out);
            if let Some(Ok(images)) = &answers.images {
                image_tags = Some(images.iter().map(|i| (i.id.clone(), i.tags.clone())).collect());
            }
        }
    }
    findings.append(&mut live_out.findings);
    unverified.append(&mut live_out.unverified);

    // 5. Artifacts, against the commit being deployed.
    let mut artifact_digests = Vec::new();
    if !cfg.artifacts.is_empty() {
        progress.phase("checking artifacts");
        let repo = crate::git::Repo::open(&cfg.root)?;
        let commit = repo.resolve(opts.rev.as_deref())?;
        let at_head = repo.resolve(None).ok() == Some(commit);
        let values: BTreeMap<String, String> = set.vars.values().filter_map(|v| v.value.clone().map(|x| (v.name.clone(), x))).collect();
        let mut out =
            checks::artifact::check(&checks::artifact::Inputs { cfg, repo: &repo, commit, at_head, values: &values, image_tags: image_tags.as_ref(), region })?;
        findings.append(&mut out.findings);
        unverified.append(&mut out.unverified);
        artifact_digests = out.digests;
    }

    // 6. Drift against the tested environment.
    let mut resource_counts: BTreeMap<String, usize> = BTreeMap::new();
    for (var, _, _) in &validated.resources {
        *resource_counts.entry(var.clone()).or_default() += 1;
    }
    let resolved = checks::drift::Resolved {
        values: set.vars.values().map(|v| (v.name.clone(), v.value.clone())).collect(),
        attributes: std::mem::take(&mut live_out.attributes),
        resource_counts,
        artifacts: artifact_digests.iter().cloned().collect(),
        live: cloud.is_some(),
    };
    if let Some((lock, name)) = &opts.against {
        let blocked: BTreeSet<String> = findings.iter().filter(|f| f.severity == crate::rules::Severity::Error).filter_map(|f| f.key.clone()).collect();
        let (mut f, mut u) = checks::drift::compare(lock, name, schema, &set, &secrets.names, &blocked, &resolved, region);
        // An artifact's drift points at its [[artifacts]] entry, as the other artifact rules do.
        for finding in f.iter_mut().filter(|f| *f.rule == checks::drift::rules::DRIFT_ARTIFACT && f.location.is_none()) {
            if let Some(a) = cfg.artifacts.iter().find(|a| Some(a.name.get_ref()) == finding.key.as_ref()) {
                finding.location = Some(checks::artifact::location(cfg, a));
            }
        }
        // Across accounts, resources are compared by their attributes; the message says which
        // two accounts, so a reader knows where to look on each side.
        if let (Some(tested), Some(now)) = (&lock.account, &account)
            && tested != now
        {
            for finding in f.iter_mut().filter(|f| *f.rule == checks::drift::rules::DRIFT_RESOURCE) {
                finding.message.push_str(&format!(" (tested in AWS account {tested}, checked in {now})"));
            }
        }
        findings.append(&mut f);
        unverified.append(&mut u);
    }

    // 7. Fingerprint of exactly what was checked.
    let commit = crate::git::commit(&cfg.root, opts.rev.as_deref())?;
    // A value that cannot be known (an ssm-secure reference) enters as its text plus the
    // versions of the SecureStrings it names: rotating one changes the fingerprint, though its
    // value is never decrypted.
    let fp_values: Vec<(&str, String, bool)> = set
        .vars
        .values()
        .map(|v| {
            let text = match &v.value {
                Some(x) => x.clone(),
                None => {
                    let versions: Vec<String> = reference::parse(&v.raw)
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|p| match p {
                            Part::Ref(r) if r.secure => {
                                let version = params.by_name.get(&r.name)?.as_ref().ok()?.as_ref()?.version?;
                                Some(format!("{}@{version}", r.name))
                            }
                            _ => None,
                        })
                        .collect();
                    if versions.is_empty() { v.raw.clone() } else { format!("{}\0{}", v.raw, versions.join(",")) }
                }
            };
            (v.name.as_str(), text, secrets.contains(&v.name))
        })
        .collect();
    let inputs = fingerprint::Inputs {
        environment: &env.name,
        variables: fp_values.iter().map(|(n, t, s)| (*n, t.as_str(), *s)).collect(),
        resources: live_out.resolved.clone(),
        artifacts: artifact_digests,
        commit: commit.clone(),
        account: account.clone(),
    };
    let fp = fingerprint::compute(&inputs, fingerprint::key_from_env().as_deref());
    if let Some(expected) = &opts.expect_fingerprint
        && expected.trim() != fp
    {
        findings.push(
            Finding::new(&checks::drift::rules::FINGERPRINT_MISMATCH, format!("the environment's fingerprint is {fp}, not the expected {}", expected.trim()))
                .help("the environment changed since the check that produced the expected fingerprint; run `preflight check` again and deploy what it passes"),
        );
    }

    let mut checked = Checked { variables: set.vars.len(), artifacts: cfg.artifacts.len(), ..Default::default() };
    let distinct: BTreeSet<(AwsKind, &str)> = validated.resources.iter().map(|(_, k, v)| (*k, v.as_str())).collect();
    for (kind, _) in &distinct {
        *slot(&mut checked, *kind) += 1;
    }
    checked.parameters += params.by_name.keys().filter(|n| !distinct.contains(&(AwsKind::Parameter, n.as_str()))).count();
    // Parameters read by an ssm_path source were checked too (they exist: they were listed).
    checked.parameters += set.vars.values().filter(|v| matches!(v.origin, Origin::Ssm { .. })).count();

    // What the report is masked with: the secret variables' values and the literal text
    // they are written with (a `{{resolve:...}}` reference only names a parameter and is not
    // secret), and the passwords of URLs in every other value.
    let secret_texts: Vec<String> = set
        .vars
        .values()
        .filter(|v| secrets.contains(&v.name))
        .flat_map(|v| {
            let raw: Vec<String> = match reference::parse(&v.raw) {
                Ok(parts) if parts.iter().any(|p| matches!(p, Part::Ref(_))) => {
                    parts.into_iter().filter_map(|p| if let Part::Text(t) = p { Some(t) } else { None }).collect()
                }
                _ => vec![v.raw.clone()],
            };
            raw.into_iter().chain(v.value.clone())
        })
        .collect();
    let other_values: Vec<&str> =
        set.vars.values().filter(|v| !secrets.contains(&v.name)).flat_map(|v| [Some(v.raw.as_str()), v.value.as_deref()]).flatten().collect();
    let redactor = crate::secrets::Redactor::new(secret_texts.iter().map(String::as_str), other_values);
    let mut cases: BTreeSet<(&'static str, String)> = set.vars.keys().map(|n| ("env", n.clone())).collect();
    for (var, kind, _) in &validated.resources {
        cases.insert((family_of(*kind), var.clone()));
    }
    for v in set.vars.values().filter(|v| reference::has_reference(&v.raw)) {
        cases.insert(("ssm", v.name.clone()));
    }
    for a in &cfg.artifacts {
        cases.insert(("artifact", a.name.get_ref().clone()));
    }
    if let Some((lock, _)) = &opts.against {
        cases.extend(lock.variables.keys().chain(set.vars.keys()).map(|n| ("drift", n.clone())));
    }
    if opts.expect_fingerprint.is_some() {
        cases.insert(("drift", "fingerprint".into()));
    }
    let mut report = Report {
        cases: cases.into_iter().collect(),
        environment: env.name.clone(),
        fingerprint: fp,
        findings,
        unverified,
        checked,
        sources: std::mem::take(&mut set.files),
        notes,
        config_file: cfg.file_name(),
        account,
    };
    report.redact(&redactor);
    report.sort();
    report.cap(checks::env::MAX_PER_RULE);
    let secret_names = secrets.names.clone();
    Ok(Outcome { report, resolved, secrets: secret_names, commit })
}

/// Runs the identity stage (`checks::account`): the cloud to use from here on (none when the
/// account is wrong or unknown), the account, and why lookups are skipped.
#[allow(clippy::too_many_arguments)]
async fn identity<'c, C: Cloud>(
    cfg: &Config,
    env: &Environment,
    cloud: Option<&'c C>,
    deadline: Instant,
    progress: &Progress,
    findings: &mut Vec<Finding>,
    unverified: &mut Vec<Unverified>,
    notes: &mut Vec<String>,
) -> (Option<&'c C>, Option<String>, Option<&'static str>) {
    let Some(c) = cloud else { return (None, None, None) };
    progress.phase("asking STS which account the credentials act in");
    match checks::account::identify(cfg, env, c, deadline).await {
        checks::account::Identity::Trusted(a) => (Some(c), a, None),
        checks::account::Identity::Mismatch { actual, finding } => {
            findings.push(finding);
            notes.push(format!("no live lookup was made: the credentials act in account {actual}, so nothing found there could be trusted"));
            (None, Some(actual), Some("skipped (wrong account)"))
        }
        checks::account::Identity::Unverified(u) => {
            unverified.push(u);
            (None, None, Some("skipped (the account could not be verified)"))
        }
    }
}

/// True when anything of the environment is to be looked up live: a reference in a value, a
/// cloud resource kind in the schema, the environment's `vpc`, an image holding provenance.
fn needs_cloud(cfg: &Config, env: &Environment, schema: &EnvSchema, set: &EnvSet) -> bool {
    env.vpc.is_some()
        || schema.properties.values().chain(schema.patterns.iter().map(|(_, p)| p)).chain(schema.additional.as_ref()).any(|p| p.aws.is_some())
        || cfg.artifacts.iter().any(|a| matches!(a.provenance.as_ref().map(|p| p.get_ref()), Some(crate::config::Provenance::Image(_))))
        || set.vars.values().any(|v| reference::has_reference(&v.raw))
}

/// The run's secret variables: by schema (`writeOnly` at any depth, or the explicit opt-out),
/// by name, by the shape of the value as written or as resolved, and every value preflight
/// could not read (a SecureString).
fn secret_set(schema: &EnvSchema, set: &EnvSet, hidden: &BTreeSet<String>) -> crate::secrets::SecretSet {
    let mut out = crate::secrets::SecretSet::default();
    for v in set.vars.values() {
        let says = schema.write_only(&v.name);
        let secret = hidden.contains(&v.name)
            || crate::secrets::classify(&v.name, Some(&v.raw), says).is_some()
            || v.value.as_deref().is_some_and(|x| crate::secrets::classify(&v.name, Some(x), says).is_some());
        if secret {
            out.names.insert(v.name.clone());
        }
    }
    out
}

/// The check family that judges a resource kind.
fn family_of(kind: AwsKind) -> &'static str {
    match kind {
        AwsKind::Image => "ami",
        AwsKind::SecurityGroup | AwsKind::Subnet | AwsKind::Vpc => "network",
        AwsKind::InstanceType | AwsKind::LaunchTemplate | AwsKind::KeyPair => "compute",
        AwsKind::Parameter => "ssm",
    }
}

fn slot(checked: &mut Checked, kind: AwsKind) -> &mut usize {
    match kind {
        AwsKind::Image => &mut checked.images,
        AwsKind::SecurityGroup => &mut checked.security_groups,
        AwsKind::Subnet => &mut checked.subnets,
        AwsKind::Vpc => &mut checked.vpcs,
        AwsKind::InstanceType => &mut checked.instance_types,
        AwsKind::LaunchTemplate => &mut checked.launch_templates,
        AwsKind::KeyPair => &mut checked.key_pairs,
        AwsKind::Parameter => &mut checked.parameters,
    }
}

fn config_location(cfg: &Config, span: std::ops::Range<usize>) -> Location {
    let (line, column) = crate::diag::line_col(&cfg.text, span.start);
    Location { path: cfg.file_name(), line: line as u32, column: column as u32, span: None }
}

/// Adds the parameters read from an `ssm_path` source; the variable is the name's last segment.
#[allow(clippy::too_many_arguments)]
fn load_ssm_path(
    path: &str,
    region: &str,
    params: Vec<crate::cloud::Parameter>,
    set: &mut EnvSet,
    hidden: &mut BTreeSet<String>,
    findings: &mut Vec<Finding>,
    cfg: &Config,
    span: std::ops::Range<usize>,
) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut params = params;
    params.sort_by(|a, b| a.name.cmp(&b.name));
    for p in params {
        let name = p.name.rsplit('/').next().unwrap_or(&p.name).to_string();
        if name.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(name.clone(), p.name.clone()) {
            findings.push(
                Finding::new(&checks::env::rules::ENV_DUPLICATE, format!("set by both {first} and {} under {path}; the latter wins", p.name))
                    .key(&name)
                    .region(region)
                    .help("keep one parameter per variable name under the path")
                    .at(Some(config_location(cfg, span.clone()))),
            );
        }
        if p.value.is_none() {
            hidden.insert(name.clone());
        }
        set.set(Variable {
            name: name.clone(),
            raw: p.value.clone().unwrap_or_default(),
            value: p.value,
            origin: Origin::Ssm { parameter: p.name, region: region.to_string() },
        });
    }
}

/// Replaces `{{resolve:ssm:...}}` references with parameter values. A secure reference is only
/// checked to exist: the variable's value stays unknown and secret.
#[allow(clippy::too_many_arguments)]
async fn resolve_references<C: Cloud>(
    set: &mut EnvSet,
    region: &str,
    cloud: Option<&C>,
    offline_word: &str,
    params: &mut ParameterAnswers,
    deadline: Instant,
    progress: &Progress,
    findings: &mut Vec<Finding>,
    unverified: &mut Vec<Unverified>,
    hidden: &mut BTreeSet<String>,
) {
    let mut parsed: BTreeMap<String, Vec<Part>> = BTreeMap::new();
    for var in set.vars.values_mut() {
        // Values read from an ssm_path are final (a SecureString's stays unknown).
        if var.value.is_some() || matches!(var.origin, Origin::Ssm { .. }) {
            continue;
        }
        if !reference::has_reference(&var.raw) {
            var.value = Some(var.raw.clone());
            continue;
        }
        match reference::parse(&var.raw) {
            Err(m) => findings.push(
                Finding::new(&checks::ssm::rules::SSM_NOT_FOUND, m.message)
                    .key(&var.name)
                    .help("write {{resolve:ssm:/path/name}} or {{resolve:ssm-secure:/path/name}}")
                    .at(var.value_location()),
            ),
            Ok(parts) => {
                if parts.iter().any(|p| matches!(p, Part::Ref(r) if r.secure)) {
                    hidden.insert(var.name.clone());
                }
                parsed.insert(var.name.clone(), parts);
            }
        }
    }
    if parsed.is_empty() {
        return;
    }
    let names: BTreeSet<String> = parsed.values().flatten().filter_map(|p| if let Part::Ref(r) = p { Some(r.name.clone()) } else { None }).collect();
    let Some(cloud) = cloud else {
        unverified.push(Unverified {
            check: format!("{} SSM reference(s) in values", names.len()),
            region: Some(region.to_string()),
            reason: format!("{offline_word}: {{{{resolve:ssm:...}}}} references were not resolved, so those values were not validated"),
        });
        return;
    };
    live::parameters(cloud, region, &names, params, deadline, progress).await;

    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    for (name, parts) in parsed {
        let Some(var) = set.vars.get_mut(&name) else { continue };
        let mut value = String::new();
        let mut known = true;
        for part in parts {
            match part {
                Part::Text(t) => value.push_str(&t),
                Part::Ref(r) => match params.by_name.get(&r.name) {
                    Some(Ok(Some(p))) if r.secure => {
                        let _ = p;
                        known = false;
                    }
                    Some(Ok(Some(p))) => match &p.value {
                        Some(v) => value.push_str(v),
                        None => {
                            known = false;
                            findings.push(
                                Finding::new(
                                    &checks::ssm::rules::SSM_NOT_FOUND,
                                    format!("{} is a SecureString, which {{{{resolve:ssm:...}}}} cannot read", r.name),
                                )
                                .key(&name)
                                .region(region)
                                .help(format!("write {{{{resolve:ssm-secure:{}}}}} instead", r.name))
                                .at(var.value_location()),
                            );
                        }
                    },
                    Some(Ok(None)) => {
                        known = false;
                        findings.push(
                            Finding::new(&checks::ssm::rules::SSM_NOT_FOUND, format!("SSM parameter {} does not exist in {region}", r.name))
                                .key(&name)
                                .region(region)
                                .help(format!(
                                    "parameters are per region: create it with aws ssm put-parameter --region {region} --name {} ..., or fix the reference",
                                    r.name
                                ))
                                .at(var.value_location()),
                        );
                    }
                    Some(Err(e)) => {
                        known = false;
                        failed.insert(r.name.clone(), e.to_string());
                    }
                    None => known = false,
                },
            }
        }
        var.value = known.then_some(value);
    }
    if !failed.is_empty() {
        let reason = failed.values().next().cloned().unwrap_or_default();
        unverified.push(Unverified { check: format!("{} SSM reference(s) in values", failed.len()), region: Some(region.to_string()), reason });
    }
}
